use super::*;
use crate::ticket::{Channel, Priority};
use crate::time::Millis;
use crate::{DomainError, ErrorCode};

const SHOP: Option<i64> = Some(1);
const OTHER_SHOP: Option<i64> = Some(2);
const T0: Millis = Millis(1_780_000_000_000);

fn secs(s: i64) -> Millis {
    T0.plus_ms(s * 1000)
}

fn group(id: i64, name: &str, strategy: Strategy) -> SkillGroup {
    SkillGroup {
        id,
        merchant_id: SHOP,
        name: name.to_string(),
        position: id as i32,
        strategy,
        matching: GroupMatch::default(),
        vip_dedicated: false,
        overflow_to: None,
        overflow_after_secs: None,
    }
}

/// An online agent of SHOP, member of and certified for `groups`, speaking Chinese, nothing assigned yet.
fn agent(user_id: i64, groups: &[i64]) -> AgentState {
    AgentState {
        user_id,
        merchant_id: SHOP,
        presence: Presence::Online,
        memberships: groups
            .iter()
            .map(|&group_id| Membership { group_id, user_id, skill_level: 3, priority: 5 })
            .collect(),
        certified_groups: groups.to_vec(),
        capacity: Capacity::default(),
        load: Load::default(),
        last_assigned_at: None,
        languages: vec!["zh".to_string()],
    }
}

/// A chat of SHOP waiting in group 10, arrived `id` seconds after T0.
fn chat(id: i64) -> Request {
    Request {
        id,
        merchant_id: SHOP,
        kind: WorkKind::Chat,
        channel: Channel::Chat,
        category: None,
        priority: Priority::Normal,
        vip: false,
        member_tier: None,
        language: None,
        arrived_at: secs(id),
        queued_at: None,
        sticky_agent: None,
        group_id: Some(10),
        passed_over: Vec::new(),
    }
}

fn with_load(mut a: AgentState, chats: u32, tickets: u32) -> AgentState {
    a.load = Load { chats, tickets };
    a
}

fn assigned_at(mut a: AgentState, at: Option<Millis>) -> AgentState {
    a.last_assigned_at = at;
    a
}

fn chosen(g: &SkillGroup, r: &Request, agents: &[AgentState]) -> i64 {
    choose_agent(g, r, agents, secs(1000)).expect("an agent").agent_id
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap()
}

// ---- strategies ----

#[test]
fn round_robin_takes_the_least_recently_assigned_never_assigned_first() {
    let g = group(10, "售前组", Strategy::RoundRobin);
    let agents = vec![
        assigned_at(agent(1, &[10]), Some(secs(50))),
        assigned_at(agent(2, &[10]), Some(secs(20))),
        assigned_at(agent(3, &[10]), Some(secs(30))),
    ];
    let c = choose_agent(&g, &chat(1), &agents, secs(100)).unwrap();
    assert_eq!(c, Choice { agent_id: 2, group_id: 10, rule: "轮询（售前组）".to_string() });

    let mut agents = agents;
    agents.push(agent(9, &[10]));
    agents.push(agent(8, &[10]));
    assert_eq!(chosen(&g, &chat(1), &agents), 8, "never assigned first, ties by user id");
}

#[test]
fn round_robin_rotates_within_one_batch() {
    let g = group(10, "售前组", Strategy::RoundRobin);
    let mut agents = vec![agent(3, &[10]), agent(1, &[10]), agent(2, &[10])];
    let waiting: Vec<Request> = (1..=7).map(chat).collect();
    let got: Vec<i64> =
        route_batch(&[g], &waiting, &mut agents, secs(100)).iter().map(|(_, c)| c.agent_id).collect();
    assert_eq!(got, vec![1, 2, 3, 1, 2, 3, 1]);
}

#[test]
fn a_stamp_from_a_clock_running_ahead_does_not_starve_an_agent() {
    let g = group(10, "售前组", Strategy::RoundRobin);
    let agents =
        vec![assigned_at(agent(1, &[10]), Some(secs(10_000))), assigned_at(agent(2, &[10]), Some(secs(99)))];
    // At now = 100 agent 1's stamp counts as 100: agent 2 (99) is still less recent.
    assert_eq!(choose_agent(&g, &chat(1), &agents, secs(100)).unwrap().agent_id, 2);
    let agents =
        vec![assigned_at(agent(1, &[10]), Some(secs(10_000))), assigned_at(agent(2, &[10]), Some(secs(100)))];
    // Equal after clamping: ties by user id.
    assert_eq!(choose_agent(&g, &chat(1), &agents, secs(100)).unwrap().agent_id, 1);
}

