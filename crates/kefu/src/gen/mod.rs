//! Realistic demo tickets (演示工单) of a Chinese e-commerce service desk, generated deterministically.
//!
//! A ticket is never drawn as a state. Each one is the outcome of a plausible script — a customer writes
//! in through a channel, the dispatcher queues it, an agent takes and answers it, the customer follows
//! up, a colleague adds a note, the ticket is transferred, escalated, waits on another department, is
//! resolved and closed — run command by command through [`kefu_core::ticket::decide`]; the state is
//! [`rebuild`] of the events. So every event log is one the state machine allows. The tags and order
//! numbers given at creation are recorded the way the server's `create` records them: `TagsChanged` and
//! `OrdersChanged` events right after `Created`, by the same actor at the same instant.
//!
//! Determinism: ticket `i` depends only on the seed, `i`, the organisation, its creation instant and
//! number, and `now` (which bounds its timeline). Creation instants come from a [`Schedule`] spreading
//! the tickets over the last days with a daily rhythm (Shanghai hours), weekends and two promotion days
//! (大促), in increasing order, so ticket ids, numbers and creation times sort alike.

pub mod content;

use content::{
    Scenario, ShopKind, CATEGORY_WEIGHTS, CITIES, COUPONS, CUSTOMER_GENERIC, CUSTOMER_NUDGES,
    CUSTOMER_REOPEN, CUSTOMER_THANKS, DIGITAL_PRODUCTS, ESCALATION_REASONS, EXPRESS, FRESH_PRODUCTS,
    GIVEN_NAMES, NOTES_GENERIC, PHONE_NOTES, SCENARIOS, STAFF_GENERIC, STAFF_REOPEN_REPLIES, SURNAMES,
    TRANSFER_REASONS,
};
use kefu_core::org::Role;
use kefu_core::ticket::{
    apply_all, decide, rebuild, Actor, Assignee, Channel, NewTicket, Priority, TicketCommand, TicketEvent,
    TicketEventKind, TicketNumber, TicketPolicy, TicketState, TicketStatus, Tier, AFTER_SALES,
    AFTER_SALES_EXCHANGE, AFTER_SALES_REFUND_ONLY, AFTER_SALES_REPAIR, AFTER_SALES_RETURN, COMPLAINT,
    PRESALES,
};
use kefu_core::time::Millis;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const MINUTE: i64 = Millis::MINUTE;
const HOUR: i64 = Millis::HOUR;
const DAY: i64 = Millis::DAY;
/// Shanghai is UTC+8 all year.
const SHANGHAI_OFFSET: i64 = 8 * HOUR;

/// A staff member tickets can be handled by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRef {
    pub user_id: i64,
    pub role: Role,
    pub team_id: Option<i64>,
}

impl StaffRef {
    fn actor(&self) -> Actor {
        Actor::Staff { user_id: self.user_id, role: self.role }
    }

    fn assignee(&self) -> Assignee {
        Assignee { user_id: Some(self.user_id), team_id: self.team_id }
    }
}

/// A customer tickets can belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustomerRef {
    pub id: i64,
    pub vip: bool,
}

/// One merchant (入驻商家) with the people its tickets involve.
#[derive(Debug, Clone)]
pub struct ShopRefs {
    pub merchant_id: i64,
    pub kind: ShopKind,
    /// 售前组 and 售后组 queues.
    pub presales_team: Option<i64>,
    pub aftersales_team: Option<i64>,
    /// Agents answering pre-sales questions, and everything else.
    pub presales: Vec<StaffRef>,
    pub aftersales: Vec<StaffRef>,
    /// Supervisors: escalations, transfers, department answers.
    pub supervisors: Vec<StaffRef>,
    pub customers: Vec<CustomerRef>,
}

/// The organisation tickets are generated for.
#[derive(Debug, Clone)]
pub struct OrgRefs {
    pub shops: Vec<ShopRefs>,
    /// Department code → id, for department tasks (跨部门协作).
    pub departments: Vec<(String, i64)>,
}

/// Hour-of-day weights of incoming tickets, Shanghai time: quiet at night, busy mornings and evenings.
const HOUR_WEIGHTS: [f64; 24] = [
    2.0, 1.2, 0.7, 0.4, 0.3, 0.3, 0.6, 1.5, 3.5, 6.0, 7.5, 7.5, 6.5, 6.5, 7.0, 7.0, 6.8, 6.0, 5.5, 6.5, 8.5,
    9.5, 8.0, 4.5,
];

fn hour_total() -> f64 {
    HOUR_WEIGHTS.iter().sum()
}

/// The share of a day's tickets that arrive in its first `ms` milliseconds.
fn day_cdf(ms: i64) -> f64 {
    let ms = ms.clamp(0, DAY);
    let full = (ms / HOUR) as usize;
    let mut acc: f64 = HOUR_WEIGHTS[..full].iter().sum();
    if full < 24 {
        acc += HOUR_WEIGHTS[full] * (ms % HOUR) as f64 / HOUR as f64;
    }
    acc / hour_total()
}

/// The instant into the day by which a share `q` of the day's tickets has arrived (inverse of [`day_cdf`]).
fn day_time(q: f64) -> i64 {
    let mut target = q.clamp(0.0, 1.0) * hour_total();
    for (h, w) in HOUR_WEIGHTS.iter().enumerate() {
        if target <= *w || h == 23 {
            let frac = if *w > 0.0 { (target / w).clamp(0.0, 1.0) } else { 0.0 };
            return (h as i64 * HOUR + (frac * HOUR as f64) as i64).min(DAY - 1);
        }
        target -= w;
    }
    DAY - 1
}

/// Midnight in Shanghai of the day `at` falls on.
pub fn shanghai_day_start(at: Millis) -> Millis {
    Millis((at.0 + SHANGHAI_OFFSET).div_euclid(DAY) * DAY - SHANGHAI_OFFSET)
}

/// One day of the schedule: tickets `first_index .. first_index + count`, created that day in order.
#[derive(Debug, Clone, PartialEq)]
pub struct DaySlot {
    /// Midnight in Shanghai.
    pub day_start: Millis,
    pub first_index: u64,
    pub count: u64,
    /// A promotion day (大促): more tickets, tagged.
    pub promo: bool,
    /// The share of the day's rhythm that lies before the end of generation (1 except for today).
    q_max: f64,
}

