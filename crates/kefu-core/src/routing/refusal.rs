//! Why an agent may not take work or go online ([`Refusal`]), and why a request found nobody ([`NoAgent`]).
//!
//! Each has a stable code (clients may match on it; never rename one) and a message in Chinese and English.

use super::model::WorkKind;
use crate::error::{DomainError, ErrorCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Why one agent is refused: going online, or being given a particular piece of work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Refusal {
    /// No on-duty certification (上岗认证, STAFF-1) for the group(s) named.
    NotCertified { group: String },
    /// At the limit (接待上限) for this kind of work.
    AtCapacity { channel: WorkKind, limit: u32 },
    /// The agent or the group belongs to another merchant (or to the platform).
    WrongTenant,
    /// The agent is not a member of the skill group.
    NotMember,
    /// Going online: the agent belongs to no skill group at all.
    NoGroup,
    /// The agent is not online (busy, away or offline).
    Offline,
}

impl Refusal {
    /// The stable code, also the serde tag.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::NotCertified { .. } => "not_certified",
            Refusal::AtCapacity { .. } => "at_capacity",
            Refusal::WrongTenant => "wrong_tenant",
            Refusal::NotMember => "not_member",
            Refusal::NoGroup => "no_group",
            Refusal::Offline => "offline",
        }
    }

    /// The message in Chinese, for the UI.
    pub fn message_zh(&self) -> String {
        match self {
            Refusal::NotCertified { group } => format!("未通过上岗认证，不能接待（{group}）"),
            Refusal::AtCapacity { channel, limit } => {
                format!("{}已达接待上限（{limit}）", channel.label_zh())
            }
            Refusal::WrongTenant => "不属于该商家，不能接待".to_string(),
            Refusal::NotMember => "不是该技能组成员".to_string(),
            Refusal::NoGroup => "未加入任何技能组，不能上线；请主管先把你加入技能组".to_string(),
            Refusal::Offline => "客服不在线".to_string(),
        }
    }

    /// The message in English.
    pub fn message_en(&self) -> String {
        match self {
            Refusal::NotCertified { group } => format!("not certified for on-duty service in {group}"),
            Refusal::AtCapacity { channel, limit } => {
                format!("at capacity: {limit} {}s at most", channel.as_str())
            }
            Refusal::WrongTenant => "belongs to another merchant or to the platform".to_string(),
            Refusal::NotMember => "not a member of the skill group".to_string(),
            Refusal::NoGroup => {
                "a member of no skill group, so cannot go online; ask a supervisor to add you".to_string()
            }
            Refusal::Offline => "the agent is not online".to_string(),
        }
    }

    /// The error code the API answers with: `forbidden` for who the agent is, `conflict` for their state.
    pub fn error_code(&self) -> ErrorCode {
        match self {
            Refusal::NotCertified { .. } | Refusal::WrongTenant | Refusal::NotMember | Refusal::NoGroup => {
                ErrorCode::Forbidden
            }
            Refusal::AtCapacity { .. } | Refusal::Offline => ErrorCode::Conflict,
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message_zh(), self.message_en())
    }
}

impl std::error::Error for Refusal {}

impl From<Refusal> for DomainError {
    fn from(r: Refusal) -> DomainError {
        match r.error_code() {
            ErrorCode::Forbidden => DomainError::forbidden(r.to_string()),
            _ => DomainError::conflict(None, r.to_string()),
        }
    }
}

/// Why no agent could be chosen for a request, for the customer's and the supervisor's message. When
/// several agents fail for different reasons, the reason of the agent who came closest is given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum NoAgent {
    /// The group belongs to another merchant: a request is never served across tenants.
    WrongTenant,
    /// The group has no members of the request's tenant.
    NoMembers,
    /// Members exist but none holds on-duty certification (上岗认证) for the group.
    NoneCertified,
    /// Certified members exist but none is online (they are busy, away or offline).
    NobodyOnline,
    /// Online agents exist but none serves in the request's language.
    NoLanguage { language: String },
    /// Every suitable online agent is at capacity (接待上限): the request waits in the queue.
    AllAtCapacity,
}

impl NoAgent {
    /// The stable code, also the serde tag.
    pub fn code(&self) -> &'static str {
        match self {
            NoAgent::WrongTenant => "wrong_tenant",
            NoAgent::NoMembers => "no_members",
            NoAgent::NoneCertified => "none_certified",
            NoAgent::NobodyOnline => "nobody_online",
            NoAgent::NoLanguage { .. } => "no_language",
            NoAgent::AllAtCapacity => "all_at_capacity",
        }
    }

    /// The message in Chinese, for the supervisor (the customer sees [`customer_message_zh`](Self::customer_message_zh)).
    pub fn message_zh(&self) -> String {
        match self {
            NoAgent::WrongTenant => "技能组不属于该商家，不能跨商家分配".to_string(),
            NoAgent::NoMembers => "技能组没有可分配的成员".to_string(),
            NoAgent::NoneCertified => "技能组成员均未通过上岗认证".to_string(),
            NoAgent::NobodyOnline => "技能组当前无客服在线".to_string(),
            NoAgent::NoLanguage { language } => format!("在线客服均不支持该语言（{language}）"),
            NoAgent::AllAtCapacity => "在线客服均已达接待上限，请排队等候".to_string(),
        }
    }

    /// The message in English.
    pub fn message_en(&self) -> String {
        match self {
            NoAgent::WrongTenant => "the skill group belongs to another merchant".to_string(),
            NoAgent::NoMembers => "the skill group has no members who may serve this request".to_string(),
            NoAgent::NoneCertified => {
                "no member of the skill group is certified for on-duty service".to_string()
            }
            NoAgent::NobodyOnline => "no agent of the skill group is online".to_string(),
            NoAgent::NoLanguage { language } => format!("no online agent serves in '{language}'"),
            NoAgent::AllAtCapacity => "every online agent is at capacity; the request waits".to_string(),
        }
    }

    /// What the customer is told: either "please wait" or "leave a message" (留言).
    pub fn customer_message_zh(&self) -> &'static str {
        match self {
            NoAgent::AllAtCapacity => "客服正忙，您已进入排队，请稍候",
            _ => "当前暂无客服在线，您可以留言，我们会尽快回复",
        }
    }

    /// Whether waiting helps (all busy) rather than nobody being there to serve (offer a left message).
    pub fn should_wait(&self) -> bool {
        matches!(self, NoAgent::AllAtCapacity)
    }
}

impl std::fmt::Display for NoAgent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message_zh(), self.message_en())
    }
}

impl std::error::Error for NoAgent {}
