//! SLA policies (服务时效规则): ordered rules that say, for the tickets they match, how soon each answer
//! is due and what happens when it is late.

use crate::ticket::{Channel, Priority, Tier};
use crate::DomainError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Which tickets a policy covers. An empty list matches anything; several entries in one list are
/// alternatives; different lists must all match.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Conditions {
    pub channels: Vec<Channel>,
    /// Category codes; a code also matches its sub-categories (`after_sales` matches `after_sales_return`).
    pub categories: Vec<String>,
    pub priorities: Vec<Priority>,
    pub tiers: Vec<Tier>,
    /// Customer member tiers (会员等级), e.g. `gold`; `vip` stands for customers marked VIP.
    pub member_tiers: Vec<String>,
}

/// What kefu does when a target is breached (超时), besides recording it and notifying.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum BreachAction {
    /// Raise the priority one step (low → normal → high → urgent).
    RaisePriority,
    /// Escalate one tier (L1 → L2 supervisor → L3 management, SVC-5).
    EscalateTier,
    /// Hand the ticket to a team's queue.
    ReassignTeam { team_id: i64 },
}

/// A policy as stored and edited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SlaPolicy {
    pub id: i64,
    /// `None`: a platform policy, applying to every merchant after the merchant's own policies.
    pub merchant_id: Option<i64>,
    pub name: String,
    /// Rules are tried by ascending position (merchant rules before platform rules); the first match wins.
    pub position: i32,
    pub active: bool,
    pub conditions: Conditions,
    pub targets: Targets,
    /// The business calendar the targets count in; `None`: the team's, merchant's or platform's default.
    pub calendar_id: Option<i64>,
    /// Whether the clocks stand still while the ticket waits for the customer (待客户回复).
    pub pause_when_pending: bool,
    /// The share of a target at which a warning (预警) fires, 1–99 (default 75).
    pub warn_percent: u8,
    pub breach_actions: Vec<BreachAction>,
}

/// Targets in business seconds of the policy's calendar; `None`: not measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Targets {
    pub first_response_secs: Option<u64>,
    pub next_response_secs: Option<u64>,
    pub resolution_secs: Option<u64>,
}

impl Targets {
    pub fn of(&self, metric: super::SlaMetric) -> Option<u64> {
        match metric {
            super::SlaMetric::FirstResponse => self.first_response_secs,
            super::SlaMetric::NextResponse => self.next_response_secs,
            super::SlaMetric::Resolution => self.resolution_secs,
        }
    }
}

/// The longest target accepted: one year of business time.
pub const MAX_TARGET_SECS: u64 = 366 * 24 * 3600;

/// What a policy is matched against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketFacts<'a> {
    pub merchant_id: Option<i64>,
    pub channel: Channel,
    pub category: Option<&'a str>,
    pub priority: Priority,
    pub tier: Tier,
    /// The customer's member tier and VIP flag, when known.
    pub member_tier: Option<&'a str>,
    pub vip: bool,
}

impl Conditions {
    pub fn matches(&self, f: &TicketFacts<'_>) -> bool {
        let any = |empty: bool, hit: bool| empty || hit;
        any(self.channels.is_empty(), self.channels.contains(&f.channel))
            && any(self.priorities.is_empty(), self.priorities.contains(&f.priority))
            && any(self.tiers.is_empty(), self.tiers.contains(&f.tier))
            && any(
                self.categories.is_empty(),
                f.category.is_some_and(|c| {
                    self.categories.iter().any(|want| {
                        c == want || c.strip_prefix(want.as_str()).is_some_and(|r| r.starts_with('_'))
                    })
                }),
            )
            && any(
                self.member_tiers.is_empty(),
                self.member_tiers.iter().any(|t| (t == "vip" && f.vip) || f.member_tier == Some(t.as_str())),
            )
    }
}

impl SlaPolicy {
    /// Checks a policy before it is stored; the error names the field.
    pub fn validate(&self) -> Result<(), DomainError> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(DomainError::validation("name", "the policy name must be 1-100 characters"));
        }
        if self.targets.first_response_secs.is_none()
            && self.targets.next_response_secs.is_none()
            && self.targets.resolution_secs.is_none()
        {
            return Err(DomainError::validation(
                "targets",
                "a policy needs at least one target (first_response_secs, next_response_secs or resolution_secs)",
            ));
        }
        for (field, v) in [
            ("targets.first_response_secs", self.targets.first_response_secs),
            ("targets.next_response_secs", self.targets.next_response_secs),
            ("targets.resolution_secs", self.targets.resolution_secs),
        ] {
            if let Some(v) = v {
                if v == 0 || v > MAX_TARGET_SECS {
                    return Err(DomainError::validation(
                        field,
                        format!("a target must be between 1 second and {MAX_TARGET_SECS} seconds (one year), not {v}"),
                    ));
                }
            }
        }
        if !(1..=99).contains(&self.warn_percent) {
            return Err(DomainError::validation(
                "warn_percent",
                format!("the warning share must be 1-99 (percent of the target), not {}", self.warn_percent),
            ));
        }
        for (i, c) in self.conditions.categories.iter().enumerate() {
            if c.trim().is_empty() || c.len() > 64 {
                return Err(DomainError::validation(
                    &format!("conditions.categories[{i}]"),
                    "a category code must be 1-64 characters",
                ));
            }
        }
        for (i, t) in self.conditions.member_tiers.iter().enumerate() {
            if t.trim().is_empty() || t.len() > 32 {
                return Err(DomainError::validation(
                    &format!("conditions.member_tiers[{i}]"),
                    "a member tier must be 1-32 characters",
                ));
            }
        }
        Ok(())
    }
}

