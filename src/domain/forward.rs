//! Forwarding verified events to the user's own backend, signed as the Standard
//! Webhooks specification defines: the configuration (`FORWARD_URL`, `FORWARD_EVENTS`,
//! `FORWARD_SECRET`), which events go, and the signature. Delivery from the call's
//! object is not built yet; nothing here is called outside the tests so far.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// What a Standard Webhooks secret starts with; base64 of the key follows.
pub const SECRET_PREFIX: &str = "whsec_";
/// The key lengths `FORWARD_SECRET` may carry (interface.md).
const KEY_BYTES: std::ops::RangeInclusive<usize> = 24..=64;

/// Where and what to forward, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForwardConfig {
    pub urls: Vec<String>,
    pub events: EventFilter,
    /// The HMAC key: the base64-decoded part of the secret after `whsec_`.
    key: Vec<u8>,
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
}
