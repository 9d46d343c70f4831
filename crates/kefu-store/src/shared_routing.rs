// Routing queries shared by both backends; `include!`d after `shared_sla.rs`.

use crate::routing::*;
use kefu_core::routing::{AgentState, Capacity, GroupMatch, Load, Membership, Presence, Request, SkillGroup, Strategy, WorkKind};

fn strategy_of(s: &str) -> Strategy {
    match s {
        "round_robin" => Strategy::RoundRobin,
        "skill_priority" => Strategy::SkillPriority,
        _ => Strategy::LeastLoaded,
    }
}

fn group_row(r: &DbRow) -> Result<SkillGroup> {
    let strategy: String = r.try_get("strategy")?;
    let pos: i64 = r.try_get("position")?;
    let after: Option<i64> = r.try_get("overflow_after_secs")?;
    Ok(SkillGroup {
        id: r.try_get("id")?,
        merchant_id: r.try_get("merchant_id")?,
        name: r.try_get("name")?,
        position: pos as i32,
        strategy: strategy_of(&strategy),
        matching: json_col::<GroupMatch>(r, "matching")?,
        vip_dedicated: r.try_get("vip_dedicated")?,
        overflow_to: r.try_get("overflow_to")?,
        overflow_after_secs: after.map(|a| a.max(0) as u64),
    })
}

fn presence_of(p: &str, reason: Option<String>) -> Presence {
    match p {
        "online" => Presence::Online,
        "busy" => Presence::Busy,
        "away" => Presence::Away { reason: reason.unwrap_or_default() },
        _ => Presence::Offline,
    }
}

fn presence_reason(p: &Presence) -> Option<&str> {
    match p {
        Presence::Away { reason } => Some(reason.as_str()),
        _ => None,
    }
}

async fn group_in_scope(tx: &mut Tx<'_>, s: &Scope, id: i64, lock: bool) -> Result<SkillGroup> {
    let sql = format!("SELECT * FROM skill_groups WHERE id = $1{}", if lock { FOR_UPDATE } else { "" });
    let row = sqlx::query(&sql).bind(id).fetch_optional(&mut **tx).await?;
    match row.as_ref().map(group_row).transpose()? {
        Some(g) if s.sees(g.merchant_id) && (g.merchant_id.is_some() || s.merchant_filter().is_none()) => Ok(g),
        _ => Err(DomainError::not_found("skill group").into()),
    }
}

async fn check_overflow_target(tx: &mut Tx<'_>, g: &SkillGroup) -> Result<()> {
    if let Some(o) = g.overflow_to {
        let row = sqlx::query("SELECT merchant_id FROM skill_groups WHERE id = $1").bind(o).fetch_optional(&mut **tx).await?;
        let ok = match row {
            Some(r) => {
                let m: Option<i64> = r.try_get("merchant_id")?;
                m.is_none() || m == g.merchant_id
            }
            None => false,
        };
        if !ok {
            return Err(DomainError::validation("overflow_to", format!("skill group {o} does not exist")).into());
        }
    }
    Ok(())
}

fn group_unique(e: sqlx::Error, name: &str) -> StoreError {
    unique_as_conflict(e, "name", &format!("a skill group named '{name}' exists"))
}

