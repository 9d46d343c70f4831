//! Outbound webhooks (Webhook 推送): committed ticket events become signed HTTP POSTs to the URLs
//! merchants subscribed, delivered and retried through the durable job queue.
//!
//! The feed consumer (`feed_round`, looped by `run_feed`) reads the ticket event log in order, maps each
//! event to a webhook event type (`event_type`), and for every active subscription of the ticket's
//! merchant that wants it records a delivery (the body is fixed then, so every retry and replay sends the
//! same bytes) and enqueues one `webhook.deliver` job with the dedupe key `wh:{subscription}:{event id}`.
//! The job (`deliver`) signs and POSTs; a 2xx answer is done, anything else is retried with the queue's
//! backoff until the last attempt. Every attempt is logged. See docs/WEBHOOKS.md for receivers.

use crate::jobs::{self, FeedPosition, JobFailure};
use crate::state::AppState;
use hmac::{Hmac, Mac};
use kefu_core::authz::{Action, Scope};
use kefu_core::ticket::{TicketEvent, TicketEventKind, TicketStatus};
use kefu_core::time::Millis;
use kefu_store::{AttemptRecord, FeedEvent, Job, NewDelivery, Ticket, Webhook};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::Sha256;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// The job kind of one delivery.
pub const DELIVER: &str = "webhook.deliver";
/// The feed consumer's cursor name.
pub const FEED: &str = "webhooks";
/// How long a receiver has to answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// Every event type a subscription may ask for. `survey.answered` is reserved (sent once surveys exist).
pub const EVENT_TYPES: &[&str] = &[
    "ticket.created",
    "ticket.updated",
    "ticket.resolved",
    "ticket.closed",
    "message.created",
    "sla.warned",
    "sla.breached",
    "survey.answered",
];

/// `v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`, the `X-Kefu-Signature` header.
pub fn sign(secret: &str, timestamp: i64, body: &str) -> String {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("v1={}", hex::encode(mac.finalize().into_bytes()))
}

/// A new signing secret (256 random bits).
pub fn new_secret() -> String {
    crate::auth::new_token("whsec_")
}

/// The webhook event type of a ticket event, if it is one subscribers hear about. Internal notes,
/// department tasks, routing and policy bookkeeping are never sent.
pub fn event_type(kind: &TicketEventKind) -> Option<&'static str> {
    use TicketEventKind as K;
    Some(match kind {
        K::Created(_) => "ticket.created",
        K::StaffReplied { .. } | K::CustomerReplied { .. } => "message.created",
        K::StatusChanged { to: TicketStatus::Resolved, .. } => "ticket.resolved",
        K::StatusChanged { to: TicketStatus::Closed, .. } => "ticket.closed",
        K::StatusChanged { .. }
        | K::Assigned { .. }
        | K::Transferred { .. }
        | K::Escalated { .. }
        | K::PriorityChanged { .. }
        | K::CategoryChanged { .. }
        | K::Merged { .. }
        | K::TagsChanged { .. }
        | K::OrdersChanged { .. }
        | K::Linked { .. }
        | K::MergedFrom { .. } => "ticket.updated",
        K::SlaWarned { .. } => "sla.warned",
        K::SlaBreached { .. } => "sla.breached",
        // Internal notes, first responder, department tasks, routing (offers, routed), SLA policy choice,
        // and whatever internal bookkeeping is added later.
        _ => return None,
    })
}

/// The `data` of a delivery: what happened, by whom.
fn data_of(ev: &TicketEvent) -> Value {
    use TicketEventKind as K;
    let actor = serde_json::to_value(&ev.actor).unwrap_or(Value::Null);
    match &ev.kind {
        K::Created(t) => json!({"actor": actor, "subject": t.subject, "body": t.body, "channel": t.channel}),
        K::StaffReplied { body } => json!({"actor": actor, "author": "agent", "body": body}),
        K::CustomerReplied { body } => json!({"actor": actor, "author": "customer", "body": body}),
        K::StatusChanged { from, to } => json!({"actor": actor, "from": from, "to": to}),
        K::SlaWarned { metric, cycle, due_at } | K::SlaBreached { metric, cycle, due_at } => {
            json!({"metric": metric, "cycle": cycle, "due_at": due_at})
        }
        other => json!({"actor": actor, "change": other.name(), "event": other}),
    }
}

fn ticket_summary(t: &Ticket) -> Value {
    json!({
        "id": t.id,
        "number": t.number,
        "status": t.status,
        "channel": t.channel,
        "subject": t.subject,
        "priority": t.priority,
        "customer_id": t.customer_id,
        "assignee_id": t.assignee_id,
        "team_id": t.team_id,
        "tags": t.tags,
        "created_at": t.created_at,
        "updated_at": t.updated_at,
    })
}

