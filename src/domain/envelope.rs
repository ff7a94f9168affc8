//! Parsing a verified delivery into the facts the worker keeps about it.
//!
//! The envelope fields are checked strictly (a clear `400` names the field); payload
//! details are read leniently, so a new or retyped Telnyx field never blocks a delivery.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::lenient::{detail, Field};
use super::time::Instant;

/// Longest accepted `data.id`, in bytes. Keeps every KV key under KV's 512-byte limit.
pub const MAX_EVENT_ID_BYTES: usize = 100;
/// Longest accepted `call_control_id`, in bytes (Telnyx ids are about 60).
pub const MAX_CALL_CONTROL_ID_BYTES: usize = 128;
const MAX_EVENT_TYPE_BYTES: usize = 100;
/// What a `call_control_id` may hold, for error messages.
pub const CALL_CONTROL_ID_CHARACTERS: &str = "letters, digits and - . _ ~ :";

/// Whether `id` can be a Telnyx call control id: 1 to 128 of the characters Telnyx
/// uses (`v3:…` base64url, UUIDs), which all stand in a URL path as they are. Nothing
/// else reaches a KV key or an action URL, whatever an operator or a body sends; `.` and
/// `..` are refused as URL parsers resolve them as dot segments.
pub fn is_call_control_id(id: &str) -> bool {
    !matches!(id, "." | "..")
        && (1..=MAX_CALL_CONTROL_ID_BYTES).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b':'))
}

/// The event types whose state effects the worker tracks, under their spec spelling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    CallInitiated,
    CallAnswered,
    CallBridged,
    CallHangup,
    DtmfReceived,
    ReferStarted,
    ReferCompleted,
    ReferFailed,
    SiprecStarted,
    SiprecStopped,
    SiprecFailed,
    /// Accepted and stored, but changes no call state (forward compatibility).
    Other,
}

impl EventKind {
    pub fn of(canonical_type: &str) -> Self {
        match canonical_type {
            "call.initiated" => Self::CallInitiated,
            "call.answered" => Self::CallAnswered,
            "call.bridged" => Self::CallBridged,
            "call.hangup" => Self::CallHangup,
            "call.dtmf.received" => Self::DtmfReceived,
            "call.refer.started" => Self::ReferStarted,
            "call.refer.completed" => Self::ReferCompleted,
            "call.refer.failed" => Self::ReferFailed,
            "siprec.started" => Self::SiprecStarted,
            "siprec.stopped" => Self::SiprecStopped,
            "siprec.failed" => Self::SiprecFailed,
            _ => Self::Other,
        }
    }
}

/// The spec spells SIPREC events `siprec.*`; some senders write `call.siprec.*`.
pub fn canonical_event_type(event_type: &str) -> &str {
    match event_type.strip_prefix("call.") {
        Some(rest) if rest.starts_with("siprec.") => rest,
        _ => event_type,
    }
}

/// Whether events of this type belong to a call and so must name one.
fn is_call_event(canonical_type: &str) -> bool {
    canonical_type.starts_with("call.") || canonical_type.starts_with("siprec.")
}

/// What the worker keeps of one accepted event: enough to fold call state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    pub id: String,
    /// Canonical spelling (`siprec.*`, never `call.siprec.*`).
    pub event_type: String,
    /// As Telnyx sent it; the signed delivery time when the envelope has none.
    pub occurred_at: String,
    /// `occurred_at` as an instant, the ordering key.
    pub at: Instant,
    pub call_control_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_leg_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_session_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// `None`: the payload has no `client_state` key. `Some(None)`: it is `null`.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub client_state: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hangup_cause: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sip_notify_response: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_cause: Option<String>,
    /// `incoming` or `outgoing`: whose number the call's own is (supervise's `from`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
}

impl EventRecord {
    pub fn kind(&self) -> EventKind {
        EventKind::of(&self.event_type)
    }
}

/// A field that is there, `null` included, as `Some`; with `#[serde(default)]`, an
/// absent one is `None`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}

/// A parsed delivery.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery {
    pub event_id: String,
    pub event_type: String,
    /// Present when the event belongs to a call.
    pub record: Option<EventRecord>,
    /// The whole `data` object, for automations that look into the payload.
    pub data: Map<String, Value>,
}

/// Why a verified body is not a Telnyx event envelope; `pointer` is a JSON pointer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvelopeError {
    pub pointer: &'static str,
    pub detail: String,
}

impl EnvelopeError {
    fn new(pointer: &'static str, detail: impl Into<String>) -> Self {
        Self {
            pointer,
            detail: detail.into(),
        }
    }
}

