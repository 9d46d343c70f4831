//! After-sales cases (售后单) through the API, on both backends: the whole return-and-refund flow with
//! the steps in the ticket's timeline, a request the law does not cover refused with its explanation
//! (and a goodwill exception opened for review), tenant isolation, bad input naming the field, two
//! refunds racing on one case, and time limits whose automatic outcomes fire from durable jobs, also
//! on another node after a restart.

use crate::both_backends;
use crate::common::{error_code, Backend, TestApp};
use crate::webhooks::two_merchants;
use kefu_core::org::Role;
use kefu_core::time::Millis;
use reqwest::StatusCode;
use serde_json::{json, Value};

const DAY: i64 = 86_400_000;

struct Shop {
    app: TestApp,
    /// Merchant A's agent (客服专员) and merchant B's admin.
    agent: String,
    other: String,
    merchant: i64,
    shop_admin: String,
}

async fn shop(backend: Backend) -> Shop {
    let app = TestApp::spawn(backend).await;
    let (_admin, merchants, admins) = two_merchants(&app).await;
    app.user("a.agent", Role::Agent, Some(merchants[0])).await;
    let agent = app.login("a.agent").await;
    let [shop_admin, other] = admins;
    Shop { app, agent, other, merchant: merchants[0], shop_admin }
}

/// Push order `no` of merchant A (a cup ×2 and a customised cake), signed `signed_days_ago` days ago, or
/// paid and not shipped when `None`; returns the order's id and customer.
async fn order(w: &Shop, no: &str, signed_days_ago: Option<i64>) -> (i64, i64) {
    let now = kefu_server::auth::now();
    let mut o = json!({
        "order_no": no, "customer": {"account_id": format!("buyer-{no}"), "name": "小王"},
        "status": if signed_days_ago.is_some() { "signed" } else { "paid" },
        "items": [
            {"sku": "CUP-1", "name": "保温杯", "quantity": 2, "price_fen": 5900},
            {"sku": "CAKE-1", "name": "生日蛋糕（定制）", "quantity": 1, "price_fen": 19900, "flags": {"customised": true}}
        ],
        "total_fen": 31700, "paid_fen": 31700,
        "ordered_at": Millis(now.0 - 20 * DAY).to_rfc3339(), "paid_at": Millis(now.0 - 20 * DAY).to_rfc3339(),
        "updated_at": Millis(now.0 - 1000).to_rfc3339()
    });
    if let Some(d) = signed_days_ago {
        o["shipping_company"] = json!("顺丰");
        o["waybill"] = json!("SF100");
        o["shipped_at"] = json!(Millis(now.0 - (d + 1) * DAY).to_rfc3339());
        o["signed_at"] = json!(Millis(now.0 - d * DAY).to_rfc3339());
    }
    let (s, b) =
        w.app.post("/api/v1/orders", &w.shop_admin, json!({"merchant_id": w.merchant, "orders": [o]})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, list) = w.app.get(&format!("/api/v1/orders?order_no={no}"), &w.agent).await;
    let o = &list["items"][0];
    (o["id"].as_i64().unwrap(), o["customer_id"].as_i64().unwrap())
}

