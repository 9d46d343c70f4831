//! Authority limits and approvals (权限额度与审批, STAFF-5) through the API, on both backends: a promise exactly
//! at the limit is recorded at once and one fen above needs approval; the requester never approves their own; an
//! approver's own limit must cover the amount; a request is decided once, also when two decide at the same
//! moment; another merchant sees nothing; bad input names the field; new limits change the outcome; and the
//! ticket's timeline shows the request, the decision and the promise.

use crate::both_backends;
use crate::common::{error_code, Backend, TestApp};
use crate::webhooks::two_merchants;
use kefu_core::org::Role;
use reqwest::StatusCode;
use serde_json::{json, Value};

struct Shop {
    app: TestApp,
    merchant: i64,
    /// Merchant A's admin, and merchant B's.
    shop_admin: String,
    other: String,
    /// Merchant A's staff: 客服专员, another 客服专员, 资深客服, 主管, 经理.
    agent: String,
    agent2: String,
    senior: String,
    supervisor: String,
    manager: String,
}

async fn shop(backend: Backend) -> Shop {
    let app = TestApp::spawn(backend).await;
    let (_admin, merchants, admins) = two_merchants(&app).await;
    let m = merchants[0];
    let mut tokens = Vec::new();
    for (name, role) in [
        ("a.agent", Role::Agent),
        ("a.agent2", Role::Agent),
        ("a.senior", Role::SeniorAgent),
        ("a.supervisor", Role::Supervisor),
        ("a.manager", Role::Manager),
    ] {
        app.user(name, role, Some(m)).await;
        tokens.push(app.login(name).await);
    }
    let [agent, agent2, senior, supervisor, manager]: [String; 5] = tokens.try_into().unwrap();
    let [shop_admin, other] = admins;
    Shop { app, merchant: m, shop_admin, other, agent, agent2, senior, supervisor, manager }
}

async fn ticket(w: &Shop) -> i64 {
    let (s, t) = w
        .app
        .post(
            "/api/v1/tickets",
            &w.agent,
            json!({"channel": "web", "subject": "包裹破损", "body": "收到的杯子碎了，怎么赔？"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    t["id"].as_i64().unwrap()
}

async fn promise(w: &Shop, token: &str, ticket: i64, kind: &str, fen: i64) -> (StatusCode, Value) {
    w.app
        .post(
            &format!("/api/v1/tickets/{ticket}/promises"),
            token,
            json!({"kind": kind, "amount_fen": fen, "summary": "破损补偿"}),
        )
        .await
}

/// Promise `fen` of `kind` as the agent, expecting an approval request; its id.
async fn request(w: &Shop, ticket: i64, kind: &str, fen: i64) -> i64 {
    let (s, b) = promise(w, &w.agent, ticket, kind, fen).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["outcome"], "pending_approval", "{b}");
    b["approval"]["id"].as_i64().unwrap()
}

async fn decide(w: &Shop, token: &str, id: i64, what: &str, note: &str) -> (StatusCode, Value) {
    w.app.post(&format!("/api/v1/approvals/{id}/{what}"), token, json!({"note": note})).await
}

/// The ticket's events of the three approval kinds, oldest first.
async fn timeline(w: &Shop, ticket: i64) -> Vec<Value> {
    let (s, ev) = w.app.get(&format!("/api/v1/tickets/{ticket}/events"), &w.agent).await;
    assert_eq!(s, StatusCode::OK, "{ev}");
    ev.as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            let t = e["kind"]["type"].as_str().unwrap_or("");
            matches!(t, "promise_recorded" | "approval_requested" | "approval_decided")
        })
        .map(|e| e["kind"].clone())
        .collect()
}

fn types(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["type"].as_str().unwrap()).collect()
}

