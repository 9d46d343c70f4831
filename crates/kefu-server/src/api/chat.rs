//! Live chat (在线咨询) endpoints: the merchant's chat settings, public customer sessions with signed
//! customer tokens, the customer and agent WebSockets, and customers' attachments. The frames are
//! described in `docs/CHAT_PROTOCOL.md`; the chat server itself is `channels/chat.rs`.

use crate::channels::chat::{self as chat, Incoming, Out};
use crate::channels::intake::{self, Identity};
use crate::error::{ApiError, ApiJson, ApiQuery, ApiResult, ErrorBody};
use crate::gate::{perm, Gate};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use hmac::{Hmac, Mac};
use kefu_core::authz::{Action, Principal, Scope};
use kefu_core::security::token_fingerprint;
use kefu_core::time::Millis;
use kefu_core::ErrorCode;
use kefu_store::{ChatAttachment, ChatSession, ChatSettings, NewChatMessage};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::Sha256;
use utoipa::{IntoParams, ToSchema};

/// Prefix of customers' chat session tokens.
pub const CHAT_SESSION_PREFIX: &str = "kfc_";
/// How long a chat session lasts.
pub const SESSION_DAYS: i64 = 7;

// ---- Settings ----------------------------------------------------------------------------------

/// A merchant's chat settings; `secret` only right after creation or rotation.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChatSettingsView {
    #[serde(flatten)]
    pub settings: ChatSettings,
    /// The HMAC key for signed customer tokens: shown once, keep it on your server.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MerchantQuery {
    /// Platform staff: the merchant (none: the platform's own service).
    pub merchant_id: Option<i64>,
}

fn new_secret() -> String {
    crate::auth::new_token("cs_")
}

fn new_widget_key() -> String {
    let t = crate::auth::new_token("wk_");
    t.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(27).collect()
}

fn defaults(merchant: Option<i64>, now: Millis) -> ChatSettings {
    ChatSettings {
        merchant_id: merchant,
        widget_key: new_widget_key(),
        secret: new_secret(),
        greeting: "您好，欢迎咨询，请问有什么可以帮您？".into(),
        closing_message: "本次服务已结束，感谢您的咨询，欢迎对本次服务进行评价。".into(),
        reuse_minutes: 30,
        enabled: true,
        calendar_id: None,
        created_at: now,
        updated_at: now,
    }
}

/// The settings of `merchant`, created with defaults on first use (then shown with the secret).
async fn settings_of<P: crate::gate::Perm>(
    state: &AppState,
    g: &Gate<P>,
    merchant: Option<i64>,
) -> ApiResult<(ChatSettings, bool)> {
    let merchant = g.scope.owner_for_new(merchant)?;
    if let Some(s) = state.store.get_chat_settings(&g.scope, merchant).await? {
        return Ok((s, false));
    }
    if let Some(m) = merchant {
        state.store.get_merchant(&g.scope, m).await?.ok_or_else(|| ApiError::not_found("merchant"))?;
    }
    let s = state.store.put_chat_settings(&g.scope, &g.ctx, defaults(merchant, g.ctx.now)).await?;
    Ok((s, true))
}

fn view(s: ChatSettings, show_secret: bool) -> ChatSettingsView {
    let secret = show_secret.then(|| s.secret.clone());
    ChatSettingsView { settings: s, secret }
}

/// The chat settings (created with defaults on first call, the only time the secret is shown).
#[utoipa::path(get, path = "/api/v1/channels/chat", tag = "channels", params(MerchantQuery),
    responses((status = 200, body = ChatSettingsView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_settings(
    State(state): State<AppState>,
    g: Gate<perm::ChannelManage>,
    ApiQuery(q): ApiQuery<MerchantQuery>,
) -> ApiResult<Json<ChatSettingsView>> {
    let (s, created) = settings_of(&state, &g, q.merchant_id).await?;
    Ok(Json(view(s, created)))
}

/// Chat settings as written.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatSettingsInput {
    /// Platform staff: the merchant (none: the platform's own service).
    pub merchant_id: Option<i64>,
    pub greeting: Option<String>,
    pub closing_message: Option<String>,
    /// 0-1440.
    pub reuse_minutes: Option<i64>,
    pub enabled: Option<bool>,
    /// The business calendar of the chat service hours; `0` clears it.
    pub calendar_id: Option<i64>,
}

fn text(field: &str, v: Option<String>, current: String, max: usize) -> ApiResult<String> {
    match v {
        None => Ok(current),
        Some(t) => {
            let t = t.trim().to_string();
            if t.chars().count() > max || t.chars().any(|c| c.is_control() && c != '\n') {
                return Err(ApiError::field(
                    ErrorCode::Validation,
                    field,
                    format!("at most {max} characters"),
                ));
            }
            Ok(t)
        }
    }
}

/// Change the chat settings (created on first use).
#[utoipa::path(put, path = "/api/v1/channels/chat", tag = "channels", request_body = ChatSettingsInput,
    responses((status = 200, body = ChatSettingsView), (status = 422, body = ErrorBody)))]
