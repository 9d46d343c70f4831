//! Complaints (投诉, EC-6): the formal workflow of a complaint opened on a ticket, after GB/T 19012 /
//! ISO 10002 and the seeds' 投诉管理 duties (001 §3.3, 002, 003 §3.4).
//!
//! ```text
//! received 待受理 ─acknowledge─▶ acknowledged 已受理 ─record claim─▶ claim_recorded 已登记诉求
//!   ─investigate (department task)─▶ investigating 调查中 ─findings─▶ investigated 已查明
//!   ─propose─▶ proposed 方案待确认 ─agrees─▶ agreed 待执行 ─execute─▶ executed 待回访
//!                 ▲          └─disagrees─▶ disagreed 客户不同意 ─propose again─┘
//!   executed ─follow-up visit (回访)─▶ visited 已回访 ─close─▶ closed 已结案
//! ```
//!
//! Each command is accepted in exactly one stage (a new proposal also after a disagreement); anywhere
//! else it is refused with a message naming the stage and what comes next.
//!
//! Time limits: a complaint is acknowledged within the target of its severity (一般 24 h, 严重 4 h,
//! 重大 1 h, counted from receipt), and handled within 24 h of receipt (处理时限, 003 §3.4 and §3.5
//! "投诉处理时间应控制在24小时内"): by then the investigation is done and a remedy is put to the customer.
//! What follows depends on the customer (agreeing, the remedy's execution, the visit), so the handling
//! target stops at the first proposal. A complaint forwarded by the market regulator (12315) also carries the
//! deadlines of 《市场监督管理投诉举报处理暂行办法》: the decision to accept (受理) within 7 working days
//! of receipt (Art. 15) and mediation ended within 45 working days of acceptance (Art. 33). Working days
//! follow the statutory holiday schedule: holidays do not count, make-up workdays (调休上班) do; the day of
//! receipt is not counted and a deadline ends at 24:00 (Beijing time) of its last working day.
//!
//! A complaint by the same customer, or about the same order, within 30 days of an earlier one is a
//! repeat complaint (重复投诉); it carries the earlier complaints' numbers.
//!
//! Everything here is pure: facts and a command in, events out.

use crate::aftersales::eligibility::is_rest_day;
use crate::calendar::BusinessCalendar;
use crate::error::DomainError;
use crate::time::Millis;
use jiff::civil::Date;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

/// 处理时限: the first remedy is proposed within this many hours of receipt.
pub const HANDLE_HOURS: i64 = 24;
/// The window in which a new complaint counts as a repeat of an earlier one.
pub const REPEAT_WINDOW_DAYS: i64 = 30;
/// 12315: accept or refuse within 7 working days of receipt.
pub const REGULATOR_ACCEPT_WORKING_DAYS: u32 = 7;
/// 12315: mediation ends within 45 working days of acceptance.
pub const REGULATOR_MEDIATE_WORKING_DAYS: u32 = 45;

/// Where the complaint came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintSource {
    /// 客户直接投诉
    Customer,
    /// 平台转交（电商平台客服介入）
    Platform,
    /// 12315 / 市场监督管理部门转办
    Regulator,
}

impl ComplaintSource {
    pub fn label(self) -> &'static str {
        match self {
            ComplaintSource::Customer => "客户投诉",
            ComplaintSource::Platform => "平台转交",
            ComplaintSource::Regulator => "12315转办",
        }
    }
}

/// How serious the complaint is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// 一般
    Normal,
    /// 严重
    Serious,
    /// 重大
    Major,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Normal => "一般",
            Severity::Serious => "严重",
            Severity::Major => "重大",
        }
    }

    /// The acknowledgement target (受理时限), in hours from receipt.
    pub fn acknowledge_hours(self) -> i64 {
        match self {
            Severity::Normal => 24,
            Severity::Serious => 4,
            Severity::Major => 1,
        }
    }
}

/// Where a complaint is in its workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// 待受理
    #[default]
    Received,
    /// 已受理（待登记诉求）
    Acknowledged,
    /// 已登记诉求（待调查）
    ClaimRecorded,
    /// 调查中（部门协作）
    Investigating,
    /// 已查明（待提出方案）
    Investigated,
    /// 方案待客户确认
    Proposed,
    /// 客户不同意（待重新提出方案）
    Disagreed,
    /// 客户同意（待执行）
    Agreed,
    /// 已执行（待回访）
    Executed,
    /// 已回访（待结案）
    Visited,
    /// 已结案
    Closed,
}

impl Stage {
    pub fn label(self) -> &'static str {
        use Stage::*;
        match self {
            Received => "待受理",
            Acknowledged => "已受理",
            ClaimRecorded => "已登记诉求",
            Investigating => "调查中",
            Investigated => "已查明",
            Proposed => "方案待确认",
            Disagreed => "客户不同意",
            Agreed => "待执行",
            Executed => "待回访",
            Visited => "已回访",
            Closed => "已结案",
        }
    }

    /// The wire name (`claim_recorded` …).
    pub fn name(self) -> &'static str {
        use Stage::*;
        match self {
            Received => "received",
            Acknowledged => "acknowledged",
            ClaimRecorded => "claim_recorded",
            Investigating => "investigating",
            Investigated => "investigated",
            Proposed => "proposed",
            Disagreed => "disagreed",
            Agreed => "agreed",
            Executed => "executed",
            Visited => "visited",
            Closed => "closed",
        }
    }

    /// What the stage waits for, in plain Chinese.
    pub fn next_step(self) -> &'static str {
        use Stage::*;
        match self {
            Received => "受理投诉",
            Acknowledged => "登记投诉内容和客户诉求",
            ClaimRecorded => "转责任部门调查",
            Investigating => "登记调查结果",
            Investigated | Disagreed => "提出处理方案",
            Proposed => "记录客户是否同意方案",
            Agreed => "执行处理方案",
            Executed => "回访客户",
            Visited => "结案",
            Closed => "无（已结案）",
        }
    }
}

