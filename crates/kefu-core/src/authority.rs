//! Authority limits and approvals (权限额度与审批, STAFF-5).
//!
//! The service regulations forbid staff to promise beyond policy on their own (严禁擅自承诺). Every kind of
//! promise a member of staff can make to a customer carries a per-role amount limit in fen (分, integer cents,
//! so no rounding ever decides whether a promise needs approval). A promise within the requester's limit is
//! recorded at once; one above it becomes an approval request that someone else, whose own limit covers the
//! amount, must approve.
//!
//! Limits are configured per merchant; a merchant without its own configuration uses the platform defaults
//! ([`AuthorityLimits::platform_default`]):
//!
//! | kind                         | 客服专员 | 资深客服 | 主管     | 经理 / 总监 |
//! |------------------------------|----------|----------|----------|-------------|
//! | 赔付 compensation            | 0        | 50 元    | 200 元   | unlimited   |
//! | 优惠券 coupon                | 20 元    | 50 元    | 200 元   | unlimited   |
//! | 补偿性退款 goodwill refund   | 0        | 50 元    | 500 元   | unlimited   |
//! | 规则外退款 refund outside rules | 0     | 0        | 200 元   | unlimited   |
//!
//! 商家管理员 and 平台管理员 are always unlimited: they own the merchant's (or the platform's) money decisions and
//! are the last step of every approval chain. 质检员 and 培训师 do not serve customers and may promise nothing,
//! so their limit is always zero and they can never decide a request.

use crate::error::{DomainError, ErrorCode};
use crate::org::Role;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The largest amount a limit or a promise may name: 1 亿元 in fen. Anything larger is a typing mistake, and the
/// cap keeps every sum far from integer overflow.
pub const MAX_AMOUNT_FEN: i64 = 10_000_000_000;

/// What a member of staff promises a customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PromiseKind {
    /// 赔付: compensation paid for a loss the customer suffered.
    Compensation,
    /// 优惠券: a coupon for a later purchase.
    Coupon,
    /// 补偿性退款: a partial or full refund given as goodwill.
    GoodwillRefund,
    /// 规则外退款: a refund the after-sales rules would refuse.
    RefundOutsideRules,
}

impl PromiseKind {
    pub const ALL: [PromiseKind; 4] = [
        PromiseKind::Compensation,
        PromiseKind::Coupon,
        PromiseKind::GoodwillRefund,
        PromiseKind::RefundOutsideRules,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PromiseKind::Compensation => "compensation",
            PromiseKind::Coupon => "coupon",
            PromiseKind::GoodwillRefund => "goodwill_refund",
            PromiseKind::RefundOutsideRules => "refund_outside_rules",
        }
    }

    /// The Chinese name shown in the UI.
    pub fn label_zh(self) -> &'static str {
        match self {
            PromiseKind::Compensation => "赔付",
            PromiseKind::Coupon => "优惠券",
            PromiseKind::GoodwillRefund => "补偿性退款",
            PromiseKind::RefundOutsideRules => "规则外退款",
        }
    }

    pub fn parse(s: &str) -> Result<PromiseKind, DomainError> {
        PromiseKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| {
            let names: Vec<_> = PromiseKind::ALL.iter().map(|k| k.as_str()).collect();
            DomainError::validation(
                "kind",
                format!("unknown promise kind '{s}'; expected one of {}", names.join(", ")),
            )
        })
    }
}

/// One role's limit: an amount in fen, or no limit at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "type", content = "fen")]
pub enum Limit {
    /// The role may promise up to and including this many fen on its own.
    UpTo(i64),
    /// The role may promise any amount.
    Unlimited,
}

impl Limit {
    /// Whether a promise of `amount_fen` stays within the limit. Exactly at the limit is within it.
    pub fn covers(self, amount_fen: i64) -> bool {
        match self {
            Limit::UpTo(max) => amount_fen <= max,
            Limit::Unlimited => true,
        }
    }

    /// The limit as an ordering key; unlimited ranks above every amount.
    fn rank(self) -> i128 {
        match self {
            Limit::UpTo(max) => i128::from(max),
            Limit::Unlimited => i128::MAX,
        }
    }
}

