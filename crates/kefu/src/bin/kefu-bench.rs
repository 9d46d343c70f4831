//! `kefu-bench`: the tickets benchmark. Prints figures; it is not a test and asserts nothing except that
//! acknowledged tickets survive a crash (it says so, either way). Run through `scripts/bench-tickets.sh`.
//!
//! 1. Create throughput through the API: a fresh database with the demo organisation, the release
//!    `kefu serve` as a child process, a merchant agent logged in, then `--concurrency` keep-alive clients
//!    POST /api/v1/tickets for `--seconds`: tickets/s, p50/p99 latency. Then a second burst during which
//!    the server is killed with SIGKILL; after a restart every ticket whose creation was acknowledged
//!    (201 with its id) is looked up. On SQLite, and on PostgreSQL with `--database-url`.
//! 2. `--big`: on the data set of `kefu demo --tickets 1000000 --messages-per-ticket 5` (generated once
//!    into `--big-dir`), p50/p99 of filtered lists, Chinese full-text searches and opening a ticket with
//!    about 200 messages.

#[allow(dead_code)]
#[path = "../gen/mod.rs"]
mod gen;

use anyhow::{anyhow, bail, Context};
use clap::Parser;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(name = "kefu-bench", about = "kefu tickets benchmark: prints figures")]
struct Opts {
    /// The kefu binary (default: `kefu` next to this program).
    #[arg(long)]
    kefu: Option<PathBuf>,
    /// Seconds of the create load.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Concurrent keep-alive clients of the create load.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Seconds of the burst the server is killed in (at half time).
    #[arg(long, default_value_t = 6)]
    burst_seconds: u64,
    /// Also run the create benchmark on this (empty) PostgreSQL database.
    #[arg(long)]
    database_url: Option<String>,
    /// Skip the create benchmark on SQLite.
    #[arg(long)]
    no_sqlite: bool,
    /// Run the benchmark on the big data set.
    #[arg(long)]
    big: bool,
    /// Where the big data set lives (generated there once, reused afterwards).
    #[arg(long, default_value = "kefu-data/bench-big")]
    big_dir: PathBuf,
    /// Tickets of the big data set.
    #[arg(long, default_value_t = 1_000_000)]
    big_tickets: u64,
    /// Average messages per ticket of the big data set.
    #[arg(long, default_value_t = 5)]
    big_messages: u32,
    /// Requests per query of the big benchmark.
    #[arg(long, default_value_t = 300)]
    requests: usize,
    /// Give up on a query of the big benchmark after this many seconds.
    #[arg(long, default_value_t = 60)]
    query_budget_secs: u64,
}

const PASSWORD: &str = "Kefu-Demo-2026";
const AGENT: &str = "xc.agent1";

