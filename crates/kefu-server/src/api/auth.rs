//! Login, logout, and one's own account: profile, password, TOTP.

use crate::auth::{self as a, totp, API_TOKEN_PREFIX, SESSION_COOKIE, SESSION_PREFIX};
use crate::error::{ApiError, ApiJson, ApiResult, ErrorBody};
use crate::gate::{credential, perm, Gate, Public};
use crate::state::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use kefu_core::authz::{role_permits, Action};
use kefu_core::org::Role;
use kefu_core::security::{check_password_policy, token_fingerprint, FailureState, LockoutPolicy};
use kefu_core::time::Millis;
use kefu_core::ErrorCode;
use kefu_store::FailureRecord;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    /// The 6-digit code of the authenticator app, when the account has TOTP enabled.
    pub totp_code: Option<String>,
}

/// The signed-in account as the UI needs it.
#[derive(Serialize, ToSchema)]
pub struct Me {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub merchant_id: Option<i64>,
    pub totp_enabled: bool,
    /// True when the role requires TOTP and the account has not enrolled: only self-service works until then.
    pub totp_enrolment_required: bool,
    /// Actions the role permits, e.g. `user.manage`.
    pub permissions: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    /// Bearer token for API clients; browsers use the session cookie set alongside.
    pub token: String,
    pub expires_at: Millis,
    pub user: Me,
}

async fn me_of(state: &AppState, user_id: i64) -> ApiResult<Me> {
    let scope = kefu_core::authz::Scope::operator(Action::SelfService);
    let u = state.store.get_user(&scope, user_id).await?.ok_or_else(a::unauthenticated)?;
    let permissions = Action::ALL
        .iter()
        .filter(|act| role_permits(u.role, **act))
        .map(|act| act.as_str().to_string())
        .collect();
    Ok(Me {
        totp_enrolment_required: !u.totp_enabled && state.totp_mandatory_for(u.role),
        id: u.id,
        username: u.username,
        display_name: u.display_name,
        role: u.role,
        merchant_id: u.merchant_id,
        totp_enabled: u.totp_enabled,
        permissions,
    })
}

fn bad_credentials() -> ApiError {
    ApiError::unauthenticated("wrong username or password")
}

