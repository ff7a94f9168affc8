//! Data stored by an earlier version stays readable. `tests/fixtures/stored/` holds what
//! version 0.1.0 (commit 011cb38, before the crate read its JSON through serde's derived
//! code) left in the call objects' SQLite tables and in KV after a set of calls, with
//! the answers it gave about them. Every later version loads those tables and keys as a
//! restarted runtime finds them, must give the same answers, and must carry on from
//! there: the pending action is sent, every call is archived and its storage deleted.
//!
//! `STORED_FIXTURES_WRITE=1 cargo test --test stored_data` rewrites the fixtures; only
//! the version whose format they pin may do so.

mod support;

use std::path::PathBuf;

use serde_json::{json, Map, Value};

use support::deliveries::{call_event, set_payload};
use support::examples::{automations_json, EXAMPLES};
use support::fake_telnyx::Reply;
use support::harness::*;
use telnyx_edge::app::archive::archive_key;
use telnyx_edge::app::object::RETENTION_MS;
use telnyx_edge::ports::http::Request;
use telnyx_edge::ports::memory::StoredValue;
use telnyx_edge::ports::Clock;

const SECOND: u64 = 1_000;
const DAY: u64 = 24 * 3600 * SECOND;
/// Hung up and archived, then deleted from its object after the retention period.
const OLD_CALL: &str = "v3:stored-old-call";
/// Live, with an action Telnyx answered `503` to, waiting for its retry.
const LIVE_CALL: &str = "v3:stored-live-call";
/// Another leg of `CALL`'s session (a transfer's new leg).
const TRANSFER_LEG: &str = "v3:stored-transfer-leg";
const RECEIVER: &str = "https://receiver.test/hooks";
const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

fn fixture_path(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/stored")
        .join(file)
}

fn harness() -> Harness {
    Harness::with_vars(&[
        ("AUTOMATIONS", &automations_json(&EXAMPLES)),
        ("FORWARD_URL", RECEIVER),
        ("FORWARD_SECRET", SECRET),
    ])
}

fn inbound(call: &str, event_type: &str, id: &str, second: u32) -> Value {
    let mut body = call_event(call, event_type, id, second);
    set_payload(&mut body, "direction", json!("incoming"));
    set_payload(&mut body, "client_state", json!("aW5ib3VuZA=="));
    body
}

fn digit(call: &str, id: &str, second: u32, digit: &str) -> Value {
    let mut body = inbound(call, "call.dtmf.received", id, second);
    set_payload(&mut body, "digit", json!(digit));
    body
}

fn accepted(h: &Harness, body: &Value) {
    let response = h.deliver(body);
    assert_eq!(
        json_of(&response)["status"],
        "accepted",
        "{}",
        response.body
    );
    h.advance(2 * SECOND);
}

fn operator(h: &Harness, call: &str, action: &str, body: Value) -> u16 {
    h.send(Request {
        method: "POST".into(),
        path: format!("/calls/{call}/actions/{action}"),
        query: String::new(),
        headers: vec![("authorization".into(), bearer())],
        body: body.to_string().into_bytes(),
    })
    .status
}

