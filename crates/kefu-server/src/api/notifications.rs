//! Notifications (通知): what someone must act on — tickets assigned or transferred to them or their
//! team, escalations to their tier, department tasks for their department, chats offered to them, and
//! SLA warnings and breaches of tickets they hold (or, when nobody holds one, its team or tier).

use super::ListParams;
use crate::error::{ApiError, ApiPath, ApiQuery, ApiResult, ErrorBody};
use crate::gate::{perm, Gate};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use kefu_core::authz::{Action, Scope};
use kefu_core::ticket::tiers_handled;
use kefu_store::{Notification, Page, Recipient};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

async fn recipient(state: &AppState, g: &Gate<perm::SelfService>) -> ApiResult<Recipient> {
    let u = state
        .store
        .get_user(&Scope::operator(Action::UserRead), g.principal.user_id)
        .await?
        .ok_or_else(|| ApiError::unauthenticated("the account no longer exists"))?;
    Ok(Recipient {
        user_id: u.id,
        merchant_id: u.merchant_id,
        team_id: u.team_id,
        department_id: u.department_id,
        tiers: tiers_handled(g.principal.role).iter().map(|t| t.as_str().to_string()).collect(),
    })
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NotificationQuery {
    /// Only unread ones.
    #[serde(default)]
    pub unread: bool,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// My notifications, newest first.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "tickets", params(NotificationQuery),
    responses((status = 200, body = Page<Notification>), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    g: Gate<perm::SelfService>,
    ApiQuery(q): ApiQuery<NotificationQuery>,
) -> ApiResult<Json<Page<Notification>>> {
    let page = ListParams { cursor: q.cursor, limit: q.limit }.page()?;
    let who = recipient(&state, &g).await?;
    Ok(Json(state.store.list_notifications(&who, q.unread, page).await?))
}

/// Mark one of my notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "tickets", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn read(
    State(state): State<AppState>,
    g: Gate<perm::SelfService>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    let who = recipient(&state, &g).await?;
    state.store.mark_notification_read(&who, id, g.ctx.now).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// How many notifications 全部已读 marked.
#[derive(Serialize, ToSchema)]
pub struct MarkedRead {
    pub marked: u64,
}

/// Mark all my notifications read (全部已读).
#[utoipa::path(post, path = "/api/v1/notifications/read-all", tag = "tickets",
    responses((status = 200, body = MarkedRead), (status = 401, body = ErrorBody)))]
pub async fn read_all(
    State(state): State<AppState>,
    g: Gate<perm::SelfService>,
) -> ApiResult<Json<MarkedRead>> {
    let who = recipient(&state, &g).await?;
    let marked = state.store.mark_all_notifications_read(&who, g.ctx.now).await?;
    Ok(Json(MarkedRead { marked }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct WaitQuery {
    /// The newest notification id the client has; only newer ones are returned.
    #[serde(default)]
    pub since: i64,
    /// Wait up to this many seconds for one to arrive (0–30, default 0: answer at once).
    #[serde(default)]
    pub wait_secs: u64,
}

/// New notifications since `since`, newest first, answered as soon as one exists (long polling): a
/// change on this node wakes the request at once, other nodes' within a second.
#[utoipa::path(get, path = "/api/v1/notifications/wait", tag = "tickets", params(WaitQuery),
    responses((status = 200, body = Vec<Notification>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn wait(
    State(state): State<AppState>,
    g: Gate<perm::SelfService>,
    ApiQuery(q): ApiQuery<WaitQuery>,
) -> ApiResult<Json<Vec<Notification>>> {
    if q.wait_secs > 30 {
        return Err(ApiError::field(
            kefu_core::ErrorCode::BadRequest,
            "wait_secs",
            "wait_secs must be between 0 and 30",
        ));
    }
    let who = recipient(&state, &g).await?;
    let mut bus = state.ticket_events.subscribe();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(q.wait_secs);
    loop {
        let page = state
            .store
            .list_notifications(&who, false, kefu_store::PageReq { after: None, limit: 50 })
            .await?;
        let fresh: Vec<Notification> = page.items.into_iter().filter(|n| n.id > q.since).collect();
        if !fresh.is_empty() || tokio::time::Instant::now() >= deadline {
            return Ok(Json(fresh));
        }
        let tick = (tokio::time::Instant::now() + std::time::Duration::from_secs(1)).min(deadline);
        tokio::select! {
            _ = bus.recv() => {}
            _ = tokio::time::sleep_until(tick) => {}
        }
    }
}
