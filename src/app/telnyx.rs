//! The Call Control API client over the HTTP port: one action request, retried on `429`,
//! `5xx`, timeouts and network errors under [`RetryPolicy`], always with the same body
//! (and so the same `command_id`). Logs never carry the API key or the body.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::Deserialize;

use crate::domain::actions::ActionSpec;
use crate::domain::retry::{is_retryable_status, parse_retry_after, RetryPolicy};
use crate::ports::{Clock, HttpClient, HttpError, HttpRequest, HttpResponse, LogLine, Logger};

/// Everything but RFC 3986 unreserved characters is escaped, so an id cannot leave its
/// path segment (`/`, `?`, `#`, `..`) or be read differently (`:`, `%`).
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// One error object of a Telnyx error body.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct ApiError {
    #[serde(default, deserialize_with = "code")]
    pub code: Option<String>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub detail: Option<String>,
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<ApiError>,
}

/// Telnyx documents `code` as a string but some responses carry a number.
fn code<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::String(code) => Some(code),
        serde_json::Value::Number(code) => Some(code.to_string()),
        _ => None,
    })
}

/// Why an action did not succeed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TelnyxError {
    /// Telnyx answered with a non-2xx status (after retries, when it was retryable).
    Api { status: u16, errors: Vec<ApiError> },
    /// No answer within the attempt timeout, on the last attempt.
    Timeout,
    /// No connection, on the last attempt.
    Network(String),
    /// `TELNYX_API_KEY` is not configured; nothing was sent.
    ApiKeyMissing,
}

impl TelnyxError {
    /// Whether a later retry (the scheduled one) could still succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            TelnyxError::Api { status, .. } => is_retryable_status(*status),
            TelnyxError::Timeout | TelnyxError::Network(_) => true,
            TelnyxError::ApiKeyMissing => false,
        }
    }

    /// One line for the call's `actions[].error`.
    pub fn summary(&self) -> String {
        match self {
            TelnyxError::Api { status, errors } => match errors.first() {
                Some(error) => {
                    let code = error
                        .code
                        .as_deref()
                        .map(|c| format!(" {c}"))
                        .unwrap_or_default();
                    let text = error
                        .detail
                        .as_deref()
                        .or(error.title.as_deref())
                        .unwrap_or("no detail");
                    format!("telnyx {status}{code}: {text}")
                }
                None => format!("telnyx {status}"),
            },
            TelnyxError::Timeout => "timeout: Telnyx did not answer in time".into(),
            TelnyxError::Network(detail) => format!("network: {detail}"),
            TelnyxError::ApiKeyMissing => {
                "api_key_missing: TELNYX_API_KEY is not set; nothing was sent".into()
            }
        }
    }
}

/// How the request ended: the last response Telnyx gave (if any) and the verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sent {
    pub response: Option<HttpResponse>,
    pub result: Result<(), TelnyxError>,
    pub attempts: u32,
}

pub struct TelnyxClient<'a, H, C, L> {
    pub http: &'a H,
    pub clock: &'a C,
    pub log: &'a L,
    pub api_base: &'a str,
    pub api_key: &'a str,
    pub policy: RetryPolicy,
}

/// `{api_base}/calls/{call_control_id}/actions/{action}`, the id escaped as one segment.
pub fn action_url(api_base: &str, call_control_id: &str, action: &str) -> String {
    format!(
        "{api_base}/calls/{}/actions/{action}",
        utf8_percent_encode(call_control_id, PATH_SEGMENT)
    )
}

