//! The `CALLS` Durable Object class and its two ports: the object's SQLite storage and
//! alarm ([`DurableStorage`]), and the namespace the Worker reaches objects through
//! ([`WorkerObjects`]). Both call the runtime's bindings directly.

use js_sys::futures::JsFuture;
use js_sys::{Array, Date, Object, Uint8Array, JSON};
use std::rc::Rc;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{Headers, RequestInit};

use super::http::{WorkerClock, WorkerFetch};
use super::kv::WorkerKv;
use super::live::LiveStreams;
use super::runtime::{
    DurableObjectNamespace, DurableObjectState, DurableObjectStorage, Env, SqlStorage,
    SqlStorageCursor,
};
use super::{config, into_worker_response, js_error_text, read_request_body, ConsoleLog};
use crate::app::http::{Request, Response};
use crate::app::object::{
    route, CallObject as CallLogic, ObjectMemory, COMMAND_ID_HEADER, FIRST_EVENT_HEADER,
    MAX_LIVE_STREAMS, OUTCOME_HEADER,
};
use crate::domain::config::Config;
use crate::domain::problem::Problem;
use crate::ports::{CallObjects, ObjectStorage, SqlParam, SqlRow, StoreError};
use serde_json::Value;

fn store_error(error: JsValue) -> StoreError {
    StoreError(js_error_text(&error))
}

/// A call object's storage: `ctx.storage` and its `sql`.
pub struct DurableStorage {
    storage: DurableObjectStorage,
    sql: SqlStorage,
}

