//! The dashboard's figures (`GET /stats`) over in-memory ports, real SQLite and the fake
//! Telnyx: exact however events arrive (copies at once, later, out of order, across
//! evictions), every action once however often it was tried, the live figures by
//! status, role, recording and noise suppression, and each event in the figures
//! within 5 seconds of its acceptance.

mod support;

use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};
use serde_json::{json, Value};

use support::deliveries::{call_event, set_payload};
use support::fake_telnyx::Reply;
use support::harness::*;
use telnyx_edge::app::archive::archive_key;
use telnyx_edge::app::object::{
    stats_object_of, ARCHIVE_DELAY_MS, RETENTION_MS, STATS_SHARDS, TALLY_BACKSTOP_MS,
    TALLY_INTERVAL_MS,
};
use telnyx_edge::domain::time::Instant;
use telnyx_edge::ports::Clock;

const SECOND: u64 = 1_000;
const MINUTE_MS: i64 = 60_000;

impl Harness {
    /// `GET /stats?minutes={minutes}` as an operator.
    fn stats(&self, minutes: u32) -> Value {
        let response = self.get(&format!("/stats?minutes={minutes}"), Some(&bearer()));
        assert_eq!(response.status, 200, "{}", response.body);
        json_of(&response)
    }

    /// The current minute's figures.
    fn this_minute(&self) -> Value {
        self.stats(1)["minutes"][0].clone()
    }

    fn live(&self) -> Value {
        self.stats(1)["live"].clone()
    }

    fn deliver_for(&self, call: &str, event_type: &str, id: &str, second: u32) -> Value {
        json_of(&self.deliver(&call_event(call, event_type, id, second)))
    }
}

/// A minute's figures with these counts, zero elsewhere.
fn minute_with(counts: Value) -> Value {
    let mut minute = json!({
        "calls_started": 0, "calls_ended": 0, "webhooks": 0, "duplicates": 0, "dtmf": 0,
        "refers": {"started": 0, "completed": 0, "failed": 0},
        "siprec": {"started": 0, "stopped": 0, "failed": 0},
        "actions": {"succeeded": 0, "failed": 0},
        "reaction_ms": {"count": 0, "p50": null, "p95": null}
    });
    for (field, value) in counts.as_object().unwrap() {
        minute[field] = value.clone();
    }
    minute
}

/// Live figures with these counts, zero elsewhere.
fn live_with(counts: Value) -> Value {
    let mut live = json!({
        "calls": 0, "by_status": {"initiated": 0, "answered": 0, "bridged": 0},
        "supervisors": {"barge": 0, "whisper": 0, "monitor": 0},
        "recording": 0, "noise_suppression": 0
    });
    for (field, value) in counts.as_object().unwrap() {
        live[field] = value.clone();
    }
    live
}

/// A minute entry without its `minute`, to compare counts.
fn counts_of(minute: &Value) -> Value {
    let mut counts = minute.clone();
    counts.as_object_mut().unwrap().remove("minute");
    counts
}

#[test]
fn fifty_copies_of_an_event_count_once_and_the_rest_as_duplicates() {
    let h = Harness::new();
    let body = event("call.initiated", "ev-1", 1);
    let answers: Vec<Value> = (0..50).map(|_| json_of(&h.deliver_only(&body))).collect();
    assert_eq!(
        answers.iter().filter(|a| a["status"] == "accepted").count(),
        1
    );
    h.run_alarms();
    h.advance(5 * SECOND);
    let stats = h.stats(5);
    let minute = stats["minutes"][4].clone();
    assert_eq!(
        counts_of(&minute),
        minute_with(json!({"calls_started": 1, "webhooks": 1, "duplicates": 49}))
    );
    assert_eq!(
        stats["totals"],
        counts_of(&minute),
        "one minute in the window"
    );
    assert_eq!(
        stats["live"],
        live_with(json!({"calls": 1, "by_status": {"initiated": 1, "answered": 0, "bridged": 0}}))
    );
    // Later copies, and Telnyx's retries under a new attempt number, are duplicates too.
    let mut retried = body.clone();
    retried["meta"]["attempt"] = json!(2);
    h.deliver(&retried);
    h.advance(60 * SECOND);
    h.deliver(&body);
    h.advance(5 * SECOND);
    let totals = h.stats(5)["totals"].clone();
    assert_eq!(
        totals,
        minute_with(json!({"calls_started": 1, "webhooks": 1, "duplicates": 51}))
    );
}

