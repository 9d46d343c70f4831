// Job queue and event feed queries shared by both backends; `include!`d after `shared_quick_replies.rs`.

use crate::jobs::*;

fn job_row(r: &DbRow) -> Result<Job> {
    Ok(Job {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        merchant_id: r.try_get("merchant_id")?,
        payload: r.try_get("payload")?,
        state: r.try_get("state")?,
        attempts: r.try_get("attempts")?,
        max_attempts: r.try_get("max_attempts")?,
        run_at: Millis(r.try_get("run_at")?),
        last_error: r.try_get("last_error")?,
        dedupe_key: r.try_get("dedupe_key")?,
        created_at: Millis(r.try_get("created_at")?),
        updated_at: Millis(r.try_get("updated_at")?),
    })
}

/// `$first, $first+1, …` for an IN list of `n` values.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

#[async_trait]
impl JobStore for StoreImpl {
    async fn enqueue_job(&self, job: NewJob) -> Result<i64> {
        let mut tx = self.writer.begin().await?;
        if let Some(key) = &job.dedupe_key {
            let row = sqlx::query("SELECT id FROM jobs WHERE dedupe_key = $1").bind(key).fetch_optional(&mut *tx).await?;
            if let Some(r) = row {
                return Ok(r.try_get("id")?);
            }
        }
        let row = sqlx::query(
            "INSERT INTO jobs (kind, merchant_id, payload, max_attempts, run_at, dedupe_key, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
        )
        .bind(&job.kind)
        .bind(job.merchant_id)
        .bind(&job.payload)
        .bind(job.max_attempts.max(1))
        .bind(job.run_at.0)
        .bind(&job.dedupe_key)
        .bind(job.run_at.0)
        .fetch_one(&mut *tx)
        .await;
        let row = match row {
            Ok(r) => r,
            // A concurrent enqueue with the same key won the race: answer its job.
            Err(e) if job.dedupe_key.is_some() && e.as_database_error().is_some_and(|d| d.is_unique_violation()) => {
                drop(tx);
                let r = sqlx::query("SELECT id FROM jobs WHERE dedupe_key = $1")
                    .bind(&job.dedupe_key)
                    .fetch_one(&self.writer)
                    .await?;
                return Ok(r.try_get("id")?);
            }
            Err(e) => return Err(e.into()),
        };
        tx.commit().await?;
        Ok(row.try_get("id")?)
    }

    async fn claim_jobs(
        &self,
        node: &str,
        kinds: &[&str],
        now: Millis,
        lease_until: Millis,
        limit: i64,
    ) -> Result<Vec<Job>> {
        if kinds.is_empty() || limit <= 0 {
            return Ok(Vec::new());
        }
        let sql = format!(
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_by = $1, locked_until = $2, updated_at = $3 \
             WHERE id IN (SELECT id FROM jobs WHERE kind IN ({}) AND \
             ((state = 'queued' AND run_at <= $3) OR (state = 'running' AND locked_until < $3)) \
             ORDER BY run_at, id LIMIT $4{SKIP_LOCKED}) RETURNING *",
            placeholders(5, kinds.len())
        );
        let mut q = sqlx::query(&sql).bind(node).bind(lease_until.0).bind(now.0).bind(limit);
        for k in kinds {
            q = q.bind(*k);
        }
        let rows = q.fetch_all(&self.writer).await?;
        let mut jobs = rows.iter().map(job_row).collect::<Result<Vec<_>>>()?;
        jobs.sort_by_key(|j| (j.run_at, j.id));
        Ok(jobs)
    }

