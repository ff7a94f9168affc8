//! The scenarios of `cargo run --example simulate`: whole calls played through the local
//! Telnyx against a running worker with the shipped example rules (`examples/automations`),
//! each with the state it must end in. The end-to-end suite plays them too.

use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const PRIMARY: &str = "sip:agents@pbx-primary.example.com";

/// What a scenario does, in order.
pub enum Step {
    /// Wait until the call's state has these fields (JSON pointers).
    WaitFor(&'static [(&'static str, &'static str)]),
    /// The far side presses these keys.
    Dtmf(&'static str),
    /// An operator asks the worker for this action.
    Operator(&'static str, &'static str),
    /// The far side hangs up.
    Hangup,
}

pub struct Scenario {
    pub name: &'static str,
    pub about: &'static str,
    /// SIP addresses a refer fails for on this call.
    pub failing_refers: &'static [&'static str],
    pub steps: &'static [Step],
    /// The final state's fields (JSON pointers, values as JSON text).
    pub expected: &'static [(&'static str, &'static str)],
    /// The call's actions at the end: `(action, rule or "operator")`, all succeeded.
    pub actions: &'static [(&'static str, &'static str)],
}

/// Answered by `answer-inbound`, recorded by `record-inbound`, noise suppressed by
/// `suppress-noise`: what every inbound call gets from the example rules.
pub const ANSWERED: &[(&str, &str)] = &[
    ("/status", "\"answered\""),
    ("/siprec/status", "\"started\""),
    ("/noise_suppression/status", "\"active\""),
];
const INBOUND_ACTIONS: [(&str, &str); 3] = [
    ("answer", "answer-inbound"),
    ("siprec_start", "record-inbound"),
    ("suppression_start", "suppress-noise"),
];

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "inbound-recorded",
        about: "an inbound call is answered, recorded (SIPREC) and noise-suppressed by the rules, then the caller hangs up",
        failing_refers: &[],
        steps: &[Step::WaitFor(ANSWERED), Step::Hangup],
        expected: &[
            ("/status", "\"hangup\""),
            ("/hangup_cause", "\"normal_clearing\""),
            ("/client_state", "\"aW5ib3VuZA==\""),
            ("/siprec/status", "\"stopped\""),
            ("/noise_suppression/status", "\"active\""),
            ("/supervisor_role", "null"),
        ],
        actions: &INBOUND_ACTIONS,
    },
    Scenario {
        name: "refer-failover",
        about: "an operator refers the call to the primary PBX, which fails; the rule refers it to the backup, and stamps it once transferred",
        failing_refers: &[PRIMARY],
        steps: &[
            Step::WaitFor(ANSWERED),
            Step::Operator("refer", PRIMARY),
            Step::WaitFor(&[
                ("/refer/status", "\"completed\""),
                ("/client_state", "\"dHJhbnNmZXJyZWQ=\""),
            ]),
            Step::Hangup,
        ],
        expected: &[
            ("/status", "\"hangup\""),
            ("/refer/status", "\"completed\""),
            ("/refer/sip_address", "\"sip:agents@pbx-backup.example.com\""),
            ("/refer/sip_notify_response", "200"),
            ("/client_state", "\"dHJhbnNmZXJyZWQ=\""),
            ("/siprec/status", "\"stopped\""),
        ],
        actions: &[
            INBOUND_ACTIONS[0],
            INBOUND_ACTIONS[1],
            INBOUND_ACTIONS[2],
            ("refer", "operator"),
            ("refer", "refer-failover"),
            ("client_state_update", "stamp-transferred"),
        ],
    },
    Scenario {
        name: "supervisor-dtmf",
        about: "the caller presses * to arm supervisor control, then 1: the supervisor barges in",
        failing_refers: &[],
        steps: &[
            Step::WaitFor(ANSWERED),
            Step::Dtmf("*1"),
            Step::WaitFor(&[
                ("/supervisor_role", "\"barge\""),
                ("/client_state", "\"c3VwZXJ2aXNvcjpiYXJnZQ==\""),
            ]),
            Step::Hangup,
        ],
        expected: &[
            ("/status", "\"hangup\""),
            ("/supervisor_role", "\"barge\""),
            ("/client_state", "\"c3VwZXJ2aXNvcjpiYXJnZQ==\""),
            ("/siprec/status", "\"stopped\""),
        ],
        actions: &[
            INBOUND_ACTIONS[0],
            INBOUND_ACTIONS[1],
            INBOUND_ACTIONS[2],
            ("client_state_update", "supervisor-arm"),
            ("switch_supervisor_role", "supervisor-barge"),
            ("client_state_update", "supervisor-barge"),
        ],
    },
];

