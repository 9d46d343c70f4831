#!/usr/bin/env python3
"""Send mail to an SMTP server with Python's smtplib, as a real client would.

Reads a JSON spec on stdin and prints one JSON result per message on stdout (a list):

  {"host": "127.0.0.1", "port": 2525,
   "messages": [{"from": "买家 <buyer@example.com>", "to": ["service@shop.example"],
                 "subject": "退货申请", "body": "您好", "charset": "gbk",
                 "html": "<p>您好</p>", "headers": {"In-Reply-To": "<id@x>"},
                 "attachments": [{"name": "照片.png", "b64": "...", "mime": "image/png"}],
                 "envelope_from": "" (a bounce's null sender), "raw_b64": "..." (send these bytes as they are),
                 "no_size": true (do not declare SIZE=, so the server must find out during DATA)}]}

All messages go over one connection (so a refused one shows that the session carries on).
Result per message: {"ok": true, "code": 250, "message": "...", "message_id": "<...>"} or
{"ok": false, "stage": "mail" | "rcpt" | "data", "code": 550, "message": "..."}.
Uses the standard library only.
"""
import base64
import json
import smtplib
import sys
from email.header import Header
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from email import encoders


def build(m):
    if m.get("raw_b64") is not None:
        return base64.b64decode(m["raw_b64"]), None
    charset = m.get("charset", "utf-8")
    text = MIMEText(m.get("body", ""), "plain", charset)
    if m.get("html"):
        body = MIMEMultipart("alternative")
        body.attach(text)
        body.attach(MIMEText(m["html"], "html", charset))
    else:
        body = text
    if m.get("attachments"):
        msg = MIMEMultipart("mixed")
        msg.attach(body)
        for a in m["attachments"]:
            maintype, subtype = a.get("mime", "application/octet-stream").split("/", 1)
            part = MIMEBase(maintype, subtype)
            part.set_payload(base64.b64decode(a["b64"]))
            encoders.encode_base64(part)
            part.add_header("Content-Disposition", "attachment", filename=(charset, "", a["name"]))
            msg.attach(part)
    else:
        msg = body
    name, addr = parseaddr(m["from"])
    msg["From"] = formataddr((str(Header(name, charset)), addr)) if name else addr
    msg["To"] = ", ".join(m["to"])
    msg["Subject"] = Header(m.get("subject", ""), charset)
    msg["Date"] = formatdate(localtime=True)
    message_id = m.get("message_id") or make_msgid(domain=addr.split("@")[-1] or "example.com")
    msg["Message-ID"] = message_id
    for k, v in (m.get("headers") or {}).items():
        msg[k] = v
    return msg.as_bytes(), message_id


def send_one(smtp, m):
    raw, message_id = build(m)
    envelope_from = m.get("envelope_from")
    if envelope_from is None:
        envelope_from = parseaddr(m["from"])[1]
    options = []
    if smtp.has_extn("size") and not m.get("no_size"):
        options.append("SIZE=%d" % len(raw))
    code, resp = smtp.mail(envelope_from, options)
    if code != 250:
        smtp.rset()
        return {"ok": False, "stage": "mail", "code": code, "message": resp.decode(errors="replace")}
    accepted = 0
    last = None
    for r in m["to"]:
        code, resp = smtp.rcpt(r)
        if code in (250, 251):
            accepted += 1
        else:
            last = {"ok": False, "stage": "rcpt", "code": code, "message": resp.decode(errors="replace")}
    if accepted == 0:
        smtp.rset()
        return last
    try:
        code, resp = smtp.data(raw)
    except smtplib.SMTPDataError as e:
        smtp.rset()
        return {"ok": False, "stage": "data", "code": e.smtp_code, "message": e.smtp_error.decode(errors="replace")}
    if code != 250:
        smtp.rset()
        return {"ok": False, "stage": "data", "code": code, "message": resp.decode(errors="replace")}
    out = {"ok": True, "code": code, "message": resp.decode(errors="replace"), "message_id": message_id}
    if last:
        out["refused"] = last
    return out


def main():
    spec = json.load(sys.stdin)
    results = []
    with smtplib.SMTP(spec["host"], spec["port"], timeout=60) as smtp:
        smtp.ehlo("client.example")
        for m in spec["messages"]:
            results.append(send_one(smtp, m))
        smtp.quit()
    json.dump(results, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
