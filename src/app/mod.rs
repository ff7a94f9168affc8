//! The request pipeline over the ports. The Worker ([`App`]) routes, verifies, parses
//! and authenticates, then hands each call's requests to the call's object
//! ([`object::CallObject`]), which keeps the call. Runs the same under workerd and in
//! native tests.

pub mod access;
pub mod access_keys;
pub mod archive;
pub mod calls;
pub mod console;
mod dial;
pub mod object;
mod operator;
pub mod stats;
pub mod telnyx;
mod webhook;

use percent_encoding::percent_decode_str;
use serde::Serialize;

use crate::domain::auth::Operator;
use crate::domain::config::Config;
use crate::domain::envelope::{
    is_call_control_id, CALL_CONTROL_ID_CHARACTERS, MAX_CALL_CONTROL_ID_BYTES,
};
use crate::domain::problem::Problem;
use crate::domain::time::Instant;
use crate::ports::http::{Request, Response};
use crate::ports::{CallObjects, Clock, LogLine, Logger, Ports, StoreError};
use access_keys::AccessKeys;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Request bodies above this are refused with `413` before any verification work.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Everything the Worker handles a request with.
pub struct App<'a, P: Ports> {
    pub config: &'a Config,
    /// The call index and archive.
    pub kv: &'a P::Kv,
    /// The calls' objects.
    pub objects: &'a P::Objects,
    pub log: &'a P::Log,
    pub clock: &'a P::Clock,
    /// Fetches Cloudflare Access's signing keys.
    pub http: &'a P::Http,
    /// Checks an Access token's RS256 signature.
    pub rs256: &'a P::Rs256,
    /// Access's signing keys, kept by the isolate.
    pub access_keys: &'a AccessKeys,
}

/// `GET /health`: booleans say whether a setting is present, never its value.
#[derive(Serialize)]
struct Health {
    status: &'static str,
    version: &'static str,
    config: HealthConfig,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

#[derive(Serialize)]
struct HealthConfig {
    public_key: bool,
    api_key: bool,
    admin_token: bool,
    automations: usize,
    /// Cloudflare Access signs operators in (both settings set and usable).
    access: bool,
    /// Its team domain (never a key).
    access_team_domain: Option<String>,
}

enum Route {
    Webhook,
    Health,
    /// `GET /operator`: who the caller is.
    Operator,
    /// `GET /stats`: the dashboard's figures.
    Stats,
    Calls,
    Call(CallId),
    Live(CallId),
    Action(CallId, String),
    /// `POST /calls/{id}/supervise`.
    Supervise(CallId),
    /// `POST /calls/{id}/forwards/{event_id}/replay`.
    Replay(CallId, String),
    NotFound,
}

/// A call control id from the path, or why it cannot be one (told only once authorised).
type CallId = Result<String, Problem>;

fn route(path: &str) -> Route {
    match path {
        "/webhooks/telnyx" => Route::Webhook,
        "/health" => Route::Health,
        "/operator" => Route::Operator,
        "/stats" => Route::Stats,
        "/calls" => Route::Calls,
        _ => {
            let Some(rest) = path.strip_prefix("/calls/") else {
                return Route::NotFound;
            };
            let mut segments = rest.split('/');
            let id = segments.next().and_then(call_control_id);
            let rest: Vec<&str> = segments.collect();
            match (id, rest.as_slice()) {
                (Some(id), []) => Route::Call(id),
                (Some(id), ["live"]) => Route::Live(id),
                (Some(id), ["supervise"]) => Route::Supervise(id),
                (Some(id), ["actions", action]) if !action.is_empty() => {
                    Route::Action(id, (*action).to_owned())
                }
                (Some(id), ["forwards", event_id, "replay"]) if !event_id.is_empty() => {
                    Route::Replay(id, percent_decode_str(event_id).decode_utf8_lossy().into())
                }
                _ => Route::NotFound,
            }
        }
    }
}

/// The percent-decoded call control id of one path segment. An empty segment, `.` or
/// `..` is no route at all (URL parsers resolve dot segments, escaped or not); any other
/// id that Telnyx could not have issued is refused, so it never reaches a KV key or an
/// action URL.
fn call_control_id(segment: &str) -> Option<CallId> {
    let decoded = percent_decode_str(segment).decode_utf8_lossy();
    match &*decoded {
        "" | "." | ".." => None,
        id if is_call_control_id(id) => Some(Ok(id.to_owned())),
        _ => Some(Err(Problem::new(
            404,
            "invalid_call_control_id",
            format!(
                "no call has this id: a call_control_id holds only {CALL_CONTROL_ID_CHARACTERS} \
                 (at most {MAX_CALL_CONTROL_ID_BYTES} bytes)"
            ),
        ))),
    }
}

/// The log line for a refused request: which check refused it, never the input.
pub fn rejection_log(msg: &'static str, problem: &Problem) -> LogLine {
    LogLine {
        level: if problem.status >= 500 {
            "error"
        } else {
            "warn"
        },
        msg,
        outcome: Some("rejected"),
        status: Some(problem.status),
        detail: Some(problem.code.to_owned()),
        ..LogLine::default()
    }
}

pub(crate) fn no_such_route() -> Response {
    Problem::new(404, "not_found", "no such route").into()
}

pub(crate) fn method_not_allowed(allow: &'static str) -> Response {
    Response::from(Problem::new(
        405,
        "method_not_allowed",
        format!("this route accepts {allow} only"),
    ))
    .with_header("allow", allow)
}

impl<P: Ports> App<'_, P> {
    pub async fn handle(&self, request: Request) -> Response {
        let route = route(&request.path);
        let response = match (&route, request.method.as_str()) {
            (Route::Webhook, "POST") => return self.webhook(request, self.now()).await,
            (Route::Webhook, _) => method_not_allowed("POST"),
            (Route::Health, "GET") => self.health(),
            (Route::Operator, "GET") => self.operator(&request).await,
            // The edge streams it (`live_request`); a runtime without streams says so.
            (Route::Live(_), "GET") => match self.live_request(&request).await {
                Some(Err(refused)) => refused,
                _ => Problem::new(501, "not_streaming", "live updates need the Worker runtime")
                    .into(),
            },
            (Route::Calls, "GET" | "POST")
            | (Route::Stats, "GET")
            | (Route::Supervise(_), "POST")
            | (Route::Call(_), "GET")
            | (Route::Action(..), _)
            | (Route::Replay(..), "POST") => match self.authorize(&request).await {
                Ok(operator) => self.operate(route, &request, &operator).await,
                Err(refused) => refused,
            },
            (Route::Calls, _) => method_not_allowed("GET, POST"),
            (Route::Supervise(_) | Route::Replay(..), _) => method_not_allowed("POST"),
            (
                Route::Health | Route::Operator | Route::Stats | Route::Call(_) | Route::Live(_),
                _,
            ) => method_not_allowed("GET"),
            (Route::NotFound, _) => no_such_route(),
        };
        response
    }