async fn limit_boundaries_and_the_whole_flow(backend: Backend) {
    let w = shop(backend).await;
    let t = ticket(&w).await;

    // The agent sees their own limits: a 20 元 coupon by the platform defaults, no compensation.
    let (s, l) = w.app.get("/api/v1/authority-limits", &w.agent).await;
    assert_eq!(s, StatusCode::OK, "{l}");
    assert_eq!(l["source"], "shipped");
    assert_eq!(l["may_edit"], false);
    let coupon = l["mine"].as_array().unwrap().iter().find(|k| k["kind"] == "coupon").unwrap();
    assert_eq!(coupon["limit"], json!({"type": "up_to", "fen": 2000}));

    // Exactly at the limit: recorded at once, no approval.
    let (s, b) = promise(&w, &w.agent, t, "coupon", 2000).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["outcome"], "recorded");
    assert!(b["approval"].is_null());
    // One fen above: an approval request.
    let (s, b) = promise(&w, &w.agent, t, "coupon", 2001).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["outcome"], "pending_approval");
    assert_eq!(b["approval"]["status"], "pending");
    let coupon_req = b["approval"]["id"].as_i64().unwrap();

    // Compensation of 300 元: above the agent's (0), senior's (50 元) and supervisor's (200 元) limits.
    let comp = request(&w, t, "compensation", 30_000).await;

    // The requester cannot approve their own (even when promoted meanwhile they are the requester).
    let (s, b) = decide(&w, &w.agent, comp, "approve", "").await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    // A supervisor whose limit (200 元) is below 300 元 is refused, saying why.
    let (s, b) = decide(&w, &w.supervisor, comp, "approve", "可以").await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    assert_eq!(error_code(&b), "forbidden");
    let msg = b["error"]["message"].as_str().unwrap();
    assert!(msg.contains("20000 fen") && msg.contains("30000 fen"), "{msg}");
    // It is not in the supervisor's inbox, but the coupon request is; the manager sees both.
    let (_, inbox) = w.app.get("/api/v1/approvals?status=pending", &w.supervisor).await;
    let ids: Vec<i64> =
        inbox["items"].as_array().unwrap().iter().map(|a| a["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![coupon_req]);
    assert_eq!(inbox["items"][0]["can_decide"], true);
    let (_, inbox) = w.app.get("/api/v1/approvals?status=pending", &w.manager).await;
    assert_eq!(inbox["items"].as_array().unwrap().len(), 2, "{inbox}");
    // Another agent sees neither; the requester sees both of their own, and may cancel but not decide.
    let (_, inbox) = w.app.get("/api/v1/approvals", &w.agent2).await;
    assert_eq!(inbox["items"].as_array().unwrap().len(), 0, "{inbox}");
    let (_, inbox) = w.app.get("/api/v1/approvals", &w.agent).await;
    assert_eq!(inbox["items"].as_array().unwrap().len(), 2, "{inbox}");
    assert_eq!(inbox["items"][0]["can_cancel"], true);
    assert_eq!(inbox["items"][0]["can_decide"], false);

    // Those who may decide it were told in-app; those who may not were not.
    let (_, n) = w.app.get("/api/v1/notifications", &w.manager).await;
    assert!(n.to_string().contains("approval_requested"), "{n}");
    let (_, n) = w.app.get("/api/v1/notifications", &w.supervisor).await;
    let told = n["items"].as_array().unwrap().iter().filter(|x| x["kind"] == "approval_requested").count();
    assert_eq!(told, 1, "the supervisor is told about the coupon only: {n}");

    // The manager approves; a second decision is a conflict.
    let (s, b) = decide(&w, &w.manager, comp, "approve", "同意，破损属实").await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["status"], "approved");
    assert_eq!(b["decided_by_name"], "a.manager");
    let (s, b) = decide(&w, &w.manager, comp, "reject", "重复").await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    assert_eq!(error_code(&b), "conflict");
    let (s, _) = w.app.post(&format!("/api/v1/approvals/{comp}/cancel"), &w.agent, json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    // The requester is told of the decision.
    let (_, n) = w.app.get("/api/v1/notifications", &w.agent).await;
    let told: Vec<&Value> =
        n["items"].as_array().unwrap().iter().filter(|x| x["kind"] == "approval_decided").collect();
    assert_eq!(told.len(), 1, "{n}");
    assert!(told[0]["body"].as_str().unwrap().contains("已批准"), "{n}");

    // The senior agent rejects the coupon request (a note is required to reject).
    let (s, b) = decide(&w, &w.senior, coupon_req, "reject", "").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["field"], "note");
    let (s, b) = decide(&w, &w.senior, coupon_req, "reject", "超出活动规则").await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["status"], "rejected");

    // The timeline: promise, request, request, decision + promise with the approval id, decision.
    let ev = timeline(&w, t).await;
    assert_eq!(
        types(&ev),
        vec![
            "promise_recorded",
            "approval_requested",
            "approval_requested",
            "approval_decided",
            "promise_recorded",
            "approval_decided"
        ]
    );
    assert_eq!(ev[0]["amount_fen"], 2000);
    assert!(ev[0]["approval_id"].is_null());
    assert_eq!(ev[2]["approval_id"], comp);
    assert_eq!(
        ev[3],
        json!({"type": "approval_decided", "approval_id": comp, "approved": true, "note": "同意，破损属实"})
    );
    assert_eq!(ev[4]["kind"], "compensation");
    assert_eq!(ev[4]["amount_fen"], 30_000);
    assert_eq!(ev[4]["approval_id"], comp);
    assert_eq!(ev[5]["approved"], false);

    // Every step left its audit record.
    let (_, audit) = w.app.get("/api/v1/audit?limit=200", &w.shop_admin).await;
    let text = audit.to_string();
    for action in ["approval.request", "approval.approve", "approval.reject"] {
        assert!(text.contains(action), "no {action} in the audit trail");
    }
}
both_backends!(limit_boundaries_and_the_whole_flow);

