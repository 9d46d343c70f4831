//! Outbound webhooks: signed deliveries to a real receiver, retries with the job queue, the delivery
//! log, replay, and tenant isolation.

use crate::both_backends;
use crate::common::{error_code, Backend, TestApp};
use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use kefu_core::org::Role;
use kefu_server::jobs::FeedPosition;
use kefu_server::AppState;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::Sha256;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Two merchants, each with a merchant admin; returns (platform admin token, merchant ids, admin tokens).
pub async fn two_merchants(app: &TestApp) -> (String, [i64; 2], [String; 2]) {
    let admin = app.admin().await;
    let mut ids = [0; 2];
    let mut tokens = [String::new(), String::new()];
    for (i, code) in ["shop-a", "shop-b"].iter().enumerate() {
        let (s, m) =
            app.post("/api/v1/merchants", &admin, json!({"code": code, "name": format!("店铺{i}")})).await;
        assert_eq!(s, StatusCode::CREATED, "{m}");
        ids[i] = m["id"].as_i64().unwrap();
        let name = format!("{code}.admin");
        app.user(&name, Role::MerchantAdmin, Some(ids[i])).await;
        tokens[i] = app.login(&name).await;
    }
    (admin, ids, tokens)
}

/// One request a receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: String,
    /// What the receiver answered.
    pub status: u16,
}

/// A real HTTP receiver on 127.0.0.1 that answers 500 to the first request of each delivery id
/// (when `fail_first`) and 200 otherwise.
pub struct Receiver {
    pub url: String,
    pub got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    pub async fn start(fail_first: bool) -> Receiver {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let kept = got.clone();
        let handler = move |headers: HeaderMap, body: String| {
            let got = kept.clone();
            async move {
                let mut g = got.lock().unwrap();
                let id =
                    headers.get("x-kefu-delivery").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
                let seen = g
                    .iter()
                    .any(|r| r.headers.get("x-kefu-delivery").and_then(|v| v.to_str().ok()) == Some(&id));
                let status = if fail_first && !seen { 500 } else { 200 };
                g.push(Received { headers, body, status });
                StatusCode::from_u16(status).unwrap()
            }
        };
        let router = axum::Router::new().route("/hook", axum::routing::post(handler));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Receiver { url: format!("http://{addr}/hook"), got }
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    pub fn ok_count(&self) -> usize {
        self.received().iter().filter(|r| r.status == 200).count()
    }
}

fn header(r: &Received, name: &str) -> String {
    r.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
}

/// The receiver's side of the signature check, written from docs/WEBHOOKS.md.
fn verify(secret: &str, r: &Received) -> bool {
    let ts = header(r, "x-kefu-timestamp");
    let sig = header(r, "x-kefu-signature");
    let Some(hex_sig) = sig.strip_prefix("v1=") else { return false };
    let Ok(given) = hex::decode(hex_sig) else { return false };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{ts}.{}", r.body).as_bytes());
    mac.verify_slice(&given).is_ok()
}

/// Run feed rounds and due jobs until `done` holds (or fail after a generous timeout).
pub async fn pump(state: &AppState, pos: &mut FeedPosition, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        kefu_server::channels::webhooks::feed_round(state, pos, kefu_server::auth::now()).await.unwrap();
        kefu_server::jobs::run_due(state, "test-node", kefu_server::auth::now(), 16).await.unwrap();
        if done() {
            return;
        }
        assert!(Instant::now() < deadline, "webhook deliveries did not arrive in time");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn webhook_delivery_signed_retried_replayed(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.job_retry_base_ms = 10;
        c.webhook_allow_private = true;
    })
    .await;
    let state = app.state();
    let (_admin, merchants, tokens) = two_merchants(&app).await;
    let rx_a = Receiver::start(true).await;
    let rx_b = Receiver::start(false).await;

