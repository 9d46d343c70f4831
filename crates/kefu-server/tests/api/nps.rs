//! Net Promoter Score surveys on a schedule (净推荐值调查), on both backends: the schedule and its
//! validation, a round that invites each customer with a resolved ticket once (their latest), the mail to
//! an email ticket's customer, the survey page answered once by form or JSON, forged links, the figures per
//! merchant, and a round that runs only when due.

use crate::both_backends;
use crate::common::{Backend, TestApp};
use crate::webhooks::two_merchants;
use kefu_core::org::Role;
use kefu_core::time::Millis;
use reqwest::StatusCode;
use serde_json::{json, Value};

async fn ok(app: &TestApp, path: &str, token: &str, body: Value) -> Value {
    let (s, b) = app.post(path, token, body).await;
    assert!(s.is_success(), "{path}: {s} {b}");
    b
}

/// A resolved ticket of a new customer of the agent's merchant, on `channel`; (customer, ticket).
async fn resolved(app: &TestApp, agent: &str, channel: &str, customer: Option<i64>) -> (i64, i64) {
    let customer = match customer {
        Some(c) => c,
        None => {
            ok(app, "/api/v1/customers", agent, json!({"display_name": "小林"})).await["id"].as_i64().unwrap()
        }
    };
    let t = ok(
        app,
        "/api/v1/tickets",
        agent,
        json!({"customer_id": customer, "channel": channel, "subject": "咨询", "body": "你好"}),
    )
    .await;
    let id = t["id"].as_i64().unwrap();
    ok(app, &format!("/api/v1/tickets/{id}/take"), agent, json!({})).await;
    ok(app, &format!("/api/v1/tickets/{id}/status"), agent, json!({"status": "resolved"})).await;
    (customer, id)
}

