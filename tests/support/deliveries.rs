//! The tests' deliveries: the simulator's realistic ones (`simulator::deliveries`) at
//! given seconds into a test call, edits to them, and the spec's example deliveries.

use serde_json::Value;

// Each test crate uses some of these.
#[allow(unused_imports)]
pub use telnyx_edge::simulator::deliveries::{body, session_of, Delivery, TRACKED_EVENT_TYPES};

/// The body of event `id` of `call`, `second` seconds into the test call.
pub fn call_event(call: &str, event_type: &str, id: &str, second: u32) -> Value {
    body(&Delivery {
        event_type,
        event_id: id,
        call_control_id: call,
        occurred_at: &occurred_at(second),
    })
}

/// `occurred_at` for a number of seconds into a test call, in Telnyx's format.
pub fn occurred_at(second: u32) -> String {
    format!(
        "2025-09-15T14:{:02}:{:02}.{:06}Z",
        second / 60,
        second % 60,
        104_215
    )
}

/// Sets one payload field of a delivery body.
pub fn set_payload(body: &mut Value, field: &str, value: Value) {
    if let Some(Value::Object(payload)) = body.pointer_mut("/data/payload") {
        payload.insert(field.to_owned(), value);
    }
}

/// Removes one field anywhere in a body, by JSON pointer.
pub fn remove(body: &mut Value, pointer: &str) {
    let (parent, field) = pointer.rsplit_once('/').unwrap_or(("", pointer));
    if let Some(Value::Object(object)) = body.pointer_mut(parent) {
        object.remove(field);
    }
}

/// `spec/telnyx/events.json`, the example deliveries the interface is built on.
pub fn spec_events() -> Value {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("spec/telnyx/events.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "the example deliveries must be readable at {}: {e}",
            path.display()
        )
    });
    serde_json::from_str(&text).expect("events.json is JSON")
}
