//! The demo shop system (演示店铺): a small shop that plays the merchant's side of the integration, so the
//! whole order and after-sales loop works on one machine. It runs inside kefu at `/demo-shop/` when
//! `demo_shop` is on, and talks to kefu only as a real shop system would: over HTTP, signed with the
//! merchant's secret.
//!
//! - `GET /demo-shop/`: a page to place orders for a customer, ship them and have them signed for.
//! - `POST /demo-shop/api/orders`, `…/orders/{merchant}/{order_no}/ship`, `…/sign`: the same from a script;
//!   each change is pushed to kefu's signed order intake (`POST /api/v1/shop/{merchant}/orders`).
//! - `POST /demo-shop/actions`: the actions URL the demo merchants' integration points at. It checks the
//!   signature, answers each idempotency key once (a retry gets the first answer), and decides like a
//!   shop: an address change or a cancel only before shipping, a refund at most what was paid, a resend
//!   only after shipping.
//!
//! Its orders live in memory: a restarted demo shop forgets them (kefu keeps what was pushed).

use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use kefu_core::authz::{Action, Scope};
use kefu_core::time::Millis;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Debug, Clone)]
struct DemoOrder {
    merchant_id: i64,
    order_no: String,
    account_id: String,
    name: String,
    items: Value,
    total_fen: i64,
    paid_fen: i64,
    refunded_fen: i64,
    status: &'static str,
    ordered_at: Millis,
    shipped_at: Option<Millis>,
    signed_at: Option<Millis>,
    waybill: Option<String>,
    updated_at: Millis,
}

#[derive(Default)]
struct Shop {
    orders: Vec<DemoOrder>,
    /// Idempotency key → the answer given (status code, body).
    answers: HashMap<String, (u16, Value)>,
    /// What happened, newest last (shown on the page).
    log: Vec<String>,
    seq: u64,
}

type Demo = Arc<Mutex<Shop>>;

/// The demo shop's routes, to be nested at `/demo-shop`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(page))
        .route("/api/state", get(state_json))
        .route("/api/orders", post(place_order))
        .route("/api/orders/{merchant}/{order_no}/{step}", post(advance))
        .route("/actions", post(actions))
        .layer(Extension(Demo::default()))
}

fn lock(d: &Demo) -> std::sync::MutexGuard<'_, Shop> {
    d.lock().unwrap_or_else(|p| p.into_inner())
}

fn order_json(o: &DemoOrder) -> Value {
    let mut v = json!({
        "order_no": o.order_no,
        "customer": {"account_id": o.account_id, "name": o.name},
        "status": o.status,
        "items": o.items,
        "total_fen": o.total_fen,
        "paid_fen": o.paid_fen,
        "payment_method": "支付宝",
        "ordered_at": o.ordered_at,
        "paid_at": o.ordered_at,
        "updated_at": o.updated_at,
    });
    if let Some(s) = o.shipped_at {
        v["shipped_at"] = json!(s);
        v["shipping_company"] = json!("顺丰速运");
        v["waybill"] = json!(o.waybill);
    }
    if let Some(s) = o.signed_at {
        v["signed_at"] = json!(s);
    }
    v
}

/// Push one order to kefu's signed intake, as the shop system does after each change.
async fn push(state: &AppState, headers: &HeaderMap, o: &DemoOrder) -> Result<Value, (StatusCode, String)> {
    let scope = Scope::channel(Some(o.merchant_id), Action::ChannelIntake);
    let integration = state
        .store
        .get_shop_integration(&scope, o.merchant_id)
        .await
        .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?
        .ok_or((
            StatusCode::CONFLICT,
            format!("merchant {} has no shop system connected in kefu", o.merchant_id),
        ))?;
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .ok_or((StatusCode::BAD_REQUEST, "no Host header".to_string()))?;
    let body = json!({
        "event_id": format!("demo-{}-{}-{}", o.order_no, o.status, o.updated_at.0),
        "orders": [order_json(o)],
    })
    .to_string();
    let ts = crate::auth::now().0 / 1000;
    let resp = crate::channels::webhooks::client(state, true)
        .post(format!("http://{host}/api/v1/shop/{}/orders", o.merchant_id))
        .header("Content-Type", "application/json")
        .header("X-Kefu-Timestamp", ts.to_string())
        .header("X-Kefu-Signature", crate::channels::webhooks::sign(&integration.secret, ts, &body))
        .body(body)
        .send()
        .await
        .map_err(|e| (StatusCode::BAD_GATEWAY, format!("kefu could not be reached: {e}")))?;
    let status = resp.status();
    let v: Value = resp.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        return Err((StatusCode::BAD_GATEWAY, format!("kefu answered {status}: {v}")));
    }
    Ok(v)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlaceOrder {
    merchant_id: i64,
    account_id: String,
    #[serde(default)]
    name: Option<String>,
    /// Order items as kefu takes them; a default basket when left out.
    #[serde(default)]
    items: Option<Value>,
    /// Placed this many days ago (to play an order signed for some days back).
    #[serde(default)]
    days_ago: i64,
}