/// How long one step may wait for the call to get there.
const STEP_LIMIT: Duration = Duration::from_secs(30);

pub struct Run {
    agent: ureq::Agent,
    url: String,
    telnyx: String,
    token: String,
}

impl Run {
    /// Against the worker at `url` and the simulator at `telnyx`, with the operator
    /// token `token`.
    pub fn new(url: &str, telnyx: &str, token: &str) -> Self {
        Self {
            agent: ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(30))
                .build(),
            url: url.trim_end_matches('/').to_owned(),
            telnyx: telnyx.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
        }
    }

    fn request(
        &self,
        method: &str,
        url: &str,
        body: Option<Value>,
        auth: bool,
    ) -> Result<(u16, Value), String> {
        let mut request = self.agent.request(method, url);
        if auth {
            request = request.set("authorization", &format!("Bearer {}", self.token));
        }
        let sent = match body {
            Some(body) => request.send_json(body),
            None => request.call(),
        };
        let response = match sent {
            Ok(response) | Err(ureq::Error::Status(_, response)) => response,
            Err(error) => {
                return Err(format!(
                    "{method} {url}: {error} (is `make dev` running, or --url and --telnyx right?)"
                ))
            }
        };
        let status = response.status();
        let text = response.into_string().unwrap_or_default();
        Ok((
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        ))
    }

    fn simulator(&self, path: &str, body: Value) -> Result<Value, String> {
        let (status, answer) =
            self.request("POST", &format!("{}{path}", self.telnyx), Some(body), false)?;
        if (200..300).contains(&status) {
            Ok(answer)
        } else {
            Err(format!(
                "the simulator answered {path} with {status}: {answer}"
            ))
        }
    }

    pub fn state(&self, call: &str) -> Result<Option<Value>, String> {
        let (status, state) =
            self.request("GET", &format!("{}/calls/{call}", self.url), None, true)?;
        match status {
            200 => Ok(Some(state)),
            404 => Ok(None),
            401 | 503 => Err(format!(
                "the worker refused the operator token ({status}); set ADMIN_TOKEN to the worker's"
            )),
            _ => Err(format!("GET /calls/{call} answered {status}: {state}")),
        }
    }

    /// Polls the call until every field matches and nothing is pending.
    fn wait_for(&self, call: &str, fields: &[(&str, &str)]) -> Result<Value, String> {
        let started = Instant::now();
        loop {
            let state = self.state(call)?;
            if let Some(state) = &state {
                if differences(state, fields).is_empty() && pending(state) == 0 {
                    return Ok(state.clone());
                }
            }
            if started.elapsed() > STEP_LIMIT {
                let state = state.unwrap_or(Value::Null);
                let mut problems = differences(&state, fields);
                if pending(&state) > 0 {
                    problems.push(format!("{} actions still pending", pending(&state)));
                }
                return Err(format!(
                    "not there after {} s:\n  {}",
                    STEP_LIMIT.as_secs(),
                    problems.join("\n  ")
                ));
            }
            thread::sleep(Duration::from_millis(200));
        }
    }
}

fn pending(state: &Value) -> usize {
    state["actions"].as_array().map_or(0, |actions| {
        actions.iter().filter(|a| a["status"] == "pending").count()
    })
}

/// Each field that differs, said as `expected … got …`.
fn differences(state: &Value, fields: &[(&str, &str)]) -> Vec<String> {
    fields
        .iter()
        .filter_map(|(pointer, expected)| {
            let expected: Value = serde_json::from_str(expected).expect("expected values are JSON");
            let got = state.pointer(pointer).cloned().unwrap_or(Value::Null);
            (got != expected).then(|| format!("{pointer}: expected {expected}, got {got}"))
        })
        .collect()
}

