//! Instants are stored and compared as milliseconds since the Unix epoch (UTC), one representation on
//! every backend; the API shows them as RFC 3339 text.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Milliseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Millis(pub i64);

impl Millis {
    pub const MINUTE: i64 = 60_000;
    pub const HOUR: i64 = 60 * Millis::MINUTE;
    pub const DAY: i64 = 24 * Millis::HOUR;

    pub fn plus_ms(self, ms: i64) -> Millis {
        Millis(self.0.saturating_add(ms))
    }

    /// RFC 3339 in UTC, e.g. `2026-11-23T04:05:06.789Z`.
    pub fn to_rfc3339(self) -> String {
        match jiff::Timestamp::from_millisecond(self.0) {
            Ok(t) => t.to_string(),
            Err(_) => self.0.to_string(),
        }
    }

    /// Shanghai wall-clock time for messages, e.g. `2026-03-10 10:15`.
    pub fn shanghai_text(self) -> String {
        let tz = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap_or(jiff::tz::TimeZone::UTC);
        match jiff::Timestamp::from_millisecond(self.0) {
            Ok(t) => t.to_zoned(tz).strftime("%Y-%m-%d %H:%M").to_string(),
            Err(_) => self.0.to_string(),
        }
    }

    pub fn parse_rfc3339(s: &str) -> Option<Millis> {
        s.parse::<jiff::Timestamp>().ok().map(|t| Millis(t.as_millisecond()))
    }
}

impl Serialize for Millis {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Millis {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Millis, D::Error> {
        let s = String::deserialize(d)?;
        Millis::parse_rfc3339(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("'{s}' is not an RFC 3339 timestamp")))
    }
}

impl utoipa::PartialSchema for Millis {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::DateTime)))
            .into()
    }
}
impl utoipa::ToSchema for Millis {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_round_trip_as_rfc3339() {
        let t = Millis(1_795_000_000_123);
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, "\"2026-11-18T11:06:40.123Z\"");
        assert_eq!(serde_json::from_str::<Millis>(&json).unwrap(), t);
        assert!(serde_json::from_str::<Millis>("\"yesterday\"").is_err());
    }
}