async fn answer_json(app: &TestApp, token: &str, score: Value) -> (StatusCode, Value) {
    let r = app
        .client
        .post(format!("{}/nps", app.base))
        .json(&json!({"token": token, "score": score, "comment": "物流很快"}))
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

async fn scheduled_rounds_and_answers(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.public_url = "https://kefu.example".into()).await;
    let (_admin, m, admins) = two_merchants(&app).await;
    app.user("a.one", Role::Agent, Some(m[0])).await;
    let agent = app.login("a.one").await;
    app.user("b.one", Role::Agent, Some(m[1])).await;
    let agent_b = app.login("b.one").await;

    // The schedule: merchant admins set it, within 7..=365 days; agents may not.
    let (s, e) = app.put("/api/v1/nps/schedule", &admins[0], json!({"interval_days": 6})).await;
    assert_eq!(
        (s, e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("interval_days")),
        "{e}"
    );
    let (s, _) = app.put("/api/v1/nps/schedule", &agent, json!({"interval_days": 30})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, sched) = app.put("/api/v1/nps/schedule", &admins[0], json!({"interval_days": 30})).await;
    assert_eq!(s, StatusCode::OK, "{sched}");
    assert_eq!((sched["interval_days"].as_i64(), sched["active"].as_bool()), (Some(30), Some(true)));
    let (s, _) = app.put("/api/v1/nps/schedule", &admins[1], json!({"interval_days": 90})).await;
    assert_eq!(s, StatusCode::OK);

    // Merchant A: an email customer with two resolved tickets, a web customer, one still open; B: one.
    let (c_mail, _older) = resolved(&app, &agent, "email", None).await;
    let (_, latest) = resolved(&app, &agent, "email", Some(c_mail)).await;
    let (c_web, web_ticket) = resolved(&app, &agent, "web", None).await;
    let open = ok(&app, "/api/v1/customers", &agent, json!({"display_name": "老周"})).await;
    ok(
        &app,
        "/api/v1/tickets",
        &agent,
        json!({"customer_id": open["id"], "channel": "web", "subject": "还在处理"}),
    )
    .await;
    resolved(&app, &agent_b, "web", None).await;

    let state = app.state();
    // A moment after the last resolution (the window is [since, now)).
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let now = kefu_server::auth::now();
    let made = kefu_server::api::nps::round(&state, now).await.unwrap();
    let mine: Vec<_> = made.iter().filter(|i| i.merchant_id == m[0]).collect();
    assert_eq!(mine.len(), 2, "one invitation per customer with a resolved ticket: {made:?}");
    let mail = mine.iter().find(|i| i.customer_id == c_mail).unwrap();
    assert_eq!(mail.ticket_id, Some(latest), "the customer's latest resolved ticket");
    let web = mine.iter().find(|i| i.customer_id == c_web).unwrap();
    assert_eq!(web.ticket_id, Some(web_ticket));
    assert_eq!(made.iter().filter(|i| i.merchant_id == m[1]).count(), 1);

    // Not due again the next day; another node's round changes nothing.
    let again = kefu_server::api::nps::round(&state, Millis(now.0 + 86_400_000)).await.unwrap();
    assert!(again.is_empty(), "{again:?}");
    let node2 = app.second_node().await;
    assert!(kefu_server::api::nps::round(&node2, Millis(now.0 + 2000)).await.unwrap().is_empty());

    // The email customer got the invitation by mail, with the signed link.
    let (s, jobs) = app.get("/api/v1/channels/email/deliveries", &admins[0]).await;
    assert_eq!(s, StatusCode::OK, "{jobs}");
    let bodies: Vec<String> = jobs
        .as_array()
        .unwrap()
        .iter()
        .map(|j| {
            serde_json::from_str::<Value>(j["payload"].as_str().unwrap()).unwrap()["body"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .filter(|b| b.contains("/nps?token=knp_"))
        .collect();
    assert_eq!(bodies.len(), 1, "one mail, to the email customer only: {bodies:?}");
    let start = bodies[0].find("https://kefu.example/nps?token=").unwrap();
    let link: String = bodies[0][start..].chars().take_while(|c| !c.is_whitespace()).collect();
    let mail_token = link.split("token=").nth(1).unwrap().to_string();

    // The page: 0–10; answered once (JSON), then a clear page; bad input names the field.
    let page = app.client.get(format!("{}/nps?token={mail_token}", app.base)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("nps-score-0") && html.contains("nps-score-10") && html.contains("推荐"), "{html}");
    let (s, e) = answer_json(&app, &mail_token, json!(11)).await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("score")), "{e}");
    let (s, r) = answer_json(&app, &mail_token, json!(10)).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let (s, _) = answer_json(&app, &mail_token, json!(2)).await;
    assert_eq!(s, StatusCode::CONFLICT, "answered once");
    let page = app.client.get(format!("{}/nps?token={mail_token}", app.base)).send().await.unwrap();
    assert!(page.text().await.unwrap().contains("nps-already"));

    // The web customer answers the form of the link an agent would hand out.
    let path = kefu_server::api::nps::link_path(&state, web).await.unwrap();
    let token = path.split("token=").nth(1).unwrap();
    let r = app
        .client
        .post(format!("{}/nps", app.base))
        .form(&[("token", token), ("score", "3"), ("comment", "客服回复慢")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("nps-thanks"));

    // Forged and moved links.
    let r = app.client.get(format!("{}/nps?token=knp_1_99999999999_00", app.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let moved = mail_token.replacen(&format!("knp_{}_", mail.id), &format!("knp_{}_", web.id), 1);
    let r = app.client.get(format!("{}/nps?token={moved}", app.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // The figures: one promoter, one detractor of two answers; merchant B sees its own only.
    let (s, f) = app.get("/api/v1/reports/nps", &admins[0]).await;
    assert_eq!(s, StatusCode::OK, "{f}");
    assert_eq!(
        (
            f["invited"].as_i64(),
            f["answered"].as_i64(),
            f["promoters"].as_i64(),
            f["detractors"].as_i64(),
            f["nps"].as_f64()
        ),
        (Some(2), Some(2), Some(1), Some(1), Some(0.0)),
        "{f}"
    );
    let (_, fb) = app.get("/api/v1/reports/nps", &admins[1]).await;
    assert_eq!(
        (fb["invited"].as_i64(), fb["answered"].as_i64(), fb["nps"].as_f64()),
        (Some(1), Some(0), None),
        "{fb}"
    );
    let (s, _) = app.get(&format!("/api/v1/reports/nps?merchant_id={}", m[0]), &admins[1]).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Thirty days on, the next round asks only about what was resolved since.
    let later = kefu_server::api::nps::round(&state, Millis(now.0 + 31 * 86_400_000)).await.unwrap();
    assert!(later.iter().all(|i| i.merchant_id != m[0]), "nothing resolved since: {later:?}");
    let (_, sched) = app.get("/api/v1/nps/schedule", &admins[0]).await;
    assert!(sched["last_run_at"].is_string(), "{sched}");
}
both_backends!(scheduled_rounds_and_answers);
