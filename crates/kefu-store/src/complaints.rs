//! Storage of complaints (投诉) and their workflow: the complaint row (a projection), its append-only
//! event log, and for each step the `complaint_recorded` entry in the ticket's timeline and the audit
//! record, all in one transaction under the complaint's row lock with its version checked, so of two
//! commands racing on one complaint only the first applies. Complaints of one merchant are opened one
//! at a time (the merchant row is locked), so repeat detection sees every earlier complaint.

use crate::{AuditCtx, NewAttachment, Page, PageReq, Result, Ticket};
use async_trait::async_trait;
use kefu_core::authz::Scope;
use kefu_core::complaint::{
    ComplaintEvent, ComplaintSource, ComplaintState, PriorComplaint, Severity, Stage,
};
use kefu_core::ticket::TicketEvent;
use kefu_core::time::Millis;
use kefu_core::DomainError;
use serde::Serialize;
use utoipa::ToSchema;

/// A complaint as kefu holds it: the projection of its event log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Complaint {
    pub id: i64,
    pub merchant_id: i64,
    /// 投诉编号
    pub number: String,
    /// The ticket it was opened on (its timeline shows the complaint's steps).
    pub ticket_id: Option<i64>,
    pub ticket_number: String,
    pub customer_id: Option<i64>,
    pub order_no: Option<String>,
    pub source_label: String,
    pub severity_label: String,
    pub stage_label: String,
    /// What the current stage waits for.
    pub next_step: String,
    /// 重复投诉: an earlier complaint of the same customer or order within 30 days.
    pub repeat: bool,
    /// The deadline running in the current stage.
    pub due_at: Option<Millis>,
    /// Past `due_at` (filled by the server with the current time).
    pub overdue: bool,
    /// The complaint handling notice archived with the ticket on close.
    pub notice_attachment_id: Option<i64>,
    /// The number of events: send it back as `expected_version` to act only on what you saw.
    pub version: i64,
    pub created_by: Option<i64>,
    pub created_at: Millis,
    pub updated_at: Millis,
    /// The workflow's facts: stage, deadlines, claim, demand, findings, remedy, follow-up …
    pub workflow: ComplaintState,
}

/// One entry of a complaint's event log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ComplaintEntry {
    pub seq: i64,
    /// The staff account that recorded it.
    pub recorded_by: Option<i64>,
    #[serde(flatten)]
    pub event: ComplaintEvent,
}

/// A complaint to open on a ticket.
#[derive(Debug, Clone)]
pub struct NewComplaint {
    pub merchant_id: i64,
    pub ticket_id: i64,
    pub customer_id: Option<i64>,
    pub order_no: Option<String>,
    pub received_at: Millis,
    /// The local date of receipt, `yyyymmdd`, for the complaint number.
    pub day: String,
}

/// What one command writes besides the complaint's own events.
#[derive(Debug, Clone, Default)]
pub struct ComplaintChange {
    pub events: Vec<ComplaintEvent>,
    /// The step as the ticket's timeline shows it.
    pub ticket_event: Option<TicketEvent>,
    /// A document (the handling notice) to archive as an attachment of the ticket, already in the file
    /// store; its id is kept on the complaint.
    pub archive: Option<NewAttachment>,
}

/// Decides a change from the complaint as it is under the lock and, when opening, the merchant's
/// earlier complaints of the same customer or order within the repeat window.
pub type BuildComplaint<'a> = &'a (dyn Fn(&Complaint, &[PriorComplaint]) -> std::result::Result<ComplaintChange, DomainError>
         + Send
         + Sync);

/// What a write did: the complaint after it, its new events, and the ticket if its timeline grew.
#[derive(Debug, Clone)]
pub struct ComplaintWrite {
    pub complaint: Complaint,
    pub events: Vec<ComplaintEvent>,
    pub ticket: Option<(Ticket, TicketEvent)>,
}

/// How to find complaints; all optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct ComplaintFilter {
    pub merchant_id: Option<i64>,
    pub stage: Option<Stage>,
    pub severity: Option<Severity>,
    pub source: Option<ComplaintSource>,
    /// Past the running deadline at `now` (or not).
    pub overdue: Option<bool>,
    pub repeat: Option<bool>,
    pub ticket_id: Option<i64>,
    pub customer_id: Option<i64>,
    /// Received at or after this instant.
    pub received_from: Option<Millis>,
    /// Received before this instant.
    pub received_to: Option<Millis>,
}

#[async_trait]
pub trait ComplaintStore: Send + Sync {
    /// Open a complaint on a ticket of the merchant (404 for a ticket the scope cannot see).
    async fn create_complaint(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        new: NewComplaint,
        build: BuildComplaint<'_>,
    ) -> Result<ComplaintWrite>;
    /// Apply a command under the complaint's row lock; `expected_version` (if given) must match (409).
    async fn change_complaint(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        id: i64,
        command: &str,
        expected_version: Option<i64>,
        build: BuildComplaint<'_>,
    ) -> Result<ComplaintWrite>;
    async fn get_complaint(&self, s: &Scope, id: i64) -> Result<Option<Complaint>>;
    /// The complaint's event log, oldest first.
    async fn complaint_events(&self, s: &Scope, id: i64) -> Result<Vec<ComplaintEntry>>;
    async fn list_complaints(
        &self,
        s: &Scope,
        filter: &ComplaintFilter,
        now: Millis,
        page: PageReq,
    ) -> Result<Page<Complaint>>;
}
