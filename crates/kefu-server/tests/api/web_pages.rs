//! The web UI's pages: `/chat` is the customer chat page (its own Vite entry), `/widget.js` the widget
//! script, other unknown paths the single-page app.

use crate::both_backends;
use crate::common::{Backend, TestApp};
use reqwest::StatusCode;

async fn chat_page_and_widget_are_served(backend: Backend) {
    let web = tempfile::tempdir().unwrap();
    std::fs::write(web.path().join("index.html"), "<!doctype html><title>app</title>").unwrap();
    std::fs::write(web.path().join("chat.html"), "<!doctype html><title>在线客服</title>").unwrap();
    std::fs::write(web.path().join("widget.js"), "(function(){})()").unwrap();
    let dir = web.path().to_path_buf();
    let app = TestApp::spawn_with(backend, move |c| c.web_dir = Some(dir)).await;
    let get = |path: &str| app.client.get(format!("{}{path}", app.base)).send();

    for path in ["/chat", "/chat/", "/chat?key=wk_abc&lang=en"] {
        let r = get(path).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"), "{path}");
        assert!(r.text().await.unwrap().contains("在线客服"), "{path} is the chat page");
    }
    let r = get("/widget.js").await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"].to_str().unwrap().contains("javascript"));
    assert_eq!(r.text().await.unwrap(), "(function(){})()");
    // The app's own routes (and anything under /chat that is not the page) stay the single-page app.
    for path in ["/chats", "/admin/channels", "/chat/elsewhere"] {
        let r = get(path).await.unwrap();
        assert!(r.text().await.unwrap().contains("<title>app</title>"), "{path} is the app");
    }
}
both_backends!(chat_page_and_widget_are_served);

/// The customer's ticket status page: a signed link from an agent shows the public conversation (no
/// internal notes, markup as text), takes the customer's message into the ticket, and refuses a forged,
/// moved or expired link; another merchant's agent cannot make a link for the ticket.
async fn ticket_status_page_by_signed_link(backend: Backend) {
    use kefu_core::org::Role;
    use serde_json::json;
    let app = TestApp::spawn(backend).await;
    let admin = app.admin().await;
    let (_, m) = app.post("/api/v1/merchants", &admin, json!({"code": "st-a", "name": "甲店"})).await;
    let merchant = m["id"].as_i64().unwrap();
    let (_, other) = app.post("/api/v1/merchants", &admin, json!({"code": "st-b", "name": "乙店"})).await;
    app.user("st.agent", Role::Agent, Some(merchant)).await;
    app.user("st.other", Role::Agent, other["id"].as_i64()).await;
    let agent = app.login("st.agent").await;
    let stranger = app.login("st.other").await;
    let (_, c) =
        app.post("/api/v1/customers", &admin, json!({"display_name": "王芳", "merchant_id": merchant})).await;
    let (s, t) = app
        .post(
            "/api/v1/tickets",
            &agent,
            json!({"channel": "web", "subject": "退货进度<b>", "body": "我寄回的包裹<script>alert(1)</script>",
                   "customer_id": c["id"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let id = t["id"].as_i64().unwrap();
    let number = t["number"].as_str().unwrap().to_string();
    app.post(&format!("/api/v1/tickets/{id}/replies"), &agent, json!({"body": "已收到退货，正在验收"})).await;
    app.post(&format!("/api/v1/tickets/{id}/notes"), &agent, json!({"body": "内部备注：客户较急"})).await;

    let (s, e) = app.post(&format!("/api/v1/tickets/{id}/status-link"), &stranger, json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{e}");
    let (s, link) = app.post(&format!("/api/v1/tickets/{id}/status-link"), &agent, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{link}");
    let url = link["url"].as_str().unwrap();
    let path = &url[url.find("/ticket-status").unwrap()..];
    let token = path.split("token=").nth(1).unwrap().to_string();

    let page = |p: String| {
        let client = app.client.clone();
        let base = app.base.clone();
        async move {
            let r = client.get(format!("{base}{p}")).send().await.unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    let (s, html) = page(path.to_string()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains(&number) && html.contains("处理中"), "{html}");
    assert!(html.contains("已收到退货，正在验收"));
    assert!(!html.contains("内部备注"), "internal notes never reach the customer");
    assert!(html.contains("&lt;script&gt;") && !html.contains("<script>alert"), "markup is shown as text");
    assert!(html.contains("退货进度&lt;b&gt;"));
    let (_, en) = page(format!("{path}&lang=en")).await;
    assert!(en.contains("Ticket status") && en.contains("lang=\"en\""));

    // The customer writes: the message is the customer's in the ticket; an empty one is refused.
    let form = |body: &str| {
        let client = app.client.clone();
        let base = app.base.clone();
        let fields = [("token", token.clone()), ("body", body.to_string())];
        async move {
            let r = client.post(format!("{base}/ticket-status/reply")).form(&fields).send().await.unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    let (s, html) = form("   ").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("请填写"), "{html}");
    let (s, html) = form("我周五前需要退款，谢谢").await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("已发送") && html.contains("我周五前需要退款，谢谢"), "{html}");
    let (_, d) = app.get(&format!("/api/v1/tickets/{id}"), &agent).await;
    let last = d["messages"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["kind"].as_str(), last["body"].as_str()),
        (Some("customer"), Some("我周五前需要退款，谢谢")),
        "{d}"
    );

    // Forged, moved to another ticket, expired, garbage: refused, and nothing about the ticket shows.
    let mut forged = token.clone();
    let last_char = forged.pop().unwrap();
    forged.push(if last_char == '0' { '1' } else { '0' });
    let moved = token.replacen(&format!("kst_{id}_"), &format!("kst_{}_", id + 1), 1);
    for bad in [forged, moved, "kst_1_2_3".into(), "nonsense".into()] {
        let (s, html) = page(format!("/ticket-status?token={bad}")).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{bad}");
        assert!(html.contains("链接无效") && !html.contains(&number), "{bad}: {html}");
    }
    let state = app.state();
    let old = kefu_server::api::status_page::sign(&state, id, 1_000).await.unwrap();
    let (s, html) = page(format!("/ticket-status?token={old}")).await;
    assert_eq!(s, StatusCode::GONE);
    assert!(html.contains("已过期"));
    let (s, _) = form_with(&app, &old, "过期了还能发吗").await;
    assert_eq!(s, StatusCode::GONE);
}
both_backends!(ticket_status_page_by_signed_link);

async fn form_with(app: &TestApp, token: &str, body: &str) -> (StatusCode, String) {
    let r = app
        .client
        .post(format!("{}/ticket-status/reply", app.base))
        .form(&[("token", token), ("body", body)])
        .send()
        .await
        .unwrap();
    (r.status(), r.text().await.unwrap())
}
