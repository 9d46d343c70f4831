// Queries for the shop system integration (店铺系统对接) and its actions (店铺操作), shared by both backends;
// `include!`d by `sqlite.rs` and `postgres.rs` after `shared_tickets.rs` and `shared_aftersales.rs` (it
// appends ticket events and inserts jobs in its own transactions).

use crate::shop::*;
use kefu_core::shop::{
    OrderFacts as ShopOrderFacts, ShopAction as ShopReq, ShopActionKind as ShopKind,
    ShopActionStatus as ShopStatus,
};

const SHOP_ACTION_COLS: &str = "id, merchant_id, ticket_id, order_id, order_no, case_id, action, request, amount_fen, \
     idempotency_key, status, message, reference, attempts, requested_by, requested_by_name, created_at, updated_at, completed_at";

/// The shop's signing secret is encrypted at rest under the personal-data key (it lets anyone push orders
/// or forge results).
const SHOP_SECRET: &str = "shop_integration.secret";

fn shop_integration_row(r: &DbRow, cipher: &crate::crypto::PiiCipher) -> Result<ShopIntegration> {
    let sealed: String = r.try_get("secret")?;
    let secret = cipher
        .decrypt_for(SHOP_SECRET, &sealed)
        .map_err(|e| StoreError::Other(format!("cannot decrypt a shop integration secret: {e}")))?;
    Ok(ShopIntegration {
        merchant_id: r.try_get("merchant_id")?,
        actions_url: r.try_get("actions_url")?,
        secret,
        active: r.try_get("active")?,
        created_at: Millis(r.try_get("created_at")?),
        updated_at: Millis(r.try_get("updated_at")?),
    })
}

fn shop_action_row(r: &DbRow) -> Result<ShopActionRecord> {
    let action: String = r.try_get("action")?;
    let action = ShopKind::parse(&action).map_err(|_| corrupt("shop action", &action))?;
    let status: String = r.try_get("status")?;
    let status = ShopStatus::parse(&status).map_err(|_| corrupt("shop action status", &status))?;
    let request: String = r.try_get("request")?;
    let request: ShopReq = serde_json::from_str(&request).map_err(|_| corrupt("shop action request", &request))?;
    Ok(ShopActionRecord {
        id: r.try_get("id")?,
        merchant_id: r.try_get("merchant_id")?,
        ticket_id: r.try_get("ticket_id")?,
        order_id: r.try_get("order_id")?,
        order_no: r.try_get("order_no")?,
        case_id: r.try_get("case_id")?,
        action,
        action_label: action.label_zh().to_string(),
        request,
        amount_fen: r.try_get("amount_fen")?,
        idempotency_key: r.try_get("idempotency_key")?,
        status,
        status_label: status.label_zh().to_string(),
        message: r.try_get("message")?,
        reference: r.try_get("reference")?,
        attempts: r.try_get("attempts")?,
        requested_by: r.try_get("requested_by")?,
        requested_by_name: r.try_get("requested_by_name")?,
        created_at: Millis(r.try_get("created_at")?),
        updated_at: Millis(r.try_get("updated_at")?),
        completed_at: ms(r.try_get("completed_at")?),
    })
}

#[async_trait]
impl ShopStore for StoreImpl {
    async fn get_shop_integration(&self, s: &Scope, merchant_id: i64) -> Result<Option<ShopIntegration>> {
        if !s.sees(Some(merchant_id)) {
            return Ok(None);
        }
        let r = sqlx::query("SELECT * FROM shop_integrations WHERE merchant_id = $1")
            .bind(merchant_id)
            .fetch_optional(&self.reader)
            .await?;
        let cipher = self.cipher()?;
        r.as_ref().map(|r| shop_integration_row(r, &cipher)).transpose()
    }

