//! Satisfaction surveys (满意度评价) and follow-up visits (回访).
//!
//! The survey page answers the signed rating links (`krt_…`): `/chat/rate?token=` (the chat's `closed`
//! frame) and `/survey?token=` (links an agent makes, email invitations). It is rendered on the server,
//! phone-sized, Chinese by default (`lang=en` for English), escaped; a form post answers HTML, a JSON post
//! (the chat page's inline card) answers JSON. A forged or moved token is 404, an expired one 410, a
//! resolution rated already says so. Staff endpoints: the survey link of a resolved ticket, the follow-up
//! visits (list, schedule, complete) and the satisfaction report.

use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, ErrorBody};
use crate::gate::{perm, Gate};
use crate::page::{esc, Lang};
use crate::satisfaction as sat;
use crate::signed_link::{Purpose, TokenError, RATING_LINK_DAYS};
use crate::state::AppState;
use crate::tickets as svc;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use kefu_core::authz::{Action, Scope};
use kefu_core::org::Role;
use kefu_core::satisfaction::{self as rules, OutcomeInput, RatingInput, VisitReason, VisitStatus};
use kefu_core::ticket::TicketStatus;
use kefu_core::time::Millis;
use kefu_core::ErrorCode;
use kefu_store::{FollowUpVisit, NewVisit, SatisfactionFigures, VisitFilter};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

const MAX_SCRIPT_CHARS: usize = 2000;

// ---------------------------------------------------------------------------------------------------
// The customer's survey page.

const STYLE: &str =
    "body{font-family:-apple-system,'PingFang SC','Noto Sans CJK SC','Microsoft YaHei',sans-serif;\
margin:0;background:#f5f7fa;color:#1f2329}main{max-width:40em;margin:0 auto;padding:1em}\
h1{font-size:1.25em;margin:.4em 0}.card{background:#fff;border-radius:8px;padding:1em;margin:.8em 0;\
box-shadow:0 1px 3px rgba(0,0,0,.06)}.muted{color:#8a8f99;font-size:.85em}\
.scores{display:flex;flex-direction:column;gap:.4em;border:0;padding:0;margin:.6em 0}\
.scores label{display:flex;align-items:center;gap:.6em;padding:.6em .8em;border:1px solid #dcdfe6;border-radius:8px}\
.scores label:has(input:checked){border-color:#1664ff;background:#e8f3ff}.stars{color:#f7ba2a;letter-spacing:.1em}\
.reasons{display:flex;flex-wrap:wrap;gap:.4em;margin:.4em 0}.reasons label{padding:.3em .7em;border:1px solid #dcdfe6;\
border-radius:1em;font-size:.9em}.reasons label:has(input:checked){border-color:#1664ff;color:#1664ff}\
textarea{width:100%;box-sizing:border-box;min-height:5em;font:inherit;padding:.5em;border:1px solid #dcdfe6;\
border-radius:6px}button{margin-top:.8em;width:100%;background:#1664ff;color:#fff;border:0;border-radius:6px;\
padding:.7em 1.4em;font:inherit}.error{color:#d03050}.ok{color:#18a058}";

fn page(l: Lang, title: &str, inner: &str) -> String {
    let lang = l.pick("zh-CN", "en");
    format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><meta name=\"robots\" content=\"noindex\">\
<title>{title}</title><style>{STYLE}</style></head><body><main>{inner}</main></body></html>",
        title = esc(title)
    )
}

fn title(l: Lang) -> &'static str {
    l.pick("满意度评价", "Rate our service")
}

fn html(code: StatusCode, l: Lang, inner: &str) -> Response {
    (code, [(header::CACHE_CONTROL, "no-store")], Html(page(l, title(l), inner))).into_response()
}

fn message_page(code: StatusCode, l: Lang, test: &str, class: &str, text: &str) -> Response {
    let inner = format!(
        "<h1>{}</h1><div class=\"card\"><p class=\"{class}\" data-test=\"{test}\">{}</p></div>",
        esc(title(l)),
        esc(text)
    );
    html(code, l, &inner)
}

