//! Reading a received mail with mail-parser: MIME structure, transfer encodings (quoted-printable,
//! base64), charsets (UTF-8, GB2312/GBK/GB18030 and the rest of mail-parser's `full_encoding`) in encoded
//! words and bodies; then what kefu needs of it — the sender, the subject, the plain-text body without
//! the quoted history, the HTML body as received, attachments, the threading ids and whether it is an
//! automatic reply or a bounce.

use mail_parser::{HeaderValue, MessageParser, MimeHeaders};

/// What kind of mail it is. Only `Mail` becomes ticket history; the others are recorded and never
/// answered, so two automatic responders cannot loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    Mail,
    AutoReply,
    Bounce,
}

impl MailKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::Mail => "mail",
            MailKind::AutoReply => "auto_reply",
            MailKind::Bounce => "bounce",
        }
    }
}

/// An attachment or inline part.
#[derive(Debug, Clone)]
pub struct Part {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// A parsed mail.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The From address, lower case.
    pub from: Option<String>,
    pub from_name: Option<String>,
    pub subject: String,
    /// Without angle brackets.
    pub message_id: Option<String>,
    /// In-Reply-To first, then References newest first: the ids to thread by.
    pub thread_ids: Vec<String>,
    /// The plain text (converted from HTML when there is no plain part), quoted history removed.
    pub text: String,
    /// The HTML body exactly as received, if there is one.
    pub html: Option<String>,
    pub attachments: Vec<Part>,
    pub kind: MailKind,
}

fn id_list(v: &HeaderValue<'_>) -> Vec<String> {
    let raw: Vec<&str> = match v {
        HeaderValue::Text(t) => vec![t.as_ref()],
        HeaderValue::TextList(l) => l.iter().map(|s| s.as_ref()).collect(),
        _ => Vec::new(),
    };
    raw.into_iter().flat_map(|s| s.split_whitespace()).map(clean_id).filter(|s| !s.is_empty()).collect()
}

/// A Message-ID without angle brackets or whitespace.
pub fn clean_id(id: &str) -> String {
    id.trim().trim_start_matches('<').trim_end_matches('>').trim().to_string()
}

const AUTO_SUBJECTS: &[&str] = &[
    "自动回复",
    "自动答复",
    "自動回覆",
    "auto:",
    "automatic reply",
    "autoreply",
    "auto-reply",
    "out of office",
    "out of the office",
    "休假",
];

fn is_auto_reply(msg: &mail_parser::Message<'_>, subject: &str) -> bool {
    let header = |name: &str| msg.header_raw(name).map(|v| v.trim().to_ascii_lowercase());
    if header("Auto-Submitted").is_some_and(|v| !v.is_empty() && !v.starts_with("no")) {
        return true;
    }
    if header("X-Autoreply").is_some()
        || header("X-Autorespond").is_some()
        || header("X-Auto-Response-Suppress").is_some_and(|v| v.contains("all") || v.contains("oof"))
    {
        return true;
    }
    if header("Precedence").is_some_and(|v| matches!(v.as_str(), "bulk" | "junk" | "auto_reply" | "list")) {
        return true;
    }
    let s = subject.trim().to_lowercase();
    AUTO_SUBJECTS.iter().any(|p| s.starts_with(p) || s.contains(&format!("[{p}]")))
}

fn is_bounce(msg: &mail_parser::Message<'_>, mail_from: &str, from: Option<&str>) -> bool {
    if mail_from.trim().is_empty() {
        return true;
    }
    let local = |a: &str| a.split('@').next().unwrap_or_default().to_ascii_lowercase();
    if [Some(mail_from), from]
        .into_iter()
        .flatten()
        .any(|a| matches!(local(a).as_str(), "mailer-daemon" | "postmaster"))
    {
        return true;
    }
    msg.root_part().content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report"))
            && ct.attribute("report-type").is_some_and(|r| r.eq_ignore_ascii_case("delivery-status"))
    })
}

/// Parse a raw mail; `None` when it cannot be read as mail at all (no headers, no sender).
pub fn parse(raw: &[u8], mail_from: &str) -> Option<Parsed> {
    let msg = MessageParser::default().parse(raw)?;
    let from_addr = msg.from().and_then(|a| a.first());
    let from = from_addr
        .and_then(|a| a.address())
        .map(|a| a.trim().to_ascii_lowercase())
        .filter(|a| a.contains('@'));
    let from_name =
        from_addr.and_then(|a| a.name()).map(str::trim).filter(|n| !n.is_empty()).map(String::from);
    if from.is_none() && msg.headers().is_empty() {
        return None;
    }
    let subject = msg.subject().unwrap_or_default().trim().to_string();
    let message_id = msg.message_id().map(clean_id).filter(|s| !s.is_empty());
    let mut thread_ids = id_list(msg.in_reply_to());
    let mut refs = id_list(msg.references());
    refs.reverse();
    for r in refs {
        if !thread_ids.contains(&r) {
            thread_ids.push(r);
        }
    }
    let kind = if is_bounce(&msg, mail_from, from.as_deref()) {
        MailKind::Bounce
    } else if is_auto_reply(&msg, &subject) {
        MailKind::AutoReply
    } else {
        MailKind::Mail
    };
    let html = (msg.html_body_count() > 0)
        .then(|| {
            msg.html_part(0).filter(|p| p.is_text_html()).and_then(|p| p.text_contents()).map(String::from)
        })
        .flatten();
    let text = msg.body_text(0).map(|t| strip_quoted(&t)).unwrap_or_default();
    let attachments = msg
        .attachments()
        .filter(|p| !p.is_message())
        .map(|p| Part {
            name: p.attachment_name().map(String::from).unwrap_or_else(|| "attachment".into()),
            bytes: p.contents().to_vec(),
        })
        .filter(|p| !p.bytes.is_empty())
        .collect();
    Some(Parsed { from, from_name, subject, message_id, thread_ids, text, html, attachments, kind })
}

