// Integration queries (webhooks, phone, app channel) shared by both backends; `include!`d after
// `shared_jobs.rs` (whose `placeholders` it uses).

use crate::integrations::*;

/// The signing secret is encrypted at rest under the personal-data key (it lets anyone forge deliveries).
const WEBHOOK_SECRET: &str = "webhook.secret";

fn webhook_row(r: &DbRow, cipher: &crate::crypto::PiiCipher) -> Result<Webhook> {
    let events: String = r.try_get("events")?;
    let sealed: String = r.try_get("secret")?;
    let secret = cipher
        .decrypt_for(WEBHOOK_SECRET, &sealed)
        .map_err(|e| StoreError::Other(format!("cannot decrypt a webhook secret: {e}")))?;
    Ok(Webhook {
        id: r.try_get("id")?,
        merchant_id: r.try_get("merchant_id")?,
        url: r.try_get("url")?,
        events: serde_json::from_str(&events).map_err(|_| corrupt("webhook events", &events))?,
        active: r.try_get("active")?,
        description: r.try_get("description")?,
        secret,
        created_at: Millis(r.try_get("created_at")?),
        updated_at: Millis(r.try_get("updated_at")?),
    })
}

fn delivery_row(r: &DbRow) -> Result<WebhookDelivery> {
    Ok(WebhookDelivery {
        id: r.try_get("id")?,
        delivery_key: r.try_get("delivery_key")?,
        subscription_id: r.try_get("subscription_id")?,
        merchant_id: r.try_get("merchant_id")?,
        event_id: r.try_get("event_id")?,
        event_type: r.try_get("event_type")?,
        ticket_id: r.try_get("ticket_id")?,
        body: r.try_get("body")?,
        state: r.try_get("state")?,
        attempts: r.try_get("attempts")?,
        last_status: r.try_get("last_status")?,
        last_error: r.try_get("last_error")?,
        created_at: Millis(r.try_get("created_at")?),
        updated_at: Millis(r.try_get("updated_at")?),
        attempt_log: Vec::new(),
    })
}

fn attempt_row(r: &DbRow) -> Result<(i64, WebhookAttempt)> {
    Ok((
        r.try_get("delivery_id")?,
        WebhookAttempt {
            attempt: r.try_get("attempt")?,
            status_code: r.try_get("status_code")?,
            error: r.try_get("error")?,
            duration_ms: r.try_get("duration_ms")?,
            at: Millis(r.try_get("at")?),
        },
    ))
}

fn call_row(r: &DbRow) -> Result<PhoneCall> {
    Ok(PhoneCall {
        id: r.try_get("id")?,
        merchant_id: r.try_get("merchant_id")?,
        call_id: r.try_get("call_id")?,
        direction: r.try_get("direction")?,
        line: r.try_get("line")?,
        outcome: r.try_get("outcome")?,
        customer_id: r.try_get("customer_id")?,
        ticket_id: r.try_get("ticket_id")?,
        agent_id: r.try_get("agent_id")?,
        ring_at: Millis(r.try_get("ring_at")?),
        answered_at: ms(r.try_get("answered_at")?),
        ended_at: Millis(r.try_get("ended_at")?),
        ivr_choice: r.try_get("ivr_choice")?,
        recording_ref: r.try_get("recording_ref")?,
        created_at: Millis(r.try_get("created_at")?),
    })
}

fn callback_row(r: &DbRow) -> Result<Callback> {
    Ok(Callback {
        id: r.try_get("id")?,
        merchant_id: r.try_get("merchant_id")?,
        call_pk: r.try_get("call_pk")?,
        customer_id: r.try_get("customer_id")?,
        ticket_id: r.try_get("ticket_id")?,
        state: r.try_get("state")?,
        due_at: Millis(r.try_get("due_at")?),
        created_at: Millis(r.try_get("created_at")?),
        done_at: ms(r.try_get("done_at")?),
        done_by: r.try_get("done_by")?,
        note: r.try_get("note")?,
    })
}

fn events_json(events: &[String]) -> String {
    serde_json::to_string(events).unwrap_or_else(|_| "[]".into())
}

