//! Ticket numbers (工单号): `KF` + the date in Shanghai (yyyymmdd) + `-` + a six-digit daily sequence,
//! e.g. `KF20261122-000123`. The number is the ticket's public identity: customers quote it, and links
//! between tickets (merge, follow-up) use it.

use crate::error::DomainError;
use crate::time::Millis;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

/// The prefix of every ticket number (客服).
pub const TICKET_NUMBER_PREFIX: &str = "KF";

/// The largest daily sequence a ticket number can carry (six digits).
pub const MAX_DAILY_SEQ: u32 = 999_999;

/// A valid ticket number. Serialised as its text form, e.g. `"KF20261122-000123"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TicketNumber {
    date: Date,
    daily_seq: u32,
}

impl TicketNumber {
    /// A ticket number for the `daily_seq`-th ticket of `date` (the calendar date in Shanghai, see
    /// [`shanghai_date`]). The year must have four digits and the sequence must be 1..=999999.
    pub fn new(date: Date, daily_seq: u32) -> Result<TicketNumber, DomainError> {
        if !(1000..=9999).contains(&date.year()) {
            return Err(DomainError::validation("date", "a ticket number's year must have four digits"));
        }
        if !(1..=MAX_DAILY_SEQ).contains(&daily_seq) {
            return Err(DomainError::validation(
                "daily_seq",
                format!("the daily sequence must be between 1 and {MAX_DAILY_SEQ}, got {daily_seq}"),
            ));
        }
        Ok(TicketNumber { date, daily_seq })
    }

    /// Parses `KF20261122-000123`. Surrounding whitespace is ignored and the prefix may be typed in
    /// lower case (customers paste numbers into search boxes); everything else must match exactly.
    pub fn parse(s: &str) -> Result<TicketNumber, DomainError> {
        let t = s.trim();
        let bad = || {
            DomainError::validation(
                "ticket_number",
                format!("'{t}' is not a ticket number; expected KF, the date and a 6-digit sequence, e.g. KF20261122-000123"),
            )
        };
        let b = t.as_bytes();
        let shaped = b.len() == 17
            && b[..2].eq_ignore_ascii_case(TICKET_NUMBER_PREFIX.as_bytes())
            && b[2..10].iter().all(u8::is_ascii_digit)
            && b[10] == b'-'
            && b[11..].iter().all(u8::is_ascii_digit);
        if !shaped {
            return Err(bad());
        }
        // All bytes checked above are ASCII, so these slices are on character boundaries.
        let num = |range: std::ops::Range<usize>| t[range].parse::<u32>().map_err(|_| bad());
        let (year, month, day, seq) = (num(2..6)?, num(6..8)?, num(8..10)?, num(11..17)?);
        let date = Date::new(year as i16, month as i8, day as i8).map_err(|_| {
            DomainError::validation("ticket_number", format!("'{t}' is not a ticket number: no such date"))
        })?;
        TicketNumber::new(date, seq).map_err(|e| DomainError::validation("ticket_number", e.message))
    }

    /// The date part: the day the ticket was created, in Shanghai.
    pub fn date(&self) -> Date {
        self.date
    }

    /// The sequence part: the ticket's position among the tickets of that day, from 1.
    pub fn daily_seq(&self) -> u32 {
        self.daily_seq
    }
}

impl std::fmt::Display for TicketNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{TICKET_NUMBER_PREFIX}{:04}{:02}{:02}-{:06}",
            self.date.year(),
            self.date.month(),
            self.date.day(),
            self.daily_seq
        )
    }
}

impl std::str::FromStr for TicketNumber {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TicketNumber::parse(s)
    }
}

impl TryFrom<String> for TicketNumber {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        TicketNumber::parse(&s)
    }
}

impl From<TicketNumber> for String {
    fn from(n: TicketNumber) -> String {
        n.to_string()
    }
}

impl utoipa::PartialSchema for TicketNumber {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(r"^KF[0-9]{8}-[0-9]{6}$"))
            .description(Some("工单号: KF + date in Shanghai (yyyymmdd) + '-' + 6-digit daily sequence"))
            .examples(["KF20261122-000123"])
            .into()
    }
}

impl utoipa::ToSchema for TicketNumber {}

