//! Authentication: password hashing (argon2id, off the async runtime), session and API tokens, TOTP
//! second factor, login throttling, and resolving a request's credentials to a [`Principal`].

use crate::error::{ApiError, ApiResult};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use kefu_core::authz::Principal;
use kefu_core::security::token_fingerprint;
use kefu_core::time::Millis;
use kefu_core::ErrorCode;
use kefu_store::{Store, UserAuth};
use rand::RngCore;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// Prefix of login session tokens (cookie and bearer).
pub const SESSION_PREFIX: &str = "kfs_";
/// Prefix of integration API tokens.
pub const API_TOKEN_PREFIX: &str = "kft_";
pub const SESSION_COOKIE: &str = "kefu_session";

pub fn now() -> Millis {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    Millis(d.as_millis() as i64)
}

/// 256 random bits, URL-safe, with a prefix telling what kind of token it is.
pub fn new_token(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!("{prefix}{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// Hash a password with argon2id on a blocking thread (it takes tens of milliseconds of CPU by design).
pub async fn hash_password(password: String) -> ApiResult<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)
}

/// Check a password against a stored hash on a blocking thread. An unparsable hash never matches.
pub async fn verify_password(password: String, hash: String) -> ApiResult<bool> {
    tokio::task::spawn_blocking(move || match PasswordHash::new(&hash) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    })
    .await
    .map_err(ApiError::internal)
}

/// A hash of a random password, verified against when the username does not exist so that the answer
/// takes as long as for a real account.
pub static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default().hash_password(b"no such account", &salt).map(|h| h.to_string()).unwrap_or_default()
});

/// TOTP (RFC 6238): SHA-1, 6 digits, 30-second steps, one step of clock skew either way.
pub mod totp {
    use totp_rs::{Algorithm, Secret, TOTP};

    pub fn new_secret() -> String {
        let mut bytes = [0u8; 20];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
        Secret::Raw(bytes.to_vec()).to_encoded().to_string()
    }

    fn totp(secret_b32: &str) -> Option<TOTP> {
        let bytes = Secret::Encoded(secret_b32.to_string()).to_bytes().ok()?;
        TOTP::new(Algorithm::SHA1, 6, 1, 30, bytes).ok()
    }

    pub fn check(secret_b32: &str, code: &str, unix_secs: u64) -> bool {
        let code = code.trim();
        code.len() == 6
            && code.chars().all(|c| c.is_ascii_digit())
            && totp(secret_b32).is_some_and(|t| t.check(code, unix_secs))
    }

    pub fn generate(secret_b32: &str, unix_secs: u64) -> Option<String> {
        totp(secret_b32).map(|t| t.generate(unix_secs))
    }

    /// The `otpauth://` URL authenticator apps read (usually from a QR code).
    pub fn otpauth_url(secret_b32: &str, username: &str) -> String {
        let enc = |s: &str| -> String {
            s.bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect()
        };
        format!(
            "otpauth://totp/kefu:{}?secret={secret_b32}&issuer=kefu&algorithm=SHA1&digits=6&period=30",
            enc(username)
        )
    }
}

/// Sliding one-minute windows of failed login attempts per key (client address, account).
#[derive(Default)]
pub struct Throttle {
    hits: Mutex<HashMap<String, Vec<Instant>>>,
}

const WINDOW: Duration = Duration::from_secs(60);

impl Throttle {
    /// May `key` try again, having failed fewer than `limit` times in the last minute?
    pub fn allows(&self, key: &str, limit: u32) -> bool {
        let now = Instant::now();
        let hits = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        hits.get(key).map_or(0, |v| v.iter().filter(|t| now.duration_since(**t) < WINDOW).count())
            < limit as usize
    }

    /// Count one failed attempt for `key`.
    pub fn failed(&self, key: &str) {
        let now = Instant::now();
        let mut hits = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        if hits.len() > 100_000 {
            hits.retain(|_, v| v.last().is_some_and(|t| now.duration_since(*t) < WINDOW));
        }
        let v = hits.entry(key.to_string()).or_default();
        v.retain(|t| now.duration_since(*t) < WINDOW);
        v.push(now);
    }
}

/// Resolved credentials, cached briefly so that busy clients do not cost a database read per request.
/// Logout, revocation and account changes on this node evict at once; other nodes within `CACHE_TTL`.
pub struct PrincipalCache {
    entries: RwLock<HashMap<String, (Resolved, Instant)>>,
}

