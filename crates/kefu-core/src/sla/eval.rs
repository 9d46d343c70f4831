//! Reading the clocks: business time spent, due instants, warnings and breaches that are due.

use super::policy::{BreachAction, SlaPolicy};
use super::track::{Clock, PauseReason, SlaLevel, SlaMetric, SlaTrack};
use crate::calendar::BusinessCalendar;
use crate::ticket::{Actor, Priority, TicketCommand, TicketEvent, TicketEventKind, TicketState, Tier};
use crate::time::Millis;
use jiff::Timestamp;
use serde::Serialize;
use std::time::Duration;
use utoipa::ToSchema;

/// Where a clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClockState {
    /// Running, within its target.
    Running,
    /// Standing still while the ticket waits for the customer.
    Paused,
    /// Running and past its target (超时未处理).
    Overdue,
    /// Stopped within its target (达标).
    Met,
    /// Stopped after its target (超时).
    Missed,
}

/// One clock as the SLA panel shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ClockView {
    pub metric: SlaMetric,
    /// 1 for first response and resolution; the n-th customer message for next response.
    pub cycle: u32,
    pub state: ClockState,
    pub target_secs: u64,
    /// Business seconds counted so far (until the stop, for a stopped clock).
    pub elapsed_secs: u64,
    /// Business seconds left; negative when late.
    pub remaining_secs: i64,
    pub started_at: Millis,
    pub stopped_at: Option<Millis>,
    /// When the target is (or was) reached, if the clock got that far or is running toward it.
    pub due_at: Option<Millis>,
    /// When the warning share is (or was) reached, likewise.
    pub warn_at: Option<Millis>,
    pub warned: bool,
    pub breached: bool,
}

fn ts(m: Millis) -> Timestamp {
    Timestamp::from_millisecond(m.0).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn ms(t: Timestamp) -> Millis {
    Millis(t.as_millisecond())
}

/// The stretches during which a clock ran (its pauses cut out); the last is open while it runs.
fn segments(c: &Clock, pause_pending: bool) -> Vec<(Millis, Option<Millis>)> {
    let end = c.stopped_at;
    let mut out = Vec::new();
    let mut from = c.started_at;
    let mut pauses: Vec<_> =
        c.pauses.iter().filter(|p| pause_pending || p.reason != PauseReason::PendingCustomer).collect();
    pauses.sort_by_key(|p| p.from);
    for p in pauses {
        if p.from > from {
            out.push((from, Some(p.from)));
        }
        match p.to {
            Some(to) => from = from.max(to),
            None => return out,
        }
    }
    match end {
        Some(e) if e > from => out.push((from, Some(e))),
        Some(_) => {}
        None => out.push((from, None)),
    }
    out
}

/// Business time spent and the instant `budget` of business time is reached, if it is.
fn measure(
    cal: &BusinessCalendar,
    segs: &[(Millis, Option<Millis>)],
    budget: Duration,
    now: Millis,
) -> (Duration, Option<Millis>) {
    let mut spent = Duration::ZERO;
    let mut reached = None;
    for &(from, to) in segs {
        let (a, b) = (ts(from), ts(to.unwrap_or(now).max(from)));
        let here = cal.business_duration_between(a, b);
        if reached.is_none() {
            let left = budget.saturating_sub(spent);
            // A closed stretch reaches the budget if it holds enough business time; the running
            // stretch always does, now or ahead.
            if to.is_none() || here >= left {
                reached = cal.add_business_duration(a, left).map(ms);
            }
        }
        spent += here;
    }
    (spent, reached)
}

/// The view of one clock under a target.
pub fn view(
    cal: &BusinessCalendar,
    track: &SlaTrack,
    metric: SlaMetric,
    target_secs: u64,
    warn_percent: u8,
    pause_pending: bool,
    now: Millis,
) -> Option<ClockView> {
    let (clock, cycle) = track.clock(metric)?;
    let segs = segments(clock, pause_pending);
    let target = Duration::from_secs(target_secs);
    let warn = Duration::from_millis(target_secs * 10 * u64::from(warn_percent));
    let (spent, due_at) = measure(cal, &segs, target, now);
    let (_, warn_at) = measure(cal, &segs, warn, now);
    let elapsed_secs = spent.as_secs();
    let breached = track.has_fired(metric, cycle, SlaLevel::Breach);
    // A breach in the log stands, even if a later recomputation (another policy or calendar) finds time left.
    let late = spent > target || breached;
    let paused = clock.is_running() && segs.last().is_none_or(|s| s.1.is_some());
    let state = match (clock.is_running(), late, paused) {
        (false, false, _) => ClockState::Met,
        (false, true, _) => ClockState::Missed,
        (true, true, _) => ClockState::Overdue,
        (true, false, true) => ClockState::Paused,
        (true, false, false) => ClockState::Running,
    };
    Some(ClockView {
        metric,
        cycle,
        state,
        target_secs,
        elapsed_secs,
        remaining_secs: target_secs as i64 - elapsed_secs as i64,
        started_at: clock.started_at,
        stopped_at: clock.stopped_at,
        due_at: due_at.filter(|d| clock.stopped_at.is_none_or(|s| *d <= s)),
        warn_at: warn_at.filter(|d| clock.stopped_at.is_none_or(|s| *d <= s)),
        warned: track.has_fired(metric, cycle, SlaLevel::Warning),
        breached,
    })
}

/// Every clock of a ticket under a policy.
pub fn evaluate(
    cal: &BusinessCalendar,
    state: &TicketState,
    policy: &SlaPolicy,
    now: Millis,
) -> Vec<ClockView> {
    SlaMetric::ALL
        .iter()
        .filter_map(|&m| {
            let target = policy.targets.of(m)?;
            view(cal, &state.sla, m, target, policy.warn_percent, policy.pause_when_pending, now)
        })
        .collect()
}

/// The next instant something may fire for this ticket (a warning or breach not yet recorded), or
/// `None` when nothing is running toward a target. This is the ticket's stored timer.
pub fn next_due(views: &[ClockView]) -> Option<Millis> {
    views
        .iter()
        .filter(|v| v.stopped_at.is_none())
        .flat_map(|v| {
            let w = if v.warned || v.breached { None } else { v.warn_at };
            let b = if v.breached { None } else { v.due_at };
            [w, b]
        })
        .flatten()
        .min()
}

/// A warning or breach that is due now and not yet in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub metric: SlaMetric,
    pub cycle: u32,
    pub level: SlaLevel,
    pub due_at: Millis,
    /// Whether the clock still runs (breach actions only act on running clocks).
    pub running: bool,
}

