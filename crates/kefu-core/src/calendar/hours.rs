//! Weekly service hours (服务时间): times of day, service windows and the week they make up.

use std::fmt;
use std::str::FromStr;

use jiff::civil::Weekday;

use super::error::CalendarError;

const SECONDS_PER_DAY: u32 = 86_400;

/// A wall-clock time of day with second resolution, from `00:00` up to and including `24:00`.
///
/// `24:00` is only meaningful as the end of a [`ServiceWindow`] ("open until midnight"); it denotes the
/// start of the next local day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeOfDay(u32);

impl TimeOfDay {
    /// `00:00`, the start of the day.
    pub const MIDNIGHT: TimeOfDay = TimeOfDay(0);
    /// `24:00`, the end of the day (the next day's midnight).
    pub const END_OF_DAY: TimeOfDay = TimeOfDay(SECONDS_PER_DAY);

    /// A time from hours and minutes: `hm(9, 30)` is `09:30`; `hm(24, 0)` is the end of the day.
    pub fn hm(hour: u32, minute: u32) -> Result<TimeOfDay, CalendarError> {
        TimeOfDay::hms(hour, minute, 0)
    }

    /// A time from hours, minutes and seconds. Hours `0..=24`, minutes and seconds `0..=59`; with hour
    /// 24 only `24:00:00` is allowed.
    pub fn hms(hour: u32, minute: u32, second: u32) -> Result<TimeOfDay, CalendarError> {
        let shown = || format!("{hour:02}:{minute:02}:{second:02}");
        if minute > 59 || second > 59 {
            return Err(CalendarError::InvalidTime {
                value: shown(),
                reason: "minutes and seconds must be between 00 and 59",
            });
        }
        if hour > 24 || (hour == 24 && (minute, second) != (0, 0)) {
            return Err(CalendarError::InvalidTime {
                value: shown(),
                reason: "the time must be between 00:00 and 24:00",
            });
        }
        Ok(TimeOfDay(hour * 3600 + minute * 60 + second))
    }

    /// Seconds since local midnight, `0..=86_400`.
    pub fn seconds_from_midnight(self) -> u32 {
        self.0
    }

    /// The hour, `0..=24`.
    pub fn hour(self) -> u32 {
        self.0 / 3600
    }

    /// The minute, `0..=59`.
    pub fn minute(self) -> u32 {
        self.0 / 60 % 60
    }

    /// The second, `0..=59`.
    pub fn second(self) -> u32 {
        self.0 % 60
    }

    /// Whether this is `24:00`.
    pub fn is_end_of_day(self) -> bool {
        self.0 == SECONDS_PER_DAY
    }
}

impl FromStr for TimeOfDay {
    type Err = CalendarError;

    /// Parses `H:MM`, `HH:MM` or `HH:MM:SS` (24-hour clock, `24:00` allowed).
    fn from_str(s: &str) -> Result<TimeOfDay, CalendarError> {
        let bad = |reason| CalendarError::InvalidTime { value: s.to_string(), reason };
        let parts: Vec<&str> = s.trim().split(':').collect();
        if !(2..=3).contains(&parts.len()) {
            return Err(bad("expected HH:MM or HH:MM:SS"));
        }
        let mut numbers = [0u32; 3];
        for (i, part) in parts.iter().enumerate() {
            // Hours take one or two digits, minutes and seconds exactly two.
            let len_ok = if i == 0 { (1..=2).contains(&part.len()) } else { part.len() == 2 };
            if !len_ok || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad("expected HH:MM or HH:MM:SS with two-digit minutes and seconds"));
            }
            numbers[i] = part.parse().map_err(|_| bad("expected HH:MM or HH:MM:SS"))?;
        }
        TimeOfDay::hms(numbers[0], numbers[1], numbers[2]).map_err(|e| match e {
            CalendarError::InvalidTime { reason, .. } => bad(reason),
            other => other,
        })
    }
}

impl fmt::Display for TimeOfDay {
    /// `HH:MM`, or `HH:MM:SS` when the seconds are not zero.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.second() == 0 {
            write!(f, "{:02}:{:02}", self.hour(), self.minute())
        } else {
            write!(f, "{:02}:{:02}:{:02}", self.hour(), self.minute(), self.second())
        }
    }
}

/// One service window (服务时段) of a day: open from `start` (inclusive) to `end` (exclusive), local
/// wall-clock time. `end` may be `24:00`; a window never crosses midnight (split a night shift into
/// `22:00-24:00` on one day and `00:00-06:00` on the next).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServiceWindow {
    start: TimeOfDay,
    end: TimeOfDay,
}

impl ServiceWindow {
    /// The whole day, `00:00-24:00`.
    pub const ALL_DAY: ServiceWindow =
        ServiceWindow { start: TimeOfDay::MIDNIGHT, end: TimeOfDay::END_OF_DAY };

    /// A window from `start` to `end`; fails with [`CalendarError::InvertedWindow`] unless `start < end`.
    pub fn new(start: TimeOfDay, end: TimeOfDay) -> Result<ServiceWindow, CalendarError> {
        if start >= end {
            return Err(CalendarError::InvertedWindow { start, end });
        }
        Ok(ServiceWindow { start, end })
    }

    /// A window from two `HH:MM` strings, e.g. `ServiceWindow::from_times("13:30", "24:00")`.
    pub fn from_times(start: &str, end: &str) -> Result<ServiceWindow, CalendarError> {
        ServiceWindow::new(start.parse()?, end.parse()?)
    }

