//! One JSON exchange with a worker under `wrangler dev`, for the end-to-end suites.

use serde_json::Value;

/// Sends `request` (with `body` as JSON text, if any) and returns the status and the
/// answer read as JSON (or as a JSON string when it is not JSON). A request that does
/// not complete fails the test, naming `what`.
pub fn exchange(request: ureq::Request, body: Option<&Value>, what: &str) -> (u16, Value) {
    let sent = match body {
        Some(body) => request.send_string(&body.to_string()),
        None => request.call(),
    };
    let response = match sent {
        Ok(response) | Err(ureq::Error::Status(_, response)) => response,
        Err(error) => panic!("{what}: {error}"),
    };
    let status = response.status();
    let text = response.into_string().unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}
