//! What the fuzz targets (`fuzz/`) check, one function per target. Each takes raw fuzzer
//! bytes, runs the real code over in-memory ports, and panics when an invariant breaks,
//! which is what the fuzzer reports as a crash. `tests/fuzz_regressions.rs` replays
//! the seeds and every saved crash through the same functions on stable Rust.

use std::cell::RefCell;

use percent_encoding::percent_decode_str;
use pollster::block_on;
use serde_json::{json, Value};

use super::fake_telnyx::{FakeTelnyx, FakeTelnyxPort};
use super::objects::{MemoryObjects, MemoryPorts, ObjectSlots};
use telnyx_edge::app::access_keys::AccessKeys;
use telnyx_edge::app::App;
use telnyx_edge::domain::actions::{find, validate, ACTIONS};
use telnyx_edge::domain::automations::{parse_rules, plan, Trigger};
use telnyx_edge::domain::config::Config;
use telnyx_edge::domain::envelope::is_call_control_id;
use telnyx_edge::ports::http::{Request, Response};
use telnyx_edge::ports::memory::{ManualClock, MemoryKv, MemoryLog};
use telnyx_edge::ports::{HttpClient, HttpError, HttpRequest, HttpResponse};
use telnyx_edge::simulator::signing::{signature_headers, WebhookSigner};

/// The webhook target's clock, Unix seconds; mode 0 signs at this time.
pub const NOW: i64 = 1_757_944_931;
const API_BASE: &str = "https://telnyx.test/v2";
const API_KEY: &str = "KEY-fuzzing-secret-api-key";
const ADMIN_TOKEN: &str = "fuzzing-admin-token";
const SEED: [u8; 32] = *b"telnyx-edge-fuzzing-key-00000001";

/// Rules over every action the worker can send, with conditions, templates and limits,
/// so fuzzed deliveries reach planning, sending and the sweep.
pub const RULES: &str = r#"{"rules": [
  {"name": "answer-inbound", "on": ["call.initiated"], "if": {"payload.direction": "incoming"},
   "do": [{"action": "answer", "params": {"client_state": "{{payload.client_state}}"}}],
   "limit_per_call": 1},
  {"name": "dtmf", "on": ["call.dtmf.received"],
   "do": [{"action": "send_dtmf", "params": {"digits": "{{payload.digit}}"}},
          {"action": "switch_supervisor_role", "params": {"role": "barge"}}]},
  {"name": "refer-failover", "on": ["call.refer.failed"], "if": {"state.refer.status": ["started", null]},
   "do": [{"action": "refer", "params": {"sip_address": "sip:backup@pbx.example.com"}}],
   "limit_per_call": 2},
  {"name": "record", "on": ["call.answered"],
   "do": [{"action": "siprec_start", "params": {"connector_name": "rec", "siprec_track": "both_tracks"}},
          {"action": "suppression_start", "params": {"direction": "inbound"}}]},
  {"name": "stop-on-failure", "on": ["siprec.failed"],
   "do": [{"action": "siprec_stop", "params": {}}, {"action": "hangup", "params": {}}]},
  {"name": "stamp", "on": ["call.bridged"],
   "do": [{"action": "client_state_update", "params": {"client_state": "c3RhbXBlZA=="}},
          {"action": "suppression_stop", "params": {}},
          {"action": "transfer", "params": {"to": "{{payload.to}}"}},
          {"action": "bridge", "params": {"call_control_id": "{{payload.call_control_id}}"}}]}
]}"#;

/// The webhook target's input: `mode`, a header block, a NUL, then the body (with no
/// NUL the header block is empty and everything after `mode` is the body).
///
/// - mode 0: signed correctly at [`NOW`]; the block's `name:value` lines are added after;
/// - mode 1: only the block's headers (forged or missing signatures);
/// - mode 2: signed correctly with the whole block as the timestamp text.
pub fn webhook_input(mode: u8, header_block: &str, body: &[u8]) -> Vec<u8> {
    [&[mode], header_block.as_bytes(), &[0], body].concat()
}

