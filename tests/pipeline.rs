//! The whole request pipeline over in-memory ports: every route, status code and state
//! transition of `docs/http-api.md`, including out-of-order and duplicate delivery.

mod support;

use serde_json::{json, Value};

use support::deliveries::{self, occurred_at, TRACKED_EVENT_TYPES};
use support::harness::*;
use telnyx_edge::app::archive::{index_key, ARCHIVE_TTL_SECS};
use telnyx_edge::app::object::{ARCHIVE_DELAY_MS, GATHER_MS, TALLY_BACKSTOP_MS, TALLY_INTERVAL_MS};
use telnyx_edge::ports::http::Request;
use telnyx_edge::simulator::signing::{signature_headers as headers, WebhookSigner};

// --- accepted and duplicate ---------------------------------------------------------

#[test]
fn a_genuine_delivery_is_stored_in_its_calls_object_and_indexed_once_per_status() {
    let h = Harness::new();
    let response = h.deliver_only(&event("call.initiated", "ev-1", 1));
    assert_eq!(response.status, 200);
    assert_eq!(
        json_of(&response),
        json!({"status": "accepted", "event_id": "ev-1"})
    );
    assert_eq!(event_ids(&h.state(CALL)), ["ev-1"], "read your writes");
    // The object's alarm, right after the answer, tells the call's session object of
    // it; the index entry waits for the events close behind the first.
    assert!(h.kv.keys().is_empty(), "nothing in KV before the answer");
    assert_eq!(h.objects.alarm_runs(), 0);
    assert_eq!(h.run_alarms(), 1);
    assert!(h.kv.keys().is_empty(), "the first entry waits");
    h.advance(GATHER_MS as u64);
    assert_eq!(h.kv.keys(), [index_key(NOW * 1000, CALL)]);
    assert_eq!(h.objects.alarm_runs(), 1, "written by the object's timer");
    assert_eq!(
        h.slot(CALL).unwrap().storage.alarm(),
        Some(NOW * 1000 + telnyx_edge::app::object::RETENTION_MS),
        "the timer done, the alarm waits for the retention"
    );
    let entry = h.kv.entry(&h.kv.keys()[0]).unwrap();
    assert_eq!(entry.expires_at, NOW as u64 + 2 + ARCHIVE_TTL_SECS);
    let metadata = entry.metadata.unwrap();
    assert_eq!(metadata["call_control_id"], CALL);
    assert_eq!(metadata["status"], "initiated");
    // A change of status: the call's object rewrites the entry, no sooner than 1 s
    // after it wrote it (KV takes one write a second to a key).
    h.deliver(&event("call.answered", "ev-2", 2));
    h.advance(999);
    assert_eq!(h.kv.writes(), 1);
    h.advance(1);
    assert_eq!(h.kv.writes(), 2, "rewritten once the second has passed");
    let metadata = h.kv.entry(&h.kv.keys()[0]).unwrap().metadata.unwrap();
    assert_eq!(metadata["status"], "answered");
    // Events that change no status write nothing.
    h.deliver(&event("call.dtmf.received", "ev-3", 3));
    h.advance(5_000);
    assert_eq!(
        h.kv.writes(),
        2,
        "one write per change of status, not per event"
    );
}

#[test]
fn a_call_answered_soon_after_its_first_event_gets_one_index_entry() {
    let h = Harness::new();
    h.deliver(&event("call.initiated", "ev-1", 1));
    h.advance(1_500);
    h.deliver(&event("call.answered", "ev-2", 2));
    h.advance(10_000);
    assert_eq!(h.kv.writes(), 1, "one entry shows both");
    let metadata = h.kv.entry(&h.kv.keys()[0]).unwrap().metadata.unwrap();
    assert_eq!(metadata["status"], "answered");
}

#[test]
fn a_call_whose_first_event_is_no_status_is_indexed_as_initiated() {
    let h = Harness::new();
    h.deliver(&event("call.refer.completed", "ev-1", 1));
    // With its first report, from the instance's timer: no alarm runs for it.
    h.advance(GATHER_MS as u64 - 1);
    assert_eq!(
        h.kv.writes(),
        0,
        "the first events of a call go in one entry"
    );
    h.advance(1);
    let metadata = h.kv.entry(&h.kv.keys()[0]).unwrap().metadata.unwrap();
    assert_eq!(metadata["status"], "initiated");
    // The timer did what the alarm was its backstop for: the alarm moved on to the
    // retention, so none runs a minute later.
    assert_eq!(
        h.slot(CALL).unwrap().storage.alarm(),
        Some(NOW * 1000 + telnyx_edge::app::object::RETENTION_MS)
    );
    h.advance(TALLY_BACKSTOP_MS as u64 + 5_000);
    assert_eq!(h.kv.writes(), 1, "nothing changed its status");
    assert_eq!(h.objects.alarm_runs(), 0);
}

