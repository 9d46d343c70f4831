//! Member tiers and their rights (会员等级与权益, EC-5).
//!
//! A customer's tier carries benefits that kefu applies itself, not only shows:
//!
//! | tier | 优先服务 priority service | 退货免运费 free return shipping | 无理由退货延长 extra days |
//! |---|---|---|---|
//! | 普通会员 regular | – | – | 0 |
//! | 银卡会员 silver | – | yes | 0 |
//! | 金卡会员 gold | – | yes | 3 |
//! | 钻石会员 diamond | yes | yes | 7 |
//!
//! - Priority service: the router queues the customer's requests ahead like a VIP's and a VIP-dedicated
//!   skill group serves them; SLA policies that match VIP customers apply ([`is_priority`]).
//! - Extra days lengthen the seven-day no-reason return window (never shorten it), read by the
//!   eligibility engine through `ReturnPolicy::member_extra_days` ([`return_window_extra_days`]).
//! - Free return shipping is shown to the agent, so the promise made to the customer is the right one.
//!
//! These are the platform's defaults. A merchant may set its own ([`MemberRights`], 会员权益设置): for each
//! tier, its own code included, whether it gets priority service, free return shipping and how many extra
//! days; a tier it does not list keeps the defaults. An unknown tier code with no setting has no rights; a
//! customer flagged VIP is a priority customer whatever the tier.

use crate::error::DomainError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The most days a tier may add to the no-reason return window.
pub const MAX_EXTRA_RETURN_DAYS: u32 = 30;
/// The most tiers a merchant may set.
pub const MAX_TIERS: usize = 20;

/// The rights of one member tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct TierRights {
    pub tier: String,
    /// 会员等级 name, e.g. 金卡会员.
    pub label: String,
    /// 优先服务: queued ahead, served by VIP groups, VIP SLA policies.
    pub priority_service: bool,
    /// 退货免运费 (运费险).
    pub free_return_shipping: bool,
    /// Days added to the seven-day no-reason return window.
    pub extra_return_days: u32,
    /// The benefits in plain Chinese, for the customer panel.
    pub benefits: Vec<String>,
    /// Set by the merchant (false: the platform's default).
    pub custom: bool,
}

/// A merchant's setting of one tier's rights.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TierSetting {
    /// The tier code (`gold`, or the merchant's own: lower-case letters, digits, `-` and `_`).
    pub tier: String,
    pub priority_service: bool,
    pub free_return_shipping: bool,
    /// 0 to [`MAX_EXTRA_RETURN_DAYS`].
    pub extra_return_days: u32,
}

/// A merchant's member rights (会员权益设置): the tiers it set; the others keep the platform's defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberRights {
    pub tiers: Vec<TierSetting>,
}

fn default_setting(tier: &str) -> (&'static str, bool, bool, u32) {
    match tier {
        "silver" => ("银卡会员", false, true, 0),
        "gold" => ("金卡会员", false, true, 3),
        "diamond" => ("钻石会员", true, true, 7),
        "regular" => ("普通会员", false, false, 0),
        _ => ("", false, false, 0),
    }
}

fn make(
    tier: &str,
    label: &str,
    priority: bool,
    free_shipping: bool,
    extra: u32,
    custom: bool,
) -> TierRights {
    let mut benefits = Vec::new();
    if priority {
        benefits.push("优先服务：优先接入、专属客服组".to_string());
    }
    if free_shipping {
        benefits.push("退货免运费".to_string());
    }
    if extra > 0 {
        benefits.push(format!("无理由退货期延长 {extra} 天（共 {} 天）", 7 + extra));
    }
    TierRights {
        tier: tier.to_string(),
        label: if label.is_empty() { tier.to_string() } else { label.to_string() },
        priority_service: priority,
        free_return_shipping: free_shipping,
        extra_return_days: extra,
        benefits,
        custom,
    }
}