/// The calls, as version 0.1.0 played them.
fn play(h: &Harness) {
    // An old call, over and gone from its object: only its archive is left.
    accepted(h, &inbound(OLD_CALL, "call.initiated", "old-initiated", 1));
    accepted(h, &inbound(OLD_CALL, "call.answered", "old-answered", 2));
    accepted(h, &call_event(OLD_CALL, "call.hangup", "old-hangup", 3));
    h.advance(RETENTION_MS as u64 + DAY);
    assert!(h.slot(OLD_CALL).unwrap().storage.tables().is_empty());

    // The caller's leg: answered and recorded by the rules, a supervisor dialed in with
    // its 0, operator actions with effects, a refer that fails over, hung up.
    let session =
        call_event(CALL, "call.initiated", "x", 1)["data"]["payload"]["call_session_id"].clone();
    accepted(h, &inbound(CALL, "call.initiated", "rc-initiated", 1));
    accepted(h, &inbound(CALL, "call.answered", "rc-answered", 2));
    accepted(h, &inbound(CALL, "siprec.started", "rc-siprec-started", 3));
    accepted(h, &digit(CALL, "rc-zero", 4, "0"));
    let supervisor = h.state(CALL)["supervisors"][0]["call_control_id"]
        .as_str()
        .expect("the caller's 0 dialed a supervisor")
        .to_owned();
    let mut leg_initiated = call_event(&supervisor, "call.initiated", "sv-initiated", 5);
    set_payload(&mut leg_initiated, "direction", json!("outgoing"));
    set_payload(
        &mut leg_initiated,
        "client_state",
        json!("c3VwZXJ2aXNvcg=="),
    );
    accepted(h, &leg_initiated);
    accepted(
        h,
        &call_event(&supervisor, "call.answered", "sv-answered", 6),
    );
    assert_eq!(
        operator(
            h,
            &supervisor,
            "switch_supervisor_role",
            json!({"role": "whisper"})
        ),
        200
    );
    assert_eq!(
        operator(h, CALL, "suppression_start", json!({"direction": "both"})),
        200
    );
    assert_eq!(
        operator(
            h,
            CALL,
            "client_state_update",
            json!({"client_state": "c3RhbXBlZA=="})
        ),
        200
    );
    assert_eq!(
        operator(
            h,
            CALL,
            "refer",
            json!({"sip_address": "sip:agents@pbx-primary.example.com"})
        ),
        200
    );
    accepted(
        h,
        &call_event(CALL, "call.refer.started", "rc-refer-started", 7),
    );
    accepted(
        h,
        &call_event(CALL, "call.refer.failed", "rc-refer-failed", 8),
    );
    accepted(
        h,
        &call_event(CALL, "call.refer.started", "rc-refer-started-2", 9),
    );
    accepted(
        h,
        &call_event(CALL, "call.refer.completed", "rc-refer-completed", 10),
    );
    // A transfer's new leg in the caller's session.
    let mut transfer = call_event(TRANSFER_LEG, "call.initiated", "tr-initiated", 11);
    set_payload(&mut transfer, "call_session_id", session.clone());
    accepted(h, &transfer);
    accepted(h, &call_event(CALL, "call.bridged", "rc-bridged", 12));
    accepted(
        h,
        &call_event(CALL, "siprec.stopped", "rc-siprec-stopped", 13),
    );
    accepted(h, &call_event(CALL, "call.hangup", "rc-hangup", 14));
    // An event of no call.
    let loose = json!({"data": {"id": "loose-1", "event_type": "message.received",
        "record_type": "event", "occurred_at": "2025-09-15T14:00:15.104215Z",
        "payload": {"id": "msg-1"}}});
    accepted(h, &loose);

    // A live call whose last action waits for a retry after Telnyx's 503.
    accepted(
        h,
        &inbound(LIVE_CALL, "call.initiated", "live-initiated", 20),
    );
    accepted(h, &inbound(LIVE_CALL, "call.answered", "live-answered", 21));
    h.telnyx
        .then(Reply::error(503, "90001", "Service unavailable").retry_after("30"));
    accepted(h, &digit(LIVE_CALL, "live-zero", 22, "0"));
    let pending = h.state(LIVE_CALL)["actions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|action| action["status"] == "pending");
    assert!(pending, "{}", h.state(LIVE_CALL));
}

/// The answers the fixtures pin: each call's state and the call list.
fn answers(h: &Harness, calls: &[String]) -> Value {
    let mut states = Map::new();
    for call in calls {
        states.insert(call.clone(), h.state(call));
    }
    let list = |query: &str| json_of(&h.get(&format!("/calls{query}"), Some(&bearer())));
    json!({"states": states, "list": list(""), "live": list("?status=live")})
}

fn kv_entries(h: &Harness) -> Value {
    serde_json::to_value(h.kv.entries()).unwrap()
}

fn read(file: &str) -> Value {
    let path = fixture_path(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("the fixture {} must be readable: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn write(file: &str, value: &Value) {
    let path = fixture_path(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, serde_json::to_string_pretty(value).unwrap() + "\n").unwrap();
}

#[test]
fn data_stored_by_version_0_1_0_reads_the_same_and_carries_on() {
    if std::env::var_os("STORED_FIXTURES_WRITE").is_some() {
        let h = harness();
        play(&h);
        let mut calls: Vec<String> = h
            .objects
            .with_tables()
            .into_iter()
            .filter(|name| name.starts_with("v3:"))
            .collect();
        calls.push(OLD_CALL.to_owned());
        calls.sort();
        write("objects.json", &Value::Object(h.objects.export()));
        write("kv.json", &kv_entries(&h));
        write(
            "answers.json",
            &json!({"now_millis": h.clock.now_millis(), "answers": answers(&h, &calls)}),
        );
        return;
    }

    let expected = read("answers.json");
    let h = harness();
    let now = expected["now_millis"].as_i64().unwrap();
    h.clock.advance((now - h.clock.now_millis()) as u64);
    h.kv.set_now((now / 1000) as u64);
    let Value::Object(objects) = read("objects.json") else {
        panic!("objects.json holds an object per call object");
    };
    h.objects.import(&objects);
    let kv: std::collections::BTreeMap<String, StoredValue> =
        serde_json::from_value(read("kv.json")).unwrap();
    for (key, value) in kv {
        h.kv.restore(&key, value);
    }
    let calls: Vec<String> = expected["answers"]["states"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(answers(&h, &calls), expected["answers"], "the same answers");

    // Carrying on: the retry goes out, and every call ends up archived, the archive
    // answering as the object did.
    h.advance(60 * SECOND);
    let live = h.state(LIVE_CALL);
    let statuses: Vec<&str> = live["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|action| action["status"].as_str().unwrap())
        .collect();
    assert!(!statuses.contains(&"pending"), "{live}");
    let before: Vec<Value> = calls.iter().map(|call| h.state(call)).collect();
    h.advance(RETENTION_MS as u64 + DAY);
    for (call, state) in calls.iter().zip(before) {
        assert!(
            h.slot(call)
                .is_none_or(|slot| slot.storage.tables().is_empty()),
            "{call}'s storage is deleted"
        );
        assert!(
            h.kv.entry(&archive_key(call)).is_some(),
            "{call} is archived"
        );
        assert_eq!(h.state(call), state, "{call} from its archive");
    }
}
