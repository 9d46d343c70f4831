//! The routing vocabulary: presence, capacity and load, skill groups and their members, agents, the
//! requests waiting to be routed, and the choice made for one.

use crate::ticket::{Channel, Priority};
use crate::time::Millis;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An agent's presence (在线状态). Only [`Presence::Online`] agents receive new work.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Presence {
    /// 在线: on duty and accepting new chats and tickets.
    Online,
    /// 忙碌: on duty, finishing current work, taking nothing new.
    Busy,
    /// 小休 (away): a short break (meal, meeting, training); the reason is shown to the supervisor.
    Away { reason: String },
    /// 离线: off duty.
    #[default]
    Offline,
}

impl Presence {
    /// The stable wire name (`online`, `busy`, `away`, `offline`).
    pub fn as_str(&self) -> &'static str {
        match self {
            Presence::Online => "online",
            Presence::Busy => "busy",
            Presence::Away { .. } => "away",
            Presence::Offline => "offline",
        }
    }

    /// The Chinese name shown in the UI.
    pub fn label_zh(&self) -> &'static str {
        match self {
            Presence::Online => "在线",
            Presence::Busy => "忙碌",
            Presence::Away { .. } => "小休",
            Presence::Offline => "离线",
        }
    }

    /// Whether routing may give this agent new work: only when online.
    pub fn accepts_work(&self) -> bool {
        matches!(self, Presence::Online)
    }

    /// Whether the agent counts as on duty (在线时长, on-duty time): online, busy or away.
    pub fn is_on_duty(&self) -> bool {
        !matches!(self, Presence::Offline)
    }
}

/// The kind of work routed: a live chat session (会话) or a ticket (工单). Each has its own capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WorkKind {
    /// 会话: a live chat session, counted against `max_chats`.
    Chat,
    /// 工单: an open ticket, counted against `max_tickets`.
    Ticket,
}

impl WorkKind {
    /// The work a ticket of this channel is: a chat is a live session, everything else a ticket.
    pub fn of_channel(channel: Channel) -> WorkKind {
        if channel == Channel::Chat {
            WorkKind::Chat
        } else {
            WorkKind::Ticket
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            WorkKind::Chat => "chat",
            WorkKind::Ticket => "ticket",
        }
    }

    /// The Chinese name shown in the UI.
    pub fn label_zh(self) -> &'static str {
        match self {
            WorkKind::Chat => "会话",
            WorkKind::Ticket => "工单",
        }
    }
}

/// Default limit of simultaneous chat sessions per agent.
pub const DEFAULT_MAX_CHATS: u32 = 5;
/// Default limit of open tickets per agent.
pub const DEFAULT_MAX_TICKETS: u32 = 30;

/// How much an agent may carry at once (接待上限). A limit of 0 means the agent takes none of that kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct Capacity {
    pub max_chats: u32,
    pub max_tickets: u32,
}

impl Default for Capacity {
    fn default() -> Self {
        Capacity { max_chats: DEFAULT_MAX_CHATS, max_tickets: DEFAULT_MAX_TICKETS }
    }
}

impl Capacity {
    /// The limit for one kind of work.
    pub fn limit(&self, kind: WorkKind) -> u32 {
        match kind {
            WorkKind::Chat => self.max_chats,
            WorkKind::Ticket => self.max_tickets,
        }
    }
}

/// What an agent carries now (当前负载): active chat sessions and open tickets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct Load {
    pub chats: u32,
    pub tickets: u32,
}

impl Load {
    /// The load of one kind of work.
    pub fn of(&self, kind: WorkKind) -> u32 {
        match kind {
            WorkKind::Chat => self.chats,
            WorkKind::Ticket => self.tickets,
        }
    }

    /// Counts one more piece of work of `kind`.
    pub fn add(&mut self, kind: WorkKind) {
        match kind {
            WorkKind::Chat => self.chats = self.chats.saturating_add(1),
            WorkKind::Ticket => self.tickets = self.tickets.saturating_add(1),
        }
    }
}

/// How a skill group picks among its available agents (分配策略).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// 轮询: the agent assigned least recently.
    RoundRobin,
    /// 最少负载: the agent with the lowest load relative to capacity.
    #[default]
    LeastLoaded,
    /// 技能优先: the member with the best (lowest) priority, then the highest skill level, then the least loaded.
    SkillPriority,
}

impl Strategy {
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::RoundRobin => "round_robin",
            Strategy::LeastLoaded => "least_loaded",
            Strategy::SkillPriority => "skill_priority",
        }
    }

    /// The Chinese name shown in the UI and in the rule text of a [`Choice`].
    pub fn label_zh(self) -> &'static str {
        match self {
            Strategy::RoundRobin => "轮询",
            Strategy::LeastLoaded => "最少负载",
            Strategy::SkillPriority => "技能优先",
        }
    }
}

/// Which requests a skill group serves. An empty list matches anything; entries in one list are
/// alternatives; different lists must all match.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct GroupMatch {
    pub channels: Vec<Channel>,
    /// Category codes (工单分类); a code also matches its sub-categories (`after_sales` matches
    /// `after_sales_return`).
    pub categories: Vec<String>,
    /// Member tiers (会员等级), e.g. `gold`; `vip` stands for customers marked VIP (大客户).
    pub member_tiers: Vec<String>,
    /// Language codes, e.g. `zh`, `en`.
    pub languages: Vec<String>,
}

/// Does category `code` fall under `want` (equal, or a sub-category `want_…`)?
pub(crate) fn category_under(code: &str, want: &str) -> bool {
    code == want || code.strip_prefix(want).is_some_and(|rest| rest.starts_with('_'))
}

