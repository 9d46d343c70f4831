//! Eligibility (资格判定): may this order item be refunded, returned, exchanged or repaired now, under
//! which rule, and on what legal basis — answered before the agent promises anything (严禁擅自承诺).
//!
//! The rules:
//! - **Seven-day no-reason return** (七日无理由退货, 消费者权益保护法 Art. 25; 网络购买商品七日无理由退货
//!   暂行办法 Art. 7): seven days counted from the day after sign-for (签收次日起算). Excluded: goods made
//!   to the buyer's order, fresh and perishable goods, digital goods downloaded online or unsealed audio,
//!   video and software, delivered newspapers and periodicals, and goods the buyer confirmed as not
//!   returnable at purchase (Art. 25 para. 2).
//! - **Quality problems** (Art. 24): return within seven days; after that, exchange or repair (and return
//!   only where the law's conditions for ending the contract are met — a case for review).
//!   Exclusions of Art. 25 do not apply: a spoiled perishable good is the seller's fault.
//! - **Counting days** (民法典 Art. 201, 203): a period in days starts the next day; when its last day is a
//!   statutory rest day (法定休假日: a holiday, or a weekend that is not a make-up workday), it ends on
//!   the first working day after; the last day ends at 24:00. Local time is the calendar's (Beijing time).
//! - Merchants may be more generous per category and member tier, never below the legal minimum.

use super::{AfterSalesKind, Proof, Reason};
use crate::calendar::{BusinessCalendar, DayStatus};
use crate::error::DomainError;
use crate::time::Millis;
use jiff::civil::{Date, Weekday};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The legal minimum of the no-reason return window and of the quality-return window, in days.
pub const LEGAL_MINIMUM_DAYS: u32 = 7;

/// Flags an order item carries from purchase time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct ItemFlags {
    /// 定制商品 (made to the buyer's order).
    pub customised: bool,
    /// 鲜活易腐
    pub perishable: bool,
    /// 在线下载或已拆封的音像制品、计算机软件等数字化商品
    pub digital_unsealed: bool,
    /// 报纸、期刊
    pub periodical: bool,
    /// 预售商品
    pub presale: bool,
    /// 购买时经消费者确认不宜退货
    pub confirmed_non_returnable: bool,
}

/// What is known of the order item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemFacts {
    pub shipped_at: Option<Millis>,
    /// 签收时间
    pub signed_at: Option<Millis>,
    pub flags: ItemFlags,
}

/// The request as the customer makes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AfterSalesRequest {
    pub kind: AfterSalesKind,
    pub reason: Reason,
    /// When it is asked (the windows are judged at this instant).
    pub at: Millis,
    /// Evidence already provided.
    pub proofs: Vec<Proof>,
}

/// A merchant's windows for a product category (or its default), in days after sign-for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnPolicy {
    /// 无理由退货期 (≥ 7).
    pub no_reason_days: u32,
    /// 质量问题退货期 (≥ 7).
    pub quality_return_days: u32,
    /// 质量问题换货期.
    pub quality_exchange_days: u32,
    /// 保修期 (repair under warranty).
    pub repair_days: u32,
    /// Days a member tier adds to the no-reason window (e.g. 钻石会员 +7), a tier benefit.
    #[serde(default)]
    pub member_extra_days: u32,
}

impl Default for ReturnPolicy {
    fn default() -> Self {
        ReturnPolicy {
            no_reason_days: 7,
            quality_return_days: 7,
            quality_exchange_days: 15,
            repair_days: 365,
            member_extra_days: 0,
        }
    }
}

