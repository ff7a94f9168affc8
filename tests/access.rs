//! Operators signed in through Cloudflare Access, over in-memory ports: the verifier
//! against a table of tokens the test signs with its own RSA keys, the key cache
//! (rotation, the fetch limit, the certs server down), `GET /operator`, and who took
//! each action (`by`) on the call, its supervisors and the log.

mod support;

use std::cell::Cell;
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use futures_util::future::join_all;
use hmac::{KeyInit, Mac};
use pollster::block_on;
use serde_json::{json, Value};

use support::access::{claims, encode, header, key_set, TestKey, AUD, TEAM};
use support::harness::*;
use support::secrets::leaks;
use telnyx_edge::app::access_keys::{KEYS_FRESH_MS, REFETCH_MS};
use telnyx_edge::ports::http::{Request, Response};
use telnyx_edge::ports::memory::ManualClock;
use telnyx_edge::ports::{Clock, HttpClient, HttpError, HttpRequest, HttpResponse};

const ANA: &str = "ana@example.com";
/// An operator whose email no HTTP header value could hold as it is.
const ZHANG: &str = "张伟@例子.example";

fn with_access() -> Harness {
    let h = Harness::with_vars(&[
        ("ACCESS_TEAM_DOMAIN", TEAM),
        ("ACCESS_AUD", &format!("another-app-aud {AUD}")),
    ]);
    h.telnyx.serve_certs(Some(key_set(&[&TestKey::first()])));
    h
}

fn now_secs(h: &Harness) -> i64 {
    h.clock_secs() as i64
}

impl Harness {
    fn as_operator(&self, method: &str, path: &str, jwt: &str, body: &Value) -> Response {
        self.send(Request {
            method: method.into(),
            path: path.into(),
            query: String::new(),
            headers: vec![("cf-access-jwt-assertion".into(), jwt.into())],
            body: body.to_string().into_bytes(),
        })
    }

    fn operator_with(&self, jwt: &str) -> Response {
        self.as_operator("GET", "/operator", jwt, &Value::Null)
    }

    /// `GET /operator` with each token at once, over `clock` and `certs`: the answers'
    /// statuses, in order.
    fn operators_at_once(
        &self,
        clock: &impl Clock,
        certs: &impl HttpClient,
        jwts: &[String],
    ) -> Vec<u16> {
        self.with_app(clock, certs, |app| {
            let answers = jwts.iter().map(|jwt| app.handle(operator_request(jwt)));
            block_on(join_all(answers))
                .into_iter()
                .map(|response| response.status)
                .collect()
        })
    }
}

fn operator_request(jwt: &str) -> Request {
    Request {
        method: "GET".into(),
        path: "/operator".into(),
        query: String::new(),
        headers: vec![("cf-access-jwt-assertion".into(), jwt.into())],
        body: Vec::new(),
    }
}

/// Gives the executor back once, as waiting on the runtime does.
async fn yield_once() {
    let mut yielded = false;
    poll_fn(|cx| {
        if yielded {
            return Poll::Ready(());
        }
        yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    })
    .await
}

/// A clock whose waits are timers: each gives the executor back.
struct TimerClock<'a>(&'a ManualClock);

impl Clock for TimerClock<'_> {
    fn now_millis(&self) -> i64 {
        self.0.now_millis()
    }

    async fn sleep(&self, millis: u64) {
        self.0.advance(millis);
        yield_once().await;
    }
}

/// Access's certs server, answering after a few turns of the executor.
struct SlowCerts {
    key_set: String,
    fetches: Cell<usize>,
}

impl HttpClient for SlowCerts {
    async fn send(&self, _: &HttpRequest, _: u64) -> Result<HttpResponse, HttpError> {
        self.fetches.set(self.fetches.get() + 1);
        for _ in 0..5 {
            yield_once().await;
        }
        Ok(HttpResponse {
            status: 200,
            headers: Vec::new(),
            body: self.key_set.clone(),
        })
    }
}

