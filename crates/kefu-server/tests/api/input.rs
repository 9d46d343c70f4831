//! Bad input gets a clear, stable error and never a 500.

use crate::common::{error_code, Backend, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn raw(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    ctype: Option<&str>,
    body: Vec<u8>,
) -> (StatusCode, serde_json::Value) {
    let mut req = app.client.request(method, format!("{}{}", app.base, path)).body(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(c) = ctype {
        req = req.header("content-type", c);
    }
    let resp = req.send().await.unwrap();
    let s = resp.status();
    let text = resp.text().await.unwrap();
    (s, serde_json::from_str(&text).unwrap_or_else(|_| panic!("{s} answered non-JSON: {text}")))
}

#[tokio::test]
async fn malformed_bodies_name_the_problem() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin().await;
    let json_ct = Some("application/json");

    let (s, e) =
        raw(&app, Method::POST, "/api/v1/merchants", Some(&admin), json_ct, b"{\"code\": ".to_vec()).await;
    assert_eq!((s, error_code(&e)), (StatusCode::BAD_REQUEST, "bad_request".into()));

    let (s, e) = raw(&app, Method::POST, "/api/v1/merchants", Some(&admin), None, b"{}".to_vec()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert!(e["error"]["message"].as_str().unwrap().contains("application/json"));

    let (s, e) = app.post("/api/v1/merchants", &admin, json!({"code": 42, "name": "x"})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("code")), "{e}");

    let (s, e) = app.post("/api/v1/merchants", &admin, json!({"name": "x"})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("code")), "{e}");

    let (s, e) = app
        .post(
            "/api/v1/users",
            &admin,
            json!({"username": "abc", "display_name": "x", "password": "Long-Enough-1", "role": "boss"}),
        )
        .await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("role")), "{e}");
    assert!(e["error"]["message"].as_str().unwrap().contains("unknown variant"));

    let (s, e) =
        app.post("/api/v1/merchants", &admin, json!({"code": "shop-x", "name": "x", "colour": "red"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "unknown fields are refused: {e}");

    let (s, e) = app.post("/api/v1/merchants", &admin, json!({"code": "Shop X", "name": "x"})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("code")));

    let (s, e) = app.post("/api/v1/merchants", &admin, json!({"code": "shop-y", "name": "  "})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("name")));

    let huge = format!("{{\"code\":\"shop-z\",\"name\":\"{}\"}}", "客".repeat(600_000));
    let (s, e) = raw(&app, Method::POST, "/api/v1/merchants", Some(&admin), json_ct, huge.into_bytes()).await;
    assert_eq!((s, error_code(&e)), (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large".into()));

    let (s, e) = app.get("/api/v1/users/abc", &admin).await;
    assert_eq!((s, error_code(&e)), (StatusCode::BAD_REQUEST, "bad_request".into()));
    let (s, e) = app.get("/api/v1/users?limit=100000", &admin).await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("limit")));
    let (s, e) = app.get("/api/v1/users?cursor=zzz", &admin).await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("cursor")));
    let (s, e) = app.get("/api/v1/audit?from=yesterday", &admin).await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("from")));
    let (s, _) = app.get("/api/v1/users?sort=name", &admin).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "unknown query parameters are refused");

    let (s, e) = app.get("/api/v1/nothing-here", &admin).await;
    assert_eq!((s, error_code(&e)), (StatusCode::NOT_FOUND, "not_found".into()));
    let (s, e) = app.call(Method::DELETE, "/api/v1/merchants", Some(&admin), None).await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
    error_code(&e);
}

#[tokio::test]
async fn injection_attempts_are_harmless() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let admin = app.admin().await;
    // SQL in values is stored as text, never executed.
    let evil = "甲店'); DROP TABLE users; --";
    let (s, m) = app.post("/api/v1/merchants", &admin, json!({"code": "shop-sql", "name": evil})).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(m["name"], evil);
    let (s, e) = app
        .post("/api/v1/auth/login", &admin, json!({"username": "' OR '1'='1", "password": "' OR '1'='1"}))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{e}");
    assert_eq!(app.get("/api/v1/users", &admin).await.0, StatusCode::OK, "users table still there");
    let (s, _) = app.get("/api/v1/users/1%20OR%201=1", &admin).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, e) = app.get("/api/v1/audit?action=x%27%20OR%20%271%27=%271", &admin).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(e["items"].as_array().unwrap().len(), 0);
    // Path traversal through the web UI path serves nothing from outside.
    let r = app.client.get(format!("{}/..%2F..%2F..%2Fetc%2Fpasswd", app.base)).send().await.unwrap();
    assert!(!r.text().await.unwrap().contains("root:"));
    let r = app.client.get(format!("{}/assets/../../Cargo.toml", app.base)).send().await.unwrap();
    assert!(!r.text().await.unwrap().contains("[package]"));
    // A hostile request id is replaced, not echoed into headers or logs.
    let r = app
        .client
        .get(format!("{}/healthz", app.base))
        .header("x-request-id", "a b<script>")
        .send()
        .await
        .unwrap();
    let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    assert!(id.chars().all(|c| c.is_ascii_hexdigit()), "{id}");
    // Garbage credentials are a plain 401.
    let (s, e) = app.get("/api/v1/me", "kfs_not-a-real-session").await;
    assert_eq!((s, error_code(&e)), (StatusCode::UNAUTHORIZED, "unauthenticated".into()));
}
