// Email channel queries shared by both backends; `include!`d after `shared_jobs.rs`.

use crate::email::*;

const SMTP_PASSWORD_CONTEXT: &str = "email_mailboxes.smtp_password";
const PEER_CONTEXT: &str = "email_messages.peer";
const INBOUND_COLUMNS: &str =
    "id, merchant_id, mailbox_id, peer, mail_from, rcpt_to, size, state, kind, subject, \
     message_id, body_html, ticket_id, attempts, last_error, received_at, processed_at";

fn mailbox_row(r: &DbRow) -> Result<Mailbox> {
    let password: Option<String> = r.try_get("smtp_password_enc")?;
    Ok(Mailbox {
        id: r.try_get("id")?,
        merchant_id: r.try_get("merchant_id")?,
        address: r.try_get("address")?,
        from_name: r.try_get("from_name")?,
        smtp_host: r.try_get("smtp_host")?,
        smtp_port: r.try_get("smtp_port")?,
        smtp_security: r.try_get("smtp_security")?,
        smtp_username: r.try_get("smtp_username")?,
        smtp_password_set: password.is_some(),
        signature: r.try_get("signature")?,
        enabled: r.try_get("enabled")?,
        created_at: Millis(r.try_get("created_at")?),
        updated_at: Millis(r.try_get("updated_at")?),
    })
}

fn inbound_row(r: &DbRow) -> Result<InboundMail> {
    Ok(InboundMail {
        id: r.try_get("id")?,
        merchant_id: r.try_get("merchant_id")?,
        mailbox_id: r.try_get("mailbox_id")?,
        peer: r.try_get("peer")?,
        mail_from: r.try_get("mail_from")?,
        rcpt_to: r.try_get("rcpt_to")?,
        size: r.try_get("size")?,
        state: r.try_get("state")?,
        kind: r.try_get("kind")?,
        subject: r.try_get("subject")?,
        message_id: r.try_get("message_id")?,
        body_html: r.try_get("body_html")?,
        ticket_id: r.try_get("ticket_id")?,
        attempts: r.try_get("attempts")?,
        last_error: r.try_get("last_error")?,
        received_at: Millis(r.try_get("received_at")?),
        processed_at: r.try_get::<Option<i64>, _>("processed_at")?.map(Millis),
    })
}

/// A unique violation on the address: a conflict naming the field.
fn mailbox_conflict(e: sqlx::Error, address: &str) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => DomainError::conflict(
            Some("address"),
            format!("the address {address} is already a support mailbox"),
        )
        .into(),
        _ => e.into(),
    }
}

impl StoreImpl {
    fn seal_password(&self, change: &PasswordChange, before: Option<String>) -> Result<Option<String>> {
        Ok(match change {
            PasswordChange::Keep => before,
            PasswordChange::Clear => None,
            PasswordChange::Set(p) => Some(enc(&*self.cipher()?, SMTP_PASSWORD_CONTEXT, p)?),
        })
    }
}

#[async_trait]
impl EmailStore for StoreImpl {
    async fn list_mailboxes(&self, s: &Scope) -> Result<Vec<Mailbox>> {
        let rows = sqlx::query(
            "SELECT * FROM email_mailboxes WHERE ($1 IS NULL OR merchant_id = $1) ORDER BY id LIMIT 1000",
        )
        .bind(s.merchant_filter())
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(mailbox_row).collect()
    }

