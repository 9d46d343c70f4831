// After-sales case queries shared by both backends; `include!`d after `shared_tickets.rs` and
// `shared_jobs.rs` (it appends ticket events and enqueues jobs in its own transactions).

use crate::aftersales::*;
use kefu_core::aftersales::case::{CaseEventKind, CaseState as AsState, CaseStatus as AsStatus};
use kefu_core::aftersales::eligibility::Outcome;
use kefu_core::aftersales::rules::ReturnRules;
use kefu_core::aftersales::{AfterSalesKind, Proof, Reason};

type Conn = <Db as sqlx::Database>::Connection;

/// A serde enum's wire name (`awaiting_merchant`, `return_refund` …).
fn wire<T: serde::Serialize>(v: &T) -> Result<String> {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => Ok(s),
        _ => Err(StoreError::Other("not a unit enum".into())),
    }
}

fn from_wire<T: serde::de::DeserializeOwned>(what: &str, v: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(v.to_string())).map_err(|_| corrupt(what, v))
}

fn case_row(r: &DbRow) -> Result<AfterSalesCase> {
    let kind: AfterSalesKind = from_wire("after-sales kind", &r.try_get::<String, _>("kind")?)?;
    let reason: Reason = from_wire("after-sales reason", &r.try_get::<String, _>("reason")?)?;
    let status: AsStatus = from_wire("after-sales status", &r.try_get::<String, _>("status")?)?;
    let outcome: Outcome = from_wire("verdict outcome", &r.try_get::<String, _>("verdict_outcome")?)?;
    let state: String = r.try_get("state")?;
    let state: AsState = serde_json::from_str(&state).map_err(|_| corrupt("after-sales state", &state))?;
    Ok(AfterSalesCase {
        id: r.try_get("id")?,
        merchant_id: r.try_get("merchant_id")?,
        customer_id: r.try_get("customer_id")?,
        order_id: r.try_get("order_id")?,
        order_no: r.try_get("order_no")?,
        ticket_id: r.try_get("ticket_id")?,
        kind,
        kind_label: kind.label().to_string(),
        reason,
        reason_label: reason.label().to_string(),
        description: r.try_get("description")?,
        items: Vec::new(),
        proofs: Vec::new(),
        verdict: CaseVerdict {
            outcome,
            rule: r.try_get("verdict_rule")?,
            basis: r.try_get("verdict_basis")?,
            explanation: r.try_get("verdict_explanation")?,
        },
        goodwill: r.try_get("goodwill")?,
        needs_review: r.try_get("needs_review")?,
        amount_fen: r.try_get("amount_fen")?,
        status,
        status_label: status.label().to_string(),
        return_carrier: r.try_get("return_carrier")?,
        return_waybill: r.try_get("return_waybill")?,
        goods_condition: r.try_get("goods_condition")?,
        refund_ref: r.try_get("refund_ref")?,
        time_limit: None,
        due_at: None,
        version: r.try_get("version")?,
        created_by: r.try_get("created_by")?,
        created_at: Millis(r.try_get("created_at")?),
        updated_at: Millis(r.try_get("updated_at")?),
        state,
    })
}

const CASE_SELECT: &str = "SELECT c.*, o.order_no FROM aftersales_cases c JOIN orders o ON o.id = c.order_id";

