//! The inbound SMTP listener: a small, strict RFC 5321 receiver for mail to the support mailboxes.
//!
//! Point an MTA (or the MX record) at it. It speaks EHLO/HELO, MAIL FROM (with `SIZE=`), RCPT TO, DATA,
//! RSET, NOOP, VRFY (252) and QUIT; it announces `SIZE`, `8BITMIME` and `ENHANCEDSTATUSCODES`, and no
//! TLS or AUTH (run it on loopback behind the MTA that faces the internet, or on a private network).
//!
//! * A recipient that is no enabled support mailbox is refused with 550; recipients of two merchants in
//!   one message get 452 for the second merchant's (the client sends it again separately).
//! * The size limit is announced and enforced: 552 at `MAIL FROM … SIZE=` or after the data.
//! * Command lines over 512 octets and text lines over 1000 octets (RFC 5321 4.5.3.1) are refused (500).
//! * Only `<CRLF>.<CRLF>` ends the data; dot-stuffing is undone.
//! * Timeouts: 5 minutes per command, 10 minutes per data line; then 421 and the connection closes.
//! * Per client address and minute: at most `smtp_rate_per_minute` connections (then 421) and messages
//!   (then 450 at MAIL FROM).
//! * The message is a committed database row before the final 250; processing follows (`process`).

use super::process;
use crate::state::AppState;
use kefu_store::{Mailbox, NewInboundMail};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

pub const MAX_COMMAND_LINE: usize = 512;
pub const MAX_TEXT_LINE: usize = 1000;
pub const MAX_RECIPIENTS: usize = 100;
pub const MAX_CONNECTIONS: usize = 200;
const MAX_ERRORS: u32 = 10;
const COMMAND_TIMEOUT: Duration = Duration::from_secs(300);
const DATA_TIMEOUT: Duration = Duration::from_secs(600);
const HOST: &str = "kefu";

/// Connections and messages per client address in the current minute.
#[derive(Default)]
pub struct RateLimiter {
    per_minute: u32,
    windows: Mutex<HashMap<IpAddr, (Instant, u32, u32)>>,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> RateLimiter {
        RateLimiter { per_minute, windows: Mutex::default() }
    }

    fn count(&self, ip: IpAddr, message: bool) -> bool {
        if self.per_minute == 0 {
            return true;
        }
        let mut w = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if w.len() > 10_000 {
            w.retain(|_, (start, _, _)| now.duration_since(*start) < Duration::from_secs(60));
        }
        let e = w.entry(ip).or_insert((now, 0, 0));
        if now.duration_since(e.0) >= Duration::from_secs(60) {
            *e = (now, 0, 0);
        }
        let n = if message { &mut e.2 } else { &mut e.1 };
        *n += 1;
        *n <= self.per_minute
    }
}

/// Accept connections until the process ends.
pub async fn run(state: AppState, listener: TcpListener) {
    let limiter = Arc::new(RateLimiter::new(state.config.smtp_rate_per_minute));
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "SMTP listener ready");
    }
    // Mail that was stored but not processed (a crash after the 250) is picked up now and periodically.
    let recovery = state.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(10));
        loop {
            tick.tick().await;
            if let Err(e) = process::run_pending(&recovery, crate::auth::now()).await {
                tracing::warn!(error = %e, "inbound mail recovery pass failed");
            }
        }
    });
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "SMTP accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            tokio::spawn(async move {
                let mut s = stream;
                let _ = s.write_all(b"421 4.3.2 kefu too many connections; try again later\r\n").await;
            });
            continue;
        };
        let state = state.clone();
        let limiter = limiter.clone();
        tokio::spawn(async move {
            if let Err(e) = session(&state, stream, peer, &limiter).await {
                tracing::debug!(%peer, error = %e, "SMTP session ended with an error");
            }
            drop(permit);
        });
    }
}

enum LineRead {
    Line,
    TooLong,
    Eof,
}

/// Read one line (up to and including LF) into `buf`, at most `max` octets; a longer line is consumed
/// and reported `TooLong`.
async fn read_line<R: AsyncBufRead + Unpin>(
    r: &mut R,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<LineRead> {
    buf.clear();
    let mut too_long = false;
    loop {
        let available = r.fill_buf().await?;
        if available.is_empty() {
            return Ok(LineRead::Eof);
        }
        let (n, done) = match available.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        if !too_long {
            if buf.len() + n > max {
                too_long = true;
                buf.clear();
            } else {
                buf.extend_from_slice(&available[..n]);
            }
        }
        r.consume(n);
        if done {
            return Ok(if too_long { LineRead::TooLong } else { LineRead::Line });
        }
    }
}

/// `<addr>` after `FROM:`/`TO:`, and the parameters after it.
fn parse_path<'a>(arg: &'a str, keyword: &str) -> Option<(String, &'a str)> {
    let rest = arg
        .get(..keyword.len())
        .filter(|k| k.eq_ignore_ascii_case(keyword))
        .map(|_| &arg[keyword.len()..])?;
    let rest = rest.trim_start();
    let rest = rest.strip_prefix('<')?;
    let end = rest.find('>')?;
    let path = rest[..end].trim();
    // A source route (`@a,@b:user@host`) is ignored, as RFC 5321 allows.
    let path = path.rsplit_once(':').map_or(path, |(_, p)| p);
    if path.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return None;
    }
    Some((path.to_string(), rest[end + 1..].trim()))
}

