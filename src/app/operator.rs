//! `POST /calls/{id}/actions/{action}` (and `PUT` for `client_state_update`): validate,
//! send through [`App::perform`], pass Telnyx's answer back.

use serde_json::{Map, Value};

use super::actions::{ActionCommand, Origin};
use super::http::{Request, Response};
use super::telnyx::TelnyxError;
use super::{method_not_allowed, App};
use crate::domain::actions::{find, validate, ActionSpec, Violation, ACTIONS};
use crate::domain::problem::Problem;
use crate::ports::{Clock, HttpClient, KvStore, Logger};

/// Echoes the command id used, so an operator can match the call's `actions` entry.
pub const COMMAND_ID_HEADER: &str = "telnyx-edge-command-id";

impl<K: KvStore, L: Logger, H: HttpClient, C: Clock> App<'_, K, L, H, C> {
    pub(super) async fn operator_action(
        &self,
        request: &Request,
        call_control_id: &str,
        name: &str,
    ) -> Response {
        let Some(action) = find(name) else {
            let known: Vec<&str> = ACTIONS.iter().map(|action| action.name).collect();
            return Problem::new(
                404,
                "unknown_action",
                format!("no action {name:?}; known: {}", known.join(", ")),
            )
            .into();
        };
        // client_state_update is a PUT at Telnyx; POST is accepted too, like every action.
        let allowed = if action.method == "PUT" {
            "POST, PUT"
        } else {
            "POST"
        };
        if !allowed.split(", ").any(|method| method == request.method) {
            return method_not_allowed(allowed);
        }
        let body = match parse_body(&request.body) {
            Ok(body) => body,
            Err(problem) => return problem.into(),
        };
        // The validator refuses anything but an object, so the match is total in practice.
        let body = match (validate(action, &body), body) {
            (Ok(()), Value::Object(body)) => body,
            (result, _) => return invalid_parameter(result.err().unwrap_or_default()).into(),
        };
        self.send_action(action, call_control_id, body).await
    }

    async fn send_action(
        &self,
        action: &'static ActionSpec,
        call_control_id: &str,
        body: Map<String, Value>,
    ) -> Response {
        let command = ActionCommand {
            action,
            call_control_id,
            body,
            origin: Origin::Operator,
        };
        let performed = match self.perform(command).await {
            Ok(performed) => performed,
            Err(error) => return self.storage_failure(error, Some(call_control_id)),
        };
        let response = match (
            performed.sent.and_then(|sent| sent.response),
            performed.error,
        ) {
            // Telnyx answered: its status and body, as they were.
            (Some(telnyx), _) => Response::json(telnyx.status, telnyx.body),
            (None, Some(TelnyxError::ApiKeyMissing)) => Problem::new(
                503,
                "api_key_missing",
                "TELNYX_API_KEY is not set; nothing was sent (recorded as failed on the call)",
            )
            .into(),
            (None, Some(TelnyxError::Timeout)) => Problem::new(
                504,
                "telnyx_timeout",
                "Telnyx did not answer in time, after retries; recorded as failed",
            )
            .into(),
            (None, error) => Problem::new(
                502,
                "telnyx_unreachable",
                format!(
                    "Telnyx could not be reached, after retries ({}); recorded as failed",
                    error.map(|e| e.summary()).unwrap_or_default()
                ),
            )
            .into(),
        };
        match performed.record.command_id {
            Some(command_id) => response.with_header(COMMAND_ID_HEADER, command_id),
            None => response,
        }
    }
}

/// `422` with one error per violation, each with its pointer.
fn invalid_parameter(violations: Vec<Violation>) -> Problem {
    let mut violations = violations.into_iter();
    let first = violations.next();
    let mut problem = Problem::new(
        422,
        "invalid_parameter",
        first.as_ref().map_or_else(
            || "the body must be a JSON object".to_owned(),
            |v| describe(&v.pointer, &v.detail),
        ),
    );
    problem.pointer = first.map(|v| v.pointer);
    problem.more = violations
        .map(|v| (describe(&v.pointer, &v.detail), v.pointer))
        .collect();
    problem
}

/// The body as JSON; an empty body means `{}` (`hangup` and friends need no fields).
fn parse_body(bytes: &[u8]) -> Result<Value, Problem> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    serde_json::from_slice(bytes).map_err(|error| {
        Problem::new(
            400,
            "invalid_json",
            format!("the body is not JSON: {error}"),
        )
    })
}

/// `duration_millis must be between 100 and 500`.
fn describe(pointer: &str, detail: &str) -> String {
    match pointer.strip_prefix('/') {
        Some(path) => format!("{path} {detail}"),
        None => format!("the body {detail}"),
    }
}
