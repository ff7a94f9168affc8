//! Forwarding end to end: the release build under `wrangler dev` forwards to a loopback
//! receiver (`tests/forwarding/receiver.py`) that verifies every request with the
//! Standard Webhooks reference library from PyPI, written apart from the worker. It
//! checks exactly-once arrival and per-call order for 200 events of 20 calls, recovery
//! after a 30 s outage, a final 410, and replay. A second, slow destination runs beside
//! the first throughout.

mod support;

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitCode, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use support::deliveries::call_event as event;
use support::runner::run_case;
use support::wrangler::WranglerDev;
use telnyx_edge::simulator::signing::{unix_now, WebhookSigner, END_TO_END_SEED};

const ADMIN_TOKEN: &str = "forwarding-admin-token-90c2e1";
/// 32 random bytes; for this test only.
const SECRET: &str = "whsec_2Q7mV0tZ9xWc4oL1bK8yH3sE6rN5aJ0dF7gU2iP4qXk=";

/// The receiver, stopped when dropped.
struct Receiver {
    child: Child,
    base: String,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Receiver {
    fn start() -> Result<Self, String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let python = root.join("target/python-venv/bin/python");
        if !python.is_file() {
            return Err(format!(
                "{} is missing: run `make bootstrap` (it installs the Standard Webhooks verifier)",
                python.display()
            ));
        }
        let mut child = Command::new(python)
            .arg(root.join("tests/forwarding/receiver.py"))
            .arg(SECRET)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("receiver did not start: {e}"))?;
        let mut line = String::new();
        let stdout = child.stdout.take().ok_or("no receiver stdout")?;
        BufReader::new(stdout)
            .read_line(&mut line)
            .map_err(|e| format!("receiver: {e}"))?;
        let port = line
            .trim()
            .strip_prefix("listening on ")
            .ok_or_else(|| format!("receiver said {line:?}"))?
            .to_owned();
        Ok(Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
        })
    }
}

struct Ctx {
    worker: WranglerDev,
    receiver: Receiver,
    agent: ureq::Agent,
    signer: WebhookSigner,
}

impl Ctx {
    fn post(&self, url: &str, headers: &[(String, String)], body: &[u8]) -> (u16, String) {
        let mut request = self.agent.post(url);
        for (name, value) in headers {
            request = request.set(name, value);
        }
        match request.send_bytes(body) {
            Ok(response) | Err(ureq::Error::Status(_, response)) => (
                response.status(),
                response.into_string().unwrap_or_default(),
            ),
            Err(error) => panic!("POST {url}: {error}"),
        }
    }

    fn deliver_signed(&self, signer: &WebhookSigner, body: &Value) -> u16 {
        let bytes = body.to_string().into_bytes();
        let mut headers = signer.headers(unix_now(), &bytes);
        headers.push(("content-type".into(), "application/json".into()));
        let url = format!("{}/webhooks/telnyx", self.worker.base_url);
        self.post(&url, &headers, &bytes).0
    }

    fn deliver(&self, body: &Value) {
        assert_eq!(self.deliver_signed(&self.signer, body), 200, "{body}");
    }

    fn operator(&self, path: &str) -> (u16, String) {
        let auth = [("authorization".to_string(), format!("Bearer {ADMIN_TOKEN}"))];
        self.post(&format!("{}{path}", self.worker.base_url), &auth, b"")
    }

    fn state(&self, call: &str) -> Value {
        let response = self
            .agent
            .get(&format!("{}/calls/{call}", self.worker.base_url))
            .set("authorization", &format!("Bearer {ADMIN_TOKEN}"))
            .call()
            .expect("call state");
        serde_json::from_str(&response.into_string().unwrap()).unwrap()
    }

    fn control(&self, controls: &Value) {
        let url = format!("{}/_control", self.receiver.base);
        assert_eq!(self.post(&url, &[], controls.to_string().as_bytes()).0, 204);
    }

    /// Everything the receiver got, in arrival order.
    fn received(&self) -> Vec<Value> {
        let url = format!("{}/_received", self.receiver.base);
        let body = self.agent.get(&url).call().unwrap().into_string().unwrap();
        serde_json::from_str(&body).unwrap()
    }

