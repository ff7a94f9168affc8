//! Which actions an event sets off: rules matched in order, limits applied against what
//! was recorded, params rendered, and a `command_id` derived for each action.

use std::collections::HashSet;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::path::Scope;
use super::rules::{Condition, Expected, Rule};
use super::template::render_params;
use crate::domain::actions::{validate, ActionSpec};
use crate::domain::call_state::StoredAction;

/// The event being reacted to.
pub struct Trigger<'a> {
    pub event_id: &'a str,
    /// Canonical spelling.
    pub event_type: &'a str,
    pub data: &'a Map<String, Value>,
}

/// One action to run, in rule order then action order.
#[derive(Clone, Debug, PartialEq)]
pub struct Planned {
    pub rule: String,
    pub position: usize,
    pub action: &'static ActionSpec,
    pub command_id: String,
    /// The request body, or why it could not be built from this event; the failure
    /// is recorded on the call like any other.
    pub body: Result<Map<String, Value>, String>,
}

/// The actions `trigger` sets off. `state` is the call state before the event (`null`
/// when there was none); `recorded` is every action recorded for the call.
///
/// An action whose derived `command_id` is already recorded is left out: this event was
/// planned before (a redelivery, or a re-run after a crash), and that record is the
/// one that counts.
pub fn plan(
    rules: &[Rule],
    trigger: &Trigger<'_>,
    state: &Value,
    recorded: &[StoredAction],
) -> Vec<Planned> {
    let event_type = Value::String(trigger.event_type.to_owned());
    let scope = Scope {
        data: trigger.data,
        event_type: &event_type,
        state,
    };
    let recorded_ids: HashSet<&str> = recorded.iter().map(|action| action.id.as_str()).collect();
    let mut planned = Vec::new();
    for rule in rules {
        if !rule.on.iter().any(|on| on == trigger.event_type)
            || !rule.conditions.iter().all(|c| holds(c, &scope))
            || limit_reached(rule, trigger.event_id, recorded)
        {
            continue;
        }
        for (position, step) in rule.actions.iter().enumerate() {
            let command_id = command_id(trigger.event_id, &rule.name, position);
            // An automation's record id is its derived command id.
            if recorded_ids.contains(command_id.as_str()) {
                continue;
            }
            let body = render_params(&step.params, &scope).and_then(|body| {
                let body = Value::Object(body);
                validate(step.action, &body).map_err(|violations| {
                    let details: Vec<String> = violations
                        .iter()
                        .map(|v| format!("{}: {}", v.pointer, v.detail))
                        .collect();
                    format!("invalid_parameter: {}", details.join("; "))
                })?;
                match body {
                    Value::Object(body) => Ok(body),
                    _ => Err("the rendered body is not an object".to_owned()),
                }
            });
            planned.push(Planned {
                rule: rule.name.clone(),
                position,
                action: step.action,
                command_id,
                body,
            });
        }
    }
    planned
}

/// Whether any rule could fire on this event type, before the state is read.
pub fn listens_to(rules: &[Rule], event_type: &str) -> bool {
    rules
        .iter()
        .any(|rule| rule.on.iter().any(|on| on == event_type))
}

fn holds(condition: &Condition, scope: &Scope<'_>) -> bool {
    let value = condition.path.resolve(scope).unwrap_or(&Value::Null);
    match &condition.expected {
        Expected::Equal(expected) => same(value, expected),
        Expected::OneOf(expected) => expected.iter().any(|e| same(value, e)),
    }
}

/// JSON equality, with `200` and `200.0` the same number.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// Firings are counted by the distinct events that set the rule off for this call,
/// this event aside (so planning it again cannot count against itself).
fn limit_reached(rule: &Rule, event_id: &str, recorded: &[StoredAction]) -> bool {
    let Some(limit) = rule.limit_per_call else {
        return false;
    };
    let fired: HashSet<&str> = recorded
        .iter()
        .filter(|action| action.record.rule.as_deref() == Some(rule.name.as_str()))
        .filter_map(|action| action.trigger.as_deref())
        .filter(|trigger| *trigger != event_id)
        .collect();
    fired.len() >= limit as usize
}

