//! Live chat (在线咨询) with real WebSocket clients: customer and agent exchange messages, reconnect and
//! resend without loss or duplicates, signed customer tokens, bad frames, floods, left messages, the
//! queue, agent replies over HTTP, tenant isolation, and two nodes on PostgreSQL.

use crate::both_backends;
use crate::common::{error_code, Backend, TestApp};
use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use hmac::{Hmac, Mac};
use kefu_core::org::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

const WAIT: Duration = Duration::from_secs(30);

struct Shop {
    app: TestApp,
    admin: String,
    merchant: i64,
    widget: String,
    secret: String,
    group: i64,
}

async fn shop(app: TestApp, code: &str) -> Shop {
    let admin = app.admin().await;
    let (_, m) = app.post("/api/v1/merchants", &admin, json!({"code": code, "name": "聊天小店"})).await;
    let merchant = m["id"].as_i64().unwrap();
    let (s, c) = app.get(&format!("/api/v1/channels/chat?merchant_id={merchant}"), &admin).await;
    assert_eq!(s, StatusCode::OK, "{c}");
    let secret = c["secret"].as_str().expect("the secret is shown on creation").to_string();
    let (s, again) = app.get(&format!("/api/v1/channels/chat?merchant_id={merchant}"), &admin).await;
    assert_eq!(s, StatusCode::OK);
    assert!(again.get("secret").is_none(), "the secret is shown once: {again}");
    let (s, g) = app
        .post(
            "/api/v1/routing/groups",
            &admin,
            json!({"merchant_id": merchant, "name": "在线组", "channels": ["chat"]}),
        )
        .await;
    let g = if s == StatusCode::CREATED {
        g
    } else {
        app.post("/api/v1/routing/groups", &admin, json!({"merchant_id": merchant, "name": "在线组"})).await.1
    };
    Shop {
        widget: c["widget_key"].as_str().unwrap().to_string(),
        secret,
        group: g["id"].as_i64().unwrap_or_else(|| panic!("{g}")),
        app,
        admin,
        merchant,
    }
}

/// An agent of the shop; certified and online when `online`.
async fn agent(w: &Shop, name: &str, online: bool) -> (i64, String) {
    let id = w.app.user(name, Role::Agent, Some(w.merchant)).await;
    let token = w.app.login(name).await;
    if online {
        let (s, b) = w
            .app
            .call(
                reqwest::Method::PUT,
                &format!("/api/v1/routing/groups/{}/members", w.group),
                Some(&w.admin),
                Some(json!([{"user_id": id}])),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let (s, c) = w
            .app
            .post(&format!("/api/v1/users/{id}/certifications"), &w.admin, json!({"group_id": w.group}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{c}");
        let (s, b) = w.app.put("/api/v1/me/presence", &token, json!({"status": "online"})).await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }
    (id, token)
}

async fn session(app: &TestApp, body: Value) -> Value {
    let (s, b) = app.call(reqwest::Method::POST, "/api/v1/public/chat/sessions", None, Some(body)).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b
}

fn ws_url(base: &str, path: &str) -> String {
    format!("{}{path}", base.replacen("http://", "ws://", 1))
}

async fn customer(base: &str, token: &str) -> Ws {
    let (ws, _) =
        tokio_tungstenite::connect_async(ws_url(base, &format!("/api/v1/public/chat/ws?session={token}")))
            .await
            .unwrap();
    ws
}

async fn agent_ws(base: &str, token: &str) -> Ws {
    let (ws, _) =
        tokio_tungstenite::connect_async(ws_url(base, &format!("/api/v1/chat/ws?access_token={token}")))
            .await
            .unwrap();
    ws
}

async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::Text(v.to_string().into())).await.unwrap();
}

/// The next frame of `kind` (other frames are skipped).
async fn next(ws: &mut Ws, kind: &str) -> Value {
    tokio::time::timeout(WAIT, async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(t))) => {
                    let v: Value = serde_json::from_str(t.as_str()).unwrap();
                    if v["type"] == kind {
                        return v;
                    }
                }
                Some(Ok(Message::Close(f))) => panic!("closed while waiting for {kind}: {f:?}"),
                Some(Ok(_)) => {}
                other => panic!("socket ended while waiting for {kind}: {other:?}"),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {kind} frame within {WAIT:?}"))
}

