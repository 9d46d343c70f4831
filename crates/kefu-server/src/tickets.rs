//! The ticket service: the one path every ticket change takes.
//!
//! permission (the handler's gate) → load the ticket in the caller's scope → `kefu_core::ticket::decide`
//! (the state machine) → `apply` → the store appends events, projections and the audit record in one
//! transaction, guarded by the version → the change is published on the event bus.
//! A client that sends `expected_version` gets 409 when the ticket moved on; without it the service
//! re-reads and re-decides up to three times, so concurrent edits are never lost.

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use kefu_core::authz::{Principal, Scope};
use kefu_core::ticket::{
    apply_all, decide, rebuild, shanghai_date, Actor, Channel, Classifier, KeywordClassifier, NewTicket,
    Priority, TicketCommand, TicketEvent, TicketEventKind, TicketNumber, TicketPolicy, TicketState,
};
use kefu_core::{DomainError, ErrorCode};
use kefu_store::{AuditCtx, Ticket, TicketChange, TicketRecord};

use serde::Serialize;

/// What happened to a ticket, for whoever listens (live views, notifications, later SLA timers).
#[derive(Debug, Clone, Serialize)]
pub struct TicketNotice {
    pub ticket_id: i64,
    pub merchant_id: Option<i64>,
    pub version: i64,
    pub events: Vec<String>,
}

/// The actor a principal acts as on tickets: staff act as themselves, integration tokens as the system.
pub fn actor_of(p: &Principal) -> Actor {
    match p.token_id {
        Some(_) => Actor::System { name: format!("api:{}", p.username) },
        None => Actor::Staff { user_id: p.user_id, role: p.role },
    }
}

/// Everything needed to open a ticket.
pub struct Draft {
    pub merchant_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub channel: Channel,
    pub subject: String,
    pub body: String,
    pub priority: Priority,
    pub category: Option<String>,
    pub tags: Vec<String>,
    pub order_numbers: Vec<String>,
    pub custom_fields: serde_json::Value,
    pub follow_up_of: Option<TicketNumber>,
}

pub fn policy() -> TicketPolicy {
    TicketPolicy::default()
}

fn publish(state: &AppState, t: &Ticket, events: &[TicketEvent]) {
    for e in events {
        let level = match e.kind {
            TicketEventKind::SlaWarned { .. } => "warning",
            TicketEventKind::SlaBreached { .. } => "breach",
            _ => continue,
        };
        state.metrics.sla_fired.get_or_create(&crate::metrics::LoginLabels { outcome: level.into() }).inc();
    }
    let _ = state.ticket_events.send(TicketNotice {
        ticket_id: t.id,
        merchant_id: t.merchant_id,
        version: t.version,
        events: events.iter().map(|e| e.kind.name().to_string()).collect(),
    });
}

/// Normalise tags: trimmed, 1-30 chars, no duplicates, at most 20.
pub fn clean_tags(field: &str, tags: &[String]) -> ApiResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        let t = t.trim();
        if t.is_empty() || t.chars().count() > 30 || t.chars().any(char::is_control) {
            return Err(ApiError::field(
                ErrorCode::Validation,
                field,
                format!("'{t}' is not a valid {field} entry (1-30 characters)"),
            ));
        }
        if !out.iter().any(|x| x == t) {
            out.push(t.to_string());
        }
    }
    if out.len() > 20 {
        return Err(ApiError::field(ErrorCode::Validation, field, format!("at most 20 {field}")));
    }
    Ok(out)
}

/// Open a ticket: number, classification by keywords when no category is given, the first events.
pub async fn create(
    state: &AppState,
    scope: &Scope,
    ctx: &AuditCtx,
    actor: Actor,
    d: Draft,
) -> ApiResult<Ticket> {
    let merchant_id = scope.owner_for_new(d.merchant_id)?;
    if let Some(c) = &d.category {
        let known = state.store.list_categories(scope).await?;
        if !known.iter().any(|k| &k.code == c && k.active) {
            return Err(ApiError::field(
                ErrorCode::Validation,
                "category",
                format!("unknown category '{c}'"),
            ));
        }
    }
    let category = d
        .category
        .clone()
        .or_else(|| KeywordClassifier::default().classify(&format!("{}\n{}", d.subject, d.body)));
    let date = shanghai_date(ctx.now)?;
    let day = date.strftime("%Y%m%d").to_string();
    let seq = state.store.next_ticket_seq(&day).await?;
    let number = TicketNumber::new(date, seq)?;
    let new = NewTicket {
        number,
        merchant_id,
        customer_id: d.customer_id,
        channel: d.channel,
        subject: d.subject,
        body: d.body,
        priority: d.priority,
        category,
        follow_up_of: d.follow_up_of,
    };
    let mut events =
        decide(&TicketState::default(), &TicketCommand::Create(new), &actor, ctx.now, &policy())?;
    if !d.tags.is_empty() {
        events.push(TicketEvent {
            at: ctx.now,
            actor: actor.clone(),
            kind: TicketEventKind::TagsChanged { tags: d.tags },
        });
    }
    if !d.order_numbers.is_empty() {
        events.push(TicketEvent {
            at: ctx.now,
            actor: actor.clone(),
            kind: TicketEventKind::OrdersChanged { order_numbers: d.order_numbers },
        });
    }
    let rt = state.sla.current();
    let customer = crate::sla::customer_facts(state, &rt, d.customer_id).await;
    let more = rt.follow_up(&TicketState::default(), &events, "created", &customer, ctx.now);
    events.extend(more);
    let st = rebuild(&events);
    let sla = rt.project(&st, ctx.now);
    let t = state.store.insert_ticket(scope, ctx, events.clone(), st, d.custom_fields, Some(sla)).await?;
    publish(state, &t, &events);
    Ok(t)
}

