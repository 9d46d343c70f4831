//! After-sales cases (售后单, EC-2/EC-3): opened from a ticket for order items after the eligibility
//! check, then moved through the case state machine one command per endpoint. Handlers only parse and
//! check input; the rules live in `kefu_core::aftersales` and the one write path in `crate::aftersales`.

use crate::aftersales::{self as service, with_limit};
use crate::api::ListParams;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, ErrorBody};
use crate::gate::{perm, Gate};
use crate::state::AppState;
use crate::tickets::actor_of;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use kefu_core::aftersales::case::{CaseActor, CaseCommand, CaseStatus};
use kefu_core::aftersales::eligibility::{evaluate, AfterSalesRequest, ItemFacts, Outcome, Verdict};
use kefu_core::aftersales::{AfterSalesKind, Reason};
use kefu_core::calendar::{BusinessCalendar, WeeklyHours};
use kefu_core::ErrorCode;
use kefu_store::{AfterSalesCase, CaseEntry, CaseFilter, CaseItem, CaseProof, CaseVerdict, NewCase, Page};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use utoipa::{IntoParams, ToSchema};

/// Items per case, proofs per case.
const MAX_ITEMS: usize = 50;
const MAX_PROOFS: usize = 20;

/// One order item asked about.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemRequest {
    pub sku: String,
    /// 1 up to the quantity ordered.
    pub quantity: i64,
}

/// A customer's after-sales request, as the agent records it from the conversation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCase {
    pub order_id: i64,
    /// The ticket that carries the conversation; the case's steps appear in its timeline.
    pub ticket_id: i64,
    pub kind: AfterSalesKind,
    pub reason: Reason,
    pub items: Vec<ItemRequest>,
    /// Evidence: attachments of the ticket, each with what it proves.
    #[serde(default)]
    pub proofs: Vec<CaseProof>,
    /// The customer's own words (up to 2000 characters).
    #[serde(default)]
    pub description: String,
    /// The refund asked for, in fen; by default the items' price (at most what was paid). Zero for
    /// exchange and repair.
    pub amount_fen: Option<i64>,
    /// Open the case although the verdict is "not eligible" (a goodwill exception, 特殊处理): it is
    /// marked as needing review.
    #[serde(default)]
    pub goodwill: bool,
    /// Platform staff may name the merchant; it must be the order's.
    pub merchant_id: Option<i64>,
}

/// A case with its event log.
#[derive(Debug, Serialize, ToSchema)]
pub struct CaseDetail {
    #[serde(flatten)]
    pub case: AfterSalesCase,
    pub events: Vec<CaseEntry>,
}

fn bad(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::field(ErrorCode::Validation, field, message)
}

/// The strictest verdict of the items decides (not eligible > needs review > eligible).
fn rank(o: Outcome) -> u8 {
    match o {
        Outcome::Eligible => 0,
        Outcome::NeedsReview => 1,
        Outcome::NotEligible => 2,
    }
}

/// Open an after-sales case for order items. The eligibility engine judges each item (seven-day
/// no-reason return from the day after sign-for, exclusions, quality problems, proofs); a "not eligible"
/// verdict is refused with the rule's explanation and legal basis, unless the request is a goodwill
/// exception, which is opened marked `needs_review`. The verdict is kept on the case.
#[utoipa::path(post, path = "/api/v1/aftersales", tag = "aftersales", request_body = CreateCase,
    responses((status = 201, body = AfterSalesCase), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    g: Gate<perm::AftersalesWork>,
    ApiJson(b): ApiJson<CreateCase>,
) -> ApiResult<(StatusCode, Json<AfterSalesCase>)> {
    let case = open_request(&state, &g.scope, &g.ctx, b, &actor_of(&g.principal)).await?;
    Ok((StatusCode::CREATED, Json(case)))
}

