//! The app/API message channel (App内咨询): a merchant's app or backend posts its customers' messages.

use crate::channels::app::{self, AppMessage, AppMessageLanded};
use crate::error::{ApiJson, ApiResult, ErrorBody};
use crate::gate::{perm, Gate};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

/// Post a customer's message from the app (an API token of the merchant). It lands in the customer's
/// ticket (channel `app`), answered with the ticket's id and number (201). The same `client_message_id`
/// again answers 200 with `duplicate: true` and stores nothing. Agent replies reach the app through the
/// `message.created` webhook.
#[utoipa::path(post, path = "/api/v1/channels/app/messages", tag = "channels", request_body = AppMessage,
    responses((status = 201, body = AppMessageLanded), (status = 200, body = AppMessageLanded),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn post_message(
    State(state): State<AppState>,
    g: Gate<perm::ChannelIntake>,
    ApiJson(input): ApiJson<AppMessage>,
) -> ApiResult<(StatusCode, Json<AppMessageLanded>)> {
    let (landed, new) = app::post_message(&state, &g.scope, input).await?;
    Ok((if new { StatusCode::CREATED } else { StatusCode::OK }, Json(landed)))
}
