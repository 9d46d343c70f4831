use super::*;
use crate::calendar::{BusinessCalendar, WeeklyHours};
use crate::org::Role;
use crate::ticket::{
    rebuild, Actor, Channel, NewTicket, Priority, TicketEvent, TicketEventKind as K, TicketNumber,
    TicketStatus, Tier,
};
use crate::time::Millis;

fn at(local: &str) -> Millis {
    // Shanghai wall-clock time.
    let dt: jiff::civil::DateTime = local.parse().unwrap();
    Millis(
        dt.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap()).unwrap().timestamp().as_millisecond(),
    )
}

fn staff() -> Actor {
    Actor::Staff { user_id: 7, role: Role::Agent }
}

fn customer() -> Actor {
    Actor::Customer { customer_id: 3 }
}

fn ev(t: &str, actor: Actor, kind: K) -> TicketEvent {
    TicketEvent { at: at(t), actor, kind }
}

fn created(t: &str, channel: Channel) -> TicketEvent {
    let number = TicketNumber::new("2026-03-10".parse().unwrap(), 1).unwrap();
    ev(
        t,
        customer(),
        K::Created(NewTicket {
            number,
            merchant_id: Some(1),
            customer_id: Some(3),
            channel,
            subject: "退款".into(),
            body: String::new(),
            priority: Priority::Normal,
            category: None,
            follow_up_of: None,
        }),
    )
}

fn status(t: &str, from: TicketStatus, to: TicketStatus) -> TicketEvent {
    ev(t, staff(), K::StatusChanged { from, to })
}

fn policy(first: u64, pause: bool) -> SlaPolicy {
    SlaPolicy {
        id: 1,
        merchant_id: None,
        name: "测试".into(),
        position: 0,
        active: true,
        conditions: Conditions::default(),
        targets: Targets {
            first_response_secs: Some(first),
            next_response_secs: Some(600),
            resolution_secs: Some(3600),
        },
        calendar_id: None,
        pause_when_pending: pause,
        warn_percent: 75,
        breach_actions: vec![BreachAction::EscalateTier],
    }
}

fn all_day() -> BusinessCalendar {
    BusinessCalendar::china(WeeklyHours::always_open())
}

fn office() -> BusinessCalendar {
    BusinessCalendar::china(WeeklyHours::weekdays_from(&["09:00-12:00", "13:30-18:00"]).unwrap())
}

fn first(views: &[ClockView]) -> &ClockView {
    views.iter().find(|v| v.metric == SlaMetric::FirstResponse).unwrap()
}

#[test]
fn first_response_clock_pauses_while_pending_and_resumes_on_the_customers_reply() {
    let log = vec![
        created("2026-03-10T10:00:00", Channel::Web),
        status("2026-03-10T10:05:00", TicketStatus::New, TicketStatus::PendingCustomer),
        ev("2026-03-10T10:20:00", customer(), K::CustomerReplied { body: "补充".into() }),
        status("2026-03-10T10:20:00", TicketStatus::PendingCustomer, TicketStatus::Open),
    ];
    let st = rebuild(&log);
    // Paused: 5 of 15 minutes spent, 10 left from 10:20.
    let v = evaluate(&all_day(), &st, &policy(900, true), at("2026-03-10T10:21:00"));
    let f = first(&v);
    assert_eq!(f.state, ClockState::Running);
    assert_eq!(f.elapsed_secs, 6 * 60);
    assert_eq!(f.due_at, Some(at("2026-03-10T10:30:00")));
    // Warning at 75 % = 11:15 of business time: 5 min before the pause + 6:15 after.
    assert_eq!(f.warn_at, Some(at("2026-03-10T10:26:15")));

    // While pending the clock stands still and has no due instant.
    let pending = rebuild(&log[..2]);
    let v = evaluate(&all_day(), &pending, &policy(900, true), at("2026-03-10T10:19:00"));
    assert_eq!(first(&v).state, ClockState::Paused);
    assert_eq!(first(&v).elapsed_secs, 300);
    assert_eq!(first(&v).due_at, None);
    assert_eq!(next_due(&v), None);

    // A policy that does not pause keeps counting.
    let v = evaluate(&all_day(), &st, &policy(900, false), at("2026-03-10T10:21:00"));
    assert_eq!(first(&v).state, ClockState::Overdue);
    assert_eq!(first(&v).due_at, Some(at("2026-03-10T10:15:00")));
}

