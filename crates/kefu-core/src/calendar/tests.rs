use std::collections::BTreeMap;
use std::time::Duration;

use jiff::civil::{Date, DateTime, Weekday};
use jiff::{SignedDuration, Timestamp};

use super::*;
use crate::error::{DomainError, ErrorCode};

// ---------------------------------------------------------------------------------------------------
// Helpers

fn date(s: &str) -> Date {
    s.parse().unwrap()
}

/// A local wall-clock time in the calendar's zone, e.g. `"2026-02-13T22:00"`.
fn at(cal: &BusinessCalendar, local: &str) -> Timestamp {
    let dt: DateTime = local.parse().unwrap();
    cal.time_zone().to_timestamp(dt).unwrap()
}

/// The local wall-clock rendering of an instant, e.g. `"2026-02-14T10:00:00"`.
fn local(cal: &BusinessCalendar, t: Timestamp) -> String {
    cal.time_zone().to_datetime(t).to_string()
}

fn utc(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn w(s: &str) -> ServiceWindow {
    s.parse().unwrap()
}

/// The task's reference calendar: Shanghai, Mon–Fri 09:00–12:00 and 13:30–23:00, PRC schedule.
fn shanghai() -> BusinessCalendar {
    BusinessCalendar::china(WeeklyHours::weekdays_from(&["09:00-12:00", "13:30-23:00"]).unwrap())
}

fn new_york_office() -> BusinessCalendar {
    BusinessCalendar::new("America/New_York", WeeklyHours::weekdays_from(&["09:00-17:00"]).unwrap()).unwrap()
}

fn add_min(cal: &BusinessCalendar, start: &str, minutes: u64) -> String {
    local(cal, cal.add_business_minutes(at(cal, start), minutes).unwrap())
}

// ---------------------------------------------------------------------------------------------------
// Arithmetic on the Shanghai reference calendar

#[test]
fn friday_night_rolls_into_saturday_makeup_workday() {
    let cal = shanghai();
    // 22:00–23:00 Friday is 60 minutes; 2026-02-14 (Sat) is a 春节 make-up workday with the Monday
    // windows, so the other 60 minutes run 09:00–10:00 on Saturday.
    assert_eq!(add_min(&cal, "2026-02-13T22:00", 120), "2026-02-14T10:00:00");
    assert_eq!(cal.day_status(date("2026-02-14")), DayStatus::MakeupWorkday { name: "春节调休" });
    assert_eq!(cal.business_minutes_between(at(&cal, "2026-02-13T22:00"), at(&cal, "2026-02-14T10:00")), 120);
}

#[test]
fn spring_festival_is_skipped() {
    let cal = shanghai();
    // 30 minutes on the make-up Saturday, then 春节 Feb 15–23 (Sun–Mon) closed, Tuesday Feb 24 opens.
    assert_eq!(add_min(&cal, "2026-02-14T22:30", 60), "2026-02-24T09:30:00");
    assert!(!cal.is_open(at(&cal, "2026-02-18T10:00")));
    assert_eq!(cal.day_status(date("2026-02-18")), DayStatus::Holiday { name: "春节" });
    assert_eq!(cal.business_minutes_between(at(&cal, "2026-02-14T23:00"), at(&cal, "2026-02-24T09:00")), 0);
    assert_eq!(local(&cal, cal.next_open(at(&cal, "2026-02-15T00:00")).unwrap()), "2026-02-24T09:00:00");
    // Feb 28 (Sat) is the second make-up workday.
    assert_eq!(add_min(&cal, "2026-02-27T22:50", 20), "2026-02-28T09:10:00");
}

#[test]
fn national_day_is_skipped_and_october_10_is_worked() {
    let cal = shanghai();
    assert_eq!(add_min(&cal, "2026-09-30T22:00", 120), "2026-10-08T10:00:00");
    // Friday Oct 9, then Saturday Oct 10 is a make-up workday.
    assert_eq!(add_min(&cal, "2026-10-09T22:30", 60), "2026-10-10T09:30:00");
    // Sunday Sep 20 is worked too; Saturday Sep 19 is not.
    assert_eq!(local(&cal, cal.next_open(at(&cal, "2026-09-19T10:00")).unwrap()), "2026-09-20T09:00:00");
    // 中秋 Sep 25–27 then a normal Monday.
    assert_eq!(add_min(&cal, "2026-09-24T22:59", 2), "2026-09-28T09:01:00");
}

#[test]
fn year_boundary_to_sunday_makeup_workday() {
    let cal = shanghai();
    // 2025-12-31 (Wed) 22:00–23:00, 元旦 Jan 1–3 closed, Sunday Jan 4 is a make-up workday.
    assert_eq!(add_min(&cal, "2025-12-31T22:00", 120), "2026-01-04T10:00:00");
    assert_eq!(cal.day_status(date("2026-01-04")), DayStatus::MakeupWorkday { name: "元旦调休" });
}

#[test]
fn lunch_break_and_multiple_windows() {
    let cal = shanghai();
    assert_eq!(add_min(&cal, "2026-03-10T11:30", 60), "2026-03-10T14:00:00");
    assert_eq!(cal.business_minutes_between(at(&cal, "2026-03-10T11:00"), at(&cal, "2026-03-10T14:00")), 90);
    // A full weekday is 3 h + 9.5 h = 750 minutes.
    assert_eq!(cal.business_minutes_between(at(&cal, "2026-03-10T00:00"), at(&cal, "2026-03-11T00:00")), 750);
    // A normal week (Mon–Fri) is 5 × 750 minutes.
    assert_eq!(
        cal.business_minutes_between(at(&cal, "2026-03-09T00:00"), at(&cal, "2026-03-16T00:00")),
        3750
    );
    // Landing exactly on a window end gives that closing instant.
    assert_eq!(add_min(&cal, "2026-03-10T09:00", 180), "2026-03-10T12:00:00");
    assert_eq!(add_min(&cal, "2026-03-10T09:00", 181), "2026-03-10T13:31:00");
}

#[test]
fn closed_start_counts_from_next_open_instant() {
    let cal = shanghai();
    // Zero minutes from a closed instant is the next open instant; from an open one, the instant itself.
    assert_eq!(add_min(&cal, "2026-03-10T12:30", 0), "2026-03-10T13:30:00");
    assert_eq!(add_min(&cal, "2026-03-14T08:00", 0), "2026-03-16T09:00:00");
    assert_eq!(add_min(&cal, "2026-03-10T10:17", 0), "2026-03-10T10:17:00");
    assert_eq!(add_min(&cal, "2026-03-10T23:00", 1), "2026-03-11T09:01:00");
    // Window boundaries are half-open.
    assert!(cal.is_open(at(&cal, "2026-03-10T09:00")));
    assert!(!cal.is_open(at(&cal, "2026-03-10T12:00")));
    assert!(cal.is_open(at(&cal, "2026-03-10T11:59:59")));
    assert!(!cal.is_open(at(&cal, "2026-03-10T08:59:59")));
}

#[test]
fn between_is_zero_for_empty_or_reversed_ranges() {
    let cal = shanghai();
    let a = at(&cal, "2026-03-10T10:00");
    assert_eq!(cal.business_seconds_between(a, a), 0);
    assert_eq!(cal.business_seconds_between(a, at(&cal, "2026-03-10T09:00")), 0);
    assert_eq!(cal.business_duration_between(a, at(&cal, "2026-03-09T09:00")), Duration::ZERO);
}

#[test]
fn sub_minute_targets_use_seconds() {
    let cal = shanghai();
    // A 30 s first-response target asked at 11:59:45 runs 15 s before lunch and 15 s after.
    let asked = at(&cal, "2026-03-10T11:59:45");
    let due = cal.add_business_seconds(asked, 30).unwrap();
    assert_eq!(local(&cal, due), "2026-03-10T13:30:15");
    assert_eq!(cal.business_seconds_between(asked, due), 30);
    // Sub-second parts are kept by the duration API and floored by the integer APIs.
    let half = SignedDuration::from_millis(500);
    let precise = asked.checked_add(half).unwrap();
    let due = cal.add_business_duration(precise, Duration::from_millis(29_250)).unwrap();
    assert_eq!(due, at(&cal, "2026-03-10T13:30:14").checked_add(SignedDuration::from_millis(750)).unwrap());
    assert_eq!(cal.business_duration_between(precise, due), Duration::from_millis(29_250));
    assert_eq!(cal.business_seconds_between(precise, due), 29);
    assert_eq!(cal.business_minutes_between(asked, at(&cal, "2026-03-10T13:30:44")), 0);
    assert_eq!(cal.business_minutes_between(asked, at(&cal, "2026-03-10T13:31:45")), 2);
}

#[test]
fn between_is_the_inverse_of_add() {
    let counts: &[u64] =
        &[0, 1, 29, 59, 60, 61, 119, 120, 121, 179, 180, 181, 749, 750, 751, 1_000, 4_321, 20_000];
    let calendars = [
        (shanghai(), "2025-12-20T00:00", "2026-03-10T00:00"),
        (shanghai(), "2026-09-15T00:00", "2026-10-15T00:00"),
        (new_york_office(), "2026-02-25T00:00", "2026-03-20T00:00"),
        (new_york_office(), "2026-10-25T00:00", "2026-11-10T00:00"),
    ];
    let mut checked = 0;
    for (cal, from, to) in &calendars {
        let (from, to) = (at(cal, from), at(cal, to));
        // Deterministic, irregular steps so starts hit open, closed, boundary and holiday instants.
        let mut start = from;
        let mut step = 0i64;
        while start < to {
            for &n in counts {
                let end = cal.add_business_minutes(start, n).unwrap();
                assert!(end >= start);
                assert_eq!(cal.business_minutes_between(start, end), n, "start {start} + {n} min = {end}");
                assert_eq!(cal.business_seconds_between(start, end), n * 60);
                // The end is open, or the closing instant of a window (then it was open just before).
                let just_before = end.checked_sub(SignedDuration::from_secs(1)).unwrap();
                assert!(
                    n == 0 || cal.is_open(end) || cal.is_open(just_before),
                    "{end} is not at an open time"
                );
                // Adding more never goes backwards.
                assert!(cal.add_business_minutes(start, n + 1).unwrap() > end);
                // Counting in two legs gives the same end.
                let half = cal.add_business_minutes(start, n / 2).unwrap();
                assert_eq!(cal.add_business_minutes(half, n - n / 2).unwrap(), end);
                checked += 1;
            }
            // add(a, between(a, b)) is the last open instant at or before b.
            let b = start.checked_add(SignedDuration::from_mins(97 * (step % 40 + 1))).unwrap();
            let spent = cal.business_seconds_between(start, b);
            let c = cal.add_business_seconds(start, spent).unwrap();
            assert!(c <= b || spent == 0, "{c} > {b}");
            assert_eq!(cal.business_seconds_between(c.min(b), b), 0);
            // When b is inside an open stretch, the budget runs out exactly at b.
            if spent > 0 && cal.is_open(b.checked_sub(SignedDuration::from_secs(1)).unwrap()) {
                assert_eq!(c, b);
            }
            step += 1;
            start = start.checked_add(SignedDuration::from_mins(173 + step % 7)).unwrap();
        }
    }
    assert!(checked > 5_000, "only {checked} cases");
}

#[test]
fn huge_minute_counts_terminate() {
    let cal = shanghai();
    let start = at(&cal, "2026-01-05T09:00");
    let end = cal.add_business_minutes(start, 1_000_000).unwrap();
    assert_eq!(cal.business_minutes_between(start, end), 1_000_000);
    // About 1_000_000 / 750 ≈ 1334 business days, so well over five years, mostly uncovered.
    assert!(end > at(&cal, "2031-01-01T00:00"));
    // Counts beyond jiff's range (year 9999) give None, never a panic or overflow.
    assert_eq!(cal.add_business_minutes(start, u64::MAX), None);
    assert_eq!(cal.add_business_seconds(start, u64::MAX), None);
    let always = BusinessCalendar::new("UTC", WeeklyHours::always_open()).unwrap();
    assert_eq!(always.add_business_minutes(utc("9999-12-01T00:00:00Z"), 100_000), None);
}

#[test]
fn extreme_instants_do_not_panic() {
    let calendars = [
        shanghai(),
        new_york_office(),
        BusinessCalendar::new("UTC", WeeklyHours::always_open()).unwrap(),
        BusinessCalendar::new("Pacific/Kiritimati", WeeklyHours::always_open()).unwrap(),
        BusinessCalendar::new(DEFAULT_TIME_ZONE, WeeklyHours::closed()).unwrap(),
    ];
    let day = SignedDuration::from_hours(24);
    for cal in &calendars {
        for t in [Timestamp::MIN, Timestamp::MAX] {
            let _ = cal.is_open(t);
            let _ = cal.next_open(t);
            let _ = cal.add_business_minutes(t, 1);
            let _ = cal.add_business_minutes(t, u64::MAX);
        }
        let _ = cal.business_minutes_between(Timestamp::MAX.checked_sub(day).unwrap(), Timestamp::MAX);
        let _ = cal.business_minutes_between(Timestamp::MIN, Timestamp::MIN.checked_add(day).unwrap());
        // Past the end of the supported range there is no open time left.
        assert_eq!(cal.add_business_minutes(utc("9999-12-01T00:00:00Z"), 100_000), None);
    }
}

// ---------------------------------------------------------------------------------------------------
// 7×24, midnight windows, other zones, DST

#[test]
fn always_open_calendar() {
    let cal = BusinessCalendar::new(DEFAULT_TIME_ZONE, WeeklyHours::always_open()).unwrap();
    for start in ["2026-01-01T00:00", "2026-02-17T13:37:11", "2026-12-31T23:59:59"] {
        let t = at(&cal, start);
        assert!(cal.is_open(t));
        assert_eq!(cal.next_open(t), Some(t));
        let end = cal.add_business_minutes(t, 1_000_000).unwrap();
        assert_eq!(end, t.checked_add(SignedDuration::from_mins(1_000_000)).unwrap());
        assert_eq!(cal.business_minutes_between(t, end), 1_000_000);
    }
    // 7×24 with the China schedule attached still closes on holidays; a 7×24 desk usually has none.
    let with_holidays = cal.clone().with_schedule(HolidaySchedule::china());
    assert!(!with_holidays.is_open(at(&cal, "2026-10-03T12:00")));
}

#[test]
fn always_open_across_dst_counts_real_time() {
    let cal = BusinessCalendar::new("America/New_York", WeeklyHours::always_open()).unwrap();
    // 2026-03-08: clocks spring forward, the local day has 23 hours.
    let day = |d: &str, e: &str| cal.business_minutes_between(at(&cal, d), at(&cal, e));
    assert_eq!(day("2026-03-08T00:00", "2026-03-09T00:00"), 23 * 60);
    // 2026-11-01: clocks fall back, 25 hours.
    assert_eq!(day("2026-11-01T00:00", "2026-11-02T00:00"), 25 * 60);
    assert_eq!(day("2026-07-01T00:00", "2026-07-02T00:00"), 24 * 60);
    // Every instant around the transitions is open.
    let mut t = utc("2026-11-01T04:00:00Z");
    while t < utc("2026-11-01T08:00:00Z") {
        assert!(cal.is_open(t), "{t}");
        t = t.checked_add(SignedDuration::from_mins(5)).unwrap();
    }
    // 24 business hours from Saturday noon end at Sunday 13:00 local (one real day, one clock hour lost).
    assert_eq!(add_min(&cal, "2026-03-07T12:00", 24 * 60), "2026-03-08T13:00:00");
}

#[test]
fn new_york_office_hours_across_spring_forward() {
    let cal = new_york_office();
    // Friday 16:00 EST + 2 h: one hour on Friday, one on Monday after the clocks changed.
    let end = cal.add_business_minutes(at(&cal, "2026-03-06T16:00"), 120).unwrap();
    assert_eq!(local(&cal, end), "2026-03-09T10:00:00");
    assert_eq!(end, utc("2026-03-09T14:00:00Z"));
    assert_eq!(at(&cal, "2026-03-06T16:00"), utc("2026-03-06T21:00:00Z"));
    // Office hours stay 09:00–17:00 local on both sides, so a week is 40 h either way.
    let week = |d: &str, e: &str| cal.business_minutes_between(at(&cal, d), at(&cal, e));
    assert_eq!(week("2026-03-02T00:00", "2026-03-09T00:00"), 40 * 60);
    assert_eq!(week("2026-03-09T00:00", "2026-03-16T00:00"), 40 * 60);
    assert_eq!(week("2026-10-26T00:00", "2026-11-02T00:00"), 40 * 60);
    assert!(!cal.is_date_covered(date("2026-03-09")));
    assert!(cal.known_years().is_empty());
}

#[test]
fn windows_inside_dst_gaps_and_folds() {
    let sunday = |windows: &[&str]| {
        let week = WeeklyHours::closed().with_day_from(Weekday::Sunday, windows).unwrap();
        BusinessCalendar::new("America/New_York", week).unwrap()
    };
    // Spring forward 2026-03-08: 02:00 EST jumps to 03:00 EDT at 07:00Z.
    let cal = sunday(&["01:00-02:30"]);
    assert_eq!(
        cal.open_intervals_on(date("2026-03-08")),
        vec![utc("2026-03-08T06:00:00Z")..utc("2026-03-08T07:00:00Z")]
    );
    let cal = sunday(&["02:30-04:00"]);
    assert_eq!(
        cal.open_intervals_on(date("2026-03-08")),
        vec![utc("2026-03-08T07:00:00Z")..utc("2026-03-08T08:00:00Z")]
    );
    // A window wholly inside the gap does not exist that day, but does on other Sundays.
    let cal = sunday(&["02:10-02:50"]);
    assert!(cal.open_intervals_on(date("2026-03-08")).is_empty());
    assert_eq!(local(&cal, cal.next_open(utc("2026-03-08T00:00:00Z")).unwrap()), "2026-03-15T02:10:00");
    // Fall back 2026-11-01: 01:00–02:00 happens twice (EDT, then EST); boundaries take the first.
    let cal = sunday(&["00:00-03:00"]);
    assert_eq!(
        cal.open_intervals_on(date("2026-11-01")),
        vec![utc("2026-11-01T04:00:00Z")..utc("2026-11-01T08:00:00Z")]
    );
    let cal = sunday(&["01:00-01:30"]);
    assert_eq!(
        cal.open_intervals_on(date("2026-11-01")),
        vec![utc("2026-11-01T05:00:00Z")..utc("2026-11-01T05:30:00Z")]
    );
}

#[test]
fn berlin_office_across_dst() {
    let cal = BusinessCalendar::new("Europe/Berlin", WeeklyHours::weekdays_from(&["08:00-16:00"]).unwrap())
        .unwrap();
    // Friday 2026-03-27 15:00 CET (14:00Z) + 2 h → Monday 2026-03-30 09:00 CEST (07:00Z).
    let end = cal.add_business_minutes(at(&cal, "2026-03-27T15:00"), 120).unwrap();
    assert_eq!(end, utc("2026-03-30T07:00:00Z"));
    // Fall back on Sunday 2026-10-25: Friday 15:30 CEST + 1 h → Monday 08:30 CET (07:30Z).
    let end = cal.add_business_minutes(at(&cal, "2026-10-23T15:30"), 60).unwrap();
    assert_eq!(end, utc("2026-10-26T07:30:00Z"));
    let always = BusinessCalendar::new("Europe/Berlin", WeeklyHours::always_open()).unwrap();
    assert_eq!(
        always.business_minutes_between(at(&cal, "2026-03-29T00:00"), at(&cal, "2026-03-30T00:00")),
        1380
    );
}

#[test]
fn window_ending_at_midnight() {
    let week = WeeklyHours::weekdays_from(&["20:00-24:00"]).unwrap();
    let cal = BusinessCalendar::new(DEFAULT_TIME_ZONE, week).unwrap();
    assert_eq!(add_min(&cal, "2026-03-09T23:30", 60), "2026-03-10T20:30:00");
    assert!(cal.is_open(at(&cal, "2026-03-09T23:59:59")));
    assert!(!cal.is_open(at(&cal, "2026-03-10T00:00")));
    // Friday night ends at Saturday 00:00; the budget ending exactly there gives that instant.
    assert_eq!(add_min(&cal, "2026-03-13T23:00", 60), "2026-03-14T00:00:00");
    assert_eq!(add_min(&cal, "2026-03-13T23:00", 61), "2026-03-16T20:01:00");

    // A night shift split at midnight is continuous: 22:00–24:00 and 00:00–02:00 every day.
    let night = WeeklyHours::closed();
    let night = [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
        Weekday::Saturday,
        Weekday::Sunday,
    ]
    .into_iter()
    .fold(night, |week, day| week.with_day_from(day, &["00:00-02:00", "22:00-24:00"]).unwrap());
    let cal = BusinessCalendar::new(DEFAULT_TIME_ZONE, night).unwrap();
    assert_eq!(add_min(&cal, "2026-03-09T23:00", 120), "2026-03-10T01:00:00");
    assert!(cal.is_open(at(&cal, "2026-03-10T00:00")));
    assert_eq!(cal.business_minutes_between(at(&cal, "2026-03-09T21:00"), at(&cal, "2026-03-10T03:00")), 240);
}

#[test]
fn berlin_midnight_window_on_dst_day() {
    // A Saturday window until 24:00 ends at Sunday's midnight, whatever happens later that Sunday.
    let week = WeeklyHours::closed().with_day_from(Weekday::Saturday, &["23:00-24:00"]).unwrap();
    let cal = BusinessCalendar::new("Europe/Berlin", week).unwrap();
    assert_eq!(
        cal.open_intervals_on(date("2026-03-28")),
        vec![utc("2026-03-28T22:00:00Z")..utc("2026-03-28T23:00:00Z")]
    );
}

// ---------------------------------------------------------------------------------------------------
// Coverage and calendars without open time

#[test]
fn uncovered_year_falls_back_to_weekly_rule() {
    let cal = shanghai();
    assert_eq!(cal.known_years(), vec![2020, 2021, 2022, 2023, 2024, 2025, 2026]);
    assert!(cal.is_date_covered(date("2026-12-31")));
    assert!(!cal.is_date_covered(date("2031-01-01")));
    assert!(!cal.is_date_covered(date("2019-12-31")));
    // 2031-01-01 is a Wednesday: with no data it is a normal workday, not 元旦.
    assert_eq!(cal.day_status(date("2031-01-01")), DayStatus::Regular);
    assert!(cal.is_open(at(&cal, "2031-01-01T09:30")));
    assert_eq!(add_min(&cal, "2030-12-31T22:30", 60), "2031-01-01T09:30:00");
    // Weekends stay closed, no make-up days are invented.
    assert_eq!(add_min(&cal, "2031-01-03T22:30", 60), "2031-01-06T09:30:00");
}

#[test]
fn calendar_without_open_hours_returns_none() {
    let cal = BusinessCalendar::new(DEFAULT_TIME_ZONE, WeeklyHours::closed()).unwrap();
    let t = at(&cal, "2026-03-10T10:00");
    assert_eq!(cal.next_open(t), None);
    assert!(!cal.is_open(t));
    assert_eq!(cal.add_business_minutes(t, 0), None);
    assert_eq!(cal.add_business_minutes(t, 1_000_000), None);
    assert_eq!(cal.business_minutes_between(t, utc("9999-01-01T00:00:00Z")), 0);
    assert_eq!(cal.open_intervals(Timestamp::MIN).next(), None);

    // Closed weekly hours with the China schedule: make-up days use the Monday windows (none).
    let cal = cal.with_schedule(HolidaySchedule::china());
    assert_eq!(cal.next_open(t), None);

    // With explicit make-up windows only the 调休 days open, and after the last one nothing does.
    let cal = cal.with_makeup_day_windows(vec![w("09:00-18:00")]).unwrap();
    assert_eq!(local(&cal, cal.next_open(at(&cal, "2026-01-01T00:00")).unwrap()), "2026-01-04T09:00:00");
    assert_eq!(local(&cal, cal.next_open(at(&cal, "2026-10-09T00:00")).unwrap()), "2026-10-10T09:00:00");
    assert_eq!(cal.next_open(at(&cal, "2026-10-10T18:00")), None);
    assert_eq!(add_min(&cal, "2026-09-20T17:00", 120), "2026-10-10T10:00:00");
    assert_eq!(cal.add_business_minutes(at(&cal, "2026-10-10T17:00"), 61), None);
    assert_eq!(
        cal.business_minutes_between(at(&cal, "2019-01-01T00:00"), at(&cal, "2030-01-01T00:00")),
        46 * 540
    );
    // From far in the past the iterator jumps to the first make-up day instead of walking days.
    assert_eq!(local(&cal, cal.next_open(utc("1000-01-01T00:00:00Z")).unwrap()), "2020-01-19T09:00:00");
}

#[test]
fn custom_makeup_windows() {
    let cal = shanghai().with_makeup_day_windows(vec![w("10:00-16:00")]).unwrap();
    assert_eq!(add_min(&cal, "2026-02-13T22:00", 120), "2026-02-14T11:00:00");
    assert_eq!(cal.makeup_day_windows(), &[w("10:00-16:00")]);
    assert_eq!(shanghai().makeup_day_windows(), &[w("09:00-12:00"), w("13:30-23:00")]);
    // Weekly hours that differ per weekday: make-up days still follow Monday by default.
    let week = WeeklyHours::weekdays_from(&["09:00-18:00"])
        .unwrap()
        .with_day_from(Weekday::Monday, &["10:00-12:00"])
        .unwrap()
        .with_day_from(Weekday::Saturday, &["10:00-14:00"])
        .unwrap();
    let cal = BusinessCalendar::china(week);
    assert_eq!(cal.windows_on(date("2026-02-14")), &[w("10:00-12:00")]);
    assert_eq!(cal.windows_on(date("2026-03-07")), &[w("10:00-14:00")]);
    assert_eq!(cal.windows_on(date("2026-03-10")), &[w("09:00-18:00")]);
    assert!(cal.windows_on(date("2026-10-01")).is_empty());
}

#[test]
fn open_intervals_iterator() {
    let cal = shanghai();
    let got: Vec<_> = cal.open_intervals(at(&cal, "2026-02-13T10:00")).take(4).collect();
    let want = [
        ("2026-02-13T10:00", "2026-02-13T12:00"),
        ("2026-02-13T13:30", "2026-02-13T23:00"),
        ("2026-02-14T09:00", "2026-02-14T12:00"),
        ("2026-02-14T13:30", "2026-02-14T23:00"),
    ];
    let want: Vec<_> = want.iter().map(|(s, e)| at(&cal, s)..at(&cal, e)).collect();
    assert_eq!(got, want);
    let next = cal.open_intervals(at(&cal, "2026-02-14T23:00")).next().unwrap();
    assert_eq!(next.start, at(&cal, "2026-02-24T09:00"));
}

// ---------------------------------------------------------------------------------------------------
// Construction and validation

#[test]
fn construction_errors_name_the_problem() {
    let err = BusinessCalendar::new("Asia/Shanghia", WeeklyHours::always_open()).unwrap_err();
    assert_eq!(err, CalendarError::UnknownTimeZone { name: "Asia/Shanghia".into() });
    assert!(err.to_string().contains("Asia/Shanghia"));
    let cal = BusinessCalendar::new(" europe/berlin ", WeeklyHours::always_open()).unwrap();
    assert_eq!(cal.time_zone_name(), "Europe/Berlin");
    assert_eq!(shanghai().time_zone_name(), DEFAULT_TIME_ZONE);

    let err = WeeklyHours::weekdays_from(&["09:00-12:00", "11:00-14:00"]).unwrap_err();
    assert!(matches!(err, CalendarError::OverlappingWindows { .. }));
    assert_eq!(err.to_string(), "service windows 09:00-12:00 and 11:00-14:00 on Monday to Friday overlap");

    let err =
        WeeklyHours::closed().with_day_from(Weekday::Saturday, &["13:00-18:00", "10:00-13:30"]).unwrap_err();
    assert_eq!(err.to_string(), "service windows 10:00-13:30 and 13:00-18:00 on Saturday overlap");

    let err = ServiceWindow::from_times("18:00", "09:00").unwrap_err();
    assert!(matches!(err, CalendarError::InvertedWindow { .. }));
    assert!(err.to_string().contains("18:00-09:00"));
    assert!(matches!(ServiceWindow::from_times("09:00", "09:00"), Err(CalendarError::InvertedWindow { .. })));

    for bad in ["25:00", "24:30", "9:5", "09:60", "0900", "09:00:61", "-1:00", "ab:cd", "", "09:00:00:00"] {
        let err = bad.parse::<TimeOfDay>().unwrap_err();
        assert!(matches!(err, CalendarError::InvalidTime { .. }), "{bad}: {err:?}");
        assert!(err.to_string().contains(&format!("{bad:?}")), "{err}");
    }
    assert!(matches!("09:00".parse::<ServiceWindow>(), Err(CalendarError::InvalidWindow { .. })));
    assert!(matches!("09:00-10:00-11:00".parse::<ServiceWindow>(), Err(CalendarError::InvalidWindow { .. })));
    assert!(matches!(
        shanghai().with_makeup_day_windows(vec![w("09:00-12:00"), w("11:59-13:00")]),
        Err(CalendarError::OverlappingWindows { .. })
    ));

    let domain: DomainError = CalendarError::UnknownTimeZone { name: "x".into() }.into();
    assert_eq!(domain.code, ErrorCode::Validation);
    assert_eq!(domain.field.as_deref(), Some("time_zone"));
    let domain: DomainError = err.into();
    assert_eq!(domain.field.as_deref(), Some("service_hours"));
}

#[test]
fn times_and_windows_parse_and_display() {
    assert_eq!("9:05".parse::<TimeOfDay>().unwrap(), TimeOfDay::hm(9, 5).unwrap());
    assert_eq!("24:00".parse::<TimeOfDay>().unwrap(), TimeOfDay::END_OF_DAY);
    assert_eq!("24:00:00".parse::<TimeOfDay>().unwrap(), TimeOfDay::END_OF_DAY);
    assert_eq!("13:30:15".parse::<TimeOfDay>().unwrap().to_string(), "13:30:15");
    assert_eq!(TimeOfDay::hm(7, 0).unwrap().to_string(), "07:00");
    assert!(TimeOfDay::hm(24, 1).is_err());
    assert_eq!(w(" 13:30 – 24:00 ").to_string(), "13:30-24:00");
    assert_eq!(w("09:00~12:00").length_seconds(), 3 * 3600);
    assert_eq!(ServiceWindow::ALL_DAY.to_string(), "00:00-24:00");
    // Touching windows are fine and come back sorted.
    let week = WeeklyHours::weekdays(vec![w("12:00-13:00"), w("09:00-12:00")]).unwrap();
    assert_eq!(week.windows(Weekday::Wednesday), &[w("09:00-12:00"), w("12:00-13:00")]);
    assert!(week.windows(Weekday::Sunday).is_empty());
    assert!(WeeklyHours::closed().is_always_closed());
    assert!(!WeeklyHours::always_open().is_always_closed());
}

// ---------------------------------------------------------------------------------------------------
// Shipped schedule

#[test]
fn shipped_schedule_parses_and_covers_2020_to_2026() {
    let schedule = HolidaySchedule::china();
    assert_eq!(schedule.known_years(), (2020..=2026).collect::<Vec<i16>>());
    let allowed = [
        "元旦",
        "春节",
        "清明节",
        "劳动节",
        "端午节",
        "中秋节",
        "国庆节",
        "国庆节、中秋节",
        "中秋节、国庆节",
    ];
    for year in schedule.known_years() {
        let y = schedule.year(year).unwrap();
        assert!(y.source().is_some_and(|s| s.contains(&format!("{year}年"))));
        for (d, day) in y.iter() {
            let festival = day.name.strip_suffix("调休").unwrap_or(&day.name);
            assert!(allowed.contains(&festival), "{d}: {}", day.name);
            assert_eq!(day.kind == DayKind::Workday, day.name.ends_with("调休"), "{d}");
            if day.kind == DayKind::Workday {
                assert!(matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday), "{d}");
            }
        }
    }
}