pub async fn put_settings(
    State(state): State<AppState>,
    g: Gate<perm::ChannelManage>,
    ApiJson(b): ApiJson<ChatSettingsInput>,
) -> ApiResult<Json<ChatSettingsView>> {
    let (mut s, created) = settings_of(&state, &g, b.merchant_id).await?;
    s.greeting = text("greeting", b.greeting, s.greeting, 500)?;
    s.closing_message = text("closing_message", b.closing_message, s.closing_message, 500)?;
    if let Some(r) = b.reuse_minutes {
        if !(0..=1440).contains(&r) {
            return Err(ApiError::field(ErrorCode::Validation, "reuse_minutes", "0-1440 minutes"));
        }
        s.reuse_minutes = r;
    }
    if let Some(e) = b.enabled {
        s.enabled = e;
    }
    match b.calendar_id {
        Some(0) => s.calendar_id = None,
        Some(c) => {
            let rt = state.sla.current();
            let ok = rt
                .rows
                .iter()
                .any(|r| r.id == c && (r.merchant_id.is_none() || r.merchant_id == s.merchant_id));
            if !ok {
                return Err(ApiError::field(
                    ErrorCode::Validation,
                    "calendar_id",
                    format!("calendar {c} does not exist"),
                ));
            }
            s.calendar_id = Some(c);
        }
        None => {}
    }
    let s = state.store.put_chat_settings(&g.scope, &g.ctx, s).await?;
    Ok(Json(view(s, created)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateInput {
    /// Platform staff: the merchant (none: the platform's own service).
    pub merchant_id: Option<i64>,
}

/// Replace the secret of signed customer tokens; the new one is shown once. Tokens signed with the old
/// one stop identifying customers at once.
#[utoipa::path(post, path = "/api/v1/channels/chat/rotate-secret", tag = "channels", request_body = RotateInput,
    responses((status = 200, body = ChatSettingsView), (status = 404, body = ErrorBody)))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    g: Gate<perm::ChannelManage>,
    ApiJson(b): ApiJson<RotateInput>,
) -> ApiResult<Json<ChatSettingsView>> {
    let (mut s, _) = settings_of(&state, &g, b.merchant_id).await?;
    s.secret = new_secret();
    let s = state.store.put_chat_settings(&g.scope, &g.ctx, s).await?;
    Ok(Json(view(s, true)))
}

// ---- Customer sessions -------------------------------------------------------------------------

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionInput {
    pub widget_key: String,
    /// The stable id the widget keeps in localStorage (8-64 of A-Z a-z 0-9 _ -); minted when absent.
    pub visitor_id: Option<String>,
    /// `base64url(JSON {"uid","name"?,"exp"})` + `.` + hex HMAC-SHA256(secret, base64url part).
    pub customer_token: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionOutput {
    pub session_token: String,
    pub visitor_id: String,
    pub identified: bool,
    /// Why the customer token did not identify the customer: `malformed`, `bad_signature`, `expired`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_error: Option<String>,
    pub conversation_id: i64,
    pub merchant_name: String,
    pub greeting: String,
}

/// The account a signed customer token names, or why it does not count.
pub fn verify_customer_token(
    secret: &str,
    token: &str,
    now: Millis,
) -> Result<(String, Option<String>), &'static str> {
    let (payload, sig) = token.trim().split_once('.').ok_or("malformed")?;
    let sig = hex::decode(sig).map_err(|_| "malformed")?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| "malformed")?;
    mac.update(payload.as_bytes());
    // Constant-time comparison.
    mac.verify_slice(&sig).map_err(|_| "bad_signature")?;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| "malformed")?;
    let v: Value = serde_json::from_slice(&raw).map_err(|_| "malformed")?;
    let uid = match &v["uid"] {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => return Err("malformed"),
    };
    if uid.is_empty() || uid.chars().count() > 64 {
        return Err("malformed");
    }
    let exp = v["exp"].as_i64().ok_or("malformed")?;
    if exp.saturating_mul(1000) <= now.0 {
        return Err("expired");
    }
    Ok((uid, v["name"].as_str().map(str::to_string)))
}

