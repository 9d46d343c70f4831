//! Storage of integrations: outbound webhooks (Webhook 订阅) and their delivery log, the phone channel
//! (呼叫中心: lines, call records, call-back tasks 回拨任务) and the app/API channel's idempotence keys.

use crate::{AuditCtx, Result};
use async_trait::async_trait;
use kefu_core::authz::Scope;
use kefu_core::time::Millis;
use serde::Serialize;
use utoipa::ToSchema;

/// The key a per-tenant row is stored under: the merchant id, or 0 for the platform's own service.
pub fn owner_key(merchant: Option<i64>) -> i64 {
    merchant.unwrap_or(0)
}

/// A webhook subscription: where a merchant wants to be told about which events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Webhook {
    pub id: i64,
    pub merchant_id: Option<i64>,
    /// Where deliveries are POSTed (http or https).
    pub url: String,
    /// Event types, e.g. `ticket.created`, `message.created`, `sla.breached`.
    pub events: Vec<String>,
    pub active: bool,
    pub description: String,
    /// The signing secret; never shown after creation or rotation.
    #[serde(skip)]
    pub secret: String,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// A subscription to create (validated by the server).
#[derive(Debug, Clone)]
pub struct WebhookSpec {
    pub merchant_id: Option<i64>,
    pub url: String,
    pub events: Vec<String>,
    pub active: bool,
    pub description: String,
    pub secret: String,
}

/// A change to a subscription; `None` keeps the value.
#[derive(Debug, Clone, Default)]
pub struct WebhookPatch {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub active: Option<bool>,
    pub description: Option<String>,
}

/// One delivery: a ticket event for one subscription, with every attempt made so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct WebhookDelivery {
    pub id: i64,
    /// Sent as `X-Kefu-Delivery`; the same on every attempt and replay (the receiver's idempotence key).
    pub delivery_key: String,
    pub subscription_id: i64,
    pub merchant_id: Option<i64>,
    /// The ticket event it reports.
    pub event_id: i64,
    pub event_type: String,
    pub ticket_id: Option<i64>,
    /// The JSON body sent.
    pub body: String,
    /// `pending`, `delivered` or `failed` (gave up; may be replayed).
    pub state: String,
    pub attempts: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub attempt_log: Vec<WebhookAttempt>,
}

/// One attempt to deliver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct WebhookAttempt {
    pub attempt: i64,
    /// The receiver's HTTP status, if it answered.
    pub status_code: Option<i64>,
    /// Why it failed (timeout, connection error, non-2xx status).
    pub error: Option<String>,
    pub duration_ms: i64,
    pub at: Millis,
}

/// A delivery to record before its job is enqueued.
#[derive(Debug, Clone)]
pub struct NewDelivery {
    pub delivery_key: String,
    pub subscription_id: i64,
    pub merchant_id: Option<i64>,
    pub event_id: i64,
    pub event_type: String,
    pub ticket_id: Option<i64>,
    pub body: String,
    pub now: Millis,
}

/// An attempt's outcome to record.
#[derive(Debug, Clone)]
pub struct AttemptRecord {
    pub delivery_id: i64,
    pub attempt: i64,
    pub status_code: Option<i64>,
    pub error: Option<String>,
    pub duration_ms: i64,
    pub at: Millis,
    /// The delivery's state after this attempt.
    pub state: String,
}

/// A called line (热线号码) of a merchant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PhoneLine {
    /// Normalised, e.g. `4008001234`, `02112345678`.
    pub number: String,
    pub label: String,
}

/// A merchant's phone channel settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PhoneSettings {
    pub merchant_id: Option<i64>,
    pub lines: Vec<PhoneLine>,
    /// How long one ring lasts, in seconds (default 6).
    pub ring_secs: i64,
    /// The published standard: answered within this many rings (default 3, SVC-6).
    pub rings_target: i64,
    /// A call-back task for a missed call is due this many minutes after the call ended.
    pub callback_due_mins: i64,
    pub updated_at: Option<Millis>,
}

impl PhoneSettings {
    pub fn defaults(merchant_id: Option<i64>) -> PhoneSettings {
        PhoneSettings {
            merchant_id,
            lines: Vec::new(),
            ring_secs: 6,
            rings_target: 3,
            callback_due_mins: 120,
            updated_at: None,
        }
    }
}

/// A call record as the telephony system reported it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PhoneCall {
    pub id: i64,
    pub merchant_id: Option<i64>,
    /// The telephony system's id of the call.
    pub call_id: String,
    /// `inbound` or `outbound`.
    pub direction: String,
    pub line: String,
    /// `answered`, `missed` (rang at least the target without an answer) or `abandoned` (the caller hung
    /// up sooner).
    pub outcome: String,
    pub customer_id: Option<i64>,
    pub ticket_id: Option<i64>,
    pub agent_id: Option<i64>,
    pub ring_at: Millis,
    pub answered_at: Option<Millis>,
    pub ended_at: Millis,
    pub ivr_choice: Option<String>,
    pub recording_ref: Option<String>,
    pub created_at: Millis,
}

/// A call record to store (claiming its `call_id`).
#[derive(Debug, Clone)]
pub struct NewCall {
    pub merchant_id: Option<i64>,
    pub call_id: String,
    pub direction: String,
    pub line: String,
    pub outcome: String,
    pub agent_id: Option<i64>,
    pub ring_at: Millis,
    pub answered_at: Option<Millis>,
    pub ended_at: Millis,
    pub ivr_choice: Option<String>,
    pub recording_ref: Option<String>,
    pub now: Millis,
}