fn refusal_text(l: Lang, why: &TokenError) -> &'static str {
    match why {
        TokenError::Expired => l.pick(
            "该评价链接已过期（有效期 7 天），感谢您的关注。",
            "This rating link has expired (links work for 7 days). Thank you all the same.",
        ),
        _ => l.pick(
            "该评价链接无效，请检查链接是否完整。",
            "This rating link is not valid; check that it is complete.",
        ),
    }
}

fn refusal(l: Lang, why: &TokenError) -> Response {
    let code = if *why == TokenError::Expired { StatusCode::GONE } else { StatusCode::NOT_FOUND };
    message_page(code, l, "survey-error", "error", refusal_text(l, why))
}

fn score_label(l: Lang, score: u8) -> &'static str {
    match l {
        Lang::Zh => rules::label(score),
        Lang::En => rules::label_en(score),
    }
    .unwrap_or_default()
}

fn thanks_text(l: Lang, dissatisfied: bool) -> &'static str {
    if dissatisfied {
        l.pick(
            "感谢您的评价。很抱歉没有让您满意，客服主管会尽快重新处理并与您联系。",
            "Thank you for your rating. We are sorry we fell short: a supervisor will handle it again and contact you.",
        )
    } else {
        l.pick("感谢您的评价，祝您生活愉快！", "Thank you for your rating!")
    }
}

fn rated_page(l: Lang, r: &kefu_store::Rating) -> Response {
    let score = u8::try_from(r.score).unwrap_or(0);
    let inner = format!(
        "<h1>{title}</h1><div class=\"card\" data-test=\"survey-already\"><p>{text}</p>\
<p><span class=\"stars\">{stars}</span> {label}</p></div>",
        title = esc(title(l)),
        text =
            l.pick("您已经评价过本次服务，感谢您的反馈。", "You have already rated this service. Thank you."),
        stars = "★".repeat(score as usize),
        label = esc(score_label(l, score)),
    );
    html(StatusCode::OK, l, &inner)
}

