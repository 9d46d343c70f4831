//! The routing decisions: which group a request waits in, which agent gets it, the order of the queue,
//! overflow, and a batch that serves a whole queue against shared agent capacity.

use super::model::{AgentState, Choice, Membership, Presence, Request, SkillGroup, Strategy, WorkKind};
use super::refusal::{NoAgent, Refusal};
use crate::time::Millis;
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

/// May a request of `merchant_id` be served from `group`: the tenant's own group or a platform group.
fn tenant_may_use(group: &SkillGroup, merchant_id: Option<i64>) -> bool {
    group.merchant_id.is_none() || group.merchant_id == merchant_id
}

/// The order groups are tried in: the merchant's own by position, then the platform's.
fn group_order(g: &SkillGroup) -> (bool, i32, i64) {
    (g.merchant_id.is_none(), g.position, g.id)
}

/// The on-duty gate (上岗资格, STAFF-1): an agent may go online only when certified (上岗认证) for at
/// least one skill group of their tenant (or of the platform) that they are a member of.
///
/// `groups` may hold any tenant's groups; others are ignored. Refuses with [`Refusal::NoGroup`] when
/// the agent belongs to no such group, and [`Refusal::NotCertified`] naming the groups otherwise.
pub fn check_go_online(agent: &AgentState, groups: &[SkillGroup]) -> Result<(), Refusal> {
    let mut member_of: Vec<&SkillGroup> = groups
        .iter()
        .filter(|g| tenant_may_use(g, agent.merchant_id) && agent.membership(g.id).is_some())
        .collect();
    if member_of.is_empty() {
        return Err(Refusal::NoGroup);
    }
    if member_of.iter().any(|g| agent.is_certified(g.id)) {
        return Ok(());
    }
    member_of.sort_by_key(|g| group_order(g));
    let names: Vec<&str> = member_of.iter().map(|g| g.name.as_str()).collect();
    Err(Refusal::NotCertified { group: names.join("、") })
}

/// A presence change (在线 / 忙碌 / 小休 / 离线): only going online is gated ([`check_go_online`]); an agent
/// may always step back to busy, away or offline.
pub fn check_presence_change(
    agent: &AgentState,
    to: &Presence,
    groups: &[SkillGroup],
) -> Result<(), Refusal> {
    match to {
        Presence::Online => check_go_online(agent, groups),
        Presence::Busy | Presence::Away { .. } | Presence::Offline => Ok(()),
    }
}

/// Whether one more piece of work of `kind` fits under the agent's limit (接待上限).
pub fn check_capacity(agent: &AgentState, kind: WorkKind) -> Result<(), Refusal> {
    if agent.has_room(kind) {
        Ok(())
    } else {
        Err(Refusal::AtCapacity { channel: kind, limit: agent.capacity.limit(kind) })
    }
}

/// Whether routing may give `request` to `agent` from `group`: same tenant, member and certified, online,
/// under capacity. The server uses it to check a manual assignment or transfer (转派) to a named agent.
/// Language is a routing preference and is not checked here.
pub fn check_assignable(agent: &AgentState, group: &SkillGroup, request: &Request) -> Result<(), Refusal> {
    if !tenant_may_use(group, request.merchant_id) || agent.merchant_id != request.merchant_id {
        return Err(Refusal::WrongTenant);
    }
    if agent.membership(group.id).is_none() {
        return Err(Refusal::NotMember);
    }
    if !agent.is_certified(group.id) {
        return Err(Refusal::NotCertified { group: group.name.clone() });
    }
    if !agent.presence.accepts_work() {
        return Err(Refusal::Offline);
    }
    check_capacity(agent, request.kind)
}

