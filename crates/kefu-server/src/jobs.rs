//! The job worker and the event feed.
//!
//! **Jobs.** Work that must survive a crash and be retried (outbound email, webhook deliveries) is a row
//! in the durable queue (`kefu_store::JobStore`). The worker claims due jobs with a lease, runs each by
//! its kind (`run_job`), and records the outcome: done; queued again with exponential backoff; or
//! failed for good after its last attempt (kept for inspection and replay). A node that dies mid-job
//! leaves its lease to expire; any node then takes the job over. A job may be due later (`run_at`):
//! after-sales time limits are jobs written in the same transaction as the change that starts them
//! (`kefu-store` `shared_aftersales.rs`), so a timer survives restarts and fires on whichever node runs.
//!
//! **Feed.** Consumers that react to ticket changes (webhooks, outbound email) read the committed event
//! log in order through `run_feed_round` and turn events into jobs with a dedupe key, so a replayed
//! event never makes a second job. The cursor only passes events older than `FEED_SETTLE_MS`: on
//! PostgreSQL a transaction that started earlier may commit a smaller id later, and such an event is
//! still seen.

use crate::state::AppState;
use kefu_core::time::Millis;
use kefu_store::{FeedEvent, Job, NewJob};
use serde::Serialize;
use std::collections::HashSet;
use std::future::Future;
use std::time::Duration;

/// How long a claimed job is held before another node may take it over.
pub const LEASE_MS: i64 = 5 * 60 * 1000;
/// Events newer than this may still be joined by concurrent commits with smaller ids.
pub const FEED_SETTLE_MS: i64 = 30_000;
/// Default attempts before a job is given up.
pub const DEFAULT_ATTEMPTS: i64 = 8;

/// Why an attempt failed; `permanent` skips the remaining attempts (e.g. a malformed payload).
#[derive(Debug, Clone)]
pub struct JobFailure {
    pub message: String,
    pub permanent: bool,
}

impl JobFailure {
    pub fn retry(message: impl Into<String>) -> JobFailure {
        JobFailure { message: message.into(), permanent: false }
    }
    pub fn permanent(message: impl Into<String>) -> JobFailure {
        JobFailure { message: message.into(), permanent: true }
    }
}

/// Every job kind the worker runs. A job of another kind stays queued (a newer node may know it).
pub const KINDS: &[&str] = &[
    crate::channels::email::outbound::SEND_KIND,
    crate::channels::webhooks::DELIVER,
    crate::aftersales::EXPIRE_KIND,
    crate::shop::SEND_KIND,
];

/// Run one job by its kind.
async fn run_job(state: &AppState, job: &Job) -> Result<(), JobFailure> {
    match job.kind.as_str() {
        crate::channels::email::outbound::SEND_KIND => {
            crate::channels::email::outbound::run_job(state, job).await
        }
        crate::channels::webhooks::DELIVER => crate::channels::webhooks::deliver(state, job).await,
        crate::aftersales::EXPIRE_KIND => crate::aftersales::run_timer(state, job).await,
        crate::shop::SEND_KIND => crate::shop::run_job(state, job).await,
        _ => Err(JobFailure::permanent(format!("no handler for job kind '{}'", job.kind))),
    }
}

/// The delay before attempt `attempt + 1`: base · 2^(attempt-1), at most an hour.
pub fn backoff(base_ms: u64, attempt: i64) -> i64 {
    let exp = attempt.clamp(1, 20) as u32 - 1;
    (base_ms.saturating_mul(1u64 << exp)).min(3_600_000) as i64
}

/// Enqueue a job of `kind` with a JSON payload.
pub async fn enqueue(
    state: &AppState,
    kind: &str,
    merchant_id: Option<i64>,
    payload: &impl Serialize,
    dedupe_key: Option<String>,
    now: Millis,
) -> anyhow::Result<i64> {
    let payload = serde_json::to_string(payload)?;
    let id = state
        .store
        .enqueue_job(NewJob {
            kind: kind.into(),
            merchant_id,
            payload,
            max_attempts: DEFAULT_ATTEMPTS,
            run_at: now,
            dedupe_key,
        })
        .await?;
    state.jobs_wake.notify_one();
    Ok(id)
}

