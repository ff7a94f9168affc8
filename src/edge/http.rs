//! The HTTP port and the clock over the runtime: `fetch` with an `AbortController`
//! timeout, `Date.now` and `setTimeout`.

use super::runtime::Delay;
use super::{header_entries, js_error_text};
use crate::ports::{Clock, HttpClient, HttpError, HttpRequest, HttpResponse};
use futures_util::future::{select, Either};
use futures_util::pin_mut;
use js_sys::futures::JsFuture;
use js_sys::Promise;
use wasm_bindgen::prelude::*;
use web_sys::{AbortController, Headers, RequestInit, Response};

#[wasm_bindgen]
extern "C" {
    /// The global `fetch(url, init)`.
    #[wasm_bindgen(js_name = fetch, catch)]
    fn global_fetch(url: &str, init: &RequestInit) -> Result<Promise, JsValue>;
}

pub struct WorkerFetch;

fn network(error: JsValue) -> HttpError {
    HttpError::Network(js_error_text(&error))
}

/// Sends the request and reads the whole answer.
async fn exchange(request: &HttpRequest, init: &RequestInit) -> Result<HttpResponse, HttpError> {
    let response: Response = JsFuture::from(global_fetch(&request.url, init).map_err(network)?)
        .await
        .map_err(network)?
        .dyn_into()
        .map_err(network)?;
    let body = JsFuture::from(response.text().map_err(network)?)
        .await
        .map_err(network)?;
    Ok(HttpResponse {
        status: response.status(),
        headers: header_entries(&response.headers()),
        body: body.as_string().unwrap_or_default(),
    })
}

impl HttpClient for WorkerFetch {
    async fn send(
        &self,
        request: &HttpRequest,
        timeout_ms: u64,
    ) -> Result<HttpResponse, HttpError> {
        let headers = Headers::new().map_err(network)?;
        for (name, value) in &request.headers {
            headers.set(name, value).map_err(network)?;
        }
        let controller = AbortController::new().map_err(network)?;
        let init = RequestInit::new();
        init.set_method(request.method);
        init.set_headers(&headers);
        // A GET (Access's keys) may carry no body at all.
        if !request.body.is_empty() {
            init.set_body(&JsValue::from_str(&request.body));
        }
        init.set_signal(Some(&controller.signal()));
        let exchange = exchange(request, &init);
        let deadline = Delay::millis(timeout_ms);
        pin_mut!(exchange, deadline);
        match select(exchange, deadline).await {
            Either::Left((result, _)) => result,
            Either::Right(_) => {
                // Frees the connection; the request may still have reached Telnyx,
                // which is why retries keep the same command_id.
                controller.abort();
                Err(HttpError::Timeout)
            }
        }
    }
}

pub struct WorkerClock;

impl Clock for WorkerClock {
    fn now_millis(&self) -> i64 {
        js_sys::Date::now() as u64 as i64
    }

    async fn sleep(&self, millis: u64) {
        Delay::millis(millis).await;
    }
}
