//! kefu server: the HTTP API, authentication, the permission gate, operations endpoints and the web UI.
//!
//! A request flows: request id → metrics → route → handler extractors (the [`gate::Gate`] authenticates
//! and authorises; `ApiJson` parses) → domain validation (`kefu_core`) → store call with the gate's scope,
//! which writes the change and its audit record in one transaction → JSON response.

pub mod aftersales;
pub mod api;
pub mod auth;
pub mod channels;
pub mod complaints;
pub mod config;
pub mod demo_shop;
pub mod error;
pub mod files;
pub mod gate;
pub mod jobs;
pub mod metrics;
mod ops;
pub mod order_import;
mod page;
pub mod retention;
pub mod routing;
pub mod sanitize;
pub mod satisfaction;
pub mod shop;
pub mod signed_link;
pub mod sla;
pub mod state;
pub mod tickets;
pub mod web;

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use config::{Config, ConfigError, Overrides};
pub use state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "kefu API", description = "kefu 客服: customer-service management for e-commerce. \
        Every error answers `{\"error\":{\"code\",\"message\",\"field\"?}}`. Authenticate with the session cookie \
        set by `POST /api/v1/auth/login`, or `Authorization: Bearer <token>` (login token or API token)."),
    modifiers(&SecurityAddon),
    security(("bearer" = []), ("cookie" = [])),
    tags((name = "auth", description = "登录与个人账号 Login and one's own account"),
        (name = "organisation", description = "商家、客服组、部门 Merchants, teams, departments"),
        (name = "users", description = "员工账号 Staff accounts"),
        (name = "api tokens", description = "API 令牌 Integration tokens"),
        (name = "customers", description = "客户 Customers"),
        (name = "tickets", description = "工单 Tickets"),
        (name = "orders", description = "订单与售后资格 Orders and after-sales eligibility"),
        (name = "aftersales", description = "售后单 After-sales cases"),
        (name = "complaints", description = "投诉 Complaints: workflow, deadlines, handling notice"),
        (name = "shop", description = "店铺系统对接 The shop system: signed order intake, actions and their results"),
        (name = "approvals", description = "权限额度与审批 Authority limits and approvals"),
        (name = "satisfaction", description = "满意度评价与回访 Satisfaction surveys and follow-up visits"),
        (name = "audit", description = "审计日志 Audit trail"),
        (name = "security", description = "安全设置 Security policy"),
        (name = "channels", description = "渠道与集成 Channels, webhooks, phone, app"))
)]
struct ApiDoc;

struct SecurityAddon;

impl utoipa::Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(auth::SESSION_COOKIE))),
        );
    }
}