async fn place_order(
    State(state): State<AppState>,
    Extension(demo): Extension<Demo>,
    headers: HeaderMap,
    Json(b): Json<PlaceOrder>,
) -> Response {
    let items = b.items.unwrap_or_else(|| {
        json!([
            {"sku": "CUP-500", "name": "不锈钢保温杯 500ml", "category": "home", "quantity": 1, "price_fen": 12900},
            {"sku": "TEA-1", "name": "西湖龙井 250g", "category": "food", "quantity": 1, "price_fen": 18800}
        ])
    });
    let total: i64 = items
        .as_array()
        .map(|a| {
            a.iter().map(|i| i["price_fen"].as_i64().unwrap_or(0) * i["quantity"].as_i64().unwrap_or(1)).sum()
        })
        .unwrap_or(0);
    let now = crate::auth::now();
    let placed = Millis(now.0 - b.days_ago.clamp(0, 365) * 86_400_000);
    let o = {
        let mut s = lock(&demo);
        s.seq += 1;
        let o = DemoOrder {
            merchant_id: b.merchant_id,
            order_no: format!("DS{}{:04}", now.0 / 1000, s.seq),
            account_id: b.account_id,
            name: b.name.unwrap_or_else(|| "演示顾客".into()),
            items,
            total_fen: total,
            paid_fen: total,
            refunded_fen: 0,
            status: "paid",
            ordered_at: placed,
            shipped_at: None,
            signed_at: None,
            waybill: None,
            updated_at: now,
        };
        s.orders.push(o.clone());
        s.log.push(format!("新订单 {}（{}），已推送到 kefu", o.order_no, o.name));
        o
    };
    match push(&state, &headers, &o).await {
        Ok(out) => (StatusCode::CREATED, Json(json!({"order": order_json(&o), "push": out}))).into_response(),
        Err((code, m)) => (code, Json(json!({"error": m}))).into_response(),
    }
}

/// `ship` or `sign` an order (签收 can be dated back with `?days_ago=`), then push it.
async fn advance(
    State(state): State<AppState>,
    Extension(demo): Extension<Demo>,
    headers: HeaderMap,
    Path((merchant, order_no, step)): Path<(i64, String, String)>,
    q: axum::extract::Query<HashMap<String, String>>,
) -> Response {
    let days_ago: i64 = q.get("days_ago").and_then(|d| d.parse().ok()).unwrap_or(0).clamp(0, 365);
    let now = crate::auth::now();
    let at = Millis(now.0 - days_ago * 86_400_000);
    let o = {
        let mut s = lock(&demo);
        let seq = s.seq;
        let Some(o) = s.orders.iter_mut().find(|o| o.merchant_id == merchant && o.order_no == order_no)
        else {
            return (StatusCode::NOT_FOUND, Json(json!({"error": "no such order in the demo shop"})))
                .into_response();
        };
        match (step.as_str(), o.status) {
            ("ship", "paid") => {
                o.status = "shipped";
                o.shipped_at = Some(Millis(at.0.max(o.ordered_at.0)));
                o.waybill = Some(format!("SF{}{seq:04}", now.0 / 1000));
            }
            ("sign", "shipped") => {
                o.status = "signed";
                o.signed_at = Some(Millis(at.0.max(o.shipped_at.map_or(0, |s| s.0))));
            }
            _ => {
                return (
                    StatusCode::CONFLICT,
                    Json(json!({"error": format!("cannot {step} an order that is {}", o.status)})),
                )
                    .into_response()
            }
        }
        o.updated_at = now;
        let o = o.clone();
        s.log.push(format!("订单 {} {}", o.order_no, if step == "ship" { "已发货" } else { "已签收" }));
        o
    };
    match push(&state, &headers, &o).await {
        Ok(out) => Json(json!({"order": order_json(&o), "push": out})).into_response(),
        Err((code, m)) => (code, Json(json!({"error": m}))).into_response(),
    }
}

