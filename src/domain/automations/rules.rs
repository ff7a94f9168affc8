//! The `AUTOMATIONS` setting: `{"rules":[…]}` parsed and checked as a whole. Any error
//! makes the whole configuration invalid, so a typo can never run half a flow.

use serde_json::{Map, Value};

use super::path::Path;
use super::template::{has_placeholder, templates_in, Template};
use crate::domain::actions::{self, push_pointer, validate_template, ActionSpec, ACTIONS, DIAL};
use crate::domain::envelope::canonical_event_type;

/// Enough for any real flow, and bounded: every rule is matched on every event.
pub const MAX_RULES: usize = 200;
/// Actions run one after another after the response, within the runtime's time.
pub const MAX_ACTIONS_PER_RULE: usize = 10;
const MAX_NAME_CHARS: usize = 64;
/// Reported at once; more would repeat one mistake.
const MAX_ERRORS: usize = 20;

const RULE_FIELDS: [&str; 5] = ["name", "on", "if", "do", "limit_per_call"];
const ACTION_FIELDS: [&str; 2] = ["action", "params"];

/// One rule: when an event of a type in `on` arrives and every condition holds, run
/// `actions` in order, at most `limit_per_call` times per call.
#[derive(Clone, Debug, PartialEq)]
pub struct Rule {
    pub name: String,
    /// Canonical event types (`siprec.*`, never `call.siprec.*`).
    pub on: Vec<String>,
    pub conditions: Vec<Condition>,
    pub actions: Vec<RuleAction>,
    pub limit_per_call: Option<u32>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    pub path: Path,
    pub expected: Expected,
}

/// A scalar must be equal; a list must contain the value.
#[derive(Clone, Debug, PartialEq)]
pub enum Expected {
    Equal(Value),
    OneOf(Vec<Value>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct RuleAction {
    pub action: &'static ActionSpec,
    /// The request body, with `{{path}}` placeholders still in its strings.
    pub params: Map<String, Value>,
}

/// Why the configuration is invalid: which rule, where (a JSON pointer into the
/// setting), and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleError {
    pub rule: Option<String>,
    pub pointer: String,
    pub detail: String,
}

impl std::fmt::Display for RuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = if self.pointer.is_empty() {
            String::new()
        } else {
            format!(" at {}", self.pointer)
        };
        match &self.rule {
            Some(rule) => write!(f, "AUTOMATIONS rule {rule:?}{at}: {}", self.detail),
            None => write!(f, "AUTOMATIONS{at}: {}", self.detail),
        }
    }
}

/// Parses and checks the whole setting. A `dial` without `connection_id` takes
/// `connection_id` (`TELNYX_CONNECTION_ID`), so it is checked as it will be sent.
pub fn parse_rules(text: &str, connection_id: Option<&str>) -> Result<Vec<Rule>, Vec<RuleError>> {
    let mut errors = Errors::default();
    let value: Value = match serde_json::from_slice(text.as_bytes()) {
        Ok(value) => value,
        Err(error) => {
            errors.at(None, "", format!("is not valid JSON: {error}"));
            return Err(errors.0);
        }
    };
    let Some(top) = value.as_object() else {
        errors.at(None, "", "must be an object like {\"rules\": [...]}");
        return Err(errors.0);
    };
    for key in top.keys().filter(|key| *key != "rules") {
        errors.at(
            None,
            &pointer_to(&[key]),
            "is not a setting; only \"rules\" is",
        );
    }
    let rules = match top.get("rules") {
        Some(Value::Array(rules)) => rules.as_slice(),
        Some(_) => {
            errors.at(None, "/rules", "must be a list of rules");
            &[]
        }
        None => {
            errors.at(None, "/rules", "is required");
            &[]
        }
    };
    if rules.len() > MAX_RULES {
        errors.at(
            None,
            "/rules",
            format!("must hold at most {MAX_RULES} rules"),
        );
    }
    let mut parsed = Vec::new();
    for (index, rule) in rules.iter().enumerate().take(MAX_RULES) {
        let pointer = pointer_to(&["rules", &index.to_string()]);
        if let Some(rule) = parse_rule(rule, &pointer, connection_id, &mut errors) {
            if parsed
                .iter()
                .any(|earlier: &Rule| earlier.name == rule.name)
            {
                errors.at(
                    Some(&rule.name),
                    &format!("{pointer}/name"),
                    "is used by an earlier rule; names identify rules in records and limits",
                );
            }
            parsed.push(rule);
        }
    }
    if errors.0.is_empty() {
        Ok(parsed)
    } else {
        Err(errors.0)
    }
}

