//! Orders (订单, EC-1): the shop system pushes orders and their changes; agents look them up from a
//! ticket and check after-sales eligibility (资格判定) before promising anything.

use crate::api::ListParams;
use crate::channels::intake::{self, Identity};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, ErrorBody};
use crate::gate::{perm, Gate};
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use kefu_core::aftersales::eligibility::{evaluate, AfterSalesRequest, Verdict};
use kefu_core::aftersales::{AfterSalesKind, Proof, Reason};
use kefu_core::calendar::{BusinessCalendar, WeeklyHours};
use kefu_core::order::{OrderPush, MAX_ORDERS_PER_PUSH};
use kefu_core::ErrorCode;
use kefu_store::{Order, OrderFilter, Page, PushOutcome};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use utoipa::{IntoParams, ToSchema};

/// A push of orders from the shop system.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushBody {
    /// The merchant whose orders these are; merchant tokens push their own (may be left out).
    pub merchant_id: Option<i64>,
    /// The shop's id of this push: the same event twice changes nothing.
    pub event_id: Option<String>,
    /// 1 to 1000 orders.
    pub orders: Vec<OrderPush>,
}

/// Apply a push of orders (new ones and changes), all or nothing; an unknown customer gets a profile.
/// Pushes are idempotent: by `event_id`, and per order by the shop's `updated_at` (an older state never
/// replaces a newer one).
#[utoipa::path(post, path = "/api/v1/orders", tag = "orders", request_body = PushBody,
    responses((status = 200, body = PushOutcome), (status = 422, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn push(
    State(state): State<AppState>,
    g: Gate<perm::ChannelIntake>,
    ApiJson(b): ApiJson<PushBody>,
) -> ApiResult<Json<PushOutcome>> {
    let merchant = g.scope.owner_for_new(b.merchant_id)?.ok_or_else(|| {
        ApiError::field(ErrorCode::Validation, "merchant_id", "name the merchant whose orders these are")
    })?;
    if state.store.get_merchant(&g.scope, merchant).await?.is_none() {
        return Err(ApiError::field(
            ErrorCode::Validation,
            "merchant_id",
            format!("merchant {merchant} does not exist"),
        ));
    }
    Ok(Json(apply_push(&state, &g.scope, &g.ctx, merchant, b.event_id, b.orders).await?))
}

/// Validate a push of orders for `merchant` (everything before anything is written), create the profiles
/// of unknown customers, and store the push in one transaction. Shared by the token-authenticated API and
/// the shop system's signed intake.
pub async fn apply_push(
    state: &AppState,
    scope: &kefu_core::authz::Scope,
    ctx: &kefu_store::AuditCtx,
    merchant: i64,
    event_id: Option<String>,
    orders: Vec<OrderPush>,
) -> ApiResult<PushOutcome> {
    if let Some(ev) = &event_id {
        let ok = !ev.is_empty()
            && ev.len() <= 100
            && ev.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'));
        if !ok {
            return Err(ApiError::field(
                ErrorCode::Validation,
                "event_id",
                "event_id must be 1 to 100 letters, digits, '-', '_', '.' or ':'",
            ));
        }
    }
    if orders.is_empty() || orders.len() > MAX_ORDERS_PER_PUSH {
        return Err(ApiError::field(
            ErrorCode::Validation,
            "orders",
            format!("a push carries 1 to {MAX_ORDERS_PER_PUSH} orders"),
        ));
    }
    // Everything is checked before anything is written.
    let mut seen = HashSet::new();
    for (i, o) in orders.iter().enumerate() {
        o.validate(&format!("orders[{i}]."))?;
        if !seen.insert(o.order_no.as_str()) {
            return Err(ApiError::field(
                ErrorCode::Validation,
                &format!("orders[{i}].order_no"),
                format!("order {} appears twice in the push", o.order_no),
            ));
        }
    }
    // Known customers in one query; the rest get a profile.
    let accounts: Vec<String> =
        orders.iter().map(|o| o.customer.account_id.clone()).collect::<HashSet<_>>().into_iter().collect();
    let mut customers: HashMap<String, i64> =
        state.store.customer_ids_by_account(scope, merchant, &accounts).await?;
    let mut rows = Vec::with_capacity(orders.len());
    for o in orders {
        let account = o.customer.account_id.clone();
        let id = match customers.get(&account) {
            Some(id) => *id,
            None => {
                let c = intake::find_customer(
                    state,
                    ctx,
                    Some(merchant),
                    &Identity::Account(account.clone()),
                    o.customer.name.as_deref(),
                )
                .await?;
                customers.insert(account, c.id);
                c.id
            }
        };
        rows.push((o, Some(id)));
    }
    Ok(state.store.push_orders(scope, ctx, merchant, event_id.as_deref(), &rows).await?)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OrderQuery {
    pub customer_id: Option<i64>,
    /// Exact order number.
    pub order_no: Option<String>,
    /// Platform staff may narrow to one merchant.
    pub merchant_id: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<i64>,
}

/// Look orders up: by customer (the customer panel) or by number; newest first.
#[utoipa::path(get, path = "/api/v1/orders", tag = "orders", params(OrderQuery),
    responses((status = 200, body = Page<Order>), (status = 400, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    g: Gate<perm::CustomerRead>,
    ApiQuery(q): ApiQuery<OrderQuery>,
) -> ApiResult<Json<Page<Order>>> {
    let page = ListParams { cursor: q.cursor, limit: q.limit }.page()?;
    let filter = OrderFilter { merchant_id: q.merchant_id, customer_id: q.customer_id, order_no: q.order_no };
    Ok(Json(state.store.list_orders(&g.scope, &filter, page).await?))
}

/// One order with its items, payment and logistics.
#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "orders", params(("id" = i64, Path)),
    responses((status = 200, body = Order), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    g: Gate<perm::CustomerRead>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Order>> {
    Ok(Json(crate::api::found(state.store.get_order(&g.scope, id).await?, "order")?))
}

/// What the customer asks for one item of the order.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EligibilityBody {
    /// The item, by SKU.
    pub sku: String,
    pub kind: AfterSalesKind,
    pub reason: Reason,
    /// Evidence the customer already provided.
    #[serde(default)]
    pub proofs: Vec<Proof>,
}

/// May this item be refunded, returned, exchanged or repaired now? The verdict names the rule and its
/// legal basis in plain Chinese (seven-day no-reason return from the day after sign-for, its
/// exclusions, quality problems, missing proof), for the agent to see before promising anything.
#[utoipa::path(post, path = "/api/v1/orders/{id}/eligibility", tag = "orders", params(("id" = i64, Path)),
    request_body = EligibilityBody,
    responses((status = 200, body = Verdict), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn eligibility(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<EligibilityBody>,
) -> ApiResult<Json<Verdict>> {
    let order = crate::api::found(state.store.get_order(&g.scope, id).await?, "order")?;
    let item = order.items.iter().find(|i| i.sku == b.sku).ok_or_else(|| {
        ApiError::field(
            ErrorCode::Validation,
            "sku",
            format!("order {} has no item {}", order.order_no, b.sku),
        )
    })?;
    let facts = kefu_core::aftersales::eligibility::ItemFacts {
        shipped_at: order.shipped_at,
        signed_at: order.signed_at,
        flags: item.flags,
    };
    let req = AfterSalesRequest { kind: b.kind, reason: b.reason, at: g.ctx.now, proofs: b.proofs };
    // Day counting follows the statutory holidays and make-up workdays (the shipped PRC schedule).
    let cal = BusinessCalendar::china(WeeklyHours::always_open());
    let policy = crate::aftersales::return_policy(
        &state,
        order.merchant_id,
        item.category.as_deref(),
        order.customer_id,
    )
    .await;
    Ok(Json(evaluate(&cal, &policy, &facts, &req)))
}
