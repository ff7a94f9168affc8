//! Load, loss and faults against the release build under `wrangler dev`, with figures.
//!
//! - **load**: signed webhooks for many calls, shuffled, from many threads at once, with
//!   one event in ten delivered as three copies at the same moment; exactly one copy of
//!   each event must be answered `accepted`. Then every call is read back and must hold
//!   each event exactly once, in `occurred_at` order, with the state that order implies.
//! - **faults**: automations across many calls while the fake Telnyx answers a share of
//!   requests with `500`, `429` + `Retry-After` or a stall past the attempt timeout;
//!   the calls' objects retry by their alarms (no cron). Every planned action must end
//!   `succeeded`, or `failed` with its reason; none lost, no command reaches Telnyx
//!   under two `command_id`s, and no command without one is sent again after an answer
//!   that may mean it ran.
//! - **secrets**: neither worker's whole log, nor any error response, holds a key, a
//!   token, a signature or a body.
//!
//! `cargo test --test resilience` runs a small version (part of `make test`);
//! `make resilience` the full one. Sizes: LOAD_CALLS (10 events each), LOAD_CONCURRENCY,
//! FAULT_CALLS (4 actions each), FAULT_PERCENT.

mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use support::deliveries::{self, occurred_at};
use support::fake_telnyx::{command_key, FakeTelnyx, FakeTelnyxServer, Faults, Luck};
use support::load::{in_parallel, percentile, setting};
use support::runner::run_case;
use support::secrets::leaks;
use support::wrangler::WranglerDev;
use telnyx_edge::simulator::signing::{unix_now, WebhookSigner, END_TO_END_SEED};

const ADMIN_TOKEN: &str = "resilience-admin-token-7e1f";
const API_KEY: &str = "resilience-api-key-03c9b2";

/// One call's events, in `occurred_at` order (second 1, 2, …).
const CALL_EVENTS: [&str; 10] = [
    "call.initiated",
    "call.answered",
    "call.dtmf.received",
    "call.bridged",
    "call.refer.started",
    "call.refer.completed",
    "siprec.started",
    "siprec.stopped",
    "call.dtmf.received",
    "call.hangup",
];

/// A stable pseudo-random number for `value` (shuffles and picks that repeat per run).
fn hash_of(value: impl Hash) -> u64 {
    let mut hasher = DefaultHasher::new();
    value.hash(&mut hasher);
    hasher.finish()
}

/// A worker under `wrangler dev` and how to talk to it.
struct Worker {
    dev: WranglerDev,
    agent: ureq::Agent,
    signer: WebhookSigner,
    /// Every error body the worker answered, for the secrets check.
    error_bodies: Mutex<Vec<String>>,
}

struct Answer {
    status: u16,
    body: String,
}

impl Worker {
    fn start(telnyx: &FakeTelnyxServer, automations: &str) -> Self {
        let signer = WebhookSigner::from_seed(END_TO_END_SEED);
        let vars = [
            ("TELNYX_PUBLIC_KEY", signer.public_key_base64()),
            ("ADMIN_TOKEN", ADMIN_TOKEN.to_owned()),
            ("TELNYX_API_KEY", API_KEY.to_owned()),
            ("TELNYX_API_BASE", telnyx.api_base.clone()),
            ("AUTOMATIONS", automations.to_owned()),
            // Every webhook's line, so the secrets check reads them all.
            ("LOG_WEBHOOKS", "all".to_owned()),
        ];
        let dev = WranglerDev::start(&vars).unwrap_or_else(|e| panic!("{e}"));
        Self {
            dev,
            agent: ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(600))
                .build(),
            signer,
            error_bodies: Mutex::default(),
        }
    }

    fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Result<Answer, String> {
        let mut request = self
            .agent
            .request(method, &format!("{}{path}", self.dev.base_url));
        for (name, value) in headers {
            request = request.set(name, value);
        }
        let response = match request.send_bytes(body) {
            Ok(response) | Err(ureq::Error::Status(_, response)) => response,
            Err(error) => return Err(error.to_string()),
        };
        let status = response.status();
        let body = response.into_string().map_err(|e| e.to_string())?;
        if status >= 400 {
            self.error_bodies.lock().unwrap().push(body.clone());
        }
        Ok(Answer { status, body })
    }

    fn deliver(&self, body: &[u8]) -> Result<Answer, String> {
        let mut headers = self.signer.headers(unix_now(), body);
        headers.push(("content-type".into(), "application/json".into()));
        self.request("POST", "/webhooks/telnyx", &headers, body)
    }

    fn state(&self, call: &str) -> Value {
        let auth = [("authorization".to_string(), format!("Bearer {ADMIN_TOKEN}"))];
        let answer = self
            .request("GET", &format!("/calls/{call}"), &auth, b"")
            .unwrap_or_else(|e| panic!("GET /calls/{call}: {e}"));
        assert_eq!(answer.status, 200, "{call}: {}", answer.body);
        serde_json::from_str(&answer.body).expect("state is JSON")
    }
}

