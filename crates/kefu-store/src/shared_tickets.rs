// Ticket queries shared by both backends; `include!`d after `shared.rs` (see there). Backend modules
// also define `SEARCH_NEWEST` (the newest index entries matching `$1`, at most `$W`) and `search_expr`.

use crate::tickets::*;
use kefu_core::ticket::{Actor, TicketEvent, TicketEventKind, TicketState};

/// Arguments of a query assembled at run time; bound in order as `$1, $2, …`.
#[derive(Default)]
struct Args {
    sql: String,
    args: Vec<Arg>,
}

enum Arg {
    Int(i64),
    Text(String),
}

impl Args {
    fn new(sql: &str) -> Args {
        Args { sql: sql.to_string(), args: Vec::new() }
    }
    /// Append `clause`, where each `?` is replaced by the next numbered parameter.
    fn and(&mut self, clause: &str, args: Vec<Arg>) {
        let mut out = String::new();
        let mut it = args.into_iter();
        for ch in clause.chars() {
            if ch == '?' {
                if let Some(a) = it.next() {
                    self.args.push(a);
                    out.push_str(&format!("${}", self.args.len()));
                }
            } else {
                out.push(ch);
            }
        }
        self.sql.push_str(" AND ");
        self.sql.push_str(&out);
    }
    fn push(&mut self, text: &str) {
        self.sql.push_str(text);
    }
    fn param(&mut self, a: Arg) -> String {
        self.args.push(a);
        format!("${}", self.args.len())
    }
    fn query(&self) -> sqlx::query::Query<'_, Db, <Db as sqlx::Database>::Arguments<'_>> {
        let mut q = sqlx::query(&self.sql);
        for a in &self.args {
            q = match a {
                Arg::Int(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.as_str()),
            };
        }
        q
    }
}

fn scope_clause(a: &mut Args, s: &Scope, column: &str) {
    if let Some(m) = s.merchant_filter() {
        a.and(&format!("{column} = ?"), vec![Arg::Int(m)]);
    }
}

fn filter_clauses(a: &mut Args, f: &TicketFilter) {
    if !f.status.is_empty() {
        let mut list = Vec::new();
        for st in &f.status {
            list.push(a.param(Arg::Text(st.as_str().to_string())));
        }
        a.push(&format!(" AND t.status IN ({})", list.join(", ")));
    }
    if let Some(v) = &f.number {
        a.and("t.number = ?", vec![Arg::Text(v.trim().to_uppercase())]);
    }
    if let Some(v) = &f.category {
        a.and("t.category = ?", vec![Arg::Text(v.clone())]);
    }
    if let Some(v) = f.priority {
        a.and("t.priority = ?", vec![Arg::Text(v.as_str().into())]);
    }
    if let Some(v) = f.tier {
        a.and("t.tier = ?", vec![Arg::Text(v.as_str().into())]);
    }
    if let Some(v) = f.assignee_id {
        a.and("t.assignee_id = ?", vec![Arg::Int(v)]);
    }
    if f.unassigned {
        a.push(" AND t.assignee_id IS NULL");
    }
    if f.escalated {
        a.push(" AND t.tier <> 'l1'");
    }
    if let Some(v) = f.sla_due_before {
        a.and("t.id IN (SELECT ticket_id FROM sla_timers WHERE due_at <= ?)", vec![Arg::Int(v.0)]);
    }
    if let Some(v) = f.first_responder_id {
        a.and("t.first_responder_id = ?", vec![Arg::Int(v)]);
    }
    if let Some(v) = f.team_id {
        a.and("t.team_id = ?", vec![Arg::Int(v)]);
    }
    if let Some(v) = f.merchant_id {
        a.and("t.merchant_id = ?", vec![Arg::Int(v)]);
    }
    if let Some(v) = f.customer_id {
        a.and("t.customer_id = ?", vec![Arg::Int(v)]);
    }
    if let Some(v) = f.channel {
        a.and("t.channel = ?", vec![Arg::Text(v.as_str().into())]);
    }
    if let Some(v) = f.created_from {
        a.and("t.created_at >= ?", vec![Arg::Int(v.0)]);
    }
    if let Some(v) = f.created_to {
        a.and("t.created_at < ?", vec![Arg::Int(v.0)]);
    }
    if let Some(v) = &f.tag {
        a.and("t.id IN (SELECT g.ticket_id FROM ticket_tags g WHERE g.tag = ?)", vec![Arg::Text(v.clone())]);
    }
    if let Some(v) = &f.order_no {
        a.and("t.id IN (SELECT o.ticket_id FROM ticket_orders o WHERE o.order_no = ?)", vec![Arg::Text(v.clone())]);
    }
}

fn state_of(json: &str) -> Result<TicketState> {
    serde_json::from_str(json).map_err(|e| StoreError::Other(format!("stored ticket state is unreadable: {e}")))
}

fn ticket_of_row(r: &DbRow) -> Result<TicketRecord> {
    let id: i64 = r.try_get("id")?;
    let custom: String = r.try_get("custom_fields")?;
    let state = state_of(&r.try_get::<String, _>("state")?)?;
    let custom = serde_json::from_str(&custom).unwrap_or(serde_json::Value::Object(Default::default()));
    Ok(TicketRecord { ticket: Ticket::from_state(id, custom, &state), state })
}

fn actor_parts(a: &Actor) -> (&'static str, Option<i64>) {
    match a {
        Actor::Staff { user_id, .. } => ("staff", Some(*user_id)),
        Actor::Customer { customer_id } => ("customer", Some(*customer_id)),
        Actor::System { .. } => ("system", None),
    }
}

fn message_row(r: &DbRow) -> Result<Message> {
    Ok(Message {
        id: r.try_get("id")?,
        ticket_id: r.try_get("ticket_id")?,
        origin_ticket_id: r.try_get("origin_ticket_id")?,
        kind: r.try_get("kind")?,
        author_kind: r.try_get("author_kind")?,
        author_id: r.try_get("author_id")?,
        body: r.try_get("body")?,
        created_at: Millis(r.try_get("created_at")?),
    })
}

