//! The scenarios of `cargo run --example simulate`: whole calls played through the local
//! Telnyx against a running worker with the shipped example rules (`examples/automations`),
//! each with the state it must end in, and the state of the supervisor leg it dials in,
//! if any. The end-to-end suite plays them too.

use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// Where an operator refers a call first (`refer-failover` makes it fail).
pub const PRIMARY: &str = "sip:agents@pbx-primary.example.com";
/// Where the example rule `refer-failover` refers a call once the primary PBX failed.
pub const BACKUP: &str = "sip:agents@pbx-backup.example.com";
/// Where the example rule `supervisor-dial` and the scenarios' operator dial a supervisor.
pub const SUPERVISOR: &str = "sip:supervisor@pbx.example.com";

/// Which call a step acts on or waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum On {
    /// The inbound call the scenario starts (its far side is the caller).
    Call,
    /// The call's first supervisor leg (`/supervisors/0` of the call), once it has one
    /// (its far side is the supervisor).
    Supervisor,
}

/// What a scenario does, in order.
pub enum Step {
    /// Wait until that call's state has these fields (JSON pointers) and no action of
    /// it is pending.
    WaitFor(On, &'static [(&'static str, &'static str)]),
    /// The far side of that call presses these keys.
    Dtmf(On, &'static str),
    /// An operator asks the worker for `action` on that call, with this body (JSON text).
    Operator(On, &'static str, &'static str),
    /// An operator dials a supervisor onto the call (`POST /calls/{id}/supervise`):
    /// `to`, `role`.
    Supervise(&'static str, &'static str),
    /// The far side of that call hangs up.
    Hangup(On),
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
    /// The supervisor leg's final fields; empty (with `supervisor_actions`) when the
    /// scenario dials no supervisor. The leg's `supervising` is always checked too.
    pub supervisor: &'static [(&'static str, &'static str)],
    /// The supervisor leg's actions at the end, its Dial first.
    pub supervisor_actions: &'static [(&'static str, &'static str)],
}

impl Scenario {
    /// Whether the scenario ends with a supervisor leg to check.
    pub fn has_supervisor(&self) -> bool {
        !self.supervisor.is_empty() || !self.supervisor_actions.is_empty()
    }
}

/// Answered by `answer-inbound`, recorded by `record-inbound`, noise suppressed by
/// `suppress-noise`: what every inbound call gets from the example rules.
pub const ANSWERED: &[(&str, &str)] = &[
    ("/status", "\"answered\""),
    ("/siprec/status", "\"started\""),
    ("/noise_suppression/status", "\"active\""),
];
pub(super) const INBOUND_ACTIONS: [(&str, &str); 3] = [
    ("answer", "answer-inbound"),
    ("siprec_start", "record-inbound"),
    ("suppression_start", "suppress-noise"),
];

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "inbound-recorded",
        about: "an inbound call is answered, recorded (SIPREC) and noise-suppressed by the rules, then the caller hangs up",
        failing_refers: &[],
        steps: &[Step::WaitFor(On::Call, ANSWERED), Step::Hangup(On::Call)],
        expected: &[
            ("/status", "\"hangup\""),
            ("/hangup_cause", "\"normal_clearing\""),
            ("/client_state", "\"aW5ib3VuZA==\""),
            ("/siprec/status", "\"stopped\""),
            ("/noise_suppression/status", "\"active\""),
            ("/supervisor_role", "null"),
            ("/supervisors", "[]"),
        ],
        actions: &INBOUND_ACTIONS,
        supervisor: &[],
        supervisor_actions: &[],
    },
    Scenario {
        name: "refer-failover",
        about: "an operator refers the call to the primary PBX, which fails; the rule refers it to the backup, and stamps it once transferred",
        failing_refers: &[PRIMARY],
        steps: &[
            Step::WaitFor(On::Call, ANSWERED),
            Step::Operator(
                On::Call,
                "refer",
                r#"{"sip_address":"sip:agents@pbx-primary.example.com"}"#,
            ),
            Step::WaitFor(
                On::Call,
                &[
                    ("/refer/status", "\"completed\""),
                    ("/client_state", "\"dHJhbnNmZXJyZWQ=\""),
                ],
            ),
            Step::Hangup(On::Call),
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
        supervisor: &[],
        supervisor_actions: &[],
    },
    Scenario {
        name: "supervisor-dtmf",
        about: "the caller presses 0: a rule dials a supervisor in, monitoring; the supervisor presses 1 on their own leg to barge in; the caller hangs up, which ends the supervisor's leg",
        failing_refers: &[],
        steps: &[
            Step::WaitFor(On::Call, ANSWERED),
            Step::Dtmf(On::Call, "0"),
            Step::WaitFor(
                On::Call,
                &[
                    ("/supervisors/0/status", "\"answered\""),
                    ("/supervisors/0/role", "\"monitor\""),
                ],
            ),
            Step::Dtmf(On::Supervisor, "1"),
            Step::WaitFor(On::Call, &[("/supervisors/0/role", "\"barge\"")]),
            Step::Hangup(On::Call),
        ],
        expected: &[
            ("/status", "\"hangup\""),
            ("/client_state", "\"aW5ib3VuZA==\""),
            ("/siprec/status", "\"stopped\""),
            ("/supervisor_role", "null"),
            ("/supervisors/0/to", "\"sip:supervisor@pbx.example.com\""),
            ("/supervisors/0/role", "\"barge\""),
            ("/supervisors/0/status", "\"hangup\""),
        ],
        actions: &[
            INBOUND_ACTIONS[0],
            INBOUND_ACTIONS[1],
            INBOUND_ACTIONS[2],
            ("dial", "supervisor-dial"),
        ],
        supervisor: &[
            ("/status", "\"hangup\""),
            ("/hangup_cause", "\"normal_clearing\""),
            ("/to", "\"sip:supervisor@pbx.example.com\""),
            ("/supervisor_role", "\"barge\""),
            ("/client_state", "\"c3VwZXJ2aXNvcg==\""),
            ("/origin/by", "\"rule\""),
            ("/origin/rule", "\"supervisor-dial\""),
            ("/siprec", "null"),
            ("/noise_suppression", "null"),
        ],
        supervisor_actions: &[
            ("dial", "supervisor-dial"),
            ("switch_supervisor_role", "supervisor-barge"),
        ],
    },
    Scenario {
        name: "supervisor-joins",
        about: "an operator dials a supervisor in to monitor; the supervisor presses 2 (whisper), then 1 (barge) on their own leg; the operator hangs the supervisor's leg up, then the caller hangs up",
        failing_refers: &[],
        steps: &[
            Step::WaitFor(On::Call, ANSWERED),
            Step::Supervise(SUPERVISOR, "monitor"),
            Step::WaitFor(
                On::Call,
                &[
                    ("/supervisors/0/status", "\"answered\""),
                    ("/supervisors/0/role", "\"monitor\""),
                ],
            ),
            Step::Dtmf(On::Supervisor, "2"),
            Step::WaitFor(On::Call, &[("/supervisors/0/role", "\"whisper\"")]),
            Step::Dtmf(On::Supervisor, "1"),
            Step::WaitFor(On::Call, &[("/supervisors/0/role", "\"barge\"")]),
            Step::Operator(On::Supervisor, "hangup", "{}"),
            Step::WaitFor(On::Call, &[("/supervisors/0/status", "\"hangup\"")]),
            Step::Hangup(On::Call),
        ],
        expected: &[
            ("/status", "\"hangup\""),
            ("/hangup_cause", "\"normal_clearing\""),
            ("/siprec/status", "\"stopped\""),
            ("/supervisor_role", "null"),
            ("/supervisors/0/to", "\"sip:supervisor@pbx.example.com\""),
            ("/supervisors/0/role", "\"barge\""),
            ("/supervisors/0/status", "\"hangup\""),
        ],
        actions: &[
            INBOUND_ACTIONS[0],
            INBOUND_ACTIONS[1],
            INBOUND_ACTIONS[2],
            ("dial", "operator"),
        ],
        supervisor: &[
            ("/status", "\"hangup\""),
            ("/hangup_cause", "\"normal_clearing\""),
            ("/to", "\"sip:supervisor@pbx.example.com\""),
            ("/from", "\"+13125550199\""),
            ("/supervisor_role", "\"barge\""),
            ("/origin", "{\"action\":\"dial\",\"by\":\"operator\"}"),
            ("/siprec", "null"),
            ("/noise_suppression", "null"),
        ],
        supervisor_actions: &[
            ("dial", "operator"),
            ("switch_supervisor_role", "supervisor-whisper"),
            ("switch_supervisor_role", "supervisor-barge"),
            ("hangup", "operator"),
        ],
    },
];

/// How long one step may wait for the call to get there.
pub(super) const STEP_LIMIT: Duration = Duration::from_secs(30);

pub struct Run {
    agent: ureq::Agent,
    pub(super) url: String,
    telnyx: String,
    token: String,
}

impl Run {
    /// Against the worker at `url` and the simulator at `telnyx`, with the operator
    /// token `token`. One agent for every thread of `busy-hour`, keeping a connection
    /// open per call it plays at once (up to 200).
    pub fn new(url: &str, telnyx: &str, token: &str) -> Self {
        Self {
            agent: ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(30))
                .max_idle_connections(256)
                .max_idle_connections_per_host(256)
                .build(),
            url: url.trim_end_matches('/').to_owned(),
            telnyx: telnyx.trim_end_matches('/').to_owned(),
            token: token.to_owned(),
        }
    }