/// The statutory deadlines of a complaint forwarded by the regulator (12315).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RegulatorDeadlines {
    /// 受理期限: 7 working days from receipt.
    pub accept_due: Millis,
    /// 调解期限: 45 working days from acceptance; until the complaint is accepted, counted from receipt
    /// (the earliest it can be).
    pub mediate_due: Millis,
}

/// A complaint to open, as the facts are known when it is received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ComplaintIntake {
    pub source: ComplaintSource,
    pub severity: Severity,
    /// When the complaint was received (for 12315, the date the regulator forwarded it).
    pub received_at: Millis,
    /// The regulator's case number (12315 工单号); required for regulator complaints.
    pub regulator_ref: Option<String>,
    /// What the customer said first, in their words (may be refined by `RecordClaim`).
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ComplaintCommand {
    /// Receive a complaint; `repeat_of` are the numbers of earlier complaints (see [`repeat_of`]).
    Open { intake: ComplaintIntake, repeat_of: Vec<String> },
    /// 受理: the complaint is accepted for handling.
    Acknowledge { note: String },
    /// 登记: the claim (投诉内容) and the customer's demand (诉求).
    RecordClaim { claim: String, demand: String },
    /// 调查: a department task opened on the ticket (its number there).
    Investigate { department_id: i64, request: String, task_no: i64 },
    /// 调查结果: what was found, and who was responsible.
    RecordFindings { findings: String, responsible: String },
    /// 处理方案
    ProposeRemedy { remedy: String },
    /// 客户意见: agrees or not, with what they said.
    CustomerResponse { agrees: bool, note: String },
    /// 执行: what was done.
    Execute { result: String },
    /// 回访: the visit's result and the customer's satisfaction (1 very dissatisfied … 5 very satisfied).
    FollowUp { result: String, satisfaction: u8 },
    /// 结案
    Close { summary: String },
}

