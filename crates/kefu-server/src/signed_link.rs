//! Signed, expiring links for customers without an account (the ticket status page, the satisfaction
//! survey). A token names one ticket and an expiry and carries an HMAC made with a key kept in the settings
//! table (created on first use, shared by every node). Each kind of link has its own token prefix and its
//! own purpose string inside the MAC, so a status link cannot be turned into a rating link or back.

use crate::error::ApiResult;
use crate::state::AppState;
use hmac::{Hmac, Mac};
use kefu_core::authz::{Action, Scope};
use kefu_core::time::Millis;
use kefu_store::AuditCtx;
use sha2::Sha256;

/// The settings key of the signing key; its name predates the second kind of link and stays for
/// existing links to keep working.
const KEY_SETTING: &str = "status_link_key";

/// What a link is for: its token prefix and the purpose bound into the signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// The ticket status page (工单进度查询).
    TicketStatus,
    /// The satisfaction survey (满意度评价) of a resolved ticket.
    Rating,
    /// The customer's after-sales request form and case status page (售后申请).
    AfterSales,
    /// A Net Promoter Score invitation (净推荐值调查); the id is the invitation's, not a ticket's.
    Nps,
}

impl Purpose {
    fn prefix(self) -> &'static str {
        match self {
            Purpose::TicketStatus => "kst_",
            Purpose::Rating => "krt_",
            Purpose::AfterSales => "kas_",
            Purpose::Nps => "knp_",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Purpose::TicketStatus => "ticket-status",
            Purpose::Rating => "ticket-rating",
            Purpose::AfterSales => "ticket-aftersales",
            Purpose::Nps => "nps-invitation",
        }
    }
}

/// Why a token was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum TokenError {
    Malformed,
    BadSignature,
    Expired,
}

async fn link_key(state: &AppState) -> ApiResult<Vec<u8>> {
    if let Some(k) = state.store.get_setting(KEY_SETTING).await? {
        return Ok(k.into_bytes());
    }
    let fresh = crate::auth::new_token("");
    let ctx = AuditCtx::operator("status-link", crate::auth::now());
    state.store.put_setting(&Scope::operator(Action::SecurityManage), &ctx, KEY_SETTING, &fresh).await?;
    // Read back: when two nodes create it at once, both sign with the one that stayed.
    Ok(state.store.get_setting(KEY_SETTING).await?.unwrap_or(fresh).into_bytes())
}

fn mac(key: &[u8], purpose: Purpose, ticket: i64, exp: i64) -> String {
    let mut m = <Hmac<Sha256>>::new_from_slice(key).expect("HMAC takes any key length");
    m.update(format!("{}:{ticket}:{exp}", purpose.label()).as_bytes());
    hex::encode(&m.finalize().into_bytes()[..16])
}

fn sign_with(key: &[u8], purpose: Purpose, ticket: i64, exp: i64) -> String {
    format!("{}{ticket}_{exp}_{}", purpose.prefix(), mac(key, purpose, ticket, exp))
}

