//! The local Telnyx's core (`cargo run --example telnyx-sim`), without I/O: the calls it
//! knows, how it answers each Call Control command, and which webhooks Telnyx would send
//! after it. [`SimServer`](super::http::SimServer) serves it over HTTP and delivers the
//! webhooks; the tests drive it directly.
//!
//! Commands are validated with the worker's own validator. A repeated `command_id` for
//! the same call within 60 s is answered `200` and ignored, as Telnyx does; a command to
//! a call that has ended is `422` with code 90018; an unknown call is `404`.
//!
//! Dial (`POST /v2/calls`, [`Simulator::dial`]) starts a new outgoing leg: its
//! `call.initiated` (`state` `bridging`), then `call.answered`, or `call.hangup` with
//! `hangup_cause` `timeout` when `to` contains `noanswer`. A repeated `command_id` within
//! 60 s is answered `200` with the first answer's `data` and starts nothing. A Dial with
//! `supervise_call_control_id` makes the leg a supervisor leg of that call, in
//! `supervisor_role` (`barge` when not given); `link_to` puts the leg in the linked
//! call's `call_session_id`.
//!
//! Two behaviours are **the simulator's assumptions, not documented Telnyx behaviour**:
//!
//! - a supervisor leg is hung up (its own `call.hangup`, `normal_clearing`) when the call
//!   it supervises ends, whichever side ends it;
//! - `switch_supervisor_role` sent to a call that is not a supervisor leg is refused with
//!   `422` (code [`NOT_A_SUPERVISOR_LEG`]).

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Map, Value};

use crate::domain::actions::{find, validate, Violation, DIAL};

/// How long Telnyx ignores a repeated `command_id`.
pub const COMMAND_ID_WINDOW_MS: i64 = 60_000;

/// The error code of a `switch_supervisor_role` to a call that is not a supervisor leg.
/// Telnyx documents neither the refusal nor a code for it: both are the simulator's
/// assumption (a code in Telnyx's 900xx range of Call Control errors).
pub const NOT_A_SUPERVISOR_LEG: &str = "90045";

/// The supervisor role of a supervisor leg whose Dial named none.
pub const DEFAULT_SUPERVISOR_ROLE: &str = "barge";

/// What a Dial whose `to` contains this does: ring until it times out.
pub const NO_ANSWER: &str = "noanswer";

/// Where a simulated call stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Leg {
    Parked,
    Answered,
    Bridged,
    Ended,
}

#[derive(Clone, Debug)]
pub struct SimCall {
    pub call_control_id: String,
    pub call_leg_id: String,
    pub call_session_id: String,
    pub from: String,
    pub to: String,
    pub direction: &'static str,
    /// Carried on the call's webhooks: `telnyx-sim` for an inbound call, a Dial's own.
    pub connection_id: String,
    pub leg: Leg,
    /// Carried on the call's webhooks from the command that set it on.
    pub client_state: Option<String>,
    pub siprec_active: bool,
    /// SIP addresses a `refer` to fails for, besides any that contain `fail`.
    pub failing_refers: Vec<String>,
    /// On a supervisor leg: the call it supervises.
    pub supervising: Option<String>,
    /// On a supervisor leg: its role, the Dial's and then each `switch_supervisor_role`.
    pub supervisor_role: Option<String>,
}

impl SimCall {
    /// A new call, parked, with fresh ids.
    fn new(from: &str, to: &str, direction: &'static str) -> Self {
        Self {
            call_leg_id: random_uuid(),
            call_session_id: random_uuid(),
            call_control_id: format!("v3:sim-{}", random_uuid()),
            from: from.to_owned(),
            to: to.to_owned(),
            direction,
            connection_id: "telnyx-sim".to_owned(),
            leg: Leg::Parked,
            client_state: None,
            siprec_active: false,
            failing_refers: Vec::new(),
            supervising: None,
            supervisor_role: None,
        }
    }
}

/// One webhook to send `delay_ms` after the command (or step) that caused it.
#[derive(Clone, Debug, PartialEq)]
pub struct Emit {
    pub delay_ms: u64,
    pub event_type: &'static str,
    /// The whole `data.payload`.
    pub payload: Value,
}

/// How the simulator answers a request, and the webhooks that follow.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub emits: Vec<Emit>,
}

impl Answer {
    fn ok(emits: Vec<Emit>) -> Self {
        Self {
            status: 200,
            body: json!({"data": {"result": "ok"}}),
            emits,
        }
    }

