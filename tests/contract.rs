//! Contract tests against `spec/telnyx/openapi-call-control.json`: the action tables
//! are generated from it, and every body the worker can send validates against it.

mod support;

use serde_json::{json, Value};

use support::harness::{bearer, Harness};
use support::samples;
use support::spec_tables::{generate, load_spec, TABLES_PATH};
use telnyx_edge::domain::actions::documented::{FIELD_CHECKS, OBJECT_RULES};
use telnyx_edge::domain::actions::{validate, ActionSpec, ACTIONS, DIAL};
use telnyx_edge::ports::http::Request;

#[test]
fn action_tables_are_generated_from_the_current_spec() {
    let generated = generate(&load_spec());
    if std::env::var_os("REGENERATE_SPEC_TABLES").is_some() {
        std::fs::write(TABLES_PATH, &generated).expect("write the tables");
    }
    let committed = std::fs::read_to_string(TABLES_PATH).unwrap_or_default();
    assert!(
        committed == generated,
        "src/domain/actions/spec.rs is not what the spec generates; run \
         `REGENERATE_SPEC_TABLES=1 cargo test --test contract` and review the diff"
    );
}

/// The items of generated tables (rustfmt keeps a blank line between items, and none
/// inside one), each with its doc comment.
fn items(tables: &str) -> Vec<String> {
    tables
        .split("\n\n")
        .map(|item| item.trim().to_owned())
        .filter(|item| !item.is_empty())
        .collect()
}

#[test]
fn dial_adds_its_own_tables_and_changes_none_of_the_twelve_actions() {
    let spec = load_spec();
    let mut without_dial = spec.clone();
    let removed = without_dial["paths"]
        .as_object_mut()
        .unwrap()
        .remove("/calls");
    assert!(removed.is_some(), "the spec copy has Dial (POST /calls)");
    let twelve = items(&generate(&without_dial));
    let all = items(&generate(&spec));
    for item in &twelve {
        assert!(
            all.contains(item),
            "the Dial changed a table of the twelve actions:\n{item}"
        );
    }
    let added: Vec<&String> = all.iter().filter(|item| !twelve.contains(item)).collect();
    assert!(
        added
            .iter()
            .any(|item| item.contains("pub static DIAL: ActionSpec")),
        "{added:#?}"
    );
    assert!(
        added.iter().all(|item| item.contains("DIAL")
            || item.contains("static CALL_REQUEST")
            || item.contains("static DIALOGFLOW_CONFIG")),
        "only Dial's own tables are new: {added:#?}"
    );
}

#[test]
fn documented_rules_name_fields_that_exist() {
    let objects: Vec<(&str, Vec<&str>)> = ACTIONS
        .iter()
        .chain([&DIAL])
        .flat_map(samples::objects)
        .collect();
    for (object, field, _) in FIELD_CHECKS {
        let exists = objects
            .iter()
            .any(|(name, fields)| (*object == "*" || name == object) && fields.contains(field));
        assert!(
            exists,
            "documented rule for {object}.{field} names no field in the spec"
        );
    }
    for (object, _) in OBJECT_RULES {
        assert!(
            objects.iter().any(|(name, _)| name == object),
            "object rule for {object}, which the spec lacks"
        );
    }
}

/// The bodies to send for one action: minimal, and full with each union branch.
fn bodies(action: &'static ActionSpec) -> Vec<Value> {
    let mut bodies = vec![samples::body(action, false, 0)];
    for choice in 0..samples::variant_count(action) {
        let mut full = samples::body(action, true, choice);
        let map = full.as_object_mut().unwrap();
        match action.name {
            // "cannot be used together": one body each.
            "transfer" => {
                let mut with_audio = map.clone();
                with_audio.remove("media_name");
                map.remove("audio_url");
                bodies.push(Value::Object(with_audio));
            }
            // Engine config fields apply to one engine family each.
            "suppression_start" => {
                let (engine, config) = [
                    (
                        "DeepFilterNet",
                        json!({"attenuation_limit": 80, "mode": "advanced"}),
                    ),
                    (
                        "Krisp",
                        json!({"model": "krisp-viva-ss-v1.kef", "suppression_level": 55.5}),
                    ),
                    (
                        "AiCoustics",
                        json!({"enhancement_level": 0.5, "family": "sparrow",
                        "size": "xs", "voice_gain": 2.0}),
                    ),
                    (
                        "aic_l_quail",
                        json!({"family": "quail", "size": "vf_1_1_l"}),
                    ),
                ][choice % 4]
                    .clone();
                map.insert("noise_suppression_engine".into(), json!(engine));
                map.insert("noise_suppression_engine_config".into(), config);
            }
            _ => {}
        }
        bodies.push(full);
    }
    if action.name == "suppression_start" {
        for choice in 1..4 {
            let mut body = bodies[1].clone();
            let (engine, config) = match choice {
                1 => (
                    "Krisp",
                    json!({"model": "krisp-viva-tel-v2.kef", "suppression_level": 10}),
                ),
                2 => (
                    "AiCoustics",
                    json!({"family": "sparrow", "size": "s", "voice_gain": 1}),
                ),
                _ => ("aic_s_rook", json!({"enhancement_level": 1.0})),
            };
            body["noise_suppression_engine"] = json!(engine);
            body["noise_suppression_engine_config"] = config;
            bodies.push(body);
        }
    }
    bodies
}

