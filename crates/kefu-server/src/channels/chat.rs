//! Live chat (在线咨询): the chat server behind `docs/CHAT_PROTOCOL.md`.
//!
//! **Durability.** A message is stored in `chat_messages` with its conversation's next gap-free `seq`
//! and only then acknowledged. Landing it in the ticket's conversation (a customer reply through
//! `intake`, an agent reply through the ticket service, so first response, SLA and first responder
//! work) is a second step run by per-conversation landers; `landed` marks it done, and a reconcile
//! pass (at start and every 10 seconds) lands whatever a crash left behind.
//!
//! **Delivery.** Each node keeps a [`Hub`]: the customer sockets by conversation, the agent sockets by
//! agent, and what it knows of each conversation's ticket (who holds it). A message is delivered to
//! the local sockets at once and announced to the other nodes by PostgreSQL `NOTIFY` with a small
//! payload (`m:<node>:<conversation>:<seq>`); a node with an interested socket loads the message. On
//! SQLite (one node) the in-process delivery is all there is.
//!
//! **Tickets.** Changes of chat tickets on this node (an assignment by the router, a reply through the
//! ordinary HTTP endpoint, a resolution) come from `AppState::ticket_events` and are turned into frames
//! (`assigned`, mirrored agent messages, the closing message and `closed`), also across nodes.

use crate::channels::intake::{self, Identity, Inbound};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use kefu_core::authz::{Action, Scope};
use kefu_core::ticket::{Actor, Channel, Priority, TicketCommand};
use kefu_core::time::Millis;
use kefu_core::ErrorCode;
use kefu_store::{AuditCtx, ChatConversation, ChatMessage, ChatSignal, NewChatMessage};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Messages a visitor may send in `FLOOD_WINDOW` before the socket is closed (1008).
pub const FLOOD_LIMIT: usize = 20;
pub const FLOOD_WINDOW: Duration = Duration::from_secs(10);
/// Body length in characters.
pub const MAX_BODY: usize = 5000;
/// Landing workers per node (a conversation always lands on the same one, in order).
const SHARDS: usize = 4;
/// Frames waiting for a slow socket before it is dropped.
const OUTBOX: usize = 256;
/// The system message of a chat that became a left message (留言).
pub const LEFT_MESSAGE_NOTICE: &str =
    "当前不在客服服务时间或暂无客服在线，您的留言已记录，我们会尽快回复您。";

/// What a socket task is asked to send.
#[derive(Debug, Clone)]
pub enum Out {
    Text(Arc<str>),
    Close(u16, String),
}

struct Conn {
    id: u64,
    tx: mpsc::Sender<Out>,
}

/// What the hub knows of a conversation's ticket.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct ConvInfo {
    merchant_id: Option<i64>,
    ticket_id: Option<i64>,
    assignee_id: Option<i64>,
    active: bool,
    /// The ticket's `updated_at` when this was read: an older reading never replaces a newer one.
    seen: Option<kefu_core::time::Millis>,
}

impl ConvInfo {
    fn of(c: &ChatConversation) -> ConvInfo {
        ConvInfo {
            merchant_id: c.merchant_id,
            ticket_id: c.ticket_id,
            assignee_id: c.assignee_id,
            seen: c.ticket_updated_at,
            active: c
                .ticket_status
                .as_deref()
                .is_some_and(|s| matches!(s, "new" | "open" | "pending_customer" | "on_hold")),
        }
    }
}

/// Work of a lander, in conversation order.
enum Land {
    /// Land a stored message in the ticket. `role` is the agent's role when the socket knew it;
    /// `recovering` when the reconcile pass found it unlanded (it may be in the ticket already).
    Message(Box<ChatMessage>, Option<kefu_core::org::Role>, bool),
    /// Copy staff replies made outside the chat (the HTTP reply endpoint) into the conversation.
    Mirror { conversation_id: i64, ticket_id: i64 },
    /// The ticket's status changed: send the closing message when it was resolved.
    Status { conversation_id: i64, ticket_id: i64 },
}

/// One node's live chat: sockets, the conversations they follow, and the landers.
pub struct Hub {
    pub node: String,
    customers: Mutex<HashMap<i64, Vec<Conn>>>,
    agents: Mutex<HashMap<i64, Vec<Conn>>>,
    convs: Mutex<HashMap<i64, ConvInfo>>,
    floods: Mutex<HashMap<i64, VecDeque<Instant>>>,
    queue_sent: Mutex<HashMap<i64, usize>>,
    landers: Vec<mpsc::UnboundedSender<Land>>,
    /// Landing is background work: at most this many landings use the database at once, so the writer
    /// stays free for the messages customers and agents are waiting on.
    landing: tokio::sync::Semaphore,
    /// Messages waiting to be stored: the appender commits them together (group commit).
    appends: mpsc::UnboundedSender<Append>,
    next_conn: AtomicU64,
}

