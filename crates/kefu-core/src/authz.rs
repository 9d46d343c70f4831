//! Authorisation: the one place that decides what a principal may do and which tenant's data it may touch.
//!
//! A [`Scope`] is the proof that a check happened. Its fields are private and it is only minted by
//! [`authorize`] (or [`Scope::operator`] for the local command line). Every storage call that reads or
//! writes tenant data takes a `&Scope`, so code that skipped the check has nothing to pass and does not compile.

use crate::error::DomainError;
use crate::org::Role;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Everything a principal can be allowed to do. Each API endpoint names exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Read one's own account, change one's own password, enrol TOTP.
    SelfService,
    MerchantRead,
    MerchantManage,
    TeamRead,
    TeamManage,
    DepartmentRead,
    DepartmentManage,
    UserRead,
    UserManage,
    TokenManage,
    AuditRead,
    SecurityManage,
    CustomerRead,
    CustomerManage,
    /// See a customer's personal data unmasked (with a reason, audited).
    CustomerReveal,
    TicketRead,
    /// Create tickets and work on them: reply, note, take, transfer, escalate, change status and fields.
    TicketWork,
    /// Supervise tickets: assign to others, merge, bulk actions, categories, shared views.
    TicketSupervise,
    /// Read SLA policies, calendars and the reports (SLA, phone, the supervisor dashboard).
    SlaRead,
    /// Edit SLA policies and business calendars.
    SlaManage,
    /// Import or replace the statutory holiday schedule, which every calendar shares (platform only).
    HolidayManage,
    /// See the routing live view (queues, agents' presence and load) and attendance.
    RoutingRead,
    /// Edit skill groups, their members and agents' capacity.
    RoutingManage,
    /// Grant on-duty certification (上岗认证) for a skill group.
    CertificationGrant,
    /// Configure channels: the chat widget and its secret, support mailboxes, phone lines, webhook
    /// subscriptions; see and replay their deliveries.
    ChannelManage,
    /// Report into a channel from an integration: the telephony system's call records, an app's or
    /// backend's customer messages.
    ChannelIntake,
    /// See after-sales cases (售后单) and their history.
    AftersalesRead,
    /// Work after-sales cases: open one for order items, record the merchant's answer, the buyer's
    /// return shipment, receipt, refund and resend, as the conversation goes.
    AftersalesWork,
    /// Decide a disputed after-sales case (平台介入): the platform's alone.
    AftersalesArbitrate,
    /// Set the amount limits (权限额度) up to which each role may promise compensation, coupons or refunds on
    /// its own, and the return rules (退换货规则: the eligibility windows per product category): a merchant
    /// admin for their merchant, a platform admin for the platform defaults.
    AuthorityManage,
    /// Decide approval requests (审批) for promises above the requester's limit. Holding the action is not
    /// enough: the decider's own limit must also cover the amount (see [`crate::authority::may_decide`]).
    ApprovalDecide,
}

