//! The phone channel (呼叫中心): call records from the telephony system, call-back tasks, the report.

use crate::both_backends;
use crate::common::{error_code, Backend, TestApp};
use crate::webhooks::two_merchants;
use kefu_core::org::Role;
use kefu_core::time::Millis;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn at(base: Millis, secs: i64) -> String {
    Millis(base.0 + secs * 1000).to_rfc3339()
}

/// An inbound call on A's line at `base + start` seconds: answered after `answer` seconds or not, ended
/// at `end` seconds.
fn call(id: &str, base: Millis, start: i64, answer: Option<i64>, end: i64) -> Value {
    let mut c = json!({
        "call_id": id,
        "caller": "138 1234 5678",
        "line": "400-800-1234",
        "ring_at": at(base, start),
        "ended_at": at(base, start + end),
    });
    if let Some(a) = answer {
        c["answered_at"] = json!(at(base, start + a));
    }
    c
}

/// Returns the merchants, their admins' logins, and each merchant's telephony system's API token.
async fn setup(app: &TestApp) -> ([i64; 2], [String; 2], [String; 2]) {
    let (_admin, merchants, tokens) = two_merchants(app).await;
    let (s, st) = app
        .put(
            "/api/v1/channels/phone/settings",
            &tokens[0],
            json!({"lines": [{"number": "400-800-1234", "label": "售后热线"}], "callback_due_mins": 60}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{st}");
    assert_eq!(st["lines"][0]["number"], "4008001234");
    assert_eq!(st["ring_secs"], 6);
    assert_eq!(st["rings_target"], 3);
    let (s, st) = app
        .put("/api/v1/channels/phone/settings", &tokens[1], json!({"lines": [{"number": "4008009999"}]}))
        .await;
    assert_eq!(s, StatusCode::OK, "{st}");
    let mut cti = [String::new(), String::new()];
    for i in 0..2 {
        let (s, t) = app
            .post("/api/v1/api-tokens", &tokens[i], json!({"name": "呼叫中心", "role": "merchant_admin"}))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{t}");
        cti[i] = t["token"].as_str().unwrap().to_string();
    }
    (merchants, tokens, cti)
}

async fn phone_call_creates_ticket_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (merchants, tokens, cti) = setup(&app).await;
    app.user("a.agent", Role::Agent, Some(merchants[0])).await;
    let agent = app.login("a.agent").await;
    let base = Millis(kefu_server::auth::now().0 - 3600 * 1000);

    let mut c = call("cti-0001", base, 0, Some(5), 185);
    c["agent"] = json!("a.agent");
    c["recording_ref"] = json!("rec/2026/0001.wav");
    c["ivr_choice"] = json!("2 售后");
    let (s, landed) = app.post("/api/v1/channels/phone/calls", &cti[0], c.clone()).await;
    assert_eq!(s, StatusCode::CREATED, "{landed}");
    assert_eq!(landed["duplicate"], false);
    assert_eq!(landed["call"]["outcome"], "answered");
    assert!(landed["callback"].is_null());
    let ticket = landed["ticket_id"].as_i64().unwrap();
    let (s, t) = app.get(&format!("/api/v1/tickets/{ticket}"), &agent).await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["ticket"]["channel"], "phone");
    assert_eq!(t["ticket"]["merchant_id"], json!(merchants[0]));
    let summary = t["messages"][0]["body"].as_str().unwrap().to_string();
    assert!(
        summary.contains("由 a.agent 接听")
            && summary.contains("响铃 5 秒")
            && summary.contains("rec/2026/0001.wav"),
        "{summary}"
    );
    // The customer was found (created) by phone number, and shows masked.
    let (_, found) = app.get("/api/v1/customers?phone=13812345678", &agent).await;
    let items = found["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{found}");
    assert_eq!(items[0]["id"], t["ticket"]["customer_id"]);
    assert!(!found.to_string().contains("13812345678"));
    assert!(landed["call"]["agent_id"].as_i64().is_some());

    // The same call_id again changes nothing.
    let version = t["ticket"]["version"].clone();
    let (s, again) = app.post("/api/v1/channels/phone/calls", &cti[0], c.clone()).await;
    assert_eq!(s, StatusCode::OK, "{again}");
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["ticket_id"], json!(ticket));
    assert_eq!(again["call"]["id"], landed["call"]["id"]);
    let (_, t2) = app.get(&format!("/api/v1/tickets/{ticket}"), &agent).await;
    assert_eq!(t2["ticket"]["version"], version);
    assert_eq!(t2["messages"].as_array().unwrap().len(), 1);
    let (_, list) = app.get("/api/v1/tickets?channel=phone", &agent).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");

    // A second call of the same customer lands in the same open phone ticket.
    let (s, second) =
        app.post("/api/v1/channels/phone/calls", &cti[0], call("cti-0002", base, 600, Some(8), 60)).await;
    assert_eq!(s, StatusCode::CREATED, "{second}");
    assert_eq!(second["ticket_id"], json!(ticket));

    // Merchant B reporting on merchant A's line: that line is unknown to B.
    let (s, e) =
        app.post("/api/v1/channels/phone/calls", &cti[1], call("cti-b-1", base, 0, Some(3), 30)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["field"], "line");
    // … and a line already A's cannot become B's.
    let (s, e) = app
        .put("/api/v1/channels/phone/settings", &tokens[1], json!({"lines": [{"number": "4008001234"}]}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["error"]["field"], "lines");
}
both_backends!(phone_call_creates_ticket_once);

