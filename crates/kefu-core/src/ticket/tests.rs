//! Lifecycle tests: the full state × command table, the actor table, and scenarios.
//!
//! The expected outcomes are written out by hand below; they restate the rules, they are not computed
//! from the code under test.

use super::*;
use crate::org::Role;
use crate::time::Millis;
use crate::{DomainError, ErrorCode};
use jiff::civil::date;

const HOUR: i64 = 60 * Millis::MINUTE;
const DAY: i64 = 24 * HOUR;
/// 2026-11-22 00:00 in Shanghai.
const T0: Millis = Millis(1_795_276_800_000);
const AGENT_A: i64 = 1;
const AGENT_B: i64 = 2;
const SUPERVISOR: i64 = 9;
const DEPARTMENT_STAFF: i64 = 50;
const CUSTOMER: i64 = 100;
const TEAM: i64 = 5;
const FINANCE: i64 = 4;

fn staff(user_id: i64) -> Actor {
    Actor::Staff { user_id, role: Role::Agent }
}
fn supervisor() -> Actor {
    Actor::Staff { user_id: SUPERVISOR, role: Role::Supervisor }
}
fn department_staff() -> Actor {
    Actor::Staff { user_id: DEPARTMENT_STAFF, role: Role::Agent }
}
fn customer() -> Actor {
    Actor::Customer { customer_id: CUSTOMER }
}
fn system() -> Actor {
    Actor::System { name: "auto_dispatch".into() }
}
fn number(seq: u32) -> TicketNumber {
    TicketNumber::new(date(2026, 11, 22), seq).expect("valid ticket number")
}
fn person(user_id: i64) -> Assignee {
    Assignee { user_id: Some(user_id), team_id: Some(TEAM) }
}

fn new_ticket() -> NewTicket {
    NewTicket {
        number: number(1),
        merchant_id: Some(7),
        customer_id: None,
        channel: Channel::Chat,
        subject: "退款没到账".into(),
        body: "我申请退款三天了还没到账".into(),
        priority: Priority::Normal,
        category: None,
        follow_up_of: None,
    }
}

fn open_task(request: &str) -> TicketCommand {
    TicketCommand::OpenDepartmentTask {
        department_id: FINANCE,
        request: request.into(),
        due_at: T0.plus_ms(365 * DAY),
    }
}

/// A ticket under test: its state, its whole log and a clock that moves a minute per command.
/// Every successful command also checks that rebuilding from the log gives the incremental state.
struct Ticket {
    state: TicketState,
    log: Vec<TicketEvent>,
    now: Millis,
    policy: TicketPolicy,
}

impl Ticket {
    fn empty() -> Ticket {
        Ticket { state: TicketState::default(), log: Vec::new(), now: T0, policy: TicketPolicy::default() }
    }

    fn try_run(&mut self, cmd: TicketCommand, actor: &Actor) -> Result<Vec<TicketEvent>, DomainError> {
        self.now = self.now.plus_ms(Millis::MINUTE);
        let events = decide(&self.state, &cmd, actor, self.now, &self.policy)?;
        assert!(!events.is_empty(), "'{}' was accepted but recorded nothing", cmd.name());
        self.state = apply_all(self.state.clone(), &events);
        self.log.extend(events.iter().cloned());
        assert_eq!(self.state.version, self.log.len() as i64);
        assert_eq!(rebuild(&self.log), self.state, "rebuild differs after '{}'", cmd.name());
        Ok(events)
    }

    fn run(&mut self, cmd: TicketCommand, actor: &Actor) -> &mut Ticket {
        let name = cmd.name();
        if let Err(e) = self.try_run(cmd, actor) {
            panic!("'{name}' refused: {} ({:?}, field {:?})", e.message, e.code, e.field);
        }
        self
    }

    fn refused(&mut self, cmd: TicketCommand, actor: &Actor) -> DomainError {
        let before = self.state.clone();
        let name = cmd.name();
        let e = match self.try_run(cmd, actor) {
            Ok(events) => panic!("'{name}' was accepted: {events:?}"),
            Err(e) => e,
        };
        assert_eq!(self.state, before, "a refused command changed the state");
        assert!(!e.message.is_empty());
        e
    }

    fn wait(&mut self, ms: i64) -> &mut Ticket {
        self.now = self.now.plus_ms(ms);
        self
    }
}

// ---------------------------------------------------------------------------------------------------
// The state × command table
// ---------------------------------------------------------------------------------------------------

/// The states the table covers: every status, plus "no ticket yet", closed beyond the reopen window,
/// and merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fixture {
    NotCreated,
    New,
    Open,
    Pending,
    OnHold,
    Resolved,
    ClosedRecent,
    ClosedOld,
    Merged,
}

const FIXTURES: [Fixture; 9] = [
    Fixture::NotCreated,
    Fixture::New,
    Fixture::Open,
    Fixture::Pending,
    Fixture::OnHold,
    Fixture::Resolved,
    Fixture::ClosedRecent,
    Fixture::ClosedOld,
    Fixture::Merged,
];

