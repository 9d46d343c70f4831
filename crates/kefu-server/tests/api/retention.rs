//! Retention: closed tickets are kept at least three years, then archived and removed, with an audit record.

use crate::both_backends;
use crate::common::{Backend, TestApp};
use kefu_core::time::Millis;
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn closed_tickets_are_archived_after_their_retention(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await;
    let (_, m) = app.post("/api/v1/merchants", &admin, json!({"code": "shop-r", "name": "留存店"})).await;
    let (_, t) = app.post("/api/v1/tickets", &admin, json!({"merchant_id": m["id"], "channel": "email", "subject": "发票", "body": "请开发票，抬头：某某公司"})).await;
    let id = t["id"].as_i64().unwrap();
    let (_, open) = app
        .post(
            "/api/v1/tickets",
            &admin,
            json!({"merchant_id": m["id"], "channel": "email", "subject": "仍在处理", "body": "x"}),
        )
        .await;
    for status in ["resolved", "closed"] {
        if status == "resolved" {
            app.post(&format!("/api/v1/tickets/{id}/replies"), &admin, json!({"body": "已开具"})).await;
        }
        let (st, body) =
            app.post(&format!("/api/v1/tickets/{id}/status"), &admin, json!({"status": status})).await;
        assert_eq!(st, StatusCode::OK, "{body}");
    }
    // Below the legal minimum is refused.
    let (st, e) = app
        .call(
            Method::PUT,
            "/api/v1/settings/retention",
            Some(&admin),
            Some(json!({"default": {"years": 2, "action": "archive"}})),
        )
        .await;
    assert_eq!((st, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("years")));

    let state = app.state();
    let year = 365 * Millis::DAY;
    let now = kefu_server::auth::now();
    let r = kefu_server::retention::run_once(&state, now.plus_ms(2 * year)).await.unwrap();
    assert_eq!((r.archived, r.purged), (0, 0), "kept within three years");
    // The merchant keeps five years: still there after four.
    let (st, _) = app
        .call(Method::PUT, "/api/v1/settings/retention", Some(&admin), Some(json!({"default": {"years": 3, "action": "archive"}, "merchants": {m["id"].to_string(): {"years": 5, "action": "archive"}}})))
        .await;
    assert_eq!(st, StatusCode::OK);
    let r = kefu_server::retention::run_once(&state, now.plus_ms(4 * year)).await.unwrap();
    assert_eq!((r.archived, r.kept), (0, 1));
    assert_eq!(app.get(&format!("/api/v1/tickets/{id}"), &admin).await.0, StatusCode::OK);
    let r = kefu_server::retention::run_once(&state, now.plus_ms(5 * year + 30 * Millis::DAY)).await.unwrap();
    assert_eq!(r.archived, 1);
    assert_eq!(app.get(&format!("/api/v1/tickets/{id}"), &admin).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get(&format!("/api/v1/tickets/{}", open["id"]), &admin).await.0,
        StatusCode::OK,
        "active tickets are never removed"
    );
    // The archive has the whole record; the audit trail says what happened and still verifies.
    let archive_dir = app.data_dir().join("archive");
    let text: String = std::fs::read_dir(&archive_dir)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert!(
        text.contains(t["number"].as_str().unwrap())
            && text.contains("请开发票，抬头：某某公司")
            && text.contains("status_changed")
    );
    let (_, log) = app.get("/api/v1/audit?action=ticket.purged", &admin).await;
    assert_eq!(log["items"].as_array().unwrap().len(), 1);
    assert!(kefu_store::verify_audit(app.store.as_ref()).await.unwrap().is_ok());
    // There is no way to delete a ticket through the API.
    let (st, _) =
        app.call(Method::DELETE, &format!("/api/v1/tickets/{}", open["id"]), Some(&admin), None).await;
    assert_eq!(st, StatusCode::METHOD_NOT_ALLOWED);
}
both_backends!(closed_tickets_are_archived_after_their_retention);
