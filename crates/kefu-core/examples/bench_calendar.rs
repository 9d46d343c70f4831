//! Throughput of business-time arithmetic on one thread.
//!
//! Run with `cargo run --release -p kefu-core --example bench_calendar`. Prints operations per second
//! for `add_business_minutes` and `business_seconds_between` on a realistic calendar: Asia/Shanghai
//! with the shipped PRC holiday schedule, Monday to Friday 09:00–12:00 and 13:30–23:00, Saturday
//! 10:00–18:00. Starts are spread over 2025–2026 (nights, weekends, holidays, make-up workdays
//! included) and minute counts over 1..=2880.

use std::hint::black_box;
use std::time::{Duration, Instant};

use jiff::civil::Weekday;
use jiff::{SignedDuration, Timestamp};
use kefu_core::calendar::{BusinessCalendar, WeeklyHours};

/// How long each measurement runs at least.
const MIN_RUN: Duration = Duration::from_secs(3);
/// Operations between clock reads.
const BATCH: usize = 4096;

/// A small deterministic generator (SplitMix64), so runs are comparable.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn calendar() -> BusinessCalendar {
    let weekly = WeeklyHours::weekdays_from(&["09:00-12:00", "13:30-23:00"])
        .and_then(|w| w.with_day_from(Weekday::Saturday, &["10:00-18:00"]))
        .expect("valid weekly hours");
    BusinessCalendar::china(weekly)
}

/// Runs `op` over `inputs` repeatedly for at least [`MIN_RUN`]; returns (operations, elapsed).
fn measure<T>(inputs: &[T], mut op: impl FnMut(&T) -> u64) -> (u64, Duration) {
    // Warm up (page in, caches, lazy statics).
    let mut sink = 0u64;
    for input in inputs.iter().take(BATCH) {
        sink = sink.wrapping_add(op(input));
    }
    let mut ops = 0u64;
    let started = Instant::now();
    let mut i = 0usize;
    loop {
        for _ in 0..BATCH {
            sink = sink.wrapping_add(op(black_box(&inputs[i])));
            i += 1;
            if i == inputs.len() {
                i = 0;
            }
        }
        ops += BATCH as u64;
        let elapsed = started.elapsed();
        if elapsed >= MIN_RUN {
            black_box(sink);
            return (ops, elapsed);
        }
    }
}

fn report(name: &str, (ops, elapsed): (u64, Duration)) {
    let per_second = ops as f64 / elapsed.as_secs_f64();
    let ns = elapsed.as_nanos() as f64 / ops as f64;
    println!(
        "{name:<28} {per_second:>14.0} ops/s  ({ns:.1} ns/op, {ops} ops in {:.2} s)",
        elapsed.as_secs_f64()
    );
}

fn main() {
    let cal = calendar();
    let from: Timestamp = "2024-12-31T16:00:00Z".parse().expect("valid instant"); // 2025-01-01 00:00 CST
    let span_seconds = 2 * 365 * 86_400;
    let mut rng = SplitMix(0x6B65_6675);

    // Starts: uniform over 2025–2026 at second resolution, so about 60% fall in closed time (nights,
    // Sundays, holidays); minute counts 1..=2880 (up to two calendar days, several business days).
    let starts: Vec<Timestamp> = (0..65_536)
        .map(|_| {
            let offset = SignedDuration::from_secs(rng.below(span_seconds) as i64);
            from.checked_add(offset).expect("in range")
        })
        .collect();
    let adds: Vec<(Timestamp, u64)> = starts.iter().map(|&s| (s, 1 + rng.below(2880))).collect();
    // Pairs for `business_seconds_between`: the end is up to four calendar days after the start.
    let pairs: Vec<(Timestamp, Timestamp)> = starts
        .iter()
        .map(|&s| {
            let length = SignedDuration::from_secs(rng.below(4 * 86_400) as i64);
            (s, s.checked_add(length).expect("in range"))
        })
        .collect();

    println!("calendar: Asia/Shanghai + PRC schedule, Mon-Fri 09:00-12:00 13:30-23:00, Sat 10:00-18:00");
    println!("inputs: {} starts over 2025-2026, minutes 1..=2880, one thread", starts.len());
    let add = measure(&adds, |&(start, minutes)| {
        let end = cal.add_business_minutes(black_box(start), black_box(minutes));
        end.map_or(0, |t| t.as_second() as u64)
    });
    report("add_business_minutes", add);
    let between = measure(&pairs, |&(a, b)| cal.business_seconds_between(black_box(a), black_box(b)));
    report("business_seconds_between", between);
}
