use super::case::*;
use super::eligibility::*;
use super::*;
use crate::calendar::{BusinessCalendar, WeeklyHours};
use crate::error::ErrorCode;
use crate::time::Millis;

/// An instant given in Beijing time, "YYYY-MM-DD HH:MM".
fn bj(s: &str) -> Millis {
    let dt: jiff::civil::DateTime = s.parse().expect("date time");
    Millis(
        dt.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").expect("tz"))
            .expect("zoned")
            .timestamp()
            .as_millisecond(),
    )
}

fn cal() -> BusinessCalendar {
    BusinessCalendar::china(WeeklyHours::always_open())
}

fn signed(at: &str) -> ItemFacts {
    ItemFacts {
        shipped_at: Some(bj("2020-01-02 08:00")),
        signed_at: Some(bj(at)),
        flags: ItemFlags::default(),
    }
}

fn ask(kind: AfterSalesKind, reason: Reason, at: &str, proofs: &[Proof]) -> AfterSalesRequest {
    AfterSalesRequest { kind, reason, at: bj(at), proofs: proofs.to_vec() }
}

fn judge(item: &ItemFacts, req: &AfterSalesRequest) -> Verdict {
    evaluate(&cal(), &ReturnPolicy::default(), item, req)
}

use AfterSalesKind::*;

#[test]
fn seven_days_count_from_the_day_after_sign_for_and_end_at_midnight() {
    // Signed Tuesday 10 March 2026 at 10:00: days 11..17 March; the last day ends at 24:00 on the 17th.
    let item = signed("2026-03-10 10:00");
    let last_minute = judge(&item, &ask(ReturnRefund, Reason::NoReason, "2026-03-17 23:59", &[]));
    assert_eq!((last_minute.outcome, last_minute.rule), (Outcome::Eligible, "no_reason_within_window"));
    assert_eq!(last_minute.deadline, Some(bj("2026-03-18 00:00")));
    assert!(last_minute.explanation.contains("2026年3月17日24时"), "{}", last_minute.explanation);
    assert!(last_minute.basis.contains("第二十五条"));
    let too_late = judge(&item, &ask(ReturnRefund, Reason::NoReason, "2026-03-18 00:00", &[]));
    assert_eq!((too_late.outcome, too_late.rule), (Outcome::NotEligible, "no_reason_expired"));
    // Signing just before midnight still starts the count the next day.
    let late_sign =
        judge(&signed("2026-03-10 23:59"), &ask(ReturnRefund, Reason::NoReason, "2026-03-17 12:00", &[]));
    assert_eq!(late_sign.deadline, Some(bj("2026-03-18 00:00")));
}

#[test]
fn windows_cross_month_ends_and_leap_days() {
    // 28 Jan 2026 (Wednesday) → 4 Feb (Wednesday, a working day).
    assert_eq!(window_end(&cal(), bj("2026-01-28 09:00"), 7), bj("2026-02-05 00:00"));
    // 25 Feb 2024 → 3 March 2024, a Sunday (29 Feb counts): ends on Monday 4 March.
    assert_eq!(window_end(&cal(), bj("2024-02-25 15:00"), 7), bj("2024-03-05 00:00"));
    // 31 Dec 2025 → 7 Jan 2026 (Wednesday).
    assert_eq!(window_end(&cal(), bj("2025-12-31 20:00"), 7), bj("2026-01-08 00:00"));
}

