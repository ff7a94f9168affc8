//! A call object's storage port over `worker`'s `Storage` and `SqlStorage`: statements
//! run synchronously, rows are read into derived types, and one alarm.

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use worker::wasm_bindgen::JsValue;
use worker::{SqlCursor, SqlStorage, Storage};

use super::convert::{error_text, store_error};
use crate::ports::{ObjectStorage, SqlParam, StoreError};

/// A call object's storage: its SQLite database and its alarm.
pub struct DurableStorage {
    storage: Storage,
    sql: SqlStorage,
}

impl DurableStorage {
    pub fn new(storage: Storage) -> Self {
        Self {
            sql: storage.sql(),
            storage,
        }
    }

    fn exec(&self, sql: &str, params: &[SqlParam<'_>]) -> Result<SqlCursor, StoreError> {
        // The runtime's values, made straight from the borrowed ones: `SqlStorageValue`
        // would copy each text and ask the runtime whether each integer is safe.
        let bindings = params
            .iter()
            .map(|param| match param {
                SqlParam::Null => JsValue::NULL,
                // Every integer stored is far below 2^53 (times in milliseconds, counts).
                SqlParam::Int(n) => JsValue::from_f64(*n as f64),
                SqlParam::Text(text) => JsValue::from_str(text),
            })
            .collect::<Vec<_>>();
        self.sql.exec_raw(sql, bindings).map_err(store_error)
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
            .map_err(|error| StoreError(format!("unreadable rows: {}", error_text(&error))))
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