async fn state_json(Extension(demo): Extension<Demo>) -> Json<Value> {
    let s = lock(&demo);
    Json(json!({
        "orders": s.orders.iter().map(|o| {
            let mut v = order_json(o);
            v["merchant_id"] = json!(o.merchant_id);
            v["refunded_fen"] = json!(o.refunded_fen);
            v
        }).collect::<Vec<_>>(),
        "log": s.log,
    }))
}

/// The demo merchants' actions URL: verify, then decide like a shop.
async fn actions(
    State(state): State<AppState>,
    Extension(demo): Extension<Demo>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let text = String::from_utf8_lossy(&body).to_string();
    let Ok(req) = serde_json::from_str::<Value>(&text) else {
        return (StatusCode::BAD_REQUEST, Json(json!({"status": "failed", "message": "malformed JSON"})))
            .into_response();
    };
    let merchant = req["merchant_id"].as_i64().unwrap_or(0);
    let scope = Scope::channel(Some(merchant), Action::ChannelIntake);
    let secret = match state.store.get_shop_integration(&scope, merchant).await {
        Ok(Some(i)) => i.secret,
        _ => {
            return (
                StatusCode::UNAUTHORIZED,
                Json(json!({"status": "failed", "message": "unknown merchant"})),
            )
                .into_response()
        }
    };
    if crate::shop::verify_signature(&secret, &headers, &text, crate::auth::now().0 / 1000).is_err() {
        return (StatusCode::UNAUTHORIZED, Json(json!({"status": "failed", "message": "bad signature"})))
            .into_response();
    }
    let key = req["idempotency_key"].as_str().unwrap_or_default().to_string();
    let mut s = lock(&demo);
    if let Some((code, v)) = s.answers.get(&key) {
        return (StatusCode::from_u16(*code).unwrap_or(StatusCode::OK), Json(v.clone())).into_response();
    }
    s.seq += 1;
    let seq = s.seq;
    let order_no = req["order_no"].as_str().unwrap_or_default().to_string();
    let action = req["action"].as_str().unwrap_or_default().to_string();
    let order = s.orders.iter_mut().find(|o| o.merchant_id == merchant && o.order_no == order_no);
    let shipped = order.as_ref().map(|o| o.shipped_at.is_some());
    let answer = match action.as_str() {
        "modify_address" | "cancel" if shipped == Some(true) => {
            json!({"status": "failed", "message": "订单已发货，无法修改地址或取消"})
        }
        "modify_address" => json!({"status": "succeeded", "reference": format!("ADDR-{seq}")}),
        "cancel" => {
            if let Some(o) = order {
                o.status = "cancelled";
            }
            json!({"status": "succeeded", "reference": format!("CXL-{seq}")})
        }
        "refund" => {
            let amount = req["amount_fen"].as_i64().unwrap_or(0);
            match order {
                Some(o) if o.refunded_fen + amount > o.paid_fen => {
                    json!({"status": "failed", "message": "退款金额超过订单实付金额"})
                }
                Some(o) => {
                    o.refunded_fen += amount;
                    json!({"status": "succeeded", "reference": format!("RF{}{seq:04}", o.order_no)})
                }
                None => json!({"status": "succeeded", "reference": format!("RF-{seq:04}")}),
            }
        }
        "resend" if shipped == Some(false) => {
            json!({"status": "failed", "message": "订单尚未发货，无需补发"})
        }
        "resend" => json!({"status": "succeeded", "reference": format!("SF-RESEND-{seq:04}")}),
        _ => json!({"status": "failed", "message": format!("unknown action '{action}'")}),
    };
    s.log.push(format!(
        "收到 kefu 的{}请求（订单 {order_no}）：{}",
        kefu_core::shop::ShopActionKind::parse(&action).map(|k| k.label_zh()).unwrap_or("未知"),
        if answer["status"] == "succeeded" {
            "已完成".to_string()
        } else {
            format!("未完成，{}", answer["message"].as_str().unwrap_or(""))
        }
    ));
    s.answers.insert(key, (200, answer.clone()));
    Json(answer).into_response()
}

