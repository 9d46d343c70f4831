// Queries for shop system actions (店铺操作: modify address, cancel, refund, resend) sent to the merchant's shop system, shared by both backends; `include!`d by `sqlite.rs` and `postgres.rs`.

use crate::shop::*;

#[async_trait]
impl ShopStore for StoreImpl {}
