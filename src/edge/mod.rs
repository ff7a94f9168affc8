//! The Worker entry point and the call object class: the only code that touches the
//! runtime. It turns the runtime's request, env, clock, KV, Durable Objects and fetch
//! into the plain values and ports of [`crate::app`].

mod access;
mod http;
mod kv;
mod live;
mod object;
mod runtime;

use std::cell::RefCell;
use std::convert::Infallible;
use std::rc::Rc;

use js_sys::futures::JsFuture;
use js_sys::{Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Headers, ReadableStreamDefaultReader, ResponseInit, Url};

use runtime::{Context, Env};

use crate::app::access::AccessKeys;
use crate::app::http::{Request, Response, MAX_BODY_BYTES};
use crate::app::{rejection_log, run_after, App};
use crate::domain::config::{Config, ConfigCache};
use crate::domain::problem::Problem;
use crate::ports::{LogLine, Logger};

/// The heap: talc instead of Rust's default dlmalloc, smaller in the wasm (2.6 KiB
/// gzipped) and faster by its authors' wasm benchmarks.
#[global_allocator]
static HEAP: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// The KV namespace binding named in `wrangler.toml`.
const KV_BINDING: &str = "CALL_STATE";
/// The Durable Object namespace binding named in `wrangler.toml`.
const OBJECTS_BINDING: &str = "CALLS";

struct ConsoleLog;

impl Logger for ConsoleLog {
    fn log(&self, line: LogLine) {
        if let Ok(json) = serde_json::to_string(&line) {
            web_sys::console::log_1(&JsValue::from_str(&json));
        }
    }
}

/// The Worker's `fetch` handler, exported by [`runtime::fetch`].
async fn fetch(
    request: web_sys::Request,
    env: Env,
    ctx: Context,
) -> Result<web_sys::Response, Infallible> {
    let config = config(&env);
    let (Some(kv), Some(objects)) = (bound_kv(&env), bound_objects(&env)) else {
        return Ok(into_worker_response(
            Problem::new(
                500,
                "binding_missing",
                format!("the {KV_BINDING} KV namespace or the {OBJECTS_BINDING} Durable Object namespace is not bound"),
            )
            .into(),
        ));
    };
    let request = match read_request(&request).await {
        Ok(request) => request,
        Err(problem) => {
            ConsoleLog.log(rejection_log("request", &problem));
            return Ok(into_worker_response(problem.into()));
        }
    };
    let access_keys = access_keys();
    let app = App {
        config: &config,
        kv: &kv,
        objects: &objects,
        log: &ConsoleLog,
        clock: &http::WorkerClock,
        http: &http::WorkerFetch,
        rs256: &access::WebCryptoRs256,
        access_keys: &access_keys,
    };
    // A stream of a call's states passes through from its object as it is.
    Ok(match app.live_request(&request).await {
        Some(Ok((name, open))) => match objects.fetch(&name, open).await {
            Ok(stream) => stream,
            Err(error) => into_worker_response(app.storage_failure(error, Some(&name))),
        },
        Some(Err(refused)) => into_worker_response(refused),
        None => {
            let handled = app.handle(request).await;
            if let Some(after) = handled.after {
                ctx.wait_until_done(async move {
                    run_after(&kv, &ConsoleLog, after).await;
                });
            }
            into_worker_response(handled.response)
        }
    })
}

/// A binding from the env, or `None` after logging that it is missing.
fn binding(env: &Env, name: &str) -> Option<JsValue> {
    match Reflect::get(env, &JsValue::from_str(name)) {
        Ok(binding) if binding.is_object() => Some(binding),
        _ => {
            ConsoleLog.log(LogLine {
                level: "error",
                msg: "config",
                detail: Some(format!("the binding {name} is missing")),
                ..LogLine::default()
            });
            None
        }
    }
}

fn bound_kv(env: &Env) -> Option<kv::WorkerKv> {
    binding(env, KV_BINDING).map(|kv| kv::WorkerKv(kv.unchecked_into()))
}

fn bound_objects(env: &Env) -> Option<object::WorkerObjects> {
    binding(env, OBJECTS_BINDING).map(|ns| object::WorkerObjects(ns.unchecked_into()))
}

/// What a Worker instance keeps between requests (an isolate runs one thread).
#[derive(Default)]
struct Isolate {
    config: RefCell<ConfigCache>,
    /// Cloudflare Access's signing keys.
    access_keys: Rc<AccessKeys>,
}

thread_local! {
    static ISOLATE: Isolate = Isolate::default();
}

fn config(env: &Env) -> Rc<Config> {
    ISOLATE.with(|isolate| isolate.config.borrow_mut().get(|name| read_var(env, name)))
}

fn access_keys() -> Rc<AccessKeys> {
    ISOLATE.with(|isolate| Rc::clone(&isolate.access_keys))
}

