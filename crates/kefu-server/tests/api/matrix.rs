//! The permission matrix: every endpoint of the OpenAPI document × every role × own and foreign merchant.
//!
//! The expected answer comes from the rule table below, written independently of the server's code:
//! a role without the permission gets 403, a merchant's staff reaching another merchant's object gets 404
//! (no existence leak), everything else is allowed. An endpoint without a rule here fails the test, so a
//! new endpoint cannot ship without a decision about who may call it.

use crate::both_backends;
use crate::common::{Backend, TestApp, PASSWORD};
use kefu_core::authz::{Action, Scope};
use kefu_core::org::{Role, TeamOwner};
use kefu_store::{
    AuditCtx, NewApiToken, NewCustomer, NewDepartment, NewMerchant, NewSavedView, NewTeam, TicketFilter,
};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Obj {
    Merchant,
    Team,
    User,
    Token,
    Customer,
    Ticket,
    Attachment,
    /// A shared view, created fresh for each call (deleting it is the call).
    View,
    /// A merchant's own SLA policy.
    SlaPolicy,
    /// A merchant's own business calendar.
    Calendar,
    /// A merchant's own skill group.
    Group,
    /// A merchant's shared quick reply.
    QuickReply,
    /// An order pushed by a merchant's shop system.
    Order,
    /// A merchant's webhook subscription (deleting it is made per call).
    Webhook,
    /// A delivery of a merchant's webhook subscription.
    WebhookDelivery,
    /// A call-back task (回拨任务) of a merchant's missed call.
    Callback,
    /// A merchant's support mailbox (email channel).
    Mailbox,
    /// An after-sales case (售后单) of a merchant's order.
    Case,
    /// An approval request (审批) for a promise above an agent's limit on a merchant's ticket.
    Approval,
    /// A follow-up visit (回访) of a merchant's ticket, in the supervisors' queue.
    FollowUp,
    /// A complaint (投诉) opened on a merchant's ticket.
    Complaint,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// Anyone may call it (login).
    Public,
    /// Acts on the caller's own account.
    Own,
    /// Ends the caller's session: called with a throwaway login.
    Logout,
    /// A list: never shows another merchant's objects to a merchant's staff.
    List(Option<Obj>),
    /// A create whose body may name a merchant: the foreign variant names merchant B.
    Create,
    /// A platform-wide setting.
    Platform,
    /// One object of merchant A (own) or merchant B (foreign).
    Item(Obj),
    /// Acts on a list of tickets: foreign tickets are reported per ticket as not found.
    Bulk,
    /// A scoped read that is not a list (live view, attendance, a stream).
    Read,
    /// Authenticated by a signature with the merchant's shop secret, not by a token (the shop system's
    /// order intake and results): 401 without one, whoever calls.
    Signed,
}

struct Rule {
    method: &'static str,
    path: &'static str,
    permission: &'static str,
    kind: Kind,
}

