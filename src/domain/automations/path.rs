//! Dotted paths used by rule conditions and templates: into the event's `data`
//! (`payload.digit`, `event_type`) or into the call state before the event
//! (`state.refer.status`).

use serde_json::{Map, Value};

/// The top-level `data` fields a path may start with; `payload` may go deeper.
const DATA_FIELDS: [&str; 5] = ["event_type", "id", "occurred_at", "payload", "record_type"];

/// Every path into the call state JSON (`GET /calls/{id}`) that a rule can test.
/// A unit test checks the list against the state's serialization.
pub const STATE_PATHS: [&str; 29] = [
    "call_control_id",
    "call_leg_id",
    "call_session_id",
    "client_state",
    "connection_id",
    "from",
    "hangup_cause",
    "noise_suppression",
    "noise_suppression.direction",
    "noise_suppression.engine",
    "noise_suppression.status",
    "origin",
    "origin.action",
    "origin.by",
    "origin.call_control_id",
    "origin.rule",
    "refer",
    "refer.sip_address",
    "refer.sip_notify_response",
    "refer.status",
    "siprec",
    "siprec.failure_cause",
    "siprec.hangup_cause",
    "siprec.status",
    "status",
    "supervising",
    "supervisor_role",
    "to",
    "updated_at",
];

const STATE_ROOT: &str = "state.";

#[derive(Clone, Debug, PartialEq, Eq)]
enum Root {
    Data,
    State,
}

/// A checked path. Where it is known to be valid (the state, the envelope) it is
/// checked when the configuration loads; `payload` varies per event, so a path into it
/// may find nothing at run time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Path {
    root: Root,
    segments: Vec<String>,
}

/// What paths are resolved against: one event and the call state before it.
pub struct Scope<'a> {
    pub data: &'a Map<String, Value>,
    /// The event type under its canonical spelling, whatever the delivery said.
    pub event_type: &'a Value,
    /// `null` when the call had no earlier event.
    pub state: &'a Value,
}

impl Path {
    pub fn parse(text: &str) -> Result<Self, String> {
        let hint = "paths look like payload.digit, event_type or state.refer.status";
        if text.is_empty() || text.split('.').any(str::is_empty) {
            return Err(format!("{text:?} is not a dotted path; {hint}"));
        }
        if let Some(rest) = text.strip_prefix(STATE_ROOT) {
            if !STATE_PATHS.contains(&rest) {
                return Err(format!(
                    "{text:?} is not part of the call state; known: state.{}",
                    STATE_PATHS.join(", state.")
                ));
            }
            return Ok(Self {
                root: Root::State,
                segments: rest.split('.').map(str::to_owned).collect(),
            });
        }
        let segments: Vec<String> = text.split('.').map(str::to_owned).collect();
        match segments.first().map(String::as_str) {
            Some("payload") => {}
            Some(field) if DATA_FIELDS.contains(&field) && segments.len() == 1 => {}
            _ => {
                return Err(format!(
                    "{text:?} names nothing in an event; use payload.*, {}, or state.*",
                    DATA_FIELDS
                        .iter()
                        .filter(|f| **f != "payload")
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            }
        }
        Ok(Self {
            root: Root::Data,
            segments,
        })
    }

    pub fn is_event_type(&self) -> bool {
        self.root == Root::Data && self.segments.len() == 1 && self.segments[0] == "event_type"
    }

    /// The value at this path; `None` when something on the way is missing.
    pub fn resolve<'a>(&self, scope: &Scope<'a>) -> Option<&'a Value> {
        if self.is_event_type() {
            return Some(scope.event_type);
        }
        let (first, rest) = self.segments.split_first()?;
        let start = match self.root {
            Root::Data => scope.data.get(first)?,
            Root::State => scope.state.get(first)?,
        };
        rest.iter().try_fold(start, |value, segment| match value {
            Value::Object(map) => map.get(segment),
            Value::Array(items) => items.get(segment.parse::<usize>().ok()?),
            _ => None,
        })
    }
}

impl std::fmt::Display for Path {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.root == Root::State {
            f.write_str(STATE_ROOT)?;
        }
        f.write_str(&self.segments.join("."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::call_state::{fold, Effects};
    use crate::domain::envelope::parse;
    use crate::domain::time::Instant;
    use serde_json::json;

    /// Every leaf and object path of a fully populated state.
    fn paths_of(value: &Value, prefix: &str, out: &mut Vec<String>) {
        if let Value::Object(map) = value {
            for (key, member) in map {
                let path = format!("{prefix}{key}");
                if matches!(
                    key.as_str(),
                    "events" | "actions" | "forwards" | "supervisors" | "legs"
                ) {
                    continue;
                }
                out.push(path.clone());
                paths_of(member, &format!("{path}."), out);
            }
        }
    }

    #[test]
    fn the_state_paths_are_exactly_the_states_fields() {
        let body = json!({"data": {"id": "e1", "event_type": "call.refer.failed",
            "occurred_at": "2025-09-15T14:02:12Z", "payload": {"call_control_id": "v3:a"}}});
        let delivery = parse(body.to_string().as_bytes(), Instant::default()).unwrap();
        let mut state = serde_json::to_value(fold(
            vec![delivery.record.unwrap()],
            vec![],
            Effects::Succeeded,
        ))
        .unwrap();
        // Fill the nested objects the fold left null, with their real field names.
        state["siprec"] = json!({"status": "failed", "failure_cause": null, "hangup_cause": null});
        state["noise_suppression"] = json!({"status": "active", "direction": null, "engine": null});
        state["origin"] =
            json!({"action": "dial", "by": "rule", "rule": "r", "call_control_id": "v3:b"});
        let mut found = Vec::new();
        paths_of(&state, "", &mut found);
        found.sort();
        let mut expected: Vec<String> = STATE_PATHS.iter().map(|p| p.to_string()).collect();
        expected.sort();
        assert_eq!(found, expected);
    }

    #[test]
    fn paths_resolve_into_the_event_and_the_state() {
        let data = json!({"id": "e1", "event_type": "call.siprec.failed",
            "payload": {"digit": "1", "custom_headers": [{"name": "X-A", "value": "v"}]}});
        let state = json!({"refer": {"status": "failed"}});
        let canonical = json!("siprec.failed");
        let scope = Scope {
            data: data.as_object().unwrap(),
            event_type: &canonical,
            state: &state,
        };
        let at = |text: &str| Path::parse(text).unwrap().resolve(&scope).cloned();
        assert_eq!(at("payload.digit"), Some(json!("1")));
        assert_eq!(at("payload.custom_headers.0.value"), Some(json!("v")));
        assert_eq!(at("payload.custom_headers.x"), None);
        assert_eq!(at("payload.nothing"), None);
        assert_eq!(at("event_type"), Some(json!("siprec.failed")));
        assert_eq!(at("id"), Some(json!("e1")));
        assert_eq!(at("state.refer.status"), Some(json!("failed")));
        assert_eq!(at("state.siprec.status"), None);
        assert_eq!(
            Path::parse("state.refer.status").unwrap().to_string(),
            "state.refer.status"
        );
    }

    #[test]
    fn paths_that_can_never_resolve_are_refused() {
        for bad in [
            "",
            "payload.",
            ".x",
            "state.nope",
            "state.refer.nope",
            "digit",
            "id.x",
        ] {
            assert!(Path::parse(bad).is_err(), "{bad:?} accepted");
        }
        for good in [
            "payload",
            "payload.anything.0",
            "event_type",
            "occurred_at",
            "state.status",
        ] {
            assert!(Path::parse(good).is_ok(), "{good:?} refused");
        }
    }
}
