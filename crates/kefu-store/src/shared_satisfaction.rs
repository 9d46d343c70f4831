// Queries for satisfaction ratings (满意度评价) and follow-up visits (回访), shared by both backends; `include!`d by `sqlite.rs` and `postgres.rs`.

use crate::satisfaction::*;
use kefu_core::satisfaction::{ValidOutcome, VisitOutcome, VisitReason, VisitStatus};

const SAT_RATING_SELECT: &str = "SELECT r.*, u.display_name AS agent_name FROM satisfaction_ratings r \
     LEFT JOIN users u ON u.id = r.agent_id";

const SAT_VISIT_SELECT: &str = "SELECT v.*, u.display_name AS assignee_name, t.subject AS ticket_subject \
     FROM follow_up_visits v LEFT JOIN users u ON u.id = v.assignee_id LEFT JOIN tickets t ON t.id = v.ticket_id";

fn sat_rating_row(r: &DbRow) -> Result<Rating> {
    let reasons: String = r.try_get("reasons")?;
    let reasons: Vec<String> =
        serde_json::from_str(&reasons).map_err(|_| corrupt("rating reasons", &reasons))?;
    Ok(Rating {
        id: r.try_get("id")?,
        merchant_id: r.try_get("merchant_id")?,
        ticket_id: r.try_get("ticket_id")?,
        ticket_number: r.try_get("ticket_number")?,
        customer_id: r.try_get("customer_id")?,
        agent_id: r.try_get("agent_id")?,
        agent_name: r.try_get("agent_name")?,
        channel: r.try_get("channel")?,
        score: r.try_get("score")?,
        label: r.try_get("label")?,
        reasons,
        comment: r.try_get("comment")?,
        resolution_at: Millis(r.try_get("resolution_at")?),
        created_at: Millis(r.try_get("created_at")?),
    })
}

fn sat_visit_row(r: &DbRow) -> Result<FollowUpVisit> {
    let reason: String = r.try_get("reason")?;
    let reason = VisitReason::parse(&reason).ok_or_else(|| corrupt("visit reason", &reason))?;
    let status: String = r.try_get("status")?;
    let status = VisitStatus::parse(&status).ok_or_else(|| corrupt("visit status", &status))?;
    let outcome: Option<String> = r.try_get("outcome")?;
    let outcome = match outcome {
        Some(o) => Some(VisitOutcome::parse(&o).ok_or_else(|| corrupt("visit outcome", &o))?),
        None => None,
    };
    Ok(FollowUpVisit {
        id: r.try_get("id")?,
        merchant_id: r.try_get("merchant_id")?,
        ticket_id: r.try_get("ticket_id")?,
        ticket_number: r.try_get("ticket_number")?,
        ticket_subject: r.try_get("ticket_subject")?,
        customer_id: r.try_get("customer_id")?,
        reason,
        reason_label: reason.label().to_string(),
        source: r.try_get("source")?,
        due_at: Millis(r.try_get("due_at")?),
        assignee_id: r.try_get("assignee_id")?,
        assignee_name: r.try_get("assignee_name")?,
        status,
        status_label: status.label().to_string(),
        script: r.try_get("script")?,
        outcome,
        outcome_label: outcome.map(|o| o.label().to_string()),
        renewed_score: r.try_get("renewed_score")?,
        note: r.try_get("note")?,
        created_by: r.try_get("created_by")?,
        created_at: Millis(r.try_get("created_at")?),
        completed_by: r.try_get("completed_by")?,
        completed_at: r.try_get::<Option<i64>, _>("completed_at")?.map(Millis),
    })
}

async fn sat_visit_in(tx: &mut Tx<'_>, id: i64) -> Result<FollowUpVisit> {
    let r = sqlx::query(&format!("{SAT_VISIT_SELECT} WHERE v.id = $1")).bind(id).fetch_one(&mut **tx).await?;
    sat_visit_row(&r)
}

impl StoreImpl {
    /// The ticket, locked, within the scope; 404 when the scope does not see it.
    async fn sat_lock_ticket(&self, tx: &mut Tx<'_>, s: &Scope, id: i64) -> Result<TicketRecord> {
        let row = sqlx::query(&format!(
            "SELECT id, custom_fields, state FROM tickets WHERE id = $1 AND ($2 IS NULL OR merchant_id = $2){FOR_UPDATE}"
        ))
        .bind(id)
        .bind(s.merchant_filter())
        .fetch_optional(&mut **tx)
        .await?;
        match row {
            Some(r) => ticket_of_row(&r),
            None => Err(DomainError::not_found("ticket").into()),
        }
    }

