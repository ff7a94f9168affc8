//! The Worker entry point and the call object class, on the `worker` crate (workers-rs):
//! the only code that touches the runtime. It turns `worker`'s request, env, KV,
//! Durable Objects, `Fetch`, `Delay` and `Date` into the plain values and ports of
//! [`crate::app`].

mod access;
mod http;
mod kv;
mod live;
mod object;

use std::cell::RefCell;
use std::panic;
use std::rc::Rc;

use futures_util::StreamExt;
use worker::wasm_bindgen::prelude::wasm_bindgen;
use worker::wasm_bindgen::JsValue;
use worker::{event, Context, Env, ResponseBuilder};

use crate::app::access::AccessKeys;
use crate::app::MAX_BODY_BYTES;
use crate::app::{rejection_log, run_after, App};
use crate::domain::auth::bearer_matches;
use crate::domain::config::{Config, ConfigCache};
use crate::domain::problem::Problem;
use crate::ports::http::{Request, Response};
use crate::ports::{LogLine, Logger, Ports, StoreError};

/// The heap: talc instead of Rust's default dlmalloc, faster by its authors' wasm
/// benchmarks.
#[global_allocator]
static HEAP: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// The KV namespace binding named in `wrangler.toml`.
const KV_BINDING: &str = "CALL_STATE";
/// The Durable Object namespace binding named in `wrangler.toml`.
const OBJECTS_BINDING: &str = "CALLS";

/// The Workers runtime's ports: what the Worker's pipeline and the call objects run
/// over in production.
pub struct WorkerPorts;

impl Ports for WorkerPorts {
    type Kv = kv::WorkerKv;
    type Objects = object::WorkerObjects;
    type Storage = object::DurableStorage;
    type Log = ConsoleLog;
    type Clock = http::WorkerClock;
    type Http = http::WorkerFetch;
    type Rs256 = access::WebCryptoRs256;
}

/// One JSON object per line on the runtime's console.
pub struct ConsoleLog;

impl Logger for ConsoleLog {
    fn log(&self, line: LogLine) {
        if let Ok(json) = serde_json::to_string(&line) {
            worker::console_log!("{json}");
        }
    }
}

/// Chains `console_error_panic_hook` before the hook `worker`'s start function sets,
/// whichever of the two start functions runs first: a panic is logged with its
/// JavaScript stack, and `worker`'s hook still marks the instance for the reset that
/// its shim makes before the next request. Private, as `worker`'s own is:
/// `#[event(start)]` would also export it, and the shim would offer it as a method of
/// the Worker's entrypoint.
#[wasm_bindgen(start, private, wasm_bindgen = ::worker::wasm_bindgen)]
fn start() {
    let next = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        console_error_panic_hook::hook(info);
        next(info);
    }));
}

