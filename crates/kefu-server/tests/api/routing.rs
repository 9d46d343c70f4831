//! Routing and presence through the API: the on-duty gate, routing by group and capacity, the rule in
//! the timeline, tenant isolation, two routers at once, the live view and its stream, attendance.

use crate::both_backends;
use crate::common::{error_code, Backend, TestApp};
use kefu_core::org::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

struct Shop {
    app: TestApp,
    admin: String,
    merchant: i64,
    other: i64,
    group: i64,
    a1: (i64, String),
    a2: (i64, String),
}

async fn shop(backend: Backend) -> Shop {
    shop_with(backend, |_| {}).await
}

async fn shop_with(backend: Backend, tweak: impl FnOnce(&mut kefu_server::Config)) -> Shop {
    let app = TestApp::spawn_with(backend, tweak).await;
    let admin = app.admin().await;
    let (_, m) = app.post("/api/v1/merchants", &admin, json!({"code": "shop-r", "name": "路由小店"})).await;
    let (_, o) = app.post("/api/v1/merchants", &admin, json!({"code": "shop-o", "name": "别家小店"})).await;
    let merchant = m["id"].as_i64().unwrap();
    let (s, g) = app
        .post(
            "/api/v1/routing/groups",
            &admin,
            json!({"merchant_id": merchant, "name": "售后组", "strategy": "least_loaded"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{g}");
    let group = g["id"].as_i64().unwrap();
    let a1 = app.user("r.agent1", Role::Agent, Some(merchant)).await;
    let a2 = app.user("r.agent2", Role::Agent, Some(merchant)).await;
    let (s, b) = app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/routing/groups/{group}/members"),
            Some(&admin),
            Some(json!([{"user_id": a1, "skill_level": 4}, {"user_id": a2}])),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    Shop {
        a1: (a1, app.login("r.agent1").await),
        a2: (a2, app.login("r.agent2").await),
        app,
        admin,
        merchant,
        other: o["id"].as_i64().unwrap(),
        group,
    }
}

async fn ticket(w: &Shop, merchant: i64, subject: &str) -> i64 {
    let (s, t) = w
        .app
        .post(
            "/api/v1/tickets",
            &w.admin,
            json!({"merchant_id": merchant, "channel": "web", "subject": subject}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    t["id"].as_i64().unwrap()
}

async fn online(w: &Shop, who: &(i64, String)) -> (StatusCode, Value) {
    w.app.put("/api/v1/me/presence", &who.1, json!({"status": "online"})).await
}

async fn certify(w: &Shop, who: &(i64, String)) {
    w.app.user(&format!("trainer.{}", who.0), Role::Trainer, Some(w.merchant)).await;
    let trainer = w.app.login(&format!("trainer.{}", who.0)).await;
    let (s, c) = w
        .app
        .post(
            &format!("/api/v1/users/{}/certifications", who.0),
            &trainer,
            json!({"group_id": w.group, "source": "trainer"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    assert!(c["granted_by"].is_i64(), "{c}");
}

async fn assignee(w: &Shop, id: i64) -> Option<i64> {
    let (_, t) = w.app.get(&format!("/api/v1/tickets/{id}"), &w.admin).await;
    t["ticket"]["assignee_id"].as_i64()
}

async fn routing_by_group_capacity_and_the_on_duty_gate(backend: Backend) {
    let w = shop(backend).await;
    // Not certified: the gate refuses and says why; stepping away is always allowed.
    let (s, b) = online(&w, &w.a1).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    assert_eq!(error_code(&b), "forbidden");
    assert!(b["error"]["message"].as_str().unwrap().contains("售后组"), "{b}");
    let (s, b) = w.app.put("/api/v1/me/presence", &w.a1.1, json!({"status": "away", "reason": "培训"})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    certify(&w, &w.a1).await;
    let (s, me) = online(&w, &w.a1).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    assert_eq!(me["presence"]["status"], "online");

    // A ticket goes to the online, certified member, with the rule in the timeline.
    let t1 = ticket(&w, w.merchant, "退货咨询").await;
    let state = w.app.state();
    kefu_server::routing::round(&state, kefu_server::auth::now()).await.unwrap();
    assert_eq!(assignee(&w, t1).await, Some(w.a1.0));
    let (_, evs) = w.app.get(&format!("/api/v1/tickets/{t1}/events"), &w.admin).await;
    let evs = evs.as_array().unwrap();
    let routed = evs.iter().find(|e| e["kind"]["type"] == "routed").unwrap_or_else(|| panic!("{evs:?}"));
    assert!(routed["kind"]["rule"].as_str().unwrap().contains("售后组"), "{routed}");
    assert_eq!(routed["actor"]["name"], "router");
    assert!(evs.iter().any(|e| e["kind"]["type"] == "assigned" && e["kind"]["to"]["user_id"] == w.a1.0));

    // At capacity the next ticket waits; the live view shows it queued.
    let (s, b) = w
        .app
        .put(
            &format!("/api/v1/users/{}/capacity", w.a1.0),
            &w.admin,
            json!({"max_chats": 5, "max_tickets": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    let t2 = ticket(&w, w.merchant, "换货咨询").await;
    kefu_server::routing::round(&state, kefu_server::auth::now()).await.unwrap();
    assert_eq!(assignee(&w, t2).await, None, "never beyond capacity");
    // Nor by hand: a supervisor's assignment and the agent's own take are refused, saying why.
    let (s, b) =
        w.app.post(&format!("/api/v1/tickets/{t2}/assign"), &w.admin, json!({"user_id": w.a1.0})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    assert!(b["error"]["message"].as_str().unwrap().contains("上限"), "{b}");
    let (s, b) = w.app.post(&format!("/api/v1/tickets/{t2}/take"), &w.a1.1, json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    let (s, live) = w.app.get("/api/v1/routing/live", &w.admin).await;
    assert_eq!(s, StatusCode::OK, "{live}");
    let q = live["queues"].as_array().unwrap().iter().find(|q| q["group_id"] == w.group).unwrap();
    assert_eq!(q["waiting"], 1, "{live}");
    assert_eq!(live["presence_counts"]["online"], 1, "{live}");

    // A second certified agent comes online and gets it; another merchant's ticket never reaches them.
    certify(&w, &w.a2).await;
    let (s, b) = online(&w, &w.a2).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let foreign = ticket(&w, w.other, "别家的问题").await;
    kefu_server::routing::round(&state, kefu_server::auth::now()).await.unwrap();
    assert_eq!(assignee(&w, t2).await, Some(w.a2.0));
    assert_eq!(assignee(&w, foreign).await, None, "no cross-tenant routing");

    // Attendance counts the day's presence.
    let (s, a) = w.app.get("/api/v1/routing/attendance", &w.admin).await;
    assert_eq!(s, StatusCode::OK, "{a}");
    let row = a["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["user_id"] == w.a1.0)
        .unwrap_or_else(|| panic!("{a}"));
    assert!(row["first_on_duty_at"].is_string(), "{row}");
    let (s, b) = w.app.get("/api/v1/routing/attendance?date=2026-13-01", &w.admin).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");

    // Bad input names the field.
    let (s, b) =
        w.app.post("/api/v1/routing/groups", &w.admin, json!({"name": "", "merchant_id": w.merchant})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["field"], "name");
    let (s, b) = w
        .app
        .post("/api/v1/routing/groups", &w.admin, json!({"name": "售后组", "merchant_id": w.merchant}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    let (s, b) = w.app.put("/api/v1/me/presence", &w.a1.1, json!({"status": "dancing"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
}
both_backends!(routing_by_group_capacity_and_the_on_duty_gate);

async fn two_routers_never_assign_a_ticket_twice(backend: Backend) {
    let w = shop(backend).await;
    certify(&w, &w.a1).await;
    certify(&w, &w.a2).await;
    online(&w, &w.a1).await;
    online(&w, &w.a2).await;
    let mut ids = Vec::new();
    for i in 0..12 {
        ids.push(ticket(&w, w.merchant, &format!("咨询 {i}")).await);
    }
    let a = w.app.second_node().await;
    let b = w.app.second_node().await;
    let now = kefu_server::auth::now();
    let (ra, rb) = tokio::join!(kefu_server::routing::round(&a, now), kefu_server::routing::round(&b, now));
    let mut assigned = ra.unwrap() + rb.unwrap();
    // A change that lost a race on SQLite (two processes on one file is not a deployment kefu supports;
    // PostgreSQL is the multi-node backend) is simply routed in the next round: nothing is lost.
    assigned += kefu_server::routing::round(&a, kefu_server::auth::now()).await.unwrap();
    assert_eq!(assigned, 12, "each ticket assigned by exactly one router");
    for id in ids {
        let (_, evs) = w.app.get(&format!("/api/v1/tickets/{id}/events"), &w.admin).await;
        let n = evs.as_array().unwrap().iter().filter(|e| e["kind"]["type"] == "assigned").count();
        assert_eq!(n, 1, "ticket {id}: {evs}");
    }
}
both_backends!(two_routers_never_assign_a_ticket_twice);

async fn the_live_stream_shows_a_change_within_a_second(backend: Backend) {
    let w = shop(backend).await;
    // One snapshot and the end, by default.
    let r = w
        .app
        .client
        .get(format!("{}/api/v1/routing/live/stream", w.app.base))
        .bearer_auth(&w.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "text/event-stream");
    let text = r.text().await.unwrap();
    assert!(text.starts_with("event: live\ndata: {"), "{text}");
    // Kept open: a new ticket shows in the queue within a second.
    let mut r = w
        .app
        .client
        .get(format!("{}/api/v1/routing/live/stream?max_secs=10", w.app.base))
        .bearer_auth(&w.admin)
        .send()
        .await
        .unwrap();
    let first = r.chunk().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first).contains("event: live"));
    let started = std::time::Instant::now();
    ticket(&w, w.merchant, "新来的咨询").await;
    let mut seen = String::new();
    while !seen.contains("\"waiting\":1") {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(3), r.chunk())
            .await
            .expect("no update")
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
    }
    assert!(started.elapsed() < std::time::Duration::from_secs(1), "took {:?}", started.elapsed());
    let (s, b) = w.app.get("/api/v1/routing/live/stream?max_secs=99999", &w.admin).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
}
both_backends!(the_live_stream_shows_a_change_within_a_second);

async fn a_silent_client_is_set_away_after_the_grace_period(backend: Backend) {
    let w = shop(backend).await;
    certify(&w, &w.a1).await;
    certify(&w, &w.a2).await;
    online(&w, &w.a1).await;
    online(&w, &w.a2).await;
    let state = w.app.state();
    let grace = state.config.away_after_secs as i64 * 1000;
    let later = kefu_server::auth::now().plus_ms(grace / 2);
    // Agent 2's client keeps beating; agent 1's goes quiet.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let (s, b) = w.app.post("/api/v1/me/presence/heartbeat", &w.a2.1, json!({})).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    assert_eq!(
        kefu_server::routing::presence_sweep(&state, later).await.unwrap(),
        0,
        "within the grace period"
    );
    let past = kefu_server::auth::now().plus_ms(grace - 150);
    let swept = kefu_server::routing::presence_sweep(&state, past).await.unwrap();
    assert_eq!(swept, 1);
    let (_, me) = w.app.get("/api/v1/me/presence", &w.a1.1).await;
    assert_eq!(me["presence"], json!({"status": "away", "reason": "连接中断"}), "{me}");
    let (_, other) = w.app.get("/api/v1/me/presence", &w.a2.1).await;
    assert_eq!(other["presence"]["status"], "online", "{other}");
}
both_backends!(a_silent_client_is_set_away_after_the_grace_period);

async fn chat(w: &Shop, subject: &str) -> i64 {
    let (s, t) = w
        .app
        .post(
            "/api/v1/tickets",
            &w.admin,
            json!({"merchant_id": w.merchant, "channel": "chat", "subject": subject}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    t["id"].as_i64().unwrap()
}

async fn event_types(w: &Shop, id: i64) -> Vec<Value> {
    let (_, evs) = w.app.get(&format!("/api/v1/tickets/{id}/events"), &w.admin).await;
    evs.as_array().unwrap().iter().map(|e| e["kind"].clone()).collect()
}

async fn offered_chats_are_accepted_or_pass_to_the_next_agent(backend: Backend) {
    let w = shop_with(backend, |c| {
        c.offer_timeout_secs = 30;
        c.away_on_missed_offer = true;
    })
    .await;
    certify(&w, &w.a1).await;
    certify(&w, &w.a2).await;
    online(&w, &w.a1).await;
    online(&w, &w.a2).await;
    let state = w.app.state();
    let t0 = kefu_server::auth::now();

    // The chat is offered to one agent, not assigned; the agent is told.
    let c1 = chat(&w, "在吗？想问下尺码").await;
    assert_eq!(kefu_server::routing::round(&state, t0).await.unwrap(), 1);
    assert_eq!(assignee(&w, c1).await, None);
    let kinds = event_types(&w, c1).await;
    let offer = kinds.iter().find(|k| k["type"] == "offered").unwrap_or_else(|| panic!("{kinds:?}"));
    let first = offer["agent_id"].as_i64().unwrap();
    let (first_tok, other) = if first == w.a1.0 { (&w.a1.1, &w.a2) } else { (&w.a2.1, &w.a1) };
    let (_, n) = w.app.get("/api/v1/notifications", first_tok).await;
    let told = n["items"].as_array().unwrap().iter().any(|x| x["kind"] == "offered" && x["ticket_id"] == c1);
    assert!(told, "{n}");
    // Nobody else may accept it, and a second round does not offer it again.
    let (s, b) = w.app.post(&format!("/api/v1/tickets/{c1}/accept"), &other.1, json!({})).await;
    assert_eq!((s, error_code(&b)), (StatusCode::CONFLICT, "conflict".to_string()), "{b}");
    assert_eq!(kefu_server::routing::round(&state, t0.plus_ms(1_000)).await.unwrap(), 0);

    // Unanswered for 30 s: the offer lapses, the silent agent is set away, the other agent is offered it.
    kefu_server::routing::round(&state, t0.plus_ms(31_000)).await.unwrap();
    let kinds = event_types(&w, c1).await;
    assert!(
        kinds
            .iter()
            .any(|k| k["type"] == "offer_lapsed" && k["agent_id"] == first && k["reason"] == "timeout"),
        "{kinds:?}"
    );
    let (_, me) = w.app.get("/api/v1/me/presence", first_tok).await;
    assert_eq!(me["presence"], json!({"status": "away", "reason": "未接待"}), "{me}");
    let offers: Vec<i64> =
        kinds.iter().filter(|k| k["type"] == "offered").map(|k| k["agent_id"].as_i64().unwrap()).collect();
    assert_eq!(offers, vec![first, other.0]);
    let (s, b) = w.app.post(&format!("/api/v1/tickets/{c1}/accept"), first_tok, json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "the lapsed agent cannot accept: {b}");
    let (s, t) = w.app.post(&format!("/api/v1/tickets/{c1}/accept"), &other.1, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!((t["assignee_id"].as_i64(), t["first_responder_id"].as_i64()), (Some(other.0), Some(other.0)));

    // Declining passes the agent over; with nobody else online the chat is offered to them again.
    let c2 = chat(&w, "发票怎么开").await;
    kefu_server::routing::round(&state, t0.plus_ms(32_000)).await.unwrap();
    let (s, b) = w.app.post(&format!("/api/v1/tickets/{c2}/decline"), &other.1, json!({"reason": ""})).await;
    assert_eq!((s, b["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("reason")), "{b}");
    let (s, b) = w
        .app
        .post(&format!("/api/v1/tickets/{c2}/decline"), &other.1, json!({"reason": "正在处理投诉"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    kefu_server::routing::round(&state, t0.plus_ms(33_000)).await.unwrap();
    let kinds = event_types(&w, c2).await;
    let offers: Vec<i64> =
        kinds.iter().filter(|k| k["type"] == "offered").map(|k| k["agent_id"].as_i64().unwrap()).collect();
    assert_eq!(offers, vec![other.0, other.0], "{kinds:?}");
    // An offered chat counts against the chat capacity: with a limit of two chats (one held, one
    // offered), a third waits.
    let (s, b) = w
        .app
        .put(
            &format!("/api/v1/users/{}/capacity", other.0),
            &w.admin,
            json!({"max_chats": 2, "max_tickets": 30}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    let c3 = chat(&w, "第三个会话").await;
    kefu_server::routing::round(&state, t0.plus_ms(34_000)).await.unwrap();
    assert!(event_types(&w, c3).await.iter().all(|k| k["type"] != "offered"), "over the chat capacity");
}
both_backends!(offered_chats_are_accepted_or_pass_to_the_next_agent);

async fn an_idle_agent_is_set_away(backend: Backend) {
    let w = shop(backend).await;
    certify(&w, &w.a1).await;
    online(&w, &w.a1).await;
    let limit = w.app.state().config.idle_away_secs;
    let beat = |body: Value| w.app.post("/api/v1/me/presence/heartbeat", &w.a1.1, body);
    let (s, b) = beat(json!({"idle_secs": limit - 1})).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    let (_, me) = w.app.get("/api/v1/me/presence", &w.a1.1).await;
    assert_eq!(me["presence"]["status"], "online", "{me}");
    let (s, b) = beat(json!({"idle_secs": "long"})).await;
    assert_eq!(
        (s, b["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("idle_secs")),
        "{b}"
    );
    let (s, b) = beat(json!({"idle_secs": limit})).await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    let (_, me) = w.app.get("/api/v1/me/presence", &w.a1.1).await;
    assert_eq!(me["presence"], json!({"status": "away", "reason": "空闲"}), "{me}");
}
both_backends!(an_idle_agent_is_set_away);

async fn a_waiting_ticket_overflows_to_the_backup_group(backend: Backend) {
    let w = shop(backend).await;
    let (s, g) = w
        .app
        .post(
            "/api/v1/routing/groups",
            &w.admin,
            json!({"merchant_id": w.merchant, "name": "售后二组", "position": 10, "strategy": "round_robin"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{g}");
    let backup = g["id"].as_i64().unwrap();
    let (s, b) = w
        .app
        .put(
            &format!("/api/v1/routing/groups/{}", w.group),
            &w.admin,
            json!({"merchant_id": w.merchant, "name": "售后组", "strategy": "least_loaded",
                   "overflow_to": backup, "overflow_after_secs": 60}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, b) = w
        .app
        .put(&format!("/api/v1/routing/groups/{backup}/members"), &w.admin, json!([{"user_id": w.a2.0}]))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // Agent 2 is certified for the backup group only, so nobody can serve the first group.
    w.app.user("trainer.backup", Role::Trainer, Some(w.merchant)).await;
    let trainer = w.app.login("trainer.backup").await;
    let (s, c) = w
        .app
        .post(&format!("/api/v1/users/{}/certifications", w.a2.0), &trainer, json!({"group_id": backup}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let (s, b) = online(&w, &w.a2).await;
    assert_eq!(s, StatusCode::OK, "{b}");

    let t = ticket(&w, w.merchant, "退款进度").await;
    let state = w.app.state();
    let t0 = kefu_server::auth::now();
    assert_eq!(kefu_server::routing::round(&state, t0).await.unwrap(), 0);
    assert_eq!(assignee(&w, t).await, None, "waits in 售后组 before the overflow time");
    assert_eq!(kefu_server::routing::round(&state, t0.plus_ms(61_000)).await.unwrap(), 1);
    assert_eq!(assignee(&w, t).await, Some(w.a2.0));
    let kinds = event_types(&w, t).await;
    let routed = kinds.iter().find(|k| k["type"] == "routed").unwrap_or_else(|| panic!("{kinds:?}"));
    assert!(routed["rule"].as_str().unwrap().contains("溢出自售后组"), "{routed}");
}
both_backends!(a_waiting_ticket_overflows_to_the_backup_group);

async fn two_agents_claiming_one_ticket_at_once_get_it_once(backend: Backend) {
    let w = shop(backend).await;
    let t = ticket(&w, w.merchant, "同时领取").await;
    let path = format!("/api/v1/tickets/{t}/take");
    let ((s1, b1), (s2, b2)) =
        tokio::join!(w.app.post(&path, &w.a1.1, json!({})), w.app.post(&path, &w.a2.1, json!({})));
    let mut statuses = [s1, s2];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT], "{b1} {b2}");
    let winner = if s1 == StatusCode::OK { w.a1.0 } else { w.a2.0 };
    let loser = if s1 == StatusCode::OK { &b2 } else { &b1 };
    assert!(loser["error"]["message"].as_str().unwrap().contains("held by"), "{loser}");
    assert_eq!(assignee(&w, t).await, Some(winner));
    let assigned = event_types(&w, t).await.iter().filter(|k| k["type"] == "assigned").count();
    assert_eq!(assigned, 1);
}
both_backends!(two_agents_claiming_one_ticket_at_once_get_it_once);

/// A member tier with priority service (钻石会员, EC-5) is served by the VIP-dedicated group like a VIP,
/// while a regular member's ticket goes to the ordinary group.
async fn a_priority_tier_is_served_by_the_vip_group(backend: Backend) {
    priority_tiers(backend, false).await
}
both_backends!(a_priority_tier_is_served_by_the_vip_group);

/// The merchant's own member rights (会员权益设置) decide who is served first: here diamond loses
/// priority service and regular gains it.
async fn the_merchants_member_rights_decide_priority(backend: Backend) {
    priority_tiers(backend, true).await
}
both_backends!(the_merchants_member_rights_decide_priority);

async fn priority_tiers(backend: Backend, swapped: bool) {
    let w = shop(backend).await;
    if swapped {
        let (s, b) = w
            .app
            .put(
                "/api/v1/member-tiers",
                &w.admin,
                json!({"merchant_id": w.merchant, "tiers": [
                    {"tier": "diamond", "priority_service": false, "free_return_shipping": true, "extra_return_days": 7},
                    {"tier": "regular", "priority_service": true, "free_return_shipping": false, "extra_return_days": 0}]}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }
    let (s, g) = w
        .app
        .post(
            "/api/v1/routing/groups",
            &w.admin,
            json!({"merchant_id": w.merchant, "name": "VIP专席", "strategy": "least_loaded", "vip_dedicated": true}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{g}");
    let vip_group = g["id"].as_i64().unwrap();
    let (s, b) = w
        .app
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/routing/groups/{vip_group}/members"),
            Some(&w.admin),
            Some(json!([{"user_id": w.a2.0}])),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    certify(&w, &w.a1).await;
    w.app.user("trainer.vip", Role::Trainer, Some(w.merchant)).await;
    let trainer = w.app.login("trainer.vip").await;
    let (s, c) = w
        .app
        .post(
            &format!("/api/v1/users/{}/certifications", w.a2.0),
            &trainer,
            json!({"group_id": vip_group, "source": "trainer"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    for a in [&w.a1, &w.a2] {
        let (s, b) = online(&w, a).await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }
    let mut tickets = Vec::new();
    for (name, tier) in [("钻石顾客", "diamond"), ("普通顾客", "regular")] {
        let (s, c) = w
            .app
            .post(
                "/api/v1/customers",
                &w.admin,
                json!({"merchant_id": w.merchant, "display_name": name, "member_tier": tier}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{c}");
        let (s, t) = w
            .app
            .post(
                "/api/v1/tickets",
                &w.admin,
                json!({"merchant_id": w.merchant, "channel": "web", "subject": "咨询", "customer_id": c["id"]}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        tickets.push(t["id"].as_i64().unwrap());
    }
    kefu_server::routing::round(&w.app.state(), kefu_server::auth::now()).await.unwrap();
    let (vip, other) = if swapped { (tickets[1], tickets[0]) } else { (tickets[0], tickets[1]) };
    assert_eq!(
        assignee(&w, vip).await,
        Some(w.a2.0),
        "the priority member goes to VIP专席 (swapped: {swapped})"
    );
    assert_eq!(assignee(&w, other).await, Some(w.a1.0), "the other to 售后组 (swapped: {swapped})");
}