#[derive(Default)]
struct Errors(Vec<RuleError>);

impl Errors {
    fn at(&mut self, rule: Option<&str>, pointer: &str, detail: impl Into<String>) {
        if self.0.len() < MAX_ERRORS {
            self.0.push(RuleError {
                rule: rule.map(str::to_owned),
                pointer: pointer.to_owned(),
                detail: detail.into(),
            });
        }
    }
}

fn pointer_to(tokens: &[&str]) -> String {
    let mut pointer = String::new();
    for token in tokens {
        push_pointer(&mut pointer, token);
    }
    pointer
}

/// One rule, or `None` after reporting why it is invalid.
fn parse_rule(
    value: &Value,
    at: &str,
    connection_id: Option<&str>,
    errors: &mut Errors,
) -> Option<Rule> {
    let Some(rule) = value.as_object() else {
        errors.at(None, at, "must be an object with name, on and do");
        return None;
    };
    let before = errors.0.len();
    let name = parse_name(rule.get("name"), at, errors);
    let label = name.as_deref();
    let field = |key: &str| format!("{at}{}", pointer_to(&[key]));
    for key in rule
        .keys()
        .filter(|key| !RULE_FIELDS.contains(&key.as_str()))
    {
        errors.at(
            label,
            &field(key),
            format!("is not a rule field; accepted: {}", RULE_FIELDS.join(", ")),
        );
    }
    let on = parse_on(rule.get("on"), &field("on"), label, errors);
    let conditions = match rule.get("if") {
        None => Vec::new(),
        Some(Value::Object(conditions)) => conditions
            .iter()
            .filter_map(|(path, expected)| {
                parse_condition(path, expected, &field("if"), label, errors)
            })
            .collect(),
        Some(_) => {
            errors.at(label, &field("if"), "must be an object of path: value");
            Vec::new()
        }
    };
    let actions = parse_actions(rule.get("do"), &field("do"), label, connection_id, errors);
    let limit_per_call = match rule.get("limit_per_call") {
        None => None,
        Some(limit) => match limit.as_u64().and_then(|n| u32::try_from(n).ok()) {
            Some(limit) if limit >= 1 => Some(limit),
            _ => {
                errors.at(
                    label,
                    &field("limit_per_call"),
                    "must be a whole number of at least 1 (remove the rule to disable it)",
                );
                None
            }
        },
    };
    if errors.0.len() > before {
        return None;
    }
    Some(Rule {
        name: name?,
        on,
        conditions,
        actions,
        limit_per_call,
    })
}

fn parse_name(value: Option<&Value>, at: &str, errors: &mut Errors) -> Option<String> {
    let pointer = format!("{at}/name");
    match value.and_then(Value::as_str) {
        None => errors.at(None, &pointer, "is required: a short text naming the rule"),
        Some(name) if name.trim().is_empty() => errors.at(None, &pointer, "must not be empty"),
        Some(name) if name.chars().count() > MAX_NAME_CHARS => errors.at(
            None,
            &pointer,
            format!("must be at most {MAX_NAME_CHARS} characters"),
        ),
        Some(name) if name.chars().any(char::is_control) => {
            errors.at(None, &pointer, "must not contain control characters")
        }
        Some(name) => return Some(name.to_owned()),
    }
    None
}