/// The envelope's root. Only `data` is read, and only an object is taken for it (a map
/// field takes nothing else); the whole object is kept for automations.
#[derive(Deserialize)]
struct Root {
    data: Map<String, Value>,
}

/// The envelope fields of `data`. Each keeps what was found in it, a value of the
/// wrong type included, so they are checked one after the other and the answer points
/// at the first at fault in that order, whatever order the body has its keys in. `id`
/// and `event_type` are `None` only when absent: a `null` one is of the wrong type.
#[derive(Deserialize)]
struct Data {
    #[serde(default, deserialize_with = "present")]
    id: Option<Field<String>>,
    #[serde(default, deserialize_with = "present")]
    event_type: Option<Field<String>>,
    occurred_at: Option<Field<String>>,
    /// Only an object: a map takes nothing else.
    payload: Option<Field<Map<String, Value>>>,
}

/// What the worker keeps of `payload`. Only `call_control_id` is strict; the details
/// read as absent when of another type, so a new or retyped Telnyx field never blocks
/// a delivery.
#[derive(Deserialize)]
struct Payload {
    call_control_id: Option<String>,
    #[serde(default, deserialize_with = "detail")]
    call_leg_id: Option<String>,
    #[serde(default, deserialize_with = "detail")]
    call_session_id: Option<String>,
    #[serde(default, deserialize_with = "detail")]
    connection_id: Option<String>,
    #[serde(default, deserialize_with = "detail")]
    from: Option<String>,
    #[serde(default, deserialize_with = "detail")]
    to: Option<String>,
    /// `Some` whenever the key is there; `Some(None)` unless it holds text.
    #[serde(default, deserialize_with = "present_detail")]
    client_state: Option<Option<String>>,
    #[serde(default, deserialize_with = "detail")]
    hangup_cause: Option<String>,
    #[serde(default, deserialize_with = "detail")]
    sip_notify_response: Option<i64>,
    #[serde(default, deserialize_with = "detail")]
    failure_cause: Option<String>,
    #[serde(default, deserialize_with = "detail")]
    direction: Option<String>,
}

fn present_detail<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<String>>, D::Error> {
    detail(deserializer).map(Some)
}

/// Parses a delivery body. `delivered_at` (the signed timestamp) stands in for a
/// missing `occurred_at`.
pub fn parse(body: &[u8], delivered_at: Instant) -> Result<Delivery, EnvelopeError> {
    let root: Value = serde_json::from_slice(body)
        .map_err(|e| EnvelopeError::new("", format!("the body is not JSON: {e}")))?;
    // A derived struct also reads an array of its fields' values.
    if !root.is_object() {
        return Err(EnvelopeError::new("", "the body must be a JSON object"));
    }
    let Root { data } = Root::deserialize(root).map_err(|_| data_error())?;
    // Each field keeps its own finding, so an object always reads.
    let fields = Data::deserialize(&data).map_err(|_| data_error())?;
    let event_id = required_text(fields.id, "id", "/data/id", MAX_EVENT_ID_BYTES)?;
    let raw_type = required_text(
        fields.event_type,
        "event_type",
        "/data/event_type",
        MAX_EVENT_TYPE_BYTES,
    )?;
    let event_type = canonical_event_type(&raw_type).to_owned();
    let (occurred_at, at) = match fields.occurred_at {
        None => (delivered_at.to_rfc3339(), delivered_at),
        Some(Field::Value(text)) => match Instant::parse_rfc3339(&text) {
            Some(at) => (text, at),
            None => return Err(occurred_at_error()),
        },
        Some(Field::WrongType) => return Err(occurred_at_error()),
    };
    let mut payload = match fields.payload {
        None => None,
        Some(Field::Value(payload)) => Some(
            // Only `call_control_id` can be refused: the details are read leniently.
            Payload::deserialize(payload).map_err(|_| {
                EnvelopeError::new(
                    "/data/payload/call_control_id",
                    "`call_control_id` must be a string",
                )
            })?,
        ),
        Some(Field::WrongType) => {
            return Err(EnvelopeError::new(
                "/data/payload",
                "`payload` must be an object",
            ))
        }
    };
    let call_control_id = payload
        .as_mut()
        .and_then(|p| p.call_control_id.take())
        .map(|id| {
            required_text(
                Some(Field::Value(id)),
                "call_control_id",
                "/data/payload/call_control_id",
                MAX_CALL_CONTROL_ID_BYTES,
            )
        })
        .transpose()?;
    if call_control_id
        .as_deref()
        .is_some_and(|id| !is_call_control_id(id))
    {
        return Err(EnvelopeError::new(
            "/data/payload/call_control_id",
            format!("`call_control_id` may hold only {CALL_CONTROL_ID_CHARACTERS}"),
        ));
    }
    if call_control_id.is_none() && is_call_event(&event_type) {
        return Err(EnvelopeError::new(
            "/data/payload/call_control_id",
            format!("`{event_type}` events must carry payload.call_control_id"),
        ));
    }
    let record = match (call_control_id, payload) {
        (Some(call_control_id), Some(payload)) => Some(EventRecord {
            id: event_id.clone(),
            event_type: event_type.clone(),
            occurred_at,
            at,
            call_control_id,
            call_leg_id: payload.call_leg_id,
            call_session_id: payload.call_session_id,
            connection_id: payload.connection_id,
            from: payload.from,
            to: payload.to,
            client_state: payload.client_state,
            hangup_cause: payload.hangup_cause,
            sip_notify_response: payload.sip_notify_response,
            failure_cause: payload.failure_cause,
            direction: payload.direction,
        }),
        _ => None,
    };
    Ok(Delivery {
        event_id,
        event_type,
        record,
        data,
    })
}