fn valid_visitor(v: &str) -> bool {
    (8..=64).contains(&v.len()) && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Open a customer's chat session for a merchant's widget (anonymous, or identified by a signed token).
#[utoipa::path(post, path = "/api/v1/public/chat/sessions", tag = "channels", request_body = SessionInput, security(()),
    responses((status = 201, body = SessionOutput), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_session(
    State(state): State<AppState>,
    ApiJson(b): ApiJson<SessionInput>,
) -> ApiResult<(StatusCode, Json<SessionOutput>)> {
    let settings = state
        .store
        .chat_settings_by_widget(b.widget_key.trim())
        .await?
        .filter(|s| s.enabled)
        .ok_or_else(|| ApiError::not_found("chat widget"))?;
    let visitor_id = match b.visitor_id.as_deref().map(str::trim) {
        Some(v) if valid_visitor(v) => v.to_string(),
        Some(_) => {
            return Err(ApiError::field(
                ErrorCode::Validation,
                "visitor_id",
                "8-64 characters of A-Z a-z 0-9 _ -",
            ))
        }
        None => crate::auth::new_token("v_").chars().take(24).collect(),
    };
    let name = b.name.as_deref().map(str::trim).filter(|n| !n.is_empty());
    if name.is_some_and(|n| n.chars().count() > 60) {
        return Err(ApiError::field(ErrorCode::Validation, "name", "at most 60 characters"));
    }
    let now = crate::auth::now();
    let (identity, token_name, token_error) =
        match b.customer_token.as_deref().filter(|t| !t.trim().is_empty()) {
            Some(t) => match verify_customer_token(&settings.secret, t, now) {
                Ok((uid, n)) => (Identity::Account(uid), n, None),
                Err(e) => (Identity::Visitor(visitor_id.clone()), None, Some(e.to_string())),
            },
            None => (Identity::Visitor(visitor_id.clone()), None, None),
        };
    let identified = matches!(identity, Identity::Account(_));
    let merchant = settings.merchant_id;
    let customer = chat::customer_for(&state, merchant, &identity, token_name.as_deref().or(name)).await?;
    let (conv, _) =
        state.store.open_chat_conversation(merchant, customer.id, &settings.greeting, now).await?;
    let token = crate::auth::new_token(CHAT_SESSION_PREFIX);
    state
        .store
        .create_chat_session(&ChatSession {
            token_hash: token_fingerprint(&token),
            merchant_id: merchant,
            customer_id: customer.id,
            conversation_id: conv.id,
            visitor_id: visitor_id.clone(),
            identified,
            created_at: now,
            expires_at: now.plus_ms(SESSION_DAYS * Millis::DAY),
        })
        .await?;
    let merchant_name = match merchant {
        Some(m) => state
            .store
            .get_merchant(&Scope::operator(Action::MerchantRead), m)
            .await?
            .map_or_else(String::new, |m| m.name),
        None => "平台客服".into(),
    };
    // Start this node's chat server (landers, listeners) if it is not running yet.
    chat::hub(&state).await;
    Ok((
        StatusCode::CREATED,
        Json(SessionOutput {
            session_token: token,
            visitor_id,
            identified,
            token_error,
            conversation_id: conv.id,
            merchant_name,
            greeting: settings.greeting,
        }),
    ))
}

async fn session_of(state: &AppState, token: Option<&str>) -> ApiResult<ChatSession> {
    let token = token.map(str::trim).filter(|t| !t.is_empty()).ok_or_else(|| {
        ApiError::field(ErrorCode::Validation, "session", "the chat session token is missing")
    })?;
    if !token.starts_with(CHAT_SESSION_PREFIX) {
        return Err(ApiError::unauthenticated("the chat session is invalid or expired; open a new one"));
    }
    state
        .store
        .chat_session(&token_fingerprint(token), crate::auth::now())
        .await?
        .ok_or_else(|| ApiError::unauthenticated("the chat session is invalid or expired; open a new one"))
}

fn upgrade_required() -> Response {
    (
        StatusCode::UPGRADE_REQUIRED,
        [(header::UPGRADE, HeaderValue::from_static("websocket"))],
        Json(json!({"error": {"code": "bad_request", "message": "this endpoint speaks WebSocket: send an upgrade request"}})),
    )
        .into_response()
}

/// Socket buffers kept small: a server holds tens of thousands of chat sockets.
fn tune(ws: WebSocketUpgrade) -> WebSocketUpgrade {
    ws.read_buffer_size(4 * 1024)
        .write_buffer_size(4 * 1024)
        .max_message_size(64 * 1024)
        .max_frame_size(64 * 1024)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SessionQuery {
    /// The `kfc_…` session token.
    pub session: Option<String>,
}

/// The customer's chat WebSocket (frames in docs/CHAT_PROTOCOL.md).
#[utoipa::path(get, path = "/api/v1/public/chat/ws", tag = "channels", params(SessionQuery), security(()),
    responses((status = 101, description = "switching to WebSocket"), (status = 401, body = ErrorBody), (status = 426, body = ErrorBody)))]
pub async fn customer_ws(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<SessionQuery>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let session = match session_of(&state, q.session.as_deref()).await {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let Ok(ws) = ws else { return upgrade_required() };
    let name = state
        .store
        .get_customer(&intake::scope(session.merchant_id), session.customer_id)
        .await
        .ok()
        .flatten()
        .map_or_else(|| "客户".to_string(), |c| c.display_name);
    tune(ws).on_upgrade(move |socket| customer_socket(state, session, name, socket)).into_response()
}

enum Step {
    Go,
    Close(u16, String),
}

async fn send(socket: &mut WebSocket, v: &Value) -> bool {
    socket.send(Message::Text(v.to_string().into())).await.is_ok()
}

async fn close(socket: &mut WebSocket, code: u16, reason: String) {
    let _ = socket.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
}

/// Replay every message of the conversation after `last_seq`.
async fn replay(state: &AppState, socket: &mut WebSocket, conversation: i64, mut last_seq: i64) -> bool {
    loop {
        let Ok(list) = state.store.chat_messages_after(conversation, last_seq, 500).await else {
            return send(
                socket,
                &chat::error_frame("unavailable", "history is unavailable; send hello again"),
            )
            .await;
        };
        let n = list.len();
        for m in &list {
            if !send(socket, &chat::message_frame(m)).await {
                return false;
            }
            last_seq = m.seq;
        }
        if n < 500 {
            return true;
        }
    }
}

async fn pump(socket: &mut WebSocket, out: Option<Out>) -> bool {
    match out {
        Some(Out::Text(t)) => socket.send(Message::Text(t.as_ref().into())).await.is_ok(),
        Some(Out::Close(code, reason)) => {
            close(socket, code, reason).await;
            false
        }
        None => false,
    }
}

async fn customer_socket(state: AppState, session: ChatSession, name: String, mut socket: WebSocket) {
    let h = chat::hub(&state).await;
    let conv = session.conversation_id;
    let (conn, mut rx) = h.add_customer(conv);
    if let Ok(Some(c)) = state.store.get_chat_conversation(conv).await {
        let mut w = json!({"type": "welcome", "conversation_id": conv, "ticket_id": c.ticket_id, "last_seq": c.last_seq});
        let waiting = c.assignee_id.is_none()
            && matches!(c.ticket_status.as_deref(), Some("new" | "open"))
            && c.ticket_channel.as_deref() == Some("chat");
        if let (true, Some(t)) = (waiting, c.ticket_id) {
            if let Ok(Some(p)) = chat::queue_position(&state, c.merchant_id, t).await {
                w["queue_position"] = json!(p);
            }
        }
        if let Some(a) = &c.assignee_name {
            w["agent"] = json!(a);
        }
        if !send(&mut socket, &w).await {
            h.remove_customer(conv, conn);
            return;
        }
    }
    loop {
        let step = tokio::select! {
            out = rx.recv() => if pump(&mut socket, out).await { Step::Go } else { break },
            inc = socket.recv() => match inc {
                Some(Ok(msg)) => customer_frame(&state, &h, &session, &name, conn, &mut socket, msg).await,
                _ => break,
            },
        };
        if let Step::Close(code, reason) = step {
            close(&mut socket, code, reason).await;
            break;
        }
    }
    h.remove_customer(conv, conn);
}

fn parse(msg: &Message) -> Result<Option<Incoming>, Value> {
    match msg {
        Message::Text(t) => serde_json::from_str::<Incoming>(t.as_str())
            .map(Some)
            .map_err(|e| chat::error_frame("bad_frame", &format!("not a frame of the chat protocol: {e}"))),
        Message::Binary(_) => Err(chat::error_frame("bad_frame", "frames are JSON text")),
        _ => Ok(None),
    }
}

async fn customer_frame(
    state: &AppState,
    h: &chat::Hub,
    session: &ChatSession,
    name: &str,
    conn: u64,
    socket: &mut WebSocket,
    msg: Message,
) -> Step {
    if let Message::Close(_) = msg {
        return Step::Close(1000, String::new());
    }
    let conv = session.conversation_id;
    let frame = match parse(&msg) {
        Ok(Some(f)) => f,
        Ok(None) => return Step::Go,
        Err(e) => {
            send(socket, &e).await;
            return Step::Go;
        }
    };
    match frame {
        Incoming::Hello { last_seq, .. } => {
            replay(state, socket, conv, last_seq).await;
        }
        Incoming::Ping { .. } => {
            send(socket, &json!({"type": "pong"})).await;
        }
        Incoming::Typing { on, .. } => {
            let v = json!({"type": "typing", "conversation_id": conv, "from": "customer", "on": on});
            chat::signal(state, h, conv, "customer", v).await;
        }
        Incoming::Read { seq, .. } => {
            let v = json!({"type": "read", "conversation_id": conv, "from": "customer", "seq": seq});
            chat::signal(state, h, conv, "customer", v).await;
        }
        Incoming::Message { client_id, body, attachment_id, .. } => {
            if !h.allow_message(conv) {
                send(
                    socket,
                    &chat::error_frame("rate_limited", "too many messages; the connection is closed"),
                )
                .await;
                return Step::Close(1008, "flood".into());
            }
            let body = match chat::check_message(&client_id, &body) {
                Ok(b) => b,
                Err(e) => {
                    send(socket, &e).await;
                    return Step::Go;
                }
            };
            let attachment = match attachment_id {
                None => None,
                Some(id) => match state.store.get_chat_attachment(id).await {
                    Ok(Some(a)) if a.conversation_id == conv => Some(
                        json!({"id": a.id, "file_name": a.file_name, "mime": a.mime, "size": a.size})
                            .to_string(),
                    ),
                    _ => {
                        let mut e = chat::error_frame("not_found", "attachment not found");
                        e["field"] = json!("attachment_id");
                        send(socket, &e).await;
                        return Step::Go;
                    }
                },
            };
            let m = NewChatMessage {
                conversation_id: conv,
                sender: "customer".into(),
                sender_key: "customer".into(),
                author_id: None,
                author_name: name.to_string(),
                client_id: Some(client_id.clone()),
                body,
                attachment,
                ticket_id: None,
                ticket_message_id: None,
                landed: false,
                now: crate::auth::now(),
            };
            match chat::accept(state, h, m, None, Some(conn)).await {
                Ok((stored, _)) => {
                    send(socket, &json!({"type": "ack", "conversation_id": conv, "client_id": client_id, "seq": stored.seq}))
                        .await;
                }
                Err(e) => {
                    send(socket, &chat::error_frame(e.code.as_str(), &e.message)).await;
                }
            }
        }
    }
    Step::Go
}

// ---- Agents ------------------------------------------------------------------------------------

/// The agent socket's authentication: the gate, with `?access_token=` accepted for clients that cannot
/// set headers; a cookie-authenticated upgrade must come from our own origin (cross-site WebSocket
/// hijacking).
pub struct AgentAuth {
    pub gate: Gate<perm::TicketWork>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AgentQuery {
    /// A login or API token, for non-browser clients.
    pub access_token: Option<String>,
}

fn same_origin(parts: &Parts, state: &AppState) -> bool {
    let Some(origin) = parts.headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        // Browsers always send Origin on WebSocket upgrades; other clients hold no ambient cookie.
        return true;
    };
    let origin_host = origin.split_once("://").map_or(origin, |(_, h)| h).trim_end_matches('/');
    let public = state.config.public_url.trim_end_matches('/');
    if !public.is_empty() && origin.trim_end_matches('/') == public {
        return true;
    }
    parts.headers.get(header::HOST).and_then(|v| v.to_str().ok()).is_some_and(|h| h == origin_host)
}

impl FromRequestParts<AppState> for AgentAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let has_header = parts.headers.contains_key(header::AUTHORIZATION);
        let q: AgentQuery = axum::extract::Query::<AgentQuery>::try_from_uri(&parts.uri)
            .map(|q| q.0)
            .unwrap_or(AgentQuery { access_token: None });
        let via_query = match q.access_token.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            Some(t) if !has_header => {
                let v = HeaderValue::from_str(&format!("Bearer {t}"))
                    .map_err(|_| ApiError::unauthenticated("the access token is malformed"))?;
                parts.headers.insert(header::AUTHORIZATION, v);
                true
            }
            _ => false,
        };
        let gate = Gate::<perm::TicketWork>::from_request_parts(parts, state).await?;
        if !has_header && !via_query && !same_origin(parts, state) {
            return Err(ApiError::new(ErrorCode::Forbidden, "a cross-site WebSocket upgrade is refused"));
        }
        Ok(AgentAuth { gate })
    }
}