/// Items and proofs of a page of cases, in two queries.
async fn fill_case_parts(conn: &mut Conn, cases: &mut [AfterSalesCase]) -> Result<()> {
    if cases.is_empty() {
        return Ok(());
    }
    let list = placeholders(1, cases.len());
    let ids: Vec<i64> = cases.iter().map(|c| c.id).collect();
    let sql = format!(
        "SELECT case_id, sku, name, quantity FROM aftersales_items WHERE case_id IN ({list}) ORDER BY case_id, sku"
    );
    let mut q = sqlx::query(&sql);
    for id in &ids {
        q = q.bind(*id);
    }
    for r in q.fetch_all(&mut *conn).await? {
        let id: i64 = r.try_get("case_id")?;
        if let Some(c) = cases.iter_mut().find(|c| c.id == id) {
            c.items.push(CaseItem {
                sku: r.try_get("sku")?,
                name: r.try_get("name")?,
                quantity: r.try_get("quantity")?,
            });
        }
    }
    let sql = format!(
        "SELECT case_id, attachment_id, kind FROM aftersales_proofs WHERE case_id IN ({list}) ORDER BY case_id, attachment_id"
    );
    let mut q = sqlx::query(&sql);
    for id in &ids {
        q = q.bind(*id);
    }
    for r in q.fetch_all(&mut *conn).await? {
        let id: i64 = r.try_get("case_id")?;
        let kind: Proof = from_wire("proof kind", &r.try_get::<String, _>("kind")?)?;
        if let Some(c) = cases.iter_mut().find(|c| c.id == id) {
            c.proofs.push(CaseProof { attachment_id: r.try_get("attachment_id")?, kind });
        }
    }
    Ok(())
}

async fn case_in(conn: &mut Conn, id: i64) -> Result<AfterSalesCase> {
    let r = sqlx::query(&format!("{CASE_SELECT} WHERE c.id = $1")).bind(id).fetch_one(&mut *conn).await?;
    let mut c = [case_row(&r)?];
    fill_case_parts(conn, &mut c).await?;
    let [c] = c;
    Ok(c)
}

