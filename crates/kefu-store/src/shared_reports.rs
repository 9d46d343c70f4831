// Dashboard queries shared by both backends; `include!`d after `shared_tickets.rs`. Every query counts in
// the database: `$1` is the scope's merchant filter, `$2` the report's merchant, then the period.

use crate::reports::*;

/// Tickets in the scope and the report's merchant (`$1`, `$2`).
const REPORT_SCOPE: &str = "($1 IS NULL OR merchant_id = $1) AND ($2 IS NULL OR merchant_id = $2)";
/// Tickets being worked on (`TicketStatus::is_active`).
const ACTIVE: &str = "status IN ('new', 'open', 'pending_customer', 'on_hold')";

fn counts_by(rows: &[DbRow]) -> Result<Vec<CountBy>> {
    rows.iter().map(|r| Ok(CountBy { key: r.try_get("k")?, count: r.try_get("n")? })).collect()
}

impl StoreImpl {
    /// `SELECT {key} AS k, COUNT(*) …` over the period's tickets, largest first.
    async fn count_created_by(&self, s: &Scope, f: &OverviewFilter, key: &str) -> Result<Vec<CountBy>> {
        let sql = format!(
            "SELECT {key} AS k, COUNT(*) AS n FROM tickets WHERE {REPORT_SCOPE} AND created_at >= $3 AND created_at < $4 \
             GROUP BY {key} ORDER BY n DESC, k"
        );
        let rows = sqlx::query(&sql)
            .bind(s.merchant_filter())
            .bind(f.merchant_id)
            .bind(f.from.0)
            .bind(f.to.0)
            .fetch_all(&self.reader)
            .await?;
        counts_by(&rows)
    }
}

#[async_trait]
impl ReportStore for StoreImpl {
    async fn ticket_overview(&self, s: &Scope, f: &OverviewFilter) -> Result<TicketOverview> {
        let by_channel = self.count_created_by(s, f, "channel").await?;
        let by_category = self.count_created_by(s, f, "category").await?;
        let by_status = self.count_created_by(s, f, "status").await?;
        let created = by_status.iter().map(|c| c.count).sum();

        // Shanghai is UTC+8 all year (no daylight saving since 1991), so its hour is plain arithmetic.
        let hours = sqlx::query(&format!(
            "SELECT ((created_at + 28800000) / 3600000) % 24 AS h, COUNT(*) AS n FROM tickets \
             WHERE {REPORT_SCOPE} AND created_at >= $3 AND created_at < $4 GROUP BY 1"
        ))
        .bind(s.merchant_filter())
        .bind(f.merchant_id)
        .bind(f.from.0)
        .bind(f.to.0)
        .fetch_all(&self.reader)
        .await?;
        let mut by_hour = vec![0i64; 24];
        for r in &hours {
            let h: i64 = r.try_get("h")?;
            if let Some(slot) = usize::try_from(h).ok().and_then(|h| by_hour.get_mut(h)) {
                *slot = r.try_get("n")?;
            }
        }

        let open = sqlx::query(&format!(
            "SELECT status AS k, COUNT(*) AS n FROM tickets WHERE {REPORT_SCOPE} AND {ACTIVE} GROUP BY status ORDER BY n DESC, k"
        ))
        .bind(s.merchant_filter())
        .bind(f.merchant_id)
        .fetch_all(&self.reader)
        .await?;
        let escalated = sqlx::query(&format!(
            "SELECT COUNT(*) AS n FROM tickets WHERE {REPORT_SCOPE} AND {ACTIVE} AND tier <> 'l1'"
        ))
        .bind(s.merchant_filter())
        .bind(f.merchant_id)
        .fetch_one(&self.reader)
        .await?;

        // First responses: count and mean in one pass, then the median as the middle row(s) of the
        // sorted durations — portable SQL (SQLite has no percentile function).
        let answered = format!(
            "FROM tickets WHERE {REPORT_SCOPE} AND created_at >= $3 AND created_at < $4 AND first_response_at IS NOT NULL"
        );
        let agg = sqlx::query(&format!(
            "SELECT COUNT(*) AS n, AVG(CAST(first_response_at - created_at AS DOUBLE PRECISION)) AS avg_ms {answered}"
        ))
        .bind(s.merchant_filter())
        .bind(f.merchant_id)
        .bind(f.from.0)
        .bind(f.to.0)
        .fetch_one(&self.reader)
        .await?;
        let count: i64 = agg.try_get("n")?;
        let avg_ms: Option<f64> = agg.try_get("avg_ms")?;
        let median_secs = if count > 0 {
            let middle = sqlx::query(&format!(
                "SELECT first_response_at - created_at AS d {answered} ORDER BY d LIMIT $5 OFFSET $6"
            ))
            .bind(s.merchant_filter())
            .bind(f.merchant_id)
            .bind(f.from.0)
            .bind(f.to.0)
            .bind(if count % 2 == 0 { 2i64 } else { 1 })
            .bind((count - 1) / 2)
            .fetch_all(&self.reader)
            .await?;
            let ds: Vec<i64> = middle.iter().map(|r| r.try_get("d")).collect::<std::result::Result<_, _>>()?;
            (!ds.is_empty()).then(|| ds.iter().sum::<i64>() as f64 / ds.len() as f64 / 1000.0)
        } else {
            None
        };
        let awaiting = sqlx::query(&format!(
            "SELECT COUNT(*) AS n FROM tickets WHERE {REPORT_SCOPE} AND created_at >= $3 AND created_at < $4 \
             AND {ACTIVE} AND first_response_at IS NULL"
        ))
        .bind(s.merchant_filter())
        .bind(f.merchant_id)
        .bind(f.from.0)
        .bind(f.to.0)
        .fetch_one(&self.reader)
        .await?;

        Ok(TicketOverview {
            created,
            by_channel,
            by_category,
            by_hour,
            by_status,
            open_by_status: counts_by(&open)?,
            escalated_open: escalated.try_get("n")?,
            first_response: FirstResponseStats {
                count,
                avg_secs: avg_ms.map(|ms| ms / 1000.0),
                median_secs,
                awaiting: awaiting.try_get("n")?,
            },
        })
    }
}
