//! The local Telnyx end to end: the release build under `wrangler dev` with the shipped
//! example rules, pointed at the simulator (started in-process, as `cargo run --example
//! telnyx-sim` serves it), which is pointed back at the worker. Every scenario of
//! `cargo run --example simulate` is played; each call's final `GET /calls/{id}` is
//! checked field by field, and so is the supervisor leg's it dials in, with the commands
//! the simulator received against each call's actions. Then `busy-hour --calls 4` (calls
//! of 2 to 4 s): every call and supervisor leg it played ended hung up, the simulator
//! received what their actions say, and the figures it printed add up.

mod support;

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::sync::Mutex;

use serde_json::Value;

use support::examples::{joined_toml, EXAMPLES};
use support::runner::run_case;
use support::wrangler::{free_port, WranglerDev};
use telnyx_edge::simulator::busy_hour::{self, Kind, Plan};
use telnyx_edge::simulator::cli::simulate_args;
use telnyx_edge::simulator::http::SimServer;
use telnyx_edge::simulator::scenarios::{play, On, Run, Scenario, Step, ANSWERED, SCENARIOS};
use telnyx_edge::simulator::signing::WebhookSigner;

const ADMIN_TOKEN: &str = "simulator-e2e-admin-token";

/// Counts of each action name.
fn tally<'a>(names: impl Iterator<Item = &'a str>) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for name in names {
        *counts.entry(name.to_owned()).or_default() += 1;
    }
    counts
}

/// Asserts each expected field of a final state.
fn assert_fields(what: &str, state: &Value, expected: &[(&str, &str)]) {
    for (pointer, value) in expected {
        let value: Value = serde_json::from_str(value).unwrap();
        assert_eq!(state.pointer(pointer), Some(&value), "{what} {pointer}");
    }
}

/// What the simulator received for `call` against what the call's actions say was
/// sent: the commands addressed to it, and the Dials that supervise it (the simulator
/// lists a Dial under the leg it started; the worker records it on the call that
/// sent it and as the new leg's first action).
fn assert_commands_match(commands: &Value, call: &str, state: &Value) {
    let actions = state["actions"].as_array().unwrap();
    assert!(
        actions.iter().all(|a| a["status"] == "succeeded"),
        "{call}: {actions:?}"
    );
    let received = tally(
        commands
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| {
                c["call_control_id"] == call
                    || (c["action"] == "dial" && c["body"]["supervise_call_control_id"] == call)
            })
            .map(|c| c["action"].as_str().unwrap()),
    );
    let recorded = tally(actions.iter().map(|a| a["action"].as_str().unwrap()));
    assert_eq!(
        received, recorded,
        "{call}: the simulator's commands against the call's actions"
    );
}

fn check_scenario(run: &Run, sim: &SimServer, agent: &ureq::Agent, scenario: &Scenario) {
    let played = play(run, scenario).unwrap_or_else(|problem| panic!("{problem}"));
    let state = run.state(&played.call).unwrap().expect("the call is known");
    assert_fields("call", &state, scenario.expected);
    let commands: Value = agent
        .get(&format!("{}/simulator/commands", sim.base))
        .call()
        .unwrap()
        .into_json()
        .unwrap();
    assert_commands_match(&commands, &played.call, &state);
    assert_eq!(
        played.supervisor.is_some(),
        scenario.has_supervisor(),
        "a supervisor leg exactly when the scenario expects one"
    );
    if let Some(leg) = &played.supervisor {
        let leg_state = run.state(leg).unwrap().expect("the leg is known");
        assert_fields("supervisor leg", &leg_state, scenario.supervisor);
        assert_eq!(leg_state["supervising"], played.call.as_str());
        assert_eq!(leg_state["actions"][0]["action"], "dial", "its Dial first");
        assert_eq!(state["supervisors"][0]["call_control_id"], leg.as_str());
        assert_commands_match(&commands, leg, &leg_state);
        // The Dial went to the simulator once, from the supervised call.
        let dials: Vec<&Value> = commands
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["action"] == "dial" && c["call_control_id"] == leg.as_str())
            .collect();
        assert_eq!(dials.len(), 1, "{dials:?}");
        assert_eq!(
            dials[0]["body"]["supervise_call_control_id"],
            played.call.as_str()
        );
    }
}

/// The number just after `before` in `line`.
fn number_after(line: &str, before: &str) -> usize {
    let rest = &line[line
        .find(before)
        .unwrap_or_else(|| panic!("{before:?} in {line:?}"))
        + before.len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("a number after {before:?} in {line:?}"))
}

/// One progress line's figures: seconds, live, started, ended, checked (and live with
/// a supervisor no more than live).
fn progress_figures(line: &str) -> [usize; 5] {
    let figures: Vec<usize> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|n| !n.is_empty())
        .map(|n| n.parse().unwrap())
        .collect();
    assert_eq!(figures.len(), 6, "{line}");
    assert_eq!(
        line,
        format!(
            "busy-hour {:>4} s: {} live ({} with a supervisor), {} started, {} ended, {} checked",
            figures[0], figures[1], figures[2], figures[3], figures[4], figures[5]
        )
    );
    assert!(figures[2] <= figures[1], "{line}");
    [figures[0], figures[1], figures[3], figures[4], figures[5]]
}

