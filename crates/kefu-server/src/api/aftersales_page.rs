//! The customer's after-sales page (售后申请与进度): a signed link, `/after-sales?token=…`, that an agent
//! hands out from a ticket. It lists the ticket customer's orders and items, answers whether an item may
//! be refunded, returned, exchanged or repaired (the eligibility engine's verdict, explained) before the
//! customer submits anything, takes the request with its proof photos, and shows the customer's cases
//! with what to do next — entering the return waybill when the merchant waits for the parcel.
//!
//! Everything runs in `Scope::channel(merchant)` of the ticket, and only for the ticket's own customer:
//! another customer's order or case is "not found". The token (`kas_…`) is signed for this purpose only
//! (`signed_link`), so no status or rating link opens it; a forged or moved token is 404, an expired 410.
//! Cases are opened through the same checks as the agents' (`api::aftersales::open_request`).

use crate::aftersales::{self as service, with_limit};
use crate::api::aftersales::{open_request, CreateCase, ItemRequest};
use crate::error::{status_of, ApiError, ApiPath, ApiResult, ErrorBody};
use crate::files::{check_upload, AttachmentPolicy};
use crate::gate::{perm, Gate};
use crate::page::{esc, Lang};
use crate::signed_link::{Purpose, TokenError};
use crate::state::AppState;
use crate::tickets as svc;
use axum::extract::{Multipart, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Form, Json};
use kefu_core::aftersales::case::{CaseActor, CaseCommand, CaseStatus, TimeLimit};
use kefu_core::aftersales::eligibility::{evaluate, AfterSalesRequest, ItemFacts, Outcome, Verdict};
use kefu_core::aftersales::{AfterSalesKind, Proof, Reason};
use kefu_core::authz::{Action, Scope};
use kefu_core::calendar::{BusinessCalendar, WeeklyHours};
use kefu_core::money::yuan;
use kefu_core::ticket::Actor;
use kefu_core::time::Millis;
use kefu_core::ErrorCode;
use kefu_store::{
    AfterSalesCase, AuditCtx, CaseFilter, CaseProof, NewAttachment, Order, OrderFilter, PageReq,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How long a link works.
pub const LINK_DAYS: i64 = 30;
/// Proof files per request.
pub const MAX_FILES: usize = 6;
/// The request body limit of the form with its photos.
pub const BODY_LIMIT: usize = 32 * 1024 * 1024;
const MAX_DESCRIPTION_CHARS: usize = 2000;

/// A token for `ticket` valid until `exp` (seconds since the epoch).
pub async fn sign(state: &AppState, ticket: i64, exp: i64) -> ApiResult<String> {
    crate::signed_link::sign(state, Purpose::AfterSales, ticket, exp).await
}

/// An after-sales link to give the customer.
#[derive(Serialize, ToSchema)]
pub struct AfterSalesLink {
    /// Absolute when `public_url` is configured, else a path on this server.
    pub url: String,
    pub expires_at: Millis,
}

/// Make an after-sales link (售后申请链接) for the ticket's customer, valid 30 days: the customer picks an
/// order item, sees whether it qualifies and why, submits the request with proof photos, and follows the
/// case (entering the return waybill when asked).
#[utoipa::path(post, path = "/api/v1/tickets/{id}/aftersales-link", tag = "aftersales", params(("id" = i64, Path)),
    responses((status = 200, body = AfterSalesLink), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_link(
    State(state): State<AppState>,
    g: Gate<perm::AftersalesWork>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<AfterSalesLink>> {
    // Loading through the scope is the tenant check: another merchant's ticket is not found.
    let rec = svc::load(&state, &g.scope, id).await?;
    if rec.state.customer_id.is_none() {
        return Err(ApiError::field(
            ErrorCode::Validation,
            "customer_id",
            "the ticket has no customer; link the customer before sending an after-sales link",
        ));
    }
    let expires_at = g.ctx.now.plus_ms(LINK_DAYS * Millis::DAY);
    let token = sign(&state, id, expires_at.0 / 1000).await?;
    let base = state.config.public_url.trim_end_matches('/');
    Ok(Json(AfterSalesLink { url: format!("{base}/after-sales?token={token}"), expires_at }))
}

// ---------- language and markup

fn time_text(t: Millis) -> String {
    jiff::Timestamp::from_millisecond(t.0)
        .ok()
        .map(|ts| ts.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap_or(jiff::tz::TimeZone::UTC)))
        .map(|z| z.strftime("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

fn kind_label(k: AfterSalesKind, l: Lang) -> &'static str {
    match k {
        AfterSalesKind::RefundOnly => l.pick("仅退款", "Refund only"),
        AfterSalesKind::ReturnRefund => l.pick("退货退款", "Return and refund"),
        AfterSalesKind::Exchange => l.pick("换货", "Exchange"),
        AfterSalesKind::Repair => l.pick("维修", "Repair"),
    }
}

const KINDS: [AfterSalesKind; 4] = [
    AfterSalesKind::RefundOnly,
    AfterSalesKind::ReturnRefund,
    AfterSalesKind::Exchange,
    AfterSalesKind::Repair,
];

fn reason_label(r: Reason, l: Lang) -> &'static str {
    match r {
        Reason::NoReason => l.pick("七天无理由", "Changed my mind (7-day return)"),
        Reason::QualityProblem => l.pick("质量问题", "Quality problem"),
        Reason::NotAsDescribed => l.pick("与描述不符", "Not as described"),
        Reason::WrongItem => l.pick("发错货", "Wrong item"),
        Reason::DamagedInTransit => l.pick("运输破损", "Damaged in transit"),
        Reason::NotReceived => l.pick("未收到货", "Not received"),
    }
}

const REASONS: [Reason; 6] = [
    Reason::NoReason,
    Reason::QualityProblem,
    Reason::NotAsDescribed,
    Reason::WrongItem,
    Reason::DamagedInTransit,
    Reason::NotReceived,
];

fn proof_label(p: Proof, l: Lang) -> &'static str {
    match p {
        Proof::OrderScreenshot => l.pick("订单截图", "Order screenshot"),
        Proof::Invoice => l.pick("发票或保修凭证", "Invoice or warranty card"),
        Proof::Photos => l.pick("商品实物照片", "Photos of the goods"),
    }
}

/// The upload field of each kind of proof.
const PROOF_FIELDS: [(Proof, &str); 3] =
    [(Proof::Photos, "photos"), (Proof::OrderScreenshot, "screenshots"), (Proof::Invoice, "invoices")];

fn status_text(s: CaseStatus, l: Lang) -> &'static str {
    use CaseStatus::*;
    match s {
        AwaitingMerchant => l.pick("待商家处理", "Waiting for the merchant"),
        AwaitingReturn => l.pick("待您寄回商品", "Waiting for your return parcel"),
        AwaitingReceipt => l.pick("待商家收货", "Waiting for the merchant to receive it"),
        Refunding => l.pick("退款中", "Refunding"),
        AwaitingResend => l.pick("待商家寄出", "Waiting for the merchant to send"),
        Refunded => l.pick("已退款", "Refunded"),
        Exchanged => l.pick("已换货", "Exchanged"),
        Repaired => l.pick("已维修", "Repaired"),
        Rejected => l.pick("商家已拒绝", "Rejected by the merchant"),
        Cancelled => l.pick("已撤销", "Withdrawn"),
        Closed => l.pick("已关闭", "Closed"),
        PlatformIntervention => l.pick("平台介入中", "With the platform"),
    }
}

fn outcome_text(o: Outcome, l: Lang) -> &'static str {
    match o {
        Outcome::Eligible => l.pick("符合售后条件", "Eligible"),
        Outcome::NotEligible => l.pick("不符合售后条件", "Not eligible"),
        Outcome::NeedsReview => l.pick("需商家审核", "Needs the merchant's review"),
    }
}

