//! Configuration: defaults, then a TOML file (`--config`), then `KEFU_*` environment variables, then
//! command-line flags. An unknown key or a malformed value stops start-up with a message naming it.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("config file {path}: {reason}")]
    Parse { path: String, reason: String },
    #[error("unknown setting {0} in the environment (known: {1})")]
    UnknownEnv(String, String),
    #[error("setting {name} = '{value}' is invalid: {reason}")]
    Invalid { name: String, value: String, reason: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// The `[security]` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecurityConfig {
    /// Consecutive failed logins that lock an account.
    pub lockout_failures: i64,
    /// How long a locked account stays locked unless an admin unlocks it.
    pub lockout_minutes: i64,
    /// Failed login attempts allowed per client address per minute.
    pub login_attempts_per_ip_per_minute: u32,
    /// Failed login attempts allowed per account per minute.
    pub login_attempts_per_account_per_minute: u32,
}

impl Default for SecurityConfig {
    fn default() -> Self {
        SecurityConfig {
            lockout_failures: 5,
            lockout_minutes: 15,
            login_attempts_per_ip_per_minute: 30,
            login_attempts_per_account_per_minute: 10,
        }
    }
}

/// Every setting of kefu. Field names are the TOML keys; `KEFU_<KEY>` (upper case) in the environment.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address the HTTP server listens on.
    pub listen: String,
    /// Where kefu keeps its SQLite database and files.
    pub data_dir: PathBuf,
    /// `sqlite://PATH` or `postgres://USER:PASSWORD@HOST/DB`; empty means `sqlite://<data_dir>/kefu.db`.
    pub database_url: String,
    /// The address users reach kefu at; `https://…` marks the session cookie `Secure`.
    pub public_url: String,
    pub log_format: LogFormat,
    /// A `tracing` filter such as `info` or `kefu=debug,info`.
    pub log_level: String,
    /// Lifetime of a login session.
    pub session_hours: i64,
    /// The largest request body accepted.
    pub max_body_bytes: usize,
    /// Take the client address from `X-Forwarded-For` (only behind a reverse proxy you run).
    pub trust_proxy: bool,
    /// Serve the web UI from this folder instead of the copy built into the binary.
    pub web_dir: Option<PathBuf>,
    /// The key file for personal data at rest (default `<data_dir>/pii.key`, created on first start with
    /// mode 0600). Every node of a PostgreSQL deployment needs the same key: copy the file or set `pii_key`.
    pub pii_key_file: Option<PathBuf>,
    /// A base64 master key instead of the key file (e.g. from a secret store). Never logged.
    pub pii_key: Option<String>,
    pub security: SecurityConfig,
    /// Seconds without a heartbeat from an online or busy agent's client before they are set away
    /// (连接中断); 0 turns it off.
    pub away_after_secs: u64,
    /// The first retry delay of a failed job (outbound email, webhook delivery); each further retry
    /// waits twice as long, at most an hour.
    pub job_retry_base_ms: u64,
    /// Let webhooks reach loopback, private, link-local and other non-public addresses (only for a
    /// receiver inside your own network, or tests); off, such a URL is refused when it is saved or sent.
    pub webhook_allow_private: bool,
    /// Run the demo shop system (演示店铺) at `/demo-shop/`: it pushes orders to kefu's signed order intake
    /// and answers the shop actions (refund, cancel …) of the merchants whose integration points at it.
    /// For trying kefu on one machine; `scripts/run.sh` turns it on with the demo data.
    pub demo_shop: bool,
    /// Seconds an agent has to accept a chat the router offers them (派发待接入) before it goes to the
    /// next agent; 0: chats are assigned directly, without an offer.
    pub offer_timeout_secs: u64,
    /// Set an agent away (未接待) when an offered chat lapses without their answer.
    pub away_on_missed_offer: bool,
    /// Seconds without keyboard or mouse use in kefu after which an online or busy agent is set away
    /// (空闲), as the web UI reports with its heartbeat; 0: idle detection off.
    pub idle_away_secs: u64,
    /// Address of the inbound SMTP listener of the email channel, e.g. `127.0.0.1:2525`; empty: off.
    pub smtp_listen: String,
    /// The largest inbound mail accepted (announced with SIZE; larger mail is refused with 552).
    pub smtp_max_message_bytes: usize,
    /// Connections and messages accepted per client address per minute by the SMTP listener; 0: no limit.
    pub smtp_rate_per_minute: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("./kefu-data"),
            database_url: String::new(),
            public_url: String::new(),
            log_format: LogFormat::Text,
            log_level: "info".into(),
            session_hours: 12,
            max_body_bytes: 1024 * 1024,
            trust_proxy: false,
            web_dir: None,
            pii_key_file: None,
            pii_key: None,
            security: SecurityConfig::default(),
            away_after_secs: 90,
            job_retry_base_ms: 30_000,
            webhook_allow_private: false,
            demo_shop: false,
            offer_timeout_secs: 0,
            away_on_missed_offer: false,
            idle_away_secs: 900,
            smtp_listen: String::new(),
            smtp_max_message_bytes: 25 * 1024 * 1024,
            smtp_rate_per_minute: 120,
        }
    }
}