/// Memberships, certifications and load of a set of agents, filled into their states.
async fn fill_agents(pool: &sqlx::Pool<Db>, agents: &mut [AgentState]) -> Result<()> {
    if agents.is_empty() {
        return Ok(());
    }
    let ids: Vec<String> = agents.iter().map(|a| a.user_id.to_string()).collect();
    let list = ids.join(",");
    let members = sqlx::query(&format!("SELECT group_id, user_id, skill_level, priority FROM group_members WHERE user_id IN ({list})"))
        .fetch_all(pool)
        .await?;
    let certs = sqlx::query(&format!(
        "SELECT user_id, group_id FROM certifications WHERE revoked_at IS NULL AND user_id IN ({list})"
    ))
    .fetch_all(pool)
    .await?;
    // Live chats (a chat ticket still new or open, or offered and not yet accepted) count against the
    // chat limit; every other active ticket against the ticket limit.
    let loads = sqlx::query(&format!(
        "SELECT assignee_id, SUM(CASE WHEN channel = 'chat' AND status IN ('new', 'open') THEN 1 ELSE 0 END) AS chats, \
         SUM(CASE WHEN channel = 'chat' AND status IN ('new', 'open') THEN 0 ELSE 1 END) AS n FROM tickets \
         WHERE assignee_id IN ({list}) AND status IN ('new', 'open', 'pending_customer', 'on_hold') GROUP BY assignee_id"
    ))
    .fetch_all(pool)
    .await?;
    let offers = sqlx::query(&format!(
        "SELECT offer_agent_id, COUNT(*) AS n FROM tickets WHERE offer_agent_id IN ({list}) \
         AND assignee_id IS NULL AND status IN ('new', 'open') GROUP BY offer_agent_id"
    ))
    .fetch_all(pool)
    .await?;
    for a in agents.iter_mut() {
        for m in &members {
            if m.try_get::<i64, _>("user_id")? == a.user_id {
                let level: i64 = m.try_get("skill_level")?;
                let prio: i64 = m.try_get("priority")?;
                a.memberships.push(Membership {
                    group_id: m.try_get("group_id")?,
                    user_id: a.user_id,
                    skill_level: level.clamp(1, 5) as u8,
                    priority: prio.clamp(0, 255) as u8,
                });
            }
        }
        for c in &certs {
            if c.try_get::<i64, _>("user_id")? == a.user_id {
                a.certified_groups.push(c.try_get("group_id")?);
            }
        }
        let count = |n: i64| n.clamp(0, i64::from(u32::MAX)) as u32;
        for l in &loads {
            if l.try_get::<Option<i64>, _>("assignee_id")? == Some(a.user_id) {
                a.load.tickets = count(l.try_get::<Option<i64>, _>("n")?.unwrap_or(0));
                a.load.chats = count(l.try_get::<Option<i64>, _>("chats")?.unwrap_or(0));
            }
        }
        for o in &offers {
            if o.try_get::<Option<i64>, _>("offer_agent_id")? == Some(a.user_id) {
                a.load.chats += count(o.try_get("n")?);
            }
        }
    }
    Ok(())
}

fn agent_of_status_row(r: &DbRow) -> Result<AgentState> {
    let presence: String = r.try_get("presence")?;
    let langs: String = r.try_get("languages")?;
    let chats: i64 = r.try_get("max_chats")?;
    let tickets: i64 = r.try_get("max_tickets")?;
    Ok(AgentState {
        user_id: r.try_get("user_id")?,
        merchant_id: r.try_get("merchant_id")?,
        presence: presence_of(&presence, r.try_get("reason")?),
        memberships: Vec::new(),
        certified_groups: Vec::new(),
        capacity: Capacity { max_chats: chats.clamp(0, 1000) as u32, max_tickets: tickets.clamp(0, 100_000) as u32 },
        load: Load::default(),
        last_assigned_at: r.try_get::<Option<i64>, _>("last_assigned_at")?.map(Millis),
        languages: serde_json::from_str(&langs).unwrap_or_default(),
    })
}

#[async_trait]
impl RoutingStore for StoreImpl {
    async fn list_groups(&self, s: &Scope) -> Result<Vec<SkillGroup>> {
        let rows = sqlx::query("SELECT * FROM skill_groups WHERE ($1 IS NULL OR merchant_id IS NULL OR merchant_id = $1) ORDER BY position, id")
            .bind(s.merchant_filter())
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(group_row).collect()
    }

