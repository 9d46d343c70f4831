//! The PostgreSQL backend, for many stateless kefu nodes sharing one database.

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::str::FromStr;
use std::time::Duration;

type Db = sqlx::Postgres;
type DbRow = sqlx::postgres::PgRow;
type StoreImpl = PgStore;
const BACKEND: Backend = Backend::Postgres;
/// Lock the audit chain head so concurrent writers of one merchant take sequence numbers in turn.
const FOR_UPDATE: &str = " FOR UPDATE";

pub struct PgStore {
    writer: PgPool,
    reader: PgPool,
    cipher: std::sync::RwLock<Option<std::sync::Arc<crate::crypto::PiiCipher>>>,
}

impl PgStore {
    pub async fn connect(url: &str) -> Result<PgStore> {
        let opts = PgConnectOptions::from_str(url)?.application_name("kefu");
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(opts)
            .await?;
        Ok(PgStore { writer: pool.clone(), reader: pool, cipher: Default::default() })
    }

    pub async fn migrate(&self) -> Result<()> {
        crate::migrations::postgres().run(&self.writer).await?;
        Ok(())
    }

    /// The pool, for tests that must reach under the interface (e.g. to tamper with the audit trail).
    pub fn raw_pool(&self) -> &PgPool {
        &self.writer
    }
}

/// Online backups of PostgreSQL are `pg_dump`'s job (see the README); kefu does not reimplement them.
async fn backup_impl(_s: &PgStore, _path: &std::path::Path) -> Result<()> {
    Err(StoreError::Other(
        "kefu backup copies the SQLite database; for PostgreSQL use pg_dump --format=custom and pg_restore"
            .into(),
    ))
}

include!("shared.rs");

/// The newest `$W` entries matching `$1` (GIN index on the same expression).
const SEARCH_NEWEST: &str = "SELECT ticket_id, text FROM ticket_search \
     WHERE to_tsvector('simple', text) @@ to_tsquery('simple', $1) ORDER BY id DESC LIMIT $W";

fn search_expr(terms: &[String]) -> Option<String> {
    kefu_core::text::tsquery_expr(terms)
}

include!("shared_tickets.rs");
include!("shared_sla.rs");
include!("shared_reports.rs");
include!("shared_routing.rs");
include!("shared_quick_replies.rs");
/// Claiming jobs: concurrent claimers skip rows another holds.
const SKIP_LOCKED: &str = " FOR UPDATE SKIP LOCKED";
include!("shared_jobs.rs");
include!("shared_orders.rs");
include!("shared_aftersales.rs");
include!("shared_email.rs");
include!("shared_integrations.rs");
include!("shared_chat.rs");
include!("shared_approvals.rs");
include!("shared_satisfaction.rs");
include!("shared_complaints.rs");
include!("shared_shop.rs");
include!("shared_nps.rs");
