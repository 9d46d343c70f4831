//! The SLA service: the engine's configuration in memory, what each ticket change adds (policy choice,
//! warnings, breaches and their actions, the timer and clock records), and the scheduler that wakes at
//! the earliest stored timer.
//!
//! Timers are rows of `sla_timers`, written in the transaction that changes the ticket. The scheduler
//! asks the database for the earliest one (an index lookup, never a scan of open tickets), sleeps until
//! then (at most a second, so timers set by other nodes are seen in time), and checks each due ticket
//! through the ordinary ticket path, under the ticket's row lock. Whatever fires is recorded as events
//! in the ticket's log, and the rules never fire what the log already holds: a restart, or several nodes
//! checking the same ticket, records each warning and breach exactly once.

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use kefu_core::authz::{Action, Scope};
use kefu_core::calendar::{BusinessCalendar, ServiceWindow, WeeklyHours, YearSchedule};
use kefu_core::sla::{self, ClockState, DefaultCalendar, SlaMetric, SlaPolicy, TicketFacts};
use kefu_core::ticket::{apply, decide, TicketEvent, TicketEventKind, TicketState};
use kefu_core::time::Millis;
use kefu_core::ErrorCode;
use kefu_store::{AuditCtx, CalendarRow, CalendarSpec, SlaConfig, SlaProjection, SlaRecord};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

/// The weekday keys of a calendar's `weekly` map.
pub const DAYS: [(&str, jiff::civil::Weekday); 7] = [
    ("mon", jiff::civil::Weekday::Monday),
    ("tue", jiff::civil::Weekday::Tuesday),
    ("wed", jiff::civil::Weekday::Wednesday),
    ("thu", jiff::civil::Weekday::Thursday),
    ("fri", jiff::civil::Weekday::Friday),
    ("sat", jiff::civil::Weekday::Saturday),
    ("sun", jiff::civil::Weekday::Sunday),
];

fn windows(field: &str, list: &[String]) -> ApiResult<Vec<ServiceWindow>> {
    list.iter()
        .enumerate()
        .map(|(i, w)| {
            w.parse::<ServiceWindow>().map_err(|e| {
                ApiError::field(ErrorCode::Validation, &format!("{field}[{i}]"), format!("'{w}': {e}"))
            })
        })
        .collect()
}

/// Build a calendar from its stored form; the error names the field at fault.
pub fn build_calendar(
    time_zone: &str,
    weekly: &BTreeMap<String, Vec<String>>,
    makeup: Option<&[String]>,
    holidays: bool,
    years: &[YearSchedule],
) -> ApiResult<BusinessCalendar> {
    for k in weekly.keys() {
        if !DAYS.iter().any(|(d, _)| d == k) {
            return Err(ApiError::field(
                ErrorCode::Validation,
                &format!("weekly.{k}"),
                format!("'{k}' is not a weekday; use mon, tue, wed, thu, fri, sat, sun"),
            ));
        }
    }
    let mut hours = WeeklyHours::closed();
    for (key, day) in DAYS {
        let list = weekly.get(key).map(Vec::as_slice).unwrap_or(&[]);
        let field = format!("weekly.{key}");
        hours = hours
            .with_day(day, windows(&field, list)?)
            .map_err(|e| ApiError::field(ErrorCode::Validation, &field, e.to_string()))?;
    }
    let mut cal = BusinessCalendar::new(time_zone, hours)
        .map_err(|e| ApiError::field(ErrorCode::Validation, "time_zone", e.to_string()))?;
    if holidays {
        cal = cal.with_schedule(kefu_core::calendar::HolidaySchedule::china());
        for y in years {
            cal.import_year(y.clone());
        }
    }
    if let Some(m) = makeup {
        cal = cal
            .with_makeup_day_windows(windows("makeup_windows", m)?)
            .map_err(|e| ApiError::field(ErrorCode::Validation, "makeup_windows", e.to_string()))?;
    }
    Ok(cal)
}