fn main() -> anyhow::Result<()> {
    let opts = Opts::parse();
    let kefu = match &opts.kefu {
        Some(k) => k.clone(),
        None => std::env::current_exe()?.with_file_name("kefu"),
    };
    if !kefu.is_file() {
        bail!("no kefu binary at {}; build it or pass --kefu", kefu.display());
    }
    // The client shares the machine with the server: one thread drives all connections.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    println!(
        "kefu tickets benchmark — {} cores, {}, kefu {}",
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        cpu_model(),
        kefu.display()
    );
    println!("load average at the start (other work on this machine): {}", loadavg());
    if !opts.no_sqlite {
        let dir = tempfile_dir("sqlite")?;
        let r = rt.block_on(create_bench(&opts, &kefu, &dir, None));
        let _ = std::fs::remove_dir_all(&dir);
        r?;
    }
    if let Some(url) = &opts.database_url {
        let dir = tempfile_dir("postgres")?;
        let r = rt.block_on(create_bench(&opts, &kefu, &dir, Some(url)));
        let _ = std::fs::remove_dir_all(&dir);
        r?;
    }
    if opts.big {
        rt.block_on(big_bench(&opts, &kefu))?;
    }
    println!();
    println!("load average at the end (other work on this machine): {}", loadavg());
    Ok(())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn tempfile_dir(what: &str) -> anyhow::Result<PathBuf> {
    let d = std::env::temp_dir().join(format!("kefu-bench-{what}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d)?;
    Ok(d)
}

/// `--data-dir DIR [--database-url URL]`.
fn db_args(dir: &Path, url: Option<&str>) -> Vec<String> {
    let mut a = vec!["--data-dir".to_string(), dir.display().to_string()];
    if let Some(u) = url {
        a.push("--database-url".into());
        a.push(u.to_string());
    }
    a
}

/// A `kefu serve` child process.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    async fn start(kefu: &Path, db: &[String], log: &Path) -> anyhow::Result<Server> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let listen = format!("127.0.0.1:{port}");
        let log = std::fs::OpenOptions::new().create(true).append(true).open(log)?;
        let child = Command::new(kefu)
            .args(db)
            .args(["serve", "--listen", &listen])
            .env_remove("KEFU_CONFIG")
            .env("KEFU_LOG_LEVEL", "warn")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .context("start kefu serve")?;
        let base = format!("http://{listen}");
        let c = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut server = Server { child, base };
        while Instant::now() < deadline {
            if let Ok(r) = c.get(format!("{}/readyz", server.base)).send().await {
                if r.status().is_success() {
                    return Ok(server);
                }
            }
            if let Some(status) = server.child.try_wait()? {
                bail!("kefu serve exited with {status}; see {}", log_hint());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        server.kill9();
        bail!("kefu serve did not get ready within 60 s")
    }

    /// SIGKILL: no shutdown, no flushing, as in a crash.
    fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn stop(mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let _ = self.child.wait();
    }
}

fn log_hint() -> &'static str {
    "the server log in the data directory (serve.log)"
}

fn run_kefu(kefu: &Path, db: &[String], args: &[&str]) -> anyhow::Result<String> {
    let o = Command::new(kefu).args(db).args(args).env_remove("KEFU_CONFIG").output()?;
    let out = format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    if !o.status.success() {
        bail!("kefu {} failed: {out}", args.join(" "));
    }
    Ok(out)
}

/// A logged-in API client.
#[derive(Clone)]
struct Api {
    c: reqwest::Client,
    base: String,
    token: String,
    user_id: i64,
}

impl Api {
    fn client() -> anyhow::Result<reqwest::Client> {
        Ok(reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .tcp_nodelay(true)
            .timeout(Duration::from_secs(30))
            .build()?)
    }

    async fn login(base: &str, username: &str) -> anyhow::Result<Api> {
        let c = Api::client()?;
        let r = c
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"username": username, "password": PASSWORD}))
            .send()
            .await?;
        if !r.status().is_success() {
            bail!("login as {username} answered {}", r.status());
        }
        let body: Value = r.json().await?;
        let token = body["token"].as_str().ok_or_else(|| anyhow!("no token in {body}"))?.to_string();
        let user_id = body["user"]["id"].as_i64().ok_or_else(|| anyhow!("no user id in {body}"))?;
        Ok(Api { c, base: base.to_string(), token, user_id })
    }

    /// The same session on a connection of its own.
    fn fork(&self) -> anyhow::Result<Api> {
        Ok(Api { c: Api::client()?, ..self.clone() })
    }

    async fn get(&self, path: &str) -> anyhow::Result<(u16, Value)> {
        let r = self.c.get(format!("{}{path}", self.base)).bearer_auth(&self.token).send().await?;
        let status = r.status().as_u16();
        Ok((status, r.json().await.unwrap_or(Value::Null)))
    }

    async fn post(&self, path: &str, body: &Value) -> anyhow::Result<(u16, Value)> {
        let r =
            self.c.post(format!("{}{path}", self.base)).bearer_auth(&self.token).json(body).send().await?;
        let status = r.status().as_u16();
        Ok((status, r.json().await.unwrap_or(Value::Null)))
    }

    async fn ok(&self, path: &str) -> anyhow::Result<Value> {
        let (s, v) = self.get(path).await?;
        if s != 200 {
            bail!("GET {path} answered {s}: {v}");
        }
        Ok(v)
    }

    /// Customer ids of the agent's merchant.
    async fn customers(&self) -> anyhow::Result<Vec<i64>> {
        let v = self.ok("/api/v1/customers?limit=200").await?;
        Ok(v["items"]
            .as_array()
            .map(|a| a.iter().filter_map(|c| c["id"].as_i64()).collect())
            .unwrap_or_default())
    }
}