#[test]
fn least_loaded_compares_load_relative_to_capacity() {
    let g = group(10, "售后组", Strategy::LeastLoaded);
    let mut big = with_load(agent(1, &[10]), 3, 0); // 3/10 = 0.3
    big.capacity.max_chats = 10;
    let small = with_load(agent(2, &[10]), 2, 0); // 2/5 = 0.4
    let c = choose_agent(&g, &chat(1), &[small.clone(), big.clone()], T0).unwrap();
    assert_eq!(c.agent_id, 1);
    assert_eq!(c.rule, "最少负载（售后组）");

    // Equal ratio (2/5 = 4/10): the less recently assigned.
    let big = assigned_at(with_load(big, 4, 0), Some(secs(5)));
    let small = assigned_at(small, Some(secs(9)));
    assert_eq!(chosen(&g, &chat(1), &[small.clone(), big.clone()]), 1);
    let big = assigned_at(big, Some(secs(10)));
    assert_eq!(chosen(&g, &chat(1), &[small, big]), 2);
}

#[test]
fn least_loaded_counts_the_load_of_the_requests_kind() {
    let g = group(10, "售后组", Strategy::LeastLoaded);
    let agents = vec![with_load(agent(1, &[10]), 0, 20), with_load(agent(2, &[10]), 1, 0)];
    assert_eq!(chosen(&g, &chat(1), &agents), 1, "chats: 0/5 < 1/5");
    let ticket = Request { kind: WorkKind::Ticket, ..chat(1) };
    assert_eq!(chosen(&g, &ticket, &agents), 2, "tickets: 0/30 < 20/30");
}

#[test]
fn skill_priority_prefers_priority_then_skill_then_load() {
    let g = group(10, "技术支持组", Strategy::SkillPriority);
    let member = |user_id: i64, priority: u8, skill_level: u8, chats: u32| {
        let mut a = with_load(agent(user_id, &[10]), chats, 0);
        a.memberships = vec![Membership { group_id: 10, user_id, skill_level, priority }];
        a
    };
    let agents = vec![member(1, 2, 3, 0), member(2, 1, 2, 4), member(3, 1, 4, 3), member(4, 1, 4, 2)];
    let c = choose_agent(&g, &chat(1), &agents, T0).unwrap();
    assert_eq!(c.agent_id, 4, "priority 1, skill 4, least loaded among those");
    assert_eq!(c.rule, "技能优先（技术支持组）");
    let agents = vec![member(1, 2, 5, 0), member(2, 1, 2, 4)];
    assert_eq!(chosen(&g, &chat(1), &agents), 2, "priority before skill and load");
    let agents = vec![member(1, 1, 3, 0), member(2, 1, 5, 4)];
    assert_eq!(chosen(&g, &chat(1), &agents), 2, "skill before load");
}

// ---- stickiness (首问负责制) ----

#[test]
fn the_sticky_agent_comes_first_when_available() {
    let g = group(10, "售后组", Strategy::LeastLoaded);
    let agents = vec![agent(1, &[10]), with_load(agent(2, &[10]), 4, 0)];
    let r = Request { sticky_agent: Some(2), ..chat(1) };
    let c = choose_agent(&g, &r, &agents, T0).unwrap();
    assert_eq!(c, Choice { agent_id: 2, group_id: 10, rule: "首问负责人优先（售后组）".to_string() });
}

#[test]
fn a_sticky_agent_at_capacity_away_or_outside_the_group_is_skipped() {
    let g = group(10, "售后组", Strategy::LeastLoaded);
    let r = Request { sticky_agent: Some(2), ..chat(1) };

    let full = vec![agent(1, &[10]), with_load(agent(2, &[10]), 5, 0)];
    let c = choose_agent(&g, &r, &full, T0).unwrap();
    assert_eq!((c.agent_id, c.rule.as_str()), (1, "最少负载（售后组）"));

    let mut away = agent(2, &[10]);
    away.presence = Presence::Away { reason: "午餐".to_string() };
    assert_eq!(chosen(&g, &r, &[agent(1, &[10]), away]), 1);

    let mut busy = agent(2, &[10]);
    busy.presence = Presence::Busy;
    assert_eq!(chosen(&g, &r, &[agent(1, &[10]), busy]), 1);

    assert_eq!(chosen(&g, &r, &[agent(1, &[10]), agent(2, &[11])]), 1, "not a member of the group");

    let mut other = agent(2, &[10]);
    other.merchant_id = OTHER_SHOP;
    assert_eq!(chosen(&g, &r, &[agent(1, &[10]), other]), 1, "never across tenants, even when sticky");
}

// ---- queue order and position ----

#[test]
fn the_queue_serves_vip_first_then_priority_then_first_come() {
    let mut waiting = vec![
        Request { priority: Priority::Low, ..chat(1) },
        Request { priority: Priority::Urgent, ..chat(2) },
        Request { vip: true, priority: Priority::Low, ..chat(3) },
        chat(4),
        Request { priority: Priority::High, ..chat(5) },
        Request { vip: true, priority: Priority::High, ..chat(6) },
        chat(7),
        Request { arrived_at: secs(4), ..chat(0) }, // same arrival as 4: ties by id
    ];
    let ids: Vec<i64> = queue_order(&waiting).iter().map(|r| r.id).collect();
    assert_eq!(ids, vec![6, 3, 2, 5, 0, 4, 7, 1]);

    waiting.reverse();
    let again: Vec<i64> = queue_order(&waiting).iter().map(|r| r.id).collect();
    assert_eq!(again, ids, "the input order does not matter");
}

