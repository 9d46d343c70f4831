//! Merchants (入驻商家), teams (客服组), departments (部门) and the platform security policy.

use super::{found, ListParams};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, ErrorBody};
use crate::gate::{perm, Gate};
use crate::state::{AppState, SecuritySettings, SECURITY_SETTING};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use kefu_core::org::{validate_code, validate_name, TeamOwner};
use kefu_core::ErrorCode;
use kefu_store::{Department, Merchant, MerchantPatch, NewDepartment, NewMerchant, NewTeam, Page, Team};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMerchant {
    /// 2-40 of a-z, 0-9, '-', '_'.
    pub code: String,
    pub name: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMerchant {
    pub name: Option<String>,
    /// `active` or `suspended`.
    pub status: Option<String>,
}

/// List merchants (platform staff: all; merchant staff: their own).
#[utoipa::path(get, path = "/api/v1/merchants", tag = "organisation", params(ListParams),
    responses((status = 200, body = Page<Merchant>), (status = 401, body = ErrorBody)))]
pub async fn list_merchants(
    State(state): State<AppState>,
    g: Gate<perm::MerchantRead>,
    ApiQuery(q): ApiQuery<ListParams>,
) -> ApiResult<Json<Page<Merchant>>> {
    Ok(Json(state.store.list_merchants(&g.scope, q.page()?).await?))
}

/// Register a merchant.
#[utoipa::path(post, path = "/api/v1/merchants", tag = "organisation", request_body = CreateMerchant,
    responses((status = 201, body = Merchant), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_merchant(
    State(state): State<AppState>,
    g: Gate<perm::MerchantManage>,
    ApiJson(req): ApiJson<CreateMerchant>,
) -> ApiResult<(StatusCode, Json<Merchant>)> {
    let new =
        NewMerchant { code: validate_code("code", &req.code)?, name: validate_name("name", &req.name)? };
    Ok((StatusCode::CREATED, Json(state.store.create_merchant(&g.scope, &g.ctx, new).await?)))
}

/// One merchant.
#[utoipa::path(get, path = "/api/v1/merchants/{id}", tag = "organisation", params(("id" = i64, Path)),
    responses((status = 200, body = Merchant), (status = 404, body = ErrorBody)))]