/// Enqueue a job inside a transaction (a timer written with the change that starts it). A job with the
/// same dedupe key already there is kept.
async fn insert_job_in(tx: &mut Tx<'_>, job: &NewJob, now: Millis) -> Result<()> {
    sqlx::query(
        "INSERT INTO jobs (kind, merchant_id, payload, max_attempts, run_at, dedupe_key, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(&job.kind)
    .bind(job.merchant_id)
    .bind(&job.payload)
    .bind(job.max_attempts.max(1))
    .bind(job.run_at.0)
    .bind(&job.dedupe_key)
    .bind(now.0)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl StoreImpl {
    /// Write one command's outcome for case `cur` (locked by the caller): events, projection (guarded by
    /// the version), the ticket's timeline entry, the timer and the audit record.
    async fn write_case_change(
        &self,
        tx: &mut Tx<'_>,
        s: &Scope,
        ctx: &AuditCtx,
        cur: &AfterSalesCase,
        command: &str,
        change: &CaseChange,
    ) -> Result<Option<(Ticket, TicketEvent)>> {
        let mut st = cur.state.clone();
        let (mut carrier, mut waybill, mut condition, mut refund_ref) = (None, None, None, None);
        for (i, e) in change.events.iter().enumerate() {
            st.apply(e);
            match &e.kind {
                CaseEventKind::ReturnShipped { carrier: c, waybill: w } => {
                    carrier = Some(c.clone());
                    waybill = Some(w.clone());
                }
                CaseEventKind::GoodsReceived { condition: c, .. } => condition = Some(c.clone()),
                CaseEventKind::Refunded { refund_ref: r } => refund_ref = Some(r.clone()),
                _ => {}
            }
            let payload = serde_json::to_string(e).map_err(|err| StoreError::Other(err.to_string()))?;
            let kind = serde_json::to_value(&e.kind)
                .ok()
                .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_string))
                .unwrap_or_default();
            sqlx::query(
                "INSERT INTO aftersales_events (case_id, seq, at, kind, recorded_by, payload) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(cur.id)
            .bind(cur.version + 1 + i as i64)
            .bind(e.at.0)
            .bind(kind)
            .bind(ctx.actor_id)
            .bind(payload)
            .execute(&mut **tx)
            .await
            .map_err(|e| unique_as_conflict(e, "version", "the after-sales case was changed meanwhile; reload and try again"))?;
        }
        let n = change.events.len() as i64;
        let state = serde_json::to_string(&st).map_err(|e| StoreError::Other(e.to_string()))?;
        let updated = sqlx::query(
            "UPDATE aftersales_cases SET status = $3, state = $4, version = version + $5, \
             return_carrier = COALESCE($6, return_carrier), return_waybill = COALESCE($7, return_waybill), \
             goods_condition = COALESCE($8, goods_condition), refund_ref = COALESCE($9, refund_ref), updated_at = $10 \
             WHERE id = $1 AND version = $2",
        )
        .bind(cur.id)
        .bind(cur.version)
        .bind(wire(&st.status)?)
        .bind(state)
        .bind(n)
        .bind(carrier)
        .bind(waybill)
        .bind(condition)
        .bind(refund_ref)
        .bind(ctx.now.0)
        .execute(&mut **tx)
        .await?;
        if updated.rows_affected() != 1 {
            return Err(DomainError::conflict(
                Some("version"),
                "the after-sales case was changed meanwhile; reload and try again",
            )
            .into());
        }
        let mut ticket = None;
        if let (Some(te), Some(tid)) = (&change.ticket_event, cur.ticket_id) {
            let appended = self.append_to_ticket_in(tx, s, ctx, "after_sales_recorded", tid, vec![te.clone()]).await?;
            ticket = appended.map(|t| (t, te.clone()));
        }
        if let Some(job) = &change.timer {
            insert_job_in(tx, job, ctx.now).await?;
        }
        let after = serde_json::json!({
            "status": wire(&st.status)?,
            "version": cur.version + n,
            "events": change.events.iter().map(|e| serde_json::to_value(&e.kind).unwrap_or_default()).collect::<Vec<_>>(),
        });
        let before = (cur.version > 0)
            .then(|| serde_json::json!({"status": wire(&cur.status).unwrap_or_default()}).to_string());
        let entry = ctx.entry(
            &format!("aftersales.{command}"),
            "aftersales_case",
            Some(cur.id.to_string()),
            Some(cur.merchant_id),
            before,
            Some(after.to_string()),
        );
        append_audit_in(tx, ctx.now, entry).await?;
        Ok(ticket)
    }
}

/// A merchant's own setting kept as one JSON document in a table of its own (`merchant_id` primary key):
/// the table, its document column, and the name the audit trail and errors use.
struct MerchantSetting {
    table: &'static str,
    column: &'static str,
    what: &'static str,
}

/// 退换货规则 (`kefu_core::aftersales::rules::ReturnRules`).
const RETURN_RULES: MerchantSetting = MerchantSetting { table: "return_rules", column: "rules", what: "return_rules" };
/// 会员权益设置 (`kefu_core::member::MemberRights`).
const MEMBER_RIGHTS: MerchantSetting = MerchantSetting { table: "member_rights", column: "rights", what: "member_rights" };

impl StoreImpl {
    /// The merchant's own setting, if it made one (`None` also outside the scope).
    async fn get_merchant_setting<T: serde::de::DeserializeOwned>(&self, s: &Scope, k: MerchantSetting, merchant_id: i64) -> Result<Option<T>> {
        if !s.sees(Some(merchant_id)) {
            return Ok(None);
        }
        let r = sqlx::query(&format!("SELECT {} AS doc FROM {} WHERE merchant_id = $1", k.column, k.table))
            .bind(merchant_id)
            .fetch_optional(&self.reader)
            .await?;
        let Some(r) = r else { return Ok(None) };
        let text: String = r.try_get("doc")?;
        Ok(Some(serde_json::from_str(&text).map_err(|_| corrupt(k.what, &text))?))
    }

    /// Set the merchant's setting (validated by the caller), with the audit record of before and after.
    async fn put_merchant_setting<T: serde::Serialize + Sync>(&self, s: &Scope, ctx: &AuditCtx, k: MerchantSetting, merchant_id: i64, value: &T) -> Result<()> {
        if !s.sees(Some(merchant_id)) {
            return Err(DomainError::not_found("merchant").into());
        }
        let text = serde_json::to_string(value).map_err(|e| StoreError::Other(e.to_string()))?;
        let mut tx = self.writer.begin().await?;
        let exists = sqlx::query("SELECT id FROM merchants WHERE id = $1").bind(merchant_id).fetch_optional(&mut *tx).await?;
        if exists.is_none() {
            return Err(DomainError::not_found("merchant").into());
        }
        let before = sqlx::query(&format!("SELECT {} AS doc FROM {} WHERE merchant_id = $1{FOR_UPDATE}", k.column, k.table))
            .bind(merchant_id)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get::<String, _>("doc"))
            .transpose()?;
        sqlx::query(&format!(
            "INSERT INTO {t} (merchant_id, {c}, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (merchant_id) DO UPDATE SET {c} = $2, updated_at = $3",
            t = k.table,
            c = k.column
        ))
        .bind(merchant_id)
        .bind(&text)
        .bind(ctx.now.0)
        .execute(&mut *tx)
        .await?;
        let entry = ctx.entry(&format!("{}.put", k.what), k.what, Some(merchant_id.to_string()), Some(merchant_id), before, Some(text));
        append_audit_in(&mut tx, ctx.now, entry).await?;
        tx.commit().await?;
        Ok(())
    }
}

