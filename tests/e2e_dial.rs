//! Dial, supervisor legs and sessions end to end: the release build under `wrangler dev`
//! (workerd, local Durable Objects, so the objects really reach each other), the fake
//! Telnyx on loopback, signed webhooks over HTTP, and the official Python SDK's
//! `calls.dial` pointed at the worker (`tests/sdk/dial.py`, in the project's virtualenv).

mod support;

use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use support::deliveries::{call_event, set_payload};
use support::fake_telnyx::{FakeTelnyx, FakeTelnyxServer, Recorded, Reply};
use support::json_http::{deliver_signed, exchange};
use support::runner::run_case;
use support::secrets::leaks;
use support::wrangler::start_acting_worker;
use telnyx_edge::domain::automations::command_id;
use telnyx_edge::simulator::signing::{WebhookSigner, END_TO_END_SEED};

const ADMIN_TOKEN: &str = "e2e-dial-admin-token-93c1";
const API_KEY: &str = "e2e-dial-api-key-41aa";
const SUPERVISOR: &str = "sip:supervisor@pbx.example.com";
const PASSWORD: &str = "e2e-dial-sip-password-never-logged";
/// How long the objects may take to tell each other (a few seconds, by the contract).
const LINK_LIMIT: Duration = Duration::from_secs(10);

struct Ctx {
    base_url: String,
    agent: ureq::Agent,
    signer: WebhookSigner,
    telnyx: FakeTelnyx,
}

impl Ctx {
    fn request(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let request = self
            .agent
            .request(method, &format!("{}{path}", self.base_url))
            .set("authorization", &format!("Bearer {ADMIN_TOKEN}"));
        exchange(request, body, &format!("{method} {path}"))
    }

    fn deliver(&self, body: &Value) {
        let answer = deliver_signed(&self.agent, &self.base_url, &self.signer, body);
        assert_eq!(answer.0, 200, "{}", answer.1);
    }

    fn event(&self, call: &str, event_type: &str, id: &str, second: u32) {
        self.deliver(&call_event(call, event_type, id, second));
    }

    fn state(&self, call: &str) -> Value {
        let (status, state) = self.request("GET", &format!("/calls/{}", encoded(call)), None);
        assert_eq!(status, 200, "{state}");
        state
    }