fn verify_with(key: &[u8], purpose: Purpose, token: &str, now: Millis) -> Result<i64, TokenError> {
    let rest = token.strip_prefix(purpose.prefix()).ok_or(TokenError::Malformed)?;
    let mut parts = rest.splitn(3, '_');
    let (Some(t), Some(e), Some(sig)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(TokenError::Malformed);
    };
    let (Ok(ticket), Ok(exp)) = (t.parse::<i64>(), e.parse::<i64>()) else {
        return Err(TokenError::Malformed);
    };
    let expected = mac(key, purpose, ticket, exp);
    // Constant-time comparison of the hex signatures.
    let same = expected.len() == sig.len()
        && expected.bytes().zip(sig.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
    if !same {
        return Err(TokenError::BadSignature);
    }
    if exp * 1000 < now.0 {
        return Err(TokenError::Expired);
    }
    Ok(ticket)
}

/// A token of `purpose` for `ticket`, valid until `exp` (seconds since the epoch).
pub async fn sign(state: &AppState, purpose: Purpose, ticket: i64, exp: i64) -> ApiResult<String> {
    Ok(sign_with(&link_key(state).await?, purpose, ticket, exp))
}

/// The ticket a token of `purpose` opens, if it is genuine and not expired at `now`.
pub async fn verify(
    state: &AppState,
    purpose: Purpose,
    token: &str,
    now: Millis,
) -> ApiResult<Result<i64, TokenError>> {
    Ok(verify_with(&link_key(state).await?, purpose, token, now))
}

/// How long a rating link works after the resolution that sent it.
pub const RATING_LINK_DAYS: i64 = 7;

/// The survey link of a resolved ticket, a path on this server (the customer's page prefixes its origin).
pub async fn rating_path(state: &AppState, ticket: i64) -> ApiResult<String> {
    let exp = crate::auth::now().plus_ms(RATING_LINK_DAYS * Millis::DAY).0 / 1000;
    Ok(format!("/chat/rate?token={}", sign(state, Purpose::Rating, ticket, exp).await?))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"test-key";
    const NOW: Millis = Millis(1_000_000_000);

    #[test]
    fn a_genuine_token_opens_its_ticket_until_it_expires() {
        let t = sign_with(KEY, Purpose::Rating, 42, 2_000_000);
        assert!(t.starts_with("krt_42_2000000_"));
        assert_eq!(verify_with(KEY, Purpose::Rating, &t, NOW), Ok(42));
        let old = sign_with(KEY, Purpose::Rating, 42, 999_999);
        assert_eq!(verify_with(KEY, Purpose::Rating, &old, NOW), Err(TokenError::Expired));
    }

    #[test]
    fn forged_or_moved_tokens_are_refused() {
        let t = sign_with(KEY, Purpose::Rating, 42, 2_000_000);
        let moved = t.replacen("krt_42_", "krt_43_", 1);
        assert_eq!(verify_with(KEY, Purpose::Rating, &moved, NOW), Err(TokenError::BadSignature));
        let longer = t.replacen("_2000000_", "_3000000_", 1);
        assert_eq!(verify_with(KEY, Purpose::Rating, &longer, NOW), Err(TokenError::BadSignature));
        assert_eq!(verify_with(b"other", Purpose::Rating, &t, NOW), Err(TokenError::BadSignature));
        assert_eq!(verify_with(KEY, Purpose::Rating, "krt_42", NOW), Err(TokenError::Malformed));
    }

    #[test]
    fn a_status_link_is_not_a_rating_link_and_back() {
        let status = sign_with(KEY, Purpose::TicketStatus, 42, 2_000_000);
        let rating = sign_with(KEY, Purpose::Rating, 42, 2_000_000);
        assert_eq!(verify_with(KEY, Purpose::Rating, &status, NOW), Err(TokenError::Malformed));
        assert_eq!(verify_with(KEY, Purpose::TicketStatus, &rating, NOW), Err(TokenError::Malformed));
        // Even with the prefix swapped, the purpose inside the MAC differs.
        let swapped = status.replacen("kst_", "krt_", 1);
        assert_eq!(verify_with(KEY, Purpose::Rating, &swapped, NOW), Err(TokenError::BadSignature));
    }

    #[test]
    fn an_after_sales_link_opens_nothing_else() {
        let aftersales = sign_with(KEY, Purpose::AfterSales, 42, 2_000_000);
        assert!(aftersales.starts_with("kas_42_2000000_"));
        assert_eq!(verify_with(KEY, Purpose::AfterSales, &aftersales, NOW), Ok(42));
        for other in [Purpose::TicketStatus, Purpose::Rating] {
            assert_eq!(verify_with(KEY, other, &aftersales, NOW), Err(TokenError::Malformed));
            let t = sign_with(KEY, other, 42, 2_000_000);
            assert_eq!(verify_with(KEY, Purpose::AfterSales, &t, NOW), Err(TokenError::Malformed));
            let swapped = format!("kas_{}", &t[4..]);
            assert_eq!(verify_with(KEY, Purpose::AfterSales, &swapped, NOW), Err(TokenError::BadSignature));
        }
    }
}
