//! The ticket's commands, events and state.

use super::kinds::{Channel, Priority, TicketStatus, Tier};
use super::number::TicketNumber;
use crate::org::Role;
use crate::time::Millis;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Who issues a command, as recorded on every event. Built by the server from the session, never from
/// request data. Which staff role may do what is decided by the permission gate before `decide` runs;
/// `decide` only refuses commands that do not fit the kind of actor (a customer cannot transfer).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    /// A staff member (客服专员, 主管, a colleague of another department …), with the role held at the time.
    Staff { user_id: i64, role: Role },
    /// The customer (用户/买家) the ticket belongs to.
    Customer { customer_id: i64 },
    /// kefu itself; `name` says which job (`auto_dispatch`, `sla_escalation`, `auto_close`, `email_intake` …).
    System { name: String },
}

/// The kind of an [`Actor`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    Staff,
    Customer,
    System,
}

impl ActorKind {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::Staff => "staff",
            ActorKind::Customer => "customer",
            ActorKind::System => "system",
        }
    }
}

impl Actor {
    /// Staff, customer or system.
    pub fn kind(&self) -> ActorKind {
        match self {
            Actor::Staff { .. } => ActorKind::Staff,
            Actor::Customer { .. } => ActorKind::Customer,
            Actor::System { .. } => ActorKind::System,
        }
    }

    /// The staff user id, when the actor is a staff member.
    pub fn staff_id(&self) -> Option<i64> {
        match self {
            Actor::Staff { user_id, .. } => Some(*user_id),
            _ => None,
        }
    }
}

/// Who holds a ticket: a person, a team's queue (技能组/客服组), or both (a person of that team).
/// `Assignee::default()` is nobody.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema)]
pub struct Assignee {
    /// The staff member handling the ticket.
    pub user_id: Option<i64>,
    /// The team whose queue the ticket is in. When assigning to a person, the server passes that
    /// person's team; the ticket records exactly what it is given.
    pub team_id: Option<i64>,
}

impl Assignee {
    /// Is anybody (person or team) named?
    pub fn is_someone(&self) -> bool {
        self.user_id.is_some() || self.team_id.is_some()
    }
}

/// A new ticket, as given to [`TicketCommand::Create`] and recorded (validated and trimmed) in
/// [`TicketEventKind::Created`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct NewTicket {
    /// Allocated by the caller from the day's sequence, see [`TicketNumber`].
    pub number: TicketNumber,
    /// The merchant (入驻商家) whose customer asks; `None` for the platform's own service.
    pub merchant_id: Option<i64>,
    /// The customer; filled in from the actor when a customer opens the ticket.
    pub customer_id: Option<i64>,
    pub channel: Channel,
    /// 1..=200 characters, one line.
    pub subject: String,
    /// The first message; may be empty (a phone ticket may start with a subject only).
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub priority: Priority,
    /// A category code, see [`DEFAULT_CATEGORIES`](super::DEFAULT_CATEGORIES).
    #[serde(default)]
    pub category: Option<String>,
    /// The closed ticket this one follows up (跟进), when the old one could no longer be reopened.
    #[serde(default)]
    pub follow_up_of: Option<TicketNumber>,
}

/// Everything that can be asked of a ticket. [`decide`](super::decide) turns a command into events or
/// refuses it; the allowed actors per command are in [`TicketCommand::allowed_actors`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TicketCommand {
    /// Open a new ticket (on an empty state).
    Create(NewTicket),
    /// A public reply by staff to the customer (回复客户). The first one is the first response (首响).
    StaffReply {
        body: String,
    },
    /// A note only staff see (内部备注); not a response.
    InternalNote {
        body: String,
    },
    /// A message from the customer (客户追问/回复).
    CustomerReply {
        body: String,
    },
    /// The acting staff member takes an unheld ticket (领取/接单).
    Take,
    /// Dispatch an unheld ticket to a person or team (分派, SVC-3).
    Assign {
        to: Assignee,
    },
    /// Hand a held ticket to another person or team (转派), with a reason.
    Transfer {
        to: Assignee,
        reason: String,
    },
    /// Move the ticket up the response tiers (升级, SVC-5/SVC-7), with a reason. Never down.
    Escalate {
        to: Tier,
        reason: String,
    },
    /// Wait for the customer (待客户回复).
    SetPending,
    /// Hand a task to another department (跨部门协作, ORG-4); puts the ticket on hold until it is answered.
    OpenDepartmentTask {
        department_id: i64,
        request: String,
        /// When the department's answer is due.
        due_at: Millis,
    },
    /// The department's answer to a task; the ticket returns to open once no task is left open.
    AnswerDepartmentTask {
        task_no: i64,
        answer: String,
    },
    /// Withdraw a department task that is no longer needed.
    CancelDepartmentTask {
        task_no: i64,
        reason: String,
    },
    /// Mark the ticket solved (已解决).
    Resolve,
    /// Close a resolved ticket: staff, the customer confirming (确认解决), or the auto-close job.
    Close,
    /// Reopen a resolved ticket, or a closed one within the reopen window (SVC-8: handle again).
    Reopen,
    SetPriority {
        priority: Priority,
    },
    /// The agent accepts the chat the router offered them (接受会话); it becomes theirs, as a take.
    AcceptOffer,
    /// The agent turns the offer down; the router offers it to someone else.
    DeclineOffer {
        reason: String,
    },
    /// Classify (manual, or automatic through the system actor).
    SetCategory {
        category: String,
    },
    /// Merge this duplicate into another ticket; this one is closed and becomes read-only.
    Merge {
        into: TicketNumber,
    },
}

