//! Outbound email: a public staff reply on an email ticket goes to the customer over SMTP.
//!
//! The feed consumer (`feed_round`, run every second by `run_feed`) reads the committed ticket event log
//! and turns each `staff_replied` event of an email ticket into an `email.send` job, deduplicated per
//! event. The job worker (`jobs.rs`) runs `send`: it builds the reply with the mailbox's sender name and
//! signature, kefu's own Message-ID (stored for threading), In-Reply-To (the customer's last message) and
//! References (the thread), subject `Re: … [ticket number]`, and hands it to the mailbox's relay with
//! lettre (plain, STARTTLS or TLS; authenticated when a user name is set). A failed attempt is retried
//! with backoff; when the last attempt fails, an internal note by `email_outbound` says so on the ticket.

use super::parse::clean_id;
use crate::channels::intake;
use crate::jobs::{FeedPosition, JobFailure};
use crate::state::AppState;
use kefu_core::authz::{Action, Scope};
use kefu_core::ticket::{Actor, Channel, TicketCommand, TicketEvent, TicketEventKind};
use kefu_core::time::Millis;
use kefu_store::{FeedEvent, Job, ThreadMessage};
use lettre::message::{header::ContentType, Mailbox as LettreMailbox};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The job kind.
pub const SEND_KIND: &str = "email.send";
/// The feed consumer's cursor name.
pub const FEED_NAME: &str = "email.outbound";
/// The system actor of notes about failed deliveries.
pub const OUTBOUND_ACTOR: &str = "email_outbound";

/// An `email.send` job's payload.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendJob {
    pub ticket_id: i64,
    pub merchant_id: Option<i64>,
    /// The feed event id of the reply (part of kefu's Message-ID).
    pub event_id: i64,
    pub body: String,
    /// The replying staff member, for {客服昵称}.
    pub staff_id: Option<i64>,
}