impl DurableStorage {
    fn exec(&self, sql: &str, params: &[SqlParam<'_>]) -> Result<SqlStorageCursor, StoreError> {
        let bindings: Array = params
            .iter()
            .map(|param| match param {
                SqlParam::Null => JsValue::NULL,
                // Every integer stored is far below 2^53 (times in milliseconds, counts).
                SqlParam::Int(n) => JsValue::from_f64(*n as f64),
                SqlParam::Text(text) => JsValue::from_str(text),
            })
            .collect();
        self.sql.exec(sql, bindings).map_err(store_error)
    }
}

impl ObjectStorage for DurableStorage {
    fn execute(&self, sql: &str, params: &[SqlParam<'_>]) -> Result<u64, StoreError> {
        let cursor = self.exec(sql, params)?;
        // Runs the statement to its end, so the count is complete.
        let _ = cursor.to_array();
        Ok(cursor.rows_written() as u64)
    }

    fn execute_script(&self, sql: &str) -> Result<(), StoreError> {
        // The runtime's `exec` runs every statement of a script.
        let _ = self.exec(sql, &[])?.to_array();
        Ok(())
    }

    fn query(&self, sql: &str, params: &[SqlParam<'_>]) -> Result<Vec<SqlRow>, StoreError> {
        let rows = self.exec(sql, params)?.to_array();
        let text = JSON::stringify(&rows)
            .map_err(store_error)?
            .as_string()
            .unwrap_or_default();
        // Read as a `Value`: `Vec<SqlRow>`'s derived reader would bring serde's
        // `Unexpected` messages, and with them float formatting (domain::fields).
        let rows = match serde_json::from_slice(text.as_bytes()) {
            Ok(Value::Array(rows)) => rows,
            Ok(_) => return Err(StoreError("unreadable rows: not an array".into())),
            Err(e) => return Err(StoreError(format!("unreadable rows: {e}"))),
        };
        rows.into_iter()
            .map(|row| match row {
                Value::Object(row) => Ok(row),
                _ => Err(StoreError("unreadable rows: a row is not an object".into())),
            })
            .collect()
    }

    async fn get_alarm(&self) -> Result<Option<i64>, StoreError> {
        let promise = self.storage.get_alarm(Object::new()).map_err(store_error)?;
        let at = JsFuture::from(promise).await.map_err(store_error)?;
        Ok(at.as_f64().map(|millis| millis as i64))
    }

    async fn set_alarm(&self, at_millis: i64) -> Result<(), StoreError> {
        let when = Date::new(&JsValue::from_f64(at_millis as f64));
        let promise = self
            .storage
            .set_alarm(when, Object::new())
            .map_err(store_error)?;
        JsFuture::from(promise).await.map_err(store_error)?;
        Ok(())
    }

    async fn delete_all(&self) -> Result<(), StoreError> {
        let promise = self.storage.delete_all().map_err(store_error)?;
        JsFuture::from(promise).await.map_err(store_error)?;
        Ok(())
    }
}

/// The class named in `wrangler.toml` (`[[durable_objects.bindings]]`, SQLite-backed),
/// exported to the runtime directly: `worker`'s `#[durable_object]` wraps requests and
/// responses in types this crate never uses, which cost bundle size.
#[wasm_bindgen]
pub struct CallObject {
    parts: Parts,
}

/// What the object's requests and alarms run with.
struct Parts {
    storage: Option<DurableStorage>,
    env: Env,
    memory: ObjectMemory,
    live: LiveStreams,
}

impl Parts {
    /// The configuration, the KV binding and the objects namespace, from the env.
    fn bindings(&self) -> Option<Bindings> {
        Some(Bindings {
            config: config(&self.env),
            kv: super::bound_kv(&self.env)?,
            objects: super::bound_objects(&self.env)?,
        })
    }

    /// The object's logic over its storage, or `None` without storage.
    fn logic<'a>(&'a self, bound: &'a Bindings) -> Option<CallLogicOf<'a>> {
        Some(CallLogic {
            config: &bound.config,
            storage: self.storage.as_ref()?,
            kv: &bound.kv,
            log: &ConsoleLog,
            http: &WorkerFetch,
            clock: &WorkerClock,
            objects: &bound.objects,
            memory: &self.memory,
        })
    }
}

/// What an object's request or alarm reaches beyond its own storage.
struct Bindings {
    config: Rc<Config>,
    kv: WorkerKv,
    objects: WorkerObjects,
}

type CallLogicOf<'a> =
    CallLogic<'a, DurableStorage, WorkerKv, ConsoleLog, WorkerFetch, WorkerClock, WorkerObjects>;

fn no_storage() -> Response {
    Problem::new(500, "storage_unavailable", "the object has no storage").into()
}

#[wasm_bindgen]
impl CallObject {
    #[wasm_bindgen(constructor)]
    pub fn new(state: DurableObjectState, env: Env) -> Self {
        let storage = state.storage().ok().map(|storage| DurableStorage {
            sql: storage.sql(),
            storage,
        });
        Self {
            parts: Parts {
                storage,
                env,
                memory: ObjectMemory::default(),
                live: LiveStreams::default(),
            },
        }
    }

    pub async fn fetch(&self, request: web_sys::Request) -> Result<web_sys::Response, JsValue> {
        let response = match read_request_body(&request).await {
            Ok(request) if request.path == route::LIVE => return self.open_live(),
            Ok(request) => self.handle(&request).await,
            Err(problem) => problem.into(),
        };
        Ok(into_worker_response(response))
    }

    pub async fn alarm(&self) {
        if let Some(bound) = self.parts.bindings() {
            if let Some(logic) = self.parts.logic(&bound) {
                logic.alarm().await;
                self.offer_state(&logic);
            }
        }
    }
}

impl CallObject {
    async fn handle(&self, request: &Request) -> Response {
        let Some(bound) = self.parts.bindings() else {
            return no_storage();
        };
        match self.parts.logic(&bound) {
            Some(logic) => {
                let response = logic.handle(request).await;
                self.offer_state(&logic);
                response
            }
            None => no_storage(),
        }
    }

    /// Sends the call's state to its open streams, if it changed.
    fn offer_state(&self, logic: &CallLogicOf<'_>) {
        if self.parts.live.is_empty() {
            return;
        }
        if let Ok(Some(frame)) = logic.state_frame() {
            self.parts.live.offer(frame);
        }
    }

    /// `GET /calls/{id}/live`, authorised by the Worker: a stream of the call's states
    /// that starts with the current one.
    fn open_live(&self) -> Result<web_sys::Response, JsValue> {
        let answer = |problem: Problem| Ok(into_worker_response(problem.into()));
        let Some(bound) = self.parts.bindings() else {
            return Ok(into_worker_response(no_storage()));
        };
        let Some(logic) = self.parts.logic(&bound) else {
            return Ok(into_worker_response(no_storage()));
        };
        match logic.state_frame() {
            Ok(Some(first)) => match self.parts.live.open(&first)? {
                Ok(stream) => Ok(stream),
                Err(_) => answer(Problem::new(
                    429,
                    "too_many_streams",
                    format!("this call already has {MAX_LIVE_STREAMS} live views open"),
                )),
            },
            Ok(None) => answer(Problem::new(
                404,
                "call_not_found",
                "the call's object holds no event of it: none was accepted, or the call \
                 was archived after its retention (GET /calls/{id} reads the archive)",
            )),
            Err(error) => {
                logic.log_storage_error("live", &error);
                answer(Problem::new(
                    500,
                    "storage_unavailable",
                    "the call's storage could not be read; retry later",
                ))
            }
        }
    }
}

/// The `CALLS` namespace.
pub struct WorkerObjects(pub DurableObjectNamespace);

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
    ) -> Result<web_sys::Response, StoreError> {
        let id = self.0.id_from_name(name).map_err(store_error)?;
        let stub = self.0.get(&id).map_err(store_error)?;
        let headers = Headers::new().map_err(store_error)?;
        for (name, value) in &request.headers {
            headers.set(name, value).map_err(store_error)?;
        }
        let init = RequestInit::new();
        init.set_method(&request.method);
        init.set_headers(&headers);
        if !request.body.is_empty() {
            init.set_body(&Uint8Array::from(request.body.as_slice()));
        }
        // Objects are reached by name, never by URL: the host is a placeholder.
        let url = format!("https://call-object{}", request.path);
        let outgoing = web_sys::Request::new_with_str_and_init(&url, &init).map_err(store_error)?;
        JsFuture::from(stub.fetch_with_request(&outgoing).map_err(store_error)?)
            .await
            .map_err(store_error)?
            .dyn_into()
            .map_err(store_error)
    }
}

impl CallObjects for WorkerObjects {
    async fn request(&self, name: &str, request: Request) -> Result<Response, StoreError> {
        let answer = self.fetch(name, request).await?;
        let answered = answer.headers();
        let headers: Vec<(&'static str, String)> = PASSED_ON
            .iter()
            .filter_map(|name| Some((*name, answered.get(name).ok()??)))
            .collect();
        // A delivery's outcome is all in its headers: its body is not read.
        let body = if answered.has(OUTCOME_HEADER).unwrap_or(false) {
            String::new()
        } else {
            JsFuture::from(answer.text().map_err(store_error)?)
                .await
                .map_err(store_error)?
                .as_string()
                .unwrap_or_default()
        };
        Ok(Response {
            status: answer.status(),
            headers,
            body,
        })
    }
}
