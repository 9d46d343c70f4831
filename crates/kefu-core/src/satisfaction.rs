//! Satisfaction ratings (满意度评价, SVC-8) and follow-up visits (回访, EC-6).
//!
//! A customer rates a resolved ticket from 1 to 5; the five scores carry the labels the shopping platforms
//! show (非常满意 … 非常不满意). Each score offers its own reasons (praise for 4–5, complaints for 1–3), and
//! a rating of 2 or less is *dissatisfied*: the ticket is handled again until the customer is satisfied
//! (reopened to the supervisor tier) and a follow-up visit is scheduled. A follow-up visit (回访) is a
//! task to contact the customer after a complaint, an after-sales case or a low rating, with a call script
//! (回访话术) per reason; its outcome and the customer's renewed satisfaction are recorded.

use crate::calendar::BusinessCalendar;
use crate::time::Millis;
use crate::DomainError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The longest comment a customer may leave with a rating.
pub const MAX_COMMENT_CHARS: usize = 500;
/// The longest note an agent may record with a visit's outcome.
pub const MAX_NOTE_CHARS: usize = 2000;
/// A score at or below this is dissatisfied (不满意).
pub const DISSATISFIED_AT_MOST: u8 = 2;
/// A score at or above this is satisfied (满意).
pub const SATISFIED_AT_LEAST: u8 = 4;

/// The label of a score on the platforms' five-step scale, or `None` outside 1..=5.
pub fn label(score: u8) -> Option<&'static str> {
    match score {
        5 => Some("非常满意"),
        4 => Some("满意"),
        3 => Some("一般"),
        2 => Some("不满意"),
        1 => Some("非常不满意"),
        _ => None,
    }
}

/// The English label of a score.
pub fn label_en(score: u8) -> Option<&'static str> {
    match score {
        5 => Some("Very satisfied"),
        4 => Some("Satisfied"),
        3 => Some("Neutral"),
        2 => Some("Dissatisfied"),
        1 => Some("Very dissatisfied"),
        _ => None,
    }
}

/// Is this score dissatisfied (≤ 2), so the ticket is handled again?
pub fn is_dissatisfied(score: u8) -> bool {
    (1..=DISSATISFIED_AT_MOST).contains(&score)
}

/// Is this score satisfied (4–5)?
pub fn is_satisfied(score: u8) -> bool {
    (SATISFIED_AT_LEAST..=5).contains(&score)
}

/// A reason a customer may tick: its code, Chinese and English text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct RatingReason {
    pub code: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
}

const PRAISE: &[RatingReason] = &[
    RatingReason { code: "fast_reply", zh: "回复及时", en: "Quick replies" },
    RatingReason { code: "friendly", zh: "态度热情", en: "Friendly" },
    RatingReason { code: "professional", zh: "专业耐心", en: "Knowledgeable and patient" },
    RatingReason { code: "solved", zh: "问题已解决", en: "Problem solved" },
];

const COMPLAINTS: &[RatingReason] = &[
    RatingReason { code: "slow_reply", zh: "回复太慢", en: "Slow replies" },
    RatingReason { code: "bad_attitude", zh: "态度不好", en: "Unfriendly" },
    RatingReason { code: "not_solved", zh: "问题没有解决", en: "Problem not solved" },
    RatingReason { code: "unprofessional", zh: "答非所问", en: "Did not understand me" },
    RatingReason { code: "passed_around", zh: "推诿扯皮", en: "Passed around" },
    RatingReason { code: "scripted", zh: "机械回复", en: "Canned answers" },
];

/// The reasons offered for a score: praise for 4–5, complaints for 1–3, none outside the scale.
pub fn reasons_for(score: u8) -> &'static [RatingReason] {
    match score {
        4 | 5 => PRAISE,
        1..=3 => COMPLAINTS,
        _ => &[],
    }
}

/// A rating as the customer submits it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RatingInput {
    pub score: i64,
    pub reasons: Vec<String>,
    pub comment: String,
}

/// A validated rating: the score on the scale, its label, the reason codes (deduplicated, in the order
/// given) and the trimmed comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidRating {
    pub score: u8,
    pub label: &'static str,
    pub reasons: Vec<String>,
    pub comment: String,
}

