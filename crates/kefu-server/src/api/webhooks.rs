//! Webhook subscriptions (Webhook 订阅) and their delivery log, under `/api/v1/channels/webhooks`.
//! The signing secret is shown once: when the subscription is created and when it is rotated.

use crate::channels::webhooks::{self, EVENT_TYPES};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, ErrorBody};
use crate::gate::{perm, Gate};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use kefu_core::ErrorCode;
use kefu_store::{Webhook, WebhookDelivery, WebhookPatch, WebhookSpec};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A subscription with its secret: answered only on creation and rotation.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookWithSecret {
    #[serde(flatten)]
    pub webhook: Webhook,
    /// Keep it: deliveries are signed with it and it is not shown again.
    pub secret: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    /// http:// or https:// URL that receives the POSTs.
    pub url: String,
    /// Event types: ticket.created, ticket.updated, ticket.resolved, ticket.closed, message.created,
    /// sla.warned, sla.breached, survey.answered.
    pub events: Vec<String>,
    #[serde(default = "yes")]
    pub active: bool,
    #[serde(default)]
    pub description: String,
    /// Platform staff may name a merchant.
    pub merchant_id: Option<i64>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookChange {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub active: Option<bool>,
    pub description: Option<String>,
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::field(ErrorCode::Validation, field, message)
}

/// An absolute http(s) URL with a host, no credentials, at most 2000 characters.
pub fn check_url(url: &str, allow_private: bool) -> ApiResult<String> {
    let url = url.trim();
    let bad = || invalid("url", "url must be an absolute http:// or https:// URL");
    if url.len() > 2000 || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let parsed = reqwest::Url::parse(url).map_err(|_| bad())?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none_or(str::is_empty) {
        return Err(bad());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(invalid("url", "the url must not carry credentials; deliveries are signed instead"));
    }
    if let Some(why) = (!allow_private).then(|| webhooks::refused_host(&parsed)).flatten() {
        return Err(invalid("url", why));
    }
    Ok(url.to_string())
}

fn check_events(events: &[String]) -> ApiResult<Vec<String>> {
    if events.is_empty() {
        return Err(invalid("events", "name at least one event type"));
    }
    let mut out: Vec<String> = Vec::new();
    for e in events {
        let e = e.trim();
        if !EVENT_TYPES.contains(&e) {
            return Err(invalid(
                "events",
                format!("unknown event type '{e}'; known: {}", EVENT_TYPES.join(", ")),
            ));
        }
        if !out.iter().any(|o| o == e) {
            out.push(e.to_string());
        }
    }
    Ok(out)
}

fn check_description(d: &str) -> ApiResult<String> {
    let d = d.trim();
    if d.chars().count() > 200 {
        return Err(invalid("description", "the description must be at most 200 characters"));
    }
    Ok(d.to_string())
}

/// The webhook subscriptions of my merchant (platform staff: all).
#[utoipa::path(get, path = "/api/v1/channels/webhooks", tag = "channels",
    responses((status = 200, body = Vec<Webhook>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    g: Gate<perm::ChannelManage>,
) -> ApiResult<Json<Vec<Webhook>>> {
    Ok(Json(state.store.list_webhooks(&g.scope).await?))
}

/// Subscribe a URL to events; the answer carries the signing secret, shown this once.
#[utoipa::path(post, path = "/api/v1/channels/webhooks", tag = "channels", request_body = WebhookInput,
    responses((status = 201, body = WebhookWithSecret), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    g: Gate<perm::ChannelManage>,
    ApiJson(input): ApiJson<WebhookInput>,
) -> ApiResult<(StatusCode, Json<WebhookWithSecret>)> {
    let merchant_id = g.scope.owner_for_new(input.merchant_id)?;
    let spec = WebhookSpec {
        merchant_id,
        url: check_url(&input.url, state.config.webhook_allow_private)?,
        events: check_events(&input.events)?,
        active: input.active,
        description: check_description(&input.description)?,
        secret: webhooks::new_secret(),
    };
    let w = state.store.create_webhook(&g.scope, &g.ctx, spec).await?;
    let secret = w.secret.clone();
    Ok((StatusCode::CREATED, Json(WebhookWithSecret { webhook: w, secret })))
}

/// One subscription.
#[utoipa::path(get, path = "/api/v1/channels/webhooks/{id}", tag = "channels", params(("id" = i64, Path)),
    responses((status = 200, body = Webhook), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    g: Gate<perm::ChannelManage>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Webhook>> {
    let w = state.store.get_webhook(&g.scope, id).await?;
    Ok(Json(super::found(w, "webhook")?))
}

/// Change the URL, events, active flag or description.
#[utoipa::path(patch, path = "/api/v1/channels/webhooks/{id}", tag = "channels", params(("id" = i64, Path)),
    request_body = WebhookChange,
    responses((status = 200, body = Webhook), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    g: Gate<perm::ChannelManage>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<WebhookChange>,
) -> ApiResult<Json<Webhook>> {
    super::found(state.store.get_webhook(&g.scope, id).await?, "webhook")?;
    let patch = WebhookPatch {
        url: input.url.as_deref().map(|u| check_url(u, state.config.webhook_allow_private)).transpose()?,
        events: input.events.as_deref().map(check_events).transpose()?,
        active: input.active,
        description: input.description.as_deref().map(check_description).transpose()?,
    };
    Ok(Json(state.store.update_webhook(&g.scope, &g.ctx, id, patch).await?))
}

/// Remove a subscription and its delivery log.
#[utoipa::path(delete, path = "/api/v1/channels/webhooks/{id}", tag = "channels", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    g: Gate<perm::ChannelManage>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    state.store.delete_webhook(&g.scope, &g.ctx, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replace the signing secret; the answer carries the new one, shown this once. Deliveries from now on
/// are signed with it (also retries of older events).
#[utoipa::path(post, path = "/api/v1/channels/webhooks/{id}/rotate-secret", tag = "channels", params(("id" = i64, Path)),
    responses((status = 200, body = WebhookWithSecret), (status = 404, body = ErrorBody)))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    g: Gate<perm::ChannelManage>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<WebhookWithSecret>> {
    let w = state.store.set_webhook_secret(&g.scope, &g.ctx, id, webhooks::new_secret()).await?;
    let secret = w.secret.clone();
    Ok(Json(WebhookWithSecret { webhook: w, secret }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeliveryQuery {
    /// At most this many, newest first (1-200, default 50).
    pub limit: Option<i64>,
}

/// The delivery log of a subscription: each delivery with every attempt (status code, error, duration).
#[utoipa::path(get, path = "/api/v1/channels/webhooks/{id}/deliveries", tag = "channels",
    params(("id" = i64, Path), DeliveryQuery),
    responses((status = 200, body = Vec<WebhookDelivery>), (status = 404, body = ErrorBody)))]
pub async fn deliveries(
    State(state): State<AppState>,
    g: Gate<perm::ChannelManage>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<DeliveryQuery>,
) -> ApiResult<Json<Vec<WebhookDelivery>>> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::field(ErrorCode::BadRequest, "limit", "limit must be between 1 and 200"));
    }
    super::found(state.store.get_webhook(&g.scope, id).await?, "webhook")?;
    Ok(Json(state.store.list_webhook_deliveries(&g.scope, id, limit).await?))
}

