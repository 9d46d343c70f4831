//! Storage of satisfaction ratings (满意度评价) and follow-up visits (回访).
//!
//! A rating is written in one transaction with the ticket's `rated` timeline event, the follow-up visit a
//! dissatisfied rating schedules (with its `follow_up_recorded` event) and the audit record, under the
//! ticket's row lock: one resolution of a ticket is rated once. A visit is scheduled by a low rating, by
//! the end of an after-sales case or a complaint, or by hand ([`SatisfactionStore::schedule_follow_up`]),
//! and completed with its outcome and the customer's renewed satisfaction.

use crate::{AuditCtx, Result};
use async_trait::async_trait;
use kefu_core::authz::Scope;
use kefu_core::satisfaction::{ValidOutcome, VisitOutcome, VisitReason, VisitStatus};
use kefu_core::ticket::Actor;
use kefu_core::time::Millis;
use serde::Serialize;
use utoipa::ToSchema;

/// A customer's rating of one resolution of a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Rating {
    pub id: i64,
    pub merchant_id: Option<i64>,
    pub ticket_id: Option<i64>,
    pub ticket_number: String,
    pub customer_id: Option<i64>,
    /// The agent of the last human turn (the last public staff reply): the rating counts for them.
    pub agent_id: Option<i64>,
    pub agent_name: Option<String>,
    /// Where the survey was answered: `chat`, `email`, `link`.
    pub channel: String,
    /// 1 (非常不满意) ..= 5 (非常满意).
    pub score: i64,
    pub label: String,
    pub reasons: Vec<String>,
    pub comment: String,
    /// The resolution rated (the ticket's `resolved_at` then).
    pub resolution_at: Millis,
    pub created_at: Millis,
}

/// A rating to record (validated by `kefu_core::satisfaction::validate`).
#[derive(Debug, Clone)]
pub struct NewRating {
    pub ticket_id: i64,
    /// Who rated, as the ticket's timeline records it (the customer).
    pub actor: Actor,
    pub channel: String,
    pub score: u8,
    pub label: String,
    pub reasons: Vec<String>,
    pub comment: String,
    /// The timeline summary, e.g. `2 分 · 不满意（回复太慢）`.
    pub summary: String,
}

/// A follow-up visit (回访任务).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FollowUpVisit {
    pub id: i64,
    pub merchant_id: Option<i64>,
    pub ticket_id: Option<i64>,
    pub ticket_number: String,
    pub ticket_subject: Option<String>,
    pub customer_id: Option<i64>,
    pub reason: VisitReason,
    pub reason_label: String,
    /// What caused it: `rating:<id>`, `aftersales:<id>`, `complaint:<id>`, empty when scheduled by hand.
    pub source: String,
    pub due_at: Millis,
    /// The person to make the visit; `None`: the merchant's supervisors' queue (主管队列).
    pub assignee_id: Option<i64>,
    pub assignee_name: Option<String>,
    pub status: VisitStatus,
    pub status_label: String,
    /// The call script (回访话术).
    pub script: String,
    pub outcome: Option<VisitOutcome>,
    pub outcome_label: Option<String>,
    /// The customer's renewed satisfaction, 1..=5, when reached.
    pub renewed_score: Option<i64>,
    pub note: String,
    pub created_by: Option<i64>,
    pub created_at: Millis,
    pub completed_by: Option<i64>,
    pub completed_at: Option<Millis>,
}

/// A follow-up visit to schedule for a ticket.
#[derive(Debug, Clone)]
pub struct NewVisit {
    pub ticket_id: i64,
    pub reason: VisitReason,
    pub source: String,
    pub due_at: Millis,
    pub assignee_id: Option<i64>,
    pub script: String,
    /// Who scheduled it, as the ticket's timeline records it.
    pub actor: Actor,
}

/// Which visits to list; all optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct VisitFilter {
    pub status: Option<VisitStatus>,
    pub ticket_id: Option<i64>,
    /// Only the visits of this person; with `with_queue`, also those in the supervisors' queue.
    pub assignee_id: Option<i64>,
    pub with_queue: bool,
}

/// One agent's line of the satisfaction report.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AgentSatisfaction {
    pub agent_id: Option<i64>,
    pub agent_name: Option<String>,
    pub count: i64,
    pub average: f64,
    pub satisfied: i64,
    pub dissatisfied: i64,
}

/// Ratings in a period: how many, the average score, how many satisfied (4–5) and dissatisfied (≤ 2),
/// overall and per agent.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SatisfactionFigures {
    pub count: i64,
    pub average: f64,
    pub satisfied: i64,
    pub dissatisfied: i64,
    /// Per score 1..=5, how many.
    pub by_score: Vec<i64>,
    pub agents: Vec<AgentSatisfaction>,
}

#[async_trait]
pub trait SatisfactionStore: Send + Sync {
    /// Record a rating of the ticket's current resolution, with its `rated` event, the follow-up visit
    /// `visit` (if any; an empty source becomes `rating:<id>`) with its `follow_up_recorded` event, and the
    /// audit record, in one transaction
    /// under the ticket's row lock. A ticket that is not resolved or closed is a conflict (field
    /// `ticket`); a resolution already rated is a conflict (field `token`).
    async fn record_rating(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        new: NewRating,
        visit: Option<NewVisit>,
    ) -> Result<(Rating, Option<FollowUpVisit>)>;

    /// The rating of the ticket's current resolution, if it was rated.
    async fn current_rating(&self, s: &Scope, ticket_id: i64) -> Result<Option<Rating>>;

    /// Schedule a follow-up visit for a ticket (after a complaint, an after-sales case, by hand …), with
    /// its `follow_up_recorded` event and the audit record. A pending visit of the same ticket and reason
    /// is returned as it is (scheduling twice makes one task). The assignee must be staff of the ticket's
    /// merchant (field `assignee_id`).
    async fn schedule_follow_up(&self, s: &Scope, ctx: &AuditCtx, new: NewVisit) -> Result<FollowUpVisit>;

    async fn get_follow_up(&self, s: &Scope, id: i64) -> Result<Option<FollowUpVisit>>;

    /// Visits, due first (pending) or latest first (completed), at most `limit`.
    async fn list_follow_ups(&self, s: &Scope, f: &VisitFilter, limit: i64) -> Result<Vec<FollowUpVisit>>;

    /// Record a visit's outcome (and the renewed score) by `actor`; a visit completed already is a
    /// conflict. The ticket's timeline gets the outcome.
    async fn complete_follow_up(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        id: i64,
        actor: Actor,
        outcome: ValidOutcome,
    ) -> Result<FollowUpVisit>;

    /// The satisfaction figures of ratings given in `[from, to)`.
    async fn satisfaction_report(&self, s: &Scope, from: Millis, to: Millis) -> Result<SatisfactionFigures>;
}
