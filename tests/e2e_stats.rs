//! The dashboard's figures end to end: the release build under `wrangler dev` (workerd,
//! local Durable Objects, the objects' own timers), the fake Telnyx on loopback, and
//! signed webhooks over HTTP, many sent at once and each several times. `GET /stats`
//! must equal what the suite sent, exactly, within 5 seconds of the last answer.

mod support;

use std::process::ExitCode;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use support::deliveries::call_event;
use support::fake_telnyx::{FakeTelnyx, FakeTelnyxServer};
use support::json_http::{deliver_signed, exchange};
use support::runner::run_case;
use support::wrangler::start_acting_worker;
use telnyx_edge::simulator::signing::{WebhookSigner, END_TO_END_SEED};

const ADMIN_TOKEN: &str = "e2e-stats-admin-token-5d02";
/// The contract: figures include an event within this long of its acceptance.
const FIGURES_WITHIN: Duration = Duration::from_secs(5);
/// Copies of every delivery, sent at once.
const COPIES: usize = 5;

struct Ctx {
    base_url: String,
    agent: ureq::Agent,
    signer: WebhookSigner,
}

impl Ctx {
    fn request(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let request = self
            .agent
            .request(method, &format!("{}{path}", self.base_url))
            .set("authorization", &format!("Bearer {ADMIN_TOKEN}"));
        exchange(request, body, &format!("{method} {path}"))
    }

    fn stats(&self) -> Value {
        let (status, stats) = self.request("GET", "/stats?minutes=10", None);
        assert_eq!(status, 200, "{stats}");
        stats
    }

    /// Delivers `body` `COPIES` times at once; returns how many answers said `accepted`.
    fn deliver_copies(&self, body: &Value) -> usize {
        thread::scope(|scope| {
            let sends: Vec<_> = (0..COPIES)
                .map(|_| {
                    scope.spawn(|| deliver_signed(&self.agent, &self.base_url, &self.signer, body))
                })
                .collect();
            sends
                .into_iter()
                .map(|send| send.join().expect("a delivery thread"))
                .map(|(status, answer)| {
                    assert_eq!(status, 200, "{answer}");
                    usize::from(answer["status"] == "accepted")
                })
                .sum()
        })
    }

    /// Polls `GET /stats` until `done` holds; fails after [`FIGURES_WITHIN`] from `since`.
    fn figures_when(&self, since: Instant, done: impl Fn(&Value) -> bool) -> Value {
        loop {
            let stats = self.stats();
            if done(&stats) {
                println!(
                    "e2e_stats: the figures agreed {} ms after the last answer",
                    since.elapsed().as_millis()
                );
                return stats;
            }
            assert!(
                since.elapsed() < FIGURES_WITHIN,
                "the figures disagree {} s after the last answer: {stats}",
                FIGURES_WITHIN.as_secs()
            );
            thread::sleep(Duration::from_millis(100));
        }
    }
}

/// A field of the totals (a path like `siprec/started`) as a number.
fn total(stats: &Value, field: &str) -> i64 {
    stats["totals"]
        .pointer(&format!("/{field}"))
        .and_then(Value::as_i64)
        .unwrap_or_else(|| panic!("totals/{field}: {stats}"))
}

fn live(stats: &Value, field: &str) -> i64 {
    stats["live"]
        .pointer(&format!("/{field}"))
        .and_then(Value::as_i64)
        .unwrap_or_else(|| panic!("live/{field}: {stats}"))
}

/// The counts a case checks, before and after it.
const COUNTED: [&str; 11] = [
    "calls_started",
    "calls_ended",
    "webhooks",
    "duplicates",
    "dtmf",
    "siprec/started",
    "refers/started",
    "refers/completed",
    "refers/failed",
    "actions/succeeded",
    "reaction_ms/count",
];
const LIVE: [&str; 5] = [
    "calls",
    "by_status/answered",
    "by_status/initiated",
    "recording",
    "supervisors/monitor",
];

fn counts(stats: &Value) -> Vec<(String, i64)> {
    COUNTED
        .iter()
        .map(|field| (format!("totals/{field}"), total(stats, field)))
        .chain(
            LIVE.iter()
                .map(|field| (format!("live/{field}"), live(stats, field))),
        )
        .collect()
}