#[test]
fn position_in_queue_is_one_based_and_per_group() {
    let waiting = vec![
        chat(1),
        chat(2),
        Request { group_id: Some(11), ..chat(3) },
        chat(4),
        Request { vip: true, ..chat(5) },
        Request { merchant_id: OTHER_SHOP, group_id: Some(20), ..chat(6) },
    ];
    assert_eq!(position_in_queue(&waiting, 5), Some(1), "VIP jumps the queue");
    assert_eq!(position_in_queue(&waiting, 1), Some(2));
    assert_eq!(position_in_queue(&waiting, 4), Some(4), "number 4 in group 10");
    assert_eq!(position_in_queue(&waiting, 3), Some(1), "alone in group 11");
    assert_eq!(position_in_queue(&waiting, 6), Some(1));
    assert_eq!(position_in_queue(&waiting, 99), None);
}

// ---- group selection and VIP ----

#[test]
fn vip_requests_go_to_the_tenants_vip_dedicated_group_first() {
    let mut general = group(10, "售后组", Strategy::LeastLoaded);
    general.position = 1;
    let mut vip = group(11, "大客户组", Strategy::RoundRobin);
    vip.position = 9;
    vip.vip_dedicated = true;
    vip.matching.member_tiers = vec!["diamond".to_string()];
    let mut other_vip = group(12, "他店大客户组", Strategy::RoundRobin);
    other_vip.merchant_id = OTHER_SHOP;
    other_vip.vip_dedicated = true;
    other_vip.position = 0;
    let groups = vec![other_vip, general, vip];

    let unplaced = |r: Request| Request { group_id: None, ..r };
    let flagged = unplaced(Request { vip: true, ..chat(1) });
    assert_eq!(select_group(&groups, &flagged).map(|g| g.id), Some(11), "VIP flag");
    let diamond = unplaced(Request { member_tier: Some("diamond".to_string()), ..chat(2) });
    assert_eq!(select_group(&groups, &diamond).map(|g| g.id), Some(11), "a tier the VIP group lists");
    let gold = unplaced(Request { member_tier: Some("gold".to_string()), ..chat(3) });
    assert_eq!(select_group(&groups, &gold).map(|g| g.id), Some(10), "never in a VIP group otherwise");

    let agents = vec![agent(1, &[11])];
    let c = choose_agent(&groups[2], &flagged, &agents, T0).unwrap();
    assert_eq!(c.rule, "VIP 专属组 · 轮询（大客户组）");
    assert!(c.rule.contains("VIP 专属组"));
}

#[test]
fn a_vip_request_no_vip_group_matches_goes_to_the_ordinary_groups() {
    let mut vip = group(11, "大客户电话组", Strategy::RoundRobin);
    vip.vip_dedicated = true;
    vip.matching.channels = vec![Channel::Phone];
    let general = group(10, "售后组", Strategy::LeastLoaded);
    let r = Request { vip: true, group_id: None, ..chat(1) };
    assert_eq!(select_group(&[vip, general], &r).map(|g| g.id), Some(10));
}

#[test]
fn groups_match_by_position_merchant_before_platform_with_sub_categories() {
    let mut platform = group(1, "平台售后组", Strategy::LeastLoaded);
    platform.merchant_id = None;
    platform.position = 0;
    let mut presales = group(10, "售前组", Strategy::RoundRobin);
    presales.position = 2;
    presales.matching.categories = vec!["presales".to_string()];
    let mut after_sales = group(11, "售后组", Strategy::LeastLoaded);
    after_sales.position = 3;
    after_sales.matching.categories = vec!["after_sales".to_string()];
    let mut english = group(12, "英文组", Strategy::LeastLoaded);
    english.position = 1;
    english.matching.languages = vec!["en".to_string()];
    let mut foreign = group(13, "他店售后组", Strategy::LeastLoaded);
    foreign.merchant_id = OTHER_SHOP;
    foreign.position = -1;
    let groups = vec![platform, presales, after_sales, english, foreign];

    let r = |category: Option<&str>, language: Option<&str>| Request {
        category: category.map(str::to_string),
        language: language.map(str::to_string),
        group_id: None,
        ..chat(1)
    };
    let pick = |req: Request| select_group(&groups, &req).map(|g| g.id);
    assert_eq!(pick(r(Some("after_sales_return"), None)), Some(11), "a code matches its sub-categories");
    assert_eq!(pick(r(Some("after_sales"), None)), Some(11));
    assert_eq!(pick(r(Some("after_salesman"), None)), Some(1), "not a sub-category: the platform group");
    assert_eq!(pick(r(Some("presales"), Some("en"))), Some(12), "lower position wins");
    assert_eq!(pick(r(None, None)), Some(1), "nothing of the merchant matches: the platform");
    let platform_request = Request { merchant_id: None, ..r(Some("presales"), None) };
    assert_eq!(pick(platform_request), Some(1), "platform requests only see platform groups");
    let nobody = Request { merchant_id: Some(3), ..r(None, None) };
    assert_eq!(pick(nobody), Some(1));
    assert_eq!(select_group(&groups[1..4], &Request { merchant_id: Some(3), ..r(None, None) }), None);
}

