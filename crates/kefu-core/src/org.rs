//! Organisation model (ORG-1, ORG-2): roles, teams, departments, and validation of their names.

use crate::error::DomainError;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Staff roles. The career path 专员 → 主管 → 经理 → 总监 runs agent → supervisor → manager → director.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 客服专员
    Agent,
    /// 资深客服
    SeniorAgent,
    /// 主管
    Supervisor,
    /// 经理
    Manager,
    /// 总监
    Director,
    /// 质检员
    QaInspector,
    /// 培训师
    Trainer,
    /// 商家管理员: runs one merchant's service
    MerchantAdmin,
    /// 平台管理员
    PlatformAdmin,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::Agent,
        Role::SeniorAgent,
        Role::Supervisor,
        Role::Manager,
        Role::Director,
        Role::QaInspector,
        Role::Trainer,
        Role::MerchantAdmin,
        Role::PlatformAdmin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::SeniorAgent => "senior_agent",
            Role::Supervisor => "supervisor",
            Role::Manager => "manager",
            Role::Director => "director",
            Role::QaInspector => "qa_inspector",
            Role::Trainer => "trainer",
            Role::MerchantAdmin => "merchant_admin",
            Role::PlatformAdmin => "platform_admin",
        }
    }

    /// The Chinese name shown in the UI.
    pub fn label_zh(self) -> &'static str {
        match self {
            Role::Agent => "客服专员",
            Role::SeniorAgent => "资深客服",
            Role::Supervisor => "主管",
            Role::Manager => "经理",
            Role::Director => "总监",
            Role::QaInspector => "质检员",
            Role::Trainer => "培训师",
            Role::MerchantAdmin => "商家管理员",
            Role::PlatformAdmin => "平台管理员",
        }
    }

    pub fn parse(s: &str) -> Result<Role, DomainError> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| {
            let names: Vec<_> = Role::ALL.iter().map(|r| r.as_str()).collect();
            DomainError::validation(
                "role",
                format!("unknown role '{s}'; expected one of {}", names.join(", ")),
            )
        })
    }

    /// Roles that belong to the platform itself and cannot be attached to a merchant.
    pub fn is_platform_only(self) -> bool {
        matches!(self, Role::PlatformAdmin)
    }

    /// Roles that only make sense inside a merchant.
    pub fn requires_merchant(self) -> bool {
        matches!(self, Role::MerchantAdmin)
    }
}

/// Who a team (客服组) belongs to (ORG-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TeamOwner {
    /// The platform's own service department.
    Platform,
    /// A merchant's (入驻商家) own team.
    Merchant,
    /// A vendor's outsourced team (外包团队) serving assigned queues.
    Outsourced,
}

impl TeamOwner {
    pub fn as_str(self) -> &'static str {
        match self {
            TeamOwner::Platform => "platform",
            TeamOwner::Merchant => "merchant",
            TeamOwner::Outsourced => "outsourced",
        }
    }
    pub fn parse(s: &str) -> Result<TeamOwner, DomainError> {
        match s {
            "platform" => Ok(TeamOwner::Platform),
            "merchant" => Ok(TeamOwner::Merchant),
            "outsourced" => Ok(TeamOwner::Outsourced),
            _ => Err(DomainError::validation("owner", format!("unknown team owner '{s}'"))),
        }
    }
}

/// Departments shipped by default (ORG-4); admins add more.
pub const DEFAULT_DEPARTMENTS: [(&str, &str); 6] = [
    ("product", "产品部"),
    ("technical", "技术部"),
    ("logistics", "物流部"),
    ("finance", "财务部"),
    ("legal", "法务部"),
    ("operations", "运营部"),
];

/// Member tiers (会员等级, EC-5) shipped by default, lowest first.
pub const DEFAULT_MEMBER_TIERS: [(&str, &str); 4] =
    [("regular", "普通会员"), ("silver", "银卡会员"), ("gold", "金卡会员"), ("diamond", "钻石会员")];

/// A display name: trimmed, 1..=100 characters, no control characters.
pub fn validate_name(field: &str, value: &str) -> Result<String, DomainError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(DomainError::validation(field, format!("{field} must not be empty")));
    }
    if v.chars().count() > 100 {
        return Err(DomainError::validation(field, format!("{field} must be at most 100 characters")));
    }
    if v.chars().any(char::is_control) {
        return Err(DomainError::validation(field, format!("{field} must not contain control characters")));
    }
    Ok(v.to_string())
}

/// A code (slug): 2..=40 of a-z, 0-9, '-', '_', starting with a letter.
pub fn validate_code(field: &str, value: &str) -> Result<String, DomainError> {
    let ok = (2..=40).contains(&value.len())
        && value.starts_with(|c: char| c.is_ascii_lowercase())
        && value.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if ok {
        Ok(value.to_string())
    } else {
        Err(DomainError::validation(
            field,
            format!("{field} must be 2-40 characters of a-z, 0-9, '-' or '_', starting with a letter"),
        ))
    }
}

/// A login name: 3..=64 of letters, digits, '.', '-', '_', '@'.
pub fn validate_username(value: &str) -> Result<String, DomainError> {
    let ok = (3..=64).contains(&value.len())
        && value.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '@'));
    if ok {
        Ok(value.to_string())
    } else {
        Err(DomainError::validation(
            "username",
            "username must be 3-64 characters of letters, digits, '.', '-', '_' or '@'",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips_through_its_name() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()).unwrap(), r);
        }
        let e = Role::parse("boss").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("role"));
        assert!(e.message.contains("platform_admin"));
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(validate_name("name", "  京东自营  ").unwrap(), "京东自营");
        assert!(validate_name("name", "   ").is_err());
        assert!(validate_name("name", &"客".repeat(101)).is_err());
        assert!(validate_name("name", "a\u{0}b").is_err());
    }

    #[test]
    fn codes_and_usernames_refuse_hostile_text() {
        assert!(validate_code("code", "shop-a").is_ok());
        assert!(validate_code("code", "Shop").is_err());
        assert!(validate_code("code", "a'; DROP TABLE x;--").is_err());
        assert!(validate_username("li.lei@shop").is_ok());
        assert!(validate_username("ab").is_err());
        assert!(validate_username("li lei").is_err());
        assert!(validate_username("x\r\nSet-Cookie: a").is_err());
    }
}