impl StoreImpl {
    async fn webhook_for_update(&self, tx: &mut Tx<'_>, s: &Scope, id: i64) -> Result<Webhook> {
        let cipher = self.cipher()?;
        let row = sqlx::query(&format!("SELECT * FROM webhook_subscriptions WHERE id = $1{FOR_UPDATE}"))
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
        match row.as_ref().map(|r| webhook_row(r, &cipher)).transpose()? {
            Some(w) if s.sees(w.merchant_id) => Ok(w),
            _ => Err(DomainError::not_found("webhook").into()),
        }
    }

    async fn with_attempts(&self, mut ds: Vec<WebhookDelivery>) -> Result<Vec<WebhookDelivery>> {
        if ds.is_empty() {
            return Ok(ds);
        }
        let sql = format!(
            "SELECT * FROM webhook_attempts WHERE delivery_id IN ({}) ORDER BY id",
            placeholders(1, ds.len())
        );
        let mut q = sqlx::query(&sql);
        for d in &ds {
            q = q.bind(d.id);
        }
        let rows = q.fetch_all(&self.reader).await?;
        for r in &rows {
            let (delivery, a) = attempt_row(r)?;
            if let Some(d) = ds.iter_mut().find(|d| d.id == delivery) {
                d.attempt_log.push(a);
            }
        }
        Ok(ds)
    }
}

#[async_trait]
impl IntegrationStore for StoreImpl {
    async fn create_webhook(&self, s: &Scope, ctx: &AuditCtx, mut spec: WebhookSpec) -> Result<Webhook> {
        spec.merchant_id = s.owner_for_new(spec.merchant_id)?;
        let cipher = self.cipher()?;
        let sealed = enc(&cipher, WEBHOOK_SECRET, &spec.secret)?;
        let mut tx = self.writer.begin().await?;
        let row = sqlx::query(
            "INSERT INTO webhook_subscriptions (merchant_id, url, events, active, description, secret, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING *",
        )
        .bind(spec.merchant_id)
        .bind(&spec.url)
        .bind(events_json(&spec.events))
        .bind(spec.active)
        .bind(&spec.description)
        .bind(&sealed)
        .bind(ctx.now.0)
        .fetch_one(&mut *tx)
        .await?;
        let w = webhook_row(&row, &cipher)?;
        let e = ctx.entry("webhook.create", "webhook", Some(w.id.to_string()), w.merchant_id, None, to_json(&w));
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(w)
    }

    async fn list_webhooks(&self, s: &Scope) -> Result<Vec<Webhook>> {
        let cipher = self.cipher()?;
        let rows = sqlx::query(
            "SELECT * FROM webhook_subscriptions WHERE ($1 IS NULL OR merchant_id = $1) ORDER BY id LIMIT 500",
        )
        .bind(s.merchant_filter())
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(|r| webhook_row(r, &cipher)).collect()
    }

