// Queries for 审批 (approvals) of promises above an agent's authority limit and the limits themselves, shared
// by both backends; `include!`d by `sqlite.rs` and `postgres.rs` after `shared_tickets.rs` (it appends ticket
// events in its own transactions).

use crate::approvals::*;
use kefu_core::authority::{
    ApprovalStatus as ApprStatus, AuthorityLimits as ApprLimits, Limit as ApprLimit, PromiseKind as ApprKind,
};

const APPR_PLATFORM_KEY: &str = "platform";

fn appr_owner_key(owner: LimitsOwner) -> String {
    match owner {
        LimitsOwner::Platform => APPR_PLATFORM_KEY.to_string(),
        LimitsOwner::Merchant(m) => format!("merchant:{m}"),
    }
}

fn appr_limits_of(json: &str) -> Result<ApprLimits> {
    serde_json::from_str(json).map_err(|_| corrupt("authority limits", json))
}

const APPR_SELECT: &str = "SELECT a.*, r.display_name AS requester_name, d.display_name AS decided_by_name, \
     t.number AS ticket_number, t.subject AS ticket_subject FROM approvals a \
     JOIN users r ON r.id = a.requester_id LEFT JOIN users d ON d.id = a.decided_by \
     LEFT JOIN tickets t ON t.id = a.ticket_id";

fn appr_row(r: &DbRow) -> Result<Approval> {
    let kind: String = r.try_get("kind")?;
    let kind = ApprKind::parse(&kind).map_err(|_| corrupt("promise kind", &kind))?;
    let status: String = r.try_get("status")?;
    let status = ApprStatus::parse(&status).map_err(|_| corrupt("approval status", &status))?;
    Ok(Approval {
        id: r.try_get("id")?,
        merchant_id: r.try_get("merchant_id")?,
        ticket_id: r.try_get("ticket_id")?,
        ticket_number: r.try_get("ticket_number")?,
        ticket_subject: r.try_get("ticket_subject")?,
        requester_id: r.try_get("requester_id")?,
        requester_name: r.try_get("requester_name")?,
        requester_role: role_of(&r.try_get::<String, _>("requester_role")?)?,
        kind,
        kind_label: kind.label_zh().to_string(),
        amount_fen: r.try_get("amount_fen")?,
        reason: r.try_get("reason")?,
        status,
        decided_by: r.try_get("decided_by")?,
        decided_by_name: r.try_get("decided_by_name")?,
        decided_at: r.try_get::<Option<i64>, _>("decided_at")?.map(Millis),
        note: r.try_get("note")?,
        created_at: Millis(r.try_get("created_at")?),
    })
}

async fn appr_get_in(tx: &mut Tx<'_>, id: i64) -> Result<Approval> {
    let r = sqlx::query(&format!("{APPR_SELECT} WHERE a.id = $1")).bind(id).fetch_one(&mut **tx).await?;
    appr_row(&r)
}


impl StoreImpl {
    async fn appr_limits_in(
        &self,
        conn: &mut <Db as sqlx::Database>::Connection,
        owner: LimitsOwner,
    ) -> Result<StoredLimits> {
        let mut keys = vec![appr_owner_key(owner)];
        if owner != LimitsOwner::Platform {
            keys.push(APPR_PLATFORM_KEY.to_string());
        }
        for key in keys {
            let row = sqlx::query("SELECT limits, updated_at FROM authority_limits WHERE owner_key = $1")
                .bind(&key)
                .fetch_optional(&mut *conn)
                .await?;
            if let Some(r) = row {
                let source = if key == APPR_PLATFORM_KEY { "platform" } else { "merchant" };
                return Ok(StoredLimits {
                    limits: appr_limits_of(&r.try_get::<String, _>("limits")?)?,
                    source: source.to_string(),
                    updated_at: Some(Millis(r.try_get("updated_at")?)),
                });
            }
        }
        Ok(StoredLimits {
            limits: ApprLimits::platform_default(),
            source: "shipped".to_string(),
            updated_at: None,
        })
    }
}

