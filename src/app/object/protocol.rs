//! How the Worker and the call objects talk: the objects' names, their routes, the
//! headers that carry what a request is for, and the requests themselves. The lowest
//! of the object's modules: it knows nothing of how an object handles them.

use percent_encoding::{percent_decode_str, utf8_percent_encode, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};

use serde::{Deserialize, Serialize};

use crate::domain::envelope::is_call_control_id;
use crate::domain::stats::{Contribution, Minute};
use crate::ports::http::Request;
use crate::ports::StoreError;

/// The objects' own routes; only the Worker and other objects reach them.
pub mod route {
    pub const DELIVER: &str = "/deliver";
    pub const STATE: &str = "/state";
    /// A stream of the call's states (Server-Sent Events), kept by the edge.
    pub const LIVE: &str = "/live";
    pub const ACTIONS: &str = "/actions/";
    pub const LOOSE: &str = "/loose";
    /// `/forwards/{event_id}/replay`.
    pub const FORWARDS: &str = "/forwards/";

    /// A validated Dial body; with [`super::CALL_HEADER`], for the call it supervises.
    pub const DIAL: &str = "/dial";
    /// `{to, role, from?}`: a supervisor leg onto the call named by the header.
    pub const SUPERVISE: &str = "/supervise";
    /// A Dial's new leg, given to the leg's own object.
    pub const REGISTER: &str = "/register";

    /// From a supervisor leg, to the call it supervises.
    pub const SUPERVISOR: &str = "/links/supervisor";
    /// From a session's object, to each of its legs: another leg's report.
    pub const PEER: &str = "/links/peer";
    /// From a leg, to its session's object; answered with every leg of the session.
    pub const SESSION: &str = "/links/session";
    /// An object's contribution to the dashboard's figures, to its stats object.
    pub const STATS_REPORT: &str = "/stats/report";
    /// A stats object's share of the figures, for `GET /stats`.
    pub const STATS_READ: &str = "/stats/read";
}

/// The call a request is for (also the object's name).
pub const CALL_HEADER: &str = "x-telnyx-edge-call";
/// Who asked for an operator's request (`admin-token`, or an Access identity).
pub(super) const OPERATOR_HEADER: &str = "x-telnyx-edge-operator";
/// The verified `telnyx-timestamp` of a delivery, which stands in for a missing
/// `occurred_at`.
pub const SIGNED_AT_HEADER: &str = "x-telnyx-edge-signed-at";
/// `accepted` or `duplicate`, on a delivery's answer.
pub const OUTCOME_HEADER: &str = "x-telnyx-edge-outcome";

/// How many objects share the events that belong to no call.
const LOOSE_SHARDS: u8 = 16;

/// The object that claims an event that belongs to no call. Its name holds a `/`, which
/// no call control id can, so it is never a call's object.
pub fn loose_object_name(event_id: &str) -> String {
    let digest = Sha256::digest(event_id.as_bytes());
    format!("loose-events/{:x}", digest[0] % LOOSE_SHARDS)
}

pub(super) fn internal(
    method: &str,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
) -> Request {
    Request {
        method: method.into(),
        path,
        query: String::new(),
        headers,
        body,
    }
}

/// A verified delivery for the call's object.
pub fn deliver_request(call_control_id: &str, signed_at: i64, body: Vec<u8>) -> Request {
    internal(
        "POST",
        route::DELIVER.into(),
        vec![
            (CALL_HEADER.into(), call_control_id.into()),
            (SIGNED_AT_HEADER.into(), signed_at.to_string()),
        ],
        body,
    )
}

/// A verified delivery of an event that belongs to no call.
pub fn loose_request(signed_at: i64, body: Vec<u8>) -> Request {
    internal(
        "POST",
        route::LOOSE.into(),
        vec![(SIGNED_AT_HEADER.into(), signed_at.to_string())],
        body,
    )
}

pub fn state_request(call_control_id: &str) -> Request {
    internal(
        "GET",
        route::STATE.into(),
        vec![(CALL_HEADER.into(), call_control_id.into())],
        Vec::new(),
    )
}

