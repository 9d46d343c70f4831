//! Property tests of business-time arithmetic on random calendars, and table tests of the 2025 and
//! 2026 PRC schedules (国务院办公厅关于2025年 / 2026年部分节假日安排的通知).
//!
//! Random calendars: Asia/Shanghai with the shipped China schedule, and DST zones (America/New_York,
//! Europe/Berlin and some with unusual transitions, see [`ZONES`]), with or without the China
//! schedule; per weekday closed, 00:00–24:00, or random non-overlapping (possibly touching,
//! possibly midnight-ending, second-resolution) windows; 7×24; Mon–Fri office hours; optional custom
//! make-up windows. Starts are spread over 2019–2027, so years without schedule data are hit too.

use std::time::Duration;

use jiff::civil::{Date, DateTime, Weekday};
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;
use proptest::test_runner::Config;

use super::*;

// ---------------------------------------------------------------------------------------------------
// Generators

/// Zone 0 is Shanghai (no DST). Santiago and Havana change clocks at local midnight, Lord Howe by
/// 30 minutes, Casablanca several times a year (Ramadan), Gaza and Asunción on irregular dates.
const ZONES: [&str; 9] = [
    DEFAULT_TIME_ZONE,
    "America/New_York",
    "Europe/Berlin",
    "America/Santiago",
    "America/Havana",
    "Australia/Lord_Howe",
    "Africa/Casablanca",
    "Asia/Gaza",
    "America/Asuncion",
];

const WEEKDAYS: [Weekday; 7] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
    Weekday::Saturday,
    Weekday::Sunday,
];

/// A random calendar, kept as plain data so a failing case prints readably.
#[derive(Debug, Clone)]
struct CalendarSpec {
    /// Index into [`ZONES`]; zone 0 (Shanghai) always has the China schedule.
    zone: usize,
    china_schedule: bool,
    /// Windows per weekday (Monday first) as seconds from local midnight, `0..=86_400`.
    days: Vec<Vec<(u32, u32)>>,
    makeup: Option<Vec<(u32, u32)>>,
}

impl CalendarSpec {
    fn build(&self) -> BusinessCalendar {
        let mut weekly = WeeklyHours::closed();
        for (day, windows) in WEEKDAYS.iter().zip(&self.days) {
            weekly.set_day(*day, windows.iter().map(|&(s, e)| window(s, e)).collect()).unwrap();
        }
        let cal = if self.zone == 0 {
            BusinessCalendar::china(weekly)
        } else {
            let cal = BusinessCalendar::new(ZONES[self.zone], weekly).unwrap();
            if self.china_schedule {
                cal.with_schedule(HolidaySchedule::china())
            } else {
                cal
            }
        };
        match &self.makeup {
            Some(windows) => {
                cal.with_makeup_day_windows(windows.iter().map(|&(s, e)| window(s, e)).collect()).unwrap()
            }
            None => cal,
        }
    }

    /// Nominal open seconds per week (ignores holidays and DST), at least 1.
    fn weekly_seconds(&self) -> u64 {
        let week: u64 = self.days.iter().flatten().map(|&(s, e)| u64::from(e - s)).sum();
        week.max(1)
    }
}

fn time_of_day(seconds: u32) -> TimeOfDay {
    TimeOfDay::hms(seconds / 3600, seconds / 60 % 60, seconds % 60).unwrap()
}

fn window(start: u32, end: u32) -> ServiceWindow {
    ServiceWindow::new(time_of_day(start), time_of_day(end)).unwrap()
}

/// A window boundary: midnight, end of day, a whole minute or any second.
fn boundary() -> impl Strategy<Value = u32> {
    prop_oneof![
        1 => Just(0u32),
        1 => Just(86_400u32),
        4 => (0u32..=1440).prop_map(|m| m * 60),
        2 => 0u32..=86_400,
    ]
}

