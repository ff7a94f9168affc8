//! The objects port over the `CALLS` namespace: a request to an object by name, and its
//! answer.

use std::rc::Rc;

use worker::{Headers, Method, ObjectNamespace, RequestInit};

use super::convert::store_error;
use crate::app::object::{COMMAND_ID_HEADER, OUTCOME_HEADER};
use crate::ports::http::{Request, Response};
use crate::ports::{CallObjects, StoreError};

/// The `CALLS` namespace.
#[derive(Clone)]
pub struct WorkerObjects(pub Rc<ObjectNamespace>);

/// The headers an object's answer carries back to the Worker.
const PASSED_ON: [&str; 3] = ["content-type", OUTCOME_HEADER, COMMAND_ID_HEADER];

impl WorkerObjects {
    /// Sends a request to the named object and returns its answer as the runtime's
    /// response, its body unread (a stream passes through as it is).
    pub async fn fetch(
        &self,
        name: &str,
        request: Request,
    ) -> Result<worker::Response, StoreError> {
        let stub = self
            .0
            .id_from_name(name)
            .and_then(|id| id.get_stub())
            .map_err(store_error)?;
        let headers = Headers::new();
        for (name, value) in &request.headers {
            headers.set(name, value).map_err(store_error)?;
        }
        let mut init = RequestInit::new();
        init.with_method(Method::from(request.method))
            .with_headers(headers);
        if !request.body.is_empty() {
            let body = worker::js_sys::Uint8Array::from(request.body.as_slice());
            init.with_body(Some(body.into()));
        }
        // Objects are reached by name, never by URL: the host is a placeholder.
        let url = format!("https://call-object{}", request.path);
        let outgoing = worker::Request::new_with_init(&url, &init).map_err(store_error)?;
        stub.fetch_with_request(outgoing).await.map_err(store_error)
    }
}

impl CallObjects for WorkerObjects {
    async fn request(&self, name: &str, request: Request) -> Result<Response, StoreError> {
        let mut answer = self.fetch(name, request).await?;
        let headers: Vec<(&'static str, String)> = PASSED_ON
            .iter()
            .filter_map(|name| Some((*name, answer.headers().get(name).ok()??)))
            .collect();
        // A delivery's outcome is all in its headers, and a 204 has no body: neither
        // body is read.
        let body = if answer.status_code() == 204
            || headers.iter().any(|(name, _)| *name == OUTCOME_HEADER)
        {
            String::new()
        } else {
            answer.text().await.map_err(store_error)?
        };
        Ok(Response {
            status: answer.status_code(),
            headers,
            body,
        })
    }
}