#[test]
fn an_accepted_webhook_is_logged_when_log_webhooks_is_all_and_a_repeat_always() {
    let webhook_lines = |h: &Harness| {
        h.log
            .text()
            .lines()
            .filter(|line| line.contains("\"msg\":\"webhook\""))
            .map(|line| serde_json::from_str::<Value>(line).unwrap()["outcome"].clone())
            .collect::<Vec<_>>()
    };
    let quiet = Harness::new();
    quiet.deliver(&event("call.answered", "ev-1", 2));
    quiet.deliver(&event("call.answered", "ev-1", 2));
    assert_eq!(webhook_lines(&quiet), [json!("duplicate")]);
    let all = Harness::with_vars(&[("LOG_WEBHOOKS", "all")]);
    all.deliver(&event("call.answered", "ev-1", 2));
    all.deliver(&event("call.answered", "ev-1", 2));
    assert_eq!(webhook_lines(&all), [json!("accepted"), json!("duplicate")]);
    let line = all.log.text();
    assert!(line.contains("\"event_id\":\"ev-1\"") && line.contains(CALL));
    // Any other value is reported, and logs as unset does.
    let wrong = Harness::with_vars(&[("LOG_WEBHOOKS", "every")]);
    wrong.deliver(&event("call.answered", "ev-1", 2));
    assert!(webhook_lines(&wrong).is_empty());
    let health = json_of(&wrong.get("/health", None));
    assert!(health
        .to_string()
        .contains("LOG_WEBHOOKS must be `all` or `problems`"));
}

#[test]
fn a_redelivered_event_is_a_duplicate_and_stores_nothing_but_its_count() {
    let h = Harness::new();
    let mut body = event("call.answered", "ev-1", 2);
    assert_eq!(h.deliver(&body).status, 200);
    let writes = h.kv.writes();
    let records = h.objects.call_records();
    // Telnyx's retry carries the same data under a new attempt number.
    body["meta"]["attempt"] = json!(2);
    let response = h.deliver(&body);
    assert_eq!(response.status, 200);
    assert_eq!(
        json_of(&response),
        json!({"status": "duplicate", "event_id": "ev-1"})
    );
    assert_eq!(h.kv.writes(), writes);
    assert_eq!(h.objects.call_records(), records);
    assert_eq!(event_ids(&h.state(CALL)), ["ev-1"]);
    let duplicates: Vec<serde_json::Map<String, Value>> = telnyx_edge::ports::ObjectStorage::query(
        &h.slot(CALL).unwrap().storage,
        "SELECT n FROM duplicates",
        &[],
    )
    .unwrap();
    assert_eq!(
        duplicates,
        [json!({"n": 1}).as_object().unwrap().clone()],
        "for the dashboard"
    );
}

#[test]
fn event_ids_are_claimed_per_call() {
    // Telnyx's ids are unique; an id is a duplicate within the call it belongs to.
    let h = Harness::new();
    assert_eq!(h.deliver(&event("call.answered", "ev-1", 2)).status, 200);
    let mut other = event("call.answered", "ev-1", 2);
    deliveries::set_payload(&mut other, "call_control_id", json!("v3:another"));
    assert_eq!(json_of(&h.deliver(&other))["status"], "accepted");
    assert_eq!(json_of(&h.deliver(&other))["status"], "duplicate");
    assert_eq!(event_ids(&h.state("v3:another")), ["ev-1"]);
    assert_eq!(event_ids(&h.state(CALL)), ["ev-1"]);
}

#[test]
fn events_that_belong_to_no_call_are_claimed_once_and_archived() {
    let h = Harness::new();
    let body = json!({"data": {"id": "loose-1", "event_type": "fax.received",
        "occurred_at": occurred_at(1), "payload": {"fax_id": "f1"}}, "meta": {"attempt": 1}});
    assert_eq!(json_of(&h.deliver(&body))["status"], "accepted");
    assert_eq!(json_of(&h.deliver(&body))["status"], "duplicate");
    let archived = h.kv.entry("event:loose-1").expect("archived in KV");
    assert_eq!(archived.value, body.to_string());
    assert_eq!(h.kv.writes(), 1);
    // Remembered for the retention period, then forgotten.
    h.advance(8 * 24 * 3600 * 1000);
    let objects: Vec<String> = h.objects.call_records().into_keys().collect();
    assert_eq!(objects.len(), 1, "{objects:?}");
    assert!(objects[0].starts_with("loose-events/"));
    let slot = h.slot(&objects[0]).unwrap();
    let left: Vec<serde_json::Map<String, Value>> =
        telnyx_edge::ports::ObjectStorage::query(&slot.storage, "SELECT id FROM loose_events", &[])
            .unwrap();
    assert!(left.is_empty(), "{left:?}");
    assert_eq!(slot.storage.alarm(), None, "nothing left to do");
}

#[test]
fn every_example_delivery_in_the_spec_examples_is_accepted() {
    let examples = deliveries::spec_events();
    let h = Harness::new();
    let mut seen = Vec::new();
    for example in examples["events"].as_array().unwrap() {
        let delivery = &example["delivery"];
        let response = h.deliver(delivery);
        assert_eq!(
            response.status, 200,
            "{}: {}",
            example["event_type"], response.body
        );
        assert_eq!(json_of(&response)["status"], "accepted");
        seen.push(example["event_type"].as_str().unwrap().to_owned());
    }
    for tracked in TRACKED_EVENT_TYPES {
        assert!(
            seen.iter().any(|s| s == tracked),
            "no example for {tracked}"
        );
    }
    let call = examples["events"][0]["delivery"]["data"]["payload"]["call_control_id"]
        .as_str()
        .unwrap();
    let state = h.state(call);
    assert_eq!(state["events"].as_array().unwrap().len(), seen.len());
    assert_eq!(state["status"], "hangup");
    assert_eq!(state["hangup_cause"], "normal_clearing");
}

