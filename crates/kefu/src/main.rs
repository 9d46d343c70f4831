//! `kefu`: the one binary. `kefu serve` runs the platform; the other subcommands work on the same
//! database for the operator at the console.

mod demo;
mod gen;

use anyhow::{anyhow, bail, Context};
use clap::{Args, Parser, Subcommand};
use kefu_core::authz::{Action, Scope};
use kefu_core::org::{validate_name, validate_username, Role};
use kefu_core::security::check_password_policy;
use kefu_server::config::LogFormat;
use kefu_server::{Config, Overrides};
use kefu_store::{AuditCtx, NewUser, Store};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Parser)]
#[command(name = "kefu", version, about = "kefu 客服: customer-service management for e-commerce")]
struct Cli {
    /// TOML configuration file (also KEFU_CONFIG).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Data directory for the SQLite database and files (default ./kefu-data).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// sqlite://PATH or postgres://USER@HOST/DB (default: SQLite in the data directory).
    #[arg(long, global = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the HTTP server with the web UI (applies migrations first).
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8080.
        #[arg(long)]
        listen: Option<String>,
        /// Serve the web UI from this folder instead of the built-in copy.
        #[arg(long)]
        web_dir: Option<PathBuf>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Manage staff accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Audit trail tools.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Copy the live SQLite database to a file (safe while kefu serves).
    Backup {
        #[arg(long)]
        to: PathBuf,
    },
    /// Replace the SQLite database with a backup (stop kefu first).
    Restore {
        #[arg(long)]
        from: PathBuf,
    },
    /// Load a demo data set: a platform, two merchants, teams, users of every role, customers.
    Demo(demo::DemoArgs),
    /// Personal-data keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// The statutory holiday schedule (法定节假日与调休) every business calendar follows.
    #[command(subcommand)]
    Holidays(HolidaysCommand),
}

#[derive(Subcommand)]
enum HolidaysCommand {
    /// Import (or replace) one year's schedule from a JSON file (one year object) or a CSV file
    /// (`date,kind,name`, with --year). Running servers pick it up within a second.
    Import {
        #[arg(long)]
        file: PathBuf,
        /// The year of a CSV file (a JSON file names it).
        #[arg(long)]
        year: Option<i16>,
    },
    /// List the years the schedule covers, shipped or imported.
    List,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Add a new active key to the key file and re-encrypt stored personal data under it, while kefu serves.
    Rotate {
        /// Seconds to wait before re-encrypting, so running nodes load the new key first (they check every 10 s).
        #[arg(long, default_value_t = 30)]
        wait: u64,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a staff account.
    Create(CreateUserArgs),
    /// Set a new password for an account.
    Passwd {
        #[arg(long)]
        username: String,
        #[arg(long)]
        password: String,
    },
}

#[derive(Args)]
struct CreateUserArgs {
    #[arg(long)]
    username: String,
    #[arg(long)]
    password: String,
    /// agent, senior_agent, supervisor, manager, director, qa_inspector, trainer, merchant_admin, platform_admin
    #[arg(long)]
    role: String,
    /// Merchant code or id, for merchant staff.
    #[arg(long)]
    merchant: Option<String>,
    #[arg(long)]
    display_name: Option<String>,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check every audit chain; exits non-zero naming the first altered or missing record.
    Verify,
}

fn init_logging(config: &Config, serving: bool) {
    let level = if serving { config.log_level.clone() } else { "warn".to_string() };
    let filter = tracing_subscriber::EnvFilter::try_new(&level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match config.log_format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
}

async fn import_holidays(store: &dyn Store, file: &std::path::Path, year: Option<i16>) -> anyhow::Result<()> {
    use kefu_core::calendar::YearSchedule;
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let is_json = file.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"))
        || text.trim_start().starts_with('{');
    let parsed = if is_json {
        YearSchedule::from_json(&text)
    } else {
        let Some(y) = year else { bail!("a CSV file needs --year") };
        YearSchedule::from_csv(y, &text)
    };
    let y = parsed.map_err(|e| anyhow::anyhow!("{}: {e}; nothing was imported", file.display()))?;
    let ctx = kefu_store::AuditCtx::operator("cli", kefu_server::auth::now());
    let row = kefu_store::HolidayYearRow {
        year: i64::from(y.year()),
        schedule_json: y.to_json(),
        source: y.source().map(str::to_string),
        updated_at: ctx.now,
    };
    store.put_holiday_year(&ctx, row).await?;
    println!("imported the {} schedule: {} entries", y.year(), y.len());
    Ok(())
}

async fn list_holidays(store: &dyn Store) -> anyhow::Result<()> {
    use kefu_core::calendar::{HolidaySchedule, YearSchedule};
    let shipped = HolidaySchedule::china();
    let imported: Vec<YearSchedule> = store
        .sla_config()
        .await?
        .holiday_years
        .iter()
        .filter_map(|r| YearSchedule::from_json(&r.schedule_json).ok())
        .collect();
    let mut years: Vec<i16> = shipped.known_years();
    years.extend(imported.iter().map(|y| y.year()));
    years.sort_unstable();
    years.dedup();
    for year in years {
        match imported.iter().find(|y| y.year() == year) {
            Some(y) => println!("{year}  imported  {} entries  {}", y.len(), y.source().unwrap_or("")),
            None => println!("{year}  shipped   {} entries", shipped.year(year).map_or(0, |y| y.len())),
        }
    }
    Ok(())
}

async fn open_store(config: &Config) -> anyhow::Result<Arc<dyn Store>> {
    if let Some(parent) = config.sqlite_path().as_deref().and_then(std::path::Path::parent) {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent).with_context(|| format!("cannot create {}", parent.display()))?;
        }
    }
    let store = kefu_store::open(&config.database_url, true).await.with_context(|| {
        format!("cannot open the database {}", kefu_store::redact_url(&config.database_url))
    })?;
    store.set_cipher(Arc::new(config.load_cipher()?));
    Ok(store)
}