fn appr_scope_check(s: &Scope, owner: LimitsOwner) -> Result<()> {
    let visible = match owner {
        LimitsOwner::Platform => s.merchant_filter().is_none(),
        LimitsOwner::Merchant(m) => s.sees(Some(m)),
    };
    if visible {
        Ok(())
    } else {
        Err(DomainError::not_found("merchant").into())
    }
}

#[async_trait]
impl ApprovalStore for StoreImpl {
    async fn authority_limits(&self, s: &Scope, owner: LimitsOwner) -> Result<StoredLimits> {
        appr_scope_check(s, owner)?;
        let mut conn = self.reader.acquire().await?;
        self.appr_limits_in(&mut conn, owner).await
    }

    async fn set_authority_limits(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        owner: LimitsOwner,
        limits: &ApprLimits,
    ) -> Result<StoredLimits> {
        appr_scope_check(s, owner)?;
        let mut tx = self.writer.begin().await?;
        let merchant = match owner {
            LimitsOwner::Platform => None,
            LimitsOwner::Merchant(m) => {
                let exists = sqlx::query("SELECT id FROM merchants WHERE id = $1")
                    .bind(m)
                    .fetch_optional(&mut *tx)
                    .await?;
                if exists.is_none() {
                    return Err(DomainError::not_found("merchant").into());
                }
                Some(m)
            }
        };
        let before = self.appr_limits_in(&mut tx, owner).await?;
        let json = serde_json::to_string(limits).map_err(|e| StoreError::Other(e.to_string()))?;
        sqlx::query(
            "INSERT INTO authority_limits (owner_key, merchant_id, limits, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (owner_key) DO UPDATE SET limits = $3, updated_by = $4, updated_at = $5",
        )
        .bind(appr_owner_key(owner))
        .bind(merchant)
        .bind(&json)
        .bind(ctx.actor_id)
        .bind(ctx.now.0)
        .execute(&mut *tx)
        .await?;
        let before = serde_json::json!({"source": before.source, "limits": before.limits}).to_string();
        let entry = ctx.entry(
            "authority.limits_set",
            "authority_limits",
            Some(appr_owner_key(owner)),
            merchant,
            Some(before),
            Some(json),
        );
        append_audit_in(&mut tx, ctx.now, entry).await?;
        let after = self.appr_limits_in(&mut tx, owner).await?;
        tx.commit().await?;
        Ok(after)
    }

    async fn record_promise(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        ticket_id: i64,
        event: TicketEvent,
    ) -> Result<(Ticket, Vec<TicketEvent>)> {
        let mut tx = self.writer.begin().await?;
        let events = vec![event];
        let Some(done) =
            self.append_to_ticket_in(&mut tx, s, ctx, "promise", ticket_id, events.clone()).await?.map(|t| (t, events))
        else {
            return Err(DomainError::not_found("ticket").into());
        };
        tx.commit().await?;
        Ok(done)
    }