impl TicketCommand {
    /// The command that moves a ticket to `status` when staff ask for it directly. `new` is only the
    /// start and `on_hold` follows department tasks, so neither is set directly.
    pub fn for_status(status: TicketStatus) -> Result<TicketCommand, crate::DomainError> {
        match status {
            TicketStatus::PendingCustomer => Ok(TicketCommand::SetPending),
            TicketStatus::Resolved => Ok(TicketCommand::Resolve),
            TicketStatus::Closed => Ok(TicketCommand::Close),
            TicketStatus::Open => Ok(TicketCommand::Reopen),
            other => Err(crate::DomainError::validation(
                "status",
                format!(
                    "status '{}' is not set directly (new is the start; on_hold follows department tasks)",
                    other.as_str()
                ),
            )),
        }
    }

    /// The wire name (`staff_reply`, `transfer` …).
    pub fn name(&self) -> &'static str {
        match self {
            TicketCommand::Create(_) => "create",
            TicketCommand::StaffReply { .. } => "staff_reply",
            TicketCommand::InternalNote { .. } => "internal_note",
            TicketCommand::CustomerReply { .. } => "customer_reply",
            TicketCommand::Take => "take",
            TicketCommand::Assign { .. } => "assign",
            TicketCommand::Transfer { .. } => "transfer",
            TicketCommand::Escalate { .. } => "escalate",
            TicketCommand::SetPending => "set_pending",
            TicketCommand::OpenDepartmentTask { .. } => "open_department_task",
            TicketCommand::AnswerDepartmentTask { .. } => "answer_department_task",
            TicketCommand::CancelDepartmentTask { .. } => "cancel_department_task",
            TicketCommand::Resolve => "resolve",
            TicketCommand::Close => "close",
            TicketCommand::Reopen => "reopen",
            TicketCommand::SetPriority { .. } => "set_priority",
            TicketCommand::SetCategory { .. } => "set_category",
            TicketCommand::Merge { .. } => "merge",
            TicketCommand::AcceptOffer => "accept_offer",
            TicketCommand::DeclineOffer { .. } => "decline_offer",
        }
    }

    /// The kinds of actor that may issue this command. Staff-only work (replies, notes, take, transfer,
    /// pending, department tasks, resolve, merge) is refused to customers and the system; a customer
    /// reply comes only from the customer; the system may dispatch, escalate on SLA breach, answer a
    /// department task for an integration, classify, prioritise and auto-close.
    pub fn allowed_actors(&self) -> &'static [ActorKind] {
        use ActorKind::*;
        match self {
            TicketCommand::Create(_) => &[Staff, Customer, System],
            TicketCommand::CustomerReply { .. } => &[Customer],
            TicketCommand::Close => &[Staff, Customer, System],
            TicketCommand::Reopen => &[Staff, Customer],
            TicketCommand::InternalNote { .. }
            | TicketCommand::Assign { .. }
            | TicketCommand::Escalate { .. }
            | TicketCommand::AnswerDepartmentTask { .. }
            | TicketCommand::SetPriority { .. }
            | TicketCommand::SetCategory { .. } => &[Staff, System],
            TicketCommand::StaffReply { .. }
            | TicketCommand::Take
            | TicketCommand::Transfer { .. }
            | TicketCommand::SetPending
            | TicketCommand::OpenDepartmentTask { .. }
            | TicketCommand::CancelDepartmentTask { .. }
            | TicketCommand::Resolve
            | TicketCommand::Merge { .. }
            | TicketCommand::AcceptOffer
            | TicketCommand::DeclineOffer { .. } => &[Staff],
        }
    }
}

