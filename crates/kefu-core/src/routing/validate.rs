//! Validation of routing settings before they are stored; each error names the field at fault.

use super::model::{Capacity, Membership, Presence, SkillGroup};
use crate::org::validate_code;
use crate::DomainError;

/// The longest skill group name, in characters.
pub const MAX_GROUP_NAME_CHARS: usize = 50;
/// The longest wait before overflow (溢出): one day.
pub const MAX_OVERFLOW_AFTER_SECS: u64 = 24 * 3600;
/// The highest chat limit per agent.
pub const MAX_CHATS_LIMIT: u32 = 50;
/// The highest open-ticket limit per agent.
pub const MAX_TICKETS_LIMIT: u32 = 1000;
/// The longest reason for being away (小休), in characters.
pub const MAX_AWAY_REASON_CHARS: usize = 50;

fn is_language_code(s: &str) -> bool {
    (2..=16).contains(&s.len())
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

impl SkillGroup {
    /// Checks the group on its own: name 1–50 characters without control characters; overflow both
    /// given or both absent, not to itself, after 1 second to 1 day; category, member tier and language
    /// codes well formed.
    pub fn validate(&self) -> Result<(), DomainError> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > MAX_GROUP_NAME_CHARS {
            return Err(DomainError::validation(
                "name",
                format!("the skill group name must be 1-{MAX_GROUP_NAME_CHARS} characters"),
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(DomainError::validation(
                "name",
                "the skill group name must not contain control characters",
            ));
        }
        match (self.overflow_to, self.overflow_after_secs) {
            (Some(to), _) if to == self.id => {
                return Err(DomainError::validation(
                    "overflow_to",
                    "a skill group cannot overflow to itself",
                ));
            }
            (Some(_), None) => {
                return Err(DomainError::validation(
                    "overflow_after_secs",
                    "overflow_after_secs is required with overflow_to",
                ));
            }
            (None, Some(_)) => {
                return Err(DomainError::validation(
                    "overflow_after_secs",
                    "overflow_after_secs needs overflow_to (the backup group)",
                ));
            }
            (Some(_), Some(secs)) if secs == 0 || secs > MAX_OVERFLOW_AFTER_SECS => {
                return Err(DomainError::validation(
                    "overflow_after_secs",
                    format!("overflow_after_secs must be 1-{MAX_OVERFLOW_AFTER_SECS} (one day), not {secs}"),
                ));
            }
            _ => {}
        }
        for (i, c) in self.matching.categories.iter().enumerate() {
            validate_code(&format!("matching.categories[{i}]"), c)?;
        }
        for (i, t) in self.matching.member_tiers.iter().enumerate() {
            validate_code(&format!("matching.member_tiers[{i}]"), t)?;
        }
        for (i, l) in self.matching.languages.iter().enumerate() {
            if !is_language_code(l) {
                return Err(DomainError::validation(
                    &format!("matching.languages[{i}]"),
                    format!("'{l}' is not a language code such as zh, en or zh-Hant"),
                ));
            }
        }
        Ok(())
    }

    /// Checks the group against the other groups (the stored ones, this one's old version included or
    /// not): [`validate`](Self::validate), a name unique within the tenant (conflict), and an overflow
    /// target that exists, belongs to the same tenant and does not lead back here.
    pub fn validate_among(&self, others: &[SkillGroup]) -> Result<(), DomainError> {
        self.validate()?;
        let others = || others.iter().filter(|g| g.id != self.id);
        let name = self.name.trim();
        if others().any(|g| g.merchant_id == self.merchant_id && g.name.trim() == name) {
            return Err(DomainError::conflict(
                Some("name"),
                format!("a skill group named '{name}' already exists"),
            ));
        }
        let Some(first) = self.overflow_to else {
            return Ok(());
        };
        let find = |id: i64| others().find(|g| g.id == id);
        let Some(target) = find(first) else {
            return Err(DomainError::validation(
                "overflow_to",
                format!("skill group {first} does not exist"),
            ));
        };
        if target.merchant_id != self.merchant_id {
            return Err(DomainError::validation(
                "overflow_to",
                "the backup group must belong to the same merchant",
            ));
        }
        // Follow the chain; coming back here would pass requests round in a circle.
        let mut next = target.overflow_to;
        let mut steps = 0;
        while let Some(id) = next {
            if id == self.id {
                return Err(DomainError::validation(
                    "overflow_to",
                    "the overflow chain leads back to this group",
                ));
            }
            steps += 1;
            if steps > others().count() {
                break;
            }
            next = find(id).and_then(|g| g.overflow_to);
        }
        Ok(())
    }
}

impl Membership {
    /// Skill level 1–5.
    pub fn validate(&self) -> Result<(), DomainError> {
        if !(1..=5).contains(&self.skill_level) {
            return Err(DomainError::validation(
                "skill_level",
                format!("the skill level must be 1-5, not {}", self.skill_level),
            ));
        }
        Ok(())
    }
}

impl Capacity {
    /// Chats 0–50 and tickets 0–1000 (0: takes none of that kind).
    pub fn validate(&self) -> Result<(), DomainError> {
        if self.max_chats > MAX_CHATS_LIMIT {
            return Err(DomainError::validation(
                "max_chats",
                format!("max_chats must be 0-{MAX_CHATS_LIMIT}, not {}", self.max_chats),
            ));
        }
        if self.max_tickets > MAX_TICKETS_LIMIT {
            return Err(DomainError::validation(
                "max_tickets",
                format!("max_tickets must be 0-{MAX_TICKETS_LIMIT}, not {}", self.max_tickets),
            ));
        }
        Ok(())
    }
}

impl Presence {
    /// An away (小休) reason is 1–50 characters without control characters.
    pub fn validate(&self) -> Result<(), DomainError> {
        if let Presence::Away { reason } = self {
            let r = reason.trim();
            if r.is_empty() || r.chars().count() > MAX_AWAY_REASON_CHARS || r.chars().any(char::is_control) {
                return Err(DomainError::validation(
                    "reason",
                    format!("the away reason must be 1-{MAX_AWAY_REASON_CHARS} characters"),
                ));
            }
        }
        Ok(())
    }
}
