// Live chat queries shared by both backends; `include!`d after `shared_jobs.rs`.

use crate::chat::*;

fn chat_owner_key(merchant: Option<i64>) -> String {
    merchant.map_or_else(|| "platform".to_string(), |m| format!("merchant:{m}"))
}

fn chat_settings_row(r: &DbRow) -> Result<ChatSettings> {
    Ok(ChatSettings {
        merchant_id: r.try_get("merchant_id")?,
        widget_key: r.try_get("widget_key")?,
        secret: r.try_get("secret")?,
        greeting: r.try_get("greeting")?,
        closing_message: r.try_get("closing_message")?,
        reuse_minutes: r.try_get("reuse_minutes")?,
        enabled: r.try_get("enabled")?,
        calendar_id: r.try_get("calendar_id")?,
        created_at: Millis(r.try_get("created_at")?),
        updated_at: Millis(r.try_get("updated_at")?),
    })
}

const CHAT_CONVERSATION_SELECT: &str = "SELECT c.*, t.assignee_id, t.status AS ticket_status, t.channel AS ticket_channel, \
     t.updated_at AS ticket_updated_at, u.display_name AS assignee_name FROM chat_conversations c \
     LEFT JOIN tickets t ON t.id = c.ticket_id LEFT JOIN users u ON u.id = t.assignee_id";

fn chat_conversation_row(r: &DbRow) -> Result<ChatConversation> {
    Ok(ChatConversation {
        id: r.try_get("id")?,
        merchant_id: r.try_get("merchant_id")?,
        customer_id: r.try_get("customer_id")?,
        ticket_id: r.try_get("ticket_id")?,
        last_seq: r.try_get("last_seq")?,
        created_at: Millis(r.try_get("created_at")?),
        assignee_id: r.try_get("assignee_id")?,
        assignee_name: r.try_get("assignee_name")?,
        ticket_status: r.try_get("ticket_status")?,
        ticket_channel: r.try_get("ticket_channel")?,
        ticket_updated_at: ms(r.try_get("ticket_updated_at")?),
    })
}

fn chat_session_row(r: &DbRow) -> Result<ChatSession> {
    Ok(ChatSession {
        token_hash: r.try_get("token_hash")?,
        merchant_id: r.try_get("merchant_id")?,
        customer_id: r.try_get("customer_id")?,
        conversation_id: r.try_get("conversation_id")?,
        visitor_id: r.try_get("visitor_id")?,
        identified: r.try_get("identified")?,
        created_at: Millis(r.try_get("created_at")?),
        expires_at: Millis(r.try_get("expires_at")?),
    })
}

fn chat_message_row(r: &DbRow) -> Result<ChatMessage> {
    Ok(ChatMessage {
        id: r.try_get("id")?,
        conversation_id: r.try_get("conversation_id")?,
        seq: r.try_get("seq")?,
        sender: r.try_get("sender")?,
        sender_key: r.try_get("sender_key")?,
        author_id: r.try_get("author_id")?,
        author_name: r.try_get("author_name")?,
        client_id: r.try_get("client_id")?,
        body: r.try_get("body")?,
        attachment: r.try_get("attachment")?,
        ticket_id: r.try_get("ticket_id")?,
        ticket_message_id: r.try_get("ticket_message_id")?,
        landed: r.try_get("landed")?,
        created_at: Millis(r.try_get("created_at")?),
    })
}

fn chat_attachment_row(r: &DbRow) -> Result<ChatAttachment> {
    Ok(ChatAttachment {
        id: r.try_get("id")?,
        conversation_id: r.try_get("conversation_id")?,
        merchant_id: r.try_get("merchant_id")?,
        sha256: r.try_get("sha256")?,
        file_name: r.try_get("file_name")?,
        mime: r.try_get("mime")?,
        size: r.try_get("size")?,
        created_at: Millis(r.try_get("created_at")?),
    })
}

/// The settings as the audit trail records them: without the secret.
fn chat_settings_audit(c: &ChatSettings) -> Option<String> {
    to_json(c)
}

async fn insert_chat_message(tx: &mut Tx<'_>, m: &NewChatMessage, seq: i64) -> Result<ChatMessage> {
    let row = sqlx::query(
        "INSERT INTO chat_messages (conversation_id, seq, sender, sender_key, author_id, author_name, client_id, body, \
         attachment, ticket_id, ticket_message_id, landed, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING *",
    )
    .bind(m.conversation_id)
    .bind(seq)
    .bind(&m.sender)
    .bind(&m.sender_key)
    .bind(m.author_id)
    .bind(&m.author_name)
    .bind(&m.client_id)
    .bind(&m.body)
    .bind(&m.attachment)
    .bind(m.ticket_id)
    .bind(m.ticket_message_id)
    .bind(m.landed)
    .bind(m.now.0)
    .fetch_one(&mut **tx)
    .await?;
    chat_message_row(&row)
}

