// Queries for complaints (投诉) and their workflow, shared by both backends; `include!`d by `sqlite.rs`
// and `postgres.rs` after `shared_tickets.rs` (each step appends to the ticket's timeline in its own
// transaction).

use crate::complaints::*;

/// A serde unit enum's wire name (`claim_recorded`, `regulator` …).
fn cmp_wire<T: serde::Serialize>(v: &T) -> Result<String> {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => Ok(s),
        _ => Err(StoreError::Other("not a unit enum".into())),
    }
}

fn cmp_row(r: &DbRow) -> Result<Complaint> {
    let state: String = r.try_get("state")?;
    let workflow: kefu_core::complaint::ComplaintState =
        serde_json::from_str(&state).map_err(|_| corrupt("complaint state", &state))?;
    Ok(Complaint {
        id: r.try_get("id")?,
        merchant_id: r.try_get("merchant_id")?,
        number: r.try_get("number")?,
        ticket_id: r.try_get("ticket_id")?,
        ticket_number: r.try_get("ticket_number")?,
        customer_id: r.try_get("customer_id")?,
        order_no: r.try_get("order_no")?,
        source_label: workflow.source.map(|s| s.label()).unwrap_or_default().to_string(),
        severity_label: workflow.severity.map(|s| s.label()).unwrap_or_default().to_string(),
        stage_label: workflow.stage.label().to_string(),
        next_step: workflow.stage.next_step().to_string(),
        repeat: r.try_get("is_repeat")?,
        due_at: ms(r.try_get("due_at")?),
        overdue: false,
        notice_attachment_id: r.try_get("notice_attachment_id")?,
        version: r.try_get("version")?,
        created_by: r.try_get("created_by")?,
        created_at: Millis(r.try_get("created_at")?),
        updated_at: Millis(r.try_get("updated_at")?),
        workflow,
    })
}

async fn cmp_in(tx: &mut Tx<'_>, id: i64) -> Result<Complaint> {
    let r = sqlx::query("SELECT * FROM complaints WHERE id = $1").bind(id).fetch_one(&mut **tx).await?;
    cmp_row(&r)
}

const CMP_STALE: &str = "the complaint was changed meanwhile; reload and try again";

impl StoreImpl {
    /// Write one command's outcome for complaint `cur` (locked by the caller): events, projection
    /// (guarded by the version), the archived document, the ticket's timeline entry and the audit record.
    async fn write_complaint_change(
        &self,
        tx: &mut Tx<'_>,
        s: &Scope,
        ctx: &AuditCtx,
        cur: &Complaint,
        command: &str,
        change: &ComplaintChange,
    ) -> Result<Option<(Ticket, TicketEvent)>> {
        let mut st = cur.workflow.clone();
        for (i, e) in change.events.iter().enumerate() {
            st.apply(e);
            let payload = serde_json::to_string(e).map_err(|err| StoreError::Other(err.to_string()))?;
            let kind = serde_json::to_value(&e.kind)
                .ok()
                .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_string))
                .unwrap_or_default();
            sqlx::query(
                "INSERT INTO complaint_events (complaint_id, seq, at, kind, recorded_by, payload) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(cur.id)
            .bind(cur.version + 1 + i as i64)
            .bind(e.at.0)
            .bind(kind)
            .bind(ctx.actor_id)
            .bind(payload)
            .execute(&mut **tx)
            .await
            .map_err(|e| unique_as_conflict(e, "version", CMP_STALE))?;
        }
        // The archived document: an attachment of the ticket, kept for the ticket's retention period.
        let mut archived = None;
        if let (Some(a), Some(tid)) = (&change.archive, cur.ticket_id) {
            let row = sqlx::query(
                "INSERT INTO attachments (ticket_id, merchant_id, sha256, file_name, mime, size, uploaded_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *",
            )
            .bind(tid)
            .bind(cur.merchant_id)
            .bind(&a.sha256)
            .bind(&a.file_name)
            .bind(&a.mime)
            .bind(a.size)
            .bind(ctx.actor_id)
            .bind(ctx.now.0)
            .fetch_one(&mut **tx)
            .await?;
            let att = attachment_row(&row)?;
            let e = ctx.entry(
                "ticket.attachment_added",
                "ticket",
                Some(tid.to_string()),
                Some(cur.merchant_id),
                None,
                to_json(&att),
            );
            append_audit_in(tx, ctx.now, e).await?;
            archived = Some(att.id);
        }
        let n = change.events.len() as i64;
        let state = serde_json::to_string(&st).map_err(|e| StoreError::Other(e.to_string()))?;
        let updated = sqlx::query(
            "UPDATE complaints SET stage = $3, state = $4, version = version + $5, due_at = $6, is_repeat = $7, \
             notice_attachment_id = COALESCE($8, notice_attachment_id), source = $9, severity = $10, \
             received_at = $11, updated_at = $12 WHERE id = $1 AND version = $2",
        )
        .bind(cur.id)
        .bind(cur.version)
        .bind(st.stage.name())
        .bind(state)
        .bind(n)
        .bind(st.due_at().map(|m| m.0))
        .bind(st.is_repeat())
        .bind(archived)
        .bind(st.source.as_ref().map(cmp_wire).transpose()?.unwrap_or_default())
        .bind(st.severity.as_ref().map(cmp_wire).transpose()?.unwrap_or_default())
        .bind(st.received_at.0)
        .bind(ctx.now.0)
        .execute(&mut **tx)
        .await?;
        if updated.rows_affected() != 1 {
            return Err(DomainError::conflict(Some("version"), CMP_STALE).into());
        }
        let mut ticket = None;
        if let (Some(te), Some(tid)) = (&change.ticket_event, cur.ticket_id) {
            let appended = self.append_to_ticket_in(tx, s, ctx, "complaint_recorded", tid, vec![te.clone()]).await?;
            ticket = appended.map(|t| (t, te.clone()));
        }
        let after = serde_json::json!({
            "number": cur.number,
            "stage": st.stage.name(),
            "version": cur.version + n,
            "notice_attachment_id": archived,
            "events": change.events.iter().map(|e| serde_json::to_value(&e.kind).unwrap_or_default()).collect::<Vec<_>>(),
        });
        let before =
            (cur.version > 0).then(|| serde_json::json!({"stage": cur.workflow.stage.name()}).to_string());
        let entry = ctx.entry(
            &format!("complaint.{command}"),
            "complaint",
            Some(cur.id.to_string()),
            Some(cur.merchant_id),
            before,
            Some(after.to_string()),
        );
        append_audit_in(tx, ctx.now, entry).await?;
        Ok(ticket)
    }
}