// --- signature and timestamp: 401, nothing stored -------------------------------------

/// Sends `body` with these headers and checks a 401 with `code` that stored nothing.
fn assert_refused(h: &Harness, headers: Vec<(String, String)>, body: &[u8], code: &str) {
    let response = h.webhook(headers, body);
    assert_error(&response, 401, code);
    assert!(!h.stored_anything(), "a refused delivery stored something");
}

#[test]
fn signature_rejections_are_401_and_store_nothing() {
    let h = Harness::new();
    let body = event("call.answered", "ev-1", 2).to_string().into_bytes();
    let sign = |ts: i64| h.signer.sign(&ts.to_string(), &body);
    let now = NOW.to_string();
    let genuine = sign(NOW);
    let raw = base64_decode(&genuine);

    assert_refused(
        &h,
        headers(&sign(NOW - 301), &(NOW - 301).to_string()),
        &body,
        "timestamp_outside_window",
    );
    assert_refused(
        &h,
        headers(&sign(NOW + 301), &(NOW + 301).to_string()),
        &body,
        "timestamp_outside_window",
    );
    let mut tampered = body.clone();
    tampered[20] ^= 1;
    assert_refused(&h, headers(&genuine, &now), &tampered, "invalid_signature");
    let reserialised = serde_json::to_vec_pretty(&event("call.answered", "ev-1", 2)).unwrap();
    assert_refused(
        &h,
        headers(&genuine, &now),
        &reserialised,
        "invalid_signature",
    );
    let stranger = WebhookSigner::from_seed([8; 32]);
    assert_refused(&h, stranger.headers(NOW, &body), &body, "invalid_signature");
    assert_refused(
        &h,
        headers("%%%not-base64%%%", &now),
        &body,
        "malformed_signature",
    );
    assert_refused(
        &h,
        headers(&base64_encode(&raw[..63]), &now),
        &body,
        "malformed_signature",
    );
    assert_refused(
        &h,
        headers(&base64_encode(&[raw.as_slice(), &raw[..1]].concat()), &now),
        &body,
        "malformed_signature",
    );
    assert_refused(
        &h,
        headers(&genuine, "yesterday"),
        &body,
        "malformed_timestamp",
    );
    assert_refused(
        &h,
        headers(&genuine, &format!("{NOW}.0")),
        &body,
        "malformed_timestamp",
    );
    assert_refused(
        &h,
        headers(&genuine, &format!("+{NOW}")),
        &body,
        "malformed_timestamp",
    );
    assert_refused(
        &h,
        vec![("telnyx-timestamp".into(), now.clone())],
        &body,
        "missing_signature",
    );
    assert_refused(
        &h,
        vec![("telnyx-signature-ed25519".into(), genuine.clone())],
        &body,
        "missing_timestamp",
    );
    let mut twice = headers(&genuine, &now);
    twice.push(("Telnyx-Timestamp".into(), now.clone()));
    assert_refused(&h, twice, &body, "malformed_timestamp");
    let mut twice = headers(&genuine, &now);
    twice.push(("telnyx-signature-ed25519".into(), genuine.clone()));
    assert_refused(&h, twice, &body, "malformed_signature");
}

#[test]
fn the_window_edge_itself_is_accepted() {
    for ts in [NOW - 300, NOW + 300] {
        let h = Harness::new();
        let body = event("call.answered", "ev-1", 2).to_string().into_bytes();
        assert_eq!(
            h.webhook(h.signer.headers(ts, &body), &body).status,
            200,
            "{ts}"
        );
    }
}

#[test]
fn the_window_follows_webhook_tolerance_secs() {
    let h = Harness::with_vars(&[("WEBHOOK_TOLERANCE_SECS", "10")]);
    let body = event("call.answered", "ev-1", 2).to_string().into_bytes();
    assert_refused(
        &h,
        h.signer.headers(NOW - 11, &body),
        &body,
        "timestamp_outside_window",
    );
    assert_eq!(
        h.webhook(h.signer.headers(NOW - 10, &body), &body).status,
        200
    );
}

#[test]
fn header_names_match_in_any_case() {
    let h = Harness::new();
    let body = event("call.answered", "ev-1", 2).to_string().into_bytes();
    let signature = h.signer.sign(&NOW.to_string(), &body);
    let mixed = vec![
        ("Telnyx-Signature-Ed25519".to_string(), signature),
        ("TELNYX-TIMESTAMP".to_string(), NOW.to_string()),
    ];
    assert_eq!(h.webhook(mixed, &body).status, 200);
}

#[test]
fn a_second_rotated_key_is_accepted() {
    let old = WebhookSigner::from_seed([1; 32]);
    let new = WebhookSigner::from_seed([2; 32]);
    let keys = format!("{},{}", old.public_key_base64(), new.public_key_base64());
    let h = Harness::with_vars(&[("TELNYX_PUBLIC_KEY", &keys)]);
    for (n, signer) in [old, new].iter().enumerate() {
        let body = event("call.answered", &format!("ev-{n}"), 2)
            .to_string()
            .into_bytes();
        assert_eq!(h.webhook(signer.headers(NOW, &body), &body).status, 200);
    }
}

