//! `kefu-bench-sla`: the SLA scheduler benchmark. Prints figures; asserts nothing. Run through
//! `scripts/bench-sla.sh`.
//!
//! On a fresh SQLite database: `--tickets` open tickets (default 1,000,000) with live timers — all but
//! `--due` of them loaded in bulk with timers 1–30 days ahead, and `--due` tickets created through the
//! ordinary service path under a 20-second first-response policy, so their breaches fall due over the
//! next seconds. The real scheduler (`kefu_server::sla::run_scheduler`) then runs until every one of
//! them has breached. Printed: how late each breach was recorded after its due instant (p50/p99/max),
//! the process's memory with all timers live, the cost of an idle scheduler round with a million timers,
//! and the query plans showing that a round reads the timer index, never the open tickets.

#[path = "../bench_kit.rs"]
mod bench_kit;

use anyhow::Context;
use clap::Parser;
use kefu_core::authz::{Action, Scope};
use kefu_core::time::Millis;
use kefu_store::AuditCtx;
use sqlx::Row;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(name = "kefu-bench-sla", about = "kefu SLA scheduler benchmark: prints figures")]
struct Opts {
    /// Open tickets with live timers.
    #[arg(long, default_value_t = 1_000_000)]
    tickets: i64,
    /// Of those, tickets whose breach falls due during the run.
    #[arg(long, default_value_t = 1_000)]
    due: i64,
}

fn rss_kib(field: &str) -> i64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(-1)
}

