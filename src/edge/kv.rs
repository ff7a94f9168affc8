//! The KV port over the Workers KV binding, called directly: option objects go in and
//! list pages come out as JSON, through the runtime's own `JSON`.

use js_sys::futures::JsFuture;
use js_sys::{Array, Map, Promise, Reflect, JSON};
use serde::Deserialize;
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;

use super::js_error_text;
use crate::ports::{KvStore, ListPage, ListedKey, PutOptions, StoreError};

#[wasm_bindgen]
extern "C" {
    /// A KV namespace binding (`env.CALL_STATE`).
    pub type KvNamespace;

    /// `get(key | keys[], type)`: a string or null; a `Map` for several keys.
    #[wasm_bindgen(method, catch)]
    fn get(this: &KvNamespace, keys: &JsValue, value_type: &str) -> Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch)]
    fn put(
        this: &KvNamespace,
        key: &str,
        value: &str,
        options: &JsValue,
    ) -> Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch)]
    fn delete(this: &KvNamespace, key: &str) -> Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch)]
    fn list(this: &KvNamespace, options: &JsValue) -> Result<Promise, JsValue>;
}

pub struct WorkerKv(pub KvNamespace);

fn store_error(error: JsValue) -> StoreError {
    StoreError(js_error_text(&error))
}

/// Awaits a KV call's promise.
async fn settle(call: Result<Promise, JsValue>) -> Result<JsValue, StoreError> {
    JsFuture::from(call.map_err(store_error)?)
        .await
        .map_err(store_error)
}

/// A JavaScript object from JSON, parsed by the runtime.
fn js_object(value: &Value) -> Result<JsValue, StoreError> {
    JSON::parse(&value.to_string()).map_err(store_error)
}

/// One page of `list()`, read back through `JSON.stringify`.
#[derive(Deserialize)]
struct ListResult {
    keys: Vec<ListResultKey>,
    list_complete: bool,
    #[serde(default)]
    cursor: Option<String>,
}

#[derive(Deserialize)]
struct ListResultKey {
    name: String,
    #[serde(default)]
    metadata: Option<Value>,
}

impl KvStore for WorkerKv {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let value = settle(self.0.get(&JsValue::from_str(key), "text")).await?;
        Ok(value.as_string())
    }

    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<String>>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let names: Array = keys.iter().map(|key| JsValue::from_str(key)).collect();
        let values: Map = settle(self.0.get(&names, "text")).await?.unchecked_into();
        Ok(keys
            .iter()
            .map(|key| values.get(&JsValue::from_str(key)).as_string())
            .collect())
    }

    async fn put(&self, key: &str, value: &str, options: PutOptions) -> Result<(), StoreError> {
        let put_options = js_object(&json!({ "expirationTtl": options.ttl_secs }))?;
        if let Some(metadata) = options.metadata {
            let metadata = JSON::parse(&metadata).map_err(store_error)?;
            Reflect::set(&put_options, &JsValue::from_str("metadata"), &metadata)
                .map_err(store_error)?;
        }
        settle(self.0.put(key, value, &put_options)).await?;
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        settle(self.0.delete(key)).await?;
        Ok(())
    }

    async fn list(&self, prefix: &str, cursor: Option<String>) -> Result<ListPage, StoreError> {
        let mut options = json!({ "prefix": prefix });
        if let Some(cursor) = cursor {
            options["cursor"] = cursor.into();
        }
        let options = js_object(&options)?;
        let page = settle(self.0.list(&options)).await?;
        let text = JSON::stringify(&page)
            .map_err(store_error)?
            .as_string()
            .unwrap_or_default();
        let page: ListResult = serde_json::from_slice(text.as_bytes())
            .map_err(|e| StoreError(format!("unreadable list page: {e}")))?;
        Ok(ListPage {
            keys: page
                .keys
                .into_iter()
                .map(|key| ListedKey {
                    name: key.name,
                    metadata: key.metadata,
                })
                .collect(),
            cursor: if page.list_complete {
                None
            } else {
                page.cursor
            },
        })
    }
}
