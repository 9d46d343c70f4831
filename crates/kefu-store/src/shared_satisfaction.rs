// Queries for satisfaction ratings (满意度评价) and follow-up visits (回访), shared by both backends; `include!`d by `sqlite.rs` and `postgres.rs`.

use crate::satisfaction::*;

#[async_trait]
impl SatisfactionStore for StoreImpl {}
