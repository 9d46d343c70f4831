//! Storage of the merchant's shop system integration (店铺系统对接) and of the actions sent to it (店铺操作:
//! modify address, cancel, refund, resend). An action is written together with its entry in the ticket's
//! timeline, its delivery job and the audit record in one transaction; the order's refunds in flight are
//! summed under the order's row lock, so two agents cannot refund more than was paid, and a unique index
//! lets an after-sales case be refunded once.

use crate::{AuditCtx, NewJob, Result, Ticket};
use async_trait::async_trait;
use kefu_core::authz::Scope;
use kefu_core::shop::{OrderFacts, ShopAction, ShopActionKind, ShopActionStatus};
use kefu_core::ticket::TicketEvent;
use kefu_core::time::Millis;
use kefu_core::DomainError;
use serde::Serialize;
use utoipa::ToSchema;

/// A merchant's shop system as kefu knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ShopIntegration {
    pub merchant_id: i64,
    /// Where actions are POSTed; empty when the shop takes none.
    pub actions_url: String,
    /// The signing secret of both directions. Only the merchant's channel managers read it.
    pub secret: String,
    pub active: bool,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// A change of a merchant's integration.
#[derive(Debug, Clone)]
pub struct ShopIntegrationPut {
    pub merchant_id: i64,
    pub actions_url: String,
    pub active: bool,
    /// The secret to use if one is made now.
    pub new_secret: String,
    /// Replace the secret even if there is one.
    pub rotate: bool,
}

/// One action sent (or to be sent) to the shop system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ShopActionRecord {
    pub id: i64,
    pub merchant_id: i64,
    pub ticket_id: Option<i64>,
    pub order_id: i64,
    pub order_no: String,
    pub case_id: Option<i64>,
    pub action: ShopActionKind,
    pub action_label: String,
    /// The action as asked, with its fields.
    pub request: ShopAction,
    pub amount_fen: i64,
    /// Sent with every attempt (`Idempotency-Key`), so the shop does a retried action once.
    pub idempotency_key: String,
    pub status: ShopActionStatus,
    pub status_label: String,
    /// The shop's answer, or why it could not be reached.
    pub message: String,
    /// The shop's id of what it did (refund number, new waybill …).
    pub reference: Option<String>,
    pub attempts: i64,
    pub requested_by: Option<i64>,
    pub requested_by_name: String,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub completed_at: Option<Millis>,
}

/// A new action, checked by the caller's closure against the order under its lock.
pub struct NewShopAction {
    pub merchant_id: i64,
    pub ticket_id: Option<i64>,
    pub order_id: i64,
    pub request: ShopAction,
    pub idempotency_key: String,
}

/// Checks the action against the order as it is inside the transaction (`kefu_core::shop::check_order`).
pub type CheckOrder<'a> = &'a (dyn Fn(&OrderFacts) -> std::result::Result<(), DomainError> + Send + Sync);

/// Builds what an action write adds: the ticket's timeline entry and the delivery job (given the new
/// action's id and the order number).
pub type BuildShopWrite<'a> = &'a (dyn Fn(i64, &str) -> (Option<TicketEvent>, Option<NewJob>) + Send + Sync);

/// The outcome of an attempt or a result report.
#[derive(Debug, Clone)]
pub struct ShopActionUpdate {
    pub status: ShopActionStatus,
    pub message: String,
    pub reference: Option<String>,
    /// The attempts made so far (unchanged when `None`).
    pub attempts: Option<i64>,
    /// The ticket's timeline entry for this update, if it is worth one.
    pub ticket_event: Option<TicketEvent>,
}

#[async_trait]
pub trait ShopStore {
    async fn get_shop_integration(&self, s: &Scope, merchant_id: i64) -> Result<Option<ShopIntegration>>;
    /// Create or change the merchant's integration; `new_secret` is taken when there is none yet or on
    /// `rotate`.
    async fn put_shop_integration(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        put: ShopIntegrationPut,
    ) -> Result<ShopIntegration>;
    /// Record a new action with its timeline entry, job and audit record; the order locked and `check`ed.
    async fn create_shop_action(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        new: NewShopAction,
        check: CheckOrder<'_>,
        build: BuildShopWrite<'_>,
    ) -> Result<(ShopActionRecord, Option<Ticket>)>;
    async fn get_shop_action(&self, s: &Scope, id: i64) -> Result<Option<ShopActionRecord>>;
    async fn shop_action_by_key(&self, s: &Scope, key: &str) -> Result<Option<ShopActionRecord>>;
    /// The actions of a ticket, or of an order; oldest first.
    async fn list_shop_actions(
        &self,
        s: &Scope,
        ticket_id: Option<i64>,
        order_id: Option<i64>,
    ) -> Result<Vec<ShopActionRecord>>;
    /// Move an action on. An action already final is left as it is (`Ok(None)`): a result reported twice
    /// changes nothing.
    async fn update_shop_action(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        id: i64,
        update: ShopActionUpdate,
    ) -> Result<Option<(ShopActionRecord, Option<Ticket>)>>;
}
