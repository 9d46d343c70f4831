//! The permission gate: the only way a handler obtains a [`Scope`], and so the only way it can reach
//! tenant data in the store. A handler declares the action it performs in its signature, `Gate<perm::X>`;
//! the extractor authenticates the request (401), checks the role (403) and the second-factor policy,
//! and hands over the principal, the scope and the audit context.

use crate::auth::{self, SESSION_COOKIE};
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use kefu_core::authz::{authorize, Action, Principal, Scope};
use kefu_core::ErrorCode;
use kefu_store::AuditCtx;
use std::marker::PhantomData;
use std::net::SocketAddr;

/// An action as a type, so the handler signature names it.
pub trait Perm: Send + Sync + 'static {
    const ACTION: Action;
}

/// One marker type per [`Action`].
pub mod perm {
    use super::{Action, Perm};
    macro_rules! perms {
        ($($name:ident),* $(,)?) => {
            $(
                #[doc = concat!("The `", stringify!($name), "` permission.")]
                pub struct $name;
                impl Perm for $name {
                    const ACTION: Action = Action::$name;
                }
            )*
        };
    }
    perms!(
        SelfService,
        MerchantRead,
        MerchantManage,
        TeamRead,
        TeamManage,
        DepartmentRead,
        DepartmentManage,
        UserRead,
        UserManage,
        TokenManage,
        AuditRead,
        SecurityManage,
        CustomerRead,
        CustomerManage,
        CustomerReveal,
        TicketRead,
        TicketWork,
        TicketSupervise,
        SlaRead,
        SlaManage,
        HolidayManage,
        RoutingRead,
        RoutingManage,
        CertificationGrant,
        ChannelManage,
        ChannelIntake,
        AftersalesRead,
        AftersalesWork,
        AftersalesArbitrate,
        AuthorityManage,
        ApprovalDecide,
    );
}

/// The request id set by the request-id middleware.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// Proof that the request's principal may perform `P::ACTION`, with the scope to pass to the store.
pub struct Gate<P: Perm> {
    pub principal: Principal,
    pub scope: Scope,
    pub ctx: AuditCtx,
    _perm: PhantomData<P>,
}

/// The client address: the socket peer, or the first `X-Forwarded-For` hop when configured to trust a proxy.
pub fn client_ip(parts: &Parts, trust_proxy: bool) -> Option<String> {
    if trust_proxy {
        if let Some(xff) = parts.headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
            if let Some(first) =
                xff.split(',').next().map(str::trim).filter(|s| s.parse::<std::net::IpAddr>().is_ok())
            {
                return Some(first.to_string());
            }
        }
    }
    parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ci| ci.0.ip().to_string())
}

pub fn request_id(parts: &Parts) -> Option<String> {
    parts.extensions.get::<RequestId>().map(|r| r.0.clone())
}

/// The credential a request carries: `Authorization: Bearer …`, else the session cookie.
pub fn credential(headers: &HeaderMap) -> Option<String> {
    if let Some(v) = headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        return v.strip_prefix("Bearer ").map(|t| t.trim().to_string());
    }
    for cookie in headers.get_all(axum::http::header::COOKIE) {
        let Ok(text) = cookie.to_str() else { continue };
        for part in text.split(';') {
            if let Some((k, v)) = part.trim().split_once('=') {
                if k == SESSION_COOKIE {
                    return Some(v.to_string());
                }
            }
        }
    }
    None
}

/// The header the web UI sends on every call. A browser only adds a custom header to a cross-origin
/// request after a CORS preflight, which kefu never grants, so its presence proves the request came from
/// kefu's own pages.
pub const CSRF_HEADER: &str = "x-kefu-csrf";

/// Cross-site request forgery guard: a change (any method but GET, HEAD, OPTIONS) authenticated by the
/// session cookie alone must carry [`CSRF_HEADER`]. The cookie is also `SameSite=Lax`; this covers the
/// same-site pages (other subdomains) Lax lets through. Bearer tokens are not ambient, so they need nothing.
fn check_csrf(parts: &Parts) -> Result<(), ApiError> {
    use axum::http::Method;
    let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    if safe
        || parts.headers.contains_key(axum::http::header::AUTHORIZATION)
        || parts.headers.contains_key(CSRF_HEADER)
    {
        return Ok(());
    }
    Err(ApiError::new(
        ErrorCode::Forbidden,
        "a change made with the session cookie must carry the X-Kefu-CSRF header (cross-site request refused)",
    ))
}

/// The audit context of a request made by `principal`.
pub fn audit_ctx(parts: &Parts, state: &AppState, principal: Option<&Principal>) -> AuditCtx {
    AuditCtx {
        actor_id: principal.map(|p| p.user_id),
        actor_name: principal.map(|p| p.username.clone()).unwrap_or_else(|| "anonymous".into()),
        ip: client_ip(parts, state.config.trust_proxy),
        request_id: request_id(parts),
        now: auth::now(),
    }
}

impl<P: Perm> FromRequestParts<AppState> for Gate<P> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = credential(&parts.headers).ok_or_else(auth::unauthenticated)?;
        check_csrf(parts)?;
        let resolved = auth::resolve(&state.store, &state.principals, &token).await?.ok_or_else(|| {
            ApiError::unauthenticated("the session or token is invalid, expired or revoked; log in again")
        })?;
        let principal = resolved.principal;
        let scope = authorize(&principal, P::ACTION)?;
        if P::ACTION != Action::SelfService
            && !resolved.second_factor
            && state.totp_mandatory_for(principal.role)
        {
            return Err(ApiError::new(
                ErrorCode::TotpEnrolmentRequired,
                "your role requires two-factor authentication: enrol at /api/v1/me/totp/enroll first",
            ));
        }
        let ctx = audit_ctx(parts, state, Some(&principal));
        Ok(Gate { principal, scope, ctx, _perm: PhantomData })
    }
}

/// For the few endpoints open to anyone (login, health): no principal, but the audit context of the request.
pub struct Public {
    pub ctx: AuditCtx,
}

impl FromRequestParts<AppState> for Public {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Public { ctx: audit_ctx(parts, state, None) })
    }
}
