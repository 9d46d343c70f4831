//! Tickets (工单): the lifecycle state machine and the rules of ownership, transfer and escalation.
//!
//! The ticket's event log is the single source of truth. A change takes one path:
//!
//! 1. the server checks the principal's permission and loads the ticket's state (a fold of [`apply`] over
//!    its events, or a stored projection of it);
//! 2. [`expect_version`] compares the version the client read with the current one (optimistic
//!    concurrency, 409 on a stale write);
//! 3. [`decide`] turns the [`TicketCommand`] into [`TicketEvent`]s or refuses it with a [`DomainError`](crate::DomainError);
//! 4. the events are appended in the same transaction as the audit record, and [`apply_all`] gives the
//!    new state to store and publish.
//!
//! Nothing here reads a clock: `now` is passed in as [`Millis`](crate::time::Millis).
//!
//! Rules in brief (the details are on [`decide`]):
//! - 首问负责制 (SVC-4): the first staff member who replies publicly, takes the ticket, or assigns it to
//!   themselves becomes its first responder for good; transfers and escalations keep it. The first public
//!   staff reply sets `first_response_at` (首响); internal notes do not count.
//! - 转派 transfer needs a reason; 升级 escalation goes L1 → L2 → L3 only upwards, with a reason.
//! - 跨部门协作 department tasks put the ticket on hold until the last one is answered or cancelled.
//! - A closed ticket can be reopened (also by the customer replying) only within
//!   [`TicketPolicy::reopen_window_ms`] (7 days by default). After that `decide` refuses with code
//!   `conflict` and field [`FOLLOW_UP_REQUIRED`]; the caller then creates a follow-up ticket
//!   ([`follow_up_ticket`]) linked through `follow_up_of`.
//! - A merged ticket is closed, points to the ticket it was merged into, and refuses every command.
//!
//! Also here: ticket numbers ([`TicketNumber`], `KF20261122-000123`) and categories with a keyword
//! classifier ([`classify`], [`Classifier`]).

mod category;
mod kinds;
mod lifecycle;
mod model;
mod number;

#[cfg(test)]
mod tests;

pub use category::{
    classify, default_category, default_keyword_rules, Classifier, DefaultCategory, KeywordClassifier,
    KeywordRule, ACCOUNT, AFTER_SALES, AFTER_SALES_EXCHANGE, AFTER_SALES_REFUND_ONLY, AFTER_SALES_REPAIR,
    AFTER_SALES_RETURN, COMPLAINT, DEFAULT_CATEGORIES, LOGISTICS, MAX_KEYWORD_CHARS, MEMBER_BENEFITS, ORDER,
    PAYMENT, PRESALES, PRODUCT_QUALITY, SERVICE_PROCESS, SUGGESTION, TECHNICAL_SUPPORT,
};
pub use kinds::{Channel, Priority, TicketStatus, Tier};
pub use lifecycle::{
    apply, apply_all, decide, expect_version, follow_up_ticket, is_follow_up_required, rebuild,
    tiers_handled, FOLLOW_UP_REQUIRED, MAX_BODY_CHARS, MAX_REASON_CHARS, MAX_SUBJECT_CHARS,
};
pub use model::{
    Actor, ActorKind, Assignee, NewTicket, OpenDepartmentTask, PendingOffer, TicketCommand, TicketEvent,
    TicketEventKind, TicketPolicy, TicketState, DEFAULT_REOPEN_WINDOW_MS,
};
pub use number::{
    format_ticket_number, parse_ticket_number, shanghai_date, TicketNumber, MAX_DAILY_SEQ,
    TICKET_NUMBER_PREFIX,
};
