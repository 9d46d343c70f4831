//! Ticket storage: the interface. The ticket row is a projection of the ticket's append-only event log;
//! every append writes the events, the projections (row, messages, department tasks, tags, orders,
//! search index) and the audit record in one transaction, guarded by the ticket's version.

use crate::model::{Page, PageReq};
use crate::{AuditCtx, Result};
use async_trait::async_trait;
use kefu_core::authz::Scope;
use kefu_core::ticket::{
    Channel, OpenDepartmentTask, Priority, TicketEvent, TicketState, TicketStatus, Tier,
};
use kefu_core::time::Millis;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A ticket as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Ticket {
    pub id: i64,
    /// Human-readable number, e.g. `KF20261122-000123`.
    pub number: String,
    pub merchant_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub channel: Channel,
    pub subject: String,
    pub status: TicketStatus,
    pub priority: Priority,
    pub tier: Tier,
    pub category: Option<String>,
    /// The person holding the ticket now.
    pub assignee_id: Option<i64>,
    pub team_id: Option<i64>,
    /// 首问责任人: accountable until closure, whoever holds the ticket later.
    pub first_responder_id: Option<i64>,
    pub first_response_at: Option<Millis>,
    pub created_at: Millis,
    pub updated_at: Millis,
    pub resolved_at: Option<Millis>,
    pub closed_at: Option<Millis>,
    /// Optimistic-concurrency version: send it back as `expected_version` to refuse stale changes.
    pub version: i64,
    pub merged_into: Option<String>,
    pub follow_up_of: Option<String>,
    pub tags: Vec<String>,
    pub order_numbers: Vec<String>,
    /// Merchant-defined fields.
    #[schema(value_type = Object)]
    pub custom_fields: serde_json::Value,
    pub open_tasks: Vec<OpenDepartmentTask>,
}

impl Ticket {
    pub fn from_state(id: i64, custom_fields: serde_json::Value, s: &TicketState) -> Ticket {
        Ticket {
            id,
            number: s.number.map(|n| n.to_string()).unwrap_or_default(),
            merchant_id: s.merchant_id,
            customer_id: s.customer_id,
            channel: s.channel,
            subject: s.subject.clone(),
            status: s.status,
            priority: s.priority,
            tier: s.tier,
            category: s.category.clone(),
            assignee_id: s.assignee.user_id,
            team_id: s.assignee.team_id,
            first_responder_id: s.first_responder,
            first_response_at: s.first_response_at,
            created_at: s.created_at,
            updated_at: s.updated_at,
            resolved_at: s.resolved_at,
            closed_at: s.closed_at,
            version: s.version,
            merged_into: s.merged_into.map(|n| n.to_string()),
            follow_up_of: s.follow_up_of.map(|n| n.to_string()),
            tags: s.tags.clone(),
            order_numbers: s.order_numbers.clone(),
            custom_fields,
            open_tasks: s.open_tasks.clone(),
        }
    }
}

/// A ticket with its full domain state, for deciding the next command.
#[derive(Debug, Clone)]
pub struct TicketRecord {
    pub ticket: Ticket,
    pub state: TicketState,
}

/// One entry of a ticket's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct StoredEvent {
    pub seq: i64,
    #[serde(flatten)]
    pub event: TicketEvent,
}

/// A message in a ticket's conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Message {
    pub id: i64,
    pub ticket_id: i64,
    /// The ticket the message was written on (differs after a merge).
    pub origin_ticket_id: i64,
    /// `reply` (staff to customer), `customer` (from the customer) or `note` (internal, never shown to the customer).
    pub kind: String,
    pub author_kind: String,
    pub author_id: Option<i64>,
    /// Stored exactly as received; render through the sanitiser.
    pub body: String,
    pub created_at: Millis,
}

/// A file attached to a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Attachment {
    pub id: i64,
    pub ticket_id: i64,
    pub merchant_id: Option<i64>,
    pub sha256: String,
    pub file_name: String,
    pub mime: String,
    pub size: i64,
    pub uploaded_by: Option<i64>,
    pub created_at: Millis,
}

#[derive(Debug, Clone)]
pub struct NewAttachment {
    pub sha256: String,
    pub file_name: String,
    pub mime: String,
    pub size: i64,
}

/// A department task (跨部门协作) as a department's inbox shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DepartmentTask {
    pub ticket_id: i64,
    pub ticket_number: String,
    pub task_no: i64,
    pub department_id: i64,
    pub merchant_id: Option<i64>,
    pub request: String,
    pub due_at: Millis,
    /// `open`, `answered` or `cancelled`.
    pub status: String,
    pub answer: Option<String>,
    pub opened_at: Millis,
    pub closed_at: Option<Millis>,
}