    async fn request_approval(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        new: NewApproval,
        event: BuildTicketEvent<'_>,
    ) -> Result<ApprovalWrite> {
        let mut tx = self.writer.begin().await?;
        // The ticket is locked first, so its timeline and the new request are written together.
        let ticket = sqlx::query(&format!(
            "SELECT merchant_id, number FROM tickets WHERE id = $1 AND ($2 IS NULL OR merchant_id = $2){FOR_UPDATE}"
        ))
        .bind(new.ticket_id)
        .bind(s.merchant_filter())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(ticket) = ticket else {
            return Err(DomainError::not_found("ticket").into());
        };
        let merchant: Option<i64> = ticket.try_get("merchant_id")?;
        let number: String = ticket.try_get("number")?;
        let row = sqlx::query(
            "INSERT INTO approvals (merchant_id, ticket_id, requester_id, requester_role, kind, amount_fen, reason, status, note, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '', $9) RETURNING id",
        )
        .bind(merchant)
        .bind(new.ticket_id)
        .bind(new.requester_id)
        .bind(new.requester_role.as_str())
        .bind(new.kind.as_str())
        .bind(new.amount_fen)
        .bind(&new.reason)
        .bind(ApprStatus::Pending.as_str())
        .bind(ctx.now.0)
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        let events = vec![event(id)];
        let done = self
            .append_to_ticket_in(&mut tx, s, ctx, "approval_request", new.ticket_id, events.clone())
            .await?
            .map(|t| (t, events));
        if !new.notify_roles.is_empty() {
            let roles: Vec<&str> = new.notify_roles.iter().map(|r| r.as_str()).collect();
            let list = placeholders(3, roles.len());
            let flag = 3 + roles.len();
            let sql = format!(
                "SELECT id FROM users WHERE merchant_id IS NOT DISTINCT FROM $1 AND id <> $2 AND role IN ({list}) \
                 AND disabled = ${flag} ORDER BY id"
            );
            let mut q = sqlx::query(&sql).bind(merchant).bind(new.requester_id);
            for r in &roles {
                q = q.bind(*r);
            }
            let deciders = q.bind(false).fetch_all(&mut *tx).await?;
            let requester = appr_get_in(&mut tx, id).await?.requester_name;
            let body = format!(
                "待审批：工单 {number} {} {}（申请人 {requester}）",
                new.kind.label_zh(),
                kefu_core::money::yuan(new.amount_fen)
            );
            for d in deciders {
                let user: i64 = d.try_get("id")?;
                sqlx::query(
                    "INSERT INTO notifications (merchant_id, ticket_id, recipient_kind, recipient, kind, body, created_at) \
                     VALUES ($1, $2, 'user', $3, 'approval_requested', $4, $5)",
                )
                .bind(merchant)
                .bind(new.ticket_id)
                .bind(user.to_string())
                .bind(&body)
                .bind(ctx.now.0)
                .execute(&mut *tx)
                .await?;
            }
        }
        let approval = appr_get_in(&mut tx, id).await?;
        let after = serde_json::json!({
            "ticket_id": new.ticket_id, "kind": new.kind.as_str(), "amount_fen": new.amount_fen,
            "status": ApprStatus::Pending.as_str(), "reason": new.reason,
        });
        let entry = ctx.entry(
            "approval.request",
            "approval",
            Some(id.to_string()),
            merchant,
            None,
            Some(after.to_string()),
        );
        append_audit_in(&mut tx, ctx.now, entry).await?;
        tx.commit().await?;
        Ok(ApprovalWrite { approval, ticket: done })
    }

    async fn get_approval(&self, s: &Scope, id: i64) -> Result<Option<Approval>> {
        let r = sqlx::query(&format!("{APPR_SELECT} WHERE a.id = $1 AND ($2 IS NULL OR a.merchant_id = $2)"))
            .bind(id)
            .bind(s.merchant_filter())
            .fetch_optional(&self.reader)
            .await?;
        r.as_ref().map(appr_row).transpose()
    }