const RULES: &[Rule] = &[
    Rule { method: "post", path: "/api/v1/auth/login", permission: "", kind: Kind::Public },
    Rule { method: "post", path: "/api/v1/auth/logout", permission: "self_service", kind: Kind::Logout },
    Rule { method: "get", path: "/api/v1/notifications", permission: "self_service", kind: Kind::Own },
    Rule { method: "get", path: "/api/v1/notifications/wait", permission: "self_service", kind: Kind::Own },
    Rule {
        method: "post",
        path: "/api/v1/notifications/read-all",
        permission: "self_service",
        kind: Kind::Own,
    },
    // Marking read: someone else's notification id is simply not found.
    Rule {
        method: "post",
        path: "/api/v1/notifications/{id}/read",
        permission: "self_service",
        kind: Kind::Own,
    },
    Rule { method: "get", path: "/api/v1/me", permission: "self_service", kind: Kind::Own },
    Rule { method: "post", path: "/api/v1/me/password", permission: "self_service", kind: Kind::Own },
    Rule { method: "post", path: "/api/v1/me/totp/enroll", permission: "self_service", kind: Kind::Own },
    Rule { method: "post", path: "/api/v1/me/totp/confirm", permission: "self_service", kind: Kind::Own },
    Rule { method: "delete", path: "/api/v1/me/totp", permission: "self_service", kind: Kind::Own },
    Rule {
        method: "get",
        path: "/api/v1/merchants",
        permission: "merchant.read",
        kind: Kind::List(Some(Obj::Merchant)),
    },
    Rule { method: "post", path: "/api/v1/merchants", permission: "merchant.manage", kind: Kind::Platform },
    Rule {
        method: "get",
        path: "/api/v1/merchants/{id}",
        permission: "merchant.read",
        kind: Kind::Item(Obj::Merchant),
    },
    Rule {
        method: "patch",
        path: "/api/v1/merchants/{id}",
        permission: "merchant.manage",
        kind: Kind::Item(Obj::Merchant),
    },
    Rule { method: "get", path: "/api/v1/teams", permission: "team.read", kind: Kind::List(Some(Obj::Team)) },
    Rule { method: "post", path: "/api/v1/teams", permission: "team.manage", kind: Kind::Create },
    Rule { method: "get", path: "/api/v1/teams/{id}", permission: "team.read", kind: Kind::Item(Obj::Team) },
    Rule {
        method: "get",
        path: "/api/v1/departments",
        permission: "department.read",
        kind: Kind::List(None),
    },
    Rule { method: "post", path: "/api/v1/departments", permission: "department.manage", kind: Kind::Create },
    Rule {
        method: "get",
        path: "/api/v1/settings/security",
        permission: "security.manage",
        kind: Kind::Platform,
    },
    Rule {
        method: "put",
        path: "/api/v1/settings/security",
        permission: "security.manage",
        kind: Kind::Platform,
    },
    Rule {
        method: "get",
        path: "/api/v1/settings/retention",
        permission: "security.manage",
        kind: Kind::Platform,
    },
    Rule {
        method: "put",
        path: "/api/v1/settings/retention",
        permission: "security.manage",
        kind: Kind::Platform,
    },
    Rule { method: "get", path: "/api/v1/users", permission: "user.read", kind: Kind::List(Some(Obj::User)) },
    Rule { method: "post", path: "/api/v1/users", permission: "user.manage", kind: Kind::Create },
    Rule { method: "get", path: "/api/v1/users/{id}", permission: "user.read", kind: Kind::Item(Obj::User) },
    Rule {
        method: "patch",
        path: "/api/v1/users/{id}",
        permission: "user.manage",
        kind: Kind::Item(Obj::User),
    },
    Rule {
        method: "post",
        path: "/api/v1/users/{id}/unlock",
        permission: "user.manage",
        kind: Kind::Item(Obj::User),
    },
    Rule {
        method: "post",
        path: "/api/v1/users/{id}/password",
        permission: "user.manage",
        kind: Kind::Item(Obj::User),
    },
    Rule {
        method: "delete",
        path: "/api/v1/users/{id}/totp",
        permission: "user.manage",
        kind: Kind::Item(Obj::User),
    },
    Rule {
        method: "get",
        path: "/api/v1/api-tokens",
        permission: "token.manage",
        kind: Kind::List(Some(Obj::Token)),
    },
    Rule { method: "post", path: "/api/v1/api-tokens", permission: "token.manage", kind: Kind::Create },
    Rule {
        method: "delete",
        path: "/api/v1/api-tokens/{id}",
        permission: "token.manage",
        kind: Kind::Item(Obj::Token),
    },
    Rule {
        method: "get",
        path: "/api/v1/customers",
        permission: "customer.read",
        kind: Kind::List(Some(Obj::Customer)),
    },
    Rule {
        method: "patch",
        path: "/api/v1/customers/{id}",
        permission: "customer.manage",
        kind: Kind::Item(Obj::Customer),
    },
    Rule {
        method: "post",
        path: "/api/v1/customers/{id}/reveal",
        permission: "customer.reveal",
        kind: Kind::Item(Obj::Customer),
    },
    Rule {
        method: "post",
        path: "/api/v1/customers/{id}/merge",
        permission: "customer.manage",
        kind: Kind::Item(Obj::Customer),
    },
    Rule {
        method: "get",
        path: "/api/v1/customers/{id}/tickets",
        permission: "customer.read",
        kind: Kind::Item(Obj::Customer),
    },
    Rule { method: "post", path: "/api/v1/customers", permission: "customer.manage", kind: Kind::Create },
    Rule {
        method: "get",
        path: "/api/v1/customers/{id}",
        permission: "customer.read",
        kind: Kind::Item(Obj::Customer),
    },
    Rule { method: "get", path: "/api/v1/audit", permission: "audit.read", kind: Kind::List(None) },
    Rule {
        method: "get",
        path: "/api/v1/tickets",
        permission: "ticket.read",
        kind: Kind::List(Some(Obj::Ticket)),
    },
    Rule { method: "post", path: "/api/v1/tickets", permission: "ticket.work", kind: Kind::Create },
    Rule {
        method: "get",
        path: "/api/v1/tickets/{id}",
        permission: "ticket.read",
        kind: Kind::Item(Obj::Ticket),
    },
    Rule {
        method: "patch",
        path: "/api/v1/tickets/{id}",
        permission: "ticket.work",
        kind: Kind::Item(Obj::Ticket),
    },
    Rule {
        method: "get",
        path: "/api/v1/tickets/{id}/events",
        permission: "ticket.read",
        kind: Kind::Item(Obj::Ticket),
    },
    Rule {
        method: "post",
        path: "/api/v1/tickets/{id}/replies",
        permission: "ticket.work",
        kind: Kind::Item(Obj::Ticket),
    },
    Rule {
        method: "post",
        path: "/api/v1/tickets/{id}/notes",
        permission: "ticket.work",
        kind: Kind::Item(Obj::Ticket),
    },
    Rule {
        method: "post",
        path: "/api/v1/tickets/{id}/customer-replies",
        permission: "ticket.work",
        kind: Kind::Item(Obj::Ticket),
    },
    Rule {
        method: "post",
        path: "/api/v1/tickets/{id}/take",
        permission: "ticket.work",
        kind: Kind::Item(Obj::Ticket),
    },
    Rule {
        method: "post",
        path: "/api/v1/tickets/{id}/status-link",
        permission: "ticket.work",
        kind: Kind::Item(Obj::Ticket),
    },
    Rule {
        method: "post",
        path: "/api/v1/tickets/{id}/aftersales-link",
        permission: "aftersales.work",
        kind: Kind::Item(Obj::Ticket),
    },
    Rule {
        method: "post",
        path: "/api/v1/tickets/{id}/accept",
        permission: "ticket.work",
        kind: Kind::Item(Obj::Ticket),
    },
    Rule {
        method: "post",
        path: "/api/v1/tickets/{id}/decline",
        permission: "ticket.work",
        kind: Kind::Item(Obj::Ticket),
    },
    Rule {
        method: "post",
        path: "/api/v1/tickets/{id}/assign",
        permission: "ticket.supervise",
        kind: Kind::Item(Obj::Ticket),
    },
    Rule {
        method: "post",
        path: "/api/v1/tickets/{id}/transfer",
        permission: "ticket.work",
        kind: Kind::Item(Obj::Ticket),
    },
    Rule {
        method: "post",
        path: "/api/v1/tickets/{id}/escalate",
        permission: "ticket.work",
        kind: Kind::Item(Obj::Ticket),
    },
    Rule {
        method: "post",
        path: "/api/v1/tickets/{id}/status",
        permission: "ticket.work",
        kind: Kind::Item(Obj::Ticket),
    },
    Rule {
        method: "post",
        path: "/api/v1/tickets/{id}/department-tasks",
        permission: "ticket.work",
        kind: Kind::Item(Obj::Ticket),
    },
    // Answering needs ticket.work, and then (on a ticket one may see) membership of the department or
    // supervision; the matrix's staff belong to no department.
    Rule {
        method: "post",
        path: "/api/v1/tickets/{id}/department-tasks/{task_no}/answer",
        permission: "ticket.work>ticket.supervise",
        kind: Kind::Item(Obj::Ticket),
    },
    Rule {
        method: "post",
        path: "/api/v1/tickets/{id}/merge",
        permission: "ticket.supervise",
        kind: Kind::Item(Obj::Ticket),
    },
    Rule {
        method: "post",
        path: "/api/v1/tickets/{id}/links",
        permission: "ticket.work",
        kind: Kind::Item(Obj::Ticket),
    },
    Rule {
        method: "post",
        path: "/api/v1/tickets/{id}/split",
        permission: "ticket.work",
        kind: Kind::Item(Obj::Ticket),
    },
    Rule {
        method: "post",
        path: "/api/v1/tickets/{id}/follow-up",
        permission: "ticket.work",
        kind: Kind::Item(Obj::Ticket),
    },
    Rule {
        method: "post",
        path: "/api/v1/tickets/{id}/attachments",
        permission: "ticket.work",
        kind: Kind::Item(Obj::Ticket),
    },
    Rule { method: "post", path: "/api/v1/tickets/bulk", permission: "ticket.supervise", kind: Kind::Bulk },
    Rule {
        method: "get",
        path: "/api/v1/attachments/{id}",
        permission: "ticket.read",
        kind: Kind::Item(Obj::Attachment),
    },
    Rule { method: "get", path: "/api/v1/categories", permission: "ticket.read", kind: Kind::List(None) },
    Rule { method: "post", path: "/api/v1/categories", permission: "ticket.supervise", kind: Kind::Create },
    Rule { method: "get", path: "/api/v1/views", permission: "ticket.read", kind: Kind::List(None) },
    Rule { method: "post", path: "/api/v1/views", permission: "ticket.read", kind: Kind::Own },
    // Any reader may delete their own views; shared ones (the fixture) need supervision, asked after scope.
    Rule {
        method: "delete",
        path: "/api/v1/views/{id}",
        permission: "ticket.read>ticket.supervise",
        kind: Kind::Item(Obj::View),
    },
    Rule {
        method: "get",
        path: "/api/v1/department-tasks",
        permission: "ticket.read",
        kind: Kind::List(None),
    },
    Rule {
        method: "get",
        path: "/api/v1/tickets/{id}/sla",
        permission: "ticket.read",
        kind: Kind::Item(Obj::Ticket),
    },
    Rule { method: "get", path: "/api/v1/sla/policies", permission: "sla.read", kind: Kind::List(None) },
    Rule { method: "post", path: "/api/v1/sla/policies", permission: "sla.manage", kind: Kind::Create },
    Rule {
        method: "put",
        path: "/api/v1/sla/policies/{id}",
        permission: "sla.manage",
        kind: Kind::Item(Obj::SlaPolicy),
    },
    Rule { method: "get", path: "/api/v1/sla/calendars", permission: "sla.read", kind: Kind::List(None) },
    Rule { method: "post", path: "/api/v1/sla/calendars", permission: "sla.manage", kind: Kind::Create },
    Rule {
        method: "put",
        path: "/api/v1/sla/calendars/{id}",
        permission: "sla.manage",
        kind: Kind::Item(Obj::Calendar),
    },
    Rule {
        method: "put",
        path: "/api/v1/sla/calendar-assignments",
        permission: "sla.manage",
        kind: Kind::Create,
    },
    Rule { method: "get", path: "/api/v1/sla/holidays", permission: "sla.read", kind: Kind::List(None) },
    Rule { method: "post", path: "/api/v1/sla/holidays", permission: "holiday.manage", kind: Kind::Platform },
    Rule { method: "get", path: "/api/v1/reports/sla", permission: "sla.read", kind: Kind::List(None) },
    Rule { method: "get", path: "/api/v1/reports/overview", permission: "sla.read", kind: Kind::Read },
    Rule { method: "get", path: "/api/v1/public/commitments", permission: "", kind: Kind::Public },
    Rule { method: "get", path: "/api/v1/me/presence", permission: "self_service", kind: Kind::Own },
    Rule { method: "put", path: "/api/v1/me/presence", permission: "self_service", kind: Kind::Own },
    Rule {
        method: "post",
        path: "/api/v1/me/presence/heartbeat",
        permission: "self_service",
        kind: Kind::Own,
    },
    Rule {
        method: "get",
        path: "/api/v1/routing/groups",
        permission: "routing.read",
        kind: Kind::List(None),
    },
    Rule { method: "post", path: "/api/v1/routing/groups", permission: "routing.manage", kind: Kind::Create },
    Rule {
        method: "put",
        path: "/api/v1/routing/groups/{id}",
        permission: "routing.manage",
        kind: Kind::Item(Obj::Group),
    },
    Rule {
        method: "get",
        path: "/api/v1/routing/groups/{id}/members",
        permission: "routing.read",
        kind: Kind::Item(Obj::Group),
    },
    Rule {
        method: "put",
        path: "/api/v1/routing/groups/{id}/members",
        permission: "routing.manage",
        kind: Kind::Item(Obj::Group),
    },
    Rule {
        method: "get",
        path: "/api/v1/users/{id}/certifications",
        permission: "routing.read",
        kind: Kind::Item(Obj::User),
    },
    Rule {
        method: "post",
        path: "/api/v1/users/{id}/certifications",
        permission: "certification.grant",
        kind: Kind::Item(Obj::User),
    },
    Rule {
        method: "put",
        path: "/api/v1/users/{id}/capacity",
        permission: "routing.manage",
        kind: Kind::Item(Obj::User),
    },
    Rule { method: "get", path: "/api/v1/routing/live", permission: "routing.read", kind: Kind::Read },
    Rule { method: "get", path: "/api/v1/routing/live/stream", permission: "routing.read", kind: Kind::Read },
    Rule { method: "get", path: "/api/v1/routing/attendance", permission: "routing.read", kind: Kind::Read },
    Rule { method: "get", path: "/api/v1/quick-replies", permission: "ticket.read", kind: Kind::List(None) },
    Rule { method: "post", path: "/api/v1/orders", permission: "channel.intake", kind: Kind::Create },
    // Importing is into the caller's own merchant (platform staff name it in the query).
    Rule { method: "post", path: "/api/v1/orders/import", permission: "channel.intake", kind: Kind::Read },
    Rule {
        method: "get",
        path: "/api/v1/orders/{id}/shop-actions",
        permission: "customer.read",
        kind: Kind::Item(Obj::Order),
    },
    Rule { method: "get", path: "/api/v1/shop-integration", permission: "channel.manage", kind: Kind::Read },
    Rule {
        method: "put",
        path: "/api/v1/shop-integration",
        permission: "channel.manage",
        kind: Kind::Create,
    },
    Rule { method: "post", path: "/api/v1/shop/{merchant_id}/orders", permission: "", kind: Kind::Signed },
    Rule {
        method: "post",
        path: "/api/v1/shop/{merchant_id}/action-results",
        permission: "",
        kind: Kind::Signed,
    },
    // Merchant A's ticket has no shop actions URL: a permitted caller is told so (409).
    Rule {
        method: "post",
        path: "/api/v1/tickets/{id}/shop-actions",
        permission: "aftersales.work",
        kind: Kind::Item(Obj::Ticket),
    },
    Rule {
        method: "get",
        path: "/api/v1/tickets/{id}/shop-actions",
        permission: "ticket.read",
        kind: Kind::Item(Obj::Ticket),
    },
    Rule { method: "get", path: "/api/v1/member-tiers", permission: "customer.read", kind: Kind::Read },
    Rule { method: "put", path: "/api/v1/member-tiers", permission: "authority.manage", kind: Kind::Create },
    Rule { method: "get", path: "/api/v1/nps/schedule", permission: "sla.read", kind: Kind::Read },
    Rule { method: "put", path: "/api/v1/nps/schedule", permission: "sla.manage", kind: Kind::Create },
    Rule { method: "get", path: "/api/v1/reports/nps", permission: "sla.read", kind: Kind::Read },
    Rule { method: "get", path: "/api/v1/reports/complaints", permission: "sla.read", kind: Kind::Read },
    Rule { method: "get", path: "/api/v1/return-rules", permission: "aftersales.read", kind: Kind::Read },
    Rule { method: "put", path: "/api/v1/return-rules", permission: "authority.manage", kind: Kind::Create },
    Rule {
        method: "get",
        path: "/api/v1/orders",
        permission: "customer.read",
        kind: Kind::List(Some(Obj::Order)),
    },
    Rule {
        method: "get",
        path: "/api/v1/orders/{id}",
        permission: "customer.read",
        kind: Kind::Item(Obj::Order),
    },
    Rule {
        method: "post",
        path: "/api/v1/orders/{id}/eligibility",
        permission: "ticket.work",
        kind: Kind::Item(Obj::Order),
    },
    Rule { method: "post", path: "/api/v1/aftersales", permission: "aftersales.work", kind: Kind::Create },
    Rule {
        method: "get",
        path: "/api/v1/aftersales",
        permission: "aftersales.read",
        kind: Kind::List(Some(Obj::Case)),
    },
    Rule {
        method: "get",
        path: "/api/v1/aftersales/{id}",
        permission: "aftersales.read",
        kind: Kind::Item(Obj::Case),
    },
    Rule {
        method: "post",
        path: "/api/v1/aftersales/{id}/agree",
        permission: "aftersales.work",
        kind: Kind::Item(Obj::Case),
    },
    Rule {
        method: "post",
        path: "/api/v1/aftersales/{id}/reject",
        permission: "aftersales.work",
        kind: Kind::Item(Obj::Case),
    },
    Rule {
        method: "post",
        path: "/api/v1/aftersales/{id}/return-shipment",
        permission: "aftersales.work",
        kind: Kind::Item(Obj::Case),
    },
    Rule {
        method: "post",
        path: "/api/v1/aftersales/{id}/receipt",
        permission: "aftersales.work",
        kind: Kind::Item(Obj::Case),
    },
    Rule {
        method: "post",
        path: "/api/v1/aftersales/{id}/refund-executed",
        permission: "aftersales.work",
        kind: Kind::Item(Obj::Case),
    },
    Rule {
        method: "post",
        path: "/api/v1/aftersales/{id}/refund-failed",
        permission: "aftersales.work",
        kind: Kind::Item(Obj::Case),
    },
    Rule {
        method: "post",
        path: "/api/v1/aftersales/{id}/resend",
        permission: "aftersales.work",
        kind: Kind::Item(Obj::Case),
    },
    Rule {
        method: "post",
        path: "/api/v1/aftersales/{id}/cancel",
        permission: "aftersales.work",
        kind: Kind::Item(Obj::Case),
    },
    Rule {
        method: "post",
        path: "/api/v1/aftersales/{id}/dispute",
        permission: "aftersales.work",
        kind: Kind::Item(Obj::Case),
    },
    // Disputes are decided by the platform, never by either party.
    Rule {
        method: "post",
        path: "/api/v1/aftersales/{id}/platform-decision",
        permission: "aftersales.arbitrate",
        kind: Kind::Item(Obj::Case),
    },
    // Authority limits (权限额度): read by whoever works tickets, changed by the merchant's admins.
    Rule { method: "get", path: "/api/v1/authority-limits", permission: "ticket.work", kind: Kind::Read },
    Rule {
        method: "put",
        path: "/api/v1/authority-limits",
        permission: "authority.manage",
        kind: Kind::Create,
    },
    Rule {
        method: "post",
        path: "/api/v1/tickets/{id}/promises",
        permission: "ticket.work",
        kind: Kind::Item(Obj::Ticket),
    },
    Rule { method: "get", path: "/api/v1/approvals", permission: "ticket.work", kind: Kind::List(None) },
    // The fixture's tickets are not resolved: a survey link is refused (409) past the gate and the scope.
    Rule {
        method: "post",
        path: "/api/v1/tickets/{id}/survey-link",
        permission: "ticket.work",
        kind: Kind::Item(Obj::Ticket),
    },
    Rule { method: "get", path: "/api/v1/follow-ups", permission: "ticket.work", kind: Kind::List(None) },
    // The body names merchant A's ticket, the foreign variant merchant B's (its staff: 404).
    Rule { method: "post", path: "/api/v1/follow-ups", permission: "ticket.work", kind: Kind::Create },
    Rule {
        method: "get",
        path: "/api/v1/follow-ups/{id}",
        permission: "ticket.work",
        kind: Kind::Item(Obj::FollowUp),
    },
    // The fixture's visit is in the supervisors' queue: completed by the first supervising caller, then 409.
    Rule {
        method: "post",
        path: "/api/v1/follow-ups/{id}/complete",
        permission: "ticket.work>ticket.supervise",
        kind: Kind::Item(Obj::FollowUp),
    },
    // Complaints (投诉): the body names merchant A's ticket, the foreign variant merchant B's (its staff: 404).
    Rule { method: "post", path: "/api/v1/complaints", permission: "ticket.work", kind: Kind::Create },
    Rule {
        method: "get",
        path: "/api/v1/complaints",
        permission: "ticket.read",
        kind: Kind::List(Some(Obj::Complaint)),
    },
    Rule {
        method: "get",
        path: "/api/v1/complaints/{id}",
        permission: "ticket.read",
        kind: Kind::Item(Obj::Complaint),
    },
    Rule {
        method: "get",
        path: "/api/v1/complaints/{id}/notice",
        permission: "ticket.read",
        kind: Kind::Item(Obj::Complaint),
    },
    Rule {
        method: "get",
        path: "/api/v1/complaints/{id}/evaluation-form",
        permission: "ticket.read",
        kind: Kind::Item(Obj::Complaint),
    },
    // The fixture's complaint (一般) is acknowledged by the first permitted caller; every other step is
    // refused in its stage (409) past the gate and the scope.
    Rule {
        method: "post",
        path: "/api/v1/complaints/{id}/acknowledge",
        permission: "ticket.work",
        kind: Kind::Item(Obj::Complaint),
    },
    Rule {
        method: "post",
        path: "/api/v1/complaints/{id}/claim",
        permission: "ticket.work",
        kind: Kind::Item(Obj::Complaint),
    },
    Rule {
        method: "post",
        path: "/api/v1/complaints/{id}/investigation",
        permission: "ticket.work",
        kind: Kind::Item(Obj::Complaint),
    },
    Rule {
        method: "post",
        path: "/api/v1/complaints/{id}/findings",
        permission: "ticket.work",
        kind: Kind::Item(Obj::Complaint),
    },
    Rule {
        method: "post",
        path: "/api/v1/complaints/{id}/remedy",
        permission: "ticket.work",
        kind: Kind::Item(Obj::Complaint),
    },
    Rule {
        method: "post",
        path: "/api/v1/complaints/{id}/customer-response",
        permission: "ticket.work",
        kind: Kind::Item(Obj::Complaint),
    },
    Rule {
        method: "post",
        path: "/api/v1/complaints/{id}/execution",
        permission: "ticket.work",
        kind: Kind::Item(Obj::Complaint),
    },
    Rule {
        method: "post",
        path: "/api/v1/complaints/{id}/follow-up",
        permission: "ticket.work",
        kind: Kind::Item(Obj::Complaint),
    },
    Rule {
        method: "post",
        path: "/api/v1/complaints/{id}/close",
        permission: "ticket.work",
        kind: Kind::Item(Obj::Complaint),
    },
    Rule { method: "get", path: "/api/v1/reports/satisfaction", permission: "sla.read", kind: Kind::Read },
    Rule {
        method: "get",
        path: "/api/v1/approvals/{id}",
        permission: "ticket.work",
        kind: Kind::Item(Obj::Approval),
    },
    // Approved by the first permitted caller (every deciding role's default limit covers the fixture's
    // 20.01 元 coupon); later decisions and the requester's cancel find it decided (409).
    Rule {
        method: "post",
        path: "/api/v1/approvals/{id}/approve",
        permission: "approval.decide",
        kind: Kind::Item(Obj::Approval),
    },
    Rule {
        method: "post",
        path: "/api/v1/approvals/{id}/reject",
        permission: "approval.decide",
        kind: Kind::Item(Obj::Approval),
    },
    Rule {
        method: "post",
        path: "/api/v1/approvals/{id}/cancel",
        permission: "ticket.work",
        kind: Kind::Item(Obj::Approval),
    },
    // Personal by default: anyone who works tickets may keep their own.
    Rule { method: "post", path: "/api/v1/quick-replies", permission: "ticket.work", kind: Kind::Create },
    // The fixture's replies are shared: changing them needs supervision too, asked after scope.
    Rule {
        method: "put",
        path: "/api/v1/quick-replies/{id}",
        permission: "ticket.work>ticket.supervise",
        kind: Kind::Item(Obj::QuickReply),
    },
    Rule {
        method: "delete",
        path: "/api/v1/quick-replies/{id}",
        permission: "ticket.work>ticket.supervise",
        kind: Kind::Item(Obj::QuickReply),
    },
    Rule { method: "get", path: "/api/v1/channels/chat", permission: "channel.manage", kind: Kind::Read },
    Rule { method: "put", path: "/api/v1/channels/chat", permission: "channel.manage", kind: Kind::Create },
    Rule {
        method: "post",
        path: "/api/v1/channels/chat/rotate-secret",
        permission: "channel.manage",
        kind: Kind::Create,
    },
    // Customers' chat: authenticated by the widget key or the chat session, never by staff credentials.
    Rule { method: "post", path: "/api/v1/public/chat/sessions", permission: "", kind: Kind::Public },
    Rule { method: "get", path: "/api/v1/public/chat/ws", permission: "", kind: Kind::Public },
    Rule { method: "post", path: "/api/v1/public/chat/attachments", permission: "", kind: Kind::Public },
    // A plain GET (no upgrade) of a permitted caller is answered 426.
    Rule { method: "get", path: "/api/v1/chat/ws", permission: "ticket.work", kind: Kind::Read },
    Rule {
        method: "get",
        path: "/api/v1/channels/email/mailboxes",
        permission: "channel.manage",
        kind: Kind::List(None),
    },
    Rule {
        method: "post",
        path: "/api/v1/channels/email/mailboxes",
        permission: "channel.manage",
        kind: Kind::Create,
    },
    Rule {
        method: "get",
        path: "/api/v1/channels/email/mailboxes/{id}",
        permission: "channel.manage",
        kind: Kind::Item(Obj::Mailbox),
    },
    Rule {
        method: "put",
        path: "/api/v1/channels/email/mailboxes/{id}",
        permission: "channel.manage",
        kind: Kind::Item(Obj::Mailbox),
    },
    Rule {
        method: "get",
        path: "/api/v1/channels/email/inbound",
        permission: "channel.manage",
        kind: Kind::List(None),
    },
    Rule {
        method: "get",
        path: "/api/v1/channels/email/deliveries",
        permission: "channel.manage",
        kind: Kind::List(None),
    },
    Rule {
        method: "get",
        path: "/api/v1/quick-replies/{id}/render",
        permission: "ticket.read",
        kind: Kind::Item(Obj::QuickReply),
    },
    Rule {
        method: "get",
        path: "/api/v1/channels/webhooks",
        permission: "channel.manage",
        kind: Kind::List(Some(Obj::Webhook)),
    },
    Rule {
        method: "post",
        path: "/api/v1/channels/webhooks",
        permission: "channel.manage",
        kind: Kind::Create,
    },
    Rule {
        method: "get",
        path: "/api/v1/channels/webhooks/{id}",
        permission: "channel.manage",
        kind: Kind::Item(Obj::Webhook),
    },
    Rule {
        method: "patch",
        path: "/api/v1/channels/webhooks/{id}",
        permission: "channel.manage",
        kind: Kind::Item(Obj::Webhook),
    },
    Rule {
        method: "delete",
        path: "/api/v1/channels/webhooks/{id}",
        permission: "channel.manage",
        kind: Kind::Item(Obj::Webhook),
    },
    Rule {
        method: "post",
        path: "/api/v1/channels/webhooks/{id}/rotate-secret",
        permission: "channel.manage",
        kind: Kind::Item(Obj::Webhook),
    },
    Rule {
        method: "get",
        path: "/api/v1/channels/webhooks/{id}/deliveries",
        permission: "channel.manage",
        kind: Kind::Item(Obj::Webhook),
    },
    // The first replay queues the fixture's delivery again; later ones find it queued (409).
    Rule {
        method: "post",
        path: "/api/v1/channels/webhook-deliveries/{id}/replay",
        permission: "channel.manage",
        kind: Kind::Item(Obj::WebhookDelivery),
    },
    Rule {
        method: "get",
        path: "/api/v1/channels/phone/settings",
        permission: "channel.manage",
        kind: Kind::Read,
    },
    // Platform staff without merchant_id set the platform's own lines: the fixture's line is merchant A's (409).
    Rule {
        method: "put",
        path: "/api/v1/channels/phone/settings",
        permission: "channel.manage",
        kind: Kind::Create,
    },
    Rule {
        method: "post",
        path: "/api/v1/channels/phone/calls",
        permission: "channel.intake",
        kind: Kind::Create,
    },
    Rule {
        method: "get",
        path: "/api/v1/channels/phone/callbacks",
        permission: "ticket.work",
        kind: Kind::List(Some(Obj::Callback)),
    },
    // Completed by the first permitted caller; later ones find it done (409).
    Rule {
        method: "post",
        path: "/api/v1/channels/phone/callbacks/{id}/complete",
        permission: "ticket.work",
        kind: Kind::Item(Obj::Callback),
    },
    Rule { method: "get", path: "/api/v1/reports/phone", permission: "sla.read", kind: Kind::Read },
    Rule {
        method: "post",
        path: "/api/v1/channels/app/messages",
        permission: "channel.intake",
        kind: Kind::Create,
    },
];

