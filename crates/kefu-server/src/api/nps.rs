//! Net Promoter Score surveys on a schedule (净推荐值调查, SVC-8).
//!
//! A merchant sets how often (`PUT /api/v1/nps/schedule`). The scheduler (`round`, every ten minutes on
//! each node; a round is claimed in the database, so it runs once) invites each customer whose ticket was
//! resolved since the last round, once per round. Customers of email tickets get the invitation by mail
//! (needs `public_url`); the signed link (`knp_…`, 14 days) opens `/nps?token=`, a phone-sized page with
//! 0–10 and a comment, answered once. `GET /api/v1/reports/nps` counts promoters, passives, detractors
//! and the score. Invitations of other channels are counted as invited; kefu has no way to reach those
//! customers outside a conversation.

use crate::error::{ApiError, ApiJson, ApiQuery, ApiResult, ErrorBody};
use crate::gate::{perm, Gate};
use crate::page::{esc, Lang};
use crate::signed_link::{Purpose, TokenError};
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use kefu_core::nps::{NpsSchedule, LINK_DAYS};
use kefu_core::time::Millis;
use kefu_core::ErrorCode;
use kefu_store::{AuditCtx, NpsFigures, NpsInvitation, StoredNpsSchedule};
use serde::Deserialize;
use std::time::Duration;
use utoipa::{IntoParams, ToSchema};

/// The system actor of the scheduler.
pub const NPS_ACTOR: &str = "nps_scheduler";

/// Run the rounds that are due at `now`; returns the invitations made. Tests call it directly.
pub async fn round(state: &AppState, now: Millis) -> anyhow::Result<Vec<NpsInvitation>> {
    let ctx = AuditCtx {
        actor_id: None,
        actor_name: format!("system:{NPS_ACTOR}"),
        ip: None,
        request_id: None,
        now,
    };
    let mut made = Vec::new();
    for s in state.store.active_nps_schedules().await? {
        if !s.schedule.is_due(s.last_run_at, now) {
            continue;
        }
        let since = s.schedule.window_start(s.last_run_at, now);
        let Some(invited) = state.store.run_nps_round(&ctx, s.merchant_id, s.last_run_at, since, now).await?
        else {
            continue;
        };
        for inv in &invited {
            if let Err(e) = send_by_email(state, inv, now).await {
                tracing::warn!(invitation = inv.id, error = %e, "could not queue an NPS invitation mail");
            }
        }
        tracing::info!(merchant = s.merchant_id, invited = invited.len(), "NPS round");
        made.extend(invited);
    }
    Ok(made)
}

/// The scheduler loop of `serve`.
pub async fn run_scheduler(state: AppState) {
    loop {
        if let Err(e) = round(&state, crate::auth::now()).await {
            tracing::warn!(error = %e, "NPS round failed");
        }
        tokio::time::sleep(Duration::from_secs(600)).await;
    }
}

/// The survey link of an invitation, a path on this server.
pub async fn link_path(state: &AppState, inv: &NpsInvitation) -> ApiResult<String> {
    let exp = inv.round_at.plus_ms(LINK_DAYS * Millis::DAY).0 / 1000;
    Ok(format!("/nps?token={}", crate::signed_link::sign(state, Purpose::Nps, inv.id, exp).await?))
}