/// Headers + body through the webhook route, then what the response leaves behind (the
/// object's alarms, until every action is final), and a redelivery.
pub fn webhook(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let (block, body) = match rest.iter().position(|&b| b == 0) {
        Some(nul) => (&rest[..nul], &rest[nul + 1..]),
        None => (&rest[..0], rest),
    };
    let block = String::from_utf8_lossy(block).into_owned();
    let extra = block.lines().filter_map(|line| line.split_once(':'));
    let extra = extra.map(|(name, value)| (name.to_owned(), value.to_owned()));
    let signer = WebhookSigner::from_seed(SEED);
    let headers: Vec<(String, String)> = match mode % 3 {
        0 => signer.headers(NOW, body).into_iter().chain(extra).collect(),
        1 => extra.collect(),
        _ => signature_headers(&signer.sign(&block, body), &block),
    };
    let request = Request {
        method: "POST".into(),
        path: "/webhooks/telnyx".into(),
        query: String::new(),
        headers,
        body: body.to_vec(),
    };
    let world = World::new(&signer);
    let response = world.handle(request.clone());
    let reply: Value = serde_json::from_str(&response.body)
        .unwrap_or_else(|e| panic!("answer not JSON ({e}): {}", response.body));
    match response.status {
        200 => {
            assert_eq!(reply["status"], "accepted", "{reply}");
            let stored = (world.kv.writes(), world.objects.call_records());
            let sent = world.telnyx.requests().len();
            let again = world.handle(request.clone());
            assert_eq!(again.status, 200, "{}", again.body);
            assert!(again.body.contains("\"duplicate\""), "{}", again.body);
            let after = (world.kv.writes(), world.objects.call_records());
            assert_eq!(after, stored, "a duplicate stored something");
            assert_eq!(world.telnyx.requests().len(), sent, "a duplicate sent");
            world.advance(10 * 60 * 1000);
            world.assert_every_action_final();
        }
        400 | 401 | 413 => {
            assert!(reply["errors"][0]["code"].is_string(), "{reply}");
            assert_eq!(world.kv.writes(), 0, "a refused delivery stored something");
            assert_eq!(
                world.objects.with_tables(),
                Vec::<String>::new(),
                "a refused delivery reached an object"
            );
            assert!(
                world.telnyx.requests().is_empty(),
                "a refused delivery sent"
            );
        }
        status => panic!("status {status} is not documented for webhooks: {reply}"),
    }
    world.assert_contained(&signer, &request);
}

/// The action-validation target's input: the first byte picks the action, the rest is
/// the body.
pub fn action_input(action_index: u8, body: &[u8]) -> Vec<u8> {
    [&[action_index], body].concat()
}

/// Validation is total, deterministic, points at fields, and accepts again what it
/// accepted once it is serialised and read back.
pub fn action_validation(data: &[u8]) {
    let Some((&index, body)) = data.split_first() else {
        return;
    };
    let action = &ACTIONS[usize::from(index) % ACTIONS.len()];
    let Ok(body) = serde_json::from_slice::<Value>(body) else {
        return;
    };
    let verdict = validate(action, &body);
    assert_eq!(validate(action, &body), verdict, "not deterministic");
    match verdict {
        Ok(()) => {
            assert!(body.is_object(), "accepted a non-object: {body}");
            let again: Value = serde_json::from_str(&body.to_string()).expect("round trip");
            assert_eq!(validate(action, &again), Ok(()), "{body}");
        }
        Err(violations) => {
            assert!(!violations.is_empty(), "an error without a violation");
            for violation in violations {
                assert!(
                    violation.pointer.is_empty() || violation.pointer.starts_with('/'),
                    "{violation:?}"
                );
                assert!(!violation.detail.is_empty(), "{violation:?}");
            }
        }
    }
}

/// Rules text through the parser, then planned against every tracked event: no
/// panic, the same answer twice, every planned body valid, every command id distinct.
pub fn automations(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = parse_rules(text, None);
    let rules = match parsed {
        Ok(rules) => rules,
        Err(errors) => {
            assert!(!errors.is_empty(), "refused without a reason");
            for error in &errors {
                assert!(error.to_string().starts_with("AUTOMATIONS"), "{error}");
            }
            return;
        }
    };
    let states = [
        Value::Null,
        json!({"status": "answered", "refer": {"status": "started"},
        "client_state": "c3RhbXBlZA==", "supervisor_role": "monitor"}),
    ];
    for (n, event_type) in super::deliveries::TRACKED_EVENT_TYPES.iter().enumerate() {
        let event_id = format!("fuzz-event-{n}");
        let body = super::deliveries::body(&super::deliveries::Delivery {
            event_type,
            event_id: &event_id,
            call_control_id: "v3:fuzz-call",
            occurred_at: &super::deliveries::occurred_at(n as u32),
        });
        let Some(data) = body["data"].as_object() else {
            unreachable!("deliveries have data")
        };
        let trigger = Trigger {
            event_id: &event_id,
            event_type,
            data,
        };
        for state in &states {
            let planned = plan(&rules, &trigger, state, &[]);
            assert_eq!(
                plan(&rules, &trigger, state, &[]),
                planned,
                "not deterministic"
            );
            let mut ids: Vec<&str> = planned.iter().map(|p| p.command_id.as_str()).collect();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids.len(), planned.len(), "a command id repeats");
            for step in &planned {
                if let Ok(body) = &step.body {
                    let body = Value::Object(body.clone());
                    assert_eq!(validate(step.action, &body), Ok(()), "{body}");
                }
            }
        }
    }
}

/// The worker and its call objects over in-memory ports and SQLite, with every
/// outgoing request checked.
struct World {
    config: Config,
    kv: MemoryKv,
    log: MemoryLog,
    telnyx: FakeTelnyx,
    clock: ManualClock,
    objects: ObjectSlots,
    strays: RefCell<Vec<String>>,
}

/// The HTTP port, refusing (and noting) any request outside `{API_BASE}/calls/{id}/actions/{action}`.
struct Guarded<'a> {
    port: FakeTelnyxPort<'a>,
    strays: &'a RefCell<Vec<String>>,
}