impl Action {
    pub const ALL: [Action; 31] = [
        Action::SelfService,
        Action::MerchantRead,
        Action::MerchantManage,
        Action::TeamRead,
        Action::TeamManage,
        Action::DepartmentRead,
        Action::DepartmentManage,
        Action::UserRead,
        Action::UserManage,
        Action::TokenManage,
        Action::AuditRead,
        Action::SecurityManage,
        Action::CustomerRead,
        Action::CustomerManage,
        Action::CustomerReveal,
        Action::TicketRead,
        Action::TicketWork,
        Action::TicketSupervise,
        Action::SlaRead,
        Action::SlaManage,
        Action::HolidayManage,
        Action::RoutingRead,
        Action::RoutingManage,
        Action::CertificationGrant,
        Action::ChannelManage,
        Action::ChannelIntake,
        Action::AftersalesRead,
        Action::AftersalesWork,
        Action::AftersalesArbitrate,
        Action::AuthorityManage,
        Action::ApprovalDecide,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::SelfService => "self_service",
            Action::MerchantRead => "merchant.read",
            Action::MerchantManage => "merchant.manage",
            Action::TeamRead => "team.read",
            Action::TeamManage => "team.manage",
            Action::DepartmentRead => "department.read",
            Action::DepartmentManage => "department.manage",
            Action::UserRead => "user.read",
            Action::UserManage => "user.manage",
            Action::TokenManage => "token.manage",
            Action::AuditRead => "audit.read",
            Action::SecurityManage => "security.manage",
            Action::CustomerRead => "customer.read",
            Action::CustomerManage => "customer.manage",
            Action::CustomerReveal => "customer.reveal",
            Action::TicketRead => "ticket.read",
            Action::TicketWork => "ticket.work",
            Action::TicketSupervise => "ticket.supervise",
            Action::SlaRead => "sla.read",
            Action::SlaManage => "sla.manage",
            Action::HolidayManage => "holiday.manage",
            Action::RoutingRead => "routing.read",
            Action::RoutingManage => "routing.manage",
            Action::CertificationGrant => "certification.grant",
            Action::ChannelManage => "channel.manage",
            Action::ChannelIntake => "channel.intake",
            Action::AftersalesRead => "aftersales.read",
            Action::AftersalesWork => "aftersales.work",
            Action::AftersalesArbitrate => "aftersales.arbitrate",
            Action::AuthorityManage => "authority.manage",
            Action::ApprovalDecide => "approval.decide",
        }
    }
}

/// The role/permission matrix. Tenant scope is decided separately, by the principal's merchant.
pub fn role_permits(role: Role, action: Action) -> bool {
    use Action::*;
    use Role::*;
    match action {
        SelfService | TeamRead | DepartmentRead | CustomerRead | MerchantRead | TicketRead
        | AftersalesRead => true,
        TicketWork | AftersalesWork => !matches!(role, QaInspector | Trainer),
        TicketSupervise => matches!(role, Supervisor | Manager | Director | MerchantAdmin | PlatformAdmin),
        CustomerReveal => {
            matches!(role, SeniorAgent | Supervisor | Manager | Director | MerchantAdmin | PlatformAdmin)
        }
        UserRead => true,
        CustomerManage => matches!(
            role,
            Agent | SeniorAgent | Supervisor | Manager | Director | MerchantAdmin | PlatformAdmin
        ),
        TeamManage | DepartmentManage | UserManage | TokenManage => {
            matches!(role, MerchantAdmin | PlatformAdmin)
        }
        AuditRead => matches!(role, Manager | Director | MerchantAdmin | PlatformAdmin),
        SlaRead => {
            matches!(role, Supervisor | Manager | Director | QaInspector | MerchantAdmin | PlatformAdmin)
        }
        SlaManage => matches!(role, Manager | Director | MerchantAdmin | PlatformAdmin),
        RoutingRead => {
            matches!(role, Supervisor | Manager | Director | QaInspector | MerchantAdmin | PlatformAdmin)
        }
        RoutingManage => matches!(role, Supervisor | Manager | Director | MerchantAdmin | PlatformAdmin),
        CertificationGrant => matches!(role, Trainer | Manager | Director | MerchantAdmin | PlatformAdmin),
        ChannelManage => matches!(role, Manager | Director | MerchantAdmin | PlatformAdmin),
        ChannelIntake => matches!(role, MerchantAdmin | PlatformAdmin),
        // Creating merchants and setting platform security policy belong to the platform alone.
        MerchantManage | SecurityManage | HolidayManage => matches!(role, PlatformAdmin),
        // A dispute between buyer and merchant is decided by neither of them.
        AftersalesArbitrate => matches!(role, PlatformAdmin),
        // Money decisions are the merchant's own; agents, QA and trainers cannot raise their own limits.
        AuthorityManage => matches!(role, MerchantAdmin | PlatformAdmin),
        // A first-line agent never approves; the senior agent can approve what exceeds an agent's limit.
        ApprovalDecide => {
            matches!(role, SeniorAgent | Supervisor | Manager | Director | MerchantAdmin | PlatformAdmin)
        }
    }
}