    async fn put_shop_integration(&self, s: &Scope, ctx: &AuditCtx, put: ShopIntegrationPut) -> Result<ShopIntegration> {
        let ShopIntegrationPut { merchant_id, actions_url, active, new_secret, rotate } = put;
        let actions_url = actions_url.as_str();
        if !s.sees(Some(merchant_id)) {
            return Err(DomainError::not_found("merchant").into());
        }
        let mut tx = self.writer.begin().await?;
        let exists = sqlx::query("SELECT id FROM merchants WHERE id = $1").bind(merchant_id).fetch_optional(&mut *tx).await?;
        if exists.is_none() {
            return Err(DomainError::not_found("merchant").into());
        }
        let before = sqlx::query(&format!("SELECT * FROM shop_integrations WHERE merchant_id = $1{FOR_UPDATE}"))
            .bind(merchant_id)
            .fetch_optional(&mut *tx)
            .await?;
        let cipher = self.cipher()?;
        let before = before.as_ref().map(|r| shop_integration_row(r, &cipher)).transpose()?;
        let secret = match &before {
            Some(b) if !rotate => b.secret.clone(),
            _ => new_secret,
        };
        sqlx::query(
            "INSERT INTO shop_integrations (merchant_id, actions_url, secret, active, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (merchant_id) DO UPDATE SET \
             actions_url = $2, secret = $3, active = $4, updated_at = $5",
        )
        .bind(merchant_id)
        .bind(actions_url)
        .bind(enc(&cipher, SHOP_SECRET, &secret)?)
        .bind(active)
        .bind(ctx.now.0)
        .execute(&mut *tx)
        .await?;
        // The secret never goes into the audit log; that it changed does.
        let view = |i: &ShopIntegration| serde_json::json!({"actions_url": i.actions_url, "active": i.active}).to_string();
        let after = ShopIntegration {
            merchant_id,
            actions_url: actions_url.to_string(),
            secret: secret.clone(),
            active,
            created_at: before.as_ref().map(|b| b.created_at).unwrap_or(ctx.now),
            updated_at: ctx.now,
        };
        let mut after_json: serde_json::Value = serde_json::from_str(&view(&after)).unwrap_or_default();
        after_json["secret_rotated"] = serde_json::json!(before.is_none() || rotate);
        let entry = ctx.entry(
            "shop_integration.put",
            "shop_integration",
            Some(merchant_id.to_string()),
            Some(merchant_id),
            before.as_ref().map(view),
            Some(after_json.to_string()),
        );
        append_audit_in(&mut tx, ctx.now, entry).await?;
        tx.commit().await?;
        Ok(after)
    }

