//! The ticket lifecycle as a state machine: [`decide`] turns a command into events or refuses it, and
//! [`apply`] folds an event into the state.

use super::kinds::{Channel, TicketStatus, Tier};
use super::model::{
    Actor, Assignee, NewTicket, OpenDepartmentTask, PendingOffer, TicketCommand, TicketEvent,
    TicketEventKind, TicketPolicy, TicketState,
};
use super::number::TicketNumber;
use crate::error::{DomainError, ErrorCode};
use crate::org::validate_code;
use crate::time::Millis;

/// The longest subject, in characters.
pub const MAX_SUBJECT_CHARS: usize = 200;
/// The longest message, note, department request or answer, in characters.
pub const MAX_BODY_CHARS: usize = 20_000;
/// The longest transfer, escalation or cancellation reason, in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// The `field` of the error [`decide`] returns when a closed ticket is past its reopen window and the
/// command (a customer reply or a reopen) needs it reopened. The error's code is
/// [`Conflict`](ErrorCode::Conflict) (409); the caller should create a follow-up ticket linked to this one
/// (see [`follow_up_ticket`]) instead. Test for it with [`is_follow_up_required`].
pub const FOLLOW_UP_REQUIRED: &str = "follow_up_required";

/// Is this the "closed too long ago, create a follow-up ticket" refusal?
pub fn is_follow_up_required(err: &DomainError) -> bool {
    err.code == ErrorCode::Conflict && err.field.as_deref() == Some(FOLLOW_UP_REQUIRED)
}

/// Decides a command against the current state: the events to append, or why not.
///
/// Pure: `now` is the instant the events are stamped with and the reopen window is measured at.
/// Checks, in order: the actor's kind may issue the command (else `forbidden`); the ticket exists (else
/// `not_found`; `Create` instead requires that it does not); a customer acts only on their own ticket
/// (else `not_found`, as for any object outside the caller's scope); a merged ticket refuses everything
/// (`conflict`); then the transition rules (`conflict`, naming what to do instead) and the inputs
/// (`validation`, naming the field). A command that would change nothing is refused as a `conflict`
/// saying so.
///
/// The transitions:
/// - new → open on the first staff reply, a take, or an assignment to a person;
/// - open ⇄ pending customer: `SetPending`, and back on the customer's reply;
/// - open or pending → on hold while a department task is open → open when the last one is answered or
///   cancelled;
/// - open or pending → resolved → closed; a merge closes any ticket that is not on hold or closed;
/// - reopen (explicitly, or by a customer reply) from resolved always, from closed only within
///   [`TicketPolicy::reopen_window_ms`]; after that see [`FOLLOW_UP_REQUIRED`].
///
/// Messages do not move a ticket otherwise: a staff reply to a ticket pending the customer, on hold
/// or resolved keeps its status (keeping the customer informed, SVC-7), as does a customer reply to a
/// new, open or on-hold ticket. Internal notes are accepted even on a closed ticket. A staff reply to an
/// active ticket nobody holds makes the replier its holder.
pub fn decide(
    state: &TicketState,
    cmd: &TicketCommand,
    actor: &Actor,
    now: Millis,
    policy: &TicketPolicy,
) -> Result<Vec<TicketEvent>, DomainError> {
    let allowed = cmd.allowed_actors();
    if !allowed.contains(&actor.kind()) {
        let who: Vec<&str> = allowed.iter().map(|k| k.as_str()).collect();
        return Err(DomainError::forbidden(format!(
            "a {} may not use '{}' on a ticket; it is for {} only",
            actor.kind().as_str(),
            cmd.name(),
            who.join(" or ")
        )));
    }
    let mut cx = Decision { state, actor, now, policy, events: Vec::new() };
    if let (TicketCommand::Create(new), false) = (cmd, state.exists()) {
        cx.create(new)?;
        return Ok(cx.events);
    }
    let Some(number) = state.number else {
        return Err(DomainError::not_found("ticket"));
    };
    if let Actor::Customer { customer_id } = actor {
        if state.customer_id != Some(*customer_id) {
            return Err(DomainError::not_found("ticket"));
        }
    }
    if let Some(into) = state.merged_into {
        return Err(DomainError::conflict(
            None,
            format!("ticket {number} was merged into {into} and is read-only; continue on {into}"),
        ));
    }
    cx.decide(cmd, number)?;
    Ok(cx.events)
}

