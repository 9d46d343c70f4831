//! Storage of routing and presence: skill groups and members, on-duty certifications, agents' presence
//! and capacity, the presence history, the tickets waiting to be routed, and the router's lease.

use crate::{AuditCtx, Result};
use async_trait::async_trait;
use kefu_core::authz::Scope;
use kefu_core::routing::{AgentState, Capacity, Membership, Presence, Request, SkillGroup};
use kefu_core::time::Millis;
use serde::Serialize;
use utoipa::ToSchema;

/// An on-duty certification (上岗认证): granted by a trainer or admin now, by the exam module later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Certification {
    pub id: i64,
    pub user_id: i64,
    pub group_id: i64,
    /// Where it comes from, e.g. `trainer`, `admin`, `exam`.
    pub source: String,
    pub granted_by: Option<i64>,
    pub granted_at: Millis,
    pub revoked_at: Option<Millis>,
}

/// One presence change, for on-duty time (在线时长) and attendance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct PresenceEvent {
    pub user_id: i64,
    pub merchant_id: Option<i64>,
    pub presence: String,
    pub reason: Option<String>,
    pub at: Millis,
}

/// An agent's presence as the live view shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AgentStatus {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub merchant_id: Option<i64>,
    pub presence: Presence,
    pub since: Millis,
    pub capacity: Capacity,
    /// Open tickets held (and chat sessions, once chat is routed).
    pub open_tickets: i64,
}

#[async_trait]
pub trait RoutingStore: Send + Sync {
    /// Groups the scope may see: its merchant's and the platform's (platform staff: all).
    async fn list_groups(&self, s: &Scope) -> Result<Vec<SkillGroup>>;
    async fn create_group(&self, s: &Scope, ctx: &AuditCtx, g: SkillGroup) -> Result<SkillGroup>;
    async fn update_group(&self, s: &Scope, ctx: &AuditCtx, g: SkillGroup) -> Result<SkillGroup>;
    /// Replace a group's members; each must be staff of the group's merchant (or platform staff).
    async fn set_members(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        group_id: i64,
        members: Vec<Membership>,
    ) -> Result<Vec<Membership>>;
    async fn list_members(&self, s: &Scope, group_id: i64) -> Result<Vec<Membership>>;
    async fn grant_certification(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        user_id: i64,
        group_id: i64,
        source: &str,
    ) -> Result<Certification>;
    async fn list_certifications(&self, s: &Scope, user_id: i64) -> Result<Vec<Certification>>;
    /// What routing knows about one agent now (presence, memberships, certifications, capacity, load).
    async fn agent_state(&self, user_id: i64) -> Result<AgentState>;
    /// Record a presence change (and the event for on-duty time), audited. The caller checked the gate.
    async fn set_presence(
        &self,
        ctx: &AuditCtx,
        user_id: i64,
        merchant_id: Option<i64>,
        presence: &Presence,
    ) -> Result<()>;
    /// The agent's client is alive (heartbeat).
    async fn touch_presence(&self, user_id: i64, now: Millis) -> Result<()>;
    /// Online or busy agents whose client was last seen before `before`: (user, merchant).
    async fn silent_agents(&self, before: Millis) -> Result<Vec<(i64, Option<i64>)>>;
    /// Set an agent's capacity (接待上限).
    async fn set_capacity(&self, s: &Scope, ctx: &AuditCtx, user_id: i64, capacity: Capacity) -> Result<()>;
    /// Every online agent with memberships, certifications and load, for a routing round.
    async fn online_agents(&self) -> Result<Vec<AgentState>>;
    /// Every group, for a routing round.
    async fn all_groups(&self) -> Result<Vec<SkillGroup>>;
    /// Active tickets nobody holds, oldest first: the routing queue. `vip` is the customer's own flag;
    /// callers go through `kefu_server::routing::waiting`, which adds the member tier's priority.
    async fn waiting_tickets(&self, limit: i64) -> Result<Vec<Request>>;
    /// Offered chats whose offer ran out by `now` without acceptance: (ticket, agent).
    async fn lapsed_offers(&self, now: Millis, limit: i64) -> Result<Vec<(i64, i64)>>;
    /// Agents' presence for the live view, in the scope.
    async fn agent_statuses(&self, s: &Scope) -> Result<Vec<AgentStatus>>;
    /// Presence changes in `[from, to)`, in the scope, oldest first, with each agent's last change before.
    async fn presence_events(&self, s: &Scope, from: Millis, to: Millis) -> Result<Vec<PresenceEvent>>;
    /// Note that routing just gave an agent work (round robin).
    async fn mark_assigned(&self, user_id: i64, at: Millis) -> Result<()>;
    /// Take or renew the router's lease; true when `holder` may route until `until`.
    async fn router_lease(&self, holder: &str, now: Millis, until: Millis) -> Result<bool>;
}