impl ReturnPolicy {
    /// Refuse windows below the legal minimum or out of range, naming the field.
    pub fn validate(&self) -> Result<(), DomainError> {
        let check = |field: &str, v: u32, min: u32| {
            if v < min || v > 3650 {
                Err(DomainError::validation(
                    field,
                    format!("{field} must be between {min} and 3650 days (the law's minimum is {min})"),
                ))
            } else {
                Ok(())
            }
        };
        check("no_reason_days", self.no_reason_days, LEGAL_MINIMUM_DAYS)?;
        check("quality_return_days", self.quality_return_days, LEGAL_MINIMUM_DAYS)?;
        check("quality_exchange_days", self.quality_exchange_days, self.quality_return_days)?;
        check("repair_days", self.repair_days, self.quality_exchange_days)?;
        if self.member_extra_days > 365 {
            return Err(DomainError::validation(
                "member_extra_days",
                "member_extra_days must be at most 365",
            ));
        }
        Ok(())
    }
}

/// The engine's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// 符合: the agent may agree.
    Eligible,
    /// 不符合: the agent must not promise it.
    NotEligible,
    /// 需审核: a supervisor or the merchant decides (missing proof, past a window where the law leaves room).
    NeedsReview,
}

/// A verdict with the rule that gave it and its basis, in plain Chinese for agent and customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Verdict {
    pub outcome: Outcome,
    /// A stable rule code, e.g. `no_reason_within_window`, `excluded_customised`.
    pub rule: &'static str,
    /// 法律依据 / 规则依据.
    pub basis: &'static str,
    /// 说明: what applies and why, with dates.
    pub explanation: String,
    /// The end of the window that applied (24:00 of its last day), when there is one.
    pub deadline: Option<Millis>,
    /// Evidence still to collect before agreeing.
    pub missing_proofs: Vec<Proof>,
}

const ART_25: &str = "《消费者权益保护法》第二十五条；《网络购买商品七日无理由退货暂行办法》";
const ART_24: &str = "《消费者权益保护法》第二十四条";
const NOT_SHIPPED_BASIS: &str = "《电子商务法》第二十条（商品交付前风险由经营者承担）；平台退款规则";
const RULES_BASIS: &str = "平台售后规则";

/// Is `date` a statutory rest day (法定休假日) in this calendar's schedule?
pub fn is_rest_day(cal: &BusinessCalendar, date: Date) -> bool {
    match cal.day_status(date) {
        DayStatus::Holiday { .. } => true,
        DayStatus::MakeupWorkday { .. } => false,
        DayStatus::Regular => matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday),
    }
}

/// The end (24:00 local, as an instant) of a window of `days` days after the local date of `from`:
/// counted from the next day; a last day that is a rest day moves to the next working day.
pub fn window_end(cal: &BusinessCalendar, from: Millis, days: u32) -> Millis {
    let start = cal.local_date(to_ts(from));
    let mut last = start.checked_add(jiff::Span::new().days(i64::from(days))).unwrap_or(start);
    // At most a few weeks of consecutive rest days exist; the bound only guards bad data.
    for _ in 0..60 {
        if !is_rest_day(cal, last) {
            break;
        }
        last = last.tomorrow().unwrap_or(last);
    }
    let next_midnight = last.tomorrow().unwrap_or(last).to_zoned(cal.time_zone().clone());
    match next_midnight {
        Ok(z) => Millis(z.timestamp().as_millisecond()),
        Err(_) => Millis(from.0 + i64::from(days + 1) * 86_400_000),
    }
}

