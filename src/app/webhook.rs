//! `POST /webhooks/telnyx`: size check, signature and envelope, then the call's object
//! claims the event (an event that belongs to no call goes to a loose-events object).
//! The answer waits for the claim to be durable, never for automations.

use serde::Serialize;

use super::object::{self, OUTCOME_HEADER};
use super::MAX_BODY_BYTES;
use super::{rejection_log, App};
use crate::domain::envelope::{parse, Delivery};
use crate::domain::problem::Problem;
use crate::domain::signature::{
    verify, PublicKeys, Rejection, SignatureHeaders, SIGNATURE_HEADER, TIMESTAMP_HEADER,
};
use crate::domain::time::Instant;
use crate::ports::http::{Request, Response};
use crate::ports::{CallObjects, LogLine, Logger, Ports};

impl<P: Ports> App<'_, P> {
    pub(super) async fn webhook(&self, request: Request, now: Instant) -> Response {
        match self.accept(request, now).await {
            Ok(response) | Err(response) => response,
        }
    }

    async fn accept(&self, request: Request, now: Instant) -> Result<Response, Response> {
        if request.body.len() > MAX_BODY_BYTES {
            return Err(self.refuse(Problem::new(
                413,
                "payload_too_large",
                format!("webhook bodies are limited to {MAX_BODY_BYTES} bytes"),
            )));
        }
        let (keys, tolerance) = self
            .verification_config()
            .map_err(|problem| self.refuse(problem))?;
        let signed_at = signature_headers(&request)
            .and_then(|headers| verify(keys, headers, &request.body, now.secs, tolerance))
            .map_err(|rejection| {
                self.refuse(Problem::new(401, rejection.code(), rejection.detail()))
            })?;
        let delivery =
            parse(&request.body, Instant::from_unix_secs(signed_at)).map_err(|error| {
                self.refuse(Problem::new(400, "invalid_envelope", error.detail).at(error.pointer))
            })?;
        if let (Err(errors), Some(_)) = (&self.config.automations, &delivery.record) {
            self.log.log(LogLine {
                level: "warn",
                msg: "automations",
                event_id: Some(delivery.event_id.clone()),
                outcome: Some("disabled"),
                detail: Some(format!(
                    "AUTOMATIONS is invalid, no rule runs ({} problems; see /health)",
                    errors.len()
                )),
                ..LogLine::default()
            });
        }
        // Only a verified, parsed delivery reaches an object.
        let (name, handover) = match &delivery.record {
            Some(record) => (
                record.call_control_id.clone(),
                object::deliver_request(&record.call_control_id, signed_at, request.body),
            ),
            None => (
                object::loose_object_name(&delivery.event_id),
                object::loose_request(signed_at, request.body),
            ),
        };
        let call = delivery.record.as_ref().map(|r| r.call_control_id.as_str());
        let claimed = self
            .objects
            .request(&name, handover)
            .await
            .map_err(|error| self.storage_failure(error, call))?;
        match claimed.header(OUTCOME_HEADER) {
            Some("accepted") => Ok(self.answer(&delivery, "accepted")),
            Some("duplicate") => Ok(self.answer(&delivery, "duplicate")),
            // The object could not store it: Telnyx redelivers.
            _ => {
                self.log.log(LogLine {
                    level: "error",
                    msg: "webhook",
                    event_id: Some(delivery.event_id.clone()),
                    call_control_id: call.map(str::to_owned),
                    outcome: Some("not_stored"),
                    status: Some(claimed.status),
                    ..LogLine::default()
                });
                Err(if claimed.status >= 400 {
                    claimed
                } else {
                    Problem::new(500, "internal", "the call's object gave no outcome").into()
                })
            }
        }
    }

    fn verification_config(&self) -> Result<(&PublicKeys, u64), Problem> {
        let keys = match &self.config.public_keys {
            None => {
                return Err(Problem::new(
                    500,
                    "public_key_missing",
                    "TELNYX_PUBLIC_KEY is not configured; webhooks cannot be verified",
                ))
            }
            Some(Err(error)) => {
                return Err(Problem::new(500, "public_key_invalid", error.to_string()))
            }
            Some(Ok(keys)) => keys,
        };
        let tolerance = self
            .config
            .tolerance_secs
            .clone()
            .map_err(|detail| Problem::new(500, "tolerance_invalid", detail))?;
        Ok((keys, tolerance))
    }

    /// Answers a stored or repeated delivery. An accepted one is logged only when
    /// `LOG_WEBHOOKS` asks: a line per webhook is most of what a webhook costs the
    /// runtime besides the claim (docs/performance.md), and the call's state and the
    /// dashboard hold the same facts.
    fn answer(&self, delivery: &Delivery, status: &'static str) -> Response {
        if status != "accepted" || self.config.log_accepted == Ok(true) {
            self.log.log(LogLine {
                level: "info",
                msg: "webhook",
                event_id: Some(delivery.event_id.clone()),
                event_type: Some(delivery.event_type.clone()),
                call_control_id: delivery.record.as_ref().map(|r| r.call_control_id.clone()),
                outcome: Some(status),
                status: Some(200),
                ..LogLine::default()
            });
        }
        let body = serde_json::to_string(&Answer {
            status,
            event_id: &delivery.event_id,
        })
        .unwrap_or_default();
        Response::json(200, body)
    }

    /// Logs and answers a refused delivery. The detail names the check, never the input.
    fn refuse(&self, problem: Problem) -> Response {
        self.log.log(rejection_log("webhook", &problem));
        problem.into()
    }
}

#[derive(Serialize)]
struct Answer<'a> {
    status: &'a str,
    event_id: &'a str,
}

/// A repeated signature header is as malformed as a mangled one.
fn signature_headers(request: &Request) -> Result<SignatureHeaders<'_>, Rejection> {
    Ok(SignatureHeaders {
        signature: request
            .header(SIGNATURE_HEADER)
            .map_err(|_| Rejection::MalformedSignature)?,
        timestamp: request
            .header(TIMESTAMP_HEADER)
            .map_err(|_| Rejection::MalformedTimestamp)?,
    })
}
