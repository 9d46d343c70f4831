//! Business calendars and business-time arithmetic (SLA, issue: SLA engine).
//!
//! A [`BusinessCalendar`] says when customer service is open (营业时间 / 服务时间): weekly service
//! hours in an IANA time zone ([`WeeklyHours`], several [`ServiceWindow`]s per day, or 7×24), closed
//! on statutory holidays (法定节假日) and open on make-up workdays (调休上班) from a
//! [`HolidaySchedule`]. The SLA engine measures response and resolution targets in *business time*
//! with it: [`BusinessCalendar::add_business_seconds`] gives a deadline,
//! [`BusinessCalendar::business_seconds_between`] the business time spent.
//!
//! Everything here is a pure function of the calendar and the instants passed in: no clock reads, no
//! I/O. Instants are [`jiff::Timestamp`]s (UTC); service windows are local wall-clock times in the
//! calendar's time zone.
//!
//! # Semantics
//!
//! * A window `09:00-12:00` is open from 09:00:00 (inclusive) to 12:00:00 (exclusive). A window may end
//!   at `24:00`, the next local midnight.
//! * A holiday closes the whole local day. A make-up workday uses the calendar's make-up windows (by
//!   default the Monday windows), whatever the weekly hours say about that Saturday or Sunday.
//! * DST (non-Shanghai zones): a window boundary is the first instant the local clock reads that time.
//!   A boundary inside a skipped hour (spring forward) is the instant the clock jumps; a boundary inside
//!   a repeated hour (fall back) is its first occurrence. A `00:00-24:00` day is therefore 23 or 25 hours
//!   long on transition days, and a 7×24 calendar is open at every instant.
//! * Precision: arithmetic is exact to the nanosecond, jiff's resolution (window boundaries are whole
//!   seconds). The integer APIs count whole seconds or minutes; `*_between` rounds down.
//! * A calendar with no open time at all (after some instant) never panics or loops forever:
//!   [`BusinessCalendar::next_open`] and the `add_business_*` functions return `None`, and
//!   `*_between` counts only the open time that exists.
//! * Years without schedule data are not an error: their dates follow the weekly hours only and
//!   [`BusinessCalendar::is_date_covered`] reports `false`, so callers can flag them.
//!
//! # Shipped data and imports
//!
//! [`HolidaySchedule::china`] ships the PRC schedule for 2020–2026. Later years are imported by an
//! administrator as JSON ([`YearSchedule::from_json`]) or CSV ([`YearSchedule::from_csv`]) and merged
//! with [`BusinessCalendar::import_year`], which replaces that year's entries.
//!
//! ## Import formats
//!
//! JSON, one year per object; `"year"` must come before `"days"`, `"source"` is optional:
//!
//! ```json
//! {
//!   "year": 2027,
//!   "source": "国务院办公厅关于2027年部分节假日安排的通知",
//!   "days": [
//!     { "date": "2027-01-01", "kind": "holiday", "name": "元旦" },
//!     { "date": "2027-02-06", "kind": "workday", "name": "春节调休" }
//!   ]
//! }
//! ```
//!
//! [`YearSchedule::from_json`] reads one such object, [`HolidaySchedule::from_json`] an array of them
//! (each year at most once). Unknown fields are rejected. An empty `"days"` array is allowed: it marks
//! the year as covered, without holidays.
//!
//! CSV, UTF-8, one entry per line `date,kind,name`; the caller names the year
//! ([`YearSchedule::from_csv`]):
//!
//! ```text
//! # 2027 schedule
//! date,kind,name
//! 2027-01-01,holiday,元旦
//! 2027-02-06,workday,春节调休
//! ```
//!
//! Blank lines and lines starting with `#` are ignored, and so are one optional header line
//! `date,kind,name` and a leading byte-order mark. Fields are trimmed; a field may be wrapped in double
//! quotes (`""` inside stands for one quote), and the name may contain commas. At least one entry is
//! required.
//!
//! In both formats `date` is `YYYY-MM-DD`, in the schedule's year or in December of the year before (a
//! 元旦 break can start on the last days of the previous year). `kind` is `holiday` (or `休`): closed
//! all day; or `workday` (or `班`): a make-up workday (调休上班), which must be a Saturday or Sunday.
//! `name` is the holiday's name (元旦, 春节, 清明节, 劳动节, 端午节, 中秋节, 国庆节; make-up days e.g.
//! `春节调休`) and must not be blank. A date may appear only once. Errors are [`ImportError`]s with the
//! 1-based line number (for JSON, the line where the offending value ends).