impl HttpClient for Guarded<'_> {
    async fn send(
        &self,
        request: &HttpRequest,
        timeout_ms: u64,
    ) -> Result<HttpResponse, HttpError> {
        if !is_action_url(&request.url) {
            self.strays.borrow_mut().push(request.url.clone());
            return Err(HttpError::Network("refused by the fuzz guard".into()));
        }
        self.port.send(request, timeout_ms).await
    }
}

/// Whether `url` is exactly an action URL: the base, one call id segment that decodes
/// to a valid id, `actions`, one known action.
fn is_action_url(url: &str) -> bool {
    let Some(rest) = url
        .strip_prefix(API_BASE)
        .and_then(|r| r.strip_prefix("/calls/"))
    else {
        return false;
    };
    let segments: Vec<&str> = rest.split('/').collect();
    match segments.as_slice() {
        [id, "actions", action] => {
            !id.contains(['?', '#'])
                && percent_decode_str(id)
                    .decode_utf8()
                    .is_ok_and(|id| is_call_control_id(&id))
                && find(action).is_some()
        }
        _ => false,
    }
}

impl World {
    fn new(signer: &WebhookSigner) -> Self {
        let vars = [
            ("TELNYX_PUBLIC_KEY", signer.public_key_base64()),
            ("TELNYX_API_KEY", API_KEY.to_owned()),
            ("TELNYX_API_BASE", API_BASE.to_owned()),
            ("ADMIN_TOKEN", ADMIN_TOKEN.to_owned()),
            ("AUTOMATIONS", RULES.to_owned()),
        ];
        let config = Config::from_vars(|name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
        });
        assert_eq!(
            config.problems(),
            Vec::<String>::new(),
            "the fuzz configuration"
        );
        let kv = MemoryKv::new();
        kv.set_now(NOW as u64);
        Self {
            config,
            kv,
            log: MemoryLog::default(),
            telnyx: FakeTelnyx::new(),
            clock: ManualClock::at(NOW * 1000),
            objects: ObjectSlots::default(),
            strays: RefCell::default(),
        }
    }

    fn with_objects<T>(&self, run: impl FnOnce(&MemoryObjects<'_, Guarded<'_>>) -> T) -> T {
        let http = Guarded {
            port: FakeTelnyxPort {
                fake: &self.telnyx,
                clock: &self.clock,
            },
            strays: &self.strays,
        };
        run(&MemoryObjects {
            slots: &self.objects,
            config: &self.config,
            kv: &self.kv,
            log: &self.log,
            http: &http,
            clock: &self.clock,
        })
    }

    /// Handles the request, then fires the alarms it left due.
    fn handle(&self, request: Request) -> Response {
        self.with_objects(|objects| {
            let app = App::<MemoryPorts<_, _, _, _>> {
                config: &self.config,
                kv: &self.kv,
                objects,
                log: &self.log,
                clock: &self.clock,
                http: objects.http,
                rs256: &NoAccess,
                access_keys: &AccessKeys::default(),
            };
            let response = block_on(app.handle(request));
            objects.run_due();
            response
        })
    }

    /// Moves time on, firing every alarm on the way.
    fn advance(&self, millis: u64) {
        self.with_objects(|objects| objects.advance(millis));
    }

    /// Every action of every call ended `succeeded` or `failed`.
    fn assert_every_action_final(&self) {
        for name in self.objects.with_tables() {
            let Some(slot) = self.objects.get(&name) else {
                continue;
            };
            let pending: Vec<serde_json::Map<String, Value>> =
                telnyx_edge::ports::ObjectStorage::query(
                    &slot.storage,
                    "SELECT id, status FROM actions WHERE status = 'pending'",
                    &[],
                )
                .unwrap_or_default();
            assert!(pending.is_empty(), "{name}: still pending: {pending:?}");
        }
    }

    /// No request left the action URLs; no secret or signature reached the log.
    fn assert_contained(&self, signer: &WebhookSigner, request: &Request) {
        assert!(
            self.strays.borrow().is_empty(),
            "sent to {:?}",
            self.strays.borrow()
        );
        let log = self.log.text();
        let signature = request
            .headers
            .iter()
            .filter(|(name, value)| {
                name.eq_ignore_ascii_case("telnyx-signature-ed25519") && value.len() >= 16
            })
            .map(|(_, value)| value.as_str());
        for secret in [API_KEY, ADMIN_TOKEN, &signer.public_key_base64()]
            .into_iter()
            .chain(signature)
        {
            assert!(!log.contains(secret), "the log carries {secret}");
        }
    }
}

/// The fuzzed configurations set no Access: no token is ever checked.
struct NoAccess;

impl telnyx_edge::ports::Rs256 for NoAccess {
    async fn verify(
        &self,
        _key: &telnyx_edge::domain::access::Jwk,
        _message: &[u8],
        _signature: &[u8],
    ) -> Result<bool, String> {
        Ok(false)
    }
}
