//! Import and export of holiday schedules (JSON and CSV), with line-numbered errors. The formats are
//! documented in the [calendar module docs](crate::calendar#import-formats).

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::fmt;

use jiff::civil::Date;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Serialize;

use super::error::ImportError;
use super::schedule::{check_kind, DayKind, HolidaySchedule, YearSchedule};

impl YearSchedule {
    /// Parses one year from JSON (format in the [calendar module docs](crate::calendar#import-formats)).
    pub fn from_json(text: &str) -> Result<YearSchedule, ImportError> {
        let seen = RefCell::new(BTreeSet::new());
        parse_json(text, YearSeed { seen_years: &seen })
    }

    /// Parses one year from CSV lines `date,kind,name` (format in the
    /// [calendar module docs](crate::calendar#import-formats)).
    pub fn from_csv(year: i16, text: &str) -> Result<YearSchedule, ImportError> {
        let mut schedule = YearSchedule::new(year).map_err(|e| ImportError::new(1, e.to_string()))?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut first_seen: HashMap<Date, usize> = HashMap::new();
        let mut header_allowed = true;
        let mut last_line = 1;
        for (index, raw) in text.lines().enumerate() {
            let line_no = index + 1;
            last_line = line_no;
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let fields: Vec<String> = line.splitn(3, ',').map(unquote).collect();
            let is_header = fields.len() == 3
                && fields[0].eq_ignore_ascii_case("date")
                && fields[1].eq_ignore_ascii_case("kind")
                && fields[2].eq_ignore_ascii_case("name");
            if std::mem::replace(&mut header_allowed, false) && is_header {
                continue;
            }
            let err = |message: String| ImportError::new(line_no, message);
            let [date, kind, name] = fields.as_slice() else {
                return Err(err(format!(
                    "expected three comma-separated fields date,kind,name \
                     (e.g. 2027-01-01,holiday,元旦), found {}",
                    fields.len()
                )));
            };
            let date = parse_date(date).map_err(err)?;
            let kind = parse_kind(kind).map_err(err)?;
            if let Some(first) = first_seen.get(&date) {
                return Err(err(format!("date {date} appears more than once (first on line {first})")));
            }
            schedule.insert(date, kind, name.as_str()).map_err(|e| err(e.to_string()))?;
            first_seen.insert(date, line_no);
        }
        if schedule.is_empty() {
            return Err(ImportError::new(
                last_line,
                "no schedule entries found: expected lines like 2027-01-01,holiday,元旦",
            ));
        }
        Ok(schedule)
    }

    /// Exports the year as CSV with a header line, readable by [`YearSchedule::from_csv`].
    pub fn to_csv(&self) -> String {
        let mut out = String::from("date,kind,name\n");
        for (date, day) in self.iter() {
            let name = if day.name.contains([',', '"']) {
                format!("\"{}\"", day.name.replace('"', "\"\""))
            } else {
                day.name.clone()
            };
            out.push_str(&format!("{date},{},{name}\n", day.kind.as_str()));
        }
        out
    }

    /// Exports the year as JSON (pretty-printed), readable by [`YearSchedule::from_json`].
    pub fn to_json(&self) -> String {
        let out = year_out(self);
        // Serializing plain strings and integers into a String cannot fail.
        serde_json::to_string_pretty(&out).unwrap_or_default()
    }
}

impl HolidaySchedule {
    /// Parses several years from a JSON array of year objects (format in the
    /// [calendar module docs](crate::calendar#import-formats)).
    pub fn from_json(text: &str) -> Result<HolidaySchedule, ImportError> {
        parse_json(text, YearsSeed)
    }

    /// Exports all years as a JSON array, readable by [`HolidaySchedule::from_json`].
    pub fn to_json(&self) -> String {
        let years: Vec<YearOut<'_>> =
            self.known_years().into_iter().filter_map(|y| self.year(y)).map(year_out).collect();
        serde_json::to_string_pretty(&years).unwrap_or_default()
    }
}

#[derive(Serialize)]
struct YearOut<'a> {
    year: i16,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'a str>,
    days: Vec<DayOut<'a>>,
}

#[derive(Serialize)]
struct DayOut<'a> {
    date: String,
    kind: &'static str,
    name: &'a str,
}

