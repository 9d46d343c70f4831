//! SLA (服务时效): policies, business calendars, holiday schedules, a ticket's SLA panel, the SLA report
//! and the published service commitments (服务承诺公示).

use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, ErrorBody};
use crate::gate::{perm, Gate};
use crate::page::esc;
use crate::sla::{self as svc, SlaPanel};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use kefu_core::calendar::{HolidaySchedule, YearSchedule};
use kefu_core::sla::{BreachAction, Commitment, Conditions, SlaPolicy, Targets};
use kefu_core::time::Millis;
use kefu_core::ErrorCode;
use kefu_store::{
    CalendarAssignment, CalendarRow, CalendarSpec, HolidayYearRow, ResponseBucket, SlaReportFilter,
    SlaReportRow,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

/// A ticket's SLA panel: its policy, each clock's target, due instant, remaining business time, paused or not.
#[utoipa::path(get, path = "/api/v1/tickets/{id}/sla", tag = "sla", params(("id" = i64, Path)),
    responses((status = 200, body = SlaPanel), (status = 404, body = ErrorBody)))]
pub async fn ticket_sla(
    State(state): State<AppState>,
    g: Gate<perm::TicketRead>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<SlaPanel>> {
    let rec = crate::tickets::load(&state, &g.scope, id).await?;
    Ok(Json(svc::panel(&state.sla.current(), &rec.state, g.ctx.now)))
}

/// A policy as created or replaced.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyInput {
    /// Platform staff may name a merchant; merchant staff create policies of their own merchant.
    pub merchant_id: Option<i64>,
    pub name: String,
    #[serde(default)]
    pub position: i32,
    #[serde(default = "yes")]
    pub active: bool,
    #[serde(default)]
    pub conditions: Conditions,
    pub targets: Targets,
    pub calendar_id: Option<i64>,
    #[serde(default = "yes")]
    pub pause_when_pending: bool,
    /// 1–99 (default 75).
    #[serde(default = "seventy_five")]
    pub warn_percent: i64,
    #[serde(default)]
    pub breach_actions: Vec<BreachAction>,
}

fn yes() -> bool {
    true
}

fn seventy_five() -> i64 {
    75
}

impl PolicyInput {
    fn into_policy(self, id: i64) -> ApiResult<SlaPolicy> {
        let warn = u8::try_from(self.warn_percent).map_err(|_| {
            ApiError::field(
                ErrorCode::Validation,
                "warn_percent",
                format!("the warning share must be 1-99, not {}", self.warn_percent),
            )
        })?;
        let p = SlaPolicy {
            id,
            merchant_id: self.merchant_id,
            name: self.name.trim().to_string(),
            position: self.position,
            active: self.active,
            conditions: self.conditions,
            targets: self.targets,
            calendar_id: self.calendar_id,
            pause_when_pending: self.pause_when_pending,
            warn_percent: warn,
            breach_actions: self.breach_actions,
        };
        p.validate()?;
        Ok(p)
    }
}

/// The SLA policies: the caller's merchant's and the platform's (platform staff: all), in matching order.
#[utoipa::path(get, path = "/api/v1/sla/policies", tag = "sla",
    responses((status = 200, body = Vec<SlaPolicy>), (status = 403, body = ErrorBody)))]
pub async fn list_policies(
    State(state): State<AppState>,
    g: Gate<perm::SlaRead>,
) -> ApiResult<Json<Vec<SlaPolicy>>> {
    svc::refresh(&state).await?;
    let rt = state.sla.current();
    let mut ps: Vec<SlaPolicy> = rt
        .policies
        .iter()
        .filter(|p| p.merchant_id.is_none() || g.scope.sees(p.merchant_id))
        .cloned()
        .collect();
    ps.sort_by_key(|p| (p.merchant_id.is_none(), p.merchant_id, p.position, p.id));
    Ok(Json(ps))
}

