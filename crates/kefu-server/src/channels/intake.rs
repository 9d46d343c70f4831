//! Intake: the one path by which a customer's message from any channel becomes ticket history.
//!
//! A channel first authenticates its request in its own way (the widget's signed visitor token, the
//! support address a mail was sent to, the telephony system's API token), which tells the merchant; it
//! then calls `find_customer` and `customer_message` with a `Scope::channel` for that merchant, so a
//! channel can never write into another merchant's tickets.

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::tickets::{self, Draft};
use kefu_core::authz::{Action, Scope};
use kefu_core::ticket::{Actor, Channel, Priority, TicketCommand, TicketStatus};
use kefu_core::ErrorCode;
use kefu_store::{AuditCtx, Customer, CustomerLookup, NewCustomer, PageReq, Ticket, TicketFilter};

/// How a channel knows the customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// An anonymous chat visitor's stable id.
    Visitor(String),
    /// The customer's account on the shop platform (from a signed token or an order push).
    Account(String),
    Email(String),
    Phone(String),
}

/// The scope a channel acts in for `merchant`.
pub fn scope(merchant: Option<i64>) -> Scope {
    Scope::channel(merchant, Action::TicketWork)
}

/// The audit context of a channel's writes, e.g. `channel:email`.
pub fn ctx(channel: &str, now: kefu_core::time::Millis) -> AuditCtx {
    AuditCtx { actor_id: None, actor_name: format!("channel:{channel}"), ip: None, request_id: None, now }
}

/// The merchant's customer with this identity, created (with `display_name`) when there is none.
pub async fn find_customer(
    state: &AppState,
    ctx: &AuditCtx,
    merchant: Option<i64>,
    identity: &Identity,
    display_name: Option<&str>,
) -> ApiResult<Customer> {
    let scope = Scope::channel(merchant, Action::CustomerManage);
    let mut lookup = CustomerLookup::default();
    let mut new = NewCustomer { merchant_id: merchant, member_tier: "regular".into(), ..Default::default() };
    let fallback = match identity {
        Identity::Visitor(v) => {
            lookup.visitor_id = Some(v.clone());
            new.visitor_id = Some(v.clone());
            format!("访客{}", v.chars().rev().take(6).collect::<String>().chars().rev().collect::<String>())
        }
        Identity::Account(a) => {
            lookup.account_id = Some(a.clone());
            new.account_id = Some(a.clone());
            a.clone()
        }
        Identity::Email(e) => {
            let e = kefu_core::pii::normalize_email(e).map_err(|_| {
                ApiError::field(ErrorCode::Validation, "email", format!("'{e}' is not an email address"))
            })?;
            lookup.email = Some(e.clone());
            new.contact.email = Some(e.clone());
            kefu_core::pii::mask_email(&e)
        }
        Identity::Phone(p) => {
            let p = kefu_core::pii::normalize_phone(p).map_err(|_| {
                ApiError::field(ErrorCode::Validation, "phone", format!("'{p}' is not a phone number"))
            })?;
            lookup.phone = Some(p.clone());
            new.contact.phone = Some(p.clone());
            // The name is shown unmasked everywhere: never the number itself.
            format!("来电{}", kefu_core::pii::mask_phone(&p))
        }
    };
    let found = state.store.list_customers(&scope, &lookup, PageReq::first(1)).await?;
    if let Some(c) = found.items.into_iter().find(|c| c.merchant_id == merchant) {
        return Ok(c);
    }
    new.display_name = display_name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map_or(fallback, |n| n.chars().take(60).collect());
    Ok(state.store.create_customer(&scope, ctx, new).await?)
}

/// A customer's message as a channel received it.
#[derive(Debug, Clone)]
pub struct Inbound {
    pub merchant_id: Option<i64>,
    pub customer_id: i64,
    pub channel: Channel,
    /// The subject of a new ticket (a chat's first line, a mail's subject, "来电 138…").
    pub subject: String,
    pub body: String,
    /// The ticket the channel already knows this message belongs to (an email's thread, a chat
    /// session's ticket). It is used when it is the same customer's and merchant's.
    pub ticket_id: Option<i64>,
    /// Otherwise: append to the customer's newest unresolved ticket of this channel updated within this
    /// many milliseconds (0: always a new ticket).
    pub reuse_within_ms: i64,
    pub priority: Priority,
}

/// What `customer_message` did.
#[derive(Debug, Clone)]
pub struct Landed {
    pub ticket: Ticket,
    /// A new ticket was opened (rather than appended to).
    pub created: bool,
}

/// Land a customer's message: append it to the ticket it belongs to (reopening a resolved one, as the
/// lifecycle allows), or open a new ticket — a follow-up (跟进) of a closed one that can no longer be
/// reopened.
pub async fn customer_message(state: &AppState, ctx: &AuditCtx, m: Inbound) -> ApiResult<Landed> {
    let scope = scope(m.merchant_id);
    let actor = Actor::Customer { customer_id: m.customer_id };
    let mut target = None;
    if let Some(id) = m.ticket_id {
        if let Some(rec) = state.store.get_ticket(&scope, id).await? {
            if rec.state.customer_id == Some(m.customer_id) && rec.state.merchant_id == m.merchant_id {
                target = Some(rec.ticket);
            }
        }
    }
    if target.is_none() && m.reuse_within_ms > 0 {
        let filter = TicketFilter {
            customer_id: Some(m.customer_id),
            merchant_id: m.merchant_id,
            channel: Some(m.channel),
            status: vec![
                TicketStatus::New,
                TicketStatus::Open,
                TicketStatus::PendingCustomer,
                TicketStatus::OnHold,
            ],
            ..Default::default()
        };
        let page = state.store.list_tickets(&scope, &filter, PageReq::first(5)).await?;
        target = page
            .items
            .into_iter()
            .filter(|t| t.updated_at.0 >= ctx.now.0 - m.reuse_within_ms)
            .max_by_key(|t| t.updated_at);
    }
    let mut follow_up_of = None;
    if let Some(t) = target {
        let cmd = TicketCommand::CustomerReply { body: m.body.clone() };
        match tickets::command(state, &scope, ctx, &actor, t.id, None, cmd).await {
            Ok(ticket) => return Ok(Landed { ticket, created: false }),
            Err(e) if e.code == ErrorCode::Conflict && t.status == TicketStatus::Closed => {
                follow_up_of = t.number.parse().ok();
            }
            Err(e) => return Err(e),
        }
    }
    let subject = one_line(&m.subject, 200);
    let draft = Draft {
        merchant_id: m.merchant_id,
        customer_id: Some(m.customer_id),
        channel: m.channel,
        subject: if subject.is_empty() { "(无主题)".into() } else { subject },
        body: m.body,
        priority: m.priority,
        category: None,
        tags: Vec::new(),
        order_numbers: Vec::new(),
        custom_fields: serde_json::json!({}),
        follow_up_of,
    };
    let ticket = tickets::create(state, &scope, ctx, actor, draft).await?;
    Ok(Landed { ticket, created: true })
}

/// The first line of `text`, control characters removed, at most `max` characters.
pub fn one_line(text: &str, max: usize) -> String {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default();
    line.chars().filter(|c| !c.is_control()).take(max).collect::<String>().trim().to_string()
}