async fn cancel_only_by_the_requester(backend: Backend) {
    let w = shop(backend).await;
    let t = ticket(&w).await;
    let id = request(&w, t, "goodwill_refund", 100).await;
    let (s, b) = w.app.post(&format!("/api/v1/approvals/{id}/cancel"), &w.agent2, json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    let (s, b) =
        w.app.post(&format!("/api/v1/approvals/{id}/cancel"), &w.agent, json!({"note": "客户不要了"})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["status"], "cancelled");
    let (s, _) = decide(&w, &w.manager, id, "approve", "").await;
    assert_eq!(s, StatusCode::CONFLICT);
    // Nothing was promised.
    let ev = timeline(&w, t).await;
    assert_eq!(types(&ev), vec!["approval_requested"]);
}
both_backends!(cancel_only_by_the_requester);

async fn two_deciders_at_once_one_wins(backend: Backend) {
    let w = shop(backend).await;
    let t = ticket(&w).await;
    for round in 0..3 {
        let id = request(&w, t, "compensation", 10_000 + round).await;
        let path = format!("/api/v1/approvals/{id}/approve");
        let (a, b) = tokio::join!(
            w.app.post(&path, &w.manager, json!({"note": "经理同意"})),
            w.app.post(&path, &w.shop_admin, json!({"note": "管理员同意"})),
        );
        let mut codes = [a.0, b.0];
        codes.sort();
        assert_eq!(codes, [StatusCode::OK, StatusCode::CONFLICT], "{a:?} {b:?}");
    }
    // Exactly one decision and one promise per request.
    let ev = timeline(&w, t).await;
    let count = |ty: &str| ev.iter().filter(|e| e["type"] == ty).count();
    assert_eq!(count("approval_requested"), 3);
    assert_eq!(count("approval_decided"), 3);
    assert_eq!(count("promise_recorded"), 3);
}
both_backends!(two_deciders_at_once_one_wins);

async fn another_merchant_sees_nothing(backend: Backend) {
    let w = shop(backend).await;
    let t = ticket(&w).await;
    let id = request(&w, t, "compensation", 500).await;
    let (s, b) = promise(&w, &w.other, t, "coupon", 100).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
    let (s, _) = w.app.get(&format!("/api/v1/approvals/{id}"), &w.other).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = decide(&w, &w.other, id, "approve", "").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = w.app.post(&format!("/api/v1/approvals/{id}/cancel"), &w.other, json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, inbox) = w.app.get("/api/v1/approvals", &w.other).await;
    assert_eq!(inbox["items"].as_array().unwrap().len(), 0, "{inbox}");
    let (_, inbox) = w.app.get(&format!("/api/v1/approvals?ticket_id={t}"), &w.other).await;
    assert_eq!(inbox["items"].as_array().unwrap().len(), 0, "{inbox}");
    // Nor another merchant's limits.
    let (s, _) = w.app.get(&format!("/api/v1/authority-limits?merchant_id={}", w.merchant), &w.other).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let limits = w.app.get("/api/v1/authority-limits", &w.shop_admin).await.1["limits"].clone();
    let (s, _) = w
        .app
        .put("/api/v1/authority-limits", &w.other, json!({"merchant_id": w.merchant, "limits": limits}))
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // The request is still pending.
    let (_, a) = w.app.get(&format!("/api/v1/approvals/{id}"), &w.manager).await;
    assert_eq!(a["status"], "pending");
}
both_backends!(another_merchant_sees_nothing);

async fn bad_input_names_the_field(backend: Backend) {
    let w = shop(backend).await;
    let t = ticket(&w).await;
    let cases = [
        (json!({"kind": "cash", "amount_fen": 100, "summary": "x"}), "kind"),
        (json!({"kind": "coupon", "amount_fen": 0, "summary": "x"}), "amount_fen"),
        (json!({"kind": "coupon", "amount_fen": -5, "summary": "x"}), "amount_fen"),
        (json!({"kind": "coupon", "amount_fen": 10_000_000_001_i64, "summary": "x"}), "amount_fen"),
        (json!({"kind": "coupon", "amount_fen": 100, "summary": "  "}), "summary"),
        (json!({"kind": "coupon", "amount_fen": 100, "summary": "长".repeat(501)}), "summary"),
    ];
    for (body, field) in cases {
        let (s, b) = w.app.post(&format!("/api/v1/tickets/{t}/promises"), &w.agent, body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {b}");
        assert_eq!(error_code(&b), "validation");
        assert_eq!(b["error"]["field"], field, "{body}: {b}");
    }
    // An amount too large for any integer is refused naming the field too.
    let (s, b) = w
        .app
        .post(
            &format!("/api/v1/tickets/{t}/promises"),
            &w.agent,
            json!({"kind": "coupon", "amount_fen": 1e30, "summary": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["field"], "amount_fen", "{b}");
    let (s, b) = w.app.get("/api/v1/approvals?status=done", &w.agent).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["field"], "status");
    // Nothing was written.
    assert!(timeline(&w, t).await.is_empty());
}
both_backends!(bad_input_names_the_field);

async fn new_limits_change_the_outcome(backend: Backend) {
    let w = shop(backend).await;
    let t = ticket(&w).await;
    let (s, l) = w.app.get("/api/v1/authority-limits", &w.shop_admin).await;
    assert_eq!(s, StatusCode::OK, "{l}");
    assert_eq!(l["may_edit"], true);
    let mut limits = l["limits"].clone();

    // Only admins may change limits.
    let (s, _) = w.app.put("/api/v1/authority-limits", &w.manager, json!({"limits": limits})).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Out of order (supervisor below senior agent) and negative limits are refused naming the field.
    let mut bad = limits.clone();
    bad["coupon"]["supervisor"] = json!({"type": "up_to", "fen": 100});
    let (s, b) = w.app.put("/api/v1/authority-limits", &w.shop_admin, json!({"limits": bad})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["field"], "limits.coupon.supervisor");
    let mut bad = limits.clone();
    bad["compensation"]["agent"] = json!({"type": "up_to", "fen": -1});
    let (s, b) = w.app.put("/api/v1/authority-limits", &w.shop_admin, json!({"limits": bad})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["error"]["field"], "limits.compensation.agent");
    let mut bad = limits.clone();
    bad["coupon"]["agent"] = json!({"type": "plenty"});
    let (s, b) = w.app.put("/api/v1/authority-limits", &w.shop_admin, json!({"limits": bad})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert!(b["error"]["field"].as_str().unwrap_or("").starts_with("limits.coupon.agent"), "{b}");

    // Before: 30 元 compensation needs approval from an agent.
    let (_, b) = promise(&w, &w.agent, t, "compensation", 3000).await;
    assert_eq!(b["outcome"], "pending_approval");
    // The merchant lets agents compensate up to 30 元 on their own.
    limits["compensation"]["agent"] = json!({"type": "up_to", "fen": 3000});
    let (s, b) = w.app.put("/api/v1/authority-limits", &w.shop_admin, json!({"limits": limits})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["source"], "merchant");
    let (_, l) = w.app.get("/api/v1/authority-limits", &w.agent).await;
    let mine = l["mine"].as_array().unwrap().iter().find(|k| k["kind"] == "compensation").unwrap().clone();
    assert_eq!(mine["limit"], json!({"type": "up_to", "fen": 3000}));
    let (_, b) = promise(&w, &w.agent, t, "compensation", 3000).await;
    assert_eq!(b["outcome"], "recorded", "{b}");
    let (_, b) = promise(&w, &w.agent, t, "compensation", 3001).await;
    assert_eq!(b["outcome"], "pending_approval", "{b}");
    // Merchant B still has the defaults.
    let (_, l) = w.app.get("/api/v1/authority-limits", &w.other).await;
    assert_eq!(l["source"], "shipped");
    assert_eq!(l["limits"]["compensation"]["agent"], json!({"type": "up_to", "fen": 0}));
    let (_, audit) = w.app.get("/api/v1/audit?limit=200", &w.shop_admin).await;
    assert!(audit.to_string().contains("authority.limits_set"), "{audit}");
}
both_backends!(new_limits_change_the_outcome);