/// Add a policy. Tickets are measured against it from their next change or timer check.
#[utoipa::path(post, path = "/api/v1/sla/policies", tag = "sla", request_body = PolicyInput,
    responses((status = 201, body = SlaPolicy), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_policy(
    State(state): State<AppState>,
    g: Gate<perm::SlaManage>,
    ApiJson(req): ApiJson<PolicyInput>,
) -> ApiResult<(StatusCode, Json<SlaPolicy>)> {
    let p = req.into_policy(0)?;
    let saved = state.store.create_policy(&g.scope, &g.ctx, p).await?;
    svc::refresh(&state).await?;
    Ok((StatusCode::CREATED, Json(saved)))
}

/// Replace a policy (to retire one, set `active` to false). `merchant_id` cannot change.
#[utoipa::path(put, path = "/api/v1/sla/policies/{id}", tag = "sla", params(("id" = i64, Path)), request_body = PolicyInput,
    responses((status = 200, body = SlaPolicy), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_policy(
    State(state): State<AppState>,
    g: Gate<perm::SlaManage>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<PolicyInput>,
) -> ApiResult<Json<SlaPolicy>> {
    let p = req.into_policy(id)?;
    let saved = state.store.update_policy(&g.scope, &g.ctx, p).await?;
    svc::refresh(&state).await?;
    Ok(Json(saved))
}

/// A business calendar as created or replaced.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarInput {
    pub merchant_id: Option<i64>,
    pub name: String,
    /// IANA time zone (default `Asia/Shanghai`).
    #[serde(default = "shanghai")]
    pub time_zone: String,
    /// `mon` … `sun` → windows like `"09:00-12:00"`; a missing day is closed; `"00:00-24:00"` is all day.
    pub weekly: BTreeMap<String, Vec<String>>,
    /// Windows of a make-up workday (调休上班); default: Monday's.
    pub makeup_windows: Option<Vec<String>>,
    /// Follow the statutory holiday schedule (default true).
    #[serde(default = "yes")]
    pub holidays: bool,
}

fn shanghai() -> String {
    "Asia/Shanghai".into()
}

/// A calendar with what an admin must know about it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarView {
    #[serde(flatten)]
    pub calendar: CalendarRow,
    /// Dates of the next 90 days without published holiday data: counted by the weekly rule only.
    pub uncovered_dates: Vec<String>,
    /// Set when the stored calendar cannot be used (it counts as 7×24 until fixed).
    pub problem: Option<String>,
}

fn spec_of(req: CalendarInput) -> ApiResult<CalendarSpec> {
    let name = req.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::field(
            ErrorCode::Validation,
            "name",
            "the calendar name must be 1-100 characters",
        ));
    }
    svc::build_calendar(&req.time_zone, &req.weekly, req.makeup_windows.as_deref(), req.holidays, &[])?;
    Ok(CalendarSpec {
        merchant_id: req.merchant_id,
        name,
        time_zone: req.time_zone,
        weekly: req.weekly,
        makeup_windows: req.makeup_windows,
        holidays: req.holidays,
    })
}

/// Business calendars the caller may use: the platform's and their merchant's.
#[utoipa::path(get, path = "/api/v1/sla/calendars", tag = "sla",
    responses((status = 200, body = Vec<CalendarView>), (status = 403, body = ErrorBody)))]
pub async fn list_calendars(
    State(state): State<AppState>,
    g: Gate<perm::SlaRead>,
) -> ApiResult<Json<Vec<CalendarView>>> {
    svc::refresh(&state).await?;
    let rt = state.sla.current();
    let uncovered = svc::uncovered_days(&rt, g.ctx.now);
    Ok(Json(
        rt.rows
            .iter()
            .filter(|c| c.merchant_id.is_none() || g.scope.sees(c.merchant_id))
            .map(|c| CalendarView {
                calendar: c.clone(),
                uncovered_dates: uncovered
                    .iter()
                    .filter(|(id, _)| *id == c.id)
                    .map(|(_, d)| d.to_string())
                    .collect(),
                problem: rt.broken.iter().find(|(id, _)| *id == c.id).map(|(_, m)| m.clone()),
            })
            .collect(),
    ))
}

