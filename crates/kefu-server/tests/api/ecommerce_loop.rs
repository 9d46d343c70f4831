//! The whole e-commerce service loop on both backends, with the demo shop playing the merchant's shop
//! system over real HTTP: an order comes in (signed push) → the customer asks to return an item → the
//! agent checks eligibility and opens the case → a goodwill compensation above the agent's limit waits for
//! a supervisor's approval → the buyer ships the goods back → the merchant confirms receipt → kefu sends
//! the refund to the shop, which refunds → the ticket is resolved and the customer rates it 不满意 on the
//! survey page → the ticket is reopened to the supervisors (L2) with a follow-up visit (回访) → the visit
//! records the customer's renewed satisfaction. Every step is read back from the ticket's timeline.

use crate::both_backends;
use crate::common::Backend;
use crate::shop::{run_jobs, shop_world, signed_demo_order};
use kefu_core::org::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn kinds(events: &Value) -> Vec<String> {
    events.as_array().unwrap().iter().map(|e| e["kind"]["type"].as_str().unwrap().to_string()).collect()
}

async fn the_whole_loop_with_the_demo_shop(backend: Backend) {
    let w = shop_world(backend).await;
    w.app.user("a.sup", Role::Supervisor, Some(w.merchant)).await;
    let sup = w.app.login("a.sup").await;
    let post = |path: String, token: String, body: Value| {
        let app = &w.app;
        async move {
            let (s, b) = app.post(&path, &token, body).await;
            assert!(s.is_success(), "{path}: {s} {b}");
            b
        }
    };

    // 1. The shop pushes an order, signed for two days ago; the customer's profile comes with it.
    let (order_no, order, customer) = signed_demo_order(&w, "loop-buyer", 2).await;

    // 2. The customer asks to return the cup; the agent links the order.
    let t = post(
        "/api/v1/tickets".into(),
        w.agent.clone(),
        json!({"customer_id": customer, "channel": "web", "subject": "保温杯不想要了，能退吗", "body": "没拆封", "order_numbers": [order_no]}),
    )
    .await;
    let ticket = t["id"].as_i64().unwrap();

    // 3. Eligibility first: within seven days of sign-for, no reason needed.
    let v = post(
        format!("/api/v1/orders/{order}/eligibility"),
        w.agent.clone(),
        json!({"sku": "CUP-500", "kind": "return_refund", "reason": "no_reason"}),
    )
    .await;
    assert_eq!(v["outcome"], "eligible", "{v}");
    assert!(v["basis"].as_str().unwrap().contains("第二十五条"), "{v}");

    // 4. The return request.
    let c = post(
        "/api/v1/aftersales".into(),
        w.agent.clone(),
        json!({"order_id": order, "ticket_id": ticket, "kind": "return_refund", "reason": "no_reason",
               "items": [{"sku": "CUP-500", "quantity": 1}], "description": "未拆封，不想要了"}),
    )
    .await;
    let case = c["id"].as_i64().unwrap();

    // 5. ¥30 for the trouble is above an agent's compensation limit (¥0): it waits for approval, and the
    //    agent cannot approve it; the supervisor (limit ¥200) does.
    let p = post(
        format!("/api/v1/tickets/{ticket}/promises"),
        w.agent.clone(),
        json!({"kind": "compensation", "amount_fen": 3000, "summary": "补偿 30 元运费"}),
    )
    .await;
    assert_eq!(p["outcome"], "pending_approval", "{p}");
    let approval = p["approval"]["id"].as_i64().unwrap();
    let (s, _) = w
        .app
        .post(&format!("/api/v1/approvals/{approval}/approve"), &w.agent, json!({"note": "自己批"}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "nobody approves their own promise");
    post(format!("/api/v1/approvals/{approval}/approve"), sup.clone(), json!({"note": "同意补偿"})).await;

    // 6. The merchant agrees, the buyer ships back, the goods arrive: refunding.
    post(format!("/api/v1/aftersales/{case}/agree"), w.agent.clone(), json!({})).await;
    post(
        format!("/api/v1/aftersales/{case}/return-shipment"),
        w.agent.clone(),
        json!({"carrier": "顺丰", "waybill": "SF-LOOP-1"}),
    )
    .await;
    let c = post(format!("/api/v1/aftersales/{case}/receipt"), w.agent.clone(), json!({"condition": "完好"}))
        .await;
    assert_eq!(c["status"], "refunding");

    // 7. kefu sends the refund to the shop (signed, with its idempotency key); the shop refunds.
    run_jobs(&w).await;
    let (_, c) = w.app.get(&format!("/api/v1/aftersales/{case}"), &w.agent).await;
    assert_eq!(c["status"], "refunded", "{c}");
    let refund_ref = c["refund_ref"].as_str().unwrap().to_string();
    let (_, demo) = w
        .app
        .client
        .get(format!("{}/demo-shop/api/state", w.app.base))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .map(|v| ((), v))
        .unwrap();
    let shop_order = demo["orders"].as_array().unwrap().iter().find(|o| o["order_no"] == order_no).unwrap();
    assert_eq!(shop_order["refunded_fen"], 12_900, "the shop refunded the cup, once");

    // 8. Resolved; the customer rates 不满意 on the survey page.
    post(
        format!("/api/v1/tickets/{ticket}/replies"),
        w.agent.clone(),
        json!({"body": "退款 ¥129.00 已原路退回，另补偿 30 元运费，请查收。"}),
    )
    .await;
    post(format!("/api/v1/tickets/{ticket}/status"), w.agent.clone(), json!({"status": "resolved"})).await;
    let link = post(format!("/api/v1/tickets/{ticket}/survey-link"), w.agent.clone(), json!({})).await;
    let url = link["url"].as_str().unwrap();
    let token = url.split("token=").nth(1).unwrap();
    let r = w
        .app
        .client
        .post(format!("{}/survey", w.app.base))
        .json(&json!({"token": token, "score": 2, "reasons": ["slow_reply"], "comment": "退款太慢"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());

    // 9. Handled again until satisfied: reopened to the supervisors, with a follow-up visit.
    let (_, t) = w.app.get(&format!("/api/v1/tickets/{ticket}"), &w.agent).await;
    assert_eq!(
        (t["ticket"]["status"].as_str(), t["ticket"]["tier"].as_str()),
        (Some("open"), Some("l2")),
        "{t}"
    );
    let (_, visits) = w.app.get(&format!("/api/v1/follow-ups?ticket_id={ticket}"), &sup).await;
    let visits = visits.as_array().unwrap();
    let low = visits.iter().find(|v| v["reason"] == "low_rating").unwrap_or_else(|| panic!("{visits:?}"));
    assert!(
        visits.iter().any(|v| v["reason"] == "after_sales"),
        "the refunded case asked for a visit too: {visits:?}"
    );

    // 10. The visit records the customer's renewed satisfaction.
    let done = post(
        format!("/api/v1/follow-ups/{}/complete", low["id"]),
        sup.clone(),
        json!({"outcome": "satisfied", "renewed_score": 4, "note": "解释了退款到账时间，客户满意"}),
    )
    .await;
    assert_eq!(done["renewed_score"], 4);

    // The ticket's timeline tells the whole story, in order.
    let (_, ev) = w.app.get(&format!("/api/v1/tickets/{ticket}/events"), &w.agent).await;
    let k = kinds(&ev);
    let at = |name: &str| k.iter().position(|x| x == name).unwrap_or_else(|| panic!("no {name} in {k:?}"));
    assert!(at("after_sales_recorded") < at("approval_requested"));
    assert!(at("approval_requested") < at("approval_decided"));
    assert!(at("approval_decided") < at("promise_recorded"));
    assert!(at("promise_recorded") < at("shop_action_recorded"));
    assert!(at("shop_action_recorded") < at("rated"));
    assert!(at("rated") < at("escalated"));
    let shop_steps: Vec<&Value> =
        ev.as_array().unwrap().iter().filter(|e| e["kind"]["type"] == "shop_action_recorded").collect();
    assert_eq!(shop_steps.len(), 2, "sent, then done");
    assert!(shop_steps[1]["kind"]["summary"].as_str().unwrap().contains(&refund_ref));
    let last_visit =
        ev.as_array().unwrap().iter().rev().find(|e| e["kind"]["type"] == "follow_up_recorded").unwrap();
    assert!(last_visit["kind"]["summary"].as_str().unwrap().contains("4"), "{last_visit}");
}
both_backends!(the_whole_loop_with_the_demo_shop);