const STYLE: &str =
    "body{font-family:-apple-system,'PingFang SC','Noto Sans CJK SC','Microsoft YaHei',sans-serif;\
margin:0;background:#f5f7fa;color:#1f2329;font-size:15px}main{max-width:40em;margin:0 auto;padding:1em}\
h1{font-size:1.25em;margin:.4em 0}h2{font-size:1.05em;margin:.2em 0 .6em}.card{background:#fff;border-radius:8px;\
padding:1em;margin:.8em 0;box-shadow:0 1px 3px rgba(0,0,0,.06)}.muted{color:#8a8f99;font-size:.85em}\
.state{display:inline-block;padding:.15em .6em;border-radius:1em;background:#e8f3ff;color:#1664ff;font-size:.85em}\
.state.done{background:#e8f7ee;color:#18a058}.state.stop{background:#fdecef;color:#d03050}\
.order{border-top:1px solid #f0f1f3;padding:.6em 0}.order:first-of-type{border-top:0}\
.item{display:flex;justify-content:space-between;gap:.5em;font-size:.92em;margin:.25em 0}\
.flag{display:inline-block;font-size:.75em;padding:0 .4em;margin-left:.3em;border-radius:4px;background:#fff4e5;color:#b86e00}\
label{display:block;margin:.7em 0 .25em;font-weight:600;font-size:.92em}\
select,input[type=text],input[type=number],textarea{width:100%;box-sizing:border-box;font:inherit;padding:.5em;\
border:1px solid #dcdfe6;border-radius:6px;background:#fff}textarea{min-height:5em}\
input[type=file]{width:100%;font-size:.9em}button{margin-top:.8em;background:#1664ff;color:#fff;border:0;\
border-radius:6px;padding:.65em 1.4em;font:inherit;width:100%}.error{color:#d03050}.ok{color:#18a058}\
.verdict{border-left:4px solid #1664ff;padding-left:.8em}.verdict.eligible{border-color:#18a058}\
.verdict.not_eligible{border-color:#d03050}.verdict.needs_review{border-color:#e6a23c}\
.next{background:#f7f8fa;border-radius:6px;padding:.6em .8em;margin-top:.6em;font-size:.92em}\
.lang{float:right;font-size:.85em}";

fn page(l: Lang, title: &str, inner: &str) -> String {
    format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><meta name=\"robots\" content=\"noindex\">\
<meta name=\"referrer\" content=\"no-referrer\"><title>{title}</title><style>{STYLE}</style></head><body><main>{inner}</main></body></html>",
        lang = l.pick("zh-CN", "en"),
        title = esc(title)
    )
}

fn title(l: Lang) -> &'static str {
    l.pick("售后服务", "After-sales service")
}

fn html(code: StatusCode, body: String) -> Response {
    (code, [(header::CACHE_CONTROL, "no-store")], Html(body)).into_response()
}

fn refusal(l: Lang, why: &TokenError) -> Response {
    let text = match why {
        TokenError::Expired => l.pick(
            "该售后链接已过期，请联系客服重新获取。",
            "This link has expired; ask customer service for a new one.",
        ),
        _ => l.pick(
            "该售后链接无效，请检查链接是否完整。",
            "This link is not valid; check that it is complete.",
        ),
    };
    let inner = format!(
        "<h1>{}</h1><div class=\"card\"><p class=\"error\" data-test=\"aftersales-error\">{}</p></div>",
        esc(title(l)),
        esc(text)
    );
    let code = if *why == TokenError::Expired { StatusCode::GONE } else { StatusCode::NOT_FOUND };
    html(code, page(l, title(l), &inner))
}

fn not_found(l: Lang, what: &'static str) -> Response {
    let inner = format!(
        "<h1>{}</h1><div class=\"card\"><p class=\"error\" data-test=\"aftersales-error\">{}</p></div>",
        esc(title(l)),
        esc(what)
    );
    html(StatusCode::NOT_FOUND, page(l, title(l), &inner))
}

// ---------- who the link is for

/// The ticket a genuine token opens, its merchant and customer.
struct Visitor {
    token: String,
    ticket: i64,
    merchant: Option<i64>,
    customer: i64,
    l: Lang,
}