fn every_day(list: &[&str]) -> BTreeMap<String, Vec<String>> {
    DAYS.iter().map(|(d, _)| (d.to_string(), list.iter().map(|s| s.to_string()).collect())).collect()
}

/// The shipped calendars, in the order of [`DefaultCalendar`]: service hours, workdays, all day.
pub fn default_calendars() -> Vec<CalendarSpec> {
    let mut workdays = every_day(&["09:00-12:00", "13:00-18:00"]);
    workdays.insert("sat".into(), vec![]);
    workdays.insert("sun".into(), vec![]);
    vec![
        CalendarSpec {
            merchant_id: None,
            name: "客服服务时间（每天 09:00–23:00）".into(),
            time_zone: "Asia/Shanghai".into(),
            weekly: every_day(&["09:00-23:00"]),
            makeup_windows: None,
            holidays: false,
        },
        CalendarSpec {
            merchant_id: None,
            name: "标准工作日（周一至周五 09:00–12:00、13:00–18:00，法定节假日休息、调休上班）".into(),
            time_zone: "Asia/Shanghai".into(),
            weekly: workdays,
            makeup_windows: None,
            holidays: true,
        },
        CalendarSpec {
            merchant_id: None,
            name: "7×24 全天候".into(),
            time_zone: "Asia/Shanghai".into(),
            weekly: every_day(&["00:00-24:00"]),
            makeup_windows: None,
            holidays: false,
        },
    ]
}

fn default_policies() -> Vec<SlaPolicy> {
    sla::default_policies()
        .into_iter()
        .enumerate()
        .map(|(i, d)| SlaPolicy {
            id: 0,
            merchant_id: None,
            name: d.name.into(),
            position: (i as i32 + 1) * 10,
            active: true,
            conditions: d.conditions,
            targets: d.targets,
            calendar_id: Some(match d.calendar {
                DefaultCalendar::ServiceHours => 0,
                DefaultCalendar::Workdays => 1,
                DefaultCalendar::AllDay => 2,
            }),
            pause_when_pending: d.pause_when_pending,
            warn_percent: 75,
            breach_actions: d.breach_actions,
        })
        .collect()
}

/// The configuration in memory, rebuilt whenever its version in the database changes.
pub struct SlaRuntime {
    pub version: i64,
    pub policies: Vec<SlaPolicy>,
    pub calendars: HashMap<i64, Arc<BusinessCalendar>>,
    pub rows: Vec<CalendarRow>,
    platform: Option<i64>,
    merchants: HashMap<i64, i64>,
    teams: HashMap<i64, i64>,
    /// Calendars that could not be built from the database (shown to admins; they count as 7×24).
    pub broken: Vec<(i64, String)>,
    fallback: Arc<BusinessCalendar>,
    needs_customer: bool,
}

impl SlaRuntime {
    pub fn from_config(c: SlaConfig) -> SlaRuntime {
        let years: Vec<YearSchedule> = c
            .holiday_years
            .iter()
            .filter_map(|y| match YearSchedule::from_json(&y.schedule_json) {
                Ok(s) => Some(s),
                Err(e) => {
                    tracing::error!(year = y.year, error = %e, "stored holiday schedule is invalid; using the shipped data");
                    None
                }
            })
            .collect();
        let mut calendars = HashMap::new();
        let mut broken = Vec::new();
        for r in &c.calendars {
            match build_calendar(&r.time_zone, &r.weekly, r.makeup_windows.as_deref(), r.holidays, &years) {
                Ok(cal) => {
                    calendars.insert(r.id, Arc::new(cal));
                }
                Err(e) => broken.push((r.id, e.message.clone())),
            }
        }
        let mut platform = None;
        let (mut merchants, mut teams) = (HashMap::new(), HashMap::new());
        for a in &c.assignments {
            match a.owner_kind.as_str() {
                "platform" => platform = Some(a.calendar_id),
                "merchant" => {
                    merchants.insert(a.owner_id, a.calendar_id);
                }
                "team" => {
                    teams.insert(a.owner_id, a.calendar_id);
                }
                _ => {}
            }
        }
        let needs_customer = c.policies.iter().any(|p| p.active && !p.conditions.member_tiers.is_empty());
        SlaRuntime {
            version: c.version,
            policies: c.policies,
            calendars,
            rows: c.calendars,
            platform,
            merchants,
            teams,
            broken,
            fallback: Arc::new(BusinessCalendar::china(WeeklyHours::always_open())),
            needs_customer,
        }
    }