#[test]
fn the_answer_has_the_window_oldest_first_and_the_current_minute_last() {
    let h = Harness::new();
    h.deliver(&event("call.initiated", "ev-1", 1));
    h.advance(61 * SECOND);
    h.deliver(&event("call.answered", "ev-2", 2));
    h.advance(5 * SECOND);
    let now = h.clock.now_millis();
    let stats = h.stats(3);
    assert_eq!(stats["at"], Instant::from_unix_millis(now).to_rfc3339());
    let minutes = stats["minutes"].as_array().unwrap();
    let this_minute = now - now % MINUTE_MS;
    let expected_minutes: Vec<String> = (0..3)
        .rev()
        .map(|back| Instant::from_unix_millis(this_minute - back * MINUTE_MS).to_rfc3339_seconds())
        .collect();
    let got_minutes: Vec<&str> = minutes
        .iter()
        .map(|m| m["minute"].as_str().unwrap())
        .collect();
    assert_eq!(got_minutes, expected_minutes);
    // The first event's minute, then the second's; the oldest minute is empty.
    let first_minute = this_minute - MINUTE_MS..this_minute;
    assert!(
        first_minute.contains(&(NOW * 1000)),
        "the test's clock: {now}"
    );
    assert_eq!(counts_of(&minutes[0]), minute_with(json!({})));
    assert_eq!(
        counts_of(&minutes[1]),
        minute_with(json!({"calls_started": 1, "webhooks": 1}))
    );
    assert_eq!(counts_of(&minutes[2]), minute_with(json!({"webhooks": 1})));
    assert_eq!(
        stats["totals"],
        minute_with(json!({"calls_started": 1, "webhooks": 2}))
    );
    assert_eq!(h.stats(60)["minutes"].as_array().unwrap().len(), 60);
    assert_eq!(
        h.get("/stats", Some(&bearer())).status,
        200,
        "60 minutes by default"
    );
    let default = json_of(&h.get("/stats", Some(&bearer())));
    assert_eq!(default["minutes"].as_array().unwrap().len(), 60);
    assert_eq!(h.stats(1440)["totals"], stats["totals"]);
}

#[test]
fn a_bad_window_is_refused_with_its_pointer_and_reaches_no_object() {
    let h = Harness::new();
    for query in [
        "minutes=0",
        "minutes=1441",
        "minutes=-1",
        "minutes=1.5",
        "minutes=sixty",
        "minutes=",
        "minutes=99999999999999999999",
    ] {
        let response = h.get(&format!("/stats?{query}"), Some(&bearer()));
        assert_error(&response, 422, "invalid_parameter");
        assert_eq!(
            json_of(&response)["errors"][0]["source"]["pointer"],
            "/minutes",
            "{query}"
        );
    }
    assert_eq!(h.objects.requests(), 0);
    assert_eq!(h.get("/stats", None).status, 401);
    assert_eq!(h.get("/stats", Some("Bearer not-the-token")).status, 401);
    assert_eq!(h.objects.requests(), 0);
    // A read asks each of the stats objects once.
    h.stats(5);
    assert_eq!(h.objects.requests(), u64::from(STATS_SHARDS));
}

#[test]
fn event_types_are_counted_by_kind_in_either_siprec_spelling() {
    let h = Harness::new();
    let kinds = [
        "call.initiated",
        "call.answered",
        "call.dtmf.received",
        "call.dtmf.received",
        "call.refer.started",
        "call.refer.completed",
        "call.refer.failed",
        "siprec.started",
        "call.siprec.stopped",
        "call.siprec.failed",
        "siprec.started",
        "call.bridged",
        "call.hangup",
    ];
    for (n, kind) in kinds.iter().enumerate() {
        let answer = h.deliver_for(CALL, kind, &format!("ev-{n}"), n as u32 + 1);
        assert_eq!(answer["status"], "accepted", "{kind}");
    }
    h.advance(5 * SECOND);
    assert_eq!(
        counts_of(&h.this_minute()),
        minute_with(json!({
            "calls_started": 1, "calls_ended": 1, "webhooks": 13, "dtmf": 2,
            "refers": {"started": 1, "completed": 1, "failed": 1},
            "siprec": {"started": 2, "stopped": 1, "failed": 1}
        }))
    );
    assert_eq!(h.live(), live_with(json!({})), "hung up");
}