fn parse_on(
    value: Option<&Value>,
    at: &str,
    rule: Option<&str>,
    errors: &mut Errors,
) -> Vec<String> {
    let types: Vec<&Value> = match value {
        Some(single @ Value::String(_)) => vec![single],
        Some(Value::Array(types)) if !types.is_empty() => types.iter().collect(),
        _ => {
            errors.at(rule, at, "must list the event types that fire the rule");
            return Vec::new();
        }
    };
    let mut on = Vec::new();
    for (index, event_type) in types.into_iter().enumerate() {
        match event_type.as_str() {
            Some(text) if !text.trim().is_empty() => {
                let canonical = canonical_event_type(text.trim()).to_owned();
                if !on.contains(&canonical) {
                    on.push(canonical);
                }
            }
            _ => errors.at(
                rule,
                &format!("{at}/{index}"),
                "must be an event type such as call.answered",
            ),
        }
    }
    on
}

fn parse_condition(
    path: &str,
    expected: &Value,
    at: &str,
    rule: Option<&str>,
    errors: &mut Errors,
) -> Option<Condition> {
    let pointer = format!("{at}{}", pointer_to(&[path]));
    let path = match Path::parse(path) {
        Ok(path) => path,
        Err(detail) => {
            errors.at(rule, &pointer, detail);
            return None;
        }
    };
    // `event_type` conditions match either SIPREC spelling, like `on`.
    let canonical = |value: &Value| match value.as_str() {
        Some(text) if path.is_event_type() => Value::String(canonical_event_type(text).to_owned()),
        _ => value.clone(),
    };
    let expected = match expected {
        Value::Object(_) => {
            errors.at(
                rule,
                &pointer,
                "must be a value or a list of values, not an object",
            );
            return None;
        }
        Value::Array(values) if values.is_empty() => {
            errors.at(rule, &pointer, "an empty list matches nothing");
            return None;
        }
        Value::Array(values) if values.iter().any(|v| v.is_object() || v.is_array()) => {
            errors.at(rule, &pointer, "a list must hold plain values");
            return None;
        }
        Value::Array(values) => Expected::OneOf(values.iter().map(canonical).collect()),
        scalar => Expected::Equal(canonical(scalar)),
    };
    Some(Condition { path, expected })
}

fn parse_actions(
    value: Option<&Value>,
    at: &str,
    rule: Option<&str>,
    connection_id: Option<&str>,
    errors: &mut Errors,
) -> Vec<RuleAction> {
    let steps = match value {
        Some(Value::Array(steps)) if !steps.is_empty() => steps,
        _ => {
            errors.at(
                rule,
                at,
                "must list the actions to run, like [{\"action\": \"answer\"}]",
            );
            return Vec::new();
        }
    };
    if steps.len() > MAX_ACTIONS_PER_RULE {
        errors.at(
            rule,
            at,
            format!("must hold at most {MAX_ACTIONS_PER_RULE} actions"),
        );
    }
    steps
        .iter()
        .enumerate()
        .filter_map(|(index, step)| {
            parse_action(step, &format!("{at}/{index}"), rule, connection_id, errors)
        })
        .collect()
}