/// The form; `error` (field, message) shows above it with 422.
async fn form_page(
    state: &AppState,
    path: &str,
    token: &str,
    ticket: i64,
    l: Lang,
    channel: &str,
    error: Option<&ApiError>,
) -> ApiResult<Response> {
    let rec = svc::load(state, &Scope::operator(Action::TicketRead), ticket).await?;
    let t = &rec.ticket;
    if let Some(r) = state.store.current_rating(&Scope::operator(Action::TicketRead), ticket).await? {
        return Ok(rated_page(l, &r));
    }
    if !matches!(t.status, TicketStatus::Resolved | TicketStatus::Closed) || t.merged_into.is_some() {
        return Ok(message_page(
            StatusCode::OK,
            l,
            "survey-not-ready",
            "muted",
            l.pick(
                "您的问题正在处理中，处理完成后即可评价。",
                "Your request is still being handled; you can rate it once it is resolved.",
            ),
        ));
    }
    let mut scores = String::new();
    for s in (1..=5u8).rev() {
        scores.push_str(&format!(
            "<label data-test=\"survey-score-{s}\"><input type=\"radio\" name=\"score\" value=\"{s}\" required>\
<span class=\"stars\">{stars}</span><span>{label}</span></label>",
            stars = "★".repeat(s as usize),
            label = esc(score_label(l, s)),
        ));
    }
    let group = |score: u8, key: &str, heading: &str| {
        let mut out = format!(
            "<div data-group=\"{key}\"><div class=\"muted\">{}</div><div class=\"reasons\">",
            esc(heading)
        );
        for r in rules::reasons_for(score) {
            out.push_str(&format!(
                "<label><input type=\"checkbox\" name=\"reasons\" value=\"{code}\" data-test=\"survey-reason-{code}\"> {text}</label>",
                code = r.code,
                text = esc(if l == Lang::En { r.en } else { r.zh }),
            ));
        }
        out.push_str("</div></div>");
        out
    };
    let error_html = error
        .map(|e| {
            format!(
                "<p class=\"error\" data-test=\"survey-form-error\" data-field=\"{}\">{}</p>",
                esc(e.field.as_deref().unwrap_or("")),
                esc(&e.message)
            )
        })
        .unwrap_or_default();
    let inner = format!(
        "<h1>{title}</h1><div class=\"card\"><div class=\"muted\">{num_label} <span data-test=\"survey-number\">{number}</span></div>\
<div style=\"margin:.3em 0\">{subject}</div><div class=\"muted\">{ask}</div></div>\
<form class=\"card\" method=\"post\" action=\"{path}\" id=\"survey\">{error_html}\
<input type=\"hidden\" name=\"token\" value=\"{token}\"><input type=\"hidden\" name=\"lang\" value=\"{lang}\">\
<input type=\"hidden\" name=\"channel\" value=\"{channel}\">\
<fieldset class=\"scores\">{scores}</fieldset>{good}{bad}\
<label for=\"comment\" class=\"muted\">{comment_label}</label>\
<textarea id=\"comment\" name=\"comment\" maxlength=\"{max}\" data-test=\"survey-comment\"></textarea>\
<button type=\"submit\" data-test=\"survey-submit\">{send}</button></form>\
<script>(function(){{var f=document.getElementById('survey');function sync(){{var c=f.querySelector('input[name=score]:checked');\
var s=c?+c.value:0;f.querySelectorAll('[data-group]').forEach(function(g){{var on=g.dataset.group==='good'?s>=4:(s>0&&s<=3);\
g.style.display=on?'':'none';if(!on)g.querySelectorAll('input').forEach(function(i){{i.checked=false}})}})}}\
f.addEventListener('change',sync);sync()}})()</script>",
        title = esc(title(l)),
        num_label = l.pick("工单号", "Ticket"),
        number = esc(&t.number),
        subject = esc(&t.subject),
        ask = l.pick("您的问题已处理完毕，请对本次服务进行评价。", "Your request has been resolved. How did we do?"),
        path = esc(path),
        token = esc(token),
        lang = l.code(),
        channel = esc(channel),
        good = group(5, "good", l.pick("满意的地方（可多选）", "What went well (any)")),
        bad = group(1, "bad", l.pick("不满意的地方（可多选）", "What went wrong (any)")),
        comment_label = l.pick("其他意见（选填）", "Anything else (optional)"),
        max = rules::MAX_COMMENT_CHARS,
        send = l.pick("提交评价", "Submit"),
    );
    let code = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(html(code, l, &inner))
}

#[derive(Deserialize)]
pub struct SurveyQuery {
    pub token: Option<String>,
    pub lang: Option<String>,
    pub channel: Option<String>,
}

fn channel_name(c: Option<&str>, default: &str) -> String {
    match c {
        Some(c @ ("chat" | "email" | "link" | "sms" | "app")) => c.to_string(),
        _ => default.to_string(),
    }
}

async fn show(state: AppState, q: SurveyQuery, path: &str, default_channel: &str) -> Response {
    let l = Lang::of(q.lang.as_deref());
    let token = q.token.unwrap_or_default();
    let channel = channel_name(q.channel.as_deref(), default_channel);
    let result = async {
        match crate::signed_link::verify(&state, Purpose::Rating, &token, crate::auth::now()).await? {
            Err(why) => Ok(refusal(l, &why)),
            Ok(ticket) => form_page(&state, path, &token, ticket, l, &channel, None).await,
        }
    }
    .await;
    result.unwrap_or_else(|e: ApiError| match e.code {
        ErrorCode::NotFound => refusal(l, &TokenError::Malformed),
        _ => e.into_response(),
    })
}

/// `GET /chat/rate?token=krt_…[&lang=en]`: the survey of a chat.
pub async fn chat_rate_page(State(state): State<AppState>, Query(q): Query<SurveyQuery>) -> Response {
    show(state, q, "/chat/rate", "chat").await
}

