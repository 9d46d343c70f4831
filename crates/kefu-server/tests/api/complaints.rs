//! Complaints (投诉) through the API, on both backends: a complaint from acknowledgement to close with the
//! department task on the ticket, the steps in the ticket's timeline, the handling notice fetched and
//! archived with the ticket; a command in the wrong stage refused; a repeat complaint flagged; a 12315
//! complaint's working-day deadlines; another merchant gets 404; bad input names the field; a 重大
//! complaint closed only by a supervisor.

use crate::both_backends;
use crate::common::{error_code, Backend, TestApp};
use crate::webhooks::two_merchants;
use kefu_core::org::Role;
use kefu_core::time::Millis;
use reqwest::StatusCode;
use serde_json::{json, Value};

struct Desk {
    app: TestApp,
    /// Merchant A's agent, its supervisor and admin; merchant B's admin.
    agent: String,
    supervisor: String,
    admin: String,
    other: String,
}

async fn desk(backend: Backend) -> Desk {
    let app = TestApp::spawn(backend).await;
    let (_root, merchants, admins) = two_merchants(&app).await;
    app.user("a.agent", Role::Agent, Some(merchants[0])).await;
    app.user("a.super", Role::Supervisor, Some(merchants[0])).await;
    let agent = app.login("a.agent").await;
    let supervisor = app.login("a.super").await;
    let [admin, other] = admins;
    Desk { app, agent, supervisor, admin, other }
}

async fn customer(d: &Desk, name: &str, phone: &str) -> i64 {
    let (s, c) =
        d.app.post("/api/v1/customers", &d.agent, json!({"display_name": name, "phone": phone})).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    c["id"].as_i64().unwrap()
}

