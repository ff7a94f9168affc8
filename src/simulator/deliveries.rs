//! Realistic Telnyx deliveries (`data` + `meta`), shaped like the examples in the
//! Telnyx spec, for any event type and call: what `send-webhook` signs and sends, and
//! what the tests deliver.

use serde_json::{json, Value};

/// Every event type the worker tracks, in the order a call meets them.
pub const TRACKED_EVENT_TYPES: [&str; 11] = [
    "call.initiated",
    "call.answered",
    "call.dtmf.received",
    "call.bridged",
    "call.refer.started",
    "call.refer.completed",
    "call.refer.failed",
    "siprec.started",
    "siprec.stopped",
    "siprec.failed",
    "call.hangup",
];

/// What varies between deliveries of one call.
#[derive(Clone, Debug)]
pub struct Delivery<'a> {
    pub event_type: &'a str,
    pub event_id: &'a str,
    pub call_control_id: &'a str,
    pub occurred_at: &'a str,
}

/// The `call_session_id` of a call's canned deliveries: its own, as for separate
/// inbound calls.
pub fn session_of(call_control_id: &str) -> String {
    let mut hasher = std::hash::DefaultHasher::new();
    std::hash::Hash::hash(call_control_id, &mut hasher);
    let hash = std::hash::Hasher::finish(&hasher);
    format!("2f1e6f2c-91d4-11f0-8b1a-{:012x}", hash & 0xffff_ffff_ffff)
}

/// The full body Telnyx would POST for this event.
pub fn body(delivery: &Delivery<'_>) -> Value {
    let mut payload = json!({
        "call_control_id": delivery.call_control_id,
        "call_leg_id": "2f1e8c3a-91d4-11f0-9d6b-02420aef1a2c",
        "call_session_id": session_of(delivery.call_control_id),
        "connection_id": "2461790383128036389",
        "client_state": "eyJmbG93IjoiaXZyIiwic3RlcCI6Mn0=",
    });
    let fields = payload_fields(delivery.event_type);
    if let (Value::Object(payload), Value::Object(fields)) = (&mut payload, fields) {
        payload.extend(fields);
    }
    json!({
        "data": {
            "event_type": delivery.event_type,
            "id": delivery.event_id,
            "occurred_at": delivery.occurred_at,
            "payload": payload,
            "record_type": "event",
        },
        "meta": {"attempt": 1, "delivered_to": "https://example.com/webhooks/telnyx"},
    })
}

fn payload_fields(event_type: &str) -> Value {
    let parties = json!({"from": "+13125550100", "to": "+13125550199"});
    let mut fields = match event_type {
        "call.initiated" => json!({
            "caller_id_name": "JANE DOE", "client_state": null, "direction": "incoming",
            "state": "parked", "start_time": "2025-09-15T14:02:11.104215Z",
            "custom_headers": [{"name": "X-Account-Ref", "value": "acct-4411"}],
            "sip_headers": [], "tags": [],
        }),
        "call.answered" => json!({"state": "answered", "start_time": "2025-09-15T14:02:11.104215Z",
            "custom_headers": [], "sip_headers": [], "tags": []}),
        "call.dtmf.received" => json!({"digit": "1"}),
        "call.refer.started" => json!({"sip_notify_response": 100}),
        "call.refer.completed" => json!({"sip_notify_response": 200}),
        "call.refer.failed" => json!({"sip_notify_response": 603}),
        "siprec.stopped" | "call.siprec.stopped" => json!({"hangup_cause": "normal_clearing"}),
        "siprec.failed" | "call.siprec.failed" => json!({"failure_cause": "no_answer"}),
        "call.hangup" => json!({"hangup_cause": "normal_clearing", "hangup_source": "caller",
            "sip_hangup_cause": "unspecified", "state": "hangup", "call_quality_stats": null}),
        _ => json!({}),
    };
    // SIPREC payloads carry no parties.
    if !event_type.contains("siprec.") {
        if let (Value::Object(fields), Value::Object(parties)) = (&mut fields, parties) {
            for (key, value) in parties {
                fields.entry(key).or_insert(value);
            }
        }
    }
    fields
}
