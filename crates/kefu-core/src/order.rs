//! Orders (订单) as the shop system pushes them (EC-1): the shape of a push and its validation, with the
//! field named on every refusal. kefu keeps the latest state of each order; the shop's own update time
//! orders the pushes, so a late, older push never overwrites a newer one.

use crate::aftersales::eligibility::{ItemFacts, ItemFlags};
use crate::error::DomainError;
use crate::time::Millis;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The most items one order may carry.
pub const MAX_ITEMS: usize = 500;
/// The most orders one push may carry.
pub const MAX_ORDERS_PER_PUSH: usize = 1000;

/// An order's status in the shop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// 待付款
    PendingPayment,
    /// 待发货
    Paid,
    /// 已发货
    Shipped,
    /// 已签收
    Signed,
    /// 已完成
    Completed,
    /// 已取消
    Cancelled,
    /// 已关闭 (e.g. fully refunded)
    Closed,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::PendingPayment => "pending_payment",
            OrderStatus::Paid => "paid",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Signed => "signed",
            OrderStatus::Completed => "completed",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Closed => "closed",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            OrderStatus::PendingPayment => "待付款",
            OrderStatus::Paid => "待发货",
            OrderStatus::Shipped => "已发货",
            OrderStatus::Signed => "已签收",
            OrderStatus::Completed => "已完成",
            OrderStatus::Cancelled => "已取消",
            OrderStatus::Closed => "已关闭",
        }
    }

    pub fn parse(s: &str) -> Result<OrderStatus, DomainError> {
        serde_json::from_value(serde_json::Value::String(s.to_string()))
            .map_err(|_| DomainError::validation("status", format!("unknown order status '{s}'")))
    }
}

/// The customer an order belongs to, as the shop knows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderCustomer {
    /// The customer's account on the shop platform.
    pub account_id: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderItem {
    pub sku: String,
    pub name: String,
    /// Product category code, e.g. `digital`, `fresh`; rules may differ per category.
    #[serde(default)]
    pub category: Option<String>,
    pub quantity: i64,
    /// Unit price in fen (分).
    pub price_fen: i64,
    /// Flags fixed at purchase time (customised, perishable …), read by the eligibility engine.
    #[serde(default)]
    pub flags: ItemFlags,
}

/// An order as pushed by the shop system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderPush {
    pub order_no: String,
    pub customer: OrderCustomer,
    pub status: OrderStatus,
    pub items: Vec<OrderItem>,
    /// What the customer pays, in fen.
    pub total_fen: i64,
    #[serde(default)]
    pub paid_fen: i64,
    #[serde(default)]
    pub payment_method: Option<String>,
    #[serde(default)]
    pub shipping_company: Option<String>,
    #[serde(default)]
    pub waybill: Option<String>,
    pub ordered_at: Millis,
    #[serde(default)]
    pub paid_at: Option<Millis>,
    #[serde(default)]
    pub shipped_at: Option<Millis>,
    /// 签收时间
    #[serde(default)]
    pub signed_at: Option<Millis>,
    /// The shop's last change of this order: pushes are applied in this order.
    pub updated_at: Millis,
}

fn code(field: &str, v: &str, max: usize) -> Result<(), DomainError> {
    let ok = !v.is_empty()
        && v.chars().count() <= max
        && v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(DomainError::validation(
            field,
            format!("{field} must be 1 to {max} characters of letters, digits, '-', '_' or '.'"),
        ))
    }
}

fn text(field: &str, v: &str, max: usize) -> Result<(), DomainError> {
    if v.trim().is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(DomainError::validation(
            field,
            format!("{field} must be 1 to {max} characters on one line"),
        ));
    }
    Ok(())
}