/// The agent's chat WebSocket: the conversations of the tickets the agent holds.
#[utoipa::path(get, path = "/api/v1/chat/ws", tag = "channels", params(AgentQuery),
    responses((status = 101, description = "switching to WebSocket"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 426, body = ErrorBody)))]
pub async fn agent_ws(
    State(state): State<AppState>,
    auth: AgentAuth,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let Ok(ws) = ws else { return upgrade_required() };
    let g = auth.gate;
    let display = state
        .store
        .get_user(&Scope::operator(Action::UserRead), g.principal.user_id)
        .await
        .ok()
        .flatten()
        .map_or_else(|| g.principal.username.clone(), |u| u.display_name);
    tune(ws)
        .on_upgrade(move |socket| agent_socket(state, g.principal, g.scope, display, socket))
        .into_response()
}

async fn agent_socket(state: AppState, p: Principal, scope: Scope, display: String, mut socket: WebSocket) {
    let h = chat::hub(&state).await;
    let (conn, mut rx) = h.add_agent(p.user_id);
    if let Ok(list) = state.store.held_chat_conversations(p.user_id).await {
        for c in list.iter().filter(|c| scope.sees(c.merchant_id)) {
            // Before the welcome: once the agent has it, the customer's next message must find this
            // node knowing who holds the conversation.
            chat::held_on_connect(&state, &h, c, conn).await;
            if !send(&mut socket, &chat::agent_welcome(c)).await {
                h.remove_agent(p.user_id, conn);
                return;
            }
        }
    }
    loop {
        let step = tokio::select! {
            out = rx.recv() => if pump(&mut socket, out).await { Step::Go } else { break },
            inc = socket.recv() => match inc {
                Some(Ok(msg)) => agent_frame(&state, &h, &p, &scope, &display, conn, &mut socket, msg).await,
                _ => break,
            },
        };
        if let Step::Close(code, reason) = step {
            close(&mut socket, code, reason).await;
            break;
        }
    }
    h.remove_agent(p.user_id, conn);
}