/// Every token the verifier must refuse, with the check that refuses it.
fn refused_tokens(now: i64) -> Vec<(&'static str, String, &'static str)> {
    let key = TestKey::first();
    let stranger = TestKey::second();
    let with = |change: Value| {
        let mut claims = claims(ANA, now);
        for (name, value) in change.as_object().unwrap() {
            claims[name] = value.clone();
        }
        key.token(&header(key.kid), &claims)
    };
    let valid = key.valid(ANA, now);
    let (signed, signature) = valid.rsplit_once('.').unwrap();
    let (head, payload) = signed.split_once('.').unwrap();
    let mut tampered_claims = claims(ANA, now);
    tampered_claims["email"] = json!("mallory@example.com");
    let tampered = format!("{head}.{}.{signature}", encode(&tampered_claims));
    // Half the signature's bytes: well-formed base64url, a signature too short.
    let half = URL_SAFE_NO_PAD.decode(signature).unwrap();
    let truncated = format!(
        "{signed}.{}",
        URL_SAFE_NO_PAD.encode(&half[..half.len() / 2])
    );
    // HS256 with the RSA public key's JSON as the secret: the classic confusion.
    let hs_header = encode(&json!({"alg": "HS256", "kid": key.kid, "typ": "JWT"}));
    let hs_signed = format!("{hs_header}.{payload}");
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key.jwk().to_string().as_bytes())
        .expect("any key length");
    mac.update(hs_signed.as_bytes());
    let hs256 = format!(
        "{hs_signed}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    );
    let none = format!(
        "{}.{payload}.",
        encode(&json!({"alg": "none", "kid": key.kid}))
    );
    vec![
        (
            "expired",
            with(json!({"exp": now - 61})),
            "access_token_expired",
        ),
        (
            "not yet valid",
            with(json!({"nbf": now + 61})),
            "access_token_not_yet_valid",
        ),
        (
            "issued in the future",
            with(json!({"iat": now + 61})),
            "access_token_issued_in_future",
        ),
        (
            "for another application",
            with(json!({"aud": ["someone-else"]})),
            "access_token_audience",
        ),
        (
            "from another team",
            with(json!({"iss": "https://evil.cloudflareaccess.com"})),
            "access_token_issuer",
        ),
        (
            "signed by an unknown key",
            stranger.token(&header("test-key-2"), &claims(ANA, now)),
            "access_token_unknown_key",
        ),
        (
            "signed by another key under a known kid",
            stranger.token(&header(key.kid), &claims(ANA, now)),
            "access_token_signature",
        ),
        ("alg none", none, "access_token_algorithm"),
        (
            "HS256 signed with the public key",
            hs256,
            "access_token_algorithm",
        ),
        ("a tampered payload", tampered, "access_token_signature"),
        ("a truncated signature", truncated, "access_token_signature"),
        (
            "not a JWT",
            "this is not a token".into(),
            "access_token_malformed",
        ),
        (
            "a 100 KiB header",
            "e".repeat(100 * 1024),
            "access_token_too_large",
        ),
        (
            "no identity",
            with(json!({"email": null})),
            "access_token_no_identity",
        ),
        (
            "nbf as a string",
            with(json!({"nbf": (now + 3600).to_string()})),
            "access_token_times",
        ),
        ("no exp", with(json!({"exp": null})), "access_token_times"),
    ]
}

#[test]
fn a_valid_access_token_signs_the_operator_in() {
    let h = with_access();
    let token = TestKey::first().valid(ANA, now_secs(&h));
    let response = h.operator_with(&token);
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(json_of(&response), json!({"id": ANA, "via": "access"}));
    // A service token names itself by its common_name.
    let mut service = claims(ANA, now_secs(&h));
    service["email"] = Value::Null;
    service["common_name"] = json!("ci-bot.access");
    let token = TestKey::first().token(&header("test-key-1"), &service);
    assert_eq!(json_of(&h.operator_with(&token))["id"], "ci-bot.access");
    // The shared token still works, and says so.
    let admin = h.get("/operator", Some(&bearer()));
    assert_eq!(
        json_of(&admin),
        json!({"id": "admin-token", "via": "admin-token"})
    );
    assert_error(&h.get("/operator", None), 401, "unauthorized");
}

