//! Cloudflare Access end to end: the release build under `wrangler dev`, a loopback
//! server standing in for `{team}/cdn-cgi/access/certs` (`ACCESS_TEAM_DOMAIN` may be
//! plain http on loopback), and tokens the test signs with its own RSA keys, sent in
//! `Cf-Access-Jwt-Assertion` as Access would. Covers sign-in, every refusal, `by` on
//! actions, a key rotation with no deploy, and the certs server down with and without
//! kept keys.

mod support;

use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

use support::access::{claims, header, key_set, TestKey, AUD};
use support::deliveries::call_event;
use support::fake_telnyx::{FakeTelnyx, FakeTelnyxServer};
use support::json_http::{deliver_signed, exchange};
use support::runner::run_case;
use support::secrets::leaks;
use support::wrangler::WranglerDev;
use telnyx_edge::simulator::loopback::{LoopbackServer, Response};
use telnyx_edge::simulator::signing::{unix_now, WebhookSigner, END_TO_END_SEED};

const ADMIN_TOKEN: &str = "e2e-access-admin-token-5c2e";
const ANA: &str = "ana@example.com";
/// An operator whose email no HTTP header value could hold as it is.
const ZHANG: &str = "张伟@例子.example";
/// Past the worker's least time between two fetches of the keys (60 s).
const REFETCH_WAIT: Duration = Duration::from_secs(62);

/// The certs server: what it serves (`None`: down, answering 503), how often it was
/// asked, and how long it takes to answer.
#[derive(Clone, Default)]
struct Certs(Arc<Mutex<(Option<String>, usize, Duration)>>);

impl Certs {
    fn serve(&self, key_set: Option<String>) {
        self.0.lock().unwrap().0 = key_set;
    }

    fn fetches(&self) -> usize {
        self.0.lock().unwrap().1
    }

    fn answer_after(&self, delay: Duration) {
        self.0.lock().unwrap().2 = delay;
    }
}

fn start_certs(certs: Certs) -> LoopbackServer {
    LoopbackServer::start(0, move |request| {
        let (served, delay) = {
            let mut state = certs.0.lock().unwrap();
            state.1 += 1;
            (state.0.clone(), state.2)
        };
        thread::sleep(delay);
        match (request.url.as_str(), served) {
            ("/cdn-cgi/access/certs", Some(body)) => Response::json(200, body),
            (_, Some(_)) => Response::json(404, "{}"),
            (_, None) => Response::text(503, "down"),
        }
    })
    .expect("bind loopback")
}

struct Ctx {
    base_url: String,
    team: String,
    agent: ureq::Agent,
    signer: WebhookSigner,
}

impl Ctx {
    fn request(
        &self,
        method: &str,
        path: &str,
        jwt: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let mut request = self
            .agent
            .request(method, &format!("{}{path}", self.base_url));
        if let Some(jwt) = jwt {
            request = request.set("cf-access-jwt-assertion", jwt);
        }
        exchange(request, body, &format!("{method} {path}"))
    }

    fn operator(&self, jwt: &str) -> (u16, Value) {
        self.request("GET", "/operator", Some(jwt), None)
    }

    /// A token for this worker's team, signed by `key`.
    fn token(&self, key: &TestKey, change: Value) -> String {
        let mut claims = claims(ANA, unix_now());
        claims["iss"] = json!(self.team);
        for (name, value) in change.as_object().into_iter().flatten() {
            claims[name] = value.clone();
        }
        key.token(&header(key.kid), &claims)
    }

    fn deliver(&self, body: &Value) {
        let answer = deliver_signed(&self.agent, &self.base_url, &self.signer, body);
        assert_eq!(answer.0, 200, "{}", answer.1);
    }
}

fn code(answer: &(u16, Value)) -> (u16, String) {
    (
        answer.0,
        answer.1["errors"][0]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    )
}