    async fn list_approvals(&self, s: &Scope, f: &ApprovalFilter, page: PageReq) -> Result<Page<Approval>> {
        let mut a = Args::new(&format!("{APPR_SELECT} WHERE 1 = 1"));
        scope_clause(&mut a, s, "a.merchant_id");
        if let Some(st) = f.status {
            a.and("a.status = ?", vec![Arg::Text(st.as_str().to_string())]);
        }
        if let Some(t) = f.ticket_id {
            a.and("a.ticket_id = ?", vec![Arg::Int(t)]);
        }
        if let Some(v) = &f.viewer {
            // Their own requests, or someone else's within the viewer's limit for its kind.
            let mut clause = String::from("(a.requester_id = ?");
            let mut args = vec![Arg::Int(v.user_id)];
            for (kind, limit) in &v.decidable {
                match limit {
                    ApprLimit::Unlimited => {
                        clause.push_str(" OR (a.requester_id <> ? AND a.kind = ?)");
                        args.extend([Arg::Int(v.user_id), Arg::Text(kind.as_str().to_string())]);
                    }
                    ApprLimit::UpTo(max) => {
                        clause.push_str(" OR (a.requester_id <> ? AND a.kind = ? AND a.amount_fen <= ?)");
                        args.extend([
                            Arg::Int(v.user_id),
                            Arg::Text(kind.as_str().to_string()),
                            Arg::Int(*max),
                        ]);
                    }
                }
            }
            clause.push(')');
            a.and(&clause, args);
        }
        a.and("a.id < ?", vec![Arg::Int(page.after.unwrap_or(i64::MAX))]);
        let l = a.param(Arg::Int(page.limit + 1));
        a.push(&format!(" ORDER BY a.id DESC LIMIT {l}"));
        let rows = a.query().fetch_all(&self.reader).await?;
        let items = rows.iter().map(appr_row).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, page.limit, |x| x.id))
    }

    async fn decide_approval(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        id: i64,
        check: CheckApproval<'_>,
        decision: ApprovalDecision,
    ) -> Result<ApprovalWrite> {
        let action = match decision.status {
            ApprStatus::Approved => "approval.approve",
            ApprStatus::Rejected => "approval.reject",
            ApprStatus::Cancelled => "approval.cancel",
            ApprStatus::Pending => {
                return Err(StoreError::Other("a decision cannot leave a request pending".into()))
            }
        };
        let mut tx = self.writer.begin().await?;
        lock_scoped_in(&mut tx, s, "approvals", id, "approval").await?;
        let cur = appr_get_in(&mut tx, id).await?;
        // A request decided already is a conflict for everyone; only a pending one asks who may decide it.
        if cur.status != ApprStatus::Pending {
            return Err(DomainError::conflict(
                Some("status"),
                format!("approval #{id} is already {}; it cannot be decided again", cur.status.as_str()),
            )
            .into());
        }
        check(&cur)?;
        let updated = sqlx::query(
            "UPDATE approvals SET status = $2, decided_by = $3, decided_at = $4, note = $5 WHERE id = $1 AND status = $6",
        )
        .bind(id)
        .bind(decision.status.as_str())
        .bind(ctx.actor_id)
        .bind(ctx.now.0)
        .bind(&decision.note)
        .bind(ApprStatus::Pending.as_str())
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            return Err(DomainError::conflict(
                Some("status"),
                format!("approval #{id} was decided meanwhile"),
            )
            .into());
        }
        let mut ticket = None;
        if let (Some(t), false) = (cur.ticket_id, decision.ticket_events.is_empty()) {
            let command = format!("approval_{}", decision.status.as_str());
            let events = decision.ticket_events.clone();
            ticket = self.append_to_ticket_in(&mut tx, s, ctx, &command, t, events.clone()).await?.map(|t| (t, events));
        }
        // The requester hears of the decision in-app.
        if let (Some(t), ApprStatus::Approved | ApprStatus::Rejected) = (cur.ticket_id, decision.status) {
            let verdict = if decision.status == ApprStatus::Approved { "已批准" } else { "已驳回" };
            let body = format!(
                "审批 #{id} {verdict}：{} {}{}",
                cur.kind.label_zh(),
                kefu_core::money::yuan(cur.amount_fen),
                if decision.note.is_empty() { String::new() } else { format!("（{}）", decision.note) }
            );
            sqlx::query(
                "INSERT INTO notifications (merchant_id, ticket_id, recipient_kind, recipient, kind, body, created_at) \
                 VALUES ($1, $2, 'user', $3, 'approval_decided', $4, $5)",
            )
            .bind(cur.merchant_id)
            .bind(t)
            .bind(cur.requester_id.to_string())
            .bind(body)
            .bind(ctx.now.0)
            .execute(&mut *tx)
            .await?;
        }
        let approval = appr_get_in(&mut tx, id).await?;
        let entry = ctx.entry(
            action,
            "approval",
            Some(id.to_string()),
            cur.merchant_id,
            Some(serde_json::json!({"status": cur.status.as_str()}).to_string()),
            Some(
                serde_json::json!({"status": decision.status.as_str(), "note": decision.note, "amount_fen": cur.amount_fen, "kind": cur.kind.as_str()})
                    .to_string(),
            ),
        );
        append_audit_in(&mut tx, ctx.now, entry).await?;
        tx.commit().await?;
        Ok(ApprovalWrite { approval, ticket })
    }
}