fn year_out(y: &YearSchedule) -> YearOut<'_> {
    YearOut {
        year: y.year(),
        source: y.source(),
        days: y
            .iter()
            .map(|(date, day)| DayOut { date: date.to_string(), kind: day.kind.as_str(), name: &day.name })
            .collect(),
    }
}

/// Strips one level of CSV double quotes (`"a,b"` → `a,b`, `""` → `"`) after trimming.
fn unquote(field: &str) -> String {
    let field = field.trim();
    match field.strip_prefix('"').and_then(|f| f.strip_suffix('"')) {
        Some(inner) => inner.replace("\"\"", "\""),
        None => field.to_string(),
    }
}

/// Parses a strict `YYYY-MM-DD` date.
pub(crate) fn parse_date(s: &str) -> Result<Date, String> {
    let b = s.as_bytes();
    let shape_ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape_ok {
        return Err(format!("invalid date {s:?}: expected YYYY-MM-DD"));
    }
    // All bytes are ASCII here, so slicing is on character boundaries.
    let year: i16 = s[0..4].parse().map_err(|_| format!("invalid date {s:?}: expected YYYY-MM-DD"))?;
    let month: i8 = s[5..7].parse().map_err(|_| format!("invalid date {s:?}: expected YYYY-MM-DD"))?;
    let day: i8 = s[8..10].parse().map_err(|_| format!("invalid date {s:?}: expected YYYY-MM-DD"))?;
    Date::new(year, month, day).map_err(|_| format!("invalid date {s:?}: there is no such day"))
}

fn parse_kind(s: &str) -> Result<DayKind, String> {
    DayKind::parse(s).ok_or_else(|| format!("unknown kind {s:?}: expected holiday or workday"))
}

/// Runs a seed over the whole text and requires nothing but whitespace after it.
fn parse_json<'de, S: DeserializeSeed<'de>>(text: &'de str, seed: S) -> Result<S::Value, ImportError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut de = serde_json::Deserializer::from_str(text);
    let value = seed.deserialize(&mut de).map_err(json_error)?;
    de.end().map_err(json_error)?;
    Ok(value)
}

/// serde_json appends " at line L column C" to its messages; keep the line and drop the suffix.
fn json_error(e: serde_json::Error) -> ImportError {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = text.strip_suffix(&suffix).unwrap_or(&text).to_string();
    ImportError::new(e.line().max(1), message)
}

/// Deserializes a string and converts it inside the string visitor, so that serde_json reports the
/// position of the string itself when the conversion fails.
struct StrCheck<F>(F);

impl<'de, T, F: FnOnce(&str) -> Result<T, String>> DeserializeSeed<'de> for StrCheck<F> {
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de, T, F: FnOnce(&str) -> Result<T, String>> Visitor<'de> for StrCheck<F> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        (self.0)(v).map_err(E::custom)
    }
}

/// Like [`StrCheck`] for an integer.
struct IntCheck<F>(F);

impl<'de, T, F: FnOnce(i64) -> Result<T, String>> DeserializeSeed<'de> for IntCheck<F> {
    type Value = T;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        deserializer.deserialize_i64(self)
    }
}

impl<'de, T, F: FnOnce(i64) -> Result<T, String>> Visitor<'de> for IntCheck<F> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        (self.0)(v).map_err(E::custom)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        let v = i64::try_from(v).map_err(|_| E::custom(format!("number {v} is too large")))?;
        (self.0)(v).map_err(E::custom)
    }
}

/// An array of year objects.
struct YearsSeed;

impl<'de> DeserializeSeed<'de> for YearsSeed {
    type Value = HolidaySchedule;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<HolidaySchedule, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for YearsSeed {
    type Value = HolidaySchedule;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of year schedules")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<HolidaySchedule, A::Error> {
        let seen = RefCell::new(BTreeSet::new());
        let mut schedule = HolidaySchedule::new();
        while let Some(year) = seq.next_element_seed(YearSeed { seen_years: &seen })? {
            schedule.insert_year(year);
        }
        Ok(schedule)
    }
}

/// One year object; `seen_years` catches a year given twice in an array.
struct YearSeed<'a> {
    seen_years: &'a RefCell<BTreeSet<i16>>,
}

const YEAR_FIELDS: &[&str] = &["year", "source", "days"];
const DAY_FIELDS: &[&str] = &["date", "kind", "name"];