    fn error(status: u16, code: &str, title: &str, detail: &str, pointer: Option<&str>) -> Self {
        let mut error = json!({"code": code, "title": title, "detail": detail});
        if let Some(pointer) = pointer {
            error["source"] = json!({ "pointer": pointer });
        }
        Self {
            status,
            body: json!({ "errors": [error] }),
            emits: Vec::new(),
        }
    }

    fn unknown_call() -> Self {
        Self::error(
            404,
            "90015",
            "Invalid Call Control ID",
            "The call_control_id provided was not valid.",
            Some("/call_control_id"),
        )
    }
}

/// A command as received, for `GET /simulator/commands`.
#[derive(Clone, Debug, PartialEq)]
pub struct Received {
    pub call_control_id: String,
    pub action: String,
    pub body: Value,
}

#[derive(Default)]
pub struct Simulator {
    pub calls: BTreeMap<String, SimCall>,
    pub received: Vec<Received>,
    /// `(call, command_id)` → when it was first run.
    command_ids: HashMap<(String, String), i64>,
    /// A Dial's `command_id` → when it was first run, and the `data` it was answered.
    dials: HashMap<String, (i64, Value)>,
}

/// Telnyx's small delays between a command and its webhooks, in milliseconds.
const QUICK: u64 = 150;
const LATER: u64 = 600;

impl Simulator {
    pub fn new() -> Self {
        Self::default()
    }

    /// A new call, parked, with its `call.initiated`.
    fn new_call(&mut self, from: &str, to: &str, direction: &'static str) -> (String, Emit) {
        let call = SimCall::new(from, to, direction);
        let call_control_id = call.call_control_id.clone();
        let emit = emit(&call, QUICK, "call.initiated", json!({"state": "parked"}));
        self.calls.insert(call_control_id.clone(), call);
        (call_control_id, emit)
    }

    /// `POST /simulator/calls`: an inbound call from the far side.
    pub fn start_call(&mut self, from: Option<&str>, to: Option<&str>) -> (String, Vec<Emit>) {
        let (id, initiated) = self.new_call(
            from.unwrap_or("+13125550100"),
            to.unwrap_or("+13125550199"),
            "incoming",
        );
        (id, vec![initiated])
    }

    /// Makes a `refer` to `address` fail on this call (besides addresses with `fail`).
    pub fn fail_refers_to(&mut self, call: &str, address: &str) {
        if let Some(call) = self.calls.get_mut(call) {
            call.failing_refers.push(address.to_owned());
        }
    }

    /// `POST /simulator/calls/{id}/dtmf`: one `call.dtmf.received` per digit.
    pub fn dtmf(&mut self, call: &str, digits: &str) -> Answer {
        let Some(call) = self.calls.get(call) else {
            return Answer::unknown_call();
        };
        if call.leg == Leg::Ended {
            return ended();
        }
        let emits = digits
            .chars()
            .enumerate()
            .map(|(n, digit)| {
                emit(
                    call,
                    QUICK + 250 * n as u64,
                    "call.dtmf.received",
                    json!({ "digit": digit.to_string() }),
                )
            })
            .collect();
        Answer {
            status: 202,
            body: json!({"data": {"result": "ok"}}),
            emits,
        }
    }

    /// `POST /simulator/calls/{id}/hangup`: the far side hangs up.
    pub fn far_hangup(&mut self, call: &str) -> Answer {
        match self.calls.get(call) {
            None => Answer::unknown_call(),
            Some(found) if found.leg == Leg::Ended => ended(),
            Some(_) => Answer {
                status: 202,
                body: json!({"data": {"result": "ok"}}),
                emits: self.end(call, "caller"),
            },
        }
    }

    /// Ends the call (`call.hangup`, and `siprec.stopped` while recording), and then
    /// every live supervisor leg supervising it: the simulator's assumption (module docs).
    fn end(&mut self, call_id: &str, source: &str) -> Vec<Emit> {
        let Some(call) = self.calls.get_mut(call_id) else {
            return Vec::new();
        };
        let mut emits = hang_up(call, source);
        let supervisors: Vec<String> = self
            .calls
            .values()
            .filter(|leg| leg.supervising.as_deref() == Some(call_id) && leg.leg != Leg::Ended)
            .map(|leg| leg.call_control_id.clone())
            .collect();
        for id in supervisors {
            if let Some(leg) = self.calls.get_mut(&id) {
                // Just after the supervised call's own hangup.
                emits.extend(hang_up(leg, "unknown").into_iter().map(|mut emit| {
                    emit.delay_ms += 100;
                    emit
                }));
            }
        }
        emits
    }

