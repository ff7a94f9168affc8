//! The local Telnyx end to end: the release build under `wrangler dev` with the shipped
//! example rules, pointed at the simulator (started in-process, as `cargo run --example
//! telnyx-sim` serves it), which is pointed back at the worker. Every scenario of
//! `cargo run --example simulate` is played; each call's final `GET /calls/{id}` is
//! checked field by field, and so is the supervisor leg's it dials in, with the commands
//! the simulator received against each call's actions.

mod support;

use std::collections::BTreeMap;
use std::process::ExitCode;

use serde_json::Value;

use support::examples::{joined_toml, EXAMPLES};
use support::runner::run_case;
use support::wrangler::{free_port, WranglerDev};
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
    println!("{} passed, {failed} failed", SCENARIOS.len() + 1 - failed);
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