impl DaySlot {
    /// The creation instant of the day's `k`-th ticket (0-based), increasing with `k`.
    pub fn created_at(&self, k: u64) -> Millis {
        let q = (k as f64 + 0.5) / self.count.max(1) as f64 * self.q_max;
        Millis(self.day_start.0 + day_time(q))
    }
}

/// When the tickets were created: `total` tickets over the `days` Shanghai days up to `now` (today
/// included, up to a few minutes before `now`).
#[derive(Debug, Clone)]
pub struct Schedule {
    pub today_start: Millis,
    pub days: Vec<DaySlot>,
}

impl Schedule {
    pub fn new(total: u64, now: Millis, days: u32, seed: u64) -> Schedule {
        let days = days.max(1) as i64;
        let today_start = shanghai_day_start(now);
        let mut rng = StdRng::seed_from_u64(mix(seed, 0x5c4e_d01e));
        // Two promotion days, neither today nor yesterday.
        let promos: Vec<i64> =
            if days >= 10 { (0..2).map(|_| rng.gen_range(0..days - 2)).collect() } else { Vec::new() };
        let mut weights = Vec::new();
        let mut slots = Vec::new();
        for d in 0..days {
            let day_start = Millis(today_start.0 - (days - 1 - d) * DAY);
            let q_max =
                if day_start == today_start { day_cdf(now.0 - 5 * MINUTE - day_start.0) } else { 1.0 };
            let weekday = ((day_start.0 + SHANGHAI_OFFSET).div_euclid(DAY) + 3).rem_euclid(7);
            let weekend = if weekday >= 5 { 1.2 } else { 1.0 };
            let trend = 0.85 + 0.3 * d as f64 / days as f64;
            let promo = promos.contains(&d);
            let w = trend * weekend * if promo { 2.5 } else { 1.0 } * q_max;
            weights.push(w);
            slots.push(DaySlot { day_start, first_index: 0, count: 0, promo, q_max });
        }
        // Largest remainder, so the counts add up exactly.
        let sum: f64 = weights.iter().sum();
        let mut counts: Vec<u64> = Vec::new();
        let mut rema: Vec<(f64, usize)> = Vec::new();
        for (i, w) in weights.iter().enumerate() {
            let exact = if sum > 0.0 { total as f64 * w / sum } else { 0.0 };
            counts.push(exact.floor() as u64);
            rema.push((exact - exact.floor(), i));
        }
        let mut left = total.saturating_sub(counts.iter().sum());
        rema.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal).then(a.1.cmp(&b.1)));
        for (_, i) in rema.iter().cycle() {
            if left == 0 {
                break;
            }
            counts[*i] += 1;
            left -= 1;
        }
        let mut next = 0;
        for (slot, c) in slots.iter_mut().zip(counts) {
            slot.first_index = next;
            slot.count = c;
            next += c;
        }
        Schedule { today_start, days: slots }
    }

    pub fn total(&self) -> u64 {
        self.days.iter().map(|d| d.count).sum()
    }
}

/// SplitMix64 of `seed` and `i`: independent, well-mixed seeds per ticket.
pub fn mix(seed: u64, i: u64) -> u64 {
    let mut z = seed ^ i.wrapping_mul(0x9e37_79b9_7f4a_7c15).wrapping_add(0x6a09_e667_f3bc_c909);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A Chinese personal name for the `i`-th generated customer.
pub fn customer_name(seed: u64, i: u64) -> String {
    let mut rng = StdRng::seed_from_u64(mix(seed ^ 0xc05_7031, i));
    format!("{}{}", pick(&mut rng, &SURNAMES), pick(&mut rng, &GIVEN_NAMES))
}

/// A member tier (会员等级) and VIP flag for the `i`-th generated customer.
pub fn customer_tier(seed: u64, i: u64) -> (&'static str, bool) {
    let mut rng = StdRng::seed_from_u64(mix(seed ^ 0x71e5, i));
    match rng.gen_range(0..100) {
        0..=59 => ("regular", false),
        60..=79 => ("silver", false),
        80..=92 => ("gold", false),
        _ => ("diamond", true),
    }
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.gen_range(0..items.len())]
}