/// `GET /survey?token=krt_…[&lang=en][&channel=email]`: the survey from any other channel.
pub async fn survey_page(State(state): State<AppState>, Query(q): Query<SurveyQuery>) -> Response {
    show(state, q, "/survey", "link").await
}

/// A rating as the chat card posts it (`Content-Type: application/json`).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingBody {
    pub token: String,
    /// 1 (非常不满意) ..= 5 (非常满意).
    pub score: i64,
    #[serde(default)]
    pub reasons: Vec<String>,
    #[serde(default)]
    pub comment: String,
    #[serde(default)]
    pub channel: Option<String>,
}

/// What the JSON post answers.
#[derive(Serialize, ToSchema)]
pub struct RatingReceipt {
    pub rating_id: i64,
    pub score: i64,
    pub label: String,
    /// A dissatisfied rating: the ticket is handled again and a follow-up visit is scheduled.
    pub follow_up: bool,
}

fn json_error(code: StatusCode, err: &str, field: Option<&str>, message: &str) -> Response {
    let mut detail = json!({"code": err, "message": message});
    if let Some(f) = field {
        detail["field"] = json!(f);
    }
    (code, [(header::CACHE_CONTROL, "no-store")], Json(json!({"error": detail}))).into_response()
}

/// The fields of a urlencoded form body, repeated keys kept (the reasons), through axum's own decoder.
async fn form_pairs(body: Bytes) -> Vec<(String, String)> {
    use axum::extract::FromRequest;
    let req = axum::http::Request::builder()
        .method("POST")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(body));
    match req {
        Ok(req) => {
            axum::Form::<Vec<(String, String)>>::from_request(req, &()).await.map(|f| f.0).unwrap_or_default()
        }
        Err(_) => Vec::new(),
    }
}