fn signs_in_and_says_who_acted(ctx: &Ctx, certs: &Certs) {
    let first = TestKey::first();
    let token = ctx.token(&first, json!({}));
    // The isolate's first requests arrive together while its one fetch of the keys
    // takes a second: they all wait for it.
    certs.answer_after(Duration::from_secs(1));
    let answers: Vec<(u16, Value)> = thread::scope(|scope| {
        let asking: Vec<_> = (0..5)
            .map(|_| scope.spawn(|| ctx.operator(&token)))
            .collect();
        asking
            .into_iter()
            .map(|asked| asked.join().unwrap())
            .collect()
    });
    certs.answer_after(Duration::ZERO);
    for answer in answers {
        assert_eq!(answer, (200, json!({"id": ANA, "via": "access"})));
    }
    assert_eq!(certs.fetches(), 1);
    let call = "v3:e2e-access-call";
    ctx.deliver(&call_event(call, "call.answered", "access-answered", 1));
    let (status, _) = ctx.request(
        "POST",
        "/calls/v3%3Ae2e-access-call/actions/send_dtmf",
        Some(&token),
        Some(&json!({"digits": "1"})),
    );
    assert_eq!(status, 200);
    let zhang = ctx.token(&first, json!({"email": ZHANG}));
    let (status, _) = ctx.request(
        "POST",
        "/calls/v3%3Ae2e-access-call/actions/send_dtmf",
        Some(&zhang),
        Some(&json!({"digits": "2"})),
    );
    assert_eq!(status, 200);
    let (status, state) = ctx.request("GET", "/calls/v3%3Ae2e-access-call", Some(&token), None);
    assert_eq!(status, 200);
    assert_eq!(state["actions"][0]["by"], ANA);
    assert_eq!(state["actions"][1]["by"], ZHANG);
    // No other header is trusted, and no token is no operator.
    let (status, _) = ctx
        .agent
        .get(&format!("{}/operator", ctx.base_url))
        .set("cf-access-authenticated-user-email", ANA)
        .call()
        .map(|r| (r.status(), ()))
        .unwrap_or_else(|e| match e {
            ureq::Error::Status(status, _) => (status, ()),
            other => panic!("{other}"),
        });
    assert_eq!(status, 401);
}

fn every_bad_token_is_refused_with_its_check(ctx: &Ctx) {
    let first = TestKey::first();
    let now = unix_now();
    let valid = ctx.token(&first, json!({}));
    let (signed, signature) = valid.rsplit_once('.').unwrap();
    // Another operator's email under the original signature.
    let mut other = claims(ANA, now);
    other["iss"] = json!(ctx.team);
    other["email"] = json!("mallory@example.com");
    let head = signed.split('.').next().unwrap();
    let tampered = format!("{head}.{}.{signature}", support::access::encode(&other));
    for (token, expected) in [
        (
            ctx.token(&first, json!({"exp": now - 61})),
            "access_token_expired",
        ),
        (
            ctx.token(&first, json!({"nbf": now + 120})),
            "access_token_not_yet_valid",
        ),
        (
            ctx.token(&first, json!({"aud": ["a-third-app"]})),
            "access_token_audience",
        ),
        (
            ctx.token(&first, json!({"iss": "https://evil.cloudflareaccess.com"})),
            "access_token_issuer",
        ),
        (
            format!(
                "{signed}.{}",
                URL_SAFE_NO_PAD.encode(&URL_SAFE_NO_PAD.decode(signature).unwrap()[..128])
            ),
            "access_token_signature",
        ),
        (tampered, "access_token_signature"),
        ("not-a-jwt".to_owned(), "access_token_malformed"),
    ] {
        assert_eq!(
            code(&ctx.operator(&token)),
            (401, expected.to_owned()),
            "{expected}"
        );
    }
}

