//! The durable job queue (任务队列): work that must happen after a commit and survive a crash — outbound
//! email, webhook deliveries, calls to a shop system. A job is claimed with a lease; a node that dies
//! mid-job leaves the lease to expire and another round picks the job up again. Failures are retried
//! with backoff until `max_attempts`, then the job stays `failed` (visible, and replayable).
//!
//! The event feed (`event_feed`) reads the ticket event log in order, so consumers (webhooks, outbound
//! email) can turn committed events into jobs without a second write in the ticket's transaction.

use crate::Result;
use async_trait::async_trait;
use kefu_core::time::Millis;
use serde::Serialize;
use utoipa::ToSchema;

/// A job's life: queued → running → done, or back to queued (retry) or failed (gave up).
pub const JOB_STATES: [&str; 4] = ["queued", "running", "done", "failed"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Job {
    pub id: i64,
    /// What to do, e.g. `email.send`, `webhook.deliver`.
    pub kind: String,
    pub merchant_id: Option<i64>,
    /// The job's input as JSON, read by the handler of its kind.
    pub payload: String,
    /// `queued`, `running`, `done` or `failed`.
    pub state: String,
    pub attempts: i64,
    pub max_attempts: i64,
    /// When it is next due.
    pub run_at: Millis,
    pub last_error: Option<String>,
    /// Makes enqueueing idempotent: a second job with the same key is not created.
    pub dedupe_key: Option<String>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: String,
    pub merchant_id: Option<i64>,
    pub payload: String,
    pub max_attempts: i64,
    pub run_at: Millis,
    pub dedupe_key: Option<String>,
}

/// One committed ticket event, as the feed gives it.
#[derive(Debug, Clone)]
pub struct FeedEvent {
    /// The event's global id (increasing with commit order, up to concurrent commits).
    pub id: i64,
    pub ticket_id: i64,
    pub merchant_id: Option<i64>,
    pub at: Millis,
    /// The event kind's wire name, e.g. `staff_replied`.
    pub kind: String,
    /// The `TicketEvent` as JSON.
    pub payload: String,
}

/// Which jobs to list.
#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    /// `None` lists every merchant's (platform scope only; the server enforces that).
    pub merchant_id: Option<i64>,
    pub kind: Option<String>,
    pub state: Option<String>,
    pub limit: i64,
}

#[async_trait]
pub trait JobStore: Send + Sync {
    /// Enqueue; with a `dedupe_key` already present, nothing is added and the existing job's id returned.
    async fn enqueue_job(&self, job: NewJob) -> Result<i64>;
    /// Claim up to `limit` due jobs of the given kinds for `node` until `lease_until`: queued ones whose
    /// `run_at` has come, and running ones whose lease expired (their node died). Each claim counts an attempt.
    async fn claim_jobs(
        &self,
        node: &str,
        kinds: &[&str],
        now: Millis,
        lease_until: Millis,
        limit: i64,
    ) -> Result<Vec<Job>>;
    /// Done. Returns false when the lease was lost (another node took the job over).
    async fn finish_job(&self, id: i64, node: &str, now: Millis) -> Result<bool>;
    /// Failed this attempt: queued again at `retry_at`, or `failed` for good when `retry_at` is `None`.
    async fn fail_job(
        &self,
        id: i64,
        node: &str,
        error: &str,
        retry_at: Option<Millis>,
        now: Millis,
    ) -> Result<bool>;
    async fn get_job(&self, id: i64) -> Result<Option<Job>>;
    async fn list_jobs(&self, filter: &JobFilter) -> Result<Vec<Job>>;
    /// Queue a failed (or done) job again now, with a fresh attempt budget (replay).
    async fn requeue_job(&self, id: i64, now: Millis) -> Result<Option<Job>>;
    /// The earliest `run_at` of a queued job of these kinds (the worker sleeps until then).
    async fn next_job_due(&self, kinds: &[&str]) -> Result<Option<Millis>>;
    /// Committed ticket events with id greater than `after`, oldest first, at most `limit`.
    async fn event_feed(&self, after: i64, limit: i64) -> Result<Vec<FeedEvent>>;
    /// A named cursor of a feed consumer (0 when new).
    async fn get_cursor(&self, name: &str) -> Result<i64>;
    async fn set_cursor(&self, name: &str, value: i64) -> Result<()>;
}
