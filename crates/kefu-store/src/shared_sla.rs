// SLA queries shared by both backends; `include!`d after `shared_tickets.rs`.

use crate::sla::*;
use kefu_core::sla::{BreachAction, Conditions, SlaPolicy, Targets};

/// Write a ticket's timer and clock records (in the transaction of its change).
async fn write_sla(tx: &mut Tx<'_>, ticket_id: i64, merchant_id: Option<i64>, p: &SlaProjection) -> Result<()> {
    match p.next_due {
        Some(d) => {
            sqlx::query(
                "INSERT INTO sla_timers (ticket_id, merchant_id, due_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (ticket_id) DO UPDATE SET due_at = excluded.due_at, merchant_id = excluded.merchant_id",
            )
            .bind(ticket_id)
            .bind(merchant_id)
            .bind(d.0)
            .execute(&mut **tx)
            .await?;
        }
        None => {
            sqlx::query("DELETE FROM sla_timers WHERE ticket_id = $1").bind(ticket_id).execute(&mut **tx).await?;
        }
    }
    for r in &p.records {
        sqlx::query(
            "INSERT INTO sla_records (ticket_id, metric, cycle, merchant_id, policy_id, team_id, agent_id, channel, started_at, \
             stopped_at, due_at, target_secs, elapsed_secs, breached, in_service_hours) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
             ON CONFLICT (ticket_id, metric, cycle) DO UPDATE SET merchant_id = excluded.merchant_id, \
             policy_id = excluded.policy_id, team_id = excluded.team_id, agent_id = excluded.agent_id, \
             channel = excluded.channel, started_at = excluded.started_at, stopped_at = excluded.stopped_at, \
             due_at = excluded.due_at, target_secs = excluded.target_secs, elapsed_secs = excluded.elapsed_secs, \
             breached = excluded.breached, in_service_hours = excluded.in_service_hours",
        )
        .bind(ticket_id)
        .bind(&r.metric)
        .bind(r.cycle)
        .bind(merchant_id)
        .bind(r.policy_id)
        .bind(r.team_id)
        .bind(r.agent_id)
        .bind(&r.channel)
        .bind(r.started_at.0)
        .bind(r.stopped_at.map(|m| m.0))
        .bind(r.due_at.map(|m| m.0))
        .bind(r.target_secs)
        .bind(r.elapsed_secs)
        .bind(r.breached)
        .bind(r.in_service_hours)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

fn json_col<T: serde::de::DeserializeOwned>(r: &DbRow, col: &str) -> Result<T> {
    let text: String = r.try_get(col)?;
    serde_json::from_str(&text).map_err(|e| StoreError::Other(format!("bad {col} JSON in the database: {e}")))
}

fn calendar_row(r: &DbRow) -> Result<CalendarRow> {
    let makeup: Option<String> = r.try_get("makeup_windows")?;
    Ok(CalendarRow {
        id: r.try_get("id")?,
        merchant_id: r.try_get("merchant_id")?,
        name: r.try_get("name")?,
        time_zone: r.try_get("time_zone")?,
        weekly: json_col(r, "weekly")?,
        makeup_windows: makeup
            .map(|m| serde_json::from_str(&m))
            .transpose()
            .map_err(|e| StoreError::Other(format!("bad makeup_windows JSON: {e}")))?,
        holidays: r.try_get("holidays")?,
        created_at: Millis(r.try_get("created_at")?),
        updated_at: Millis(r.try_get("updated_at")?),
    })
}

fn policy_row(r: &DbRow) -> Result<SlaPolicy> {
    let warn: i64 = r.try_get("warn_percent")?;
    let position: i64 = r.try_get("position")?;
    Ok(SlaPolicy {
        id: r.try_get("id")?,
        merchant_id: r.try_get("merchant_id")?,
        name: r.try_get("name")?,
        position: position as i32,
        active: r.try_get("active")?,
        conditions: json_col::<Conditions>(r, "conditions")?,
        targets: json_col::<Targets>(r, "targets")?,
        calendar_id: r.try_get("calendar_id")?,
        pause_when_pending: r.try_get("pause_when_pending")?,
        warn_percent: warn.clamp(1, 99) as u8,
        breach_actions: json_col::<Vec<BreachAction>>(r, "breach_actions")?,
    })
}

fn json_text<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

async fn bump_sla_version(tx: &mut Tx<'_>) -> Result<()> {
    sqlx::query("UPDATE sla_config_version SET version = version + 1 WHERE id = 1").execute(&mut **tx).await?;
    Ok(())
}

async fn insert_calendar(tx: &mut Tx<'_>, spec: &CalendarSpec, now: Millis) -> Result<CalendarRow> {
    let row = sqlx::query(
        "INSERT INTO calendars (merchant_id, name, time_zone, weekly, makeup_windows, holidays, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING *",
    )
    .bind(spec.merchant_id)
    .bind(&spec.name)
    .bind(&spec.time_zone)
    .bind(json_text(&spec.weekly))
    .bind(spec.makeup_windows.as_ref().map(json_text))
    .bind(spec.holidays)
    .bind(now.0)
    .fetch_one(&mut **tx)
    .await?;
    calendar_row(&row)
}

async fn check_calendar(tx: &mut Tx<'_>, s: &Scope, id: i64, field: &str) -> Result<CalendarRow> {
    let row = sqlx::query("SELECT * FROM calendars WHERE id = $1").bind(id).fetch_optional(&mut **tx).await?;
    match row.as_ref().map(calendar_row).transpose()? {
        // Merchants may use the platform's calendars and their own.
        Some(c) if c.merchant_id.is_none() || s.sees(c.merchant_id) => Ok(c),
        _ => Err(DomainError::validation(field, format!("calendar {id} does not exist")).into()),
    }
}

async fn insert_policy(tx: &mut Tx<'_>, p: &SlaPolicy, now: Millis) -> Result<SlaPolicy> {
    let row = sqlx::query(
        "INSERT INTO sla_policies (merchant_id, name, position, active, conditions, targets, calendar_id, pause_when_pending, \
         warn_percent, breach_actions, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING *",
    )
    .bind(p.merchant_id)
    .bind(p.name.trim())
    .bind(i64::from(p.position))
    .bind(p.active)
    .bind(json_text(&p.conditions))
    .bind(json_text(&p.targets))
    .bind(p.calendar_id)
    .bind(p.pause_when_pending)
    .bind(i64::from(p.warn_percent))
    .bind(json_text(&p.breach_actions))
    .bind(now.0)
    .fetch_one(&mut **tx)
    .await?;
    policy_row(&row)
}

async fn check_policy_refs(tx: &mut Tx<'_>, s: &Scope, p: &SlaPolicy) -> Result<()> {
    if let Some(c) = p.calendar_id {
        check_calendar(tx, s, c, "calendar_id").await?;
    }
    for (i, a) in p.breach_actions.iter().enumerate() {
        if let BreachAction::ReassignTeam { team_id } = a {
            let row = sqlx::query("SELECT merchant_id FROM teams WHERE id = $1").bind(team_id).fetch_optional(&mut **tx).await?;
            let ok = match row {
                Some(r) => {
                    let owner: Option<i64> = r.try_get("merchant_id")?;
                    owner.is_none() || (s.sees(owner) && (p.merchant_id.is_none() || owner == p.merchant_id))
                }
                None => false,
            };
            if !ok {
                return Err(DomainError::validation(&format!("breach_actions[{i}].team_id"), format!("team {team_id} does not exist")).into());
            }
        }
    }
    Ok(())
}

fn between(f: &SlaReportFilter) -> (i64, i64) {
    (f.from.0, f.to.0)
}

#[async_trait]
impl SlaStore for StoreImpl {
    async fn sla_config(&self) -> Result<SlaConfig> {
        let version = self.sla_config_version().await?;
        let calendars = sqlx::query("SELECT * FROM calendars ORDER BY id").fetch_all(&self.reader).await?;
        let assignments = sqlx::query("SELECT owner_kind, owner_id, calendar_id FROM calendar_assignments").fetch_all(&self.reader).await?;
        let years = sqlx::query("SELECT year, schedule, source, updated_at FROM holiday_years ORDER BY year").fetch_all(&self.reader).await?;
        let policies = sqlx::query("SELECT * FROM sla_policies ORDER BY position, id").fetch_all(&self.reader).await?;
        Ok(SlaConfig {
            version,
            calendars: calendars.iter().map(calendar_row).collect::<Result<_>>()?,
            assignments: assignments
                .iter()
                .map(|r| Ok(CalendarAssignment { owner_kind: r.try_get("owner_kind")?, owner_id: r.try_get("owner_id")?, calendar_id: r.try_get("calendar_id")? }))
                .collect::<Result<_>>()?,
            holiday_years: years
                .iter()
                .map(|r| {
                    Ok(HolidayYearRow {
                        year: r.try_get("year")?,
                        schedule_json: r.try_get("schedule")?,
                        source: r.try_get("source")?,
                        updated_at: Millis(r.try_get("updated_at")?),
                    })
                })
                .collect::<Result<_>>()?,
            policies: policies.iter().map(policy_row).collect::<Result<_>>()?,
        })
    }

    async fn sla_config_version(&self) -> Result<i64> {
        let r = sqlx::query("SELECT version FROM sla_config_version WHERE id = 1").fetch_one(&self.reader).await?;
        Ok(r.try_get("version")?)
    }

    async fn seed_sla_defaults(
        &self,
        now: Millis,
        calendars: Vec<CalendarSpec>,
        policies: Vec<SlaPolicy>,
    ) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let any = sqlx::query("SELECT 1 AS one FROM calendars LIMIT 1").fetch_optional(&mut *tx).await?;
        if any.is_some() {
            return Ok(());
        }
        let mut ids = Vec::new();
        for c in &calendars {
            ids.push(insert_calendar(&mut tx, c, now).await?.id);
        }
        if let Some(first) = ids.first() {
            sqlx::query("INSERT INTO calendar_assignments (owner_kind, owner_id, calendar_id) VALUES ('platform', 0, $1)")
                .bind(first)
                .execute(&mut *tx)
                .await?;
        }
        for mut p in policies {
            p.calendar_id = p.calendar_id.and_then(|i| ids.get(i as usize).copied());
            insert_policy(&mut tx, &p, now).await?;
        }
        bump_sla_version(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_calendar(&self, s: &Scope, ctx: &AuditCtx, mut spec: CalendarSpec) -> Result<CalendarRow> {
        spec.merchant_id = s.owner_for_new(spec.merchant_id)?;
        let mut tx = self.writer.begin().await?;
        let c = insert_calendar(&mut tx, &spec, ctx.now).await?;
        bump_sla_version(&mut tx).await?;
        let e = ctx.entry("calendar.create", "calendar", Some(c.id.to_string()), c.merchant_id, None, to_json(&c));
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(c)
    }

    async fn update_calendar(&self, s: &Scope, ctx: &AuditCtx, id: i64, spec: CalendarSpec) -> Result<CalendarRow> {
        let mut tx = self.writer.begin().await?;
        let row = sqlx::query(&format!("SELECT * FROM calendars WHERE id = $1{FOR_UPDATE}")).bind(id).fetch_optional(&mut *tx).await?;
        let before = match row.as_ref().map(calendar_row).transpose()? {
            Some(c) if s.sees(c.merchant_id) && (c.merchant_id.is_some() || s.merchant_filter().is_none()) => c,
            _ => return Err(DomainError::not_found("calendar").into()),
        };
        let row = sqlx::query(
            "UPDATE calendars SET name = $1, time_zone = $2, weekly = $3, makeup_windows = $4, holidays = $5, updated_at = $6 \
             WHERE id = $7 RETURNING *",
        )
        .bind(&spec.name)
        .bind(&spec.time_zone)
        .bind(json_text(&spec.weekly))
        .bind(spec.makeup_windows.as_ref().map(json_text))
        .bind(spec.holidays)
        .bind(ctx.now.0)
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
        let c = calendar_row(&row)?;
        bump_sla_version(&mut tx).await?;
        let e = ctx.entry("calendar.update", "calendar", Some(id.to_string()), c.merchant_id, to_json(&before), to_json(&c));
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(c)
    }

    async fn assign_calendar(&self, s: &Scope, ctx: &AuditCtx, a: CalendarAssignment) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let cal = check_calendar(&mut tx, s, a.calendar_id, "calendar_id").await?;
        let owner_merchant: Option<i64> = match a.owner_kind.as_str() {
            "platform" => {
                if s.merchant_filter().is_some() {
                    return Err(DomainError::not_found("platform calendar assignment").into());
                }
                None
            }
            "merchant" => {
                let exists = sqlx::query("SELECT 1 AS one FROM merchants WHERE id = $1").bind(a.owner_id).fetch_optional(&mut *tx).await?;
                if !s.sees(Some(a.owner_id)) || exists.is_none() {
                    return Err(DomainError::not_found("merchant").into());
                }
                Some(a.owner_id)
            }
            "team" => {
                let r = sqlx::query("SELECT merchant_id FROM teams WHERE id = $1").bind(a.owner_id).fetch_optional(&mut *tx).await?;
                match r {
                    Some(r) if s.sees(r.try_get("merchant_id")?) => r.try_get("merchant_id")?,
                    _ => return Err(DomainError::validation("owner_id", format!("team {} does not exist", a.owner_id)).into()),
                }
            }
            other => {
                return Err(DomainError::validation("owner_kind", format!("owner_kind must be platform, merchant or team, not '{other}'")).into())
            }
        };
        if cal.merchant_id.is_some() && cal.merchant_id != owner_merchant {
            return Err(DomainError::validation("calendar_id", format!("calendar {} belongs to another merchant", a.calendar_id)).into());
        }
        let owner_id = if a.owner_kind == "platform" { 0 } else { a.owner_id };
        sqlx::query(
            "INSERT INTO calendar_assignments (owner_kind, owner_id, calendar_id) VALUES ($1, $2, $3) \
             ON CONFLICT (owner_kind, owner_id) DO UPDATE SET calendar_id = excluded.calendar_id",
        )
        .bind(&a.owner_kind)
        .bind(owner_id)
        .bind(a.calendar_id)
        .execute(&mut *tx)
        .await?;
        bump_sla_version(&mut tx).await?;
        let e = ctx.entry("calendar.assign", &a.owner_kind, Some(owner_id.to_string()), owner_merchant, None, to_json(&a));
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn put_holiday_year(&self, ctx: &AuditCtx, row: HolidayYearRow) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let before = sqlx::query("SELECT schedule FROM holiday_years WHERE year = $1").bind(row.year).fetch_optional(&mut *tx).await?;
        let before: Option<String> = before.map(|r| r.try_get("schedule")).transpose()?;
        sqlx::query(
            "INSERT INTO holiday_years (year, schedule, source, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (year) DO UPDATE SET schedule = excluded.schedule, source = excluded.source, updated_at = excluded.updated_at",
        )
        .bind(row.year)
        .bind(&row.schedule_json)
        .bind(&row.source)
        .bind(ctx.now.0)
        .execute(&mut *tx)
        .await?;
        bump_sla_version(&mut tx).await?;
        let e = ctx.entry("holidays.import", "holiday_year", Some(row.year.to_string()), None, before, Some(row.schedule_json.clone()));
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn create_policy(&self, s: &Scope, ctx: &AuditCtx, mut p: SlaPolicy) -> Result<SlaPolicy> {
        p.merchant_id = s.owner_for_new(p.merchant_id)?;
        p.validate()?;
        let mut tx = self.writer.begin().await?;
        check_policy_refs(&mut tx, s, &p).await?;
        let saved = insert_policy(&mut tx, &p, ctx.now).await?;
        bump_sla_version(&mut tx).await?;
        let e = ctx.entry("sla_policy.create", "sla_policy", Some(saved.id.to_string()), saved.merchant_id, None, to_json(&saved));
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(saved)
    }

    async fn update_policy(&self, s: &Scope, ctx: &AuditCtx, p: SlaPolicy) -> Result<SlaPolicy> {
        p.validate()?;
        let mut tx = self.writer.begin().await?;
        let row = sqlx::query(&format!("SELECT * FROM sla_policies WHERE id = $1{FOR_UPDATE}")).bind(p.id).fetch_optional(&mut *tx).await?;
        let before = match row.as_ref().map(policy_row).transpose()? {
            // A merchant edits its own policies only; the platform's are the platform's.
            Some(b) if s.sees(b.merchant_id) && (b.merchant_id.is_some() || s.merchant_filter().is_none()) => b,
            _ => return Err(DomainError::not_found("sla policy").into()),
        };
        check_policy_refs(&mut tx, s, &SlaPolicy { merchant_id: before.merchant_id, ..p.clone() }).await?;
        let row = sqlx::query(
            "UPDATE sla_policies SET name = $1, position = $2, active = $3, conditions = $4, targets = $5, calendar_id = $6, \
             pause_when_pending = $7, warn_percent = $8, breach_actions = $9, updated_at = $10 WHERE id = $11 RETURNING *",
        )
        .bind(p.name.trim())
        .bind(i64::from(p.position))
        .bind(p.active)
        .bind(json_text(&p.conditions))
        .bind(json_text(&p.targets))
        .bind(p.calendar_id)
        .bind(p.pause_when_pending)
        .bind(i64::from(p.warn_percent))
        .bind(json_text(&p.breach_actions))
        .bind(ctx.now.0)
        .bind(p.id)
        .fetch_one(&mut *tx)
        .await?;
        let saved = policy_row(&row)?;
        bump_sla_version(&mut tx).await?;
        let e = ctx.entry("sla_policy.update", "sla_policy", Some(saved.id.to_string()), saved.merchant_id, to_json(&before), to_json(&saved));
        append_audit_in(&mut tx, ctx.now, e).await?;
        tx.commit().await?;
        Ok(saved)
    }

    async fn sla_due(&self, now: Millis, limit: i64) -> Result<Vec<i64>> {
        let rows = sqlx::query("SELECT ticket_id FROM sla_timers WHERE due_at <= $1 ORDER BY due_at LIMIT $2")
            .bind(now.0)
            .bind(limit)
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(|r| Ok(r.try_get("ticket_id")?)).collect()
    }

    async fn sla_next_due(&self) -> Result<Option<Millis>> {
        let r = sqlx::query("SELECT due_at FROM sla_timers ORDER BY due_at LIMIT 1").fetch_optional(&self.reader).await?;
        Ok(r.map(|r| r.try_get("due_at")).transpose()?.map(Millis))
    }

    async fn sla_reset_timer(&self, ticket_id: i64, due: Option<Millis>) -> Result<()> {
        match due {
            Some(d) => self.sla_set_timer(ticket_id, d).await,
            None => {
                sqlx::query("DELETE FROM sla_timers WHERE ticket_id = $1").bind(ticket_id).execute(&self.writer).await?;
                Ok(())
            }
        }
    }

    async fn sla_set_timer(&self, ticket_id: i64, due: Millis) -> Result<()> {
        sqlx::query("UPDATE sla_timers SET due_at = $1 WHERE ticket_id = $2").bind(due.0).bind(ticket_id).execute(&self.writer).await?;
        Ok(())
    }

    async fn customer_tier(&self, customer_id: i64) -> Result<Option<(String, bool, kefu_core::member::MemberRights)>> {
        let r = sqlx::query(
            "SELECT c.member_tier, c.vip, m.rights FROM customers c LEFT JOIN member_rights m ON m.merchant_id = c.merchant_id \
             WHERE c.id = $1",
        )
        .bind(customer_id)
        .fetch_optional(&self.reader)
        .await?;
        r.map(|r| {
            let rights = match r.try_get::<Option<String>, _>("rights")? {
                Some(text) => serde_json::from_str(&text).map_err(|_| corrupt("member rights", &text))?,
                None => kefu_core::member::MemberRights::default(),
            };
            Ok((r.try_get("member_tier")?, r.try_get("vip")?, rights))
        })
        .transpose()
    }

    async fn sla_live_counts(&self, s: &Scope, now: Millis, soon: Millis) -> Result<(i64, i64)> {
        let _ = now;
        let due = sqlx::query("SELECT COUNT(*) AS n FROM sla_timers WHERE due_at <= $1 AND ($2 IS NULL OR merchant_id = $2)")
            .bind(soon.0)
            .bind(s.merchant_filter())
            .fetch_one(&self.reader)
            .await?;
        let late = sqlx::query(
            "SELECT COUNT(DISTINCT ticket_id) AS n FROM sla_records WHERE stopped_at IS NULL AND breached AND ($1 IS NULL OR merchant_id = $1)",
        )
        .bind(s.merchant_filter())
        .fetch_one(&self.reader)
        .await?;
        Ok((due.try_get("n")?, late.try_get("n")?))
    }

    async fn sla_timer_count(&self) -> Result<i64> {
        let r = sqlx::query("SELECT COUNT(*) AS n FROM sla_timers").fetch_one(&self.reader).await?;
        Ok(r.try_get("n")?)
    }

    async fn tickets_without_sla(&self, after_id: i64, limit: i64) -> Result<Vec<i64>> {
        let rows = sqlx::query(
            "SELECT t.id FROM tickets t WHERE t.id > $1 AND t.status IN ('new', 'open', 'pending_customer', 'on_hold') \
             AND NOT EXISTS (SELECT 1 FROM sla_timers s WHERE s.ticket_id = t.id) \
             AND NOT EXISTS (SELECT 1 FROM sla_records r WHERE r.ticket_id = t.id) ORDER BY t.id LIMIT $2",
        )
        .bind(after_id)
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
    }

    async fn sla_report(&self, s: &Scope, f: &SlaReportFilter) -> Result<Vec<SlaReportRow>> {
        let group = match f.group_by.as_str() {
            "policy" => "CAST(policy_id AS TEXT)",
            "team" => "CAST(team_id AS TEXT)",
            "agent" => "CAST(agent_id AS TEXT)",
            "channel" => "channel",
            // The day in Shanghai (UTC+8, no DST), as days since 1970-01-01; turned into a date below.
            "day" => "CAST((started_at + 28800000) / 86400000 AS TEXT)",
            other => {
                return Err(DomainError::validation("group_by", format!("group_by must be policy, team, agent, channel or day, not '{other}'")).into())
            }
        };
        let (from, to) = between(f);
        let sql = format!(
            "SELECT {group} AS grp, metric, COUNT(*) AS measured, \
             SUM(CASE WHEN breached THEN 0 ELSE 1 END) AS met, SUM(CASE WHEN breached THEN 1 ELSE 0 END) AS breached, \
             AVG(CAST(elapsed_secs AS DOUBLE PRECISION)) AS avg_elapsed \
             FROM sla_records WHERE started_at >= $1 AND started_at < $2 AND (stopped_at IS NOT NULL OR breached) \
             AND ($3 IS NULL OR merchant_id = $3) AND ($4 IS NULL OR merchant_id = $4) \
             GROUP BY {group}, metric ORDER BY grp, metric"
        );
        let rows = sqlx::query(&sql)
            .bind(from)
            .bind(to)
            .bind(s.merchant_filter())
            .bind(f.merchant_id)
            .fetch_all(&self.reader)
            .await?;
        rows.iter()
            .map(|r| {
                let measured: i64 = r.try_get("measured")?;
                let met: i64 = r.try_get::<Option<i64>, _>("met")?.unwrap_or(0);
                let mut group: Option<String> = r.try_get("grp")?;
                if f.group_by == "day" {
                    group = group.and_then(|d| d.parse::<i64>().ok()).map(|d| {
                        jiff::civil::date(1970, 1, 1)
                            .checked_add(jiff::Span::new().days(d))
                            .map(|x| x.to_string())
                            .unwrap_or_default()
                    });
                }
                Ok(SlaReportRow {
                    group,
                    metric: r.try_get("metric")?,
                    measured,
                    met,
                    breached: r.try_get::<Option<i64>, _>("breached")?.unwrap_or(0),
                    compliance: (measured > 0).then(|| met as f64 / measured as f64),
                    avg_elapsed_secs: r.try_get("avg_elapsed")?,
                })
            })
            .collect()
    }

    async fn first_response_distribution(&self, s: &Scope, f: &SlaReportFilter, bounds: &[i64]) -> Result<Vec<ResponseBucket>> {
        let (from, to) = between(f);
        let rows = sqlx::query(
            "SELECT elapsed_secs FROM sla_records WHERE metric = 'first_response' AND stopped_at IS NOT NULL \
             AND started_at >= $1 AND started_at < $2 AND ($3 IS NULL OR merchant_id = $3) AND ($4 IS NULL OR merchant_id = $4)",
        )
        .bind(from)
        .bind(to)
        .bind(s.merchant_filter())
        .bind(f.merchant_id)
        .fetch_all(&self.reader)
        .await?;
        let mut counts = vec![0i64; bounds.len() + 1];
        for r in &rows {
            let e: i64 = r.try_get("elapsed_secs")?;
            let i = bounds.iter().position(|b| e <= *b).unwrap_or(bounds.len());
            counts[i] += 1;
        }
        Ok(counts
            .into_iter()
            .enumerate()
            .map(|(i, count)| ResponseBucket { up_to_secs: bounds.get(i).copied(), count })
            .collect())
    }

    async fn chat_response_rates(&self, s: &Scope, f: &SlaReportFilter) -> Result<(i64, i64, i64)> {
        let (from, to) = between(f);
        let r = sqlx::query(
            "SELECT COUNT(*) AS n, SUM(CASE WHEN elapsed_secs <= 30 THEN 1 ELSE 0 END) AS s30, \
             SUM(CASE WHEN elapsed_secs <= 180 THEN 1 ELSE 0 END) AS s180 FROM sla_records \
             WHERE metric = 'first_response' AND channel = 'chat' AND in_service_hours AND (stopped_at IS NOT NULL OR breached) \
             AND started_at >= $1 AND started_at < $2 AND ($3 IS NULL OR merchant_id = $3) AND ($4 IS NULL OR merchant_id = $4)",
        )
        .bind(from)
        .bind(to)
        .bind(s.merchant_filter())
        .bind(f.merchant_id)
        .fetch_one(&self.reader)
        .await?;
        Ok((
            r.try_get("n")?,
            r.try_get::<Option<i64>, _>("s30")?.unwrap_or(0),
            r.try_get::<Option<i64>, _>("s180")?.unwrap_or(0),
        ))
    }
}
