//! The `CALLS` Durable Object class (`#[durable_object]`) and its two ports: the
//! object's SQLite storage and alarm ([`DurableStorage`], over `worker`'s `Storage`
//! and `SqlStorage`), and the namespace the Worker reaches objects through
//! ([`WorkerObjects`]).

use std::rc::Rc;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
// `#[durable_object]`'s expansion names `wasm_bindgen` unqualified.
use worker::wasm_bindgen;
use worker::{
    durable_object, DurableObject, Env, Headers, Method, ObjectNamespace, RequestInit, SqlCursor,
    SqlStorage, SqlStorageValue, State, Storage,
};

use super::http::{WorkerClock, WorkerFetch};
use super::kv::WorkerKv;
use super::live::LiveStreams;
use super::{
    config, into_worker_response, read_object_request, store_error, ConsoleLog, WorkerPorts,
};
use crate::app::object::{
    route, CallObject as CallLogic, ObjectMemory, COMMAND_ID_HEADER, FIRST_EVENT_HEADER,
    MAX_LIVE_STREAMS, OUTCOME_HEADER,
};
use crate::domain::config::Config;
use crate::domain::problem::Problem;
use crate::ports::http::{Request, Response};
use crate::ports::{CallObjects, ObjectStorage, SqlParam, StoreError};

/// A call object's storage: its SQLite database and its alarm.
pub struct DurableStorage {
    storage: Storage,
    sql: SqlStorage,
}

impl DurableStorage {
    fn exec(&self, sql: &str, params: &[SqlParam<'_>]) -> Result<SqlCursor, StoreError> {
        let bindings = params
            .iter()
            .map(|param| match param {
                SqlParam::Null => SqlStorageValue::Null,
                // Every integer stored is far below 2^53 (times in milliseconds, counts).
                SqlParam::Int(n) => SqlStorageValue::Integer(*n),
                SqlParam::Text(text) => SqlStorageValue::String((*text).to_owned()),
            })
            .collect::<Vec<_>>();
        self.sql.exec(sql, bindings).map_err(store_error)
    }
}

impl ObjectStorage for DurableStorage {
    fn execute(&self, sql: &str, params: &[SqlParam<'_>]) -> Result<u64, StoreError> {
        let cursor = self.exec(sql, params)?;
        // Runs the statement to its end, so the count is complete.
        for row in cursor.raw() {
            row.map_err(store_error)?;
        }
        Ok(cursor.rows_written() as u64)
    }

    fn execute_script(&self, sql: &str) -> Result<(), StoreError> {
        // The runtime's `exec` runs every statement of a script.
        self.execute(sql, &[]).map(|_| ())
    }

    fn query<T: DeserializeOwned>(
        &self,
        sql: &str,
        params: &[SqlParam<'_>],
    ) -> Result<Vec<T>, StoreError> {
        self.exec(sql, params)?
            .to_array()
            .map_err(|error| StoreError(format!("unreadable rows: {}", super::error_text(&error))))
    }

    async fn get_alarm(&self) -> Result<Option<i64>, StoreError> {
        self.storage.get_alarm().await.map_err(store_error)
    }

    async fn set_alarm(&self, at_millis: i64) -> Result<(), StoreError> {
        // A time, not a number: `set_alarm` reads a number as an offset from now.
        let at = DateTime::<Utc>::from_timestamp_millis(at_millis)
            .ok_or_else(|| StoreError(format!("no alarm time {at_millis}")))?;
        self.storage.set_alarm(at).await.map_err(store_error)
    }

    async fn delete_all(&self) -> Result<(), StoreError> {
        self.storage.delete_all().await.map_err(store_error)
    }
}

/// The class named in `wrangler.toml` (`[[durable_objects.bindings]]`, SQLite-backed).
#[durable_object(alarm)]
pub struct CallObject {
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
        let storage = state.storage();
        Self {
            storage: DurableStorage {
                sql: storage.sql(),
                storage,
            },
            env,
            memory: ObjectMemory::default(),
            live: LiveStreams::default(),
        }
    }

    async fn fetch(&self, request: worker::Request) -> worker::Result<worker::Response> {
        let request = match read_object_request(request).await {
            Ok(request) => request,
            Err(problem) => return into_worker_response(problem.into()),
        };
        let Some(bound) = self.bindings() else {
            return into_worker_response(bindings_missing());
        };
        let logic = self.logic(&bound);
        if request.path == route::LIVE {
            return self.open_live(&logic);
        }
        let response = logic.handle(&request).await;
        self.offer_state(&logic);
        into_worker_response(response)
    }

    async fn alarm(&self) -> worker::Result<worker::Response> {
        if let Some(bound) = self.bindings() {
            let logic = self.logic(&bound);
            logic.alarm().await;
            self.offer_state(&logic);
        }
        worker::Response::empty()
    }
}

impl CallObject {
    /// The configuration, the KV binding and the objects namespace, from the env.
    fn bindings(&self) -> Option<Bindings> {
        Some(Bindings {
            config: config(&self.env),
            kv: super::bound_kv(&self.env)?,
            objects: super::bound_objects(&self.env)?,
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

/// The `CALLS` namespace.
pub struct WorkerObjects(pub ObjectNamespace);

/// The headers an object's answer carries back to the Worker.
const PASSED_ON: [&str; 4] = [
    "content-type",
    OUTCOME_HEADER,
    FIRST_EVENT_HEADER,
    COMMAND_ID_HEADER,
];

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
        // A delivery's outcome is all in its headers: its body is not read.
        let body = if headers.iter().any(|(name, _)| *name == OUTCOME_HEADER) {
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
