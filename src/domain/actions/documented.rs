//! Rules the Telnyx spec states in its descriptions rather than in schema keywords
//! ("Ranges from 100 to 500ms", "must be a valid Base-64 encoded string", "cannot be
//! used together"). Keyed by the object names of the generated tables; a contract test
//! checks every key names a real field, so a rename in the spec cannot orphan a rule.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{Map, Value};

use crate::domain::envelope::{
    is_call_control_id, CALL_CONTROL_ID_CHARACTERS, MAX_CALL_CONTROL_ID_BYTES,
};

/// A check on one field's value, run after its type check passed.
#[derive(Clone, Copy, Debug)]
pub enum Check {
    Base64,
    NonEmpty,
    /// `0-9 A-D * #` and the pauses `w W`.
    Dtmf {
        max_len: Option<usize>,
    },
    IntRange {
        min: i64,
        max: i64,
    },
    /// "Minimum value is 90, set to 0 to disable."
    ZeroOrAtLeast(i64),
    NumRange {
        min: f64,
        max: f64,
    },
    /// At most 128 of letters, digits, spaces and `-_~!.+`.
    DisplayName,
    SipUri,
    /// A list of non-negative integers whose sum stays within the limit.
    SumAtMost(i64),
    /// An id Telnyx could have issued (`envelope::is_call_control_id`).
    CallControlId,
    /// Dial's `to`: one non-empty destination, or a list of 1 to `max` of them.
    Destinations {
        max: usize,
    },
    /// SIP headers whose names and values together stay within `max` bytes.
    HeadersAtMost(usize),
}

/// `(object, field, check)`; object `*` matches every object with that field.
pub const FIELD_CHECKS: &[(&str, &str, Check)] = &[
    ("*", "client_state", Check::Base64),
    ("*", "command_id", Check::NonEmpty),
    (
        "TransferCallRequest",
        "target_leg_client_state",
        Check::Base64,
    ),
    ("SendDTMFRequest", "digits", Check::Dtmf { max_len: None }),
    (
        "SendDTMFRequest",
        "duration_millis",
        Check::IntRange { min: 100, max: 500 },
    ),
    (
        "StartSiprecRequest",
        "session_timeout_secs",
        Check::ZeroOrAtLeast(90),
    ),
    ("ReferRequest", "sip_address", Check::SipUri),
    ("CustomSipHeader", "name", Check::NonEmpty),
    ("AnswerRequest", "record_max_length", RECORD_MAX_LENGTH),
    (
        "TransferCallRequest",
        "record_max_length",
        RECORD_MAX_LENGTH,
    ),
    ("BridgeRequest", "record_max_length", RECORD_MAX_LENGTH),
    ("AnswerRequest", "record_timeout_secs", NOT_NEGATIVE),
    ("TransferCallRequest", "record_timeout_secs", NOT_NEGATIVE),
    ("BridgeRequest", "record_timeout_secs", NOT_NEGATIVE),
    ("TransferCallRequest", "to", Check::NonEmpty),
    (
        "TransferCallRequest",
        "timeout_secs",
        Check::IntRange { min: 5, max: 600 },
    ),
    (
        "TransferCallRequest",
        "from_display_name",
        Check::DisplayName,
    ),
    (
        "TransferCallRequest",
        "send_digits_on_answer",
        Check::Dtmf { max_len: Some(64) },
    ),
    ("BridgeRequest", "call_control_id", Check::NonEmpty),
    (
        "SoundModifications",
        "octaves",
        Check::NumRange {
            min: -1.0,
            max: 1.0,
        },
    ),
    (
        "SoundModifications",
        "semitone",
        Check::NumRange {
            min: -14.0,
            max: 14.0,
        },
    ),
    (
        "AnswerRequest.webhook_retries_policies.*",
        "retries_ms",
        Check::SumAtMost(60_000),
    ),
    (
        "TransferCallRequest.webhook_retries_policies.*",
        "retries_ms",
        Check::SumAtMost(60_000),
    ),
    // The worker's own bound: an INVITE carries these headers, and a few kilobytes is
    // more than any real one.
    (
        "*",
        "custom_headers",
        Check::HeadersAtMost(MAX_SIP_HEADER_BYTES),
    ),
    (
        "*",
        "sip_headers",
        Check::HeadersAtMost(MAX_SIP_HEADER_BYTES),
    ),
    // Dial (`CallRequest`).
    (
        "CallRequest",
        "to",
        Check::Destinations {
            max: MAX_DIAL_DESTINATIONS,
        },
    ),
    ("CallRequest", "from", Check::NonEmpty),
    ("CallRequest", "connection_id", Check::NonEmpty),
    (
        "CallRequest",
        "supervise_call_control_id",
        Check::CallControlId,
    ),
    ("CallRequest", "link_to", Check::CallControlId),
    (
        "CallRequest",
        "timeout_secs",
        Check::IntRange { min: 5, max: 600 },
    ),
    ("CallRequest", "from_display_name", Check::DisplayName),
    (
        "CallRequest",
        "send_digits_on_answer",
        Check::Dtmf { max_len: Some(64) },
    ),
    ("CallRequest", "record_max_length", RECORD_MAX_LENGTH),
    ("CallRequest", "record_timeout_secs", NOT_NEGATIVE),
    (
        "CallRequest.webhook_retries_policies.*",
        "retries_ms",
        Check::SumAtMost(60_000),
    ),
];