/// An email ticket's customer gets the invitation through the ticket's mailbox (replies thread into it).
async fn send_by_email(state: &AppState, inv: &NpsInvitation, now: Millis) -> anyhow::Result<()> {
    use crate::channels::email::outbound::{SendJob, SEND_KIND};
    let base = state.config.public_url.trim_end_matches('/');
    let Some(ticket) = inv.ticket_id else { return Ok(()) };
    if inv.channel != "email" || base.is_empty() {
        return Ok(());
    }
    let path = link_path(state, inv).await.map_err(|e| anyhow::anyhow!(e.message))?;
    let body = format!(
        "您好！感谢您一直以来的支持。\n\n您有多大可能向朋友或同事推荐我们？请用 0–10 分告诉我们（{LINK_DAYS} 天内有效）：\n\
         {base}{path}\n\n您的意见将帮助我们改进服务。"
    );
    // A negative id: the mail is an invitation, not a ticket event (it keeps kefu's Message-IDs unique).
    let job = SendJob {
        ticket_id: ticket,
        merchant_id: Some(inv.merchant_id),
        event_id: -inv.id,
        body,
        staff_id: None,
    };
    crate::jobs::enqueue(state, SEND_KIND, Some(inv.merchant_id), &job, Some(format!("nps:{}", inv.id)), now)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------------
// Settings and figures

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MerchantQuery {
    /// Platform staff name the merchant; merchant staff use their own.
    pub merchant_id: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleInput {
    pub merchant_id: Option<i64>,
    pub interval_days: i64,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

fn merchant_of(scope: &kefu_core::authz::Scope, given: Option<i64>) -> ApiResult<i64> {
    scope.owner_for_new(given)?.ok_or_else(|| {
        ApiError::field(ErrorCode::Validation, "merchant_id", "name the merchant whose surveys these are")
    })
}

/// The merchant's NPS schedule; one never set answers as paused, every 30 days, never run.
#[utoipa::path(get, path = "/api/v1/nps/schedule", tag = "satisfaction", params(MerchantQuery),
    responses((status = 200, body = StoredNpsSchedule), (status = 422, body = ErrorBody)))]
pub async fn get_schedule(
    State(state): State<AppState>,
    g: Gate<perm::SlaRead>,
    ApiQuery(q): ApiQuery<MerchantQuery>,
) -> ApiResult<Json<StoredNpsSchedule>> {
    let merchant = merchant_of(&g.scope, q.merchant_id)?;
    if state.store.get_merchant(&g.scope, merchant).await?.is_none() {
        return Err(ApiError::not_found("merchant"));
    }
    let s = state.store.get_nps_schedule(&g.scope, merchant).await?;
    Ok(Json(s.unwrap_or(StoredNpsSchedule {
        merchant_id: merchant,
        schedule: NpsSchedule { interval_days: 30, active: false },
        last_run_at: None,
        updated_at: g.ctx.now,
    })))
}

/// Set how often the merchant's customers are asked (every 7 to 365 days), or pause it.
#[utoipa::path(put, path = "/api/v1/nps/schedule", tag = "satisfaction", request_body = ScheduleInput,
    responses((status = 200, body = StoredNpsSchedule), (status = 422, body = ErrorBody)))]
pub async fn put_schedule(
    State(state): State<AppState>,
    g: Gate<perm::SlaManage>,
    ApiJson(b): ApiJson<ScheduleInput>,
) -> ApiResult<Json<StoredNpsSchedule>> {
    let merchant = merchant_of(&g.scope, b.merchant_id)?;
    let schedule = NpsSchedule { interval_days: b.interval_days, active: b.active };
    schedule.validate()?;
    Ok(Json(state.store.put_nps_schedule(&g.scope, &g.ctx, merchant, &schedule).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FiguresQuery {
    pub merchant_id: Option<i64>,
    /// Rounds from (RFC 3339; default: 90 days back).
    pub from: Option<String>,
    /// Rounds before (RFC 3339; default: now).
    pub to: Option<String>,
}

fn instant(field: &str, v: Option<&str>, default: Millis) -> ApiResult<Millis> {
    match v {
        None => Ok(default),
        Some(s) => Millis::parse_rfc3339(s).ok_or_else(|| {
            ApiError::field(ErrorCode::Validation, field, format!("{field} must be an RFC 3339 time"))
        }),
    }
}

/// Promoters, passives, detractors and the score of the rounds in a period.
#[utoipa::path(get, path = "/api/v1/reports/nps", tag = "satisfaction", params(FiguresQuery),
    responses((status = 200, body = NpsFigures), (status = 422, body = ErrorBody)))]
pub async fn figures(
    State(state): State<AppState>,
    g: Gate<perm::SlaRead>,
    ApiQuery(q): ApiQuery<FiguresQuery>,
) -> ApiResult<Json<NpsFigures>> {
    let now = g.ctx.now;
    let from = instant("from", q.from.as_deref(), Millis(now.0 - 90 * Millis::DAY))?;
    let to = instant("to", q.to.as_deref(), Millis(now.0 + 1))?;
    if from >= to {
        return Err(ApiError::field(ErrorCode::Validation, "from", "from must be before to"));
    }
    Ok(Json(state.store.nps_figures(&g.scope, q.merchant_id, from, to).await?))
}

// ---------------------------------------------------------------------------------------------------
// The customer's page

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    pub token: Option<String>,
    pub lang: Option<String>,
}