#[event(fetch)]
async fn fetch(
    request: worker::Request,
    env: Env,
    ctx: Context,
) -> worker::Result<worker::Response> {
    let config = config(&env);
    let (Some(kv), Some(objects)) = (bound_kv(&env), bound_objects(&env)) else {
        return into_worker_response(
            Problem::new(
                500,
                "binding_missing",
                format!("the {KV_BINDING} KV namespace or the {OBJECTS_BINDING} Durable Object namespace is not bound"),
            )
            .into(),
        );
    };
    let request = match read_request(request).await {
        Ok(request) => request,
        Err(problem) => {
            ConsoleLog.log(rejection_log("request", &problem));
            return into_worker_response(problem.into());
        }
    };
    if let Some(answer) = panic_probe(&config, &request) {
        return answer;
    }
    let access_keys = access_keys();
    let app = App::<WorkerPorts> {
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
    match app.live_request(&request).await {
        Some(Ok((name, open))) => match objects.fetch(&name, open).await {
            Ok(stream) => Ok(stream),
            Err(error) => into_worker_response(app.storage_failure(error, Some(&name))),
        },
        Some(Err(refused)) => into_worker_response(refused),
        None => {
            let handled = app.handle(request).await;
            if let Some(after) = handled.after {
                ctx.wait_until(async move {
                    run_after(&kv, &ConsoleLog, after).await;
                });
            }
            into_worker_response(handled.response)
        }
    }
}

/// `GET /debug/panic` panics, when `DEBUG_PANIC` is `true` and an operator asks: the
/// end-to-end tests use it to show that the instance is reset and the next request is
/// served. Anywhere else it is an unknown path.
fn panic_probe(config: &Config, request: &Request) -> Option<worker::Result<worker::Response>> {
    let operator = config
        .admin_token
        .as_deref()
        .is_some_and(|token| bearer_matches(request.header("authorization").ok().flatten(), token));
    if !(config.debug_panic && operator && request.path == "/debug/panic") {
        return None;
    }
    panic!("GET /debug/panic with DEBUG_PANIC set");
}

/// A binding from the env, or `None` after logging that it is missing.
fn bound<T>(name: &str, binding: worker::Result<T>) -> Option<T> {
    match binding {
        Ok(binding) => Some(binding),
        Err(error) => {
            ConsoleLog.log(LogLine {
                level: "error",
                msg: "config",
                detail: Some(format!("the binding {name} is missing: {error}")),
                ..LogLine::default()
            });
            None
        }
    }
}

fn bound_kv(env: &Env) -> Option<kv::WorkerKv> {
    bound(KV_BINDING, env.kv(KV_BINDING)).map(kv::WorkerKv)
}

fn bound_objects(env: &Env) -> Option<object::WorkerObjects> {
    bound(OBJECTS_BINDING, env.durable_object(OBJECTS_BINDING)).map(object::WorkerObjects)
}

/// What a Worker instance keeps between requests (an isolate runs one thread).
#[derive(Default)]
struct Isolate {
    config: RefCell<ConfigCache>,
    /// The envs the configuration was read from, and what each gave.
    read_from: RefCell<Vec<(Env, Rc<Config>)>>,
    /// Cloudflare Access's signing keys.
    access_keys: Rc<AccessKeys>,
}

thread_local! {
    static ISOLATE: Isolate = Isolate::default();
}

/// Envs whose configuration an isolate keeps: the Worker's and its objects'.
const KEPT_ENVS: usize = 4;

/// The configuration. The runtime hands the requests of an isolate's Worker, and of
/// each of its objects, the same env object, whose vars do not change: vars are read
/// again only for an env not seen before.
fn config(env: &Env) -> Rc<Config> {
    ISOLATE.with(|isolate| {
        let env_value: &JsValue = env.as_ref();
        let kept = isolate
            .read_from
            .borrow()
            .iter()
            .find_map(|(seen, config)| {
                let seen: &JsValue = seen.as_ref();
                (seen == env_value).then(|| Rc::clone(config))
            });
        if let Some(config) = kept {
            return config;
        }
        let config = isolate.config.borrow_mut().get(|name| read_var(env, name));
        let mut read_from = isolate.read_from.borrow_mut();
        if read_from.len() == KEPT_ENVS {
            read_from.remove(0);
        }
        read_from.push((env.clone(), Rc::clone(&config)));
        config
    })
}

fn access_keys() -> Rc<AccessKeys> {
    ISOLATE.with(|isolate| Rc::clone(&isolate.access_keys))
}

/// Reads a var or secret as text. `wrangler.toml` may give a var as a table (read as
/// the JSON it is) or as a number, which `worker`'s `Env` does not read: that one is
/// taken as it is.
fn read_var(env: &Env, name: &str) -> Option<String> {
    if let Ok(text) = env.var(name) {
        return Some(text.to_string());
    }
    if let Ok(table) = env.object_var::<serde_json::Value>(name) {
        return serde_json::to_string(&table).ok();
    }
    let value = worker::js_sys::Reflect::get(env, &name.into()).ok()?;
    value.as_f64().map(|number| number.to_string())
}

/// Reads the request into plain values. The body is read chunk by chunk and refused as
/// soon as it passes the limit, so a chunked upload without a length cannot exhaust
/// memory.
async fn read_request(mut request: worker::Request) -> Result<Request, Problem> {
    let too_large = || {
        Problem::new(
            413,
            "payload_too_large",
            format!("request bodies are limited to {MAX_BODY_BYTES} bytes"),
        )
    };
    let unreadable = |_| Problem::new(400, "unreadable_body", "the request body could not be read");
    let headers: Vec<(String, String)> = request.headers().entries().collect();
    let declared_length = crate::ports::find_header(&headers, "content-length")
        .and_then(|length| length.trim().parse::<u64>().ok());
    if declared_length.is_some_and(|length| length > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    // A request without a body has no stream to read.
    if request.inner().body().is_some() {
        let mut chunks = request.stream().map_err(unreadable)?;
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(unreadable)?;
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                // Dropping the stream cancels it: the rest of the upload is not read.
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
    }
    plain_request(&request, headers, body)
}

/// Reads a request from the Worker to an object: its size was checked by the Worker,
/// so the body is read at once.
async fn read_object_request(mut request: worker::Request) -> Result<Request, Problem> {
    let headers = request.headers().entries().collect();
    let body = request
        .bytes()
        .await
        .map_err(|_| Problem::new(400, "unreadable_body", "the request body could not be read"))?;
    plain_request(&request, headers, body)
}

/// The request as plain values, with its headers and body already read. The method is
/// the runtime's own text: `worker`'s `Method` reads one it does not know as `GET`.
fn plain_request(
    request: &worker::Request,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
) -> Result<Request, Problem> {
    let url = request
        .url()
        .map_err(|_| Problem::new(400, "invalid_url", "the request URL could not be read"))?;
    Ok(Request {
        method: request.inner().method(),
        path: url.path().to_owned(),
        query: url.query().unwrap_or_default().to_owned(),
        headers,
        body,
    })
}

/// What a runtime error says: its message, and the message of what caused it.
fn error_text(error: &worker::Error) -> String {
    match std::error::Error::source(error) {
        Some(source) => format!("{error}: {source}"),
        None => error.to_string(),
    }
}

fn store_error(error: worker::Error) -> StoreError {
    StoreError(error_text(&error))
}

/// The runtime's response for a plain one. An empty body is no body (a `204` may
/// carry none).
fn into_worker_response(response: Response) -> worker::Result<worker::Response> {
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
