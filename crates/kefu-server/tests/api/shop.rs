//! The shop system integration (店铺系统对接) on both backends, against the demo shop running inside kefu
//! and real HTTP receivers: signed order intake (unsigned, forged, stale and foreign signatures refused;
//! the same event twice changes nothing; a malformed push names the field and writes nothing), actions
//! from a ticket with their results in the timeline, a retried action sent with the same idempotency key,
//! a result reported later and reported twice, a case refunded once, and tenant isolation.

use crate::both_backends;
use crate::common::{error_code, Backend, TestApp};
use crate::webhooks::two_merchants;
use axum::http::HeaderMap;
use kefu_core::org::Role;
use kefu_core::time::Millis;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

pub struct ShopWorld {
    pub app: TestApp,
    pub agent: String,
    pub merchant: i64,
    pub shop_admin: String,
    pub other: String,
    pub secret: String,
}

/// Two merchants; merchant A's shop system is the demo shop inside kefu.
pub async fn shop_world(backend: Backend) -> ShopWorld {
    let app = TestApp::spawn_with(backend, |c| {
        c.webhook_allow_private = true;
        c.demo_shop = true;
    })
    .await;
    let (_admin, merchants, admins) = two_merchants(&app).await;
    app.user("a.agent", Role::Agent, Some(merchants[0])).await;
    let agent = app.login("a.agent").await;
    let [shop_admin, other] = admins;
    let url = format!("{}/demo-shop/actions", app.base);
    let (s, i) = app.put("/api/v1/shop-integration", &shop_admin, json!({"actions_url": url})).await;
    assert_eq!(s, StatusCode::OK, "{i}");
    let secret = i["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("shsec_"));
    ShopWorld { app, agent, merchant: merchants[0], shop_admin, other, secret }
}

pub fn sign(secret: &str, ts: i64, body: &str) -> String {
    kefu_server::channels::webhooks::sign(secret, ts, body)
}

/// POST a body to a signed shop endpoint with the given timestamp and signature.
async fn signed(app: &TestApp, path: &str, body: &str, ts: i64, signature: &str) -> (StatusCode, Value) {
    let r = app
        .client
        .post(format!("{}{path}", app.base))
        .header("Content-Type", "application/json")
        .header("X-Kefu-Timestamp", ts.to_string())
        .header("X-Kefu-Signature", signature)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

pub fn now_s() -> i64 {
    kefu_server::auth::now().0 / 1000
}

/// The demo shop places an order for `account`; kefu's id of it and of its customer.
pub async fn demo_order(w: &ShopWorld, account: &str) -> (String, i64, i64) {
    let r = w
        .app
        .client
        .post(format!("{}/demo-shop/api/orders", w.app.base))
        .json(&json!({"merchant_id": w.merchant, "account_id": account, "name": "小王"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["push"]["created"], 1, "{v}");
    let no = v["order"]["order_no"].as_str().unwrap().to_string();
    let (_, list) = w.app.get(&format!("/api/v1/orders?order_no={no}"), &w.agent).await;
    let o = &list["items"][0];
    (no, o["id"].as_i64().unwrap(), o["customer_id"].as_i64().unwrap())
}

pub async fn demo_step(w: &ShopWorld, no: &str, step: &str, days_ago: i64) {
    let r = w
        .app
        .client
        .post(format!("{}/demo-shop/api/orders/{}/{no}/{step}?days_ago={days_ago}", w.app.base, w.merchant))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{step}: {}", r.text().await.unwrap());
}

pub async fn new_ticket(w: &ShopWorld, customer: i64, subject: &str) -> i64 {
    let (s, t) = w
        .app
        .post(
            "/api/v1/tickets",
            &w.agent,
            json!({"customer_id": customer, "channel": "web", "subject": subject, "body": subject}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    t["id"].as_i64().unwrap()
}

pub async fn run_jobs(w: &ShopWorld) -> usize {
    kefu_server::jobs::run_due(&w.app.state(), "node-1", kefu_server::auth::now(), 32).await.unwrap()
}

/// The shop-action entries of a ticket's timeline: (status, summary).
pub async fn shop_steps(w: &ShopWorld, ticket: i64) -> Vec<(String, String)> {
    let (s, ev) = w.app.get(&format!("/api/v1/tickets/{ticket}/events"), &w.agent).await;
    assert_eq!(s, StatusCode::OK, "{ev}");
    ev.as_array()
        .unwrap()
        .iter()
        .map(|e| if e.get("kind").is_some() { e["kind"].clone() } else { e.clone() })
        .filter(|k| k["type"] == "shop_action_recorded")
        .map(|k| (k["status"].as_str().unwrap().to_string(), k["summary"].as_str().unwrap().to_string()))
        .collect()
}

async fn signed_intake(backend: Backend) {
    let w = shop_world(backend).await;
    let path = format!("/api/v1/shop/{}/orders", w.merchant);
    let now = kefu_server::auth::now();
    let order = |no: &str, updated: Millis| {
        json!({"order_no": no, "customer": {"account_id": "sig-buyer", "name": "小李"}, "status": "paid",
               "items": [{"sku": "A-1", "name": "台灯", "quantity": 1, "price_fen": 9900}],
               "total_fen": 9900, "paid_fen": 9900, "ordered_at": now, "updated_at": updated})
    };
    let body = json!({"event_id": "evt-1", "orders": [order("SIG-1", now)]}).to_string();
    let ts = now_s();

    // No signature, a forged one, a stale timestamp, another merchant's secret: 401, nothing written.
    let r = w.app.client.post(format!("{}{path}", w.app.base)).body(body.clone()).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let (s, e) = signed(&w.app, &path, &body, ts, "v1=00").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("Signature"), "{e}");
    let (s, e) = signed(&w.app, &path, &body, ts - 3600, &sign(&w.secret, ts - 3600, &body)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("five minutes"), "{e}");
    let (s, b_int) = w.app.put("/api/v1/shop-integration", &w.other, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{b_int}");
    let b_secret = b_int["secret"].as_str().unwrap();
    let (s, _) = signed(&w.app, &path, &body, ts, &sign(b_secret, ts, &body)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "merchant B's secret does not sign merchant A's orders");
    let (_, list) = w.app.get("/api/v1/orders?order_no=SIG-1", &w.agent).await;
    assert!(list["items"].as_array().unwrap().is_empty());

    // Signed: stored, with the customer's profile created; the same event again changes nothing.
    let (s, out) = signed(&w.app, &path, &body, ts, &sign(&w.secret, ts, &body)).await;
    assert_eq!(s, StatusCode::OK, "{out}");
    assert_eq!(out["created"], 1);
    let (s, out) = signed(&w.app, &path, &body, ts, &sign(&w.secret, ts, &body)).await;
    assert_eq!(s, StatusCode::OK, "{out}");
    assert_eq!(out["duplicate"], true);
    assert_eq!(out["created"], 0);
    let (_, list) = w.app.get("/api/v1/orders?order_no=SIG-1", &w.agent).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert!(list["items"][0]["customer_id"].as_i64().is_some());

    // A malformed push names the field and writes nothing of the push, not even its good order.
    let mut bad = order("SIG-3", now);
    bad["items"][0]["quantity"] = json!(0);
    let body = json!({"event_id": "evt-2", "orders": [order("SIG-2", now), bad]}).to_string();
    let (s, e) = signed(&w.app, &path, &body, ts, &sign(&w.secret, ts, &body)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(error_code(&e), "validation");
    assert_eq!(e["error"]["field"], "orders[1].items[0].quantity", "{e}");
    let (_, list) = w.app.get("/api/v1/orders?order_no=SIG-2", &w.agent).await;
    assert!(list["items"].as_array().unwrap().is_empty(), "nothing half-written");
    // A signed body that is not an order push is refused naming the field.
    let body = json!({"orders": [{"order_no": "X"}]}).to_string();
    let (s, e) = signed(&w.app, &path, &body, ts, &sign(&w.secret, ts, &body)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");

    // A merchant without an integration takes no signed pushes at all.
    let none = 999_999;
    let body = json!({"orders": [order("SIG-9", now)]}).to_string();
    let (s, _) =
        signed(&w.app, &format!("/api/v1/shop/{none}/orders"), &body, ts, &sign(&w.secret, ts, &body)).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // The settings are the merchant's own: merchant B cannot read A's.
    let (s, _) = w.app.get(&format!("/api/v1/shop-integration?merchant_id={}", w.merchant), &w.other).await;
    assert!(s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND, "{s}");
    // A bad actions URL is refused naming the field.
    let (s, e) =
        w.app.put("/api/v1/shop-integration", &w.shop_admin, json!({"actions_url": "ftp://x"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["field"], "actions_url");
}
both_backends!(signed_intake);

async fn actions_from_a_ticket(backend: Backend) {
    let w = shop_world(backend).await;
    let (no, order_id, customer) = demo_order(&w, "act-buyer").await;
    let t = new_ticket(&w, customer, "地址写错了").await;

    // Modify the address before shipping: sent, done by the shop, both steps in the timeline.
    let (s, a) = w
        .app
        .post(
            &format!("/api/v1/tickets/{t}/shop-actions"),
            &w.agent,
            json!({"order_id": order_id, "action": {"type": "modify_address", "receiver": "小王", "phone": "13800138000", "address": "杭州市西湖区文三路 1 号"}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    assert_eq!(a["status"], "pending");
    assert_eq!(a["action_label"], "修改地址");
    assert!(a["idempotency_key"].as_str().unwrap().starts_with("kfa_"));
    assert!(run_jobs(&w).await >= 1);
    let (_, list) = w.app.get(&format!("/api/v1/tickets/{t}/shop-actions"), &w.agent).await;
    assert_eq!(list[0]["status"], "succeeded", "{list}");
    assert!(list[0]["reference"].as_str().unwrap().starts_with("ADDR-"));
    let steps = shop_steps(&w, t).await;
    assert_eq!(steps.len(), 2, "{steps:?}");
    assert_eq!(steps[0].0, "pending");
    assert!(steps[0].1.contains("修改收货地址"), "{steps:?}");
    assert_eq!(steps[1].0, "succeeded");
    assert!(steps[1].1.contains("店铺系统已完成"), "{steps:?}");

    // Once shipped (the shop pushed it), kefu refuses a cancel before asking the shop.
    demo_step(&w, &no, "ship", 0).await;
    let (s, e) = w
        .app
        .post(
            &format!("/api/v1/tickets/{t}/shop-actions"),
            &w.agent,
            json!({"order_id": order_id, "action": {"type": "cancel", "reason": "不想要了"}}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("已发货"), "{e}");

    // A refund above what was paid names the field; bad input names the field.
    let refund = |fen: i64| json!({"order_id": order_id, "action": {"type": "refund", "amount_fen": fen, "reason": "补偿"}});
    let (s, e) = w.app.post(&format!("/api/v1/tickets/{t}/shop-actions"), &w.agent, refund(31_701)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["field"], "amount_fen");
    let (s, e) = w.app.post(&format!("/api/v1/tickets/{t}/shop-actions"), &w.agent, refund(0)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["field"], "amount_fen");
    let (s, e) = w
        .app
        .post(
            &format!("/api/v1/tickets/{t}/shop-actions"),
            &w.agent,
            json!({"order_id": order_id, "action": {"type": "teleport"}}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");

    // Two refunds that together exceed the order: the second is refused (the first is in flight).
    let (s, _) = w.app.post(&format!("/api/v1/tickets/{t}/shop-actions"), &w.agent, refund(20_000)).await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, e) = w.app.post(&format!("/api/v1/tickets/{t}/shop-actions"), &w.agent, refund(20_000)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("¥117.00"), "{e}");
    run_jobs(&w).await;
    let (_, list) = w.app.get(&format!("/api/v1/orders/{order_id}/shop-actions"), &w.agent).await;
    let refunds: Vec<&Value> = list.as_array().unwrap().iter().filter(|a| a["action"] == "refund").collect();
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0]["status"], "succeeded");

    // Another merchant sees none of it, and cannot act on the ticket.
    let (s, _) = w.app.get(&format!("/api/v1/tickets/{t}/shop-actions"), &w.other).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = w.app.get(&format!("/api/v1/orders/{order_id}/shop-actions"), &w.other).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = w.app.post(&format!("/api/v1/tickets/{t}/shop-actions"), &w.other, refund(100)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
both_backends!(actions_from_a_ticket);

/// A receiver that fails the first `fail` requests with 503, then answers `answer`; it records each
/// request's idempotency key.
async fn receiver(fail: usize, answer: Value) -> (String, Arc<Mutex<Vec<String>>>) {
    let keys: Arc<Mutex<Vec<String>>> = Arc::default();
    let kept = keys.clone();
    let handler = move |headers: HeaderMap| {
        let keys = kept.clone();
        let answer = answer.clone();
        async move {
            let mut k = keys.lock().unwrap();
            k.push(headers.get("idempotency-key").and_then(|v| v.to_str().ok()).unwrap_or("").to_string());
            if k.len() <= fail {
                (axum::http::StatusCode::SERVICE_UNAVAILABLE, axum::Json(json!({})))
            } else {
                (axum::http::StatusCode::OK, axum::Json(answer))
            }
        }
    };
    let app = axum::Router::new().route("/actions", axum::routing::post(handler));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/actions"), keys)
}

async fn retries_and_late_results(backend: Backend) {
    let w = shop_world(backend).await;
    let (_no, order_id, customer) = demo_order(&w, "late-buyer").await;
    let t = new_ticket(&w, customer, "退点钱").await;
    // The shop is down twice, then takes the action and will report the result later.
    let (url, keys) = receiver(2, json!({"status": "accepted"})).await;
    let (s, _) = w.app.put("/api/v1/shop-integration", &w.shop_admin, json!({"actions_url": url})).await;
    assert_eq!(s, StatusCode::OK);
    let (s, a) = w
        .app
        .post(
            &format!("/api/v1/tickets/{t}/shop-actions"),
            &w.agent,
            json!({"order_id": order_id, "action": {"type": "refund", "amount_fen": 1000, "reason": "运费补偿"}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{a}");
    let id = a["id"].as_i64().unwrap();
    let key = a["idempotency_key"].as_str().unwrap().to_string();
    // Each attempt runs when due; retries wait by the queue's backoff, so run them at their times.
    let state = w.app.state();
    let mut at = kefu_server::auth::now();
    for _ in 0..3 {
        kefu_server::jobs::run_due(&state, "node-1", at, 8).await.unwrap();
        at = Millis(at.0 + 3_600_000);
    }
    assert_eq!(keys.lock().unwrap().clone(), vec![key.clone(); 3], "every attempt carries the same key");
    let (_, a) = w.app.get(&format!("/api/v1/tickets/{t}/shop-actions"), &w.agent).await;
    assert_eq!(a[0]["status"], "accepted", "{a}");
    assert_eq!(a[0]["attempts"], 3);

    // The result comes back signed; a second report changes nothing; an unsigned one is refused.
    let path = format!("/api/v1/shop/{}/action-results", w.merchant);
    let body = json!({"idempotency_key": key, "status": "succeeded", "reference": "RF-LATE-1"}).to_string();
    let (s, _) = signed(&w.app, &path, &body, now_s(), "v1=bad").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let ts = now_s();
    let (s, r) = signed(&w.app, &path, &body, ts, &sign(&w.secret, ts, &body)).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["applied"], true);
    assert_eq!(r["action"]["status"], "succeeded");
    assert_eq!(r["action"]["reference"], "RF-LATE-1");
    let body2 = json!({"idempotency_key": key, "status": "failed", "message": "late"}).to_string();
    let (s, r) = signed(&w.app, &path, &body2, ts, &sign(&w.secret, ts, &body2)).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["applied"], false);
    assert_eq!(r["action"]["status"], "succeeded", "a final result stays");
    let body3 = json!({"idempotency_key": "kfa_unknown", "status": "succeeded"}).to_string();
    let (s, _) = signed(&w.app, &path, &body3, ts, &sign(&w.secret, ts, &body3)).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let steps = shop_steps(&w, t).await;
    let statuses: Vec<&str> = steps.iter().map(|s| s.0.as_str()).collect();
    assert_eq!(statuses, ["pending", "accepted", "succeeded"], "{steps:?}");
    assert!(steps[2].1.contains("RF-LATE-1"), "{steps:?}");
    let _ = id;

    // A shop that never answers: after the last attempt the action fails and the ticket says why.
    let (url, _keys) = receiver(usize::MAX, json!({})).await;
    w.app.put("/api/v1/shop-integration", &w.shop_admin, json!({"actions_url": url})).await;
    let (s, _) = w
        .app
        .post(
            &format!("/api/v1/tickets/{t}/shop-actions"),
            &w.agent,
            json!({"order_id": order_id, "action": {"type": "refund", "amount_fen": 500, "reason": "补偿"}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let mut at = kefu_server::auth::now();
    for _ in 0..12 {
        kefu_server::jobs::run_due(&state, "node-1", at, 8).await.unwrap();
        at = Millis(at.0 + 3_700_000);
    }
    let steps = shop_steps(&w, t).await;
    let last = steps.last().unwrap();
    assert_eq!(last.0, "failed", "{steps:?}");
    assert!(last.1.contains("503"), "{steps:?}");
}
both_backends!(retries_and_late_results);

/// A demo order placed `days_ago`, shipped and signed for `signed_days_ago` days ago.
pub async fn signed_demo_order(w: &ShopWorld, account: &str, signed_days_ago: i64) -> (String, i64, i64) {
    let r = w
        .app
        .client
        .post(format!("{}/demo-shop/api/orders", w.app.base))
        .json(&json!({"merchant_id": w.merchant, "account_id": account, "name": "小王", "days_ago": signed_days_ago + 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = r.json().await.unwrap();
    let no = v["order"]["order_no"].as_str().unwrap().to_string();
    demo_step(w, &no, "ship", signed_days_ago + 1).await;
    demo_step(w, &no, "sign", signed_days_ago).await;
    let (_, list) = w.app.get(&format!("/api/v1/orders?order_no={no}"), &w.agent).await;
    let o = &list["items"][0];
    assert_eq!(o["status"], "signed", "{o}");
    (no, o["id"].as_i64().unwrap(), o["customer_id"].as_i64().unwrap())
}

async fn case_refund_goes_to_the_shop_once(backend: Backend) {
    let w = shop_world(backend).await;
    let (_no, order_id, customer) = signed_demo_order(&w, "case-buyer", 2).await;
    let t = new_ticket(&w, customer, "杯子想退").await;
    let (s, c) = w
        .app
        .post(
            "/api/v1/aftersales",
            &w.agent,
            json!({"order_id": order_id, "ticket_id": t, "kind": "return_refund", "reason": "no_reason",
                   "items": [{"sku": "CUP-500", "quantity": 1}], "description": "不想要了"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert_eq!(c["verdict"]["outcome"], "eligible", "{c}");
    let id = c["id"].as_i64().unwrap();
    for (step, body) in [
        ("agree", json!({})),
        ("return-shipment", json!({"carrier": "顺丰", "waybill": "SF-RET-1"})),
        ("receipt", json!({"condition": "完好"})),
    ] {
        let (s, c) = w.app.post(&format!("/api/v1/aftersales/{id}/{step}"), &w.agent, body).await;
        assert_eq!(s, StatusCode::OK, "{step}: {c}");
    }
    // Receipt put the case in 退款中, and kefu sent the refund to the shop system on its own.
    let (_, acts) = w.app.get(&format!("/api/v1/tickets/{t}/shop-actions"), &w.agent).await;
    assert_eq!(acts.as_array().unwrap().len(), 1, "{acts}");
    assert_eq!(acts[0]["action"], "refund");
    assert_eq!(acts[0]["case_id"], id);
    assert_eq!(acts[0]["amount_fen"], 12_900, "the returned cup's price");
    assert_eq!(acts[0]["requested_by_name"], "system:shop_system");

    // A second refund for the case is refused while the first stands.
    let again = json!({"order_id": order_id, "action": {"type": "refund", "amount_fen": 12_900, "reason": "再退一次", "case_id": id}});
    let (s, e) = w.app.post(&format!("/api/v1/tickets/{t}/shop-actions"), &w.agent, again.clone()).await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["error"]["field"], "case_id");

    // The shop refunds; the case is settled by its answer.
    run_jobs(&w).await;
    let (_, c) = w.app.get(&format!("/api/v1/aftersales/{id}"), &w.agent).await;
    assert_eq!(c["status"], "refunded", "{c}");
    assert!(c["refund_ref"].as_str().unwrap().starts_with("RF"), "{c}");
    let (s, e) = w.app.post(&format!("/api/v1/tickets/{t}/shop-actions"), &w.agent, again).await;
    assert_eq!(s, StatusCode::CONFLICT, "refunded once: {e}");
    let (s, _) = w
        .app
        .post(&format!("/api/v1/aftersales/{id}/refund-executed"), &w.agent, json!({"refund_ref": "X"}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    // Running the jobs again sends nothing more.
    run_jobs(&w).await;
    let (_, acts) = w.app.get(&format!("/api/v1/orders/{order_id}/shop-actions"), &w.agent).await;
    assert_eq!(acts.as_array().unwrap().len(), 1);
    let (_, demo) = w
        .app
        .client
        .get(format!("{}/demo-shop/api/state", w.app.base))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .map(|v| ((), v))
        .unwrap();
    let o = demo["orders"].as_array().unwrap().iter().find(|o| o["order_no"] == acts[0]["order_no"]).unwrap();
    assert_eq!(o["refunded_fen"], 12_900, "the shop refunded once");
}
both_backends!(case_refund_goes_to_the_shop_once);

async fn csv_import(backend: Backend) {
    let w = shop_world(backend).await;
    let send = |token: String, body: Vec<u8>, query: String| {
        let app = &w.app;
        async move {
            let r = app
                .client
                .post(format!("{}/api/v1/orders/import{query}", app.base))
                .bearer_auth(token)
                .header("Content-Type", "text/csv")
                .body(body)
                .send()
                .await
                .unwrap();
            let s = r.status();
            (s, r.json::<Value>().await.unwrap())
        }
    };
    // A GBK file as Excel saves it, with Chinese headers and labels; two rows make one order.
    let text = "订单号,买家账号,买家姓名,订单状态,下单时间,发货时间,签收时间,实付金额,商品编码,商品名称,数量,单价,标记\n\
                IMP-1,imp-u1,陈静,已签收,2026-11-20 10:00,2026-11-21 09:00,2026-11-23 15:00,318.00,CUP,保温杯,2,59.9,\n\
                IMP-1,imp-u1,陈静,已签收,2026-11-20 10:00,2026-11-21 09:00,2026-11-23 15:00,,CAKE,定制蛋糕,1,199,定制\n\
                IMP-2,imp-u2,杨磊,待发货,2026-12-01 08:30,,,,TEA,龙井,1,188,\n";
    let (gbk, _, _) = encoding_rs::GBK.encode(text);
    let (s, out) = send(w.shop_admin.clone(), gbk.to_vec(), String::new()).await;
    assert_eq!(s, StatusCode::OK, "{out}");
    assert_eq!(
        (out["rows"].as_i64(), out["orders"].as_i64(), out["created"].as_i64()),
        (Some(3), Some(2), Some(2))
    );
    let (_, list) = w.app.get("/api/v1/orders?order_no=IMP-1", &w.agent).await;
    let o = &list["items"][0];
    assert_eq!(o["items"].as_array().unwrap().len(), 2, "{o}");
    assert_eq!(o["total_fen"], 2 * 5990 + 19_900);
    assert_eq!(o["paid_fen"], 31_800);
    assert_eq!(o["items"][1]["flags"]["customised"], true);
    assert_eq!(o["signed_at"], "2026-11-23T07:00:00Z", "China time");
    // The customer's profile was made from the account.
    assert!(o["customer_id"].as_i64().is_some());

    // The same file again changes nothing.
    let (s, out) = send(w.shop_admin.clone(), gbk.to_vec(), String::new()).await;
    assert_eq!(s, StatusCode::OK, "{out}");
    assert_eq!((out["created"].as_i64(), out["unchanged"].as_i64()), (Some(0), Some(2)));

    // One bad row: nothing of the file is written, the error names the row and column.
    let bad = "order_no,account_id,status,ordered_at,sku,item_name,quantity,price\n\
               IMP-3,u3,paid,2026-12-01 08:00,S,x,1,9\n\
               IMP-4,u4,paid,2026-12-01 08:00,S,x,1,9.999\n";
    let (s, e) = send(w.shop_admin.clone(), bad.as_bytes().to_vec(), String::new()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["field"], "rows[2].price");
    let (_, list) = w.app.get("/api/v1/orders?order_no=IMP-3", &w.agent).await;
    assert!(list["items"].as_array().unwrap().is_empty(), "nothing written");

    // Merchant B cannot import into merchant A; an agent cannot import at all.
    let (s, _) = send(w.other.clone(), gbk.to_vec(), format!("?merchant_id={}", w.merchant)).await;
    assert!(
        s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND || s == StatusCode::UNPROCESSABLE_ENTITY,
        "{s}"
    );
    let (_, list) = w.app.get("/api/v1/orders?order_no=IMP-2", &w.other).await;
    assert!(list["items"].as_array().map(|a| a.is_empty()).unwrap_or(true), "B sees none of A's orders");
    let (s, _) = send(w.agent.clone(), gbk.to_vec(), String::new()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}
both_backends!(csv_import);

async fn member_tier_rights(backend: Backend) {
    let w = shop_world(backend).await;
    let (s, tiers) = w.app.get("/api/v1/member-tiers", &w.agent).await;
    assert_eq!(s, StatusCode::OK, "{tiers}");
    let diamond = tiers.as_array().unwrap().iter().find(|t| t["tier"] == "diamond").unwrap();
    assert_eq!(diamond["priority_service"], true);
    assert_eq!(diamond["extra_return_days"], 7);
    // Two orders signed for ten days ago: past the seven-day window, within a diamond member's fourteen.
    let (_, regular_order, regular) = signed_demo_order(&w, "tier-regular", 10).await;
    let (_, diamond_order, member) = signed_demo_order(&w, "tier-diamond", 10).await;
    for (id, tier) in [(regular, "regular"), (member, "diamond")] {
        let (s, c) = w
            .app
            .call(
                reqwest::Method::PATCH,
                &format!("/api/v1/customers/{id}"),
                Some(&w.shop_admin),
                Some(json!({"member_tier": tier})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{c}");
    }
    let check = |order: i64| {
        let app = &w.app;
        let agent = w.agent.clone();
        async move {
            let (s, v) = app
                .post(
                    &format!("/api/v1/orders/{order}/eligibility"),
                    &agent,
                    json!({"sku": "CUP-500", "kind": "return_refund", "reason": "no_reason"}),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
            v
        }
    };
    let v = check(regular_order).await;
    assert_eq!(v["outcome"], "not_eligible", "{v}");
    let v = check(diamond_order).await;
    assert_eq!(v["outcome"], "eligible", "the diamond tier's longer window: {v}");

    // The merchant sets its own rights (会员权益设置): regular members get five more days, diamond none.
    let rights = json!({"tiers": [
        {"tier": "regular", "priority_service": false, "free_return_shipping": false, "extra_return_days": 5},
        {"tier": "diamond", "priority_service": true, "free_return_shipping": true, "extra_return_days": 0}]});
    let (s, _) = w.app.put("/api/v1/member-tiers", &w.agent, rights.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "an agent does not set rights");
    let mut bad = rights.clone();
    bad["tiers"][1]["extra_return_days"] = json!(31);
    let (s, e) = w.app.put("/api/v1/member-tiers", &w.shop_admin, bad).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("tiers[1].extra_return_days"))
    );
    let (s, set) = w.app.put("/api/v1/member-tiers", &w.shop_admin, rights).await;
    assert_eq!(s, StatusCode::OK, "{set}");
    let (_, tiers) = w.app.get("/api/v1/member-tiers", &w.agent).await;
    let tier = |code: &str| tiers.as_array().unwrap().iter().find(|t| t["tier"] == code).unwrap().clone();
    assert_eq!(
        (tier("regular")["custom"].clone(), tier("regular")["extra_return_days"].clone()),
        (json!(true), json!(5))
    );
    assert_eq!(
        (tier("gold")["custom"].clone(), tier("gold")["extra_return_days"].clone()),
        (json!(false), json!(3))
    );
    assert!(tier("regular")["benefits"].to_string().contains("共 12 天"), "{tiers}");
    // Ten days after sign-for: within the regular member's twelve now, past the diamond member's seven.
    let v = check(regular_order).await;
    assert_eq!(v["outcome"], "eligible", "the merchant's longer window for regular members: {v}");
    let v = check(diamond_order).await;
    assert_eq!(v["outcome"], "not_eligible", "{v}");
    // Another merchant neither reads nor writes them.
    let (_, mine) = w.app.get("/api/v1/member-tiers", &w.shop_admin).await;
    let (s, _) = w.app.get(&format!("/api/v1/member-tiers?merchant_id={}", w.merchant), &w.other).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, others) = w.app.get("/api/v1/member-tiers", &w.other).await;
    assert_ne!(others, mine);
    assert!(others.as_array().unwrap().iter().all(|t| t["custom"] == false), "{others}");
}
both_backends!(member_tier_rights);

async fn return_rules_per_category(backend: Backend) {
    let w = shop_world(backend).await;
    let (_, order, _customer) = signed_demo_order(&w, "rules-buyer", 10).await;
    let check = |sku: &'static str| {
        let app = &w.app;
        let agent = w.agent.clone();
        async move {
            let (s, v) = app
                .post(
                    &format!("/api/v1/orders/{order}/eligibility"),
                    &agent,
                    json!({"sku": sku, "kind": "return_refund", "reason": "no_reason"}),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{v}");
            v["outcome"].as_str().unwrap().to_string()
        }
    };
    let (s, r) = w.app.get("/api/v1/return-rules", &w.agent).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["custom"], false);
    assert_eq!(r["rules"]["default"]["no_reason_days"], 7);
    assert_eq!(check("CUP-500").await, "not_eligible", "ten days after sign-for, past seven");

    // Household goods (home) get fifteen days; food keeps the default.
    let rules = |home_days: u32, default_days: u32| {
        json!({"rules": {"default": {"no_reason_days": default_days, "quality_return_days": 7, "quality_exchange_days": 15, "repair_days": 365},
               "categories": [{"category": "home", "policy": {"no_reason_days": home_days, "quality_return_days": 7, "quality_exchange_days": 15, "repair_days": 365}}]}})
    };
    let (s, r) = w.app.put("/api/v1/return-rules", &w.shop_admin, rules(15, 7)).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["custom"], true);
    assert_eq!(check("CUP-500").await, "eligible");
    assert_eq!(check("TEA-1").await, "not_eligible");

    // Never below the law's seven days; only the merchant's money-decision holders set rules.
    let (s, e) = w.app.put("/api/v1/return-rules", &w.shop_admin, rules(6, 7)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["field"], "rules.categories[0].policy.no_reason_days");
    let (s, _) = w.app.put("/api/v1/return-rules", &w.agent, rules(30, 7)).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(check("CUP-500").await, "eligible", "the refused changes changed nothing");
    // Merchant B neither reads nor sets merchant A's rules.
    let (s, _) = w.app.get(&format!("/api/v1/return-rules?merchant_id={}", w.merchant), &w.other).await;
    assert!(s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND, "{s}");
    let mut other = rules(30, 7);
    other["merchant_id"] = json!(w.merchant);
    let (s, _) = w.app.put("/api/v1/return-rules", &w.other, other).await;
    assert!(s == StatusCode::FORBIDDEN || s == StatusCode::NOT_FOUND, "{s}");
}
both_backends!(return_rules_per_category);
