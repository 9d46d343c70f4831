//! Routing (路由 / 分配): which skill group (技能组) a waiting chat session or ticket goes to, which agent
//! gets it, and in which order the queue (排队) is served. Pure functions: state in, choice out.
//!
//! The server loads the state (groups, agents with presence, memberships, certifications, capacity and
//! load), calls these functions, and records each [`Choice`] as a ticket event with its rule text.
//!
//! * [`check_go_online`] is the on-duty gate (上岗资格, STAFF-1): going online (在线) needs on-duty
//!   certification (上岗认证) for a group the agent is a member of.
//! * [`select_group`] places a request: VIP requests (大客户 / VIP) in a VIP-dedicated group (ORG-3) first,
//!   then the merchant's own groups by position, then the platform's.
//! * [`choose_agent`] picks among online, certified members of the same tenant under capacity (接待上限):
//!   the sticky agent first (首问负责制), then the group's [`Strategy`] (轮询 / 最少负载 / 技能优先).
//!   A request is never served across tenants.
//! * [`queue_order`], [`position_in_queue`]: VIP first, then priority, then first come first served.
//! * [`overflow`]: the backup group (溢出组) once a request has waited long enough.
//! * [`route_batch`] serves a whole queue against shared capacity.
//!
//! Nothing here reads a clock: `now` is passed in as [`Millis`](crate::time::Millis).

mod engine;
mod model;
mod refusal;
mod validate;

#[cfg(test)]
mod tests;

pub use engine::{
    check_assignable, check_capacity, check_go_online, check_presence_change, choose_agent, overflow,
    overflow_due_at, position_in_queue, queue_cmp, queue_order, route_batch, select_group,
};
pub use model::{
    AgentState, Capacity, Choice, GroupMatch, Load, Membership, Presence, Request, SkillGroup, Strategy,
    WorkKind, DEFAULT_MAX_CHATS, DEFAULT_MAX_TICKETS,
};
pub use refusal::{NoAgent, Refusal};
pub use validate::{
    MAX_AWAY_REASON_CHARS, MAX_CHATS_LIMIT, MAX_GROUP_NAME_CHARS, MAX_OVERFLOW_AFTER_SECS, MAX_TICKETS_LIMIT,
};
