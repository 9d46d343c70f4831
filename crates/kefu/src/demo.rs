//! `kefu demo`: a small living organisation so a newcomer sees kefu working — the platform with its own
//! service department, two merchants with their teams, an outsourced team, users of every role with
//! reporting lines, and customers of every member tier — and a few thousand realistic tickets of the two
//! merchants (see [`crate::gen`]), with a few complaints at different steps of their workflow. The loaded
//! history is not replayed: the outbound channels' feed cursors start after it.
//!
//! `kefu demo --tickets 1000000 --messages-per-ticket 5` is also the data generator of the big benchmark:
//! tickets are generated on a thread of their own and loaded in batches through `bulk_insert_tickets`,
//! one transaction per batch, with progress and rate on stdout.
//!
//! Idempotent: the organisation is created when user `admin` does not exist; tickets are loaded when the
//! database has no ticket yet.
//!
//! Ticket numbers (`KF` + Shanghai date + daily sequence) stay unique:
//! - today's tickets draw every number from the day's counter (`next_ticket_seq`), the counter the server
//!   draws from, so tickets created later today continue after them;
//! - for an earlier day the first number is drawn from that day's counter (so a day some earlier import
//!   used continues after it) and the day's other tickets take the numbers after it. The counter of a
//!   past day is drawn from by nothing else: the server numbers a ticket by the day it is created on, and
//!   tickets are only loaded into a database without tickets. Drawing each number of 1,000,000 tickets one
//!   by one would cost a write transaction per ticket (measured: see `--draw-all-numbers`).

use crate::gen::content::ShopKind;
use crate::gen::{
    customer_name, customer_tier, CustomerRef, Generator, OrgRefs, Schedule, ShopRefs, StaffRef,
};
use anyhow::{anyhow, bail};
use clap::Args;
use kefu_core::authz::{Action, Scope};
use kefu_core::org::{Role, TeamOwner, DEFAULT_DEPARTMENTS};
use kefu_core::ticket::{shanghai_date, TicketEvent, TicketNumber, TicketState, TicketStatus, MAX_DAILY_SEQ};
use kefu_store::{
    AuditCtx, NewCustomer, NewDepartment, NewMerchant, NewTeam, NewUser, Page, PageReq, Store, TicketFilter,
};
use std::time::{Duration, Instant};

#[derive(Args)]
pub struct DemoArgs {
    /// Password of every demo account.
    #[arg(long, default_value = "Kefu-Demo-2026")]
    password: String,
    /// Tickets to generate for the demo merchants (0: the organisation only).
    #[arg(long, default_value_t = 3000)]
    tickets: u64,
    /// Average number of messages per ticket (customer messages, staff replies and internal notes).
    #[arg(long, default_value_t = 5.0)]
    messages_per_ticket: f64,
    /// Tickets per bulk-insert transaction.
    #[arg(long, default_value_t = 1000)]
    batch_size: usize,
    /// Seed of the ticket generator: the same seed at the same time gives the same tickets.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Spread the tickets' creation over this many days up to now.
    #[arg(long, default_value_t = 90)]
    days: u32,
    /// Draw every ticket number from the store, one transaction each (to measure what that costs).
    #[arg(long, hide = true)]
    draw_all_numbers: bool,
}

/// The demo merchants: code, name, user name prefix, what they sell.
const SHOPS: [(&str, &str, &str, ShopKind); 2] = [
    ("xingchen-digital", "星辰数码旗舰店", "xc", ShopKind::Digital),
    ("lvye-fresh", "绿野生鲜专营店", "ly", ShopKind::Fresh),
];

struct Person {
    username: &'static str,
    name: &'static str,
    role: Role,
}

const PLATFORM_PEOPLE: [Person; 8] = [
    Person { username: "admin", name: "平台管理员", role: Role::PlatformAdmin },
    Person { username: "director", name: "周总监", role: Role::Director },
    Person { username: "manager", name: "吴经理", role: Role::Manager },
    Person { username: "supervisor", name: "郑主管", role: Role::Supervisor },
    Person { username: "senior", name: "王资深", role: Role::SeniorAgent },
    Person { username: "agent", name: "李小客", role: Role::Agent },
    Person { username: "qa", name: "冯质检", role: Role::QaInspector },
    Person { username: "trainer", name: "陈培训", role: Role::Trainer },
];

