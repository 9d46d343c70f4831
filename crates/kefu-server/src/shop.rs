//! The shop system integration (店铺系统对接): actions from a ticket to the merchant's shop system, and the
//! results coming back.
//!
//! request (the handler's gate) → `kefu_core::shop` validates the action and, under the order's row lock
//! in the store, checks it against the order (not shipped for a cancel, never more refunded than paid) →
//! in one transaction: the action row with its idempotency key, the `shop_action_recorded` entry in the
//! ticket's timeline, the `shop.action` job, the audit record.
//!
//! The job (`run_job`) POSTs the action to the shop's actions URL, signed like kefu's webhooks
//! (`X-Kefu-Signature: v1=HMAC-SHA256(secret, "<timestamp>.<body>")`) and carrying `Idempotency-Key`; every
//! retry sends the same key and body, so the shop does the action once. The answer is read by
//! `kefu_core::shop::read_answer`: done, refused, accepted (the result comes later, signed, to
//! `POST /api/v1/shop/{merchant}/action-results`), or retried with the queue's backoff until the last
//! attempt. A final result lands in the ticket's timeline; a refund that settles an after-sales case moves
//! the case (`RefundSucceeded` / `RefundFailed`) as the shop system. When a case enters 退款中 and the
//! merchant's shop takes actions, kefu sends the case's refund on its own ([`after_case_change`]).

use crate::error::{ApiError, ApiResult};
use crate::jobs::JobFailure;
use crate::state::AppState;
use crate::tickets::TicketNotice;
use kefu_core::aftersales::case::{CaseActor, CaseCommand, CaseStatus};
use kefu_core::authz::{Action, Scope};
use kefu_core::shop::{check_order, read_answer, Answer, ShopAction, ShopActionStatus};
use kefu_core::ticket::{Actor, TicketEvent, TicketEventKind};
use kefu_core::ErrorCode;
use kefu_store::{AuditCtx, CaseWrite, NewJob, NewShopAction, ShopActionRecord, ShopActionUpdate, Ticket};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The job kind that sends one action to the shop.
pub const SEND_KIND: &str = "shop.action";
/// The system actor for what the shop system reports.
pub const SHOP_ACTOR: &str = "shop_system";
/// How far a signed request's timestamp may be from now.
pub const SIGNATURE_WINDOW_SECS: i64 = 300;

#[derive(Debug, Serialize, Deserialize)]
struct SendPayload {
    action_id: i64,
}

fn notice(state: &AppState, t: &Option<Ticket>) {
    if let Some(t) = t {
        let _ = state.ticket_events.send(TicketNotice {
            ticket_id: t.id,
            merchant_id: t.merchant_id,
            version: t.version,
            events: vec!["shop_action_recorded".into()],
        });
    }
}

fn timeline(
    actor: &Actor,
    now: kefu_core::time::Millis,
    rec_id: i64,
    action: &ShopAction,
    status: ShopActionStatus,
    summary: String,
) -> TicketEvent {
    TicketEvent {
        at: now,
        actor: actor.clone(),
        kind: TicketEventKind::ShopActionRecorded {
            action_id: rec_id,
            action: action.kind().as_str().into(),
            status: status.as_str().into(),
            summary,
        },
    }
}

/// Ask the shop system to do `action` on order `order_id`, from ticket `ticket_id` (if any).
#[allow(clippy::too_many_arguments)]
pub async fn request(
    state: &AppState,
    scope: &Scope,
    ctx: &AuditCtx,
    actor: &Actor,
    merchant_id: i64,
    ticket_id: Option<i64>,
    order_id: i64,
    action: ShopAction,
) -> ApiResult<ShopActionRecord> {
    action.validate()?;
    let integration = state.store.get_shop_integration(scope, merchant_id).await?;
    match &integration {
        Some(i) if i.active && !i.actions_url.is_empty() => {}
        _ => {
            return Err(ApiError::new(
                ErrorCode::Conflict,
                "the merchant's shop system takes no actions from kefu: set its actions URL in 渠道设置 → 店铺系统",
            ))
        }
    }
    let key = crate::auth::new_token("kfa_");
    let check = |facts: &kefu_core::shop::OrderFacts| check_order(&action, facts);
    let now = ctx.now;
    let build = |id: i64, order_no: &str| {
        let event = timeline(
            actor,
            now,
            id,
            &action,
            ShopActionStatus::Pending,
            format!("{}，已发往店铺系统", action.summary_zh(order_no)),
        );
        let job = NewJob {
            kind: SEND_KIND.into(),
            merchant_id: Some(merchant_id),
            payload: json!(SendPayload { action_id: id }).to_string(),
            max_attempts: crate::jobs::DEFAULT_ATTEMPTS,
            run_at: now,
            dedupe_key: Some(format!("{SEND_KIND}:{id}")),
        };
        (Some(event), Some(job))
    };
    let new =
        NewShopAction { merchant_id, ticket_id, order_id, request: action.clone(), idempotency_key: key };
    let (rec, ticket) = state.store.create_shop_action(scope, ctx, new, &check, &build).await?;
    notice(state, &ticket);
    state.jobs_wake.notify_one();
    Ok(rec)
}