// --- configuration errors: 500, logged ------------------------------------------------

#[test]
fn without_a_public_key_webhooks_are_refused_with_500_and_a_log_line() {
    let h = Harness::with_vars(&[("TELNYX_PUBLIC_KEY", "")]);
    let response = h.deliver(&event("call.answered", "ev-1", 2));
    assert_error(&response, 500, "public_key_missing");
    assert!(!h.stored_anything());
    assert!(
        h.log.text().contains("public_key_missing"),
        "{}",
        h.log.text()
    );
}

#[test]
fn a_public_key_of_the_wrong_length_is_a_500_not_a_401() {
    let h = Harness::with_vars(&[("TELNYX_PUBLIC_KEY", &base64_encode(&[9; 31]))]);
    let response = h.deliver(&event("call.answered", "ev-1", 2));
    assert_error(&response, 500, "public_key_invalid");
    assert!(json_of(&response)["errors"][0]["detail"]
        .as_str()
        .unwrap()
        .contains("31 bytes"));
    assert!(!h.stored_anything());
}

#[test]
fn an_unreadable_tolerance_refuses_webhooks_rather_than_guessing() {
    let h = Harness::with_vars(&[("WEBHOOK_TOLERANCE_SECS", "5 minutes")]);
    assert_error(
        &h.deliver(&event("call.answered", "ev-1", 2)),
        500,
        "tolerance_invalid",
    );
    assert!(!h.stored_anything());
    assert_eq!(json_of(&h.get("/health", None))["status"], "misconfigured");
}

// --- 400: verified but not an envelope --------------------------------------------------

#[test]
fn verified_bodies_that_are_not_envelopes_are_400_with_a_pointer() {
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"not json".to_vec(), ""),
        (b"[]".to_vec(), ""),
        (b"\xff\xfe{}".to_vec(), ""),
        (b"".to_vec(), ""),
        (br#"{"meta":{}}"#.to_vec(), "/data"),
        (
            json!({"data": {"event_type": "call.answered"}})
                .to_string()
                .into_bytes(),
            "/data/id",
        ),
        (
            json!({"data": {"id": "e"}}).to_string().into_bytes(),
            "/data/event_type",
        ),
        (
            {
                let mut body = event("call.answered", "ev-1", 2);
                deliveries::remove(&mut body, "/data/payload/call_control_id");
                body.to_string().into_bytes()
            },
            "/data/payload/call_control_id",
        ),
        (
            {
                let mut body = event("call.answered", "ev-1", 2);
                body["data"]["id"] = json!(42);
                body.to_string().into_bytes()
            },
            "/data/id",
        ),
    ];
    for (body, pointer) in cases {
        let h = Harness::new();
        let response = h.webhook(h.signer.headers(NOW, &body), &body);
        assert_error(&response, 400, "invalid_envelope");
        let source = &json_of(&response)["errors"][0]["source"]["pointer"];
        assert_eq!(source, pointer, "{}", String::from_utf8_lossy(&body));
        assert!(!h.stored_anything());
    }
}

#[test]
fn unknown_event_types_are_accepted_and_change_no_state() {
    let h = Harness::new();
    h.deliver(&event("call.answered", "ev-1", 2));
    let before = h.state(CALL);
    let response = h.deliver(&event("call.playback.started", "ev-2", 3));
    assert_eq!(json_of(&response)["status"], "accepted");
    let after = h.state(CALL);
    for field in ["status", "refer", "siprec", "client_state", "hangup_cause"] {
        assert_eq!(after[field], before[field], "{field}");
    }
    assert_eq!(event_ids(&after), ["ev-1", "ev-2"]);
    // Events of other products need no call at all.
    let message = json!({"data": {"id": "msg-1", "event_type": "message.received",
        "payload": {"id": "x"}}});
    assert_eq!(json_of(&h.deliver(&message))["status"], "accepted");
}

// --- 413, 404, 405 ---------------------------------------------------------------------

#[test]
fn oversized_bodies_are_413_before_any_verification() {
    let h = Harness::with_vars(&[("TELNYX_PUBLIC_KEY", "")]);
    let body = vec![b' '; 256 * 1024 + 1];
    assert_error(&h.webhook(Vec::new(), &body), 413, "payload_too_large");
    let exactly = vec![b' '; 256 * 1024];
    assert_eq!(
        h.webhook(Vec::new(), &exactly).status,
        500,
        "at the limit it is verified"
    );
}

#[test]
fn wrong_methods_are_405_with_allow() {
    let h = Harness::new();
    for (method, path, allow) in [
        ("GET", "/webhooks/telnyx", "POST"),
        ("PUT", "/webhooks/telnyx", "POST"),
        ("POST", "/health", "GET"),
        ("DELETE", "/calls/v3:x", "GET"),
    ] {
        let response = h.send(Request {
            method: method.into(),
            path: path.into(),
            query: String::new(),
            ..Request::default()
        });
        assert_error(&response, 405, "method_not_allowed");
        assert_eq!(response.header("allow"), Some(allow), "{method} {path}");
    }
}

