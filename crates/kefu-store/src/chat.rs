//! Storage of live chat (在线咨询): merchant widget settings, customer sessions, conversations and their
//! messages. A chat message is durable in `chat_messages` (with its gap-free per-conversation `seq`)
//! before it is acknowledged; landing it in the ticket is a second, recoverable step (`landed`).
//!
//! Sessions, conversations and messages are reached through a customer's session token or an agent's
//! socket after the server checked who they are; those methods take the ids the server resolved.

use crate::{AuditCtx, Result};
use async_trait::async_trait;
use kefu_core::authz::Scope;
use kefu_core::time::Millis;
use serde::Serialize;
use utoipa::ToSchema;

/// The chat settings of the platform (`merchant_id` None) or a merchant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ChatSettings {
    pub merchant_id: Option<i64>,
    /// Public: the widget names it (`wk_…`).
    pub widget_key: String,
    /// The HMAC-SHA256 key of signed customer tokens; the API shows it only on creation and rotation.
    #[serde(skip)]
    pub secret: String,
    /// Sent as a system message when a conversation starts.
    pub greeting: String,
    /// Sent when the chat is resolved, with the invitation to rate.
    pub closing_message: String,
    /// A chat within this many minutes of the customer's open chat ticket joins it.
    pub reuse_minutes: i64,
    pub enabled: bool,
    /// The business calendar of the chat service hours (服务时段); none: whenever an agent is on duty.
    pub calendar_id: Option<i64>,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// A customer's chat session (the `kfc_…` token is stored as its SHA-256 fingerprint).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatSession {
    pub token_hash: String,
    pub merchant_id: Option<i64>,
    pub customer_id: i64,
    pub conversation_id: i64,
    pub visitor_id: String,
    pub identified: bool,
    pub created_at: Millis,
    pub expires_at: Millis,
}

/// A conversation with what the chat server needs of its current ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatConversation {
    pub id: i64,
    pub merchant_id: Option<i64>,
    pub customer_id: i64,
    pub ticket_id: Option<i64>,
    pub last_seq: i64,
    pub created_at: Millis,
    /// The current ticket's assignee, status (wire name) and channel.
    pub assignee_id: Option<i64>,
    pub assignee_name: Option<String>,
    pub ticket_status: Option<String>,
    pub ticket_channel: Option<String>,
    pub ticket_updated_at: Option<Millis>,
}

/// One stored chat message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatMessage {
    pub id: i64,
    pub conversation_id: i64,
    pub seq: i64,
    /// `customer`, `agent` or `system`.
    pub sender: String,
    /// Whose `client_id`s must be unique: `customer`, `agent:<user id>` or `system`.
    pub sender_key: String,
    pub author_id: Option<i64>,
    pub author_name: String,
    pub client_id: Option<String>,
    pub body: String,
    /// JSON of the attachment (`{"id","file_name","mime","size"}`).
    pub attachment: Option<String>,
    pub ticket_id: Option<i64>,
    pub ticket_message_id: Option<i64>,
    pub landed: bool,
    pub created_at: Millis,
}

/// A message to append; `landed` is true for what never goes to the ticket (system messages, mirrors).
#[derive(Debug, Clone)]
pub struct NewChatMessage {
    pub conversation_id: i64,
    pub sender: String,
    pub sender_key: String,
    pub author_id: Option<i64>,
    pub author_name: String,
    pub client_id: Option<String>,
    pub body: String,
    pub attachment: Option<String>,
    pub ticket_id: Option<i64>,
    pub ticket_message_id: Option<i64>,
    pub landed: bool,
    pub now: Millis,
}

/// A file a chat customer uploaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ChatAttachment {
    pub id: i64,
    pub conversation_id: i64,
    pub merchant_id: Option<i64>,
    #[serde(skip)]
    pub sha256: String,
    pub file_name: String,
    pub mime: String,
    pub size: i64,
    pub created_at: Millis,
}

#[async_trait]
pub trait ChatStore: Send + Sync {
    /// The settings of the merchant the scope names (`merchant`), if any.
    async fn get_chat_settings(&self, s: &Scope, merchant: Option<i64>) -> Result<Option<ChatSettings>>;
    /// Create or replace the settings (audited; the secret never enters the audit record).
    async fn put_chat_settings(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        settings: ChatSettings,
    ) -> Result<ChatSettings>;
    async fn chat_settings_by_widget(&self, widget_key: &str) -> Result<Option<ChatSettings>>;

