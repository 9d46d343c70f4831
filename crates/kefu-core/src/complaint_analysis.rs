//! The complaint analysis (投诉分析, EC-6; 002 "整理分析客户投诉信息，改善客户投诉处理方案"): what a
//! period's complaints were, how fast they were acknowledged and handled, how often the customer refused
//! a remedy, who the investigations found responsible, and how satisfied the customers were at the
//! follow-up visit (回访). A pure fold over the complaints' states.

use crate::complaint::{ComplaintSource, ComplaintState, Severity, Stage};
use crate::time::Millis;
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

const HOUR: f64 = 3_600_000.0;
/// The most `responsible` entries the analysis lists.
pub const TOP_RESPONSIBLE: usize = 10;

/// One line of a breakdown: the wire key, its Chinese label, how many.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Tally {
    pub key: String,
    pub label: String,
    pub count: u64,
}

/// The complaints forwarded by the market regulator (12315) and their statutory deadlines.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct RegulatorFigures {
    pub received: u64,
    /// Accepted (受理) within 7 working days of receipt.
    pub accepted_on_time: u64,
    /// Closed within the mediation deadline (45 working days of acceptance).
    pub closed_in_time: u64,
    /// Still open past the mediation deadline.
    pub overdue: u64,
}

/// The analysis of the complaints received in a period. Rates are shares from 0 to 1 (`None` when
/// nothing was measured); hours are averages over the complaints that reached the step.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct ComplaintAnalysis {
    pub received: u64,
    pub closed: u64,
    pub open: u64,
    /// Open and past the deadline running in their stage.
    pub overdue: u64,
    pub by_source: Vec<Tally>,
    pub by_severity: Vec<Tally>,
    pub by_stage: Vec<Tally>,
    /// Repeat complaints (重复投诉): the same customer or order within 30 days.
    pub repeat: u64,
    pub repeat_rate: Option<f64>,
    /// Acknowledged, and within the severity's target (受理时限).
    pub acknowledged: u64,
    pub acknowledged_on_time: u64,
    pub acknowledge_on_time_rate: Option<f64>,
    /// With a remedy proposed, and within 24 h of receipt (处理时限).
    pub handled: u64,
    pub handled_on_time: u64,
    pub handle_on_time_rate: Option<f64>,
    /// Open, past 24 h and still without a remedy.
    pub handling_overdue: u64,
    /// Complaints where the customer refused at least one remedy, and the refusals in all.
    pub disputed: u64,
    pub disagreements: u64,
    pub avg_hours_to_remedy: Option<f64>,
    pub avg_hours_to_close: Option<f64>,
    /// Follow-up visits made, and the customers' average satisfaction there (1–5).
    pub visits: u64,
    pub avg_visit_satisfaction: Option<f64>,
    pub regulator: RegulatorFigures,
    /// Whom the investigations found responsible, most often first (at most [`TOP_RESPONSIBLE`]).
    pub responsible: Vec<Tally>,
}

const SOURCES: [ComplaintSource; 3] =
    [ComplaintSource::Customer, ComplaintSource::Platform, ComplaintSource::Regulator];
const SEVERITIES: [Severity; 3] = [Severity::Normal, Severity::Serious, Severity::Major];
const STAGES: [Stage; 11] = [
    Stage::Received,
    Stage::Acknowledged,
    Stage::ClaimRecorded,
    Stage::Investigating,
    Stage::Investigated,
    Stage::Proposed,
    Stage::Disagreed,
    Stage::Agreed,
    Stage::Executed,
    Stage::Visited,
    Stage::Closed,
];

fn source_key(s: ComplaintSource) -> &'static str {
    match s {
        ComplaintSource::Customer => "customer",
        ComplaintSource::Platform => "platform",
        ComplaintSource::Regulator => "regulator",
    }
}

fn severity_key(s: Severity) -> &'static str {
    match s {
        Severity::Normal => "normal",
        Severity::Serious => "serious",
        Severity::Major => "major",
    }
}

fn rate(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 / whole as f64 * 1000.0).round() / 1000.0)
}

fn mean(sum: f64, n: u64) -> Option<f64> {
    (n > 0).then(|| (sum / n as f64 * 10.0).round() / 10.0)
}