/// A message to store, and where to answer.
type Append = (NewChatMessage, tokio::sync::oneshot::Sender<ApiResult<(ChatMessage, bool)>>);

/// Messages one group commit stores at most.
const APPEND_BATCH: usize = 256;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// This node's hub (one per `AppState`), started with its background tasks on first use.
///
/// The hub is returned only once this node listens for the other nodes' announcements (PostgreSQL),
/// so a socket registered with it cannot miss a message sent from another node meanwhile.
pub async fn hub(state: &AppState) -> Arc<Hub> {
    state.chat_hub.get_or_init(|| start_hub(state)).await.clone()
}

async fn start_hub(state: &AppState) -> Arc<Hub> {
    let node_signals = listen_to_nodes(state).await;
    let (appends, append_rx) = mpsc::unbounded_channel();
    let mut landers = Vec::new();
    let mut queues = Vec::new();
    for _ in 0..SHARDS {
        let (tx, rx) = mpsc::unbounded_channel();
        landers.push(tx);
        queues.push(rx);
    }
    let h = Arc::new(Hub {
        node: crate::auth::new_token("n")[..14].to_string(),
        customers: Mutex::default(),
        agents: Mutex::default(),
        convs: Mutex::default(),
        floods: Mutex::default(),
        queue_sent: Mutex::default(),
        landers,
        landing: tokio::sync::Semaphore::new(match state.store.backend() {
            kefu_store::Backend::Sqlite => 1,
            kefu_store::Backend::Postgres => 2,
        }),
        appends,
        next_conn: AtomicU64::new(1),
    });
    for rx in queues {
        tokio::spawn(run_lander(state.clone(), h.clone(), rx));
    }
    tokio::spawn(run_appender(state.clone(), append_rx));
    tokio::spawn(run_ticket_listener(state.clone(), h.clone(), state.ticket_events.subscribe()));
    if let Some(rx) = node_signals {
        tokio::spawn(run_node_listener(state.clone(), h.clone(), rx));
    }
    tokio::spawn(run_periodic(state.clone(), h.clone()));
    h
}

/// Start this node's chat server (reconcile at once); `serve` calls it.
pub async fn start(state: AppState) {
    let h = hub(&state).await;
    reconcile(&state, &h, crate::auth::now()).await;
}

pub fn frame(v: &Value) -> Out {
    Out::Text(Arc::from(v.to_string()))
}

pub fn error_frame(code: &str, message: &str) -> Value {
    json!({"type": "error", "code": code, "message": message})
}

/// The `message` frame of a stored message.
pub fn message_frame(m: &ChatMessage) -> Value {
    let mut v = json!({
        "type": "message",
        "conversation_id": m.conversation_id,
        "seq": m.seq,
        "from": m.sender,
        "author": m.author_name,
        "body": m.body,
        "at": m.created_at.to_rfc3339(),
    });
    if let Some(c) = &m.client_id {
        v["client_id"] = json!(c);
    }
    if let Some(a) = m.attachment.as_deref().and_then(|a| serde_json::from_str::<Value>(a).ok()) {
        v["attachment"] = a;
    }
    v
}

impl Hub {
    fn conn(&self) -> (u64, mpsc::Sender<Out>, mpsc::Receiver<Out>) {
        let (tx, rx) = mpsc::channel(OUTBOX);
        (self.next_conn.fetch_add(1, Ordering::Relaxed), tx, rx)
    }

    pub fn add_customer(&self, conversation: i64) -> (u64, mpsc::Receiver<Out>) {
        let (id, tx, rx) = self.conn();
        lock(&self.customers).entry(conversation).or_default().push(Conn { id, tx });
        (id, rx)
    }

    pub fn remove_customer(&self, conversation: i64, id: u64) {
        let mut map = lock(&self.customers);
        if let Some(v) = map.get_mut(&conversation) {
            v.retain(|c| c.id != id);
            if v.is_empty() {
                map.remove(&conversation);
                lock(&self.queue_sent).remove(&conversation);
                lock(&self.floods).remove(&conversation);
            }
        }
    }

    pub fn add_agent(&self, user: i64) -> (u64, mpsc::Receiver<Out>) {
        let (id, tx, rx) = self.conn();
        lock(&self.agents).entry(user).or_default().push(Conn { id, tx });
        (id, rx)
    }

    pub fn remove_agent(&self, user: i64, id: u64) {
        let mut map = lock(&self.agents);
        if let Some(v) = map.get_mut(&user) {
            v.retain(|c| c.id != id);
            if v.is_empty() {
                map.remove(&user);
            }
        }
    }

