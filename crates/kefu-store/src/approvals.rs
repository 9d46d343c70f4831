//! Storage of 审批 (approvals) of promises above an agent's authority limit and the limits themselves.
//!
//! Every write — the limits, a promise, an approval request, its decision or cancellation — is one
//! transaction with its audit record and the entry in the ticket's timeline. A request is decided under its
//! row lock and its status moves from `pending` only once, so of two people deciding at the same moment
//! exactly one succeeds and the other gets a conflict.

use crate::{AuditCtx, Page, PageReq, Result, Ticket};
use async_trait::async_trait;
use kefu_core::authority::{ApprovalStatus, AuthorityLimits, Limit, PromiseKind};
use kefu_core::authz::Scope;
use kefu_core::org::Role;
use kefu_core::ticket::TicketEvent;
use kefu_core::time::Millis;
use kefu_core::DomainError;
use serde::Serialize;
use utoipa::ToSchema;

/// Whose limits: one merchant's, or the platform defaults every merchant without its own uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitsOwner {
    Platform,
    Merchant(i64),
}

/// The limits in force for an owner and where they come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct StoredLimits {
    pub limits: AuthorityLimits,
    /// `merchant` (the merchant's own), `platform` (the platform's configured defaults) or `shipped` (the
    /// built-in defaults, nothing configured).
    pub source: String,
    pub updated_at: Option<Millis>,
}

/// An approval request (审批单).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Approval {
    pub id: i64,
    pub merchant_id: Option<i64>,
    pub ticket_id: Option<i64>,
    pub ticket_number: Option<String>,
    pub ticket_subject: Option<String>,
    pub requester_id: i64,
    pub requester_name: String,
    pub requester_role: Role,
    pub kind: PromiseKind,
    /// The Chinese name of the kind (赔付, 优惠券 …).
    pub kind_label: String,
    pub amount_fen: i64,
    /// What is promised and why (the summary the requester wrote).
    pub reason: String,
    pub status: ApprovalStatus,
    pub decided_by: Option<i64>,
    pub decided_by_name: Option<String>,
    pub decided_at: Option<Millis>,
    /// The decider's note (or the requester's, when cancelled).
    pub note: String,
    pub created_at: Millis,
}

/// A request to create: the ticket's merchant is the request's.
#[derive(Debug, Clone)]
pub struct NewApproval {
    pub ticket_id: i64,
    pub requester_id: i64,
    pub requester_role: Role,
    pub kind: PromiseKind,
    pub amount_fen: i64,
    pub reason: String,
    /// The roles told in-app about the request (those allowed to decide it); the requester never is.
    pub notify_roles: Vec<Role>,
}

/// Builds the ticket event of a new request from the request's id.
pub type BuildTicketEvent<'a> = &'a (dyn Fn(i64) -> TicketEvent + Send + Sync);

/// Checks a request under its row lock before it is decided or cancelled (status, who decides).
pub type CheckApproval<'a> = &'a (dyn Fn(&Approval) -> std::result::Result<(), DomainError> + Send + Sync);

/// A decision to write.
#[derive(Debug, Clone)]
pub struct ApprovalDecision {
    pub status: ApprovalStatus,
    pub note: String,
    /// The ticket events that follow (`ApprovalDecided`, then `PromiseRecorded` when approved); the
    /// approval's id is already in them.
    pub ticket_events: Vec<TicketEvent>,
}

/// What a write did: the request after it and the ticket if its timeline grew.
#[derive(Debug, Clone)]
pub struct ApprovalWrite {
    pub approval: Approval,
    pub ticket: Option<(Ticket, Vec<TicketEvent>)>,
}

/// How to find requests; combined with AND.
#[derive(Debug, Clone, Default)]
pub struct ApprovalFilter {
    pub status: Option<ApprovalStatus>,
    pub ticket_id: Option<i64>,
    /// Only what this user may see in the inbox: their own requests, plus (with `decidable`) the requests of
    /// others within the amounts they may decide.
    pub viewer: Option<ApprovalViewer>,
}

/// The inbox of one user.
#[derive(Debug, Clone)]
pub struct ApprovalViewer {
    pub user_id: i64,
    /// The user's limit per kind when they may decide requests; empty when they may not.
    pub decidable: Vec<(PromiseKind, Limit)>,
}

#[async_trait]
pub trait ApprovalStore: Send + Sync {
    /// The limits in force for an owner: the merchant's own, else the platform's configured defaults,
    /// else the shipped defaults. The scope must see the merchant.
    async fn authority_limits(&self, s: &Scope, owner: LimitsOwner) -> Result<StoredLimits>;

    /// Store an owner's limits (already validated) with the audit record of before and after. Merchant staff
    /// can only set their own merchant's; the platform row needs the platform scope.
    async fn set_authority_limits(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        owner: LimitsOwner,
        limits: &AuthorityLimits,
    ) -> Result<StoredLimits>;

    /// Record a promise within the promiser's limit: the `PromiseRecorded` event on the ticket (under its row
    /// lock) with the ticket's audit record. Another merchant's ticket is not found.
    async fn record_promise(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        ticket_id: i64,
        event: TicketEvent,
    ) -> Result<(Ticket, Vec<TicketEvent>)>;

    /// Create an approval request for a promise above the requester's limit: the request, the
    /// `ApprovalRequested` event on the ticket (built from the new request's id), the in-app notifications of
    /// those who may decide it, and the audit record, in one transaction.
    async fn request_approval(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        new: NewApproval,
        event: BuildTicketEvent<'_>,
    ) -> Result<ApprovalWrite>;

    async fn get_approval(&self, s: &Scope, id: i64) -> Result<Option<Approval>>;

    /// Newest first.
    async fn list_approvals(&self, s: &Scope, f: &ApprovalFilter, page: PageReq) -> Result<Page<Approval>>;

    /// Decide (approve or reject) or cancel a pending request under its row lock: `check` runs on the locked
    /// request (a request no longer pending is a conflict), then the status moves, the ticket events are
    /// appended and the audit record written, in one transaction.
    async fn decide_approval(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        id: i64,
        check: CheckApproval<'_>,
        decision: ApprovalDecision,
    ) -> Result<ApprovalWrite>;
}
