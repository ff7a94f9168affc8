//! Forwarding verified events to the user's own backend, signed as the Standard
//! Webhooks specification defines: the configuration (`FORWARD_URL`, `FORWARD_EVENTS`,
//! `FORWARD_SECRET`), which events go, the signature, and when a delivery is tried
//! again. The call's object delivers (`app::object::forwarding`).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use serde::{Deserialize, Serialize};

use super::retry::{Attempted, Schedule};

/// Where one delivery of an event to one URL stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ForwardStatus {
    Pending,
    Delivered,
    Failed,
}

/// One delivery, as the call state's `forwards` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForwardRecord {
    pub event_id: String,
    pub url: String,
    pub status: ForwardStatus,
    pub attempts: u32,
    /// The receiver's status on the latest attempt that got an answer.
    pub http_status: Option<u16>,
    pub error: Option<String>,
    /// When it last changed (RFC 3339).
    pub at: String,
}

/// One delivery attempt is abandoned after this long.
pub const FORWARD_TIMEOUT_MS: u64 = 15_000;

/// Retries: 1 s doubling to an hour, with equal jitter, for 24 hours; the last attempt
/// is made at the 24th hour whatever the backoff says, so no delivery gives up sooner.
pub const FORWARD_SCHEDULE: Schedule = Schedule {
    base_delay_ms: 1_000,
    max_delay_ms: 60 * 60 * 1000,
    deadline_ms: 24 * 60 * 60 * 1000,
    caller_waits: false,
};

/// Where a delivery stands after an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivered {
    Yes,
    /// Try again after this many milliseconds.
    RetryIn(u64),
    /// The receiver refused it (any status but `2xx`, `408`, `429`, `5xx`).
    Refused,
    /// Retried for the whole schedule without success.
    GaveUp,
}

/// The verdict on a delivery after its attempt number `attempts` (from 1), `elapsed_ms`
/// after the first attempt started. A delivery is safe to repeat (the receiver
/// deduplicates by `webhook-id`), so every failure that might pass is retried.
pub fn decide(
    attempted: Attempted,
    attempts: u32,
    elapsed_ms: u64,
    jitter_seed: &str,
) -> Delivered {
    let retry_after = match attempted {
        Attempted::Answered { status, .. } if (200..300).contains(&status) => {
            return Delivered::Yes
        }
        Attempted::Answered {
            status: 408 | 429 | 500..=599,
            retry_after_ms,
        } => retry_after_ms,
        Attempted::Answered { .. } => return Delivered::Refused,
        Attempted::TimedOut | Attempted::Unreached | Attempted::Lost => None,
    };
    let deadline = FORWARD_SCHEDULE.deadline_ms;
    if elapsed_ms >= deadline {
        return Delivered::GaveUp;
    }
    let backoff = FORWARD_SCHEDULE.backoff(attempts, jitter_seed);
    let delay = retry_after.map_or(backoff, |after| after.max(backoff));
    Delivered::RetryIn(delay.min(deadline - elapsed_ms))
}

/// What a Standard Webhooks secret starts with; base64 of the key follows.
pub const SECRET_PREFIX: &str = "whsec_";
/// The key lengths `FORWARD_SECRET` may carry (interface.md).
const KEY_BYTES: std::ops::RangeInclusive<usize> = 24..=64;

/// Where and what to forward, checked.
#[derive(Clone, PartialEq, Eq)]
pub struct ForwardConfig {
    pub urls: Vec<String>,
    pub events: EventFilter,
    /// The HMAC key: the base64-decoded part of the secret after `whsec_`.
    key: Vec<u8>,
}

/// Shows everything but the key, so a printed configuration never carries it.
impl std::fmt::Debug for ForwardConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ForwardConfig")
            .field("urls", &self.urls)
            .field("events", &self.events)
            .field("key", &"(redacted)")
            .finish()
    }
}

impl ForwardConfig {
    /// Reads the three settings (an empty one counts as not set). `Ok(None)`: no
    /// `FORWARD_URL`, nothing is forwarded. Every problem is listed, never the secret.
    pub fn parse(
        url: Option<&str>,
        events: Option<&str>,
        secret: Option<&str>,
    ) -> Result<Option<Self>, Vec<String>> {
        let Some(url) = set(url) else {
            return Ok(None);
        };
        let mut problems = Vec::new();
        let urls: Vec<String> = url.split_whitespace().map(str::to_owned).collect();
        for url in &urls {
            if !is_http_url(url) {
                problems.push(format!(
                    "FORWARD_URL: {url:?} is not an http:// or https:// URL with a host"
                ));
            }
        }
        let events = EventFilter::parse(set(events)).unwrap_or_else(|problem| {
            problems.push(problem);
            EventFilter::All
        });
        let key = match set(secret) {
            None => {
                problems.push("FORWARD_SECRET is required when FORWARD_URL is set".into());
                Vec::new()
            }
            Some(secret) => signing_key(secret).unwrap_or_else(|problem| {
                problems.push(problem);
                Vec::new()
            }),
        };
        if problems.is_empty() {
            Ok(Some(Self { urls, events, key }))
        } else {
            Err(problems)
        }
    }