    fn send_all(conns: Option<&Vec<Conn>>, out: &Out, except: Option<u64>) {
        for c in conns.into_iter().flatten() {
            if Some(c.id) != except {
                // A socket that cannot keep up misses live frames; it catches up with `hello`.
                let _ = c.tx.try_send(out.clone());
            }
        }
    }

    fn to_customers(&self, conversation: i64, out: &Out, except: Option<u64>) {
        Self::send_all(lock(&self.customers).get(&conversation), out, except);
    }

    fn to_agent(&self, user: i64, out: &Out, except: Option<u64>) {
        Self::send_all(lock(&self.agents).get(&user), out, except);
    }

    fn has_customers(&self, conversation: i64) -> bool {
        lock(&self.customers).contains_key(&conversation)
    }

    fn has_agent(&self, user: i64) -> bool {
        lock(&self.agents).contains_key(&user)
    }

    fn has_agents(&self) -> bool {
        !lock(&self.agents).is_empty()
    }

    fn cached(&self, conversation: i64) -> Option<ConvInfo> {
        lock(&self.convs).get(&conversation).cloned()
    }

    /// Count a message of the conversation; false when it floods.
    pub fn allow_message(&self, conversation: i64) -> bool {
        let now = Instant::now();
        let mut map = lock(&self.floods);
        let q = map.entry(conversation).or_default();
        while q.front().is_some_and(|t| now.duration_since(*t) > FLOOD_WINDOW) {
            q.pop_front();
        }
        q.push_back(now);
        q.len() <= FLOOD_LIMIT
    }

    fn land(&self, conversation: i64, job: Land) {
        let shard = conversation.unsigned_abs() as usize % self.landers.len();
        let _ = self.landers[shard].send(job);
    }

    /// Local sockets that follow `conversation`: its customers and the agent holding it.
    async fn info(&self, state: &AppState, conversation: i64) -> Option<ConvInfo> {
        if let Some(i) = self.cached(conversation) {
            return Some(i);
        }
        let c = state.store.get_chat_conversation(conversation).await.ok()??;
        let info = ConvInfo::of(&c);
        lock(&self.convs).insert(conversation, info.clone());
        Some(info)
    }
}

async fn notify(state: &AppState, payload: String) {
    if let Err(e) = state.store.chat_notify(&payload).await {
        tracing::warn!(error = %e, "chat notify failed");
    }
}

/// Deliver a stored message to this node's sockets (except `except`) and announce it to the others.
pub async fn publish(state: &AppState, h: &Hub, m: &ChatMessage, except: Option<u64>) {
    let out = frame(&message_frame(m));
    h.to_customers(m.conversation_id, &out, except);
    if let Some(info) = h.info(state, m.conversation_id).await {
        if let Some(a) = info.assignee_id {
            h.to_agent(a, &out, except);
        }
    }
    notify(state, format!("m:{}:{}:{}", h.node, m.conversation_id, m.seq)).await;
}

/// Typing or read receipt: ephemeral, to the other side of the conversation.
pub async fn signal(state: &AppState, h: &Hub, conversation: i64, from: &str, v: Value) {
    let out = frame(&v);
    if from == "customer" {
        if let Some(a) = h.info(state, conversation).await.and_then(|i| i.assignee_id) {
            h.to_agent(a, &out, None);
        }
    } else {
        h.to_customers(conversation, &out, None);
    }
    notify(state, format!("e:{}:{}:{}:{}", h.node, conversation, from, v)).await;
}

/// Store a message from a socket: durable before the caller acknowledges it; a new one is delivered
/// and queued for landing in the ticket. Returns the stored message and whether it was a resend.
pub async fn accept(
    state: &AppState,
    h: &Hub,
    m: NewChatMessage,
    role: Option<kefu_core::org::Role>,
    conn: Option<u64>,
) -> ApiResult<(ChatMessage, bool)> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    if h.appends.send((m, tx)).is_err() {
        return Err(ApiError::internal("the chat appender stopped"));
    }
    let (stored, dup) = rx.await.map_err(|_| ApiError::internal("the chat appender stopped"))??;
    if !dup {
        publish(state, h, &stored, conn).await;
        h.land(stored.conversation_id, Land::Message(Box::new(stored.clone()), role, false));
    }
    Ok((stored, dup))
}

/// Store and deliver a system message (greeting, left-message notice, closing message).
pub async fn system_message(
    state: &AppState,
    h: &Hub,
    conversation: i64,
    body: &str,
) -> ApiResult<ChatMessage> {
    let m = NewChatMessage {
        conversation_id: conversation,
        sender: "system".into(),
        sender_key: "system".into(),
        author_id: None,
        author_name: "系统".into(),
        client_id: None,
        body: body.to_string(),
        attachment: None,
        ticket_id: None,
        ticket_message_id: None,
        landed: true,
        now: crate::auth::now(),
    };
    let (stored, _) = state.store.append_chat_message(m).await?;
    publish(state, h, &stored, None).await;
    Ok(stored)
}