    /// The calendar a policy counts in for a ticket: the policy's, the team's, the merchant's, the
    /// platform's, else 7×24.
    pub fn calendar_for(&self, policy: &SlaPolicy, st: &TicketState) -> (Option<i64>, Arc<BusinessCalendar>) {
        let id = policy
            .calendar_id
            .or_else(|| st.assignee.team_id.and_then(|t| self.teams.get(&t).copied()))
            .or_else(|| st.merchant_id.and_then(|m| self.merchants.get(&m).copied()))
            .or(self.platform);
        match id.and_then(|i| self.calendars.get(&i).map(|c| (i, c.clone()))) {
            Some((i, c)) => (Some(i), c),
            None => (None, self.fallback.clone()),
        }
    }

    /// Whether some active policy matches on the customer's member tier (so it must be loaded).
    pub fn needs_customer_facts(&self) -> bool {
        self.needs_customer
    }

    pub fn policy(&self, id: i64) -> Option<&SlaPolicy> {
        self.policies.iter().find(|p| p.id == id)
    }

    /// The policy that applies to a ticket as it is now.
    pub fn select(&self, st: &TicketState, customer: &CustomerFacts) -> Option<&SlaPolicy> {
        let facts = TicketFacts {
            merchant_id: st.merchant_id,
            channel: st.channel,
            category: st.category.as_deref(),
            priority: st.priority,
            tier: st.tier,
            member_tier: customer.member_tier.as_deref(),
            vip: customer.vip,
        };
        sla::select(&self.policies, &facts)
    }

    /// The events a change adds after `events` (the command's own): a new policy choice, warnings and
    /// breaches now due, and the breach actions, each through the state machine.
    pub fn follow_up(
        &self,
        before: &TicketState,
        events: &[TicketEvent],
        reason: &str,
        customer: &CustomerFacts,
        now: Millis,
    ) -> Vec<TicketEvent> {
        let mut st = events.iter().fold(before.clone(), apply);
        if !st.exists() {
            return Vec::new();
        }
        let mut out = Vec::new();
        let push = |st: &mut TicketState, e: TicketEvent, out: &mut Vec<TicketEvent>| {
            *st = apply(std::mem::take(st), &e);
            out.push(e);
        };
        let chosen = self.select(&st, customer);
        let recorded = st.sla.policy.as_ref().map(|p| p.policy_id);
        let is_new = before.version == 0;
        if chosen.map(|p| p.id) != recorded && (is_new || chosen.is_some() || recorded.is_some()) {
            let e = TicketEvent {
                at: now,
                actor: sla::sla_actor(),
                kind: TicketEventKind::SlaPolicyApplied {
                    policy_id: chosen.map(|p| p.id),
                    name: chosen.map(|p| p.name.clone()).unwrap_or_default(),
                    reason: reason.to_string(),
                },
            };
            push(&mut st, e, &mut out);
        }
        let Some(policy) = st.sla.policy.as_ref().and_then(|p| self.policy(p.policy_id)) else {
            return out;
        };
        let (_, cal) = self.calendar_for(policy, &st);
        let views = sla::evaluate(&cal, &st, policy, now);
        let due = sla::due_now(&views, now);
        if due.is_empty() {
            return out;
        }
        for e in sla::due_events(&due, now) {
            push(&mut st, e, &mut out);
        }
        let breaches: Vec<&sla::Due> = due.iter().filter(|d| d.level == sla::SlaLevel::Breach).collect();
        if !breaches.is_empty() {
            let actor = sla::escalation_actor();
            for cmd in sla::breach_commands(policy, &st, &breaches) {
                match decide(&st, &cmd, &actor, now, &crate::tickets::policy()) {
                    Ok(events) => {
                        for e in events {
                            push(&mut st, e, &mut out);
                        }
                    }
                    Err(e) => {
                        tracing::info!(command = cmd.name(), error = %e.message, "SLA breach action skipped")
                    }
                }
            }
        }
        out
    }

