//! Tickets (工单): create, list and search, open, and every change through the state machine.

use super::{found, ListParams};
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, ErrorBody};
use crate::gate::{perm, Gate};
use crate::state::AppState;
use crate::tickets::{self as svc, actor_of, clean_tags, not_merged, Draft};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use kefu_core::ticket::{
    follow_up_ticket, Actor, Assignee, Channel, Priority, TicketCommand, TicketEvent, TicketEventKind,
    TicketNumber, TicketStatus, Tier, MAX_SUBJECT_CHARS,
};
use kefu_core::time::Millis;
use kefu_core::ErrorCode;
use kefu_store::{Attachment, Message, NewAttachment, Page, SearchHit, StoredEvent, Ticket, TicketFilter};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTicket {
    /// Platform staff choose; merchant staff and merchant tokens create in their own merchant.
    pub merchant_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub channel: Channel,
    pub subject: String,
    /// The customer's request (or the first message).
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub priority: Priority,
    /// A category code; when absent, keyword rules classify the ticket.
    pub category: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub order_numbers: Vec<String>,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub custom_fields: Option<serde_json::Value>,
}

fn check_custom_fields(v: Option<serde_json::Value>) -> ApiResult<serde_json::Value> {
    match v {
        None => Ok(serde_json::json!({})),
        Some(serde_json::Value::Object(m))
            if m.len() <= 50 && serde_json::to_string(&m).map_or(0, |s| s.len()) <= 16_384 =>
        {
            Ok(serde_json::Value::Object(m))
        }
        Some(_) => Err(ApiError::field(
            ErrorCode::Validation,
            "custom_fields",
            "custom_fields must be an object of at most 50 fields and 16 KiB",
        )),
    }
}

