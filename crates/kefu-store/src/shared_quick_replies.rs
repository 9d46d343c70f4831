// Quick reply queries shared by both backends; `include!`d after `shared_routing.rs`.

use crate::quick_replies::*;

fn quick_reply_row(r: &DbRow) -> Result<QuickReply> {
    Ok(QuickReply {
        id: r.try_get("id")?,
        merchant_id: r.try_get("merchant_id")?,
        team_id: r.try_get("team_id")?,
        owner_id: r.try_get("owner_id")?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        shortcut: r.try_get("shortcut")?,
        position: r.try_get("position")?,
        created_at: Millis(r.try_get("created_at")?),
        updated_at: Millis(r.try_get("updated_at")?),
    })
}

async fn check_team_of(tx: &mut Tx<'_>, s: &Scope, team: Option<i64>, merchant: Option<i64>) -> Result<()> {
    if let Some(t) = team {
        let row = sqlx::query("SELECT merchant_id FROM teams WHERE id = $1").bind(t).fetch_optional(&mut **tx).await?;
        let ok = match row {
            Some(r) => {
                let m: Option<i64> = r.try_get("merchant_id")?;
                s.sees(m) && m == merchant
            }
            None => false,
        };
        if !ok {
            return Err(DomainError::validation("team_id", format!("team {t} does not exist")).into());
        }
    }
    Ok(())
}

#[async_trait]
impl QuickReplyStore for StoreImpl {
    async fn list_quick_replies(
        &self,
        _s: &Scope,
        user: i64,
        merchant: Option<i64>,
        team: Option<i64>,
        q: Option<&str>,
    ) -> Result<Vec<QuickReply>> {
        let like = q.map(|q| format!("%{}%", q.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")));
        let rows = sqlx::query(
            "SELECT * FROM quick_replies WHERE (owner_id = $1 OR (owner_id IS NULL AND \
             (($2 IS NULL AND merchant_id IS NULL) OR merchant_id = $2) AND (team_id IS NULL OR team_id = $3))) \
             AND ($4 IS NULL OR title LIKE $4 ESCAPE '\\' OR body LIKE $4 ESCAPE '\\' OR shortcut LIKE $4 ESCAPE '\\') \
             ORDER BY (owner_id IS NULL), position, id LIMIT 500",
        )
        .bind(user)
        .bind(merchant)
        .bind(team)
        .bind(like)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(quick_reply_row).collect()
    }

    async fn get_quick_reply(&self, s: &Scope, id: i64) -> Result<Option<QuickReply>> {
        let row = sqlx::query("SELECT * FROM quick_replies WHERE id = $1").bind(id).fetch_optional(&self.reader).await?;
        Ok(row.as_ref().map(quick_reply_row).transpose()?.filter(|r| s.sees(r.merchant_id)))
    }

    async fn create_quick_reply(&self, s: &Scope, ctx: &AuditCtx, mut spec: QuickReplySpec) -> Result<QuickReply> {
        spec.merchant_id = s.owner_for_new(spec.merchant_id)?;
        let mut tx = self.writer.begin().await?;
        check_team_of(&mut tx, s, spec.team_id, spec.merchant_id).await?;
        let row = sqlx::query(
            "INSERT INTO quick_replies (merchant_id, team_id, owner_id, title, body, shortcut, position, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING *",
        )
        .bind(spec.merchant_id)
        .bind(spec.team_id)
        .bind(spec.owner_id)
        .bind(&spec.title)
        .bind(&spec.body)
        .bind(&spec.shortcut)
        .bind(spec.position)
        .bind(ctx.actor_id)
        .bind(ctx.now.0)
        .fetch_one(&mut *tx)
        .await?;
        let r = quick_reply_row(&row)?;
        let e = ctx.entry("quick_reply.create", "quick_reply", Some(r.id.to_string()), r.merchant_id, None, to_json(&r));
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(r)
    }

    async fn update_quick_reply(&self, s: &Scope, ctx: &AuditCtx, id: i64, spec: QuickReplySpec) -> Result<QuickReply> {
        let mut tx = self.writer.begin().await?;
        let row = sqlx::query(&format!("SELECT * FROM quick_replies WHERE id = $1{FOR_UPDATE}")).bind(id).fetch_optional(&mut *tx).await?;
        let before = match row.as_ref().map(quick_reply_row).transpose()? {
            Some(b) if s.sees(b.merchant_id) => b,
            _ => return Err(DomainError::not_found("quick reply").into()),
        };
        check_team_of(&mut tx, s, spec.team_id, before.merchant_id).await?;
        let row = sqlx::query(
            "UPDATE quick_replies SET team_id = $1, title = $2, body = $3, shortcut = $4, position = $5, updated_at = $6 WHERE id = $7 RETURNING *",
        )
        .bind(spec.team_id)
        .bind(&spec.title)
        .bind(&spec.body)
        .bind(&spec.shortcut)
        .bind(spec.position)
        .bind(ctx.now.0)
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        let r = quick_reply_row(&row)?;
        let e = ctx.entry("quick_reply.update", "quick_reply", Some(id.to_string()), r.merchant_id, to_json(&before), to_json(&r));
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(r)
    }

    async fn delete_quick_reply(&self, s: &Scope, ctx: &AuditCtx, id: i64) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let row = sqlx::query(&format!("SELECT * FROM quick_replies WHERE id = $1{FOR_UPDATE}")).bind(id).fetch_optional(&mut *tx).await?;
        let before = match row.as_ref().map(quick_reply_row).transpose()? {
            Some(b) if s.sees(b.merchant_id) => b,
            _ => return Err(DomainError::not_found("quick reply").into()),
        };
        sqlx::query("DELETE FROM quick_replies WHERE id = $1").bind(id).execute(&mut *tx).await?;
        let e = ctx.entry("quick_reply.delete", "quick_reply", Some(id.to_string()), before.merchant_id, to_json(&before), None);
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(())
    }
}