impl StoreImpl {
    fn open_chat_settings(&self, row: Option<&DbRow>) -> Result<Option<ChatSettings>> {
        let Some(r) = row else { return Ok(None) };
        let mut c = chat_settings_row(r)?;
        c.secret = self.open_secret(CHAT_SECRET, c.secret)?;
        Ok(Some(c))
    }
}

#[async_trait]
impl ChatStore for StoreImpl {
    async fn get_chat_settings(&self, s: &Scope, merchant: Option<i64>) -> Result<Option<ChatSettings>> {
        if !s.sees(merchant) {
            return Ok(None);
        }
        let row = sqlx::query("SELECT * FROM chat_settings WHERE owner_key = $1")
            .bind(chat_owner_key(merchant))
            .fetch_optional(&self.reader)
            .await?;
        self.open_chat_settings(row.as_ref())
    }

    async fn put_chat_settings(&self, s: &Scope, ctx: &AuditCtx, c: ChatSettings) -> Result<ChatSettings> {
        if !s.sees(c.merchant_id) {
            return Err(DomainError::not_found("merchant").into());
        }
        let mut tx = self.writer.begin().await?;
        let before = sqlx::query(&format!("SELECT * FROM chat_settings WHERE owner_key = $1{FOR_UPDATE}"))
            .bind(chat_owner_key(c.merchant_id))
            .fetch_optional(&mut *tx)
            .await?
            .as_ref()
            .map(|r| self.open_chat_settings(Some(r)))
            .transpose()?
            .flatten();
        let row = sqlx::query(
            "INSERT INTO chat_settings (owner_key, merchant_id, widget_key, secret, greeting, closing_message, reuse_minutes, \
             enabled, calendar_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) \
             ON CONFLICT (owner_key) DO UPDATE SET widget_key = excluded.widget_key, secret = excluded.secret, \
             greeting = excluded.greeting, closing_message = excluded.closing_message, reuse_minutes = excluded.reuse_minutes, \
             enabled = excluded.enabled, calendar_id = excluded.calendar_id, updated_at = excluded.updated_at RETURNING *",
        )
        .bind(chat_owner_key(c.merchant_id))
        .bind(c.merchant_id)
        .bind(&c.widget_key)
        .bind(enc(&*self.cipher()?, CHAT_SECRET, &c.secret)?)
        .bind(&c.greeting)
        .bind(&c.closing_message)
        .bind(c.reuse_minutes)
        .bind(c.enabled)
        .bind(c.calendar_id)
        .bind(ctx.now.0)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| unique_as_conflict(e, "widget_key", "this widget key is taken"))?;
        let after = ChatSettings { secret: c.secret.clone(), ..chat_settings_row(&row)? };
        let rotated = before.as_ref().is_some_and(|b| b.secret != after.secret);
        let action = if rotated { "chat_settings.rotate_secret" } else { "chat_settings.put" };
        let e = ctx.entry(
            action,
            "chat_settings",
            Some(chat_owner_key(c.merchant_id)),
            c.merchant_id,
            before.as_ref().and_then(chat_settings_audit),
            chat_settings_audit(&after),
        );
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(after)
    }

    async fn chat_settings_by_widget(&self, widget_key: &str) -> Result<Option<ChatSettings>> {
        let row = sqlx::query("SELECT * FROM chat_settings WHERE widget_key = $1")
            .bind(widget_key)
            .fetch_optional(&self.reader)
            .await?;
        self.open_chat_settings(row.as_ref())
    }

    async fn open_chat_conversation(
        &self,
        merchant: Option<i64>,
        customer_id: i64,
        greeting: &str,
        now: Millis,
    ) -> Result<(ChatConversation, bool)> {
        let found = sqlx::query(&format!(
            "{CHAT_CONVERSATION_SELECT} WHERE c.customer_id = $1 ORDER BY c.id DESC LIMIT 1"
        ))
        .bind(customer_id)
        .fetch_optional(&self.reader)
        .await?;
        if let Some(c) = found.as_ref().map(chat_conversation_row).transpose()? {
            if c.merchant_id == merchant {
                return Ok((c, false));
            }
        }
        let mut tx = self.writer.begin().await?;
        let last_seq = i64::from(!greeting.is_empty());
        let id: i64 = sqlx::query(
            "INSERT INTO chat_conversations (merchant_id, customer_id, ticket_id, last_seq, created_at, updated_at) \
             VALUES ($1, $2, NULL, $3, $4, $4) RETURNING id",
        )
        .bind(merchant)
        .bind(customer_id)
        .bind(last_seq)
        .bind(now.0)
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        if !greeting.is_empty() {
            let m = NewChatMessage {
                conversation_id: id,
                sender: "system".into(),
                sender_key: "system".into(),
                author_id: None,
                author_name: "系统".into(),
                client_id: None,
                body: greeting.to_string(),
                attachment: None,
                ticket_id: None,
                ticket_message_id: None,
                landed: true,
                now,
            };
            insert_chat_message(&mut tx, &m, 1).await?;
        }
        tx.commit().await?;
        let c = self.get_chat_conversation(id).await?.ok_or_else(|| StoreError::Other("conversation vanished".into()))?;
        Ok((c, true))
    }

    async fn get_chat_conversation(&self, id: i64) -> Result<Option<ChatConversation>> {
        let row = sqlx::query(&format!("{CHAT_CONVERSATION_SELECT} WHERE c.id = $1"))
            .bind(id)
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(chat_conversation_row).transpose()
    }

    async fn chat_conversation_of_ticket(&self, ticket_id: i64) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT id FROM chat_conversations WHERE ticket_id = $1 ORDER BY id DESC LIMIT 1")
            .bind(ticket_id)
            .fetch_optional(&self.reader)
            .await?;
        Ok(row.map(|r| r.try_get("id")).transpose()?)
    }

    async fn set_chat_ticket(&self, conversation_id: i64, ticket_id: i64) -> Result<()> {
        sqlx::query("UPDATE chat_conversations SET ticket_id = $1 WHERE id = $2")
            .bind(ticket_id)
            .bind(conversation_id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn held_chat_conversations(&self, user_id: i64) -> Result<Vec<ChatConversation>> {
        let rows = sqlx::query(&format!(
            "{CHAT_CONVERSATION_SELECT} WHERE t.assignee_id = $1 AND t.status IN ('new', 'open', 'pending_customer', 'on_hold') \
             ORDER BY c.id LIMIT 500"
        ))
        .bind(user_id)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(chat_conversation_row).collect()
    }

    async fn create_chat_session(&self, s: &ChatSession) -> Result<()> {
        sqlx::query(
            "INSERT INTO chat_sessions (token_hash, merchant_id, customer_id, conversation_id, visitor_id, identified, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&s.token_hash)
        .bind(s.merchant_id)
        .bind(s.customer_id)
        .bind(s.conversation_id)
        .bind(&s.visitor_id)
        .bind(s.identified)
        .bind(s.created_at.0)
        .bind(s.expires_at.0)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    async fn chat_session(&self, token_hash: &str, now: Millis) -> Result<Option<ChatSession>> {
        let row = sqlx::query("SELECT * FROM chat_sessions WHERE token_hash = $1 AND expires_at > $2")
            .bind(token_hash)
            .bind(now.0)
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(chat_session_row).transpose()
    }

    async fn append_chat_message(&self, m: NewChatMessage) -> Result<(ChatMessage, bool)> {
        let mut tx = self.writer.begin().await?;
        // Taking the next seq locks the conversation row (PostgreSQL; SQLite has one writer), so
        // sequence numbers are gap-free and a concurrent resend of the same client_id is seen below.
        let row = sqlx::query(
            "UPDATE chat_conversations SET last_seq = last_seq + 1, updated_at = $2 WHERE id = $1 RETURNING last_seq",
        )
        .bind(m.conversation_id)
        .bind(m.now.0)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Err(DomainError::not_found("conversation").into());
        };
        let seq: i64 = row.try_get("last_seq")?;
        if let Some(cid) = &m.client_id {
            let dup = sqlx::query(
                "SELECT * FROM chat_messages WHERE conversation_id = $1 AND sender_key = $2 AND client_id = $3",
            )
            .bind(m.conversation_id)
            .bind(&m.sender_key)
            .bind(cid)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(d) = dup {
                tx.rollback().await?;
                return Ok((chat_message_row(&d)?, true));
            }
        }
        let stored = insert_chat_message(&mut tx, &m, seq).await?;
        tx.commit().await?;
        Ok((stored, false))
    }

    async fn append_chat_messages(&self, ms: &[NewChatMessage]) -> Result<Vec<Result<(ChatMessage, bool)>>> {
        let mut tx = self.writer.begin().await?;
        let mut out = Vec::with_capacity(ms.len());
        for m in ms {
            // A resend first: it must not take a sequence number.
            if let Some(cid) = &m.client_id {
                let dup = sqlx::query(
                    "SELECT * FROM chat_messages WHERE conversation_id = $1 AND sender_key = $2 AND client_id = $3",
                )
                .bind(m.conversation_id)
                .bind(&m.sender_key)
                .bind(cid)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(d) = dup {
                    out.push(Ok((chat_message_row(&d)?, true)));
                    continue;
                }
            }
            let row = sqlx::query(
                "UPDATE chat_conversations SET last_seq = last_seq + 1, updated_at = $2 WHERE id = $1 RETURNING last_seq",
            )
            .bind(m.conversation_id)
            .bind(m.now.0)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(row) = row else {
                out.push(Err(DomainError::not_found("conversation").into()));
                continue;
            };
            let seq: i64 = row.try_get("last_seq")?;
            out.push(Ok((insert_chat_message(&mut tx, m, seq).await?, false)));
        }
        tx.commit().await?;
        Ok(out)
    }

    async fn chat_messages_after(&self, conversation_id: i64, seq: i64, limit: i64) -> Result<Vec<ChatMessage>> {
        let rows = sqlx::query(
            "SELECT * FROM chat_messages WHERE conversation_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        )
        .bind(conversation_id)
        .bind(seq)
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(chat_message_row).collect()
    }

    async fn chat_message(&self, conversation_id: i64, seq: i64) -> Result<Option<ChatMessage>> {
        let row = sqlx::query("SELECT * FROM chat_messages WHERE conversation_id = $1 AND seq = $2")
            .bind(conversation_id)
            .bind(seq)
            .fetch_optional(&self.reader)
            .await?;
        row.as_ref().map(chat_message_row).transpose()
    }

    async fn mark_chat_landed(&self, id: i64, ticket_id: i64, ticket_message_id: Option<i64>) -> Result<()> {
        sqlx::query("UPDATE chat_messages SET landed = $1, ticket_id = $2, ticket_message_id = $3 WHERE id = $4")
            .bind(true)
            .bind(ticket_id)
            .bind(ticket_message_id)
            .bind(id)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    async fn unlanded_chat_messages(&self, before: Millis, limit: i64) -> Result<Vec<ChatMessage>> {
        let rows = sqlx::query(
            "SELECT * FROM chat_messages WHERE landed = $1 AND created_at < $2 ORDER BY conversation_id, seq LIMIT $3",
        )
        .bind(false)
        .bind(before.0)
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(chat_message_row).collect()
    }

    async fn chat_ticket_message_ids(&self, conversation_id: i64) -> Result<Vec<i64>> {
        let rows = sqlx::query(
            "SELECT ticket_message_id FROM chat_messages WHERE conversation_id = $1 AND ticket_message_id IS NOT NULL",
        )
        .bind(conversation_id)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(|r| Ok(r.try_get("ticket_message_id")?)).collect()
    }

    async fn chat_agents_on_duty(&self, merchant: Option<i64>) -> Result<i64> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS n FROM agent_status WHERE presence IN ('online', 'busy') \
             AND (merchant_id = $1 OR (merchant_id IS NULL AND $1 IS NULL))",
        )
        .bind(merchant)
        .fetch_one(&self.reader)
        .await?;
        Ok(row.try_get("n")?)
    }

    async fn add_chat_attachment(&self, a: ChatAttachment) -> Result<ChatAttachment> {
        let row = sqlx::query(
            "INSERT INTO chat_attachments (conversation_id, merchant_id, sha256, file_name, mime, size, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
        )
        .bind(a.conversation_id)
        .bind(a.merchant_id)
        .bind(&a.sha256)
        .bind(&a.file_name)
        .bind(&a.mime)
        .bind(a.size)
        .bind(a.created_at.0)
        .fetch_one(&self.writer)
        .await?;
        chat_attachment_row(&row)
    }

    async fn get_chat_attachment(&self, id: i64) -> Result<Option<ChatAttachment>> {
        let row = sqlx::query("SELECT * FROM chat_attachments WHERE id = $1").bind(id).fetch_optional(&self.reader).await?;
        row.as_ref().map(chat_attachment_row).transpose()
    }

    async fn chat_notify(&self, payload: &str) -> Result<()> {
        if BACKEND == Backend::Postgres {
            sqlx::query("SELECT pg_notify($1, $2)").bind(CHAT_CHANNEL).bind(payload).execute(&self.writer).await?;
        }
        Ok(())
    }

    async fn chat_listen(&self, tx: tokio::sync::mpsc::UnboundedSender<ChatSignal>) -> Result<bool> {
        ChatListen::listen_chat(self, tx).await
    }
}