#[async_trait]
impl ComplaintStore for StoreImpl {
    async fn create_complaint(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        new: NewComplaint,
        build: BuildComplaint<'_>,
    ) -> Result<ComplaintWrite> {
        if !s.sees(Some(new.merchant_id)) {
            return Err(DomainError::not_found("ticket").into());
        }
        let mut tx = self.writer.begin().await?;
        // One merchant's complaints are opened one at a time, so repeat detection sees every earlier one.
        let merchant = sqlx::query(&format!("SELECT id FROM merchants WHERE id = $1{FOR_UPDATE}"))
            .bind(new.merchant_id)
            .fetch_optional(&mut *tx)
            .await?;
        if merchant.is_none() {
            return Err(DomainError::not_found("ticket").into());
        }
        let ticket = sqlx::query(
            "SELECT number FROM tickets WHERE id = $1 AND merchant_id = $2 AND ($3 IS NULL OR merchant_id = $3)",
        )
        .bind(new.ticket_id)
        .bind(new.merchant_id)
        .bind(s.merchant_filter())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(ticket) = ticket else {
            return Err(DomainError::not_found("ticket").into());
        };
        let ticket_number: String = ticket.try_get("number")?;
        let since = new.received_at.0 - kefu_core::complaint::REPEAT_WINDOW_DAYS * 86_400_000;
        let rows = sqlx::query(
            "SELECT number, customer_id, order_no, received_at FROM complaints WHERE merchant_id = $1 \
             AND received_at >= $2 AND ((customer_id IS NOT NULL AND customer_id = $3) OR (order_no IS NOT NULL AND order_no = $4)) \
             ORDER BY received_at, id",
        )
        .bind(new.merchant_id)
        .bind(since)
        .bind(new.customer_id)
        .bind(new.order_no.as_deref())
        .fetch_all(&mut *tx)
        .await?;
        let priors = rows
            .iter()
            .map(|r| {
                Ok(kefu_core::complaint::PriorComplaint {
                    number: r.try_get("number")?,
                    customer_id: r.try_get("customer_id")?,
                    order_no: r.try_get("order_no")?,
                    received_at: Millis(r.try_get("received_at")?),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let initial = kefu_core::complaint::ComplaintState::default();
        let row = sqlx::query(
            "INSERT INTO complaints (merchant_id, number, ticket_id, ticket_number, customer_id, order_no, source, severity, \
             stage, received_at, state, version, created_by, created_at, updated_at) \
             VALUES ($1, '', $2, $3, $4, $5, '', '', $6, $7, $8, 0, $9, $10, $10) RETURNING id",
        )
        .bind(new.merchant_id)
        .bind(new.ticket_id)
        .bind(&ticket_number)
        .bind(new.customer_id)
        .bind(new.order_no.as_deref())
        .bind(initial.stage.name())
        .bind(new.received_at.0)
        .bind(serde_json::to_string(&initial).map_err(|e| StoreError::Other(e.to_string()))?)
        .bind(ctx.actor_id)
        .bind(ctx.now.0)
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        let number = format!("TS{}{:06}", new.day, id);
        sqlx::query("UPDATE complaints SET number = $2 WHERE id = $1")
            .bind(id)
            .bind(&number)
            .execute(&mut *tx)
            .await?;
        let cur = cmp_in(&mut tx, id).await?;
        let change = build(&cur, &priors)?;
        let ticket = self.write_complaint_change(&mut tx, s, ctx, &cur, "create", &change).await?;
        let complaint = cmp_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(ComplaintWrite { complaint, events: change.events, ticket })
    }

    async fn change_complaint(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        id: i64,
        command: &str,
        expected_version: Option<i64>,
        build: BuildComplaint<'_>,
    ) -> Result<ComplaintWrite> {
        let mut tx = self.writer.begin().await?;
        lock_scoped_in(&mut tx, s, "complaints", id, "complaint").await?;
        let cur = cmp_in(&mut tx, id).await?;
        check_version("complaint", cur.version, &cur.stage_label, expected_version)?;
        let change = build(&cur, &[])?;
        if change.events.is_empty() {
            return Ok(ComplaintWrite { complaint: cur, events: Vec::new(), ticket: None });
        }
        let ticket = self.write_complaint_change(&mut tx, s, ctx, &cur, command, &change).await?;
        let complaint = cmp_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(ComplaintWrite { complaint, events: change.events, ticket })
    }

    async fn get_complaint(&self, s: &Scope, id: i64) -> Result<Option<Complaint>> {
        let row = sqlx::query("SELECT * FROM complaints WHERE id = $1 AND ($2 IS NULL OR merchant_id = $2)")
            .bind(id)
            .bind(s.merchant_filter())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(cmp_row).transpose()
    }

    async fn complaint_events(&self, s: &Scope, id: i64) -> Result<Vec<ComplaintEntry>> {
        let rows = sqlx::query(
            "SELECT e.seq, e.recorded_by, e.payload FROM complaint_events e JOIN complaints c ON c.id = e.complaint_id \
             WHERE e.complaint_id = $1 AND ($2 IS NULL OR c.merchant_id = $2) ORDER BY e.seq",
        )
        .bind(id)
        .bind(s.merchant_filter())
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                let payload: String = r.try_get("payload")?;
                Ok(ComplaintEntry {
                    seq: r.try_get("seq")?,
                    recorded_by: r.try_get("recorded_by")?,
                    event: serde_json::from_str(&payload)
                        .map_err(|_| corrupt("complaint event", &payload))?,
                })
            })
            .collect()
    }

    async fn list_complaints(
        &self,
        s: &Scope,
        f: &ComplaintFilter,
        now: Millis,
        page: PageReq,
    ) -> Result<Page<Complaint>> {
        let stage = f.stage.map(|st| st.name());
        let severity = f.severity.as_ref().map(cmp_wire).transpose()?;
        let source = f.source.as_ref().map(cmp_wire).transpose()?;
        let overdue = f.overdue.map(i64::from).unwrap_or(-1);
        let repeat = f.repeat.map(i64::from).unwrap_or(-1);
        let rows = sqlx::query(
            "SELECT * FROM complaints WHERE ($1 IS NULL OR merchant_id = $1) AND ($2 IS NULL OR merchant_id = $2) \
             AND ($3 IS NULL OR stage = $3) AND ($4 IS NULL OR severity = $4) AND ($5 IS NULL OR source = $5) \
             AND ($6 = -1 OR ($6 = 1 AND due_at IS NOT NULL AND due_at <= $7) OR ($6 = 0 AND (due_at IS NULL OR due_at > $7))) \
             AND ($8 = -1 OR ($8 = 1 AND is_repeat) OR ($8 = 0 AND NOT is_repeat)) \
             AND ($9 IS NULL OR ticket_id = $9) AND ($10 IS NULL OR customer_id = $10) \
             AND ($11 = 0 OR id < $11) AND ($13 IS NULL OR received_at >= $13) AND ($14 IS NULL OR received_at < $14) \
             ORDER BY id DESC LIMIT $12",
        )
        .bind(s.merchant_filter())
        .bind(f.merchant_id)
        .bind(stage)
        .bind(severity)
        .bind(source)
        .bind(overdue)
        .bind(now.0)
        .bind(repeat)
        .bind(f.ticket_id)
        .bind(f.customer_id)
        .bind(page.after.unwrap_or(0))
        .bind(page.limit + 1)
        .bind(f.received_from.map(|m| m.0))
        .bind(f.received_to.map(|m| m.0))
        .fetch_all(&self.reader)
        .await?;
        let items = rows.iter().map(cmp_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, page.limit, |c| c.id))
    }
}