/// Which tenants' data a scope reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "merchant_id")]
pub enum Tenant {
    /// Platform staff: every merchant and the platform's own objects.
    All,
    /// A merchant's staff or token: that merchant's objects only.
    Merchant(i64),
}

/// Who is asking. Built by the server from a session or an API token; never from request data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    /// The staff user, or the user who created the API token.
    pub user_id: i64,
    pub username: String,
    pub role: Role,
    /// `None` for platform staff.
    pub merchant_id: Option<i64>,
    /// Set when the request came with an API token rather than a login session.
    pub token_id: Option<i64>,
}

impl Principal {
    pub fn tenant(&self) -> Tenant {
        match self.merchant_id {
            Some(m) => Tenant::Merchant(m),
            None => Tenant::All,
        }
    }
}

/// Proof that a principal was checked for an action; carries the tenant filter every query must apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    tenant: Tenant,
    action: Action,
    actor_id: Option<i64>,
}

/// The single permission gate. A missing permission is `forbidden` (403); tenant filtering then happens
/// through the returned scope, and an object outside it is reported as not found (404).
pub fn authorize(principal: &Principal, action: Action) -> Result<Scope, DomainError> {
    if !role_permits(principal.role, action) {
        return Err(DomainError::forbidden(format!(
            "role '{}' may not perform '{}'",
            principal.role.as_str(),
            action.as_str()
        )));
    }
    Ok(Scope { tenant: principal.tenant(), action, actor_id: Some(principal.user_id) })
}

impl Scope {
    /// Full access for the local operator running `kefu` commands on the server itself
    /// (`kefu user create`, `kefu demo`); never reachable from the network.
    pub fn operator(action: Action) -> Scope {
        Scope { tenant: Tenant::All, action, actor_id: None }
    }

    /// A channel acting for one merchant (`None`: the platform's own service) after the channel itself
    /// authenticated the request: a chat visitor of that merchant's widget, a mail to its support
    /// address, a call reported by its telephony system. The server mints it only there.
    pub fn channel(merchant: Option<i64>, action: Action) -> Scope {
        let tenant = match merchant {
            Some(m) => Tenant::Merchant(m),
            None => Tenant::All,
        };
        Scope { tenant, action, actor_id: None }
    }

    pub fn tenant(&self) -> Tenant {
        self.tenant
    }
    pub fn action(&self) -> Action {
        self.action
    }
    pub fn actor_id(&self) -> Option<i64> {
        self.actor_id
    }

    /// The merchant every query must be restricted to, or `None` when the scope reaches all tenants.
    pub fn merchant_filter(&self) -> Option<i64> {
        match self.tenant {
            Tenant::All => None,
            Tenant::Merchant(m) => Some(m),
        }
    }

    /// May this scope see an object owned by `owner` (`None` = owned by the platform)?
    pub fn sees(&self, owner: Option<i64>) -> bool {
        match (self.tenant, owner) {
            (Tenant::All, _) => true,
            (Tenant::Merchant(m), Some(o)) => m == o,
            (Tenant::Merchant(_), None) => false,
        }
    }

    /// The owner of an object being created: merchant staff always create inside their own merchant
    /// (asking for another is refused as if that merchant did not exist); platform staff choose.
    pub fn owner_for_new(&self, requested: Option<i64>) -> Result<Option<i64>, DomainError> {
        match (self.tenant, requested) {
            (Tenant::All, r) => Ok(r),
            (Tenant::Merchant(m), None) => Ok(Some(m)),
            (Tenant::Merchant(m), Some(r)) if r == m => Ok(Some(m)),
            (Tenant::Merchant(_), Some(_)) => Err(DomainError::not_found("merchant")),
        }
    }

