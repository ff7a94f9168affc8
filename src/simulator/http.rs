//! The local Telnyx over HTTP: the Call Control API and the simulator's own routes on
//! loopback, and delivery of the webhooks that follow each command, signed with the
//! DEVELOPMENT key and sent again with the next `meta.attempt` while the worker does
//! not answer `2xx`. `cargo run --example telnyx-sim` serves it; the end-to-end suite
//! starts it in-process.

use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::Duration;

use percent_encoding::percent_decode_str;
use serde_json::{json, Value};

use super::core::{envelope, random_uuid, Answer, Emit, Simulator};
use super::loopback::{LoopbackServer, Request, Response};
use super::signing::{unix_now, WebhookSigner};
use crate::domain::time::Instant;

/// How often a webhook is sent before the simulator gives up on it, as Telnyx retries.
const DELIVERY_ATTEMPTS: u32 = 5;

/// The simulator served on `127.0.0.1`, until dropped.
pub struct SimServer {
    /// `http://127.0.0.1:{port}`; the Call Control API is under `/v2`.
    pub base: String,
    server: LoopbackServer,
}

impl SimServer {
    /// Listens on `port` (0: any free one) and sends webhooks to `webhook_url`.
    pub fn start(port: u16, webhook_url: &str) -> Result<Self, String> {
        let shared = Arc::new(Shared {
            sim: Mutex::new(Simulator::new()),
            signer: WebhookSigner::development(),
            webhook_url: webhook_url.to_owned(),
            agent: ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(10))
                .build(),
        });
        let server = LoopbackServer::start(port, move |request| handle(&shared, request))?;
        Ok(Self {
            base: server.base.clone(),
            server,
        })
    }

    /// Serves until the process ends.
    pub fn wait(self) {
        self.server.wait();
    }
}

/// What every request thread shares.
struct Shared {
    sim: Mutex<Simulator>,
    signer: WebhookSigner,
    webhook_url: String,
    agent: ureq::Agent,
}

impl Shared {
    fn sim(&self) -> MutexGuard<'_, Simulator> {
        self.sim
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Milliseconds, so `occurred_at` orders the webhooks of one command (native code: the
/// system clock is fine here).
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as i64)
}

fn handle(shared: &Arc<Shared>, request: Request) -> Response {
    let authorized = request
        .header("authorization")
        .and_then(|value| value.strip_prefix("Bearer "))
        .is_some_and(|key| !key.trim().is_empty());
    let answer = route(
        shared,
        &request.method,
        request.path(),
        &request.body,
        authorized,
    );
    for emit in answer.emits {
        let shared = Arc::clone(shared);
        thread::spawn(move || deliver(&shared, &emit));
    }
    Response::json(answer.status, answer.body.to_string())
}

fn route(shared: &Shared, method: &str, path: &str, body: &str, authorized: bool) -> Answer {
    let segments: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .map(|s| percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let fields: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let text = |name: &str| fields.get(name).and_then(Value::as_str);
    let unauthorized = || {
        plain(
            401,
            json!({"errors": [{"code": "10009", "title": "Authentication failed",
                "detail": "send Authorization: Bearer <API key>"}]}),
        )
    };
    match (method, segments.as_slice()) {
        ("POST" | "PUT", ["v2", "calls", call, "actions", action]) => {
            if !authorized {
                return unauthorized();
            }
            let answer = shared.sim().command(call, action, body, now_ms());
            println!("telnyx-sim: {action} for {call}: {}", answer.status);
            answer
        }
        ("POST", ["v2", "calls"]) => {
            if !authorized {
                return unauthorized();
            }
            let answer = shared.sim().dial(body, now_ms());
            let leg = answer.body["data"]["call_control_id"]
                .as_str()
                .unwrap_or("no call");
            println!(
                "telnyx-sim: dial to {}: {} ({leg})",
                text("to").unwrap_or("…"),
                answer.status
            );
            answer
        }
        ("POST", ["simulator", "calls"]) => {
            let mut sim = shared.sim();
            let (call, emits) = sim.start_call(text("from"), text("to"));
            for address in fields
                .get("fail_refers_to")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                sim.fail_refers_to(&call, address);
            }
            println!("telnyx-sim: inbound call {call}");
            Answer {
                status: 201,
                body: json!({ "call_control_id": call }),
                emits,
            }
        }
        ("POST", ["simulator", "calls", call, "dtmf"]) => match text("digits") {
            Some(digits) if !digits.is_empty() => shared.sim().dtmf(call, digits),
            _ => plain(
                422,
                json!({"errors": [{"code": "10004", "title": "Missing required parameter",
                    "detail": "digits is required, e.g. {\"digits\":\"*1\"}",
                    "source": {"pointer": "/digits"}}]}),
            ),
        },
        ("POST", ["simulator", "calls", call, "hangup"]) => shared.sim().far_hangup(call),
        ("GET", ["simulator", "commands"]) => plain(200, shared.sim().commands_json()),
        _ => plain(
            404,
            json!({"errors": [{"code": "10005", "title": "Resource not found",
                "detail": format!("no route {method} {path}")}]}),
        ),
    }
}

fn plain(status: u16, body: Value) -> Answer {
    Answer {
        status,
        body,
        emits: Vec::new(),
    }
}

/// Sends one webhook after its delay, signed as Telnyx signs, again with the next
/// `meta.attempt` while the worker does not answer `2xx`.
fn deliver(shared: &Shared, emit: &Emit) {
    thread::sleep(Duration::from_millis(emit.delay_ms));
    let id = random_uuid();
    let occurred_at = Instant::from_unix_millis(now_ms()).to_rfc3339();
    let call = emit.payload["call_control_id"].as_str().unwrap_or_default();
    for attempt in 1..=DELIVERY_ATTEMPTS {
        let body = envelope(emit, &id, &occurred_at, attempt, &shared.webhook_url).to_string();
        let mut request = shared
            .agent
            .post(&shared.webhook_url)
            .set("content-type", "application/json");
        for (name, value) in shared.signer.headers(unix_now(), body.as_bytes()) {
            request = request.set(&name, &value);
        }
        let outcome = match request.send_string(&body) {
            Ok(response) => Ok(response.status()),
            Err(ureq::Error::Status(status, _)) => Err(format!("answered {status}")),
            Err(error) => Err(error.to_string()),
        };
        match outcome {
            Ok(status) => {
                println!(
                    "telnyx-sim: webhook {} for {call}: {status}",
                    emit.event_type
                );
                return;
            }
            Err(problem) => {
                println!(
                    "telnyx-sim: webhook {} for {call} (attempt {attempt}): {problem}",
                    emit.event_type
                );
                thread::sleep(Duration::from_secs(1 << (attempt - 1)));
            }
        }
    }
    println!(
        "telnyx-sim: webhook {} for {call} given up after {DELIVERY_ATTEMPTS} attempts",
        emit.event_type
    );
}
