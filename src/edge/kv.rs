//! The KV port over the Workers KV binding, called directly: option objects are built
//! as JavaScript objects, and metadata goes in and comes out as JSON, through the
//! runtime's own `JSON`.

use js_sys::futures::JsFuture;
use js_sys::{Array, Object, Promise, Reflect, JSON};
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

/// Sets a property of an option object.
fn set(object: &Object, name: &str, value: &JsValue) -> Result<(), StoreError> {
    Reflect::set(object, &JsValue::from_str(name), value).map_err(store_error)?;
    Ok(())
}

impl KvStore for WorkerKv {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let value = settle(self.0.get(key, "text")).await?;
        Ok(value.as_string())
    }

    async fn put(&self, key: &str, value: &str, options: PutOptions) -> Result<(), StoreError> {
        let put_options = Object::new();
        set(
            &put_options,
            "expirationTtl",
            &JsValue::from_f64(options.ttl_secs as f64),
        )?;
        if let Some(metadata) = options.metadata {
            let metadata = JSON::parse(&metadata).map_err(store_error)?;
            set(&put_options, "metadata", &metadata)?;
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
        let options = Object::new();
        set(&options, "prefix", &JsValue::from_str(prefix))?;
        set(&options, "limit", &JsValue::from_f64(limit as f64))?;
        if let Some(cursor) = cursor {
            set(&options, "cursor", &JsValue::from_str(&cursor))?;
        }
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
