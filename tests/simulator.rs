//! The local Telnyx's core (`src/simulator/core.rs`, served by `cargo run
//! --example telnyx-sim`): which webhooks follow each command and each Dial, how it
//! answers like Telnyx (a repeated `command_id`, 90018 after a hangup, 404 for an
//! unknown call, 422 for what the worker's validator refuses), its two assumptions
//! about supervisor legs, and that the worker accepts every webhook it sends. Then
//! `busy-hour`'s plan: what `cargo run --example simulate -- busy-hour` will do for given
//! options and seed, and its options' bounds.

mod support;

use serde_json::{json, Value};

use telnyx_edge::domain::envelope::parse;
use telnyx_edge::domain::time::Instant;
use telnyx_edge::simulator::busy_hour::{
    play, Kind, Move, Options as BusyHourOptions, Plan, EVERY_TEN,
};
use telnyx_edge::simulator::cli::simulate_args;
use telnyx_edge::simulator::core::{
    envelope, Answer, Emit, Simulator, COMMAND_ID_WINDOW_MS, NOT_A_SUPERVISOR_LEG,
};
use telnyx_edge::simulator::scenarios::Run;

const NOW: i64 = 1_764_000_000_000;

fn types(emits: &[Emit]) -> Vec<&'static str> {
    emits.iter().map(|e| e.event_type).collect()
}

fn call(sim: &mut Simulator) -> String {
    let (call, emits) = sim.start_call(None, Some("+13125550123"));
    assert_eq!(types(&emits), ["call.initiated"]);
    assert_eq!(emits[0].payload["direction"], "incoming");
    assert_eq!(emits[0].payload["to"], "+13125550123");
    call
}

fn command(sim: &mut Simulator, call: &str, action: &str, body: Value) -> Answer {
    sim.command(call, action, &body.to_string(), NOW)
}

fn assert_ok(answer: &Answer) {
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body, json!({"data": {"result": "ok"}}));
}

#[test]
fn each_command_is_followed_by_the_webhooks_telnyx_sends() {
    let mut sim = Simulator::new();
    let a = call(&mut sim);
    let answered = command(&mut sim, &a, "answer", json!({}));
    assert_ok(&answered);
    assert_eq!(types(&answered.emits), ["call.answered"]);

    let refer = command(
        &mut sim,
        &a,
        "refer",
        json!({"sip_address": "sip:agent@pbx.example.com"}),
    );
    assert_eq!(
        types(&refer.emits),
        ["call.refer.started", "call.refer.completed"]
    );
    assert!(
        refer.emits[0].delay_ms < refer.emits[1].delay_ms,
        "started first"
    );
    let failed = command(
        &mut sim,
        &a,
        "refer",
        json!({"sip_address": "sip:fail@pbx.example.com"}),
    );
    assert_eq!(
        types(&failed.emits),
        ["call.refer.started", "call.refer.failed"]
    );
    assert_eq!(failed.emits[1].payload["sip_notify_response"], 603);

    let recording = command(
        &mut sim,
        &a,
        "siprec_start",
        json!({"connector_name": "recorder"}),
    );
    assert_eq!(types(&recording.emits), ["siprec.started"]);
    let refused = command(
        &mut sim,
        &a,
        "siprec_start",
        json!({"connector_name": "fail"}),
    );
    assert_eq!(types(&refused.emits), ["siprec.failed"]);
    let stopped = command(&mut sim, &a, "siprec_stop", json!({}));
    assert_eq!(types(&stopped.emits), ["siprec.stopped"]);

    for (action, body) in [
        ("send_dtmf", json!({"digits": "12#"})),
        ("suppression_start", json!({"direction": "both"})),
        ("suppression_stop", json!({})),
    ] {
        let answer = command(&mut sim, &a, action, body);
        assert_ok(&answer);
        assert!(answer.emits.is_empty(), "{action}");
    }

    let b = call(&mut sim);
    let bridged = command(&mut sim, &a, "bridge", json!({"call_control_id": b}));
    assert_eq!(types(&bridged.emits), ["call.bridged", "call.bridged"]);
    let legs: Vec<&Value> = bridged
        .emits
        .iter()
        .map(|e| &e.payload["call_control_id"])
        .collect();
    assert_eq!(legs, [&json!(a), &json!(b)], "both legs");

    let transfer = command(&mut sim, &b, "transfer", json!({"to": "+13125550177"}));
    assert_eq!(types(&transfer.emits), ["call.initiated"]);
    let new_leg = &transfer.emits[0].payload;
    assert_ne!(new_leg["call_control_id"], json!(b), "a new leg");
    assert_eq!(new_leg["direction"], "outgoing");
    assert_eq!(new_leg["to"], "+13125550177");
    assert!(sim
        .calls
        .contains_key(new_leg["call_control_id"].as_str().unwrap()));

    let hangup = command(&mut sim, &a, "hangup", json!({}));
    assert_eq!(types(&hangup.emits), ["call.hangup"]);
}