fn data_error() -> EnvelopeError {
    EnvelopeError::new("/data", "`data` must be an object")
}

fn occurred_at_error() -> EnvelopeError {
    EnvelopeError::new(
        "/data/occurred_at",
        "`occurred_at` must be an RFC 3339 timestamp",
    )
}

/// An envelope text that must be there, not empty, and at most `max_bytes` long.
fn required_text(
    found: Option<Field<String>>,
    field: &str,
    pointer: &'static str,
    max_bytes: usize,
) -> Result<String, EnvelopeError> {
    let problem = match found {
        Some(Field::Value(text)) if text.is_empty() => format!("`{field}` must not be empty"),
        Some(Field::Value(text)) if text.len() > max_bytes => {
            format!("`{field}` is longer than {max_bytes} bytes")
        }
        Some(Field::Value(text)) => return Ok(text),
        Some(Field::WrongType) => format!("`{field}` must be a string"),
        None => format!("`{field}` is required"),
    };
    Err(EnvelopeError::new(pointer, problem))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const DELIVERED: Instant = Instant {
        secs: 1_757_944_931,
        nanos: 0,
    };

    fn parse_json(value: Value) -> Result<Delivery, EnvelopeError> {
        parse(value.to_string().as_bytes(), DELIVERED)
    }

    fn pointer_of(value: Value) -> &'static str {
        parse_json(value).unwrap_err().pointer
    }

    #[test]
    fn the_minimal_call_envelope_is_enough() {
        let delivery = parse_json(json!({"data": {"id": "e1", "event_type": "call.answered",
            "payload": {"call_control_id": "v3:abc"}}}))
        .unwrap();
        let record = delivery.record.unwrap();
        assert_eq!(record.call_control_id, "v3:abc");
        assert_eq!(
            record.at, DELIVERED,
            "delivery time stands in for occurred_at"
        );
        assert_eq!(record.occurred_at, "2025-09-15T14:02:11.000Z");
        assert_eq!(record.client_state, None);
    }

    #[test]
    fn siprec_spellings_are_one_event_type() {
        for spelling in ["siprec.failed", "call.siprec.failed"] {
            let delivery = parse_json(json!({"data": {"id": "e", "event_type": spelling,
                "payload": {"call_control_id": "c", "failure_cause": "no_answer"}}}))
            .unwrap();
            assert_eq!(delivery.event_type, "siprec.failed");
            assert_eq!(delivery.record.unwrap().kind(), EventKind::SiprecFailed);
        }
    }

    #[test]
    fn non_call_events_need_no_call() {
        let delivery =
            parse_json(json!({"data": {"id": "m1", "event_type": "message.received"}})).unwrap();
        assert_eq!(delivery.record, None);
        assert_eq!(EventKind::of(&delivery.event_type), EventKind::Other);
    }

    #[test]
    fn client_state_distinguishes_null_from_absent() {
        let with_null = parse_json(json!({"data": {"id": "e", "event_type": "call.initiated",
            "payload": {"call_control_id": "c", "client_state": null}}}))
        .unwrap();
        assert_eq!(with_null.record.unwrap().client_state, Some(None));
        let retyped = parse_json(json!({"data": {"id": "e", "event_type": "call.initiated",
            "payload": {"call_control_id": "c", "client_state": 5}}}))
        .unwrap();
        assert_eq!(retyped.record.unwrap().client_state, Some(None));
    }

    #[test]
    fn broken_envelopes_point_at_the_field() {
        let cases = [
            (json!([1, 2]), ""),
            // Arrays are refused where derived structs alone would read them.
            (
                json!([{"data": {"id": "e", "event_type": "message.received"}}]),
                "",
            ),
            (json!({"data": ["e", "message.received"]}), "/data"),
            (
                json!({"data": {"id": "e", "event_type": "call.answered", "payload": ["c"]}}),
                "/data/payload",
            ),
            (
                json!({"data": {"id": null, "event_type": "call.answered"}}),
                "/data/id",
            ),
            (json!({"data": "x"}), "/data"),
            // Several faults: the first in envelope order, whatever the key order.
            (json!({"data": {"id": "", "event_type": 5}}), "/data/id"),
            (
                json!({"data": {"event_type": "call.answered", "payload": [1]}}),
                "/data/id",
            ),
            (
                json!({"data": {"id": "e", "event_type": "call.answered",
                "occurred_at": "soon", "payload": 1}}),
                "/data/occurred_at",
            ),
            (json!({"data": {"event_type": "call.answered"}}), "/data/id"),
            (
                json!({"data": {"id": 7, "event_type": "call.answered"}}),
                "/data/id",
            ),
            (
                json!({"data": {"id": "", "event_type": "call.answered"}}),
                "/data/id",
            ),
            (
                json!({"data": {"id": "x".repeat(101), "event_type": "a"}}),
                "/data/id",
            ),
            (json!({"data": {"id": "e"}}), "/data/event_type"),
            (
                json!({"data": {"id": "e", "event_type": "call.answered"}}),
                "/data/payload/call_control_id",
            ),
            (
                json!({"data": {"id": "e", "event_type": "siprec.started", "payload": {}}}),
                "/data/payload/call_control_id",
            ),
            (
                json!({"data": {"id": "e", "event_type": "call.answered",
                "payload": {"call_control_id": 5}}}),
                "/data/payload/call_control_id",
            ),
            (
                json!({"data": {"id": "e", "event_type": "call.answered", "payload": [1]}}),
                "/data/payload",
            ),
            (
                json!({"data": {"id": "e", "event_type": "call.answered", "occurred_at": "soon",
                "payload": {"call_control_id": "c"}}}),
                "/data/occurred_at",
            ),
            (
                json!({"data": {"id": "e", "event_type": "call.answered", "occurred_at": 17,
                "payload": {"call_control_id": "c"}}}),
                "/data/occurred_at",
            ),
        ];
        for (body, pointer) in cases {
            assert_eq!(pointer_of(body.clone()), pointer, "{body}");
        }
        assert_eq!(parse(b"\xff\xfe", DELIVERED).unwrap_err().pointer, "");
        assert_eq!(parse(b"", DELIVERED).unwrap_err().pointer, "");
        assert_eq!(
            parse(b"{\"data\": 1,}", DELIVERED).unwrap_err().detail,
            "the body is not JSON: trailing comma at line 1 column 12"
        );
    }

    #[test]
    fn call_control_ids_are_the_characters_telnyx_uses() {
        for id in [
            "v3:u5OAKGEPT3Dx8SZSSDRWEMdNH2OripQhO9L9PL_PqJ4whcuhT6nAJA",
            "v2:OycMASgvIjsGIAVEx8x3n9rYeKnUJx6a3V8VGhs5futnr17KZhujZA",
            "31f19208-5db0-11ec-9ea7-02420a0d3a69",
            "a.b~c",
        ] {
            assert!(is_call_control_id(id), "{id}");
        }
        let too_long = "x".repeat(MAX_CALL_CONTROL_ID_BYTES + 1);
        for id in [
            "", ".", "..", "a/b", "../x", "a?b", "a#b", "a b", "a%2Fb", "café", "a\\b", "a\u{0}",
            "@host", &too_long,
        ] {
            assert!(!is_call_control_id(id), "{id:?}");
        }
        let mut body = json!({"data": {"id": "e", "event_type": "call.answered",
            "payload": {"call_control_id": "v3:../../health"}}});
        assert_eq!(pointer_of(body.clone()), "/data/payload/call_control_id");
        body["data"]["event_type"] = json!("message.received");
        assert!(parse_json(body).is_err(), "whatever the event type");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(parse(deep.as_bytes(), DELIVERED).is_err());
    }

    #[test]
    fn records_survive_a_storage_round_trip() {
        let record = parse_json(json!({"data": {"id": "e", "event_type": "call.hangup",
            "occurred_at": "2025-09-15T14:05:00.5Z",
            "payload": {"call_control_id": "c", "hangup_cause": "normal_clearing",
                        "client_state": null, "from": "+1", "sip_notify_response": "x"}}}))
        .unwrap()
        .record
        .unwrap();
        let stored = serde_json::to_string(&record).unwrap();
        let back: EventRecord = serde_json::from_str(&stored).unwrap();
        assert_eq!(back, record);
        assert_eq!(
            back.sip_notify_response, None,
            "a retyped detail is ignored"
        );
    }
}