/// A call-back task (回拨任务) for a missed or abandoned call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Callback {
    pub id: i64,
    pub merchant_id: Option<i64>,
    /// The call record (`PhoneCall::id`).
    pub call_pk: i64,
    pub customer_id: Option<i64>,
    pub ticket_id: Option<i64>,
    /// `open` or `done`.
    pub state: String,
    pub due_at: Millis,
    pub created_at: Millis,
    pub done_at: Option<Millis>,
    pub done_by: Option<i64>,
    pub note: Option<String>,
}

/// One call's figures for the phone report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallFact {
    pub merchant_id: Option<i64>,
    pub direction: String,
    pub outcome: String,
    pub ring_at: Millis,
    pub answered_at: Option<Millis>,
}

/// An app message's idempotence record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppMessageKey {
    pub merchant_id: Option<i64>,
    pub client_message_id: String,
    pub customer_id: Option<i64>,
    /// `None` while the first request is still landing it.
    pub ticket_id: Option<i64>,
    pub created_at: Millis,
}

#[async_trait]
pub trait IntegrationStore: Send + Sync {
    // Webhook subscriptions
    async fn create_webhook(&self, s: &Scope, ctx: &AuditCtx, spec: WebhookSpec) -> Result<Webhook>;
    async fn list_webhooks(&self, s: &Scope) -> Result<Vec<Webhook>>;
    async fn get_webhook(&self, s: &Scope, id: i64) -> Result<Option<Webhook>>;
    async fn update_webhook(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        id: i64,
        patch: WebhookPatch,
    ) -> Result<Webhook>;
    async fn set_webhook_secret(&self, s: &Scope, ctx: &AuditCtx, id: i64, secret: String)
        -> Result<Webhook>;
    async fn delete_webhook(&self, s: &Scope, ctx: &AuditCtx, id: i64) -> Result<()>;
    /// Every active subscription of every tenant (the feed consumer matches events against them).
    async fn active_webhooks(&self) -> Result<Vec<Webhook>>;

    // Deliveries
    /// Record a delivery; with one already there for the same subscription and event, answer that one
    /// (`false`: not new).
    async fn create_webhook_delivery(&self, new: NewDelivery) -> Result<(WebhookDelivery, bool)>;
    async fn get_webhook_delivery(&self, s: &Scope, id: i64) -> Result<Option<WebhookDelivery>>;
    /// The newest deliveries of a subscription (with their attempts), newest first.
    async fn list_webhook_deliveries(
        &self,
        s: &Scope,
        subscription: i64,
        limit: i64,
    ) -> Result<Vec<WebhookDelivery>>;
    async fn record_webhook_attempt(&self, a: AttemptRecord) -> Result<()>;
    /// Mark a delivery pending again (replay).
    async fn reset_webhook_delivery(&self, id: i64, now: Millis) -> Result<()>;
    /// The id of the job enqueued with this dedupe key.
    async fn job_by_dedupe_key(&self, key: &str) -> Result<Option<i64>>;

    // Phone
    /// The settings of `merchant` (defaults when never saved).
    async fn get_phone_settings(&self, s: &Scope, merchant: Option<i64>) -> Result<PhoneSettings>;
    /// Replace the settings and lines; a line of another tenant is a conflict on `lines`.
    async fn put_phone_settings(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        settings: PhoneSettings,
    ) -> Result<PhoneSettings>;
    /// Which tenant a line belongs to: `None` when nobody's, `Some(None)` for the platform's.
    async fn phone_line_owner(&self, number: &str) -> Result<Option<Option<i64>>>;
    /// Store a call record; an existing one with the same tenant and `call_id` is answered instead (`false`).
    async fn claim_phone_call(&self, s: &Scope, call: NewCall) -> Result<(PhoneCall, bool)>;
    /// Attach the customer and ticket to a claimed call, and open its call-back task when `callback_due`.
    async fn finish_phone_call(
        &self,
        s: &Scope,
        id: i64,
        customer_id: i64,
        ticket_id: i64,
        callback_due: Option<Millis>,
        now: Millis,
    ) -> Result<(PhoneCall, Option<Callback>)>;
    /// Forget a claimed call whose landing failed (so the telephony system's retry lands it).
    async fn release_phone_call(&self, s: &Scope, id: i64) -> Result<()>;
    async fn callback_of_call(&self, s: &Scope, call_pk: i64) -> Result<Option<Callback>>;
    async fn list_callbacks(&self, s: &Scope, state: Option<&str>, limit: i64) -> Result<Vec<Callback>>;
    async fn get_callback(&self, s: &Scope, id: i64) -> Result<Option<Callback>>;
    async fn complete_callback(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        id: i64,
        note: Option<String>,
    ) -> Result<Callback>;
    /// Calls that rang in `[from, to)` (the scope's tenant, or `merchant` for platform scope).
    async fn call_facts(
        &self,
        s: &Scope,
        merchant: Option<i64>,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<CallFact>>;

    // App channel
    /// Claim a client message id: `None` when claimed now, else the earlier record.
    async fn claim_app_message(
        &self,
        merchant: Option<i64>,
        client_message_id: &str,
        now: Millis,
    ) -> Result<Option<AppMessageKey>>;
    async fn finish_app_message(
        &self,
        merchant: Option<i64>,
        client_message_id: &str,
        customer_id: i64,
        ticket_id: i64,
    ) -> Result<()>;
    async fn release_app_message(&self, merchant: Option<i64>, client_message_id: &str) -> Result<()>;
}
