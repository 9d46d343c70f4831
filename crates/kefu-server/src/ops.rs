//! Operations: request ids, metrics and logs per request, health checks, graceful shutdown, the
//! browsable API page, and JSON bodies for errors produced outside handlers.

use crate::error::ApiError;
use crate::gate::RequestId;
use crate::metrics::HttpLabels;
use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use kefu_core::ErrorCode;
use rand::RngCore;
use tracing::Instrument;

const REQUEST_ID: &str = "x-request-id";

/// Take the caller's `X-Request-Id` when it is short and plain, else make one; echo it in the response
/// and carry it in every log line of the request.
pub async fn request_id(mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        .map(str::to_string)
        .unwrap_or_else(|| {
            let mut b = [0u8; 8];
            rand::thread_rng().fill_bytes(&mut b);
            hex::encode(b)
        });
    req.extensions_mut().insert(RequestId(id.clone()));
    let span =
        tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path());
    let mut resp = next.run(req).instrument(span).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert(REQUEST_ID, v);
    }
    resp
}

/// Count and time every request by route template, and log server errors.
pub async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = std::time::Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "other".into());
    let resp = next.run(req).await;
    let status = resp.status().as_u16();
    let labels = HttpLabels { method, route, status };
    state.metrics.http_requests.get_or_create(&labels).inc();
    state.metrics.http_duration.get_or_create(&labels).observe(start.elapsed().as_secs_f64());
    if status >= 500 {
        tracing::error!(status, route = %labels.route, "request failed");
    } else {
        tracing::debug!(status, route = %labels.route, elapsed_ms = start.elapsed().as_millis() as u64, "request");
    }
    resp
}

/// Errors axum answers by itself (unknown method on a known path) get the stable JSON body too.
pub async fn json_for_bare_errors(resp: Response) -> Response {
    let status = resp.status();
    if resp.headers().contains_key(header::CONTENT_TYPE)
        || !(status.is_client_error() || status.is_server_error())
    {
        return resp;
    }
    let code = match status {
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::BadRequest,
        StatusCode::NOT_FOUND => ErrorCode::NotFound,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
        s if s.is_server_error() => ErrorCode::Internal,
        _ => ErrorCode::BadRequest,
    };
    let message = match status {
        StatusCode::METHOD_NOT_ALLOWED => "this method is not allowed on this path".to_string(),
        s => s.canonical_reason().unwrap_or("error").to_lowercase(),
    };
    let mut out = ApiError::new(code, message).into_response();
    *out.status_mut() = status;
    out
}

pub fn panic_response(_err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::internal("a request handler panicked").into_response()
}

/// Liveness: the process answers.
pub async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers.
pub async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => "ready".into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            ApiError::new(ErrorCode::Unavailable, "the database is unreachable").into_response()
        }
    }
}

pub async fn metrics(State(state): State<AppState>) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], state.metrics.render())
        .into_response()
}

pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing requests in flight");
}

/// A self-contained page that renders `/api/openapi.json`: every operation by tag, with its parameters,
/// bodies and responses, and the schemas. No external scripts, so it works on a closed network.
pub async fn docs_page() -> Html<&'static str> {
    Html(include_str!("docs.html"))
}
