//! `POST /calls` (Dial) and `POST /calls/{id}/supervise`: validated here, then sent by
//! the object that owns the Dial (`object::dial` says which), which records it before it
//! goes and answers with Telnyx's answer.

use serde_json::{Map, Value};

use super::object::{self, dial_object, NOT_DIALED, UNKNOWN_CALL};
use super::operator::{invalid_parameter, parse_body};
use super::App;
use crate::domain::actions::{validate, Violation, DIAL};
use crate::domain::problem::Problem;
use crate::ports::http::{Request, Response};
use crate::ports::{CallObjects, Ports};

/// Tells a client not to repeat a Dial that did not succeed: the worker already sent it
/// again where that was safe (same `command_id`, inside Telnyx's 60 s), and a repeat
/// without one could ring a second call. The official SDKs honour it.
const SHOULD_RETRY_HEADER: &str = "x-should-retry";

/// A Dial's or a supervise's answer; one that is no success says not to repeat it.
fn not_to_repeat(answer: Response) -> Response {
    if (200..300).contains(&answer.status) {
        answer
    } else {
        answer.with_header(SHOULD_RETRY_HEADER, "false")
    }
}

/// The fields `POST /calls/{id}/supervise` takes.
const SUPERVISE_FIELDS: [&str; 3] = ["to", "role", "from"];
const ROLES: [&str; 3] = ["barge", "whisper", "monitor"];

