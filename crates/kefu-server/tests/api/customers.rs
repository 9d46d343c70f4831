//! Customer files: personal data masked on screen, revealed only with a permission and a reason (audited),
//! encrypted at rest yet findable by phone number; duplicates merge.

use crate::both_backends;
use crate::common::{Backend, TestApp};
use kefu_core::org::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn masking_reveal_and_lookup(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await;
    let (_, m) = app.post("/api/v1/merchants", &admin, json!({"code": "shop-a", "name": "甲店"})).await;
    let mid = m["id"].as_i64();
    app.user("a.agent", Role::Agent, mid).await;
    app.user("a.senior", Role::SeniorAgent, mid).await;
    let agent = app.login("a.agent").await;
    let senior = app.login("a.senior").await;
    let (st, c) = app
        .post("/api/v1/customers", &agent, json!({"display_name": "张伟", "phone": "138 1234 5678", "email": "Zhang.Wei@Example.com",
            "address": "广东省深圳市南山区科技园路1号3栋502", "member_tier": "diamond", "vip": true, "account_id": "tb_zhangwei"}))
        .await;
    assert_eq!(st, StatusCode::CREATED, "{c}");
    assert_eq!(c["display_name"], "张伟");
    assert_eq!(c["phone"], "138****5678");
    assert_eq!(c["email"], "z***@example.com");
    assert!(
        c["address"].as_str().unwrap().starts_with("广东省深圳市南山区")
            && !c["address"].as_str().unwrap().contains("502")
    );
    let id = c["id"].as_i64().unwrap();

    // Found by phone in any common format, and by email in any case.
    let (_, found) = app.get("/api/v1/customers?phone=%2B86%2013812345678", &agent).await;
    assert_eq!(found["items"][0]["id"], id, "{found}");
    let (_, found) = app.get("/api/v1/customers?email=zhang.wei%40example.com", &agent).await;
    assert_eq!(found["items"][0]["id"], id);
    let (st, e) = app.get("/api/v1/customers?phone=not-a-phone", &agent).await;
    assert_eq!((st, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("phone")));

    // Agents cannot reveal; a senior agent can, with a reason, and the reveal is audited with it.
    let (st, _) = app
        .post(&format!("/api/v1/customers/{id}/reveal"), &agent, json!({"field": "phone", "reason": "回拨"}))
        .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, e) = app
        .post(&format!("/api/v1/customers/{id}/reveal"), &senior, json!({"field": "phone", "reason": ""}))
        .await;
    assert_eq!((st, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("reason")));
    let (st, r) = app
        .post(
            &format!("/api/v1/customers/{id}/reveal"),
            &senior,
            json!({"field": "phone", "reason": "客户要求回电"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{r}");
    assert_eq!(r["value"], "13812345678");
    let (_, log) = app.get("/api/v1/audit?action=customer.reveal", &admin).await;
    let rec = &log["items"][0];
    assert_eq!(rec["actor_name"], "a.senior");
    assert!(rec["after"].as_str().unwrap().contains("客户要求回电"));
    assert!(!log.to_string().contains("13812345678"), "the audit trail holds no clear personal data");

    // A second profile of the same person merges into the first; its tickets follow.
    let (_, dup) =
        app.post("/api/v1/customers", &agent, json!({"display_name": "张伟", "visitor_id": "v-8842"})).await;
    let (_, t) = app
        .post(
            "/api/v1/tickets",
            &agent,
            json!({"channel": "chat", "subject": "在吗", "customer_id": dup["id"]}),
        )
        .await;
    let (st, merged) = app
        .post(&format!("/api/v1/customers/{}/merge", dup["id"]), &agent, json!({"into_customer_id": id}))
        .await;
    assert_eq!(st, StatusCode::OK, "{merged}");
    assert_eq!(merged["visitor_id"], "v-8842");
    let (_, history) = app.get(&format!("/api/v1/customers/{id}/tickets"), &agent).await;
    assert!(history["items"].as_array().unwrap().iter().any(|x| x["id"] == t["id"]));
    let (_, gone) = app.get(&format!("/api/v1/customers/{}", dup["id"]), &agent).await;
    assert_eq!(gone["merged_into"], id);

    // A copied database holds no personal data in clear.
    if let Backend::Sqlite = b {
        app.call(Method::GET, "/healthz", None, None).await;
        let db = std::fs::read(app.data_dir().join("kefu.db")).unwrap();
        let mut all = db;
        if let Ok(wal) = std::fs::read(app.data_dir().join("kefu.db-wal")) {
            all.extend(wal);
        }
        let hay = String::from_utf8_lossy(&all);
        for secret in ["13812345678", "zhang.wei@example.com", "科技园路1号3栋502", "张伟"] {
            assert!(!hay.contains(secret), "'{secret}' is stored in clear");
        }
    }
}
both_backends!(masking_reveal_and_lookup);