/// The group a request should wait in (进线分配).
///
/// A VIP request (VIP flag, or a member tier that a VIP-dedicated group lists) goes first to the first
/// VIP-dedicated group (VIP 专属组, ORG-3) of its tenant whose channels, categories and languages match.
/// Otherwise the first matching non-dedicated group of the request's merchant by position, then of the
/// platform. A request that is not VIP never lands in a VIP-dedicated group.
pub fn select_group<'g>(groups: &'g [SkillGroup], request: &Request) -> Option<&'g SkillGroup> {
    let usable = || groups.iter().filter(|g| tenant_may_use(g, request.merchant_id));
    let vip = usable()
        .filter(|g| {
            g.vip_dedicated
                && (request.vip || g.matching.lists_tier_of(request))
                && g.matching.matches_except_tier(request)
        })
        .min_by_key(|g| group_order(g));
    vip.or_else(|| {
        usable().filter(|g| !g.vip_dedicated && g.matching.matches(request)).min_by_key(|g| group_order(g))
    })
}

/// How far an agent got through the candidate checks, in order; the furthest failure names a
/// [`NoAgent`] reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Tenant,
    Member,
    Certified,
    Online,
    Language,
    Capacity,
}

fn assess<'a>(agent: &'a AgentState, group_id: i64, request: &Request) -> Result<&'a Membership, Stage> {
    if agent.merchant_id != request.merchant_id {
        return Err(Stage::Tenant);
    }
    let membership = agent.membership(group_id).ok_or(Stage::Member)?;
    if !agent.is_certified(group_id) {
        return Err(Stage::Certified);
    }
    if !agent.presence.accepts_work() {
        return Err(Stage::Online);
    }
    if let Some(language) = &request.language {
        if !agent.speaks(language) {
            return Err(Stage::Language);
        }
    }
    if !agent.has_room(request.kind) {
        return Err(Stage::Capacity);
    }
    Ok(membership)
}

fn no_agent(furthest: Option<Stage>, request: &Request) -> NoAgent {
    match furthest {
        None | Some(Stage::Tenant) | Some(Stage::Member) => NoAgent::NoMembers,
        Some(Stage::Certified) => NoAgent::NoneCertified,
        Some(Stage::Online) => NoAgent::NobodyOnline,
        Some(Stage::Language) => {
            NoAgent::NoLanguage { language: request.language.clone().unwrap_or_default() }
        }
        Some(Stage::Capacity) => NoAgent::AllAtCapacity,
    }
}

/// One candidate, with what the strategies compare.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    idx: usize,
    user_id: i64,
    load: u32,
    limit: u32,
    /// Last assignment, never later than `now` (a stamp from a clock running ahead must not starve anyone).
    last: Option<Millis>,
    /// Order of assignment within one batch, where every stamp is `now`.
    seq: u64,
    priority: u8,
    skill_level: u8,
}

/// Least recently assigned first (never assigned before anyone), ties by user id.
fn by_recency(a: &Candidate, b: &Candidate) -> Ordering {
    a.last.cmp(&b.last).then(a.seq.cmp(&b.seq)).then(a.user_id.cmp(&b.user_id))
}

/// Lower load relative to capacity first (exact: cross-multiplied). Candidates have `limit >= 1`.
fn by_load(a: &Candidate, b: &Candidate) -> Ordering {
    (u64::from(a.load) * u64::from(b.limit)).cmp(&(u64::from(b.load) * u64::from(a.limit)))
}

fn compare(strategy: Strategy, a: &Candidate, b: &Candidate) -> Ordering {
    match strategy {
        Strategy::RoundRobin => by_recency(a, b),
        Strategy::LeastLoaded => by_load(a, b).then_with(|| by_recency(a, b)),
        Strategy::SkillPriority => a
            .priority
            .cmp(&b.priority)
            .then(b.skill_level.cmp(&a.skill_level))
            .then_with(|| by_load(a, b))
            .then_with(|| by_recency(a, b)),
    }
}