/// Request bodies of new tickets, serialised once: realistic first contacts of the digital shop.
fn create_bodies(customers: &[i64], n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let s = gen::sample_ticket(7, i as u64, gen::content::ShopKind::Digital);
            let mut v = json!({
                "channel": s.channel.as_str(),
                "subject": s.subject,
                "body": s.body,
                "priority": s.priority.as_str(),
                "tags": s.tags,
                "order_numbers": s.order_numbers,
            });
            if let Some(c) = s.category {
                v["category"] = json!(c);
            }
            if !customers.is_empty() {
                v["customer_id"] = json!(customers[i % customers.len()]);
            }
            v.to_string()
        })
        .collect()
}

/// What a create load measured.
#[derive(Default)]
struct LoadResult {
    latencies_us: Vec<u64>,
    acknowledged: Vec<i64>,
    failures: u64,
    elapsed: Duration,
}

/// `concurrency` clients POST tickets until `until` or `stop`.
async fn create_load(
    api: &Api,
    bodies: Arc<Vec<String>>,
    concurrency: usize,
    until: Instant,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<LoadResult> {
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for w in 0..concurrency {
        let api = api.fork()?;
        let bodies = bodies.clone();
        let stop = stop.clone();
        tasks.spawn(async move {
            let mut r = LoadResult::default();
            let mut i = w;
            let url = format!("{}/api/v1/tickets", api.base);
            while Instant::now() < until && !stop.load(Ordering::Relaxed) {
                let body = bodies[i % bodies.len()].clone();
                i += concurrency;
                let t0 = Instant::now();
                let sent = api
                    .c
                    .post(&url)
                    .bearer_auth(&api.token)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await;
                let resp = match sent {
                    Ok(resp) => resp,
                    Err(_) => {
                        r.failures += 1;
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let status = resp.status().as_u16();
                // Acknowledged: a 201 whose body (with the id) arrived in full.
                match resp.bytes().await {
                    Ok(b) if status == 201 => {
                        match serde_json::from_slice::<Value>(&b).ok().and_then(|v| v["id"].as_i64()) {
                            Some(id) => {
                                r.latencies_us.push(t0.elapsed().as_micros() as u64);
                                r.acknowledged.push(id);
                            }
                            None => r.failures += 1,
                        }
                    }
                    _ => {
                        r.failures += 1;
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            }
            r
        });
    }
    let mut total = LoadResult::default();
    while let Some(r) = tasks.join_next().await {
        let r = r?;
        total.latencies_us.extend(r.latencies_us);
        total.acknowledged.extend(r.acknowledged);
        total.failures += r.failures;
    }
    total.elapsed = started.elapsed();
    Ok(total)
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)] as f64 / 1000.0
}

async fn create_bench(opts: &Opts, kefu: &Path, dir: &Path, url: Option<&str>) -> anyhow::Result<()> {
    let backend = if url.is_some() { "PostgreSQL" } else { "SQLite" };
    let db = db_args(dir, url);
    let log = dir.join("serve.log");
    println!();
    println!("== create throughput through the API ({backend}) ==");
    run_kefu(kefu, &db, &["demo", "--tickets", "0"])?;
    let mut server = Server::start(kefu, &db, &log).await?;
    let api = Api::login(&server.base, AGENT).await?;
    let customers = api.customers().await?;
    let bodies = Arc::new(create_bodies(&customers, 4096));

    // Warm-up, then the measured load.
    let no_stop = Arc::new(AtomicBool::new(false));
    create_load(
        &api,
        bodies.clone(),
        opts.concurrency,
        Instant::now() + Duration::from_secs(2),
        no_stop.clone(),
    )
    .await?;
    let until = Instant::now() + Duration::from_secs(opts.seconds);
    let mut r = create_load(&api, bodies.clone(), opts.concurrency, until, no_stop).await?;
    r.latencies_us.sort_unstable();
    let rate = r.acknowledged.len() as f64 / r.elapsed.as_secs_f64();
    println!(
        "POST /api/v1/tickets: {rate:.0} tickets/s, p50 {:.1} ms, p99 {:.1} ms ({} created in {:.1} s, {} clients, {} failed) [target ≥ 3000/s on SQLite]",
        percentile(&r.latencies_us, 0.5),
        percentile(&r.latencies_us, 0.99),
        r.acknowledged.len(),
        r.elapsed.as_secs_f64(),
        opts.concurrency,
        r.failures
    );

    // A second burst; SIGKILL half way through.
    let stop = Arc::new(AtomicBool::new(false));
    let burst = Duration::from_secs(opts.burst_seconds.max(2));
    let until = Instant::now() + burst;
    let load = {
        let api = api.clone();
        let bodies = bodies.clone();
        let stop = stop.clone();
        let concurrency = opts.concurrency;
        tokio::spawn(async move { create_load(&api, bodies, concurrency, until, stop).await })
    };
    tokio::time::sleep(burst / 2).await;
    server.kill9();
    let killed_at = Instant::now();
    // Let the clients see the dead server, then stop them.
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let burst_result = load.await??;
    let acked = burst_result.acknowledged;
    println!(
        "kill -9 after {:.1} s of the burst; {} creations were acknowledged before it",
        (burst / 2).as_secs_f64(),
        acked.len()
    );
    let server = Server::start(kefu, &db, &log).await?;
    println!("restarted and ready in {:.2} s after the kill", killed_at.elapsed().as_secs_f64());
    let api = Api::login(&server.base, AGENT).await?;
    let mut present = 0usize;
    let mut missing = Vec::new();
    for chunk in acked.chunks(256) {
        let mut tasks = tokio::task::JoinSet::new();
        for id in chunk {
            let api = api.clone();
            let id = *id;
            tasks.spawn(async move { (id, api.get(&format!("/api/v1/tickets/{id}")).await.map(|(s, _)| s)) });
        }
        while let Some(r) = tasks.join_next().await {
            let (id, status) = r?;
            if status? == 200 {
                present += 1;
            } else {
                missing.push(id);
            }
        }
    }
    println!("acknowledged: {}, present after kill -9: {present}", acked.len());
    if !missing.is_empty() {
        println!("MISSING after kill -9: {missing:?}");
    }
    server.stop();
    let audit = run_kefu(kefu, &db, &["audit", "verify"]).unwrap_or_else(|e| format!("FAILED: {e}"));
    println!("kefu audit verify: {}", audit.trim());
    let url = url.map(str::to_string).unwrap_or_else(|| format!("sqlite://{}/kefu.db", dir.display()));
    store_probe(&url, opts.concurrency).await
}

/// Times the store alone, in this process and without HTTP: one statement, and a ticket creation as
/// the server does it (`next_ticket_seq`, then `insert_ticket`), one at a time and from concurrent tasks.
async fn store_probe(url: &str, concurrency: usize) -> anyhow::Result<()> {
    use kefu_core::authz::{Action, Scope};
    use kefu_core::ticket::{
        decide, rebuild, shanghai_date, Actor, Channel, NewTicket, Priority, TicketCommand, TicketEvent,
        TicketEventKind, TicketNumber, TicketPolicy, TicketState,
    };
    use kefu_store::{AuditCtx, NewCustomer, NewMerchant, Store};

    let store = kefu_store::open(url, true).await?;
    // The probe's own customer needs a personal-data key; a throw-away one will do.
    store.set_cipher(Arc::new(kefu_store::crypto::PiiCipher::generate().map_err(|e| anyhow!("{e}"))?));
    let now = kefu_server::auth::now();
    let ctx = AuditCtx::operator("bench", now);
    let e = |e: kefu_store::StoreError| anyhow!("{e}");
    let merchant = store
        .create_merchant(
            &Scope::operator(Action::MerchantManage),
            &ctx,
            NewMerchant { code: format!("bench-probe-{}", now.0), name: "压测商家".into() },
        )
        .await
        .map_err(e)?;
    let customer = store
        .create_customer(
            &Scope::operator(Action::CustomerManage),
            &ctx,
            NewCustomer {
                merchant_id: Some(merchant.id),
                display_name: "压测客户".into(),
                member_tier: "regular".into(),
                vip: false,
                ..Default::default()
            },
        )
        .await
        .map_err(e)?;
    let per_call = |n: usize, t: Duration| t.as_secs_f64() * 1e6 / n as f64;

    let n = 5000;
    let t0 = Instant::now();
    for _ in 0..n {
        store.get_setting("bench.probe").await.map_err(e)?;
    }
    let read_us = per_call(n, t0.elapsed());
    let day = shanghai_date(now)?.strftime("%Y%m%d").to_string();
    let t0 = Instant::now();
    for _ in 0..n {
        store.next_ticket_seq("20991231").await.map_err(e)?;
    }
    let write_us = per_call(n, t0.elapsed());

    let (merchant_id, customer_id) = (merchant.id, customer.id);
    let create = move |store: Arc<dyn Store>, day: String, i: usize| async move {
        let scope = Scope::operator(Action::TicketWork);
        let ctx = AuditCtx::operator("bench", kefu_server::auth::now());
        let seq = store.next_ticket_seq(&day).await.map_err(|e| anyhow!("{e}"))?;
        let number = TicketNumber::new(shanghai_date(ctx.now)?, seq)?;
        let s = gen::sample_ticket(9, i as u64, gen::content::ShopKind::Digital);
        let new = NewTicket {
            number,
            merchant_id: Some(merchant_id),
            customer_id: Some(customer_id),
            channel: Channel::Chat,
            subject: s.subject,
            body: s.body,
            priority: Priority::Normal,
            category: s.category,
            follow_up_of: None,
        };
        let actor = Actor::Staff { user_id: 1, role: kefu_core::org::Role::Agent };
        let mut events = decide(
            &TicketState::default(),
            &TicketCommand::Create(new),
            &actor,
            ctx.now,
            &TicketPolicy::default(),
        )?;
        for kind in [
            TicketEventKind::TagsChanged { tags: s.tags },
            TicketEventKind::OrdersChanged { order_numbers: s.order_numbers },
        ] {
            events.push(TicketEvent { at: ctx.now, actor: actor.clone(), kind });
        }
        let st = rebuild(&events);
        store.insert_ticket(&scope, &ctx, events, st, json!({}), None).await.map_err(|e| anyhow!("{e}"))?;
        anyhow::Ok(())
    };
    let n = 2000;
    let t0 = Instant::now();
    for i in 0..n {
        create(store.clone(), day.clone(), i).await?;
    }
    let sequential_us = per_call(n, t0.elapsed());
    let t0 = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    let per_task = 4000 / concurrency.max(1);
    for w in 0..concurrency.max(1) {
        let (store, day) = (store.clone(), day.clone());
        tasks.spawn(async move {
            for i in 0..per_task {
                create(store.clone(), day.clone(), n + w * per_task + i).await?;
            }
            anyhow::Ok(())
        });
    }
    while let Some(r) = tasks.join_next().await {
        r??;
    }
    let concurrent = (per_task * concurrency.max(1)) as f64 / t0.elapsed().as_secs_f64();
    println!(
        "store alone (in-process, no HTTP): a read statement {read_us:.0} µs, an autocommit write {write_us:.0} µs; \
         creating a ticket (next_ticket_seq + insert_ticket) {sequential_us:.0} µs one at a time = {:.0}/s, \
         {concurrent:.0}/s from {concurrency} tasks",
        1e6 / sequential_us
    );
    Ok(())
}

/// Generates the big data set into `dir` unless a complete one is there.
fn ensure_big(opts: &Opts, kefu: &Path) -> anyhow::Result<()> {
    let marker = opts.big_dir.join("kefu-bench-complete");
    let wanted = format!("tickets={} messages_per_ticket={}\n", opts.big_tickets, opts.big_messages);
    if std::fs::read_to_string(&marker).ok().as_deref() == Some(wanted.as_str()) {
        println!("big data set: reusing {} ({})", opts.big_dir.display(), wanted.trim());
        return Ok(());
    }
    std::fs::create_dir_all(&opts.big_dir)?;
    // A partial or different data set: start again (only kefu's own database files are removed).
    for f in ["kefu.db", "kefu.db-wal", "kefu.db-shm"] {
        let p = opts.big_dir.join(f);
        if p.exists() {
            std::fs::remove_file(&p)?;
        }
    }
    println!("big data set: generating into {} ({})", opts.big_dir.display(), wanted.trim());
    let started = Instant::now();
    let status = Command::new(kefu)
        .args(db_args(&opts.big_dir, None))
        .args(["demo", "--tickets", &opts.big_tickets.to_string()])
        .args(["--messages-per-ticket", &opts.big_messages.to_string()])
        .env_remove("KEFU_CONFIG")
        .status()?;
    if !status.success() {
        bail!("generating the big data set failed ({status})");
    }
    let size: u64 = ["kefu.db", "kefu.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(opts.big_dir.join(f)).ok())
        .map(|m| m.len())
        .sum();
    println!(
        "big data set generated in {:.0} s; database {:.2} GB",
        started.elapsed().as_secs_f64(),
        size as f64 / 1e9
    );
    std::fs::write(&marker, wanted)?;
    Ok(())
}

/// The ticket with about 200 messages (tag `bench-200`), created through the API the first time.
async fn ticket_with_200_messages(api: &Api) -> anyhow::Result<i64> {
    let found = api.ok("/api/v1/tickets?tag=bench-200&limit=1").await?;
    if let Some(id) = found["items"].get(0).and_then(|t| t["id"].as_i64()) {
        return Ok(id);
    }
    let customers = api.customers().await?;
    let customer = customers.first().copied().ok_or_else(|| anyhow!("the merchant has no customers"))?;
    let started = Instant::now();
    let (s, t) = api
        .post(
            "/api/v1/tickets",
            &json!({
                "channel": "chat",
                "customer_id": customer,
                "subject": "小米14 Pro 手机屏幕闪烁，多次维修仍未解决",
                "body": "手机买了不到两个月，屏幕一直闪烁，已经返修过两次了，还是不行。",
                "category": "after_sales_repair",
                "tags": ["bench-200", "维修", "投诉升级"],
                "order_numbers": ["20261101123456"],
            }),
        )
        .await?;
    if s != 201 {
        bail!("creating the 200-message ticket answered {s}: {t}");
    }
    let id = t["id"].as_i64().ok_or_else(|| anyhow!("no id in {t}"))?;
    for i in 1..200 {
        let (path, body) = if i % 2 == 1 {
            (
                format!("/api/v1/tickets/{id}/replies"),
                json!({"body": format!("亲，第{i}次跟进：维修中心已收到您的手机，正在安排检测，请耐心等待。")}),
            )
        } else {
            (
                format!("/api/v1/tickets/{id}/customer-replies"),
                json!({"body": format!("第{i}条消息：屏幕还是闪烁，什么时候能修好？快递单号SF{:013}", i)}),
            )
        };
        let (s, v) = api.post(&path, &body).await?;
        if s != 200 {
            bail!("message {i} on the 200-message ticket answered {s}: {v}");
        }
    }
    println!(
        "created ticket {id} with 200 messages through the API in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(id)
}

/// `s` padded with spaces to `width` terminal columns (Chinese characters take two).
fn pad(s: &str, width: usize) -> String {
    let cols: usize = s.chars().map(|c| if (c as u32) >= 0x2e80 { 2 } else { 1 }).sum();
    format!("{s}{}", " ".repeat(width.saturating_sub(cols)))
}

struct Query {
    name: String,
    path: String,
    /// The target p99 in ms.
    target_ms: f64,
}

async fn big_bench(opts: &Opts, kefu: &Path) -> anyhow::Result<()> {
    println!();
    println!("== the big data set ==");
    ensure_big(opts, kefu)?;
    let db = db_args(&opts.big_dir, None);
    let server = Server::start(kefu, &db, &opts.big_dir.join("serve.log")).await?;
    let api = Api::login(&server.base, AGENT).await?;
    let big = ticket_with_200_messages(&api).await?;
    let detail = api.ok(&format!("/api/v1/tickets/{big}")).await?;
    let big_messages = detail["messages"].as_array().map_or(0, Vec::len);
    // An order number that a ticket's text mentions (its subject), for the order filter and search.
    let page = api.ok("/api/v1/tickets?category=order&limit=200").await?;
    let items = page["items"].as_array().cloned().unwrap_or_default();
    let order = items
        .iter()
        .find_map(|t| {
            let subject = t["subject"].as_str().unwrap_or_default();
            t["order_numbers"]
                .as_array()?
                .iter()
                .filter_map(Value::as_str)
                .find(|o| subject.contains(o))
                .map(str::to_string)
        })
        .or_else(|| items.iter().find_map(|t| t["order_numbers"].get(0)?.as_str().map(str::to_string)))
        .unwrap_or_else(|| "20261101123456".into());
    let typical = items.first().and_then(|t| t["id"].as_i64()).unwrap_or(big);
    let me = api.user_id;
    let q = |name: &str, path: String, target_ms: f64| Query { name: name.to_string(), path, target_ms };
    let queries = vec![
        q("list: newest first, no filter", "/api/v1/tickets".into(), 50.0),
        q(
            "list: ?status=open&category=logistics",
            "/api/v1/tickets?status=open&category=logistics".into(),
            50.0,
        ),
        q(
            "list: ?status=new,open&priority=urgent",
            "/api/v1/tickets?status=new,open&priority=urgent".into(),
            50.0,
        ),
        q("list: ?assignee_id=<agent>", format!("/api/v1/tickets?assignee_id={me}"), 50.0),
        q("list: ?view=mine (my active tickets)", "/api/v1/tickets?view=mine".into(), 50.0),
        q("list: ?tag=物流异常", "/api/v1/tickets?tag=物流异常".into(), 50.0),
        q("list: ?tag=12315 (rare tag)", "/api/v1/tickets?tag=12315".into(), 50.0),
        q("list: ?order_no=<order>", format!("/api/v1/tickets?order_no={order}"), 50.0),
        q("search: ?q=退款", "/api/v1/tickets?q=退款".into(), 100.0),
        q("search: ?q=快递 没收到", "/api/v1/tickets?q=快递 没收到".into(), 100.0),
        q("search: ?q=屏幕 坏点", "/api/v1/tickets?q=屏幕 坏点".into(), 100.0),
        q("search: ?q=发票", "/api/v1/tickets?q=发票".into(), 100.0),
        q("search: ?q=<order number>", format!("/api/v1/tickets?q={order}"), 100.0),
        q("open: a typical ticket", format!("/api/v1/tickets/{typical}"), 20.0),
        q(&format!("open: the ticket with {big_messages} messages"), format!("/api/v1/tickets/{big}"), 20.0),
        q("timeline: the 200-message ticket's events", format!("/api/v1/tickets/{big}/events"), 20.0),
    ];
    println!(
        "{} {:>6} {:>9} {:>9} {:>9} {:>7}  target p99",
        pad("request (as merchant agent xc.agent1)", 48),
        "n",
        "p50 ms",
        "p99 ms",
        "max ms",
        "items"
    );
    for query in &queries {
        for _ in 0..5 {
            api.get(&query.path).await?;
        }
        let mut lat = Vec::with_capacity(opts.requests);
        let mut items = 0usize;
        let started = Instant::now();
        while lat.len() < opts.requests && started.elapsed() < Duration::from_secs(opts.query_budget_secs) {
            let t0 = Instant::now();
            let (s, v) = api.get(&query.path).await?;
            lat.push(t0.elapsed().as_micros() as u64);
            if s != 200 {
                bail!("{} answered {s}: {v}", query.path);
            }
            items =
                v["items"].as_array().map_or_else(|| v["messages"].as_array().map_or(0, Vec::len), Vec::len);
            if items == 0 {
                items = v.as_array().map_or(0, Vec::len);
            }
        }
        lat.sort_unstable();
        let p99 = percentile(&lat, 0.99);
        println!(
            "{} {:>6} {:>9.1} {:>9.1} {:>9.1} {:>7}  < {:.0} ms {}",
            pad(&query.name, 48),
            lat.len(),
            percentile(&lat, 0.5),
            p99,
            lat.last().copied().unwrap_or(0) as f64 / 1000.0,
            items,
            query.target_ms,
            if p99 < query.target_ms { "met" } else { "MISSED" }
        );
    }
    server.stop();
    Ok(())
}