/// `kefu keys rotate`: a new active key in the key file, then every stored value re-encrypted under it.
async fn rotate_keys(config: &Config, wait: u64) -> anyhow::Result<()> {
    if config.pii_key.is_some() {
        bail!("the personal-data key comes from pii_key in the configuration; rotate it in your secret store (add the new key) instead");
    }
    let path = config.pii_key_path();
    let store = open_store(config).await?;
    let mut cipher =
        kefu_store::crypto::PiiCipher::load(&path).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    let new_id = cipher.rotate().map_err(|e| anyhow!("{e}"))?;
    cipher.save(&path).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    println!("new active key {new_id} written to {}", path.display());
    if wait > 0 {
        println!("waiting {wait} s for running kefu nodes to load it…");
        tokio::time::sleep(std::time::Duration::from_secs(wait)).await;
    }
    let cipher = Arc::new(cipher);
    store.set_cipher(cipher.clone());
    let n = store
        .reencrypt_all(&AuditCtx::operator("keys rotate", kefu_server::auth::now()))
        .await
        .map_err(|e| anyhow!("{e}"))?;
    println!("re-encrypted {n} values under key {new_id}; older keys stay in the file to read backups");
    Ok(())
}

/// Resolve `--merchant` given as a code or an id.
pub async fn merchant_id(store: &dyn Store, m: &str) -> anyhow::Result<i64> {
    let scope = Scope::operator(Action::MerchantRead);
    if let Ok(id) = m.parse::<i64>() {
        if store.get_merchant(&scope, id).await?.is_some() {
            return Ok(id);
        }
    }
    let mut page = kefu_store::PageReq::first(200);
    loop {
        let p = store.list_merchants(&scope, page).await?;
        if let Some(found) = p.items.iter().find(|x| x.code == m) {
            return Ok(found.id);
        }
        match p.next_cursor.and_then(|c| c.parse().ok()) {
            Some(after) => page.after = Some(after),
            None => bail!("no merchant with code or id '{m}'"),
        }
    }
}

