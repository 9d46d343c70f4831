//! The customer's after-sales page (售后申请) behind a signed link, on both backends: the link opens only
//! its ticket's customer's orders, the verdict is shown before submitting, a request with a proof photo
//! opens a case that appears in the ticket's timeline, another customer's order or case is not found,
//! bad input names the field with nothing written, the return waybill entered by the customer moves the
//! case, and forged, moved, foreign-purpose or expired links are refused.

use crate::both_backends;
use crate::common::{Backend, TestApp};
use crate::webhooks::two_merchants;
use base64::Engine;
use kefu_core::org::Role;
use kefu_core::time::Millis;
use reqwest::StatusCode;
use serde_json::{json, Value};

const DAY: i64 = 86_400_000;

struct World {
    app: TestApp,
    agent: String,
    /// Merchant B's admin.
    other: String,
    ticket: i64,
    /// The ticket customer's order and another customer's order of the same merchant.
    mine: i64,
    theirs: i64,
    token: String,
    /// No redirects followed, so the 303 after a submission is seen.
    http: reqwest::Client,
}

fn png() -> Vec<u8> {
    // A 1×1 PNG.
    base64::engine::general_purpose::STANDARD
        .decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
        .unwrap()
}

async fn push(app: &TestApp, admin: &str, merchant: i64, no: &str, buyer: &str) -> i64 {
    let now = kefu_server::auth::now();
    let o = json!({
        "order_no": no, "customer": {"account_id": buyer, "name": "小王"}, "status": "signed",
        "items": [
            {"sku": "CUP-1", "name": "保温杯", "quantity": 2, "price_fen": 5900},
            {"sku": "CAKE-1", "name": "生日蛋糕（定制）", "quantity": 1, "price_fen": 19900, "flags": {"customised": true}}
        ],
        "total_fen": 31700, "paid_fen": 31700,
        "ordered_at": Millis(now.0 - 10 * DAY).to_rfc3339(), "paid_at": Millis(now.0 - 10 * DAY).to_rfc3339(),
        "shipping_company": "顺丰", "waybill": "SF100",
        "shipped_at": Millis(now.0 - 3 * DAY).to_rfc3339(), "signed_at": Millis(now.0 - 2 * DAY).to_rfc3339(),
        "updated_at": Millis(now.0 - 1000).to_rfc3339()
    });
    let (s, b) = app.post("/api/v1/orders", admin, json!({"merchant_id": merchant, "orders": [o]})).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (_, list) = app.get(&format!("/api/v1/orders?order_no={no}"), admin).await;
    list["items"][0]["id"].as_i64().unwrap()
}