/// Reads a var or secret as text: numbers and objects (a TOML table in
/// `wrangler.toml`) arrive as JavaScript values, written out by the runtime's JSON.
fn read_var(env: &Env, name: &str) -> Option<String> {
    let value = Reflect::get(env, &JsValue::from_str(name)).ok()?;
    if let Some(text) = value.as_string() {
        Some(text)
    } else if value.as_f64().is_some() || value.is_object() {
        js_sys::JSON::stringify(&value).ok()?.as_string()
    } else {
        None
    }
}

/// Reads a request from the Worker to an object: its size was checked by the Worker,
/// so the body is read at once.
async fn read_request_body(request: &web_sys::Request) -> Result<Request, Problem> {
    let unreadable = |_| Problem::new(400, "unreadable_body", "the request body could not be read");
    let buffer = JsFuture::from(request.array_buffer().map_err(unreadable)?)
        .await
        .map_err(unreadable)?;
    let body = Uint8Array::new(&buffer).to_vec();
    Ok(plain_request(
        request,
        header_entries(&request.headers()),
        body,
    ))
}

/// The request as plain values, with its headers and body already read.
fn plain_request(
    request: &web_sys::Request,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
) -> Request {
    let (path, query) = Url::new(&request.url())
        .map(|url| {
            let search = url.search();
            let query = search.strip_prefix('?').unwrap_or(&search).to_owned();
            (url.pathname(), query)
        })
        .unwrap_or_else(|_| ("/".into(), String::new()));
    Request {
        method: request.method(),
        path,
        query,
        headers,
        body,
    }
}

/// Reads the request into plain values. The body is read chunk by chunk and refused as
/// soon as it passes the limit, so a chunked upload without a length cannot exhaust memory.
async fn read_request(request: &web_sys::Request) -> Result<Request, Problem> {
    let too_large = || {
        Problem::new(
            413,
            "payload_too_large",
            format!("request bodies are limited to {MAX_BODY_BYTES} bytes"),
        )
    };
    let unreadable = |_| Problem::new(400, "unreadable_body", "the request body could not be read");
    let headers = header_entries(&request.headers());
    let declared_length = crate::ports::find_header(&headers, "content-length")
        .and_then(|length| length.trim().parse::<u64>().ok());
    if declared_length.is_some_and(|length| length > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    // A request without a body has no stream to read.
    if let Some(stream) = request.body() {
        let reader = ReadableStreamDefaultReader::new(&stream).map_err(unreadable)?;
        loop {
            let chunk = JsFuture::from(reader.read()).await.map_err(unreadable)?;
            if Reflect::get(&chunk, &JsValue::from_str("done"))
                .map_err(unreadable)?
                .is_truthy()
            {
                break;
            }
            let bytes: Uint8Array = Reflect::get(&chunk, &JsValue::from_str("value"))
                .map_err(unreadable)?
                .dyn_into()
                .map_err(unreadable)?;
            let length = bytes.length() as usize;
            if body.len() + length > MAX_BODY_BYTES {
                // Stops the upload rather than letting it drain into nowhere.
                let _ = reader.cancel();
                return Err(too_large());
            }
            let start = body.len();
            body.resize(start + length, 0);
            bytes.copy_to(&mut body[start..]);
        }
    }
    Ok(plain_request(request, headers, body))
}

/// Every header as a name and value pair, in the runtime's order.
fn header_entries(headers: &Headers) -> Vec<(String, String)> {
    headers
        .entries()
        .into_iter()
        .filter_map(|entry| {
            let pair: js_sys::Array = entry.ok()?.unchecked_into();
            Some((pair.get(0).as_string()?, pair.get(1).as_string()?))
        })
        .collect()
}

/// The text of a JavaScript error (or of whatever was thrown).
fn js_error_text(error: &JsValue) -> String {
    error
        .dyn_ref::<js_sys::Error>()
        .map(|error| String::from(error.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| "unknown JavaScript error".into())
}

/// The runtime's response for a plain one. Building it fails only if the runtime
/// refuses a header or status, which this crate never sends; then the runtime's own
/// error response stands in, rather than an error type whose formatting would pull
/// much of the `worker` crate into the bundle.
fn into_worker_response(response: Response) -> web_sys::Response {
    build_response(&response).unwrap_or_else(|_| web_sys::Response::error())
}

fn build_response(response: &Response) -> Result<web_sys::Response, JsValue> {
    let headers = Headers::new()?;
    for (name, value) in &response.headers {
        headers.set(name, value)?;
    }
    let init = ResponseInit::new();
    init.set_status(response.status);
    init.set_headers(&headers);
    web_sys::Response::new_with_opt_str_and_init(Some(&response.body), &init)
}