#[test]
fn the_first_public_reply_stops_the_clock_and_a_later_customer_message_starts_the_next() {
    let log = vec![
        created("2026-03-10T10:00:00", Channel::Chat),
        ev("2026-03-10T10:00:20", staff(), K::NoteAdded { body: "内部".into() }),
        ev("2026-03-10T10:00:25", staff(), K::StaffReplied { body: "您好".into() }),
        ev("2026-03-10T10:03:00", customer(), K::CustomerReplied { body: "还在吗".into() }),
    ];
    let st = rebuild(&log);
    let v = evaluate(&all_day(), &st, &policy(30, true), at("2026-03-10T10:20:00"));
    let f = first(&v);
    assert_eq!(f.state, ClockState::Met);
    assert_eq!(f.elapsed_secs, 25);
    let n = v.iter().find(|v| v.metric == SlaMetric::NextResponse).unwrap();
    assert_eq!((n.cycle, n.state), (1, ClockState::Overdue));
    assert_eq!(n.due_at, Some(at("2026-03-10T10:13:00")));
    // A second customer message while the first is unanswered does not restart the clock.
    let mut more = log.clone();
    more.push(ev("2026-03-10T10:05:00", customer(), K::CustomerReplied { body: "？".into() }));
    assert_eq!(rebuild(&more).sla.next_response_cycle, 1);
    assert_eq!(rebuild(&more).sla.next_response.unwrap().started_at, at("2026-03-10T10:03:00"));
}

#[test]
fn business_hours_count_only_open_time() {
    // Opened Friday 17:55 with 15 minutes to answer: 5 minutes on Friday, 10 on Monday morning.
    let log = vec![created("2026-03-13T17:55:00", Channel::Web)];
    let v = evaluate(&office(), &rebuild(&log), &policy(900, true), at("2026-03-14T12:00:00"));
    assert_eq!(first(&v).due_at, Some(at("2026-03-16T09:10:00")));
    assert_eq!(first(&v).elapsed_secs, 300);
    assert_eq!(first(&v).state, ClockState::Running);
}

#[test]
fn resolution_does_not_count_the_time_while_resolved() {
    let log = vec![
        created("2026-03-10T10:00:00", Channel::Web),
        ev("2026-03-10T10:01:00", staff(), K::StaffReplied { body: "好的".into() }),
        status("2026-03-10T10:30:00", TicketStatus::Open, TicketStatus::Resolved),
        status("2026-03-10T15:00:00", TicketStatus::Resolved, TicketStatus::Open),
    ];
    let st = rebuild(&log);
    let v = evaluate(&all_day(), &st, &policy(900, true), at("2026-03-10T15:10:00"));
    let r = v.iter().find(|v| v.metric == SlaMetric::Resolution).unwrap();
    assert_eq!(r.elapsed_secs, 40 * 60);
    assert_eq!(r.due_at, Some(at("2026-03-10T15:30:00")));
    let resolved = rebuild(&log[..3]);
    let v = evaluate(&all_day(), &resolved, &policy(900, true), at("2026-03-10T15:10:00"));
    let r = v.iter().find(|v| v.metric == SlaMetric::Resolution).unwrap();
    assert_eq!(r.state, ClockState::Met);
    assert_eq!(next_due(&v), None);
}

