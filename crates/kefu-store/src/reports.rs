//! Storage side of the supervisor dashboard (监控看板): ticket volume and first-response figures of a
//! period, aggregated by the database (the ticket table is never loaded into memory for a report).
//! SLA compliance comes from the SLA clock records ([`crate::SlaStore::sla_report`]), not from here.

use crate::Result;
use async_trait::async_trait;
use kefu_core::authz::Scope;
use kefu_core::time::Millis;
use serde::Serialize;
use utoipa::ToSchema;

/// Which tickets a dashboard counts: created in `[from, to)`, of one merchant or all in scope.
#[derive(Debug, Clone, Default)]
pub struct OverviewFilter {
    pub from: Millis,
    pub to: Millis,
    /// One merchant only (platform staff choose; merchant staff are limited by their scope anyway).
    pub merchant_id: Option<i64>,
}

/// One bar or slice: a key (channel, category, status) and how many tickets have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CountBy {
    /// `null` for tickets without a value (e.g. no category yet).
    pub key: Option<String>,
    pub count: i64,
}

/// First responses (首响) of the tickets created in the period, in wall-clock seconds from creation to
/// the first public staff reply (internal notes do not count). Business-time figures against the
/// targets are the SLA report's.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FirstResponseStats {
    /// Tickets of the period that got a first response.
    pub count: i64,
    pub avg_secs: Option<f64>,
    pub median_secs: Option<f64>,
    /// Tickets of the period still active and not yet answered.
    pub awaiting: i64,
}

/// Ticket volume of a period and the open workload now.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct TicketOverview {
    /// Tickets created in the period.
    pub created: i64,
    pub by_channel: Vec<CountBy>,
    pub by_category: Vec<CountBy>,
    /// Tickets created in the period by hour of day in Asia/Shanghai: 24 counts, index 0 = 00:00–00:59.
    pub by_hour: Vec<i64>,
    /// Tickets created in the period, by their status now.
    pub by_status: Vec<CountBy>,
    /// Every active ticket now (new, open, pending customer, on hold), whenever created, by status.
    pub open_by_status: Vec<CountBy>,
    /// Active tickets now above the first tier (升级工单).
    pub escalated_open: i64,
    pub first_response: FirstResponseStats,
}

#[async_trait]
pub trait ReportStore: Send + Sync {
    /// The dashboard's ticket figures in the scope (and `f.merchant_id`, when set).
    async fn ticket_overview(&self, s: &Scope, f: &OverviewFilter) -> Result<TicketOverview>;
}