#[test]
fn member_tier_vip_in_an_ordinary_group_means_the_vip_flag() {
    let mut g = group(10, "会员组", Strategy::LeastLoaded);
    g.matching.member_tiers = vec!["vip".to_string(), "gold".to_string()];
    assert!(g.matching.matches(&Request { vip: true, ..chat(1) }));
    assert!(g.matching.matches(&Request { member_tier: Some("gold".to_string()), ..chat(1) }));
    assert!(!g.matching.matches(&Request { member_tier: Some("silver".to_string()), ..chat(1) }));
    assert!(
        !g.matching.matches(&Request { member_tier: Some("vip".to_string()), ..chat(1) }),
        "vip means the flag"
    );
}

// ---- capacity ----

#[test]
fn capacity_caps_each_kind_separately() {
    let full_chats = with_load(agent(1, &[10]), 5, 3);
    assert_eq!(
        check_capacity(&full_chats, WorkKind::Chat),
        Err(Refusal::AtCapacity { channel: WorkKind::Chat, limit: 5 })
    );
    assert_eq!(check_capacity(&full_chats, WorkKind::Ticket), Ok(()));
    let full_tickets = with_load(agent(1, &[10]), 0, 30);
    assert_eq!(
        check_capacity(&full_tickets, WorkKind::Ticket),
        Err(Refusal::AtCapacity { channel: WorkKind::Ticket, limit: 30 })
    );
    let mut none = agent(1, &[10]);
    none.capacity.max_chats = 0;
    assert!(check_capacity(&none, WorkKind::Chat).is_err(), "a limit of 0 takes none");
    assert_eq!(Capacity::default(), Capacity { max_chats: 5, max_tickets: 30 });

    let g = group(10, "售后组", Strategy::LeastLoaded);
    let agents = vec![full_chats, with_load(agent(2, &[10]), 7, 0)];
    assert_eq!(choose_agent(&g, &chat(1), &agents, T0), Err(NoAgent::AllAtCapacity));
    let ticket = Request { kind: WorkKind::Ticket, ..chat(1) };
    assert_eq!(chosen(&g, &ticket, &agents), 2);
}

#[test]
fn route_batch_fills_agents_up_to_capacity_and_no_further() {
    let g = group(10, "售后组", Strategy::LeastLoaded);
    let mut agents = vec![with_load(agent(1, &[10]), 3, 0), agent(2, &[10])];
    agents[1].capacity.max_chats = 2;
    let waiting: Vec<Request> = (1..=10).map(chat).collect();
    let out = route_batch(&[g], &waiting, &mut agents, secs(100));
    assert_eq!(out.len(), 4, "2 places with agent 1 and 2 with agent 2");
    assert_eq!(agents[0].load.chats, 5);
    assert_eq!(agents[1].load.chats, 2);
    assert_eq!(agents[0].last_assigned_at, Some(secs(100)));
    let ids: Vec<i64> = out.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, vec![1, 2, 3, 4], "first come first served");
}

#[test]
fn route_batch_serves_a_request_listed_twice_once() {
    let g = group(10, "售后组", Strategy::LeastLoaded);
    let mut agents = vec![agent(1, &[10])];
    let out = route_batch(&[g], &[chat(1), chat(1)], &mut agents, T0);
    assert_eq!(out.len(), 1);
    assert_eq!(agents[0].load.chats, 1);
}

#[test]
fn route_batch_places_unqueued_requests_and_gives_vip_the_last_place() {
    let mut g = group(10, "售后组", Strategy::LeastLoaded);
    g.matching.categories = vec!["after_sales".to_string()];
    let mut agents = vec![with_load(agent(1, &[10]), 4, 0)];
    let waiting = vec![
        Request { group_id: None, category: Some("after_sales_repair".to_string()), ..chat(1) },
        Request { group_id: None, category: Some("after_sales".to_string()), vip: true, ..chat(2) },
    ];
    let out = route_batch(&[g], &waiting, &mut agents, T0);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].0, 2, "the VIP is served first");
    assert_eq!(out[0].1.group_id, 10);
}

/// SplitMix64: a small deterministic generator for the property loop.
struct Rng(u64);

impl Rng {
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
    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize].clone()
    }
}

