//! The `CALLS` Durable Object class (`#[durable_object]`, SQLite-backed): each request
//! and alarm runs the call's logic over the object's storage and the env's bindings,
//! and the object keeps the call's live streams.

use std::rc::Rc;
use std::time::Duration;

// `#[durable_object]`'s expansion names `wasm_bindgen` unqualified.
use worker::wasm_bindgen;
use worker::wasm_bindgen_futures::spawn_local;
use worker::{durable_object, Date, Delay, DurableObject, Env, State};

use super::bindings::{bound_kv, bound_objects, config};
use super::convert::{into_worker_response, read_object_request};
use super::http::{WorkerClock, WorkerFetch};
use super::kv::WorkerKv;
use super::live::LiveStreams;
use super::log::ConsoleLog;
use super::objects::WorkerObjects;
use super::ports::WorkerPorts;
use super::storage::DurableStorage;
use crate::app::object::{route, CallObject as CallLogic, ObjectMemory, MAX_LIVE_STREAMS};
use crate::domain::config::Config;
use crate::domain::problem::Problem;
use crate::ports::http::Response;

/// The class named in `wrangler.toml` (`[[durable_objects.bindings]]`, SQLite-backed).
#[durable_object(alarm)]
pub struct CallObject {
    instance: Rc<Instance>,
}

/// What one instance of the object holds: shared with the timer of its next tick.
struct Instance {
    storage: DurableStorage,
    env: Env,
    memory: ObjectMemory,
    live: LiveStreams,
}

/// What an object's request or alarm reaches beyond its own storage.
struct Bindings {
    config: Rc<Config>,
    kv: WorkerKv,
    objects: WorkerObjects,
}

type CallLogicOf<'a> = CallLogic<'a, WorkerPorts>;

fn bindings_missing() -> Response {
    Problem::new(
        500,
        "binding_missing",
        "the object's KV namespace or Durable Object namespace is not bound",
    )
    .into()
}

impl DurableObject for CallObject {
    fn new(state: State, env: Env) -> Self {
        Self {
            instance: Rc::new(Instance {
                storage: DurableStorage::new(state.storage()),
                env,
                memory: ObjectMemory::default(),
                live: LiveStreams::default(),
            }),
        }
    }

    async fn fetch(&self, request: worker::Request) -> worker::Result<worker::Response> {
        let instance = &self.instance;
        let request = match read_object_request(request).await {
            Ok(request) => request,
            Err(problem) => return into_worker_response(problem.into()),
        };
        let Some(bound) = instance.bindings() else {
            return into_worker_response(bindings_missing());
        };
        let logic = instance.logic(&bound);
        if request.path == route::LIVE {
            return instance.open_live(&logic);
        }
        let response = logic.handle(&request).await;
        instance.offer_state(&logic);
        schedule_tick(instance);
        into_worker_response(response)
    }

    async fn alarm(&self) -> worker::Result<worker::Response> {
        let instance = &self.instance;
        if let Some(bound) = instance.bindings() {
            let logic = instance.logic(&bound);
            logic.alarm().await;
            instance.offer_state(&logic);
        }
        schedule_tick(instance);
        worker::Response::empty()
    }
}

/// Starts the timer of the tick the instance asks for, if none runs for it already.
/// It lives as long as the instance does; what it owes is the alarm's if the instance
/// goes first.
fn schedule_tick(instance: &Rc<Instance>) {
    let Some(at) = instance.memory.tick_to_schedule() else {
        return;
    };
    let instance = Rc::clone(instance);
    spawn_local(async move {
        let wait = u64::try_from(at - Date::now().as_millis() as i64).unwrap_or(0);
        Delay::from(Duration::from_millis(wait)).await;
        if let Some(bound) = instance.bindings() {
            let logic = instance.logic(&bound);
            logic.tick().await;
        }
        schedule_tick(&instance);
    });
}

impl Instance {
    /// The configuration, the KV binding and the objects namespace, from the env.
    fn bindings(&self) -> Option<Bindings> {
        Some(Bindings {
            config: config(&self.env),
            kv: bound_kv(&self.env)?,
            objects: bound_objects(&self.env)?,
        })
    }

    /// The object's logic over its storage.
    fn logic<'a>(&'a self, bound: &'a Bindings) -> CallLogicOf<'a> {
        CallLogic {
            config: &bound.config,
            storage: &self.storage,
            kv: &bound.kv,
            log: &ConsoleLog,
            http: &WorkerFetch,
            clock: &WorkerClock,
            objects: &bound.objects,
            memory: &self.memory,
        }
    }

    /// Sends the call's state to its open streams, if it changed.
    fn offer_state(&self, logic: &CallLogicOf<'_>) {
        if self.live.is_empty() {
            return;
        }
        if let Ok(Some(frame)) = logic.state_frame() {
            self.live.offer(frame);
        }
    }

    /// `GET /calls/{id}/live`, authorised by the Worker: a stream of the call's states
    /// that starts with the current one.
    fn open_live(&self, logic: &CallLogicOf<'_>) -> worker::Result<worker::Response> {
        let refused = |problem: Problem| into_worker_response(problem.into());
        match logic.state_frame() {
            Ok(Some(first)) => match self.live.open(&first)? {
                Ok(stream) => Ok(stream),
                Err(_) => refused(Problem::new(
                    429,
                    "too_many_streams",
                    format!("this call already has {MAX_LIVE_STREAMS} live views open"),
                )),
            },
            Ok(None) => refused(Problem::new(
                404,
                "call_not_found",
                "the call's object holds no event of it: none was accepted, or the call \
                 was archived after its retention (GET /calls/{id} reads the archive)",
            )),
            Err(error) => {
                logic.log_storage_error("live", &error);
                refused(Problem::new(
                    500,
                    "storage_unavailable",
                    "the call's storage could not be read; retry later",
                ))
            }
        }
    }
}
