//! The email channel against real peers on loopback: Python's smtplib sends into kefu's SMTP listener,
//! and kefu's replies go to a real aiosmtpd server. The peers are `scripts/email-peers/*.py`; aiosmtpd is
//! installed into a virtual environment under `target/` the first time (cached across runs).

use crate::both_backends;
use crate::common::{error_code, Backend, TestApp};
use base64::Engine;
use kefu_core::authz::{Action, Scope};
use kefu_server::channels::email::{outbound, smtp};
use kefu_store::{AuditCtx, NewMerchant};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const SUPPORT: &str = "service@shop-a.example";
const BUYER: &str = "zhang.san@buyer.example";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn peers() -> PathBuf {
    root().join("scripts/email-peers")
}

/// The Python of a virtual environment with aiosmtpd, created once (and again if broken).
fn venv_python() -> PathBuf {
    static PY: OnceLock<PathBuf> = OnceLock::new();
    PY.get_or_init(|| {
        let target =
            std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root().join("target"));
        let venv = target.join("email-peers-venv");
        let py = venv.join("bin/python");
        let works = |py: &Path| {
            Command::new(py).args(["-c", "import aiosmtpd"]).status().map(|s| s.success()).unwrap_or(false)
        };
        if !works(&py) {
            let _ = std::fs::remove_dir_all(&venv);
            let ok = Command::new("python3").arg("-m").arg("venv").arg(&venv).status().unwrap().success();
            assert!(ok, "python3 -m venv failed");
            let ok = Command::new(&py)
                .args(["-m", "pip", "install", "-q", "-r"])
                .arg(peers().join("requirements.txt"))
                .status()
                .unwrap()
                .success();
            assert!(ok && works(&py), "pip install aiosmtpd failed");
        }
        py
    })
    .clone()
}