#[test]
fn route_batch_never_exceeds_capacity_nor_crosses_tenants_in_random_batches() {
    let tenants = [Some(1), Some(2), None];
    let languages = ["zh", "en"];
    let mut rng = Rng(0x6B65_6675);
    let mut total_assigned = 0usize;
    for round in 0..400 {
        let now = secs(10_000);
        let groups: Vec<SkillGroup> = (0..5)
            .map(|i| {
                let strategy =
                    rng.pick(&[Strategy::RoundRobin, Strategy::LeastLoaded, Strategy::SkillPriority]);
                let mut g = group(100 + i, &format!("组{i}"), strategy);
                g.merchant_id = rng.pick(&tenants);
                g.position = rng.below(5) as i32;
                g.vip_dedicated = rng.chance(15);
                if rng.chance(40) {
                    g.overflow_to = Some(100 + rng.below(5) as i64);
                    g.overflow_after_secs = Some(1 + rng.below(120));
                }
                if rng.chance(30) {
                    g.matching.languages = vec![rng.pick(&languages).to_string()];
                }
                g
            })
            .collect();
        let agents: Vec<AgentState> = (0..20)
            .map(|user_id| {
                let ids: Vec<i64> = (100..105).filter(|_| rng.chance(40)).collect();
                let mut a = agent(user_id, &ids);
                a.merchant_id = rng.pick(&tenants);
                a.certified_groups.retain(|_| rng.chance(80));
                a.presence = rng.pick(&[
                    Presence::Online,
                    Presence::Online,
                    Presence::Busy,
                    Presence::Away { reason: "会议".to_string() },
                    Presence::Offline,
                ]);
                for m in &mut a.memberships {
                    m.skill_level = 1 + rng.below(5) as u8;
                    m.priority = rng.below(4) as u8;
                }
                a.capacity = Capacity { max_chats: rng.below(4) as u32, max_tickets: rng.below(6) as u32 };
                // Some start above their limit (the limit was lowered): they must get nothing more.
                a.load = Load { chats: rng.below(6) as u32, tickets: rng.below(8) as u32 };
                a.languages = languages.iter().filter(|_| rng.chance(60)).map(|l| l.to_string()).collect();
                a.last_assigned_at = if rng.chance(50) { Some(secs(rng.below(9_000) as i64)) } else { None };
                a
            })
            .collect();
        let waiting: Vec<Request> = (0..40)
            .map(|id| Request {
                merchant_id: rng.pick(&tenants),
                kind: rng.pick(&[WorkKind::Chat, WorkKind::Ticket]),
                priority: rng.pick(Priority::ALL),
                vip: rng.chance(20),
                language: if rng.chance(30) { Some(rng.pick(&languages).to_string()) } else { None },
                arrived_at: secs(rng.below(10_000) as i64),
                sticky_agent: if rng.chance(30) { Some(rng.below(20) as i64) } else { None },
                group_id: if rng.chance(70) { Some(100 + rng.below(6) as i64) } else { None },
                ..chat(id)
            })
            .collect();

        let mut after = agents.clone();
        let out = route_batch(&groups, &waiting, &mut after, now);
        total_assigned += out.len();

        let mut seen = std::collections::HashSet::new();
        let mut given = vec![Load::default(); agents.len()];
        for (request_id, choice) in &out {
            assert!(seen.insert(*request_id), "round {round}: request {request_id} served twice");
            let r = waiting.iter().find(|r| r.id == *request_id).unwrap();
            let idx = agents.iter().position(|a| a.user_id == choice.agent_id).unwrap();
            let a = &agents[idx];
            let g = groups.iter().find(|g| g.id == choice.group_id).unwrap();
            assert_eq!(a.merchant_id, r.merchant_id, "round {round}: across tenants");
            assert!(
                g.merchant_id.is_none() || g.merchant_id == r.merchant_id,
                "round {round}: foreign group"
            );
            assert!(a.membership(g.id).is_some() && a.is_certified(g.id), "round {round}: not qualified");
            assert_eq!(a.presence, Presence::Online, "round {round}: not online");
            if let Some(l) = &r.language {
                assert!(a.speaks(l), "round {round}: wrong language");
            }
            given[idx].add(r.kind);
        }
        for (idx, (before, after)) in agents.iter().zip(&after).enumerate() {
            for kind in [WorkKind::Chat, WorkKind::Ticket] {
                let (b, a, g) = (before.load.of(kind), after.load.of(kind), given[idx].of(kind));
                assert_eq!(a, b + g, "round {round}: the load counts every assignment");
                if g > 0 {
                    assert!(a <= before.capacity.limit(kind), "round {round}: agent {idx} beyond capacity");
                }
            }
        }
    }
    assert!(total_assigned > 500, "the random batches exercise assignment ({total_assigned})");
}

// ---- the on-duty gate ----

#[test]
fn going_online_needs_certification_for_a_group_one_belongs_to() {
    let mut groups =
        vec![group(10, "售后组", Strategy::LeastLoaded), group(11, "售前组", Strategy::RoundRobin)];
    groups[1].position = 0;
    let mut a = agent(1, &[10, 11]);
    a.certified_groups.clear();
    assert_eq!(
        check_go_online(&a, &groups),
        Err(Refusal::NotCertified { group: "售前组、售后组".to_string() })
    );
    let e = check_go_online(&a, &groups).unwrap_err();
    assert_eq!(e.code(), "not_certified");
    assert!(e.to_string().contains("上岗认证") && e.to_string().contains("not certified"), "{e}");
    assert_eq!(DomainError::from(e).code, ErrorCode::Forbidden);

    a.certified_groups = vec![10];
    assert_eq!(check_go_online(&a, &groups), Ok(()));
    assert_eq!(check_presence_change(&a, &Presence::Online, &groups), Ok(()));

    let mut stranger = agent(2, &[]);
    stranger.certified_groups = vec![10];
    assert_eq!(check_go_online(&stranger, &groups), Err(Refusal::NoGroup), "certified but not a member");

    let mut foreign = agent(3, &[10]);
    foreign.merchant_id = OTHER_SHOP;
    assert_eq!(check_go_online(&foreign, &groups), Err(Refusal::NoGroup), "another merchant's group");

    a.certified_groups.clear();
    assert_eq!(check_presence_change(&a, &Presence::Away { reason: "培训".to_string() }, &groups), Ok(()));
    assert_eq!(check_presence_change(&a, &Presence::Offline, &groups), Ok(()));
    assert!(check_presence_change(&a, &Presence::Online, &groups).is_err());
}