    /// `POST /v2/calls` (Dial) with `body`, at `now_ms`: a new outgoing leg, answered
    /// `200 {"data":{"call_control_id","call_leg_id","call_session_id","is_alive":false,
    /// "record_type":"call"}}`, then its webhooks (module docs).
    ///
    /// `GET /simulator/commands` lists every Dial as the action `dial` of the leg it
    /// started: a repeated `command_id` under the first Dial's leg, and a Dial refused
    /// before any leg exists (not JSON, invalid, or naming a call it cannot supervise or
    /// link to) under the empty `call_control_id` `""`.
    pub fn dial(&mut self, body: &str, now_ms: i64) -> Answer {
        let body = match json_body(body) {
            Ok(body) => body,
            Err(refused) => return refused,
        };
        let (leg, answer) = self.dial_of(&body, now_ms);
        self.received.push(Received {
            call_control_id: leg,
            action: DIAL.name.to_owned(),
            body,
        });
        answer
    }

    /// The leg a Dial started (or `""`), and the answer.
    fn dial_of(&mut self, body: &Value, now_ms: i64) -> (String, Answer) {
        let refused = |answer: Answer| (String::new(), answer);
        if let Err(violations) = validate(&DIAL, body) {
            return refused(invalid(&violations));
        }
        let text = |field: &str| body.get(field).and_then(Value::as_str).map(str::to_owned);
        let command_id = text("command_id");
        if let Some(command_id) = &command_id {
            if let Some((first, data)) = self.dials.get(command_id) {
                if now_ms - first < COMMAND_ID_WINDOW_MS {
                    let leg = data["call_control_id"].as_str().unwrap_or_default();
                    return (
                        leg.to_owned(),
                        Answer {
                            status: 200,
                            body: json!({ "data": data }),
                            emits: Vec::new(),
                        },
                    );
                }
            }
        }
        let supervising = text("supervise_call_control_id");
        if let Some(supervised) = &supervising {
            match self.calls.get(supervised) {
                None => {
                    return refused(Answer::error(
                        422,
                        "90015",
                        "Invalid Call Control ID",
                        "The call to supervise is not a call.",
                        Some("/supervise_call_control_id"),
                    ))
                }
                Some(call) if call.leg == Leg::Ended => return refused(ended()),
                Some(_) => {}
            }
        }
        let session = match text("link_to") {
            None => None,
            Some(linked) => match self.calls.get(&linked) {
                Some(call) => Some(call.call_session_id.clone()),
                None => {
                    return refused(Answer::error(
                        422,
                        "90015",
                        "Invalid Call Control ID",
                        "The call to link to is not a call.",
                        Some("/link_to"),
                    ))
                }
            },
        };
        // `to` is one destination or a list; the first one rings here.
        let to = match body.get("to") {
            Some(Value::Array(list)) => list.first().and_then(Value::as_str),
            other => other.and_then(Value::as_str),
        }
        .unwrap_or_default()
        .to_owned();
        let mut call = SimCall::new(&text("from").unwrap_or_default(), &to, "outgoing");
        call.connection_id = text("connection_id").unwrap_or_default();
        call.client_state = text("client_state");
        if let Some(session) = session {
            call.call_session_id = session;
        }
        if supervising.is_some() {
            call.supervisor_role =
                Some(text("supervisor_role").unwrap_or_else(|| DEFAULT_SUPERVISOR_ROLE.into()));
            call.supervising = supervising;
        }
        let data = json!({
            "call_control_id": call.call_control_id,
            "call_leg_id": call.call_leg_id,
            "call_session_id": call.call_session_id,
            "is_alive": false,
            "record_type": "call",
        });
        let mut emits = vec![emit(
            &call,
            QUICK,
            "call.initiated",
            json!({"state": "bridging"}),
        )];
        if to.contains(NO_ANSWER) {
            // Rings out; Telnyx would wait `timeout_secs` (30 s by default): kept short.
            call.leg = Leg::Ended;
            emits.push(emit(
                &call,
                LATER,
                "call.hangup",
                json!({"state": "hangup", "hangup_cause": "timeout", "hangup_source": "unknown",
                    "sip_hangup_cause": "487"}),
            ));
        } else {
            call.leg = Leg::Answered;
            emits.push(emit(
                &call,
                LATER,
                "call.answered",
                json!({"state": "answered"}),
            ));
        }
        let leg = call.call_control_id.clone();
        self.calls.insert(leg.clone(), call);
        if let Some(command_id) = command_id {
            self.dials.insert(command_id, (now_ms, data.clone()));
        }
        (
            leg,
            Answer {
                status: 200,
                body: json!({ "data": data }),
                emits,
            },
        )
    }