const CUSTOMERS: [(&str, &str, bool); 8] = [
    ("张伟", "regular", false),
    ("王芳", "silver", false),
    ("李娜", "gold", false),
    ("刘洋", "diamond", true),
    ("陈静", "regular", false),
    ("杨磊", "gold", false),
    ("赵敏", "silver", false),
    ("黄强", "diamond", true),
];

/// Connect each demo merchant to the demo shop system (演示店铺) at `shop_url` and give its first customers a
/// few orders in different states (待发货, 已发货, signed for 2 days ago, signed for 12 days ago), unless the
/// merchant has a shop integration already.
async fn load_shop(store: &dyn Store, shop_url: &str) -> anyhow::Result<()> {
    let ctx = AuditCtx::operator("demo", kefu_server::auth::now());
    let (ms, cs) = (Scope::operator(Action::MerchantRead), Scope::operator(Action::CustomerRead));
    let merchants = all_pages(|p| store.list_merchants(&ms, p)).await?;
    let any = kefu_store::CustomerLookup::default();
    let customers = all_pages(|p| store.list_customers(&cs, &any, p)).await?;
    const DAY: i64 = 86_400_000;
    let now = kefu_server::auth::now().0;
    for (code, _, prefix, kind) in SHOPS {
        let Some(m) = merchants.iter().find(|m| m.code == code) else { continue };
        let scope = Scope::operator(Action::ChannelManage);
        if store.get_shop_integration(&scope, m.id).await?.is_some() {
            continue;
        }
        store
            .put_shop_integration(
                &scope,
                &ctx,
                kefu_store::ShopIntegrationPut {
                    merchant_id: m.id,
                    actions_url: shop_url.to_string(),
                    active: true,
                    new_secret: kefu_server::auth::new_token("shsec_"),
                    rotate: false,
                },
            )
            .await?;
        let items: serde_json::Value = match kind {
            ShopKind::Digital => serde_json::json!([
                {"sku": "EAR-PRO", "name": "星辰降噪蓝牙耳机", "category": "digital", "quantity": 1, "price_fen": 59900},
                {"sku": "GAME-KEY", "name": "游戏兑换码（已激活）", "category": "digital", "quantity": 1, "price_fen": 9900,
                 "flags": {"digital_unsealed": true}}
            ]),
            _ => serde_json::json!([
                {"sku": "CHERRY-2", "name": "智利车厘子 2kg", "category": "fresh", "quantity": 1, "price_fen": 16800,
                 "flags": {"perishable": true}},
                {"sku": "RICE-5", "name": "五常大米 5kg", "category": "food", "quantity": 2, "price_fen": 6900}
            ]),
        };
        let mut orders = Vec::new();
        let theirs = customers.iter().filter(|c| c.merchant_id == Some(m.id)).take(4);
        for (i, c) in theirs.enumerate() {
            // (status, days since ordered, days since shipped, days since signed for)
            let (status, ordered, shipped, signed) = match i {
                0 => ("paid", 1, None, None),
                1 => ("shipped", 3, Some(2), None),
                2 => ("signed", 6, Some(5), Some(2)),
                _ => ("signed", 20, Some(18), Some(12)),
            };
            let at = |d: i64| kefu_core::time::Millis(now - d * DAY);
            let total: i64 = items
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|x| x["price_fen"].as_i64().unwrap_or(0) * x["quantity"].as_i64().unwrap_or(1))
                        .sum()
                })
                .unwrap_or(0);
            let mut o = serde_json::json!({
                "order_no": format!("{}{}{:03}", prefix.to_uppercase(), kefu_core::ticket::shanghai_date(kefu_core::time::Millis(now)).map(|d| d.strftime("%Y%m%d").to_string()).unwrap_or_default(), i + 1),
                "customer": {"account_id": format!("demo-{}", c.id), "name": c.display_name},
                "status": status, "items": items, "total_fen": total, "paid_fen": total,
                "payment_method": "支付宝", "ordered_at": at(ordered), "paid_at": at(ordered), "updated_at": at(0),
            });
            if let Some(d) = shipped {
                o["shipped_at"] = serde_json::json!(at(d));
                o["shipping_company"] = serde_json::json!("顺丰速运");
                o["waybill"] = serde_json::json!(format!("SF{}{:04}", now / 1000, i + 1));
            }
            if let Some(d) = signed {
                o["signed_at"] = serde_json::json!(at(d));
            }
            let push: kefu_core::order::OrderPush = serde_json::from_value(o)?;
            push.validate("").map_err(|e| anyhow!("demo order: {}", e.message))?;
            orders.push((push, Some(c.id)));
        }
        let scope = Scope::operator(Action::ChannelIntake);
        store.push_orders(&scope, &ctx, m.id, Some("demo-orders"), &orders).await?;
    }
    println!("demo shop connected: orders loaded, actions go to {shop_url}");
    Ok(())
}