/// Check a request and open its case: the one path for agents (above) and for the customer's own
/// after-sales page (`api::aftersales_page`, in the merchant's channel scope). `actor` is who the
/// ticket's timeline names.
pub async fn open_request(
    state: &AppState,
    scope: &kefu_core::authz::Scope,
    ctx: &kefu_store::AuditCtx,
    b: CreateCase,
    actor: &kefu_core::ticket::Actor,
) -> ApiResult<AfterSalesCase> {
    let owner = scope.owner_for_new(b.merchant_id)?;
    let order = crate::api::found(state.store.get_order(scope, b.order_id).await?, "order")?;
    if owner.is_some_and(|m| m != order.merchant_id) {
        return Err(bad("merchant_id", format!("order {} belongs to another merchant", order.order_no)));
    }
    if b.items.is_empty() || b.items.len() > MAX_ITEMS {
        return Err(bad("items", format!("name 1 to {MAX_ITEMS} items of the order")));
    }
    if b.proofs.len() > MAX_PROOFS {
        return Err(bad("proofs", format!("at most {MAX_PROOFS} proofs")));
    }
    let description = b.description.trim().to_string();
    if description.chars().count() > 2000 {
        return Err(bad("description", "description must be at most 2000 characters"));
    }
    let proof_kinds: Vec<_> = b.proofs.iter().map(|p| p.kind).collect();
    // Day counting follows the statutory holidays and make-up workdays (the shipped PRC schedule).
    let cal = BusinessCalendar::china(WeeklyHours::always_open());
    let mut seen = HashSet::new();
    let mut items = Vec::with_capacity(b.items.len());
    let mut worth = 0i64;
    let mut verdict: Option<Verdict> = None;
    for (i, it) in b.items.iter().enumerate() {
        let Some(oi) = order.items.iter().find(|o| o.sku == it.sku) else {
            return Err(bad(
                &format!("items[{i}].sku"),
                format!("order {} has no item {}", order.order_no, it.sku),
            ));
        };
        if !seen.insert(it.sku.as_str()) {
            return Err(bad(&format!("items[{i}].sku"), format!("item {} appears twice", it.sku)));
        }
        if !(1..=oi.quantity).contains(&it.quantity) {
            return Err(bad(
                &format!("items[{i}].quantity"),
                format!("quantity must be between 1 and {} (the quantity ordered)", oi.quantity),
            ));
        }
        worth = worth.saturating_add(oi.price_fen.saturating_mul(it.quantity));
        let facts = ItemFacts { shipped_at: order.shipped_at, signed_at: order.signed_at, flags: oi.flags };
        let req =
            AfterSalesRequest { kind: b.kind, reason: b.reason, at: ctx.now, proofs: proof_kinds.clone() };
        let policy = crate::aftersales::return_policy(
            state,
            order.merchant_id,
            oi.category.as_deref(),
            order.customer_id,
        )
        .await;
        let v = evaluate(&cal, &policy, &facts, &req);
        if verdict.as_ref().is_none_or(|w| rank(v.outcome) > rank(w.outcome)) {
            verdict = Some(v);
        }
        items.push(CaseItem { sku: oi.sku.clone(), name: oi.name.clone(), quantity: it.quantity });
    }
    let verdict = verdict.ok_or_else(|| bad("items", "name at least one item"))?;
    if verdict.outcome == Outcome::NotEligible && !b.goodwill {
        return Err(bad(
            "items",
            format!(
                "不符合{}条件（{}）：{} 依据：{}",
                b.kind.label(),
                verdict.rule,
                verdict.explanation,
                verdict.basis
            ),
        ));
    }
    let refundable = if b.kind == AfterSalesKind::Exchange || b.kind == AfterSalesKind::Repair {
        0
    } else {
        worth.min(order.paid_fen.max(0))
    };
    let amount_fen = b.amount_fen.unwrap_or(refundable);
    if !(0..=refundable).contains(&amount_fen) {
        return Err(bad(
            "amount_fen",
            format!("amount_fen must be between 0 and {refundable} for these items"),
        ));
    }
    let new = NewCase {
        merchant_id: order.merchant_id,
        customer_id: order.customer_id,
        order_id: order.id,
        ticket_id: Some(b.ticket_id),
        kind: b.kind,
        reason: b.reason,
        description,
        items,
        proofs: b.proofs,
        verdict: CaseVerdict {
            outcome: verdict.outcome,
            rule: verdict.rule.to_string(),
            basis: verdict.basis.to_string(),
            explanation: verdict.explanation.clone(),
        },
        goodwill: b.goodwill && verdict.outcome == Outcome::NotEligible,
        needs_review: verdict.outcome != Outcome::Eligible,
        amount_fen,
    };
    let request = CaseCommand::Request {
        kind: b.kind,
        reason: b.reason,
        amount_fen,
        goods_shipped: order.shipped_at.is_some(),
        verdict_rule: verdict.rule.to_string(),
    };
    let w = service::open(state, scope, ctx, new, request, actor).await?;
    Ok(with_limit(w.case))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CaseQuery {
    pub status: Option<CaseStatus>,
    pub order_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub ticket_id: Option<i64>,
    /// Platform staff may narrow to one merchant.
    pub merchant_id: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<i64>,
}

/// Find after-sales cases, newest first: by status, order, customer or ticket.
#[utoipa::path(get, path = "/api/v1/aftersales", tag = "aftersales", params(CaseQuery),
    responses((status = 200, body = Page<AfterSalesCase>), (status = 400, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    g: Gate<perm::AftersalesRead>,
    ApiQuery(q): ApiQuery<CaseQuery>,
) -> ApiResult<Json<Page<AfterSalesCase>>> {
    let page = ListParams { cursor: q.cursor, limit: q.limit }.page()?;
    let f = CaseFilter {
        merchant_id: q.merchant_id,
        status: q.status,
        order_id: q.order_id,
        customer_id: q.customer_id,
        ticket_id: q.ticket_id,
    };
    let p = state.store.list_cases(&g.scope, &f, page).await?;
    Ok(Json(Page { items: p.items.into_iter().map(with_limit).collect(), next_cursor: p.next_cursor }))
}

/// One case with its event log (who did what, and the rule of each automatic outcome).
#[utoipa::path(get, path = "/api/v1/aftersales/{id}", tag = "aftersales", params(("id" = i64, Path)),
    responses((status = 200, body = CaseDetail), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    g: Gate<perm::AftersalesRead>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<CaseDetail>> {
    let case = crate::api::found(state.store.get_case(&g.scope, id).await?, "after-sales case")?;
    let events = state.store.case_events(&g.scope, id).await?;
    Ok(Json(CaseDetail { case: with_limit(case), events }))
}

/// Only the version the client saw (optional): 409 when the case moved on.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionBody {
    pub expected_version: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    pub reason: String,
    pub expected_version: Option<i64>,
}

/// A parcel: carrier (快递公司) and waybill number (运单号).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShipmentBody {
    pub carrier: String,
    pub waybill: String,
    pub expected_version: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptBody {
    /// 货品状况: what the returned goods looked like on arrival.
    pub condition: String,
    pub expected_version: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundBody {
    /// The shop's or payment provider's refund reference.
    pub refund_ref: String,
    pub expected_version: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundFailureBody {
    pub error: String,
    pub expected_version: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    /// `true`: the buyer is right and the case proceeds as agreed; `false`: it closes.
    pub for_buyer: bool,
    pub note: String,
    pub expected_version: Option<i64>,
}

async fn run<P: crate::gate::Perm>(
    state: &AppState,
    g: &Gate<P>,
    id: i64,
    expected_version: Option<i64>,
    cmd: CaseCommand,
    actor: CaseActor,
) -> ApiResult<Json<AfterSalesCase>> {
    let w =
        service::change(state, &g.scope, &g.ctx, id, expected_version, &cmd, &actor, &actor_of(&g.principal))
            .await?;
    Ok(Json(with_limit(w.case)))
}

fn merchant<P: crate::gate::Perm>(g: &Gate<P>) -> CaseActor {
    CaseActor::Merchant { user_id: g.principal.user_id }
}

/// The merchant agrees (同意): a return waits for the buyer's parcel, a refund only is asked at once.
#[utoipa::path(post, path = "/api/v1/aftersales/{id}/agree", tag = "aftersales", params(("id" = i64, Path)),
    request_body = VersionBody,
    responses((status = 200, body = AfterSalesCase), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn agree(
    State(state): State<AppState>,
    g: Gate<perm::AftersalesWork>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<VersionBody>,
) -> ApiResult<Json<AfterSalesCase>> {
    let actor = merchant(&g);
    run(&state, &g, id, b.expected_version, CaseCommand::Agree, actor).await
}

/// The merchant rejects (拒绝), with the reason the buyer will read; the buyer may then dispute.
#[utoipa::path(post, path = "/api/v1/aftersales/{id}/reject", tag = "aftersales", params(("id" = i64, Path)),
    request_body = ReasonBody,
    responses((status = 200, body = AfterSalesCase), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn reject(
    State(state): State<AppState>,
    g: Gate<perm::AftersalesWork>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ReasonBody>,
) -> ApiResult<Json<AfterSalesCase>> {
    let actor = merchant(&g);
    run(&state, &g, id, b.expected_version, CaseCommand::Reject { reason: b.reason }, actor).await
}

/// The buyer sent the goods back (买家退货): carrier and waybill, as the buyer told the agent.
#[utoipa::path(post, path = "/api/v1/aftersales/{id}/return-shipment", tag = "aftersales", params(("id" = i64, Path)),
    request_body = ShipmentBody,
    responses((status = 200, body = AfterSalesCase), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn return_shipment(
    State(state): State<AppState>,
    g: Gate<perm::AftersalesWork>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ShipmentBody>,
) -> ApiResult<Json<AfterSalesCase>> {
    let cmd = CaseCommand::ShipReturn { carrier: b.carrier, waybill: b.waybill };
    run(&state, &g, id, b.expected_version, cmd, CaseActor::Buyer).await
}

/// The merchant received the returned goods (确认收货), noting their condition; a refund is then
/// asked once, an exchange or repair waits for the merchant's parcel.
#[utoipa::path(post, path = "/api/v1/aftersales/{id}/receipt", tag = "aftersales", params(("id" = i64, Path)),
    request_body = ReceiptBody,
    responses((status = 200, body = AfterSalesCase), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn receipt(
    State(state): State<AppState>,
    g: Gate<perm::AftersalesWork>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ReceiptBody>,
) -> ApiResult<Json<AfterSalesCase>> {
    let actor = merchant(&g);
    run(&state, &g, id, b.expected_version, CaseCommand::ConfirmReceipt { condition: b.condition }, actor)
        .await
}

/// The refund was executed (退款成功) in the shop system, with its reference. Recorded once: a second
/// report answers 409.
#[utoipa::path(post, path = "/api/v1/aftersales/{id}/refund-executed", tag = "aftersales", params(("id" = i64, Path)),
    request_body = RefundBody,
    responses((status = 200, body = AfterSalesCase), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn refund_executed(
    State(state): State<AppState>,
    g: Gate<perm::AftersalesWork>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<RefundBody>,
) -> ApiResult<Json<AfterSalesCase>> {
    let actor = CaseActor::System { name: format!("shop_refund:{}", g.principal.username) };
    run(&state, &g, id, b.expected_version, CaseCommand::RefundSucceeded { refund_ref: b.refund_ref }, actor)
        .await
}

/// The refund failed in the shop system (退款失败); the case stays in 退款中 until it succeeds.
#[utoipa::path(post, path = "/api/v1/aftersales/{id}/refund-failed", tag = "aftersales", params(("id" = i64, Path)),
    request_body = RefundFailureBody,
    responses((status = 200, body = AfterSalesCase), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn refund_failed(
    State(state): State<AppState>,
    g: Gate<perm::AftersalesWork>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<RefundFailureBody>,
) -> ApiResult<Json<AfterSalesCase>> {
    let actor = CaseActor::System { name: format!("shop_refund:{}", g.principal.username) };
    run(&state, &g, id, b.expected_version, CaseCommand::RefundFailed { error: b.error }, actor).await
}

/// The merchant sent the exchanged or repaired goods (换货寄出 / 维修完成寄回): the case completes.
#[utoipa::path(post, path = "/api/v1/aftersales/{id}/resend", tag = "aftersales", params(("id" = i64, Path)),
    request_body = ShipmentBody,
    responses((status = 200, body = AfterSalesCase), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn resend(
    State(state): State<AppState>,
    g: Gate<perm::AftersalesWork>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ShipmentBody>,
) -> ApiResult<Json<AfterSalesCase>> {
    let actor = merchant(&g);
    let cmd = CaseCommand::ShipResend { carrier: b.carrier, waybill: b.waybill };
    run(&state, &g, id, b.expected_version, cmd, actor).await
}

/// The buyer withdraws the request (撤销申请), before the goods are on their way back.
#[utoipa::path(post, path = "/api/v1/aftersales/{id}/cancel", tag = "aftersales", params(("id" = i64, Path)),
    request_body = VersionBody,
    responses((status = 200, body = AfterSalesCase), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn cancel(
    State(state): State<AppState>,
    g: Gate<perm::AftersalesWork>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<VersionBody>,
) -> ApiResult<Json<AfterSalesCase>> {
    run(&state, &g, id, b.expected_version, CaseCommand::Cancel, CaseActor::Buyer).await
}

/// The buyer disputes a rejection: the case goes to the platform (平台介入).
#[utoipa::path(post, path = "/api/v1/aftersales/{id}/dispute", tag = "aftersales", params(("id" = i64, Path)),
    request_body = ReasonBody,
    responses((status = 200, body = AfterSalesCase), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn dispute(
    State(state): State<AppState>,
    g: Gate<perm::AftersalesWork>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ReasonBody>,
) -> ApiResult<Json<AfterSalesCase>> {
    run(&state, &g, id, b.expected_version, CaseCommand::Dispute { reason: b.reason }, CaseActor::Buyer).await
}

/// The platform decides a disputed case (平台裁定): for the buyer it proceeds as if agreed, for the
/// merchant it closes.
#[utoipa::path(post, path = "/api/v1/aftersales/{id}/platform-decision", tag = "aftersales",
    params(("id" = i64, Path)), request_body = DecisionBody,
    responses((status = 200, body = AfterSalesCase), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn platform_decision(
    State(state): State<AppState>,
    g: Gate<perm::AftersalesArbitrate>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<DecisionBody>,
) -> ApiResult<Json<AfterSalesCase>> {
    let actor = CaseActor::Platform { user_id: g.principal.user_id };
    let cmd = CaseCommand::PlatformDecide { for_buyer: b.for_buyer, note: b.note };
    run(&state, &g, id, b.expected_version, cmd, actor).await
}
