//! Dial (`POST /calls`), supervisor legs (`POST /calls/{id}/supervise`) and call
//! sessions over in-memory ports, real SQLite and the fake Telnyx: what reaches Telnyx,
//! request by request, what each call's state says, and that every refusal sends
//! nothing and stores nothing.

mod support;

use serde_json::{json, Value};

use support::deliveries::{call_event, set_payload};
use support::fake_telnyx::{Recorded, Reply};
use support::harness::*;
use support::secrets::leaks;
use telnyx_edge::app::object::{dial_object, session_object};
use telnyx_edge::domain::automations::command_id;
use telnyx_edge::ports::http::{Request, Response};

const SUPERVISOR: &str = "sip:supervisor@pbx.example.com";
const OTHER: &str = "v3:other-leg-of-the-session";

impl Harness {
    fn dial(&self, body: Value) -> Response {
        self.post("/calls", &body.to_string())
    }

    fn supervise(&self, call: &str, body: Value) -> Response {
        self.post(&format!("/calls/{call}/supervise"), &body.to_string())
    }

    fn deliver_for(&self, call: &str, event_type: &str, id: &str, second: u32) {
        let response = self.deliver(&call_event(call, event_type, id, second));
        assert_eq!(response.status, 200, "{}", response.body);
    }

    /// The inbound call `CALL`, answered.
    fn inbound_call(self) -> Self {
        self.deliver_for(CALL, "call.initiated", "in-initiated", 1);
        self.deliver_for(CALL, "call.answered", "in-answered", 2);
        self
    }
}

fn leg_of(response: &Response) -> String {
    assert_eq!(response.status, 200, "{}", response.body);
    json_of(response)["data"]["call_control_id"]
        .as_str()
        .expect("the new leg's id")
        .to_owned()
}

fn with_connection() -> Harness {
    Harness::with_vars(&[("TELNYX_CONNECTION_ID", "conn-default")])
}

#[test]
fn a_dial_is_sent_once_with_a_command_id_and_its_leg_is_a_call_from_the_answer_on() {
    let h = with_connection();
    let response = h.dial(json!({"to": "+13125550100", "from": "+13125550199"}));
    let leg = leg_of(&response);
    let sent = h.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("POST", "/v2/calls")
    );
    assert_eq!(
        sent[0].header("authorization"),
        Some(&*format!("Bearer {API_KEY}"))
    );
    let body = sent[0].json();
    assert_eq!(
        body["connection_id"], "conn-default",
        "TELNYX_CONNECTION_ID fills it"
    );
    let command_id = body["command_id"].as_str().expect("a command_id");
    assert_eq!(response.header("telnyx-edge-command-id"), Some(command_id));
    // The Dial's owner is the object its command id names; the leg is a call at once.
    assert!(h.slot(&dial_object(command_id)).is_some());
    let state = h.state(&leg);
    assert_eq!(state["origin"], json!({"action": "dial", "by": "operator"}));
    assert_eq!(state["supervising"], Value::Null);
    assert_eq!(state["status"], "initiated");
    assert_eq!(
        (state["from"].as_str(), state["to"].as_str()),
        (Some("+13125550199"), Some("+13125550100"))
    );
    let actions = state["actions"].as_array().unwrap();
    assert_eq!(actions.len(), 1);
    assert_eq!(actions[0]["action"], "dial");
    assert_eq!(actions[0]["command_id"], command_id);
    assert_eq!(actions[0]["status"], "succeeded");
    assert_eq!(actions[0]["http_status"], 200);
    // Its own webhooks then tell the rest; the origin stays.
    let mut initiated = call_event(&leg, "call.initiated", "leg-initiated", 3);
    set_payload(&mut initiated, "direction", json!("outgoing"));
    assert_eq!(h.deliver(&initiated).status, 200);
    h.deliver_for(&leg, "call.answered", "leg-answered", 4);
    let state = h.state(&leg);
    assert_eq!(state["status"], "answered");
    assert_eq!(state["origin"]["by"], "operator");
    assert_eq!(state["events"].as_array().unwrap().len(), 2);
}