/// Log in with username and password (and TOTP code when enabled).
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, description = "wrong credentials or `totp_required`", body = ErrorBody),
        (status = 423, description = "account locked", body = ErrorBody), (status = 429, description = "too many attempts", body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    public: Public,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Response> {
    let ctx = public.ctx;
    if req.username.trim().is_empty() {
        return Err(ApiError::field(ErrorCode::Validation, "username", "username is required"));
    }
    if req.password.is_empty() {
        return Err(ApiError::field(ErrorCode::Validation, "password", "password is required"));
    }
    let sec = &state.config.security;
    let ip_key = format!("ip:{}", ctx.ip.as_deref().unwrap_or("-"));
    let account_key = format!("user:{}", req.username.to_lowercase());
    if !state.throttle.allows(&ip_key, sec.login_attempts_per_ip_per_minute)
        || !state.throttle.allows(&account_key, sec.login_attempts_per_account_per_minute)
    {
        state.metrics.login("rate_limited");
        return Err(ApiError::new(
            ErrorCode::RateLimited,
            "too many login attempts; wait a minute and try again",
        ));
    }
    let policy =
        LockoutPolicy { max_failures: sec.lockout_failures, lock_ms: sec.lockout_minutes * Millis::MINUTE };
    let Some(user) = state.store.auth_user_by_username(req.username.trim()).await? else {
        // Spend the same time as a real check, so response times do not reveal which names exist.
        let _ = a::verify_password(req.password, a::DUMMY_HASH.clone()).await;
        state.store.record_unknown_login(&ctx, req.username.trim()).await?;
        state.throttle.failed(&ip_key);
        state.throttle.failed(&account_key);
        state.metrics.login("failed");
        return Err(bad_credentials());
    };
    let failure = FailureState { failed_count: user.failed_logins, locked_until: user.locked_until };
    if policy.is_locked(failure, ctx.now) {
        state.metrics.login("locked");
        let until = user.locked_until.map(|t| t.to_rfc3339()).unwrap_or_default();
        return Err(ApiError::new(
            ErrorCode::AccountLocked,
            format!("the account is locked after repeated failed logins until {until}; an administrator can unlock it"),
        ));
    }
    let mut ok = a::verify_password(req.password, user.password_hash.clone()).await?;
    if ok && user.totp_enabled {
        match req.totp_code.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            None => {
                state.metrics.login("totp_required");
                return Err(ApiError::field(
                    ErrorCode::TotpRequired,
                    "totp_code",
                    "enter the 6-digit code from your authenticator app",
                ));
            }
            Some(code) => {
                let secs = (ctx.now.0 / 1000) as u64;
                ok = user.totp_secret.as_deref().is_some_and(|s| totp::check(s, code, secs));
            }
        }
    }
    if !ok {
        let next = policy.after_failure(failure, ctx.now);
        state
            .store
            .record_login_failure(
                &ctx,
                &user,
                FailureRecord { failed_logins: next.failed_count, locked_until: next.locked_until },
            )
            .await?;
        state.throttle.failed(&ip_key);
        state.throttle.failed(&account_key);
        state.metrics.login("failed");
        if policy.is_locked(next, ctx.now) {
            return Err(ApiError::new(
                ErrorCode::AccountLocked,
                format!("too many failed logins: the account is locked for {} minutes", sec.lockout_minutes),
            ));
        }
        return Err(bad_credentials());
    }
    if user.disabled {
        state.metrics.login("disabled");
        return Err(ApiError::unauthenticated("this account is disabled; ask an administrator"));
    }
    state.store.record_login_success(&ctx, &user).await?;
    let token = a::new_token(SESSION_PREFIX);
    let expires = ctx.now.plus_ms(state.config.session_hours * Millis::HOUR);
    state.store.create_session(user.id, &token_fingerprint(&token), ctx.now, expires, ctx.ip.clone()).await?;
    state.metrics.login("ok");
    let me = me_of(&state, user.id).await?;
    let cookie = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        state.config.session_hours * 3600,
        if state.config.secure_cookies() { "; Secure" } else { "" }
    );
    let mut resp = Json(LoginResponse { token, expires_at: expires, user: me }).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(resp)
}

/// End the current session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(
    State(state): State<AppState>,
    _g: Gate<perm::SelfService>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    if let Some(token) = credential(&headers).filter(|t| !t.starts_with(API_TOKEN_PREFIX)) {
        let fp = token_fingerprint(&token);
        state.store.delete_session(&fp).await?;
        state.principals.evict(&fp);
    }
    let clear = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    let mut resp = StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = HeaderValue::from_str(&clear) {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(resp)
}

/// The signed-in account and its permissions.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn me(State(state): State<AppState>, g: Gate<perm::SelfService>) -> ApiResult<Json<Me>> {
    Ok(Json(me_of(&state, g.principal.user_id).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    pub current_password: String,
    pub new_password: String,
}

/// Change one's own password (ends every session of the account).
#[utoipa::path(post, path = "/api/v1/me/password", tag = "auth", request_body = ChangePassword,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    g: Gate<perm::SelfService>,
    ApiJson(req): ApiJson<ChangePassword>,
) -> ApiResult<StatusCode> {
    if g.principal.token_id.is_some() {
        return Err(ApiError::new(ErrorCode::Forbidden, "API tokens cannot change passwords"));
    }
    let user = state.store.auth_user_by_id(g.principal.user_id).await?.ok_or_else(a::unauthenticated)?;
    if !a::verify_password(req.current_password, user.password_hash.clone()).await? {
        return Err(ApiError::field(
            ErrorCode::Validation,
            "current_password",
            "the current password is wrong",
        ));
    }
    check_password_policy(&user.username, &req.new_password)?;
    let hash = a::hash_password(req.new_password).await?;
    state.store.set_password(&g.scope, &g.ctx, user.id, hash).await?;
    state.principals.clear();
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct TotpEnrolment {
    /// Base32 secret to type into an authenticator app.
    pub secret: String,
    /// `otpauth://` URL for a QR code.
    pub otpauth_url: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpCode {
    pub code: String,
}

fn session_only(g: &Gate<perm::SelfService>) -> ApiResult<()> {
    if g.principal.token_id.is_some() {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "two-factor settings belong to a person's login, not to API tokens",
        ));
    }
    Ok(())
}