struct Txn {
    from: String,
    rcpts: Vec<(String, Mailbox)>,
}

async fn session(
    state: &AppState,
    stream: TcpStream,
    peer: SocketAddr,
    limiter: &RateLimiter,
) -> std::io::Result<()> {
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    let ip = peer.ip();
    if !limiter.count(ip, false) {
        w.write_all(b"421 4.7.0 kefu too many connections from your address; try again later\r\n").await?;
        return Ok(());
    }
    let max = state.config.smtp_max_message_bytes;
    w.write_all(format!("220 {HOST} ESMTP kefu ready\r\n").as_bytes()).await?;
    let mut helo: Option<(String, bool)> = None;
    let mut txn: Option<Txn> = None;
    let mut errors = 0u32;
    let mut buf = Vec::with_capacity(MAX_COMMAND_LINE);
    loop {
        let read = match tokio::time::timeout(COMMAND_TIMEOUT, read_line(&mut r, &mut buf, MAX_COMMAND_LINE))
            .await
        {
            Ok(r) => r?,
            Err(_) => {
                w.write_all(b"421 4.4.2 kefu timeout; closing the connection\r\n").await?;
                return Ok(());
            }
        };
        let reply: String = match read {
            LineRead::Eof => return Ok(()),
            LineRead::TooLong => {
                errors += 1;
                "500 5.5.2 line too long".into()
            }
            LineRead::Line => {
                let line = String::from_utf8_lossy(&buf);
                let line = line.trim_end_matches(['\r', '\n']);
                let (verb, arg) = line.split_once(' ').unwrap_or((line, ""));
                let arg = arg.trim();
                match verb.to_ascii_uppercase().as_str() {
                    "EHLO" | "HELO" if arg.is_empty() => {
                        errors += 1;
                        "501 5.5.4 a domain or address literal is required".into()
                    }
                    "EHLO" => {
                        helo = Some((arg.to_string(), true));
                        txn = None;
                        format!("250-{HOST} greets {arg}\r\n250-SIZE {max}\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES")
                    }
                    "HELO" => {
                        helo = Some((arg.to_string(), false));
                        txn = None;
                        format!("250 {HOST} greets {arg}")
                    }
                    "MAIL" if helo.is_none() => "503 5.5.1 say EHLO first".into(),
                    "MAIL" if txn.is_some() => "503 5.5.1 a transaction is already open; RSET first".into(),
                    "MAIL" => match parse_path(arg, "FROM:") {
                        None => {
                            errors += 1;
                            "501 5.5.4 syntax: MAIL FROM:<address>".into()
                        }
                        Some((from, params)) => {
                            let size = params.split_whitespace().find_map(|p| {
                                p.split_once('=')
                                    .filter(|(k, _)| k.eq_ignore_ascii_case("SIZE"))
                                    .map(|(_, v)| v)
                            });
                            match size.map(str::parse::<usize>) {
                                Some(Err(_)) => "501 5.5.4 SIZE must be a number".into(),
                                Some(Ok(n)) if n > max => {
                                    format!("552 5.3.4 the message is larger than the limit of {max} octets")
                                }
                                _ if !limiter.count(ip, true) => {
                                    "450 4.7.1 too many messages from your address; try again later".into()
                                }
                                _ => {
                                    txn = Some(Txn { from, rcpts: Vec::new() });
                                    "250 2.1.0 sender OK".into()
                                }
                            }
                        }
                    },
                    "RCPT" => match (&mut txn, parse_path(arg, "TO:")) {
                        (None, _) => "503 5.5.1 MAIL FROM first".into(),
                        (Some(_), None) => {
                            errors += 1;
                            "501 5.5.4 syntax: RCPT TO:<address>".into()
                        }
                        (Some(t), Some((to, _))) => rcpt(state, t, to.to_ascii_lowercase()).await,
                    },
                    "DATA" if !arg.is_empty() => "501 5.5.4 DATA takes no parameters".into(),
                    "DATA" => match txn.take() {
                        None => "503 5.5.1 MAIL FROM first".into(),
                        Some(t) if t.rcpts.is_empty() => "554 5.5.1 no valid recipients".into(),
                        Some(t) => {
                            w.write_all(b"354 3.0.0 send the message; end with <CRLF>.<CRLF>\r\n").await?;
                            match data(state, &mut r, &mut w, peer, helo.as_ref(), t).await? {
                                Some(reply) => reply,
                                None => return Ok(()),
                            }
                        }
                    },
                    "RSET" => {
                        txn = None;
                        "250 2.0.0 reset".into()
                    }
                    "NOOP" => "250 2.0.0 OK".into(),
                    "VRFY" => "252 2.5.0 cannot verify; send the mail and it will be tried".into(),
                    "QUIT" => {
                        w.write_all(format!("221 2.0.0 {HOST} closing the connection\r\n").as_bytes())
                            .await?;
                        return Ok(());
                    }
                    "STARTTLS" | "AUTH" | "BDAT" | "EXPN" | "TURN" | "ETRN" => {
                        "502 5.5.1 command not implemented".into()
                    }
                    _ => {
                        errors += 1;
                        "500 5.5.2 command not recognised".into()
                    }
                }
            }
        };
        w.write_all(reply.as_bytes()).await?;
        w.write_all(b"\r\n").await?;
        if errors >= MAX_ERRORS {
            w.write_all(b"421 4.7.0 too many errors; closing the connection\r\n").await?;
            return Ok(());
        }
    }
}

