//! Forwarding accepted events to the user's backend (`FORWARD_URL`), signed as the
//! Standard Webhooks specification says. An event is queued for every URL in the same
//! synchronous step that claims it, so a duplicate is never queued; the alarm then
//! delivers each URL's queue in order, one attempt at a time (`outbox::run_due`).

use serde::Serialize;

use super::store::Role;
use super::CallObject;
use crate::app::VERSION;
use crate::domain::forward::{decide, Delivered, ForwardConfig, ForwardStatus, FORWARD_TIMEOUT_MS};
use crate::domain::problem::Problem;
use crate::domain::retry::{parse_retry_after, Attempted};
use crate::ports::http::Response;
use crate::ports::{HttpClient, HttpError, HttpRequest, LogLine, Logger, Ports, StoreError};

use super::forward_rows::ForwardOutcome;

/// The answer to a replay.
#[derive(Serialize)]
struct Replayed<'a> {
    event_id: &'a str,
    urls: &'a [String],
}

impl<P: Ports> CallObject<'_, P> {
    /// Queues an accepted event for every forwarding URL when its type is forwarded;
    /// `true` when it was.
    pub(super) fn queue_forwards(
        &self,
        event_id: &str,
        event_type: &str,
        body: &str,
    ) -> Result<bool, StoreError> {
        let Ok(Some(forward)) = &self.config.forward else {
            return Ok(false);
        };
        if !forward.events.matches(event_type) {
            return Ok(false);
        }
        self.queue_for_every_url(forward, event_id, body)?;
        Ok(true)
    }

    /// Puts a delivery of the event at the end of every URL's queue.
    fn queue_for_every_url(
        &self,
        forward: &ForwardConfig,
        event_id: &str,
        body: &str,
    ) -> Result<(), StoreError> {
        let now = self.now();
        for url in &forward.urls {
            self.store().queue_forward(url, event_id, body, now)?;
        }
        Ok(())
    }

    /// Ends the deliveries that no configured URL takes any more (forwarding turned off
    /// or misconfigured, or a URL removed): they would wait for ever otherwise.
    pub(super) fn close_unconfigured_forwards(&self) -> Result<(), StoreError> {
        let (urls, reason): (&[String], _) = match &self.config.forward {
            Ok(Some(forward)) => (&forward.urls, "FORWARD_URL no longer lists this URL"),
            Ok(None) => (&[], "forwarding was turned off (FORWARD_URL is not set)"),
            Err(_) => (&[], "forwarding is misconfigured (see /health)"),
        };
        self.store()
            .close_forwards_except(urls, &format!("{reason}; not sent"), self.now())?;
        Ok(())
    }

    /// The URLs whose next delivery is due at `now`.
    pub(super) fn due_forwards(&self, now: i64) -> Result<Vec<String>, StoreError> {
        let Ok(Some(forward)) = &self.config.forward else {
            return Ok(Vec::new());
        };
        Ok(self
            .store()
            .forward_heads()?
            .into_iter()
            .filter(|head| head.next_attempt_at <= now && forward.urls.contains(&head.url))
            .map(|head| head.url)
            .collect())
    }

    /// One attempt at the next delivery to `url`, with a fresh timestamp and signature
    /// and the event's id as `webhook-id`, so the receiver can drop a repeat.
    pub(super) async fn forward_next(&self, url: &str) -> Result<(), StoreError> {
        let Ok(Some(forward)) = &self.config.forward else {
            return Ok(());
        };
        let store = self.store();
        let started = self.now();
        let Some(head) = store
            .forward_head(url)?
            .filter(|head| head.next_attempt_at <= started)
        else {
            return Ok(());
        };
        let body = store.forward_body(url, head.seq)?.unwrap_or_default();
        let timestamp = started.div_euclid(1000);
        let signature = forward.signature(&head.event_id, timestamp, body.as_bytes());
        let request = HttpRequest {
            method: "POST",
            url: url.to_owned(),
            headers: vec![
                ("content-type", "application/json".into()),
                ("user-agent", format!("telnyx-edge/{VERSION}")),
                ("webhook-id", head.event_id.clone()),
                ("webhook-timestamp", timestamp.to_string()),
                ("webhook-signature", signature),
            ],
            body,
        };
        let sent = self.http.send(&request, FORWARD_TIMEOUT_MS).await;
        let now = self.now();
        let (attempted, http_status, error) = match &sent {
            Ok(response) => (
                Attempted::Answered {
                    status: response.status,
                    retry_after_ms: response
                        .header("retry-after")
                        .and_then(|value| parse_retry_after(value, now)),
                },
                Some(response.status),
                format!("the receiver answered {}", response.status),
            ),
            Err(HttpError::Timeout) => (
                Attempted::TimedOut,
                None,
                format!("no answer within {} s", FORWARD_TIMEOUT_MS / 1000),
            ),
            Err(HttpError::Unreached(detail)) => {
                (Attempted::Unreached, None, format!("unreachable: {detail}"))
            }
            Err(HttpError::Network(detail)) => {
                (Attempted::Lost, None, format!("network: {detail}"))
            }
        };
        let attempts = head.attempts + 1;
        let elapsed = now - head.first_attempt_at.unwrap_or(started);
        let seed = format!("{url} {}", head.event_id);
        let verdict = decide(attempted, attempts, elapsed.max(0) as u64, &seed);
        let (status, error, retry_at) = match verdict {
            Delivered::Yes => (ForwardStatus::Delivered, None, None),
            Delivered::RetryIn(delay) => (
                ForwardStatus::Pending,
                Some(format!("{error} (attempt {attempts}; sending again)")),
                Some(now + delay as i64),
            ),
            Delivered::Refused => (
                ForwardStatus::Failed,
                Some(format!("{error}; not retried")),
                None,
            ),
            Delivered::GaveUp => (
                ForwardStatus::Failed,
                Some(format!(
                    "{error} (gave up after {attempts} attempts over 24 hours)"
                )),
                None,
            ),
        };
        store.settle_forward(&ForwardOutcome {
            url,
            seq: head.seq,
            started,
            status,
            http_status,
            error: error.as_deref(),
            retry_at,
            now,
        })?;
        self.log.log(LogLine {
            level: if status == ForwardStatus::Failed {
                "warn"
            } else {
                "info"
            },
            msg: "forward",
            event_id: Some(head.event_id),
            outcome: Some(match verdict {
                Delivered::Yes => "delivered",
                Delivered::RetryIn(_) => "retry_scheduled",
                Delivered::Refused | Delivered::GaveUp => "failed",
            }),
            status: http_status,
            // The URL may carry a token of the user's; only its origin is logged.
            detail: Some(match error {
                Some(error) => format!("{}: {error}", origin(url)),
                None => origin(url),
            }),
            ..LogLine::default()
        });
        Ok(())
    }

    /// `POST /calls/{id}/forwards/{event_id}/replay`: queues the event again for every
    /// URL, after what is already queued; the receiver sees the same `webhook-id`.
    pub(super) async fn replay_forward(&self, event_id: &str, by: Option<String>) -> Response {
        let forward = match &self.config.forward {
            Ok(Some(forward)) => forward,
            Ok(None) => {
                return Problem::new(409, "forwarding_off", "FORWARD_URL is not set").into()
            }
            Err(_) => {
                return Problem::new(
                    409,
                    "forwarding_misconfigured",
                    "forwarding is misconfigured; /health says why",
                )
                .into()
            }
        };
        let queued = self.role().and_then(|role| {
            if role != Some(Role::Call) {
                return Ok(false);
            }
            let Some(body) = self.store().event_body(event_id)? else {
                return Ok(false);
            };
            self.queue_for_every_url(forward, event_id, &body)?;
            Ok(true)
        });
        match queued {
            Ok(true) => {}
            Ok(false) => {
                return Problem::new(
                    404,
                    "event_not_found",
                    "this call has no accepted event with this id",
                )
                .into()
            }
            Err(error) => {
                self.log_storage_error("replay", &error);
                return super::storage_problem().into();
            }
        }
        if let Err(error) = self.wake().await {
            self.log_storage_error("alarm", &error);
        }
        self.log.log(LogLine {
            level: "info",
            msg: "forward",
            event_id: Some(event_id.to_owned()),
            outcome: Some("replay_queued"),
            by,
            ..LogLine::default()
        });
        let replayed = Replayed {
            event_id,
            urls: &forward.urls,
        };
        Response::json(202, serde_json::to_string(&replayed).unwrap_or_default())
    }
}

/// `https://host:port` of a URL, for logs: its path, query and any credentials may
/// carry the user's tokens.
fn origin(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    format!("{scheme}://{host}")
}

#[cfg(test)]
mod tests {
    use super::origin;

    #[test]
    fn logs_show_only_the_origin() {
        assert_eq!(
            origin("https://crm.example/hooks?token=s3cret"),
            "https://crm.example"
        );
        assert_eq!(origin("http://127.0.0.1:9/x"), "http://127.0.0.1:9");
        assert_eq!(
            origin("https://user:pw@crm.example/x"),
            "https://crm.example"
        );
        assert_eq!(origin("https://crm.example"), "https://crm.example");
    }
}
