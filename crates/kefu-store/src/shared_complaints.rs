// Queries for complaints (投诉) and their workflow, shared by both backends; `include!`d by `sqlite.rs` and `postgres.rs`.

use crate::complaints::*;

#[async_trait]
impl ComplaintStore for StoreImpl {}
