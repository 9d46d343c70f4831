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
//! An unknown tier code (a merchant's own) has no rights here; a customer flagged VIP is a priority
//! customer whatever the tier.

use serde::Serialize;
use utoipa::ToSchema;

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
}

/// The rights of `tier` (a code such as `gold`).
pub fn rights(tier: &str) -> TierRights {
    let (label, priority, free_shipping, extra) = match tier {
        "silver" => ("银卡会员", false, true, 0),
        "gold" => ("金卡会员", false, true, 3),
        "diamond" => ("钻石会员", true, true, 7),
        "regular" => ("普通会员", false, false, 0),
        _ => ("", false, false, 0),
    };
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
    }
}

/// The shipped tiers with their rights, lowest first.
pub fn all() -> Vec<TierRights> {
    crate::org::DEFAULT_MEMBER_TIERS.iter().map(|(code, _)| rights(code)).collect()
}

/// Whether a customer is served first: flagged VIP, or of a tier with priority service.
pub fn is_priority(vip: bool, tier: Option<&str>) -> bool {
    vip || tier.is_some_and(|t| rights(t).priority_service)
}

/// Days the customer's tier adds to the no-reason return window.
pub fn return_window_extra_days(tier: Option<&str>) -> u32 {
    tier.map_or(0, |t| rights(t).extra_return_days)
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
}
