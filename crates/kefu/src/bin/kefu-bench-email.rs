//! `kefu-bench-email`: the inbound email pipeline benchmark. Prints figures; asserts nothing. Run through
//! `scripts/bench-email.sh`.
//!
//! On a fresh SQLite database with one merchant and its support mailbox: `--mails` realistic mails —
//! new requests in UTF-8 and GBK (base64 and quoted-printable, some multipart/alternative with HTML, some
//! with a PNG attachment), replies that thread by In-Reply-To/References and by the ticket number in the
//! subject, automatic replies and bounces — each stored raw as the SMTP listener stores it, then
//! processed (parse, thread, land in a ticket) by `channels::email::process`, `--concurrency` at a time
//! as the listener's background tasks run them. Printed: messages per second for store + process, the
//! share of tickets created versus threaded, and the parse-only rate.

#[path = "../bench_kit.rs"]
mod bench_kit;

use clap::Parser;
use kefu_core::authz::{Action, Scope};
use kefu_server::channels::email::process::{self, Processed};
use kefu_store::{AuditCtx, MailboxSpec, NewInboundMail, NewMerchant, PasswordChange};
use std::sync::Arc;
use std::time::Instant;

#[derive(Parser)]
#[command(name = "kefu-bench-email", about = "kefu inbound email benchmark: prints figures")]
struct Opts {
    /// Mails to process.
    #[arg(long, default_value_t = 4000)]
    mails: usize,
    /// Mails processed at once.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
}

const SUPPORT: &str = "service@shop.example";

/// GBK subjects and bodies (base64), as Chinese mail clients send them.
const GBK: &[(&str, &str)] = &[
    ("zcu79cnqx+s=", "0KzX07PfwuvGq9Cho6zP683Lu/WjrLaptaW6xSAyMDI2MTEyMzAwMaGj"),
    ("t6LGsc7KzOI=", "x+uw787Sv6q+39T21rXLsMbVzai3osaxo6zMp823ysfJz7qjxLPEs9PQz965q8u+oaM="),
    ("zu/B97Lp0a8=", "v+y13cj9zOzDu9PQuPzQwsHLo6zH67Dvw6ay6dK7z8Khow=="),
    ("yczGt9bKwb/Ntsvf", "ytW1vbXEsa3X09PQwdHOxqOs0qrH87u7u/W78tXfzcu/7qGj"),
    ("08W73civzt63qMq508M=", "z8K1pcqxwvq89civz9TKvrK7v8nTw6Oswum3s7+00rvPwqGj"),
];

const PNG_B64: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

fn headers(from: &str, subject: &str, id: &str, extra: &str) -> String {
    format!(
        "Received: from mx.example ([203.0.113.7])\r\n\tby kefu (kefu) with ESMTP;\r\n\tMon, 23 Nov 2026 10:00:00 +0800\r\n\
From: {from}\r\nTo: {SUPPORT}\r\nSubject: {subject}\r\nDate: Mon, 23 Nov 2026 10:00:00 +0800\r\n\
Message-ID: <{id}>\r\nMIME-Version: 1.0\r\n{extra}"
    )
}