fn call_id(kind: &str, n: usize) -> String {
    format!("v3:{kind}-{n:05}")
}

fn event_body(call: &str, event_type: &str, event_id: &str, second: u32) -> Value {
    let mut body = deliveries::call_event(call, event_type, event_id, second);
    if event_type == "call.dtmf.received" {
        deliveries::set_payload(
            &mut body,
            "digit",
            json!(if second < 5 { "1" } else { "9" }),
        );
    }
    body
}

// --- load ---------------------------------------------------------------------------------

fn load(telnyx: &FakeTelnyxServer) -> Worker {
    let calls = setting("LOAD_CALLS", 60);
    let concurrency = setting("LOAD_CONCURRENCY", 32);
    let worker = Worker::start(telnyx, "");
    // Each entry is sent by one thread; the copies of an entry go out at the same moment.
    let mut batches: Vec<Vec<Vec<u8>>> = Vec::new();
    let mut unique = 0;
    for n in 0..calls {
        let call = call_id("load", n);
        for (i, event_type) in CALL_EVENTS.iter().enumerate() {
            let id = format!("load-{n:05}-{i:02}");
            let mut body = event_body(&call, event_type, &id, i as u32 + 1);
            let mut copies = vec![body.to_string().into_bytes()];
            unique += 1;
            // One event in ten comes three times at once, as Telnyx retries can.
            if hash_of(&id) % 10 == 0 {
                for attempt in 2..=3 {
                    body["meta"]["attempt"] = json!(attempt);
                    copies.push(body.to_string().into_bytes());
                }
            }
            batches.push(copies);
        }
    }
    batches.sort_by_key(|copies| hash_of(&copies[0]));
    let deliveries: Vec<Vec<u8>> = batches.iter().flatten().cloned().collect();
    let repeats = deliveries.len() - unique;
    println!(
        "load: sending {} webhooks ({unique} events, {repeats} concurrent copies) for {calls} calls, {concurrency} at a time",
        deliveries.len()
    );

    let started = Instant::now();
    let outcomes: Vec<(Duration, Result<Answer, String>)> =
        in_parallel(&batches, concurrency, |copies| {
            let worker = &worker;
            std::thread::scope(|scope| {
                let sent: Vec<_> = copies
                    .iter()
                    .map(|body| {
                        scope.spawn(move || {
                            let sent = Instant::now();
                            let answer = worker.deliver(body);
                            (sent.elapsed(), answer)
                        })
                    })
                    .collect();
                sent.into_iter()
                    .map(|copy| copy.join().expect("a delivering thread"))
                    .collect::<Vec<_>>()
            })
        })
        .into_iter()
        .flatten()
        .collect();
    let elapsed = started.elapsed();
    let (mut accepted, mut duplicate, mut errors) = (0, 0, Vec::new());
    let mut latencies: Vec<Duration> = Vec::new();
    for (latency, answer) in outcomes {
        latencies.push(latency);
        match answer {
            Ok(a) if a.status == 200 && a.body.contains("\"accepted\"") => accepted += 1,
            Ok(a) if a.status == 200 && a.body.contains("\"duplicate\"") => duplicate += 1,
            Ok(a) => errors.push(format!("{} {}", a.status, a.body)),
            Err(e) => errors.push(e),
        }
    }
    latencies.sort_unstable();

    // Read every call back: each event once, in occurred_at order, and the final state.
    let calls_list: Vec<usize> = (0..calls).collect();
    let checks = in_parallel(&calls_list, concurrency, |&n| {
        let call = call_id("load", n);
        let state = worker.state(&call);
        let expected: Vec<String> = (0..CALL_EVENTS.len())
            .map(|i| format!("load-{n:05}-{i:02}"))
            .collect();
        let got: Vec<String> = state["events"]
            .as_array()
            .map(|events| {
                events
                    .iter()
                    .map(|e| e["id"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default();
        let lost = expected.iter().filter(|id| !got.contains(id)).count();
        let mut problems = Vec::new();
        if got != expected {
            problems.push(format!("{call}: events {got:?}"));
        }
        let final_state = (
            state["status"].as_str(),
            state["refer"]["status"].as_str(),
            state["siprec"]["status"].as_str(),
            state["updated_at"].as_str(),
        );
        let last = occurred_at(CALL_EVENTS.len() as u32);
        if final_state
            != (
                Some("hangup"),
                Some("completed"),
                Some("stopped"),
                Some(last.as_str()),
            )
        {
            problems.push(format!("{call}: state {final_state:?}"));
        }
        (lost, problems)
    });
    let lost: usize = checks.iter().map(|(lost, _)| lost).sum();
    let problems: Vec<&String> = checks.iter().flat_map(|(_, p)| p).collect();

    println!("load: | sent | accepted | duplicates | errors | lost | p50 | p99 | throughput |");
    println!(
        "load: | {} | {accepted} | {duplicate} | {} | {lost} | {:.1} ms | {:.1} ms | {:.0}/s |",
        deliveries.len(),
        errors.len(),
        percentile(&latencies, 50).as_secs_f64() * 1000.0,
        percentile(&latencies, 99).as_secs_f64() * 1000.0,
        deliveries.len() as f64 / elapsed.as_secs_f64()
    );
    assert!(
        errors.is_empty(),
        "{} errors, first: {:?}",
        errors.len(),
        errors.first()
    );
    assert_eq!(lost, 0, "events lost");
    assert!(
        problems.is_empty(),
        "{} calls wrong, first: {:?}",
        problems.len(),
        problems.first()
    );
    // The call's object claims each id once, whichever copy comes first.
    assert_eq!(accepted, unique, "accepted copies");
    assert_eq!(duplicate, repeats, "duplicate copies");
    worker
}

// --- faults -------------------------------------------------------------------------------

/// Four actions per call: two on `call.answered`, one on the digit, one on the bridge.
const FAULT_RULES: &str = r#"{"rules": [
  {"name": "record", "on": ["call.answered"],
   "do": [{"action": "siprec_start", "params": {"connector_name": "recorder", "siprec_track": "both_tracks"}},
          {"action": "suppression_start", "params": {"direction": "both"}}]},
  {"name": "echo-digit", "on": ["call.dtmf.received"],
   "do": [{"action": "send_dtmf", "params": {"digits": "{{payload.digit}}"}}]},
  {"name": "hand-over", "on": ["call.bridged"],
   "do": [{"action": "refer", "params": {"sip_address": "sip:agents@pbx.example.com"}}]}
]}"#;
const FAULT_EVENTS: [&str; 4] = [
    "call.initiated",
    "call.answered",
    "call.dtmf.received",
    "call.bridged",
];
const ACTIONS_PER_CALL: usize = 4;

fn faults(telnyx: &FakeTelnyxServer) -> Worker {
    let calls = setting("FAULT_CALLS", 16);
    let percent = setting("FAULT_PERCENT", 30) as u64;
    let plan = Faults {
        seed: 5,
        percent,
        stall_ms: 9_000,
        unlucky_percent: 10,
        unlucky_attempts: 3,
        doomed_percent: 4,
    };
    telnyx.fake.clear();
    telnyx.fake.inject(plan.clone());
    let worker = Worker::start(telnyx, FAULT_RULES);
    let planned = calls * ACTIONS_PER_CALL;
    println!(
        "faults: {calls} calls, {planned} planned actions; {percent}% of requests fault (500, 429, stall 9 s), \
         {}% of commands fail their first {} requests, {}% always fail",
        plan.unlucky_percent, plan.unlucky_attempts, plan.doomed_percent
    );
    let mut deliveries = Vec::new();
    for n in 0..calls {
        let call = call_id("faults", n);
        for (i, event_type) in FAULT_EVENTS.iter().enumerate() {
            let body = event_body(
                &call,
                event_type,
                &format!("faults-{n:05}-{i}"),
                i as u32 + 1,
            );
            deliveries.push(body.to_string().into_bytes());
        }
    }
    let started = Instant::now();
    let answers = in_parallel(&deliveries, 16, |body| worker.deliver(body));
    for answer in answers {
        let answer = answer.expect("the webhook answered");
        assert_eq!(answer.status, 200, "{}", answer.body);
    }

    let call_ids: Vec<String> = (0..calls).map(|n| call_id("faults", n)).collect();
    let actions = settled_actions(&worker, &call_ids, &telnyx.fake);
    let elapsed = started.elapsed();

    // Every planned action recorded once, and final.
    let recorded = actions.len();
    let lost = planned.saturating_sub(recorded);
    let open: Vec<&Value> = actions
        .iter()
        .filter(|a| a["status"] == "pending")
        .collect();
    let succeeded = actions
        .iter()
        .filter(|a| a["status"] == "succeeded")
        .count();
    let failed: Vec<&Value> = actions.iter().filter(|a| a["status"] == "failed").collect();
    let unknown = failed
        .iter()
        .filter(|a| {
            a["error"]
                .as_str()
                .unwrap_or_default()
                .contains("outcome unknown")
        })
        .count();

    // At the fake: one command id per command, the one recorded on the call; and a
    // command without one never again after an answer that may mean it ran.
    let exchanges = telnyx.fake.exchanges();
    let mut ids_by_command: HashMap<(String, String), BTreeSet<String>> = HashMap::new();
    let mut luck_by_command: HashMap<(String, String), Luck> = HashMap::new();
    let mut maybe_ran: HashMap<(String, String), usize> = HashMap::new();
    let mut sent_after_maybe_ran = Vec::new();
    for (request, status, delay) in &exchanges {
        let call = request
            .path
            .split('/')
            .nth(3)
            .unwrap_or_default()
            .replace("%3A", ":");
        let command = (call, request.action().to_owned());
        let command_id = request.json()["command_id"].as_str().map(str::to_owned);
        match &command_id {
            Some(id) => {
                ids_by_command
                    .entry(command.clone())
                    .or_default()
                    .insert(id.clone());
            }
            None => {
                if maybe_ran.get(&command).is_some_and(|n| *n > 0) {
                    sent_after_maybe_ran.push(command.clone());
                }
                // Anything but a 429 answered in time may have run it.
                if *status != 429 || *delay > 0 {
                    *maybe_ran.entry(command.clone()).or_default() += 1;
                }
            }
        }
        luck_by_command.insert(command, plan.luck(&command_key(request)));
    }
    let split_ids = ids_by_command.values().filter(|ids| ids.len() > 1).count();
    let mismatched = actions
        .iter()
        .filter(|a| {
            let command = (
                a["call"].as_str().unwrap_or_default().to_owned(),
                a["action"].as_str().unwrap_or_default().to_owned(),
            );
            match (ids_by_command.get(&command), a["command_id"].as_str()) {
                (Some(ids), Some(id)) => !ids.contains(id),
                _ => false,
            }
        })
        .count();
    let outcome_of = |luck: Luck, with_id: bool| -> BTreeMap<String, usize> {
        let mut tally = BTreeMap::new();
        for action in &actions {
            let command = (
                action["call"].as_str().unwrap_or_default().to_owned(),
                action["action"].as_str().unwrap_or_default().to_owned(),
            );
            if luck_by_command.get(&command) == Some(&luck)
                && action["command_id"].is_string() == with_id
            {
                *tally
                    .entry(action["status"].as_str().unwrap_or_default().to_owned())
                    .or_default() += 1;
            }
        }
        tally
    };

    println!("faults: | planned | succeeded | failed (outcome unknown) | lost | requests | injected | split command ids | resent after it may have run | time |");
    println!(
        "faults: | {planned} | {succeeded} | {} ({unknown}) | {lost} | {} | {:?} | {split_ids} | {} | {:.0} s |",
        failed.len(),
        exchanges.len(),
        telnyx.fake.injected(),
        sent_after_maybe_ran.len(),
        elapsed.as_secs_f64()
    );
    println!(
        "faults: outcomes by luck (with a command_id / without): normal {:?} / {:?}, \
         unlucky (first {} requests fail) {:?} / {:?}, doomed {:?} / {:?}",
        outcome_of(Luck::Normal, true),
        outcome_of(Luck::Normal, false),
        plan.unlucky_attempts,
        outcome_of(Luck::Unlucky, true),
        outcome_of(Luck::Unlucky, false),
        outcome_of(Luck::Doomed, true),
        outcome_of(Luck::Doomed, false),
    );
    assert_eq!(lost, 0, "planned actions with no record");
    assert_eq!(recorded, planned, "more records than planned actions");
    assert!(open.is_empty(), "not final: {open:?}");
    for action in &failed {
        let error = action["error"].as_str().unwrap_or_default();
        assert!(
            error.contains("outcome unknown") || error.contains("gave up after"),
            "failed without its reason: {action}"
        );
    }
    assert_eq!(
        split_ids, 0,
        "a command reached Telnyx under two command ids"
    );
    assert_eq!(
        mismatched, 0,
        "a recorded command id differs from the one sent"
    );
    let history = |command: &(String, String)| -> Vec<String> {
        exchanges
            .iter()
            .filter(|(request, _, _)| {
                request.action() == command.1
                    && request.path.contains(&command.0.replace(':', "%3A"))
            })
            .map(|(request, status, delay)| format!("{status} after {delay} ms: {}", request.body))
            .collect()
    };
    assert!(
        sent_after_maybe_ran.is_empty(),
        "sent again after it may have run: {:?}",
        sent_after_maybe_ran
            .iter()
            .map(|command| (command, history(command)))
            .collect::<Vec<_>>()
    );
    // The plan is deterministic, so these hold for a given size and seed: commands with
    // a command_id that fail a few times still succeed by the alarm's resends inside
    // the 60 s window; those that always fail end with their outcome unknown.
    let unlucky = outcome_of(Luck::Unlucky, true);
    let doomed = outcome_of(Luck::Doomed, true);
    assert!(
        unlucky.get("succeeded").copied().unwrap_or(0) > 0 && !unlucky.contains_key("failed"),
        "{unlucky:?}"
    );
    assert!(!doomed.contains_key("succeeded"), "{doomed:?}");
    worker
}

/// Waits until no action is pending and the fake has been quiet for a moment, then
/// returns every call's actions, each tagged with its call.
fn settled_actions(worker: &Worker, calls: &[String], fake: &FakeTelnyx) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let before = fake.requests().len();
        let actions: Vec<Value> = in_parallel(calls, 8, |call| {
            let state = worker.state(call);
            let actions = state["actions"].as_array().cloned().unwrap_or_default();
            actions
                .into_iter()
                .map(|mut action| {
                    action["call"] = json!(call);
                    action
                })
                .collect::<Vec<_>>()
        })
        .into_iter()
        .flatten()
        .collect();
        let pending = actions.iter().any(|a| a["status"] == "pending");
        let expected = calls.len() * ACTIONS_PER_CALL;
        std::thread::sleep(Duration::from_millis(1500));
        if !pending && actions.len() >= expected && fake.requests().len() == before {
            return actions;
        }
        assert!(
            Instant::now() < deadline,
            "actions did not settle: {} recorded",
            actions.len()
        );
    }
}

