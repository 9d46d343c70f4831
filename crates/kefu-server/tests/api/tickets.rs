//! Tickets through the API, on both backends: the full life of a ticket, merge without loss, concurrent
//! edits, tenant isolation, attachments and Chinese search.

use crate::both_backends;
use crate::common::{error_code, Backend, TestApp};
use kefu_core::org::Role;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

struct Shop {
    app: TestApp,
    admin: String,
    merchant: i64,
    agent: String,
    agent_id: i64,
    senior: String,
    senior_id: i64,
    supervisor: String,
    customer: i64,
    team: i64,
}

async fn shop(b: Backend) -> Shop {
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await;
    let (_, m) = app.post("/api/v1/merchants", &admin, json!({"code": "shop-a", "name": "甲店"})).await;
    let merchant = m["id"].as_i64().unwrap();
    let (_, t) = app
        .post(
            "/api/v1/teams",
            &admin,
            json!({"name": "售后组", "owner": "merchant", "merchant_id": merchant}),
        )
        .await;
    let agent_id = app.user("a.agent", Role::Agent, Some(merchant)).await;
    let senior_id = app.user("a.senior", Role::SeniorAgent, Some(merchant)).await;
    app.user("a.sup", Role::Supervisor, Some(merchant)).await;
    let (_, c) = app
        .post(
            "/api/v1/customers",
            &admin,
            json!({"display_name": "王芳", "member_tier": "gold", "merchant_id": merchant}),
        )
        .await;
    Shop {
        agent: app.login("a.agent").await,
        senior: app.login("a.senior").await,
        supervisor: app.login("a.sup").await,
        app,
        admin,
        merchant,
        agent_id,
        senior_id,
        customer: c["id"].as_i64().unwrap(),
        team: t["id"].as_i64().unwrap(),
    }
}