/// Is someone of the merchant on duty, within the chat service hours?
pub async fn on_duty(
    state: &AppState,
    merchant: Option<i64>,
    calendar: Option<i64>,
    now: Millis,
) -> ApiResult<bool> {
    if let Some(cal) = calendar {
        let rt = state.sla.current();
        if let (Some(c), Ok(ts)) = (rt.calendars.get(&cal), jiff::Timestamp::from_millisecond(now.0)) {
            if !c.is_open(ts) {
                return Ok(false);
            }
        }
    }
    Ok(state.store.chat_agents_on_duty(merchant).await? > 0)
}

/// The 1-based queue position of an unassigned chat ticket among the merchant's waiting chats.
pub async fn queue_position(
    state: &AppState,
    merchant: Option<i64>,
    ticket: i64,
) -> ApiResult<Option<usize>> {
    let waiting: Vec<_> = crate::routing::waiting(state)
        .await?
        .into_iter()
        .filter(|r| r.merchant_id == merchant && r.channel == Channel::Chat)
        .collect();
    Ok(kefu_core::routing::position_in_queue(&waiting, ticket))
}

/// A conversation's ticket changed (assignment, new ticket): refresh what this node knows and tell
/// the local sockets (`assigned` to the customer, the conversation to its new holder).
async fn conversation_changed(state: &AppState, h: &Hub, conversation: i64) {
    let Ok(Some(c)) = state.store.get_chat_conversation(conversation).await else { return };
    apply_change(state, h, &c, None).await;
}

/// An agent's socket opened and read the conversations the agent holds; their `welcome` follows. When
/// this node still knows an older holder — the change's notice is on its way — the database is newer:
/// apply it now, so the customer's next message reaches this socket.
pub async fn held_on_connect(state: &AppState, h: &Hub, c: &ChatConversation, conn: u64) {
    let fresh = ConvInfo::of(c);
    let stale = h.cached(c.id).is_some_and(|i| i.seen < fresh.seen && i.assignee_id != fresh.assignee_id);
    if stale {
        apply_change(state, h, c, Some(conn)).await;
    }
}

/// Learn `c` (just read from the database) unless a newer reading is known, and tell the local
/// sockets what changed; the connection `welcomed` already has the conversation's `welcome`.
async fn apply_change(state: &AppState, h: &Hub, c: &ChatConversation, welcomed: Option<u64>) {
    let conversation = c.id;
    let info = ConvInfo::of(c);
    let before = {
        let mut convs = lock(&h.convs);
        let before = convs.get(&conversation).cloned();
        if before.as_ref().is_some_and(|b| b.seen > info.seen) {
            return;
        }
        convs.insert(conversation, info.clone());
        before
    };
    let was = before.and_then(|b| b.assignee_id);
    if let Some(w) = was.filter(|w| info.assignee_id != Some(*w)) {
        // Transferred or taken back to the queue: the previous holder's tab ends (`released`).
        let to = if info.assignee_id.is_some() { c.assignee_name.clone() } else { None };
        h.to_agent(w, &frame(&json!({"type": "released", "conversation_id": conversation, "to": to})), None);
    }
    if let Some(a) = info.assignee_id {
        if was != Some(a) && info.active {
            let name = c.assignee_name.clone().unwrap_or_default();
            h.to_customers(
                conversation,
                &frame(&json!({"type": "assigned", "conversation_id": conversation, "agent": name})),
                None,
            );
            lock(&h.queue_sent).remove(&conversation);
            h.to_agent(a, &frame(&agent_welcome(c)), welcomed);
        }
    } else if info.active && h.has_customers(conversation) {
        if let Some(t) = info.ticket_id {
            send_queue(state, h, conversation, c.merchant_id, t).await;
        }
    }
}

async fn send_queue(state: &AppState, h: &Hub, conversation: i64, merchant: Option<i64>, ticket: i64) {
    if let Ok(Some(p)) = queue_position(state, merchant, ticket).await {
        if lock(&h.queue_sent).insert(conversation, p) != Some(p) {
            h.to_customers(
                conversation,
                &frame(&json!({"type": "queue", "conversation_id": conversation, "position": p})),
                None,
            );
        }
    }
}

/// The frame announcing a conversation on an agent's socket.
pub fn agent_welcome(c: &ChatConversation) -> Value {
    json!({"type": "welcome", "conversation_id": c.id, "ticket_id": c.ticket_id, "last_seq": c.last_seq,
        "customer_id": c.customer_id})
}