async fn ticket(w: &Shop, customer: i64) -> i64 {
    let (s, t) = w
        .app
        .post(
            "/api/v1/tickets",
            &w.agent,
            json!({"customer_id": customer, "channel": "web", "subject": "想退货", "body": "杯子不想要了，可以退吗？"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    t["id"].as_i64().unwrap()
}

/// An order, its ticket and a return-and-refund case for one cup.
async fn case(w: &Shop, no: &str, kind: &str, signed_days_ago: Option<i64>) -> (i64, i64) {
    let (order_id, customer) = order(w, no, signed_days_ago).await;
    let t = ticket(w, customer).await;
    let (s, c) = w
        .app
        .post(
            "/api/v1/aftersales",
            &w.agent,
            json!({"order_id": order_id, "ticket_id": t, "kind": kind, "reason": "no_reason",
                   "items": [{"sku": "CUP-1", "quantity": 1}], "description": "不想要了"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    (c["id"].as_i64().unwrap(), t)
}

async fn step(w: &Shop, id: i64, what: &str, body: Value) -> Value {
    let (s, c) = w.app.post(&format!("/api/v1/aftersales/{id}/{what}"), &w.agent, body).await;
    assert_eq!(s, StatusCode::OK, "{what}: {c}");
    c
}

fn types(events: &Value) -> Vec<String> {
    events.as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap().to_string()).collect()
}

/// The after-sales steps in the ticket's timeline.
async fn timeline(w: &Shop, ticket: i64) -> Vec<String> {
    let (s, ev) = w.app.get(&format!("/api/v1/tickets/{ticket}/events"), &w.agent).await;
    assert_eq!(s, StatusCode::OK, "{ev}");
    ev.as_array()
        .unwrap()
        .iter()
        .filter(|e| e.to_string().contains("after_sales_recorded"))
        .map(|e| e.to_string())
        .collect()
}

async fn return_and_refund(backend: Backend) {
    let w = shop(backend).await;
    let (order_id, customer) = order(&w, "R-1", Some(2)).await;
    let t = ticket(&w, customer).await;
    let (s, c) = w
        .app
        .post(
            "/api/v1/aftersales",
            &w.agent,
            json!({"order_id": order_id, "ticket_id": t, "kind": "return_refund", "reason": "no_reason",
                   "items": [{"sku": "CUP-1", "quantity": 1}], "description": "不想要了"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let id = c["id"].as_i64().unwrap();
    assert_eq!(c["status"], "awaiting_merchant");
    assert_eq!(c["verdict"]["outcome"], "eligible", "{c}");
    assert_eq!(c["verdict"]["rule"], "no_reason_within_window");
    assert!(c["verdict"]["basis"].as_str().unwrap().contains("第二十五条"), "{c}");
    assert_eq!(c["needs_review"], false);
    assert_eq!(c["amount_fen"], 5900, "one cup's price");
    assert_eq!(c["items"], json!([{"sku": "CUP-1", "name": "保温杯", "quantity": 1}]));
    assert_eq!(c["customer_id"], customer);
    // The goods were shipped: the merchant has 5 days to answer.
    assert_eq!(c["time_limit"], "merchant_response");

    let c = step(&w, id, "agree", json!({"expected_version": c["version"]})).await;
    assert_eq!(c["status"], "awaiting_return");
    assert_eq!(c["time_limit"], "buyer_shipment");
    let c = step(&w, id, "return-shipment", json!({"carrier": "顺丰", "waybill": "SF2026120301"})).await;
    assert_eq!(c["status"], "awaiting_receipt");
    assert_eq!(c["return_waybill"], "SF2026120301");
    assert_eq!(c["return_carrier"], "顺丰");
    let c = step(&w, id, "receipt", json!({"condition": "完好，吊牌在"})).await;
    assert_eq!(c["status"], "refunding");
    assert_eq!(c["goods_condition"], "完好，吊牌在");
    let c = step(&w, id, "refund-executed", json!({"refund_ref": "RF-20261203-1"})).await;
    assert_eq!(c["status"], "refunded");
    assert_eq!(c["status_label"], "已退款");
    assert_eq!(c["refund_ref"], "RF-20261203-1");
    assert!(c["time_limit"].is_null());

    // Nothing further: a command the status does not allow is a conflict naming the status.
    let (s, e) = w
        .app
        .post(&format!("/api/v1/aftersales/{id}/refund-executed"), &w.agent, json!({"refund_ref": "RF-2"}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert_eq!(error_code(&e), "conflict");
    assert!(e["error"]["message"].as_str().unwrap().contains("已退款"), "{e}");
    let (s, e) = w.app.post(&format!("/api/v1/aftersales/{id}/cancel"), &w.agent, json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");

    let (s, d) = w.app.get(&format!("/api/v1/aftersales/{id}"), &w.agent).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    let kinds = types(&d["events"]);
    for k in ["requested", "agreed", "return_shipped", "goods_received", "refund_requested", "refunded"] {
        assert_eq!(kinds.iter().filter(|x| *x == k).count(), 1, "{k} once in {kinds:?}");
    }
    assert_eq!(d["events"][0]["actor"]["kind"], "buyer");
    assert_eq!(
        d["events"].as_array().unwrap().iter().find(|e| e["type"] == "agreed").unwrap()["actor"]["kind"],
        "merchant"
    );

    // The agent reads the case's history in the ticket.
    let steps = timeline(&w, t).await;
    assert_eq!(steps.len(), 5, "{steps:?}");
    assert!(steps[0].contains("申请退货退款"), "{}", steps[0]);
    assert!(steps[3].contains("发起退款 ¥59.00"), "{}", steps[3]);
    assert!(steps[4].contains("退款已完成") && steps[4].contains("已退款"), "{}", steps[4]);

    // Lists by ticket, order, customer and status.
    for q in [
        format!("ticket_id={t}"),
        format!("order_id={order_id}"),
        format!("customer_id={customer}"),
        "status=refunded".into(),
    ] {
        let (s, l) = w.app.get(&format!("/api/v1/aftersales?{q}"), &w.agent).await;
        assert_eq!(s, StatusCode::OK, "{l}");
        assert_eq!(l["items"].as_array().unwrap().len(), 1, "{q}: {l}");
        assert_eq!(l["items"][0]["id"], id);
    }
    let (_, l) = w.app.get("/api/v1/aftersales?status=awaiting_merchant", &w.agent).await;
    assert_eq!(l["items"], json!([]));
    // The item may be asked about again once the case is over.
    let (s, c2) = w
        .app
        .post(
            "/api/v1/aftersales",
            &w.agent,
            json!({"order_id": order_id, "ticket_id": t, "kind": "return_refund", "reason": "no_reason",
                   "items": [{"sku": "CUP-1", "quantity": 1}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c2}");
}
both_backends!(return_and_refund);

async fn not_eligible_is_refused_with_the_rule(backend: Backend) {
    let w = shop(backend).await;
    let (order_id, customer) = order(&w, "N-1", Some(2)).await;
    let t = ticket(&w, customer).await;
    let body = json!({"order_id": order_id, "ticket_id": t, "kind": "return_refund", "reason": "no_reason",
                      "items": [{"sku": "CAKE-1", "quantity": 1}]});
    let (s, e) = w.app.post("/api/v1/aftersales", &w.agent, body.clone()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["field"], "items");
    let msg = e["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("excluded_customised") && msg.contains("定作的商品") && msg.contains("第二十五条"),
        "{msg}"
    );
    let (_, l) = w.app.get(&format!("/api/v1/aftersales?ticket_id={t}"), &w.agent).await;
    assert_eq!(l["items"], json!([]), "nothing was opened");

    // A goodwill exception is opened, with the verdict kept and marked for review.
    let mut goodwill = body.clone();
    goodwill["goodwill"] = json!(true);
    let (s, c) = w.app.post("/api/v1/aftersales", &w.agent, goodwill.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(c["verdict"]["outcome"], "not_eligible");
    assert_eq!(c["verdict"]["rule"], "excluded_customised");
    assert_eq!(c["goodwill"], true);
    assert_eq!(c["needs_review"], true);
    // One open case per item.
    let (s, e) = w.app.post("/api/v1/aftersales", &w.agent, goodwill).await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains(&format!("#{}", c["id"])), "{e}");
}
both_backends!(not_eligible_is_refused_with_the_rule);

async fn tenant_isolation(backend: Backend) {
    let w = shop(backend).await;
    let (id, t) = case(&w, "T-1", "return_refund", Some(1)).await;
    let (s, e) = w.app.get(&format!("/api/v1/aftersales/{id}"), &w.other).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{e}");
    let (s, e) = w.app.post(&format!("/api/v1/aftersales/{id}/agree"), &w.other, json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{e}");
    let (s, l) = w.app.get("/api/v1/aftersales", &w.other).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(l["items"], json!([]));
    let (_, l) = w.app.get(&format!("/api/v1/aftersales?ticket_id={t}"), &w.other).await;
    assert_eq!(l["items"], json!([]));
    let (_, d) = w.app.get(&format!("/api/v1/aftersales/{id}"), &w.agent).await;
    let order_id = d["order_id"].as_i64().unwrap();
    let (s, e) = w
        .app
        .post(
            "/api/v1/aftersales",
            &w.other,
            json!({"order_id": order_id, "ticket_id": t, "kind": "exchange", "reason": "quality_problem",
                   "items": [{"sku": "CAKE-1", "quantity": 1}]}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{e}");
    // Nothing changed.
    let (_, d) = w.app.get(&format!("/api/v1/aftersales/{id}"), &w.agent).await;
    assert_eq!(d["status"], "awaiting_merchant");
}
both_backends!(tenant_isolation);

async fn bad_input_names_the_field(backend: Backend) {
    let w = shop(backend).await;
    let (order_id, customer) = order(&w, "B-1", Some(1)).await;
    let t = ticket(&w, customer).await;
    let base = json!({"order_id": order_id, "ticket_id": t, "kind": "return_refund", "reason": "no_reason",
                      "items": [{"sku": "CUP-1", "quantity": 1}]});
    let cases: Vec<(Value, &str)> = vec![
        (json!({"items": [{"sku": "CUP-1", "quantity": 3}]}), "items[0].quantity"),
        (json!({"items": [{"sku": "CUP-1", "quantity": 0}]}), "items[0].quantity"),
        (json!({"items": [{"sku": "NOPE", "quantity": 1}]}), "items[0].sku"),
        (json!({"items": []}), "items"),
        (json!({"amount_fen": 999999}), "amount_fen"),
        (json!({"kind": "swap"}), "kind"),
        (json!({"proofs": [{"attachment_id": 424242, "kind": "photos"}]}), "proofs[0].attachment_id"),
    ];
    for (patch, field) in cases {
        let mut b = base.clone();
        for (k, v) in patch.as_object().unwrap() {
            b[k] = v.clone();
        }
        let (s, e) = w.app.post("/api/v1/aftersales", &w.agent, b).await;
        assert!(s == StatusCode::UNPROCESSABLE_ENTITY || s == StatusCode::BAD_REQUEST, "{field}: {s} {e}");
        assert_eq!(e["error"]["field"], field, "{e}");
    }
    let (s, c) = w.app.post("/api/v1/aftersales", &w.agent, base).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let id = c["id"].as_i64().unwrap();
    // Shipping back before the merchant agreed: the status is named.
    let (s, e) = w
        .app
        .post(
            &format!("/api/v1/aftersales/{id}/return-shipment"),
            &w.agent,
            json!({"carrier": "顺丰", "waybill": "SF1"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("待商家处理"), "{e}");
    let (s, e) =
        w.app.post(&format!("/api/v1/aftersales/{id}/reject"), &w.agent, json!({"reason": "  "})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["field"], "reason");
    let (s, e) =
        w.app.post(&format!("/api/v1/aftersales/{id}/agree"), &w.agent, json!({"expected_version": 0})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["error"]["field"], "expected_version");
    step(&w, id, "agree", json!({})).await;
    let (s, e) = w
        .app
        .post(
            &format!("/api/v1/aftersales/{id}/return-shipment"),
            &w.agent,
            json!({"carrier": "顺丰", "waybill": ""}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["field"], "waybill");
    // Only the platform decides disputes.
    let (s, e) = w
        .app
        .post(
            &format!("/api/v1/aftersales/{id}/platform-decision"),
            &w.agent,
            json!({"for_buyer": true, "note": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    let (s, _) = w.app.get("/api/v1/aftersales/999999", &w.agent).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
both_backends!(bad_input_names_the_field);

/// Fire `n` identical commands at once; the statuses answered.
async fn race(w: &Shop, id: i64, what: &str, body: impl Fn(usize) -> Value) -> Vec<StatusCode> {
    let calls = (0..8).map(|i| {
        let req = w
            .app
            .client
            .post(format!("{}/api/v1/aftersales/{id}/{what}", w.app.base))
            .bearer_auth(&w.agent)
            .json(&body(i));
        async move { req.send().await.unwrap().status() }
    });
    futures_util::future::join_all(calls).await
}

async fn a_refund_happens_once_under_a_race(backend: Backend) {
    let w = shop(backend).await;
    let (id, t) = case(&w, "X-1", "return_refund", Some(1)).await;
    step(&w, id, "agree", json!({})).await;
    step(&w, id, "return-shipment", json!({"carrier": "中通", "waybill": "ZT1"})).await;
    // Two agents confirm receipt at once: the refund is asked once.
    let got = race(&w, id, "receipt", |i| json!({"condition": format!("完好 {i}")})).await;
    assert_eq!(got.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{got:?}");
    assert!(got.iter().all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT), "{got:?}");
    // The shop system reports the refund several times at once: recorded once.
    let got = race(&w, id, "refund-executed", |i| json!({"refund_ref": format!("RF-{i}")})).await;
    assert_eq!(got.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{got:?}");
    assert!(got.iter().all(|s| *s == StatusCode::OK || *s == StatusCode::CONFLICT), "{got:?}");
    let (_, d) = w.app.get(&format!("/api/v1/aftersales/{id}"), &w.agent).await;
    let kinds = types(&d["events"]);
    assert_eq!(kinds.iter().filter(|k| *k == "refund_requested").count(), 1, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| *k == "refunded").count(), 1, "{kinds:?}");
    assert_eq!(kinds.iter().filter(|k| *k == "goods_received").count(), 1, "{kinds:?}");
    assert_eq!(d["status"], "refunded");
    assert_eq!(d["version"].as_i64().unwrap(), d["events"].as_array().unwrap().len() as i64);
    assert_eq!(timeline(&w, t).await.len(), 5);
}
both_backends!(a_refund_happens_once_under_a_race);

async fn time_limits_fire_from_durable_jobs(backend: Backend) {
    let w = shop(backend).await;
    // Not shipped, refund only: the merchant has 48 hours, else the refund is made automatically.
    let (order_id, customer) = order(&w, "P-1", None).await;
    let t = ticket(&w, customer).await;
    let (s, c) = w
        .app
        .post(
            "/api/v1/aftersales",
            &w.agent,
            json!({"order_id": order_id, "ticket_id": t, "kind": "refund_only", "reason": "no_reason",
                   "items": [{"sku": "CUP-1", "quantity": 2}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(c["verdict"]["rule"], "not_shipped_refund");
    let id = c["id"].as_i64().unwrap();
    assert_eq!(c["time_limit"], "merchant_response");
    let due = Millis::parse_rfc3339(c["due_at"].as_str().unwrap()).unwrap();
    let created = Millis::parse_rfc3339(c["created_at"].as_str().unwrap()).unwrap();
    assert_eq!(due.0 - created.0, 48 * 3_600_000, "48 hours");

    // A return the buyer never ships: closed after 7 days.
    let (ret, ret_ticket) = case(&w, "P-2", "return_refund", Some(1)).await;
    step(&w, ret, "agree", json!({})).await;

    // Before the limit nothing fires.
    let state = w.app.state();
    kefu_server::jobs::run_due(&state, "node-1", Millis(due.0 - 60_000), 16).await.unwrap();
    let (_, d) = w.app.get(&format!("/api/v1/aftersales/{id}"), &w.agent).await;
    assert_eq!(d["status"], "awaiting_merchant");

    // Another node after a restart (nothing in memory): the timers are rows in the database.
    let node = w.app.second_node().await;
    let ran = kefu_server::jobs::run_due(&node, "node-2", Millis(due.0 + 1000), 16).await.unwrap();
    assert!(ran >= 1, "{ran}");
    let (_, d) = w.app.get(&format!("/api/v1/aftersales/{id}"), &w.agent).await;
    assert_eq!(d["status"], "refunding", "{d}");
    let agreed = d["events"].as_array().unwrap().iter().find(|e| e["type"] == "agreed").unwrap().clone();
    assert_eq!(agreed["rule"], "auto_refund_unshipped");
    assert_eq!(agreed["actor"], json!({"kind": "system", "name": "aftersales_timer"}));
    assert_eq!(types(&d["events"]).iter().filter(|k| *k == "refund_requested").count(), 1);
    let steps = timeline(&w, t).await;
    assert!(steps.last().unwrap().contains("auto_refund_unshipped"), "{steps:?}");

    // Eight days on: the buyer did not ship; the merchant-response timer of that case found it answered.
    kefu_server::jobs::run_due(&node, "node-2", Millis(kefu_server::auth::now().0 + 8 * DAY), 16)
        .await
        .unwrap();
    let (_, d) = w.app.get(&format!("/api/v1/aftersales/{ret}"), &w.agent).await;
    assert_eq!(d["status"], "closed", "{d}");
    let kinds = types(&d["events"]);
    assert_eq!(kinds.iter().filter(|k| *k == "agreed").count(), 1, "{kinds:?}");
    let closed = d["events"].as_array().unwrap().iter().find(|e| e["type"] == "closed").unwrap().clone();
    assert_eq!(closed["rule"], "buyer_did_not_ship");
    assert!(timeline(&w, ret_ticket).await.last().unwrap().contains("买家超时未寄回商品"));
    // Fired timers are done; running again changes nothing.
    kefu_server::jobs::run_due(&node, "node-2", Millis(kefu_server::auth::now().0 + 30 * DAY), 16)
        .await
        .unwrap();
    let (_, again) = w.app.get(&format!("/api/v1/aftersales/{ret}"), &w.agent).await;
    assert_eq!(again["version"], d["version"]);
}
both_backends!(time_limits_fire_from_durable_jobs);