#[async_trait]
impl AfterSalesStore for StoreImpl {
    async fn get_return_rules(&self, s: &Scope, merchant_id: i64) -> Result<Option<ReturnRules>> {
        self.get_merchant_setting(s, RETURN_RULES, merchant_id).await
    }

    async fn put_return_rules(&self, s: &Scope, ctx: &AuditCtx, merchant_id: i64, rules: &ReturnRules) -> Result<()> {
        self.put_merchant_setting(s, ctx, RETURN_RULES, merchant_id, rules).await
    }

    async fn get_member_rights(&self, s: &Scope, merchant_id: i64) -> Result<Option<kefu_core::member::MemberRights>> {
        self.get_merchant_setting(s, MEMBER_RIGHTS, merchant_id).await
    }

    async fn put_member_rights(&self, s: &Scope, ctx: &AuditCtx, merchant_id: i64, rights: &kefu_core::member::MemberRights) -> Result<()> {
        self.put_merchant_setting(s, ctx, MEMBER_RIGHTS, merchant_id, rights).await
    }

    async fn all_member_rights(&self) -> Result<Vec<(i64, kefu_core::member::MemberRights)>> {
        let rows = sqlx::query("SELECT merchant_id, rights FROM member_rights ORDER BY merchant_id").fetch_all(&self.reader).await?;
        rows.iter()
            .map(|r| {
                let text: String = r.try_get("rights")?;
                Ok((r.try_get("merchant_id")?, serde_json::from_str(&text).map_err(|_| corrupt("member rights", &text))?))
            })
            .collect()
    }

