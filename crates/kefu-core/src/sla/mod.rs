//! The SLA engine's rules (服务时效): policies, the clocks of a ticket, and what is due when.
//!
//! * [`SlaTrack`] is part of [`TicketState`](crate::ticket::TicketState): a fold over the event log
//!   recording when each clock started, paused and stopped, in wall-clock instants.
//! * [`SlaPolicy`] rules are matched in order ([`select`]); each gives targets in business time of a
//!   [`BusinessCalendar`](crate::calendar::BusinessCalendar).
//! * [`evaluate`] reads the clocks under a policy and calendar: business time spent, due instants,
//!   state. [`next_due`] is the ticket's durable timer; [`due_now`] says which warnings (预警) and
//!   breaches (超时) fire, recorded as events by [`due_events`]; [`breach_commands`] turns the policy's
//!   breach actions into ordinary ticket commands issued by the system actor `sla_escalation`.
//! * [`commitments`] writes a merchant's published service commitments (服务承诺公示, SVC-6).
//!
//! Nothing here reads a clock or stores anything; the server's SLA service does (kefu-server `sla.rs`).

mod eval;
mod policy;
mod track;

#[cfg(test)]
mod tests;

pub use eval::{
    breach_commands, due_events, due_now, escalation_actor, evaluate, next_due, sla_actor, view, ClockState,
    ClockView, Due, SLA_ESCALATION,
};
pub use policy::{
    default_policies, select, BreachAction, Conditions, DefaultCalendar, DefaultPolicy, SlaPolicy, Targets,
    TicketFacts, MAX_TARGET_SECS,
};
pub use track::{AppliedPolicy, Clock, Fired, Pause, PauseReason, SlaLevel, SlaMetric, SlaTrack};

/// A duration in plain Chinese: `30 秒`, `15 分钟`, `24 小时`, `7 天`, `1 小时 30 分钟`.
pub fn duration_zh(secs: u64) -> String {
    if secs < 60 {
        return format!("{secs} 秒");
    }
    // Regulations speak of 24 and 48 hours, and of 7 days.
    if secs.is_multiple_of(86_400) && secs >= 3 * 86_400 {
        return format!("{} 天", secs / 86_400);
    }
    let (h, m, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    let mut parts = Vec::new();
    if h > 0 {
        parts.push(format!("{h} 小时"));
    }
    if m > 0 {
        parts.push(format!("{m} 分钟"));
    }
    if s > 0 {
        parts.push(format!("{s} 秒"));
    }
    parts.join(" ")
}

/// One published commitment (服务承诺) line.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Commitment {
    pub policy_id: i64,
    /// What it covers, e.g. `在线咨询` or `投诉`.
    pub scope: String,
    /// The promise in plain Chinese, e.g. `服务时间内 30 秒内首次响应；3 分钟内再次响应`.
    pub text: String,
    /// When the clock runs, e.g. `每天 09:00–23:00`.
    pub service_hours: String,
}

/// The published commitments of the policies that apply to a merchant's tickets, in matching order:
/// the merchant's own active policies, then the platform's. `hours` describes each policy's calendar.
pub fn commitments(
    policies: &[SlaPolicy],
    merchant_id: Option<i64>,
    hours: &dyn Fn(&SlaPolicy) -> String,
) -> Vec<Commitment> {
    let mut ps: Vec<&SlaPolicy> = policies
        .iter()
        .filter(|p| p.active && (p.merchant_id.is_none() || p.merchant_id == merchant_id))
        .collect();
    ps.sort_by_key(|p| (p.merchant_id.is_none(), p.position, p.id));
    ps.into_iter()
        .map(|p| {
            let c = &p.conditions;
            let mut scope: Vec<String> = Vec::new();
            scope.extend(c.channels.iter().map(|ch| ch.label_zh().to_string()));
            scope.extend(c.categories.iter().map(|code| {
                crate::ticket::default_category(code)
                    .map(|d| d.name_zh.to_string())
                    .unwrap_or_else(|| code.clone())
            }));
            scope.extend(c.priorities.iter().map(|pr| format!("{}优先级", pr.label_zh())));
            scope.extend(c.tiers.iter().map(|t| t.label_zh().to_string()));
            scope.extend(c.member_tiers.iter().map(|m| {
                if m == "vip" {
                    "VIP 客户".to_string()
                } else {
                    format!("{m} 会员")
                }
            }));
            let scope =
                if scope.is_empty() { "其他咨询与工单".to_string() } else { scope.join("、") };
            let mut text = Vec::new();
            if let Some(s) = p.targets.first_response_secs {
                text.push(format!("{}内首次响应", duration_zh(s)));
            }
            if let Some(s) = p.targets.next_response_secs {
                text.push(format!("客户再次留言后 {}内答复", duration_zh(s)));
            }
            if let Some(s) = p.targets.resolution_secs {
                text.push(format!("{}内处理完毕", duration_zh(s)));
            }
            Commitment { policy_id: p.id, scope, text: text.join("；"), service_hours: hours(p) }
        })
        .collect()
}