impl<H: HttpClient, C: Clock, L: Logger> TelnyxClient<'_, H, C, L> {
    /// Sends `body` (already validated, `command_id` already set) until it succeeds,
    /// fails for good, or the retry budget runs out. `jitter_seed` spreads the retries of
    /// different commands apart.
    pub async fn send(
        &self,
        action: &'static ActionSpec,
        call_control_id: &str,
        body: String,
        jitter_seed: &str,
    ) -> Sent {
        let request = HttpRequest {
            method: action.method,
            url: action_url(self.api_base, call_control_id, action.name),
            headers: vec![
                ("authorization", format!("Bearer {}", self.api_key)),
                ("content-type", "application/json".into()),
                ("accept", "application/json".into()),
            ],
            body,
        };
        let started = self.clock.now_millis();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = self
                .http
                .send(&request, self.policy.attempt_timeout_ms)
                .await;
            let (result, retry_after, response) = match outcome {
                Ok(response) if (200..300).contains(&response.status) => {
                    return Sent {
                        response: Some(response),
                        result: Ok(()),
                        attempts: attempt,
                    }
                }
                Ok(response) => {
                    let errors = serde_json::from_slice::<ErrorBody>(response.body.as_bytes())
                        .map(|body| body.errors)
                        .unwrap_or_default();
                    let retry_after = response
                        .header("retry-after")
                        .and_then(|value| parse_retry_after(value, self.clock.now_millis()));
                    let error = TelnyxError::Api {
                        status: response.status,
                        errors,
                    };
                    (error, retry_after, Some(response))
                }
                Err(HttpError::Timeout) => (TelnyxError::Timeout, None, None),
                Err(HttpError::Network(detail)) => (TelnyxError::Network(detail), None, None),
            };
            let elapsed = self.clock.now_millis().saturating_sub(started).max(0) as u64;
            let delay = result
                .is_retryable()
                .then(|| {
                    self.policy
                        .next_delay(attempt, elapsed, retry_after, jitter_seed)
                })
                .flatten();
            let Some(delay) = delay else {
                return Sent {
                    response,
                    result: Err(result),
                    attempts: attempt,
                };
            };
            self.log.log(LogLine {
                level: "warn",
                msg: "telnyx_retry",
                call_control_id: Some(call_control_id.to_owned()),
                outcome: Some("retrying"),
                status: response.as_ref().map(|r| r.status),
                detail: Some(format!(
                    "{} attempt {attempt}: {}; next in {delay} ms",
                    action.name,
                    result.summary()
                )),
                ..LogLine::default()
            });
            self.clock.sleep(delay).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_stay_inside_their_path_segment() {
        let base = "https://api.telnyx.com/v2";
        assert_eq!(
            action_url(base, "v3:abc-DEF_1.2~x", "refer"),
            "https://api.telnyx.com/v2/calls/v3%3Aabc-DEF_1.2~x/actions/refer"
        );
        for hostile in [
            "../../x",
            "a/b",
            "a?b=c",
            "a#b",
            "a b",
            "é",
            "%2F",
            "a\\b",
            "@evil.com",
        ] {
            let url = action_url(base, hostile, "hangup");
            let segment = url
                .strip_prefix("https://api.telnyx.com/v2/calls/")
                .and_then(|rest| rest.strip_suffix("/actions/hangup"))
                .unwrap();
            assert!(
                segment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"%-._~".contains(&b)),
                "{hostile} -> {url}"
            );
            assert!(!segment.contains('/') && segment != "..", "{hostile}");
        }
    }

    #[test]
    fn error_summaries_name_status_code_and_detail() {
        let body = r#"{"errors":[{"code":90018,"title":"Call has already ended","detail":"This call is no longer active."}]}"#;
        let errors = serde_json::from_str::<ErrorBody>(body).unwrap().errors;
        let error = TelnyxError::Api {
            status: 422,
            errors,
        };
        assert_eq!(
            error.summary(),
            "telnyx 422 90018: This call is no longer active."
        );
        assert!(!error.is_retryable());
        assert!(TelnyxError::Api {
            status: 503,
            errors: vec![]
        }
        .is_retryable());
        assert_eq!(
            TelnyxError::Api {
                status: 500,
                errors: vec![]
            }
            .summary(),
            "telnyx 500"
        );
    }
}
