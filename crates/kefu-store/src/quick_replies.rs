//! Storage of quick replies (快捷回复).

use crate::{AuditCtx, Result};
use async_trait::async_trait;
use kefu_core::authz::Scope;
use kefu_core::time::Millis;
use serde::Serialize;
use utoipa::ToSchema;

/// A standard reply. Shared ones belong to the platform or a merchant (optionally one team); personal
/// ones to their owner only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct QuickReply {
    pub id: i64,
    pub merchant_id: Option<i64>,
    /// Set for a team's replies.
    pub team_id: Option<i64>,
    /// Set for a personal reply.
    pub owner_id: Option<i64>,
    pub title: String,
    /// The text, with variables such as `{客户称呼}`, `{订单号}`, `{客服昵称}`, `{工单号}`.
    pub body: String,
    /// Typed in the reply box to insert it, e.g. `/退款`.
    pub shortcut: Option<String>,
    pub position: i64,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// A quick reply to create or replace (validated by the server).
#[derive(Debug, Clone)]
pub struct QuickReplySpec {
    pub merchant_id: Option<i64>,
    pub team_id: Option<i64>,
    pub owner_id: Option<i64>,
    pub title: String,
    pub body: String,
    pub shortcut: Option<String>,
    pub position: i64,
}

#[async_trait]
pub trait QuickReplyStore: Send + Sync {
    /// The replies a user may use: personal ones, their team's, and their merchant's (platform staff: the
    /// platform's), by position; `q` filters on title, body and shortcut.
    async fn list_quick_replies(
        &self,
        s: &Scope,
        user: i64,
        merchant: Option<i64>,
        team: Option<i64>,
        q: Option<&str>,
    ) -> Result<Vec<QuickReply>>;
    async fn get_quick_reply(&self, s: &Scope, id: i64) -> Result<Option<QuickReply>>;
    async fn create_quick_reply(&self, s: &Scope, ctx: &AuditCtx, spec: QuickReplySpec)
        -> Result<QuickReply>;
    async fn update_quick_reply(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        id: i64,
        spec: QuickReplySpec,
    ) -> Result<QuickReply>;
    async fn delete_quick_reply(&self, s: &Scope, ctx: &AuditCtx, id: i64) -> Result<()>;
}
