//! Each shipped automation example (`examples/automations/*.toml`) drives a whole call
//! through the pipeline and sends exactly the requests its comments promise.

mod support;

use serde_json::{json, Value};

use support::deliveries::{call_event, set_payload};
use support::examples::{automations_json, EXAMPLES};
use support::fake_telnyx::Reply;
use support::harness::*;
use telnyx_edge::domain::automations::command_id;

const INBOUND: &str = "aW5ib3VuZA==";
/// The client_state of the supervisor leg that dtmf-supervisor.toml dials: "supervisor".
const SUPERVISOR_STAMP: &str = "c3VwZXJ2aXNvcg==";
const SUPERVISOR: &str = "sip:supervisor@pbx.example.com";
const PRIMARY: &str = "sip:agents@pbx-primary.example.com";
const BACKUP: &str = "sip:agents@pbx-backup.example.com";

fn harness(example: &str) -> Harness {
    Harness::with_vars(&[("AUTOMATIONS", &automations_json(&[example]))])
}

impl Harness {
    /// Delivers a second after the last delivery: events of a call arrive apart.
    fn accepted_apart(&self, body: &Value) {
        self.clock.advance(1_000);
        self.accepted(body);
    }

    /// `(action, body)` of every request at the fake Telnyx, then forgets them.
    fn take_sent(&self) -> Vec<(String, Value)> {
        let sent = self
            .telnyx
            .requests()
            .iter()
            .map(|r| (r.action().to_owned(), r.json()))
            .collect();
        self.telnyx.clear();
        sent
    }

    fn operator(&self, action: &str, body: Value) {
        let response = self.operator_action(action, &body);
        assert_eq!(response.status, 200, "{}", response.body);
    }
}

fn with_payload(mut body: Value, field: &str, value: Value) -> Value {
    set_payload(&mut body, field, value);
    body
}

fn without_command_id(mut body: Value) -> Value {
    if let Some(map) = body.as_object_mut() {
        map.remove("command_id");
    }
    body
}

#[test]
fn every_example_is_a_valid_configuration_alone_and_all_together() {
    for example in EXAMPLES {
        let h = harness(example);
        let health = json_of(&h.get("/health", None));
        assert_eq!(health["status"], "ok", "{example}: {health}");
    }
    let all = Harness::with_vars(&[("AUTOMATIONS", &automations_json(&EXAMPLES))]);
    let health = json_of(&all.get("/health", None));
    assert_eq!(health["status"], "ok", "{health}");
    assert_eq!(health["config"]["automations"], 11);
}

#[test]
fn record_inbound_answers_inbound_calls_and_records_them_once_answered() {
    let h = harness("record-inbound.toml");
    h.accepted_apart(&event("call.initiated", "ev-init", 1));
    let sent = h.take_sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, "answer");
    assert_eq!(sent[0].1["client_state"], INBOUND);

    // Telnyx carries the stamped client_state into call.answered.
    h.accepted_apart(&with_payload(
        event("call.answered", "ev-answered", 2),
        "client_state",
        json!(INBOUND),
    ));
    let sent = h.take_sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, "siprec_start");
    assert_eq!(
        sent[0].1,
        json!({"connector_name": "recorder", "siprec_track": "both_tracks",
               "include_metadata_custom_headers": true})
    );
}

#[test]
fn record_inbound_leaves_outbound_calls_alone() {
    let h = harness("record-inbound.toml");
    h.accepted_apart(&with_payload(
        event("call.initiated", "ev-init", 1),
        "direction",
        json!("outgoing"),
    ));
    h.accepted_apart(&event("call.answered", "ev-answered", 2));
    assert!(h.take_sent().is_empty());
}

#[test]
fn siprec_retry_starts_again_at_most_three_times_and_not_after_hangup() {
    let h = harness("siprec-retry.toml");
    h.accepted_apart(&event("call.answered", "ev-answered", 1));
    for n in 0..5 {
        h.accepted_apart(&event("siprec.failed", &format!("ev-failed-{n}"), 2 + n));
    }
    let sent = h.take_sent();
    assert_eq!(sent.len(), 3, "{sent:?}");
    assert!(sent.iter().all(|(action, body)| action == "siprec_start"
        && body == &json!({"connector_name": "recorder", "siprec_track": "both_tracks"})));

    let ended = harness("siprec-retry.toml");
    ended.accepted_apart(&event("call.answered", "ev-answered", 1));
    ended.accepted_apart(&event("call.hangup", "ev-hangup", 2));
    ended.accepted_apart(&event("call.siprec.failed", "ev-failed", 3));
    assert!(ended.take_sent().is_empty());
}

