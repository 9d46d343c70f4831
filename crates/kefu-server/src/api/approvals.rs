//! Authority limits (权限额度) and approvals (审批), STAFF-5.
//!
//! A promise to a customer (赔付, 优惠券, 补偿性退款, 规则外退款) within the promiser's limit is recorded on the ticket
//! at once; above it, it becomes an approval request that someone else, whose own limit covers the amount,
//! approves or rejects. The rules (limits per role, who may decide) live in `kefu_core::authority`; these
//! handlers parse input, load the merchant's limits and let the store write each step in one transaction
//! with its audit record and the ticket's timeline entry.

use crate::api::ListParams;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, ErrorBody};
use crate::gate::{perm, Gate};
use crate::state::AppState;
use crate::tickets::{actor_of, TicketNotice};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use kefu_core::authority::{
    may_decide, needs_approval, validate_amount, ApprovalStatus, Approver, AuthorityLimits, Limit,
    PromiseKind, PromiseRequest,
};
use kefu_core::authz::{role_permits, Action, Principal, Scope};
use kefu_core::org::Role;
use kefu_core::ticket::{Actor, TicketEvent, TicketEventKind};
use kefu_core::{DomainError, ErrorCode};
use kefu_store::{
    Approval, ApprovalDecision, ApprovalFilter, ApprovalViewer, LimitsOwner, NewApproval, Page, StoredLimits,
    Ticket,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The longest summary of a promise and the longest decision note, in characters.
const MAX_TEXT: usize = 500;

fn bad(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::field(ErrorCode::Validation, field, message)
}

fn owner_of(merchant: Option<i64>) -> LimitsOwner {
    match merchant {
        Some(m) => LimitsOwner::Merchant(m),
        None => LimitsOwner::Platform,
    }
}

/// One kind of promise with the caller's own limit for it.
#[derive(Debug, Serialize, ToSchema)]
pub struct OwnLimit {
    pub kind: PromiseKind,
    /// 赔付, 优惠券 …
    pub label: String,
    pub limit: Limit,
}

/// The limits in force for a merchant (or the platform defaults), and the caller's own.
#[derive(Debug, Serialize, ToSchema)]
pub struct LimitsView {
    /// `None`: the platform defaults.
    pub merchant_id: Option<i64>,
    /// `merchant` (its own), `platform` (the platform's configured defaults) or `shipped` (built-in defaults).
    pub source: String,
    pub limits: AuthorityLimits,
    pub updated_at: Option<kefu_core::time::Millis>,
    /// The caller's role and their limit per kind (under these limits).
    pub role: Role,
    pub mine: Vec<OwnLimit>,
    /// Whether the caller may change these limits.
    pub may_edit: bool,
}

fn limits_view(p: &Principal, merchant_id: Option<i64>, stored: StoredLimits) -> LimitsView {
    let mine = PromiseKind::ALL
        .into_iter()
        .map(|k| OwnLimit { kind: k, label: k.label_zh().to_string(), limit: stored.limits.limit(k, p.role) })
        .collect();
    LimitsView {
        merchant_id,
        source: stored.source,
        limits: stored.limits,
        updated_at: stored.updated_at,
        role: p.role,
        mine,
        may_edit: role_permits(p.role, Action::AuthorityManage),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LimitsQuery {
    /// Platform staff: the merchant whose limits to show (none: the platform defaults).
    pub merchant_id: Option<i64>,
}

/// The authority limits (权限额度) in force: the caller's merchant's (its own, else the platform defaults),
/// with the caller's own limit for each kind of promise.
#[utoipa::path(get, path = "/api/v1/authority-limits", tag = "approvals", params(LimitsQuery),
    responses((status = 200, body = LimitsView), (status = 404, body = ErrorBody)))]
pub async fn get_limits(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiQuery(q): ApiQuery<LimitsQuery>,
) -> ApiResult<Json<LimitsView>> {
    let merchant = g.scope.owner_for_new(q.merchant_id)?;
    let stored = state.store.authority_limits(&g.scope, owner_of(merchant)).await?;
    Ok(Json(limits_view(&g.principal, merchant, stored)))
}

/// New limits for a merchant, or (platform staff without `merchant_id`) for the platform defaults.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutLimits {
    pub merchant_id: Option<i64>,
    pub limits: AuthorityLimits,
}

