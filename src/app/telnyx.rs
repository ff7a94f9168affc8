//! The Call Control API client over the HTTP port: one attempt at one action request.
//! Whether and when to attempt again is [`crate::domain::retry`]'s to say. Logs never
//! carry the API key or the body.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::domain::actions::ActionSpec;
use crate::domain::retry::{parse_retry_after, Attempted, ATTEMPT_TIMEOUT_MS};
use crate::ports::{HttpClient, HttpError, HttpRequest, HttpResponse};

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
    pub title: Option<String>,
    pub detail: Option<String>,
}

/// Telnyx documents `code` as a string but some responses carry a number; a code of
/// any other type is no code.
fn code<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(deserializer)? {
        Value::String(code) => Some(code),
        Value::Number(code) => Some(code.to_string()),
        _ => None,
    })
}

/// A Telnyx error body, `{"errors": [{"code", "title", "detail"}, …]}`.
#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<ApiError>,
}

impl ApiError {
    /// The `errors` of a Telnyx error body: none unless all of them read as error
    /// objects.
    fn all_of(body: &[u8]) -> Vec<Self> {
        serde_json::from_slice::<ErrorBody>(body)
            .map(|body| body.errors)
            .unwrap_or_default()
    }
}

/// Why an attempt did not succeed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TelnyxError {
    /// Telnyx answered with a non-2xx status.
    Api { status: u16, errors: Vec<ApiError> },
    /// No answer within the attempt timeout.
    Timeout,
    /// No connection.
    Network(String),
    /// `TELNYX_API_KEY` is not configured; nothing was sent.
    ApiKeyMissing,
}

impl TelnyxError {
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

/// How one attempt ended: Telnyx's answer (if any), what it tells the retry table, and
/// the error when it did not succeed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sent {
    pub response: Option<HttpResponse>,
    pub attempted: Attempted,
    pub error: Option<TelnyxError>,
}

pub struct TelnyxClient<'a, H> {
    pub http: &'a H,
    pub api_base: &'a str,
    pub api_key: &'a str,
}

/// `{api_base}/calls/{call_control_id}/actions/{action}`, the id escaped as one segment.
pub fn action_url(api_base: &str, call_control_id: &str, action: &str) -> String {
    format!(
        "{api_base}/calls/{}/actions/{action}",
        utf8_percent_encode(call_control_id, PATH_SEGMENT)
    )
}

/// Where `action` goes: Dial to `{api_base}/calls`, any other to the call's action URL.
pub fn request_url(api_base: &str, action: &'static ActionSpec, call_control_id: &str) -> String {
    if action.is_dial() {
        format!("{api_base}/calls")
    } else {
        action_url(api_base, call_control_id, action.name)
    }
}

impl<H: HttpClient> TelnyxClient<'_, H> {
    /// Sends `body` (already validated, `command_id` already set) once. `now_ms` reads a
    /// `Retry-After` date. `call_control_id` is the call acted on (ignored by Dial).
    pub async fn attempt(
        &self,
        action: &'static ActionSpec,
        call_control_id: &str,
        body: &str,
        now_ms: impl Fn() -> i64,
    ) -> Sent {
        let request = HttpRequest {
            method: action.method,
            url: request_url(self.api_base, action, call_control_id),
            headers: vec![
                ("authorization", format!("Bearer {}", self.api_key)),
                ("content-type", "application/json".into()),
                ("accept", "application/json".into()),
            ],
            body: body.to_owned(),
        };
        match self.http.send(&request, ATTEMPT_TIMEOUT_MS).await {
            Ok(response) => {
                let status = response.status;
                let retry_after_ms = response
                    .header("retry-after")
                    .and_then(|value| parse_retry_after(value, now_ms()));
                let error = (!(200..300).contains(&status)).then(|| TelnyxError::Api {
                    status,
                    errors: ApiError::all_of(response.body.as_bytes()),
                });
                Sent {
                    response: Some(response),
                    attempted: Attempted::Answered {
                        status,
                        retry_after_ms,
                    },
                    error,
                }
            }
            Err(error) => {
                let (attempted, error) = match error {
                    HttpError::Timeout => (Attempted::TimedOut, TelnyxError::Timeout),
                    HttpError::Unreached(detail) => {
                        (Attempted::Unreached, TelnyxError::Network(detail))
                    }
                    HttpError::Network(detail) => (Attempted::Lost, TelnyxError::Network(detail)),
                };
                Sent {
                    response: None,
                    attempted,
                    error: Some(error),
                }
            }
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
    fn one_unreadable_error_object_leaves_none() {
        let body = r#"{"errors":[{"code":"90018","title":"Call has already ended"},{"title":5}]}"#;
        assert_eq!(ApiError::all_of(body.as_bytes()), []);
        for body in ["", "<html>Bad gateway</html>", r#"{"message":"no errors"}"#] {
            assert_eq!(ApiError::all_of(body.as_bytes()), [], "{body}");
        }
        let odd_code = r#"{"errors":[{"code":true,"detail":"d","meta":{}}]}"#;
        assert_eq!(
            ApiError::all_of(odd_code.as_bytes()),
            [ApiError {
                code: None,
                title: None,
                detail: Some("d".into()),
            }]
        );
    }

    #[test]
    fn error_summaries_name_status_code_and_detail() {
        let body = r#"{"errors":[{"code":90018,"title":"Call has already ended","detail":"This call is no longer active."}]}"#;
        let errors = ApiError::all_of(body.as_bytes());
        let error = TelnyxError::Api {
            status: 422,
            errors,
        };
        assert_eq!(
            error.summary(),
            "telnyx 422 90018: This call is no longer active."
        );
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
