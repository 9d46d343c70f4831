//! Quick replies (快捷回复): standard replies of a merchant, a team or one agent, with variables filled in
//! for a ticket.

use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, ErrorBody};
use crate::gate::{perm, Gate, Perm};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use kefu_core::authz::{role_permits, Action, Scope};
use kefu_core::ErrorCode;
use kefu_store::{QuickReply, QuickReplySpec};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The variables a quick reply may use.
pub const VARIABLES: [&str; 4] = ["{客户称呼}", "{订单号}", "{客服昵称}", "{工单号}"];

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct QuickReplyQuery {
    /// Text to look for in the title, body or shortcut.
    pub q: Option<String>,
}

/// The quick replies I may use: mine, my team's and my merchant's (platform staff: the platform's).
#[utoipa::path(get, path = "/api/v1/quick-replies", tag = "tickets", params(QuickReplyQuery),
    responses((status = 200, body = Vec<QuickReply>), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    g: Gate<perm::TicketRead>,
    ApiQuery(q): ApiQuery<QuickReplyQuery>,
) -> ApiResult<Json<Vec<QuickReply>>> {
    let me = state.store.get_user(&Scope::operator(Action::UserRead), g.principal.user_id).await?;
    let team = me.and_then(|u| u.team_id);
    let q = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty());
    Ok(Json(
        state
            .store
            .list_quick_replies(&g.scope, g.principal.user_id, g.principal.merchant_id, team, q)
            .await?,
    ))
}

/// A quick reply as created or replaced.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuickReplyInput {
    pub title: String,
    /// May use {客户称呼}, {订单号}, {客服昵称}, {工单号}.
    pub body: String,
    /// E.g. `/退款`: typed in the reply box to insert it.
    pub shortcut: Option<String>,
    #[serde(default)]
    pub position: i64,
    /// Shared with the merchant (or with `team_id`'s team) instead of personal; needs ticket supervision.
    #[serde(default)]
    pub shared: bool,
    pub team_id: Option<i64>,
    /// Platform staff may name a merchant.
    pub merchant_id: Option<i64>,
}

fn check(input: &QuickReplyInput) -> ApiResult<()> {
    let title = input.title.trim();
    if title.is_empty() || title.chars().count() > 50 {
        return Err(ApiError::field(ErrorCode::Validation, "title", "the title must be 1-50 characters"));
    }
    let body = input.body.trim();
    if body.is_empty() || body.chars().count() > 2000 {
        return Err(ApiError::field(ErrorCode::Validation, "body", "the reply must be 1-2000 characters"));
    }
    if let Some(s) = &input.shortcut {
        let n = s.chars().count();
        if !s.starts_with('/') || !(2..=20).contains(&n) || s.chars().any(char::is_whitespace) {
            return Err(ApiError::field(
                ErrorCode::Validation,
                "shortcut",
                "a shortcut starts with '/' and has 2-20 characters without spaces, e.g. /退款",
            ));
        }
    }
    Ok(())
}

fn may_share<P: Perm>(g: &Gate<P>) -> ApiResult<()> {
    if role_permits(g.principal.role, Action::TicketSupervise) {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::Forbidden,
            "shared quick replies are edited by supervisors; yours can be personal",
        ))
    }
}

fn spec(g: &Gate<perm::TicketWork>, input: QuickReplyInput) -> QuickReplySpec {
    let shared = input.shared || input.team_id.is_some();
    QuickReplySpec {
        merchant_id: input.merchant_id.or(g.principal.merchant_id),
        team_id: input.team_id,
        owner_id: (!shared).then_some(g.principal.user_id),
        title: input.title.trim().to_string(),
        body: input.body.trim().to_string(),
        shortcut: input.shortcut,
        position: input.position,
    }
}

