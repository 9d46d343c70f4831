// Queries for 审批 (approvals) of promises above an agent's authority limit and the limits themselves, shared by both backends; `include!`d by `sqlite.rs` and `postgres.rs`.

use crate::approvals::*;

#[async_trait]
impl ApprovalStore for StoreImpl {}