#[test]
fn events_that_belong_to_no_call_are_webhooks_and_their_repeats_duplicates() {
    let h = Harness::new();
    let body = json!({"data": {"id": "loose-1", "event_type": "fax.received",
        "occurred_at": support::deliveries::occurred_at(1), "payload": {"fax_id": "f1"}},
        "meta": {"attempt": 1}});
    assert_eq!(json_of(&h.deliver(&body))["status"], "accepted");
    assert_eq!(json_of(&h.deliver(&body))["status"], "duplicate");
    h.advance(5 * SECOND);
    assert_eq!(
        counts_of(&h.this_minute()),
        minute_with(json!({"webhooks": 1, "duplicates": 1}))
    );
    assert_eq!(h.live(), live_with(json!({})));
}

#[test]
fn events_out_of_order_count_by_acceptance_and_live_follows_the_latest_status() {
    let h = Harness::new();
    // The hangup arrives first; the call's earlier events trickle in after it.
    h.deliver_for(CALL, "call.hangup", "ev-hangup", 30);
    h.advance(2 * SECOND);
    h.deliver_for(CALL, "call.answered", "ev-answered", 2);
    h.deliver_for(CALL, "call.initiated", "ev-initiated", 1);
    h.advance(5 * SECOND);
    assert_eq!(
        counts_of(&h.this_minute()),
        minute_with(json!({"calls_started": 1, "calls_ended": 1, "webhooks": 3}))
    );
    assert_eq!(
        h.live(),
        live_with(json!({})),
        "its latest status is hangup"
    );
}

#[test]
fn an_action_counts_once_however_often_it_was_tried_and_its_reaction_time_once() {
    let h = Harness::with_vars(&[(
        "AUTOMATIONS",
        &json!({"rules": [{"name": "answer", "on": ["call.initiated"],
            "do": [{"action": "answer"}]}]})
        .to_string(),
    )]);
    // Refused twice for a while, then answered 41 ms after it was sent.
    h.telnyx
        .then(Reply::error(503, "10010", "Service unavailable"))
        .then(Reply::error(503, "10010", "Service unavailable"))
        .then(Reply::ok().delayed(41));
    let accepted_at = h.clock.now_millis();
    h.deliver_for(CALL, "call.initiated", "a-initiated", 1);
    h.advance(30 * SECOND);
    let exchanges = h.telnyx.exchanges();
    assert_eq!(
        exchanges.len(),
        3,
        "tried three times: {exchanges:?} {}",
        h.state(CALL)
    );
    let action = h.state(CALL)["actions"][0].clone();
    assert_eq!(action["status"], "succeeded", "{action}");
    let answered_at = Instant::parse_rfc3339(action["at"].as_str().unwrap())
        .unwrap()
        .unix_millis();
    let reaction = answered_at - accepted_at;
    assert!(reaction >= 41, "{reaction}");
    // A second call's action, answered at once: nearest-rank p50 and p95 of the two.
    let other = "v3:another-call";
    h.telnyx.then(Reply::ok().delayed(7));
    h.deliver_for(other, "call.initiated", "b-initiated", 3);
    h.advance(5 * SECOND);
    let stats = h.stats(60);
    let (low, high) = (7.min(reaction), 7.max(reaction));
    assert_eq!(
        stats["totals"]["reaction_ms"],
        json!({"count": 2, "p50": low, "p95": high})
    );
    assert_eq!(
        stats["totals"]["actions"],
        json!({"succeeded": 2, "failed": 0})
    );
    // A failed action counts once too, by the minute of its outcome; an operator's
    // counts as an action and adds no reaction time.
    h.telnyx
        .then(Reply::error(422, "90018", "Call has already ended"));
    assert_eq!(
        h.operator_action("hangup", &json!({})).status,
        422,
        "Telnyx's refusal"
    );
    h.advance(5 * SECOND);
    let stats = h.stats(60);
    assert_eq!(
        stats["totals"]["actions"],
        json!({"succeeded": 2, "failed": 1}),
        "{}",
        h.state(CALL)["actions"]
    );
    assert_eq!(stats["totals"]["reaction_ms"]["count"], 2);
}

