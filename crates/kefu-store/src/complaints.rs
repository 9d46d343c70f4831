//! Storage of complaints (投诉) and their workflow.

use async_trait::async_trait;

#[async_trait]
pub trait ComplaintStore {}