/// Formats a ticket number: `format_ticket_number(2026-11-22, 123)` is `"KF20261122-000123"`.
pub fn format_ticket_number(date_in_shanghai: Date, daily_seq: u32) -> Result<String, DomainError> {
    TicketNumber::new(date_in_shanghai, daily_seq).map(|n| n.to_string())
}

/// Parses a ticket number; the same as [`TicketNumber::parse`].
pub fn parse_ticket_number(s: &str) -> Result<TicketNumber, DomainError> {
    TicketNumber::parse(s)
}

/// The calendar date in Shanghai (China Standard Time, UTC+8, no daylight saving since 1991) at an
/// instant: the date a ticket number carries. The daily sequence restarts at midnight Beijing time.
pub fn shanghai_date(at: Millis) -> Result<Date, DomainError> {
    let ts = jiff::Timestamp::from_millisecond(at.0)
        .map_err(|_| DomainError::validation("at", format!("{} ms is not a representable instant", at.0)))?;
    Ok(jiff::tz::offset(8).to_datetime(ts).date())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn a_ticket_number_round_trips_through_text_and_json() {
        let n = TicketNumber::new(date(2026, 11, 22), 123).expect("valid");
        assert_eq!(n.to_string(), "KF20261122-000123");
        assert_eq!(format_ticket_number(date(2026, 11, 22), 123).expect("valid"), "KF20261122-000123");
        assert_eq!(parse_ticket_number("KF20261122-000123").expect("parses"), n);
        assert_eq!(n.date(), date(2026, 11, 22));
        assert_eq!(n.daily_seq(), 123);
        let json = serde_json::to_string(&n).expect("json");
        assert_eq!(json, "\"KF20261122-000123\"");
        assert_eq!(serde_json::from_str::<TicketNumber>(&json).expect("from json"), n);
        assert_eq!("  kf20261122-000123 ".parse::<TicketNumber>().expect("lenient prefix"), n);
        let max = TicketNumber::new(date(2026, 1, 1), MAX_DAILY_SEQ).expect("max");
        assert_eq!(TicketNumber::parse(&max.to_string()).expect("round trip"), max);
    }

    #[test]
    fn ticket_numbers_sort_by_date_then_sequence() {
        let a = TicketNumber::new(date(2026, 11, 22), 999).expect("valid");
        let b = TicketNumber::new(date(2026, 11, 23), 1).expect("valid");
        let c = TicketNumber::new(date(2026, 11, 23), 2).expect("valid");
        assert!(a < b && b < c);
    }

    #[test]
    fn malformed_numbers_are_refused_naming_the_field() {
        for bad in [
            "",
            "KF20261122-00012",
            "KF20261122-0000123",
            "KF20261122_000123",
            "KX20261122-000123",
            "KF2026112-2000123",
            "KF20261122-00012a",
            "KF20260230-000001",
            "KF20261322-000001",
            "KF20261122-000000",
            "KF20261122-+00001",
            "工单20261122-000123",
            "KF２0261122-000123",
        ] {
            let e = TicketNumber::parse(bad).expect_err(bad);
            assert_eq!(e.field.as_deref(), Some("ticket_number"), "{bad}");
            assert_eq!(e.code, crate::ErrorCode::Validation);
        }
        assert_eq!(
            TicketNumber::new(date(2026, 1, 1), 0).expect_err("zero").field.as_deref(),
            Some("daily_seq")
        );
        assert_eq!(
            TicketNumber::new(date(2026, 1, 1), 1_000_000).expect_err("seven digits").field.as_deref(),
            Some("daily_seq")
        );
        assert_eq!(TicketNumber::new(date(999, 1, 1), 1).expect_err("year").field.as_deref(), Some("date"));
        assert!(serde_json::from_str::<TicketNumber>("\"KF1\"").is_err());
    }

    #[test]
    fn the_date_is_taken_in_shanghai() {
        // 2026-11-21T16:00:00Z is midnight of 2026-11-22 in Beijing.
        let midnight = jiff::Timestamp::from_second(1_795_276_800).expect("ts");
        assert_eq!(midnight.to_string(), "2026-11-21T16:00:00Z");
        let ms = midnight.as_millisecond();
        assert_eq!(shanghai_date(Millis(ms)).expect("date"), date(2026, 11, 22));
        assert_eq!(shanghai_date(Millis(ms - 1)).expect("date"), date(2026, 11, 21));
        assert!(shanghai_date(Millis(i64::MAX)).is_err());
    }
}