/// The conversation an agent names, if the agent holds its ticket.
async fn held(state: &AppState, p: &Principal, scope: &Scope, id: Option<i64>) -> Result<i64, Value> {
    let Some(id) = id else {
        let mut e = chat::error_frame("validation", "name the conversation_id");
        e["field"] = json!("conversation_id");
        return Err(e);
    };
    match state.store.get_chat_conversation(id).await {
        Ok(Some(c)) if scope.sees(c.merchant_id) && c.assignee_id == Some(p.user_id) => Ok(id),
        _ => Err(chat::error_frame("not_found", "no conversation of a ticket you hold has this id")),
    }
}

#[allow(clippy::too_many_arguments)]
async fn agent_frame(
    state: &AppState,
    h: &chat::Hub,
    p: &Principal,
    scope: &Scope,
    display: &str,
    conn: u64,
    socket: &mut WebSocket,
    msg: Message,
) -> Step {
    if let Message::Close(_) = msg {
        return Step::Close(1000, String::new());
    }
    let frame = match parse(&msg) {
        Ok(Some(f)) => f,
        Ok(None) => return Step::Go,
        Err(e) => {
            send(socket, &e).await;
            return Step::Go;
        }
    };
    let named = match &frame {
        Incoming::Ping { .. } => {
            send(socket, &json!({"type": "pong"})).await;
            return Step::Go;
        }
        Incoming::Hello { conversation_id: None, .. } => {
            if let Ok(list) = state.store.held_chat_conversations(p.user_id).await {
                for c in list.iter().filter(|c| scope.sees(c.merchant_id)) {
                    send(socket, &chat::agent_welcome(c)).await;
                }
            }
            return Step::Go;
        }
        Incoming::Hello { conversation_id, .. }
        | Incoming::Message { conversation_id, .. }
        | Incoming::Typing { conversation_id, .. }
        | Incoming::Read { conversation_id, .. } => *conversation_id,
    };
    let conv = match held(state, p, scope, named).await {
        Ok(c) => c,
        Err(e) => {
            send(socket, &e).await;
            return Step::Go;
        }
    };
    match frame {
        Incoming::Hello { last_seq, .. } => {
            replay(state, socket, conv, last_seq).await;
        }
        Incoming::Typing { on, .. } => {
            let v = json!({"type": "typing", "conversation_id": conv, "from": "agent", "on": on});
            chat::signal(state, h, conv, "agent", v).await;
        }
        Incoming::Read { seq, .. } => {
            let v = json!({"type": "read", "conversation_id": conv, "from": "agent", "seq": seq});
            chat::signal(state, h, conv, "agent", v).await;
        }
        Incoming::Message { client_id, body, attachment_id, .. } => {
            if attachment_id.is_some() {
                let mut e = chat::error_frame("validation", "agents attach files to the ticket");
                e["field"] = json!("attachment_id");
                send(socket, &e).await;
                return Step::Go;
            }
            let body = match chat::check_message(&client_id, &body) {
                Ok(b) => b,
                Err(e) => {
                    send(socket, &e).await;
                    return Step::Go;
                }
            };
            let m = NewChatMessage {
                conversation_id: conv,
                sender: "agent".into(),
                sender_key: format!("agent:{}", p.user_id),
                author_id: Some(p.user_id),
                author_name: display.to_string(),
                client_id: Some(client_id.clone()),
                body,
                attachment: None,
                ticket_id: None,
                ticket_message_id: None,
                landed: false,
                now: crate::auth::now(),
            };
            match chat::accept(state, h, m, Some(p.role), Some(conn)).await {
                Ok((stored, _)) => {
                    send(socket, &json!({"type": "ack", "conversation_id": conv, "client_id": client_id, "seq": stored.seq}))
                        .await;
                }
                Err(e) => {
                    send(socket, &chat::error_frame(e.code.as_str(), &e.message)).await;
                }
            }
        }
        Incoming::Ping { .. } => {}
    }
    Step::Go
}