#[test]
fn every_refused_token_says_which_check_failed_and_never_echoes_the_token() {
    let h = with_access();
    for (name, token, code) in refused_tokens(now_secs(&h)) {
        let response = h.operator_with(&token);
        assert_error(&response, 401, code);
        assert!(
            !response.body.contains(&token[..token.len().min(40)]),
            "{name}: the token is echoed"
        );
        // An action with the same token is refused the same way and sends nothing.
        let action = h.as_operator(
            "POST",
            &format!("/calls/{CALL}/actions/hangup"),
            &token,
            &json!({}),
        );
        assert_error(&action, 401, code);
    }
    assert!(h.telnyx.requests().is_empty(), "nothing reached Telnyx");
    assert!(
        h.objects.with_tables().is_empty(),
        "nothing reached an object"
    );
    let tokens: Vec<String> = refused_tokens(now_secs(&h))
        .into_iter()
        .map(|(_, t, _)| t)
        .collect();
    let secrets: Vec<&str> = tokens
        .iter()
        .map(String::as_str)
        .filter(|t| t.len() > 20)
        .collect();
    assert!(
        leaks(&h.log.text(), &secrets).is_empty(),
        "{}",
        h.log.text()
    );
}

#[test]
fn keys_are_kept_for_five_minutes_and_fetched_again_on_an_unknown_kid_at_most_once_a_minute() {
    let h = with_access();
    let first = TestKey::first();
    let second = TestKey::second();
    assert_eq!(h.operator_with(&first.valid(ANA, now_secs(&h))).status, 200);
    assert_eq!(h.telnyx.certs_fetches(), 1);
    for _ in 0..10 {
        assert_eq!(h.operator_with(&first.valid(ANA, now_secs(&h))).status, 200);
    }
    assert_eq!(h.telnyx.certs_fetches(), 1, "kept");
    // A flood of made-up kids: one fetch at most per minute.
    h.advance(REFETCH_MS as u64);
    for n in 0..50 {
        let forged = first.token(&header(&format!("made-up-{n}")), &claims(ANA, now_secs(&h)));
        assert_error(&h.operator_with(&forged), 401, "access_token_unknown_key");
    }
    assert_eq!(
        h.telnyx.certs_fetches(),
        2,
        "one fetch for fifty unknown kids"
    );
    // Access rotates: the new key is published; within the minute it is not fetched...
    h.telnyx.serve_certs(Some(key_set(&[&first, &second])));
    assert_error(
        &h.operator_with(&second.valid(ANA, now_secs(&h))),
        401,
        "access_token_unknown_key",
    );
    // ...after it, the first token it signs fetches the set again, with no deploy.
    h.advance(REFETCH_MS as u64);
    assert_eq!(
        h.operator_with(&second.valid(ANA, now_secs(&h))).status,
        200
    );
    assert_eq!(h.telnyx.certs_fetches(), 3);
    // The old key leaves the set: once the kept keys are five minutes old they go too.
    h.telnyx.serve_certs(Some(key_set(&[&second])));
    h.advance(KEYS_FRESH_MS as u64);
    assert_error(
        &h.operator_with(&first.valid(ANA, now_secs(&h))),
        401,
        "access_token_unknown_key",
    );
    assert_eq!(h.telnyx.certs_fetches(), 4);
}

#[test]
fn requests_that_arrive_while_the_keys_are_fetched_wait_for_that_fetch() {
    let h = with_access();
    let (first, second) = (TestKey::first(), TestKey::second());
    let certs = SlowCerts {
        key_set: key_set(&[&first]),
        fetches: Cell::new(0),
    };
    let clock = TimerClock(&h.clock);
    // A new isolate's first requests: one fetch, and no 503 for the others.
    let tokens = vec![first.valid(ANA, now_secs(&h)); 4];
    assert_eq!(h.operators_at_once(&clock, &certs, &tokens), [200; 4]);
    assert_eq!(certs.fetches.get(), 1);
    // A rotation's first tokens: one fetch, and no 401 for the others.
    h.advance(REFETCH_MS as u64);
    let certs = SlowCerts {
        key_set: key_set(&[&first, &second]),
        fetches: Cell::new(0),
    };
    let tokens = vec![second.valid(ANA, now_secs(&h)); 4];
    assert_eq!(h.operators_at_once(&clock, &certs, &tokens), [200; 4]);
    assert_eq!(certs.fetches.get(), 1);
}