    async fn create_case(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        new: NewCase,
        build: BuildCase<'_>,
    ) -> Result<CaseWrite> {
        if !s.sees(Some(new.merchant_id)) {
            return Err(DomainError::not_found("order").into());
        }
        let mut tx = self.writer.begin().await?;
        // Cases of one order are opened one at a time, so two agents cannot open the same item twice.
        let order = sqlx::query(&format!(
            "SELECT id FROM orders WHERE id = $1 AND merchant_id = $2 AND ($3 IS NULL OR merchant_id = $3){FOR_UPDATE}"
        ))
        .bind(new.order_id)
        .bind(new.merchant_id)
        .bind(s.merchant_filter())
        .fetch_optional(&mut *tx)
        .await?;
        if order.is_none() {
            return Err(DomainError::not_found("order").into());
        }
        if let Some(t) = new.ticket_id {
            let owner = sqlx::query(
                "SELECT merchant_id FROM tickets WHERE id = $1 AND ($2 IS NULL OR merchant_id = $2)",
            )
            .bind(t)
            .bind(s.merchant_filter())
            .fetch_optional(&mut *tx)
            .await?;
            let owner: Option<Option<i64>> = owner.map(|r| r.try_get("merchant_id")).transpose()?;
            if owner != Some(Some(new.merchant_id)) {
                return Err(DomainError::validation(
                    "ticket_id",
                    format!("ticket {t} does not exist in the order's merchant"),
                )
                .into());
            }
        }
        for (i, p) in new.proofs.iter().enumerate() {
            let on = sqlx::query("SELECT ticket_id FROM attachments WHERE id = $1")
                .bind(p.attachment_id)
                .fetch_optional(&mut *tx)
                .await?;
            let on: Option<i64> = on.map(|r| r.try_get("ticket_id")).transpose()?;
            if on.is_none() || on != new.ticket_id {
                return Err(DomainError::validation(
                    &format!("proofs[{i}].attachment_id"),
                    format!("attachment {} is not an attachment of the case's ticket", p.attachment_id),
                )
                .into());
            }
        }
        let open = sqlx::query(
            "SELECT c.id, c.status, i.sku FROM aftersales_cases c JOIN aftersales_items i ON i.case_id = c.id \
             WHERE c.order_id = $1 ORDER BY c.id",
        )
        .bind(new.order_id)
        .fetch_all(&mut *tx)
        .await?;
        for r in &open {
            let status: AsStatus = from_wire("after-sales status", &r.try_get::<String, _>("status")?)?;
            let sku: String = r.try_get("sku")?;
            if !status.is_final() && new.items.iter().any(|i| i.sku == sku) {
                let id: i64 = r.try_get("id")?;
                return Err(DomainError::conflict(
                    Some("items"),
                    format!("item {sku} already has an open after-sales case #{id} ({})", status.label()),
                )
                .into());
            }
        }
        let row = sqlx::query(
            "INSERT INTO aftersales_cases (merchant_id, customer_id, order_id, ticket_id, kind, reason, description, \
             verdict_outcome, verdict_rule, verdict_basis, verdict_explanation, goodwill, needs_review, amount_fen, \
             status, state, version, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 0, $17, $18, $18) RETURNING id",
        )
        .bind(new.merchant_id)
        .bind(new.customer_id)
        .bind(new.order_id)
        .bind(new.ticket_id)
        .bind(wire(&new.kind)?)
        .bind(wire(&new.reason)?)
        .bind(&new.description)
        .bind(wire(&new.verdict.outcome)?)
        .bind(&new.verdict.rule)
        .bind(&new.verdict.basis)
        .bind(&new.verdict.explanation)
        .bind(new.goodwill)
        .bind(new.needs_review)
        .bind(new.amount_fen)
        .bind(wire(&AsStatus::default())?)
        .bind(serde_json::to_string(&AsState::default()).map_err(|e| StoreError::Other(e.to_string()))?)
        .bind(ctx.actor_id)
        .bind(ctx.now.0)
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        for it in &new.items {
            sqlx::query(
                "INSERT INTO aftersales_items (case_id, sku, name, quantity) VALUES ($1, $2, $3, $4)",
            )
            .bind(id)
            .bind(&it.sku)
            .bind(&it.name)
            .bind(it.quantity)
            .execute(&mut *tx)
            .await
            .map_err(|e| unique_as_conflict(e, "items", "an item appears twice"))?;
        }
        for p in &new.proofs {
            sqlx::query("INSERT INTO aftersales_proofs (case_id, attachment_id, kind) VALUES ($1, $2, $3)")
                .bind(id)
                .bind(p.attachment_id)
                .bind(wire(&p.kind)?)
                .execute(&mut *tx)
                .await
                .map_err(|e| unique_as_conflict(e, "proofs", "an attachment appears twice"))?;
        }
        let cur = case_in(&mut tx, id).await?;
        let change = build(&cur)?;
        let ticket = self.write_case_change(&mut tx, s, ctx, &cur, "create", &change).await?;
        let case = case_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(CaseWrite { case, events: change.events, ticket })
    }