/// Applies one event: the next state. Makes no decisions; it trusts the log, which only ever holds
/// events `decide` produced. The one derived fact is `first_response_at`, the time of the first
/// `StaffReplied`.
pub fn apply(mut s: TicketState, e: &TicketEvent) -> TicketState {
    use TicketEventKind as K;
    let before = s.status;
    s.sla.follow(e, before);
    s.version += 1;
    // Bookkeeping others append (SLA, after-sales history) does not make a client's view stale.
    if !matches!(
        e.kind,
        K::SlaPolicyApplied { .. }
            | K::SlaWarned { .. }
            | K::SlaBreached { .. }
            | K::AfterSalesRecorded { .. }
            | K::PromiseRecorded { .. }
            | K::ApprovalRequested { .. }
            | K::ApprovalDecided { .. }
            | K::Rated { .. }
            | K::FollowUpRecorded { .. }
            | K::ComplaintRecorded { .. }
            | K::ShopActionRecorded { .. }
    ) {
        s.material_version = Some(s.version);
    }
    s.updated_at = e.at;
    match &e.kind {
        K::Created(t) => {
            s.number = Some(t.number);
            s.merchant_id = t.merchant_id;
            s.customer_id = t.customer_id;
            s.channel = t.channel;
            s.subject = t.subject.clone();
            s.priority = t.priority;
            s.category = t.category.clone();
            s.follow_up_of = t.follow_up_of;
            s.status = TicketStatus::New;
            s.tier = Tier::L1;
            s.created_at = e.at;
        }
        K::StaffReplied { .. } => {
            s.first_response_at.get_or_insert(e.at);
        }
        K::CustomerReplied { .. } | K::NoteAdded { .. } => {}
        K::FirstResponderSet { user_id } => {
            s.first_responder.get_or_insert(*user_id);
        }
        K::Assigned { to } | K::Transferred { to, .. } => {
            s.assignee = *to;
            s.offer = None;
            s.passed_over.clear();
        }
        K::Escalated { to, .. } => s.tier = *to,
        K::DepartmentTaskOpened { task_no, department_id, due_at, .. } => {
            s.tasks_opened = s.tasks_opened.max(*task_no);
            s.open_tasks.push(OpenDepartmentTask {
                task_no: *task_no,
                department_id: *department_id,
                opened_at: e.at,
                due_at: *due_at,
            });
        }
        K::DepartmentTaskAnswered { task_no, .. } | K::DepartmentTaskCancelled { task_no, .. } => {
            s.open_tasks.retain(|t| t.task_no != *task_no);
        }
        K::StatusChanged { from, to } => {
            match to {
                TicketStatus::Resolved => s.resolved_at = Some(e.at),
                TicketStatus::Closed => s.closed_at = Some(e.at),
                _ if !from.is_active() => {
                    s.reopen_count += 1;
                    s.resolved_at = None;
                    s.closed_at = None;
                }
                _ => {}
            }
            s.status = *to;
        }
        K::PriorityChanged { to, .. } => s.priority = *to,
        K::CategoryChanged { to, .. } => s.category = Some(to.clone()),
        K::Merged { into } => s.merged_into = Some(*into),
        K::TagsChanged { tags } => s.tags = tags.clone(),
        K::OrdersChanged { order_numbers } => s.order_numbers = order_numbers.clone(),
        K::Offered { agent_id, expires_at, .. } => {
            s.offer = Some(PendingOffer { agent_id: *agent_id, expires_at: *expires_at });
        }
        K::OfferLapsed { agent_id, .. } => {
            s.offer = None;
            if !s.passed_over.contains(agent_id) {
                s.passed_over.push(*agent_id);
            }
        }
        K::Linked { .. }
        | K::MergedFrom { .. }
        | K::Routed { .. }
        | K::SlaPolicyApplied { .. }
        | K::SlaWarned { .. }
        | K::SlaBreached { .. }
        | K::AfterSalesRecorded { .. }
        | K::PromiseRecorded { .. }
        | K::ApprovalRequested { .. }
        | K::ApprovalDecided { .. }
        | K::Rated { .. }
        | K::FollowUpRecorded { .. }
        | K::ComplaintRecorded { .. }
        | K::ShopActionRecorded { .. } => {}
    }
    s
}

