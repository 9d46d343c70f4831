//! Holiday schedules: statutory holidays (法定节假日) and make-up workdays (调休上班), per year.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use jiff::civil::{Date, Weekday};

use super::error::CalendarError;
use super::hours::weekday_name;

/// What a schedule entry does to its date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DayKind {
    /// Closed all day (法定节假日, 放假), whatever the weekday.
    Holiday,
    /// A make-up workday (调休上班): a Saturday or Sunday that is worked, with the calendar's make-up
    /// workday windows.
    Workday,
}

impl DayKind {
    /// `"holiday"` or `"workday"`, the spelling used by the import formats.
    pub fn as_str(self) -> &'static str {
        match self {
            DayKind::Holiday => "holiday",
            DayKind::Workday => "workday",
        }
    }

    /// Parses `holiday` / `workday` (any ASCII case) or the Chinese calendar marks `休` / `班`.
    pub fn parse(s: &str) -> Option<DayKind> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("holiday") || s == "休" {
            Some(DayKind::Holiday)
        } else if s.eq_ignore_ascii_case("workday") || s == "班" {
            Some(DayKind::Workday)
        } else {
            None
        }
    }
}

/// One dated entry of a schedule: its kind and the holiday it belongs to (e.g. `春节`, `春节调休`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleDay {
    pub kind: DayKind,
    pub name: String,
}

/// The holiday schedule of one year (one State Council notice, 国务院办公厅关于部分节假日安排的通知).
///
/// Dates belong to the year, except that a December date of the year before is also accepted: a
/// notice can start the 元旦 (New Year) break on the last days of the previous year (the 2023 notice
/// puts 2022-12-31 off). Such a date is looked up in this year's schedule when the previous year's own
/// schedule has no entry for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearSchedule {
    year: i16,
    source: Option<String>,
    days: BTreeMap<Date, ScheduleDay>,
}

impl YearSchedule {
    /// The earliest year a schedule may describe.
    pub const MIN_YEAR: i16 = 1900;
    /// The latest year a schedule may describe.
    pub const MAX_YEAR: i16 = 9999;

    /// An empty schedule for `year` (1900..=9999). An empty schedule still marks the year as covered:
    /// "we know this year has no holidays".
    pub fn new(year: i16) -> Result<YearSchedule, CalendarError> {
        if !(YearSchedule::MIN_YEAR..=YearSchedule::MAX_YEAR).contains(&year) {
            return Err(CalendarError::YearOutOfRange { year: year.into() });
        }
        Ok(YearSchedule { year, source: None, days: BTreeMap::new() })
    }

    /// Records where the schedule comes from, e.g. the notice number `国办发明电〔2025〕7号`.
    pub fn with_source(mut self, source: impl Into<String>) -> YearSchedule {
        self.source = Some(source.into());
        self
    }

    /// The year this schedule describes.
    pub fn year(&self) -> i16 {
        self.year
    }

    /// Where the schedule comes from, if recorded.
    pub fn source(&self) -> Option<&str> {
        self.source.as_deref()
    }

    /// Adds one entry. Fails when the date is outside the year (see the type's docs), already present,
    /// a make-up workday not on a Saturday or Sunday, or the name is blank.
    pub fn insert(
        &mut self,
        date: Date,
        kind: DayKind,
        name: impl Into<String>,
    ) -> Result<(), CalendarError> {
        self.check_date(date)?;
        check_kind(date, kind)?;
        let name = name.into().trim().to_string();
        if name.is_empty() {
            return Err(CalendarError::MissingName { date });
        }
        self.days.insert(date, ScheduleDay { kind, name });
        Ok(())
    }

    /// Checks that `date` may be added: it belongs to this year and is not present yet.
    pub(crate) fn check_date(&self, date: Date) -> Result<(), CalendarError> {
        let year = i32::from(self.year);
        let in_year = i32::from(date.year()) == year;
        let december_before = i32::from(date.year()) == year - 1 && date.month() == 12;
        if !in_year && !december_before {
            return Err(CalendarError::DateOutsideYear { date, year: self.year });
        }
        if self.days.contains_key(&date) {
            return Err(CalendarError::DuplicateDate { date });
        }
        Ok(())
    }

    /// The entry for `date` in this year's schedule, if any.
    pub fn get(&self, date: Date) -> Option<&ScheduleDay> {
        self.days.get(&date)
    }

    /// All entries in date order.
    pub fn iter(&self) -> impl Iterator<Item = (Date, &ScheduleDay)> + '_ {
        self.days.iter().map(|(d, day)| (*d, day))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.days.len()
    }

    /// True when the year has no entries (a covered year without holidays).
    pub fn is_empty(&self) -> bool {
        self.days.is_empty()
    }
}