async fn missed_call_opens_callback_task(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (merchants, tokens, cti) = setup(&app).await;
    app.user("a.agent", Role::Agent, Some(merchants[0])).await;
    let agent = app.login("a.agent").await;
    let base = Millis(kefu_server::auth::now().0 - 3600 * 1000);

    // Rang 30 s (beyond 3 rings × 6 s) with no answer: missed.
    let (s, landed) =
        app.post("/api/v1/channels/phone/calls", &cti[0], call("cti-miss", base, 0, None, 30)).await;
    assert_eq!(s, StatusCode::CREATED, "{landed}");
    assert_eq!(landed["call"]["outcome"], "missed");
    let cb = landed["callback"].clone();
    assert_eq!(cb["state"], "open", "{landed}");
    assert_eq!(cb["ticket_id"], landed["ticket_id"]);
    // Due 60 minutes after the call ended (the merchant's setting).
    let due = Millis::parse_rfc3339(cb["due_at"].as_str().unwrap()).unwrap();
    assert_eq!(due.0, base.0 + 30_000 + 60 * 60_000);

    // Agents see it in their list; the ticket's timeline shows it.
    let (s, list) = app.get("/api/v1/channels/phone/callbacks", &agent).await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["id"], cb["id"]);
    let ticket = landed["ticket_id"].as_i64().unwrap();
    let (_, events) = app.get(&format!("/api/v1/tickets/{ticket}/events"), &agent).await;
    assert!(events.to_string().contains(&format!("回拨任务 #{}", cb["id"])), "{events}");
    // Merchant B sees none of A's call-back tasks.
    let (_, list_b) = app.get("/api/v1/channels/phone/callbacks", &tokens[1]).await;
    assert!(list_b.as_array().unwrap().is_empty(), "{list_b}");
    let cb_id = cb["id"].as_i64().unwrap();
    let (s, _) =
        app.post(&format!("/api/v1/channels/phone/callbacks/{cb_id}/complete"), &tokens[1], json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Hung up after 4 s: abandoned, also a call-back task.
    let (s, ab) =
        app.post("/api/v1/channels/phone/calls", &cti[0], call("cti-aband", base, 100, None, 4)).await;
    assert_eq!(s, StatusCode::CREATED, "{ab}");
    assert_eq!(ab["call"]["outcome"], "abandoned");
    assert_eq!(ab["callback"]["state"], "open");

    // Done once: noted on the ticket, gone from the open list; done twice is a conflict.
    let (s, done) = app
        .post(
            &format!("/api/v1/channels/phone/callbacks/{cb_id}/complete"),
            &agent,
            json!({"note": "已回拨，客户问题已解决"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{done}");
    assert_eq!(done["state"], "done");
    assert!(done["done_by"].as_i64().is_some());
    let (s, e) =
        app.post(&format!("/api/v1/channels/phone/callbacks/{cb_id}/complete"), &agent, json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    let (_, open) = app.get("/api/v1/channels/phone/callbacks?state=open", &agent).await;
    assert_eq!(open.as_array().unwrap().len(), 1, "{open}");
    let (_, events) = app.get(&format!("/api/v1/tickets/{ticket}/events"), &agent).await;
    assert!(events.to_string().contains("已回拨，客户问题已解决"), "{events}");
    // Calling the customer back (an answered outbound call) completes their remaining open task.
    let mut back = call("cti-back", base, 1200, Some(7), 90);
    back["direction"] = json!("outbound");
    back["agent"] = json!("a.agent");
    let (s, b) = app.post("/api/v1/channels/phone/calls", &cti[0], back).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["callbacks_done"].as_array().unwrap().len(), 1, "{b}");
    assert_eq!(b["callbacks_done"][0]["id"], ab["callback"]["id"]);
    assert!(b["callbacks_done"][0]["done_by"].as_i64().is_some());
    let (_, open) = app.get("/api/v1/channels/phone/callbacks", &agent).await;
    assert!(open.as_array().unwrap().is_empty(), "{open}");
    let (_, all) = app.get("/api/v1/channels/phone/callbacks?state=all", &agent).await;
    assert_eq!(all.as_array().unwrap().len(), 2, "{all}");
    let (s, e) = app.get("/api/v1/channels/phone/callbacks?state=later", &agent).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["field"], "state");
}
both_backends!(missed_call_opens_callback_task);

async fn phone_report_figures(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (merchants, tokens, cti) = setup(&app).await;
    let base = Millis(kefu_server::auth::now().0 - 3 * 3600 * 1000);
    // Answered after 5, 12 and 20 s; missed after 30 s; abandoned after 4 s; one outbound call.
    let calls = [
        call("r1", base, 0, Some(5), 100),
        call("r2", base, 200, Some(12), 100),
        call("r3", base, 400, Some(20), 100),
        call("r4", base, 600, None, 30),
        call("r5", base, 800, None, 4),
    ];
    for c in calls {
        let (s, b) = app.post("/api/v1/channels/phone/calls", &cti[0], c).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
    }
    let mut out = call("r6", base, 1000, Some(9), 60);
    out["direction"] = json!("outbound");
    let (s, b) = app.post("/api/v1/channels/phone/calls", &cti[0], out).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert!(b["callback"].is_null());
    // Merchant B's call does not count in A's report.
    let mut other = call("b1", base, 0, Some(30), 60);
    other["line"] = json!("4008009999");
    let (s, b) = app.post("/api/v1/channels/phone/calls", &cti[1], other).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");

    let from = Millis(base.0 - 60_000).to_rfc3339();
    let to = kefu_server::auth::now().to_rfc3339();
    let q = format!("/api/v1/reports/phone?from={}&to={}", urlenc(&from), urlenc(&to));
    let (s, r) = app.get(&q, &tokens[0]).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["merchant_id"], json!(merchants[0]));
    assert_eq!(r["calls"], 5, "{r}");
    assert_eq!(r["answered"], 3);
    assert_eq!(r["missed"], 1);
    assert_eq!(r["abandoned"], 1);
    assert_eq!(r["outbound"], 1);
    assert_eq!(r["avg_answer_secs"], 12.33);
    assert_eq!(r["p90_answer_secs"], 20.0);
    // Within 3 rings × 6 s = 18 s: the 5 s and 12 s answers, 2 of 5 calls.
    assert_eq!(r["rings_target"], 3);
    assert_eq!(r["answered_within_target"], 2);
    assert_eq!(r["answered_within_target_rate"], 0.4);

    // A merchant raising the target to 4 rings counts the 20 s answer too.
    let (s, _) = app
        .put(
            "/api/v1/channels/phone/settings",
            &tokens[0],
            json!({"lines": [{"number": "4008001234"}], "rings_target": 4}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, r) = app.get(&q, &tokens[0]).await;
    assert_eq!(r["answered_within_target"], 3, "{r}");
    assert_eq!(r["answered_within_target_rate"], 0.6);

    // Bad periods name the field.
    let (s, e) = app.get("/api/v1/reports/phone?from=yesterday", &tokens[0]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["field"], "from");
    let bad = format!("/api/v1/reports/phone?from={}&to={}", urlenc(&to), urlenc(&from));
    let (s, e) = app.get(&bad, &tokens[0]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
}
both_backends!(phone_report_figures);

fn urlenc(s: &str) -> String {
    s.replace(':', "%3A").replace('+', "%2B")
}

async fn phone_bad_input(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (_merchants, tokens, cti) = setup(&app).await;
    let base = Millis(kefu_server::auth::now().0 - 3600 * 1000);
    let mut cases = Vec::new();
    let mut c = call("x1", base, 0, Some(5), 60);
    c["line"] = json!("4000000000");
    cases.push((c, "line"));
    let mut c = call("x2", base, 0, Some(5), 60);
    c["caller"] = json!("not-a-number");
    cases.push((c, "caller"));
    cases.push((call("x3", base, 0, Some(90), 60), "answered_at"));
    let mut c = call("x4", base, 0, None, 60);
    c["ended_at"] = json!(at(base, -10));
    cases.push((c, "ended_at"));
    let mut c = call("x5", base, 0, Some(5), 60);
    c["agent"] = json!("nobody.here");
    cases.push((c, "agent"));
    cases.push((call("", base, 0, Some(5), 60), "call_id"));
    let mut c = call("x7", base, 0, Some(5), 60);
    c["ring_at"] = json!("yesterday");
    cases.push((c, "ring_at"));
    let mut c = call("x8", base, 0, Some(5), 60);
    c["direction"] = json!("sideways");
    cases.push((c, "direction"));
    for (body, field) in cases {
        let (s, e) = app.post("/api/v1/channels/phone/calls", &cti[0], body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {e}");
        assert_eq!(error_code(&e), "validation");
        assert_eq!(e["error"]["field"], field, "{body}: {e}");
    }
    // Nothing was stored by the refused reports.
    let (_, list) = app.get("/api/v1/tickets?channel=phone", &tokens[0]).await;
    assert!(list["items"].as_array().unwrap().is_empty(), "{list}");
    for (body, field) in [
        (json!({"lines": [{"number": "abc"}]}), "lines"),
        (json!({"lines": [], "ring_secs": 0}), "ring_secs"),
        (json!({"lines": [], "rings_target": 99}), "rings_target"),
        (json!({"lines": [], "callback_due_mins": 1}), "callback_due_mins"),
    ] {
        let (s, e) = app
            .call(Method::PUT, "/api/v1/channels/phone/settings", Some(&tokens[0]), Some(body.clone()))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {e}");
        assert_eq!(e["error"]["field"], field, "{body}: {e}");
    }
}
both_backends!(phone_bad_input);
