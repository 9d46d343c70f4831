//! After-sales (售后): whether a request is allowed by law and the merchant's rules (`eligibility`),
//! and the life of an after-sales case with its time limits and automatic outcomes (`case`).
//!
//! Both are pure: facts in, a verdict or events out, so every rule is testable without a database.

pub mod case;
pub mod eligibility;
pub mod rules;
#[cfg(test)]
mod tests;
pub mod timeline;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What the customer asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AfterSalesKind {
    /// 仅退款: money back without returning goods (not shipped, not received, or agreed).
    RefundOnly,
    /// 退货退款
    ReturnRefund,
    /// 换货
    Exchange,
    /// 维修
    Repair,
}

impl AfterSalesKind {
    pub fn label(self) -> &'static str {
        match self {
            AfterSalesKind::RefundOnly => "仅退款",
            AfterSalesKind::ReturnRefund => "退货退款",
            AfterSalesKind::Exchange => "换货",
            AfterSalesKind::Repair => "维修",
        }
    }

    /// Does the buyer send goods back?
    pub fn returns_goods(self) -> bool {
        !matches!(self, AfterSalesKind::RefundOnly)
    }
}

/// Why the customer asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// 七天无理由: the buyer changed their mind.
    NoReason,
    /// 质量问题
    QualityProblem,
    /// 与描述不符
    NotAsDescribed,
    /// 发错货 / 少件
    WrongItem,
    /// 运输破损
    DamagedInTransit,
    /// 未收到货
    NotReceived,
}

impl Reason {
    pub fn label(self) -> &'static str {
        match self {
            Reason::NoReason => "七天无理由",
            Reason::QualityProblem => "质量问题",
            Reason::NotAsDescribed => "与描述不符",
            Reason::WrongItem => "发错货",
            Reason::DamagedInTransit => "运输破损",
            Reason::NotReceived => "未收到货",
        }
    }

    /// The seller is at fault (消费者权益保护法 Art. 24 applies rather than Art. 25).
    pub fn is_sellers_fault(self) -> bool {
        matches!(
            self,
            Reason::QualityProblem | Reason::NotAsDescribed | Reason::WrongItem | Reason::DamagedInTransit
        )
    }
}

/// Evidence a request may need (凭证).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Proof {
    /// 订单截图
    OrderScreenshot,
    /// 发票 / 保修凭证
    Invoice,
    /// 实物照片
    Photos,
}

impl Proof {
    pub fn label(self) -> &'static str {
        match self {
            Proof::OrderScreenshot => "订单截图",
            Proof::Invoice => "发票或保修凭证",
            Proof::Photos => "商品实物照片",
        }
    }
}
