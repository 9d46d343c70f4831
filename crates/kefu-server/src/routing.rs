//! The router: gives waiting tickets to online agents by the rules of `kefu_core::routing`.
//!
//! The queue is not a separate record: it is every active ticket nobody holds, so a crash loses
//! nothing (whatever was not assigned is still waiting). One node routes at a time (a lease row renewed
//! every round), and each assignment goes through the ordinary ticket path under the ticket's row lock
//! and is refused when someone took the ticket meanwhile, so nothing is assigned twice. Each assignment
//! is recorded as a `routed` event with the rule that chose the agent, then the `assigned` event.
//!
//! Chats can instead be *offered* (`offer_timeout_secs` > 0): the chosen agent gets an `offered` event
//! and a notification and must accept within the time; a lapsed offer (`offer_lapsed`, reason
//! `timeout`) puts the chat back in the queue for the next agent, who is chosen before the one passed
//! over, and may set the silent agent away (`away_on_missed_offer`). While offered, the chat counts
//! against that agent's chat capacity and is offered to nobody else.

use crate::error::ApiResult;
use crate::state::AppState;
use kefu_core::authz::{Action, Scope};
use kefu_core::routing::{route_batch, select_group, Presence, Request, SkillGroup, WorkKind};
use kefu_core::ticket::{decide, Actor, Assignee, TicketCommand, TicketEvent, TicketEventKind, TicketState};
use kefu_core::time::Millis;
use kefu_store::AuditCtx;

/// The system actor of routing decisions.
pub const ROUTER: &str = "router";

/// How many waiting tickets one round considers (oldest first).
pub const ROUND_LIMIT: i64 = 5_000;

/// The reason an agent is set away when an offered chat lapsed unanswered.
pub const MISSED_OFFER: &str = "未接待";

/// End the offers that ran out by `now`: the chat returns to the queue and the agent is passed over
/// (and set away when configured). Returns how many lapsed.
pub async fn lapse_offers(state: &AppState, now: Millis) -> ApiResult<usize> {
    let lapsed = state.store.lapsed_offers(now, ROUND_LIMIT).await?;
    let scope = Scope::operator(Action::TicketSupervise);
    let actor = Actor::System { name: ROUTER.into() };
    let mut n = 0;
    for (id, agent) in lapsed {
        let ctx = AuditCtx::operator(ROUTER, now);
        let build = |st: &TicketState| -> Result<Vec<TicketEvent>, kefu_core::DomainError> {
            match st.offer {
                Some(o) if o.agent_id == agent && o.expires_at <= now && !st.assignee.is_someone() => {
                    Ok(vec![TicketEvent {
                        at: now,
                        actor: actor.clone(),
                        kind: TicketEventKind::OfferLapsed { agent_id: agent, reason: "timeout".into() },
                    }])
                }
                _ => Ok(Vec::new()),
            }
        };
        match crate::tickets::change(state, &scope, &ctx, id, None, "offer_lapse", &build).await {
            Ok(_) => {
                n += 1;
                if state.config.away_on_missed_offer {
                    if let Some(a) =
                        state.store.agent_state(agent).await.ok().filter(|a| a.presence == Presence::Online)
                    {
                        let away = Presence::Away { reason: MISSED_OFFER.into() };
                        state.store.set_presence(&ctx, agent, a.merchant_id, &away).await?;
                    }
                }
            }
            Err(e) => tracing::warn!(ticket = id, error = %e.message, "ending a lapsed offer failed"),
        }
    }
    Ok(n)
}

/// The routing queue: active tickets nobody holds, oldest first, a customer whose member tier has priority
/// service under the merchant's rights (会员权益) counted as a VIP.
pub async fn waiting(state: &AppState) -> ApiResult<Vec<kefu_core::routing::Request>> {
    let mut waiting = state.store.waiting_tickets(ROUND_LIMIT).await?;
    if waiting.iter().any(|r| r.member_tier.is_some()) {
        let own: std::collections::HashMap<i64, kefu_core::member::MemberRights> =
            state.store.all_member_rights().await?.into_iter().collect();
        let platform = kefu_core::member::MemberRights::default();
        for r in &mut waiting {
            let rights = r.merchant_id.and_then(|m| own.get(&m)).unwrap_or(&platform);
            r.vip = rights.is_priority(r.vip, r.member_tier.as_deref());
        }
    }
    Ok(waiting)
}