/// `busy-hour --calls 4` with short calls: every call ends hung up as planned, and what
/// it prints adds up.
fn busy_hour_keeps_four_calls_up(run: &Run, sim: &SimServer, agent: &ureq::Agent) {
    let args = [
        "busy-hour",
        "--calls",
        "4",
        "--seconds",
        "2-4",
        "--seed",
        "1",
    ];
    let options = simulate_args(args.iter().map(|a| (*a).to_owned()), 0)
        .unwrap()
        .busy_hour
        .unwrap();
    let plan = Plan::new(&options);
    let total = plan.calls.len();
    assert_eq!((options.calls, total), (4, 12));
    println!("{}", plan.describe());
    let printed = Mutex::new(Vec::new());
    let report = busy_hour::play(run, &plan, &|line| {
        println!("{line}");
        printed.lock().unwrap().push(line.to_owned());
    });
    assert!(report.problems.is_empty(), "{:#?}", report.problems);

    // Every call and supervisor leg ended hung up, as the worker and the simulator say.
    let commands: Value = agent
        .get(&format!("{}/simulator/commands", sim.base))
        .call()
        .unwrap()
        .into_json()
        .unwrap();
    assert_eq!(report.calls.len(), total);
    let mut actions = 0;
    for (number, call, leg) in &report.calls {
        let planned = &plan.calls[number - 1];
        let state = run.state(call).unwrap().expect("the call is known");
        assert_eq!(state["status"], "hangup", "call {number} {call}");
        assert_fields(call, &state, &refs(&planned.kind.expected()));
        assert_commands_match(&commands, call, &state);
        actions += state["actions"].as_array().unwrap().len();
        assert_eq!(
            leg.is_some(),
            matches!(planned.kind, Kind::Supervised { .. }),
            "call {number}: a supervisor leg exactly when planned"
        );
        if let Some(leg) = leg {
            let leg_state = run.state(leg).unwrap().expect("the leg is known");
            assert_eq!(leg_state["status"], "hangup", "call {number}'s leg {leg}");
            assert_eq!(leg_state["supervising"], call.as_str());
            assert_fields(leg, &leg_state, &refs(&planned.kind.supervisor_expected()));
            assert_commands_match(&commands, leg, &leg_state);
            actions += leg_state["actions"].as_array().unwrap().len() - 1;
        }
    }

    // The report's figures: every call started, ended and checked; the plan's mix.
    assert_eq!(
        (
            report.started,
            report.ended,
            report.checked,
            report.cut_short
        ),
        (total, total, total, 0)
    );
    assert!((1..=4).contains(&report.peak), "{}", report.peak);
    let supervised = plan.count(|k| matches!(k, Kind::Supervised { .. }));
    assert_eq!(report.supervisors, supervised);
    let mut roles = BTreeMap::new();
    for call in &plan.calls {
        if let Some(role) = call.kind.final_role() {
            *roles.entry(role.to_owned()).or_insert(0) += 1;
        }
    }
    assert_eq!(report.roles, roles);
    assert_eq!(
        (report.referred, report.failed_over),
        (
            plan.count(|k| matches!(k, Kind::Referred { .. })),
            plan.count(|k| *k
                == Kind::Referred {
                    primary_fails: true
                })
        )
    );
    assert_eq!(report.actions, actions, "the actions the worker shows");
    assert_eq!(
        report.actions,
        plan.commands(),
        "the actions the plan makes"
    );
    assert_eq!(report.reactions_ms.len(), total);
    assert!(
        report.reactions_ms.iter().all(|ms| *ms >= 0),
        "{:?}",
        report.reactions_ms
    );

    // What it printed: progress lines that add up, then the summary of those figures.
    let printed = printed.into_inner().unwrap();
    let summary = report.summary();
    assert!(printed.len() > summary.len(), "{printed:#?}");
    let (progress, end) = printed.split_at(printed.len() - summary.len());
    assert_eq!(end, summary);
    assert!(!progress.is_empty(), "a run of over 5 s says how far it is");
    let mut last = [0; 5];
    for line in progress {
        let [seconds, live, started, ended, checked] = progress_figures(line);
        assert!(seconds > last[0], "{line}");
        assert_eq!(live, started - ended, "{line}");
        assert!(live <= 4 && started <= total && checked <= ended, "{line}");
        assert!(
            started >= last[2] && ended >= last[3] && checked >= last[4],
            "{line}"
        );
        last = [seconds, live, started, ended, checked];
    }
    assert!(
        end[0].starts_with(&format!("busy-hour: {total} calls in ")),
        "{}",
        end[0]
    );
    assert_eq!(number_after(&end[0], "at most "), report.peak);
    assert_eq!(
        [
            number_after(&end[1], "started "),
            number_after(&end[1], "ended "),
            number_after(&end[1], "checked ")
        ],
        [total; 3]
    );
    assert_eq!(number_after(&end[2], "supervisors: "), supervised);
    assert_eq!(number_after(&end[3], "referred: "), report.referred);
    assert_eq!(
        number_after(&end[4], "actions of the checked calls: "),
        plan.commands()
    );
    assert_eq!(
        number_after(&end[5], "median "),
        report.reactions_ms[total / 2] as usize
    );
}

