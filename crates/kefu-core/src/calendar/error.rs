//! Errors of calendar construction and schedule import.

use jiff::civil::Date;

use super::hours::{ServiceWindow, TimeOfDay};
use crate::error::DomainError;

/// A calendar definition or schedule entry was rejected. Each variant names the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The IANA time zone name is not in the bundled tz database.
    #[error("unknown time zone {name:?}: use an IANA name such as \"Asia/Shanghai\"")]
    UnknownTimeZone { name: String },
    /// A time of day could not be parsed or is out of range.
    #[error("invalid time of day {value:?}: {reason}")]
    InvalidTime { value: String, reason: &'static str },
    /// A service window string is not of the form `HH:MM-HH:MM`.
    #[error("invalid service window {value:?}: expected HH:MM-HH:MM, e.g. 09:00-12:00")]
    InvalidWindow { value: String },
    /// A window's end is not after its start.
    #[error("service window {start}-{end} is empty or inverted: the end must be after the start")]
    InvertedWindow { start: TimeOfDay, end: TimeOfDay },
    /// Two windows of the same day overlap.
    #[error("service windows {first} and {second} on {day} overlap")]
    OverlappingWindows { day: String, first: ServiceWindow, second: ServiceWindow },
    /// A schedule year outside the supported range.
    #[error("schedule year {year} is out of range: use a year between 1900 and 9999")]
    YearOutOfRange { year: i64 },
    /// A schedule date lies outside the schedule's year (and is not a December day of the year before).
    #[error(
        "date {date} does not belong to the {year} schedule: use dates in {year} \
         (or December of the year before, for a 元旦 break that starts early)"
    )]
    DateOutsideYear { date: Date, year: i16 },
    /// The same date appears twice in one schedule year.
    #[error("date {date} appears more than once in the schedule")]
    DuplicateDate { date: Date },
    /// A make-up workday (调休) that is not a Saturday or Sunday.
    #[error(
        "make-up workday {date} is a {weekday}: 调休 make-up workdays must fall on a Saturday or Sunday"
    )]
    MakeupDayNotWeekend { date: Date, weekday: &'static str },
    /// A schedule entry without a name.
    #[error("the entry for {date} has no name: give the holiday name, e.g. 春节 or 春节调休")]
    MissingName { date: Date },
}

impl From<CalendarError> for DomainError {
    fn from(e: CalendarError) -> DomainError {
        let field = match &e {
            CalendarError::UnknownTimeZone { .. } => "time_zone",
            CalendarError::InvalidTime { .. }
            | CalendarError::InvalidWindow { .. }
            | CalendarError::InvertedWindow { .. }
            | CalendarError::OverlappingWindows { .. } => "service_hours",
            CalendarError::YearOutOfRange { .. }
            | CalendarError::DateOutsideYear { .. }
            | CalendarError::DuplicateDate { .. }
            | CalendarError::MakeupDayNotWeekend { .. }
            | CalendarError::MissingName { .. } => "schedule",
        };
        DomainError::validation(field, e.to_string())
    }
}

/// An imported holiday schedule (JSON or CSV) was rejected. `line` (1-based) points at the offending
/// line; for JSON, the line where the offending value ends.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ImportError {
    /// 1-based line number in the imported text.
    pub line: usize,
    /// What is wrong, in words an administrator can act on.
    pub message: String,
}

impl ImportError {
    pub(crate) fn new(line: usize, message: impl Into<String>) -> ImportError {
        ImportError { line, message: message.into() }
    }
}

impl From<ImportError> for DomainError {
    fn from(e: ImportError) -> DomainError {
        DomainError::validation("schedule", e.to_string())
    }
}
