//! The KV port over Workers KV.

use crate::ports::{KvStore, ListPage, ListedKey, PutOptions, StoreError};

pub struct WorkerKv(pub worker::kv::KvStore);

fn store_error(error: worker::kv::KvError) -> StoreError {
    StoreError(error.to_string())
}

impl KvStore for WorkerKv {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.0.get(key).text().await.map_err(store_error)
    }

    async fn get_many(&self, keys: &[String]) -> Result<Vec<Option<String>>, StoreError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut values = self.0.get_bulk(keys).text().await.map_err(store_error)?;
        Ok(keys
            .iter()
            .map(|key| values.remove(key).flatten())
            .collect())
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

    async fn list(&self, prefix: &str, cursor: Option<String>) -> Result<ListPage, StoreError> {
        let mut list = self.0.list().prefix(prefix.to_owned());
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