/// Actions that differ from the expected `(action, rule)` list, all succeeded.
fn action_differences(state: &Value, expected: &[(&str, &str)]) -> Vec<String> {
    let mut got: Vec<(String, String, String)> = state["actions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| {
            (
                a["action"].as_str().unwrap_or_default().to_owned(),
                a["rule"].as_str().unwrap_or("operator").to_owned(),
                a["status"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let mut problems = Vec::new();
    for (action, rule) in expected {
        match got.iter().position(|(a, r, _)| a == action && r == rule) {
            Some(at) => {
                let (_, _, status) = got.remove(at);
                if status != "succeeded" {
                    problems.push(format!(
                        "{action} ({rule}): expected succeeded, got {status}"
                    ));
                }
            }
            None => problems.push(format!("{action} ({rule}): expected, never recorded")),
        }
    }
    for (action, rule, status) in got {
        problems.push(format!("{action} ({rule}, {status}): not expected"));
    }
    problems
}

pub fn timeline(state: &Value) -> Vec<String> {
    let mut lines: Vec<(String, String)> = Vec::new();
    for event in state["events"].as_array().into_iter().flatten() {
        let at = event["occurred_at"].as_str().unwrap_or_default().to_owned();
        lines.push((
            at,
            format!(
                "event   {}",
                event["event_type"].as_str().unwrap_or_default()
            ),
        ));
    }
    for action in state["actions"].as_array().into_iter().flatten() {
        let at = action["at"].as_str().unwrap_or_default().to_owned();
        let http = action["http_status"]
            .as_u64()
            .map(|s| format!(" ({s})"))
            .unwrap_or_default();
        let error = action["error"]
            .as_str()
            .map(|e| format!(": {e}"))
            .unwrap_or_default();
        lines.push((
            at,
            format!(
                "action  {:<24} {:<22} {}{http}{error}",
                action["action"].as_str().unwrap_or_default(),
                format!("rule {}", action["rule"].as_str().unwrap_or("operator")),
                action["status"].as_str().unwrap_or_default()
            ),
        ));
    }
    // RFC 3339 in UTC sorts as text; a stable sort keeps ties in recorded order.
    lines.sort_by(|a, b| a.0.cmp(&b.0));
    lines
        .into_iter()
        .map(|(at, line)| format!("  {}  {line}", at.get(11..23).unwrap_or(&at)))
        .collect()
}

/// Plays the scenario, printing its steps and the call's timeline; the call's id when
/// it ended as expected.
pub fn play(run: &Run, scenario: &Scenario) -> Result<String, String> {
    let started = run.simulator(
        "/simulator/calls",
        json!({"from": "+13125550100", "to": "+13125550199",
            "fail_refers_to": scenario.failing_refers}),
    )?;
    let call = started["call_control_id"]
        .as_str()
        .ok_or_else(|| format!("the simulator started no call: {started}"))?
        .to_owned();
    println!("call: {call}");
    for step in scenario.steps {
        match step {
            Step::WaitFor(fields) => {
                run.wait_for(&call, fields)?;
            }
            Step::Dtmf(digits) => {
                println!("  far side presses {digits}");
                run.simulator(
                    &format!("/simulator/calls/{call}/dtmf"),
                    json!({ "digits": digits }),
                )?;
            }
            Step::Operator(action, address) => {
                println!("  operator: {action} {address}");
                let url = format!("{}/calls/{call}/actions/{action}", run.url);
                let (status, answer) =
                    run.request("POST", &url, Some(json!({ "sip_address": address })), true)?;
                if status != 200 {
                    return Err(format!(
                        "the operator's {action} was answered {status}: {answer}"
                    ));
                }
            }
            Step::Hangup => {
                println!("  far side hangs up");
                run.simulator(&format!("/simulator/calls/{call}/hangup"), json!({}))?;
            }
        }
    }
    let state = run.wait_for(&call, scenario.expected).inspect_err(|_| {
        // Print what there is before saying how it differs.
        if let Ok(Some(state)) = run.state(&call) {
            println!("{}", timeline(&state).join("\n"));
        }
    })?;
    println!("{}", timeline(&state).join("\n"));
    let problems = action_differences(&state, scenario.actions);
    if problems.is_empty() {
        Ok(call)
    } else {
        Err(format!(
            "the call's actions differ:\n  {}",
            problems.join("\n  ")
        ))
    }
}
