//! The runtime's types this crate calls, its start function and the `fetch` export,
//! declared here rather than taken from the `worker` crate. Linking `worker` (or
//! `worker-sys`) links every class it exports to JavaScript (R2 ranges, container
//! options, minify settings, `wasm-streams`' sources and sinks), with their glue, though
//! this crate uses none of them (bench/README.md has the figure). What is here does what
//! `worker` 0.8's `init`, `#[event(fetch)]`, `Context::wait_until` and `Delay` do.

use std::cell::Cell;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context as TaskContext, Poll};

use js_sys::futures::future_to_promise;
use js_sys::{Array, Object, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    /// The bindings and vars of the Worker.
    #[wasm_bindgen(extends = Object)]
    pub type Env;

    /// The `ctx` of a `fetch` handler.
    #[wasm_bindgen(extends = Object)]
    pub type Context;

    #[wasm_bindgen(method, catch, js_name = waitUntil)]
    fn wait_until(this: &Context, promise: &Promise) -> Result<(), JsValue>;

    #[wasm_bindgen(extends = Object)]
    pub type DurableObjectState;

    #[wasm_bindgen(method, catch, getter)]
    pub fn storage(this: &DurableObjectState) -> Result<DurableObjectStorage, JsValue>;

    #[wasm_bindgen(extends = Object)]
    pub type DurableObjectStorage;

    #[wasm_bindgen(method, catch, js_name = getAlarm)]
    pub fn get_alarm(this: &DurableObjectStorage, options: Object) -> Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch, js_name = setAlarm)]
    pub fn set_alarm(
        this: &DurableObjectStorage,
        scheduled_time: js_sys::Date,
        options: Object,
    ) -> Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch, js_name = deleteAll)]
    pub fn delete_all(this: &DurableObjectStorage) -> Result<Promise, JsValue>;

    #[wasm_bindgen(method, getter)]
    pub fn sql(this: &DurableObjectStorage) -> SqlStorage;

    #[wasm_bindgen(extends = Object)]
    pub type SqlStorage;

    /// `exec(query, ...bindings)`.
    #[wasm_bindgen(structural, method, catch, variadic, js_class = SqlStorage, js_name = exec)]
    pub fn exec(
        this: &SqlStorage,
        query: &str,
        bindings: Array,
    ) -> Result<SqlStorageCursor, JsValue>;

    #[wasm_bindgen(extends = Object)]
    pub type SqlStorageCursor;

    #[wasm_bindgen(method, js_name = toArray)]
    pub fn to_array(this: &SqlStorageCursor) -> Array;

    #[wasm_bindgen(method, getter, js_name = rowsWritten)]
    pub fn rows_written(this: &SqlStorageCursor) -> f64;

    #[wasm_bindgen(extends = Object)]
    pub type DurableObjectNamespace;

    #[wasm_bindgen(method, catch, js_name = idFromName)]
    pub fn id_from_name(
        this: &DurableObjectNamespace,
        name: &str,
    ) -> Result<DurableObjectId, JsValue>;

    #[wasm_bindgen(method, catch)]
    pub fn get(
        this: &DurableObjectNamespace,
        id: &DurableObjectId,
    ) -> Result<DurableObject, JsValue>;

    #[wasm_bindgen(extends = Object)]
    pub type DurableObjectId;

    /// An object's stub.
    #[wasm_bindgen(extends = Object)]
    pub type DurableObject;

    #[wasm_bindgen(method, catch, js_name = fetch)]
    pub fn fetch_with_request(
        this: &DurableObject,
        request: &web_sys::Request,
    ) -> Result<Promise, JsValue>;
}

impl Context {
    /// Keeps the invocation alive until `future` is done, after the response.
    pub fn wait_until_done<F: Future<Output = ()> + 'static>(&self, future: F) {
        // The runtime refuses it only outside a live request; the work then ends with
        // the response, and what it owes is the alarm's or the next request's to do.
        let _ = self.wait_until(&future_to_promise(AssertUnwindSafe(async {
            future.await;
            Ok(JsValue::UNDEFINED)
        })));
    }
}

