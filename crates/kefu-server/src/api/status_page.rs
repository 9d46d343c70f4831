//! The customer's ticket status page (工单进度查询): a signed link, `/ticket-status?token=…`, that an agent
//! hands out (or a notification carries) shows one ticket's number, state and public conversation — never
//! internal notes — and lets the customer add a message, without an account. The token names the ticket
//! and an expiry and is signed with a key kept in the settings table (created on first use, shared by every
//! node), so a link cannot be forged or moved to another ticket, and it ends on its own.

use crate::error::{ApiError, ApiPath, ApiResult, ErrorBody};
use crate::gate::{perm, Gate};
use crate::state::AppState;
use crate::tickets as svc;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Form, Json};
use kefu_core::authz::{Action, Scope};
use kefu_core::ticket::{Actor, TicketCommand, TicketStatus};
use kefu_core::time::Millis;
use kefu_core::ErrorCode;
use kefu_store::AuditCtx;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How long a link works.
pub const LINK_DAYS: i64 = 30;
const MAX_BODY_CHARS: usize = 5000;

use crate::page::{esc, Lang};
use crate::signed_link::Purpose;
pub use crate::signed_link::TokenError;

/// A token for `ticket` valid until `exp` (seconds since the epoch).
pub async fn sign(state: &AppState, ticket: i64, exp: i64) -> ApiResult<String> {
    crate::signed_link::sign(state, Purpose::TicketStatus, ticket, exp).await
}

/// The ticket a token opens, if it is genuine and not expired at `now`.
pub async fn verify(state: &AppState, token: &str, now: Millis) -> ApiResult<Result<i64, TokenError>> {
    crate::signed_link::verify(state, Purpose::TicketStatus, token, now).await
}

/// A status link to give the customer.
#[derive(Serialize, ToSchema)]
pub struct StatusLink {
    /// Absolute when `public_url` is configured, else a path on this server.
    pub url: String,
    pub expires_at: Millis,
}

/// Make a status link for the ticket's customer (valid 30 days).
#[utoipa::path(post, path = "/api/v1/tickets/{id}/status-link", tag = "tickets", params(("id" = i64, Path)),
    responses((status = 200, body = StatusLink), (status = 404, body = ErrorBody)))]
pub async fn create_link(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<StatusLink>> {
    // Loading through the scope is the tenant check: another merchant's ticket is not found.
    svc::load(&state, &g.scope, id).await?;
    let expires_at = g.ctx.now.plus_ms(LINK_DAYS * Millis::DAY);
    let token = sign(&state, id, expires_at.0 / 1000).await?;
    let base = state.config.public_url.trim_end_matches('/');
    Ok(Json(StatusLink { url: format!("{base}/ticket-status?token={token}"), expires_at }))
}

#[derive(Deserialize)]
pub struct PageQuery {
    pub token: Option<String>,
    pub lang: Option<String>,
    pub sent: Option<String>,
}

#[derive(Deserialize)]
pub struct ReplyForm {
    pub token: String,
    pub body: String,
    pub lang: Option<String>,
}

fn status_label(s: TicketStatus, l: Lang) -> &'static str {
    match s {
        TicketStatus::New => l.pick("已受理，等待处理", "Received, waiting"),
        TicketStatus::Open => l.pick("处理中", "In progress"),
        TicketStatus::PendingCustomer => l.pick("等待您的回复", "Waiting for your reply"),
        TicketStatus::OnHold => l.pick("处理中（等待其他部门）", "In progress (with another team)"),
        TicketStatus::Resolved => l.pick("已解决", "Resolved"),
        TicketStatus::Closed => l.pick("已关闭", "Closed"),
    }
}

