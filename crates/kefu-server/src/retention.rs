//! Retention (SVC-9): closed tickets and their history are kept at least three years — the platform's
//! and each merchant's policy may say longer, never shorter — and then archived to a JSON-lines file
//! under the data directory (or purged without archive) by a job that audits each ticket it removes.
//! Tickets are never deleted through the normal API.

use crate::error::{ApiError, ApiJson, ApiResult, ErrorBody};
use crate::gate::{perm, Gate};
use crate::state::AppState;
use axum::extract::State;
use axum::Json;
use kefu_core::authz::{Action, Scope};
use kefu_core::time::Millis;
use kefu_core::ErrorCode;
use kefu_store::AuditCtx;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::Write;
use utoipa::ToSchema;

/// The legal minimum (SVC-9: records kept at least 3 years).
pub const MIN_YEARS: i64 = 3;
const YEAR_MS: i64 = 365 * Millis::DAY + Millis::DAY / 4;
const SETTING: &str = "retention";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RetentionAction {
    /// Write the ticket with its events and messages to `<data_dir>/archive/tickets-YYYYMM.jsonl`, then remove it.
    Archive,
    /// Remove it without an archive copy.
    Purge,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetentionPolicy {
    /// Years after closing; at least 3.
    pub years: i64,
    pub action: RetentionAction,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        RetentionPolicy { years: MIN_YEARS, action: RetentionAction::Archive }
    }
}

/// The platform default and the merchants' own policies.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetentionSettings {
    pub default: RetentionPolicy,
    /// Merchant id → policy.
    #[serde(default)]
    pub merchants: HashMap<String, RetentionPolicy>,
}

impl RetentionSettings {
    fn policy_for(&self, merchant: Option<i64>) -> &RetentionPolicy {
        merchant.and_then(|m| self.merchants.get(&m.to_string())).unwrap_or(&self.default)
    }
    fn validate(&self) -> Result<(), ApiError> {
        for p in std::iter::once(&self.default).chain(self.merchants.values()) {
            if p.years < MIN_YEARS || p.years > 100 {
                return Err(ApiError::field(
                    ErrorCode::Validation,
                    "years",
                    format!("records are kept at least {MIN_YEARS} years (and at most 100)"),
                ));
            }
        }
        Ok(())
    }
}

pub async fn load(state: &AppState) -> ApiResult<RetentionSettings> {
    Ok(match state.store.get_setting(SETTING).await? {
        Some(j) => serde_json::from_str(&j).map_err(ApiError::internal)?,
        None => RetentionSettings::default(),
    })
}

/// The retention policy.
#[utoipa::path(get, path = "/api/v1/settings/retention", tag = "security", responses((status = 200, body = RetentionSettings), (status = 403, body = ErrorBody)))]
pub async fn get_settings(
    State(state): State<AppState>,
    _g: Gate<perm::SecurityManage>,
) -> ApiResult<Json<RetentionSettings>> {
    Ok(Json(load(&state).await?))
}

/// Change the retention policy (never below three years).
#[utoipa::path(put, path = "/api/v1/settings/retention", tag = "security", request_body = RetentionSettings,
    responses((status = 200, body = RetentionSettings), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_settings(
    State(state): State<AppState>,
    g: Gate<perm::SecurityManage>,
    ApiJson(req): ApiJson<RetentionSettings>,
) -> ApiResult<Json<RetentionSettings>> {
    req.validate()?;
    let json = serde_json::to_string(&req).map_err(ApiError::internal)?;
    state.store.put_setting(&g.scope, &g.ctx, SETTING, &json).await?;
    Ok(Json(req))
}

/// What one run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RetentionReport {
    pub archived: usize,
    pub purged: usize,
    pub kept: usize,
}

/// Remove the tickets whose retention ran out at `now`, archiving them first where the policy says so.
pub async fn run_once(state: &AppState, now: Millis) -> anyhow::Result<RetentionReport> {
    let settings = load(state).await.map_err(|e| anyhow::anyhow!(e.message))?;
    let scope = Scope::operator(Action::TicketRead);
    let ctx = AuditCtx::operator("retention", now);
    let mut report = RetentionReport::default();
    // No policy is shorter than the minimum, so nothing closed after this instant can be due.
    let cutoff = now.plus_ms(-MIN_YEARS * YEAR_MS);
    let candidates = state.store.closed_tickets_before(cutoff, 1000).await?;
    for (id, merchant, closed_at) in candidates {
        let policy = settings.policy_for(merchant);
        if closed_at.0 >= now.0 - policy.years * YEAR_MS {
            report.kept += 1;
            continue;
        }
        let archived_to = match policy.action {
            RetentionAction::Archive => Some(archive(state, &scope, id, now).await?),
            RetentionAction::Purge => None,
        };
        state.store.purge_ticket(&ctx, id, archived_to.as_deref()).await?;
        match policy.action {
            RetentionAction::Archive => report.archived += 1,
            RetentionAction::Purge => report.purged += 1,
        }
    }
    if report.archived + report.purged > 0 {
        tracing::info!(
            archived = report.archived,
            purged = report.purged,
            "retention: removed tickets past their retention period"
        );
    }
    Ok(report)
}

async fn archive(state: &AppState, scope: &Scope, id: i64, now: Millis) -> anyhow::Result<String> {
    let rec =
        state.store.get_ticket(scope, id).await?.ok_or_else(|| anyhow::anyhow!("ticket {id} vanished"))?;
    let events = state.store.ticket_events(scope, id).await?;
    let messages = state.store.ticket_messages(scope, id, true).await?;
    let attachments = state.store.list_attachments(scope, id).await?;
    let line = serde_json::json!({ "archived_at": now, "ticket": rec.ticket, "events": events, "messages": messages, "attachments": attachments });
    let dir = state.config.data_dir.join("archive");
    std::fs::create_dir_all(&dir)?;
    let month = jiff::Timestamp::from_millisecond(now.0)
        .map(|t| t.strftime("%Y%m").to_string())
        .unwrap_or_else(|_| "unknown".into());
    let path = dir.join(format!("tickets-{month}.jsonl"));
    let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&path)?;
    writeln!(f, "{line}")?;
    // The archive copy must be on disk before the database forgets the ticket.
    f.sync_all()?;
    Ok(path.display().to_string())
}
