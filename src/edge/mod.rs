//! The Worker entry points: the only code that touches `worker` types. It turns the
//! runtime's request, env, clock and KV into the plain values and ports of [`crate::app`].

mod http;
mod kv;

use std::cell::RefCell;
use std::rc::Rc;

use futures_util::StreamExt;
use worker::wasm_bindgen::JsValue;
use worker::{console_log, event, js_sys, Context, Env, ScheduleContext, ScheduledEvent};

use crate::app::http::{Request, Response, MAX_BODY_BYTES};
use crate::app::{rejection_log, App};
use crate::domain::config::{Config, ConfigCache};
use crate::domain::problem::Problem;
use crate::ports::{LogLine, Logger};

/// The KV namespace binding named in `wrangler.toml`.
const KV_BINDING: &str = "CALL_STATE";

struct ConsoleLog;

impl Logger for ConsoleLog {
    fn log(&self, line: LogLine) {
        if let Ok(json) = serde_json::to_string(&line) {
            console_log!("{json}");
        }
    }
}

#[event(fetch)]
async fn fetch(
    request: worker::Request,
    env: Env,
    ctx: Context,
) -> worker::Result<worker::Response> {
    let config = config(&env);
    let Some(kv) = bound_kv(&env) else {
        return into_worker_response(
            Problem::new(
                500,
                "kv_binding_missing",
                "the CALL_STATE KV namespace is not bound",
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
    let handled = app(&config, &kv).handle(&request).await;
    if let Some(follow_up) = handled.follow_up {
        // Automations run after the response, as long as the runtime allows.
        ctx.wait_until(async move {
            app(&config, &kv).run_automations(follow_up).await;
        });
    }
    into_worker_response(handled.response)
}

/// The cron trigger in `wrangler.toml`: finishes work that requests left unfinished.
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let config = config(&env);
    if let Some(kv) = bound_kv(&env) {
        app(&config, &kv).sweep().await;
    }
}

fn app<'a>(
    config: &'a Config,
    kv: &'a kv::WorkerKv,
) -> App<'a, kv::WorkerKv, ConsoleLog, http::WorkerFetch, http::WorkerClock> {
    App {
        config,
        kv,
        log: &ConsoleLog,
        http: &http::WorkerFetch,
        clock: &http::WorkerClock,
    }
}

/// The KV namespace, or `None` after logging that the binding is missing.
fn bound_kv(env: &Env) -> Option<kv::WorkerKv> {
    match env.kv(KV_BINDING) {
        Ok(store) => Some(kv::WorkerKv(store)),
        Err(_) => {
            ConsoleLog.log(LogLine {
                level: "error",
                msg: "config",
                detail: Some(format!("the KV binding {KV_BINDING} is missing")),
                ..LogLine::default()
            });
            None
        }
    }
}

thread_local! {
    /// One per Worker instance (an isolate runs one thread).
    static CONFIG: RefCell<ConfigCache> = RefCell::default();
}

fn config(env: &Env) -> Rc<Config> {
    CONFIG.with(|cache| cache.borrow_mut().get(|name| read_var(env, name)))
}

/// Reads a var or secret as text: numbers and objects (a TOML table in
/// `wrangler.toml`) arrive as JavaScript values, not strings.
fn read_var(env: &Env, name: &str) -> Option<String> {
    let value = js_sys::Reflect::get(env, &JsValue::from_str(name)).ok()?;
    if let Some(text) = value.as_string() {
        Some(text)
    } else if let Some(number) = value.as_f64() {
        Some(number.to_string())
    } else if value.is_object() {
        js_sys::JSON::stringify(&value).ok()?.as_string()
    } else {
        None
    }
}

/// Reads the request into plain values. The body is read chunk by chunk and refused as
/// soon as it passes the limit, so a chunked upload without a length cannot exhaust memory.
async fn read_request(mut request: worker::Request) -> Result<Request, Problem> {
    let too_large = || {
        Problem::new(
            413,
            "payload_too_large",
            format!("request bodies are limited to {MAX_BODY_BYTES} bytes"),
        )
    };
    let declared_length = request
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|length| length.trim().parse::<u64>().ok());
    if declared_length.is_some_and(|length| length > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    // A request without a body has no stream to read.
    if let Ok(mut chunks) = request.stream() {
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(|_| {
                Problem::new(400, "unreadable_body", "the request body could not be read")
            })?;
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
    }
    Ok(Request {
        method: request.method().to_string(),
        path: request.path(),
        headers: request.headers().entries().collect(),
        body,
    })
}

fn into_worker_response(response: Response) -> worker::Result<worker::Response> {
    let mut builder = worker::Response::builder().with_status(response.status);
    for (name, value) in &response.headers {
        builder = builder.with_header(name, value)?;
    }
    Ok(builder.fixed(response.body.into_bytes()))
}
