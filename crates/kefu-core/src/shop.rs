//! Actions on the merchant's shop system (店铺操作, EC-1): from a ticket an agent asks the shop to modify the
//! delivery address, cancel the order, refund, or resend goods. kefu never changes an order itself: the shop
//! system owns orders, so an action is a signed request to the shop, sent once per idempotency key (retries
//! carry the same key), and the shop's answer comes back to the ticket.
//!
//! This module holds the rules: what each action needs ([`ShopAction::validate`]), which order states it
//! makes sense in ([`check_order`]), how much may still be refunded, and how the shop's answer is read
//! ([`read_answer`]).

use crate::error::{DomainError, ErrorCode};
use crate::money::yuan;
use crate::order::OrderStatus;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What the agent asks the shop system to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ShopAction {
    /// 修改收货地址: before the goods leave the warehouse.
    ModifyAddress { receiver: String, phone: String, address: String },
    /// 取消订单: before shipping.
    Cancel { reason: String },
    /// 退款: part or all of what was paid; `case_id` when it settles an after-sales case (售后单).
    Refund {
        amount_fen: i64,
        reason: String,
        #[serde(default)]
        case_id: Option<i64>,
    },
    /// 补发: send goods again (lost or damaged in transit, missing items).
    Resend { reason: String },
}

/// The kinds of action, for lists and filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShopActionKind {
    ModifyAddress,
    Cancel,
    Refund,
    Resend,
}

impl ShopActionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ShopActionKind::ModifyAddress => "modify_address",
            ShopActionKind::Cancel => "cancel",
            ShopActionKind::Refund => "refund",
            ShopActionKind::Resend => "resend",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            ShopActionKind::ModifyAddress => "修改地址",
            ShopActionKind::Cancel => "取消订单",
            ShopActionKind::Refund => "退款",
            ShopActionKind::Resend => "补发",
        }
    }

    pub fn parse(s: &str) -> Result<ShopActionKind, DomainError> {
        match s {
            "modify_address" => Ok(ShopActionKind::ModifyAddress),
            "cancel" => Ok(ShopActionKind::Cancel),
            "refund" => Ok(ShopActionKind::Refund),
            "resend" => Ok(ShopActionKind::Resend),
            _ => Err(DomainError::validation("action", format!("unknown shop action '{s}'"))),
        }
    }
}

/// Where an action stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ShopActionStatus {
    /// 待发送: queued, or being retried after the shop could not be reached.
    Pending,
    /// 店铺处理中: the shop took it and will report the result later.
    Accepted,
    /// 已完成
    Succeeded,
    /// 失败: the shop refused it, or could not be reached before the last attempt.
    Failed,
}

impl ShopActionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ShopActionStatus::Pending => "pending",
            ShopActionStatus::Accepted => "accepted",
            ShopActionStatus::Succeeded => "succeeded",
            ShopActionStatus::Failed => "failed",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            ShopActionStatus::Pending => "待发送",
            ShopActionStatus::Accepted => "店铺处理中",
            ShopActionStatus::Succeeded => "已完成",
            ShopActionStatus::Failed => "失败",
        }
    }

    pub fn parse(s: &str) -> Result<ShopActionStatus, DomainError> {
        match s {
            "pending" => Ok(ShopActionStatus::Pending),
            "accepted" => Ok(ShopActionStatus::Accepted),
            "succeeded" => Ok(ShopActionStatus::Succeeded),
            "failed" => Ok(ShopActionStatus::Failed),
            _ => Err(DomainError::validation("status", format!("unknown shop action status '{s}'"))),
        }
    }

    /// Whether the action is over (no more attempts, no result to wait for).
    pub fn is_final(self) -> bool {
        matches!(self, ShopActionStatus::Succeeded | ShopActionStatus::Failed)
    }
}

fn line(field: &str, v: &str, max: usize) -> Result<(), DomainError> {
    if v.trim().is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(DomainError::validation(
            field,
            format!("{field} must be 1 to {max} characters on one line"),
        ));
    }
    Ok(())
}

impl ShopAction {
    pub fn kind(&self) -> ShopActionKind {
        match self {
            ShopAction::ModifyAddress { .. } => ShopActionKind::ModifyAddress,
            ShopAction::Cancel { .. } => ShopActionKind::Cancel,
            ShopAction::Refund { .. } => ShopActionKind::Refund,
            ShopAction::Resend { .. } => ShopActionKind::Resend,
        }
    }