    /// The customer's latest conversation with the merchant, or a new one starting with `greeting` as a
    /// system message; `true` when it was created.
    async fn open_chat_conversation(
        &self,
        merchant: Option<i64>,
        customer_id: i64,
        greeting: &str,
        now: Millis,
    ) -> Result<(ChatConversation, bool)>;
    async fn get_chat_conversation(&self, id: i64) -> Result<Option<ChatConversation>>;
    async fn chat_conversation_of_ticket(&self, ticket_id: i64) -> Result<Option<i64>>;
    async fn set_chat_ticket(&self, conversation_id: i64, ticket_id: i64) -> Result<()>;
    /// The conversations of the active tickets `user_id` holds.
    async fn held_chat_conversations(&self, user_id: i64) -> Result<Vec<ChatConversation>>;

    async fn create_chat_session(&self, session: &ChatSession) -> Result<()>;
    async fn chat_session(&self, token_hash: &str, now: Millis) -> Result<Option<ChatSession>>;

    /// Append a message with the conversation's next `seq`. A message whose sender already sent this
    /// `client_id` is not stored again: the stored one is returned with `true`.
    async fn append_chat_message(&self, m: NewChatMessage) -> Result<(ChatMessage, bool)>;
    /// Append several messages in one transaction (group commit), each as `append_chat_message` would:
    /// one result per message, in order; a message of an unknown conversation gets its own error.
    async fn append_chat_messages(&self, ms: &[NewChatMessage]) -> Result<Vec<Result<(ChatMessage, bool)>>>;
    async fn chat_messages_after(
        &self,
        conversation_id: i64,
        seq: i64,
        limit: i64,
    ) -> Result<Vec<ChatMessage>>;
    async fn chat_message(&self, conversation_id: i64, seq: i64) -> Result<Option<ChatMessage>>;
    async fn mark_chat_landed(&self, id: i64, ticket_id: i64, ticket_message_id: Option<i64>) -> Result<()>;
    /// Messages not yet landed in their ticket, written before `before`, oldest first.
    async fn unlanded_chat_messages(&self, before: Millis, limit: i64) -> Result<Vec<ChatMessage>>;
    /// The ticket message ids the conversation already carries.
    async fn chat_ticket_message_ids(&self, conversation_id: i64) -> Result<Vec<i64>>;

    /// How many of the merchant's agents are online or busy (在线/忙碌).
    async fn chat_agents_on_duty(&self, merchant: Option<i64>) -> Result<i64>;

    async fn add_chat_attachment(&self, a: ChatAttachment) -> Result<ChatAttachment>;
    async fn get_chat_attachment(&self, id: i64) -> Result<Option<ChatAttachment>>;

    /// Tell every node (PostgreSQL NOTIFY on `kefu_chat`); nothing on SQLite (one node).
    async fn chat_notify(&self, payload: &str) -> Result<()>;
    /// Forward every `kefu_chat` notification to `tx` (PostgreSQL); `false` on SQLite.
    async fn chat_listen(&self, tx: tokio::sync::mpsc::UnboundedSender<ChatSignal>) -> Result<bool>;
}

/// What a chat listener receives.
#[derive(Debug, Clone)]
pub enum ChatSignal {
    /// A notification's payload.
    Payload(String),
    /// The listening connection was re-established: notifications may have been missed.
    Reconnected,
}

/// The backend-specific part of `chat_listen`.
#[async_trait]
pub trait ChatListen {
    async fn listen_chat(&self, tx: tokio::sync::mpsc::UnboundedSender<ChatSignal>) -> Result<bool>;
}

#[async_trait]
impl ChatListen for crate::sqlite::SqliteStore {
    async fn listen_chat(&self, _tx: tokio::sync::mpsc::UnboundedSender<ChatSignal>) -> Result<bool> {
        Ok(false)
    }
}

/// The notification channel of live chat.
pub const CHAT_CHANNEL: &str = "kefu_chat";

#[async_trait]
impl ChatListen for crate::postgres::PgStore {
    async fn listen_chat(&self, tx: tokio::sync::mpsc::UnboundedSender<ChatSignal>) -> Result<bool> {
        let mut listener = sqlx::postgres::PgListener::connect_with(self.raw_pool()).await?;
        listener.listen(CHAT_CHANNEL).await?;
        tokio::spawn(async move {
            loop {
                match listener.try_recv().await {
                    Ok(Some(n)) => {
                        if tx.send(ChatSignal::Payload(n.payload().to_string())).is_err() {
                            return;
                        }
                    }
                    // The connection was lost and is re-established on the next call.
                    Ok(None) => {
                        if tx.send(ChatSignal::Reconnected).is_err() {
                            return;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "chat listener failed; retrying");
                        if tx.is_closed() {
                            return;
                        }
                        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    }
                }
            }
        });
        Ok(true)
    }
}