/// The feed loop: every second, staff replies of email tickets become `email.send` jobs.
pub async fn run_feed(state: AppState) {
    let mut pos = FeedPosition::default();
    loop {
        if let Err(e) = feed_round(&state, &mut pos, crate::auth::now()).await {
            tracing::warn!(error = %e, "email feed round failed");
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// One round of the feed consumer; returns how many events it looked at.
pub async fn feed_round(state: &AppState, pos: &mut FeedPosition, now: Millis) -> anyhow::Result<usize> {
    crate::jobs::run_feed_round(state, FEED_NAME, pos, now, |e: FeedEvent| async move {
        if e.kind == "status_changed" {
            // A resolved email ticket: the invitation to rate it (满意度评价), in the same thread.
            return crate::satisfaction::email_invitation(state, &e, now).await;
        }
        if e.kind != "staff_replied" {
            return Ok(());
        }
        let event: TicketEvent = serde_json::from_str(&e.payload)?;
        let TicketEventKind::StaffReplied { body } = event.kind else { return Ok(()) };
        let scope = intake::scope(e.merchant_id);
        let Some(rec) = state.store.get_ticket(&scope, e.ticket_id).await? else { return Ok(()) };
        if rec.ticket.channel != Channel::Email {
            return Ok(());
        }
        let job = SendJob {
            ticket_id: e.ticket_id,
            merchant_id: e.merchant_id,
            event_id: e.id,
            body,
            staff_id: event.actor.staff_id(),
        };
        crate::jobs::enqueue(
            state,
            SEND_KIND,
            e.merchant_id,
            &job,
            Some(format!("{SEND_KIND}:{}", e.id)),
            now,
        )
        .await?;
        Ok(())
    })
    .await
}

/// Run one `email.send` job; after the last failed attempt the ticket gets a note.
pub async fn run_job(state: &AppState, job: &Job) -> Result<(), JobFailure> {
    let payload: SendJob = serde_json::from_str(&job.payload)
        .map_err(|e| JobFailure::permanent(format!("malformed email.send payload: {e}")))?;
    let result = send(state, &payload).await;
    if let Err(f) = &result {
        if f.permanent || job.attempts >= job.max_attempts {
            let note = format!(
                "邮件回复未能发送给客户 (the email reply could not be delivered after {} attempts): {}",
                job.attempts, f.message
            );
            let scope = intake::scope(payload.merchant_id);
            let ctx = intake::ctx("email", crate::auth::now());
            let actor = Actor::System { name: OUTBOUND_ACTOR.into() };
            let cmd = TicketCommand::InternalNote { body: note.chars().take(2000).collect() };
            if let Err(e) =
                crate::tickets::command(state, &scope, &ctx, &actor, payload.ticket_id, None, cmd).await
            {
                tracing::error!(ticket = payload.ticket_id, error = %e.message, "could not note a failed email delivery");
            }
        }
    }
    result
}

fn mailbox_of(addr: &str, name: &str) -> Result<LettreMailbox, JobFailure> {
    let a =
        addr.parse().map_err(|e| JobFailure::permanent(format!("'{addr}' is not a mail address: {e}")))?;
    Ok(LettreMailbox::new((!name.trim().is_empty()).then(|| name.trim().to_string()), a))
}

/// Build and send the reply.
async fn send(state: &AppState, p: &SendJob) -> Result<(), JobFailure> {
    let scope = intake::scope(p.merchant_id);
    let rec = state
        .store
        .get_ticket(&scope, p.ticket_id)
        .await
        .map_err(|e| JobFailure::retry(e.to_string()))?
        .ok_or_else(|| JobFailure::permanent(format!("ticket {} no longer exists", p.ticket_id)))?;
    let thread =
        state.store.ticket_thread(p.ticket_id).await.map_err(|e| JobFailure::retry(e.to_string()))?;
    let last_in = thread
        .iter()
        .rev()
        .find(|m| m.direction == "in")
        .ok_or_else(|| JobFailure::permanent("the ticket has no mail from the customer to answer"))?;
    let mailboxes = Scope::channel(p.merchant_id, Action::ChannelManage);
    let mailbox = state
        .store
        .get_mailbox(&mailboxes, last_in.mailbox_id)
        .await
        .map_err(|e| JobFailure::retry(e.to_string()))?
        .ok_or_else(|| JobFailure::permanent("the support mailbox of this ticket no longer exists"))?;
    if !mailbox.enabled {
        return Err(JobFailure::retry(format!("the support mailbox {} is disabled", mailbox.address)));
    }
    let number = rec.ticket.number.clone();
    let domain = mailbox.address.rsplit_once('@').map_or("kefu.invalid", |(_, d)| d).to_string();
    let message_id = format!("kefu.{}.{}@{domain}", number, p.event_id);

    // The signature with its variables.
    let agent = match p.staff_id {
        Some(id) => state
            .store
            .get_user(&Scope::operator(Action::UserRead), id)
            .await
            .ok()
            .flatten()
            .map(|u| u.display_name),
        None => None,
    }
    .unwrap_or_else(|| "客服".into());
    let customer = match rec.ticket.customer_id {
        Some(c) => state
            .store
            .get_customer(&Scope::channel(p.merchant_id, Action::CustomerRead), c)
            .await
            .ok()
            .flatten()
            .map(|c| c.display_name)
            .filter(|n| !n.trim().is_empty()),
        None => None,
    }
    .unwrap_or_else(|| "亲".into());
    let signature = mailbox
        .signature
        .replace("{客服昵称}", &agent)
        .replace("{工单号}", &number)
        .replace("{客户称呼}", &customer);
    let mut text = p.body.trim_end().to_string();
    if !signature.trim().is_empty() {
        text.push_str("\n\n-- \n");
        text.push_str(signature.trim_end());
    }
    text.push('\n');

    let subject = rec.ticket.subject.trim();
    let subject = subject
        .strip_prefix("Re: ")
        .or_else(|| subject.strip_prefix("RE: "))
        .or_else(|| subject.strip_prefix("回复："))
        .unwrap_or(subject);
    let subject = if subject.contains(&number) {
        format!("Re: {subject}")
    } else {
        format!("Re: {subject} [{number}]")
    };
    let real = |m: &&ThreadMessage| !m.message_id.ends_with("@kefu.invalid");
    let mut references: Vec<String> =
        thread.iter().filter(real).map(|m| format!("<{}>", clean_id(&m.message_id))).collect();
    // The first message and the newest ones, as RFC 5322 suggests for long threads.
    if references.len() > 20 {
        references.drain(1..references.len() - 19);
    }
    let mut builder = Message::builder()
        .from(mailbox_of(&mailbox.address, &mailbox.from_name)?)
        .to(mailbox_of(&last_in.peer, "")?)
        .subject(subject)
        .message_id(Some(format!("<{message_id}>")))
        .date_now()
        .header(ContentType::TEXT_PLAIN);
    if real(&last_in) {
        builder = builder.in_reply_to(format!("<{}>", clean_id(&last_in.message_id)));
    }
    if !references.is_empty() {
        builder = builder.references(references.join(" "));
    }
    let message =
        builder.body(text).map_err(|e| JobFailure::permanent(format!("cannot build the reply: {e}")))?;

    let port = u16::try_from(mailbox.smtp_port).map_err(|_| JobFailure::permanent("invalid relay port"))?;
    let host = mailbox.smtp_host.as_str();
    let builder = match mailbox.smtp_security.as_str() {
        "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(host),
        "starttls" => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host),
        _ => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)),
    }
    .map_err(|e| JobFailure::permanent(format!("relay {host}: {e}")))?;
    let mut builder = builder.port(port).timeout(Some(Duration::from_secs(30)));
    if let Some(user) = mailbox.smtp_username.clone().filter(|u| !u.is_empty()) {
        let password = state
            .store
            .mailbox_password(mailbox.id)
            .await
            .map_err(|e| JobFailure::retry(e.to_string()))?
            .unwrap_or_default();
        builder = builder.credentials(Credentials::new(user, password));
    }
    let transport = builder.build();
    match transport.send(message).await {
        Ok(_) => {}
        Err(e) if e.is_permanent() => {
            // A 5xx from the relay: retrying may still help (a full mailbox, a greylisting relay), but
            // say clearly what it answered. The error text carries no credentials.
            return Err(JobFailure::retry(format!("relay {host}:{port} refused the reply: {e}")));
        }
        Err(e) => return Err(JobFailure::retry(format!("relay {host}:{port}: {e}"))),
    }
    let out = ThreadMessage {
        mailbox_id: mailbox.id,
        message_id,
        direction: "out".into(),
        peer: last_in.peer.clone(),
        created_at: crate::auth::now(),
    };
    if let Err(e) = state.store.record_thread_message(p.merchant_id, p.ticket_id, out).await {
        // Sent all the same: a reply to it still threads by the ticket number in the subject.
        tracing::error!(ticket = p.ticket_id, error = %e, "reply sent but its Message-ID was not recorded");
    }
    Ok(())
}
