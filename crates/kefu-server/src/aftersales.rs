//! The after-sales service (售后单): the one path every case change takes.
//!
//! permission (the handler's gate) → the store locks the case row and checks its version →
//! `kefu_core::aftersales::case::decide` turns the command into events (or refuses it: 409 naming the
//! status) → in the same transaction: the events, the case projection, the step in the linked ticket's
//! timeline, the timer job of the status the case entered, the audit record → the ticket notice goes out.
//!
//! Time limits are durable jobs (`aftersales.expire`) due when the limit passes. When one fires it asks
//! the same `decide` for `Expire` as the system actor; if the case has moved on meanwhile the domain
//! refuses and the job simply ends, so a timer never overrides what people did.

use crate::error::{ApiError, ApiResult};
use crate::jobs::JobFailure;
use crate::state::AppState;
use crate::tickets::TicketNotice;
use kefu_core::aftersales::case::{
    decide, CaseActor, CaseCommand, CaseEvent, CaseEventKind, CaseTimeouts, TimeLimit,
};
use kefu_core::aftersales::timeline;
use kefu_core::authz::{Action, Scope};
use kefu_core::ticket::{Actor, TicketEvent, TicketEventKind};
use kefu_core::time::Millis;
use kefu_core::{DomainError, ErrorCode};
use kefu_store::{AfterSalesCase, AuditCtx, BuildCase, CaseChange, CaseWrite, Job, NewCase, NewJob};
use serde::{Deserialize, Serialize};

/// The job kind of a case's time limit.
pub const EXPIRE_KIND: &str = "aftersales.expire";
/// The system actor that applies automatic outcomes.
pub const TIMER_ACTOR: &str = "aftersales_timer";

/// The platform's time limits (the defaults of the regulations; 48 h to answer an unshipped refund …).
pub fn timeouts() -> CaseTimeouts {
    CaseTimeouts::default()
}

/// The return windows for one item: the merchant's rules for its product category (or the merchant's
/// default, or the platform's), with the days the customer's member tier adds to the no-reason window
/// under the merchant's member rights (会员权益, [`kefu_core::member`]).
pub async fn return_policy(
    state: &AppState,
    merchant_id: i64,
    category: Option<&str>,
    customer_id: Option<i64>,
) -> kefu_core::aftersales::eligibility::ReturnPolicy {
    let scope = Scope::channel(Some(merchant_id), Action::AftersalesRead);
    let rules = state.store.get_return_rules(&scope, merchant_id).await.ok().flatten().unwrap_or_default();
    let member = match customer_id {
        Some(id) => state.store.customer_tier(id).await.ok().flatten(),
        None => None,
    };
    kefu_core::aftersales::eligibility::ReturnPolicy {
        member_extra_days: member.map_or(0, |(tier, _, rights)| rights.return_window_extra_days(Some(&tier))),
        ..rules.for_category(category)
    }
}

/// The case with the time limit running now.
pub fn with_limit(mut c: AfterSalesCase) -> AfterSalesCase {
    if let Some((limit, due)) = c.state.next_limit(&timeouts()) {
        c.time_limit = Some(limit);
        c.due_at = Some(due);
    }
    c
}

#[derive(Debug, Serialize, Deserialize)]
struct TimerPayload {
    case_id: i64,
    limit: TimeLimit,
    /// The case's version when the limit started (for the log; `decide` is what checks the limit).
    version: i64,
}

/// The wire name of a command (audit action, e.g. `aftersales.agree`).
pub fn command_name(c: &CaseCommand) -> &'static str {
    match c {
        CaseCommand::Request { .. } => "create",
        CaseCommand::Agree => "agree",
        CaseCommand::Reject { .. } => "reject",
        CaseCommand::ShipReturn { .. } => "ship_return",
        CaseCommand::ConfirmReceipt { .. } => "confirm_receipt",
        CaseCommand::RefundSucceeded { .. } => "refund_succeeded",
        CaseCommand::RefundFailed { .. } => "refund_failed",
        CaseCommand::ShipResend { .. } => "ship_resend",
        CaseCommand::Cancel => "cancel",
        CaseCommand::Dispute { .. } => "dispute",
        CaseCommand::PlatformDecide { .. } => "platform_decide",
        CaseCommand::Expire { .. } => "expire",
    }
}