/// The configurable limits of one kind of promise, lowest role first. The order of the fields is the order the
/// limits must keep: a higher role never has a lower limit than the role below it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct KindLimits {
    pub agent: Limit,
    pub senior_agent: Limit,
    pub supervisor: Limit,
    pub manager: Limit,
    pub director: Limit,
}

impl KindLimits {
    const fn fen(agent: i64, senior_agent: i64, supervisor: i64) -> KindLimits {
        KindLimits {
            agent: Limit::UpTo(agent),
            senior_agent: Limit::UpTo(senior_agent),
            supervisor: Limit::UpTo(supervisor),
            manager: Limit::Unlimited,
            director: Limit::Unlimited,
        }
    }

    /// The configured tiers with their field names, lowest first.
    fn tiers(&self) -> [(&'static str, Limit); 5] {
        [
            ("agent", self.agent),
            ("senior_agent", self.senior_agent),
            ("supervisor", self.supervisor),
            ("manager", self.manager),
            ("director", self.director),
        ]
    }

    /// The limit a role has for this kind of promise.
    pub fn for_role(&self, role: Role) -> Limit {
        match role {
            Role::Agent => self.agent,
            Role::SeniorAgent => self.senior_agent,
            Role::Supervisor => self.supervisor,
            Role::Manager => self.manager,
            Role::Director => self.director,
            Role::MerchantAdmin | Role::PlatformAdmin => Limit::Unlimited,
            Role::QaInspector | Role::Trainer => Limit::UpTo(0),
        }
    }
}

/// A merchant's (or the platform's default) limits for every kind of promise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuthorityLimits {
    pub compensation: KindLimits,
    pub coupon: KindLimits,
    pub goodwill_refund: KindLimits,
    pub refund_outside_rules: KindLimits,
}

impl AuthorityLimits {
    /// The platform defaults (see the module documentation for the table and its reasons): a first-line agent
    /// may hand out a small coupon on their own and nothing else; money leaving the merchant needs at least a
    /// senior agent, and refunds the rules would refuse need a supervisor.
    pub const fn platform_default() -> AuthorityLimits {
        AuthorityLimits {
            compensation: KindLimits::fen(0, 5_000, 20_000),
            coupon: KindLimits::fen(2_000, 5_000, 20_000),
            goodwill_refund: KindLimits::fen(0, 5_000, 50_000),
            refund_outside_rules: KindLimits::fen(0, 0, 20_000),
        }
    }

    pub fn kind(&self, kind: PromiseKind) -> &KindLimits {
        match kind {
            PromiseKind::Compensation => &self.compensation,
            PromiseKind::Coupon => &self.coupon,
            PromiseKind::GoodwillRefund => &self.goodwill_refund,
            PromiseKind::RefundOutsideRules => &self.refund_outside_rules,
        }
    }

    /// The limit a role has for a kind of promise.
    pub fn limit(&self, kind: PromiseKind, role: Role) -> Limit {
        self.kind(kind).for_role(role)
    }

    /// Checks a configuration before it is stored: every amount non-negative and at most [`MAX_AMOUNT_FEN`], and
    /// ordered so that a higher role never has a lower limit than the role below it (otherwise a request could
    /// be escalated to someone allowed less than the requester). The error names the offending field, e.g.
    /// `coupon.supervisor`.
    pub fn validate(&self) -> Result<(), DomainError> {
        for kind in PromiseKind::ALL {
            let tiers = self.kind(kind).tiers();
            for (name, limit) in tiers {
                let Limit::UpTo(fen) = limit else { continue };
                if !(0..=MAX_AMOUNT_FEN).contains(&fen) {
                    return Err(DomainError::validation(
                        &format!("{}.{name}", kind.as_str()),
                        format!("a limit must be between 0 and {MAX_AMOUNT_FEN} fen, got {fen}"),
                    ));
                }
            }
            for pair in tiers.windows(2) {
                let ((lower_name, lower), (name, limit)) = (pair[0], pair[1]);
                if limit.rank() < lower.rank() {
                    return Err(DomainError::validation(
                        &format!("{}.{name}", kind.as_str()),
                        format!("the {name} limit must not be lower than the {lower_name} limit"),
                    ));
                }
            }
        }
        Ok(())
    }
}