    /// Insert a visit for the locked ticket `rec`; returns its id and the timeline event to append.
    async fn sat_insert_visit(
        &self,
        tx: &mut Tx<'_>,
        ctx: &AuditCtx,
        rec: &TicketRecord,
        v: &NewVisit,
    ) -> Result<(i64, TicketEvent)> {
        if let Some(a) = v.assignee_id {
            let ok = sqlx::query(
                "SELECT id FROM users WHERE id = $1 AND disabled = FALSE AND \
                 (($2 IS NULL AND merchant_id IS NULL) OR merchant_id = $2)",
            )
            .bind(a)
            .bind(rec.ticket.merchant_id)
            .fetch_optional(&mut **tx)
            .await?;
            if ok.is_none() {
                return Err(DomainError::validation(
                    "assignee_id",
                    format!("user {a} is not active staff of the ticket's merchant"),
                )
                .into());
            }
        }
        // The script as the visitor reads it: the ticket number and the shop's name filled in ({工号}, the
        // visitor's own staff number, is filled by whoever makes the call).
        let shop: Option<String> = match rec.ticket.merchant_id {
            Some(m) => sqlx::query("SELECT name FROM merchants WHERE id = $1")
                .bind(m)
                .fetch_optional(&mut **tx)
                .await?
                .map(|r| r.try_get("name"))
                .transpose()?,
            None => None,
        };
        let script = v
            .script
            .replace("{工单号}", &rec.ticket.number)
            .replace("{商家}", shop.as_deref().unwrap_or("平台"));
        let row = sqlx::query(
            "INSERT INTO follow_up_visits (merchant_id, ticket_id, ticket_number, customer_id, reason, source, due_at, \
             assignee_id, status, script, note, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, '', $11, $12) RETURNING id",
        )
        .bind(rec.ticket.merchant_id)
        .bind(rec.ticket.id)
        .bind(&rec.ticket.number)
        .bind(rec.ticket.customer_id)
        .bind(v.reason.as_str())
        .bind(&v.source)
        .bind(v.due_at.0)
        .bind(v.assignee_id)
        .bind(VisitStatus::Pending.as_str())
        .bind(&script)
        .bind(ctx.actor_id)
        .bind(ctx.now.0)
        .fetch_one(&mut **tx)
        .await?;
        let id: i64 = row.try_get("id")?;
        let who = if v.assignee_id.is_some() { "指定专人" } else { "主管队列" };
        let event = TicketEvent {
            at: ctx.now,
            actor: v.actor.clone(),
            kind: TicketEventKind::FollowUpRecorded {
                visit_id: id,
                status: VisitStatus::Pending.as_str().to_string(),
                summary: format!("已安排{}，截止 {}（{who}）", v.reason.label(), v.due_at.shanghai_text()),
            },
        };
        let after = serde_json::json!({
            "ticket_id": rec.ticket.id, "reason": v.reason.as_str(), "source": v.source,
            "due_at": v.due_at.0, "assignee_id": v.assignee_id,
        });
        let entry = ctx.entry(
            "follow_up.schedule",
            "follow_up_visit",
            Some(id.to_string()),
            rec.ticket.merchant_id,
            None,
            Some(after.to_string()),
        );
        append_audit_in(tx, ctx.now, entry).await?;
        Ok((id, event))
    }
}

