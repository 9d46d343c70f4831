//! Complaints (投诉, EC-6): opened from a ticket, moved through the complaint workflow one command per
//! endpoint, with the printable complaint handling notice (投诉处理通知单) and customer evaluation form
//! (客户评价单). Handlers only parse and check input; the rules live in `kefu_core::complaint` and the
//! one write path in `crate::complaints`.
//!
//! Permissions: reading needs `TicketRead`, every step `TicketWork`; acknowledging and closing a 重大
//! (major) complaint also need `TicketSupervise` (a supervisor or above), so a major complaint is taken on
//! and signed off by someone accountable for it.

use crate::api::ListParams;
use crate::complaints::{self as service, with_now};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, ErrorBody};
use crate::gate::{perm, Gate};
use crate::state::AppState;
use crate::tickets::actor_of;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use kefu_core::authz::{role_permits, Action};
use kefu_core::complaint::{ComplaintCommand, ComplaintIntake, ComplaintSource, Severity, Stage};
use kefu_core::ticket::TicketCommand;
use kefu_core::time::Millis;
use kefu_core::ErrorCode;
use kefu_store::{Complaint, ComplaintEntry, ComplaintFilter, Customer, NewComplaint, Page};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

fn bad(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::field(ErrorCode::Validation, field, message)
}

/// A complaint as the customer made it, recorded on a ticket.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateComplaint {
    /// The ticket that carries the conversation; the complaint's steps appear in its timeline.
    pub ticket_id: i64,
    pub source: ComplaintSource,
    pub severity: Severity,
    /// What the customer complains about, in their words (1 to 2000 characters).
    pub summary: String,
    /// When it was received (RFC 3339); by default now. For 12315, the day the regulator forwarded it.
    pub received_at: Option<Millis>,
    /// The regulator's case number; required for `regulator` (12315).
    pub regulator_ref: Option<String>,
    /// The order complained about; by default the ticket's first linked order.
    pub order_no: Option<String>,
}

/// A complaint with its event log.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComplaintDetail {
    #[serde(flatten)]
    pub complaint: Complaint,
    pub events: Vec<ComplaintEntry>,
}

