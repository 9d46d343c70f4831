//! How a step of an after-sales case reads in the ticket's timeline (the agent's view of the case).

use super::case::{CaseActor, CaseEvent, CaseEventKind, CaseStatus};
use super::AfterSalesKind;

/// Automatic outcomes and platform rulings in plain Chinese, by the rule code the event carries.
pub fn rule_label(rule: &str) -> &'static str {
    match rule {
        "auto_refund_unshipped" => "商家超时未处理（未发货），系统自动退款",
        "auto_agree_shipped" => "商家超时未处理（已发货），系统自动同意",
        "buyer_did_not_ship" => "买家超时未寄回商品，售后关闭",
        "auto_receipt" => "商家超时未确认收货，视为已收货",
        "platform_decided_for_merchant" => "平台裁定支持商家，售后关闭",
        _ => "系统规则",
    }
}

fn actor_label(a: &CaseActor) -> &'static str {
    match a {
        CaseActor::Buyer => "买家",
        CaseActor::Merchant { .. } => "商家",
        CaseActor::Platform { .. } => "平台",
        CaseActor::System { .. } => "系统",
    }
}

/// One line for one event, or nothing for bookkeeping (status changes are told once, at the end).
pub fn describe(e: &CaseEvent) -> Option<String> {
    use CaseEventKind as E;
    let who = actor_label(&e.actor);
    Some(match &e.kind {
        E::Requested { kind, reason, amount_fen, .. } => {
            format!("申请{}（{}），金额 {}", kind.label(), reason.label(), crate::money::yuan(*amount_fen))
        }
        E::Agreed { rule: None } => format!("{who}同意售后申请"),
        E::Agreed { rule: Some(r) } => format!("{}（规则 {r}）", rule_label(r)),
        E::Rejected { reason } => format!("{who}拒绝：{reason}"),
        E::ReturnShipped { carrier, waybill } => format!("买家寄回商品：{carrier} {waybill}"),
        E::GoodsReceived { condition, rule: None } => format!("商家确认收货，货品状况：{condition}"),
        E::GoodsReceived { rule: Some(r), .. } => format!("{}（规则 {r}）", rule_label(r)),
        E::RefundRequested { amount_fen, .. } => format!("发起退款 {}", crate::money::yuan(*amount_fen)),
        E::Refunded { refund_ref } => format!("退款已完成（退款单号 {refund_ref}）"),
        E::RefundFailed { error } => format!("退款失败：{error}"),
        E::Resent { carrier, waybill } => format!("商家寄出商品：{carrier} {waybill}"),
        E::Cancelled => "买家撤销售后申请".to_string(),
        E::Closed { rule } => format!("{}（规则 {rule}）", rule_label(rule)),
        E::Disputed { reason } => format!("买家申请平台介入：{reason}"),
        E::PlatformDecided { for_buyer, note } => {
            format!("平台裁定{}：{note}", if *for_buyer { "支持买家" } else { "支持商家" })
        }
        E::StatusChanged { .. } => return None,
    })
}

/// The whole step: what happened, then where the case stands.
pub fn summary(case_id: i64, kind: AfterSalesKind, events: &[CaseEvent], status: CaseStatus) -> String {
    let parts: Vec<String> = events.iter().filter_map(describe).collect();
    format!("售后单 #{case_id}（{}）：{}。当前状态：{}", kind.label(), parts.join("；"), status.label())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Millis;

    #[test]
    fn an_automatic_outcome_names_its_rule_in_the_timeline() {
        let e = CaseEvent {
            at: Millis(0),
            actor: CaseActor::System { name: "aftersales_timer".into() },
            kind: CaseEventKind::Closed { rule: "buyer_did_not_ship".into() },
        };
        let s = summary(7, AfterSalesKind::ReturnRefund, &[e], CaseStatus::Closed);
        assert_eq!(
            s,
            "售后单 #7（退货退款）：买家超时未寄回商品，售后关闭（规则 buyer_did_not_ship）。当前状态：已关闭"
        );
    }

    #[test]
    fn amounts_read_in_yuan() {
        let e = CaseEvent {
            at: Millis(0),
            actor: CaseActor::Merchant { user_id: 1 },
            kind: CaseEventKind::RefundRequested { amount_fen: 5905, idempotency_key: "k".into() },
        };
        assert_eq!(describe(&e).unwrap(), "发起退款 ¥59.05");
    }
}
