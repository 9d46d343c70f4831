//! Live chat benchmark. The server runs as a child process (this binary with `--serve`), so the RSS
//! printed is the server's alone: N concurrent customer WebSockets on one node (SQLite), the server's
//! RSS, then R chat messages a second for S seconds across them with customer → agent delivery latency
//! p50/p99; then, on PostgreSQL, the same with the customers on node A and the agents on node B.
//! Prints the figures; targets are printed next to them, never asserted.
//!
//! Usage: kefu-bench-chat [--connections N] [--rate R] [--seconds S] [--active M] [--pg URL|--no-pg]
//! (the soft RLIMIT_NOFILE must allow N sockets in each process: `ulimit -n`, see scripts/bench-chat.sh).

use futures_util::{SinkExt, StreamExt};
use kefu_core::authz::{Action, Scope};
use kefu_core::org::Role;
use kefu_server::{AppState, Config, Overrides};
use kefu_store::{AuditCtx, NewUser};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::BufRead;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

const PASSWORD: &str = "Bench-Pass-2026";

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| default.to_string())
}

fn flag(name: &str) -> bool {
    std::env::args().any(|a| a == name)
}

fn main() -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    if flag("--serve") {
        return rt.block_on(serve(arg("--serve", ""), arg("--data", "")));
    }
    rt.block_on(run())
}

/// The child: kefu's server on `url`, with a platform admin for the benchmark; prints its address.
async fn serve(url: String, data: String) -> anyhow::Result<()> {
    let overrides = Overrides {
        listen: Some("127.0.0.1:0".into()),
        data_dir: Some(data.into()),
        database_url: Some(url.clone()),
        web_dir: None,
    };
    let config = Config::load(None, Vec::<(String, String)>::new(), &overrides)?;
    let store = kefu_store::open(&url, true).await?;
    store.set_cipher(Arc::new(config.load_cipher()?));
    let state = AppState::new(store, config).await?;
    let hash =
        kefu_server::auth::hash_password(PASSWORD.into()).await.map_err(|e| anyhow::anyhow!(e.message))?;
    let _ = state
        .store
        .create_user(
            &Scope::operator(Action::UserManage),
            &AuditCtx::operator("bench", kefu_server::auth::now()),
            NewUser {
                username: "bench.admin".into(),
                display_name: "bench".into(),
                role: Role::PlatformAdmin,
                merchant_id: None,
                team_id: None,
                department_id: None,
                supervisor_id: None,
                password_hash: hash,
            },
        )
        .await;
    kefu_server::channels::chat::start(state.clone()).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("READY {}", listener.local_addr()?);
    axum::serve(
        listener,
        kefu_server::app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .await?;
    Ok(())
}

struct Node {
    child: std::process::Child,
    base: String,
}

fn spawn_node(url: &str, data: &std::path::Path) -> anyhow::Result<Node> {
    let mut child = std::process::Command::new(std::env::current_exe()?)
        .args(["--serve", url, "--data", &data.display().to_string()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let out = child.stdout.take().ok_or_else(|| anyhow::anyhow!("no stdout"))?;
    let mut line = String::new();
    std::io::BufReader::new(out).read_line(&mut line)?;
    let addr =
        line.trim().strip_prefix("READY ").ok_or_else(|| anyhow::anyhow!("server did not start: {line}"))?;
    Ok(Node { child, base: format!("http://{addr}") })
}

fn rss_mb(pid: u32) -> f64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|k| k.parse::<f64>().ok())
        .map_or(0.0, |k| k / 1024.0)
}

struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> anyhow::Result<Value> {
        let r = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await?;
        let status = r.status();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        anyhow::ensure!(status.is_success(), "{path}: {status} {v}");
        Ok(v)
    }
}

async fn login(http: &reqwest::Client, base: &str, user: &str) -> anyhow::Result<String> {
    let v: Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": user, "password": PASSWORD}))
        .send()
        .await?
        .json()
        .await?;
    v["token"].as_str().map(str::to_string).ok_or_else(|| anyhow::anyhow!("login {user}: {v}"))
}

fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default().read_buffer_size(4096).write_buffer_size(4096)
}

type Sink = futures_util::stream::SplitSink<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    Message,
>;