impl Visitor {
    fn scope(&self, action: Action) -> Scope {
        Scope::channel(self.merchant, action)
    }
    fn audit(&self) -> AuditCtx {
        AuditCtx::operator("aftersales-page", crate::auth::now())
    }
    fn url(&self, extra: &str) -> String {
        let lang = if self.l == Lang::En { "&lang=en" } else { "" };
        format!("/after-sales?token={}{lang}{extra}", self.token)
    }
}

/// Resolve a token, or the page that refuses it.
async fn visitor(state: &AppState, token: &str, l: Lang) -> ApiResult<Result<Visitor, Response>> {
    let ticket =
        match crate::signed_link::verify(state, Purpose::AfterSales, token, crate::auth::now()).await? {
            Err(why) => return Ok(Err(refusal(l, &why))),
            Ok(t) => t,
        };
    let Some(rec) = state.store.get_ticket(&Scope::operator(Action::TicketRead), ticket).await? else {
        return Ok(Err(refusal(l, &TokenError::Malformed)));
    };
    let Some(customer) = rec.state.customer_id else {
        return Ok(Err(refusal(l, &TokenError::Malformed)));
    };
    Ok(Ok(Visitor { token: token.to_string(), ticket, merchant: rec.ticket.merchant_id, customer, l }))
}

// ---------- the request: item, quantity, kind, reason

/// What the customer picked; every field is checked and named when wrong.
struct Selection {
    order: Order,
    sku: String,
    quantity: i64,
    kind: AfterSalesKind,
    reason: Reason,
}

struct FieldError {
    field: &'static str,
    message: String,
}

fn field_error(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError { field, message: message.into() }
}

fn parse_enum<T: for<'de> Deserialize<'de>>(raw: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(raw.to_string())).ok()
}

/// Raw form values of a selection.
#[derive(Default)]
struct RawSelection {
    item: String,
    quantity: String,
    kind: String,
    reason: String,
}

enum Picked {
    Ok(Box<Selection>),
    Bad(FieldError),
    /// Not this customer's order (or no such order).
    NotFound,
}

async fn select(state: &AppState, v: &Visitor, raw: &RawSelection) -> ApiResult<Picked> {
    let l = v.l;
    let Some((order_id, sku)) = raw.item.split_once(':') else {
        return Ok(Picked::Bad(field_error("item", l.pick("请选择要售后的商品。", "Choose the item."))));
    };
    let Ok(order_id) = order_id.parse::<i64>() else {
        return Ok(Picked::Bad(field_error("item", l.pick("请选择要售后的商品。", "Choose the item."))));
    };
    let Some(order) = state.store.get_order(&v.scope(Action::CustomerRead), order_id).await? else {
        return Ok(Picked::NotFound);
    };
    if order.customer_id != Some(v.customer) {
        return Ok(Picked::NotFound);
    }
    let Some(item) = order.items.iter().find(|i| i.sku == sku) else {
        return Ok(Picked::Bad(field_error(
            "item",
            l.pick("该订单中没有这件商品。", "The order has no such item."),
        )));
    };
    let quantity = match raw.quantity.trim().parse::<i64>() {
        Ok(q) if (1..=item.quantity).contains(&q) => q,
        _ => {
            let msg = match l {
                Lang::Zh => format!("数量须在 1 到 {} 之间（您购买的数量）。", item.quantity),
                Lang::En => {
                    format!("The quantity must be between 1 and {} (the quantity bought).", item.quantity)
                }
            };
            return Ok(Picked::Bad(field_error("quantity", msg)));
        }
    };
    let Some(kind) = parse_enum::<AfterSalesKind>(&raw.kind) else {
        return Ok(Picked::Bad(field_error("kind", l.pick("请选择售后类型。", "Choose what you ask for."))));
    };
    let Some(reason) = parse_enum::<Reason>(&raw.reason) else {
        return Ok(Picked::Bad(field_error("reason", l.pick("请选择售后原因。", "Choose the reason."))));
    };
    let sku = sku.to_string();
    Ok(Picked::Ok(Box::new(Selection { order, sku, quantity, kind, reason })))
}

/// The eligibility engine's verdict for the selection with the proofs at hand, under the merchant's
/// rules for the item's category and the customer's tier (the same policy the case is opened under).
async fn judge(state: &AppState, sel: &Selection, proofs: Vec<Proof>) -> Verdict {
    let item = sel.order.items.iter().find(|i| i.sku == sel.sku);
    let flags = item.map(|i| i.flags).unwrap_or_default();
    let category = item.and_then(|i| i.category.as_deref());
    let policy =
        crate::aftersales::return_policy(state, sel.order.merchant_id, category, sel.order.customer_id).await;
    let facts = ItemFacts { shipped_at: sel.order.shipped_at, signed_at: sel.order.signed_at, flags };
    let req = AfterSalesRequest { kind: sel.kind, reason: sel.reason, at: crate::auth::now(), proofs };
    // Day counting follows the statutory holidays and make-up workdays (the shipped PRC schedule).
    let cal = BusinessCalendar::china(WeeklyHours::always_open());
    evaluate(&cal, &policy, &facts, &req)
}

// ---------- rendering

/// A message at the top of the page: success, or an error naming its field.
struct Notice {
    ok: bool,
    text: String,
    field: Option<String>,
}

impl Notice {
    fn ok(text: impl Into<String>) -> Notice {
        Notice { ok: true, text: text.into(), field: None }
    }
    fn bad(field: Option<&str>, text: impl Into<String>) -> Notice {
        Notice { ok: false, text: text.into(), field: field.map(str::to_string) }
    }
}

fn flags_html(f: &kefu_core::aftersales::eligibility::ItemFlags, l: Lang) -> String {
    let mut out = String::new();
    for (on, zh, en) in [
        (f.customised, "定制", "Custom-made"),
        (f.perishable, "生鲜", "Perishable"),
        (f.digital_unsealed, "数字商品/已拆封", "Digital/unsealed"),
        (f.periodical, "报刊", "Periodical"),
        (f.presale, "预售", "Pre-sale"),
        (f.confirmed_non_returnable, "下单时确认不退", "Confirmed non-returnable"),
    ] {
        if on {
            out.push_str(&format!("<span class=\"flag\">{}</span>", l.pick(zh, en)));
        }
    }
    out
}

