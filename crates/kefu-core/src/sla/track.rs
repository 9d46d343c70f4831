//! The SLA clocks of one ticket as its event log says they ran: a fold over the events, part of
//! [`TicketState`](crate::ticket::TicketState). Clocks record wall-clock instants only (start, pauses,
//! stop); how much *business* time they show depends on the calendar and policy, and is computed when
//! asked ([`super::evaluate`]). A change of policy or calendar therefore recomputes every clock exactly.

use crate::ticket::{TicketEvent, TicketEventKind, TicketStatus};
use crate::time::Millis;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a clock measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SlaMetric {
    /// 首次响应: from creation to the first public staff reply.
    FirstResponse,
    /// 再次响应: from a customer's message (after the first response) to the next public staff reply.
    NextResponse,
    /// 解决时限: from creation to resolution (time while resolved does not count after a reopen).
    Resolution,
}

impl SlaMetric {
    pub const ALL: [SlaMetric; 3] =
        [SlaMetric::FirstResponse, SlaMetric::NextResponse, SlaMetric::Resolution];

    pub fn as_str(self) -> &'static str {
        match self {
            SlaMetric::FirstResponse => "first_response",
            SlaMetric::NextResponse => "next_response",
            SlaMetric::Resolution => "resolution",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            SlaMetric::FirstResponse => "首次响应",
            SlaMetric::NextResponse => "再次响应",
            SlaMetric::Resolution => "解决",
        }
    }
}

/// How far a clock has gone: a warning (预警) at the policy's share of the target, a breach (超时) at 100 %.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SlaLevel {
    Warning,
    Breach,
}

impl SlaLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            SlaLevel::Warning => "warning",
            SlaLevel::Breach => "breach",
        }
    }
}

/// Why a clock stood still for a while.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PauseReason {
    /// 待客户回复: counts as paused only when the policy says so (`pause_when_pending`).
    PendingCustomer,
    /// The ticket was resolved or closed and later reopened: never counts.
    Resolved,
}

/// A stretch during which a clock did not run (when its reason applies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Pause {
    pub from: Millis,
    /// `None` while the pause lasts.
    pub to: Option<Millis>,
    pub reason: PauseReason,
}

/// One clock: when it started, the pauses in between, and when it stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Clock {
    pub started_at: Millis,
    pub stopped_at: Option<Millis>,
    #[serde(default)]
    pub pauses: Vec<Pause>,
}

impl Clock {
    pub fn start(at: Millis) -> Clock {
        Clock { started_at: at, stopped_at: None, pauses: Vec::new() }
    }

    pub fn is_running(&self) -> bool {
        self.stopped_at.is_none()
    }

    fn pause(&mut self, at: Millis, reason: PauseReason) {
        if self.is_running() && !self.pauses.iter().any(|p| p.to.is_none()) {
            self.pauses.push(Pause { from: at, to: None, reason });
        }
    }

    fn resume(&mut self, at: Millis, reason: PauseReason) {
        for p in self.pauses.iter_mut().filter(|p| p.to.is_none() && p.reason == reason) {
            p.to = Some(at.max(p.from));
        }
    }

    fn stop(&mut self, at: Millis) {
        if self.is_running() {
            for p in self.pauses.iter_mut().filter(|p| p.to.is_none()) {
                p.to = Some(at.max(p.from));
            }
            self.stopped_at = Some(at.max(self.started_at));
        }
    }

    /// Carry on after a reopen: the time while resolved becomes a pause.
    fn restart(&mut self, at: Millis) {
        if let Some(stopped) = self.stopped_at.take() {
            self.pauses.push(Pause {
                from: stopped,
                to: Some(at.max(stopped)),
                reason: PauseReason::Resolved,
            });
        }
    }
}

/// The policy the ticket's clocks are measured against, as recorded by the last
/// [`SlaPolicyApplied`](TicketEventKind::SlaPolicyApplied) event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AppliedPolicy {
    pub policy_id: i64,
    pub name: String,
}

