//! The supervisor dashboard's report (监控看板): ticket volume of a period by channel, category and hour,
//! the open workload by status, first-response times, and SLA compliance per policy.

use crate::error::{ApiError, ApiQuery, ApiResult, ErrorBody};
use crate::gate::{perm, Gate};
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use kefu_core::time::Millis;
use kefu_core::ErrorCode;
use kefu_store::{OverviewFilter, SlaReportFilter, TicketOverview};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The longest period one dashboard request may cover: a quarter.
const MAX_DAYS: i64 = 92;
/// Asia/Shanghai is UTC+8 all year (no daylight saving since 1991).
const SHANGHAI_OFFSET_MS: i64 = 8 * Millis::HOUR;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OverviewParams {
    /// Start of the period (RFC 3339), inclusive; default: the last midnight in Asia/Shanghai before `to`.
    pub from: Option<String>,
    /// End of the period (RFC 3339), exclusive; default now. At most 92 days after `from`.
    pub to: Option<String>,
    /// Platform staff: one merchant only. Merchant staff always see their own merchant.
    pub merchant_id: Option<i64>,
}

/// SLA compliance (达标率) of one policy and metric, from the SLA report.
#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyCompliance {
    pub policy_id: Option<i64>,
    /// The policy's name; `null` for clocks measured without a policy.
    pub policy_name: Option<String>,
    /// `first_response`, `next_response` or `resolution`.
    pub metric: String,
    pub measured: i64,
    pub met: i64,
    pub breached: i64,
    /// met / measured, 0–1.
    pub compliance: Option<f64>,
}

/// SLA compliance of one metric over all policies.
#[derive(Debug, Serialize, ToSchema)]
pub struct MetricCompliance {
    pub metric: String,
    pub measured: i64,
    pub met: i64,
    pub breached: i64,
    pub compliance: Option<f64>,
}

/// What the dashboard shows for a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct Overview {
    pub from: Millis,
    pub to: Millis,
    /// The merchant counted, `null`: every merchant the caller sees.
    pub merchant_id: Option<i64>,
    pub tickets: TicketOverview,
    /// Per policy and metric, the same figures as `GET /api/v1/reports/sla?group_by=policy`.
    pub sla_by_policy: Vec<PolicyCompliance>,
    /// Per metric, all policies together.
    pub sla_totals: Vec<MetricCompliance>,
}

fn instant(field: &str, v: Option<&str>) -> ApiResult<Option<Millis>> {
    v.map(|s| {
        Millis::parse_rfc3339(s).ok_or_else(|| {
            ApiError::field(
                ErrorCode::BadRequest,
                field,
                format!("{field} must be an RFC 3339 time (e.g. 2026-11-01T00:00:00+08:00), not '{s}'"),
            )
        })
    })
    .transpose()
}

/// The last midnight in Asia/Shanghai strictly before `t`.
fn shanghai_midnight_before(t: Millis) -> Millis {
    let local = t.0 - 1 + SHANGHAI_OFFSET_MS;
    Millis(local.div_euclid(Millis::DAY) * Millis::DAY - SHANGHAI_OFFSET_MS)
}

/// The period asked for: default today in Asia/Shanghai; `to` after `from`; at most [`MAX_DAYS`].
fn period(q: &OverviewParams, now: Millis) -> ApiResult<(Millis, Millis)> {
    let to = instant("to", q.to.as_deref())?.unwrap_or(now);
    let from = instant("from", q.from.as_deref())?.unwrap_or_else(|| shanghai_midnight_before(to));
    if to <= from {
        return Err(ApiError::field(ErrorCode::BadRequest, "to", "to must be after from"));
    }
    if to.0 - from.0 > MAX_DAYS * Millis::DAY {
        return Err(ApiError::field(
            ErrorCode::BadRequest,
            "from",
            format!("a dashboard period covers at most {MAX_DAYS} days"),
        ));
    }
    Ok((from, to))
}

/// The dashboard of a period (default: today in Asia/Shanghai): tickets created by channel, category
/// and hour of day, their status now, active tickets by status and escalated, first-response count,
/// average and median (wall-clock seconds to the first public staff reply), SLA compliance per policy.
#[utoipa::path(get, path = "/api/v1/reports/overview", tag = "sla", params(OverviewParams),
    responses((status = 200, body = Overview), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn overview(
    State(state): State<AppState>,
    g: Gate<perm::SlaRead>,
    ApiQuery(q): ApiQuery<OverviewParams>,
) -> ApiResult<Json<Overview>> {
    let (from, to) = period(&q, g.ctx.now)?;
    // Merchant staff: their own merchant (another one is not found); platform staff: as asked.
    let merchant = match g.scope.merchant_filter() {
        Some(m) => {
            g.scope.owner_for_new(q.merchant_id)?;
            Some(m)
        }
        None => q.merchant_id,
    };
    let tickets =
        state.store.ticket_overview(&g.scope, &OverviewFilter { from, to, merchant_id: merchant }).await?;
    let f = SlaReportFilter { from, to, merchant_id: merchant, group_by: "policy".into() };
    let rows = state.store.sla_report(&g.scope, &f).await?;
    crate::sla::refresh(&state).await?;
    let rt = state.sla.current();
    let mut totals: Vec<MetricCompliance> = Vec::new();
    let mut by_policy = Vec::with_capacity(rows.len());
    for r in rows {
        let policy_id = r.group.as_deref().and_then(|g| g.parse::<i64>().ok());
        let policy_name =
            policy_id.and_then(|id| rt.policies.iter().find(|p| p.id == id)).map(|p| p.name.clone());
        match totals.iter_mut().find(|t| t.metric == r.metric) {
            Some(t) => {
                t.measured += r.measured;
                t.met += r.met;
                t.breached += r.breached;
            }
            None => totals.push(MetricCompliance {
                metric: r.metric.clone(),
                measured: r.measured,
                met: r.met,
                breached: r.breached,
                compliance: None,
            }),
        }
        by_policy.push(PolicyCompliance {
            policy_id,
            policy_name,
            metric: r.metric,
            measured: r.measured,
            met: r.met,
            breached: r.breached,
            compliance: r.compliance,
        });
    }
    for t in &mut totals {
        t.compliance = (t.measured > 0).then(|| t.met as f64 / t.measured as f64);
    }
    totals.sort_by(|a, b| a.metric.cmp(&b.metric));
    Ok(Json(Overview {
        from,
        to,
        merchant_id: merchant,
        tickets,
        sla_by_policy: by_policy,
        sla_totals: totals,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Millis {
        Millis::parse_rfc3339(s).unwrap()
    }

    #[test]
    fn today_starts_at_midnight_in_shanghai() {
        assert_eq!(shanghai_midnight_before(at("2026-12-03T10:00:00Z")), at("2026-12-03T00:00:00+08:00"));
        // 23:30 UTC is already the next day in Shanghai.
        assert_eq!(shanghai_midnight_before(at("2026-12-02T23:30:00Z")), at("2026-12-03T00:00:00+08:00"));
        // At midnight itself, "today" is the day that just ended.
        assert_eq!(
            shanghai_midnight_before(at("2026-12-03T00:00:00+08:00")),
            at("2026-12-02T00:00:00+08:00")
        );
    }
}