/// Add a calendar. Overlapping or inverted windows and unknown time zones are refused, naming the field.
#[utoipa::path(post, path = "/api/v1/sla/calendars", tag = "sla", request_body = CalendarInput,
    responses((status = 201, body = CalendarRow), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_calendar(
    State(state): State<AppState>,
    g: Gate<perm::SlaManage>,
    ApiJson(req): ApiJson<CalendarInput>,
) -> ApiResult<(StatusCode, Json<CalendarRow>)> {
    let spec = spec_of(req)?;
    let c = state.store.create_calendar(&g.scope, &g.ctx, spec).await?;
    svc::refresh(&state).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// Replace a calendar; a refused one leaves the active calendar unchanged.
#[utoipa::path(put, path = "/api/v1/sla/calendars/{id}", tag = "sla", params(("id" = i64, Path)), request_body = CalendarInput,
    responses((status = 200, body = CalendarRow), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_calendar(
    State(state): State<AppState>,
    g: Gate<perm::SlaManage>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<CalendarInput>,
) -> ApiResult<Json<CalendarRow>> {
    let spec = spec_of(req)?;
    let c = state.store.update_calendar(&g.scope, &g.ctx, id, spec).await?;
    svc::refresh(&state).await?;
    Ok(Json(c))
}

/// Which calendar counts by default: for a team (`team_id`), a merchant (`merchant_id`), or the platform
/// (neither; platform staff only — merchant staff set their merchant's).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignCalendar {
    pub merchant_id: Option<i64>,
    pub team_id: Option<i64>,
    pub calendar_id: i64,
}

/// Set a default calendar for the platform, a merchant or a team.
#[utoipa::path(put, path = "/api/v1/sla/calendar-assignments", tag = "sla", request_body = AssignCalendar,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn assign_calendar(
    State(state): State<AppState>,
    g: Gate<perm::SlaManage>,
    ApiJson(req): ApiJson<AssignCalendar>,
) -> ApiResult<StatusCode> {
    let a = match (req.team_id, g.scope.owner_for_new(req.merchant_id)?) {
        (Some(t), _) => {
            CalendarAssignment { owner_kind: "team".into(), owner_id: t, calendar_id: req.calendar_id }
        }
        (None, Some(m)) => {
            CalendarAssignment { owner_kind: "merchant".into(), owner_id: m, calendar_id: req.calendar_id }
        }
        (None, None) => {
            CalendarAssignment { owner_kind: "platform".into(), owner_id: 0, calendar_id: req.calendar_id }
        }
    };
    state.store.assign_calendar(&g.scope, &g.ctx, a).await?;
    svc::refresh(&state).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A year of the statutory holiday schedule.
#[derive(Debug, Serialize, ToSchema)]
pub struct HolidayYearView {
    pub year: i16,
    /// `shipped` (kefu's data) or `imported`.
    pub origin: String,
    pub source: Option<String>,
    pub holidays: usize,
    pub makeup_workdays: usize,
    /// The year's entries as JSON (the import format).
    pub schedule: serde_json::Value,
}

fn year_view(y: &YearSchedule, origin: &str) -> HolidayYearView {
    let holidays = y.iter().filter(|(_, d)| d.kind == kefu_core::calendar::DayKind::Holiday).count();
    HolidayYearView {
        year: y.year(),
        origin: origin.to_string(),
        source: y.source().map(str::to_string),
        makeup_workdays: y.len() - holidays,
        holidays,
        schedule: serde_json::from_str(&y.to_json()).unwrap_or(serde_json::Value::Null),
    }
}

/// The holiday schedule in force: the shipped years, replaced or extended by imported ones.
#[utoipa::path(get, path = "/api/v1/sla/holidays", tag = "sla",
    responses((status = 200, body = Vec<HolidayYearView>), (status = 403, body = ErrorBody)))]
pub async fn list_holidays(
    State(state): State<AppState>,
    _g: Gate<perm::SlaRead>,
) -> ApiResult<Json<Vec<HolidayYearView>>> {
    let cfg = state.store.sla_config().await?;
    let mut years: BTreeMap<i16, (YearSchedule, String)> = BTreeMap::new();
    let shipped = HolidaySchedule::china();
    for year in shipped.known_years() {
        if let Some(y) = shipped.year(year) {
            years.insert(year, (y.clone(), "shipped".into()));
        }
    }
    for row in &cfg.holiday_years {
        if let Ok(y) = YearSchedule::from_json(&row.schedule_json) {
            years.insert(y.year(), (y, "imported".into()));
        }
    }
    Ok(Json(years.into_values().map(|(y, origin)| year_view(&y, &origin)).collect()))
}