/// Index by weight.
fn weighted(rng: &mut StdRng, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut x = rng.gen_range(0..total.max(1));
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

fn chance(rng: &mut StdRng, p: f64) -> bool {
    rng.gen_bool(p.clamp(0.0, 1.0))
}

/// A duration between `lo` and `hi` ms, skewed towards the short end (most answers come quickly).
fn gap(rng: &mut StdRng, lo: i64, hi: i64) -> i64 {
    let u: f64 = rng.gen();
    lo + ((hi - lo) as f64 * u * u) as i64
}

/// The place-holder values of one ticket.
struct Fill {
    product: &'static str,
    amount: String,
    order: String,
    express: &'static str,
    tracking: String,
    days: u32,
    city: &'static str,
    coupon: &'static str,
    opening: String,
}

impl Fill {
    fn new(rng: &mut StdRng, kind: ShopKind) -> Fill {
        let products: &[(&str, u32, u32)] = match kind {
            ShopKind::Digital => &DIGITAL_PRODUCTS,
            ShopKind::Fresh => &FRESH_PRODUCTS,
        };
        let (product, lo, hi) = *pick(rng, products);
        let e = rng.gen_range(0..EXPRESS.len());
        let prefix = match e {
            0 => "SF",
            2 => "YT",
            5 => "JD",
            6 => "JT",
            _ => "7",
        };
        let city = *pick(rng, &CITIES);
        let coupon = *pick(rng, &COUPONS);
        Fill {
            product,
            amount: format!("{}.00", rng.gen_range(lo..=hi)),
            order: order_number(rng),
            express: EXPRESS[e],
            tracking: format!("{prefix}{:013}", rng.gen_range(0..10_000_000_000_000u64)),
            days: rng.gen_range(2..=9),
            city,
            coupon,
            opening: String::new(),
        }
    }

    fn fill(&self, template: &str) -> String {
        if !template.contains('{') {
            return template.to_string();
        }
        template
            .replace("{product}", self.product)
            .replace("{amount}", &self.amount)
            .replace("{order}", &self.order)
            .replace("{express}", self.express)
            .replace("{tracking}", &self.tracking)
            .replace("{days}", &self.days.to_string())
            .replace("{city}", self.city)
            .replace("{coupon}", self.coupon)
            .replace("{opening}", &self.opening)
    }
}

/// A 14-digit order number (订单号).
pub fn order_number(rng: &mut StdRng) -> String {
    rng.gen_range(10_000_000_000_000u64..100_000_000_000_000u64).to_string()
}

/// A customer's first contact as a client of the API sends it (`POST /api/v1/tickets`).
#[derive(Debug, Clone)]
#[allow(dead_code)] // used by kefu-bench (src/bin), which includes this module
pub struct SampleTicket {
    pub channel: Channel,
    pub subject: String,
    pub body: String,
    pub priority: Priority,
    pub category: Option<String>,
    pub tags: Vec<String>,
    pub order_numbers: Vec<String>,
}

/// The `i`-th sample first contact for a shop of this kind; the benchmark creates tickets from these.
#[allow(dead_code)] // used by kefu-bench (src/bin), which includes this module
pub fn sample_ticket(seed: u64, i: u64, kind: ShopKind) -> SampleTicket {
    let mut rng = StdRng::seed_from_u64(mix(seed ^ 0xa91, i));
    let fitting: Vec<&Scenario> = SCENARIOS.iter().filter(|s| s.fits.fits(kind)).collect();
    let s = fitting[rng.gen_range(0..fitting.len())];
    let fill = Fill::new(&mut rng, kind);
    let variant = rng.gen_range(0..s.subjects.len());
    SampleTicket {
        channel: [Channel::Chat, Channel::App, Channel::Web, Channel::LeftMessage, Channel::Email]
            [weighted(&mut rng, &[55, 20, 10, 10, 5])],
        subject: fill.fill(s.subjects[variant]),
        body: fill.fill(s.openings[variant % s.openings.len()]),
        priority: [Priority::Low, Priority::Normal, Priority::High][weighted(&mut rng, &[10, 75, 15])],
        // Half are left to the keyword classifier, as channel integrations do.
        category: chance(&mut rng, 0.5).then(|| s.category.to_string()),
        tags: vec![pick(&mut rng, s.tags).to_string()],
        order_numbers: if s.order { vec![fill.order.clone()] } else { Vec::new() },
    }
}

/// How a ticket ends up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    New,
    Open,
    Pending,
    OnHold,
    Resolved,
    Closed,
}

/// One planned step of a ticket's script.
#[derive(Clone)]
enum Act {
    Command(TicketCommand),
    /// Tags or order numbers given at creation, recorded as the server's `create` records them.
    Raw(TicketEventKind),
}

#[derive(Clone)]
struct Step {
    gap: i64,
    actor: Actor,
    act: Act,
    /// For department tasks: due this long after the step.
    due_in: i64,
}

/// A generated ticket: its state (the fold of its events) and its events.
#[derive(Debug, Clone)]
pub struct GeneratedTicket {
    pub state: TicketState,
    pub events: Vec<TicketEvent>,
    /// Messages: customer messages, staff replies and internal notes (the first message included).
    pub messages: u32,
    /// Commands of the script the state machine refused (a bug of the script; always 0 in the tests).
    pub refused: u32,
}

/// Runs a script through the state machine, on virtual time first (to learn its length), then for real.
struct Planner {
    state: TicketState,
    at: i64,
    steps: Vec<Step>,
    refused: u32,
    policy: TicketPolicy,
}

impl Planner {
    fn command_at(cmd: &TicketCommand, at: i64, due_in: i64) -> TicketCommand {
        match cmd {
            TicketCommand::OpenDepartmentTask { department_id, request, .. } => {
                TicketCommand::OpenDepartmentTask {
                    department_id: *department_id,
                    request: request.clone(),
                    due_at: Millis(at + due_in),
                }
            }
            other => other.clone(),
        }
    }

    /// Plans a step: decides it on the current state; a refused step is left out (and counted).
    fn run(&mut self, gap: i64, actor: &Actor, cmd: TicketCommand, due_in: i64) -> bool {
        let at = self.at + gap.max(0);
        let real = Planner::command_at(&cmd, at, due_in);
        match decide(&self.state, &real, actor, Millis(at), &self.policy) {
            Ok(events) => {
                self.state = apply_all(std::mem::take(&mut self.state), &events);
                self.at = at;
                self.steps.push(Step {
                    gap: gap.max(0),
                    actor: actor.clone(),
                    act: Act::Command(cmd),
                    due_in,
                });
                true
            }
            Err(_) => {
                self.refused += 1;
                false
            }
        }
    }

    fn raw(&mut self, actor: &Actor, kind: TicketEventKind) {
        let e = TicketEvent { at: Millis(self.at), actor: actor.clone(), kind: kind.clone() };
        self.state = apply_all(std::mem::take(&mut self.state), [&e]);
        self.steps.push(Step { gap: 0, actor: actor.clone(), act: Act::Raw(kind), due_in: 0 });
    }

    fn status(&self) -> TicketStatus {
        self.state.status
    }

    /// Replays the plan from `created_at`, its gaps shrunk to end by `end` when needed.
    fn replay(self, created_at: Millis, end: Millis) -> GeneratedTicket {
        let planned: i64 = self.steps.iter().map(|s| s.gap).sum();
        let room = (end.0 - created_at.0).max(0);
        let scale = if planned > room && planned > 0 { room as f64 / planned as f64 } else { 1.0 };
        let mut state = TicketState::default();
        let mut events: Vec<TicketEvent> = Vec::new();
        let mut at = created_at.0;
        let mut refused = self.refused;
        for s in self.steps {
            at += (s.gap as f64 * scale) as i64;
            match s.act {
                Act::Command(cmd) => {
                    let real = Planner::command_at(&cmd, at, s.due_in);
                    match decide(&state, &real, &s.actor, Millis(at), &self.policy) {
                        Ok(new) => {
                            state = apply_all(state, &new);
                            events.extend(new);
                        }
                        Err(_) => refused += 1,
                    }
                }
                Act::Raw(kind) => {
                    let e = TicketEvent { at: Millis(at), actor: s.actor, kind };
                    state = apply_all(state, [&e]);
                    events.push(e);
                }
            }
        }
        let messages = events
            .iter()
            .filter(|e| match &e.kind {
                TicketEventKind::Created(n) => !n.body.is_empty(),
                TicketEventKind::StaffReplied { .. }
                | TicketEventKind::CustomerReplied { .. }
                | TicketEventKind::NoteAdded { .. } => true,
                _ => false,
            })
            .count() as u32;
        // The state is always the fold of the log.
        let state = rebuild(&events);
        GeneratedTicket { state, events, messages, refused }
    }
}

