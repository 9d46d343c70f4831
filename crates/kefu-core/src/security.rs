//! Account security rules: password policy, lockout after repeated failures, token fingerprints.

use crate::error::DomainError;
use crate::time::Millis;
use sha2::{Digest, Sha256};

/// Minimum password policy: 10..=128 characters with at least two of lower case, upper case, digits,
/// other characters (symbols, Chinese characters), and not the username.
pub fn check_password_policy(username: &str, password: &str) -> Result<(), DomainError> {
    let n = password.chars().count();
    if n < 10 {
        return Err(DomainError::validation("password", "password must be at least 10 characters"));
    }
    if n > 128 {
        return Err(DomainError::validation("password", "password must be at most 128 characters"));
    }
    let classes = [
        password.chars().any(|c| c.is_lowercase()),
        password.chars().any(|c| c.is_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric() && !c.is_lowercase() && !c.is_uppercase()),
    ];
    if classes.iter().filter(|b| **b).count() < 2 {
        return Err(DomainError::validation(
            "password",
            "password must mix at least two of: lower case, upper case, digits, symbols",
        ));
    }
    if password.eq_ignore_ascii_case(username) {
        return Err(DomainError::validation("password", "password must not be the username"));
    }
    Ok(())
}

/// When an account locks after failed logins and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    pub max_failures: i64,
    pub lock_ms: i64,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        LockoutPolicy { max_failures: 5, lock_ms: 15 * Millis::MINUTE }
    }
}

/// The login-failure state kept on each account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FailureState {
    pub failed_count: i64,
    pub locked_until: Option<Millis>,
}

impl LockoutPolicy {
    /// Is the account locked now? A lock that has run out no longer counts.
    pub fn is_locked(&self, s: FailureState, now: Millis) -> bool {
        matches!(s.locked_until, Some(t) if t > now)
    }

    /// The state after one more failed attempt: the n-th consecutive failure locks the account.
    pub fn after_failure(&self, s: FailureState, now: Millis) -> FailureState {
        // A lock that expired starts a fresh count.
        let base = if matches!(s.locked_until, Some(t) if t <= now) { 0 } else { s.failed_count };
        let failed_count = base + 1;
        let locked_until =
            if failed_count >= self.max_failures { Some(now.plus_ms(self.lock_ms)) } else { None };
        FailureState { failed_count, locked_until }
    }
}

/// The stored fingerprint of a session or API token: SHA-256 hex. Tokens carry ≥128 random bits, so a
/// fast hash is enough; the database never holds a usable token.
pub fn token_fingerprint(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_policy_names_the_problem() {
        assert!(check_password_policy("li", "Kefu-2026!").is_ok());
        assert!(check_password_policy("li", "密码很安全的密码123").is_ok());
        assert!(check_password_policy("li", "short1A").unwrap_err().message.contains("at least 10"));
        assert!(check_password_policy("li", "onlylowercaseletters").unwrap_err().message.contains("two of"));
        assert!(check_password_policy("Administrator1", "administrator1").is_err());
        assert!(check_password_policy("li", &"aA1".repeat(50)).is_err());
    }

    #[test]
    fn fifth_failure_locks_and_the_lock_expires() {
        let p = LockoutPolicy::default();
        let mut s = FailureState::default();
        let t0 = Millis(1_000_000);
        for _ in 0..4 {
            s = p.after_failure(s, t0);
            assert!(!p.is_locked(s, t0));
        }
        s = p.after_failure(s, t0);
        assert!(p.is_locked(s, t0));
        assert!(p.is_locked(s, t0.plus_ms(p.lock_ms - 1)));
        let later = t0.plus_ms(p.lock_ms);
        assert!(!p.is_locked(s, later));
        // After the lock runs out, one more failure starts a new count rather than locking again.
        let s2 = p.after_failure(s, later);
        assert_eq!(s2.failed_count, 1);
        assert!(!p.is_locked(s2, later));
    }

    #[test]
    fn fingerprints_are_stable_and_distinct() {
        assert_eq!(token_fingerprint("abc"), token_fingerprint("abc"));
        assert_ne!(token_fingerprint("abc"), token_fingerprint("abd"));
        assert_eq!(token_fingerprint("abc").len(), 64);
    }
}