/// A holiday schedule file to import: `json` (one year object) or `csv` (`date,kind,name`, with `year`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportHolidays {
    /// `json` or `csv`.
    pub format: String,
    /// The year, for CSV (JSON names it inside).
    pub year: Option<i16>,
    pub content: String,
}

/// Import (or replace) one year's statutory holiday schedule, platform-wide. A file with a bad date, a
/// duplicate or an unknown kind is refused with the line named; the schedule in force stays unchanged.
#[utoipa::path(post, path = "/api/v1/sla/holidays", tag = "sla", request_body = ImportHolidays,
    responses((status = 200, body = HolidayYearView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import_holidays(
    State(state): State<AppState>,
    g: Gate<perm::HolidayManage>,
    ApiJson(req): ApiJson<ImportHolidays>,
) -> ApiResult<Json<HolidayYearView>> {
    let parsed = match req.format.as_str() {
        "json" => YearSchedule::from_json(&req.content),
        "csv" => {
            let year = req.year.ok_or_else(|| {
                ApiError::field(ErrorCode::Validation, "year", "a CSV import needs the year")
            })?;
            YearSchedule::from_csv(year, &req.content)
        }
        other => {
            return Err(ApiError::field(
                ErrorCode::Validation,
                "format",
                format!("format must be json or csv, not '{other}'"),
            ))
        }
    };
    let y = parsed.map_err(|e| ApiError::field(ErrorCode::Validation, "content", e.to_string()))?;
    let row = HolidayYearRow {
        year: i64::from(y.year()),
        schedule_json: y.to_json(),
        source: y.source().map(str::to_string),
        updated_at: g.ctx.now,
    };
    state.store.put_holiday_year(&g.ctx, row).await?;
    svc::refresh(&state).await?;
    Ok(Json(year_view(&y, "imported")))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportParams {
    /// Start of the period (RFC 3339), inclusive; default 30 days ago.
    pub from: Option<String>,
    /// End of the period, exclusive; default now.
    pub to: Option<String>,
    /// `policy` (default), `team`, `agent`, `channel` or `day` (the Shanghai date the clock started).
    pub group_by: Option<String>,
    /// Platform staff: one merchant only.
    pub merchant_id: Option<i64>,
}

/// The SLA report of a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct SlaReport {
    pub from: Millis,
    pub to: Millis,
    pub group_by: String,
    /// Compliance (达标率) per group and metric: clocks that stopped, or are already late.
    pub rows: Vec<SlaReportRow>,
    /// First responses by business time taken (≤30 s, ≤3 min, ≤15 min, ≤1 h, ≤24 h, longer).
    pub first_response_distribution: Vec<ResponseBucket>,
    /// Chat sessions opened inside service hours (the platform's measure for merchants).
    pub chat_sessions: i64,
    /// Share answered within 30 s, 0–1.
    pub chat_answered_30s: Option<f64>,
    /// Share answered within 3 min, 0–1.
    pub chat_answered_3min: Option<f64>,
}

fn instant(field: &str, v: &Option<String>, default: Millis) -> ApiResult<Millis> {
    match v {
        None => Ok(default),
        Some(s) => Millis::parse_rfc3339(s).ok_or_else(|| {
            ApiError::field(
                ErrorCode::Validation,
                field,
                format!("'{s}' is not an RFC 3339 instant (e.g. 2026-11-01T00:00:00+08:00)"),
            )
        }),
    }
}

/// SLA compliance per policy, team, agent or channel; the first-response distribution; chat response
/// rates within 30 s and 3 min, counted only for sessions opened inside the service window.
#[utoipa::path(get, path = "/api/v1/reports/sla", tag = "sla", params(ReportParams),
    responses((status = 200, body = SlaReport), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn report(
    State(state): State<AppState>,
    g: Gate<perm::SlaRead>,
    ApiQuery(q): ApiQuery<ReportParams>,
) -> ApiResult<Json<SlaReport>> {
    let to = instant("to", &q.to, g.ctx.now)?;
    let from = instant("from", &q.from, Millis(to.0 - 30 * Millis::DAY))?;
    if from >= to {
        return Err(ApiError::field(ErrorCode::Validation, "from", "from must be before to"));
    }
    let f = SlaReportFilter {
        from,
        to,
        merchant_id: q.merchant_id,
        group_by: q.group_by.clone().unwrap_or_else(|| "policy".into()),
    };
    let rows = state.store.sla_report(&g.scope, &f).await?;
    let dist = state.store.first_response_distribution(&g.scope, &f, &[30, 180, 900, 3600, 86_400]).await?;
    let (n, s30, s180) = state.store.chat_response_rates(&g.scope, &f).await?;
    let share = |k: i64| (n > 0).then(|| k as f64 / n as f64);
    Ok(Json(SlaReport {
        from,
        to,
        group_by: f.group_by.clone(),
        rows,
        first_response_distribution: dist,
        chat_sessions: n,
        chat_answered_30s: share(s30),
        chat_answered_3min: share(s180),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CommitmentParams {
    /// The merchant (入驻商家); none: the platform's own service.
    pub merchant_id: Option<i64>,
}

/// Published service commitments (服务承诺).
#[derive(Debug, Serialize, ToSchema)]
pub struct Commitments {
    pub merchant_id: Option<i64>,
    pub merchant_name: Option<String>,
    pub commitments: Vec<Commitment>,
}

async fn commitments_of(state: &AppState, merchant_id: Option<i64>) -> ApiResult<Commitments> {
    svc::refresh(state).await?;
    let name = match merchant_id {
        Some(m) => {
            let scope = kefu_core::authz::Scope::operator(kefu_core::authz::Action::MerchantRead);
            let found =
                state.store.get_merchant(&scope, m).await?.ok_or_else(|| ApiError::not_found("merchant"))?;
            Some(found.name)
        }
        None => None,
    };
    let rt = state.sla.current();
    let list = kefu_core::sla::commitments(&rt.policies, merchant_id, &|p| svc::hours_text(&rt, p));
    Ok(Commitments { merchant_id, merchant_name: name, commitments: list })
}

/// A merchant's (or the platform's) response-time commitments in plain Chinese, generated from the
/// active policies (SVC-6 公示). Public: no login.
#[utoipa::path(get, path = "/api/v1/public/commitments", tag = "sla", params(CommitmentParams), security(()),
    responses((status = 200, body = Commitments), (status = 404, body = ErrorBody)))]
pub async fn public_commitments(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<CommitmentParams>,
) -> ApiResult<Json<Commitments>> {
    Ok(Json(commitments_of(&state, q.merchant_id).await?))
}

/// The public page of the commitments: `/commitments` (platform) or `/commitments/{merchant_id}`.
pub async fn commitments_page(
    State(state): State<AppState>,
    path: Option<axum::extract::Path<i64>>,
) -> Response {
    let merchant = path.map(|p| p.0);
    let c = match commitments_of(&state, merchant).await {
        Ok(c) => c,
        Err(e) if e.code == ErrorCode::NotFound => {
            let page = "<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>未找到 · 服务承诺</title>\
<body style=\"font-family:sans-serif;max-width:56em;margin:2em auto\"><h1>未找到该商家</h1>\
<p>没有这个商家的服务承诺。The merchant does not exist.</p></body></html>";
            return (StatusCode::NOT_FOUND, Html(page)).into_response();
        }
        Err(e) => return e.into_response(),
    };
    let who = c.merchant_name.as_deref().unwrap_or("平台客服");
    let mut rows = String::new();
    for l in &c.commitments {
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&l.scope),
            esc(&l.text),
            esc(&l.service_hours)
        ));
    }
    let html = format!(
        "<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
<title>{who} · 服务承诺</title><body style=\"font-family:sans-serif;max-width:56em;margin:2em auto;padding:0 1em\">\
<h1>{who} · 服务承诺</h1><p>以下时限按服务时间计算，由系统根据当前生效的服务时效规则生成。</p>\
<table border=\"1\" cellpadding=\"6\" style=\"border-collapse:collapse\"><thead><tr><th>服务范围</th><th>承诺</th><th>服务时间</th></tr></thead>\
<tbody>{rows}</tbody></table></body></html>",
        who = esc(who)
    );
    ([(header::CACHE_CONTROL, "no-cache")], Html(html)).into_response()
}