#[test]
fn refused_dials_send_nothing_and_store_nothing() {
    let without_connection = Harness::new();
    assert_error(
        &without_connection.dial(json!({"to": "+1312", "from": "+1999"})),
        422,
        "invalid_parameter",
    );
    let h = with_connection();
    let many: Vec<String> = (0..1000).map(|n| format!("+1312555{n:04}")).collect();
    let big = "x".repeat(100 * 1024);
    let base = json!({"to": "+13125550100", "from": "+13125550199"});
    let with = |extra: Value| {
        let mut body = base.clone();
        for (key, value) in extra.as_object().unwrap() {
            body[key] = value.clone();
        }
        body
    };
    let cases = [
        (json!({"from": "+1999"}), "/to"),
        (with(json!({"to": []})), "/to"),
        (with(json!({"to": many})), "/to"),
        (
            with(json!({"supervise_call_control_id": "v3:../../x"})),
            "/supervise_call_control_id",
        ),
        (with(json!({"link_to": "v3:a b"})), "/link_to"),
        (
            with(json!({"custom_headers": [{"name": "X-Big", "value": big}]})),
            "/custom_headers",
        ),
        (with(json!({"timeout_secs": 4})), "/timeout_secs"),
        (
            with(json!({"supervisor_role": "listen"})),
            "/supervisor_role",
        ),
        (with(json!({"bridge_on_answer": true})), "/link_to"),
        (
            with(json!({"client_state": "not base64!"})),
            "/client_state",
        ),
        (json!(["+1312"]), ""),
    ];
    for (body, pointer) in cases {
        let response = h.dial(body.clone());
        assert_error(&response, 422, "invalid_parameter");
        let error = &json_of(&response)["errors"][0];
        assert_eq!(error["source"]["pointer"], pointer, "{body}: {error}");
    }
    assert_error(&h.post("/calls", "{not json"), 400, "invalid_json");
    assert_error(
        &h.send(Request {
            method: "POST".into(),
            path: "/calls".into(),
            body: b"{}".to_vec(),
            ..Request::default()
        }),
        401,
        "unauthorized",
    );
    assert!(h.sent().is_empty(), "nothing reached Telnyx");
    assert!(!h.stored_anything(), "nothing was stored");
    assert!(!without_connection.stored_anything());
}

#[test]
fn a_repeated_command_id_dials_once_and_answers_the_same_leg() {
    let h = with_connection();
    let body = json!({"to": "+13125550100", "from": "+13125550199", "command_id": "client-cmd-1"});
    let first = leg_of(&h.dial(body.clone()));
    let again = leg_of(&h.dial(body));
    assert_eq!(first, again);
    assert_eq!(h.sent().len(), 1, "Telnyx saw one Dial");
}

#[test]
fn a_dial_is_retried_on_503_with_one_command_id_and_never_outside_the_window() {
    let h = with_connection();
    h.telnyx
        .then(Reply::error(503, "90000", "Service unavailable"))
        .then(Reply::error(503, "90000", "Service unavailable"))
        .then(Reply::dialed("v3:after-retries"));
    let leg = leg_of(&h.dial(json!({"to": "+1312", "from": "+1999"})));
    assert_eq!(leg, "v3:after-retries");
    let ids: Vec<Value> = h
        .sent()
        .iter()
        .map(|r| r.json()["command_id"].clone())
        .collect();
    assert_eq!(ids.len(), 3);
    assert!(
        ids.iter().all(|id| *id == ids[0]),
        "one command_id: {ids:?}"
    );

    // Telnyx keeps failing: the operator hears it, with a word against repeating it.
    let h = with_connection();
    h.telnyx
        .always(Reply::error(503, "90000", "Service unavailable"));
    let response = h.dial(json!({"to": "+1312", "from": "+1999"}));
    assert_eq!(response.status, 503);
    assert_eq!(response.header("x-should-retry"), Some("false"));
    let sent = h.sent();
    assert!(sent.len() >= 2);
    assert!(sent
        .iter()
        .all(|r| r.json()["command_id"] == sent[0].json()["command_id"]));
    h.advance(10 * 60 * 1000);
    assert_eq!(h.sent().len(), sent.len(), "not sent again later");
}