/// Every API route with its OpenAPI description: a route cannot exist without appearing in the document
/// (and so in the permission matrix test, which walks the document).
pub fn api_router() -> OpenApiRouter<AppState> {
    use api::*;
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(auth::change_password))
        .routes(routes!(auth::totp_enroll))
        .routes(routes!(auth::totp_confirm))
        .routes(routes!(auth::totp_disable))
        .routes(routes!(org::list_merchants, org::create_merchant))
        .routes(routes!(org::get_merchant, org::update_merchant))
        .routes(routes!(org::list_teams, org::create_team))
        .routes(routes!(org::get_team))
        .routes(routes!(org::list_departments, org::create_department))
        .routes(routes!(org::get_security, org::put_security))
        .routes(routes!(retention::get_settings, retention::put_settings))
        .routes(routes!(users::list_users, users::create_user))
        .routes(routes!(users::get_user, users::update_user))
        .routes(routes!(users::unlock_user))
        .routes(routes!(users::set_user_password))
        .routes(routes!(users::reset_user_totp))
        .routes(routes!(tokens::list_tokens, tokens::create_token))
        .routes(routes!(tokens::revoke_token))
        .routes(routes!(customers::list_customers, customers::create_customer))
        .routes(routes!(customers::get_customer, customers::update_customer))
        .routes(routes!(customers::reveal))
        .routes(routes!(customers::merge))
        .routes(routes!(customers::member_tiers, customers::put_member_tiers))
        .routes(routes!(customers::history))
        .routes(routes!(audit::list_audit))
        .routes(routes!(tickets::list_tickets, tickets::create_ticket))
        .routes(routes!(tickets::get_ticket, tickets::update_ticket))
        .routes(routes!(tickets::ticket_events))
        .routes(routes!(tickets::reply))
        .routes(routes!(tickets::note))
        .routes(routes!(tickets::customer_reply))
        .routes(routes!(status_page::create_link))
        .routes(routes!(satisfaction::create_link))
        .routes(routes!(satisfaction::list_follow_ups, satisfaction::schedule_follow_up))
        .routes(routes!(satisfaction::get_follow_up))
        .routes(routes!(satisfaction::complete_follow_up))
        .routes(routes!(satisfaction::report))
        .routes(routes!(aftersales_page::create_link))
        .routes(routes!(orders::push, orders::list))
        .routes(routes!(orders::get))
        .routes(routes!(orders::eligibility))
        .routes(routes!(order_import::import))
        .routes(routes!(return_rules::get_rules, return_rules::put_rules))
        .routes(routes!(nps::get_schedule, nps::put_schedule))
        .routes(routes!(nps::figures))
        .routes(routes!(shop::get_integration, shop::put_integration))
        .routes(routes!(shop::signed_orders))
        .routes(routes!(shop::action_result))
        .routes(routes!(shop::create_action, shop::ticket_actions))
        .routes(routes!(shop::order_actions))
        .routes(routes!(aftersales::create, aftersales::list))
        .routes(routes!(aftersales::get))
        .routes(routes!(aftersales::agree))
        .routes(routes!(aftersales::reject))
        .routes(routes!(aftersales::return_shipment))
        .routes(routes!(aftersales::receipt))
        .routes(routes!(aftersales::refund_executed))
        .routes(routes!(aftersales::refund_failed))
        .routes(routes!(aftersales::resend))
        .routes(routes!(aftersales::cancel))
        .routes(routes!(aftersales::dispute))
        .routes(routes!(aftersales::platform_decision))
        .routes(routes!(complaints::create, complaints::list))
        .routes(routes!(complaints::analysis))
        .routes(routes!(complaints::get))
        .routes(routes!(complaints::acknowledge))
        .routes(routes!(complaints::claim))
        .routes(routes!(complaints::investigate))
        .routes(routes!(complaints::findings))
        .routes(routes!(complaints::remedy))
        .routes(routes!(complaints::customer_response))
        .routes(routes!(complaints::execution))
        .routes(routes!(complaints::follow_up))
        .routes(routes!(complaints::close))
        .routes(routes!(complaints::notice))
        .routes(routes!(complaints::evaluation_form))
        .routes(routes!(approvals::get_limits, approvals::put_limits))
        .routes(routes!(approvals::promise))
        .routes(routes!(approvals::list))
        .routes(routes!(approvals::get))
        .routes(routes!(approvals::approve))
        .routes(routes!(approvals::reject))
        .routes(routes!(approvals::cancel))
        .routes(routes!(tickets::take))
        .routes(routes!(tickets::accept_offer))
        .routes(routes!(tickets::decline_offer))
        .routes(routes!(tickets::assign))
        .routes(routes!(tickets::transfer))
        .routes(routes!(tickets::escalate))
        .routes(routes!(tickets::set_status))
        .routes(routes!(tickets::open_task))
        .routes(routes!(tickets::answer_task))
        .routes(routes!(tickets::merge))
        .routes(routes!(tickets::link))
        .routes(routes!(tickets::split))
        .routes(routes!(tickets::follow_up))
        .routes(routes!(tickets::bulk))
        .routes(routes!(tickets::download))
        .routes(routes!(workspace::list_categories, workspace::create_category))
        .routes(routes!(workspace::list_views, workspace::create_view))
        .routes(routes!(workspace::delete_view))
        .routes(routes!(workspace::list_tasks))
        .routes(routes!(notifications::list))
        .routes(routes!(notifications::read))
        .routes(routes!(notifications::read_all))
        .routes(routes!(notifications::wait))
        .routes(routes!(sla::ticket_sla))
        .routes(routes!(sla::list_policies, sla::create_policy))
        .routes(routes!(sla::update_policy))
        .routes(routes!(sla::list_calendars, sla::create_calendar))
        .routes(routes!(sla::update_calendar))
        .routes(routes!(sla::assign_calendar))
        .routes(routes!(sla::list_holidays, sla::import_holidays))
        .routes(routes!(sla::report))
        .routes(routes!(reports::overview))
        .routes(routes!(sla::public_commitments))
        .routes(routes!(routing::my_presence, routing::set_my_presence))
        .routes(routes!(routing::heartbeat))
        .routes(routes!(quick_replies::list, quick_replies::create))
        .routes(routes!(quick_replies::update, quick_replies::delete))
        .routes(routes!(quick_replies::render))
        .routes(routes!(routing::list_groups, routing::create_group))
        .routes(routes!(routing::update_group))
        .routes(routes!(routing::list_members, routing::set_members))
        .routes(routes!(routing::list_certifications, routing::grant_certification))
        .routes(routes!(routing::set_capacity))
        .routes(routes!(routing::live))
        .routes(routes!(routing::live_stream))
        .routes(routes!(routing::attendance))
        .routes(routes!(webhooks::list, webhooks::create))
        .routes(routes!(webhooks::get, webhooks::update, webhooks::delete))
        .routes(routes!(webhooks::rotate_secret))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(webhooks::replay))
        .routes(routes!(phone::get_settings, phone::put_settings))
        .routes(routes!(phone::report_call))
        .routes(routes!(phone::list_callbacks))
        .routes(routes!(phone::complete_callback))
        .routes(routes!(phone::report))
        .routes(routes!(app_channel::post_message))
        .routes(routes!(email::list_mailboxes, email::create_mailbox))
        .routes(routes!(email::get_mailbox, email::update_mailbox))
        .routes(routes!(email::list_inbound))
        .routes(routes!(email::list_deliveries))
        .routes(routes!(chat::get_settings, chat::put_settings))
        .routes(routes!(chat::rotate_secret))
        .routes(routes!(chat::create_session))
        .routes(routes!(chat::customer_ws))
        .routes(routes!(chat::agent_ws))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(chat::upload))
                .layer(DefaultBodyLimit::max(crate::files::DEFAULT_MAX_BYTES as usize + 64 * 1024)),
        )
        .merge(
            OpenApiRouter::new()
                .routes(routes!(tickets::upload))
                .layer(DefaultBodyLimit::max(crate::files::DEFAULT_MAX_BYTES as usize + 64 * 1024)),
        )
}

