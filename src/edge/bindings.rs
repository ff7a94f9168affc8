//! What the env binds: the configuration from its vars and secrets, the KV namespace and
//! the objects namespace (each read once per env object), and what an isolate keeps
//! between requests.

use std::cell::{OnceCell, RefCell};
use std::rc::Rc;

use worker::wasm_bindgen::JsValue;
use worker::Env;

use super::kv::WorkerKv;
use super::log::ConsoleLog;
use super::objects::WorkerObjects;
use crate::app::access_keys::AccessKeys;
use crate::domain::config::{Config, ConfigCache};
use crate::ports::{LogLine, Logger};

/// The KV namespace binding named in `wrangler.toml`.
pub(super) const KV_BINDING: &str = "CALL_STATE";
/// The Durable Object namespace binding named in `wrangler.toml`.
pub(super) const OBJECTS_BINDING: &str = "CALLS";

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

/// The KV namespace. `worker` reads a KV binding and each of its five methods from the
/// env, so it is read once per env and kept; a missing one is logged at each request.
pub(super) fn bound_kv(env: &Env) -> Option<WorkerKv> {
    kept(&env_bound(env).kv, || {
        bound(KV_BINDING, env.kv(KV_BINDING)).map(|kv| WorkerKv(Rc::new(kv)))
    })
}

/// The objects namespace, read once per env and kept like the KV namespace.
pub(super) fn bound_objects(env: &Env) -> Option<WorkerObjects> {
    kept(&env_bound(env).objects, || {
        bound(OBJECTS_BINDING, env.durable_object(OBJECTS_BINDING))
            .map(|namespace| WorkerObjects(Rc::new(namespace)))
    })
}

/// What `cell` keeps, else what `read` gives, kept if it gave something.
fn kept<T: Clone>(cell: &OnceCell<T>, read: impl FnOnce() -> Option<T>) -> Option<T> {
    if let Some(value) = cell.get() {
        return Some(value.clone());
    }
    let value = read()?;
    Some(cell.get_or_init(|| value).clone())
}

/// What one env object gave: its configuration, and its bindings once read.
struct EnvBound {
    config: Rc<Config>,
    kv: OnceCell<WorkerKv>,
    objects: OnceCell<WorkerObjects>,
}

/// What a Worker instance keeps between requests (an isolate runs one thread).
#[derive(Default)]
struct Isolate {
    config: RefCell<ConfigCache>,
    /// The envs the configuration was read from, and what each gave.
    read_from: RefCell<Vec<(Env, Rc<EnvBound>)>>,
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
pub(super) fn config(env: &Env) -> Rc<Config> {
    Rc::clone(&env_bound(env).config)
}

/// What `env` gave, read now if it is an env not seen before.
fn env_bound(env: &Env) -> Rc<EnvBound> {
    ISOLATE.with(|isolate| {
        let env_value: &JsValue = env.as_ref();
        let kept = isolate.read_from.borrow().iter().find_map(|(seen, bound)| {
            let seen: &JsValue = seen.as_ref();
            (seen == env_value).then(|| Rc::clone(bound))
        });
        if let Some(bound) = kept {
            return bound;
        }
        let bound = Rc::new(EnvBound {
            config: isolate.config.borrow_mut().get(|name| read_var(env, name)),
            kv: OnceCell::new(),
            objects: OnceCell::new(),
        });
        let mut read_from = isolate.read_from.borrow_mut();
        if read_from.len() == KEPT_ENVS {
            read_from.remove(0);
        }
        read_from.push((env.clone(), Rc::clone(&bound)));
        bound
    })
}

pub(super) fn access_keys() -> Rc<AccessKeys> {
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