fn attachment_row(r: &DbRow) -> Result<Attachment> {
    Ok(Attachment {
        id: r.try_get("id")?,
        ticket_id: r.try_get("ticket_id")?,
        merchant_id: r.try_get("merchant_id")?,
        sha256: r.try_get("sha256")?,
        file_name: r.try_get("file_name")?,
        mime: r.try_get("mime")?,
        size: r.try_get("size")?,
        uploaded_by: r.try_get("uploaded_by")?,
        created_at: Millis(r.try_get("created_at")?),
    })
}

fn category_row(r: &DbRow) -> Result<Category> {
    Ok(Category {
        id: r.try_get("id")?,
        merchant_id: r.try_get("merchant_id")?,
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        parent_code: r.try_get("parent_code")?,
        position: r.try_get("position")?,
        active: r.try_get("active")?,
    })
}

fn view_row(r: &DbRow) -> Result<SavedView> {
    let filters: String = r.try_get("filters")?;
    Ok(SavedView {
        id: r.try_get("id")?,
        merchant_id: r.try_get("merchant_id")?,
        owner_id: r.try_get("owner_id")?,
        name: r.try_get("name")?,
        filters: serde_json::from_str(&filters).unwrap_or_default(),
        created_at: Millis(r.try_get("created_at")?),
    })
}

/// Write the row projection of `state`; `expected` guards against concurrent changes (None: insert).
async fn write_projection(tx: &mut Tx<'_>, id: i64, expected: i64, st: &TicketState) -> Result<u64> {
    let json = serde_json::to_string(st).map_err(|e| StoreError::Other(e.to_string()))?;
    let r = sqlx::query(
        "UPDATE tickets SET status = $1, priority = $2, tier = $3, category = $4, assignee_id = $5, team_id = $6, \
         first_responder_id = $7, first_response_at = $8, updated_at = $9, resolved_at = $10, closed_at = $11, \
         version = $12, merged_into = $13, subject = $14, customer_id = $15, state = $16, \
         offer_agent_id = $19, offer_expires_at = $20, passed_over = $21 \
         WHERE id = $17 AND version = $18",
    )
    .bind(st.status.as_str())
    .bind(st.priority.as_str())
    .bind(st.tier.as_str())
    .bind(&st.category)
    .bind(st.assignee.user_id)
    .bind(st.assignee.team_id)
    .bind(st.first_responder)
    .bind(st.first_response_at.map(|m| m.0))
    .bind(st.updated_at.0)
    .bind(st.resolved_at.map(|m| m.0))
    .bind(st.closed_at.map(|m| m.0))
    .bind(st.version)
    .bind(st.merged_into.map(|n| n.to_string()))
    .bind(&st.subject)
    .bind(st.customer_id)
    .bind(json)
    .bind(id)
    .bind(expected)
    .bind(st.offer.map(|o| o.agent_id))
    .bind(st.offer.map(|o| o.expires_at.0))
    .bind((!st.passed_over.is_empty()).then(|| serde_json::to_string(&st.passed_over).unwrap_or_default()))
    .execute(&mut **tx)
    .await?;
    Ok(r.rows_affected())
}