#[test]
fn a_last_day_on_a_holiday_moves_to_the_next_working_day_but_not_past_a_makeup_workday() {
    // Signed 26 Sep 2026: the last day, 3 Oct, falls in the National Day holiday (1–7 Oct); ends 8 Oct.
    let v = judge(&signed("2026-09-26 11:00"), &ask(ReturnRefund, Reason::NoReason, "2026-10-08 20:00", &[]));
    assert_eq!((v.outcome, v.deadline), (Outcome::Eligible, Some(bj("2026-10-09 00:00"))));
    // Signed 3 Oct 2026: the last day, Saturday 10 Oct, is a make-up workday (调休上班): no extension.
    let v = judge(&signed("2026-10-03 11:00"), &ask(ReturnRefund, Reason::NoReason, "2026-10-11 00:01", &[]));
    assert_eq!((v.outcome, v.deadline), (Outcome::NotEligible, Some(bj("2026-10-11 00:00"))));
    assert!(is_rest_day(&cal(), "2026-10-04".parse().expect("date")));
    assert!(!is_rest_day(&cal(), "2026-10-10".parse().expect("date")));
}

#[test]
fn each_exclusion_refuses_the_no_reason_return_with_its_rule() {
    type Case = (fn(&mut ItemFlags), &'static str, &'static str);
    let cases: [Case; 5] = [
        (|f| f.customised = true, "excluded_customised", "定作"),
        (|f| f.perishable = true, "excluded_perishable", "鲜活易腐"),
        (|f| f.digital_unsealed = true, "excluded_digital", "数字化商品"),
        (|f| f.periodical = true, "excluded_periodical", "报纸、期刊"),
        (|f| f.confirmed_non_returnable = true, "excluded_confirmed", "经消费者确认"),
    ];
    for (set, rule, words) in cases {
        let mut item = signed("2026-03-10 10:00");
        set(&mut item.flags);
        let v = judge(&item, &ask(ReturnRefund, Reason::NoReason, "2026-03-11 10:00", &[]));
        assert_eq!((v.outcome, v.rule), (Outcome::NotEligible, rule));
        assert!(v.explanation.contains(words), "{}", v.explanation);
        assert!(v.explanation.contains("质量问题"), "points to the quality route: {}", v.explanation);
        // The same goods with a quality problem are the seller's fault: Art. 24 applies.
        let q =
            judge(&item, &ask(ReturnRefund, Reason::QualityProblem, "2026-03-11 10:00", &[Proof::Photos]));
        assert_eq!((q.outcome, q.rule), (Outcome::Eligible, "quality_return"));
        assert!(q.basis.contains("第二十四条"));
    }
}

#[test]
fn presale_goods_need_review_and_member_tiers_extend_the_window() {
    let mut item = signed("2026-03-10 10:00");
    item.flags.presale = true;
    let v = judge(&item, &ask(ReturnRefund, Reason::NoReason, "2026-03-12 10:00", &[]));
    assert_eq!((v.outcome, v.rule), (Outcome::NeedsReview, "presale_review"));
    let gold = ReturnPolicy { member_extra_days: 7, ..ReturnPolicy::default() };
    let v = evaluate(
        &cal(),
        &gold,
        &signed("2026-03-10 10:00"),
        &ask(ReturnRefund, Reason::NoReason, "2026-03-20 10:00", &[]),
    );
    assert_eq!((v.outcome, v.deadline), (Outcome::Eligible, Some(bj("2026-03-25 00:00"))));
    assert!(v.explanation.contains("14日"));
}

#[test]
fn quality_problems_return_within_seven_days_then_exchange_or_repair() {
    let item = signed("2026-03-10 10:00");
    let ok = judge(&item, &ask(ReturnRefund, Reason::QualityProblem, "2026-03-17 10:00", &[Proof::Photos]));
    assert_eq!((ok.outcome, ok.rule), (Outcome::Eligible, "quality_return"));
    let late = judge(&item, &ask(ReturnRefund, Reason::QualityProblem, "2026-03-20 10:00", &[Proof::Photos]));
    assert_eq!((late.outcome, late.rule), (Outcome::NeedsReview, "quality_return_late"));
    assert!(late.explanation.contains("换货或维修"));
    let exchange = judge(&item, &ask(Exchange, Reason::QualityProblem, "2026-03-20 10:00", &[Proof::Photos]));
    assert_eq!((exchange.outcome, exchange.rule), (Outcome::Eligible, "quality_exchange"));
    let repair = judge(
        &item,
        &ask(Repair, Reason::QualityProblem, "2026-09-01 10:00", &[Proof::Photos, Proof::Invoice]),
    );
    assert_eq!((repair.outcome, repair.rule), (Outcome::Eligible, "quality_repair"));
    let expired = judge(
        &item,
        &ask(Repair, Reason::QualityProblem, "2027-04-01 10:00", &[Proof::Photos, Proof::Invoice]),
    );
    assert_eq!((expired.outcome, expired.rule), (Outcome::NeedsReview, "quality_repair_late"));
}

