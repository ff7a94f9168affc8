//! Plays a whole call through the local Telnyx (`cargo run --example telnyx-sim`, which
//! `make dev` starts) against a running worker with the shipped example rules, prints
//! the timelines of the call and of the supervisor leg it dials in (if any), and checks
//! their final states. `busy-hour` keeps many calls up at once instead, saying how far
//! it is every 5 s, and checks each call once it has ended.
//!
//!     cargo run --example simulate -- supervisor-joins
//!     cargo run --example simulate -- busy-hour --calls 20
//!     cargo run --example simulate -- --list
//!
//! Exits 0 when the calls end as the scenario expects, 1 (saying how they differ) when
//! not, 2 for bad arguments.

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use telnyx_edge::simulator::busy_hour::{self, Plan};
use telnyx_edge::simulator::cli::{options_or_usage, simulate_args};
use telnyx_edge::simulator::scenarios::{play, Run, SCENARIOS};

const USAGE: &str = "\
usage: cargo run --example simulate -- <scenario> [--url <worker base>] [--telnyx <simulator base>]
       cargo run --example simulate -- busy-hour [--calls N] [--total M] [--seconds S|MIN-MAX] [--seed X] [--url …] [--telnyx …]
       cargo run --example simulate -- --list

  --url <base>       the worker (default http://127.0.0.1:8787)
  --telnyx <base>    the local Telnyx (default http://127.0.0.1:8788)
  ADMIN_TOKEN        the worker's operator token (default dev-admin-token, as .dev.vars.example)

busy-hour only:
  --calls N          calls kept up at once, 1 to 200 (default 20)
  --total M          calls in all, from --calls to 10000 (default 3 x --calls)
  --seconds S        how long each call stays up: S seconds, or MIN-MAX drawn evenly,
                     1 to 3600 (default 20-90)
  --seed X           plays the plan of that seed again (default: a new one, printed)";

/// A seed for a run that names none: short enough to type again.
fn fresh_seed() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs() ^ u64::from(since.subsec_nanos()))
        % 1_000_000
}

fn main() -> ExitCode {
    let parsed = simulate_args(std::env::args().skip(1), fresh_seed());
    let options = match options_or_usage("simulate", USAGE, parsed) {
        Ok(options) => options,
        Err(code) => return code,
    };
    if options.list {
        for scenario in SCENARIOS {
            println!("{:<18} {}", scenario.name, scenario.about);
        }
        println!("{:<18} {}", busy_hour::NAME, busy_hour::ABOUT);
        return ExitCode::SUCCESS;
    }
    let token = std::env::var("ADMIN_TOKEN").unwrap_or_else(|_| "dev-admin-token".into());
    let run = Run::new(&options.url, &options.telnyx, &token);
    if let Some(busy) = &options.busy_hour {
        return busy_hour(&run, &Plan::new(busy));
    }
    let name = options.scenario.unwrap_or_default();
    let Some(scenario) = SCENARIOS.iter().find(|s| s.name == name) else {
        let mut names: Vec<&str> = SCENARIOS.iter().map(|s| s.name).collect();
        names.push(busy_hour::NAME);
        eprintln!(
            "simulate: no scenario {name:?}; there are {}",
            names.join(", ")
        );
        return ExitCode::from(2);
    };
    println!("{}: {}", scenario.name, scenario.about);
    match play(&run, scenario) {
        Ok(played) => {
            match played.supervisor {
                Some(leg) => println!(
                    "ok: {} and its supervisor leg {leg} ended as the scenario expects",
                    played.call
                ),
                None => println!("ok: {} ended as the scenario expects", played.call),
            }
            ExitCode::SUCCESS
        }
        Err(problem) => {
            eprintln!("simulate: {}: {problem}", scenario.name);
            ExitCode::FAILURE
        }
    }
}

fn busy_hour(run: &Run, plan: &Plan) -> ExitCode {
    println!("{}", plan.describe());
    let report = busy_hour::play(run, plan, &|line| println!("{line}"));
    if report.problems.is_empty() {
        println!("ok: all {} calls ended hung up as planned", report.checked);
        return ExitCode::SUCCESS;
    }
    eprintln!(
        "simulate: {}: {} went wrong (the run stopped at the first; the same options with --seed {} play it again):\n  {}",
        busy_hour::NAME,
        match report.problems.len() {
            1 => "1 call".to_owned(),
            n => format!("{n} calls"),
        },
        plan.options.seed,
        report.problems.join("\n  ")
    );
    ExitCode::FAILURE
}