#[test]
fn unknown_paths_are_404() {
    let h = Harness::new();
    for path in [
        "/",
        "/webhooks",
        "/webhooks/telnyx/",
        "/calls/",
        "/calls/a/b",
    ] {
        assert_error(&h.get(path, Some(&bearer())), 404, "not_found");
    }
}

// --- operator API -----------------------------------------------------------------------

#[test]
fn call_state_needs_the_admin_token() {
    let h = Harness::new();
    h.deliver(&event("call.answered", "ev-1", 2));
    let path = format!("/calls/{CALL}");
    for authorization in [
        None,
        Some("Bearer wrong".to_string()),
        Some(format!("Bearer {}", ADMIN_TOKEN.to_uppercase())),
        Some(format!("Bearer  {ADMIN_TOKEN}")),
        Some(ADMIN_TOKEN.to_string()),
    ] {
        let response = h.get(&path, authorization.as_deref());
        assert_error(&response, 401, "unauthorized");
        assert_eq!(response.header("www-authenticate"), Some("Bearer"));
    }
    assert_eq!(h.get(&path, Some(&bearer())).status, 200);
}

#[test]
fn without_an_admin_token_the_operator_api_is_503() {
    let h = Harness::with_vars(&[("ADMIN_TOKEN", "")]);
    h.deliver(&event("call.answered", "ev-1", 2));
    let response = h.get(&format!("/calls/{CALL}"), Some("Bearer anything"));
    assert_error(&response, 503, "admin_token_missing");
}

#[test]
fn unknown_calls_are_404() {
    let h = Harness::new();
    assert_error(
        &h.get("/calls/v3:nobody", Some(&bearer())),
        404,
        "call_not_found",
    );
}

#[test]
fn call_ids_may_be_percent_encoded_in_the_path() {
    let h = Harness::new();
    h.deliver(&event("call.answered", "ev-1", 2));
    let encoded = CALL.replace(':', "%3A");
    let response = h.get(&format!("/calls/{encoded}"), Some(&bearer()));
    assert_eq!(json_of(&response)["call_control_id"], CALL);
}

// --- call state --------------------------------------------------------------------------

/// The events of one whole call, in `occurred_at` order.
fn whole_call() -> Vec<Value> {
    let mut refer_completed = event("call.refer.completed", "ev-6", 6);
    deliveries::set_payload(&mut refer_completed, "client_state", json!("c3RhbXBlZA=="));
    vec![
        event("call.initiated", "ev-1", 1),
        event("call.answered", "ev-2", 2),
        event("call.bridged", "ev-3", 3),
        event("siprec.started", "ev-4", 4),
        event("call.refer.started", "ev-5", 5),
        refer_completed,
        event("call.siprec.stopped", "ev-7", 7),
        event("call.hangup", "ev-8", 8),
    ]
}

#[test]
fn a_whole_call_folds_to_the_documented_state() {
    let h = Harness::new();
    for body in whole_call() {
        assert_eq!(h.deliver(&body).status, 200);
    }
    let state = h.state(CALL);
    let expected = json!({
        "call_control_id": CALL,
        "call_leg_id": "2f1e8c3a-91d4-11f0-9d6b-02420aef1a2c",
        "call_session_id": deliveries::session_of(CALL),
        "connection_id": "2461790383128036389",
        "from": "+13125550100",
        "to": "+13125550199",
        "status": "hangup",
        "hangup_cause": "normal_clearing",
        "client_state": "eyJmbG93IjoiaXZyIiwic3RlcCI6Mn0=",
        "refer": {"status": "completed", "sip_notify_response": 200, "sip_address": null},
        "siprec": {"status": "stopped", "failure_cause": null, "hangup_cause": "normal_clearing"},
        "noise_suppression": null,
        "supervisor_role": null,
        "events": (1..=8).map(|n| {
            let body = &whole_call()[n - 1];
            json!({"id": format!("ev-{n}"),
                   "event_type": body["data"]["event_type"].as_str().unwrap().replace("call.siprec.", "siprec."),
                   "occurred_at": occurred_at(n as u32)})
        }).collect::<Vec<_>>(),
        "actions": [],
        "forwards": [],
        "origin": null,
        "supervising": null,
        "supervisors": [],
        "legs": [],
        "updated_at": occurred_at(8),
    });
    assert_eq!(state, expected);
}

#[test]
fn delivery_order_and_duplicates_do_not_change_the_state() {
    let in_order = Harness::new();
    for body in whole_call() {
        in_order.deliver(&body);
    }
    let expected = in_order.state(CALL);

    let scrambled = Harness::new();
    let mut arrivals = whole_call();
    arrivals.reverse();
    arrivals.swap(1, 5);
    arrivals.extend(whole_call().into_iter().step_by(3));
    for body in &arrivals {
        assert_eq!(scrambled.deliver(body).status, 200);
    }
    assert_eq!(scrambled.state(CALL), expected);
}

#[test]
fn each_lifecycle_step_moves_the_status() {
    let h = Harness::new();
    for (n, (event_type, status)) in [
        ("call.initiated", "initiated"),
        ("call.answered", "answered"),
        ("call.bridged", "bridged"),
        ("call.hangup", "hangup"),
    ]
    .into_iter()
    .enumerate()
    {
        h.deliver(&event(event_type, &format!("ev-{n}"), n as u32));
        assert_eq!(h.state(CALL)["status"], status, "after {event_type}");
    }
}