#[test]
fn warnings_and_breaches_fire_once() {
    let mut log = vec![created("2026-03-10T10:00:00", Channel::Web)];
    let p = policy(600, true);
    let cal = all_day();
    // Before the warning share nothing is due; the timer points at the warning.
    let v = evaluate(&cal, &rebuild(&log), &p, at("2026-03-10T10:07:00"));
    assert!(due_now(&v, at("2026-03-10T10:07:00")).is_empty());
    assert_eq!(next_due(&v), Some(at("2026-03-10T10:07:30")));
    // At 7:30 the warning fires; recorded, it does not fire again, and the timer moves to the breach.
    let now = at("2026-03-10T10:07:30");
    let due = due_now(&evaluate(&cal, &rebuild(&log), &p, now), now);
    assert_eq!(due.len(), 1);
    assert_eq!((due[0].metric, due[0].level), (SlaMetric::FirstResponse, SlaLevel::Warning));
    log.extend(due_events(&due, now));
    let v = evaluate(&cal, &rebuild(&log), &p, now);
    assert!(due_now(&v, now).is_empty());
    assert_eq!(next_due(&v), Some(at("2026-03-10T10:10:00")));
    // Long after (kefu was down): the breach fires once, with its due instant.
    let now = at("2026-03-10T12:00:00");
    let due = due_now(&evaluate(&cal, &rebuild(&log), &p, now), now);
    let breaches: Vec<_> = due.iter().filter(|d| d.level == SlaLevel::Breach).collect();
    assert_eq!(breaches.len(), 2, "first response and resolution: {due:?}");
    assert_eq!(breaches[0].due_at, at("2026-03-10T10:10:00"));
    log.extend(due_events(&due, now));
    let st = rebuild(&log);
    assert!(due_now(&evaluate(&cal, &st, &p, now), now).is_empty());
    assert_eq!(next_due(&evaluate(&cal, &st, &p, now)), None);
    // The breach action escalates L1 → L2, by the SLA engine's own actor.
    let cmds = breach_commands(&p, &st, &breaches);
    assert!(matches!(&cmds[..], [crate::ticket::TicketCommand::Escalate { to: Tier::L2, .. }]), "{cmds:?}");
    let mut at_l3 = st.clone();
    at_l3.tier = Tier::L3;
    assert!(breach_commands(&p, &at_l3, &breaches).is_empty());
}

#[test]
fn a_clock_that_stopped_late_records_its_breach_without_actions() {
    let log = vec![
        created("2026-03-10T10:00:00", Channel::Web),
        ev("2026-03-10T10:20:00", staff(), K::StaffReplied { body: "抱歉久等".into() }),
    ];
    let p = policy(600, true);
    let now = at("2026-03-10T10:21:00");
    let v = evaluate(&all_day(), &rebuild(&log), &p, now);
    assert_eq!(first(&v).state, ClockState::Missed);
    let due = due_now(&v, now);
    let b: Vec<_> = due.iter().filter(|d| d.metric == SlaMetric::FirstResponse).collect();
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].level, SlaLevel::Breach);
    assert!(!b[0].running);
    assert!(breach_commands(&p, &rebuild(&log), &b).is_empty());
}

#[test]
fn policies_match_in_order_merchant_first() {
    let mut chat = policy(30, true);
    chat.id = 1;
    chat.position = 1;
    chat.conditions.channels = vec![Channel::Chat];
    let mut general = policy(900, true);
    general.id = 2;
    general.position = 9;
    let mut mine = policy(60, true);
    mine.id = 3;
    mine.merchant_id = Some(5);
    mine.position = 50;
    mine.conditions.categories = vec!["after_sales".into()];
    let mut vip = policy(10, true);
    vip.id = 4;
    vip.position = 0;
    vip.conditions.member_tiers = vec!["vip".into()];
    let ps = vec![chat, general, mine, vip];
    let facts = |merchant, channel, category, vip| TicketFacts {
        merchant_id: merchant,
        channel,
        category,
        priority: Priority::Normal,
        tier: Tier::L1,
        member_tier: None,
        vip,
    };
    assert_eq!(select(&ps, &facts(Some(5), Channel::Chat, Some("after_sales_return"), false)).unwrap().id, 3);
    assert_eq!(select(&ps, &facts(Some(6), Channel::Chat, Some("after_sales_return"), false)).unwrap().id, 1);
    assert_eq!(select(&ps, &facts(Some(5), Channel::Web, Some("after_salesman"), false)).unwrap().id, 2);
    assert_eq!(select(&ps, &facts(None, Channel::Web, None, true)).unwrap().id, 4);
    let inactive: Vec<_> = ps
        .iter()
        .cloned()
        .map(|mut p| {
            p.active = false;
            p
        })
        .collect();
    assert!(select(&inactive, &facts(None, Channel::Web, None, false)).is_none());
}

