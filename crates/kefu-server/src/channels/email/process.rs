//! Processing a stored inbound mail: parse, thread, land.
//!
//! The listener has already committed the raw mail. Here it is claimed with a lease (so two nodes, or the
//! listener's immediate run and the recovery pass, never process it at once), parsed, threaded into a
//! ticket — by In-Reply-To/References against the Message-IDs kefu stored for the merchant's tickets,
//! then by a ticket number in the subject, else a new ticket — and landed through `intake`. Automatic
//! replies and bounces are recorded, never landed (no reopening, no answer, no mail loop). A mail that
//! cannot be read is kept and flagged. Errors (the database away) leave it `received` for the next pass,
//! at most `MAX_ATTEMPTS` times.

use super::parse::{self, MailKind, Parsed};
use crate::channels::intake::{self, Identity, Inbound};
use crate::state::AppState;
use kefu_core::authz::Scope;
use kefu_core::ticket::{Actor, Channel, Priority, TicketCommand};
use kefu_core::time::Millis;
use kefu_store::{InboundMail, InboundOutcome, NewAttachment, ThreadMessage};

/// How long a claim holds a mail.
pub const LEASE_MS: i64 = 2 * 60 * 1000;
/// Processing attempts before a mail is left `failed` (kept, visible in the inbound list).
pub const MAX_ATTEMPTS: i64 = 5;
/// The system actor of notes the email channel writes.
pub const INTAKE_ACTOR: &str = "email_intake";

/// The longest ticket message body kept from a mail (the raw mail keeps everything).
const MAX_BODY_CHARS: usize = 20_000;

/// What processing one mail did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Processed {
    /// Another claimant has it, or it was done already.
    Skipped,
    Landed {
        ticket_id: i64,
        created: bool,
    },
    /// An automatic reply or a bounce, recorded (with the ticket it belongs to, if known).
    Recorded {
        kind: MailKind,
        ticket_id: Option<i64>,
    },
    Flagged,
    /// Will be tried again.
    Retry,
}

/// Process the pending mail in the background, right after it was accepted.
pub fn spawn(state: &AppState, id: i64) {
    let state = state.clone();
    tokio::spawn(async move {
        if let Err(e) = process(&state, id, crate::auth::now()).await {
            tracing::warn!(mail = id, error = %e, "inbound mail not processed; the recovery pass retries");
        }
    });
}

/// The recovery pass: every mail still waiting (a crash between the 250 and its processing, an error).
pub async fn run_pending(state: &AppState, now: Millis) -> anyhow::Result<usize> {
    let ids = state.store.pending_inbound_mail(now, 200).await?;
    let mut n = 0;
    for id in ids {
        if process(state, id, now).await? != Processed::Skipped {
            n += 1;
        }
    }
    Ok(n)
}

/// Claim and process one stored mail.
pub async fn process(state: &AppState, id: i64, now: Millis) -> anyhow::Result<Processed> {
    let Some((rec, raw)) = state.store.claim_inbound_mail(id, now, Millis(now.0 + LEASE_MS)).await? else {
        return Ok(Processed::Skipped);
    };
    let parsed = parse::parse(&raw, &rec.mail_from);
    let (outcome, result) = match parsed {
        None => (
            InboundOutcome {
                state: "flagged".into(),
                error: Some("the message could not be read as mail (no headers)".into()),
                ..Default::default()
            },
            Processed::Flagged,
        ),
        Some(p) => match land(state, &rec, &p, now).await {
            Ok(done) => done,
            Err(e) => {
                let give_up = rec.attempts >= MAX_ATTEMPTS;
                tracing::warn!(mail = id, attempt = rec.attempts, give_up, error = %e.message, "inbound mail processing failed");
                (
                    InboundOutcome {
                        state: if give_up { "failed" } else { "received" }.into(),
                        subject: Some(p.subject.clone()),
                        error: Some(e.message.clone()),
                        ..Default::default()
                    },
                    if give_up { Processed::Flagged } else { Processed::Retry },
                )
            }
        },
    };
    state.store.finish_inbound_mail(id, outcome, crate::auth::now()).await?;
    Ok(result)
}

/// The ticket this mail threads into, if any (in the mail's merchant only).
async fn thread_of(state: &AppState, rec: &InboundMail, p: &Parsed) -> crate::error::ApiResult<Option<i64>> {
    let scope = intake::scope(rec.merchant_id);
    if !p.thread_ids.is_empty() {
        if let Some(t) = state.store.ticket_by_message_ids(rec.merchant_id, &p.thread_ids).await? {
            if state.store.get_ticket(&scope, t).await?.is_some() {
                return Ok(Some(t));
            }
        }
    }
    if let Some(n) = parse::ticket_number_in(&p.subject) {
        if let Some(t) = state.store.get_ticket_by_number(&scope, &n).await? {
            if t.state.merchant_id == rec.merchant_id {
                return Ok(Some(t.ticket.id));
            }
        }
    }
    Ok(None)
}

