//! Satisfaction surveys (满意度评价) and follow-up visits (回访) through the API, on both backends: a rating
//! by signed link stored once and counted for the agent of the last human turn; a dissatisfied rating
//! reopening the ticket at L2 with a visit in the supervisors' queue; completing the visit with the
//! customer's renewed score in the timeline; a ticket resolved again rated again; forged, moved and
//! expired links; tenant isolation; the report; bad input naming the field.

use crate::both_backends;
use crate::common::{error_code, Backend, TestApp};
use crate::webhooks::two_merchants;
use kefu_core::org::Role;
use kefu_server::signed_link::{sign, Purpose};
use reqwest::StatusCode;
use serde_json::{json, Value};

struct Desk {
    app: TestApp,
    a1: String,
    a2: String,
    a1_id: i64,
    a2_id: i64,
    sup: String,
    shop_admin: String,
    other: String,
    merchant: i64,
}

async fn desk(backend: Backend) -> Desk {
    let app = TestApp::spawn(backend).await;
    let (_admin, m, admins) = two_merchants(&app).await;
    let a1_id = app.user("a.one", Role::Agent, Some(m[0])).await;
    let a2_id = app.user("a.two", Role::Agent, Some(m[0])).await;
    app.user("a.sup", Role::Supervisor, Some(m[0])).await;
    let (a1, a2, sup) = (app.login("a.one").await, app.login("a.two").await, app.login("a.sup").await);
    let [shop_admin, other] = admins;
    Desk { app, a1, a2, a1_id, a2_id, sup, shop_admin, other, merchant: m[0] }
}

async fn ok(app: &TestApp, path: &str, token: &str, body: Value) -> Value {
    let (s, b) = app.post(path, token, body).await;
    assert!(s.is_success(), "{path}: {s} {b}");
    b
}

/// A ticket of a new customer, taken and answered by agent 1.
async fn ticket(d: &Desk, subject: &str) -> i64 {
    let c = ok(&d.app, "/api/v1/customers", &d.a1, json!({"display_name": "小李"})).await;
    let t = ok(
        &d.app,
        "/api/v1/tickets",
        &d.a1,
        json!({"customer_id": c["id"], "channel": "web", "subject": subject, "body": "快递三天没动了"}),
    )
    .await;
    let id = t["id"].as_i64().unwrap();
    ok(&d.app, &format!("/api/v1/tickets/{id}/take"), &d.a1, json!({})).await;
    ok(&d.app, &format!("/api/v1/tickets/{id}/replies"), &d.a1, json!({"body": "您好，我帮您查一下"})).await;
    id
}

async fn resolve(d: &Desk, token: &str, id: i64) {
    ok(&d.app, &format!("/api/v1/tickets/{id}/status"), token, json!({"status": "resolved"})).await;
}

async fn survey_token(d: &Desk, id: i64) -> String {
    let link = ok(&d.app, &format!("/api/v1/tickets/{id}/survey-link"), &d.a1, json!({})).await;
    let url = link["url"].as_str().unwrap();
    assert!(url.contains("/survey?token=krt_"), "{url}");
    url.split("token=").nth(1).unwrap().to_string()
}

async fn page(app: &TestApp, path: &str) -> (StatusCode, String) {
    let r = app.client.get(format!("{}{path}", app.base)).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn rate(app: &TestApp, body: Value) -> (StatusCode, Value) {
    let r = app.client.post(format!("{}/survey", app.base)).json(&body).send().await.unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

async fn events(d: &Desk, id: i64) -> Vec<Value> {
    let (s, e) = d.app.get(&format!("/api/v1/tickets/{id}/events"), &d.a1).await;
    assert_eq!(s, StatusCode::OK, "{e}");
    e.as_array().unwrap().clone()
}

fn of_kind<'a>(ev: &'a [Value], kind: &str) -> Vec<&'a Value> {
    ev.iter().filter(|e| e["kind"]["type"] == kind).collect()
}

