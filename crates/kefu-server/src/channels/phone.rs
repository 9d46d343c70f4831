//! The phone channel (呼叫中心): the telephony (CTI) system reports each call record with an API token of
//! the merchant; the called line tells the merchant. A call lands in the caller's ticket (channel
//! `phone`) as a call summary; a missed or abandoned inbound call also opens a call-back task (回拨任务)
//! noted on the ticket. The same `call_id` reported twice changes nothing.
//!
//! Outcomes: `answered` (has `answered_at`); for an inbound call without an answer, `missed` when it
//! rang at least the published target (N rings × ring length, SVC-6) and `abandoned` when the caller hung
//! up sooner. An outbound call without an answer is `missed` and opens no task.

use crate::channels::intake::{self, Identity, Inbound};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::tickets;
use kefu_core::authz::{Action, Scope};
use kefu_core::ticket::{Actor, Channel, Priority, TicketCommand};
use kefu_core::time::Millis;
use kefu_core::ErrorCode;
use kefu_store::{Callback, NewCall, PhoneCall, PhoneSettings};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A new call is appended to the caller's unresolved phone ticket updated within this window.
pub const REUSE_WITHIN_MS: i64 = 72 * 3600 * 1000;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// 呼入: the customer called the merchant's line.
    #[default]
    Inbound,
    /// 呼出: an agent called the customer (e.g. a call-back).
    Outbound,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Inbound => "inbound",
            Direction::Outbound => "outbound",
        }
    }
}

/// A call record from the telephony system.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallReport {
    /// The telephony system's id of the call; reporting it again changes nothing.
    pub call_id: String,
    /// The customer's number (the caller of an inbound call, the called party of an outbound one).
    pub caller: String,
    /// The merchant's line (热线) the call came in on or went out from; decides the merchant.
    pub line: String,
    #[serde(default)]
    pub direction: Direction,
    /// When it started ringing.
    pub ring_at: Millis,
    /// When someone answered; absent for a missed or abandoned call.
    pub answered_at: Option<Millis>,
    pub ended_at: Millis,
    /// The answering agent: a user id or username of the merchant's staff.
    pub agent: Option<String>,
    /// Where the telephony system keeps the recording.
    pub recording_ref: Option<String>,
    /// The IVR menu choice, e.g. `2` or `售后`.
    pub ivr_choice: Option<String>,
    /// Platform staff may name the merchant (the line must be that merchant's).
    pub merchant_id: Option<i64>,
}

/// What reporting a call did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CallLanded {
    pub call: PhoneCall,
    pub ticket_id: Option<i64>,
    pub ticket_number: Option<String>,
    /// The call-back task a missed or abandoned call opened.
    pub callback: Option<Callback>,
    /// Open call-back tasks of this customer that this answered outbound call completed.
    pub callbacks_done: Vec<Callback>,
    /// The call had been reported before; nothing changed.
    pub duplicate: bool,
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::field(ErrorCode::Validation, field, message)
}

fn short(field: &str, v: Option<String>, max: usize) -> ApiResult<Option<String>> {
    match v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()) {
        Some(s) if s.chars().count() > max || s.chars().any(char::is_control) => Err(invalid(
            field,
            format!("{field} must be at most {max} characters without control characters"),
        )),
        other => Ok(other),
    }
}

fn secs(ms: i64) -> String {
    let s = (ms.max(0) + 500) / 1000;
    if s >= 60 {
        format!("{} 分 {} 秒", s / 60, s % 60)
    } else {
        format!("{s} 秒")
    }
}

/// The agent named in a report: a user id or username of the call's merchant.
async fn find_agent(state: &AppState, merchant: Option<i64>, agent: &str) -> ApiResult<(i64, String)> {
    let unknown = || invalid("agent", format!("agent '{agent}' is not a staff member of this merchant"));
    let user = match agent.parse::<i64>() {
        Ok(id) => state.store.auth_user_by_id(id).await?,
        Err(_) => state.store.auth_user_by_username(agent).await?,
    };
    let user = user.filter(|u| u.merchant_id == merchant && !u.disabled).ok_or_else(unknown)?;
    let shown = state
        .store
        .get_user(&Scope::channel(merchant, Action::UserRead), user.id)
        .await?
        .map(|u| u.display_name)
        .unwrap_or_else(|| user.username.clone());
    Ok((user.id, shown))
}

