//! Latency of routing decisions (路由 / 分配) on one thread.
//!
//! Run with `cargo run --release -p kefu-core --example bench_routing`. Builds 500 online agents in 20
//! skill groups (one VIP-dedicated, one English, the rest by category; each agent in 1–3 groups, mixed
//! loads, some at capacity) and 5,000 waiting requests (chats and tickets, VIP, priorities, languages,
//! sticky agents, placed or not yet placed). Measures:
//! * single decisions, `select_group` (when not yet placed) + `choose_agent`, over 20,000 varied requests:
//!   p50 / p99 / max in µs;
//! * `route_batch` over all 5,000 waiting requests, on a fresh copy of the agents each run.
//!
//! Target: a routing decision among 500 online agents and 5,000 waiting requests under 1 ms p99.

use std::hint::black_box;
use std::time::{Duration, Instant};

use kefu_core::routing::{
    choose_agent, queue_order, route_batch, select_group, AgentState, Capacity, GroupMatch, Load, Membership,
    Presence, Request, SkillGroup, Strategy, WorkKind,
};
use kefu_core::ticket::{Channel, Priority};
use kefu_core::time::Millis;

const AGENTS: usize = 500;
const GROUPS: i64 = 20;
const WAITING: usize = 5_000;
const DECISIONS: usize = 20_000;
const BATCH_RUNS: usize = 20;
const SHOP: Option<i64> = Some(1);
const NOW: Millis = Millis(1_780_000_000_000);

/// A small deterministic generator (SplitMix64), so runs are comparable.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const CATEGORIES: [&str; 9] = [
    "presales",
    "order",
    "logistics",
    "after_sales",
    "complaint",
    "account",
    "payment",
    "product_quality",
    "technical_support",
];
const SUB_CATEGORIES: [&str; 4] =
    ["after_sales_return", "after_sales_exchange", "after_sales_refund_only", "after_sales_repair"];

fn groups() -> Vec<SkillGroup> {
    (0..GROUPS)
        .map(|i| {
            let strategy =
                [Strategy::LeastLoaded, Strategy::RoundRobin, Strategy::SkillPriority][i as usize % 3];
            let mut matching = GroupMatch::default();
            let mut vip_dedicated = false;
            match i {
                0 => {
                    vip_dedicated = true;
                    matching.member_tiers = vec!["vip".into(), "diamond".into()];
                }
                1 => matching.languages = vec!["en".into()],
                19 => {} // the catch-all group
                _ => matching.categories = vec![CATEGORIES[i as usize % CATEGORIES.len()].to_string()],
            }
            if i % 4 == 2 {
                matching.channels = vec![Channel::Chat, Channel::App];
            }
            let overflow = (i % 5 == 3).then_some(19);
            SkillGroup {
                id: 100 + i,
                merchant_id: SHOP,
                name: format!("技能组{i}"),
                position: i as i32,
                strategy,
                matching,
                vip_dedicated,
                overflow_to: overflow.map(|g| 100 + g),
                overflow_after_secs: overflow.map(|_| 60),
            }
        })
        .collect()
}

fn agents(rng: &mut SplitMix) -> Vec<AgentState> {
    (0..AGENTS)
        .map(|i| {
            let user_id = 1_000 + i as i64;
            let mut group_ids = vec![100 + (i as i64 % GROUPS)];
            for _ in 0..rng.below(3) {
                let g = 100 + rng.below(GROUPS as u64) as i64;
                if !group_ids.contains(&g) {
                    group_ids.push(g);
                }
            }
            let memberships = group_ids
                .iter()
                .map(|&group_id| Membership {
                    group_id,
                    user_id,
                    skill_level: 1 + rng.below(5) as u8,
                    priority: rng.below(4) as u8,
                })
                .collect();
            let certified_groups = group_ids.iter().copied().filter(|_| rng.chance(90)).collect();
            let capacity = Capacity { max_chats: if rng.chance(20) { 8 } else { 5 }, max_tickets: 30 };
            // Mixed loads, some agents already at capacity.
            let load = Load {
                chats: rng.below(u64::from(capacity.max_chats) + 1) as u32,
                tickets: rng.below(u64::from(capacity.max_tickets) + 1) as u32,
            };
            let mut languages = vec!["zh".to_string()];
            if rng.chance(15) {
                languages.push("en".to_string());
            }
            AgentState {
                user_id,
                merchant_id: SHOP,
                presence: Presence::Online,
                memberships,
                certified_groups,
                capacity,
                load,
                last_assigned_at: rng.chance(90).then(|| NOW.plus_ms(-(rng.below(3_600_000) as i64))),
                languages,
            }
        })
        .collect()
}

