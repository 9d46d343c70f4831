//! kefu domain core: the rules of customer service as pure functions over plain types.
//!
//! Nothing in this crate performs I/O or awaits. Storage and the server call into it; it never calls out.

pub mod aftersales;
pub mod audit;
pub mod authority;
pub mod authz;
pub mod calendar;
pub mod complaint;
pub mod complaint_analysis;
pub mod error;
pub mod member;
pub mod money;
pub mod nps;
pub mod order;
pub mod org;
pub mod pii;
pub mod routing;
pub mod satisfaction;
pub mod security;
pub mod shop;
pub mod sla;
pub mod text;
pub mod ticket;
pub mod time;

pub use error::{DomainError, ErrorCode};
