//! The foundation story through the API, on both backends.

use crate::both_backends;
use crate::common::{error_code, Backend, TestApp, PASSWORD};
use kefu_core::org::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn organisation_and_audit(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await;

    let (s, m) = app.post("/api/v1/merchants", &admin, json!({"code": "shop-a", "name": "甲店"})).await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    let mid = m["id"].as_i64().unwrap();
    let (s, t) = app
        .post("/api/v1/teams", &admin, json!({"name": "售后组", "owner": "merchant", "merchant_id": mid}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let (s, d) =
        app.post("/api/v1/departments", &admin, json!({"code": "logistics", "name": "物流部"})).await;
    assert_eq!(s, StatusCode::CREATED, "{d}");

    // A merchant admin creates staff in their own merchant, with a reporting line.
    let (s, ma) = app
        .post("/api/v1/users", &admin, json!({"username": "a.admin", "display_name": "甲店管理员", "password": PASSWORD, "role": "merchant_admin", "merchant_id": mid}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{ma}");
    let ma_token = app.login("a.admin").await;
    let (s, sup) = app
        .post("/api/v1/users", &ma_token, json!({"username": "a.sup", "display_name": "主管", "password": PASSWORD, "role": "supervisor", "team_id": t["id"]}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{sup}");
    assert_eq!(sup["merchant_id"], mid);
    let (s, agent) = app
        .post(
            "/api/v1/users",
            &ma_token,
            json!({"username": "a.agent", "display_name": "客服小王", "password": PASSWORD, "role": "agent",
            "team_id": t["id"], "supervisor_id": sup["id"], "department_id": d["id"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{agent}");
    assert_eq!(agent["supervisor_id"], sup["id"]);
    // The password is never returned.
    assert!(agent.get("password_hash").is_none() && agent.get("password").is_none());

    // Duplicate username: 409 naming the field.
    let (s, e) = app
        .post(
            "/api/v1/users",
            &ma_token,
            json!({"username": "a.agent", "display_name": "x", "password": PASSWORD, "role": "agent"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(e["error"]["field"], "username");

    // Merchant admin cannot mint a platform admin.
    let (s, _) = app
        .post(
            "/api/v1/users",
            &ma_token,
            json!({"username": "evil", "display_name": "x", "password": PASSWORD, "role": "platform_admin"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Each change is in the audit log with who, from where, before and after.
    let (s, log) = app.get("/api/v1/audit?action=user.create&limit=10", &admin).await;
    assert_eq!(s, StatusCode::OK);
    let items = log["items"].as_array().unwrap();
    assert!(items.len() >= 3);
    let rec = items
        .iter()
        .find(|r| r["object_id"].as_str() == Some(agent["id"].to_string().as_str()))
        .expect("agent creation audited");
    assert_eq!(rec["actor_name"], "a.admin");
    assert_eq!(rec["ip"], "127.0.0.1");
    assert!(rec["after"].as_str().unwrap().contains("客服小王"));
    let (s, upd) = app
        .call(
            Method::PATCH,
            &format!("/api/v1/users/{}", agent["id"]),
            Some(&ma_token),
            Some(json!({"display_name": "客服小李"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{upd}");
    let (_, log) = app.get("/api/v1/audit?action=user.update", &ma_token).await;
    let rec = &log["items"][0];
    assert!(
        rec["before"].as_str().unwrap().contains("客服小王")
            && rec["after"].as_str().unwrap().contains("客服小李")
    );
    // Filters by time: nothing in the future.
    let (_, none) = app.get("/api/v1/audit?from=2100-01-01T00:00:00Z", &admin).await;
    assert_eq!(none["items"].as_array().unwrap().len(), 0);
    // Pagination walks every record exactly once.
    let mut seen = std::collections::HashSet::new();
    let mut cursor = String::new();
    loop {
        let (_, page) = app.get(&format!("/api/v1/audit?limit=2&cursor={cursor}"), &admin).await;
        for r in page["items"].as_array().unwrap() {
            assert!(seen.insert(r["id"].as_i64().unwrap()));
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    assert!(seen.len() >= 8);
    let verify = kefu_store::verify_audit(app.store.as_ref()).await.unwrap();
    assert!(verify.is_ok(), "{verify:?}");
}
both_backends!(organisation_and_audit);

async fn login_lockout_and_unlock(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await;
    let uid = app.user("li.lei", Role::Agent, None).await;
    let bad = json!({"username": "li.lei", "password": "Wrong-Pass-1"});
    for i in 1..=4 {
        let (s, e) = app.call(Method::POST, "/api/v1/auth/login", None, Some(bad.clone())).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "attempt {i}");
        assert_eq!(error_code(&e), "unauthenticated");
    }
    // The fifth failure locks; then even the right password is refused.
    let (s, e) = app.call(Method::POST, "/api/v1/auth/login", None, Some(bad.clone())).await;
    assert_eq!(s, StatusCode::LOCKED);
    assert_eq!(error_code(&e), "account_locked");
    let good = json!({"username": "li.lei", "password": PASSWORD});
    let (s, _) = app.call(Method::POST, "/api/v1/auth/login", None, Some(good.clone())).await;
    assert_eq!(s, StatusCode::LOCKED);
    let (_, u) = app.get(&format!("/api/v1/users/{uid}"), &admin).await;
    assert!(u["locked_until"].is_string());
    // An admin unlocks it.
    let (s, u) = app.post(&format!("/api/v1/users/{uid}/unlock"), &admin, json!({})).await;
    assert_eq!(s, StatusCode::OK);
    assert!(u["locked_until"].is_null());
    let (s, _) = app.call(Method::POST, "/api/v1/auth/login", None, Some(good)).await;
    assert_eq!(s, StatusCode::OK);
    // Unknown accounts answer like wrong passwords.
    let (s, e) = app
        .call(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": "nobody", "password": "x"})))
        .await;
    assert_eq!((s, error_code(&e)), (StatusCode::UNAUTHORIZED, "unauthenticated".to_string()));
    // Failures and the lock are audited.
    let (_, log) = app.get("/api/v1/audit?action=auth.account_locked", &admin).await;
    assert_eq!(log["items"].as_array().unwrap().len(), 1);
}
both_backends!(login_lockout_and_unlock);

async fn login_is_throttled_per_address() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| c.security.login_attempts_per_ip_per_minute = 3).await;
    for name in ["a1", "a2", "a3"] {
        let (s, _) = app
            .call(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": name, "password": "x"})))
            .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, e) = app
        .call(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": "a4", "password": "x"})))
        .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(error_code(&e), "rate_limited");
}

#[tokio::test]
async fn throttle_per_address() {
    login_is_throttled_per_address().await
}

async fn totp_enrolment_and_login(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await;
    let uid = app.user("han.mei", Role::Supervisor, None).await;
    let token = app.login("han.mei").await;
    let (s, en) = app.post("/api/v1/me/totp/enroll", &token, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{en}");
    let secret = en["secret"].as_str().unwrap().to_string();
    assert!(en["otpauth_url"].as_str().unwrap().contains(&secret));
    let (s, e) = app.post("/api/v1/me/totp/confirm", &token, json!({"code": "000000"})).await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("code")));
    let now = || std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let code = kefu_server::auth::totp::generate(&secret, now()).unwrap();
    let (s, _) = app.post("/api/v1/me/totp/confirm", &token, json!({"code": code})).await;
    assert_eq!(s, StatusCode::NO_CONTENT);

    // Now a password alone is not enough.
    let (s, e) = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "han.mei", "password": PASSWORD})),
        )
        .await;
    assert_eq!((s, error_code(&e)), (StatusCode::UNAUTHORIZED, "totp_required".to_string()));
    let (s, _) = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "han.mei", "password": PASSWORD, "totp_code": "123456"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let code = kefu_server::auth::totp::generate(&secret, now()).unwrap();
    let (s, body) = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "han.mei", "password": PASSWORD, "totp_code": code})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["totp_enabled"], true);

    // An admin resets a lost second factor.
    let (s, _) = app.call(Method::DELETE, &format!("/api/v1/users/{uid}/totp"), Some(&admin), None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    app.login("han.mei").await;
}
both_backends!(totp_enrolment_and_login);

/// The second factor's seed and the chat widget's signing secret are encrypted at rest; a seed stored
/// in plain by an older version keeps working and is encrypted at the next start.
async fn secrets_are_encrypted_at_rest(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await;
    let uid = app.user("lin.na", Role::Supervisor, None).await;
    let token = app.login("lin.na").await;
    let (s, en) = app.post("/api/v1/me/totp/enroll", &token, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{en}");
    let secret = en["secret"].as_str().unwrap().to_string();
    let now = || std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let code = kefu_server::auth::totp::generate(&secret, now()).unwrap();
    let (s, _) = app.post("/api/v1/me/totp/confirm", &token, json!({"code": code})).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let seed_query = format!("SELECT totp_secret FROM users WHERE id = {uid}");
    let stored = || app.sql_text(&seed_query);
    let at_rest = stored().await.unwrap();
    assert!(at_rest.starts_with("v1:") && !at_rest.contains(&secret), "{at_rest}");
    let login = |code: String| {
        app.call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "lin.na", "password": PASSWORD, "totp_code": code})),
        )
    };
    let (s, body) = login(kefu_server::auth::totp::generate(&secret, now()).unwrap()).await;
    assert_eq!(s, StatusCode::OK, "{body}");

    // The chat widget's secret: shown to the admin once, encrypted in the database.
    let (_, m) =
        app.post("/api/v1/merchants", &admin, json!({"code": "sealed-shop", "name": "密钥小店"})).await;
    let merchant = m["id"].as_i64().unwrap();
    let (s, chat) = app.get(&format!("/api/v1/channels/chat?merchant_id={merchant}"), &admin).await;
    assert_eq!(s, StatusCode::OK, "{chat}");
    let chat_secret = chat["secret"].as_str().unwrap().to_string();
    assert!(chat_secret.starts_with("cs_"), "{chat}");
    let at_rest = app
        .sql_text(&format!("SELECT secret FROM chat_settings WHERE owner_key = 'merchant:{merchant}'"))
        .await
        .unwrap();
    assert!(at_rest.starts_with("v1:") && !at_rest.contains(&chat_secret), "{at_rest}");

    // An older version stored the seed in plain: it still signs in, and the next start encrypts it.
    let legacy = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
    app.sql(&format!("UPDATE users SET totp_secret = '{legacy}' WHERE id = {uid}")).await;
    let (s, body) = login(kefu_server::auth::totp::generate(legacy, now()).unwrap()).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let sealed = app
        .store
        .seal_plain_secrets(&kefu_store::AuditCtx::operator("start", kefu_server::auth::now()))
        .await
        .unwrap();
    assert_eq!(sealed, 1);
    let at_rest = stored().await.unwrap();
    assert!(at_rest.starts_with("v1:") && !at_rest.contains(legacy), "{at_rest}");
    let (s, body) = login(kefu_server::auth::totp::generate(legacy, now()).unwrap()).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    // Nothing left to seal: a second start changes nothing.
    let again = app
        .store
        .seal_plain_secrets(&kefu_store::AuditCtx::operator("start", kefu_server::auth::now()))
        .await
        .unwrap();
    assert_eq!(again, 0);
}
both_backends!(secrets_are_encrypted_at_rest);

async fn mandatory_totp_per_role(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await;
    app.user("qa.zhao", Role::QaInspector, None).await;
    app.user("agent.qian", Role::Agent, None).await;
    let (s, body) = app
        .call(
            Method::PUT,
            "/api/v1/settings/security",
            Some(&admin),
            Some(json!({"mandatory_totp_roles": ["qa_inspector"]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let qa = app.login("qa.zhao").await;
    let (_, me) = app.get("/api/v1/me", &qa).await;
    assert_eq!(me["totp_enrolment_required"], true);
    let (s, e) = app.get("/api/v1/teams", &qa).await;
    assert_eq!((s, error_code(&e)), (StatusCode::FORBIDDEN, "totp_enrolment_required".to_string()));
    // Other roles are not affected.
    let agent = app.login("agent.qian").await;
    assert_eq!(app.get("/api/v1/teams", &agent).await.0, StatusCode::OK);
    // Enrolling lifts the restriction on the next login.
    let (_, en) = app.post("/api/v1/me/totp/enroll", &qa, json!({})).await;
    let secret = en["secret"].as_str().unwrap().to_string();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let code = kefu_server::auth::totp::generate(&secret, now).unwrap();
    assert_eq!(
        app.post("/api/v1/me/totp/confirm", &qa, json!({"code": code})).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(app.get("/api/v1/teams", &qa).await.0, StatusCode::OK);
}
both_backends!(mandatory_totp_per_role);

async fn api_tokens_work_until_revoked(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await;
    let (_, m) = app.post("/api/v1/merchants", &admin, json!({"code": "shop-t", "name": "令牌店"})).await;
    let (s, created) = app
        .post(
            "/api/v1/api-tokens",
            &admin,
            json!({"name": "店铺同步", "role": "agent", "merchant_id": m["id"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{created}");
    let secret = created["token"].as_str().unwrap().to_string();
    assert!(secret.starts_with("kft_") && secret.len() > 40);
    // The secret is never listed again.
    let (_, list) = app.get("/api/v1/api-tokens", &admin).await;
    assert!(!list.to_string().contains(&secret));
    // The token acts with its role and merchant scope.
    let (s, me) = app.get("/api/v1/customers", &secret).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    assert_eq!(app.get("/api/v1/users?limit=5", &secret).await.0, StatusCode::OK);
    assert_eq!(
        app.post("/api/v1/teams", &secret, json!({"name": "x", "owner": "merchant"})).await.0,
        StatusCode::FORBIDDEN
    );
    let (s, c) =
        app.post("/api/v1/customers", &secret, json!({"display_name": "张三", "member_tier": "gold"})).await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(c["merchant_id"], m["id"]);
    // Revoked: refused at once.
    let (s, t) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/api-tokens/{}", created["api_token"]["id"]),
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(t["revoked_at"].is_string());
    let (s, e) = app.get("/api/v1/customers", &secret).await;
    assert_eq!((s, error_code(&e)), (StatusCode::UNAUTHORIZED, "unauthenticated".to_string()));
}
both_backends!(api_tokens_work_until_revoked);

async fn sessions_end_on_logout_password_change_and_disable(b: Backend) {
    let app = TestApp::spawn(b).await;
    let admin = app.admin().await;
    let uid = app.user("wu.di", Role::Agent, None).await;
    let t1 = app.login("wu.di").await;
    assert_eq!(app.post("/api/v1/auth/logout", &t1, json!({})).await.0, StatusCode::NO_CONTENT);
    assert_eq!(app.get("/api/v1/me", &t1).await.0, StatusCode::UNAUTHORIZED);

    let t2 = app.login("wu.di").await;
    let (s, e) = app
        .post("/api/v1/me/password", &t2, json!({"current_password": PASSWORD, "new_password": "short"}))
        .await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("password")));
    let (s, _) = app
        .post(
            "/api/v1/me/password",
            &t2,
            json!({"current_password": PASSWORD, "new_password": "New-Pass-2026!"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(app.get("/api/v1/me", &t2).await.0, StatusCode::UNAUTHORIZED);
    let (s, _) = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "wu.di", "password": "New-Pass-2026!"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);

    let t3 = {
        let (_, body) = app
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"username": "wu.di", "password": "New-Pass-2026!"})),
            )
            .await;
        body["token"].as_str().unwrap().to_string()
    };
    let (s, _) = app
        .call(Method::PATCH, &format!("/api/v1/users/{uid}"), Some(&admin), Some(json!({"disabled": true})))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(app.get("/api/v1/me", &t3).await.0, StatusCode::UNAUTHORIZED);
    let (s, e) = app
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "wu.di", "password": "New-Pass-2026!"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(e["error"]["message"].as_str().unwrap().contains("disabled"));
}
both_backends!(sessions_end_on_logout_password_change_and_disable);

#[tokio::test]
async fn the_browser_session_is_an_httponly_cookie() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    app.user("cookie.user", Role::Agent, None).await;
    let resp = app
        .client
        .post(format!("{}/api/v1/auth/login", app.base))
        .json(&json!({"username": "cookie.user", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = resp.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(cookie.starts_with("kefu_session=kfs_"));
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && !cookie.contains("Secure"));
    let value = cookie.split(';').next().unwrap();
    let me = app.client.get(format!("{}/api/v1/me", app.base)).header("cookie", value).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    // A change made with the cookie alone (what a forged cross-site form sends) is refused and changes
    // nothing; the web UI's header lets it through.
    let change = |csrf: bool| {
        let mut r = app
            .client
            .put(format!("{}/api/v1/me/presence", app.base))
            .header("cookie", value)
            .json(&json!({"status": "away", "reason": "小休"}));
        if csrf {
            r = r.header("X-Kefu-CSRF", "1");
        }
        r.send()
    };
    let forged = change(false).await.unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let body: serde_json::Value = forged.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("X-Kefu-CSRF"), "{body}");
    let me: serde_json::Value = app
        .client
        .get(format!("{}/api/v1/me/presence", app.base))
        .header("cookie", value)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["presence"]["status"], "offline", "{me}");
    let ok = change(true).await.unwrap();
    assert!(ok.status().is_success(), "{}", ok.text().await.unwrap());

    let tls =
        TestApp::spawn_with(Backend::Sqlite, |c| c.public_url = "https://kefu.example.com".into()).await;
    tls.user("cookie.user", Role::Agent, None).await;
    let resp = tls
        .client
        .post(format!("{}/api/v1/auth/login", tls.base))
        .json(&json!({"username": "cookie.user", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert!(resp.headers().get("set-cookie").unwrap().to_str().unwrap().contains("; Secure"));
}

#[tokio::test]
async fn operations_endpoints() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let r = app.client.get(format!("{}/healthz", app.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().get("x-request-id").is_some());
    let r = app
        .client
        .get(format!("{}/healthz", app.base))
        .header("x-request-id", "trace-42")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "trace-42");
    assert_eq!(app.client.get(format!("{}/readyz", app.base)).send().await.unwrap().status(), StatusCode::OK);
    app.call(Method::POST, "/api/v1/auth/login", None, Some(json!({"username": "x", "password": "y"}))).await;
    let metrics = app.client.get(format!("{}/metrics", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("kefu_http_requests_total"), "{metrics}");
    assert!(metrics.contains("route=\"/api/v1/auth/login\""));
    assert!(metrics.contains("kefu_logins_total{outcome=\"failed\"} 1"));
    let doc: serde_json::Value =
        app.client.get(format!("{}/api/openapi.json", app.base)).send().await.unwrap().json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert!(doc["paths"]["/api/v1/users/{id}"]["patch"].is_object());
    let page = app.client.get(format!("{}/api/docs", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("/api/openapi.json"));
}
