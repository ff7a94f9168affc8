//! The fuzz targets' checks (`support::fuzzing`) on stable Rust: every seed, and every
//! input a fuzzer ever crashed on (saved under `fuzz/regressions/{target}/`), must pass.

mod support;

use std::path::PathBuf;

use support::fuzz_seeds::{seeds, TARGETS};
use support::fuzzing;

fn check(target: &str) -> fn(&[u8]) {
    match target {
        "webhook" => fuzzing::webhook,
        "action_validation" => fuzzing::action_validation,
        "automations" => fuzzing::automations,
        other => panic!("no check for {other}"),
    }
}

/// Saved crash inputs for `target`, by file name.
fn regressions(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    entries
        .map(|entry| entry.expect("readable regressions folder").path())
        .map(|path| {
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (path.display().to_string(), bytes)
        })
        .collect()
}

fn replay(target: &str) {
    let check = check(target);
    let inputs: Vec<_> = seeds(target)
        .into_iter()
        .chain(regressions(target))
        .collect();
    assert!(!inputs.is_empty());
    for (name, input) in inputs {
        if let Err(panic) = std::panic::catch_unwind(|| check(&input)) {
            std::panic::resume_unwind(Box::new(format!("{target} input {name} fails: {panic:?}")));
        }
    }
}

#[test]
fn webhook_seeds_and_regressions_pass() {
    replay("webhook");
}

#[test]
fn action_validation_seeds_and_regressions_pass() {
    replay("action_validation");
}

#[test]
fn automations_seeds_and_regressions_pass() {
    replay("automations");
}

#[test]
fn every_target_has_seeds() {
    for target in TARGETS {
        assert!(seeds(target).len() >= 4, "{target}");
    }
}
