//! HTTP handlers under `/api/v1`. Each is thin: take the [`Gate`](crate::gate::Gate) for its action,
//! parse and validate input through the domain core, call the store with the gate's scope, answer JSON.

pub mod aftersales;
pub mod aftersales_page;
pub mod app_channel;
pub mod approvals;
pub mod audit;
pub mod auth;
pub mod chat;
pub mod complaints;
pub mod customers;
pub mod email;
pub mod notifications;
pub mod nps;
pub mod order_import;
pub mod orders;
pub mod org;
pub mod phone;
pub mod quick_replies;
pub mod reports;
pub mod return_rules;
pub mod routing;
pub mod satisfaction;
pub mod shop;
pub mod sla;
pub mod status_page;
pub mod tickets;
pub mod tokens;
pub mod users;
pub mod webhooks;
pub mod workspace;

use crate::error::ApiError;
use kefu_core::ErrorCode;
use kefu_store::PageReq;
use serde::Deserialize;
use utoipa::IntoParams;

/// Cursor pagination parameters shared by every list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    pub limit: Option<i64>,
}

impl ListParams {
    pub fn page(&self) -> Result<PageReq, ApiError> {
        let limit = self.limit.unwrap_or(PageReq::DEFAULT_LIMIT);
        if !(1..=PageReq::MAX_LIMIT).contains(&limit) {
            return Err(ApiError::field(ErrorCode::BadRequest, "limit", "limit must be between 1 and 200"));
        }
        let after = match &self.cursor {
            None => None,
            Some(c) if c.is_empty() => None,
            Some(c) => Some(c.parse::<i64>().map_err(|_| {
                ApiError::field(
                    ErrorCode::BadRequest,
                    "cursor",
                    "cursor must be a next_cursor value from a previous page",
                )
            })?),
        };
        Ok(PageReq { after, limit })
    }
}

/// Turn a missing row into the 404 every scoped read answers (also for another tenant's object).
pub fn found<T>(v: Option<T>, what: &str) -> Result<T, ApiError> {
    v.ok_or_else(|| ApiError::not_found(what))
}