    /// May a user in this scope give `role` to an account of merchant `merchant`?
    /// Nobody grants more than the platform would let them hold: merchant staff never create platform admins.
    pub fn may_grant(&self, role: Role, merchant: Option<i64>) -> Result<(), DomainError> {
        if let Tenant::Merchant(_) = self.tenant {
            if role.is_platform_only() {
                return Err(DomainError::forbidden("merchant staff cannot grant the platform_admin role"));
            }
        }
        if role.is_platform_only() && merchant.is_some() {
            return Err(DomainError::validation("role", "a platform admin cannot belong to a merchant"));
        }
        if role.requires_merchant() && merchant.is_none() {
            return Err(DomainError::validation("merchant_id", "a merchant admin needs a merchant_id"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(role: Role, merchant: Option<i64>) -> Principal {
        Principal { user_id: 7, username: "u".into(), role, merchant_id: merchant, token_id: None }
    }

    #[test]
    fn every_role_may_serve_itself_and_read_customers() {
        for r in Role::ALL {
            assert!(authorize(&p(r, Some(1)), Action::SelfService).is_ok());
            assert!(authorize(&p(r, Some(1)), Action::CustomerRead).is_ok());
        }
    }

    #[test]
    fn only_platform_admin_manages_merchants_and_security() {
        for r in Role::ALL {
            let ok = r == Role::PlatformAdmin;
            assert_eq!(authorize(&p(r, None), Action::MerchantManage).is_ok(), ok, "{r:?}");
            assert_eq!(authorize(&p(r, None), Action::SecurityManage).is_ok(), ok, "{r:?}");
        }
    }

    #[test]
    fn only_admins_set_limits_and_agents_qa_and_trainers_never_approve() {
        for role in Role::ALL {
            let admin = matches!(role, Role::MerchantAdmin | Role::PlatformAdmin);
            assert_eq!(role_permits(role, Action::AuthorityManage), admin, "{role:?}");
            let decides = !matches!(role, Role::Agent | Role::QaInspector | Role::Trainer);
            assert_eq!(role_permits(role, Action::ApprovalDecide), decides, "{role:?}");
        }
    }

    #[test]
    fn denial_is_forbidden_and_names_role_and_action() {
        let e = authorize(&p(Role::Agent, Some(1)), Action::UserManage).unwrap_err();
        assert_eq!(e.code, crate::ErrorCode::Forbidden);
        assert!(e.message.contains("agent") && e.message.contains("user.manage"));
    }

    #[test]
    fn merchant_scope_sees_only_its_own_merchant() {
        let s = authorize(&p(Role::MerchantAdmin, Some(1)), Action::TeamRead).unwrap();
        assert_eq!(s.merchant_filter(), Some(1));
        assert!(s.sees(Some(1)));
        assert!(!s.sees(Some(2)));
        assert!(!s.sees(None));
        let platform = authorize(&p(Role::Supervisor, None), Action::TeamRead).unwrap();
        assert!(platform.sees(Some(2)) && platform.sees(None));
        assert_eq!(platform.merchant_filter(), None);
    }

    #[test]
    fn merchant_staff_create_only_inside_their_merchant() {
        let s = authorize(&p(Role::MerchantAdmin, Some(1)), Action::TeamManage).unwrap();
        assert_eq!(s.owner_for_new(None).unwrap(), Some(1));
        assert_eq!(s.owner_for_new(Some(1)).unwrap(), Some(1));
        assert_eq!(s.owner_for_new(Some(2)).unwrap_err().code, crate::ErrorCode::NotFound);
    }

    #[test]
    fn merchant_admin_cannot_mint_platform_admins() {
        let s = authorize(&p(Role::MerchantAdmin, Some(1)), Action::UserManage).unwrap();
        assert!(s.may_grant(Role::Agent, Some(1)).is_ok());
        assert!(s.may_grant(Role::PlatformAdmin, None).is_err());
        let admin = authorize(&p(Role::PlatformAdmin, None), Action::UserManage).unwrap();
        assert!(admin.may_grant(Role::PlatformAdmin, None).is_ok());
        assert!(admin.may_grant(Role::PlatformAdmin, Some(1)).is_err());
        assert!(admin.may_grant(Role::MerchantAdmin, None).is_err());
    }
}