#[test]
fn uncertified_or_absent_agents_are_never_chosen_and_no_agent_says_why() {
    let g = group(10, "售后组", Strategy::LeastLoaded);
    let r = chat(1);
    assert_eq!(choose_agent(&g, &r, &[], T0), Err(NoAgent::NoMembers));
    assert_eq!(choose_agent(&g, &r, &[agent(1, &[11])], T0), Err(NoAgent::NoMembers));

    let mut uncertified = agent(1, &[10]);
    uncertified.certified_groups.clear();
    assert_eq!(choose_agent(&g, &r, &[uncertified.clone()], T0), Err(NoAgent::NoneCertified));

    let mut offline = agent(2, &[10]);
    offline.presence = Presence::Offline;
    let e = choose_agent(&g, &r, &[uncertified.clone(), offline], T0).unwrap_err();
    assert_eq!(e, NoAgent::NobodyOnline);
    assert!(!e.should_wait() && e.customer_message_zh().contains("留言"));

    let english = Request { language: Some("en".to_string()), ..chat(1) };
    assert_eq!(
        choose_agent(&g, &english, &[uncertified.clone(), agent(3, &[10])], T0),
        Err(NoAgent::NoLanguage { language: "en".to_string() })
    );
    let mut bilingual = agent(4, &[10]);
    bilingual.languages.push("en".to_string());
    assert_eq!(chosen(&g, &english, &[agent(3, &[10]), bilingual]), 4);

    let e = choose_agent(&g, &r, &[with_load(agent(5, &[10]), 5, 0)], T0).unwrap_err();
    assert_eq!((e.code(), e.should_wait()), ("all_at_capacity", true));
    assert_eq!(chosen(&g, &r, &[uncertified, agent(6, &[10])]), 6);
}

#[test]
fn check_assignable_gives_the_first_reason() {
    let g = group(10, "售后组", Strategy::LeastLoaded);
    let r = chat(1);
    assert_eq!(check_assignable(&agent(1, &[10]), &g, &r), Ok(()));
    let mut foreign = agent(1, &[10]);
    foreign.merchant_id = OTHER_SHOP;
    assert_eq!(check_assignable(&foreign, &g, &r), Err(Refusal::WrongTenant));
    assert_eq!(check_assignable(&agent(1, &[11]), &g, &r), Err(Refusal::NotMember));
    let mut uncertified = agent(1, &[10]);
    uncertified.certified_groups.clear();
    assert_eq!(
        check_assignable(&uncertified, &g, &r),
        Err(Refusal::NotCertified { group: "售后组".to_string() })
    );
    let mut away = agent(1, &[10]);
    away.presence = Presence::Away { reason: "午餐".to_string() };
    assert_eq!(check_assignable(&away, &g, &r), Err(Refusal::Offline));
    assert!(matches!(
        check_assignable(&with_load(agent(1, &[10]), 5, 0), &g, &r),
        Err(Refusal::AtCapacity { .. })
    ));
}

// ---- tenant isolation ----

#[test]
fn a_merchants_request_never_goes_to_another_merchants_or_a_platform_agent() {
    let mut shared = group(10, "平台售后组", Strategy::LeastLoaded);
    shared.merchant_id = None;
    let mut other = agent(1, &[10]);
    other.merchant_id = OTHER_SHOP;
    let mut platform = agent(2, &[10]);
    platform.merchant_id = None;
    let agents = vec![other, platform, with_load(agent(3, &[10]), 5, 0)];

    assert_eq!(choose_agent(&shared, &chat(1), &agents, T0), Err(NoAgent::AllAtCapacity));
    let r = Request { sticky_agent: Some(2), ..chat(1) };
    assert_eq!(choose_agent(&shared, &r, &agents[..2], T0), Err(NoAgent::NoMembers));

    let platform_request = Request { merchant_id: None, ..chat(1) };
    assert_eq!(chosen(&shared, &platform_request, &agents), 2, "platform agents serve platform requests");

    let foreign_group = Request { merchant_id: OTHER_SHOP, ..chat(1) };
    assert_eq!(chosen(&shared, &foreign_group, &agents), 1);
    let shop_group = group(10, "售后组", Strategy::LeastLoaded);
    assert_eq!(choose_agent(&shop_group, &foreign_group, &agents, T0), Err(NoAgent::WrongTenant));

    let mut batch_agents = agents.clone();
    let out = route_batch(&[shop_group], &[chat(1), foreign_group], &mut batch_agents, T0);
    assert!(out.is_empty(), "{out:?}");
}