/// One entry of a ticket's event log (工单事件): what happened, when, and who did it. The log is the
/// single source of truth; [`TicketState`] is a fold of [`apply`](super::apply) over it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TicketEvent {
    pub at: Millis,
    pub actor: Actor,
    pub kind: TicketEventKind,
}

/// What happened. Status moves are always explicit [`StatusChanged`](TicketEventKind::StatusChanged)
/// events next to their cause, so `apply` makes no decisions and listeners (SLA timers, KPIs) need not
/// repeat the rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TicketEventKind {
    Created(NewTicket),
    /// A public staff reply; the first one sets `first_response_at`.
    StaffReplied {
        body: String,
    },
    CustomerReplied {
        body: String,
    },
    /// An internal note.
    NoteAdded {
        body: String,
    },
    /// The first responder (首问责任人) is fixed; happens at most once per ticket.
    FirstResponderSet {
        user_id: i64,
    },
    /// Taken or dispatched (the actor tells which).
    Assigned {
        to: Assignee,
    },
    Transferred {
        from: Assignee,
        to: Assignee,
        reason: String,
    },
    Escalated {
        from: Tier,
        to: Tier,
        reason: String,
    },
    DepartmentTaskOpened {
        task_no: i64,
        department_id: i64,
        request: String,
        due_at: Millis,
    },
    DepartmentTaskAnswered {
        task_no: i64,
        answer: String,
    },
    DepartmentTaskCancelled {
        task_no: i64,
        reason: String,
    },
    StatusChanged {
        from: TicketStatus,
        to: TicketStatus,
    },
    PriorityChanged {
        from: Priority,
        to: Priority,
    },
    CategoryChanged {
        from: Option<String>,
        to: String,
    },
    Merged {
        into: TicketNumber,
    },
    /// The ticket's tags are now exactly these.
    TagsChanged {
        tags: Vec<String>,
    },
    /// The order numbers linked to the ticket are now exactly these.
    OrdersChanged {
        order_numbers: Vec<String>,
    },
    /// A related ticket was linked (`related`), a follow-up was created (`follow_up`), or a message was
    /// split off into a new ticket (`split`).
    Linked {
        number: TicketNumber,
        kind: String,
    },
    /// On the surviving ticket of a merge: the merged ticket's messages moved here.
    MergedFrom {
        number: TicketNumber,
        messages: i64,
    },
    /// The SLA policy the clocks are measured against (or none, `policy_id: None`), chosen when the
    /// ticket opens and again whenever what it matches on (channel, category, priority, tier …) changes.
    SlaPolicyApplied {
        policy_id: Option<i64>,
        name: String,
        /// Why it was (re)chosen, e.g. `created`, `priority_changed`, `policy_edited`.
        reason: String,
    },
    /// The router chose who gets the ticket (分配规则), e.g. `最少负载（售后组）`; the `Assigned` event follows.
    Routed {
        group_id: i64,
        rule: String,
    },
    /// The router offers a chat to an agent, who must accept it by `expires_at` (派发待接入); until
    /// then nobody else is offered it.
    Offered {
        agent_id: i64,
        group_id: i64,
        rule: String,
        expires_at: Millis,
    },
    /// The offer ended without acceptance: `timeout` or `declined: …`. The router passes the agent over
    /// for this ticket.
    OfferLapsed {
        agent_id: i64,
        reason: String,
    },
    /// 预警: a clock reached the policy's warning share of its target.
    SlaWarned {
        metric: crate::sla::SlaMetric,
        cycle: u32,
        /// When the target falls due.
        due_at: Millis,
    },
    /// 超时: a clock passed its target.
    SlaBreached {
        metric: crate::sla::SlaMetric,
        cycle: u32,
        /// When the target fell due.
        due_at: Millis,
    },
    /// A step of an after-sales case (售后单) this ticket carries, so the agent reads the case's history
    /// in the ticket's timeline. The case's own event log stays the source of truth.
    AfterSalesRecorded {
        case_id: i64,
        /// The case's status after the step.
        status: crate::aftersales::case::CaseStatus,
        /// What happened, in plain Chinese (with the rule of an automatic outcome).
        summary: String,
    },
    /// A promise to the customer (承诺: compensation, coupon, goodwill refund, refund outside the rules),
    /// made within the promiser's authority limit (权限额度) or after approval (`approval_id`).
    PromiseRecorded {
        kind: crate::authority::PromiseKind,
        amount_fen: i64,
        approval_id: Option<i64>,
        summary: String,
    },
    /// An approval (审批) was asked for a promise above the requester's limit.
    ApprovalRequested {
        approval_id: i64,
        kind: crate::authority::PromiseKind,
        amount_fen: i64,
        reason: String,
    },
    /// An approval was granted or refused.
    ApprovalDecided {
        approval_id: i64,
        approved: bool,
        note: String,
    },
    /// The customer rated the service (满意度评价); the rating belongs to the agent of the last human turn.
    Rated {
        rating_id: i64,
        /// 1 (very dissatisfied) ..= 5 (very satisfied).
        score: u8,
        /// The label the customer chose, e.g. `非常满意`.
        label: String,
        agent_id: Option<i64>,
        comment: String,
    },
    /// A follow-up visit (回访) was scheduled, or its outcome recorded.
    FollowUpRecorded {
        visit_id: i64,
        status: String,
        summary: String,
    },
    /// A step of the complaint (投诉) this ticket carries; the complaint's own record stays the source of
    /// truth.
    ComplaintRecorded {
        complaint_id: i64,
        stage: String,
        summary: String,
    },
    /// An action sent to the merchant's shop system (店铺操作: modify address, cancel, refund, resend), or
    /// its result coming back.
    ShopActionRecorded {
        action_id: i64,
        action: String,
        status: String,
        summary: String,
    },
}