async fn create_user(store: &dyn Store, a: CreateUserArgs) -> anyhow::Result<()> {
    let role = Role::parse(&a.role).map_err(|e| anyhow!(e.message))?;
    let username = validate_username(&a.username).map_err(|e| anyhow!(e.message))?;
    check_password_policy(&username, &a.password).map_err(|e| anyhow!(e.message))?;
    let display_name = validate_name("display_name", a.display_name.as_deref().unwrap_or(&username))
        .map_err(|e| anyhow!(e.message))?;
    let merchant = match &a.merchant {
        Some(m) => Some(merchant_id(store, m).await?),
        None => None,
    };
    let password_hash = kefu_server::auth::hash_password(a.password).await.map_err(|e| anyhow!(e.message))?;
    let new = NewUser {
        username,
        display_name,
        role,
        merchant_id: merchant,
        team_id: None,
        department_id: None,
        supervisor_id: None,
        password_hash,
    };
    let u = store
        .create_user(
            &Scope::operator(Action::UserManage),
            &AuditCtx::operator("user create", kefu_server::auth::now()),
            new,
        )
        .await
        .map_err(|e| anyhow!("{e}"))?;
    println!("created user {} (id {}, role {})", u.username, u.id, u.role.as_str());
    Ok(())
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let (listen, web_dir) = match &cli.command {
        Command::Serve { listen, web_dir } => (listen.clone(), web_dir.clone()),
        _ => (None, None),
    };
    let overrides =
        Overrides { listen, data_dir: cli.data_dir.clone(), database_url: cli.database_url.clone(), web_dir };
    let config = Config::load(cli.config.as_deref(), std::env::vars(), &overrides)?;
    init_logging(&config, matches!(cli.command, Command::Serve { .. }));
    match cli.command {
        Command::Serve { .. } => kefu_server::serve(config).await,
        Command::Migrate => {
            open_store(&config).await?;
            println!("migrations applied to {}", kefu_store::redact_url(&config.database_url));
            Ok(())
        }
        Command::User(UserCommand::Create(a)) => create_user(open_store(&config).await?.as_ref(), a).await,
        Command::User(UserCommand::Passwd { username, password }) => {
            let store = open_store(&config).await?;
            let u = store
                .auth_user_by_username(&username)
                .await?
                .ok_or_else(|| anyhow!("no user named '{username}'"))?;
            check_password_policy(&username, &password).map_err(|e| anyhow!(e.message))?;
            let hash = kefu_server::auth::hash_password(password).await.map_err(|e| anyhow!(e.message))?;
            store
                .set_password(
                    &Scope::operator(Action::UserManage),
                    &AuditCtx::operator("user passwd", kefu_server::auth::now()),
                    u.id,
                    hash,
                )
                .await?;
            println!("password of {username} changed; their sessions have ended");
            Ok(())
        }
        Command::Audit(AuditCommand::Verify) => {
            let store = open_store(&config).await?;
            match kefu_store::verify_audit(store.as_ref()).await? {
                Ok(r) => {
                    println!("audit trail intact: {} records in {} chains", r.records, r.chains);
                    Ok(())
                }
                Err(b) => bail!("audit trail broken: {b}"),
            }
        }
        Command::Backup { to } => {
            if !config.is_sqlite() {
                bail!("kefu backup copies the SQLite database; for PostgreSQL use: pg_dump --format=custom --file=kefu.dump DBNAME");
            }
            let store = open_store(&config).await?;
            store.backup_to(&to).await?;
            println!("backup written to {}", to.display());
            Ok(())
        }
        Command::Restore { from } => restore(&config, &from).await,
        Command::Demo(args) => {
            // The demo shop runs inside kefu: reach it where kefu listens (loopback for 0.0.0.0 / ::).
            let mut addr = config.listen_addr();
            if addr.ip().is_unspecified() {
                addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
            }
            let shop_url = format!("http://{addr}/demo-shop/actions");
            demo::load(open_store(&config).await?, &config, args, &shop_url).await
        }
        Command::Keys(KeysCommand::Rotate { wait }) => rotate_keys(&config, wait).await,
        Command::Holidays(HolidaysCommand::Import { file, year }) => {
            import_holidays(open_store(&config).await?.as_ref(), &file, year).await
        }
        Command::Holidays(HolidaysCommand::List) => list_holidays(open_store(&config).await?.as_ref()).await,
    }
}

/// Check the backup opens and its audit trail verifies, then swap it in place of the database file.
async fn restore(config: &Config, from: &std::path::Path) -> anyhow::Result<()> {
    let target = config
        .sqlite_path()
        .ok_or_else(|| anyhow!("kefu restore restores SQLite; for PostgreSQL use pg_restore"))?;
    if !from.is_file() {
        bail!("{} is not a file", from.display());
    }
    {
        let backup = kefu_store::open(&format!("sqlite://{}", from.display()), false)
            .await
            .context("the backup does not open as a database")?;
        match kefu_store::verify_audit(backup.as_ref()).await.context("the backup is not a kefu database")? {
            Ok(r) => println!("backup checked: {} audit records intact", r.records),
            Err(b) => bail!("refusing to restore: the backup's audit trail is broken: {b}"),
        }
    }
    if let Some(parent) = target.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let staging = target.with_extension("restoring");
    std::fs::copy(from, &staging).with_context(|| format!("cannot copy to {}", staging.display()))?;
    for suffix in ["-wal", "-shm"] {
        let p = PathBuf::from(format!("{}{suffix}", target.display()));
        if p.exists() {
            std::fs::remove_file(&p)?;
        }
    }
    std::fs::rename(&staging, &target)?;
    println!("restored {} from {}", target.display(), from.display());
    Ok(())
}

fn main() {
    let cli = Cli::parse();
    if matches!(cli.command, Command::Serve { .. }) {
        // Load the Chinese segmenter's dictionary (once per process) before the runtime's threads exist:
        // on the main thread its temporary allocations go back to the main heap and are trimmed, which
        // keeps the resident size down; and the first search does not pay for the load.
        kefu_core::text::segmenter();
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("kefu: cannot start the async runtime: {e}");
            std::process::exit(1);
        }
    };
    if let Err(e) = runtime.block_on(run(cli)) {
        eprintln!("kefu: {e:#}");
        std::process::exit(1);
    }
}