/// A category (分类) of the tree; merchants see the platform's and their own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Category {
    pub id: i64,
    pub merchant_id: Option<i64>,
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    pub position: i64,
    pub active: bool,
}

#[derive(Debug, Clone)]
pub struct NewCategory {
    pub merchant_id: Option<i64>,
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    pub position: i64,
}

/// Filters of the ticket list; all optional, combined with AND.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketFilter {
    /// Exact ticket number, e.g. `KF20261123-000042`.
    pub number: Option<String>,
    #[serde(default)]
    pub status: Vec<TicketStatus>,
    pub category: Option<String>,
    pub priority: Option<Priority>,
    pub tier: Option<Tier>,
    pub assignee_id: Option<i64>,
    pub first_responder_id: Option<i64>,
    pub team_id: Option<i64>,
    pub merchant_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub order_no: Option<String>,
    pub tag: Option<String>,
    pub channel: Option<Channel>,
    pub created_from: Option<Millis>,
    pub created_to: Option<Millis>,
    /// Only tickets nobody holds.
    #[serde(default)]
    pub unassigned: bool,
    /// 即将超时: only tickets whose next SLA warning or breach falls due by this instant.
    #[serde(default)]
    pub sla_due_before: Option<Millis>,
    /// 升级工单: only tickets above the first tier (escalated to L2 or L3).
    #[serde(default)]
    pub escalated: bool,
}

/// A saved view: a named filter, personal (owner set) or shared with the merchant or platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct SavedView {
    pub id: i64,
    pub merchant_id: Option<i64>,
    /// `None`: shared.
    pub owner_id: Option<i64>,
    pub name: String,
    pub filters: TicketFilter,
    pub created_at: Millis,
}

#[derive(Debug, Clone)]
pub struct NewSavedView {
    pub merchant_id: Option<i64>,
    pub owner_id: Option<i64>,
    pub name: String,
    pub filters: TicketFilter,
}

/// A search hit: the ticket, a snippet of the best matching text and its score.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchHit {
    pub ticket: Ticket,
    /// Excerpt with matches in 【】.
    pub snippet: String,
    pub score: f64,
}

/// A change to one ticket: the events `decide` produced and the state they lead to.
#[derive(Debug, Clone)]
pub struct TicketChange {
    pub id: i64,
    pub expected_version: i64,
    pub events: Vec<TicketEvent>,
    pub new_state: TicketState,
    /// The SLA timer and clock records after the change; `None` leaves them as they are.
    pub sla: Option<crate::sla::SlaProjection>,
}

/// A notification for someone who must act on a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Notification {
    pub id: i64,
    pub ticket_id: i64,
    /// `assigned`, `transferred`, `escalated`, `department_task`, `offered` (a chat offered to the
    /// agent), `sla_warning` (即将超时) and `sla_breached` (已超时).
    pub kind: String,
    /// A short message in Chinese for the UI.
    pub body: String,
    pub created_at: Millis,
    pub read: bool,
}

/// Who a user is, for finding their notifications.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub user_id: i64,
    pub merchant_id: Option<i64>,
    pub team_id: Option<i64>,
    pub department_id: Option<i64>,
    /// Escalation tiers the user's role handles (`l2`, `l3`).
    pub tiers: Vec<String>,
}

/// Builds the events of a change from the ticket's current state (normally by `decide`).
pub type BuildEvents<'a> =
    &'a (dyn Fn(&TicketState) -> std::result::Result<Vec<TicketEvent>, kefu_core::DomainError> + Send + Sync);