    /// The requests to `path` answered `status`, once `done` says the record is complete.
    fn wait_for(&self, what: &str, limit: Duration, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let start = Instant::now();
        loop {
            let received = self.received();
            if done(&received) {
                println!(
                    "forwarding: {what} after {:.1} s",
                    start.elapsed().as_secs_f64()
                );
                return received;
            }
            assert!(
                start.elapsed() < limit,
                "{what}: not within {limit:?}; received {}",
                summary(&received)
            );
            thread::sleep(Duration::from_millis(200));
        }
    }
}

fn summary(received: &[Value]) -> String {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for entry in received {
        *counts
            .entry(format!("{} {}", entry["path"], entry["status"]))
            .or_default() += 1;
    }
    format!("{counts:?}")
}

fn on<'a>(received: &'a [Value], path: &str, status: u64) -> Vec<&'a Value> {
    received
        .iter()
        .filter(|e| e["path"] == path && e["status"] == status)
        .collect()
}

/// A call's events, in the order they are sent.
fn call_events(call: &str, prefix: &str, count: usize) -> Vec<Value> {
    (0..count)
        .map(|n| {
            let kind = match n {
                0 => "call.initiated",
                1 => "call.answered",
                n if n + 1 == count => "call.hangup",
                _ => "call.dtmf.received",
            };
            event(call, kind, &format!("{prefix}-{n}"), n as u32 + 1)
        })
        .collect()
}