#[test]
fn refer_outcomes_are_tracked() {
    let h = Harness::new();
    h.deliver(&event("call.refer.started", "r-1", 1));
    assert_eq!(
        h.state(CALL)["refer"],
        json!({"status": "started", "sip_notify_response": 100, "sip_address": null})
    );
    h.deliver(&event("call.refer.failed", "r-2", 2));
    assert_eq!(
        h.state(CALL)["refer"],
        json!({"status": "failed", "sip_notify_response": 603, "sip_address": null})
    );
    // A late `started` from before the failure changes nothing.
    h.deliver(&event("call.refer.started", "r-0", 0));
    assert_eq!(h.state(CALL)["refer"]["status"], "failed");
}

#[test]
fn siprec_outcomes_are_tracked_under_either_spelling() {
    let h = Harness::new();
    h.deliver(&event("call.siprec.started", "s-1", 1));
    assert_eq!(
        h.state(CALL)["siprec"],
        json!({"status": "started", "failure_cause": null, "hangup_cause": null})
    );
    h.deliver(&event("siprec.failed", "s-2", 2));
    assert_eq!(
        h.state(CALL)["siprec"],
        json!({"status": "failed", "failure_cause": "no_answer", "hangup_cause": null})
    );
    let state = h.state(CALL);
    assert_eq!(state["events"][0]["event_type"], "siprec.started");
}

#[test]
fn client_state_follows_the_newest_event() {
    let h = Harness::new();
    let mut late = event("call.dtmf.received", "d-2", 20);
    deliveries::set_payload(&mut late, "client_state", json!("bmV3ZXN0"));
    let mut early = event("call.dtmf.received", "d-1", 10);
    deliveries::set_payload(&mut early, "client_state", json!("b2xkZXI="));
    h.deliver(&late);
    h.deliver(&early);
    assert_eq!(h.state(CALL)["client_state"], "bmV3ZXN0");
}

// --- storage faults: nothing lost -------------------------------------------------------

#[test]
fn an_unreachable_object_is_500_and_the_redelivery_is_accepted() {
    let h = Harness::new();
    h.objects.set_unreachable(true);
    let body = event("call.answered", "ev-1", 2);
    assert_error(&h.deliver(&body), 500, "storage_unavailable");
    h.objects.set_unreachable(false);
    assert_eq!(json_of(&h.deliver(&body))["status"], "accepted");
    assert_eq!(event_ids(&h.state(CALL)), ["ev-1"]);
    assert_eq!(json_of(&h.deliver(&body))["status"], "duplicate");
}

#[test]
fn a_failed_claim_is_500_stores_nothing_and_the_redelivery_is_accepted() {
    let h = Harness::new();
    // The object exists (a read made it) and its storage fails the claim.
    assert_eq!(
        h.get(&format!("/calls/{CALL}"), Some(&bearer())).status,
        404
    );
    let slot = h.slot(CALL).unwrap();
    slot.storage.fail_statements("INSERT INTO events");
    let body = event("call.answered", "ev-1", 2);
    assert_error(&h.deliver(&body), 500, "storage_unavailable");
    slot.storage.heal();
    assert_eq!(
        h.get(&format!("/calls/{CALL}"), Some(&bearer())).status,
        404
    );
    assert_eq!(json_of(&h.deliver(&body))["status"], "accepted");
    assert_eq!(json_of(&h.deliver(&body))["status"], "duplicate");
}

#[test]
fn an_alarm_that_cannot_be_set_is_500_and_the_redelivery_sets_it() {
    let h = Harness::with_vars(&[(
        "AUTOMATIONS",
        r#"{"rules":[{"name":"a","on":["call.initiated"],"do":[{"action":"answer"}]}]}"#,
    )]);
    assert_eq!(
        h.get(&format!("/calls/{CALL}"), Some(&bearer())).status,
        404
    );
    let slot = h.slot(CALL).unwrap();
    slot.storage.fail_statements("setAlarm");
    let body = event("call.initiated", "ev-1", 1);
    assert_error(&h.deliver(&body), 500, "storage_unavailable");
    assert!(h.telnyx.requests().is_empty());
    slot.storage.heal();
    // The event was claimed; the redelivery is a duplicate and arms the alarm.
    assert_eq!(json_of(&h.deliver(&body))["status"], "duplicate");
    assert_eq!(h.telnyx.requests().len(), 1, "the rule ran once");
}

#[test]
fn the_development_key_is_the_local_default() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/.dev.vars.example");
    let example = std::fs::read_to_string(path).unwrap();
    let configured = example
        .lines()
        .find_map(|line| line.strip_prefix("TELNYX_PUBLIC_KEY="))
        .expect(".dev.vars.example sets TELNYX_PUBLIC_KEY");
    assert_eq!(configured, WebhookSigner::development().public_key_base64());
}

// --- health and logs ------------------------------------------------------------------------