    async fn change_case(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        id: i64,
        command: &str,
        expected_version: Option<i64>,
        build: BuildCase<'_>,
    ) -> Result<CaseWrite> {
        let mut tx = self.writer.begin().await?;
        lock_scoped_in(&mut tx, s, "aftersales_cases", id, "after-sales case").await?;
        let cur = case_in(&mut tx, id).await?;
        check_version("after-sales case", cur.version, cur.status.label(), expected_version)?;
        let change = build(&cur)?;
        if change.events.is_empty() {
            return Ok(CaseWrite { case: cur, events: Vec::new(), ticket: None });
        }
        let ticket = self.write_case_change(&mut tx, s, ctx, &cur, command, &change).await?;
        let case = case_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(CaseWrite { case, events: change.events, ticket })
    }

    async fn get_case(&self, s: &Scope, id: i64) -> Result<Option<AfterSalesCase>> {
        let row =
            sqlx::query(&format!("{CASE_SELECT} WHERE c.id = $1 AND ($2 IS NULL OR c.merchant_id = $2)"))
                .bind(id)
                .bind(s.merchant_filter())
                .fetch_optional(&self.reader)
                .await?;
        let Some(r) = row else { return Ok(None) };
        let mut c = [case_row(&r)?];
        let mut conn = self.reader.acquire().await?;
        fill_case_parts(&mut conn, &mut c).await?;
        let [c] = c;
        Ok(Some(c))
    }

    async fn case_events(&self, s: &Scope, id: i64) -> Result<Vec<CaseEntry>> {
        let rows = sqlx::query(
            "SELECT e.seq, e.recorded_by, e.payload FROM aftersales_events e JOIN aftersales_cases c ON c.id = e.case_id \
             WHERE e.case_id = $1 AND ($2 IS NULL OR c.merchant_id = $2) ORDER BY e.seq",
        )
        .bind(id)
        .bind(s.merchant_filter())
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                let payload: String = r.try_get("payload")?;
                Ok(CaseEntry {
                    seq: r.try_get("seq")?,
                    recorded_by: r.try_get("recorded_by")?,
                    event: serde_json::from_str(&payload)
                        .map_err(|_| corrupt("after-sales event", &payload))?,
                })
            })
            .collect()
    }

    async fn list_cases(&self, s: &Scope, f: &CaseFilter, page: PageReq) -> Result<Page<AfterSalesCase>> {
        let status = f.status.as_ref().map(wire).transpose()?;
        let rows = sqlx::query(&format!(
            "{CASE_SELECT} WHERE ($1 IS NULL OR c.merchant_id = $1) AND ($2 IS NULL OR c.merchant_id = $2) \
             AND ($3 IS NULL OR c.status = $3) AND ($4 IS NULL OR c.order_id = $4) AND ($5 IS NULL OR c.customer_id = $5) \
             AND ($6 IS NULL OR c.ticket_id = $6) AND ($7 = 0 OR c.id < $7) ORDER BY c.id DESC LIMIT $8"
        ))
        .bind(s.merchant_filter())
        .bind(f.merchant_id)
        .bind(status)
        .bind(f.order_id)
        .bind(f.customer_id)
        .bind(f.ticket_id)
        .bind(page.after.unwrap_or(0))
        .bind(page.limit + 1)
        .fetch_all(&self.reader)
        .await?;
        let mut items = rows.iter().map(case_row).collect::<Result<Vec<_>>>()?;
        let mut conn = self.reader.acquire().await?;
        fill_case_parts(&mut conn, &mut items).await?;
        Ok(Page::from_rows(items, page.limit, |c| c.id))
    }
}
