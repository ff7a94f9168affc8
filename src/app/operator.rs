//! `POST /calls/{id}/actions/{action}` (and `PUT` for `client_state_update`): validated
//! here, then sent by the call's object, which records it in the call's order and
//! passes Telnyx's answer back.

use serde_json::{Map, Value};

use super::{method_not_allowed, object, App};
use crate::domain::actions::{find, validate, Violation, ACTIONS};
use crate::domain::problem::Problem;
use crate::ports::http::{Request, Response};
use crate::ports::{CallObjects, Ports};

impl<P: Ports> App<'_, P> {
    pub(super) async fn operator_action(
        &self,
        request: &Request,
        call_control_id: &str,
        name: &str,
        by: &str,
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
        let request = object::action_request(
            call_control_id,
            action.name,
            serde_json::to_string(&body).unwrap_or_default(),
            by,
        );
        match self.objects.request(call_control_id, request).await {
            Ok(response) => response,
            Err(error) => self.storage_failure(error, Some(call_control_id)),
        }
    }
}

/// `422` with one error per violation, each with its pointer.
pub(crate) fn invalid_parameter(violations: Vec<Violation>) -> Problem {
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
pub(crate) fn parse_body(bytes: &[u8]) -> Result<Value, Problem> {
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