pub async fn load(
    shared: std::sync::Arc<dyn Store>,
    config: &kefu_server::Config,
    args: DemoArgs,
    shop_url: &str,
) -> anyhow::Result<()> {
    let store = shared.as_ref();
    if !(1.0..=1000.0).contains(&args.messages_per_ticket) {
        bail!("--messages-per-ticket must be between 1 and 1000");
    }
    if !(1..=100_000).contains(&args.batch_size) {
        bail!("--batch-size must be between 1 and 100000");
    }
    if !(1..=3650).contains(&args.days) {
        bail!("--days must be between 1 and 3650");
    }
    let org_loaded = store.auth_user_by_username("admin").await?.is_some();
    if !org_loaded {
        load_org(store, &args).await?;
    }
    load_shop(store, shop_url).await?;
    let already = "demo data is already loaded (user 'admin' exists";
    if args.tickets == 0 {
        if org_loaded {
            println!("{already}); nothing to do");
        }
        return Ok(());
    }
    let any = store
        .list_tickets(&Scope::operator(Action::TicketRead), &TicketFilter::default(), PageReq::first(1))
        .await?;
    if !any.items.is_empty() {
        println!("{already} and there are tickets); nothing to do");
        return Ok(());
    }
    let Some(org) = demo_org(store, &args).await? else {
        println!("{already}, but not the demo merchants); nothing to do");
        return Ok(());
    };
    load_tickets(store, org.clone(), &args).await?;
    let state = kefu_server::AppState::new(shared.clone(), config.clone()).await?;
    load_complaints(&state, &org).await?;
    settle_feeds(store).await
}

/// A few complaints (投诉) on each shop's open tickets, at different points of the workflow, so 投诉管理
/// and its analysis have something to show: one just received, one acknowledged with the claim recorded,
/// one acknowledged a day late and still without a remedy (past its 24-hour handling target), and one
/// forwarded by 12315. They go through the same service as the API's.
async fn load_complaints(state: &kefu_server::AppState, org: &OrgRefs) -> anyhow::Result<()> {
    use kefu_core::complaint::{ComplaintCommand, ComplaintIntake, ComplaintSource, Severity};
    use kefu_core::ticket::Actor;
    let now = kefu_server::auth::now();
    let hour = 3_600_000;
    let ctx = AuditCtx::operator("demo", now);
    let scope = Scope::operator(Action::TicketWork);
    let err = |e: kefu_server::error::ApiError| anyhow!("{}", e.message);
    let mut opened = 0;
    for shop in &org.shops {
        let filter = kefu_store::TicketFilter {
            merchant_id: Some(shop.merchant_id),
            status: vec![TicketStatus::Open],
            ..Default::default()
        };
        let open = store_tickets(state, &filter).await?;
        let Some(agent) = shop.aftersales.first().or(shop.presales.first()) else { continue };
        let actor = Actor::Staff { user_id: agent.user_id, role: agent.role };
        let plans = [
            (ComplaintSource::Customer, Severity::Serious, 20 * 60_000, 0),
            (ComplaintSource::Customer, Severity::Normal, 3 * hour, 2),
            (ComplaintSource::Platform, Severity::Normal, 30 * hour, 1),
            (ComplaintSource::Regulator, Severity::Normal, 72 * hour, 1),
        ];
        for ((source, severity, ago, steps), t) in
            plans.into_iter().zip(open.iter().filter(|t| t.customer_id.is_some()))
        {
            let received_at = kefu_core::time::Millis(now.0 - ago);
            let day = shanghai_date(received_at)?.strftime("%Y%m%d").to_string();
            let new = kefu_store::NewComplaint {
                merchant_id: shop.merchant_id,
                ticket_id: t.id,
                customer_id: t.customer_id,
                order_no: t.order_numbers.first().cloned(),
                received_at,
                day,
            };
            let intake = ComplaintIntake {
                source,
                severity,
                received_at,
                regulator_ref: (source == ComplaintSource::Regulator)
                    .then(|| format!("12315{}{:04}", received_at.0 / 86_400_000, t.id % 10_000)),
                summary: format!("{}：处理太慢，要求尽快解决并给个说法", t.subject),
            };
            let w =
                kefu_server::complaints::open(state, &scope, &ctx, new, intake, &actor).await.map_err(err)?;
            let commands = [
                ComplaintCommand::Acknowledge { note: "已致歉并受理".into() },
                ComplaintCommand::RecordClaim {
                    claim: t.subject.clone(), demand: "尽快处理并补偿".into()
                },
            ];
            for cmd in commands.iter().take(steps) {
                kefu_server::complaints::change(state, &scope, &ctx, w.complaint.id, None, cmd, &actor, None)
                    .await
                    .map_err(err)?;
            }
            opened += 1;
        }
    }
    println!("{opened} complaints opened on open tickets");
    Ok(())
}