    /// Every field checked, naming the first bad one.
    pub fn validate(&self) -> Result<(), DomainError> {
        match self {
            ShopAction::ModifyAddress { receiver, phone, address } => {
                line("receiver", receiver, 50)?;
                let digits = phone.chars().filter(char::is_ascii_digit).count();
                if !(5..=20).contains(&digits)
                    || !phone.chars().all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | ' '))
                {
                    return Err(DomainError::validation("phone", "phone must be 5 to 20 digits"));
                }
                line("address", address, 200)
            }
            ShopAction::Cancel { reason } | ShopAction::Resend { reason } => line("reason", reason, 500),
            ShopAction::Refund { amount_fen, reason, .. } => {
                if *amount_fen <= 0 {
                    return Err(DomainError::validation("amount_fen", "the refund must be more than 0 fen"));
                }
                line("reason", reason, 500)
            }
        }
    }

    /// One line for the ticket's timeline, in plain Chinese.
    pub fn summary_zh(&self, order_no: &str) -> String {
        match self {
            ShopAction::ModifyAddress { receiver, address, .. } => {
                format!("订单 {order_no} 修改收货地址为：{receiver}，{address}")
            }
            ShopAction::Cancel { reason } => format!("订单 {order_no} 申请取消（{reason}）"),
            ShopAction::Refund { amount_fen, reason, case_id } => {
                let case = case_id.map(|c| format!("，售后单 #{c}")).unwrap_or_default();
                format!("订单 {order_no} 退款 {}（{reason}{case}）", yuan(*amount_fen))
            }
            ShopAction::Resend { reason } => format!("订单 {order_no} 申请补发（{reason}）"),
        }
    }
}

/// What the order is like when an action is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderFacts {
    pub status: OrderStatus,
    pub paid_fen: i64,
    /// Refunds already succeeded, or sent and not failed, for this order.
    pub refunds_in_flight_fen: i64,
}

/// Whether the action makes sense for the order now; the refusal says why in terms the agent can repeat
/// to the customer.
pub fn check_order(action: &ShopAction, order: &OrderFacts) -> Result<(), DomainError> {
    use OrderStatus as O;
    let refuse = |msg: String| Err(DomainError::new(ErrorCode::Conflict, msg));
    match action {
        ShopAction::ModifyAddress { .. } | ShopAction::Cancel { .. } => {
            if !matches!(order.status, O::PendingPayment | O::Paid) {
                let what =
                    if matches!(action, ShopAction::Cancel { .. }) { "cancelled" } else { "re-addressed" };
                return refuse(format!(
                    "the order is {} ({}); only an order not yet shipped can be {what}",
                    order.status.as_str(),
                    order.status.label_zh()
                ));
            }
            Ok(())
        }
        ShopAction::Refund { amount_fen, .. } => {
            if matches!(order.status, O::PendingPayment | O::Cancelled) {
                return refuse(format!(
                    "the order is {} ({}): nothing was paid that could be refunded",
                    order.status.as_str(),
                    order.status.label_zh()
                ));
            }
            let left = (order.paid_fen - order.refunds_in_flight_fen).max(0);
            if *amount_fen > left {
                return Err(DomainError::validation(
                    "amount_fen",
                    format!(
                        "at most {left} fen ({}) of this order is left to refund: {} paid, {} refunded or being refunded",
                        yuan(left),
                        yuan(order.paid_fen),
                        yuan(order.refunds_in_flight_fen)
                    ),
                ));
            }
            Ok(())
        }
        ShopAction::Resend { .. } => {
            if !matches!(order.status, O::Shipped | O::Signed | O::Completed) {
                return refuse(format!(
                    "the order is {} ({}); goods can be resent only after they were shipped",
                    order.status.as_str(),
                    order.status.label_zh()
                ));
            }
            Ok(())
        }
    }
}

/// The shop system's answer to an action, as kefu reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Done; `reference` is the shop's id of what it did (refund number, new waybill …).
    Succeeded { reference: Option<String>, message: String },
    /// Taken; the result will come to the result endpoint.
    Accepted,
    /// Refused for good: sending it again would not help.
    Refused { message: String },
    /// Not answered usefully (unreachable, 5xx, 429, malformed): try again with the same key.
    Retry { message: String },
}

/// The JSON body a shop system answers with.
#[derive(Debug, Clone, Deserialize)]
pub struct AnswerBody {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub reference: Option<String>,
}

