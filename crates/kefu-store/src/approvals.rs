//! Storage of 审批 (approvals) of promises above an agent's authority limit and the limits themselves.

use async_trait::async_trait;

#[async_trait]
pub trait ApprovalStore {}