#[test]
fn shipped_schedule_2026_matches_the_state_council_notice() {
    let schedule = HolidaySchedule::china();
    let y = schedule.year(2026).unwrap();
    let holiday_ranges = [
        ("2026-01-01", "2026-01-03", "元旦"),
        ("2026-02-15", "2026-02-23", "春节"),
        ("2026-04-04", "2026-04-06", "清明节"),
        ("2026-05-01", "2026-05-05", "劳动节"),
        ("2026-06-19", "2026-06-21", "端午节"),
        ("2026-09-25", "2026-09-27", "中秋节"),
        ("2026-10-01", "2026-10-07", "国庆节"),
    ];
    let mut expected = BTreeMap::new();
    for (from, to, name) in holiday_ranges {
        let mut d = date(from);
        while d <= date(to) {
            expected.insert(d, (DayKind::Holiday, name.to_string()));
            d = d.tomorrow().unwrap();
        }
    }
    for (d, name) in [
        ("2026-01-04", "元旦调休"),
        ("2026-02-14", "春节调休"),
        ("2026-02-28", "春节调休"),
        ("2026-05-09", "劳动节调休"),
        ("2026-09-20", "国庆节调休"),
        ("2026-10-10", "国庆节调休"),
    ] {
        expected.insert(date(d), (DayKind::Workday, name.to_string()));
    }
    let got: BTreeMap<_, _> = y.iter().map(|(d, day)| (d, (day.kind, day.name.clone()))).collect();
    assert_eq!(got, expected);
    assert!(y.source().unwrap().contains("国办发明电〔2025〕7号"));
}