fn orders_html(orders: &[Order], l: Lang) -> String {
    let mut out = String::new();
    for o in orders {
        let mut items = String::new();
        for i in &o.items {
            items.push_str(&format!(
                "<div class=\"item\"><span>{} ×{}{}</span><span>{}</span></div>",
                esc(&i.name),
                i.quantity,
                flags_html(&i.flags, l),
                yuan(i.price_fen)
            ));
        }
        let signed = o
            .signed_at
            .map(|t| format!(" · {} {}", l.pick("签收于", "signed for"), time_text(t)))
            .unwrap_or_default();
        out.push_str(&format!(
            "<div class=\"order\" data-test=\"aftersales-order\" data-order-no=\"{no}\"><div><b>{no_label} {no}</b> \
<span class=\"state\">{status}</span></div><div class=\"muted\">{paid_label} {paid}{signed}</div>{items}</div>",
            no = esc(&o.order_no),
            no_label = l.pick("订单", "Order"),
            status = esc(if l == Lang::Zh { &o.status_label } else { o.status.as_str() }),
            paid_label = l.pick("实付", "Paid"),
            paid = yuan(o.paid_fen),
        ));
    }
    out
}

fn options<T: Copy + PartialEq>(
    all: &[T],
    chosen: Option<T>,
    key: impl Fn(T) -> String,
    label: impl Fn(T) -> &'static str,
) -> String {
    let mut out = String::new();
    for &x in all {
        out.push_str(&format!(
            "<option value=\"{}\"{}>{}</option>",
            esc(&key(x)),
            if chosen == Some(x) { " selected" } else { "" },
            esc(label(x))
        ));
    }
    out
}

