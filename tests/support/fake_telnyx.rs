//! A fake Call Control API. It records every request and answers from a script
//! (statuses, bodies, `Retry-After`, delays). The pipeline tests use it as the HTTP port
//! ([`FakeTelnyxPort`], with a manual clock so delays cost no time); the end-to-end suite
//! serves it on loopback ([`FakeTelnyxServer`]) for the worker under `wrangler dev`.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::Value;
use telnyx_edge::ports::memory::ManualClock;
use telnyx_edge::ports::{find_header, HttpClient, HttpError, HttpRequest, HttpResponse};

/// How the fake answers one request.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    pub retry_after: Option<String>,
    pub delay_ms: u64,
    /// Fail at the connection level instead of answering (HTTP port only).
    pub network_error: bool,
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
        }
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

#[derive(Default)]
struct Script {
    queued: VecDeque<Reply>,
    fallback: Option<Reply>,
    requests: Vec<Recorded>,
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

    pub fn clear(&self) {
        let mut script = self.script();
        script.requests.clear();
        script.queued.clear();
        script.fallback = None;
    }

    /// Records the request and picks its reply.
    pub fn receive(&self, request: Recorded) -> Reply {
        let mut script = self.script();
        script.requests.push(request);
        script
            .queued
            .pop_front()
            .or_else(|| script.fallback.clone())
            .unwrap_or_else(Reply::ok)
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
        if reply.network_error {
            return Err(HttpError::Network("connection refused (fake)".into()));
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
    server: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
}

impl FakeTelnyxServer {
    pub fn start(fake: FakeTelnyx) -> Self {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind loopback"));
        let port = server.server_addr().to_ip().expect("an IP listener").port();
        let thread = {
            let server = Arc::clone(&server);
            let fake = fake.clone();
            std::thread::spawn(move || {
                for request in server.incoming_requests() {
                    let fake = fake.clone();
                    // One thread per request, so a delayed reply stalls only itself.
                    std::thread::spawn(move || answer(&fake, request));
                }
            })
        };
        Self {
            fake,
            api_base: format!("http://127.0.0.1:{port}/v2"),
            server,
            thread: Some(thread),
        }
    }
}

fn answer(fake: &FakeTelnyx, mut request: tiny_http::Request) {
    let mut body = String::new();
    let _ = request.as_reader().read_to_string(&mut body);
    let reply = fake.receive(Recorded {
        method: request.method().as_str().to_owned(),
        path: request.url().to_owned(),
        headers: request
            .headers()
            .iter()
            .map(|h| {
                (
                    h.field.as_str().as_str().to_owned(),
                    h.value.as_str().to_owned(),
                )
            })
            .collect(),
        body,
    });
    std::thread::sleep(Duration::from_millis(reply.delay_ms));
    let mut response = tiny_http::Response::from_string(reply.body)
        .with_status_code(reply.status)
        .with_header(
            tiny_http::Header::from_bytes("content-type", "application/json").expect("header"),
        );
    if let Some(after) = reply.retry_after {
        response.add_header(tiny_http::Header::from_bytes("retry-after", after).expect("header"));
    }
    // The worker may have given up (timeout) and closed the connection.
    let _ = request.respond(response);
}

impl Drop for FakeTelnyxServer {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