/// What follows the new events of `case`: the step in the ticket's timeline, and a timer when the case
/// entered a status with a time limit.
fn follow(case: &AfterSalesCase, events: Vec<CaseEvent>, ticket_actor: &Actor, now: Millis) -> CaseChange {
    let mut st = case.state.clone();
    for e in &events {
        st.apply(e);
    }
    let kind = st.kind.unwrap_or(case.kind);
    let entered =
        case.version == 0 || events.iter().any(|e| matches!(e.kind, CaseEventKind::StatusChanged { .. }));
    let version = case.version + events.len() as i64;
    let timer = if entered { st.next_limit(&timeouts()) } else { None }.map(|(limit, due)| NewJob {
        kind: EXPIRE_KIND.into(),
        merchant_id: Some(case.merchant_id),
        payload: serde_json::json!(TimerPayload { case_id: case.id, limit, version }).to_string(),
        max_attempts: crate::jobs::DEFAULT_ATTEMPTS,
        run_at: due,
        dedupe_key: Some(format!("{EXPIRE_KIND}:{}:{version}", case.id)),
    });
    let ticket_event = TicketEvent {
        at: now,
        actor: ticket_actor.clone(),
        kind: TicketEventKind::AfterSalesRecorded {
            case_id: case.id,
            status: st.status,
            summary: timeline::summary(case.id, kind, &events, st.status),
        },
    };
    CaseChange { events, ticket_event: Some(ticket_event), timer }
}

fn publish(state: &AppState, w: &CaseWrite) {
    if let Some((t, e)) = &w.ticket {
        let _ = state.ticket_events.send(TicketNotice {
            ticket_id: t.id,
            merchant_id: t.merchant_id,
            version: t.version,
            events: vec![e.kind.name().to_string()],
        });
    }
}

/// Open a case: its `Request` command decided on the new, empty case.
pub async fn open(
    state: &AppState,
    scope: &Scope,
    ctx: &AuditCtx,
    new: NewCase,
    request: CaseCommand,
    ticket_actor: &Actor,
) -> ApiResult<CaseWrite> {
    let build = |case: &AfterSalesCase| -> Result<CaseChange, DomainError> {
        let events =
            decide(&case.state, &request, &CaseActor::Buyer, ctx.now, &timeouts(), &case.id.to_string())?;
        Ok(follow(case, events, ticket_actor, ctx.now))
    };
    let build: BuildCase<'_> = &build;
    let w = state.store.create_case(scope, ctx, new, build).await?;
    publish(state, &w);
    crate::shop::after_case_change(state, ctx, &w).await;
    Ok(w)
}

/// Apply one command to a case through the state machine, under the case's lock.
#[allow(clippy::too_many_arguments)]
pub async fn change(
    state: &AppState,
    scope: &Scope,
    ctx: &AuditCtx,
    id: i64,
    expected_version: Option<i64>,
    command: &CaseCommand,
    actor: &CaseActor,
    ticket_actor: &Actor,
) -> ApiResult<CaseWrite> {
    let build = |case: &AfterSalesCase| -> Result<CaseChange, DomainError> {
        let events = decide(&case.state, command, actor, ctx.now, &timeouts(), &case.id.to_string())?;
        Ok(follow(case, events, ticket_actor, ctx.now))
    };
    let build: BuildCase<'_> = &build;
    let w = state.store.change_case(scope, ctx, id, command_name(command), expected_version, build).await?;
    publish(state, &w);
    crate::shop::after_case_change(state, ctx, &w).await;
    if !w.events.is_empty()
        && matches!(
            w.case.status,
            kefu_core::aftersales::case::CaseStatus::Refunded
                | kefu_core::aftersales::case::CaseStatus::Exchanged
                | kefu_core::aftersales::case::CaseStatus::Repaired
        )
    {
        // 售后回访: the case is done; a failure here must not undo the step the case already took.
        if let Err(e) = crate::satisfaction::after_sales_done(state, ctx, &w.case).await {
            tracing::warn!(case = id, error = %e.message, "after-sales follow-up visit not scheduled");
        }
    }
    Ok(w)
}

/// A time limit's job: apply the automatic outcome if the case still waits in that status.
pub async fn run_timer(state: &AppState, job: &Job) -> Result<(), JobFailure> {
    let p: TimerPayload = serde_json::from_str(&job.payload)
        .map_err(|e| JobFailure::permanent(format!("malformed after-sales timer: {e}")))?;
    // The job runs once it is due; on a node whose clock lags, the limit still counts as passed.
    let now = Millis(crate::auth::now().0.max(job.run_at.0));
    let scope = Scope::channel(job.merchant_id, Action::AftersalesWork);
    let ctx = AuditCtx {
        actor_id: None,
        actor_name: format!("system:{TIMER_ACTOR}"),
        ip: None,
        request_id: None,
        now,
    };
    let actor = CaseActor::System { name: TIMER_ACTOR.into() };
    let ticket_actor = Actor::System { name: TIMER_ACTOR.into() };
    let cmd = CaseCommand::Expire { limit: p.limit };
    match change(state, &scope, &ctx, p.case_id, None, &cmd, &actor, &ticket_actor).await {
        Ok(_) => Ok(()),
        // The case moved on before the limit passed (answered, shipped, cancelled), or is gone.
        Err(ApiError { code: ErrorCode::Conflict | ErrorCode::NotFound, .. }) => Ok(()),
        Err(e) => Err(JobFailure::retry(e.message)),
    }
}