/// The `closed` frame of a resolved ticket, with the signed, expiring survey link (满意度评价).
pub async fn closed_frame(state: &AppState, conversation: i64, ticket: i64) -> ApiResult<Value> {
    let rating_url = crate::signed_link::rating_path(state, ticket).await?;
    Ok(json!({"type": "closed", "conversation_id": conversation, "reason": "resolved",
        "rating_url": rating_url}))
}

/// Store waiting messages in batches: one transaction for everything that queued up meanwhile.
async fn run_appender(state: AppState, mut rx: mpsc::UnboundedReceiver<Append>) {
    let mut batch: Vec<Append> = Vec::with_capacity(APPEND_BATCH);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < APPEND_BATCH {
            match rx.try_recv() {
                Ok(a) => batch.push(a),
                Err(_) => break,
            }
        }
        let messages: Vec<NewChatMessage> = batch.iter().map(|(m, _)| m.clone()).collect();
        match state.store.append_chat_messages(&messages).await {
            Ok(results) => {
                for ((_, reply), r) in batch.drain(..).zip(results) {
                    let _ = reply.send(r.map_err(ApiError::from));
                }
            }
            // The batch failed as a whole (e.g. two nodes stored the same resend at once): one by one.
            Err(_) => {
                for (m, reply) in batch.drain(..) {
                    let _ = reply.send(state.store.append_chat_message(m).await.map_err(ApiError::from));
                }
            }
        }
    }
}

async fn run_lander(state: AppState, h: Arc<Hub>, mut rx: mpsc::UnboundedReceiver<Land>) {
    while let Some(job) = rx.recv().await {
        let r = match job {
            // Only landing waits for the gate: mirrors and status changes are what people wait for.
            Land::Message(m, role, recovering) => {
                let Ok(_permit) = h.landing.acquire().await else { return };
                land_message(&state, &h, &m, role, recovering).await
            }
            Land::Mirror { conversation_id, ticket_id } => {
                mirror(&state, &h, conversation_id, ticket_id).await
            }
            Land::Status { conversation_id, ticket_id } => {
                status(&state, &h, conversation_id, ticket_id).await
            }
        };
        if let Err(e) = r {
            tracing::warn!(error = %e.message, "chat landing failed; the reconcile pass retries");
        }
    }
}

fn ticket_body(m: &ChatMessage) -> String {
    match m.attachment.as_deref().and_then(|a| serde_json::from_str::<Value>(a).ok()) {
        Some(a) => format!("{}\n[附件: {}]", m.body, a["file_name"].as_str().unwrap_or("file")),
        None => m.body.clone(),
    }
}