    async fn create_group(&self, s: &Scope, ctx: &AuditCtx, mut g: SkillGroup) -> Result<SkillGroup> {
        g.merchant_id = s.owner_for_new(g.merchant_id)?;
        g.validate()?;
        let mut tx = self.writer.begin().await?;
        check_overflow_target(&mut tx, &g).await?;
        let row = sqlx::query(
            "INSERT INTO skill_groups (merchant_id, name, position, strategy, matching, vip_dedicated, overflow_to, overflow_after_secs, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING *",
        )
        .bind(g.merchant_id)
        .bind(g.name.trim())
        .bind(i64::from(g.position))
        .bind(g.strategy.as_str())
        .bind(json_text(&g.matching))
        .bind(g.vip_dedicated)
        .bind(g.overflow_to)
        .bind(g.overflow_after_secs.map(|a| a as i64))
        .bind(ctx.now.0)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| group_unique(e, &g.name))?;
        let saved = group_row(&row)?;
        let e = ctx.entry("skill_group.create", "skill_group", Some(saved.id.to_string()), saved.merchant_id, None, to_json(&saved));
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(saved)
    }

    async fn update_group(&self, s: &Scope, ctx: &AuditCtx, g: SkillGroup) -> Result<SkillGroup> {
        let mut tx = self.writer.begin().await?;
        let before = group_in_scope(&mut tx, s, g.id, true).await?;
        let g = SkillGroup { merchant_id: before.merchant_id, ..g };
        g.validate()?;
        check_overflow_target(&mut tx, &g).await?;
        let row = sqlx::query(
            "UPDATE skill_groups SET name = $1, position = $2, strategy = $3, matching = $4, vip_dedicated = $5, overflow_to = $6, \
             overflow_after_secs = $7, updated_at = $8 WHERE id = $9 RETURNING *",
        )
        .bind(g.name.trim())
        .bind(i64::from(g.position))
        .bind(g.strategy.as_str())
        .bind(json_text(&g.matching))
        .bind(g.vip_dedicated)
        .bind(g.overflow_to)
        .bind(g.overflow_after_secs.map(|a| a as i64))
        .bind(ctx.now.0)
        .bind(g.id)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| group_unique(e, &g.name))?;
        let saved = group_row(&row)?;
        let e = ctx.entry("skill_group.update", "skill_group", Some(saved.id.to_string()), saved.merchant_id, to_json(&before), to_json(&saved));
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(saved)
    }

    async fn set_members(&self, s: &Scope, ctx: &AuditCtx, group_id: i64, members: Vec<Membership>) -> Result<Vec<Membership>> {
        let mut tx = self.writer.begin().await?;
        let g = group_in_scope(&mut tx, s, group_id, true).await?;
        for (i, m) in members.iter().enumerate() {
            m.validate()?;
            let row = sqlx::query("SELECT merchant_id FROM users WHERE id = $1").bind(m.user_id).fetch_optional(&mut *tx).await?;
            let ok = match row {
                Some(r) => {
                    let um: Option<i64> = r.try_get("merchant_id")?;
                    s.sees(um) && (g.merchant_id.is_none() || um == g.merchant_id)
                }
                None => false,
            };
            if !ok {
                return Err(DomainError::validation(&format!("members[{i}].user_id"), format!("user {} is not staff of this group's merchant", m.user_id)).into());
            }
        }
        let before = self.list_members(s, group_id).await?;
        sqlx::query("DELETE FROM group_members WHERE group_id = $1").bind(group_id).execute(&mut *tx).await?;
        for m in &members {
            sqlx::query("INSERT INTO group_members (group_id, user_id, skill_level, priority) VALUES ($1, $2, $3, $4) ON CONFLICT (group_id, user_id) DO UPDATE SET skill_level = excluded.skill_level, priority = excluded.priority")
                .bind(group_id)
                .bind(m.user_id)
                .bind(i64::from(m.skill_level))
                .bind(i64::from(m.priority))
                .execute(&mut *tx)
                .await?;
        }
        let after: Vec<Membership> = members.iter().map(|m| Membership { group_id, ..*m }).collect();
        let e = ctx.entry("skill_group.members", "skill_group", Some(group_id.to_string()), g.merchant_id, to_json(&before), to_json(&after));
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(after)
    }

    async fn list_members(&self, s: &Scope, group_id: i64) -> Result<Vec<Membership>> {
        let mut tx = self.reader.begin().await?;
        group_in_scope(&mut tx, s, group_id, false).await?;
        let rows = sqlx::query("SELECT group_id, user_id, skill_level, priority FROM group_members WHERE group_id = $1 ORDER BY user_id")
            .bind(group_id)
            .fetch_all(&mut *tx)
            .await?;
        rows.iter()
            .map(|r| {
                let level: i64 = r.try_get("skill_level")?;
                let prio: i64 = r.try_get("priority")?;
                Ok(Membership { group_id, user_id: r.try_get("user_id")?, skill_level: level.clamp(1, 5) as u8, priority: prio.clamp(0, 255) as u8 })
            })
            .collect()
    }

    async fn grant_certification(&self, s: &Scope, ctx: &AuditCtx, user_id: i64, group_id: i64, source: &str) -> Result<Certification> {
        let mut tx = self.writer.begin().await?;
        let row = sqlx::query("SELECT merchant_id FROM users WHERE id = $1").bind(user_id).fetch_optional(&mut *tx).await?;
        let user_merchant: Option<i64> = match row {
            Some(r) if s.sees(r.try_get("merchant_id")?) => r.try_get("merchant_id")?,
            _ => return Err(DomainError::not_found("user").into()),
        };
        let g = match group_in_scope(&mut tx, s, group_id, false).await {
            Ok(g) => g,
            Err(_) => return Err(DomainError::validation("group_id", format!("skill group {group_id} does not exist")).into()),
        };
        if g.merchant_id.is_some() && g.merchant_id != user_merchant {
            return Err(DomainError::validation("group_id", "the user is not staff of this group's merchant").into());
        }
        let row = sqlx::query("INSERT INTO certifications (user_id, group_id, source, granted_by, granted_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
            .bind(user_id)
            .bind(group_id)
            .bind(source)
            .bind(ctx.actor_id)
            .bind(ctx.now.0)
            .fetch_one(&mut *tx)
            .await?;
        let c = Certification { id: row.try_get("id")?, user_id, group_id, source: source.to_string(), granted_by: ctx.actor_id, granted_at: ctx.now, revoked_at: None };
        let e = ctx.entry("certification.grant", "user", Some(user_id.to_string()), user_merchant, None, to_json(&c));
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(c)
    }

    async fn list_certifications(&self, s: &Scope, user_id: i64) -> Result<Vec<Certification>> {
        let row = sqlx::query("SELECT merchant_id FROM users WHERE id = $1").bind(user_id).fetch_optional(&self.reader).await?;
        match row {
            Some(r) if s.sees(r.try_get("merchant_id")?) => {}
            _ => return Err(DomainError::not_found("user").into()),
        }
        let rows = sqlx::query("SELECT * FROM certifications WHERE user_id = $1 ORDER BY id").bind(user_id).fetch_all(&self.reader).await?;
        rows.iter()
            .map(|r| {
                Ok(Certification {
                    id: r.try_get("id")?,
                    user_id,
                    group_id: r.try_get("group_id")?,
                    source: r.try_get("source")?,
                    granted_by: r.try_get("granted_by")?,
                    granted_at: Millis(r.try_get("granted_at")?),
                    revoked_at: r.try_get::<Option<i64>, _>("revoked_at")?.map(Millis),
                })
            })
            .collect()
    }

    async fn agent_state(&self, user_id: i64) -> Result<AgentState> {
        let row = sqlx::query("SELECT * FROM agent_status WHERE user_id = $1").bind(user_id).fetch_optional(&self.reader).await?;
        let mut a = match row {
            Some(r) => agent_of_status_row(&r)?,
            None => {
                let u = sqlx::query("SELECT merchant_id FROM users WHERE id = $1").bind(user_id).fetch_optional(&self.reader).await?;
                let Some(u) = u else { return Err(DomainError::not_found("user").into()) };
                AgentState {
                    user_id,
                    merchant_id: u.try_get("merchant_id")?,
                    presence: Presence::Offline,
                    memberships: Vec::new(),
                    certified_groups: Vec::new(),
                    capacity: Capacity::default(),
                    load: Load::default(),
                    last_assigned_at: None,
                    languages: Vec::new(),
                }
            }
        };
        fill_agents(&self.reader, std::slice::from_mut(&mut a)).await?;
        Ok(a)
    }

    async fn set_presence(&self, ctx: &AuditCtx, user_id: i64, merchant_id: Option<i64>, presence: &Presence) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let d = Capacity::default();
        sqlx::query(
            "INSERT INTO agent_status (user_id, merchant_id, presence, reason, since, max_chats, max_tickets, languages, last_seen_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, '[]', $5) ON CONFLICT (user_id) DO UPDATE SET presence = excluded.presence, \
             reason = excluded.reason, since = excluded.since, merchant_id = excluded.merchant_id, last_seen_at = excluded.last_seen_at",
        )
        .bind(user_id)
        .bind(merchant_id)
        .bind(presence.as_str())
        .bind(presence_reason(presence))
        .bind(ctx.now.0)
        .bind(i64::from(d.max_chats))
        .bind(i64::from(d.max_tickets))
        .execute(&mut *tx)
        .await?;
        sqlx::query("INSERT INTO presence_events (user_id, merchant_id, presence, reason, at) VALUES ($1, $2, $3, $4, $5)")
            .bind(user_id)
            .bind(merchant_id)
            .bind(presence.as_str())
            .bind(presence_reason(presence))
            .bind(ctx.now.0)
            .execute(&mut *tx)
            .await?;
        let after = serde_json::json!({ "presence": presence.as_str(), "reason": presence_reason(presence) }).to_string();
        let e = ctx.entry("presence.set", "user", Some(user_id.to_string()), merchant_id, None, Some(after));
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn touch_presence(&self, user_id: i64, now: Millis) -> Result<()> {
        sqlx::query("UPDATE agent_status SET last_seen_at = $1 WHERE user_id = $2").bind(now.0).bind(user_id).execute(&self.writer).await?;
        Ok(())
    }

    async fn silent_agents(&self, before: Millis) -> Result<Vec<(i64, Option<i64>)>> {
        let rows = sqlx::query(
            "SELECT user_id, merchant_id FROM agent_status WHERE presence IN ('online', 'busy') AND COALESCE(last_seen_at, since) < $1",
        )
        .bind(before.0)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(|r| Ok((r.try_get("user_id")?, r.try_get("merchant_id")?))).collect()
    }

    async fn set_capacity(&self, s: &Scope, ctx: &AuditCtx, user_id: i64, c: Capacity) -> Result<()> {
        c.validate()?;
        let mut tx = self.writer.begin().await?;
        let row = sqlx::query("SELECT merchant_id FROM users WHERE id = $1").bind(user_id).fetch_optional(&mut *tx).await?;
        let merchant: Option<i64> = match row {
            Some(r) if s.sees(r.try_get("merchant_id")?) => r.try_get("merchant_id")?,
            _ => return Err(DomainError::not_found("user").into()),
        };
        sqlx::query(
            "INSERT INTO agent_status (user_id, merchant_id, presence, since, max_chats, max_tickets, languages) \
             VALUES ($1, $2, 'offline', $3, $4, $5, '[]') ON CONFLICT (user_id) DO UPDATE SET max_chats = excluded.max_chats, max_tickets = excluded.max_tickets",
        )
        .bind(user_id)
        .bind(merchant)
        .bind(ctx.now.0)
        .bind(i64::from(c.max_chats))
        .bind(i64::from(c.max_tickets))
        .execute(&mut *tx)
        .await?;
        let e = ctx.entry("capacity.set", "user", Some(user_id.to_string()), merchant, None, to_json(&c));
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn online_agents(&self) -> Result<Vec<AgentState>> {
        let rows = sqlx::query("SELECT * FROM agent_status WHERE presence = 'online'").fetch_all(&self.reader).await?;
        let mut agents: Vec<AgentState> = rows.iter().map(agent_of_status_row).collect::<Result<_>>()?;
        fill_agents(&self.reader, &mut agents).await?;
        Ok(agents)
    }

    async fn all_groups(&self) -> Result<Vec<SkillGroup>> {
        let rows = sqlx::query("SELECT * FROM skill_groups ORDER BY position, id").fetch_all(&self.reader).await?;
        rows.iter().map(group_row).collect()
    }

    async fn waiting_tickets(&self, limit: i64) -> Result<Vec<Request>> {
        let rows = sqlx::query(
            "SELECT t.id, t.merchant_id, t.channel, t.category, t.priority, t.created_at, t.first_responder_id, c.member_tier, c.vip, \
             (SELECT p.assignee_id FROM tickets p WHERE p.customer_id = t.customer_id AND p.id < t.id AND p.assignee_id IS NOT NULL \
              ORDER BY p.id DESC LIMIT 1) AS previous_agent \
             , t.passed_over FROM tickets t LEFT JOIN customers c ON c.id = t.customer_id \
             WHERE t.assignee_id IS NULL AND t.team_id IS NULL AND t.status IN ('new', 'open') \
             AND t.offer_agent_id IS NULL ORDER BY t.id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                let channel: String = r.try_get("channel")?;
                let priority: String = r.try_get("priority")?;
                let first: Option<i64> = r.try_get("first_responder_id")?;
                let previous: Option<i64> = r.try_get("previous_agent")?;
                let passed: Option<String> = r.try_get("passed_over")?;
                let channel = kefu_core::ticket::Channel::parse(&channel)?;
                Ok(Request {
                    id: r.try_get("id")?,
                    merchant_id: r.try_get("merchant_id")?,
                    // A live chat counts against the agent's chat capacity, everything else as a ticket.
                    kind: WorkKind::of_channel(channel),
                    channel,
                    category: r.try_get("category")?,
                    priority: kefu_core::ticket::Priority::parse(&priority)?,
                    // The customer's own VIP flag; the router adds the priority of the member tier under the
                    // merchant's rights (会员权益, `routing::waiting`).
                    vip: r.try_get::<Option<bool>, _>("vip")?.unwrap_or(false),
                    member_tier: r.try_get("member_tier")?,
                    language: None,
                    arrived_at: Millis(r.try_get("created_at")?),
                    queued_at: None,
                    sticky_agent: first.or(previous),
                    group_id: None,
                    passed_over: passed.and_then(|p| serde_json::from_str(&p).ok()).unwrap_or_default(),
                })
            })
            .collect()
    }

    async fn lapsed_offers(&self, now: Millis, limit: i64) -> Result<Vec<(i64, i64)>> {
        let rows = sqlx::query(
            "SELECT id, offer_agent_id FROM tickets WHERE offer_agent_id IS NOT NULL AND offer_expires_at <= $1 \
             AND assignee_id IS NULL ORDER BY offer_expires_at LIMIT $2",
        )
        .bind(now.0)
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("offer_agent_id")?))).collect()
    }

    async fn agent_statuses(&self, s: &Scope) -> Result<Vec<AgentStatus>> {
        let rows = sqlx::query(
            "SELECT a.*, u.username, u.display_name, (SELECT COUNT(*) FROM tickets t WHERE t.assignee_id = a.user_id \
             AND t.status IN ('new', 'open', 'pending_customer', 'on_hold')) AS open_tickets \
             FROM agent_status a JOIN users u ON u.id = a.user_id WHERE ($1 IS NULL OR a.merchant_id = $1) ORDER BY a.user_id",
        )
        .bind(s.merchant_filter())
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                let a = agent_of_status_row(r)?;
                Ok(AgentStatus {
                    user_id: a.user_id,
                    username: r.try_get("username")?,
                    display_name: r.try_get("display_name")?,
                    merchant_id: a.merchant_id,
                    presence: a.presence,
                    since: Millis(r.try_get("since")?),
                    capacity: a.capacity,
                    open_tickets: r.try_get("open_tickets")?,
                })
            })
            .collect()
    }

    async fn presence_events(&self, s: &Scope, from: Millis, to: Millis) -> Result<Vec<PresenceEvent>> {
        // The last change before the period tells each agent's state at its start.
        let rows = sqlx::query(
            "SELECT user_id, merchant_id, presence, reason, at FROM presence_events e WHERE ($3 IS NULL OR merchant_id = $3) AND \
             ((at >= $1 AND at < $2) OR at = (SELECT MAX(at) FROM presence_events p WHERE p.user_id = e.user_id AND p.at < $1)) \
             ORDER BY at, id",
        )
        .bind(from.0)
        .bind(to.0)
        .bind(s.merchant_filter())
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PresenceEvent {
                    user_id: r.try_get("user_id")?,
                    merchant_id: r.try_get("merchant_id")?,
                    presence: r.try_get("presence")?,
                    reason: r.try_get("reason")?,
                    at: Millis(r.try_get("at")?),
                })
            })
            .collect()
    }

    async fn mark_assigned(&self, user_id: i64, at: Millis) -> Result<()> {
        sqlx::query("UPDATE agent_status SET last_assigned_at = $1 WHERE user_id = $2").bind(at.0).bind(user_id).execute(&self.writer).await?;
        Ok(())
    }

    async fn router_lease(&self, holder: &str, now: Millis, until: Millis) -> Result<bool> {
        let r = sqlx::query("UPDATE router_lease SET holder = $1, until = $2 WHERE id = 1 AND (until < $3 OR holder = $1)")
            .bind(holder)
            .bind(until.0)
            .bind(now.0)
            .execute(&self.writer)
            .await?;
        Ok(r.rows_affected() == 1)
    }
}
