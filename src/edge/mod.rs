//! The Worker entry point and the call object class, on the `worker` crate (workers-rs):
//! the only code that touches the runtime. It turns `worker`'s request, env, KV,
//! Durable Objects, `Fetch`, `Delay` and `Date` into the plain values and ports of
//! [`crate::app`].

mod access;
mod bindings;
mod call_object;
mod console;
mod convert;
mod http;
mod kv;
mod live;
mod log;
mod objects;
mod ports;
mod storage;

use std::panic;

use worker::wasm_bindgen::prelude::wasm_bindgen;
use worker::{event, Context, Env};

use crate::app::console::is_console_path;
use crate::app::{rejection_log, App};
use crate::domain::auth::bearer_matches;
use crate::domain::config::Config;
use crate::domain::problem::Problem;
use crate::ports::http::Request;
use crate::ports::Logger;
use bindings::{access_keys, bound_kv, bound_objects, config, KV_BINDING, OBJECTS_BINDING};
use convert::{into_runtime_response, read_request};
use log::ConsoleLog;
use ports::WorkerPorts;

/// The heap: talc instead of Rust's default dlmalloc, faster by its authors' wasm
/// benchmarks.
#[global_allocator]
static HEAP: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

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
    request: worker::web_sys::Request,
    env: Env,
    _ctx: Context,
) -> worker::Result<worker::web_sys::Response> {
    let request = match read_request(request).await {
        Ok(request) => request,
        Err(problem) => {
            ConsoleLog.log(rejection_log("request", &problem));
            return into_runtime_response(problem.into());
        }
    };
    // The console's files need no configuration and no binding.
    if is_console_path(&request.path) {
        return into_runtime_response(console::answer(&request));
    }
    let config = config(&env);
    let (Some(kv), Some(objects)) = (bound_kv(&env), bound_objects(&env)) else {
        return into_runtime_response(
            Problem::new(
                500,
                "binding_missing",
                format!("the {KV_BINDING} KV namespace or the {OBJECTS_BINDING} Durable Object namespace is not bound"),
            )
            .into(),
        );
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
            Err(error) => into_runtime_response(app.storage_failure(error, Some(&name))),
        },
        Some(Err(refused)) => into_runtime_response(refused),
        None => into_runtime_response(app.handle(request).await),
    }
}

/// `GET /debug/panic` panics, when `DEBUG_PANIC` is `true` and an operator asks: the
/// end-to-end tests use it to show that the instance is reset and the next request is
/// served. Anywhere else it is an unknown path.
fn panic_probe(
    config: &Config,
    request: &Request,
) -> Option<worker::Result<worker::web_sys::Response>> {
    let operator = config
        .admin_token
        .as_deref()
        .is_some_and(|token| bearer_matches(request.header("authorization").ok().flatten(), token));
    if !(config.debug_panic && operator && request.path == "/debug/panic") {
        return None;
    }
    panic!("GET /debug/panic with DEBUG_PANIC set");
}