// ---- overflow ----

#[test]
fn overflow_is_due_after_the_wait_in_this_group() {
    let mut g = group(10, "售后组", Strategy::LeastLoaded);
    g.overflow_to = Some(11);
    g.overflow_after_secs = Some(60);
    let r = chat(0); // arrived at T0
    assert_eq!(overflow_due_at(&g, &r), Some(secs(60)));
    assert_eq!(overflow(&g, &r, secs(59)), None);
    assert_eq!(overflow(&g, &r, T0.plus_ms(59_999)), None);
    assert_eq!(overflow(&g, &r, secs(60)), Some(11));
    assert_eq!(overflow(&g, &r, secs(600)), Some(11));

    let moved_in_late = Request { queued_at: Some(secs(100)), ..chat(0) };
    assert_eq!(overflow(&g, &moved_in_late, secs(150)), None, "the wait counts from entering the group");
    assert_eq!(overflow(&g, &moved_in_late, secs(160)), Some(11));

    let elsewhere = Request { group_id: Some(12), ..chat(0) };
    assert_eq!(overflow(&g, &elsewhere, secs(600)), None);
    assert_eq!(overflow(&group(10, "售前组", Strategy::RoundRobin), &r, secs(600)), None);
}

#[test]
fn route_batch_uses_the_backup_group_only_when_due_and_the_own_group_has_nobody() {
    let mut main = group(10, "售后组", Strategy::LeastLoaded);
    main.overflow_to = Some(11);
    main.overflow_after_secs = Some(60);
    let backup = group(11, "售后二组", Strategy::RoundRobin);
    let groups = vec![main, backup];
    let fresh = agents_for_overflow();

    let mut agents = fresh.clone();
    assert!(route_batch(&groups, &[chat(0)], &mut agents, secs(30)).is_empty(), "not yet due");

    let mut agents = fresh.clone();
    let out = route_batch(&groups, &[chat(0)], &mut agents, secs(60));
    assert_eq!(out.len(), 1);
    assert_eq!(
        out[0].1,
        Choice {
            agent_id: 2, group_id: 11, rule: "轮询（售后二组，溢出自售后组）".to_string()
        }
    );

    let mut agents = fresh;
    agents[0].load.chats = 0;
    let out = route_batch(&groups, &[chat(0)], &mut agents, secs(60));
    assert_eq!((out[0].1.agent_id, out[0].1.group_id), (1, 10), "the own group first");
}

fn agents_for_overflow() -> Vec<AgentState> {
    vec![with_load(agent(1, &[10]), 5, 0), agent(2, &[11])]
}

// ---- validation ----

#[test]
fn skill_group_validation_names_the_field() {
    let ok = group(10, "售后组", Strategy::LeastLoaded);
    assert_eq!(ok.validate(), Ok(()));
    let field = |g: SkillGroup| g.validate().unwrap_err().field.unwrap();

    assert_eq!(field(SkillGroup { name: "  ".to_string(), ..ok.clone() }), "name");
    assert_eq!(field(SkillGroup { name: "组".repeat(51), ..ok.clone() }), "name");
    assert_eq!(SkillGroup { name: "组".repeat(50), ..ok.clone() }.validate(), Ok(()));
    assert_eq!(field(SkillGroup { name: "a\nb".to_string(), ..ok.clone() }), "name");
    assert_eq!(
        field(SkillGroup { overflow_to: Some(10), overflow_after_secs: Some(60), ..ok.clone() }),
        "overflow_to"
    );
    assert_eq!(field(SkillGroup { overflow_after_secs: Some(60), ..ok.clone() }), "overflow_after_secs");
    assert_eq!(field(SkillGroup { overflow_to: Some(11), ..ok.clone() }), "overflow_after_secs");
    assert_eq!(
        field(SkillGroup { overflow_to: Some(11), overflow_after_secs: Some(0), ..ok.clone() }),
        "overflow_after_secs"
    );
    assert_eq!(
        field(SkillGroup { overflow_to: Some(11), overflow_after_secs: Some(86_401), ..ok.clone() }),
        "overflow_after_secs"
    );
    let mut bad = ok.clone();
    bad.matching.categories = vec!["after_sales".to_string(), "售后".to_string()];
    assert_eq!(field(bad), "matching.categories[1]");
    let mut bad = ok.clone();
    bad.matching.languages = vec!["e n".to_string()];
    assert_eq!(field(bad), "matching.languages[0]");
    let mut bad = ok.clone();
    bad.matching.member_tiers = vec!["Gold".to_string()];
    assert_eq!(field(bad), "matching.member_tiers[0]");
    let mut good = ok;
    good.matching.languages = vec!["zh-Hant".to_string(), "en".to_string()];
    good.matching.member_tiers = vec!["vip".to_string()];
    assert_eq!(good.validate(), Ok(()));
}

