//! Routing and presence (路由与在线状态): an agent's presence with the on-duty gate, skill groups and
//! members, on-duty certification, capacity, the supervisors' live view and attendance.

use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, ErrorBody};
use crate::gate::{perm, Gate};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use kefu_core::authz::{Action, Scope};
use kefu_core::routing::{
    check_presence_change, AgentState, Capacity, GroupMatch, Membership, Presence, SkillGroup, Strategy,
};
use kefu_core::time::Millis;
use kefu_core::ErrorCode;
use kefu_store::{AgentStatus, Certification};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

/// My presence, groups, certifications, capacity and load.
#[utoipa::path(get, path = "/api/v1/me/presence", tag = "routing",
    responses((status = 200, body = AgentState), (status = 401, body = ErrorBody)))]
pub async fn my_presence(
    State(state): State<AppState>,
    g: Gate<perm::SelfService>,
) -> ApiResult<Json<AgentState>> {
    Ok(Json(state.store.agent_state(g.principal.user_id).await?))
}

/// Change my presence: `{"status": "online"}`, `busy`, `offline`, or `{"status": "away", "reason": "午餐"}`.
/// Going online needs on-duty certification for one of my skill groups (上岗资格); a refusal says why.
#[utoipa::path(put, path = "/api/v1/me/presence", tag = "routing", request_body = Presence,
    responses((status = 200, body = AgentState), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_my_presence(
    State(state): State<AppState>,
    g: Gate<perm::SelfService>,
    ApiJson(to): ApiJson<Presence>,
) -> ApiResult<Json<AgentState>> {
    to.validate()?;
    let me = state.store.agent_state(g.principal.user_id).await?;
    let groups = state.store.all_groups().await?;
    check_presence_change(&me, &to, &groups).map_err(kefu_core::DomainError::from)?;
    state.store.set_presence(&g.ctx, g.principal.user_id, g.principal.merchant_id, &to).await?;
    Ok(Json(state.store.agent_state(g.principal.user_id).await?))
}

/// What the client knows of its user (all optional; an empty body is fine).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HeartbeatBody {
    /// Seconds since the user last used keyboard or mouse in kefu (idle detection).
    pub idle_secs: Option<u64>,
}

/// The reason an agent idle for `idle_away_secs` is set away.
pub const IDLE: &str = "空闲";

/// My client is alive: sent every 30 s by the web UI. An online or busy agent whose client stays silent
/// longer than `away_after_secs` (default 90) is set away (小休, 连接中断); one whose client reports no
/// keyboard or mouse use for `idle_away_secs` (default 15 minutes; 0: off) is set away as idle (空闲).
#[utoipa::path(post, path = "/api/v1/me/presence/heartbeat", tag = "routing", request_body(content = HeartbeatBody, description = "optional"),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn heartbeat(
    State(state): State<AppState>,
    g: Gate<perm::SelfService>,
    body: axum::body::Bytes,
) -> ApiResult<StatusCode> {
    let b: HeartbeatBody = if body.iter().all(u8::is_ascii_whitespace) {
        HeartbeatBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| {
            ApiError::field(
                ErrorCode::Validation,
                "idle_secs",
                format!("the heartbeat body is not valid: {e}"),
            )
        })?
    };
    let me = g.principal.user_id;
    state.store.touch_presence(me, g.ctx.now).await?;
    let limit = state.config.idle_away_secs;
    if let Some(idle) = b.idle_secs {
        if limit > 0 && idle >= limit {
            let agent = state.store.agent_state(me).await?;
            if matches!(agent.presence, Presence::Online | Presence::Busy) {
                let away = Presence::Away { reason: IDLE.into() };
                state.store.set_presence(&g.ctx, me, agent.merchant_id, &away).await?;
            }
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

/// A skill group as created or replaced.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupInput {
    /// Platform staff may name a merchant; merchant staff create groups of their own merchant.
    pub merchant_id: Option<i64>,
    pub name: String,
    #[serde(default)]
    pub position: i32,
    #[serde(default)]
    pub strategy: Strategy,
    #[serde(default)]
    pub matching: GroupMatch,
    #[serde(default)]
    pub vip_dedicated: bool,
    pub overflow_to: Option<i64>,
    pub overflow_after_secs: Option<u64>,
}

impl GroupInput {
    fn into_group(self, id: i64) -> SkillGroup {
        SkillGroup {
            id,
            merchant_id: self.merchant_id,
            name: self.name.trim().to_string(),
            position: self.position,
            strategy: self.strategy,
            matching: self.matching,
            vip_dedicated: self.vip_dedicated,
            overflow_to: self.overflow_to,
            overflow_after_secs: self.overflow_after_secs,
        }
    }
}

/// Skill groups (技能组) the caller may see: their merchant's and the platform's.
#[utoipa::path(get, path = "/api/v1/routing/groups", tag = "routing",
    responses((status = 200, body = Vec<SkillGroup>), (status = 403, body = ErrorBody)))]