#[test]
fn policy_validation_names_the_field() {
    let mut p = policy(30, true);
    p.warn_percent = 100;
    assert_eq!(p.validate().unwrap_err().field.as_deref(), Some("warn_percent"));
    let mut p = policy(30, true);
    p.targets = Targets::default();
    assert_eq!(p.validate().unwrap_err().field.as_deref(), Some("targets"));
    let mut p = policy(30, true);
    p.targets.resolution_secs = Some(0);
    assert_eq!(p.validate().unwrap_err().field.as_deref(), Some("targets.resolution_secs"));
    let mut p = policy(30, true);
    p.name = "  ".into();
    assert_eq!(p.validate().unwrap_err().field.as_deref(), Some("name"));
}

#[test]
fn shipped_policies_follow_the_regulations_and_read_as_plain_chinese() {
    let defaults = default_policies();
    let ps: Vec<SlaPolicy> = defaults
        .iter()
        .enumerate()
        .map(|(i, d)| SlaPolicy {
            id: i as i64 + 1,
            merchant_id: None,
            name: d.name.into(),
            position: i as i32 * 10,
            active: true,
            conditions: d.conditions.clone(),
            targets: d.targets,
            calendar_id: None,
            pause_when_pending: d.pause_when_pending,
            warn_percent: 75,
            breach_actions: d.breach_actions.clone(),
        })
        .collect();
    for p in &ps {
        p.validate().unwrap();
    }
    let facts = |channel, category| TicketFacts {
        merchant_id: Some(1),
        channel,
        category,
        priority: Priority::Normal,
        tier: Tier::L1,
        member_tier: None,
        vip: false,
    };
    let chat = select(&ps, &facts(Channel::Chat, None)).unwrap();
    assert_eq!(chat.targets.first_response_secs, Some(30));
    let complaint = select(&ps, &facts(Channel::Web, Some("complaint"))).unwrap();
    assert_eq!(complaint.targets.resolution_secs, Some(24 * 3600));
    let after_sales = select(&ps, &facts(Channel::App, Some("after_sales_return"))).unwrap();
    assert_eq!(after_sales.targets.first_response_secs, Some(48 * 3600));
    assert_eq!(after_sales.targets.resolution_secs, Some(7 * 86_400));
    let email = select(&ps, &facts(Channel::Email, None)).unwrap();
    assert_eq!(email.targets.first_response_secs, Some(8 * 3600));
    let general = select(&ps, &facts(Channel::Web, Some("order"))).unwrap();
    assert_eq!(general.targets.first_response_secs, Some(15 * 60));
    assert_eq!(general.targets.next_response_secs, Some(24 * 3600));
    assert_eq!(general.targets.resolution_secs, Some(48 * 3600));

    let lines = commitments(&ps, Some(1), &|_| "每天 09:00–23:00".into());
    assert_eq!(lines.len(), ps.len());
    assert_eq!(lines[0].scope, "在线咨询");
    assert_eq!(lines[0].text, "30 秒内首次响应；客户再次留言后 3 分钟内答复；24 小时内处理完毕");
    assert!(lines.iter().any(|l| l.scope == "售后" && l.text.contains("7 天内处理完毕")), "{lines:?}");
    assert_eq!(duration_zh(5400), "1 小时 30 分钟");
    assert_eq!(duration_zh(48 * 3600), "48 小时");
    assert_eq!(duration_zh(7 * 86_400), "7 天");
}

#[test]
fn sla_bookkeeping_does_not_make_a_client_stale() {
    let mut log = vec![created("2026-03-10T10:00:00", Channel::Web)];
    let read = rebuild(&log).version;
    let now = at("2026-03-10T10:08:00");
    let p = policy(600, true);
    log.extend(due_events(&due_now(&evaluate(&all_day(), &rebuild(&log), &p, now), now), now));
    let st = rebuild(&log);
    assert!(st.version > read, "the warning was appended");
    crate::ticket::expect_version(&st, read).expect("a warning does not make the client's view stale");
    // A person's change does.
    log.push(status("2026-03-10T10:09:00", TicketStatus::New, TicketStatus::Open));
    let st = rebuild(&log);
    assert_eq!(crate::ticket::expect_version(&st, read).unwrap_err().field.as_deref(), Some("version"));
    crate::ticket::expect_version(&st, st.version).unwrap();
}