#[test]
fn missing_proof_is_named_before_anything_is_promised() {
    let item = signed("2026-03-10 10:00");
    let v = judge(&item, &ask(ReturnRefund, Reason::NotAsDescribed, "2026-03-12 10:00", &[Proof::Photos]));
    assert_eq!((v.outcome, v.rule), (Outcome::NeedsReview, "proof_missing"));
    assert_eq!(v.missing_proofs, vec![Proof::OrderScreenshot]);
    assert!(v.explanation.contains("订单截图"));
    let v = judge(&item, &ask(Repair, Reason::QualityProblem, "2026-03-12 10:00", &[Proof::Photos]));
    assert_eq!(v.missing_proofs, vec![Proof::Invoice]);
    assert_eq!(required_proofs(ReturnRefund, Reason::NoReason), vec![]);
}

#[test]
fn shipment_and_sign_for_decide_the_route() {
    let unshipped = ItemFacts { shipped_at: None, signed_at: None, flags: ItemFlags::default() };
    let v = judge(&unshipped, &ask(RefundOnly, Reason::NoReason, "2026-03-12 10:00", &[]));
    assert_eq!((v.outcome, v.rule), (Outcome::Eligible, "not_shipped_refund"));
    let v = judge(&unshipped, &ask(ReturnRefund, Reason::NoReason, "2026-03-12 10:00", &[]));
    assert_eq!((v.outcome, v.rule), (Outcome::NotEligible, "not_shipped_no_return"));
    let in_transit =
        ItemFacts { shipped_at: Some(bj("2026-03-10 10:00")), signed_at: None, flags: ItemFlags::default() };
    let v = judge(&in_transit, &ask(RefundOnly, Reason::NotReceived, "2026-03-12 10:00", &[]));
    assert_eq!((v.outcome, v.rule), (Outcome::NeedsReview, "not_received_check_logistics"));
    let v = judge(&in_transit, &ask(ReturnRefund, Reason::NoReason, "2026-03-12 10:00", &[]));
    assert_eq!((v.outcome, v.rule), (Outcome::NotEligible, "not_signed"));
    let item = signed("2026-03-10 10:00");
    let v = judge(&item, &ask(RefundOnly, Reason::NotReceived, "2026-03-12 10:00", &[]));
    assert_eq!((v.outcome, v.rule), (Outcome::NeedsReview, "signed_but_not_received"));
    let v = judge(&item, &ask(RefundOnly, Reason::NoReason, "2026-03-12 10:00", &[]));
    assert_eq!((v.outcome, v.rule), (Outcome::NotEligible, "no_reason_refund_only"));
    let v = judge(&item, &ask(Exchange, Reason::NoReason, "2026-03-12 10:00", &[]));
    assert_eq!((v.outcome, v.rule), (Outcome::NeedsReview, "no_reason_exchange"));
    let v = judge(&item, &ask(Repair, Reason::NoReason, "2026-03-12 10:00", &[]));
    assert_eq!((v.outcome, v.rule), (Outcome::NotEligible, "no_reason_repair"));
    let v = judge(&item, &ask(RefundOnly, Reason::QualityProblem, "2026-03-12 10:00", &[Proof::Photos]));
    assert_eq!((v.outcome, v.rule), (Outcome::NeedsReview, "quality_refund_only"));
}

