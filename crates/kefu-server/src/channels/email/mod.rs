//! The email channel (邮件): support mailboxes per merchant, an inbound SMTP listener that stores each
//! mail durably before accepting it, MIME parsing (GBK/GB2312/GB18030 included), threading into tickets,
//! automatic-reply and bounce handling, and replies sent from the durable job queue.
//!
//! * `smtp`: the listener (setting `smtp_listen`), strict RFC 5321, 250 only after the commit.
//! * `parse`: mail-parser → sender, subject, text without quoted history, HTML, attachments, kind.
//! * `process`: claim, parse, thread, land through `intake`; the recovery pass for unprocessed mail.
//! * `outbound`: staff replies → `email.send` jobs → the mailbox's relay with threading headers.

pub mod outbound;
pub mod parse;
pub mod process;
pub mod smtp;

use crate::state::AppState;

/// Start the email channel's background work: the feed consumer that queues replies, and the SMTP
/// listener when `smtp_listen` is set.
pub async fn start(state: &AppState) -> anyhow::Result<()> {
    tokio::spawn(outbound::run_feed(state.clone()));
    let addr = state.config.smtp_listen.trim();
    if !addr.is_empty() {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen for SMTP on {addr}: {e}"))?;
        tokio::spawn(smtp::run(state.clone(), listener));
    }
    Ok(())
}
