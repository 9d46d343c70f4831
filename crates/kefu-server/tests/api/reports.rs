//! The supervisor dashboard (监控看板) and the escalations inbox (升级工单) through the API: what a
//! platform admin and a merchant's supervisor see of the same day's tickets.

use crate::both_backends;
use crate::common::{error_code, Backend, TestApp};
use kefu_core::org::Role;
use kefu_core::time::Millis;
use reqwest::StatusCode;
use serde_json::{json, Value};

struct Two {
    app: TestApp,
    admin: String,
    /// Merchant A's supervisor.
    sup_a: String,
    merchant: [i64; 2],
}

async fn two_merchants(backend: Backend) -> Two {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let mut merchant = [0; 2];
    for (i, (code, name)) in [("dash-a", "甲店"), ("dash-b", "乙店")].into_iter().enumerate() {
        let (s, m) = app.post("/api/v1/merchants", &admin, json!({"code": code, "name": name})).await;
        assert_eq!(s, StatusCode::CREATED, "{m}");
        merchant[i] = m["id"].as_i64().unwrap();
    }
    app.user("a.sup", Role::Supervisor, Some(merchant[0])).await;
    let sup_a = app.login("a.sup").await;
    Two { app, admin, sup_a, merchant }
}

async fn ticket(w: &Two, merchant: i64, channel: &str, category: Option<&str>, subject: &str) -> Value {
    let mut body = json!({"merchant_id": merchant, "channel": channel, "subject": subject, "body": subject});
    if let Some(c) = category {
        body["category"] = json!(c);
    }
    let (s, t) = w.app.post("/api/v1/tickets", &w.admin, body).await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    t
}

fn count(list: &Value, key: &str) -> i64 {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .find(|c| c["key"] == key)
        .map_or(0, |c| c["count"].as_i64().unwrap())
}

fn millis(v: &Value) -> Millis {
    Millis::parse_rfc3339(v.as_str().unwrap_or_else(|| panic!("not an instant: {v}"))).unwrap()
}

async fn overview(w: &Two, token: &str, query: &str) -> Value {
    let (s, o) = w.app.get(&format!("/api/v1/reports/overview{query}"), token).await;
    assert_eq!(s, StatusCode::OK, "{o}");
    o
}