/// Which roles hold each permission: the product's decision, restated here independently of the code.
fn role_has(permission: &str, role: Role) -> bool {
    use Role::*;
    match permission {
        "self_service" | "merchant.read" | "team.read" | "department.read" | "user.read"
        | "customer.read" => true,
        "customer.manage" | "ticket.work" => !matches!(role, QaInspector | Trainer),
        "ticket.read" => true,
        "ticket.supervise" => matches!(role, Supervisor | Manager | Director | MerchantAdmin | PlatformAdmin),
        "customer.reveal" => {
            matches!(role, SeniorAgent | Supervisor | Manager | Director | MerchantAdmin | PlatformAdmin)
        }
        "team.manage" | "department.manage" | "user.manage" | "token.manage" => {
            matches!(role, MerchantAdmin | PlatformAdmin)
        }
        "audit.read" => matches!(role, Manager | Director | MerchantAdmin | PlatformAdmin),
        "merchant.manage" | "security.manage" | "holiday.manage" => role == PlatformAdmin,
        "sla.read" => {
            matches!(role, Supervisor | Manager | Director | QaInspector | MerchantAdmin | PlatformAdmin)
        }
        "sla.manage" => matches!(role, Manager | Director | MerchantAdmin | PlatformAdmin),
        "routing.read" => {
            matches!(role, Supervisor | Manager | Director | QaInspector | MerchantAdmin | PlatformAdmin)
        }
        "routing.manage" => matches!(role, Supervisor | Manager | Director | MerchantAdmin | PlatformAdmin),
        "certification.grant" => matches!(role, Trainer | Manager | Director | MerchantAdmin | PlatformAdmin),
        "channel.manage" => matches!(role, Manager | Director | MerchantAdmin | PlatformAdmin),
        "channel.intake" => matches!(role, MerchantAdmin | PlatformAdmin),
        "aftersales.read" => true,
        "aftersales.work" => !matches!(role, QaInspector | Trainer),
        "aftersales.arbitrate" => role == PlatformAdmin,
        "authority.manage" => matches!(role, MerchantAdmin | PlatformAdmin),
        "approval.decide" => {
            matches!(role, SeniorAgent | Supervisor | Manager | Director | MerchantAdmin | PlatformAdmin)
        }
        other => panic!("no role table entry for permission '{other}'"),
    }
}

