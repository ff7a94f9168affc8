//! Automations over in-memory ports and the fake Telnyx: matching, templates, limits,
//! derived command ids, order, duplicates, the work queue and the scheduled sweep.

mod support;

use serde_json::{json, Value};

use support::deliveries::set_payload;
use support::fake_telnyx::{Recorded, Reply};
use support::harness::*;
use telnyx_edge::app::actions::MAX_SEND_ROUNDS;
use telnyx_edge::app::sweep::STALE_AFTER_MILLIS;
use telnyx_edge::domain::automations::command_id;

impl Harness {
    fn with_rules(rules: Value) -> Self {
        Self::with_vars(&[("AUTOMATIONS", &json!({ "rules": rules }).to_string())])
    }

    fn accepted(&self, body: &Value) {
        let response = self.deliver(body);
        assert_eq!(response.status, 200, "{}", response.body);
        assert_eq!(json_of(&response)["status"], "accepted");
    }

    fn sent(&self) -> Vec<Recorded> {
        self.telnyx.requests()
    }

    fn sent_actions(&self) -> Vec<String> {
        self.sent().iter().map(|r| r.action().to_owned()).collect()
    }

    fn actions(&self) -> Vec<Value> {
        self.state(CALL)["actions"].as_array().unwrap().clone()
    }

    fn work_items(&self) -> Vec<String> {
        self.kv
            .keys()
            .into_iter()
            .filter(|k| k.starts_with("work:"))
            .collect()
    }

    fn after_stale(&self) {
        self.clock.advance(STALE_AFTER_MILLIS as u64 + 1_000);
    }
}

fn dtmf(id: &str, second: u32, digit: &str) -> Value {
    let mut body = event("call.dtmf.received", id, second);
    set_payload(&mut body, "digit", json!(digit));
    body
}

fn siprec_start() -> Value {
    json!({"action": "siprec_start", "params": {"connector_name": "recorder"}})
}

/// An action whose Telnyx body takes a `command_id`.
fn answer() -> Value {
    json!({"action": "answer", "params": {"client_state": "aW5ib3VuZA=="}})
}

fn fail_503() -> Reply {
    Reply::error(503, "90001", "Service unavailable")
}

// --- running after the response ------------------------------------------------------

#[test]
fn the_response_comes_first_and_the_actions_after_it() {
    let h = Harness::with_rules(json!([{"name": "record", "on": ["call.answered"],
        "do": [answer()]}]));
    let handled = h.deliver_only(&event("call.answered", "ev-1", 1));
    assert_eq!(handled.response.status, 200);
    assert!(h.sent().is_empty(), "nothing is sent before the response");
    assert_eq!(
        h.work_items().len(),
        1,
        "the owed automations are on record"
    );

    h.follow_up(handled.follow_up.expect("automations are owed"));
    assert_eq!(h.sent_actions(), ["answer"]);
    let actions = h.actions();
    assert_eq!(actions[0]["status"], "succeeded");
    assert_eq!(actions[0]["rule"], "record");
    assert_eq!(actions[0]["command_id"], command_id("ev-1", "record", 0));
    assert!(
        h.work_items().is_empty(),
        "finished work leaves nothing behind"
    );
}

