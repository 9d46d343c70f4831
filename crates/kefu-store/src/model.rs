//! The records the store reads and writes. API responses serialise these directly, so secrets
//! (password hashes, TOTP secrets, token fingerprints) live only in [`UserAuth`], which is never serialised.

use kefu_core::org::{Role, TeamOwner};
use kefu_core::time::Millis;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Cursor pagination: items ordered by id, `after` = the last id seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageReq {
    pub after: Option<i64>,
    pub limit: i64,
}

impl PageReq {
    pub const MAX_LIMIT: i64 = 200;
    pub const DEFAULT_LIMIT: i64 = 50;
    pub fn first(limit: i64) -> PageReq {
        PageReq { after: None, limit }
    }
}

/// One page of a list. `next_cursor` is absent on the last page.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Build a page from up to `limit + 1` rows fetched; the extra row only says there is more.
    pub fn from_rows(mut rows: Vec<T>, limit: i64, id: impl Fn(&T) -> i64) -> Page<T> {
        let more = rows.len() as i64 > limit;
        if more {
            rows.truncate(limit as usize);
        }
        let next_cursor = if more { rows.last().map(|r| id(r).to_string()) } else { None };
        Page { items: rows, next_cursor }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Merchant {
    pub id: i64,
    /// Short stable code, e.g. `tmall-flagship`.
    pub code: String,
    pub name: String,
    /// `active` or `suspended`.
    pub status: String,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[derive(Debug, Clone)]
pub struct NewMerchant {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, Default)]
pub struct MerchantPatch {
    pub name: Option<String>,
    pub status: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Department {
    pub id: i64,
    /// `None` for the platform's own departments, which every merchant can hand tasks to.
    pub merchant_id: Option<i64>,
    pub code: String,
    pub name: String,
    pub created_at: Millis,
}

#[derive(Debug, Clone)]
pub struct NewDepartment {
    pub merchant_id: Option<i64>,
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Team {
    pub id: i64,
    pub merchant_id: Option<i64>,
    pub owner: TeamOwner,
    /// The outsourcing vendor, for outsourced teams.
    pub vendor: Option<String>,
    pub name: String,
    pub created_at: Millis,
}

#[derive(Debug, Clone)]
pub struct NewTeam {
    pub merchant_id: Option<i64>,
    pub owner: TeamOwner,
    pub vendor: Option<String>,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub merchant_id: Option<i64>,
    pub team_id: Option<i64>,
    pub department_id: Option<i64>,
    /// Reporting line: this user's supervisor.
    pub supervisor_id: Option<i64>,
    pub disabled: bool,
    /// Set while the account is locked after repeated failed logins.
    pub locked_until: Option<Millis>,
    pub totp_enabled: bool,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub merchant_id: Option<i64>,
    pub team_id: Option<i64>,
    pub department_id: Option<i64>,
    pub supervisor_id: Option<i64>,
    pub password_hash: String,
}

#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub team_id: Option<Option<i64>>,
    pub department_id: Option<Option<i64>>,
    pub supervisor_id: Option<Option<i64>>,
    pub disabled: Option<bool>,
}

/// What authentication needs of an account. Holds secrets: never serialise it.
#[derive(Clone, PartialEq, Eq)]
pub struct UserAuth {
    pub id: i64,
    pub username: String,
    pub role: Role,
    pub merchant_id: Option<i64>,
    pub password_hash: String,
    pub disabled: bool,
    pub failed_logins: i64,
    pub locked_until: Option<Millis>,
    pub totp_secret: Option<String>,
    pub totp_enabled: bool,
}

impl std::fmt::Debug for UserAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserAuth")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("role", &self.role)
            .field("merchant_id", &self.merchant_id)
            .finish_non_exhaustive()
    }
}

/// The failure counter and lock after a failed login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureRecord {
    pub failed_logins: i64,
    pub locked_until: Option<Millis>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    /// The staff user who created it.
    pub user_id: i64,
    /// The role whose permissions the token carries.
    pub role: Role,
    /// `None`: a platform token.
    pub merchant_id: Option<i64>,
    pub created_at: Millis,
    pub expires_at: Option<Millis>,
    pub last_used_at: Option<Millis>,
    pub revoked_at: Option<Millis>,
}

#[derive(Debug, Clone)]
pub struct NewApiToken {
    pub name: String,
    pub user_id: i64,
    pub role: Role,
    pub merchant_id: Option<i64>,
    pub token_hash: String,
    pub expires_at: Option<Millis>,
}

/// A customer's file (客户档案). Personal data is masked (138****5678, z***@example.com); revealing a
/// value takes the `customer.reveal` permission, a reason, and leaves an audit record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Customer {
    pub id: i64,
    pub merchant_id: Option<i64>,
    /// The customer's name (称呼), as agents address them.
    pub display_name: String,
    /// Masked phone number.
    pub phone: Option<String>,
    /// Masked email address.
    pub email: Option<String>,
    /// Masked address.
    pub address: Option<String>,
    /// The customer's account id on the shop platform.
    pub account_id: Option<String>,
    /// The chat visitor id linked to this customer.
    pub visitor_id: Option<String>,
    /// 会员等级: `regular`, `silver`, `gold`, `diamond` (configurable).
    pub member_tier: String,
    /// 大客户 / VIP: served first, by the dedicated group.
    pub vip: bool,
    pub tags: Vec<String>,
    pub notes: String,
    /// Set when this profile was merged into another as a duplicate.
    pub merged_into: Option<i64>,
    pub created_at: Millis,
}

/// A customer's personal data in clear, as given by staff or an integration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contact {
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct NewCustomer {
    pub merchant_id: Option<i64>,
    pub display_name: String,
    pub member_tier: String,
    pub vip: bool,
    pub contact: Contact,
    pub account_id: Option<String>,
    pub visitor_id: Option<String>,
    pub tags: Vec<String>,
    pub notes: String,
}

#[derive(Debug, Clone, Default)]
pub struct CustomerPatch {
    pub display_name: Option<String>,
    pub member_tier: Option<String>,
    pub vip: Option<bool>,
    /// Each `Some` replaces that value (an empty string clears it).
    pub contact: Contact,
    pub account_id: Option<String>,
    pub visitor_id: Option<String>,
    pub tags: Option<Vec<String>>,
    pub notes: Option<String>,
}

/// How to find a customer: exact match on one identity.
#[derive(Debug, Clone, Default)]
pub struct CustomerLookup {
    /// Normalised phone number.
    pub phone: Option<String>,
    /// Normalised email.
    pub email: Option<String>,
    pub account_id: Option<String>,
    pub visitor_id: Option<String>,
}

/// Filters of the audit log query; all optional and combined with AND.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor_id: Option<i64>,
    pub action: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    pub from: Option<Millis>,
    pub to: Option<Millis>,
}

/// The last record of one audit chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainHead {
    pub chain: String,
    pub last_seq: i64,
    pub last_hash: String,
}