#[test]
fn a_far_side_hangup_ends_a_recording_too() {
    let mut sim = Simulator::new();
    let a = call(&mut sim);
    command(&mut sim, &a, "answer", json!({}));
    command(
        &mut sim,
        &a,
        "siprec_start",
        json!({"connector_name": "recorder"}),
    );
    let hangup = sim.far_hangup(&a);
    assert_eq!(types(&hangup.emits), ["call.hangup", "siprec.stopped"]);
    assert_eq!(hangup.emits[0].payload["hangup_source"], "caller");
    assert_eq!(sim.far_hangup(&a).status, 422, "already ended");
    assert_eq!(sim.far_hangup("v3:nobody").status, 404);
}

#[test]
fn after_a_hangup_every_command_is_90018() {
    let mut sim = Simulator::new();
    let a = call(&mut sim);
    command(&mut sim, &a, "hangup", json!({}));
    for action in ["answer", "hangup", "send_dtmf"] {
        let body = if action == "send_dtmf" {
            json!({"digits": "1"})
        } else {
            json!({})
        };
        let answer = command(&mut sim, &a, action, body);
        assert_eq!(answer.status, 422, "{action}");
        assert_eq!(answer.body["errors"][0]["code"], "90018");
        assert_eq!(answer.body["errors"][0]["title"], "Call has already ended");
        assert!(answer.emits.is_empty());
    }
    assert_eq!(sim.dtmf(&a, "1").status, 422);
}

#[test]
fn an_unknown_call_is_404_and_an_unknown_action_too() {
    let mut sim = Simulator::new();
    let answer = command(&mut sim, "v3:nobody", "answer", json!({}));
    assert_eq!(answer.status, 404);
    assert_eq!(answer.body["errors"][0]["code"], "90015");
    let a = call(&mut sim);
    assert_eq!(command(&mut sim, &a, "teleport", json!({})).status, 404);
}

#[test]
fn a_repeated_command_id_is_ignored_for_60_seconds() {
    let mut sim = Simulator::new();
    let a = call(&mut sim);
    let body = json!({"command_id": "cmd-1", "client_state": "Zmlyc3Q="}).to_string();
    assert_eq!(
        types(&sim.command(&a, "answer", &body, NOW).emits),
        ["call.answered"]
    );
    let refer = json!({"sip_address": "sip:a@b.example.com", "command_id": "cmd-2"}).to_string();
    let first = sim.command(&a, "refer", &refer, NOW);
    assert_eq!(first.emits.len(), 2);
    let again = sim.command(&a, "refer", &refer, NOW + COMMAND_ID_WINDOW_MS - 1);
    assert_ok(&again);
    assert!(again.emits.is_empty(), "ignored inside the window");
    let later = sim.command(&a, "refer", &refer, NOW + COMMAND_ID_WINDOW_MS + 1);
    assert_eq!(later.emits.len(), 2, "run again after the window");
    // The same command_id on another call is another command.
    let b = call(&mut sim);
    assert_eq!(sim.command(&b, "answer", &body, NOW).emits.len(), 1);
    assert_eq!(
        sim.received.len(),
        5,
        "every command is listed, repeats too"
    );
}

#[test]
fn client_state_from_a_command_rides_on_the_call_s_later_webhooks() {
    let mut sim = Simulator::new();
    let a = call(&mut sim);
    let answered = command(
        &mut sim,
        &a,
        "answer",
        json!({"client_state": "aW5ib3VuZA=="}),
    );
    assert_eq!(answered.emits[0].payload["client_state"], "aW5ib3VuZA==");
    command(
        &mut sim,
        &a,
        "client_state_update",
        json!({"client_state": "c3RhbXBlZA=="}),
    );
    let dtmf = sim.dtmf(&a, "*1");
    assert_eq!(
        types(&dtmf.emits),
        ["call.dtmf.received", "call.dtmf.received"]
    );
    assert_eq!(dtmf.emits[0].payload["digit"], "*");
    assert_eq!(dtmf.emits[1].payload["digit"], "1");
    assert!(dtmf.emits[0].delay_ms < dtmf.emits[1].delay_ms, "in order");
    for emit in &dtmf.emits {
        assert_eq!(emit.payload["client_state"], "c3RhbXBlZA==");
    }
    let hangup = sim.far_hangup(&a);
    assert_eq!(hangup.emits[0].payload["client_state"], "c3RhbXBlZA==");
}

#[test]
fn what_the_worker_s_validator_refuses_is_422_with_telnyx_codes_and_pointers() {
    let mut sim = Simulator::new();
    let a = call(&mut sim);
    let answer = command(&mut sim, &a, "send_dtmf", json!({"digits": "12x"}));
    assert_eq!(answer.status, 422);
    assert_eq!(answer.body["errors"][0]["source"]["pointer"], "/digits");
    let missing = command(&mut sim, &a, "refer", json!({}));
    assert_eq!(missing.status, 422);
    assert_eq!(missing.body["errors"][0]["code"], "10004");
    let role = command(
        &mut sim,
        &a,
        "switch_supervisor_role",
        json!({"role": "boss"}),
    );
    assert_eq!(role.body["errors"][0]["code"], "10032");
    assert!(answer.emits.is_empty() && missing.emits.is_empty());
    assert_eq!(sim.command(&a, "answer", "{not json", NOW).status, 400);
}

