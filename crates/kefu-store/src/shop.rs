//! Storage of shop system actions (店铺操作: modify address, cancel, refund, resend) sent to the merchant's shop system.

use async_trait::async_trait;

#[async_trait]
pub trait ShopStore {}
