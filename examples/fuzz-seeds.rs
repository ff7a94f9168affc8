//! Writes the fuzzers' seed inputs (see `tests/support/fuzz_seeds.rs`) into
//! `{dir}/{target}/`, one file per input. `make fuzz` runs it first.
//!
//!     cargo run --example fuzz-seeds -- fuzz/corpus

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::process::ExitCode;

use support::fuzz_seeds::{seeds, TARGETS};

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