/// Applies events in order.
pub fn apply_all<'e>(state: TicketState, events: impl IntoIterator<Item = &'e TicketEvent>) -> TicketState {
    events.into_iter().fold(state, apply)
}

/// Rebuilds a ticket from its whole event log.
pub fn rebuild<'e>(events: impl IntoIterator<Item = &'e TicketEvent>) -> TicketState {
    apply_all(TicketState::default(), events)
}

/// Optimistic concurrency: refuses with a `conflict` on `version`, naming the current version, when the
/// ticket is no longer at the version the caller read.
///
/// Only what people (or breach actions) changed counts: SLA bookkeeping the engine appended since
/// (`sla_policy_applied`, `sla_warned`, `sla_breached`) does not make the caller's view stale.
pub fn expect_version(state: &TicketState, expected: i64) -> Result<(), DomainError> {
    if state.version == expected {
        return Ok(());
    }
    if state.material_version.is_some_and(|m| (m..=state.version).contains(&expected)) {
        return Ok(());
    }
    Err(DomainError::conflict(
        Some("version"),
        format!(
            "the ticket was changed meanwhile: it is at version {}, the request expected version {expected}; \
             reload it and try again",
            state.version
        ),
    ))
}

/// The follow-up ticket (跟进工单) for a ticket that can no longer be reopened: same merchant, customer,
/// subject, priority and category, linked through `follow_up_of`, starting with `body`.
pub fn follow_up_ticket(
    previous: &TicketState,
    number: TicketNumber,
    channel: Channel,
    body: String,
) -> Result<NewTicket, DomainError> {
    let Some(prev) = previous.number else {
        return Err(DomainError::not_found("ticket"));
    };
    Ok(NewTicket {
        number,
        merchant_id: previous.merchant_id,
        customer_id: previous.customer_id,
        channel,
        subject: previous.subject.clone(),
        body,
        priority: previous.priority,
        category: previous.category.clone(),
        follow_up_of: Some(prev),
    })
}

/// One decision in progress: the inputs and the events so far.
struct Decision<'a> {
    state: &'a TicketState,
    actor: &'a Actor,
    now: Millis,
    policy: &'a TicketPolicy,
    events: Vec<TicketEvent>,
}