#[test]
fn merchants_cannot_go_below_the_legal_minimum() {
    let bad = ReturnPolicy { no_reason_days: 5, ..ReturnPolicy::default() };
    let e = bad.validate().unwrap_err();
    assert_eq!((e.code, e.field.as_deref()), (ErrorCode::Validation, Some("no_reason_days")));
    let bad = ReturnPolicy { quality_return_days: 3, ..ReturnPolicy::default() };
    assert_eq!(bad.validate().unwrap_err().field.as_deref(), Some("quality_return_days"));
    let generous = ReturnPolicy {
        no_reason_days: 30,
        quality_return_days: 30,
        quality_exchange_days: 60,
        ..ReturnPolicy::default()
    };
    assert!(generous.validate().is_ok());
    let v = evaluate(
        &cal(),
        &generous,
        &signed("2026-03-10 10:00"),
        &ask(ReturnRefund, Reason::NoReason, "2026-04-01 10:00", &[]),
    );
    assert_eq!(v.outcome, Outcome::Eligible);
}

// ---- the case state machine ----

const MERCHANT: CaseActor = CaseActor::Merchant { user_id: 7 };

fn system() -> CaseActor {
    CaseActor::System { name: "aftersales_timer".into() }
}

fn run(
    st: &mut CaseState,
    cmd: CaseCommand,
    actor: &CaseActor,
    at: Millis,
) -> Result<Vec<CaseEvent>, crate::DomainError> {
    let events = decide(st, &cmd, actor, at, &CaseTimeouts::default(), "42")?;
    for e in &events {
        st.apply(e);
    }
    Ok(events)
}

fn requested(kind: AfterSalesKind, shipped: bool, at: Millis) -> CaseState {
    let mut st = CaseState::default();
    let cmd = CaseCommand::Request {
        kind,
        reason: Reason::NoReason,
        amount_fen: 12_900,
        goods_shipped: shipped,
        verdict_rule: "no_reason_within_window".into(),
    };
    run(&mut st, cmd, &CaseActor::Buyer, at).expect("request");
    st
}

fn refund_requests(events: &[CaseEvent]) -> usize {
    events.iter().filter(|e| matches!(e.kind, CaseEventKind::RefundRequested { .. })).count()
}

#[test]
fn return_and_refund_runs_the_whole_flow_and_refunds_once() {
    let t0 = bj("2026-03-12 10:00");
    let mut st = requested(ReturnRefund, true, t0);
    assert_eq!(st.status, CaseStatus::AwaitingMerchant);
    run(&mut st, CaseCommand::Agree, &MERCHANT, t0.plus_ms(3_600_000)).expect("agree");
    assert_eq!(st.status, CaseStatus::AwaitingReturn);
    let ship = CaseCommand::ShipReturn { carrier: "顺丰".into(), waybill: "SF1234567890".into() };
    assert_eq!(run(&mut st, ship.clone(), &MERCHANT, t0).unwrap_err().code, ErrorCode::Forbidden);
    run(&mut st, ship, &CaseActor::Buyer, t0.plus_ms(86_400_000)).expect("ship");
    assert_eq!(
        (st.status, st.return_waybill.as_deref()),
        (CaseStatus::AwaitingReceipt, Some("SF1234567890"))
    );
    let ev = run(
        &mut st,
        CaseCommand::ConfirmReceipt { condition: "包装完好".into() },
        &MERCHANT,
        t0.plus_ms(2 * 86_400_000),
    )
    .expect("receipt");
    assert_eq!(st.status, CaseStatus::Refunding);
    assert_eq!(refund_requests(&ev), 1);
    let key = ev.iter().find_map(|e| match &e.kind {
        CaseEventKind::RefundRequested { idempotency_key, amount_fen } => {
            Some((idempotency_key.clone(), *amount_fen))
        }
        _ => None,
    });
    assert_eq!(key, Some(("refund:42".into(), 12_900)));
    run(
        &mut st,
        CaseCommand::RefundFailed { error: "shop timeout".into() },
        &system(),
        t0.plus_ms(2 * 86_400_000 + 1),
    )
    .expect("failure is recorded");
    assert_eq!(st.status, CaseStatus::Refunding);
    run(
        &mut st,
        CaseCommand::RefundSucceeded { refund_ref: "RF-1".into() },
        &system(),
        t0.plus_ms(3 * 86_400_000),
    )
    .expect("refunded");
    assert_eq!((st.status, st.refund_ref.as_deref()), (CaseStatus::Refunded, Some("RF-1")));
    // A refund is never executed twice.
    let again = run(
        &mut st,
        CaseCommand::RefundSucceeded { refund_ref: "RF-2".into() },
        &system(),
        t0.plus_ms(4 * 86_400_000),
    );
    assert_eq!(again.unwrap_err().code, ErrorCode::Conflict);
    assert!(st.status.is_final());
}

