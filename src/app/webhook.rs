//! `POST /webhooks/telnyx`: size check, signature, envelope, de-duplication, storage,
//! and the automations the event owes (run after the response).

use futures_util::future::join;
use serde::Serialize;

use super::automations::FollowUp;
use super::http::{Request, Response, MAX_BODY_BYTES};
use super::{rejection_log, store, App};
use crate::domain::envelope::{parse, Delivery};
use crate::domain::problem::Problem;
use crate::domain::signature::{
    verify, PublicKeys, Rejection, SignatureHeaders, SIGNATURE_HEADER, TIMESTAMP_HEADER,
};
use crate::domain::time::Instant;
use crate::ports::{Clock, HttpClient, KvStore, LogLine, Logger};

impl<K: KvStore, L: Logger, H: HttpClient, C: Clock> App<'_, K, L, H, C> {
    pub(super) async fn webhook(
        &self,
        request: &Request,
        now: Instant,
    ) -> (Response, Option<FollowUp>) {
        match self.accept(request, now).await {
            Ok(accepted) => accepted,
            Err(response) => (response, None),
        }
    }

    async fn accept(
        &self,
        request: &Request,
        now: Instant,
    ) -> Result<(Response, Option<FollowUp>), Response> {
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
        let signed_at = signature_headers(request)
            .and_then(|headers| verify(keys, headers, &request.body, now.secs, tolerance))
            .map_err(|rejection| {
                self.refuse(Problem::new(401, rejection.code(), rejection.detail()))
            })?;
        let delivery =
            parse(&request.body, Instant::from_unix_secs(signed_at)).map_err(|error| {
                self.refuse(Problem::new(400, "invalid_envelope", error.detail).at(error.pointer))
            })?;
        let call = delivery.record.as_ref().map(|r| r.call_control_id.as_str());
        let stored = |error| self.storage_failure(error, call);
        // One read on the common path: the id marker. A marked id is a repeat, unless an
        // earlier attempt at this very delivery failed to write the call record, which
        // this one then completes (the same id on another call is never a repair).
        let marker = store::event_body(self.kv, &delivery.event_id)
            .await
            .map_err(stored)?;
        let duplicate = match (&marker, delivery.record.as_ref()) {
            (None, _) => false,
            (Some(marked_body), Some(record)) if same_call(marked_body, &delivery) => {
                store::has_record(self.kv, record).await.map_err(stored)?
            }
            (Some(_), _) => true,
        };
        if duplicate {
            return Ok((self.answer(&delivery, "duplicate"), None));
        }
        // Unmarked, the record may still be there from an attempt whose marker write
        // failed: writing it again stores the same value under the same key.
        let write_record = async {
            match delivery.record.as_ref() {
                Some(record) => store::store_event_record(self.kv, record).await,
                None => Ok(()),
            }
        };
        let mark_seen = || store::mark_seen(self.kv, &delivery, &request.body);
        let mut work_key = None;
        match delivery.record.as_ref() {
            Some(record) if marker.is_none() && self.owes_automations(&delivery) => {
                // The work item must exist before the id is marked seen: if anything
                // fails first, Telnyx's redelivery does it all again.
                let (written, owed) =
                    join(write_record, self.owe_automations(record, signed_at)).await;
                written.map_err(stored)?;
                work_key = Some(owed.map_err(stored)?);
                mark_seen().await.map_err(stored)?;
            }
            // Record and marker at once: a redelivery after a failure of either writes
            // what is missing (both again when the marker is what failed).
            _ => {
                let mark = async {
                    match marker {
                        Some(_) => Ok(()),
                        None => mark_seen().await,
                    }
                };
                let (written, marked) = join(write_record, mark).await;
                written.map_err(stored)?;
                marked.map_err(stored)?;
            }
        }
        let response = self.answer(&delivery, "accepted");
        // The delivery moves into the follow-up: nothing is copied on this path.
        let follow_up = work_key.map(|work_key| FollowUp { delivery, work_key });
        Ok((response, follow_up))
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

    fn answer(&self, delivery: &Delivery, status: &'static str) -> Response {
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

/// Whether the body stored under an event id's marker belongs to the same call as this
/// delivery (the same id on another call is a repeat, never a repair).
fn same_call(marked_body: &str, delivery: &Delivery) -> bool {
    fn call_of(delivery: &Delivery) -> Option<&str> {
        delivery.record.as_ref().map(|r| r.call_control_id.as_str())
    }
    parse(marked_body.as_bytes(), Instant::from_unix_secs(0))
        .is_ok_and(|marked| call_of(&marked) == call_of(delivery))
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