#[test]
fn refer_failover_refers_to_the_backup_once() {
    let h = harness("refer-failover.toml");
    h.accepted_apart(&event("call.answered", "ev-answered", 1));
    h.operator("refer", json!({"sip_address": PRIMARY}));
    h.take_sent();
    h.accepted_apart(&event("call.refer.failed", "ev-refer-failed-1", 2));
    let sent = h.take_sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, "refer");
    assert_eq!(
        without_command_id(sent[0].1.clone()),
        json!({"sip_address": BACKUP,
               "custom_headers": [{"name": "X-Failover-From", "value": PRIMARY}]})
    );
    let state = h.state(CALL);
    assert_eq!(state["refer"]["sip_address"], BACKUP);

    // The backup fails too: no loop.
    h.accepted_apart(&event("call.refer.failed", "ev-refer-failed-2", 3));
    assert!(h.take_sent().is_empty());
}

/// A key pressed on `call`, with the call's stamp riding on it as Telnyx carries it:
/// "inbound" on the caller's `CALL`, "supervisor" on a supervisor leg.
fn pressed(call: &str, id: &str, second: u32, digit: &str) -> Value {
    let stamp = if call == CALL {
        INBOUND
    } else {
        SUPERVISOR_STAMP
    };
    let body = with_payload(
        call_event(call, "call.dtmf.received", id, second),
        "digit",
        json!(digit),
    );
    with_payload(body, "client_state", json!(stamp))
}

/// The inbound call `CALL`, answered with the "inbound" stamp of answer-inbound.
fn answered_inbound(h: &Harness) {
    h.accepted_apart(&with_payload(
        event("call.answered", "ev-answered", 1),
        "client_state",
        json!(INBOUND),
    ));
}

/// The caller presses 0: the supervisor leg that the rule dialed, its Dial's body and
/// the leg's id.
fn caller_dials_a_supervisor(h: &Harness) -> (Value, String) {
    h.accepted_apart(&pressed(CALL, "caller-0", 3, "0"));
    let sent = h.telnyx.requests();
    h.telnyx.clear();
    assert_eq!(sent.len(), 1, "one Dial: {sent:?}");
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("POST", "/v2/calls")
    );
    let leg = h.state(CALL)["supervisors"][0]["call_control_id"]
        .as_str()
        .expect("the supervisor leg")
        .to_owned();
    (sent[0].json(), leg)
}

/// The supervisor leg's own `call.initiated` and `call.answered`, as Telnyx sends them.
fn supervisor_answers(h: &Harness, leg: &str) {
    let outgoing = |event_type: &str, id: &str, second: u32| {
        let body = with_payload(
            call_event(leg, event_type, id, second),
            "client_state",
            json!(SUPERVISOR_STAMP),
        );
        with_payload(body, "direction", json!("outgoing"))
    };
    h.accepted_apart(&outgoing("call.initiated", "leg-initiated", 4));
    h.accepted_apart(&outgoing("call.answered", "leg-answered", 5));
}

#[test]
fn the_callers_zero_dials_one_supervisor_leg_in_monitor() {
    let h = harness("dtmf-supervisor.toml");
    answered_inbound(&h);
    h.accepted_apart(&pressed(CALL, "caller-1", 2, "1"));
    assert!(
        h.take_sent().is_empty(),
        "a role key on a call that is not a supervisor leg does nothing"
    );
    let (dial, leg) = caller_dials_a_supervisor(&h);
    assert_eq!(
        without_command_id(dial.clone()),
        json!({"to": SUPERVISOR, "from": "+13125550199",
               "connection_id": "2461790383128036389",
               "supervise_call_control_id": CALL, "supervisor_role": "monitor",
               "client_state": SUPERVISOR_STAMP})
    );
    assert_eq!(
        dial["command_id"],
        command_id("caller-0", "supervisor-dial", 0)
    );
    let state = h.state(CALL);
    assert_eq!(state["supervisors"][0]["role"], "monitor");
    assert_eq!(state["supervisor_role"], Value::Null);
    let leg_state = h.state(&leg);
    assert_eq!(leg_state["supervising"], CALL);
    assert_eq!(leg_state["supervisor_role"], "monitor");
    assert_eq!(leg_state["origin"]["rule"], "supervisor-dial");

    // Once per call.
    h.accepted_apart(&pressed(CALL, "caller-0-again", 6, "0"));
    assert!(h.take_sent().is_empty());
}

#[test]
fn the_caller_dials_only_from_the_stamped_inbound_leg() {
    let h = harness("dtmf-supervisor.toml");
    // Answered without the "inbound" stamp: not a caller answer-inbound answered.
    h.accepted_apart(&event("call.answered", "ev-answered", 1));
    h.accepted_apart(&pressed(CALL, "caller-0", 2, "0"));
    assert!(h.take_sent().is_empty());
}