/// The policy that applies: the first active match of the ticket's merchant's own policies, then of the
/// platform's, each by position. `policies` may hold any merchants' policies; others are skipped.
pub fn select<'p>(policies: &'p [SlaPolicy], f: &TicketFacts<'_>) -> Option<&'p SlaPolicy> {
    let mut candidates: Vec<&SlaPolicy> = policies
        .iter()
        .filter(|p| p.active && (p.merchant_id.is_none() || p.merchant_id == f.merchant_id))
        .collect();
    candidates.sort_by_key(|p| (p.merchant_id.is_none(), p.position, p.id));
    candidates.into_iter().find(|p| p.conditions.matches(f))
}

/// A shipped default calendar, referred to by the default policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultCalendar {
    /// 客服服务时间: every day 09:00–23:00, holidays included (online shops serve on holidays).
    ServiceHours,
    /// 标准工作日: Monday–Friday 09:00–12:00 and 13:00–18:00, closed on statutory holidays, open on
    /// make-up workdays; one working day is 8 business hours.
    Workdays,
    /// 7×24 全天候: every instant counts.
    AllDay,
}

/// A shipped default policy: what kefu starts with, following the regulations (listed in
/// docs/ARCHITECTURE.md). Stored as ordinary platform policies on first start; admins edit them.
pub struct DefaultPolicy {
    pub name: &'static str,
    pub conditions: Conditions,
    pub targets: Targets,
    pub calendar: DefaultCalendar,
    pub pause_when_pending: bool,
    pub breach_actions: Vec<BreachAction>,
}

const MIN: u64 = 60;
const HOUR: u64 = 3600;

/// The shipped platform policies, in order.
pub fn default_policies() -> Vec<DefaultPolicy> {
    use crate::ticket::{AFTER_SALES, COMPLAINT, TECHNICAL_SUPPORT};
    let cats = |c: &[&str]| c.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    vec![
        DefaultPolicy {
            name: "在线咨询：服务时间内 30 秒首次响应",
            conditions: Conditions { channels: vec![Channel::Chat], ..Conditions::default() },
            targets: Targets {
                first_response_secs: Some(30),
                next_response_secs: Some(3 * MIN),
                resolution_secs: Some(24 * HOUR),
            },
            calendar: DefaultCalendar::ServiceHours,
            pause_when_pending: true,
            breach_actions: vec![],
        },
        DefaultPolicy {
            name: "投诉：24 小时内处理",
            conditions: Conditions { categories: cats(&[COMPLAINT]), ..Conditions::default() },
            targets: Targets {
                first_response_secs: Some(24 * HOUR),
                next_response_secs: Some(24 * HOUR),
                resolution_secs: Some(24 * HOUR),
            },
            calendar: DefaultCalendar::AllDay,
            pause_when_pending: true,
            breach_actions: vec![BreachAction::EscalateTier, BreachAction::RaisePriority],
        },
        DefaultPolicy {
            name: "售后：48 小时内响应，7 天内完成",
            conditions: Conditions { categories: cats(&[AFTER_SALES]), ..Conditions::default() },
            targets: Targets {
                first_response_secs: Some(48 * HOUR),
                next_response_secs: Some(48 * HOUR),
                resolution_secs: Some(7 * 24 * HOUR),
            },
            calendar: DefaultCalendar::AllDay,
            pause_when_pending: true,
            breach_actions: vec![BreachAction::EscalateTier],
        },
        DefaultPolicy {
            name: "技术支持：24 小时内响应",
            conditions: Conditions { categories: cats(&[TECHNICAL_SUPPORT]), ..Conditions::default() },
            targets: Targets {
                first_response_secs: Some(24 * HOUR),
                next_response_secs: Some(24 * HOUR),
                resolution_secs: Some(48 * HOUR),
            },
            calendar: DefaultCalendar::AllDay,
            pause_when_pending: true,
            breach_actions: vec![BreachAction::EscalateTier],
        },
        DefaultPolicy {
            name: "邮件与留言：1 个工作日内答复",
            conditions: Conditions {
                channels: vec![Channel::Email, Channel::LeftMessage],
                ..Conditions::default()
            },
            targets: Targets {
                first_response_secs: Some(8 * HOUR),
                next_response_secs: Some(8 * HOUR),
                resolution_secs: None,
            },
            calendar: DefaultCalendar::Workdays,
            pause_when_pending: true,
            breach_actions: vec![BreachAction::EscalateTier],
        },
        DefaultPolicy {
            name: "一般工单：一级 15 分钟首次响应，24 小时内答复，复杂问题 48 小时内解决",
            conditions: Conditions::default(),
            targets: Targets {
                first_response_secs: Some(15 * MIN),
                next_response_secs: Some(24 * HOUR),
                resolution_secs: Some(48 * HOUR),
            },
            calendar: DefaultCalendar::ServiceHours,
            pause_when_pending: true,
            breach_actions: vec![BreachAction::EscalateTier],
        },
    ]
}