/// Send messages with smtplib over one connection; one result per message.
async fn send(port: u16, messages: Value) -> Vec<Value> {
    let spec = json!({"host": "127.0.0.1", "port": port, "messages": messages});
    tokio::task::spawn_blocking(move || {
        let mut child = Command::new("python3")
            .arg(peers().join("send.py"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        serde_json::to_writer(child.stdin.take().unwrap(), &spec).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "send.py: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<Vec<Value>>(&out.stdout).unwrap()
    })
    .await
    .unwrap()
}

/// A real SMTP server (aiosmtpd) writing what it receives to a folder.
struct Sink {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Sink {
    async fn start(mode: &'static str) -> Sink {
        tokio::task::spawn_blocking(move || {
            let py = venv_python();
            let dir = tempfile::tempdir().unwrap();
            let mut child = Command::new(py)
                .arg(peers().join("sink.py"))
                .arg(dir.path())
                .arg(mode)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let mut line = String::new();
            BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
            let port = line.trim().strip_prefix("READY ").unwrap_or_else(|| panic!("sink.py said {line:?}"));
            Sink { port: port.parse().unwrap(), child, dir }
        })
        .await
        .unwrap()
    }

    /// The messages received so far: (envelope, raw bytes).
    fn received(&self) -> Vec<(Value, Vec<u8>)> {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        names.sort();
        names
            .into_iter()
            .map(|p| {
                let env: Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
                (env, std::fs::read(p.with_extension("eml")).unwrap())
            })
            .collect()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

struct Setup {
    app: TestApp,
    admin: String,
    merchant: i64,
    smtp_port: u16,
}

/// kefu with its SMTP listener on a free port, merchant A and its support mailbox relaying to `relay_port`.
async fn setup(backend: Backend, relay_port: u16) -> Setup {
    let app = TestApp::spawn_with(backend, |c| {
        c.job_retry_base_ms = 10;
        c.smtp_max_message_bytes = 64 * 1024;
    })
    .await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let smtp_port = listener.local_addr().unwrap().port();
    tokio::spawn(smtp::run(app.state(), listener));
    let merchant = app
        .store
        .create_merchant(
            &Scope::operator(Action::MerchantManage),
            &AuditCtx::operator("test", kefu_server::auth::now()),
            NewMerchant { code: "shop-a".into(), name: "A 店".into() },
        )
        .await
        .unwrap()
        .id;
    let admin = app.admin().await;
    let (s, m) = app
        .post(
            "/api/v1/channels/email/mailboxes",
            &admin,
            json!({"merchant_id": merchant, "address": "Service@Shop-A.example", "from_name": "A店客服",
                   "smtp_host": "127.0.0.1", "smtp_port": relay_port, "smtp_security": "none",
                   "signature": "{客服昵称} 为您服务 · 工单 {工单号}"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    assert_eq!(m["address"], SUPPORT);
    Setup { app, admin, merchant, smtp_port }
}

impl Setup {
    /// Wait until `n` inbound mails are no longer waiting; returns them oldest first.
    async fn inbound(&self, n: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let (s, list) = self.app.get("/api/v1/channels/email/inbound?limit=200", &self.admin).await;
            assert_eq!(s, StatusCode::OK, "{list}");
            let mut items = list.as_array().unwrap().clone();
            let done = items
                .iter()
                .filter(|m| !matches!(m["state"].as_str(), Some("received" | "processing")))
                .count();
            if items.len() >= n && done == items.len() {
                items.reverse();
                return items;
            }
            assert!(Instant::now() < deadline, "inbound mail not processed in time: {list}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn ticket(&self, id: i64) -> Value {
        let (s, t) = self.app.get(&format!("/api/v1/tickets/{id}"), &self.admin).await;
        assert_eq!(s, StatusCode::OK, "{t}");
        t
    }
}

fn png() -> Vec<u8> {
    // A 1×1 PNG.
    base64::engine::general_purpose::STANDARD
        .decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
        .unwrap()
}

/// A GBK mail with an attachment opens a ticket with the decoded Chinese subject, body and the file;
/// replies thread into it by In-Reply-To and by the ticket number in the subject.
async fn email_gbk_mail_threads_into_one_ticket(backend: Backend) {
    let s = setup(backend, closed_port()).await;
    let b64 = base64::engine::general_purpose::STANDARD;
    let r = send(
        s.smtp_port,
        json!([{"from": format!("张三 <{BUYER}>"), "to": [SUPPORT], "subject": "退货申请：订单 20261123001 的鞋子尺码不对",
                "body": "您好，鞋子尺码偏小，想退货。\n谢谢！", "charset": "gbk",
                "html": "<p>您好，<b>鞋子</b>尺码偏小<img src=\"https://tracker.example/p.gif\"></p>",
                "attachments": [{"name": "鞋子照片.png", "b64": b64.encode(png()), "mime": "image/png"}]}]),
    )
    .await;
    assert_eq!(r[0]["ok"], true, "{r:?}");
    let first_id = r[0]["message_id"].as_str().unwrap().to_string();
    let mail = s.inbound(1).await;
    assert_eq!(mail[0]["state"], "processed", "{mail:?}");
    assert_eq!(mail[0]["kind"], "mail");
    assert_eq!(mail[0]["subject"], "退货申请：订单 20261123001 的鞋子尺码不对");
    // The HTML is kept and shown sanitised: the tracking pixel's address is gone.
    let html = mail[0]["body_html"].as_str().unwrap();
    assert!(html.contains("<b>鞋子</b>") && !html.contains("tracker.example"), "{html}");
    let ticket_id = mail[0]["ticket_id"].as_i64().unwrap();
    let t = s.ticket(ticket_id).await;
    assert_eq!(t["ticket"]["channel"], "email");
    assert_eq!(t["ticket"]["merchant_id"], s.merchant);
    assert_eq!(t["ticket"]["subject"], "退货申请：订单 20261123001 的鞋子尺码不对");
    assert_eq!(t["messages"][0]["body"], "您好，鞋子尺码偏小，想退货。\n谢谢！");
    assert_eq!(t["attachments"][0]["file_name"], "鞋子照片.png", "{t}");
    assert_eq!(t["attachments"][0]["mime"], "image/png");
    let (st, file) = s.app.get(&format!("/api/v1/attachments/{}", t["attachments"][0]["id"]), &s.admin).await;
    assert_eq!(st, StatusCode::OK, "{file}");
    // The customer was found by the From address, under the name in the mail.
    let (_, c) = s.app.get(&format!("/api/v1/customers/{}", t["ticket"]["customer_id"]), &s.admin).await;
    assert_eq!(c["display_name"], "张三", "{c}");

    let number = t["ticket"]["number"].as_str().unwrap().to_string();
    let r = send(
        s.smtp_port,
        json!([
            {"from": BUYER, "to": [SUPPORT], "subject": "补充", "charset": "gb2312",
             "body": "补充一下：是 42 码。\n\n在 2026年11月23日，A店客服 写道：\n> 您好", "headers": {"In-Reply-To": first_id, "References": first_id}},
            {"from": BUYER, "to": [SUPPORT], "subject": format!("Re: 退货 [{number}]"), "charset": "utf-8", "body": "请问进度如何？"}
        ]),
    )
    .await;
    assert!(r.iter().all(|x| x["ok"] == true), "{r:?}");
    let mail = s.inbound(3).await;
    assert_eq!(mail[1]["ticket_id"], ticket_id, "by In-Reply-To: {mail:?}");
    assert_eq!(mail[2]["ticket_id"], ticket_id, "by ticket number: {mail:?}");
    let t = s.ticket(ticket_id).await;
    let bodies: Vec<&str> =
        t["messages"].as_array().unwrap().iter().map(|m| m["body"].as_str().unwrap()).collect();
    assert_eq!(
        bodies,
        ["您好，鞋子尺码偏小，想退货。\n谢谢！", "补充一下：是 42 码。", "请问进度如何？"],
        "quoted history cut"
    );
    let (_, list) = s.app.get("/api/v1/tickets?channel=email", &s.admin).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "one ticket: {list}");
}
both_backends!(email_gbk_mail_threads_into_one_ticket);

/// Automatic replies and bounces are recorded but never reopen a resolved ticket (and are not answered).
async fn email_auto_replies_and_bounces_do_not_reopen(backend: Backend) {
    let s = setup(backend, closed_port()).await;
    let r = send(
        s.smtp_port,
        json!([{"from": BUYER, "to": [SUPPORT], "subject": "发票问题", "body": "需要开发票"}]),
    )
    .await;
    let first_id = r[0]["message_id"].as_str().unwrap().to_string();
    let ticket_id = s.inbound(1).await[0]["ticket_id"].as_i64().unwrap();
    let (st, b) = s.app.post(&format!("/api/v1/tickets/{ticket_id}/take"), &s.admin, json!({})).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let (st, b) = s
        .app
        .post(&format!("/api/v1/tickets/{ticket_id}/status"), &s.admin, json!({"status": "resolved"}))
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let t = s.ticket(ticket_id).await;
    let version = t["ticket"]["version"].as_i64().unwrap();
    let bounce = format!(
        "From: Mail Delivery System <MAILER-DAEMON@mx.buyer.example>\r\nTo: {SUPPORT}\r\nSubject: Undelivered Mail Returned to Sender\r\n\
Message-ID: <bounce-1@mx.buyer.example>\r\nIn-Reply-To: {first_id}\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\n\
The mail could not be delivered.\r\n--b1\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.buyer.example\r\n\r\n\
Final-Recipient: rfc822; {BUYER}\r\nAction: failed\r\nStatus: 5.1.1\r\n--b1--\r\n"
    );
    let b64 = base64::engine::general_purpose::STANDARD;
    let r = send(
        s.smtp_port,
        json!([
            {"from": BUYER, "to": [SUPPORT], "subject": "自动回复：我正在休假", "body": "我将于下周回来。",
             "headers": {"Auto-Submitted": "auto-replied", "In-Reply-To": first_id}},
            {"from": BUYER, "to": [SUPPORT], "subject": format!("Out of office"), "body": "away",
             "headers": {"X-Autoreply": "yes", "Precedence": "auto_reply", "In-Reply-To": first_id}},
            {"from": "MAILER-DAEMON@mx.buyer.example", "to": [SUPPORT], "envelope_from": "", "raw_b64": b64.encode(bounce)}
        ]),
    )
    .await;
    assert!(r.iter().all(|x| x["ok"] == true), "{r:?}");
    let mail = s.inbound(4).await;
    let kinds: Vec<&str> = mail.iter().map(|m| m["kind"].as_str().unwrap_or("?")).collect();
    assert_eq!(kinds, ["mail", "auto_reply", "auto_reply", "bounce"], "{mail:?}");
    assert!(mail[1..].iter().all(|m| m["ticket_id"] == ticket_id), "recorded against the ticket: {mail:?}");
    let t = s.ticket(ticket_id).await;
    assert_eq!(t["ticket"]["status"], "resolved", "not reopened: {t}");
    let customer_messages =
        t["messages"].as_array().unwrap().iter().filter(|m| m["kind"] == "customer").count();
    assert_eq!(customer_messages, 1, "{t}");
    // The bounce is a note for the agent (notes do not reopen); nothing is queued to answer any of them.
    let notes: Vec<&Value> =
        t["messages"].as_array().unwrap().iter().filter(|m| m["kind"] == "note").collect();
    assert_eq!(notes.len(), 1, "{t}");
    assert!(notes[0]["body"].as_str().unwrap().contains("退信"), "{t}");
    assert!(t["ticket"]["version"].as_i64().unwrap() > version);
    let mut pos = kefu_server::jobs::FeedPosition::default();
    outbound::feed_round(&s.app.state(), &mut pos, kefu_server::auth::now()).await.unwrap();
    let (_, jobs) = s.app.get("/api/v1/channels/email/deliveries", &s.admin).await;
    assert_eq!(jobs.as_array().map(Vec::len), Some(0), "{jobs}");
}
both_backends!(email_auto_replies_and_bounces_do_not_reopen);

/// Unknown recipients get 550, oversized mail 552 (declared or not), unreadable mail is kept and flagged,
/// and the session and the other mail carry on.
async fn email_listener_refuses_unknown_and_oversized(backend: Backend) {
    let s = setup(backend, closed_port()).await;
    let big = "大".repeat(40_000);
    let r = send(
        s.smtp_port,
        json!([
            {"from": BUYER, "to": ["nobody@shop-a.example"], "subject": "x", "body": "x"},
            {"from": BUYER, "to": [SUPPORT], "subject": "大附件", "body": big},
            {"from": BUYER, "to": [SUPPORT], "subject": "大附件", "body": big, "no_size": true},
            {"from": BUYER, "to": [SUPPORT, "nobody@shop-a.example"], "subject": "第一封", "body": "能收到吗"},
            {"from": BUYER, "to": [SUPPORT], "raw_b64": base64::engine::general_purpose::STANDARD.encode("\u{1}\u{2} no headers at all\r\n")},
            {"from": BUYER, "to": [SUPPORT], "subject": "第二封", "body": "还在吗"}
        ]),
    )
    .await;
    assert_eq!((r[0]["stage"].as_str(), r[0]["code"].as_i64()), (Some("rcpt"), Some(550)), "{r:?}");
    assert_eq!(
        (r[1]["stage"].as_str(), r[1]["code"].as_i64()),
        (Some("mail"), Some(552)),
        "declared size: {r:?}"
    );
    assert_eq!(
        (r[2]["stage"].as_str(), r[2]["code"].as_i64()),
        (Some("data"), Some(552)),
        "undeclared: {r:?}"
    );
    assert_eq!(r[3]["ok"], true, "{r:?}");
    assert_eq!(r[3]["refused"]["code"], 550, "{r:?}");
    assert_eq!(r[4]["ok"], true, "{r:?}");
    assert_eq!(r[5]["ok"], true, "{r:?}");
    let mail = s.inbound(3).await;
    assert_eq!(mail.len(), 3, "{mail:?}");
    assert_eq!(mail[0]["subject"], "第一封");
    assert_eq!(mail[1]["state"], "flagged", "{mail:?}");
    assert_eq!(mail[2]["subject"], "第二封");
    assert_eq!(mail[2]["state"], "processed");

    // Mailbox settings are validated with the field named; the relay password is never returned.
    let (st, e) = s
        .app
        .post(
            "/api/v1/channels/email/mailboxes",
            &s.admin,
            json!({"address": "not-an-address", "from_name": "x", "smtp_host": "h", "smtp_port": 25, "smtp_security": "none"}),
        )
        .await;
    assert_eq!(
        (st, error_code(&e).as_str(), e["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation", Some("address"))
    );
    let (st, e) = s
        .app
        .post(
            "/api/v1/channels/email/mailboxes",
            &s.admin,
            json!({"address": "b@shop-a.example", "from_name": "x", "smtp_host": "h", "smtp_port": 25, "smtp_security": "ssl"}),
        )
        .await;
    assert_eq!((st, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("smtp_security")));
    let (st, e) = s
        .app
        .post(
            "/api/v1/channels/email/mailboxes",
            &s.admin,
            json!({"address": SUPPORT, "from_name": "x", "smtp_host": "h", "smtp_port": 25, "smtp_security": "none"}),
        )
        .await;
    assert_eq!((st, e["error"]["field"].as_str()), (StatusCode::CONFLICT, Some("address")));
    let (st, m) = s
        .app
        .post(
            "/api/v1/channels/email/mailboxes",
            &s.admin,
            json!({"merchant_id": s.merchant, "address": "vip@shop-a.example", "from_name": "VIP", "smtp_host": "smtp.exmail.qq.com",
                   "smtp_port": 465, "smtp_security": "tls", "smtp_username": "vip@shop-a.example", "smtp_password": "s3cret-Relay"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{m}");
    assert_eq!(m["smtp_password_set"], true);
    assert!(!m.to_string().contains("s3cret-Relay"));
    let (_, list) = s.app.get("/api/v1/channels/email/mailboxes", &s.admin).await;
    assert!(!list.to_string().contains("s3cret-Relay") && list.as_array().unwrap().len() == 2, "{list}");
    let (_, audit) = s.app.get("/api/v1/audit", &s.admin).await;
    assert!(!audit.to_string().contains("s3cret-Relay"), "the audit trail holds no password");
}
both_backends!(email_listener_refuses_unknown_and_oversized);

/// Run the feed and the job queue until `done` says so (jobs run "later" so retries need no waiting).
async fn drive(s: &Setup, done: impl Fn(&Value) -> bool) -> Value {
    let state = s.app.state();
    let mut pos = kefu_server::jobs::FeedPosition::default();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut later = 0;
    loop {
        outbound::feed_round(&state, &mut pos, kefu_server::auth::now()).await.unwrap();
        later += 3_600_000;
        kefu_server::jobs::run_due(
            &state,
            "test-node",
            kefu_core::time::Millis(kefu_server::auth::now().0 + later),
            10,
        )
        .await
        .unwrap();
        let (_, jobs) = s.app.get("/api/v1/channels/email/deliveries", &s.admin).await;
        if done(&jobs) {
            return jobs;
        }
        assert!(Instant::now() < deadline, "deliveries never got there: {jobs}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// An agent's reply reaches a real SMTP server with kefu's Message-ID, In-Reply-To and References, the
/// signature filled in; the customer's answer to it threads back into the ticket.
async fn email_reply_reaches_the_customer(backend: Backend) {
    let sink = Sink::start("accept").await;
    let s = setup(backend, sink.port).await;
    let r = send(
        s.smtp_port,
        json!([{"from": format!("张三 <{BUYER}>"), "to": [SUPPORT], "subject": "物流查询", "charset": "gbk",
                "body": "我的快递到哪了？", "message_id": "<q1@buyer.example>", "headers": {"References": "<older@buyer.example>"}}]),
    )
    .await;
    assert_eq!(r[0]["ok"], true, "{r:?}");
    let ticket_id = s.inbound(1).await[0]["ticket_id"].as_i64().unwrap();
    let number = s.ticket(ticket_id).await["ticket"]["number"].as_str().unwrap().to_string();
    let (st, b) = s
        .app
        .post(
            &format!("/api/v1/tickets/{ticket_id}/replies"),
            &s.admin,
            json!({"body": "您好，包裹已到达上海转运中心。"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let jobs = drive(&s, |j| j[0]["state"] == "done").await;
    assert_eq!(jobs.as_array().unwrap().len(), 1, "{jobs}");
    let got = sink.received();
    assert_eq!(got.len(), 1);
    let (env, raw) = &got[0];
    assert_eq!(env["rcpt_tos"], json!([BUYER]));
    assert_eq!(env["mail_from"], SUPPORT);
    let m = mail_parser::MessageParser::default().parse(raw.as_slice()).unwrap();
    let message_id = m.message_id().unwrap().to_string();
    assert!(
        message_id.starts_with(&format!("kefu.{number}.")) && message_id.ends_with("@shop-a.example"),
        "{message_id}"
    );
    assert_eq!(m.in_reply_to().as_text(), Some("q1@buyer.example"));
    let refs: Vec<String> = match m.references() {
        mail_parser::HeaderValue::TextList(l) => l.iter().map(|x| x.to_string()).collect(),
        other => other.as_text().map(|x| vec![x.to_string()]).unwrap_or_default(),
    };
    assert_eq!(refs, ["q1@buyer.example"], "the thread kefu knows");
    assert_eq!(m.subject(), Some(format!("Re: 物流查询 [{number}]").as_str()));
    assert_eq!(m.from().and_then(|a| a.first()).and_then(|a| a.name()), Some("A店客服"));
    let body = m.body_text(0).unwrap().to_string();
    assert!(body.starts_with("您好，包裹已到达上海转运中心。"), "{body}");
    assert!(body.contains(&format!("root.admin 为您服务 · 工单 {number}")), "signature: {body}");

    // The customer answers kefu's mail (In-Reply-To only): it threads into the same ticket.
    let r = send(
        s.smtp_port,
        json!([{"from": BUYER, "to": [SUPPORT], "subject": "谢谢", "body": "收到，谢谢", "headers": {"In-Reply-To": format!("<{message_id}>")}}]),
    )
    .await;
    assert_eq!(r[0]["ok"], true);
    let mail = s.inbound(2).await;
    assert_eq!(mail[1]["ticket_id"], ticket_id, "{mail:?}");
    // The replayed feed never sends twice.
    drive(&s, |j| j.as_array().unwrap().len() == 1 && j[0]["state"] == "done").await;
    assert_eq!(sink.received().len(), 1);
}
both_backends!(email_reply_reaches_the_customer);

/// A relay that refuses or is down: the reply is retried, and after the last attempt a note appears on
/// the ticket and the outbox shows the failure.
async fn email_failed_delivery_is_retried_then_noted(backend: Backend) {
    let sink = Sink::start("refuse").await;
    let s = setup(backend, sink.port).await;
    send(s.smtp_port, json!([{"from": BUYER, "to": [SUPPORT], "subject": "催单", "body": "还没发货"}])).await;
    let ticket_id = s.inbound(1).await[0]["ticket_id"].as_i64().unwrap();
    s.app.post(&format!("/api/v1/tickets/{ticket_id}/replies"), &s.admin, json!({"body": "马上安排"})).await;
    // Refused (554): retried, the relay's answer kept as the last error.
    let jobs = drive(&s, |j| j[0]["attempts"].as_i64() >= Some(2)).await;
    assert!(jobs[0]["last_error"].as_str().unwrap().contains("554"), "{jobs}");
    // Then the relay is gone altogether (connection refused) until the last attempt.
    let mailbox = s.app.get("/api/v1/channels/email/mailboxes", &s.admin).await.1[0].clone();
    let (st, m) = s
        .app
        .put(
            &format!("/api/v1/channels/email/mailboxes/{}", mailbox["id"]),
            &s.admin,
            json!({"address": SUPPORT, "from_name": "A店客服", "smtp_host": "127.0.0.1", "smtp_port": closed_port(), "smtp_security": "none"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{m}");
    drop(sink);
    let jobs = drive(&s, |j| j[0]["state"] == "failed").await;
    assert_eq!(jobs[0]["attempts"], jobs[0]["max_attempts"], "{jobs}");
    let t = s.ticket(ticket_id).await;
    let note = t["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["kind"] == "note")
        .unwrap_or_else(|| panic!("no note: {t}"));
    assert!(note["body"].as_str().unwrap().contains("未能发送"), "{note}");
    let (_, events) = s.app.get(&format!("/api/v1/tickets/{ticket_id}/events"), &s.admin).await;
    assert!(events.to_string().contains("email_outbound"), "the note is the system's: {events}");
    let (_, failed) = s.app.get("/api/v1/channels/email/deliveries?state=failed", &s.admin).await;
    assert_eq!(failed.as_array().map(Vec::len), Some(1));
    let (st, e) = s.app.get("/api/v1/channels/email/deliveries?state=lost", &s.admin).await;
    assert_eq!((st, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("state")));
}
both_backends!(email_failed_delivery_is_retried_then_noted);

/// A crash between the 250 and processing: the stored mail is processed by the recovery pass.
async fn email_stored_mail_survives_a_crash(backend: Backend) {
    let s = setup(backend, closed_port()).await;
    let raw = format!("From: {BUYER}\r\nTo: {SUPPORT}\r\nSubject: =?GB2312?B?ztK1xLaptaU=?=\r\nMessage-ID: <crash@buyer.example>\r\n\r\nhello\r\n");
    // Stored as the listener stores it, but the node "died" before processing it.
    let id = s
        .app
        .store
        .insert_inbound_mail(kefu_store::NewInboundMail {
            merchant_id: Some(s.merchant),
            mailbox_id: s.app.get("/api/v1/channels/email/mailboxes", &s.admin).await.1[0]["id"]
                .as_i64()
                .unwrap(),
            peer: "127.0.0.1".into(),
            mail_from: BUYER.into(),
            rcpt_to: vec![SUPPORT.into()],
            raw: raw.into_bytes(),
            received_at: kefu_server::auth::now(),
        })
        .await
        .unwrap();
    let node = s.app.second_node().await;
    let n =
        kefu_server::channels::email::process::run_pending(&node, kefu_server::auth::now()).await.unwrap();
    assert_eq!(n, 1);
    let mail = s.inbound(1).await;
    assert_eq!((mail[0]["id"].as_i64(), mail[0]["state"].as_str()), (Some(id), Some("processed")));
    assert_eq!(mail[0]["subject"], "我的订单");
    // Processing again (a second pass, another node) lands nothing twice.
    assert_eq!(
        kefu_server::channels::email::process::run_pending(&node, kefu_server::auth::now()).await.unwrap(),
        0
    );
    let t = s.ticket(mail[0]["ticket_id"].as_i64().unwrap()).await;
    assert_eq!(t["messages"].as_array().unwrap().len(), 1);
}
both_backends!(email_stored_mail_survives_a_crash);

/// Speak raw SMTP: send `lines` (each followed by CRLF) one at a time and collect the reply to each.
async fn raw_session(port: u16, lines: &[&str]) -> (String, Vec<String>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    let mut greeting = String::new();
    r.read_line(&mut greeting).await.unwrap();
    let mut replies = Vec::new();
    for l in lines {
        w.write_all(format!("{l}\r\n").as_bytes()).await.unwrap();
        // A multi-line reply ends with the line whose code is followed by a space.
        let mut reply = String::new();
        loop {
            let mut line = String::new();
            if r.read_line(&mut line).await.unwrap() == 0 {
                break;
            }
            reply.push_str(&line);
            if line.as_bytes().get(3) != Some(&b'-') {
                break;
            }
        }
        replies.push(reply);
    }
    (greeting, replies)
}

/// Per-address limits (421 for connections, 450 for messages), line limits and command order.
async fn email_listener_limits_and_command_order(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.smtp_rate_per_minute = 3).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(smtp::run(app.state(), listener));
    let long = format!("NOOP {}", "x".repeat(600));
    let (greeting, r) = raw_session(
        port,
        &[
            "MAIL FROM:<a@b.example>",
            "EHLO client.example",
            "RCPT TO:<service@shop-a.example>",
            "MAIL FROM:<a@b.example> SIZE=99999999999",
            "MAIL FROM:<a@b.example>",
            "MAIL FROM:<a@b.example>",
            "RSET",
            "DATA",
            &long,
            "MAIL FROM:<a@b.example>",
            "RSET",
            "MAIL FROM:<a@b.example>",
            "RSET",
            "MAIL FROM:<a@b.example>",
            "VRFY x",
            "QUIT",
        ],
    )
    .await;
    assert!(greeting.starts_with("220 "), "{greeting}");
    let codes: Vec<&str> = r.iter().map(|x| x.get(..3).unwrap_or("")).collect();
    assert!(r[1].contains("250-SIZE 26214400"), "the limit is announced: {}", r[1]);
    assert_eq!(
        codes,
        [
            "503", "250", "503", "552", "250", "503", "250", "503", "500", "250", "250", "250", "250", "450",
            "252", "221"
        ],
        "{r:?}"
    );
    // Connections: three a minute from one address; the fourth is turned away.
    let (g2, _) = raw_session(port, &["QUIT"]).await;
    let (g3, _) = raw_session(port, &["QUIT"]).await;
    let (g4, _) = raw_session(port, &[]).await;
    assert!(g2.starts_with("220") && g3.starts_with("220"), "{g2} {g3}");
    assert!(g4.starts_with("421"), "{g4}");
}
both_backends!(email_listener_limits_and_command_order);