/// Builds a fixture by running real commands. In every created fixture the customer is CUSTOMER, the
/// tier L1, the priority normal, no category, and (except New) agent A holds the ticket.
fn fixture(f: Fixture) -> Ticket {
    use TicketCommand as C;
    let a = staff(AGENT_A);
    let mut t = Ticket::empty();
    if f == Fixture::NotCreated {
        return t;
    }
    t.run(C::Create(new_ticket()), &customer());
    match f {
        Fixture::NotCreated | Fixture::New => {}
        Fixture::Open => {
            t.run(C::Take, &a);
        }
        Fixture::Pending => {
            t.run(C::Take, &a).run(C::StaffReply { body: "请提供订单号".into() }, &a).run(C::SetPending, &a);
        }
        Fixture::OnHold => {
            t.run(C::Take, &a).run(open_task("请核实退款流水"), &a);
        }
        Fixture::Resolved | Fixture::ClosedRecent | Fixture::ClosedOld => {
            t.run(C::Take, &a).run(C::StaffReply { body: "已为您处理".into() }, &a).run(C::Resolve, &a);
            if f != Fixture::Resolved {
                t.run(C::Close, &a);
            }
            if f == Fixture::ClosedOld {
                t.wait(8 * DAY);
            }
        }
        Fixture::Merged => {
            t.run(C::Take, &a).run(C::Merge { into: number(2) }, &a);
        }
    }
    t
}