#[async_trait]
impl SatisfactionStore for StoreImpl {
    async fn record_rating(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        new: NewRating,
        visit: Option<NewVisit>,
    ) -> Result<(Rating, Option<FollowUpVisit>)> {
        let mut tx = self.writer.begin().await?;
        let rec = self.sat_lock_ticket(&mut tx, s, new.ticket_id).await?;
        let resolution_at = match (rec.ticket.status, rec.state.resolved_at) {
            (
                kefu_core::ticket::TicketStatus::Resolved | kefu_core::ticket::TicketStatus::Closed,
                Some(at),
            ) if rec.state.merged_into.is_none() => at,
            _ => {
                return Err(DomainError::conflict(
                    Some("ticket"),
                    "the ticket is being handled again; it can be rated once it is resolved",
                )
                .into())
            }
        };
        let done = sqlx::query(
            "SELECT id FROM satisfaction_ratings WHERE ticket_number = $1 AND resolution_at = $2",
        )
        .bind(&rec.ticket.number)
        .bind(resolution_at.0)
        .fetch_optional(&mut *tx)
        .await?;
        if done.is_some() {
            return Err(DomainError::conflict(Some("token"), "this service has already been rated").into());
        }
        // The agent of the last human turn: the last public staff reply (not whoever transferred it on).
        let agent = sqlx::query(
            "SELECT actor_id FROM ticket_events WHERE ticket_id = $1 AND kind = 'staff_replied' \
             AND actor_kind = 'staff' ORDER BY seq DESC LIMIT 1",
        )
        .bind(rec.ticket.id)
        .fetch_optional(&mut *tx)
        .await?;
        let agent_id: Option<i64> = match agent {
            Some(r) => r.try_get("actor_id")?,
            None => None,
        };
        let reasons = serde_json::to_string(&new.reasons).map_err(|e| StoreError::Other(e.to_string()))?;
        let row = sqlx::query(
            "INSERT INTO satisfaction_ratings (merchant_id, ticket_id, ticket_number, customer_id, agent_id, channel, \
             score, label, reasons, comment, resolution_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind(rec.ticket.merchant_id)
        .bind(rec.ticket.id)
        .bind(&rec.ticket.number)
        .bind(rec.ticket.customer_id)
        .bind(agent_id)
        .bind(&new.channel)
        .bind(i64::from(new.score))
        .bind(&new.label)
        .bind(&reasons)
        .bind(&new.comment)
        .bind(resolution_at.0)
        .bind(ctx.now.0)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| unique_as_conflict(e, "token", "this service has already been rated"))?;
        let rating_id: i64 = row.try_get("id")?;
        let mut events = vec![TicketEvent {
            at: ctx.now,
            actor: new.actor.clone(),
            kind: TicketEventKind::Rated {
                rating_id,
                score: new.score,
                label: new.label.clone(),
                agent_id,
                comment: new.comment.clone(),
            },
        }];
        let mut visit_id = None;
        if let Some(v) = &visit {
            let mut v = v.clone();
            if v.source.is_empty() {
                v.source = format!("rating:{rating_id}");
            }
            let (id, e) = self.sat_insert_visit(&mut tx, ctx, &rec, &v).await?;
            visit_id = Some(id);
            events.push(e);
        }
        let after = serde_json::json!({
            "ticket_id": rec.ticket.id, "score": new.score, "label": new.label, "reasons": new.reasons,
            "agent_id": agent_id, "channel": new.channel, "resolution_at": resolution_at.0,
        });
        let entry = ctx.entry(
            "satisfaction.rate",
            "satisfaction_rating",
            Some(rating_id.to_string()),
            rec.ticket.merchant_id,
            None,
            Some(after.to_string()),
        );
        append_audit_in(&mut tx, ctx.now, entry).await?;
        self.append_to_locked_in(&mut tx, s, ctx, "rate", &rec, events).await?;
        let r = sqlx::query(&format!("{SAT_RATING_SELECT} WHERE r.id = $1"))
            .bind(rating_id)
            .fetch_one(&mut *tx)
            .await?;
        let rating = sat_rating_row(&r)?;
        let visit = match visit_id {
            Some(id) => Some(sat_visit_in(&mut tx, id).await?),
            None => None,
        };
        tx.commit().await?;
        Ok((rating, visit))
    }

    async fn current_rating(&self, s: &Scope, ticket_id: i64) -> Result<Option<Rating>> {
        let Some(rec) = self.get_ticket(s, ticket_id).await? else {
            return Ok(None);
        };
        let Some(at) = rec.state.resolved_at else {
            return Ok(None);
        };
        let r =
            sqlx::query(&format!("{SAT_RATING_SELECT} WHERE r.ticket_number = $1 AND r.resolution_at = $2"))
                .bind(&rec.ticket.number)
                .bind(at.0)
                .fetch_optional(&self.reader)
                .await?;
        r.as_ref().map(sat_rating_row).transpose()
    }

