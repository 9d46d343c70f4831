//! Storage of after-sales cases (售后单): the case row, its order items and proofs, and its append-only
//! event log. Every change — the case's events, its projection, the entry in the ticket's timeline, the
//! next time-limit job and the audit record — is written in one transaction under the case's row lock,
//! with the case's version checked, so two commands racing on one case are decided one after the other.

use crate::{AuditCtx, NewJob, Page, PageReq, Result, Ticket};
use async_trait::async_trait;
use kefu_core::aftersales::case::{CaseEvent, CaseState, CaseStatus, TimeLimit};
use kefu_core::aftersales::eligibility::Outcome;
use kefu_core::aftersales::rules::ReturnRules;
use kefu_core::aftersales::{AfterSalesKind, Proof, Reason};
use kefu_core::authz::Scope;
use kefu_core::member::MemberRights;
use kefu_core::ticket::TicketEvent;
use kefu_core::time::Millis;
use kefu_core::DomainError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An order item the case is about, with the quantity asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CaseItem {
    pub sku: String,
    pub name: String,
    pub quantity: i64,
}

/// Evidence (凭证): an attachment of the case's ticket and what it proves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseProof {
    pub attachment_id: i64,
    pub kind: Proof,
}

/// The eligibility verdict captured when the case was requested (资格判定).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CaseVerdict {
    pub outcome: Outcome,
    pub rule: String,
    /// 法律依据 / 规则依据
    pub basis: String,
    pub explanation: String,
}

/// An after-sales case as kefu holds it: the projection of its event log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AfterSalesCase {
    pub id: i64,
    pub merchant_id: i64,
    pub customer_id: Option<i64>,
    pub order_id: i64,
    pub order_no: String,
    /// The ticket that carries the conversation (its timeline shows the case's steps).
    pub ticket_id: Option<i64>,
    pub kind: AfterSalesKind,
    pub kind_label: String,
    pub reason: Reason,
    pub reason_label: String,
    pub description: String,
    pub items: Vec<CaseItem>,
    pub proofs: Vec<CaseProof>,
    pub verdict: CaseVerdict,
    /// Requested as a goodwill exception although the verdict was not eligible.
    pub goodwill: bool,
    /// The verdict did not clear it (not eligible, or needs review): a supervisor should look.
    pub needs_review: bool,
    pub amount_fen: i64,
    pub status: CaseStatus,
    pub status_label: String,
    pub return_carrier: Option<String>,
    pub return_waybill: Option<String>,
    /// 货品状况 on receipt.
    pub goods_condition: Option<String>,
    pub refund_ref: Option<String>,
    /// The time limit running now and when it passes (filled by the server from the platform's limits).
    pub time_limit: Option<TimeLimit>,
    pub due_at: Option<Millis>,
    /// The number of events: send it back as `expected_version` to act only on what you saw.
    pub version: i64,
    pub created_by: Option<i64>,
    pub created_at: Millis,
    pub updated_at: Millis,
    /// The fold of the event log, which commands are decided on.
    #[serde(skip)]
    pub state: CaseState,
}

/// One entry of a case's event log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CaseEntry {
    pub seq: i64,
    /// The staff account that recorded it (for a buyer's step, the agent who entered it).
    pub recorded_by: Option<i64>,
    #[serde(flatten)]
    pub event: CaseEvent,
}

/// A case to open.
#[derive(Debug, Clone)]
pub struct NewCase {
    pub merchant_id: i64,
    pub customer_id: Option<i64>,
    pub order_id: i64,
    pub ticket_id: Option<i64>,
    pub kind: AfterSalesKind,
    pub reason: Reason,
    pub description: String,
    pub items: Vec<CaseItem>,
    pub proofs: Vec<CaseProof>,
    pub verdict: CaseVerdict,
    pub goodwill: bool,
    pub needs_review: bool,
    pub amount_fen: i64,
}

/// What one command writes besides the case's own events.
#[derive(Debug, Clone, Default)]
pub struct CaseChange {
    pub events: Vec<CaseEvent>,
    /// The step as the linked ticket's timeline shows it.
    pub ticket_event: Option<TicketEvent>,
    /// The job that fires when the time limit of the new status passes.
    pub timer: Option<NewJob>,
}

/// Decides a change from the case as it is under the lock (the domain's `decide` runs inside).
pub type BuildCase<'a> =
    &'a (dyn Fn(&AfterSalesCase) -> std::result::Result<CaseChange, DomainError> + Send + Sync);

/// What a write did: the case after it, its new events, and the linked ticket if its timeline grew.
#[derive(Debug, Clone)]
pub struct CaseWrite {
    pub case: AfterSalesCase,
    pub events: Vec<CaseEvent>,
    pub ticket: Option<(Ticket, TicketEvent)>,
}

/// How to find cases; all optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub merchant_id: Option<i64>,
    pub status: Option<CaseStatus>,
    pub order_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub ticket_id: Option<i64>,
}

#[async_trait]
pub trait AfterSalesStore: Send + Sync {
    /// The merchant's return rules (退换货规则), if it set its own.
    async fn get_return_rules(&self, s: &Scope, merchant_id: i64) -> Result<Option<ReturnRules>>;
    /// Set the merchant's return rules (validated by the caller), with the audit record.
    async fn put_return_rules(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        merchant_id: i64,
        rules: &ReturnRules,
    ) -> Result<()>;
    /// The merchant's member rights (会员权益设置), if it set its own.
    async fn get_member_rights(&self, s: &Scope, merchant_id: i64) -> Result<Option<MemberRights>>;
    /// Set the merchant's member rights (validated by the caller), with the audit record.
    async fn put_member_rights(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        merchant_id: i64,
        rights: &MemberRights,
    ) -> Result<()>;
    /// Every merchant's own member rights (the router applies them to a round's waiting tickets).
    async fn all_member_rights(&self) -> Result<Vec<(i64, MemberRights)>>;
    /// Open a case: the order is locked (cases of one order are opened one at a time), the ticket and the
    /// proofs' attachments must belong to it, and no open case of the order may cover the same item
    /// (409). `build` gets the new case (no events yet) and makes its first events.
    async fn create_case(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        new: NewCase,
        build: BuildCase<'_>,
    ) -> Result<CaseWrite>;
    /// Apply a command under the case's row lock; `expected_version` (if given) must match (409).
    async fn change_case(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        id: i64,
        command: &str,
        expected_version: Option<i64>,
        build: BuildCase<'_>,
    ) -> Result<CaseWrite>;
    async fn get_case(&self, s: &Scope, id: i64) -> Result<Option<AfterSalesCase>>;
    /// The case's event log, oldest first.
    async fn case_events(&self, s: &Scope, id: i64) -> Result<Vec<CaseEntry>>;
    async fn list_cases(&self, s: &Scope, filter: &CaseFilter, page: PageReq)
        -> Result<Page<AfterSalesCase>>;
}