#[test]
fn a_call_whose_retention_ends_without_a_hangup_leaves_live() {
    let h = Harness::new();
    h.deliver_for(CALL, "call.initiated", "ev-1", 1);
    h.deliver_for(CALL, "call.answered", "ev-2", 2);
    h.advance(5 * SECOND);
    assert_eq!(
        h.live(),
        live_with(json!({"calls": 1, "by_status": {"initiated": 0, "answered": 1, "bridged": 0}}))
    );
    h.advance(RETENTION_MS as u64 - 10 * SECOND);
    assert_eq!(h.live()["calls"], 1, "still live just before");
    h.advance(20 * SECOND);
    assert_eq!(h.slot(CALL).unwrap().storage.tables(), Vec::<String>::new());
    assert_eq!(h.live(), live_with(json!({})));
}

#[test]
fn supervisors_count_by_role_and_calls_by_recording_and_noise_suppression() {
    let h = Harness::new();
    h.deliver_for(CALL, "call.initiated", "in-initiated", 1);
    h.deliver_for(CALL, "call.answered", "in-answered", 2);
    let dialed = h.post(
        &format!("/calls/{CALL}/supervise"),
        &json!({"to": "sip:supervisor@pbx.example.com", "role": "monitor"}).to_string(),
    );
    assert_eq!(dialed.status, 200, "{}", dialed.body);
    let leg = json_of(&dialed)["data"]["call_control_id"]
        .as_str()
        .unwrap()
        .to_owned();
    h.deliver_for(&leg, "call.initiated", "sup-initiated", 3);
    h.deliver_for(&leg, "call.answered", "sup-answered", 4);
    h.advance(5 * SECOND);
    assert_eq!(
        h.live(),
        live_with(
            json!({"calls": 2, "by_status": {"initiated": 0, "answered": 2, "bridged": 0},
            "supervisors": {"barge": 0, "whisper": 0, "monitor": 1}})
        )
    );
    let switched = h.post(
        &format!("/calls/{leg}/actions/switch_supervisor_role"),
        &json!({"role": "barge"}).to_string(),
    );
    assert_eq!(switched.status, 200, "{}", switched.body);
    h.deliver_for(CALL, "siprec.started", "in-siprec", 5);
    let suppressed = h.operator_action("suppression_start", &json!({"direction": "both"}));
    assert_eq!(suppressed.status, 200, "{}", suppressed.body);
    h.advance(5 * SECOND);
    assert_eq!(
        h.live(),
        live_with(
            json!({"calls": 2, "by_status": {"initiated": 0, "answered": 2, "bridged": 0},
            "supervisors": {"barge": 1, "whisper": 0, "monitor": 0},
            "recording": 1, "noise_suppression": 1})
        )
    );
    assert_eq!(
        h.stats(5)["totals"]["actions"],
        json!({"succeeded": 3, "failed": 0}),
        "the Dial, the switch and the suppression"
    );
    h.deliver_for(&leg, "call.hangup", "sup-hangup", 6);
    h.advance(5 * SECOND);
    assert_eq!(
        h.live(),
        live_with(
            json!({"calls": 1, "by_status": {"initiated": 0, "answered": 1, "bridged": 0},
            "recording": 1, "noise_suppression": 1})
        )
    );
}

#[test]
fn each_event_is_in_the_figures_within_5_seconds_of_its_acceptance() {
    let h = Harness::new();
    let gaps = [
        0, 300, 700, 1_200, 2_500, 3_900, 4_100, 6_000, 100, 100, 9_000,
    ];
    let mut accepted = Vec::new();
    for (n, gap) in gaps.iter().enumerate() {
        h.advance(*gap);
        let kind = if n == 0 {
            "call.initiated"
        } else {
            "call.dtmf.received"
        };
        h.deliver_for(CALL, kind, &format!("ev-{n}"), n as u32 + 1);
        accepted.push(h.clock.now_millis());
        // Read every 250 ms: each figure counts every event accepted 5 s ago or before.
        for _ in 0..4 {
            h.advance(250);
            let now = h.clock.now_millis();
            let due = accepted.iter().filter(|at| **at + 5_000 <= now).count();
            let counted = h.stats(60)["totals"]["webhooks"].as_u64().unwrap() as usize;
            assert!(counted >= due, "{counted} counted of {due} due at {now}");
            assert!(counted <= accepted.len());
        }
    }
    h.advance(5 * SECOND);
    assert_eq!(h.stats(60)["totals"]["webhooks"], gaps.len());
}

