//! One JSON exchange with a worker under `wrangler dev`, for the end-to-end suites.

use serde_json::Value;

use telnyx_edge::simulator::signing::{unix_now, WebhookSigner};

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

/// Posts `body` to the worker at `base_url` as Telnyx delivers a webhook, signed by
/// `signer` now, and returns what [`exchange`] does.
pub fn deliver_signed(
    agent: &ureq::Agent,
    base_url: &str,
    signer: &WebhookSigner,
    body: &Value,
) -> (u16, Value) {
    let text = body.to_string();
    let mut request = agent
        .post(&format!("{base_url}/webhooks/telnyx"))
        .set("content-type", "application/json");
    for (name, value) in signer.headers(unix_now(), text.as_bytes()) {
        request = request.set(&name, &value);
    }
    exchange(request, Some(body), "POST /webhooks/telnyx")
}
