//! The satisfaction service (满意度评价, SVC-8) and follow-up visits (回访).
//!
//! A customer's rating arrives through a signed link (`krt_…`: the chat's `closed` frame, the survey link
//! an agent makes, the email invitation). It is validated by `kefu_core::satisfaction`, then stored once
//! per resolution with its `rated` timeline event and the audit record. A dissatisfied rating (≤ 2) also
//! schedules a low-rating follow-up visit in the merchant's supervisors' queue, due at the close of the
//! next working day, in the same transaction; then the ticket is handled again until the customer is
//! satisfied: reopened and escalated to L2 (二级响应, the supervisors) through the ticket service.

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::tickets::{self as svc, TicketNotice};
use kefu_core::authz::{Action, Scope};
use kefu_core::calendar::{BusinessCalendar, WeeklyHours};
use kefu_core::satisfaction::{self as rules, RatingInput, VisitReason};
use kefu_core::ticket::{apply_all, decide, Actor, TicketCommand, TicketEvent, Tier};
use kefu_core::time::Millis;
use kefu_core::ErrorCode;
use kefu_store::{AuditCtx, FollowUpVisit, NewRating, NewVisit, Rating};
use std::sync::OnceLock;

/// The system actor of the survey's consequences (the escalation, the scheduled visit).
pub const SURVEY_ACTOR: &str = "satisfaction_survey";
/// The system actor of visits scheduled after an after-sales case.
pub const AFTERSALES_ACTOR: &str = "aftersales_follow_up";

/// The working days follow-up visits are due in: the PRC statutory holidays and make-up workdays,
/// 09:00–18:00 on working days.
fn visit_calendar() -> &'static BusinessCalendar {
    static CAL: OnceLock<BusinessCalendar> = OnceLock::new();
    CAL.get_or_init(|| {
        let weekly =
            WeeklyHours::weekdays_from(&["09:00-18:00"]).unwrap_or_else(|_| WeeklyHours::always_open());
        BusinessCalendar::china(weekly)
    })
}

/// When a visit scheduled now is due: the close of service on the next working day.
pub fn default_due(now: Millis) -> Millis {
    rules::next_working_day_due(now, visit_calendar())
}

/// What a rating did.
pub struct RateOutcome {
    pub rating: Rating,
    pub visit: Option<FollowUpVisit>,
    /// The ticket was reopened to the supervisors (a dissatisfied rating).
    pub reopened: bool,
}

fn notify(state: &AppState, ticket: &kefu_store::Ticket, events: &[&str]) {
    let _ = state.ticket_events.send(TicketNotice {
        ticket_id: ticket.id,
        merchant_id: ticket.merchant_id,
        version: ticket.version,
        events: events.iter().map(|e| e.to_string()).collect(),
    });
}

/// Record the customer's rating of ticket `ticket` (from a verified link), with what follows from it.
pub async fn rate(
    state: &AppState,
    ticket: i64,
    input: &RatingInput,
    channel: &str,
    ip: Option<String>,
) -> ApiResult<RateOutcome> {
    let valid = rules::validate(input)?;
    let rec = svc::load(state, &Scope::operator(Action::TicketRead), ticket).await?;
    let now = crate::auth::now();
    let customer_actor = match rec.state.customer_id {
        Some(customer_id) => Actor::Customer { customer_id },
        None => Actor::System { name: SURVEY_ACTOR.into() },
    };
    let scope = Scope::channel(rec.ticket.merchant_id, Action::TicketWork);
    let ctx = AuditCtx {
        actor_id: None,
        actor_name: match rec.state.customer_id {
            Some(c) => format!("customer:{c}"),
            None => format!("system:{SURVEY_ACTOR}"),
        },
        ip,
        request_id: None,
        now,
    };
    let dissatisfied = rules::is_dissatisfied(valid.score);
    let visit = dissatisfied.then(|| NewVisit {
        ticket_id: ticket,
        reason: VisitReason::LowRating,
        source: String::new(),
        due_at: default_due(now),
        assignee_id: None,
        script: VisitReason::LowRating.default_script().to_string(),
        actor: Actor::System { name: SURVEY_ACTOR.into() },
    });
    let new = NewRating {
        ticket_id: ticket,
        actor: customer_actor.clone(),
        channel: channel.to_string(),
        score: valid.score,
        label: valid.label.to_string(),
        summary: rules::rating_summary(valid.score, &valid.reasons),
        reasons: valid.reasons,
        comment: valid.comment,
    };
    let (rating, visit) = state.store.record_rating(&scope, &ctx, new, visit).await?;
    let mut reopened = false;
    if dissatisfied {
        match handle_again(state, &scope, &ctx, ticket, &customer_actor, &rating).await {
            Ok(t) => {
                reopened = true;
                tracing::info!(
                    ticket = t.id,
                    rating = rating.id,
                    "dissatisfied rating: ticket reopened at L2"
                );
            }
            Err(e) => {
                // The rating and the visit stand; the supervisors see the visit in their queue.
                tracing::warn!(ticket, rating = rating.id, error = %e.message, "dissatisfied rating: ticket not reopened");
                if let Ok(rec) = svc::load(state, &scope, ticket).await {
                    notify(state, &rec.ticket, &["rated", "follow_up_recorded"]);
                }
            }
        }
    } else if let Ok(rec) = svc::load(state, &scope, ticket).await {
        notify(state, &rec.ticket, &["rated"]);
    }
    Ok(RateOutcome { rating, visit, reopened })
}

