//! A fake Call Control API. It records every request and answers from a script
//! (statuses, bodies, `Retry-After`, delays). The pipeline tests use it as the HTTP port
//! ([`FakeTelnyxPort`], with a manual clock so delays cost no time); the end-to-end suite
//! serves it on loopback ([`FakeTelnyxServer`]) for the worker under `wrangler dev`.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;
use telnyx_edge::ports::memory::ManualClock;
use telnyx_edge::ports::{find_header, HttpClient, HttpError, HttpRequest, HttpResponse};
use telnyx_edge::simulator::loopback::{LoopbackServer, Request, Response};

/// How the fake answers one request.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    pub retry_after: Option<String>,
    pub delay_ms: u64,
    /// Fail at the connection level, with the request possibly out (HTTP port only).
    pub network_error: bool,
    /// Fail to connect at all: the request never left (HTTP port only).
    pub unreached: bool,
}

impl Reply {
    /// What Telnyx answers to an accepted command.
    pub fn ok() -> Self {
        Self::status(200, r#"{"data":{"result":"ok"}}"#)
    }

    pub fn status(status: u16, body: &str) -> Self {
        Self {
            status,
            body: body.to_owned(),
            retry_after: None,
            delay_ms: 0,
            network_error: false,
            unreached: false,
        }
    }

    /// What Telnyx answers to a Dial: the new leg's ids, the call not alive yet.
    pub fn dialed(call_control_id: &str) -> Self {
        let body = serde_json::json!({"data": {"call_control_id": call_control_id,
            "call_leg_id": format!("leg-{call_control_id}"),
            "call_session_id": format!("session-{}", call_control_id.replace(':', "-")),
            "is_alive": false, "record_type": "call"}});
        Self::status(200, &body.to_string())
    }

    /// A Telnyx error body with one error.
    pub fn error(status: u16, code: &str, title: &str) -> Self {
        let body = serde_json::json!({"errors": [{"code": code, "title": title,
            "detail": format!("{title} (fake)")}]});
        Self::status(status, &body.to_string())
    }

    pub fn retry_after(mut self, value: &str) -> Self {
        self.retry_after = Some(value.to_owned());
        self
    }

    pub fn delayed(mut self, millis: u64) -> Self {
        self.delay_ms = millis;
        self
    }

    pub fn network_error() -> Self {
        Self {
            network_error: true,
            ..Self::status(0, "")
        }
    }

    pub fn unreached() -> Self {
        Self {
            unreached: true,
            ..Self::status(0, "")
        }
    }
}

/// One request as it reached the fake.
#[derive(Clone, Debug, PartialEq)]
pub struct Recorded {
    pub method: String,
    /// Path and query as sent, still percent-encoded.
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// The action named by the path's last segment.
    pub fn action(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or_default()
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// Faults the fake answers with when nothing is queued. Whether a request faults is a
/// hash of the request (method, path, body) and how often that same request came
/// before, so a run is reproducible whatever order the requests arrive in.
#[derive(Clone, Debug)]
pub struct Faults {
    pub seed: u64,
    /// Of all requests, the share answered `500`, `429` + `Retry-After: 1`, or with a
    /// stall, one kind in three each.
    pub percent: u64,
    /// How long a stall lasts; longer than the worker's attempt timeout.
    pub stall_ms: u64,
    /// Of all commands, the share whose first `unlucky_attempts` requests get `500`:
    /// more than one round of retries, so only a later (scheduled) round succeeds.
    pub unlucky_percent: u64,
    pub unlucky_attempts: usize,
    /// Of all commands, the share that always get `500`.
    pub doomed_percent: u64,
}

/// How a command fared at the fake, by the fault plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Luck {
    Normal,
    Unlucky,
    Doomed,
}

impl Faults {
    fn roll(&self, parts: &[&dyn Fn(&mut DefaultHasher)]) -> u64 {
        let mut hasher = DefaultHasher::new();
        self.seed.hash(&mut hasher);
        for part in parts {
            part(&mut hasher);
        }
        hasher.finish() % 300
    }