impl GroupMatch {
    /// Whether the request matches every list (member tiers included).
    pub fn matches(&self, r: &Request) -> bool {
        self.matches_except_tier(r) && (self.member_tiers.is_empty() || self.lists_tier_of(r))
    }

    /// Channels, categories and languages match (member tiers not considered).
    pub(crate) fn matches_except_tier(&self, r: &Request) -> bool {
        (self.channels.is_empty() || self.channels.contains(&r.channel))
            && (self.categories.is_empty()
                || r.category
                    .as_deref()
                    .is_some_and(|c| self.categories.iter().any(|w| category_under(c, w))))
            && (self.languages.is_empty()
                || r.language.as_deref().is_some_and(|l| self.languages.iter().any(|w| w == l)))
    }

    /// The list names the request's member tier, or `vip` for a VIP-flagged request (`vip` in the list
    /// means the flag only, never a member tier of that name).
    pub(crate) fn lists_tier_of(&self, r: &Request) -> bool {
        self.member_tiers.iter().any(|t| {
            if t == "vip" {
                r.vip
            } else {
                r.member_tier.as_deref() == Some(t.as_str())
            }
        })
    }
}

/// A skill group (技能组), also the queue (队列) its requests wait in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SkillGroup {
    pub id: i64,
    /// `None`: a platform group (平台), tried after the merchant's (入驻商家) own groups.
    pub merchant_id: Option<i64>,
    /// The name shown to staff and in the rule text, e.g. `售后组`.
    pub name: String,
    /// Matching order: groups are tried by ascending position (merchant groups before platform groups).
    pub position: i32,
    pub strategy: Strategy,
    #[serde(default)]
    pub matching: GroupMatch,
    /// A dedicated group for big customers (大客户 / VIP 专属组, ORG-3): VIP requests go here first; no
    /// other request ever does.
    #[serde(default)]
    pub vip_dedicated: bool,
    /// The backup group (溢出组) a request moves to after waiting `overflow_after_secs` here.
    #[serde(default)]
    pub overflow_to: Option<i64>,
    #[serde(default)]
    pub overflow_after_secs: Option<u64>,
}

/// An agent's membership of a skill group (技能组成员).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Membership {
    pub group_id: i64,
    pub user_id: i64,
    /// 技能等级: 1 (novice) to 5 (expert).
    pub skill_level: u8,
    /// 分配优先级: lower is served first under [`Strategy::SkillPriority`].
    pub priority: u8,
}

/// What routing knows about one agent (客服专员) at the moment of a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AgentState {
    pub user_id: i64,
    /// `None`: a platform agent, who serves platform requests only.
    pub merchant_id: Option<i64>,
    pub presence: Presence,
    pub memberships: Vec<Membership>,
    /// Groups the agent holds on-duty certification (上岗认证) for.
    pub certified_groups: Vec<i64>,
    #[serde(default)]
    pub capacity: Capacity,
    #[serde(default)]
    pub load: Load,
    /// When routing last gave the agent work (round robin and tie-breaks).
    pub last_assigned_at: Option<Millis>,
    /// Language codes the agent serves in, e.g. `zh`, `en`.
    #[serde(default)]
    pub languages: Vec<String>,
}

impl AgentState {
    /// The agent's membership of `group_id`, if any.
    pub fn membership(&self, group_id: i64) -> Option<&Membership> {
        self.memberships.iter().find(|m| m.group_id == group_id)
    }

    /// Holds on-duty certification (上岗认证) for `group_id`.
    pub fn is_certified(&self, group_id: i64) -> bool {
        self.certified_groups.contains(&group_id)
    }

    /// Serves in `language`.
    pub fn speaks(&self, language: &str) -> bool {
        self.languages.iter().any(|l| l == language)
    }

    /// Below the limit for `kind`: one more piece of work fits.
    pub fn has_room(&self, kind: WorkKind) -> bool {
        self.load.of(kind) < self.capacity.limit(kind)
    }
}

/// A chat session or ticket waiting to be routed (待分配).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Request {
    /// The chat session's or ticket's id.
    pub id: i64,
    /// `None`: a platform request (e.g. 平台介入, platform intervention).
    pub merchant_id: Option<i64>,
    pub kind: WorkKind,
    pub channel: Channel,
    /// Category code (工单分类), if classified.
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub priority: Priority,
    /// Marked as a big customer (大客户 / VIP).
    #[serde(default)]
    pub vip: bool,
    /// The customer's member tier (会员等级), e.g. `gold`.
    #[serde(default)]
    pub member_tier: Option<String>,
    /// The customer's language code, e.g. `en`; `None`: any agent will do.
    #[serde(default)]
    pub language: Option<String>,
    /// When the customer's request arrived: the queue is first come, first served.
    pub arrived_at: Millis,
    /// When the request entered its current group (`group_id`); `None`: at `arrived_at`. Overflow
    /// counts from here.
    #[serde(default)]
    pub queued_at: Option<Millis>,
    /// The agent who should get it if available: the customer's previous agent, or the ticket's first
    /// responder (首问负责制 / 首问责任人).
    #[serde(default)]
    pub sticky_agent: Option<i64>,
    /// The group it waits in, once queued; `None`: not yet placed ([`select_group`](super::select_group)).
    #[serde(default)]
    pub group_id: Option<i64>,
    /// Agents who let an offer of this chat lapse: chosen again only when nobody else can take it.
    #[serde(default)]
    pub passed_over: Vec<i64>,
}

/// The outcome of a routing decision, recorded as a ticket event with its rule text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Choice {
    pub agent_id: i64,
    /// The group the request was served from (its own, or the overflow group).
    pub group_id: i64,
    /// Why, in Chinese for the ticket history, e.g. `最少负载（售后组）` or `首问负责人优先（售后组）`.
    pub rule: String,
}