/// A warning or breach already recorded in the log, so it never fires twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Fired {
    pub metric: SlaMetric,
    pub cycle: u32,
    pub level: SlaLevel,
}

/// All SLA clocks of a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
pub struct SlaTrack {
    pub first_response: Option<Clock>,
    /// The latest next-response clock; earlier cycles are in the log (and the SLA records).
    pub next_response: Option<Clock>,
    /// How many next-response clocks were started (the current one's number; 0 = none yet).
    pub next_response_cycle: u32,
    pub resolution: Option<Clock>,
    pub policy: Option<AppliedPolicy>,
    pub fired: Vec<Fired>,
}

impl SlaTrack {
    /// The clock of a metric, with its cycle (1 for first response and resolution).
    pub fn clock(&self, metric: SlaMetric) -> Option<(&Clock, u32)> {
        match metric {
            SlaMetric::FirstResponse => self.first_response.as_ref().map(|c| (c, 1)),
            SlaMetric::NextResponse => self.next_response.as_ref().map(|c| (c, self.next_response_cycle)),
            SlaMetric::Resolution => self.resolution.as_ref().map(|c| (c, 1)),
        }
    }

    pub fn has_fired(&self, metric: SlaMetric, cycle: u32, level: SlaLevel) -> bool {
        self.fired.iter().any(|f| f.metric == metric && f.cycle == cycle && f.level == level)
    }

    fn clocks_mut(&mut self) -> impl Iterator<Item = &mut Clock> {
        [&mut self.first_response, &mut self.next_response, &mut self.resolution].into_iter().flatten()
    }

    /// Follow one event. `before` is the ticket's status before the event.
    pub fn follow(&mut self, e: &TicketEvent, before: TicketStatus) {
        use TicketEventKind as K;
        let at = e.at;
        match &e.kind {
            K::Created(_) => {
                self.first_response = Some(Clock::start(at));
                self.resolution = Some(Clock::start(at));
            }
            K::StaffReplied { .. } => {
                for c in [&mut self.first_response, &mut self.next_response].into_iter().flatten() {
                    c.stop(at);
                }
            }
            K::CustomerReplied { .. } => {
                let answered = self.first_response.as_ref().is_some_and(|c| !c.is_running());
                let waiting = self.next_response.as_ref().is_some_and(Clock::is_running);
                if answered && !waiting {
                    self.next_response_cycle += 1;
                    self.next_response = Some(Clock::start(at));
                }
            }
            K::StatusChanged { from, to } => {
                if *from == TicketStatus::PendingCustomer && *to != TicketStatus::PendingCustomer {
                    self.clocks_mut().for_each(|c| c.resume(at, PauseReason::PendingCustomer));
                }
                if !to.is_active() {
                    // Resolved or closed: every clock stops (a response clock stops unanswered).
                    self.clocks_mut().for_each(|c| c.stop(at));
                } else if !from.is_active() {
                    // Reopened: resolution carries on; the time while resolved does not count.
                    if let Some(c) = self.resolution.as_mut() {
                        c.restart(at);
                    }
                }
                if *to == TicketStatus::PendingCustomer && before != TicketStatus::PendingCustomer {
                    self.clocks_mut().for_each(|c| c.pause(at, PauseReason::PendingCustomer));
                }
            }
            K::SlaPolicyApplied { policy_id, name, .. } => {
                self.policy = policy_id.map(|id| AppliedPolicy { policy_id: id, name: name.clone() });
            }
            K::SlaWarned { metric, cycle, .. } => {
                self.fired.push(Fired { metric: *metric, cycle: *cycle, level: SlaLevel::Warning })
            }
            K::SlaBreached { metric, cycle, .. } => {
                self.fired.push(Fired { metric: *metric, cycle: *cycle, level: SlaLevel::Breach })
            }
            _ => {}
        }
    }
}