    async fn schedule_follow_up(&self, s: &Scope, ctx: &AuditCtx, new: NewVisit) -> Result<FollowUpVisit> {
        let mut tx = self.writer.begin().await?;
        let rec = self.sat_lock_ticket(&mut tx, s, new.ticket_id).await?;
        let existing = sqlx::query(
            "SELECT id FROM follow_up_visits WHERE ticket_id = $1 AND reason = $2 AND status = $3 ORDER BY id LIMIT 1",
        )
        .bind(rec.ticket.id)
        .bind(new.reason.as_str())
        .bind(VisitStatus::Pending.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(r) = existing {
            let id: i64 = r.try_get("id")?;
            let v = sat_visit_in(&mut tx, id).await?;
            tx.commit().await?;
            return Ok(v);
        }
        let (id, event) = self.sat_insert_visit(&mut tx, ctx, &rec, &new).await?;
        self.append_to_locked_in(&mut tx, s, ctx, "schedule_follow_up", &rec, vec![event]).await?;
        let v = sat_visit_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(v)
    }

    async fn get_follow_up(&self, s: &Scope, id: i64) -> Result<Option<FollowUpVisit>> {
        let r = sqlx::query(&format!(
            "{SAT_VISIT_SELECT} WHERE v.id = $1 AND ($2 IS NULL OR v.merchant_id = $2)"
        ))
        .bind(id)
        .bind(s.merchant_filter())
        .fetch_optional(&self.reader)
        .await?;
        r.as_ref().map(sat_visit_row).transpose()
    }

    async fn list_follow_ups(&self, s: &Scope, f: &VisitFilter, limit: i64) -> Result<Vec<FollowUpVisit>> {
        let order = match f.status {
            Some(VisitStatus::Completed) => "v.completed_at DESC, v.id DESC",
            _ => "v.due_at, v.id",
        };
        let rows = sqlx::query(&format!(
            "{SAT_VISIT_SELECT} WHERE ($1 IS NULL OR v.merchant_id = $1) AND ($2 IS NULL OR v.status = $2) \
             AND ($3 IS NULL OR v.ticket_id = $3) \
             AND ($4 IS NULL OR v.assignee_id = $4 OR ($5 = TRUE AND v.assignee_id IS NULL)) \
             ORDER BY {order} LIMIT $6"
        ))
        .bind(s.merchant_filter())
        .bind(f.status.map(|x| x.as_str()))
        .bind(f.ticket_id)
        .bind(f.assignee_id)
        .bind(f.with_queue)
        .bind(limit.clamp(1, 500))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(sat_visit_row).collect()
    }

    async fn complete_follow_up(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        id: i64,
        actor: Actor,
        outcome: ValidOutcome,
    ) -> Result<FollowUpVisit> {
        let mut tx = self.writer.begin().await?;
        let row = sqlx::query(&format!(
            "SELECT id, ticket_id, status FROM follow_up_visits WHERE id = $1 AND ($2 IS NULL OR merchant_id = $2){FOR_UPDATE}"
        ))
        .bind(id)
        .bind(s.merchant_filter())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Err(DomainError::not_found("follow-up visit").into());
        };
        let status: String = row.try_get("status")?;
        if status != VisitStatus::Pending.as_str() {
            return Err(DomainError::conflict(None, "this follow-up visit has already been completed").into());
        }
        let ticket_id: Option<i64> = row.try_get("ticket_id")?;
        // Lock the ticket before writing (the same order as a rating: ticket, then visit rows).
        let rec = match ticket_id {
            Some(t) => Some(self.sat_lock_ticket(&mut tx, s, t).await?),
            None => None,
        };
        sqlx::query(
            "UPDATE follow_up_visits SET status = $2, outcome = $3, renewed_score = $4, note = $5, \
             completed_by = $6, completed_at = $7 WHERE id = $1",
        )
        .bind(id)
        .bind(VisitStatus::Completed.as_str())
        .bind(outcome.outcome.as_str())
        .bind(outcome.renewed_score.map(i64::from))
        .bind(&outcome.note)
        .bind(ctx.actor_id)
        .bind(ctx.now.0)
        .execute(&mut *tx)
        .await?;
        let v = sat_visit_in(&mut tx, id).await?;
        let after = serde_json::json!({
            "status": VisitStatus::Completed.as_str(), "outcome": outcome.outcome.as_str(),
            "renewed_score": outcome.renewed_score, "note": outcome.note,
        });
        let entry = ctx.entry(
            "follow_up.complete",
            "follow_up_visit",
            Some(id.to_string()),
            v.merchant_id,
            Some(serde_json::json!({"status": status}).to_string()),
            Some(after.to_string()),
        );
        append_audit_in(&mut tx, ctx.now, entry).await?;
        if let Some(rec) = rec {
            let mut summary = format!("{}已完成：{}", v.reason.label(), outcome.outcome.label());
            if let Some(sc) = outcome.renewed_score {
                let label = kefu_core::satisfaction::label(sc).unwrap_or_default();
                summary.push_str(&format!("，重新评价 {sc} 分 · {label}"));
            }
            let event = TicketEvent {
                at: ctx.now,
                actor,
                kind: TicketEventKind::FollowUpRecorded {
                    visit_id: id,
                    status: VisitStatus::Completed.as_str().to_string(),
                    summary,
                },
            };
            self.append_to_locked_in(&mut tx, s, ctx, "complete_follow_up", &rec, vec![event]).await?;
        }
        tx.commit().await?;
        Ok(v)
    }

