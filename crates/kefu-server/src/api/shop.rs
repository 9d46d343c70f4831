//! The shop system integration (店铺系统对接, EC-1): its settings, the shop's signed order intake and
//! action results, and the actions agents send from a ticket (修改地址, 取消订单, 退款, 补发).
//!
//! The two `/api/v1/shop/{merchant_id}/…` endpoints carry no token: the shop system signs each request
//! with the merchant's secret (`X-Kefu-Timestamp`, `X-Kefu-Signature`, as kefu signs its webhooks), and
//! what it may do is fixed here: push the merchant's orders, and report results of the merchant's actions,
//! in `Scope::channel(merchant)`.

use crate::api::webhooks::check_url;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, ErrorBody};
use crate::gate::{perm, Gate};
use crate::state::AppState;
use crate::tickets::actor_of;
use axum::body::Bytes;
use axum::extract::{FromRequest, State};
use axum::http::HeaderMap;
use axum::Json;
use kefu_core::authz::{Action, Scope};
use kefu_core::order::OrderPush;
use kefu_core::shop::{Answer, ShopAction};
use kefu_core::ErrorCode;
use kefu_store::{AuditCtx, PushOutcome, ShopActionRecord, ShopIntegration, ShopIntegrationPut};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct IntegrationQuery {
    /// Platform staff name the merchant; merchant staff see their own.
    pub merchant_id: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntegrationInput {
    /// Platform staff name the merchant; merchant staff set their own.
    pub merchant_id: Option<i64>,
    /// Where kefu POSTs actions (http:// or https://); empty: the shop takes no actions.
    #[serde(default)]
    pub actions_url: String,
    #[serde(default = "yes")]
    pub active: bool,
    /// Make a new secret (the old one stops working at once).
    #[serde(default)]
    pub rotate_secret: bool,
}

fn yes() -> bool {
    true
}

fn merchant_of(scope: &Scope, given: Option<i64>) -> ApiResult<i64> {
    scope.owner_for_new(given)?.ok_or_else(|| {
        ApiError::field(ErrorCode::Validation, "merchant_id", "name the merchant whose shop system this is")
    })
}

/// The merchant's shop system settings, with the signing secret (for channel managers only).
#[utoipa::path(get, path = "/api/v1/shop-integration", tag = "shop", params(IntegrationQuery),
    responses((status = 200, body = ShopIntegration), (status = 404, body = ErrorBody)))]
pub async fn get_integration(
    State(state): State<AppState>,
    g: Gate<perm::ChannelManage>,
    ApiQuery(q): ApiQuery<IntegrationQuery>,
) -> ApiResult<Json<ShopIntegration>> {
    let merchant = merchant_of(&g.scope, q.merchant_id)?;
    let i = state.store.get_shop_integration(&g.scope, merchant).await?;
    Ok(Json(i.ok_or_else(|| ApiError::not_found("shop integration"))?))
}

/// Connect (or change) the merchant's shop system: where actions go; the secret is made on first save.
#[utoipa::path(put, path = "/api/v1/shop-integration", tag = "shop", request_body = IntegrationInput,
    responses((status = 200, body = ShopIntegration), (status = 422, body = ErrorBody)))]
pub async fn put_integration(
    State(state): State<AppState>,
    g: Gate<perm::ChannelManage>,
    ApiJson(b): ApiJson<IntegrationInput>,
) -> ApiResult<Json<ShopIntegration>> {
    let merchant = merchant_of(&g.scope, b.merchant_id)?;
    let url = if b.actions_url.trim().is_empty() {
        String::new()
    } else {
        check_url(&b.actions_url, crate::shop::allows_private(&state, &b.actions_url))
            .map_err(|e| ApiError { field: Some("actions_url".into()), ..e })?
    };
    let secret = crate::auth::new_token("shsec_");
    let i = state
        .store
        .put_shop_integration(
            &g.scope,
            &g.ctx,
            ShopIntegrationPut {
                merchant_id: merchant,
                actions_url: url,
                active: b.active,
                new_secret: secret,
                rotate: b.rotate_secret,
            },
        )
        .await?;
    Ok(Json(i))
}

/// An order push from the shop system, as `POST /api/v1/orders` takes it, without the merchant.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignedPush {
    /// The shop's id of this push: the same event twice changes nothing.
    pub event_id: Option<String>,
    pub orders: Vec<OrderPush>,
}

async fn parse<T: serde::de::DeserializeOwned>(body: &Bytes) -> ApiResult<T> {
    let req = axum::http::Request::builder()
        .header(axum::http::header::CONTENT_TYPE, "application/json")
        .body(axum::body::Body::from(body.clone()))
        .map_err(ApiError::internal)?;
    let ApiJson(v) = ApiJson::<T>::from_request(req, &()).await?;
    Ok(v)
}

/// Authenticate a signed request from merchant `merchant`'s shop system.
async fn shop_caller(
    state: &AppState,
    merchant: i64,
    headers: &HeaderMap,
    body: &Bytes,
) -> ApiResult<(Scope, AuditCtx)> {
    let scope = Scope::channel(Some(merchant), Action::ChannelIntake);
    let integration = state.store.get_shop_integration(&scope, merchant).await?;
    let Some(i) = integration.filter(|i| i.active) else {
        return Err(ApiError::unauthenticated("this merchant has no active shop system connected"));
    };
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::new(ErrorCode::BadRequest, "the body is not UTF-8"))?;
    crate::shop::verify_signature(&i.secret, headers, text, crate::auth::now().0 / 1000)?;
    let ctx = AuditCtx {
        actor_id: None,
        actor_name: format!("shop:{merchant}"),
        ip: None,
        request_id: headers.get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_string),
        now: crate::auth::now(),
    };
    Ok((scope, ctx))
}