/// Land one stored message in its ticket (idempotent: a message already landed is skipped).
async fn land_message(
    state: &AppState,
    h: &Hub,
    m: &ChatMessage,
    role: Option<kefu_core::org::Role>,
    recovering: bool,
) -> ApiResult<()> {
    if m.landed {
        return Ok(());
    }
    let Some(conv) = state.store.get_chat_conversation(m.conversation_id).await? else {
        return Err(ApiError::not_found("conversation"));
    };
    let merchant = conv.merchant_id;
    let scope = intake::scope(merchant);
    let body = ticket_body(m);
    let author_kind = if m.sender == "customer" { "customer" } else { "staff" };
    // A crash between the ticket's commit and the `landed` mark leaves the message in the ticket but
    // unmarked: find it (same author and text, written after the chat message, not claimed by another
    // chat message) and only mark it, so recovery never lands it twice.
    if let (true, Some(ticket)) = (recovering, conv.ticket_id) {
        let msgs = state.store.ticket_messages(&scope, ticket, false).await?;
        let taken = state.store.chat_ticket_message_ids(conv.id).await?;
        let already = msgs.iter().find(|t| {
            t.author_kind == author_kind
                && t.body == body
                && t.created_at >= m.created_at
                && !taken.contains(&t.id)
        });
        if let Some(t) = already {
            state.store.mark_chat_landed(m.id, ticket, Some(t.id)).await?;
            return Ok(());
        }
    }
    let active = ConvInfo::of(&conv).active;
    let now = crate::auth::now();
    let (ticket, author_kind) = if m.sender == "customer" {
        let settings = state.store.get_chat_settings(&scope, merchant).await?;
        let reuse = settings.as_ref().map_or(30, |s| s.reuse_minutes);
        let calendar = settings.as_ref().and_then(|s| s.calendar_id);
        let current = conv.ticket_id.filter(|_| active);
        let channel = match (current, conv.ticket_channel.as_deref()) {
            (Some(_), Some("left_message")) => Channel::LeftMessage,
            (Some(_), _) => Channel::Chat,
            (None, _) if on_duty(state, merchant, calendar, now).await? => Channel::Chat,
            (None, _) => Channel::LeftMessage,
        };
        let ctx = intake::ctx("chat", now);
        let landed = intake::customer_message(
            state,
            &ctx,
            Inbound {
                merchant_id: merchant,
                customer_id: conv.customer_id,
                channel,
                subject: intake::one_line(&m.body, 60),
                body,
                ticket_id: current,
                reuse_within_ms: reuse.max(0) * Millis::MINUTE,
                priority: Priority::Normal,
            },
        )
        .await?;
        if conv.ticket_id != Some(landed.ticket.id) {
            state.store.set_chat_ticket(conv.id, landed.ticket.id).await?;
        }
        if let Some(a) = m.attachment.as_deref().and_then(|a| serde_json::from_str::<Value>(a).ok()) {
            if let Some(a) = state.store.get_chat_attachment(a["id"].as_i64().unwrap_or_default()).await? {
                let file = kefu_store::NewAttachment {
                    sha256: a.sha256,
                    file_name: a.file_name,
                    mime: a.mime,
                    size: a.size,
                };
                state.store.add_attachment(&scope, &ctx, landed.ticket.id, file).await?;
            }
        }
        if landed.created && landed.ticket.channel == Channel::LeftMessage {
            system_message(state, h, conv.id, LEFT_MESSAGE_NOTICE).await?;
        }
        if conv.ticket_id != Some(landed.ticket.id) {
            conversation_changed(state, h, conv.id).await;
            notify(state, format!("c:{}:{}", h.node, conv.id)).await;
        }
        (landed.ticket.id, "customer")
    } else {
        let Some(ticket) = conv.ticket_id else {
            return Err(ApiError::new(ErrorCode::Conflict, "the conversation has no ticket"));
        };
        let user = m.author_id.unwrap_or_default();
        let role = match role {
            Some(r) => r,
            None => match state.store.get_user(&Scope::operator(Action::UserRead), user).await? {
                Some(u) => u.role,
                None => return Err(ApiError::not_found("user")),
            },
        };
        let ctx = AuditCtx {
            actor_id: Some(user),
            actor_name: m.author_name.clone(),
            ip: None,
            request_id: None,
            now,
        };
        let actor = Actor::Staff { user_id: user, role };
        let cmd = TicketCommand::StaffReply { body };
        match crate::tickets::command(state, &scope, &ctx, &actor, ticket, None, cmd).await {
            Ok(_) => {}
            // The ticket moved on (closed, merged): the message stays in the chat only.
            Err(e) if matches!(e.code, ErrorCode::Conflict | ErrorCode::Validation | ErrorCode::NotFound) => {
                tracing::warn!(ticket, error = %e.message, "an agent's chat message could not join its ticket");
                state.store.mark_chat_landed(m.id, ticket, None).await?;
                return Ok(());
            }
            Err(e) => return Err(e),
        }
        (ticket, "staff")
    };
    // The ticket message it became, so a mirror of ticket replies never shows it twice.
    let msgs = state.store.ticket_messages(&scope, ticket, false).await?;
    let taken = state.store.chat_ticket_message_ids(conv.id).await?;
    let id = msgs
        .iter()
        .rev()
        .find(|t| t.author_kind == author_kind && t.body == ticket_body(m) && !taken.contains(&t.id))
        .map(|t| t.id);
    state.store.mark_chat_landed(m.id, ticket, id).await?;
    Ok(())
}

/// Copy the ticket's staff replies the conversation does not carry yet (made outside the chat).
async fn mirror(state: &AppState, h: &Hub, conversation: i64, ticket: i64) -> ApiResult<()> {
    let Some(conv) = state.store.get_chat_conversation(conversation).await? else { return Ok(()) };
    let scope = intake::scope(conv.merchant_id);
    let taken = state.store.chat_ticket_message_ids(conversation).await?;
    let msgs = state.store.ticket_messages(&scope, ticket, false).await?;
    for t in msgs.iter().filter(|t| t.kind == "reply" && t.ticket_id == ticket && !taken.contains(&t.id)) {
        let name = match t.author_id {
            Some(u) => state
                .store
                .get_user(&Scope::operator(Action::UserRead), u)
                .await?
                .map_or_else(|| "客服".to_string(), |u| u.display_name),
            None => "客服".to_string(),
        };
        let m = NewChatMessage {
            conversation_id: conversation,
            sender: "agent".into(),
            sender_key: format!("agent:{}", t.author_id.unwrap_or_default()),
            author_id: t.author_id,
            author_name: name,
            client_id: None,
            body: t.body.clone(),
            attachment: None,
            ticket_id: Some(ticket),
            ticket_message_id: Some(t.id),
            landed: true,
            now: crate::auth::now(),
        };
        let (stored, _) = state.store.append_chat_message(m).await?;
        publish(state, h, &stored, None).await;
    }
    Ok(())
}