async fn store_tickets(
    state: &kefu_server::AppState,
    filter: &kefu_store::TicketFilter,
) -> anyhow::Result<Vec<kefu_store::Ticket>> {
    let page =
        state.store.list_tickets(&Scope::operator(Action::TicketRead), filter, PageReq::first(20)).await?;
    Ok(page.items)
}

/// The demo's tickets are history: their replies were answered and their rating invitations sent in the
/// simulated past. Move the outbound channels' feed cursors past them, so the first start does not try
/// to mail every old email reply (each would fail, noting it on the ticket).
async fn settle_feeds(store: &dyn Store) -> anyhow::Result<()> {
    let mut head = 0;
    loop {
        let page = store.event_feed(head, 2000).await?;
        match page.last() {
            Some(e) => head = e.id,
            None => break,
        }
    }
    for feed in [kefu_server::channels::email::outbound::FEED_NAME, kefu_server::channels::webhooks::FEED] {
        store.set_cursor(feed, head).await?;
    }
    Ok(())
}

async fn load_org(store: &dyn Store, args: &DemoArgs) -> anyhow::Result<()> {
    let ctx = AuditCtx::operator("demo", kefu_server::auth::now());
    let op = |a| Scope::operator(a);
    let hash =
        kefu_server::auth::hash_password(args.password.clone()).await.map_err(|e| anyhow!(e.message))?;
    let err = |e: kefu_store::StoreError| anyhow!("{e}");

    for (code, name) in DEFAULT_DEPARTMENTS {
        store
            .create_department(
                &op(Action::DepartmentManage),
                &ctx,
                NewDepartment { merchant_id: None, code: code.into(), name: name.into() },
            )
            .await
            .map_err(err)?;
    }
    let platform_team = store
        .create_team(
            &op(Action::TeamManage),
            &ctx,
            NewTeam {
                merchant_id: None,
                owner: TeamOwner::Platform,
                vendor: None,
                name: "平台官方客服组".into(),
            },
        )
        .await
        .map_err(err)?;
    let vip_team = store
        .create_team(
            &op(Action::TeamManage),
            &ctx,
            NewTeam {
                merchant_id: None,
                owner: TeamOwner::Platform,
                vendor: None,
                name: "大客户专属组".into(),
            },
        )
        .await
        .map_err(err)?;
    store
        .create_team(
            &op(Action::TeamManage),
            &ctx,
            NewTeam {
                merchant_id: None,
                owner: TeamOwner::Outsourced,
                vendor: Some("华南外包服务有限公司".into()),
                name: "外包夜班组".into(),
            },
        )
        .await
        .map_err(err)?;

    let mut supervisor_id = None;
    let mut made = 0;
    for p in PLATFORM_PEOPLE.iter() {
        let team = match p.role {
            Role::Agent | Role::SeniorAgent | Role::Supervisor => Some(platform_team.id),
            _ => None,
        };
        let u = store
            .create_user(
                &op(Action::UserManage),
                &ctx,
                NewUser {
                    username: p.username.into(),
                    display_name: p.name.into(),
                    role: p.role,
                    merchant_id: None,
                    team_id: team,
                    department_id: None,
                    supervisor_id: if matches!(p.role, Role::Agent | Role::SeniorAgent) {
                        supervisor_id
                    } else {
                        None
                    },
                    password_hash: hash.clone(),
                },
            )
            .await
            .map_err(err)?;
        if p.role == Role::Supervisor {
            supervisor_id = Some(u.id);
        }
        made += 1;
    }
    let _ = vip_team;

    for (code, name, prefix, _) in SHOPS {
        let m = store
            .create_merchant(
                &op(Action::MerchantManage),
                &ctx,
                NewMerchant { code: code.into(), name: name.into() },
            )
            .await
            .map_err(err)?;
        let pre = store
            .create_team(
                &op(Action::TeamManage),
                &ctx,
                NewTeam {
                    merchant_id: Some(m.id),
                    owner: TeamOwner::Merchant,
                    vendor: None,
                    name: "售前组".into(),
                },
            )
            .await
            .map_err(err)?;
        let after = store
            .create_team(
                &op(Action::TeamManage),
                &ctx,
                NewTeam {
                    merchant_id: Some(m.id),
                    owner: TeamOwner::Merchant,
                    vendor: None,
                    name: "售后组".into(),
                },
            )
            .await
            .map_err(err)?;
        let staff = [
            ("admin", "商家管理员", Role::MerchantAdmin, None),
            ("supervisor", "客服主管", Role::Supervisor, Some(after.id)),
            ("agent1", "售前客服", Role::Agent, Some(pre.id)),
            ("agent2", "售后客服", Role::Agent, Some(after.id)),
        ];
        let mut sup = None;
        for (suffix, title, role, team) in staff {
            let u = store
                .create_user(
                    &op(Action::UserManage),
                    &ctx,
                    NewUser {
                        username: format!("{prefix}.{suffix}"),
                        display_name: format!("{name}·{title}"),
                        role,
                        merchant_id: Some(m.id),
                        team_id: team,
                        department_id: None,
                        supervisor_id: if role == Role::Agent { sup } else { None },
                        password_hash: hash.clone(),
                    },
                )
                .await
                .map_err(err)?;
            if role == Role::Supervisor {
                sup = Some(u.id);
            }
            made += 1;
        }
        for (name, tier, vip) in CUSTOMERS {
            store
                .create_customer(
                    &op(Action::CustomerManage),
                    &ctx,
                    NewCustomer {
                        merchant_id: Some(m.id),
                        display_name: name.into(),
                        member_tier: tier.into(),
                        vip,
                        ..Default::default()
                    },
                )
                .await
                .map_err(err)?;
        }
    }
    println!("demo data loaded: 2 merchants, 7 teams, {made} staff accounts, 16 customers");
    println!(
        "log in as 'admin' (platform admin), 'agent', 'xc.admin' (merchant admin) … with password {}",
        args.password
    );
    Ok(())
}

