//! Domain errors with stable codes. The HTTP layer maps each code to a status.

use serde::Serialize;

/// Stable, machine-readable error codes. Clients may match on these strings; never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request body or a parameter is malformed (bad JSON, wrong type).
    BadRequest,
    /// A field failed validation; the error names the field.
    Validation,
    /// Not logged in, or the credentials are wrong.
    Unauthenticated,
    /// A second factor (TOTP) is needed or was wrong.
    TotpRequired,
    /// The role requires two-factor authentication and the account has not enrolled yet.
    TotpEnrolmentRequired,
    /// The account is locked after repeated failures.
    AccountLocked,
    /// Too many attempts in a short time.
    RateLimited,
    /// Logged in, but the role does not allow the action.
    Forbidden,
    /// Nothing there, or nothing the caller may see.
    NotFound,
    /// The change conflicts with the current state (duplicate name, stale version).
    Conflict,
    /// The body is larger than the server accepts.
    PayloadTooLarge,
    /// The server failed; details are in its log under the request id.
    Internal,
    /// The database is unreachable.
    Unavailable,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::Validation => "validation",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::TotpRequired => "totp_required",
            ErrorCode::TotpEnrolmentRequired => "totp_enrolment_required",
            ErrorCode::AccountLocked => "account_locked",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Conflict => "conflict",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::Internal => "internal",
            ErrorCode::Unavailable => "unavailable",
        }
    }
}

/// An error a user can act on: a stable code, a message naming the problem, and the field if one is at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct DomainError {
    pub code: ErrorCode,
    pub message: String,
    pub field: Option<String>,
}

impl DomainError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        DomainError { code, message: message.into(), field: None }
    }
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        DomainError { code: ErrorCode::Validation, message: message.into(), field: Some(field.to_string()) }
    }
    pub fn not_found(what: &str) -> Self {
        DomainError::new(ErrorCode::NotFound, format!("{what} not found"))
    }
    pub fn conflict(field: Option<&str>, message: impl Into<String>) -> Self {
        DomainError { code: ErrorCode::Conflict, message: message.into(), field: field.map(str::to_string) }
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        DomainError::new(ErrorCode::Forbidden, message)
    }
}
