//! `kefu-bench-routing`: the router under a steady stream of arrivals. Prints figures; asserts nothing.
//! Run through `scripts/bench-routing.sh`.
//!
//! On a fresh SQLite database: `--agents` agents (default 200) in 10 skill groups, certified and online,
//! and the real router (`kefu_server::routing::run_router`) running as `kefu serve` runs it. Tickets
//! arrive through the ordinary service path at `--per-minute` (default 2,000) for `--seconds`. Printed:
//! the time from a ticket's arrival to its assignment by the router (p50/p99/max), and how many were
//! assigned. Chats take the same router and rules (as chats, against the chat capacity).

#[path = "../bench_kit.rs"]
mod bench_kit;

use clap::Parser;
use kefu_core::authz::{Action, Scope};
use kefu_core::org::Role;
use kefu_core::routing::{Capacity, Membership, Presence, SkillGroup, Strategy};
use kefu_core::time::Millis;
use kefu_store::{AuditCtx, NewUser};
use sqlx::Row;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(name = "kefu-bench-routing", about = "kefu router benchmark: prints figures")]
struct Opts {
    #[arg(long, default_value_t = 200)]
    agents: usize,
    #[arg(long, default_value_t = 2_000)]
    per_minute: u64,
    #[arg(long, default_value_t = 30)]
    seconds: u64,
}

fn main() -> anyhow::Result<()> {
    let opts = Opts::parse();
    bench_kit::runtime()?.block_on(run(opts))
}

async fn run(opts: Opts) -> anyhow::Result<()> {
    let bench_kit::Fresh { state, url, dir } = bench_kit::fresh_sqlite("kefu-bench-routing").await?;
    let ctx = AuditCtx::operator("bench", kefu_server::auth::now());
    println!(
        "kefu router benchmark — {} agents in 10 skill groups, {} tickets/minute for {} s",
        opts.agents, opts.per_minute, opts.seconds
    );

    // Ten groups by category; every agent a certified, online member of one, with room for the run.
    let cats = [
        "presales",
        "order",
        "logistics",
        "after_sales",
        "complaint",
        "account",
        "payment",
        "product_quality",
        "technical_support",
        "suggestion",
    ];
    let mut groups = Vec::new();
    for (i, c) in cats.iter().enumerate() {
        let g = SkillGroup {
            id: 0,
            merchant_id: None,
            name: format!("组{i}"),
            position: i as i32,
            strategy: if i % 2 == 0 { Strategy::LeastLoaded } else { Strategy::RoundRobin },
            matching: kefu_core::routing::GroupMatch {
                categories: vec![c.to_string()],
                ..Default::default()
            },
            vip_dedicated: false,
            overflow_to: None,
            overflow_after_secs: None,
        };
        groups.push(state.store.create_group(&Scope::operator(Action::RoutingManage), &ctx, g).await?);
    }
    let mut members: Vec<Vec<Membership>> = vec![Vec::new(); groups.len()];
    for i in 0..opts.agents {
        let u = state
            .store
            .create_user(
                &Scope::operator(Action::UserManage),
                &ctx,
                NewUser {
                    username: format!("bench.agent{i}"),
                    display_name: format!("客服{i}"),
                    role: Role::Agent,
                    merchant_id: None,
                    team_id: None,
                    department_id: None,
                    supervisor_id: None,
                    password_hash: "x".into(),
                },
            )
            .await?;
        let g = &groups[i % groups.len()];
        members[i % groups.len()].push(Membership {
            group_id: g.id,
            user_id: u.id,
            skill_level: 3,
            priority: 5,
        });
        state
            .store
            .grant_certification(&Scope::operator(Action::CertificationGrant), &ctx, u.id, g.id, "bench")
            .await?;
        state
            .store
            .set_capacity(
                &Scope::operator(Action::RoutingManage),
                &ctx,
                u.id,
                Capacity { max_chats: 5, max_tickets: 1000 },
            )
            .await?;
        state.store.set_presence(&ctx, u.id, None, &Presence::Online).await?;
    }
    for (g, m) in groups.iter().zip(members) {
        state.store.set_members(&Scope::operator(Action::RoutingManage), &ctx, g.id, m).await?;
    }

    let router = tokio::spawn(kefu_server::routing::run_router(state.clone()));
    let scope = Scope::operator(Action::TicketWork);
    let actor = kefu_core::ticket::Actor::System { name: "bench".into() };
    let interval = Duration::from_micros(60_000_000 / opts.per_minute.max(1));
    let total = opts.per_minute * opts.seconds / 60;
    let start = Instant::now();
    let mut created = Vec::new();
    for i in 0..total {
        let due = start + interval * i as u32;
        tokio::time::sleep_until(due.into()).await;
        let c = AuditCtx::operator("bench", kefu_server::auth::now());
        let d = kefu_server::tickets::Draft {
            merchant_id: None,
            customer_id: None,
            channel: kefu_core::ticket::Channel::Web,
            subject: format!("咨询 {i}"),
            body: String::new(),
            priority: kefu_core::ticket::Priority::Normal,
            category: Some(cats[i as usize % cats.len()].to_string()),
            tags: vec![],
            order_numbers: vec![],
            custom_fields: serde_json::json!({}),
            follow_up_of: None,
        };
        let t = kefu_server::tickets::create(&state, &scope, &c, actor.clone(), d)
            .await
            .map_err(|e| anyhow::anyhow!(e.message))?;
        created.push(t.id);
    }
    let arrival_secs = start.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(2)).await;
    router.abort();

    let pool = kefu_store::sqlite::SqliteStore::connect(&url).await?;
    let rows = sqlx::query(
        "SELECT t.id, t.created_at, (SELECT MIN(e.at) FROM ticket_events e WHERE e.ticket_id = t.id AND e.kind = 'routed') AS routed_at \
         FROM tickets t",
    )
    .fetch_all(pool.raw_pool())
    .await?;
    let mut lags: Vec<i64> = Vec::new();
    for r in &rows {
        let created_at: i64 = r.try_get("created_at")?;
        if let Some(at) = r.try_get::<Option<i64>, _>("routed_at")? {
            lags.push(at - created_at);
        }
    }
    lags.sort_unstable();
    let pct = |p: f64| lags.get(((lags.len() as f64 - 1.0) * p).round() as usize).copied().unwrap_or(-1);
    println!(
        "arrived: {} tickets in {:.1} s ({:.0}/minute)",
        created.len(),
        arrival_secs,
        created.len() as f64 / arrival_secs * 60.0
    );
    println!("assigned by the router: {} of {}", lags.len(), created.len());
    println!(
        "arrival to assignment: p50 {} ms, p99 {} ms, max {} ms   (target: median under 50 ms)",
        pct(0.5),
        pct(0.99),
        lags.last().copied().unwrap_or(-1)
    );
    let _ = Millis(0);
    drop(state);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