impl ComplaintCommand {
    /// The wire name (audit action, e.g. `complaint.acknowledge`).
    pub fn name(&self) -> &'static str {
        match self {
            ComplaintCommand::Open { .. } => "create",
            ComplaintCommand::Acknowledge { .. } => "acknowledge",
            ComplaintCommand::RecordClaim { .. } => "record_claim",
            ComplaintCommand::Investigate { .. } => "investigate",
            ComplaintCommand::RecordFindings { .. } => "record_findings",
            ComplaintCommand::ProposeRemedy { .. } => "propose_remedy",
            ComplaintCommand::CustomerResponse { .. } => "customer_response",
            ComplaintCommand::Execute { .. } => "execute",
            ComplaintCommand::FollowUp { .. } => "follow_up",
            ComplaintCommand::Close { .. } => "close",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ComplaintEventKind {
    Opened {
        source: ComplaintSource,
        severity: Severity,
        received_at: Millis,
        regulator_ref: Option<String>,
        summary: String,
        acknowledge_due: Millis,
        regulator: Option<RegulatorDeadlines>,
        repeat_of: Vec<String>,
    },
    Acknowledged {
        note: String,
        /// Acknowledged after the target.
        late: bool,
        /// For 12315: the mediation deadline counted from this acceptance.
        mediate_due: Option<Millis>,
    },
    ClaimRecorded {
        claim: String,
        demand: String,
    },
    InvestigationStarted {
        department_id: i64,
        request: String,
        task_no: i64,
    },
    FindingsRecorded {
        findings: String,
        responsible: String,
    },
    RemedyProposed {
        /// 1 for the first proposal, 2 after one disagreement …
        round: u32,
        remedy: String,
    },
    CustomerAgreed {
        note: String,
    },
    CustomerDisagreed {
        note: String,
    },
    Executed {
        result: String,
    },
    FollowedUp {
        result: String,
        satisfaction: u8,
    },
    Closed {
        summary: String,
    },
    StageChanged {
        from: Stage,
        to: Stage,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ComplaintEvent {
    pub at: Millis,
    #[serde(flatten)]
    pub kind: ComplaintEventKind,
}

/// A complaint: the fold of its events.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ComplaintState {
    /// Set once opened; the fold's other fields mean nothing before.
    pub source: Option<ComplaintSource>,
    pub severity: Option<Severity>,
    pub stage: Stage,
    pub received_at: Millis,
    pub regulator_ref: Option<String>,
    pub summary: String,
    pub acknowledge_due: Millis,
    pub regulator: Option<RegulatorDeadlines>,
    pub repeat_of: Vec<String>,
    pub acknowledged_at: Option<Millis>,
    pub acknowledged_late: bool,
    pub claim: Option<String>,
    pub demand: Option<String>,
    pub department_id: Option<i64>,
    pub task_no: Option<i64>,
    pub findings: Option<String>,
    pub responsible: Option<String>,
    pub remedy: Option<String>,
    /// Proposals made so far.
    pub proposals: u32,
    /// When the first remedy was proposed (the end of the handling target).
    #[serde(default)]
    pub first_proposed_at: Option<Millis>,
    /// Times the customer disagreed with a proposal.
    pub disagreements: u32,
    pub customer_note: Option<String>,
    pub execution: Option<String>,
    pub follow_up: Option<String>,
    pub satisfaction: Option<u8>,
    pub closed_at: Option<Millis>,
    pub closing_summary: Option<String>,
}

impl ComplaintState {
    pub fn apply(&mut self, e: &ComplaintEvent) {
        use ComplaintEventKind as E;
        match &e.kind {
            E::Opened {
                source,
                severity,
                received_at,
                regulator_ref,
                summary,
                acknowledge_due,
                regulator,
                repeat_of,
            } => {
                self.source = Some(*source);
                self.severity = Some(*severity);
                self.stage = Stage::Received;
                self.received_at = *received_at;
                self.regulator_ref = regulator_ref.clone();
                self.summary = summary.clone();
                self.acknowledge_due = *acknowledge_due;
                self.regulator = regulator.clone();
                self.repeat_of = repeat_of.clone();
            }
            E::Acknowledged { late, mediate_due, .. } => {
                self.acknowledged_at = Some(e.at);
                self.acknowledged_late = *late;
                if let (Some(r), Some(m)) = (self.regulator.as_mut(), mediate_due) {
                    r.mediate_due = *m;
                }
            }
            E::ClaimRecorded { claim, demand } => {
                self.claim = Some(claim.clone());
                self.demand = Some(demand.clone());
            }
            E::InvestigationStarted { department_id, task_no, .. } => {
                self.department_id = Some(*department_id);
                self.task_no = Some(*task_no);
            }
            E::FindingsRecorded { findings, responsible } => {
                self.findings = Some(findings.clone());
                self.responsible = Some(responsible.clone());
            }
            E::RemedyProposed { round, remedy } => {
                self.first_proposed_at.get_or_insert(e.at);
                self.proposals = *round;
                self.remedy = Some(remedy.clone());
            }
            E::CustomerAgreed { note } => self.customer_note = Some(note.clone()),
            E::CustomerDisagreed { note } => {
                self.disagreements += 1;
                self.customer_note = Some(note.clone());
            }
            E::Executed { result } => self.execution = Some(result.clone()),
            E::FollowedUp { result, satisfaction } => {
                self.follow_up = Some(result.clone());
                self.satisfaction = Some(*satisfaction);
            }
            E::Closed { summary } => {
                self.closed_at = Some(e.at);
                self.closing_summary = Some(summary.clone());
            }
            E::StageChanged { to, .. } => self.stage = *to,
        }
    }

    /// 处理时限: when the first remedy must have been proposed.
    pub fn handle_due(&self) -> Millis {
        self.received_at.plus_ms(HANDLE_HOURS * HOUR)
    }

    /// Whether the first remedy was proposed within the handling target; `None` before it was.
    pub fn handled_on_time(&self) -> Option<bool> {
        self.first_proposed_at.map(|at| at < self.handle_due())
    }

    /// The deadline running in the current stage: the acknowledgement target until acknowledged, the
    /// handling target until a remedy is proposed, and (for 12315) the mediation deadline until closed;
    /// the earliest when two run at once.
    pub fn due_at(&self) -> Option<Millis> {
        let mediate = self.regulator.as_ref().map(|r| r.mediate_due);
        match self.stage {
            Stage::Received => Some(self.acknowledge_due),
            Stage::Closed => None,
            Stage::Acknowledged | Stage::ClaimRecorded | Stage::Investigating | Stage::Investigated => {
                Some(mediate.map_or(self.handle_due(), |m| m.min(self.handle_due())))
            }
            _ => mediate,
        }
    }

    /// Past its running deadline at `now`.
    pub fn is_overdue(&self, now: Millis) -> bool {
        self.source.is_some() && self.due_at().is_some_and(|d| now >= d)
    }

    pub fn is_repeat(&self) -> bool {
        !self.repeat_of.is_empty()
    }
}

/// Fold a whole history.
pub fn rebuild(events: &[ComplaintEvent]) -> ComplaintState {
    let mut s = ComplaintState::default();
    for e in events {
        s.apply(e);
    }
    s
}

/// An earlier complaint of the same merchant, as repeat detection needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PriorComplaint {
    pub number: String,
    pub customer_id: Option<i64>,
    pub order_no: Option<String>,
    pub received_at: Millis,
}

/// The numbers of the earlier complaints this one repeats: same customer or same order, received within
/// [`REPEAT_WINDOW_DAYS`] days before `received_at` (oldest first).
pub fn repeat_of(
    customer_id: Option<i64>,
    order_no: Option<&str>,
    received_at: Millis,
    earlier: &[PriorComplaint],
) -> Vec<String> {
    let since = received_at.0 - REPEAT_WINDOW_DAYS * DAY;
    let mut hits: Vec<&PriorComplaint> = earlier
        .iter()
        .filter(|p| p.received_at.0 >= since && p.received_at.0 <= received_at.0)
        .filter(|p| {
            let same_customer = customer_id.is_some() && p.customer_id == customer_id;
            let same_order = order_no.is_some_and(|o| !o.is_empty()) && p.order_no.as_deref() == order_no;
            same_customer || same_order
        })
        .collect();
    hits.sort_by_key(|p| (p.received_at, p.number.clone()));
    hits.into_iter().map(|p| p.number.clone()).collect()
}

fn to_ts(m: Millis) -> Timestamp {
    Timestamp::from_millisecond(m.0).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// The local date `n` working days after `from` (the day of `from` is not counted): holidays are
/// skipped, make-up workdays count.
pub fn add_working_days(cal: &BusinessCalendar, from: Date, n: u32) -> Date {
    let mut d = from;
    let mut left = n;
    // Bounded: a year has far more working days than any deadline here needs.
    let mut guard = 0;
    while left > 0 && guard < 3660 {
        d = d.tomorrow().unwrap_or(d);
        if !is_rest_day(cal, d) {
            left -= 1;
        }
        guard += 1;
    }
    d
}

/// The end (24:00 local, as an instant) of the `n`-th working day after the local date of `from`.
pub fn working_day_deadline(cal: &BusinessCalendar, from: Millis, n: u32) -> Millis {
    let last = add_working_days(cal, cal.local_date(to_ts(from)), n);
    match last.tomorrow().unwrap_or(last).to_zoned(cal.time_zone().clone()) {
        Ok(z) => Millis(z.timestamp().as_millisecond()),
        Err(_) => from.plus_ms(i64::from(n) * DAY),
    }
}

/// The deadlines a complaint starts with: the acknowledgement target of its severity (the earlier of it
/// and the regulator's acceptance deadline for 12315) and the regulator's deadlines.
pub fn deadlines(
    cal: &BusinessCalendar,
    source: ComplaintSource,
    severity: Severity,
    received_at: Millis,
) -> (Millis, Option<RegulatorDeadlines>) {
    let target = received_at.plus_ms(severity.acknowledge_hours() * HOUR);
    if source != ComplaintSource::Regulator {
        return (target, None);
    }
    let accept_due = working_day_deadline(cal, received_at, REGULATOR_ACCEPT_WORKING_DAYS);
    let mediate_due = working_day_deadline(cal, received_at, REGULATOR_MEDIATE_WORKING_DAYS);
    (Millis(target.0.min(accept_due.0)), Some(RegulatorDeadlines { accept_due, mediate_due }))
}

fn text(field: &str, v: &str, max: usize) -> Result<String, DomainError> {
    let v = v.trim();
    if v.is_empty() || v.chars().count() > max {
        return Err(DomainError::validation(field, format!("{field} must be 1 to {max} characters")));
    }
    Ok(v.to_string())
}

fn optional_text(field: &str, v: &str, max: usize) -> Result<String, DomainError> {
    let v = v.trim();
    if v.chars().count() > max {
        return Err(DomainError::validation(field, format!("{field} must be at most {max} characters")));
    }
    Ok(v.to_string())
}

fn refuse(st: &ComplaintState, what: &str) -> DomainError {
    DomainError::conflict(
        Some("stage"),
        format!(
            "cannot {what}: the complaint is {} ({}); next step: {}",
            st.stage.label(),
            st.stage.name(),
            st.stage.next_step()
        ),
    )
}

/// Turn a command into events, or refuse it. `cal` is the statutory calendar (12315 working days).
pub fn decide(
    st: &ComplaintState,
    cmd: &ComplaintCommand,
    now: Millis,
    cal: &BusinessCalendar,
) -> Result<Vec<ComplaintEvent>, DomainError> {
    use ComplaintCommand as C;
    use ComplaintEventKind as E;
    use Stage as S;
    let mut out = Vec::new();
    let mut push = |kind: E| out.push(ComplaintEvent { at: now, kind });
    let Some(_) = st.source else {
        let C::Open { intake, repeat_of } = cmd else {
            return Err(DomainError::conflict(None, "the complaint has not been opened"));
        };
        let summary = text("summary", &intake.summary, 2000)?;
        if intake.received_at.0 > now.0 {
            return Err(DomainError::validation("received_at", "received_at must not be in the future"));
        }
        let regulator_ref = match (intake.source, intake.regulator_ref.as_deref().map(str::trim)) {
            (ComplaintSource::Regulator, Some(r)) if !r.is_empty() => Some(text("regulator_ref", r, 64)?),
            (ComplaintSource::Regulator, _) => {
                return Err(DomainError::validation(
                    "regulator_ref",
                    "a complaint from 12315 needs the regulator's case number (regulator_ref)",
                ))
            }
            (_, Some(r)) if !r.is_empty() => Some(text("regulator_ref", r, 64)?),
            _ => None,
        };
        let (acknowledge_due, regulator) = deadlines(cal, intake.source, intake.severity, intake.received_at);
        push(E::Opened {
            source: intake.source,
            severity: intake.severity,
            received_at: intake.received_at,
            regulator_ref,
            summary,
            acknowledge_due,
            regulator,
            repeat_of: repeat_of.clone(),
        });
        return Ok(out);
    };
    let from = st.stage;
    let to = match cmd {
        C::Open { .. } => return Err(DomainError::conflict(None, "the complaint exists already")),
        C::Acknowledge { note } => {
            if from != S::Received {
                return Err(refuse(st, "acknowledge"));
            }
            let mediate_due =
                st.regulator.as_ref().map(|_| working_day_deadline(cal, now, REGULATOR_MEDIATE_WORKING_DAYS));
            push(E::Acknowledged {
                note: optional_text("note", note, 1000)?,
                late: now.0 > st.acknowledge_due.0,
                mediate_due,
            });
            S::Acknowledged
        }
        C::RecordClaim { claim, demand } => {
            if from != S::Acknowledged {
                return Err(refuse(st, "record the claim"));
            }
            push(E::ClaimRecorded {
                claim: text("claim", claim, 4000)?,
                demand: text("demand", demand, 2000)?,
            });
            S::ClaimRecorded
        }
        C::Investigate { department_id, request, task_no } => {
            if from != S::ClaimRecorded {
                return Err(refuse(st, "start the investigation"));
            }
            push(E::InvestigationStarted {
                department_id: *department_id,
                request: text("request", request, 2000)?,
                task_no: *task_no,
            });
            S::Investigating
        }
        C::RecordFindings { findings, responsible } => {
            if from != S::Investigating {
                return Err(refuse(st, "record the findings"));
            }
            push(E::FindingsRecorded {
                findings: text("findings", findings, 4000)?,
                responsible: optional_text("responsible", responsible, 200)?,
            });
            S::Investigated
        }
        C::ProposeRemedy { remedy } => {
            if !matches!(from, S::Investigated | S::Disagreed) {
                return Err(refuse(st, "propose a remedy"));
            }
            push(E::RemedyProposed { round: st.proposals + 1, remedy: text("remedy", remedy, 2000)? });
            S::Proposed
        }
        C::CustomerResponse { agrees, note } => {
            if from != S::Proposed {
                return Err(refuse(st, "record the customer's answer"));
            }
            let note = optional_text("note", note, 1000)?;
            if *agrees {
                push(E::CustomerAgreed { note });
                S::Agreed
            } else {
                push(E::CustomerDisagreed { note });
                S::Disagreed
            }
        }
        C::Execute { result } => {
            if from != S::Agreed {
                return Err(refuse(st, "execute the remedy"));
            }
            push(E::Executed { result: text("result", result, 2000)? });
            S::Executed
        }
        C::FollowUp { result, satisfaction } => {
            if from != S::Executed {
                return Err(refuse(st, "record the follow-up visit"));
            }
            if !(1..=5).contains(satisfaction) {
                return Err(DomainError::validation("satisfaction", "satisfaction must be 1 to 5"));
            }
            push(E::FollowedUp { result: text("result", result, 2000)?, satisfaction: *satisfaction });
            S::Visited
        }
        C::Close { summary } => {
            if from != S::Visited {
                return Err(refuse(st, "close"));
            }
            push(E::Closed { summary: optional_text("summary", summary, 2000)? });
            S::Closed
        }
    };
    push(E::StageChanged { from, to });
    Ok(out)
}

/// A one-line account of new events for the ticket's timeline.
pub fn summary(number: &str, events: &[ComplaintEvent]) -> String {
    use ComplaintEventKind as E;
    let mut parts = Vec::new();
    for e in events {
        let p = match &e.kind {
            E::Opened { source, severity, repeat_of, .. } => {
                let mut s = format!("投诉{number}已登记（{}，{}）", source.label(), severity.label());
                if !repeat_of.is_empty() {
                    s.push_str(&format!("，重复投诉（前次：{}）", repeat_of.join("、")));
                }
                s
            }
            E::Acknowledged { late, .. } => {
                if *late {
                    format!("投诉{number}已受理（超出受理时限）")
                } else {
                    format!("投诉{number}已受理")
                }
            }
            E::ClaimRecorded { demand, .. } => format!("已登记投诉内容，客户诉求：{demand}"),
            E::InvestigationStarted { task_no, .. } => format!("已转责任部门调查（协作任务 #{task_no}）"),
            E::FindingsRecorded { .. } => "已登记调查结果".to_string(),
            E::RemedyProposed { round, remedy } => format!("提出第{round}次处理方案：{remedy}"),
            E::CustomerAgreed { .. } => "客户同意处理方案".to_string(),
            E::CustomerDisagreed { .. } => "客户不同意处理方案".to_string(),
            E::Executed { .. } => "处理方案已执行".to_string(),
            E::FollowedUp { satisfaction, .. } => format!("已回访，客户满意度 {satisfaction}/5"),
            E::Closed { .. } => format!("投诉{number}已结案"),
            E::StageChanged { .. } => continue,
        };
        parts.push(p);
    }
    parts.join("；")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::WeeklyHours;
    use jiff::civil::date;

    fn cal() -> BusinessCalendar {
        BusinessCalendar::china(WeeklyHours::always_open())
    }

    /// A Beijing-time instant.
    fn bj(y: i16, m: i8, d: i8, h: i8) -> Millis {
        let z = date(y, m, d).at(h, 0, 0, 0).in_tz("Asia/Shanghai").expect("valid time");
        Millis(z.timestamp().as_millisecond())
    }

    fn intake(source: ComplaintSource, severity: Severity, at: Millis) -> ComplaintIntake {
        ComplaintIntake {
            source,
            severity,
            received_at: at,
            regulator_ref: (source == ComplaintSource::Regulator).then(|| "12315-2025-0001".to_string()),
            summary: "客服态度差，退款迟迟不到账".into(),
        }
    }

    fn run(st: &mut ComplaintState, cmd: ComplaintCommand, now: Millis) -> Vec<ComplaintEvent> {
        let ev = decide(st, &cmd, now, &cal()).expect("accepted");
        for e in &ev {
            st.apply(e);
        }
        ev
    }

    fn opened(source: ComplaintSource, severity: Severity, at: Millis) -> ComplaintState {
        let mut st = ComplaintState::default();
        run(&mut st, ComplaintCommand::Open { intake: intake(source, severity, at), repeat_of: vec![] }, at);
        st
    }

    fn ack() -> ComplaintCommand {
        ComplaintCommand::Acknowledge { note: "已致歉并受理".into() }
    }
    fn claim() -> ComplaintCommand {
        ComplaintCommand::RecordClaim {
            claim: "退款7天未到账".into(), demand: "立即退款并补偿".into()
        }
    }
    fn investigate() -> ComplaintCommand {
        ComplaintCommand::Investigate {
            department_id: 3, request: "请财务核查退款".into(), task_no: 1
        }
    }
    fn findings() -> ComplaintCommand {
        ComplaintCommand::RecordFindings {
            findings: "退款被风控拦截".into(), responsible: "财务部".into()
        }
    }
    fn propose(r: &str) -> ComplaintCommand {
        ComplaintCommand::ProposeRemedy { remedy: r.into() }
    }
    fn answer(agrees: bool) -> ComplaintCommand {
        ComplaintCommand::CustomerResponse { agrees, note: String::new() }
    }
    fn execute() -> ComplaintCommand {
        ComplaintCommand::Execute { result: "已退款并发放20元券".into() }
    }
    fn follow_up(s: u8) -> ComplaintCommand {
        ComplaintCommand::FollowUp { result: "客户表示满意".into(), satisfaction: s }
    }
    fn close() -> ComplaintCommand {
        ComplaintCommand::Close { summary: "处理完毕".into() }
    }

    fn all_commands() -> Vec<ComplaintCommand> {
        vec![
            ack(),
            claim(),
            investigate(),
            findings(),
            propose("退款"),
            answer(true),
            answer(false),
            execute(),
            follow_up(5),
            close(),
        ]
    }

    /// The one command each stage accepts (both answers in `Proposed`, a proposal in `Disagreed`).
    fn accepted_in(stage: Stage, cmd: &ComplaintCommand) -> bool {
        use ComplaintCommand as C;
        matches!(
            (stage, cmd),
            (Stage::Received, C::Acknowledge { .. })
                | (Stage::Acknowledged, C::RecordClaim { .. })
                | (Stage::ClaimRecorded, C::Investigate { .. })
                | (Stage::Investigating, C::RecordFindings { .. })
                | (Stage::Investigated | Stage::Disagreed, C::ProposeRemedy { .. })
                | (Stage::Proposed, C::CustomerResponse { .. })
                | (Stage::Agreed, C::Execute { .. })
                | (Stage::Executed, C::FollowUp { .. })
                | (Stage::Visited, C::Close { .. })
        )
    }

    #[test]
    fn complaint_walks_every_stage_to_closed() {
        let t0 = bj(2026, 3, 2, 10);
        let mut st = opened(ComplaintSource::Customer, Severity::Normal, t0);
        assert_eq!(st.stage, Stage::Received);
        assert_eq!(st.acknowledge_due, t0.plus_ms(24 * HOUR));
        let steps = [
            (ack(), Stage::Acknowledged),
            (claim(), Stage::ClaimRecorded),
            (investigate(), Stage::Investigating),
            (findings(), Stage::Investigated),
            (propose("全额退款"), Stage::Proposed),
            (answer(true), Stage::Agreed),
            (execute(), Stage::Executed),
            (follow_up(4), Stage::Visited),
            (close(), Stage::Closed),
        ];
        for (i, (cmd, stage)) in steps.into_iter().enumerate() {
            let before = st.stage;
            let ev = run(&mut st, cmd, t0.plus_ms((i as i64 + 1) * HOUR / 4));
            assert_eq!(st.stage, stage);
            assert_eq!(
                ev.last().map(|e| e.kind.clone()),
                Some(ComplaintEventKind::StageChanged { from: before, to: stage })
            );
        }
        assert_eq!(st.claim.as_deref(), Some("退款7天未到账"));
        assert_eq!(st.demand.as_deref(), Some("立即退款并补偿"));
        assert_eq!(st.findings.as_deref(), Some("退款被风控拦截"));
        assert_eq!(st.task_no, Some(1));
        assert_eq!(st.remedy.as_deref(), Some("全额退款"));
        assert_eq!(st.satisfaction, Some(4));
        assert!(!st.acknowledged_late);
        assert!(st.closed_at.is_some());
        assert_eq!(st.due_at(), None);
    }

    #[test]
    fn every_command_in_a_wrong_stage_is_refused_naming_the_stage() {
        let t0 = bj(2026, 3, 2, 10);
        let path = [
            ack(),
            claim(),
            investigate(),
            findings(),
            propose("退款"),
            answer(false),
            propose("退款并补偿"),
            answer(true),
            execute(),
            follow_up(5),
            close(),
        ];
        let mut st = opened(ComplaintSource::Customer, Severity::Normal, t0);
        let mut stages_seen = 0;
        for next in path.iter().chain(std::iter::once(&close())) {
            for cmd in all_commands() {
                if accepted_in(st.stage, &cmd) {
                    continue;
                }
                let err = decide(&st, &cmd, t0, &cal()).expect_err("refused");
                assert_eq!(err.code, crate::ErrorCode::Conflict, "{cmd:?} in {:?}", st.stage);
                assert!(err.message.contains(st.stage.label()), "{}", err.message);
                assert!(err.message.contains(st.stage.next_step()), "{}", err.message);
            }
            stages_seen += 1;
            if st.stage == Stage::Closed {
                break;
            }
            run(&mut st, next.clone(), t0);
        }
        assert_eq!(st.stage, Stage::Closed);
        assert_eq!(stages_seen, 12);
    }

    #[test]
    fn opening_twice_and_acting_before_opening_are_refused() {
        let t0 = bj(2026, 3, 2, 10);
        let st = opened(ComplaintSource::Customer, Severity::Normal, t0);
        let again = ComplaintCommand::Open {
            intake: intake(ComplaintSource::Customer, Severity::Normal, t0),
            repeat_of: vec![],
        };
        assert!(decide(&st, &again, t0, &cal()).is_err());
        assert!(decide(&ComplaintState::default(), &ack(), t0, &cal()).is_err());
    }

    #[test]
    fn disagreement_goes_back_to_a_new_proposal_and_is_counted() {
        let t0 = bj(2026, 3, 2, 10);
        let mut st = opened(ComplaintSource::Platform, Severity::Serious, t0);
        for c in [ack(), claim(), investigate(), findings()] {
            run(&mut st, c, t0);
        }
        let ev = run(&mut st, propose("补偿10元"), t0);
        assert!(ev
            .iter()
            .any(|e| e.kind == ComplaintEventKind::RemedyProposed { round: 1, remedy: "补偿10元".into() }));
        run(&mut st, answer(false), t0);
        assert_eq!(st.stage, Stage::Disagreed);
        assert_eq!(st.disagreements, 1);
        // Execution is not possible without an agreed remedy.
        assert!(decide(&st, &execute(), t0, &cal()).is_err());
        run(&mut st, propose("补偿30元"), t0);
        run(&mut st, answer(false), t0);
        let ev = run(&mut st, propose("全额退款并补偿30元"), t0);
        assert!(ev.iter().any(|e| matches!(e.kind, ComplaintEventKind::RemedyProposed { round: 3, .. })));
        run(&mut st, answer(true), t0);
        assert_eq!(st.stage, Stage::Agreed);
        assert_eq!(st.disagreements, 2);
        assert_eq!(st.proposals, 3);
        assert_eq!(st.remedy.as_deref(), Some("全额退款并补偿30元"));
    }

    #[test]
    fn severity_sets_the_acknowledgement_target_and_lateness_is_recorded() {
        let t0 = bj(2026, 3, 2, 10);
        for (sev, hours) in [(Severity::Normal, 24), (Severity::Serious, 4), (Severity::Major, 1)] {
            let st = opened(ComplaintSource::Customer, sev, t0);
            assert_eq!(st.acknowledge_due, t0.plus_ms(hours * HOUR), "{sev:?}");
            assert!(!st.is_overdue(t0.plus_ms(hours * HOUR - 1)));
            assert!(st.is_overdue(t0.plus_ms(hours * HOUR)));
        }
        let mut st = opened(ComplaintSource::Customer, Severity::Major, t0);
        run(&mut st, ack(), t0.plus_ms(2 * HOUR));
        assert!(st.acknowledged_late);
        // Once acknowledged, the handling target (24 h from receipt) runs until a remedy is proposed;
        // then a customer complaint has no deadline.
        assert_eq!(st.due_at(), Some(t0.plus_ms(24 * HOUR)));
        for c in [claim(), investigate(), findings(), propose("退款")] {
            run(&mut st, c, t0.plus_ms(3 * HOUR));
        }
        assert_eq!(st.handled_on_time(), Some(true));
        assert_eq!(st.due_at(), None);
        assert!(!st.is_overdue(t0.plus_ms(1000 * DAY)));
    }

    #[test]
    fn input_is_validated_naming_the_field() {
        let t0 = bj(2026, 3, 2, 10);
        let mut i = intake(ComplaintSource::Regulator, Severity::Normal, t0);
        i.regulator_ref = None;
        let err = decide(
            &ComplaintState::default(),
            &ComplaintCommand::Open { intake: i, repeat_of: vec![] },
            t0,
            &cal(),
        )
        .expect_err("no ref");
        assert_eq!(err.field.as_deref(), Some("regulator_ref"));
        let mut i = intake(ComplaintSource::Customer, Severity::Normal, t0);
        i.summary = "  ".into();
        let err = decide(
            &ComplaintState::default(),
            &ComplaintCommand::Open { intake: i, repeat_of: vec![] },
            t0,
            &cal(),
        )
        .expect_err("blank");
        assert_eq!(err.field.as_deref(), Some("summary"));
        let i = intake(ComplaintSource::Customer, Severity::Normal, t0.plus_ms(DAY));
        let err = decide(
            &ComplaintState::default(),
            &ComplaintCommand::Open { intake: i, repeat_of: vec![] },
            t0,
            &cal(),
        )
        .expect_err("future");
        assert_eq!(err.field.as_deref(), Some("received_at"));

        let mut st = opened(ComplaintSource::Customer, Severity::Normal, t0);
        run(&mut st, ack(), t0);
        let err =
            decide(&st, &ComplaintCommand::RecordClaim { claim: "x".into(), demand: " ".into() }, t0, &cal())
                .expect_err("blank demand");
        assert_eq!(err.field.as_deref(), Some("demand"));
        for c in [claim(), investigate(), findings(), propose("退款"), answer(true), execute()] {
            run(&mut st, c, t0);
        }
        for bad in [0u8, 6] {
            let err = decide(&st, &follow_up(bad), t0, &cal()).expect_err("satisfaction");
            assert_eq!(err.field.as_deref(), Some("satisfaction"));
        }
    }

    #[test]
    fn working_days_skip_national_day_and_count_make_up_days() {
        let c = cal();
        // Tue 30 Sep 2025: 1–8 Oct are holidays; Sat 11 Oct is a make-up workday.
        // 9 Oct (1), 10 (2), 11 Sat make-up (3), 13 (4), 14 (5), 15 (6), 16 (7).
        assert_eq!(add_working_days(&c, date(2025, 9, 30), 7), date(2025, 10, 16));
        // Sat 27 Sep: Sun 28 Sep is a make-up workday (1), 29 (2), 30 (3), then 9, 10, 11, 13.
        assert_eq!(add_working_days(&c, date(2025, 9, 27), 7), date(2025, 10, 13));
        // Without holidays: a plain week plus two days.
        assert_eq!(add_working_days(&c, date(2025, 11, 3), 7), date(2025, 11, 12));
    }

    #[test]
    fn regulator_deadlines_across_national_day() {
        let received = bj(2025, 9, 30, 15);
        let st = opened(ComplaintSource::Regulator, Severity::Normal, received);
        let r = st.regulator.clone().expect("12315 deadlines");
        // Accept by the end of 16 Oct 2025 (Beijing), 24:00 = 17 Oct 00:00.
        assert_eq!(r.accept_due, bj(2025, 10, 17, 0));
        // The severity target (24 h) is earlier and drives acknowledgement.
        assert_eq!(st.acknowledge_due, received.plus_ms(24 * HOUR));
        assert_eq!(st.regulator_ref.as_deref(), Some("12315-2025-0001"));
        // Before acceptance, mediation is counted from receipt: 45 working days.
        let expected = add_working_days(&cal(), date(2025, 9, 30), 45);
        assert_eq!(r.mediate_due, working_day_deadline(&cal(), received, 45));
        assert_eq!(cal().local_date(to_ts(Millis(r.mediate_due.0 - 1))), expected);
    }

    #[test]
    fn regulator_mediation_counts_from_acceptance_across_spring_festival() {
        // Received Fri 6 Feb 2026; accepted Fri 13 Feb. 14 Feb (Sat) is a make-up workday, 15–23 Feb
        // are the Spring Festival holidays, 28 Feb (Sat) another make-up workday.
        let received = bj(2026, 2, 6, 9);
        let mut st = opened(ComplaintSource::Regulator, Severity::Normal, received);
        // Accept: 9 (1), 10 (2), 11 (3), 12 (4), 13 (5), 14 Sat make-up (6), 24 (7).
        assert_eq!(st.regulator.as_ref().map(|r| r.accept_due), Some(bj(2026, 2, 25, 0)));
        run(&mut st, ack(), bj(2026, 2, 13, 11));
        // From 13 Feb: 14 (1), 24 (2), 25 (3), 26 (4), 27 (5), 28 Sat make-up (6), then March weekdays.
        assert_eq!(add_working_days(&cal(), date(2026, 2, 13), 6), date(2026, 2, 28));
        let mediate = st.regulator.as_ref().map(|r| r.mediate_due).expect("due");
        let last = add_working_days(&cal(), date(2026, 2, 13), 45);
        assert_eq!(mediate, last.tomorrow().map(|d| bj(d.year(), d.month(), d.day(), 0)).expect("date"));
        // Count the working days up to the deadline one by one: exactly 45, and the last is one of them.
        let mut n = 0;
        let mut d = date(2026, 2, 13);
        while d < last {
            d = d.tomorrow().expect("date");
            if !is_rest_day(&cal(), d) {
                n += 1;
            }
        }
        assert_eq!(n, 45);
        assert!(!is_rest_day(&cal(), last));
        // After acceptance the 24-hour handling target runs first (it is the earlier one); once a
        // remedy is proposed, the mediation deadline.
        assert_eq!(st.due_at(), Some(st.handle_due()));
        for c in [claim(), investigate(), findings(), propose("退款")] {
            run(&mut st, c, bj(2026, 2, 13, 12));
        }
        assert_eq!(st.due_at(), Some(mediate));
        assert!(st.is_overdue(mediate));
        assert!(!st.is_overdue(Millis(mediate.0 - 1)));
    }

    #[test]
    fn regulator_acceptance_deadline_caps_a_long_holiday() {
        // Received on the first day of the Spring Festival holiday: the 24-hour target falls inside it,
        // the statutory deadline after it; the earlier one drives acknowledgement.
        let received = bj(2026, 2, 15, 10);
        let st = opened(ComplaintSource::Regulator, Severity::Normal, received);
        let r = st.regulator.clone().expect("deadlines");
        // 24 (1), 25 (2), 26 (3), 27 (4), 28 Sat make-up (5), 2 Mar (6), 3 Mar (7).
        assert_eq!(r.accept_due, bj(2026, 3, 4, 0));
        assert_eq!(st.acknowledge_due, received.plus_ms(24 * HOUR));
    }

    fn prior(number: &str, customer: Option<i64>, order: Option<&str>, at: Millis) -> PriorComplaint {
        PriorComplaint {
            number: number.into(),
            customer_id: customer,
            order_no: order.map(Into::into),
            received_at: at,
        }
    }

    #[test]
    fn repeat_complaints_by_customer_or_order_within_thirty_days() {
        let now = bj(2026, 3, 31, 12);
        let earlier = vec![
            prior("TS2", Some(7), None, now.plus_ms(-10 * DAY)),
            prior("TS1", Some(7), Some("A1"), now.plus_ms(-30 * DAY)),
            prior("TS0", Some(7), None, now.plus_ms(-30 * DAY - 1)),
            prior("TS3", Some(8), Some("B2"), now.plus_ms(-DAY)),
            prior("TS4", None, Some("A1"), now.plus_ms(-2 * DAY)),
        ];
        assert_eq!(repeat_of(Some(7), None, now, &earlier), vec!["TS1", "TS2"]);
        assert_eq!(repeat_of(Some(9), Some("B2"), now, &earlier), vec!["TS3"]);
        assert_eq!(repeat_of(None, Some("A1"), now, &earlier), vec!["TS1", "TS4"]);
        assert!(repeat_of(Some(9), Some("C3"), now, &earlier).is_empty());
        // No customer and no order: nothing to compare.
        assert!(repeat_of(None, None, now, &earlier).is_empty());
        assert!(repeat_of(None, Some(""), now, &[prior("X", None, Some(""), now)]).is_empty());
    }

    #[test]
    fn a_repeat_complaint_carries_the_earlier_numbers() {
        let t0 = bj(2026, 3, 2, 10);
        let mut st = ComplaintState::default();
        let ev = run(
            &mut st,
            ComplaintCommand::Open {
                intake: intake(ComplaintSource::Customer, Severity::Normal, t0),
                repeat_of: vec!["TS20260301000001".into()],
            },
            t0,
        );
        assert!(st.is_repeat());
        assert!(summary("TS20260302000002", &ev).contains("重复投诉（前次：TS20260301000001）"));
    }
}