/// The OpenAPI document of the whole API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api_router().split_for_parts().1
}

/// The complete application: API, documentation, operations endpoints, web UI, and the middleware stack.
pub fn app(state: AppState) -> Router {
    let (api, doc) = api_router().split_for_parts();
    let doc = Arc::new(doc);
    let max_body = state.config.max_body_bytes;
    let demo_shop = if state.config.demo_shop { demo_shop::router() } else { Router::new() };
    Router::new()
        .merge(api)
        .nest("/demo-shop", demo_shop)
        .route("/api/openapi.json", get(move || std::future::ready(axum::Json(doc.as_ref().clone()))))
        .route("/api/docs", get(ops::docs_page))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/commitments", get(api::sla::commitments_page))
        .route("/commitments/{merchant_id}", get(api::sla::commitments_page))
        .route("/nps", get(api::nps::nps_page).post(api::nps::nps_answer))
        .route("/ticket-status", get(api::status_page::status_page))
        .route("/ticket-status/reply", axum::routing::post(api::status_page::status_reply))
        .route("/chat/rate", get(api::satisfaction::chat_rate_page).post(api::satisfaction::chat_rate_submit))
        .route("/survey", get(api::satisfaction::survey_page).post(api::satisfaction::survey_submit))
        .route("/after-sales", get(api::aftersales_page::after_sales_page))
        .route(
            "/after-sales/request",
            axum::routing::post(api::aftersales_page::submit_request)
                .layer(DefaultBodyLimit::max(api::aftersales_page::BODY_LIMIT)),
        )
        .route("/after-sales/return", axum::routing::post(api::aftersales_page::submit_return))
        .fallback(web::serve_asset)
        .layer(axum::middleware::from_fn_with_state(state.clone(), ops::observe))
        .layer(axum::middleware::map_response(ops::json_for_bare_errors))
        .layer(DefaultBodyLimit::max(max_body))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(ops::panic_response))
        .layer(axum::middleware::from_fn(ops::request_id))
        .with_state(state)
}