/// The job's input.
#[derive(Debug, Serialize, Deserialize)]
pub struct DeliverJob {
    pub delivery_id: i64,
}

/// One round of the webhook feed consumer over the committed ticket events (tests call it directly).
pub async fn feed_round(state: &AppState, pos: &mut FeedPosition, now: Millis) -> anyhow::Result<usize> {
    let subs = state.store.active_webhooks().await?;
    let subs = &subs;
    jobs::run_feed_round(state, FEED, pos, now, |e| async move { handle_event(state, subs, e).await }).await
}

async fn handle_event(state: &AppState, subs: &[Webhook], e: FeedEvent) -> anyhow::Result<()> {
    // A subscription hears its merchant's events from its creation on (not a backlog from before it).
    let wanted: Vec<&Webhook> =
        subs.iter().filter(|s| s.merchant_id == e.merchant_id && e.at >= s.created_at).collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let ev: TicketEvent = match serde_json::from_str(&e.payload) {
        Ok(ev) => ev,
        Err(err) => {
            tracing::warn!(event = e.id, error = %err, "ticket event not readable; no webhook sent");
            return Ok(());
        }
    };
    let Some(kind) = event_type(&ev.kind) else { return Ok(()) };
    let wanted: Vec<&Webhook> = wanted.into_iter().filter(|s| s.events.iter().any(|t| t == kind)).collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let scope = Scope::channel(e.merchant_id, Action::TicketRead);
    let Some(rec) = state.store.get_ticket(&scope, e.ticket_id).await? else { return Ok(()) };
    let body = json!({
        "id": e.id,
        "type": kind,
        "created_at": e.at,
        "merchant_id": e.merchant_id,
        "ticket": ticket_summary(&rec.ticket),
        "data": data_of(&ev),
    })
    .to_string();
    for sub in wanted {
        let (d, _) = state
            .store
            .create_webhook_delivery(NewDelivery {
                delivery_key: crate::auth::new_token("whd_"),
                subscription_id: sub.id,
                merchant_id: sub.merchant_id,
                event_id: e.id,
                event_type: kind.to_string(),
                ticket_id: Some(e.ticket_id),
                body: body.clone(),
                now: crate::auth::now(),
            })
            .await?;
        jobs::enqueue(
            state,
            DELIVER,
            sub.merchant_id,
            &DeliverJob { delivery_id: d.id },
            Some(dedupe_key(sub.id, e.id)),
            crate::auth::now(),
        )
        .await?;
    }
    Ok(())
}

/// The job's dedupe key: one delivery job per subscription and event.
pub fn dedupe_key(subscription: i64, event: i64) -> String {
    format!("wh:{subscription}:{event}")
}

/// Loop the feed consumer: a round on each local ticket notice, and at least every second.
pub async fn run_feed(state: AppState) {
    let mut notices = state.ticket_events.subscribe();
    let mut pos = FeedPosition::default();
    loop {
        if let Err(e) = feed_round(&state, &mut pos, crate::auth::now()).await {
            tracing::error!(error = %e, "webhook feed round failed");
        }
        tokio::select! {
            r = notices.recv() => {
                if let Err(tokio::sync::broadcast::error::RecvError::Closed) = r {
                    return;
                }
                // Coalesce a burst of notices into one round.
                while notices.try_recv().is_ok() {}
            }
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

/// May a webhook reach this address without `webhook_allow_private`? Not loopback, private (RFC 1918,
/// unique local), link-local (cloud metadata), carrier-grade NAT, unspecified, multicast, reserved or
/// documentation ranges.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || a == 0
                || a >= 224
                || (a == 100 && (b & 0xc0) == 64)
                || (a == 198 && (b & 0xfe) == 18))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let [s0, s1, ..] = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s0 & 0xfe00) == 0xfc00
                || (s0 & 0xffc0) == 0xfe80
                || (s0 == 0x2001 && s1 == 0x0db8))
        }
    }
}

/// Why a URL's host may not be reached without `webhook_allow_private`, if it may not (an address
/// literal or `localhost`; other names are checked when they are resolved).
pub fn refused_host(url: &reqwest::Url) -> Option<String> {
    let refused = match url.host_str() {
        None => true,
        Some(h) => match h.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() {
            Ok(ip) => !is_public(ip),
            Err(_) => {
                let d = h.trim_end_matches('.').to_ascii_lowercase();
                d == "localhost" || d.ends_with(".localhost")
            }
        },
    };
    refused.then(|| "the url points to a loopback, private or other non-public address".to_string())
}

