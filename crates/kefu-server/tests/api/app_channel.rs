//! The app/API message channel: a merchant's app posts its customers' messages; agent replies go back
//! through the `message.created` webhook.

use crate::both_backends;
use crate::common::{error_code, Backend, TestApp};
use crate::webhooks::{pump, two_merchants, Receiver};
use kefu_server::jobs::FeedPosition;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn msg(account: &str, cmid: &str, body: &str) -> Value {
    json!({"customer": {"account_id": account, "name": "小王"}, "body": body, "client_message_id": cmid})
}

async fn app_messages_land_in_one_ticket(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.job_retry_base_ms = 10;
        c.webhook_allow_private = true;
    })
    .await;
    let state = app.state();
    let (_admin, merchants, tokens) = two_merchants(&app).await;

    let (s, first) =
        app.post("/api/v1/channels/app/messages", &tokens[0], msg("u-1001", "m-1", "我的订单还没发货")).await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    assert_eq!(first["created"], true);
    assert_eq!(first["duplicate"], false);
    let ticket = first["ticket_id"].as_i64().unwrap();
    assert!(first["ticket_number"].as_str().unwrap().starts_with("KF"));
    let (s, second) =
        app.post("/api/v1/channels/app/messages", &tokens[0], msg("u-1001", "m-2", "能催一下吗")).await;
    assert_eq!(s, StatusCode::CREATED, "{second}");
    assert_eq!(second["ticket_id"], json!(ticket));
    assert_eq!(second["created"], false);
    // The app naming the ticket explicitly lands there too.
    let mut third = msg("u-1001", "m-3", "订单号 E20261203001");
    third["ticket_id"] = json!(ticket);
    let (s, b) = app.post("/api/v1/channels/app/messages", &tokens[0], third).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["ticket_id"], json!(ticket));

    // A retried post (same client_message_id) is stored once.
    let (s, dup) =
        app.post("/api/v1/channels/app/messages", &tokens[0], msg("u-1001", "m-2", "能催一下吗")).await;
    assert_eq!(s, StatusCode::OK, "{dup}");
    assert_eq!(dup["duplicate"], true);
    assert_eq!(dup["ticket_id"], json!(ticket));
    let (_, t) = app.get(&format!("/api/v1/tickets/{ticket}"), &tokens[0]).await;
    assert_eq!(t["ticket"]["channel"], "app");
    let bodies: Vec<&str> =
        t["messages"].as_array().unwrap().iter().map(|m| m["body"].as_str().unwrap()).collect();
    assert_eq!(bodies, ["我的订单还没发货", "能催一下吗", "订单号 E20261203001"], "{t}");
    assert_eq!(t["ticket"]["customer_id"], first["customer_id"]);
    let (_, c) = app.get(&format!("/api/v1/customers/{}", first["customer_id"]), &tokens[0]).await;
    assert_eq!(c["display_name"], "小王");

    // The same client_message_id at another merchant is that merchant's own message.
    let (s, other) =
        app.post("/api/v1/channels/app/messages", &tokens[1], msg("u-1001", "m-2", "你好")).await;
    assert_eq!(s, StatusCode::CREATED, "{other}");
    assert_ne!(other["ticket_id"], json!(ticket));
    assert_ne!(other["customer_id"], first["customer_id"]);
    // Merchant B cannot post into merchant A's ticket: it gets its own.
    let mut foreign = msg("u-1001", "m-9", "插一句");
    foreign["ticket_id"] = json!(ticket);
    let (s, b) = app.post("/api/v1/channels/app/messages", &tokens[1], foreign).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_ne!(b["ticket_id"], json!(ticket));
    let mut foreign = msg("u-1001", "m-10", "插一句");
    foreign["merchant_id"] = json!(merchants[0]);
    let (s, _) = app.post("/api/v1/channels/app/messages", &tokens[1], foreign).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // The agent's reply reaches the app through the message.created webhook.
    let rx = Receiver::start(false).await;
    let (s, sub) = app
        .post("/api/v1/channels/webhooks", &tokens[0], json!({"url": rx.url, "events": ["message.created"]}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{sub}");
    let (s, r) = app
        .post(&format!("/api/v1/tickets/{ticket}/replies"), &tokens[0], json!({"body": "已为您催促仓库"}))
        .await;
    assert!(s.is_success(), "{r}");
    let mut pos = FeedPosition::default();
    pump(&state, &mut pos, || rx.received().iter().any(|r| r.body.contains("已为您催促仓库"))).await;
    let hit = rx.received().into_iter().find(|r| r.body.contains("已为您催促仓库")).unwrap();
    let body: Value = serde_json::from_str(&hit.body).unwrap();
    assert_eq!(body["ticket"]["id"], json!(ticket));
    assert_eq!(body["data"]["author"], "agent");
}
both_backends!(app_messages_land_in_one_ticket);

async fn app_message_bad_input(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_admin, merchants, tokens) = two_merchants(&app).await;
    let cases = [
        (msg("u-1", "m-1", "   "), "body"),
        (msg("u-1", "m-1", &"长".repeat(5001)), "body"),
        (msg("", "m-1", "你好"), "customer.account_id"),
        (msg("u-1", "", "你好"), "client_message_id"),
        (json!({"customer": {"account_id": "u-1"}, "body": "你好"}), "client_message_id"),
        (
            json!({"customer": {"account_id": "u-1", "name": "名".repeat(61)}, "body": "你好", "client_message_id": "x"}),
            "customer.name",
        ),
    ];
    for (body, field) in cases {
        let (s, e) = app.post("/api/v1/channels/app/messages", &tokens[0], body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {e}");
        assert_eq!(error_code(&e), "validation");
        assert_eq!(e["error"]["field"], field, "{e}");
    }
    let (_, list) = app.get("/api/v1/tickets?channel=app", &tokens[0]).await;
    assert!(list["items"].as_array().unwrap().is_empty(), "{list}");
    // An agent's login cannot report into the channel (channel.intake).
    app.user("a.agent", kefu_core::org::Role::Agent, Some(merchants[0])).await;
    let agent = app.login("a.agent").await;
    let (s, _) = app.post("/api/v1/channels/app/messages", &agent, msg("u-1", "m-1", "你好")).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}
both_backends!(app_message_bad_input);
