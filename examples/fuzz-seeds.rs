//! Writes the fuzzers' seed inputs (see `tests/support/fuzz_seeds.rs`) into
//! `{dir}/{target}/`, one file per input. `make fuzz` runs it first.
//!
//!     cargo run --example fuzz-seeds -- fuzz/corpus

#![allow(dead_code)] // the support modules below are used only in part

// The test-support modules the seeds come from, and only those (as fuzz/src/lib.rs).
// fuzz_seeds reaches the others as `super::…`, which is this crate's root.
#[path = "../tests/support/deliveries.rs"]
mod deliveries;
#[path = "../tests/support/examples.rs"]
mod examples;
#[path = "../tests/support/fake_telnyx.rs"]
mod fake_telnyx;
#[path = "../tests/support/fuzz_seeds.rs"]
mod fuzz_seeds;
#[path = "../tests/support/fuzzing.rs"]
mod fuzzing;
#[path = "../tests/support/objects.rs"]
mod objects;
#[path = "../tests/support/samples.rs"]
mod samples;
#[path = "../tests/support/sqlite.rs"]
mod sqlite;

use std::path::PathBuf;
use std::process::ExitCode;

use fuzz_seeds::{seeds, TARGETS};

fn main() -> ExitCode {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "fuzz/corpus".into()),
    );
    for target in TARGETS {
        let target_dir = dir.join(target);
        let inputs = seeds(target);
        let written = std::fs::create_dir_all(&target_dir).and_then(|()| {
            inputs
                .iter()
                .try_for_each(|(name, bytes)| std::fs::write(target_dir.join(name), bytes))
        });
        if let Err(error) = written {
            eprintln!("fuzz-seeds: {}: {error}", target_dir.display());
            return ExitCode::FAILURE;
        }
        println!(
            "fuzz-seeds: {} seeds in {}",
            inputs.len(),
            target_dir.display()
        );
    }
    ExitCode::SUCCESS
}