async fn reply(w: &Two, t: &Value) -> Value {
    let (s, r) = w
        .app
        .post(
            &format!("/api/v1/tickets/{}/replies", t["id"]),
            &w.admin,
            json!({"body": "您好，马上为您处理"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let (s, t) = w.app.get(&format!("/api/v1/tickets/{}", t["id"]), &w.admin).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    t["ticket"].clone()
}

fn first_response_secs(t: &Value) -> f64 {
    (millis(&t["first_response_at"]).0 - millis(&t["created_at"]).0) as f64 / 1000.0
}

fn close(a: &Value, b: f64) -> bool {
    a.as_f64().is_some_and(|a| (a - b).abs() < 1e-6)
}

async fn the_dashboard_counts_todays_tickets_per_merchant(backend: Backend) {
    let w = two_merchants(backend).await;
    let [a, b] = w.merchant;
    let t1 = ticket(&w, a, "web", Some("logistics"), "快递三天没动了").await;
    let t2 = ticket(&w, a, "web", Some("logistics"), "物流信息不更新").await;
    let t3 = ticket(&w, a, "phone", Some("complaint"), "来电投诉客服态度").await;
    let t4 = ticket(&w, b, "email", None, "你好").await;

    // Today (Asia/Shanghai) by default, every merchant for the platform admin.
    let o = overview(&w, &w.admin, "").await;
    let t = &o["tickets"];
    assert_eq!(t["created"], 4, "{o}");
    assert_eq!(
        (count(&t["by_channel"], "web"), count(&t["by_channel"], "phone"), count(&t["by_channel"], "email")),
        (2, 1, 1),
        "{o}"
    );
    assert_eq!((count(&t["by_category"], "logistics"), count(&t["by_category"], "complaint")), (2, 1), "{o}");
    // Each ticket in the hour of day it was created, Shanghai time.
    let mut hours = [0i64; 24];
    for x in [&t1, &t2, &t3, &t4] {
        let created = millis(&x["created_at"]).0;
        hours[usize::try_from((created + 8 * Millis::HOUR) / Millis::HOUR % 24).unwrap()] += 1;
    }
    let by_hour: Vec<i64> = t["by_hour"].as_array().unwrap().iter().map(|h| h.as_i64().unwrap()).collect();
    assert_eq!(by_hour, hours.to_vec(), "{o}");
    assert_eq!(count(&t["open_by_status"], "new"), 4, "{o}");
    assert_eq!(t["escalated_open"], 0);
    let midnight = millis(&o["from"]);
    assert_eq!(
        (midnight.0 + 8 * Millis::HOUR) % Millis::DAY,
        0,
        "the period starts at midnight in Shanghai: {o}"
    );
    let fr = &t["first_response"];
    assert_eq!((fr["count"].as_i64(), fr["awaiting"].as_i64()), (Some(0), Some(4)), "{o}");
    assert!(fr["avg_secs"].is_null() && fr["median_secs"].is_null(), "{o}");

    // Answer three of merchant A's tickets after different waits, and merchant B's.
    let r1 = reply(&w, &t1).await;
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    let r2 = reply(&w, &t2).await;
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    let r3 = reply(&w, &t3).await;
    let r4 = reply(&w, &t4).await;
    let mut a_secs: Vec<f64> = [&r1, &r2, &r3].iter().map(|t| first_response_secs(t)).collect();
    a_secs.sort_by(f64::total_cmp);
    assert!(a_secs[2] - a_secs[0] > 1.0, "the waits differ: {a_secs:?}");

    let o = overview(&w, &w.admin, "").await;
    let fr = &o["tickets"]["first_response"];
    let mut all = a_secs.clone();
    all.push(first_response_secs(&r4));
    all.sort_by(f64::total_cmp);
    assert_eq!((fr["count"].as_i64(), fr["awaiting"].as_i64()), (Some(4), Some(0)), "{o}");
    assert!(close(&fr["avg_secs"], all.iter().sum::<f64>() / 4.0), "{o} {all:?}");
    assert!(close(&fr["median_secs"], (all[1] + all[2]) / 2.0), "{o} {all:?}");
    assert_eq!(count(&o["tickets"]["open_by_status"], "open"), 4, "{o}");
    // SLA compliance is the SLA report's, per policy (named) and in total.
    let (s, sla) = w
        .app
        .get(
            &format!(
                "/api/v1/reports/sla?group_by=policy&from={}&to={}",
                urlencode(&o["from"]),
                urlencode(&o["to"])
            ),
            &w.admin,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{sla}");
    let measured: i64 = sla["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["metric"] == "first_response")
        .map(|r| r["measured"].as_i64().unwrap())
        .sum();
    assert_eq!(measured, 4, "{sla}");
    let total = o["sla_totals"].as_array().unwrap().iter().find(|m| m["metric"] == "first_response").unwrap();
    assert_eq!((total["measured"].as_i64(), total["met"].as_i64()), (Some(4), Some(4)), "{o}");
    assert!(close(&total["compliance"], 1.0), "{o}");
    assert!(
        o["sla_by_policy"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["policy_name"].as_str().is_some_and(|n| !n.is_empty())),
        "{o}"
    );

    // Merchant A's supervisor sees merchant A only — with or without naming it.
    for query in [String::new(), format!("?merchant_id={a}")] {
        let o = overview(&w, &w.sup_a, &query).await;
        let t = &o["tickets"];
        assert_eq!(o["merchant_id"], a, "{o}");
        assert_eq!(t["created"], 3, "{o}");
        assert_eq!(count(&t["by_channel"], "email"), 0, "{o}");
        assert_eq!(count(&t["open_by_status"], "open"), 3, "{o}");
        let fr = &t["first_response"];
        assert_eq!(fr["count"], 3, "{o}");
        assert!(close(&fr["avg_secs"], a_secs.iter().sum::<f64>() / 3.0), "{o} {a_secs:?}");
        assert!(close(&fr["median_secs"], a_secs[1]), "{o} {a_secs:?}");
        let total =
            o["sla_totals"].as_array().unwrap().iter().find(|m| m["metric"] == "first_response").unwrap();
        assert_eq!(total["measured"], 3, "{o}");
    }
    let (s, e) = w.app.get(&format!("/api/v1/reports/overview?merchant_id={b}"), &w.sup_a).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "another merchant is not found: {e}");
    // The platform admin may narrow to one merchant.
    let o = overview(&w, &w.admin, &format!("?merchant_id={b}")).await;
    assert_eq!(
        (o["tickets"]["created"].as_i64(), count(&o["tickets"]["by_channel"], "email")),
        (Some(1), 1),
        "{o}"
    );

    // An earlier period has none of today's tickets.
    let o = overview(&w, &w.admin, "?from=2026-01-01T00:00:00%2B08:00&to=2026-01-02T00:00:00%2B08:00").await;
    assert_eq!(o["tickets"]["created"], 0, "{o}");
    assert_eq!(
        count(&o["tickets"]["open_by_status"], "open"),
        4,
        "the open workload is now, whatever the period: {o}"
    );

    // Bad input is refused, naming the field.
    for (query, field) in [
        ("?from=yesterday", "from"),
        ("?to=2026-13-01T00:00:00Z", "to"),
        ("?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z", "to"),
        ("?from=2026-01-01T00:00:00Z&to=2026-06-01T00:00:00Z", "from"),
    ] {
        let (s, e) = w.app.get(&format!("/api/v1/reports/overview{query}"), &w.admin).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{query}: {e}");
        assert_eq!(error_code(&e), "bad_request", "{e}");
        assert_eq!(e["error"]["field"], field, "{query}: {e}");
    }
    // An agent has no dashboard.
    w.app.user("a.agent", Role::Agent, Some(a)).await;
    let agent = w.app.login("a.agent").await;
    let (s, _) = w.app.get("/api/v1/reports/overview", &agent).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}
both_backends!(the_dashboard_counts_todays_tickets_per_merchant);

fn urlencode(v: &Value) -> String {
    v.as_str().unwrap().replace('+', "%2B")
}

fn ids(list: &Value) -> Vec<i64> {
    list["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{list}"))
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect()
}

async fn the_escalations_inbox_lists_active_tickets_above_the_first_tier(backend: Backend) {
    let w = two_merchants(backend).await;
    let [a, b] = w.merchant;
    let plain = ticket(&w, a, "web", None, "询问发货时间").await;
    let up = ticket(&w, a, "web", None, "包裹破损要求赔偿").await;
    let done = ticket(&w, a, "web", None, "发票抬头错误").await;
    let foreign = ticket(&w, b, "web", None, "乙店的升级工单").await;
    for (t, tier) in [(&up, "l2"), (&done, "l3"), (&foreign, "l2")] {
        let (s, r) = w
            .app
            .post(
                &format!("/api/v1/tickets/{}/escalate", t["id"]),
                &w.admin,
                json!({"tier": tier, "reason": "需主管处理"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{r}");
    }
    reply(&w, &done).await;
    let (s, r) = w
        .app
        .post(&format!("/api/v1/tickets/{}/status", done["id"]), &w.admin, json!({"status": "resolved"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");

    let (s, list) = w.app.get("/api/v1/tickets?view=escalated", &w.sup_a).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!(
        ids(&list),
        vec![up["id"].as_i64().unwrap()],
        "only merchant A's active escalated ticket: {list}"
    );
    let (_, list) = w.app.get("/api/v1/tickets?view=escalated", &w.admin).await;
    let mut got = ids(&list);
    got.sort_unstable();
    assert_eq!(got, vec![up["id"].as_i64().unwrap(), foreign["id"].as_i64().unwrap()], "{list}");
    assert!(!got.contains(&plain["id"].as_i64().unwrap()));
    // Asked for resolved tickets, the view shows the escalation that was resolved.
    let (_, list) = w.app.get("/api/v1/tickets?view=escalated&status=resolved", &w.sup_a).await;
    assert_eq!(ids(&list), vec![done["id"].as_i64().unwrap()], "{list}");
    // The dashboard counts the same inbox.
    let o = overview(&w, &w.sup_a, "").await;
    assert_eq!(o["tickets"]["escalated_open"], 1, "{o}");

    let (s, e) = w.app.get("/api/v1/tickets?view=upgraded", &w.sup_a).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
    assert_eq!(e["error"]["field"], "view");
    assert!(e["error"]["message"].as_str().unwrap().contains("escalated"), "{e}");
}
both_backends!(the_escalations_inbox_lists_active_tickets_above_the_first_tier);