/// The body kefu POSTs to the shop's actions URL.
pub fn action_body(rec: &ShopActionRecord) -> String {
    let mut body = json!({
        "idempotency_key": rec.idempotency_key,
        "merchant_id": rec.merchant_id,
        "order_no": rec.order_no,
        "requested_at": rec.created_at,
    });
    if let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(&rec.request) {
        for (k, v) in fields {
            body[if k == "type" { "action".to_string() } else { k }] = v;
        }
    }
    body.to_string()
}

fn system_ctx(now: kefu_core::time::Millis) -> AuditCtx {
    AuditCtx { actor_id: None, actor_name: format!("system:{SHOP_ACTOR}"), ip: None, request_id: None, now }
}

/// Whether actions may go to `url` on a loopback or private address: with `webhook_allow_private`, or
/// when it is the demo shop running inside this kefu (`demo_shop`).
pub fn allows_private(state: &AppState, url: &str) -> bool {
    state.config.webhook_allow_private
        || (state.config.demo_shop
            && reqwest::Url::parse(url).is_ok_and(|u| u.path().starts_with("/demo-shop/")))
}

/// Run one `shop.action` job: sign, POST, read the answer.
pub async fn run_job(state: &AppState, job: &kefu_store::Job) -> Result<(), JobFailure> {
    let p: SendPayload = serde_json::from_str(&job.payload)
        .map_err(|e| JobFailure::permanent(format!("malformed shop action job: {e}")))?;
    let scope = Scope::channel(job.merchant_id, Action::AftersalesWork);
    let store_err = |e: kefu_store::StoreError| JobFailure::retry(format!("database: {e}"));
    let Some(rec) = state.store.get_shop_action(&scope, p.action_id).await.map_err(store_err)? else {
        return Err(JobFailure::permanent("the shop action no longer exists"));
    };
    if rec.status != ShopActionStatus::Pending {
        return Ok(());
    }
    let last = job.attempts >= job.max_attempts;
    let integration = state.store.get_shop_integration(&scope, rec.merchant_id).await.map_err(store_err)?;
    let answer = match integration {
        Some(i) if i.active && !i.actions_url.is_empty() => {
            let allow_private = allows_private(state, &i.actions_url);
            let refused = match reqwest::Url::parse(&i.actions_url) {
                Ok(_) if allow_private => None,
                Ok(u) => crate::channels::webhooks::refused_host(&u),
                Err(_) => Some("the actions URL is not valid".to_string()),
            };
            match refused {
                Some(why) => Answer::Refused { message: why },
                None => {
                    let body = action_body(&rec);
                    let ts = crate::auth::now().0 / 1000;
                    let sent = crate::channels::webhooks::client(state, allow_private)
                        .post(&i.actions_url)
                        .header("Content-Type", "application/json")
                        .header("Idempotency-Key", &rec.idempotency_key)
                        .header("X-Kefu-Timestamp", ts.to_string())
                        .header("X-Kefu-Signature", crate::channels::webhooks::sign(&i.secret, ts, &body))
                        .body(body)
                        .send()
                        .await;
                    match sent {
                        Ok(resp) => {
                            let status = resp.status().as_u16();
                            let text = resp.text().await.unwrap_or_default();
                            read_answer(status, &text)
                        }
                        Err(e) if e.is_timeout() => {
                            Answer::Retry { message: "the shop did not answer in time".into() }
                        }
                        Err(e) => Answer::Retry { message: format!("could not reach the shop system: {e}") },
                    }
                }
            }
        }
        _ => Answer::Refused { message: "the merchant's shop system takes no actions any more".into() },
    };
    let ctx = system_ctx(crate::auth::now());
    let retry_msg = match &answer {
        Answer::Retry { message } if !last => Some(message.clone()),
        _ => None,
    };
    let answer = match answer {
        Answer::Retry { message } if last => {
            Answer::Refused { message: format!("gave up after {} attempts: {message}", job.attempts) }
        }
        a => a,
    };
    settle(state, &ctx, &rec, answer, Some(job.attempts)).await.map_err(|e| JobFailure::retry(e.message))?;
    match retry_msg {
        Some(m) => Err(JobFailure::retry(m)),
        None => Ok(()),
    }
}