fn wire<T: Serialize>(x: T) -> String {
    serde_json::to_value(x).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

/// The first step: choose the item, quantity, kind and reason, and ask whether it qualifies.
fn choose_form(v: &Visitor, orders: &[Order], raw: &RawSelection) -> String {
    let l = v.l;
    let mut items = String::new();
    for o in orders {
        items.push_str(&format!("<optgroup label=\"{} {}\">", l.pick("订单", "Order"), esc(&o.order_no)));
        for i in &o.items {
            let key = format!("{}:{}", o.id, i.sku);
            items.push_str(&format!(
                "<option value=\"{k}\"{sel}>{name} ×{q} · {price}</option>",
                k = esc(&key),
                sel = if raw.item == key { " selected" } else { "" },
                name = esc(&i.name),
                q = i.quantity,
                price = yuan(i.price_fen),
            ));
        }
        items.push_str("</optgroup>");
    }
    let quantity = if raw.quantity.is_empty() { "1".to_string() } else { raw.quantity.clone() };
    format!(
        "<form method=\"get\" action=\"/after-sales\" data-test=\"aftersales-check-form\">\
<input type=\"hidden\" name=\"token\" value=\"{token}\"><input type=\"hidden\" name=\"lang\" value=\"{lang}\">\
<label for=\"item\">{item_label}</label><select id=\"item\" name=\"item\" required data-test=\"aftersales-item\">{items}</select>\
<label for=\"quantity\">{qty_label}</label><input id=\"quantity\" name=\"quantity\" type=\"number\" min=\"1\" value=\"{quantity}\" required data-test=\"aftersales-quantity\">\
<label for=\"kind\">{kind_label}</label><select id=\"kind\" name=\"kind\" data-test=\"aftersales-kind\">{kinds}</select>\
<label for=\"reason\">{reason_label}</label><select id=\"reason\" name=\"reason\" data-test=\"aftersales-reason\">{reasons}</select>\
<button type=\"submit\" data-test=\"aftersales-check\">{check}</button></form>",
        token = esc(&v.token),
        lang = l.code(),
        item_label = l.pick("售后商品", "Item"),
        qty_label = l.pick("数量", "Quantity"),
        quantity = esc(&quantity),
        kind_label = l.pick("售后类型", "What you ask for"),
        kinds = options(&KINDS, parse_enum(&raw.kind), wire, |k| kind_label(k, l)),
        reason_label = l.pick("售后原因", "Reason"),
        reasons = options(&REASONS, parse_enum(&raw.reason), wire, |r| reason_label(r, l)),
        check = l.pick("查看是否符合售后条件", "Check eligibility"),
    )
}

/// The verdict, explained, and (unless it is "not eligible") the second step: describe and upload proof.
fn verdict_html(
    v: &Visitor,
    sel: &Selection,
    verdict: &Verdict,
    raw: &RawSelection,
    description: &str,
) -> String {
    let l = v.l;
    let outcome = wire(verdict.outcome);
    let mut out = format!(
        "<div class=\"verdict {outcome}\" data-test=\"aftersales-verdict\" data-outcome=\"{outcome}\">\
<div><b>{text}</b></div><p>{explanation}</p><div class=\"muted\">{basis_label}{basis}</div>",
        text = outcome_text(verdict.outcome, l),
        explanation = esc(&verdict.explanation),
        basis_label = l.pick("依据：", "Basis: "),
        basis = esc(verdict.basis),
    );
    out.push_str("</div>");
    if verdict.outcome == Outcome::NotEligible {
        out.push_str(&format!(
            "<p class=\"muted\">{}</p>",
            l.pick(
                "该商品目前不能在线申请此项售后。如有疑问，请回复客服说明情况。",
                "This request cannot be made online for this item. If in doubt, write to customer service."
            )
        ));
        return out;
    }
    let needed = kefu_core::aftersales::eligibility::required_proofs(sel.kind, sel.reason);
    let mut uploads = String::new();
    for (proof, field) in PROOF_FIELDS {
        let need = needed.contains(&proof);
        uploads.push_str(&format!(
            "<label for=\"{field}\">{label}{need}</label><input id=\"{field}\" name=\"{field}\" type=\"file\" multiple accept=\"image/*,.pdf\" data-test=\"aftersales-{field}\">",
            label = proof_label(proof, l),
            need = if need { l.pick("（需要）", " (required)") } else { l.pick("（可选）", " (optional)") },
        ));
    }
    out.push_str(&format!(
        "<form method=\"post\" action=\"/after-sales/request\" enctype=\"multipart/form-data\" data-test=\"aftersales-request-form\">\
<input type=\"hidden\" name=\"token\" value=\"{token}\"><input type=\"hidden\" name=\"lang\" value=\"{lang}\">\
<input type=\"hidden\" name=\"item\" value=\"{item}\"><input type=\"hidden\" name=\"quantity\" value=\"{quantity}\">\
<input type=\"hidden\" name=\"kind\" value=\"{kind}\"><input type=\"hidden\" name=\"reason\" value=\"{reason}\">\
<label for=\"description\">{desc_label}</label><textarea id=\"description\" name=\"description\" maxlength=\"{MAX_DESCRIPTION_CHARS}\" data-test=\"aftersales-description\" placeholder=\"{desc_hint}\">{description}</textarea>\
{uploads}<div class=\"muted\">{upload_hint}</div>\
<button type=\"submit\" data-test=\"aftersales-submit\">{submit}</button></form>",
        token = esc(&v.token),
        lang = l.code(),
        item = esc(&raw.item),
        quantity = sel.quantity,
        kind = wire(sel.kind),
        reason = wire(sel.reason),
        desc_label = l.pick("问题描述", "Describe the problem"),
        desc_hint = l.pick("例如：收到时杯盖有裂痕", "e.g. the lid was cracked on arrival"),
        description = esc(description),
        upload_hint = l.pick(
            "最多 6 个文件，支持常见图片格式，每个不超过 20 MB。",
            "Up to 6 files, common image formats, 20 MB each at most."
        ),
        submit = l.pick("提交售后申请", "Submit the request"),
    ));
    out
}

/// What the customer should do next, or what happens next, for a case.
fn next_step(c: &AfterSalesCase, l: Lang) -> String {
    let due = c.due_at.map(time_text).unwrap_or_default();
    use CaseStatus::*;
    match (c.status, c.time_limit) {
        (AwaitingMerchant, Some(TimeLimit::MerchantResponse)) => match l {
            Lang::Zh => format!("商家将在 {due} 前处理您的申请；逾期未处理的，将按平台规则自动同意或退款。"),
            Lang::En => format!("The merchant answers by {due}; if not, the platform's rules agree or refund automatically."),
        },
        (AwaitingMerchant, _) => l.pick("等待商家处理。", "Waiting for the merchant.").into(),
        (AwaitingReturn, _) => match l {
            Lang::Zh => format!("商家已同意。请在 {due} 前寄回商品，并在下方填写快递公司和运单号；逾期未寄回的，申请将关闭。"),
            Lang::En => format!("The merchant agreed. Send the goods back by {due} and enter the carrier and waybill below; otherwise the request closes."),
        },
        (AwaitingReceipt, _) => match l {
            Lang::Zh => format!(
                "已寄回（{} {}）。商家将在 {due} 前确认收货；逾期未确认的，将自动退款。",
                c.return_carrier.as_deref().unwrap_or(""),
                c.return_waybill.as_deref().unwrap_or("")
            ),
            Lang::En => format!(
                "Sent back ({} {}). The merchant confirms receipt by {due}; otherwise the refund proceeds automatically.",
                c.return_carrier.as_deref().unwrap_or(""),
                c.return_waybill.as_deref().unwrap_or("")
            ),
        },
        (Refunding, _) => l.pick("退款处理中，款项将原路退回。", "The refund is on its way to your original payment method.").into(),
        (AwaitingResend, _) => l.pick("商家将为您寄出商品，请留意物流信息。", "The merchant will send the goods; watch for the parcel.").into(),
        (Refunded, _) => match l {
            Lang::Zh => format!("已退款 {}。", yuan(c.amount_fen)),
            Lang::En => format!("Refunded {}.", yuan(c.amount_fen)),
        },
        (Exchanged | Repaired, _) => l.pick("售后已完成。", "Completed.").into(),
        (Rejected, _) => match l {
            Lang::Zh => format!(
                "商家拒绝了申请：{}。如有异议，请回复客服申请平台介入。",
                c.state.rejection.as_deref().unwrap_or("")
            ),
            Lang::En => format!(
                "The merchant rejected the request: {}. If you disagree, ask customer service for the platform to step in.",
                c.state.rejection.as_deref().unwrap_or("")
            ),
        },
        (Cancelled, _) => l.pick("申请已撤销。", "The request was withdrawn.").into(),
        (Closed, _) => l.pick("申请已关闭。", "The request is closed.").into(),
        (PlatformIntervention, _) => l.pick("平台介入处理中，请等待平台裁定。", "The platform is reviewing the case.").into(),
    }
}

fn cases_html(v: &Visitor, cases: &[AfterSalesCase]) -> String {
    let l = v.l;
    if cases.is_empty() {
        return format!(
            "<p class=\"muted\">{}</p>",
            l.pick("暂无售后申请。", "No after-sales requests yet.")
        );
    }
    let mut out = String::new();
    for c in cases {
        let items: Vec<String> =
            c.items.iter().map(|i| format!("{} ×{}", esc(&i.name), i.quantity)).collect();
        let class = match c.status {
            CaseStatus::Refunded | CaseStatus::Exchanged | CaseStatus::Repaired => "state done",
            CaseStatus::Rejected | CaseStatus::Cancelled | CaseStatus::Closed => "state stop",
            _ => "state",
        };
        let amount = if c.amount_fen > 0 {
            format!(" · {} {}", l.pick("退款金额", "refund"), yuan(c.amount_fen))
        } else {
            String::new()
        };
        let form = if c.status == CaseStatus::AwaitingReturn {
            format!(
                "<form method=\"post\" action=\"/after-sales/return\" data-test=\"aftersales-return-form\">\
<input type=\"hidden\" name=\"token\" value=\"{token}\"><input type=\"hidden\" name=\"lang\" value=\"{lang}\">\
<input type=\"hidden\" name=\"case_id\" value=\"{id}\"><input type=\"hidden\" name=\"expected_version\" value=\"{version}\">\
<label for=\"carrier-{id}\">{carrier}</label><input id=\"carrier-{id}\" name=\"carrier\" type=\"text\" maxlength=\"50\" required data-test=\"aftersales-carrier\">\
<label for=\"waybill-{id}\">{waybill}</label><input id=\"waybill-{id}\" name=\"waybill\" type=\"text\" maxlength=\"50\" required data-test=\"aftersales-waybill\">\
<button type=\"submit\" data-test=\"aftersales-ship\">{send}</button></form>",
                token = esc(&v.token),
                lang = l.code(),
                id = c.id,
                version = c.version,
                carrier = l.pick("快递公司", "Carrier"),
                waybill = l.pick("退货运单号", "Return waybill"),
                send = l.pick("提交退货运单号", "Submit the waybill"),
            )
        } else {
            String::new()
        };
        out.push_str(&format!(
            "<div class=\"order\" data-test=\"aftersales-case\" data-case-id=\"{id}\" data-status=\"{status_key}\">\
<div><b>{case_label} #{id}</b> <span class=\"{class}\">{status}</span></div>\
<div class=\"muted\">{order_label} {order_no} · {kind} · {reason}{amount} · {created}</div><div>{items}</div>\
<div class=\"next\" data-test=\"aftersales-next\">{next}</div>{form}</div>",
            id = c.id,
            status_key = wire(c.status),
            case_label = l.pick("售后单", "Case"),
            status = status_text(c.status, l),
            order_label = l.pick("订单", "Order"),
            order_no = esc(&c.order_no),
            kind = kind_label(c.kind, l),
            reason = reason_label(c.reason, l),
            created = time_text(c.created_at),
            items = items.join("、"),
            next = esc(&next_step(c, l)),
        ));
    }
    out
}

/// The check step of the page: the selection as given and, when it is valid, its verdict.
struct Check {
    raw: RawSelection,
    description: String,
}

async fn render(
    state: &AppState,
    v: &Visitor,
    notice: Option<Notice>,
    check: Option<Check>,
    code: StatusCode,
) -> ApiResult<Response> {
    let l = v.l;
    let page_req = PageReq { after: None, limit: PageReq::MAX_LIMIT };
    let orders = state
        .store
        .list_orders(
            &v.scope(Action::CustomerRead),
            &OrderFilter { customer_id: Some(v.customer), ..Default::default() },
            page_req,
        )
        .await?
        .items;
    let cases: Vec<AfterSalesCase> = state
        .store
        .list_cases(
            &v.scope(Action::AftersalesRead),
            &CaseFilter { customer_id: Some(v.customer), ..Default::default() },
            page_req,
        )
        .await?
        .items
        .into_iter()
        .map(with_limit)
        .collect();
    let mut notice_html = String::new();
    let mut check_html = String::new();
    let mut raw = RawSelection::default();
    let mut code = code;
    if let Some(ch) = check {
        match select(state, v, &ch.raw).await? {
            Picked::Ok(sel) => {
                let verdict = judge(state, &sel, Vec::new()).await;
                check_html = format!(
                    "<div class=\"card\" data-test=\"aftersales-check-result\"><h2>{}</h2>{}</div>",
                    l.pick("售后资格", "Eligibility"),
                    verdict_html(v, &sel, &verdict, &ch.raw, &ch.description)
                );
            }
            Picked::Bad(e) => {
                if notice.is_none() {
                    code = StatusCode::UNPROCESSABLE_ENTITY;
                    notice_html = notice_markup(&Notice::bad(Some(e.field), e.message));
                }
            }
            Picked::NotFound => {
                return Ok(not_found(l, l.pick("未找到该订单。", "No such order.")));
            }
        }
        raw = ch.raw;
    }
    if let Some(n) = &notice {
        notice_html = notice_markup(n);
    }
    let request = if orders.is_empty() {
        format!(
            "<p class=\"muted\" data-test=\"aftersales-no-orders\">{}</p>",
            l.pick("未找到您的订单，请联系客服。", "No orders were found; contact customer service.")
        )
    } else {
        choose_form(v, &orders, &raw)
    };
    let switch = match l {
        Lang::Zh => format!(
            "<a class=\"lang\" href=\"{}\">English</a>",
            esc(&format!("/after-sales?token={}&lang=en", v.token))
        ),
        Lang::En => {
            format!("<a class=\"lang\" href=\"{}\">中文</a>", esc(&format!("/after-sales?token={}", v.token)))
        }
    };
    let inner = format!(
        "{switch}<h1>{title}</h1>{notice_html}\
<div class=\"card\"><h2>{cases_title}</h2><div data-test=\"aftersales-cases\">{cases}</div></div>\
{check_html}\
<div class=\"card\"><h2>{request_title}</h2>{request}</div>\
<div class=\"card\"><h2>{orders_title}</h2><div data-test=\"aftersales-orders\">{orders}</div></div>",
        title = esc(title(l)),
        cases_title = l.pick("我的售后", "My requests"),
        cases = cases_html(v, &cases),
        request_title = l.pick("申请售后", "Request after-sales service"),
        orders_title = l.pick("我的订单", "My orders"),
        orders = orders_html(&orders, l),
    );
    Ok(html(code, page(l, title(l), &inner)))
}

fn notice_markup(n: &Notice) -> String {
    if n.ok {
        format!(
            "<div class=\"card\"><p class=\"ok\" data-test=\"aftersales-sent\">{}</p></div>",
            esc(&n.text)
        )
    } else {
        format!(
            "<div class=\"card\"><p class=\"error\" data-test=\"aftersales-form-error\" data-field=\"{}\">{}</p></div>",
            esc(n.field.as_deref().unwrap_or("")),
            esc(&n.text)
        )
    }
}

// ---------- handlers

#[derive(Deserialize)]
pub struct PageQuery {
    pub token: Option<String>,
    pub lang: Option<String>,
    /// The case just opened.
    pub sent: Option<i64>,
    /// The case whose return waybill was just entered.
    pub shipped: Option<i64>,
    pub item: Option<String>,
    pub quantity: Option<String>,
    pub kind: Option<String>,
    pub reason: Option<String>,
}

/// `GET /after-sales?token=…[&lang=en][&item=…&quantity=…&kind=…&reason=…]`: the page; with a selection,
/// its eligibility verdict and the request form.
pub async fn after_sales_page(State(state): State<AppState>, Query(q): Query<PageQuery>) -> Response {
    let l = Lang::of(q.lang.as_deref());
    let result = async {
        let v = match visitor(&state, q.token.as_deref().unwrap_or_default(), l).await? {
            Err(r) => return Ok(r),
            Ok(v) => v,
        };
        let notice = if let Some(id) = q.sent {
            Some(Notice::ok(match l {
                Lang::Zh => format!("已提交售后申请（售后单 #{id}），请留意处理进度。"),
                Lang::En => format!("Your request was submitted (case #{id})."),
            }))
        } else {
            q.shipped.map(|id| {
                Notice::ok(match l {
                    Lang::Zh => format!("已提交退货运单号（售后单 #{id}），等待商家收货。"),
                    Lang::En => format!("The return waybill was recorded (case #{id})."),
                })
            })
        };
        let check = q.item.clone().map(|item| Check {
            raw: RawSelection {
                item,
                quantity: q.quantity.clone().unwrap_or_default(),
                kind: q.kind.clone().unwrap_or_default(),
                reason: q.reason.clone().unwrap_or_default(),
            },
            description: String::new(),
        });
        render(&state, &v, notice, check, StatusCode::OK).await
    }
    .await;
    result.unwrap_or_else(|e: ApiError| e.into_response())
}

/// A proof file as uploaded.
struct Upload {
    proof: Proof,
    name: String,
    bytes: Vec<u8>,
}

/// The multipart form, read whole (the body limit bounds it).
#[derive(Default)]
struct RequestForm {
    token: String,
    lang: Option<String>,
    raw: RawSelection,
    description: String,
    files: Vec<Upload>,
}

async fn read_form(mut mp: Multipart) -> Result<RequestForm, FieldError> {
    let mut f = RequestForm::default();
    let broken = |e: axum::extract::multipart::MultipartError| field_error("form", e.body_text());
    while let Some(field) = mp.next_field().await.map_err(broken)? {
        let name = field.name().unwrap_or_default().to_string();
        if let Some((proof, _)) = PROOF_FIELDS.iter().find(|(_, n)| *n == name) {
            let file_name = field.file_name().unwrap_or_default().to_string();
            let bytes = field.bytes().await.map_err(broken)?;
            // A file input left empty still sends an empty part without a name.
            if file_name.is_empty() && bytes.is_empty() {
                continue;
            }
            if f.files.len() == MAX_FILES {
                return Err(field_error("photos", format!("at most {MAX_FILES} files")));
            }
            f.files.push(Upload { proof: *proof, name: file_name, bytes: bytes.to_vec() });
            continue;
        }
        let text = field.text().await.map_err(broken)?;
        match name.as_str() {
            "token" => f.token = text,
            "lang" => f.lang = Some(text),
            "item" => f.raw.item = text,
            "quantity" => f.raw.quantity = text,
            "kind" => f.raw.kind = text,
            "reason" => f.raw.reason = text,
            "description" => f.description = text,
            _ => {}
        }
    }
    Ok(f)
}

/// The page again, with the selection as given and a notice.
async fn again(
    state: &AppState,
    v: &Visitor,
    notice: Notice,
    code: StatusCode,
    raw: RawSelection,
    description: String,
) -> ApiResult<Response> {
    render(state, v, Some(notice), Some(Check { raw, description }), code).await
}

/// `POST /after-sales/request` (multipart): the customer's request with its proof files. Everything is
/// checked first (the link, the order being the customer's, the fields, each file, the verdict, no open
/// case for the item); then the files become attachments of the ticket and the case opens through the
/// same path as the agents'.
pub async fn submit_request(State(state): State<AppState>, mp: Multipart) -> Response {
    let form = read_form(mp).await;
    let result = async {
        let form = match form {
            Ok(f) => f,
            Err(e) => {
                let body = format!("<p class=\"error\" data-field=\"{}\">{}</p>", e.field, esc(&e.message));
                return Ok(html(StatusCode::BAD_REQUEST, page(Lang::Zh, title(Lang::Zh), &body)));
            }
        };
        let l = Lang::of(form.lang.as_deref());
        let v = match visitor(&state, &form.token, l).await? {
            Err(r) => return Ok(r),
            Ok(v) => v,
        };
        let sel = match select(&state, &v, &form.raw).await? {
            Picked::Ok(s) => s,
            Picked::Bad(e) => {
                let n = Notice::bad(Some(e.field), e.message);
                return again(&state, &v, n, StatusCode::UNPROCESSABLE_ENTITY, form.raw, form.description)
                    .await;
            }
            Picked::NotFound => return Ok(not_found(l, l.pick("未找到该订单。", "No such order."))),
        };
        let description = form.description.trim().to_string();
        if description.chars().count() > MAX_DESCRIPTION_CHARS {
            let n = Notice::bad(
                Some("description"),
                l.pick("问题描述最多 2000 字。", "The description takes at most 2000 characters."),
            );
            return again(&state, &v, n, StatusCode::UNPROCESSABLE_ENTITY, form.raw, description).await;
        }
        // Every file is checked before anything is written.
        let policy = AttachmentPolicy::default();
        let mut checked = Vec::with_capacity(form.files.len());
        for u in &form.files {
            match check_upload(&policy, &u.name, None, &u.bytes) {
                Ok(c) => checked.push(c),
                Err(e) => {
                    let field = PROOF_FIELDS.iter().find(|(p, _)| *p == u.proof).map_or("photos", |(_, f)| f);
                    let text = match l {
                        Lang::Zh => format!("文件「{}」无法接收：{}", u.name, e.message),
                        Lang::En => format!("The file \"{}\" was not accepted: {}", u.name, e.message),
                    };
                    let code = status_of(e.code);
                    return again(&state, &v, Notice::bad(Some(field), text), code, form.raw, description)
                        .await;
                }
            }
        }
        let mut proof_kinds: Vec<Proof> = form.files.iter().map(|u| u.proof).collect();
        proof_kinds.sort();
        proof_kinds.dedup();
        let verdict = judge(&state, &sel, proof_kinds).await;
        if verdict.outcome == Outcome::NotEligible {
            let text = match l {
                Lang::Zh => format!("不符合{}条件：{}", kind_label(sel.kind, l), verdict.explanation),
                Lang::En => format!("Not eligible: {}", verdict.explanation),
            };
            return again(
                &state,
                &v,
                Notice::bad(Some("item"), text),
                StatusCode::UNPROCESSABLE_ENTITY,
                form.raw,
                description,
            )
            .await;
        }
        // One open case per item: refuse before storing the files.
        let open = state
            .store
            .list_cases(
                &v.scope(Action::AftersalesRead),
                &CaseFilter { order_id: Some(sel.order.id), ..Default::default() },
                PageReq { after: None, limit: PageReq::MAX_LIMIT },
            )
            .await?
            .items
            .into_iter()
            .find(|c| !c.status.is_final() && c.items.iter().any(|i| i.sku == sel.sku));
        if let Some(c) = open {
            let text = match l {
                Lang::Zh => format!("这件商品已有处理中的售后单 #{}，请在下方查看进度。", c.id),
                Lang::En => format!("This item already has an open case, #{}; see its progress above.", c.id),
            };
            return again(
                &state,
                &v,
                Notice::bad(Some("item"), text),
                StatusCode::CONFLICT,
                form.raw,
                description,
            )
            .await;
        }
        let scope = v.scope(Action::AftersalesWork);
        let ctx = v.audit();
        let mut proofs = Vec::with_capacity(checked.len());
        for (c, u) in checked.iter().zip(&form.files) {
            let stored = state.attachments.put(c, &u.bytes).await.map_err(ApiError::internal)?;
            let a = NewAttachment {
                sha256: stored.sha256,
                file_name: c.file_name.clone(),
                mime: stored.mime,
                size: stored.size as i64,
            };
            let att = state.store.add_attachment(&scope, &ctx, v.ticket, a).await?;
            proofs.push(CaseProof { attachment_id: att.id, kind: u.proof });
        }
        let req = CreateCase {
            order_id: sel.order.id,
            ticket_id: v.ticket,
            kind: sel.kind,
            reason: sel.reason,
            items: vec![ItemRequest { sku: sel.sku.clone(), quantity: sel.quantity }],
            proofs,
            description: description.clone(),
            amount_fen: None,
            goodwill: false,
            merchant_id: None,
        };
        match open_request(&state, &scope, &ctx, req, &Actor::Customer { customer_id: v.customer }).await {
            Ok(c) => Ok(Redirect::to(&v.url(&format!("&sent={}", c.id))).into_response()),
            Err(e) if e.code != ErrorCode::Internal => {
                let code = status_of(e.code);
                again(&state, &v, Notice::bad(e.field.as_deref(), e.message), code, form.raw, description)
                    .await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    result.unwrap_or_else(|e: ApiError| e.into_response())
}

#[derive(Deserialize)]
pub struct ReturnForm {
    pub token: String,
    pub lang: Option<String>,
    pub case_id: String,
    pub carrier: String,
    pub waybill: String,
    pub expected_version: Option<String>,
}

/// `POST /after-sales/return` (form): the customer's return parcel (退货运单号) for a case awaiting it;
/// the case moves on to await the merchant's receipt.
pub async fn submit_return(State(state): State<AppState>, Form(f): Form<ReturnForm>) -> Response {
    let l = Lang::of(f.lang.as_deref());
    let result = async {
        let v = match visitor(&state, &f.token, l).await? {
            Err(r) => return Ok(r),
            Ok(v) => v,
        };
        let gone = || not_found(l, l.pick("未找到该售后单。", "No such case."));
        let Ok(id) = f.case_id.trim().parse::<i64>() else {
            return Ok(gone());
        };
        let scope = v.scope(Action::AftersalesWork);
        match state.store.get_case(&scope, id).await? {
            Some(c) if c.customer_id == Some(v.customer) => {}
            _ => return Ok(gone()),
        }
        let bad = |field: &'static str, text: &'static str| Notice::bad(Some(field), text);
        let carrier = f.carrier.trim();
        let waybill = f.waybill.trim();
        let refused = if carrier.is_empty() || carrier.chars().count() > 50 {
            Some(bad(
                "carrier",
                l.pick("请填写快递公司（最多 50 字）。", "Enter the carrier (at most 50 characters)."),
            ))
        } else if waybill.is_empty()
            || waybill.chars().count() > 50
            || !waybill.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            Some(bad(
                "waybill",
                l.pick(
                    "请填写正确的运单号（字母、数字或“-”，最多 50 位）。",
                    "Enter the waybill (letters, digits or '-', at most 50).",
                ),
            ))
        } else {
            None
        };
        if let Some(n) = refused {
            return render(&state, &v, Some(n), None, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        let expected = f.expected_version.as_deref().and_then(|s| s.trim().parse::<i64>().ok());
        let cmd = CaseCommand::ShipReturn { carrier: carrier.to_string(), waybill: waybill.to_string() };
        let ticket_actor = Actor::Customer { customer_id: v.customer };
        let ctx = v.audit();
        match service::change(&state, &scope, &ctx, id, expected, &cmd, &CaseActor::Buyer, &ticket_actor)
            .await
        {
            Ok(_) => Ok(Redirect::to(&v.url(&format!("&shipped={id}"))).into_response()),
            Err(e) if e.code != ErrorCode::Internal => {
                let code = status_of(e.code);
                render(&state, &v, Some(Notice::bad(e.field.as_deref(), e.message)), None, code).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    result.unwrap_or_else(|e: ApiError| e.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_is_exact() {
        assert_eq!(yuan(5900), "¥59.00");
        assert_eq!(yuan(1), "¥0.01");
        assert_eq!(yuan(0), "¥0.00");
        assert_eq!(yuan(123_456_789), "¥1234567.89");
        assert_eq!(yuan(-250), "-¥2.50");
    }

    #[test]
    fn markup_is_escaped() {
        assert_eq!(esc("<b a=\"1\">'&"), "&lt;b a=&quot;1&quot;&gt;&#39;&amp;");
    }
}
