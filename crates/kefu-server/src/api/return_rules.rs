//! A merchant's return rules (退换货规则, EC-2/EC-3): the windows the eligibility check applies, for all
//! goods and per product category, never below the legal minimum. Set by whoever holds the merchant's
//! money decisions (`authority.manage`: merchant admins, platform admins); read by everyone who works
//! after-sales cases.

use crate::error::{ApiError, ApiJson, ApiQuery, ApiResult, ErrorBody};
use crate::gate::{perm, Gate};
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use kefu_core::aftersales::rules::ReturnRules;
use kefu_core::ErrorCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RulesQuery {
    /// Platform staff name the merchant; merchant staff read their own.
    pub merchant_id: Option<i64>,
}

/// The rules in force for a merchant.
#[derive(Debug, Serialize, ToSchema)]
pub struct RulesView {
    pub merchant_id: i64,
    /// False: the merchant has none of its own and the platform's apply.
    pub custom: bool,
    pub rules: ReturnRules,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RulesInput {
    pub merchant_id: Option<i64>,
    pub rules: ReturnRules,
}

fn merchant_of(scope: &kefu_core::authz::Scope, given: Option<i64>) -> ApiResult<i64> {
    scope.owner_for_new(given)?.ok_or_else(|| {
        ApiError::field(ErrorCode::Validation, "merchant_id", "name the merchant whose rules these are")
    })
}

/// The merchant's return rules (the platform's when it has none of its own).
#[utoipa::path(get, path = "/api/v1/return-rules", tag = "aftersales", params(RulesQuery),
    responses((status = 200, body = RulesView), (status = 422, body = ErrorBody)))]
pub async fn get_rules(
    State(state): State<AppState>,
    g: Gate<perm::AftersalesRead>,
    ApiQuery(q): ApiQuery<RulesQuery>,
) -> ApiResult<Json<RulesView>> {
    let merchant = merchant_of(&g.scope, q.merchant_id)?;
    let own = state.store.get_return_rules(&g.scope, merchant).await?;
    Ok(Json(RulesView { merchant_id: merchant, custom: own.is_some(), rules: own.unwrap_or_default() }))
}

/// Set the merchant's return rules. A window below the legal minimum is refused naming the field
/// (`rules.categories[1].policy.no_reason_days`).
#[utoipa::path(put, path = "/api/v1/return-rules", tag = "aftersales", request_body = RulesInput,
    responses((status = 200, body = RulesView), (status = 422, body = ErrorBody)))]
pub async fn put_rules(
    State(state): State<AppState>,
    g: Gate<perm::AuthorityManage>,
    ApiJson(b): ApiJson<RulesInput>,
) -> ApiResult<Json<RulesView>> {
    let merchant = merchant_of(&g.scope, b.merchant_id)?;
    b.rules.validate().map_err(|e| {
        let field = format!("rules.{}", e.field.as_deref().unwrap_or(""));
        ApiError::field(ErrorCode::Validation, &field, e.message)
    })?;
    state.store.put_return_rules(&g.scope, &g.ctx, merchant, &b.rules).await?;
    Ok(Json(RulesView { merchant_id: merchant, custom: true, rules: b.rules }))
}