/// The most destinations one Dial rings at once: the worker's own bound (Telnyx
/// documents none; TeXML's `<Dial>` takes ten numbers).
pub const MAX_DIAL_DESTINATIONS: usize = 10;
/// The most bytes of SIP header names and values one request may add.
pub const MAX_SIP_HEADER_BYTES: usize = 8 * 1024;

const RECORD_MAX_LENGTH: Check = Check::IntRange {
    min: 0,
    max: 43_200,
};
const NOT_NEGATIVE: Check = Check::IntRange {
    min: 0,
    max: i64::MAX,
};

/// A rule across the fields of one object: `Err((path, detail))`, where `path` leads from
/// the object to the culprit.
pub type ObjectRule = for<'a> fn(&'a Map<String, Value>) -> RuleResult<'a>;
pub type RuleResult<'a> = Result<(), (Vec<&'a str>, String)>;

/// `(object, rule)`.
pub const OBJECT_RULES: &[(&str, ObjectRule)] = &[
    ("TransferCallRequest", media_name_or_audio_url),
    ("BridgeRequest", video_room_context_needs_room),
    ("NoiseSuppressionStart", engine_config_fits_engine),
    ("ConversationRelayEmbeddedConfig", provider_pairs),
    ("CallRequest", media_name_or_audio_url),
    ("CallRequest", link_to_when_bridging),
];

pub fn field_checks<'a>(object: &'a str, field: &'a str) -> impl Iterator<Item = Check> + 'a {
    FIELD_CHECKS
        .iter()
        .filter(move |(o, f, _)| (*o == "*" || *o == object) && *f == field)
        .map(|(_, _, check)| *check)
}

pub fn object_rules(object: &str) -> impl Iterator<Item = ObjectRule> + '_ {
    OBJECT_RULES
        .iter()
        .filter(move |(o, _)| *o == object)
        .map(|(_, rule)| *rule)
}