#[test]
fn supervise_dials_a_supervisor_leg_from_the_calls_own_connection_and_number() {
    let h = Harness::new().inbound_call();
    let response = h.supervise(CALL, json!({"to": SUPERVISOR, "role": "monitor"}));
    let leg = leg_of(&response);
    let sent = h.sent();
    assert_eq!(
        sent.len(),
        1,
        "one request, and none to the supervised call"
    );
    assert_eq!(sent[0].path, "/v2/calls");
    let body = sent[0].json();
    assert_eq!(body["to"], SUPERVISOR);
    assert_eq!(
        body["from"], "+13125550199",
        "an incoming call's own number is its to"
    );
    assert_eq!(body["connection_id"], "2461790383128036389");
    assert_eq!(body["supervise_call_control_id"], CALL);
    assert_eq!(body["supervisor_role"], "monitor");
    assert!(body["command_id"].is_string());
    // The supervised call shows the leg; the leg says whom it supervises.
    let state = h.state(CALL);
    let supervisors = state["supervisors"].as_array().unwrap();
    assert_eq!(supervisors.len(), 1, "{state}");
    assert_eq!(supervisors[0]["call_control_id"], leg.as_str());
    assert_eq!(supervisors[0]["to"], SUPERVISOR);
    assert_eq!(supervisors[0]["role"], "monitor");
    assert_eq!(supervisors[0]["status"], "dialing");
    assert_eq!(
        state["actions"].as_array().unwrap().last().unwrap()["action"],
        "dial"
    );
    let leg_state = h.state(&leg);
    assert_eq!(leg_state["supervising"], CALL);
    assert_eq!(leg_state["supervisor_role"], "monitor");
    assert_eq!(
        leg_state["origin"],
        json!({"action": "dial", "by": "operator"})
    );
    // A from of the operator's own wins.
    h.supervise(
        CALL,
        json!({"to": "+13125550111", "role": "barge", "from": "+18005550000"}),
    );
    assert_eq!(h.sent()[1].json()["from"], "+18005550000");
}

#[test]
fn supervise_refuses_with_the_documented_statuses_and_sends_nothing() {
    let h = Harness::new();
    assert_error(
        &h.supervise(CALL, json!({"to": SUPERVISOR, "role": "monitor"})),
        404,
        "call_not_found",
    );
    assert!(!h.stored_anything(), "an unknown call gets no storage");
    let h = Harness::new().inbound_call();
    let pointer = |response: &Response| json_of(response)["errors"][0]["source"]["pointer"].clone();
    let missing = h.supervise(CALL, json!({"role": "monitor"}));
    assert_error(&missing, 422, "invalid_parameter");
    assert_eq!(pointer(&missing), "/to");
    let bad_to = h.supervise(CALL, json!({"to": "supervisor", "role": "monitor"}));
    assert_eq!(pointer(&bad_to), "/to");
    let bad_role = h.supervise(CALL, json!({"to": SUPERVISOR, "role": "listen"}));
    assert_error(&bad_role, 422, "invalid_parameter");
    assert_eq!(pointer(&bad_role), "/role");
    assert_error(
        &h.post(&format!("/calls/{CALL}/supervise"), "nope"),
        400,
        "invalid_json",
    );
    assert_error(
        &h.get(&format!("/calls/{CALL}/supervise"), Some(&bearer())),
        405,
        "method_not_allowed",
    );
    h.deliver_for(CALL, "call.hangup", "in-hangup", 3);
    let before = h.state(CALL);
    assert_error(
        &h.supervise(CALL, json!({"to": SUPERVISOR, "role": "monitor"})),
        409,
        "call_ended",
    );
    // A raw Dial supervising it is refused the same way.
    assert_error(
        &h.dial(json!({"to": SUPERVISOR, "from": "+1", "connection_id": "c",
            "supervise_call_control_id": CALL})),
        409,
        "call_ended",
    );
    assert!(h.sent().is_empty(), "nothing reached Telnyx");
    assert_eq!(h.state(CALL), before, "and nothing changed");
}

#[test]
fn supervisors_follow_the_legs_webhooks_and_role_switches_in_any_order_and_twice() {
    let h = Harness::new().inbound_call();
    let leg = leg_of(&h.supervise(CALL, json!({"to": SUPERVISOR, "role": "monitor"})));
    let supervisor = |h: &Harness| h.state(CALL)["supervisors"][0].clone();
    // Answered arrives before initiated, and twice.
    h.deliver_for(&leg, "call.answered", "sup-answered", 5);
    h.deliver_for(&leg, "call.answered", "sup-answered", 5);
    assert_eq!(supervisor(&h)["status"], "answered");
    h.deliver_for(&leg, "call.initiated", "sup-initiated", 4);
    assert_eq!(
        supervisor(&h)["status"],
        "answered",
        "a late initiated changes nothing"
    );
    // The role switches on the supervisor leg, never on the supervised call.
    let switched = h.post(
        &format!("/calls/{leg}/actions/switch_supervisor_role"),
        &json!({"role": "whisper"}).to_string(),
    );
    assert_eq!(switched.status, 200, "{}", switched.body);
    let last = h.sent().last().unwrap().clone();
    assert_eq!(
        last.path,
        format!(
            "/v2/calls/{}/actions/switch_supervisor_role",
            leg.replace(':', "%3A")
        )
    );
    assert_eq!(supervisor(&h)["role"], "whisper");
    h.deliver_for(&leg, "call.hangup", "sup-hangup", 9);
    assert_eq!(supervisor(&h)["status"], "hangup");
    assert_eq!(h.state(CALL)["supervisors"].as_array().unwrap().len(), 1);
    assert!(
        h.sent()
            .iter()
            .all(|r| !r.path.contains(&CALL.replace(':', "%3A"))),
        "nothing of supervision reached the supervised call"
    );
}