    /// The fate of a command (a method, path and body), across all its attempts.
    pub fn luck(&self, key: &str) -> Luck {
        let roll = self.roll(&[&|h| key.hash(h)]) % 100;
        if roll < self.doomed_percent {
            Luck::Doomed
        } else if roll < self.doomed_percent + self.unlucky_percent {
            Luck::Unlucky
        } else {
            Luck::Normal
        }
    }

    /// The reply to attempt `attempt` (from 0) of the command `key`, if it is a fault.
    fn fault(&self, key: &str, attempt: usize) -> Option<(&'static str, Reply)> {
        let unavailable = || Reply::error(500, "50000", "Internal error");
        match self.luck(key) {
            Luck::Doomed => return Some(("500", unavailable())),
            Luck::Unlucky if attempt < self.unlucky_attempts => {
                return Some(("500", unavailable()))
            }
            _ => {}
        }
        let roll = self.roll(&[&|h| key.hash(h), &|h| attempt.hash(h)]);
        if roll % 100 >= self.percent {
            return None;
        }
        Some(match roll / 100 {
            0 => ("500", unavailable()),
            1 => (
                "429",
                Reply::error(429, "10011", "Too many requests").retry_after("1"),
            ),
            _ => ("stall", Reply::ok().delayed(self.stall_ms)),
        })
    }
}

/// The method, path and body that identify one command across its retries.
pub fn command_key(request: &Recorded) -> String {
    format!("{} {} {}", request.method, request.path, request.body)
}

#[derive(Default)]
struct Script {
    queued: VecDeque<Reply>,
    fallback: Option<Reply>,
    requests: Vec<Recorded>,
    /// The status each request was answered with, in the same order (`0` for a
    /// connection failure).
    replies: Vec<u16>,
    delays: Vec<u64>,
    faults: Option<Faults>,
    attempts: HashMap<String, usize>,
    injected: BTreeMap<&'static str, usize>,
    /// Cloudflare Access's key set, answered at `…/cdn-cgi/access/certs` (not recorded
    /// among the Telnyx requests); `None` answers as a server that is down.
    certs: Option<String>,
    certs_fetches: usize,
}

/// The fake's state; clones share it.
#[derive(Clone, Default)]
pub struct FakeTelnyx {
    script: Arc<Mutex<Script>>,
}

impl FakeTelnyx {
    pub fn new() -> Self {
        Self::default()
    }

    fn script(&self) -> MutexGuard<'_, Script> {
        // A panicking test thread must not hide the requests from the others.
        self.script
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Answers the next requests with these replies, in order, then with the fallback.
    pub fn then(&self, reply: Reply) -> &Self {
        self.script().queued.push_back(reply);
        self
    }

    /// The answer once the queued replies are used up (`200 ok` unless set).
    pub fn always(&self, reply: Reply) {
        self.script().fallback = Some(reply);
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.script().requests.clone()
    }

    /// Every request with the reply it got: its status, and whether it was delayed.
    pub fn exchanges(&self) -> Vec<(Recorded, u16, u64)> {
        let script = self.script();
        script
            .requests
            .iter()
            .cloned()
            .zip(script.replies.iter().copied())
            .zip(script.delays.iter().copied())
            .map(|((request, status), delay)| (request, status, delay))
            .collect()
    }

    pub fn clear(&self) {
        let mut script = self.script();
        script.requests.clear();
        script.replies.clear();
        script.delays.clear();
        script.queued.clear();
        script.fallback = None;
        script.faults = None;
        script.attempts.clear();
        script.injected.clear();
    }

    /// Serves Access's key set (`None`: the certs server is down).
    pub fn serve_certs(&self, key_set: Option<String>) {
        self.script().certs = key_set;
    }

    /// How often Access's key set was fetched.
    pub fn certs_fetches(&self) -> usize {
        self.script().certs_fetches
    }

    fn certs(&self) -> Result<HttpResponse, HttpError> {
        let mut script = self.script();
        script.certs_fetches += 1;
        match &script.certs {
            Some(body) => Ok(HttpResponse {
                status: 200,
                headers: vec![("content-type".into(), "application/json".into())],
                body: body.clone(),
            }),
            None => Err(HttpError::Unreached(
                "connection refused (fake certs)".into(),
            )),
        }
    }