    /// The `webhook-signature` of one attempt: `v1,` and the base64 HMAC-SHA256 of
    /// `{webhook-id}.{webhook-timestamp}.{body}`.
    pub fn signature(&self, webhook_id: &str, timestamp_secs: i64, body: &[u8]) -> String {
        sign(&self.key, webhook_id, timestamp_secs, body)
    }
}

/// A setting's value; empty counts as not set.
fn set(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

fn sign(key: &[u8], webhook_id: &str, timestamp_secs: i64, body: &[u8]) -> String {
    // HMAC takes a key of any length.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(webhook_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp_secs.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// The key of a `whsec_` secret; the error never repeats the secret.
fn signing_key(secret: &str) -> Result<Vec<u8>, String> {
    let encoded = secret.strip_prefix(SECRET_PREFIX).ok_or_else(|| {
        format!("FORWARD_SECRET must start with {SECRET_PREFIX} (a Standard Webhooks secret)")
    })?;
    let key = STANDARD
        .decode(encoded)
        .map_err(|_| format!("FORWARD_SECRET: the part after {SECRET_PREFIX} is not base64"))?;
    if KEY_BYTES.contains(&key.len()) {
        Ok(key)
    } else {
        Err(format!(
            "FORWARD_SECRET holds a {}-byte key; it must hold {} to {} bytes",
            key.len(),
            KEY_BYTES.start(),
            KEY_BYTES.end()
        ))
    }
}

/// `http://` or `https://`, a host, and no white space.
fn is_http_url(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    let Some(rest) = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
    else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    !host.is_empty() && !host.starts_with(':') && !text.chars().any(char::is_whitespace)
}

/// Which event types are forwarded (`FORWARD_EVENTS`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventFilter {
    All,
    /// Exact types, and prefixes written `call.*` (kept as `call.`).
    Only {
        exact: Vec<String>,
        prefixes: Vec<String>,
    },
}

impl EventFilter {
    /// Types separated by spaces; a trailing `*` makes a prefix. `None`: every type.
    pub fn parse(text: Option<&str>) -> Result<Self, String> {
        let Some(text) = text else {
            return Ok(Self::All);
        };
        let mut exact = Vec::new();
        let mut prefixes = Vec::new();
        for pattern in text.split_whitespace() {
            let (stem, prefix) = match pattern.strip_suffix('*') {
                Some(stem) => (stem, true),
                None => (pattern, false),
            };
            let valid = stem
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_'));
            if !valid || (!prefix && stem.is_empty()) {
                return Err(format!(
                    "FORWARD_EVENTS: {pattern:?} is not an event type or a prefix like call.*"
                ));
            }
            let stem = siprec_spelling(stem).to_owned();
            if prefix {
                prefixes.push(stem);
            } else {
                exact.push(stem);
            }
        }
        Ok(Self::Only { exact, prefixes })
    }

    /// Whether events of `event_type` are forwarded. Both SIPREC spellings match.
    pub fn matches(&self, event_type: &str) -> bool {
        match self {
            Self::All => true,
            Self::Only { exact, prefixes } => {
                let event_type = siprec_spelling(event_type);
                exact.iter().any(|e| e == event_type)
                    || prefixes.iter().any(|p| event_type.starts_with(p.as_str()))
            }
        }
    }
}

/// `call.siprec.*` is the same event as `siprec.*`.
fn siprec_spelling(event_type: &str) -> &str {
    event_type
        .strip_prefix("call.")
        .filter(|rest| rest.starts_with("siprec."))
        .unwrap_or(event_type)
}

#[cfg(test)]
mod tests {
    use super::*;

    const VECTOR_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    fn config(
        url: &str,
        events: Option<&str>,
        secret: &str,
    ) -> Result<Option<ForwardConfig>, Vec<String>> {
        ForwardConfig::parse(Some(url), events, Some(secret))
    }

    #[test]
    fn signs_the_standard_webhooks_test_vector() {
        // The specification's published example: its secret, id, time and payload.
        let forward = config("https://crm.example.com/hooks", None, VECTOR_SECRET)
            .unwrap()
            .unwrap();
        assert_eq!(
            forward.signature(
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1_614_265_330,
                br#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        assert_ne!(
            forward.signature(
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1_614_265_331,
                br#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
            "each attempt's time is signed"
        );
    }

    #[test]
    fn no_url_forwards_nothing_and_several_urls_are_kept() {
        assert_eq!(ForwardConfig::parse(None, Some("call.*"), None), Ok(None));
        assert_eq!(ForwardConfig::parse(Some("  "), None, None), Ok(None));
        let forward = config(
            "https://a.example.com/x http://127.0.0.1:9000/h",
            None,
            VECTOR_SECRET,
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            forward.urls,
            ["https://a.example.com/x", "http://127.0.0.1:9000/h"]
        );
        assert_eq!(forward.events, EventFilter::All);
    }

    #[test]
    fn every_problem_is_named_and_the_secret_never_repeated() {
        let secret = "whsec_dG9vLXNob3J0";
        let problems = config(
            "ftp://x.example.com https:// mailto:a@b",
            Some("Call.Answered"),
            secret,
        )
        .unwrap_err();
        assert_eq!(problems.len(), 5, "{problems:?}");
        assert!(
            problems.iter().all(|p| !p.contains("dG9vLXNob3J0")),
            "{problems:?}"
        );
        assert!(problems.last().unwrap().contains("9-byte key"));
        let missing = ForwardConfig::parse(Some("https://a.example.com"), None, None).unwrap_err();
        assert_eq!(
            missing,
            ["FORWARD_SECRET is required when FORWARD_URL is set"]
        );
        for bad in [
            "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "whsec_not base64!",
            "whsec_",
        ] {
            assert!(config("https://a.example.com", None, bad).is_err(), "{bad}");
        }
        let long = format!("whsec_{}", STANDARD.encode([7u8; 65]));
        assert!(config("https://a.example.com", None, &long).is_err());
    }

    #[test]
    fn a_printed_configuration_never_shows_the_key() {
        let config = config("https://a.example", None, VECTOR_SECRET)
            .unwrap()
            .unwrap();
        let printed = format!("{config:?}");
        assert!(printed.contains("redacted") && printed.contains("a.example"));
        let key = STANDARD
            .decode(&VECTOR_SECRET[SECRET_PREFIX.len()..])
            .unwrap();
        assert!(!printed.contains(&format!("{key:?}")[1..20]), "{printed}");
    }

    #[test]
    fn filters_match_types_prefixes_and_both_siprec_spellings() {
        let filter = EventFilter::parse(Some("call.hangup call.refer.* siprec.started")).unwrap();
        assert!(filter.matches("call.hangup"));
        assert!(filter.matches("call.refer.completed"));
        assert!(filter.matches("siprec.started"));
        assert!(filter.matches("call.siprec.started"), "the other spelling");
        assert!(!filter.matches("call.answered"));
        assert!(!filter.matches("call.refer"), "a prefix needs its dot");
        let spelled = EventFilter::parse(Some("call.siprec.*")).unwrap();
        assert!(spelled.matches("siprec.failed") && spelled.matches("call.siprec.stopped"));
        assert!(EventFilter::parse(Some("*"))
            .unwrap()
            .matches("anything.new"));
        assert!(EventFilter::parse(None)
            .unwrap()
            .matches("call.dtmf.received"));
        for bad in ["call.*.x", "CALL.hangup", "call hangup;", "**"] {
            assert!(EventFilter::parse(Some(bad)).is_err(), "{bad}");
        }
    }

    fn answered(status: u16) -> Attempted {
        Attempted::Answered {
            status,
            retry_after_ms: None,
        }
    }

    #[test]
    fn delivery_verdicts_follow_the_status() {
        assert_eq!(decide(answered(200), 1, 0, "e"), Delivered::Yes);
        assert_eq!(decide(answered(299), 1, 0, "e"), Delivered::Yes);
        for status in [408, 429, 500, 503, 599] {
            assert!(
                matches!(decide(answered(status), 1, 0, "e"), Delivered::RetryIn(_)),
                "{status}"
            );
        }
        for status in [301, 400, 401, 404, 410, 422] {
            assert_eq!(
                decide(answered(status), 1, 0, "e"),
                Delivered::Refused,
                "{status}"
            );
        }
        for lost in [Attempted::TimedOut, Attempted::Unreached, Attempted::Lost] {
            assert!(matches!(decide(lost, 1, 0, "e"), Delivered::RetryIn(_)));
        }
    }

    #[test]
    fn the_schedule_doubles_to_an_hour_and_ends_at_24_hours_exactly() {
        let day = FORWARD_SCHEDULE.deadline_ms;
        let (mut elapsed, mut attempts) = (0u64, 1u32);
        let mut delays = Vec::new();
        while let Delivered::RetryIn(delay) = decide(answered(503), attempts, elapsed, "e") {
            delays.push(delay);
            elapsed += delay;
            attempts += 1;
        }
        assert_eq!(
            decide(answered(503), attempts, elapsed, "e"),
            Delivered::GaveUp
        );
        assert_eq!(elapsed, day, "the last attempt is at the 24th hour");
        assert!((500..=1_000).contains(&delays[0]), "{delays:?}");
        assert!(delays.iter().all(|&d| d <= 3_600_000));
        // About 12 attempts in the first hour, then about one an hour.
        assert!((30..=50).contains(&attempts), "{attempts} attempts");
        let limited = Attempted::Answered {
            status: 429,
            retry_after_ms: Some(90_000),
        };
        assert_eq!(decide(limited, 1, 0, "e"), Delivered::RetryIn(90_000));
        let late = Attempted::Answered {
            status: 503,
            retry_after_ms: Some(day),
        };
        assert_eq!(decide(late, 9, day - 5_000, "e"), Delivered::RetryIn(5_000));
    }
}