/// "Handle again until satisfied": reopen the ticket as the customer and escalate it to L2 (the
/// supervisors) as the survey, in one change through the ticket service.
async fn handle_again(
    state: &AppState,
    scope: &Scope,
    ctx: &AuditCtx,
    ticket: i64,
    customer: &Actor,
    rating: &Rating,
) -> ApiResult<kefu_store::Ticket> {
    let system = Actor::System { name: SURVEY_ACTOR.into() };
    let reopen_actor = match customer {
        Actor::Customer { .. } => customer.clone(),
        // Without a customer the reopen has nobody to act as; the escalation alone is not possible on a
        // resolved ticket, so refuse plainly.
        _ => return Err(ApiError::new(ErrorCode::Conflict, "the ticket has no customer to reopen it for")),
    };
    let reason = format!("客户评价{}（{} 分），需主管再次处理直至满意", rating.label, rating.score);
    let build = move |st: &kefu_core::ticket::TicketState| {
        let mut events: Vec<TicketEvent> =
            decide(st, &TicketCommand::Reopen, &reopen_actor, ctx.now, &svc::policy())?;
        let after = apply_all(st.clone(), &events);
        if after.tier < Tier::L2 {
            let up = TicketCommand::Escalate { to: Tier::L2, reason: reason.clone() };
            events.extend(decide(&after, &up, &system, ctx.now, &svc::policy())?);
        }
        Ok(events)
    };
    svc::change(state, scope, ctx, ticket, None, "reopen_dissatisfied", &build).await
}

/// Schedule a follow-up visit after an after-sales case ended (refunded, exchanged, repaired). Scheduling
/// twice while one is pending makes one task.
pub async fn after_sales_done(
    state: &AppState,
    ctx: &AuditCtx,
    case: &kefu_store::AfterSalesCase,
) -> ApiResult<()> {
    let Some(ticket) = case.ticket_id else {
        return Ok(());
    };
    let scope = Scope::channel(Some(case.merchant_id), Action::TicketWork);
    let new = NewVisit {
        ticket_id: ticket,
        reason: VisitReason::AfterSales,
        source: format!("aftersales:{}", case.id),
        due_at: default_due(ctx.now),
        assignee_id: None,
        script: VisitReason::AfterSales.default_script().to_string(),
        actor: Actor::System { name: AFTERSALES_ACTOR.into() },
    };
    let v = state.store.schedule_follow_up(&scope, ctx, new).await?;
    if let Ok(rec) = svc::load(state, &scope, ticket).await {
        notify(state, &rec.ticket, &["follow_up_recorded"]);
    }
    tracing::info!(case = case.id, visit = v.id, "after-sales follow-up visit scheduled");
    Ok(())
}

/// The invitation to rate a resolved email ticket: on its `status_changed` to resolved, an `email.send` job
/// (deduplicated per event) with the survey link, valid 7 days from the resolution. Needs `public_url`
/// (a mail can only carry an absolute link); without it no invitation is sent.
pub async fn email_invitation(
    state: &AppState,
    e: &kefu_store::FeedEvent,
    now: Millis,
) -> anyhow::Result<()> {
    use crate::channels::email::outbound::{SendJob, SEND_KIND};
    let event: TicketEvent = serde_json::from_str(&e.payload)?;
    let kefu_core::ticket::TicketEventKind::StatusChanged {
        to: kefu_core::ticket::TicketStatus::Resolved,
        ..
    } = event.kind
    else {
        return Ok(());
    };
    let base = state.config.public_url.trim_end_matches('/');
    if base.is_empty() {
        return Ok(());
    }
    let scope = crate::channels::intake::scope(e.merchant_id);
    let Some(rec) = state.store.get_ticket(&scope, e.ticket_id).await? else { return Ok(()) };
    if rec.ticket.channel != kefu_core::ticket::Channel::Email {
        return Ok(());
    }
    let exp = event.at.plus_ms(crate::signed_link::RATING_LINK_DAYS * Millis::DAY).0 / 1000;
    let token = crate::signed_link::sign(state, crate::signed_link::Purpose::Rating, e.ticket_id, exp)
        .await
        .map_err(|err| anyhow::anyhow!(err.message))?;
    let body = format!(
        "您好，您的问题（工单 {number}）已处理完毕。\n\n欢迎您对本次服务进行评价（7 天内有效）：\n\
         {base}/survey?token={token}&channel=email\n\n如问题仍未解决，直接回复本邮件即可，我们会继续为您处理。感谢您的支持！",
        number = rec.ticket.number
    );
    let job =
        SendJob { ticket_id: e.ticket_id, merchant_id: e.merchant_id, event_id: e.id, body, staff_id: None };
    crate::jobs::enqueue(state, SEND_KIND, e.merchant_id, &job, Some(format!("{SEND_KIND}:{}", e.id)), now)
        .await?;
    Ok(())
}