/// Validate and land a call record reported in `scope` (the gate's scope of the CTI system's token).
pub async fn report_call(state: &AppState, scope: &Scope, r: CallReport) -> ApiResult<CallLanded> {
    let now = crate::auth::now();
    let requested = scope.owner_for_new(r.merchant_id)?;
    let call_id = r.call_id.trim().to_string();
    if call_id.is_empty() || call_id.chars().count() > 128 || call_id.chars().any(char::is_control) {
        return Err(invalid("call_id", "call_id must be 1-128 characters"));
    }
    let caller = kefu_core::pii::normalize_phone(&r.caller).map_err(|e| invalid("caller", e.message))?;
    let line = kefu_core::pii::normalize_phone(&r.line).map_err(|e| invalid("line", e.message))?;
    if r.ended_at < r.ring_at {
        return Err(invalid("ended_at", "ended_at must not be before ring_at"));
    }
    if let Some(a) = r.answered_at {
        if a < r.ring_at || a > r.ended_at {
            return Err(invalid("answered_at", "answered_at must lie between ring_at and ended_at"));
        }
    }
    if r.ended_at.0 - r.ring_at.0 > 24 * 3600 * 1000 {
        return Err(invalid("ended_at", "a call lasts less than a day"));
    }
    let recording_ref = short("recording_ref", r.recording_ref, 500)?;
    let ivr_choice = short("ivr_choice", r.ivr_choice, 100)?;
    let agent_name = short("agent", r.agent, 100)?;
    // The line decides the merchant; a line this caller may not report for is as unknown as none.
    let unknown_line = || invalid("line", format!("line {line} is not a configured phone line"));
    let merchant = match state.store.phone_line_owner(&line).await? {
        Some(owner) if scope.sees(owner) && (r.merchant_id.is_none() || owner == requested) => owner,
        _ => return Err(unknown_line()),
    };
    let settings =
        state.store.get_phone_settings(&Scope::channel(merchant, Action::ChannelManage), merchant).await?;
    let agent = match &agent_name {
        Some(a) => Some(find_agent(state, merchant, a).await?),
        None => None,
    };
    let target_ms = settings.rings_target * settings.ring_secs * 1000;
    let outcome = match (r.answered_at, r.direction) {
        (Some(_), _) => "answered",
        (None, Direction::Inbound) if r.ended_at.0 - r.ring_at.0 < target_ms => "abandoned",
        (None, _) => "missed",
    };
    let channel_scope = intake::scope(merchant);
    let (call, new) = state
        .store
        .claim_phone_call(
            &channel_scope,
            NewCall {
                merchant_id: merchant,
                call_id,
                direction: r.direction.as_str().into(),
                line,
                outcome: outcome.into(),
                agent_id: agent.as_ref().map(|a| a.0),
                ring_at: r.ring_at,
                answered_at: r.answered_at,
                ended_at: r.ended_at,
                ivr_choice: ivr_choice.clone(),
                recording_ref: recording_ref.clone(),
                now,
            },
        )
        .await?;
    if !new {
        let number = match call.ticket_id {
            Some(t) => state.store.get_ticket(&channel_scope, t).await?.map(|rec| rec.ticket.number),
            None => None,
        };
        let callback = state.store.callback_of_call(&channel_scope, call.id).await?;
        return Ok(CallLanded {
            ticket_id: call.ticket_id,
            ticket_number: number,
            callback,
            call,
            callbacks_done: Vec::new(),
            duplicate: true,
        });
    }
    let landed = land(state, &settings, &call, &caller, agent, r.direction, now).await;
    if landed.is_err() {
        if let Err(e) = state.store.release_phone_call(&channel_scope, call.id).await {
            tracing::error!(call = call.id, error = %e, "could not release a call record that failed to land");
        }
    }
    landed
}