    let (s, sub_a) = app
        .post(
            "/api/v1/channels/webhooks",
            &tokens[0],
            json!({"url": rx_a.url, "events": ["ticket.created", "message.created"], "description": "订单系统"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{sub_a}");
    let secret = sub_a["secret"].as_str().unwrap().to_string();
    assert!(secret.len() > 30);
    assert_eq!(sub_a["merchant_id"], json!(merchants[0]));
    let sub_id = sub_a["id"].as_i64().unwrap();
    // The secret is shown once: never in reads.
    let (_, read) = app.get(&format!("/api/v1/channels/webhooks/{sub_id}"), &tokens[0]).await;
    assert!(read.get("secret").is_none(), "{read}");
    let (s, sub_b) = app
        .post(
            "/api/v1/channels/webhooks",
            &tokens[1],
            json!({"url": rx_b.url, "events": ["ticket.created", "ticket.updated", "message.created", "ticket.resolved"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{sub_b}");

    // Merchant A: a ticket, an internal note (never sent) and an agent reply.
    let (s, t) = app
        .post(
            "/api/v1/tickets",
            &tokens[0],
            json!({"channel": "web", "subject": "物流咨询", "body": "快递到哪了"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let ticket = t["id"].as_i64().unwrap();
    let (s, b) = app
        .post(&format!("/api/v1/tickets/{ticket}/notes"), &tokens[0], json!({"body": "内部备注：仓库缺货"}))
        .await;
    assert!(s.is_success(), "{b}");
    let (s, b) = app
        .post(&format!("/api/v1/tickets/{ticket}/replies"), &tokens[0], json!({"body": "您好，已发货"}))
        .await;
    assert!(s.is_success(), "{b}");

    let mut pos = FeedPosition::default();
    pump(&state, &mut pos, || rx_a.ok_count() >= 2).await;
    let got = rx_a.received();
    // Each delivery: refused once (500), then accepted; the receiver verifies every signature.
    assert_eq!(got.len(), 4, "{got:?}");
    let mut types = Vec::new();
    for r in &got {
        assert!(verify(&secret, r), "bad signature on {}", r.body);
        assert!(!verify("whsec_wrong", r));
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(header(r, "x-kefu-event"), body["type"].as_str().unwrap());
        assert_eq!(body["merchant_id"], json!(merchants[0]));
        assert_eq!(body["ticket"]["id"], json!(ticket));
        assert_eq!(body["ticket"]["number"], t["number"]);
        assert!(!r.body.contains("仓库缺货"), "an internal note was sent: {}", r.body);
        let ts: i64 = header(r, "x-kefu-timestamp").parse().unwrap();
        assert!((ts - kefu_server::auth::now().0 / 1000).abs() < 300);
        if r.status == 200 {
            types.push(body["type"].as_str().unwrap().to_string());
            if body["type"] == "message.created" {
                assert_eq!(body["data"]["author"], "agent");
                assert_eq!(body["data"]["body"], "您好，已发货");
            }
        }
    }
    types.sort();
    assert_eq!(types, ["message.created", "ticket.created"]);
    // The same delivery id on the retry as on the refused attempt.
    let first = header(&got[0], "x-kefu-delivery");
    assert_eq!(got.iter().filter(|r| header(r, "x-kefu-delivery") == first).count(), 2);
    // Merchant B's receiver heard nothing of merchant A's ticket.
    assert!(rx_b.received().is_empty(), "{:?}", rx_b.received());

    // The delivery log: both attempts of each delivery, with status codes.
    let (s, log) = app.get(&format!("/api/v1/channels/webhooks/{sub_id}/deliveries"), &tokens[0]).await;
    assert_eq!(s, StatusCode::OK, "{log}");
    let log = log.as_array().unwrap().clone();
    assert_eq!(log.len(), 2, "{log:?}");
    for d in &log {
        assert_eq!(d["state"], "delivered", "{d}");
        let codes: Vec<i64> =
            d["attempt_log"].as_array().unwrap().iter().map(|a| a["status_code"].as_i64().unwrap()).collect();
        assert_eq!(codes, [500, 200], "{d}");
        assert!(d["attempt_log"][0]["error"].as_str().unwrap().contains("500"));
        assert_eq!(d["attempts"], 2);
    }

    // Replay: the same body and delivery id again, a third logged attempt.
    let d = &log[0];
    let did = d["id"].as_i64().unwrap();
    let key = d["delivery_key"].as_str().unwrap().to_string();
    let (s, r) =
        app.post(&format!("/api/v1/channels/webhook-deliveries/{did}/replay"), &tokens[0], json!({})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["state"], "pending");
    // A second replay while it is queued is a conflict.
    let (s, r) =
        app.post(&format!("/api/v1/channels/webhook-deliveries/{did}/replay"), &tokens[0], json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{r}");
    pump(&state, &mut pos, || rx_a.ok_count() >= 3).await;
    let again = rx_a.received().pop().unwrap();
    assert_eq!(header(&again, "x-kefu-delivery"), key);
    assert_eq!(again.body, d["body"].as_str().unwrap());
    assert!(verify(&secret, &again));
    let (_, one) = app.get(&format!("/api/v1/channels/webhooks/{sub_id}/deliveries"), &tokens[0]).await;
    let replayed = one.as_array().unwrap().iter().find(|x| x["id"] == json!(did)).unwrap().clone();
    assert_eq!(replayed["attempt_log"].as_array().unwrap().len(), 3, "{replayed}");
    assert_eq!(replayed["state"], "delivered");

    // Merchant B cannot see or replay merchant A's subscription and deliveries.
    let (s, _) = app.get(&format!("/api/v1/channels/webhooks/{sub_id}"), &tokens[1]).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.get(&format!("/api/v1/channels/webhooks/{sub_id}/deliveries"), &tokens[1]).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) =
        app.post(&format!("/api/v1/channels/webhook-deliveries/{did}/replay"), &tokens[1], json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, list_b) = app.get("/api/v1/channels/webhooks", &tokens[1]).await;
    assert_eq!(list_b.as_array().unwrap().len(), 1);
    assert_eq!(list_b[0]["merchant_id"], json!(merchants[1]));

    // Merchant B's own ticket reaches B's receiver only; a resolve is `ticket.resolved`.
    let (s, tb) = app
        .post("/api/v1/tickets", &tokens[1], json!({"channel": "web", "subject": "退款", "body": "申请退款"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{tb}");
    let tb_id = tb["id"].as_i64().unwrap();
    let (s, b) =
        app.post(&format!("/api/v1/tickets/{tb_id}/replies"), &tokens[1], json!({"body": "已退款"})).await;
    assert!(s.is_success(), "{b}");
    let (s, b) =
        app.post(&format!("/api/v1/tickets/{tb_id}/status"), &tokens[1], json!({"status": "resolved"})).await;
    assert!(s.is_success(), "{b}");
    pump(&state, &mut pos, || rx_b.received().iter().any(|r| header(r, "x-kefu-event") == "ticket.resolved"))
        .await;
    for r in rx_b.received() {
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["merchant_id"], json!(merchants[1]), "{body}");
    }
    assert_eq!(rx_a.ok_count(), 3, "merchant A's receiver got merchant B's events");

    // Rotation: a new secret, shown once; deliveries from now on verify with it only.
    let (s, rot) =
        app.post(&format!("/api/v1/channels/webhooks/{sub_id}/rotate-secret"), &tokens[0], json!({})).await;
    assert_eq!(s, StatusCode::OK, "{rot}");
    let secret2 = rot["secret"].as_str().unwrap().to_string();
    assert_ne!(secret2, secret);
    let (s, b) = app
        .post(&format!("/api/v1/tickets/{ticket}/replies"), &tokens[0], json!({"body": "还有问题吗"}))
        .await;
    assert!(s.is_success(), "{b}");
    pump(&state, &mut pos, || {
        rx_a.received().iter().any(|r| r.body.contains("还有问题吗") && r.status == 200)
    })
    .await;
    let last = rx_a.received().into_iter().find(|r| r.body.contains("还有问题吗")).unwrap();
    assert!(verify(&secret2, &last) && !verify(&secret, &last));

    // A deactivated subscription gets nothing more.
    let (s, p) = app
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/channels/webhooks/{sub_id}"),
            Some(&tokens[0]),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    assert_eq!(p["active"], false);
    let before = rx_a.received().len();
    let (s, _) =
        app.post(&format!("/api/v1/tickets/{ticket}/replies"), &tokens[0], json!({"body": "停用后"})).await;
    assert!(s.is_success());
    for _ in 0..5 {
        kefu_server::channels::webhooks::feed_round(&state, &mut pos, kefu_server::auth::now())
            .await
            .unwrap();
        kefu_server::jobs::run_due(&state, "test-node", kefu_server::auth::now(), 16).await.unwrap();
    }
    assert_eq!(rx_a.received().len(), before);

    // Delete: gone, with its log.
    let (s, _) = app
        .call(reqwest::Method::DELETE, &format!("/api/v1/channels/webhooks/{sub_id}"), Some(&tokens[0]), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app.get(&format!("/api/v1/channels/webhooks/{sub_id}"), &tokens[0]).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
both_backends!(webhook_delivery_signed_retried_replayed);

async fn webhook_bad_input(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_admin, merchants, tokens) = two_merchants(&app).await;
    let cases = [
        (json!({"url": "ftp://example.com/x", "events": ["ticket.created"]}), "url"),
        (json!({"url": "not a url", "events": ["ticket.created"]}), "url"),
        (json!({"url": "http://user:pw@example.com/", "events": ["ticket.created"]}), "url"),
        // Loopback, private and link-local destinations are refused unless the operator allows them.
        (json!({"url": "http://127.0.0.1:8080/hook", "events": ["ticket.created"]}), "url"),
        (json!({"url": "http://localhost/hook", "events": ["ticket.created"]}), "url"),
        (json!({"url": "http://169.254.169.254/latest/meta-data", "events": ["ticket.created"]}), "url"),
        (json!({"url": "http://[::1]/hook", "events": ["ticket.created"]}), "url"),
        (json!({"url": "http://192.168.1.10/hook", "events": ["ticket.created"]}), "url"),
        (json!({"url": "https://example.com/hook", "events": []}), "events"),
        (json!({"url": "https://example.com/hook", "events": ["ticket.exploded"]}), "events"),
        (json!({"url": "https://example.com/hook", "events": "ticket.created"}), "events"),
        (
            json!({"url": "https://example.com/hook", "events": ["ticket.created"], "description": "长".repeat(201)}),
            "description",
        ),
    ];
    for (body, field) in cases {
        let (s, e) = app.post("/api/v1/channels/webhooks", &tokens[0], body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {e}");
        assert_eq!(error_code(&e), "validation");
        assert_eq!(e["error"]["field"], field, "{body}: {e}");
    }
    // survey.answered is reserved but accepted.
    let (s, w) = app
        .post(
            "/api/v1/channels/webhooks",
            &tokens[0],
            json!({"url": "https://example.com/hook", "events": ["survey.answered", "sla.breached"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{w}");
    // The signing secret is encrypted at rest: not in the database file in clear.
    if let Backend::Sqlite = backend {
        let secret = w["secret"].as_str().unwrap();
        for entry in std::fs::read_dir(app.data_dir()).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                let bytes = std::fs::read(&path).unwrap();
                assert!(
                    !bytes.windows(secret.len()).any(|x| x == secret.as_bytes()),
                    "secret in clear in {path:?}"
                );
            }
        }
    }
    // Merchant staff cannot subscribe for another merchant.
    let (s, e) = app
        .post("/api/v1/channels/webhooks", &tokens[0], json!({"url": "https://example.com/h", "events": ["ticket.created"], "merchant_id": merchants[1]}))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{e}");
    let id = w["id"].as_i64().unwrap();
    let (s, e) = app
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/channels/webhooks/{id}"),
            Some(&tokens[0]),
            Some(json!({"url": "javascript:alert(1)"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["field"], "url");
    let (s, e) = app.get(&format!("/api/v1/channels/webhooks/{id}/deliveries?limit=0"), &tokens[0]).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["field"], "limit");
}
both_backends!(webhook_bad_input);

async fn deliveries(app: &TestApp, token: &str, sub: i64) -> Value {
    app.get(&format!("/api/v1/channels/webhooks/{sub}/deliveries"), token).await.1
}

async fn webhook_gives_up_after_last_attempt(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.job_retry_base_ms = 10;
        c.webhook_allow_private = true;
    })
    .await;
    let state = app.state();
    let (_admin, _merchants, tokens) = two_merchants(&app).await;
    // A port nobody listens on: every attempt is a connection error.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", closed.local_addr().unwrap());
    drop(closed);
    let (s, sub) = app
        .post("/api/v1/channels/webhooks", &tokens[0], json!({"url": url, "events": ["ticket.created"]}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{sub}");
    let sub_id = sub["id"].as_i64().unwrap();
    let (s, t) = app
        .post("/api/v1/tickets", &tokens[0], json!({"channel": "web", "subject": "发票", "body": "开发票"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let mut pos = FeedPosition::default();
    let deadline = Instant::now() + Duration::from_secs(90);
    let failed = loop {
        kefu_server::channels::webhooks::feed_round(&state, &mut pos, kefu_server::auth::now())
            .await
            .unwrap();
        kefu_server::jobs::run_due(&state, "test-node", kefu_server::auth::now(), 16).await.unwrap();
        let l = deliveries(&app, &tokens[0], sub_id).await;
        if l[0]["state"] == "failed" {
            break l[0].clone();
        }
        assert!(Instant::now() < deadline, "the delivery was not given up in time: {l}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let attempts = failed["attempt_log"].as_array().unwrap();
    assert_eq!(attempts.len() as i64, kefu_server::jobs::DEFAULT_ATTEMPTS, "{failed}");
    for (i, a) in attempts.iter().enumerate() {
        assert_eq!(a["attempt"], json!(i + 1));
        assert!(a["status_code"].is_null(), "{a}");
        assert!(a["error"].as_str().unwrap().contains("could not connect"), "{a}");
    }
    // Nothing more happens on its own; a replay queues it again with a fresh budget.
    kefu_server::jobs::run_due(&state, "test-node", kefu_server::auth::now(), 16).await.unwrap();
    assert_eq!(
        deliveries(&app, &tokens[0], sub_id).await[0]["attempt_log"].as_array().unwrap().len(),
        attempts.len()
    );
    let did = failed["id"].as_i64().unwrap();
    let (s, r) =
        app.post(&format!("/api/v1/channels/webhook-deliveries/{did}/replay"), &tokens[0], json!({})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["state"], "pending");
    kefu_server::jobs::run_due(&state, "test-node", kefu_server::auth::now(), 16).await.unwrap();
    let l = deliveries(&app, &tokens[0], sub_id).await;
    assert_eq!(l[0]["attempt_log"].as_array().unwrap().len(), attempts.len() + 1, "{l}");
    assert_eq!(l[0]["state"], "pending", "a replay gets a fresh attempt budget: {l}");
}
both_backends!(webhook_gives_up_after_last_attempt);

/// The loops `serve` spawns (the feed consumer and the job worker) deliver on their own, promptly.
async fn webhook_loops_deliver_on_their_own(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.webhook_allow_private = true).await;
    let state = app.state();
    let (_admin, _merchants, tokens) = two_merchants(&app).await;
    let rx = Receiver::start(false).await;
    let (s, sub) = app
        .post("/api/v1/channels/webhooks", &tokens[0], json!({"url": rx.url, "events": ["ticket.created"]}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{sub}");
    let feed = tokio::spawn(kefu_server::channels::webhooks::run_feed(state.clone()));
    let worker = tokio::spawn(kefu_server::jobs::run_worker(state.clone()));
    let (s, t) = app
        .post(
            "/api/v1/tickets",
            &tokens[0],
            json!({"channel": "web", "subject": "改地址", "body": "收货地址写错了"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while rx.ok_count() == 0 {
        assert!(Instant::now() < deadline, "no delivery from the background loops");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    feed.abort();
    worker.abort();
    let got = rx.received();
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].body.contains("收货地址写错了"));
}
both_backends!(webhook_loops_deliver_on_their_own);