/// Check a rating: the score is 1..=5, each reason belongs to the score's list, the comment has at most
/// [`MAX_COMMENT_CHARS`] characters. Errors name the field.
pub fn validate(input: &RatingInput) -> Result<ValidRating, DomainError> {
    let score = u8::try_from(input.score).ok().filter(|s| (1..=5).contains(s));
    let Some(score) = score else {
        return Err(DomainError::validation(
            "score",
            "the score must be from 1 (非常不满意) to 5 (非常满意)",
        ));
    };
    let allowed = reasons_for(score);
    let mut reasons: Vec<String> = Vec::new();
    for (i, r) in input.reasons.iter().enumerate() {
        let r = r.trim();
        if !allowed.iter().any(|a| a.code == r) {
            let codes: Vec<&str> = allowed.iter().map(|a| a.code).collect();
            return Err(DomainError::validation(
                &format!("reasons[{i}]"),
                format!("'{r}' is not a reason for a score of {score}; choose from {}", codes.join(", ")),
            ));
        }
        if !reasons.iter().any(|x| x == r) {
            reasons.push(r.to_string());
        }
    }
    let comment = input.comment.trim();
    if comment.chars().count() > MAX_COMMENT_CHARS {
        return Err(DomainError::validation(
            "comment",
            format!("the comment may have at most {MAX_COMMENT_CHARS} characters"),
        ));
    }
    if comment.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err(DomainError::validation("comment", "the comment contains control characters"));
    }
    Ok(ValidRating { score, label: label(score).unwrap_or_default(), reasons, comment: comment.to_string() })
}

/// Why a follow-up visit (回访) is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VisitReason {
    /// After a complaint (投诉回访).
    Complaint,
    /// After an after-sales case ended: refunded, exchanged or repaired (售后回访).
    AfterSales,
    /// After a dissatisfied rating (差评回访).
    LowRating,
    /// Scheduled by hand for another reason (其他回访).
    Other,
}

impl VisitReason {
    pub const ALL: [VisitReason; 4] =
        [VisitReason::Complaint, VisitReason::AfterSales, VisitReason::LowRating, VisitReason::Other];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            VisitReason::Complaint => "complaint",
            VisitReason::AfterSales => "after_sales",
            VisitReason::LowRating => "low_rating",
            VisitReason::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<VisitReason> {
        VisitReason::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            VisitReason::Complaint => "投诉回访",
            VisitReason::AfterSales => "售后回访",
            VisitReason::LowRating => "差评回访",
            VisitReason::Other => "其他回访",
        }
    }

    /// The default call script (回访话术) for this reason: greeting, identity, the purpose, the
    /// question about satisfaction, thanks (SVC-10 etiquette).
    pub fn default_script(self) -> &'static str {
        match self {
            VisitReason::Complaint => {
                "您好，我是{商家}的客服，工号{工号}。关于您之前反映的问题（工单 {工单号}），我们已按处理方案执行完毕，\
                 想跟您确认一下：问题是否已经妥善解决？您对处理结果和处理过程是否满意？还有什么需要我们改进的地方吗？\
                 感谢您的反馈，给您带来的不便再次向您致歉。"
            }
            VisitReason::AfterSales => {
                "您好，我是{商家}的客服，工号{工号}。您申请的售后（工单 {工单号}）已经处理完成，想跟您确认一下：\
                 退款/换货/维修是否已经收到，商品现在使用是否正常？您对这次售后服务是否满意？感谢您的支持，祝您生活愉快。"
            }
            VisitReason::LowRating => {
                "您好，我是{商家}的客服主管。看到您对我们这次服务（工单 {工单号}）不太满意，非常抱歉给您带来了不好的体验。\
                 想了解一下具体是哪里让您不满意，问题现在是否已经解决？我们会继续跟进处理直到您满意为止。感谢您的宝贵意见。"
            }
            VisitReason::Other => {
                "您好，我是{商家}的客服，工号{工号}。想跟您确认一下您之前咨询的问题（工单 {工单号}）是否已经解决，\
                 您对我们的服务是否满意？感谢您的支持。"
            }
        }
    }
}

