//! Forwarding accepted events to the user's backend over in-memory ports: what goes
//! (accepted events of the forwarded types, byte for byte, signed per Standard
//! Webhooks), in what order, how it is retried by the manual clock, what the call state
//! shows, replay, and misconfiguration. The end-to-end run with an independent
//! verifier is in `e2e_forwarding.rs`.

mod support;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use support::deliveries::occurred_at;
use support::fake_telnyx::{Recorded, Reply};
use support::harness::*;
use telnyx_edge::ports::http::Request;

const RECEIVER: &str = "https://receiver.test/hooks";
/// 32 bytes, base64.
const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
const HOUR_MS: u64 = 60 * 60 * 1000;

fn forwarding(extra: &[(&str, &str)]) -> Harness {
    let mut vars = vec![("FORWARD_URL", RECEIVER), ("FORWARD_SECRET", SECRET)];
    vars.extend_from_slice(extra);
    Harness::with_vars(&vars)
}

/// The requests that reached the receiver (the fake records every outgoing request).
fn received(h: &Harness) -> Vec<Recorded> {
    h.telnyx
        .requests()
        .into_iter()
        .filter(|r| r.path == "/hooks")
        .collect()
}

fn webhook_ids(h: &Harness) -> Vec<String> {
    received(h)
        .iter()
        .map(|r| r.header("webhook-id").unwrap().to_owned())
        .collect()
}

/// Checks the Standard Webhooks signature with the crates directly, not the worker's
/// code.
fn assert_verifies(request: &Recorded) {
    let id = request.header("webhook-id").expect("webhook-id");
    let timestamp = request
        .header("webhook-timestamp")
        .expect("webhook-timestamp");
    let key = STANDARD
        .decode(SECRET.strip_prefix("whsec_").unwrap())
        .unwrap();
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.{}", request.body).as_bytes());
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    assert_eq!(request.header("webhook-signature"), Some(expected.as_str()));
    assert_eq!(request.method, "POST");
    assert_eq!(request.header("content-type"), Some("application/json"));
}

fn forwards(h: &Harness) -> Vec<Value> {
    h.state(CALL)["forwards"].as_array().unwrap().clone()
}

/// `{method} /calls/{call}/forwards/{event_id}/replay`.
fn replay_request(
    h: &Harness,
    method: &str,
    call: &str,
    event_id: &str,
    authorization: Option<String>,
) -> telnyx_edge::ports::http::Response {
    h.send(Request {
        method: method.into(),
        path: format!("/calls/{call}/forwards/{event_id}/replay"),
        query: String::new(),
        headers: authorization
            .map(|a| vec![("authorization".to_string(), a)])
            .unwrap_or_default(),
        body: Vec::new(),
    })
}

fn replay(
    h: &Harness,
    event_id: &str,
    authorization: Option<String>,
) -> telnyx_edge::ports::http::Response {
    replay_request(h, "POST", CALL, event_id, authorization)
}

#[test]
fn an_accepted_event_goes_byte_for_byte_signed_once_and_a_duplicate_never() {
    let h = forwarding(&[]);
    let body = event("call.initiated", "ev-1", 1);
    assert_eq!(h.deliver(&body).status, 200);
    assert_eq!(h.deliver(&body).status, 200, "the duplicate is answered");
    let got = received(&h);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].body, body.to_string());
    assert_eq!(got[0].header("webhook-id"), Some("ev-1"));
    assert_eq!(
        got[0].header("webhook-timestamp"),
        Some(h.clock_secs().to_string().as_str())
    );
    assert_verifies(&got[0]);
    let forwards = forwards(&h);
    assert_eq!(forwards.len(), 1);
    assert_eq!(
        forwards[0],
        json!({"event_id": "ev-1", "url": RECEIVER, "status": "delivered", "attempts": 1,
            "http_status": 200, "error": null, "at": forwards[0]["at"]})
    );
}