/// Append events and their projections (messages, tasks, tags, orders, search entries).
async fn write_events(tx: &mut Tx<'_>, id: i64, first_seq: i64, st: &TicketState, events: &[TicketEvent]) -> Result<()> {
    for (i, e) in events.iter().enumerate() {
        let seq = first_seq + i as i64;
        let (actor_kind, actor_id) = actor_parts(&e.actor);
        let payload = serde_json::to_string(e).map_err(|err| StoreError::Other(err.to_string()))?;
        sqlx::query("INSERT INTO ticket_events (ticket_id, seq, at, actor_kind, actor_id, kind, payload) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(id)
            .bind(seq)
            .bind(e.at.0)
            .bind(actor_kind)
            .bind(actor_id)
            .bind(e.kind.name())
            .bind(payload)
            .execute(&mut **tx)
            .await?;
        let message = match &e.kind {
            TicketEventKind::StaffReplied { body } => Some(("reply", body)),
            TicketEventKind::CustomerReplied { body } => Some(("customer", body)),
            TicketEventKind::NoteAdded { body } => Some(("note", body)),
            // The body a ticket opens with is the customer's request, whoever typed it in (e.g. an
            // agent taking a phone call); the author columns say who recorded it.
            TicketEventKind::Created(new) if !new.body.is_empty() => Some(("customer", &new.body)),
            _ => None,
        };
        if let Some((kind, body)) = message {
            let row = sqlx::query(
                "INSERT INTO ticket_messages (ticket_id, origin_ticket_id, event_seq, kind, author_kind, author_id, body, created_at) \
                 VALUES ($1, $1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(id)
            .bind(seq)
            .bind(kind)
            .bind(actor_kind)
            .bind(actor_id)
            .bind(body)
            .bind(e.at.0)
            .fetch_one(&mut **tx)
            .await?;
            let message_id: i64 = row.try_get("id")?;
            sqlx::query("INSERT INTO ticket_search (text, ticket_id, message_id) VALUES ($1, $2, $3)")
                .bind(kefu_core::text::index_text(body))
                .bind(id)
                .bind(message_id)
                .execute(&mut **tx)
                .await?;
        }
        match &e.kind {
            TicketEventKind::Created(new) => {
                sqlx::query("INSERT INTO ticket_search (text, ticket_id, message_id) VALUES ($1, $2, NULL)")
                    .bind(kefu_core::text::index_text(&new.subject))
                    .bind(id)
                    .execute(&mut **tx)
                    .await?;
            }
            TicketEventKind::DepartmentTaskOpened { task_no, department_id, request, due_at } => {
                let body = format!("工单 {} 请求协助：{request}", number_of(st));
                notify(tx, st, id, "department", &department_id.to_string(), "department_task", &body, e.at).await?;
                sqlx::query(
                    "INSERT INTO department_tasks (ticket_id, task_no, department_id, merchant_id, request, due_at, status, opened_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, 'open', $7)",
                )
                .bind(id)
                .bind(task_no)
                .bind(department_id)
                .bind(st.merchant_id)
                .bind(request)
                .bind(due_at.0)
                .bind(e.at.0)
                .execute(&mut **tx)
                .await
                .map_err(|err| unique_as_conflict(err, "department_id", "the department task exists"))?;
            }
            TicketEventKind::DepartmentTaskAnswered { task_no, answer } => {
                sqlx::query("UPDATE department_tasks SET status = 'answered', answer = $1, closed_at = $2 WHERE ticket_id = $3 AND task_no = $4")
                    .bind(answer)
                    .bind(e.at.0)
                    .bind(id)
                    .bind(task_no)
                    .execute(&mut **tx)
                    .await?;
            }
            TicketEventKind::DepartmentTaskCancelled { task_no, reason } => {
                sqlx::query("UPDATE department_tasks SET status = 'cancelled', answer = $1, closed_at = $2 WHERE ticket_id = $3 AND task_no = $4")
                    .bind(reason)
                    .bind(e.at.0)
                    .bind(id)
                    .bind(task_no)
                    .execute(&mut **tx)
                    .await?;
            }
            TicketEventKind::TagsChanged { tags } => {
                sqlx::query("DELETE FROM ticket_tags WHERE ticket_id = $1").bind(id).execute(&mut **tx).await?;
                for t in tags {
                    sqlx::query("INSERT INTO ticket_tags (ticket_id, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                        .bind(id)
                        .bind(t)
                        .execute(&mut **tx)
                        .await?;
                }
            }
            TicketEventKind::OrdersChanged { order_numbers } => {
                sqlx::query("DELETE FROM ticket_orders WHERE ticket_id = $1").bind(id).execute(&mut **tx).await?;
                for o in order_numbers {
                    sqlx::query("INSERT INTO ticket_orders (ticket_id, order_no) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                        .bind(id)
                        .bind(o)
                        .execute(&mut **tx)
                        .await?;
                }
            }
            TicketEventKind::Assigned { to } | TicketEventKind::Transferred { to, .. } => {
                let what = if matches!(e.kind, TicketEventKind::Assigned { .. }) { "assigned" } else { "transferred" };
                let body = match &e.kind {
                    TicketEventKind::Transferred { reason, .. } => format!("工单 {} 转派给你：{reason}", number_of(st)),
                    _ => format!("工单 {} 分配给你", number_of(st)),
                };
                if let Some(u) = to.user_id {
                    notify(tx, st, id, "user", &u.to_string(), what, &body, e.at).await?;
                } else if let Some(t) = to.team_id {
                    notify(tx, st, id, "team", &t.to_string(), what, &body, e.at).await?;
                }
            }
            TicketEventKind::SlaWarned { metric, due_at, .. } | TicketEventKind::SlaBreached { metric, due_at, .. } => {
                let breach = matches!(e.kind, TicketEventKind::SlaBreached { .. });
                let due = due_at.shanghai_text();
                let body = if breach {
                    format!("工单 {} {}已超时（应于 {due} 前完成）", number_of(st), metric.label_zh())
                } else {
                    format!("工单 {} {}即将超时（{due} 到期）", number_of(st), metric.label_zh())
                };
                let kind = if breach { "sla_breached" } else { "sla_warning" };
                // The assignee (or the team's queue), the first responder and the assignee's supervisor.
                let mut users: Vec<i64> = Vec::new();
                if let Some(u) = st.assignee.user_id {
                    users.push(u);
                    let sup = sqlx::query("SELECT supervisor_id FROM users WHERE id = $1").bind(u).fetch_optional(&mut **tx).await?;
                    if let Some(Some(s)) = sup.map(|r| r.try_get::<Option<i64>, _>("supervisor_id")).transpose()? {
                        users.push(s);
                    }
                } else if let Some(t) = st.assignee.team_id {
                    notify(tx, st, id, "team", &t.to_string(), kind, &body, e.at).await?;
                }
                if let Some(f) = st.first_responder {
                    users.push(f);
                }
                users.sort_unstable();
                users.dedup();
                for u in users {
                    notify(tx, st, id, "user", &u.to_string(), kind, &body, e.at).await?;
                }
                if !st.assignee.is_someone() && st.first_responder.is_none() {
                    // Nobody holds it: the tier's supervisors are told. L1 is the agents' own tier and
                    // no role receives it; its supervisors are those who take L2.
                    let tier = if st.tier == kefu_core::ticket::Tier::L1 { kefu_core::ticket::Tier::L2 } else { st.tier };
                    notify(tx, st, id, "tier", tier.as_str(), kind, &body, e.at).await?;
                }
            }
            TicketEventKind::Offered { agent_id, expires_at, .. } => {
                let secs = ((expires_at.0 - e.at.0) / 1000).max(0);
                let body = format!("新会话待接入：{}（{} 秒内接受）", st.subject, secs);
                notify(tx, st, id, "user", &agent_id.to_string(), "offered", &body, e.at).await?;
            }
            TicketEventKind::Escalated { to, reason, .. } => {
                let body = format!("工单 {} 升级到{}：{reason}", number_of(st), to.label_zh());
                notify(tx, st, id, "tier", to.as_str(), "escalated", &body, e.at).await?;
            }
            TicketEventKind::Linked { number, kind } => {
                let other: Option<i64> = sqlx::query("SELECT id FROM tickets WHERE number = $1")
                    .bind(number.to_string())
                    .fetch_optional(&mut **tx)
                    .await?
                    .map(|r| r.try_get("id"))
                    .transpose()?;
                if let Some(other) = other {
                    sqlx::query("INSERT INTO ticket_links (ticket_id, linked_id, kind, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
                        .bind(id)
                        .bind(other)
                        .bind(kind)
                        .bind(e.at.0)
                        .execute(&mut **tx)
                        .await?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn number_of(st: &TicketState) -> String {
    st.number.map(|n| n.to_string()).unwrap_or_default()
}

#[allow(clippy::too_many_arguments)]
async fn notify(tx: &mut Tx<'_>, st: &TicketState, ticket: i64, rk: &str, r: &str, kind: &str, body: &str, at: Millis) -> Result<()> {
    sqlx::query("INSERT INTO notifications (merchant_id, ticket_id, recipient_kind, recipient, kind, body, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(st.merchant_id)
        .bind(ticket)
        .bind(rk)
        .bind(r)
        .bind(kind)
        .bind(body)
        .bind(at.0)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

fn audit_of(ctx: &AuditCtx, command: &str, st: &TicketState, id: i64, before_version: i64, events: &[TicketEvent]) -> AuditEntry {
    let names: Vec<&str> = events.iter().map(|e| e.kind.name()).collect();
    let after = serde_json::json!({ "number": st.number.map(|n| n.to_string()), "version": st.version, "status": st.status, "events": names });
    let before = (before_version > 0).then(|| serde_json::json!({ "version": before_version }).to_string());
    ctx.entry(&format!("ticket.{command}"), "ticket", Some(id.to_string()), st.merchant_id, before, Some(after.to_string()))
}

/// Insert a new ticket's row and its events (with their projections); the caller audits.
async fn insert_row(tx: &mut Tx<'_>, st: &TicketState, events: &[TicketEvent], custom_fields: &serde_json::Value) -> Result<i64> {
    let number = st.number.map(|n| n.to_string()).ok_or_else(|| StoreError::Other("a new ticket needs its number".into()))?;
    let json = serde_json::to_string(st).map_err(|e| StoreError::Other(e.to_string()))?;
    let row = sqlx::query(
        "INSERT INTO tickets (number, merchant_id, customer_id, channel, subject, status, priority, tier, category, \
         assignee_id, team_id, first_responder_id, first_response_at, created_at, updated_at, resolved_at, closed_at, version, \
         merged_into, follow_up_of, custom_fields, state) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22) RETURNING id",
    )
    .bind(&number)
    .bind(st.merchant_id)
    .bind(st.customer_id)
    .bind(st.channel.as_str())
    .bind(&st.subject)
    .bind(st.status.as_str())
    .bind(st.priority.as_str())
    .bind(st.tier.as_str())
    .bind(&st.category)
    .bind(st.assignee.user_id)
    .bind(st.assignee.team_id)
    .bind(st.first_responder)
    .bind(st.first_response_at.map(|m| m.0))
    .bind(st.created_at.0)
    .bind(st.updated_at.0)
    .bind(st.resolved_at.map(|m| m.0))
    .bind(st.closed_at.map(|m| m.0))
    .bind(st.version)
    .bind(st.merged_into.map(|n| n.to_string()))
    .bind(st.follow_up_of.map(|n| n.to_string()))
    .bind(custom_fields.to_string())
    .bind(json)
    .fetch_one(&mut **tx)
    .await
    .map_err(|e| unique_as_conflict(e, "number", "ticket number taken"))?;
    let id: i64 = row.try_get("id")?;
    write_events(tx, id, 1, st, events).await?;
    Ok(id)
}

impl StoreImpl {
    async fn search_window(&self, s: &Scope, expr: &str, f: &TicketFilter, limit: i64, window: Option<i64>) -> Result<Vec<(i64, String)>> {
        let mut a = Args::new("SELECT ticket_search.ticket_id AS tid, ticket_search.text AS txt FROM (");
        let p = a.param(Arg::Text(expr.to_string()));
        let w = a.param(Arg::Int(window.unwrap_or(i64::MAX)));
        a.push(&SEARCH_NEWEST.replace("$1", &p).replace("$W", &w));
        a.push(") ticket_search JOIN tickets t ON t.id = ticket_search.ticket_id WHERE 1 = 1");
        scope_clause(&mut a, s, "t.merchant_id");
        filter_clauses(&mut a, f);
        let l = a.param(Arg::Int(limit));
        a.push(&format!(" ORDER BY ticket_search.ticket_id DESC LIMIT {l}"));
        let rows = a.query().fetch_all(&self.reader).await?;
        rows.iter().map(|r| Ok((r.try_get("tid")?, r.try_get("txt")?))).collect()
    }

    async fn append_in(&self, tx: &mut Tx<'_>, s: &Scope, ctx: &AuditCtx, command: &str, c: &TicketChange) -> Result<()> {
        if !s.sees(c.new_state.merchant_id) {
            return Err(DomainError::not_found("ticket").into());
        }
        let n = write_projection(tx, c.id, c.expected_version, &c.new_state).await?;
        if n == 0 {
            let current = sqlx::query("SELECT version, merchant_id FROM tickets WHERE id = $1")
                .bind(c.id)
                .fetch_optional(&mut **tx)
                .await?;
            return Err(match current {
                Some(r) if s.sees(r.try_get("merchant_id")?) => {
                    let v: i64 = r.try_get("version")?;
                    DomainError::conflict(
                        Some("version"),
                        format!("the ticket was changed meanwhile: it is at version {v}, the change was based on version {}; reload and try again", c.expected_version),
                    )
                }
                _ => DomainError::not_found("ticket"),
            }
            .into());
        }
        write_events(tx, c.id, c.expected_version + 1, &c.new_state, &c.events).await?;
        if let Some(p) = &c.sla {
            write_sla(tx, c.id, c.new_state.merchant_id, p).await?;
        }
        append_audit_in(tx, ctx.now, audit_of(ctx, command, &c.new_state, c.id, c.expected_version, &c.events)).await?;
        Ok(())
    }

    async fn record_in(&self, tx: &mut Tx<'_>, id: i64) -> Result<TicketRecord> {
        let r = sqlx::query("SELECT id, custom_fields, state FROM tickets WHERE id = $1").bind(id).fetch_one(&mut **tx).await?;
        ticket_of_row(&r)
    }

    /// Append events another record keeps (after-sales, complaint, approval, rating, visit, shop action
    /// steps) to the ticket `rec`, locked by the caller, with the ticket's audit record. They do not move the
    /// SLA clocks, so no SLA projection is written.
    async fn append_to_locked_in(
        &self,
        tx: &mut Tx<'_>,
        s: &Scope,
        ctx: &AuditCtx,
        command: &str,
        rec: &TicketRecord,
        events: Vec<TicketEvent>,
    ) -> Result<()> {
        let new_state = kefu_core::ticket::apply_all(rec.state.clone(), &events);
        let change = TicketChange { id: rec.ticket.id, expected_version: rec.state.version, events, new_state, sla: None };
        self.append_in(tx, s, ctx, command, &change).await
    }

    /// Lock ticket `id` (within the scope) and append `events` as [`Self::append_to_locked_in`] does; the
    /// ticket after, or `None` when the scope holds no such ticket (purged, or another merchant's).
    async fn append_to_ticket_in(
        &self,
        tx: &mut Tx<'_>,
        s: &Scope,
        ctx: &AuditCtx,
        command: &str,
        id: i64,
        events: Vec<TicketEvent>,
    ) -> Result<Option<Ticket>> {
        let row = sqlx::query(&format!(
            "SELECT id, custom_fields, state FROM tickets WHERE id = $1 AND ($2 IS NULL OR merchant_id = $2){FOR_UPDATE}"
        ))
        .bind(id)
        .bind(s.merchant_filter())
        .fetch_optional(&mut **tx)
        .await?;
        let Some(rec) = row.as_ref().map(ticket_of_row).transpose()? else {
            return Ok(None);
        };
        self.append_to_locked_in(tx, s, ctx, command, &rec, events).await?;
        Ok(Some(self.record_in(tx, id).await?.ticket))
    }
}

#[async_trait]
impl TicketStore for StoreImpl {
    #[allow(clippy::too_many_arguments)]
    async fn change_ticket(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        id: i64,
        command: &str,
        expected_version: Option<i64>,
        build: BuildEvents<'_>,
        project: crate::sla::Project<'_>,
    ) -> Result<(Ticket, Vec<TicketEvent>)> {
        let mut tx = self.writer.begin().await?;
        let row = sqlx::query(&format!(
            "SELECT id, custom_fields, state FROM tickets WHERE id = $1 AND ($2 IS NULL OR merchant_id = $2){FOR_UPDATE}"
        ))
        .bind(id)
        .bind(s.merchant_filter())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(rec) = row.as_ref().map(ticket_of_row).transpose()? else {
            return Err(DomainError::not_found("ticket").into());
        };
        if let Some(v) = expected_version {
            kefu_core::ticket::expect_version(&rec.state, v)?;
        }
        let events = build(&rec.state)?;
        if events.is_empty() {
            return Ok((rec.ticket, events));
        }
        let new_state = kefu_core::ticket::apply_all(rec.state.clone(), &events);
        let sla = project(&new_state);
        let change = TicketChange { id, expected_version: rec.state.version, events, new_state, sla };
        self.append_in(&mut tx, s, ctx, command, &change).await?;
        let rec = self.record_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok((rec.ticket, change.events))
    }

    async fn next_ticket_seq(&self, day: &str) -> Result<u32> {
        let row = sqlx::query(
            "INSERT INTO ticket_counters (day, last_seq) VALUES ($1, 1) \
             ON CONFLICT (day) DO UPDATE SET last_seq = ticket_counters.last_seq + 1 RETURNING last_seq",
        )
        .bind(day)
        .fetch_one(&self.writer)
        .await?;
        let seq: i64 = row.try_get("last_seq")?;
        u32::try_from(seq).map_err(|_| StoreError::Other("ticket sequence overflow".into()))
    }

    async fn insert_ticket(&self, s: &Scope, ctx: &AuditCtx, events: Vec<TicketEvent>, st: TicketState, custom_fields: serde_json::Value, sla: Option<crate::sla::SlaProjection>) -> Result<Ticket> {
        if !s.sees(st.merchant_id) {
            return Err(DomainError::not_found("merchant").into());
        }
        let mut tx = self.writer.begin().await?;
        if let Some(c) = st.customer_id {
            let owner = sqlx::query("SELECT merchant_id FROM customers WHERE id = $1").bind(c).fetch_optional(&mut *tx).await?;
            match owner {
                Some(r) if s.sees(r.try_get("merchant_id")?) && r.try_get::<Option<i64>, _>("merchant_id")? == st.merchant_id => {}
                _ => return Err(DomainError::validation("customer_id", format!("customer {c} does not exist in this merchant")).into()),
            }
        }
        let id = insert_row(&mut tx, &st, &events, &custom_fields).await?;
        if let Some(p) = &sla {
            write_sla(&mut tx, id, st.merchant_id, p).await?;
        }
        append_audit_in(&mut tx, ctx.now, audit_of(ctx, "create", &st, id, 0, &events)).await?;
        tx.commit().await?;
        Ok(Ticket::from_state(id, custom_fields, &st))
    }

    async fn bulk_insert_tickets(&self, ctx: &AuditCtx, batch: Vec<(TicketState, Vec<TicketEvent>)>) -> Result<Vec<i64>> {
        let mut tx = self.writer.begin().await?;
        let mut ids = Vec::with_capacity(batch.len());
        let empty = serde_json::json!({});
        for (st, events) in &batch {
            ids.push(insert_row(&mut tx, st, events, &empty).await?);
        }
        let after = serde_json::json!({ "tickets": ids.len(), "first_id": ids.first(), "last_id": ids.last() });
        let e = ctx.entry("ticket.bulk_load", "ticket", None, None, None, Some(after.to_string()));
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(ids)
    }

    async fn append_ticket(&self, s: &Scope, ctx: &AuditCtx, command: &str, change: TicketChange) -> Result<Ticket> {
        let mut tx = self.writer.begin().await?;
        self.append_in(&mut tx, s, ctx, command, &change).await?;
        let rec = self.record_in(&mut tx, change.id).await?;
        tx.commit().await?;
        Ok(rec.ticket)
    }

    async fn merge_tickets(&self, s: &Scope, ctx: &AuditCtx, source: TicketChange, target: TicketChange) -> Result<Ticket> {
        let mut tx = self.writer.begin().await?;
        self.append_in(&mut tx, s, ctx, "merge", &source).await?;
        self.append_in(&mut tx, s, ctx, "merged_from", &target).await?;
        for table in ["ticket_messages", "attachments", "ticket_search"] {
            sqlx::query(&format!("UPDATE {table} SET ticket_id = $1 WHERE ticket_id = $2"))
                .bind(target.id)
                .bind(source.id)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("INSERT INTO ticket_links (ticket_id, linked_id, kind, created_at) VALUES ($1, $2, 'merged', $3) ON CONFLICT DO NOTHING")
            .bind(source.id)
            .bind(target.id)
            .bind(ctx.now.0)
            .execute(&mut *tx)
            .await?;
        let rec = self.record_in(&mut tx, target.id).await?;
        tx.commit().await?;
        Ok(rec.ticket)
    }

    async fn get_ticket(&self, s: &Scope, id: i64) -> Result<Option<TicketRecord>> {
        let row = sqlx::query("SELECT id, custom_fields, state FROM tickets WHERE id = $1 AND ($2 IS NULL OR merchant_id = $2)")
            .bind(id)
            .bind(s.merchant_filter())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(ticket_of_row).transpose()
    }

    async fn get_ticket_by_number(&self, s: &Scope, number: &str) -> Result<Option<TicketRecord>> {
        let row = sqlx::query("SELECT id, custom_fields, state FROM tickets WHERE number = $1 AND ($2 IS NULL OR merchant_id = $2)")
            .bind(number)
            .bind(s.merchant_filter())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(ticket_of_row).transpose()
    }

    async fn list_tickets(&self, s: &Scope, f: &TicketFilter, page: PageReq) -> Result<Page<Ticket>> {
        let mut a = Args::new("SELECT t.id, t.custom_fields, t.state FROM tickets t WHERE 1 = 1");
        scope_clause(&mut a, s, "t.merchant_id");
        filter_clauses(&mut a, f);
        if let Some(after) = page.after {
            a.and("t.id < ?", vec![Arg::Int(after)]);
        }
        let limit = a.param(Arg::Int(page.limit + 1));
        a.push(&format!(" ORDER BY t.id DESC LIMIT {limit}"));
        let rows = a.query().fetch_all(&self.reader).await?;
        let items = rows.iter().map(|r| ticket_of_row(r).map(|t| t.ticket)).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, page.limit, |t| t.id))
    }

    async fn search_candidates(&self, s: &Scope, terms: &[String], f: &TicketFilter, limit: i64) -> Result<Vec<(i64, String)>> {
        let Some(expr) = search_expr(terms) else { return Ok(Vec::new()) };
        // First the newest matches straight from the index (newest entries have the highest ids), then
        // scoped and filtered: a common word never sorts its whole posting list. When the window holds
        // too few of this scope's tickets (other merchants' matches crowd it), search everything.
        let windowed = self.search_window(s, &expr, f, limit, Some(limit * 4)).await?;
        if windowed.len() as i64 >= limit {
            return Ok(windowed);
        }
        self.search_window(s, &expr, f, limit, None).await
    }

    async fn tickets_by_ids(&self, s: &Scope, ids: &[i64]) -> Result<Vec<Ticket>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut a = Args::new("SELECT t.id, t.custom_fields, t.state FROM tickets t WHERE 1 = 1");
        scope_clause(&mut a, s, "t.merchant_id");
        let list: Vec<String> = ids.iter().map(|id| a.param(Arg::Int(*id))).collect();
        a.push(&format!(" AND t.id IN ({})", list.join(", ")));
        let rows = a.query().fetch_all(&self.reader).await?;
        rows.iter().map(|r| ticket_of_row(r).map(|t| t.ticket)).collect()
    }

    async fn ticket_events(&self, s: &Scope, id: i64) -> Result<Vec<StoredEvent>> {
        let rows = sqlx::query(
            "SELECT e.seq, e.payload FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id \
             WHERE e.ticket_id = $1 AND ($2 IS NULL OR t.merchant_id = $2) ORDER BY e.seq",
        )
        .bind(id)
        .bind(s.merchant_filter())
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                let payload: String = r.try_get("payload")?;
                let event = serde_json::from_str(&payload).map_err(|e| StoreError::Other(format!("stored event is unreadable: {e}")))?;
                Ok(StoredEvent { seq: r.try_get("seq")?, event })
            })
            .collect()
    }

    async fn ticket_messages(&self, s: &Scope, id: i64, include_notes: bool) -> Result<Vec<Message>> {
        let rows = sqlx::query(
            "SELECT m.* FROM ticket_messages m JOIN tickets t ON t.id = m.ticket_id \
             WHERE m.ticket_id = $1 AND ($2 IS NULL OR t.merchant_id = $2) AND ($3 OR m.kind <> 'note') ORDER BY m.created_at, m.id",
        )
        .bind(id)
        .bind(s.merchant_filter())
        .bind(include_notes)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(message_row).collect()
    }

    async fn set_custom_fields(&self, s: &Scope, ctx: &AuditCtx, id: i64, fields: serde_json::Value) -> Result<Ticket> {
        let mut tx = self.writer.begin().await?;
        let before = sqlx::query("SELECT id, custom_fields, state FROM tickets WHERE id = $1 AND ($2 IS NULL OR merchant_id = $2)")
            .bind(id)
            .bind(s.merchant_filter())
            .fetch_optional(&mut *tx)
            .await?;
        let Some(before) = before.as_ref().map(ticket_of_row).transpose()? else {
            return Err(DomainError::not_found("ticket").into());
        };
        sqlx::query("UPDATE tickets SET custom_fields = $1 WHERE id = $2").bind(fields.to_string()).bind(id).execute(&mut *tx).await?;
        let e = ctx.entry("ticket.custom_fields", "ticket", Some(id.to_string()), before.state.merchant_id,
            Some(before.ticket.custom_fields.to_string()), Some(fields.to_string()));
        append_audit_in(&mut tx, ctx.now, e).await?;
        let rec = self.record_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(rec.ticket)
    }

    async fn add_attachment(&self, s: &Scope, ctx: &AuditCtx, ticket_id: i64, a: NewAttachment) -> Result<Attachment> {
        let mut tx = self.writer.begin().await?;
        let owner = sqlx::query("SELECT merchant_id FROM tickets WHERE id = $1").bind(ticket_id).fetch_optional(&mut *tx).await?;
        let merchant: Option<i64> = match owner {
            Some(r) if s.sees(r.try_get("merchant_id")?) => r.try_get("merchant_id")?,
            _ => return Err(DomainError::not_found("ticket").into()),
        };
        let row = sqlx::query(
            "INSERT INTO attachments (ticket_id, merchant_id, sha256, file_name, mime, size, uploaded_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *",
        )
        .bind(ticket_id)
        .bind(merchant)
        .bind(&a.sha256)
        .bind(&a.file_name)
        .bind(&a.mime)
        .bind(a.size)
        .bind(ctx.actor_id)
        .bind(ctx.now.0)
        .fetch_one(&mut *tx)
        .await?;
        let att = attachment_row(&row)?;
        let e = ctx.entry("ticket.attachment_added", "ticket", Some(ticket_id.to_string()), merchant, None, to_json(&att));
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(att)
    }

    async fn list_attachments(&self, s: &Scope, ticket_id: i64) -> Result<Vec<Attachment>> {
        let rows = sqlx::query("SELECT * FROM attachments WHERE ticket_id = $1 AND ($2 IS NULL OR merchant_id = $2) ORDER BY id")
            .bind(ticket_id)
            .bind(s.merchant_filter())
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(attachment_row).collect()
    }

    async fn get_attachment(&self, s: &Scope, id: i64) -> Result<Option<Attachment>> {
        let row = sqlx::query("SELECT * FROM attachments WHERE id = $1 AND ($2 IS NULL OR merchant_id = $2)")
            .bind(id)
            .bind(s.merchant_filter())
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(attachment_row).transpose()
    }

    async fn list_department_tasks(&self, s: &Scope, department_id: Option<i64>, open_only: bool, page: PageReq) -> Result<Page<DepartmentTask>> {
        let rows = sqlx::query(
            "SELECT d.*, t.number FROM department_tasks d JOIN tickets t ON t.id = d.ticket_id \
             WHERE ($1 IS NULL OR d.merchant_id = $1) AND ($2 IS NULL OR d.department_id = $2) \
             AND (NOT $3 OR d.status = 'open') AND d.ticket_id > $4 ORDER BY d.ticket_id, d.task_no LIMIT $5",
        )
        .bind(s.merchant_filter())
        .bind(department_id)
        .bind(open_only)
        .bind(page.after.unwrap_or(0))
        .bind(page.limit + 1)
        .fetch_all(&self.reader)
        .await?;
        let items = rows
            .iter()
            .map(|r| {
                Ok(DepartmentTask {
                    ticket_id: r.try_get("ticket_id")?,
                    ticket_number: r.try_get("number")?,
                    task_no: r.try_get("task_no")?,
                    department_id: r.try_get("department_id")?,
                    merchant_id: r.try_get("merchant_id")?,
                    request: r.try_get("request")?,
                    due_at: Millis(r.try_get("due_at")?),
                    status: r.try_get("status")?,
                    answer: r.try_get("answer")?,
                    opened_at: Millis(r.try_get("opened_at")?),
                    closed_at: ms(r.try_get("closed_at")?),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, page.limit, |t| t.ticket_id))
    }

    async fn list_categories(&self, s: &Scope) -> Result<Vec<Category>> {
        let rows = sqlx::query(
            "SELECT * FROM categories WHERE ($1 IS NULL OR merchant_id IS NULL OR merchant_id = $1) ORDER BY merchant_id NULLS FIRST, position, id",
        )
        .bind(s.merchant_filter())
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(category_row).collect()
    }

    async fn create_category(&self, s: &Scope, ctx: &AuditCtx, new: NewCategory) -> Result<Category> {
        let merchant = s.owner_for_new(new.merchant_id)?;
        let mut tx = self.writer.begin().await?;
        if let Some(parent) = &new.parent_code {
            let found = sqlx::query("SELECT 1 AS one FROM categories WHERE code = $1 AND (merchant_id IS NULL OR merchant_id = $2)")
                .bind(parent)
                .bind(merchant)
                .fetch_optional(&mut *tx)
                .await?;
            if found.is_none() {
                return Err(DomainError::validation("parent_code", format!("no category '{parent}' to nest under")).into());
            }
        }
        let row = sqlx::query(
            "INSERT INTO categories (merchant_id, code, name, parent_code, position, active, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
        )
        .bind(merchant)
        .bind(&new.code)
        .bind(&new.name)
        .bind(&new.parent_code)
        .bind(new.position)
        .bind(true)
        .bind(ctx.now.0)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| unique_as_conflict(e, "code", &format!("a category with code '{}' exists", new.code)))?;
        let c = category_row(&row)?;
        let e = ctx.entry("category.create", "category", Some(c.id.to_string()), merchant, None, to_json(&c));
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(c)
    }

    async fn seed_default_categories(&self) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let any = sqlx::query("SELECT 1 AS one FROM categories WHERE merchant_id IS NULL LIMIT 1").fetch_optional(&mut *tx).await?;
        if any.is_some() {
            return Ok(());
        }
        for (i, c) in kefu_core::ticket::DEFAULT_CATEGORIES.iter().enumerate() {
            sqlx::query("INSERT INTO categories (merchant_id, code, name, parent_code, position, active, created_at) VALUES (NULL, $1, $2, $3, $4, $5, 0)")
                .bind(c.code)
                .bind(c.name_zh)
                .bind(c.parent)
                .bind(i as i64)
                .bind(true)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn closed_tickets_before(&self, cutoff: Millis, limit: i64) -> Result<Vec<(i64, Option<i64>, Millis)>> {
        let rows = sqlx::query(
            "SELECT id, merchant_id, closed_at FROM tickets WHERE status = 'closed' AND closed_at < $1 ORDER BY closed_at, id LIMIT $2",
        )
        .bind(cutoff.0)
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("merchant_id")?, Millis(r.try_get("closed_at")?)))).collect()
    }

    async fn purge_ticket(&self, ctx: &AuditCtx, id: i64, archived_to: Option<&str>) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let row = sqlx::query("SELECT number, merchant_id, status, closed_at FROM tickets WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?;
        let Some(row) = row else { return Err(DomainError::not_found("ticket").into()) };
        let status: String = row.try_get("status")?;
        if status != "closed" {
            return Err(DomainError::conflict(None, format!("ticket {id} is {status}; only closed tickets are purged")).into());
        }
        let number: String = row.try_get("number")?;
        let merchant: Option<i64> = row.try_get("merchant_id")?;
        let closed_at: Option<i64> = row.try_get("closed_at")?;
        sqlx::query("INSERT INTO retention_purge (ticket_id) VALUES ($1) ON CONFLICT DO NOTHING").bind(id).execute(&mut *tx).await?;
        for table in ["ticket_search", "ticket_messages", "ticket_tags", "ticket_orders", "department_tasks", "attachments", "ticket_events"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE ticket_id = $1")).bind(id).execute(&mut *tx).await?;
        }
        sqlx::query("DELETE FROM ticket_links WHERE ticket_id = $1 OR linked_id = $1").bind(id).execute(&mut *tx).await?;
        // Messages that moved to a surviving ticket in a merge stay there; they lose only the pointer back.
        sqlx::query("UPDATE ticket_messages SET origin_ticket_id = ticket_id WHERE origin_ticket_id = $1").bind(id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM tickets WHERE id = $1").bind(id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM retention_purge WHERE ticket_id = $1").bind(id).execute(&mut *tx).await?;
        let after = serde_json::json!({ "number": number, "closed_at": closed_at.map(Millis), "archived_to": archived_to });
        let e = ctx.entry("ticket.purged", "ticket", Some(id.to_string()), merchant, None, Some(after.to_string()));
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn list_notifications(&self, who: &Recipient, unread_only: bool, page: PageReq) -> Result<Page<Notification>> {
        let tiers = who.tiers.join(",");
        let rows = sqlx::query(
            "SELECT n.id, n.ticket_id, n.kind, n.body, n.created_at, r.read_at FROM notifications n \
             LEFT JOIN notification_reads r ON r.notification_id = n.id AND r.user_id = $1 \
             WHERE ((n.recipient_kind = 'user' AND n.recipient = $2) \
                OR (n.recipient_kind = 'team' AND n.recipient = $3) \
                OR (n.recipient_kind = 'department' AND n.recipient = $4) \
                OR (n.recipient_kind = 'tier' AND ($5 LIKE '%' || n.recipient || '%') AND n.merchant_id IS NOT DISTINCT FROM $6)) \
             AND (NOT $7 OR r.read_at IS NULL) AND n.id < $8 ORDER BY n.id DESC LIMIT $9",
        )
        .bind(who.user_id)
        .bind(who.user_id.to_string())
        .bind(who.team_id.map(|t| t.to_string()).unwrap_or_default())
        .bind(who.department_id.map(|d| d.to_string()).unwrap_or_default())
        .bind(tiers)
        .bind(who.merchant_id)
        .bind(unread_only)
        .bind(page.after.unwrap_or(i64::MAX))
        .bind(page.limit + 1)
        .fetch_all(&self.reader)
        .await?;
        let items = rows
            .iter()
            .map(|r| {
                Ok(Notification {
                    id: r.try_get("id")?,
                    ticket_id: r.try_get("ticket_id")?,
                    kind: r.try_get("kind")?,
                    body: r.try_get("body")?,
                    created_at: Millis(r.try_get("created_at")?),
                    read: r.try_get::<Option<i64>, _>("read_at")?.is_some(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Page::from_rows(items, page.limit, |n| n.id))
    }

    async fn mark_notification_read(&self, who: &Recipient, id: i64, now: Millis) -> Result<()> {
        let mine = self.list_notifications(who, false, PageReq { after: Some(id + 1), limit: 1 }).await?;
        if mine.items.first().map(|n| n.id) != Some(id) {
            return Err(DomainError::not_found("notification").into());
        }
        sqlx::query("INSERT INTO notification_reads (notification_id, user_id, read_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(id)
            .bind(who.user_id)
            .bind(now.0)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn mark_all_notifications_read(&self, who: &Recipient, now: Millis) -> Result<u64> {
        // The same recipient filter as `list_notifications`, so "all" is exactly what the list shows.
        let done = sqlx::query(
            "INSERT INTO notification_reads (notification_id, user_id, read_at) \
             SELECT n.id, $1, $7 FROM notifications n \
             WHERE ((n.recipient_kind = 'user' AND n.recipient = $2) \
                OR (n.recipient_kind = 'team' AND n.recipient = $3) \
                OR (n.recipient_kind = 'department' AND n.recipient = $4) \
                OR (n.recipient_kind = 'tier' AND ($5 LIKE '%' || n.recipient || '%') AND n.merchant_id IS NOT DISTINCT FROM $6)) \
             AND NOT EXISTS (SELECT 1 FROM notification_reads r WHERE r.notification_id = n.id AND r.user_id = $1) \
             ON CONFLICT DO NOTHING",
        )
        .bind(who.user_id)
        .bind(who.user_id.to_string())
        .bind(who.team_id.map(|t| t.to_string()).unwrap_or_default())
        .bind(who.department_id.map(|d| d.to_string()).unwrap_or_default())
        .bind(who.tiers.join(","))
        .bind(who.merchant_id)
        .bind(now.0)
        .execute(&self.writer)
        .await?;
        Ok(done.rows_affected())
    }

    async fn list_views(&self, s: &Scope, user_id: i64) -> Result<Vec<SavedView>> {
        let rows = sqlx::query(
            "SELECT * FROM saved_views WHERE (owner_id = $1 OR (owner_id IS NULL AND ($2 IS NULL OR merchant_id = $2))) ORDER BY id",
        )
        .bind(user_id)
        .bind(s.merchant_filter())
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(view_row).collect()
    }

    async fn create_view(&self, s: &Scope, ctx: &AuditCtx, new: NewSavedView) -> Result<SavedView> {
        let merchant = s.owner_for_new(new.merchant_id)?;
        let filters = serde_json::to_string(&new.filters).map_err(|e| StoreError::Other(e.to_string()))?;
        let mut tx = self.writer.begin().await?;
        let row = sqlx::query("INSERT INTO saved_views (merchant_id, owner_id, name, filters, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING *")
            .bind(merchant)
            .bind(new.owner_id)
            .bind(&new.name)
            .bind(filters)
            .bind(ctx.now.0)
            .fetch_one(&mut *tx)
            .await?;
        let v = view_row(&row)?;
        let e = ctx.entry("view.create", "saved_view", Some(v.id.to_string()), merchant, None, to_json(&v));
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(v)
    }

    async fn delete_view(&self, s: &Scope, ctx: &AuditCtx, id: i64, user_id: i64) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let row = sqlx::query("SELECT * FROM saved_views WHERE id = $1 AND ($2 IS NULL OR merchant_id = $2)")
            .bind(id)
            .bind(s.merchant_filter())
            .fetch_optional(&mut *tx)
            .await?;
        let Some(v) = row.as_ref().map(view_row).transpose()? else {
            return Err(DomainError::not_found("view").into());
        };
        if v.owner_id.is_some_and(|o| o != user_id) {
            return Err(DomainError::not_found("view").into());
        }
        sqlx::query("DELETE FROM saved_views WHERE id = $1").bind(id).execute(&mut *tx).await?;
        let e = ctx.entry("view.delete", "saved_view", Some(id.to_string()), v.merchant_id, to_json(&v), None);
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(())
    }
}
