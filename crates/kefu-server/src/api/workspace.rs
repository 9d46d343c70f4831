//! Around tickets: categories (分类), saved views (我的视图), the department task inbox (跨部门协作).

use super::ListParams;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, ErrorBody};
use crate::gate::{perm, Gate};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use kefu_core::authz::{role_permits, Action};
use kefu_core::org::{validate_code, validate_name};
use kefu_core::ErrorCode;
use kefu_store::{Category, DepartmentTask, NewCategory, NewSavedView, Page, SavedView, TicketFilter};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// The category tree: the platform's defaults and the merchant's own.
#[utoipa::path(get, path = "/api/v1/categories", tag = "tickets", responses((status = 200, body = Vec<Category>)))]
pub async fn list_categories(
    State(state): State<AppState>,
    g: Gate<perm::TicketRead>,
) -> ApiResult<Json<Vec<Category>>> {
    Ok(Json(state.store.list_categories(&g.scope).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCategory {
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    #[serde(default)]
    pub position: i64,
    pub merchant_id: Option<i64>,
}

/// Add a category (merchants add their own under or beside the platform's).
#[utoipa::path(post, path = "/api/v1/categories", tag = "tickets", request_body = CreateCategory,
    responses((status = 201, body = Category), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_category(
    State(state): State<AppState>,
    g: Gate<perm::TicketSupervise>,
    ApiJson(b): ApiJson<CreateCategory>,
) -> ApiResult<(StatusCode, Json<Category>)> {
    let new = NewCategory {
        merchant_id: b.merchant_id,
        code: validate_code("code", &b.code)?,
        name: validate_name("name", &b.name)?,
        parent_code: b.parent_code,
        position: b.position,
    };
    Ok((StatusCode::CREATED, Json(state.store.create_category(&g.scope, &g.ctx, new).await?)))
}

/// Personal views and the views shared in one's merchant (or platform).
#[utoipa::path(get, path = "/api/v1/views", tag = "tickets", responses((status = 200, body = Vec<SavedView>)))]
pub async fn list_views(
    State(state): State<AppState>,
    g: Gate<perm::TicketRead>,
) -> ApiResult<Json<Vec<SavedView>>> {
    Ok(Json(state.store.list_views(&g.scope, g.principal.user_id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateView {
    pub name: String,
    pub filters: TicketFilter,
    /// Share with everyone in the merchant (supervisors and above).
    #[serde(default)]
    pub shared: bool,
}

/// Save a view.
#[utoipa::path(post, path = "/api/v1/views", tag = "tickets", request_body = CreateView,
    responses((status = 201, body = SavedView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_view(
    State(state): State<AppState>,
    g: Gate<perm::TicketRead>,
    ApiJson(b): ApiJson<CreateView>,
) -> ApiResult<(StatusCode, Json<SavedView>)> {
    if b.shared && !role_permits(g.principal.role, Action::TicketSupervise) {
        return Err(ApiError::new(ErrorCode::Forbidden, "only supervisors and above share views"));
    }
    let new = NewSavedView {
        merchant_id: None,
        owner_id: (!b.shared).then_some(g.principal.user_id),
        name: validate_name("name", &b.name)?,
        filters: b.filters,
    };
    Ok((StatusCode::CREATED, Json(state.store.create_view(&g.scope, &g.ctx, new).await?)))
}

/// Delete one's own view (or a shared one, for supervisors).
#[utoipa::path(delete, path = "/api/v1/views/{id}", tag = "tickets", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_view(
    State(state): State<AppState>,
    g: Gate<perm::TicketRead>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    let views = state.store.list_views(&g.scope, g.principal.user_id).await?;
    let v = views.iter().find(|v| v.id == id).ok_or_else(|| ApiError::not_found("view"))?;
    if v.owner_id.is_none() && !role_permits(g.principal.role, Action::TicketSupervise) {
        return Err(ApiError::new(ErrorCode::Forbidden, "only supervisors and above delete shared views"));
    }
    state.store.delete_view(&g.scope, &g.ctx, id, g.principal.user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TaskQuery {
    pub department_id: Option<i64>,
    /// Only open tasks (default true).
    pub open: Option<bool>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// Department tasks (the inbox of product, technical, logistics, finance …).
#[utoipa::path(get, path = "/api/v1/department-tasks", tag = "tickets", params(TaskQuery),
    responses((status = 200, body = Page<DepartmentTask>)))]
pub async fn list_tasks(
    State(state): State<AppState>,
    g: Gate<perm::TicketRead>,
    ApiQuery(q): ApiQuery<TaskQuery>,
) -> ApiResult<Json<Page<DepartmentTask>>> {
    let page = ListParams { cursor: q.cursor, limit: q.limit }.page()?;
    Ok(Json(
        state.store.list_department_tasks(&g.scope, q.department_id, q.open.unwrap_or(true), page).await?,
    ))
}