/// Send a delivery again now (same body and `X-Kefu-Delivery`, a fresh signature), with a fresh attempt
/// budget. A delivery still being retried is a conflict.
#[utoipa::path(post, path = "/api/v1/channels/webhook-deliveries/{id}/replay", tag = "channels",
    params(("id" = i64, Path)),
    responses((status = 200, body = WebhookDelivery), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn replay(
    State(state): State<AppState>,
    g: Gate<perm::ChannelManage>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<WebhookDelivery>> {
    let d = super::found(state.store.get_webhook_delivery(&g.scope, id).await?, "delivery")?;
    let key = webhooks::dedupe_key(d.subscription_id, d.event_id);
    let now = crate::auth::now();
    let requeued = match state.store.job_by_dedupe_key(&key).await? {
        Some(job) => state.store.requeue_job(job, now).await?.is_some(),
        None => {
            let payload = webhooks::DeliverJob { delivery_id: d.id };
            crate::jobs::enqueue(&state, webhooks::DELIVER, d.merchant_id, &payload, Some(key), now)
                .await
                .map_err(ApiError::internal)?;
            true
        }
    };
    if !requeued {
        return Err(ApiError::new(ErrorCode::Conflict, "this delivery is still queued or being sent"));
    }
    state.store.reset_webhook_delivery(d.id, now).await?;
    state.jobs_wake.notify_one();
    let d = super::found(state.store.get_webhook_delivery(&g.scope, id).await?, "delivery")?;
    Ok(Json(d))
}