#[test]
fn actions_go_out_in_rule_order_then_action_order_with_derived_command_ids() {
    let h = Harness::with_rules(json!([
        {"name": "first", "on": ["call.answered"], "do": [
            {"action": "suppression_start", "params": {"direction": "both"}}, {"action": "hangup"}]},
        {"name": "second", "on": ["call.answered"], "do": [
            {"action": "client_state_update", "params": {"client_state": "YQ=="}}]},
        {"name": "other-event", "on": ["call.bridged"], "do": [{"action": "hangup"}]},
    ]));
    h.accepted(&event("call.answered", "ev-1", 1));
    assert_eq!(
        h.sent_actions(),
        ["suppression_start", "hangup", "client_state_update"]
    );
    assert_eq!(h.sent()[2].method, "PUT");
    let derived = [
        command_id("ev-1", "first", 0),
        command_id("ev-1", "first", 1),
        command_id("ev-1", "second", 0),
    ];
    // Sent where the Telnyx body takes one; recorded for every action.
    let sent_ids: Vec<Value> = h
        .sent()
        .iter()
        .map(|r| r.json()["command_id"].clone())
        .collect();
    assert_eq!(
        sent_ids,
        [json!(derived[0]), json!(derived[1]), Value::Null]
    );
    let state = h.state(CALL);
    let recorded: Vec<(&Value, &Value)> = state["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (&a["rule"], &a["command_id"]))
        .collect();
    assert_eq!(
        recorded,
        [
            (&json!("first"), &json!(derived[0])),
            (&json!("first"), &json!(derived[1])),
            (&json!("second"), &json!(derived[2])),
        ]
    );
    assert_eq!(state["noise_suppression"]["status"], "active");
    assert_eq!(state["client_state"], "YQ==");
}

// --- matching -------------------------------------------------------------------------

#[test]
fn conditions_test_the_payload_and_event_type() {
    let h = Harness::with_rules(json!([{"name": "barge-on-1", "on": ["call.dtmf.received"],
        "if": {"payload.digit": ["1", "#"], "event_type": "call.dtmf.received"},
        "do": [{"action": "switch_supervisor_role", "params": {"role": "barge"}}]}]));
    h.accepted(&dtmf("d-1", 1, "2"));
    assert!(h.sent().is_empty());
    h.accepted(&dtmf("d-2", 2, "#"));
    assert_eq!(h.sent_actions(), ["switch_supervisor_role"]);
    assert_eq!(h.sent()[0].json()["role"], "barge");
}

#[test]
fn state_conditions_see_the_call_as_it_was_before_the_event() {
    let h = Harness::with_rules(
        json!([{"name": "only-after-answer", "on": ["call.dtmf.received"],
        "if": {"state.status": "answered"}, "do": [{"action": "hangup"}]}]),
    );
    h.accepted(&event("call.initiated", "ev-init", 1));
    h.accepted(&dtmf("d-early", 2, "1"));
    assert!(h.sent().is_empty(), "the call was only initiated");
    h.accepted(&event("call.answered", "ev-answered", 3));
    h.accepted(&dtmf("d-late", 4, "1"));
    assert_eq!(h.sent_actions(), ["hangup"]);
}

#[test]
fn the_state_before_follows_occurred_at_not_delivery_order() {
    let h = Harness::with_rules(json!([{"name": "record-if-up", "on": ["call.answered"],
        "if": {"state.status": "initiated"}, "do": [siprec_start()]}]));
    // Delivered late, but it happened first: the answer still came before the hangup.
    h.accepted(&event("call.hangup", "ev-hangup", 30));
    h.accepted(&event("call.initiated", "ev-init", 1));
    h.accepted(&event("call.answered", "ev-answered", 2));
    assert_eq!(h.sent_actions(), ["siprec_start"]);
}

#[test]
fn either_siprec_spelling_sets_off_a_rule() {
    for (on, delivered) in [
        ("siprec.failed", "call.siprec.failed"),
        ("call.siprec.failed", "siprec.failed"),
    ] {
        let h = Harness::with_rules(json!([{"name": "retry", "on": [on], "do": [siprec_start()]}]));
        h.accepted(&event(delivered, "ev-failed", 1));
        assert_eq!(h.sent_actions(), ["siprec_start"], "{on} vs {delivered}");
    }
}

#[test]
fn events_without_a_listening_rule_cost_no_extra_writes() {
    let quiet = Harness::new();
    quiet.accepted(&event("call.bridged", "ev-1", 1));
    let h = Harness::with_rules(
        json!([{"name": "r", "on": ["call.answered"], "do": [siprec_start()]}]),
    );
    h.accepted(&event("call.bridged", "ev-1", 1));
    assert_eq!(h.kv.writes(), quiet.kv.writes());
    assert!(h.sent().is_empty());
}

// --- templates ------------------------------------------------------------------------

#[test]
fn templates_are_filled_from_the_payload_and_the_state() {
    let h = Harness::with_rules(json!([
        {"name": "echo", "on": ["call.dtmf.received"],
         "do": [{"action": "send_dtmf", "params": {"digits": "{{payload.digit}}w{{ payload.digit }}"}}]},
        {"name": "failover", "on": ["call.refer.failed"],
         "do": [{"action": "refer", "params": {"sip_address": "sip:backup@pbx.example.com",
            "custom_headers": [{"name": "X-From", "value": "{{state.refer.sip_address}}"},
                               {"name": "X-Why", "value": "{{payload.sip_notify_response}}"}]}}]},
    ]));
    h.accepted(&event("call.answered", "ev-answered", 1));
    let operator_refer = h.operator_action(
        "refer",
        &json!({"sip_address": "sip:primary@pbx.example.com"}),
    );
    assert_eq!(operator_refer.status, 200);
    h.accepted(&dtmf("d-1", 2, "7"));
    h.accepted(&event("call.refer.failed", "ev-refer-failed", 3));

    let sent = h.sent();
    assert_eq!(sent[1].json()["digits"], "7w7");
    assert_eq!(
        sent[2].json()["custom_headers"],
        json!([{"name": "X-From", "value": "sip:primary@pbx.example.com"},
               {"name": "X-Why", "value": "603"}])
    );
}

#[test]
fn a_template_with_no_value_is_a_recorded_failure_and_the_rest_still_runs() {
    let h = Harness::with_rules(
        json!([{"name": "echo", "on": ["call.dtmf.received"], "do": [
        {"action": "send_dtmf", "params": {"digits": "{{payload.missing}}"}},
        {"action": "send_dtmf", "params": {"digits": "{{payload.digit}}"}}]}]),
    );
    h.accepted(&event("call.answered", "ev-answered", 1));
    h.accepted(&dtmf("d-1", 2, "9"));
    assert_eq!(
        h.sent().len(),
        1,
        "only the action that could be built is sent"
    );
    assert_eq!(h.sent()[0].json()["digits"], "9");
    let actions = h.actions();
    assert_eq!(actions[0]["status"], "failed");
    assert_eq!(actions[0]["rule"], "echo");
    assert_eq!(actions[0]["http_status"], Value::Null);
    assert!(actions[0]["error"]
        .as_str()
        .unwrap()
        .contains("payload.missing"));
    assert_eq!(actions[1]["status"], "succeeded");
    assert!(h.work_items().is_empty());
}

#[test]
fn a_rendered_body_that_breaks_a_rule_is_not_sent() {
    let h = Harness::with_rules(json!([{"name": "echo", "on": ["call.dtmf.received"],
        "do": [{"action": "send_dtmf", "params": {"digits": "{{payload.digit}}"}}]}]));
    h.accepted(&event("call.answered", "ev-answered", 1));
    h.accepted(&dtmf("d-1", 2, "x"));
    assert!(h.sent().is_empty());
    let error = h.actions()[0]["error"].as_str().unwrap().to_owned();
    assert!(error.starts_with("invalid_parameter: /digits"), "{error}");
}

// --- limits, duplicates, exactly once ------------------------------------------------

#[test]
fn limit_per_call_counts_what_was_recorded() {
    let h = Harness::with_rules(json!([{"name": "retry", "on": ["siprec.failed"],
        "limit_per_call": 2, "do": [siprec_start()]}]));
    h.accepted(&event("call.answered", "ev-answered", 1));
    // A failed firing counts as much as a successful one.
    h.telnyx
        .then(Reply::error(422, "90018", "Call has already ended"));
    for (n, id) in ["f-1", "f-2", "f-3"].iter().enumerate() {
        h.accepted(&event("siprec.failed", id, 2 + n as u32));
    }
    assert_eq!(h.sent_actions(), ["siprec_start", "siprec_start"]);

    // Another call has its own count.
    let other = "v3:another-call";
    let mut body = event("siprec.failed", "f-other", 5);
    set_payload(&mut body, "call_control_id", json!(other));
    h.accepted(&body);
    assert_eq!(h.sent().len(), 3);
    assert!(h.sent()[2].path.contains("another-call"));
}

#[test]
fn a_duplicate_delivery_triggers_nothing() {
    let h = Harness::with_rules(
        json!([{"name": "record", "on": ["call.answered"], "do": [siprec_start()]}]),
    );
    let body = event("call.answered", "ev-1", 1);
    h.accepted(&body);
    let writes = h.kv.writes();
    let again = h.deliver(&body);
    assert_eq!(json_of(&again)["status"], "duplicate");
    assert_eq!(h.sent().len(), 1);
    assert_eq!(h.kv.writes(), writes);
}

#[test]
fn a_failed_work_write_refuses_the_delivery_and_the_redelivery_runs_it_once() {
    let h = Harness::with_rules(
        json!([{"name": "record", "on": ["call.answered"], "do": [siprec_start()]}]),
    );
    h.kv.fail_puts("work:", 1);
    let body = event("call.answered", "ev-1", 1);
    assert_error(&h.deliver(&body), 500, "storage_unavailable");
    assert!(h.sent().is_empty());
    h.accepted(&body);
    assert_eq!(h.sent_actions(), ["siprec_start"]);
}

#[test]
fn a_redelivery_after_the_run_never_sends_a_command_twice() {
    let h = Harness::with_rules(
        json!([{"name": "record", "on": ["call.answered"], "do": [siprec_start()]}]),
    );
    // The run happens, but marking the event seen fails: Telnyx will deliver it again.
    let body = event("call.answered", "ev-1", 1);
    h.kv.fail_puts("event:", 1);
    assert_error(&h.deliver(&body), 500, "storage_unavailable");
    h.clock.advance(5_000);
    h.accepted(&body);
    h.after_stale();
    // The first delivery's work item is planned again, and finds everything recorded.
    let report = h.sweep();
    assert_eq!(report.replanned, 1, "{report:?}");
    assert_eq!(h.sent_actions(), ["siprec_start"]);
    assert!(h.work_items().is_empty());
}

// --- the scheduled sweep --------------------------------------------------------------

#[test]
fn a_retryable_failure_is_sent_again_by_the_sweep_with_the_same_command_id() {
    let h =
        Harness::with_rules(json!([{"name": "record", "on": ["call.answered"], "do": [answer()]}]));
    h.telnyx.always(fail_503());
    h.accepted(&event("call.answered", "ev-1", 1));
    let first_round = h.sent().len();
    assert_eq!(h.actions()[0]["status"], "failed");
    assert_eq!(h.work_items().len(), 1, "kept for the sweep");

    h.telnyx.always(Reply::ok());
    let report = h.sweep();
    assert_eq!(report.resent, 1, "{report:?}");
    assert_eq!(h.sent().len(), first_round + 1);
    let expected = command_id("ev-1", "record", 0);
    assert!(h.sent().iter().all(|r| r.json()["command_id"] == expected));
    let actions = h.actions();
    assert_eq!(actions.len(), 1, "one action, its newest phase");
    assert_eq!(actions[0]["status"], "succeeded");
    assert!(h.work_items().is_empty());
    assert_eq!(h.sweep().examined, 0);
}

#[test]
fn the_sweep_gives_up_after_the_bounded_rounds_and_says_so() {
    let h = Harness::with_rules(
        json!([{"name": "record", "on": ["call.answered"], "do": [siprec_start()]}]),
    );
    h.telnyx.always(fail_503());
    h.accepted(&event("call.answered", "ev-1", 1));
    let per_round = h.sent().len();
    for _ in 1..MAX_SEND_ROUNDS {
        assert_eq!(h.sweep().resent, 1);
    }
    assert_eq!(h.sent().len(), per_round * MAX_SEND_ROUNDS as usize);
    let action = &h.actions()[0];
    assert_eq!(action["status"], "failed");
    assert_eq!(action["http_status"], 503);
    let error = action["error"].as_str().unwrap();
    assert!(
        error.contains(&format!("gave up after {MAX_SEND_ROUNDS} attempts")),
        "{error}"
    );
    assert!(h.work_items().is_empty());
    h.sweep();
    assert_eq!(
        h.sent().len(),
        per_round * MAX_SEND_ROUNDS as usize,
        "nothing more"
    );
}

#[test]
fn a_final_failure_is_not_retried() {
    let h = Harness::with_rules(
        json!([{"name": "record", "on": ["call.answered"], "do": [siprec_start()]}]),
    );
    h.telnyx
        .always(Reply::error(422, "90018", "Call has already ended"));
    h.accepted(&event("call.answered", "ev-1", 1));
    assert!(h.work_items().is_empty());
    h.after_stale();
    h.sweep();
    assert_eq!(h.sent().len(), 1);
    assert_eq!(h.actions()[0]["http_status"], 422);
}

#[test]
fn automations_whose_run_never_happened_are_planned_by_the_sweep() {
    let h =
        Harness::with_rules(json!([{"name": "record", "on": ["call.answered"], "do": [answer()]}]));
    // The runtime ended the request right after its response: no follow-up ran.
    let handled = h.deliver_only(&event("call.answered", "ev-1", 1));
    assert_eq!(handled.response.status, 200);
    assert_eq!(h.sweep().waiting, 1, "it may still be running");
    h.after_stale();
    assert_eq!(h.sweep().replanned, 1);
    assert_eq!(h.sent_actions(), ["answer"]);
    assert_eq!(
        h.sent()[0].json()["command_id"],
        command_id("ev-1", "record", 0)
    );
    assert!(h.work_items().is_empty());
}

#[test]
fn an_action_left_pending_is_sent_again_with_its_command_id() {
    let h =
        Harness::with_rules(json!([{"name": "record", "on": ["call.answered"], "do": [answer()]}]));
    // Sent, but the outcome could not be written: it looks like a run that died.
    h.kv.fail_puts_after(&format!("call:{}:action:", CALL.replace(':', "%3A")), 1, 1);
    h.accepted(&event("call.answered", "ev-1", 1));
    assert_eq!(h.actions()[0]["status"], "pending");
    assert_eq!(h.sweep().waiting, 1);
    h.after_stale();
    assert_eq!(h.sweep().resent, 1);
    let sent = h.sent();
    assert_eq!(sent.len(), 2);
    let expected = command_id("ev-1", "record", 0);
    assert!(sent.iter().all(|r| r.json()["command_id"] == expected));
    assert_eq!(h.actions()[0]["status"], "succeeded");
    assert!(h.work_items().is_empty());
}

#[test]
fn an_operator_action_left_pending_is_closed_as_failed_not_sent_again() {
    let h = Harness::new();
    h.accepted(&event("call.answered", "ev-1", 1));
    h.kv.fail_puts_after(&format!("call:{}:action:", CALL.replace(':', "%3A")), 1, 1);
    let response = h.operator_action("hangup", &json!({}));
    assert_eq!(response.status, 200);
    h.after_stale();
    h.sweep();
    assert_eq!(h.sent().len(), 1);
    let action = &h.actions()[0];
    assert_eq!(action["status"], "failed");
    assert!(action["error"]
        .as_str()
        .unwrap()
        .contains("no outcome was recorded"));
    assert_eq!(action["rule"], Value::Null);
    assert!(h.work_items().is_empty());
}

#[test]
fn without_an_api_key_automation_actions_fail_once_and_are_not_retried() {
    let rules =
        json!({"rules": [{"name": "record", "on": ["call.answered"], "do": [siprec_start()]}]});
    let h = Harness::with_vars(&[("AUTOMATIONS", &rules.to_string()), ("TELNYX_API_KEY", "")]);
    h.accepted(&event("call.answered", "ev-1", 1));
    h.after_stale();
    h.sweep();
    assert!(h.sent().is_empty());
    let action = &h.actions()[0];
    assert_eq!(action["status"], "failed");
    assert!(action["error"].as_str().unwrap().contains("TELNYX_API_KEY"));
    assert!(h.work_items().is_empty());
}

// --- configuration --------------------------------------------------------------------

#[test]
fn health_counts_the_rules() {
    let h = Harness::with_rules(json!([
        {"name": "a", "on": ["call.answered"], "do": [siprec_start()]},
        {"name": "b", "on": ["call.bridged"], "do": [{"action": "hangup"}]},
    ]));
    let health = json_of(&h.get("/health", None));
    assert_eq!(health["status"], "ok");
    assert_eq!(health["config"]["automations"], 2);
}

#[test]
fn an_invalid_configuration_disables_every_rule_but_never_webhooks() {
    let h = Harness::with_rules(json!([
        {"name": "fine", "on": ["call.answered"], "do": [siprec_start()]},
        {"name": "broken", "on": ["call.answered"], "do": [
            {"action": "switch_supervisor_role", "params": {"role": "boss"}}]},
    ]));
    let health = json_of(&h.get("/health", None));
    assert_eq!(health["status"], "misconfigured");
    assert_eq!(health["config"]["automations"], 0);
    let reason = health["reason"].as_str().unwrap();
    assert!(reason.contains("rule \"broken\""), "{reason}");
    assert!(reason.contains("/rules/1/do/0/params/role"), "{reason}");

    h.accepted(&event("call.answered", "ev-1", 1));
    assert!(h.sent().is_empty(), "not even the valid rule runs");
    assert!(h.work_items().is_empty());
    assert!(h.log.text().contains("AUTOMATIONS is invalid"));
}

#[test]
fn a_configuration_that_is_not_json_is_reported() {
    let h = Harness::with_vars(&[("AUTOMATIONS", "rules = []")]);
    let health = json_of(&h.get("/health", None));
    assert_eq!(health["status"], "misconfigured");
    assert!(health["reason"]
        .as_str()
        .unwrap()
        .contains("not valid JSON"));
}