/// Open a ticket.
#[utoipa::path(post, path = "/api/v1/tickets", tag = "tickets", request_body = CreateTicket,
    responses((status = 201, body = Ticket), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_ticket(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiJson(req): ApiJson<CreateTicket>,
) -> ApiResult<(StatusCode, Json<Ticket>)> {
    let draft = Draft {
        merchant_id: req.merchant_id,
        customer_id: req.customer_id,
        channel: req.channel,
        subject: req.subject,
        body: req.body,
        priority: req.priority,
        category: req.category,
        tags: clean_tags("tags", &req.tags)?,
        order_numbers: clean_tags("order_numbers", &req.order_numbers)?,
        custom_fields: check_custom_fields(req.custom_fields)?,
        follow_up_of: None,
    };
    let t = svc::create(&state, &g.scope, &g.ctx, actor_of(&g.principal), draft).await?;
    Ok((StatusCode::CREATED, Json(t)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TicketQuery {
    /// Exact ticket number, e.g. `KF20261123-000042`.
    pub number: Option<String>,
    /// Comma-separated statuses, e.g. `new,open`.
    pub status: Option<String>,
    pub category: Option<String>,
    pub priority: Option<Priority>,
    pub tier: Option<Tier>,
    pub assignee_id: Option<i64>,
    pub first_responder_id: Option<i64>,
    pub team_id: Option<i64>,
    pub merchant_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub order_no: Option<String>,
    pub tag: Option<String>,
    pub channel: Option<Channel>,
    /// RFC 3339.
    pub created_from: Option<String>,
    pub created_to: Option<String>,
    /// Built-in view (`mine` 我的工单, `pending` 待处理, `first_responded` 我首问的, `due_soon` 即将超时:
    /// an SLA warning or breach falls due within `due_within_minutes`, `escalated` 升级工单: active tickets
    /// above the first tier, for supervisors' inbox) or a saved view's id.
    pub view: Option<String>,
    /// For `view=due_soon`: how far ahead, in minutes (default 60, at most 10080).
    pub due_within_minutes: Option<i64>,
    /// Full-text search (Chinese segmented); results are ranked and carry a snippet.
    pub q: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// One row of a ticket list: the ticket, and for searches the matching snippet and score.
#[derive(Serialize, ToSchema)]
pub struct TicketHit {
    #[serde(flatten)]
    pub ticket: Ticket,
    pub snippet: Option<String>,
    pub score: Option<f64>,
}

fn instant(field: &str, v: &Option<String>) -> ApiResult<Option<Millis>> {
    v.as_deref()
        .map(|s| {
            Millis::parse_rfc3339(s).ok_or_else(|| {
                ApiError::field(ErrorCode::BadRequest, field, format!("{field} must be an RFC 3339 time"))
            })
        })
        .transpose()
}

async fn filter_of(state: &AppState, g: &Gate<perm::TicketRead>, q: &TicketQuery) -> ApiResult<TicketFilter> {
    let mut f = TicketFilter {
        number: q.number.clone(),
        status: Vec::new(),
        category: q.category.clone(),
        priority: q.priority,
        tier: q.tier,
        assignee_id: q.assignee_id,
        first_responder_id: q.first_responder_id,
        team_id: q.team_id,
        merchant_id: q.merchant_id,
        customer_id: q.customer_id,
        order_no: q.order_no.clone(),
        tag: q.tag.clone(),
        channel: q.channel,
        created_from: instant("created_from", &q.created_from)?,
        created_to: instant("created_to", &q.created_to)?,
        unassigned: false,
        sla_due_before: None,
        escalated: false,
    };
    if let Some(list) = &q.status {
        for s in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            f.status.push(
                TicketStatus::parse(s)
                    .map_err(|e| ApiError::field(ErrorCode::BadRequest, "status", e.message))?,
            );
        }
    }
    let active =
        vec![TicketStatus::New, TicketStatus::Open, TicketStatus::PendingCustomer, TicketStatus::OnHold];
    let me = g.principal.user_id;
    match q.view.as_deref() {
        None => {}
        Some("mine") => {
            f.assignee_id = Some(me);
            if f.status.is_empty() {
                f.status = active;
            }
        }
        Some("pending") => {
            f.unassigned = true;
            if f.status.is_empty() {
                f.status = vec![TicketStatus::New, TicketStatus::Open];
            }
        }
        Some("first_responded") => f.first_responder_id = Some(me),
        Some("due_soon") => {
            let minutes = q.due_within_minutes.unwrap_or(60);
            if !(0..=10_080).contains(&minutes) {
                return Err(ApiError::field(
                    ErrorCode::BadRequest,
                    "due_within_minutes",
                    "due_within_minutes must be between 0 and 10080 (one week)",
                ));
            }
            f.sla_due_before = Some(g.ctx.now.plus_ms(minutes * Millis::MINUTE));
            if f.status.is_empty() {
                f.status = active;
            }
        }
        Some("escalated") => {
            f.escalated = true;
            if f.status.is_empty() {
                f.status = active;
            }
        }
        Some(other) => {
            let id: i64 = other.parse().map_err(|_| {
                ApiError::field(
                    ErrorCode::BadRequest,
                    "view",
                    "view must be mine, pending, first_responded, due_soon, escalated or a saved view id",
                )
            })?;
            let views = state.store.list_views(&g.scope, me).await?;
            let v = views.into_iter().find(|v| v.id == id).ok_or_else(|| ApiError::not_found("view"))?;
            f = v.filters;
        }
    }
    Ok(f)
}

/// List tickets with filters, views and full-text search, newest first (search: best match first).
#[utoipa::path(get, path = "/api/v1/tickets", tag = "tickets", params(TicketQuery),
    responses((status = 200, body = Page<TicketHit>), (status = 400, body = ErrorBody)))]
pub async fn list_tickets(
    State(state): State<AppState>,
    g: Gate<perm::TicketRead>,
    ApiQuery(q): ApiQuery<TicketQuery>,
) -> ApiResult<Json<Page<TicketHit>>> {
    let page = ListParams { cursor: q.cursor.clone(), limit: q.limit }.page()?;
    let f = filter_of(&state, &g, &q).await?;
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let hits = search(&state, &g, text, &f, page.limit).await?;
        let items = hits
            .into_iter()
            .map(|h| TicketHit { ticket: h.ticket, snippet: Some(h.snippet), score: Some(h.score) })
            .collect();
        return Ok(Json(Page { items, next_cursor: None }));
    }
    let p = state.store.list_tickets(&g.scope, &f, page).await?;
    Ok(Json(Page {
        items: p.items.into_iter().map(|ticket| TicketHit { ticket, snippet: None, score: None }).collect(),
        next_cursor: p.next_cursor,
    }))
}

/// Search: the database finds candidate texts by segmented terms; Rust ranks them the same way on both backends.
pub async fn search(
    state: &AppState,
    g: &Gate<perm::TicketRead>,
    text: &str,
    f: &TicketFilter,
    limit: i64,
) -> ApiResult<Vec<SearchHit>> {
    let terms = kefu_core::text::query_terms(text);
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let candidates = state.store.search_candidates(&g.scope, &terms, f, 2000).await?;
    let mut best: Vec<(i64, f64, String)> = Vec::new();
    for (id, txt) in candidates {
        let score = kefu_core::text::rank(&txt, &terms);
        match best.iter_mut().find(|b| b.0 == id) {
            Some(b) => {
                b.1 += score * 0.5;
            }
            None => best.push((id, score, txt)),
        }
    }
    best.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Equal).then(b.0.cmp(&a.0)));
    best.truncate(limit as usize);
    let ids: Vec<i64> = best.iter().map(|b| b.0).collect();
    let tickets = state.store.tickets_by_ids(&g.scope, &ids).await?;
    let mut hits = Vec::new();
    for (id, score, _) in &best {
        if let Some(t) = tickets.iter().find(|t| t.id == *id) {
            // The snippet comes from the original text, not the segmented index text.
            let messages = state.store.ticket_messages(&g.scope, *id, true).await?;
            let source = std::iter::once(t.subject.clone())
                .chain(messages.into_iter().map(|m| m.body))
                .find(|s| terms.iter().any(|term| s.to_lowercase().contains(term.as_str())))
                .unwrap_or_else(|| t.subject.clone());
            hits.push(SearchHit {
                ticket: t.clone(),
                snippet: kefu_core::text::snippet(&source, &terms, 80),
                score: *score,
            });
        }
    }
    Ok(hits)
}