// --- secrets ------------------------------------------------------------------------------

fn secrets(workers: &[(&str, &Worker)]) {
    for (name, worker) in workers {
        let log = worker.dev.log();
        assert!(
            log.contains("\"msg\":\"webhook\""),
            "{name}: the worker logged nothing"
        );
        let secrets = [ADMIN_TOKEN, API_KEY, &worker.signer.public_key_base64()];
        let leaked = leaks(&log, &secrets);
        assert!(leaked.is_empty(), "{name}'s log carries {leaked:?}");
        let errors = worker.error_bodies.lock().unwrap();
        for body in errors.iter() {
            let leaked = leaks(body, &secrets);
            assert!(
                leaked.is_empty(),
                "{name}: an error response carries {leaked:?}: {body}"
            );
        }
        println!(
            "secrets: {name}: {} log lines and {} error responses hold no secret, signature or body",
            log.lines().count(),
            errors.len()
        );
    }
}

fn run(name: &str, scenario: impl FnOnce()) -> bool {
    run_case("resilience", name, scenario)
}

fn main() -> ExitCode {
    let telnyx = FakeTelnyxServer::start(FakeTelnyx::new());
    let mut workers = Vec::new();
    let mut passed = true;
    passed &= run("load_and_loss", || workers.push(("load", load(&telnyx))));
    passed &= run("faults", || workers.push(("faults", faults(&telnyx))));
    let named: Vec<(&str, &Worker)> = workers.iter().map(|(n, w)| (*n, w)).collect();
    passed &= run("secrets", || secrets(&named));
    if passed {
        ExitCode::SUCCESS
    } else {
        for (name, worker) in &workers {
            eprintln!(
                "{name}: wrangler dev log (tail):\n{}",
                worker.dev.log_tail()
            );
        }
        ExitCode::FAILURE
    }
}