/// Opens a stream of the call's states.
pub fn live_request(call_control_id: &str) -> Request {
    internal(
        "GET",
        route::LIVE.into(),
        vec![(CALL_HEADER.into(), call_control_id.into())],
        Vec::new(),
    )
}

/// A replay of one of the call's events to every forwarding URL, asked for by `by`.
pub fn replay_request(call_control_id: &str, event_id: &str, by: &str) -> Request {
    let event_id = utf8_percent_encode(event_id, NON_ALPHANUMERIC);
    internal(
        "POST",
        format!("{}{event_id}/replay", route::FORWARDS),
        vec![
            (CALL_HEADER.into(), call_control_id.into()),
            operator_header(by),
        ],
        Vec::new(),
    )
}

/// The header that names the operator `by`, percent-encoded: an email may hold
/// characters no HTTP header value can.
pub(super) fn operator_header(by: &str) -> (String, String) {
    let encoded = utf8_percent_encode(by, NON_ALPHANUMERIC).to_string();
    (OPERATOR_HEADER.into(), encoded)
}

/// The operator a request names.
pub(super) fn operator_of(request: &Request) -> Option<String> {
    let encoded = request.header(OPERATOR_HEADER).ok().flatten()?;
    Some(percent_decode_str(encoded).decode_utf8_lossy().into_owned())
}

/// The encoded event id of a `/forwards/{event_id}/replay` path.
pub(super) fn replayed_event(path: &str) -> Option<&str> {
    path.strip_prefix(route::FORWARDS)?
        .strip_suffix("/replay")
        .filter(|id| !id.is_empty())
}

/// A validated operator action, asked for by `by`.
pub fn action_request(call_control_id: &str, action: &str, body: String, by: &str) -> Request {
    internal(
        "POST",
        format!("{}{action}", route::ACTIONS),
        vec![
            (CALL_HEADER.into(), call_control_id.into()),
            operator_header(by),
        ],
        body.into_bytes(),
    )
}

/// The outcome header's value when the supervised call is unknown here: the Worker then
/// gives the Dial to its own object.
pub const UNKNOWN_CALL: &str = "unknown_call";

/// The outcome header's value when a Dial sent with [`REPEAT_ONLY_HEADER`] was never
/// sent by this object.
pub const NOT_DIALED: &str = "not_dialed";

/// Asks a Dial's own object for its answer to a `command_id` it sent, and not to send
/// it: a repeat finds the Dial where the first request went, whichever object that was.
pub const REPEAT_ONLY_HEADER: &str = "x-telnyx-edge-repeat-only";

/// The object that owns a Dial that supervises no call the worker knows. Its name holds
/// a `/`, which no call control id can.
pub fn dial_object(command_id: &str) -> String {
    let digest = Sha256::digest(command_id.as_bytes());
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!("dial/{hex}")
}

/// A validated Dial, for the supervised call's object (`parent`) or a dial object,
/// asked for by `by`.
pub fn dial_request(parent: Option<&str>, body: String, by: &str) -> Request {
    let mut headers = vec![operator_header(by)];
    if let Some(call) = parent {
        headers.push((CALL_HEADER.to_owned(), call.to_owned()));
    }
    internal("POST", route::DIAL.into(), headers, body.into_bytes())
}

/// A Dial for its own object, to be answered only if that object sent it already.
pub fn repeated_dial_request(body: String, by: &str) -> Request {
    let mut request = dial_request(None, body, by);
    request
        .headers
        .push((REPEAT_ONLY_HEADER.to_owned(), "1".to_owned()));
    request
}

/// A validated supervise body (`to`, `role`, `from`) for the call's object, asked for
/// by `by`.
pub fn supervise_request(call_control_id: &str, body: String, by: &str) -> Request {
    internal(
        "POST",
        route::SUPERVISE.into(),
        vec![
            (CALL_HEADER.into(), call_control_id.into()),
            operator_header(by),
        ],
        body.into_bytes(),
    )
}

