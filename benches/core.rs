//! Native microbenchmarks of the pure core (criterion): what every webhook pays
//! (verification, envelope parsing), what every state read pays (folding), what
//! actions and automations pay (validation, rule matching).
//!
//!     cargo bench --bench core

#[path = "../tests/support/mod.rs"]
mod support;

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use serde_json::{json, Value};

use support::deliveries::{body, occurred_at, Delivery};
use telnyx_edge::domain::actions::{find, validate};
use telnyx_edge::domain::automations::{parse_rules, plan, Trigger};
use telnyx_edge::domain::call_state::{fold, Effects};
use telnyx_edge::domain::envelope::{parse, EventRecord};
use telnyx_edge::domain::signature::{verify, PublicKeys, SignatureHeaders};
use telnyx_edge::domain::time::Instant;
use telnyx_edge::simulator::signing::WebhookSigner;

const NOW: i64 = 1_757_944_931;
const CALL: &str = "v3:u5OAKGEPT3Dx8SZSSDRWEMdNH2OripQhO9L9PL_PqJ4whcuhT6nAJA";

/// The delivery the end-to-end benchmark sends too.
fn refer_completed(id: &str, second: u32) -> Vec<u8> {
    body(&Delivery {
        event_type: "call.refer.completed",
        event_id: id,
        call_control_id: CALL,
        occurred_at: &occurred_at(second),
    })
    .to_string()
    .into_bytes()
}

fn webhook(c: &mut Criterion) {
    let signer = WebhookSigner::from_seed([7; 32]);
    let keys = PublicKeys::parse(&signer.public_key_base64()).expect("a key");
    let delivery = refer_completed("ev-1", 6);
    let signature = signer.sign(&NOW.to_string(), &delivery);
    let timestamp = NOW.to_string();
    c.bench_function("signature verification", |b| {
        b.iter(|| {
            let headers = SignatureHeaders {
                signature: Some(&signature),
                timestamp: Some(&timestamp),
            };
            verify(&keys, headers, black_box(&delivery), NOW, 300).expect("genuine")
        })
    });
    c.bench_function("envelope parsing", |b| {
        b.iter(|| parse(black_box(&delivery), Instant::from_unix_secs(NOW)).expect("an envelope"))
    });
}

/// A call's events: the lifecycle, then DTMF digits up to `count`, in shuffled order.
fn call_events(count: usize) -> Vec<EventRecord> {
    let lifecycle = [
        "call.initiated",
        "call.answered",
        "call.bridged",
        "call.refer.started",
    ];
    let mut events: Vec<EventRecord> = (0..count)
        .map(|n| {
            let event_type = lifecycle.get(n).copied().unwrap_or("call.dtmf.received");
            let bytes = body(&Delivery {
                event_type,
                event_id: &format!("ev-{n}"),
                call_control_id: CALL,
                occurred_at: &occurred_at(n as u32),
            })
            .to_string();
            let delivery = parse(bytes.as_bytes(), Instant::from_unix_secs(NOW)).expect("valid");
            delivery.record.expect("a call event")
        })
        .collect();
    // Delivery order is not occurred_at order: fold sorts.
    events.reverse();
    events
}

fn folding(c: &mut Criterion) {
    let mut group = c.benchmark_group("state folding");
    for count in [5, 50, 500] {
        let events = call_events(count);
        group.bench_with_input(BenchmarkId::from_parameter(count), &events, |b, events| {
            b.iter(|| {
                fold(black_box(events.clone()), Vec::new(), Effects::Succeeded).expect("a state")
            })
        });
    }
    group.finish();
}

fn action_validation(c: &mut Criterion) {
    let refer = find("refer").expect("refer");
    let body = json!({
        "sip_address": "sip:agents@pbx.example.com",
        "client_state": "aGF2ZSBhIG5pY2UgZGF5ID1d",
        "command_id": "891510ac-f3e4-11e8-af5b-de00688a4901",
        "custom_headers": [{"name": "head_1", "value": "val_1"}],
        "sip_auth_username": "username",
        "sip_auth_password": "password",
        "sip_headers": [{"name": "User-to-User", "value": "value"}]
    });
    c.bench_function("action validation (refer)", |b| {
        b.iter(|| validate(refer, black_box(&body)).expect("valid"))
    });
}

/// `count` rules on DTMF, each waiting for its own digit on an answered call.
fn rules_json(count: usize) -> String {
    let rules: Vec<Value> = (0..count)
        .map(|n| {
            json!({
                "name": format!("rule-{n}"),
                "on": ["call.dtmf.received", "call.answered"],
                "if": {"payload.digit": format!("{}", n % 10), "state.status": ["answered", "bridged"]},
                "do": [{"action": "send_dtmf", "params": {"digits": "{{payload.digit}}"}}],
                "limit_per_call": 3
            })
        })
        .collect();
    json!({ "rules": rules }).to_string()
}

fn rule_matching(c: &mut Criterion) {
    let dtmf = body(&Delivery {
        event_type: "call.dtmf.received",
        event_id: "ev-dtmf",
        call_control_id: CALL,
        occurred_at: &occurred_at(9),
    });
    let data = dtmf["data"].as_object().expect("data").clone();
    let state =
        serde_json::to_value(fold(call_events(5), Vec::new(), Effects::Succeeded)).expect("state");
    let mut group = c.benchmark_group("rule matching");
    for count in [10, 100] {
        let rules = parse_rules(&rules_json(count), None).expect("valid rules");
        group.bench_with_input(BenchmarkId::from_parameter(count), &rules, |b, rules| {
            b.iter(|| {
                let trigger = Trigger {
                    event_id: "ev-dtmf",
                    event_type: "call.dtmf.received",
                    data: &data,
                };
                plan(black_box(rules), &trigger, &state, &[])
            })
        });
    }
    group.finish();
}

criterion_group!(benches, webhook, folding, action_validation, rule_matching);
criterion_main!(benches);
