//! kefu storage: one interface ([`Store`]) over two real backends.
//!
//! * SQLite, the embedded default: WAL, `busy_timeout`, one writer connection and a pool of readers.
//! * PostgreSQL, for many stateless nodes.
//!
//! Both backends run the same query code (`shared.rs`, compiled once per backend with that backend's
//! types) and keep their own migrations under `migrations/<backend>/`. Queries are built at run time, so a
//! build needs no database. Every read or write of tenant data takes a [`kefu_core::authz::Scope`], the
//! proof that the permission gate ran; writes record their audit entry in the same transaction.

pub mod aftersales;
pub mod approvals;
pub mod chat;
pub mod complaints;
pub mod crypto;
pub mod email;
pub mod integrations;
pub mod jobs;
mod migrations;
pub mod model;
pub mod nps;
pub mod orders;
pub mod postgres;
pub mod quick_replies;
pub mod reports;
pub mod routing;
pub mod satisfaction;
pub mod shop;
pub mod sla;
pub mod sqlite;
pub mod tickets;

pub use aftersales::*;
pub use approvals::*;
use async_trait::async_trait;
pub use chat::*;
pub use complaints::*;
pub use email::*;
pub use integrations::*;
pub use jobs::*;
use kefu_core::audit::{AuditEntry, AuditRecord};
use kefu_core::authz::Scope;
use kefu_core::time::Millis;
use kefu_core::{DomainError, ErrorCode};
pub use model::*;
pub use nps::*;
pub use orders::*;
pub use quick_replies::*;
pub use reports::*;
pub use routing::*;
pub use satisfaction::*;
pub use shop::*;
pub use sla::*;
use std::sync::Arc;
pub use tickets::*;

/// A storage failure. Domain-level outcomes (not found, conflict) are distinguished from database faults.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Domain(#[from] DomainError),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    Other(String),
}

