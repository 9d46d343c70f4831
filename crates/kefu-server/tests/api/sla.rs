//! The SLA engine through the API: clocks that pause and resume, breaches that escalate, timers that
//! survive a restart and fire once across nodes, calendars and holiday imports, commitments, reports.

use crate::both_backends;
use crate::common::{error_code, Backend, TestApp};
use kefu_core::org::Role;
use kefu_core::time::Millis;
use reqwest::StatusCode;
use serde_json::{json, Value};

struct Setup {
    app: TestApp,
    admin: String,
    merchant: i64,
    customer: i64,
    policy: i64,
}

/// A merchant with a customer, and a platform policy for phone tickets: first response within 60
/// business seconds of a 7×24 calendar, pausing while pending, escalating on breach.
async fn setup(backend: Backend) -> Setup {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let (s, m) = app.post("/api/v1/merchants", &admin, json!({"code": "shop-sla", "name": "时效小店"})).await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    let merchant = m["id"].as_i64().unwrap();
    let (s, c) =
        app.post("/api/v1/customers", &admin, json!({"display_name": "李雷", "merchant_id": merchant})).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let (s, cal) = app
        .post(
            "/api/v1/sla/calendars",
            &admin,
            json!({"name": "全天", "weekly": {"mon": ["00:00-24:00"], "tue": ["00:00-24:00"], "wed": ["00:00-24:00"],
                   "thu": ["00:00-24:00"], "fri": ["00:00-24:00"], "sat": ["00:00-24:00"], "sun": ["00:00-24:00"]},
                   "holidays": false}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{cal}");
    let (s, p) = app
        .post(
            "/api/v1/sla/policies",
            &admin,
            json!({"name": "电话一分钟", "position": 1, "conditions": {"channels": ["phone"]},
                   "targets": {"first_response_secs": 60, "resolution_secs": 3600},
                   "calendar_id": cal["id"], "pause_when_pending": true, "breach_actions": [{"type": "escalate_tier"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    Setup { policy: p["id"].as_i64().unwrap(), app, admin, merchant, customer: c["id"].as_i64().unwrap() }
}

async fn phone_ticket(w: &Setup) -> i64 {
    let (s, t) = w
        .app
        .post(
            "/api/v1/tickets",
            &w.admin,
            json!({"merchant_id": w.merchant, "customer_id": w.customer, "channel": "phone", "subject": "来电咨询退款"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    t["id"].as_i64().unwrap()
}

fn clock<'a>(panel: &'a Value, metric: &str) -> &'a Value {
    panel["clocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["metric"] == metric)
        .unwrap_or_else(|| panic!("{panel}"))
}

fn millis(v: &Value) -> Millis {
    Millis::parse_rfc3339(v.as_str().unwrap_or_else(|| panic!("not an instant: {v}"))).unwrap()
}

async fn events(w: &Setup, id: i64) -> Vec<Value> {
    let (s, e) = w.app.get(&format!("/api/v1/tickets/{id}/events"), &w.admin).await;
    assert_eq!(s, StatusCode::OK, "{e}");
    e.as_array().cloned().unwrap_or_else(|| e["items"].as_array().cloned().unwrap())
}

fn count(events: &[Value], kind: &str) -> usize {
    events.iter().filter(|e| e["kind"]["type"] == kind || e["type"] == kind).count()
}

async fn sla_clock_pauses_resumes_and_a_breach_escalates(backend: Backend) {
    let w = setup(backend).await;
    let id = phone_ticket(&w).await;
    let (s, panel) = w.app.get(&format!("/api/v1/tickets/{id}/sla"), &w.admin).await;
    assert_eq!(s, StatusCode::OK, "{panel}");
    assert_eq!(panel["policy_id"], w.policy);
    let first = clock(&panel, "first_response");
    assert_eq!(first["state"], "running");
    assert_eq!(first["target_secs"], 60);
    let created = millis(&first["started_at"]);
    assert_eq!(millis(&first["due_at"]), created.plus_ms(60_000));

    // Taking the ticket makes the admin its owner, but only a public reply is a response.
    let (s, b) = w.app.post(&format!("/api/v1/tickets/{id}/take"), &w.admin, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // Pending the customer: the clock stands still and has no due instant.
    let (s, b) = w
        .app
        .post(&format!("/api/v1/tickets/{id}/status"), &w.admin, json!({"status": "pending_customer"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, panel) = w.app.get(&format!("/api/v1/tickets/{id}/sla"), &w.admin).await;
    assert_eq!(clock(&panel, "first_response")["state"], "paused", "{panel}");
    assert!(clock(&panel, "first_response")["due_at"].is_null());
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;

    // The customer's reply resumes it: the due instant moved on by the time spent paused.
    let (s, b) = w
        .app
        .post(
            &format!("/api/v1/tickets/{id}/customer-replies"),
            &w.admin,
            json!({"body": "我补充一下订单号"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, panel) = w.app.get(&format!("/api/v1/tickets/{id}/sla"), &w.admin).await;
    let first = clock(&panel, "first_response");
    assert_eq!(first["state"], "running", "{panel}");
    let due = millis(&first["due_at"]);
    let warn = millis(&first["warn_at"]);
    assert!(due.0 >= created.0 + 61_000, "the pause must push the due instant back: {panel}");
    assert!(warn < due);

    // Nothing is due yet.
    let state = w.app.state();
    kefu_server::sla::tick(&state, kefu_server::auth::now()).await.unwrap();
    let evs = events(&w, id).await;
    assert_eq!(count(&evs, "sla_breached"), 0);

    // At 75 % of the target the warning fires, once.
    kefu_server::sla::tick(&state, warn.plus_ms(100)).await.unwrap();
    kefu_server::sla::tick(&state, warn.plus_ms(200)).await.unwrap();
    let evs = events(&w, id).await;
    assert_eq!((count(&evs, "sla_warned"), count(&evs, "sla_breached")), (1, 0), "{evs:?}");

    // Past the due instant the breach is recorded once and escalates L1 → L2 by the SLA engine.
    kefu_server::sla::tick(&state, due.plus_ms(1_000)).await.unwrap();
    kefu_server::sla::tick(&state, due.plus_ms(5_000)).await.unwrap();
    let evs = events(&w, id).await;
    assert_eq!(count(&evs, "sla_breached"), 1, "{evs:?}");
    assert_eq!(count(&evs, "sla_warned"), 1, "{evs:?}");
    let esc: Vec<&Value> = evs.iter().filter(|e| e["kind"]["type"] == "escalated").collect();
    assert_eq!(esc.len(), 1, "{evs:?}");
    assert_eq!(esc[0]["actor"]["kind"], "system");
    assert_eq!(esc[0]["actor"]["name"], "sla_escalation");
    assert_eq!(esc[0]["kind"]["to"], "l2");
    let (_, t) = w.app.get(&format!("/api/v1/tickets/{id}"), &w.admin).await;
    assert_eq!(t["ticket"]["tier"], "l2", "{t}");

    // A manual escalation is told apart: its actor is the staff member.
    let (s, b) = w
        .app
        .post(
            &format!("/api/v1/tickets/{id}/escalate"),
            &w.admin,
            json!({"tier": "l3", "reason": "主管决定"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let evs = events(&w, id).await;
    let manual = evs.iter().rev().find(|e| e["kind"]["type"] == "escalated").unwrap();
    assert_eq!(manual["actor"]["kind"], "staff");

    // The breach reached the people concerned: the assignee was told of it, and the L2 tier's
    // supervisors of the escalation.
    let (_, n) = w.app.get("/api/v1/notifications", &w.admin).await;
    let kinds = |n: &Value| -> Vec<String> {
        n["items"].as_array().unwrap().iter().map(|x| x["kind"].as_str().unwrap_or("").to_string()).collect()
    };
    assert!(kinds(&n).iter().any(|k| k == "sla_breached"), "{n}");
    assert!(kinds(&n).iter().any(|k| k == "sla_warning"), "{n}");
    w.app.user("sla.sup", Role::Supervisor, Some(w.merchant)).await;
    let tok = w.app.login("sla.sup").await;
    let (_, n) = w.app.get("/api/v1/notifications", &tok).await;
    assert!(kinds(&n).iter().any(|k| k == "escalated"), "{n}");

    // A staff reply stops the clock; the panel reports the first response as missed.
    w.app.post(&format!("/api/v1/tickets/{id}/replies"), &w.admin, json!({"body": "您好，已为您处理"})).await;
    let (_, panel) = w.app.get(&format!("/api/v1/tickets/{id}/sla"), &w.admin).await;
    assert_eq!(clock(&panel, "first_response")["state"], "missed", "{panel}");
}
both_backends!(sla_clock_pauses_resumes_and_a_breach_escalates);

async fn a_priority_change_recomputes_and_shows_in_the_timeline(backend: Backend) {
    let w = setup(backend).await;
    let (s, p) = w
        .app
        .post(
            "/api/v1/sla/policies",
            &w.admin,
            json!({"name": "紧急电话", "position": 0, "conditions": {"channels": ["phone"], "priorities": ["urgent"]},
                   "targets": {"first_response_secs": 20}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let id = phone_ticket(&w).await;
    let (s, b) = w
        .app
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/tickets/{id}"),
            Some(&w.admin),
            Some(json!({"priority": "urgent"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let evs = events(&w, id).await;
    let applied: Vec<&Value> = evs.iter().filter(|e| e["kind"]["type"] == "sla_policy_applied").collect();
    assert_eq!(applied.len(), 2, "{evs:?}");
    assert_eq!(applied[0]["kind"]["policy_id"], w.policy);
    assert_eq!(applied[1]["kind"]["policy_id"], p["id"]);
    assert!(applied[1]["kind"]["reason"].as_str().unwrap().contains("update"), "{}", applied[1]);
    let (_, panel) = w.app.get(&format!("/api/v1/tickets/{id}/sla"), &w.admin).await;
    assert_eq!(clock(&panel, "first_response")["target_secs"], 20, "{panel}");
}
both_backends!(a_priority_change_recomputes_and_shows_in_the_timeline);

async fn a_restart_neither_loses_nor_repeats_a_breach(backend: Backend) {
    let w = setup(backend).await;
    let id = phone_ticket(&w).await;
    let (_, panel) = w.app.get(&format!("/api/v1/tickets/{id}/sla"), &w.admin).await;
    let due = millis(&clock(&panel, "first_response")["due_at"]);
    // The timer is stored: a node that starts afresh (the restart) finds it and fires the breach that
    // fell due while it was down.
    let restarted = w.app.second_node().await;
    assert!(restarted.store.sla_next_due().await.unwrap().is_some_and(|d| d <= due));
    kefu_server::sla::tick(&restarted, due.plus_ms(30_000)).await.unwrap();
    // A second start, and the old node catching up, fire nothing more.
    let again = w.app.second_node().await;
    kefu_server::sla::tick(&again, due.plus_ms(31_000)).await.unwrap();
    kefu_server::sla::tick(&w.app.state(), due.plus_ms(32_000)).await.unwrap();
    let evs = events(&w, id).await;
    let breaches: Vec<&Value> = evs
        .iter()
        .filter(|e| e["kind"]["type"] == "sla_breached" && e["kind"]["metric"] == "first_response")
        .collect();
    assert_eq!(breaches.len(), 1, "{evs:?}");
    assert_eq!(millis(&breaches[0]["kind"]["due_at"]), due);
    assert_eq!(count(&evs, "escalated"), 1);
}
both_backends!(a_restart_neither_loses_nor_repeats_a_breach);

async fn two_nodes_fire_one_breach_once(backend: Backend) {
    let w = setup(backend).await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(phone_ticket(&w).await);
    }
    let a = w.app.second_node().await;
    let b = w.app.second_node().await;
    let at = kefu_server::auth::now().plus_ms(120_000);
    // Node B's clock runs 3 s ahead of node A's: skew moves when a node looks, not what is recorded.
    let (ra, rb) =
        tokio::join!(kefu_server::sla::tick(&a, at), kefu_server::sla::tick(&b, at.plus_ms(3_000)));
    ra.unwrap();
    rb.unwrap();
    // A check that lost a write race is retried a minute later (on SQLite two processes writing one
    // file do collide; PostgreSQL is the multi-node backend): the retry records what is missing, never
    // a second copy.
    kefu_server::sla::tick(&a, at.plus_ms(70_000)).await.unwrap();
    for id in ids {
        let evs = events(&w, id).await;
        let first = evs
            .iter()
            .filter(|e| e["kind"]["type"] == "sla_breached" && e["kind"]["metric"] == "first_response")
            .count();
        assert_eq!(first, 1, "ticket {id}: {evs:?}");
        assert_eq!(count(&evs, "escalated"), 1, "ticket {id}: {evs:?}");
    }
}
both_backends!(two_nodes_fire_one_breach_once);

async fn calendars_and_holiday_imports_refuse_bad_input_and_keep_the_old(backend: Backend) {
    let w = setup(backend).await;
    let app = &w.app;
    let overlap = json!({"name": "重叠", "weekly": {"mon": ["09:00-12:00", "11:00-13:00"]}});
    let (s, b) = app.post("/api/v1/sla/calendars", &w.admin, overlap).await;
    assert_eq!((s, error_code(&b)), (StatusCode::UNPROCESSABLE_ENTITY, "validation".into()), "{b}");
    assert_eq!(b["error"]["field"], "weekly.mon", "{b}");
    let inverted = json!({"name": "倒置", "weekly": {"tue": ["18:00-09:00"]}});
    let (s, b) = app.post("/api/v1/sla/calendars", &w.admin, inverted).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert!(b["error"]["field"].as_str().unwrap().starts_with("weekly.tue"), "{b}");
    let (s, b) = app
        .post(
            "/api/v1/sla/calendars",
            &w.admin,
            json!({"name": "火星", "time_zone": "Mars/Olympus", "weekly": {}}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["field"], "time_zone", "{b}");
    let (s, b) = app
        .post(
            "/api/v1/sla/calendars",
            &w.admin,
            json!({"name": "错天", "weekly": {"monday": ["09:00-10:00"]}}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["field"], "weekly.monday", "{b}");

    let (_, before) = app.get("/api/v1/sla/holidays", &w.admin).await;
    let bad_date = "date,kind,name\n2027-01-01,holiday,元旦\n2027-02-30,holiday,春节\n";
    let (s, b) = app
        .post("/api/v1/sla/holidays", &w.admin, json!({"format": "csv", "year": 2027, "content": bad_date}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert!(b["error"]["message"].as_str().unwrap().contains("line 3"), "{b}");
    let dup = "2027-01-01,holiday,元旦\n2027-01-01,holiday,元旦\n";
    let (s, b) = app
        .post("/api/v1/sla/holidays", &w.admin, json!({"format": "csv", "year": 2027, "content": dup}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert!(b["error"]["message"].as_str().unwrap().contains("line 2"), "{b}");
    let (_, after) = app.get("/api/v1/sla/holidays", &w.admin).await;
    assert_eq!(before, after, "a refused import changes nothing");

    // A good import adds 2027; a merchant admin may not import (the schedule is platform-wide).
    let good = r#"{"year": 2027, "source": "国务院办公厅通知", "days": [
        {"date": "2027-01-01", "kind": "holiday", "name": "元旦"},
        {"date": "2027-02-06", "kind": "workday", "name": "春节调休"}]}"#;
    app.user("shop.admin", Role::MerchantAdmin, Some(w.merchant)).await;
    let shop = app.login("shop.admin").await;
    let (s, b) = app.post("/api/v1/sla/holidays", &shop, json!({"format": "json", "content": good})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    let (s, b) = app.post("/api/v1/sla/holidays", &w.admin, json!({"format": "json", "content": good})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!((b["holidays"].as_i64(), b["makeup_workdays"].as_i64()), (Some(1), Some(1)), "{b}");
    let (_, after) = app.get("/api/v1/sla/holidays", &w.admin).await;
    let y2027 = after.as_array().unwrap().iter().find(|y| y["year"] == 2027).unwrap();
    assert_eq!(y2027["origin"], "imported");

    // The merchant admin sees the platform's calendars and its own, and edits only its own.
    let (s, mine) = app
        .post(
            "/api/v1/sla/calendars",
            &shop,
            json!({"name": "店铺客服时间", "weekly": {"mon": ["09:00-18:00"]}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{mine}");
    assert_eq!(mine["merchant_id"], w.merchant);
    let (_, list) = app.get("/api/v1/sla/calendars", &shop).await;
    let platform_cal =
        list.as_array().unwrap().iter().find(|c| c["merchant_id"].is_null()).unwrap()["id"].clone();
    let (s, b) = app
        .put(&format!("/api/v1/sla/calendars/{platform_cal}"), &shop, json!({"name": "改平台", "weekly": {}}))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
    // Holiday-following calendars list the uncovered dates ahead (none at all when the data runs out
    // more than 90 days away).
    assert!(list.as_array().unwrap().iter().all(|c| c["uncovered_dates"].is_array()), "{list}");
}
both_backends!(calendars_and_holiday_imports_refuse_bad_input_and_keep_the_old);

async fn commitments_are_public_and_reports_count_compliance(backend: Backend) {
    let w = setup(backend).await;
    let app = &w.app;
    // Public: no credentials.
    let (s, c) = app
        .call(
            reqwest::Method::GET,
            &format!("/api/v1/public/commitments?merchant_id={}", w.merchant),
            None,
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["merchant_name"], "时效小店");
    let lines = c["commitments"].as_array().unwrap();
    assert!(
        lines
            .iter()
            .any(|l| l["scope"] == "在线咨询" && l["text"].as_str().unwrap().starts_with("30 秒内首次响应")),
        "{c}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l["scope"] == "电话" && l["text"].as_str().unwrap().contains("1 分钟内首次响应")),
        "{c}"
    );
    let page = app.client.get(format!("{}/commitments/{}", app.base, w.merchant)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("时效小店 · 服务承诺") && html.contains("每天 09:00–23:00"), "{html}");
    let (s, _) =
        app.call(reqwest::Method::GET, "/api/v1/public/commitments?merchant_id=99999", None, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // One ticket answered in time, one late.
    let fast = phone_ticket(&w).await;
    app.post(&format!("/api/v1/tickets/{fast}/replies"), &w.admin, json!({"body": "马上处理"})).await;
    let slow = phone_ticket(&w).await;
    kefu_server::sla::tick(&app.state(), kefu_server::auth::now().plus_ms(600_000)).await.unwrap();
    let (s, r) = app.get("/api/v1/reports/sla?group_by=policy", &w.admin).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let row = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| {
            x["metric"] == "first_response" && x["group"].as_str() == Some(w.policy.to_string().as_str())
        })
        .unwrap_or_else(|| panic!("{r}"));
    assert_eq!(
        (row["measured"].as_i64(), row["met"].as_i64(), row["breached"].as_i64()),
        (Some(2), Some(1), Some(1)),
        "{r}"
    );
    assert_eq!(row["compliance"].as_f64(), Some(0.5));
    let fastest = &r["first_response_distribution"][0];
    assert_eq!((fastest["up_to_secs"].as_i64(), fastest["count"].as_i64()), (Some(30), Some(1)), "{r}");
    let _ = slow;
    // By day: today's (Shanghai) date carries both clocks.
    let (s, r) = app.get("/api/v1/reports/sla?group_by=day", &w.admin).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let today = kefu_core::ticket::shanghai_date(kefu_server::auth::now()).unwrap().to_string();
    let day = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["metric"] == "first_response")
        .unwrap_or_else(|| panic!("{r}"));
    assert_eq!(day["group"], today.as_str(), "{r}");
    assert_eq!(day["measured"].as_i64(), Some(2), "{r}");
    let (s, b) = app.get("/api/v1/reports/sla?group_by=colour", &w.admin).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["field"], "group_by");
}
both_backends!(commitments_are_public_and_reports_count_compliance);

async fn the_due_soon_view_lists_tickets_about_to_breach(backend: Backend) {
    let w = setup(backend).await;
    let soon = phone_ticket(&w).await;
    // A web ticket falls under the shipped 15-minute policy: its first timer (the 75 % warning) is over
    // 11 minutes away.
    let (s, t) = w
        .app
        .post(
            "/api/v1/tickets",
            &w.admin,
            json!({"merchant_id": w.merchant, "channel": "web", "subject": "咨询发票"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let later = t["id"].as_i64().unwrap();
    let (s, list) = w.app.get("/api/v1/tickets?view=due_soon&due_within_minutes=5", &w.admin).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    let ids: Vec<i64> = list["items"].as_array().unwrap().iter().map(|x| x["id"].as_i64().unwrap()).collect();
    assert!(ids.contains(&soon) && !ids.contains(&later), "{ids:?} {list}");
    // Answered, it leaves the view.
    w.app.post(&format!("/api/v1/tickets/{soon}/replies"), &w.admin, json!({"body": "您好"})).await;
    let (_, list) = w.app.get("/api/v1/tickets?view=due_soon&due_within_minutes=5", &w.admin).await;
    let ids: Vec<i64> = list["items"].as_array().unwrap().iter().map(|x| x["id"].as_i64().unwrap()).collect();
    assert!(!ids.contains(&soon), "{list}");
    let (s, b) = w.app.get("/api/v1/tickets?view=due_soon&due_within_minutes=-1", &w.admin).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
    assert_eq!(b["error"]["field"], "due_within_minutes");
}
both_backends!(the_due_soon_view_lists_tickets_about_to_breach);

async fn a_breach_reaches_a_waiting_client_at_once(backend: Backend) {
    let w = setup(backend).await;
    let id = phone_ticket(&w).await;
    w.app.post(&format!("/api/v1/tickets/{id}/take"), &w.admin, json!({})).await;
    let (_, panel) = w.app.get(&format!("/api/v1/tickets/{id}/sla"), &w.admin).await;
    let due = millis(&clock(&panel, "first_response")["due_at"]);
    let (_, mine) = w.app.get("/api/v1/notifications", &w.admin).await;
    let since = mine["items"].as_array().unwrap().iter().filter_map(|n| n["id"].as_i64()).max().unwrap_or(0);
    // The assignee's client waits for news; the scheduler records the breach meanwhile.
    let client = w.app.client.clone();
    let url = format!("{}/api/v1/notifications/wait?since={since}&wait_secs=20", w.app.base);
    let token = w.admin.clone();
    let waiting = tokio::spawn(async move {
        let started = std::time::Instant::now();
        let r = client.get(url).bearer_auth(token).send().await.unwrap();
        let v: Value = r.json().await.unwrap();
        (started.elapsed(), v)
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let fired = std::time::Instant::now();
    kefu_server::sla::tick(&w.app.state(), due.plus_ms(20_000)).await.unwrap();
    let (waited, news) = waiting.await.unwrap();
    let after_fire = fired.elapsed();
    let kinds: Vec<&str> = news.as_array().unwrap().iter().filter_map(|n| n["kind"].as_str()).collect();
    assert!(kinds.contains(&"sla_breached"), "{news}");
    assert!(waited < std::time::Duration::from_secs(5), "answered after {waited:?}");
    assert!(after_fire < std::time::Duration::from_secs(1), "the breach took {after_fire:?} to arrive");
    // Nothing new: an immediate answer with no items; a bad wait is refused.
    let (s, v) = w.app.get(&format!("/api/v1/notifications/wait?since={}", i64::MAX), &w.admin).await;
    assert_eq!((s, v), (StatusCode::OK, json!([])));
    let (s, b) = w.app.get("/api/v1/notifications/wait?wait_secs=31", &w.admin).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{b}");
}
both_backends!(a_breach_reaches_a_waiting_client_at_once);

async fn a_teams_calendar_counts_when_the_policy_names_none(backend: Backend) {
    let w = setup(backend).await;
    let app = &w.app;
    // A policy without its own calendar, for email tickets of this merchant only.
    let (s, p) = app
        .post(
            "/api/v1/sla/policies",
            &w.admin,
            json!({"merchant_id": w.merchant, "name": "店铺邮件", "conditions": {"channels": ["email"]},
                   "targets": {"first_response_secs": 3600}}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let (_, team) = app
        .post(
            "/api/v1/teams",
            &w.admin,
            json!({"name": "夜班组", "owner": "merchant", "merchant_id": w.merchant}),
        )
        .await;
    // The team works nights only; the merchant's default is the whole day.
    let (_, nights) = app
        .post("/api/v1/sla/calendars", &w.admin, json!({"merchant_id": w.merchant, "name": "夜班", "holidays": false,
            "weekly": {"mon": ["20:00-24:00"], "tue": ["20:00-24:00"], "wed": ["20:00-24:00"], "thu": ["20:00-24:00"],
                       "fri": ["20:00-24:00"], "sat": ["20:00-24:00"], "sun": ["20:00-24:00"]}}))
        .await;
    let (_, days) = app
        .post("/api/v1/sla/calendars", &w.admin, json!({"merchant_id": w.merchant, "name": "全天", "holidays": false,
            "weekly": {"mon": ["00:00-24:00"], "tue": ["00:00-24:00"], "wed": ["00:00-24:00"], "thu": ["00:00-24:00"],
                       "fri": ["00:00-24:00"], "sat": ["00:00-24:00"], "sun": ["00:00-24:00"]}}))
        .await;
    for (body, what) in [
        (json!({"merchant_id": w.merchant, "calendar_id": days["id"]}), "merchant"),
        (json!({"team_id": team["id"], "calendar_id": nights["id"]}), "team"),
    ] {
        let (s, b) = app.put("/api/v1/sla/calendar-assignments", &w.admin, body).await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{what}: {b}");
    }
    let (s, t) = app
        .post(
            "/api/v1/tickets",
            &w.admin,
            json!({"merchant_id": w.merchant, "channel": "email", "subject": "发票抬头"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let id = t["id"].as_i64().unwrap();
    let (_, panel) = app.get(&format!("/api/v1/tickets/{id}/sla"), &w.admin).await;
    assert_eq!(panel["policy_id"], p["id"], "{panel}");
    assert_eq!(panel["calendar_id"], days["id"], "the merchant's default while no team holds it: {panel}");
    let (s, b) =
        app.post(&format!("/api/v1/tickets/{id}/assign"), &w.admin, json!({"team_id": team["id"]})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, panel) = app.get(&format!("/api/v1/tickets/{id}/sla"), &w.admin).await;
    assert_eq!(panel["calendar_id"], nights["id"], "the team's calendar once the team holds it: {panel}");
    // A merchant's calendar cannot become another merchant's default; a merchant that does not exist
    // gets none.
    let (_, other) =
        app.post("/api/v1/merchants", &w.admin, json!({"code": "shop-sla2", "name": "另一家"})).await;
    let (s, b) = app
        .put(
            "/api/v1/sla/calendar-assignments",
            &w.admin,
            json!({"merchant_id": other["id"], "calendar_id": days["id"]}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["field"], "calendar_id");
    let (_, list) = app.get("/api/v1/sla/calendars", &w.admin).await;
    let platform_cal =
        list.as_array().unwrap().iter().find(|c| c["merchant_id"].is_null()).unwrap()["id"].clone();
    let (s, b) = app
        .put(
            "/api/v1/sla/calendar-assignments",
            &w.admin,
            json!({"merchant_id": 999_999, "calendar_id": platform_cal}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
}
both_backends!(a_teams_calendar_counts_when_the_policy_names_none);

async fn an_edited_policy_moves_the_stored_timer_without_firing(backend: Backend) {
    let w = setup(backend).await;
    let id = phone_ticket(&w).await;
    let (_, panel) = w.app.get(&format!("/api/v1/tickets/{id}/sla"), &w.admin).await;
    let started = millis(&clock(&panel, "first_response")["started_at"]);
    // The policy now gives an hour (same calendar, 7×24): the stored timer (the old 45-second warning)
    // is stale.
    let (_, list) = w.app.get("/api/v1/sla/policies", &w.admin).await;
    let calendar =
        list.as_array().unwrap().iter().find(|p| p["id"] == w.policy).unwrap()["calendar_id"].clone();
    let (s, p) = w
        .app
        .put(
            &format!("/api/v1/sla/policies/{}", w.policy),
            &w.admin,
            json!({"name": "电话一小时", "position": 1, "conditions": {"channels": ["phone"]},
                   "targets": {"first_response_secs": 3600}, "calendar_id": calendar, "pause_when_pending": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{p}");
    let state = w.app.state();
    kefu_server::sla::tick(&state, started.plus_ms(50_000)).await.unwrap();
    let evs = events(&w, id).await;
    assert_eq!(count(&evs, "sla_warned") + count(&evs, "sla_breached"), 0, "{evs:?}");
    // The timer now points at the new warning (75 % of an hour), and a later round finds nothing to do.
    assert_eq!(state.store.sla_next_due().await.unwrap(), Some(started.plus_ms(2_700_000)));
    assert_eq!(kefu_server::sla::tick(&state, started.plus_ms(60_000)).await.unwrap(), 0);
}
both_backends!(an_edited_policy_moves_the_stored_timer_without_firing);

async fn an_sla_warning_reaches_the_holder_or_the_supervisors_and_read_all_clears_it(backend: Backend) {
    let w = setup(backend).await;
    let app = &w.app;
    let agent_id = app.user("warn.agent", Role::Agent, Some(w.merchant)).await;
    let agent = app.login("warn.agent").await;
    app.user("warn.sup", Role::Supervisor, Some(w.merchant)).await;
    let sup = app.login("warn.sup").await;
    // One ticket held by the agent, one nobody holds.
    let held = phone_ticket(&w).await;
    let (s, t) =
        app.post(&format!("/api/v1/tickets/{held}/assign"), &w.admin, json!({"user_id": agent_id})).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    let number = t["number"].as_str().unwrap().to_string();
    let unheld = phone_ticket(&w).await;
    let mut warn = Millis(0);
    for id in [held, unheld] {
        let (_, panel) = app.get(&format!("/api/v1/tickets/{id}/sla"), &w.admin).await;
        warn = warn.max(millis(&clock(&panel, "first_response")["warn_at"]));
    }
    kefu_server::sla::tick(&app.state(), warn.plus_ms(100)).await.unwrap();

    let warnings = |n: &Value| -> Vec<Value> {
        n["items"].as_array().unwrap().iter().filter(|x| x["kind"] == "sla_warning").cloned().collect()
    };
    // The holder is told of their ticket, by number, and of nothing else.
    let (_, n) = app.get("/api/v1/notifications?unread=true", &agent).await;
    let mine = warnings(&n);
    assert_eq!(mine.len(), 1, "{n}");
    assert_eq!(mine[0]["ticket_id"], held, "{n}");
    let body = mine[0]["body"].as_str().unwrap();
    assert!(body.contains(&number) && body.contains("即将超时"), "{body}");
    // Nobody holds the other one: the merchant's supervisors are told of it.
    let (_, n) = app.get("/api/v1/notifications?unread=true", &sup).await;
    let theirs = warnings(&n);
    assert_eq!(
        theirs.iter().map(|x| x["ticket_id"].as_i64().unwrap()).collect::<Vec<_>>(),
        vec![unheld],
        "{n}"
    );

    // 全部已读: the agent's assignment and warning are read; the supervisor's are not touched.
    let (s, b) = app.post("/api/v1/notifications/read-all", &agent, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["marked"], 2, "{b}");
    let (_, n) = app.get("/api/v1/notifications?unread=true", &agent).await;
    assert_eq!(n["items"], json!([]), "{n}");
    let (_, n) = app.get("/api/v1/notifications", &agent).await;
    let items = n["items"].as_array().unwrap();
    assert!(items.len() == 2 && items.iter().all(|x| x["read"] == true), "{n}");
    let (_, n) = app.get("/api/v1/notifications?unread=true", &sup).await;
    assert_eq!(warnings(&n).len(), 1, "{n}");
    let (s, b) = app.post("/api/v1/notifications/read-all", &agent, json!({})).await;
    assert_eq!((s, b["marked"].as_i64()), (StatusCode::OK, Some(0)));
}
both_backends!(an_sla_warning_reaches_the_holder_or_the_supervisors_and_read_all_clears_it);
