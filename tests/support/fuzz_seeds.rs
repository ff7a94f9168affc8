//! The fuzzers' starting inputs: every delivery in `spec/telnyx/events.json`, sample
//! bodies for every action, and the shipped automation examples. Written to
//! `fuzz/corpus/` and replayed by `tests/fuzz_regressions.rs`.

use super::deliveries::spec_events;
use super::examples::{automations_json, EXAMPLES};
use super::fuzzing::{action_input, webhook_input, NOW, RULES};
use super::samples;
use telnyx_edge::domain::actions::ACTIONS;

/// The fuzz targets, by the names `cargo fuzz` knows them.
pub const TARGETS: [&str; 3] = ["webhook", "action_validation", "automations"];

/// `(file name, input)` for one target.
pub fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    match target {
        "webhook" => webhook_seeds(),
        "action_validation" => action_seeds(),
        "automations" => automation_seeds(),
        other => panic!("no fuzz target {other}"),
    }
}

fn webhook_seeds() -> Vec<(String, Vec<u8>)> {
    let mut seeds = Vec::new();
    for (n, example) in spec_events()["events"]
        .as_array()
        .expect("events")
        .iter()
        .enumerate()
    {
        let body = example["delivery"].to_string().into_bytes();
        let name = example["event_type"]
            .as_str()
            .unwrap_or("event")
            .replace('.', "-");
        seeds.push((format!("{n:02}-{name}-signed"), webhook_input(0, "", &body)));
        if n == 0 {
            let forged = "telnyx-signature-ed25519:AAAA\ntelnyx-timestamp:1757944931";
            seeds.push((
                format!("{n:02}-{name}-forged"),
                webhook_input(1, forged, &body),
            ));
            let timestamp = NOW.to_string();
            seeds.push((
                format!("{n:02}-{name}-timestamp"),
                webhook_input(2, &timestamp, &body),
            ));
            let repeated = format!("telnyx-timestamp:{NOW}");
            seeds.push((
                format!("{n:02}-{name}-repeated"),
                webhook_input(0, &repeated, &body),
            ));
        }
    }
    seeds
}

fn action_seeds() -> Vec<(String, Vec<u8>)> {
    let mut seeds = Vec::new();
    for (index, action) in ACTIONS.iter().enumerate() {
        for choice in 0..samples::variant_count(action) {
            for full in [false, true] {
                let body = samples::body(action, full, choice).to_string();
                let name = format!(
                    "{}-{}-{choice}",
                    action.name,
                    if full { "full" } else { "minimal" }
                );
                seeds.push((name, action_input(index as u8, body.as_bytes())));
            }
        }
    }
    seeds
}

fn automation_seeds() -> Vec<(String, Vec<u8>)> {
    let mut seeds = vec![("rules".to_owned(), RULES.as_bytes().to_vec())];
    for example in EXAMPLES {
        let name = example.trim_end_matches(".toml").to_owned();
        seeds.push((name, automations_json(&[example]).into_bytes()));
    }
    seeds.push((
        "all-examples".into(),
        automations_json(&EXAMPLES).into_bytes(),
    ));
    seeds
}