async fn submit(
    state: AppState,
    headers: HeaderMap,
    body: Bytes,
    path: &str,
    default_channel: &str,
) -> Response {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let ip = headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .filter(|_| state.config.trust_proxy)
        .and_then(|v| v.split(',').next())
        .map(|v| v.trim().to_string());
    if is_json {
        let b: RatingBody = match serde_json::from_slice(&body) {
            Ok(b) => b,
            Err(e) => {
                return ApiError::new(ErrorCode::BadRequest, format!("malformed rating: {e}")).into_response()
            }
        };
        let now = crate::auth::now();
        let ticket = match crate::signed_link::verify(&state, Purpose::Rating, &b.token, now).await {
            Err(e) => return e.into_response(),
            Ok(Err(TokenError::Expired)) => {
                return json_error(StatusCode::GONE, "expired", Some("token"), "the rating link has expired")
            }
            Ok(Err(_)) => {
                return json_error(StatusCode::NOT_FOUND, "not_found", Some("token"), "rating link not found")
            }
            Ok(Ok(t)) => t,
        };
        let input = RatingInput { score: b.score, reasons: b.reasons, comment: b.comment };
        let channel = channel_name(b.channel.as_deref(), default_channel);
        return match sat::rate(&state, ticket, &input, &channel, ip).await {
            Ok(o) => Json(RatingReceipt {
                rating_id: o.rating.id,
                score: o.rating.score,
                label: o.rating.label,
                follow_up: o.visit.is_some(),
            })
            .into_response(),
            Err(e) => e.into_response(),
        };
    }
    // A form post.
    let pairs = form_pairs(body).await;
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let l = Lang::of(get("lang").as_deref());
    let token = get("token").unwrap_or_default();
    let channel = channel_name(get("channel").as_deref(), default_channel);
    let result = async {
        let ticket =
            match crate::signed_link::verify(&state, Purpose::Rating, &token, crate::auth::now()).await? {
                Err(why) => return Ok(refusal(l, &why)),
                Ok(t) => t,
            };
        let score = match get("score").map(|s| s.trim().parse::<i64>()) {
            Some(Ok(s)) => s,
            _ => 0,
        };
        let input = RatingInput {
            score,
            reasons: pairs.iter().filter(|(n, _)| n == "reasons").map(|(_, v)| v.clone()).collect(),
            comment: get("comment").unwrap_or_default(),
        };
        match sat::rate(&state, ticket, &input, &channel, ip).await {
            Ok(o) => {
                let score = u8::try_from(o.rating.score).unwrap_or(0);
                let inner = format!(
                    "<h1>{title}</h1><div class=\"card\" data-test=\"survey-thanks\" data-score=\"{score}\">\
<p class=\"ok\">{thanks}</p><p><span class=\"stars\">{stars}</span> {label}</p></div>",
                    title = esc(title(l)),
                    thanks = esc(thanks_text(l, o.visit.is_some())),
                    stars = "★".repeat(score as usize),
                    label = esc(score_label(l, score)),
                );
                Ok(html(StatusCode::OK, l, &inner))
            }
            Err(e) if e.code == ErrorCode::Validation => {
                form_page(&state, path, &token, ticket, l, &channel, Some(&e)).await
            }
            Err(e) if e.code == ErrorCode::Conflict => {
                form_page(&state, path, &token, ticket, l, &channel, None).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    result.unwrap_or_else(|e: ApiError| match e.code {
        ErrorCode::NotFound => refusal(l, &TokenError::Malformed),
        _ => e.into_response(),
    })
}

/// `POST /chat/rate`: a rating from the chat (form → HTML page, JSON → JSON).
pub async fn chat_rate_submit(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    submit(state, headers, body, "/chat/rate", "chat").await
}

/// `POST /survey`: a rating from any other channel (form → HTML page, JSON → JSON).
pub async fn survey_submit(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    submit(state, headers, body, "/survey", "link").await
}

// ---------------------------------------------------------------------------------------------------
// Staff endpoints.

/// A survey link for the ticket's customer.
#[derive(Serialize, ToSchema)]
pub struct SurveyLink {
    /// Absolute when `public_url` is configured, else a path on this server.
    pub url: String,
    pub expires_at: Millis,
}

/// Make a survey link (满意度评价链接) for a resolved ticket, valid 7 days.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/survey-link", tag = "satisfaction", params(("id" = i64, Path)),
    responses((status = 200, body = SurveyLink), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_link(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<SurveyLink>> {
    let rec = svc::load(&state, &g.scope, id).await?;
    if !matches!(rec.ticket.status, TicketStatus::Resolved | TicketStatus::Closed) {
        return Err(ApiError::field(
            ErrorCode::Conflict,
            "status",
            "only a resolved or closed ticket can be rated; resolve it first",
        ));
    }
    let expires_at = g.ctx.now.plus_ms(RATING_LINK_DAYS * Millis::DAY);
    let token = crate::signed_link::sign(&state, Purpose::Rating, id, expires_at.0 / 1000).await?;
    let base = state.config.public_url.trim_end_matches('/');
    Ok(Json(SurveyLink { url: format!("{base}/survey?token={token}"), expires_at }))
}

fn supervises(role: Role) -> bool {
    matches!(
        role,
        Role::Supervisor | Role::Manager | Role::Director | Role::MerchantAdmin | Role::PlatformAdmin
    )
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct VisitParams {
    /// `pending` or `completed`.
    pub status: Option<String>,
    /// Only mine: assigned to me, and for supervisors also the supervisors' queue.
    pub mine: Option<bool>,
    pub ticket_id: Option<i64>,
    /// At most this many (1–500, default 200).
    pub limit: Option<i64>,
}

/// Follow-up visits (回访任务), pending ones by due time.
#[utoipa::path(get, path = "/api/v1/follow-ups", tag = "satisfaction", params(VisitParams),
    responses((status = 200, body = Vec<FollowUpVisit>), (status = 422, body = ErrorBody)))]
pub async fn list_follow_ups(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiQuery(q): ApiQuery<VisitParams>,
) -> ApiResult<Json<Vec<FollowUpVisit>>> {
    let status = match q.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(VisitStatus::parse(s).ok_or_else(|| {
            ApiError::field(
                ErrorCode::Validation,
                "status",
                format!("unknown status '{s}'; use pending or completed"),
            )
        })?),
    };
    let limit = q.limit.unwrap_or(200);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::field(ErrorCode::Validation, "limit", "limit must be between 1 and 500"));
    }
    let mine = q.mine.unwrap_or(false);
    let f = VisitFilter {
        status,
        ticket_id: q.ticket_id,
        assignee_id: mine.then_some(g.principal.user_id),
        with_queue: mine && supervises(g.principal.role),
    };
    Ok(Json(state.store.list_follow_ups(&g.scope, &f, limit).await?))
}

/// One follow-up visit.
#[utoipa::path(get, path = "/api/v1/follow-ups/{id}", tag = "satisfaction", params(("id" = i64, Path)),
    responses((status = 200, body = FollowUpVisit), (status = 404, body = ErrorBody)))]