impl Decision<'_> {
    fn push(&mut self, kind: TicketEventKind) {
        self.events.push(TicketEvent { at: self.now, actor: self.actor.clone(), kind });
    }

    /// Records the status move, if it is one.
    fn move_to(&mut self, to: TicketStatus) {
        let from = self.state.status;
        if from != to {
            self.push(TicketEventKind::StatusChanged { from, to });
        }
    }

    /// 首问负责制: the first staff member to answer or take the ticket by their own action owns it.
    fn claim_first_responder(&mut self, user_id: i64) {
        if self.state.first_responder.is_none() {
            self.push(TicketEventKind::FirstResponderSet { user_id });
        }
    }

    /// Records an assignment to a person or team, with its consequences: the assignee becomes first
    /// responder when they assigned themselves, and a new ticket is open once a person holds it.
    fn assign(&mut self, kind: TicketEventKind, to: Assignee) {
        self.push(kind);
        if let (Some(u), Some(me)) = (to.user_id, self.actor.staff_id()) {
            if u == me {
                self.claim_first_responder(me);
            }
        }
        if to.user_id.is_some() && self.state.status == TicketStatus::New {
            self.move_to(TicketStatus::Open);
        }
    }

    fn within_reopen_window(&self) -> bool {
        match self.state.closed_at {
            Some(closed) => self.now.0.saturating_sub(closed.0) <= self.policy.reopen_window_ms,
            None => true,
        }
    }

    fn follow_up_required(&self) -> DomainError {
        let n = self.state.number.map(|n| n.to_string()).unwrap_or_default();
        DomainError::conflict(
            Some(FOLLOW_UP_REQUIRED),
            format!(
                "ticket {n} was closed more than {} ago and can no longer be reopened; \
                 create a follow-up ticket linked to it (follow_up_of = {n})",
                describe_duration(self.policy.reopen_window_ms)
            ),
        )
    }

    /// The usual way out of the current status, for refusals.
    fn default_hint(&self) -> String {
        match self.state.status {
            TicketStatus::New => "take or reply to it first".into(),
            TicketStatus::Open | TicketStatus::PendingCustomer => "it is still being handled".into(),
            TicketStatus::OnHold => "answer or cancel its open department tasks first".into(),
            TicketStatus::Resolved => "reopen it first".into(),
            TicketStatus::Closed if self.within_reopen_window() => "reopen it first".into(),
            TicketStatus::Closed => format!(
                "it was closed more than {} ago, so create a follow-up ticket instead",
                describe_duration(self.policy.reopen_window_ms)
            ),
        }
    }

    /// A refusal for the current status; `what` says what was tried, with `{t}` standing for the ticket.
    fn refuse(&self, what: &str) -> DomainError {
        self.refuse_with(what, &self.default_hint())
    }

    fn refuse_with(&self, what: &str, hint: &str) -> DomainError {
        let what = what.replace("{t}", a_ticket(self.state.status));
        DomainError::conflict(None, format!("cannot {what}; {hint}"))
    }

    fn create(&mut self, new: &NewTicket) -> Result<(), DomainError> {
        let customer_id = match (self.actor, new.customer_id) {
            (Actor::Customer { customer_id: me }, Some(c)) if c != *me => {
                return Err(DomainError::forbidden("a customer can open tickets only for themselves"));
            }
            (Actor::Customer { customer_id: me }, _) => Some(*me),
            (_, c) => c,
        };
        let subject = single_line("subject", &new.subject, MAX_SUBJECT_CHARS)?;
        let body = optional_text("body", &new.body, MAX_BODY_CHARS)?;
        if let Some(c) = &new.category {
            validate_code("category", c)?;
        }
        if new.follow_up_of == Some(new.number) {
            return Err(DomainError::validation("follow_up_of", "a ticket cannot follow up itself"));
        }
        self.push(TicketEventKind::Created(NewTicket {
            customer_id,
            subject,
            body,
            category: new.category.clone(),
            ..new.clone()
        }));
        Ok(())
    }

    fn decide(&mut self, cmd: &TicketCommand, number: TicketNumber) -> Result<(), DomainError> {
        use TicketCommand as C;
        use TicketEventKind as K;
        use TicketStatus as S;
        let state = self.state;
        let status = state.status;
        match cmd {
            C::Create(_) => {
                return Err(DomainError::conflict(Some("number"), format!("ticket {number} already exists")));
            }
            C::StaffReply { body } => {
                if status == S::Closed {
                    return Err(self.refuse("reply to {t}"));
                }
                let body = text("body", body, MAX_BODY_CHARS)?;
                self.push(K::StaffReplied { body });
                if let Some(me) = self.actor.staff_id() {
                    self.claim_first_responder(me);
                    // Whoever answers an unheld ticket is handling it.
                    if status.is_active() && state.assignee.user_id.is_none() {
                        let to = Assignee { user_id: Some(me), team_id: state.assignee.team_id };
                        self.push(K::Assigned { to });
                    }
                }
                if status == S::New {
                    self.move_to(S::Open);
                }
            }
            C::InternalNote { body } => {
                let body = text("body", body, MAX_BODY_CHARS)?;
                self.push(K::NoteAdded { body });
            }
            C::CustomerReply { body } => {
                if status == S::Closed && !self.within_reopen_window() {
                    return Err(self.follow_up_required());
                }
                let body = text("body", body, MAX_BODY_CHARS)?;
                self.push(K::CustomerReplied { body });
                if matches!(status, S::PendingCustomer | S::Resolved | S::Closed) {
                    self.move_to(S::Open);
                }
            }
            C::AcceptOffer | C::DeclineOffer { .. } => {
                let me =
                    self.actor.staff_id().ok_or_else(|| DomainError::forbidden("only staff accept chats"))?;
                let offer = match state.offer {
                    Some(o) if o.agent_id == me => o,
                    _ => return Err(DomainError::conflict(None, "this chat is not offered to you")),
                };
                if state.assignee.is_someone() || !status.is_active() {
                    return Err(self.refuse("accept an offer for {t}"));
                }
                if let C::DeclineOffer { reason } = cmd {
                    let reason = text("reason", reason, 200)?;
                    self.push(K::OfferLapsed { agent_id: me, reason: format!("declined: {reason}") });
                } else {
                    if self.now >= offer.expires_at {
                        return Err(DomainError::conflict(
                            None,
                            "the offer lapsed before it was accepted; the chat went back to the queue",
                        ));
                    }
                    let to = Assignee { user_id: Some(me), team_id: state.assignee.team_id };
                    self.assign(K::Assigned { to }, to);
                }
            }
            C::Take => {
                if !status.is_active() {
                    return Err(self.refuse("take {t}"));
                }
                let me =
                    self.actor.staff_id().ok_or_else(|| DomainError::forbidden("only staff take tickets"))?;
                match state.assignee.user_id {
                    Some(u) if u == me => {
                        return Err(DomainError::conflict(None, "you already hold this ticket"));
                    }
                    Some(u) => {
                        return Err(DomainError::conflict(
                            None,
                            format!(
                                "the ticket is held by user {u}; ask them or a supervisor to transfer it to you"
                            ),
                        ));
                    }
                    None => {}
                }
                let to = Assignee { user_id: Some(me), team_id: state.assignee.team_id };
                self.assign(K::Assigned { to }, to);
            }
            C::Assign { to } => {
                if !status.is_active() {
                    return Err(self.refuse("assign {t}"));
                }
                if let Some(u) = state.assignee.user_id {
                    return Err(DomainError::conflict(
                        None,
                        format!("the ticket is held by user {u}; transfer it with a reason instead"),
                    ));
                }
                check_target(to)?;
                if *to == state.assignee {
                    return Err(DomainError::conflict(Some("to"), "the ticket is already assigned there"));
                }
                self.assign(K::Assigned { to: *to }, *to);
            }
            C::Transfer { to, reason } => {
                if !status.is_active() {
                    return Err(self.refuse("transfer {t}"));
                }
                check_target(to)?;
                if *to == state.assignee {
                    return Err(DomainError::conflict(
                        Some("to"),
                        "the ticket is already with that person and team",
                    ));
                }
                let reason = text("reason", reason, MAX_REASON_CHARS)?;
                self.assign(K::Transferred { from: state.assignee, to: *to, reason }, *to);
            }
            C::Escalate { to, reason } => {
                if !status.is_active() {
                    return Err(self.refuse("escalate {t}"));
                }
                let from = state.tier;
                if from == Tier::L3 {
                    return Err(DomainError::conflict(
                        None,
                        "the ticket is already at L3 (三级响应, management), the highest tier; \
                         it cannot be escalated further",
                    ));
                }
                if *to == from {
                    return Err(DomainError::conflict(
                        Some("to"),
                        format!(
                            "the ticket is already at {}; escalate to a higher tier",
                            from.as_str().to_uppercase()
                        ),
                    ));
                }
                if *to < from {
                    return Err(DomainError::validation(
                        "to",
                        format!(
                            "escalate only moves up: the ticket is at {}, not above {}",
                            from.as_str().to_uppercase(),
                            to.as_str().to_uppercase()
                        ),
                    ));
                }
                let reason = text("reason", reason, MAX_REASON_CHARS)?;
                self.push(K::Escalated { from, to: *to, reason });
            }
            C::SetPending => match status {
                S::Open => self.move_to(S::PendingCustomer),
                S::PendingCustomer => {
                    return Err(DomainError::conflict(None, "the ticket is already pending the customer"));
                }
                _ => return Err(self.refuse("set {t} to pending the customer")),
            },
            C::OpenDepartmentTask { department_id, request, due_at } => {
                if !matches!(status, S::Open | S::PendingCustomer | S::OnHold) {
                    return Err(self.refuse("put {t} on hold"));
                }
                let request = text("request", request, MAX_BODY_CHARS)?;
                if *due_at <= self.now {
                    return Err(DomainError::validation(
                        "due_at",
                        "the department's answer must be due in the future",
                    ));
                }
                let task_no = state.tasks_opened + 1;
                self.push(K::DepartmentTaskOpened {
                    task_no,
                    department_id: *department_id,
                    request,
                    due_at: *due_at,
                });
                self.move_to(S::OnHold);
            }
            C::AnswerDepartmentTask { task_no, answer } => {
                self.open_task(*task_no)?;
                let answer = text("answer", answer, MAX_BODY_CHARS)?;
                self.push(K::DepartmentTaskAnswered { task_no: *task_no, answer });
                self.release_hold();
            }
            C::CancelDepartmentTask { task_no, reason } => {
                self.open_task(*task_no)?;
                let reason = text("reason", reason, MAX_REASON_CHARS)?;
                self.push(K::DepartmentTaskCancelled { task_no: *task_no, reason });
                self.release_hold();
            }
            C::Resolve => match status {
                S::Open | S::PendingCustomer => self.move_to(S::Resolved),
                S::Resolved => return Err(DomainError::conflict(None, "the ticket is already resolved")),
                _ => return Err(self.refuse("resolve {t}")),
            },
            C::Close => match status {
                S::Resolved => self.move_to(S::Closed),
                S::Closed => return Err(DomainError::conflict(None, "the ticket is already closed")),
                S::Open | S::PendingCustomer => return Err(self.refuse_with("close {t}", "resolve it first")),
                _ => return Err(self.refuse("close {t}")),
            },
            C::Reopen => match status {
                S::Resolved => self.move_to(S::Open),
                S::Closed if self.within_reopen_window() => self.move_to(S::Open),
                S::Closed => return Err(self.follow_up_required()),
                _ => {
                    return Err(
                        self.refuse_with("reopen {t}", "only resolved or closed tickets can be reopened")
                    );
                }
            },
            C::SetPriority { priority } => {
                if status == S::Closed {
                    return Err(self.refuse("change the priority of {t}"));
                }
                if *priority == state.priority {
                    return Err(DomainError::conflict(None, format!("the priority is already {priority}")));
                }
                self.push(K::PriorityChanged { from: state.priority, to: *priority });
            }
            C::SetCategory { category } => {
                if status == S::Closed {
                    return Err(self.refuse("change the category of {t}"));
                }
                let category = validate_code("category", category)?;
                if state.category.as_deref() == Some(category.as_str()) {
                    return Err(DomainError::conflict(None, format!("the category is already {category}")));
                }
                self.push(K::CategoryChanged { from: state.category.clone(), to: category });
            }
            C::Merge { into } => {
                if !matches!(status, S::New | S::Open | S::PendingCustomer | S::Resolved) {
                    return Err(self.refuse("merge {t}"));
                }
                if *into == number {
                    return Err(DomainError::validation("into", "a ticket cannot be merged into itself"));
                }
                self.push(K::Merged { into: *into });
                self.move_to(S::Closed);
            }
        }
        Ok(())
    }

    /// The open department task with this number, or why there is none.
    fn open_task(&self, task_no: i64) -> Result<(), DomainError> {
        if self.state.open_tasks.iter().any(|t| t.task_no == task_no) {
            Ok(())
        } else if (1..=self.state.tasks_opened).contains(&task_no) {
            Err(DomainError::conflict(
                Some("task_no"),
                format!("department task #{task_no} is already answered or cancelled"),
            ))
        } else {
            Err(DomainError::not_found(&format!("department task #{task_no}")))
        }
    }

    /// After a task is answered or cancelled: back to open when it was the last one.
    fn release_hold(&mut self) {
        if self.state.open_tasks.len() == 1 {
            self.move_to(TicketStatus::Open);
        }
    }
}

