// Net Promoter Score surveys (净推荐值调查), shared by both backends; `include!`d by `sqlite.rs` and
// `postgres.rs`.

use crate::nps::*;
use kefu_core::nps::NpsSchedule as NpsSched;

fn nps_schedule_row(r: &DbRow) -> Result<StoredNpsSchedule> {
    Ok(StoredNpsSchedule {
        merchant_id: r.try_get("merchant_id")?,
        schedule: NpsSched { interval_days: r.try_get("interval_days")?, active: r.try_get("active")? },
        last_run_at: ms(r.try_get("last_run_at")?),
        updated_at: Millis(r.try_get("updated_at")?),
    })
}

fn nps_invitation_row(r: &DbRow) -> Result<NpsInvitation> {
    Ok(NpsInvitation {
        id: r.try_get("id")?,
        merchant_id: r.try_get("merchant_id")?,
        customer_id: r.try_get("customer_id")?,
        ticket_id: r.try_get("ticket_id")?,
        channel: r.try_get("channel")?,
        round_at: Millis(r.try_get("round_at")?),
        answered_at: ms(r.try_get("answered_at")?),
        score: r.try_get("score")?,
        comment: r.try_get("comment")?,
    })
}

#[async_trait]
impl NpsStore for StoreImpl {
    async fn get_nps_schedule(&self, s: &Scope, merchant_id: i64) -> Result<Option<StoredNpsSchedule>> {
        if !s.sees(Some(merchant_id)) {
            return Ok(None);
        }
        let r = sqlx::query("SELECT * FROM nps_schedules WHERE merchant_id = $1")
            .bind(merchant_id)
            .fetch_optional(&self.reader)
            .await?;
        r.as_ref().map(nps_schedule_row).transpose()
    }

    async fn put_nps_schedule(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        merchant_id: i64,
        schedule: &NpsSched,
    ) -> Result<StoredNpsSchedule> {
        if !s.sees(Some(merchant_id)) {
            return Err(DomainError::not_found("merchant").into());
        }
        let mut tx = self.writer.begin().await?;
        let exists = sqlx::query("SELECT id FROM merchants WHERE id = $1").bind(merchant_id).fetch_optional(&mut *tx).await?;
        if exists.is_none() {
            return Err(DomainError::not_found("merchant").into());
        }
        let before = sqlx::query(&format!("SELECT * FROM nps_schedules WHERE merchant_id = $1{FOR_UPDATE}"))
            .bind(merchant_id)
            .fetch_optional(&mut *tx)
            .await?;
        let before = before.as_ref().map(nps_schedule_row).transpose()?;
        sqlx::query(
            "INSERT INTO nps_schedules (merchant_id, interval_days, active, last_run_at, updated_at) VALUES ($1, $2, $3, NULL, $4) \
             ON CONFLICT (merchant_id) DO UPDATE SET interval_days = $2, active = $3, updated_at = $4",
        )
        .bind(merchant_id)
        .bind(schedule.interval_days)
        .bind(schedule.active)
        .bind(ctx.now.0)
        .execute(&mut *tx)
        .await?;
        let entry = ctx.entry(
            "nps.schedule",
            "nps_schedule",
            Some(merchant_id.to_string()),
            Some(merchant_id),
            before.as_ref().and_then(|b| to_json(&b.schedule)),
            to_json(schedule),
        );
        append_audit_in(&mut tx, ctx.now, entry).await?;
        let r = sqlx::query("SELECT * FROM nps_schedules WHERE merchant_id = $1").bind(merchant_id).fetch_one(&mut *tx).await?;
        let out = nps_schedule_row(&r)?;
        tx.commit().await?;
        Ok(out)
    }

    async fn active_nps_schedules(&self) -> Result<Vec<StoredNpsSchedule>> {
        let rows = sqlx::query("SELECT * FROM nps_schedules WHERE active ORDER BY merchant_id").fetch_all(&self.reader).await?;
        rows.iter().map(nps_schedule_row).collect()
    }