fn mib(kib: i64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn main() -> anyhow::Result<()> {
    let opts = Opts::parse();
    bench_kit::runtime()?.block_on(run(opts))
}

async fn run(opts: Opts) -> anyhow::Result<()> {
    let bench_kit::Fresh { state, url, dir } = bench_kit::fresh_sqlite("kefu-bench-sla").await?;
    println!(
        "kefu SLA scheduler benchmark — {} open tickets with live timers, {} falling due",
        opts.tickets, opts.due
    );
    println!("database: SQLite in {}", dir.display());
    let rss_start = rss_kib("VmRSS:");

    // The policy under test: phone tickets, first response within 20 s, counted 7×24.
    let now = kefu_server::auth::now();
    let ctx = AuditCtx::operator("bench", now);
    let all_day = kefu_server::sla::default_calendars().remove(2);
    let cal = state.store.create_calendar(&Scope::operator(Action::SlaManage), &ctx, all_day).await?;
    let policy = kefu_core::sla::SlaPolicy {
        id: 0,
        merchant_id: None,
        name: "基准：电话 20 秒".into(),
        position: 0,
        active: true,
        conditions: kefu_core::sla::Conditions {
            channels: vec![kefu_core::ticket::Channel::Phone],
            ..Default::default()
        },
        targets: kefu_core::sla::Targets {
            first_response_secs: Some(20),
            next_response_secs: None,
            resolution_secs: None,
        },
        calendar_id: Some(cal.id),
        pause_when_pending: true,
        warn_percent: 75,
        breach_actions: vec![kefu_core::sla::BreachAction::EscalateTier],
    };
    state.store.create_policy(&Scope::operator(Action::SlaManage), &ctx, policy).await?;
    kefu_server::sla::refresh(&state).await.map_err(|e| anyhow::anyhow!(e.message))?;

    // The bulk: rows copied from one real ticket, each with a timer 1–30 days ahead.
    let bulk = opts.tickets - opts.due;
    let t0 = Instant::now();
    let scope = Scope::operator(Action::TicketWork);
    let draft = |i: i64| kefu_server::tickets::Draft {
        merchant_id: None,
        customer_id: None,
        channel: kefu_core::ticket::Channel::Phone,
        subject: format!("来电咨询 {i}"),
        body: String::new(),
        priority: kefu_core::ticket::Priority::Normal,
        category: None,
        tags: vec![],
        order_numbers: vec![],
        custom_fields: serde_json::json!({}),
        follow_up_of: None,
    };
    let actor = kefu_core::ticket::Actor::System { name: "bench".into() };
    let template = kefu_server::tickets::create(&state, &scope, &ctx, actor.clone(), draft(0))
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
    let pool = kefu_store::sqlite::SqliteStore::connect(&url).await?;
    let pool = pool.raw_pool();
    let far = now.0 + 86_400_000;
    sqlx::query(
        "INSERT INTO tickets (number, merchant_id, customer_id, channel, subject, status, priority, tier, category, \
         created_at, updated_at, version, custom_fields, state) \
         WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < $1) \
         SELECT 'KFB' || x, merchant_id, customer_id, channel, subject, status, priority, tier, category, created_at, \
         updated_at, version, custom_fields, state FROM seq, tickets WHERE tickets.id = $2",
    )
    .bind(bulk - 1)
    .bind(template.id)
    .execute(pool)
    .await?;
    sqlx::query(
        "INSERT INTO sla_timers (ticket_id, merchant_id, due_at) \
         SELECT id, NULL, $1 + (id * 2593) % 2592000000 FROM tickets WHERE number LIKE 'KFB%'",
    )
    .bind(far)
    .execute(pool)
    .await?;
    sqlx::query("UPDATE sla_timers SET due_at = $1 WHERE ticket_id = $2")
        .bind(far)
        .bind(template.id)
        .execute(pool)
        .await?;
    sqlx::query("ANALYZE").execute(pool).await?;
    println!("loaded {bulk} tickets with timers in {:.1} s", t0.elapsed().as_secs_f64());

    // The tickets that fall due: created through the service path over a few seconds.
    let t0 = Instant::now();
    let mut due_ids = Vec::new();
    for i in 0..opts.due {
        let c = AuditCtx::operator("bench", kefu_server::auth::now());
        let t = kefu_server::tickets::create(&state, &scope, &c, actor.clone(), draft(i + 1))
            .await
            .map_err(|e| anyhow::anyhow!(e.message))?;
        due_ids.push(t.id);
    }
    let created_in = t0.elapsed();
    let timers = state.store.sla_timer_count().await?;
    println!("created {} due tickets in {:.1} s; live timers: {timers}", opts.due, created_in.as_secs_f64());

    // Idle rounds with a million timers: what the scheduler asks each time it wakes.
    let probe = Millis(now.0 - 3_600_000);
    let rounds = 2000;
    let t0 = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(state.store.sla_next_due().await?);
        std::hint::black_box(state.store.sla_due(probe, 200).await?);
    }
    let per_round = t0.elapsed().as_secs_f64() * 1e6 / f64::from(rounds);
    for (what, sql) in [
        ("earliest timer", "EXPLAIN QUERY PLAN SELECT due_at FROM sla_timers ORDER BY due_at LIMIT 1"),
        (
            "due timers",
            "EXPLAIN QUERY PLAN SELECT ticket_id FROM sla_timers WHERE due_at <= 0 ORDER BY due_at LIMIT 200",
        ),
    ] {
        let rows = sqlx::query(sql).fetch_all(pool).await?;
        let plan: Vec<String> = rows.iter().filter_map(|r| r.try_get::<String, _>("detail").ok()).collect();
        println!("query plan, {what}: {}", plan.join("; "));
    }
    println!("idle scheduler round (earliest timer + due timers) with {timers} timers: {per_round:.0} µs");

    // The scheduler, as `kefu serve` runs it.
    let sched = tokio::spawn(kefu_server::sla::run_scheduler(state.clone()));
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut peak_rss = 0;
    let breached = loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        peak_rss = peak_rss.max(rss_kib("VmRSS:"));
        let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM ticket_events WHERE kind = 'sla_breached'")
            .fetch_one(pool)
            .await?
            .try_get("n")?;
        if n >= opts.due || Instant::now() > deadline {
            break n;
        }
    };
    sched.abort();

    // How late each breach was recorded after its due instant.
    let rows = sqlx::query("SELECT at, payload FROM ticket_events WHERE kind = 'sla_breached'")
        .fetch_all(pool)
        .await
        .context("reading the breach events")?;
    let mut lags: Vec<i64> = Vec::new();
    for r in &rows {
        let at: i64 = r.try_get("at")?;
        let payload: String = r.try_get("payload")?;
        let v: serde_json::Value = serde_json::from_str(&payload)?;
        let due = v
            .pointer("/kind/due_at")
            .or_else(|| v.get("due_at"))
            .and_then(|d| d.as_str())
            .and_then(Millis::parse_rfc3339);
        if let Some(d) = due {
            lags.push(at - d.0);
        }
    }
    lags.sort_unstable();
    let pct = |p: f64| lags.get(((lags.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or(-1);
    println!(
        "breaches recorded: {breached} of {} (each once: {})",
        opts.due,
        if rows.len() as i64 == breached { "yes" } else { "NO" }
    );
    println!(
        "breach detected after its due instant: p50 {} ms, p99 {} ms, max {} ms   (target: within 2000 ms)",
        pct(0.5),
        pct(0.99),
        lags.last().copied().unwrap_or(-1)
    );
    println!(
        "memory of the process with {timers} live timers: RSS {} at start, peak {} while the scheduler ran, high-water {}   (target: scheduler under 200 MB)",
        mib(rss_start),
        mib(peak_rss),
        mib(rss_kib("VmHWM:"))
    );
    println!("the scheduler keeps no per-ticket state in memory: timers are rows of sla_timers, read through its due_at index");
    drop(state);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
