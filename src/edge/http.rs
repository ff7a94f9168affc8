//! The HTTP port and the clock over `worker`: `Fetch` with an `AbortController`
//! timeout, `Date` and `Delay`.

use std::time::Duration;

use futures_util::future::{select, Either};
use futures_util::pin_mut;
use worker::{AbortController, AbortSignal, Date, Delay, Fetch, Headers, Method, RequestInit};

use super::convert::error_text;
use crate::ports::{Clock, HttpClient, HttpError, HttpRequest, HttpResponse};

pub struct WorkerFetch;

fn network(error: worker::Error) -> HttpError {
    HttpError::Network(error_text(&error))
}

/// Sends the request and reads the whole answer.
async fn exchange(fetch: &Fetch, signal: &AbortSignal) -> worker::Result<HttpResponse> {
    let mut response = fetch.send_with_signal(signal).await?;
    Ok(HttpResponse {
        status: response.status_code(),
        headers: response.headers().entries().collect(),
        body: response.text().await?,
    })
}

impl HttpClient for WorkerFetch {
    async fn send(
        &self,
        request: &HttpRequest,
        timeout_ms: u64,
    ) -> Result<HttpResponse, HttpError> {
        let headers = Headers::new();
        for (name, value) in &request.headers {
            headers.set(name, value).map_err(network)?;
        }
        let mut init = RequestInit::new();
        init.with_method(Method::from(request.method.to_owned()))
            .with_headers(headers);
        // A GET (Access's keys) may carry no body at all.
        if !request.body.is_empty() {
            init.with_body(Some(request.body.as_str().into()));
        }
        let fetch =
            Fetch::Request(worker::Request::new_with_init(&request.url, &init).map_err(network)?);
        let controller = AbortController::default();
        let signal = controller.signal();
        let exchange = exchange(&fetch, &signal);
        let deadline = Delay::from(Duration::from_millis(timeout_ms));
        pin_mut!(exchange, deadline);
        match select(exchange, deadline).await {
            Either::Left((result, _)) => result.map_err(network),
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
        Date::now().as_millis() as i64
    }

    async fn sleep(&self, millis: u64) {
        Delay::from(Duration::from_millis(millis)).await;
    }
}