#[test]
fn every_webhook_it_sends_is_one_the_worker_accepts() {
    let mut sim = Simulator::new();
    let (a, mut emits) = sim.start_call(Some("+13125550100"), None);
    let (b, more) = sim.start_call(None, None);
    emits.extend(more);
    for (action, body) in [
        ("answer", json!({"client_state": "aW5ib3VuZA=="})),
        ("siprec_start", json!({"connector_name": "recorder"})),
        ("refer", json!({"sip_address": "sip:fail@x.example.com"})),
        ("refer", json!({"sip_address": "sip:ok@x.example.com"})),
        ("bridge", json!({"call_control_id": b})),
        ("transfer", json!({"to": "+13125550177"})),
    ] {
        emits.extend(command(&mut sim, &a, action, body).emits);
    }
    emits.extend(sim.dtmf(&a, "*1").emits);
    let dialed = |to: &str| {
        json!({"to": to, "from": "+13125550199", "connection_id": "conn-1",
            "supervise_call_control_id": a, "client_state": "c3VwZXJ2aXNvcg=="})
        .to_string()
    };
    let supervisor = sim.dial(&dialed("sip:supervisor@pbx.example.com"), NOW);
    let leg = supervisor.body["data"]["call_control_id"]
        .as_str()
        .unwrap()
        .to_owned();
    emits.extend(supervisor.emits);
    emits.extend(sim.dial(&dialed("sip:noanswer@pbx.example.com"), NOW).emits);
    emits.extend(sim.dtmf(&leg, "1").emits);
    emits.extend(sim.far_hangup(&a).emits);
    for (n, emit) in emits.iter().enumerate() {
        let id = format!("sim-event-{n}");
        let body = envelope(
            emit,
            &id,
            "2026-12-02T12:00:00.000Z",
            1,
            "http://w/webhooks/telnyx",
        );
        let delivery = parse(body.to_string().as_bytes(), Instant::from_unix_millis(NOW))
            .unwrap_or_else(|e| panic!("{}: {e:?}", emit.event_type));
        assert_eq!(delivery.event_id, id);
        let record = delivery
            .record
            .expect("every simulated event belongs to a call");
        assert_eq!(
            Some(record.call_control_id.as_str()),
            emit.payload["call_control_id"].as_str()
        );
        assert_eq!(body["meta"]["attempt"], 1);
    }
}

#[test]
fn a_webhook_is_sent_again_with_the_next_attempt_until_the_worker_answers_2xx() {
    use support::fake_telnyx::{FakeTelnyx, FakeTelnyxServer, Reply};
    use telnyx_edge::domain::signature::{verify, PublicKeys, SignatureHeaders};
    use telnyx_edge::simulator::http::SimServer;
    use telnyx_edge::simulator::signing::{unix_now, WebhookSigner};

    // A stand-in for the worker: 500 first, then 200.
    let worker = FakeTelnyxServer::start(FakeTelnyx::new());
    worker.fake.then(Reply::status(500, "down"));
    let sim = SimServer::start(0, &format!("{}/webhooks/telnyx", worker.api_base)).unwrap();
    let started = ureq::post(&format!("{}/simulator/calls", sim.base))
        .send_string("{}")
        .unwrap();
    assert_eq!(started.status(), 201);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while worker.fake.requests().len() < 2 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let requests = worker.fake.requests();
    assert_eq!(requests.len(), 2, "one failed delivery, then one more");
    let keys = PublicKeys::parse(&WebhookSigner::development().public_key_base64()).unwrap();
    for (n, request) in requests.iter().enumerate() {
        let body = request.json();
        assert_eq!(body["meta"]["attempt"], n + 1);
        assert_eq!(body["data"]["event_type"], "call.initiated");
        let headers = SignatureHeaders {
            signature: request.header("telnyx-signature-ed25519"),
            timestamp: request.header("telnyx-timestamp"),
        };
        verify(&keys, headers, request.body.as_bytes(), unix_now(), 300)
            .expect("signed with the development key");
    }
    assert_eq!(
        requests[0].json()["data"]["id"],
        requests[1].json()["data"]["id"]
    );
}

const SUPERVISOR: &str = "sip:supervisor@pbx.example.com";

fn dial(sim: &mut Simulator, body: Value) -> Answer {
    sim.dial(&body.to_string(), NOW)
}

/// A Dial's new leg, from its `200`.
fn leg_of(answer: &Answer) -> String {
    assert_eq!(answer.status, 200, "{}", answer.body);
    answer.body["data"]["call_control_id"]
        .as_str()
        .expect("the new leg")
        .to_owned()
}

/// A supervisor leg onto `call`, in `role` (none: Telnyx's default).
fn supervise(sim: &mut Simulator, call: &str, role: Option<&str>) -> (String, Answer) {
    let mut body = json!({"to": SUPERVISOR, "from": "+13125550199",
        "connection_id": "conn-1", "supervise_call_control_id": call});
    if let Some(role) = role {
        body["supervisor_role"] = json!(role);
    }
    let answer = dial(sim, body);
    (leg_of(&answer), answer)
}