/// Who wrote the last message.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Last {
    Customer,
    Staff,
}

/// Generates tickets for an organisation.
pub struct Generator {
    org: OrgRefs,
    seed: u64,
    now: Millis,
    avg_messages: f64,
    policy: TicketPolicy,
    /// Per shop: (scenario index, weight).
    scenarios: Vec<(Vec<usize>, Vec<u32>)>,
}

impl Generator {
    /// A generator for `org`; `now` bounds every timeline; `avg_messages` (≥ 1) is the mean number of
    /// messages per ticket.
    pub fn new(org: OrgRefs, seed: u64, now: Millis, avg_messages: f64) -> Result<Generator, String> {
        if org.shops.is_empty() {
            return Err("no merchant to generate tickets for".into());
        }
        let mut scenarios = Vec::new();
        for shop in &org.shops {
            if shop.customers.is_empty() {
                return Err(format!("merchant {} has no customers", shop.merchant_id));
            }
            if shop.presales.is_empty() && shop.aftersales.is_empty() && shop.supervisors.is_empty() {
                return Err(format!("merchant {} has no service staff", shop.merchant_id));
            }
            let mut idx = Vec::new();
            let mut w = Vec::new();
            for (code, digital, fresh) in CATEGORY_WEIGHTS {
                let weight = match shop.kind {
                    ShopKind::Digital => digital,
                    ShopKind::Fresh => fresh,
                };
                let fitting: Vec<usize> = SCENARIOS
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.category == code && s.fits.fits(shop.kind))
                    .map(|(i, _)| i)
                    .collect();
                for i in &fitting {
                    idx.push(*i);
                    // Split the category's weight among its scenarios (×12 keeps it integral).
                    w.push(weight * 12 / fitting.len() as u32);
                }
            }
            if w.iter().all(|x| *x == 0) {
                return Err(format!("no scenario fits merchant {}", shop.merchant_id));
            }
            scenarios.push((idx, w));
        }
        Ok(Generator {
            org,
            seed,
            now,
            avg_messages: avg_messages.clamp(1.0, 1000.0),
            policy: TicketPolicy::default(),
            scenarios,
        })
    }

    /// The number of messages of one ticket: 1 + a binomial draw, so the mean is `avg_messages`.
    fn message_count(&self, rng: &mut StdRng) -> u32 {
        let extra = self.avg_messages - 1.0;
        if extra <= 0.0 {
            return 1;
        }
        let trials = (2.0 * extra).ceil() as u32;
        let p = extra / trials as f64;
        1 + (0..trials).filter(|_| rng.gen_bool(p)).count() as u32
    }

    fn department(&self, code: &str) -> Option<i64> {
        self.org.departments.iter().find(|(c, _)| c == code).map(|(_, id)| *id)
    }

    /// Generates ticket `index`, created at `created_at` with `number`.
    pub fn ticket(
        &self,
        index: u64,
        created_at: Millis,
        number: TicketNumber,
        promo: bool,
    ) -> GeneratedTicket {
        let mut rng = StdRng::seed_from_u64(mix(self.seed, index));
        let shop_i = rng.gen_range(0..self.org.shops.len());
        let shop = &self.org.shops[shop_i];
        let (idx, weights) = &self.scenarios[shop_i];
        let scenario = &SCENARIOS[idx[weighted(&mut rng, weights)]];
        let age = self.now.0 - created_at.0;
        let outcome = {
            let w: [u32; 6] = if age < 6 * HOUR {
                [28, 34, 16, 5, 12, 5]
            } else if age < 3 * DAY {
                [4, 22, 20, 8, 24, 22]
            } else {
                [1, 4, 4, 3, 10, 78]
            };
            [
                Outcome::New,
                Outcome::Open,
                Outcome::Pending,
                Outcome::OnHold,
                Outcome::Resolved,
                Outcome::Closed,
            ][weighted(&mut rng, &w)]
        };
        let n = self.message_count(&mut rng);
        let mut planner = Planner {
            state: TicketState::default(),
            at: created_at.0,
            steps: Vec::new(),
            refused: 0,
            policy: self.policy,
        };
        Script {
            g: self,
            shop,
            scenario,
            rng,
            fill: None,
            outcome,
            n,
            used: 0,
            last: None,
            said: Vec::new(),
            p: &mut planner,
        }
        .write(number, promo);
        planner.replay(created_at, Millis(self.now.0 - MINUTE))
    }
}

/// Writes one ticket's script into the planner.
struct Script<'a> {
    g: &'a Generator,
    shop: &'a ShopRefs,
    scenario: &'static Scenario,
    rng: StdRng,
    fill: Option<Fill>,
    outcome: Outcome,
    /// Messages to write, and written so far.
    n: u32,
    used: u32,
    last: Option<Last>,
    /// Texts written so far, to avoid saying the same twice.
    said: Vec<String>,
    p: &'a mut Planner,
}

