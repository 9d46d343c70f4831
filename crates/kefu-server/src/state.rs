//! Shared server state handed to every handler.

use crate::auth::{PrincipalCache, Throttle};
use crate::config::Config;
use crate::metrics::Metrics;
use kefu_core::org::Role;
use kefu_store::Store;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, RwLock};
use utoipa::ToSchema;

/// Platform security policy, stored as the `security` setting.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecuritySettings {
    /// Roles whose accounts must enrol TOTP before they can do anything but manage their own account.
    pub mandatory_totp_roles: Vec<Role>,
}

pub const SECURITY_SETTING: &str = "security";

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub config: Arc<Config>,
    pub throttle: Arc<Throttle>,
    pub principals: Arc<PrincipalCache>,
    pub security: Arc<RwLock<SecuritySettings>>,
    pub metrics: Arc<Metrics>,
    /// Ticket changes, published after each commit (live views and notifications subscribe).
    pub ticket_events: tokio::sync::broadcast::Sender<crate::tickets::TicketNotice>,
    pub attachments: Arc<crate::files::AttachmentStore>,
    /// The SLA engine's configuration (policies, calendars), reloaded when it changes.
    pub sla: Arc<crate::sla::SlaEngine>,
    /// Wakes this node's job worker when a job is enqueued here.
    pub jobs_wake: Arc<tokio::sync::Notify>,
    /// This node's chat hub, started with its background tasks on first use.
    pub chat_hub: Arc<tokio::sync::OnceCell<Arc<crate::channels::chat::Hub>>>,
    /// HTTP clients of webhook delivery (public targets only / private allowed), built on first use
    /// so their connection pools live on this node's runtime.
    pub webhook_clients: Arc<[std::sync::OnceLock<reqwest::Client>; 2]>,
}

impl AppState {
    pub async fn new(store: Arc<dyn Store>, config: Config) -> anyhow::Result<AppState> {
        let config_data_dir = config.data_dir.clone();
        let sla = crate::sla::load(&*store, crate::auth::now()).await?;
        let state = AppState {
            sla: Arc::new(sla),
            store,
            config: Arc::new(config),
            throttle: Arc::new(Throttle::default()),
            principals: Arc::new(PrincipalCache::default()),
            security: Arc::new(RwLock::new(SecuritySettings::default())),
            metrics: Arc::new(Metrics::new()),
            ticket_events: tokio::sync::broadcast::channel(1024).0,
            attachments: Arc::new(crate::files::AttachmentStore::new(&config_data_dir)),
            jobs_wake: Arc::new(tokio::sync::Notify::new()),
            chat_hub: Arc::default(),
            webhook_clients: Arc::default(),
        };
        state.reload_security().await?;
        crate::sla::publish_gauges(&state, &state.sla.current());
        Ok(state)
    }

    /// Re-read the security policy from the database (other nodes may have changed it).
    pub async fn reload_security(&self) -> anyhow::Result<()> {
        let s = match self.store.get_setting(SECURITY_SETTING).await? {
            Some(json) => serde_json::from_str(&json)?,
            None => SecuritySettings::default(),
        };
        *self.security.write().unwrap_or_else(|p| p.into_inner()) = s;
        Ok(())
    }

    pub fn totp_mandatory_for(&self, role: Role) -> bool {
        self.security.read().unwrap_or_else(|p| p.into_inner()).mandatory_totp_roles.contains(&role)
    }
}