/// Who a credential belongs to, and whether it satisfies a second-factor requirement (a session of an
/// account with TOTP enabled, or an integration token, which cannot answer TOTP).
#[derive(Debug, Clone)]
pub struct Resolved {
    pub principal: Principal,
    pub second_factor: bool,
}

const CACHE_TTL: Duration = Duration::from_secs(5);

impl Default for PrincipalCache {
    fn default() -> Self {
        PrincipalCache { entries: RwLock::new(HashMap::new()) }
    }
}

impl PrincipalCache {
    fn get(&self, fp: &str) -> Option<Resolved> {
        let map = self.entries.read().unwrap_or_else(|p| p.into_inner());
        map.get(fp).filter(|(_, at)| at.elapsed() < CACHE_TTL).map(|(p, _)| p.clone())
    }
    fn put(&self, fp: String, p: Resolved) {
        let mut map = self.entries.write().unwrap_or_else(|p| p.into_inner());
        if map.len() > 50_000 {
            map.clear();
        }
        map.insert(fp, (p, Instant::now()));
    }
    pub fn evict(&self, fp: &str) {
        self.entries.write().unwrap_or_else(|p| p.into_inner()).remove(fp);
    }
    pub fn clear(&self) {
        self.entries.write().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

pub fn principal_of(u: &UserAuth, token_id: Option<i64>) -> Principal {
    Principal {
        user_id: u.id,
        username: u.username.clone(),
        role: u.role,
        merchant_id: u.merchant_id,
        token_id,
    }
}

/// Find the principal behind a session or API token; `None` when the token is unknown, expired, revoked,
/// or its account is disabled.
pub async fn resolve(
    store: &Arc<dyn Store>,
    cache: &PrincipalCache,
    token: &str,
) -> ApiResult<Option<Resolved>> {
    let fp = token_fingerprint(token);
    if let Some(p) = cache.get(&fp) {
        return Ok(Some(p));
    }
    let now = now();
    let principal = if token.starts_with(API_TOKEN_PREFIX) {
        match store.api_token_principal(&fp, now).await? {
            // The token acts with its own role and merchant, never more than its creator could.
            Some((t, u)) if !u.disabled => Some(Resolved {
                principal: Principal {
                    user_id: u.id,
                    username: format!("{} (token {})", u.username, t.name),
                    role: t.role,
                    merchant_id: t.merchant_id,
                    token_id: Some(t.id),
                },
                second_factor: true,
            }),
            _ => None,
        }
    } else if token.starts_with(SESSION_PREFIX) {
        match store.session_user(&fp, now).await? {
            Some(u) if !u.disabled => {
                Some(Resolved { principal: principal_of(&u, None), second_factor: u.totp_enabled })
            }
            _ => None,
        }
    } else {
        None
    };
    if let Some(p) = &principal {
        cache.put(fp, p.clone());
    }
    Ok(principal)
}

pub fn unauthenticated() -> ApiError {
    ApiError::new(
        ErrorCode::Unauthenticated,
        "log in first: send the session cookie or 'Authorization: Bearer <token>'",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_prefixed() {
        let a = new_token(SESSION_PREFIX);
        let b = new_token(SESSION_PREFIX);
        assert_ne!(a, b);
        assert!(a.starts_with("kfs_") && a.len() >= 4 + 43);
    }

    #[test]
    fn totp_codes_check_within_one_step() {
        let s = totp::new_secret();
        let t = 1_800_000_000;
        let code = totp::generate(&s, t).unwrap();
        assert!(totp::check(&s, &code, t));
        assert!(totp::check(&s, &code, t + 30));
        assert!(!totp::check(&s, &code, t + 120));
        assert!(!totp::check(&s, "12345", t));
        assert!(!totp::check(&s, "abcdef", t));
        assert!(totp::otpauth_url(&s, "li lei").starts_with("otpauth://totp/kefu:li%20lei?secret="));
    }

    #[test]
    fn throttle_counts_failures_up_to_the_limit() {
        let t = Throttle::default();
        for _ in 0..3 {
            assert!(t.allows("ip:1", 3));
            t.failed("ip:1");
        }
        assert!(!t.allows("ip:1", 3));
        assert!(t.allows("ip:2", 3));
    }

    #[tokio::test]
    async fn passwords_verify_only_against_their_hash() {
        let h = hash_password("Kefu-2026-pass".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("Kefu-2026-pass".into(), h.clone()).await.unwrap());
        assert!(!verify_password("kefu-2026-pass".into(), h).await.unwrap());
        assert!(!verify_password("x".into(), "not a hash".into()).await.unwrap());
    }
}
