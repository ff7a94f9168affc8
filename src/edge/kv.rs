//! The KV port over the Workers KV binding, called directly: option objects go in as
//! JSON and metadata comes out as JSON, through the runtime's own `JSON`.

use js_sys::futures::JsFuture;
use js_sys::{Array, Promise, Reflect, JSON};
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;

use super::js_error_text;
use crate::ports::{KvStore, ListPage, ListedKey, PutOptions, StoreError};

#[wasm_bindgen]
extern "C" {
    /// A KV namespace binding (`env.CALL_STATE`).
    pub type KvNamespace;

    /// `get(key, type)`: a string or null.
    #[wasm_bindgen(method, catch)]
    fn get(this: &KvNamespace, key: &str, value_type: &str) -> Result<Promise, JsValue>;

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

impl KvStore for WorkerKv {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let value = settle(self.0.get(key, "text")).await?;
        Ok(value.as_string())
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

    async fn list(
        &self,
        prefix: &str,
        limit: usize,
        cursor: Option<String>,
    ) -> Result<ListPage, StoreError> {
        let mut options = json!({ "prefix": prefix, "limit": limit });
        if let Some(cursor) = cursor {
            options["cursor"] = cursor.into();
        }
        let options = js_object(&options)?;
        let page = settle(self.0.list(&options)).await?;
        let field = |object: &JsValue, name: &str| {
            Reflect::get(object, &JsValue::from_str(name)).map_err(store_error)
        };
        let mut keys = Vec::new();
        for key in Array::from(&field(&page, "keys")?).iter() {
            let metadata = field(&key, "metadata")?;
            keys.push(ListedKey {
                name: field(&key, "name")?.as_string().unwrap_or_default(),
                // The metadata as the JSON text it was written as.
                metadata: if metadata.is_object() {
                    JSON::stringify(&metadata).map_err(store_error)?.as_string()
                } else {
                    None
                },
            });
        }
        let complete = field(&page, "list_complete")?.is_truthy();
        Ok(ListPage {
            keys,
            cursor: if complete {
                None
            } else {
                field(&page, "cursor")?.as_string()
            },
        })
    }
}