#[test]
fn skill_group_validation_against_the_others() {
    let a = SkillGroup {
        overflow_to: Some(11),
        overflow_after_secs: Some(60),
        ..group(10, "售后组", Strategy::LeastLoaded)
    };
    let b = group(11, "售后二组", Strategy::RoundRobin);
    assert_eq!(a.validate_among(&[a.clone(), b.clone()]), Ok(()));

    let twin = SkillGroup { id: 12, overflow_to: None, overflow_after_secs: None, ..a.clone() };
    let e = twin.validate_among(&[a.clone(), b.clone()]).unwrap_err();
    assert_eq!((e.code, e.field.as_deref()), (ErrorCode::Conflict, Some("name")));
    let elsewhere = SkillGroup { merchant_id: OTHER_SHOP, ..twin.clone() };
    assert_eq!(elsewhere.validate_among(&[a.clone(), b.clone()]), Ok(()), "names are per tenant");

    assert_eq!(a.validate_among(&[]).unwrap_err().field.as_deref(), Some("overflow_to"), "missing target");
    let foreign = SkillGroup { merchant_id: OTHER_SHOP, ..b.clone() };
    assert_eq!(a.validate_among(&[foreign]).unwrap_err().field.as_deref(), Some("overflow_to"));
    let back = SkillGroup { overflow_to: Some(10), overflow_after_secs: Some(30), ..b };
    let e = a.validate_among(&[back]).unwrap_err();
    assert!(e.message.contains("back"), "{}", e.message);
}

#[test]
fn membership_capacity_and_presence_validation() {
    let m = Membership { group_id: 10, user_id: 1, skill_level: 3, priority: 0 };
    assert_eq!(m.validate(), Ok(()));
    for level in [0, 6] {
        let e = Membership { skill_level: level, ..m }.validate().unwrap_err();
        assert_eq!(e.field.as_deref(), Some("skill_level"));
    }
    assert_eq!(Capacity::default().validate(), Ok(()));
    assert_eq!(
        Capacity { max_chats: 51, max_tickets: 1 }.validate().unwrap_err().field.as_deref(),
        Some("max_chats")
    );
    assert_eq!(
        Capacity { max_chats: 1, max_tickets: 1001 }.validate().unwrap_err().field.as_deref(),
        Some("max_tickets")
    );
    assert_eq!(Presence::Away { reason: "午餐".to_string() }.validate(), Ok(()));
    assert!(Presence::Away { reason: " ".to_string() }.validate().is_err());
    assert!(Presence::Away { reason: "久".repeat(51) }.validate().is_err());
    assert_eq!(Presence::Online.validate(), Ok(()));
}

// ---- wire format ----

#[test]
fn wire_formats_are_stable() {
    assert_eq!(json(&Presence::Online), r#"{"status":"online"}"#);
    assert_eq!(json(&Presence::Away { reason: "午餐".to_string() }), r#"{"status":"away","reason":"午餐"}"#);
    assert_eq!(
        json(&Refusal::AtCapacity { channel: WorkKind::Chat, limit: 5 }),
        r#"{"code":"at_capacity","channel":"chat","limit":5}"#
    );
    assert_eq!(json(&Refusal::NotMember), r#"{"code":"not_member"}"#);
    assert_eq!(json(&NoAgent::NobodyOnline), r#"{"code":"nobody_online"}"#);
    assert_eq!(json(&Strategy::SkillPriority), r#""skill_priority""#);
    let back: Presence = serde_json::from_str(r#"{"status":"away","reason":"会议"}"#).unwrap();
    assert_eq!(back.label_zh(), "小休");
    assert_eq!(Presence::default(), Presence::Offline);

    for r in [
        Refusal::NotCertified { group: "售后组".to_string() },
        Refusal::AtCapacity { channel: WorkKind::Ticket, limit: 30 },
        Refusal::WrongTenant,
        Refusal::NotMember,
        Refusal::NoGroup,
        Refusal::Offline,
    ] {
        let v: serde_json::Value = serde_json::to_value(&r).unwrap();
        assert_eq!(v["code"], r.code(), "serde tag and code() agree");
        assert!(!r.message_zh().is_empty() && !r.message_en().is_empty());
    }
    let schema = serde_json::to_string(&<SkillGroup as utoipa::PartialSchema>::schema()).unwrap();
    assert!(schema.contains("overflow_after_secs") && schema.contains("vip_dedicated"), "{schema}");
}

#[test]
fn agents_who_let_an_offer_lapse_are_chosen_only_when_nobody_else_can_take_it() {
    let g = group(10, "售前组", Strategy::RoundRobin);
    let agents = vec![agent(1, &[10]), with_load(agent(2, &[10]), 3, 0)];
    // Agent 1 is the sticky first responder and the least loaded, but let the offer lapse.
    let r = Request { sticky_agent: Some(1), passed_over: vec![1], ..chat(1) };
    let choice = choose_agent(&g, &r, &agents, T0).expect("someone");
    assert_eq!(choice.agent_id, 2);
    // Alone, the passed-over agent is offered the chat again rather than leaving it waiting.
    let alone = vec![agent(1, &[10])];
    assert_eq!(choose_agent(&g, &r, &alone, T0).expect("someone").agent_id, 1);
}