/// The object that keeps the legs of a call session, if the id can name one.
pub fn session_object(call_session_id: &str) -> Option<String> {
    is_call_control_id(call_session_id).then(|| format!("session/{call_session_id}"))
}

/// How many stats objects share the dashboard's figures: each object reports to one,
/// chosen by its name, and `GET /stats` reads them all.
pub const STATS_SHARDS: u8 = 16;

/// The stats object of share `shard`. Its name holds a `/`, which no call control id can.
pub fn stats_object(shard: u8) -> String {
    format!("stats/{shard}")
}

/// The stats object the object named `name` reports to.
pub fn stats_object_of(name: &str) -> String {
    let digest = Sha256::digest(name.as_bytes());
    stats_object(digest[0] % STATS_SHARDS)
}

/// A report of an object's contribution to the figures ([`StatsReport`]).
pub fn stats_report_request(report: &StatsReport) -> Result<Request, StoreError> {
    let body = serde_json::to_vec(report).map_err(|_| StoreError::unwritable("report"))?;
    Ok(internal(
        "POST",
        route::STATS_REPORT.into(),
        Vec::new(),
        body,
    ))
}

/// Asks a stats object for its share of the minutes `from` to `to` and of the live
/// figures.
pub fn stats_read_request(from: Minute, to: Minute) -> Request {
    let body = serde_json::to_vec(&StatsRead { from, to }).unwrap_or_default();
    internal("POST", route::STATS_READ.into(), Vec::new(), body)
}

/// What an object reports to its stats object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatsReport {
    /// The reporting object: its call control id, or its own name when it holds no call.
    pub reporter: String,
    /// When the report was made (Unix ms), then the reporter's mark: a report never
    /// replaces a newer one.
    pub version_ms: i64,
    pub version_mark: i64,
    pub contribution: Contribution,
    /// The reporter deletes its storage: this is the last.
    #[serde(default)]
    pub gone: bool,
}

/// The minutes a read asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatsRead {
    pub from: Minute,
    pub to: Minute,
}

/// Echoes the command id used, so an operator can match the call's `actions` entry.
pub const COMMAND_ID_HEADER: &str = "telnyx-edge-command-id";

/// A random UUIDv4 from the platform's secure generator.
pub fn random_uuid() -> Result<String, StoreError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| StoreError(format!("no randomness: {e}")))?;
    Ok(uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn a_dial_object_is_named_by_its_command_id_and_never_like_a_call() {
        let name = dial_object("cmd-1");
        assert_eq!(name, dial_object("cmd-1"));
        assert_ne!(name, dial_object("cmd-2"));
        assert!(name.starts_with("dial/") && name.len() == 5 + 64, "{name}");
        assert!(!is_call_control_id(&name));
    }

    #[test]
    fn a_session_object_is_never_a_call() {
        let name = session_object("428c31b6-7af4-4bcb-b7f5-5013ef9657c1").unwrap();
        assert!(!is_call_control_id(&name));
        assert_eq!(session_object("../x"), None);
        assert_eq!(session_object(""), None);
    }

    #[test]
    fn a_replay_path_names_its_event_and_nothing_else_passes() {
        assert_eq!(replayed_event("/forwards/ev%2F1/replay"), Some("ev%2F1"));
        for path in [
            "/forwards/replay",
            "/forwards//replay",
            "/forwards/ev-1",
            "/x/ev/replay",
        ] {
            assert_eq!(replayed_event(path), None, "{path}");
        }
    }

    #[test]
    fn loose_events_spread_over_shards_that_no_call_can_be_named() {
        let names: HashSet<String> = (0..400)
            .map(|n| loose_object_name(&format!("event-{n}")))
            .collect();
        assert_eq!(names.len(), usize::from(LOOSE_SHARDS));
        for name in &names {
            assert!(!is_call_control_id(name), "{name}");
        }
        assert_eq!(loose_object_name("e1"), loose_object_name("e1"));
    }
}