/// Open the database, apply migrations, and serve until SIGINT/SIGTERM, finishing in-flight requests.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    if config.is_sqlite() {
        if let Some(parent) = config.sqlite_path().as_deref().and_then(std::path::Path::parent) {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent)?;
            }
        }
    }
    let store = kefu_store::open(&config.database_url, true).await?;
    store.set_cipher(Arc::new(config.load_cipher()?));
    // Secrets stored in plain by an older version (TOTP seeds, chat widget secrets) are encrypted now.
    let sealed = store.seal_plain_secrets(&kefu_store::AuditCtx::operator("start", auth::now())).await?;
    if sealed > 0 {
        tracing::info!(sealed, "secrets stored in plain are encrypted now");
    }
    let state = AppState::new(store, config.clone()).await?;
    let listener = tokio::net::TcpListener::bind(config.listen_addr())
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, database = %kefu_store::redact_url(&config.database_url), ready_ms = started.elapsed().as_millis() as u64,
        "kefu ready: http://{addr}/");
    tokio::spawn(sla::run_scheduler(state.clone()));
    tokio::spawn(routing::run_router(state.clone()));
    tokio::spawn(jobs::run_worker(state.clone()));
    tokio::spawn(api::nps::run_scheduler(state.clone()));
    tokio::spawn(channels::chat::start(state.clone()));
    tokio::spawn(channels::webhooks::run_feed(state.clone()));
    channels::email::start(&state).await?;
    let refresher = state.clone();
    let key_file = (config.pii_key.is_none()).then(|| config.pii_key_path());
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(10));
        let modified = |p: &std::path::Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        let mut key_seen = key_file.as_deref().and_then(modified);
        let mut ticks: u64 = 0;
        loop {
            tick.tick().await;
            if let Err(e) = refresher.reload_security().await {
                tracing::warn!(error = %e, "could not reload the security policy");
            }
            // Retention once an hour (every 360th tick), the first time a minute after start.
            ticks += 1;
            if ticks.is_multiple_of(360) || ticks == 6 {
                if let Err(e) = retention::run_once(&refresher, auth::now()).await {
                    tracing::error!(error = %e, "retention job failed");
                }
            }
            // `kefu keys rotate` rewrites the key file; pick up the new key ring without a restart.
            if let Some(path) = key_file.as_deref() {
                let now = modified(path);
                if now != key_seen {
                    match kefu_store::crypto::PiiCipher::load(path) {
                        Ok(c) => {
                            refresher.store.set_cipher(Arc::new(c));
                            key_seen = now;
                            tracing::info!("personal-data key ring reloaded");
                        }
                        Err(e) => tracing::error!(error = %e, "could not reload the personal-data key file"),
                    }
                }
            }
        }
    });
    axum::serve(listener, app(state).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(ops::shutdown_signal())
        .await?;
    tracing::info!("kefu stopped");
    Ok(())
}
