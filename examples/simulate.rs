//! Plays a whole call through the local Telnyx (`cargo run --example telnyx-sim`, which
//! `make dev` starts) against a running worker with the shipped example rules, prints
//! the timelines of the call and of the supervisor leg it dials in (if any), and checks
//! their final states.
//!
//!     cargo run --example simulate -- supervisor-joins
//!     cargo run --example simulate -- --list
//!
//! Exits 0 when the call ends as the scenario expects, 1 (saying how it differs) when
//! not, 2 for bad arguments.

use std::process::ExitCode;

use telnyx_edge::simulator::cli::options_or_usage;
use telnyx_edge::simulator::scenarios::{play, Run, SCENARIOS};

const USAGE: &str = "\
usage: cargo run --example simulate -- <scenario> [--url <worker base>] [--telnyx <simulator base>]
       cargo run --example simulate -- --list

  --url <base>       the worker (default http://127.0.0.1:8787)
  --telnyx <base>    the local Telnyx (default http://127.0.0.1:8788)
  ADMIN_TOKEN        the worker's operator token (default dev-admin-token, as .dev.vars.example)";

struct Options {
    scenario: Option<String>,
    list: bool,
    url: String,
    telnyx: String,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        scenario: None,
        list: false,
        url: "http://127.0.0.1:8787".into(),
        telnyx: "http://127.0.0.1:8788".into(),
    };
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--list" => options.list = true,
            "--url" => options.url = value("--url")?,
            "--telnyx" => options.telnyx = value("--telnyx")?,
            "-h" | "--help" => return Err(String::new()),
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            name if options.scenario.is_none() => options.scenario = Some(name.to_owned()),
            extra => return Err(format!("unexpected argument {extra}")),
        }
    }
    if options.scenario.is_none() && !options.list {
        return Err("name a scenario (--list shows them)".into());
    }
    Ok(options)
}

fn main() -> ExitCode {
    let options = match options_or_usage("simulate", USAGE, parse_args(std::env::args().skip(1))) {
        Ok(options) => options,
        Err(code) => return code,
    };
    if options.list {
        for scenario in SCENARIOS {
            println!("{:<18} {}", scenario.name, scenario.about);
        }
        return ExitCode::SUCCESS;
    }
    let name = options.scenario.unwrap_or_default();
    let Some(scenario) = SCENARIOS.iter().find(|s| s.name == name) else {
        let names: Vec<&str> = SCENARIOS.iter().map(|s| s.name).collect();
        eprintln!(
            "simulate: no scenario {name:?}; there are {}",
            names.join(", ")
        );
        return ExitCode::from(2);
    };
    let token = std::env::var("ADMIN_TOKEN").unwrap_or_else(|_| "dev-admin-token".into());
    let run = Run::new(&options.url, &options.telnyx, &token);
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
