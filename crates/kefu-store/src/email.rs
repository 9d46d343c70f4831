//! Storage of the email channel (邮件): support mailboxes (the addresses mail to a merchant arrives at and
//! the relay its replies leave through), inbound mail kept in its raw form, and the Message-IDs of each
//! ticket's mail thread.
//!
//! An inbound mail is a row *before* the SMTP listener answers 250 to the final dot; parsing and landing
//! it in a ticket happen afterwards, claimed with a lease (`claim_inbound_mail`), so a crash in between
//! leaves a row that the next pass picks up.

use crate::{AuditCtx, Result};
use async_trait::async_trait;
use kefu_core::authz::Scope;
use kefu_core::time::Millis;
use serde::Serialize;
use utoipa::ToSchema;

/// Transport security towards the outbound relay.
pub const SMTP_SECURITY: [&str; 3] = ["none", "starttls", "tls"];

/// A support mailbox (客服邮箱). The relay password is never part of it: `smtp_password_set` says whether
/// one is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Mailbox {
    pub id: i64,
    /// `None`: the platform's own mailbox.
    pub merchant_id: Option<i64>,
    /// The support address, lower case, e.g. `service@shop.example`.
    pub address: String,
    /// The sender name of replies, e.g. `某某旗舰店客服`.
    pub from_name: String,
    pub smtp_host: String,
    pub smtp_port: i64,
    /// `none`, `starttls` or `tls`.
    pub smtp_security: String,
    pub smtp_username: Option<String>,
    pub smtp_password_set: bool,
    /// Appended to every reply; may use {客服昵称}, {工单号}, {客户称呼}.
    pub signature: String,
    /// A disabled mailbox refuses mail (550) and sends nothing.
    pub enabled: bool,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// What to do with the stored relay password on an update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordChange {
    Keep,
    Set(String),
    Clear,
}

/// A mailbox to create or replace (validated by the server).
#[derive(Debug, Clone)]
pub struct MailboxSpec {
    pub merchant_id: Option<i64>,
    pub address: String,
    pub from_name: String,
    pub smtp_host: String,
    pub smtp_port: i64,
    pub smtp_security: String,
    pub smtp_username: Option<String>,
    pub smtp_password: PasswordChange,
    pub signature: String,
    pub enabled: bool,
}

/// A mail as the listener received it.
#[derive(Debug, Clone)]
pub struct NewInboundMail {
    pub merchant_id: Option<i64>,
    pub mailbox_id: i64,
    /// The client's IP address.
    pub peer: String,
    /// The envelope sender (empty for a bounce's null reverse path).
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    pub raw: Vec<u8>,
    pub received_at: Millis,
}

/// An inbound mail's record (without its raw bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct InboundMail {
    pub id: i64,
    pub merchant_id: Option<i64>,
    pub mailbox_id: i64,
    pub peer: String,
    pub mail_from: String,
    /// The recipients, comma separated.
    pub rcpt_to: String,
    pub size: i64,
    /// `received` (stored, not yet processed), `processing`, `processed`, `flagged` (kept but could not
    /// be read as mail), `failed` (gave up after repeated errors).
    pub state: String,
    /// `mail`, `auto_reply` or `bounce` once processed.
    pub kind: Option<String>,
    pub subject: Option<String>,
    pub message_id: Option<String>,
    /// The HTML body as received (the API shows it sanitised).
    pub body_html: Option<String>,
    /// The ticket it landed in or belongs to.
    pub ticket_id: Option<i64>,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub received_at: Millis,
    pub processed_at: Option<Millis>,
}

/// How processing ended.
#[derive(Debug, Clone, Default)]
pub struct InboundOutcome {
    /// `processed`, `flagged`, `failed`, or `received` to try again later.
    pub state: String,
    pub kind: Option<String>,
    pub subject: Option<String>,
    pub message_id: Option<String>,
    pub body_html: Option<String>,
    pub ticket_id: Option<i64>,
    pub error: Option<String>,
}

/// One mail of a ticket's thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadMessage {
    pub mailbox_id: i64,
    pub message_id: String,
    /// `in` (from the customer) or `out` (kefu's reply).
    pub direction: String,
    /// The customer's address.
    pub peer: String,
    pub created_at: Millis,
}

#[async_trait]
pub trait EmailStore: Send + Sync {
    async fn list_mailboxes(&self, s: &Scope) -> Result<Vec<Mailbox>>;
    async fn get_mailbox(&self, s: &Scope, id: i64) -> Result<Option<Mailbox>>;
    /// An enabled mailbox by its address (lower case). The listener's lookup: the address names the merchant.
    async fn mailbox_by_address(&self, address: &str) -> Result<Option<Mailbox>>;
    /// The stored relay password in clear (for sending only; never for the API).
    async fn mailbox_password(&self, id: i64) -> Result<Option<String>>;
    async fn create_mailbox(&self, s: &Scope, ctx: &AuditCtx, spec: MailboxSpec) -> Result<Mailbox>;
    async fn update_mailbox(&self, s: &Scope, ctx: &AuditCtx, id: i64, spec: MailboxSpec) -> Result<Mailbox>;

    /// Store a received mail (committed when this returns); its id.
    async fn insert_inbound_mail(&self, mail: NewInboundMail) -> Result<i64>;
    /// Claim a mail for processing until `lease_until`: one that is `received`, or `processing` with an
    /// expired lease (its node died). Counts an attempt. Returns the record and the raw bytes.
    async fn claim_inbound_mail(
        &self,
        id: i64,
        now: Millis,
        lease_until: Millis,
    ) -> Result<Option<(InboundMail, Vec<u8>)>>;
    /// Ids of mail waiting to be processed (oldest first): received, or processing with an expired lease.
    async fn pending_inbound_mail(&self, now: Millis, limit: i64) -> Result<Vec<i64>>;
    async fn finish_inbound_mail(&self, id: i64, outcome: InboundOutcome, now: Millis) -> Result<()>;
    /// Newest first; `ticket_id` narrows to one ticket's mail.
    async fn list_inbound_mail(
        &self,
        s: &Scope,
        ticket_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<InboundMail>>;

    /// Remember a Message-ID of a ticket's thread (idempotent).
    async fn record_thread_message(
        &self,
        merchant_id: Option<i64>,
        ticket_id: i64,
        m: ThreadMessage,
    ) -> Result<()>;
    /// The newest ticket of this merchant whose thread holds one of these Message-IDs.
    async fn ticket_by_message_ids(&self, merchant_id: Option<i64>, ids: &[String]) -> Result<Option<i64>>;
    /// The ticket's thread, oldest first.
    async fn ticket_thread(&self, ticket_id: i64) -> Result<Vec<ThreadMessage>>;
}