impl MemberRights {
    /// Every tier valid: a well-formed code, each once, extra days within bounds. The error names the
    /// field (`tiers[1].extra_return_days`).
    pub fn validate(&self) -> Result<(), DomainError> {
        if self.tiers.len() > MAX_TIERS {
            return Err(DomainError::validation("tiers", format!("at most {MAX_TIERS} tiers")));
        }
        for (i, t) in self.tiers.iter().enumerate() {
            let ok = !t.tier.is_empty()
                && t.tier.len() <= 32
                && t.tier
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
            if !ok {
                return Err(DomainError::validation(
                    &format!("tiers[{i}].tier"),
                    "a tier code is 1 to 32 lower-case letters, digits, '-' or '_'",
                ));
            }
            if self.tiers[..i].iter().any(|o| o.tier == t.tier) {
                return Err(DomainError::validation(
                    &format!("tiers[{i}].tier"),
                    format!("tier '{}' is listed twice", t.tier),
                ));
            }
            if t.extra_return_days > MAX_EXTRA_RETURN_DAYS {
                return Err(DomainError::validation(
                    &format!("tiers[{i}].extra_return_days"),
                    format!(
                        "a tier adds at most {MAX_EXTRA_RETURN_DAYS} days to the no-reason return window"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The rights of `tier`: the merchant's setting, else the platform's default.
    pub fn rights(&self, tier: &str) -> TierRights {
        let (label, priority, free_shipping, extra) = default_setting(tier);
        match self.tiers.iter().find(|t| t.tier == tier) {
            Some(t) => {
                make(tier, label, t.priority_service, t.free_return_shipping, t.extra_return_days, true)
            }
            None => make(tier, label, priority, free_shipping, extra, false),
        }
    }

    /// The shipped tiers, lowest first, then the merchant's own, with their rights.
    pub fn all(&self) -> Vec<TierRights> {
        let mut out: Vec<TierRights> =
            crate::org::DEFAULT_MEMBER_TIERS.iter().map(|(code, _)| self.rights(code)).collect();
        for t in &self.tiers {
            if !out.iter().any(|r| r.tier == t.tier) {
                out.push(self.rights(&t.tier));
            }
        }
        out
    }

    /// Whether a customer is served first: flagged VIP, or of a tier with priority service.
    pub fn is_priority(&self, vip: bool, tier: Option<&str>) -> bool {
        vip || tier.is_some_and(|t| self.rights(t).priority_service)
    }

    /// Days the customer's tier adds to the no-reason return window.
    pub fn return_window_extra_days(&self, tier: Option<&str>) -> u32 {
        tier.map_or(0, |t| self.rights(t).extra_return_days)
    }
}

/// The platform's rights of `tier` (a code such as `gold`).
pub fn rights(tier: &str) -> TierRights {
    MemberRights::default().rights(tier)
}

/// The shipped tiers with the platform's rights, lowest first.
pub fn all() -> Vec<TierRights> {
    MemberRights::default().all()
}

/// Whether a customer is served first under the platform's rights.
pub fn is_priority(vip: bool, tier: Option<&str>) -> bool {
    MemberRights::default().is_priority(vip, tier)
}

/// Days the customer's tier adds to the no-reason return window under the platform's rights.
pub fn return_window_extra_days(tier: Option<&str>) -> u32 {
    MemberRights::default().return_window_extra_days(tier)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_rise_in_rights() {
        let all = all();
        assert_eq!(
            all.iter().map(|r| r.tier.as_str()).collect::<Vec<_>>(),
            ["regular", "silver", "gold", "diamond"]
        );
        for w in all.windows(2) {
            assert!(w[1].extra_return_days >= w[0].extra_return_days);
            assert!(w[1].free_return_shipping >= w[0].free_return_shipping);
            assert!(w[1].priority_service >= w[0].priority_service);
        }
        assert_eq!(rights("gold").label, "金卡会员");
        assert!(rights("regular").benefits.is_empty());
        assert!(
            rights("diamond").benefits.iter().any(|b| b.contains("共 14 天")),
            "{:?}",
            rights("diamond").benefits
        );
    }

    #[test]
    fn priority_and_windows() {
        assert!(is_priority(false, Some("diamond")));
        assert!(is_priority(true, Some("regular")));
        assert!(!is_priority(false, Some("gold")));
        assert!(!is_priority(false, None));
        assert_eq!(return_window_extra_days(Some("gold")), 3);
        assert_eq!(return_window_extra_days(Some("merchant-own-tier")), 0);
        assert_eq!(return_window_extra_days(None), 0);
    }

    fn setting(tier: &str, priority: bool, free: bool, extra: u32) -> TierSetting {
        TierSetting {
            tier: tier.into(),
            priority_service: priority,
            free_return_shipping: free,
            extra_return_days: extra,
        }
    }

    #[test]
    fn a_merchant_sets_its_own_rights_and_the_rest_keep_the_defaults() {
        let m = MemberRights {
            tiers: vec![setting("gold", true, true, 10), setting("vip-plus", true, false, 15)],
        };
        m.validate().expect("valid");
        // Gold now gets priority and 10 days; diamond keeps the defaults.
        assert!(m.is_priority(false, Some("gold")));
        assert_eq!(m.return_window_extra_days(Some("gold")), 10);
        assert!(m.rights("gold").custom && !m.rights("diamond").custom);
        assert_eq!(m.return_window_extra_days(Some("diamond")), 7);
        assert!(m.rights("gold").benefits.iter().any(|b| b.contains("共 17 天")));
        // The merchant's own tier has rights, and is listed after the shipped ones.
        assert!(m.is_priority(false, Some("vip-plus")));
        let codes: Vec<String> = m.all().into_iter().map(|r| r.tier).collect();
        assert_eq!(codes, ["regular", "silver", "gold", "diamond", "vip-plus"]);
        // A merchant can take a right away too.
        let m = MemberRights { tiers: vec![setting("diamond", false, true, 0)] };
        assert!(!m.is_priority(false, Some("diamond")));
        assert!(m.is_priority(true, Some("diamond")), "a VIP-flagged customer stays a priority customer");
        assert_eq!(m.return_window_extra_days(Some("diamond")), 0);
    }

    #[test]
    fn bad_settings_name_the_field() {
        let bad = |tiers: Vec<TierSetting>| MemberRights { tiers }.validate().expect_err("refused").field;
        assert_eq!(bad(vec![setting("Gold", false, false, 0)]).as_deref(), Some("tiers[0].tier"));
        assert_eq!(bad(vec![setting("", false, false, 0)]).as_deref(), Some("tiers[0].tier"));
        assert_eq!(
            bad(vec![setting("gold", false, false, 0), setting("gold", true, true, 1)]).as_deref(),
            Some("tiers[1].tier")
        );
        assert_eq!(
            bad(vec![setting("gold", false, false, 31)]).as_deref(),
            Some("tiers[0].extra_return_days")
        );
        let many = (0..21).map(|i| setting(&format!("t{i}"), false, false, 0)).collect();
        assert_eq!(bad(many).as_deref(), Some("tiers"));
    }
}