/// A status change of a chat ticket: on resolution, the closing message and `closed`.
async fn status(state: &AppState, h: &Hub, conversation: i64, ticket: i64) -> ApiResult<()> {
    let Some(conv) = state.store.get_chat_conversation(conversation).await? else { return Ok(()) };
    conversation_changed(state, h, conversation).await;
    notify(state, format!("c:{}:{}", h.node, conversation)).await;
    if conv.ticket_id != Some(ticket) || conv.ticket_status.as_deref() != Some("resolved") {
        return Ok(());
    }
    let settings = state.store.get_chat_settings(&intake::scope(conv.merchant_id), conv.merchant_id).await?;
    if let Some(text) = settings.map(|s| s.closing_message).filter(|t| !t.trim().is_empty()) {
        system_message(state, h, conversation, &text).await?;
    }
    h.to_customers(conversation, &frame(&closed_frame(state, conversation, ticket).await?), None);
    notify(state, format!("x:{}:{}:{}", h.node, conversation, ticket)).await;
    Ok(())
}

/// Turn this node's changes of chat tickets into chat work.
async fn run_ticket_listener(
    state: AppState,
    h: Arc<Hub>,
    mut bus: tokio::sync::broadcast::Receiver<crate::tickets::TicketNotice>,
) {
    loop {
        let n = match bus.recv().await {
            Ok(n) => n,
            Err(tokio::sync::broadcast::error::RecvError::Lagged(k)) => {
                // Who holds which chat may have changed unseen: forget it, so it is read again.
                tracing::warn!(missed = k, "chat missed ticket notices");
                lock(&h.convs).clear();
                continue;
            }
            Err(_) => return,
        };
        let has = |name: &str| n.events.iter().any(|e| e == name);
        let replied = has("staff_replied");
        let moved = has("assigned") || has("transferred") || has("status_changed");
        if !replied && !moved {
            continue;
        }
        let Ok(Some(conv)) = state.store.chat_conversation_of_ticket(n.ticket_id).await else { continue };
        if replied {
            h.land(conv, Land::Mirror { conversation_id: conv, ticket_id: n.ticket_id });
        }
        if moved {
            // Who holds the chat matters at once (delivery, `assigned`); the closing message keeps its
            // place after the conversation's other work, on the lander.
            conversation_changed(&state, &h, conv).await;
            h.land(conv, Land::Status { conversation_id: conv, ticket_id: n.ticket_id });
        }
    }
}

/// Listen for the other nodes' announcements (PostgreSQL); `None` on a single node (SQLite) or when
/// the listener cannot start (logged: cross-node chat is then off, local chat still works).
async fn listen_to_nodes(state: &AppState) -> Option<mpsc::UnboundedReceiver<ChatSignal>> {
    let (tx, rx) = mpsc::unbounded_channel();
    match state.store.chat_listen(tx).await {
        Ok(true) => Some(rx),
        Ok(false) => None,
        Err(e) => {
            tracing::error!(error = %e, "cannot listen for chat notifications; cross-node chat is off");
            None
        }
    }
}

/// Serve the local sockets with the other nodes' announcements.
async fn run_node_listener(state: AppState, h: Arc<Hub>, mut rx: mpsc::UnboundedReceiver<ChatSignal>) {
    while let Some(sig) = rx.recv().await {
        match sig {
            ChatSignal::Payload(p) => on_payload(&state, &h, &p).await,
            ChatSignal::Reconnected => {
                // What was missed is replayed when clients send `hello`; refresh the ticket cache.
                lock(&h.convs).clear();
            }
        }
    }
}

async fn on_payload(state: &AppState, h: &Hub, p: &str) {
    let mut parts = p.splitn(4, ':');
    let (Some(kind), Some(node), Some(conv)) = (parts.next(), parts.next(), parts.next()) else { return };
    if node == h.node {
        return;
    }
    let rest = parts.next().map(str::to_string);
    let Ok(conv) = conv.parse::<i64>() else { return };
    match kind {
        "m" => {
            let Some(seq) = rest.and_then(|s| s.parse::<i64>().ok()) else { return };
            let customers = h.has_customers(conv);
            let agent = if h.has_agents() {
                h.info(state, conv).await.and_then(|i| i.assignee_id).filter(|a| h.has_agent(*a))
            } else {
                None
            };
            if !customers && agent.is_none() {
                return;
            }
            if let Ok(Some(m)) = state.store.chat_message(conv, seq).await {
                let out = frame(&message_frame(&m));
                h.to_customers(conv, &out, None);
                if let Some(a) = agent {
                    h.to_agent(a, &out, None);
                }
            }
        }
        "e" => {
            let Some((from, v)) = rest.as_deref().and_then(|r| r.split_once(':')) else { return };
            let Ok(v) = serde_json::from_str::<Value>(v) else { return };
            let out = frame(&v);
            if from == "customer" {
                if let Some(a) = h.info(state, conv).await.and_then(|i| i.assignee_id) {
                    h.to_agent(a, &out, None);
                }
            } else {
                h.to_customers(conv, &out, None);
            }
        }
        "c" => {
            if h.has_customers(conv) || h.has_agents() {
                conversation_changed(state, h, conv).await;
            } else {
                lock(&h.convs).remove(&conv);
            }
        }
        "x" => {
            if let Some(t) = rest.and_then(|s| s.parse::<i64>().ok()) {
                match closed_frame(state, conv, t).await {
                    Ok(f) => h.to_customers(conv, &frame(&f), None),
                    Err(e) => {
                        tracing::warn!(conversation = conv, error = %e.message, "closed frame not signed")
                    }
                }
            }
        }
        _ => {}
    }
}

