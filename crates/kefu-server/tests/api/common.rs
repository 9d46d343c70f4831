//! Test harness: spawn kefu on port 0 with a fresh database of the chosen backend.

use kefu_core::authz::{Action, Scope};
use kefu_core::org::Role;
use kefu_server::{AppState, Config, Overrides};
use kefu_store::{AuditCtx, NewUser, Store};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::Arc;

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub const PASSWORD: &str = "Test-Pass-2026";

pub struct TestApp {
    state: AppState,
    url: String,
    config: Config,
    pub base: String,
    pub store: Arc<dyn Store>,
    pub client: reqwest::Client,
    _dir: tempfile::TempDir,
}

/// Generate one `#[tokio::test]` per backend for an `async fn(Backend)`.
#[macro_export]
macro_rules! both_backends {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::common::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::common::Backend::Postgres).await
            }
        }
    };
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, |_| {}).await
    }

    pub async fn spawn_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let url = match backend {
            Backend::Sqlite => kefu_store::test_support::sqlite_url(dir.path()),
            Backend::Postgres => kefu_store::test_support::fresh_postgres_url().await,
        };
        let overrides = Overrides {
            listen: Some("127.0.0.1:0".into()),
            data_dir: Some(dir.path().to_path_buf()),
            database_url: Some(url.clone()),
            web_dir: None,
        };
        let mut config = Config::load(None, Vec::<(String, String)>::new(), &overrides).unwrap();
        tweak(&mut config);
        let store = kefu_store::open(&url, true).await.unwrap();
        store.set_cipher(Arc::new(config.load_cipher().unwrap()));
        let state = AppState::new(store.clone(), config.clone()).await.unwrap();
        let kept = state.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(
                listener,
                kefu_server::app(state).into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await
            .unwrap();
        });
        let client = reqwest::Client::builder().pool_max_idle_per_host(8).build().unwrap();
        TestApp { state: kept, url, config, base: format!("http://{addr}"), store, client, _dir: dir }
    }

    /// Another kefu node on the same database (or the same node after a restart): its own connections
    /// and in-memory state, nothing shared with this one but the database.
    pub async fn second_node(&self) -> AppState {
        let store = kefu_store::open(&self.url, true).await.unwrap();
        store.set_cipher(Arc::new(self.config.load_cipher().unwrap()));
        AppState::new(store, self.config.clone()).await.unwrap()
    }

    /// Run one SQL statement on the test database directly (to simulate what a crash leaves behind).
    pub async fn sql(&self, statement: &str) {
        if self.url.starts_with("sqlite:") {
            let s = kefu_store::sqlite::SqliteStore::connect(&self.url).await.unwrap();
            sqlx::query(statement).execute(s.raw_pool()).await.unwrap();
        } else {
            let s = kefu_store::postgres::PgStore::connect(&self.url).await.unwrap();
            sqlx::query(statement).execute(s.raw_pool()).await.unwrap();
        }
    }

    /// The first column of the first row of a query on the test database, as text (to look at what is
    /// stored at rest).
    pub async fn sql_text(&self, query: &str) -> Option<String> {
        use sqlx::Row;
        if self.url.starts_with("sqlite:") {
            let s = kefu_store::sqlite::SqliteStore::connect(&self.url).await.unwrap();
            sqlx::query(query).fetch_optional(s.raw_pool()).await.unwrap().and_then(|r| r.get(0))
        } else {
            let s = kefu_store::postgres::PgStore::connect(&self.url).await.unwrap();
            sqlx::query(query).fetch_optional(s.raw_pool()).await.unwrap().and_then(|r| r.get(0))
        }
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, Some(token), Some(body)).await
    }

    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    pub fn data_dir(&self) -> &std::path::Path {
        self._dir.path()
    }

    /// Create an account directly in the store (as `kefu user create` does).
    pub async fn user(&self, username: &str, role: Role, merchant: Option<i64>) -> i64 {
        let hash = kefu_server::auth::hash_password(PASSWORD.into()).await.unwrap();
        self.store
            .create_user(
                &Scope::operator(Action::UserManage),
                &AuditCtx::operator("test", kefu_server::auth::now()),
                NewUser {
                    username: username.into(),
                    display_name: username.into(),
                    role,
                    merchant_id: merchant,
                    team_id: None,
                    department_id: None,
                    supervisor_id: None,
                    password_hash: hash,
                },
            )
            .await
            .unwrap()
            .id
    }

    pub async fn login(&self, username: &str) -> String {
        let (s, body) = self
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(serde_json::json!({"username": username, "password": PASSWORD})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "login {username}: {body}");
        body["token"].as_str().unwrap().to_string()
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.client.request(method, format!("{}{}", self.base, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, json)
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    /// A platform admin's token.
    pub async fn admin(&self) -> String {
        self.user("root.admin", Role::PlatformAdmin, None).await;
        self.login("root.admin").await
    }
}

/// Assert the stable error body and return its code.
pub fn error_code(body: &Value) -> String {
    let e = &body["error"];
    assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "error body without message: {body}");
    e["code"].as_str().unwrap_or_else(|| panic!("not an error body: {body}")).to_string()
}