/// The shop system pushes orders and their changes, signed with the merchant's secret (idempotent by
/// `event_id` and by each order's `updated_at`, all or nothing, unknown customers created).
#[utoipa::path(post, path = "/api/v1/shop/{merchant_id}/orders", tag = "shop", request_body = SignedPush,
    params(("merchant_id" = i64, Path)),
    responses((status = 200, body = PushOutcome), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn signed_orders(
    State(state): State<AppState>,
    ApiPath(merchant): ApiPath<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<PushOutcome>> {
    let (scope, ctx) = shop_caller(&state, merchant, &headers, &body).await?;
    let push: SignedPush = parse(&body).await?;
    let out =
        crate::api::orders::apply_push(&state, &scope, &ctx, merchant, push.event_id, push.orders).await?;
    Ok(Json(out))
}

/// The result of an action the shop took earlier (`accepted`), reported later.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionResult {
    pub idempotency_key: String,
    /// `succeeded` or `failed`.
    pub status: String,
    #[serde(default)]
    pub message: Option<String>,
    /// The shop's id of what it did (refund number, new waybill …).
    #[serde(default)]
    pub reference: Option<String>,
}

/// What a result report did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResultOutcome {
    /// False when the action had its result already (the report changed nothing).
    pub applied: bool,
    pub action: ShopActionRecord,
}

/// The shop system reports the result of an action, signed with the merchant's secret. Reporting the
/// same result twice changes nothing.
#[utoipa::path(post, path = "/api/v1/shop/{merchant_id}/action-results", tag = "shop", request_body = ActionResult,
    params(("merchant_id" = i64, Path)),
    responses((status = 200, body = ResultOutcome), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn action_result(
    State(state): State<AppState>,
    ApiPath(merchant): ApiPath<i64>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<ResultOutcome>> {
    let (scope, ctx) = shop_caller(&state, merchant, &headers, &body).await?;
    let r: ActionResult = parse(&body).await?;
    let message = r.message.unwrap_or_default().chars().take(500).collect::<String>();
    let answer = match r.status.as_str() {
        "succeeded" => {
            Answer::Succeeded { reference: r.reference.map(|x| x.chars().take(100).collect()), message }
        }
        "failed" => Answer::Refused {
            message: if message.is_empty() { "the shop reported a failure".into() } else { message },
        },
        _ => {
            return Err(ApiError::field(
                ErrorCode::Validation,
                "status",
                "status must be succeeded or failed",
            ))
        }
    };
    let rec = state
        .store
        .shop_action_by_key(&scope, &r.idempotency_key)
        .await?
        .ok_or_else(|| ApiError::not_found("shop action"))?;
    match crate::shop::settle(&state, &ctx, &rec, answer, None).await? {
        Some(after) => Ok(Json(ResultOutcome { applied: true, action: after })),
        None => {
            let now = state.store.get_shop_action(&scope, rec.id).await?.unwrap_or(rec);
            Ok(Json(ResultOutcome { applied: false, action: now }))
        }
    }
}

/// An action to send to the shop system about one of the ticket's orders.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionInput {
    pub order_id: i64,
    pub action: ShopAction,
}

/// Send an action (修改地址, 取消订单, 退款, 补发) to the merchant's shop system from this ticket. It is
/// checked against the order first (a cancel only before shipping, never more refunded than paid); the
/// result arrives in the ticket's timeline.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/shop-actions", tag = "shop", request_body = ActionInput,
    params(("id" = i64, Path)),
    responses((status = 201, body = ShopActionRecord), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_action(
    State(state): State<AppState>,
    g: Gate<perm::AftersalesWork>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ActionInput>,
) -> ApiResult<(axum::http::StatusCode, Json<ShopActionRecord>)> {
    let ticket = state.store.get_ticket(&g.scope, id).await?.ok_or_else(|| ApiError::not_found("ticket"))?;
    let merchant = ticket.ticket.merchant_id.ok_or_else(|| {
        ApiError::new(ErrorCode::Conflict, "this ticket belongs to no merchant, so it has no shop system")
    })?;
    let actor = actor_of(&g.principal);
    let rec =
        crate::shop::request(&state, &g.scope, &g.ctx, &actor, merchant, Some(id), b.order_id, b.action)
            .await?;
    Ok((axum::http::StatusCode::CREATED, Json(rec)))
}

/// The actions sent from this ticket, oldest first.
#[utoipa::path(get, path = "/api/v1/tickets/{id}/shop-actions", tag = "shop", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<ShopActionRecord>), (status = 404, body = ErrorBody)))]
pub async fn ticket_actions(
    State(state): State<AppState>,
    g: Gate<perm::TicketRead>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<ShopActionRecord>>> {
    state.store.get_ticket(&g.scope, id).await?.ok_or_else(|| ApiError::not_found("ticket"))?;
    Ok(Json(state.store.list_shop_actions(&g.scope, Some(id), None).await?))
}

/// The actions sent about this order, oldest first.
#[utoipa::path(get, path = "/api/v1/orders/{id}/shop-actions", tag = "shop", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<ShopActionRecord>), (status = 404, body = ErrorBody)))]
pub async fn order_actions(
    State(state): State<AppState>,
    g: Gate<perm::CustomerRead>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<ShopActionRecord>>> {
    state.store.get_order(&g.scope, id).await?.ok_or_else(|| ApiError::not_found("order"))?;
    Ok(Json(state.store.list_shop_actions(&g.scope, None, Some(id)).await?))
}