/// Reads an HTTP answer: 2xx with `{"status": "succeeded" | "accepted" | "failed"}`; other 4xx (except 408
/// and 429) is a refusal; everything else is retried.
pub fn read_answer(http_status: u16, body: &str) -> Answer {
    let parsed: Option<AnswerBody> = serde_json::from_str(body).ok();
    let message = |p: &Option<AnswerBody>| {
        p.as_ref().and_then(|b| b.message.clone()).unwrap_or_default().chars().take(500).collect::<String>()
    };
    match http_status {
        200..=299 => match parsed.as_ref().and_then(|b| b.status.as_deref()) {
            Some("succeeded") => Answer::Succeeded {
                reference: parsed
                    .as_ref()
                    .and_then(|b| b.reference.clone())
                    .map(|r| r.chars().take(100).collect()),
                message: message(&parsed),
            },
            Some("accepted") => Answer::Accepted,
            Some("failed") => Answer::Refused { message: message(&parsed) },
            _ => Answer::Retry {
                message: format!(
                    "the shop answered {http_status} without a status of succeeded, accepted or failed"
                ),
            },
        },
        408 | 429 => Answer::Retry { message: format!("the shop answered {http_status}") },
        400..=499 => {
            let m = message(&parsed);
            Answer::Refused {
                message: if m.is_empty() {
                    format!("the shop refused the action ({http_status})")
                } else {
                    m
                },
            }
        }
        _ => Answer::Retry { message: format!("the shop answered {http_status}") },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(status: OrderStatus, paid: i64, refunded: i64) -> OrderFacts {
        OrderFacts { status, paid_fen: paid, refunds_in_flight_fen: refunded }
    }

    fn refund(fen: i64) -> ShopAction {
        ShopAction::Refund { amount_fen: fen, reason: "质量问题".into(), case_id: None }
    }

    #[test]
    fn address_and_cancel_only_before_shipping() {
        let cancel = ShopAction::Cancel { reason: "买错了".into() };
        let addr = ShopAction::ModifyAddress {
            receiver: "小王".into(),
            phone: "13800138000".into(),
            address: "上海市浦东新区世纪大道 1 号".into(),
        };
        for a in [&cancel, &addr] {
            assert!(check_order(a, &facts(OrderStatus::Paid, 100, 0)).is_ok());
            assert!(check_order(a, &facts(OrderStatus::PendingPayment, 0, 0)).is_ok());
            let e = check_order(a, &facts(OrderStatus::Shipped, 100, 0)).unwrap_err();
            assert_eq!(e.code, ErrorCode::Conflict);
            assert!(e.message.contains("已发货"), "{}", e.message);
        }
    }

    #[test]
    fn refund_never_exceeds_what_is_left() {
        let o = facts(OrderStatus::Signed, 31_700, 10_000);
        assert!(check_order(&refund(21_700), &o).is_ok(), "exactly what is left");
        let e = check_order(&refund(21_701), &o).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("amount_fen"));
        assert!(e.message.contains("¥217.00"), "{}", e.message);
        assert!(check_order(&refund(1), &facts(OrderStatus::PendingPayment, 0, 0)).is_err());
        assert!(check_order(&refund(1), &facts(OrderStatus::Cancelled, 100, 0)).is_err());
        assert!(check_order(&refund(100), &facts(OrderStatus::Paid, 100, 0)).is_ok(), "unshipped refund");
    }

    #[test]
    fn resend_only_after_shipping() {
        let r = ShopAction::Resend { reason: "快递丢件".into() };
        assert!(check_order(&r, &facts(OrderStatus::Paid, 100, 0)).is_err());
        assert!(check_order(&r, &facts(OrderStatus::Shipped, 100, 0)).is_ok());
        assert!(check_order(&r, &facts(OrderStatus::Signed, 100, 0)).is_ok());
    }

    #[test]
    fn validation_names_the_field() {
        assert_eq!(refund(0).validate().unwrap_err().field.as_deref(), Some("amount_fen"));
        let a =
            ShopAction::ModifyAddress { receiver: "小王".into(), phone: "abc".into(), address: "x".into() };
        assert_eq!(a.validate().unwrap_err().field.as_deref(), Some("phone"));
        let a = ShopAction::ModifyAddress {
            receiver: " ".into(),
            phone: "13800138000".into(),
            address: "x".into(),
        };
        assert_eq!(a.validate().unwrap_err().field.as_deref(), Some("receiver"));
        let c = ShopAction::Cancel { reason: "a\nb".into() };
        assert_eq!(c.validate().unwrap_err().field.as_deref(), Some("reason"));
        let body = r#"{"type":"refund","amount_fen":100,"reason":"x","extra":1}"#;
        assert!(serde_json::from_str::<ShopAction>(body).is_err(), "unknown fields refused");
    }

    #[test]
    fn answers_are_read_by_status_and_body() {
        assert_eq!(
            read_answer(200, r#"{"status":"succeeded","reference":"RF1"}"#),
            Answer::Succeeded { reference: Some("RF1".into()), message: String::new() }
        );
        assert_eq!(read_answer(202, r#"{"status":"accepted"}"#), Answer::Accepted);
        assert_eq!(
            read_answer(200, r#"{"status":"failed","message":"订单已发货"}"#),
            Answer::Refused { message: "订单已发货".into() }
        );
        assert!(matches!(read_answer(200, "ok"), Answer::Retry { .. }));
        assert!(matches!(read_answer(503, ""), Answer::Retry { .. }));
        assert!(matches!(read_answer(429, ""), Answer::Retry { .. }));
        assert!(
            matches!(read_answer(409, r#"{"message":"已退款"}"#), Answer::Refused { message } if message == "已退款")
        );
        assert!(matches!(read_answer(404, ""), Answer::Refused { .. }));
    }

    #[test]
    fn summaries_and_money() {
        assert_eq!(yuan(31_700), "¥317.00");
        assert_eq!(yuan(5), "¥0.05");
        let s = ShopAction::Refund { amount_fen: 5_900, reason: "退货退款".into(), case_id: Some(3) }
            .summary_zh("A100");
        assert_eq!(s, "订单 A100 退款 ¥59.00（退货退款，售后单 #3）");
    }
}