#[test]
fn health_reports_which_settings_are_present() {
    let h = Harness::with_vars(&[("TELNYX_API_KEY", "")]);
    let response = h.get("/health", None);
    assert_eq!(response.status, 200);
    assert_eq!(
        json_of(&response),
        json!({"status": "ok", "version": env!("CARGO_PKG_VERSION"), "config": {
            "public_key": true, "api_key": false, "admin_token": true, "automations": 0,
            "access": false, "access_team_domain": null}})
    );
    let broken = Harness::with_vars(&[("TELNYX_PUBLIC_KEY", "short")]);
    let health = json_of(&broken.get("/health", None));
    assert_eq!(health["status"], "misconfigured");
    assert!(health["reason"]
        .as_str()
        .unwrap()
        .contains("TELNYX_PUBLIC_KEY"));
    assert!(
        !health.to_string().contains("short"),
        "values are never shown"
    );
}

#[test]
fn logs_never_carry_secrets_signatures_or_bodies() {
    let h = Harness::new();
    let body = event("call.answered", "ev-1", 2);
    let bytes = body.to_string().into_bytes();
    let headers = h.signer.headers(NOW, &bytes);
    h.webhook(headers.clone(), &bytes);
    h.webhook(headers.clone(), &bytes);
    h.webhook(headers.clone(), b"{\"tampered\":true}");
    h.get(&format!("/calls/{CALL}"), Some("Bearer wrong-token-guess"));
    let log = h.log.text();
    assert!(log.contains("\"event_id\":\"ev-1\""), "{log}");
    for secret in [
        headers[0].1.as_str(),
        &h.signer.public_key_base64(),
        ADMIN_TOKEN,
        "wrong-token-guess",
        "eyJmbG93IjoiaXZyIiwic3RlcCI6Mn0=",
        "tampered",
    ] {
        assert!(!log.contains(secret), "the log carries {secret}");
    }
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}

/// An object an earlier version stored, with `actions` lacking `operator` and without a
/// table this version added, gets the column when a new instance first reads it, reads
/// the missing table as empty and makes it at its first write; its call goes on.
#[test]
fn an_object_an_earlier_version_stored_gets_the_newer_tables() {
    use telnyx_edge::ports::ObjectStorage;
    // As an earlier version made it, without `operator`.
    const EARLIER_ACTIONS: &str = "CREATE TABLE actions (id TEXT PRIMARY KEY, \
         seq INTEGER NOT NULL, origin TEXT NOT NULL, action TEXT NOT NULL, command_id TEXT, \
         rule TEXT, trigger TEXT, body TEXT, effect TEXT, started_at INTEGER NOT NULL, \
         status TEXT NOT NULL, http_status INTEGER, error TEXT, at TEXT NOT NULL, \
         updated_at INTEGER NOT NULL, attempts INTEGER NOT NULL, first_attempt_at INTEGER, \
         attempt_started_at INTEGER, next_attempt_at INTEGER, \
         ran_maybe INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID";
    let h = Harness::new();
    let first = event("call.initiated", "ev-1", 1);
    h.deliver(&first);
    let slot = h.slot(CALL).unwrap();
    slot.storage.execute_script(EARLIER_ACTIONS).unwrap();
    h.objects.evict_all();
    let answered = h.deliver(&event("call.answered", "ev-2", 2));
    assert_eq!(
        json_of(&answered)["status"],
        "accepted",
        "{}",
        answered.body
    );
    let columns: Vec<Value> = slot
        .storage
        .query(
            "SELECT name FROM pragma_table_info('actions') WHERE name = 'operator'",
            &[],
        )
        .unwrap();
    assert_eq!(columns.len(), 1, "actions.operator is back");
    assert_eq!(slot.storage.tables(), ["actions", "events", "meta"]);
    assert_eq!(json_of(&h.deliver(&first))["status"], "duplicate");
    assert_eq!(
        slot.storage.tables(),
        ["actions", "duplicates", "events", "meta"]
    );
    assert_eq!(h.state(CALL)["status"], "answered");
}

/// A call's first webhook makes two tables: the claim's, and `meta`, which every call's
/// first tick writes to. Every other table is made at its first write, and read as
/// empty before: most calls never need most of them, and the statement that reads
/// where a call stands reads only the tables the object has.
#[test]
fn a_call_makes_each_table_as_it_first_writes_to_it() {
    let h = Harness::new();
    let first = event("call.initiated", "ev-1", 1);
    h.accepted(&first);
    let tables = || h.slot(CALL).unwrap().storage.tables();
    assert_eq!(tables(), ["events", "meta"]);
    h.advance(GATHER_MS as u64);
    assert_eq!(
        h.kv.keys(),
        [index_key(NOW * 1000, CALL)],
        "the tick indexed the call"
    );
    assert_eq!(tables(), ["events", "meta"]);
    let summary = h
        .slot(CALL)
        .unwrap()
        .storage
        .statement_containing("AS first_accepted")
        .expect("the tick read where the call stands");
    for table in [
        "actions",
        "forwards",
        "supervisors",
        "peers",
        "dials",
        "duplicates",
    ] {
        assert!(!summary.contains(&format!("FROM {table}")), "{summary}");
    }

    assert_eq!(json_of(&h.deliver(&first))["status"], "duplicate");
    assert_eq!(tables(), ["duplicates", "events", "meta"]);
    let state = h.state(CALL);
    assert_eq!(event_ids(&state), ["ev-1"]);
    assert_eq!(state["actions"], json!([]));
    assert_eq!(state["forwards"], json!([]));

    // Hung up: archived a minute later, when the call's reporter settles.
    h.accepted(&event("call.hangup", "ev-2", 2));
    h.advance(ARCHIVE_DELAY_MS as u64 + 1_000);
    assert_eq!(tables(), ["duplicates", "events", "meta", "settled_tally"]);
    let stats = json_of(&h.get("/stats?minutes=5", Some(&bearer())));
    assert_eq!(stats["totals"]["calls_started"], 1, "{stats}");
    assert_eq!(stats["totals"]["calls_ended"], 1, "{stats}");
    assert_eq!(stats["totals"]["duplicates"], 1, "{stats}");
}