/// `before` with `added` added, field by field.
fn plus(before: &[(String, i64)], added: &[(&str, i64)]) -> Vec<(String, i64)> {
    before
        .iter()
        .map(|(field, n)| {
            let more: i64 = added
                .iter()
                .filter(|(name, _)| name == field)
                .map(|(_, n)| n)
                .sum();
            (field.clone(), n + more)
        })
        .collect()
}

/// Eight calls at once, every event delivered five times at once: four hang up, four
/// stay up recording; the rule answers each. Every figure moves by exactly what was
/// sent.
fn figures_equal_what_was_sent(ctx: &Ctx) {
    let before = counts(&ctx.stats());
    let calls: Vec<String> = (0..8).map(|n| format!("v3:e2e-stats-{n}")).collect();
    let steps = |n: usize| -> Vec<&'static str> {
        let mut steps = vec![
            "call.initiated",
            "call.answered",
            "call.dtmf.received",
            "call.dtmf.received",
            "siprec.started",
            "call.refer.started",
        ];
        steps.push(if n.is_multiple_of(2) {
            "call.refer.completed"
        } else {
            "call.refer.failed"
        });
        if n < 4 {
            steps.push("call.hangup");
        }
        steps
    };
    let accepted: usize = thread::scope(|scope| {
        let plays: Vec<_> = calls
            .iter()
            .enumerate()
            .map(|(n, call)| {
                scope.spawn(move || {
                    steps(n)
                        .iter()
                        .enumerate()
                        .map(|(second, event_type)| {
                            let id = format!("{call}/{second}");
                            let body = call_event(call, event_type, &id, second as u32 + 1);
                            ctx.deliver_copies(&body)
                        })
                        .sum::<usize>()
                })
            })
            .collect();
        plays.into_iter().map(|play| play.join().unwrap()).sum()
    });
    let last_answer = Instant::now();
    let sent: usize = (0..8).map(|n| steps(n).len()).sum();
    assert_eq!(accepted, sent, "each event accepted once");
    let expected = plus(
        &before,
        &[
            ("totals/calls_started", 8),
            ("totals/calls_ended", 4),
            ("totals/webhooks", sent as i64),
            ("totals/duplicates", (sent * (COPIES - 1)) as i64),
            ("totals/dtmf", 16),
            ("totals/siprec/started", 8),
            ("totals/refers/started", 8),
            ("totals/refers/completed", 4),
            ("totals/refers/failed", 4),
            ("totals/actions/succeeded", 8),
            ("totals/reaction_ms/count", 8),
            ("live/calls", 4),
            ("live/by_status/answered", 4),
            ("live/recording", 4),
        ],
    );
    ctx.figures_when(last_answer, |stats| counts(stats) == expected);
    // The calls still up hang up, and leave the live figures.
    for call in &calls[4..] {
        let body = call_event(call, "call.hangup", &format!("{call}/hangup"), 30);
        assert_eq!(ctx.deliver_copies(&body), 1);
    }
    let last_answer = Instant::now();
    let expected = plus(
        &before,
        &[
            ("totals/calls_started", 8),
            ("totals/calls_ended", 8),
            ("totals/webhooks", sent as i64 + 4),
            ("totals/duplicates", ((sent + 4) * (COPIES - 1)) as i64),
            ("totals/dtmf", 16),
            ("totals/siprec/started", 8),
            ("totals/refers/started", 8),
            ("totals/refers/completed", 4),
            ("totals/refers/failed", 4),
            ("totals/actions/succeeded", 8),
            ("totals/reaction_ms/count", 8),
        ],
    );
    ctx.figures_when(last_answer, |stats| counts(stats) == expected);
}