/// A ticket of the customer about `order`, answered once (so it is open and can wait on a department).
async fn ticket(d: &Desk, customer: i64, order: &str) -> i64 {
    let (s, t) = d
        .app
        .post(
            "/api/v1/tickets",
            &d.agent,
            json!({"customer_id": customer, "channel": "web", "subject": "投诉：退款迟迟不到",
                   "body": "退款申请7天了还没到账，我要投诉！", "order_numbers": [order]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let id = t["id"].as_i64().unwrap();
    let (s, r) = d
        .app
        .post(&format!("/api/v1/tickets/{id}/replies"), &d.agent, json!({"body": "非常抱歉，我们马上核实。"}))
        .await;
    assert!(s.is_success(), "{r}");
    id
}

async fn open(d: &Desk, ticket: i64, body: Value) -> Value {
    let mut b = body;
    b["ticket_id"] = json!(ticket);
    let (s, c) = d.app.post("/api/v1/complaints", &d.agent, b).await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    c
}

async fn step(d: &Desk, token: &str, id: i64, what: &str, body: Value) -> Value {
    let (s, c) = d.app.post(&format!("/api/v1/complaints/{id}/{what}"), token, body).await;
    assert_eq!(s, StatusCode::OK, "{what}: {c}");
    c
}

async fn timeline(d: &Desk, ticket: i64) -> Vec<Value> {
    let (s, ev) = d.app.get(&format!("/api/v1/tickets/{ticket}/events"), &d.agent).await;
    assert_eq!(s, StatusCode::OK, "{ev}");
    ev.as_array().unwrap().iter().filter(|e| e.to_string().contains("complaint_recorded")).cloned().collect()
}

async fn get_html(d: &Desk, path: &str, token: &str) -> (StatusCode, String, String) {
    let resp = d.app.client.get(format!("{}{}", d.app.base, path)).bearer_auth(token).send().await.unwrap();
    let status = resp.status();
    let ct = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (status, ct, resp.text().await.unwrap())
}

async fn acknowledgement_to_close(backend: Backend) {
    let d = desk(backend).await;
    let (s, dep) =
        d.app.post("/api/v1/departments", &d.admin, json!({"code": "finance", "name": "财务部"})).await;
    assert_eq!(s, StatusCode::CREATED, "{dep}");
    let dep = dep["id"].as_i64().unwrap();
    let cust = customer(&d, "王小明", "13812345678").await;
    let t = ticket(&d, cust, "E-1001").await;
    let c = open(
        &d,
        t,
        json!({"source": "customer", "severity": "serious",
        "summary": "退款7天未到账，客服推诿 <script>alert(1)</script>"}),
    )
    .await;
    let id = c["id"].as_i64().unwrap();
    assert!(c["number"].as_str().unwrap().starts_with("TS"), "{c}");
    assert_eq!(c["workflow"]["stage"], "received");
    assert_eq!(c["stage_label"], "待受理");
    assert_eq!(c["order_no"], "E-1001", "the ticket's order is taken");
    assert_eq!(c["repeat"], false);
    assert_eq!(c["overdue"], false);
    // 严重: acknowledged within 4 hours of receipt.
    let received = Millis::parse_rfc3339(c["workflow"]["received_at"].as_str().unwrap()).unwrap();
    let due = Millis::parse_rfc3339(c["due_at"].as_str().unwrap()).unwrap();
    assert_eq!(due.0 - received.0, 4 * 3_600_000);

    let c = step(&d, &d.agent, id, "acknowledge", json!({"note": "已致歉并受理"})).await;
    assert_eq!(c["workflow"]["stage"], "acknowledged");
    // Acknowledged: the 24-hour handling target (处理时限) runs until a remedy is proposed.
    let due = Millis::parse_rfc3339(c["due_at"].as_str().unwrap()).unwrap();
    assert_eq!(due.0 - received.0, 24 * 3_600_000);
    step(&d, &d.agent, id, "claim", json!({"claim": "退款申请7天未到账", "demand": "立即退款并补偿运费"}))
        .await;
    let c = step(
        &d,
        &d.agent,
        id,
        "investigation",
        json!({"department_id": dep, "request": "请核查该订单退款为何未到账"}),
    )
    .await;
    assert_eq!(c["workflow"]["stage"], "investigating");
    assert_eq!(c["workflow"]["task_no"], 1);
    // The department task is on the ticket, which waits on hold for it.
    let (_, td) = d.app.get(&format!("/api/v1/tickets/{t}"), &d.agent).await;
    assert_eq!(td["ticket"]["status"], "on_hold", "{td}");
    let c = step(
        &d,
        &d.agent,
        id,
        "findings",
        json!({"findings": "退款被支付风控拦截，未通知客户", "responsible": "财务部"}),
    )
    .await;
    assert_eq!(c["workflow"]["stage"], "investigated");
    // Recording the findings answered the task: the ticket is back in work.
    let (_, td) = d.app.get(&format!("/api/v1/tickets/{t}"), &d.agent).await;
    assert_eq!(td["ticket"]["status"], "open", "{td}");

    let c = step(&d, &d.agent, id, "remedy", json!({"remedy": "立即退款"})).await;
    assert_eq!(
        c["due_at"],
        Value::Null,
        "no deadline runs for a customer complaint once a remedy is proposed"
    );
    let c = step(&d, &d.agent, id, "customer-response", json!({"agrees": false, "note": "还要补偿"})).await;
    assert_eq!(c["workflow"]["stage"], "disagreed");
    assert_eq!(c["workflow"]["disagreements"], 1);
    step(&d, &d.agent, id, "remedy", json!({"remedy": "立即退款并补偿运费10元"})).await;
    let c = step(&d, &d.agent, id, "customer-response", json!({"agrees": true})).await;
    assert_eq!(c["workflow"]["stage"], "agreed");
    assert_eq!(c["workflow"]["proposals"], 2);
    step(&d, &d.agent, id, "execution", json!({"result": "已退款，运费补偿10元已发放"})).await;
    // The follow-up visit is now a task in the visit list (回访任务), for the agent who executed it.
    let (s, visits) = d.app.get(&format!("/api/v1/follow-ups?ticket_id={t}"), &d.agent).await;
    assert_eq!(s, StatusCode::OK, "{visits}");
    let visit = visits.as_array().unwrap().iter().find(|v| v["source"] == format!("complaint:{id}")).cloned();
    let visit = visit.unwrap_or_else(|| panic!("no visit task in {visits}"));
    assert_eq!(visit["reason"], "complaint");
    assert_eq!(visit["status"], "pending");
    let c =
        step(&d, &d.agent, id, "follow-up", json!({"result": "客户确认到账，表示满意", "satisfaction": 5}))
            .await;
    assert_eq!(c["workflow"]["stage"], "visited");
    // Recording the visit on the complaint completed the task with the renewed score.
    let (_, v) = d.app.get(&format!("/api/v1/follow-ups/{}", visit["id"]), &d.agent).await;
    assert_eq!(v["status"], "completed", "{v}");
    assert_eq!(v["outcome"], "satisfied");
    assert_eq!(v["renewed_score"], 5);

    // The evaluation form before closing: print-ready, escaped, the satisfaction ticked.
    let (s, ct, form) = get_html(&d, &format!("/api/v1/complaints/{id}/evaluation-form"), &d.agent).await;
    assert_eq!(s, StatusCode::OK);
    assert!(ct.starts_with("text/html"), "{ct}");
    assert!(form.contains("客户评价单") && form.contains("☑ 非常满意"), "{form}");
    assert!(form.contains("@page{size:A4"));

    let c = step(&d, &d.agent, id, "close", json!({"summary": "客户满意，结案"})).await;
    assert_eq!(c["workflow"]["stage"], "closed");
    let archived = c["notice_attachment_id"].as_i64().expect("the notice is archived");

    // The notice: number, masked customer, claim, demand, findings, remedy, signatures; typed text escaped.
    let (s, ct, notice) = get_html(&d, &format!("/api/v1/complaints/{id}/notice"), &d.agent).await;
    assert_eq!(s, StatusCode::OK);
    assert!(ct.starts_with("text/html"), "{ct}");
    for part in [
        c["number"].as_str().unwrap(),
        "投诉处理通知单",
        "退款申请7天未到账",
        "立即退款并补偿运费",
        "退款被支付风控拦截",
        "立即退款并补偿运费10元",
        "受理人签字",
        "已结案",
        "满意度 5/5",
    ] {
        assert!(notice.contains(part), "notice lacks {part}");
    }
    assert!(!notice.contains("王小明") && notice.contains("王*"), "the customer's name is masked");
    assert!(!notice.contains("13812345678"), "the phone is masked");
    assert!(!notice.contains("<script>") && notice.contains("&lt;script&gt;"), "typed text is escaped");

    // Archived with the ticket: an attachment of it, downloadable, the same document.
    let (_, td) = d.app.get(&format!("/api/v1/tickets/{t}"), &d.agent).await;
    let att = td["attachments"].as_array().unwrap().iter().find(|a| a["id"] == archived).cloned();
    let att = att.unwrap_or_else(|| panic!("archived notice not among {td}"));
    assert!(att["file_name"].as_str().unwrap().contains("投诉处理通知单"), "{att}");
    let resp = d
        .app
        .client
        .get(format!("{}/api/v1/attachments/{archived}", d.app.base))
        .bearer_auth(&d.agent)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    let body = resp.text().await.unwrap();
    assert!(body.contains("已结案") && body.contains(c["number"].as_str().unwrap()));

    // Every step is in the ticket's timeline and in the complaint's own log.
    let tl = timeline(&d, t).await;
    assert_eq!(tl.len(), 12, "{tl:?}");
    assert!(tl.last().unwrap().to_string().contains("已结案"));
    let (_, detail) = d.app.get(&format!("/api/v1/complaints/{id}"), &d.agent).await;
    let kinds: Vec<&str> =
        detail["events"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "remedy_proposed").count(), 2);
    assert_eq!(kinds.first(), Some(&"opened"));
    assert_eq!(detail["version"].as_i64().unwrap(), kinds.len() as i64);

    // The audit trail has each step.
    let (s, audit) = d.app.get("/api/v1/audit?limit=200", &d.admin).await;
    assert_eq!(s, StatusCode::OK, "{audit}");
    let text = audit.to_string();
    for action in ["complaint.create", "complaint.acknowledge", "complaint.investigate", "complaint.close"] {
        assert!(text.contains(action), "audit lacks {action}");
    }
    // Closed complaints are listed by stage.
    let (_, list) = d.app.get("/api/v1/complaints?stage=closed", &d.agent).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}
both_backends!(acknowledgement_to_close);

async fn wrong_stage_is_refused(backend: Backend) {
    let d = desk(backend).await;
    let cust = customer(&d, "李雷", "13900001111").await;
    let t = ticket(&d, cust, "E-2001").await;
    let c =
        open(&d, t, json!({"source": "platform", "severity": "normal", "summary": "商品与描述不符"})).await;
    let id = c["id"].as_i64().unwrap();
    // Proposing a remedy before acknowledging and investigating.
    let (s, e) =
        d.app.post(&format!("/api/v1/complaints/{id}/remedy"), &d.agent, json!({"remedy": "退款"})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert_eq!(error_code(&e), "conflict");
    let m = e["error"]["message"].as_str().unwrap();
    assert!(m.contains("待受理") && m.contains("受理投诉"), "{m}");
    // Closing before the follow-up visit.
    step(&d, &d.agent, id, "acknowledge", json!({})).await;
    let (s, e) = d.app.post(&format!("/api/v1/complaints/{id}/close"), &d.agent, json!({})).await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    // Nothing was archived and nothing changed.
    let (_, td) = d.app.get(&format!("/api/v1/tickets/{t}"), &d.agent).await;
    assert!(td["attachments"].as_array().unwrap().is_empty(), "{td}");
    let (_, c) = d.app.get(&format!("/api/v1/complaints/{id}"), &d.agent).await;
    assert_eq!(c["workflow"]["stage"], "acknowledged");
    // A stale version is refused.
    let (s, e) = d
        .app
        .post(
            &format!("/api/v1/complaints/{id}/claim"),
            &d.agent,
            json!({"claim": "x", "demand": "y", "expected_version": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{e}");
    assert_eq!(e["error"]["field"], "expected_version");
}
both_backends!(wrong_stage_is_refused);

async fn repeat_complaint_is_flagged(backend: Backend) {
    let d = desk(backend).await;
    let cust = customer(&d, "韩梅梅", "13700002222").await;
    let first = open(
        &d,
        ticket(&d, cust, "E-3001").await,
        json!({"source": "customer", "severity": "normal", "summary": "快递破损"}),
    )
    .await;
    // The same customer on another ticket and order: a repeat.
    let second = open(
        &d,
        ticket(&d, cust, "E-3002").await,
        json!({"source": "customer", "severity": "normal", "summary": "又一次快递破损"}),
    )
    .await;
    assert_eq!(second["repeat"], true);
    assert_eq!(second["workflow"]["repeat_of"], json!([first["number"]]));
    // Another customer about the first order: a repeat of the first only.
    let other = customer(&d, "路人", "13600003333").await;
    let third = open(
        &d,
        ticket(&d, other, "E-3001").await,
        json!({"source": "platform", "severity": "normal", "summary": "代家人投诉"}),
    )
    .await;
    assert_eq!(third["workflow"]["repeat_of"], json!([first["number"]]));
    // A stranger about another order: not a repeat (the 30-day window is covered by the domain tests).
    let stranger = customer(&d, "陌生人", "13500004444").await;
    let fourth = open(
        &d,
        ticket(&d, stranger, "E-3999").await,
        json!({"source": "customer", "severity": "normal", "summary": "发错货"}),
    )
    .await;
    assert_eq!(fourth["repeat"], false);
    let (_, list) = d.app.get("/api/v1/complaints?repeat=true", &d.agent).await;
    let ids: Vec<i64> = list["items"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![third["id"].as_i64().unwrap(), second["id"].as_i64().unwrap()]);
    // The timeline says so.
    let tl = timeline(&d, second["ticket_id"].as_i64().unwrap()).await;
    assert!(tl[0].to_string().contains("重复投诉"), "{tl:?}");
}
both_backends!(repeat_complaint_is_flagged);

/// The complaint analysis (投诉分析) of a period: counts, repeat complaints, acknowledgement and 24-hour
/// handling on time, satisfaction at the visit, whom the investigations found responsible; one merchant's
/// complaints only.
async fn complaint_analysis(backend: Backend) {
    let d = desk(backend).await;
    let (_, dep) = d.app.post("/api/v1/departments", &d.admin, json!({"code": "wh", "name": "仓储部"})).await;
    let dep = dep["id"].as_i64().unwrap();
    let cust = customer(&d, "赵敏", "13900005555").await;
    // 1: received two days ago, acknowledged, no remedy yet: past its 24-hour handling target.
    let two_days_ago = kefu_server::auth::now().plus_ms(-2 * 86_400_000).to_rfc3339();
    let c = open(
        &d,
        ticket(&d, cust, "E-5001").await,
        json!({"source": "customer", "severity": "normal", "summary": "发错颜色", "received_at": two_days_ago}),
    )
    .await;
    let late = c["id"].as_i64().unwrap();
    let c = step(&d, &d.agent, late, "acknowledge", json!({})).await;
    assert_eq!(c["overdue"], true, "the handling target passed: {c}");
    let (_, list) = d.app.get("/api/v1/complaints?overdue=true", &d.agent).await;
    let ids: Vec<i64> = list["items"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![late]);
    // 2: the same customer again (a repeat), handled at once and closed, satisfaction 4 at the visit.
    let c = open(
        &d,
        ticket(&d, cust, "E-5002").await,
        json!({"source": "customer", "severity": "serious", "summary": "又发错"}),
    )
    .await;
    assert_eq!(c["repeat"], true);
    let id = c["id"].as_i64().unwrap();
    step(&d, &d.agent, id, "acknowledge", json!({})).await;
    step(&d, &d.agent, id, "claim", json!({"claim": "发错颜色", "demand": "换货"})).await;
    step(&d, &d.agent, id, "investigation", json!({"department_id": dep, "request": "查拣货记录"})).await;
    step(&d, &d.agent, id, "findings", json!({"findings": "拣货错误", "responsible": "仓储部"})).await;
    step(&d, &d.agent, id, "remedy", json!({"remedy": "换货并补偿5元"})).await;
    step(&d, &d.agent, id, "customer-response", json!({"agrees": true})).await;
    step(&d, &d.agent, id, "execution", json!({"result": "已换货"})).await;
    step(&d, &d.agent, id, "follow-up", json!({"result": "已收到", "satisfaction": 4})).await;
    step(&d, &d.agent, id, "close", json!({"summary": "结案"})).await;
    // Merchant B's complaint is not merchant A's business.
    let (_, bc) = d.app.post("/api/v1/customers", &d.other, json!({"display_name": "别家客户"})).await;
    let (_, bt) = d
        .app
        .post(
            "/api/v1/tickets",
            &d.other,
            json!({"customer_id": bc["id"], "channel": "web", "subject": "投诉", "body": "服务差"}),
        )
        .await;
    let (s, b) = d
        .app
        .post(
            "/api/v1/complaints",
            &d.other,
            json!({"ticket_id": bt["id"], "source": "customer", "severity": "major", "summary": "服务差"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");

    let (s, r) = d.app.get("/api/v1/reports/complaints", &d.supervisor).await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let a = &r["analysis"];
    let counts = (a["received"].as_u64(), a["closed"].as_u64(), a["open"].as_u64());
    assert_eq!(counts, (Some(2), Some(1), Some(1)), "{r}");
    assert_eq!((a["repeat"].as_u64(), a["repeat_rate"].as_f64()), (Some(1), Some(0.5)));
    // The late one was acknowledged two days after receipt, past its 24-hour target.
    assert_eq!((a["acknowledged"].as_u64(), a["acknowledged_on_time"].as_u64()), (Some(2), Some(1)));
    assert_eq!((a["handled"].as_u64(), a["handled_on_time"].as_u64()), (Some(1), Some(1)));
    assert_eq!(a["handling_overdue"], 1);
    assert_eq!(a["overdue"], 1);
    assert_eq!((a["visits"].as_u64(), a["avg_visit_satisfaction"].as_f64()), (Some(1), Some(4.0)));
    assert_eq!(a["responsible"], json!([{"key": "仓储部", "label": "仓储部", "count": 1}]));
    let severity = |k: &str| {
        a["by_severity"].as_array().unwrap().iter().find(|t| t["key"] == k).unwrap()["count"].clone()
    };
    assert_eq!((severity("serious"), severity("normal"), severity("major")), (json!(1), json!(1), json!(0)));
    assert_eq!(r["truncated"], false);
    // Platform staff see both merchants, or narrow to one.
    d.app.user("p.super", Role::Supervisor, None).await;
    let root = d.app.login("p.super").await;
    let (_, all) = d.app.get("/api/v1/reports/complaints", &root).await;
    assert_eq!(all["analysis"]["received"], 3);
    let merchant_b = b["merchant_id"].as_i64().unwrap();
    let (_, only_b) = d.app.get(&format!("/api/v1/reports/complaints?merchant_id={merchant_b}"), &root).await;
    assert_eq!(only_b["analysis"]["received"], 1);
    // Merchant A's supervisor cannot read merchant B's.
    let (s, _) =
        d.app.get(&format!("/api/v1/reports/complaints?merchant_id={merchant_b}"), &d.supervisor).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // A period before these complaints: nothing. Bad periods name the field.
    let (_, none) = d.app.get("/api/v1/reports/complaints?to=2026-01-01T00:00:00Z", &d.supervisor).await;
    assert_eq!(none["analysis"]["received"], 0);
    assert_eq!(none["analysis"]["repeat_rate"], Value::Null);
    let (s, e) = d.app.get("/api/v1/reports/complaints?from=yesterday", &d.supervisor).await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("from")));
    let (s, e) = d
        .app
        .get("/api/v1/reports/complaints?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", &d.supervisor)
        .await;
    assert_eq!((s, e["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("from")));
    // The list takes the same period.
    let (_, list) = d.app.get("/api/v1/complaints?to=2026-01-01T00:00:00Z", &d.agent).await;
    assert!(list["items"].as_array().unwrap().is_empty());
}
both_backends!(complaint_analysis);

async fn regulator_deadlines(backend: Backend) {
    let d = desk(backend).await;
    let cust = customer(&d, "赵六", "13400005555").await;
    let t = ticket(&d, cust, "E-4001").await;
    // Forwarded by 12315 on Wed 30 Sep 2026, 15:00 Beijing time: 1–7 Oct are holidays, Sat 10 Oct a
    // make-up workday; the 7th working day is Thu 15 Oct.
    let (s, e) = d
        .app
        .post(
            "/api/v1/complaints",
            &d.agent,
            json!({"ticket_id": t, "source": "regulator",
        "severity": "normal", "summary": "12315转办：虚假宣传", "received_at": "2026-09-30T07:00:00Z"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["field"], "regulator_ref");
    let c = open(
        &d,
        t,
        json!({"source": "regulator", "severity": "normal", "summary": "12315转办：虚假宣传",
        "received_at": "2026-09-30T07:00:00Z", "regulator_ref": "1231520260930001"}),
    )
    .await;
    let id = c["id"].as_i64().unwrap();
    assert_eq!(c["workflow"]["regulator"]["accept_due"], "2026-10-15T16:00:00Z", "24:00 of 15 Oct, Beijing");
    assert_eq!(c["source_label"], "12315转办");
    // Received long ago and never acknowledged: overdue, and listed so.
    assert_eq!(c["overdue"], true);
    let (_, list) = d.app.get("/api/v1/complaints?overdue=true&source=regulator", &d.agent).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let (_, list) = d.app.get("/api/v1/complaints?overdue=false", &d.agent).await;
    assert!(list["items"].as_array().unwrap().is_empty());
    // Acknowledged now (late): mediation runs 45 working days from today.
    let c = step(&d, &d.agent, id, "acknowledge", json!({})).await;
    assert_eq!(c["workflow"]["acknowledged_late"], true);
    let mediate = Millis::parse_rfc3339(c["workflow"]["regulator"]["mediate_due"].as_str().unwrap()).unwrap();
    let now = kefu_server::auth::now();
    // 45 working days are about 9 weeks, more with holidays.
    assert!(mediate.0 > now.0 + 60 * 86_400_000 && mediate.0 < now.0 + 90 * 86_400_000, "{mediate:?}");
    // It came in September: the 24-hour handling target, earlier than mediation, passed long ago.
    let received = Millis::parse_rfc3339(c["workflow"]["received_at"].as_str().unwrap()).unwrap();
    assert_eq!(Millis::parse_rfc3339(c["due_at"].as_str().unwrap()), Some(received.plus_ms(24 * 3_600_000)));
    assert_eq!(c["overdue"], true);
    // The notice shows the statutory deadlines.
    let (_, _, notice) = get_html(&d, &format!("/api/v1/complaints/{id}/notice"), &d.agent).await;
    assert!(notice.contains("12315 受理期限") && notice.contains("2026-10-15 23:59"), "{notice}");
    assert!(notice.contains("1231520260930001"));
}
both_backends!(regulator_deadlines);

async fn another_merchant_gets_404(backend: Backend) {
    let d = desk(backend).await;
    let cust = customer(&d, "钱七", "13300006666").await;
    let t = ticket(&d, cust, "E-5001").await;
    let c = open(&d, t, json!({"source": "customer", "severity": "normal", "summary": "服务态度差"})).await;
    let id = c["id"].as_i64().unwrap();
    for path in [
        format!("/api/v1/complaints/{id}"),
        format!("/api/v1/complaints/{id}/notice"),
        format!("/api/v1/complaints/{id}/evaluation-form"),
    ] {
        let (s, e) = d.app.get(&path, &d.other).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}: {e}");
    }
    let (s, _) = d.app.post(&format!("/api/v1/complaints/{id}/acknowledge"), &d.other, json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Nor can they open one on merchant A's ticket.
    let (s, _) = d
        .app
        .post(
            "/api/v1/complaints",
            &d.other,
            json!({"ticket_id": t, "source": "customer", "severity": "normal", "summary": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, list) = d.app.get("/api/v1/complaints", &d.other).await;
    assert!(list["items"].as_array().unwrap().is_empty());
    let (_, c) = d.app.get(&format!("/api/v1/complaints/{id}"), &d.agent).await;
    assert_eq!(c["workflow"]["stage"], "received", "unchanged");
}
both_backends!(another_merchant_gets_404);

async fn bad_input_names_the_field(backend: Backend) {
    let d = desk(backend).await;
    let cust = customer(&d, "孙八", "13200007777").await;
    let t = ticket(&d, cust, "E-6001").await;
    for (body, field) in [
        (json!({"ticket_id": t, "source": "customer", "severity": "normal", "summary": "  "}), "summary"),
        (json!({"ticket_id": t, "source": "customer", "severity": "huge", "summary": "x"}), "severity"),
        (
            json!({"ticket_id": t, "source": "customer", "severity": "normal", "summary": "x",
            "received_at": "2999-01-01T00:00:00Z"}),
            "received_at",
        ),
    ] {
        let (s, e) = d.app.post("/api/v1/complaints", &d.agent, body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
        assert_eq!(e["error"]["field"], field, "{e}");
    }
    let (_, list) = d.app.get("/api/v1/complaints", &d.agent).await;
    assert!(list["items"].as_array().unwrap().is_empty(), "nothing half-written");
    let c = open(&d, t, json!({"source": "customer", "severity": "normal", "summary": "缺件"})).await;
    let id = c["id"].as_i64().unwrap();
    step(&d, &d.agent, id, "acknowledge", json!({})).await;
    let (s, e) = d
        .app
        .post(&format!("/api/v1/complaints/{id}/claim"), &d.agent, json!({"claim": "缺一件", "demand": ""}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["field"], "demand");
    step(&d, &d.agent, id, "claim", json!({"claim": "缺一件", "demand": "补发"})).await;
    let (s, e) = d
        .app
        .post(
            &format!("/api/v1/complaints/{id}/investigation"),
            &d.agent,
            json!({"department_id": 999_999, "request": "核查"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["field"], "department_id");
    let (_, td) = d.app.get(&format!("/api/v1/tickets/{t}"), &d.agent).await;
    assert_eq!(td["ticket"]["status"], "open", "no department task was opened");
}
both_backends!(bad_input_names_the_field);

async fn a_major_complaint_needs_a_supervisor(backend: Backend) {
    let d = desk(backend).await;
    let cust = customer(&d, "周九", "13100008888").await;
    let t = ticket(&d, cust, "E-7001").await;
    let c = open(&d, t, json!({"source": "customer", "severity": "major", "summary": "商品起火，险些伤人"}))
        .await;
    let id = c["id"].as_i64().unwrap();
    let due = Millis::parse_rfc3339(c["due_at"].as_str().unwrap()).unwrap();
    let received = Millis::parse_rfc3339(c["workflow"]["received_at"].as_str().unwrap()).unwrap();
    assert_eq!(due.0 - received.0, 3_600_000, "重大: one hour");
    let (s, e) = d.app.post(&format!("/api/v1/complaints/{id}/acknowledge"), &d.agent, json!({})).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{e}");
    step(&d, &d.supervisor, id, "acknowledge", json!({})).await;
}
both_backends!(a_major_complaint_needs_a_supervisor);

async fn two_commands_race_one_wins(backend: Backend) {
    let d = desk(backend).await;
    let cust = customer(&d, "吴十", "13000009999").await;
    let t = ticket(&d, cust, "E-8001").await;
    let c = open(&d, t, json!({"source": "customer", "severity": "normal", "summary": "重复扣款"})).await;
    let id = c["id"].as_i64().unwrap();
    let path = format!("/api/v1/complaints/{id}/acknowledge");
    let (a, b) = tokio::join!(
        d.app.post(&path, &d.agent, json!({"note": "甲受理"})),
        d.app.post(&path, &d.supervisor, json!({"note": "乙受理"}))
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT], "{a:?} {b:?}");
    let (_, detail) = d.app.get(&format!("/api/v1/complaints/{id}"), &d.agent).await;
    let acks = detail["events"].as_array().unwrap().iter().filter(|e| e["type"] == "acknowledged").count();
    assert_eq!(acks, 1, "{detail}");
    assert_eq!(timeline(&d, t).await.len(), 2, "one opening, one acknowledgement");
}
both_backends!(two_commands_race_one_wins);