/// A make-up workday must be a Saturday or Sunday.
pub(crate) fn check_kind(date: Date, kind: DayKind) -> Result<(), CalendarError> {
    let weekend = matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday);
    if kind == DayKind::Workday && !weekend {
        return Err(CalendarError::MakeupDayNotWeekend { date, weekday: weekday_name(date.weekday()) });
    }
    Ok(())
}

/// Holiday schedules for any number of years. A year is *covered* when its schedule is loaded; dates
/// in other years follow the weekly hours only, and callers should flag them (metrics, UI) until an
/// administrator imports that year.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HolidaySchedule {
    years: BTreeMap<i16, YearSchedule>,
}

/// The shipped schedule of the People's Republic of China, see [`HolidaySchedule::china`].
const CHINA_JSON: &str = include_str!("china_holidays.json");

static CHINA: LazyLock<HolidaySchedule> = LazyLock::new(|| {
    // The data is compiled in and parsed by a unit test; a failure here is a build defect, not input.
    HolidaySchedule::from_json(CHINA_JSON).expect("shipped china_holidays.json is valid (checked by tests)")
});

impl HolidaySchedule {
    /// No years covered.
    pub fn new() -> HolidaySchedule {
        HolidaySchedule::default()
    }

    /// The shipped statutory holiday schedule of the People's Republic of China (中国法定节假日安排),
    /// 2020 through 2026, from the State Council General Office notices: every day off (放假) as a
    /// holiday and every make-up workday (调休上班) as a workday, each with its holiday name (元旦, 春节,
    /// 清明节, 劳动节, 端午节, 中秋节, 国庆节; a joint break keeps the notice's joint name, e.g.
    /// `国庆节、中秋节` in 2020 and 2025, `中秋节、国庆节` in 2023; make-up days are named e.g. `春节调休`).
    ///
    /// Days that a notice only "joins with the weekend" (与周末连休) are not listed; they are ordinary
    /// weekends. 2020's Spring Festival is the break as extended nationwide by the notice
    /// 国务院办公厅关于延长2020年春节假期的通知 (off until 2020-02-02; the 2020-02-01 make-up workday
    /// was cancelled). The eve 除夕 2024-02-09 is not a statutory holiday (the notice only encourages
    /// giving it off) and is not listed.
    pub fn china() -> HolidaySchedule {
        CHINA.clone()
    }

    /// Adds or replaces the schedule of one year; returns the replaced one.
    pub fn insert_year(&mut self, year: YearSchedule) -> Option<YearSchedule> {
        self.years.insert(year.year, year)
    }

    /// Removes a year; its dates become uncovered.
    pub fn remove_year(&mut self, year: i16) -> Option<YearSchedule> {
        self.years.remove(&year)
    }

    /// The schedule of one year, if loaded.
    pub fn year(&self, year: i16) -> Option<&YearSchedule> {
        self.years.get(&year)
    }

    /// The covered years, ascending.
    pub fn known_years(&self) -> Vec<i16> {
        self.years.keys().copied().collect()
    }

    /// Whether `date`'s year has a loaded schedule.
    pub fn is_date_covered(&self, date: Date) -> bool {
        self.years.contains_key(&date.year())
    }

    /// The entry that applies to `date`: the entry in its own year's schedule, else (for a December
    /// date) the entry in the next year's schedule.
    pub fn get(&self, date: Date) -> Option<&ScheduleDay> {
        let own = self.years.get(&date.year()).and_then(|y| y.get(date));
        own.or_else(|| {
            if date.month() != 12 {
                return None;
            }
            let next = date.year().checked_add(1)?;
            self.years.get(&next).and_then(|y| y.get(date))
        })
    }

    /// The first date on or after `from` whose applicable entry is a make-up workday.
    pub(crate) fn next_makeup_workday(&self, from: Date) -> Option<Date> {
        let mut best: Option<Date> = None;
        for (year, schedule) in self.years.range(from.year()..) {
            if let Some(b) = best {
                // Later years only hold dates from December of the year before onwards.
                if i32::from(*year) - 1 > i32::from(b.year()) {
                    break;
                }
            }
            let found = schedule
                .days
                .range(from..)
                .filter(|(_, day)| day.kind == DayKind::Workday)
                .map(|(d, _)| *d)
                .find(|d| self.get(*d).is_some_and(|day| day.kind == DayKind::Workday));
            if let Some(d) = found {
                best = Some(best.map_or(d, |b| b.min(d)));
            }
        }
        best
    }
}