impl Default for AuthorityLimits {
    fn default() -> Self {
        AuthorityLimits::platform_default()
    }
}

/// A promise someone wants to make on a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromiseRequest {
    pub kind: PromiseKind,
    pub amount_fen: i64,
    /// The user who wants to make the promise.
    pub requester_id: i64,
    pub requester_role: Role,
}

/// Status of an approval request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApprovalStatus {
    Pending,
    Approved,
    Rejected,
    Cancelled,
}

impl ApprovalStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalStatus::Pending => "pending",
            ApprovalStatus::Approved => "approved",
            ApprovalStatus::Rejected => "rejected",
            ApprovalStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Result<ApprovalStatus, DomainError> {
        match s {
            "pending" => Ok(ApprovalStatus::Pending),
            "approved" => Ok(ApprovalStatus::Approved),
            "rejected" => Ok(ApprovalStatus::Rejected),
            "cancelled" => Ok(ApprovalStatus::Cancelled),
            _ => Err(DomainError::validation("status", format!("unknown approval status '{s}'"))),
        }
    }
}

/// Checks the amount of a promise: positive and at most [`MAX_AMOUNT_FEN`].
pub fn validate_amount(amount_fen: i64) -> Result<i64, DomainError> {
    if amount_fen <= 0 {
        return Err(DomainError::validation("amount_fen", "the amount must be more than 0 fen"));
    }
    if amount_fen > MAX_AMOUNT_FEN {
        return Err(DomainError::validation(
            "amount_fen",
            format!("the amount must be at most {MAX_AMOUNT_FEN} fen"),
        ));
    }
    Ok(amount_fen)
}

/// Whether a promise exceeds what the requester may promise on their own. Exactly at the limit needs no
/// approval; one fen above does.
pub fn needs_approval(request: &PromiseRequest, limits: &AuthorityLimits, role: Role) -> bool {
    !limits.limit(request.kind, role).covers(request.amount_fen)
}

/// Someone who wants to decide an approval request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Approver {
    pub user_id: i64,
    pub role: Role,
}

/// Whether `approver` may approve or reject `request`, under the merchant's `limits`.
///
/// The requester can never decide their own request (that would be promising on one's own with an extra
/// step), and the approver's own limit must cover the amount: nobody signs off on more than they could have
/// promised themselves. Since the request exists only because the requester's limit did not cover the amount,
/// and limits rise with rank, such an approver always stands above the requester. The error is `forbidden`
/// with a message saying why.
pub fn may_decide(
    approver: Approver,
    request: &PromiseRequest,
    limits: &AuthorityLimits,
) -> Result<(), DomainError> {
    if approver.user_id == request.requester_id {
        return Err(DomainError::new(ErrorCode::Forbidden, "you cannot decide your own approval request"));
    }
    match limits.limit(request.kind, approver.role) {
        Limit::UpTo(max) if request.amount_fen > max => Err(DomainError::new(
            ErrorCode::Forbidden,
            format!(
                "your {} limit is {max} fen, below the requested {} fen; someone with a higher limit must decide",
                kind_noun(request.kind),
                request.amount_fen
            ),
        )),
        _ => Ok(()),
    }
}