async fn land(
    state: &AppState,
    settings: &PhoneSettings,
    call: &PhoneCall,
    caller: &str,
    agent: Option<(i64, String)>,
    direction: Direction,
    now: Millis,
) -> ApiResult<CallLanded> {
    let merchant = call.merchant_id;
    let ctx = intake::ctx("phone", now);
    let masked = kefu_core::pii::mask_phone(caller);
    // A new customer is named by the masked number, never the number itself (it is personal data).
    let shown = format!("来电客户 {masked}");
    let customer =
        intake::find_customer(state, &ctx, merchant, &Identity::Phone(caller.into()), Some(&shown)).await?;
    let verb = if direction == Direction::Inbound { "来电" } else { "去电" };
    let mut body = format!("{verb}（{}）", call.ring_at.shanghai_text());
    match call.answered_at {
        Some(a) => {
            body.push_str(&format!("，响铃 {}", secs(a.0 - call.ring_at.0)));
            match &agent {
                Some((_, name)) => body.push_str(&format!("，由 {name} 接听")),
                None => body.push_str("，已接听"),
            }
            body.push_str(&format!("，通话 {}", secs(call.ended_at.0 - a.0)));
        }
        None if call.outcome == "abandoned" => {
            body.push_str(&format!("，客户在响铃 {} 后挂断（放弃）", secs(call.ended_at.0 - call.ring_at.0)))
        }
        None => body.push_str(&format!("，响铃 {} 无人接听（未接）", secs(call.ended_at.0 - call.ring_at.0))),
    }
    body.push_str(&format!("。热线 {}", call.line));
    if let Some(ivr) = &call.ivr_choice {
        body.push_str(&format!("，IVR 选择 {ivr}"));
    }
    if let Some(rec) = &call.recording_ref {
        body.push_str(&format!("，录音 {rec}"));
    }
    body.push_str(&format!("。通话编号 {}", call.call_id));
    let landed = intake::customer_message(
        state,
        &ctx,
        Inbound {
            merchant_id: merchant,
            customer_id: customer.id,
            channel: Channel::Phone,
            subject: format!("{verb} {masked}"),
            body,
            ticket_id: None,
            reuse_within_ms: REUSE_WITHIN_MS,
            priority: Priority::Normal,
        },
    )
    .await?;
    let ticket = landed.ticket;
    let callback_due = (direction == Direction::Inbound && call.answered_at.is_none())
        .then(|| call.ended_at.plus_ms(settings.callback_due_mins * 60_000));
    let scope = intake::scope(merchant);
    let (call, callback) =
        state.store.finish_phone_call(&scope, call.id, customer.id, ticket.id, callback_due, now).await?;
    if let Some(cb) = &callback {
        let note = format!(
            "回拨任务 #{}：{}来电 {}，请在 {} 前回拨。",
            cb.id,
            if call.outcome == "abandoned" { "放弃的" } else { "未接" },
            masked,
            cb.due_at.shanghai_text()
        );
        note_on_ticket(state, merchant, ticket.id, note, now).await;
    }
    // An answered call-back (呼出) completes the customer's open call-back tasks.
    let mut callbacks_done = Vec::new();
    if direction == Direction::Outbound && call.answered_at.is_some() {
        let open = state.store.list_callbacks(&scope, Some("open"), 500).await?;
        let mut done_ctx = ctx.clone();
        done_ctx.actor_id = agent.as_ref().map(|a| a.0);
        for cb in open.into_iter().filter(|c| c.customer_id == Some(customer.id)) {
            let note = format!("已回拨接通（通话编号 {}）", call.call_id);
            match state.store.complete_callback(&scope, &done_ctx, cb.id, Some(note.clone())).await {
                Ok(done) => {
                    if let Some(t) = done.ticket_id {
                        note_on_ticket(
                            state,
                            merchant,
                            t,
                            format!("回拨任务 #{} 已完成：{note}", done.id),
                            now,
                        )
                        .await;
                    }
                    callbacks_done.push(done);
                }
                // Completed meanwhile by an agent: nothing to do.
                Err(e) if e.code() == ErrorCode::Conflict => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(CallLanded {
        ticket_id: Some(ticket.id),
        ticket_number: Some(ticket.number),
        callback,
        call,
        callbacks_done,
        duplicate: false,
    })
}

/// Note something on a ticket as the phone channel (best effort: the call record is kept either way).
pub async fn note_on_ticket(state: &AppState, merchant: Option<i64>, ticket: i64, body: String, now: Millis) {
    let actor = Actor::System { name: "phone_callback".into() };
    let ctx = intake::ctx("phone", now);
    let cmd = TicketCommand::InternalNote { body };
    if let Err(e) = tickets::command(state, &intake::scope(merchant), &ctx, &actor, ticket, None, cmd).await {
        tracing::warn!(ticket, error = %e.message, "could not note the call-back task on the ticket");
    }
}