/// Set the authority limits. Every amount is in fen, 0 up to 1 亿元, and a higher role never has a lower limit
/// than the role below it; the error names the field (e.g. `limits.coupon.supervisor`).
#[utoipa::path(put, path = "/api/v1/authority-limits", tag = "approvals", request_body = PutLimits,
    responses((status = 200, body = LimitsView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_limits(
    State(state): State<AppState>,
    g: Gate<perm::AuthorityManage>,
    ApiJson(b): ApiJson<PutLimits>,
) -> ApiResult<Json<LimitsView>> {
    let merchant = g.scope.owner_for_new(b.merchant_id)?;
    b.limits.validate().map_err(|e| {
        let field = e.field.as_deref().map(|f| format!("limits.{f}")).unwrap_or_else(|| "limits".into());
        bad(&field, e.message)
    })?;
    let stored = state.store.set_authority_limits(&g.scope, &g.ctx, owner_of(merchant), &b.limits).await?;
    Ok(Json(limits_view(&g.principal, merchant, stored)))
}

/// A promise to the customer of a ticket.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPromise {
    /// `compensation` (赔付), `coupon` (优惠券), `goodwill_refund` (补偿性退款) or `refund_outside_rules` (规则外退款).
    pub kind: String,
    /// In fen (分): 1 up to 1 亿元.
    pub amount_fen: i64,
    /// What is promised and why (1 to 500 characters).
    pub summary: String,
}

/// What became of a promise.
#[derive(Debug, Serialize, ToSchema)]
pub struct PromiseOutcome {
    /// `recorded` (within the caller's limit, on the ticket now) or `pending_approval`.
    pub outcome: String,
    pub kind: PromiseKind,
    pub amount_fen: i64,
    /// The caller's own limit for this kind.
    pub limit: Limit,
    /// The approval request, when one was needed.
    pub approval: Option<Approval>,
}

fn publish(state: &AppState, ticket: &Option<(Ticket, Vec<TicketEvent>)>) {
    if let Some((t, events)) = ticket {
        let _ = state.ticket_events.send(TicketNotice {
            ticket_id: t.id,
            merchant_id: t.merchant_id,
            version: t.version,
            events: events.iter().map(|e| e.kind.name().to_string()).collect(),
        });
    }
}

fn clean_text(field: &str, text: &str, required: bool) -> ApiResult<String> {
    let t = text.trim();
    if required && t.is_empty() {
        return Err(bad(field, format!("{field} must not be empty")));
    }
    if t.chars().count() > MAX_TEXT {
        return Err(bad(field, format!("{field} must be at most {MAX_TEXT} characters")));
    }
    Ok(t.to_string())
}

/// Make a promise (承诺) to the customer of a ticket. Within the caller's authority limit for the kind (exactly
/// at the limit included) it is recorded on the ticket at once (`recorded`); above it an approval request is
/// created (`pending_approval`), shown on the ticket, and those who may decide it are notified.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/promises", tag = "approvals", params(("id" = i64, Path)),
    request_body = NewPromise,
    responses((status = 201, body = PromiseOutcome), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn promise(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<NewPromise>,
) -> ApiResult<(StatusCode, Json<PromiseOutcome>)> {
    let kind = PromiseKind::parse(b.kind.trim())?;
    let amount_fen = validate_amount(b.amount_fen)?;
    let summary = clean_text("summary", &b.summary, true)?;
    let ticket = crate::api::found(state.store.get_ticket(&g.scope, id).await?, "ticket")?;
    let limits = state.store.authority_limits(&g.scope, owner_of(ticket.state.merchant_id)).await?.limits;
    let role = g.principal.role;
    let request =
        PromiseRequest { kind, amount_fen, requester_id: g.principal.user_id, requester_role: role };
    let limit = limits.limit(kind, role);
    let actor = actor_of(&g.principal);
    if !needs_approval(&request, &limits, role) {
        let event = TicketEvent {
            at: g.ctx.now,
            actor,
            kind: TicketEventKind::PromiseRecorded { kind, amount_fen, approval_id: None, summary },
        };
        let done = state.store.record_promise(&g.scope, &g.ctx, id, event).await?;
        publish(&state, &Some(done));
        let outcome = PromiseOutcome { outcome: "recorded".into(), kind, amount_fen, limit, approval: None };
        return Ok((StatusCode::CREATED, Json(outcome)));
    }
    // Merchant staff who could decide it are told; the platform's admins decide only when asked.
    let notify_roles = Role::ALL
        .into_iter()
        .filter(|r| {
            role_permits(*r, Action::ApprovalDecide)
                && !r.is_platform_only()
                && limits.limit(kind, *r).covers(amount_fen)
        })
        .collect();
    let new = NewApproval {
        ticket_id: id,
        requester_id: g.principal.user_id,
        requester_role: role,
        kind,
        amount_fen,
        reason: summary.clone(),
        notify_roles,
    };
    let now = g.ctx.now;
    let build = move |approval_id: i64| TicketEvent {
        at: now,
        actor: actor.clone(),
        kind: TicketEventKind::ApprovalRequested { approval_id, kind, amount_fen, reason: summary.clone() },
    };
    let w = state.store.request_approval(&g.scope, &g.ctx, new, &build).await?;
    publish(&state, &w.ticket);
    let outcome = PromiseOutcome {
        outcome: "pending_approval".into(),
        kind,
        amount_fen,
        limit,
        approval: Some(w.approval),
    };
    Ok((StatusCode::CREATED, Json(outcome)))
}

/// An approval request with what the caller may do with it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApprovalView {
    #[serde(flatten)]
    pub approval: Approval,
    /// The caller may approve or reject it now.
    pub can_decide: bool,
    /// The caller (its requester) may cancel it now.
    pub can_cancel: bool,
}

fn request_of(a: &Approval) -> PromiseRequest {
    PromiseRequest {
        kind: a.kind,
        amount_fen: a.amount_fen,
        requester_id: a.requester_id,
        requester_role: a.requester_role,
    }
}

fn view(p: &Principal, limits: &AuthorityLimits, a: Approval) -> ApprovalView {
    let pending = a.status == ApprovalStatus::Pending;
    let can_decide = pending
        && role_permits(p.role, Action::ApprovalDecide)
        && may_decide(Approver { user_id: p.user_id, role: p.role }, &request_of(&a), limits).is_ok();
    let can_cancel = pending && a.requester_id == p.user_id;
    ApprovalView { approval: a, can_decide, can_cancel }
}

/// The limits a principal's decisions are judged by: their own merchant's (platform staff are unlimited).
async fn viewer_limits(state: &AppState, scope: &Scope, p: &Principal) -> ApiResult<AuthorityLimits> {
    Ok(state.store.authority_limits(scope, owner_of(p.merchant_id)).await?.limits)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ApprovalQuery {
    /// `pending`, `approved`, `rejected` or `cancelled`.
    pub status: Option<String>,
    /// The requests of one ticket (all of them, whoever asked).
    pub ticket_id: Option<i64>,
    /// Only the caller's own requests.
    pub mine: Option<bool>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<i64>,
}

/// The approval inbox (审批), newest first: the requests the caller may decide (within their own limit) and
/// the caller's own requests; with `ticket_id`, every request of that ticket.
#[utoipa::path(get, path = "/api/v1/approvals", tag = "approvals", params(ApprovalQuery),
    responses((status = 200, body = Page<ApprovalView>), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiQuery(q): ApiQuery<ApprovalQuery>,
) -> ApiResult<Json<Page<ApprovalView>>> {
    let page = ListParams { cursor: q.cursor, limit: q.limit }.page()?;
    let status = q.status.as_deref().filter(|s| !s.is_empty()).map(ApprovalStatus::parse).transpose()?;
    let limits = viewer_limits(&state, &g.scope, &g.principal).await?;
    let p = &g.principal;
    let decidable = if q.mine != Some(true) && role_permits(p.role, Action::ApprovalDecide) {
        PromiseKind::ALL.into_iter().map(|k| (k, limits.limit(k, p.role))).collect()
    } else {
        Vec::new()
    };
    let viewer = match (q.ticket_id, q.mine) {
        (Some(_), mine) if mine != Some(true) => None,
        _ => Some(ApprovalViewer { user_id: p.user_id, decidable }),
    };
    let f = ApprovalFilter { status, ticket_id: q.ticket_id, viewer };
    let found = state.store.list_approvals(&g.scope, &f, page).await?;
    Ok(Json(Page {
        items: found.items.into_iter().map(|a| view(p, &limits, a)).collect(),
        next_cursor: found.next_cursor,
    }))
}

/// One approval request.
#[utoipa::path(get, path = "/api/v1/approvals/{id}", tag = "approvals", params(("id" = i64, Path)),
    responses((status = 200, body = ApprovalView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ApprovalView>> {
    let a = crate::api::found(state.store.get_approval(&g.scope, id).await?, "approval")?;
    let limits = viewer_limits(&state, &g.scope, &g.principal).await?;
    Ok(Json(view(&g.principal, &limits, a)))
}

/// A decision's note: why (required to reject, up to 500 characters).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    #[serde(default)]
    pub note: String,
}

async fn decide(
    state: &AppState,
    g: &Gate<perm::ApprovalDecide>,
    id: i64,
    approved: bool,
    note: String,
) -> ApiResult<Json<ApprovalView>> {
    let a = crate::api::found(state.store.get_approval(&g.scope, id).await?, "approval")?;
    // Judged by the limits of the request's merchant (the decider's own, for merchant staff).
    let limits = state.store.authority_limits(&g.scope, owner_of(a.merchant_id)).await?.limits;
    let approver = Approver { user_id: g.principal.user_id, role: g.principal.role };
    let check = move |cur: &Approval| may_decide(approver, &request_of(cur), &limits);
    let actor = actor_of(&g.principal);
    let mut events = vec![TicketEvent {
        at: g.ctx.now,
        actor,
        kind: TicketEventKind::ApprovalDecided { approval_id: id, approved, note: note.clone() },
    }];
    if approved {
        // The promise is the requester's, made now that it is approved.
        events.push(TicketEvent {
            at: g.ctx.now,
            actor: Actor::Staff { user_id: a.requester_id, role: a.requester_role },
            kind: TicketEventKind::PromiseRecorded {
                kind: a.kind,
                amount_fen: a.amount_fen,
                approval_id: Some(id),
                summary: a.reason.clone(),
            },
        });
    }
    let status = if approved { ApprovalStatus::Approved } else { ApprovalStatus::Rejected };
    let decision = ApprovalDecision { status, note, ticket_events: events };
    let w = state.store.decide_approval(&g.scope, &g.ctx, id, &check, decision).await?;
    publish(state, &w.ticket);
    let limits = viewer_limits(state, &g.scope, &g.principal).await?;
    Ok(Json(view(&g.principal, &limits, w.approval)))
}

/// Approve a pending request: the decision and then the promise go on the ticket. Never by the requester, and
/// only by someone whose own limit covers the amount (403 saying why); a request already decided is 409.
#[utoipa::path(post, path = "/api/v1/approvals/{id}/approve", tag = "approvals", params(("id" = i64, Path)),
    request_body = DecisionBody,
    responses((status = 200, body = ApprovalView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn approve(
    State(state): State<AppState>,
    g: Gate<perm::ApprovalDecide>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<DecisionBody>,
) -> ApiResult<Json<ApprovalView>> {
    let note = clean_text("note", &b.note, false)?;
    decide(&state, &g, id, true, note).await
}

/// Reject a pending request, saying why (`note` required). The same rules as approving.
#[utoipa::path(post, path = "/api/v1/approvals/{id}/reject", tag = "approvals", params(("id" = i64, Path)),
    request_body = DecisionBody,
    responses((status = 200, body = ApprovalView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reject(
    State(state): State<AppState>,
    g: Gate<perm::ApprovalDecide>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<DecisionBody>,
) -> ApiResult<Json<ApprovalView>> {
    let note = clean_text("note", &b.note, true)?;
    decide(&state, &g, id, false, note).await
}

/// Withdraw one's own pending request (the note is optional). Only the requester may; a request already
/// decided is 409.
#[utoipa::path(post, path = "/api/v1/approvals/{id}/cancel", tag = "approvals", params(("id" = i64, Path)),
    request_body = DecisionBody,
    responses((status = 200, body = ApprovalView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn cancel(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<DecisionBody>,
) -> ApiResult<Json<ApprovalView>> {
    let note = clean_text("note", &b.note, false)?;
    let me = g.principal.user_id;
    let check = move |cur: &Approval| {
        if cur.requester_id == me {
            Ok(())
        } else {
            Err(DomainError::new(ErrorCode::Forbidden, "only the requester may cancel an approval request"))
        }
    };
    let decision = ApprovalDecision { status: ApprovalStatus::Cancelled, note, ticket_events: Vec::new() };
    let w = state.store.decide_approval(&g.scope, &g.ctx, id, &check, decision).await?;
    let limits = viewer_limits(&state, &g.scope, &g.principal).await?;
    Ok(Json(view(&g.principal, &limits, w.approval)))
}