/// A run the worker answers wrongly (here: another operator token) stops at the first
/// call, hangs up what it started and says what the worker answered.
fn busy_hour_stops_at_the_first_problem(base: &str, sim: &SimServer) {
    let run = Run::new(base, &sim.base, "not-the-operator-token");
    let options = simulate_args(
        ["busy-hour", "--calls", "3", "--seconds", "5"]
            .iter()
            .map(|a| (*a).to_owned()),
        3,
    )
    .unwrap()
    .busy_hour
    .unwrap();
    let report = busy_hour::play(&run, &Plan::new(&options), &|line| println!("{line}"));
    assert!(!report.problems.is_empty());
    assert!(
        report.problems.iter().all(|p| p.contains(
            "waiting for the rules to answer it: the worker refused the operator token (401)"
        )),
        "{:#?}",
        report.problems
    );
    assert!(report.started >= 1 && report.started < 9, "{report:?}");
    assert_eq!(report.ended, report.started, "what it started it hung up");
    assert_eq!(report.checked, 0);
    assert!(report.summary()[0].ends_with(", stopped at the first problem"));
}

fn refs<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields.iter().map(|(p, v)| (*p, v.as_str())).collect()
}

/// A scenario that cannot end as it says fails, and says how the state differs.
fn a_wrong_expectation_fails_with_the_difference(run: &Run) {
    let wrong = Scenario {
        name: "wrong",
        about: "supervisor-dtmf, expecting barge before any key of the supervisor",
        failing_refers: &[],
        steps: &[Step::WaitFor(On::Call, ANSWERED), Step::Dtmf(On::Call, "0")],
        expected: &[("/supervisors/0/role", "\"barge\"")],
        actions: &[],
        supervisor: &[],
        supervisor_actions: &[],
    };
    let problem = play(run, &wrong).expect_err("a wrong expectation fails");
    assert!(
        problem.contains("/supervisors/0/role: expected \"barge\", got \"monitor\""),
        "{problem}"
    );
}

fn main() -> ExitCode {
    let signer = WebhookSigner::development();
    let sim_port = match free_port() {
        Ok(port) => port,
        Err(error) => {
            eprintln!("simulator: no free port: {error}");
            return ExitCode::FAILURE;
        }
    };
    let worker = WranglerDev::start_with(
        &[
            ("TELNYX_PUBLIC_KEY", signer.public_key_base64()),
            ("ADMIN_TOKEN", ADMIN_TOKEN.to_owned()),
            ("TELNYX_API_KEY", "simulator-e2e-key".to_owned()),
            ("TELNYX_API_BASE", format!("http://127.0.0.1:{sim_port}/v2")),
        ],
        Some(&joined_toml(&EXAMPLES)),
    );
    let worker = match worker {
        Ok(worker) => worker,
        Err(error) => {
            eprintln!("simulator: {error}");
            return ExitCode::FAILURE;
        }
    };
    let webhook_url = format!("{}/webhooks/telnyx", worker.base_url);
    let sim = match SimServer::start(sim_port, &webhook_url) {
        Ok(sim) => sim,
        Err(error) => {
            eprintln!("simulator: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "simulator: worker at {}, Telnyx at {}",
        worker.base_url, sim.base
    );
    let run = Run::new(&worker.base_url, &sim.base, ADMIN_TOKEN);
    let agent = ureq::agent();
    let mut failed = 0;
    for scenario in SCENARIOS {
        if !run_case("e2e_simulator", scenario.name, || {
            check_scenario(&run, &sim, &agent, scenario)
        }) {
            failed += 1;
        }
    }
    if !run_case("e2e_simulator", "busy_hour_keeps_four_calls_up", || {
        busy_hour_keeps_four_calls_up(&run, &sim, &agent)
    }) {
        failed += 1;
    }
    if !run_case(
        "e2e_simulator",
        "busy_hour_stops_at_the_first_problem",
        || busy_hour_stops_at_the_first_problem(&worker.base_url, &sim),
    ) {
        failed += 1;
    }
    if !run_case(
        "e2e_simulator",
        "a_wrong_expectation_fails_with_the_difference",
        || a_wrong_expectation_fails_with_the_difference(&run),
    ) {
        failed += 1;
    }
    if failed > 0 {
        eprintln!("simulator: wrangler dev log (tail):\n{}", worker.log_tail());
    }
    println!("{} passed, {failed} failed", SCENARIOS.len() + 3 - failed);
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