/// A supervisor's address: a SIP URI, or a number in E.164.
fn is_address(to: &str) -> bool {
    let sip = ["sip:", "sips:"]
        .iter()
        .find_map(|scheme| to.strip_prefix(scheme))
        .is_some_and(|rest| !rest.is_empty());
    let e164 = to.strip_prefix('+').is_some_and(|digits| {
        (1..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
    });
    (sip || e164) && !to.chars().any(|c| c.is_whitespace() || c.is_control())
}

fn violation(pointer: &str, detail: &str) -> Violation {
    Violation {
        pointer: pointer.to_owned(),
        detail: detail.to_owned(),
    }
}

/// What is wrong with a supervise body, field by field.
fn supervise_violations(body: &Map<String, Value>) -> Vec<Violation> {
    let mut violations: Vec<Violation> = body
        .keys()
        .filter(|key| !SUPERVISE_FIELDS.contains(&key.as_str()))
        .map(|key| {
            let mut pointer = String::new();
            crate::domain::actions::push_pointer(&mut pointer, key);
            violation(&pointer, "is not a field here; accepted: to, role, from")
        })
        .collect();
    match body.get("to") {
        None => violations.push(violation("/to", "is required")),
        Some(Value::String(to)) if is_address(to) => {}
        Some(_) => violations.push(violation(
            "/to",
            "must be a SIP URI (sip:…) or a number in E.164 (+…)",
        )),
    }
    match body.get("role").and_then(Value::as_str) {
        Some(role) if ROLES.contains(&role) => {}
        _ if !body.contains_key("role") => violations.push(violation("/role", "is required")),
        _ => violations.push(violation(
            "/role",
            "must be one of: barge, whisper, monitor",
        )),
    }
    match body.get("from") {
        None => {}
        Some(Value::String(from)) if !from.trim().is_empty() => {}
        Some(_) => violations.push(violation("/from", "must be a non-empty string")),
    }
    violations
}

impl<P: Ports> App<'_, P> {
    /// `POST /calls`.
    pub(super) async fn dial(&self, request: &Request, by: &str) -> Response {
        not_to_repeat(self.send_dial(request, by).await)
    }

    async fn send_dial(&self, request: &Request, by: &str) -> Response {
        let mut body = match parse_body(&request.body) {
            Ok(Value::Object(body)) => body,
            Ok(_) => return invalid_parameter(vec![violation("", "must be a JSON object")]).into(),
            Err(problem) => return problem.into(),
        };
        if let (false, Some(id)) = (
            body.contains_key("connection_id"),
            &self.config.connection_id,
        ) {
            body.insert("connection_id".into(), Value::String(id.clone()));
        }
        let body = Value::Object(body);
        if let Err(violations) = validate(&DIAL, &body) {
            return invalid_parameter(violations).into();
        }
        let Value::Object(mut body) = body else {
            return Problem::new(500, "internal", "the body is no longer an object").into();
        };
        let (command_id, given) = match body.get("command_id").and_then(Value::as_str) {
            Some(given) => (given.to_owned(), true),
            None => match object::random_uuid() {
                Ok(id) => {
                    body.insert("command_id".into(), Value::String(id.clone()));
                    (id, false)
                }
                Err(error) => return self.storage_failure(error, None),
            },
        };
        let text = serde_json::to_string(&body).unwrap_or_default();
        let owner = dial_object(&command_id);
        // A supervisor leg onto a call the worker knows belongs to that call.
        if let Some(parent) = body
            .get("supervise_call_control_id")
            .and_then(Value::as_str)
        {
            // Unless it went to its own object before: the call was not known then.
            if given {
                let asked = object::repeated_dial_request(text.clone(), by);
                match self.objects.request(&owner, asked).await {
                    Ok(response) if response.header(object::OUTCOME_HEADER) == Some(NOT_DIALED) => {
                    }
                    Ok(response) => return response,
                    Err(error) => return self.storage_failure(error, None),
                }
            }
            let answer = self
                .objects
                .request(parent, object::dial_request(Some(parent), text.clone(), by))
                .await;
            match answer {
                Ok(response) if response.header(object::OUTCOME_HEADER) == Some(UNKNOWN_CALL) => {}
                Ok(response) => return response,
                Err(error) => return self.storage_failure(error, Some(parent)),
            }
        }
        match self
            .objects
            .request(&owner, object::dial_request(None, text, by))
            .await
        {
            Ok(response) => response,
            Err(error) => self.storage_failure(error, None),
        }
    }

    /// `POST /calls/{id}/supervise`.
    pub(super) async fn supervise(
        &self,
        request: &Request,
        call_control_id: &str,
        by: &str,
    ) -> Response {
        not_to_repeat(self.send_supervise(request, call_control_id, by).await)
    }

    async fn send_supervise(&self, request: &Request, call_control_id: &str, by: &str) -> Response {
        let body = match parse_body(&request.body) {
            Ok(Value::Object(body)) => body,
            Ok(_) => return invalid_parameter(vec![violation("", "must be a JSON object")]).into(),
            Err(problem) => return problem.into(),
        };
        let violations = supervise_violations(&body);
        if !violations.is_empty() {
            return invalid_parameter(violations).into();
        }
        let request = object::supervise_request(
            call_control_id,
            serde_json::to_string(&body).unwrap_or_default(),
            by,
        );
        match self.objects.request(call_control_id, request).await {
            Ok(response) => response,
            Err(error) => self.storage_failure(error, Some(call_control_id)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_supervisor_address_is_sip_or_e164() {
        for good in ["sip:sup@pbx.example.com", "sips:a@b", "+13125550100"] {
            assert!(is_address(good), "{good}");
        }
        for bad in [
            "",
            "sip:",
            "+",
            "13125550100",
            "+1 312",
            "sip:a b",
            "+1234567890123456",
        ] {
            assert!(!is_address(bad), "{bad}");
        }
    }

    #[test]
    fn supervise_bodies_are_checked_field_by_field() {
        let pointers = |body: Value| -> Vec<String> {
            supervise_violations(body.as_object().unwrap())
                .into_iter()
                .map(|v| v.pointer)
                .collect()
        };
        assert!(pointers(json!({"to": "sip:a@b", "role": "monitor"})).is_empty());
        assert!(pointers(json!({"to": "+1312", "role": "barge", "from": "+1999"})).is_empty());
        assert_eq!(pointers(json!({})), ["/to", "/role"]);
        assert_eq!(
            pointers(json!({"to": 5, "role": "listen"})),
            ["/to", "/role"]
        );
        assert_eq!(
            pointers(json!({"to": "sip:a@b", "role": "whisper", "from": "", "x/y": 1})),
            ["/x~1y", "/from"]
        );
    }
}