    async fn create_shop_action(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        new: NewShopAction,
        check: CheckOrder<'_>,
        build: BuildShopWrite<'_>,
    ) -> Result<(ShopActionRecord, Option<Ticket>)> {
        if !s.sees(Some(new.merchant_id)) {
            return Err(DomainError::not_found("order").into());
        }
        let mut tx = self.writer.begin().await?;
        // The order's row lock serialises the actions of one order (refund sums stay exact).
        let order = sqlx::query(&format!(
            "SELECT id, order_no, status, paid_fen FROM orders WHERE id = $1 AND merchant_id = $2{FOR_UPDATE}"
        ))
        .bind(new.order_id)
        .bind(new.merchant_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(order) = order else {
            return Err(DomainError::not_found("order").into());
        };
        let order_no: String = order.try_get("order_no")?;
        let status: String = order.try_get("status")?;
        let status = kefu_core::order::OrderStatus::parse(&status).map_err(|_| corrupt("order status", &status))?;
        let refunded = sqlx::query(
            "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) AS s FROM shop_actions WHERE order_id = $1 AND action = 'refund' AND status <> 'failed'",
        )
        .bind(new.order_id)
        .fetch_one(&mut *tx)
        .await?;
        let refunded: i64 = refunded.try_get("s")?;
        check(&ShopOrderFacts { status, paid_fen: order.try_get("paid_fen")?, refunds_in_flight_fen: refunded })?;
        if let Some(t) = new.ticket_id {
            let owner = sqlx::query("SELECT merchant_id FROM tickets WHERE id = $1").bind(t).fetch_optional(&mut *tx).await?;
            let owner: Option<Option<i64>> = owner.map(|r| r.try_get("merchant_id")).transpose()?;
            if owner != Some(Some(new.merchant_id)) {
                return Err(DomainError::not_found("ticket").into());
            }
        }
        let (case_id, amount) = match &new.request {
            ShopReq::Refund { case_id, amount_fen, .. } => (*case_id, *amount_fen),
            _ => (None, 0),
        };
        if let Some(c) = case_id {
            let on = sqlx::query("SELECT order_id FROM aftersales_cases WHERE id = $1 AND merchant_id = $2")
                .bind(c)
                .bind(new.merchant_id)
                .fetch_optional(&mut *tx)
                .await?;
            let on: Option<i64> = on.map(|r| r.try_get("order_id")).transpose()?;
            if on != Some(new.order_id) {
                return Err(DomainError::validation("case_id", format!("after-sales case {c} is not a case of this order")).into());
            }
        }
        let request = serde_json::to_string(&new.request).map_err(|e| StoreError::Other(e.to_string()))?;
        let row = sqlx::query(
            "INSERT INTO shop_actions (merchant_id, ticket_id, order_id, order_no, case_id, action, request, amount_fen, \
             idempotency_key, status, message, attempts, requested_by, requested_by_name, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', '', 0, $10, $11, $12, $12) RETURNING id",
        )
        .bind(new.merchant_id)
        .bind(new.ticket_id)
        .bind(new.order_id)
        .bind(&order_no)
        .bind(case_id)
        .bind(new.request.kind().as_str())
        .bind(&request)
        .bind(amount)
        .bind(&new.idempotency_key)
        .bind(ctx.actor_id)
        .bind(&ctx.actor_name)
        .bind(ctx.now.0)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            if case_id.is_some() {
                unique_as_conflict(e, "case_id", "this after-sales case's refund was sent already; a case is refunded once")
            } else {
                unique_as_conflict(e, "idempotency_key", "an action with this idempotency key exists already")
            }
        })?;
        let id: i64 = row.try_get("id")?;
        let (event, job) = build(id, &order_no);
        let mut ticket = None;
        if let (Some(t), Some(e)) = (new.ticket_id, &event) {
            ticket = self.append_to_ticket_in(&mut tx, s, ctx, "shop_action_recorded", t, vec![e.clone()]).await?;
        }
        if let Some(job) = &job {
            insert_job_in(&mut tx, job, ctx.now).await?;
        }
        let entry = ctx.entry(
            &format!("shop_action.{}", new.request.kind().as_str()),
            "shop_action",
            Some(id.to_string()),
            Some(new.merchant_id),
            None,
            Some(serde_json::json!({"order_no": order_no, "request": new.request, "ticket_id": new.ticket_id}).to_string()),
        );
        append_audit_in(&mut tx, ctx.now, entry).await?;
        let rec = sqlx::query(&format!("SELECT {SHOP_ACTION_COLS} FROM shop_actions WHERE id = $1"))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let rec = shop_action_row(&rec)?;
        tx.commit().await?;
        Ok((rec, ticket))
    }

    async fn get_shop_action(&self, s: &Scope, id: i64) -> Result<Option<ShopActionRecord>> {
        let r = sqlx::query(&format!(
            "SELECT {SHOP_ACTION_COLS} FROM shop_actions WHERE id = $1 AND ($2 IS NULL OR merchant_id = $2)"
        ))
        .bind(id)
        .bind(s.merchant_filter())
        .fetch_optional(&self.reader)
        .await?;
        r.as_ref().map(shop_action_row).transpose()
    }

    async fn shop_action_by_key(&self, s: &Scope, key: &str) -> Result<Option<ShopActionRecord>> {
        let r = sqlx::query(&format!(
            "SELECT {SHOP_ACTION_COLS} FROM shop_actions WHERE idempotency_key = $1 AND ($2 IS NULL OR merchant_id = $2)"
        ))
        .bind(key)
        .bind(s.merchant_filter())
        .fetch_optional(&self.reader)
        .await?;
        r.as_ref().map(shop_action_row).transpose()
    }

    async fn list_shop_actions(
        &self,
        s: &Scope,
        ticket_id: Option<i64>,
        order_id: Option<i64>,
    ) -> Result<Vec<ShopActionRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {SHOP_ACTION_COLS} FROM shop_actions WHERE ($1 IS NULL OR merchant_id = $1) \
             AND ($2 IS NULL OR ticket_id = $2) AND ($3 IS NULL OR order_id = $3) ORDER BY id LIMIT 500"
        ))
        .bind(s.merchant_filter())
        .bind(ticket_id)
        .bind(order_id)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(shop_action_row).collect()
    }

    async fn update_shop_action(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        id: i64,
        update: ShopActionUpdate,
    ) -> Result<Option<(ShopActionRecord, Option<Ticket>)>> {
        let mut tx = self.writer.begin().await?;
        let cur = sqlx::query(&format!(
            "SELECT {SHOP_ACTION_COLS} FROM shop_actions WHERE id = $1 AND ($2 IS NULL OR merchant_id = $2){FOR_UPDATE}"
        ))
        .bind(id)
        .bind(s.merchant_filter())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(cur) = cur.as_ref().map(shop_action_row).transpose()? else {
            return Err(DomainError::not_found("shop action").into());
        };
        if cur.status.is_final() {
            return Ok(None);
        }
        let completed = update.status.is_final().then_some(ctx.now.0);
        sqlx::query(
            "UPDATE shop_actions SET status = $2, message = $3, reference = COALESCE($4, reference), \
             attempts = COALESCE($5, attempts), updated_at = $6, completed_at = $7 WHERE id = $1",
        )
        .bind(id)
        .bind(update.status.as_str())
        .bind(&update.message)
        .bind(&update.reference)
        .bind(update.attempts)
        .bind(ctx.now.0)
        .bind(completed)
        .execute(&mut *tx)
        .await?;
        let mut ticket = None;
        if let (Some(t), Some(e)) = (cur.ticket_id, &update.ticket_event) {
            ticket = self.append_to_ticket_in(&mut tx, s, ctx, "shop_action_recorded", t, vec![e.clone()]).await?;
        }
        if update.status != cur.status {
            let entry = ctx.entry(
                "shop_action.result",
                "shop_action",
                Some(id.to_string()),
                Some(cur.merchant_id),
                Some(serde_json::json!({"status": cur.status}).to_string()),
                Some(serde_json::json!({"status": update.status, "message": update.message, "reference": update.reference}).to_string()),
            );
            append_audit_in(&mut tx, ctx.now, entry).await?;
        }
        let rec = sqlx::query(&format!("SELECT {SHOP_ACTION_COLS} FROM shop_actions WHERE id = $1"))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let rec = shop_action_row(&rec)?;
        tx.commit().await?;
        Ok(Some((rec, ticket)))
    }
}