#[test]
fn a_fetch_dropped_half_way_leaves_no_one_waiting_on_it() {
    let h = Harness::with_vars(&[("ACCESS_TEAM_DOMAIN", TEAM), ("ACCESS_AUD", AUD)]);
    let certs = SlowCerts {
        key_set: key_set(&[&TestKey::first()]),
        fetches: Cell::new(0),
    };
    let token = TestKey::first().valid(ANA, now_secs(&h));
    h.with_app(&h.clock, &certs, |app| {
        // The request goes away mid-fetch, as a closed connection's does.
        let mut fetching = pin!(app.handle(operator_request(&token)));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(fetching.as_mut().poll(&mut cx).is_pending());
    });
    assert_eq!(certs.fetches.get(), 1);
    // The next one, within the minute, does not wait on a fetch no one is making.
    assert_error(&h.operator_with(&token), 503, "access_unavailable");
    assert!(h.clock.sleeps().is_empty(), "{:?}", h.clock.sleeps());
}

#[test]
fn the_certs_server_down_is_503_without_keys_and_no_matter_with_them() {
    let h = with_access();
    h.telnyx.serve_certs(None);
    let token = TestKey::first().valid(ANA, now_secs(&h));
    assert_error(&h.operator_with(&token), 503, "access_unavailable");
    // The admin token does not need Access.
    assert_eq!(h.get("/operator", Some(&bearer())).status, 200);
    h.telnyx.serve_certs(Some(key_set(&[&TestKey::first()])));
    h.advance(REFETCH_MS as u64);
    assert_eq!(h.operator_with(&token).status, 200);
    // Down again, past the five minutes: the kept keys still serve.
    h.telnyx.serve_certs(None);
    h.advance(KEYS_FRESH_MS as u64 + 1);
    let token = TestKey::first().valid(ANA, now_secs(&h));
    assert_eq!(h.operator_with(&token).status, 200);
    assert!(h.log.text().contains("keys_unavailable"));
    // A set with no key would refuse every token: it is a failed fetch, not a rotation.
    for empty in [r#"{"keys":[]}"#, r#"{"keys":[{"kty":"EC","kid":"k"}]}"#] {
        h.telnyx.serve_certs(Some(empty.into()));
        h.advance(KEYS_FRESH_MS as u64 + 1);
        let fetches = h.telnyx.certs_fetches();
        let token = TestKey::first().valid(ANA, now_secs(&h));
        assert_eq!(h.operator_with(&token).status, 200, "{empty}");
        assert_eq!(h.telnyx.certs_fetches(), fetches + 1, "{empty} was fetched");
    }
}