/// Lines that start a quoted history in common mail clients (Outlook, Gmail, QQ Mail, 163, Foxmail).
fn starts_history(line: &str) -> bool {
    let l = line.trim();
    let lower = l.to_lowercase();
    (l.starts_with("On ") && l.ends_with("wrote:"))
        || (l.starts_with('在') && (l.ends_with("写道：") || l.ends_with("写道:")))
        || lower.starts_with("-----original message-----")
        || l.contains("原始邮件")
        || l.starts_with("-----邮件原件-----")
        || (l.starts_with("发件人：") || l.starts_with("发件人:") || lower.starts_with("from: "))
            && l.len() > 8
}

/// The message without the quoted history below it: cut at the first line that starts one, then drop
/// trailing `>` lines. When that would leave nothing, the text is kept whole.
pub fn strip_quoted(text: &str) -> String {
    let text = text.replace("\r\n", "\n");
    let mut kept: Vec<&str> = Vec::new();
    for line in text.lines() {
        if starts_history(line) {
            break;
        }
        kept.push(line);
    }
    while kept.last().is_some_and(|l| l.trim().is_empty() || l.trim_start().starts_with('>')) {
        kept.pop();
    }
    let out = kept.join("\n").trim().to_string();
    if out.is_empty() {
        text.trim().to_string()
    } else {
        out
    }
}

/// A ticket number quoted in a subject, e.g. `Re: 退款 [KF20261123-000042]`.
pub fn ticket_number_in(subject: &str) -> Option<String> {
    let b = subject.as_bytes();
    let mut i = 0;
    while i + 17 <= b.len() {
        if b[i..].starts_with(b"KF")
            && b[i + 2..i + 10].iter().all(u8::is_ascii_digit)
            && b[i + 10] == b'-'
            && b[i + 11..i + 17].iter().all(u8::is_ascii_digit)
            && (i + 17 == b.len() || !b[i + 17].is_ascii_digit())
        {
            return Some(subject[i..i + 17].to_string());
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gbk_subject_and_body_are_decoded() {
        // "退款申请" and "您好，我要退款" in GBK, as encoded words and a base64 body.
        let raw = b"From: =?GBK?B?1cXI/Q==?= <Zhang@Buyer.example>\r\nTo: service@shop.example\r\n\
Subject: =?GBK?B?zcu/7snqx+s=?=\r\nMessage-ID: <a1@buyer.example>\r\nMIME-Version: 1.0\r\n\
Content-Type: text/plain; charset=GBK\r\nContent-Transfer-Encoding: base64\r\n\r\nxPq6w6OsztLSqs3Lv+4=\r\n";
        let p = parse(raw, "zhang@buyer.example").unwrap();
        assert_eq!(p.subject, "退款申请");
        assert_eq!(p.text, "您好，我要退款");
        assert_eq!(p.from.as_deref(), Some("zhang@buyer.example"));
        assert_eq!(p.from_name.as_deref(), Some("张三"));
        assert_eq!(p.message_id.as_deref(), Some("a1@buyer.example"));
        assert_eq!(p.kind, MailKind::Mail);
    }

    #[test]
    fn quoted_history_is_cut() {
        let t = "好的，谢谢\n\n在 2026年11月23日 10:00，客服 写道：\n> 您好\n> 请提供订单号";
        assert_eq!(strip_quoted(t), "好的，谢谢");
        assert_eq!(strip_quoted("> only quoted"), "> only quoted");
        assert_eq!(strip_quoted("Thanks\nOn Mon, 1 Jan 2026, Shop wrote:\n> hi"), "Thanks");
    }

    #[test]
    fn ticket_numbers_in_subjects() {
        assert_eq!(ticket_number_in("Re: 退款 [KF20261123-000042]").as_deref(), Some("KF20261123-000042"));
        assert_eq!(ticket_number_in("KF2026112-000042"), None);
        assert_eq!(ticket_number_in("KF20261123-0000421"), None);
    }

    #[test]
    fn auto_replies_and_bounces() {
        let auto = b"From: a@b.example\r\nSubject: hello\r\nAuto-Submitted: auto-replied\r\n\r\nx\r\n";
        assert_eq!(parse(auto, "a@b.example").unwrap().kind, MailKind::AutoReply);
        let no = b"From: a@b.example\r\nSubject: hello\r\nAuto-Submitted: no\r\n\r\nx\r\n";
        assert_eq!(parse(no, "a@b.example").unwrap().kind, MailKind::Mail);
        let cn = "From: a@b.example\r\nSubject: 自动回复: 您好\r\n\r\nx\r\n";
        assert_eq!(parse(cn.as_bytes(), "a@b.example").unwrap().kind, MailKind::AutoReply);
        assert_eq!(parse(no, "").unwrap().kind, MailKind::Bounce);
        assert_eq!(parse(no, "MAILER-DAEMON@mx.example").unwrap().kind, MailKind::Bounce);
    }
}