    async fn get_mailbox(&self, s: &Scope, id: i64) -> Result<Option<Mailbox>> {
        let row = sqlx::query("SELECT * FROM email_mailboxes WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?;
        Ok(row.as_ref().map(mailbox_row).transpose()?.filter(|m| s.sees(m.merchant_id)))
    }

    async fn mailbox_by_address(&self, address: &str) -> Result<Option<Mailbox>> {
        let row = sqlx::query("SELECT * FROM email_mailboxes WHERE address = $1 AND enabled = $2")
            .bind(address)
            .bind(true)
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(mailbox_row).transpose()
    }

    async fn mailbox_password(&self, id: i64) -> Result<Option<String>> {
        let row = sqlx::query("SELECT smtp_password_enc FROM email_mailboxes WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await?;
        let sealed: Option<String> = match row {
            Some(r) => r.try_get("smtp_password_enc")?,
            None => None,
        };
        match sealed {
            Some(s) => Ok(Some(self.cipher()?.decrypt_for(SMTP_PASSWORD_CONTEXT, &s).map_err(|e| {
                StoreError::Other(format!("cannot decrypt the relay password of mailbox {id}: {e}"))
            })?)),
            None => Ok(None),
        }
    }

    async fn create_mailbox(&self, s: &Scope, ctx: &AuditCtx, mut spec: MailboxSpec) -> Result<Mailbox> {
        spec.merchant_id = s.owner_for_new(spec.merchant_id)?;
        let password = self.seal_password(&spec.smtp_password, None)?;
        let mut tx = self.writer.begin().await?;
        let row = sqlx::query(
            "INSERT INTO email_mailboxes (merchant_id, address, from_name, smtp_host, smtp_port, smtp_security, \
             smtp_username, smtp_password_enc, signature, enabled, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING *",
        )
        .bind(spec.merchant_id)
        .bind(&spec.address)
        .bind(&spec.from_name)
        .bind(&spec.smtp_host)
        .bind(spec.smtp_port)
        .bind(&spec.smtp_security)
        .bind(&spec.smtp_username)
        .bind(&password)
        .bind(&spec.signature)
        .bind(spec.enabled)
        .bind(ctx.now.0)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| mailbox_conflict(e, &spec.address))?;
        let m = mailbox_row(&row)?;
        let e = ctx.entry(
            "email_mailbox.create",
            "email_mailbox",
            Some(m.id.to_string()),
            m.merchant_id,
            None,
            to_json(&m),
        );
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(m)
    }

    async fn update_mailbox(&self, s: &Scope, ctx: &AuditCtx, id: i64, spec: MailboxSpec) -> Result<Mailbox> {
        let mut tx = self.writer.begin().await?;
        let row = sqlx::query(&format!("SELECT * FROM email_mailboxes WHERE id = $1{FOR_UPDATE}"))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let (before, sealed) = match row {
            Some(r) => {
                let b = mailbox_row(&r)?;
                if !s.sees(b.merchant_id) {
                    return Err(DomainError::not_found("mailbox").into());
                }
                let sealed: Option<String> = r.try_get("smtp_password_enc")?;
                (b, sealed)
            }
            None => return Err(DomainError::not_found("mailbox").into()),
        };
        let password = self.seal_password(&spec.smtp_password, sealed)?;
        let row = sqlx::query(
            "UPDATE email_mailboxes SET address = $1, from_name = $2, smtp_host = $3, smtp_port = $4, \
             smtp_security = $5, smtp_username = $6, smtp_password_enc = $7, signature = $8, enabled = $9, \
             updated_at = $10 WHERE id = $11 RETURNING *",
        )
        .bind(&spec.address)
        .bind(&spec.from_name)
        .bind(&spec.smtp_host)
        .bind(spec.smtp_port)
        .bind(&spec.smtp_security)
        .bind(&spec.smtp_username)
        .bind(&password)
        .bind(&spec.signature)
        .bind(spec.enabled)
        .bind(ctx.now.0)
        .bind(id)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| mailbox_conflict(e, &spec.address))?;
        let m = mailbox_row(&row)?;
        let e = ctx.entry(
            "email_mailbox.update",
            "email_mailbox",
            Some(id.to_string()),
            m.merchant_id,
            to_json(&before),
            to_json(&m),
        );
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(m)
    }