    /// The timer and clock records of a ticket's state.
    pub fn project(&self, st: &TicketState, now: Millis) -> SlaProjection {
        let Some(policy) = st.sla.policy.as_ref().and_then(|p| self.policy(p.policy_id)) else {
            return SlaProjection::default();
        };
        let (_, cal) = self.calendar_for(policy, st);
        let views = sla::evaluate(&cal, st, policy, now);
        // Reports count clocks that stopped or are already late; a clock still running in time has no
        // outcome yet, so it is written when it gets one (fewer writes on every change).
        let records = views
            .iter()
            .filter(|v| v.stopped_at.is_some() || matches!(v.state, ClockState::Overdue) || v.breached)
            .map(|v| SlaRecord {
                metric: v.metric.as_str().to_string(),
                cycle: i64::from(v.cycle),
                policy_id: Some(policy.id),
                team_id: st.assignee.team_id,
                agent_id: st.assignee.user_id.or(st.first_responder),
                channel: st.channel.as_str().to_string(),
                started_at: v.started_at,
                stopped_at: v.stopped_at,
                due_at: v.due_at,
                target_secs: v.target_secs as i64,
                elapsed_secs: v.elapsed_secs as i64,
                breached: matches!(v.state, ClockState::Missed | ClockState::Overdue) || v.breached,
                in_service_hours: jiff::Timestamp::from_millisecond(v.started_at.0)
                    .is_ok_and(|t| cal.is_open(t)),
            })
            .collect();
        SlaProjection { next_due: sla::next_due(&views), records }
    }
}

/// What a policy may match on about the customer.
#[derive(Debug, Clone, Default)]
pub struct CustomerFacts {
    pub member_tier: Option<String>,
    pub vip: bool,
}

/// The SLA engine's shared state.
pub struct SlaEngine {
    runtime: RwLock<Arc<SlaRuntime>>,
}

impl SlaEngine {
    pub fn new(c: SlaConfig) -> SlaEngine {
        SlaEngine { runtime: RwLock::new(Arc::new(SlaRuntime::from_config(c))) }
    }

