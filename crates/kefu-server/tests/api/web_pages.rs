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