async fn world(backend: Backend) -> World {
    let app = TestApp::spawn(backend).await;
    let (_admin, merchants, [shop_admin, other]) = two_merchants(&app).await;
    app.user("p.agent", Role::Agent, Some(merchants[0])).await;
    let agent = app.login("p.agent").await;
    let mine = push(&app, &shop_admin, merchants[0], "P-MINE-1", "buyer-mine").await;
    let theirs = push(&app, &shop_admin, merchants[0], "P-THEIRS-1", "buyer-theirs").await;
    let (_, o) = app.get(&format!("/api/v1/orders/{mine}"), &agent).await;
    let customer = o["customer_id"].as_i64().unwrap();
    let (s, t) = app
        .post(
            "/api/v1/tickets",
            &agent,
            json!({"customer_id": customer, "channel": "web", "subject": "杯子有裂痕", "body": "收到的杯子有裂痕"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    let ticket = t["id"].as_i64().unwrap();
    let (s, link) = app.post(&format!("/api/v1/tickets/{ticket}/aftersales-link"), &agent, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{link}");
    let url = link["url"].as_str().unwrap();
    assert!(url.contains("/after-sales?token=kas_"), "{url}");
    let token = url.split("token=").nth(1).unwrap().to_string();
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    World { app, agent, other, ticket, mine, theirs, token, http }
}

impl World {
    async fn page(&self, query: &str) -> (StatusCode, String) {
        let r = self.http.get(format!("{}/after-sales?{query}", self.app.base)).send().await.unwrap();
        (r.status(), r.text().await.unwrap())
    }

    async fn own_page(&self, extra: &str) -> (StatusCode, String) {
        self.page(&format!("token={}{extra}", self.token)).await
    }

    /// Submit the request form (multipart) with `files` as (field, name, bytes).
    async fn request(
        &self,
        fields: &[(&str, String)],
        files: &[(&str, &str, Vec<u8>)],
    ) -> (StatusCode, String, String) {
        let boundary = "kefu-test-9f1c2e";
        let mut body: Vec<u8> = Vec::new();
        for (k, v) in fields {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                    .as_bytes(),
            );
        }
        for (k, name, bytes) in files {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let r = self
            .http
            .post(format!("{}/after-sales/request", self.app.base))
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .body(body)
            .send()
            .await
            .unwrap();
        let location =
            r.headers().get("location").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        (r.status(), location, r.text().await.unwrap())
    }

    fn fields(
        &self,
        order: i64,
        sku: &str,
        quantity: &str,
        kind: &str,
        reason: &str,
    ) -> Vec<(&'static str, String)> {
        vec![
            ("token", self.token.clone()),
            ("item", format!("{order}:{sku}")),
            ("quantity", quantity.to_string()),
            ("kind", kind.to_string()),
            ("reason", reason.to_string()),
            ("description", "杯盖有裂痕，见照片".to_string()),
        ]
    }

    async fn ship(
        &self,
        token: &str,
        case: i64,
        carrier: &str,
        waybill: &str,
    ) -> (StatusCode, String, String) {
        let r = self
            .http
            .post(format!("{}/after-sales/return", self.app.base))
            .form(&[
                ("token", token),
                ("case_id", &case.to_string()),
                ("carrier", carrier),
                ("waybill", waybill),
            ])
            .send()
            .await
            .unwrap();
        let location =
            r.headers().get("location").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        (r.status(), location, r.text().await.unwrap())
    }

    async fn cases(&self) -> Vec<Value> {
        let (s, l) =
            self.app.get(&format!("/api/v1/aftersales?ticket_id={}", self.ticket), &self.agent).await;
        assert_eq!(s, StatusCode::OK, "{l}");
        l["items"].as_array().unwrap().clone()
    }
}

fn field_of(html: &str) -> &str {
    let at = html.find("data-field=\"").map(|i| i + 12).unwrap_or(0);
    html[at..].split('"').next().unwrap_or("")
}

async fn the_link_opens_only_its_customers_orders(backend: Backend) {
    let w = world(backend).await;
    // Another merchant cannot make a link for this ticket.
    let (s, e) =
        w.app.post(&format!("/api/v1/tickets/{}/aftersales-link", w.ticket), &w.other, json!({})).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{e}");

    let (s, html) = w.own_page("").await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(html.contains("P-MINE-1") && html.contains("保温杯") && html.contains("¥59.00"), "{html}");
    assert!(!html.contains("P-THEIRS-1"), "another customer's order never shows");
    assert!(html.contains("定制"), "the customised flag is shown");
    assert!(html.contains("width=device-width"));
    let (_, en) = w.own_page("&lang=en").await;
    assert!(en.contains("lang=\"en\"") && en.contains("My orders"), "{en}");

    // The verdict, explained, before anything is submitted.
    let q = |order: i64, sku: &str, kind: &str, reason: &str| {
        format!("&item={order}:{sku}&quantity=1&kind={kind}&reason={reason}")
    };
    let (s, html) = w.own_page(&q(w.mine, "CUP-1", "return_refund", "no_reason")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("data-outcome=\"eligible\"") && html.contains("第二十五条"), "{html}");
    assert!(html.contains("data-test=\"aftersales-request-form\""), "an eligible item can be requested");
    let (_, html) = w.own_page(&q(w.mine, "CAKE-1", "return_refund", "no_reason")).await;
    assert!(html.contains("data-outcome=\"not_eligible\"") && html.contains("定作"), "{html}");
    assert!(!html.contains("data-test=\"aftersales-request-form\""), "no request form when not eligible");
    // Another customer's order, even of the same merchant, is not found.
    let (s, html) = w.own_page(&q(w.theirs, "CUP-1", "return_refund", "no_reason")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(!html.contains("P-THEIRS-1"));
}
both_backends!(the_link_opens_only_its_customers_orders);

async fn a_request_with_proof_opens_a_case_and_the_return_waybill_moves_it(backend: Backend) {
    let w = world(backend).await;
    let fields = w.fields(w.mine, "CUP-1", "1", "return_refund", "quality_problem");
    // A phone photo is larger than the server's default request limit (1 MiB): the form takes it.
    let mut photo = png();
    photo.resize(3 * 1024 * 1024, 0);
    let (s, location, body) = w.request(&fields, &[("photos", "杯盖裂痕.png", photo)]).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");
    assert!(location.contains("sent="), "{location}");

    let cases = w.cases().await;
    assert_eq!(cases.len(), 1, "{cases:?}");
    let c = &cases[0];
    let id = c["id"].as_i64().unwrap();
    assert_eq!(c["kind"], "return_refund");
    assert_eq!(c["reason"], "quality_problem");
    assert_eq!(c["status"], "awaiting_merchant");
    assert_eq!(c["amount_fen"], 5900);
    assert_eq!(c["description"], "杯盖有裂痕，见照片");
    assert_eq!(c["verdict"]["outcome"], "eligible", "the photo was the proof a quality problem needs: {c}");
    assert_eq!(c["proofs"][0]["kind"], "photos");
    // The photo is an attachment of the ticket, and the request is a step of its timeline.
    let (_, t) = w.app.get(&format!("/api/v1/tickets/{}", w.ticket), &w.agent).await;
    let att = &t["attachments"][0];
    assert_eq!(att["file_name"], "杯盖裂痕.png", "{t}");
    assert_eq!(att["mime"], "image/png");
    assert_eq!(c["proofs"][0]["attachment_id"], att["id"]);
    let (_, ev) = w.app.get(&format!("/api/v1/tickets/{}/events", w.ticket), &w.agent).await;
    let steps: Vec<&Value> =
        ev.as_array().unwrap().iter().filter(|e| e.to_string().contains("after_sales_recorded")).collect();
    assert_eq!(steps.len(), 1, "{ev}");
    assert!(steps[0].to_string().contains("申请退货退款"), "{}", steps[0]);
    assert_eq!(steps[0]["actor"]["kind"], "customer", "{}", steps[0]);

    // The customer's page shows the case and what happens next.
    let (_, html) = w.own_page(&format!("&sent={id}")).await;
    assert!(
        html.contains(&format!("data-case-id=\"{id}\""))
            && html.contains("data-status=\"awaiting_merchant\"")
    );
    assert!(html.contains("已提交售后申请") && !html.contains("aftersales-return-form"), "{html}");
    // The same item again while the case is open: refused, nothing more stored.
    let (s, _, html) = w.request(&fields, &[("photos", "again.png", png())]).await;
    assert_eq!(s, StatusCode::CONFLICT, "{html}");
    assert!(html.contains(&format!("#{id}")));
    let (_, t) = w.app.get(&format!("/api/v1/tickets/{}", w.ticket), &w.agent).await;
    assert_eq!(t["attachments"].as_array().unwrap().len(), 1, "a refused request stores no file");

    // The merchant agrees; the customer is asked for the return parcel and enters it.
    let (s, c) = w.app.post(&format!("/api/v1/aftersales/{id}/agree"), &w.agent, json!({})).await;
    assert_eq!(s, StatusCode::OK, "{c}");
    let (_, html) = w.own_page("").await;
    assert!(
        html.contains("data-status=\"awaiting_return\"") && html.contains("aftersales-return-form"),
        "{html}"
    );
    let (s, _, html) = w.ship(&w.token, id, "顺丰", "  ").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_of(&html), "waybill", "{html}");
    let (s, _, html) = w.ship(&w.token, id, "", "SF300").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_of(&html), "carrier", "{html}");
    let (s, location, html) = w.ship(&w.token, id, "顺丰", "SF2026120399").await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{html}");
    assert!(location.contains(&format!("shipped={id}")));
    let (_, d) = w.app.get(&format!("/api/v1/aftersales/{id}"), &w.agent).await;
    assert_eq!(d["status"], "awaiting_receipt", "{d}");
    assert_eq!(d["return_waybill"], "SF2026120399");
    assert_eq!(d["return_carrier"], "顺丰");
    assert_eq!(d["time_limit"], "merchant_receipt");
    let shipped = d["events"].as_array().unwrap().iter().find(|e| e["type"] == "return_shipped").unwrap();
    assert_eq!(shipped["actor"]["kind"], "buyer");
    let (_, html) = w.own_page("").await;
    assert!(html.contains("data-status=\"awaiting_receipt\"") && html.contains("SF2026120399"), "{html}");
    // Entering it twice is refused by the case's state machine.
    let (s, _, _) = w.ship(&w.token, id, "顺丰", "SF2026120400").await;
    assert_eq!(s, StatusCode::CONFLICT);
}
both_backends!(a_request_with_proof_opens_a_case_and_the_return_waybill_moves_it);

async fn bad_input_and_other_customers_are_refused(backend: Backend) {
    let w = world(backend).await;
    let bad: Vec<(Vec<(&str, String)>, &str)> = vec![
        (w.fields(w.mine, "CUP-1", "3", "return_refund", "no_reason"), "quantity"),
        (w.fields(w.mine, "CUP-1", "zero", "return_refund", "no_reason"), "quantity"),
        (w.fields(w.mine, "CUP-1", "1", "swap", "no_reason"), "kind"),
        (w.fields(w.mine, "CUP-1", "1", "return_refund", "bored"), "reason"),
        (w.fields(w.mine, "NOPE-1", "1", "return_refund", "no_reason"), "item"),
        (w.fields(w.mine, "CAKE-1", "1", "return_refund", "no_reason"), "item"),
    ];
    for (fields, field) in bad {
        let (s, _, html) = w.request(&fields, &[]).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {html}");
        assert_eq!(field_of(&html), field, "{html}");
    }
    let mut long = w.fields(w.mine, "CUP-1", "1", "return_refund", "no_reason");
    long[5].1 = "长".repeat(2001);
    let (s, _, html) = w.request(&long, &[]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_of(&html), "description");
    // A file that is not what its name says.
    let fields = w.fields(w.mine, "CUP-1", "1", "return_refund", "quality_problem");
    let (s, _, html) =
        w.request(&fields, &[("photos", "photo.png", b"MZ\x90\x00 not a picture".to_vec())]).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert_eq!(field_of(&html), "photos", "{html}");
    // Another customer's order: not found.
    let fields = w.fields(w.theirs, "CUP-1", "1", "return_refund", "no_reason");
    let (s, _, html) = w.request(&fields, &[("photos", "p.png", png())]).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{html}");
    // Nothing was written by any of these.
    assert!(w.cases().await.is_empty());
    let (_, t) = w.app.get(&format!("/api/v1/tickets/{}", w.ticket), &w.agent).await;
    assert_eq!(t["attachments"], json!([]), "{t}");

    // Another customer's case cannot be moved through this link.
    let (_, o) = w.app.get(&format!("/api/v1/orders/{}", w.theirs), &w.agent).await;
    let (_, t2) = w
        .app
        .post(
            "/api/v1/tickets",
            &w.agent,
            json!({"customer_id": o["customer_id"], "channel": "web", "subject": "退货", "body": "退货"}),
        )
        .await;
    let (s, c) = w
        .app
        .post(
            "/api/v1/aftersales",
            &w.agent,
            json!({"order_id": w.theirs, "ticket_id": t2["id"], "kind": "return_refund", "reason": "no_reason",
                   "items": [{"sku": "CUP-1", "quantity": 1}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let theirs = c["id"].as_i64().unwrap();
    w.app.post(&format!("/api/v1/aftersales/{theirs}/agree"), &w.agent, json!({})).await;
    let (s, _, _) = w.ship(&w.token, theirs, "顺丰", "SF999").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, d) = w.app.get(&format!("/api/v1/aftersales/{theirs}"), &w.agent).await;
    assert_eq!(d["status"], "awaiting_return", "unchanged");
    let (_, html) = w.own_page("").await;
    assert!(!html.contains(&format!("data-case-id=\"{theirs}\"")), "another customer's case never shows");
}
both_backends!(bad_input_and_other_customers_are_refused);

async fn forged_moved_foreign_and_expired_links_are_refused(backend: Backend) {
    let w = world(backend).await;
    let mut forged = w.token.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == '0' { '1' } else { '0' });
    let moved = w.token.replacen(&format!("kas_{}_", w.ticket), &format!("kas_{}_", w.ticket + 1), 1);
    let (_, status) =
        w.app.post(&format!("/api/v1/tickets/{}/status-link", w.ticket), &w.agent, json!({})).await;
    let status_token = status["url"].as_str().unwrap().split("token=").nth(1).unwrap().to_string();
    let swapped = status_token.replacen("kst_", "kas_", 1);
    for bad in [forged, moved, status_token, swapped, "nonsense".to_string()] {
        let (s, html) = w.page(&format!("token={bad}")).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{bad}");
        assert!(html.contains("链接无效") && !html.contains("P-MINE-1"), "{bad}: {html}");
        let fields = vec![("token", bad.clone()), ("item", format!("{}:CUP-1", w.mine))];
        let (s, _, _) = w.request(&fields, &[]).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{bad}");
    }
    let old = kefu_server::api::aftersales_page::sign(&w.app.state(), w.ticket, 1_000).await.unwrap();
    let (s, html) = w.page(&format!("token={old}")).await;
    assert_eq!(s, StatusCode::GONE);
    assert!(html.contains("已过期"));
    let (s, _, _) = w.ship(&old, 1, "顺丰", "SF1").await;
    assert_eq!(s, StatusCode::GONE);
    // A ticket without a customer gets no link.
    let (_, t) = w
        .app
        .post("/api/v1/tickets", &w.agent, json!({"channel": "web", "subject": "咨询", "body": "你好"}))
        .await;
    let (s, e) =
        w.app.post(&format!("/api/v1/tickets/{}/aftersales-link", t["id"]), &w.agent, json!({})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    assert_eq!(e["error"]["field"], "customer_id");
}
both_backends!(forged_moved_foreign_and_expired_links_are_refused);