struct Fixture {
    merchant: [i64; 2],
    team: [i64; 2],
    user: [i64; 2],
    token: [i64; 2],
    customer: [i64; 2],
    ticket: [i64; 2],
    ticket2: [i64; 2],
    message: [i64; 2],
    attachment: [i64; 2],
    customer2: [i64; 2],
    policy: [i64; 2],
    calendar: [i64; 2],
    group: [i64; 2],
    quick_reply: [i64; 2],
    order: [i64; 2],
    webhook: [i64; 2],
    delivery: [i64; 2],
    callback: [i64; 2],
    mailbox: [i64; 2],
    case: [i64; 2],
    approval: [i64; 2],
    follow_up: [i64; 2],
    complaint: [i64; 2],
    department: i64,
}

impl Fixture {
    fn id(&self, obj: Obj, foreign: bool) -> i64 {
        let i = usize::from(foreign);
        match obj {
            Obj::Merchant => self.merchant[i],
            Obj::Team => self.team[i],
            Obj::User => self.user[i],
            Obj::Token => self.token[i],
            Obj::Customer => self.customer[i],
            Obj::Ticket => self.ticket[i],
            Obj::Attachment => self.attachment[i],
            Obj::SlaPolicy => self.policy[i],
            Obj::Calendar => self.calendar[i],
            Obj::Group => self.group[i],
            Obj::QuickReply => self.quick_reply[i],
            Obj::Order => self.order[i],
            Obj::Webhook => self.webhook[i],
            Obj::WebhookDelivery => self.delivery[i],
            Obj::Callback => self.callback[i],
            Obj::Mailbox => self.mailbox[i],
            Obj::Case => self.case[i],
            Obj::Approval => self.approval[i],
            Obj::FollowUp => self.follow_up[i],
            Obj::Complaint => self.complaint[i],
            Obj::View => unreachable!("views are made per call"),
        }
    }
}