    /// When the window opens.
    pub fn start(&self) -> TimeOfDay {
        self.start
    }

    /// When the window closes (exclusive).
    pub fn end(&self) -> TimeOfDay {
        self.end
    }

    /// The nominal length in seconds (wall-clock; a DST transition inside the window changes the real
    /// length on that day).
    pub fn length_seconds(&self) -> u32 {
        self.end.0 - self.start.0
    }
}

impl FromStr for ServiceWindow {
    type Err = CalendarError;

    /// Parses `HH:MM-HH:MM` (an en dash `–` or `~` also separates), e.g. `09:00-12:00`, `13:30-24:00`.
    fn from_str(s: &str) -> Result<ServiceWindow, CalendarError> {
        let mut parts = s.split(['-', '–', '~']);
        match (parts.next(), parts.next(), parts.next()) {
            (Some(start), Some(end), None) => ServiceWindow::from_times(start, end),
            _ => Err(CalendarError::InvalidWindow { value: s.to_string() }),
        }
    }
}

impl fmt::Display for ServiceWindow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.start, self.end)
    }
}

/// Sorts windows by start and rejects overlaps. Touching windows (`09:00-12:00`, `12:00-13:00`) are
/// allowed. `day` names the day in the error.
pub(crate) fn validate_windows(
    day: &str,
    mut windows: Vec<ServiceWindow>,
) -> Result<Vec<ServiceWindow>, CalendarError> {
    windows.sort();
    for pair in windows.windows(2) {
        if pair[0].end > pair[1].start {
            return Err(CalendarError::OverlappingWindows {
                day: day.to_string(),
                first: pair[0],
                second: pair[1],
            });
        }
    }
    Ok(windows)
}

/// Parses a list of `HH:MM-HH:MM` strings into validated windows for `day` (used in error messages).
pub(crate) fn parse_windows(day: &str, windows: &[&str]) -> Result<Vec<ServiceWindow>, CalendarError> {
    let parsed = windows.iter().map(|w| w.parse()).collect::<Result<Vec<ServiceWindow>, _>>()?;
    validate_windows(day, parsed)
}

/// English name of a weekday for messages.
pub(crate) fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Monday => "Monday",
        Weekday::Tuesday => "Tuesday",
        Weekday::Wednesday => "Wednesday",
        Weekday::Thursday => "Thursday",
        Weekday::Friday => "Friday",
        Weekday::Saturday => "Saturday",
        Weekday::Sunday => "Sunday",
    }
}

/// The regular weekly service hours (每周服务时间): for each weekday, zero or more non-overlapping
/// [`ServiceWindow`]s, sorted by start. An empty list closes that weekday.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WeeklyHours {
    /// Indexed by `Weekday::to_monday_zero_offset()`.
    days: [Vec<ServiceWindow>; 7],
}

impl WeeklyHours {
    /// Closed every day. Start here and add days with [`WeeklyHours::with_day`].
    pub fn closed() -> WeeklyHours {
        WeeklyHours::default()
    }

    /// Open around the clock every day (7×24, 全天候).
    pub fn always_open() -> WeeklyHours {
        WeeklyHours { days: std::array::from_fn(|_| vec![ServiceWindow::ALL_DAY]) }
    }

    /// The same windows Monday to Friday (工作日), closed on Saturday and Sunday.
    pub fn weekdays(windows: Vec<ServiceWindow>) -> Result<WeeklyHours, CalendarError> {
        let windows = validate_windows("Monday to Friday", windows)?;
        let mut week = WeeklyHours::closed();
        for day in &mut week.days[..5] {
            day.clone_from(&windows);
        }
        Ok(week)
    }

    /// Like [`WeeklyHours::weekdays`] from `HH:MM-HH:MM` strings, e.g. `&["09:00-12:00", "13:30-23:00"]`.
    pub fn weekdays_from(windows: &[&str]) -> Result<WeeklyHours, CalendarError> {
        WeeklyHours::weekdays(parse_windows("Monday to Friday", windows)?)
    }

    /// Replaces one weekday's windows (validated: no overlaps).
    pub fn set_day(&mut self, day: Weekday, windows: Vec<ServiceWindow>) -> Result<(), CalendarError> {
        let windows = validate_windows(weekday_name(day), windows)?;
        self.days[day_index(day)] = windows;
        Ok(())
    }

    /// Builder form of [`WeeklyHours::set_day`].
    pub fn with_day(
        mut self,
        day: Weekday,
        windows: Vec<ServiceWindow>,
    ) -> Result<WeeklyHours, CalendarError> {
        self.set_day(day, windows)?;
        Ok(self)
    }

    /// Builder form of [`WeeklyHours::set_day`] from `HH:MM-HH:MM` strings.
    pub fn with_day_from(self, day: Weekday, windows: &[&str]) -> Result<WeeklyHours, CalendarError> {
        let windows = parse_windows(weekday_name(day), windows)?;
        self.with_day(day, windows)
    }

    /// The windows of `day`, sorted by start.
    pub fn windows(&self, day: Weekday) -> &[ServiceWindow] {
        &self.days[day_index(day)]
    }

    /// True when no weekday has any window.
    pub fn is_always_closed(&self) -> bool {
        self.days.iter().all(Vec::is_empty)
    }
}

fn day_index(day: Weekday) -> usize {
    // `to_monday_zero_offset` is 0..=6.
    day.to_monday_zero_offset().unsigned_abs() as usize
}