fn to_ts(m: Millis) -> Timestamp {
    Timestamp::from_millisecond(m.0).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn local_text(cal: &BusinessCalendar, m: Millis) -> String {
    // The window ends at 24:00 of its last day: name that day.
    let d = cal.local_date(to_ts(Millis(m.0 - 1)));
    format!("{}年{}月{}日24时", d.year(), d.month(), d.day())
}

/// The evidence a reason needs.
pub fn required_proofs(kind: AfterSalesKind, reason: Reason) -> Vec<Proof> {
    let mut p = match reason {
        Reason::NoReason | Reason::NotReceived => vec![],
        Reason::QualityProblem | Reason::WrongItem | Reason::DamagedInTransit => vec![Proof::Photos],
        Reason::NotAsDescribed => vec![Proof::OrderScreenshot, Proof::Photos],
    };
    if kind == AfterSalesKind::Repair && reason != Reason::NoReason {
        p.push(Proof::Invoice);
    }
    p.sort();
    p
}

fn verdict(outcome: Outcome, rule: &'static str, basis: &'static str, explanation: String) -> Verdict {
    Verdict { outcome, rule, basis, explanation, deadline: None, missing_proofs: Vec::new() }
}

/// Judge a request for one order item.
pub fn evaluate(
    cal: &BusinessCalendar,
    policy: &ReturnPolicy,
    item: &ItemFacts,
    req: &AfterSalesRequest,
) -> Verdict {
    use AfterSalesKind as K;
    // Not shipped: the money is simply returned (the goods never left).
    if item.shipped_at.is_none() {
        return if req.kind == K::RefundOnly {
            verdict(
                Outcome::Eligible,
                "not_shipped_refund",
                NOT_SHIPPED_BASIS,
                "商品尚未发货，可直接办理仅退款。".into(),
            )
        } else {
            verdict(
                Outcome::NotEligible,
                "not_shipped_no_return",
                RULES_BASIS,
                format!("商品尚未发货，无需{}；如不想要了，请申请仅退款。", req.kind.label()),
            )
        };
    }
    let Some(signed) = item.signed_at else {
        return match (req.kind, req.reason) {
            (K::RefundOnly, Reason::NotReceived) => verdict(
                Outcome::NeedsReview,
                "not_received_check_logistics",
                RULES_BASIS,
                "商品已发货但尚未签收：需先核实物流，确认丢件或退回后办理仅退款。".into(),
            ),
            _ => verdict(
                Outcome::NotEligible,
                "not_signed",
                RULES_BASIS,
                "商品尚未签收，暂不能申请退换货或维修；可拒收，或在签收后再申请。".into(),
            ),
        };
    };
    if req.reason == Reason::NotReceived {
        return verdict(
            Outcome::NeedsReview,
            "signed_but_not_received",
            RULES_BASIS,
            "物流显示已签收，但客户称未收到：需核实签收人和签收凭证后再处理。".into(),
        );
    }
    if req.reason.is_sellers_fault() {
        return sellers_fault(cal, policy, signed, req);
    }
    no_reason(cal, policy, item, signed, req)
}

fn no_reason(
    cal: &BusinessCalendar,
    policy: &ReturnPolicy,
    item: &ItemFacts,
    signed: Millis,
    req: &AfterSalesRequest,
) -> Verdict {
    use AfterSalesKind as K;
    match req.kind {
        K::ReturnRefund => {}
        K::Exchange => {
            return verdict(
                Outcome::NeedsReview,
                "no_reason_exchange",
                ART_25,
                "法律规定的是七日无理由退货；无理由换货需商家同意，请提交审核。".into(),
            )
        }
        K::Repair => {
            return verdict(
                Outcome::NotEligible,
                "no_reason_repair",
                RULES_BASIS,
                "没有质量问题的维修不属于售后保障范围，可为客户提供付费维修信息。".into(),
            )
        }
        K::RefundOnly => {
            return verdict(
                Outcome::NotEligible,
                "no_reason_refund_only",
                ART_25,
                "商品已签收，无理由退款需先退回商品：请申请退货退款。".into(),
            )
        }
    }
    let f = item.flags;
    let excluded: Option<(&'static str, &str)> = if f.customised {
        Some(("excluded_customised", "消费者定作的商品"))
    } else if f.perishable {
        Some(("excluded_perishable", "鲜活易腐的商品"))
    } else if f.digital_unsealed {
        Some(("excluded_digital", "在线下载或者消费者拆封的音像制品、计算机软件等数字化商品"))
    } else if f.periodical {
        Some(("excluded_periodical", "交付的报纸、期刊"))
    } else if f.confirmed_non_returnable {
        Some(("excluded_confirmed", "购买时经消费者确认不宜退货的商品"))
    } else {
        None
    };
    if let Some((rule, what)) = excluded {
        return verdict(
            Outcome::NotEligible,
            rule,
            ART_25,
            format!("{what}不适用七日无理由退货。如商品有质量问题，可按质量问题申请售后。"),
        );
    }
    let days = policy.no_reason_days.max(LEGAL_MINIMUM_DAYS) + policy.member_extra_days;
    let end = window_end(cal, signed, days);
    let within = req.at < end;
    let mut v = if within {
        verdict(
            Outcome::Eligible,
            "no_reason_within_window",
            ART_25,
            format!("自签收次日起{days}日内可无理由退货，截止{}。商品应当完好。", local_text(cal, end)),
        )
    } else {
        verdict(
            Outcome::NotEligible,
            "no_reason_expired",
            ART_25,
            format!(
                "无理由退货期（签收次日起{days}日）已于{}届满。如商品有质量问题，可按质量问题申请售后。",
                local_text(cal, end)
            ),
        )
    };
    if within && f.presale {
        v.outcome = Outcome::NeedsReview;
        v.rule = "presale_review";
        v.explanation.push_str("预售商品的定金和尾款按预售页面约定处理，请提交审核。");
    }
    v.deadline = Some(end);
    v
}

fn sellers_fault(
    cal: &BusinessCalendar,
    policy: &ReturnPolicy,
    signed: Millis,
    req: &AfterSalesRequest,
) -> Verdict {
    use AfterSalesKind as K;
    let (days, rule_ok, rule_late, what) = match req.kind {
        K::ReturnRefund | K::RefundOnly => (
            policy.quality_return_days.max(LEGAL_MINIMUM_DAYS),
            "quality_return",
            "quality_return_late",
            "退货",
        ),
        K::Exchange => (policy.quality_exchange_days, "quality_exchange", "quality_exchange_late", "换货"),
        K::Repair => (policy.repair_days, "quality_repair", "quality_repair_late", "维修"),
    };
    let end = window_end(cal, signed, days);
    let mut v = if req.at < end {
        let mut text =
            format!("{}：自签收次日起{days}日内可{what}，截止{}。", req.reason.label(), local_text(cal, end));
        if req.kind == K::RefundOnly {
            text.push_str("仅退款（不退货）需商家同意。");
        }
        verdict(Outcome::Eligible, rule_ok, ART_24, text)
    } else {
        let next = match req.kind {
            K::ReturnRefund | K::RefundOnly => {
                "可为客户办理换货或维修；符合法定解除合同条件的，经审核仍可退货。"
            }
            K::Exchange => "可为客户办理维修；是否仍可换货需审核。",
            K::Repair => "已过保修期，可提供付费维修，是否免费需审核。",
        };
        verdict(
            Outcome::NeedsReview,
            rule_late,
            ART_24,
            format!(
                "{}：{what}期（签收次日起{days}日）已于{}届满，{next}",
                req.reason.label(),
                local_text(cal, end)
            ),
        )
    };
    if req.kind == K::RefundOnly && v.outcome == Outcome::Eligible {
        v.outcome = Outcome::NeedsReview;
        v.rule = "quality_refund_only";
    }
    v.deadline = Some(end);
    let missing: Vec<Proof> =
        required_proofs(req.kind, req.reason).into_iter().filter(|p| !req.proofs.contains(p)).collect();
    if !missing.is_empty() && v.outcome == Outcome::Eligible {
        v.outcome = Outcome::NeedsReview;
        v.rule = "proof_missing";
        let names: Vec<&str> = missing.iter().map(|p| p.label()).collect();
        v.explanation.push_str(&format!("请客户补充：{}。", names.join("、")));
    }
    v.missing_proofs = missing;
    v
}
