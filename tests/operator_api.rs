//! The operator API's actions over in-memory ports and the fake Telnyx: what reaches
//! Telnyx (method, path, headers, body), what comes back, what is recorded on the call,
//! and the retry behaviour, with a manual clock so waits cost nothing.

mod support;

use serde_json::{json, Value};

use support::fake_telnyx::Reply;
use support::harness::*;
use telnyx_edge::domain::retry::{Schedule, ATTEMPT_TIMEOUT_MS};
use telnyx_edge::ports::http::{Request, Response};

const STATE: &str = "aGF2ZSBhIG5pY2UgZGF5ID1d";
const ENCODED_CALL: &str = "v3%3Au5OAKGEPT3Dx8SZSSDRWEMdNH2OripQhO9L9PL_PqJ4whcuhT6nAJA";

impl Harness {
    fn act_as(
        &self,
        method: &str,
        action: &str,
        body: &str,
        authorization: Option<&str>,
    ) -> Response {
        self.send(Request {
            method: method.into(),
            path: format!("/calls/{ENCODED_CALL}/actions/{action}"),
            query: String::new(),
            headers: authorization
                .map(|a| vec![("authorization".to_string(), a.to_string())])
                .unwrap_or_default(),
            body: body.as_bytes().to_vec(),
        })
    }

    fn act(&self, action: &str, body: Value) -> Response {
        let method = if action == "client_state_update" {
            "PUT"
        } else {
            "POST"
        };
        self.act_as(method, action, &body.to_string(), Some(&bearer()))
    }

    /// A call the worker knows about, so its state can be read.
    fn with_call(self) -> Self {
        assert_eq!(
            self.deliver(&event("call.answered", "ev-answered", 1))
                .status,
            200
        );
        self
    }

    fn actions(&self) -> Vec<Value> {
        self.state(CALL)["actions"].as_array().unwrap().clone()
    }

    fn assert_nothing_sent_or_stored(&self) {
        assert!(self.sent().is_empty(), "{:?}", self.sent());
        assert!(!self.stored_anything());
    }
}

fn is_uuid_v4(text: &str) -> bool {
    uuid::Uuid::try_parse(text).is_ok_and(|id| id.get_version_num() == 4)
}

// --- what reaches Telnyx ------------------------------------------------------------

#[test]
fn a_refer_reaches_telnyx_with_key_path_and_body_and_is_recorded() {
    let h = Harness::new().with_call();
    let body = json!({"sip_address": "sip:agent@pbx.example.com",
        "custom_headers": [{"name": "X-Case", "value": "42"}],
        "sip_headers": [{"name": "User-to-User", "value": "abc"}]});
    let response = h.act("refer", body.clone());
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(
        json_of(&response),
        json!({"data": {"result": "ok"}}),
        "Telnyx's body, as sent"
    );

    let sent = h.sent();
    assert_eq!(sent.len(), 1);
    let request = &sent[0];
    assert_eq!(request.method, "POST");
    assert_eq!(
        request.path,
        format!("/v2/calls/{ENCODED_CALL}/actions/refer")
    );
    assert_eq!(
        request.header("authorization"),
        Some(&*format!("Bearer {API_KEY}"))
    );
    assert_eq!(request.header("content-type"), Some("application/json"));
    let mut sent_body = request.json();
    let command_id = sent_body["command_id"].as_str().unwrap().to_owned();
    assert!(is_uuid_v4(&command_id), "{command_id}");
    assert_eq!(
        response.header("telnyx-edge-command-id"),
        Some(&*command_id)
    );
    sent_body.as_object_mut().unwrap().remove("command_id");
    assert_eq!(
        sent_body, body,
        "every other field passes through unchanged"
    );

    let state = h.state(CALL);
    let action = &state["actions"][0];
    assert_eq!(action["action"], "refer");
    assert_eq!(action["status"], "succeeded");
    assert_eq!(action["http_status"], 200);
    assert_eq!(action["command_id"], command_id);
    assert_eq!(action["error"], Value::Null);
    assert_eq!(action["rule"], Value::Null);
    assert_eq!(action["at"], "2025-09-15T14:02:11.000Z");
    assert_eq!(state["refer"]["sip_address"], "sip:agent@pbx.example.com");
    assert_eq!(state["refer"]["status"], "started");
}