#[test]
fn an_unverified_request_is_never_forwarded() {
    let h = forwarding(&[]);
    let bytes = event("call.initiated", "ev-1", 1).to_string().into_bytes();
    let forged = WebhookSignerForged::headers(&h, &bytes);
    assert_eq!(h.webhook(forged, &bytes).status, 401);
    h.advance(60_000);
    assert!(received(&h).is_empty());
}

/// Headers signed by a key the worker does not know.
struct WebhookSignerForged;

impl WebhookSignerForged {
    fn headers(h: &Harness, body: &[u8]) -> Vec<(String, String)> {
        telnyx_edge::simulator::signing::WebhookSigner::from_seed([9; 32])
            .headers(h.clock_secs() as i64, body)
    }
}

#[test]
fn each_call_s_events_reach_the_receiver_in_acceptance_order_after_an_outage() {
    let h = forwarding(&[]);
    h.telnyx.always(Reply::status(503, "down"));
    let ids: Vec<String> = (1..=6).map(|n| format!("ev-{n}")).collect();
    for (n, id) in ids.iter().enumerate() {
        let kind = if n == 0 {
            "call.initiated"
        } else {
            "call.dtmf.received"
        };
        h.deliver(&event(kind, id, n as u32 + 1));
    }
    h.advance(30_000);
    // One delivery in flight per call and URL: only the head was tried meanwhile.
    assert!(
        webhook_ids(&h).iter().all(|id| id == "ev-1"),
        "{:?}",
        webhook_ids(&h)
    );
    let pending = forwards(&h);
    assert_eq!(pending[0]["status"], "pending");
    assert_eq!(pending[0]["http_status"], 503);
    assert!(
        pending[0]["error"].as_str().unwrap().contains("503"),
        "{pending:?}"
    );
    assert!(pending[1..].iter().all(|f| f["attempts"] == 0));
    h.telnyx.always(Reply::status(204, ""));
    h.advance(120_000);
    let delivered: Vec<String> = received(&h)
        .iter()
        .filter(|r| {
            h.telnyx
                .exchanges()
                .iter()
                .any(|(q, s, _)| q == *r && *s == 204)
        })
        .map(|r| r.header("webhook-id").unwrap().to_owned())
        .collect();
    assert_eq!(delivered, ids);
    assert!(forwards(&h).iter().all(|f| f["status"] == "delivered"));
}

#[test]
fn retries_back_off_with_jitter_honour_retry_after_and_give_up_after_24_hours() {
    let h = forwarding(&[]);
    h.telnyx.then(Reply::status(429, "").retry_after("120"));
    h.telnyx.always(Reply::status(503, "down"));
    let start = h.clock_secs();
    h.deliver(&event("call.initiated", "ev-1", 1));
    h.advance(25 * HOUR_MS);
    let times: Vec<u64> = received(&h)
        .iter()
        .map(|r| r.header("webhook-timestamp").unwrap().parse().unwrap())
        .collect();
    assert!(
        times[1] - times[0] >= 120,
        "Retry-After honoured: {times:?}"
    );
    let gaps: Vec<u64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(
        gaps.iter().all(|&gap| gap <= 3600),
        "capped at an hour: {gaps:?}"
    );
    assert!(
        gaps[2] < gaps[4] && gaps[4] < gaps[6],
        "backs off: {gaps:?}"
    );
    let last = *times.last().unwrap();
    assert!(
        last - start >= 24 * 3600,
        "tried for 24 hours: {}",
        last - start
    );
    let forward = &forwards(&h)[0];
    assert_eq!(forward["status"], "failed");
    assert_eq!(forward["attempts"], times.len());
    assert_eq!(forward["http_status"], 503);
    let error = forward["error"].as_str().unwrap();
    assert!(
        error.contains("gave up") && error.contains("24 hours"),
        "{error}"
    );
    // Every attempt: a fresh timestamp and signature, the same webhook-id.
    for request in received(&h) {
        assert_eq!(request.header("webhook-id"), Some("ev-1"));
        assert_verifies(&request);
    }
    h.advance(HOUR_MS);
    assert_eq!(
        received(&h).len(),
        times.len(),
        "nothing after the final failure"
    );
}