async fn fixture(app: &TestApp) -> Fixture {
    let ctx = AuditCtx::operator("matrix", kefu_server::auth::now());
    let s = &app.store;
    let mut f = Fixture {
        merchant: [0; 2],
        team: [0; 2],
        user: [0; 2],
        token: [0; 2],
        customer: [0; 2],
        ticket: [0; 2],
        ticket2: [0; 2],
        message: [0; 2],
        attachment: [0; 2],
        customer2: [0; 2],
        policy: [0; 2],
        calendar: [0; 2],
        group: [0; 2],
        quick_reply: [0; 2],
        order: [0; 2],
        webhook: [0; 2],
        delivery: [0; 2],
        callback: [0; 2],
        mailbox: [0; 2],
        case: [0; 2],
        approval: [0; 2],
        follow_up: [0; 2],
        complaint: [0; 2],
        department: 0,
    };
    f.department = s
        .create_department(
            &Scope::operator(Action::DepartmentManage),
            &ctx,
            NewDepartment { merchant_id: None, code: "logistics".into(), name: "物流部".into() },
        )
        .await
        .unwrap()
        .id;
    app.user("fixture.admin", Role::PlatformAdmin, None).await;
    let admin = app.login("fixture.admin").await;
    for (i, code) in ["shop-a", "shop-b"].iter().enumerate() {
        let m = s
            .create_merchant(
                &Scope::operator(Action::MerchantManage),
                &ctx,
                NewMerchant { code: code.to_string(), name: code.to_string() },
            )
            .await
            .unwrap();
        f.merchant[i] = m.id;
        f.team[i] = s
            .create_team(
                &Scope::operator(Action::TeamManage),
                &ctx,
                NewTeam {
                    merchant_id: Some(m.id),
                    owner: TeamOwner::Merchant,
                    vendor: None,
                    name: format!("team-{code}"),
                },
            )
            .await
            .unwrap()
            .id;
        f.user[i] = app.user(&format!("victim.{code}"), Role::Agent, Some(m.id)).await;
        f.token[i] = s
            .create_api_token(
                &Scope::operator(Action::TokenManage),
                &ctx,
                NewApiToken {
                    name: format!("token-{code}"),
                    user_id: f.user[i],
                    role: Role::Agent,
                    merchant_id: Some(m.id),
                    token_hash: format!("fingerprint-{code}"),
                    expires_at: None,
                },
            )
            .await
            .unwrap()
            .id;
        f.customer[i] = s
            .create_customer(
                &Scope::operator(Action::CustomerManage),
                &ctx,
                NewCustomer {
                    merchant_id: Some(m.id),
                    display_name: "客户".into(),
                    member_tier: "gold".into(),
                    vip: false,
                    contact: kefu_store::Contact { phone: Some("13812345678".into()), ..Default::default() },
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .id;
        f.customer2[i] = s
            .create_customer(
                &Scope::operator(Action::CustomerManage),
                &ctx,
                NewCustomer {
                    merchant_id: Some(m.id),
                    display_name: "另一位客户".into(),
                    member_tier: "regular".into(),
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .id;
        for slot in 0..2 {
            let (st, t) = app
                .post("/api/v1/tickets", &admin, json!({"merchant_id": m.id, "customer_id": f.customer[i], "channel": "web", "subject": "矩阵测试", "body": "第一条消息"}))
                .await;
            assert_eq!(st, StatusCode::CREATED, "{t}");
            let id = t["id"].as_i64().unwrap();
            if slot == 0 {
                f.ticket[i] = id;
            } else {
                f.ticket2[i] = id;
            }
        }
        let (st, c) = app
            .post(
                "/api/v1/sla/calendars",
                &admin,
                json!({"merchant_id": m.id, "name": "店铺时间", "weekly": {"mon": ["09:00-18:00"]}}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{c}");
        f.calendar[i] = c["id"].as_i64().unwrap();
        let (st, p) = app
            .post(
                "/api/v1/sla/policies",
                &admin,
                json!({"merchant_id": m.id, "name": "店铺规则", "targets": {"first_response_secs": 600}}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{p}");
        f.policy[i] = p["id"].as_i64().unwrap();
        let (st, g) =
            app.post("/api/v1/routing/groups", &admin, json!({"merchant_id": m.id, "name": "售后组"})).await;
        assert_eq!(st, StatusCode::CREATED, "{g}");
        f.group[i] = g["id"].as_i64().unwrap();
        let (st, q) = app
            .post(
                "/api/v1/quick-replies",
                &admin,
                json!({"merchant_id": m.id, "title": "问候", "body": "{客户称呼}您好", "shared": true}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{q}");
        f.quick_reply[i] = q["id"].as_i64().unwrap();
        let (st, o) = app
            .post(
                "/api/v1/orders",
                &admin,
                json!({"merchant_id": m.id, "orders": [matrix_order(&format!("M{i}-1"))]}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{o}");
        let (_, list) = app.get(&format!("/api/v1/orders?merchant_id={}", m.id), &admin).await;
        f.order[i] = list["items"][0]["id"].as_i64().unwrap();
        let (st, w) = app
            .post(
                "/api/v1/channels/webhooks",
                &admin,
                json!({"merchant_id": m.id, "url": "https://example.com/hook", "events": ["ticket.created"]}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{w}");
        f.webhook[i] = w["id"].as_i64().unwrap();
        let (delivery, _) = s
            .create_webhook_delivery(kefu_store::NewDelivery {
                delivery_key: format!("whd_matrix_{code}"),
                subscription_id: f.webhook[i],
                merchant_id: Some(m.id),
                event_id: 1,
                event_type: "ticket.created".into(),
                ticket_id: Some(f.ticket[i]),
                body: "{}".into(),
                now: kefu_server::auth::now(),
            })
            .await
            .unwrap();
        f.delivery[i] = delivery.id;
        let (st, si) = app
            .put("/api/v1/shop-integration", &admin, json!({"merchant_id": m.id, "actions_url": ""}))
            .await;
        assert_eq!(st, StatusCode::OK, "{si}");
        let (st, p) = app
            .put(
                "/api/v1/channels/phone/settings",
                &admin,
                json!({"merchant_id": m.id, "lines": [{"number": phone_line(i)}]}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{p}");
        let (st, c) = app
            .post(
                "/api/v1/channels/phone/calls",
                &admin,
                json!({"call_id": "matrix-missed", "caller": "13812345678", "line": phone_line(i),
                       "ring_at": "2026-01-05T02:00:00Z", "ended_at": "2026-01-05T02:00:40Z"}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{c}");
        f.callback[i] = c["callback"]["id"].as_i64().unwrap_or_else(|| panic!("{c}"));
        let (st, mb) = app
            .post(
                "/api/v1/channels/email/mailboxes",
                &admin,
                json!({"merchant_id": m.id, "address": format!("service@{code}.example"), "from_name": "客服",
                       "smtp_host": "127.0.0.1", "smtp_port": 25, "smtp_security": "none"}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{mb}");
        f.mailbox[i] = mb["id"].as_i64().unwrap();
        // An after-sales case for an order signed yesterday (within the seven-day window).
        let mut o = matrix_order(&format!("AS{i}-1"));
        let now = kefu_server::auth::now();
        o["signed_at"] = json!(kefu_core::time::Millis(now.0 - 86_400_000).to_rfc3339());
        o["shipped_at"] = json!(kefu_core::time::Millis(now.0 - 2 * 86_400_000).to_rfc3339());
        o["updated_at"] = json!(kefu_core::time::Millis(now.0 - 1000).to_rfc3339());
        let (st, r) = app.post("/api/v1/orders", &admin, json!({"merchant_id": m.id, "orders": [o]})).await;
        assert_eq!(st, StatusCode::OK, "{r}");
        let (_, list) = app.get(&format!("/api/v1/orders?order_no=AS{i}-1"), &admin).await;
        let order_id = list["items"][0]["id"].as_i64().unwrap();
        let (st, c) = app
            .post(
                "/api/v1/aftersales",
                &admin,
                json!({"order_id": order_id, "ticket_id": f.ticket[i], "kind": "return_refund", "reason": "no_reason",
                       "items": [{"sku": "SKU-1", "quantity": 1}]}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{c}");
        f.case[i] = c["id"].as_i64().unwrap();
        // An approval request: the merchant's agent promises a coupon one fen above their limit.
        let victim = app.login(&format!("victim.{code}")).await;
        let (st, a) = app
            .post(
                &format!("/api/v1/tickets/{}/promises", f.ticket[i]),
                &victim,
                json!({"kind": "coupon", "amount_fen": 2001, "summary": "补偿优惠券"}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{a}");
        f.approval[i] = a["approval"]["id"].as_i64().unwrap_or_else(|| panic!("{a}"));
        // A follow-up visit (回访) in the merchant's supervisors' queue.
        let (st, v) = app
            .post("/api/v1/follow-ups", &admin, json!({"ticket_id": f.ticket[i], "reason": "other"}))
            .await;
        assert_eq!(st, StatusCode::OK, "{v}");
        f.follow_up[i] = v["id"].as_i64().unwrap();
        // A complaint (投诉, 一般) on the merchant's ticket, waiting to be acknowledged.
        let (st, c) = app
            .post(
                "/api/v1/complaints",
                &admin,
                json!({"ticket_id": f.ticket[i], "source": "customer", "severity": "normal", "summary": "投诉"}),
            )
            .await;
        assert_eq!(st, StatusCode::CREATED, "{c}");
        f.complaint[i] = c["id"].as_i64().unwrap();
        let (_, d) = app.get(&format!("/api/v1/tickets/{}", f.ticket[i]), &admin).await;
        f.message[i] = d["messages"][0]["id"].as_i64().unwrap();
        app.post(&format!("/api/v1/tickets/{}/replies", f.ticket[i]), &admin, json!({"body": "您好"})).await;
        let (st, t) = app
            .post(
                &format!("/api/v1/tickets/{}/department-tasks", f.ticket[i]),
                &admin,
                json!({"department_id": f.department, "request": "核实", "due_at": "2030-01-01T00:00:00Z"}),
            )
            .await;
        assert_eq!(st, StatusCode::OK, "{t}");
        let r = app
            .client
            .post(format!("{}/api/v1/tickets/{}/attachments?file_name=a.txt", app.base, f.ticket[i]))
            .bearer_auth(&admin)
            .body("附件内容")
            .send()
            .await
            .unwrap();
        let a: Value = r.json().await.unwrap();
        f.attachment[i] = a["id"].as_i64().unwrap_or_else(|| panic!("{a}"));
    }
    f
}

/// The fixture's phone line of merchant A (0) or B (1).
fn phone_line(i: usize) -> &'static str {
    ["4008001111", "4008002222"][i]
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// An order as a shop system pushes it.
fn matrix_order(no: &str) -> Value {
    json!({"order_no": no, "customer": {"account_id": format!("buyer-{no}")}, "status": "signed",
        "items": [{"sku": "SKU-1", "name": "保温杯", "quantity": 1, "price_fen": 5900}],
        "total_fen": 5900, "paid_fen": 5900, "ordered_at": "2026-11-20T10:00:00Z", "paid_at": "2026-11-20T10:01:00Z",
        "shipped_at": "2026-11-21T09:00:00Z", "signed_at": "2026-11-22T15:00:00Z", "updated_at": "2026-11-22T15:00:00Z"})
}

fn body_for(rule: &Rule, f: &Fixture, foreign_merchant: Option<i64>, platform_caller: bool) -> Option<Value> {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut b = match (rule.method, rule.path) {
        ("post", "/api/v1/tickets") => {
            json!({"channel": "web", "subject": format!("工单{n}"), "body": "咨询"})
        }
        ("patch", "/api/v1/tickets/{id}") => {
            json!({"priority": if n.is_multiple_of(2) { "high" } else { "low" }})
        }
        ("post", "/api/v1/tickets/{id}/replies")
        | ("post", "/api/v1/tickets/{id}/notes")
        | ("post", "/api/v1/tickets/{id}/customer-replies")
        | ("post", "/api/v1/tickets/{id}/follow-up") => json!({"body": format!("消息{n}")}),
        ("post", "/api/v1/tickets/{id}/take") | ("post", "/api/v1/tickets/{id}/accept") => json!({}),
        ("post", "/api/v1/tickets/{id}/decline") => json!({"reason": "正在处理投诉"}),
        ("post", "/api/v1/orders") => json!({"orders": [matrix_order(&format!("N{n}"))]}),
        ("post", "/api/v1/orders/{id}/eligibility") => {
            json!({"sku": "SKU-1", "kind": "return_refund", "reason": "no_reason"})
        }
        // Merchant A's order and ticket; the foreign variant names merchant B (its staff: 404; the
        // platform: the order is not B's, 422). A second case for the same item is a conflict.
        ("post", "/api/v1/aftersales") => json!({"order_id": f.order[0], "ticket_id": f.ticket[0],
            "kind": "exchange", "reason": "quality_problem", "items": [{"sku": "SKU-1", "quantity": 1}]}),
        ("post", "/api/v1/aftersales/{id}/agree") | ("post", "/api/v1/aftersales/{id}/cancel") => json!({}),
        ("post", "/api/v1/aftersales/{id}/reject") | ("post", "/api/v1/aftersales/{id}/dispute") => {
            json!({"reason": format!("理由{n}")})
        }
        ("post", "/api/v1/aftersales/{id}/return-shipment") | ("post", "/api/v1/aftersales/{id}/resend") => {
            json!({"carrier": "顺丰", "waybill": format!("SF{n}")})
        }
        ("post", "/api/v1/aftersales/{id}/receipt") => json!({"condition": "完好"}),
        ("post", "/api/v1/aftersales/{id}/refund-executed") => json!({"refund_ref": format!("RF{n}")}),
        ("post", "/api/v1/aftersales/{id}/refund-failed") => json!({"error": "余额不足"}),
        ("post", "/api/v1/aftersales/{id}/platform-decision") => {
            json!({"for_buyer": true, "note": "支持买家"})
        }
        ("put", "/api/v1/shop-integration") => json!({"actions_url": ""}),
        ("put", "/api/v1/nps/schedule") => json!({"interval_days": 30}),
        ("post", "/api/v1/tickets/{id}/shop-actions") => {
            json!({"order_id": f.order[0], "action": {"type": "cancel", "reason": "买错了"}})
        }
        ("put", "/api/v1/member-tiers") => {
            json!({"tiers": [{"tier": "gold", "priority_service": true, "free_return_shipping": true, "extra_return_days": 5}]})
        }
        ("put", "/api/v1/return-rules") => {
            json!({"rules": kefu_core::aftersales::rules::ReturnRules::default()})
        }
        ("put", "/api/v1/authority-limits") => {
            json!({"limits": kefu_core::authority::AuthorityLimits::platform_default()})
        }
        ("post", "/api/v1/tickets/{id}/promises") => {
            json!({"kind": "coupon", "amount_fen": 100 + n as i64, "summary": format!("优惠券{n}")})
        }
        ("post", "/api/v1/follow-ups") => {
            let ticket = if foreign_merchant.is_some() { f.ticket[1] } else { f.ticket[0] };
            return Some(json!({"ticket_id": ticket, "reason": "other"}));
        }
        ("post", "/api/v1/follow-ups/{id}/complete") => {
            json!({"outcome": "declined", "note": format!("拒绝{n}")})
        }
        ("post", "/api/v1/complaints") => {
            let ticket = if foreign_merchant.is_some() { f.ticket[1] } else { f.ticket[0] };
            return Some(
                json!({"ticket_id": ticket, "source": "customer", "severity": "normal", "summary": format!("投诉{n}")}),
            );
        }
        ("post", "/api/v1/complaints/{id}/acknowledge") | ("post", "/api/v1/complaints/{id}/close") => {
            json!({})
        }
        ("post", "/api/v1/complaints/{id}/claim") => json!({"claim": format!("内容{n}"), "demand": "退款"}),
        ("post", "/api/v1/complaints/{id}/investigation") => {
            json!({"department_id": f.department, "request": format!("调查{n}")})
        }
        ("post", "/api/v1/complaints/{id}/findings") => json!({"findings": format!("结果{n}")}),
        ("post", "/api/v1/complaints/{id}/remedy") => json!({"remedy": format!("方案{n}")}),
        ("post", "/api/v1/complaints/{id}/customer-response") => json!({"agrees": true}),
        ("post", "/api/v1/complaints/{id}/execution") => json!({"result": format!("执行{n}")}),
        ("post", "/api/v1/complaints/{id}/follow-up") => {
            json!({"result": format!("回访{n}"), "satisfaction": 5})
        }
        ("post", "/api/v1/tickets/{id}/survey-link") => json!({}),
        ("post", "/api/v1/approvals/{id}/approve")
        | ("post", "/api/v1/approvals/{id}/reject")
        | ("post", "/api/v1/approvals/{id}/cancel") => json!({"note": format!("意见{n}")}),
        ("post", "/api/v1/tickets/{id}/assign") => json!({"team_id": f.team[0]}),
        ("post", "/api/v1/tickets/{id}/transfer") => json!({"team_id": f.team[0], "reason": "转给售后组"}),
        ("post", "/api/v1/tickets/{id}/escalate") => json!({"tier": "l2", "reason": "需要主管"}),
        ("post", "/api/v1/tickets/{id}/status") => json!({"status": "pending_customer"}),
        ("post", "/api/v1/tickets/{id}/department-tasks") => {
            json!({"department_id": f.department, "request": "请核实", "due_at": "2030-01-01T00:00:00Z"})
        }
        ("post", "/api/v1/tickets/{id}/department-tasks/{task_no}/answer") => json!({"answer": "已核实"}),
        ("post", "/api/v1/tickets/{id}/merge") => json!({"into_ticket_id": f.ticket2[0]}),
        ("post", "/api/v1/tickets/{id}/links") => json!({"ticket_id": f.ticket2[0]}),
        ("post", "/api/v1/tickets/{id}/split") => json!({"message_id": f.message[0]}),
        ("post", "/api/v1/tickets/{id}/attachments") => json!("附件"),
        ("post", "/api/v1/tickets/bulk") => {
            let target = if foreign_merchant.is_some() { f.ticket2[1] } else { f.ticket2[0] };
            return Some(json!({"ticket_ids": [target], "action": "tag", "add": ["批量"]}));
        }
        ("post", "/api/v1/sla/policies") | ("put", "/api/v1/sla/policies/{id}") => {
            json!({"name": format!("规则{n}"), "targets": {"first_response_secs": 300}})
        }
        ("post", "/api/v1/sla/calendars") | ("put", "/api/v1/sla/calendars/{id}") => {
            json!({"name": format!("日历{n}"), "weekly": {"mon": ["09:00-18:00"]}})
        }
        ("post", "/api/v1/quick-replies") | ("put", "/api/v1/quick-replies/{id}") => {
            json!({"title": format!("回复{n}"), "body": "{客户称呼}您好，请稍等"})
        }
        ("put", "/api/v1/channels/chat") => json!({"greeting": format!("您好{n}")}),
        ("post", "/api/v1/channels/chat/rotate-secret") => json!({}),
        ("post", "/api/v1/channels/email/mailboxes") | ("put", "/api/v1/channels/email/mailboxes/{id}") => {
            json!({"address": format!("box{n}@matrix.example"), "from_name": "客服", "smtp_host": "127.0.0.1",
                   "smtp_port": 25, "smtp_security": "none"})
        }
        ("post", "/api/v1/channels/webhooks") => {
            json!({"url": "https://example.com/hook", "events": ["ticket.created", "message.created"]})
        }
        ("patch", "/api/v1/channels/webhooks/{id}") => json!({"description": format!("说明{n}")}),
        ("post", "/api/v1/channels/webhooks/{id}/rotate-secret")
        | ("post", "/api/v1/channels/webhook-deliveries/{id}/replay")
        | ("post", "/api/v1/channels/phone/callbacks/{id}/complete") => json!({}),
        ("put", "/api/v1/channels/phone/settings") => {
            json!({"lines": [{"number": phone_line(usize::from(foreign_merchant.is_some()))}]})
        }
        ("post", "/api/v1/channels/phone/calls") => {
            json!({"call_id": format!("matrix-{n}"), "caller": "13912345678",
            "line": phone_line(usize::from(foreign_merchant.is_some())), "ring_at": "2026-01-05T03:00:00Z",
            "answered_at": "2026-01-05T03:00:05Z", "ended_at": "2026-01-05T03:01:00Z"})
        }
        ("post", "/api/v1/channels/app/messages") => json!({"customer": {"account_id": "matrix-user"},
            "body": format!("消息{n}"), "client_message_id": format!("matrix-{n}")}),
        ("put", "/api/v1/me/presence") => json!({"status": "away", "reason": "开会"}),
        ("post", "/api/v1/me/presence/heartbeat") => json!({}),
        ("post", "/api/v1/routing/groups") => json!({"name": format!("技能组{n}")}),
        ("put", "/api/v1/routing/groups/{id}") => json!({"name": format!("改名组{n}")}),
        ("put", "/api/v1/routing/groups/{id}/members") => json!([]),
        ("post", "/api/v1/users/{id}/certifications") => json!({"group_id": f.group[0]}),
        ("put", "/api/v1/users/{id}/capacity") => json!({"max_chats": 5, "max_tickets": 30}),
        ("put", "/api/v1/sla/calendar-assignments") => json!({"calendar_id": f.calendar[0]}),
        ("post", "/api/v1/sla/holidays") => {
            json!({"format": "csv", "year": 2030, "content": "2030-01-01,holiday,元旦"})
        }
        ("post", "/api/v1/categories") => json!({"code": format!("c-{n}"), "name": format!("分类{n}")}),
        ("post", "/api/v1/views") => json!({"name": format!("视图{n}"), "filters": {"status": ["open"]}}),
        ("post", "/api/v1/me/password") => {
            json!({"current_password": "not-my-password", "new_password": "Whatever-2026"})
        }
        ("post", "/api/v1/me/totp/enroll")
        | ("post", "/api/v1/auth/logout")
        | ("post", "/api/v1/users/{id}/unlock") => json!({}),
        ("post", "/api/v1/me/totp/confirm") | ("delete", "/api/v1/me/totp") => json!({"code": "000000"}),
        ("post", "/api/v1/merchants") => json!({"code": format!("m-{n}"), "name": format!("商家{n}")}),
        ("patch", "/api/v1/merchants/{id}") => json!({"name": format!("改名{n}")}),
        ("post", "/api/v1/teams") => {
            let owner = if platform_caller && foreign_merchant.is_none() { "platform" } else { "merchant" };
            json!({"name": format!("组{n}"), "owner": owner})
        }
        ("post", "/api/v1/departments") => json!({"code": format!("d-{n}"), "name": format!("部门{n}")}),
        ("put", "/api/v1/settings/security") => json!({"mandatory_totp_roles": []}),
        ("put", "/api/v1/settings/retention") => json!({"default": {"years": 3, "action": "archive"}}),
        ("post", "/api/v1/users") => {
            json!({"username": format!("new.{n}"), "display_name": "新人", "password": PASSWORD, "role": "agent"})
        }
        ("patch", "/api/v1/users/{id}") => json!({"display_name": format!("改名{n}")}),
        ("post", "/api/v1/users/{id}/password") => json!({"password": "Reset-Pass-2026"}),
        ("post", "/api/v1/api-tokens") => json!({"name": format!("令牌{n}"), "role": "agent"}),
        ("post", "/api/v1/customers") => json!({"display_name": format!("客户{n}"), "phone": "13812345678"}),
        ("patch", "/api/v1/customers/{id}") => json!({"notes": format!("备注{n}")}),
        ("post", "/api/v1/customers/{id}/reveal") => json!({"field": "phone", "reason": "回拨客户"}),
        // Merging the fixture into a fresh customer of merchant A: a second merge of the same one is a conflict.
        ("post", "/api/v1/customers/{id}/merge") => json!({"into_customer_id": f.customer2[0]}),
        _ => return None,
    };
    if let Some(m) = foreign_merchant {
        b["merchant_id"] = json!(m);
    }
    Some(b)
}

fn allowed(s: StatusCode) -> bool {
    // 426: a WebSocket endpoint reached without the upgrade, past the gate.
    matches!(s.as_u16(), 200 | 201 | 204 | 409 | 422 | 426)
}

async fn matrix(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let f = fixture(&app).await;
    let doc = kefu_server::openapi();

    // Every documented operation has a rule, and every rule a documented operation.
    let mut ops = Vec::new();
    for (path, item) in &doc.paths.paths {
        let item = serde_json::to_value(item).unwrap();
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                let rule = RULES.iter().find(|r| r.method == method && r.path == path.as_str());
                let rule = rule.unwrap_or_else(|| {
                    panic!(
                        "{} {path} has no rule in the permission matrix (tests/api/matrix.rs)",
                        method.to_uppercase()
                    )
                });
                ops.push(rule);
            }
        }
    }
    assert_eq!(ops.len(), RULES.len(), "the matrix lists an endpoint the API does not have");

    // Principals: every role on the platform, every merchant role in merchant A.
    let mut principals = Vec::new();
    for role in Role::ALL {
        if role != Role::MerchantAdmin {
            let name = format!("p.{}", role.as_str());
            app.user(&name, role, None).await;
            principals.push((name.clone(), role, None, app.login(&name).await));
        }
        if role != Role::PlatformAdmin {
            let name = format!("a.{}", role.as_str());
            app.user(&name, role, Some(f.merchant[0])).await;
            principals.push((name.clone(), role, Some(f.merchant[0]), app.login(&name).await));
        }
    }

    let mut checked = 0;
    for rule in &ops {
        let method = Method::from_bytes(rule.method.to_uppercase().as_bytes()).unwrap();
        if !matches!(rule.kind, Kind::Public | Kind::Signed) {
            // Without credentials: 401, whatever the endpoint.
            let (s, body) = app
                .call(
                    method.clone(),
                    &rule.path.replace("{id}", "1").replace("{task_no}", "1"),
                    None,
                    body_for(rule, &f, None, false),
                )
                .await;
            assert_eq!(
                s,
                StatusCode::UNAUTHORIZED,
                "{} {} without credentials: {body}",
                rule.method,
                rule.path
            );
        }
        for (name, role, merchant, token) in &principals {
            let is_platform = merchant.is_none();
            // "base>fine": the gate asks for `base`; on an object in scope, `fine` is asked too. A foreign
            // object is 404 before `fine` is asked.
            let (base, fine) = rule.permission.split_once('>').unwrap_or((rule.permission, rule.permission));
            let open = matches!(rule.kind, Kind::Public | Kind::Signed);
            let may_base = open || role_has(base, *role);
            let may = may_base && (open || role_has(fine, *role));
            let variants: &[bool] = match rule.kind {
                Kind::Item(_) | Kind::Create | Kind::Bulk => &[false, true],
                _ => &[false],
            };
            for &foreign in variants {
                let path = match rule.kind {
                    Kind::Item(Obj::View) => {
                        let v = app
                            .store
                            .create_view(
                                &Scope::operator(Action::TicketSupervise),
                                &AuditCtx::operator("matrix", kefu_server::auth::now()),
                                NewSavedView {
                                    merchant_id: Some(f.merchant[usize::from(foreign)]),
                                    owner_id: None,
                                    name: "共享视图".into(),
                                    filters: TicketFilter::default(),
                                },
                            )
                            .await
                            .unwrap();
                        rule.path.replace("{id}", &v.id.to_string())
                    }
                    // Deleting the fixture's reply would leave nothing for the next caller: a fresh one each time.
                    Kind::Item(Obj::QuickReply) if rule.method == "delete" => {
                        let q = app
                            .store
                            .create_quick_reply(
                                &Scope::operator(Action::TicketSupervise),
                                &AuditCtx::operator("matrix", kefu_server::auth::now()),
                                kefu_store::QuickReplySpec {
                                    merchant_id: Some(f.merchant[usize::from(foreign)]),
                                    team_id: None,
                                    owner_id: None,
                                    title: "共享回复".into(),
                                    body: "您好".into(),
                                    shortcut: None,
                                    position: 0,
                                },
                            )
                            .await
                            .unwrap();
                        rule.path.replace("{id}", &q.id.to_string())
                    }
                    // Deleting the fixture's subscription would leave nothing for the next caller.
                    Kind::Item(Obj::Webhook) if rule.method == "delete" => {
                        let w = app
                            .store
                            .create_webhook(
                                &Scope::operator(Action::ChannelManage),
                                &AuditCtx::operator("matrix", kefu_server::auth::now()),
                                kefu_store::WebhookSpec {
                                    merchant_id: Some(f.merchant[usize::from(foreign)]),
                                    url: "https://example.com/hook".into(),
                                    events: vec!["ticket.created".into()],
                                    active: true,
                                    description: String::new(),
                                    secret: "whsec_matrix".into(),
                                },
                            )
                            .await
                            .unwrap();
                        rule.path.replace("{id}", &w.id.to_string())
                    }
                    Kind::Item(obj) => {
                        rule.path.replace("{id}", &f.id(obj, foreign).to_string()).replace("{task_no}", "1")
                    }
                    _ => rule.path.replace("{merchant_id}", &f.merchant[0].to_string()),
                };
                let path = if rule.path.ends_with("/attachments") {
                    format!("{path}?file_name=note.txt")
                } else {
                    path
                };
                // A personal object that does not exist: answered 404 to everyone permitted.
                let missing_own = rule.kind == Kind::Own && path.contains("{id}");
                let path = path.replace("{id}", "999999");
                let foreign_merchant =
                    (matches!(rule.kind, Kind::Create | Kind::Bulk) && foreign).then_some(f.merchant[1]);
                let body = body_for(rule, &f, foreign_merchant, is_platform);
                let tok = if rule.kind == Kind::Logout { app.login(name).await } else { token.clone() };
                let (s, resp) = match rule.kind {
                    Kind::Public => {
                        app.call(
                            method.clone(),
                            &path,
                            None,
                            Some(json!({"username": name, "password": PASSWORD})),
                        )
                        .await
                    }
                    Kind::Signed => app.call(method.clone(), &path, None, Some(json!({}))).await,
                    _ => app.call(method.clone(), &path, Some(&tok), body).await,
                };
                let what = format!(
                    "{} {path} as {name} ({}){}",
                    rule.method.to_uppercase(),
                    if foreign { "foreign" } else { "own" },
                    ""
                );
                if rule.kind == Kind::Signed {
                    assert_eq!(s, StatusCode::UNAUTHORIZED, "{what}: expected 401 unsigned, got {resp}");
                } else if !may_base {
                    assert_eq!(s, StatusCode::FORBIDDEN, "{what}: expected 403, got {resp}");
                } else if missing_own || (foreign && !is_platform && rule.kind != Kind::Bulk) {
                    assert_eq!(s, StatusCode::NOT_FOUND, "{what}: expected 404, got {resp}");
                } else if !may {
                    assert_eq!(s, StatusCode::FORBIDDEN, "{what}: expected 403, got {resp}");
                } else if rule.kind == Kind::Bulk {
                    assert_eq!(s, StatusCode::OK, "{what}: {resp}");
                    let ok = resp[0]["ok"].as_bool();
                    assert_eq!(
                        ok,
                        Some(!foreign || is_platform),
                        "{what}: a foreign ticket is not found for merchant staff: {resp}"
                    );
                } else if foreign && !is_platform {
                    assert_eq!(s, StatusCode::NOT_FOUND, "{what}: expected 404, got {resp}");
                } else {
                    assert!(allowed(s), "{what}: expected success, got {s} {resp}");
                }
                // Lists never carry another merchant's objects to a merchant's staff.
                if let (Kind::List(obj), true, Some(m)) = (rule.kind, s == StatusCode::OK, merchant) {
                    // A page's `items`, a report's `rows`, or a plain array.
                    let items = resp
                        .get("items")
                        .or_else(|| resp.get("rows"))
                        .unwrap_or(&resp)
                        .as_array()
                        .unwrap_or_else(|| panic!("{what}: not a list: {resp}"));
                    for item in items {
                        let owner = if obj == Some(Obj::Merchant) {
                            item["id"].as_i64()
                        } else {
                            item["merchant_id"].as_i64()
                        };
                        assert!(owner.is_none() || owner == Some(*m), "{what} leaked {item}");
                    }
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 500, "{checked} checks");
}
both_backends!(matrix);