// ---- Attachments -------------------------------------------------------------------------------

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChatUploadQuery {
    /// The `kfc_…` session token.
    pub session: Option<String>,
    /// The file's name as the customer chose it.
    pub file_name: Option<String>,
}

/// A customer uploads a file (the request body) to send in the chat by its id; the same type and size
/// checks as ticket attachments.
#[utoipa::path(post, path = "/api/v1/public/chat/attachments", tag = "channels", params(ChatUploadQuery), security(()),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = ChatAttachment), (status = 401, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ChatUploadQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<ChatAttachment>)> {
    let session = session_of(&state, q.session.as_deref()).await?;
    let file_name = q
        .file_name
        .filter(|f| !f.trim().is_empty())
        .ok_or_else(|| ApiError::field(ErrorCode::Validation, "file_name", "name the file"))?;
    let declared = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let checked =
        crate::files::check_upload(&crate::files::AttachmentPolicy::default(), &file_name, declared, &body)?;
    let stored = state.attachments.put(&checked, &body).await.map_err(ApiError::internal)?;
    let a = state
        .store
        .add_chat_attachment(ChatAttachment {
            id: 0,
            conversation_id: session.conversation_id,
            merchant_id: session.merchant_id,
            sha256: stored.sha256,
            file_name: checked.file_name,
            mime: stored.mime,
            size: stored.size as i64,
            created_at: crate::auth::now(),
        })
        .await?;
    Ok((StatusCode::CREATED, Json(a)))
}