/// Add a quick reply: personal by default, shared (merchant or team) for supervisors.
#[utoipa::path(post, path = "/api/v1/quick-replies", tag = "tickets", request_body = QuickReplyInput,
    responses((status = 201, body = QuickReply), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiJson(input): ApiJson<QuickReplyInput>,
) -> ApiResult<(StatusCode, Json<QuickReply>)> {
    check(&input)?;
    if input.shared || input.team_id.is_some() {
        may_share(&g)?;
    }
    let spec = spec(&g, input);
    Ok((StatusCode::CREATED, Json(state.store.create_quick_reply(&g.scope, &g.ctx, spec).await?)))
}

/// Someone else's personal reply is not found; a shared one needs supervision to change.
async fn editable(state: &AppState, g: &Gate<perm::TicketWork>, id: i64) -> ApiResult<QuickReply> {
    let r =
        state.store.get_quick_reply(&g.scope, id).await?.ok_or_else(|| ApiError::not_found("quick reply"))?;
    match r.owner_id {
        Some(owner) if owner != g.principal.user_id => Err(ApiError::not_found("quick reply")),
        Some(_) => Ok(r),
        None => {
            may_share(g)?;
            Ok(r)
        }
    }
}

/// Replace a quick reply (its merchant and owner stay).
#[utoipa::path(put, path = "/api/v1/quick-replies/{id}", tag = "tickets", params(("id" = i64, Path)), request_body = QuickReplyInput,
    responses((status = 200, body = QuickReply), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<QuickReplyInput>,
) -> ApiResult<Json<QuickReply>> {
    let before = editable(&state, &g, id).await?;
    check(&input)?;
    let mut s = spec(&g, input);
    if before.owner_id.is_some() {
        s.team_id = None;
    }
    Ok(Json(state.store.update_quick_reply(&g.scope, &g.ctx, id, s).await?))
}

/// Delete a quick reply.
#[utoipa::path(delete, path = "/api/v1/quick-replies/{id}", tag = "tickets", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    editable(&state, &g, id).await?;
    state.store.delete_quick_reply(&g.scope, &g.ctx, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RenderQuery {
    /// The ticket whose customer, order and number fill the variables.
    pub ticket_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Rendered {
    pub body: String,
}

/// A quick reply with its variables filled in for a ticket: {客户称呼} (the customer's name, else 亲),
/// {订单号} (the ticket's first linked order), {客服昵称} (my display name), {工单号}.
#[utoipa::path(get, path = "/api/v1/quick-replies/{id}/render", tag = "tickets", params(("id" = i64, Path), RenderQuery),
    responses((status = 200, body = Rendered), (status = 404, body = ErrorBody)))]
pub async fn render(
    State(state): State<AppState>,
    g: Gate<perm::TicketRead>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<RenderQuery>,
) -> ApiResult<Json<Rendered>> {
    let r =
        state.store.get_quick_reply(&g.scope, id).await?.ok_or_else(|| ApiError::not_found("quick reply"))?;
    if r.owner_id.is_some_and(|o| o != g.principal.user_id) {
        return Err(ApiError::not_found("quick reply"));
    }
    let me = state.store.get_user(&Scope::operator(Action::UserRead), g.principal.user_id).await?;
    let agent = me.map(|u| u.display_name).unwrap_or_else(|| g.principal.username.clone());
    let (mut customer, mut order, mut number) = ("亲".to_string(), String::new(), String::new());
    if let Some(t) = q.ticket_id {
        let rec = crate::tickets::load(&state, &g.scope, t).await.map_err(|_| {
            ApiError::field(ErrorCode::Validation, "ticket_id", format!("ticket {t} does not exist"))
        })?;
        number = rec.ticket.number.clone();
        order = rec.ticket.order_numbers.first().cloned().unwrap_or_default();
        if let Some(c) = rec.ticket.customer_id {
            let read = Scope::operator(Action::CustomerRead);
            if let Ok(Some(c)) = state.store.get_customer(&read, c).await {
                if !c.display_name.trim().is_empty() {
                    customer = c.display_name;
                }
            }
        }
    }
    let body = r
        .body
        .replace("{客户称呼}", &customer)
        .replace("{订单号}", &order)
        .replace("{客服昵称}", &agent)
        .replace("{工单号}", &number);
    Ok(Json(Rendered { body }))
}
