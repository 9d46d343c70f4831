//! Storage of satisfaction ratings (满意度评价) and follow-up visits (回访).

use async_trait::async_trait;

#[async_trait]
pub trait SatisfactionStore {}
