//! The worker's pipeline over in-memory ports and the fake Telnyx: signed deliveries,
//! operator requests, and everything they leave behind.

use pollster::block_on;
use serde_json::Value;

use super::deliveries::{self, occurred_at, Delivery};
use super::fake_telnyx::{FakeTelnyx, FakeTelnyxPort};
use super::signing::WebhookSigner;
use telnyx_edge::app::automations::FollowUp;
use telnyx_edge::app::http::{Request, Response};
use telnyx_edge::app::sweep::SweepReport;
use telnyx_edge::app::{App, Handled};
use telnyx_edge::domain::config::Config;
use telnyx_edge::ports::memory::{ManualClock, MemoryKv, MemoryLog};
use telnyx_edge::ports::Clock;

pub const API_KEY: &str = "KEY-pipeline-secret-api-key";

pub const NOW: i64 = 1_757_944_931;
pub const ADMIN_TOKEN: &str = "operator-token-for-pipeline-tests";
pub const CALL: &str = "v3:u5OAKGEPT3Dx8SZSSDRWEMdNH2OripQhO9L9PL_PqJ4whcuhT6nAJA";

pub struct Harness {
    pub kv: MemoryKv,
    pub log: MemoryLog,
    pub config: Config,
    pub signer: WebhookSigner,
    pub telnyx: FakeTelnyx,
    pub clock: ManualClock,
}

impl Harness {
    pub fn new() -> Self {
        Self::with_vars(&[])
    }

    /// Test configuration, with `extra` added or overriding (an empty value unsets).
    pub fn with_vars(extra: &[(&str, &str)]) -> Self {
        let signer = WebhookSigner::from_seed([7; 32]);
        let mut vars = vec![
            ("TELNYX_PUBLIC_KEY".to_string(), signer.public_key_base64()),
            ("ADMIN_TOKEN".to_string(), ADMIN_TOKEN.to_string()),
            ("TELNYX_API_KEY".to_string(), API_KEY.to_string()),
            (
                "TELNYX_API_BASE".to_string(),
                "https://telnyx.test/v2".to_string(),
            ),
        ];
        for (name, value) in extra {
            vars.retain(|(n, _)| n != name);
            vars.push((name.to_string(), value.to_string()));
        }
        let config =
            Config::from_vars(|name| vars.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()));
        let kv = MemoryKv::new();
        kv.set_now(NOW as u64);
        Self {
            kv,
            log: MemoryLog::default(),
            config,
            signer,
            telnyx: FakeTelnyx::new(),
            clock: ManualClock::at(NOW * 1000),
        }
    }

    fn app<'a>(
        &'a self,
        port: &'a FakeTelnyxPort<'a>,
    ) -> App<'a, MemoryKv, MemoryLog, FakeTelnyxPort<'a>, ManualClock> {
        App {
            config: &self.config,
            kv: &self.kv,
            log: &self.log,
            http: port,
            clock: &self.clock,
        }
    }

    fn port(&self) -> FakeTelnyxPort<'_> {
        FakeTelnyxPort {
            fake: &self.telnyx,
            clock: &self.clock,
        }
    }

    /// Handles a request and then runs what it left for after the response, as the
    /// runtime's `waitUntil` does.
    pub fn send(&self, request: Request) -> Response {
        let handled = self.send_only(request);
        if let Some(follow_up) = handled.follow_up.clone() {
            self.follow_up(follow_up);
        }
        handled.response
    }

    /// Handles a request, leaving its follow-up to the caller.
    pub fn send_only(&self, request: Request) -> Handled {
        let port = self.port();
        block_on(self.app(&port).handle(&request))
    }

    pub fn follow_up(&self, follow_up: FollowUp) {
        let port = self.port();
        block_on(self.app(&port).run_automations(follow_up));
    }

    /// One run of the cron trigger.
    pub fn sweep(&self) -> SweepReport {
        let port = self.port();
        block_on(self.app(&port).sweep())
    }

    pub fn webhook(&self, headers: Vec<(String, String)>, body: &[u8]) -> Response {
        self.send(Request {
            method: "POST".into(),
            path: "/webhooks/telnyx".into(),
            headers,
            body: body.to_vec(),
        })
    }

    /// Posts a body signed now (by the manual clock) with the configured key.
    pub fn deliver(&self, body: &Value) -> Response {
        let bytes = body.to_string().into_bytes();
        let now = self.clock.now_millis() / 1000;
        self.webhook(self.signer.headers(now, &bytes), &bytes)
    }

    /// Like [`Self::deliver`], leaving what follows the response to the caller.
    pub fn deliver_only(&self, body: &Value) -> Handled {
        let bytes = body.to_string().into_bytes();
        let now = self.clock.now_millis() / 1000;
        self.send_only(Request {
            method: "POST".into(),
            path: "/webhooks/telnyx".into(),
            headers: self.signer.headers(now, &bytes),
            body: bytes,
        })
    }

    /// `POST /calls/{CALL}/actions/{action}` with the admin token.
    pub fn operator_action(&self, action: &str, body: &Value) -> Response {
        self.send(Request {
            method: "POST".into(),
            path: format!("/calls/{CALL}/actions/{action}"),
            headers: vec![("authorization".into(), bearer())],
            body: body.to_string().into_bytes(),
        })
    }

    pub fn get(&self, path: &str, authorization: Option<&str>) -> Response {
        self.send(Request {
            method: "GET".into(),
            path: path.into(),
            headers: authorization
                .map(|a| vec![("authorization".to_string(), a.to_string())])
                .unwrap_or_default(),
            body: Vec::new(),
        })
    }

    pub fn state(&self, call: &str) -> Value {
        let response = self.get(&format!("/calls/{call}"), Some(&bearer()));
        assert_eq!(response.status, 200, "{}", response.body);
        serde_json::from_str(&response.body).unwrap()
    }
}

pub fn bearer() -> String {
    format!("Bearer {ADMIN_TOKEN}")
}

pub fn event(event_type: &str, id: &str, second: u32) -> Value {
    deliveries::body(&Delivery {
        event_type,
        event_id: id,
        call_control_id: CALL,
        occurred_at: &occurred_at(second),
    })
}

pub fn json_of(response: &Response) -> Value {
    serde_json::from_str(&response.body).unwrap_or_else(|_| panic!("not JSON: {}", response.body))
}

/// Asserts a Telnyx-shaped error with this status and code.
pub fn assert_error(response: &Response, status: u16, code: &str) {
    assert_eq!(response.status, status, "{}", response.body);
    assert_eq!(response.header("content-type"), Some("application/json"));
    let body = json_of(response);
    assert_eq!(body["errors"][0]["code"], code, "{body}");
    assert!(body["errors"][0]["title"].is_string());
    assert!(body["errors"][0]["detail"].is_string());
}

pub fn event_ids(state: &Value) -> Vec<String> {
    state["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}