    async fn run_nps_round(
        &self,
        ctx: &AuditCtx,
        merchant_id: i64,
        expected_last_run: Option<Millis>,
        since: Millis,
        now: Millis,
    ) -> Result<Option<Vec<NpsInvitation>>> {
        let mut tx = self.writer.begin().await?;
        // Claim the round: only the node that moves last_run_at from what it saw runs it.
        let claimed = sqlx::query(
            "UPDATE nps_schedules SET last_run_at = $2 WHERE merchant_id = $1 AND active \
             AND (last_run_at = $3 OR (last_run_at IS NULL AND $3 IS NULL))",
        )
        .bind(merchant_id)
        .bind(now.0)
        .bind(expected_last_run.map(|m| m.0))
        .execute(&mut *tx)
        .await?;
        if claimed.rows_affected() != 1 {
            return Ok(None);
        }
        // Each customer's latest ticket resolved in the window (merged profiles left out).
        let rows = sqlx::query(
            "SELECT t.customer_id, t.id, t.channel FROM tickets t \
             JOIN customers c ON c.id = t.customer_id AND c.merged_into IS NULL \
             WHERE t.merchant_id = $1 AND t.resolved_at >= $2 AND t.resolved_at < $3 \
             AND NOT EXISTS (SELECT 1 FROM tickets u WHERE u.customer_id = t.customer_id AND u.merchant_id = t.merchant_id \
                 AND u.resolved_at >= $2 AND u.resolved_at < $3 AND (u.resolved_at > t.resolved_at OR (u.resolved_at = t.resolved_at AND u.id > t.id))) \
             ORDER BY t.customer_id",
        )
        .bind(merchant_id)
        .bind(since.0)
        .bind(now.0)
        .fetch_all(&mut *tx)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let customer: i64 = r.try_get("customer_id")?;
            let ticket: i64 = r.try_get("id")?;
            let channel: String = r.try_get("channel")?;
            let row = sqlx::query(
                "INSERT INTO nps_invitations (merchant_id, customer_id, ticket_id, channel, round_at, comment) \
                 VALUES ($1, $2, $3, $4, $5, '') RETURNING *",
            )
            .bind(merchant_id)
            .bind(customer)
            .bind(ticket)
            .bind(&channel)
            .bind(now.0)
            .fetch_one(&mut *tx)
            .await?;
            out.push(nps_invitation_row(&row)?);
        }
        let entry = ctx.entry(
            "nps.round",
            "nps_schedule",
            Some(merchant_id.to_string()),
            Some(merchant_id),
            None,
            Some(serde_json::json!({"since": since, "invited": out.len()}).to_string()),
        );
        append_audit_in(&mut tx, ctx.now, entry).await?;
        tx.commit().await?;
        Ok(Some(out))
    }

    async fn get_nps_invitation(&self, id: i64) -> Result<Option<NpsInvitation>> {
        let r = sqlx::query("SELECT * FROM nps_invitations WHERE id = $1").bind(id).fetch_optional(&self.reader).await?;
        r.as_ref().map(nps_invitation_row).transpose()
    }

    async fn answer_nps(&self, ctx: &AuditCtx, id: i64, score: i64, comment: &str) -> Result<bool> {
        let mut tx = self.writer.begin().await?;
        let r = sqlx::query(
            "UPDATE nps_invitations SET answered_at = $2, score = $3, comment = $4 WHERE id = $1 AND answered_at IS NULL RETURNING merchant_id",
        )
        .bind(id)
        .bind(ctx.now.0)
        .bind(score)
        .bind(comment)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(r) = r else { return Ok(false) };
        let merchant: i64 = r.try_get("merchant_id")?;
        let entry = ctx.entry(
            "nps.answer",
            "nps_invitation",
            Some(id.to_string()),
            Some(merchant),
            None,
            Some(serde_json::json!({"score": score}).to_string()),
        );
        append_audit_in(&mut tx, ctx.now, entry).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn nps_figures(&self, s: &Scope, merchant_id: Option<i64>, from: Millis, to: Millis) -> Result<NpsFigures> {
        let merchant = match (s.merchant_filter(), merchant_id) {
            (Some(m), Some(asked)) if m != asked => return Err(DomainError::not_found("merchant").into()),
            (Some(m), _) => Some(m),
            (None, asked) => asked,
        };
        let r = sqlx::query(
            "SELECT CAST(COUNT(*) AS BIGINT) AS invited, \
             CAST(COALESCE(SUM(CASE WHEN answered_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS answered, \
             CAST(COALESCE(SUM(CASE WHEN score >= 9 THEN 1 ELSE 0 END), 0) AS BIGINT) AS promoters, \
             CAST(COALESCE(SUM(CASE WHEN score BETWEEN 7 AND 8 THEN 1 ELSE 0 END), 0) AS BIGINT) AS passives, \
             CAST(COALESCE(SUM(CASE WHEN score <= 6 THEN 1 ELSE 0 END), 0) AS BIGINT) AS detractors \
             FROM nps_invitations WHERE ($1 IS NULL OR merchant_id = $1) AND round_at >= $2 AND round_at < $3",
        )
        .bind(merchant)
        .bind(from.0)
        .bind(to.0)
        .fetch_one(&self.reader)
        .await?;
        let (p, q, d): (i64, i64, i64) = (r.try_get("promoters")?, r.try_get("passives")?, r.try_get("detractors")?);
        Ok(NpsFigures {
            invited: r.try_get("invited")?,
            answered: r.try_get("answered")?,
            promoters: p,
            passives: q,
            detractors: d,
            nps: kefu_core::nps::score(p, q, d),
        })
    }
}