pub async fn list_groups(
    State(state): State<AppState>,
    g: Gate<perm::RoutingRead>,
) -> ApiResult<Json<Vec<SkillGroup>>> {
    Ok(Json(state.store.list_groups(&g.scope).await?))
}

/// Add a skill group.
#[utoipa::path(post, path = "/api/v1/routing/groups", tag = "routing", request_body = GroupInput,
    responses((status = 201, body = SkillGroup), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_group(
    State(state): State<AppState>,
    g: Gate<perm::RoutingManage>,
    ApiJson(req): ApiJson<GroupInput>,
) -> ApiResult<(StatusCode, Json<SkillGroup>)> {
    let saved = state.store.create_group(&g.scope, &g.ctx, req.into_group(0)).await?;
    Ok((StatusCode::CREATED, Json(saved)))
}

/// Replace a skill group (its merchant cannot change).
#[utoipa::path(put, path = "/api/v1/routing/groups/{id}", tag = "routing", params(("id" = i64, Path)), request_body = GroupInput,
    responses((status = 200, body = SkillGroup), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_group(
    State(state): State<AppState>,
    g: Gate<perm::RoutingManage>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<GroupInput>,
) -> ApiResult<Json<SkillGroup>> {
    Ok(Json(state.store.update_group(&g.scope, &g.ctx, req.into_group(id)).await?))
}

/// The members of a skill group with their skill levels and priorities.
#[utoipa::path(get, path = "/api/v1/routing/groups/{id}/members", tag = "routing", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Membership>), (status = 404, body = ErrorBody)))]
pub async fn list_members(
    State(state): State<AppState>,
    g: Gate<perm::RoutingRead>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<Membership>>> {
    Ok(Json(state.store.list_members(&g.scope, id).await?))
}

/// A member as set.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberInput {
    pub user_id: i64,
    /// 1 (novice) to 5 (expert); default 3.
    #[serde(default = "three")]
    pub skill_level: u8,
    /// Lower is served first under skill priority; default 5.
    #[serde(default = "five")]
    pub priority: u8,
}

fn three() -> u8 {
    3
}

fn five() -> u8 {
    5
}

/// Replace the members of a skill group; each must be staff of the group's merchant.
#[utoipa::path(put, path = "/api/v1/routing/groups/{id}/members", tag = "routing", params(("id" = i64, Path)), request_body = Vec<MemberInput>,
    responses((status = 200, body = Vec<Membership>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_members(
    State(state): State<AppState>,
    g: Gate<perm::RoutingManage>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<Vec<MemberInput>>,
) -> ApiResult<Json<Vec<Membership>>> {
    let members = req
        .into_iter()
        .map(|m| Membership {
            group_id: id,
            user_id: m.user_id,
            skill_level: m.skill_level,
            priority: m.priority,
        })
        .collect();
    Ok(Json(state.store.set_members(&g.scope, &g.ctx, id, members).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantCertification {
    pub group_id: i64,
    /// Where it comes from (default `trainer`); the exam module will record `exam`.
    pub source: Option<String>,
}

/// Grant an agent on-duty certification (上岗认证) for a skill group; recorded with date and source.
#[utoipa::path(post, path = "/api/v1/users/{id}/certifications", tag = "routing", params(("id" = i64, Path)), request_body = GrantCertification,
    responses((status = 201, body = Certification), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn grant_certification(
    State(state): State<AppState>,
    g: Gate<perm::CertificationGrant>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<GrantCertification>,
) -> ApiResult<(StatusCode, Json<Certification>)> {
    let source = req.source.unwrap_or_else(|| "trainer".into());
    let source = source.trim();
    if source.is_empty() || source.chars().count() > 40 {
        return Err(ApiError::field(ErrorCode::Validation, "source", "source must be 1-40 characters"));
    }
    let c = state.store.grant_certification(&g.scope, &g.ctx, id, req.group_id, source).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// An agent's on-duty certifications.
#[utoipa::path(get, path = "/api/v1/users/{id}/certifications", tag = "routing", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<Certification>), (status = 404, body = ErrorBody)))]
pub async fn list_certifications(
    State(state): State<AppState>,
    g: Gate<perm::RoutingRead>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<Certification>>> {
    Ok(Json(state.store.list_certifications(&g.scope, id).await?))
}

/// Set an agent's capacity (接待上限): chats 0–50, open tickets 0–1000.
#[utoipa::path(put, path = "/api/v1/users/{id}/capacity", tag = "routing", params(("id" = i64, Path)), request_body = Capacity,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_capacity(
    State(state): State<AppState>,
    g: Gate<perm::RoutingManage>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(c): ApiJson<Capacity>,
) -> ApiResult<StatusCode> {
    state.store.set_capacity(&g.scope, &g.ctx, id, c).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One queue of the live view.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueueView {
    pub group_id: Option<i64>,
    pub name: String,
    pub waiting: usize,
    pub longest_wait_secs: i64,
}

/// The supervisors' live view (QA-1): queues, agents by presence with their load, tickets near or past SLA.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LiveView {
    pub at: Millis,
    /// Waiting tickets by skill group; `group_id: null` for tickets no group matches.
    pub queues: Vec<QueueView>,
    pub agents: Vec<AgentStatus>,
    /// Agents by presence (`online`, `busy`, `away`, `offline`).
    pub presence_counts: BTreeMap<String, usize>,
    /// Tickets whose next SLA warning or breach falls due within 15 minutes.
    pub sla_due_soon: i64,
    /// Tickets with a clock already past its target.
    pub sla_overdue: i64,
}

pub async fn live_view(state: &AppState, scope: &Scope, now: Millis) -> ApiResult<LiveView> {
    let groups = state.store.list_groups(scope).await?;
    let waiting: Vec<_> =
        crate::routing::waiting(state).await?.into_iter().filter(|r| scope.sees(r.merchant_id)).collect();
    let mut queues: BTreeMap<Option<i64>, QueueView> = BTreeMap::new();
    for g in &groups {
        queues.insert(
            Some(g.id),
            QueueView { group_id: Some(g.id), name: g.name.clone(), waiting: 0, longest_wait_secs: 0 },
        );
    }
    for r in &waiting {
        let key = crate::routing::place(&groups, r).map(|g| g.id);
        let q = queues.entry(key).or_insert_with(|| QueueView {
            group_id: None,
            name: "未匹配技能组".into(),
            waiting: 0,
            longest_wait_secs: 0,
        });
        q.waiting += 1;
        q.longest_wait_secs = q.longest_wait_secs.max((now.0 - r.arrived_at.0) / 1000);
    }
    let agents = state.store.agent_statuses(scope).await?;
    let mut presence_counts = BTreeMap::new();
    for a in &agents {
        *presence_counts.entry(a.presence.as_str().to_string()).or_insert(0) += 1;
    }
    let (sla_due_soon, sla_overdue) =
        state.store.sla_live_counts(scope, now, now.plus_ms(15 * Millis::MINUTE)).await?;
    Ok(LiveView {
        at: now,
        queues: queues.into_values().collect(),
        agents,
        presence_counts,
        sla_due_soon,
        sla_overdue,
    })
}

/// The live view now.
#[utoipa::path(get, path = "/api/v1/routing/live", tag = "routing",
    responses((status = 200, body = LiveView), (status = 403, body = ErrorBody)))]
pub async fn live(State(state): State<AppState>, g: Gate<perm::RoutingRead>) -> ApiResult<Json<LiveView>> {
    Ok(Json(live_view(&state, &g.scope, g.ctx.now).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StreamQuery {
    /// Keep the stream open this many seconds (0–3600, default 0: one snapshot, then the stream ends).
    #[serde(default)]
    pub max_secs: u64,
}

/// The live view as server-sent events: a `live` event now and after every change (a ticket changed on
/// this node at once, otherwise each second when something differs).
#[utoipa::path(get, path = "/api/v1/routing/live/stream", tag = "routing", params(StreamQuery),
    responses((status = 200, content_type = "text/event-stream", body = String), (status = 403, body = ErrorBody)))]
pub async fn live_stream(
    State(state): State<AppState>,
    g: Gate<perm::RoutingRead>,
    ApiQuery(q): ApiQuery<StreamQuery>,
) -> ApiResult<Response> {
    if q.max_secs > 3600 {
        return Err(ApiError::field(
            ErrorCode::BadRequest,
            "max_secs",
            "max_secs must be between 0 and 3600",
        ));
    }
    let first = live_view(&state, &g.scope, crate::auth::now()).await?;
    let scope = g.scope.clone();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(q.max_secs);
    let stream = async_stream(state, scope, first, deadline);
    let body = axum::body::Body::from_stream(stream);
    Ok(([(header::CONTENT_TYPE, "text/event-stream"), (header::CACHE_CONTROL, "no-cache")], body)
        .into_response())
}

fn sse(view: &LiveView) -> Result<String, std::convert::Infallible> {
    Ok(format!("event: live\ndata: {}\n\n", serde_json::to_string(view).unwrap_or_default()))
}

fn view_key(v: &LiveView) -> String {
    let mut v = v.clone();
    v.at = Millis(0);
    serde_json::to_string(&v).unwrap_or_default()
}

fn async_stream(
    state: AppState,
    scope: Scope,
    first: LiveView,
    deadline: tokio::time::Instant,
) -> impl futures_util::Stream<Item = Result<String, std::convert::Infallible>> {
    let bus = state.ticket_events.subscribe();
    let last = view_key(&first);
    futures_util::stream::unfold((Some(first), last, bus), move |(pending, last, mut bus)| {
        let state = state.clone();
        let scope = scope.clone();
        async move {
            if let Some(v) = pending {
                return Some((sse(&v), (None, last, bus)));
            }
            loop {
                if tokio::time::Instant::now() >= deadline {
                    return None;
                }
                let tick = (tokio::time::Instant::now() + std::time::Duration::from_secs(1)).min(deadline);
                tokio::select! {
                    _ = bus.recv() => {}
                    _ = tokio::time::sleep_until(tick) => {}
                }
                let Ok(v) = live_view(&state, &scope, crate::auth::now()).await else { return None };
                let k = view_key(&v);
                if k != last {
                    return Some((sse(&v), (None, k, bus)));
                }
            }
        }
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AttendanceQuery {
    /// The day (Shanghai), `YYYY-MM-DD`; default today.
    pub date: Option<String>,
}

/// One agent's day.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttendanceRow {
    pub user_id: i64,
    /// Online, busy or away (在线时长).
    pub on_duty_secs: i64,
    pub online_secs: i64,
    pub busy_secs: i64,
    pub away_secs: i64,
    pub first_on_duty_at: Option<Millis>,
    pub last_change_at: Option<Millis>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Attendance {
    pub date: String,
    pub rows: Vec<AttendanceRow>,
}

/// On-duty time and attendance per agent for one day (STAFF-3), from the presence history.
#[utoipa::path(get, path = "/api/v1/routing/attendance", tag = "routing", params(AttendanceQuery),
    responses((status = 200, body = Attendance), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn attendance(
    State(state): State<AppState>,
    g: Gate<perm::RoutingRead>,
    ApiQuery(q): ApiQuery<AttendanceQuery>,
) -> ApiResult<Json<Attendance>> {
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap_or(jiff::tz::TimeZone::UTC);
    let date: jiff::civil::Date = match &q.date {
        Some(d) => d.parse().map_err(|_| {
            ApiError::field(ErrorCode::BadRequest, "date", format!("'{d}' is not a date (YYYY-MM-DD)"))
        })?,
        None => kefu_core::ticket::shanghai_date(g.ctx.now)?,
    };
    let start = date
        .to_zoned(tz.clone())
        .map_err(|e| ApiError::field(ErrorCode::BadRequest, "date", e.to_string()))?;
    let end = start.tomorrow().map_err(|e| ApiError::field(ErrorCode::BadRequest, "date", e.to_string()))?;
    let (from, to) = (Millis(start.timestamp().as_millisecond()), Millis(end.timestamp().as_millisecond()));
    let until = to.min(g.ctx.now.max(from));
    let events = state.store.presence_events(&g.scope, from, to).await?;
    let mut by_user: BTreeMap<i64, Vec<&kefu_store::PresenceEvent>> = BTreeMap::new();
    for e in &events {
        by_user.entry(e.user_id).or_default().push(e);
    }
    let rows = by_user
        .into_iter()
        .map(|(user_id, evs)| {
            let mut row = AttendanceRow {
                user_id,
                on_duty_secs: 0,
                online_secs: 0,
                busy_secs: 0,
                away_secs: 0,
                first_on_duty_at: None,
                last_change_at: evs.iter().filter(|e| e.at >= from).map(|e| e.at).max(),
            };
            let (mut online, mut busy, mut away) = (0i64, 0i64, 0i64);
            for (i, e) in evs.iter().enumerate() {
                let a = e.at.max(from);
                let b = evs.get(i + 1).map_or(until, |n| n.at.min(until)).max(a);
                let ms = b.0 - a.0;
                match e.presence.as_str() {
                    "online" => online += ms,
                    "busy" => busy += ms,
                    "away" => away += ms,
                    _ => continue,
                }
                if row.first_on_duty_at.is_none() && a < to {
                    row.first_on_duty_at = Some(a);
                }
            }
            row.online_secs = online / 1000;
            row.busy_secs = busy / 1000;
            row.away_secs = away / 1000;
            row.on_duty_secs = (online + busy + away) / 1000;
            row
        })
        .collect();
    Ok(Json(Attendance { date: date.to_string(), rows }))
}

/// The scope of the router's own work (for tests and tools).
pub fn router_scope() -> Scope {
    Scope::operator(Action::TicketSupervise)
}