#[test]
fn a_report_seen_twice_or_late_after_an_eviction_adds_nothing_twice() {
    let h = Harness::new();
    h.deliver_for(CALL, "call.initiated", "ev-1", 1);
    h.deliver_for(CALL, "call.answered", "ev-2", 2);
    h.advance(5 * SECOND);
    // A new instance does not know what the old one reported, and reports it again.
    h.objects.evict_all();
    h.deliver(&event("call.answered", "ev-2", 2));
    h.deliver_for(CALL, "call.dtmf.received", "ev-3", 3);
    h.objects.evict_all();
    // Evicted before its timer ran: the alarm reports a minute after it was due.
    h.advance(TALLY_INTERVAL_MS as u64 + TALLY_BACKSTOP_MS as u64);
    let totals = h.stats(5)["totals"].clone();
    assert_eq!(
        totals,
        minute_with(json!({"calls_started": 1, "webhooks": 3, "duplicates": 1, "dtmf": 1}))
    );
    // Stats objects lose their memory too.
    h.objects.evict_all();
    h.deliver_for(CALL, "call.hangup", "ev-4", 4);
    h.advance(5 * SECOND);
    let totals = h.stats(5)["totals"].clone();
    assert_eq!(totals["webhooks"], 4);
    assert_eq!(totals["calls_started"], 1);
    assert_eq!(h.live(), live_with(json!({})));
}

#[test]
fn reports_that_fail_are_tried_again_and_counted_once() {
    let h = Harness::new();
    h.deliver_for(CALL, "call.initiated", "ev-1", 1);
    let shard = h
        .objects
        .with_tables()
        .into_iter()
        .find(|name| name.starts_with("stats/"))
        .expect("the call reported");
    let stats = h.slot(&shard).unwrap();
    stats.storage.fail_statements("reporters");
    h.advance(5 * SECOND);
    h.deliver_for(CALL, "call.answered", "ev-2", 2);
    h.advance(30 * SECOND);
    let failures = h.log.text().matches("not_reported").count();
    assert!(failures >= 2, "{failures} failed reports logged");
    assert!(failures <= 8, "{failures}: tried with backoff, not at once");
    stats.storage.heal();
    // A read that cannot reach every stats object says so, rather than answer less.
    stats.storage.fail_statements("FROM minutes");
    assert_error(
        &h.get("/stats?minutes=5", Some(&bearer())),
        503,
        "storage_unavailable",
    );
    stats.storage.heal();
    h.advance(60 * SECOND);
    assert_eq!(
        h.stats(5)["totals"],
        minute_with(json!({"calls_started": 1, "webhooks": 2}))
    );
}

/// One delivery of a generated run: which call, which of its events, how many copies,
/// and what happens before it.
#[derive(Clone, Debug)]
struct Step {
    call: usize,
    event: usize,
    copies: usize,
    wait_ms: u64,
    evict: bool,
}

const CALLS: usize = 6;
const EVENT_TYPES: [&str; 6] = [
    "call.initiated",
    "call.answered",
    "call.dtmf.received",
    "siprec.started",
    "call.bridged",
    "call.hangup",
];

fn step() -> impl Strategy<Value = Step> {
    (
        0..CALLS,
        0..EVENT_TYPES.len(),
        1..4usize,
        prop_oneof![Just(0u64), 0..3_000u64, 50_000..70_000u64],
        proptest::bool::weighted(0.1),
    )
        .prop_map(|(call, event, copies, wait_ms, evict)| Step {
            call,
            event,
            copies,
            wait_ms,
            evict,
        })
}

/// What the figures must say after a run, from the steps alone.
fn expected_totals(steps: &[Step], accepted: &[bool]) -> Value {
    let mut started = std::collections::BTreeSet::new();
    let mut counts = minute_with(json!({}));
    let mut add = |field: &str, n: u64| {
        let pointer = format!("/{}", field.replace('.', "/"));
        let slot = counts.pointer_mut(&pointer).unwrap();
        *slot = json!(slot.as_u64().unwrap() + n);
    };
    for (step, first) in steps.iter().zip(accepted) {
        let duplicates = step.copies as u64 - u64::from(*first);
        add("duplicates", duplicates);
        if !first {
            continue;
        }
        add("webhooks", 1);
        if started.insert(step.call) {
            add("calls_started", 1);
        }
        match EVENT_TYPES[step.event] {
            "call.dtmf.received" => add("dtmf", 1),
            "siprec.started" => add("siprec.started", 1),
            "call.hangup" => add("calls_ended", 1),
            _ => {}
        }
    }
    counts
}