#[test]
fn unanswered_requests_are_agreed_or_refunded_automatically_by_rule() {
    let t0 = bj("2026-03-12 10:00");
    // Not shipped: 48 hours, then the refund is made.
    let mut st = requested(RefundOnly, false, t0);
    assert_eq!(
        st.next_limit(&CaseTimeouts::default()),
        Some((TimeLimit::MerchantResponse, t0.plus_ms(48 * 3_600_000)))
    );
    let early = run(
        &mut st,
        CaseCommand::Expire { limit: TimeLimit::MerchantResponse },
        &system(),
        t0.plus_ms(47 * 3_600_000),
    );
    assert_eq!(early.unwrap_err().code, ErrorCode::Conflict);
    let ev = run(
        &mut st,
        CaseCommand::Expire { limit: TimeLimit::MerchantResponse },
        &system(),
        t0.plus_ms(48 * 3_600_000),
    )
    .expect("expire");
    assert!(ev
        .iter()
        .any(|e| e.kind == CaseEventKind::Agreed { rule: Some("auto_refund_unshipped".into()) }));
    assert_eq!((st.status, refund_requests(&ev)), (CaseStatus::Refunding, 1));
    // Shipped: 5 days, then the return is agreed.
    let mut st = requested(ReturnRefund, true, t0);
    assert!(run(
        &mut st,
        CaseCommand::Expire { limit: TimeLimit::MerchantResponse },
        &system(),
        t0.plus_ms(4 * 86_400_000)
    )
    .is_err());
    run(
        &mut st,
        CaseCommand::Expire { limit: TimeLimit::MerchantResponse },
        &system(),
        t0.plus_ms(5 * 86_400_000),
    )
    .expect("auto agree");
    assert_eq!(st.status, CaseStatus::AwaitingReturn);
    // The buyer does not ship within 7 days: the case closes.
    let agreed = t0.plus_ms(5 * 86_400_000);
    let ev = run(
        &mut st,
        CaseCommand::Expire { limit: TimeLimit::BuyerShipment },
        &system(),
        agreed.plus_ms(7 * 86_400_000),
    )
    .expect("close");
    assert!(ev.iter().any(|e| e.kind == CaseEventKind::Closed { rule: "buyer_did_not_ship".into() }));
    assert_eq!(st.status, CaseStatus::Closed);
    // Only the scheduler expires limits.
    let mut st = requested(RefundOnly, false, t0);
    assert!(run(
        &mut st,
        CaseCommand::Expire { limit: TimeLimit::MerchantResponse },
        &CaseActor::Buyer,
        t0.plus_ms(49 * 3_600_000)
    )
    .is_err());
}

