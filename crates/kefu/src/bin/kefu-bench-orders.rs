//! `kefu-bench-orders`: order push intake through the real HTTP API on SQLite. Prints figures; asserts
//! nothing. Run through `scripts/bench-orders.sh`.
//!
//! A fresh database, the server's router (`kefu_server::app`) on a local port, a merchant and its shop
//! system's API token. The shop pushes `--orders` orders (default 20,000) in pushes of `--batch` (default
//! 500) from `--customers` customers (default 4,000; the first order of each creates its profile), then
//! pushes every order again as a newer state (status signed). Printed: orders per second for new
//! orders and for updates, and the time of one push (p50/p99).

#[path = "../bench_kit.rs"]
mod bench_kit;

use clap::Parser;
use kefu_core::authz::{Action, Scope};
use kefu_core::org::Role;
use kefu_store::{AuditCtx, NewMerchant, NewUser};
use serde_json::{json, Value};
use std::time::Instant;

#[derive(Parser)]
#[command(name = "kefu-bench-orders", about = "kefu order intake benchmark: prints figures")]
struct Opts {
    #[arg(long, default_value_t = 20_000)]
    orders: usize,
    #[arg(long, default_value_t = 500)]
    batch: usize,
    #[arg(long, default_value_t = 4_000)]
    customers: usize,
}

fn main() -> anyhow::Result<()> {
    let opts = Opts::parse();
    bench_kit::runtime()?.block_on(run(opts))
}

fn order(i: usize, customers: usize, signed: bool) -> Value {
    let day = 86_400_000i64;
    let t0 = 1_796_000_000_000i64 + (i as i64) * 1000;
    let mut o = json!({
        "order_no": format!("TB{:08}", i),
        "customer": {"account_id": format!("buyer-{}", i % customers), "name": format!("买家{}", i % customers)},
        "status": if signed { "signed" } else { "shipped" },
        "items": [
            {"sku": format!("SKU-{}", i % 97), "name": "保温杯 500ml", "category": "home", "quantity": 1 + i % 3, "price_fen": 5900},
            {"sku": "GIFT-1", "name": "赠品 杯套", "quantity": 1, "price_fen": 0, "flags": {"confirmed_non_returnable": true}}
        ],
        "total_fen": 5900 * (1 + i % 3) as i64, "paid_fen": 5900 * (1 + i % 3) as i64, "payment_method": "支付宝",
        "shipping_company": "顺丰", "waybill": format!("SF{:010}", i),
        "ordered_at": kefu_core::time::Millis(t0).to_rfc3339(),
        "paid_at": kefu_core::time::Millis(t0 + 60_000).to_rfc3339(),
        "shipped_at": kefu_core::time::Millis(t0 + day).to_rfc3339(),
        "updated_at": kefu_core::time::Millis(t0 + day + if signed { day } else { 0 }).to_rfc3339()
    });
    if signed {
        o["signed_at"] = json!(kefu_core::time::Millis(t0 + 2 * day).to_rfc3339());
    }
    o
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

async fn run(opts: Opts) -> anyhow::Result<()> {
    let bench_kit::Fresh { state, dir, url } = bench_kit::fresh_sqlite("kefu-bench-orders").await?;
    let ctx = AuditCtx::operator("bench", kefu_server::auth::now());
    let m = state
        .store
        .create_merchant(
            &Scope::operator(Action::MerchantManage),
            &ctx,
            NewMerchant { code: "bench-shop".into(), name: "压测小店".into() },
        )
        .await?;
    let hash = kefu_server::auth::hash_password("Bench-Pass-2026".into())
        .await
        .map_err(|e| anyhow::anyhow!("hashing the password: {}", e.message))?;
    state
        .store
        .create_user(
            &Scope::operator(Action::UserManage),
            &ctx,
            NewUser {
                username: "bench.shop".into(),
                display_name: "店铺系统".into(),
                role: Role::MerchantAdmin,
                merchant_id: Some(m.id),
                team_id: None,
                department_id: None,
                supervisor_id: None,
                password_hash: hash,
            },
        )
        .await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let app = kefu_server::app(state.clone());
    tokio::spawn(async move {
        axum::serve(listener, app.into_make_service_with_connect_info::<std::net::SocketAddr>()).await
    });
    let http = reqwest::Client::new();
    let login: Value = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": "bench.shop", "password": "Bench-Pass-2026"}))
        .send()
        .await?
        .json()
        .await?;
    let token = login["token"].as_str().unwrap_or_default().to_string();
    anyhow::ensure!(!token.is_empty(), "login failed: {login}");
    println!(
        "kefu order intake benchmark — {} orders from {} customers in pushes of {}, over HTTP\ndatabase: {url}",
        opts.orders, opts.customers, opts.batch
    );
    for (label, signed) in
        [("new orders (creating customer profiles)", false), ("newer states of the same orders", true)]
    {
        let mut pushes = Vec::new();
        let mut applied = 0i64;
        let t = Instant::now();
        for (k, start) in (0..opts.orders).step_by(opts.batch).enumerate() {
            let orders: Vec<Value> = (start..(start + opts.batch).min(opts.orders))
                .map(|i| order(i, opts.customers, signed))
                .collect();
            let body = json!({"event_id": format!("push-{signed}-{k}"), "orders": orders});
            let p = Instant::now();
            let r = http.post(format!("{base}/api/v1/orders")).bearer_auth(&token).json(&body).send().await?;
            let status = r.status();
            let out: Value = r.json().await?;
            anyhow::ensure!(status.is_success(), "push refused: {status} {out}");
            applied += out["created"].as_i64().unwrap_or(0) + out["updated"].as_i64().unwrap_or(0);
            pushes.push(p.elapsed().as_secs_f64() * 1000.0);
        }
        let secs = t.elapsed().as_secs_f64();
        println!(
            "{label}: {applied} applied in {secs:.2} s = {:.0} orders/s; one push of {}: p50 {:.0} ms, p99 {:.0} ms   (target ≥ 2,000 orders/s)",
            applied as f64 / secs,
            opts.batch,
            pct(&mut pushes, 0.5),
            pct(&mut pushes, 0.99)
        );
    }
    drop(state);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