fn a_rotated_key_is_fetched_with_no_deploy(ctx: &Ctx, certs: &Certs) {
    let (first, second) = (TestKey::first(), TestKey::second());
    certs.serve(Some(key_set(&[&first, &second])));
    let fetched = certs.fetches();
    // A made-up kid within the minute fetches nothing.
    let forged = first.token(&header("made-up"), &claims(ANA, unix_now()));
    assert_eq!(code(&ctx.operator(&forged)).0, 401);
    assert_eq!(certs.fetches(), fetched, "no fetch within the minute");
    thread::sleep(REFETCH_WAIT);
    let token = ctx.token(&second, json!({}));
    assert_eq!(
        ctx.operator(&token).0,
        200,
        "the new key, fetched on its unknown kid"
    );
    assert_eq!(certs.fetches(), fetched + 1);
    // The certs server goes down: the kept keys still serve.
    certs.serve(None);
    assert_eq!(ctx.operator(&ctx.token(&second, json!({}))).0, 200);
    assert_eq!(ctx.operator(&ctx.token(&first, json!({}))).0, 200);
}

fn main() -> ExitCode {
    let signer = WebhookSigner::from_seed(END_TO_END_SEED);
    let telnyx = FakeTelnyxServer::start(FakeTelnyx::new());
    let certs = Certs::default();
    certs.serve(Some(key_set(&[&TestKey::first()])));
    let server = start_certs(certs.clone());
    let team = server.base.clone();
    let vars = [
        ("TELNYX_PUBLIC_KEY", signer.public_key_base64()),
        ("ADMIN_TOKEN", ADMIN_TOKEN.to_owned()),
        ("TELNYX_API_KEY", "e2e-access-api-key".to_owned()),
        ("TELNYX_API_BASE", telnyx.api_base.clone()),
        ("ACCESS_TEAM_DOMAIN", team.clone()),
        ("ACCESS_AUD", format!("another-app {AUD}")),
    ];
    let mut worker = match WranglerDev::start(&vars) {
        Ok(worker) => worker,
        Err(error) => {
            eprintln!("e2e_access: wrangler dev did not start: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!("e2e_access: worker at {}, certs at {team}", worker.base_url);
    let ctx = Ctx {
        base_url: worker.base_url.clone(),
        team: team.clone(),
        agent: ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(30))
            .build(),
        signer,
    };
    let mut failed = 0;
    let mut run = |name: &str, case: &dyn Fn()| {
        if !run_case("e2e_access", name, case) {
            failed += 1;
        }
    };
    run("signs_in_and_says_who_acted", &|| {
        signs_in_and_says_who_acted(&ctx, &certs)
    });
    run("every_bad_token_is_refused_with_its_check", &|| {
        every_bad_token_is_refused_with_its_check(&ctx)
    });
    run("a_rotated_key_is_fetched_with_no_deploy", &|| {
        a_rotated_key_is_fetched_with_no_deploy(&ctx, &certs)
    });
    // A new isolate with the certs server down holds no keys: 503 until it is back.
    let restarted = worker.restart();
    run("the_certs_server_down_with_no_keys_kept_is_503", &|| {
        restarted.clone().expect("wrangler dev restarts");
        let token = ctx.token(&TestKey::first(), json!({}));
        assert_eq!(
            code(&ctx.operator(&token)),
            (503, "access_unavailable".to_owned())
        );
        let admin = ctx
            .agent
            .get(&format!("{}/operator", ctx.base_url))
            .set("authorization", &format!("Bearer {ADMIN_TOKEN}"))
            .call()
            .expect("the admin token needs no Access");
        assert_eq!(admin.status(), 200);
        certs.serve(Some(key_set(&[&TestKey::first()])));
        thread::sleep(REFETCH_WAIT);
        assert_eq!(
            ctx.operator(&ctx.token(&TestKey::first(), json!({}))).0,
            200
        );
    });
    let log = worker.log();
    run("the_worker_log_holds_no_token", &|| {
        let found = leaks(&log, &[ADMIN_TOKEN]);
        assert!(found.is_empty(), "{found:?}");
    });
    if failed > 0 {
        eprintln!(
            "e2e_access: wrangler dev log (tail):\n{}",
            worker.log_tail()
        );
        ExitCode::FAILURE
    } else {
        println!("e2e_access: all passed");
        ExitCode::SUCCESS
    }
}
