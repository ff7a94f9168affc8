//! What the examples' command lines share.

use std::process::ExitCode;

use super::busy_hour::{self, Options};

/// The parsed options, or the exit code once the problem and the usage are printed:
/// `--help` (an empty problem) exits 0, a bad argument 2.
pub fn options_or_usage<T>(
    tool: &str,
    usage: &str,
    parsed: Result<T, String>,
) -> Result<T, ExitCode> {
    parsed.map_err(|problem| {
        if !problem.is_empty() {
            eprintln!("{tool}: {problem}\n");
        }
        eprintln!("{usage}");
        if problem.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(2)
        }
    })
}

/// The command line of `cargo run --example simulate`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Simulate {
    /// The scenario named, checked by the example against the scenarios there are.
    pub scenario: Option<String>,
    pub list: bool,
    /// The worker's base URL.
    pub url: String,
    /// The local Telnyx's base URL.
    pub telnyx: String,
    /// `busy-hour`'s options, when it is the scenario.
    pub busy_hour: Option<Options>,
}

/// Parses `simulate`'s arguments (without the program's name); `seed` seeds a
/// `busy-hour` run that names none. An empty problem asks for the usage (`--help`).
pub fn simulate_args(
    mut args: impl Iterator<Item = String>,
    seed: u64,
) -> Result<Simulate, String> {
    let mut simulate = Simulate {
        scenario: None,
        list: false,
        url: "http://127.0.0.1:8787".into(),
        telnyx: "http://127.0.0.1:8788".into(),
        busy_hour: None,
    };
    let mut busy_hour_flags: Vec<(String, String)> = Vec::new();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--list" => simulate.list = true,
            "--url" => simulate.url = value("--url")?,
            "--telnyx" => simulate.telnyx = value("--telnyx")?,
            "-h" | "--help" => return Err(String::new()),
            flag if busy_hour::FLAGS.contains(&flag) => {
                let value = value(flag)?;
                busy_hour_flags.push((flag.to_owned(), value));
            }
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            name if simulate.scenario.is_none() => simulate.scenario = Some(name.to_owned()),
            extra => return Err(format!("unexpected argument {extra}")),
        }
    }
    if simulate.scenario.is_none() && !simulate.list {
        return Err("name a scenario (--list shows them)".into());
    }
    match simulate.scenario.as_deref() {
        Some(busy_hour::NAME) => {
            simulate.busy_hour = Some(Options::parse(&busy_hour_flags, seed)?);
        }
        other => {
            if let Some((flag, _)) = busy_hour_flags.first() {
                return Err(match other {
                    Some(scenario) => format!(
                        "{flag} is an option of {}, not of {scenario}",
                        busy_hour::NAME
                    ),
                    None => format!("{flag} is an option of {}", busy_hour::NAME),
                });
            }
        }
    }
    Ok(simulate)
}