/// Open a complaint on a ticket (登记投诉). Deadlines follow the severity (受理时限) and, for 12315, the
/// statutory working days; an earlier complaint by the same customer or about the same order within 30
/// days marks it as a repeat complaint (重复投诉) naming the earlier numbers.
#[utoipa::path(post, path = "/api/v1/complaints", tag = "complaints", request_body = CreateComplaint,
    responses((status = 201, body = Complaint), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiJson(b): ApiJson<CreateComplaint>,
) -> ApiResult<(StatusCode, Json<Complaint>)> {
    let rec = crate::tickets::load(&state, &g.scope, b.ticket_id).await?;
    let Some(merchant_id) = rec.state.merchant_id else {
        return Err(bad("ticket_id", "the ticket belongs to no merchant"));
    };
    let order_no = match b.order_no.as_deref().map(str::trim) {
        Some("") | None => rec.state.order_numbers.first().cloned(),
        Some(o) if o.chars().count() > 64 => {
            return Err(bad("order_no", "order_no must be at most 64 characters"))
        }
        Some(o) => Some(o.to_string()),
    };
    let received_at = b.received_at.unwrap_or(g.ctx.now);
    let day = kefu_core::ticket::shanghai_date(received_at)?.strftime("%Y%m%d").to_string();
    let new = NewComplaint {
        merchant_id,
        ticket_id: rec.ticket.id,
        customer_id: rec.state.customer_id,
        order_no,
        received_at,
        day,
    };
    let intake = ComplaintIntake {
        source: b.source,
        severity: b.severity,
        received_at,
        regulator_ref: b.regulator_ref,
        summary: b.summary,
    };
    let w = service::open(&state, &g.scope, &g.ctx, new, intake, &actor_of(&g.principal)).await?;
    Ok((StatusCode::CREATED, Json(with_now(w.complaint, g.ctx.now))))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ComplaintQuery {
    pub stage: Option<Stage>,
    pub severity: Option<Severity>,
    pub source: Option<ComplaintSource>,
    /// Past the deadline running in its stage (acknowledgement, the 24-hour handling target, the 12315
    /// mediation deadline).
    pub overdue: Option<bool>,
    /// Repeat complaints (重复投诉) only, or none of them.
    pub repeat: Option<bool>,
    pub ticket_id: Option<i64>,
    pub customer_id: Option<i64>,
    /// Platform staff may narrow to one merchant.
    pub merchant_id: Option<i64>,
    /// Received at or after (RFC 3339).
    pub from: Option<String>,
    /// Received before (RFC 3339).
    pub to: Option<String>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<i64>,
}

/// Find complaints, newest first (投诉管理).
#[utoipa::path(get, path = "/api/v1/complaints", tag = "complaints", params(ComplaintQuery),
    responses((status = 200, body = Page<Complaint>), (status = 400, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    g: Gate<perm::TicketRead>,
    ApiQuery(q): ApiQuery<ComplaintQuery>,
) -> ApiResult<Json<Page<Complaint>>> {
    let page = ListParams { cursor: q.cursor, limit: q.limit }.page()?;
    let f = ComplaintFilter {
        merchant_id: q.merchant_id,
        stage: q.stage,
        severity: q.severity,
        source: q.source,
        overdue: q.overdue,
        repeat: q.repeat,
        ticket_id: q.ticket_id,
        customer_id: q.customer_id,
        received_from: instant("from", q.from.as_deref())?,
        received_to: instant("to", q.to.as_deref())?,
    };
    let now = g.ctx.now;
    let p = state.store.list_complaints(&g.scope, &f, now, page).await?;
    Ok(Json(Page {
        items: p.items.into_iter().map(|c| with_now(c, now)).collect(),
        next_cursor: p.next_cursor,
    }))
}

fn instant(field: &str, v: Option<&str>) -> ApiResult<Option<Millis>> {
    v.map(|t| {
        Millis::parse_rfc3339(t).ok_or_else(|| {
            bad(
                field,
                format!("{field} must be an RFC 3339 time (e.g. 2026-11-01T00:00:00+08:00), not '{t}'"),
            )
        })
    })
    .transpose()
}

/// The complaints one analysis reads at most; a longer period is cut (`truncated`).
pub const ANALYSIS_LIMIT: usize = 20_000;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AnalysisQuery {
    /// Platform staff may narrow to one merchant.
    pub merchant_id: Option<i64>,
    /// Complaints received at or after (RFC 3339; default: 30 days back).
    pub from: Option<String>,
    /// Complaints received before (RFC 3339; default: now).
    pub to: Option<String>,
}

/// The complaint analysis of a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComplaintReport {
    pub from: Millis,
    pub to: Millis,
    pub merchant_id: Option<i64>,
    /// More complaints were received than one analysis reads ([`ANALYSIS_LIMIT`]): the newest were analysed.
    pub truncated: bool,
    pub analysis: kefu_core::complaint_analysis::ComplaintAnalysis,
}

/// The complaint analysis (投诉分析) of the complaints received in a period: by source, severity and
/// stage, repeat complaints, acknowledgement and 24-hour handling on time, disputed remedies, time to
/// remedy and to close, satisfaction at the follow-up visit, 12315 deadlines, and whom the
/// investigations found responsible.
#[utoipa::path(get, path = "/api/v1/reports/complaints", tag = "complaints", params(AnalysisQuery),
    responses((status = 200, body = ComplaintReport), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn analysis(
    State(state): State<AppState>,
    g: Gate<perm::SlaRead>,
    ApiQuery(q): ApiQuery<AnalysisQuery>,
) -> ApiResult<Json<ComplaintReport>> {
    let now = g.ctx.now;
    let to = instant("to", q.to.as_deref())?.unwrap_or(Millis(now.0 + 1));
    let from = instant("from", q.from.as_deref())?.unwrap_or(Millis(to.0 - 30 * Millis::DAY));
    if from >= to {
        return Err(bad("from", "from must be before to"));
    }
    // Merchant staff: their own merchant (another one is not found); platform staff: as asked.
    let merchant = match g.scope.merchant_filter() {
        Some(m) => {
            g.scope.owner_for_new(q.merchant_id)?;
            Some(m)
        }
        None => q.merchant_id,
    };
    let f = ComplaintFilter {
        merchant_id: merchant,
        received_from: Some(from),
        received_to: Some(to),
        ..Default::default()
    };
    let mut states = Vec::new();
    let mut page = kefu_store::PageReq::first(200);
    let truncated = loop {
        let p = state.store.list_complaints(&g.scope, &f, now, page).await?;
        states.extend(p.items.into_iter().map(|c| c.workflow));
        if states.len() >= ANALYSIS_LIMIT {
            break p.next_cursor.is_some() || states.len() > ANALYSIS_LIMIT;
        }
        match p.next_cursor.and_then(|c| c.parse().ok()) {
            Some(after) => page.after = Some(after),
            None => break false,
        }
    };
    states.truncate(ANALYSIS_LIMIT);
    Ok(Json(ComplaintReport {
        from,
        to,
        merchant_id: merchant,
        truncated,
        analysis: kefu_core::complaint_analysis::analyse(&states, now),
    }))
}

/// One complaint with its event log.
#[utoipa::path(get, path = "/api/v1/complaints/{id}", tag = "complaints", params(("id" = i64, Path)),
    responses((status = 200, body = ComplaintDetail), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    g: Gate<perm::TicketRead>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ComplaintDetail>> {
    let c = crate::api::found(state.store.get_complaint(&g.scope, id).await?, "complaint")?;
    let events = state.store.complaint_events(&g.scope, id).await?;
    Ok(Json(ComplaintDetail { complaint: with_now(c, g.ctx.now), events }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcknowledgeBody {
    /// What the customer was told on acceptance (optional, up to 1000 characters).
    #[serde(default)]
    pub note: String,
    pub expected_version: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimBody {
    /// 投诉内容: what happened, as established with the customer.
    pub claim: String,
    /// 客户诉求: what the customer asks for.
    pub demand: String,
    pub expected_version: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvestigationBody {
    /// The responsible department (责任部门) that investigates.
    pub department_id: i64,
    /// What the department is asked to find out.
    pub request: String,
    /// When its answer is due; by default in 24 hours.
    pub due_at: Option<Millis>,
    pub expected_version: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FindingsBody {
    /// 调查结果
    pub findings: String,
    /// Who was responsible (责任部门/责任人), if anyone.
    #[serde(default)]
    pub responsible: String,
    pub expected_version: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemedyBody {
    /// 处理方案
    pub remedy: String,
    pub expected_version: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponseBody {
    /// The customer agrees with the proposed remedy; if not, a new proposal follows.
    pub agrees: bool,
    #[serde(default)]
    pub note: String,
    pub expected_version: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExecutionBody {
    /// What was done (执行情况).
    pub result: String,
    pub expected_version: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpBody {
    /// 回访结果
    pub result: String,
    /// The customer's satisfaction, 1 (very dissatisfied) to 5 (very satisfied).
    pub satisfaction: u8,
    pub expected_version: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseBody {
    /// 结案说明 (optional).
    #[serde(default)]
    pub summary: String,
    pub expected_version: Option<i64>,
}

async fn run<P: crate::gate::Perm>(
    state: &AppState,
    g: &Gate<P>,
    id: i64,
    expected_version: Option<i64>,
    cmd: ComplaintCommand,
) -> ApiResult<Json<Complaint>> {
    let w =
        service::change(state, &g.scope, &g.ctx, id, expected_version, &cmd, &actor_of(&g.principal), None)
            .await?;
    Ok(Json(with_now(w.complaint, g.ctx.now)))
}

/// A 重大 complaint is acknowledged and closed by a supervisor or above.
fn major_needs_supervisor<P: crate::gate::Perm>(g: &Gate<P>, c: &Complaint, what: &str) -> ApiResult<()> {
    if c.workflow.severity == Some(Severity::Major)
        && !role_permits(g.principal.role, Action::TicketSupervise)
    {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            format!("a 重大 (major) complaint is {what} by a supervisor or above"),
        ));
    }
    Ok(())
}

/// 受理: accept the complaint for handling (within its acknowledgement target).
#[utoipa::path(post, path = "/api/v1/complaints/{id}/acknowledge", tag = "complaints", params(("id" = i64, Path)),
    request_body = AcknowledgeBody,
    responses((status = 200, body = Complaint), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn acknowledge(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<AcknowledgeBody>,
) -> ApiResult<Json<Complaint>> {
    let cmd = ComplaintCommand::Acknowledge { note: b.note };
    let (c, _) = service::precheck(&state, &g.scope, id, b.expected_version, &cmd, g.ctx.now).await?;
    major_needs_supervisor(&g, &c, "acknowledged")?;
    run(&state, &g, id, Some(c.version), cmd).await
}

/// 登记: record the claim and the customer's demand.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/claim", tag = "complaints", params(("id" = i64, Path)),
    request_body = ClaimBody,
    responses((status = 200, body = Complaint), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn claim(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ClaimBody>,
) -> ApiResult<Json<Complaint>> {
    run(
        &state,
        &g,
        id,
        b.expected_version,
        ComplaintCommand::RecordClaim { claim: b.claim, demand: b.demand },
    )
    .await
}

/// Department ids the scope knows.
async fn department_exists(state: &AppState, scope: &kefu_core::authz::Scope, id: i64) -> ApiResult<bool> {
    let mut cursor = None;
    loop {
        let p =
            state.store.list_departments(scope, kefu_store::PageReq { after: cursor, limit: 200 }).await?;
        if p.items.iter().any(|d| d.id == id) {
            return Ok(true);
        }
        match p.next_cursor.and_then(|c| c.parse().ok()) {
            Some(c) => cursor = Some(c),
            None => return Ok(false),
        }
    }
}

/// 调查: hand the investigation to the responsible department — a department task (跨部门协作) on the
/// complaint's ticket, through the ticket service.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/investigation", tag = "complaints", params(("id" = i64, Path)),
    request_body = InvestigationBody,
    responses((status = 200, body = Complaint), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn investigate(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<InvestigationBody>,
) -> ApiResult<Json<Complaint>> {
    // Check the stage and the text before anything is opened (the task number is not known yet).
    let probe = ComplaintCommand::Investigate {
        department_id: b.department_id,
        request: b.request.clone(),
        task_no: 0,
    };
    let (c, _) = service::precheck(&state, &g.scope, id, b.expected_version, &probe, g.ctx.now).await?;
    if !department_exists(&state, &g.scope, b.department_id).await? {
        return Err(bad("department_id", format!("department {} does not exist", b.department_id)));
    }
    let ticket_id = c.ticket_id.ok_or_else(|| bad("ticket_id", "the complaint's ticket no longer exists"))?;
    let due_at = b.due_at.unwrap_or(g.ctx.now.plus_ms(24 * 3_600_000));
    let actor = actor_of(&g.principal);
    let request = format!("【投诉{}调查】{}", c.number, b.request.trim());
    let cmd = TicketCommand::OpenDepartmentTask { department_id: b.department_id, request, due_at };
    crate::tickets::command(&state, &g.scope, &g.ctx, &actor, ticket_id, None, cmd).await?;
    let rec = crate::tickets::load(&state, &g.scope, ticket_id).await?;
    let task_no = rec
        .state
        .open_tasks
        .iter()
        .filter(|t| t.department_id == b.department_id)
        .map(|t| t.task_no)
        .max()
        .unwrap_or(rec.state.tasks_opened);
    let cmd = ComplaintCommand::Investigate { department_id: b.department_id, request: b.request, task_no };
    run(&state, &g, id, Some(c.version), cmd).await
}

/// 调查结果: record the findings; the department task is answered with them if it is still open.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/findings", tag = "complaints", params(("id" = i64, Path)),
    request_body = FindingsBody,
    responses((status = 200, body = Complaint), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn findings(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<FindingsBody>,
) -> ApiResult<Json<Complaint>> {
    let answer_text = b.findings.trim().to_string();
    let cmd = ComplaintCommand::RecordFindings { findings: b.findings, responsible: b.responsible };
    let (c, _) = service::precheck(&state, &g.scope, id, b.expected_version, &cmd, g.ctx.now).await?;
    if let (Some(ticket_id), Some(task_no)) = (c.ticket_id, c.workflow.task_no) {
        let rec = crate::tickets::load(&state, &g.scope, ticket_id).await?;
        if rec.state.open_tasks.iter().any(|t| t.task_no == task_no) {
            let answer = TicketCommand::AnswerDepartmentTask { task_no, answer: answer_text };
            crate::tickets::command(
                &state,
                &g.scope,
                &g.ctx,
                &actor_of(&g.principal),
                ticket_id,
                None,
                answer,
            )
            .await?;
        }
    }
    run(&state, &g, id, Some(c.version), cmd).await
}

/// 处理方案: propose a remedy (again, after the customer disagreed).
#[utoipa::path(post, path = "/api/v1/complaints/{id}/remedy", tag = "complaints", params(("id" = i64, Path)),
    request_body = RemedyBody,
    responses((status = 200, body = Complaint), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn remedy(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<RemedyBody>,
) -> ApiResult<Json<Complaint>> {
    run(&state, &g, id, b.expected_version, ComplaintCommand::ProposeRemedy { remedy: b.remedy }).await
}

/// 客户意见: the customer agrees with the remedy (it is executed next) or not (a new proposal follows;
/// the disagreements are counted).
#[utoipa::path(post, path = "/api/v1/complaints/{id}/customer-response", tag = "complaints", params(("id" = i64, Path)),
    request_body = ResponseBody,
    responses((status = 200, body = Complaint), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn customer_response(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ResponseBody>,
) -> ApiResult<Json<Complaint>> {
    let cmd = ComplaintCommand::CustomerResponse { agrees: b.agrees, note: b.note };
    run(&state, &g, id, b.expected_version, cmd).await
}

/// 执行: the agreed remedy was carried out; the follow-up visit is scheduled as a task (回访任务).
#[utoipa::path(post, path = "/api/v1/complaints/{id}/execution", tag = "complaints", params(("id" = i64, Path)),
    request_body = ExecutionBody,
    responses((status = 200, body = Complaint), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn execution(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ExecutionBody>,
) -> ApiResult<Json<Complaint>> {
    let c = run(&state, &g, id, b.expected_version, ComplaintCommand::Execute { result: b.result }).await?;
    service::schedule_visit(&state, &g.scope, &g.ctx, &g.principal, &c.0).await;
    Ok(c)
}

/// 回访: the follow-up visit, its result and the customer's satisfaction; the visit task is completed.
#[utoipa::path(post, path = "/api/v1/complaints/{id}/follow-up", tag = "complaints", params(("id" = i64, Path)),
    request_body = FollowUpBody,
    responses((status = 200, body = Complaint), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn follow_up(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<FollowUpBody>,
) -> ApiResult<Json<Complaint>> {
    let cmd = ComplaintCommand::FollowUp { result: b.result, satisfaction: b.satisfaction };
    let c = run(&state, &g, id, b.expected_version, cmd).await?;
    service::complete_visit(&state, &g.scope, &g.ctx, &g.principal, &c.0).await;
    Ok(c)
}

async fn customer_of(
    state: &AppState,
    g_scope: &kefu_core::authz::Scope,
    c: &Complaint,
) -> ApiResult<Option<Customer>> {
    match c.customer_id {
        Some(cid) => Ok(state.store.get_customer(g_scope, cid).await?),
        None => Ok(None),
    }
}

/// 结案: close the complaint. The complaint handling notice is archived with the ticket as an
/// attachment in the same transaction (`notice_attachment_id`).
#[utoipa::path(post, path = "/api/v1/complaints/{id}/close", tag = "complaints", params(("id" = i64, Path)),
    request_body = CloseBody,
    responses((status = 200, body = Complaint), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn close(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<CloseBody>,
) -> ApiResult<Json<Complaint>> {
    let cmd = ComplaintCommand::Close { summary: b.summary };
    let (c, after) = service::precheck(&state, &g.scope, id, b.expected_version, &cmd, g.ctx.now).await?;
    major_needs_supervisor(&g, &c, "closed")?;
    let customer = customer_of(&state, &g.scope, &c).await?;
    let archive = if c.ticket_id.is_some() {
        Some(service::store_notice(&state, &c, &after, customer.as_ref()).await?)
    } else {
        None
    };
    let w = service::change(
        &state,
        &g.scope,
        &g.ctx,
        id,
        Some(c.version),
        &cmd,
        &actor_of(&g.principal),
        archive,
    )
    .await?;
    Ok(Json(with_now(w.complaint, g.ctx.now)))
}

fn html(body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// 投诉处理通知单 as print-ready HTML (A4): number, customer (masked), claim, demand, findings, remedy,
/// deadlines, signatures.
#[utoipa::path(get, path = "/api/v1/complaints/{id}/notice", tag = "complaints", params(("id" = i64, Path)),
    responses((status = 200, content_type = "text/html", body = String), (status = 404, body = ErrorBody)))]
pub async fn notice(
    State(state): State<AppState>,
    g: Gate<perm::TicketRead>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let c = crate::api::found(state.store.get_complaint(&g.scope, id).await?, "complaint")?;
    let customer = customer_of(&state, &g.scope, &c).await?;
    Ok(html(service::notice_html(&c, customer.as_ref())))
}

/// 客户评价单 as print-ready HTML (A4), filled in at the follow-up visit.
#[utoipa::path(get, path = "/api/v1/complaints/{id}/evaluation-form", tag = "complaints", params(("id" = i64, Path)),
    responses((status = 200, content_type = "text/html", body = String), (status = 404, body = ErrorBody)))]
pub async fn evaluation_form(
    State(state): State<AppState>,
    g: Gate<perm::TicketRead>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let c = crate::api::found(state.store.get_complaint(&g.scope, id).await?, "complaint")?;
    let customer = customer_of(&state, &g.scope, &c).await?;
    Ok(html(service::evaluation_html(&c, customer.as_ref())))
}
