//! Storage of the SLA engine: calendars, holiday schedules, policies, durable timers and clock records.

use crate::{AuditCtx, Result};
use async_trait::async_trait;
use kefu_core::authz::Scope;
use kefu_core::sla::SlaPolicy;
use kefu_core::time::Millis;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// A business calendar as stored. `weekly` maps `mon` … `sun` to windows like `"09:00-12:00"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CalendarRow {
    pub id: i64,
    pub merchant_id: Option<i64>,
    pub name: String,
    pub time_zone: String,
    pub weekly: BTreeMap<String, Vec<String>>,
    /// Windows of a make-up workday (调休上班); `None`: Monday's.
    pub makeup_windows: Option<Vec<String>>,
    /// Whether the statutory holiday schedule (法定节假日与调休) applies.
    pub holidays: bool,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// A calendar to create or replace (validated by the server).
#[derive(Debug, Clone)]
pub struct CalendarSpec {
    pub merchant_id: Option<i64>,
    pub name: String,
    pub time_zone: String,
    pub weekly: BTreeMap<String, Vec<String>>,
    pub makeup_windows: Option<Vec<String>>,
    pub holidays: bool,
}

/// A calendar's default use: the platform (`owner_id` 0), a merchant or a team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CalendarAssignment {
    /// `platform`, `merchant` or `team`.
    pub owner_kind: String,
    pub owner_id: i64,
    pub calendar_id: i64,
}

/// A holiday schedule year stored at run time (imported or edited); JSON of a `YearSchedule`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HolidayYearRow {
    pub year: i64,
    pub schedule_json: String,
    pub source: Option<String>,
    pub updated_at: Millis,
}

/// Everything the SLA engine needs in memory, loaded at once.
#[derive(Debug, Clone, Default)]
pub struct SlaConfig {
    pub version: i64,
    pub calendars: Vec<CalendarRow>,
    pub assignments: Vec<CalendarAssignment>,
    pub holiday_years: Vec<HolidayYearRow>,
    pub policies: Vec<SlaPolicy>,
}

/// One clock's outcome, kept for reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlaRecord {
    pub metric: String,
    pub cycle: i64,
    pub policy_id: Option<i64>,
    pub team_id: Option<i64>,
    pub agent_id: Option<i64>,
    pub channel: String,
    pub started_at: Millis,
    pub stopped_at: Option<Millis>,
    pub due_at: Option<Millis>,
    pub target_secs: i64,
    pub elapsed_secs: i64,
    pub breached: bool,
    pub in_service_hours: bool,
}

/// What the SLA engine derives from a ticket's new state, written in the same transaction as its events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SlaProjection {
    /// The ticket's timer; `None` removes it.
    pub next_due: Option<Millis>,
    pub records: Vec<SlaRecord>,
}

/// Derives the SLA projection from a ticket's state after a change.
pub type Project<'a> = &'a (dyn Fn(&kefu_core::ticket::TicketState) -> Option<SlaProjection> + Send + Sync);

/// Which clock records a report counts.
#[derive(Debug, Clone, Default)]
pub struct SlaReportFilter {
    pub from: Millis,
    pub to: Millis,
    pub merchant_id: Option<i64>,
    /// `policy`, `team`, `agent` or `channel`.
    pub group_by: String,
}

/// One line of the SLA report: compliance per group and metric.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct SlaReportRow {
    /// The group's key (policy, team or agent id, or channel); `null` when not set.
    pub group: Option<String>,
    pub metric: String,
    /// Clocks that finished (met or missed) plus running clocks already late.
    pub measured: i64,
    pub met: i64,
    pub breached: i64,
    /// met / measured, 0–1; `null` with nothing measured.
    pub compliance: Option<f64>,
    pub avg_elapsed_secs: Option<f64>,
}

/// First responses by how long they took (business seconds), for the distribution chart.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ResponseBucket {
    /// Upper bound in seconds (inclusive); `null` for the last, open bucket.
    pub up_to_secs: Option<i64>,
    pub count: i64,
}

#[async_trait]
pub trait SlaStore: Send + Sync {
    /// Policies, calendars, assignments and stored holiday years, with the configuration version.
    async fn sla_config(&self) -> Result<SlaConfig>;
    /// The configuration version; changes whenever calendars, holidays or policies change.
    async fn sla_config_version(&self) -> Result<i64>;
    /// On first start (no calendar yet): the shipped calendars, the first assigned to the platform, and
    /// the platform policies, whose `calendar_id` is an index into `calendars`.
    async fn seed_sla_defaults(
        &self,
        now: Millis,
        calendars: Vec<CalendarSpec>,
        policies: Vec<SlaPolicy>,
    ) -> Result<()>;
    async fn create_calendar(&self, s: &Scope, ctx: &AuditCtx, spec: CalendarSpec) -> Result<CalendarRow>;
    async fn update_calendar(
        &self,
        s: &Scope,
        ctx: &AuditCtx,
        id: i64,
        spec: CalendarSpec,
    ) -> Result<CalendarRow>;
    async fn assign_calendar(&self, s: &Scope, ctx: &AuditCtx, a: CalendarAssignment) -> Result<()>;
    /// Store one year's holiday schedule (replacing that year), platform-wide.
    async fn put_holiday_year(&self, ctx: &AuditCtx, row: HolidayYearRow) -> Result<()>;
    async fn create_policy(&self, s: &Scope, ctx: &AuditCtx, p: SlaPolicy) -> Result<SlaPolicy>;
    async fn update_policy(&self, s: &Scope, ctx: &AuditCtx, p: SlaPolicy) -> Result<SlaPolicy>;
    /// Tickets whose timer is due at `now`, earliest first.
    async fn sla_due(&self, now: Millis, limit: i64) -> Result<Vec<i64>>;
    /// The earliest timer.
    async fn sla_next_due(&self) -> Result<Option<Millis>>;
    /// Replace one ticket's timer (`None` removes it), when its rules changed but nothing fired.
    async fn sla_reset_timer(&self, ticket_id: i64, due: Option<Millis>) -> Result<()>;
    /// Set one ticket's timer (e.g. to retry a check that failed).
    async fn sla_set_timer(&self, ticket_id: i64, due: Millis) -> Result<()>;
    /// A customer's member tier and VIP flag, for policy matching.
    /// The customer's member tier, VIP flag and the merchant's own member rights (default: the platform's).
    async fn customer_tier(
        &self,
        customer_id: i64,
    ) -> Result<Option<(String, bool, kefu_core::member::MemberRights)>>;
    /// For the live view, in the scope: tickets whose timer falls due by `soon`, and tickets with a running
    /// clock already past its target.
    async fn sla_live_counts(&self, s: &Scope, now: Millis, soon: Millis) -> Result<(i64, i64)>;
    /// How many timers are set.
    async fn sla_timer_count(&self) -> Result<i64>;
    /// Open tickets without a timer that have never been measured (loaded in bulk, e.g. demo data).
    async fn tickets_without_sla(&self, after_id: i64, limit: i64) -> Result<Vec<i64>>;
    async fn sla_report(&self, s: &Scope, f: &SlaReportFilter) -> Result<Vec<SlaReportRow>>;
    /// First responses of the period by business seconds taken, in the given bucket bounds.
    async fn first_response_distribution(
        &self,
        s: &Scope,
        f: &SlaReportFilter,
        bounds: &[i64],
    ) -> Result<Vec<ResponseBucket>>;
    /// Chat first responses inside service hours: (counted, within 30 s, within 3 min).
    async fn chat_response_rates(&self, s: &Scope, f: &SlaReportFilter) -> Result<(i64, i64, i64)>;
}
