//! The fuzz targets' checks (`support::fuzzing`) on stable Rust: every seed, and every
//! input a fuzzer ever crashed on (saved under `fuzz/regressions/{target}/`), must pass.
//! `make fuzz` also has this suite write the seeds to `fuzz/corpus/` (`FUZZ_SEEDS_DIR`).

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

/// Writes every target's seeds, one file each, to `FUZZ_SEEDS_DIR/{target}/` (`make fuzz`
/// sets it to `fuzz/corpus`), or to a scratch folder, and reads them back.
#[test]
fn the_seeds_are_written_one_file_each() {
    let asked = std::env::var_os("FUZZ_SEEDS_DIR").map(PathBuf::from);
    let dir = asked.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("telnyx-edge-fuzz-seeds-{}", std::process::id()))
    });
    for target in TARGETS {
        let target_dir = dir.join(target);
        std::fs::create_dir_all(&target_dir)
            .unwrap_or_else(|e| panic!("{}: {e}", target_dir.display()));
        let inputs = seeds(target);
        for (name, bytes) in &inputs {
            let path = target_dir.join(name);
            std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            assert_eq!(&std::fs::read(&path).unwrap(), bytes, "{}", path.display());
        }
        println!("fuzz seeds: {} in {}", inputs.len(), target_dir.display());
    }
    if asked.is_none() {
        std::fs::remove_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    }
}
