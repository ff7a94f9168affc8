//! Instants for ordering events. `occurred_at` strings are compared as instants, never as
//! text: `…:11Z` and `…:11.5Z` or `+02:00` offsets do not sort correctly as strings.

use chrono::{DateTime, SecondsFormat};
use serde::{Deserialize, Serialize};

/// A point in time as whole Unix seconds plus nanoseconds; orders correctly.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Instant {
    pub secs: i64,
    pub nanos: u32,
}

impl Instant {
    pub fn from_unix_secs(secs: i64) -> Self {
        Self { secs, nanos: 0 }
    }

    pub fn from_unix_millis(millis: i64) -> Self {
        Self {
            secs: millis.div_euclid(1000),
            // rem_euclid(1000) is within 0..1000, so the product fits in u32.
            nanos: (millis.rem_euclid(1000) * 1_000_000) as u32,
        }
    }

    pub fn unix_millis(self) -> i64 {
        self.secs
            .saturating_mul(1000)
            .saturating_add(i64::from(self.nanos / 1_000_000))
    }

    /// Parses an RFC 3339 timestamp such as `2025-09-15T14:02:11.104215Z`.
    pub fn parse_rfc3339(text: &str) -> Option<Self> {
        let parsed = DateTime::parse_from_rfc3339(text).ok()?;
        Some(Self {
            secs: parsed.timestamp(),
            nanos: parsed.timestamp_subsec_nanos(),
        })
    }

    /// RFC 3339 in UTC with millisecond precision, e.g. `2025-09-15T14:02:11.104Z`.
    pub fn to_rfc3339(self) -> String {
        DateTime::from_timestamp(self.secs, self.nanos)
            .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
            .unwrap_or_else(|| format!("@{}", self.secs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_by_instant_not_by_text() {
        let whole = Instant::parse_rfc3339("2025-09-15T14:02:11Z").unwrap();
        let half = Instant::parse_rfc3339("2025-09-15T14:02:11.5Z").unwrap();
        let offset = Instant::parse_rfc3339("2025-09-15T16:02:10.9+02:00").unwrap();
        assert!(offset < whole && whole < half);
    }

    #[test]
    fn rejects_what_is_not_rfc3339() {
        for bad in [
            "",
            "yesterday",
            "2025-09-15",
            "1757944931",
            "2025-13-01T00:00:00Z",
        ] {
            assert_eq!(Instant::parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats_millis_in_utc() {
        assert_eq!(
            Instant::from_unix_millis(1_757_944_931_104).to_rfc3339(),
            "2025-09-15T14:02:11.104Z"
        );
        assert_eq!(
            Instant::from_unix_millis(-1),
            Instant {
                secs: -1,
                nanos: 999_000_000
            }
        );
    }

    #[test]
    fn millis_round_trip() {
        for millis in [0, 1, 999, 1_757_944_931_104, -1, -1001] {
            assert_eq!(Instant::from_unix_millis(millis).unix_millis(), millis);
        }
    }
}