#[test]
fn a_dial_answers_the_new_leg_then_sends_its_initiated_and_answered() {
    let mut sim = Simulator::new();
    let answer = dial(
        &mut sim,
        json!({"to": ["+13125550177", "+13125550178"], "from": "+13125550199",
            "connection_id": "conn-1", "command_id": "dial-1"}),
    );
    let leg = leg_of(&answer);
    let data = &answer.body["data"];
    assert_eq!(data["is_alive"], false);
    assert_eq!(data["record_type"], "call");
    assert!(data["call_leg_id"].is_string() && data["call_session_id"].is_string());
    assert_eq!(
        data.as_object().unwrap().len(),
        5,
        "call_control_id, call_leg_id, call_session_id, is_alive, record_type: {data}"
    );
    assert_eq!(types(&answer.emits), ["call.initiated", "call.answered"]);
    assert!(answer.emits[0].delay_ms < answer.emits[1].delay_ms);
    let initiated = &answer.emits[0].payload;
    assert_eq!(initiated["call_control_id"], leg.as_str());
    assert_eq!(initiated["call_session_id"], data["call_session_id"]);
    assert_eq!(initiated["direction"], "outgoing");
    assert_eq!(initiated["state"], "bridging");
    assert_eq!(initiated["to"], "+13125550177", "the first destination");
    assert_eq!(initiated["from"], "+13125550199");
    assert_eq!(initiated["connection_id"], "conn-1");
    // The leg is a call like any other: commands and DTMF work on it.
    assert_eq!(types(&sim.dtmf(&leg, "5").emits), ["call.dtmf.received"]);
    assert_ok(&command(
        &mut sim,
        &leg,
        "send_dtmf",
        json!({"digits": "1"}),
    ));
    let listed = sim.commands_json();
    assert_eq!(listed[0]["action"], "dial");
    assert_eq!(listed[0]["call_control_id"], leg.as_str());
    assert_eq!(listed[0]["body"]["command_id"], "dial-1");
}

#[test]
fn a_dial_to_noanswer_hangs_up_with_timeout() {
    let mut sim = Simulator::new();
    let answer = dial(
        &mut sim,
        json!({"to": "sip:noanswer@pbx.example.com", "from": "+13125550199",
            "connection_id": "conn-1", "timeout_secs": 30}),
    );
    let leg = leg_of(&answer);
    assert_eq!(types(&answer.emits), ["call.initiated", "call.hangup"]);
    assert_eq!(answer.emits[1].payload["hangup_cause"], "timeout");
    assert_eq!(
        command(&mut sim, &leg, "hangup", json!({})).status,
        422,
        "it has ended"
    );
}

#[test]
fn a_repeated_dial_command_id_answers_the_same_leg_and_starts_nothing() {
    let mut sim = Simulator::new();
    let body = json!({"to": "+13125550177", "from": "+13125550199",
        "connection_id": "conn-1", "command_id": "dial-once"});
    let first = dial(&mut sim, body.clone());
    let again = sim.dial(&body.to_string(), NOW + COMMAND_ID_WINDOW_MS - 1);
    assert_eq!(again.status, 200);
    assert_eq!(again.body, first.body, "the same data");
    assert!(again.emits.is_empty(), "no webhooks");
    assert_eq!(sim.calls.len(), 1, "no second call");
    let listed = sim.commands_json();
    assert_eq!(listed.as_array().unwrap().len(), 2, "both listed");
    assert_eq!(listed[1]["call_control_id"], leg_of(&first).as_str());
    // After the window Telnyx has forgotten it: another call.
    let later = sim.dial(&body.to_string(), NOW + COMMAND_ID_WINDOW_MS + 1);
    assert_ne!(leg_of(&later), leg_of(&first));
    assert_eq!(sim.calls.len(), 2);
}

#[test]
fn a_refused_dial_is_422_and_listed_without_a_call() {
    let mut sim = Simulator::new();
    let missing = dial(&mut sim, json!({"to": "+13125550177", "from": "+1312"}));
    assert_eq!(missing.status, 422);
    assert_eq!(
        missing.body["errors"][0]["source"]["pointer"],
        "/connection_id"
    );
    let role = dial(
        &mut sim,
        json!({"to": SUPERVISOR, "from": "+1312", "connection_id": "c",
            "supervise_call_control_id": "v3:nobody", "supervisor_role": "boss"}),
    );
    assert_eq!(role.body["errors"][0]["code"], "10032");
    let unknown = dial(
        &mut sim,
        json!({"to": SUPERVISOR, "from": "+1312", "connection_id": "c",
            "supervise_call_control_id": "v3:nobody"}),
    );
    assert_eq!(unknown.status, 422);
    assert_eq!(
        unknown.body["errors"][0]["source"]["pointer"],
        "/supervise_call_control_id"
    );
    assert_eq!(sim.dial("{not json", NOW).status, 400);
    assert!(sim.calls.is_empty());
    let listed = sim.commands_json();
    assert_eq!(listed.as_array().unwrap().len(), 3, "JSON ones are listed");
    assert!(listed
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["call_control_id"] == "" && c["action"] == "dial"));
}