mod error;
mod hours;
mod import;
#[cfg(test)]
mod proptests;
mod schedule;
#[cfg(test)]
mod tests;

use std::ops::Range;
use std::time::Duration;

use jiff::civil::{Date, Time};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{SignedDuration, Timestamp};

pub use error::{CalendarError, ImportError};
pub use hours::{ServiceWindow, TimeOfDay, WeeklyHours};
pub use schedule::{DayKind, HolidaySchedule, ScheduleDay, YearSchedule};

use hours::validate_windows;

/// The default time zone of a calendar: China Standard Time (UTC+8, no DST).
pub const DEFAULT_TIME_ZONE: &str = "Asia/Shanghai";

/// When customer service is open: weekly hours in a time zone, with holidays and make-up workdays.
///
/// Build one with [`BusinessCalendar::china`] (Asia/Shanghai and the shipped PRC schedule) or
/// [`BusinessCalendar::new`] (any IANA zone, no schedule), then adjust it with the `with_*` methods.
#[derive(Debug, Clone)]
pub struct BusinessCalendar {
    time_zone: TimeZone,
    time_zone_name: String,
    weekly: WeeklyHours,
    /// Windows on make-up workdays; `None` means the Monday windows.
    makeup_windows: Option<Vec<ServiceWindow>>,
    schedule: HolidaySchedule,
}