/// Picks among `agents[indices]`; returns the index and whether it was the sticky agent.
fn pick(
    group: &SkillGroup,
    request: &Request,
    agents: &[AgentState],
    indices: impl Iterator<Item = usize>,
    seq: &[u64],
    now: Millis,
) -> Result<(usize, bool), NoAgent> {
    if !tenant_may_use(group, request.merchant_id) {
        return Err(NoAgent::WrongTenant);
    }
    let mut best: Option<(Candidate, bool)> = None;
    let mut furthest: Option<Stage> = None;
    for idx in indices {
        let agent = &agents[idx];
        match assess(agent, group.id, request) {
            Ok(membership) => {
                // An agent who let this chat's offer lapse is asked again only when nobody else can take it.
                let passed = request.passed_over.contains(&agent.user_id);
                if request.sticky_agent == Some(agent.user_id) && !passed {
                    return Ok((idx, true));
                }
                let c = Candidate {
                    idx,
                    user_id: agent.user_id,
                    load: agent.load.of(request.kind),
                    limit: agent.capacity.limit(request.kind),
                    last: agent.last_assigned_at.map(|t| t.min(now)),
                    seq: seq.get(idx).copied().unwrap_or(0),
                    priority: membership.priority,
                    skill_level: membership.skill_level,
                };
                let better = match &best {
                    None => true,
                    Some((b, b_passed)) if *b_passed != passed => !passed,
                    Some((b, _)) => compare(group.strategy, &c, b) == Ordering::Less,
                };
                if better {
                    best = Some((c, passed));
                }
            }
            Err(stage) => furthest = furthest.max(Some(stage)),
        }
    }
    best.map(|(c, _)| (c.idx, false)).ok_or_else(|| no_agent(furthest, request))
}

/// The rule text recorded with the choice, e.g. `最少负载（售后组）`, `首问负责人优先（售后组）`,
/// `VIP 专属组 · 轮询（大客户组）`, `技能优先（售后二组，溢出自售后组）`.
fn rule_text(group: &SkillGroup, sticky: bool, overflow_from: Option<&SkillGroup>) -> String {
    let how = if sticky { "首问负责人优先" } else { group.strategy.label_zh() };
    let place = match overflow_from {
        Some(from) => format!("{}，溢出自{}", group.name, from.name),
        None => group.name.clone(),
    };
    if group.vip_dedicated {
        format!("VIP 专属组 · {how}（{place}）")
    } else {
        format!("{how}（{place}）")
    }
}

/// Chooses the agent for `request` in `group` (分配客服).
///
/// Candidates are agents of the request's tenant (equal `merchant_id`; platform agents only for platform
/// requests, never across tenants) who are members of the group, certified for it, online (not busy,
/// away or offline), speak the request's language if one is given, and are under capacity for the
/// request's kind. If the sticky agent (previous agent / first responder, 首问负责制) is a candidate, they
/// get it. Otherwise the group's [`Strategy`] decides:
/// * round robin (轮询): least recently assigned (never assigned first), ties by user id;
/// * least loaded (最少负载): lowest load/capacity for the kind, ties least recently assigned;
/// * skill priority (技能优先): lowest membership priority, then highest skill level, then least loaded.
///
/// `agents` may hold anyone; the filter does the rest. Assignment stamps later than `now` count as `now`.
pub fn choose_agent(
    group: &SkillGroup,
    request: &Request,
    agents: &[AgentState],
    now: Millis,
) -> Result<Choice, NoAgent> {
    let (idx, sticky) = pick(group, request, agents, 0..agents.len(), &[], now)?;
    Ok(Choice { agent_id: agents[idx].user_id, group_id: group.id, rule: rule_text(group, sticky, None) })
}

/// The order in which waiting requests are served: VIP first, then priority (urgent > high > normal > low),
/// then first come first served by `arrived_at`, ties by id.
pub fn queue_cmp(a: &Request, b: &Request) -> Ordering {
    b.vip
        .cmp(&a.vip)
        .then(b.priority.cmp(&a.priority))
        .then(a.arrived_at.cmp(&b.arrived_at))
        .then(a.id.cmp(&b.id))
}

/// The waiting requests in serving order ([`queue_cmp`]).
pub fn queue_order(requests: &[Request]) -> Vec<&Request> {
    let mut order: Vec<&Request> = requests.iter().collect();
    order.sort_by(|a, b| queue_cmp(a, b));
    order
}