impl Script<'_> {
    fn fill(&self, template: &str) -> String {
        match &self.fill {
            Some(f) => f.fill(template),
            None => template.to_string(),
        }
    }

    /// One of `options`, filled in, preferably one not said yet on this ticket.
    fn text(&mut self, options: &[&str]) -> String {
        let mut t = String::new();
        for _ in 0..4 {
            let template = *pick(&mut self.rng, options);
            t = self.fill(template);
            if !self.said.contains(&t) {
                break;
            }
        }
        self.said.push(t.clone());
        t
    }

    fn supervisor(&mut self, fallback: &StaffRef) -> StaffRef {
        if self.shop.supervisors.is_empty() {
            fallback.clone()
        } else {
            pick(&mut self.rng, &self.shop.supervisors).clone()
        }
    }

    /// Someone of the shop other than `not`, for a transfer.
    fn colleague(&mut self, not: &StaffRef) -> Option<StaffRef> {
        let all: Vec<&StaffRef> = self
            .shop
            .presales
            .iter()
            .chain(&self.shop.aftersales)
            .chain(&self.shop.supervisors)
            .filter(|s| s.user_id != not.user_id)
            .collect();
        // Mostly to the other team's agents, sometimes to a supervisor.
        let preferred: Vec<&StaffRef> = all.iter().copied().filter(|s| s.team_id != not.team_id).collect();
        let pool = if !preferred.is_empty() && chance(&mut self.rng, 0.7) { preferred } else { all };
        if pool.is_empty() {
            None
        } else {
            Some(pool[self.rng.gen_range(0..pool.len())].clone())
        }
    }

    fn customer_says(&mut self, gap: i64, actor: &Actor, body: String) {
        if self.p.run(gap, actor, TicketCommand::CustomerReply { body }, 0) {
            self.used += 1;
            self.last = Some(Last::Customer);
        }
    }

    fn staff_says(&mut self, gap: i64, who: &StaffRef, body: String) {
        if self.p.run(gap, &who.actor(), TicketCommand::StaffReply { body }, 0) {
            self.used += 1;
            self.last = Some(Last::Staff);
        }
    }

    fn note(&mut self, gap: i64, who: &StaffRef, body: String) {
        if self.p.run(gap, &who.actor(), TicketCommand::InternalNote { body }, 0) {
            self.used += 1;
        }
    }

    fn write(mut self, number: TicketNumber, promo: bool) {
        let rng = &mut self.rng;
        let shop = self.shop;
        let scenario = self.scenario;
        let mut fill = Fill::new(rng, shop.kind);
        let customer = {
            // Some customers write far more often than others.
            let u: f64 = rng.gen();
            shop.customers[((u * u * shop.customers.len() as f64) as usize).min(shop.customers.len() - 1)]
        };
        let channel =
            [Channel::Chat, Channel::App, Channel::Web, Channel::LeftMessage, Channel::Email, Channel::Phone]
                [weighted(rng, &[45, 15, 8, 10, 7, 15])];
        let priority = {
            let w: [u32; 4] = if scenario.category == COMPLAINT { [0, 30, 50, 20] } else { [8, 67, 20, 5] };
            [Priority::Low, Priority::Normal, Priority::High, Priority::Urgent][weighted(rng, &w)]
        };
        let (pool, team) = if scenario.category == PRESALES {
            (&shop.presales, shop.presales_team)
        } else {
            (&shop.aftersales, shop.aftersales_team)
        };
        let pool = [pool, &shop.presales, &shop.aftersales, &shop.supervisors]
            .into_iter()
            .find(|p| !p.is_empty())
            .unwrap_or(&shop.supervisors);
        let mut holder = pick(rng, pool).clone();
        let customer_actor = Actor::Customer { customer_id: customer.id };
        let slow = matches!(channel, Channel::LeftMessage | Channel::Email);

        // Subjects, openings and first replies of a scenario go together by position.
        let variant = rng.gen_range(0..scenario.subjects.len());
        let subject = fill.fill(scenario.subjects[variant]);
        let opening = fill.fill(scenario.openings[variant % scenario.openings.len()]);
        fill.opening = opening.clone();
        let category = scenario.category.to_string();
        // Classified at intake mostly; otherwise by the keyword classifier job or by hand later, and some
        // after-sales tickets start in 售后 before the agent sees which kind it is.
        let sub_after_sales =
            [AFTER_SALES_RETURN, AFTER_SALES_EXCHANGE, AFTER_SALES_REFUND_ONLY, AFTER_SALES_REPAIR]
                .contains(&scenario.category);
        let mode = rng.gen_range(0..100);
        let (at_create, auto_later, manual_later) = match mode {
            0..=71 => (Some(category.clone()), false, false),
            72..=87 => (None, true, false),
            _ if sub_after_sales => (Some(AFTER_SALES.to_string()), false, true),
            _ => (None, false, true),
        };
        let mut tags: Vec<String> = Vec::new();
        let want = weighted(rng, &[25, 55, 20]);
        for _ in 0..want {
            let t = pick(rng, scenario.tags).to_string();
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
        if customer.vip {
            tags.push("VIP客户".into());
        }
        if promo {
            tags.push("大促".into());
        }
        if priority == Priority::Urgent {
            tags.push("加急".into());
        }
        let mut orders = Vec::new();
        if scenario.order {
            orders.push(fill.order.clone());
            if chance(rng, 0.1) {
                orders.push(order_number(rng));
            }
        }
        self.fill = Some(fill);

        // 1. The ticket comes in: written by the customer, or logged by the agent taking the call.
        let phone = channel == Channel::Phone;
        let creator = if phone { holder.actor() } else { customer_actor.clone() };
        let new = NewTicket {
            number,
            merchant_id: Some(shop.merchant_id),
            customer_id: Some(customer.id),
            channel,
            subject,
            body: if phone { String::new() } else { opening },
            priority,
            category: at_create,
            follow_up_of: None,
        };
        if !self.p.run(0, &creator, TicketCommand::Create(new), 0) {
            return;
        }
        if !tags.is_empty() {
            self.p.raw(&creator, TicketEventKind::TagsChanged { tags });
        }
        if !orders.is_empty() {
            self.p.raw(&creator, TicketEventKind::OrdersChanged { order_numbers: orders });
        }
        if phone {
            let body = self.text(&PHONE_NOTES);
            let g = gap(&mut self.rng, MINUTE, 4 * MINUTE);
            self.note(g, &holder.clone(), body);
        } else {
            self.used = 1;
            self.last = Some(Last::Customer);
        }
        if auto_later {
            let g = gap(&mut self.rng, 2_000, 30_000);
            self.p.run(
                g,
                &Actor::System { name: "auto_classify".into() },
                TicketCommand::SetCategory { category: category.clone() },
                0,
            );
        }

        // 2. Dispatch into the team's queue.
        let outcome = self.outcome;
        if let Some(team_id) = team {
            if outcome != Outcome::New || chance(&mut self.rng, 0.5) {
                let g = gap(&mut self.rng, 5_000, 90_000);
                self.p.run(
                    g,
                    &Actor::System { name: "auto_dispatch".into() },
                    TicketCommand::Assign { to: Assignee { user_id: None, team_id: Some(team_id) } },
                    0,
                );
            }
        }
        if outcome == Outcome::New {
            while self.used < self.n {
                let body = self.text(&CUSTOMER_NUDGES);
                let g = gap(&mut self.rng, 10 * MINUTE, 3 * HOUR);
                self.customer_says(g, &customer_actor, body);
            }
            return;
        }

        // 3. An agent takes it and answers (首问负责制: the first to do so owns it).
        let (lo, hi) = if slow { (30 * MINUTE, 10 * HOUR) } else { (MINUTE, 25 * MINUTE) };
        if chance(&mut self.rng, 0.4) || self.used >= self.n {
            let g = gap(&mut self.rng, lo, hi);
            self.p.run(g, &holder.actor(), TicketCommand::Take, 0);
        }
        if self.used < self.n {
            let body = match self.scenario.replies.get(variant) {
                Some(first) => self.fill(first),
                None => self.text(self.scenario.replies),
            };
            self.said.push(body.clone());
            let g = gap(&mut self.rng, lo, hi);
            self.staff_says(g, &holder.clone(), body);
        }
        if manual_later {
            let g = gap(&mut self.rng, MINUTE, 5 * MINUTE);
            self.p.run(g, &holder.actor(), TicketCommand::SetCategory { category: category.clone() }, 0);
        }

        // 4. The conversation, with the occasional transfer, escalation, priority change and department
        //    task somewhere in it.
        let settles = matches!(outcome, Outcome::Resolved | Outcome::Closed);
        let left = self.n.saturating_sub(self.used);
        let end_msgs = if settles { left.min(1 + u32::from(chance(&mut self.rng, 0.5))) } else { 0 };
        let reopen = settles && left >= end_msgs + 2 && chance(&mut self.rng, 0.06);
        let middle = left - end_msgs - if reopen { 2 } else { 0 };
        let complaint = self.scenario.category == COMPLAINT;
        let mut extras: Vec<(u32, u8)> = Vec::new();
        let mut extra = |rng: &mut StdRng, p: f64, kind: u8| {
            if chance(rng, p) {
                extras.push((rng.gen_range(0..=middle), kind));
            }
        };
        extra(&mut self.rng, if complaint { 0.2 } else { 0.08 }, 0); // transfer
        extra(&mut self.rng, if complaint { 0.45 } else { 0.04 }, 1); // escalate
        extra(&mut self.rng, 0.06, 2); // priority
        extra(&mut self.rng, 0.06, 3); // department task, answered
        for i in 0..=middle {
            for (_, kind) in extras.clone().iter().filter(|(pos, _)| *pos == i) {
                self.extra(*kind, &mut holder);
            }
            if i == middle {
                break;
            }
            match self.last {
                Some(Last::Staff) => {
                    if self.p.status() == TicketStatus::Open && chance(&mut self.rng, 0.25) {
                        let g = gap(&mut self.rng, 0, 2 * MINUTE);
                        self.p.run(g, &holder.actor(), TicketCommand::SetPending, 0);
                    }
                    let body = if chance(&mut self.rng, 0.45) {
                        self.text(self.scenario.follow_ups)
                    } else {
                        self.text(&CUSTOMER_GENERIC)
                    };
                    let g = if channel == Channel::Chat {
                        gap(&mut self.rng, MINUTE, 20 * MINUTE)
                    } else {
                        gap(&mut self.rng, 10 * MINUTE, 8 * HOUR)
                    };
                    self.customer_says(g, &customer_actor, body);
                }
                _ => {
                    if chance(&mut self.rng, 0.15) {
                        let body = if chance(&mut self.rng, 0.5) {
                            self.text(self.scenario.notes)
                        } else {
                            self.text(&NOTES_GENERIC)
                        };
                        let who = if chance(&mut self.rng, 0.8) {
                            holder.clone()
                        } else {
                            self.supervisor(&holder)
                        };
                        let g = gap(&mut self.rng, MINUTE, 10 * MINUTE);
                        self.note(g, &who, body);
                    } else {
                        let body = if chance(&mut self.rng, 0.4) {
                            self.text(self.scenario.replies)
                        } else {
                            self.text(&STAFF_GENERIC)
                        };
                        let g = gap(&mut self.rng, MINUTE, 30 * MINUTE);
                        self.staff_says(g, &holder.clone(), body);
                    }
                }
            }
        }

        // 5. How it ends.
        match outcome {
            Outcome::New | Outcome::Open => {}
            Outcome::Pending => {
                if self.p.status() == TicketStatus::Open {
                    let g = gap(&mut self.rng, 0, 3 * MINUTE);
                    self.p.run(g, &holder.actor(), TicketCommand::SetPending, 0);
                }
            }
            Outcome::OnHold => {
                if !self.open_task(&holder) && self.p.status() == TicketStatus::Open {
                    let g = gap(&mut self.rng, 0, 3 * MINUTE);
                    self.p.run(g, &holder.actor(), TicketCommand::SetPending, 0);
                }
            }
            Outcome::Resolved | Outcome::Closed => {
                if end_msgs > 0 {
                    let body = self.text(self.scenario.solutions);
                    let g = gap(&mut self.rng, 5 * MINUTE, HOUR);
                    self.staff_says(g, &holder.clone(), body);
                }
                if end_msgs > 1 {
                    let body = self.text(&CUSTOMER_THANKS);
                    let g = gap(&mut self.rng, 5 * MINUTE, 6 * HOUR);
                    self.customer_says(g, &customer_actor, body);
                }
                let g = gap(&mut self.rng, 0, 10 * MINUTE);
                self.p.run(g, &holder.actor(), TicketCommand::Resolve, 0);
                if reopen {
                    // The customer comes back (SVC-8): reopened, handled again, resolved again.
                    let body = self.text(&CUSTOMER_REOPEN);
                    let g = gap(&mut self.rng, 2 * HOUR, 2 * DAY);
                    self.customer_says(g, &customer_actor, body);
                    let body = self.text(&STAFF_REOPEN_REPLIES);
                    let g = gap(&mut self.rng, 5 * MINUTE, HOUR);
                    self.staff_says(g, &holder.clone(), body);
                    let g = gap(&mut self.rng, 10 * MINUTE, DAY);
                    self.p.run(g, &holder.actor(), TicketCommand::Resolve, 0);
                }
                if outcome == Outcome::Closed {
                    let (actor, g) = match weighted(&mut self.rng, &[35, 50, 15]) {
                        0 => (customer_actor.clone(), gap(&mut self.rng, 10 * MINUTE, DAY)),
                        1 => (
                            Actor::System { name: "auto_close".into() },
                            3 * DAY + gap(&mut self.rng, 0, 2 * HOUR),
                        ),
                        _ => (holder.actor(), gap(&mut self.rng, HOUR, DAY)),
                    };
                    self.p.run(g, &actor, TicketCommand::Close, 0);
                }
            }
        }
    }

    /// Opens a department task (the ticket goes on hold); false when there is no department for it.
    fn open_task(&mut self, holder: &StaffRef) -> bool {
        let Some(department_id) = self.g.department(self.scenario.department) else {
            return false;
        };
        let request = self.text(self.scenario.task_requests);
        let g = gap(&mut self.rng, 5 * MINUTE, HOUR);
        let due_in = self.rng.gen_range(24..=72) * HOUR;
        self.p.run(
            g,
            &holder.actor(),
            TicketCommand::OpenDepartmentTask { department_id, request, due_at: Millis(0) },
            due_in,
        )
    }

    fn extra(&mut self, kind: u8, holder: &mut StaffRef) {
        if !self.p.status().is_active() {
            return;
        }
        match kind {
            0 => {
                // 转派: to a colleague, with a reason.
                if let Some(to) = self.colleague(holder) {
                    let reason = pick(&mut self.rng, &TRANSFER_REASONS).to_string();
                    let by =
                        if chance(&mut self.rng, 0.7) { holder.clone() } else { self.supervisor(holder) };
                    let g = gap(&mut self.rng, 2 * MINUTE, 40 * MINUTE);
                    if self.p.run(g, &by.actor(), TicketCommand::Transfer { to: to.assignee(), reason }, 0) {
                        *holder = to;
                    }
                }
            }
            1 => {
                // 升级: L1 → L2, complaints sometimes on to L3.
                let next = match self.p.state.tier {
                    Tier::L1 => Tier::L2,
                    Tier::L2 => Tier::L3,
                    Tier::L3 => return,
                };
                let reason = pick(&mut self.rng, &ESCALATION_REASONS).to_string();
                let actor = if chance(&mut self.rng, 0.4) {
                    Actor::System { name: "sla_escalation".into() }
                } else {
                    self.supervisor(holder).actor()
                };
                let g = gap(&mut self.rng, 10 * MINUTE, 12 * HOUR);
                if self.p.run(g, &actor, TicketCommand::Escalate { to: next, reason }, 0)
                    && next == Tier::L2
                    && self.scenario.category == COMPLAINT
                    && chance(&mut self.rng, 0.3)
                {
                    let reason = ESCALATION_REASONS[3].to_string();
                    let by = self.supervisor(holder).actor();
                    let g = gap(&mut self.rng, 30 * MINUTE, 6 * HOUR);
                    self.p.run(g, &by, TicketCommand::Escalate { to: Tier::L3, reason }, 0);
                }
            }
            2 => {
                let up = match self.p.state.priority {
                    Priority::Low => Priority::Normal,
                    Priority::Normal => Priority::High,
                    Priority::High | Priority::Urgent => Priority::Urgent,
                };
                if up != self.p.state.priority {
                    let by = self.supervisor(holder).actor();
                    let g = gap(&mut self.rng, MINUTE, HOUR);
                    self.p.run(g, &by, TicketCommand::SetPriority { priority: up }, 0);
                }
            }
            _ => {
                // 跨部门协作: asked and answered; the ticket is on hold meanwhile.
                if self.open_task(holder) {
                    let task_no = self.p.state.tasks_opened;
                    let answer = self.text(self.scenario.task_answers);
                    let by = self.supervisor(holder).actor();
                    let g = gap(&mut self.rng, HOUR, 20 * HOUR);
                    self.p.run(g, &by, TicketCommand::AnswerDepartmentTask { task_no, answer }, 0);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kefu_core::ticket::{shanghai_date, DEFAULT_CATEGORIES};
    use std::collections::{HashMap, HashSet};

    fn staff(user_id: i64, role: Role, team_id: Option<i64>) -> StaffRef {
        StaffRef { user_id, role, team_id }
    }

    fn org() -> OrgRefs {
        let shop = |m: i64, kind, base: i64| ShopRefs {
            merchant_id: m,
            kind,
            presales_team: Some(base),
            aftersales_team: Some(base + 1),
            presales: vec![staff(base * 10 + 2, Role::Agent, Some(base))],
            aftersales: vec![staff(base * 10 + 3, Role::Agent, Some(base + 1))],
            supervisors: vec![staff(base * 10 + 1, Role::Supervisor, Some(base + 1))],
            customers: (0..20).map(|i| CustomerRef { id: base * 100 + i, vip: i % 7 == 0 }).collect(),
        };
        OrgRefs {
            shops: vec![shop(1, ShopKind::Digital, 4), shop(2, ShopKind::Fresh, 6)],
            departments: vec![
                ("product".into(), 1),
                ("technical".into(), 2),
                ("logistics".into(), 3),
                ("finance".into(), 4),
                ("legal".into(), 5),
                ("operations".into(), 6),
            ],
        }
    }

    /// 2026-03-15 12:34:56 UTC.
    const NOW: Millis = Millis(1_773_578_096_000);

    fn generate(total: u64, avg: f64, seed: u64) -> Vec<GeneratedTicket> {
        let schedule = Schedule::new(total, NOW, 90, seed);
        let g = Generator::new(org(), seed, NOW, avg).expect("generator");
        let mut out = Vec::new();
        for day in &schedule.days {
            let date = shanghai_date(day.day_start).expect("date");
            for k in 0..day.count {
                let number = TicketNumber::new(date, k as u32 + 1).expect("number");
                out.push(g.ticket(day.first_index + k, day.created_at(k), number, day.promo));
            }
        }
        out
    }

    #[test]
    fn every_script_is_accepted_by_the_state_machine_and_the_state_is_its_fold() {
        for seed in [1, 2, 3] {
            for t in generate(1500, 5.0, seed) {
                assert_eq!(t.refused, 0, "a scripted command was refused: {:?}", t.events);
                assert_eq!(t.state, rebuild(&t.events));
                assert!(t.state.exists());
                assert_eq!(t.state.version, t.events.len() as i64);
                assert!(t.events.windows(2).all(|w| w[0].at <= w[1].at), "events out of order");
                assert!(t.events.last().expect("events").at.0 < NOW.0, "an event in the future");
                if let Some(c) = &t.state.category {
                    assert!(DEFAULT_CATEGORIES.iter().any(|d| d.code == c), "{c}");
                }
                for o in &t.state.order_numbers {
                    assert!(o.len() == 14 && o.bytes().all(|b| b.is_ascii_digit()), "{o}");
                }
            }
        }
    }

    #[test]
    fn tickets_spread_over_statuses_categories_channels_and_90_days() {
        let tickets = generate(3000, 5.0, 7);
        let count = |f: &dyn Fn(&GeneratedTicket) -> String| {
            let mut m: HashMap<String, usize> = HashMap::new();
            for t in &tickets {
                *m.entry(f(t)).or_default() += 1;
            }
            m
        };
        let statuses = count(&|t| t.state.status.as_str().to_string());
        for s in TicketStatus::ALL {
            assert!(statuses.get(s.as_str()).copied().unwrap_or(0) >= 15, "{statuses:?}");
        }
        assert!(statuses["closed"] > statuses["open"], "{statuses:?}");
        let categories = count(&|t| t.state.category.clone().unwrap_or_default());
        assert!(categories.len() >= 14, "{categories:?}");
        let channels = count(&|t| t.state.channel.as_str().to_string());
        assert_eq!(channels.len(), 6, "{channels:?}");
        let tiers = count(&|t| t.state.tier.as_str().to_string());
        assert_eq!(tiers.len(), 3, "{tiers:?}");
        let kinds: HashSet<&str> =
            tickets.iter().flat_map(|t| t.events.iter().map(|e| e.kind.name())).collect();
        for k in [
            "created",
            "staff_replied",
            "customer_replied",
            "note_added",
            "first_responder_set",
            "assigned",
            "transferred",
            "escalated",
            "department_task_opened",
            "department_task_answered",
            "status_changed",
            "priority_changed",
            "category_changed",
            "tags_changed",
            "orders_changed",
        ] {
            assert!(kinds.contains(k), "no {k} event in {kinds:?}");
        }
        assert!(tickets.iter().any(|t| t.state.reopen_count > 0), "no ticket was ever reopened");
        let first = tickets.first().expect("tickets").state.created_at;
        let last = tickets.last().expect("tickets").state.created_at;
        assert!(last.0 - first.0 > 85 * DAY && last.0 - first.0 < 90 * DAY, "{first:?} {last:?}");
        assert!(tickets.windows(2).all(|w| w[0].state.created_at <= w[1].state.created_at));
        // The two merchants' tickets, their customers and staff only.
        for t in &tickets {
            let m = t.state.merchant_id.expect("merchant");
            let c = t.state.customer_id.expect("customer");
            assert_eq!(c / 100, if m == 1 { 4 } else { 6 });
        }
    }

    #[test]
    fn the_mean_message_count_is_the_one_asked_for() {
        for avg in [1.0, 5.0, 8.0] {
            let tickets = generate(2000, avg, 11);
            let mean = tickets.iter().map(|t| t.messages as f64).sum::<f64>() / tickets.len() as f64;
            assert!((mean - avg).abs() < 0.1 * avg, "asked {avg}, got {mean}");
        }
    }

    #[test]
    fn scenarios_pair_subjects_with_openings_and_fit_the_demo_shops() {
        for s in content::SCENARIOS {
            assert_eq!(
                s.subjects.len(),
                s.openings.len(),
                "{}: subjects and openings go together",
                s.category
            );
            for list in
                [s.follow_ups, s.replies, s.notes, s.solutions, s.tags, s.task_requests, s.task_answers]
            {
                assert!(!list.is_empty(), "{}", s.category);
            }
            assert!(kefu_core::org::DEFAULT_DEPARTMENTS.iter().any(|(c, _)| *c == s.department));
            assert!(s.tags.iter().all(|t| t.chars().count() <= 30));
        }
        for (code, digital, fresh) in content::CATEGORY_WEIGHTS {
            for (kind, w) in [(ShopKind::Digital, digital), (ShopKind::Fresh, fresh)] {
                let fits = content::SCENARIOS.iter().any(|s| s.category == code && s.fits.fits(kind));
                assert!(w == 0 || fits, "{code} has weight for {kind:?} but no scenario fits");
            }
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_tickets() {
        let a = generate(300, 5.0, 42);
        let b = generate(300, 5.0, 42);
        let c = generate(300, 5.0, 43);
        assert!(a.iter().zip(&b).all(|(x, y)| x.events == y.events));
        assert!(a.iter().zip(&c).any(|(x, y)| x.events != y.events));
    }

    #[test]
    fn the_schedule_counts_add_up_and_end_before_now() {
        for total in [0, 1, 7, 3000, 1_000_000] {
            let s = Schedule::new(total, NOW, 90, 5);
            assert_eq!(s.total(), total);
            assert_eq!(s.days.len(), 90);
            assert_eq!(s.days.last().expect("today").day_start, shanghai_day_start(NOW));
            for d in &s.days {
                if d.count > 0 {
                    assert!(d.created_at(d.count - 1).0 < NOW.0 - 4 * MINUTE);
                    assert_eq!(shanghai_day_start(d.created_at(0)), d.day_start);
                    assert_eq!(shanghai_day_start(d.created_at(d.count - 1)), d.day_start);
                }
            }
        }
    }
}