#[test]
fn a_given_command_id_is_kept() {
    let h = Harness::new();
    let response = h.act("send_dtmf", json!({"digits": "1#", "command_id": "mine-1"}));
    assert_eq!(response.status, 200);
    assert_eq!(h.sent()[0].json()["command_id"], "mine-1");
}

#[test]
fn a_long_or_odd_command_id_is_sent_and_recorded_as_given() {
    let h = Harness::new().with_call();
    let command_id = format!("a:b%c/{}", "x".repeat(1000));
    let response = h.act("hangup", json!({ "command_id": command_id }));
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(h.sent()[0].json()["command_id"], command_id);
    let action = &h.actions()[0];
    assert_eq!(
        (action["command_id"].as_str(), action["status"].as_str()),
        (Some(&*command_id), Some("succeeded"))
    );
}

#[test]
fn command_id_is_added_only_where_the_spec_accepts_it() {
    let h = Harness::new();
    for (action, body) in [
        ("switch_supervisor_role", json!({"role": "whisper"})),
        ("siprec_start", json!({"connector_name": "rec"})),
        ("client_state_update", json!({"client_state": STATE})),
    ] {
        h.telnyx.clear();
        assert_eq!(h.act(action, body.clone()).status, 200, "{action}");
        assert_eq!(h.sent()[0].json(), body, "{action}: sent as given");
    }
    for (action, body) in [
        ("hangup", json!({})),
        ("siprec_stop", json!({})),
        ("suppression_stop", json!({})),
        ("answer", json!({})),
        ("bridge", json!({"call_control_id": "v3:other"})),
        ("transfer", json!({"to": "+18005550100"})),
    ] {
        h.telnyx.clear();
        assert_eq!(h.act(action, body).status, 200, "{action}");
        assert!(h.sent()[0].json()["command_id"].is_string(), "{action}");
    }
}

#[test]
fn client_state_update_is_a_put_at_telnyx_and_sets_the_state() {
    let h = Harness::new().with_call();
    let response = h.act("client_state_update", json!({"client_state": STATE}));
    assert_eq!(response.status, 200);
    assert_eq!(h.sent()[0].method, "PUT");
    assert_eq!(h.state(CALL)["client_state"], STATE);
    // POST is accepted too, and still sent as the PUT Telnyx expects.
    let response = h.act_as(
        "POST",
        "client_state_update",
        &json!({"client_state": STATE}).to_string(),
        Some(&bearer()),
    );
    assert_eq!(response.status, 200);
    assert_eq!(h.sent()[1].method, "PUT");
}

