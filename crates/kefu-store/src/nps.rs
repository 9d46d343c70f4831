//! Storage of Net Promoter Score surveys (净推荐值调查): a merchant's schedule, the invitations of each
//! round (one per customer, written with the round's mark in one transaction, so a round runs once even
//! on several nodes) and their answers (once each).

use crate::{AuditCtx, Result};
use async_trait::async_trait;
use kefu_core::authz::Scope;
use kefu_core::nps::NpsSchedule;
use kefu_core::time::Millis;
use serde::Serialize;
use utoipa::ToSchema;

/// A merchant's schedule as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct StoredNpsSchedule {
    pub merchant_id: i64,
    #[serde(flatten)]
    pub schedule: NpsSchedule,
    pub last_run_at: Option<Millis>,
    pub updated_at: Millis,
}

/// One customer asked in one round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct NpsInvitation {
    pub id: i64,
    pub merchant_id: i64,
    pub customer_id: i64,
    pub ticket_id: Option<i64>,
    /// The channel of the ticket (how the invitation can reach the customer).
    pub channel: String,
    pub round_at: Millis,
    pub answered_at: Option<Millis>,
    pub score: Option<i64>,
    pub comment: String,
}

/// The answers of a period.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct NpsFigures {
    pub invited: i64,
    pub answered: i64,
    pub promoters: i64,
    pub passives: i64,
    pub detractors: i64,
    /// Promoters minus detractors, in points (−100 to 100); none without answers.
    pub nps: Option<f64>,
}

#[async_trait]
pub trait NpsStore: Send + Sync {
    async fn get_nps_schedule(&self, s: &Scope, merchant_id: i64) -> Result<Option<StoredNpsSchedule>>;
    async fn put_nps_schedule(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        merchant_id: i64,
        schedule: &NpsSchedule,
    ) -> Result<StoredNpsSchedule>;
    /// Every active schedule (the scheduler checks which are due).
    async fn active_nps_schedules(&self) -> Result<Vec<StoredNpsSchedule>>;
    /// Run a round for a merchant at `now` if its last run is still `expected_last_run` (else another node
    /// ran it: `None`): one invitation per customer with a ticket resolved in [`since`, `now`), their
    /// latest such ticket, and the round's mark, in one transaction.
    async fn run_nps_round(
        &self,
        ctx: &AuditCtx,
        merchant_id: i64,
        expected_last_run: Option<Millis>,
        since: Millis,
        now: Millis,
    ) -> Result<Option<Vec<NpsInvitation>>>;
    async fn get_nps_invitation(&self, id: i64) -> Result<Option<NpsInvitation>>;
    /// Record the answer; `Ok(false)` when it was answered already (nothing changes).
    async fn answer_nps(&self, ctx: &AuditCtx, id: i64, score: i64, comment: &str) -> Result<bool>;
    async fn nps_figures(
        &self,
        s: &Scope,
        merchant_id: Option<i64>,
        from: Millis,
        to: Millis,
    ) -> Result<NpsFigures>;
}