/// A resolver that only answers public addresses, so a name cannot lead a delivery into the network
/// kefu runs in (also when its DNS answer changes after the URL was saved).
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.filter(|a| is_public(a.ip())).collect();
            if addrs.is_empty() {
                let e = std::io::Error::other(format!("{host} resolves to no public address"));
                return Err(Box::new(e) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The HTTP client for outbound calls to merchants' systems (webhooks, shop actions).
pub(crate) fn client(state: &AppState, allow_private: bool) -> &reqwest::Client {
    let build = move || {
        let b = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent("kefu-webhooks/1");
        let b = if allow_private { b } else { b.dns_resolver(std::sync::Arc::new(PublicOnly)) };
        b.build().unwrap_or_default()
    };
    state.webhook_clients[usize::from(allow_private)].get_or_init(build)
}

/// Run one `webhook.deliver` job: sign, POST, log the attempt.
pub async fn deliver(state: &AppState, job: &Job) -> Result<(), JobFailure> {
    let input: DeliverJob = serde_json::from_str(&job.payload)
        .map_err(|e| JobFailure::permanent(format!("malformed webhook job: {e}")))?;
    let scope = Scope::channel(job.merchant_id, Action::ChannelManage);
    let store_err = |e: kefu_store::StoreError| JobFailure::retry(format!("database: {e}"));
    let Some(d) = state.store.get_webhook_delivery(&scope, input.delivery_id).await.map_err(store_err)?
    else {
        return Err(JobFailure::permanent("the delivery no longer exists (subscription deleted)"));
    };
    let Some(sub) = state.store.get_webhook(&scope, d.subscription_id).await.map_err(store_err)? else {
        return Err(JobFailure::permanent("the subscription no longer exists"));
    };
    let last = job.attempts >= job.max_attempts;
    let started = std::time::Instant::now();
    let allow_private = state.config.webhook_allow_private;
    let refused = match reqwest::Url::parse(&sub.url) {
        Ok(_) if allow_private => None,
        Ok(u) => refused_host(&u),
        Err(_) => Some("the url is not valid".to_string()),
    };
    let permanent = !sub.active || refused.is_some();
    let (status, error) = if !sub.active {
        (None, Some("the subscription is inactive".to_string()))
    } else if let Some(why) = refused {
        (None, Some(why))
    } else {
        let ts = crate::auth::now().0 / 1000;
        let sent = client(state, allow_private)
            .post(&sub.url)
            .header("Content-Type", "application/json")
            .header("X-Kefu-Event", &d.event_type)
            .header("X-Kefu-Delivery", &d.delivery_key)
            .header("X-Kefu-Timestamp", ts.to_string())
            .header("X-Kefu-Signature", sign(&sub.secret, ts, &d.body))
            .body(d.body.clone())
            .send()
            .await;
        match sent {
            Ok(resp) if resp.status().is_success() => (Some(resp.status().as_u16() as i64), None),
            Ok(resp) => (
                Some(resp.status().as_u16() as i64),
                Some(format!("the receiver answered {}", resp.status())),
            ),
            Err(e) if e.is_timeout() => (None, Some(format!("no answer within {} s", TIMEOUT.as_secs()))),
            Err(e) => (None, Some(format!("could not connect: {}", error_chain(&e)))),
        }
    };
    let ok = error.is_none();
    let state_after = if ok {
        "delivered"
    } else if last || permanent {
        "failed"
    } else {
        "pending"
    };
    state
        .store
        .record_webhook_attempt(AttemptRecord {
            delivery_id: d.id,
            attempt: job.attempts,
            status_code: status,
            error: error.clone(),
            duration_ms: started.elapsed().as_millis() as i64,
            at: crate::auth::now(),
            state: state_after.into(),
        })
        .await
        .map_err(store_err)?;
    match error {
        None => Ok(()),
        Some(e) if permanent => Err(JobFailure::permanent(e)),
        Some(e) => Err(JobFailure::retry(e)),
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        out.push_str(": ");
        out.push_str(&s.to_string());
        src = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_of_timestamp_dot_body() {
        // RFC 4231-style check against an independently computed value (openssl dgst -sha256 -hmac).
        let sig = sign("key", 1, "{}");
        assert!(sig.starts_with("v1=") && sig.len() == 3 + 64);
        assert_eq!(sig, sign("key", 1, "{}"));
        assert_ne!(sig, sign("key", 2, "{}"));
        assert_ne!(sig, sign("other", 1, "{}"));
    }

    #[test]
    fn only_public_addresses_are_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "224.0.0.1",
            "255.255.255.255",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["1.1.1.1", "203.119.1.1", "2400:3200::1"] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
        let u = |s: &str| reqwest::Url::parse(s).unwrap();
        assert!(refused_host(&u("http://localhost:8080/x")).is_some());
        assert!(refused_host(&u("http://[::1]/x")).is_some());
        assert!(refused_host(&u("http://10.0.0.8/x")).is_some());
        assert!(refused_host(&u("https://hooks.example.com/x")).is_none());
    }
}
