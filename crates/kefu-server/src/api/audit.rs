//! The audit log (审计日志), newest first, with filters.

use crate::error::{ApiError, ApiQuery, ApiResult, ErrorBody};
use crate::gate::{perm, Gate};
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use kefu_core::audit::AuditRecord;
use kefu_core::time::Millis;
use kefu_core::ErrorCode;
use kefu_store::{AuditFilter, Page, PageReq};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    pub actor_id: Option<i64>,
    /// e.g. `user.create`, `auth.login_failed`.
    pub action: Option<String>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    /// RFC 3339, inclusive.
    pub from: Option<String>,
    /// RFC 3339, exclusive.
    pub to: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

fn instant(field: &str, v: &Option<String>) -> ApiResult<Option<Millis>> {
    v.as_deref()
        .map(|s| {
            Millis::parse_rfc3339(s).ok_or_else(|| {
                ApiError::field(
                    ErrorCode::BadRequest,
                    field,
                    format!("{field} must be an RFC 3339 time such as 2026-11-01T00:00:00+08:00"),
                )
            })
        })
        .transpose()
}

/// Query the audit trail (platform: everything; merchant: its own records).
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = Page<AuditRecord>), (status = 403, body = ErrorBody)))]
pub async fn list_audit(
    State(state): State<AppState>,
    g: Gate<perm::AuditRead>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Page<AuditRecord>>> {
    let page = super::ListParams { cursor: q.cursor.clone(), limit: q.limit }.page()?;
    let filter = AuditFilter {
        actor_id: q.actor_id,
        action: q.action.clone(),
        object_type: q.object_type.clone(),
        object_id: q.object_id.clone(),
        from: instant("from", &q.from)?,
        to: instant("to", &q.to)?,
    };
    let page = PageReq { after: page.after, limit: page.limit };
    Ok(Json(state.store.list_audit(&g.scope, filter, page).await?))
}