fn requests(rng: &mut SplitMix, n: usize) -> Vec<Request> {
    (0..n)
        .map(|i| {
            let category = if rng.chance(10) {
                None
            } else if rng.chance(30) {
                Some(SUB_CATEGORIES[rng.below(SUB_CATEGORIES.len() as u64) as usize].to_string())
            } else {
                Some(CATEGORIES[rng.below(CATEGORIES.len() as u64) as usize].to_string())
            };
            let placed = rng.chance(70);
            Request {
                id: i as i64 + 1,
                merchant_id: SHOP,
                kind: if rng.chance(60) { WorkKind::Chat } else { WorkKind::Ticket },
                channel: Channel::ALL[rng.below(Channel::ALL.len() as u64) as usize],
                category,
                priority: Priority::ALL[rng.below(4) as usize],
                vip: rng.chance(5),
                member_tier: rng
                    .chance(20)
                    .then(|| ["silver", "gold", "diamond"][rng.below(3) as usize].into()),
                language: if rng.chance(10) { Some("en".into()) } else { Some("zh".into()) },
                arrived_at: NOW.plus_ms(-(rng.below(900_000) as i64)),
                queued_at: None,
                sticky_agent: rng.chance(30).then(|| 1_000 + rng.below(AGENTS as u64) as i64),
                group_id: placed.then(|| 100 + rng.below(GROUPS as u64) as i64),
                passed_over: Vec::new(),
            }
        })
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn main() {
    let mut rng = SplitMix(0x6B65_6675);
    let groups = groups();
    let agents = agents(&mut rng);
    let waiting = requests(&mut rng, WAITING);
    let probes = requests(&mut rng, DECISIONS);

    println!(
        "routing: {} online agents in {} skill groups, {} waiting requests, one thread",
        agents.len(),
        groups.len(),
        waiting.len()
    );
    println!("target: a routing decision among 500 online agents and 5,000 waiting requests under 1 ms p99");

    // Single decisions: place the request if needed, then choose among all 500 agents.
    let decide = |r: &Request| {
        let group = match r.group_id {
            Some(id) => groups.iter().find(|g| g.id == id),
            None => select_group(&groups, r),
        };
        group.map(|g| choose_agent(g, r, &agents, NOW).map(|c| c.agent_id))
    };
    for r in probes.iter().take(2_000) {
        black_box(decide(black_box(r))); // warm up
    }
    let mut times = Vec::with_capacity(probes.len());
    let mut chosen = 0usize;
    for r in &probes {
        let started = Instant::now();
        let out = black_box(decide(black_box(r)));
        times.push(started.elapsed());
        chosen += usize::from(matches!(out, Some(Ok(_))));
    }
    times.sort();
    let p50 = percentile(&times, 0.50);
    let p99 = percentile(&times, 0.99);
    let max = *times.last().expect("decisions");
    println!(
        "single decision (select_group + choose_agent), {} decisions ({} assigned): p50 {:.2} µs  p99 {:.2} µs  max {:.2} µs",
        times.len(),
        chosen,
        us(p50),
        us(p99),
        us(max)
    );

    // Queue order of the 5,000 waiting requests.
    let started = Instant::now();
    let order = black_box(queue_order(black_box(&waiting)));
    println!(
        "queue_order over {} waiting requests: {:.2} ms",
        order.len(),
        started.elapsed().as_secs_f64() * 1e3
    );

    // A batch over all 5,000 waiting requests, on a fresh copy of the agents each run.
    let mut runs = Vec::with_capacity(BATCH_RUNS);
    let mut assigned = 0;
    for _ in 0..BATCH_RUNS {
        let mut copy = agents.clone();
        let started = Instant::now();
        let out = black_box(route_batch(&groups, black_box(&waiting), &mut copy, NOW));
        runs.push(started.elapsed());
        assigned = out.len();
    }
    runs.sort();
    let median = percentile(&runs, 0.5);
    println!(
        "route_batch over {} waiting requests ({} assigned, rest at capacity): median {:.2} ms  max {:.2} ms  ({:.2} µs per request)",
        waiting.len(),
        assigned,
        median.as_secs_f64() * 1e3,
        runs.last().expect("runs").as_secs_f64() * 1e3,
        us(median) / waiting.len() as f64
    );
    let verdict = if p99 < Duration::from_millis(1) { "met" } else { "MISSED" };
    println!("target {verdict}: p99 {:.2} µs against 1,000 µs", us(p99));
}
