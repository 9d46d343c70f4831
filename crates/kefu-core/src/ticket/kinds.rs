//! The closed vocabularies of a ticket: status, priority, response tier and intake channel.
//!
//! Each value has one stable wire name (serde, storage, API, [`as_str`](TicketStatus::as_str)) and one
//! Chinese label for the UI. The wire name is written once per value, so serde and `as_str` cannot drift.

use crate::error::DomainError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Defines a closed vocabulary with `ALL`, `as_str`, `label_zh`, `parse` and `Display`.
macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        pub enum $name:ident (field = $field:literal, noun = $noun:literal) {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:tt, $zh:tt; )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $wire)] $variant, )+
        }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable wire name, as used by serde, storage and the API.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire,)+
                }
            }

            /// The Chinese name shown in the UI.
            pub fn label_zh(self) -> &'static str {
                match self {
                    $($name::$variant => $zh,)+
                }
            }

            /// Parses a wire name. The error names the field and lists the allowed values.
            pub fn parse(s: &str) -> Result<$name, DomainError> {
                parse_wire(Self::ALL, s, $field, $noun, Self::as_str)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

fn parse_wire<T: Copy>(
    all: &[T],
    s: &str,
    field: &str,
    noun: &str,
    name: fn(T) -> &'static str,
) -> Result<T, DomainError> {
    all.iter().copied().find(|v| name(*v) == s).ok_or_else(|| {
        let names: Vec<&str> = all.iter().map(|v| name(*v)).collect();
        DomainError::validation(field, format!("unknown {noun} '{s}'; expected one of {}", names.join(", ")))
    })
}

vocabulary! {
    /// Where a ticket (工单) stands in its lifecycle. See [`decide`](super::decide) for the transitions.
    pub enum TicketStatus (field = "status", noun = "ticket status") {
        /// 新建: received, nobody has taken or answered it yet.
        New = "new", "新建";
        /// 处理中: a staff member is working on it.
        Open = "open", "处理中";
        /// 待客户回复: waiting for the customer's answer.
        PendingCustomer = "pending_customer", "待客户回复";
        /// 挂起: waiting on another department (跨部门协作, department task).
        OnHold = "on_hold", "挂起";
        /// 已解决: a solution was given; the customer may still come back.
        Resolved = "resolved", "已解决";
        /// 已关闭: finished; reopening is possible only within the reopen window.
        Closed = "closed", "已关闭";
    }
}

impl TicketStatus {
    /// Is the ticket still being worked on (new, open, pending customer or on hold)?
    pub fn is_active(self) -> bool {
        !matches!(self, TicketStatus::Resolved | TicketStatus::Closed)
    }
}

vocabulary! {
    /// How urgently a ticket must be handled (优先级).
    #[derive(Default)]
    pub enum Priority (field = "priority", noun = "priority") {
        /// 低
        Low = "low", "低";
        /// 普通: the default.
        #[default]
        Normal = "normal", "普通";
        /// 高
        High = "high", "高";
        /// 紧急
        Urgent = "urgent", "紧急";
    }
}

vocabulary! {
    /// The response tier (分级响应, SVC-5): who is answerable for the ticket. Ordered L1 < L2 < L3.
    pub enum Tier (field = "tier", noun = "tier") {
        /// 一级响应: the agents (客服专员); first response within 15 minutes.
        L1 = "l1", "一级响应";
        /// 二级响应: supervisors (主管) or technical staff; handled within 48 hours.
        L2 = "l2", "二级响应";
        /// 三级响应: management (经理/总监), for major or cross-department cases. The highest tier.
        L3 = "l3", "三级响应";
    }
}

vocabulary! {
    /// The channel a ticket came in through (SVC-1).
    pub enum Channel (field = "channel", noun = "channel") {
        /// 在线咨询: online chat from the shop page or web site.
        Chat = "chat", "在线咨询";
        /// 邮件
        Email = "email", "邮件";
        /// 电话: the call centre.
        Phone = "phone", "电话";
        /// 留言: a left message, written while nobody was on duty.
        LeftMessage = "left_message", "留言";
        /// App内咨询: the mobile app.
        App = "app", "App";
        /// 开放接口: created by an integration through the API.
        Api = "api", "开放接口";
        /// 网页表单: the web form.
        Web = "web", "网页表单";
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn check_vocabulary<T>(all: &[T], as_str: fn(T) -> &'static str, label: fn(T) -> &'static str)
    where
        T: Copy + PartialEq + std::fmt::Debug + Serialize + serde::de::DeserializeOwned,
    {
        let mut wires = HashSet::new();
        let mut labels = HashSet::new();
        for &v in all {
            let wire = as_str(v);
            assert!(wires.insert(wire), "duplicate wire name {wire}");
            assert!(labels.insert(label(v)), "duplicate label {}", label(v));
            let json = serde_json::to_string(&v).expect("serialize");
            assert_eq!(json, format!("\"{wire}\""), "serde and as_str disagree for {v:?}");
            let back: T = serde_json::from_str(&json).expect("deserialize");
            assert_eq!(back, v);
        }
    }

    #[test]
    fn every_value_round_trips_and_serde_agrees_with_as_str() {
        check_vocabulary(TicketStatus::ALL, TicketStatus::as_str, TicketStatus::label_zh);
        check_vocabulary(Priority::ALL, Priority::as_str, Priority::label_zh);
        check_vocabulary(Tier::ALL, Tier::as_str, Tier::label_zh);
        check_vocabulary(Channel::ALL, Channel::as_str, Channel::label_zh);
        for &s in TicketStatus::ALL {
            assert_eq!(TicketStatus::parse(s.as_str()).expect("parse"), s);
        }
        for &p in Priority::ALL {
            assert_eq!(Priority::parse(p.as_str()).expect("parse"), p);
        }
        for &t in Tier::ALL {
            assert_eq!(Tier::parse(t.as_str()).expect("parse"), t);
        }
        for &c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()).expect("parse"), c);
        }
    }

    #[test]
    fn the_chinese_labels_are_the_domain_names() {
        assert_eq!(TicketStatus::PendingCustomer.label_zh(), "待客户回复");
        assert_eq!(Channel::LeftMessage.label_zh(), "留言");
        assert_eq!(Tier::L3.label_zh(), "三级响应");
        assert_eq!(Priority::Urgent.label_zh(), "紧急");
        assert_eq!(TicketStatus::OnHold.as_str(), "on_hold");
        assert_eq!(Channel::LeftMessage.to_string(), "left_message");
    }

    #[test]
    fn parse_errors_name_the_field_and_list_the_allowed_values() {
        let e = TicketStatus::parse("pending").expect_err("unknown status");
        assert_eq!(e.code, crate::ErrorCode::Validation);
        assert_eq!(e.field.as_deref(), Some("status"));
        assert!(e.message.contains("'pending'"), "{}", e.message);
        assert!(
            e.message.contains("new, open, pending_customer, on_hold, resolved, closed"),
            "{}",
            e.message
        );

        let e = Channel::parse("wechat").expect_err("unknown channel");
        assert_eq!(e.field.as_deref(), Some("channel"));
        assert!(e.message.contains("left_message"), "{}", e.message);
        assert_eq!(Priority::parse("HIGH").expect_err("case matters").field.as_deref(), Some("priority"));
        assert_eq!(Tier::parse("L4").expect_err("no L4").field.as_deref(), Some("tier"));
    }

    #[test]
    fn tiers_and_priorities_are_ordered() {
        assert!(Tier::L1 < Tier::L2 && Tier::L2 < Tier::L3);
        assert!(Priority::Low < Priority::Normal && Priority::High < Priority::Urgent);
        assert_eq!(Priority::default(), Priority::Normal);
        assert!(TicketStatus::OnHold.is_active() && !TicketStatus::Resolved.is_active());
    }

    #[test]
    fn the_openapi_schema_uses_the_wire_names() {
        let schema = serde_json::to_string(&<TicketStatus as utoipa::PartialSchema>::schema()).expect("json");
        assert!(schema.contains("pending_customer") && schema.contains("on_hold"), "{schema}");
        let schema = serde_json::to_string(&<Channel as utoipa::PartialSchema>::schema()).expect("json");
        assert!(schema.contains("left_message"), "{schema}");
    }
}
