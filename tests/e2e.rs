//! End to end: the release build under `wrangler dev` (workerd, local KV), driven over
//! HTTP with signed webhooks. Its own harness starts one worker for every case and stops
//! it, with every process it started, whether the cases pass or fail.

mod support;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::process::ExitCode;
use std::time::Duration;

use serde_json::{json, Value};

use support::deliveries::{self, occurred_at, Delivery};
use support::signing::{unix_now, WebhookSigner, END_TO_END_SEED};
use support::wrangler::WranglerDev;

const ADMIN_TOKEN: &str = "e2e-admin-token-1b7c9f";
const API_KEY: &str = "e2e-api-key-5d02aa";

struct Ctx {
    base_url: String,
    agent: ureq::Agent,
    signer: WebhookSigner,
    /// The first of the two configured keys, still accepted (key rotation).
    previous_signer: WebhookSigner,
}

struct Reply {
    status: u16,
    allow: Option<String>,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.body))
    }

    fn error_code(&self) -> String {
        self.json()["errors"][0]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

impl Ctx {
    fn call(&self, method: &str, path: &str, headers: &[(String, String)], body: &[u8]) -> Reply {
        let mut request = self
            .agent
            .request(method, &format!("{}{path}", self.base_url));
        for (name, value) in headers {
            request = request.set(name, value);
        }
        let response = match request.send_bytes(body) {
            Ok(response) | Err(ureq::Error::Status(_, response)) => response,
            Err(error) => panic!("{method} {path} did not complete: {error}"),
        };
        Reply {
            status: response.status(),
            allow: response.header("allow").map(str::to_owned),
            body: response.into_string().unwrap_or_default(),
        }
    }

    fn deliver_with(&self, signer: &WebhookSigner, body: &Value) -> Reply {
        let bytes = body.to_string().into_bytes();
        let mut headers = signer.headers(unix_now(), &bytes);
        headers.push(("content-type".into(), "application/json".into()));
        self.call("POST", "/webhooks/telnyx", &headers, &bytes)
    }

    fn deliver(&self, body: &Value) -> Reply {
        self.deliver_with(&self.signer, body)
    }

    fn get_call(&self, call: &str) -> Reply {
        let auth = [("authorization".to_string(), format!("Bearer {ADMIN_TOKEN}"))];
        self.call("GET", &format!("/calls/{call}"), &auth, b"")
    }

    fn state(&self, call: &str) -> Value {
        let reply = self.get_call(call);
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.json()
    }
}

fn event(call: &str, event_type: &str, id: &str, second: u32) -> Value {
    deliveries::body(&Delivery {
        event_type,
        event_id: id,
        call_control_id: call,
        occurred_at: &occurred_at(second),
    })
}

fn whole_call(call: &str) -> Vec<Value> {
    [
        "call.initiated",
        "call.answered",
        "call.bridged",
        "siprec.started",
        "call.refer.started",
        "call.refer.completed",
        "call.siprec.stopped",
        "call.hangup",
    ]
    .iter()
    .enumerate()
    .map(|(n, event_type)| event(call, event_type, &format!("{call}-ev-{n}"), n as u32 + 1))
    .collect()
}

// --- cases ----------------------------------------------------------------------------

fn health_reports_the_configuration(ctx: &Ctx) {
    let reply = ctx.call("GET", "/health", &[], b"");
    assert_eq!(reply.status, 200);
    let health = reply.json();
    assert_eq!(health["status"], "ok", "{health}");
    assert_eq!(
        health["config"],
        json!({"public_key": true, "api_key": true, "admin_token": true, "automations": 0})
    );
    assert!(!reply.body.contains(API_KEY) && !reply.body.contains(ADMIN_TOKEN));
}

fn accepted_then_duplicate(ctx: &Ctx) {
    let body = event("v3:e2e-dup", "call.initiated", "e2e-dup-1", 1);
    let first = ctx.deliver(&body);
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(
        first.json(),
        json!({"status": "accepted", "event_id": "e2e-dup-1"})
    );
    let again = ctx.deliver(&body);
    assert_eq!(
        again.json(),
        json!({"status": "duplicate", "event_id": "e2e-dup-1"})
    );
    assert_eq!(
        ctx.state("v3:e2e-dup")["events"].as_array().unwrap().len(),
        1
    );
}

fn scrambled_delivery_gives_the_in_order_state(ctx: &Ctx) {
    for body in whole_call("v3:e2e-in-order") {
        assert_eq!(ctx.deliver(&body).status, 200);
    }
    let mut arrivals = whole_call("v3:e2e-scrambled");
    arrivals.reverse();
    arrivals.swap(0, 4);
    arrivals.extend(whole_call("v3:e2e-scrambled").into_iter().step_by(2));
    for body in &arrivals {
        let reply = ctx.deliver(body);
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    let expected = ctx.state("v3:e2e-in-order");
    let actual = ctx.state("v3:e2e-scrambled");
    let normalise = |state: &Value| {
        state
            .to_string()
            .replace("v3:e2e-in-order", "CALL")
            .replace("v3:e2e-scrambled", "CALL")
    };
    assert_eq!(normalise(&actual), normalise(&expected));
    assert_eq!(actual["status"], "hangup");
    assert_eq!(actual["hangup_cause"], "normal_clearing");
    assert_eq!(
        actual["refer"],
        json!({"status": "completed", "sip_notify_response": 200, "sip_address": null})
    );
    assert_eq!(
        actual["siprec"],
        json!({"status": "stopped", "failure_cause": null, "hangup_cause": "normal_clearing"})
    );
    assert_eq!(actual["events"].as_array().unwrap().len(), 8);
    assert_eq!(actual["events"][3]["event_type"], "siprec.started");
    assert_eq!(actual["updated_at"], occurred_at(8));
}

fn forged_and_stale_deliveries_are_401_and_leave_no_call(ctx: &Ctx) {
    let call = "v3:e2e-forged";
    let body = event(call, "call.answered", "e2e-forged-1", 1);
    let bytes = body.to_string().into_bytes();
    let now = unix_now();
    let signed = |ts: i64| ctx.signer.headers(ts, &bytes);
    let stranger = WebhookSigner::from_seed([42; 32]);
    let mut tampered = bytes.clone();
    tampered[30] ^= 1;
    let with = |sig: &str, ts: &str| {
        vec![
            ("telnyx-signature-ed25519".to_string(), sig.to_string()),
            ("telnyx-timestamp".to_string(), ts.to_string()),
        ]
    };
    let genuine = signed(now)[0].1.clone();
    type Attempt<'a> = (Vec<(String, String)>, &'a [u8], &'a str);
    let cases: Vec<Attempt> = vec![
        (signed(now - 301), &bytes, "timestamp_outside_window"),
        (signed(now + 400), &bytes, "timestamp_outside_window"),
        (signed(now), &tampered, "invalid_signature"),
        (stranger.headers(now, &bytes), &bytes, "invalid_signature"),
        (
            with("bm90IGEgc2lnbmF0dXJl", &now.to_string()),
            &bytes,
            "malformed_signature",
        ),
        (with(&genuine, "soon"), &bytes, "malformed_timestamp"),
        (vec![signed(now)[1].clone()], &bytes, "missing_signature"),
        (vec![signed(now)[0].clone()], &bytes, "missing_timestamp"),
    ];
    for (headers, body, code) in cases {
        let reply = ctx.call("POST", "/webhooks/telnyx", &headers, body);
        assert_eq!(reply.status, 401, "{code}: {}", reply.body);
        assert_eq!(reply.error_code(), code);
    }
    assert_eq!(
        ctx.get_call(call).status,
        404,
        "a refused delivery left a call behind"
    );
}

fn mixed_case_headers_and_rotated_keys_are_accepted(ctx: &Ctx) {
    let body = event("v3:e2e-case", "call.answered", "e2e-case-1", 1);
    let bytes = body.to_string().into_bytes();
    let headers: Vec<(String, String)> = ctx
        .signer
        .headers(unix_now(), &bytes)
        .into_iter()
        .map(|(name, value)| (name.to_uppercase(), value))
        .collect();
    assert_eq!(
        ctx.call("POST", "/webhooks/telnyx", &headers, &bytes)
            .status,
        200
    );
    let rotated = event("v3:e2e-case", "call.bridged", "e2e-case-2", 2);
    assert_eq!(ctx.deliver_with(&ctx.previous_signer, &rotated).status, 200);
    assert_eq!(ctx.state("v3:e2e-case")["status"], "bridged");
}

fn envelopes_missing_ids_are_400(ctx: &Ctx) {
    let mut body = event("v3:e2e-400", "call.answered", "e2e-400-1", 1);
    deliveries::remove(&mut body, "/data/payload/call_control_id");
    let reply = ctx.deliver(&body);
    assert_eq!(reply.status, 400, "{}", reply.body);
    assert_eq!(
        reply.json()["errors"][0]["source"]["pointer"],
        "/data/payload/call_control_id"
    );
    let reply = ctx.deliver(&json!({"data": {"event_type": "call.answered"}}));
    assert_eq!(reply.status, 400);
    assert_eq!(reply.json()["errors"][0]["source"]["pointer"], "/data/id");
}

fn oversized_bodies_are_413(ctx: &Ctx) {
    let body = vec![b'x'; 256 * 1024 + 1];
    let reply = ctx.call("POST", "/webhooks/telnyx", &[], &body);
    assert_eq!(reply.status, 413, "{}", reply.body);
    assert_eq!(reply.error_code(), "payload_too_large");
}

fn oversized_chunked_bodies_without_a_length_are_413(ctx: &Ctx) {
    let body = std::io::Cursor::new(vec![b'x'; 512 * 1024]);
    let url = format!("{}/webhooks/telnyx", ctx.base_url);
    let status = match ctx.agent.post(&url).send(body) {
        Ok(response) | Err(ureq::Error::Status(_, response)) => response.status(),
        Err(error) => panic!("chunked upload did not complete: {error}"),
    };
    assert_eq!(status, 413);
}

fn wrong_methods_and_paths(ctx: &Ctx) {
    let reply = ctx.call("GET", "/webhooks/telnyx", &[], b"");
    assert_eq!((reply.status, reply.allow.as_deref()), (405, Some("POST")));
    let reply = ctx.call("POST", "/health", &[], b"");
    assert_eq!((reply.status, reply.allow.as_deref()), (405, Some("GET")));
    assert_eq!(ctx.call("GET", "/nope", &[], b"").status, 404);
}

fn operator_api_wants_the_bearer_token(ctx: &Ctx) {
    let call = "v3:e2e-auth";
    ctx.deliver(&event(call, "call.answered", "e2e-auth-1", 1));
    let path = format!("/calls/{call}");
    assert_eq!(ctx.call("GET", &path, &[], b"").status, 401);
    let wrong = [("authorization".to_string(), "Bearer nope".to_string())];
    assert_eq!(ctx.call("GET", &path, &wrong, b"").status, 401);
    let in_query = format!("{path}?token={ADMIN_TOKEN}");
    assert_eq!(ctx.call("GET", &in_query, &[], b"").status, 401);
    assert_eq!(ctx.get_call(call).status, 200);
    assert_eq!(
        ctx.get_call("v3%3Ae2e-auth").status,
        200,
        "percent-encoded id"
    );
    assert_eq!(ctx.get_call("v3:e2e-never-seen").status, 404);
}

fn siprec_failure_under_the_call_prefix(ctx: &Ctx) {
    let call = "v3:e2e-siprec";
    ctx.deliver(&event(call, "call.siprec.failed", "e2e-siprec-1", 1));
    assert_eq!(
        ctx.state(call)["siprec"],
        json!({"status": "failed", "failure_cause": "no_answer", "hangup_cause": null})
    );
}

fn the_worker_log_holds_no_secret(ctx: &Ctx, log: &str) {
    let _ = ctx;
    assert!(
        log.contains("\"msg\":\"webhook\""),
        "the worker logged no webhook lines"
    );
    for secret in [ADMIN_TOKEN, API_KEY, "eyJmbG93IjoiaXZyIiwic3RlcCI6Mn0="] {
        assert!(!log.contains(secret), "the worker log carries {secret}");
    }
}

// --- harness --------------------------------------------------------------------------

type Case = fn(&Ctx);

const CASES: &[(&str, Case)] = &[
    (
        "health_reports_the_configuration",
        health_reports_the_configuration,
    ),
    ("accepted_then_duplicate", accepted_then_duplicate),
    (
        "scrambled_delivery_gives_the_in_order_state",
        scrambled_delivery_gives_the_in_order_state,
    ),
    (
        "forged_and_stale_deliveries_are_401_and_leave_no_call",
        forged_and_stale_deliveries_are_401_and_leave_no_call,
    ),
    (
        "mixed_case_headers_and_rotated_keys_are_accepted",
        mixed_case_headers_and_rotated_keys_are_accepted,
    ),
    (
        "envelopes_missing_ids_are_400",
        envelopes_missing_ids_are_400,
    ),
    ("oversized_bodies_are_413", oversized_bodies_are_413),
    (
        "oversized_chunked_bodies_without_a_length_are_413",
        oversized_chunked_bodies_without_a_length_are_413,
    ),
    ("wrong_methods_and_paths", wrong_methods_and_paths),
    (
        "operator_api_wants_the_bearer_token",
        operator_api_wants_the_bearer_token,
    ),
    (
        "siprec_failure_under_the_call_prefix",
        siprec_failure_under_the_call_prefix,
    ),
];

fn run(name: &str, case: impl FnOnce() + std::panic::UnwindSafe) -> bool {
    match catch_unwind(case) {
        Ok(()) => {
            println!("test e2e::{name} ... ok");
            true
        }
        Err(panic) => {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            println!("test e2e::{name} ... FAILED\n    {message}");
            false
        }
    }
}

fn main() -> ExitCode {
    let signer = WebhookSigner::from_seed(END_TO_END_SEED);
    let previous_signer = WebhookSigner::from_seed([0x5e; 32]);
    let keys = format!(
        "{} {}",
        previous_signer.public_key_base64(),
        signer.public_key_base64()
    );
    println!("e2e: starting the release build under wrangler dev");
    let worker = match WranglerDev::start(&[
        ("TELNYX_PUBLIC_KEY", keys),
        ("ADMIN_TOKEN", ADMIN_TOKEN.into()),
        ("TELNYX_API_KEY", API_KEY.into()),
        ("TELNYX_API_BASE", "http://127.0.0.1:9/v2".into()),
        ("WEBHOOK_TOLERANCE_SECS", "300".into()),
        // Whatever a developer's .dev.vars holds, no rules run here.
        ("AUTOMATIONS", String::new()),
    ]) {
        Ok(worker) => worker,
        Err(error) => {
            eprintln!("e2e: {error}");
            println!("0 passed, 1 failed");
            return ExitCode::FAILURE;
        }
    };
    println!("e2e: worker ready at {}", worker.base_url);
    let ctx = Ctx {
        base_url: worker.base_url.clone(),
        agent: ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(30))
            .build(),
        signer,
        previous_signer,
    };
    let mut passed = 0;
    let mut failed = 0;
    for (name, case) in CASES {
        if run(name, AssertUnwindSafe(|| case(&ctx))) {
            passed += 1;
        } else {
            failed += 1;
        }
    }
    let log = worker.log();
    if run(
        "the_worker_log_holds_no_secret",
        AssertUnwindSafe(|| the_worker_log_holds_no_secret(&ctx, &log)),
    ) {
        passed += 1;
    } else {
        failed += 1;
    }
    if failed > 0 {
        eprintln!("e2e: wrangler dev log (tail):\n{}", worker.log_tail());
    }
    drop(worker);
    println!("{passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