    pub fn current(&self) -> Arc<SlaRuntime> {
        self.runtime.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn replace(&self, rt: SlaRuntime) {
        *self.runtime.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(rt);
    }
}

/// Seed the shipped calendars and policies (first start only) and load the configuration.
pub async fn load(store: &dyn kefu_store::Store, now: Millis) -> anyhow::Result<SlaEngine> {
    store.seed_sla_defaults(now, default_calendars(), default_policies()).await?;
    Ok(SlaEngine::new(store.sla_config().await?))
}

/// Reload the configuration if it changed (here or on another node).
pub async fn refresh(state: &AppState) -> ApiResult<()> {
    let v = state.store.sla_config_version().await?;
    if v != state.sla.current().version {
        let rt = SlaRuntime::from_config(state.store.sla_config().await?);
        publish_gauges(state, &rt);
        state.sla.replace(rt);
    }
    Ok(())
}

/// Days of the next 90 not covered by holiday data, over the calendars that follow the schedule.
pub fn uncovered_days(rt: &SlaRuntime, now: Millis) -> Vec<(i64, jiff::civil::Date)> {
    let mut out = Vec::new();
    let Ok(t) = jiff::Timestamp::from_millisecond(now.0) else { return out };
    for r in rt.rows.iter().filter(|r| r.holidays) {
        let Some(cal) = rt.calendars.get(&r.id) else { continue };
        let mut d = cal.local_date(t);
        for _ in 0..90 {
            if !cal.is_date_covered(d) {
                out.push((r.id, d));
            }
            match d.tomorrow() {
                Ok(n) => d = n,
                Err(_) => break,
            }
        }
    }
    out
}

pub fn publish_gauges(state: &AppState, rt: &SlaRuntime) {
    state.metrics.sla_broken_calendars.set(rt.broken.len() as i64);
    state.metrics.sla_uncovered_days.set(uncovered_days(rt, crate::auth::now()).len() as i64);
}

/// Customer facts for policy matching, loaded only when some policy matches on them.
pub async fn customer_facts(state: &AppState, rt: &SlaRuntime, customer_id: Option<i64>) -> CustomerFacts {
    let (true, Some(id)) = (rt.needs_customer, customer_id) else {
        return CustomerFacts::default();
    };
    match state.store.customer_tier(id).await {
        // A tier with priority service under the merchant's rights (会员权益) is served like a VIP.
        Ok(Some((tier, vip, rights))) => {
            CustomerFacts { vip: rights.is_priority(vip, Some(&tier)), member_tier: Some(tier) }
        }
        _ => CustomerFacts::default(),
    }
}

/// Check one ticket's clocks now: record what is due and act on breaches. Returns whether anything fired.
pub async fn check_ticket(state: &AppState, id: i64, now: Millis) -> ApiResult<bool> {
    let scope = Scope::operator(Action::TicketWork);
    let ctx = AuditCtx::operator("sla", now);
    let before = match crate::tickets::load(state, &scope, id).await {
        Ok(rec) => rec.state.version,
        Err(e) if e.code == ErrorCode::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    let t = crate::tickets::change(state, &scope, &ctx, id, None, "sla_check", &|_st: &TicketState| {
        Ok(Vec::new())
    })
    .await;
    match t {
        Ok(t) if t.version != before => Ok(true),
        Ok(_) => {
            // Nothing fired, so nothing was written: the stored timer came from an older policy or
            // calendar. Set it from the rules in force (never to the past, so it cannot spin).
            let rec = crate::tickets::load(state, &scope, id).await?;
            let next =
                state.sla.current().project(&rec.state, now).next_due.map(|d| d.max(now.plus_ms(1_000)));
            state.store.sla_reset_timer(id, next).await?;
            Ok(false)
        }
        Err(e) if e.code == ErrorCode::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// One round of the scheduler: every ticket whose timer is due at `now`. Returns how many were checked.
pub async fn tick(state: &AppState, now: Millis) -> ApiResult<usize> {
    refresh(state).await?;
    let mut checked = 0;
    let mut seen = std::collections::HashSet::new();
    loop {
        let due = state.store.sla_due(now, 200).await?;
        let n = due.len();
        // A timer that stays due after its check is left for the next round, never looped on.
        let fresh: Vec<i64> = due.into_iter().filter(|id| seen.insert(*id)).collect();
        if fresh.is_empty() {
            return Ok(checked);
        }
        for id in fresh {
            if let Err(e) = check_ticket(state, id, now).await {
                // Try again in a minute rather than spin on a ticket that cannot be checked.
                tracing::error!(ticket = id, error = %e.message, "SLA check failed");
                state.store.sla_set_timer(id, now.plus_ms(Millis::MINUTE)).await?;
            }
            checked += 1;
        }
        if n < 200 {
            return Ok(checked);
        }
    }
}

/// Give open tickets that were loaded without going through the engine (bulk loads) their policy and
/// timer. Runs once at start, in the background.
pub async fn backfill(state: &AppState) -> ApiResult<usize> {
    let mut after = 0;
    let mut done = 0;
    loop {
        let ids = state.store.tickets_without_sla(after, 500).await?;
        if ids.is_empty() {
            return Ok(done);
        }
        for id in ids {
            after = id;
            check_ticket(state, id, crate::auth::now()).await?;
            done += 1;
        }
    }
}

/// The scheduler: sleeps until the earliest timer (at most a second), then runs [`tick`].
pub async fn run_scheduler(state: AppState) {
    let bg = state.clone();
    tokio::spawn(async move {
        match backfill(&bg).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(tickets = n, "SLA clocks set for tickets loaded in bulk"),
            Err(e) => tracing::error!(error = %e.message, "SLA backfill failed"),
        }
    });
    loop {
        let now = crate::auth::now();
        if let Err(e) = tick(&state, now).await {
            tracing::error!(error = %e.message, "SLA scheduler round failed");
        }
        let wait = match state.store.sla_next_due().await {
            Ok(Some(due)) => (due.0 - crate::auth::now().0).clamp(0, 1000),
            _ => 1000,
        };
        tokio::time::sleep(std::time::Duration::from_millis(wait as u64)).await;
    }
}

/// The SLA panel of a ticket.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SlaPanel {
    pub policy_id: Option<i64>,
    pub policy_name: Option<String>,
    pub calendar_id: Option<i64>,
    pub pause_when_pending: bool,
    pub clocks: Vec<sla::ClockView>,
    /// The next instant a warning or breach falls due.
    pub next_due_at: Option<Millis>,
}

pub fn panel(rt: &SlaRuntime, st: &TicketState, now: Millis) -> SlaPanel {
    let policy = st.sla.policy.as_ref().and_then(|p| rt.policy(p.policy_id));
    match policy {
        Some(p) => {
            let (cal_id, cal) = rt.calendar_for(p, st);
            let clocks = sla::evaluate(&cal, st, p, now);
            SlaPanel {
                policy_id: Some(p.id),
                policy_name: Some(p.name.clone()),
                calendar_id: cal_id,
                pause_when_pending: p.pause_when_pending,
                next_due_at: sla::next_due(&clocks),
                clocks,
            }
        }
        None => SlaPanel {
            policy_id: None,
            policy_name: None,
            calendar_id: None,
            pause_when_pending: false,
            clocks: Vec::new(),
            next_due_at: None,
        },
    }
}

/// A policy's service hours in plain Chinese, for the published commitments.
pub fn hours_text(rt: &SlaRuntime, p: &SlaPolicy) -> String {
    let id = p.calendar_id.or(rt.platform);
    let Some(row) = id.and_then(|i| rt.rows.iter().find(|r| r.id == i)) else {
        return "全天 24 小时".into();
    };
    let names = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < DAYS.len() {
        let w = row.weekly.get(DAYS[i].0).cloned().unwrap_or_default();
        let mut j = i;
        while j + 1 < DAYS.len() && row.weekly.get(DAYS[j + 1].0).cloned().unwrap_or_default() == w {
            j += 1;
        }
        if !w.is_empty() {
            let days = if i == 0 && j == 6 {
                "每天".to_string()
            } else if i == j {
                names[i].to_string()
            } else {
                format!("{}至{}", names[i], names[j])
            };
            let spans = if w == ["00:00-24:00"] {
                "24 小时".to_string()
            } else {
                w.join("、").replace('-', "–")
            };
            parts.push(format!("{days} {spans}"));
        }
        i = j + 1;
    }
    let mut s = if parts.is_empty() { "暂无服务时间".to_string() } else { parts.join("；") };
    if row.holidays {
        s.push_str("（法定节假日休息，调休日上班）");
    }
    s
}

/// Is a metric measured by this policy?
pub fn measures(p: &SlaPolicy, m: SlaMetric) -> bool {
    p.targets.of(m).is_some()
}