    /// From now on, answers by this fault plan when nothing is queued.
    pub fn inject(&self, faults: Faults) {
        self.script().faults = Some(faults);
    }

    /// How many faults of each kind (`500`, `429`, `stall`) were answered.
    pub fn injected(&self) -> BTreeMap<&'static str, usize> {
        self.script().injected.clone()
    }

    /// Records the request and picks its reply.
    pub fn receive(&self, request: Recorded) -> Reply {
        // One lock for the request and its reply, so concurrent requests cannot pair a
        // request with another's reply.
        let mut script = self.script();
        let reply = Self::pick(&mut script, request);
        script.replies.push(reply.status);
        script.delays.push(reply.delay_ms);
        reply
    }

    fn pick(script: &mut Script, request: Recorded) -> Reply {
        let key = command_key(&request);
        // A Dial's `200` names its new leg, one per Dial.
        let dial = (request.method == "POST" && request.path.ends_with("/calls"))
            .then(|| Reply::dialed(&format!("v3:fake-leg-{}", script.requests.len() + 1)));
        let ok = || dial.clone().unwrap_or_else(Reply::ok);
        script.requests.push(request);
        if let Some(reply) = script.queued.pop_front() {
            return reply;
        }
        if let Some(faults) = script.faults.clone() {
            let attempt = script.attempts.entry(key.clone()).or_default();
            let fault = faults.fault(&key, *attempt);
            *attempt += 1;
            return match fault {
                Some((kind, reply)) => {
                    *script.injected.entry(kind).or_default() += 1;
                    reply
                }
                None => ok(),
            };
        }
        script.fallback.clone().unwrap_or_else(ok)
    }
}

/// The fake as the worker's HTTP port in native tests; delays advance the manual clock.
pub struct FakeTelnyxPort<'a> {
    pub fake: &'a FakeTelnyx,
    pub clock: &'a ManualClock,
}

impl HttpClient for FakeTelnyxPort<'_> {
    async fn send(
        &self,
        request: &HttpRequest,
        timeout_ms: u64,
    ) -> Result<HttpResponse, HttpError> {
        if request.url.ends_with("/cdn-cgi/access/certs") {
            return self.fake.certs();
        }
        let path = match request.url.split_once("://") {
            Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]).to_owned(),
            None => request.url.clone(),
        };
        let reply = self.fake.receive(Recorded {
            method: request.method.to_owned(),
            path,
            headers: request
                .headers
                .iter()
                .map(|(name, value)| (name.to_string(), value.clone()))
                .collect(),
            body: request.body.clone(),
        });
        if reply.delay_ms > timeout_ms {
            self.clock.advance(timeout_ms);
            return Err(HttpError::Timeout);
        }
        self.clock.advance(reply.delay_ms);
        if reply.unreached {
            return Err(HttpError::Unreached("connection refused (fake)".into()));
        }
        if reply.network_error {
            return Err(HttpError::Network("connection reset (fake)".into()));
        }
        let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
        if let Some(after) = reply.retry_after {
            headers.push(("retry-after".to_owned(), after));
        }
        Ok(HttpResponse {
            status: reply.status,
            headers,
            body: reply.body,
        })
    }
}

/// The fake served over HTTP on a free loopback port until dropped.
pub struct FakeTelnyxServer {
    pub fake: FakeTelnyx,
    /// `http://127.0.0.1:{port}/v2`, for `TELNYX_API_BASE`.
    pub api_base: String,
    _server: LoopbackServer,
}

impl FakeTelnyxServer {
    pub fn start(fake: FakeTelnyx) -> Self {
        let answering = fake.clone();
        let server = LoopbackServer::start(0, move |request| answer(&answering, request))
            .expect("bind loopback");
        Self {
            fake,
            api_base: format!("{}/v2", server.base),
            _server: server,
        }
    }
}

fn answer(fake: &FakeTelnyx, request: Request) -> Response {
    let reply = fake.receive(Recorded {
        method: request.method,
        path: request.url,
        headers: request.headers,
        body: request.body,
    });
    std::thread::sleep(Duration::from_millis(reply.delay_ms));
    let response = Response::json(reply.status, reply.body);
    match reply.retry_after {
        Some(after) => response.with_header("retry-after", &after),
        None => response,
    }
}