/// A supervisor dialed in counts by its role among the live figures, and its own leg
/// among the calls; both leave as they hang up.
fn a_supervisor_counts_by_its_role(ctx: &Ctx) {
    let before = counts(&ctx.stats());
    let call = "v3:e2e-stats-supervised";
    for (second, event_type) in ["call.initiated", "call.answered"].iter().enumerate() {
        let body = call_event(
            call,
            event_type,
            &format!("{call}/{second}"),
            second as u32 + 1,
        );
        assert_eq!(ctx.deliver_copies(&body), 1);
    }
    let (status, dialed) = ctx.request(
        "POST",
        &format!("/calls/{}/supervise", call.replace(':', "%3A")),
        Some(&json!({"to": "sip:supervisor@pbx.example.com", "role": "monitor"})),
    );
    assert_eq!(status, 200, "{dialed}");
    let leg = dialed["data"]["call_control_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = call_event(&leg, "call.answered", &format!("{leg}/answered"), 3);
    assert_eq!(ctx.deliver_copies(&body), 1);
    let last_answer = Instant::now();
    let expected = plus(
        &before,
        &[
            ("totals/calls_started", 2),
            ("totals/webhooks", 3),
            ("totals/duplicates", 3 * (COPIES as i64 - 1)),
            // The rule's answer of the call, and the supervisor's Dial.
            ("totals/actions/succeeded", 2),
            ("totals/reaction_ms/count", 1),
            ("live/calls", 2),
            ("live/by_status/answered", 2),
            ("live/supervisors/monitor", 1),
        ],
    );
    ctx.figures_when(last_answer, |stats| counts(stats) == expected);
    for (who, id) in [(leg.as_str(), "leg-hangup"), (call, "call-hangup")] {
        let body = call_event(who, "call.hangup", &format!("{who}/{id}"), 9);
        assert_eq!(ctx.deliver_copies(&body), 1);
    }
    let last_answer = Instant::now();
    let stats = ctx.figures_when(last_answer, |stats| {
        live(stats, "calls") == live_of(&before, "calls")
    });
    assert_eq!(live(&stats, "supervisors/monitor"), 0);
}

fn live_of(counts: &[(String, i64)], field: &str) -> i64 {
    counts
        .iter()
        .find(|(name, _)| *name == format!("live/{field}"))
        .map(|(_, n)| *n)
        .unwrap()
}

fn a_bad_window_is_422_and_no_token_401(ctx: &Ctx) {
    let (status, body) = ctx.request("GET", "/stats?minutes=1441", None);
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["errors"][0]["source"]["pointer"], "/minutes");
    let (status, _) = exchange(
        ctx.agent.get(&format!("{}/stats", ctx.base_url)),
        None,
        "GET /stats without a token",
    );
    assert_eq!(status, 401);
    let stats = ctx.stats();
    assert_eq!(stats["minutes"].as_array().unwrap().len(), 10);
}

fn main() -> ExitCode {
    let signer = WebhookSigner::from_seed(END_TO_END_SEED);
    let telnyx = FakeTelnyxServer::start(FakeTelnyx::new());
    let rules = json!({"rules": [{"name": "answer", "on": ["call.initiated"],
        "do": [{"action": "answer"}]}]});
    let Some(worker) = start_acting_worker(
        "e2e_stats",
        signer.public_key_base64(),
        ADMIN_TOKEN,
        "e2e-stats-api-key",
        &telnyx.api_base,
        &rules,
    ) else {
        return ExitCode::FAILURE;
    };
    let ctx = Ctx {
        base_url: worker.base_url.clone(),
        agent: ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(60))
            .max_idle_connections_per_host(64)
            .build(),
        signer,
    };
    type Case = fn(&Ctx);
    let cases: [(&str, Case); 3] = [
        ("figures_equal_what_was_sent", figures_equal_what_was_sent),
        (
            "a_supervisor_counts_by_its_role",
            a_supervisor_counts_by_its_role,
        ),
        (
            "a_bad_window_is_422_and_no_token_401",
            a_bad_window_is_422_and_no_token_401,
        ),
    ];
    let mut failed = 0;
    for (name, case) in cases {
        if !run_case("e2e_stats", name, || case(&ctx)) {
            failed += 1;
        }
    }
    if failed > 0 {
        eprintln!("e2e_stats: wrangler dev log (tail):\n{}", worker.log_tail());
        ExitCode::FAILURE
    } else {
        println!("e2e_stats: all passed");
        ExitCode::SUCCESS
    }
}
