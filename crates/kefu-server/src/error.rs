//! The one error type of the HTTP API and the stable body every error answers with:
//! `{"error":{"code","message","field"?}}`. Server faults are logged with the request id; the client gets
//! only the code, a generic message and that id.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use kefu_core::{DomainError, ErrorCode};
use kefu_store::StoreError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub field: Option<String>,
}

/// The body of every error response.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `validation`, `not_found`, `forbidden`.
    #[schema(value_type = String)]
    pub code: ErrorCode,
    /// What was wrong, for a person.
    pub message: String,
    /// The request field at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

pub fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::BadRequest => StatusCode::BAD_REQUEST,
        ErrorCode::Validation => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::Unauthenticated | ErrorCode::TotpRequired => StatusCode::UNAUTHORIZED,
        ErrorCode::AccountLocked => StatusCode::LOCKED,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::Forbidden | ErrorCode::TotpEnrolmentRequired => StatusCode::FORBIDDEN,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::Conflict => StatusCode::CONFLICT,
        ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
    }
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError { code, message: message.into(), field: None }
    }
    pub fn field(code: ErrorCode, field: &str, message: impl Into<String>) -> Self {
        ApiError { code, message: message.into(), field: Some(field.to_string()) }
    }
    pub fn not_found(what: &str) -> Self {
        ApiError::new(ErrorCode::NotFound, format!("{what} not found"))
    }
    pub fn unauthenticated(message: impl Into<String>) -> Self {
        ApiError::new(ErrorCode::Unauthenticated, message)
    }
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        ApiError::new(
            ErrorCode::Internal,
            "internal error; the server log has details under this request's id",
        )
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        ApiError { code: e.code, message: e.message, field: e.field }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Domain(d) => d.into(),
            other if other.code() == ErrorCode::Unavailable => {
                tracing::error!(error = %other, "database unavailable");
                ApiError::new(ErrorCode::Unavailable, "the database is unavailable; try again shortly")
            }
            other => ApiError::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_of(self.code);
        let body =
            ErrorBody { error: ErrorDetail { code: self.code, message: self.message, field: self.field } };
        (status, axum::Json(body)).into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Split serde's "path: message" (from serde_path_to_error, as axum reports it) into field and message.
fn field_from_serde(text: &str) -> (Option<String>, String) {
    let detail = text.split_once("target type: ").map(|(_, d)| d).unwrap_or(text).trim();
    if let Some((path, msg)) = detail.split_once(": ") {
        if !path.is_empty()
            && path.chars().all(|c| c.is_ascii_alphanumeric() || "_.[]".contains(c))
            && path != "."
        {
            return (Some(path.to_string()), format!("{path}: {msg}"));
        }
    }
    if let Some(rest) = detail.strip_prefix("missing field `") {
        if let Some(name) = rest.split('`').next() {
            return (Some(name.to_string()), detail.to_string());
        }
    }
    (None, detail.to_string())
}

/// JSON body extractor whose failures are API errors: syntax → 400, wrong shape → 422 naming the field,
/// too large → 413, wrong content type → 400.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(JsonRejection::JsonDataError(e)) => {
                let (field, message) = field_from_serde(&e.body_text());
                Err(ApiError { code: ErrorCode::Validation, message, field })
            }
            Err(JsonRejection::JsonSyntaxError(e)) => Err(ApiError::new(
                ErrorCode::BadRequest,
                format!("malformed JSON: {}", field_from_serde(&e.body_text()).1),
            )),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::new(
                ErrorCode::BadRequest,
                "send the body as JSON with Content-Type: application/json",
            )),
            Err(JsonRejection::BytesRejection(e)) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::new(
                    ErrorCode::PayloadTooLarge,
                    "the request body is larger than the server accepts",
                ))
            }
            Err(e) => Err(ApiError::new(ErrorCode::BadRequest, e.body_text())),
        }
    }
}

/// Path parameters; a malformed one (e.g. a non-numeric id) is a 400 naming it.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => {
                Err(ApiError::new(ErrorCode::BadRequest, format!("bad path parameter: {}", e.body_text())))
            }
            Err(e) => Err(ApiError::new(ErrorCode::BadRequest, e.body_text())),
        }
    }
}

/// Query string; a malformed parameter is a 400 naming it.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => {
                let (field, message) = field_from_serde(&e.body_text());
                Err(ApiError {
                    code: ErrorCode::BadRequest,
                    message: format!("bad query parameter: {message}"),
                    field,
                })
            }
            Err(e) => Err(ApiError::new(ErrorCode::BadRequest, e.body_text())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_paths_become_fields() {
        let (f, m) = field_from_serde(
            "Failed to deserialize the JSON body into the target type: role: unknown variant `boss`, expected one of `agent`",
        );
        assert_eq!(f.as_deref(), Some("role"));
        assert!(m.contains("unknown variant"));
        let (f, _) = field_from_serde("Failed to deserialize the JSON body into the target type: missing field `username` at line 1 column 2");
        assert_eq!(f.as_deref(), Some("username"));
    }
}