/// The next `message` frame with this body.
async fn message(ws: &mut Ws, body: &str) -> Value {
    loop {
        let m = next(ws, "message").await;
        if m["body"] == body {
            return m;
        }
    }
}

/// No frame of `kind` arrives within `secs` seconds.
async fn silent(ws: &mut Ws, kind: &str, secs: u64) {
    let got = tokio::time::timeout(Duration::from_secs(secs), next(ws, kind)).await;
    assert!(got.is_err(), "unexpected {kind}: {got:?}");
}

async fn ticket_of(app: &TestApp, conversation: i64) -> i64 {
    for _ in 0..300 {
        if let Some(t) =
            app.store.get_chat_conversation(conversation).await.unwrap().and_then(|c| c.ticket_id)
        {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("conversation {conversation} got no ticket");
}

fn signed(secret: &str, claims: Value) -> String {
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims.to_string());
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(payload.as_bytes());
    format!("{payload}.{}", hex::encode(mac.finalize().into_bytes()))
}

async fn customer_and_agent_chat(backend: Backend) {
    let w = shop(TestApp::spawn(backend).await, "chat-a").await;
    let (a1, a1_token) = agent(&w, "c.agent1", true).await;
    let s = session(&w.app, json!({"widget_key": w.widget, "name": "小王"})).await;
    assert_eq!(s["identified"], false);
    assert_eq!(s["merchant_name"], "聊天小店");
    let conv = s["conversation_id"].as_i64().unwrap();
    let token = s["session_token"].as_str().unwrap().to_string();
    assert!(token.starts_with("kfc_"));
    let mut c = customer(&w.app.base, &token).await;
    let welcome = next(&mut c, "welcome").await;
    assert_eq!(welcome["conversation_id"], conv);
    send(&mut c, json!({"type": "hello", "last_seq": 0})).await;
    let greeting = next(&mut c, "message").await;
    assert_eq!(greeting["from"], "system");
    assert_eq!(greeting["seq"], 1);

    // Garbage is answered and the socket stays open; so is an oversized body.
    c.send(Message::Text("not json".into())).await.unwrap();
    assert_eq!(next(&mut c, "error").await["code"], "bad_frame");
    send(&mut c, json!({"type": "message", "client_id": "big", "body": "长".repeat(5001)})).await;
    let e = next(&mut c, "error").await;
    assert_eq!((e["code"].as_str(), e["field"].as_str()), (Some("validation"), Some("body")), "{e}");
    send(&mut c, json!({"type": "ping"})).await;
    next(&mut c, "pong").await;

    // The first message opens a chat ticket; the router gives it to the online agent.
    send(&mut c, json!({"type": "message", "client_id": "c-1", "body": "你好，我的订单还没发货"})).await;
    let ack = next(&mut c, "ack").await;
    assert_eq!(ack["client_id"], "c-1");
    let first_seq = ack["seq"].as_i64().unwrap();
    let ticket = ticket_of(&w.app, conv).await;
    let state = w.app.state();
    kefu_server::routing::round(&state, kefu_server::auth::now()).await.unwrap();
    assert_eq!(next(&mut c, "assigned").await["agent"], "c.agent1");
    let mut a = agent_ws(&w.app.base, &a1_token).await;
    let hello = next(&mut a, "welcome").await;
    assert_eq!((hello["conversation_id"].as_i64(), hello["ticket_id"].as_i64()), (Some(conv), Some(ticket)));

    // Both ways.
    send(
        &mut a,
        json!({"type": "message", "conversation_id": conv, "client_id": "a-1", "body": "您好，马上为您查询"}),
    )
    .await;
    assert_eq!(next(&mut a, "ack").await["client_id"], "a-1");
    let m = message(&mut c, "您好，马上为您查询").await;
    assert_eq!((m["from"].as_str(), m["author"].as_str()), (Some("agent"), Some("c.agent1")));
    send(&mut c, json!({"type": "typing", "on": true})).await;
    assert_eq!(next(&mut a, "typing").await["from"], "customer");
    send(&mut c, json!({"type": "message", "client_id": "c-2", "body": "好的谢谢"})).await;
    let m = message(&mut a, "好的谢谢").await;
    assert_eq!((m["from"].as_str(), m["conversation_id"].as_i64()), (Some("customer"), Some(conv)));
    let last_seen = next(&mut c, "ack").await["seq"].as_i64().unwrap();

    // The customer drops; the agent writes twice; on reconnect exactly those two come back.
    drop(c);
    for (i, body) in ["已为您催促仓库", "预计明天发货"].iter().enumerate() {
        send(
            &mut a,
            json!({"type": "message", "conversation_id": conv, "client_id": format!("a-r{i}"), "body": body}),
        )
        .await;
        next(&mut a, "ack").await;
    }
    let mut c = customer(&w.app.base, &token).await;
    next(&mut c, "welcome").await;
    send(&mut c, json!({"type": "hello", "last_seq": last_seen})).await;
    let r1 = next(&mut c, "message").await;
    let r2 = next(&mut c, "message").await;
    assert_eq!((r1["body"].as_str(), r2["body"].as_str()), (Some("已为您催促仓库"), Some("预计明天发货")));
    assert_eq!((r1["seq"].as_i64(), r2["seq"].as_i64()), (Some(last_seen + 1), Some(last_seen + 2)));
    silent(&mut c, "message", 1).await;
    // A resend after reconnecting is acknowledged with the same seq and stored once.
    send(&mut c, json!({"type": "message", "client_id": "c-1", "body": "你好，我的订单还没发货"})).await;
    assert_eq!(next(&mut c, "ack").await["seq"].as_i64(), Some(first_seq));

    // A reply through the ordinary ticket endpoint reaches the customer's socket, once.
    let (s, b) = w
        .app
        .post(&format!("/api/v1/tickets/{ticket}/replies"), &a1_token, json!({"body": "工单里的回复"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    message(&mut c, "工单里的回复").await;
    // Everything is in the ticket's conversation exactly once (chat agent replies are not mirrored back).
    let mut ok = false;
    for _ in 0..100 {
        let (_, t) = w.app.get(&format!("/api/v1/tickets/{ticket}"), &w.admin).await;
        let bodies: Vec<String> = t["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["body"].as_str().unwrap().to_string())
            .collect();
        let count = |b: &str| bodies.iter().filter(|x| x.as_str() == b).count();
        if count("预计明天发货") == 1 && count("好的谢谢") == 1 {
            assert_eq!(count("你好，我的订单还没发货"), 1, "{bodies:?}");
            assert_eq!(count("您好，马上为您查询"), 1, "{bodies:?}");
            assert_eq!(t["ticket"]["channel"], "chat");
            assert_eq!(t["ticket"]["first_responder_id"], a1);
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ok, "chat messages never all reached the ticket");
    let (_, history) = (0, w.app.store.chat_messages_after(conv, 0, 100).await.unwrap());
    assert_eq!(history.iter().filter(|m| m.body == "工单里的回复").count(), 1);
    assert_eq!(history.iter().filter(|m| m.body == "您好，马上为您查询").count(), 1);
    for (i, m) in history.iter().enumerate() {
        assert_eq!(m.seq, i as i64 + 1, "seq is gap-free");
    }

    // A crash after a message reached the ticket but before it was marked landed: recovery finds it in
    // the ticket and does not land it a second time.
    // (Messages sent over the sockets carry a client id; greetings and mirrored replies do not.)
    w.app
        .sql(&format!(
            "UPDATE chat_messages SET landed = false, ticket_message_id = NULL \
             WHERE conversation_id = {conv} AND client_id IS NOT NULL"
        ))
        .await;
    let state = w.app.state();
    let hub = kefu_server::channels::chat::hub(&state).await;
    let later = kefu_server::auth::now().plus_ms(60_000);
    assert!(kefu_server::channels::chat::reconcile(&state, &hub, later).await > 0);
    // Landing runs on the conversation's lander: wait until every message is marked again.
    for _ in 0..200 {
        if w.app.store.unlanded_chat_messages(later, 100).await.unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(w.app.store.unlanded_chat_messages(later, 100).await.unwrap().is_empty());
    let (_, t) = w.app.get(&format!("/api/v1/tickets/{ticket}"), &a1_token).await;
    let bodies: Vec<&str> =
        t["messages"].as_array().unwrap().iter().map(|m| m["body"].as_str().unwrap()).collect();
    for body in ["你好，我的订单还没发货", "您好，马上为您查询", "工单里的回复"] {
        assert_eq!(bodies.iter().filter(|b| **b == body).count(), 1, "{body} in {bodies:?}");
    }

    // A transfer with a reason: the first agent's tab is released, the second agent gets the chat
    // and the customer hears who serves them now.
    let (a2, a2_token) = agent(&w, "c.agent2", true).await;
    let mut a2_ws = agent_ws(&w.app.base, &a2_token).await;
    let (s, b) = w
        .app
        .post(
            &format!("/api/v1/tickets/{ticket}/transfer"),
            &a1_token,
            json!({"user_id": a2, "reason": "物流问题转物流专员"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let released = next(&mut a, "released").await;
    assert_eq!(
        (released["conversation_id"].as_i64(), released["to"].as_str()),
        (Some(conv), Some("c.agent2"))
    );
    assert_eq!(next(&mut a2_ws, "welcome").await["conversation_id"], conv);
    assert_eq!(next(&mut c, "assigned").await["agent"], "c.agent2");
    send(&mut c, json!({"type": "message", "client_id": "c-3", "body": "换人了吗"})).await;
    message(&mut a2_ws, "换人了吗").await;
    silent(&mut a, "message", 1).await;

    // Resolving ends the chat: the closing message and `closed` with the rating page.
    let (s, b) = w
        .app
        .post(&format!("/api/v1/tickets/{ticket}/status"), &a2_token, json!({"status": "resolved"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let closed = next(&mut c, "closed").await;
    // The survey link is signed for this ticket, and is no status link.
    let url = closed["rating_url"].as_str().unwrap();
    let token = url.strip_prefix("/chat/rate?token=").expect(url);
    assert!(token.starts_with(&format!("krt_{ticket}_")), "{url}");
    use kefu_server::signed_link::{verify, Purpose, TokenError};
    let now = kefu_server::auth::now();
    assert_eq!(verify(&w.app.state(), Purpose::Rating, token, now).await.unwrap(), Ok(ticket));
    assert_eq!(
        verify(&w.app.state(), Purpose::TicketStatus, token, now).await.unwrap(),
        Err(TokenError::Malformed)
    );
}
both_backends!(customer_and_agent_chat);

async fn tokens_isolation_and_flood(backend: Backend) {
    let w = shop(TestApp::spawn(backend).await, "chat-b").await;
    let exp = kefu_server::auth::now().0 / 1000 + 600;
    let good = signed(&w.secret, json!({"uid": "buyer-42", "name": "王先生", "exp": exp}));
    let s = session(&w.app, json!({"widget_key": w.widget, "customer_token": good})).await;
    assert_eq!(s["identified"], true, "{s}");
    let conv =
        w.app.store.get_chat_conversation(s["conversation_id"].as_i64().unwrap()).await.unwrap().unwrap();
    let (_, cust) = w.app.get(&format!("/api/v1/customers/{}", conv.customer_id), &w.admin).await;
    assert_eq!(cust["account_id"], "buyer-42", "{cust}");
    // Same account again: the same customer and conversation.
    let again = session(&w.app, json!({"widget_key": w.widget, "customer_token": signed(&w.secret, json!({"uid": "buyer-42", "exp": exp}))})).await;
    assert_eq!(again["conversation_id"], s["conversation_id"]);
    let forged = signed("not-the-secret", json!({"uid": "buyer-42", "exp": exp}));
    let f = session(
        &w.app,
        json!({"widget_key": w.widget, "customer_token": forged, "visitor_id": "visitor-0001"}),
    )
    .await;
    assert_eq!(
        (f["identified"].as_bool(), f["token_error"].as_str()),
        (Some(false), Some("bad_signature")),
        "{f}"
    );
    assert_ne!(f["conversation_id"], s["conversation_id"]);
    let old = signed(&w.secret, json!({"uid": "buyer-42", "exp": 1000}));
    let e = session(&w.app, json!({"widget_key": w.widget, "customer_token": old})).await;
    assert_eq!(e["token_error"], "expired");
    let (st, b) = w
        .app
        .call(
            reqwest::Method::POST,
            "/api/v1/public/chat/sessions",
            None,
            Some(json!({"widget_key": "wk_nope"})),
        )
        .await;
    assert_eq!((st, error_code(&b)), (StatusCode::NOT_FOUND, "not_found".to_string()));

    // Merchant B's agent never receives merchant A's chat and cannot write into it.
    let (_, o) =
        w.app.post("/api/v1/merchants", &w.admin, json!({"code": "chat-other", "name": "别家"})).await;
    let other = o["id"].as_i64().unwrap();
    w.app.user("b.agent", Role::Agent, Some(other)).await;
    let b_token = w.app.login("b.agent").await;
    let (a1, a1_token) = agent(&w, "c.agent2", true).await;
    let mut b_ws = agent_ws(&w.app.base, &b_token).await;
    let a_conv = s["conversation_id"].as_i64().unwrap();
    let mut c = customer(&w.app.base, s["session_token"].as_str().unwrap()).await;
    send(&mut c, json!({"type": "message", "client_id": "x1", "body": "有人吗"})).await;
    next(&mut c, "ack").await;
    let ticket = ticket_of(&w.app, a_conv).await;
    let (st, b) =
        w.app.post(&format!("/api/v1/tickets/{ticket}/assign"), &w.admin, json!({"user_id": a1})).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let mut a_ws = agent_ws(&w.app.base, &a1_token).await;
    next(&mut a_ws, "welcome").await;
    send(&mut c, json!({"type": "message", "client_id": "x2", "body": "在吗"})).await;
    message(&mut a_ws, "在吗").await;
    silent(&mut b_ws, "message", 1).await;
    send(
        &mut b_ws,
        json!({"type": "message", "conversation_id": a_conv, "client_id": "evil", "body": "我是客服"}),
    )
    .await;
    assert_eq!(next(&mut b_ws, "error").await["code"], "not_found");
    // A session of merchant A cannot send merchant B's upload; its own upload works.
    let f_token = f["session_token"].as_str().unwrap();
    let up = |tok: String| {
        let app = &w.app;
        async move {
            let r = app
                .client
                .post(format!("{}/api/v1/public/chat/attachments?session={tok}&file_name=a.txt", app.base))
                .body("订单截图说明")
                .send()
                .await
                .unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        }
    };
    let (st, foreign) = up(f_token.to_string()).await;
    assert_eq!(st, StatusCode::CREATED, "{foreign}");
    let (st, mine) = up(s["session_token"].as_str().unwrap().to_string()).await;
    assert_eq!(st, StatusCode::CREATED, "{mine}");
    send(
        &mut c,
        json!({"type": "message", "client_id": "x3", "body": "看图", "attachment_id": foreign["id"]}),
    )
    .await;
    assert_eq!(next(&mut c, "error").await["field"], "attachment_id");
    send(&mut c, json!({"type": "message", "client_id": "x4", "body": "看图", "attachment_id": mine["id"]}))
        .await;
    next(&mut c, "ack").await;
    assert_eq!(message(&mut a_ws, "看图").await["attachment"]["file_name"], "a.txt");
    let (st, _) = w
        .app
        .call(
            reqwest::Method::POST,
            "/api/v1/public/chat/attachments?session=kfc_bogus&file_name=a.txt",
            None,
            None,
        )
        .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);

    // A flood closes the socket with 1008.
    let mut closed = None;
    for i in 0..30 {
        if c.send(Message::Text(
            json!({"type": "message", "client_id": format!("f{i}"), "body": "刷屏"}).to_string().into(),
        ))
        .await
        .is_err()
        {
            break;
        }
    }
    let waited = tokio::time::timeout(WAIT, async {
        while let Some(Ok(m)) = c.next().await {
            if let Message::Text(t) = &m {
                let v: Value = serde_json::from_str(t.as_str()).unwrap();
                if v["type"] == "error" {
                    assert_eq!(v["code"], "rate_limited");
                }
            }
            if let Message::Close(f) = m {
                closed = f.map(|f| u16::from(f.code));
                break;
            }
        }
    })
    .await;
    assert!(waited.is_ok());
    assert_eq!(closed, Some(1008));
}
both_backends!(tokens_isolation_and_flood);

/// An agent whose socket opens before this node has heard of the assignment (its notice is late)
/// still receives the customer's next message, and the customer is told who took the chat.
async fn assignment_seen_before_its_notice(backend: Backend) {
    let w = shop(TestApp::spawn(backend).await, "chat-late").await;
    let (a1, a1_token) = agent(&w, "c.agent5", true).await;
    let s = session(&w.app, json!({"widget_key": w.widget})).await;
    let conv = s["conversation_id"].as_i64().unwrap();
    let mut c = customer(&w.app.base, s["session_token"].as_str().unwrap()).await;
    send(&mut c, json!({"type": "message", "client_id": "l1", "body": "在线吗"})).await;
    next(&mut c, "ack").await;
    let ticket = ticket_of(&w.app, conv).await;
    // The hub knows the conversation as waiting; the assignment lands with no notice to this node.
    let later = kefu_server::auth::now().0 + 1;
    w.app
        .sql(&format!("UPDATE tickets SET assignee_id = {a1}, updated_at = {later} WHERE id = {ticket}"))
        .await;
    let mut a = agent_ws(&w.app.base, &a1_token).await;
    assert_eq!(next(&mut a, "welcome").await["conversation_id"], conv);
    send(&mut c, json!({"type": "message", "client_id": "l2", "body": "还在吗"})).await;
    message(&mut a, "还在吗").await;
    assert_eq!(next(&mut c, "assigned").await["agent"], "c.agent5");
    // One welcome per socket: the late notice does not open the conversation a second time.
    silent(&mut a, "welcome", 1).await;
}
both_backends!(assignment_seen_before_its_notice);

async fn left_message_and_queue(backend: Backend) {
    let w = shop(TestApp::spawn(backend).await, "chat-c").await;
    // Nobody on duty: the chat becomes a left message (留言) and the visitor is told.
    let s = session(&w.app, json!({"widget_key": w.widget})).await;
    let conv = s["conversation_id"].as_i64().unwrap();
    let mut c = customer(&w.app.base, s["session_token"].as_str().unwrap()).await;
    send(&mut c, json!({"type": "message", "client_id": "l1", "body": "晚上好，想退货"})).await;
    next(&mut c, "ack").await;
    message(&mut c, kefu_server::channels::chat::LEFT_MESSAGE_NOTICE).await;
    let ticket = ticket_of(&w.app, conv).await;
    let (_, t) = w.app.get(&format!("/api/v1/tickets/{ticket}"), &w.admin).await;
    assert_eq!(t["ticket"]["channel"], "left_message");

    // Someone on duty (online, not yet routed): chats wait in order and are told their place.
    agent(&w, "c.agent3", true).await;
    let mut places = Vec::new();
    let mut sockets = Vec::new();
    for i in 0..2 {
        let s = session(&w.app, json!({"widget_key": w.widget})).await;
        let mut c = customer(&w.app.base, s["session_token"].as_str().unwrap()).await;
        send(&mut c, json!({"type": "message", "client_id": format!("q{i}"), "body": "请问在吗"})).await;
        next(&mut c, "ack").await;
        ticket_of(&w.app, s["conversation_id"].as_i64().unwrap()).await;
        places.push(next(&mut c, "queue").await["position"].as_i64());
        sockets.push(c);
    }
    assert_eq!(places, vec![Some(1), Some(2)]);
}
both_backends!(left_message_and_queue);

/// A customer on node A and an agent on node B (PostgreSQL LISTEN/NOTIFY).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_postgres() {
    let w = shop(TestApp::spawn(Backend::Postgres).await, "chat-n").await;
    let (a1, a1_token) = agent(&w, "c.agent4", true).await;
    let node_b = w.app.second_node().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_b = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(
            listener,
            kefu_server::app(node_b).into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
        .unwrap();
    });
    let s = session(&w.app, json!({"widget_key": w.widget})).await;
    let conv = s["conversation_id"].as_i64().unwrap();
    let mut c = customer(&w.app.base, s["session_token"].as_str().unwrap()).await;
    send(&mut c, json!({"type": "message", "client_id": "n1", "body": "跨节点你好"})).await;
    next(&mut c, "ack").await;
    let ticket = ticket_of(&w.app, conv).await;
    let (st, b) =
        w.app.post(&format!("/api/v1/tickets/{ticket}/assign"), &w.admin, json!({"user_id": a1})).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert_eq!(next(&mut c, "assigned").await["agent"], "c.agent4");
    let mut a = agent_ws(&base_b, &a1_token).await;
    assert_eq!(next(&mut a, "welcome").await["conversation_id"], conv);
    send(&mut c, json!({"type": "message", "client_id": "n2", "body": "节点A发出"})).await;
    message(&mut a, "节点A发出").await;
    send(&mut a, json!({"type": "message", "conversation_id": conv, "client_id": "b1", "body": "节点B回复"}))
        .await;
    next(&mut a, "ack").await;
    message(&mut c, "节点B回复").await;
    send(&mut a, json!({"type": "typing", "conversation_id": conv, "on": true})).await;
    assert_eq!(next(&mut c, "typing").await["from"], "agent");
}