/// The same event, rule and position always give the same id, and Telnyx ignores a
/// command id it has already run. A UUIDv8 over a SHA-256 of the length-prefixed parts,
/// so no two different inputs can run together into the same bytes.
pub fn command_id(event_id: &str, rule: &str, position: usize) -> String {
    let mut hash = Sha256::new();
    hash.update(b"telnyx-edge automation command v1");
    for part in [event_id.as_bytes(), rule.as_bytes()] {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part);
    }
    hash.update((position as u64).to_be_bytes());
    let digest = hash.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::automations::parse_rules;
    use crate::domain::call_state::{ActionRecord, ActionStatus};
    use crate::domain::time::Instant;
    use serde_json::json;

    fn rules(config: Value) -> Vec<Rule> {
        parse_rules(&json!({ "rules": config }).to_string(), None).unwrap()
    }

    fn data(event_type: &str, payload: Value) -> Map<String, Value> {
        json!({"id": "e1", "event_type": event_type, "payload": payload})
            .as_object()
            .unwrap()
            .clone()
    }

    fn recorded(rule: &str, trigger: &str, command_id: &str) -> StoredAction {
        StoredAction {
            id: command_id.into(),
            started_at: Instant::default(),
            record: ActionRecord {
                action: "answer".into(),
                command_id: Some(command_id.into()),
                status: ActionStatus::Succeeded,
                http_status: Some(200),
                error: None,
                rule: Some(rule.into()),
                by: None,
                at: String::new(),
            },
            effect: None,
            trigger: Some(trigger.into()),
        }
    }

    fn plan_for(rules: &[Rule], event_type: &str, payload: Value, state: Value) -> Vec<Planned> {
        let data = data(event_type, payload);
        let trigger = Trigger {
            event_id: "e1",
            event_type,
            data: &data,
        };
        plan(rules, &trigger, &state, &[])
    }

    #[test]
    fn conditions_test_the_payload_and_the_state_before() {
        let rules = rules(json!([{"name": "barge", "on": ["call.dtmf.received"],
            "if": {"payload.digit": "1", "state.status": ["answered", "bridged"]},
            "do": [{"action": "switch_supervisor_role", "params": {"role": "barge"}}]}]));
        let answered = json!({"status": "answered"});
        let fired = |digit: &str, state: &Value| {
            plan_for(
                &rules,
                "call.dtmf.received",
                json!({"digit": digit}),
                state.clone(),
            )
            .len()
        };
        assert_eq!(fired("1", &answered), 1);
        assert_eq!(fired("2", &answered), 0);
        assert_eq!(fired("1", &json!({"status": "hangup"})), 0);
        assert_eq!(
            fired("1", &Value::Null),
            0,
            "no state before: state.status is null"
        );
        assert!(plan_for(&rules, "call.answered", json!({"digit": "1"}), answered).is_empty());
    }

    #[test]
    fn a_missing_value_equals_null_and_numbers_compare_by_value() {
        let rules = rules(json!([{"name": "r", "on": ["call.refer.failed"],
            "if": {"payload.sip_notify_response": 603.0, "state.refer": null},
            "do": [{"action": "hangup"}]}]));
        let planned = plan_for(
            &rules,
            "call.refer.failed",
            json!({"sip_notify_response": 603}),
            json!({}),
        );
        assert_eq!(planned.len(), 1);
    }

    #[test]
    fn actions_come_in_rule_then_action_order_with_rendered_bodies() {
        let rules = rules(json!([
            {"name": "first", "on": ["call.dtmf.received"], "do": [
                {"action": "send_dtmf", "params": {"digits": "{{payload.digit}}"}},
                {"action": "hangup"}]},
            {"name": "second", "on": ["call.dtmf.received"], "do": [{"action": "answer"}]},
        ]));
        let planned = plan_for(
            &rules,
            "call.dtmf.received",
            json!({"digit": "7"}),
            Value::Null,
        );
        let order: Vec<(&str, usize, &str)> = planned
            .iter()
            .map(|p| (p.rule.as_str(), p.position, p.action.name))
            .collect();
        assert_eq!(
            order,
            [
                ("first", 0, "send_dtmf"),
                ("first", 1, "hangup"),
                ("second", 0, "answer")
            ]
        );
        assert_eq!(planned[0].body.as_ref().unwrap()["digits"], "7");
    }

    #[test]
    fn a_body_that_cannot_be_built_is_planned_as_a_failure() {
        let rules = rules(json!([{"name": "echo", "on": ["call.dtmf.received"],
            "do": [{"action": "send_dtmf", "params": {"digits": "{{payload.digit}}"}}]}]));
        let missing = plan_for(&rules, "call.dtmf.received", json!({}), Value::Null);
        assert!(missing[0]
            .body
            .as_ref()
            .unwrap_err()
            .contains("payload.digit"));
        let invalid = plan_for(
            &rules,
            "call.dtmf.received",
            json!({"digit": "x"}),
            Value::Null,
        );
        assert!(invalid[0]
            .body
            .as_ref()
            .unwrap_err()
            .starts_with("invalid_parameter: /digits"));
    }

    #[test]
    fn limits_count_recorded_firings_of_other_events() {
        let rules = rules(
            json!([{"name": "retry", "on": ["siprec.failed"], "limit_per_call": 2,
            "do": [{"action": "siprec_start", "params": {"connector_name": "rec"}}]}]),
        );
        let data = data("siprec.failed", json!({}));
        let trigger = Trigger {
            event_id: "e3",
            event_type: "siprec.failed",
            data: &data,
        };
        let plan_with =
            |history: &[StoredAction]| plan(&rules, &trigger, &Value::Null, history).len();
        assert_eq!(plan_with(&[recorded("retry", "e1", "c1")]), 1);
        // Two actions of one firing still count once.
        assert_eq!(
            plan_with(&[recorded("retry", "e1", "c1"), recorded("retry", "e1", "c1")]),
            1
        );
        assert_eq!(
            plan_with(&[recorded("retry", "e1", "c1"), recorded("retry", "e2", "c2")]),
            0
        );
        assert_eq!(
            plan_with(&[recorded("other", "e1", "c1"), recorded("other", "e2", "c2")]),
            1
        );
        // Its own earlier record does not count against the event being planned again.
        assert_eq!(
            plan_with(&[recorded("retry", "e1", "c1"), recorded("retry", "e3", "c9")]),
            1
        );
    }

    #[test]
    fn commands_already_recorded_are_not_planned_again() {
        let rules = rules(json!([{"name": "r", "on": ["call.answered"],
            "do": [{"action": "answer"}, {"action": "hangup"}]}]));
        let data = data("call.answered", json!({}));
        let trigger = Trigger {
            event_id: "e1",
            event_type: "call.answered",
            data: &data,
        };
        let done = recorded("r", "e1", &command_id("e1", "r", 0));
        let planned = plan(&rules, &trigger, &Value::Null, &[done]);
        assert_eq!(planned.len(), 1);
        assert_eq!(planned[0].position, 1);
    }

    #[test]
    fn command_ids_are_stable_uuids_that_differ_by_every_part() {
        let id = command_id("e1", "rule", 0);
        assert_eq!(id, command_id("e1", "rule", 0));
        let parsed = uuid::Uuid::parse_str(&id).unwrap();
        assert_eq!(parsed.get_version_num(), 8);
        let others = [
            command_id("e2", "rule", 0),
            command_id("e1", "rule2", 0),
            command_id("e1", "rule", 1),
            command_id("e1r", "ule", 0),
        ];
        for other in others {
            assert_ne!(id, other);
        }
    }
}