/// A new request: one of four shapes, by `i`.
fn new_mail(i: usize) -> (String, String) {
    let id = format!("m{i}@buyer{}.example", i % 97);
    let from = format!("buyer{}@buyer{}.example", i % 1500, i % 97);
    let (subject_b64, body_b64) = GBK[i % GBK.len()];
    let raw = match i % 4 {
        0 => headers(&from, &format!("=?GBK?B?{subject_b64}?="), &id, "Content-Type: text/plain; charset=GBK\r\nContent-Transfer-Encoding: base64\r\n\r\n")
            + body_b64
            + "\r\n",
        1 => headers(
            &format!("=?UTF-8?B?5byg5LiJ?= <{from}>"),
            "=?UTF-8?Q?=E8=AE=A2=E5=8D=95=E5=92=A8=E8=AF=A2?=",
            &id,
            "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n",
        ) + "=E6=82=A8=E5=A5=BD=EF=BC=8C=E8=AF=B7=E9=97=AE=E4=BB=80=E4=B9=88=E6=97=B6=E5=80=99=E5=8F=91=E8=B4=A7=EF=BC=9F\r\n",
        2 => headers(&from, &format!("=?GBK?B?{subject_b64}?="), &id, "Content-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n")
            + &format!(
                "--alt\r\nContent-Type: text/plain; charset=GBK\r\nContent-Transfer-Encoding: base64\r\n\r\n{body_b64}\r\n\
--alt\r\nContent-Type: text/html; charset=UTF-8\r\n\r\n<html><body><p>您好，<b>请尽快处理</b></p><img src=\"https://t.example/p.gif\"></body></html>\r\n--alt--\r\n"
            ),
        _ => headers(&from, &format!("=?GBK?B?{subject_b64}?="), &id, "Content-Type: multipart/mixed; boundary=\"mix\"\r\n\r\n")
            + &format!(
                "--mix\r\nContent-Type: text/plain; charset=GBK\r\nContent-Transfer-Encoding: base64\r\n\r\n{body_b64}\r\n\
--mix\r\nContent-Type: image/png; name=\"photo.png\"\r\nContent-Disposition: attachment; filename=\"photo.png\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\n{PNG_B64}\r\n--mix--\r\n"
            ),
    };
    (raw, from)
}

fn main() -> anyhow::Result<()> {
    let opts = Opts::parse();
    bench_kit::runtime()?.block_on(run(opts))
}

