//! The local Telnyx end to end: the release build under `wrangler dev` with the shipped
//! example rules, pointed at the simulator (started in-process, as `cargo run --example
//! telnyx-sim` serves it), which is pointed back at the worker. Every scenario of
//! `cargo run --example simulate` is played; each call's final `GET /calls/{id}` is
//! checked field by field, and the commands the simulator received against the call's
//! actions.

mod support;

use std::collections::BTreeMap;
use std::process::ExitCode;

use serde_json::Value;

use support::examples::{joined_toml, EXAMPLES};
use support::runner::run_case;
use support::wrangler::{free_port, WranglerDev};
use telnyx_edge::simulator::http::SimServer;
use telnyx_edge::simulator::scenarios::{play, Run, Scenario, Step, ANSWERED, SCENARIOS};
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

fn check_scenario(run: &Run, sim: &SimServer, agent: &ureq::Agent, scenario: &Scenario) {
    let call = play(run, scenario).unwrap_or_else(|problem| panic!("{problem}"));
    let state = run.state(&call).unwrap().expect("the call is known");
    for (pointer, expected) in scenario.expected {
        let expected: Value = serde_json::from_str(expected).unwrap();
        assert_eq!(state.pointer(pointer), Some(&expected), "{pointer}");
    }
    let actions = state["actions"].as_array().unwrap();
    assert!(
        actions.iter().all(|a| a["status"] == "succeeded"),
        "{actions:?}"
    );
    // What the simulator received for the call is what the call's actions say was sent.
    let commands: Value = agent
        .get(&format!("{}/simulator/commands", sim.base))
        .call()
        .unwrap()
        .into_json()
        .unwrap();
    let received = tally(
        commands
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["call_control_id"] == call.as_str())
            .map(|c| c["action"].as_str().unwrap()),
    );
    let recorded = tally(actions.iter().map(|a| a["action"].as_str().unwrap()));
    assert_eq!(
        received, recorded,
        "the simulator's commands against the call's actions"
    );
}

/// A scenario that cannot end as it says fails, and says how the state differs.
fn a_wrong_expectation_fails_with_the_difference(run: &Run) {
    let wrong = Scenario {
        name: "wrong",
        about: "supervisor-dtmf, expecting monitor",
        failing_refers: &[],
        steps: &[Step::WaitFor(ANSWERED), Step::Dtmf("*1")],
        expected: &[("/supervisor_role", "\"monitor\"")],
        actions: &[],
    };
    let problem = play(run, &wrong).expect_err("a wrong expectation fails");
    assert!(
        problem.contains("/supervisor_role: expected \"monitor\", got \"barge\""),
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