/// What fires at `now`: warnings of running clocks and breaches (also of clocks that stopped late
/// without the breach being recorded, e.g. while kefu was down). A breach makes its warning moot.
pub fn due_now(views: &[ClockView], now: Millis) -> Vec<Due> {
    let mut out = Vec::new();
    for v in views {
        let running = v.stopped_at.is_none();
        if !v.breached {
            if let Some(d) = v.due_at.filter(|d| *d <= now) {
                out.push(Due {
                    metric: v.metric,
                    cycle: v.cycle,
                    level: SlaLevel::Breach,
                    due_at: d,
                    running,
                });
                continue;
            }
        }
        if running && !v.warned && !v.breached {
            if let Some(w) = v.warn_at.filter(|w| *w <= now) {
                out.push(Due {
                    metric: v.metric,
                    cycle: v.cycle,
                    level: SlaLevel::Warning,
                    due_at: w,
                    running,
                });
            }
        }
    }
    out
}

/// The events recording what is due, by the SLA engine (system actor `sla`).
pub fn due_events(due: &[Due], now: Millis) -> Vec<TicketEvent> {
    due.iter()
        .map(|d| TicketEvent {
            at: now,
            actor: sla_actor(),
            kind: match d.level {
                SlaLevel::Warning => {
                    TicketEventKind::SlaWarned { metric: d.metric, cycle: d.cycle, due_at: d.due_at }
                }
                SlaLevel::Breach => {
                    TicketEventKind::SlaBreached { metric: d.metric, cycle: d.cycle, due_at: d.due_at }
                }
            },
        })
        .collect()
}

/// The actor of SLA records.
pub fn sla_actor() -> Actor {
    Actor::System { name: "sla".into() }
}

/// The actor of breach actions: escalations it makes are told apart from manual ones by this name.
pub fn escalation_actor() -> Actor {
    Actor::System { name: SLA_ESCALATION.into() }
}

/// The system actor name of actions taken on a breach.
pub const SLA_ESCALATION: &str = "sla_escalation";

/// The commands a breach's actions stand for, given the ticket as it is. Actions that cannot apply
/// (already urgent, already L3, already in that team) are left out.
pub fn breach_commands(policy: &SlaPolicy, state: &TicketState, breaches: &[&Due]) -> Vec<TicketCommand> {
    if breaches.iter().all(|d| !d.running) {
        return Vec::new();
    }
    let what = breaches.iter().map(|d| d.metric.label_zh()).collect::<Vec<_>>().join("、");
    let reason = format!("SLA 超时：{what}（规则：{}）", policy.name);
    let mut out = Vec::new();
    for a in &policy.breach_actions {
        match a {
            BreachAction::RaisePriority => {
                let next = match state.priority {
                    Priority::Low => Some(Priority::Normal),
                    Priority::Normal => Some(Priority::High),
                    Priority::High => Some(Priority::Urgent),
                    Priority::Urgent => None,
                };
                if let Some(p) = next {
                    out.push(TicketCommand::SetPriority { priority: p });
                }
            }
            BreachAction::EscalateTier => {
                let next = match state.tier {
                    Tier::L1 => Some(Tier::L2),
                    Tier::L2 => Some(Tier::L3),
                    Tier::L3 => None,
                };
                if let Some(t) = next {
                    out.push(TicketCommand::Escalate { to: t, reason: reason.clone() });
                }
            }
            BreachAction::ReassignTeam { team_id } => {
                if state.assignee.team_id != Some(*team_id) || state.assignee.user_id.is_some() {
                    let to = crate::ticket::Assignee { user_id: None, team_id: Some(*team_id) };
                    if state.assignee.is_someone() {
                        out.push(TicketCommand::Transfer { to, reason: reason.clone() });
                    } else {
                        out.push(TicketCommand::Assign { to });
                    }
                }
            }
        }
    }
    out
}
