// Order queries shared by both backends; `include!`d after `shared_jobs.rs`.

use crate::orders::*;
use kefu_core::order::{OrderPush, OrderStatus};

fn order_row(r: &DbRow) -> Result<Order> {
    let status: String = r.try_get("status")?;
    let status = OrderStatus::parse(&status)?;
    let items: String = r.try_get("items")?;
    let millis =
        |name: &str| -> Result<Option<Millis>> { Ok(r.try_get::<Option<i64>, _>(name)?.map(Millis)) };
    Ok(Order {
        id: r.try_get("id")?,
        merchant_id: r.try_get("merchant_id")?,
        order_no: r.try_get("order_no")?,
        customer_id: r.try_get("customer_id")?,
        status,
        status_label: status.label_zh().to_string(),
        items: serde_json::from_str(&items).map_err(|e| StoreError::Other(format!("order items: {e}")))?,
        total_fen: r.try_get("total_fen")?,
        paid_fen: r.try_get("paid_fen")?,
        payment_method: r.try_get("payment_method")?,
        shipping_company: r.try_get("shipping_company")?,
        waybill: r.try_get("waybill")?,
        ordered_at: Millis(r.try_get("ordered_at")?),
        paid_at: millis("paid_at")?,
        shipped_at: millis("shipped_at")?,
        signed_at: millis("signed_at")?,
        shop_updated_at: Millis(r.try_get("shop_updated_at")?),
        created_at: Millis(r.try_get("created_at")?),
        updated_at: Millis(r.try_get("updated_at")?),
    })
}

/// An order's items as stored (JSON).
fn order_values(o: &OrderPush) -> Result<String> {
    serde_json::to_string(&o.items).map_err(|e| StoreError::Other(e.to_string()))
}

#[async_trait]
impl OrderStore for StoreImpl {
    async fn push_orders(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        merchant: i64,
        event_id: Option<&str>,
        orders: &[(OrderPush, Option<i64>)],
    ) -> Result<PushOutcome> {
        if !s.sees(Some(merchant)) {
            return Err(DomainError::not_found("merchant").into());
        }
        let mut tx = self.writer.begin().await?;
        let mut out = PushOutcome::default();
        if let Some(ev) = event_id {
            let seen =
                sqlx::query("SELECT 1 AS x FROM order_pushes WHERE merchant_id = $1 AND event_id = $2")
                    .bind(merchant)
                    .bind(ev)
                    .fetch_optional(&mut *tx)
                    .await?;
            if seen.is_some() {
                out.duplicate = true;
                return Ok(out);
            }
            sqlx::query("INSERT INTO order_pushes (merchant_id, event_id, orders, received_at) VALUES ($1, $2, $3, $4)")
                .bind(merchant)
                .bind(ev)
                .bind(orders.len() as i64)
                .bind(ctx.now.0)
                .execute(&mut *tx)
                .await?;
        }
        for (o, customer) in orders {
            let items = order_values(o)?;
            let existing = sqlx::query(
                "SELECT id, shop_updated_at FROM orders WHERE merchant_id = $1 AND order_no = $2",
            )
            .bind(merchant)
            .bind(&o.order_no)
            .fetch_optional(&mut *tx)
            .await?;
            let sql = match &existing {
                None => {
                    out.created += 1;
                    "INSERT INTO orders (merchant_id, order_no, status, items, total_fen, paid_fen, payment_method, \
                     shipping_company, waybill, ordered_at, paid_at, shipped_at, signed_at, shop_updated_at, customer_id, \
                     created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)"
                }
                Some(r) if r.try_get::<i64, _>("shop_updated_at")? < o.updated_at.0 => {
                    out.updated += 1;
                    "UPDATE orders SET status = $3, items = $4, total_fen = $5, paid_fen = $6, payment_method = $7, \
                     shipping_company = $8, waybill = $9, ordered_at = $10, paid_at = $11, shipped_at = $12, signed_at = $13, \
                     shop_updated_at = $14, customer_id = COALESCE($15, customer_id), updated_at = $16 \
                     WHERE merchant_id = $1 AND order_no = $2"
                }
                Some(_) => {
                    out.unchanged += 1;
                    continue;
                }
            };
            sqlx::query(sql)
                .bind(merchant)
                .bind(&o.order_no)
                .bind(o.status.as_str())
                .bind(items)
                .bind(o.total_fen)
                .bind(o.paid_fen)
                .bind(&o.payment_method)
                .bind(&o.shipping_company)
                .bind(&o.waybill)
                .bind(o.ordered_at.0)
                .bind(o.paid_at.map(|m| m.0))
                .bind(o.shipped_at.map(|m| m.0))
                .bind(o.signed_at.map(|m| m.0))
                .bind(o.updated_at.0)
                .bind(*customer)
                .bind(ctx.now.0)
                .execute(&mut *tx)
                .await?;
        }
        let after = serde_json::json!({"event_id": event_id, "created": out.created, "updated": out.updated,
            "unchanged": out.unchanged, "orders": orders.iter().take(20).map(|(o, _)| o.order_no.clone()).collect::<Vec<_>>()});
        let e = ctx.entry(
            "order.push",
            "order_push",
            event_id.map(str::to_string),
            Some(merchant),
            None,
            Some(after.to_string()),
        );
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn customer_ids_by_account(
        &self,
        s: &Scope,
        merchant: i64,
        accounts: &[String],
    ) -> Result<std::collections::HashMap<String, i64>> {
        let mut out = std::collections::HashMap::new();
        if !s.sees(Some(merchant)) {
            return Ok(out);
        }
        for chunk in accounts.chunks(500) {
            let list = (2..chunk.len() + 2).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ");
            let sql = format!(
                "SELECT id, account_id FROM customers WHERE merchant_id = $1 AND merged_into IS NULL AND account_id IN ({list})"
            );
            let mut q = sqlx::query(&sql).bind(merchant);
            for a in chunk {
                q = q.bind(a);
            }
            for r in q.fetch_all(&self.reader).await? {
                let account: Option<String> = r.try_get("account_id")?;
                if let Some(a) = account {
                    out.entry(a).or_insert(r.try_get("id")?);
                }
            }
        }
        Ok(out)
    }

    async fn list_orders(&self, s: &Scope, f: &OrderFilter, page: PageReq) -> Result<Page<Order>> {
        let rows = sqlx::query(
            "SELECT * FROM orders WHERE ($1 IS NULL OR merchant_id = $1) AND ($2 IS NULL OR merchant_id = $2) \
             AND ($3 IS NULL OR customer_id = $3) AND ($4 IS NULL OR order_no = $4) AND ($5 = 0 OR id < $5) \
             ORDER BY id DESC LIMIT $6",
        )
        .bind(s.merchant_filter())
        .bind(f.merchant_id)
        .bind(f.customer_id)
        .bind(&f.order_no)
        .bind(page.after.unwrap_or(0))
        .bind(page.limit + 1)
        .fetch_all(&self.reader)
        .await?;
        let items = rows.iter().map(order_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, page.limit, |o| o.id))
    }

    async fn get_order(&self, s: &Scope, id: i64) -> Result<Option<Order>> {
        let row = sqlx::query("SELECT * FROM orders WHERE id = $1 AND ($2 IS NULL OR merchant_id = $2)")
            .bind(id)
            .bind(s.merchant_filter())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(order_row).transpose()
    }
}