pub async fn get_merchant(
    State(state): State<AppState>,
    g: Gate<perm::MerchantRead>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Merchant>> {
    Ok(Json(found(state.store.get_merchant(&g.scope, id).await?, "merchant")?))
}

/// Rename or suspend a merchant.
#[utoipa::path(patch, path = "/api/v1/merchants/{id}", tag = "organisation", params(("id" = i64, Path)), request_body = UpdateMerchant,
    responses((status = 200, body = Merchant), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_merchant(
    State(state): State<AppState>,
    g: Gate<perm::MerchantManage>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<UpdateMerchant>,
) -> ApiResult<Json<Merchant>> {
    let name = req.name.as_deref().map(|n| validate_name("name", n)).transpose()?;
    if let Some(s) = &req.status {
        if s != "active" && s != "suspended" {
            return Err(ApiError::field(
                ErrorCode::Validation,
                "status",
                "status must be active or suspended",
            ));
        }
    }
    let patch = MerchantPatch { name, status: req.status };
    Ok(Json(state.store.update_merchant(&g.scope, &g.ctx, id, patch).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTeam {
    pub name: String,
    pub owner: TeamOwner,
    /// The vendor of an outsourced team.
    pub vendor: Option<String>,
    /// Platform staff choose; merchant staff always create in their own merchant.
    pub merchant_id: Option<i64>,
}

/// List teams in scope.
#[utoipa::path(get, path = "/api/v1/teams", tag = "organisation", params(ListParams),
    responses((status = 200, body = Page<Team>), (status = 401, body = ErrorBody)))]
pub async fn list_teams(
    State(state): State<AppState>,
    g: Gate<perm::TeamRead>,
    ApiQuery(q): ApiQuery<ListParams>,
) -> ApiResult<Json<Page<Team>>> {
    Ok(Json(state.store.list_teams(&g.scope, q.page()?).await?))
}

/// Create a team (客服组).
#[utoipa::path(post, path = "/api/v1/teams", tag = "organisation", request_body = CreateTeam,
    responses((status = 201, body = Team), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_team(
    State(state): State<AppState>,
    g: Gate<perm::TeamManage>,
    ApiJson(req): ApiJson<CreateTeam>,
) -> ApiResult<(StatusCode, Json<Team>)> {
    let vendor = req.vendor.as_deref().map(|v| validate_name("vendor", v)).transpose()?;
    let new = NewTeam {
        merchant_id: req.merchant_id,
        owner: req.owner,
        vendor,
        name: validate_name("name", &req.name)?,
    };
    Ok((StatusCode::CREATED, Json(state.store.create_team(&g.scope, &g.ctx, new).await?)))
}

/// One team.
#[utoipa::path(get, path = "/api/v1/teams/{id}", tag = "organisation", params(("id" = i64, Path)),
    responses((status = 200, body = Team), (status = 404, body = ErrorBody)))]
pub async fn get_team(
    State(state): State<AppState>,
    g: Gate<perm::TeamRead>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Team>> {
    Ok(Json(found(state.store.get_team(&g.scope, id).await?, "team")?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateDepartment {
    pub code: String,
    pub name: String,
    pub merchant_id: Option<i64>,
}

/// Departments in scope (a merchant also sees the platform's).
#[utoipa::path(get, path = "/api/v1/departments", tag = "organisation", params(ListParams),
    responses((status = 200, body = Page<Department>), (status = 401, body = ErrorBody)))]
pub async fn list_departments(
    State(state): State<AppState>,
    g: Gate<perm::DepartmentRead>,
    ApiQuery(q): ApiQuery<ListParams>,
) -> ApiResult<Json<Page<Department>>> {
    Ok(Json(state.store.list_departments(&g.scope, q.page()?).await?))
}

/// Create a department (产品/技术/物流/财务/法务 …).
#[utoipa::path(post, path = "/api/v1/departments", tag = "organisation", request_body = CreateDepartment,
    responses((status = 201, body = Department), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_department(
    State(state): State<AppState>,
    g: Gate<perm::DepartmentManage>,
    ApiJson(req): ApiJson<CreateDepartment>,
) -> ApiResult<(StatusCode, Json<Department>)> {
    let new = NewDepartment {
        merchant_id: req.merchant_id,
        code: validate_code("code", &req.code)?,
        name: validate_name("name", &req.name)?,
    };
    Ok((StatusCode::CREATED, Json(state.store.create_department(&g.scope, &g.ctx, new).await?)))
}

/// The platform security policy.
#[utoipa::path(get, path = "/api/v1/settings/security", tag = "security",
    responses((status = 200, body = SecuritySettings), (status = 403, body = ErrorBody)))]
pub async fn get_security(
    State(state): State<AppState>,
    _g: Gate<perm::SecurityManage>,
) -> ApiResult<Json<SecuritySettings>> {
    state.reload_security().await.map_err(ApiError::internal)?;
    Ok(Json(state.security.read().unwrap_or_else(|p| p.into_inner()).clone()))
}

/// Change the platform security policy (e.g. make TOTP mandatory for some roles).
#[utoipa::path(put, path = "/api/v1/settings/security", tag = "security", request_body = SecuritySettings,
    responses((status = 200, body = SecuritySettings), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_security(
    State(state): State<AppState>,
    g: Gate<perm::SecurityManage>,
    ApiJson(mut req): ApiJson<SecuritySettings>,
) -> ApiResult<Json<SecuritySettings>> {
    req.mandatory_totp_roles.sort();
    req.mandatory_totp_roles.dedup();
    let json = serde_json::to_string(&req).map_err(ApiError::internal)?;
    state.store.put_setting(&g.scope, &g.ctx, SECURITY_SETTING, &json).await?;
    state.reload_security().await.map_err(ApiError::internal)?;
    state.principals.clear();
    Ok(Json(req))
}