impl std::fmt::Debug for Config {
    // The database URL may hold a password: never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field("database_url", &kefu_store::redact_url(&self.database_url))
            .field("public_url", &self.public_url)
            .field("log_format", &self.log_format)
            .field("log_level", &self.log_level)
            .field("session_hours", &self.session_hours)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("trust_proxy", &self.trust_proxy)
            .field("web_dir", &self.web_dir)
            .field("pii_key_file", &self.pii_key_file)
            .field("pii_key", &self.pii_key.as_ref().map(|_| "***"))
            .field("security", &self.security)
            .field("away_after_secs", &self.away_after_secs)
            .field("job_retry_base_ms", &self.job_retry_base_ms)
            .field("webhook_allow_private", &self.webhook_allow_private)
            .field("demo_shop", &self.demo_shop)
            .field("offer_timeout_secs", &self.offer_timeout_secs)
            .field("away_on_missed_offer", &self.away_on_missed_offer)
            .field("idle_away_secs", &self.idle_away_secs)
            .field("smtp_listen", &self.smtp_listen)
            .field("smtp_max_message_bytes", &self.smtp_max_message_bytes)
            .field("smtp_rate_per_minute", &self.smtp_rate_per_minute)
            .finish()
    }
}

/// Values given on the command line; they win over everything else.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub web_dir: Option<PathBuf>,
}

const ENV_KEYS: &[&str] = &[
    "KEFU_PII_KEY_FILE",
    "KEFU_PII_KEY",
    "KEFU_LISTEN",
    "KEFU_DATA_DIR",
    "KEFU_DATABASE_URL",
    "KEFU_PUBLIC_URL",
    "KEFU_LOG_FORMAT",
    "KEFU_LOG_LEVEL",
    "KEFU_SESSION_HOURS",
    "KEFU_MAX_BODY_BYTES",
    "KEFU_TRUST_PROXY",
    "KEFU_WEB_DIR",
    "KEFU_CONFIG",
    "KEFU_LOCKOUT_FAILURES",
    "KEFU_LOCKOUT_MINUTES",
    "KEFU_LOGIN_ATTEMPTS_PER_IP_PER_MINUTE",
    "KEFU_LOGIN_ATTEMPTS_PER_ACCOUNT_PER_MINUTE",
    "KEFU_AWAY_AFTER_SECS",
    "KEFU_JOB_RETRY_BASE_MS",
    "KEFU_WEBHOOK_ALLOW_PRIVATE",
    "KEFU_OFFER_TIMEOUT_SECS",
    "KEFU_AWAY_ON_MISSED_OFFER",
    "KEFU_IDLE_AWAY_SECS",
    "KEFU_SMTP_LISTEN",
    "KEFU_SMTP_MAX_MESSAGE_BYTES",
    "KEFU_SMTP_RATE_PER_MINUTE",
];

fn invalid(name: &str, value: &str, reason: &str) -> ConfigError {
    ConfigError::Invalid { name: name.into(), value: value.into(), reason: reason.into() }
}

fn parse_num<T: std::str::FromStr>(name: &str, value: &str) -> Result<T, ConfigError> {
    value.trim().parse().map_err(|_| invalid(name, value, "expected a whole number"))
}