fn parse_action(
    value: &Value,
    at: &str,
    rule: Option<&str>,
    connection_id: Option<&str>,
    errors: &mut Errors,
) -> Option<RuleAction> {
    let Some(step) = value.as_object() else {
        errors.at(
            rule,
            at,
            "must be an object like {\"action\": \"answer\", \"params\": {}}",
        );
        return None;
    };
    for key in step
        .keys()
        .filter(|key| !ACTION_FIELDS.contains(&key.as_str()))
    {
        errors.at(
            rule,
            &format!("{at}{}", pointer_to(&[key])),
            "is not an action field; accepted: action, params",
        );
    }
    let action = match step.get("action").and_then(Value::as_str) {
        Some(name) => match actions::recorded(name) {
            Some(action) => action,
            None => {
                let known: Vec<&str> = ACTIONS.iter().chain([&DIAL]).map(|a| a.name).collect();
                errors.at(
                    rule,
                    &format!("{at}/action"),
                    format!("{name:?} is not an action; known: {}", known.join(", ")),
                );
                return None;
            }
        },
        None => {
            errors.at(
                rule,
                &format!("{at}/action"),
                "is required: the action's name",
            );
            return None;
        }
    };
    let params_at = format!("{at}/params");
    let mut params = match step.get("params") {
        None => Map::new(),
        Some(Value::Object(params)) => params.clone(),
        Some(_) => {
            errors.at(
                rule,
                &params_at,
                "must be an object: the action's request body",
            );
            return None;
        }
    };
    if let (true, Some(id)) = (action.is_dial(), connection_id) {
        params
            .entry("connection_id")
            .or_insert_with(|| Value::String(id.to_owned()));
    }
    let before = errors.0.len();
    if params.contains_key("command_id") {
        errors.at(
            rule,
            &format!("{params_at}/command_id"),
            "is derived from the event, rule and position so that Telnyx runs each command once",
        );
    }
    let body = Value::Object(params);
    let mut templates = Vec::new();
    templates_in(&body, &mut String::new(), &mut templates);
    for (pointer, text) in templates {
        if let Err(detail) = Template::parse(&text) {
            errors.at(rule, &format!("{params_at}{pointer}"), detail);
        }
    }
    if let Err(violations) = validate_template(action, &body, has_placeholder) {
        for violation in violations {
            errors.at(
                rule,
                &format!("{params_at}{}", violation.pointer),
                violation.detail,
            );
        }
    }
    let Value::Object(params) = body else {
        return None;
    };
    (errors.0.len() == before).then_some(RuleAction { action, params })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errors_of(config: Value) -> Vec<RuleError> {
        parse_rules(&config.to_string(), None).expect_err("accepted")
    }

    fn one_rule(rule: Value) -> Result<Vec<Rule>, Vec<RuleError>> {
        parse_rules(&json!({"rules": [rule]}).to_string(), None)
    }

    #[test]
    fn the_interface_example_parses() {
        let rules = one_rule(json!({
            "name": "record-inbound",
            "on": ["call.answered"],
            "if": {"payload.direction": "incoming", "payload.to": ["+13125550199", "+13125550100"]},
            "do": [{"action": "siprec_start", "params": {"connector_name": "recorder", "siprec_track": "both_tracks"}}],
            "limit_per_call": 1
        }))
        .unwrap();
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0].name, "record-inbound");
        assert_eq!(rules[0].on, vec!["call.answered"]);
        assert_eq!(rules[0].conditions.len(), 2);
        assert_eq!(rules[0].actions[0].action.name, "siprec_start");
        assert_eq!(rules[0].limit_per_call, Some(1));
    }

    #[test]
    fn siprec_spellings_and_a_single_event_type_are_accepted() {
        let rules = one_rule(json!({"name": "r", "on": "call.siprec.failed",
            "if": {"event_type": ["call.siprec.failed"]},
            "do": [{"action": "siprec_start", "params": {"connector_name": "rec"}}]}))
        .unwrap();
        assert_eq!(rules[0].on, vec!["siprec.failed"]);
        assert_eq!(
            rules[0].conditions[0].expected,
            Expected::OneOf(vec![json!("siprec.failed")])
        );
    }

    #[test]
    fn placeholders_pass_string_rules_but_not_type_rules() {
        assert!(
            one_rule(json!({"name": "echo", "on": ["call.dtmf.received"],
            "do": [{"action": "send_dtmf", "params": {"digits": "{{payload.digit}}"}}]}))
            .is_ok()
        );
        let errors = errors_of(json!({"rules": [{"name": "bad", "on": ["call.answered"],
            "do": [{"action": "send_dtmf", "params": {"digits": "1", "duration_millis": "{{payload.x}}"}}]}]}));
        assert_eq!(errors[0].pointer, "/rules/0/do/0/params/duration_millis");
        assert_eq!(errors[0].rule.as_deref(), Some("bad"));
    }

    #[test]
    fn each_mistake_names_its_rule_and_place() {
        let cases = [
            (
                json!({"name": "a", "on": [], "do": [{"action": "answer"}]}),
                "/rules/0/on",
            ),
            (
                json!({"name": "a", "on": ["call.answered"], "do": []}),
                "/rules/0/do",
            ),
            (
                json!({"name": "a", "on": ["call.answered"], "do": [{"action": "dance"}]}),
                "/rules/0/do/0/action",
            ),
            (
                json!({"name": "a", "on": ["call.answered"], "do": [{"action": "send_dtmf", "params": {"digits": "x"}}]}),
                "/rules/0/do/0/params/digits",
            ),
            (
                json!({"name": "a", "on": ["call.answered"], "do": [{"action": "switch_supervisor_role", "params": {"role": "boss"}}]}),
                "/rules/0/do/0/params/role",
            ),
            (
                json!({"name": "a", "on": ["call.answered"], "do": [{"action": "answer", "params": {"command_id": "x"}}]}),
                "/rules/0/do/0/params/command_id",
            ),
            (
                json!({"name": "a", "on": ["call.answered"], "do": [{"action": "answer", "params": {"client_state": "{{payload.nope.}}"}}]}),
                "/rules/0/do/0/params/client_state",
            ),
            (
                json!({"name": "a", "on": ["call.answered"], "do": [{"action": "answer", "params": {"client_state": "{{state.nope}}"}}]}),
                "/rules/0/do/0/params/client_state",
            ),
            (
                json!({"name": "a", "on": ["call.answered"], "do": [{"action": "answer", "params": {"client_state": "{{payload.x"}}]}),
                "/rules/0/do/0/params/client_state",
            ),
            (
                json!({"name": "a", "on": ["call.answered"], "if": {"state.nope": 1}, "do": [{"action": "answer"}]}),
                "/rules/0/if/state.nope",
            ),
            (
                json!({"name": "a", "on": ["call.answered"], "if": {"payload.x": {"a": 1}}, "do": [{"action": "answer"}]}),
                "/rules/0/if/payload.x",
            ),
            (
                json!({"name": "a", "on": ["call.answered"], "if": {"payload.x": []}, "do": [{"action": "answer"}]}),
                "/rules/0/if/payload.x",
            ),
            (
                json!({"name": "a", "on": ["call.answered"], "do": [{"action": "answer"}], "limit_per_call": 0}),
                "/rules/0/limit_per_call",
            ),
            (
                json!({"name": "a", "on": ["call.answered"], "do": [{"action": "answer"}], "limit": 1}),
                "/rules/0/limit",
            ),
            (
                json!({"name": "a", "on": ["call.answered"], "do": [{"action": "answer", "parms": {}}]}),
                "/rules/0/do/0/parms",
            ),
            (
                json!({"on": ["call.answered"], "do": [{"action": "answer"}]}),
                "/rules/0/name",
            ),
        ];
        for (rule, pointer) in cases {
            let errors = one_rule(rule.clone()).expect_err(&rule.to_string());
            assert_eq!(errors[0].pointer, pointer, "{rule}: {errors:?}");
            let text = errors[0].to_string();
            assert!(text.starts_with("AUTOMATIONS"), "{text}");
            if rule.get("name").is_some() {
                assert!(text.contains("rule \"a\""), "{text}");
            }
        }
    }

    #[test]
    fn the_setting_itself_must_be_well_formed() {
        for (config, pointer) in [
            ("not json", ""),
            ("[]", ""),
            ("{}", "/rules"),
            ("{\"rules\": {}}", "/rules"),
            ("{\"rules\": [], \"extra\": 1}", "/extra"),
            ("{\"rules\": [1]}", "/rules/0"),
        ] {
            let errors = parse_rules(config, None).expect_err(config);
            assert_eq!(errors[0].pointer, pointer, "{config}");
        }
        assert_eq!(parse_rules("{\"rules\": []}", None), Ok(Vec::new()));
    }

    #[test]
    fn rule_names_are_unique() {
        let rule = json!({"name": "same", "on": ["call.answered"], "do": [{"action": "answer"}]});
        let errors = errors_of(json!({"rules": [rule, rule]}));
        assert_eq!(errors[0].pointer, "/rules/1/name");
    }
}