/// A message with a display-safe rendering.
#[derive(Serialize, ToSchema)]
pub struct MessageView {
    #[serde(flatten)]
    pub message: Message,
    /// The body as safe HTML: email/chat HTML through the sanitiser (no script survives), plain text
    /// escaped with line breaks.
    pub body_html: String,
}

fn looks_like_html(s: &str) -> bool {
    let t = s.trim_start();
    t.starts_with('<') && (t.contains("</") || t.contains("/>") || t.to_ascii_lowercase().starts_with("<br"))
}

impl From<Message> for MessageView {
    fn from(message: Message) -> MessageView {
        let body_html = if looks_like_html(&message.body) {
            crate::sanitize::sanitize_html(&message.body)
        } else {
            crate::sanitize::plain_text_to_html(&message.body)
        };
        MessageView { message, body_html }
    }
}

/// A ticket with its conversation, attachments and (for staff) internal notes.
#[derive(Serialize, ToSchema)]
pub struct TicketDetail {
    pub ticket: Ticket,
    pub messages: Vec<MessageView>,
    pub attachments: Vec<Attachment>,
}

/// Open a ticket.
#[utoipa::path(get, path = "/api/v1/tickets/{id}", tag = "tickets", params(("id" = i64, Path)),
    responses((status = 200, body = TicketDetail), (status = 404, body = ErrorBody)))]