impl Check {
    /// `Err(detail)` when `value` breaks the rule.
    pub fn apply(self, value: &Value) -> Result<(), String> {
        match self {
            Check::Base64 => {
                let text = value.as_str().unwrap_or_default();
                if text.is_empty() || STANDARD.decode(text).is_err() {
                    return Err("must be non-empty, valid (padded) Base-64".into());
                }
            }
            Check::NonEmpty => {
                if value.as_str().is_some_and(|text| text.trim().is_empty()) {
                    return Err("must not be empty".into());
                }
            }
            Check::Dtmf { max_len } => {
                let text = value.as_str().unwrap_or_default();
                if text.is_empty() {
                    return Err("must contain at least one digit".into());
                }
                if let Some(bad) = text.chars().find(|c| !is_dtmf(*c)) {
                    return Err(format!(
                        "contains {bad:?}; valid are 0-9, A-D, *, # and the pauses w and W"
                    ));
                }
                if let Some(max) = max_len.filter(|max| text.chars().count() > *max) {
                    return Err(format!("must be at most {max} characters"));
                }
            }
            Check::IntRange { min, max } => {
                let number = value.as_i64().unwrap_or(i64::MIN);
                if number < min || number > max {
                    return Err(if max == i64::MAX {
                        format!("must be at least {min}")
                    } else {
                        format!("must be between {min} and {max}")
                    });
                }
            }
            Check::ZeroOrAtLeast(min) => {
                let number = value.as_i64().unwrap_or(-1);
                if number != 0 && number < min {
                    return Err(format!("must be 0 (disabled) or at least {min}"));
                }
            }
            Check::NumRange { min, max } => {
                let number = value.as_f64().unwrap_or(f64::NAN);
                if !(min..=max).contains(&number) {
                    return Err(format!("must be between {min} and {max}"));
                }
            }
            Check::DisplayName => {
                let text = value.as_str().unwrap_or_default();
                if text.chars().count() > 128 {
                    return Err("must be at most 128 characters".into());
                }
                if let Some(bad) = text
                    .chars()
                    .find(|c| !(c.is_alphanumeric() || " -_~!.+".contains(*c)))
                {
                    return Err(format!(
                        "contains {bad:?}; allowed are letters, digits, spaces and -_~!.+"
                    ));
                }
            }
            Check::SipUri => {
                let text = value.as_str().unwrap_or_default();
                let rest = text
                    .strip_prefix("sip:")
                    .or_else(|| text.strip_prefix("sips:"));
                if rest
                    .is_none_or(|rest| rest.trim().is_empty() || rest.contains(char::is_whitespace))
                {
                    return Err("must be a SIP URI such as sip:user@example.com".into());
                }
            }
            Check::SumAtMost(limit) => {
                let items = value.as_array().map(Vec::as_slice).unwrap_or_default();
                if items.iter().any(|item| item.as_i64().is_none_or(|n| n < 0)) {
                    return Err("every delay must be a non-negative integer".into());
                }
                let total: i64 = items.iter().filter_map(Value::as_i64).sum();
                if total > limit {
                    return Err(format!("delays add up to {total}; at most {limit} allowed"));
                }
            }
            Check::CallControlId => {
                let text = value.as_str().unwrap_or_default();
                if !is_call_control_id(text) {
                    return Err(format!(
                        "must be a call control id: 1 to {MAX_CALL_CONTROL_ID_BYTES} of \
                         {CALL_CONTROL_ID_CHARACTERS}"
                    ));
                }
            }
            Check::Destinations { max } => match value {
                Value::String(to) if to.trim().is_empty() => return Err("must not be empty".into()),
                Value::Array(list) if list.is_empty() => {
                    return Err("must name at least one destination".into())
                }
                Value::Array(list) if list.len() > max => {
                    return Err(format!("must name at most {max} destinations"))
                }
                Value::Array(list)
                    if list
                        .iter()
                        .any(|to| to.as_str().is_some_and(|to| to.trim().is_empty())) =>
                {
                    return Err("must not hold an empty destination".into())
                }
                _ => {}
            },
            Check::HeadersAtMost(max) => {
                let bytes: usize = value
                    .as_array()
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(Value::as_object)
                    .flat_map(|header| header.values())
                    .filter_map(Value::as_str)
                    .map(str::len)
                    .sum();
                if bytes > max {
                    return Err(format!(
                        "holds {bytes} bytes of header names and values; at most {max} allowed"
                    ));
                }
            }
        }
        Ok(())
    }
}