/// The Worker's `fetch` handler, as `worker`'s `#[event(fetch)]` exports it.
#[wasm_bindgen]
pub async fn fetch(req: web_sys::Request, env: Env, ctx: Context) -> Result<JsValue, JsValue> {
    AssertUnwindSafe(async move {
        let response = match super::fetch(req, env, ctx).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        Ok(JsValue::from(response))
    })
    .await
}

// worker-build's shim reads this state: a panic marks the instance as broken, and the
// shim builds a fresh one for the next request.
#[wasm_bindgen(inline_js = "
export const state = globalThis.__worker_init_state = { criticalError: false, instanceId: 0 };
")]
extern "C" {
    type InitState;

    #[wasm_bindgen(thread_local_v2, js_name = state)]
    static INIT_STATE: InitState;

    #[wasm_bindgen(method, setter, js_name = criticalError)]
    fn set_critical_error(this: &InitState, val: bool);

    #[wasm_bindgen(method, getter, js_name = instanceId)]
    fn instance_id(this: &InitState) -> u32;

    #[wasm_bindgen(method, setter, js_name = instanceId)]
    fn set_instance_id(this: &InitState, val: u32);
}

fn on_abort() {
    wasm_bindgen::handler::schedule_reinit();
}

#[wasm_bindgen(start, private)]
fn init() {
    // `worker` calls std's default hook first. On wasm32-unknown-unknown that hook
    // writes nowhere (std's `panic_output` is `None`), so it is left out, and its
    // formatting, thread-name and backtrace code with it.
    panic::set_hook(Box::new(|info| {
        let message = info.to_string();
        let panic_err = js_sys::Error::new(&format!("Rust panic: {message}"));
        web_sys::console::error_2(&"Critical".into(), &panic_err.into());
        INIT_STATE.with(|s| s.set_critical_error(true));
    }));

    INIT_STATE.with(|s| {
        let id = s.instance_id();
        s.set_instance_id(id + 1);
    });

    wasm_bindgen::handler::set_on_abort(on_abort);
}

#[wasm_bindgen(js_name = "__worker_init_state")]
pub fn worker_init_state() -> JsValue {
    INIT_STATE.with(|s| s.into())
}

/// Waits `millis` with `setTimeout`; dropped before then, it clears the timeout.
pub struct Delay {
    millis: i32,
    closure: Option<Closure<dyn FnMut()>>,
    timeout_id: Option<i32>,
    awoken: Rc<Cell<bool>>,
}

impl Delay {
    pub fn millis(millis: u64) -> Self {
        Self {
            // As `worker`'s `Delay` passes a `Duration`'s milliseconds.
            millis: millis as i32,
            closure: None,
            timeout_id: None,
            awoken: Rc::default(),
        }
    }
}

impl Future for Delay {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
        let this = self.get_mut();
        if this.awoken.get() {
            return Poll::Ready(());
        }
        if this.closure.is_none() {
            let awoken = this.awoken.clone();
            let waker = cx.waker().clone();
            let wake = Box::new(move || {
                waker.wake_by_ref();
                awoken.set(true);
            });
            let callback = this
                .closure
                .insert(Closure::wrap_assert_unwind_safe(wake as _));
            let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
            let timeout = global.set_timeout_with_callback_and_timeout_and_arguments_0(
                callback.as_ref().unchecked_ref::<js_sys::Function>(),
                this.millis,
            );
            match timeout {
                Ok(timeout_id) => this.timeout_id = Some(timeout_id),
                // No timer to wait on: the wait ends at once rather than never.
                Err(_) => return Poll::Ready(()),
            }
        }
        Poll::Pending
    }
}

impl Drop for Delay {
    fn drop(&mut self) {
        // A timeout that fired has nothing to clear.
        if self.awoken.get() {
            return;
        }
        if let Some(id) = self.timeout_id {
            let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
            global.clear_timeout_with_handle(id);
        }
    }
}