fn ids_of(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["data"]["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The webhook ids each call's requests carried, in arrival order.
fn per_call(entries: &[&Value]) -> HashMap<String, Vec<String>> {
    let mut calls: HashMap<String, Vec<String>> = HashMap::new();
    for entry in entries {
        assert_eq!(entry["verified"], true, "{entry}");
        calls
            .entry(entry["call_control_id"].as_str().unwrap().to_owned())
            .or_default()
            .push(entry["webhook_id"].as_str().unwrap().to_owned());
    }
    calls
}

fn two_hundred_events_for_twenty_calls_arrive_once_each_in_acceptance_order(ctx: &Ctx) {
    let calls: Vec<(String, Vec<Value>)> = (0..20)
        .map(|n| {
            let call = format!("v3:fwd-load-{n:02}");
            let events = call_events(&call, &format!("load-{n:02}"), 10);
            (call, events)
        })
        .collect();
    let forger = WebhookSigner::from_seed([0x42; 32]);
    // Four senders, five calls each, their events interleaved; every third event is
    // delivered twice, as Telnyx may.
    thread::scope(|scope| {
        for chunk in calls.chunks(5) {
            let forger = &forger;
            scope.spawn(move || {
                for n in 0..10 {
                    for (call, events) in chunk {
                        ctx.deliver(&events[n]);
                        if n % 3 == 0 {
                            ctx.deliver(&events[n]);
                        }
                        let forged = event(
                            call,
                            "call.dtmf.received",
                            &format!("forged-{call}-{n}"),
                            30,
                        );
                        assert_eq!(ctx.deliver_signed(forger, &forged), 401);
                    }
                }
            });
        }
    });
    let received = ctx.wait_for(
        "200 events delivered to /hooks",
        Duration::from_secs(120),
        |r| on(r, "/hooks", 200).len() >= 200,
    );
    // A slow destination beside it held nothing up.
    let slow_then = on(&received, "/slow", 200).len();
    println!("forwarding: /slow had {slow_then} of 200 meanwhile");
    assert!(slow_then < 200, "the slow destination was not slow");
    thread::sleep(Duration::from_secs(2));
    let received = ctx.received();
    let hooks: Vec<&Value> = received.iter().filter(|e| e["path"] == "/hooks").collect();
    assert_eq!(hooks.len(), 200, "exactly once: {}", summary(&received));
    let arrived = per_call(&hooks);
    for (call, events) in &calls {
        assert_eq!(arrived.get(call), Some(&ids_of(events)), "{call}");
    }
    assert!(received.iter().all(|e| e["verified"] == true));
    assert!(!received.iter().any(|e| e["webhook_id"]
        .as_str()
        .unwrap_or_default()
        .starts_with("forged")));
    let received = ctx.wait_for(
        "200 events delivered to /slow",
        Duration::from_secs(120),
        |r| on(r, "/slow", 200).len() >= 200,
    );
    let slow = on(&received, "/slow", 200);
    let arrived = per_call(&slow);
    for (call, events) in &calls {
        assert_eq!(arrived.get(call), Some(&ids_of(events)), "{call} on /slow");
    }
    let state = ctx.state(&calls[0].0);
    let forwards = state["forwards"].as_array().unwrap();
    assert_eq!(forwards.len(), 20, "10 events, 2 URLs");
    assert!(forwards
        .iter()
        .all(|f| f["status"] == "delivered" && f["attempts"] == 1));
}

fn a_receiver_down_for_30_s_gets_everything_afterwards(ctx: &Ctx) {
    let outage_ends = unix_now() + 30;
    ctx.control(&json!({"outage_status": 503, "outage_until": outage_ends}));
    let calls: Vec<(String, Vec<Value>)> = (0..3)
        .map(|n| {
            let call = format!("v3:fwd-outage-{n}");
            let events = call_events(&call, &format!("outage-{n}"), 4);
            (call, events)
        })
        .collect();
    for n in 0..4 {
        for (_, events) in &calls {
            ctx.deliver(&events[n]);
        }
    }
    let outage: Vec<String> = calls.iter().flat_map(|(_, e)| ids_of(e)).collect();
    let received = ctx.wait_for(
        "the outage's 12 events delivered",
        Duration::from_secs(180),
        |r| {
            r.iter()
                .filter(|e| {
                    e["path"] == "/hooks"
                        && e["status"] == 200
                        && outage.iter().any(|id| e["webhook_id"] == id.as_str())
                })
                .count()
                >= 12
        },
    );
    let ours: Vec<&Value> = received
        .iter()
        .filter(|e| {
            e["path"] == "/hooks"
                && e["webhook_id"]
                    .as_str()
                    .is_some_and(|id| id.starts_with("outage"))
        })
        .collect();
    let refused = ours.iter().filter(|e| e["status"] == 503).count();
    assert!(
        refused >= 3,
        "each call's head was tried during the outage: {refused}"
    );
    let delivered: Vec<&Value> = ours
        .iter()
        .copied()
        .filter(|e| e["status"] == 200)
        .collect();
    assert_eq!(delivered.len(), 12, "each once");
    for entry in &delivered {
        let at = entry["at"].as_f64().unwrap();
        assert!(
            at >= outage_ends as f64 - 1.0,
            "delivered during the outage: {entry}"
        );
    }
    let arrived = per_call(&delivered);
    for (call, events) in &calls {
        assert_eq!(arrived.get(call), Some(&ids_of(events)), "{call}");
        let state = ctx.state(call);
        let first = state["forwards"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| {
                f["event_id"] == events[0]["data"]["id"]
                    && f["url"].as_str().unwrap().ends_with("/hooks")
            })
            .cloned()
            .unwrap();
        assert_eq!(first["status"], "delivered", "{first}");
        assert!(first["attempts"].as_u64().unwrap() >= 2, "{first}");
    }
}

fn a_410_is_final_and_the_call_s_next_event_still_goes(ctx: &Ctx) {
    ctx.control(&json!({"refuse": {"gone-1": 410}}));
    let call = "v3:fwd-gone";
    let events = call_events(call, "gone", 3);
    for body in &events {
        ctx.deliver(body);
    }
    let received = ctx.wait_for("gone-2 delivered", Duration::from_secs(60), |r| {
        r.iter()
            .any(|e| e["path"] == "/hooks" && e["webhook_id"] == "gone-2" && e["status"] == 200)
    });
    thread::sleep(Duration::from_secs(3));
    let received_again = ctx.received();
    let tries = |r: &[Value]| {
        r.iter()
            .filter(|e| e["path"] == "/hooks" && e["webhook_id"] == "gone-1")
            .count()
    };
    assert_eq!(tries(&received), 1);
    assert_eq!(tries(&received_again), 1, "a 410 is not retried");
    let state = ctx.state(call);
    let gone = state["forwards"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["event_id"] == "gone-1" && f["url"].as_str().unwrap().ends_with("/hooks"))
        .cloned()
        .unwrap();
    assert_eq!(gone["status"], "failed", "{gone}");
    assert_eq!(gone["http_status"], 410);
    assert_eq!(gone["attempts"], 1);
}

fn a_replay_arrives_again_with_the_same_webhook_id(ctx: &Ctx) {
    ctx.control(&json!({"refuse": {}}));
    let (status, body) = ctx.operator("/calls/v3:fwd-gone/forwards/gone-1/replay");
    assert_eq!(status, 202, "{body}");
    let received = ctx.wait_for("the replay delivered", Duration::from_secs(60), |r| {
        r.iter()
            .any(|e| e["path"] == "/hooks" && e["webhook_id"] == "gone-1" && e["status"] == 200)
    });
    let copies: Vec<&Value> = received
        .iter()
        .filter(|e| e["path"] == "/hooks" && e["webhook_id"] == "gone-1")
        .collect();
    assert_eq!(copies.len(), 2);
    assert_eq!(copies[1]["verified"], true);
    assert_eq!(copies[1]["event_id"], "gone-1");
    let (status, _) = ctx.operator("/calls/v3:fwd-gone/forwards/no-such-event/replay");
    assert_eq!(status, 404);
}

fn the_worker_log_never_holds_the_secret(ctx: &Ctx) {
    let log = ctx.worker.log();
    let key = SECRET.strip_prefix("whsec_").unwrap();
    assert!(
        !log.contains(key),
        "the forwarding secret is in the worker's log"
    );
}

type Case = fn(&Ctx);

const CASES: &[(&str, Case)] = &[
    (
        "two_hundred_events_for_twenty_calls_arrive_once_each_in_acceptance_order",
        two_hundred_events_for_twenty_calls_arrive_once_each_in_acceptance_order,
    ),
    (
        "a_receiver_down_for_30_s_gets_everything_afterwards",
        a_receiver_down_for_30_s_gets_everything_afterwards,
    ),
    (
        "a_410_is_final_and_the_call_s_next_event_still_goes",
        a_410_is_final_and_the_call_s_next_event_still_goes,
    ),
    (
        "a_replay_arrives_again_with_the_same_webhook_id",
        a_replay_arrives_again_with_the_same_webhook_id,
    ),
    (
        "the_worker_log_never_holds_the_secret",
        the_worker_log_never_holds_the_secret,
    ),
];

fn main() -> ExitCode {
    let setup = || -> Result<Ctx, String> {
        let receiver = Receiver::start()?;
        println!("forwarding: receiver at {}", receiver.base);
        let signer = WebhookSigner::from_seed(END_TO_END_SEED);
        let urls = format!("{0}/hooks {0}/slow", receiver.base);
        let worker = WranglerDev::start(&[
            ("TELNYX_PUBLIC_KEY", signer.public_key_base64()),
            ("ADMIN_TOKEN", ADMIN_TOKEN.to_owned()),
            ("AUTOMATIONS", String::new()),
            ("FORWARD_URL", urls),
            ("FORWARD_SECRET", SECRET.to_owned()),
        ])?;
        println!("forwarding: worker ready at {}", worker.base_url);
        Ok(Ctx {
            worker,
            receiver,
            agent: ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(30))
                .build(),
            signer,
        })
    };
    let ctx = match setup() {
        Ok(ctx) => ctx,
        Err(error) => {
            eprintln!("forwarding: {error}");
            return ExitCode::FAILURE;
        }
    };
    let failed = CASES
        .iter()
        .filter(|(name, case)| !run_case("e2e_forwarding", name, || case(&ctx)))
        .count();
    if failed > 0 {
        eprintln!(
            "forwarding: wrangler dev log (tail):\n{}",
            ctx.worker.log_tail()
        );
    }
    println!("{} passed, {failed} failed", CASES.len() - failed);
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
