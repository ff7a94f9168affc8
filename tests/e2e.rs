//! End to end: the release build under `wrangler dev` (workerd, local KV and Durable
//! Objects), driven over HTTP with signed webhooks. Its own harness starts one worker per
//! group of cases and stops it, with every process it started, whether the cases pass
//! or fail.

mod support;

use std::process::ExitCode;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use support::deliveries::{self, call_event as event, occurred_at};
use support::examples::{joined_toml, EXAMPLES};
use support::fake_telnyx::{FakeTelnyx, FakeTelnyxServer, Recorded, Reply as TelnyxReply};
use support::hostile::{Corpus, Expect, HostileRequest, HOSTILE_CALL};
use support::raw_http;
use support::runner::run_case;
use support::secrets::leaks;
use support::wrangler::WranglerDev;
use telnyx_edge::domain::automations::command_id;
use telnyx_edge::simulator::signing::{unix_now, WebhookSigner, END_TO_END_SEED};

const ADMIN_TOKEN: &str = "e2e-admin-token-1b7c9f";
const API_KEY: &str = "e2e-api-key-5d02aa";

struct Ctx {
    base_url: String,
    agent: ureq::Agent,
    signer: WebhookSigner,
    /// The first of the two configured keys, still accepted (key rotation).
    previous_signer: WebhookSigner,
    /// The Call Control API the worker talks to, on loopback.
    telnyx: FakeTelnyx,
    worker: Mutex<WranglerDev>,
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

    /// An operator action request; `call` is percent-encoded into the path.
    fn act(&self, method: &str, call: &str, action: &str, body: &Value) -> Reply {
        let auth = [("authorization".to_string(), format!("Bearer {ADMIN_TOKEN}"))];
        let path = format!("/calls/{}/actions/{action}", call.replace(':', "%3A"));
        self.call(method, &path, &auth, body.to_string().as_bytes())
    }

    /// Makes the worker know `call` as answered, with the fake Telnyx's record empty.
    fn answered_call(&self, call: &str) {
        let answered = event(call, "call.answered", &format!("{call}-answered"), 1);
        assert_eq!(self.deliver(&answered).status, 200);
        self.telnyx.clear();
    }

    /// What reached the fake Telnyx since the last call, emptying the record.
    fn telnyx_requests(&self) -> Vec<Recorded> {
        let requests = self.telnyx.requests();
        self.telnyx.clear();
        requests
    }