/// Claim and run every job due now (at most `limit`); returns how many ran. Tests call it directly.
pub async fn run_due(state: &AppState, node: &str, now: Millis, limit: i64) -> anyhow::Result<usize> {
    let jobs = state.store.claim_jobs(node, KINDS, now, Millis(now.0 + LEASE_MS), limit).await?;
    let n = jobs.len();
    let runs = jobs.into_iter().map(|job| async move {
        let outcome = run_job(state, &job).await;
        let done_at = crate::auth::now();
        let recorded = match outcome {
            Ok(()) => state.store.finish_job(job.id, node, done_at).await,
            Err(f) => {
                let retry = (!f.permanent && job.attempts < job.max_attempts)
                    .then(|| Millis(done_at.0 + backoff(state.config.job_retry_base_ms, job.attempts)));
                tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempts, retry = retry.is_some(),
                    error = %f.message, "job attempt failed");
                state.store.fail_job(job.id, node, &f.message, retry, done_at).await
            }
        };
        if let Err(e) = recorded {
            tracing::error!(job = job.id, error = %e, "could not record a job's outcome");
        }
    });
    futures_util::future::join_all(runs).await;
    Ok(n)
}

/// The worker loop: runs due jobs, then sleeps until the next is due, a local enqueue, or 1 s.
pub async fn run_worker(state: AppState) {
    let node = format!("node-{}-{}", std::process::id(), crate::auth::new_token("j"));
    loop {
        let ran = match run_due(&state, &node, crate::auth::now(), 32).await {
            Ok(n) => n,
            Err(e) => {
                tracing::error!(error = %e, "job round failed");
                0
            }
        };
        if ran > 0 {
            continue;
        }
        let wait = match state.store.next_job_due(KINDS).await {
            Ok(Some(at)) => (at.0 - crate::auth::now().0).clamp(0, 1000) as u64,
            _ => 1000,
        };
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(wait)) => {}
            _ = state.jobs_wake.notified() => {}
        }
    }
}

/// Where a feed consumer is: its durable cursor plus the events past it already handled on this node.
#[derive(Debug, Default)]
pub struct FeedPosition {
    seen: HashSet<i64>,
}

/// One round of a feed consumer named `name`: hand every committed event past its cursor to `handle`
/// (which must be idempotent: it enqueues with a dedupe key), then move the cursor past the settled ones.
/// An event whose handling fails is tried again next round.
pub async fn run_feed_round<F, Fut>(
    state: &AppState,
    name: &str,
    pos: &mut FeedPosition,
    now: Millis,
    handle: F,
) -> anyhow::Result<usize>
where
    F: Fn(FeedEvent) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let cursor = state.store.get_cursor(name).await?;
    let events = state.store.event_feed(cursor, 2000).await?;
    let mut settled = cursor;
    let mut blocked = false;
    let mut handled = 0;
    for e in events {
        let id = e.id;
        let at = e.at;
        if !pos.seen.contains(&id) {
            match handle(e).await {
                Ok(()) => {
                    pos.seen.insert(id);
                    handled += 1;
                }
                Err(err) => {
                    tracing::warn!(consumer = name, event = id, error = %err, "feed event not handled; retried next round");
                    blocked = true;
                }
            }
        }
        // The cursor stops at the first event that failed or may still be joined by a smaller id.
        if blocked || at.0 >= now.0 - FEED_SETTLE_MS {
            blocked = true;
        } else {
            settled = id;
        }
    }
    if settled > cursor {
        state.store.set_cursor(name, settled).await?;
        pos.seen.retain(|&id| id > settled);
    }
    Ok(handled)
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn retries_wait_twice_as_long_each_time_up_to_an_hour() {
        assert_eq!(backoff(30_000, 1), 30_000);
        assert_eq!(backoff(30_000, 2), 60_000);
        assert_eq!(backoff(30_000, 4), 240_000);
        assert_eq!(backoff(30_000, 12), 3_600_000);
        assert_eq!(backoff(100, 0), 100);
    }
}
