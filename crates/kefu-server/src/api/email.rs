//! The email channel's configuration and records (邮件渠道): support mailboxes with their outbound relay
//! and reply signature, the inbound mail received, and the outbox of replies (deliveries).
//! Everything here needs `channel.manage`; a merchant sees only its own.

use crate::channels::email::outbound::SEND_KIND;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, ErrorBody};
use crate::gate::{perm, Gate};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use kefu_core::ErrorCode;
use kefu_store::{InboundMail, Job, JobFilter, Mailbox, MailboxSpec, PasswordChange, SMTP_SECURITY};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// The variables a signature may use.
pub const VARIABLES: [&str; 3] = ["{客服昵称}", "{工单号}", "{客户称呼}"];

/// A support mailbox as created or replaced.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MailboxInput {
    /// The support address customers write to, e.g. `service@shop.example`.
    pub address: String,
    /// The sender name of replies.
    pub from_name: String,
    /// The outbound relay.
    pub smtp_host: String,
    pub smtp_port: i64,
    /// `none`, `starttls` or `tls`.
    pub smtp_security: String,
    pub smtp_username: Option<String>,
    /// Write-only: omitted keeps the stored one, `""` removes it. Never returned.
    pub smtp_password: Option<String>,
    /// Appended to every reply; may use {客服昵称}, {工单号}, {客户称呼}.
    #[serde(default)]
    pub signature: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Platform staff may name a merchant (none: the platform's own mailbox).
    pub merchant_id: Option<i64>,
}

fn yes() -> bool {
    true
}

fn bad(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::field(ErrorCode::Validation, field, message)
}

fn valid_host(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 253
        && h.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
}

fn spec(g: &Gate<perm::ChannelManage>, input: MailboxInput) -> ApiResult<MailboxSpec> {
    let address = kefu_core::pii::normalize_email(input.address.trim())
        .map_err(|_| bad("address", format!("'{}' is not an email address", input.address.trim())))?;
    if address.len() > 254 {
        return Err(bad("address", "an address has at most 254 characters"));
    }
    let from_name = input.from_name.trim().to_string();
    if from_name.is_empty() || from_name.chars().count() > 60 || from_name.chars().any(char::is_control) {
        return Err(bad("from_name", "the sender name must be 1-60 characters"));
    }
    let host = input.smtp_host.trim().to_ascii_lowercase();
    if !valid_host(&host) {
        return Err(bad(
            "smtp_host",
            "the relay must be a host name or an IP address, e.g. smtp.exmail.qq.com",
        ));
    }
    if !(1..=65535).contains(&input.smtp_port) {
        return Err(bad("smtp_port", "the relay port must be 1-65535 (usually 25, 465 or 587)"));
    }
    if !SMTP_SECURITY.contains(&input.smtp_security.as_str()) {
        return Err(bad("smtp_security", "security must be none, starttls or tls"));
    }
    let username = input.smtp_username.map(|u| u.trim().to_string()).filter(|u| !u.is_empty());
    if username.as_ref().is_some_and(|u| u.len() > 254 || u.chars().any(char::is_control)) {
        return Err(bad("smtp_username", "the user name must be at most 254 characters"));
    }
    let password = match input.smtp_password {
        None => PasswordChange::Keep,
        Some(p) if p.is_empty() => PasswordChange::Clear,
        Some(p) if p.len() > 512 || p.contains(['\r', '\n']) => {
            return Err(bad("smtp_password", "the password must be at most 512 characters on one line"))
        }
        Some(p) => PasswordChange::Set(p),
    };
    if input.signature.chars().count() > 2000 {
        return Err(bad("signature", "the signature has at most 2000 characters"));
    }
    Ok(MailboxSpec {
        merchant_id: input.merchant_id.or(g.principal.merchant_id),
        address,
        from_name,
        smtp_host: host,
        smtp_port: input.smtp_port,
        smtp_security: input.smtp_security,
        smtp_username: username,
        smtp_password: password,
        signature: input.signature.trim_end().to_string(),
        enabled: input.enabled,
    })
}

/// The support mailboxes (客服邮箱) I may configure.
#[utoipa::path(get, path = "/api/v1/channels/email/mailboxes", tag = "channels",
    responses((status = 200, body = Vec<Mailbox>), (status = 403, body = ErrorBody)))]