fn kind_noun(kind: PromiseKind) -> &'static str {
    match kind {
        PromiseKind::Compensation => "compensation",
        PromiseKind::Coupon => "coupon",
        PromiseKind::GoodwillRefund => "goodwill refund",
        PromiseKind::RefundOutsideRules => "refund outside the rules",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(kind: PromiseKind, amount_fen: i64, role: Role) -> PromiseRequest {
        PromiseRequest { kind, amount_fen, requester_id: 1, requester_role: role }
    }

    #[test]
    fn platform_defaults_are_valid_and_match_the_documented_table() {
        let d = AuthorityLimits::platform_default();
        assert_eq!(d.validate(), Ok(()));
        assert_eq!(d.limit(PromiseKind::Coupon, Role::Agent), Limit::UpTo(2_000));
        assert_eq!(d.limit(PromiseKind::Compensation, Role::Agent), Limit::UpTo(0));
        assert_eq!(d.limit(PromiseKind::GoodwillRefund, Role::Supervisor), Limit::UpTo(50_000));
        assert_eq!(d.limit(PromiseKind::RefundOutsideRules, Role::SeniorAgent), Limit::UpTo(0));
        assert_eq!(d.limit(PromiseKind::RefundOutsideRules, Role::Manager), Limit::Unlimited);
        assert_eq!(AuthorityLimits::default(), d);
    }

    #[test]
    fn admins_are_unlimited_and_qa_and_trainers_may_promise_nothing() {
        let d = AuthorityLimits::platform_default();
        for kind in PromiseKind::ALL {
            assert_eq!(d.limit(kind, Role::MerchantAdmin), Limit::Unlimited);
            assert_eq!(d.limit(kind, Role::PlatformAdmin), Limit::Unlimited);
            assert_eq!(d.limit(kind, Role::QaInspector), Limit::UpTo(0));
            assert_eq!(d.limit(kind, Role::Trainer), Limit::UpTo(0));
        }
    }

    #[test]
    fn exactly_at_the_limit_needs_no_approval_one_fen_above_does() {
        let d = AuthorityLimits::platform_default();
        assert!(!needs_approval(&request(PromiseKind::Coupon, 2_000, Role::Agent), &d, Role::Agent));
        assert!(needs_approval(&request(PromiseKind::Coupon, 2_001, Role::Agent), &d, Role::Agent));
        assert!(!needs_approval(
            &request(PromiseKind::Compensation, 5_000, Role::SeniorAgent),
            &d,
            Role::SeniorAgent
        ));
        assert!(needs_approval(
            &request(PromiseKind::Compensation, 5_001, Role::SeniorAgent),
            &d,
            Role::SeniorAgent
        ));
        // A zero limit means every real promise needs approval.
        assert!(needs_approval(&request(PromiseKind::Compensation, 1, Role::Agent), &d, Role::Agent));
        assert!(!needs_approval(
            &request(PromiseKind::RefundOutsideRules, MAX_AMOUNT_FEN, Role::Manager),
            &d,
            Role::Manager
        ));
    }

    #[test]
    fn needs_approval_uses_the_merchants_own_limits() {
        let mut limits = AuthorityLimits::platform_default();
        limits.coupon.agent = Limit::UpTo(500);
        assert!(needs_approval(&request(PromiseKind::Coupon, 501, Role::Agent), &limits, Role::Agent));
        assert!(!needs_approval(&request(PromiseKind::Coupon, 500, Role::Agent), &limits, Role::Agent));
    }

    #[test]
    fn the_requester_can_never_decide_their_own_request() {
        let d = AuthorityLimits::platform_default();
        // Even a merchant admin, whose limit covers everything.
        let req = request(PromiseKind::Compensation, 100, Role::MerchantAdmin);
        let err = may_decide(Approver { user_id: 1, role: Role::MerchantAdmin }, &req, &d).unwrap_err();
        assert_eq!(err.code, ErrorCode::Forbidden);
        assert!(err.message.contains("your own"), "{}", err.message);
    }

    #[test]
    fn the_approvers_limit_must_cover_the_amount_boundaries_included() {
        let d = AuthorityLimits::platform_default();
        let supervisor = Approver { user_id: 2, role: Role::Supervisor };
        let at = request(PromiseKind::Compensation, 20_000, Role::Agent);
        assert_eq!(may_decide(supervisor, &at, &d), Ok(()));
        let above = request(PromiseKind::Compensation, 20_001, Role::Agent);
        let err = may_decide(supervisor, &above, &d).unwrap_err();
        assert_eq!(err.code, ErrorCode::Forbidden);
        assert!(err.message.contains("20000 fen"), "{}", err.message);
        assert!(err.message.contains("20001 fen"), "{}", err.message);
        assert_eq!(may_decide(Approver { user_id: 3, role: Role::Manager }, &above, &d), Ok(()));
        assert_eq!(may_decide(Approver { user_id: 4, role: Role::MerchantAdmin }, &above, &d), Ok(()));
    }

    #[test]
    fn a_peer_of_the_requester_cannot_approve() {
        let d = AuthorityLimits::platform_default();
        // The request exists because an agent's limit did not cover it, so another agent's cannot either.
        let req = request(PromiseKind::Coupon, 2_001, Role::Agent);
        assert!(may_decide(Approver { user_id: 2, role: Role::Agent }, &req, &d).is_err());
        assert!(may_decide(Approver { user_id: 2, role: Role::QaInspector }, &req, &d).is_err());
        assert_eq!(may_decide(Approver { user_id: 2, role: Role::SeniorAgent }, &req, &d), Ok(()));
    }

    #[test]
    fn validation_refuses_negative_and_oversized_limits_naming_the_field() {
        let mut limits = AuthorityLimits::platform_default();
        limits.goodwill_refund.agent = Limit::UpTo(-1);
        let err = limits.validate().unwrap_err();
        assert_eq!(err.field.as_deref(), Some("goodwill_refund.agent"));

        let mut limits = AuthorityLimits::platform_default();
        limits.coupon.director = Limit::UpTo(MAX_AMOUNT_FEN + 1);
        assert_eq!(limits.validate().unwrap_err().field.as_deref(), Some("coupon.director"));

        let mut limits = AuthorityLimits::platform_default();
        limits.coupon.agent = Limit::UpTo(0);
        limits.coupon.senior_agent = Limit::UpTo(0);
        assert_eq!(limits.validate(), Ok(()), "zero is a valid limit");
    }

    #[test]
    fn validation_refuses_a_higher_role_with_a_lower_limit() {
        let mut limits = AuthorityLimits::platform_default();
        limits.coupon.supervisor = Limit::UpTo(4_999);
        let err = limits.validate().unwrap_err();
        assert_eq!(err.code, ErrorCode::Validation);
        assert_eq!(err.field.as_deref(), Some("coupon.supervisor"));
        assert!(err.message.contains("senior_agent"), "{}", err.message);

        // Equal limits are allowed.
        limits.coupon.supervisor = Limit::UpTo(5_000);
        assert_eq!(limits.validate(), Ok(()));

        // An unlimited role below a limited one is out of order too.
        let mut limits = AuthorityLimits::platform_default();
        limits.compensation.supervisor = Limit::Unlimited;
        limits.compensation.manager = Limit::Unlimited;
        limits.compensation.director = Limit::UpTo(1_000_000);
        assert_eq!(limits.validate().unwrap_err().field.as_deref(), Some("compensation.director"));
    }

    #[test]
    fn amounts_must_be_positive_and_bounded() {
        assert_eq!(validate_amount(1), Ok(1));
        assert_eq!(validate_amount(MAX_AMOUNT_FEN), Ok(MAX_AMOUNT_FEN));
        assert_eq!(validate_amount(0).unwrap_err().field.as_deref(), Some("amount_fen"));
        assert_eq!(validate_amount(-5).unwrap_err().field.as_deref(), Some("amount_fen"));
        assert!(validate_amount(MAX_AMOUNT_FEN + 1).is_err());
    }

    #[test]
    fn promise_kinds_and_statuses_round_trip() {
        for kind in PromiseKind::ALL {
            assert_eq!(PromiseKind::parse(kind.as_str()), Ok(kind));
        }
        assert_eq!(PromiseKind::parse("cash").unwrap_err().field.as_deref(), Some("kind"));
        for s in [
            ApprovalStatus::Pending,
            ApprovalStatus::Approved,
            ApprovalStatus::Rejected,
            ApprovalStatus::Cancelled,
        ] {
            assert_eq!(ApprovalStatus::parse(s.as_str()), Ok(s));
        }
        assert!(ApprovalStatus::parse("done").is_err());
    }

    #[test]
    fn limits_serialize_in_a_stable_shape() {
        let json = serde_json::to_value(KindLimits::fen(0, 5_000, 20_000)).unwrap();
        assert_eq!(json["agent"], serde_json::json!({"type": "up_to", "fen": 0}));
        assert_eq!(json["manager"], serde_json::json!({"type": "unlimited"}));
        let back: KindLimits = serde_json::from_value(json).unwrap();
        assert_eq!(back, KindLimits::fen(0, 5_000, 20_000));
    }
}