/// Statutory days off (法定假日) per festival, as the notices count them: the weekdays off in a break
/// minus the make-up workdays of that break. Until 2024: 元旦 1, 春节 3, 清明 1, 劳动 1, 端午 1, 中秋 1,
/// 国庆 3; from 2025: 春节 4 and 劳动 2. A cross-check of every year's data.
#[test]
fn shipped_schedule_balances_to_statutory_day_counts() {
    let expected: &[(i16, &[(&str, i64)])] = &[
        // 2020: the Spring Festival break was extended by 3 days nationwide (Jan 31 – Feb 2), two of
        // them counted here (Jan 31 and the cancelled Feb 1 make-up day).
        (
            2020,
            &[("元旦", 1), ("春节", 5), ("清明节", 1), ("劳动节", 1), ("端午节", 1), ("国庆节、中秋节", 4)],
        ),
        (
            2021,
            &[
                ("元旦", 1),
                ("春节", 3),
                ("清明节", 1),
                ("劳动节", 1),
                ("端午节", 1),
                ("中秋节", 1),
                ("国庆节", 3),
            ],
        ),
        (
            2022,
            &[
                ("元旦", 1),
                ("春节", 3),
                ("清明节", 1),
                ("劳动节", 1),
                ("端午节", 1),
                ("中秋节", 1),
                ("国庆节", 3),
            ],
        ),
        (
            2023,
            &[("元旦", 1), ("春节", 3), ("清明节", 1), ("劳动节", 1), ("端午节", 1), ("中秋节、国庆节", 4)],
        ),
        (
            2024,
            &[
                ("元旦", 1),
                ("春节", 3),
                ("清明节", 1),
                ("劳动节", 1),
                ("端午节", 1),
                ("中秋节", 1),
                ("国庆节", 3),
            ],
        ),
        (
            2025,
            &[("元旦", 1), ("春节", 4), ("清明节", 1), ("劳动节", 2), ("端午节", 1), ("国庆节、中秋节", 4)],
        ),
        (
            2026,
            &[
                ("元旦", 1),
                ("春节", 4),
                ("清明节", 1),
                ("劳动节", 2),
                ("端午节", 1),
                ("中秋节", 1),
                ("国庆节", 3),
            ],
        ),
    ];
    let schedule = HolidaySchedule::china();
    for (year, festivals) in expected {
        let mut balance: BTreeMap<String, i64> = BTreeMap::new();
        for (d, day) in schedule.year(*year).unwrap().iter() {
            let festival = day.name.strip_suffix("调休").unwrap_or(&day.name).to_string();
            let weekday = !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday);
            let delta = match day.kind {
                DayKind::Holiday if weekday => 1,
                DayKind::Holiday => 0,
                DayKind::Workday => -1,
            };
            *balance.entry(festival).or_default() += delta;
        }
        let want: BTreeMap<String, i64> = festivals.iter().map(|(n, c)| (n.to_string(), *c)).collect();
        assert_eq!(balance, want, "year {year}");
    }
}