    /// Polls `call` until `done` holds, within the link limit.
    fn wait_for(&self, call: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + LINK_LIMIT;
        loop {
            let state = self.state(call);
            if done(&state) {
                return state;
            }
            assert!(Instant::now() < deadline, "gave up waiting: {state}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// What reached the fake Telnyx since the last look, emptying the record.
    fn sent(&self) -> Vec<Recorded> {
        let sent = self.telnyx.requests();
        self.telnyx.clear();
        sent
    }
}

fn encoded(call: &str) -> String {
    call.replace(':', "%3A")
}

fn leg_of(answer: &(u16, Value)) -> String {
    assert_eq!(answer.0, 200, "{}", answer.1);
    answer.1["data"]["call_control_id"]
        .as_str()
        .expect("the new leg")
        .to_owned()
}

/// An inbound call the worker knows, answered; the fake's record emptied.
fn inbound(ctx: &Ctx, call: &str) {
    let mut initiated = call_event(call, "call.initiated", &format!("{call}-initiated"), 1);
    set_payload(&mut initiated, "direction", json!("incoming"));
    ctx.deliver(&initiated);
    ctx.event(call, "call.answered", &format!("{call}-answered"), 2);
    ctx.sent();
}

fn a_dial_reaches_telnyx_once_and_its_leg_is_a_call_at_once(ctx: &Ctx) {
    ctx.sent();
    let answer = ctx.request(
        "POST",
        "/calls",
        Some(&json!({"to": "+13125550100", "from": "+13125550199",
            "sip_auth_username": "agent", "sip_auth_password": PASSWORD})),
    );
    let leg = leg_of(&answer);
    let sent = ctx.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        (sent[0].method.as_str(), sent[0].path.as_str()),
        ("POST", "/v2/calls")
    );
    let body = sent[0].json();
    assert_eq!(body["connection_id"], "conn-e2e", "TELNYX_CONNECTION_ID");
    assert!(body["command_id"].is_string());
    // Read at once: the leg's object took it before the answer went out.
    let state = ctx.state(&leg);
    assert_eq!(state["origin"], json!({"action": "dial", "by": "operator"}));
    assert_eq!(state["actions"][0]["action"], "dial");
    assert_eq!(state["actions"][0]["command_id"], body["command_id"]);
    // The same command_id again: answered with the same leg, not dialed again.
    let again = ctx.request(
        "POST",
        "/calls",
        Some(&json!({"to": "+1312", "from": "+1999",
        "command_id": body["command_id"]})),
    );
    assert_eq!(leg_of(&again), leg);
    assert!(ctx.sent().is_empty());
}

fn refused_dials_and_supervises_send_nothing(ctx: &Ctx) {
    ctx.sent();
    let many: Vec<String> = (0..1000).map(|n| format!("+1312555{n:04}")).collect();
    for (body, pointer) in [
        (json!({"to": [], "from": "+1"}), "/to"),
        (json!({"to": many, "from": "+1"}), "/to"),
        (
            json!({"to": "+1", "from": "+1", "link_to": "v3:no spaces"}),
            "/link_to",
        ),
        (
            json!({"to": "+1", "from": "+1", "timeout_secs": 601}),
            "/timeout_secs",
        ),
        (
            json!({"to": "+1", "from": "+1", "custom_headers":
            [{"name": "X-Big", "value": "x".repeat(100 * 1024)}]}),
            "/custom_headers",
        ),
    ] {
        let (status, answer) = ctx.request("POST", "/calls", Some(&body));
        assert_eq!(status, 422, "{answer}");
        assert_eq!(
            answer["errors"][0]["source"]["pointer"], pointer,
            "{answer}"
        );
    }
    let (status, answer) = ctx.request(
        "POST",
        "/calls/v3%3Ae2e-never-seen/supervise",
        Some(&json!({
            "to": SUPERVISOR, "role": "monitor"})),
    );
    assert_eq!(
        (status, answer["errors"][0]["code"].as_str()),
        (404, Some("call_not_found"))
    );
    let call = "v3:e2e-hung-up";
    inbound(ctx, call);
    ctx.event(call, "call.hangup", "hung-up-hangup", 3);
    let (status, answer) = ctx.request(
        "POST",
        &format!("/calls/{}/supervise", encoded(call)),
        Some(&json!({"to": SUPERVISOR, "role": "monitor"})),
    );
    assert_eq!(
        (status, answer["errors"][0]["code"].as_str()),
        (409, Some("call_ended"))
    );
    let (status, answer) = ctx.request(
        "POST",
        &format!("/calls/{}/supervise", encoded(call)),
        Some(&json!({"to": SUPERVISOR, "role": "listen"})),
    );
    assert_eq!(status, 422, "{answer}");
    assert!(ctx.sent().is_empty(), "nothing reached Telnyx");
}

fn a_dial_is_retried_after_503_under_one_command_id(ctx: &Ctx) {
    ctx.sent();
    ctx.telnyx
        .then(Reply::error(503, "90000", "Service unavailable"))
        .then(Reply::dialed("v3:e2e-after-503"));
    let leg = leg_of(&ctx.request(
        "POST",
        "/calls",
        Some(&json!({"to": "+1312", "from": "+1999"})),
    ));
    assert_eq!(leg, "v3:e2e-after-503");
    let sent = ctx.sent();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].json()["command_id"], sent[1].json()["command_id"]);
}

fn supervisors_follow_the_leg_and_nothing_reaches_the_supervised_call(ctx: &Ctx) {
    let call = "v3:e2e-supervised";
    inbound(ctx, call);
    let answer = ctx.request(
        "POST",
        &format!("/calls/{}/supervise", encoded(call)),
        Some(&json!({"to": SUPERVISOR, "role": "monitor"})),
    );
    let leg = leg_of(&answer);
    let dial = ctx.sent();
    assert_eq!(dial.len(), 1);
    let body = dial[0].json();
    assert_eq!(body["supervise_call_control_id"], call);
    assert_eq!(body["supervisor_role"], "monitor");
    assert_eq!(
        body["from"], "+13125550199",
        "the incoming call's own number"
    );
    assert_eq!(
        body["connection_id"], "2461790383128036389",
        "the call's own connection"
    );
    let supervisor = |state: &Value| state["supervisors"][0].clone();
    let state = ctx.wait_for(call, |s| supervisor(s)["status"] == "dialing");
    assert_eq!(supervisor(&state)["call_control_id"], leg.as_str());
    assert_eq!(ctx.state(&leg)["supervising"], call);
    // The leg's own webhooks, answered before initiated, and twice.
    ctx.event(&leg, "call.answered", "sup-answered", 4);
    ctx.event(&leg, "call.answered", "sup-answered", 4);
    ctx.event(&leg, "call.initiated", "sup-initiated", 3);
    ctx.wait_for(call, |s| supervisor(s)["status"] == "answered");
    let (status, _) = ctx.request(
        "POST",
        &format!("/calls/{}/actions/switch_supervisor_role", encoded(&leg)),
        Some(&json!({"role": "whisper"})),
    );
    assert_eq!(status, 200);
    ctx.wait_for(call, |s| supervisor(s)["role"] == "whisper");
    ctx.event(&leg, "call.hangup", "sup-hangup", 6);
    ctx.wait_for(call, |s| supervisor(s)["status"] == "hangup");
    let sent = ctx.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].path,
        format!("/v2/calls/{}/actions/switch_supervisor_role", encoded(&leg))
    );
}