/// Non-overlapping windows of one day: the gaps between sorted distinct boundaries, each open or
/// not, so windows may touch (`09:00-12:00`, `12:00-13:00`).
fn day_windows() -> impl Strategy<Value = Vec<(u32, u32)>> {
    let random = (prop::collection::btree_set(boundary(), 2..8), prop::collection::vec(any::<bool>(), 7))
        .prop_map(|(points, open)| {
            let points: Vec<u32> = points.into_iter().collect();
            points.windows(2).zip(open).filter(|(_, open)| *open).map(|(p, _)| (p[0], p[1])).collect()
        });
    prop_oneof![
        2 => Just(Vec::new()),
        1 => Just(vec![(0, 86_400)]),
        1 => Just(vec![(9 * 3600, 12 * 3600), (13 * 3600 + 1800, 23 * 3600)]),
        1 => Just(vec![(22 * 3600, 86_400)]),
        5 => random,
    ]
}

fn weekly() -> impl Strategy<Value = Vec<Vec<(u32, u32)>>> {
    let office = (0..7).map(|d| if d < 5 { vec![(9 * 3600, 18 * 3600)] } else { vec![] }).collect();
    prop_oneof![
        1 => Just(vec![vec![(0, 86_400)]; 7]),
        1 => Just(office),
        1 => Just(vec![Vec::new(); 7]),
        6 => prop::collection::vec(day_windows(), 7),
    ]
}

fn calendar() -> impl Strategy<Value = CalendarSpec> {
    (
        prop_oneof![3 => Just(0), 5 => 1..ZONES.len()],
        any::<bool>(),
        weekly(),
        prop::option::weighted(0.25, day_windows()),
    )
        .prop_map(|(zone, china_schedule, days, makeup)| CalendarSpec {
            zone,
            china_schedule,
            days,
            makeup,
        })
}

/// A start instant, resolved against the calendar's zone.
#[derive(Debug, Clone, Copy)]
enum StartSpec {
    /// Seconds after 2019-01-01T00:00Z (up to the end of 2027), plus nanoseconds.
    Uniform { seconds: i64, nanos: i32 },
    /// A local wall-clock time on a day after 2019-01-01 (so window boundaries are hit).
    Local { day: i32, second_of_day: i32 },
}

const SPAN_DAYS: i32 = 9 * 365 + 2; // 2019-01-01 ..= 2027-12-31

fn start() -> impl Strategy<Value = StartSpec> {
    let uniform = (0..i64::from(SPAN_DAYS) * 86_400, prop_oneof![3 => Just(0), 1 => 0..1_000_000_000i32])
        .prop_map(|(seconds, nanos)| StartSpec::Uniform { seconds, nanos });
    let local = (0..SPAN_DAYS, prop_oneof![(0..=1440i32).prop_map(|m| m * 60 % 86_400), 0..86_400i32])
        .prop_map(|(day, second_of_day)| StartSpec::Local { day, second_of_day });
    prop_oneof![uniform, local]
}

fn epoch() -> Date {
    Date::new(2019, 1, 1).unwrap()
}

fn resolve(cal: &BusinessCalendar, spec: StartSpec) -> Timestamp {
    match spec {
        StartSpec::Uniform { seconds, nanos } => {
            let base = epoch().to_zoned(jiff::tz::TimeZone::UTC).unwrap().timestamp();
            base.checked_add(SignedDuration::new(seconds, nanos)).unwrap()
        }
        StartSpec::Local { day, second_of_day } => {
            let date = epoch().checked_add(jiff::Span::new().days(day)).unwrap();
            let clock = jiff::civil::Time::new(
                (second_of_day / 3600) as i8,
                (second_of_day / 60 % 60) as i8,
                (second_of_day % 60) as i8,
                0,
            )
            .unwrap();
            cal.time_zone().to_timestamp(DateTime::from_parts(date, clock)).unwrap()
        }
    }
}

/// A business-time budget in seconds, capped relative to the calendar's weekly hours so sparse
/// calendars stay fast: up to about eight weeks of open time, at most ~5 days of 7×24.
fn budget(spec: &CalendarSpec, raw: u64, whole_minutes: bool) -> u64 {
    let cap = (8 * spec.weekly_seconds()).min(400_000);
    let n = raw % (cap + 1);
    if whole_minutes {
        n / 60 * 60
    } else {
        n
    }
}