#[test]
fn client_state_and_link_to_of_a_dial_ride_on_the_new_leg() {
    let mut sim = Simulator::new();
    let a = call(&mut sim);
    let answer = dial(
        &mut sim,
        json!({"to": "+13125550177", "from": "+13125550199", "connection_id": "conn-1",
            "client_state": "ZGlhbGVk", "link_to": a}),
    );
    let leg = leg_of(&answer);
    let session = sim.calls[&a].call_session_id.clone();
    assert_eq!(answer.body["data"]["call_session_id"], session.as_str());
    for emit in &answer.emits {
        assert_eq!(emit.payload["client_state"], "ZGlhbGVk");
        assert_eq!(emit.payload["call_session_id"], session.as_str());
    }
    let hangup = command(&mut sim, &leg, "hangup", json!({}));
    assert_eq!(hangup.emits[0].payload["client_state"], "ZGlhbGVk");
    assert_eq!(sim.calls[&a].leg, telnyx_edge::simulator::core::Leg::Parked);
    let nowhere = dial(
        &mut sim,
        json!({"to": "+13125550177", "from": "+1", "connection_id": "c",
            "link_to": "v3:nobody"}),
    );
    assert_eq!(nowhere.body["errors"][0]["source"]["pointer"], "/link_to");
}

#[test]
fn supervisor_legs_end_with_the_call_they_supervise() {
    let mut sim = Simulator::new();
    let a = call(&mut sim);
    command(&mut sim, &a, "answer", json!({}));
    let (monitor, _) = supervise(&mut sim, &a, Some("monitor"));
    let (barge, _) = supervise(&mut sim, &a, None);
    let (gone, _) = supervise(&mut sim, &a, Some("whisper"));
    assert_eq!(sim.calls[&barge].supervisor_role.as_deref(), Some("barge"));
    assert_eq!(sim.calls[&monitor].supervising.as_deref(), Some(a.as_str()));
    // One supervisor left already: it is not hung up twice.
    assert_eq!(
        types(&command(&mut sim, &gone, "hangup", json!({})).emits),
        ["call.hangup"]
    );
    let other = call(&mut sim);
    let (elsewhere, _) = supervise(&mut sim, &other, None);

    let hangup = sim.far_hangup(&a);
    let ended: Vec<(&str, &str)> = hangup
        .emits
        .iter()
        .map(|e| (e.event_type, e.payload["call_control_id"].as_str().unwrap()))
        .collect();
    assert_eq!(ended[0], ("call.hangup", a.as_str()), "the call first");
    let mut legs = ended[1..].to_vec();
    legs.sort();
    let mut expected = vec![
        ("call.hangup", monitor.as_str()),
        ("call.hangup", barge.as_str()),
    ];
    expected.sort();
    assert_eq!(legs, expected, "then each live supervisor leg, once");
    for emit in &hangup.emits[1..] {
        assert_eq!(emit.payload["hangup_cause"], "normal_clearing");
        assert!(emit.delay_ms > hangup.emits[0].delay_ms, "after the call's");
    }
    assert_eq!(sim.dtmf(&monitor, "1").status, 422, "the leg has ended");
    assert_eq!(
        sim.dtmf(&elsewhere, "1").status,
        202,
        "another call's leg lives on"
    );

    // Hung up by a command, the same.
    let b = call(&mut sim);
    let (leg, _) = supervise(&mut sim, &b, Some("monitor"));
    let hangup = command(&mut sim, &b, "hangup", json!({}));
    assert_eq!(types(&hangup.emits), ["call.hangup", "call.hangup"]);
    assert_eq!(hangup.emits[1].payload["call_control_id"], leg.as_str());
    // Nothing supervises an ended call.
    let late = dial(
        &mut sim,
        json!({"to": SUPERVISOR, "from": "+1", "connection_id": "c",
            "supervise_call_control_id": b}),
    );
    assert_eq!(late.status, 422);
    assert_eq!(late.body["errors"][0]["code"], "90018");
}

#[test]
fn switch_supervisor_role_is_for_supervisor_legs_only() {
    let mut sim = Simulator::new();
    let a = call(&mut sim);
    command(&mut sim, &a, "answer", json!({}));
    let refused = command(
        &mut sim,
        &a,
        "switch_supervisor_role",
        json!({"role": "barge"}),
    );
    assert_eq!(refused.status, 422);
    let error = &refused.body["errors"][0];
    assert_eq!(error["code"], NOT_A_SUPERVISOR_LEG);
    assert!(
        error["detail"].as_str().unwrap().contains("supervisor leg"),
        "{error}"
    );
    assert!(error["title"].is_string());
    assert!(refused.emits.is_empty());

    let (leg, answer) = supervise(&mut sim, &a, Some("monitor"));
    assert_eq!(types(&answer.emits), ["call.initiated", "call.answered"]);
    let switched = command(
        &mut sim,
        &leg,
        "switch_supervisor_role",
        json!({"role": "whisper"}),
    );
    assert_ok(&switched);
    assert!(switched.emits.is_empty(), "Telnyx sends no webhook for it");
    assert_eq!(sim.calls[&leg].supervisor_role.as_deref(), Some("whisper"));
    // DTMF on the supervisor leg is the leg's own.
    let dtmf = sim.dtmf(&leg, "2");
    assert_eq!(dtmf.emits[0].payload["call_control_id"], leg.as_str());
}

