//! The web UI: the single-page app built from `web/` by Vite, embedded in release builds (and read from
//! disk in debug builds), or served from `web_dir` when configured. Unknown non-API paths get
//! `index.html`, so the app's own routes work on reload. `/chat` is the customer chat page (`chat.html`)
//! and `/widget.js` the embeddable chat widget that opens it.

use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};

#[derive(rust_embed::RustEmbed)]
#[folder = "../../web/dist"]
#[allow_missing = true]
struct Assets;

const NOT_BUILT: &str =
    "<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>kefu 客服</title>\
<body style=\"font-family:sans-serif;max-width:40em;margin:4em auto\"><h1>kefu 客服</h1>\
<p>网页界面尚未构建。请用 <code>scripts/run.sh</code> 启动（它会先构建界面）。</p>\
<p>The web UI has not been built. Start kefu with <code>scripts/run.sh</code>, which builds it first.</p>\
<p><a href=\"/api/docs\">API 文档 / API reference</a></p></body></html>";

fn mime_for(path: &str) -> String {
    mime_guess::from_path(path).first_or_octet_stream().essence_str().to_string()
}

pub async fn serve_asset(State(state): State<AppState>, uri: Uri) -> Response {
    let path = uri.path().trim_start_matches('/');
    if path.starts_with("api/") {
        return crate::error::ApiError::not_found("endpoint").into_response();
    }
    // `/chat` is the customer chat page (its own Vite entry, `chat.html`); `/widget.js` is a plain file.
    let path = match path {
        "" => "index.html",
        "chat" | "chat/" => "chat.html",
        p => p,
    };
    if let Some(dir) = &state.config.web_dir {
        // Refuse anything that could climb out of the folder.
        if path.split('/').any(|seg| seg == ".." || seg.contains('\\')) {
            return StatusCode::NOT_FOUND.into_response();
        }
        let file = dir.join(path);
        let (file, name) = if file.is_file() { (file, path) } else { (dir.join("index.html"), "index.html") };
        return match tokio::fs::read(&file).await {
            Ok(bytes) => ([(header::CONTENT_TYPE, mime_for(name))], bytes).into_response(),
            Err(_) => Html(NOT_BUILT).into_response(),
        };
    }
    let (asset, name) = match Assets::get(path) {
        Some(a) => (Some(a), path),
        None => (Assets::get("index.html"), "index.html"),
    };
    match asset {
        Some(a) => {
            let cache =
                if name.starts_with("assets/") { "public, max-age=31536000, immutable" } else { "no-cache" };
            (
                [(header::CONTENT_TYPE, mime_for(name)), (header::CACHE_CONTROL, cache.to_string())],
                a.data.into_owned(),
            )
                .into_response()
        }
        None => Html(NOT_BUILT).into_response(),
    }
}