pub async fn get_ticket(
    State(state): State<AppState>,
    g: Gate<perm::TicketRead>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<TicketDetail>> {
    let rec = svc::load(&state, &g.scope, id).await?;
    let messages =
        state.store.ticket_messages(&g.scope, id, true).await?.into_iter().map(MessageView::from).collect();
    let attachments = state.store.list_attachments(&g.scope, id).await?;
    Ok(Json(TicketDetail { ticket: rec.ticket, messages, attachments }))
}

/// The ticket's timeline: every event with actor and time, oldest first.
#[utoipa::path(get, path = "/api/v1/tickets/{id}/events", tag = "tickets", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<StoredEvent>), (status = 404, body = ErrorBody)))]
pub async fn ticket_events(
    State(state): State<AppState>,
    g: Gate<perm::TicketRead>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<StoredEvent>>> {
    svc::load(&state, &g.scope, id).await?;
    Ok(Json(state.store.ticket_events(&g.scope, id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageBody {
    pub body: String,
    /// The version the client last saw; a stale one is refused with 409.
    pub expected_version: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerMessage {
    pub body: String,
}

async fn run(
    state: &AppState,
    g: &Gate<perm::TicketWork>,
    id: i64,
    v: Option<i64>,
    cmd: TicketCommand,
) -> ApiResult<Json<Ticket>> {
    Ok(Json(svc::command(state, &g.scope, &g.ctx, &actor_of(&g.principal), id, v, cmd).await?))
}

/// Reply to the customer (the first staff reply makes the replier first responder, 首问负责制).
#[utoipa::path(post, path = "/api/v1/tickets/{id}/replies", tag = "tickets", params(("id" = i64, Path)), request_body = MessageBody,
    responses((status = 200, body = Ticket), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reply(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<MessageBody>,
) -> ApiResult<Json<Ticket>> {
    run(&state, &g, id, b.expected_version, TicketCommand::StaffReply { body: b.body }).await
}

/// Add an internal note (never shown to the customer).
#[utoipa::path(post, path = "/api/v1/tickets/{id}/notes", tag = "tickets", params(("id" = i64, Path)), request_body = MessageBody,
    responses((status = 200, body = Ticket), (status = 422, body = ErrorBody)))]
pub async fn note(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<MessageBody>,
) -> ApiResult<Json<Ticket>> {
    run(&state, &g, id, b.expected_version, TicketCommand::InternalNote { body: b.body }).await
}

/// Record the customer's reply received through a channel integration (reopens a pending ticket).
#[utoipa::path(post, path = "/api/v1/tickets/{id}/customer-replies", tag = "tickets", params(("id" = i64, Path)), request_body = CustomerMessage,
    responses((status = 200, body = Ticket), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn customer_reply(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<CustomerMessage>,
) -> ApiResult<Json<Ticket>> {
    let rec = svc::load(&state, &g.scope, id).await?;
    let customer_id = rec
        .state
        .customer_id
        .ok_or_else(|| ApiError::new(ErrorCode::Conflict, "the ticket has no customer to reply as"))?;
    let actor = Actor::Customer { customer_id };
    Ok(Json(
        svc::command(
            &state,
            &g.scope,
            &g.ctx,
            &actor,
            id,
            None,
            TicketCommand::CustomerReply { body: b.body },
        )
        .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionOnly {
    pub expected_version: Option<i64>,
}

/// Take the ticket (becoming first responder if nobody is yet).
#[utoipa::path(post, path = "/api/v1/tickets/{id}/take", tag = "tickets", params(("id" = i64, Path)), request_body = VersionOnly,
    responses((status = 200, body = Ticket), (status = 409, body = ErrorBody)))]
pub async fn take(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<VersionOnly>,
) -> ApiResult<Json<Ticket>> {
    let rec = svc::load(&state, &g.scope, id).await?;
    check_capacity(&state, g.principal.user_id, rec.state.channel).await?;
    run(&state, &g, id, b.expected_version, TicketCommand::Take).await
}

/// Accept the chat the router offered you (接受会话); it becomes yours as if taken.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/accept", tag = "tickets", params(("id" = i64, Path)), request_body = VersionOnly,
    responses((status = 200, body = Ticket), (status = 409, body = ErrorBody)))]
pub async fn accept_offer(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<VersionOnly>,
) -> ApiResult<Json<Ticket>> {
    // The offer already holds a place in the agent's chat capacity: no capacity check here.
    run(&state, &g, id, b.expected_version, TicketCommand::AcceptOffer).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclineBody {
    /// Why (1–200 characters), e.g. 正在处理投诉.
    pub reason: String,
    pub expected_version: Option<i64>,
}

/// Decline the chat offered to you; the router offers it to the next agent.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/decline", tag = "tickets", params(("id" = i64, Path)), request_body = DeclineBody,
    responses((status = 200, body = Ticket), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decline_offer(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<DeclineBody>,
) -> ApiResult<Json<Ticket>> {
    run(&state, &g, id, b.expected_version, TicketCommand::DeclineOffer { reason: b.reason }).await
}

/// Nobody holds more chats or open tickets than their capacity (接待上限): a refusal says so.
async fn check_capacity(state: &AppState, user: i64, channel: kefu_core::ticket::Channel) -> ApiResult<()> {
    let agent = state.store.agent_state(user).await?;
    kefu_core::routing::check_capacity(&agent, kefu_core::routing::WorkKind::of_channel(channel))
        .map_err(|r| ApiError::from(kefu_core::DomainError::from(r)))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    pub user_id: Option<i64>,
    pub team_id: Option<i64>,
    pub expected_version: Option<i64>,
}

async fn check_assignee(
    state: &AppState,
    scope: &kefu_core::authz::Scope,
    merchant: Option<i64>,
    channel: kefu_core::ticket::Channel,
    user: Option<i64>,
    team: Option<i64>,
) -> ApiResult<()> {
    if let Some(u) = user {
        let found = state.store.get_user(scope, u).await?;
        if found.is_none_or(|x| x.merchant_id != merchant || x.disabled) {
            return Err(ApiError::field(
                ErrorCode::Validation,
                "user_id",
                format!("user {u} cannot hold this ticket"),
            ));
        }
        check_capacity(state, u, channel).await?;
    }
    if let Some(t) = team {
        let found = state.store.get_team(scope, t).await?;
        if found.is_none_or(|x| x.merchant_id != merchant) {
            return Err(ApiError::field(
                ErrorCode::Validation,
                "team_id",
                format!("team {t} cannot hold this ticket"),
            ));
        }
    }
    Ok(())
}

/// Assign the ticket to a person or team (supervisors).
#[utoipa::path(post, path = "/api/v1/tickets/{id}/assign", tag = "tickets", params(("id" = i64, Path)), request_body = AssignBody,
    responses((status = 200, body = Ticket), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn assign(
    State(state): State<AppState>,
    g: Gate<perm::TicketSupervise>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<AssignBody>,
) -> ApiResult<Json<Ticket>> {
    let rec = svc::load(&state, &g.scope, id).await?;
    check_assignee(&state, &g.scope, rec.state.merchant_id, rec.state.channel, b.user_id, b.team_id).await?;
    let cmd = TicketCommand::Assign { to: Assignee { user_id: b.user_id, team_id: b.team_id } };
    Ok(Json(
        svc::command(&state, &g.scope, &g.ctx, &actor_of(&g.principal), id, b.expected_version, cmd).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferBody {
    pub user_id: Option<i64>,
    pub team_id: Option<i64>,
    /// Required: why the ticket moves (转派原因).
    pub reason: String,
    pub expected_version: Option<i64>,
}

/// Transfer the ticket to a person or team with a reason; the first responder stays accountable.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/transfer", tag = "tickets", params(("id" = i64, Path)), request_body = TransferBody,
    responses((status = 200, body = Ticket), (status = 422, body = ErrorBody)))]
pub async fn transfer(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<TransferBody>,
) -> ApiResult<Json<Ticket>> {
    let rec = svc::load(&state, &g.scope, id).await?;
    check_assignee(&state, &g.scope, rec.state.merchant_id, rec.state.channel, b.user_id, b.team_id).await?;
    let cmd =
        TicketCommand::Transfer { to: Assignee { user_id: b.user_id, team_id: b.team_id }, reason: b.reason };
    run(&state, &g, id, b.expected_version, cmd).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalateBody {
    /// `l2` (supervisor/technical) or `l3` (management).
    pub tier: Tier,
    pub reason: String,
    pub expected_version: Option<i64>,
}

/// Escalate L1 → L2 → L3 with a reason.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/escalate", tag = "tickets", params(("id" = i64, Path)), request_body = EscalateBody,
    responses((status = 200, body = Ticket), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn escalate(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<EscalateBody>,
) -> ApiResult<Json<Ticket>> {
    run(&state, &g, id, b.expected_version, TicketCommand::Escalate { to: b.tier, reason: b.reason }).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    /// `pending_customer` 待客户回复, `resolved`, `closed`, or `open` to reopen.
    pub status: TicketStatus,
    pub expected_version: Option<i64>,
}

/// Move the ticket through its lifecycle; illegal transitions are refused with 409 saying what to do.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/status", tag = "tickets", params(("id" = i64, Path)), request_body = StatusBody,
    responses((status = 200, body = Ticket), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_status(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<StatusBody>,
) -> ApiResult<Json<Ticket>> {
    let cmd = TicketCommand::for_status(b.status)?;
    run(&state, &g, id, b.expected_version, cmd).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTicket {
    pub priority: Option<Priority>,
    pub category: Option<String>,
    pub tags: Option<Vec<String>>,
    pub order_numbers: Option<Vec<String>>,
    #[schema(value_type = Object)]
    pub custom_fields: Option<serde_json::Value>,
    pub expected_version: Option<i64>,
}

/// Change priority, category, tags, linked orders or custom fields.
#[utoipa::path(patch, path = "/api/v1/tickets/{id}", tag = "tickets", params(("id" = i64, Path)), request_body = UpdateTicket,
    responses((status = 200, body = Ticket), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_ticket(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<UpdateTicket>,
) -> ApiResult<Json<Ticket>> {
    update_fields(&state, &g.scope, &g.ctx, &actor_of(&g.principal), id, b).await.map(Json)
}

pub async fn update_fields(
    state: &AppState,
    scope: &kefu_core::authz::Scope,
    ctx: &kefu_store::AuditCtx,
    actor: &Actor,
    id: i64,
    b: UpdateTicket,
) -> ApiResult<Ticket> {
    if let Some(c) = &b.category {
        let known = state.store.list_categories(scope).await?;
        if !known.iter().any(|k| &k.code == c && k.active) {
            return Err(ApiError::field(
                ErrorCode::Validation,
                "category",
                format!("unknown category '{c}'"),
            ));
        }
    }
    let tags = b.tags.as_deref().map(|t| clean_tags("tags", t)).transpose()?;
    let orders = b.order_numbers.as_deref().map(|t| clean_tags("order_numbers", t)).transpose()?;
    let custom = b.custom_fields.clone().map(|v| check_custom_fields(Some(v))).transpose()?;
    let policy = svc::policy();
    let mut t = svc::change(
        state,
        scope,
        ctx,
        id,
        b.expected_version,
        "update",
        &|st: &kefu_core::ticket::TicketState| {
            let mut events: Vec<TicketEvent> = Vec::new();
            let mut cur = st.clone();
            let push = |cmd: TicketCommand,
                        cur: &mut kefu_core::ticket::TicketState,
                        events: &mut Vec<TicketEvent>|
             -> Result<(), kefu_core::DomainError> {
                let e = kefu_core::ticket::decide(cur, &cmd, actor, ctx.now, &policy)?;
                *cur = kefu_core::ticket::apply_all(cur.clone(), &e);
                events.extend(e);
                Ok(())
            };
            if let Some(p) = b.priority.filter(|p| *p != cur.priority) {
                push(TicketCommand::SetPriority { priority: p }, &mut cur, &mut events)?;
            }
            if let Some(c) = b.category.clone().filter(|c| Some(c) != cur.category.as_ref()) {
                push(TicketCommand::SetCategory { category: c }, &mut cur, &mut events)?;
            }
            if tags.is_some() || orders.is_some() {
                not_merged(&cur)?;
            }
            if let Some(tags) = tags.clone().filter(|t| *t != cur.tags) {
                events.push(TicketEvent {
                    at: ctx.now,
                    actor: actor.clone(),
                    kind: TicketEventKind::TagsChanged { tags },
                });
            }
            if let Some(o) = orders.clone().filter(|o| *o != cur.order_numbers) {
                events.push(TicketEvent {
                    at: ctx.now,
                    actor: actor.clone(),
                    kind: TicketEventKind::OrdersChanged { order_numbers: o },
                });
            }
            Ok(events)
        },
    )
    .await?;
    if let Some(c) = custom {
        t = state.store.set_custom_fields(scope, ctx, id, c).await?;
    }
    Ok(t)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DepartmentTaskBody {
    pub department_id: i64,
    /// What the department is asked to do.
    pub request: String,
    /// When the answer is due (RFC 3339).
    pub due_at: Millis,
    pub expected_version: Option<i64>,
}

/// Hand a task to another department (转派其他部门); the ticket waits on hold until it is answered.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/department-tasks", tag = "tickets", params(("id" = i64, Path)), request_body = DepartmentTaskBody,
    responses((status = 200, body = Ticket), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn open_task(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<DepartmentTaskBody>,
) -> ApiResult<Json<Ticket>> {
    let mut cursor = None;
    let mut known = false;
    loop {
        let p =
            state.store.list_departments(&g.scope, kefu_store::PageReq { after: cursor, limit: 200 }).await?;
        known |= p.items.iter().any(|d| d.id == b.department_id);
        match p.next_cursor.and_then(|c| c.parse().ok()) {
            Some(c) if !known => cursor = Some(c),
            _ => break,
        }
    }
    if !known {
        return Err(ApiError::field(
            ErrorCode::Validation,
            "department_id",
            format!("department {} does not exist", b.department_id),
        ));
    }
    let cmd = TicketCommand::OpenDepartmentTask {
        department_id: b.department_id,
        request: b.request,
        due_at: b.due_at,
    };
    run(&state, &g, id, b.expected_version, cmd).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskAnswer {
    pub answer: String,
}

/// Answer a department task (by the department's members or supervisors); the ticket resumes.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/department-tasks/{task_no}/answer", tag = "tickets",
    params(("id" = i64, Path), ("task_no" = i64, Path)), request_body = TaskAnswer,
    responses((status = 200, body = Ticket), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn answer_task(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiPath((id, task_no)): ApiPath<(i64, i64)>,
    ApiJson(b): ApiJson<TaskAnswer>,
) -> ApiResult<Json<Ticket>> {
    let rec = svc::load(&state, &g.scope, id).await?;
    let Some(task) = rec.state.open_tasks.iter().find(|t| t.task_no == task_no) else {
        return Err(if task_no >= 1 && task_no <= rec.state.tasks_opened {
            ApiError::new(
                ErrorCode::Conflict,
                format!("department task {task_no} is already answered or cancelled"),
            )
        } else {
            ApiError::not_found("department task")
        });
    };
    let supervising =
        kefu_core::authz::role_permits(g.principal.role, kefu_core::authz::Action::TicketSupervise);
    if !supervising {
        let me = state.store.get_user(&g.scope, g.principal.user_id).await?;
        if me.and_then(|u| u.department_id) != Some(task.department_id) {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                "only members of the department (or supervisors) answer its tasks",
            ));
        }
    }
    run(&state, &g, id, None, TicketCommand::AnswerDepartmentTask { task_no, answer: b.answer }).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeBody {
    /// The surviving ticket.
    pub into_ticket_id: i64,
}

/// Merge this (duplicate) ticket into another: it closes and points there; its messages move; nothing is lost.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/merge", tag = "tickets", params(("id" = i64, Path)), request_body = MergeBody,
    responses((status = 200, body = Ticket), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn merge(
    State(state): State<AppState>,
    g: Gate<perm::TicketSupervise>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<MergeBody>,
) -> ApiResult<Json<Ticket>> {
    Ok(Json(svc::merge(&state, &g.scope, &g.ctx, &actor_of(&g.principal), id, b.into_ticket_id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    pub ticket_id: i64,
}

/// Link a related ticket (both timelines show it).
#[utoipa::path(post, path = "/api/v1/tickets/{id}/links", tag = "tickets", params(("id" = i64, Path)), request_body = LinkBody,
    responses((status = 200, body = Ticket), (status = 422, body = ErrorBody)))]
pub async fn link(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<LinkBody>,
) -> ApiResult<Json<Ticket>> {
    if b.ticket_id == id {
        return Err(ApiError::field(
            ErrorCode::Validation,
            "ticket_id",
            "a ticket cannot be linked to itself",
        ));
    }
    let other = svc::load(&state, &g.scope, b.ticket_id).await.map_err(|_| {
        ApiError::field(ErrorCode::Validation, "ticket_id", format!("ticket {} does not exist", b.ticket_id))
    })?;
    let this = svc::load(&state, &g.scope, id).await?;
    let actor = actor_of(&g.principal);
    let (Some(n_other), Some(n_this)) = (other.state.number, this.state.number) else {
        return Err(ApiError::internal("ticket without number"));
    };
    let t = link_pair(&state, &g, &actor, id, n_other, b.ticket_id, n_this, "related").await?;
    Ok(Json(t))
}

#[allow(clippy::too_many_arguments)]
async fn link_pair(
    state: &AppState,
    g: &Gate<perm::TicketWork>,
    actor: &Actor,
    a: i64,
    b_number: TicketNumber,
    b: i64,
    a_number: TicketNumber,
    kind: &str,
) -> ApiResult<Ticket> {
    let ev = |n: TicketNumber| TicketEvent {
        at: g.ctx.now,
        actor: actor.clone(),
        kind: TicketEventKind::Linked { number: n, kind: kind.to_string() },
    };
    let t = svc::change(state, &g.scope, &g.ctx, a, None, "link", &|st: &kefu_core::ticket::TicketState| {
        not_merged(st)?;
        Ok(vec![ev(b_number)])
    })
    .await?;
    svc::change(state, &g.scope, &g.ctx, b, None, "link", &|_: &kefu_core::ticket::TicketState| {
        Ok(vec![ev(a_number)])
    })
    .await?;
    Ok(t)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SplitBody {
    /// The message that becomes a new ticket.
    pub message_id: i64,
    pub subject: Option<String>,
}

/// Split a message off into a new ticket, linked to this one.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/split", tag = "tickets", params(("id" = i64, Path)), request_body = SplitBody,
    responses((status = 201, body = Ticket), (status = 422, body = ErrorBody)))]
pub async fn split(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<SplitBody>,
) -> ApiResult<(StatusCode, Json<Ticket>)> {
    let rec = svc::load(&state, &g.scope, id).await?;
    let messages = state.store.ticket_messages(&g.scope, id, true).await?;
    let m = messages.into_iter().find(|m| m.id == b.message_id).ok_or_else(|| {
        ApiError::field(
            ErrorCode::Validation,
            "message_id",
            format!("message {} is not on this ticket", b.message_id),
        )
    })?;
    let subject = match b.subject {
        Some(s) => s,
        None => m.body.chars().take(MAX_SUBJECT_CHARS.min(40)).collect(),
    };
    let actor = actor_of(&g.principal);
    let draft = Draft {
        merchant_id: rec.state.merchant_id,
        customer_id: rec.state.customer_id,
        channel: rec.state.channel,
        subject,
        body: m.body,
        priority: rec.state.priority,
        category: None,
        tags: rec.state.tags.clone(),
        order_numbers: rec.state.order_numbers.clone(),
        custom_fields: serde_json::json!({}),
        follow_up_of: None,
    };
    let new = svc::create(&state, &g.scope, &g.ctx, actor.clone(), draft).await?;
    let new_number = TicketNumber::parse(&new.number)?;
    let this = rec.state.number.ok_or_else(|| ApiError::internal("ticket without number"))?;
    link_pair(&state, &g, &actor, id, new_number, new.id, this, "split").await?;
    let t = svc::load(&state, &g.scope, new.id).await?;
    Ok((StatusCode::CREATED, Json(t.ticket)))
}

/// Open a follow-up ticket for a closed ticket past its reopen window, linked to it.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/follow-up", tag = "tickets", params(("id" = i64, Path)), request_body = CustomerMessage,
    responses((status = 201, body = Ticket), (status = 404, body = ErrorBody)))]
pub async fn follow_up(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<CustomerMessage>,
) -> ApiResult<(StatusCode, Json<Ticket>)> {
    let rec = svc::load(&state, &g.scope, id).await?;
    let placeholder = rec.state.number.ok_or_else(|| ApiError::internal("ticket without number"))?;
    // Validate through the domain (a ticket must exist); the real number is drawn on creation.
    let template = follow_up_ticket(&rec.state, placeholder, rec.state.channel, b.body)?;
    let actor = actor_of(&g.principal);
    let draft = Draft {
        merchant_id: template.merchant_id,
        customer_id: template.customer_id,
        channel: template.channel,
        subject: template.subject,
        body: template.body,
        priority: template.priority,
        category: template.category,
        tags: rec.state.tags.clone(),
        order_numbers: rec.state.order_numbers.clone(),
        custom_fields: serde_json::json!({}),
        follow_up_of: rec.state.number,
    };
    let new = svc::create(&state, &g.scope, &g.ctx, actor.clone(), draft).await?;
    let new_number = TicketNumber::parse(&new.number)?;
    svc::change(&state, &g.scope, &g.ctx, id, None, "link", &|_: &kefu_core::ticket::TicketState| {
        Ok(vec![TicketEvent {
            at: g.ctx.now,
            actor: actor.clone(),
            kind: TicketEventKind::Linked { number: new_number, kind: "follow_up".into() },
        }])
    })
    .await?;
    Ok((StatusCode::CREATED, Json(new)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// The file's name as the user chose it.
    pub file_name: String,
}

/// Attach a file (the request body is the file). Type and size are checked; refused files leave the ticket unchanged.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/attachments", tag = "tickets", params(("id" = i64, Path), UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = Attachment), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn upload(
    State(state): State<AppState>,
    g: Gate<perm::TicketWork>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<UploadQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Attachment>)> {
    let rec = svc::load(&state, &g.scope, id).await?;
    not_merged(&rec.state).map_err(ApiError::from)?;
    let declared = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let checked = crate::files::check_upload(
        &crate::files::AttachmentPolicy::default(),
        &q.file_name,
        declared,
        &body,
    )?;
    let stored = state.attachments.put(&checked, &body).await.map_err(ApiError::internal)?;
    let a = NewAttachment {
        sha256: stored.sha256,
        file_name: checked.file_name.clone(),
        mime: stored.mime,
        size: stored.size as i64,
    };
    Ok((StatusCode::CREATED, Json(state.store.add_attachment(&g.scope, &g.ctx, id, a).await?)))
}

/// Download an attachment.
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "tickets", params(("id" = i64, Path)),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 404, body = ErrorBody)))]
pub async fn download(
    State(state): State<AppState>,
    g: Gate<perm::TicketRead>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let a = found(state.store.get_attachment(&g.scope, id).await?, "attachment")?;
    let bytes = state.attachments.read(&a.sha256).await.map_err(ApiError::internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, a.mime.clone()),
            (header::CONTENT_DISPOSITION, crate::files::content_disposition(&a.file_name)),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Deserialize, ToSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum BulkAction {
    Assign { user_id: Option<i64>, team_id: Option<i64> },
    Status { status: TicketStatus },
    Tag { add: Vec<String> },
}

#[derive(Deserialize, ToSchema)]
pub struct BulkBody {
    pub ticket_ids: Vec<i64>,
    #[serde(flatten)]
    pub action: BulkAction,
}

#[derive(Serialize, ToSchema)]
pub struct BulkResult {
    pub ticket_id: i64,
    pub ok: bool,
    /// Why this ticket was not changed.
    pub error: Option<String>,
}

/// Assign, set status or tag many tickets; each ticket is checked on its own (scope, state machine).
#[utoipa::path(post, path = "/api/v1/tickets/bulk", tag = "tickets", request_body = BulkBody,
    responses((status = 200, body = Vec<BulkResult>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn bulk(
    State(state): State<AppState>,
    g: Gate<perm::TicketSupervise>,
    ApiJson(b): ApiJson<BulkBody>,
) -> ApiResult<Json<Vec<BulkResult>>> {
    if b.ticket_ids.is_empty() || b.ticket_ids.len() > 500 {
        return Err(ApiError::field(ErrorCode::Validation, "ticket_ids", "give 1 to 500 ticket ids"));
    }
    let actor = actor_of(&g.principal);
    let mut out = Vec::new();
    for id in b.ticket_ids {
        let r: ApiResult<Ticket> = async {
            match &b.action {
                BulkAction::Assign { user_id, team_id } => {
                    let rec = svc::load(&state, &g.scope, id).await?;
                    check_assignee(
                        &state,
                        &g.scope,
                        rec.state.merchant_id,
                        rec.state.channel,
                        *user_id,
                        *team_id,
                    )
                    .await?;
                    svc::command(
                        &state,
                        &g.scope,
                        &g.ctx,
                        &actor,
                        id,
                        None,
                        TicketCommand::Assign { to: Assignee { user_id: *user_id, team_id: *team_id } },
                    )
                    .await
                }
                BulkAction::Status { status } => {
                    let cmd = TicketCommand::for_status(*status)?;
                    svc::command(&state, &g.scope, &g.ctx, &actor, id, None, cmd).await
                }
                BulkAction::Tag { add } => {
                    let add = clean_tags("add", add)?;
                    let rec = svc::load(&state, &g.scope, id).await?;
                    let mut tags = rec.state.tags.clone();
                    for t in add {
                        if !tags.contains(&t) {
                            tags.push(t);
                        }
                    }
                    let upd = UpdateTicket {
                        priority: None,
                        category: None,
                        tags: Some(tags),
                        order_numbers: None,
                        custom_fields: None,
                        expected_version: None,
                    };
                    update_fields(&state, &g.scope, &g.ctx, &actor, id, upd).await
                }
            }
        }
        .await;
        out.push(match r {
            Ok(_) => BulkResult { ticket_id: id, ok: true, error: None },
            Err(e) => BulkResult { ticket_id: id, ok: false, error: Some(e.message) },
        });
    }
    Ok(Json(out))
}