fn config() -> Config {
    // No regression files in the source tree; cases found are pinned as table tests below.
    Config { failure_persistence: None, ..Config::default() }
}

const NS: SignedDuration = SignedDuration::from_nanos(1);

// ---------------------------------------------------------------------------------------------------
// Properties

proptest! {
    #![proptest_config(config())]

    /// Adding n business seconds and measuring gives n back; the result is minimal (one nanosecond
    /// earlier, less than n has elapsed), and for n > 0 it is open or the closing instant of a window.
    #[test]
    fn add_then_measure_round_trips(spec in calendar(), s in start(), raw in any::<u64>(), minutes in any::<bool>()) {
        let cal = spec.build();
        let a = resolve(&cal, s);
        let n = budget(&spec, raw, minutes);
        if let Some(end) = cal.add_business_seconds(a, n) {
            prop_assert!(end >= a);
            prop_assert_eq!(cal.business_seconds_between(a, end), n);
            prop_assert_eq!(cal.business_duration_between(a, end), Duration::from_secs(n));
            if n > 0 {
                let before = end.checked_sub(NS).unwrap();
                prop_assert!(cal.business_duration_between(a, before) < Duration::from_secs(n));
                prop_assert!(cal.is_open(end) || cal.is_open(before), "{} is not open nor a window end", end);
            } else {
                prop_assert_eq!(Some(end), cal.next_open(a));
            }
            let (minutes, rest) = (n / 60, n % 60);
            if rest == 0 {
                prop_assert_eq!(cal.add_business_minutes(a, minutes), Some(end));
                prop_assert_eq!(cal.business_minutes_between(a, end), minutes);
            }
        } else {
            // None only when the calendar runs out of open time: less than n is left.
            prop_assert!(cal.business_duration_between(a, a.checked_add(SignedDuration::from_hours(24 * 366 * 3)).unwrap()) < Duration::from_secs(n.max(1)));
        }
    }

    /// Measuring [a, b) and adding that back from a lands where the open time before b ends: b
    /// itself when the instant just before b is open (inside a window, or b closes one).
    /// b is random, or the end or start of an open interval (to hit the boundaries exactly).
    #[test]
    fn measure_then_add_lands_on_b(
        spec in calendar(),
        s in start(),
        offset in 0i64..400_000,
        pick in 0u8..3,
        skip in 0usize..4,
    ) {
        let cal = spec.build();
        let a = resolve(&cal, s);
        let probe = a.checked_add(SignedDuration::from_secs(offset)).unwrap();
        let b = match (pick, cal.open_intervals(probe).nth(skip)) {
            (1, Some(interval)) => interval.end,
            (2, Some(interval)) => interval.start,
            _ => probe,
        };
        let spent = cal.business_duration_between(a, b);
        let c = cal.add_business_duration(a, spent);
        if spent > Duration::ZERO {
            let c = c.unwrap();
            prop_assert!(c <= b, "{} > {}", c, b);
            prop_assert_eq!(cal.business_duration_between(c, b), Duration::ZERO);
            // The budget ran out at c, so just before c was open.
            prop_assert!(cal.is_open(c.checked_sub(NS).unwrap()), "{} is not the end of open time", c);
            // Open just before b: b is inside an open stretch or closes one, and c is b.
            if cal.is_open(b.checked_sub(NS).unwrap()) {
                prop_assert_eq!(c, b);
            }
        } else {
            prop_assert_eq!(c, cal.next_open(a));
        }
    }

    /// More budget never ends earlier, and strictly later when the first result exists.
    #[test]
    fn monotone_in_budget(spec in calendar(), s in start(), raw in any::<u64>(), extra in 0u64..100_000) {
        let cal = spec.build();
        let a = resolve(&cal, s);
        let n = budget(&spec, raw, false);
        let m = n + budget(&spec, extra, false);
        match (cal.add_business_seconds(a, n), cal.add_business_seconds(a, m)) {
            (Some(x), Some(y)) => prop_assert!(if m > n { x < y } else { x == y }, "{} vs {}", x, y),
            (None, Some(y)) => prop_assert!(false, "+{n}s is None but +{m}s is {y}"),
            (_, None) => {}
        }
    }

    /// A later start never gives an earlier result.
    #[test]
    fn monotone_in_start(spec in calendar(), s1 in start(), s2 in start(), raw in any::<u64>()) {
        let cal = spec.build();
        let (a1, a2) = (resolve(&cal, s1), resolve(&cal, s2));
        let (a1, a2) = (a1.min(a2), a1.max(a2));
        let n = budget(&spec, raw, false);
        match (cal.add_business_seconds(a1, n), cal.add_business_seconds(a2, n)) {
            (Some(x), Some(y)) => prop_assert!(x <= y, "{} + {}s = {} but {} + {}s = {}", a1, n, x, a2, n, y),
            (None, Some(y)) => prop_assert!(false, "{a1} + {n}s is None but {a2} + {n}s = {y}"),
            (_, None) => {}
        }
    }

    /// Adding n then m (m > 0) equals adding n + m; adding 0 is next_open.
    #[test]
    fn addition_is_additive(spec in calendar(), s in start(), raw_n in any::<u64>(), raw_m in any::<u64>()) {
        let cal = spec.build();
        let a = resolve(&cal, s);
        let n = budget(&spec, raw_n, false);
        let m = budget(&spec, raw_m, false);
        let legs = cal.add_business_seconds(a, n).and_then(|x| cal.add_business_seconds(x, m));
        if m > 0 {
            prop_assert_eq!(legs, cal.add_business_seconds(a, n + m));
        } else {
            prop_assert_eq!(legs, cal.add_business_seconds(a, n).and_then(|x| cal.next_open(x)));
        }
        prop_assert_eq!(cal.add_business_seconds(a, 0), cal.next_open(a));
    }

    /// between(a, b) + between(b, c) == between(a, c) for a <= b <= c (whole-second instants for
    /// the integer API, any instants for the exact duration API).
    #[test]
    fn between_is_additive(spec in calendar(), s in start(), d1 in 0i64..400_000, d2 in 0i64..400_000, nanos in 0..1_000_000_000i32) {
        let cal = spec.build();
        let a = resolve(&cal, s);
        let a = Timestamp::from_second(a.as_second()).unwrap();
        let b = a.checked_add(SignedDuration::from_secs(d1)).unwrap();
        let c = b.checked_add(SignedDuration::from_secs(d2)).unwrap();
        prop_assert_eq!(
            cal.business_seconds_between(a, b) + cal.business_seconds_between(b, c),
            cal.business_seconds_between(a, c)
        );
        let b = b.checked_add(SignedDuration::new(0, nanos)).unwrap().min(c);
        prop_assert_eq!(
            cal.business_duration_between(a, b) + cal.business_duration_between(b, c),
            cal.business_duration_between(a, c)
        );
        prop_assert!(cal.business_seconds_between(a, c) <= (d1 + d2) as u64);
        prop_assert_eq!(cal.business_seconds_between(c, a), 0);
    }

    /// Away from DST transitions, is_open agrees with reading the local wall clock against the
    /// windows of the local date.
    #[test]
    fn is_open_matches_the_wall_clock(spec in calendar(), s in start()) {
        let cal = spec.build();
        let t = resolve(&cal, s);
        let tz = cal.time_zone();
        let window = SignedDuration::from_hours(27);
        let steady = tz.to_offset(t) == tz.to_offset(t.checked_sub(window).unwrap())
            && tz.to_offset(t) == tz.to_offset(t.checked_add(window).unwrap());
        if steady {
            let local = tz.to_datetime(t);
            let second = local.hour() as u32 * 3600 + local.minute() as u32 * 60 + local.second() as u32;
            let expected = cal.windows_on(local.date()).iter().any(|w| {
                w.start().seconds_from_midnight() <= second && second < w.end().seconds_from_midnight()
            });
            prop_assert_eq!(cal.is_open(t), expected, "at {}", local);
        }
        // next_open is open (or None), and nothing in between is open.
        if let Some(o) = cal.next_open(t) {
            prop_assert!(o >= t && cal.is_open(o));
            prop_assert_eq!(cal.business_duration_between(t, o), Duration::ZERO);
        }
    }

    /// Nothing panics, whatever the instant (jiff's whole range) and count.
    #[test]
    fn never_panics(
        spec in calendar(),
        t in prop_oneof![
            Just(Timestamp::MIN.as_second()),
            Just(Timestamp::MAX.as_second()),
            Timestamp::MIN.as_second()..=Timestamp::MAX.as_second(),
            (Timestamp::MAX.as_second() - 86_400 * 400)..=Timestamp::MAX.as_second(),
        ],
        d in 0i64..10_000_000,
        n in prop_oneof![Just(u64::MAX), Just(u64::MAX / 60), Just(u64::MAX / 60 + 1), 0u64..1_000_000],
    ) {
        let cal = spec.build();
        let t = Timestamp::from_second(t).unwrap();
        let u = t.checked_add(SignedDuration::from_secs(d)).unwrap_or(Timestamp::MAX);
        let _ = cal.is_open(t);
        let _ = cal.next_open(t);
        let _ = cal.business_seconds_between(t, u);
        let _ = cal.business_minutes_between(u, t);
        // Counts that overflow the arithmetic give None without walking the calendar.
        prop_assert_eq!(cal.add_business_minutes(t, u64::MAX), None);
        prop_assert_eq!(cal.add_business_minutes(t, u64::MAX / 60 + 1), None);
        prop_assert_eq!(cal.add_business_seconds(t, u64::MAX), None);
        prop_assert_eq!(cal.add_business_seconds(t, i64::MAX as u64 + 1), None);
        prop_assert_eq!(cal.add_business_duration(t, Duration::MAX), None);
        // Bounded counts (a huge count on a dense calendar walks day by day to the year 9999).
        let small = budget(&spec, n, false);
        let _ = cal.add_business_minutes(t, small / 60);
        let _ = cal.add_business_seconds(t, small);
        let _ = cal.add_business_duration(t, Duration::from_nanos(n % 1_000_000_000_000));
        if t > Timestamp::MAX.checked_sub(SignedDuration::from_hours(24 * 30)).unwrap() {
            // Near the end of the range any count is cheap, and too much for what is left.
            let _ = cal.add_business_minutes(t, n);
            let _ = cal.add_business_seconds(t, n);
            prop_assert_eq!(cal.add_business_seconds(t, 40 * 86_400), None);
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// Table tests: the 2025 and 2026 PRC schedules on a Mon–Fri 09:00–18:00 calendar

fn office() -> BusinessCalendar {
    BusinessCalendar::china(WeeklyHours::weekdays_from(&["09:00-18:00"]).unwrap())
}

fn day(s: &str) -> Date {
    s.parse().unwrap()
}

fn at(cal: &BusinessCalendar, local: &str) -> Timestamp {
    cal.time_zone().to_timestamp(local.parse::<DateTime>().unwrap()).unwrap()
}

fn local(cal: &BusinessCalendar, t: Timestamp) -> String {
    cal.time_zone().to_datetime(t).to_string()
}

/// Open seconds on a local date (its intervals).
fn open_seconds(cal: &BusinessCalendar, d: Date) -> i64 {
    cal.open_intervals_on(d).iter().map(|r| r.end.duration_since(r.start).as_secs()).sum()
}

fn dates(from: &str, to: &str) -> Vec<Date> {
    let (mut d, to) = (day(from), day(to));
    let mut out = Vec::new();
    while d <= to {
        out.push(d);
        d = d.tomorrow().unwrap();
    }
    out
}

#[test]
fn schedule_2026_workdays_and_closed_days() {
    let cal = office();
    for workday in ["2026-02-14", "2026-02-28"] {
        assert_eq!(day(workday).weekday(), Weekday::Saturday);
        assert!(matches!(cal.day_status(day(workday)), DayStatus::MakeupWorkday { .. }), "{workday}");
        assert_eq!(open_seconds(&cal, day(workday)), 9 * 3600, "{workday}");
        assert!(cal.is_open(at(&cal, &format!("{workday}T09:00"))));
        assert!(!cal.is_open(at(&cal, &format!("{workday}T18:00"))));
    }
    for closed in dates("2026-02-15", "2026-02-23") {
        assert_eq!(cal.day_status(closed), DayStatus::Holiday { name: "春节" }, "{closed}");
        assert_eq!(open_seconds(&cal, closed), 0, "{closed}");
        assert!(!cal.is_open(at(&cal, &format!("{closed}T12:00"))));
    }
    // The days around the break are ordinary: Fri 13th and Tue 24th open, Sun 1 Mar closed.
    assert_eq!(open_seconds(&cal, day("2026-02-13")), 9 * 3600);
    assert_eq!(open_seconds(&cal, day("2026-02-24")), 9 * 3600);
    assert_eq!(open_seconds(&cal, day("2026-03-01")), 0);
    assert_eq!(open_seconds(&cal, day("2026-02-21")), 0);
    // February 2026: 20 regular weekdays − 6 weekday holidays (16th–20th, 23rd) + 2 make-up Saturdays.
    assert_eq!(
        cal.business_minutes_between(at(&cal, "2026-02-01T00:00"), at(&cal, "2026-03-01T00:00")),
        16 * 9 * 60
    );
}

#[test]
fn schedule_2025_workdays_and_closed_days() {
    let cal = office();
    for (workday, weekday) in [
        ("2025-01-26", Weekday::Sunday),
        ("2025-02-08", Weekday::Saturday),
        ("2025-09-28", Weekday::Sunday),
        ("2025-10-11", Weekday::Saturday),
    ] {
        assert_eq!(day(workday).weekday(), weekday, "{workday}");
        assert!(matches!(cal.day_status(day(workday)), DayStatus::MakeupWorkday { .. }), "{workday}");
        assert_eq!(open_seconds(&cal, day(workday)), 9 * 3600, "{workday}");
    }
    for closed in dates("2025-01-28", "2025-02-04") {
        assert_eq!(cal.day_status(closed), DayStatus::Holiday { name: "春节" }, "{closed}");
        assert_eq!(open_seconds(&cal, closed), 0, "{closed}");
    }
    for closed in dates("2025-10-01", "2025-10-08") {
        assert_eq!(cal.day_status(closed), DayStatus::Holiday { name: "国庆节、中秋节" }, "{closed}");
        assert_eq!(open_seconds(&cal, closed), 0, "{closed}");
    }
    // Eve of the break (Mon 27 Jan) and the days after it (5–7 Feb) are ordinary weekdays.
    for open in ["2025-01-27", "2025-02-05", "2025-02-07", "2025-09-30", "2025-10-09", "2025-10-10"] {
        assert_eq!(cal.day_status(day(open)), DayStatus::Regular, "{open}");
        assert_eq!(open_seconds(&cal, day(open)), 9 * 3600, "{open}");
    }
    // Ordinary weekends next to the make-up days stay closed.
    for closed in ["2025-01-25", "2025-02-09", "2025-09-27", "2025-10-12"] {
        assert_eq!(open_seconds(&cal, day(closed)), 0, "{closed}");
    }
}

#[test]
fn add_business_minutes_across_the_2025_and_2026_breaks() {
    let cal = office();
    let add =
        |start: &str, minutes: u64| local(&cal, cal.add_business_minutes(at(&cal, start), minutes).unwrap());
    // 2026 春节: Fri 13 Feb 17:00 + 2 h → make-up Sat 14 Feb 10:00.
    assert_eq!(add("2026-02-13T17:00", 120), "2026-02-14T10:00:00");
    // Sat 14 Feb 17:30 + 1 h → the break (15th–23rd) is skipped → Tue 24 Feb 09:30.
    assert_eq!(add("2026-02-14T17:30", 60), "2026-02-24T09:30:00");
    // From inside the break, counting starts on Tue 24 Feb.
    assert_eq!(add("2026-02-18T10:00", 0), "2026-02-24T09:00:00");
    assert_eq!(add("2026-02-18T10:00", 9 * 60), "2026-02-24T18:00:00");
    assert_eq!(add("2026-02-18T10:00", 9 * 60 + 1), "2026-02-25T09:01:00");
    // Fri 27 Feb 17:00 + 2 h → make-up Sat 28 Feb 10:00; + 10 h ends as Saturday closes; + 11 h → Mon.
    assert_eq!(add("2026-02-27T17:00", 120), "2026-02-28T10:00:00");
    assert_eq!(add("2026-02-27T17:00", 600), "2026-02-28T18:00:00");
    assert_eq!(add("2026-02-27T17:00", 660), "2026-03-02T10:00:00");
    // 2025 春节: Sat 25 Jan → make-up Sun 26 Jan; Mon 27 Jan 17:00 + 2 h → Wed 5 Feb 10:00.
    assert_eq!(add("2025-01-25T12:00", 30), "2025-01-26T09:30:00");
    assert_eq!(add("2025-01-27T17:00", 120), "2025-02-05T10:00:00");
    // Fri 7 Feb 17:00 + 2 h → make-up Sat 8 Feb 10:00.
    assert_eq!(add("2025-02-07T17:00", 120), "2025-02-08T10:00:00");
    // 2025 国庆·中秋: Sat 27 Sep → make-up Sun 28 Sep; Tue 30 Sep 17:00 + 2 h → Thu 9 Oct 10:00.
    assert_eq!(add("2025-09-27T09:00", 60), "2025-09-28T10:00:00");
    assert_eq!(add("2025-09-30T17:00", 120), "2025-10-09T10:00:00");
    // Fri 10 Oct 17:30 + 1 h → make-up Sat 11 Oct 09:30; + 10 h → 0.5 h Fri, 9 h Sat, Mon 13 Oct 09:30.
    assert_eq!(add("2025-10-10T17:30", 60), "2025-10-11T09:30:00");
    assert_eq!(add("2025-10-10T17:30", 600), "2025-10-13T09:30:00");
    // And between agrees: 2025-09-26 (Fri) to 2025-10-13 (Mon): 26th, 28th, 29th, 30th, 9th, 10th, 11th.
    assert_eq!(
        cal.business_minutes_between(at(&cal, "2025-09-26T00:00"), at(&cal, "2025-10-13T00:00")),
        7 * 9 * 60
    );
}

/// The shipped data for 2025 and 2026, entry by entry, against the State Council notices
/// (2025: 国办发明电〔2024〕12号; 2026: 国办发明电〔2025〕7号).
#[test]
fn shipped_2025_and_2026_data_match_the_notices() {
    let schedule = HolidaySchedule::china();
    let expect = |year: i16, holidays: &[(&str, &str)], workdays: &[&str]| {
        let mut want: Vec<(Date, DayKind)> = Vec::new();
        for (from, to) in holidays {
            want.extend(dates(from, to).into_iter().map(|d| (d, DayKind::Holiday)));
        }
        want.extend(workdays.iter().map(|d| (day(d), DayKind::Workday)));
        want.sort_by_key(|(d, _)| *d);
        let got: Vec<(Date, DayKind)> =
            schedule.year(year).unwrap().iter().map(|(d, e)| (d, e.kind)).collect();
        assert_eq!(got, want, "{year}");
    };
    expect(
        2025,
        &[
            ("2025-01-01", "2025-01-01"),
            ("2025-01-28", "2025-02-04"),
            ("2025-04-04", "2025-04-06"),
            ("2025-05-01", "2025-05-05"),
            ("2025-05-31", "2025-06-02"),
            ("2025-10-01", "2025-10-08"),
        ],
        &["2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"],
    );
    expect(
        2026,
        &[
            ("2026-01-01", "2026-01-03"),
            ("2026-02-15", "2026-02-23"),
            ("2026-04-04", "2026-04-06"),
            ("2026-05-01", "2026-05-05"),
            ("2026-06-19", "2026-06-21"),
            ("2026-09-25", "2026-09-27"),
            ("2026-10-01", "2026-10-07"),
        ],
        &["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"],
    );
}