/// How a follow-up visit ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VisitOutcome {
    /// The customer is satisfied now (客户满意).
    Satisfied,
    /// The customer is still dissatisfied (仍不满意): the ticket needs more work.
    StillDissatisfied,
    /// Nobody answered (无法联系).
    Unreachable,
    /// The customer did not want to talk about it (客户拒绝回访).
    Declined,
}

impl VisitOutcome {
    pub const ALL: [VisitOutcome; 4] = [
        VisitOutcome::Satisfied,
        VisitOutcome::StillDissatisfied,
        VisitOutcome::Unreachable,
        VisitOutcome::Declined,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            VisitOutcome::Satisfied => "satisfied",
            VisitOutcome::StillDissatisfied => "still_dissatisfied",
            VisitOutcome::Unreachable => "unreachable",
            VisitOutcome::Declined => "declined",
        }
    }

    pub fn parse(s: &str) -> Option<VisitOutcome> {
        VisitOutcome::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            VisitOutcome::Satisfied => "客户满意",
            VisitOutcome::StillDissatisfied => "仍不满意",
            VisitOutcome::Unreachable => "无法联系",
            VisitOutcome::Declined => "客户拒绝回访",
        }
    }

    /// Whether the customer was reached (only then can a renewed score be recorded).
    pub fn reached(self) -> bool {
        matches!(self, VisitOutcome::Satisfied | VisitOutcome::StillDissatisfied)
    }
}

/// The state of a follow-up visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VisitStatus {
    /// Waiting to be made (待回访).
    Pending,
    /// Made and its outcome recorded (已回访).
    Completed,
}

impl VisitStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            VisitStatus::Pending => "pending",
            VisitStatus::Completed => "completed",
        }
    }

    pub fn parse(s: &str) -> Option<VisitStatus> {
        [VisitStatus::Pending, VisitStatus::Completed].into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            VisitStatus::Pending => "待回访",
            VisitStatus::Completed => "已回访",
        }
    }
}

/// A visit's outcome as recorded by the agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeInput {
    pub outcome: String,
    pub renewed_score: Option<i64>,
    pub note: String,
}

/// A validated visit outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidOutcome {
    pub outcome: VisitOutcome,
    pub renewed_score: Option<u8>,
    pub note: String,
}

/// Check a visit's outcome: a known outcome; a renewed score (1..=5) only when the customer was reached
/// and consistent with the outcome (satisfied is not ≤ 2, still dissatisfied is not ≥ 4); a note of at
/// most [`MAX_NOTE_CHARS`] characters, required when the customer was not reached.
pub fn validate_outcome(input: &OutcomeInput) -> Result<ValidOutcome, DomainError> {
    let Some(outcome) = VisitOutcome::parse(input.outcome.trim()) else {
        let names: Vec<&str> = VisitOutcome::ALL.iter().map(|o| o.as_str()).collect();
        return Err(DomainError::validation(
            "outcome",
            format!("unknown outcome '{}'; choose from {}", input.outcome, names.join(", ")),
        ));
    };
    let renewed_score = match input.renewed_score {
        None => None,
        Some(s) => {
            let Some(s) = u8::try_from(s).ok().filter(|s| (1..=5).contains(s)) else {
                return Err(DomainError::validation(
                    "renewed_score",
                    "the renewed score must be from 1 (非常不满意) to 5 (非常满意)",
                ));
            };
            if !outcome.reached() {
                return Err(DomainError::validation(
                    "renewed_score",
                    "a renewed score needs the customer reached (satisfied or still dissatisfied)",
                ));
            }
            if outcome == VisitOutcome::Satisfied && is_dissatisfied(s) {
                return Err(DomainError::validation(
                    "renewed_score",
                    format!("a satisfied customer does not give {s} ({})", label(s).unwrap_or_default()),
                ));
            }
            if outcome == VisitOutcome::StillDissatisfied && is_satisfied(s) {
                return Err(DomainError::validation(
                    "renewed_score",
                    format!(
                        "a still dissatisfied customer does not give {s} ({})",
                        label(s).unwrap_or_default()
                    ),
                ));
            }
            Some(s)
        }
    };
    let note = input.note.trim();
    if note.chars().count() > MAX_NOTE_CHARS {
        return Err(DomainError::validation(
            "note",
            format!("the note may have at most {MAX_NOTE_CHARS} characters"),
        ));
    }
    if !outcome.reached() && note.is_empty() {
        return Err(DomainError::validation(
            "note",
            "say what was tried (when, which number) when the customer was not reached",
        ));
    }
    Ok(ValidOutcome { outcome, renewed_score, note: note.to_string() })
}

