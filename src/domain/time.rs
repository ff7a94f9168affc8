//! Instants for ordering events. `occurred_at` strings are compared as instants, never as
//! text: `…:11Z` and `…:11.5Z` or `+02:00` offsets do not sort correctly as strings.

use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::fields::Fields;

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

    /// `{"secs": …, "nanos": …}` as `Serialize` writes it, read by hand (see
    /// `super::fields`) as derived code read it.
    pub fn from_json(value: Value) -> Option<Self> {
        let mut fields = Fields::of::<serde_json::Error>(value, &["secs", "nanos"]).ok()?;
        Some(Self {
            secs: fields.take("secs")?.as_i64()?,
            nanos: u32::try_from(fields.take("nanos")?.as_u64()?).ok()?,
        })
    }

    /// Parses an RFC 3339 timestamp such as `2025-09-15T14:02:11.104215Z`.
    pub fn parse_rfc3339(text: &str) -> Option<Self> {
        let parsed = DateTime::parse_from_rfc3339(text).ok()?;
        Some(Self {
            secs: parsed.timestamp(),
            nanos: parsed.timestamp_subsec_nanos(),
        })
    }

    /// An HTTP-date (RFC 9110 §5.6.7): the IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`
    /// or an obsolete form, `Sunday, 06-Nov-94 08:49:37 GMT` or `Sun Nov  6 08:49:37 1994`.
    /// It accepts exactly what the `httpdate` crate does (the tests compare the two), on
    /// chrono's calendar, which the bundle has anyway: a year from 1970 to 9999, a day
    /// that exists, and the weekday of that day.
    pub fn parse_http_date(text: &str) -> Option<Self> {
        if !text.is_ascii() {
            return None;
        }
        let b = text.trim().as_bytes();
        let (weekday, year, month, day, clock) = match b.len() {
            29 if &b[3..5] == b", " && b[7] == b' ' && b[11] == b' ' && b[16] == b' ' => {
                // `Sun, 06 Nov 1994 08:49:37 GMT`
                if !b.ends_with(b" GMT") {
                    return None;
                }
                let weekday = short_weekday(&b[..3])?;
                (
                    weekday,
                    digits(&b[12..16])?,
                    month(&b[8..11])?,
                    digits(&b[5..7])?,
                    clock(&b[17..25])?,
                )
            }
            24 if b[3] == b' ' && b[7] == b' ' && b[10] == b' ' && b[19] == b' ' => {
                // `Sun Nov  6 08:49:37 1994`; the day is ` 6` or `06`.
                let day = digits(b[8..10].strip_prefix(b" ").unwrap_or(&b[8..10]))?;
                let weekday = short_weekday(&b[..3])?;
                (
                    weekday,
                    digits(&b[20..24])?,
                    month(&b[4..7])?,
                    day,
                    clock(&b[11..19])?,
                )
            }
            _ => {
                // `06-Nov-94 08:49:37 GMT` after the weekday's full name; `httpdate` never
                // checked the byte after the year, so neither does this.
                let comma = b.iter().position(|&c| c == b',')?;
                let weekday = WEEKDAYS.iter().position(|d| d.as_bytes() == &b[..comma])?;
                let rest = b[comma + 1..].strip_prefix(b" ")?;
                if rest.len() != 22
                    || rest[2] != b'-'
                    || rest[6] != b'-'
                    || !rest.ends_with(b" GMT")
                {
                    return None;
                }
                let year = digits(&rest[7..9])?;
                let year = year + if year < 70 { 2000 } else { 1900 };
                (
                    weekday,
                    year,
                    month(&rest[3..6])?,
                    digits(&rest[..2])?,
                    clock(&rest[10..18])?,
                )
            }
        };
        if !(1970..=9999).contains(&year) {
            return None;
        }
        let date = NaiveDate::from_ymd_opt(year as i32, month, day)?;
        if date.weekday().num_days_from_monday() as usize != weekday {
            return None;
        }
        let (hour, minute, second) = clock;
        let at = date.and_hms_opt(hour, minute, second)?;
        Some(Self::from_unix_secs(at.and_utc().timestamp()))
    }

    /// RFC 3339 in UTC with millisecond precision, e.g. `2025-09-15T14:02:11.104Z`.
    pub fn to_rfc3339(self) -> String {
        DateTime::from_timestamp(self.secs, self.nanos)
            .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true))
            .unwrap_or_else(|| format!("@{}", self.secs))
    }
}

const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

const MONTHS: [&[u8]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];

/// `Sun` as 6 (days from Monday).
fn short_weekday(name: &[u8]) -> Option<usize> {
    WEEKDAYS.iter().position(|d| &d.as_bytes()[..3] == name)
}

/// `Nov` as 11.
fn month(name: &[u8]) -> Option<u32> {
    MONTHS.iter().position(|m| *m == name).map(|i| i as u32 + 1)
}

/// ASCII digits, all of them, as a number.
fn digits(text: &[u8]) -> Option<u32> {
    text.iter().try_fold(0, |n, &c| {
        let digit = c.wrapping_sub(b'0');
        (digit < 10).then(|| n * 10 + u32::from(digit))
    })
}

/// `08:49:37` as (8, 49, 37).
fn clock(text: &[u8]) -> Option<(u32, u32, u32)> {
    if text[2] != b':' || text[5] != b':' {
        return None;
    }
    Some((
        digits(&text[..2])?,
        digits(&text[3..5])?,
        digits(&text[6..])?,
    ))
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
    fn millis_round_trip() {
        for millis in [0, 1, 999, 1_757_944_931_104, -1, -1001] {
            assert_eq!(Instant::from_unix_millis(millis).unix_millis(), millis);
        }
    }
}