#[async_trait]
pub trait TicketStore: Send + Sync {
    /// Read, decide and write one ticket under its row lock (PostgreSQL `FOR UPDATE`; SQLite's single
    /// writer), so concurrent changes queue instead of failing. With `expected_version`, a ticket that
    /// moved on is refused with `conflict` on `version`. Returns the ticket and the events appended.
    /// `project` derives the SLA timer and records from the new state, written in the same transaction.
    #[allow(clippy::too_many_arguments)]
    async fn change_ticket(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        id: i64,
        command: &str,
        expected_version: Option<i64>,
        build: BuildEvents<'_>,
        project: crate::sla::Project<'_>,
    ) -> Result<(Ticket, Vec<TicketEvent>)>;
    /// The next number of the day (`day` = `YYYYMMDD` in Shanghai); numbers are unique, gaps possible.
    async fn next_ticket_seq(&self, day: &str) -> Result<u32>;
    /// Store a new ticket from its first events.
    async fn insert_ticket(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        events: Vec<TicketEvent>,
        state: TicketState,
        custom_fields: serde_json::Value,
        sla: Option<crate::sla::SlaProjection>,
    ) -> Result<Ticket>;
    /// Load many tickets in one transaction (the data generator, imports): each with its events; one audit
    /// record for the batch. Returns the ids in order.
    async fn bulk_insert_tickets(
        &self,
        ctx: &AuditCtx,
        batch: Vec<(TicketState, Vec<TicketEvent>)>,
    ) -> Result<Vec<i64>>;
    /// Append a change; refused with `conflict` on `version` when the ticket moved on meanwhile.
    async fn append_ticket(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        command: &str,
        change: TicketChange,
    ) -> Result<Ticket>;
    /// Merge `source` into `target` in one transaction: both changes, and the source's messages,
    /// attachments and search entries move to the target.
    async fn merge_tickets(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        source: TicketChange,
        target: TicketChange,
    ) -> Result<Ticket>;
    async fn get_ticket(&self, s: &Scope, id: i64) -> Result<Option<TicketRecord>>;
    async fn get_ticket_by_number(&self, s: &Scope, number: &str) -> Result<Option<TicketRecord>>;
    /// Newest first.
    async fn list_tickets(&self, s: &Scope, filter: &TicketFilter, page: PageReq) -> Result<Page<Ticket>>;
    /// Candidate texts matching a backend search expression, newest tickets first: (ticket id, text).
    async fn search_candidates(
        &self,
        s: &Scope,
        terms: &[String],
        filter: &TicketFilter,
        limit: i64,
    ) -> Result<Vec<(i64, String)>>;
    async fn tickets_by_ids(&self, s: &Scope, ids: &[i64]) -> Result<Vec<Ticket>>;
    async fn ticket_events(&self, s: &Scope, id: i64) -> Result<Vec<StoredEvent>>;
    async fn ticket_messages(&self, s: &Scope, id: i64, include_notes: bool) -> Result<Vec<Message>>;
    async fn set_custom_fields(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        id: i64,
        fields: serde_json::Value,
    ) -> Result<Ticket>;

    async fn add_attachment(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        ticket_id: i64,
        a: NewAttachment,
    ) -> Result<Attachment>;
    async fn list_attachments(&self, s: &Scope, ticket_id: i64) -> Result<Vec<Attachment>>;
    async fn get_attachment(&self, s: &Scope, id: i64) -> Result<Option<Attachment>>;

    async fn list_department_tasks(
        &self,
        s: &Scope,
        department_id: Option<i64>,
        open_only: bool,
        page: PageReq,
    ) -> Result<Page<DepartmentTask>>;

    async fn list_categories(&self, s: &Scope) -> Result<Vec<Category>>;
    async fn create_category(&self, s: &Scope, ctx: &AuditCtx, new: NewCategory) -> Result<Category>;
    /// Ship the default category tree for the platform once.
    async fn seed_default_categories(&self) -> Result<()>;

    /// Closed tickets (and merged ones) closed before `cutoff`, oldest first: (id, merchant, closed_at).
    async fn closed_tickets_before(
        &self,
        cutoff: Millis,
        limit: i64,
    ) -> Result<Vec<(i64, Option<i64>, Millis)>>;
    /// Delete a ticket and everything hanging off it (the retention job, after archiving it), with an
    /// audit record naming it. Refuses a ticket that is not closed.
    async fn purge_ticket(&self, ctx: &AuditCtx, id: i64, archived_to: Option<&str>) -> Result<()>;

    async fn list_notifications(
        &self,
        who: &Recipient,
        unread_only: bool,
        page: PageReq,
    ) -> Result<Page<Notification>>;
    async fn mark_notification_read(&self, who: &Recipient, id: i64, now: Millis) -> Result<()>;
    /// Mark every notification of the recipient read (全部已读); answers how many were unread.
    async fn mark_all_notifications_read(&self, who: &Recipient, now: Millis) -> Result<u64>;

    async fn list_views(&self, s: &Scope, user_id: i64) -> Result<Vec<SavedView>>;
    async fn create_view(&self, s: &Scope, ctx: &AuditCtx, new: NewSavedView) -> Result<SavedView>;
    async fn delete_view(&self, s: &Scope, ctx: &AuditCtx, id: i64, user_id: i64) -> Result<()>;
}
