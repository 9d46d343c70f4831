//! Orders through the API, on both backends: a shop system's pushes (idempotent by event and by the
//! shop's update time, all or nothing, unknown customers created), lookups within the tenant, and the
//! after-sales eligibility an agent sees before promising.

use crate::both_backends;
use crate::common::{error_code, Backend, TestApp};
use crate::webhooks::two_merchants;
use kefu_core::org::Role;
use kefu_core::time::Millis;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn at(m: Millis) -> String {
    m.to_rfc3339()
}

/// The test's "now": every order is dated from it, so the shop's versions compare as written.
fn base() -> Millis {
    static BASE: std::sync::OnceLock<Millis> = std::sync::OnceLock::new();
    *BASE.get_or_init(kefu_server::auth::now)
}

/// An order signed for `signed_days_ago` days ago, as of the shop's version `version`.
fn order(no: &str, buyer: &str, status: &str, signed_days_ago: i64, version: i64) -> Value {
    let now = base();
    let day = 86_400_000;
    let signed = Millis(now.0 - signed_days_ago * day);
    let mut o = json!({
        "order_no": no, "customer": {"account_id": buyer, "name": "小王"}, "status": status,
        "items": [
            {"sku": "CUP-1", "name": "保温杯", "category": "home", "quantity": 2, "price_fen": 5900},
            {"sku": "CAKE-1", "name": "生日蛋糕（定制）", "quantity": 1, "price_fen": 19900,
             "flags": {"customised": true, "perishable": true}}
        ],
        "total_fen": 31700, "paid_fen": 31700, "payment_method": "支付宝",
        "ordered_at": at(Millis(signed.0 - 3 * day)), "paid_at": at(Millis(signed.0 - 3 * day + 60_000)),
        "updated_at": at(Millis(signed.0 + version))
    });
    if status != "paid" {
        o["shipping_company"] = json!("顺丰");
        o["waybill"] = json!("SF1234567890");
        o["shipped_at"] = json!(at(Millis(signed.0 - day)));
    }
    if status == "signed" || status == "completed" {
        o["signed_at"] = json!(at(signed));
    }
    o
}