async fn run(opts: Opts) -> anyhow::Result<()> {
    let bench_kit::Fresh { state, dir, url } = bench_kit::fresh_sqlite("kefu-bench-email").await?;
    println!("kefu inbound email benchmark — {} mails, {} at a time", opts.mails, opts.concurrency);
    println!("database: {url}");
    let ctx = AuditCtx::operator("bench", kefu_server::auth::now());
    let merchant = state
        .store
        .create_merchant(
            &Scope::operator(Action::MerchantManage),
            &ctx,
            NewMerchant { code: "bench-shop".into(), name: "基准店".into() },
        )
        .await?
        .id;
    let mailbox = state
        .store
        .create_mailbox(
            &Scope::operator(Action::ChannelManage),
            &ctx,
            MailboxSpec {
                merchant_id: Some(merchant),
                address: SUPPORT.into(),
                from_name: "基准店客服".into(),
                smtp_host: "127.0.0.1".into(),
                smtp_port: 25,
                smtp_security: "none".into(),
                smtp_username: None,
                smtp_password: PasswordChange::Keep,
                signature: String::new(),
                enabled: true,
            },
        )
        .await?
        .id;

    // Half new requests first, so the replies have threads to join; then the mixed rest.
    let first = opts.mails / 2;
    let mut mails: Vec<(String, String)> = (0..first).map(new_mail).collect();
    let state = Arc::new(state);
    let started = Instant::now();
    let mut stats = land(&state, merchant, mailbox, std::mem::take(&mut mails), opts.concurrency).await?;
    // Senders and ticket numbers of some first mails, for replies that quote the number in the subject.
    let scope = kefu_server::channels::intake::scope(Some(merchant));
    let mut numbered: Vec<(String, String)> = Vec::new();
    for m in state.store.list_inbound_mail(&scope, None, 200).await? {
        if let Some(t) = m.ticket_id {
            if let Some(rec) = state.store.get_ticket(&scope, t).await? {
                numbered.push((m.mail_from.clone(), rec.ticket.number));
            }
        }
    }
    anyhow::ensure!(!numbered.is_empty(), "no tickets were created");
    for j in 0..opts.mails - first {
        let i = first + j;
        let target = j % first.max(1);
        let from = format!("buyer{}@buyer{}.example", target % 1500, target % 97);
        let parent = format!("<m{target}@buyer{}.example>", target % 97);
        let id = format!("r{i}@buyer.example");
        let raw = match j % 10 {
            0..=4 => headers(&from, "Re: =?UTF-8?B?6K6i5Y2V5ZKo6K+i?=", &id, &format!("In-Reply-To: {parent}\r\nReferences: {parent}\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n"))
                + "补充一下，订单号是 20261123001。\r\n\r\n在 2026年11月23日 10:00，客服 写道：\r\n> 您好\r\n> 请提供订单号\r\n",
            5..=7 => headers(
                &numbered[j % numbered.len()].0,
                &format!("Re: =?GBK?B?{}?= [{}]", GBK[j % GBK.len()].0, numbered[j % numbered.len()].1),
                &id,
                "Content-Type: text/plain; charset=GBK\r\nContent-Transfer-Encoding: base64\r\n\r\n",
            ) + GBK[(j + 1) % GBK.len()].1
                + "\r\n",
            8 => headers(&from, "=?UTF-8?B?6Ieq5Yqo5Zue5aSN77ya5oiR5q2j5Zyo5LyR5YGH?=", &id, &format!("Auto-Submitted: auto-replied\r\nIn-Reply-To: {parent}\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n"))
                + "我将于下周回来。\r\n",
            _ => headers("MAILER-DAEMON@mx.buyer.example", "Undelivered Mail Returned to Sender", &id, &format!("In-Reply-To: {parent}\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\r\n\r\n"))
                + "--r\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n--r\r\nContent-Type: message/delivery-status\r\n\r\nStatus: 5.1.1\r\n--r--\r\n",
        };
        let envelope = match j % 10 {
            9 => String::new(),
            5..=7 => numbered[j % numbered.len()].0.clone(),
            _ => from,
        };
        mails.push((raw, envelope));
    }
    let more = land(&state, merchant, mailbox, mails, opts.concurrency).await?;
    let secs = started.elapsed().as_secs_f64();
    stats.merge(&more);
    println!(
        "processed {} mails in {:.2} s: {:.0} messages/s (store raw + parse + thread + land; target ≥ 200)",
        opts.mails,
        secs,
        opts.mails as f64 / secs
    );
    println!(
        "  new tickets {}, threaded into existing tickets {}, auto-replies/bounces recorded {}, flagged {}, other {}",
        stats.created, stats.threaded, stats.recorded, stats.flagged, stats.other
    );

    // Parse alone (one core), for scale.
    let sample: Vec<String> = (0..1000).map(|i| new_mail(i).0).collect();
    let t = Instant::now();
    let mut n = 0;
    for _ in 0..5 {
        for raw in &sample {
            if kefu_server::channels::email::parse::parse(raw.as_bytes(), "buyer@example.com").is_some() {
                n += 1;
            }
        }
    }
    println!("parse only: {:.0} messages/s on one core", n as f64 / t.elapsed().as_secs_f64());
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[derive(Default)]
struct Stats {
    created: usize,
    threaded: usize,
    recorded: usize,
    flagged: usize,
    other: usize,
}

impl Stats {
    fn merge(&mut self, o: &Stats) {
        self.created += o.created;
        self.threaded += o.threaded;
        self.recorded += o.recorded;
        self.flagged += o.flagged;
        self.other += o.other;
    }
}

/// Store and process `mails` as the listener does, `concurrency` at a time.
async fn land(
    state: &Arc<kefu_server::AppState>,
    merchant: i64,
    mailbox: i64,
    mails: Vec<(String, String)>,
    concurrency: usize,
) -> anyhow::Result<Stats> {
    let slots = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let mut set = tokio::task::JoinSet::new();
    for (raw, from) in mails {
        let permit = slots.clone().acquire_owned().await?;
        let state = state.clone();
        set.spawn(async move {
            let _permit = permit;
            let now = kefu_server::auth::now();
            let id = state
                .store
                .insert_inbound_mail(NewInboundMail {
                    merchant_id: Some(merchant),
                    mailbox_id: mailbox,
                    peer: "203.0.113.7".into(),
                    mail_from: from,
                    rcpt_to: vec![SUPPORT.into()],
                    raw: raw.into_bytes(),
                    received_at: now,
                })
                .await?;
            process::process(&state, id, now).await
        });
    }
    let mut stats = Stats::default();
    while let Some(r) = set.join_next().await {
        match r?? {
            Processed::Landed { created: true, .. } => stats.created += 1,
            Processed::Landed { created: false, .. } => stats.threaded += 1,
            Processed::Recorded { .. } => stats.recorded += 1,
            Processed::Flagged => stats.flagged += 1,
            _ => stats.other += 1,
        }
    }
    Ok(stats)
}