    /// An authorised operator request (`handle` checked the route and method).
    async fn operate(&self, route: Route, request: &Request, operator: &Operator) -> Response {
        let by = operator.id.as_str();
        let with_call = |id: CallId| id.map_err(Response::from);
        match route {
            Route::Calls if request.method == "GET" => self.list_calls(request).await,
            Route::Calls => self.dial(request, by).await,
            Route::Stats => self.stats(request).await,
            Route::Supervise(id) => match with_call(id) {
                Ok(id) => self.supervise(request, &id, by).await,
                Err(refused) => refused,
            },
            Route::Call(id) => match with_call(id) {
                Ok(id) => self.call_state(&id).await,
                Err(refused) => refused,
            },
            Route::Action(id, action) => match with_call(id) {
                Ok(id) => self.operator_action(request, &id, &action, by).await,
                Err(refused) => refused,
            },
            Route::Replay(id, event_id) => match with_call(id) {
                Ok(id) => self.replay(&id, &event_id, by).await,
                Err(refused) => refused,
            },
            _ => no_such_route(),
        }
    }

    fn now(&self) -> Instant {
        Instant::from_unix_millis(self.clock.now_millis())
    }

    /// `GET /calls/{id}/live`, authorised: the call's object and the request that opens
    /// its stream of states, or the refusal. `None` for any other request.
    pub async fn live_request(
        &self,
        request: &Request,
    ) -> Option<Result<(String, Request), Response>> {
        let Route::Live(id) = route(&request.path) else {
            return None;
        };
        if request.method != "GET" {
            return None;
        }
        let id = match self.authorize(request).await {
            Ok(_) => id.map_err(Response::from),
            Err(refused) => Err(refused),
        };
        Some(id.map(|id| {
            let open = object::live_request(&id);
            (id, open)
        }))
    }

    /// The call as its object has it; once the object has let it go, as archived.
    async fn call_state(&self, call_control_id: &str) -> Response {
        let live = self
            .objects
            .request(call_control_id, object::state_request(call_control_id))
            .await;
        match live {
            Ok(response) if response.status == 404 => {
                match archive::get_archive(self.kv, call_control_id).await {
                    Ok(Some(archived)) => Response::json(200, archived),
                    Ok(None) => response,
                    Err(error) => self.storage_failure(error, Some(call_control_id)),
                }
            }
            Ok(response) => response,
            Err(error) => self.storage_failure(error, Some(call_control_id)),
        }
    }

    /// Sends one of the call's events to every forwarding URL again, from its object.
    async fn replay(&self, call_control_id: &str, event_id: &str, by: &str) -> Response {
        let request = object::replay_request(call_control_id, event_id, by);
        match self.objects.request(call_control_id, request).await {
            Ok(response) => response,
            Err(error) => self.storage_failure(error, Some(call_control_id)),
        }
    }

    fn health(&self) -> Response {
        let problems = self.config.problems();
        let health = Health {
            status: if problems.is_empty() {
                "ok"
            } else {
                "misconfigured"
            },
            version: VERSION,
            config: HealthConfig {
                public_key: self.config.public_keys.is_some(),
                api_key: self.config.api_key.is_some(),
                admin_token: self.config.admin_token.is_some(),
                automations: self.config.automations.as_ref().map_or(0, Vec::len),
                access: matches!(self.config.access, Ok(Some(_))),
                access_team_domain: self
                    .config
                    .access
                    .as_ref()
                    .ok()
                    .and_then(Option::as_ref)
                    .map(|access| access.team_domain.clone()),
            },
            reason: (!problems.is_empty()).then(|| problems.join("; ")),
        };
        Response::json(200, serde_json::to_string(&health).unwrap_or_default())
    }

    pub(crate) fn storage_failure(&self, error: StoreError, call: Option<&str>) -> Response {
        self.log.log(LogLine {
            level: "error",
            msg: "storage",
            call_control_id: call.map(str::to_owned),
            outcome: Some("storage_error"),
            detail: Some(error.0),
            ..LogLine::default()
        });
        Problem::new(
            500,
            "storage_unavailable",
            "the call's storage could not be reached; retry later",
        )
        .into()
    }
}
