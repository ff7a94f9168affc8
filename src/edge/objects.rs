//! The objects port over the `CALLS` namespace: a request to an object by name, and its
//! answer.

use std::rc::Rc;

use worker::wasm_bindgen::JsCast;
use worker::wasm_bindgen_futures::JsFuture;
use worker::worker_sys::DurableObject as RuntimeStub;
use worker::{js_sys, web_sys, ObjectNamespace};

use super::convert::{runtime_error, store_error};
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
    /// response, its body unread (a stream passes through as it is). The request and
    /// answer stay the runtime's own: `worker`'s stub would read the request it sends
    /// back into a `worker::Request` (method, URL, `cf`), and the answer into a
    /// `worker::Response` (headers, WebSocket, `cf`, body), for each of the Worker's
    /// calls and each report an object sends.
    pub async fn fetch(
        &self,
        name: &str,
        request: Request,
    ) -> Result<web_sys::Response, StoreError> {
        let stub: RuntimeStub = self
            .0
            .id_from_name(name)
            .and_then(|id| id.get_stub())
            .map_err(store_error)?
            .into_rpc();
        let headers = web_sys::Headers::new().map_err(runtime_error)?;
        for (name, value) in &request.headers {
            headers.set(name, value).map_err(runtime_error)?;
        }
        let init = web_sys::RequestInit::new();
        init.set_method(&request.method);
        init.set_headers(&headers);
        if !request.body.is_empty() {
            init.set_body(&js_sys::Uint8Array::from(request.body.as_slice()));
        }
        // Objects are reached by name, never by URL: the host is a placeholder.
        let url = format!("https://call-object{}", request.path);
        let outgoing =
            web_sys::Request::new_with_str_and_init(&url, &init).map_err(runtime_error)?;
        let sent = stub.fetch_with_request(&outgoing).map_err(runtime_error)?;
        let answer = JsFuture::from(sent).await.map_err(runtime_error)?;
        Ok(answer.unchecked_into())
    }
}

impl CallObjects for WorkerObjects {
    async fn request(&self, name: &str, request: Request) -> Result<Response, StoreError> {
        let answer = self.fetch(name, request).await?;
        let status = answer.status();
        let answer_headers = answer.headers();
        let headers: Vec<(&'static str, String)> = PASSED_ON
            .iter()
            .filter_map(|name| Some((*name, answer_headers.get(name).ok()??)))
            .collect();
        // A delivery's outcome is all in its headers, and a 204 has no body: neither
        // body is read.
        let body = if status == 204 || headers.iter().any(|(name, _)| *name == OUTCOME_HEADER) {
            String::new()
        } else {
            let text = answer.text().map_err(runtime_error)?;
            JsFuture::from(text)
                .await
                .map_err(runtime_error)?
                .as_string()
                .unwrap_or_default()
        };
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}