async fn low_rating_reopens_and_the_visit_closes_the_loop(backend: Backend) {
    let d = desk(backend).await;
    let id = ticket(&d, "物流不更新").await;
    // A survey link only for a resolved ticket.
    let (s, b) = d.app.post(&format!("/api/v1/tickets/{id}/survey-link"), &d.a1, json!({})).await;
    assert_eq!((s, error_code(&b).as_str()), (StatusCode::CONFLICT, "conflict"), "{b}");
    // Agent 1 hands over to agent 2, who answers last; agent 2 passes it back without replying.
    ok(
        &d.app,
        &format!("/api/v1/tickets/{id}/transfer"),
        &d.a1,
        json!({"user_id": d.a2_id, "reason": "物流专员跟进"}),
    )
    .await;
    ok(&d.app, &format!("/api/v1/tickets/{id}/replies"), &d.a2, json!({"body": "已催促快递，明天更新"}))
        .await;
    ok(
        &d.app,
        &format!("/api/v1/tickets/{id}/transfer"),
        &d.a2,
        json!({"user_id": d.a1_id, "reason": "交回"}),
    )
    .await;
    resolve(&d, &d.a1, id).await;
    let token = survey_token(&d, id).await;

    let (s, html) = page(&d.app, &format!("/survey?token={token}")).await;
    assert_eq!(s, StatusCode::OK, "{html}");
    for label in ["非常满意", "满意", "一般", "不满意", "非常不满意", "回复太慢"] {
        assert!(html.contains(label), "{label}: {html}");
    }
    let (_, en) = page(&d.app, &format!("/survey?token={token}&lang=en")).await;
    assert!(en.contains("Very dissatisfied") && en.contains("lang=\"en\""), "{en}");

    // Bad input names the field, and nothing is stored.
    let (s, b) = rate(&d.app, json!({"token": token, "score": 9})).await;
    assert_eq!((s, b["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("score")), "{b}");
    let (s, b) = rate(&d.app, json!({"token": token, "score": 2, "reasons": ["solved"]})).await;
    assert_eq!(
        (s, b["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("reasons[0]")),
        "{b}"
    );
    let (s, b) = rate(&d.app, json!({"token": token, "score": 2, "comment": "慢".repeat(501)})).await;
    assert_eq!((s, b["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("comment")), "{b}");
    assert!(of_kind(&events(&d, id).await, "rated").is_empty());

    // 不满意: stored once, for agent 2.
    let (s, r) =
        rate(&d.app, json!({"token": token, "score": 2, "reasons": ["slow_reply"], "comment": "等了很久"}))
            .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!((r["label"].as_str(), r["follow_up"].as_bool()), (Some("不满意"), Some(true)));
    let (s, b) = rate(&d.app, json!({"token": token, "score": 5})).await;
    assert_eq!(s, StatusCode::CONFLICT, "a second submit of the same link is refused: {b}");
    let (s, html) = page(&d.app, &format!("/survey?token={token}")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("survey-already") || html.contains("正在处理"), "{html}");

    let ev = events(&d, id).await;
    let rated = of_kind(&ev, "rated");
    assert_eq!(rated.len(), 1);
    assert_eq!(
        rated[0]["kind"]["agent_id"],
        json!(d.a2_id),
        "the last human replier, not the transferring one"
    );
    assert_eq!(rated[0]["kind"]["score"], json!(2));
    // Handled again by the supervisors: reopened, at L2.
    let (_, t) = d.app.get(&format!("/api/v1/tickets/{id}"), &d.a1).await;
    assert_eq!(
        (t["ticket"]["status"].as_str(), t["ticket"]["tier"].as_str()),
        (Some("open"), Some("l2")),
        "{t}"
    );
    assert!(of_kind(&ev, "escalated")
        .iter()
        .any(|e| e["kind"]["reason"].as_str().unwrap().contains("不满意")));

    // The visit is in the supervisors' queue, due on a later day.
    let (s, mine) = d.app.get("/api/v1/follow-ups?mine=true&status=pending", &d.sup).await;
    assert_eq!(s, StatusCode::OK, "{mine}");
    let v = mine.as_array().unwrap().iter().find(|v| v["ticket_id"] == json!(id)).expect("visit").clone();
    assert_eq!((v["reason"].as_str(), v["assignee_id"].as_i64()), (Some("low_rating"), None));
    let script = v["script"].as_str().unwrap();
    assert!(script.contains("满意") && script.contains(v["ticket_number"].as_str().unwrap()), "{script}");
    assert!(
        script.contains("店铺0") && !script.contains("{工单号}"),
        "the shop and ticket are filled in: {script}"
    );
    assert!(v["source"].as_str().unwrap().starts_with("rating:"));
    let vid = v["id"].as_i64().unwrap();
    let (_, agents) = d.app.get("/api/v1/follow-ups?mine=true", &d.a1).await;
    assert!(agents.as_array().unwrap().is_empty(), "an agent's own list has no supervisors' queue: {agents}");

    // Another merchant sees nothing of it.
    let (s, _) = d.app.get(&format!("/api/v1/follow-ups/{vid}"), &d.other).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, list) = d.app.get("/api/v1/follow-ups", &d.other).await;
    assert!(list.as_array().unwrap().is_empty(), "{list}");
    let (s, _) = d
        .app
        .post(&format!("/api/v1/follow-ups/{vid}/complete"), &d.other, json!({"outcome": "satisfied"}))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Completing: an agent may not take the supervisors' task; bad outcomes name the field.
    let (s, _) = d
        .app
        .post(&format!("/api/v1/follow-ups/{vid}/complete"), &d.a1, json!({"outcome": "satisfied"}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    for (body, field) in [
        (json!({"outcome": "happy"}), "outcome"),
        (json!({"outcome": "satisfied", "renewed_score": 2}), "renewed_score"),
        (json!({"outcome": "unreachable"}), "note"),
    ] {
        let (s, b) = d.app.post(&format!("/api/v1/follow-ups/{vid}/complete"), &d.sup, body).await;
        assert_eq!((s, b["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{b}");
    }
    let done = ok(
        &d.app,
        &format!("/api/v1/follow-ups/{vid}/complete"),
        &d.sup,
        json!({"outcome": "satisfied", "renewed_score": 4, "note": "已补发优惠券，客户表示满意"}),
    )
    .await;
    assert_eq!((done["status"].as_str(), done["renewed_score"].as_i64()), (Some("completed"), Some(4)));
    let (s, _) = d
        .app
        .post(&format!("/api/v1/follow-ups/{vid}/complete"), &d.sup, json!({"outcome": "satisfied"}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let ev = events(&d, id).await;
    let visits = of_kind(&ev, "follow_up_recorded");
    assert_eq!(visits.len(), 2, "scheduled and completed");
    assert!(visits[1]["kind"]["summary"].as_str().unwrap().contains("重新评价 4 分"), "{:?}", visits[1]);

    // Resolved again, the ticket can be rated again (the same link still works, for the new resolution).
    resolve(&d, &d.sup, id).await;
    let (s, r) = rate(&d.app, json!({"token": token, "score": 5, "reasons": ["solved"]})).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["follow_up"], json!(false));
    let (_, t) = d.app.get(&format!("/api/v1/tickets/{id}"), &d.a1).await;
    assert_eq!(t["ticket"]["status"].as_str(), Some("resolved"), "a good rating leaves it resolved");
}
both_backends!(low_rating_reopens_and_the_visit_closes_the_loop);

async fn forged_moved_and_expired_links(backend: Backend) {
    let d = desk(backend).await;
    let id = ticket(&d, "发票").await;
    resolve(&d, &d.a1, id).await;
    let token = survey_token(&d, id).await;
    let mut forged = token.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == '0' { '1' } else { '0' });
    let moved = token.replacen(&format!("krt_{id}_"), &format!("krt_{}_", id + 1), 1);
    let status_link = token.replacen("krt_", "kst_", 1);
    for bad in [forged, moved, status_link, "nonsense".to_string()] {
        let (s, html) = page(&d.app, &format!("/chat/rate?token={bad}")).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{bad}");
        assert!(html.contains("链接无效") && !html.contains("发票"), "{html}");
        let (s, b) = rate(&d.app, json!({"token": bad, "score": 5})).await;
        assert_eq!((s, b["error"]["field"].as_str()), (StatusCode::NOT_FOUND, Some("token")), "{b}");
    }
    let old = sign(&d.app.state(), Purpose::Rating, id, 1_000).await.unwrap();
    let (s, html) = page(&d.app, &format!("/chat/rate?token={old}")).await;
    assert_eq!(s, StatusCode::GONE);
    assert!(html.contains("已过期"));
    let (s, _) = rate(&d.app, json!({"token": old, "score": 5})).await;
    assert_eq!(s, StatusCode::GONE);
    // A form post from the chat link: the thank-you page.
    let fields = [("token", token.as_str()), ("score", "4"), ("reasons", "friendly"), ("reasons", "solved")];
    let r = d.app.client.post(format!("{}/chat/rate", d.app.base)).form(&fields).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("survey-thanks") && html.contains("满意"), "{html}");
    let ev = events(&d, id).await;
    assert_eq!(of_kind(&ev, "rated").len(), 1);
}
both_backends!(forged_moved_and_expired_links);

async fn report_and_manual_visits(backend: Backend) {
    let d = desk(backend).await;
    // Agent 1: 5 and 4; agent 2 answers last on a third ticket rated 1.
    let mut tickets = Vec::new();
    for (subject, score, last) in [("一", 5, 1), ("二", 4, 1), ("三", 1, 2)] {
        let id = ticket(&d, subject).await;
        if last == 2 {
            ok(
                &d.app,
                &format!("/api/v1/tickets/{id}/transfer"),
                &d.a1,
                json!({"user_id": d.a2_id, "reason": "转交"}),
            )
            .await;
            ok(&d.app, &format!("/api/v1/tickets/{id}/replies"), &d.a2, json!({"body": "处理好了"})).await;
            resolve(&d, &d.a2, id).await;
        } else {
            resolve(&d, &d.a1, id).await;
        }
        let token = survey_token(&d, id).await;
        let (s, b) = rate(&d.app, json!({"token": token, "score": score})).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        tickets.push(id);
    }
    let (s, r) = d.app.get("/api/v1/reports/satisfaction", &d.shop_admin).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(
        (r["count"].as_i64(), r["satisfied"].as_i64(), r["dissatisfied"].as_i64()),
        (Some(3), Some(2), Some(1))
    );
    assert_eq!(r["average"].as_f64(), Some(3.33));
    assert_eq!(r["satisfied_share"].as_f64(), Some(0.6667));
    assert_eq!(r["by_score"], json!([1, 0, 0, 1, 1]));
    let agents = r["agents"].as_array().unwrap();
    let a1 = agents.iter().find(|a| a["agent_id"] == json!(d.a1_id)).unwrap();
    let a2 = agents.iter().find(|a| a["agent_id"] == json!(d.a2_id)).unwrap();
    assert_eq!((a1["count"].as_i64(), a1["average"].as_f64()), (Some(2), Some(4.5)));
    assert_eq!((a2["count"].as_i64(), a2["dissatisfied"].as_i64()), (Some(1), Some(1)));
    let (_, other) = d.app.get("/api/v1/reports/satisfaction", &d.other).await;
    assert_eq!(other["count"].as_i64(), Some(0), "another merchant's report is its own: {other}");
    let (s, b) = d.app.get("/api/v1/reports/satisfaction?from=yesterday", &d.shop_admin).await;
    assert_eq!((s, b["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("from")), "{b}");
    let (s, _) = d.app.get("/api/v1/reports/satisfaction", &d.a1).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "agents do not read reports");

    // A visit scheduled by hand, for a named agent; twice makes one task.
    let body = json!({"ticket_id": tickets[0], "reason": "complaint", "assignee_id": d.a1_id});
    let v = ok(&d.app, "/api/v1/follow-ups", &d.sup, body.clone()).await;
    let again = ok(&d.app, "/api/v1/follow-ups", &d.sup, body).await;
    assert_eq!(v["id"], again["id"]);
    assert!(v["script"].as_str().unwrap().contains("处理方案"));
    let (_, mine) = d.app.get("/api/v1/follow-ups?mine=true", &d.a1).await;
    assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
    for (body, field) in [
        (json!({"ticket_id": tickets[0], "reason": "boredom"}), "reason"),
        (json!({"ticket_id": tickets[0], "reason": "other", "due_at": "2020-01-01T00:00:00Z"}), "due_at"),
        (json!({"ticket_id": tickets[0], "reason": "other", "assignee_id": 999999}), "assignee_id"),
    ] {
        let (s, b) = d.app.post("/api/v1/follow-ups", &d.sup, body).await;
        assert_eq!((s, b["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(field)), "{b}");
    }
    let (s, _) =
        d.app.post("/api/v1/follow-ups", &d.other, json!({"ticket_id": tickets[0], "reason": "other"})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "another merchant's ticket");
    let (s, b) = d.app.get("/api/v1/follow-ups?status=done", &d.sup).await;
    assert_eq!((s, b["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("status")));
    // The agent completes their own: unreachable, with a note.
    let done = ok(
        &d.app,
        &format!("/api/v1/follow-ups/{}/complete", v["id"]),
        &d.a1,
        json!({"outcome": "unreachable", "note": "14:00、16:00 两次未接"}),
    )
    .await;
    assert_eq!(done["outcome_label"].as_str(), Some("无法联系"));
}
both_backends!(report_and_manual_visits);

/// A resolved email ticket gets the invitation to rate in its thread (an `email.send` job carrying the
/// absolute survey link); a web ticket does not, and the feed replayed sends nothing twice.
async fn email_tickets_are_invited_to_rate(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.public_url = "https://kefu.example".into()).await;
    let (_admin, m, admins) = two_merchants(&app).await;
    app.user("a.one", Role::Agent, Some(m[0])).await;
    let agent = app.login("a.one").await;
    let shop_admin = &admins[0];
    let mut ids = Vec::new();
    for channel in ["email", "web"] {
        let c = ok(&app, "/api/v1/customers", &agent, json!({"display_name": "小周"})).await;
        let t = ok(
            &app,
            "/api/v1/tickets",
            &agent,
            json!({"customer_id": c["id"], "channel": channel, "subject": "发票抬头", "body": "请帮我改发票抬头"}),
        )
        .await;
        let id = t["id"].as_i64().unwrap();
        ok(&app, &format!("/api/v1/tickets/{id}/take"), &agent, json!({})).await;
        ok(&app, &format!("/api/v1/tickets/{id}/status"), &agent, json!({"status": "resolved"})).await;
        ids.push(id);
    }
    let state = app.state();
    let mut pos = kefu_server::jobs::FeedPosition::default();
    for _ in 0..2 {
        kefu_server::channels::email::outbound::feed_round(&state, &mut pos, kefu_server::auth::now())
            .await
            .unwrap();
        pos = kefu_server::jobs::FeedPosition::default();
    }
    let (s, jobs) = app.get("/api/v1/channels/email/deliveries", shop_admin).await;
    assert_eq!(s, StatusCode::OK, "{jobs}");
    let jobs = jobs.as_array().unwrap();
    assert_eq!(jobs.len(), 1, "one invitation, for the email ticket only: {jobs:?}");
    let payload: Value = serde_json::from_str(jobs[0]["payload"].as_str().unwrap()).unwrap();
    assert_eq!(payload["ticket_id"], json!(ids[0]));
    let body = payload["body"].as_str().unwrap();
    let prefix = format!("https://kefu.example/survey?token=krt_{}_", ids[0]);
    let start = body.find(&prefix).unwrap_or_else(|| panic!("no survey link: {body}"));
    let link: String = body[start..].chars().take_while(|c| !c.is_whitespace()).collect();
    assert!(link.ends_with("&channel=email"), "{link}");
    let path = link.trim_start_matches("https://kefu.example");
    let (s, html) = page(&app, path).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("name=\"channel\" value=\"email\""), "{html}");
}
both_backends!(email_tickets_are_invited_to_rate);

/// An after-sales case that ends refunded schedules one after-sales follow-up visit (售后回访) on its ticket.
async fn a_refunded_case_schedules_a_visit(backend: Backend) {
    let d = desk(backend).await;
    let now = kefu_server::auth::now();
    let at = |days: i64| kefu_core::time::Millis(now.0 - days * 86_400_000).to_rfc3339();
    let merchant = d.merchant;
    let order = json!({
        "order_no": "S-1", "customer": {"account_id": "buyer-s1", "name": "小王"}, "status": "paid",
        "items": [{"sku": "CUP-1", "name": "保温杯", "quantity": 1, "price_fen": 5900}],
        "total_fen": 5900, "paid_fen": 5900, "ordered_at": at(2), "paid_at": at(2), "updated_at": at(0)
    });
    ok(&d.app, "/api/v1/orders", &d.shop_admin, json!({"merchant_id": merchant, "orders": [order]})).await;
    let (_, list) = d.app.get("/api/v1/orders?order_no=S-1", &d.a1).await;
    let (order_id, customer) =
        (list["items"][0]["id"].as_i64().unwrap(), list["items"][0]["customer_id"].clone());
    let t = ok(
        &d.app,
        "/api/v1/tickets",
        &d.a1,
        json!({"customer_id": customer, "channel": "web", "subject": "不想要了"}),
    )
    .await;
    let tid = t["id"].as_i64().unwrap();
    let c = ok(
        &d.app,
        "/api/v1/aftersales",
        &d.a1,
        json!({"order_id": order_id, "ticket_id": tid, "kind": "refund_only", "reason": "no_reason",
               "items": [{"sku": "CUP-1", "quantity": 1}], "description": "未发货，不要了"}),
    )
    .await;
    let id = c["id"].as_i64().unwrap();
    let (_, before) = d.app.get(&format!("/api/v1/follow-ups?ticket_id={tid}"), &d.sup).await;
    assert!(before.as_array().unwrap().is_empty(), "no visit while the case runs");
    let mut c = ok(&d.app, &format!("/api/v1/aftersales/{id}/agree"), &d.a1, json!({})).await;
    if c["status"] == "refunding" {
        c = ok(
            &d.app,
            &format!("/api/v1/aftersales/{id}/refund-executed"),
            &d.a1,
            json!({"refund_ref": "RF-S1"}),
        )
        .await;
    }
    assert_eq!(c["status"], "refunded", "{c}");
    let (_, visits) = d.app.get(&format!("/api/v1/follow-ups?ticket_id={tid}"), &d.sup).await;
    let visits = visits.as_array().unwrap();
    assert_eq!(visits.len(), 1, "{visits:?}");
    assert_eq!(visits[0]["reason"], "after_sales");
    assert_eq!(visits[0]["source"], format!("aftersales:{id}"));
    assert!(visits[0]["script"].as_str().unwrap().contains("售后"));
    let ev = events(&d, tid).await;
    assert_eq!(of_kind(&ev, "follow_up_recorded").len(), 1);
}
both_backends!(a_refunded_case_schedules_a_visit);