/// A supervisor Dial with a `command_id` of the client's, sent while the supervised call
/// is unknown (its own object takes it) and again once the call is known: one Dial.
fn a_repeated_supervisor_dial_is_found_wherever_it_went(ctx: &Ctx) {
    let call = "v3:e2e-known-only-later";
    let body = json!({"to": SUPERVISOR, "from": "+13125550199",
        "supervise_call_control_id": call, "command_id": "e2e-client-cmd-early"});
    let first = leg_of(&ctx.request("POST", "/calls", Some(&body)));
    assert_eq!(ctx.sent().len(), 1);
    inbound(ctx, call);
    let again = ctx.request("POST", "/calls", Some(&body));
    assert_eq!(leg_of(&again), first);
    assert!(ctx.sent().is_empty(), "Telnyx saw one Dial");
    // One the call's own object sent is answered from there.
    let body = json!({"to": SUPERVISOR, "from": "+13125550199",
        "supervise_call_control_id": call, "command_id": "e2e-client-cmd-late"});
    let first = leg_of(&ctx.request("POST", "/calls", Some(&body)));
    assert_eq!(leg_of(&ctx.request("POST", "/calls", Some(&body))), first);
    assert_eq!(ctx.sent().len(), 1);
}

fn the_legs_of_one_session_list_each_other(ctx: &Ctx) {
    let session = "e2e-shared-session";
    let in_session = |call: &str, event_type: &str, second: u32| {
        let mut body = call_event(call, event_type, &format!("{call}-{event_type}"), second);
        set_payload(&mut body, "call_session_id", json!(session));
        ctx.deliver(&body);
    };
    in_session("v3:e2e-session-a", "call.initiated", 1);
    in_session("v3:e2e-session-a", "call.answered", 2);
    in_session("v3:e2e-session-b", "call.initiated", 3);
    let a = ctx.wait_for("v3:e2e-session-a", |s| {
        s["legs"].as_array().is_some_and(|l| l.len() == 1)
    });
    assert_eq!(a["legs"][0]["call_control_id"], "v3:e2e-session-b");
    let b = ctx.wait_for("v3:e2e-session-b", |s| s["legs"][0]["status"] == "answered");
    assert_eq!(b["legs"][0]["call_control_id"], "v3:e2e-session-a");
    in_session("v3:e2e-session-b", "call.bridged", 4);
    ctx.wait_for("v3:e2e-session-a", |s| s["legs"][0]["status"] == "bridged");
}

fn a_rules_dial_goes_once_for_twenty_concurrent_copies(ctx: &Ctx) {
    let call = "v3:e2e-rule-dial";
    inbound(ctx, call);
    let mut pressed = call_event(call, "call.dtmf.received", "rule-dial-0", 3);
    set_payload(&mut pressed, "digit", json!("0"));
    std::thread::scope(|scope| {
        for _ in 0..20 {
            scope.spawn(|| ctx.deliver(&pressed));
        }
    });
    let state = ctx.wait_for(call, |s| {
        s["supervisors"].as_array().is_some_and(|l| !l.is_empty())
    });
    let dials: Vec<Recorded> = ctx
        .sent()
        .into_iter()
        .filter(|r| r.path == "/v2/calls")
        .collect();
    assert_eq!(dials.len(), 1, "one Dial");
    assert_eq!(
        dials[0].json()["command_id"],
        command_id("rule-dial-0", "dial-supervisor", 0)
    );
    let leg = state["supervisors"][0]["call_control_id"].as_str().unwrap();
    assert_eq!(ctx.state(leg)["origin"]["rule"], "dial-supervisor");
}