/// One command of each kind, each with an actor of a kind allowed to issue it.
fn table_commands() -> [(TicketCommand, Actor); 18] {
    use TicketCommand as C;
    let a = staff(AGENT_A);
    [
        (C::Create(new_ticket()), customer()),
        (C::StaffReply { body: "您好，正在为您查询".into() }, a.clone()),
        (C::InternalNote { body: "疑似重复退款".into() }, a.clone()),
        (C::CustomerReply { body: "订单号 123456".into() }, customer()),
        (C::Take, staff(AGENT_B)),
        (C::Assign { to: person(AGENT_B) }, supervisor()),
        (C::Transfer { to: person(AGENT_B), reason: "需要退款权限".into() }, a.clone()),
        (C::Escalate { to: Tier::L2, reason: "超出一线权限".into() }, a.clone()),
        (C::SetPending, a.clone()),
        (open_task("请核实退款流水"), a.clone()),
        (C::AnswerDepartmentTask { task_no: 1, answer: "已原路退回".into() }, department_staff()),
        (C::CancelDepartmentTask { task_no: 1, reason: "客户已收到".into() }, a.clone()),
        (C::Resolve, a.clone()),
        (C::Close, a.clone()),
        (C::Reopen, a.clone()),
        (C::SetPriority { priority: Priority::High }, a.clone()),
        (C::SetCategory { category: "after_sales".into() }, a.clone()),
        (C::Merge { into: number(2) }, a),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Accepted; the ticket ends in this status.
    To(TicketStatus),
    /// Refused with this code.
    Refused(ErrorCode),
    /// Refused: closed beyond the reopen window, create a follow-up ticket.
    FollowUp,
}

const NEW: Expect = Expect::To(TicketStatus::New);
const OPEN: Expect = Expect::To(TicketStatus::Open);
const PEND: Expect = Expect::To(TicketStatus::PendingCustomer);
const HOLD: Expect = Expect::To(TicketStatus::OnHold);
const RSLV: Expect = Expect::To(TicketStatus::Resolved);
const CLSD: Expect = Expect::To(TicketStatus::Closed);
const CONF: Expect = Expect::Refused(ErrorCode::Conflict);
const NFND: Expect = Expect::Refused(ErrorCode::NotFound);
const FLUP: Expect = Expect::FollowUp;

/// Columns, in the order of `table_commands`:
/// create, staff_reply, internal_note, customer_reply, take, assign, transfer, escalate, set_pending,
/// open_department_task, answer_department_task, cancel_department_task, resolve, close, reopen,
/// set_priority, set_category, merge.
#[rustfmt::skip]
const TABLE: [(Fixture, [Expect; 18]); 9] = [
    //                      create reply note  cust  take  asgn  trnsf escal pend  task  answr cancl rslv  close reopn prio  categ merge
    (Fixture::NotCreated,   [NEW,  NFND, NFND, NFND, NFND, NFND, NFND, NFND, NFND, NFND, NFND, NFND, NFND, NFND, NFND, NFND, NFND, NFND]),
    (Fixture::New,          [CONF, OPEN, NEW,  NEW,  OPEN, OPEN, OPEN, NEW,  CONF, CONF, NFND, NFND, CONF, CONF, CONF, NEW,  NEW,  CLSD]),
    (Fixture::Open,         [CONF, OPEN, OPEN, OPEN, CONF, CONF, OPEN, OPEN, PEND, HOLD, NFND, NFND, RSLV, CONF, CONF, OPEN, OPEN, CLSD]),
    (Fixture::Pending,      [CONF, PEND, PEND, OPEN, CONF, CONF, PEND, PEND, CONF, HOLD, NFND, NFND, RSLV, CONF, CONF, PEND, PEND, CLSD]),
    (Fixture::OnHold,       [CONF, HOLD, HOLD, HOLD, CONF, CONF, HOLD, HOLD, CONF, HOLD, OPEN, OPEN, CONF, CONF, CONF, HOLD, HOLD, CONF]),
    (Fixture::Resolved,     [CONF, RSLV, RSLV, OPEN, CONF, CONF, CONF, CONF, CONF, CONF, NFND, NFND, CONF, CLSD, OPEN, RSLV, RSLV, CLSD]),
    (Fixture::ClosedRecent, [CONF, CONF, CLSD, OPEN, CONF, CONF, CONF, CONF, CONF, CONF, NFND, NFND, CONF, CONF, OPEN, CONF, CONF, CONF]),
    (Fixture::ClosedOld,    [CONF, CONF, CLSD, FLUP, CONF, CONF, CONF, CONF, CONF, CONF, NFND, NFND, CONF, CONF, FLUP, CONF, CONF, CONF]),
    (Fixture::Merged,       [CONF, CONF, CONF, CONF, CONF, CONF, CONF, CONF, CONF, CONF, CONF, CONF, CONF, CONF, CONF, CONF, CONF, CONF]),
];

#[test]
fn every_state_and_command_is_allowed_or_refused_as_the_table_says() {
    assert_eq!(TABLE.map(|(f, _)| f), FIXTURES, "the table covers every fixture once, in order");
    let fixtures_status = [
        (Fixture::New, TicketStatus::New),
        (Fixture::Open, TicketStatus::Open),
        (Fixture::Pending, TicketStatus::PendingCustomer),
        (Fixture::OnHold, TicketStatus::OnHold),
        (Fixture::Resolved, TicketStatus::Resolved),
        (Fixture::ClosedRecent, TicketStatus::Closed),
        (Fixture::ClosedOld, TicketStatus::Closed),
        (Fixture::Merged, TicketStatus::Closed),
    ];
    for (f, s) in fixtures_status {
        assert_eq!(fixture(f).state.status, s, "fixture {f:?}");
    }

    let mut wrong = Vec::new();
    for (f, row) in TABLE {
        for ((cmd, actor), expected) in table_commands().into_iter().zip(row) {
            let mut t = fixture(f);
            let name = cmd.name();
            let got = match t.try_run(cmd, &actor) {
                Ok(_) => Expect::To(t.state.status),
                Err(e) if is_follow_up_required(&e) => Expect::FollowUp,
                Err(e) => Expect::Refused(e.code),
            };
            if got != expected {
                wrong.push(format!("{f:?} × {name}: expected {expected:?}, got {got:?}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{} cells differ:\n{}", wrong.len(), wrong.join("\n"));
}

#[test]
fn staff_only_commands_are_refused_to_customers_and_customer_replies_to_staff() {
    // (command, staff, customer, system) may issue it.
    #[rustfmt::skip]
    let expected: [(&str, [bool; 3]); 18] = [
        ("create",                 [true,  true,  true ]),
        ("staff_reply",            [true,  false, false]),
        ("internal_note",          [true,  false, true ]),
        ("customer_reply",         [false, true,  false]),
        ("take",                   [true,  false, false]),
        ("assign",                 [true,  false, true ]),
        ("transfer",               [true,  false, false]),
        ("escalate",               [true,  false, true ]),
        ("set_pending",            [true,  false, false]),
        ("open_department_task",   [true,  false, false]),
        ("answer_department_task", [true,  false, true ]),
        ("cancel_department_task", [true,  false, false]),
        ("resolve",                [true,  false, false]),
        ("close",                  [true,  true,  true ]),
        ("reopen",                 [true,  true,  false]),
        ("set_priority",           [true,  false, true ]),
        ("set_category",           [true,  false, true ]),
        ("merge",                  [true,  false, false]),
    ];
    let actors = [staff(AGENT_A), customer(), system()];
    for ((cmd, _), (name, may)) in table_commands().into_iter().zip(expected) {
        assert_eq!(cmd.name(), name);
        for (actor, may) in actors.iter().zip(may) {
            for f in FIXTURES {
                let t = fixture(f);
                let result = decide(&t.state, &cmd, actor, t.now.plus_ms(1), &t.policy);
                let forbidden = matches!(&result, Err(e) if e.code == ErrorCode::Forbidden);
                assert_eq!(forbidden, !may, "{name} by {:?} on {f:?}: {result:?}", actor.kind());
                if forbidden {
                    let e = result.expect_err("forbidden");
                    assert!(
                        e.message.contains(name) && e.message.contains(actor.kind().as_str()),
                        "{}",
                        e.message
                    );
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// Scenarios
// ---------------------------------------------------------------------------------------------------

#[test]
fn a_ticket_lives_its_full_life() {
    use TicketCommand as C;
    let (a, b) = (staff(AGENT_A), staff(AGENT_B));
    let mut t = Ticket::empty();

    t.run(C::Create(new_ticket()), &customer());
    assert_eq!(t.state.status, TicketStatus::New);
    assert_eq!(t.state.number, Some(number(1)));
    assert_eq!(t.state.customer_id, Some(CUSTOMER), "filled in from the customer actor");
    assert_eq!(t.state.created_at, t.now);

    // An internal note is not a response and makes nobody first responder.
    t.run(C::InternalNote { body: "先查一下支付流水".into() }, &b);
    assert_eq!((t.state.first_responder, t.state.first_response_at), (None, None));
    assert_eq!(t.state.status, TicketStatus::New);

    // The first public staff reply: first responder, first response time, open, held by the replier.
    t.run(C::StaffReply { body: "您好，请提供订单号".into() }, &a);
    let first_response_at = t.now;
    assert_eq!(t.state.first_responder, Some(AGENT_A));
    assert_eq!(t.state.first_response_at, Some(first_response_at));
    assert_eq!(t.state.status, TicketStatus::Open);
    assert_eq!(t.state.assignee.user_id, Some(AGENT_A));

    // Waiting for the customer; the customer's answer brings it back.
    t.run(C::SetPending, &a);
    assert_eq!(t.state.status, TicketStatus::PendingCustomer);
    t.run(C::CustomerReply { body: "订单号 20261120-88".into() }, &customer());
    assert_eq!(t.state.status, TicketStatus::Open);

    // A transfer hands the ticket on and keeps the first responder.
    t.run(C::Transfer { to: person(AGENT_B), reason: "需要退款审批权限".into() }, &a);
    assert_eq!(t.state.assignee, person(AGENT_B));
    assert_eq!(t.state.first_responder, Some(AGENT_A));

    // Escalation to L2 and on to L3, still the same first responder.
    t.run(C::Escalate { to: Tier::L2, reason: "超出一线权限".into() }, &b);
    t.run(C::Escalate { to: Tier::L3, reason: "涉及多部门的重大投诉".into() }, &supervisor());
    assert_eq!(t.state.tier, Tier::L3);
    assert_eq!(t.state.first_responder, Some(AGENT_A));

    // Department task round trip: on hold while finance works, customer kept informed, open again.
    t.run(open_task("请核实退款流水"), &b);
    assert_eq!(t.state.status, TicketStatus::OnHold);
    assert_eq!(t.state.open_tasks.len(), 1);
    assert_eq!(t.state.open_tasks[0].department_id, FINANCE);
    t.run(C::StaffReply { body: "已联系财务部核实，请耐心等待".into() }, &b);
    assert_eq!(t.state.status, TicketStatus::OnHold);
    t.run(C::AnswerDepartmentTask { task_no: 1, answer: "款项已原路退回".into() }, &department_staff());
    assert_eq!(t.state.status, TicketStatus::Open);
    assert!(t.state.open_tasks.is_empty());

    // Resolve; a resolved ticket can always be reopened.
    t.run(C::Resolve, &b);
    assert_eq!(t.state.status, TicketStatus::Resolved);
    assert!(t.state.resolved_at.is_some());
    t.run(C::Reopen, &customer());
    assert_eq!((t.state.status, t.state.reopen_count, t.state.resolved_at), (TicketStatus::Open, 1, None));

    // Resolve and close (the customer confirms); reopen within the window.
    t.run(C::Resolve, &b).run(C::Close, &customer());
    assert_eq!(t.state.status, TicketStatus::Closed);
    assert_eq!(t.state.closed_at, Some(t.now));
    t.wait(6 * DAY).run(C::Reopen, &b);
    assert_eq!((t.state.status, t.state.reopen_count, t.state.closed_at), (TicketStatus::Open, 2, None));

    // Closed again, and now beyond the window: a follow-up ticket is required.
    t.run(C::Resolve, &b).run(C::Close, &system());
    t.wait(8 * DAY);
    for (cmd, actor) in [(C::CustomerReply { body: "又坏了".into() }, customer()), (C::Reopen, b.clone())]
    {
        let e = t.refused(cmd, &actor);
        assert!(is_follow_up_required(&e), "{e:?}");
        assert_eq!(e.code, ErrorCode::Conflict);
        assert_eq!(e.field.as_deref(), Some(FOLLOW_UP_REQUIRED));
        assert!(e.message.contains("7 days") && e.message.contains("follow-up"), "{}", e.message);
        assert!(e.message.contains("KF20261122-000001"), "{}", e.message);
    }

    // The follow-up ticket links back and keeps the customer, merchant and subject.
    let follow = follow_up_ticket(&t.state, number(2), Channel::App, "又坏了".into()).expect("follow-up");
    let mut f = Ticket::empty();
    f.run(C::Create(follow), &customer());
    assert_eq!(f.state.follow_up_of, Some(number(1)));
    assert_eq!((f.state.customer_id, f.state.merchant_id), (Some(CUSTOMER), Some(7)));
    assert_eq!(f.state.subject, t.state.subject);

    // Ownership and first response never moved.
    assert_eq!(t.state.first_responder, Some(AGENT_A));
    assert_eq!(t.state.first_response_at, Some(first_response_at));

    // The stored log, read back from JSON, rebuilds the same ticket.
    let json = serde_json::to_string(&t.log).expect("json");
    let back: Vec<TicketEvent> = serde_json::from_str(&json).expect("read back");
    assert_eq!(rebuild(&back), t.state);
    assert_eq!(t.state.version, t.log.len() as i64);
}

#[test]
fn rebuilding_from_events_equals_the_incremental_state_at_every_step() {
    // `Ticket::try_run` checks this after every command; here over every fixture and a folded prefix.
    for f in FIXTURES {
        let t = fixture(f);
        assert_eq!(rebuild(&t.log), t.state, "{f:?}");
        for k in 0..=t.log.len() {
            let (head, tail) = t.log.split_at(k);
            assert_eq!(apply_all(rebuild(head), tail), t.state, "{f:?} split at {k}");
        }
    }
    assert_eq!(rebuild(&[]), TicketState::default());
    assert!(!TicketState::default().exists());
}

#[test]
fn only_ones_own_action_makes_a_first_responder() {
    use TicketCommand as C;
    // Dispatch by the system or a supervisor to someone else does not.
    let mut t = fixture(Fixture::New);
    t.run(C::Assign { to: person(AGENT_B) }, &system());
    assert_eq!((t.state.status, t.state.first_responder), (TicketStatus::Open, None));
    t.run(C::Transfer { to: person(AGENT_A), reason: "熟悉该商家".into() }, &supervisor());
    assert_eq!(t.state.first_responder, None);
    // The holder's first reply does.
    t.run(C::StaffReply { body: "您好".into() }, &staff(AGENT_A));
    assert_eq!(t.state.first_responder, Some(AGENT_A));

    // Taking does, without a reply and without a first response time.
    let mut t = fixture(Fixture::New);
    t.run(C::Take, &staff(AGENT_B));
    assert_eq!((t.state.first_responder, t.state.first_response_at), (Some(AGENT_B), None));

    // Assigning or transferring to oneself does.
    let mut t = fixture(Fixture::New);
    t.run(C::Assign { to: person(SUPERVISOR) }, &supervisor());
    assert_eq!(t.state.first_responder, Some(SUPERVISOR));
    let mut t = fixture(Fixture::New);
    t.run(C::Assign { to: Assignee { user_id: None, team_id: Some(TEAM) } }, &system());
    assert_eq!(
        (t.state.status, t.state.first_responder),
        (TicketStatus::New, None),
        "a queue is not a person"
    );
    t.run(C::Transfer { to: person(AGENT_B), reason: "我来处理".into() }, &staff(AGENT_B));
    assert_eq!(t.state.first_responder, Some(AGENT_B));

    // Once set it never changes, even when another agent replies first publicly later.
    t.run(C::Transfer { to: person(AGENT_A), reason: "换班".into() }, &staff(AGENT_B));
    t.run(C::StaffReply { body: "您好，我接手了".into() }, &staff(AGENT_A));
    assert_eq!(t.state.first_responder, Some(AGENT_B));
    assert_eq!(t.state.first_response_at, Some(t.now));
}

#[test]
fn a_transfer_needs_a_reason_and_a_new_holder() {
    use TicketCommand as C;
    let a = staff(AGENT_A);
    let mut t = fixture(Fixture::Open);
    for reason in ["", "   ", "\n"] {
        let e = t.refused(C::Transfer { to: person(AGENT_B), reason: reason.into() }, &a);
        assert_eq!(e.code, ErrorCode::Validation);
        assert_eq!(e.field.as_deref(), Some("reason"), "{e:?}");
    }
    let e = t.refused(C::Transfer { to: Assignee::default(), reason: "x".into() }, &a);
    assert_eq!(e.field.as_deref(), Some("to"));
    let here = t.state.assignee;
    let e = t.refused(C::Transfer { to: here, reason: "x".into() }, &a);
    assert_eq!((e.code, e.field.as_deref()), (ErrorCode::Conflict, Some("to")), "changes nothing");
    let e = t.refused(C::Transfer { to: person(AGENT_B), reason: "长".repeat(MAX_REASON_CHARS + 1) }, &a);
    assert_eq!(e.field.as_deref(), Some("reason"));
    // The recorded reason is trimmed; the event names both holders.
    let events =
        t.try_run(C::Transfer { to: person(AGENT_B), reason: "  需要退款权限 ".into() }, &a).expect("ok");
    assert_eq!(
        events[0].kind,
        TicketEventKind::Transferred { from: here, to: person(AGENT_B), reason: "需要退款权限".into() }
    );
    // A held ticket is transferred, not assigned or taken.
    let e = t.refused(C::Assign { to: person(AGENT_A) }, &supervisor());
    assert!(e.message.contains("transfer"), "{}", e.message);
    let e = t.refused(C::Take, &staff(AGENT_A));
    assert!(e.message.contains("held by user 2"), "{}", e.message);
}

#[test]
fn escalation_goes_up_to_l3_and_no_further() {
    use TicketCommand as C;
    let a = staff(AGENT_A);
    let esc = |to, reason: &str| C::Escalate { to, reason: reason.into() };
    let mut t = fixture(Fixture::Open);
    let e = t.refused(esc(Tier::L2, " "), &a);
    assert_eq!((e.code, e.field.as_deref()), (ErrorCode::Validation, Some("reason")));
    let e = t.refused(esc(Tier::L1, "x"), &a);
    assert_eq!(e.field.as_deref(), Some("to"));

    t.run(esc(Tier::L2, "超出一线权限"), &a);
    assert_eq!(t.state.tier, Tier::L2);
    let e = t.refused(esc(Tier::L2, "again"), &a);
    assert_eq!((e.code, e.field.as_deref()), (ErrorCode::Conflict, Some("to")), "changes nothing");
    let e = t.refused(esc(Tier::L1, "降级"), &a);
    assert_eq!((e.code, e.field.as_deref()), (ErrorCode::Validation, Some("to")));
    assert!(e.message.contains("only moves up"), "{}", e.message);

    t.run(esc(Tier::L3, "重大投诉"), &system());
    assert_eq!(t.state.tier, Tier::L3);
    for to in Tier::ALL {
        let e = t.refused(esc(*to, "再升级"), &supervisor());
        assert_eq!(e.code, ErrorCode::Conflict);
        assert!(e.message.contains("L3") && e.message.contains("highest"), "{}", e.message);
    }

    // Major cases may go straight to management.
    let mut t = fixture(Fixture::Open);
    t.run(esc(Tier::L3, "媒体曝光风险"), &a);
    assert_eq!(t.state.tier, Tier::L3);
}

#[test]
fn department_tasks_hold_the_ticket_until_the_last_one_returns() {
    use TicketCommand as C;
    let a = staff(AGENT_A);
    let mut t = fixture(Fixture::Open);
    let e = t.refused(open_task("  "), &a);
    assert_eq!(e.field.as_deref(), Some("request"));
    let past = TicketCommand::OpenDepartmentTask { department_id: FINANCE, request: "x".into(), due_at: T0 };
    assert_eq!(t.refused(past, &a).field.as_deref(), Some("due_at"));

    t.run(open_task("请财务核实退款"), &a);
    let due = t.now.plus_ms(DAY);
    t.run(C::OpenDepartmentTask { department_id: 3, request: "请物流部追踪包裹".into(), due_at: due }, &a);
    assert_eq!(t.state.open_tasks.iter().map(|x| x.task_no).collect::<Vec<_>>(), [1, 2]);
    assert_eq!((t.state.open_tasks[1].department_id, t.state.open_tasks[1].due_at), (3, due));

    // While on hold it cannot be resolved, set pending or merged.
    for cmd in [C::Resolve, C::SetPending, C::Merge { into: number(2) }] {
        let e = t.refused(cmd, &a);
        assert!(e.message.contains("department tasks"), "{}", e.message);
    }

    t.run(C::AnswerDepartmentTask { task_no: 2, answer: "包裹已找到".into() }, &department_staff());
    assert_eq!(t.state.status, TicketStatus::OnHold, "task 1 is still open");
    let e = t.refused(C::AnswerDepartmentTask { task_no: 2, answer: "again".into() }, &department_staff());
    assert_eq!((e.code, e.field.as_deref()), (ErrorCode::Conflict, Some("task_no")));
    let e = t.refused(C::AnswerDepartmentTask { task_no: 9, answer: "?".into() }, &department_staff());
    assert_eq!(e.code, ErrorCode::NotFound);
    let e = t.refused(C::AnswerDepartmentTask { task_no: 1, answer: "".into() }, &department_staff());
    assert_eq!(e.field.as_deref(), Some("answer"));
    let e = t.refused(C::CancelDepartmentTask { task_no: 1, reason: "".into() }, &a);
    assert_eq!(e.field.as_deref(), Some("reason"));

    t.run(C::CancelDepartmentTask { task_no: 1, reason: "客户已收到退款".into() }, &a);
    assert_eq!(t.state.status, TicketStatus::Open);
    assert!(t.state.open_tasks.is_empty());
    assert_eq!(t.state.tasks_opened, 2);
    t.run(open_task("再次核实"), &a);
    assert_eq!(t.state.open_tasks[0].task_no, 3, "task numbers are never reused");
}

#[test]
fn refusals_say_what_to_do_instead() {
    use TicketCommand as C;
    let a = staff(AGENT_A);
    let mut t = fixture(Fixture::ClosedRecent);
    let e = t.refused(open_task("x"), &a);
    assert_eq!(e.message, "cannot put a closed ticket on hold; reopen it first");
    assert_eq!(e.code, ErrorCode::Conflict);
    let e = t.refused(C::StaffReply { body: "x".into() }, &a);
    assert_eq!(e.message, "cannot reply to a closed ticket; reopen it first");

    let mut t = fixture(Fixture::ClosedOld);
    let e = t.refused(C::Take, &a);
    assert!(e.message.contains("create a follow-up ticket"), "{}", e.message);
    assert!(!is_follow_up_required(&e), "only reopening commands carry the follow-up signal");

    let mut t = fixture(Fixture::Open);
    let e = t.refused(C::Close, &a);
    assert_eq!(e.message, "cannot close an open ticket; resolve it first");
    let e = t.refused(C::Reopen, &a);
    assert!(e.message.contains("only resolved or closed"), "{}", e.message);

    let mut t = fixture(Fixture::New);
    let e = t.refused(C::Resolve, &a);
    assert_eq!(e.message, "cannot resolve a new ticket; take or reply to it first");
}

#[test]
fn a_command_that_changes_nothing_is_a_conflict() {
    use TicketCommand as C;
    let a = staff(AGENT_A);
    let mut t = fixture(Fixture::Open);
    t.run(C::SetPriority { priority: Priority::Urgent }, &a);
    assert_eq!(t.state.priority, Priority::Urgent);
    assert!(t.refused(C::SetPriority { priority: Priority::Urgent }, &a).message.contains("already urgent"));
    t.run(C::SetCategory { category: "logistics".into() }, &system());
    assert_eq!(t.state.category.as_deref(), Some("logistics"));
    assert!(t.refused(C::SetCategory { category: "logistics".into() }, &a).message.contains("already"));
    assert_eq!(t.refused(C::SetCategory { category: "物流".into() }, &a).field.as_deref(), Some("category"));
    assert!(t.refused(C::Take, &a).message.contains("already hold"));
    t.run(C::SetPending, &a);
    assert_eq!(t.refused(C::SetPending, &a).code, ErrorCode::Conflict);
    t.run(C::Resolve, &a);
    assert_eq!(t.refused(C::Resolve, &a).code, ErrorCode::Conflict);
    t.run(C::Close, &a);
    assert_eq!(t.refused(C::Close, &a).code, ErrorCode::Conflict);
}

#[test]
fn a_merged_ticket_is_closed_and_refuses_every_command() {
    use TicketCommand as C;
    let mut t = fixture(Fixture::Open);
    let e = t.refused(C::Merge { into: number(1) }, &staff(AGENT_A));
    assert_eq!((e.code, e.field.as_deref()), (ErrorCode::Validation, Some("into")));
    t.run(C::Merge { into: number(2) }, &staff(AGENT_A));
    assert_eq!(t.state.status, TicketStatus::Closed);
    assert_eq!(t.state.merged_into, Some(number(2)));
    for (cmd, actor) in table_commands() {
        let e = t.refused(cmd, &actor);
        assert_eq!(e.code, ErrorCode::Conflict);
        if !matches!(e.field.as_deref(), Some("number")) {
            assert!(e.message.contains("merged into KF20261122-000002"), "{}", e.message);
        }
    }
}

#[test]
fn a_stale_version_is_a_conflict_naming_the_current_version() {
    let t = fixture(Fixture::Pending);
    let v = t.state.version;
    assert!(expect_version(&t.state, v).is_ok());
    let e = expect_version(&t.state, v - 1).expect_err("stale");
    assert_eq!((e.code, e.field.as_deref()), (ErrorCode::Conflict, Some("version")));
    assert!(e.message.contains(&format!("version {v}")), "{}", e.message);
    assert!(e.message.contains(&format!("version {}", v - 1)), "{}", e.message);
}

#[test]
fn the_reopen_window_is_inclusive_and_configurable() {
    use TicketCommand as C;
    let reopen_at = |policy: TicketPolicy, after: i64| {
        let t = fixture(Fixture::ClosedRecent);
        let closed = t.state.closed_at.expect("closed");
        decide(&t.state, &C::Reopen, &customer(), closed.plus_ms(after), &policy)
    };
    let week = TicketPolicy::default();
    assert_eq!(week.reopen_window_ms, 7 * DAY);
    assert!(reopen_at(week, 7 * DAY).is_ok());
    assert!(is_follow_up_required(&reopen_at(week, 7 * DAY + 1).expect_err("too late")));
    let hour = TicketPolicy { reopen_window_ms: HOUR };
    assert!(reopen_at(hour, HOUR).is_ok());
    let e = reopen_at(hour, HOUR + 1).expect_err("too late");
    assert!(is_follow_up_required(&e) && e.message.contains("1 hour"), "{}", e.message);
}

#[test]
fn customers_act_only_on_their_own_tickets() {
    use TicketCommand as C;
    let stranger = Actor::Customer { customer_id: 999 };
    let mut t = fixture(Fixture::Resolved);
    for cmd in [C::CustomerReply { body: "hi".into() }, C::Close, C::Reopen] {
        assert_eq!(t.refused(cmd, &stranger).code, ErrorCode::NotFound);
    }
    let mut t = Ticket::empty();
    let theirs = NewTicket { customer_id: Some(999), ..new_ticket() };
    assert_eq!(t.refused(C::Create(theirs.clone()), &customer()).code, ErrorCode::Forbidden);
    // Staff open tickets on a customer's behalf (a phone call).
    t.run(C::Create(theirs), &staff(AGENT_A));
    assert_eq!(t.state.customer_id, Some(999));
}

#[test]
fn a_new_ticket_is_validated() {
    use TicketCommand as C;
    let mut t = Ticket::empty();
    let field = |t: &mut Ticket, n: NewTicket| t.refused(C::Create(n), &customer()).field;
    assert_eq!(field(&mut t, NewTicket { subject: "  ".into(), ..new_ticket() }).as_deref(), Some("subject"));
    assert_eq!(
        field(&mut t, NewTicket { subject: "a\nb".into(), ..new_ticket() }).as_deref(),
        Some("subject")
    );
    let long = "退".repeat(MAX_SUBJECT_CHARS + 1);
    assert_eq!(field(&mut t, NewTicket { subject: long, ..new_ticket() }).as_deref(), Some("subject"));
    let long = "退".repeat(MAX_BODY_CHARS + 1);
    assert_eq!(field(&mut t, NewTicket { body: long, ..new_ticket() }).as_deref(), Some("body"));
    assert_eq!(field(&mut t, NewTicket { body: "a\u{7}".into(), ..new_ticket() }).as_deref(), Some("body"));
    let bad = NewTicket { category: Some("售后".into()), ..new_ticket() };
    assert_eq!(field(&mut t, bad).as_deref(), Some("category"));
    let own = NewTicket { follow_up_of: Some(number(1)), ..new_ticket() };
    assert_eq!(field(&mut t, own).as_deref(), Some("follow_up_of"));

    // Text is trimmed; an empty body is fine (a phone ticket may start with a subject only).
    let ok = NewTicket { subject: "  查询物流 ".into(), body: "".into(), ..new_ticket() };
    t.run(C::Create(ok), &staff(AGENT_A));
    assert_eq!(t.state.subject, "查询物流");
    let e = t.refused(C::Create(new_ticket()), &staff(AGENT_B));
    assert_eq!((e.code, e.field.as_deref()), (ErrorCode::Conflict, Some("number")));
}

#[test]
fn events_and_commands_have_a_stable_json_shape() {
    let event = TicketEvent {
        at: Millis(1_795_276_800_000),
        actor: staff(AGENT_A),
        kind: TicketEventKind::StatusChanged { from: TicketStatus::Open, to: TicketStatus::PendingCustomer },
    };
    let json = serde_json::to_value(&event).expect("json");
    assert_eq!(
        json,
        serde_json::json!({
            "at": "2026-11-21T16:00:00Z",
            "actor": {"kind": "staff", "user_id": 1, "role": "agent"},
            "kind": {"type": "status_changed", "from": "open", "to": "pending_customer"},
        })
    );
    assert_eq!(event.kind.name(), "status_changed");

    let cmd: TicketCommand = serde_json::from_value(serde_json::json!({
        "type": "transfer", "to": {"user_id": 2}, "reason": "需要退款权限",
    }))
    .expect("command");
    assert_eq!(
        cmd,
        TicketCommand::Transfer {
            to: Assignee { user_id: Some(2), team_id: None },
            reason: "需要退款权限".into()
        }
    );
    let cmd: TicketCommand = serde_json::from_value(serde_json::json!({
        "type": "merge", "into": "KF20261122-000002",
    }))
    .expect("merge");
    assert_eq!(cmd, TicketCommand::Merge { into: number(2) });
    assert!(
        serde_json::from_value::<TicketCommand>(serde_json::json!({"type": "merge", "into": "x"})).is_err()
    );

    // Every event kind's name is its serde tag.
    for f in FIXTURES {
        for e in fixture(f).log {
            let v = serde_json::to_value(&e.kind).expect("json");
            assert_eq!(v["type"], e.kind.name());
        }
    }
    for (cmd, _) in table_commands() {
        let v = serde_json::to_value(&cmd).expect("json");
        assert_eq!(v["type"], cmd.name());
    }
}

#[test]
fn the_api_types_have_openapi_schemas() {
    use utoipa::PartialSchema;
    let text = |s: utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>| {
        serde_json::to_string(&s).expect("schema json")
    };
    let cmd = text(TicketCommand::schema());
    assert!(cmd.contains("open_department_task") && cmd.contains("due_at"), "{cmd}");
    let event = text(TicketEventKind::schema());
    assert!(event.contains("first_responder_set"), "{event}");
    let state = text(TicketState::schema());
    assert!(state.contains("first_response_at") && state.contains("merged_into"), "{state}");
    let number = text(TicketNumber::schema());
    assert!(number.contains("KF20261122-000123"), "{number}");
    let actor = text(Actor::schema());
    assert!(actor.contains("customer_id"), "{actor}");
}

#[test]
fn only_four_statuses_are_set_directly() {
    use super::{TicketCommand, TicketStatus};
    assert_eq!(TicketCommand::for_status(TicketStatus::Resolved).unwrap(), TicketCommand::Resolve);
    assert_eq!(TicketCommand::for_status(TicketStatus::Open).unwrap(), TicketCommand::Reopen);
    for s in [TicketStatus::New, TicketStatus::OnHold] {
        assert_eq!(TicketCommand::for_status(s).unwrap_err().field.as_deref(), Some("status"));
    }
}

// ---------------------------------------------------------------------------------------------------
// Offers of chats (派发待接入)
// ---------------------------------------------------------------------------------------------------

/// A new chat offered by the router to `agent` for five minutes (the test clock moves a minute per command).
fn offered_to(agent: i64) -> Ticket {
    let mut t = Ticket::empty();
    t.run(TicketCommand::Create(new_ticket()), &customer());
    let offer = TicketEvent {
        at: t.now,
        actor: Actor::System { name: "router".into() },
        kind: TicketEventKind::Offered {
            agent_id: agent,
            group_id: 10,
            rule: "轮询（售前组）".into(),
            expires_at: t.now.plus_ms(5 * Millis::MINUTE),
        },
    };
    t.state = apply_all(t.state.clone(), [&offer]);
    t.log.push(offer);
    t
}

#[test]
fn an_offered_chat_is_accepted_by_its_agent_only_before_it_lapses() {
    let mut t = offered_to(AGENT_A);
    assert_eq!(t.state.offer.map(|o| o.agent_id), Some(AGENT_A));
    let e = t.refused(TicketCommand::AcceptOffer, &staff(AGENT_B));
    assert_eq!(e.code, ErrorCode::Conflict);
    t.run(TicketCommand::AcceptOffer, &staff(AGENT_A));
    assert_eq!(t.state.assignee.user_id, Some(AGENT_A));
    assert_eq!(
        (t.state.status, t.state.first_responder, t.state.offer),
        (TicketStatus::Open, Some(AGENT_A), None)
    );

    let mut late = offered_to(AGENT_A);
    late.wait(5 * Millis::MINUTE);
    let e = late.refused(TicketCommand::AcceptOffer, &staff(AGENT_A));
    assert!(e.message.contains("lapsed"), "{}", e.message);
}

#[test]
fn a_declined_offer_passes_the_agent_over_until_someone_takes_the_chat() {
    let mut t = offered_to(AGENT_A);
    let e = t.refused(TicketCommand::DeclineOffer { reason: " ".into() }, &staff(AGENT_A));
    assert_eq!(e.field.as_deref(), Some("reason"));
    t.run(TicketCommand::DeclineOffer { reason: "正在处理投诉".into() }, &staff(AGENT_A));
    assert_eq!((t.state.offer, t.state.passed_over.clone()), (None, vec![AGENT_A]));
    assert!(
        matches!(&t.log.last().expect("event").kind, TicketEventKind::OfferLapsed { reason, .. } if reason == "declined: 正在处理投诉")
    );
    // Once somebody holds the chat, the list is forgotten.
    t.run(TicketCommand::Take, &staff(AGENT_B));
    assert!(t.state.passed_over.is_empty());
    assert_eq!(rebuild(&t.log), t.state);
}