#[test]
fn an_unconfirmed_receipt_lets_the_refund_proceed_after_ten_days() {
    let t0 = bj("2026-03-12 10:00");
    let mut st = requested(ReturnRefund, true, t0);
    run(&mut st, CaseCommand::Agree, &MERCHANT, t0).expect("agree");
    run(
        &mut st,
        CaseCommand::ShipReturn { carrier: "中通".into(), waybill: "ZT1".into() },
        &CaseActor::Buyer,
        t0,
    )
    .expect("ship");
    assert_eq!(st.next_limit(&CaseTimeouts::default()).map(|l| l.1), Some(t0.plus_ms(10 * 86_400_000)));
    let ev = run(
        &mut st,
        CaseCommand::Expire { limit: TimeLimit::MerchantReceipt },
        &system(),
        t0.plus_ms(10 * 86_400_000),
    )
    .expect("auto");
    assert!(ev.iter().any(
        |e| matches!(&e.kind, CaseEventKind::GoodsReceived { rule: Some(r), .. } if r == "auto_receipt")
    ));
    assert_eq!(st.status, CaseStatus::Refunding);
}

#[test]
fn exchanges_and_repairs_end_when_the_goods_go_back() {
    for (kind, end) in [(Exchange, CaseStatus::Exchanged), (Repair, CaseStatus::Repaired)] {
        let t0 = bj("2026-03-12 10:00");
        let mut st = requested(kind, true, t0);
        run(&mut st, CaseCommand::Agree, &MERCHANT, t0).expect("agree");
        run(
            &mut st,
            CaseCommand::ShipReturn { carrier: "顺丰".into(), waybill: "SF1".into() },
            &CaseActor::Buyer,
            t0,
        )
        .expect("ship");
        let ev = run(&mut st, CaseCommand::ConfirmReceipt { condition: "屏幕碎裂".into() }, &MERCHANT, t0)
            .expect("receipt");
        assert_eq!((st.status, refund_requests(&ev)), (CaseStatus::AwaitingResend, 0));
        run(
            &mut st,
            CaseCommand::ShipResend { carrier: "顺丰".into(), waybill: "SF2".into() },
            &MERCHANT,
            t0,
        )
        .expect("resend");
        assert_eq!(st.status, end);
    }
}

#[test]
fn a_disputed_rejection_goes_to_the_platform() {
    let t0 = bj("2026-03-12 10:00");
    let mut st = requested(ReturnRefund, true, t0);
    let empty = run(&mut st, CaseCommand::Reject { reason: "  ".into() }, &MERCHANT, t0);
    assert_eq!(empty.unwrap_err().field.as_deref(), Some("reason"));
    run(&mut st, CaseCommand::Reject { reason: "商品已使用".into() }, &MERCHANT, t0).expect("reject");
    assert_eq!((st.status, st.rejection.as_deref()), (CaseStatus::Rejected, Some("商品已使用")));
    run(&mut st, CaseCommand::Dispute { reason: "未使用，有视频".into() }, &CaseActor::Buyer, t0)
        .expect("dispute");
    assert_eq!(st.status, CaseStatus::PlatformIntervention);
    let by_merchant =
        run(&mut st, CaseCommand::PlatformDecide { for_buyer: true, note: "x".into() }, &MERCHANT, t0);
    assert_eq!(by_merchant.unwrap_err().code, ErrorCode::Forbidden);
    let mut lost = st.clone();
    run(
        &mut st,
        CaseCommand::PlatformDecide { for_buyer: true, note: "支持买家退货".into() },
        &CaseActor::Platform { user_id: 1 },
        t0,
    )
    .expect("decide");
    assert_eq!(st.status, CaseStatus::AwaitingReturn);
    run(
        &mut lost,
        CaseCommand::PlatformDecide { for_buyer: false, note: "证据不足".into() },
        &CaseActor::Platform { user_id: 1 },
        t0,
    )
    .expect("decide");
    assert_eq!(lost.status, CaseStatus::Closed);
}