// --- busy-hour's plan (`cargo run --example simulate -- busy-hour`) -------------------

fn busy_hour(args: &[&str]) -> Result<BusyHourOptions, String> {
    let args = ["busy-hour"].iter().chain(args).map(|a| (*a).to_owned());
    simulate_args(args, 1).map(|s| s.busy_hour.expect("busy-hour's options"))
}

#[test]
fn busy_hour_plans_four_calls_at_once_the_same_from_the_same_seed() {
    let options = busy_hour(&["--calls", "4"]).unwrap();
    assert_eq!(
        options,
        BusyHourOptions {
            calls: 4,
            total: 12,
            seconds: (20, 90),
            seed: 1
        }
    );
    let plan = Plan::new(&options);
    assert_eq!(
        plan,
        Plan::new(&options),
        "a plan is its options' and seed's"
    );
    // What seed 1 plays: the first four start 1.25 s apart; each next one takes the
    // place that frees first, up to a second after its call hung up.
    let said: Vec<(usize, usize, u64, u64, Kind)> = plan
        .calls
        .iter()
        .map(|c| (c.number, c.slot, c.start_ms, c.hold_ms, c.kind))
        .collect();
    let supervised = |keys| Kind::Supervised { keys };
    let referred = |primary_fails| Kind::Referred { primary_fails };
    assert_eq!(
        said,
        [
            (1, 0, 0, 21_857, Kind::Plain),
            (2, 1, 1_250, 83_494, supervised("21")),
            (3, 2, 2_500, 59_532, Kind::Plain),
            (4, 3, 3_750, 52_191, referred(false)),
            (5, 0, 22_579, 54_671, supervised("2")),
            (6, 3, 56_228, 81_719, supervised("")),
            (7, 2, 62_891, 33_818, supervised("1")),
            (8, 0, 77_439, 20_946, supervised("12")),
            (9, 1, 85_392, 65_366, referred(true)),
            (10, 2, 97_573, 89_698, Kind::Plain),
            (11, 0, 98_590, 77_936, Kind::Plain),
            (12, 3, 138_472, 77_281, Kind::Plain),
        ]
    );
    assert_eq!(
        plan.calls[1].moves,
        [
            (12_524, Move::CallerPresses0),
            (41_747, Move::SupervisorPresses('2')),
            (56_775, Move::SupervisorPresses('1')),
            (83_494, Move::FarSideHangsUp),
        ]
    );
    assert_eq!(
        plan.calls[3].moves,
        [
            (21_398, Move::OperatorRefers),
            (52_191, Move::FarSideHangsUp)
        ]
    );
    assert_eq!(
        (plan.ramp_ms, plan.peak(), plan.length_ms()),
        (5_000, 4, 215_753)
    );
    assert_eq!(plan.commands(), 52);
    assert_eq!(
        plan.describe(),
        "busy-hour: 12 calls, 4 at once, each up 20-90 s, seed 1: 5 with a supervisor, \
         2 referred, 5 answered only; about 3 min 35 s"
    );
    let other = Plan::new(&BusyHourOptions { seed: 2, ..options });
    assert_ne!(other.calls, plan.calls, "another seed, another plan");
}