    async fn satisfaction_report(&self, s: &Scope, from: Millis, to: Millis) -> Result<SatisfactionFigures> {
        let rows = sqlx::query(
            "SELECT r.agent_id, u.display_name AS agent_name, r.score, COUNT(*) AS n FROM satisfaction_ratings r \
             LEFT JOIN users u ON u.id = r.agent_id \
             WHERE ($1 IS NULL OR r.merchant_id = $1) AND r.created_at >= $2 AND r.created_at < $3 \
             GROUP BY r.agent_id, u.display_name, r.score ORDER BY r.agent_id, r.score",
        )
        .bind(s.merchant_filter())
        .bind(from.0)
        .bind(to.0)
        .fetch_all(&self.reader)
        .await?;
        let mut by_score = vec![0i64; 5];
        let mut agents: Vec<(AgentSatisfaction, i64)> = Vec::new();
        for r in &rows {
            let agent_id: Option<i64> = r.try_get("agent_id")?;
            let agent_name: Option<String> = r.try_get("agent_name")?;
            let score: i64 = r.try_get("score")?;
            let n: i64 = r.try_get("n")?;
            if let Some(slot) = usize::try_from(score - 1).ok().and_then(|i| by_score.get_mut(i)) {
                *slot += n;
            }
            let idx = match agents.iter().position(|(a, _)| a.agent_id == agent_id) {
                Some(i) => i,
                None => {
                    agents.push((
                        AgentSatisfaction {
                            agent_id,
                            agent_name,
                            count: 0,
                            average: 0.0,
                            satisfied: 0,
                            dissatisfied: 0,
                        },
                        0,
                    ));
                    agents.len() - 1
                }
            };
            let (a, sum) = &mut agents[idx];
            a.count += n;
            *sum += score * n;
            let sc = u8::try_from(score).unwrap_or(0);
            if kefu_core::satisfaction::is_satisfied(sc) {
                a.satisfied += n;
            }
            if kefu_core::satisfaction::is_dissatisfied(sc) {
                a.dissatisfied += n;
            }
        }
        let avg =
            |sum: i64, n: i64| if n == 0 { 0.0 } else { ((sum as f64 / n as f64) * 100.0).round() / 100.0 };
        let count: i64 = by_score.iter().sum();
        let sum: i64 = by_score.iter().enumerate().map(|(i, n)| (i as i64 + 1) * n).sum();
        let mut out: Vec<AgentSatisfaction> = agents
            .into_iter()
            .map(|(mut a, s)| {
                a.average = avg(s, a.count);
                a
            })
            .collect();
        out.sort_by(|a, b| b.count.cmp(&a.count).then(a.agent_id.cmp(&b.agent_id)));
        Ok(SatisfactionFigures {
            count,
            average: avg(sum, count),
            satisfied: by_score[3] + by_score[4],
            dissatisfied: by_score[0] + by_score[1],
            by_score,
            agents: out,
        })
    }
}