/// Land what a crash left behind (messages older than 30 s not landed), oldest first.
pub async fn reconcile(state: &AppState, h: &Hub, now: Millis) -> usize {
    match state.store.unlanded_chat_messages(Millis(now.0 - 30_000), 1000).await {
        Ok(list) => {
            let n = list.len();
            for m in list {
                // Landed already by a crash between the ticket's commit and the flag? Then only mark it.
                h.land(m.conversation_id, Land::Message(Box::new(m), None, true));
            }
            n
        }
        Err(e) => {
            tracing::error!(error = %e, "chat reconcile failed");
            0
        }
    }
}

/// Every 2 s: queue positions of this node's waiting customers; every 10 s: reconcile.
async fn run_periodic(state: AppState, h: Arc<Hub>) {
    let mut tick: u64 = 0;
    loop {
        tokio::time::sleep(Duration::from_secs(2)).await;
        tick += 1;
        if tick.is_multiple_of(5) {
            reconcile(&state, &h, crate::auth::now()).await;
        }
        refresh_queues(&state, &h).await;
    }
}

/// Send `queue` to this node's customers whose chat waits for an agent, when their place changed.
pub async fn refresh_queues(state: &AppState, h: &Hub) {
    let waiting_convs: Vec<(i64, Option<i64>, i64)> = {
        let customers = lock(&h.customers);
        let convs = lock(&h.convs);
        customers
            .keys()
            .filter_map(|c| convs.get(c).map(|i| (*c, i)))
            .filter(|(_, i)| i.assignee_id.is_none() && i.active)
            .filter_map(|(c, i)| i.ticket_id.map(|t| (c, i.merchant_id, t)))
            .collect()
    };
    if waiting_convs.is_empty() {
        return;
    }
    let Ok(all) = crate::routing::waiting(state).await else { return };
    for (conv, merchant, ticket) in waiting_convs {
        let mine: Vec<_> =
            all.iter().filter(|r| r.merchant_id == merchant && r.channel == Channel::Chat).cloned().collect();
        match kefu_core::routing::position_in_queue(&mine, ticket) {
            Some(p) => {
                if lock(&h.queue_sent).insert(conv, p) != Some(p) {
                    h.to_customers(
                        conv,
                        &frame(&json!({"type": "queue", "conversation_id": conv, "position": p})),
                        None,
                    );
                }
            }
            // Not waiting any more (assigned on another node, resolved): refresh what we know.
            None => conversation_changed(state, h, conv).await,
        }
    }
}

/// A frame a client sends.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Incoming {
    Hello {
        #[serde(default)]
        last_seq: i64,
        conversation_id: Option<i64>,
    },
    Message {
        client_id: String,
        body: String,
        attachment_id: Option<i64>,
        conversation_id: Option<i64>,
    },
    Typing {
        on: bool,
        conversation_id: Option<i64>,
    },
    Read {
        seq: i64,
        conversation_id: Option<i64>,
    },
    Ping {
        conversation_id: Option<i64>,
    },
}

/// Check a message frame's fields; the error frame names what is wrong.
pub fn check_message(client_id: &str, body: &str) -> Result<String, Value> {
    let n = client_id.chars().count();
    if n == 0 || n > 64 || client_id.chars().any(char::is_control) {
        return Err(json!({"type": "error", "code": "validation", "field": "client_id",
            "message": "client_id must be 1-64 characters"}));
    }
    let body = body.trim();
    let n = body.chars().count();
    if n == 0 || n > MAX_BODY {
        return Err(json!({"type": "error", "code": "validation", "field": "body",
            "message": format!("a message has 1-{MAX_BODY} characters")}));
    }
    Ok(body.to_string())
}

/// The customer identified by a chat session's visitor or signed account.
pub async fn customer_for(
    state: &AppState,
    merchant: Option<i64>,
    identity: &Identity,
    name: Option<&str>,
) -> ApiResult<kefu_store::Customer> {
    let ctx = intake::ctx("chat", crate::auth::now());
    intake::find_customer(state, &ctx, merchant, identity, name).await
}