#[test]
fn shipped_schedule_spot_checks_earlier_years() {
    let cal = shanghai();
    let holiday = |d: &str| matches!(cal.day_status(date(d)), DayStatus::Holiday { .. });
    let makeup = |d: &str| matches!(cal.day_status(date(d)), DayStatus::MakeupWorkday { .. });
    // 2023's 元旦 break starts on 2022-12-31, listed in the 2023 notice.
    assert!(holiday("2022-12-31"));
    assert_eq!(cal.schedule().year(2023).unwrap().get(date("2022-12-31")).unwrap().name, "元旦");
    assert!(cal.schedule().year(2022).unwrap().get(date("2022-12-31")).is_none());
    assert!(holiday("2020-02-02") && holiday("2020-02-01") && makeup("2020-01-19"));
    assert!(makeup("2021-02-20") && makeup("2022-01-29") && makeup("2022-01-30"));
    assert!(makeup("2023-10-07") && makeup("2023-10-08") && holiday("2023-09-29"));
    // 2024-02-09 (除夕) was not a statutory holiday.
    assert_eq!(cal.day_status(date("2024-02-09")), DayStatus::Regular);
    assert!(holiday("2024-02-10") && makeup("2024-02-04") && makeup("2024-02-18"));
    // 2025 added 除夕 (Jan 28) and May 2.
    assert!(holiday("2025-01-28") && holiday("2025-05-02") && makeup("2025-04-27"));
    assert!(!makeup("2025-05-10"));
    assert!(makeup("2025-10-11") && holiday("2025-10-08"));
}