impl TicketEventKind {
    /// The wire name (`status_changed` …), e.g. for an indexed column next to the JSON payload.
    pub fn name(&self) -> &'static str {
        match self {
            TicketEventKind::Created(_) => "created",
            TicketEventKind::StaffReplied { .. } => "staff_replied",
            TicketEventKind::CustomerReplied { .. } => "customer_replied",
            TicketEventKind::NoteAdded { .. } => "note_added",
            TicketEventKind::FirstResponderSet { .. } => "first_responder_set",
            TicketEventKind::Assigned { .. } => "assigned",
            TicketEventKind::Transferred { .. } => "transferred",
            TicketEventKind::Escalated { .. } => "escalated",
            TicketEventKind::DepartmentTaskOpened { .. } => "department_task_opened",
            TicketEventKind::DepartmentTaskAnswered { .. } => "department_task_answered",
            TicketEventKind::DepartmentTaskCancelled { .. } => "department_task_cancelled",
            TicketEventKind::StatusChanged { .. } => "status_changed",
            TicketEventKind::PriorityChanged { .. } => "priority_changed",
            TicketEventKind::CategoryChanged { .. } => "category_changed",
            TicketEventKind::Merged { .. } => "merged",
            TicketEventKind::TagsChanged { .. } => "tags_changed",
            TicketEventKind::OrdersChanged { .. } => "orders_changed",
            TicketEventKind::Linked { .. } => "linked",
            TicketEventKind::MergedFrom { .. } => "merged_from",
            TicketEventKind::Routed { .. } => "routed",
            TicketEventKind::Offered { .. } => "offered",
            TicketEventKind::OfferLapsed { .. } => "offer_lapsed",
            TicketEventKind::SlaPolicyApplied { .. } => "sla_policy_applied",
            TicketEventKind::SlaWarned { .. } => "sla_warned",
            TicketEventKind::SlaBreached { .. } => "sla_breached",
            TicketEventKind::AfterSalesRecorded { .. } => "after_sales_recorded",
            TicketEventKind::PromiseRecorded { .. } => "promise_recorded",
            TicketEventKind::ApprovalRequested { .. } => "approval_requested",
            TicketEventKind::ApprovalDecided { .. } => "approval_decided",
            TicketEventKind::Rated { .. } => "rated",
            TicketEventKind::FollowUpRecorded { .. } => "follow_up_recorded",
            TicketEventKind::ComplaintRecorded { .. } => "complaint_recorded",
            TicketEventKind::ShopActionRecorded { .. } => "shop_action_recorded",
        }
    }
}

/// A department task (跨部门协作) still waiting for its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OpenDepartmentTask {
    /// Numbered per ticket from 1, in the order the tasks were opened.
    pub task_no: i64,
    pub department_id: i64,
    pub opened_at: Millis,
    pub due_at: Millis,
}