async fn shop_system(app: &TestApp, admin_token: &str) -> String {
    let (s, t) = app
        .post("/api/v1/api-tokens", admin_token, json!({"name": "店铺系统", "role": "merchant_admin"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    t["token"].as_str().unwrap().to_string()
}

async fn orders_are_pushed_once_and_in_order(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_admin, merchants, admins) = two_merchants(&app).await;
    let shop = shop_system(&app, &admins[0]).await;

    // A push for an unknown customer creates the profile; the order is linked to it.
    let first = json!({"event_id": "evt-1", "orders": [order("TB-1001", "buyer-9", "shipped", 0, 0)]});
    let (s, out) = app.post("/api/v1/orders", &shop, first.clone()).await;
    assert_eq!(s, StatusCode::OK, "{out}");
    assert_eq!((out["created"].as_i64(), out["duplicate"].as_bool()), (Some(1), Some(false)), "{out}");
    let (_, list) = app.get("/api/v1/orders?order_no=TB-1001", &admins[0]).await;
    let o = &list["items"][0];
    assert_eq!((o["status"].as_str(), o["status_label"].as_str()), (Some("shipped"), Some("已发货")), "{o}");
    let customer = o["customer_id"].as_i64().unwrap();
    let (_, c) = app.get(&format!("/api/v1/customers/{customer}"), &admins[0]).await;
    assert_eq!(
        (c["account_id"].as_str(), c["display_name"].as_str()),
        (Some("buyer-9"), Some("小王")),
        "{c}"
    );

    // The same event twice changes nothing.
    let (s, again) = app.post("/api/v1/orders", &shop, first).await;
    assert_eq!((s, again["duplicate"].as_bool()), (StatusCode::OK, Some(true)), "{again}");

    // A newer state replaces the order; a late, older one does not.
    let (_, out) = app
        .post("/api/v1/orders", &shop, json!({"orders": [order("TB-1001", "buyer-9", "signed", 0, 10)]}))
        .await;
    assert_eq!(out["updated"], 1, "{out}");
    let (_, out) = app
        .post("/api/v1/orders", &shop, json!({"orders": [order("TB-1001", "buyer-9", "paid", 0, 5)]}))
        .await;
    assert_eq!(out["unchanged"], 1, "{out}");
    let (_, list) = app.get(&format!("/api/v1/orders?customer_id={customer}"), &admins[0]).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["items"][0]["status"], "signed");

    // A malformed order is refused with the field named, and nothing of the push is written.
    let mut bad = order("TB-1003", "buyer-9", "signed", 0, 0);
    bad["items"][1]["quantity"] = json!(0);
    let push = json!({"orders": [order("TB-1002", "buyer-9", "signed", 0, 0), bad]});
    let (s, b) = app.post("/api/v1/orders", &shop, push).await;
    assert_eq!(
        (s, b["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("orders[1].items[1].quantity")),
        "{b}"
    );
    let (_, none) = app.get("/api/v1/orders?order_no=TB-1002", &admins[0]).await;
    assert!(none["items"].as_array().unwrap().is_empty(), "half a push was written: {none}");
    let (s, b) = app
        .post("/api/v1/orders", &shop, json!({"orders": [order("TB-1", "b", "signed", 0, 0)], "extra": 1}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");

    // Another merchant neither sees the order nor can push into this merchant.
    let (_, foreign) = app.get("/api/v1/orders?order_no=TB-1001", &admins[1]).await;
    assert!(foreign["items"].as_array().unwrap().is_empty(), "{foreign}");
    let id = o["id"].as_i64().unwrap();
    let (s, b) = app.get(&format!("/api/v1/orders/{id}"), &admins[1]).await;
    assert_eq!((s, error_code(&b)), (StatusCode::NOT_FOUND, "not_found".to_string()));
    let other_shop = shop_system(&app, &admins[1]).await;
    let push = json!({"merchant_id": merchants[0], "orders": [order("TB-X", "buyer-x", "paid", 0, 0)]});
    let (s, _) = app.post("/api/v1/orders", &other_shop, push).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
both_backends!(orders_are_pushed_once_and_in_order);

async fn agents_see_eligibility_before_promising(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_admin, merchants, admins) = two_merchants(&app).await;
    let shop = shop_system(&app, &admins[0]).await;
    let push = json!({"orders": [order("TB-2001", "buyer-1", "signed", 2, 0), order("TB-2002", "buyer-1", "signed", 30, 0)]});
    let (s, out) = app.post("/api/v1/orders", &shop, push).await;
    assert_eq!(s, StatusCode::OK, "{out}");
    app.user("o.agent", Role::Agent, Some(merchants[0])).await;
    let agent = app.login("o.agent").await;
    let (_, list) = app.get("/api/v1/orders", &agent).await;
    let id_of = |no: &str| {
        list["items"].as_array().unwrap().iter().find(|o| o["order_no"] == no).unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let ask = |id: i64, body: Value| {
        let path = format!("/api/v1/orders/{id}/eligibility");
        let agent = agent.clone();
        let app = &app;
        async move { app.post(&path, &agent, body).await }
    };
    let recent = id_of("TB-2001");
    let (s, v) = ask(recent, json!({"sku": "CUP-1", "kind": "return_refund", "reason": "no_reason"})).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["outcome"].as_str(), v["rule"].as_str()),
        (Some("eligible"), Some("no_reason_within_window")),
        "{v}"
    );
    assert!(v["basis"].as_str().unwrap().contains("消费者权益保护法"), "{v}");
    let (_, v) = ask(recent, json!({"sku": "CAKE-1", "kind": "return_refund", "reason": "no_reason"})).await;
    assert_eq!(
        (v["outcome"].as_str(), v["rule"].as_str()),
        (Some("not_eligible"), Some("excluded_customised")),
        "{v}"
    );
    let (_, v) =
        ask(id_of("TB-2002"), json!({"sku": "CUP-1", "kind": "return_refund", "reason": "no_reason"})).await;
    assert_eq!(v["rule"], "no_reason_expired", "{v}");
    let (_, v) = ask(
        id_of("TB-2002"),
        json!({"sku": "CUP-1", "kind": "exchange", "reason": "quality_problem", "proofs": ["photos"]}),
    )
    .await;
    assert_eq!(
        (v["outcome"].as_str(), v["rule"].as_str()),
        (Some("needs_review"), Some("quality_exchange_late")),
        "{v}"
    );
    let (s, b) = ask(recent, json!({"sku": "NOPE", "kind": "repair", "reason": "quality_problem"})).await;
    assert_eq!((s, b["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("sku")), "{b}");
}
both_backends!(agents_see_eligibility_before_promising);
