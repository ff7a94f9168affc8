//! Each shipped automation example (`examples/automations/*.toml`) drives a whole call
//! through the pipeline and sends exactly the requests its comments promise.

mod support;

use serde_json::{json, Value};

use support::deliveries::set_payload;
use support::examples::{automations_json, EXAMPLES};
use support::fake_telnyx::Reply;
use support::harness::*;

const INBOUND: &str = "aW5ib3VuZA==";
const ARMED: &str = "c3VwZXJ2aXNvcjphcm1lZA==";
const PRIMARY: &str = "sip:agents@pbx-primary.example.com";
const BACKUP: &str = "sip:agents@pbx-backup.example.com";

fn harness(example: &str) -> Harness {
    Harness::with_vars(&[("AUTOMATIONS", &automations_json(&[example]))])
}

impl Harness {
    /// Delivers a second after the last delivery: events of a call arrive apart.
    fn accepted(&self, body: &Value) {
        self.clock.advance(1_000);
        let response = self.deliver(body);
        assert_eq!(
            json_of(&response)["status"],
            "accepted",
            "{}",
            response.body
        );
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
    h.accepted(&event("call.initiated", "ev-init", 1));
    let sent = h.take_sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, "answer");
    assert_eq!(sent[0].1["client_state"], INBOUND);

    // Telnyx carries the stamped client_state into call.answered.
    h.accepted(&with_payload(
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
    h.accepted(&with_payload(
        event("call.initiated", "ev-init", 1),
        "direction",
        json!("outgoing"),
    ));
    h.accepted(&event("call.answered", "ev-answered", 2));
    assert!(h.take_sent().is_empty());
}

#[test]
fn siprec_retry_starts_again_at_most_three_times_and_not_after_hangup() {
    let h = harness("siprec-retry.toml");
    h.accepted(&event("call.answered", "ev-answered", 1));
    for n in 0..5 {
        h.accepted(&event("siprec.failed", &format!("ev-failed-{n}"), 2 + n));
    }
    let sent = h.take_sent();
    assert_eq!(sent.len(), 3, "{sent:?}");
    assert!(sent.iter().all(|(action, body)| action == "siprec_start"
        && body == &json!({"connector_name": "recorder", "siprec_track": "both_tracks"})));

    let ended = harness("siprec-retry.toml");
    ended.accepted(&event("call.answered", "ev-answered", 1));
    ended.accepted(&event("call.hangup", "ev-hangup", 2));
    ended.accepted(&event("call.siprec.failed", "ev-failed", 3));
    assert!(ended.take_sent().is_empty());
}

#[test]
fn refer_failover_refers_to_the_backup_once() {
    let h = harness("refer-failover.toml");
    h.accepted(&event("call.answered", "ev-answered", 1));
    h.operator("refer", json!({"sip_address": PRIMARY}));
    h.take_sent();
    h.accepted(&event("call.refer.failed", "ev-refer-failed-1", 2));
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
    h.accepted(&event("call.refer.failed", "ev-refer-failed-2", 3));
    assert!(h.take_sent().is_empty());
}

#[test]
fn dtmf_star_then_a_digit_switches_the_supervisor_role() {
    let h = harness("dtmf-supervisor.toml");
    h.accepted(&event("call.answered", "ev-answered", 1));
    let dtmf = |id: &str, second: u32, digit: &str| {
        with_payload(
            event("call.dtmf.received", id, second),
            "digit",
            json!(digit),
        )
    };
    h.accepted(&dtmf("d-1", 2, "2"));
    assert!(h.take_sent().is_empty(), "a digit without * does nothing");

    for (n, (digit, role)) in [("1", "barge"), ("2", "whisper"), ("3", "monitor")]
        .iter()
        .enumerate()
    {
        let second = 10 + 2 * n as u32;
        h.accepted(&dtmf(&format!("star-{n}"), second, "*"));
        let armed = h.take_sent();
        assert_eq!(armed.len(), 1);
        assert_eq!(
            (armed[0].0.as_str(), &armed[0].1["client_state"]),
            ("client_state_update", &json!(ARMED))
        );

        h.accepted(&dtmf(&format!("digit-{n}"), second + 1, digit));
        let sent = h.take_sent();
        let actions: Vec<&str> = sent.iter().map(|(a, _)| a.as_str()).collect();
        assert_eq!(
            actions,
            ["switch_supervisor_role", "client_state_update"],
            "*{digit}"
        );
        assert_eq!(sent[0].1, json!({"role": role}));
        assert_ne!(sent[1].1["client_state"], json!(ARMED), "disarmed again");
        assert_eq!(h.state(CALL)["supervisor_role"], *role);
    }
}

#[test]
fn noise_suppression_runs_from_answer_to_bridge() {
    let h = harness("noise-suppression.toml");
    h.accepted(&event("call.answered", "ev-answered", 1));
    let sent = h.take_sent();
    assert_eq!(sent[0].0, "suppression_start");
    assert_eq!(
        without_command_id(sent[0].1.clone()),
        json!({"direction": "both"})
    );
    assert_eq!(h.state(CALL)["noise_suppression"]["status"], "active");

    h.accepted(&event("call.bridged", "ev-bridged", 2));
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
    h.accepted(&event("call.answered", "ev-answered", 1));
    h.telnyx.clear();
    h.accepted(&event("call.bridged", "ev-bridged", 2));
    assert!(h.take_sent().is_empty());
}

#[test]
fn stamp_after_refer_marks_the_call_transferred() {
    let h = harness("stamp-after-refer.toml");
    h.accepted(&event("call.answered", "ev-answered", 1));
    h.accepted(&event("call.refer.started", "ev-refer-started", 2));
    assert!(h.take_sent().is_empty());
    h.accepted(&event("call.refer.completed", "ev-refer-completed", 3));
    let sent = h.take_sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, "client_state_update");
    assert_eq!(sent[0].1, json!({"client_state": "dHJhbnNmZXJyZWQ="}));
    let state = h.state(CALL);
    assert_eq!(state["client_state"], "dHJhbnNmZXJyZWQ=");
    assert_eq!(state["actions"][0]["rule"], "stamp-transferred");
}
