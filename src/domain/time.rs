//! Instants for ordering events. `occurred_at` strings are compared as instants, never as
//! text: `…:11Z` and `…:11.5Z` or `+02:00` offsets do not sort correctly as strings.

use chrono::{DateTime, Datelike, NaiveDate, Timelike};
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

    /// Parses an RFC 3339 timestamp such as `2025-09-15T14:02:11.104215Z`. It accepts
    /// exactly what chrono's `DateTime::parse_from_rfc3339` does (the tests compare the
    /// two), on chrono's calendar: its parser and its error type are most of this
    /// function's size in the bundle otherwise. As chrono reads it: `T`, `t` or a space
    /// between date and time, any number of fraction digits (the first nine count), `Z`,
    /// `z` or an offset of at most 23:59 whose sign may be U+2212, and a leap second
    /// (`:60`) as the minute's last second with a billion nanoseconds more.
    pub fn parse_rfc3339(text: &str) -> Option<Self> {
        let b = text.as_bytes();
        if b.len() < 19
            || b[4] != b'-'
            || b[7] != b'-'
            || !matches!(b[10], b'T' | b't' | b' ')
            || b[13] != b':'
            || b[16] != b':'
        {
            return None;
        }
        let date = NaiveDate::from_ymd_opt(
            digits(&b[..4])? as i32,
            digits(&b[5..7])?,
            digits(&b[8..10])?,
        )?;
        let (second, mut nanos) = match digits(&b[17..19])? {
            60 => (59, 1_000_000_000),
            second => (second, 0),
        };
        let mut rest = &b[19..];
        if let Some(fraction) = rest.strip_prefix(b".") {
            let count = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
            let counted = count.min(9);
            if count == 0 {
                return None;
            }
            nanos += digits(&fraction[..counted])? * 10u32.pow(9 - counted as u32);
            rest = &fraction[count..];
        }
        let offset = match rest {
            [b'Z' | b'z'] => 0,
            [b'+', hhmm @ ..] => offset_secs(hhmm)?,
            [b'-', hhmm @ ..] | [0xE2, 0x88, 0x92, hhmm @ ..] => -offset_secs(hhmm)?,
            _ => return None,
        };
        let local = date.and_hms_opt(digits(&b[11..13])?, digits(&b[14..16])?, second)?;
        Some(Self {
            secs: local.and_utc().timestamp() - offset,
            nanos,
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

    /// RFC 3339 in UTC with millisecond precision, e.g. `2025-09-15T14:02:11.104Z`,
    /// written as chrono's `to_rfc3339_opts(SecondsFormat::Millis, true)` writes it (the
    /// tests compare the two), from chrono's calendar.
    pub fn to_rfc3339(self) -> String {
        let Some(at) = DateTime::from_timestamp(self.secs, self.nanos) else {
            return format!("@{}", self.secs);
        };
        let mut text = String::with_capacity(24);
        let year = at.year();
        if (0..=9999).contains(&year) {
            push_two_digits(&mut text, year as u32 / 100);
            push_two_digits(&mut text, year as u32 % 100);
        } else {
            // ISO 8601 wants the sign on a year outside 0000 to 9999.
            text.push_str(&format!("{year:+05}"));
        }
        // A leap second's nanoseconds count from a billion; it is written as `:60`.
        let (second, nanos) = match at.nanosecond() {
            leap @ 1_000_000_000.. => (at.second() + 1, leap - 1_000_000_000),
            nanos => (at.second(), nanos),
        };
        for (separator, value) in [
            ('-', at.month()),
            ('-', at.day()),
            ('T', at.hour()),
            (':', at.minute()),
            (':', second),
        ] {
            text.push(separator);
            push_two_digits(&mut text, value);
        }
        let millis = nanos / 1_000_000;
        text.push('.');
        text.push(char::from(b'0' + (millis / 100) as u8));
        push_two_digits(&mut text, millis % 100);
        text.push('Z');
        text
    }
}

/// `0` to `99` as two digits.
fn push_two_digits(text: &mut String, n: u32) {
    text.push(char::from(b'0' + (n / 10) as u8));
    text.push(char::from(b'0' + (n % 10) as u8));
}

/// An offset's `hh:mm` as seconds: less than a day, its minutes below 60.
fn offset_secs(hhmm: &[u8]) -> Option<i64> {
    if hhmm.len() != 5 || hhmm[2] != b':' {
        return None;
    }
    let (hours, minutes) = (digits(&hhmm[..2])?, digits(&hhmm[3..])?);
    let secs = i64::from(hours * 3600 + minutes * 60);
    (minutes < 60 && secs < 86_400).then_some(secs)
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
    use proptest::arbitrary::Arbitrary;

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

    /// What chrono's parser, which read timestamps before, makes of `text`.
    fn chrono_parse(text: &str) -> Option<Instant> {
        let at = DateTime::parse_from_rfc3339(text).ok()?;
        Some(Instant {
            secs: at.timestamp(),
            nanos: at.timestamp_subsec_nanos(),
        })
    }

    /// What chrono's writer, which wrote timestamps before, makes of `at`.
    fn chrono_format(at: Instant) -> String {
        DateTime::from_timestamp(at.secs, at.nanos)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
            .unwrap_or_else(|| format!("@{}", at.secs))
    }

    #[test]
    fn reads_timestamps_as_chrono_reads_them() {
        for text in [
            "2025-09-15T14:02:11Z",
            "2025-09-15t14:02:11z",
            "2025-09-15 14:02:11.1234567891234+02:00",
            "2016-12-31T23:59:60.5Z",
            "2016-12-31T23:59:60Z",
            "2016-12-31T23:58:60Z",
            "2025-09-15T14:02:61Z",
            "2025-09-15T24:00:00Z",
            "2025-09-15T14:02:11.Z",
            "2025-09-15T14:02:11.5",
            "2025-09-15T14:02:11+23:59",
            "2025-09-15T14:02:11+24:00",
            "2025-09-15T14:02:11-00:60",
            "2025-09-15T14:02:11\u{2212}05:30",
            "2025-09-15T14:02:11+0530",
            "2025-09-15T14:02:11+05:30:00",
            "2025-09-15T14:02:11ZZ",
            "0000-01-01T00:00:00+01:00",
            "9999-12-31T23:59:59.999999999-23:59",
            "2024-02-29T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "2025-09-15T14:02:11.\u{e9}Z",
            "2025-09-15T14:02:11Z\u{e9}",
            "+025-09-15T14:02:11Z",
        ] {
            assert_eq!(Instant::parse_rfc3339(text), chrono_parse(text), "{text:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn timestamps_parse_as_chrono_parses_them(
            text in "[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{0,12})?([Zz]|[+\\-\u{2212}][0-9]{2}:[0-9]{2})?",
            edits in proptest::collection::vec(
                (proptest::sample::Index::arbitrary(), 0usize..3, "[0-9:+\\-.TZz \u{2212}\u{e9}]"),
                0..3,
            ),
        ) {
            proptest::prop_assert_eq!(Instant::parse_rfc3339(&text), chrono_parse(&text), "{:?}", text);
            let mut text: Vec<char> = text.chars().collect();
            for (index, edit, with) in edits {
                let at = index.index(text.len() + 1);
                let with = with.chars().next().unwrap();
                match edit {
                    0 if at < text.len() => text[at] = with,
                    1 => text.insert(at, with),
                    _ if at < text.len() => {
                        text.remove(at);
                    }
                    _ => {}
                }
            }
            let text: String = text.into_iter().collect();
            proptest::prop_assert_eq!(Instant::parse_rfc3339(&text), chrono_parse(&text), "{:?}", text);
        }

        #[test]
        fn valid_timestamps_parse_as_chrono_parses_them(
            secs in -62_167_219_200i64..253_402_300_800,
            nanos in 0u32..1_000_000_000,
            offset_minutes in -1439i32..1440,
            digits in 0usize..12,
        ) {
            let offset = chrono::FixedOffset::east_opt(offset_minutes * 60).unwrap();
            let at = DateTime::from_timestamp(secs, nanos).unwrap().with_timezone(&offset);
            let mut text = at.format("%Y-%m-%dT%H:%M:%S").to_string();
            if digits > 0 {
                text.push_str(&format!(".{:09}", nanos)[..digits.min(9) + 1]);
                text.push_str(&"7".repeat(digits.saturating_sub(9)));
            }
            text.push_str(&at.format("%:z").to_string());
            proptest::prop_assert_eq!(Instant::parse_rfc3339(&text), chrono_parse(&text), "{:?}", text);
        }

        #[test]
        fn timestamps_are_written_as_chrono_writes_them(
            secs in proptest::prop_oneof![
                -62_167_219_200i64..253_402_300_800,
                proptest::num::i64::ANY,
                -8_334_632_851_200i64..8_210_298_412_800,
            ],
            nanos in proptest::prop_oneof![0u32..1_000_000_000, 0u32..2_000_000_000, proptest::num::u32::ANY],
        ) {
            let at = Instant { secs, nanos };
            proptest::prop_assert_eq!(at.to_rfc3339(), chrono_format(at));
        }
    }

    #[test]
    fn writes_leap_seconds_and_far_years_as_chrono_does() {
        for at in [
            Instant {
                secs: 1_483_228_799,
                nanos: 1_500_000_000,
            },
            Instant {
                secs: 1_483_228_798,
                nanos: 1_500_000_000,
            },
            Instant {
                secs: -62_167_219_201,
                nanos: 0,
            },
            Instant {
                secs: 253_402_300_800,
                nanos: 999_999_999,
            },
            Instant {
                secs: i64::MAX,
                nanos: 0,
            },
            Instant {
                secs: 0,
                nanos: 2_000_000_000,
            },
        ] {
            assert_eq!(at.to_rfc3339(), chrono_format(at), "{at:?}");
        }
    }

    #[test]
    fn millis_round_trip() {
        for millis in [0, 1, 999, 1_757_944_931_104, -1, -1001] {
            assert_eq!(Instant::from_unix_millis(millis).unix_millis(), millis);
        }
    }
}
