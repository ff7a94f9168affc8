//! The KV port over `worker`'s `KvStore`: values as text, a TTL on every put, and the
//! metadata `list` returns with each key.

use std::rc::Rc;

use worker::kv::{KvError, KvStore};

use super::convert::error_text;
use crate::ports::{KvStore as KvPort, ListPage, ListedKey, PutOptions, StoreError};

#[derive(Clone)]
pub struct WorkerKv(pub Rc<KvStore>);

/// A KV error as the runtime's own message, not as a debug dump of the value thrown.
fn store_error(error: KvError) -> StoreError {
    let error = match error {
        KvError::JavaScript(thrown) => worker::Error::from(thrown),
        other => worker::Error::from(other),
    };
    StoreError(error_text(&error))
}

impl KvPort for WorkerKv {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.0.get(key).text().await.map_err(store_error)
    }

    async fn put(&self, key: &str, value: &str, options: PutOptions) -> Result<(), StoreError> {
        let mut put = self
            .0
            .put(key, value)
            .map_err(store_error)?
            .expiration_ttl(options.ttl_secs);
        if let Some(metadata) = options.metadata {
            put = put.metadata(metadata).map_err(store_error)?;
        }
        put.execute().await.map_err(store_error)
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.0.delete(key).await.map_err(store_error)
    }

    async fn list(
        &self,
        prefix: &str,
        limit: usize,
        cursor: Option<String>,
    ) -> Result<ListPage, StoreError> {
        let mut list = self.0.list().prefix(prefix.to_owned()).limit(limit as u64);
        if let Some(cursor) = cursor {
            list = list.cursor(cursor);
        }
        let page = list.execute().await.map_err(store_error)?;
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
