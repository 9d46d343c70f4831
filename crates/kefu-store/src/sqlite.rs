//! The SQLite backend, kefu's embedded default: WAL journal, `busy_timeout`, foreign keys on, one writer
//! connection (SQLite allows one writer at a time; queueing in the pool beats "database is locked") and a
//! small pool of readers that WAL lets run beside it.

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::str::FromStr;
use std::time::Duration;

type Db = sqlx::Sqlite;
type DbRow = sqlx::sqlite::SqliteRow;
type StoreImpl = SqliteStore;
const BACKEND: Backend = Backend::Sqlite;
/// SQLite has one writer at a time, so a transaction that writes already holds the chain head.
const FOR_UPDATE: &str = "";

pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    cipher: std::sync::RwLock<Option<std::sync::Arc<crate::crypto::PiiCipher>>>,
}

impl SqliteStore {
    /// Open (creating if missing) the database at a `sqlite://PATH` URL.
    pub async fn connect(url: &str) -> Result<SqliteStore> {
        let opts = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL in WAL mode keeps every committed transaction across a crash of the process.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(opts.clone())
            .await?;
        // Each SQLite connection runs on its own worker thread; more readers than cores only adds
        // context switches (measured: the wake-ups between them dominate a small read).
        let readers = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 4) as u32;
        let reader = SqlitePoolOptions::new()
            .max_connections(readers)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(opts)
            .await?;
        Ok(SqliteStore { writer, reader, cipher: Default::default() })
    }

    pub async fn migrate(&self) -> Result<()> {
        crate::migrations::sqlite().run(&self.writer).await?;
        Ok(())
    }

    /// The writer pool, for tests that must reach under the interface (e.g. to tamper with the audit trail).
    pub fn raw_pool(&self) -> &SqlitePool {
        &self.writer
    }
}

/// `VACUUM INTO` writes a consistent snapshot of the live database to a new file without blocking writers.
async fn backup_impl(s: &SqliteStore, path: &std::path::Path) -> Result<()> {
    if path.exists() {
        return Err(StoreError::Other(format!("{} exists already; choose a new file", path.display())));
    }
    let p = path.to_str().ok_or_else(|| StoreError::Other("backup path must be valid UTF-8".into()))?;
    sqlx::query("VACUUM INTO $1").bind(p).execute(&s.reader).await?;
    Ok(())
}

include!("shared.rs");

/// The newest `$W` entries matching `$1` (FTS5 walks its rowids backwards without sorting).
const SEARCH_NEWEST: &str =
    "SELECT ticket_id, text FROM ticket_search WHERE ticket_search MATCH $1 ORDER BY rowid DESC LIMIT $W";

fn search_expr(terms: &[String]) -> Option<String> {
    kefu_core::text::fts5_match_expr(terms)
}

include!("shared_tickets.rs");
include!("shared_sla.rs");
include!("shared_reports.rs");
include!("shared_routing.rs");
include!("shared_quick_replies.rs");
/// Claiming jobs: SQLite's single writer already serialises claims.
const SKIP_LOCKED: &str = "";
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