/// Load a ticket the scope may see, or 404.
pub async fn load(state: &AppState, scope: &Scope, id: i64) -> ApiResult<TicketRecord> {
    state.store.get_ticket(scope, id).await?.ok_or_else(|| ApiError::not_found("ticket"))
}

/// Apply a command through the state machine.
pub async fn command(
    state: &AppState,
    scope: &Scope,
    ctx: &AuditCtx,
    actor: &Actor,
    id: i64,
    expected_version: Option<i64>,
    cmd: TicketCommand,
) -> ApiResult<Ticket> {
    change(state, scope, ctx, id, expected_version, cmd.name(), &|st: &TicketState| {
        decide(st, &cmd, actor, ctx.now, &policy())
    })
    .await
}

/// Append the events `build` makes from the current state, under the ticket's lock.
pub async fn change(
    state: &AppState,
    scope: &Scope,
    ctx: &AuditCtx,
    id: i64,
    expected_version: Option<i64>,
    name: &str,
    build: kefu_store::BuildEvents<'_>,
) -> ApiResult<Ticket> {
    let rt = state.sla.current();
    let customer = if rt.needs_customer_facts() {
        let rec = load(state, scope, id).await?;
        crate::sla::customer_facts(state, &rt, rec.state.customer_id).await
    } else {
        crate::sla::CustomerFacts::default()
    };
    let now = ctx.now;
    // The command's events, then what the SLA engine adds to them (policy choice, warnings, breaches).
    let with_sla = |st: &TicketState| -> Result<Vec<TicketEvent>, DomainError> {
        let mut events = build(st)?;
        let more = rt.follow_up(st, &events, name, &customer, now);
        events.extend(more);
        Ok(events)
    };
    let project = |st: &TicketState| Some(rt.project(st, now));
    let (t, events) =
        state.store.change_ticket(scope, ctx, id, name, expected_version, &with_sla, &project).await?;
    if !events.is_empty() {
        publish(state, &t, &events);
    }
    Ok(t)
}

/// Refuse changes to merged tickets for annotations that are not lifecycle commands.
pub fn not_merged(st: &TicketState) -> Result<(), DomainError> {
    match (st.merged_into, st.number) {
        (Some(into), Some(n)) => {
            Err(DomainError::conflict(None, format!("ticket {n} was merged into {into} and is read-only")))
        }
        _ => Ok(()),
    }
}

/// Merge `source` into `target`: the source closes pointing at the target; its messages move.
pub async fn merge(
    state: &AppState,
    scope: &Scope,
    ctx: &AuditCtx,
    actor: &Actor,
    source_id: i64,
    target_id: i64,
) -> ApiResult<Ticket> {
    if source_id == target_id {
        return Err(ApiError::field(
            ErrorCode::Validation,
            "into_ticket_id",
            "a ticket cannot be merged into itself",
        ));
    }
    let source = load(state, scope, source_id).await?;
    let target = load(state, scope, target_id).await.map_err(|_| {
        ApiError::field(ErrorCode::Validation, "into_ticket_id", format!("ticket {target_id} does not exist"))
    })?;
    if source.state.merchant_id != target.state.merchant_id {
        return Err(ApiError::field(
            ErrorCode::Validation,
            "into_ticket_id",
            "tickets of different merchants cannot be merged",
        ));
    }
    not_merged(&target.state)?;
    let into = target.state.number.ok_or_else(|| ApiError::internal("ticket without number"))?;
    let from = source.state.number.ok_or_else(|| ApiError::internal("ticket without number"))?;
    let s_events = decide(&source.state, &TicketCommand::Merge { into }, actor, ctx.now, &policy())?;
    let moved = state.store.ticket_messages(scope, source_id, true).await?.len() as i64;
    let t_events = vec![TicketEvent {
        at: ctx.now,
        actor: actor.clone(),
        kind: TicketEventKind::MergedFrom { number: from, messages: moved },
    }];
    let rt = state.sla.current();
    let s_state = apply_all(source.state.clone(), &s_events);
    let t_state = apply_all(target.state.clone(), &t_events);
    let s_change = TicketChange {
        id: source_id,
        expected_version: source.state.version,
        sla: Some(rt.project(&s_state, ctx.now)),
        new_state: s_state,
        events: s_events.clone(),
    };
    let t_change = TicketChange {
        id: target_id,
        expected_version: target.state.version,
        sla: Some(rt.project(&t_state, ctx.now)),
        new_state: t_state,
        events: t_events.clone(),
    };
    let t = state.store.merge_tickets(scope, ctx, s_change, t_change).await?;
    publish(state, &t, &t_events);
    Ok(t)
}
