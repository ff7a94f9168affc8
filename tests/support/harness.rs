//! The worker's pipeline over in-memory ports, real SQLite and the fake Telnyx: signed
//! deliveries, operator requests, the call objects' alarms, and everything they leave
//! behind.

use pollster::block_on;
use serde_json::Value;

use super::access::NativeRs256;
use super::deliveries;
use super::fake_telnyx::{FakeTelnyx, FakeTelnyxPort, Recorded};
use super::objects::{MemoryObjects, MemoryPorts, ObjectSlots, Slot};
use telnyx_edge::app::access_keys::AccessKeys;
use telnyx_edge::app::App;
use telnyx_edge::domain::config::Config;
use telnyx_edge::ports::http::{Request, Response};
use telnyx_edge::ports::memory::{ManualClock, MemoryKv, MemoryLog};
use telnyx_edge::ports::{Clock, HttpClient};
use telnyx_edge::simulator::signing::WebhookSigner;

pub const API_KEY: &str = "KEY-pipeline-secret-api-key";

pub const NOW: i64 = 1_757_944_931;
pub const ADMIN_TOKEN: &str = "operator-token-for-pipeline-tests";
pub const CALL: &str = "v3:u5OAKGEPT3Dx8SZSSDRWEMdNH2OripQhO9L9PL_PqJ4whcuhT6nAJA";

/// The call objects of a harness, over its fake Telnyx.
pub type HarnessObjects<'a> = MemoryObjects<'a, FakeTelnyxPort<'a>>;

pub struct Harness {
    pub kv: MemoryKv,
    pub log: MemoryLog,
    pub config: Config,
    pub signer: WebhookSigner,
    pub telnyx: FakeTelnyx,
    pub clock: ManualClock,
    pub objects: ObjectSlots,
    /// Cloudflare Access's keys, as an isolate keeps them.
    pub access_keys: AccessKeys,
}

impl Default for Harness {
    fn default() -> Self {
        Self::new()
    }
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
            objects: ObjectSlots::default(),
            access_keys: AccessKeys::default(),
        }
    }

    fn port(&self) -> FakeTelnyxPort<'_> {
        FakeTelnyxPort {
            fake: &self.telnyx,
            clock: &self.clock,
        }
    }

    /// The `CALLS` namespace over this harness's ports, for `with`.
    pub fn with_objects<T>(&self, with: impl FnOnce(&HarnessObjects<'_>) -> T) -> T {
        let port = self.port();
        let objects = MemoryObjects {
            slots: &self.objects,
            config: &self.config,
            kv: &self.kv,
            log: &self.log,
            http: &port,
            clock: &self.clock,
        };
        with(&objects)
    }

    /// Handles a request, then fires the alarms it left due, as the runtime does right
    /// after the response.
    pub fn send(&self, request: Request) -> Response {
        let response = self.send_only(request);
        self.run_alarms();
        response
    }

    /// The worker over this harness's ports, with `clock` and `http` of the caller's,
    /// for `with`.
    pub fn with_app<C: Clock, H: HttpClient, T>(
        &self,
        clock: &C,
        http: &H,
        with: impl FnOnce(&App<'_, MemoryPorts<HarnessObjects<'_>, C, H, NativeRs256>>) -> T,
    ) -> T {
        self.with_objects(|objects| {
            with(&App {
                config: &self.config,
                kv: &self.kv,
                objects,
                log: &self.log,
                clock,
                http,
                rs256: &NativeRs256,
                access_keys: &self.access_keys,
            })
        })
    }

    /// Handles a request; alarms and timers stay set until [`Self::run_alarms`] or
    /// [`Self::advance`].
    pub fn send_only(&self, request: Request) -> Response {
        let port = self.port();
        self.with_app(&self.clock, &port, |app| block_on(app.handle(request)))
    }

    /// Fires every alarm due now; returns how many ran.
    pub fn run_alarms(&self) -> usize {
        self.with_objects(|objects| objects.run_due())
    }

    /// Moves time forward, firing each alarm at its time.
    pub fn advance(&self, millis: u64) {
        self.with_objects(|objects| objects.advance(millis));
    }

    /// The manual clock, in Unix seconds.
    pub fn clock_secs(&self) -> u64 {
        (self.clock.now_millis() / 1000) as u64
    }

    /// Whether anything reached KV or an object's storage.
    pub fn stored_anything(&self) -> bool {
        self.kv.writes() > 0 || !self.objects.with_tables().is_empty()
    }

    /// The call's object, if one was created.
    pub fn slot(&self, name: &str) -> Option<std::rc::Rc<Slot>> {
        self.objects.get(name)
    }

    pub fn webhook(&self, headers: Vec<(String, String)>, body: &[u8]) -> Response {
        self.send(Request {
            method: "POST".into(),
            path: "/webhooks/telnyx".into(),
            query: String::new(),
            headers,
            body: body.to_vec(),
        })
    }

    fn signed(&self, body: &Value) -> Request {
        let bytes = body.to_string().into_bytes();
        let now = self.clock.now_millis() / 1000;
        Request {
            method: "POST".into(),
            path: "/webhooks/telnyx".into(),
            query: String::new(),
            headers: self.signer.headers(now, &bytes),
            body: bytes,
        }
    }

    /// Posts a body signed now (by the manual clock) with the configured key, then fires
    /// the alarms it left due.
    pub fn deliver(&self, body: &Value) -> Response {
        self.send(self.signed(body))
    }

    /// Like [`Self::deliver`], leaving the alarms to the caller.
    pub fn deliver_only(&self, body: &Value) -> Response {
        self.send_only(self.signed(body))
    }

    /// Delivers `body`, which must be answered `accepted`.
    pub fn accepted(&self, body: &Value) {
        let response = self.deliver(body);
        assert_eq!(response.status, 200, "{}", response.body);
        assert_eq!(
            json_of(&response)["status"],
            "accepted",
            "{}",
            response.body
        );
    }

    /// An operator's `POST` with the admin token.
    pub fn post(&self, path: &str, body: &str) -> Response {
        self.send(Request {
            method: "POST".into(),
            path: path.into(),
            query: String::new(),
            headers: vec![("authorization".into(), bearer())],
            body: body.as_bytes().to_vec(),
        })
    }

    /// `POST /calls/{CALL}/actions/{action}` with the admin token.
    pub fn operator_action(&self, action: &str, body: &Value) -> Response {
        self.post(
            &format!("/calls/{CALL}/actions/{action}"),
            &body.to_string(),
        )
    }

    /// What reached the fake Telnyx, in order.
    pub fn sent(&self) -> Vec<Recorded> {
        self.telnyx.requests()
    }

    /// `GET` of a path with an optional `?query`.
    pub fn get(&self, target: &str, authorization: Option<&str>) -> Response {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        self.send_only(Request {
            method: "GET".into(),
            path: path.into(),
            query: query.into(),
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
    deliveries::call_event(CALL, event_type, id, second)
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
