//! The after-sales case (售后单): an explicit state machine modelled on the platforms' flows, with time
//! limits whose automatic outcomes are ordinary events carrying the rule that fired.
//!
//! ```text
//! requested ─▶ awaiting_merchant ─agree─▶ awaiting_return ─buyer ships─▶ awaiting_receipt ─receipt─▶ refunding ─▶ refunded
//!                   │  (refund only) └──────────────────────────────────────────────────────────────▶ refunding
//!                   │                                     (exchange / repair) receipt ─▶ awaiting_resend ─▶ exchanged / repaired
//!                   └─reject─▶ rejected ─buyer disputes─▶ platform_intervention ─▶ (as agreed) or closed
//! cancelled (by the buyer before shipping back), closed (time limit or platform decision)
//! ```
//!
//! Time limits (defaults, configurable per platform): the merchant answers within 48 hours when the
//! goods were not shipped (else the refund is made automatically) and within 5 days when they were (else
//! the request is agreed automatically); the buyer ships the return within 7 days (else the case closes);
//! the merchant confirms receipt within 10 days (else the refund proceeds). The whole case should be
//! completed within 7 days (003 §3.5): a target reported, not an automatic outcome.

use super::{AfterSalesKind, Reason};
use crate::error::DomainError;
use crate::time::Millis;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// 待商家处理
    #[default]
    AwaitingMerchant,
    /// 待买家退货
    AwaitingReturn,
    /// 待商家收货
    AwaitingReceipt,
    /// 退款中
    Refunding,
    /// 待商家寄出（换货、维修）
    AwaitingResend,
    /// 已退款
    Refunded,
    /// 已换货
    Exchanged,
    /// 已维修
    Repaired,
    /// 商家已拒绝
    Rejected,
    /// 买家已撤销
    Cancelled,
    /// 已关闭
    Closed,
    /// 平台介入
    PlatformIntervention,
}

impl CaseStatus {
    pub fn label(self) -> &'static str {
        use CaseStatus::*;
        match self {
            AwaitingMerchant => "待商家处理",
            AwaitingReturn => "待买家退货",
            AwaitingReceipt => "待商家收货",
            Refunding => "退款中",
            AwaitingResend => "待商家寄出",
            Refunded => "已退款",
            Exchanged => "已换货",
            Repaired => "已维修",
            Rejected => "商家已拒绝",
            Cancelled => "买家已撤销",
            Closed => "已关闭",
            PlatformIntervention => "平台介入",
        }
    }

    /// No further step (a rejected case may still be disputed).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            CaseStatus::Refunded
                | CaseStatus::Exchanged
                | CaseStatus::Repaired
                | CaseStatus::Cancelled
                | CaseStatus::Closed
        )
    }
}

/// Who acts on a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CaseActor {
    /// The buyer (买家).
    Buyer,
    /// The merchant's staff (an agent within their authority).
    Merchant { user_id: i64 },
    /// Platform staff deciding a dispute (平台介入).
    Platform { user_id: i64 },
    /// kefu: time limits and the shop system's callbacks.
    System { name: String },
}

/// The platform's time limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CaseTimeouts {
    pub merchant_response_unshipped_hours: i64,
    pub merchant_response_shipped_days: i64,
    pub buyer_ship_days: i64,
    pub merchant_receipt_days: i64,
    pub completion_days: i64,
}

impl Default for CaseTimeouts {
    fn default() -> Self {
        CaseTimeouts {
            merchant_response_unshipped_hours: 48,
            merchant_response_shipped_days: 5,
            buyer_ship_days: 7,
            merchant_receipt_days: 10,
            completion_days: 7,
        }
    }
}

impl CaseTimeouts {
    pub fn validate(&self) -> Result<(), DomainError> {
        for (field, v, max) in [
            ("merchant_response_unshipped_hours", self.merchant_response_unshipped_hours, 24 * 30),
            ("merchant_response_shipped_days", self.merchant_response_shipped_days, 30),
            ("buyer_ship_days", self.buyer_ship_days, 30),
            ("merchant_receipt_days", self.merchant_receipt_days, 30),
            ("completion_days", self.completion_days, 60),
        ] {
            if !(1..=max).contains(&v) {
                return Err(DomainError::validation(field, format!("{field} must be between 1 and {max}")));
            }
        }
        Ok(())
    }
}