/// Start TOTP enrolment: a new secret, active once confirmed with a code.
#[utoipa::path(post, path = "/api/v1/me/totp/enroll", tag = "auth", responses((status = 200, body = TotpEnrolment), (status = 409, body = ErrorBody)))]
pub async fn totp_enroll(
    State(state): State<AppState>,
    g: Gate<perm::SelfService>,
) -> ApiResult<Json<TotpEnrolment>> {
    session_only(&g)?;
    let user = state.store.auth_user_by_id(g.principal.user_id).await?.ok_or_else(a::unauthenticated)?;
    if user.totp_enabled {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "two-factor authentication is already enabled; disable it first",
        ));
    }
    let secret = totp::new_secret();
    state.store.set_totp(&g.scope, &g.ctx, user.id, Some(secret.clone()), false).await?;
    Ok(Json(TotpEnrolment { otpauth_url: totp::otpauth_url(&secret, &user.username), secret }))
}

/// Confirm enrolment with a current code; from then on login asks for a code.
#[utoipa::path(post, path = "/api/v1/me/totp/confirm", tag = "auth", request_body = TotpCode,
    responses((status = 204), (status = 422, body = ErrorBody)))]
pub async fn totp_confirm(
    State(state): State<AppState>,
    g: Gate<perm::SelfService>,
    ApiJson(req): ApiJson<TotpCode>,
) -> ApiResult<StatusCode> {
    session_only(&g)?;
    let user = state.store.auth_user_by_id(g.principal.user_id).await?.ok_or_else(a::unauthenticated)?;
    let Some(secret) = user.totp_secret.filter(|_| !user.totp_enabled) else {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "no enrolment is pending; start one at /api/v1/me/totp/enroll",
        ));
    };
    if !totp::check(&secret, &req.code, (g.ctx.now.0 / 1000) as u64) {
        return Err(ApiError::field(ErrorCode::Validation, "code", "the code is wrong or expired"));
    }
    state.store.set_totp(&g.scope, &g.ctx, user.id, Some(secret), true).await?;
    state.principals.clear();
    Ok(StatusCode::NO_CONTENT)
}

/// Turn TOTP off, proving possession with a current code.
#[utoipa::path(delete, path = "/api/v1/me/totp", tag = "auth", request_body = TotpCode,
    responses((status = 204), (status = 422, body = ErrorBody)))]
pub async fn totp_disable(
    State(state): State<AppState>,
    g: Gate<perm::SelfService>,
    ApiJson(req): ApiJson<TotpCode>,
) -> ApiResult<StatusCode> {
    session_only(&g)?;
    let user = state.store.auth_user_by_id(g.principal.user_id).await?.ok_or_else(a::unauthenticated)?;
    let ok = user.totp_enabled
        && user
            .totp_secret
            .as_deref()
            .is_some_and(|s| totp::check(s, &req.code, (g.ctx.now.0 / 1000) as u64));
    if !ok {
        return Err(ApiError::field(
            ErrorCode::Validation,
            "code",
            "the code is wrong or two-factor authentication is off",
        ));
    }
    if state.totp_mandatory_for(user.role) {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "your role requires two-factor authentication; it cannot be turned off",
        ));
    }
    state.store.set_totp(&g.scope, &g.ctx, user.id, None, false).await?;
    state.principals.clear();
    Ok(StatusCode::NO_CONTENT)
}