async fn rcpt(state: &AppState, t: &mut Txn, to: String) -> String {
    if t.rcpts.len() >= MAX_RECIPIENTS {
        return "452 4.5.3 too many recipients".into();
    }
    if t.rcpts.iter().any(|(a, _)| *a == to) {
        return "250 2.1.5 recipient OK".into();
    }
    match state.store.mailbox_by_address(&to).await {
        Err(e) => {
            tracing::error!(error = %e, "mailbox lookup failed");
            "451 4.3.0 temporary failure; try again later".into()
        }
        Ok(None) => format!("550 5.1.1 <{to}> is no support mailbox here"),
        Ok(Some(m)) => {
            if let Some((_, first)) = t.rcpts.first() {
                if first.merchant_id != m.merchant_id {
                    return "452 4.5.3 recipients of another shop: send them in a separate message".into();
                }
            }
            t.rcpts.push((to, m));
            "250 2.1.5 recipient OK".into()
        }
    }
}

/// Read the data after 354 and store it; the reply to send, or `None` when the connection is to close.
async fn data<R: AsyncBufRead + Unpin, W: AsyncWriteExt + Unpin>(
    state: &AppState,
    r: &mut R,
    w: &mut W,
    peer: SocketAddr,
    helo: Option<&(String, bool)>,
    t: Txn,
) -> std::io::Result<Option<String>> {
    let max = state.config.smtp_max_message_bytes;
    let (helo_name, esmtp) = helo.map_or(("unknown", false), |(h, e)| (h.as_str(), *e));
    let received = format!(
        "Received: from {} ([{}])\r\n\tby {HOST} (kefu) with {};\r\n\t{}\r\n",
        helo_name.chars().filter(|c| c.is_ascii_graphic()).take(100).collect::<String>(),
        peer.ip(),
        if esmtp { "ESMTP" } else { "SMTP" },
        time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc2822)
            .unwrap_or_default()
    );
    let mut raw = received.into_bytes();
    let mut too_big = false;
    let mut too_long = false;
    let mut line = Vec::with_capacity(MAX_TEXT_LINE);
    loop {
        let read = match tokio::time::timeout(DATA_TIMEOUT, read_line(r, &mut line, MAX_TEXT_LINE)).await {
            Ok(x) => x?,
            Err(_) => {
                w.write_all(b"421 4.4.2 kefu timeout; closing the connection\r\n").await?;
                return Ok(None);
            }
        };
        match read {
            LineRead::Eof => return Ok(None),
            LineRead::TooLong => too_long = true,
            LineRead::Line => {
                if line == b".\r\n" {
                    break;
                }
                let content = line.strip_prefix(b".").unwrap_or(&line);
                if too_big || raw.len() + content.len() > max {
                    too_big = true;
                    raw = Vec::new();
                } else {
                    raw.extend_from_slice(content);
                }
            }
        }
    }
    if too_big {
        return Ok(Some(format!("552 5.3.4 the message is larger than the limit of {max} octets")));
    }
    if too_long {
        return Ok(Some(format!("500 5.5.2 a line of the message is longer than {MAX_TEXT_LINE} octets")));
    }
    let first = &t.rcpts[0].1;
    let mail = NewInboundMail {
        merchant_id: first.merchant_id,
        mailbox_id: first.id,
        peer: peer.ip().to_string(),
        mail_from: t.from,
        rcpt_to: t.rcpts.iter().map(|(a, _)| a.clone()).collect(),
        raw,
        received_at: crate::auth::now(),
    };
    // Durable before the 250: the row is committed when this returns.
    match state.store.insert_inbound_mail(mail).await {
        Ok(id) => {
            process::spawn(state, id);
            Ok(Some(format!("250 2.0.0 OK queued as {id}")))
        }
        Err(e) => {
            tracing::error!(error = %e, "could not store an inbound mail");
            Ok(Some("451 4.3.0 temporary failure storing the message; try again later".into()))
        }
    }
}
