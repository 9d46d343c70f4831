//! Net Promoter Score surveys (净推荐值调查, SVC-8) on a schedule: every `interval_days` a merchant's
//! customers whose tickets were resolved since the last round are asked, once per round, how likely they
//! are to recommend the shop (0–10). Promoters answer 9–10, passives 7–8, detractors 0–6; the score is the
//! share of promoters minus the share of detractors, in points from −100 to 100.

use crate::error::DomainError;
use crate::time::Millis;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The shortest and longest interval between rounds, in days.
pub const MIN_INTERVAL_DAYS: i64 = 7;
pub const MAX_INTERVAL_DAYS: i64 = 365;
/// How long an invitation's link works.
pub const LINK_DAYS: i64 = 14;

/// A merchant's survey schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NpsSchedule {
    pub interval_days: i64,
    pub active: bool,
}

impl NpsSchedule {
    pub fn validate(&self) -> Result<(), DomainError> {
        if !(MIN_INTERVAL_DAYS..=MAX_INTERVAL_DAYS).contains(&self.interval_days) {
            return Err(DomainError::validation(
                "interval_days",
                format!("interval_days must be between {MIN_INTERVAL_DAYS} and {MAX_INTERVAL_DAYS}"),
            ));
        }
        Ok(())
    }

    /// Whether a round is due at `now`, the last one having run at `last_run` (never: due at once).
    pub fn is_due(&self, last_run: Option<Millis>, now: Millis) -> bool {
        self.active && last_run.is_none_or(|l| now.0 - l.0 >= self.interval_days * Millis::DAY)
    }

    /// The resolutions a round at `now` asks about: since the last round, or one interval back.
    pub fn window_start(&self, last_run: Option<Millis>, now: Millis) -> Millis {
        last_run.unwrap_or(Millis(now.0 - self.interval_days * Millis::DAY))
    }
}

/// An answer's group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    /// 推荐者 (9–10)
    Promoter,
    /// 被动者 (7–8)
    Passive,
    /// 贬损者 (0–6)
    Detractor,
}

/// Checks a score: a whole number from 0 to 10.
pub fn validate_score(score: i64) -> Result<Group, DomainError> {
    match score {
        9..=10 => Ok(Group::Promoter),
        7..=8 => Ok(Group::Passive),
        0..=6 => Ok(Group::Detractor),
        _ => Err(DomainError::validation("score", "score must be a whole number from 0 to 10")),
    }
}

/// Checks a comment: at most 500 characters, no control characters but line breaks.
pub fn validate_comment(comment: &str) -> Result<String, DomainError> {
    let c = comment.trim();
    if c.chars().count() > 500 || c.chars().any(|ch| ch.is_control() && ch != '\n') {
        return Err(DomainError::validation("comment", "comment must be at most 500 characters"));
    }
    Ok(c.to_string())
}

/// The score from the answers: promoters minus detractors, in points, one decimal; none without answers.
pub fn score(promoters: i64, passives: i64, detractors: i64) -> Option<f64> {
    let n = promoters + passives + detractors;
    if n <= 0 {
        return None;
    }
    let points = (promoters - detractors) as f64 * 100.0 / n as f64;
    Some((points * 10.0).round() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_and_the_score() {
        assert_eq!(validate_score(10).unwrap(), Group::Promoter);
        assert_eq!(validate_score(9).unwrap(), Group::Promoter);
        assert_eq!(validate_score(8).unwrap(), Group::Passive);
        assert_eq!(validate_score(6).unwrap(), Group::Detractor);
        assert_eq!(validate_score(0).unwrap(), Group::Detractor);
        assert_eq!(validate_score(11).unwrap_err().field.as_deref(), Some("score"));
        assert_eq!(validate_score(-1).unwrap_err().field.as_deref(), Some("score"));
        assert_eq!(score(5, 3, 2), Some(30.0));
        assert_eq!(score(1, 1, 1), Some(0.0));
        assert_eq!(score(0, 0, 3), Some(-100.0));
        assert_eq!(score(2, 1, 0), Some(66.7));
        assert_eq!(score(0, 0, 0), None);
    }

    #[test]
    fn rounds_come_every_interval() {
        let s = NpsSchedule { interval_days: 30, active: true };
        let now = Millis(1_800_000_000_000);
        assert!(s.is_due(None, now), "the first round runs at once");
        assert!(!s.is_due(Some(Millis(now.0 - 29 * Millis::DAY)), now));
        assert!(s.is_due(Some(Millis(now.0 - 30 * Millis::DAY)), now));
        assert!(!NpsSchedule { active: false, ..s.clone() }.is_due(None, now));
        assert_eq!(s.window_start(None, now), Millis(now.0 - 30 * Millis::DAY));
        let last = Millis(now.0 - 31 * Millis::DAY);
        assert_eq!(s.window_start(Some(last), now), last);
        assert_eq!(
            NpsSchedule { interval_days: 6, active: true }.validate().unwrap_err().field.as_deref(),
            Some("interval_days")
        );
        assert!(NpsSchedule { interval_days: 366, active: true }.validate().is_err());
        assert!(validate_comment(&"好".repeat(501)).is_err());
        assert_eq!(validate_comment(" 很好 ").unwrap(), "很好");
    }
}