pub async fn list_mailboxes(
    State(state): State<AppState>,
    g: Gate<perm::ChannelManage>,
) -> ApiResult<Json<Vec<Mailbox>>> {
    Ok(Json(state.store.list_mailboxes(&g.scope).await?))
}

/// Add a support mailbox: mail to its address becomes tickets of its merchant; replies leave through its relay.
#[utoipa::path(post, path = "/api/v1/channels/email/mailboxes", tag = "channels", request_body = MailboxInput,
    responses((status = 201, body = Mailbox), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_mailbox(
    State(state): State<AppState>,
    g: Gate<perm::ChannelManage>,
    ApiJson(input): ApiJson<MailboxInput>,
) -> ApiResult<(StatusCode, Json<Mailbox>)> {
    let spec = spec(&g, input)?;
    Ok((StatusCode::CREATED, Json(state.store.create_mailbox(&g.scope, &g.ctx, spec).await?)))
}

/// One support mailbox.
#[utoipa::path(get, path = "/api/v1/channels/email/mailboxes/{id}", tag = "channels", params(("id" = i64, Path)),
    responses((status = 200, body = Mailbox), (status = 404, body = ErrorBody)))]
pub async fn get_mailbox(
    State(state): State<AppState>,
    g: Gate<perm::ChannelManage>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Mailbox>> {
    let m = state.store.get_mailbox(&g.scope, id).await?.ok_or_else(|| ApiError::not_found("mailbox"))?;
    Ok(Json(m))
}

/// Replace a support mailbox's settings (its merchant stays); `enabled: false` stops it.
#[utoipa::path(put, path = "/api/v1/channels/email/mailboxes/{id}", tag = "channels", params(("id" = i64, Path)),
    request_body = MailboxInput,
    responses((status = 200, body = Mailbox), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_mailbox(
    State(state): State<AppState>,
    g: Gate<perm::ChannelManage>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<MailboxInput>,
) -> ApiResult<Json<Mailbox>> {
    state.store.get_mailbox(&g.scope, id).await?.ok_or_else(|| ApiError::not_found("mailbox"))?;
    let spec = spec(&g, input)?;
    Ok(Json(state.store.update_mailbox(&g.scope, &g.ctx, id, spec).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct InboundQuery {
    /// Only the mail of this ticket.
    pub ticket_id: Option<i64>,
    /// At most this many, newest first (default 50, at most 200).
    pub limit: Option<i64>,
}

/// Mail received (收件记录): landed, automatic replies and bounces (recorded, not answered), flagged.
#[utoipa::path(get, path = "/api/v1/channels/email/inbound", tag = "channels", params(InboundQuery),
    responses((status = 200, body = Vec<InboundMail>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_inbound(
    State(state): State<AppState>,
    g: Gate<perm::ChannelManage>,
    ApiQuery(q): ApiQuery<InboundQuery>,
) -> ApiResult<Json<Vec<InboundMail>>> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(bad("limit", "limit must be 1-200"));
    }
    let mut mail = state.store.list_inbound_mail(&g.scope, q.ticket_id, limit).await?;
    for m in &mut mail {
        m.body_html = m.body_html.as_deref().map(crate::sanitize::sanitize_html);
    }
    Ok(Json(mail))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeliveryQuery {
    /// `queued`, `running`, `done` or `failed`.
    pub state: Option<String>,
}

/// The outbox (发件队列): replies to customers as jobs — queued, retrying (with the last error), sent, failed.
#[utoipa::path(get, path = "/api/v1/channels/email/deliveries", tag = "channels", params(DeliveryQuery),
    responses((status = 200, body = Vec<Job>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_deliveries(
    State(state): State<AppState>,
    g: Gate<perm::ChannelManage>,
    ApiQuery(q): ApiQuery<DeliveryQuery>,
) -> ApiResult<Json<Vec<Job>>> {
    if let Some(s) = &q.state {
        if !kefu_store::JOB_STATES.contains(&s.as_str()) {
            return Err(bad("state", "state must be queued, running, done or failed"));
        }
    }
    let filter = JobFilter {
        merchant_id: g.scope.merchant_filter(),
        kind: Some(SEND_KIND.into()),
        state: q.state,
        limit: 200,
    };
    Ok(Json(state.store.list_jobs(&filter).await?))
}