/// The live figures the steps imply: each call's status is its latest by `occurred_at`
/// (events here occur in the order of [`EVENT_TYPES`]), a hangup ends it.
fn expected_live(steps: &[Step], accepted: &[bool]) -> Value {
    let mut latest = [None::<usize>; CALLS];
    let mut recording = [false; CALLS];
    for (step, first) in steps.iter().zip(accepted) {
        if !first {
            continue;
        }
        let status_event = matches!(step.event, 0 | 1 | 4 | 5).then_some(step.event);
        let known = latest[step.call].get_or_insert(0);
        if let Some(event) = status_event {
            *known = (*known).max(event);
        }
        recording[step.call] |= EVENT_TYPES[step.event] == "siprec.started";
    }
    let mut live = live_with(json!({}));
    for (call, status) in latest.iter().enumerate() {
        let Some(status) = status else { continue };
        let name = match EVENT_TYPES[*status] {
            "call.hangup" => continue,
            "call.answered" => "answered",
            "call.bridged" => "bridged",
            _ => "initiated",
        };
        live["calls"] = json!(live["calls"].as_u64().unwrap() + 1);
        live["by_status"][name] = json!(live["by_status"][name].as_u64().unwrap() + 1);
        if recording[call] {
            live["recording"] = json!(live["recording"].as_u64().unwrap() + 1);
        }
    }
    live
}