fn is_dtmf(c: char) -> bool {
    c.is_ascii_digit() || matches!(c, 'A'..='D' | '*' | '#' | 'w' | 'W')
}

fn media_name_or_audio_url(body: &Map<String, Value>) -> RuleResult<'_> {
    if body.contains_key("media_name") && body.contains_key("audio_url") {
        return Err((
            vec!["audio_url"],
            "media_name and audio_url cannot be used together".into(),
        ));
    }
    Ok(())
}

/// "When bridge_intent (bridge_on_answer, park_after_unbridge) is set, link_to becomes
/// required."
fn link_to_when_bridging(body: &Map<String, Value>) -> RuleResult<'_> {
    if body.contains_key("link_to") {
        return Ok(());
    }
    let set = |field: &str| match body.get(field) {
        Some(Value::Bool(on)) => *on,
        Some(Value::Null) | None => false,
        Some(_) => true,
    };
    match ["bridge_intent", "bridge_on_answer", "park_after_unbridge"]
        .into_iter()
        .find(|field| set(field))
    {
        Some(field) => Err((vec!["link_to"], format!("is required when {field} is set"))),
        None => Ok(()),
    }
}

fn video_room_context_needs_room(body: &Map<String, Value>) -> RuleResult<'_> {
    if body.contains_key("video_room_context") && !body.contains_key("video_room_id") {
        return Err((
            vec!["video_room_context"],
            "can be used only with video_room_id".into(),
        ));
    }
    Ok(())
}

fn provider_pairs(body: &Map<String, Value>) -> RuleResult<'_> {
    match (
        body.contains_key("provider"),
        body.contains_key("structured_provider"),
    ) {
        (true, false) => Err((
            vec!["provider"],
            "must be supplied together with structured_provider".into(),
        )),
        (false, true) => Err((
            vec!["structured_provider"],
            "must be supplied together with provider".into(),
        )),
        _ => Ok(()),
    }
}

/// Each engine config field is "only applicable for" one engine family.
fn engine_config_fits_engine(body: &Map<String, Value>) -> RuleResult<'_> {
    let Some(config) = body
        .get("noise_suppression_engine_config")
        .and_then(Value::as_object)
    else {
        return Ok(());
    };
    // The spec's default engine.
    let engine = body
        .get("noise_suppression_engine")
        .and_then(Value::as_str)
        .unwrap_or("Denoiser");
    let family = match engine {
        "DeepFilterNet" | "Krisp" | "Denoiser" => engine,
        // AiCoustics and its named models (aic_*, quail_*).
        _ => "AiCoustics",
    };
    const CONFIG: &str = "noise_suppression_engine_config";
    for field in config.keys() {
        let applies_to = match field.as_str() {
            "attenuation_limit" | "mode" => "DeepFilterNet",
            "model" | "suppression_level" => "Krisp",
            "enhancement_level" | "family" | "size" | "voice_gain" => "AiCoustics",
            // Unknown fields are reported by the table check.
            _ => continue,
        };
        if applies_to != family {
            return Err((
                vec![CONFIG, field],
                format!("{field} applies only to the {applies_to} engine, not {engine}"),
            ));
        }
    }
    let size = config.get("size").and_then(Value::as_str);
    let model_family = config.get("family").and_then(Value::as_str);
    match (model_family, size) {
        (Some("quail"), Some(size @ ("xs" | "xxs"))) => {
            Err((vec![CONFIG, "size"], format!("size {size} is sparrow-only")))
        }
        (Some("sparrow"), Some(size @ ("vf_l" | "vf_1_1_l"))) => {
            Err((vec![CONFIG, "size"], format!("size {size} is quail-only")))
        }
        _ => Ok(()),
    }
}
