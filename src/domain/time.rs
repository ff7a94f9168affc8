//! Instants for ordering events. `occurred_at` strings are compared as instants, never as
//! text: `…:11Z` and `…:11.5Z` or `+02:00` offsets do not sort correctly as strings.

use std::time::UNIX_EPOCH;

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

    /// Parses an RFC 3339 timestamp such as `2025-09-15T14:02:11.104215Z`, as chrono
    /// reads it: a leap second (`:60`) is the minute's last second with a billion
    /// nanoseconds more.
    pub fn parse_rfc3339(text: &str) -> Option<Self> {
        let at = DateTime::parse_from_rfc3339(text).ok()?;
        Some(Self {
            secs: at.timestamp(),
            nanos: at.timestamp_subsec_nanos(),
        })
    }

    /// An HTTP-date (RFC 9110 §5.6.7): the IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`
    /// or an obsolete form, `Sunday, 06-Nov-94 08:49:37 GMT` or `Sun Nov  6 08:49:37 1994`.
    pub fn parse_http_date(text: &str) -> Option<Self> {
        // Plain arithmetic on the date httpdate read, so safe on wasm32, which has no
        // clock behind `SystemTime`; httpdate reads no year before 1970.
        let since_epoch = httpdate::parse_http_date(text)
            .ok()?
            .duration_since(UNIX_EPOCH)
            .ok()?;
        Some(Self::from_unix_secs(
            i64::try_from(since_epoch.as_secs()).ok()?,
        ))
    }

    /// RFC 3339 in UTC with millisecond precision, e.g. `2025-09-15T14:02:11.104Z`;
    /// `@{secs}` for an instant chrono cannot represent.
    pub fn to_rfc3339(self) -> String {
        self.formatted(SecondsFormat::Millis)
    }

    /// The same in whole seconds, e.g. `2026-12-06T22:41:00Z`.
    pub fn to_rfc3339_seconds(self) -> String {
        self.formatted(SecondsFormat::Secs)
    }

    fn formatted(self, precision: SecondsFormat) -> String {
        match DateTime::from_timestamp(self.secs, self.nanos) {
            Some(at) => at.to_rfc3339_opts(precision, true),
            None => format!("@{}", self.secs),
        }
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
    fn reads_each_http_date_form() {
        let at = Some(Instant::from_unix_secs(784_111_777));
        for text in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            " Sun Nov 06 08:49:37 1994\t",
        ] {
            assert_eq!(Instant::parse_http_date(text), at, "{text:?}");
        }
        for bad in [
            "Mon, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 06 Nov 1994 24:49:37 GMT",
            "Thu, 31 Dec 1969 23:59:59 GMT",
            "Sat, 29 Feb 2025 00:00:00 GMT",
            "Sun, 06 Nov 1994 08:49:37 GMT\u{a0}",
            "Sun, 6 Nov 1994 08:49:37 GMT",
        ] {
            assert_eq!(Instant::parse_http_date(bad), None, "{bad:?}");
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
    fn leap_seconds_are_the_minutes_sixtieth_second() {
        let leap = Instant {
            secs: 1_483_228_799,
            nanos: 1_500_000_000,
        };
        assert_eq!(Instant::parse_rfc3339("2016-12-31T23:59:60.5Z"), Some(leap));
        assert_eq!(leap.to_rfc3339(), "2016-12-31T23:59:60.500Z");
    }

    #[test]
    fn writes_far_years_with_their_sign() {
        for (secs, text) in [
            (-62_167_219_201, "-0001-12-31T23:59:59.000Z"),
            (253_402_300_800, "+10000-01-01T00:00:00.000Z"),
            (i64::MAX, "@9223372036854775807"),
        ] {
            assert_eq!(Instant::from_unix_secs(secs).to_rfc3339(), text);
        }
    }

    #[test]
    fn millis_round_trip() {
        for millis in [0, 1, 999, 1_757_944_931_104, -1, -1001] {
            assert_eq!(Instant::from_unix_millis(millis).unix_millis(), millis);
        }
    }
}