/// One routing round at `now`: returns how many tickets were assigned or offered.
pub async fn round(state: &AppState, now: Millis) -> ApiResult<usize> {
    let groups = state.store.all_groups().await?;
    if groups.is_empty() {
        return Ok(0);
    }
    lapse_offers(state, now).await?;
    let offer_ms = state.config.offer_timeout_secs as i64 * 1000;
    let waiting = waiting(state).await?;
    if waiting.is_empty() {
        return Ok(0);
    }
    let mut agents = state.store.online_agents().await?;
    if agents.is_empty() {
        return Ok(0);
    }
    let placed: Vec<Request> = waiting
        .into_iter()
        .filter_map(|mut r| {
            let g = select_group(&groups, &r)?;
            r.group_id = Some(g.id);
            Some(r)
        })
        .collect();
    let chats: std::collections::HashSet<i64> =
        placed.iter().filter(|r| r.kind == WorkKind::Chat).map(|r| r.id).collect();
    let choices = route_batch(&groups, &placed, &mut agents, now);
    let scope = Scope::operator(Action::TicketSupervise);
    let actor = Actor::System { name: ROUTER.into() };
    let mut assigned = 0;
    for (id, choice) in choices {
        // The assignment happens now, a little after the round began.
        let now = crate::auth::now().max(now);
        let ctx = AuditCtx::operator(ROUTER, now);
        // Set when this round's change, not another router's, assigns the ticket.
        let mine = std::sync::atomic::AtomicBool::new(false);
        let offer = offer_ms > 0 && chats.contains(&id);
        let build = |st: &TicketState| -> Result<Vec<TicketEvent>, kefu_core::DomainError> {
            mine.store(false, std::sync::atomic::Ordering::Relaxed);
            if st.assignee.is_someone()
                || st.offer.is_some()
                || !st.status.is_active()
                || st.merged_into.is_some()
            {
                return Ok(Vec::new());
            }
            mine.store(true, std::sync::atomic::Ordering::Relaxed);
            let mut events = vec![TicketEvent {
                at: now,
                actor: actor.clone(),
                kind: TicketEventKind::Routed { group_id: choice.group_id, rule: choice.rule.clone() },
            }];
            if offer {
                events.push(TicketEvent {
                    at: now,
                    actor: actor.clone(),
                    kind: TicketEventKind::Offered {
                        agent_id: choice.agent_id,
                        group_id: choice.group_id,
                        rule: choice.rule.clone(),
                        expires_at: now.plus_ms(offer_ms),
                    },
                });
            } else {
                let to = Assignee { user_id: Some(choice.agent_id), team_id: None };
                events.extend(decide(
                    st,
                    &TicketCommand::Assign { to },
                    &actor,
                    now,
                    &crate::tickets::policy(),
                )?);
            }
            Ok(events)
        };
        match crate::tickets::change(state, &scope, &ctx, id, None, "route", &build).await {
            Ok(t)
                if (t.assignee_id == Some(choice.agent_id) || offer)
                    && mine.load(std::sync::atomic::Ordering::Relaxed) =>
            {
                state.store.mark_assigned(choice.agent_id, now).await?;
                assigned += 1;
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(ticket = id, error = %e.message, "routing a ticket failed"),
        }
    }
    Ok(assigned)
}

/// The reason shown for an agent set away because their client went silent.
pub const CONNECTION_LOST: &str = "连接中断";

/// Set away every online or busy agent whose client sent no heartbeat for the configured grace period.
/// Returns how many were set away.
pub async fn presence_sweep(state: &AppState, now: Millis) -> ApiResult<usize> {
    let grace = state.config.away_after_secs;
    if grace == 0 {
        return Ok(0);
    }
    let silent = state.store.silent_agents(Millis(now.0 - grace as i64 * 1000)).await?;
    let ctx = AuditCtx::operator("presence", now);
    let away = kefu_core::routing::Presence::Away { reason: CONNECTION_LOST.into() };
    for (user, merchant) in &silent {
        state.store.set_presence(&ctx, *user, *merchant, &away).await?;
    }
    Ok(silent.len())
}

/// The router loop: a round whenever a ticket changes on this node, and at least every second (for
/// other nodes' tickets and agents coming online), while this node holds the lease.
pub async fn run_router(state: AppState) {
    let me = format!("node-{}-{}", std::process::id(), crate::auth::new_token("r"));
    let mut bus = state.ticket_events.subscribe();
    loop {
        let now = crate::auth::now();
        // Without skill groups nobody can be online and there is nothing to route: no lease writes.
        let configured = state.store.all_groups().await.map(|g| !g.is_empty()).unwrap_or(false);
        let lease =
            if configured { state.store.router_lease(&me, now, now.plus_ms(5_000)).await } else { Ok(false) };
        match lease {
            Ok(true) => {
                if let Err(e) = presence_sweep(&state, now).await {
                    tracing::error!(error = %e.message, "presence sweep failed");
                }
                if let Err(e) = round(&state, now).await {
                    tracing::error!(error = %e.message, "routing round failed");
                }
            }
            Ok(false) => {}
            Err(e) => tracing::error!(error = %e, "router lease failed"),
        }
        tokio::select! {
            _ = bus.recv() => {}
            _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
        }
    }
}

/// The groups a request of this scope's tenant could be placed in (for the live view).
pub fn place<'g>(groups: &'g [SkillGroup], r: &Request) -> Option<&'g SkillGroup> {
    select_group(groups, r)
}