/// Record what the shop said about `rec` and carry it on: the ticket's timeline, the after-sales case a
/// refund settles. A result for an action already final changes nothing.
pub async fn settle(
    state: &AppState,
    ctx: &AuditCtx,
    rec: &ShopActionRecord,
    answer: Answer,
    attempts: Option<i64>,
) -> ApiResult<Option<ShopActionRecord>> {
    let scope = Scope::channel(Some(rec.merchant_id), Action::AftersalesWork);
    let actor = Actor::System { name: SHOP_ACTOR.into() };
    let label = rec.request.summary_zh(&rec.order_no);
    let (status, message, reference, event) = match &answer {
        Answer::Succeeded { reference, message } => {
            let r = reference.as_deref().map(|r| format!("（店铺单号 {r}）")).unwrap_or_default();
            (
                ShopActionStatus::Succeeded,
                message.clone(),
                reference.clone(),
                Some(format!("店铺系统已完成：{label}{r}")),
            )
        }
        Answer::Accepted => (
            ShopActionStatus::Accepted,
            "accepted".to_string(),
            None,
            Some(format!("店铺系统已受理：{label}，结果稍后回传")),
        ),
        Answer::Refused { message } => (
            ShopActionStatus::Failed,
            message.clone(),
            None,
            Some(format!("店铺系统未能完成：{label}。原因：{message}")),
        ),
        Answer::Retry { message } => (ShopActionStatus::Pending, message.clone(), None, None),
    };
    let update = ShopActionUpdate {
        status,
        message,
        reference: reference.clone(),
        attempts,
        ticket_event: event.map(|summary| timeline(&actor, ctx.now, rec.id, &rec.request, status, summary)),
    };
    let Some((after, ticket)) = state.store.update_shop_action(&scope, ctx, rec.id, update).await? else {
        return Ok(None);
    };
    notice(state, &ticket);
    if let (Some(case_id), true) = (after.case_id, after.status.is_final()) {
        let cmd = match after.status {
            ShopActionStatus::Succeeded => CaseCommand::RefundSucceeded {
                refund_ref: after.reference.clone().unwrap_or_else(|| after.idempotency_key.clone()),
            },
            _ => CaseCommand::RefundFailed { error: after.message.chars().take(500).collect() },
        };
        let case_actor = CaseActor::System { name: SHOP_ACTOR.into() };
        match crate::aftersales::change(state, &scope, ctx, case_id, None, &cmd, &case_actor, &actor).await {
            // The case moved on meanwhile (recorded by hand, cancelled): the refund stays on the action.
            Ok(_) | Err(ApiError { code: ErrorCode::Conflict, .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(Some(after))
}

/// After a case change: a case that entered 退款中 has its refund sent to the shop when the merchant's
/// shop system takes actions (otherwise the refund is recorded by hand or by the shop's own report).
pub async fn after_case_change(state: &AppState, ctx: &AuditCtx, w: &CaseWrite) {
    let c = &w.case;
    if c.status != CaseStatus::Refunding
        || !w.events.iter().any(|e| {
            matches!(
                e.kind,
                kefu_core::aftersales::case::CaseEventKind::StatusChanged { to: CaseStatus::Refunding, .. }
            )
        })
    {
        return;
    }
    let scope = Scope::channel(Some(c.merchant_id), Action::AftersalesWork);
    match state.store.get_shop_integration(&scope, c.merchant_id).await {
        Ok(Some(i)) if i.active && !i.actions_url.is_empty() => {}
        _ => return,
    }
    let action = ShopAction::Refund {
        amount_fen: c.state.amount_fen,
        reason: format!("售后单 #{} {}（{}）", c.id, c.kind_label, c.reason_label),
        case_id: Some(c.id),
    };
    let actor = Actor::System { name: SHOP_ACTOR.into() };
    let sys = AuditCtx {
        actor_id: None,
        actor_name: format!("system:{SHOP_ACTOR}"),
        ip: ctx.ip.clone(),
        request_id: ctx.request_id.clone(),
        now: ctx.now,
    };
    if let Err(e) = request(state, &scope, &sys, &actor, c.merchant_id, c.ticket_id, c.order_id, action).await
    {
        // Already sent (a conflict on the case's one refund) is expected on a replayed command.
        if e.code != ErrorCode::Conflict {
            tracing::warn!(case = c.id, error = %e.message, "could not send the after-sales refund to the shop system");
        }
    }
}

/// Check a signed request from a shop system: `X-Kefu-Timestamp` within five minutes of now and
/// `X-Kefu-Signature` the HMAC of `"<timestamp>.<body>"` under the merchant's secret (compared in
/// constant time).
pub fn verify_signature(
    secret: &str,
    headers: &axum::http::HeaderMap,
    body: &str,
    now_secs: i64,
) -> Result<(), ApiError> {
    let unauth = |m: &str| ApiError::new(ErrorCode::Unauthenticated, m.to_string());
    let ts: i64 = headers
        .get("x-kefu-timestamp")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| unauth("X-Kefu-Timestamp is missing or not a number of seconds"))?;
    if (now_secs - ts).abs() > SIGNATURE_WINDOW_SECS {
        return Err(unauth("X-Kefu-Timestamp is more than five minutes away from now"));
    }
    let given = headers
        .get("x-kefu-signature")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| unauth("X-Kefu-Signature is missing"))?;
    let want = crate::channels::webhooks::sign(secret, ts, body);
    use subtle::ConstantTimeEq;
    if want.as_bytes().ct_eq(given.as_bytes()).into() {
        Ok(())
    } else {
        Err(unauth("X-Kefu-Signature does not match the body"))
    }
}