fn the_official_sdk_dials_through_the_worker(ctx: &Ctx) {
    let call = "v3:e2e-sdk-supervised";
    inbound(ctx, call);
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/python-venv/bin/python");
    assert!(
        python.is_file(),
        "{} is missing: run `make bootstrap`",
        python.display()
    );
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk/dial.py");
    let run = |scene: &str| -> Value {
        let output = Command::new(&python)
            .arg(&script)
            .args([ctx.base_url.as_str(), ADMIN_TOKEN, call, scene])
            .output()
            .expect("python runs");
        assert!(
            output.status.success(),
            "the SDK script failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).expect("the script prints JSON")
    };
    let result = run("dial");
    let sent = ctx.sent();
    assert_eq!(
        sent.len(),
        2,
        "two Dials reached Telnyx; the refused one did not"
    );
    assert!(
        sent[0].header("x-stainless-lang").is_none(),
        "the worker's own request"
    );
    assert_eq!(sent[0].json()["client_state"], "c2RrLWRpYWw=");
    assert_eq!(result["dialed_is_alive"], false);
    let dialed = result["dialed"].as_str().unwrap();
    assert_eq!(ctx.state(dialed)["origin"]["by"], "operator");
    let supervisor = result["supervisor"].as_str().unwrap();
    assert_eq!(sent[1].json()["supervise_call_control_id"], call);
    ctx.wait_for(call, |s| {
        s["supervisors"][0]["call_control_id"] == supervisor
    });
    assert_eq!(result["refused"]["status"], 422);
    assert_eq!(
        result["refused"]["body"]["errors"][0]["source"]["pointer"],
        "/to"
    );
    // Telnyx keeps failing: the worker retries under one command_id, then tells the SDK
    // not to repeat the Dial, and the SDK does not.
    ctx.telnyx
        .always(Reply::error(503, "90000", "Service unavailable"));
    let result = run("unavailable");
    let sent = ctx.sent();
    assert_eq!(result["unavailable"]["status"], 503, "{result}");
    assert_eq!(result["unavailable"]["should_retry"], "false");
    assert!(!sent.is_empty());
    assert!(
        sent.iter()
            .all(|r| r.json()["command_id"] == sent[0].json()["command_id"]),
        "one Dial, one command_id: the SDK did not send it again"
    );
}

fn main() -> ExitCode {
    let signer = WebhookSigner::from_seed(END_TO_END_SEED);
    let telnyx = FakeTelnyxServer::start(FakeTelnyx::new());
    let rules = json!({"rules": [{
        "name": "dial-supervisor", "on": ["call.dtmf.received"], "if": {"payload.digit": "0"},
        "do": [{"action": "dial", "params": {"to": SUPERVISOR, "from": "{{payload.to}}",
            "supervise_call_control_id": "{{payload.call_control_id}}",
            "supervisor_role": "monitor"}}],
        "limit_per_call": 1}]});
    let Some(worker) = start_acting_worker(
        "e2e_dial",
        signer.public_key_base64(),
        ADMIN_TOKEN,
        API_KEY,
        &telnyx.api_base,
        &rules,
    ) else {
        return ExitCode::FAILURE;
    };
    let ctx = Ctx {
        base_url: worker.base_url.clone(),
        agent: ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(60))
            .build(),
        signer,
        telnyx: telnyx.fake.clone(),
    };
    type Case = fn(&Ctx);
    let cases: [(&str, Case); 8] = [
        (
            "a_dial_reaches_telnyx_once_and_its_leg_is_a_call_at_once",
            a_dial_reaches_telnyx_once_and_its_leg_is_a_call_at_once,
        ),
        (
            "refused_dials_and_supervises_send_nothing",
            refused_dials_and_supervises_send_nothing,
        ),
        (
            "a_dial_is_retried_after_503_under_one_command_id",
            a_dial_is_retried_after_503_under_one_command_id,
        ),
        (
            "supervisors_follow_the_leg_and_nothing_reaches_the_supervised_call",
            supervisors_follow_the_leg_and_nothing_reaches_the_supervised_call,
        ),
        (
            "a_repeated_supervisor_dial_is_found_wherever_it_went",
            a_repeated_supervisor_dial_is_found_wherever_it_went,
        ),
        (
            "the_legs_of_one_session_list_each_other",
            the_legs_of_one_session_list_each_other,
        ),
        (
            "a_rules_dial_goes_once_for_twenty_concurrent_copies",
            a_rules_dial_goes_once_for_twenty_concurrent_copies,
        ),
        (
            "the_official_sdk_dials_through_the_worker",
            the_official_sdk_dials_through_the_worker,
        ),
    ];
    let mut failed = 0;
    for (name, case) in cases {
        if !run_case("e2e_dial", name, || case(&ctx)) {
            failed += 1;
        }
        ctx.telnyx.clear();
    }
    let log = worker.log();
    let secrets_kept = run_case("e2e_dial", "the_worker_log_holds_no_secret", || {
        let found = leaks(&log, &[PASSWORD, API_KEY, ADMIN_TOKEN]);
        assert!(found.is_empty(), "{found:?}");
    });
    if !secrets_kept {
        failed += 1;
    }
    if failed > 0 {
        eprintln!("e2e_dial: wrangler dev log (tail):\n{}", worker.log_tail());
        ExitCode::FAILURE
    } else {
        println!("e2e_dial: all passed");
        ExitCode::SUCCESS
    }
}