#[test]
fn the_buyer_cancels_only_before_the_goods_are_on_their_way() {
    let t0 = bj("2026-03-12 10:00");
    let mut st = requested(ReturnRefund, true, t0);
    run(&mut st, CaseCommand::Agree, &MERCHANT, t0).expect("agree");
    run(
        &mut st,
        CaseCommand::ShipReturn { carrier: "顺丰".into(), waybill: "SF1".into() },
        &CaseActor::Buyer,
        t0,
    )
    .expect("ship");
    assert_eq!(
        run(&mut st, CaseCommand::Cancel, &CaseActor::Buyer, t0).unwrap_err().code,
        ErrorCode::Conflict
    );
    let mut st = requested(ReturnRefund, true, t0);
    run(&mut st, CaseCommand::Cancel, &CaseActor::Buyer, t0).expect("cancel");
    assert_eq!(st.status, CaseStatus::Cancelled);
    assert!(run(&mut st, CaseCommand::Agree, &MERCHANT, t0).is_err());
    // Nothing happens to a case never requested.
    let mut none = CaseState::default();
    assert!(run(&mut none, CaseCommand::Agree, &MERCHANT, t0).is_err());
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn any_command() -> impl Strategy<Value = (CaseCommand, u8)> {
        let cmd = prop_oneof![
            Just(CaseCommand::Agree),
            Just(CaseCommand::Reject { reason: "理由".into() }),
            Just(CaseCommand::ShipReturn { carrier: "顺丰".into(), waybill: "SF".into() }),
            Just(CaseCommand::ConfirmReceipt { condition: "完好".into() }),
            Just(CaseCommand::RefundSucceeded { refund_ref: "RF".into() }),
            Just(CaseCommand::RefundFailed { error: "e".into() }),
            Just(CaseCommand::ShipResend { carrier: "顺丰".into(), waybill: "SF".into() }),
            Just(CaseCommand::Cancel),
            Just(CaseCommand::Dispute { reason: "不同意".into() }),
            Just(CaseCommand::PlatformDecide { for_buyer: true, note: "n".into() }),
            Just(CaseCommand::PlatformDecide { for_buyer: false, note: "n".into() }),
            Just(CaseCommand::Expire { limit: TimeLimit::MerchantResponse }),
            Just(CaseCommand::Expire { limit: TimeLimit::BuyerShipment }),
            Just(CaseCommand::Expire { limit: TimeLimit::MerchantReceipt }),
        ];
        (cmd, 0u8..4)
    }

    proptest! {
        /// Whatever anyone does in any order, the refund is asked of the shop once at most and recorded
        /// once at most, and a final case accepts no further change.
        #[test]
        fn refunds_happen_at_most_once(kind in 0u8..4, shipped: bool, cmds in proptest::collection::vec(any_command(), 0..40)) {
            let kind = [RefundOnly, ReturnRefund, Exchange, Repair][kind as usize];
            let mut t = bj("2026-03-12 10:00");
            let mut st = requested(kind, shipped, t);
            let mut asked = 0;
            let mut refunded = 0;
            for (cmd, who) in cmds {
                t = t.plus_ms(2 * 86_400_000);
                let actor = match who { 0 => CaseActor::Buyer, 1 => MERCHANT, 2 => CaseActor::Platform { user_id: 1 }, _ => system() };
                let was_final = st.status.is_final();
                if let Ok(ev) = run(&mut st, cmd, &actor, t) {
                    prop_assert!(!was_final || ev.is_empty(), "a final case changed: {:?}", ev);
                    asked += refund_requests(&ev);
                    refunded += ev.iter().filter(|e| matches!(e.kind, CaseEventKind::Refunded { .. })).count();
                }
            }
            prop_assert!(asked <= 1 && refunded <= 1 && refunded <= asked);
            if !matches!(kind, RefundOnly | ReturnRefund) { prop_assert_eq!(asked, 0); }
        }
    }
}