/// When a follow-up visit scheduled at `now` is due: the close of service on the next working day of
/// `calendar` (a statutory holiday is skipped, a make-up workday counts). With no open day in the next
/// 60 days (a calendar that never opens), one day after `now`.
pub fn next_working_day_due(now: Millis, calendar: &BusinessCalendar) -> Millis {
    let fallback = now.plus_ms(Millis::DAY);
    let Ok(ts) = jiff::Timestamp::from_millisecond(now.0) else {
        return fallback;
    };
    let mut date = calendar.local_date(ts);
    for _ in 0..60 {
        let Ok(next) = date.tomorrow() else {
            return fallback;
        };
        date = next;
        if let Some(last) = calendar.open_intervals_on(date).last() {
            return Millis(last.end.as_millisecond());
        }
    }
    fallback
}

/// A short summary of a rating for the ticket timeline and notices.
pub fn rating_summary(score: u8, reasons: &[String]) -> String {
    let texts: Vec<&str> = reasons
        .iter()
        .filter_map(|r| reasons_for(score).iter().find(|x| x.code == r).map(|x| x.zh))
        .collect();
    let label = label(score).unwrap_or_default();
    if texts.is_empty() {
        format!("{score} 分 · {label}")
    } else {
        format!("{score} 分 · {label}（{}）", texts.join("、"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::WeeklyHours;

    fn input(score: i64, reasons: &[&str], comment: &str) -> RatingInput {
        RatingInput {
            score,
            reasons: reasons.iter().map(|s| s.to_string()).collect(),
            comment: comment.into(),
        }
    }

    #[test]
    fn the_five_labels_follow_the_platforms_scale() {
        let labels: Vec<_> = (1..=5).rev().map(|s| label(s).unwrap_or_default()).collect();
        assert_eq!(labels, ["非常满意", "满意", "一般", "不满意", "非常不满意"]);
        assert_eq!(label(0), None);
        assert_eq!(label(6), None);
        assert_eq!(label_en(3), Some("Neutral"));
    }

    #[test]
    fn dissatisfied_is_two_or_less_and_satisfied_four_or_more() {
        assert!(is_dissatisfied(1) && is_dissatisfied(2));
        assert!(!is_dissatisfied(3) && !is_dissatisfied(0));
        assert!(is_satisfied(4) && is_satisfied(5));
        assert!(!is_satisfied(3) && !is_satisfied(6));
    }

    #[test]
    fn reasons_depend_on_the_score() {
        assert!(reasons_for(5).iter().any(|r| r.code == "solved"));
        assert!(reasons_for(2).iter().any(|r| r.code == "not_solved"));
        assert!(!reasons_for(5).iter().any(|r| r.code == "not_solved"));
        assert!(reasons_for(0).is_empty());
    }

    #[test]
    fn a_valid_rating_is_trimmed_and_labelled() {
        let v = validate(&input(2, &["slow_reply", " not_solved", "slow_reply"], "  太慢了 ")).unwrap();
        assert_eq!(v.score, 2);
        assert_eq!(v.label, "不满意");
        assert_eq!(v.reasons, ["slow_reply", "not_solved"]);
        assert_eq!(v.comment, "太慢了");
    }

    #[test]
    fn bad_ratings_name_the_field() {
        for s in [0, 6, -1, 300] {
            assert_eq!(validate(&input(s, &[], "")).unwrap_err().field.as_deref(), Some("score"));
        }
        let e = validate(&input(5, &["fast_reply", "not_solved"], "")).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("reasons[1]"));
        let long = "好".repeat(MAX_COMMENT_CHARS + 1);
        assert_eq!(validate(&input(4, &[], &long)).unwrap_err().field.as_deref(), Some("comment"));
        assert!(validate(&input(4, &[], &"好".repeat(MAX_COMMENT_CHARS))).is_ok());
        assert_eq!(validate(&input(4, &[], "a\u{0}b")).unwrap_err().field.as_deref(), Some("comment"));
    }

    #[test]
    fn each_visit_reason_has_a_script_and_round_trips() {
        for r in VisitReason::ALL {
            assert_eq!(VisitReason::parse(r.as_str()), Some(r));
            assert!(r.default_script().contains("{工单号}"), "{r:?}");
            assert!(r.default_script().contains("满意"), "{r:?}");
        }
        assert_eq!(VisitReason::parse("nope"), None);
        for o in VisitOutcome::ALL {
            assert_eq!(VisitOutcome::parse(o.as_str()), Some(o));
        }
    }

    fn outcome(o: &str, s: Option<i64>, note: &str) -> OutcomeInput {
        OutcomeInput { outcome: o.into(), renewed_score: s, note: note.into() }
    }

    #[test]
    fn visit_outcomes_are_checked() {
        let ok = validate_outcome(&outcome("satisfied", Some(5), " 已解决 ")).unwrap();
        assert_eq!(
            (ok.outcome, ok.renewed_score, ok.note.as_str()),
            (VisitOutcome::Satisfied, Some(5), "已解决")
        );
        let field = |i: OutcomeInput| validate_outcome(&i).unwrap_err().field;
        assert_eq!(field(outcome("happy", None, "")).as_deref(), Some("outcome"));
        assert_eq!(field(outcome("satisfied", Some(7), "")).as_deref(), Some("renewed_score"));
        assert_eq!(field(outcome("satisfied", Some(2), "")).as_deref(), Some("renewed_score"));
        assert_eq!(field(outcome("still_dissatisfied", Some(4), "")).as_deref(), Some("renewed_score"));
        assert_eq!(field(outcome("unreachable", Some(3), "called twice")).as_deref(), Some("renewed_score"));
        assert_eq!(field(outcome("unreachable", None, " ")).as_deref(), Some("note"));
        assert!(validate_outcome(&outcome("unreachable", None, "10:00 与 15:00 两次未接")).is_ok());
        assert!(validate_outcome(&outcome("still_dissatisfied", Some(3), "")).is_ok());
        let long = "x".repeat(MAX_NOTE_CHARS + 1);
        assert_eq!(field(outcome("satisfied", None, &long)).as_deref(), Some("note"));
    }

    fn ms(s: &str) -> Millis {
        Millis(s.parse::<jiff::Timestamp>().unwrap().as_millisecond())
    }

    #[test]
    fn a_visit_is_due_at_the_close_of_the_next_working_day() {
        let cal = BusinessCalendar::china(WeeklyHours::weekdays_from(&["09:00-18:00"]).unwrap());
        // Wednesday 2025-06-11 15:00 Shanghai → Thursday 18:00 Shanghai.
        assert_eq!(next_working_day_due(ms("2025-06-11T07:00:00Z"), &cal), ms("2025-06-12T10:00:00Z"));
        // Friday evening → Monday.
        assert_eq!(next_working_day_due(ms("2025-06-13T12:00:00Z"), &cal), ms("2025-06-16T10:00:00Z"));
        // Before the National Day break 2025 (Oct 1–8 off): Tuesday Sep 30 → Thursday Oct 9.
        assert_eq!(next_working_day_due(ms("2025-09-30T02:00:00Z"), &cal), ms("2025-10-09T10:00:00Z"));
        // The make-up workday Sunday 2025-09-28 counts: Friday Sep 26 → Sunday Sep 28.
        assert_eq!(next_working_day_due(ms("2025-09-26T02:00:00Z"), &cal), ms("2025-09-28T10:00:00Z"));
        // A calendar that never opens: one day later.
        let closed = BusinessCalendar::china(WeeklyHours::closed());
        let now = ms("2025-06-11T07:00:00Z");
        assert_eq!(next_working_day_due(now, &closed), now.plus_ms(Millis::DAY));
    }

    #[test]
    fn the_summary_names_label_and_reasons() {
        assert_eq!(rating_summary(2, &["slow_reply".into()]), "2 分 · 不满意（回复太慢）");
        assert_eq!(rating_summary(5, &[]), "5 分 · 非常满意");
    }
}