    /// `POST /v2/calls/{id}/actions/{action}` with `body`, at `now_ms`.
    pub fn command(&mut self, call_id: &str, action: &str, body: &str, now_ms: i64) -> Answer {
        let Some(spec) = find(action) else {
            return Answer::error(
                404,
                "10005",
                "Resource not found",
                &format!("there is no action {action:?}"),
                None,
            );
        };
        let body = match json_body(body) {
            Ok(body) => body,
            Err(refused) => return refused,
        };
        self.received.push(Received {
            call_control_id: call_id.to_owned(),
            action: action.to_owned(),
            body: body.clone(),
        });
        if let Err(violations) = validate(spec, &body) {
            return invalid(&violations);
        }
        if !self.calls.contains_key(call_id) {
            return Answer::unknown_call();
        }
        if let Some(command_id) = body.get("command_id").and_then(Value::as_str) {
            let key = (call_id.to_owned(), command_id.to_owned());
            match self.command_ids.get(&key) {
                Some(&first) if now_ms - first < COMMAND_ID_WINDOW_MS => {
                    return Answer::ok(Vec::new())
                }
                _ => {
                    self.command_ids.insert(key, now_ms);
                }
            }
        }
        if self.calls[call_id].leg == Leg::Ended {
            return ended();
        }
        self.run(call_id, action, &body)
    }

    fn run(&mut self, call_id: &str, action: &str, body: &Value) -> Answer {
        let text = |field: &str| body.get(field).and_then(Value::as_str).map(str::to_owned);
        if let Some(client_state) = text("client_state") {
            if let Some(call) = self.calls.get_mut(call_id) {
                call.client_state = Some(client_state);
            }
        }
        let Some(call) = self.calls.get_mut(call_id) else {
            return Answer::unknown_call();
        };
        let emits = match action {
            "answer" => {
                if call.leg != Leg::Parked {
                    return Answer::ok(Vec::new());
                }
                call.leg = Leg::Answered;
                vec![emit(
                    call,
                    QUICK,
                    "call.answered",
                    json!({"state": "answered"}),
                )]
            }
            "hangup" => return Answer::ok(self.end(call_id, "callee")),
            "refer" => {
                let address = text("sip_address").unwrap_or_default();
                let fails = address.contains("fail") || call.failing_refers.contains(&address);
                let started = emit(
                    call,
                    QUICK,
                    "call.refer.started",
                    json!({"sip_notify_response": 100}),
                );
                let (outcome, response) = if fails {
                    ("call.refer.failed", 603)
                } else {
                    ("call.refer.completed", 200)
                };
                let done = emit(
                    call,
                    LATER,
                    outcome,
                    json!({ "sip_notify_response": response }),
                );
                vec![started, done]
            }
            "siprec_start" => {
                if text("connector_name").as_deref() == Some("fail") {
                    vec![emit(
                        call,
                        QUICK,
                        "siprec.failed",
                        json!({"failure_cause": "connector_unreachable"}),
                    )]
                } else {
                    call.siprec_active = true;
                    vec![emit(call, QUICK, "siprec.started", json!({}))]
                }
            }
            "siprec_stop" => {
                if !call.siprec_active {
                    return Answer::ok(Vec::new());
                }
                call.siprec_active = false;
                vec![emit(
                    call,
                    QUICK,
                    "siprec.stopped",
                    json!({"hangup_cause": "normal_clearing"}),
                )]
            }
            "bridge" => return self.bridge(call_id, text("call_control_id").unwrap_or_default()),
            "transfer" => {
                let from = text("from").unwrap_or_else(|| call.to.clone());
                let to = text("to").unwrap_or_default();
                let (_, initiated) = self.new_call(&from, &to, "outgoing");
                vec![initiated]
            }
            "switch_supervisor_role" => {
                if call.supervising.is_none() {
                    // The simulator's assumption (module docs): Telnyx documents no
                    // refusal, but the role belongs to a supervisor leg alone.
                    return Answer::error(
                        422,
                        NOT_A_SUPERVISOR_LEG,
                        "Call is not a supervisor leg",
                        "switch_supervisor_role applies to a supervisor leg (a call dialed \
                         with supervise_call_control_id); this call supervises none.",
                        None,
                    );
                }
                call.supervisor_role = text("role");
                Vec::new()
            }
            // client_state_update, send_dtmf, suppression_*: no webhook follows.
            _ => Vec::new(),
        };
        Answer::ok(emits)
    }