/// How a local date is treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayStatus<'a> {
    /// No schedule entry: the weekly hours apply.
    Regular,
    /// A holiday (放假): closed all day.
    Holiday { name: &'a str },
    /// A make-up workday (调休上班): the make-up windows apply.
    MakeupWorkday { name: &'a str },
}

impl BusinessCalendar {
    /// A calendar in the IANA time zone `time_zone` (e.g. `"Europe/Berlin"`) with the given weekly
    /// hours and no holiday schedule (every year uncovered). Fails with
    /// [`CalendarError::UnknownTimeZone`] for a name not in the bundled tz database.
    pub fn new(time_zone: &str, weekly: WeeklyHours) -> Result<BusinessCalendar, CalendarError> {
        let name = time_zone.trim();
        let tz =
            TimeZone::get(name).map_err(|_| CalendarError::UnknownTimeZone { name: name.to_string() })?;
        // Keep the database's spelling ("asia/shanghai" is found as "Asia/Shanghai").
        let canonical = tz.iana_name().unwrap_or(name).to_string();
        Ok(BusinessCalendar {
            time_zone: tz,
            time_zone_name: canonical,
            weekly,
            makeup_windows: None,
            schedule: HolidaySchedule::new(),
        })
    }

    /// A calendar for mainland China: [`DEFAULT_TIME_ZONE`] (Asia/Shanghai) with the shipped statutory
    /// holiday schedule ([`HolidaySchedule::china`]).
    pub fn china(weekly: WeeklyHours) -> BusinessCalendar {
        // The tz database is compiled in, so the lookup succeeds; should it not, UTC+8 is exactly
        // Asia/Shanghai for every date since 1991 (China has not observed DST since).
        let tz = TimeZone::get(DEFAULT_TIME_ZONE).unwrap_or_else(|_| TimeZone::fixed(jiff::tz::offset(8)));
        BusinessCalendar {
            time_zone: tz,
            time_zone_name: DEFAULT_TIME_ZONE.to_string(),
            weekly,
            makeup_windows: None,
            schedule: HolidaySchedule::china(),
        }
    }

    /// Replaces the holiday schedule.
    pub fn with_schedule(mut self, schedule: HolidaySchedule) -> BusinessCalendar {
        self.schedule = schedule;
        self
    }

    /// Sets the windows used on make-up workdays (调休上班); by default they are the Monday windows.
    /// Fails on overlapping windows.
    pub fn with_makeup_day_windows(
        mut self,
        windows: Vec<ServiceWindow>,
    ) -> Result<BusinessCalendar, CalendarError> {
        self.makeup_windows = Some(validate_windows("make-up workdays", windows)?);
        Ok(self)
    }

    /// Merges an imported year into the calendar's schedule, replacing that year's entries; returns
    /// the replaced year, if there was one.
    pub fn import_year(&mut self, year: YearSchedule) -> Option<YearSchedule> {
        self.schedule.insert_year(year)
    }

    /// The holiday schedule.
    pub fn schedule(&self) -> &HolidaySchedule {
        &self.schedule
    }

    /// The time zone.
    pub fn time_zone(&self) -> &TimeZone {
        &self.time_zone
    }

    /// The IANA name of the time zone.
    pub fn time_zone_name(&self) -> &str {
        &self.time_zone_name
    }

    /// The weekly hours.
    pub fn weekly_hours(&self) -> &WeeklyHours {
        &self.weekly
    }

    /// The windows used on make-up workdays.
    pub fn makeup_day_windows(&self) -> &[ServiceWindow] {
        match &self.makeup_windows {
            Some(windows) => windows,
            None => self.weekly.windows(jiff::civil::Weekday::Monday),
        }
    }

    /// The years with schedule data, ascending.
    pub fn known_years(&self) -> Vec<i16> {
        self.schedule.known_years()
    }

    /// Whether `date`'s year has schedule data. Dates in uncovered years follow the weekly hours only;
    /// callers should flag them (metrics, UI) so an administrator imports the year.
    pub fn is_date_covered(&self, date: Date) -> bool {
        self.schedule.is_date_covered(date)
    }

    /// The local date of an instant in the calendar's time zone.
    pub fn local_date(&self, instant: Timestamp) -> Date {
        self.time_zone.to_datetime(instant).date()
    }

    /// How `date` is treated: regular, holiday or make-up workday.
    pub fn day_status(&self, date: Date) -> DayStatus<'_> {
        match self.schedule.get(date) {
            None => DayStatus::Regular,
            Some(ScheduleDay { kind: DayKind::Holiday, name }) => DayStatus::Holiday { name },
            Some(ScheduleDay { kind: DayKind::Workday, name }) => DayStatus::MakeupWorkday { name },
        }
    }

    /// The service windows of a local date, after holidays and make-up workdays.
    pub fn windows_on(&self, date: Date) -> &[ServiceWindow] {
        match self.schedule.get(date).map(|day| day.kind) {
            Some(DayKind::Holiday) => &[],
            Some(DayKind::Workday) => self.makeup_day_windows(),
            None => self.weekly.windows(date.weekday()),
        }
    }

    /// The open intervals of a local date as UTC instants, in order (half-open ranges). A window that
    /// vanishes in a DST gap is left out.
    pub fn open_intervals_on(&self, date: Date) -> Vec<Range<Timestamp>> {
        self.windows_on(date)
            .iter()
            .filter_map(|w| {
                let start = self.local_instant(date, w.start())?;
                let end = self.local_instant(date, w.end())?;
                (start < end).then_some(start..end)
            })
            .collect()
    }

    /// The open intervals from `from` on, in order: the first one is clipped to start no earlier than
    /// `from`. Intervals that touch are not merged (a 7×24 calendar yields one per local day). The
    /// iterator ends when the calendar never opens again (or at the end of jiff's supported range).
    pub fn open_intervals(&self, from: Timestamp) -> OpenIntervals<'_> {
        let date = self.local_date(from);
        // Start a day early: a window of the previous local date can still be open at `from` around
        // unusual DST transitions at midnight.
        let first = date.yesterday().unwrap_or(date);
        OpenIntervals {
            calendar: self,
            cursor: from,
            next_date: Some(first),
            pending: Vec::new().into_iter(),
        }
    }

    /// Whether service is open at `instant`.
    pub fn is_open(&self, instant: Timestamp) -> bool {
        self.next_open(instant) == Some(instant)
    }

    /// The first open instant at or after `instant`: `instant` itself when open. `None` when the
    /// calendar never opens again.
    pub fn next_open(&self, instant: Timestamp) -> Option<Timestamp> {
        self.open_intervals(instant).next().map(|r| r.start)
    }

    /// The instant when `duration` of business time has elapsed from `start`. Counting begins at the
    /// next open instant when `start` is closed, so a zero duration gives [`BusinessCalendar::next_open`].
    /// When the budget runs out exactly at a window's end, the result is that closing instant.
    ///
    /// `None` when the calendar does not have that much open time left (no open hours at all, or the
    /// result would be past jiff's supported range, the year 9999).
    pub fn add_business_duration(&self, start: Timestamp, duration: Duration) -> Option<Timestamp> {
        let mut remaining = SignedDuration::try_from(duration).ok()?;
        for interval in self.open_intervals(start) {
            let length = interval.end.duration_since(interval.start);
            if remaining <= length {
                return interval.start.checked_add(remaining).ok();
            }
            remaining = remaining.checked_sub(length)?;
        }
        None
    }

    /// [`BusinessCalendar::add_business_duration`] with whole seconds, e.g. a 30 s first-response target.
    pub fn add_business_seconds(&self, start: Timestamp, seconds: u64) -> Option<Timestamp> {
        self.add_business_duration(start, Duration::from_secs(seconds))
    }

    /// [`BusinessCalendar::add_business_duration`] with whole minutes.
    pub fn add_business_minutes(&self, start: Timestamp, minutes: u64) -> Option<Timestamp> {
        self.add_business_seconds(start, minutes.checked_mul(60)?)
    }

    /// The business time (open time only) in `[a, b)`; zero when `b <= a`.
    pub fn business_duration_between(&self, a: Timestamp, b: Timestamp) -> Duration {
        if b <= a {
            return Duration::ZERO;
        }
        let mut total = SignedDuration::ZERO;
        for interval in self.open_intervals(a) {
            if interval.start >= b {
                break;
            }
            let end = interval.end.min(b);
            total = total.saturating_add(end.duration_since(interval.start));
        }
        Duration::try_from(total).unwrap_or(Duration::ZERO)
    }

    /// [`BusinessCalendar::business_duration_between`] in whole seconds, rounded down.
    pub fn business_seconds_between(&self, a: Timestamp, b: Timestamp) -> u64 {
        self.business_duration_between(a, b).as_secs()
    }

    /// [`BusinessCalendar::business_duration_between`] in whole minutes, rounded down.
    pub fn business_minutes_between(&self, a: Timestamp, b: Timestamp) -> u64 {
        self.business_seconds_between(a, b) / 60
    }

    /// The first instant at which the local clock reads `time` on `date` (`24:00` is the next day's
    /// midnight). In a DST gap that is the instant of the jump; in a fold, the first occurrence.
    fn local_instant(&self, date: Date, time: TimeOfDay) -> Option<Timestamp> {
        let (date, time) =
            if time.is_end_of_day() { (date.tomorrow().ok()?, TimeOfDay::MIDNIGHT) } else { (date, time) };
        let clock = Time::new(
            i8::try_from(time.hour()).ok()?,
            i8::try_from(time.minute()).ok()?,
            i8::try_from(time.second()).ok()?,
            0,
        )
        .ok()?;
        let ambiguous = self.time_zone.to_ambiguous_timestamp(date.to_datetime(clock));
        match ambiguous.offset() {
            AmbiguousOffset::Gap { .. } => {
                // Read with the offset after the gap the clock time lies before the jump, read with the
                // offset before the gap it lies after it; the jump is the transition in between.
                let before_jump = ambiguous.earlier().ok()?;
                let after_jump = ambiguous.later().ok()?;
                match self.time_zone.following(before_jump).next() {
                    Some(t) if t.timestamp() > before_jump && t.timestamp() <= after_jump => {
                        Some(t.timestamp())
                    }
                    _ => Some(after_jump),
                }
            }
            AmbiguousOffset::Unambiguous { .. } | AmbiguousOffset::Fold { .. } => ambiguous.earlier().ok(),
        }
    }
}