#[test]
fn a_refusal_is_final_at_once_and_the_next_event_goes_on() {
    let h = forwarding(&[]);
    h.telnyx.then(Reply::status(410, "gone"));
    h.deliver(&event("call.initiated", "ev-1", 1));
    h.deliver(&event("call.answered", "ev-2", 2));
    h.advance(60_000);
    assert_eq!(webhook_ids(&h), ["ev-1", "ev-2"]);
    let forwards = forwards(&h);
    assert_eq!(forwards[0]["status"], "failed");
    assert_eq!(forwards[0]["http_status"], 410);
    assert!(forwards[0]["error"]
        .as_str()
        .unwrap()
        .contains("not retried"));
    assert_eq!(forwards[1]["status"], "delivered");
}

#[test]
fn timeouts_and_network_errors_are_retried() {
    let h = forwarding(&[]);
    h.telnyx.then(Reply::ok().delayed(20_000));
    h.telnyx.then(Reply::network_error());
    h.telnyx.then(Reply::unreached());
    h.telnyx.then(Reply::status(408, ""));
    h.deliver(&event("call.initiated", "ev-1", 1));
    h.advance(120_000);
    assert_eq!(webhook_ids(&h).len(), 5);
    let forward = &forwards(&h)[0];
    assert_eq!(forward["status"], "delivered");
    assert_eq!(forward["attempts"], 5);
}

#[test]
fn only_the_configured_types_are_forwarded_with_prefixes_and_both_siprec_spellings() {
    let h = forwarding(&[("FORWARD_EVENTS", "call.hangup siprec.* call.refer.*")]);
    for (n, kind) in [
        "call.initiated",
        "call.siprec.started",
        "call.refer.completed",
        "call.dtmf.received",
        "call.hangup",
    ]
    .iter()
    .enumerate()
    {
        h.deliver(&event(kind, &format!("ev-{n}"), n as u32 + 1));
    }
    h.advance(10_000);
    assert_eq!(webhook_ids(&h), ["ev-1", "ev-2", "ev-4"]);
}

#[test]
fn several_urls_each_get_every_event_in_their_own_queue() {
    let second = "https://backup.test/in";
    let urls = format!("{RECEIVER} {second}");
    let h = forwarding(&[("FORWARD_URL", &urls)]);
    h.deliver(&event("call.initiated", "ev-1", 1));
    h.deliver(&event("call.answered", "ev-2", 2));
    h.advance(10_000);
    let paths: Vec<(String, String)> = h
        .telnyx
        .requests()
        .iter()
        .map(|r| (r.path.clone(), r.header("webhook-id").unwrap().to_owned()))
        .collect();
    for path in ["/hooks", "/in"] {
        let ids: Vec<&str> = paths
            .iter()
            .filter(|(p, _)| p == path)
            .map(|(_, id)| id.as_str())
            .collect();
        assert_eq!(ids, ["ev-1", "ev-2"], "{path}");
    }
    let urls: Vec<Value> = forwards(&h).iter().map(|f| f["url"].clone()).collect();
    assert_eq!(
        urls,
        [
            json!(second),
            json!(RECEIVER),
            json!(second),
            json!(RECEIVER)
        ]
    );
}

#[test]
fn replay_sends_the_event_again_with_the_same_webhook_id() {
    let h = forwarding(&[]);
    h.deliver(&event("call.initiated", "ev-1", 1));
    h.advance(5_000);
    let response = replay(&h, "ev-1", Some(bearer()));
    assert_eq!(response.status, 202, "{}", response.body);
    assert_eq!(
        json_of(&response),
        json!({"event_id": "ev-1", "urls": [RECEIVER]})
    );
    h.run_alarms();
    let got = received(&h);
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].header("webhook-id"), Some("ev-1"));
    assert_eq!(got[1].body, got[0].body);
    assert_ne!(
        got[1].header("webhook-timestamp"),
        got[0].header("webhook-timestamp"),
        "a fresh timestamp"
    );
    assert_verifies(&got[1]);
    let forwards = forwards(&h);
    assert_eq!(forwards.len(), 2, "each delivery is listed");
    assert!(forwards.iter().all(|f| f["status"] == "delivered"));

    assert_error(
        &replay(&h, "ev-404", Some(bearer())),
        404,
        "event_not_found",
    );
    assert_error(&replay(&h, "ev-1", None), 401, "unauthorized");
    let other = "v3:another-call-with-no-events";
    let response = replay_request(&h, "POST", other, "ev-1", Some(bearer()));
    assert_error(&response, 404, "event_not_found");
    let response = replay_request(&h, "GET", CALL, "ev-1", Some(bearer()));
    assert_eq!(response.status, 405);
    assert_eq!(received(&h).len(), 2, "no refused replay sent anything");
}