/// Analyse `complaints` (the states of those received in the period) as of `now`.
pub fn analyse(complaints: &[ComplaintState], now: Millis) -> ComplaintAnalysis {
    let mut a = ComplaintAnalysis::default();
    let mut sources = [0u64; 3];
    let mut severities = [0u64; 3];
    let mut stages = [0u64; 11];
    let mut responsible: HashMap<&str, u64> = HashMap::new();
    let (mut remedy_hours, mut close_hours, mut satisfaction) = (0.0, 0.0, 0.0);
    let mut closed_with_time = 0u64;
    for c in complaints.iter().filter(|c| c.source.is_some()) {
        a.received += 1;
        if let Some(i) = SOURCES.iter().position(|s| Some(*s) == c.source) {
            sources[i] += 1;
        }
        if let Some(i) = SEVERITIES.iter().position(|s| Some(*s) == c.severity) {
            severities[i] += 1;
        }
        if let Some(i) = STAGES.iter().position(|s| *s == c.stage) {
            stages[i] += 1;
        }
        let open = c.stage != Stage::Closed;
        if open {
            a.open += 1;
            if c.is_overdue(now) {
                a.overdue += 1;
            }
        } else {
            a.closed += 1;
        }
        if c.is_repeat() {
            a.repeat += 1;
        }
        if c.acknowledged_at.is_some() {
            a.acknowledged += 1;
            if !c.acknowledged_late {
                a.acknowledged_on_time += 1;
            }
        }
        match c.first_proposed_at {
            Some(at) => {
                a.handled += 1;
                if c.handled_on_time() == Some(true) {
                    a.handled_on_time += 1;
                }
                remedy_hours += (at.0 - c.received_at.0) as f64 / HOUR;
            }
            None if open && c.proposals == 0 && now >= c.handle_due() => a.handling_overdue += 1,
            None => {}
        }
        if c.disagreements > 0 {
            a.disputed += 1;
            a.disagreements += u64::from(c.disagreements);
        }
        if let Some(closed) = c.closed_at {
            closed_with_time += 1;
            close_hours += (closed.0 - c.received_at.0) as f64 / HOUR;
        }
        if let Some(s) = c.satisfaction {
            a.visits += 1;
            satisfaction += f64::from(s);
        }
        if let Some(r) = &c.regulator {
            a.regulator.received += 1;
            if c.acknowledged_at.is_some_and(|at| at <= r.accept_due) {
                a.regulator.accepted_on_time += 1;
            }
            match c.closed_at {
                Some(at) if at <= r.mediate_due => a.regulator.closed_in_time += 1,
                None if now >= r.mediate_due => a.regulator.overdue += 1,
                _ => {}
            }
        }
        if let Some(who) = c.responsible.as_deref().map(str::trim).filter(|w| !w.is_empty()) {
            *responsible.entry(who).or_default() += 1;
        }
    }
    a.by_source = SOURCES
        .iter()
        .zip(sources)
        .map(|(s, n)| Tally { key: source_key(*s).into(), label: s.label().into(), count: n })
        .collect();
    a.by_severity = SEVERITIES
        .iter()
        .zip(severities)
        .map(|(s, n)| Tally { key: severity_key(*s).into(), label: s.label().into(), count: n })
        .collect();
    a.by_stage = STAGES
        .iter()
        .zip(stages)
        .map(|(s, n)| Tally { key: s.name().into(), label: s.label().into(), count: n })
        .collect();
    let mut top: Vec<(&str, u64)> = responsible.into_iter().collect();
    top.sort_by(|x, y| y.1.cmp(&x.1).then_with(|| x.0.cmp(y.0)));
    a.responsible = top
        .into_iter()
        .take(TOP_RESPONSIBLE)
        .map(|(w, n)| Tally { key: w.to_string(), label: w.to_string(), count: n })
        .collect();
    a.repeat_rate = rate(a.repeat, a.received);
    a.acknowledge_on_time_rate = rate(a.acknowledged_on_time, a.acknowledged);
    a.handle_on_time_rate = rate(a.handled_on_time, a.handled);
    a.avg_hours_to_remedy = mean(remedy_hours, a.handled);
    a.avg_hours_to_close = mean(close_hours, closed_with_time);
    a.avg_visit_satisfaction = mean(satisfaction, a.visits);
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{BusinessCalendar, WeeklyHours};
    use crate::complaint::{decide, ComplaintCommand, ComplaintIntake};

    const H: i64 = 3_600_000;

    fn cal() -> BusinessCalendar {
        BusinessCalendar::china(WeeklyHours::always_open())
    }

    fn run(st: &mut ComplaintState, cmd: ComplaintCommand, at: Millis) {
        for e in decide(st, &cmd, at, &cal()).expect("accepted") {
            st.apply(&e);
        }
    }

    fn open(source: ComplaintSource, severity: Severity, at: Millis, repeat: bool) -> ComplaintState {
        let mut st = ComplaintState::default();
        let intake = ComplaintIntake {
            source,
            severity,
            received_at: at,
            regulator_ref: (source == ComplaintSource::Regulator).then(|| "12315-2026-001".into()),
            summary: "快递丢件无人处理".into(),
        };
        let repeat_of = if repeat { vec!["TS2026030100001".into()] } else { vec![] };
        run(&mut st, ComplaintCommand::Open { intake, repeat_of }, at);
        st
    }

    /// Acknowledge, record, investigate and find `responsible`, then propose at `propose_at`.
    fn handle(st: &mut ComplaintState, ack_at: Millis, propose_at: Millis, responsible: &str) {
        run(st, ComplaintCommand::Acknowledge { note: String::new() }, ack_at);
        run(st, ComplaintCommand::RecordClaim { claim: "丢件".into(), demand: "补发".into() }, ack_at);
        run(
            st,
            ComplaintCommand::Investigate { department_id: 1, request: "查物流".into(), task_no: 1 },
            ack_at,
        );
        run(
            st,
            ComplaintCommand::RecordFindings {
                findings: "中转站遗失".into(),
                responsible: responsible.into(),
            },
            ack_at,
        );
        run(st, ComplaintCommand::ProposeRemedy { remedy: "补发并补偿10元".into() }, propose_at);
    }

    fn finish(st: &mut ComplaintState, at: Millis, satisfaction: u8) {
        run(st, ComplaintCommand::CustomerResponse { agrees: true, note: String::new() }, at);
        run(st, ComplaintCommand::Execute { result: "已补发".into() }, at);
        run(st, ComplaintCommand::FollowUp { result: "已收到".into(), satisfaction }, at);
        run(st, ComplaintCommand::Close { summary: String::new() }, at);
    }

    fn count(t: &[Tally], key: &str) -> u64 {
        t.iter().find(|x| x.key == key).map_or(0, |x| x.count)
    }

    #[test]
    fn a_period_of_complaints_is_analysed() {
        let t0 = Millis(1_772_416_800_000); // 2026-03-03 10:00 Beijing
                                            // 1: handled in 3 h, closed after 10 h, visit 4.
        let mut a = open(ComplaintSource::Customer, Severity::Normal, t0, false);
        handle(&mut a, t0.plus_ms(H), t0.plus_ms(3 * H), "物流部");
        finish(&mut a, t0.plus_ms(10 * H), 4);
        // 2: a repeat, serious, acknowledged late (after 4 h), remedy after 30 h, refused once, closed.
        let mut b = open(ComplaintSource::Platform, Severity::Serious, t0, true);
        handle(&mut b, t0.plus_ms(5 * H), t0.plus_ms(30 * H), "物流部");
        run(
            &mut b,
            ComplaintCommand::CustomerResponse { agrees: false, note: "不够".into() },
            t0.plus_ms(31 * H),
        );
        run(&mut b, ComplaintCommand::ProposeRemedy { remedy: "补发并补偿30元".into() }, t0.plus_ms(32 * H));
        finish(&mut b, t0.plus_ms(40 * H), 2);
        // 3: acknowledged, no remedy after 2 days: past the handling target.
        let mut c = open(ComplaintSource::Customer, Severity::Normal, t0, false);
        run(&mut c, ComplaintCommand::Acknowledge { note: String::new() }, t0.plus_ms(H));
        // 4: from 12315, never acknowledged.
        let d = open(ComplaintSource::Regulator, Severity::Major, t0, false);
        let now = t0.plus_ms(48 * H);

        let r = analyse(&[a, b, c, d], now);
        assert_eq!((r.received, r.closed, r.open), (4, 2, 2));
        assert_eq!(count(&r.by_source, "customer"), 2);
        assert_eq!(count(&r.by_source, "platform"), 1);
        assert_eq!(count(&r.by_source, "regulator"), 1);
        assert_eq!(count(&r.by_severity, "major"), 1);
        assert_eq!(count(&r.by_stage, "closed"), 2);
        assert_eq!(count(&r.by_stage, "acknowledged"), 1);
        assert_eq!(count(&r.by_stage, "received"), 1);
        assert_eq!(r.by_stage.len(), 11, "every stage is listed, zero or not");
        assert_eq!((r.repeat, r.repeat_rate), (1, Some(0.25)));
        assert_eq!((r.acknowledged, r.acknowledged_on_time), (3, 2));
        assert_eq!(r.acknowledge_on_time_rate, Some(0.667));
        assert_eq!((r.handled, r.handled_on_time, r.handle_on_time_rate), (2, 1, Some(0.5)));
        assert_eq!(r.handling_overdue, 2, "complaints 3 and 4 wait for a remedy past 24 h");
        // Complaint 3 is past its handling target and 4 past its acknowledgement target.
        assert_eq!(r.overdue, 2);
        assert_eq!((r.disputed, r.disagreements), (1, 1));
        assert_eq!(r.avg_hours_to_remedy, Some(16.5));
        assert_eq!(r.avg_hours_to_close, Some(25.0));
        assert_eq!((r.visits, r.avg_visit_satisfaction), (2, Some(3.0)));
        assert_eq!(
            r.regulator,
            RegulatorFigures { received: 1, accepted_on_time: 0, closed_in_time: 0, overdue: 0 }
        );
        assert_eq!(r.responsible, vec![Tally { key: "物流部".into(), label: "物流部".into(), count: 2 }]);
    }

    #[test]
    fn nothing_received_gives_zeros_and_no_rates() {
        let r = analyse(&[], Millis(0));
        assert_eq!(r.received, 0);
        assert_eq!(r.repeat_rate, None);
        assert_eq!(r.handle_on_time_rate, None);
        assert_eq!(r.avg_hours_to_close, None);
        assert_eq!(count(&r.by_severity, "normal"), 0);
        assert_eq!(r.by_source.len(), 3);
    }

    #[test]
    fn the_handling_target_is_24_hours_from_receipt_and_stops_at_the_first_proposal() {
        let t0 = Millis(1_772_416_800_000);
        let mut st = open(ComplaintSource::Customer, Severity::Normal, t0, false);
        run(&mut st, ComplaintCommand::Acknowledge { note: String::new() }, t0.plus_ms(H));
        // Acknowledged: the handling target runs.
        assert_eq!(st.due_at(), Some(t0.plus_ms(24 * H)));
        assert!(!st.is_overdue(t0.plus_ms(24 * H - 1)));
        assert!(st.is_overdue(t0.plus_ms(24 * H)));
        let mut late = st.clone();
        handle_rest(&mut st, t0.plus_ms(24 * H - 1));
        assert_eq!(st.handled_on_time(), Some(true));
        assert_eq!(st.due_at(), None, "a customer complaint has no deadline once a remedy is proposed");
        handle_rest(&mut late, t0.plus_ms(24 * H));
        assert_eq!(late.handled_on_time(), Some(false));
        // A second proposal keeps the first one's time.
        run(
            &mut late,
            ComplaintCommand::CustomerResponse { agrees: false, note: String::new() },
            t0.plus_ms(25 * H),
        );
        run(&mut late, ComplaintCommand::ProposeRemedy { remedy: "再议".into() }, t0.plus_ms(26 * H));
        assert_eq!(late.first_proposed_at, Some(t0.plus_ms(24 * H)));
    }

    fn handle_rest(st: &mut ComplaintState, propose_at: Millis) {
        let at = st.acknowledged_at.expect("acknowledged");
        run(st, ComplaintCommand::RecordClaim { claim: "丢件".into(), demand: "补发".into() }, at);
        run(st, ComplaintCommand::Investigate { department_id: 1, request: "查".into(), task_no: 1 }, at);
        run(st, ComplaintCommand::RecordFindings { findings: "遗失".into(), responsible: String::new() }, at);
        run(st, ComplaintCommand::ProposeRemedy { remedy: "补发".into() }, propose_at);
    }

    #[test]
    fn for_12315_the_earlier_of_the_handling_and_mediation_deadlines_runs() {
        let t0 = Millis(1_772_416_800_000);
        let mut st = open(ComplaintSource::Regulator, Severity::Normal, t0, false);
        run(&mut st, ComplaintCommand::Acknowledge { note: String::new() }, t0.plus_ms(H));
        assert_eq!(st.due_at(), Some(t0.plus_ms(24 * H)));
        handle_rest(&mut st, t0.plus_ms(2 * H));
        let mediate = st.regulator.as_ref().map(|r| r.mediate_due);
        assert_eq!(st.due_at(), mediate);
    }
}
