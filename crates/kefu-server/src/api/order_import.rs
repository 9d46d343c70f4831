//! CSV order import (订单导入, EC-1): a merchant's first load of orders from a shop backend's export. The
//! format is in [`crate::order_import`]; the orders go in as pushes of at most 1,000, each one
//! transaction, after every row of the file has been checked.

use crate::error::{ApiError, ApiQuery, ApiResult, ErrorBody};
use crate::gate::{perm, Gate};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::Json;
use kefu_core::order::MAX_ORDERS_PER_PUSH;
use kefu_core::ErrorCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// The merchant whose orders these are; merchant staff import their own (may be left out).
    pub merchant_id: Option<i64>,
}

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportOutcome {
    /// Data rows read (one per order item).
    pub rows: usize,
    pub orders: usize,
    pub created: i64,
    pub updated: i64,
    /// Orders kefu already held in this state or a newer one.
    pub unchanged: i64,
}

/// Import orders from a CSV file (UTF-8 or GBK), one row per order item; see the column list in the
/// server's `order_import` module or docs/ORDERS.md. Nothing is written when any row is wrong, and the
/// error names the row and the column; importing the same file again changes nothing.
#[utoipa::path(post, path = "/api/v1/orders/import", tag = "orders", params(ImportQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportOutcome), (status = 422, body = ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    g: Gate<perm::ChannelIntake>,
    ApiQuery(q): ApiQuery<ImportQuery>,
    body: Bytes,
) -> ApiResult<Json<ImportOutcome>> {
    let merchant = g.scope.owner_for_new(q.merchant_id)?.ok_or_else(|| {
        ApiError::field(ErrorCode::Validation, "merchant_id", "name the merchant whose orders these are")
    })?;
    if state.store.get_merchant(&g.scope, merchant).await?.is_none() {
        return Err(ApiError::field(
            ErrorCode::Validation,
            "merchant_id",
            format!("merchant {merchant} does not exist"),
        ));
    }
    let text = crate::order_import::decode(&body);
    let parsed = crate::order_import::parse(&text)?;
    let mut out = ImportOutcome {
        rows: parsed.rows,
        orders: parsed.orders.len(),
        created: 0,
        updated: 0,
        unchanged: 0,
    };
    let mut orders = parsed.orders;
    while !orders.is_empty() {
        let rest = orders.split_off(orders.len().min(MAX_ORDERS_PER_PUSH));
        let r = crate::api::orders::apply_push(&state, &g.scope, &g.ctx, merchant, None, orders).await?;
        out.created += r.created;
        out.updated += r.updated;
        out.unchanged += r.unchanged;
        orders = rest;
    }
    Ok(Json(out))
}