#[test]
fn figures_are_exact_for_any_order_of_copies_waits_and_evictions() {
    // `make resilience` runs many more.
    let cases = std::env::var("STATS_CASES").map_or(16, |cases| {
        cases
            .parse()
            .unwrap_or_else(|_| panic!("STATS_CASES={cases}: not a number"))
    });
    let config = ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    let mut runner = TestRunner::new(config);
    runner
        .run(&proptest::collection::vec(step(), 1..40), |steps| {
            let h = Harness::new();
            let mut seen = std::collections::BTreeSet::new();
            let mut accepted = Vec::new();
            for step in &steps {
                if step.evict {
                    h.objects.evict_all();
                }
                h.advance(step.wait_ms);
                let call = format!("v3:generated-call-{}", step.call);
                let id = format!("{call}/{}", step.event);
                let body = call_event(&call, EVENT_TYPES[step.event], &id, step.event as u32 + 1);
                let mut answers = Vec::new();
                for _ in 0..step.copies {
                    answers.push(json_of(&h.deliver_only(&body))["status"].clone());
                }
                h.run_alarms();
                let first = seen.insert(id);
                let expected: Vec<&str> = (0..step.copies)
                    .map(|n| {
                        if n == 0 && first {
                            "accepted"
                        } else {
                            "duplicate"
                        }
                    })
                    .collect();
                prop_assert_eq!(answers, expected);
                accepted.push(first);
            }
            // An instance evicted before its tick leaves the report to the alarm, a
            // minute after the report was due.
            h.advance(TALLY_INTERVAL_MS as u64 + TALLY_BACKSTOP_MS as u64);
            let stats = h.stats(1440);
            prop_assert_eq!(&stats["totals"], &expected_totals(&steps, &accepted));
            prop_assert_eq!(&stats["live"], &expected_live(&steps, &accepted));
            let mut summed = minute_with(json!({}));
            for minute in stats["minutes"].as_array().unwrap() {
                for field in [
                    "calls_started",
                    "calls_ended",
                    "webhooks",
                    "duplicates",
                    "dtmf",
                ] {
                    summed[field] =
                        json!(summed[field].as_u64().unwrap() + minute[field].as_u64().unwrap());
                }
            }
            for field in [
                "calls_started",
                "calls_ended",
                "webhooks",
                "duplicates",
                "dtmf",
            ] {
                prop_assert_eq!(&summed[field], &stats["totals"][field], "{}", field);
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn a_delivery_with_a_payload_edit_is_still_one_event() {
    // The same event id with a changed body is Telnyx's retry, not a new event.
    let h = Harness::new();
    let mut body = event("call.dtmf.received", "ev-1", 1);
    h.deliver(&body);
    set_payload(&mut body, "digit", json!("9"));
    assert_eq!(json_of(&h.deliver(&body))["status"], "duplicate");
    h.advance(5 * SECOND);
    assert_eq!(
        counts_of(&h.this_minute()),
        minute_with(json!({"calls_started": 1, "webhooks": 1, "duplicates": 1, "dtmf": 1}))
    );
}

/// The reporters a stats object keeps, with whether each has sent its last report.
fn reporters(h: &Harness, shard: &str) -> Vec<(String, bool)> {
    #[derive(serde::Deserialize)]
    struct Row {
        name: String,
        gone: i64,
    }
    let slot = h.slot(shard).expect("the stats object");
    let rows: Vec<Row> = telnyx_edge::ports::ObjectStorage::query(
        &slot.storage,
        "SELECT name, gone FROM reporters ORDER BY name",
        &[],
    )
    .unwrap();
    rows.into_iter()
        .map(|row| (row.name, row.gone == 1))
        .collect()
}

#[test]
fn a_call_settles_at_its_archive_and_what_comes_after_counts_once() {
    let h = Harness::new();
    let shard = stats_object_of(CALL);
    h.deliver_for(CALL, "call.initiated", "ev-1", 1);
    h.deliver_for(CALL, "call.hangup", "ev-2", 2);
    h.advance(5 * SECOND);
    assert_eq!(reporters(&h, &shard), [(CALL.to_owned(), false)]);
    h.advance(ARCHIVE_DELAY_MS as u64);
    assert!(h.kv.entry(&archive_key(CALL)).is_some(), "archived");
    assert_eq!(
        reporters(&h, &shard),
        [(CALL.to_owned(), true)],
        "its last report"
    );
    // After it settled: a copy of its hangup, and an event that trails it.
    assert_eq!(
        h.deliver_for(CALL, "call.hangup", "ev-2", 2)["status"],
        "duplicate"
    );
    h.deliver_for(CALL, "call.refer.completed", "ev-3", 3);
    h.advance(5 * SECOND);
    // What changed since goes under a reporter of its own.
    let late = format!("{CALL}#late");
    let late_shard = stats_object_of(&late);
    assert!(reporters(&h, &late_shard).contains(&(late.clone(), false)));
    if late_shard != shard {
        assert_eq!(reporters(&h, &shard), [(CALL.to_owned(), true)]);
    }
    let expected = minute_with(json!({"calls_started": 1, "calls_ended": 1, "webhooks": 3,
        "duplicates": 1, "refers": {"started": 0, "completed": 1, "failed": 0}}));
    assert_eq!(h.stats(10)["totals"], expected);
    // A new instance reports the same again: nothing counts twice.
    h.objects.evict_all();
    h.deliver_for(CALL, "call.refer.completed", "ev-3", 3);
    h.advance(TALLY_INTERVAL_MS as u64 + TALLY_BACKSTOP_MS as u64);
    let mut expected = expected;
    expected["duplicates"] = json!(2);
    assert_eq!(h.stats(10)["totals"], expected);
    assert_eq!(h.live(), live_with(json!({})));
}

#[test]
fn a_stats_object_keeps_rows_for_calls_under_way_not_for_every_call_it_was_told_of() {
    let h = Harness::new();
    let shard = stats_object_of(CALL);
    let calls: Vec<String> = (0..)
        .map(|n| format!("v3:bounded-{n}"))
        .filter(|call| stats_object_of(call) == shard)
        .take(300)
        .collect();
    for call in &calls {
        h.deliver_for(call, "call.initiated", &format!("{call}/initiated"), 1);
        h.deliver_for(call, "call.hangup", &format!("{call}/hangup"), 2);
        h.advance(5 * SECOND);
    }
    h.advance(ARCHIVE_DELAY_MS as u64 + 5 * SECOND);
    let kept = reporters(&h, &shard);
    assert!(kept.iter().all(|(_, gone)| *gone), "every call settled");
    // Folds (every 256 reports) forget the reporters gone for 10 minutes.
    assert!(kept.len() <= 200, "{} of 300 calls still kept", kept.len());
    let stats = h.stats(60);
    assert_eq!(
        stats["totals"],
        minute_with(json!({"calls_started": 300, "calls_ended": 300, "webhooks": 600}))
    );
    assert_eq!(stats["live"], live_with(json!({})));
}
