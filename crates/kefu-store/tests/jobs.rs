//! The durable job queue on both backends: dedupe, due order, leases taken over after a crash,
//! retries, giving up, replay, and concurrent claimers never sharing a job.

use kefu_core::time::Millis;
use kefu_store::*;
use std::collections::HashSet;
use std::sync::Arc;

const T0: i64 = 1_790_000_000_000;

fn job(kind: &str, at: i64, key: Option<&str>) -> NewJob {
    NewJob {
        kind: kind.into(),
        merchant_id: None,
        payload: format!("{{\"n\":{at}}}"),
        max_attempts: 2,
        run_at: Millis(at),
        dedupe_key: key.map(str::to_string),
    }
}

async fn queue_story(store: Arc<dyn Store>) {
    // The same dedupe key enqueues once.
    let a = store.enqueue_job(job("email.send", T0, Some("email:1"))).await.unwrap();
    let again = store.enqueue_job(job("email.send", T0, Some("email:1"))).await.unwrap();
    assert_eq!(a, again);
    let later = store.enqueue_job(job("email.send", T0 + 60_000, None)).await.unwrap();
    let other_kind = store.enqueue_job(job("other.kind", T0, None)).await.unwrap();

    // Only due jobs of the asked kinds are claimed; the next due instant is reported.
    let claimed = store.claim_jobs("n1", &["email.send"], Millis(T0), Millis(T0 + 1000), 10).await.unwrap();
    assert_eq!(claimed.iter().map(|j| j.id).collect::<Vec<_>>(), vec![a]);
    assert_eq!(claimed[0].attempts, 1);
    assert_eq!(claimed[0].state, "running");
    assert_eq!(store.next_job_due(&["email.send"]).await.unwrap(), Some(Millis(T0 + 60_000)));
    assert_eq!(store.next_job_due(&["other.kind"]).await.unwrap(), Some(Millis(T0)));
    let _ = other_kind;

    // While the lease holds nobody else gets it; once it expires (the node died) another node does.
    assert!(store
        .claim_jobs("n2", &["email.send"], Millis(T0 + 500), Millis(T0 + 2000), 10)
        .await
        .unwrap()
        .is_empty());
    let taken =
        store.claim_jobs("n2", &["email.send"], Millis(T0 + 1001), Millis(T0 + 5000), 10).await.unwrap();
    assert_eq!(taken.iter().map(|j| j.id).collect::<Vec<_>>(), vec![a]);
    assert_eq!(taken[0].attempts, 2);
    // The node that lost the lease cannot record an outcome.
    assert!(!store.finish_job(a, "n1", Millis(T0 + 1002)).await.unwrap());

    // A failed attempt with a retry instant is queued again; without one it has failed for good.
    assert!(store
        .fail_job(a, "n2", "smtp: 451 try later", Some(Millis(T0 + 3000)), Millis(T0 + 1003))
        .await
        .unwrap());
    let j = store.get_job(a).await.unwrap().unwrap();
    assert_eq!(
        (j.state.as_str(), j.run_at, j.last_error.as_deref()),
        ("queued", Millis(T0 + 3000), Some("smtp: 451 try later"))
    );
    let again =
        store.claim_jobs("n2", &["email.send"], Millis(T0 + 3000), Millis(T0 + 9000), 10).await.unwrap();
    assert_eq!(again.len(), 1);
    assert!(store.fail_job(a, "n2", "smtp: 550 no such user", None, Millis(T0 + 3001)).await.unwrap());
    assert_eq!(store.get_job(a).await.unwrap().unwrap().state, "failed");
    let failed = store
        .list_jobs(&JobFilter { state: Some("failed".into()), limit: 10, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(failed.iter().map(|j| j.id).collect::<Vec<_>>(), vec![a]);

    // Replay queues it again with a fresh attempt budget; a queued job cannot be replayed.
    let replayed = store.requeue_job(a, Millis(T0 + 4000)).await.unwrap().unwrap();
    assert_eq!((replayed.state.as_str(), replayed.run_at), ("queued", Millis(T0 + 4000)));
    assert!(replayed.max_attempts > replayed.attempts);
    assert!(store.requeue_job(later, Millis(T0 + 4000)).await.unwrap().is_none());
    let done =
        store.claim_jobs("n3", &["email.send"], Millis(T0 + 4000), Millis(T0 + 9000), 1).await.unwrap();
    assert_eq!(done[0].id, a);
    assert!(store.finish_job(a, "n3", Millis(T0 + 4001)).await.unwrap());
    assert_eq!(store.get_job(a).await.unwrap().unwrap().state, "done");

    // Concurrent claimers never share a job.
    for i in 0..40 {
        store.enqueue_job(job("bulk", T0 + i, None)).await.unwrap();
    }
    let claims = (0..4).map(|n| {
        let s = store.clone();
        tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let got = s
                    .claim_jobs(&format!("c{n}"), &["bulk"], Millis(T0 + 100), Millis(T0 + 99_999), 3)
                    .await
                    .unwrap();
                if got.is_empty() {
                    break mine;
                }
                mine.extend(got.into_iter().map(|j| j.id));
            }
        })
    });
    let mut all = Vec::new();
    for c in claims {
        all.extend(c.await.unwrap());
    }
    let distinct: HashSet<i64> = all.iter().copied().collect();
    assert_eq!((all.len(), distinct.len()), (40, 40));

    // Cursors start at zero and keep what is set.
    assert_eq!(store.get_cursor("webhooks").await.unwrap(), 0);
    store.set_cursor("webhooks", 42).await.unwrap();
    store.set_cursor("webhooks", 43).await.unwrap();
    assert_eq!(store.get_cursor("webhooks").await.unwrap(), 43);
}

#[tokio::test]
async fn job_queue_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    queue_story(open(&test_support::sqlite_url(dir.path()), true).await.unwrap()).await;
}

#[tokio::test]
async fn job_queue_on_postgres() {
    queue_story(open(&test_support::fresh_postgres_url().await, true).await.unwrap()).await;
}