/// Every item of a paginated list.
async fn all_pages<T, F, Fut>(mut list: F) -> anyhow::Result<Vec<T>>
where
    F: FnMut(PageReq) -> Fut,
    Fut: std::future::Future<Output = kefu_store::Result<Page<T>>>,
{
    let mut page = PageReq::first(PageReq::MAX_LIMIT);
    let mut out = Vec::new();
    loop {
        let p = list(page).await?;
        out.extend(p.items);
        match p.next_cursor.and_then(|c| c.parse().ok()) {
            Some(after) => page.after = Some(after),
            None => return Ok(out),
        }
    }
}

/// How many customers each demo merchant has for `tickets` tickets: about 40 tickets per customer, at
/// least the 8 demo customers, at most 1,000.
fn customers_wanted(tickets: u64) -> usize {
    (tickets / SHOPS.len() as u64 / 40).clamp(CUSTOMERS.len() as u64, 1000) as usize
}

/// The demo merchants with their teams, staff, customers (topped up for the number of tickets) and the
/// platform's departments; `None` when the demo merchants do not exist.
async fn demo_org(store: &dyn Store, args: &DemoArgs) -> anyhow::Result<Option<OrgRefs>> {
    let op = Scope::operator;
    let (ms, ts, us, ds, cs) = (
        op(Action::MerchantRead),
        op(Action::TeamRead),
        op(Action::UserRead),
        op(Action::DepartmentRead),
        op(Action::CustomerRead),
    );
    let merchants = all_pages(|p| store.list_merchants(&ms, p)).await?;
    let teams = all_pages(|p| store.list_teams(&ts, p)).await?;
    let users = all_pages(|p| store.list_users(&us, p)).await?;
    let departments = all_pages(|p| store.list_departments(&ds, p)).await?;
    let any = kefu_store::CustomerLookup::default();
    let mut customers = all_pages(|p| store.list_customers(&cs, &any, p)).await?;
    let ctx = AuditCtx::operator("demo", kefu_server::auth::now());
    let mut shops = Vec::new();
    for (code, _, _, kind) in SHOPS {
        let Some(m) = merchants.iter().find(|m| m.code == code) else {
            return Ok(None);
        };
        let team =
            |name: &str| teams.iter().find(|t| t.merchant_id == Some(m.id) && t.name == name).map(|t| t.id);
        let (presales_team, aftersales_team) = (team("售前组"), team("售后组"));
        let mut shop = ShopRefs {
            merchant_id: m.id,
            kind,
            presales_team,
            aftersales_team,
            presales: Vec::new(),
            aftersales: Vec::new(),
            supervisors: Vec::new(),
            customers: Vec::new(),
        };
        for u in users.iter().filter(|u| u.merchant_id == Some(m.id) && !u.disabled) {
            let s = StaffRef { user_id: u.id, role: u.role, team_id: u.team_id };
            match u.role {
                Role::Supervisor => shop.supervisors.push(s),
                Role::Agent | Role::SeniorAgent if presales_team.is_some() && u.team_id == presales_team => {
                    shop.presales.push(s)
                }
                Role::Agent | Role::SeniorAgent => shop.aftersales.push(s),
                _ => {}
            }
        }
        let have = customers.iter().filter(|c| c.merchant_id == Some(m.id)).count();
        for i in have..customers_wanted(args.tickets) {
            let key = m.id as u64 * 1_000_000 + i as u64;
            let (tier, vip) = customer_tier(args.seed, key);
            let c = store
                .create_customer(
                    &op(Action::CustomerManage),
                    &ctx,
                    NewCustomer {
                        merchant_id: Some(m.id),
                        display_name: customer_name(args.seed, key),
                        member_tier: tier.into(),
                        vip,
                        contact: kefu_store::Contact {
                            phone: Some(format!(
                                "1{}{:09}",
                                3 + key % 6,
                                key.wrapping_mul(7_919) % 1_000_000_000
                            )),
                            email: Some(format!("customer{key}@example.com")),
                            address: None,
                        },
                        ..Default::default()
                    },
                )
                .await
                .map_err(|e| anyhow!("{e}"))?;
            customers.push(c);
        }
        shop.customers = customers
            .iter()
            .filter(|c| c.merchant_id == Some(m.id))
            .map(|c| CustomerRef { id: c.id, vip: c.vip })
            .collect();
        shops.push(shop);
    }
    let departments =
        departments.into_iter().filter(|d| d.merchant_id.is_none()).map(|d| (d.code, d.id)).collect();
    Ok(Some(OrgRefs { shops, departments }))
}