impl StoreError {
    pub fn code(&self) -> ErrorCode {
        match self {
            StoreError::Domain(d) => d.code,
            StoreError::Db(sqlx::Error::PoolTimedOut) | StoreError::Db(sqlx::Error::Io(_)) => {
                ErrorCode::Unavailable
            }
            _ => ErrorCode::Internal,
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Which backend a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Who did a write and from where: the audit context every write carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditCtx {
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub ip: Option<String>,
    pub request_id: Option<String>,
    pub now: Millis,
}

impl AuditCtx {
    /// A local command run by the operator (`kefu user create`, `kefu demo`).
    pub fn operator(what: &str, now: Millis) -> AuditCtx {
        AuditCtx { actor_id: None, actor_name: format!("operator:{what}"), ip: None, request_id: None, now }
    }

    pub fn entry(
        &self,
        action: &str,
        object_type: &str,
        object_id: Option<String>,
        merchant_id: Option<i64>,
        before: Option<String>,
        after: Option<String>,
    ) -> AuditEntry {
        AuditEntry {
            actor_id: self.actor_id,
            actor_name: self.actor_name.clone(),
            ip: self.ip.clone(),
            request_id: self.request_id.clone(),
            action: action.to_string(),
            object_type: object_type.to_string(),
            object_id,
            merchant_id,
            before,
            after,
        }
    }
}

/// The storage interface. One implementation per backend; one test story runs against both.
#[async_trait]
pub trait Store:
    TicketStore
    + SlaStore
    + RoutingStore
    + QuickReplyStore
    + JobStore
    + EmailStore
    + ChatStore
    + IntegrationStore
    + OrderStore
    + AfterSalesStore
    + ApprovalStore
    + SatisfactionStore
    + ComplaintStore
    + ShopStore
    + NpsStore
    + ReportStore
    + Send
    + Sync
    + 'static
{
    fn backend(&self) -> Backend;
    /// Is the database reachable? (`/readyz`)
    async fn ping(&self) -> Result<()>;

    // Merchants (入驻商家)
    async fn create_merchant(&self, s: &Scope, ctx: &AuditCtx, new: NewMerchant) -> Result<Merchant>;
    async fn get_merchant(&self, s: &Scope, id: i64) -> Result<Option<Merchant>>;
    async fn list_merchants(&self, s: &Scope, page: PageReq) -> Result<Page<Merchant>>;
    async fn update_merchant(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        id: i64,
        patch: MerchantPatch,
    ) -> Result<Merchant>;

    // Departments (部门) and teams (客服组)
    async fn create_department(&self, s: &Scope, ctx: &AuditCtx, new: NewDepartment) -> Result<Department>;
    async fn list_departments(&self, s: &Scope, page: PageReq) -> Result<Page<Department>>;
    async fn create_team(&self, s: &Scope, ctx: &AuditCtx, new: NewTeam) -> Result<Team>;
    async fn get_team(&self, s: &Scope, id: i64) -> Result<Option<Team>>;
    async fn list_teams(&self, s: &Scope, page: PageReq) -> Result<Page<Team>>;

    // Staff accounts
    async fn create_user(&self, s: &Scope, ctx: &AuditCtx, new: NewUser) -> Result<User>;
    async fn get_user(&self, s: &Scope, id: i64) -> Result<Option<User>>;
    async fn list_users(&self, s: &Scope, page: PageReq) -> Result<Page<User>>;
    async fn update_user(&self, s: &Scope, ctx: &AuditCtx, id: i64, patch: UserPatch) -> Result<User>;
    async fn set_password(&self, s: &Scope, ctx: &AuditCtx, id: i64, password_hash: String) -> Result<()>;
    async fn unlock_user(&self, s: &Scope, ctx: &AuditCtx, id: i64) -> Result<User>;
    /// Store a TOTP secret (pending until `enabled`) or clear it (`None`).
    async fn set_totp(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        id: i64,
        secret: Option<String>,
        enabled: bool,
    ) -> Result<()>;

    // Authentication look-ups. These run before a principal exists, so they take no scope and return only
    // what the login and token checks need.
    async fn auth_user_by_username(&self, username: &str) -> Result<Option<UserAuth>>;
    async fn auth_user_by_id(&self, id: i64) -> Result<Option<UserAuth>>;
    async fn record_login_failure(&self, ctx: &AuditCtx, user: &UserAuth, state: FailureRecord)
        -> Result<()>;
    async fn record_login_success(&self, ctx: &AuditCtx, user: &UserAuth) -> Result<()>;
    /// Record a failed login for a name that has no account (audited, no account changed).
    async fn record_unknown_login(&self, ctx: &AuditCtx, username: &str) -> Result<()>;

    // Sessions (web UI cookie and login bearer tokens)
    async fn create_session(
        &self,
        user_id: i64,
        token_hash: &str,
        now: Millis,
        expires: Millis,
        ip: Option<String>,
    ) -> Result<()>;
    async fn session_user(&self, token_hash: &str, now: Millis) -> Result<Option<UserAuth>>;
    async fn delete_session(&self, token_hash: &str) -> Result<()>;

    // API tokens for integrations
    async fn create_api_token(&self, s: &Scope, ctx: &AuditCtx, new: NewApiToken) -> Result<ApiToken>;
    async fn list_api_tokens(&self, s: &Scope, page: PageReq) -> Result<Page<ApiToken>>;
    async fn revoke_api_token(&self, s: &Scope, ctx: &AuditCtx, id: i64) -> Result<ApiToken>;
    /// The live (not revoked, not expired) token with this fingerprint, and its creator's account.
    async fn api_token_principal(
        &self,
        token_hash: &str,
        now: Millis,
    ) -> Result<Option<(ApiToken, UserAuth)>>;

    // Customers: a separate kind of principal, never logging into the staff API
    /// The key ring for personal data; customers' personal data cannot be written or read without it.
    fn set_cipher(&self, cipher: Arc<crypto::PiiCipher>);
    async fn create_customer(&self, s: &Scope, ctx: &AuditCtx, new: NewCustomer) -> Result<Customer>;
    async fn get_customer(&self, s: &Scope, id: i64) -> Result<Option<Customer>>;
    async fn list_customers(
        &self,
        s: &Scope,
        lookup: &CustomerLookup,
        page: PageReq,
    ) -> Result<Page<Customer>>;
    async fn update_customer(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        id: i64,
        patch: CustomerPatch,
    ) -> Result<Customer>;
    /// One personal-data field in clear (`phone`, `email`, `address`), audited with the reason.
    async fn reveal_customer(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        id: i64,
        field: &str,
        reason: &str,
    ) -> Result<Option<String>>;
    /// Merge a duplicate profile into another: identities the survivor lacks move over, tickets move,
    /// the duplicate points at the survivor.
    async fn merge_customers(&self, s: &Scope, ctx: &AuditCtx, source: i64, target: i64) -> Result<Customer>;
    /// Re-encrypt every encrypted value (personal data and secrets) under the cipher's active key
    /// (after `rotate`); returns the count.
    async fn reencrypt_all(&self, ctx: &AuditCtx) -> Result<u64>;
    /// Encrypt the secrets still stored in plain from before their column was encrypted (TOTP seeds,
    /// chat widget secrets); returns the count. Cheap when there are none: run at every start.
    async fn seal_plain_secrets(&self, ctx: &AuditCtx) -> Result<u64>;

    // Platform settings
    async fn get_setting(&self, key: &str) -> Result<Option<String>>;
    async fn put_setting(&self, s: &Scope, ctx: &AuditCtx, key: &str, value: &str) -> Result<()>;

    // Audit trail
    /// Append a record that is not part of another write (e.g. a failed login).
    async fn append_audit(&self, at: Millis, entry: AuditEntry) -> Result<()>;
    async fn list_audit(&self, s: &Scope, filter: AuditFilter, page: PageReq) -> Result<Page<AuditRecord>>;
    async fn audit_chain_heads(&self) -> Result<Vec<ChainHead>>;
    /// Records of one chain with `seq > after_seq`, in order, at most `limit`.
    async fn audit_chain_records(&self, chain: &str, after_seq: i64, limit: i64) -> Result<Vec<AuditRecord>>;

    /// A consistent copy of the whole database into `path`, taken while kefu serves (SQLite only).
    async fn backup_to(&self, path: &std::path::Path) -> Result<()>;
}

/// Open a store for a database URL: `sqlite://PATH` or `postgres://…`. Applies migrations when `migrate`.
pub async fn open(url: &str, migrate: bool) -> Result<Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let s = postgres::PgStore::connect(url).await?;
        if migrate {
            s.migrate().await?;
            s.seed_default_categories().await?;
        }
        Ok(Arc::new(s))
    } else if url.starts_with("sqlite:") {
        let s = sqlite::SqliteStore::connect(url).await?;
        if migrate {
            s.migrate().await?;
            s.seed_default_categories().await?;
        }
        Ok(Arc::new(s))
    } else {
        Err(StoreError::Other(format!(
            "unsupported database URL '{}': use sqlite://PATH or postgres://USER@HOST/DB",
            redact_url(url)
        )))
    }
}

/// A database URL with any password replaced, safe for logs and error messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let creds = &url[scheme_end + 3..at];
            match creds.find(':') {
                Some(colon) => format!("{}{}:***{}", &url[..scheme_end + 3], &creds[..colon], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_never_survive_redaction() {
        assert_eq!(super::redact_url("postgres://kefu:s3cret@db/kefu"), "postgres://kefu:***@db/kefu");
        assert_eq!(super::redact_url("postgres://postgres@127.0.0.1/x"), "postgres://postgres@127.0.0.1/x");
        assert_eq!(super::redact_url("sqlite://./kefu-data/kefu.db"), "sqlite://./kefu-data/kefu.db");
    }
}

/// The outcome of checking every audit chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditVerifyReport {
    pub chains: usize,
    pub records: i64,
}

/// Check every audit chain end to end (`kefu audit verify`). Returns the first break found.
pub async fn verify_audit(
    store: &dyn Store,
) -> Result<std::result::Result<AuditVerifyReport, kefu_core::audit::ChainBreak>> {
    let heads = store.audit_chain_heads().await?;
    let mut records = 0;
    for head in &heads {
        let mut v = kefu_core::audit::ChainVerifier::new(&head.chain);
        let mut after = 0;
        loop {
            let batch = store.audit_chain_records(&head.chain, after, 1000).await?;
            if batch.is_empty() {
                break;
            }
            for r in &batch {
                if let Err(b) = v.feed(r) {
                    return Ok(Err(b));
                }
                after = r.seq;
            }
        }
        match v.finish(head.last_seq, &head.last_hash) {
            Ok(n) => records += n,
            Err(b) => return Ok(Err(b)),
        }
    }
    Ok(Ok(AuditVerifyReport { chains: heads.len(), records }))
}

/// Helpers for tests of kefu and of code built on it: a fresh database on each backend.
pub mod test_support {
    use sqlx::Connection;

    /// The PostgreSQL server tests use: `KEFU_TEST_PG` or the local server on 127.0.0.1:5432.
    pub fn pg_admin_url() -> String {
        std::env::var("KEFU_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
    }

    /// Create an empty database with a unique name and return its URL.
    pub async fn fresh_postgres_url() -> String {
        let admin = pg_admin_url();
        let mut conn = sqlx::PgConnection::connect(&admin).await.unwrap_or_else(|e| {
            panic!("PostgreSQL at {} is required for this test: {e}", crate::redact_url(&admin))
        });
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let name = format!("kefu_test_{}_{}", std::process::id(), nanos);
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .expect("create test database");
        let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
        format!("{base}/{name}")
    }

    /// A new SQLite database file URL inside `dir`.
    pub fn sqlite_url(dir: &std::path::Path) -> String {
        format!("sqlite://{}", dir.join("kefu.db").display())
    }
}