/// The tick that indexes a new call and reports it to the dashboard folds the call once,
/// for both: each fold reads every event's record.
#[test]
fn a_new_calls_first_tick_reads_its_events_once() {
    const EVENTS_READ: &str = "SELECT seq, record, accepted_at FROM events";
    let h = Harness::new();
    h.accepted(&event("call.refer.completed", "ev-1", 1));
    h.accepted(&event("call.refer.completed", "ev-2", 1));
    let storage = || {
        h.slot(CALL)
            .unwrap()
            .storage
            .statements_containing(EVENTS_READ)
    };
    assert_eq!(storage(), 0);
    h.advance(GATHER_MS as u64);
    assert_eq!(storage(), 1, "one fold for the index entry and the report");
    assert_eq!(h.kv.keys(), [index_key(NOW * 1000, CALL)]);
    let stats = json_of(&h.get("/stats?minutes=1", Some(&bearer())));
    assert_eq!(stats["minutes"][0]["calls_started"], 1, "{stats}");
    assert_eq!(stats["minutes"][0]["webhooks"], 2, "{stats}");
}

/// A call's events are read once per instance: each fold after the first reads only the
/// events accepted since, and the state holds them all.
#[test]
fn a_fold_reads_only_the_events_accepted_since_the_last() {
    const EVENTS_READ: &str = "SELECT seq, record, accepted_at FROM events";
    let h = Harness::new();
    h.accepted(&event("call.refer.completed", "ev-1", 1));
    h.accepted(&event("call.refer.completed", "ev-2", 1));
    h.advance(GATHER_MS as u64);
    let read = || h.slot(CALL).unwrap().storage.rows_returned_by(EVENTS_READ);
    assert_eq!(read(), 2, "the first tick read both");
    h.accepted(&event("call.refer.completed", "ev-3", 1));
    h.advance(TALLY_INTERVAL_MS as u64);
    assert_eq!(read(), 3, "the next report read the new event alone");
    assert_eq!(event_ids(&h.state(CALL)), ["ev-1", "ev-2", "ev-3"]);
    assert_eq!(read(), 3);
    let stats = json_of(&h.get("/stats?minutes=1", Some(&bearer())));
    assert_eq!(stats["minutes"][0]["webhooks"], 3, "{stats}");
}

/// The statement every tick and alarm reads where the call stands with sorts nothing:
/// a few `ORDER BY … LIMIT 1` subqueries made it several times slower.
#[test]
fn where_a_call_stands_is_read_without_sorting() {
    let h = Harness::new();
    h.accepted(&event("call.refer.completed", "ev-1", 1));
    h.advance(GATHER_MS as u64);
    let storage = &h.slot(CALL).unwrap().storage;
    let summary = storage
        .statement_containing("AS first_accepted")
        .expect("the tick read where the call stands");
    let plan = storage.query_plan(&summary);
    assert!(plan.iter().any(|step| step.contains("events")), "{plan:#?}");
    assert!(
        plan.iter().all(|step| !step.contains("TEMP B-TREE")),
        "{plan:#?}"
    );
}

#[test]
fn each_role_lists_the_tables_it_creates() {
    use telnyx_edge::app::object::store::Role;
    // A call with a session, its report to a stats object, and an event of no call.
    let h = Harness::new();
    h.deliver(&event("call.initiated", "ev-1", 1));
    h.deliver(
        &json!({"data": {"id": "loose-1", "event_type": "fax.received",
        "occurred_at": occurred_at(1), "payload": {"fax_id": "f1"}}, "meta": {"attempt": 1}}),
    );
    h.advance(10_000);
    let mut seen = Vec::new();
    for name in h.objects.with_tables() {
        let role = match name.split('/').next() {
            Some("stats") => Role::Stats,
            Some("session") => Role::Session,
            Some("loose-events") => Role::Loose,
            _ => Role::Call,
        };
        let mut listed: Vec<&str> = role.tables().to_vec();
        listed.sort_unstable();
        let tables = h.slot(&name).unwrap().storage.tables();
        // A call makes each of its tables as it first writes to it.
        if role == Role::Call {
            assert!(
                tables.iter().all(|table| listed.contains(&table.as_str())),
                "{name}: {tables:?}"
            );
        } else {
            assert_eq!(tables, listed, "{name}");
        }
        seen.push(role);
    }
    for role in [Role::Call, Role::Loose, Role::Session, Role::Stats] {
        assert!(seen.contains(&role), "no {role:?} object in {seen:?}");
    }
}