    async fn get_webhook(&self, s: &Scope, id: i64) -> Result<Option<Webhook>> {
        let cipher = self.cipher()?;
        let row = sqlx::query("SELECT * FROM webhook_subscriptions WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?;
        Ok(row.as_ref().map(|r| webhook_row(r, &cipher)).transpose()?.filter(|w| s.sees(w.merchant_id)))
    }

    async fn update_webhook(&self, s: &Scope, ctx: &AuditCtx, id: i64, patch: WebhookPatch) -> Result<Webhook> {
        let cipher = self.cipher()?;
        let mut tx = self.writer.begin().await?;
        let before = self.webhook_for_update(&mut tx, s, id).await?;
        let row = sqlx::query(
            "UPDATE webhook_subscriptions SET url = $1, events = $2, active = $3, description = $4, updated_at = $5 \
             WHERE id = $6 RETURNING *",
        )
        .bind(patch.url.as_ref().unwrap_or(&before.url))
        .bind(events_json(patch.events.as_ref().unwrap_or(&before.events)))
        .bind(patch.active.unwrap_or(before.active))
        .bind(patch.description.as_ref().unwrap_or(&before.description))
        .bind(ctx.now.0)
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        let w = webhook_row(&row, &cipher)?;
        let e = ctx.entry("webhook.update", "webhook", Some(id.to_string()), w.merchant_id, to_json(&before), to_json(&w));
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(w)
    }

    async fn set_webhook_secret(&self, s: &Scope, ctx: &AuditCtx, id: i64, secret: String) -> Result<Webhook> {
        let cipher = self.cipher()?;
        let sealed = enc(&cipher, WEBHOOK_SECRET, &secret)?;
        let mut tx = self.writer.begin().await?;
        let before = self.webhook_for_update(&mut tx, s, id).await?;
        let row = sqlx::query("UPDATE webhook_subscriptions SET secret = $1, updated_at = $2 WHERE id = $3 RETURNING *")
            .bind(&sealed)
            .bind(ctx.now.0)
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let w = webhook_row(&row, &cipher)?;
        // The audit record says that it changed, never the secret.
        let e = ctx.entry("webhook.rotate_secret", "webhook", Some(id.to_string()), before.merchant_id, None, None);
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(w)
    }

    async fn delete_webhook(&self, s: &Scope, ctx: &AuditCtx, id: i64) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let before = self.webhook_for_update(&mut tx, s, id).await?;
        let attempts = "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE subscription_id = $1)";
        sqlx::query(attempts).bind(id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM webhook_deliveries WHERE subscription_id = $1").bind(id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM webhook_subscriptions WHERE id = $1").bind(id).execute(&mut *tx).await?;
        let e = ctx.entry("webhook.delete", "webhook", Some(id.to_string()), before.merchant_id, to_json(&before), None);
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn active_webhooks(&self) -> Result<Vec<Webhook>> {
        let cipher = self.cipher()?;
        let rows = sqlx::query("SELECT * FROM webhook_subscriptions WHERE active ORDER BY id")
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(|r| webhook_row(r, &cipher)).collect()
    }

    async fn create_webhook_delivery(&self, new: NewDelivery) -> Result<(WebhookDelivery, bool)> {
        let row = sqlx::query(
            "INSERT INTO webhook_deliveries (delivery_key, subscription_id, merchant_id, event_id, event_type, ticket_id, body, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) ON CONFLICT (subscription_id, event_id) DO NOTHING RETURNING *",
        )
        .bind(&new.delivery_key)
        .bind(new.subscription_id)
        .bind(new.merchant_id)
        .bind(new.event_id)
        .bind(&new.event_type)
        .bind(new.ticket_id)
        .bind(&new.body)
        .bind(new.now.0)
        .fetch_optional(&self.writer)
        .await?;
        if let Some(r) = row {
            return Ok((delivery_row(&r)?, true));
        }
        let r = sqlx::query("SELECT * FROM webhook_deliveries WHERE subscription_id = $1 AND event_id = $2")
            .bind(new.subscription_id)
            .bind(new.event_id)
            .fetch_one(&self.writer)
            .await?;
        Ok((delivery_row(&r)?, false))
    }

    async fn get_webhook_delivery(&self, s: &Scope, id: i64) -> Result<Option<WebhookDelivery>> {
        let row = sqlx::query("SELECT * FROM webhook_deliveries WHERE id = $1").bind(id).fetch_optional(&self.writer).await?;
        let d = row.as_ref().map(delivery_row).transpose()?.filter(|d| s.sees(d.merchant_id));
        Ok(match d {
            Some(d) => self.with_attempts(vec![d]).await?.pop(),
            None => None,
        })
    }

    async fn list_webhook_deliveries(&self, s: &Scope, subscription: i64, limit: i64) -> Result<Vec<WebhookDelivery>> {
        let rows = sqlx::query(
            "SELECT * FROM webhook_deliveries WHERE subscription_id = $1 AND ($2 IS NULL OR merchant_id = $2) \
             ORDER BY id DESC LIMIT $3",
        )
        .bind(subscription)
        .bind(s.merchant_filter())
        .bind(limit.clamp(1, 200))
        .fetch_all(&self.reader)
        .await?;
        let ds = rows.iter().map(delivery_row).collect::<Result<Vec<_>>>()?;
        self.with_attempts(ds).await
    }

    async fn record_webhook_attempt(&self, a: AttemptRecord) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        sqlx::query(
            "INSERT INTO webhook_attempts (delivery_id, attempt, status_code, error, duration_ms, at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(a.delivery_id)
        .bind(a.attempt)
        .bind(a.status_code)
        .bind(&a.error)
        .bind(a.duration_ms)
        .bind(a.at.0)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE webhook_deliveries SET state = $1, attempts = attempts + 1, last_status = $2, last_error = $3, updated_at = $4 WHERE id = $5",
        )
        .bind(&a.state)
        .bind(a.status_code)
        .bind(&a.error)
        .bind(a.at.0)
        .bind(a.delivery_id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn reset_webhook_delivery(&self, id: i64, now: Millis) -> Result<()> {
        sqlx::query("UPDATE webhook_deliveries SET state = 'pending', updated_at = $1 WHERE id = $2")
            .bind(now.0)
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn job_by_dedupe_key(&self, key: &str) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT id FROM jobs WHERE dedupe_key = $1").bind(key).fetch_optional(&self.writer).await?;
        Ok(match row {
            Some(r) => Some(r.try_get("id")?),
            None => None,
        })
    }

    async fn get_phone_settings(&self, s: &Scope, merchant: Option<i64>) -> Result<PhoneSettings> {
        if !s.sees(merchant) {
            return Err(DomainError::not_found("merchant").into());
        }
        let key = owner_key(merchant);
        let row = sqlx::query("SELECT * FROM phone_settings WHERE owner_key = $1").bind(key).fetch_optional(&self.reader).await?;
        let mut out = PhoneSettings::defaults(merchant);
        if let Some(r) = row {
            out.ring_secs = r.try_get("ring_secs")?;
            out.rings_target = r.try_get("rings_target")?;
            out.callback_due_mins = r.try_get("callback_due_mins")?;
            out.updated_at = Some(Millis(r.try_get("updated_at")?));
        }
        let lines = sqlx::query("SELECT number, label FROM phone_lines WHERE owner_key = $1 ORDER BY number")
            .bind(key)
            .fetch_all(&self.reader)
            .await?;
        for l in &lines {
            out.lines.push(PhoneLine { number: l.try_get("number")?, label: l.try_get("label")? });
        }
        Ok(out)
    }

    async fn put_phone_settings(&self, s: &Scope, ctx: &AuditCtx, mut p: PhoneSettings) -> Result<PhoneSettings> {
        p.merchant_id = s.owner_for_new(p.merchant_id)?;
        let key = owner_key(p.merchant_id);
        let before = self.get_phone_settings(s, p.merchant_id).await?;
        let mut tx = self.writer.begin().await?;
        for l in &p.lines {
            let row = sqlx::query("SELECT owner_key FROM phone_lines WHERE number = $1").bind(&l.number).fetch_optional(&mut *tx).await?;
            if let Some(r) = row {
                let other: i64 = r.try_get("owner_key")?;
                if other != key {
                    return Err(DomainError::conflict(
                        Some("lines"),
                        format!("line {} belongs to another merchant", l.number),
                    )
                    .into());
                }
            }
        }
        sqlx::query(
            "INSERT INTO phone_settings (owner_key, merchant_id, ring_secs, rings_target, callback_due_mins, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (owner_key) DO UPDATE SET ring_secs = $3, rings_target = $4, \
             callback_due_mins = $5, updated_at = $6",
        )
        .bind(key)
        .bind(p.merchant_id)
        .bind(p.ring_secs)
        .bind(p.rings_target)
        .bind(p.callback_due_mins)
        .bind(ctx.now.0)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM phone_lines WHERE owner_key = $1").bind(key).execute(&mut *tx).await?;
        for l in &p.lines {
            sqlx::query("INSERT INTO phone_lines (number, owner_key, merchant_id, label) VALUES ($1, $2, $3, $4)")
                .bind(&l.number)
                .bind(key)
                .bind(p.merchant_id)
                .bind(&l.label)
                .execute(&mut *tx)
                .await
                .map_err(|e| unique_as_conflict(e, "lines", "a line belongs to another merchant"))?;
        }
        p.updated_at = Some(ctx.now);
        let e = ctx.entry("phone.settings", "phone_settings", Some(key.to_string()), p.merchant_id, to_json(&before), to_json(&p));
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(p)
    }

    async fn phone_line_owner(&self, number: &str) -> Result<Option<Option<i64>>> {
        let row = sqlx::query("SELECT merchant_id FROM phone_lines WHERE number = $1").bind(number).fetch_optional(&self.reader).await?;
        Ok(match row {
            Some(r) => Some(r.try_get("merchant_id")?),
            None => None,
        })
    }

    async fn claim_phone_call(&self, s: &Scope, c: NewCall) -> Result<(PhoneCall, bool)> {
        if !s.sees(c.merchant_id) {
            return Err(DomainError::not_found("merchant").into());
        }
        let key = owner_key(c.merchant_id);
        let row = sqlx::query(
            "INSERT INTO phone_calls (owner_key, merchant_id, call_id, direction, line, outcome, agent_id, ring_at, answered_at, \
             ended_at, ivr_choice, recording_ref, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
             ON CONFLICT (owner_key, call_id) DO NOTHING RETURNING *",
        )
        .bind(key)
        .bind(c.merchant_id)
        .bind(&c.call_id)
        .bind(&c.direction)
        .bind(&c.line)
        .bind(&c.outcome)
        .bind(c.agent_id)
        .bind(c.ring_at.0)
        .bind(c.answered_at.map(|m| m.0))
        .bind(c.ended_at.0)
        .bind(&c.ivr_choice)
        .bind(&c.recording_ref)
        .bind(c.now.0)
        .fetch_optional(&self.writer)
        .await?;
        if let Some(r) = row {
            return Ok((call_row(&r)?, true));
        }
        let r = sqlx::query("SELECT * FROM phone_calls WHERE owner_key = $1 AND call_id = $2")
            .bind(key)
            .bind(&c.call_id)
            .fetch_one(&self.writer)
            .await?;
        Ok((call_row(&r)?, false))
    }

    async fn finish_phone_call(
        &self,
        s: &Scope,
        id: i64,
        customer_id: i64,
        ticket_id: i64,
        callback_due: Option<Millis>,
        now: Millis,
    ) -> Result<(PhoneCall, Option<Callback>)> {
        let mut tx = self.writer.begin().await?;
        let row = sqlx::query("UPDATE phone_calls SET customer_id = $1, ticket_id = $2 WHERE id = $3 RETURNING *")
            .bind(customer_id)
            .bind(ticket_id)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let call = match row.as_ref().map(call_row).transpose()? {
            Some(c) if s.sees(c.merchant_id) => c,
            _ => return Err(DomainError::not_found("call").into()),
        };
        let mut cb = None;
        if let Some(due) = callback_due {
            let r = sqlx::query(
                "INSERT INTO phone_callbacks (merchant_id, call_pk, customer_id, ticket_id, state, due_at, created_at) \
                 VALUES ($1, $2, $3, $4, 'open', $5, $6) RETURNING *",
            )
            .bind(call.merchant_id)
            .bind(call.id)
            .bind(customer_id)
            .bind(ticket_id)
            .bind(due.0)
            .bind(now.0)
            .fetch_one(&mut *tx)
            .await?;
            cb = Some(callback_row(&r)?);
        }
        tx.commit().await?;
        Ok((call, cb))
    }

    async fn release_phone_call(&self, s: &Scope, id: i64) -> Result<()> {
        sqlx::query("DELETE FROM phone_calls WHERE id = $1 AND ticket_id IS NULL AND ($2 IS NULL OR merchant_id = $2)")
            .bind(id)
            .bind(s.merchant_filter())
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn callback_of_call(&self, s: &Scope, call_pk: i64) -> Result<Option<Callback>> {
        let row = sqlx::query("SELECT * FROM phone_callbacks WHERE call_pk = $1").bind(call_pk).fetch_optional(&self.writer).await?;
        Ok(row.as_ref().map(callback_row).transpose()?.filter(|c| s.sees(c.merchant_id)))
    }

    async fn list_callbacks(&self, s: &Scope, state: Option<&str>, limit: i64) -> Result<Vec<Callback>> {
        let rows = sqlx::query(
            "SELECT * FROM phone_callbacks WHERE ($1 IS NULL OR merchant_id = $1) AND ($2 IS NULL OR state = $2) \
             ORDER BY state DESC, due_at, id LIMIT $3",
        )
        .bind(s.merchant_filter())
        .bind(state)
        .bind(limit.clamp(1, 500))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(callback_row).collect()
    }

    async fn get_callback(&self, s: &Scope, id: i64) -> Result<Option<Callback>> {
        let row = sqlx::query("SELECT * FROM phone_callbacks WHERE id = $1").bind(id).fetch_optional(&self.reader).await?;
        Ok(row.as_ref().map(callback_row).transpose()?.filter(|c| s.sees(c.merchant_id)))
    }

    async fn complete_callback(&self, s: &Scope, ctx: &AuditCtx, id: i64, note: Option<String>) -> Result<Callback> {
        let mut tx = self.writer.begin().await?;
        let row = sqlx::query(&format!("SELECT * FROM phone_callbacks WHERE id = $1{FOR_UPDATE}"))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let before = match row.as_ref().map(callback_row).transpose()? {
            Some(c) if s.sees(c.merchant_id) => c,
            _ => return Err(DomainError::not_found("call-back task").into()),
        };
        if before.state == "done" {
            return Err(DomainError::conflict(None, "this call-back task is already done").into());
        }
        let row = sqlx::query(
            "UPDATE phone_callbacks SET state = 'done', done_at = $1, done_by = $2, note = $3 WHERE id = $4 RETURNING *",
        )
        .bind(ctx.now.0)
        .bind(ctx.actor_id)
        .bind(&note)
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        let c = callback_row(&row)?;
        let e = ctx.entry("phone.callback_done", "phone_callback", Some(id.to_string()), c.merchant_id, to_json(&before), to_json(&c));
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(c)
    }

    async fn call_facts(&self, s: &Scope, merchant: Option<i64>, from: Millis, to: Millis) -> Result<Vec<CallFact>> {
        let filter = s.merchant_filter().or(merchant);
        let rows = sqlx::query(
            "SELECT merchant_id, direction, outcome, ring_at, answered_at FROM phone_calls \
             WHERE ($1 IS NULL OR merchant_id = $1) AND ring_at >= $2 AND ring_at < $3 ORDER BY ring_at LIMIT 200000",
        )
        .bind(filter)
        .bind(from.0)
        .bind(to.0)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CallFact {
                    merchant_id: r.try_get("merchant_id")?,
                    direction: r.try_get("direction")?,
                    outcome: r.try_get("outcome")?,
                    ring_at: Millis(r.try_get("ring_at")?),
                    answered_at: ms(r.try_get("answered_at")?),
                })
            })
            .collect()
    }