    pub(super) fn request(
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

    pub(super) fn simulator(&self, path: &str, body: Value) -> Result<Value, String> {
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
    pub(super) fn wait_for(&self, call: &str, fields: &[(&str, &str)]) -> Result<Value, String> {
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
pub(super) fn differences(state: &Value, fields: &[(&str, &str)]) -> Vec<String> {
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
pub(super) fn action_differences(state: &Value, expected: &[(&str, &str)]) -> Vec<String> {
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
                "action  {:<24} {:<24} {}{http}{error}",
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

/// The calls a scenario played.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Played {
    pub call: String,
    /// The call's first supervisor leg, when it got one.
    pub supervisor: Option<String>,
}

impl Run {
    /// `POST /calls/{call}/supervise`; the new supervisor leg.
    fn supervise(&self, call: &str, to: &str, role: &str) -> Result<String, String> {
        let url = format!("{}/calls/{call}/supervise", self.url);
        let (status, answer) =
            self.request("POST", &url, Some(json!({"to": to, "role": role})), true)?;
        match answer["data"]["call_control_id"].as_str() {
            Some(leg) if status == 200 => Ok(leg.to_owned()),
            _ => Err(format!(
                "the operator's supervise was answered {status}: {answer}"
            )),
        }
    }

    /// The call's first supervisor leg, waiting for the worker to show one.
    fn supervisor_of(&self, call: &str) -> Result<String, String> {
        let started = Instant::now();
        loop {
            if let Some(state) = self.state(call)? {
                if let Some(leg) = state.pointer("/supervisors/0/call_control_id") {
                    if let Some(leg) = leg.as_str() {
                        return Ok(leg.to_owned());
                    }
                }
            }
            if started.elapsed() > STEP_LIMIT {
                return Err(format!(
                    "the call has no supervisor leg after {} s",
                    STEP_LIMIT.as_secs()
                ));
            }
            thread::sleep(Duration::from_millis(200));
        }
    }
}

/// Prints a call's timeline under a heading.
fn print_timeline(heading: &str, state: &Value) {
    println!("{heading}");
    println!("{}", timeline(state).join("\n"));
}

/// Plays the scenario, printing its steps and the timelines of the call and of its
/// supervisor leg; the calls when both ended as expected.
pub fn play(run: &Run, scenario: &Scenario) -> Result<Played, String> {
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
    let mut supervisor: Option<String> = None;
    // The call a step is on: the supervisor leg is found once it is needed.
    let target = |on: On, supervisor: &mut Option<String>| -> Result<String, String> {
        match on {
            On::Call => Ok(call.clone()),
            On::Supervisor => {
                if supervisor.is_none() {
                    let leg = run.supervisor_of(&call)?;
                    println!("  supervisor leg: {leg}");
                    *supervisor = Some(leg);
                }
                Ok(supervisor.clone().unwrap_or_default())
            }
        }
    };
    let who = |on: On| match on {
        On::Call => "far side",
        On::Supervisor => "supervisor",
    };
    for step in scenario.steps {
        match step {
            Step::WaitFor(on, fields) => {
                let id = target(*on, &mut supervisor)?;
                run.wait_for(&id, fields)?;
            }
            Step::Dtmf(on, digits) => {
                let id = target(*on, &mut supervisor)?;
                println!("  {} presses {digits}", who(*on));
                run.simulator(
                    &format!("/simulator/calls/{id}/dtmf"),
                    json!({ "digits": digits }),
                )?;
            }
            Step::Operator(on, action, body) => {
                let id = target(*on, &mut supervisor)?;
                let body: Value = serde_json::from_str(body).expect("step bodies are JSON");
                let mut said = format!("  operator: {action}");
                if *on == On::Supervisor {
                    said.push_str(" on the supervisor leg");
                }
                if let Some(address) = body.get("sip_address").and_then(Value::as_str) {
                    said.push_str(&format!(" {address}"));
                }
                println!("{said}");
                let url = format!("{}/calls/{id}/actions/{action}", run.url);
                let (status, answer) = run.request("POST", &url, Some(body), true)?;
                if status != 200 {
                    return Err(format!(
                        "the operator's {action} was answered {status}: {answer}"
                    ));
                }
            }
            Step::Supervise(to, role) => {
                println!("  operator: supervise {to} as {role}");
                let leg = run.supervise(&call, to, role)?;
                println!("  supervisor leg: {leg}");
                supervisor = Some(leg);
            }
            Step::Hangup(on) => {
                let id = target(*on, &mut supervisor)?;
                println!("  {} hangs up", who(*on));
                run.simulator(&format!("/simulator/calls/{id}/hangup"), json!({}))?;
            }
        }
    }
    if scenario.has_supervisor() {
        target(On::Supervisor, &mut supervisor)?;
    }
    let state = run.wait_for(&call, scenario.expected).inspect_err(|_| {
        // Print what there is before saying how it differs.
        if let Ok(Some(state)) = run.state(&call) {
            print_timeline(&format!("call {call}:"), &state);
        }
    })?;
    print_timeline(&format!("call {call}:"), &state);
    let mut problems = action_differences(&state, scenario.actions);
    if let Some(leg) = &supervisor {
        let heading = format!("supervisor leg {leg}:");
        let leg_state = run
            .wait_for(leg, scenario.supervisor)
            .inspect_err(|_| {
                if let Ok(Some(state)) = run.state(leg) {
                    print_timeline(&heading, &state);
                }
            })
            .map_err(|problem| format!("the supervisor leg is {problem}"))?;
        print_timeline(&heading, &leg_state);
        if leg_state["supervising"] != call.as_str() {
            problems.push(format!(
                "the supervisor leg's /supervising: expected {call:?}, got {}",
                leg_state["supervising"]
            ));
        }
        if scenario.has_supervisor() {
            problems.extend(
                action_differences(&leg_state, scenario.supervisor_actions)
                    .into_iter()
                    .map(|problem| format!("supervisor leg: {problem}")),
            );
        }
    }
    if problems.is_empty() {
        Ok(Played { call, supervisor })
    } else {
        Err(format!("the actions differ:\n  {}", problems.join("\n  ")))
    }
}