impl<'de> DeserializeSeed<'de> for YearSeed<'_> {
    type Value = YearSchedule;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<YearSchedule, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for YearSeed<'_> {
    type Value = YearSchedule;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a year schedule object {\"year\": …, \"days\": […]}")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<YearSchedule, A::Error> {
        let mut schedule: Option<YearSchedule> = None;
        let mut source: Option<String> = None;
        let mut has_days = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "year" => {
                    if schedule.is_some() {
                        return Err(de::Error::duplicate_field("year"));
                    }
                    let seen = self.seen_years;
                    let year = map.next_value_seed(IntCheck(|v: i64| {
                        let year = i16::try_from(v).map_err(|_| format!("year {v} is out of range"))?;
                        let year = YearSchedule::new(year).map_err(|e| e.to_string())?;
                        if !seen.borrow_mut().insert(year.year()) {
                            return Err(format!("year {} appears more than once", year.year()));
                        }
                        Ok(year)
                    }))?;
                    schedule = Some(year);
                }
                "source" => {
                    if source.is_some() {
                        return Err(de::Error::duplicate_field("source"));
                    }
                    source = Some(map.next_value()?);
                }
                "days" => {
                    if has_days {
                        return Err(de::Error::duplicate_field("days"));
                    }
                    let Some(year) = schedule.as_mut() else {
                        return Err(de::Error::custom("\"year\" must come before \"days\""));
                    };
                    map.next_value_seed(DaysSeed(year))?;
                    has_days = true;
                }
                other => return Err(de::Error::unknown_field(other, YEAR_FIELDS)),
            }
        }
        let Some(mut schedule) = schedule else {
            return Err(de::Error::missing_field("year"));
        };
        if !has_days {
            return Err(de::Error::missing_field("days"));
        }
        if let Some(source) = source {
            schedule = schedule.with_source(source);
        }
        Ok(schedule)
    }
}

/// The `days` array of one year, inserted into the year as it is read.
struct DaysSeed<'a>(&'a mut YearSchedule);

impl<'de> DeserializeSeed<'de> for DaysSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for DaysSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of days")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(DaySeed(&mut *self.0))?.is_some() {}
        Ok(())
    }
}

/// One `{"date", "kind", "name"}` object. Each field is checked where it is read, so errors carry the
/// line of the offending value.
struct DaySeed<'a>(&'a mut YearSchedule);

impl<'de> DeserializeSeed<'de> for DaySeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for DaySeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a day object {\"date\": …, \"kind\": …, \"name\": …}")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let year = self.0;
        let mut date: Option<Date> = None;
        let mut kind: Option<DayKind> = None;
        let mut name: Option<String> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "date" => {
                    if date.is_some() {
                        return Err(de::Error::duplicate_field("date"));
                    }
                    let known_kind = kind;
                    let year_ref = &*year;
                    date = Some(map.next_value_seed(StrCheck(|s: &str| {
                        let d = parse_date(s)?;
                        year_ref.check_date(d).map_err(|e| e.to_string())?;
                        if let Some(k) = known_kind {
                            check_kind(d, k).map_err(|e| e.to_string())?;
                        }
                        Ok(d)
                    }))?);
                }
                "kind" => {
                    if kind.is_some() {
                        return Err(de::Error::duplicate_field("kind"));
                    }
                    let known_date = date;
                    kind = Some(map.next_value_seed(StrCheck(|s: &str| {
                        let k = parse_kind(s)?;
                        if let Some(d) = known_date {
                            check_kind(d, k).map_err(|e| e.to_string())?;
                        }
                        Ok(k)
                    }))?);
                }
                "name" => {
                    if name.is_some() {
                        return Err(de::Error::duplicate_field("name"));
                    }
                    name = Some(map.next_value_seed(StrCheck(|s: &str| {
                        let s = s.trim();
                        if s.is_empty() {
                            Err("the name must not be blank: give the holiday name, e.g. 春节".to_string())
                        } else {
                            Ok(s.to_string())
                        }
                    }))?);
                }
                other => return Err(de::Error::unknown_field(other, DAY_FIELDS)),
            }
        }
        let date = date.ok_or_else(|| de::Error::missing_field("date"))?;
        let kind = kind.ok_or_else(|| de::Error::missing_field("kind"))?;
        let name = name.ok_or_else(|| de::Error::missing_field("name"))?;
        year.insert(date, kind, name).map_err(de::Error::custom)
    }
}
