//! Between `worker`'s requests and responses and the plain ones of [`crate::ports::http`],
//! and runtime errors as text.

use futures_util::StreamExt;
use worker::wasm_bindgen_futures::JsFuture;
use worker::{js_sys, wasm_bindgen, web_sys, ResponseBuilder};

use crate::app::MAX_BODY_BYTES;
use crate::domain::problem::Problem;
use crate::ports::http::{Request, Response};
use crate::ports::StoreError;

/// Reads the request into plain values. A body of no declared length is read chunk by
/// chunk and refused as soon as it passes the limit, so a chunked upload cannot exhaust
/// memory. It reads the runtime's request itself, not `worker`'s: that one reads
/// `request.cf`, which the runtime builds afresh for each read, and nothing here uses it.
pub(super) async fn read_request(request: web_sys::Request) -> Result<Request, Problem> {
    let too_large = || {
        Problem::new(
            413,
            "payload_too_large",
            format!("request bodies are limited to {MAX_BODY_BYTES} bytes"),
        )
    };
    let method = request.method();
    let url = request.url();
    let headers: Vec<(String, String)> = worker::Headers(request.headers()).entries().collect();
    let declared_length = crate::ports::find_header(&headers, "content-length")
        .and_then(|length| length.trim().parse::<u64>().ok());
    if declared_length.is_some_and(|length| length > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    // A declared length within the limit is what the runtime reads, so the body is read
    // at once. A request without a body has no stream to read.
    if declared_length.is_some() {
        body = whole_body(&request).await.map_err(|_| unreadable_body())?;
    } else if request.body().is_some() {
        let mut chunks = worker::Request::from(request)
            .stream()
            .map_err(|_| unreadable_body())?;
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(|_| unreadable_body())?;
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                // Dropping the stream cancels it: the rest of the upload is not read.
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
    }
    plain_request(method, &url, headers, body)
}

/// A body the runtime could not read.
fn unreadable_body() -> Problem {
    Problem::new(400, "unreadable_body", "the request body could not be read")
}

/// The whole body of a request, as the runtime's `arrayBuffer()` gives it.
async fn whole_body(request: &web_sys::Request) -> Result<Vec<u8>, wasm_bindgen::JsValue> {
    let buffer = JsFuture::from(request.array_buffer()?).await?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// Reads a request from the Worker to an object: its size was checked by the Worker,
/// so the body is read at once. Its method and path are the ones `worker` read already:
/// the Worker sends only methods `worker` knows, and no query.
pub(super) async fn read_object_request(mut request: worker::Request) -> Result<Request, Problem> {
    let headers = request.headers().entries().collect();
    let body = request.bytes().await.map_err(|_| unreadable_body())?;
    Ok(Request {
        method: request.method().into(),
        path: request.path(),
        query: String::new(),
        headers,
        body,
    })
}

/// The request as plain values, with its headers and body already read. The method is
/// the runtime's own text: `worker`'s `Method` reads one it does not know as `GET`.
fn plain_request(
    method: String,
    url: &str,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
) -> Result<Request, Problem> {
    let url = worker::Url::parse(url)
        .map_err(|_| Problem::new(400, "invalid_url", "the request URL could not be read"))?;
    Ok(Request {
        method,
        path: url.path().to_owned(),
        query: url.query().unwrap_or_default().to_owned(),
        headers,
        body,
    })
}

/// What a runtime error says: its message, and the message of what caused it.
pub(super) fn error_text(error: &worker::Error) -> String {
    match std::error::Error::source(error) {
        Some(source) => format!("{error}: {source}"),
        None => error.to_string(),
    }
}

pub(super) fn store_error(error: worker::Error) -> StoreError {
    StoreError(error_text(&error))
}

/// [`store_error`] for what the runtime's own calls throw.
pub(super) fn runtime_error(error: wasm_bindgen::JsValue) -> StoreError {
    store_error(error.into())
}

/// The runtime's own response for a plain one, as the Worker's entry answers.
pub(super) fn into_runtime_response(response: Response) -> worker::Result<web_sys::Response> {
    into_worker_response(response).map(Into::into)
}

/// `worker`'s response for a plain one, as the object's class answers. An empty body is
/// no body (a `204` may carry none).
pub(super) fn into_worker_response(response: Response) -> worker::Result<worker::Response> {
    let headers = worker::Headers::new();
    for (name, value) in &response.headers {
        headers.set(name, value)?;
    }
    let builder = ResponseBuilder::new()
        .with_status(response.status)
        .with_headers(headers);
    Ok(if response.body.is_empty() {
        builder.empty()
    } else {
        builder.fixed(response.body.into_bytes())
    })
}
