//! The phone channel (呼叫中心): settings and lines, call records from the telephony system, call-back
//! tasks (回拨任务) for agents, and the phone report (answered within N rings, SVC-6).

use crate::channels::phone::{self, CallLanded, CallReport};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, ErrorBody};
use crate::gate::{perm, Gate};
use crate::state::AppState;
use crate::tickets;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use kefu_core::authz::{Action, Scope};
use kefu_core::ticket::TicketCommand;
use kefu_core::time::Millis;
use kefu_core::ErrorCode;
use kefu_store::{Callback, PhoneLine, PhoneSettings};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::field(ErrorCode::Validation, field, message)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MerchantQuery {
    /// Platform staff: whose (default: the platform's own service).
    pub merchant_id: Option<i64>,
}

/// The phone settings of my merchant (platform staff: `merchant_id`'s, or the platform's own).
#[utoipa::path(get, path = "/api/v1/channels/phone/settings", tag = "channels", params(MerchantQuery),
    responses((status = 200, body = PhoneSettings), (status = 404, body = ErrorBody)))]
pub async fn get_settings(
    State(state): State<AppState>,
    g: Gate<perm::ChannelManage>,
    ApiQuery(q): ApiQuery<MerchantQuery>,
) -> ApiResult<Json<PhoneSettings>> {
    let merchant = g.scope.owner_for_new(q.merchant_id)?;
    Ok(Json(state.store.get_phone_settings(&g.scope, merchant).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineInput {
    /// The line's number, e.g. `400-800-1234` (normalised on save).
    pub number: String,
    #[serde(default)]
    pub label: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsInput {
    /// The lines (热线) whose calls are this merchant's; replaces the list.
    pub lines: Vec<LineInput>,
    /// Seconds per ring, 1-30 (default 6).
    pub ring_secs: Option<i64>,
    /// Answered within this many rings, 1-20 (default 3).
    pub rings_target: Option<i64>,
    /// Call-back tasks are due this many minutes after the missed call, 5-10080 (default 120).
    pub callback_due_mins: Option<i64>,
    /// Platform staff may name a merchant.
    pub merchant_id: Option<i64>,
}

/// Replace the phone settings and lines. A line already another merchant's is a conflict.
#[utoipa::path(put, path = "/api/v1/channels/phone/settings", tag = "channels", request_body = SettingsInput,
    responses((status = 200, body = PhoneSettings), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put_settings(
    State(state): State<AppState>,
    g: Gate<perm::ChannelManage>,
    ApiJson(input): ApiJson<SettingsInput>,
) -> ApiResult<Json<PhoneSettings>> {
    let merchant = g.scope.owner_for_new(input.merchant_id)?;
    let mut s = PhoneSettings::defaults(merchant);
    s.ring_secs = input.ring_secs.unwrap_or(s.ring_secs);
    s.rings_target = input.rings_target.unwrap_or(s.rings_target);
    s.callback_due_mins = input.callback_due_mins.unwrap_or(s.callback_due_mins);
    if !(1..=30).contains(&s.ring_secs) {
        return Err(invalid("ring_secs", "ring_secs must be 1-30"));
    }
    if !(1..=20).contains(&s.rings_target) {
        return Err(invalid("rings_target", "rings_target must be 1-20"));
    }
    if !(5..=10_080).contains(&s.callback_due_mins) {
        return Err(invalid("callback_due_mins", "callback_due_mins must be 5-10080"));
    }
    if input.lines.len() > 100 {
        return Err(invalid("lines", "at most 100 lines"));
    }
    for l in input.lines {
        let number = kefu_core::pii::normalize_phone(&l.number)
            .map_err(|e| invalid("lines", format!("'{}': {}", l.number, e.message)))?;
        let label = l.label.trim().to_string();
        if label.chars().count() > 50 {
            return Err(invalid("lines", "a line's label must be at most 50 characters"));
        }
        if !s.lines.iter().any(|x| x.number == number) {
            s.lines.push(PhoneLine { number, label });
        }
    }
    Ok(Json(state.store.put_phone_settings(&g.scope, &g.ctx, s).await?))
}

/// Report a call record (the telephony system, with an API token of the merchant). A new call answers
/// 201 with its ticket; the same `call_id` again answers 200 with `duplicate: true` and changes nothing.
#[utoipa::path(post, path = "/api/v1/channels/phone/calls", tag = "channels", request_body = CallReport,
    responses((status = 201, body = CallLanded), (status = 200, body = CallLanded), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn report_call(
    State(state): State<AppState>,
    g: Gate<perm::ChannelIntake>,
    ApiJson(input): ApiJson<CallReport>,
) -> ApiResult<(StatusCode, Json<CallLanded>)> {
    let landed = phone::report_call(&state, &g.scope, input).await?;
    let status = if landed.duplicate { StatusCode::OK } else { StatusCode::CREATED };
    Ok((status, Json(landed)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CallbackQuery {
    /// `open` (default) or `done`; `all` for both.
    pub state: Option<String>,
}

/// Call-back tasks (回拨任务) of my merchant, open ones first by due time.
#[utoipa::path(get, path = "/api/v1/channels/phone/callbacks", tag = "channels", params(CallbackQuery),
    responses((status = 200, body = Vec<Callback>), (status = 422, body = ErrorBody)))]
pub async fn list_callbacks(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiQuery(q): ApiQuery<CallbackQuery>,
) -> ApiResult<Json<Vec<Callback>>> {
    let filter = match q.state.as_deref().unwrap_or("open") {
        "all" => None,
        s @ ("open" | "done") => Some(s),
        _ => return Err(invalid("state", "state must be open, done or all")),
    };
    Ok(Json(state.store.list_callbacks(&g.scope, filter, 200).await?))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteInput {
    /// What came of the call-back, e.g. 已回拨，客户问题已解决.
    pub note: Option<String>,
}

/// Mark a call-back task done (noted on the ticket). Done twice is a conflict.
#[utoipa::path(post, path = "/api/v1/channels/phone/callbacks/{id}/complete", tag = "channels",
    params(("id" = i64, Path)), request_body = CompleteInput,
    responses((status = 200, body = Callback), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn complete_callback(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<CompleteInput>,
) -> ApiResult<Json<Callback>> {
    let note = input.note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
    if note.as_ref().is_some_and(|n| n.chars().count() > 1000) {
        return Err(invalid("note", "the note must be at most 1000 characters"));
    }
    let cb = state.store.complete_callback(&g.scope, &g.ctx, id, note.clone()).await?;
    if let Some(t) = cb.ticket_id {
        let mut body = format!("回拨任务 #{} 已完成", cb.id);
        if let Some(n) = &note {
            body.push_str(&format!("：{n}"));
        }
        let actor = tickets::actor_of(&g.principal);
        let cmd = TicketCommand::InternalNote { body };
        let scope = Scope::channel(cb.merchant_id, Action::TicketWork);
        if let Err(e) = tickets::command(&state, &scope, &g.ctx, &actor, t, None, cmd).await {
            tracing::warn!(ticket = t, error = %e.message, "could not note the finished call-back on the ticket");
        }
    }
    Ok(Json(cb))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// Calls that started ringing at or after this instant (default: 7 days before `to`).
    pub from: Option<String>,
    /// … and before this one (default: now).
    pub to: Option<String>,
    /// Platform staff: one merchant's calls (default: everyone's).
    pub merchant_id: Option<i64>,
}

/// The phone report over inbound calls.
#[derive(Debug, Serialize, ToSchema)]
pub struct PhoneReport {
    pub from: Millis,
    pub to: Millis,
    pub merchant_id: Option<i64>,
    /// Inbound calls that rang in the period.
    pub calls: i64,
    pub answered: i64,
    /// Rang at least the target without an answer (未接).
    pub missed: i64,
    /// The caller hung up before the target (放弃).
    pub abandoned: i64,
    /// Outbound calls (not in the figures above).
    pub outbound: i64,
    /// Average seconds from ringing to answer, over answered calls.
    pub avg_answer_secs: Option<f64>,
    /// 90th percentile (nearest rank) of the seconds from ringing to answer.
    pub p90_answer_secs: Option<f64>,
    /// The target in rings (the merchant's setting; platform-wide: each call by its merchant's).
    pub rings_target: i64,
    pub ring_secs: i64,
    /// Calls answered within the target.
    pub answered_within_target: i64,
    /// answered_within_target / calls (接通率 within N rings), 0..1.
    pub answered_within_target_rate: Option<f64>,
}

fn instant(field: &str, v: Option<&str>) -> ApiResult<Option<Millis>> {
    match v {
        None | Some("") => Ok(None),
        Some(s) => Millis::parse_rfc3339(s)
            .map(Some)
            .ok_or_else(|| invalid(field, format!("'{s}' is not an RFC 3339 timestamp"))),
    }
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// The phone report: calls, answered, missed, abandoned, ring-to-answer average and p90, and the share
/// answered within N rings.
#[utoipa::path(get, path = "/api/v1/reports/phone", tag = "channels", params(ReportQuery),
    responses((status = 200, body = PhoneReport), (status = 422, body = ErrorBody)))]
pub async fn report(
    State(state): State<AppState>,
    g: Gate<perm::SlaRead>,
    ApiQuery(q): ApiQuery<ReportQuery>,
) -> ApiResult<Json<PhoneReport>> {
    let to = instant("to", q.to.as_deref())?.unwrap_or_else(crate::auth::now);
    let from = instant("from", q.from.as_deref())?.unwrap_or(Millis(to.0 - 7 * 24 * 3600 * 1000));
    if from >= to {
        return Err(invalid("from", "from must be before to"));
    }
    if to.0 - from.0 > 366 * 24 * 3600 * 1000 {
        return Err(invalid("from", "a report covers at most 366 days"));
    }
    let merchant = match g.scope.merchant_filter() {
        Some(m) => {
            g.scope.owner_for_new(q.merchant_id)?;
            Some(m)
        }
        None => q.merchant_id,
    };
    let facts = state.store.call_facts(&g.scope, merchant, from, to).await?;
    let settings_scope = Scope::channel(merchant, Action::ChannelManage);
    let shown = state.store.get_phone_settings(&settings_scope, merchant).await?;
    let mut targets: HashMap<Option<i64>, i64> = HashMap::new();
    let mut r = PhoneReport {
        from,
        to,
        merchant_id: merchant,
        calls: 0,
        answered: 0,
        missed: 0,
        abandoned: 0,
        outbound: 0,
        avg_answer_secs: None,
        p90_answer_secs: None,
        rings_target: shown.rings_target,
        ring_secs: shown.ring_secs,
        answered_within_target: 0,
        answered_within_target_rate: None,
    };
    let mut waits: Vec<i64> = Vec::new();
    for f in &facts {
        if f.direction != "inbound" {
            r.outbound += 1;
            continue;
        }
        r.calls += 1;
        match f.outcome.as_str() {
            "answered" => r.answered += 1,
            "abandoned" => r.abandoned += 1,
            _ => r.missed += 1,
        }
        if let Some(a) = f.answered_at {
            let wait = a.0 - f.ring_at.0;
            waits.push(wait);
            let target = match targets.get(&f.merchant_id) {
                Some(t) => *t,
                None => {
                    let s = state
                        .store
                        .get_phone_settings(
                            &Scope::channel(f.merchant_id, Action::ChannelManage),
                            f.merchant_id,
                        )
                        .await?;
                    let t = s.rings_target * s.ring_secs * 1000;
                    targets.insert(f.merchant_id, t);
                    t
                }
            };
            if wait <= target {
                r.answered_within_target += 1;
            }
        }
    }
    if !waits.is_empty() {
        waits.sort_unstable();
        let n = waits.len();
        r.avg_answer_secs = Some(round2(waits.iter().sum::<i64>() as f64 / n as f64 / 1000.0));
        let rank = (n * 9).div_ceil(10).max(1);
        r.p90_answer_secs = Some(round2(waits[rank - 1] as f64 / 1000.0));
    }
    if r.calls > 0 {
        r.answered_within_target_rate =
            Some(round2(r.answered_within_target as f64 / r.calls as f64 * 100.0) / 100.0);
    }
    Ok(Json(r))
}