#[test]
fn the_operator_api_is_configured_by_either_and_health_says_which() {
    let access_only = Harness::with_vars(&[
        ("ADMIN_TOKEN", ""),
        ("ACCESS_TEAM_DOMAIN", TEAM),
        ("ACCESS_AUD", AUD),
    ]);
    access_only
        .telnyx
        .serve_certs(Some(key_set(&[&TestKey::first()])));
    let token = TestKey::first().valid(ANA, now_secs(&access_only));
    assert_eq!(access_only.operator_with(&token).status, 200);
    assert_error(
        &access_only.get("/operator", Some(&bearer())),
        401,
        "unauthorized",
    );
    let health = json_of(&access_only.get("/health", None));
    assert_eq!(health["config"]["access"], true);
    assert_eq!(health["config"]["access_team_domain"], TEAM);
    assert_eq!(health["config"]["admin_token"], false);
    let neither = Harness::with_vars(&[("ADMIN_TOKEN", "")]);
    assert_error(
        &neither.get("/operator", Some(&bearer())),
        503,
        "admin_token_missing",
    );
    assert_eq!(
        json_of(&neither.get("/health", None))["config"]["access"],
        false
    );
    // With no admin token, the 503 says what is wrong with Access's settings.
    let unusable = Harness::with_vars(&[("ADMIN_TOKEN", ""), ("ACCESS_TEAM_DOMAIN", TEAM)]);
    let refused = unusable.operator_with(&token);
    assert_error(&refused, 503, "admin_token_missing");
    assert!(
        refused.body.contains("ACCESS_AUD is required"),
        "{}",
        refused.body
    );
    // A team domain without an AUD: misconfigured, and it signs nobody in.
    let broken = Harness::with_vars(&[("ACCESS_TEAM_DOMAIN", TEAM)]);
    let health = json_of(&broken.get("/health", None));
    assert_eq!(health["status"], "misconfigured");
    assert!(health["reason"].as_str().unwrap().contains("ACCESS_AUD"));
    assert_error(&broken.operator_with(&token), 401, "unauthorized");
    // Plain http only on loopback.
    let plain = Harness::with_vars(&[
        ("ACCESS_TEAM_DOMAIN", "http://team.cloudflareaccess.com"),
        ("ACCESS_AUD", AUD),
    ]);
    assert_eq!(
        json_of(&plain.get("/health", None))["status"],
        "misconfigured"
    );
}

#[test]
fn every_action_says_who_took_it_and_a_rules_says_no_one() {
    let h = with_access();
    assert_eq!(
        h.deliver(&event("call.initiated", "by-initiated", 1))
            .status,
        200
    );
    assert_eq!(
        h.deliver(&event("call.answered", "by-answered", 2)).status,
        200
    );
    let token = TestKey::first().valid(ANA, now_secs(&h));
    let call = CALL.replace(':', "%3A");
    let sent = h.as_operator(
        "POST",
        &format!("/calls/{call}/actions/send_dtmf"),
        &token,
        &json!({"digits": "1"}),
    );
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert_eq!(h.operator_action("hangup", &json!({})).status, 200);
    let zhang = TestKey::first().valid(ZHANG, now_secs(&h));
    let supervised = h.as_operator(
        "POST",
        &format!("/calls/{call}/supervise"),
        &zhang,
        &json!({"to": "sip:supervisor@pbx.example.com", "role": "monitor"}),
    );
    assert_eq!(supervised.status, 200, "{}", supervised.body);
    let state = h.state(CALL);
    let by: Vec<(Value, Value)> = state["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["action"].clone(), a["by"].clone()))
        .collect();
    assert_eq!(
        by,
        [
            (json!("send_dtmf"), json!(ANA)),
            (json!("hangup"), json!("admin-token")),
            (json!("dial"), json!(ZHANG)),
        ]
    );
    assert_eq!(state["supervisors"][0]["by"], ZHANG);
    let leg = state["supervisors"][0]["call_control_id"].as_str().unwrap();
    assert_eq!(
        h.state(leg)["actions"][0]["by"],
        ZHANG,
        "the leg's own record of its Dial"
    );
    let log = h.log.text();
    assert!(log.contains(&format!("\"by\":\"{ANA}\"")), "{log}");
    assert!(log.contains(&format!("\"by\":\"{ZHANG}\"")), "{log}");
    assert!(log.contains("\"by\":\"admin-token\""), "{log}");
    assert!(leaks(&log, &[&token]).is_empty());
}

#[test]
fn a_rules_action_has_no_operator() {
    let rules = json!({"rules": [{"name": "answer-all", "on": ["call.initiated"],
        "do": [{"action": "answer"}]}]});
    let h = Harness::with_vars(&[("AUTOMATIONS", &rules.to_string())]);
    h.deliver(&event("call.initiated", "rule-initiated", 1));
    let action = &h.state(CALL)["actions"][0];
    assert_eq!(action["rule"], "answer-all");
    assert_eq!(action["by"], Value::Null);
}