/// Which time limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimeLimit {
    MerchantResponse,
    BuyerShipment,
    MerchantReceipt,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CaseCommand {
    Request {
        kind: AfterSalesKind,
        reason: Reason,
        amount_fen: i64,
        goods_shipped: bool,
        verdict_rule: String,
    },
    Agree,
    Reject {
        reason: String,
    },
    ShipReturn {
        carrier: String,
        waybill: String,
    },
    ConfirmReceipt {
        condition: String,
    },
    /// The shop system reports the refund done (its reference).
    RefundSucceeded {
        refund_ref: String,
    },
    RefundFailed {
        error: String,
    },
    ShipResend {
        carrier: String,
        waybill: String,
    },
    Cancel,
    /// The buyer disputes a rejection (申请平台介入).
    Dispute {
        reason: String,
    },
    PlatformDecide {
        for_buyer: bool,
        note: String,
    },
    /// A time limit passed (the scheduler asks; refused when it has not).
    Expire {
        limit: TimeLimit,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CaseEventKind {
    Requested {
        kind: AfterSalesKind,
        reason: Reason,
        amount_fen: i64,
        goods_shipped: bool,
        verdict_rule: String,
    },
    /// Agreed by the merchant, or automatically (`rule` names the time limit).
    Agreed {
        rule: Option<String>,
    },
    Rejected {
        reason: String,
    },
    ReturnShipped {
        carrier: String,
        waybill: String,
    },
    GoodsReceived {
        condition: String,
        rule: Option<String>,
    },
    /// The refund is asked of the shop system once, under this idempotency key.
    RefundRequested {
        amount_fen: i64,
        idempotency_key: String,
    },
    Refunded {
        refund_ref: String,
    },
    RefundFailed {
        error: String,
    },
    Resent {
        carrier: String,
        waybill: String,
    },
    Cancelled,
    Closed {
        rule: String,
    },
    Disputed {
        reason: String,
    },
    PlatformDecided {
        for_buyer: bool,
        note: String,
    },
    StatusChanged {
        from: CaseStatus,
        to: CaseStatus,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CaseEvent {
    pub at: Millis,
    pub actor: CaseActor,
    #[serde(flatten)]
    pub kind: CaseEventKind,
}

/// A case: the fold of its events.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CaseState {
    /// Set when the case has been requested; the fold's other fields mean nothing before.
    pub kind: Option<AfterSalesKind>,
    pub reason: Option<Reason>,
    pub amount_fen: i64,
    pub goods_shipped: bool,
    pub status: CaseStatus,
    /// When the current status began (time limits count from it).
    pub since: Millis,
    pub requested_at: Millis,
    pub refund_requested: bool,
    pub refund_ref: Option<String>,
    pub rejection: Option<String>,
    pub return_waybill: Option<String>,
}

impl CaseState {
    pub fn apply(&mut self, e: &CaseEvent) {
        use CaseEventKind as E;
        match &e.kind {
            E::Requested { kind, reason, amount_fen, goods_shipped, .. } => {
                self.kind = Some(*kind);
                self.reason = Some(*reason);
                self.amount_fen = *amount_fen;
                self.goods_shipped = *goods_shipped;
                self.requested_at = e.at;
                self.since = e.at;
                self.status = CaseStatus::AwaitingMerchant;
            }
            E::StatusChanged { to, .. } => {
                self.status = *to;
                self.since = e.at;
            }
            E::Rejected { reason } => self.rejection = Some(reason.clone()),
            E::ReturnShipped { waybill, .. } => self.return_waybill = Some(waybill.clone()),
            E::RefundRequested { .. } => self.refund_requested = true,
            E::Refunded { refund_ref } => self.refund_ref = Some(refund_ref.clone()),
            _ => {}
        }
    }

    /// The time limit running now and when it passes.
    pub fn next_limit(&self, t: &CaseTimeouts) -> Option<(TimeLimit, Millis)> {
        match self.status {
            CaseStatus::AwaitingMerchant => {
                let d = if self.goods_shipped {
                    t.merchant_response_shipped_days * DAY
                } else {
                    t.merchant_response_unshipped_hours * HOUR
                };
                Some((TimeLimit::MerchantResponse, self.since.plus_ms(d)))
            }
            CaseStatus::AwaitingReturn => {
                Some((TimeLimit::BuyerShipment, self.since.plus_ms(t.buyer_ship_days * DAY)))
            }
            CaseStatus::AwaitingReceipt => {
                Some((TimeLimit::MerchantReceipt, self.since.plus_ms(t.merchant_receipt_days * DAY)))
            }
            _ => None,
        }
    }

    /// When the case should be completed (a reported target).
    pub fn completion_due(&self, t: &CaseTimeouts) -> Millis {
        self.requested_at.plus_ms(t.completion_days * DAY)
    }
}

/// Fold a whole history.
pub fn rebuild(events: &[CaseEvent]) -> CaseState {
    let mut s = CaseState::default();
    for e in events {
        s.apply(e);
    }
    s
}

fn text(field: &str, v: &str, max: usize) -> Result<String, DomainError> {
    let v = v.trim();
    if v.is_empty() || v.chars().count() > max {
        return Err(DomainError::validation(field, format!("{field} must be 1 to {max} characters")));
    }
    Ok(v.to_string())
}

struct Out<'a> {
    st: &'a CaseState,
    actor: &'a CaseActor,
    at: Millis,
    events: Vec<CaseEvent>,
}

impl Out<'_> {
    fn push(&mut self, kind: CaseEventKind) {
        self.events.push(CaseEvent { at: self.at, actor: self.actor.clone(), kind });
    }
    fn move_to(&mut self, to: CaseStatus) {
        let from = self.events.iter().rev().find_map(|e| match e.kind {
            CaseEventKind::StatusChanged { to, .. } => Some(to),
            _ => None,
        });
        let from = from.unwrap_or(self.st.status);
        if from != to {
            self.push(CaseEventKind::StatusChanged { from, to });
        }
    }
    /// Ask the shop system for the refund, once per case.
    fn refund(&mut self, case_key: &str) {
        if !self.st.refund_requested {
            self.push(CaseEventKind::RefundRequested {
                amount_fen: self.st.amount_fen,
                idempotency_key: format!("refund:{case_key}"),
            });
        }
        self.move_to(CaseStatus::Refunding);
    }
    /// What an agreement leads to.
    fn after_agreement(&mut self, kind: AfterSalesKind, case_key: &str) {
        if kind.returns_goods() {
            self.move_to(CaseStatus::AwaitingReturn);
        } else {
            self.refund(case_key);
        }
    }
}

fn refuse(st: &CaseState, what: &str) -> DomainError {
    DomainError::conflict(
        None,
        format!("cannot {what}: the case is {} ({})", st.status.label(), status_name(st.status)),
    )
}

fn status_name(s: CaseStatus) -> String {
    serde_json::to_value(s).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

/// Turn a command into events, or refuse it. `case_key` identifies the case for idempotency keys.
pub fn decide(
    st: &CaseState,
    cmd: &CaseCommand,
    actor: &CaseActor,
    now: Millis,
    limits: &CaseTimeouts,
    case_key: &str,
) -> Result<Vec<CaseEvent>, DomainError> {
    use CaseCommand as C;
    use CaseStatus as S;
    let mut o = Out { st, actor, at: now, events: Vec::new() };
    let merchant = matches!(actor, CaseActor::Merchant { .. });
    let buyer = matches!(actor, CaseActor::Buyer);
    let need = |ok: bool, who: &str| {
        if ok {
            Ok(())
        } else {
            Err(DomainError::forbidden(format!("only {who} may do this")))
        }
    };
    let Some(kind) = st.kind else {
        return match cmd {
            C::Request { kind, reason, amount_fen, goods_shipped, verdict_rule } => {
                if *amount_fen < 0 {
                    return Err(DomainError::validation("amount_fen", "amount_fen must not be negative"));
                }
                o.push(CaseEventKind::Requested {
                    kind: *kind,
                    reason: *reason,
                    amount_fen: *amount_fen,
                    goods_shipped: *goods_shipped,
                    verdict_rule: verdict_rule.clone(),
                });
                Ok(o.events)
            }
            _ => Err(DomainError::conflict(None, "the after-sales case has not been requested")),
        };
    };
    match cmd {
        C::Request { .. } => return Err(DomainError::conflict(None, "the after-sales case exists already")),
        C::Agree => {
            need(merchant, "the merchant")?;
            if st.status != S::AwaitingMerchant {
                return Err(refuse(st, "agree"));
            }
            o.push(CaseEventKind::Agreed { rule: None });
            o.after_agreement(kind, case_key);
        }
        C::Reject { reason } => {
            need(merchant, "the merchant")?;
            if !matches!(st.status, S::AwaitingMerchant | S::AwaitingReceipt) {
                return Err(refuse(st, "reject"));
            }
            o.push(CaseEventKind::Rejected { reason: text("reason", reason, 500)? });
            o.move_to(S::Rejected);
        }
        C::ShipReturn { carrier, waybill } => {
            need(buyer, "the buyer")?;
            if st.status != S::AwaitingReturn {
                return Err(refuse(st, "ship the return"));
            }
            o.push(CaseEventKind::ReturnShipped {
                carrier: text("carrier", carrier, 50)?,
                waybill: text("waybill", waybill, 50)?,
            });
            o.move_to(S::AwaitingReceipt);
        }
        C::ConfirmReceipt { condition } => {
            need(merchant, "the merchant")?;
            if st.status != S::AwaitingReceipt {
                return Err(refuse(st, "confirm receipt"));
            }
            o.push(CaseEventKind::GoodsReceived {
                condition: text("condition", condition, 500)?,
                rule: None,
            });
            after_receipt(&mut o, kind, case_key);
        }
        C::RefundSucceeded { refund_ref } => {
            need(matches!(actor, CaseActor::System { .. }), "the shop system")?;
            if st.status != S::Refunding {
                return Err(refuse(st, "record a refund"));
            }
            o.push(CaseEventKind::Refunded { refund_ref: text("refund_ref", refund_ref, 100)? });
            o.move_to(S::Refunded);
        }
        C::RefundFailed { error } => {
            need(matches!(actor, CaseActor::System { .. }), "the shop system")?;
            if st.status != S::Refunding {
                return Err(refuse(st, "record a refund failure"));
            }
            o.push(CaseEventKind::RefundFailed { error: text("error", error, 500)? });
        }
        C::ShipResend { carrier, waybill } => {
            need(merchant, "the merchant")?;
            if st.status != S::AwaitingResend {
                return Err(refuse(st, "send the goods"));
            }
            o.push(CaseEventKind::Resent {
                carrier: text("carrier", carrier, 50)?,
                waybill: text("waybill", waybill, 50)?,
            });
            o.move_to(if kind == AfterSalesKind::Repair { S::Repaired } else { S::Exchanged });
        }
        C::Cancel => {
            need(buyer, "the buyer")?;
            if !matches!(st.status, S::AwaitingMerchant | S::AwaitingReturn | S::Rejected) {
                return Err(refuse(st, "cancel"));
            }
            o.push(CaseEventKind::Cancelled);
            o.move_to(S::Cancelled);
        }
        C::Dispute { reason } => {
            need(buyer, "the buyer")?;
            if st.status != S::Rejected {
                return Err(refuse(st, "ask the platform to intervene"));
            }
            o.push(CaseEventKind::Disputed { reason: text("reason", reason, 500)? });
            o.move_to(S::PlatformIntervention);
        }
        C::PlatformDecide { for_buyer, note } => {
            need(matches!(actor, CaseActor::Platform { .. }), "platform staff")?;
            if st.status != S::PlatformIntervention {
                return Err(refuse(st, "decide the dispute"));
            }
            o.push(CaseEventKind::PlatformDecided { for_buyer: *for_buyer, note: text("note", note, 1000)? });
            if *for_buyer {
                o.after_agreement(kind, case_key);
            } else {
                o.push(CaseEventKind::Closed { rule: "platform_decided_for_merchant".into() });
                o.move_to(S::Closed);
            }
        }
        C::Expire { limit } => {
            need(matches!(actor, CaseActor::System { .. }), "kefu's scheduler")?;
            match st.next_limit(limits) {
                Some((l, due)) if l == *limit && now >= due => {}
                _ => return Err(DomainError::conflict(None, "that time limit has not passed")),
            }
            match limit {
                TimeLimit::MerchantResponse
                    if !st.goods_shipped
                        && matches!(kind, AfterSalesKind::RefundOnly | AfterSalesKind::ReturnRefund) =>
                {
                    o.push(CaseEventKind::Agreed { rule: Some("auto_refund_unshipped".into()) });
                    o.refund(case_key);
                }
                TimeLimit::MerchantResponse => {
                    o.push(CaseEventKind::Agreed { rule: Some("auto_agree_shipped".into()) });
                    o.after_agreement(kind, case_key);
                }
                TimeLimit::BuyerShipment => {
                    o.push(CaseEventKind::Closed { rule: "buyer_did_not_ship".into() });
                    o.move_to(S::Closed);
                }
                TimeLimit::MerchantReceipt => {
                    o.push(CaseEventKind::GoodsReceived {
                        condition: "商家超时未确认收货，视为已收货".into(),
                        rule: Some("auto_receipt".into()),
                    });
                    after_receipt(&mut o, kind, case_key);
                }
            }
        }
    }
    Ok(o.events)
}

fn after_receipt(o: &mut Out<'_>, kind: AfterSalesKind, case_key: &str) {
    match kind {
        AfterSalesKind::ReturnRefund | AfterSalesKind::RefundOnly => o.refund(case_key),
        AfterSalesKind::Exchange | AfterSalesKind::Repair => o.move_to(CaseStatus::AwaitingResend),
    }
}