#[test]
fn legs_of_one_session_list_each_other_and_follow_their_status() {
    let h = Harness::new();
    let in_session = |call: &str, event_type: &str, id: &str, second: u32| {
        let mut body = call_event(call, event_type, id, second);
        set_payload(&mut body, "call_session_id", json!("shared-session-1"));
        assert_eq!(h.deliver(&body).status, 200);
    };
    in_session(CALL, "call.initiated", "a-initiated", 1);
    in_session(CALL, "call.answered", "a-answered", 2);
    // A transfer's new leg, in the same session.
    in_session(OTHER, "call.initiated", "b-initiated", 3);
    let legs = |call: &str| h.state(call)["legs"].clone();
    assert_eq!(
        legs(CALL),
        json!([{"call_control_id": OTHER, "status": "initiated", "from": "+13125550100",
            "to": "+13125550199"}])
    );
    assert_eq!(legs(OTHER)[0]["call_control_id"], CALL);
    assert_eq!(legs(OTHER)[0]["status"], "answered");
    in_session(OTHER, "call.bridged", "b-bridged", 4);
    in_session(OTHER, "call.bridged", "b-bridged", 4);
    assert_eq!(legs(CALL)[0]["status"], "bridged");
    in_session(OTHER, "call.hangup", "b-hangup", 5);
    assert_eq!(legs(CALL)[0]["status"], "hangup");
    assert_eq!(
        legs(CALL).as_array().unwrap().len(),
        1,
        "never the call itself"
    );
    assert!(h
        .slot(&session_object("shared-session-1").unwrap())
        .is_some());
}

fn dial_rule() -> String {
    json!({"rules": [{
        "name": "dial-supervisor",
        "on": ["call.dtmf.received"],
        "if": {"payload.digit": "0"},
        "do": [{"action": "dial", "params": {
            "to": SUPERVISOR, "from": "{{payload.to}}",
            "supervise_call_control_id": "{{payload.call_control_id}}",
            "supervisor_role": "monitor", "client_state": "c3VwZXJ2aXNvcg==",
            "sip_auth_username": "agent", "sip_auth_password": "hunter2-never-kept"}}],
        "limit_per_call": 1
    }]})
    .to_string()
}