async fn land(
    state: &AppState,
    rec: &InboundMail,
    p: &Parsed,
    now: Millis,
) -> crate::error::ApiResult<(InboundOutcome, Processed)> {
    let scope = intake::scope(rec.merchant_id);
    let ctx = intake::ctx("email", now);
    let base = InboundOutcome {
        state: "processed".into(),
        kind: Some(p.kind.as_str().into()),
        subject: Some(p.subject.clone()),
        message_id: p.message_id.clone(),
        body_html: p.html.clone(),
        ..Default::default()
    };
    let thread = thread_of(state, rec, p).await?;
    if p.kind != MailKind::Mail {
        // Recorded only. A bounce of kefu's own reply tells the agent the customer did not get it.
        if let (MailKind::Bounce, Some(t)) = (p.kind, thread) {
            let note = format!("邮件退信 (bounce): {}", intake::one_line(&p.subject, 200));
            let actor = Actor::System { name: INTAKE_ACTOR.into() };
            crate::tickets::command(
                state,
                &scope,
                &ctx,
                &actor,
                t,
                None,
                TicketCommand::InternalNote { body: note },
            )
            .await?;
        }
        return Ok((
            InboundOutcome { ticket_id: thread, ..base },
            Processed::Recorded { kind: p.kind, ticket_id: thread },
        ));
    }
    let Some(from) = p.from.clone() else {
        return Ok((
            InboundOutcome {
                state: "flagged".into(),
                error: Some("the mail has no From address".into()),
                ..base
            },
            Processed::Flagged,
        ));
    };
    // Processed before (a crash after landing, before the row was finished): do not land it twice.
    let message_id = p.message_id.clone().unwrap_or_else(|| format!("inbound-{}@kefu.invalid", rec.id));
    if let Some(t) =
        state.store.ticket_by_message_ids(rec.merchant_id, std::slice::from_ref(&message_id)).await?
    {
        return Ok((
            InboundOutcome { ticket_id: Some(t), ..base },
            Processed::Landed { ticket_id: t, created: false },
        ));
    }
    let customer = intake::find_customer(
        state,
        &ctx,
        rec.merchant_id,
        &Identity::Email(from.clone()),
        p.from_name.as_deref(),
    )
    .await?;
    let mut body: String = p.text.chars().take(MAX_BODY_CHARS).collect();
    if body.trim().is_empty() {
        body = if p.attachments.is_empty() { "(无正文)".into() } else { "(附件)".into() };
    }
    let landed = intake::customer_message(
        state,
        &ctx,
        Inbound {
            merchant_id: rec.merchant_id,
            customer_id: customer.id,
            channel: Channel::Email,
            subject: p.subject.clone(),
            body,
            ticket_id: thread,
            reuse_within_ms: 0,
            priority: Priority::Normal,
        },
    )
    .await?;
    let ticket_id = landed.ticket.id;
    state
        .store
        .record_thread_message(
            rec.merchant_id,
            ticket_id,
            ThreadMessage {
                mailbox_id: rec.mailbox_id,
                message_id,
                direction: "in".into(),
                peer: from,
                created_at: now,
            },
        )
        .await?;
    let mut refused = Vec::new();
    for part in &p.attachments {
        if let Err(e) = attach(state, &scope, &ctx, ticket_id, part).await {
            refused.push(format!("{}: {}", part.name, e));
        }
    }
    let error = (!refused.is_empty()).then(|| format!("attachments not kept: {}", refused.join("; ")));
    Ok((
        InboundOutcome { ticket_id: Some(ticket_id), error, ..base },
        Processed::Landed { ticket_id, created: landed.created },
    ))
}

/// Store one attachment through the attachment store, with the same checks as an upload.
async fn attach(
    state: &AppState,
    scope: &Scope,
    ctx: &kefu_store::AuditCtx,
    ticket_id: i64,
    part: &parse::Part,
) -> anyhow::Result<()> {
    let checked =
        crate::files::check_upload(&crate::files::AttachmentPolicy::default(), &part.name, None, &part.bytes)
            .map_err(|e| anyhow::anyhow!(e.message))?;
    let stored = state.attachments.put(&checked, &part.bytes).await?;
    let a = NewAttachment {
        sha256: stored.sha256,
        file_name: checked.file_name,
        mime: stored.mime,
        size: stored.size as i64,
    };
    state.store.add_attachment(scope, ctx, ticket_id, a).await?;
    Ok(())
}