fn parse_bool(name: &str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(invalid(name, value, "expected true or false")),
    }
}

impl Config {
    /// Layer the sources. `env` is the process environment (passed in so tests control it).
    /// Variables starting `KEFU_TEST_` belong to the test suite and are not settings.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
        overrides: &Overrides,
    ) -> Result<Config, ConfigError> {
        let env: Vec<(String, String)> =
            env.into_iter().filter(|(k, _)| k.starts_with("KEFU_") && !k.starts_with("KEFU_TEST_")).collect();
        let file = file
            .map(Path::to_path_buf)
            .or_else(|| env.iter().find(|(k, _)| k == "KEFU_CONFIG").map(|(_, v)| PathBuf::from(v)));
        let mut c = match &file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                })?;
                toml::from_str::<Config>(&text).map_err(|e| ConfigError::Parse {
                    path: path.display().to_string(),
                    reason: e.to_string().trim().replace('\n', " "),
                })?
            }
            None => Config::default(),
        };
        for (k, v) in &env {
            match k.as_str() {
                "KEFU_LISTEN" => c.listen = v.clone(),
                "KEFU_DATA_DIR" => c.data_dir = PathBuf::from(v),
                "KEFU_DATABASE_URL" => c.database_url = v.clone(),
                "KEFU_PUBLIC_URL" => c.public_url = v.clone(),
                "KEFU_LOG_FORMAT" => {
                    c.log_format = match v.as_str() {
                        "text" => LogFormat::Text,
                        "json" => LogFormat::Json,
                        _ => return Err(invalid(k, v, "expected text or json")),
                    }
                }
                "KEFU_LOG_LEVEL" => c.log_level = v.clone(),
                "KEFU_SESSION_HOURS" => c.session_hours = parse_num(k, v)?,
                "KEFU_MAX_BODY_BYTES" => c.max_body_bytes = parse_num(k, v)?,
                "KEFU_TRUST_PROXY" => c.trust_proxy = parse_bool(k, v)?,
                "KEFU_WEB_DIR" => c.web_dir = Some(PathBuf::from(v)),
                "KEFU_PII_KEY_FILE" => c.pii_key_file = Some(PathBuf::from(v)),
                "KEFU_PII_KEY" => c.pii_key = Some(v.clone()),
                "KEFU_CONFIG" => {}
                "KEFU_LOCKOUT_FAILURES" => c.security.lockout_failures = parse_num(k, v)?,
                "KEFU_LOCKOUT_MINUTES" => c.security.lockout_minutes = parse_num(k, v)?,
                "KEFU_LOGIN_ATTEMPTS_PER_IP_PER_MINUTE" => {
                    c.security.login_attempts_per_ip_per_minute = parse_num(k, v)?
                }
                "KEFU_LOGIN_ATTEMPTS_PER_ACCOUNT_PER_MINUTE" => {
                    c.security.login_attempts_per_account_per_minute = parse_num(k, v)?
                }
                "KEFU_AWAY_AFTER_SECS" => c.away_after_secs = parse_num(k, v)?,
                "KEFU_JOB_RETRY_BASE_MS" => c.job_retry_base_ms = parse_num(k, v)?,
                "KEFU_WEBHOOK_ALLOW_PRIVATE" => c.webhook_allow_private = parse_bool(k, v)?,
                "KEFU_DEMO_SHOP" => c.demo_shop = parse_bool(k, v)?,
                "KEFU_OFFER_TIMEOUT_SECS" => c.offer_timeout_secs = parse_num(k, v)?,
                "KEFU_AWAY_ON_MISSED_OFFER" => c.away_on_missed_offer = parse_bool(k, v)?,
                "KEFU_IDLE_AWAY_SECS" => c.idle_away_secs = parse_num(k, v)?,
                "KEFU_SMTP_LISTEN" => c.smtp_listen = v.clone(),
                "KEFU_SMTP_MAX_MESSAGE_BYTES" => c.smtp_max_message_bytes = parse_num(k, v)?,
                "KEFU_SMTP_RATE_PER_MINUTE" => c.smtp_rate_per_minute = parse_num(k, v)?,
                _ => return Err(ConfigError::UnknownEnv(k.clone(), ENV_KEYS.join(", "))),
            }
        }
        if let Some(v) = &overrides.listen {
            c.listen = v.clone();
        }
        if let Some(v) = &overrides.data_dir {
            c.data_dir = v.clone();
        }
        if let Some(v) = &overrides.database_url {
            c.database_url = v.clone();
        }
        if let Some(v) = &overrides.web_dir {
            c.web_dir = Some(v.clone());
        }
        if c.database_url.is_empty() {
            c.database_url = format!("sqlite://{}", c.data_dir.join("kefu.db").display());
        }
        c.validate()?;
        Ok(c)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        self.listen.parse::<SocketAddr>().map_err(|_| {
            invalid("listen", &self.listen, "expected HOST:PORT with an IP address, e.g. 127.0.0.1:8080")
        })?;
        let url = &self.database_url;
        if !(url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://"))
        {
            return Err(invalid(
                "database_url",
                &kefu_store::redact_url(url),
                "expected sqlite://PATH or postgres://…",
            ));
        }
        if !self.public_url.is_empty()
            && !self.public_url.starts_with("http://")
            && !self.public_url.starts_with("https://")
        {
            return Err(invalid("public_url", &self.public_url, "expected an http:// or https:// address"));
        }
        if !(1..=24 * 30).contains(&self.session_hours) {
            return Err(invalid("session_hours", &self.session_hours.to_string(), "expected 1 to 720"));
        }
        if !(1024..=256 * 1024 * 1024).contains(&self.max_body_bytes) {
            return Err(invalid(
                "max_body_bytes",
                &self.max_body_bytes.to_string(),
                "expected 1024 to 268435456",
            ));
        }
        if self.away_after_secs != 0 && !(15..=86_400).contains(&self.away_after_secs) {
            return Err(invalid(
                "away_after_secs",
                &self.away_after_secs.to_string(),
                "expected 0 (off) or 15 to 86400",
            ));
        }
        if self.idle_away_secs != 0 && !(60..=86_400).contains(&self.idle_away_secs) {
            return Err(invalid(
                "idle_away_secs",
                &self.idle_away_secs.to_string(),
                "expected 0 (off) or 60 to 86400",
            ));
        }
        if self.offer_timeout_secs > 600 {
            return Err(invalid(
                "offer_timeout_secs",
                &self.offer_timeout_secs.to_string(),
                "expected 0 (assign directly) to 600",
            ));
        }
        if !(10..=3_600_000).contains(&self.job_retry_base_ms) {
            return Err(invalid(
                "job_retry_base_ms",
                &self.job_retry_base_ms.to_string(),
                "expected 10 to 3600000",
            ));
        }
        if !self.smtp_listen.trim().is_empty() && self.smtp_listen.trim().parse::<SocketAddr>().is_err() {
            return Err(invalid(
                "smtp_listen",
                &self.smtp_listen,
                "expected an address such as 127.0.0.1:2525",
            ));
        }
        if !(1024..=268_435_456).contains(&self.smtp_max_message_bytes) {
            return Err(invalid(
                "smtp_max_message_bytes",
                &self.smtp_max_message_bytes.to_string(),
                "expected 1024 to 268435456",
            ));
        }
        if self.security.lockout_failures < 1 || self.security.lockout_minutes < 1 {
            return Err(invalid(
                "security",
                "lockout",
                "lockout_failures and lockout_minutes must be at least 1",
            ));
        }
        if tracing_subscriber::EnvFilter::try_new(&self.log_level).is_err() {
            return Err(invalid(
                "log_level",
                &self.log_level,
                "expected a filter such as info or kefu=debug",
            ));
        }
        Ok(())
    }

    pub fn listen_addr(&self) -> SocketAddr {
        // validate() has checked it parses.
        self.listen.parse().unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 8080)))
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }

    /// The SQLite file path, for backup and restore.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        let rest = self
            .database_url
            .strip_prefix("sqlite://")
            .or_else(|| self.database_url.strip_prefix("sqlite:"))?;
        let path = rest.split('?').next().unwrap_or(rest);
        Some(PathBuf::from(path))
    }

    /// Where the personal-data key file is.
    pub fn pii_key_path(&self) -> PathBuf {
        self.pii_key_file.clone().unwrap_or_else(|| self.data_dir.join("pii.key"))
    }

    /// Load the personal-data key ring: from `pii_key`, else the key file (created on first start).
    pub fn load_cipher(&self) -> anyhow::Result<kefu_store::crypto::PiiCipher> {
        use kefu_store::crypto::PiiCipher;
        match &self.pii_key {
            Some(k) => PiiCipher::from_key_material(k).map_err(|e| anyhow::anyhow!("pii_key: {e}")),
            None => {
                let path = self.pii_key_path();
                if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                    std::fs::create_dir_all(parent)?;
                }
                PiiCipher::load_or_create(&path)
                    .map_err(|e| anyhow::anyhow!("personal-data key file {}: {e}", path.display()))
            }
        }
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn defaults_work_with_no_configuration() {
        let c = Config::load(None, env(&[("PATH", "/bin")]), &Overrides::default()).unwrap();
        assert_eq!(c.listen, "127.0.0.1:8080");
        assert_eq!(c.database_url, "sqlite://./kefu-data/kefu.db");
        assert_eq!(c.sqlite_path().unwrap(), PathBuf::from("./kefu-data/kefu.db"));
    }

    #[test]
    fn file_then_env_then_flags() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("kefu.toml");
        std::fs::write(
            &f,
            "listen = \"0.0.0.0:9000\"\nsession_hours = 8\n[security]\nlockout_failures = 3\n",
        )
        .unwrap();
        let c = Config::load(Some(&f), env(&[]), &Overrides::default()).unwrap();
        assert_eq!((c.listen.as_str(), c.session_hours, c.security.lockout_failures), ("0.0.0.0:9000", 8, 3));
        let c =
            Config::load(Some(&f), env(&[("KEFU_LISTEN", "127.0.0.1:9100")]), &Overrides::default()).unwrap();
        assert_eq!(c.listen, "127.0.0.1:9100");
        let o = Overrides { listen: Some("127.0.0.1:9200".into()), ..Default::default() };
        let c = Config::load(Some(&f), env(&[("KEFU_LISTEN", "127.0.0.1:9100")]), &o).unwrap();
        assert_eq!(c.listen, "127.0.0.1:9200");
    }

    #[test]
    fn unknown_and_malformed_settings_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("kefu.toml");
        std::fs::write(&f, "listn = \"0.0.0.0:9000\"\n").unwrap();
        let e = Config::load(Some(&f), env(&[]), &Overrides::default()).unwrap_err().to_string();
        assert!(e.contains("unknown field `listn`"), "{e}");
        std::fs::write(&f, "session_hours = \"eight\"\n").unwrap();
        let e = Config::load(Some(&f), env(&[]), &Overrides::default()).unwrap_err().to_string();
        assert!(e.contains("session_hours"), "{e}");
        let e = Config::load(None, env(&[("KEFU_LISTN", "x")]), &Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("KEFU_LISTN"));
        let e = Config::load(None, env(&[("KEFU_LISTEN", "localhost")]), &Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("listen"));
        let e = Config::load(None, env(&[("KEFU_TRUST_PROXY", "maybe")]), &Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("true or false"));
        let e =
            Config::load(None, env(&[("KEFU_DATABASE_URL", "mysql://root:pw@x/y")]), &Overrides::default())
                .unwrap_err()
                .to_string();
        assert!(e.contains("database_url") && !e.contains("pw"), "{e}");
        assert!(Config::load(None, env(&[("KEFU_TEST_PG", "x")]), &Overrides::default()).is_ok());
        let missing =
            Config::load(Some(Path::new("/nonexistent/kefu.toml")), env(&[]), &Overrides::default());
        assert!(matches!(missing, Err(ConfigError::Read { .. })));
    }

    #[test]
    fn debug_output_hides_the_database_password() {
        let c = Config::load(
            None,
            env(&[("KEFU_DATABASE_URL", "postgres://kefu:hunter2@db/kefu")]),
            &Overrides::default(),
        )
        .unwrap();
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