#[test]
fn a_rules_dial_is_sent_once_for_fifty_copies_of_its_event() {
    let h = Harness::with_vars(&[
        ("AUTOMATIONS", &dial_rule()),
        ("TELNYX_CONNECTION_ID", "conn-rules"),
    ]);
    let h = h.inbound_call();
    let mut pressed = call_event(CALL, "call.dtmf.received", "dtmf-0", 3);
    set_payload(&mut pressed, "digit", json!("0"));
    for _ in 0..50 {
        h.deliver_only(&pressed);
    }
    h.run_alarms();
    // Another 0 later: the rule's limit holds.
    let mut again = call_event(CALL, "call.dtmf.received", "dtmf-0-again", 4);
    set_payload(&mut again, "digit", json!("0"));
    h.deliver(&again);
    let dials: Vec<Recorded> = h
        .sent()
        .into_iter()
        .filter(|r| r.path == "/v2/calls")
        .collect();
    assert_eq!(dials.len(), 1, "one Dial");
    let body = dials[0].json();
    assert_eq!(
        body["command_id"],
        command_id("dtmf-0", "dial-supervisor", 0)
    );
    assert_eq!(body["connection_id"], "conn-rules");
    assert_eq!(body["from"], "+13125550199");
    assert_eq!(body["supervise_call_control_id"], CALL);
    let state = h.state(CALL);
    let leg = state["supervisors"][0]["call_control_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let dial = state["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action"] == "dial")
        .unwrap()
        .clone();
    assert_eq!(dial["rule"], "dial-supervisor");
    assert_eq!(dial["status"], "succeeded");
    let leg_state = h.state(&leg);
    assert_eq!(
        leg_state["origin"],
        json!({"action": "dial", "by": "rule", "rule": "dial-supervisor", "call_control_id": CALL})
    );
    assert_eq!(leg_state["client_state"], "c3VwZXJ2aXNvcg==");
    // The SIP password went to Telnyx, and is kept nowhere once the Dial is final.
    assert_eq!(body["sip_auth_password"], "hunter2-never-kept");
    for name in h.objects.with_tables() {
        let dump = h.slot(&name).unwrap().storage.dump();
        assert!(!dump.contains("hunter2"), "{name} keeps the password");
    }
    assert!(leaks(&h.log.text(), &["hunter2-never-kept"]).is_empty());
}

#[test]
fn an_operators_dial_password_is_never_stored_or_logged() {
    let h = with_connection();
    let leg = leg_of(&h.dial(json!({"to": "sip:a@b.example", "from": "+1999",
        "sip_auth_username": "u", "sip_auth_password": "operator-secret-pw"})));
    h.advance(120_000);
    assert_eq!(
        h.sent()[0].json()["sip_auth_password"],
        "operator-secret-pw"
    );
    for name in h.objects.with_tables() {
        assert!(
            !h.slot(&name)
                .unwrap()
                .storage
                .dump()
                .contains("operator-secret-pw"),
            "{name}"
        );
    }
    assert!(leaks(&h.log.text(), &["operator-secret-pw"]).is_empty());
    assert_eq!(h.state(&leg)["actions"][0]["status"], "succeeded");
}

#[test]
fn a_dial_whose_outcome_went_unrecorded_is_never_sent_again() {
    let h = Harness::new().inbound_call();
    let slot = h.slot(CALL).unwrap();
    slot.storage.fail_statements("UPDATE actions SET status");
    let body = json!({"to": SUPERVISOR, "from": "+13125550199",
        "connection_id": "2461790383128036389", "supervise_call_control_id": CALL,
        "command_id": "client-cmd-unrecorded"});
    let first = h.dial(body.clone());
    assert_eq!(
        first.status, 200,
        "Telnyx's answer still reaches the operator"
    );
    slot.storage.heal();
    // The object's alarm closes it as unrecorded; Telnyx may have run it.
    h.advance(60_000);
    let again = h.dial(body);
    assert_error(&again, 409, "dial_outcome_unknown");
    assert_eq!(again.header("x-should-retry"), Some("false"));
    assert_eq!(h.sent().len(), 1, "Telnyx saw one Dial");
}

#[test]
fn a_dial_that_rang_is_answered_200_even_when_its_leg_is_registered_later() {
    let h = Harness::new().inbound_call();
    let slot = h.slot(CALL).unwrap();
    slot.storage.fail_statements("UPDATE dials SET registered");
    let response = h.supervise(CALL, json!({"to": SUPERVISOR, "role": "monitor"}));
    let leg = leg_of(&response);
    assert_eq!(response.header("x-should-retry"), None);
    slot.storage.heal();
    h.advance(60_000);
    assert_eq!(h.state(&leg)["supervising"], CALL);
    assert_eq!(h.sent().len(), 1);
}

#[test]
fn a_repeat_finds_a_dial_that_went_to_its_own_object_before_the_call_was_known() {
    let h = Harness::new();
    let later = "v3:known-only-later";
    let body = json!({"to": SUPERVISOR, "from": "+13125550199", "connection_id": "c1",
        "supervise_call_control_id": later, "command_id": "client-cmd-early"});
    let first = leg_of(&h.dial(body.clone()));
    let own_object = h.slot(&dial_object("client-cmd-early")).unwrap();
    assert!(
        own_object.storage.tables().contains(&"actions".to_owned()),
        "the first try went to the Dial's own object: {:?}",
        own_object.storage.tables()
    );
    h.deliver_for(later, "call.initiated", "later-initiated", 1);
    let again = leg_of(&h.dial(body));
    assert_eq!(first, again);
    assert_eq!(h.sent().len(), 1, "Telnyx saw one Dial");
    // A Dial the call's own object sent is found there, as before.
    let body = json!({"to": SUPERVISOR, "from": "+13125550199", "connection_id": "c1",
        "supervise_call_control_id": later, "command_id": "client-cmd-late"});
    let first = leg_of(&h.dial(body.clone()));
    assert_eq!(leg_of(&h.dial(body)), first);
    assert_eq!(h.sent().len(), 2);
}

#[test]
fn a_dial_the_worker_cannot_hand_to_an_object_says_not_to_repeat_it() {
    let h = with_connection();
    h.objects.set_unreachable(true);
    let response = h.dial(json!({"to": "+1312", "from": "+1999"}));
    assert_error(&response, 500, "storage_unavailable");
    assert_eq!(response.header("x-should-retry"), Some("false"));
    let response = h.supervise(CALL, json!({"to": SUPERVISOR, "role": "monitor"}));
    assert_eq!(response.header("x-should-retry"), Some("false"));
    assert!(h.sent().is_empty());
}