/// The 1-based place of request `id` in its queue ("您前面还有 2 位" = number 3): among the requests
/// of the same group (and tenant), by [`queue_cmp`]. `None` if `id` is not in `requests`.
pub fn position_in_queue(requests: &[Request], id: i64) -> Option<usize> {
    let me = requests.iter().find(|r| r.id == id)?;
    let ahead = requests
        .iter()
        .filter(|r| {
            r.id != id
                && r.group_id == me.group_id
                && r.merchant_id == me.merchant_id
                && queue_cmp(r, me) == Ordering::Less
        })
        .count();
    Some(ahead + 1)
}

/// When `request` becomes due to overflow from `group` (溢出): `overflow_after_secs` after it entered the
/// group (`queued_at`, else `arrived_at`). `None` when the group has no overflow or the request waits
/// in another group. The server arms its timer with this.
pub fn overflow_due_at(group: &SkillGroup, request: &Request) -> Option<Millis> {
    let to = group.overflow_to?;
    let secs = group.overflow_after_secs?;
    if to == group.id || request.group_id.is_some_and(|g| g != group.id) {
        return None;
    }
    let since = request.queued_at.unwrap_or(request.arrived_at);
    Some(since.plus_ms(i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX)))
}

/// The backup group (溢出组) for `request` once it has waited `overflow_after_secs` in `group`.
pub fn overflow(group: &SkillGroup, request: &Request, now: Millis) -> Option<i64> {
    let due = overflow_due_at(group, request)?;
    if now >= due {
        group.overflow_to
    } else {
        None
    }
}

/// Serves a queue (批量分配): `waiting` in [`queue_order`], each in its group (`group_id`, else
/// [`select_group`]) by [`choose_agent`]'s rules. When nobody there can take it and the request is due to
/// overflow, its backup group is tried (one step). Each assignment counts at once in `agents` (load + 1,
/// `last_assigned_at = now`), so later decisions see it and nobody goes beyond capacity. Requests
/// nobody can take yet are left out of the result; a request id listed twice is served once.
pub fn route_batch(
    groups: &[SkillGroup],
    waiting: &[Request],
    agents: &mut [AgentState],
    now: Millis,
) -> Vec<(i64, Choice)> {
    let by_id: HashMap<i64, &SkillGroup> = groups.iter().map(|g| (g.id, g)).collect();
    // Members of each group, so a decision looks only at the group's members.
    let mut members: HashMap<i64, Vec<usize>> = HashMap::new();
    for (idx, agent) in agents.iter().enumerate() {
        for m in &agent.memberships {
            let list = members.entry(m.group_id).or_default();
            if list.last() != Some(&idx) {
                list.push(idx);
            }
        }
    }
    let empty: Vec<usize> = Vec::new();
    let mut seq = vec![0u64; agents.len()];
    let mut tick = 0u64;
    let mut served: HashSet<i64> = HashSet::new();
    let mut out = Vec::new();

    for request in queue_order(waiting) {
        if served.contains(&request.id) {
            continue;
        }
        let placed = request.group_id.and_then(|id| by_id.get(&id).copied());
        let Some(group) = placed.or_else(|| select_group(groups, request)) else {
            continue;
        };
        let try_group = |g: &SkillGroup, agents: &[AgentState], seq: &[u64]| {
            let list = members.get(&g.id).unwrap_or(&empty);
            pick(g, request, agents, list.iter().copied(), seq, now)
        };
        let mut picked = try_group(group, agents, &seq).map(|(idx, sticky)| (idx, sticky, group, None));
        if picked.is_err() {
            let backup = overflow(group, request, now).and_then(|id| by_id.get(&id).copied());
            if let Some(backup) = backup.filter(|b| b.id != group.id) {
                if let Ok((idx, sticky)) = try_group(backup, agents, &seq) {
                    picked = Ok((idx, sticky, backup, Some(group)));
                }
            }
        }
        let Ok((idx, sticky, served_by, from)) = picked else {
            continue;
        };
        let agent = &mut agents[idx];
        agent.load.add(request.kind);
        agent.last_assigned_at = Some(now);
        tick += 1;
        seq[idx] = tick;
        served.insert(request.id);
        out.push((
            request.id,
            Choice {
                agent_id: agent.user_id,
                group_id: served_by.id,
                rule: rule_text(served_by, sticky, from),
            },
        ));
    }
    out
}