pub async fn get_follow_up(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<FollowUpVisit>> {
    let v = state
        .store
        .get_follow_up(&g.scope, id)
        .await?
        .ok_or_else(|| ApiError::not_found("follow-up visit"))?;
    Ok(Json(v))
}

/// A follow-up visit to schedule by hand.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleVisit {
    pub ticket_id: i64,
    /// `complaint`, `after_sales`, `low_rating`, `other`.
    pub reason: String,
    /// Default: the close of service on the next working day.
    pub due_at: Option<Millis>,
    /// Default: the supervisors' queue.
    pub assignee_id: Option<i64>,
    /// Default: the reason's call script (回访话术).
    pub script: Option<String>,
}

/// Schedule a follow-up visit for a ticket.
#[utoipa::path(post, path = "/api/v1/follow-ups", tag = "satisfaction", request_body = ScheduleVisit,
    responses((status = 200, body = FollowUpVisit), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn schedule_follow_up(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiJson(b): ApiJson<ScheduleVisit>,
) -> ApiResult<Json<FollowUpVisit>> {
    let reason = VisitReason::parse(b.reason.trim()).ok_or_else(|| {
        ApiError::field(
            ErrorCode::Validation,
            "reason",
            format!("unknown reason '{}'; use complaint, after_sales, low_rating or other", b.reason),
        )
    })?;
    let script = match b.script.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => reason.default_script().to_string(),
        Some(s) if s.chars().count() > MAX_SCRIPT_CHARS => {
            return Err(ApiError::field(
                ErrorCode::Validation,
                "script",
                format!("the script may have at most {MAX_SCRIPT_CHARS} characters"),
            ))
        }
        Some(s) => s.to_string(),
    };
    let due_at = match b.due_at {
        Some(d) if d <= g.ctx.now => {
            return Err(ApiError::field(
                ErrorCode::Validation,
                "due_at",
                "the visit must be due in the future",
            ))
        }
        Some(d) => d,
        None => sat::default_due(g.ctx.now),
    };
    let new = NewVisit {
        ticket_id: b.ticket_id,
        reason,
        source: String::new(),
        due_at,
        assignee_id: b.assignee_id,
        script,
        actor: svc::actor_of(&g.principal),
    };
    let v = state.store.schedule_follow_up(&g.scope, &g.ctx, new).await?;
    Ok(Json(v))
}

/// A visit's outcome.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteVisit {
    /// `satisfied`, `still_dissatisfied`, `unreachable`, `declined`.
    pub outcome: String,
    /// The customer's renewed satisfaction, 1..=5, when reached.
    pub renewed_score: Option<i64>,
    #[serde(default)]
    pub note: String,
}

