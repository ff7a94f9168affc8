//! `POST /webhooks/telnyx`: size check, signature, envelope, de-duplication, storage.

use serde::Serialize;

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
    pub(super) async fn webhook(&self, request: &Request, now: Instant) -> Response {
        if request.body.len() > MAX_BODY_BYTES {
            return self.refuse(Problem::new(
                413,
                "payload_too_large",
                format!("webhook bodies are limited to {MAX_BODY_BYTES} bytes"),
            ));
        }
        let (keys, tolerance) = match self.verification_config() {
            Ok(settings) => settings,
            Err(problem) => return self.refuse(problem),
        };
        let signed_at = match signature_headers(request)
            .and_then(|headers| verify(keys, headers, &request.body, now.secs, tolerance))
        {
            Ok(signed_at) => signed_at,
            Err(rejection) => {
                return self.refuse(Problem::new(401, rejection.code(), rejection.detail()))
            }
        };
        let delivery = match parse(&request.body, Instant::from_unix_secs(signed_at)) {
            Ok(delivery) => delivery,
            Err(error) => {
                return self
                    .refuse(Problem::new(400, "invalid_envelope", error.detail).at(error.pointer))
            }
        };
        let call = delivery.record.as_ref().map(|r| r.call_control_id.as_str());
        match store::is_known_event(self.kv, &delivery.event_id).await {
            Ok(true) => return self.answer(&delivery, "duplicate"),
            Ok(false) => {}
            Err(error) => return self.storage_failure(error, call),
        }
        if let Err(error) = store::store_event(self.kv, &delivery, &request.body).await {
            return self.storage_failure(error, call);
        }
        self.answer(&delivery, "accepted")
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
