//! Automations over in-memory ports, the call objects on real SQLite and the fake
//! Telnyx: matching, templates, limits, derived command ids, order, duplicates,
//! planning one event at a time, and the outbox's retry table on a manual clock.

mod support;

use serde_json::{json, Value};

use support::deliveries::set_payload;
use support::fake_telnyx::Reply;
use support::harness::*;
use telnyx_edge::domain::automations::command_id;
use telnyx_edge::domain::retry::RESEND_WINDOW_MS;
use telnyx_edge::ports::Clock;

impl Harness {
    fn with_rules(rules: Value) -> Self {
        Self::with_vars(&[("AUTOMATIONS", &json!({ "rules": rules }).to_string())])
    }

    fn sent_actions(&self) -> Vec<String> {
        self.sent().iter().map(|r| r.action().to_owned()).collect()
    }

    fn actions(&self) -> Vec<Value> {
        self.state(CALL)["actions"].as_array().unwrap().clone()
    }

    /// Actions still pending on the call.
    fn open_actions(&self) -> usize {
        self.actions()
            .iter()
            .filter(|a| a["status"] == "pending")
            .count()
    }

    /// Every request's command id, in order.
    fn sent_command_ids(&self) -> Vec<Value> {
        self.sent()
            .iter()
            .map(|r| r.json()["command_id"].clone())
            .collect()
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
fn the_response_comes_first_and_the_alarm_sends_the_actions_after_it() {
    let h = Harness::with_rules(json!([{"name": "record", "on": ["call.answered"],
        "do": [answer()]}]));
    let response = h.deliver_only(&event("call.answered", "ev-1", 1));
    assert_eq!(response.status, 200);
    assert!(h.sent().is_empty(), "nothing is sent before the response");
    assert_eq!(
        h.slot(CALL).unwrap().storage.alarm(),
        Some(NOW * 1000),
        "the object's alarm is set for now"
    );
    assert!(
        h.actions().is_empty(),
        "planned by the alarm, not the request"
    );

    assert!(h.run_alarms() >= 1);
    assert_eq!(h.sent_actions(), ["answer"]);
    let actions = h.actions();
    assert_eq!(actions[0]["status"], "succeeded");
    assert_eq!(actions[0]["rule"], "record");
    assert_eq!(actions[0]["command_id"], command_id("ev-1", "record", 0));
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
    // client_state_update takes no command_id at Telnyx, so none is recorded.
    assert_eq!(
        recorded,
        [
            (&json!("first"), &json!(derived[0])),
            (&json!("first"), &json!(derived[1])),
            (&json!("second"), &Value::Null),
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
    assert_eq!(
        h.objects.counts().rows_written,
        quiet.objects.counts().rows_written
    );
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
    assert_eq!(h.open_actions(), 0);
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
    let stored = (h.kv.writes(), h.objects.call_records());
    let again = h.deliver(&body);
    assert_eq!(json_of(&again)["status"], "duplicate");
    assert_eq!(h.sent().len(), 1);
    assert_eq!((h.kv.writes(), h.objects.call_records()), stored);
}

#[test]
fn copies_delivered_before_any_alarm_are_accepted_once_and_planned_once() {
    let h = Harness::with_rules(
        json!([{"name": "record", "on": ["call.answered"], "do": [siprec_start()]}]),
    );
    let body = event("call.answered", "ev-1", 1);
    let statuses: Vec<Value> = (0..5)
        .map(|_| json_of(&h.deliver_only(&body))["status"].clone())
        .collect();
    assert_eq!(
        statuses,
        [
            "accepted",
            "duplicate",
            "duplicate",
            "duplicate",
            "duplicate"
        ]
    );
    h.advance(60_000);
    assert_eq!(
        h.sent_actions(),
        ["siprec_start"],
        "sent once, with no command_id"
    );
}

#[test]
fn events_of_one_call_are_planned_one_at_a_time_so_limits_are_exact() {
    let h = Harness::with_rules(json!([{"name": "retry", "on": ["siprec.failed"],
        "limit_per_call": 3, "do": [siprec_start()]}]));
    h.accepted(&event("call.answered", "ev-answered", 1));
    // All at once, as Telnyx may deliver them: each plan sees what the others recorded.
    for n in 0..6 {
        let id = format!("failed-{n}");
        assert_eq!(
            json_of(&h.deliver_only(&event("siprec.failed", &id, 2 + n)))["status"],
            "accepted"
        );
    }
    h.advance(60_000);
    assert_eq!(h.sent_actions(), ["siprec_start"; 3]);
    let triggers: Vec<String> = h
        .slot(CALL)
        .map(|slot| {
            let rows: Vec<serde_json::Map<String, Value>> =
                telnyx_edge::ports::ObjectStorage::query(
                    &slot.storage,
                    "SELECT trigger FROM actions ORDER BY seq",
                    &[],
                )
                .unwrap();
            rows.iter()
                .map(|r| r["trigger"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap();
    assert_eq!(
        triggers,
        ["failed-0", "failed-1", "failed-2"],
        "planned in the order they were accepted"
    );
}

#[test]
fn operator_actions_are_recorded_in_the_calls_order_with_the_automations() {
    let h =
        Harness::with_rules(json!([{"name": "record", "on": ["call.answered"], "do": [answer()]}]));
    h.telnyx.then(fail_503());
    h.accepted(&event("call.answered", "ev-1", 1));
    // The operator is answered at once, while the automation waits for its retry.
    assert_eq!(h.operator_action("hangup", &json!({})).status, 200);
    assert_eq!(h.sent_actions(), ["answer", "hangup"]);
    h.advance(2_000);
    assert_eq!(h.sent_actions(), ["answer", "hangup", "answer"]);
    let recorded: Vec<(String, Value)> = h
        .actions()
        .iter()
        .map(|a| (a["action"].as_str().unwrap().to_owned(), a["rule"].clone()))
        .collect();
    assert_eq!(
        recorded,
        [
            ("answer".to_owned(), json!("record")),
            ("hangup".to_owned(), Value::Null)
        ]
    );
}

// --- planning sees the call as its earlier actions will leave it ----------------------

/// The shipped DTMF supervisor rules, in short: `*` arms, `1` barges when armed.
fn supervisor_rules() -> Value {
    json!([
        {"name": "arm", "on": ["call.dtmf.received"], "if": {"payload.digit": "*"},
         "do": [{"action": "client_state_update", "params": {"client_state": "YXJtZWQ="}}]},
        {"name": "barge", "on": ["call.dtmf.received"],
         "if": {"payload.digit": "1", "state.client_state": "YXJtZWQ="},
         "do": [{"action": "switch_supervisor_role", "params": {"role": "barge"}}]},
    ])
}

#[test]
fn star_then_one_typed_within_telnyxs_answer_time_barges() {
    let h = Harness::with_rules(supervisor_rules());
    h.accepted(&event("call.answered", "ev-answered", 1));
    // Telnyx takes 500 ms to answer each command; the digits arrive 150 ms apart.
    h.telnyx.always(Reply::ok().delayed(500));
    h.deliver_only(&dtmf("d-star", 2, "*"));
    h.clock.advance(150);
    h.deliver_only(&dtmf("d-one", 3, "1"));
    h.advance(5_000);
    assert_eq!(
        h.sent_actions(),
        ["client_state_update", "switch_supervisor_role"]
    );
    assert_eq!(h.state(CALL)["supervisor_role"], "barge");
}

#[test]
fn planning_waits_for_the_outcome_of_an_open_action_and_sees_a_failure() {
    let h = Harness::with_rules(supervisor_rules());
    h.accepted(&event("call.answered", "ev-answered", 1));
    h.telnyx
        .then(Reply::error(422, "90018", "Call has already ended"));
    h.deliver_only(&dtmf("d-star", 2, "*"));
    h.deliver_only(&dtmf("d-one", 3, "1"));
    h.advance(5_000);
    assert_eq!(
        h.sent_actions(),
        ["client_state_update"],
        "not armed: no barge"
    );
}

#[test]
fn planning_waits_at_most_two_seconds_then_counts_the_planned_effect() {
    let h = Harness::with_rules(supervisor_rules());
    h.accepted(&event("call.answered", "ev-answered", 1));
    // Telnyx rate-limits the arming update for a while; it is retried.
    let limited = || Reply::error(429, "10011", "Too many requests").retry_after("3");
    h.telnyx.then(limited()).then(limited());
    h.deliver_only(&dtmf("d-star", 2, "*"));
    h.deliver_only(&dtmf("d-one", 3, "1"));
    h.run_alarms();
    assert_eq!(
        h.actions().len(),
        1,
        "the digit waits for the update's outcome"
    );
    h.advance(2_100);
    let actions = h.actions();
    assert_eq!(
        actions.len(),
        2,
        "planned after 2 s, counting the update as done"
    );
    assert_eq!(actions[1]["action"], "switch_supervisor_role");
    assert_eq!(
        actions[1]["status"], "pending",
        "held behind the update, in order"
    );
    h.advance(60_000);
    assert_eq!(
        h.sent_actions().last().map(String::as_str),
        Some("switch_supervisor_role")
    );
}

// --- the outbox: sent by the object's alarm, by the retry table -----------------------

#[test]
fn a_5xx_is_resent_by_the_alarm_with_the_same_command_id() {
    let h =
        Harness::with_rules(json!([{"name": "record", "on": ["call.answered"], "do": [answer()]}]));
    h.telnyx.then(fail_503());
    h.accepted(&event("call.answered", "ev-1", 1));
    assert_eq!(h.sent().len(), 1);
    let action = &h.actions()[0];
    assert_eq!(action["status"], "pending", "open until final");
    assert_eq!(action["http_status"], 503);
    h.advance(1_000);
    assert_eq!(
        h.sent().len(),
        2,
        "resent by the alarm, about a second later"
    );
    let expected = json!(command_id("ev-1", "record", 0));
    assert_eq!(h.sent_command_ids(), [expected.clone(), expected]);
    assert_eq!(h.actions()[0]["status"], "succeeded");
}

#[test]
fn an_alarm_that_is_late_is_not_put_off_by_the_next_event() {
    let h =
        Harness::with_rules(json!([{"name": "record", "on": ["call.answered"], "do": [answer()]}]));
    h.telnyx.then(fail_503());
    h.accepted(&event("call.answered", "ev-1", 1));
    let retry_at = h
        .slot(CALL)
        .unwrap()
        .storage
        .alarm()
        .expect("the resend's alarm");
    // The runtime is late with that alarm (under load, or `wrangler dev` dropped it);
    // meanwhile an event that owes nothing asks for the dashboard's backstop, a minute
    // on. The alarm stays due, and runs right after that event's answer.
    h.clock.advance(2_500);
    h.accepted(&event("call.dtmf.received", "ev-2", 2));
    assert_eq!(
        h.sent().len(),
        2,
        "the resend due {} ms ago was put off",
        h.clock.now_millis() - retry_at
    );
    assert_eq!(h.actions()[0]["status"], "succeeded");
}

#[test]
fn a_command_that_may_have_run_is_resent_only_within_the_command_id_window() {
    let h =
        Harness::with_rules(json!([{"name": "record", "on": ["call.answered"], "do": [answer()]}]));
    h.telnyx.always(fail_503());
    let start = h.clock.now_millis();
    h.accepted(&event("call.answered", "ev-1", 1));
    let mut times = vec![h.clock.now_millis()];
    let mut seen = 1;
    for _ in 0..600 {
        h.advance(100);
        if h.sent().len() > seen {
            seen = h.sent().len();
            times.push(h.clock.now_millis());
        }
    }
    assert!(seen >= 4, "{seen} attempts");
    let last_resend = times.last().unwrap() - start;
    assert!(
        last_resend <= RESEND_WINDOW_MS as i64,
        "resent {last_resend} ms after the first attempt"
    );
    let action = &h.actions()[0];
    assert_eq!(action["status"], "failed");
    let error = action["error"].as_str().unwrap();
    assert!(error.contains("outcome unknown"), "{error}");
    // Long after: never sent blindly again.
    h.advance(10 * 60_000);
    assert_eq!(h.sent().len(), seen);
    let ids: std::collections::HashSet<String> = h
        .sent_command_ids()
        .iter()
        .map(|id| id.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 1, "one command_id on every attempt");
}

#[test]
fn once_it_may_have_run_a_later_429_cannot_stretch_the_window() {
    let h =
        Harness::with_rules(json!([{"name": "record", "on": ["call.answered"], "do": [answer()]}]));
    h.telnyx
        .then(fail_503())
        .then(Reply::error(429, "10011", "Too many requests").retry_after("70"));
    h.accepted(&event("call.answered", "ev-1", 1));
    h.advance(10 * 60_000);
    assert_eq!(
        h.sent().len(),
        2,
        "not sent a third time, 70 s after the first"
    );
    let error = h.actions()[0]["error"].as_str().unwrap().to_owned();
    assert!(error.contains("outcome unknown"), "{error}");
}

#[test]
fn a_resend_that_comes_due_too_late_is_closed_not_sent() {
    let h =
        Harness::with_rules(json!([{"name": "record", "on": ["call.answered"], "do": [answer()]}]));
    h.telnyx.then(fail_503());
    h.accepted(&event("call.answered", "ev-1", 1));
    // Storage fails every attempt to send it again, past the 60 s window.
    let slot = h.slot(CALL).unwrap();
    slot.storage.fail_statements("attempts = attempts + 1");
    h.advance(70_000);
    slot.storage.heal();
    h.advance(60_000);
    assert_eq!(h.sent().len(), 1, "never resent outside the window");
    let action = &h.actions()[0];
    assert_eq!(action["status"], "failed");
    let error = action["error"].as_str().unwrap();
    assert!(error.starts_with("telnyx 503"), "{error}");
    assert!(error.contains("outcome unknown"), "{error}");
}

#[test]
fn an_action_without_a_command_id_is_never_resent_after_a_5xx_or_timeout() {
    for reply in [
        fail_503(),
        Reply::ok().delayed(60_000),
        Reply::network_error(),
    ] {
        let h = Harness::with_rules(
            json!([{"name": "record", "on": ["call.answered"], "do": [siprec_start()]}]),
        );
        h.telnyx.then(reply.clone());
        h.accepted(&event("call.answered", "ev-1", 1));
        h.advance(10 * 60_000);
        assert_eq!(h.sent().len(), 1, "{reply:?}");
        let error = h.actions()[0]["error"].as_str().unwrap().to_owned();
        assert!(error.contains("no command_id"), "{error}");
    }
}

#[test]
fn what_did_not_run_is_retried_until_the_deadline_honouring_retry_after() {
    let h =
        Harness::with_rules(json!([{"name": "record", "on": ["call.answered"], "do": [answer()]}]));
    h.telnyx
        .then(Reply::error(429, "10011", "Too many requests").retry_after("20"))
        .then(Reply::unreached());
    h.accepted(&event("call.answered", "ev-1", 1));
    h.advance(19_000);
    assert_eq!(h.sent().len(), 1, "Retry-After is honoured");
    h.advance(2_000);
    assert_eq!(h.sent().len(), 2);
    h.advance(5_000);
    assert_eq!(h.sent().len(), 3);
    assert_eq!(h.actions()[0]["status"], "succeeded");

    // A limit that never lifts: retried for 5 minutes, past the 60 s window, then given up.
    let h =
        Harness::with_rules(json!([{"name": "record", "on": ["call.answered"], "do": [answer()]}]));
    h.telnyx
        .always(Reply::error(429, "10011", "Too many requests"));
    h.accepted(&event("call.answered", "ev-1", 1));
    h.advance(4 * 60_000);
    assert_eq!(h.open_actions(), 1, "still trying after 4 minutes");
    h.advance(2 * 60_000);
    let action = &h.actions()[0];
    assert_eq!(action["status"], "failed");
    assert!(action["error"].as_str().unwrap().contains("gave up after"));
    let attempts = h.sent().len();
    h.advance(60 * 60_000);
    assert_eq!(h.sent().len(), attempts);
}

#[test]
fn a_refusal_is_final_at_once() {
    let h =
        Harness::with_rules(json!([{"name": "record", "on": ["call.answered"], "do": [answer()]}]));
    h.telnyx
        .always(Reply::error(422, "90018", "Call has already ended"));
    h.accepted(&event("call.answered", "ev-1", 1));
    h.advance(10 * 60_000);
    assert_eq!(h.sent().len(), 1);
    let action = &h.actions()[0];
    assert_eq!(action["http_status"], 422);
    assert_eq!(
        action["error"],
        "telnyx 422 90018: Call has already ended (fake)"
    );
}

#[test]
fn later_actions_wait_behind_an_earlier_one_of_the_same_call() {
    let h = Harness::with_rules(json!([{"name": "two", "on": ["call.answered"],
        "do": [answer(), {"action": "hangup"}]}]));
    h.telnyx.then(fail_503());
    h.accepted(&event("call.answered", "ev-1", 1));
    assert_eq!(h.sent_actions(), ["answer"], "the hangup waits its turn");
    h.advance(2_000);
    assert_eq!(h.sent_actions(), ["answer", "answer", "hangup"]);
}

#[test]
fn an_attempt_out_when_the_object_restarted_is_resent_in_the_window_or_closed() {
    for (rule_action, resent) in [(answer(), true), (siprec_start(), false)] {
        let h = Harness::with_rules(json!([{"name": "record", "on": ["call.answered"],
            "do": [rule_action]}]));
        h.deliver_only(&event("call.answered", "ev-1", 1));
        // The attempt is marked out and sent, then its outcome cannot be recorded and
        // the instance goes away: the next run cannot know whether Telnyx ran it.
        let slot = h.slot(CALL).unwrap();
        slot.storage.fail_statements("UPDATE actions SET status");
        h.run_alarms();
        assert_eq!(h.sent().len(), 1);
        slot.storage.heal();
        h.objects.evict_all();
        h.advance(30_000);
        let action = &h.actions()[0];
        if resent {
            assert_eq!(h.sent().len(), 2, "resent with its command_id");
            assert_eq!(action["status"], "succeeded");
        } else {
            assert_eq!(h.sent().len(), 1, "never resent without a command_id");
            assert_eq!(action["status"], "failed");
            assert!(action["error"]
                .as_str()
                .unwrap()
                .contains("outcome unknown"));
        }
    }
}

#[test]
fn without_an_api_key_automation_actions_fail_once_and_are_not_retried() {
    let rules =
        json!({"rules": [{"name": "record", "on": ["call.answered"], "do": [siprec_start()]}]});
    let h = Harness::with_vars(&[("AUTOMATIONS", &rules.to_string()), ("TELNYX_API_KEY", "")]);
    h.accepted(&event("call.answered", "ev-1", 1));
    h.advance(10 * 60_000);
    assert!(h.sent().is_empty());
    let action = &h.actions()[0];
    assert_eq!(action["status"], "failed");
    assert!(action["error"].as_str().unwrap().contains("TELNYX_API_KEY"));
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
    h.advance(60_000);
    assert!(h.sent().is_empty(), "not even the valid rule runs");
    assert!(h.actions().is_empty());
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