fn check_target(to: &Assignee) -> Result<(), DomainError> {
    if to.is_someone() {
        Ok(())
    } else {
        Err(DomainError::validation("to", "name a person (user_id) or a team (team_id)"))
    }
}

fn a_ticket(s: TicketStatus) -> &'static str {
    match s {
        TicketStatus::New => "a new ticket",
        TicketStatus::Open => "an open ticket",
        TicketStatus::PendingCustomer => "a ticket pending the customer",
        TicketStatus::OnHold => "a ticket on hold",
        TicketStatus::Resolved => "a resolved ticket",
        TicketStatus::Closed => "a closed ticket",
    }
}

fn describe_duration(ms: i64) -> String {
    const HOUR: i64 = 60 * Millis::MINUTE;
    const DAY: i64 = 24 * HOUR;
    let plural = |n: i64, unit: &str| if n == 1 { format!("1 {unit}") } else { format!("{n} {unit}s") };
    if ms > 0 && ms % DAY == 0 {
        plural(ms / DAY, "day")
    } else if ms > 0 && ms % HOUR == 0 {
        plural(ms / HOUR, "hour")
    } else {
        plural(ms / Millis::MINUTE, "minute")
    }
}

/// Trimmed text that may be empty; line breaks and tabs allowed, other control characters not.
fn optional_text(field: &str, value: &str, max: usize) -> Result<String, DomainError> {
    let v = value.trim();
    if v.chars().count() > max {
        return Err(DomainError::validation(field, format!("{field} must be at most {max} characters")));
    }
    if v.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(DomainError::validation(field, format!("{field} must not contain control characters")));
    }
    Ok(v.to_string())
}

/// Trimmed, non-empty text.
fn text(field: &str, value: &str, max: usize) -> Result<String, DomainError> {
    let v = optional_text(field, value, max)?;
    if v.is_empty() {
        return Err(DomainError::validation(field, format!("{field} must not be empty")));
    }
    Ok(v)
}

/// Trimmed, non-empty, one line.
fn single_line(field: &str, value: &str, max: usize) -> Result<String, DomainError> {
    let v = text(field, value, max)?;
    if v.chars().any(char::is_control) {
        return Err(DomainError::validation(field, format!("{field} must be a single line")));
    }
    Ok(v)
}

/// The escalation tiers a role answers for (SVC-5): L2 goes to supervisors (主管) and above, L3 to
/// management (经理/总监) and admins. Agents handle L1 through assignment, not by tier.
pub fn tiers_handled(role: crate::org::Role) -> Vec<Tier> {
    use crate::org::Role::*;
    match role {
        Supervisor => vec![Tier::L2],
        Manager | Director | MerchantAdmin | PlatformAdmin => vec![Tier::L2, Tier::L3],
        Agent | SeniorAgent | QaInspector | Trainer => Vec::new(),
    }
}
