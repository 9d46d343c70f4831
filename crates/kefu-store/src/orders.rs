//! Storage of orders (订单) pushed by shop systems.

use crate::{AuditCtx, Page, PageReq, Result};
use async_trait::async_trait;
use kefu_core::authz::Scope;
use kefu_core::order::{OrderItem, OrderPush, OrderStatus};
use kefu_core::time::Millis;
use serde::Serialize;
use utoipa::ToSchema;

/// An order as kefu knows it (its latest pushed state).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Order {
    pub id: i64,
    pub merchant_id: i64,
    pub order_no: String,
    pub customer_id: Option<i64>,
    pub status: OrderStatus,
    /// 中文状态名
    pub status_label: String,
    pub items: Vec<OrderItem>,
    pub total_fen: i64,
    pub paid_fen: i64,
    pub payment_method: Option<String>,
    pub shipping_company: Option<String>,
    pub waybill: Option<String>,
    pub ordered_at: Millis,
    pub paid_at: Option<Millis>,
    pub shipped_at: Option<Millis>,
    pub signed_at: Option<Millis>,
    /// The shop's last change that kefu applied.
    pub shop_updated_at: Millis,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// What a push did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct PushOutcome {
    pub created: i64,
    pub updated: i64,
    /// Orders whose pushed state was not newer than what kefu holds (unchanged).
    pub unchanged: i64,
    /// The push's `event_id` was applied before: nothing changed.
    pub duplicate: bool,
}

/// How to find orders; all optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub merchant_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub order_no: Option<String>,
}

#[async_trait]
pub trait OrderStore: Send + Sync {
    /// Apply a push of `merchant`'s orders in one transaction (each with its customer's id): new orders
    /// are created, newer states replace older ones, older or equal ones change nothing. With an
    /// `event_id` seen before, nothing is applied and `duplicate` is set.
    async fn push_orders(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        merchant: i64,
        event_id: Option<&str>,
        orders: &[(OrderPush, Option<i64>)],
    ) -> Result<PushOutcome>;
    /// The merchant's customers with these shop account ids (one query; merged profiles left out).
    async fn customer_ids_by_account(
        &self,
        s: &Scope,
        merchant: i64,
        accounts: &[String],
    ) -> Result<std::collections::HashMap<String, i64>>;
    async fn list_orders(&self, s: &Scope, filter: &OrderFilter, page: PageReq) -> Result<Page<Order>>;
    async fn get_order(&self, s: &Scope, id: i64) -> Result<Option<Order>>;
}