    fn bridge(&mut self, call_id: &str, other_id: String) -> Answer {
        let Some(other) = self.calls.get(&other_id) else {
            return Answer::error(
                422,
                "90015",
                "Invalid Call Control ID",
                "The call_control_id to bridge with is not a call.",
                Some("/call_control_id"),
            );
        };
        if other.leg == Leg::Ended {
            return ended();
        }
        let mut emits = Vec::new();
        for id in [call_id, other_id.as_str()] {
            if let Some(call) = self.calls.get_mut(id) {
                call.leg = Leg::Bridged;
                emits.push(emit(
                    call,
                    QUICK,
                    "call.bridged",
                    json!({"state": "bridged"}),
                ));
            }
        }
        Answer::ok(emits)
    }

    /// `GET /simulator/commands`.
    pub fn commands_json(&self) -> Value {
        Value::Array(
            self.received
                .iter()
                .map(|r| {
                    json!({"call_control_id": r.call_control_id, "action": r.action,
                        "body": r.body})
                })
                .collect(),
        )
    }
}

/// A command's body as JSON (an empty one is `{}`), or Telnyx's `400`.
fn json_body(body: &str) -> Result<Value, Answer> {
    let text = if body.trim().is_empty() { "{}" } else { body };
    serde_json::from_str(text).map_err(|error| {
        Answer::error(
            400,
            "10002",
            "Invalid request body",
            &format!("the body is not JSON: {error}"),
            None,
        )
    })
}

fn ended() -> Answer {
    Answer::error(
        422,
        "90018",
        "Call has already ended",
        "This call is no longer active and can't receive commands.",
        None,
    )
}

/// `422` as Telnyx words parameter errors: one error per violation, with its pointer.
fn invalid(violations: &[Violation]) -> Answer {
    let errors: Vec<Value> = violations
        .iter()
        .map(|v| {
            let (code, title) = if v.detail.contains("required") {
                ("10004", "Missing required parameter")
            } else if v.detail.contains("one of") {
                ("10032", "Invalid enumerated value")
            } else if v.detail.contains("between") || v.detail.contains("at least") {
                ("10033", "Value outside of range")
            } else {
                ("10002", "Invalid parameter")
            };
            json!({"code": code, "title": title, "detail": v.detail,
                "source": {"pointer": v.pointer}})
        })
        .collect();
    Answer {
        status: 422,
        body: json!({ "errors": errors }),
        emits: Vec::new(),
    }
}

/// Ends the call: `call.hangup`, then `siprec.stopped` for a recording still on.
fn hang_up(call: &mut SimCall, source: &str) -> Vec<Emit> {
    call.leg = Leg::Ended;
    let mut emits = vec![emit(
        call,
        QUICK,
        "call.hangup",
        json!({"state": "hangup", "hangup_cause": "normal_clearing", "hangup_source": source,
            "sip_hangup_cause": "200"}),
    )];
    if call.siprec_active {
        call.siprec_active = false;
        emits.push(emit(
            call,
            LATER,
            "siprec.stopped",
            json!({"hangup_cause": "normal_clearing"}),
        ));
    }
    emits
}

/// A webhook for `call`, its payload the call's identity and `extra`.
fn emit(call: &SimCall, delay_ms: u64, event_type: &'static str, extra: Value) -> Emit {
    let mut payload = Map::new();
    payload.insert("call_control_id".into(), json!(call.call_control_id));
    payload.insert("call_leg_id".into(), json!(call.call_leg_id));
    payload.insert("call_session_id".into(), json!(call.call_session_id));
    payload.insert("connection_id".into(), json!(call.connection_id));
    payload.insert("client_state".into(), json!(call.client_state));
    if !event_type.starts_with("siprec.") {
        payload.insert("from".into(), json!(call.from));
        payload.insert("to".into(), json!(call.to));
        payload.insert("direction".into(), json!(call.direction));
    }
    if let Value::Object(extra) = extra {
        payload.extend(extra);
    }
    Emit {
        delay_ms,
        event_type,
        payload: Value::Object(payload),
    }
}

/// The webhook body Telnyx sends: `data` with a fresh `id`, and `meta.attempt`.
pub fn envelope(
    emit: &Emit,
    id: &str,
    occurred_at: &str,
    attempt: u32,
    delivered_to: &str,
) -> Value {
    json!({
        "data": {
            "event_type": emit.event_type,
            "id": id,
            "occurred_at": occurred_at,
            "payload": emit.payload,
            "record_type": "event",
        },
        "meta": {"attempt": attempt, "delivered_to": delivered_to},
    })
}

/// A random UUIDv4, as Telnyx's ids are.
pub fn random_uuid() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the platform's random source");
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}
