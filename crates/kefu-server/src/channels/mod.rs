//! Channels (渠道): how customers' requests arrive — chat, email, phone, app/API — and how replies and
//! events leave (outbound email, webhooks). Every channel lands in the same ticket and conversation
//! model through `intake`.

pub mod app;
pub mod chat;
pub mod email;
pub mod intake;
pub mod phone;
pub mod webhooks;