fn page(code: StatusCode, l: Lang, inner: &str) -> Response {
    let title = l.pick("推荐意愿调查", "Would you recommend us?");
    let html = format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title><style>\
body{{font:15px/1.6 -apple-system,\"PingFang SC\",\"Microsoft YaHei\",sans-serif;margin:0;background:#f5f7fa;color:#303133}}\
main{{max-width:520px;margin:0 auto;padding:20px 16px}}h1{{font-size:19px;margin:0 0 12px}}\
.card{{background:#fff;border:1px solid #e4e7ed;border-radius:10px;padding:16px;margin-bottom:12px}}\
.scale{{display:grid;grid-template-columns:repeat(11,1fr);gap:4px;margin:12px 0}}\
.scale label{{display:block;text-align:center;border:1px solid #dcdfe6;border-radius:6px;padding:8px 0;cursor:pointer}}\
.scale input{{display:none}}.scale input:checked+span{{color:#409eff;font-weight:600}}\
.ends{{display:flex;justify-content:space-between;color:#909399;font-size:12px}}\
textarea{{width:100%;box-sizing:border-box;min-height:80px;border:1px solid #dcdfe6;border-radius:6px;padding:8px;font:inherit}}\
button{{width:100%;padding:10px;border:0;border-radius:6px;background:#409eff;color:#fff;font-size:16px;margin-top:12px}}\
.error{{color:#f56c6c}}</style></head><body><main><h1>{title}</h1>{inner}</main></body></html>",
        lang = l.code(),
        title = esc(title)
    );
    (code, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response()
}

fn note(code: StatusCode, l: Lang, test: &str, text: &str) -> Response {
    page(code, l, &format!("<div class=\"card\"><p data-test=\"{test}\">{}</p></div>", esc(text)))
}

async fn invitation_of(state: &AppState, token: &str, l: Lang) -> Result<NpsInvitation, Response> {
    let bad = |why: TokenError| {
        if why == TokenError::Expired {
            note(
                StatusCode::GONE,
                l,
                "nps-error",
                l.pick("该调查链接已过期。", "This survey link has expired."),
            )
        } else {
            note(
                StatusCode::NOT_FOUND,
                l,
                "nps-error",
                l.pick("该调查链接无效。", "This survey link is not valid."),
            )
        }
    };
    let verified = match crate::signed_link::verify(state, Purpose::Nps, token, crate::auth::now()).await {
        Ok(v) => v,
        Err(e) => return Err(e.into_response()),
    };
    let id = verified.map_err(bad)?;
    match state.store.get_nps_invitation(id).await {
        Ok(Some(inv)) => Ok(inv),
        Ok(None) => Err(bad(TokenError::BadSignature)),
        Err(e) => Err(ApiError::from(e).into_response()),
    }
}

fn form(l: Lang, token: &str, error: Option<&str>) -> String {
    let mut scale = String::new();
    for s in 0..=10 {
        scale.push_str(&format!(
            "<label data-test=\"nps-score-{s}\"><input type=\"radio\" name=\"score\" value=\"{s}\" required><span>{s}</span></label>"
        ));
    }
    format!(
        "<form method=\"post\" action=\"/nps?lang={lang}\" class=\"card\">{err}<p>{q}</p><div class=\"scale\">{scale}</div>\
<div class=\"ends\"><span>{lo}</span><span>{hi}</span></div><p>{why}</p>\
<textarea name=\"comment\" maxlength=\"500\" data-test=\"nps-comment\"></textarea>\
<input type=\"hidden\" name=\"token\" value=\"{token}\"><button type=\"submit\" data-test=\"nps-submit\">{send}</button></form>",
        lang = l.code(),
        err = error.map(|e| format!("<p class=\"error\" data-test=\"nps-error\">{}</p>", esc(e))).unwrap_or_default(),
        q = l.pick(
            "您有多大可能向朋友或同事推荐我们？（0 = 完全不可能，10 = 非常可能）",
            "How likely are you to recommend us to a friend or colleague? (0 = not at all, 10 = extremely)"
        ),
        lo = l.pick("完全不可能", "Not at all likely"),
        hi = l.pick("非常可能", "Extremely likely"),
        why = l.pick("请说说原因（选填）", "Tell us why (optional)"),
        send = l.pick("提交", "Send"),
        token = esc(token),
    )
}

fn thanks(l: Lang) -> Response {
    note(StatusCode::OK, l, "nps-thanks", l.pick("感谢您的反馈！", "Thank you for your answer!"))
}

/// `GET /nps?token=knp_…[&lang=en]`: the survey.
pub async fn nps_page(State(state): State<AppState>, Query(q): Query<PageQuery>) -> Response {
    let l = Lang::of(q.lang.as_deref());
    let token = q.token.unwrap_or_default();
    let inv = match invitation_of(&state, &token, l).await {
        Ok(i) => i,
        Err(r) => return r,
    };
    if inv.answered_at.is_some() {
        return note(
            StatusCode::OK,
            l,
            "nps-already",
            l.pick("您已经回答过本次调查，谢谢！", "You have answered this survey already. Thank you!"),
        );
    }
    page(StatusCode::OK, l, &form(l, &token, None))
}

#[derive(Debug, Deserialize)]
pub struct Answer {
    pub token: String,
    pub score: Option<String>,
    #[serde(default)]
    pub comment: String,
}

/// A urlencoded form body through axum's own decoder.
async fn form_fields(body: &axum::body::Bytes) -> Result<Answer, String> {
    use axum::extract::FromRequest;
    let req = axum::http::Request::builder()
        .method(axum::http::Method::POST)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(body.clone()))
        .map_err(|e| e.to_string())?;
    axum::Form::<Answer>::from_request(req, &()).await.map(|f| f.0).map_err(|e| e.body_text())
}

/// `POST /nps`: the answer (a form post answers a page; JSON answers JSON).
pub async fn nps_answer(
    State(state): State<AppState>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let l = Lang::of(q.lang.as_deref());
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let parsed: Result<Answer, String> = if json {
        serde_json::from_slice::<serde_json::Value>(&body).map_err(|e| e.to_string()).map(|v| Answer {
            token: v["token"].as_str().unwrap_or_default().to_string(),
            score: v.get("score").map(|s| s.to_string().trim_matches('"').to_string()),
            comment: v["comment"].as_str().unwrap_or_default().to_string(),
        })
    } else {
        form_fields(&body).await
    };
    let a = match parsed {
        Ok(a) => a,
        Err(e) => {
            return ApiError::new(ErrorCode::BadRequest, format!("malformed answer: {e}")).into_response()
        }
    };
    let inv = match invitation_of(&state, &a.token, l).await {
        Ok(i) => i,
        Err(r) => return r,
    };
    let checked = a
        .score
        .as_deref()
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or_else(|| kefu_core::DomainError::validation("score", "choose a score from 0 to 10"))
        .and_then(|s| kefu_core::nps::validate_score(s).map(|_| s))
        .and_then(|s| kefu_core::nps::validate_comment(&a.comment).map(|c| (s, c)));
    let (score, comment) = match checked {
        Ok(v) => v,
        Err(e) if json => return ApiError::from(e).into_response(),
        Err(e) => return page(StatusCode::UNPROCESSABLE_ENTITY, l, &form(l, &a.token, Some(&e.message))),
    };
    let ctx = AuditCtx {
        actor_id: None,
        actor_name: "customer".into(),
        ip: None,
        request_id: None,
        now: crate::auth::now(),
    };
    match state.store.answer_nps(&ctx, inv.id, score, &comment).await {
        Ok(true) if json => {
            Json(serde_json::json!({"invitation_id": inv.id, "score": score})).into_response()
        }
        Ok(true) => thanks(l),
        Ok(false) if json => {
            ApiError::new(ErrorCode::Conflict, "this survey was answered already").into_response()
        }
        Ok(false) => note(
            StatusCode::CONFLICT,
            l,
            "nps-already",
            l.pick("您已经回答过本次调查，谢谢！", "You have answered this survey already. Thank you!"),
        ),
        Err(e) => ApiError::from(e).into_response(),
    }
}