async fn open_ticket(s: &Shop, subject: &str, body: &str) -> Value {
    let (st, t) = s
        .app
        .post(
            "/api/v1/tickets",
            &s.agent,
            json!({"channel": "web", "subject": subject, "body": body, "customer_id": s.customer}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{t}");
    t
}

async fn full_life_of_a_ticket(b: Backend) {
    let s = shop(b).await;
    let app = &s.app;
    let t = open_ticket(&s, "快递三天没到", "我的订单 20261122000123 显示已发货但一直没收到").await;
    let id = t["id"].as_i64().unwrap();
    assert!(t["number"].as_str().unwrap().starts_with("KF"), "{t}");
    assert_eq!(t["status"], "new");
    assert_eq!(t["merchant_id"], s.merchant);
    assert_eq!(t["category"], "logistics", "classified by keywords on intake");
    let path = |p: &str| format!("/api/v1/tickets/{id}{p}");

    // The first staff reply opens the ticket and makes the replier the first responder (首问负责制).
    let (st, t) = app.post(&path("/replies"), &s.agent, json!({"body": "您好，我马上为您查询物流。"})).await;
    assert_eq!(st, StatusCode::OK, "{t}");
    assert_eq!((t["status"].as_str(), t["first_responder_id"].as_i64()), (Some("open"), Some(s.agent_id)));
    assert!(t["first_response_at"].is_string());

    // Waiting for the customer; the customer's reply reopens it.
    let (_, t) = app.post(&path("/status"), &s.agent, json!({"status": "pending_customer"})).await;
    assert_eq!(t["status"], "pending_customer");
    let (_, t) = app.post(&path("/customer-replies"), &s.agent, json!({"body": "单号是 SF1234567890"})).await;
    assert_eq!(t["status"], "open", "{t}");

    // Transfer needs a reason and keeps the first responder.
    let (st, e) =
        app.post(&path("/transfer"), &s.agent, json!({"user_id": s.senior_id, "reason": " "})).await;
    assert_eq!((st, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("reason")));
    let (st, t) = app
        .post(
            &path("/transfer"),
            &s.agent,
            json!({"user_id": s.senior_id, "team_id": s.team, "reason": "需要资深客服跟进"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{t}");
    assert_eq!(
        (t["assignee_id"].as_i64(), t["first_responder_id"].as_i64()),
        (Some(s.senior_id), Some(s.agent_id))
    );
    // 我首问的: the first responder still sees it in their view.
    let (_, mine) = app.get("/api/v1/tickets?view=first_responded", &s.agent).await;
    assert!(mine["items"].as_array().unwrap().iter().any(|x| x["id"] == id));
    let (_, assigned) = app.get("/api/v1/tickets?view=mine", &s.senior).await;
    assert!(assigned["items"].as_array().unwrap().iter().any(|x| x["id"] == id));

    // Whoever must act is notified: the new holder of a transfer, the supervisors of an L2 escalation.
    let (_, notes) = app.get("/api/v1/notifications?unread=true", &s.senior).await;
    let n = &notes["items"][0];
    assert!(
        n["body"].as_str().unwrap().contains("转派给你")
            && n["body"].as_str().unwrap().contains("需要资深客服跟进"),
        "{notes}"
    );
    let (st, _) = app.post(&format!("/api/v1/notifications/{}/read", n["id"]), &s.senior, json!({})).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (_, unread) = app.get("/api/v1/notifications?unread=true", &s.senior).await;
    assert_eq!(unread["items"].as_array().unwrap().len(), 0);
    let (st, _) = app.post(&format!("/api/v1/notifications/{}/read", n["id"]), &s.agent, json!({})).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "someone else's notification");
    // Escalate to L3; beyond is refused.
    let (_, t) =
        app.post(&path("/escalate"), &s.senior, json!({"tier": "l2", "reason": "物流异常需主管协调"})).await;
    assert_eq!(t["tier"], "l2");
    let (_, t) = app
        .post(&path("/escalate"), &s.senior, json!({"tier": "l3", "reason": "涉及赔付，需经理决定"}))
        .await;
    assert_eq!(t["tier"], "l3");
    let (_, sup_notes) = app.get("/api/v1/notifications", &s.supervisor).await;
    assert!(
        sup_notes["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["body"].as_str().unwrap().contains("物流异常需主管协调")),
        "{sup_notes}"
    );
    let (st, _) = app.post(&path("/escalate"), &s.senior, json!({"tier": "l3", "reason": "again"})).await;
    assert_eq!(st, StatusCode::CONFLICT);

    // Department task round trip: on hold until the logistics department answers.
    let (_, d) =
        app.post("/api/v1/departments", &s.admin, json!({"code": "logistics", "name": "物流部"})).await;
    let (st, t) = app
        .post(&path("/department-tasks"), &s.senior, json!({"department_id": d["id"], "request": "请核实运单 SF1234567890", "due_at": "2030-01-01T00:00:00Z"}))
        .await;
    assert_eq!(st, StatusCode::OK, "{t}");
    assert_eq!(t["status"], "on_hold");
    let (_, inbox) =
        app.get(&format!("/api/v1/department-tasks?department_id={}", d["id"]), &s.supervisor).await;
    assert_eq!(inbox["items"][0]["request"], "请核实运单 SF1234567890");
    let (st, _) = app.post(&path("/department-tasks/1/answer"), &s.agent, json!({"answer": "x"})).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "an agent outside the department cannot answer");
    let (st, t) = app
        .post(
            &path("/department-tasks/1/answer"),
            &s.supervisor,
            json!({"answer": "快递在中转站滞留，今日派送"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{t}");
    assert_eq!(t["status"], "open");

    // Resolve, reopen, close.
    let (_, t) = app.post(&path("/status"), &s.senior, json!({"status": "resolved"})).await;
    assert_eq!(t["status"], "resolved");
    assert!(t["resolved_at"].is_string());
    let (_, t) = app.post(&path("/status"), &s.senior, json!({"status": "open"})).await;
    assert_eq!(t["status"], "open");
    let (st, e) = app.post(&path("/status"), &s.senior, json!({"status": "closed"})).await;
    assert_eq!(st, StatusCode::CONFLICT, "close only from resolved: {e}");
    app.post(&path("/status"), &s.senior, json!({"status": "resolved"})).await;
    let (_, t) = app.post(&path("/status"), &s.senior, json!({"status": "closed"})).await;
    assert_eq!(t["status"], "closed");

    // An HTML body (as email brings) is kept as received and displayed sanitised.
    app.post(
        &path("/notes"),
        &s.senior,
        json!({"body": "<p>邮件原文</p><script>alert(1)</script><img src=x onerror=alert(2)>"}),
    )
    .await;
    // Internal notes are in the ticket, and the timeline has every step with its actor.
    app.post(&path("/notes"), &s.senior, json!({"body": "客户情绪稳定，已补偿优惠券"})).await;
    let (_, detail) = app.get(&path(""), &s.agent).await;
    let kinds: Vec<&str> =
        detail["messages"].as_array().unwrap().iter().map(|m| m["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["customer", "reply", "customer", "note", "note"], "{detail}");
    let html_note = &detail["messages"][3];
    assert!(html_note["body"].as_str().unwrap().contains("<script>"), "stored as received");
    let shown = html_note["body_html"].as_str().unwrap();
    assert!(
        shown.contains("<p>邮件原文</p>") && !shown.contains("script") && !shown.contains("onerror"),
        "{shown}"
    );
    assert_eq!(detail["messages"][1]["body_html"], "您好，我马上为您查询物流。");
    let (_, events) = app.get(&path("/events"), &s.agent).await;
    let names: Vec<&str> =
        events.as_array().unwrap().iter().map(|e| e["kind"]["type"].as_str().unwrap()).collect();
    for expected in [
        "created",
        "staff_replied",
        "first_responder_set",
        "customer_replied",
        "transferred",
        "escalated",
        "department_task_opened",
        "department_task_answered",
        "status_changed",
        "note_added",
    ] {
        assert!(names.contains(&expected), "{expected} missing from {names:?}");
    }
    let transfer = events.as_array().unwrap().iter().find(|e| e["kind"]["type"] == "transferred").unwrap();
    assert_eq!(transfer["kind"]["reason"], "需要资深客服跟进");
    assert_eq!(transfer["actor"]["user_id"], s.agent_id);
    // Every change is audited.
    let (_, log) =
        app.get(&format!("/api/v1/audit?object_type=ticket&object_id={id}&limit=200"), &s.admin).await;
    assert!(log["items"].as_array().unwrap().len() >= 12, "{log}");
    assert!(kefu_store::verify_audit(app.store.as_ref()).await.unwrap().is_ok());
}
both_backends!(full_life_of_a_ticket);

async fn merge_without_loss_and_concurrent_edits(b: Backend) {
    let s = shop(b).await;
    let app = &s.app;
    let a = open_ticket(&s, "退款申请", "我要退款，商品有质量问题").await;
    let dup = open_ticket(&s, "退款", "重复提交：质量问题退款").await;
    let (aid, did) = (a["id"].as_i64().unwrap(), dup["id"].as_i64().unwrap());
    app.post(&format!("/api/v1/tickets/{did}/replies"), &s.agent, json!({"body": "已收到您的退款申请"}))
        .await;
    let (st, t) =
        app.post(&format!("/api/v1/tickets/{did}/merge"), &s.agent, json!({"into_ticket_id": aid})).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "agents do not merge: {t}");
    let (st, t) = app
        .post(&format!("/api/v1/tickets/{did}/merge"), &s.supervisor, json!({"into_ticket_id": aid}))
        .await;
    assert_eq!(st, StatusCode::OK, "{t}");
    let (_, survivor) = app.get(&format!("/api/v1/tickets/{aid}"), &s.agent).await;
    let bodies: Vec<&str> =
        survivor["messages"].as_array().unwrap().iter().map(|m| m["body"].as_str().unwrap()).collect();
    for body in ["我要退款，商品有质量问题", "重复提交：质量问题退款", "已收到您的退款申请"]
    {
        assert!(bodies.contains(&body), "{body} lost in merge: {bodies:?}");
    }
    let (_, merged) = app.get(&format!("/api/v1/tickets/{did}"), &s.agent).await;
    assert_eq!(merged["ticket"]["status"], "closed");
    assert_eq!(merged["ticket"]["merged_into"], a["number"]);
    let (st, _) = app.post(&format!("/api/v1/tickets/{did}/replies"), &s.agent, json!({"body": "x"})).await;
    assert_eq!(st, StatusCode::CONFLICT, "a merged ticket is read-only");
    // The merged ticket's own history is still there.
    let (_, ev) = app.get(&format!("/api/v1/tickets/{did}/events"), &s.agent).await;
    assert!(ev.as_array().unwrap().iter().any(|e| e["kind"]["type"] == "merged"));

    // A stale version is refused with 409 naming the current version.
    let (_, cur) = app.get(&format!("/api/v1/tickets/{aid}"), &s.agent).await;
    let v = cur["ticket"]["version"].as_i64().unwrap();
    let (st, _) = app
        .post(
            &format!("/api/v1/tickets/{aid}/notes"),
            &s.agent,
            json!({"body": "第一条", "expected_version": v}),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let (st, e) = app
        .post(
            &format!("/api/v1/tickets/{aid}/notes"),
            &s.senior,
            json!({"body": "基于旧版本", "expected_version": v}),
        )
        .await;
    assert_eq!((st, e["error"]["field"].as_str()), (StatusCode::CONFLICT, Some("version")));
    // Concurrent writers without a version: every note lands.
    let mut handles = Vec::new();
    for i in 0..12 {
        let (base, client, token) = (
            app.base.clone(),
            app.client.clone(),
            if i % 2 == 0 { s.agent.clone() } else { s.senior.clone() },
        );
        handles.push(tokio::spawn(async move {
            client
                .post(format!("{base}/api/v1/tickets/{aid}/notes"))
                .bearer_auth(token)
                .json(&json!({"body": format!("并发备注 {i}")}))
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    for h in handles {
        assert_eq!(h.await.unwrap(), StatusCode::OK);
    }
    let (_, after) = app.get(&format!("/api/v1/tickets/{aid}"), &s.agent).await;
    let notes = after["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["body"].as_str().unwrap().starts_with("并发备注"))
        .count();
    assert_eq!(notes, 12);
}
both_backends!(merge_without_loss_and_concurrent_edits);

async fn tenant_isolation_and_attachments(b: Backend) {
    let s = shop(b).await;
    let app = &s.app;
    let t = open_ticket(&s, "发票问题", "请开具发票").await;
    let id = t["id"].as_i64().unwrap();
    // A PDF with a Chinese name is accepted; an executable posing as an image is refused.
    let pdf = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n".to_vec();
    let up = |name: &str, bytes: Vec<u8>, token: &str| {
        app.client
            .post(format!("{}/api/v1/tickets/{id}/attachments", app.base))
            .query(&[("file_name", name)])
            .bearer_auth(token)
            .header("content-type", "application/octet-stream")
            .body(bytes)
            .send()
    };
    let r = up("发票 2026年11月.pdf", pdf.clone(), &s.agent).await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let att: Value = r.json().await.unwrap();
    assert_eq!(att["file_name"], "发票 2026年11月.pdf");
    assert_eq!(att["mime"], "application/pdf");
    let mut elf = b"\x7fELF\x02\x01\x01\x00".to_vec();
    elf.extend(vec![0u8; 64]);
    let r = up("photo.jpg", elf, &s.agent).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"]["field"], "file");
    let (_, detail) = app.get(&format!("/api/v1/tickets/{id}"), &s.agent).await;
    assert_eq!(
        detail["attachments"].as_array().unwrap().len(),
        1,
        "the refused file left the ticket unchanged"
    );
    let dl = app
        .client
        .get(format!("{}/api/v1/attachments/{}", app.base, att["id"]))
        .bearer_auth(&s.agent)
        .send()
        .await
        .unwrap();
    assert_eq!(dl.status(), StatusCode::OK);
    assert!(dl.headers()["content-disposition"].to_str().unwrap().contains("filename*=UTF-8''"));
    assert_eq!(dl.bytes().await.unwrap().to_vec(), pdf);

    // Another merchant's staff see none of it: not the ticket, its events, its attachment, nor the customer.
    let (_, m2) = app.post("/api/v1/merchants", &s.admin, json!({"code": "shop-b", "name": "乙店"})).await;
    app.user("b.agent", Role::Agent, m2["id"].as_i64()).await;
    let other = app.login("b.agent").await;
    for path in [
        format!("/api/v1/tickets/{id}"),
        format!("/api/v1/tickets/{id}/events"),
        format!("/api/v1/attachments/{}", att["id"]),
        format!("/api/v1/customers/{}", s.customer),
    ] {
        let (st, e) = app.get(&path, &other).await;
        assert_eq!((st, error_code(&e)), (StatusCode::NOT_FOUND, "not_found".to_string()), "{path}");
    }
    let (st, _) = app.post(&format!("/api/v1/tickets/{id}/replies"), &other, json!({"body": "x"})).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (_, list) = app.get("/api/v1/tickets", &other).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    let (_, found) = app.get("/api/v1/tickets?q=发票", &other).await;
    assert_eq!(found["items"].as_array().unwrap().len(), 0, "search respects the tenant too");
    let (st, _) = app
        .post("/api/v1/tickets", &other, json!({"channel": "web", "subject": "x", "customer_id": s.customer}))
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "cannot open a ticket for another merchant's customer");
}
both_backends!(tenant_isolation_and_attachments);

async fn chinese_search_and_filters(b: Backend) {
    let s = shop(b).await;
    let app = &s.app;
    let t1 = open_ticket(&s, "申请退款", "衣服尺码不对，申请退款").await;
    let t2 = open_ticket(&s, "物流咨询", "快递什么时候到").await;
    let t3 = open_ticket(&s, "退款进度", "退款什么时候到账？").await;
    let (st, hits) = app.get("/api/v1/tickets?q=退款", &s.agent).await;
    assert_eq!(st, StatusCode::OK, "{hits}");
    let ids: Vec<i64> = hits["items"].as_array().unwrap().iter().map(|h| h["id"].as_i64().unwrap()).collect();
    assert!(ids.contains(&t1["id"].as_i64().unwrap()) && ids.contains(&t3["id"].as_i64().unwrap()), "{hits}");
    assert!(!ids.contains(&t2["id"].as_i64().unwrap()));
    let first = &hits["items"][0];
    assert!(first["snippet"].as_str().unwrap().contains("退款"), "{first}");
    let (_, by_number) =
        app.get(&format!("/api/v1/tickets?number={}", t2["number"].as_str().unwrap()), &s.agent).await;
    assert_eq!(by_number["items"][0]["id"], t2["id"]);
    let (_, hits) = app.get("/api/v1/tickets?q=快递", &s.agent).await;
    assert_eq!(hits["items"].as_array().unwrap().len(), 1);
    // Injection attempts in the query are just text.
    for q in ["\"", "退款\" OR \"", "a:b & !c | (d)", "NEAR(退款)", "*"] {
        let (st, _) =
            app.call(Method::GET, &format!("/api/v1/tickets?q={}", urlencode(q)), Some(&s.agent), None).await;
        assert_eq!(st, StatusCode::OK, "{q}");
    }
    // Filters and views.
    app.call(
        Method::PATCH,
        &format!("/api/v1/tickets/{}", t2["id"]),
        Some(&s.agent),
        Some(json!({"tags": ["加急"], "priority": "urgent", "order_numbers": ["20261122000123"]})),
    )
    .await;
    let (_, by_tag) = app.get("/api/v1/tickets?tag=加急", &s.agent).await;
    assert_eq!(by_tag["items"].as_array().unwrap().len(), 1);
    let (_, by_order) = app.get("/api/v1/tickets?order_no=20261122000123&priority=urgent", &s.agent).await;
    assert_eq!(by_order["items"][0]["id"], t2["id"]);
    let (_, by_status) = app.get("/api/v1/tickets?status=new,open&limit=2", &s.agent).await;
    assert_eq!(by_status["items"].as_array().unwrap().len(), 2);
    assert!(by_status["next_cursor"].is_string());
    let (st, e) = app.get("/api/v1/tickets?status=flying", &s.agent).await;
    assert_eq!((st, e["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("status")));
    let (st, v) =
        app.post("/api/v1/views", &s.agent, json!({"name": "加急工单", "filters": {"tag": "加急"}})).await;
    assert_eq!(st, StatusCode::CREATED, "{v}");
    let (_, via_view) = app.get(&format!("/api/v1/tickets?view={}", v["id"]), &s.agent).await;
    assert_eq!(via_view["items"].as_array().unwrap().len(), 1);
    let (_, cats) = app.get("/api/v1/categories", &s.agent).await;
    assert!(cats.as_array().unwrap().iter().any(|c| c["name"] == "售后"));
    // Bulk: per-ticket results.
    let (_, res) = app
        .post(
            "/api/v1/tickets/bulk",
            &s.supervisor,
            json!({"ticket_ids": [t1["id"], t3["id"], 999999], "action": "tag", "add": ["退款"]}),
        )
        .await;
    let oks: Vec<bool> = res.as_array().unwrap().iter().map(|r| r["ok"].as_bool().unwrap()).collect();
    assert_eq!(oks, [true, true, false], "{res}");
}
both_backends!(chinese_search_and_filters);

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

async fn quick_replies_are_personal_or_shared_and_fill_their_variables(backend: crate::common::Backend) {
    use kefu_core::org::Role;
    use reqwest::StatusCode;
    use serde_json::json;
    let app = crate::common::TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let (_, m) = app.post("/api/v1/merchants", &admin, json!({"code": "qr-shop", "name": "快捷小店"})).await;
    let (_, o) = app.post("/api/v1/merchants", &admin, json!({"code": "qr-other", "name": "别家"})).await;
    let merchant = m["id"].as_i64().unwrap();
    app.user("qr.agent", Role::Agent, Some(merchant)).await;
    app.user("qr.agent2", Role::Agent, Some(merchant)).await;
    app.user("qr.sup", Role::Supervisor, Some(merchant)).await;
    app.user("qr.other", Role::Agent, Some(o["id"].as_i64().unwrap())).await;
    let agent = app.login("qr.agent").await;
    let agent2 = app.login("qr.agent2").await;
    let sup = app.login("qr.sup").await;
    let other = app.login("qr.other").await;

    // A supervisor shares one with the merchant; an agent may not share, but keeps personal ones.
    let body = json!({"title": "退款进度", "body": "{客户称呼}您好，我是{客服昵称}，订单{订单号}（工单{工单号}）的退款已提交。", "shortcut": "/退款", "shared": true});
    let (s, shared) = app.post("/api/v1/quick-replies", &sup, body.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{shared}");
    let (s, b) = app.post("/api/v1/quick-replies", &agent, body).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    let (s, mine) =
        app.post("/api/v1/quick-replies", &agent, json!({"title": "我的问候", "body": "亲，在的～"})).await;
    assert_eq!(s, StatusCode::CREATED, "{mine}");
    let (s, b) = app
        .post("/api/v1/quick-replies", &agent, json!({"title": "坏快捷键", "body": "x", "shortcut": "退款"}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["field"], "shortcut");

    // Who sees what: the agent both; a colleague only the shared one; another merchant neither.
    let titles = |v: &serde_json::Value| -> Vec<String> {
        v.as_array().unwrap().iter().map(|x| x["title"].as_str().unwrap().to_string()).collect()
    };
    let (_, l) = app.get("/api/v1/quick-replies", &agent).await;
    assert_eq!(titles(&l), vec!["我的问候", "退款进度"]);
    let (_, l) = app.get("/api/v1/quick-replies", &agent2).await;
    assert_eq!(titles(&l), vec!["退款进度"]);
    let (_, l) = app.get("/api/v1/quick-replies", &other).await;
    assert!(titles(&l).is_empty(), "{l}");
    let (_, l) = app.get(&format!("/api/v1/quick-replies?q={}", "%E9%80%80%E6%AC%BE"), &agent).await;
    assert_eq!(titles(&l), vec!["退款进度"], "search 退款");
    let mine_id = mine["id"].as_i64().unwrap();
    let (s, _) = app
        .call(reqwest::Method::DELETE, &format!("/api/v1/quick-replies/{mine_id}"), Some(&agent2), None)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "someone else's personal reply");

    // Rendered for a ticket: the customer's name, the order, the agent, the ticket number.
    let (_, c) = app
        .post("/api/v1/customers", &admin, json!({"display_name": "张女士", "merchant_id": merchant}))
        .await;
    let (s, t) = app
        .post(
            "/api/v1/tickets",
            &agent,
            json!({"customer_id": c["id"], "channel": "web", "subject": "退款", "order_numbers": ["DD2026112300017"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let (s, r) = app
        .get(&format!("/api/v1/quick-replies/{}/render?ticket_id={}", shared["id"], t["id"]), &agent)
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(
        r["body"],
        format!(
            "张女士您好，我是qr.agent，订单DD2026112300017（工单{}）的退款已提交。",
            t["number"].as_str().unwrap()
        )
    );
    let (s, _) = app.get(&format!("/api/v1/quick-replies/{}/render", shared["id"]), &other).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}
crate::both_backends!(quick_replies_are_personal_or_shared_and_fill_their_variables);
