//! Latency of the after-sales eligibility engine (资格判定) per order item, on one thread.
//!
//! Run with `cargo run --release -p kefu-core --example bench_eligibility` (or `scripts/bench-aftersales.sh`).
//! Evaluates 200,000 varied requests — every kind and reason, items with and without exclusion flags,
//! signed on dates spread over 2024–2026 so windows end on weekdays, weekends, holidays and make-up
//! workdays, asked inside and outside the windows, with and without proofs — against the shipped PRC
//! calendar. Prints p50 / p99 / max per item and the share of each outcome.
//!
//! Target: under 50 µs per order item.

use std::hint::black_box;
use std::time::{Duration, Instant};

use kefu_core::aftersales::eligibility::AfterSalesRequest;
use kefu_core::aftersales::eligibility::{evaluate, ItemFacts, ItemFlags, Outcome, ReturnPolicy};
use kefu_core::aftersales::{AfterSalesKind, Proof, Reason};
use kefu_core::calendar::{BusinessCalendar, WeeklyHours};
use kefu_core::time::Millis;

const N: usize = 200_000;
const START: i64 = 1_704_038_400_000; // 2024-01-01 00:00 Beijing time
const DAY: i64 = 86_400_000;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let cal = BusinessCalendar::china(WeeklyHours::always_open());
    let policies =
        [ReturnPolicy::default(), ReturnPolicy { member_extra_days: 7, ..ReturnPolicy::default() }];
    let kinds = [
        AfterSalesKind::RefundOnly,
        AfterSalesKind::ReturnRefund,
        AfterSalesKind::Exchange,
        AfterSalesKind::Repair,
    ];
    let reasons = [
        Reason::NoReason,
        Reason::QualityProblem,
        Reason::NotAsDescribed,
        Reason::WrongItem,
        Reason::DamagedInTransit,
        Reason::NotReceived,
    ];
    // A cheap deterministic generator (xorshift) so runs are comparable.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut inputs = Vec::with_capacity(N);
    for _ in 0..N {
        let r = next();
        let signed_day = (r % 1000) as i64;
        let shipped = r % 17 != 0;
        let signed = shipped && r % 13 != 0;
        let flags = ItemFlags {
            customised: r % 11 == 0,
            perishable: r % 23 == 0,
            digital_unsealed: r % 29 == 0,
            periodical: r % 31 == 0,
            presale: r % 37 == 0,
            confirmed_non_returnable: r % 41 == 0,
        };
        let sign_at = Millis(START + signed_day * DAY + (r % DAY as u64) as i64);
        let item = ItemFacts {
            shipped_at: shipped.then_some(Millis(sign_at.0 - 2 * DAY)),
            signed_at: signed.then_some(sign_at),
            flags,
        };
        let proofs = match (r >> 8) % 3 {
            0 => vec![],
            1 => vec![Proof::Photos],
            _ => vec![Proof::OrderScreenshot, Proof::Photos, Proof::Invoice],
        };
        let req = AfterSalesRequest {
            kind: kinds[((r >> 12) % 4) as usize],
            reason: reasons[((r >> 16) % 6) as usize],
            at: Millis(sign_at.0 + ((r >> 20) % 40) as i64 * DAY / 2),
            proofs,
        };
        inputs.push((item, req, ((r >> 24) % 2) as usize));
    }
    let mut times = Vec::with_capacity(N);
    let mut counts = [0usize; 3];
    let total = Instant::now();
    for (item, req, p) in &inputs {
        let t = Instant::now();
        let v = black_box(evaluate(&cal, &policies[*p], black_box(item), black_box(req)));
        times.push(t.elapsed());
        counts[match v.outcome {
            Outcome::Eligible => 0,
            Outcome::NotEligible => 1,
            Outcome::NeedsReview => 2,
        }] += 1;
    }
    let elapsed = total.elapsed();
    times.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "eligibility, {N} order items: p50 {:.2} µs  p99 {:.2} µs  max {:.2} µs  ({:.0} items/s on one thread)",
        us(percentile(&times, 0.5)),
        us(percentile(&times, 0.99)),
        us(*times.last().expect("times")),
        N as f64 / elapsed.as_secs_f64()
    );
    println!(
        "outcomes: eligible {}  not eligible {}  needs review {}   (target: under 50 µs per order item)",
        counts[0], counts[1], counts[2]
    );
}
