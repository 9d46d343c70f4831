//! API tokens for integrations (the shop system, scripts): shown once, stored as a fingerprint.

use super::ListParams;
use crate::auth::{new_token, API_TOKEN_PREFIX};
use crate::error::{ApiJson, ApiPath, ApiQuery, ApiResult, ErrorBody};
use crate::gate::{perm, Gate};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use kefu_core::org::{validate_name, Role};
use kefu_core::security::token_fingerprint;
use kefu_core::time::Millis;
use kefu_core::DomainError;
use kefu_store::{ApiToken, NewApiToken, Page};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiToken {
    pub name: String,
    /// The role whose permissions the token carries.
    pub role: Role,
    /// Platform staff choose; merchant staff's tokens always belong to their merchant.
    pub merchant_id: Option<i64>,
    pub expires_at: Option<Millis>,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedApiToken {
    /// The secret, shown this once: kefu keeps only its fingerprint.
    pub token: String,
    pub api_token: ApiToken,
}

/// API tokens in scope.
#[utoipa::path(get, path = "/api/v1/api-tokens", tag = "api tokens", params(ListParams),
    responses((status = 200, body = Page<ApiToken>), (status = 403, body = ErrorBody)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    g: Gate<perm::TokenManage>,
    ApiQuery(q): ApiQuery<ListParams>,
) -> ApiResult<Json<Page<ApiToken>>> {
    Ok(Json(state.store.list_api_tokens(&g.scope, q.page()?).await?))
}

/// Create an API token.
#[utoipa::path(post, path = "/api/v1/api-tokens", tag = "api tokens", request_body = CreateApiToken,
    responses((status = 201, body = CreatedApiToken), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_token(
    State(state): State<AppState>,
    g: Gate<perm::TokenManage>,
    ApiJson(req): ApiJson<CreateApiToken>,
) -> ApiResult<(StatusCode, Json<CreatedApiToken>)> {
    if req.expires_at.is_some_and(|t| t <= g.ctx.now) {
        return Err(DomainError::validation("expires_at", "expires_at must be in the future").into());
    }
    let token = new_token(API_TOKEN_PREFIX);
    let new = NewApiToken {
        name: validate_name("name", &req.name)?,
        user_id: g.principal.user_id,
        role: req.role,
        merchant_id: req.merchant_id,
        token_hash: token_fingerprint(&token),
        expires_at: req.expires_at,
    };
    let api_token = state.store.create_api_token(&g.scope, &g.ctx, new).await?;
    Ok((StatusCode::CREATED, Json(CreatedApiToken { token, api_token })))
}

/// Revoke an API token; it stops working at once.
#[utoipa::path(delete, path = "/api/v1/api-tokens/{id}", tag = "api tokens", params(("id" = i64, Path)),
    responses((status = 200, body = ApiToken), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    g: Gate<perm::TokenManage>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ApiToken>> {
    let t = state.store.revoke_api_token(&g.scope, &g.ctx, id).await?;
    state.principals.clear();
    Ok(Json(t))
}