fn time_text(t: Millis) -> String {
    jiff::Timestamp::from_millisecond(t.0)
        .ok()
        .map(|ts| ts.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap_or(jiff::tz::TimeZone::UTC)))
        .map(|z| z.strftime("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

const STYLE: &str =
    "body{font-family:-apple-system,'PingFang SC','Noto Sans CJK SC','Microsoft YaHei',sans-serif;\
margin:0;background:#f5f7fa;color:#1f2329}main{max-width:40em;margin:0 auto;padding:1em}\
h1{font-size:1.25em;margin:.4em 0}.card{background:#fff;border-radius:8px;padding:1em;margin:.8em 0;\
box-shadow:0 1px 3px rgba(0,0,0,.06)}.muted{color:#8a8f99;font-size:.85em}.state{display:inline-block;\
padding:.15em .6em;border-radius:1em;background:#e8f3ff;color:#1664ff;font-size:.9em}\
.msg{margin:.6em 0;padding:.6em .8em;border-radius:8px;white-space:pre-wrap;word-break:break-word}\
.from-customer{background:#e8f3ff;margin-left:2em}.from-staff{background:#f2f3f5;margin-right:2em}\
textarea{width:100%;box-sizing:border-box;min-height:6em;font:inherit;padding:.5em;border:1px solid #dcdfe6;\
border-radius:6px}button{margin-top:.6em;background:#1664ff;color:#fff;border:0;border-radius:6px;\
padding:.6em 1.4em;font:inherit}.error{color:#d03050}.ok{color:#18a058}";

fn page(l: Lang, title: &str, inner: &str) -> String {
    let lang = l.pick("zh-CN", "en");
    format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><meta name=\"robots\" content=\"noindex\">\
<title>{title}</title><style>{STYLE}</style></head><body><main>{inner}</main></body></html>",
        title = esc(title)
    )
}

fn refusal(l: Lang, why: &TokenError) -> Response {
    let text = match why {
        TokenError::Expired => l.pick(
            "该查询链接已过期，请联系客服重新获取。",
            "This link has expired; ask customer service for a new one.",
        ),
        _ => l.pick(
            "该查询链接无效，请检查链接是否完整。",
            "This link is not valid; check that it is complete.",
        ),
    };
    let title = l.pick("工单进度查询", "Ticket status");
    let html = page(
        l,
        title,
        &format!(
            "<h1>{}</h1><div class=\"card\"><p class=\"error\" data-test=\"status-error\">{}</p></div>",
            esc(title),
            esc(text)
        ),
    );
    let code = if *why == TokenError::Expired { StatusCode::GONE } else { StatusCode::NOT_FOUND };
    (code, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response()
}

async fn render(
    state: &AppState,
    token: &str,
    ticket: i64,
    l: Lang,
    note: Option<(bool, &str)>,
) -> ApiResult<Response> {
    let scope = Scope::operator(Action::TicketRead);
    let rec = svc::load(state, &scope, ticket).await?;
    let t = &rec.ticket;
    let messages = state.store.ticket_messages(&scope, ticket, false).await?;
    let mut convo = String::new();
    for m in messages.iter().filter(|m| m.kind != "note") {
        let (class, who) = if m.kind == "customer" {
            ("from-customer", l.pick("我", "Me"))
        } else {
            ("from-staff", l.pick("客服", "Customer service"))
        };
        convo.push_str(&format!(
            "<div class=\"msg {class}\" data-test=\"status-message\" data-from=\"{}\"><div class=\"muted\">{who} · {}</div>{}</div>",
            if m.kind == "customer" { "customer" } else { "staff" },
            time_text(m.created_at),
            esc(&m.body)
        ));
    }
    let open = !matches!(t.status, TicketStatus::Closed);
    let note_html = match note {
        Some((true, text)) => format!("<p class=\"ok\" data-test=\"status-sent\">{}</p>", esc(text)),
        Some((false, text)) => {
            format!("<p class=\"error\" data-test=\"status-form-error\">{}</p>", esc(text))
        }
        None => String::new(),
    };
    let form = if open {
        format!(
            "<div class=\"card\"><form method=\"post\" action=\"/ticket-status/reply\">{note_html}\
<input type=\"hidden\" name=\"token\" value=\"{token}\"><input type=\"hidden\" name=\"lang\" value=\"{lang}\">\
<label for=\"body\">{label}</label><textarea id=\"body\" name=\"body\" maxlength=\"{MAX_BODY_CHARS}\" required data-test=\"status-input\"></textarea>\
<button type=\"submit\" data-test=\"status-send\">{send}</button></form></div>",
            token = esc(token),
            lang = l.pick("zh", "en"),
            label = l.pick("补充说明", "Add a message"),
            send = l.pick("发送", "Send"),
        )
    } else {
        format!(
            "<div class=\"card muted\">{}</div>",
            l.pick(
                "工单已关闭。如有新的问题，请重新联系客服。",
                "This ticket is closed. For a new question, contact customer service again."
            )
        )
    };
    let title = l.pick("工单进度查询", "Ticket status");
    let inner = format!(
        "<h1>{title}</h1><div class=\"card\"><div class=\"muted\">{num_label} <span data-test=\"status-number\">{number}</span></div>\
<h2 style=\"font-size:1.1em;margin:.4em 0\" data-test=\"status-subject\">{subject}</h2>\
<span class=\"state\" data-test=\"status-state\" data-value=\"{state_key}\">{state}</span>\
<div class=\"muted\" style=\"margin-top:.5em\">{created_label} {created} · {updated_label} {updated}</div></div>\
<div class=\"card\"><div class=\"muted\">{convo_label}</div>{convo}</div>{form}",
        title = esc(title),
        num_label = l.pick("工单号", "Ticket"),
        number = esc(&t.number),
        subject = esc(&t.subject),
        state_key = t.status.as_str(),
        state = status_label(t.status, l),
        created_label = l.pick("提交于", "Opened"),
        created = time_text(t.created_at),
        updated_label = l.pick("更新于", "updated"),
        updated = time_text(t.updated_at),
        convo_label = l.pick("沟通记录", "Conversation"),
    );
    let code =
        if matches!(note, Some((false, _))) { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((code, [(header::CACHE_CONTROL, "no-store")], Html(page(l, title, &inner))).into_response())
}

/// `GET /ticket-status?token=…[&lang=en]`: the page.
pub async fn status_page(State(state): State<AppState>, Query(q): Query<PageQuery>) -> Response {
    let l = Lang::of(q.lang.as_deref());
    let token = q.token.unwrap_or_default();
    let result = async {
        match verify(&state, &token, crate::auth::now()).await? {
            Err(why) => Ok(refusal(l, &why)),
            Ok(ticket) => {
                let sent = q
                    .sent
                    .is_some()
                    .then(|| (true, l.pick("已发送，客服会尽快回复您。", "Sent. We will reply soon.")));
                render(&state, &token, ticket, l, sent).await
            }
        }
    }
    .await;
    result.unwrap_or_else(|e: ApiError| match e.code {
        ErrorCode::NotFound => refusal(l, &TokenError::Malformed),
        _ => e.into_response(),
    })
}

/// `POST /ticket-status/reply` (form): the customer's message, added to the ticket as theirs.
pub async fn status_reply(State(state): State<AppState>, Form(f): Form<ReplyForm>) -> Response {
    let l = Lang::of(f.lang.as_deref());
    let result = async {
        let ticket = match verify(&state, &f.token, crate::auth::now()).await? {
            Err(why) => return Ok(refusal(l, &why)),
            Ok(t) => t,
        };
        let body = f.body.trim();
        if body.is_empty() || body.chars().count() > MAX_BODY_CHARS {
            let text = l.pick("请填写 1 到 5000 个字的内容。", "Write between 1 and 5000 characters.");
            return render(&state, &f.token, ticket, l, Some((false, text))).await;
        }
        let rec = svc::load(&state, &Scope::operator(Action::TicketRead), ticket).await?;
        let Some(customer_id) = rec.state.customer_id else {
            let text = l.pick(
                "该工单无法在线补充，请联系客服。",
                "This ticket takes no messages here; contact customer service.",
            );
            return render(&state, &f.token, ticket, l, Some((false, text))).await;
        };
        let scope = Scope::channel(rec.ticket.merchant_id, Action::TicketWork);
        let ctx = AuditCtx::operator("status-page", crate::auth::now());
        let cmd = TicketCommand::CustomerReply { body: body.to_string() };
        match svc::command(&state, &scope, &ctx, &Actor::Customer { customer_id }, ticket, None, cmd).await {
            Ok(_) => {
                let lang = if l == Lang::En { "&lang=en" } else { "" };
                Ok(Redirect::to(&format!("/ticket-status?token={}{lang}&sent=1", f.token)).into_response())
            }
            Err(e) if e.code != ErrorCode::Internal => {
                render(&state, &f.token, ticket, l, Some((false, &e.message))).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    result.unwrap_or_else(|e: ApiError| e.into_response())
}