/// A ticket as its event log says it is now. `TicketState::default()` is "no ticket yet" (version 0);
/// its fields mean nothing until the `Created` event is applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TicketState {
    /// The number of events applied: the optimistic-concurrency version, see
    /// [`expect_version`](super::expect_version).
    pub version: i64,
    /// `None` only before creation.
    pub number: Option<TicketNumber>,
    pub merchant_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub channel: Channel,
    pub subject: String,
    pub status: TicketStatus,
    pub priority: Priority,
    pub tier: Tier,
    pub category: Option<String>,
    pub assignee: Assignee,
    /// 首问责任人 (SVC-4): the first staff member who replied publicly or took the ticket by their own
    /// action. Once set it never changes; transfers and escalations keep it.
    pub first_responder: Option<i64>,
    /// 首响时间: the first public staff reply.
    pub first_response_at: Option<Millis>,
    pub created_at: Millis,
    pub updated_at: Millis,
    /// Set while resolved or closed; cleared on reopen.
    pub resolved_at: Option<Millis>,
    /// Set while closed; the reopen window runs from here.
    pub closed_at: Option<Millis>,
    /// How often the ticket came back after being resolved or closed (SVC-8 closed loop, KPI).
    pub reopen_count: i64,
    /// The department tasks waiting for an answer; the ticket is on hold exactly while this is not empty.
    pub open_tasks: Vec<OpenDepartmentTask>,
    /// How many department tasks were ever opened; the next one gets `tasks_opened + 1`.
    pub tasks_opened: i64,
    /// Set when merged: the ticket is closed and refuses every command.
    pub merged_into: Option<TicketNumber>,
    /// The earlier ticket this one follows up.
    pub follow_up_of: Option<TicketNumber>,
    /// Free tags (标签).
    #[serde(default)]
    pub tags: Vec<String>,
    /// Order numbers linked to the ticket.
    #[serde(default)]
    pub order_numbers: Vec<String>,
    /// The SLA clocks (服务时效), see [`crate::sla`].
    #[serde(default)]
    pub sla: crate::sla::SlaTrack,
    /// The version after the last event that was not SLA bookkeeping: a client that read any version
    /// from here on is not stale (see [`expect_version`](super::expect_version)). `None` in states
    /// stored before it existed (then only the exact version is accepted).
    #[serde(default)]
    pub material_version: Option<i64>,
    /// The chat offered to an agent and not yet accepted.
    #[serde(default)]
    pub offer: Option<PendingOffer>,
    /// Agents whose offer for this ticket lapsed; the router offers it to others first. Cleared when
    /// the ticket is assigned.
    #[serde(default)]
    pub passed_over: Vec<i64>,
}

/// An outstanding offer of a chat to one agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PendingOffer {
    pub agent_id: i64,
    pub expires_at: Millis,
}

impl Default for TicketState {
    fn default() -> Self {
        TicketState {
            version: 0,
            number: None,
            merchant_id: None,
            customer_id: None,
            // Placeholder until `Created` is applied.
            channel: Channel::Web,
            subject: String::new(),
            status: TicketStatus::New,
            priority: Priority::Normal,
            tier: Tier::L1,
            category: None,
            assignee: Assignee::default(),
            first_responder: None,
            first_response_at: None,
            created_at: Millis(0),
            updated_at: Millis(0),
            resolved_at: None,
            closed_at: None,
            reopen_count: 0,
            open_tasks: Vec::new(),
            tasks_opened: 0,
            merged_into: None,
            follow_up_of: None,
            tags: Vec::new(),
            order_numbers: Vec::new(),
            sla: crate::sla::SlaTrack::default(),
            material_version: None,
            offer: None,
            passed_over: Vec::new(),
        }
    }
}

impl TicketState {
    /// Has the ticket been created?
    pub fn exists(&self) -> bool {
        self.number.is_some()
    }
}

/// Settings of the ticket rules, per platform or merchant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct TicketPolicy {
    /// How long after closing a ticket may still be reopened; after that a follow-up ticket is needed.
    pub reopen_window_ms: i64,
}

/// The default reopen window: 7 days.
pub const DEFAULT_REOPEN_WINDOW_MS: i64 = 7 * 24 * 60 * Millis::MINUTE;

impl Default for TicketPolicy {
    fn default() -> Self {
        TicketPolicy { reopen_window_ms: DEFAULT_REOPEN_WINDOW_MS }
    }
}
