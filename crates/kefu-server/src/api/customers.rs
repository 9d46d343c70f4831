//! Customers (客户档案): the people served. They are a separate kind of principal and never log into the
//! staff API. Personal data is encrypted at rest and shown masked; revealing one value takes the
//! `customer.reveal` permission and a reason, and is audited.

use super::found;
use crate::error::{ApiError, ApiJson, ApiPath, ApiQuery, ApiResult, ErrorBody};
use crate::gate::{perm, Gate};
use crate::state::AppState;
use crate::tickets::clean_tags;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use kefu_core::org::{validate_name, DEFAULT_MEMBER_TIERS};
use kefu_core::pii::{normalize_email, normalize_phone};
use kefu_core::{DomainError, ErrorCode};
use kefu_store::{
    Contact, Customer, CustomerLookup, CustomerPatch, NewCustomer, Page, PageReq, Ticket, TicketFilter,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

fn check_tier(tier: &str) -> Result<(), DomainError> {
    if DEFAULT_MEMBER_TIERS.iter().any(|(code, _)| *code == tier) {
        Ok(())
    } else {
        Err(DomainError::validation(
            "member_tier",
            format!("unknown member tier '{tier}'; expected regular, silver, gold or diamond"),
        ))
    }
}

fn check_identity(field: &str, v: &Option<String>) -> ApiResult<()> {
    match v {
        Some(x) if x.chars().count() > 100 || x.chars().any(char::is_control) => Err(ApiError::field(
            ErrorCode::Validation,
            field,
            format!("{field} must be at most 100 characters"),
        )),
        _ => Ok(()),
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCustomer {
    pub display_name: String,
    /// `regular` (default), `silver`, `gold` or `diamond`.
    pub member_tier: Option<String>,
    #[serde(default)]
    pub vip: bool,
    pub merchant_id: Option<i64>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub account_id: Option<String>,
    pub visitor_id: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub notes: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CustomerQuery {
    /// Find by phone number (exact, any common format).
    pub phone: Option<String>,
    /// Find by email (exact, case-insensitive).
    pub email: Option<String>,
    pub account_id: Option<String>,
    pub visitor_id: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// Customers in scope, or the ones matching an identity.
#[utoipa::path(get, path = "/api/v1/customers", tag = "customers", params(CustomerQuery),
    responses((status = 200, body = Page<Customer>), (status = 400, body = ErrorBody)))]
pub async fn list_customers(
    State(state): State<AppState>,
    g: Gate<perm::CustomerRead>,
    ApiQuery(q): ApiQuery<CustomerQuery>,
) -> ApiResult<Json<Page<Customer>>> {
    let page = super::ListParams { cursor: q.cursor.clone(), limit: q.limit }.page()?;
    let lookup = CustomerLookup {
        phone: q.phone.as_deref().map(normalize_phone).transpose()?,
        email: q.email.as_deref().map(normalize_email).transpose()?,
        account_id: q.account_id.clone(),
        visitor_id: q.visitor_id.clone(),
    };
    Ok(Json(state.store.list_customers(&g.scope, &lookup, page).await?))
}

/// Create a customer profile.
#[utoipa::path(post, path = "/api/v1/customers", tag = "customers", request_body = CreateCustomer,
    responses((status = 201, body = Customer), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_customer(
    State(state): State<AppState>,
    g: Gate<perm::CustomerManage>,
    ApiJson(req): ApiJson<CreateCustomer>,
) -> ApiResult<(StatusCode, Json<Customer>)> {
    let tier = req.member_tier.unwrap_or_else(|| "regular".into());
    check_tier(&tier)?;
    check_identity("account_id", &req.account_id)?;
    check_identity("visitor_id", &req.visitor_id)?;
    let new = NewCustomer {
        merchant_id: req.merchant_id,
        display_name: validate_name("display_name", &req.display_name)?,
        member_tier: tier,
        vip: req.vip,
        contact: Contact { phone: req.phone, email: req.email, address: req.address },
        account_id: req.account_id,
        visitor_id: req.visitor_id,
        tags: clean_tags("tags", &req.tags)?,
        notes: req.notes,
    };
    Ok((StatusCode::CREATED, Json(state.store.create_customer(&g.scope, &g.ctx, new).await?)))
}

/// One customer (personal data masked).
#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "customers", params(("id" = i64, Path)),
    responses((status = 200, body = Customer), (status = 404, body = ErrorBody)))]
pub async fn get_customer(
    State(state): State<AppState>,
    g: Gate<perm::CustomerRead>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Customer>> {
    Ok(Json(found(state.store.get_customer(&g.scope, id).await?, "customer")?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateCustomer {
    pub display_name: Option<String>,
    pub member_tier: Option<String>,
    pub vip: Option<bool>,
    /// A new value replaces the stored one; an empty string removes it.
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub account_id: Option<String>,
    pub visitor_id: Option<String>,
    pub tags: Option<Vec<String>>,
    pub notes: Option<String>,
}

/// Update a customer's file.
#[utoipa::path(patch, path = "/api/v1/customers/{id}", tag = "customers", params(("id" = i64, Path)), request_body = UpdateCustomer,
    responses((status = 200, body = Customer), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_customer(
    State(state): State<AppState>,
    g: Gate<perm::CustomerManage>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<UpdateCustomer>,
) -> ApiResult<Json<Customer>> {
    if let Some(t) = &req.member_tier {
        check_tier(t)?;
    }
    check_identity("account_id", &req.account_id)?;
    check_identity("visitor_id", &req.visitor_id)?;
    let patch = CustomerPatch {
        display_name: req.display_name.as_deref().map(|n| validate_name("display_name", n)).transpose()?,
        member_tier: req.member_tier,
        vip: req.vip,
        contact: Contact { phone: req.phone, email: req.email, address: req.address },
        account_id: req.account_id,
        visitor_id: req.visitor_id,
        tags: req.tags.as_deref().map(|t| clean_tags("tags", t)).transpose()?,
        notes: req.notes,
    };
    Ok(Json(state.store.update_customer(&g.scope, &g.ctx, id, patch).await?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevealRequest {
    /// `phone`, `email` or `address`.
    pub field: String,
    /// Why the agent needs the value (recorded in the audit trail).
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct Revealed {
    pub field: String,
    pub value: Option<String>,
}

/// Reveal one masked value, with a reason; audited (个人信息保护法, GB/T 35273 §7.2).
#[utoipa::path(post, path = "/api/v1/customers/{id}/reveal", tag = "customers", params(("id" = i64, Path)), request_body = RevealRequest,
    responses((status = 200, body = Revealed), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reveal(
    State(state): State<AppState>,
    g: Gate<perm::CustomerReveal>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<RevealRequest>,
) -> ApiResult<Json<Revealed>> {
    let reason = req.reason.trim();
    if reason.chars().count() < 2 || reason.chars().count() > 200 {
        return Err(ApiError::field(ErrorCode::Validation, "reason", "give a reason of 2 to 200 characters"));
    }
    let value = state.store.reveal_customer(&g.scope, &g.ctx, id, &req.field, reason).await?;
    Ok(Json(Revealed { field: req.field, value }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeCustomers {
    /// The profile that remains.
    pub into_customer_id: i64,
}

/// Merge a duplicate profile into another; its tickets and missing identities move to the survivor.
#[utoipa::path(post, path = "/api/v1/customers/{id}/merge", tag = "customers", params(("id" = i64, Path)), request_body = MergeCustomers,
    responses((status = 200, body = Customer), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn merge(
    State(state): State<AppState>,
    g: Gate<perm::CustomerManage>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(req): ApiJson<MergeCustomers>,
) -> ApiResult<Json<Customer>> {
    Ok(Json(state.store.merge_customers(&g.scope, &g.ctx, id, req.into_customer_id).await?))
}

/// The customer's ticket history, newest first.
#[utoipa::path(get, path = "/api/v1/customers/{id}/tickets", tag = "customers", params(("id" = i64, Path), super::ListParams),
    responses((status = 200, body = Page<Ticket>), (status = 404, body = ErrorBody)))]
pub async fn history(
    State(state): State<AppState>,
    g: Gate<perm::CustomerRead>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(q): ApiQuery<super::ListParams>,
) -> ApiResult<Json<Page<Ticket>>> {
    found(state.store.get_customer(&g.scope, id).await?, "customer")?;
    let page: PageReq = q.page()?;
    let f = TicketFilter { customer_id: Some(id), ..Default::default() };
    Ok(Json(state.store.list_tickets(&g.scope, &f, page).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TiersQuery {
    /// Platform staff name the merchant (default: the platform's rights); merchant staff read their own.
    pub merchant_id: Option<i64>,
}

/// The member tiers (会员等级) and the rights kefu applies for each (EC-5): priority service in routing and
/// SLA, free return shipping, a longer no-reason return window in the eligibility check. The merchant's
/// own setting where it made one (`custom`), else the platform's.
#[utoipa::path(get, path = "/api/v1/member-tiers", tag = "customers", params(TiersQuery),
    responses((status = 200, body = Vec<kefu_core::member::TierRights>), (status = 404, body = ErrorBody)))]
pub async fn member_tiers(
    State(state): State<AppState>,
    g: Gate<perm::CustomerRead>,
    ApiQuery(q): ApiQuery<TiersQuery>,
) -> ApiResult<Json<Vec<kefu_core::member::TierRights>>> {
    let rights = match g.scope.owner_for_new(q.merchant_id)? {
        Some(m) => state.store.get_member_rights(&g.scope, m).await?.unwrap_or_default(),
        None => kefu_core::member::MemberRights::default(),
    };
    Ok(Json(rights.all()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TiersInput {
    /// Platform staff name the merchant.
    pub merchant_id: Option<i64>,
    /// The tiers the merchant sets; a shipped tier left out keeps the platform's rights.
    pub tiers: Vec<kefu_core::member::TierSetting>,
}

/// Set the merchant's member rights (会员权益设置). Bad settings are refused naming the field
/// (`tiers[1].extra_return_days`).
#[utoipa::path(put, path = "/api/v1/member-tiers", tag = "customers", request_body = TiersInput,
    responses((status = 200, body = Vec<kefu_core::member::TierRights>), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put_member_tiers(
    State(state): State<AppState>,
    g: Gate<perm::AuthorityManage>,
    ApiJson(b): ApiJson<TiersInput>,
) -> ApiResult<Json<Vec<kefu_core::member::TierRights>>> {
    let merchant = g.scope.owner_for_new(b.merchant_id)?.ok_or_else(|| {
        ApiError::field(
            ErrorCode::Validation,
            "merchant_id",
            "name the merchant whose member rights these are",
        )
    })?;
    let rights = kefu_core::member::MemberRights { tiers: b.tiers };
    rights.validate()?;
    state.store.put_member_rights(&g.scope, &g.ctx, merchant, &rights).await?;
    Ok(Json(rights.all()))
}