/// The ticket numbers of one day of the schedule.
enum DayNumbers {
    /// This sequence and the ones after it.
    From(u32),
    /// Each drawn from the store.
    Drawn(Vec<u32>),
}

/// What the generator thread hands over: a batch of tickets and its message count.
type Batch = (Vec<(TicketState, Vec<TicketEvent>)>, u64);

/// Totals of the generated tickets.
#[derive(Default)]
struct GenStats {
    events: u64,
    refused: u64,
    statuses: [u64; 6],
    /// Time spent generating (on the generator's thread, while batches are stored).
    busy: Duration,
}

async fn load_tickets(store: &dyn Store, org: OrgRefs, args: &DemoArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let now = kefu_server::auth::now();
    let schedule = Schedule::new(args.tickets, now, args.days, args.seed);
    // Numbers first (see the module documentation), so the generator needs no store.
    let mut numbers = Vec::with_capacity(schedule.days.len());
    for day in &schedule.days {
        if day.count == 0 {
            numbers.push(DayNumbers::From(1));
            continue;
        }
        let key = shanghai_date(day.day_start)?.strftime("%Y%m%d").to_string();
        if day.day_start == schedule.today_start || args.draw_all_numbers {
            let mut drawn = Vec::with_capacity(day.count as usize);
            for _ in 0..day.count {
                drawn.push(store.next_ticket_seq(&key).await?);
            }
            numbers.push(DayNumbers::Drawn(drawn));
        } else {
            let first = store.next_ticket_seq(&key).await?;
            if u64::from(first) + day.count - 1 > u64::from(MAX_DAILY_SEQ) {
                bail!("too many tickets for {key}: a day has at most {MAX_DAILY_SEQ} ticket numbers");
            }
            numbers.push(DayNumbers::From(first));
        }
    }
    let numbered = started.elapsed();
    let schedule_total = schedule.total();
    let generator = Generator::new(org, args.seed, now, args.messages_per_ticket).map_err(|e| anyhow!(e))?;
    let batch_size = args.batch_size;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Batch, String>>(4);
    let worker = std::thread::spawn(move || {
        let mut stats = GenStats::default();
        let mut batch = Vec::with_capacity(batch_size);
        let mut messages = 0u64;
        for (day, nums) in schedule.days.iter().zip(&numbers) {
            let date = match shanghai_date(day.day_start) {
                Ok(d) => d,
                Err(e) => {
                    let _ = tx.blocking_send(Err(e.message));
                    return stats;
                }
            };
            for k in 0..day.count {
                let seq = match nums {
                    DayNumbers::From(first) => first + k as u32,
                    DayNumbers::Drawn(seqs) => seqs[k as usize],
                };
                let number = match TicketNumber::new(date, seq) {
                    Ok(n) => n,
                    Err(e) => {
                        let _ = tx.blocking_send(Err(e.message));
                        return stats;
                    }
                };
                let t0 = Instant::now();
                let t = generator.ticket(day.first_index + k, day.created_at(k), number, day.promo);
                stats.busy += t0.elapsed();
                stats.events += t.events.len() as u64;
                stats.refused += u64::from(t.refused);
                if let Some(i) = TicketStatus::ALL.iter().position(|s| *s == t.state.status) {
                    stats.statuses[i] += 1;
                }
                messages += u64::from(t.messages);
                batch.push((t.state, t.events));
                if batch.len() == batch_size {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(batch_size));
                    if tx.blocking_send(Ok((full, std::mem::take(&mut messages)))).is_err() {
                        return stats;
                    }
                }
            }
        }
        if !batch.is_empty() {
            let _ = tx.blocking_send(Ok((batch, messages)));
        }
        stats
    });

    let ctx = AuditCtx::operator("demo", now);
    let total = args.tickets;
    debug_assert_eq!(schedule_total, total);
    let (mut done, mut messages) = (0u64, 0u64);
    let mut last_report = Instant::now();
    let load_started = Instant::now();
    let mut failed = None;
    let mut storing = Duration::ZERO;
    while let Some(item) = rx.recv().await {
        let (batch, batch_messages) = match item {
            Ok(b) => b,
            Err(e) => {
                failed = Some(anyhow!("generating tickets failed: {e}"));
                break;
            }
        };
        let n = batch.len() as u64;
        let t0 = Instant::now();
        if let Err(e) = store.bulk_insert_tickets(&ctx, batch).await {
            failed = Some(anyhow!("loading tickets failed after {done} tickets: {e}"));
            break;
        }
        storing += t0.elapsed();
        done += n;
        messages += batch_messages;
        if last_report.elapsed() >= Duration::from_secs(2) && done < total {
            last_report = Instant::now();
            let secs = load_started.elapsed().as_secs_f64();
            println!(
                "  {done} / {total} tickets, {messages} messages — {:.0} tickets/s, {:.0} messages/s",
                done as f64 / secs,
                messages as f64 / secs
            );
        }
    }
    drop(rx);
    let stats = worker.join().map_err(|_| anyhow!("the ticket generator panicked"))?;
    if let Some(e) = failed {
        return Err(e);
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "loaded {done} demo tickets with {messages} messages and {} events in {secs:.1} s ({:.0} tickets/s, \
         {:.0} messages/s)",
        stats.events,
        done as f64 / secs,
        messages as f64 / secs,
    );
    println!(
        "time: numbering {:.1} s, generating {:.1} s (on its own thread), storing {:.1} s ({} per batch)",
        numbered.as_secs_f64(),
        stats.busy.as_secs_f64(),
        storing.as_secs_f64(),
        args.batch_size
    );
    let spread: Vec<String> =
        TicketStatus::ALL.iter().zip(stats.statuses).map(|(s, n)| format!("{} {n}", s.as_str())).collect();
    println!("statuses: {}", spread.join(", "));
    if stats.refused > 0 {
        eprintln!("warning: the state machine refused {} scripted commands (left out)", stats.refused);
    }
    Ok(())
}