#[test]
fn busy_hour_keeps_n_calls_up_until_the_total_have_run() {
    for (args, calls, total, seconds) in [
        (&["--calls", "1"][..], 1, 3, (20, 90)),
        (&[][..], 20, 60, (20, 90)),
        (
            &["--calls", "200", "--seconds", "30"][..],
            200,
            600,
            (30, 30),
        ),
        (
            &["--calls", "7", "--total", "7", "--seconds", "1-3"][..],
            7,
            7,
            (1, 3),
        ),
        (
            &[
                "--calls",
                "4",
                "--total",
                "100",
                "--seconds",
                "2-4",
                "--seed",
                "9",
            ][..],
            4,
            100,
            (2, 4),
        ),
    ] {
        let options = busy_hour(args).unwrap();
        assert_eq!(
            (options.calls, options.total, options.seconds),
            (calls, total, seconds)
        );
        let plan = Plan::new(&options);
        assert_eq!(plan.calls.len(), total, "{args:?}");
        assert_eq!(
            plan.peak(),
            calls,
            "{args:?}: every place busy at once, never more"
        );
        let (shortest, longest) = (seconds.0 * 1_000, seconds.1 * 1_000);
        assert!(
            plan.ramp_ms <= shortest.max(1),
            "{args:?}: all up before one ends"
        );
        assert_eq!(
            plan.ramp_ms,
            (100 * calls as u64).clamp(5_000, 20_000).min(shortest)
        );
        let mut free_at = vec![0; calls];
        for (index, call) in plan.calls.iter().enumerate() {
            assert_eq!(call.number, index + 1);
            assert!((shortest..=longest).contains(&call.hold_ms), "{call:?}");
            if index < calls {
                assert_eq!(call.slot, index, "the first calls take a place each");
                assert!(call.start_ms < plan.ramp_ms.max(1), "{call:?}");
            } else {
                assert!(
                    call.start_ms >= plan.calls[index - 1].start_ms,
                    "starts in order"
                );
            }
            // One call at a time in a place, the next up to a second after.
            assert!(call.start_ms >= free_at[call.slot], "{call:?}");
            assert!(index < calls || call.start_ms <= free_at[call.slot] + 1_000);
            free_at[call.slot] = call.start_ms + call.hold_ms;
            // Moves in order within the call, the far side's hangup last.
            let times: Vec<u64> = call.moves.iter().map(|m| m.0).collect();
            assert!(times.windows(2).all(|w| w[0] <= w[1]), "{call:?}");
            assert_eq!(
                call.moves.last(),
                Some(&(call.hold_ms, Move::FarSideHangsUp))
            );
            let expected_moves: Vec<Move> = match call.kind {
                Kind::Plain => vec![],
                Kind::Supervised { keys } => std::iter::once(Move::CallerPresses0)
                    .chain(keys.chars().map(Move::SupervisorPresses))
                    .collect(),
                Kind::Referred { .. } => vec![Move::OperatorRefers],
            };
            let moves: Vec<Move> = call.moves.iter().map(|m| m.1).collect();
            assert_eq!(moves[..moves.len() - 1], expected_moves[..], "{call:?}");
        }
        let distinct: std::collections::BTreeSet<&str> =
            plan.calls.iter().map(|c| c.from.as_str()).collect();
        assert_eq!(distinct.len(), total, "each caller a number of their own");
    }
}

#[test]
fn busy_hour_plans_within_bounds_whatever_the_options() {
    for (calls, total, seconds) in [(0, 0, (0, 0)), (500, 3, (90, 20)), (3, 5, (9_000, 1))] {
        let plan = Plan::new(&BusyHourOptions {
            calls,
            total,
            seconds,
            seed: u64::MAX,
        });
        assert_eq!(plan.calls.len(), total);
        for call in &plan.calls {
            assert!((1_000..=3_600_000).contains(&call.hold_ms), "{call:?}");
            assert!(call.slot < 200, "{call:?}");
        }
    }
}

#[test]
fn busy_hour_mixes_each_ten_calls_the_same() {
    let plan = Plan::new(&busy_hour(&["--calls", "10", "--total", "60", "--seed", "5"]).unwrap());
    for ten in plan.calls.chunks(10) {
        let mut kinds: Vec<String> = ten.iter().map(|c| format!("{:?}", c.kind)).collect();
        let mut every_ten: Vec<String> = EVERY_TEN.iter().map(|k| format!("{k:?}")).collect();
        kinds.sort();
        every_ten.sort();
        assert_eq!(kinds, every_ten);
    }
    let order = |plan: &Plan| -> Vec<Kind> { plan.calls.iter().map(|c| c.kind).collect() };
    assert_ne!(
        order(&plan)[..10],
        order(&plan)[10..20],
        "each ten in an order of its own"
    );
    assert_eq!(plan.count(|k| matches!(k, Kind::Supervised { .. })), 30);
    assert_eq!(plan.count(|k| matches!(k, Kind::Referred { .. })), 12);
    assert_eq!(plan.count(|k| *k == Kind::Plain), 18);
    // Per ten: 3 plain x 3; 5 supervised x 4, and their supervisors' 0 + 1 + 1 + 2 + 2
    // keys; referred 5, and 6 with the failover.
    assert_eq!(plan.commands(), 6 * (3 * 3 + 5 * 4 + 6 + 5 + 6));
}

#[test]
fn busy_hour_expects_what_the_example_rules_do() {
    let supervised = Kind::Supervised { keys: "21" };
    assert_eq!(supervised.final_role(), Some("barge"));
    assert_eq!(Kind::Supervised { keys: "" }.final_role(), Some("monitor"));
    assert_eq!(
        Kind::Supervised { keys: "12" }.final_role(),
        Some("whisper")
    );
    assert_eq!(Kind::Plain.final_role(), None);
    assert_eq!(
        supervised.actions(),
        [
            ("answer", "answer-inbound"),
            ("siprec_start", "record-inbound"),
            ("suppression_start", "suppress-noise"),
            ("dial", "supervisor-dial"),
        ]
    );
    assert_eq!(
        supervised.supervisor_actions(),
        [
            ("dial", "supervisor-dial"),
            ("switch_supervisor_role", "supervisor-whisper"),
            ("switch_supervisor_role", "supervisor-barge"),
        ]
    );
    assert!(supervised
        .supervisor_expected()
        .contains(&("/supervisor_role", "\"barge\"".to_owned())));
    assert_eq!(supervised.commands(), 6);
    let failed_over = Kind::Referred {
        primary_fails: true,
    };
    assert_eq!(
        failed_over.actions()[3..],
        [
            ("refer", "operator"),
            ("refer", "refer-failover"),
            ("client_state_update", "stamp-transferred"),
        ]
    );
    assert!(failed_over.expected().contains(&(
        "/refer/sip_address",
        "\"sip:agents@pbx-backup.example.com\"".to_owned()
    )));
    assert!(failed_over.supervisor_expected().is_empty());
    assert_eq!(Kind::Plain.commands(), 3);
}

