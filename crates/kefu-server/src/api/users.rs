//! Staff accounts: create, read, update, unlock, reset password and second factor.

use super::{found, ListParams};
use crate::auth::hash_password;
use crate::error::{ApiJson, ApiPath, ApiQuery, ApiResult, ErrorBody};
use crate::gate::{perm, Gate};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use kefu_core::org::{validate_name, validate_username, Role};
use kefu_core::security::check_password_policy;
use kefu_store::{NewUser, Page, User, UserPatch};
use serde::{Deserialize, Deserializer};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    pub username: String,
    pub display_name: String,
    pub password: String,
    pub role: Role,
    pub merchant_id: Option<i64>,
    pub team_id: Option<i64>,
    pub department_id: Option<i64>,
    /// Reporting line: the user's supervisor.
    pub supervisor_id: Option<i64>,
}

/// Distinguish "absent" (leave as is) from `null` (clear) in a PATCH body.
fn double_option<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(d).map(Some)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    /// `null` removes the user from their team.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub team_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub department_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub supervisor_id: Option<Option<i64>>,
    /// A disabled account cannot log in and its sessions end.
    pub disabled: Option<bool>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPassword {
    pub password: String,
}

/// Staff accounts in scope.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", params(ListParams),
    responses((status = 200, body = Page<User>), (status = 401, body = ErrorBody)))]
pub async fn list_users(
    State(state): State<AppState>,
    g: Gate<perm::UserRead>,
    ApiQuery(q): ApiQuery<ListParams>,
) -> ApiResult<Json<Page<User>>> {
    Ok(Json(state.store.list_users(&g.scope, q.page()?).await?))
}

/// Create a staff account.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUser,
    responses((status = 201, body = User), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_user(
    State(state): State<AppState>,
    g: Gate<perm::UserManage>,
    ApiJson(req): ApiJson<CreateUser>,
) -> ApiResult<(StatusCode, Json<User>)> {
    let username = validate_username(&req.username)?;
    let display_name = validate_name("display_name", &req.display_name)?;
    check_password_policy(&username, &req.password)?;
    // Check scope and role before spending CPU on the hash.
    let merchant = g.scope.owner_for_new(req.merchant_id)?;
    g.scope.may_grant(req.role, merchant)?;
    let new = NewUser {
        username,
        display_name,
        role: req.role,
        merchant_id: merchant,
        team_id: req.team_id,
        department_id: req.department_id,
        supervisor_id: req.supervisor_id,
        password_hash: hash_password(req.password).await?,
    };
    Ok((StatusCode::CREATED, Json(state.store.create_user(&g.scope, &g.ctx, new).await?)))
}

/// One staff account.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path)),
    responses((status = 200, body = User), (status = 404, body = ErrorBody)))]
pub async fn get_user(
    State(state): State<AppState>,
    g: Gate<perm::UserRead>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<User>> {
    Ok(Json(found(state.store.get_user(&g.scope, id).await?, "user")?))
}

/// Change a staff account's name, role, team, department, supervisor or disabled flag.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path)), request_body = UpdateUser,
    responses((status = 200, body = User), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_user(
    State(state): State<AppState>,
    g: Gate<perm::UserManage>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<UpdateUser>,
) -> ApiResult<Json<User>> {
    let display_name = req.display_name.as_deref().map(|n| validate_name("display_name", n)).transpose()?;
    let patch = UserPatch {
        display_name,
        role: req.role,
        team_id: req.team_id,
        department_id: req.department_id,
        supervisor_id: req.supervisor_id,
        disabled: req.disabled,
    };
    let u = state.store.update_user(&g.scope, &g.ctx, id, patch).await?;
    state.principals.clear();
    Ok(Json(u))
}

/// Unlock an account locked after failed logins.
#[utoipa::path(post, path = "/api/v1/users/{id}/unlock", tag = "users", params(("id" = i64, Path)),
    responses((status = 200, body = User), (status = 404, body = ErrorBody)))]
pub async fn unlock_user(
    State(state): State<AppState>,
    g: Gate<perm::UserManage>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<User>> {
    Ok(Json(state.store.unlock_user(&g.scope, &g.ctx, id).await?))
}

/// Set a new password for an account (ends its sessions).
#[utoipa::path(post, path = "/api/v1/users/{id}/password", tag = "users", params(("id" = i64, Path)), request_body = SetPassword,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_user_password(
    State(state): State<AppState>,
    g: Gate<perm::UserManage>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<SetPassword>,
) -> ApiResult<StatusCode> {
    let user = found(state.store.get_user(&g.scope, id).await?, "user")?;
    check_password_policy(&user.username, &req.password)?;
    state.store.set_password(&g.scope, &g.ctx, id, hash_password(req.password).await?).await?;
    state.principals.clear();
    Ok(StatusCode::NO_CONTENT)
}

/// Reset an account's second factor (lost phone).
#[utoipa::path(delete, path = "/api/v1/users/{id}/totp", tag = "users", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn reset_user_totp(
    State(state): State<AppState>,
    g: Gate<perm::UserManage>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    state.store.set_totp(&g.scope, &g.ctx, id, None, false).await?;
    state.principals.clear();
    Ok(StatusCode::NO_CONTENT)
}