/// The request schema of the action, resolvable on its own.
fn request_schema(spec: &Value, action: &ActionSpec) -> Value {
    let path = format!("/calls/{{call_control_id}}/actions/{}", action.name);
    let operation = &spec["paths"][&path][action.method.to_lowercase()];
    let reference = &operation["requestBody"]["content"]["application/json"]["schema"]["$ref"];
    assert!(reference.is_string(), "{path}: no request schema");
    json!({"$ref": reference, "components": spec["components"]})
}

#[test]
fn every_body_the_worker_sends_validates_against_the_spec_schema() {
    let spec = load_spec();
    let h = Harness::new();
    let mut checked = 0;
    for action in ACTIONS.iter() {
        let schema = request_schema(&spec, action);
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(&schema)
            .unwrap_or_else(|e| panic!("{}: schema does not compile: {e}", action.name));
        let mut fields_sent = std::collections::BTreeSet::new();
        for body in bodies(action) {
            if let Err(violations) = validate(action, &body) {
                panic!(
                    "{}: our validator refuses {body}: {violations:?}",
                    action.name
                );
            }
            h.telnyx.clear();
            let method = action.method;
            let response = h.send(Request {
                method: method.into(),
                path: format!("/calls/v3%3Acontract/actions/{}", action.name),
                query: String::new(),
                headers: vec![("authorization".into(), bearer())],
                body: body.to_string().into_bytes(),
            });
            assert_eq!(response.status, 200, "{}: {}", action.name, response.body);
            let sent = telnyx_requests(&h);
            assert_eq!(sent.len(), 1);
            assert_eq!(sent[0].method, method);
            assert_eq!(
                sent[0].path,
                format!("/v2/calls/v3%3Acontract/actions/{}", action.name)
            );
            let sent_body = sent[0].json();
            let errors: Vec<String> = validator
                .iter_errors(&sent_body)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .collect();
            assert!(
                errors.is_empty(),
                "{}: {sent_body}\n{errors:#?}",
                action.name
            );
            fields_sent.extend(sent_body.as_object().unwrap().keys().cloned());
            checked += 1;
        }
        let declared: std::collections::BTreeSet<String> = action
            .body
            .fields
            .iter()
            .map(|f| f.name.to_owned())
            .collect();
        assert_eq!(
            fields_sent, declared,
            "{}: every field is exercised",
            action.name
        );
    }
    println!("{checked} request bodies validated against the spec");
}

#[test]
fn the_schema_check_does_reject_what_the_spec_forbids() {
    let spec = load_spec();
    for (action, body) in [
        ("send_dtmf", json!({"duration_millis": 250})),
        ("switch_supervisor_role", json!({"role": "listen"})),
        ("siprec_start", json!({"sip_transport": "sctp"})),
        (
            "suppression_start",
            json!({"noise_suppression_engine_config": {"attenuation_limit": 101}}),
        ),
    ] {
        let action = telnyx_edge::domain::actions::find(action).unwrap();
        let validator = jsonschema::validator_for(&request_schema(&spec, action)).unwrap();
        assert!(!validator.is_valid(&body), "{}: {body}", action.name);
        assert!(validate(action, &body).is_err(), "{}: {body}", action.name);
    }
}

#[test]
fn the_spec_examples_of_each_request_pass_our_validator() {
    let spec = load_spec();
    for action in ACTIONS.iter() {
        let schema = request_schema(&spec, action);
        let name = schema["$ref"].as_str().unwrap().rsplit('/').next().unwrap();
        if let Some(example) = spec["components"]["schemas"][name].get("example") {
            if let Err(violations) = validate(action, example) {
                panic!(
                    "{}: the spec's own example is refused: {violations:?}",
                    action.name
                );
            }
        }
    }
}

fn telnyx_requests(h: &Harness) -> Vec<support::fake_telnyx::Recorded> {
    h.telnyx.requests()
}