async fn page() -> impl IntoResponse {
    Html(PAGE)
}

const PAGE: &str = r#"<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>演示店铺 · kefu</title>
<style>
body{font:14px/1.6 -apple-system,"PingFang SC","Microsoft YaHei",sans-serif;margin:0;background:#f5f7fa;color:#303133}
main{max-width:960px;margin:0 auto;padding:24px}
h1{font-size:20px;margin:0 0 4px}p.sub{color:#909399;margin:0 0 16px}
section{background:#fff;border:1px solid #e4e7ed;border-radius:8px;padding:16px;margin-bottom:16px}
label{margin-right:12px}input{padding:4px 8px;border:1px solid #dcdfe6;border-radius:4px}
button{padding:4px 12px;border:1px solid #409eff;background:#409eff;color:#fff;border-radius:4px;cursor:pointer}
button.plain{background:#fff;color:#409eff}table{width:100%;border-collapse:collapse}
td,th{border-bottom:1px solid #ebeef5;padding:6px;text-align:left}#msg{color:#f56c6c}
</style></head><body><main>
<h1>演示店铺</h1><p class="sub">模拟商家的店铺系统：下单、发货、签收会以签名请求推送到 kefu；kefu 发来的退款、取消等操作在这里处理。</p>
<section><form id="f"><label>商家 ID <input name="merchant_id" value="2" size="4"></label>
<label>顾客账号 <input name="account_id" value="demo-buyer-1"></label>
<label>顾客姓名 <input name="name" value="张伟"></label><button>下单</button></form><div id="msg"></div></section>
<section><h2>订单</h2><table><thead><tr><th>订单号</th><th>顾客</th><th>状态</th><th>实付</th><th>已退款</th><th></th></tr></thead><tbody id="orders"></tbody></table></section>
<section><h2>记录</h2><ol id="log"></ol></section>
</main><script>
const yuan=f=>'¥'+(f/100).toFixed(2);
const label={paid:'待发货',shipped:'已发货',signed:'已签收',cancelled:'已取消'};
async function call(url,body){const r=await fetch(url,{method:'POST',headers:{'Content-Type':'application/json'},body:body?JSON.stringify(body):'{}'});
 const v=await r.json().catch(()=>({}));document.getElementById('msg').textContent=r.ok?'':(v.error||r.status);load();}
async function load(){const s=await (await fetch('/demo-shop/api/state')).json();
 const tb=document.getElementById('orders');tb.innerHTML='';
 for(const o of s.orders){const tr=document.createElement('tr');
  const cells=[o.order_no,o.customer.name,label[o.status]||o.status,yuan(o.paid_fen),yuan(o.refunded_fen)];
  for(const c of cells){const td=document.createElement('td');td.textContent=c;tr.appendChild(td);}
  const td=document.createElement('td');
  const step=o.status==='paid'?'ship':o.status==='shipped'?'sign':null;
  if(step){const b=document.createElement('button');b.className='plain';b.textContent=step==='ship'?'发货':'签收';
   b.onclick=()=>call(`/demo-shop/api/orders/${o.merchant_id}/${o.order_no}/${step}`);td.appendChild(b);}
  tr.appendChild(td);tb.appendChild(tr);}
 const ol=document.getElementById('log');ol.innerHTML='';for(const l of s.log.slice().reverse()){const li=document.createElement('li');li.textContent=l;ol.appendChild(li);}}
document.getElementById('f').onsubmit=e=>{e.preventDefault();const d=new FormData(e.target);
 call('/demo-shop/api/orders',{merchant_id:Number(d.get('merchant_id')),account_id:d.get('account_id'),name:d.get('name')});};
load();
</script></body></html>"#;