/// Record a follow-up visit's outcome; the ticket's timeline gets it.
#[utoipa::path(post, path = "/api/v1/follow-ups/{id}/complete", tag = "satisfaction", params(("id" = i64, Path)),
    request_body = CompleteVisit,
    responses((status = 200, body = FollowUpVisit), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn complete_follow_up(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<CompleteVisit>,
) -> ApiResult<Json<FollowUpVisit>> {
    let v = state
        .store
        .get_follow_up(&g.scope, id)
        .await?
        .ok_or_else(|| ApiError::not_found("follow-up visit"))?;
    let mine = v.assignee_id == Some(g.principal.user_id);
    if !mine && !supervises(g.principal.role) {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "this follow-up visit is for its assignee or the supervisors' queue",
        ));
    }
    let outcome = rules::validate_outcome(&OutcomeInput {
        outcome: b.outcome,
        renewed_score: b.renewed_score,
        note: b.note,
    })?;
    let actor = svc::actor_of(&g.principal);
    let v = state.store.complete_follow_up(&g.scope, &g.ctx, id, actor, outcome).await?;
    if let Some(t) = v.ticket_id {
        if let Ok(rec) = svc::load(&state, &g.scope, t).await {
            let _ = state.ticket_events.send(crate::tickets::TicketNotice {
                ticket_id: t,
                merchant_id: rec.ticket.merchant_id,
                version: rec.ticket.version,
                events: vec!["follow_up_recorded".into()],
            });
        }
    }
    Ok(Json(v))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportParams {
    /// Start (RFC 3339), inclusive; default 30 days before `to`.
    pub from: Option<String>,
    /// End (RFC 3339), exclusive; default now. At most 366 days after `from`.
    pub to: Option<String>,
}

/// The satisfaction report of a period.
#[derive(Serialize, ToSchema)]
pub struct SatisfactionReport {
    pub from: Millis,
    pub to: Millis,
    #[serde(flatten)]
    pub figures: SatisfactionFigures,
    /// Satisfied (4–5) among all ratings, 0..=1.
    pub satisfied_share: f64,
    /// Dissatisfied (≤ 2) among all ratings, 0..=1.
    pub dissatisfied_share: f64,
}

fn instant(field: &str, v: Option<&str>) -> ApiResult<Option<Millis>> {
    v.map(|s| {
        Millis::parse_rfc3339(s).ok_or_else(|| {
            ApiError::field(
                ErrorCode::Validation,
                field,
                format!("{field} must be an RFC 3339 time (e.g. 2026-11-01T00:00:00+08:00), not '{s}'"),
            )
        })
    })
    .transpose()
}

fn share(part: i64, all: i64) -> f64 {
    if all == 0 {
        0.0
    } else {
        ((part as f64 / all as f64) * 10_000.0).round() / 10_000.0
    }
}

/// Satisfaction (满意度) of a period: count, average score, share satisfied and dissatisfied, per agent
/// (the agent of the last human turn).
#[utoipa::path(get, path = "/api/v1/reports/satisfaction", tag = "satisfaction", params(ReportParams),
    responses((status = 200, body = SatisfactionReport), (status = 422, body = ErrorBody)))]
pub async fn report(
    State(state): State<AppState>,
    g: Gate<perm::SlaRead>,
    ApiQuery(q): ApiQuery<ReportParams>,
) -> ApiResult<Json<SatisfactionReport>> {
    let to = instant("to", q.to.as_deref())?.unwrap_or(g.ctx.now);
    let from = instant("from", q.from.as_deref())?.unwrap_or(to.plus_ms(-30 * Millis::DAY));
    if to <= from {
        return Err(ApiError::field(ErrorCode::Validation, "to", "to must be after from"));
    }
    if to.0 - from.0 > 366 * Millis::DAY {
        return Err(ApiError::field(ErrorCode::Validation, "from", "a report covers at most 366 days"));
    }
    let figures = state.store.satisfaction_report(&g.scope, from, to).await?;
    Ok(Json(SatisfactionReport {
        from,
        to,
        satisfied_share: share(figures.satisfied, figures.count),
        dissatisfied_share: share(figures.dissatisfied, figures.count),
        figures,
    }))
}