    fn state(&self, call: &str) -> Value {
        let reply = self.get_call(call);
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.json()
    }
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
        json!({"public_key": true, "api_key": true, "admin_token": true, "automations": 0,
            "access": false, "access_team_domain": null})
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
            .replace(&deliveries::session_of("v3:e2e-in-order"), "SESSION")
            .replace(&deliveries::session_of("v3:e2e-scrambled"), "SESSION")
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

/// The hostile-request corpus, sent byte for byte: every case gets its documented
/// status and code, no request reaches the fake Telnyx, the forged call stays unknown
/// and the known call's state does not change.
fn hostile_requests_get_their_documented_status_and_leave_no_trace(ctx: &Ctx) {
    let call = "v3:e2e-hostile";
    let corpus = Corpus {
        signer: &ctx.signer,
        now: unix_now(),
        call,
        admin_token: ADMIN_TOKEN,
        // Access is covered end to end by e2e_access.
        access: None,
    };
    let authority = ctx.base_url.trim_start_matches("http://");
    let send = |request: &HostileRequest| {
        raw_http::send(
            authority,
            request.method,
            &request.target,
            &request.headers,
            &request.body,
        )
        .unwrap_or_else(|e| panic!("{} {}: {e}", request.method, request.target))
    };
    assert_eq!(send(&corpus.genuine()).status, 200);
    ctx.telnyx.clear();
    let before = ctx.state(call);
    let cases: Vec<_> = corpus
        .cases()
        .into_iter()
        .filter(|c| c.end_to_end)
        .collect();
    assert!(
        cases.len() >= 60,
        "only {} cases run end to end",
        cases.len()
    );
    let mut failures = Vec::new();
    for case in &cases {
        let reply = send(&case.request);
        let (status, code) = match case.expect {
            Expect::Refused { status, code } => (status, format!("\"code\":\"{code}\"")),
            Expect::Duplicate => (200, "\"status\":\"duplicate\"".to_owned()),
        };
        if reply.status != status || !reply.text.contains(&code) {
            failures.push(format!(
                "{}: expected {status} {code}, got:\n{}",
                case.name, reply.text
            ));
        }
        let secrets = [ADMIN_TOKEN, API_KEY, &ctx.signer.public_key_base64()];
        let leaked = leaks(&reply.text, &secrets);
        if !leaked.is_empty() {
            failures.push(format!("{}: the answer carries {leaked:?}", case.name));
        }
        let reached = ctx.telnyx_requests();
        if !reached.is_empty() {
            failures.push(format!("{}: reached Telnyx at {:?}", case.name, reached));
        }
    }
    println!("e2e: {} hostile requests sent", cases.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(
        ctx.state(call),
        before,
        "a hostile request changed the call"
    );
    assert_eq!(
        ctx.get_call(HOSTILE_CALL).status,
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

/// The Worker serves the console's files itself (embedded in the wasm), with their
/// headers, and revalidates them by `ETag`.
fn the_console_is_served_by_the_worker(ctx: &Ctx) {
    let send = |method: &str, path: &str, if_none_match: Option<&str>| {
        let mut request = ctx
            .agent
            .request(method, &format!("{}{path}", ctx.base_url));
        if let Some(tags) = if_none_match {
            request = request.set("if-none-match", tags);
        }
        match request.call() {
            Ok(response) | Err(ureq::Error::Status(_, response)) => response,
            Err(error) => panic!("{method} {path} did not complete: {error}"),
        }
    };
    for (path, content_type) in [
        ("/console", "text/html; charset=utf-8"),
        ("/console/app.js", "text/javascript"),
        ("/console/style.css", "text/css"),
        ("/console/vendor/uplot.esm.js", "text/javascript"),
        ("/console/vendor/uplot.min.css", "text/css"),
    ] {
        let served = send("GET", path, None);
        assert_eq!(served.status(), 200, "{path}");
        assert_eq!(served.header("content-type"), Some(content_type), "{path}");
        assert_eq!(served.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(served.header("cache-control"), Some("no-cache"));
        let csp = served.header("content-security-policy").unwrap_or_default();
        assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
        let etag = served.header("etag").unwrap_or_default().to_owned();
        assert!(
            !served.into_string().unwrap_or_default().is_empty(),
            "{path}"
        );
        assert_eq!(
            send("GET", path, Some(&etag)).status(),
            304,
            "{path} {etag}"
        );
        let head = send("HEAD", path, None);
        assert_eq!(head.status(), 200, "{path}");
        assert_eq!(head.header("etag"), Some(etag.as_str()));
    }
    let reply = ctx.call("POST", "/console", &[], b"");
    assert_eq!(
        (reply.status, reply.allow.as_deref()),
        (405, Some("GET, HEAD"))
    );
    let reply = ctx.call("GET", "/console/nope.js", &[], b"");
    assert_eq!(
        (reply.status, reply.error_code().as_str()),
        (404, "not_found")
    );
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

/// A request that panics kills its instance: `worker`'s panic hook marks it, its shim
/// builds a new one, and the next requests, to the Worker and to a call's object, are
/// served. `GET /debug/panic` panics only with `DEBUG_PANIC` set and the operator's
/// token; otherwise it is an unknown path.
fn a_request_that_panics_leaves_the_next_ones_served(ctx: &Ctx) {
    let call = "v3:e2e-after-panic";
    assert_eq!(
        ctx.deliver(&event(call, "call.initiated", "e2e-panic-1", 1))
            .status,
        200
    );
    assert_eq!(
        ctx.call("GET", "/debug/panic", &[], b"").status,
        404,
        "no token"
    );
    let auth = [("authorization".to_string(), format!("Bearer {ADMIN_TOKEN}"))];
    let panicked = ctx.call("GET", "/debug/panic", &auth, b"");
    assert_eq!(panicked.status, 500, "{}", panicked.body);
    assert_eq!(ctx.call("GET", "/health", &[], b"").status, 200);
    let answered = ctx.deliver(&event(call, "call.answered", "e2e-panic-2", 2));
    assert_eq!(answered.json()["status"], "accepted", "{}", answered.body);
    assert_eq!(ctx.state(call)["status"], "answered");
    // wrangler prints what the runtime logs as it arrives from the inspector.
    let logged = |text: &str| {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if ctx.worker.lock().unwrap().log().contains(text) {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    assert!(
        logged("Critical Error: Rust panic"),
        "worker's hook logged it"
    );
    assert!(
        logged("GET /debug/panic with DEBUG_PANIC set") && logged("Stack:"),
        "console_error_panic_hook logged the message with the JavaScript stack"
    );
    assert!(
        logged("Reinitializing Wasm application"),
        "the instance was reset"
    );
}

fn siprec_failure_under_the_call_prefix(ctx: &Ctx) {
    let call = "v3:e2e-siprec";
    ctx.deliver(&event(call, "call.siprec.failed", "e2e-siprec-1", 1));
    assert_eq!(
        ctx.state(call)["siprec"],
        json!({"status": "failed", "failure_cause": "no_answer", "hangup_cause": null})
    );
}

fn operator_actions_reach_telnyx_and_shape_the_call(ctx: &Ctx) {
    let call = "v3:e2e-actions";
    ctx.answered_call(call);
    let state_b64 = "aGF2ZSBhIG5pY2UgZGF5ID1d";
    let steps = [
        (
            "POST",
            "refer",
            json!({"sip_address": "sip:agent@pbx.example.com",
            "sip_headers": [{"name": "User-to-User", "value": "case=42"}],
            "sip_auth_username": "u", "sip_auth_password": "p"}),
            true,
        ),
        (
            "POST",
            "send_dtmf",
            json!({"digits": "1w2#", "duration_millis": 300}),
            true,
        ),
        (
            "POST",
            "siprec_start",
            json!({"connector_name": "recorder", "siprec_track": "both_tracks",
            "sip_transport": "tls", "secure": true, "session_timeout_secs": 900}),
            false,
        ),
        (
            "POST",
            "suppression_start",
            json!({"direction": "outbound",
            "noise_suppression_engine": "Krisp",
            "noise_suppression_engine_config": {"model": "krisp-viva-tel-v2.kef"}}),
            true,
        ),
        (
            "POST",
            "switch_supervisor_role",
            json!({"role": "whisper"}),
            false,
        ),
        (
            "PUT",
            "client_state_update",
            json!({"client_state": state_b64}),
            false,
        ),
    ];
    for (method, action, body, takes_command_id) in &steps {
        let reply = ctx.act(method, call, action, body);
        assert_eq!(reply.status, 200, "{action}: {}", reply.body);
        assert_eq!(reply.json(), json!({"data": {"result": "ok"}}), "{action}");
        let sent = ctx.telnyx_requests();
        assert_eq!(sent.len(), 1, "{action}");
        let request = &sent[0];
        assert_eq!(request.method, *method, "{action}");
        assert_eq!(
            request.path,
            format!("/v2/calls/v3%3Ae2e-actions/actions/{action}")
        );
        assert_eq!(
            request.header("authorization"),
            Some(&*format!("Bearer {API_KEY}"))
        );
        assert!(request
            .header("content-type")
            .unwrap_or_default()
            .starts_with("application/json"));
        let mut sent_body = request.json();
        let command_id = sent_body.as_object_mut().unwrap().remove("command_id");
        assert_eq!(
            command_id.is_some(),
            *takes_command_id,
            "{action}: command_id"
        );
        assert_eq!(&sent_body, body, "{action}: the body passes through");
    }
    let state = ctx.state(call);
    let recorded: Vec<(&str, &str, u64)> = state["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["action"].as_str().unwrap(),
                a["status"].as_str().unwrap(),
                a["http_status"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    let expected: Vec<(&str, &str, u64)> = steps
        .iter()
        .map(|(_, action, _, _)| (*action, "succeeded", 200))
        .collect();
    assert_eq!(recorded, expected);
    assert_eq!(state["refer"]["sip_address"], "sip:agent@pbx.example.com");
    assert_eq!(
        state["noise_suppression"],
        json!({"status": "active", "direction": "outbound", "engine": "Krisp"})
    );
    assert_eq!(state["supervisor_role"], "whisper");
    assert_eq!(state["client_state"], state_b64);
}

fn invalid_actions_are_refused_before_telnyx(ctx: &Ctx) {
    let call = "v3:e2e-invalid-actions";
    let reply = ctx.act(
        "POST",
        call,
        "send_dtmf",
        &json!({"digits": "12x", "duration_millis": 501}),
    );
    assert_eq!(reply.status, 422, "{}", reply.body);
    let pointers: Vec<String> = reply.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["source"]["pointer"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(pointers, ["/digits", "/duration_millis"]);
    let reply = ctx.act(
        "POST",
        call,
        "switch_supervisor_role",
        &json!({"role": "boss"}),
    );
    assert_eq!(
        (reply.status, reply.error_code().as_str()),
        (422, "invalid_parameter")
    );
    let reply = ctx.act(
        "POST",
        call,
        "siprec_start",
        &json!({"session_timeout_secs": 45}),
    );
    assert_eq!(reply.status, 422);
    let reply = ctx.act("POST", call, "transfer_call", &json!({}));
    assert_eq!(
        (reply.status, reply.error_code().as_str()),
        (404, "unknown_action")
    );
    let auth = [("authorization".to_string(), format!("Bearer {ADMIN_TOKEN}"))];
    let reply = ctx.call("POST", "/calls/v3%3Ax/actions/refer", &auth, b"{not json");
    assert_eq!(
        (reply.status, reply.error_code().as_str()),
        (400, "invalid_json")
    );
    let reply = ctx.call("POST", "/calls/v3%3Ax/actions/refer", &[], b"{}");
    assert_eq!(reply.status, 401);
    assert!(ctx.telnyx_requests().is_empty(), "nothing reached Telnyx");
}

fn telnyx_failures_are_retried_passed_back_and_recorded(ctx: &Ctx) {
    let call = "v3:e2e-retries";
    ctx.answered_call(call);
    ctx.telnyx
        .then(TelnyxReply::error(429, "10011", "Too many requests").retry_after("1"))
        .then(TelnyxReply::error(500, "50000", "Internal error"));
    let reply = ctx.act("POST", call, "send_dtmf", &json!({"digits": "9"}));
    assert_eq!(reply.status, 200, "{}", reply.body);
    let sent = ctx.telnyx_requests();
    assert_eq!(sent.len(), 3);
    assert!(
        sent.iter().all(|r| r.body == sent[0].body),
        "one command_id on every attempt"
    );

    ctx.telnyx
        .then(TelnyxReply::error(422, "90018", "Call has already ended"));
    let reply = ctx.act("POST", call, "hangup", &json!({}));
    assert_eq!((reply.status, reply.error_code().as_str()), (422, "90018"));
    assert_eq!(ctx.telnyx_requests().len(), 1, "a refusal is not retried");

    let actions = ctx.state(call)["actions"].as_array().unwrap().clone();
    assert_eq!(actions[0]["status"], "succeeded");
    assert_eq!(actions[1]["status"], "failed");
    assert_eq!(actions[1]["http_status"], 422);
    assert!(actions[1]["error"].as_str().unwrap().contains("90018"));
}

fn the_worker_log_holds_no_secret(ctx: &Ctx, log: &str) {
    let _ = ctx;
    assert!(
        log.contains("\"msg\":\"webhook\""),
        "the worker logged no webhook lines"
    );
    assert!(
        log.contains("\"msg\":\"action\""),
        "the worker logged no action lines"
    );
    let public_key = ctx.signer.public_key_base64();
    let previous_key = ctx.previous_signer.public_key_base64();
    let secrets = [
        ADMIN_TOKEN,
        API_KEY,
        &public_key,
        &previous_key,
        "eyJmbG93IjoiaXZyIiwic3RlcCI6Mn0=",
        "sip_auth_password",
    ];
    let leaked = leaks(log, &secrets);
    assert!(leaked.is_empty(), "the worker log carries {leaked:?}");
}

// --- automations (a second worker, configured by the shipped examples) ----------------

const INBOUND: &str = "aW5ib3VuZA==";
const PRIMARY: &str = "sip:agents@pbx-primary.example.com";
const BACKUP: &str = "sip:agents@pbx-backup.example.com";
const SUPERVISOR: &str = "sip:supervisor@pbx.example.com";

/// The path of `action` sent to `call`, as the worker sends it.
fn action_path(call: &str, action: &str) -> String {
    format!("/v2/calls/{}/actions/{action}", call.replace(':', "%3A"))
}

impl Ctx {
    /// Waits (briefly, automations run after the response) for exactly `expected`
    /// requests at the fake Telnyx, and returns them as `(action, body)`; a Dial's
    /// action is `calls`, its path's last segment.
    fn expect_requests(&self, expected: usize) -> Vec<(String, Value)> {
        self.expect_recorded(expected)
            .iter()
            .map(|r| (r.action().to_owned(), r.json()))
            .collect()
    }

    /// Like [`Self::expect_requests`], the requests as recorded.
    fn expect_recorded(&self, expected: usize) -> Vec<Recorded> {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while self.telnyx.requests().len() < expected && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(25));
        }
        // A moment more, so a request too many would show.
        std::thread::sleep(Duration::from_millis(150));
        let requests = self.telnyx_requests();
        let sent: Vec<(&str, &str)> = requests
            .iter()
            .map(|r| (r.path.as_str(), r.body.as_str()))
            .collect();
        assert_eq!(
            requests.len(),
            expected,
            "requests at the fake Telnyx: {sent:?}"
        );
        requests
    }

    /// `POST /calls/{call}/supervise`, answered by the fake Telnyx with the leg `leg`.
    fn supervise(&self, call: &str, leg: &str, role: &str) {
        self.telnyx.then(TelnyxReply::dialed(leg));
        let auth = [("authorization".to_string(), format!("Bearer {ADMIN_TOKEN}"))];
        let path = format!("/calls/{}/supervise", call.replace(':', "%3A"));
        let body = json!({"to": SUPERVISOR, "role": role}).to_string();
        let reply = self.call("POST", &path, &auth, body.as_bytes());
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.json()["data"]["call_control_id"], leg);
    }

    fn accepted(&self, body: &Value) {
        let reply = self.deliver(body);
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert_eq!(reply.json()["status"], "accepted");
    }
}

fn actions_of(sent: &[(String, Value)]) -> Vec<&str> {
    sent.iter().map(|(action, _)| action.as_str()).collect()
}

/// One DTMF digit pressed on `call`.
fn dtmf(call: &str, id: &str, second: u32, digit: &str) -> Value {
    with_payload(
        event(call, "call.dtmf.received", id, second),
        "digit",
        json!(digit),
    )
}

fn with_payload(mut body: Value, field: &str, value: Value) -> Value {
    deliveries::set_payload(&mut body, field, value);
    body
}

fn every_signed_event_sends_exactly_what_the_rules_say(ctx: &Ctx) {
    let call = "v3:e2e-automations";
    let ev = |event_type: &str, id: &str, second: u32| event(call, event_type, id, second);

    ctx.accepted(&ev("call.initiated", "auto-initiated", 1));
    let sent = ctx.expect_requests(1);
    assert_eq!(actions_of(&sent), ["answer"]);
    assert_eq!(sent[0].1["client_state"], INBOUND);
    assert_eq!(
        sent[0].1["command_id"],
        command_id("auto-initiated", "answer-inbound", 0)
    );

    let answered = with_payload(
        ev("call.answered", "auto-answered", 2),
        "client_state",
        json!(INBOUND),
    );
    ctx.accepted(&answered);
    let sent = ctx.expect_requests(2);
    assert_eq!(actions_of(&sent), ["siprec_start", "suppression_start"]);

    // The caller presses 0: a supervisor leg is dialed onto the call, monitoring.
    let leg = "v3:e2e-automations-supervisor";
    ctx.telnyx.then(TelnyxReply::dialed(leg));
    ctx.accepted(&with_payload(
        dtmf(call, "auto-zero", 3, "0"),
        "client_state",
        json!(INBOUND),
    ));
    let sent = ctx.expect_recorded(1);
    assert_eq!(sent[0].path, "/v2/calls");
    let dial = sent[0].json();
    assert_eq!(dial["supervise_call_control_id"], call);
    assert_eq!(dial["supervisor_role"], "monitor");
    assert_eq!(dial["to"], SUPERVISOR);
    assert_eq!(dial["from"], "+13125550199", "the number the caller called");
    assert_eq!(
        dial["command_id"],
        command_id("auto-zero", "supervisor-dial", 0)
    );
    // The leg is a call, and a supervisor leg, from the Dial's answer on.
    let deadline = Instant::now() + Duration::from_secs(10);
    while ctx.get_call(leg).json()["supervisor_role"] != "monitor" {
        assert!(Instant::now() < deadline, "{}", ctx.get_call(leg).body);
        std::thread::sleep(Duration::from_millis(50));
    }
    // The supervisor presses 1 on their own leg: barge, sent to that leg.
    ctx.accepted(&dtmf(leg, "auto-leg-one", 4, "1"));
    let sent = ctx.expect_recorded(1);
    assert_eq!(sent[0].path, action_path(leg, "switch_supervisor_role"));
    assert_eq!(sent[0].json(), json!({"role": "barge"}));

    let failed = ev("call.siprec.failed", "auto-siprec-failed", 5);
    ctx.accepted(&failed);
    assert_eq!(actions_of(&ctx.expect_requests(1)), ["siprec_start"]);
    // A redelivery is a duplicate and triggers nothing.
    assert_eq!(ctx.deliver(&failed).json()["status"], "duplicate");
    ctx.expect_requests(0);

    let reply = ctx.act("POST", call, "refer", &json!({"sip_address": PRIMARY}));
    assert_eq!(reply.status, 200, "{}", reply.body);
    ctx.expect_requests(1);
    ctx.accepted(&ev("call.refer.failed", "auto-refer-failed", 6));
    let sent = ctx.expect_requests(1);
    assert_eq!(sent[0].1["sip_address"], BACKUP);
    assert_eq!(
        sent[0].1["custom_headers"],
        json!([{"name": "X-Failover-From", "value": PRIMARY}])
    );

    ctx.accepted(&ev("call.refer.completed", "auto-refer-completed", 7));
    let sent = ctx.expect_requests(1);
    assert_eq!(
        sent[0],
        (
            "client_state_update".to_owned(),
            json!({"client_state": "dHJhbnNmZXJyZWQ="})
        )
    );

    ctx.accepted(&ev("call.bridged", "auto-bridged", 8));
    assert_eq!(actions_of(&ctx.expect_requests(1)), ["suppression_stop"]);

    let state = ctx.state(call);
    let recorded: Vec<(String, String, String)> = state["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let text = |key: &str| a[key].as_str().unwrap_or("-").to_owned();
            (text("action"), text("rule"), text("status"))
        })
        .collect();
    let expected = [
        ("answer", "answer-inbound"),
        ("siprec_start", "record-inbound"),
        ("suppression_start", "suppress-noise"),
        ("dial", "supervisor-dial"),
        ("siprec_start", "retry-siprec"),
        ("refer", "-"),
        ("refer", "refer-failover"),
        ("client_state_update", "stamp-transferred"),
        ("suppression_stop", "unsuppress-on-bridge"),
    ];
    let expected: Vec<(String, String, String)> = expected
        .iter()
        .map(|(a, r)| (a.to_string(), r.to_string(), "succeeded".to_string()))
        .collect();
    assert_eq!(recorded, expected);
    assert_eq!(
        state["supervisor_role"],
        Value::Null,
        "the call supervises no one"
    );
    assert_eq!(state["noise_suppression"]["status"], "stopped");
    let leg_state = ctx.state(leg);
    assert_eq!(leg_state["supervising"], call);
    assert_eq!(leg_state["supervisor_role"], "barge");
    let state = wait_for_state(ctx, call, Duration::from_secs(10), |s| {
        s["supervisors"][0]["role"] == "barge"
    });
    assert_eq!(state["supervisors"][0]["call_control_id"], leg);
    assert_eq!(state["refer"]["sip_address"], BACKUP);
}

fn events_delivered_at_once_respect_the_limit(ctx: &Ctx) {
    let call = "v3:e2e-limit";
    ctx.accepted(&with_payload(
        event(call, "call.answered", "limit-answered", 1),
        "client_state",
        json!(INBOUND),
    ));
    let mut sent = ctx.expect_requests(2);
    sent.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(actions_of(&sent), ["siprec_start", "suppression_start"]);
    // All at once, as Telnyx may: each plan must see what the others recorded.
    std::thread::scope(|scope| {
        for n in 0..5 {
            scope.spawn(move || {
                let id = format!("limit-failed-{n}");
                ctx.accepted(&event(call, "siprec.failed", &id, 2 + n));
            });
        }
    });
    let sent = ctx.expect_requests(3);
    assert_eq!(
        actions_of(&sent),
        ["siprec_start"; 3],
        "retry-siprec allows 3"
    );
}

/// Waits until `done` holds for the call's state, or fails after `limit`.
fn wait_for_state(ctx: &Ctx, call: &str, limit: Duration, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + limit;
    loop {
        let state = ctx.state(call);
        if done(&state) {
            return state;
        }
        assert!(Instant::now() < deadline, "gave up waiting: {state}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn fifty_concurrent_copies_are_accepted_once_and_acted_on_once(ctx: &Ctx) {
    let call = "v3:e2e-fifty-copies";
    let answered = with_payload(
        event(call, "call.answered", "fifty-answered", 2),
        "client_state",
        json!(INBOUND),
    );
    let statuses: Vec<String> = std::thread::scope(|scope| {
        let copies: Vec<_> = (0..50)
            .map(|_| scope.spawn(|| ctx.deliver(&answered)))
            .collect();
        copies
            .into_iter()
            .map(|copy| {
                let reply = copy.join().expect("a delivering thread");
                assert_eq!(reply.status, 200, "{}", reply.body);
                reply.json()["status"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect()
    });
    let accepted = statuses.iter().filter(|s| *s == "accepted").count();
    assert_eq!(accepted, 1, "{statuses:?}");
    assert_eq!(statuses.len(), 50);
    let mut sent = ctx.expect_requests(2);
    sent.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(actions_of(&sent), ["siprec_start", "suppression_start"]);
    // No command_id protects siprec_start at Telnyx: it went out once all the same.
    assert_eq!(sent[0].1.get("command_id"), None);
    assert_eq!(ctx.state(call)["events"].as_array().unwrap().len(), 1);
}

fn a_supervisors_keys_against_a_slow_telnyx_switch_in_order(ctx: &Ctx) {
    let call = "v3:e2e-slow-dtmf";
    let leg = "v3:e2e-slow-dtmf-supervisor";
    ctx.accepted(&event(call, "call.bridged", "slow-bridged", 1));
    ctx.telnyx.clear();
    ctx.supervise(call, leg, "monitor");
    ctx.expect_requests(1);
    // Telnyx takes 500 ms to answer each command; the keys are typed 150 ms apart.
    ctx.telnyx.always(TelnyxReply::ok().delayed(500));
    ctx.accepted(&dtmf(leg, "slow-two", 2, "2"));
    std::thread::sleep(Duration::from_millis(150));
    ctx.accepted(&dtmf(leg, "slow-one", 3, "1"));
    let sent = ctx.expect_recorded(2);
    let roles: Vec<Value> = sent.iter().map(|r| r.json()["role"].clone()).collect();
    assert_eq!(
        roles,
        [json!("whisper"), json!("barge")],
        "in the order typed"
    );
    assert!(sent
        .iter()
        .all(|r| r.path == action_path(leg, "switch_supervisor_role")));
    let state = wait_for_state(ctx, leg, Duration::from_secs(10), |s| {
        s["actions"]
            .as_array()
            .is_some_and(|actions| actions.iter().all(|a| a["status"] == "succeeded"))
    });
    assert_eq!(state["supervisor_role"], "barge");
    ctx.telnyx.clear();
}

fn an_alarm_driven_retry_keeps_the_command_id(ctx: &Ctx) {
    let call = "v3:e2e-alarm-retry";
    ctx.telnyx
        .then(TelnyxReply::error(503, "90001", "Service unavailable"));
    ctx.accepted(&with_payload(
        event(call, "call.initiated", "retry-initiated", 1),
        "direction",
        json!("incoming"),
    ));
    // No cron trigger exists: the object's alarm sends it again, about a second later.
    let sent = ctx.expect_requests(2);
    let expected = command_id("retry-initiated", "answer-inbound", 0);
    assert_eq!(sent[0].1["command_id"], expected);
    assert_eq!(sent[1].1["command_id"], expected);
    let state = wait_for_state(ctx, call, Duration::from_secs(10), |s| {
        s["actions"][0]["status"] == "succeeded"
    });
    assert_eq!(state["actions"].as_array().unwrap().len(), 1);
}

fn a_5xx_is_recorded_failed_and_not_resent_after_60_seconds(ctx: &Ctx) {
    let call = "v3:e2e-outcome-unknown";
    ctx.telnyx
        .always(TelnyxReply::error(503, "90001", "Service unavailable"));
    let started = Instant::now();
    ctx.accepted(&with_payload(
        event(call, "call.initiated", "unknown-initiated", 1),
        "direction",
        json!("incoming"),
    ));
    let state = wait_for_state(ctx, call, Duration::from_secs(80), |s| {
        s["actions"][0]["status"] == "failed"
    });
    let error = state["actions"][0]["error"].as_str().unwrap_or_default();
    assert!(error.contains("outcome unknown"), "{error}");
    let attempts = ctx.telnyx.requests().len();
    assert!(attempts >= 3, "{attempts} attempts");
    let last_attempt = started.elapsed();
    assert!(
        last_attempt < Duration::from_secs(60),
        "failed only after {last_attempt:?}, {attempts} attempts: {}",
        state["actions"][0]
    );
    // Past Telnyx's 60 s window, nothing is resent.
    std::thread::sleep(Duration::from_secs(65).saturating_sub(started.elapsed()));
    std::thread::sleep(Duration::from_secs(3));
    let sent = ctx.telnyx_requests();
    assert_eq!(sent.len(), attempts, "resent after the window");
    let expected = command_id("unknown-initiated", "answer-inbound", 0);
    assert!(sent.iter().all(|r| r.json()["command_id"] == expected));
    ctx.telnyx.clear();
}

fn a_restart_mid_call_loses_nothing(ctx: &Ctx) {
    let call = "v3:e2e-restart";
    let leg = "v3:e2e-restart-supervisor";
    ctx.accepted(&event(call, "call.bridged", "restart-bridged", 1));
    ctx.telnyx.clear();
    ctx.supervise(call, leg, "monitor");
    ctx.expect_requests(1);
    // An action still open when wrangler stops: Telnyx is rate-limiting it.
    ctx.telnyx
        .always(TelnyxReply::error(429, "10011", "Too many requests").retry_after("4"));
    ctx.accepted(&dtmf(leg, "restart-one", 3, "1"));
    wait_for_state(ctx, leg, Duration::from_secs(10), |s| {
        s["actions"].as_array().is_some_and(|a| a.len() == 2)
    });
    let before = ctx.state(leg);
    ctx.worker
        .lock()
        .unwrap()
        .restart()
        .expect("wrangler restarts");
    ctx.telnyx.always(TelnyxReply::ok());
    let after = ctx.state(leg);
    assert_eq!(
        after["events"], before["events"],
        "every event is still there"
    );
    assert_eq!(after["actions"].as_array().unwrap().len(), 2);
    assert_eq!(
        after["supervising"], call,
        "and the leg is still a supervisor leg"
    );
    // The open action goes out after the restart (its alarm is set again), once.
    ctx.accepted(&event(leg, "call.hangup", "restart-hangup", 4));
    let state = wait_for_state(ctx, leg, Duration::from_secs(30), |s| {
        s["actions"]
            .as_array()
            .is_some_and(|actions| actions.iter().all(|a| a["status"] == "succeeded"))
    });
    assert_eq!(state["supervisor_role"], "barge");
    assert_eq!(state["events"].as_array().unwrap().len(), 2);
    let requests = ctx.telnyx_requests();
    let barges = requests
        .iter()
        .filter(|r| {
            r.path == action_path(leg, "switch_supervisor_role") && r.json()["role"] == "barge"
        })
        .count();
    assert!(barges >= 1, "{requests:?}");
    assert_eq!(
        ctx.deliver(&dtmf(leg, "restart-one", 3, "1")).json()["status"],
        "duplicate",
        "claims survive the restart"
    );
}

fn health_counts_the_example_rules(ctx: &Ctx) {
    let health = ctx.call("GET", "/health", &[], b"").json();
    assert_eq!(health["status"], "ok", "{health}");
    assert_eq!(health["config"]["automations"], 11);
}

const AUTOMATION_CASES: &[(&str, Case)] = &[
    (
        "health_counts_the_example_rules",
        health_counts_the_example_rules,
    ),
    (
        "every_signed_event_sends_exactly_what_the_rules_say",
        every_signed_event_sends_exactly_what_the_rules_say,
    ),
    (
        "events_delivered_at_once_respect_the_limit",
        events_delivered_at_once_respect_the_limit,
    ),
    (
        "fifty_concurrent_copies_are_accepted_once_and_acted_on_once",
        fifty_concurrent_copies_are_accepted_once_and_acted_on_once,
    ),
    (
        "a_supervisors_keys_against_a_slow_telnyx_switch_in_order",
        a_supervisors_keys_against_a_slow_telnyx_switch_in_order,
    ),
    (
        "an_alarm_driven_retry_keeps_the_command_id",
        an_alarm_driven_retry_keeps_the_command_id,
    ),
    (
        "a_5xx_is_recorded_failed_and_not_resent_after_60_seconds",
        a_5xx_is_recorded_failed_and_not_resent_after_60_seconds,
    ),
    (
        "a_restart_mid_call_loses_nothing",
        a_restart_mid_call_loses_nothing,
    ),
];

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
        "hostile_requests_get_their_documented_status_and_leave_no_trace",
        hostile_requests_get_their_documented_status_and_leave_no_trace,
    ),
    (
        "mixed_case_headers_and_rotated_keys_are_accepted",
        mixed_case_headers_and_rotated_keys_are_accepted,
    ),
    ("oversized_bodies_are_413", oversized_bodies_are_413),
    (
        "oversized_chunked_bodies_without_a_length_are_413",
        oversized_chunked_bodies_without_a_length_are_413,
    ),
    ("wrong_methods_and_paths", wrong_methods_and_paths),
    (
        "the_console_is_served_by_the_worker",
        the_console_is_served_by_the_worker,
    ),
    (
        "operator_api_wants_the_bearer_token",
        operator_api_wants_the_bearer_token,
    ),
    (
        "siprec_failure_under_the_call_prefix",
        siprec_failure_under_the_call_prefix,
    ),
    (
        "operator_actions_reach_telnyx_and_shape_the_call",
        operator_actions_reach_telnyx_and_shape_the_call,
    ),
    (
        "invalid_actions_are_refused_before_telnyx",
        invalid_actions_are_refused_before_telnyx,
    ),
    (
        "telnyx_failures_are_retried_passed_back_and_recorded",
        telnyx_failures_are_retried_passed_back_and_recorded,
    ),
    (
        "a_request_that_panics_leaves_the_next_ones_served",
        a_request_that_panics_leaves_the_next_ones_served,
    ),
];

fn run(name: &str, case: impl FnOnce()) -> bool {
    run_case("e2e", name, case)
}

/// Starts a worker, runs `cases` against it, and counts the outcomes into `tally`.
fn run_group(
    label: &str,
    vars: Vec<(&str, String)>,
    extra_toml: Option<&str>,
    cases: &[(&str, Case)],
    keys: (&WebhookSigner, &WebhookSigner),
    telnyx: &FakeTelnyxServer,
    tally: &mut (usize, usize),
) {
    println!("e2e: starting the release build under wrangler dev ({label})");
    let worker = match WranglerDev::start_with(&vars, extra_toml) {
        Ok(worker) => worker,
        Err(error) => {
            eprintln!("e2e: {error}");
            tally.1 += 1;
            return;
        }
    };
    println!("e2e: worker ready at {}", worker.base_url);
    let ctx = Ctx {
        base_url: worker.base_url.clone(),
        agent: ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(60))
            .build(),
        signer: keys.0.clone(),
        previous_signer: keys.1.clone(),
        telnyx: telnyx.fake.clone(),
        worker: Mutex::new(worker),
    };
    ctx.telnyx.clear();
    let failed_before = tally.1;
    for (name, case) in cases {
        if run(name, || case(&ctx)) {
            tally.0 += 1;
        } else {
            tally.1 += 1;
        }
    }
    let log = ctx.worker.lock().unwrap().log();
    if run("the_worker_log_holds_no_secret", || {
        the_worker_log_holds_no_secret(&ctx, &log)
    }) {
        tally.0 += 1;
    } else {
        tally.1 += 1;
    }
    if tally.1 > failed_before {
        eprintln!(
            "e2e: wrangler dev log (tail):\n{}",
            ctx.worker.lock().unwrap().log_tail()
        );
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
    let telnyx = FakeTelnyxServer::start(FakeTelnyx::new());
    println!("e2e: fake Telnyx at {}", telnyx.api_base);
    let vars = |automations: Option<&str>| {
        let mut vars = vec![
            ("TELNYX_PUBLIC_KEY", keys.clone()),
            ("ADMIN_TOKEN", ADMIN_TOKEN.to_owned()),
            ("TELNYX_API_KEY", API_KEY.to_owned()),
            ("TELNYX_API_BASE", telnyx.api_base.clone()),
            ("WEBHOOK_TOLERANCE_SECS", "300".to_owned()),
            ("DEBUG_PANIC", "true".to_owned()),
            // Every webhook's line, so the log checks read them all.
            ("LOG_WEBHOOKS", "all".to_owned()),
        ];
        // `Some("")` overrides whatever a developer's .dev.vars holds; `None` leaves the
        // rules to the TOML table (which a .dev.vars AUTOMATIONS would override).
        if let Some(automations) = automations {
            vars.push(("AUTOMATIONS", automations.to_owned()));
        }
        vars
    };
    let mut tally = (0, 0);
    run_group(
        "no automations",
        vars(Some("")),
        None,
        CASES,
        (&signer, &previous_signer),
        &telnyx,
        &mut tally,
    );
    // The shipped examples, as a TOML table in wrangler.toml.
    let examples = joined_toml(&EXAMPLES);
    run_group(
        "the example automations",
        vars(None),
        Some(&examples),
        AUTOMATION_CASES,
        (&signer, &previous_signer),
        &telnyx,
        &mut tally,
    );
    let (passed, failed) = tally;
    println!("{passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