#[test]
fn replay_without_forwarding_says_so() {
    let h = Harness::new();
    h.deliver(&event("call.initiated", "ev-1", 1));
    assert_error(&replay(&h, "ev-1", Some(bearer())), 409, "forwarding_off");
}

#[test]
fn events_that_belong_to_no_call_are_forwarded_too() {
    let h = forwarding(&[]);
    let body = json!({"data": {"id": "loose-1", "event_type": "fax.received",
        "occurred_at": occurred_at(1), "payload": {"fax_id": "f1"}}, "meta": {"attempt": 1}});
    h.deliver(&body);
    h.deliver(&body);
    h.advance(5_000);
    let got = received(&h);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].body, body.to_string());
    assert_verifies(&got[0]);
}

#[test]
fn misconfiguration_is_reported_forwards_nothing_and_keeps_accepting() {
    let h = forwarding(&[("FORWARD_SECRET", "whsec_bm90IGxvbmcgZW5vdWdo")]);
    let health = json_of(&h.get("/health", None));
    assert_eq!(health["status"], "misconfigured");
    let reason = health["reason"].as_str().unwrap();
    assert!(reason.contains("FORWARD_SECRET"), "{reason}");
    assert!(
        !reason.contains("bm90IGxvbmcgZW5vdWdo"),
        "the secret is never echoed"
    );
    assert_eq!(h.deliver(&event("call.initiated", "ev-1", 1)).status, 200);
    h.advance(60_000);
    assert!(received(&h).is_empty());
    assert_eq!(forwards(&h), Vec::<Value>::new());
    let lines = format!("{:?}", h.log.lines());
    assert!(!lines.contains("bm90IGxvbmcgZW5vdWdo"));

    let bad_url = forwarding(&[("FORWARD_URL", "crm.example/hooks")]);
    let health = json_of(&bad_url.get("/health", None));
    assert_eq!(health["status"], "misconfigured");
    assert!(health["reason"].as_str().unwrap().contains("FORWARD_URL"));

    let fine = json_of(&forwarding(&[]).get("/health", None));
    assert_eq!(fine["status"], "ok");
}

#[test]
fn deliveries_left_when_forwarding_is_turned_off_are_closed_with_the_reason() {
    let mut h = forwarding(&[]);
    h.telnyx.always(Reply::status(503, ""));
    h.deliver(&event("call.initiated", "ev-1", 1));
    h.advance(2_000);
    h.config = Harness::new().config;
    h.deliver(&event("call.answered", "ev-2", 2));
    h.advance(60_000);
    let forwards = forwards(&h);
    assert_eq!(forwards.len(), 1, "nothing new is queued");
    assert_eq!(forwards[0]["status"], "failed");
    let error = forwards[0]["error"].as_str().unwrap();
    assert!(error.contains("turned off"), "{error}");
}

#[test]
fn a_call_is_archived_with_its_forwards_once_they_are_final() {
    let h = forwarding(&[]);
    h.telnyx.then(Reply::status(503, ""));
    h.deliver(&event("call.initiated", "ev-1", 1));
    h.deliver(&event("call.hangup", "ev-2", 2));
    h.advance(10 * 60_000);
    let archived: Value =
        serde_json::from_str(&h.kv.entry(&format!("call:{CALL}")).expect("archived").value)
            .unwrap();
    let statuses: Vec<&Value> = archived["forwards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["status"])
        .collect();
    assert_eq!(statuses, [&json!("delivered"), &json!("delivered")]);
}