// ---------------------------------------------------------------------------------------------------
// Import

const JSON_2027: &str = r#"{
  "year": 2027,
  "source": "test data",
  "days": [
    { "date": "2026-12-31", "kind": "holiday", "name": "元旦" },
    { "date": "2027-01-01", "kind": "holiday", "name": "元旦" },
    { "date": "2027-02-06", "kind": "workday", "name": "春节调休" },
    { "date": "2027-02-08", "kind": "休", "name": "春节" }
  ]
}"#;

#[test]
fn import_json_and_merge_year() {
    let year = YearSchedule::from_json(JSON_2027).unwrap();
    assert_eq!(year.year(), 2027);
    assert_eq!(year.source(), Some("test data"));
    assert_eq!(year.len(), 4);

    let mut cal = shanghai();
    assert!(!cal.is_date_covered(date("2027-02-08")));
    assert_eq!(cal.import_year(year), None);
    assert!(cal.is_date_covered(date("2027-02-08")));
    assert_eq!(cal.known_years().last(), Some(&2027));
    assert_eq!(cal.day_status(date("2027-02-08")), DayStatus::Holiday { name: "春节" });
    // The December spill-over applies to 2026-12-31 (2026's own schedule has no entry for it).
    assert_eq!(cal.day_status(date("2026-12-31")), DayStatus::Holiday { name: "元旦" });
    assert_eq!(add_min(&cal, "2026-12-30T22:30", 60), "2027-01-04T09:30:00");
    // 2027-02-06 (Sat) is worked.
    assert_eq!(add_min(&cal, "2027-02-05T22:30", 60), "2027-02-06T09:30:00");

    // Re-importing 2026 replaces all of 2026: 春节 2026 is gone, the new entry is there.
    let replacement = YearSchedule::from_csv(2026, "2026-03-02,holiday,测试假日\n").unwrap();
    let old = cal.import_year(replacement).unwrap();
    assert_eq!(old.year(), 2026);
    assert_eq!(old.len(), 39);
    assert_eq!(cal.day_status(date("2026-02-16")), DayStatus::Regular);
    assert_eq!(cal.day_status(date("2026-02-14")), DayStatus::Regular);
    assert_eq!(cal.day_status(date("2026-03-02")), DayStatus::Holiday { name: "测试假日" });
    assert_eq!(add_min(&cal, "2026-02-13T22:00", 120), "2026-02-16T10:00:00");
    // Other years are untouched.
    assert_eq!(cal.day_status(date("2025-10-01")), DayStatus::Holiday { name: "国庆节、中秋节" });

    // An empty year marks the year as covered.
    let empty = YearSchedule::from_json(r#"{"year": 2030, "days": []}"#).unwrap();
    assert!(empty.is_empty());
    cal.import_year(empty);
    assert!(cal.is_date_covered(date("2030-05-01")));
    assert_eq!(cal.day_status(date("2030-05-01")), DayStatus::Regular);
}

#[test]
fn import_json_multi_year_round_trip() {
    let china = HolidaySchedule::china();
    let text = china.to_json();
    assert_eq!(HolidaySchedule::from_json(&text).unwrap(), china);
    let y = china.year(2024).unwrap();
    assert_eq!(&YearSchedule::from_json(&y.to_json()).unwrap(), y);
}

fn json_err(text: &str) -> ImportError {
    YearSchedule::from_json(text).unwrap_err()
}

#[test]
fn import_json_errors_have_line_numbers() {
    let with_day = |day: &str| format!("{{\n  \"year\": 2027,\n  \"days\": [\n    {day}\n  ]\n}}");
    let cases = [
        (r#"{ "date": "2027-13-01", "kind": "holiday", "name": "元旦" }"#, "no such day"),
        (r#"{ "date": "2027/01/01", "kind": "holiday", "name": "元旦" }"#, "expected YYYY-MM-DD"),
        (r#"{ "date": "2027-01-01", "kind": "vacation", "name": "元旦" }"#, "unknown kind \"vacation\""),
        (r#"{ "date": "2027-02-08", "kind": "workday", "name": "春节调休" }"#, "is a Monday"),
        (r#"{ "kind": "workday", "date": "2027-02-08", "name": "春节调休" }"#, "is a Monday"),
        (r#"{ "date": "2028-01-01", "kind": "holiday", "name": "元旦" }"#, "does not belong to the 2027"),
        (r#"{ "date": "2026-11-30", "kind": "holiday", "name": "元旦" }"#, "does not belong to the 2027"),
        (r#"{ "date": "2027-01-01", "kind": "holiday", "name": "  " }"#, "must not be blank"),
        (r#"{ "date": "2027-01-01", "kind": "holiday", "nme": "元旦" }"#, "unknown field `nme`"),
        (r#"{ "date": "2027-01-01", "kind": "holiday" }"#, "missing field `name`"),
        (r#"{ "date": 20270101, "kind": "holiday", "name": "元旦" }"#, "invalid type"),
    ];
    for (day, want) in cases {
        let err = json_err(&with_day(day));
        assert_eq!(err.line, 4, "{day}: {err}");
        assert!(err.message.contains(want), "{day}: {err}");
    }

    // Duplicate date: reported on the second occurrence.
    let text = "{\n\"year\": 2027,\n\"days\": [\n\
                {\"date\": \"2027-01-01\", \"kind\": \"holiday\", \"name\": \"元旦\"},\n\
                {\"date\": \"2027-01-02\", \"kind\": \"holiday\", \"name\": \"元旦\"},\n\
                {\"date\": \"2027-01-01\", \"kind\": \"holiday\", \"name\": \"元旦\"}\n]\n}";
    let err = json_err(text);
    assert_eq!((err.line, err.message.contains("appears more than once")), (6, true), "{err}");

    // Syntax error: missing comma between entries on line 5.
    let text = "{\n\"year\": 2027,\n\"days\": [\n\
                {\"date\": \"2027-01-01\", \"kind\": \"holiday\", \"name\": \"元旦\"}\n\
                {\"date\": \"2027-01-02\", \"kind\": \"holiday\", \"name\": \"元旦\"}\n]\n}";
    let err = json_err(text);
    assert_eq!(err.line, 5, "{err}");
    assert!(!err.message.contains("at line"), "{err}");

    let err = json_err("{\n  \"days\": [],\n  \"year\": 2027\n}");
    assert_eq!((err.line, err.message.as_str()), (2, "\"year\" must come before \"days\""));
    let err = json_err("{\n  \"year\": 1800,\n  \"days\": []\n}");
    assert_eq!(err.line, 2);
    assert!(err.message.contains("out of range"), "{err}");
    let err = json_err("{\n  \"year\": 2027\n}");
    assert!(err.message.contains("missing field `days`"), "{err}");
    let err = json_err("");
    assert_eq!(err.line, 1);
    let err = json_err("{\"year\": 2027, \"days\": []}\nextra");
    assert_eq!(err.line, 2, "{err}");

    // Arrays of years: a year given twice is reported where it is repeated.
    let text = "[\n{\"year\": 2027, \"days\": []},\n{\"year\": 2027, \"days\": []}\n]";
    let err = HolidaySchedule::from_json(text).unwrap_err();
    assert_eq!(err.line, 3);
    assert!(err.message.contains("year 2027 appears more than once"), "{err}");
    assert_eq!(err.to_string(), format!("line 3: {}", err.message));

    let domain: DomainError = err.into();
    assert_eq!((domain.code, domain.field.as_deref()), (ErrorCode::Validation, Some("schedule")));
}

#[test]
fn import_csv_happy_path() {
    let text = "\u{feff}# 2027 holidays, exported from the admin sheet\r\n\
                date,kind,name\r\n\
                \r\n\
                2027-01-01,holiday,元旦\r\n\
                2027-02-06 , workday , 春节调休\r\n\
                2027-02-07,班,春节调休\r\n\
                2027-02-08,HOLIDAY,\"春节, 除夕后\"\r\n\
                \"2027-02-09\",holiday,\"say \"\"hi\"\"\"\r\n";
    let year = YearSchedule::from_csv(2027, text).unwrap();
    assert_eq!(year.len(), 5);
    assert_eq!(year.get(date("2027-02-06")).unwrap().kind, DayKind::Workday);
    assert_eq!(year.get(date("2027-02-07")).unwrap().kind, DayKind::Workday);
    assert_eq!(year.get(date("2027-02-08")).unwrap().name, "春节, 除夕后");
    assert_eq!(year.get(date("2027-02-09")).unwrap().name, "say \"hi\"");
    // Export and re-import give the same year.
    assert_eq!(YearSchedule::from_csv(2027, &year.to_csv()).unwrap(), year);
    let shipped = HolidaySchedule::china();
    let y2023 = shipped.year(2023).unwrap();
    let reimported = YearSchedule::from_csv(2023, &y2023.to_csv()).unwrap();
    assert_eq!(reimported.iter().collect::<Vec<_>>(), y2023.iter().collect::<Vec<_>>());
}

#[test]
fn import_csv_errors_have_line_numbers() {
    let cases: &[(&str, usize, &str)] = &[
        ("2027-01-01,holiday,元旦\n2027-01-02,holiday\n", 2, "expected three comma-separated fields"),
        ("# c\n\n2027-02-30,holiday,元旦\n", 3, "no such day"),
        ("2027-1-1,holiday,元旦\n", 1, "expected YYYY-MM-DD"),
        ("2027-01-01,off,元旦\n", 1, "unknown kind \"off\""),
        (
            "2027-01-01,holiday,元旦\n2027-01-02,holiday,元旦\n2027-01-01,holiday,元旦\n",
            3,
            "(first on line 1)",
        ),
        ("2027-01-01,holiday,元旦\n2028-01-01,holiday,元旦\n", 2, "does not belong to the 2027"),
        ("2027-02-08,workday,春节调休\n", 1, "is a Monday"),
        ("2027-01-01,holiday, \n", 1, "has no name"),
        ("date,kind,name\n2027-01-01,holiday,元旦\ndate,kind,name\n", 3, "invalid date \"date\""),
        ("# nothing here\n\n", 2, "no schedule entries"),
        ("", 1, "no schedule entries"),
    ];
    for (text, line, want) in cases {
        let err = YearSchedule::from_csv(2027, text).unwrap_err();
        assert_eq!(err.line, *line, "{text:?}: {err}");
        assert!(err.message.contains(want), "{text:?}: {err}");
    }
    let err = YearSchedule::from_csv(1800, "1800-01-01,holiday,x").unwrap_err();
    assert!(err.message.contains("out of range"), "{err}");
}

#[test]
fn programmatic_schedule_building() {
    let mut year = YearSchedule::new(2027).unwrap().with_source("manual");
    year.insert(date("2027-01-01"), DayKind::Holiday, "元旦").unwrap();
    assert_eq!(
        year.insert(date("2027-01-01"), DayKind::Holiday, "元旦"),
        Err(CalendarError::DuplicateDate { date: date("2027-01-01") })
    );
    assert!(matches!(
        year.insert(date("2027-01-04"), DayKind::Workday, "x"),
        Err(CalendarError::MakeupDayNotWeekend { weekday: "Monday", .. })
    ));
    assert!(matches!(
        year.insert(date("2027-01-05"), DayKind::Holiday, " "),
        Err(CalendarError::MissingName { .. })
    ));
    assert!(YearSchedule::new(1899).is_err());
    let mut schedule = HolidaySchedule::new();
    schedule.insert_year(year);
    assert_eq!(schedule.known_years(), vec![2027]);
    assert!(schedule.remove_year(2027).is_some());
    assert!(schedule.known_years().is_empty());
    assert_eq!(DayKind::parse(" Workday "), Some(DayKind::Workday));
    assert_eq!(DayKind::parse("休"), Some(DayKind::Holiday));
    assert_eq!(DayKind::parse("x"), None);
}