    async fn insert_inbound_mail(&self, mail: NewInboundMail) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO email_inbound (merchant_id, mailbox_id, peer, mail_from, rcpt_to, raw, size, state, received_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'received', $8) RETURNING id",
        )
        .bind(mail.merchant_id)
        .bind(mail.mailbox_id)
        .bind(&mail.peer)
        .bind(&mail.mail_from)
        .bind(mail.rcpt_to.join(", "))
        .bind(&mail.raw)
        .bind(mail.raw.len() as i64)
        .bind(mail.received_at.0)
        .fetch_one(&self.writer)
        .await?;
        Ok(row.try_get("id")?)
    }

    async fn claim_inbound_mail(
        &self,
        id: i64,
        now: Millis,
        lease_until: Millis,
    ) -> Result<Option<(InboundMail, Vec<u8>)>> {
        let row = sqlx::query(&format!(
            "UPDATE email_inbound SET state = 'processing', attempts = attempts + 1, locked_until = $1 \
             WHERE id = $2 AND (state = 'received' OR (state = 'processing' AND locked_until < $3)) \
             RETURNING {INBOUND_COLUMNS}, raw"
        ))
        .bind(lease_until.0)
        .bind(id)
        .bind(now.0)
        .fetch_optional(&self.writer)
        .await?;
        match row {
            Some(r) => Ok(Some((inbound_row(&r)?, r.try_get("raw")?))),
            None => Ok(None),
        }
    }

    async fn pending_inbound_mail(&self, now: Millis, limit: i64) -> Result<Vec<i64>> {
        let rows = sqlx::query(
            "SELECT id FROM email_inbound WHERE state = 'received' OR (state = 'processing' AND locked_until < $1) \
             ORDER BY id LIMIT $2",
        )
        .bind(now.0)
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
    }

    async fn finish_inbound_mail(&self, id: i64, o: InboundOutcome, now: Millis) -> Result<()> {
        sqlx::query(
            "UPDATE email_inbound SET state = $1, kind = COALESCE($2, kind), subject = COALESCE($3, subject), \
             message_id = COALESCE($4, message_id), body_html = COALESCE($5, body_html), \
             ticket_id = COALESCE($6, ticket_id), last_error = $7, locked_until = NULL, processed_at = $8 WHERE id = $9",
        )
        .bind(&o.state)
        .bind(&o.kind)
        .bind(&o.subject)
        .bind(&o.message_id)
        .bind(&o.body_html)
        .bind(o.ticket_id)
        .bind(&o.error)
        .bind((o.state != "received").then_some(now.0))
        .bind(id)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn list_inbound_mail(
        &self,
        s: &Scope,
        ticket_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<InboundMail>> {
        let rows = sqlx::query(&format!(
            "SELECT {INBOUND_COLUMNS} FROM email_inbound WHERE ($1 IS NULL OR merchant_id = $1) \
             AND ($2 IS NULL OR ticket_id = $2) ORDER BY id DESC LIMIT $3"
        ))
        .bind(s.merchant_filter())
        .bind(ticket_id)
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(inbound_row).collect()
    }

    async fn record_thread_message(
        &self,
        merchant_id: Option<i64>,
        ticket_id: i64,
        m: ThreadMessage,
    ) -> Result<()> {
        let peer = enc(&*self.cipher()?, PEER_CONTEXT, &m.peer)?;
        sqlx::query(
            "INSERT INTO email_messages (merchant_id, ticket_id, mailbox_id, message_id, direction, peer_enc, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (ticket_id, message_id) DO NOTHING",
        )
        .bind(merchant_id)
        .bind(ticket_id)
        .bind(m.mailbox_id)
        .bind(&m.message_id)
        .bind(&m.direction)
        .bind(&peer)
        .bind(m.created_at.0)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn ticket_by_message_ids(&self, merchant_id: Option<i64>, ids: &[String]) -> Result<Option<i64>> {
        let mut best: Option<(i64, i64)> = None;
        for id in ids.iter().take(50) {
            let row = sqlx::query(
                "SELECT ticket_id, created_at FROM email_messages WHERE message_id = $1 \
                 AND (merchant_id = $2 OR (merchant_id IS NULL AND $2 IS NULL)) ORDER BY created_at DESC LIMIT 1",
            )
            .bind(id)
            .bind(merchant_id)
            .fetch_optional(&self.reader)
            .await?;
            if let Some(r) = row {
                let (t, at): (i64, i64) = (r.try_get("ticket_id")?, r.try_get("created_at")?);
                if best.is_none_or(|(_, b)| at > b) {
                    best = Some((t, at));
                }
            }
        }
        Ok(best.map(|(t, _)| t))
    }

    async fn ticket_thread(&self, ticket_id: i64) -> Result<Vec<ThreadMessage>> {
        let rows = sqlx::query(
            "SELECT mailbox_id, message_id, direction, peer_enc, created_at FROM email_messages \
             WHERE ticket_id = $1 ORDER BY created_at, id",
        )
        .bind(ticket_id)
        .fetch_all(&self.reader)
        .await?;
        let cipher = self.cipher()?;
        rows.iter()
            .map(|r| {
                let sealed: String = r.try_get("peer_enc")?;
                Ok(ThreadMessage {
                    mailbox_id: r.try_get("mailbox_id")?,
                    message_id: r.try_get("message_id")?,
                    direction: r.try_get("direction")?,
                    peer: cipher
                        .decrypt_for(PEER_CONTEXT, &sealed)
                        .map_err(|e| StoreError::Other(format!("cannot decrypt a mail address: {e}")))?,
                    created_at: Millis(r.try_get("created_at")?),
                })
            })
            .collect()
    }
}