#[test]
fn derived_state_follows_successful_actions() {
    let h = Harness::new().with_call();
    assert_eq!(
        h.act("suppression_start", json!({"direction": "both"}))
            .status,
        200
    );
    h.clock.advance(1000);
    assert_eq!(
        h.act("switch_supervisor_role", json!({"role": "monitor"}))
            .status,
        200
    );
    let state = h.state(CALL);
    assert_eq!(
        state["noise_suppression"],
        json!({"status": "active", "direction": "both", "engine": "Denoiser"})
    );
    assert_eq!(state["supervisor_role"], "monitor");

    h.clock.advance(1000);
    h.telnyx
        .then(Reply::error(422, "90018", "Call has already ended"));
    assert_eq!(
        h.act("switch_supervisor_role", json!({"role": "barge"}))
            .status,
        422
    );
    h.clock.advance(1000);
    assert_eq!(h.act("suppression_stop", json!({})).status, 200);
    let state = h.state(CALL);
    assert_eq!(
        state["supervisor_role"], "monitor",
        "a refused switch changes nothing"
    );
    assert_eq!(
        state["noise_suppression"],
        json!({"status": "stopped", "direction": "both", "engine": "Denoiser"})
    );
    let statuses: Vec<&str> = state["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["succeeded", "succeeded", "failed", "succeeded"]);
}

#[test]
fn an_empty_body_means_no_fields() {
    let h = Harness::new();
    let response = h.act_as("POST", "hangup", "", Some(&bearer()));
    assert_eq!(response.status, 200);
    let sent = h.sent()[0].json();
    assert_eq!(
        sent.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["command_id"]
    );
}

#[test]
fn hostile_call_ids_are_refused_before_anything_is_sent() {
    let h = Harness::new();
    let post = |raw: &str| {
        h.send(Request {
            method: "POST".into(),
            path: format!("/calls/{raw}/actions/hangup"),
            query: String::new(),
            headers: vec![("authorization".into(), bearer())],
            body: Vec::new(),
        })
    };
    // Characters no Telnyx id has: they could leave the path segment at Telnyx.
    for raw in [
        "..%2F..%2Fcalls%2Fother",
        "a%3Fx%3D1%23frag",
        "sp%20ace",
        "%C3%A9t%C3%A9",
        "%252F",
        "%FF",
    ] {
        assert_error(&post(raw), 404, "invalid_call_control_id");
    }
    // Dot segments would be resolved by any URL parser on the way to Telnyx.
    for raw in [".", "..", "%2E%2E", "%2e", ""] {
        assert_error(&post(raw), 404, "not_found");
    }
    assert!(h.sent().is_empty());
    assert!(!h.stored_anything());
    // Three dots are no dot segment: sent, and to exactly the action's path.
    assert_eq!(post("...").status, 200);
    assert_eq!(h.sent()[0].path, "/v2/calls/.../actions/hangup");
}

// --- refused before anything is sent -------------------------------------------------

#[test]
fn the_operator_token_is_required() {
    let h = Harness::new();
    let body = json!({"role": "barge"}).to_string();
    for authorization in [
        None,
        Some("Bearer wrong"),
        Some(ADMIN_TOKEN),
        Some("Basic x"),
    ] {
        let response = h.act_as("POST", "switch_supervisor_role", &body, authorization);
        assert_error(&response, 401, "unauthorized");
    }
    let h = Harness::with_vars(&[("ADMIN_TOKEN", "")]);
    let response = h.act_as("POST", "switch_supervisor_role", &body, Some(&bearer()));
    assert_error(&response, 503, "admin_token_missing");
    h.assert_nothing_sent_or_stored();
}

#[test]
fn unknown_actions_wrong_methods_and_bad_json_are_refused() {
    let h = Harness::new();
    let response = h.act("transfer_call", json!({}));
    assert_error(&response, 404, "unknown_action");
    assert!(json_of(&response)["errors"][0]["detail"]
        .as_str()
        .unwrap()
        .contains("switch_supervisor_role"));

    let response = h.act_as("PUT", "refer", "{}", Some(&bearer()));
    assert_error(&response, 405, "method_not_allowed");
    assert_eq!(response.header("allow"), Some("POST"));
    let response = h.act_as("GET", "client_state_update", "", Some(&bearer()));
    assert_eq!(response.header("allow"), Some("POST, PUT"));

    for bad in ["{", "not json", "{\"digits\": \"1\",}", "\u{0}"] {
        let response = h.act_as("POST", "send_dtmf", bad, Some(&bearer()));
        assert_error(&response, 400, "invalid_json");
    }
    h.assert_nothing_sent_or_stored();
}

#[test]
fn invalid_bodies_get_422_with_a_pointer_per_problem_and_nothing_is_sent() {
    let h = Harness::new();
    let response = h.act(
        "send_dtmf",
        json!({"digits": "12x", "duration_millis": 600, "colour": "red"}),
    );
    assert_error(&response, 422, "invalid_parameter");
    let errors = json_of(&response)["errors"].as_array().unwrap().clone();
    let pointers: Vec<&str> = errors
        .iter()
        .map(|e| e["source"]["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(pointers, ["/colour", "/digits", "/duration_millis"]);
    assert!(errors[2]["detail"]
        .as_str()
        .unwrap()
        .contains("between 100 and 500"));

    let response = h.act("siprec_start", json!({"session_timeout_secs": 30}));
    assert_error(&response, 422, "invalid_parameter");
    let response = h.act("switch_supervisor_role", json!(["barge"]));
    assert_error(&response, 422, "invalid_parameter");
    h.assert_nothing_sent_or_stored();
}

#[test]
fn without_an_api_key_nothing_is_sent_and_the_failure_is_recorded() {
    let h = Harness::with_vars(&[("TELNYX_API_KEY", "")]).with_call();
    let response = h.act("refer", json!({"sip_address": "sip:a@b.example"}));
    assert_error(&response, 503, "api_key_missing");
    assert!(h.sent().is_empty());
    let actions = h.actions();
    assert_eq!(actions.len(), 1);
    assert_eq!(actions[0]["status"], "failed");
    assert_eq!(actions[0]["http_status"], Value::Null);
    assert!(actions[0]["error"]
        .as_str()
        .unwrap()
        .starts_with("api_key_missing"));
    assert_eq!(
        h.state(CALL)["refer"],
        Value::Null,
        "a refer that never went out changes nothing"
    );
}

// --- Telnyx's answers and retries ------------------------------------------------------

#[test]
fn telnyx_refusals_are_passed_back_not_retried_and_recorded() {
    let h = Harness::new().with_call();
    h.telnyx
        .then(Reply::error(422, "90018", "Call has already ended"));
    let response = h.act("hangup", json!({}));
    assert_eq!(response.status, 422);
    assert_eq!(json_of(&response)["errors"][0]["code"], "90018");
    assert_eq!(h.sent().len(), 1);
    let action = &h.actions()[0];
    assert_eq!(action["status"], "failed");
    assert_eq!(action["http_status"], 422);
    assert_eq!(
        action["error"],
        "telnyx 422 90018: Call has already ended (fake)"
    );
}

#[test]
fn a_429_is_retried_after_its_retry_after_with_the_same_command_id() {
    let h = Harness::new().with_call();
    h.telnyx
        .then(Reply::error(429, "10011", "Too many requests").retry_after("3"));
    let response = h.act("send_dtmf", json!({"digits": "1"}));
    assert_eq!(response.status, 200);
    let sent = h.sent();
    assert_eq!(sent.len(), 2);
    assert_eq!(
        sent[0].body, sent[1].body,
        "the same body, so the same command_id"
    );
    assert_eq!(h.clock.sleeps(), [3000]);
    let action = &h.actions()[0];
    assert_eq!(
        (action["status"].as_str(), action["http_status"].as_u64()),
        (Some("succeeded"), Some(200))
    );
    assert_eq!(
        action["at"], "2025-09-15T14:02:14.000Z",
        "recorded when it succeeded"
    );
}

#[test]
fn a_500_then_200_succeeds_on_the_second_attempt_with_the_same_command_id() {
    let h = Harness::new().with_call();
    h.telnyx.then(Reply::error(500, "50000", "Internal error"));
    assert_eq!(h.act("siprec_stop", json!({})).status, 200);
    let sent = h.sent();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].body, sent[1].body);
    let backoff = h.clock.sleeps()[0];
    assert!((125..=250).contains(&backoff), "{backoff}");
    assert_eq!(h.actions()[0]["status"], "succeeded");
}

#[test]
fn a_500_for_an_action_without_a_command_id_is_never_sent_again() {
    let h = Harness::new().with_call();
    h.telnyx.then(Reply::error(500, "50000", "Internal error"));
    let response = h.act("siprec_start", json!({"connector_name": "rec"}));
    assert_eq!(response.status, 500, "Telnyx's answer is passed back");
    assert_eq!(h.sent().len(), 1, "Telnyx may have run it: not sent again");
    let action = &h.actions()[0];
    assert_eq!(action["status"], "failed");
    let error = action["error"].as_str().unwrap();
    assert!(error.starts_with("telnyx 500 50000"), "{error}");
    assert!(error.contains("outcome unknown"), "{error}");
}

#[test]
fn a_persistent_503_is_resent_within_the_budget_then_recorded_as_failed() {
    let h = Harness::new().with_call();
    h.telnyx
        .always(Reply::error(503, "50300", "Service unavailable"));
    let response = h.act("suppression_start", json!({}));
    assert_eq!(response.status, 503, "Telnyx's last answer is passed back");
    let sent = h.sent();
    assert!(sent.len() >= 3, "{}", sent.len());
    let command_ids: std::collections::HashSet<String> = sent
        .iter()
        .map(|r| r.json()["command_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(command_ids.len(), 1, "one command_id on every attempt");
    let waited: u64 = h.clock.sleeps().iter().sum();
    assert!(waited + ATTEMPT_TIMEOUT_MS <= Schedule::OPERATOR.deadline_ms);
    let action = &h.actions()[0];
    assert_eq!(action["status"], "failed");
    assert_eq!(action["http_status"], 503);
    let error = action["error"].as_str().unwrap();
    assert!(error.starts_with("telnyx 503"), "{error}");
    assert!(error.contains("outcome unknown"), "{error}");
    assert_eq!(h.state(CALL)["noise_suppression"], Value::Null);
}

#[test]
fn a_429_past_the_operators_budget_gives_up() {
    let h = Harness::new().with_call();
    h.telnyx
        .always(Reply::error(429, "10011", "Too many requests").retry_after("10"));
    let response = h.act("hangup", json!({}));
    assert_eq!(response.status, 429);
    assert_eq!(h.sent().len(), 2, "one wait of 10 s fits the 25 s budget");
    let error = h.actions()[0]["error"].as_str().unwrap().to_owned();
    assert!(error.contains("gave up after 2 attempts"), "{error}");
}

#[test]
fn timeouts_and_network_errors_are_retried() {
    let h = Harness::new().with_call();
    h.telnyx
        .then(Reply::ok().delayed(ATTEMPT_TIMEOUT_MS + 1))
        .then(Reply::network_error())
        .then(Reply::unreached());
    assert_eq!(h.act("siprec_stop", json!({})).status, 200);
    assert_eq!(h.sent().len(), 4);

    h.telnyx.clear();
    h.telnyx.always(Reply::ok().delayed(60_000));
    let response = h.act("siprec_stop", json!({}));
    assert_error(&response, 504, "telnyx_timeout");
    let attempts = h.sent().len();
    assert!((2..=4).contains(&attempts), "{attempts}");
    let last = h.actions().pop().unwrap();
    assert_eq!(last["status"], "failed");
    assert!(last["error"].as_str().unwrap().starts_with("timeout"));

    h.telnyx.clear();
    h.telnyx.always(Reply::network_error());
    let response = h.act("siprec_stop", json!({}));
    assert_error(&response, 502, "telnyx_unreachable");
}

#[test]
fn nothing_is_sent_when_the_action_cannot_be_recorded() {
    let h = Harness::new().with_call();
    let slot = h.slot(CALL).unwrap();
    slot.storage.fail_statements("INSERT INTO actions");
    let response = h.act("hangup", json!({}));
    assert_error(&response, 500, "storage_unavailable");
    assert!(h.sent().is_empty());
    slot.storage.heal();
    assert!(h.actions().is_empty());
}

#[test]
fn an_outcome_that_cannot_be_recorded_still_reaches_the_operator_and_closes_later() {
    let h = Harness::new().with_call();
    let slot = h.slot(CALL).unwrap();
    slot.storage.fail_statements("UPDATE actions SET status");
    let response = h.act("hangup", json!({}));
    assert_eq!(
        response.status, 200,
        "Telnyx's answer still reaches the operator"
    );
    slot.storage.heal();
    assert_eq!(h.actions()[0]["status"], "pending");
    assert!(h.log.text().contains("not recorded"), "{}", h.log.text());
    // The object's alarm closes it; it is never sent again.
    h.advance(60_000);
    let action = &h.actions()[0];
    assert_eq!(action["status"], "failed");
    assert!(action["error"]
        .as_str()
        .unwrap()
        .starts_with("no outcome was recorded"));
    assert_eq!(h.sent().len(), 1);
}

#[test]
fn the_api_key_never_reaches_the_logs() {
    let h = Harness::new().with_call();
    h.telnyx
        .then(Reply::error(500, "1", "x"))
        .then(Reply::error(401, "10009", "Authentication failed"));
    h.act(
        "refer",
        json!({"sip_address": "sip:a@b.example", "sip_auth_password": "hunter2"}),
    );
    let logs = h.log.text();
    assert!(logs.contains("retry_scheduled"), "{logs}");
    assert!(!logs.contains(API_KEY), "{logs}");
    assert!(!logs.contains("hunter2"), "{logs}");
}