    async fn finish_job(&self, id: i64, node: &str, now: Millis) -> Result<bool> {
        let r = sqlx::query(
            "UPDATE jobs SET state = 'done', locked_by = NULL, locked_until = NULL, last_error = NULL, updated_at = $3 \
             WHERE id = $1 AND state = 'running' AND locked_by = $2",
        )
        .bind(id)
        .bind(node)
        .bind(now.0)
        .execute(&self.writer)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    async fn fail_job(
        &self,
        id: i64,
        node: &str,
        error: &str,
        retry_at: Option<Millis>,
        now: Millis,
    ) -> Result<bool> {
        let error: String = error.chars().take(2000).collect();
        let (state, run_at) = match retry_at {
            Some(at) => ("queued", Some(at.0)),
            None => ("failed", None),
        };
        let r = sqlx::query(
            "UPDATE jobs SET state = $3, run_at = COALESCE($4, run_at), last_error = $5, locked_by = NULL, \
             locked_until = NULL, updated_at = $6 WHERE id = $1 AND state = 'running' AND locked_by = $2",
        )
        .bind(id)
        .bind(node)
        .bind(state)
        .bind(run_at)
        .bind(&error)
        .bind(now.0)
        .execute(&self.writer)
        .await?;
        Ok(r.rows_affected() == 1)
    }

    async fn get_job(&self, id: i64) -> Result<Option<Job>> {
        let row = sqlx::query("SELECT * FROM jobs WHERE id = $1").bind(id).fetch_optional(&self.reader).await?;
        row.as_ref().map(job_row).transpose()
    }

    async fn list_jobs(&self, f: &JobFilter) -> Result<Vec<Job>> {
        let rows = sqlx::query(
            "SELECT * FROM jobs WHERE ($1 IS NULL OR merchant_id = $1) AND ($2 IS NULL OR kind = $2) \
             AND ($3 IS NULL OR state = $3) ORDER BY id DESC LIMIT $4",
        )
        .bind(f.merchant_id)
        .bind(&f.kind)
        .bind(&f.state)
        .bind(f.limit.clamp(1, 500))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(job_row).collect()
    }

    async fn requeue_job(&self, id: i64, now: Millis) -> Result<Option<Job>> {
        let row = sqlx::query(
            "UPDATE jobs SET state = 'queued', run_at = $2, max_attempts = attempts + max_attempts, \
             locked_by = NULL, locked_until = NULL, updated_at = $2 WHERE id = $1 AND state IN ('failed', 'done') RETURNING *",
        )
        .bind(id)
        .bind(now.0)
        .fetch_optional(&self.writer)
        .await?;
        row.as_ref().map(job_row).transpose()
    }

    async fn next_job_due(&self, kinds: &[&str]) -> Result<Option<Millis>> {
        if kinds.is_empty() {
            return Ok(None);
        }
        let sql = format!(
            "SELECT MIN(run_at) AS due FROM jobs WHERE state = 'queued' AND kind IN ({})",
            placeholders(1, kinds.len())
        );
        let mut q = sqlx::query(&sql);
        for k in kinds {
            q = q.bind(*k);
        }
        let row = q.fetch_one(&self.reader).await?;
        let due: Option<i64> = row.try_get("due")?;
        Ok(due.map(Millis))
    }

    async fn event_feed(&self, after: i64, limit: i64) -> Result<Vec<FeedEvent>> {
        let rows = sqlx::query(
            "SELECT e.id, e.ticket_id, t.merchant_id, e.at, e.kind, e.payload FROM ticket_events e \
             JOIN tickets t ON t.id = e.ticket_id WHERE e.id > $1 ORDER BY e.id LIMIT $2",
        )
        .bind(after)
        .bind(limit.clamp(1, 10_000))
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(FeedEvent {
                    id: r.try_get("id")?,
                    ticket_id: r.try_get("ticket_id")?,
                    merchant_id: r.try_get("merchant_id")?,
                    at: Millis(r.try_get("at")?),
                    kind: r.try_get("kind")?,
                    payload: r.try_get("payload")?,
                })
            })
            .collect()
    }

    async fn get_cursor(&self, name: &str) -> Result<i64> {
        let row = sqlx::query("SELECT value FROM feed_cursors WHERE name = $1").bind(name).fetch_optional(&self.writer).await?;
        Ok(match row {
            Some(r) => r.try_get("value")?,
            None => 0,
        })
    }

    async fn set_cursor(&self, name: &str, value: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO feed_cursors (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = $2",
        )
        .bind(name)
        .bind(value)
        .execute(&self.writer)
        .await?;
        Ok(())
    }
}