fn pct(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// The load of a scenario: sockets, conversations that talk, messages per second, seconds.
#[derive(Clone, Copy)]
struct Load {
    connections: usize,
    active: usize,
    rate: usize,
    seconds: u64,
}

/// One scenario: customers on `a`, agents on `b`; returns (latencies ms, delivered, sent).
async fn scenario(
    a: &Node,
    b: &Node,
    store: &Arc<dyn kefu_store::Store>,
    load: Load,
    rss_of: Option<u32>,
) -> anyhow::Result<(Vec<f64>, usize, usize)> {
    let Load { connections, active, rate, seconds } = load;
    let http = reqwest::Client::builder().pool_max_idle_per_host(64).build()?;
    let admin =
        Api { http: http.clone(), base: a.base.clone(), token: login(&http, &a.base, "bench.admin").await? };
    let code = format!("bench-{}", std::process::id() % 100000 + connections as u32);
    let m = admin
        .call(reqwest::Method::POST, "/api/v1/merchants", json!({"code": code, "name": "压测小店"}))
        .await?;
    let merchant = m["id"].as_i64().unwrap_or_default();
    let settings = admin
        .call(reqwest::Method::GET, &format!("/api/v1/channels/chat?merchant_id={merchant}"), Value::Null)
        .await?;
    let widget = settings["widget_key"].as_str().unwrap_or_default().to_string();
    // Agents carry at most 50 chats (the product's limit): 40 conversations each.
    let agents = active.div_ceil(40).max(1);
    let mut agent_ids = Vec::new();
    let mut agent_tokens = Vec::new();
    for i in 0..agents {
        let name = format!("bench.{merchant}.agent{i}");
        let u = admin
            .call(reqwest::Method::POST, "/api/v1/users", json!({"username": name, "display_name": name, "password": PASSWORD, "role": "agent", "merchant_id": merchant}))
            .await?;
        let id = u["id"].as_i64().unwrap_or_default();
        admin
            .call(
                reqwest::Method::PUT,
                &format!("/api/v1/users/{id}/capacity"),
                json!({"max_chats": 50, "max_tickets": 1000}),
            )
            .await?;
        agent_ids.push(id);
        agent_tokens.push(login(&http, &b.base, &name).await?);
    }

    // Sessions and customer sockets.
    let t0 = Instant::now();
    let sessions: Vec<Value> = futures_util::stream::iter(0..connections)
        .map(|_| {
            let http = http.clone();
            let base = a.base.clone();
            let widget = widget.clone();
            async move {
                let r = http
                    .post(format!("{base}/api/v1/public/chat/sessions"))
                    .json(&json!({"widget_key": widget}))
                    .send()
                    .await
                    .ok()?;
                r.json::<Value>().await.ok()
            }
        })
        .buffer_unordered(32)
        .filter_map(|v| async move { v })
        .collect()
        .await;
    let ws_base = a.base.replacen("http://", "ws://", 1);
    let mut sinks: Vec<(i64, Sink)> = Vec::new();
    let mut opened = 0;
    for (i, s) in sessions.iter().enumerate() {
        let url = format!(
            "{ws_base}/api/v1/public/chat/ws?session={}",
            s["session_token"].as_str().unwrap_or_default()
        );
        let Ok((ws, _)) = tokio_tungstenite::connect_async_with_config(url, Some(ws_config()), false).await
        else {
            continue;
        };
        opened += 1;
        let (sink, mut stream) = ws.split();
        tokio::spawn(async move { while let Some(Ok(_)) = stream.next().await {} });
        if i < active {
            sinks.push((s["conversation_id"].as_i64().unwrap_or_default(), sink));
        } else {
            // Kept open, never written to.
            std::mem::forget(sink);
        }
    }
    println!(
        "  {opened} customer WebSockets open ({} sessions) in {:.1} s",
        sessions.len(),
        t0.elapsed().as_secs_f64()
    );
    if let Some(pid) = rss_of {
        tokio::time::sleep(Duration::from_secs(2)).await;
        println!("  server RSS with {opened} chat sockets: {:.0} MB (target < 500 MB)", rss_mb(pid));
    }

    // The active conversations get a ticket held by one of the agents.
    for (i, (conv, sink)) in sinks.iter_mut().enumerate() {
        let _ = sink
            .send(Message::Text(
                json!({"type": "message", "client_id": format!("open-{i}"), "body": "开始咨询"})
                    .to_string()
                    .into(),
            ))
            .await;
        let _ = conv;
    }
    let mut tickets = HashMap::new();
    let deadline = Instant::now() + Duration::from_secs(300);
    while tickets.len() < sinks.len() && Instant::now() < deadline {
        for (conv, _) in &sinks {
            if !tickets.contains_key(conv) {
                if let Ok(Some(t)) =
                    store.get_chat_conversation(*conv).await.map(|c| c.and_then(|c| c.ticket_id))
                {
                    tickets.insert(*conv, t);
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut refused = 0;
    for (i, (conv, _)) in sinks.iter().enumerate() {
        if let Some(t) = tickets.get(conv) {
            let r = admin
                .call(
                    reqwest::Method::POST,
                    &format!("/api/v1/tickets/{t}/assign"),
                    json!({"user_id": agent_ids[i % agents]}),
                )
                .await;
            if let Err(e) = r {
                if refused == 0 {
                    eprintln!("  assigning a chat failed: {e}");
                }
                refused += 1;
            }
        }
    }
    if refused > 0 {
        eprintln!("  {refused} chats could not be assigned");
    }
    println!("  {} active conversations with tickets held by {agents} agents", tickets.len());

    // Agents on node b record the delivery latency of each message (the body carries its send time).
    let start = Instant::now();
    let lat = Arc::new(Mutex::new(Vec::<f64>::new()));
    let b_ws = b.base.replacen("http://", "ws://", 1);
    for tok in &agent_tokens {
        let url = format!("{b_ws}/api/v1/chat/ws?access_token={tok}");
        let (ws, _) = tokio_tungstenite::connect_async_with_config(url, Some(ws_config()), false).await?;
        let lat = lat.clone();
        let (_sink, mut stream) = ws.split();
        tokio::spawn(async move {
            let _keep = _sink;
            while let Some(Ok(Message::Text(t))) = stream.next().await {
                let Ok(v) = serde_json::from_str::<Value>(t.as_str()) else { continue };
                if v["type"] == "message" {
                    if let Some(sent) = v["body"]
                        .as_str()
                        .and_then(|b| b.strip_prefix("bench "))
                        .and_then(|n| n.parse::<f64>().ok())
                    {
                        let now = start.elapsed().as_secs_f64() * 1000.0;
                        if let Ok(mut l) = lat.lock() {
                            l.push(now - sent);
                        }
                    }
                }
            }
        });
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut sent = 0usize;
    let per_tick = (rate / 100).max(1);
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    let end = Instant::now() + Duration::from_secs(seconds);
    let mut k = 0usize;
    while Instant::now() < end {
        tick.tick().await;
        for _ in 0..per_tick {
            let n = sinks.len();
            let (_, sink) = &mut sinks[k % n];
            k += 1;
            let body = format!("bench {:.3}", start.elapsed().as_secs_f64() * 1000.0);
            let frame = json!({"type": "message", "client_id": format!("m{k}"), "body": body});
            if sink.send(Message::Text(frame.to_string().into())).await.is_ok() {
                sent += 1;
            }
        }
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let l = lat.lock().map(|l| l.clone()).unwrap_or_default();
    let n = l.len();
    Ok((l, n, sent))
}

async fn run() -> anyhow::Result<()> {
    let connections: usize = arg("--connections", "10000").parse()?;
    let rate: usize = arg("--rate", "1000").parse()?;
    let seconds: u64 = arg("--seconds", "10").parse()?;
    let active: usize = arg("--active", "1000").parse()?;
    let dir = std::env::temp_dir().join(format!("kefu-bench-chat-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;

    println!("kefu-bench-chat: {connections} customer sockets, {rate} messages/s for {seconds} s across {active} conversations");
    println!("one node, SQLite:");
    let url = format!("sqlite://{}/kefu.db", dir.display());
    let mut node = spawn_node(&url, &dir)?;
    let store = kefu_store::open(&url, false).await?;
    let pid = node.child.id();
    let a = Node { child: std::process::Command::new("true").spawn()?, base: node.base.clone() };
    let (mut l, n, sent) =
        scenario(&node, &a, &store, Load { connections, active, rate, seconds }, Some(pid)).await?;
    println!(
        "  delivered {n}/{sent}: customer → agent p50 {:.1} ms, p99 {:.1} ms (target p99 < 50 ms); server RSS after {:.0} MB",
        pct(&mut l, 0.5),
        pct(&mut l, 0.99),
        rss_mb(pid)
    );
    node.child.kill().ok();

    if !flag("--no-pg") {
        let admin_url = arg("--pg", "postgres://postgres@127.0.0.1:5432/postgres");
        let db = format!("kefu_bench_chat_{}", std::process::id());
        let pool = sqlx::PgPool::connect(&admin_url).await?;
        sqlx::query(&format!("CREATE DATABASE {db}")).execute(&pool).await?;
        let pg_url = match admin_url.rsplit_once('/') {
            Some((head, _)) => format!("{head}/{db}"),
            None => anyhow::bail!("--pg needs a database URL"),
        };
        println!("two nodes, PostgreSQL (customers on A, agents on B):");
        let dir_a = dir.join("a");
        let dir_b = dir.join("b");
        std::fs::create_dir_all(&dir_a)?;
        std::fs::create_dir_all(&dir_b)?;
        let mut na = spawn_node(&pg_url, &dir_a)?;
        // Same personal-data key on both nodes.
        std::fs::copy(dir_a.join("pii.key"), dir_b.join("pii.key")).ok();
        let mut nb = spawn_node(&pg_url, &dir_b)?;
        let store = kefu_store::open(&pg_url, false).await?;
        let pg_conns = connections.min(2000);
        let pg_active = active.min(500);
        let pg_rate = rate.min(500);
        let (mut l, n, sent) = scenario(
            &na,
            &nb,
            &store,
            Load { connections: pg_conns, active: pg_active, rate: pg_rate, seconds },
            None,
        )
        .await?;
        println!(
            "  {pg_conns} sockets, {pg_rate}/s: delivered {n}/{sent}: cross-node p50 {:.1} ms, p99 {:.1} ms",
            pct(&mut l, 0.5),
            pct(&mut l, 0.99)
        );
        na.child.kill().ok();
        nb.child.kill().ok();
        drop(store);
        sqlx::query(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")).execute(&pool).await.ok();
    }
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}