    async fn claim_app_message(&self, merchant: Option<i64>, cmid: &str, now: Millis) -> Result<Option<AppMessageKey>> {
        let key = owner_key(merchant);
        let r = sqlx::query(
            "INSERT INTO app_messages (owner_key, client_message_id, merchant_id, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (owner_key, client_message_id) DO NOTHING",
        )
        .bind(key)
        .bind(cmid)
        .bind(merchant)
        .bind(now.0)
        .execute(&self.writer)
        .await?;
        if r.rows_affected() == 1 {
            return Ok(None);
        }
        let row = sqlx::query("SELECT * FROM app_messages WHERE owner_key = $1 AND client_message_id = $2")
            .bind(key)
            .bind(cmid)
            .fetch_one(&self.writer)
            .await?;
        Ok(Some(AppMessageKey {
            merchant_id: row.try_get("merchant_id")?,
            client_message_id: row.try_get("client_message_id")?,
            customer_id: row.try_get("customer_id")?,
            ticket_id: row.try_get("ticket_id")?,
            created_at: Millis(row.try_get("created_at")?),
        }))
    }

    async fn finish_app_message(&self, merchant: Option<i64>, cmid: &str, customer_id: i64, ticket_id: i64) -> Result<()> {
        sqlx::query("UPDATE app_messages SET customer_id = $1, ticket_id = $2 WHERE owner_key = $3 AND client_message_id = $4")
            .bind(customer_id)
            .bind(ticket_id)
            .bind(owner_key(merchant))
            .bind(cmid)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn release_app_message(&self, merchant: Option<i64>, cmid: &str) -> Result<()> {
        sqlx::query("DELETE FROM app_messages WHERE owner_key = $1 AND client_message_id = $2 AND ticket_id IS NULL")
            .bind(owner_key(merchant))
            .bind(cmid)
            .execute(&self.writer)
            .await?;
        Ok(())
    }
}