#[test]
fn the_supervisors_keys_switch_the_role_of_their_own_leg() {
    let h = harness("dtmf-supervisor.toml");
    answered_inbound(&h);
    let (_, leg) = caller_dials_a_supervisor(&h);
    supervisor_answers(&h, &leg);
    assert!(
        h.take_sent().is_empty(),
        "the leg's answer sets off nothing"
    );
    for (n, (digit, role)) in [("1", "barge"), ("2", "whisper"), ("3", "monitor")]
        .iter()
        .enumerate()
    {
        h.accepted_apart(&pressed(
            &leg,
            &format!("leg-{digit}"),
            10 + n as u32,
            digit,
        ));
        let sent = h.telnyx.requests();
        h.telnyx.clear();
        assert_eq!(sent.len(), 1, "{digit}: {sent:?}");
        assert_eq!(
            sent[0].path,
            format!(
                "/v2/calls/{}/actions/switch_supervisor_role",
                leg.replace(':', "%3A")
            ),
            "to the supervisor's own leg"
        );
        assert_eq!(sent[0].json(), json!({"role": role}));
        assert_eq!(h.state(&leg)["supervisor_role"], *role);
        assert_eq!(h.state(CALL)["supervisors"][0]["role"], *role);
    }
    // The supervisor's 0 dials nobody: their leg is not the caller's.
    h.accepted_apart(&pressed(&leg, "leg-0", 20, "0"));
    assert!(h.take_sent().is_empty());
    assert_eq!(h.state(CALL)["supervisor_role"], Value::Null);
}

#[test]
fn no_example_rule_acts_on_a_supervisor_leg_but_its_own_role_keys() {
    let h = Harness::with_vars(&[("AUTOMATIONS", &automations_json(&EXAMPLES))]);
    h.accepted_apart(&with_payload(
        event("call.initiated", "ev-init", 1),
        "direction",
        json!("incoming"),
    ));
    answered_inbound(&h);
    let answered: Vec<String> = h.take_sent().into_iter().map(|(a, _)| a).collect();
    assert_eq!(answered, ["answer", "siprec_start", "suppression_start"]);
    let (_, leg) = caller_dials_a_supervisor(&h);
    supervisor_answers(&h, &leg);
    let on_leg = |event_type: &str, id: &str, second: u32| {
        with_payload(
            call_event(&leg, event_type, id, second),
            "client_state",
            json!(SUPERVISOR_STAMP),
        )
    };
    h.accepted_apart(&pressed(&leg, "leg-0", 6, "0"));
    h.accepted_apart(&on_leg("call.bridged", "leg-bridged", 7));
    h.accepted_apart(&on_leg("call.hangup", "leg-hangup", 8));
    assert!(
        h.take_sent().is_empty(),
        "no answer, recording, suppression or dial"
    );
    let actions: Vec<Value> = h.state(&leg)["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].clone())
        .collect();
    assert_eq!(actions, [json!("dial")], "the Dial that started it, only");
}

#[test]
fn noise_suppression_runs_from_answer_to_bridge() {
    let h = harness("noise-suppression.toml");
    answered_inbound(&h);
    let sent = h.take_sent();
    assert_eq!(sent[0].0, "suppression_start");
    assert_eq!(
        without_command_id(sent[0].1.clone()),
        json!({"direction": "both"})
    );
    assert_eq!(h.state(CALL)["noise_suppression"]["status"], "active");

    h.accepted_apart(&event("call.bridged", "ev-bridged", 2));
    let sent = h.take_sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, "suppression_stop");
    assert_eq!(h.state(CALL)["noise_suppression"]["status"], "stopped");
}

#[test]
fn noise_suppression_is_not_stopped_when_it_never_started() {
    let h = harness("noise-suppression.toml");
    h.telnyx
        .always(Reply::error(422, "90018", "Call has already ended"));
    answered_inbound(&h);
    h.telnyx.clear();
    h.accepted_apart(&event("call.bridged", "ev-bridged", 2));
    assert!(h.take_sent().is_empty());
}

#[test]
fn noise_suppression_is_for_the_stamped_caller_only() {
    let h = harness("noise-suppression.toml");
    // A call answered without the "inbound" stamp, a supervisor leg for one.
    h.accepted_apart(&with_payload(
        event("call.answered", "ev-answered", 1),
        "client_state",
        json!(SUPERVISOR_STAMP),
    ));
    assert!(h.take_sent().is_empty());
}

#[test]
fn stamp_after_refer_marks_the_call_transferred() {
    let h = harness("stamp-after-refer.toml");
    h.accepted_apart(&event("call.answered", "ev-answered", 1));
    h.accepted_apart(&event("call.refer.started", "ev-refer-started", 2));
    assert!(h.take_sent().is_empty());
    h.accepted_apart(&event("call.refer.completed", "ev-refer-completed", 3));
    let sent = h.take_sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, "client_state_update");
    assert_eq!(sent[0].1, json!({"client_state": "dHJhbnNmZXJyZWQ="}));
    let state = h.state(CALL);
    assert_eq!(state["client_state"], "dHJhbnNmZXJyZWQ=");
    assert_eq!(state["actions"][0]["rule"], "stamp-transferred");
}