impl OrderPush {
    /// Check every field; `at` prefixes field names (e.g. `orders[3].`) so a batch names the culprit.
    pub fn validate(&self, at: &str) -> Result<(), DomainError> {
        let f = |name: &str| format!("{at}{name}");
        code(&f("order_no"), &self.order_no, 64)?;
        text(&f("customer.account_id"), &self.customer.account_id, 64)?;
        if let Some(n) = &self.customer.name {
            text(&f("customer.name"), n, 60)?;
        }
        if self.items.is_empty() || self.items.len() > MAX_ITEMS {
            return Err(DomainError::validation(&f("items"), format!("an order has 1 to {MAX_ITEMS} items")));
        }
        for (i, it) in self.items.iter().enumerate() {
            let g = |name: &str| format!("{at}items[{i}].{name}");
            code(&g("sku"), &it.sku, 64)?;
            text(&g("name"), &it.name, 200)?;
            if let Some(c) = &it.category {
                code(&g("category"), c, 64)?;
            }
            if !(1..=100_000).contains(&it.quantity) {
                return Err(DomainError::validation(&g("quantity"), "quantity must be 1 to 100000"));
            }
            if it.price_fen < 0 {
                return Err(DomainError::validation(&g("price_fen"), "price_fen must not be negative"));
            }
        }
        if self.total_fen < 0 || self.paid_fen < 0 || self.paid_fen > self.total_fen {
            return Err(DomainError::validation(
                &f("paid_fen"),
                "amounts are at least 0 and paid_fen ≤ total_fen",
            ));
        }
        for (name, v) in
            [("payment_method", &self.payment_method), ("shipping_company", &self.shipping_company)]
        {
            if let Some(v) = v {
                text(&f(name), v, 50)?;
            }
        }
        if let Some(w) = &self.waybill {
            code(&f("waybill"), w, 50)?;
        }
        // Times in order: ordered ≤ paid ≤ shipped ≤ signed. An unpaid order may ship (cash on
        // delivery); a signed-for order must have shipped.
        let before =
            |name: &str, what: &str| DomainError::validation(&f(name), format!("{name} is before {what}"));
        if self.paid_at.is_some_and(|p| p < self.ordered_at) {
            return Err(before("paid_at", "ordered_at"));
        }
        if let Some(s) = self.shipped_at {
            if s < self.paid_at.unwrap_or(self.ordered_at).max(self.ordered_at) {
                return Err(before("shipped_at", "the order was placed and paid"));
            }
        }
        if let Some(sig) = self.signed_at {
            match self.shipped_at {
                None => {
                    return Err(DomainError::validation(
                        &f("signed_at"),
                        "signed_at is set but shipped_at is not",
                    ))
                }
                Some(s) if sig < s => return Err(before("signed_at", "shipped_at")),
                Some(_) => {}
            }
        }
        let needs = |cond: bool, name: &str, why: &str| {
            if cond {
                Err(DomainError::validation(&f(name), format!("status '{}' {why}", self.status.as_str())))
            } else {
                Ok(())
            }
        };
        needs(
            matches!(self.status, OrderStatus::Shipped | OrderStatus::Signed | OrderStatus::Completed)
                && self.shipped_at.is_none(),
            "shipped_at",
            "needs shipped_at",
        )?;
        needs(
            matches!(self.status, OrderStatus::Signed | OrderStatus::Completed) && self.signed_at.is_none(),
            "signed_at",
            "needs signed_at",
        )?;
        if self.updated_at < self.ordered_at {
            return Err(DomainError::validation(&f("updated_at"), "updated_at is before ordered_at"));
        }
        Ok(())
    }

    /// What the eligibility engine knows of one of its items.
    pub fn item_facts(&self, index: usize) -> Option<ItemFacts> {
        self.items.get(index).map(|it| ItemFacts {
            shipped_at: self.shipped_at,
            signed_at: self.signed_at,
            flags: it.flags,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> OrderPush {
        OrderPush {
            order_no: "TB20261203-0001".into(),
            customer: OrderCustomer { account_id: "buyer-1".into(), name: Some("小王".into()) },
            status: OrderStatus::Signed,
            items: vec![OrderItem {
                sku: "SKU-1".into(),
                name: "保温杯".into(),
                category: Some("home".into()),
                quantity: 2,
                price_fen: 5900,
                flags: ItemFlags::default(),
            }],
            total_fen: 11800,
            paid_fen: 11800,
            payment_method: Some("支付宝".into()),
            shipping_company: Some("顺丰".into()),
            waybill: Some("SF1234567890".into()),
            ordered_at: Millis(1_000),
            paid_at: Some(Millis(2_000)),
            shipped_at: Some(Millis(3_000)),
            signed_at: Some(Millis(4_000)),
            updated_at: Millis(4_000),
        }
    }

    fn field(o: &OrderPush) -> Option<String> {
        o.validate("orders[2].").err().and_then(|e| e.field)
    }

    #[test]
    fn a_well_formed_order_passes_and_each_fault_names_its_field() {
        assert!(order().validate("").is_ok());
        let mut o = order();
        o.order_no = "单号 1".into();
        assert_eq!(field(&o).as_deref(), Some("orders[2].order_no"));
        let mut o = order();
        o.items[0].quantity = 0;
        assert_eq!(field(&o).as_deref(), Some("orders[2].items[0].quantity"));
        let mut o = order();
        o.items.clear();
        assert_eq!(field(&o).as_deref(), Some("orders[2].items"));
        let mut o = order();
        o.paid_fen = o.total_fen + 1;
        assert_eq!(field(&o).as_deref(), Some("orders[2].paid_fen"));
        let mut o = order();
        o.signed_at = Some(Millis(2_500));
        assert_eq!(field(&o).as_deref(), Some("orders[2].signed_at"));
        let mut o = order();
        o.shipped_at = None;
        assert_eq!(field(&o).as_deref(), Some("orders[2].signed_at"), "signed without shipping");
        let mut o = order();
        o.status = OrderStatus::Shipped;
        o.signed_at = None;
        o.shipped_at = None;
        assert_eq!(field(&o).as_deref(), Some("orders[2].shipped_at"));
        // Cash on delivery: shipped without payment is fine.
        let mut o = order();
        o.paid_at = None;
        o.paid_fen = 0;
        assert!(o.validate("").is_ok());
        assert_eq!(OrderStatus::parse("refunded").unwrap_err().field.as_deref(), Some("status"));
        assert_eq!(order().item_facts(0).and_then(|f| f.signed_at), Some(Millis(4_000)));
    }
}
