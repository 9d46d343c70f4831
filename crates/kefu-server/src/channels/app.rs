//! The app/API channel (App内咨询): a merchant's app or backend posts its customer's messages with an API
//! token of the merchant. Each message lands through intake (channel `app`) in the customer's ticket;
//! `client_message_id` makes a retried post harmless (stored once per merchant). Agent replies go back
//! to the app through the `message.created` webhook (docs/WEBHOOKS.md).

use crate::channels::intake::{self, Identity, Inbound};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use kefu_core::authz::Scope;
use kefu_core::ticket::{Channel, Priority};
use kefu_core::ErrorCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A customer's messages without a `ticket_id` are appended to their unresolved app ticket updated
/// within this window; after it (or once resolved and closed) a new ticket is opened.
pub const REUSE_WITHIN_MS: i64 = 24 * 3600 * 1000;

/// The customer as the app knows them.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppCustomer {
    /// The customer's account id in the merchant's app (stable).
    pub account_id: String,
    /// Shown to agents when the customer is new.
    pub name: Option<String>,
}

/// A customer's message posted by the app.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppMessage {
    pub customer: AppCustomer,
    pub body: String,
    /// The ticket the app already knows this conversation by (from an earlier answer).
    pub ticket_id: Option<i64>,
    /// The app's id for this message: posting it again changes nothing.
    pub client_message_id: String,
    /// Platform staff may name the merchant.
    pub merchant_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AppMessageLanded {
    pub ticket_id: i64,
    pub ticket_number: String,
    pub customer_id: i64,
    /// A new ticket was opened for it.
    pub created: bool,
    /// This `client_message_id` had been posted before; nothing changed.
    pub duplicate: bool,
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::field(ErrorCode::Validation, field, message)
}

/// Validate and land an app message in `scope` (the gate's scope of the app's token).
pub async fn post_message(
    state: &AppState,
    scope: &Scope,
    m: AppMessage,
) -> ApiResult<(AppMessageLanded, bool)> {
    let now = crate::auth::now();
    let merchant = scope.owner_for_new(m.merchant_id)?;
    let account = m.customer.account_id.trim().to_string();
    if account.is_empty() || account.chars().count() > 128 || account.chars().any(char::is_control) {
        return Err(invalid("customer.account_id", "account_id must be 1-128 characters"));
    }
    if let Some(n) = &m.customer.name {
        if n.chars().count() > 60 {
            return Err(invalid("customer.name", "the name must be at most 60 characters"));
        }
    }
    let body = m.body.trim().to_string();
    if body.is_empty() || body.chars().count() > 5000 {
        return Err(invalid("body", "the message must be 1-5000 characters"));
    }
    let cmid = m.client_message_id.trim().to_string();
    if cmid.is_empty() || cmid.chars().count() > 128 || cmid.chars().any(char::is_control) {
        return Err(invalid("client_message_id", "client_message_id must be 1-128 characters"));
    }
    if let Some(earlier) = state.store.claim_app_message(merchant, &cmid, now).await? {
        let (Some(ticket_id), Some(customer_id)) = (earlier.ticket_id, earlier.customer_id) else {
            return Err(ApiError::field(
                ErrorCode::Conflict,
                "client_message_id",
                "this message is being stored by an earlier request; try again shortly",
            ));
        };
        let number = state
            .store
            .get_ticket(&intake::scope(merchant), ticket_id)
            .await?
            .map(|r| r.ticket.number)
            .unwrap_or_default();
        let landed = AppMessageLanded {
            ticket_id,
            ticket_number: number,
            customer_id,
            created: false,
            duplicate: true,
        };
        return Ok((landed, false));
    }
    let result =
        land(state, merchant, &account, m.customer.name.as_deref(), body, m.ticket_id, &cmid, now).await;
    if result.is_err() {
        if let Err(e) = state.store.release_app_message(merchant, &cmid).await {
            tracing::error!(error = %e, "could not release an app message that failed to land");
        }
    }
    result
}

#[allow(clippy::too_many_arguments)]
async fn land(
    state: &AppState,
    merchant: Option<i64>,
    account: &str,
    name: Option<&str>,
    body: String,
    ticket_id: Option<i64>,
    cmid: &str,
    now: kefu_core::time::Millis,
) -> ApiResult<(AppMessageLanded, bool)> {
    let ctx = intake::ctx("app", now);
    let customer =
        intake::find_customer(state, &ctx, merchant, &Identity::Account(account.into()), name).await?;
    let landed = intake::customer_message(
        state,
        &ctx,
        Inbound {
            merchant_id: merchant,
            customer_id: customer.id,
            channel: Channel::App,
            subject: body.clone(),
            body,
            ticket_id,
            reuse_within_ms: REUSE_WITHIN_MS,
            priority: Priority::Normal,
        },
    )
    .await?;
    state.store.finish_app_message(merchant, cmid, customer.id, landed.ticket.id).await?;
    Ok((
        AppMessageLanded {
            ticket_id: landed.ticket.id,
            ticket_number: landed.ticket.number,
            customer_id: customer.id,
            created: landed.created,
            duplicate: false,
        },
        true,
    ))
}