/// Iterator over a calendar's open intervals, from [`BusinessCalendar::open_intervals`].
///
/// Closed days cost one schedule lookup each (no time-zone work); when the weekly hours are empty the
/// iterator jumps straight to the next make-up workday, and it ends when there is none.
#[derive(Debug, Clone)]
pub struct OpenIntervals<'a> {
    calendar: &'a BusinessCalendar,
    /// Nothing before this instant is yielded; it moves to the end of each yielded interval.
    cursor: Timestamp,
    /// The next local date whose windows are not yet in `pending`.
    next_date: Option<Date>,
    pending: std::vec::IntoIter<Range<Timestamp>>,
}

impl Iterator for OpenIntervals<'_> {
    type Item = Range<Timestamp>;

    fn next(&mut self) -> Option<Range<Timestamp>> {
        loop {
            for interval in self.pending.by_ref() {
                let start = interval.start.max(self.cursor);
                if interval.end > start {
                    self.cursor = interval.end;
                    return Some(start..interval.end);
                }
            }
            let mut date = self.next_date?;
            if self.calendar.weekly.is_always_closed() {
                // Only make-up workdays can open; skip straight to the next one, or stop.
                let next = if self.calendar.makeup_day_windows().is_empty() {
                    None
                } else {
                    self.calendar.schedule.next_makeup_workday(date)
                };
                match next {
                    Some(d) => date = d,
                    None => {
                        self.next_date = None;
                        return None;
                    }
                }
            }
            self.pending = self.calendar.open_intervals_on(date).into_iter();
            self.next_date = date.tomorrow().ok();
        }
    }
}