#[test]
fn busy_hour_s_options_are_bounded_and_its_own() {
    for (args, problem) in [
        (
            &["--calls", "0"][..],
            "--calls wants a whole number from 1 to 200, not \"0\"",
        ),
        (
            &["--calls", "201"][..],
            "--calls wants a whole number from 1 to 200, not \"201\"",
        ),
        (
            &["--calls", "many"][..],
            "--calls wants a whole number from 1 to 200, not \"many\"",
        ),
        (
            &["--calls", "-3"][..],
            "--calls wants a whole number from 1 to 200, not \"-3\"",
        ),
        (&["--calls"][..], "--calls needs a value"),
        (
            &["--calls", "3", "--calls", "4"][..],
            "--calls is given twice",
        ),
        (
            &["--calls", "5", "--total", "4"][..],
            "--total 4 is fewer than --calls 5: give at least as many calls in all as at once",
        ),
        (
            &["--total", "10001"][..],
            "--total wants a whole number from 1 to 10000, not \"10001\"",
        ),
        (
            &["--seconds", "0"][..],
            "--seconds wants seconds from 1 to 3600, as 30 or 20-90, not \"0\"",
        ),
        (
            &["--seconds", "20-"][..],
            "--seconds wants seconds from 1 to 3600, as 30 or 20-90, not \"20-\"",
        ),
        (
            &["--seconds", "1-3601"][..],
            "--seconds wants seconds from 1 to 3600, as 30 or 20-90, not \"1-3601\"",
        ),
        (
            &["--seconds", "90-20"][..],
            "--seconds 90-20: the shorter comes first, as 20-90",
        ),
        (
            &["--seed", "x"][..],
            "--seed wants a whole number from 0 to 18446744073709551615, not \"x\"",
        ),
        (&["--rate", "3"][..], "unknown option --rate"),
    ] {
        assert_eq!(busy_hour(args).unwrap_err(), problem, "{args:?}");
    }
    assert_eq!(busy_hour(&["--seed", "77"]).unwrap().seed, 77);
    assert_eq!(busy_hour(&["--seconds", " 5 - 9"]).unwrap().seconds, (5, 9));

    let args = |args: &[&str]| simulate_args(args.iter().map(|a| (*a).to_owned()), 1);
    assert_eq!(
        args(&["inbound-recorded", "--calls", "4"]).unwrap_err(),
        "--calls is an option of busy-hour, not of inbound-recorded"
    );
    assert_eq!(
        args(&["--seconds", "5", "supervisor-dtmf"]).unwrap_err(),
        "--seconds is an option of busy-hour, not of supervisor-dtmf"
    );
    assert_eq!(
        args(&["--list", "--total", "9"]).unwrap_err(),
        "--total is an option of busy-hour"
    );
    let listed = args(&["--list"]).unwrap();
    assert!(listed.list && listed.busy_hour.is_none());
    let other = args(&["refer-failover", "--url", "http://127.0.0.1:1"]).unwrap();
    assert_eq!(
        (
            other.scenario.as_deref(),
            other.url.as_str(),
            other.busy_hour
        ),
        (Some("refer-failover"), "http://127.0.0.1:1", None)
    );
    assert_eq!(args(&["--help"]).unwrap_err(), "");
    assert_eq!(
        args(&[]).unwrap_err(),
        "name a scenario (--list shows them)"
    );
}

#[test]
fn busy_hour_says_so_when_nothing_answers() {
    // Nothing listens on port 1: the first call cannot start, and no other starts.
    let run = Run::new("http://127.0.0.1:1", "http://127.0.0.1:1", "token");
    let plan = Plan::new(&busy_hour(&["--calls", "2", "--seconds", "3"]).unwrap());
    let said = std::sync::Mutex::new(Vec::new());
    let report = play(&run, &plan, &|line| {
        said.lock().unwrap().push(line.to_owned())
    });
    assert_eq!((report.started, report.ended, report.checked), (0, 0, 0));
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert!(
        report.problems[0].starts_with("call 1: POST http://127.0.0.1:1/simulator/calls: ")
            && report.problems[0]
                .ends_with("(is `make dev` running, or --url and --telnyx right?)"),
        "{}",
        report.problems[0]
    );
    let said = said.into_inner().unwrap();
    assert_eq!(
        said[0],
        "busy-hour: call 1 went wrong; starting no more calls and hanging up those up"
    );
    assert_eq!(
        said[1],
        "busy-hour: 0 calls in 0 s, at most 0 up at once, stopped at the first problem"
    );
}
