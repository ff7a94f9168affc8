//! The call object's storage port over real SQLite (rusqlite, bundled), so the exact
//! statements the object runs under workerd run here too. It counts what Cloudflare
//! bills for: rows written (each `setAlarm` counts as one) and rows read.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use rusqlite::limits::Limit;
use rusqlite::types::ValueRef;
use rusqlite::Connection;
use serde::de::DeserializeOwned;
use serde_json::{Map, Number, Value};
use telnyx_edge::ports::{ObjectStorage, SqlParam, StoreError};

/// The most terms a compound `SELECT` (`UNION ALL`) may have in a Durable Object's
/// SQLite: more fail with "too many terms in compound SELECT".
const RUNTIME_COMPOUND_SELECT: i32 = 5;

/// What one object's storage did, for the cost figures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StorageCounts {
    pub rows_written: u64,
    /// Rows the queries returned: a lower bound of what SQLite scanned.
    pub rows_read: u64,
    pub alarm_sets: u64,
}

pub struct SqliteStorage {
    connection: RefCell<Connection>,
    alarm: Cell<Option<i64>>,
    /// Bumped by every `set_alarm`, so a handler that sets the same time again is seen.
    alarm_sets: Cell<u64>,
    counts: Cell<StorageCounts>,
    /// Statements containing this text fail, as storage does in an outage.
    failing: RefCell<Option<String>>,
    /// How many times each statement ran: the distinct statements are few, the runs
    /// many.
    statements: RefCell<BTreeMap<String, usize>>,
    /// How many rows each query returned, in all its runs.
    returned: RefCell<BTreeMap<String, u64>>,
}

/// The sum of the counts kept for the statements that contain `text`.
fn sum_containing<T: Copy + std::iter::Sum>(counts: &BTreeMap<String, T>, text: &str) -> T {
    counts
        .iter()
        .filter(|(sql, _)| sql.contains(text))
        .map(|(_, count)| *count)
        .sum()
}

fn error(e: rusqlite::Error) -> StoreError {
    StoreError(format!("sqlite: {e}"))
}

fn bind(params: &[SqlParam<'_>]) -> Vec<rusqlite::types::Value> {
    params
        .iter()
        .map(|param| match param {
            SqlParam::Null => rusqlite::types::Value::Null,
            SqlParam::Int(n) => rusqlite::types::Value::Integer(*n),
            SqlParam::Text(text) => rusqlite::types::Value::Text((*text).to_owned()),
        })
        .collect()
}

/// A column as the runtime's SQL cursor gives it.
fn json_of(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(n) => Value::Number(n.into()),
        ValueRef::Real(x) => Number::from_f64(x).map_or(Value::Null, Value::Number),
        ValueRef::Text(text) => Value::String(String::from_utf8_lossy(text).into_owned()),
        ValueRef::Blob(_) => Value::Null,
    }
}

impl Default for SqliteStorage {
    fn default() -> Self {
        Self::new()
    }
}

impl SqliteStorage {
    pub fn new() -> Self {
        let connection = Connection::open_in_memory().expect("in-memory SQLite");
        // The runtime's own limit: a statement of more terms fails there.
        connection
            .set_limit(Limit::SQLITE_LIMIT_COMPOUND_SELECT, RUNTIME_COMPOUND_SELECT)
            .expect("the runtime's limit");
        Self {
            connection: RefCell::new(connection),
            alarm: Cell::new(None),
            alarm_sets: Cell::new(0),
            counts: Cell::new(StorageCounts::default()),
            failing: RefCell::new(None),
            statements: RefCell::new(BTreeMap::new()),
            returned: RefCell::new(BTreeMap::new()),
        }
    }

    pub fn alarm(&self) -> Option<i64> {
        self.alarm.get()
    }

    /// How many times the alarm was set so far.
    pub fn alarm_generation(&self) -> u64 {
        self.alarm_sets.get()
    }

    /// The runtime spends an alarm once its handler ran, unless the handler set it again.
    pub fn clear_alarm(&self) {
        self.alarm.set(None);
    }

    pub fn counts(&self) -> StorageCounts {
        self.counts.get()
    }

    /// How many statements run so far contain `text`.
    pub fn statements_containing(&self, text: &str) -> usize {
        sum_containing(&self.statements.borrow(), text)
    }

    /// How many rows the queries run so far that contain `text` returned.
    pub fn rows_returned_by(&self, text: &str) -> u64 {
        sum_containing(&self.returned.borrow(), text)
    }

    /// A statement run so far that contains `text`.
    pub fn statement_containing(&self, text: &str) -> Option<String> {
        let statements = self.statements.borrow();
        statements.keys().find(|sql| sql.contains(text)).cloned()
    }

    /// What SQLite's `EXPLAIN QUERY PLAN` says it does for `sql`, a line per step.
    pub fn query_plan(&self, sql: &str) -> Vec<String> {
        let connection = self.connection.borrow();
        let mut statement = connection
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .expect("a statement to explain");
        let steps = statement
            .query_map([], |row| row.get::<_, String>(3))
            .expect("its plan");
        steps.filter_map(Result::ok).collect()
    }

    /// Makes every statement containing `text` fail until [`Self::heal`].
    pub fn fail_statements(&self, text: &str) {
        *self.failing.borrow_mut() = Some(text.to_owned());
    }

    pub fn heal(&self) {
        *self.failing.borrow_mut() = None;
    }

    /// The names of the tables the object created.
    pub fn tables(&self) -> Vec<String> {
        let connection = self.connection.borrow();
        let mut statement = connection
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .expect("sqlite_master");
        let names = statement
            .query_map([], |row| row.get::<_, String>(0))
            .expect("tables");
        names.filter_map(Result::ok).collect()
    }

    /// Every value stored in every table, as text: for checks that a secret is not kept.
    pub fn dump(&self) -> String {
        let connection = self.connection.borrow();
        let mut text = String::new();
        for table in self.tables() {
            let mut statement = connection
                .prepare(&format!("SELECT * FROM {table}"))
                .expect("a table");
            let columns = statement.column_count();
            let mut rows = statement.query([]).expect("rows");
            while let Ok(Some(row)) = rows.next() {
                for column in 0..columns {
                    if let Ok(value) = row.get::<_, rusqlite::types::Value>(column) {
                        text.push_str(&format!("{value:?}\n"));
                    }
                }
            }
        }
        text
    }

    /// Every table as its `CREATE` statement and its rows (columns by name), and the
    /// alarm: what a stored object is, for fixtures that later versions must read.
    pub fn export(&self) -> Value {
        let connection = self.connection.borrow();
        let mut statement = connection
            .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .expect("sqlite_master");
        let tables: Vec<(String, String)> = statement
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .expect("tables")
            .filter_map(Result::ok)
            .collect();
        let mut exported = Vec::new();
        for (name, sql) in tables {
            let mut statement = connection
                .prepare(&format!("SELECT * FROM {name}"))
                .expect("a table");
            let columns: Vec<String> = statement.column_names().map(str::to_owned).collect();
            let mut rows = statement.query([]).expect("rows");
            let mut values = Vec::new();
            while let Ok(Some(row)) = rows.next() {
                let mut object = Map::new();
                for (index, column) in columns.iter().enumerate() {
                    object.insert(
                        column.clone(),
                        json_of(row.get_ref(index).expect("a column")),
                    );
                }
                values.push(Value::Object(object));
            }
            exported.push(serde_json::json!({"name": name, "sql": sql, "rows": values}));
        }
        serde_json::json!({"alarm": self.alarm.get(), "tables": exported})
    }

    /// An object's storage as [`Self::export`] wrote it.
    pub fn import(exported: &Value) -> Self {
        let storage = Self::new();
        {
            let connection = storage.connection.borrow();
            for table in exported["tables"].as_array().expect("tables") {
                connection
                    .execute_batch(table["sql"].as_str().expect("sql"))
                    .expect("the table is created");
                let name = table["name"].as_str().expect("name");
                for row in table["rows"].as_array().expect("rows") {
                    let row = row.as_object().expect("a row");
                    let columns: Vec<&str> = row.keys().map(String::as_str).collect();
                    let values: Vec<rusqlite::types::Value> = row
                        .values()
                        .map(|value| match value {
                            Value::Null => rusqlite::types::Value::Null,
                            Value::Number(n) => {
                                rusqlite::types::Value::Integer(n.as_i64().expect("an integer"))
                            }
                            Value::String(text) => rusqlite::types::Value::Text(text.clone()),
                            other => panic!("a column holds {other}"),
                        })
                        .collect();
                    let placeholders = vec!["?"; columns.len()].join(", ");
                    connection
                        .execute(
                            &format!(
                                "INSERT INTO {name} ({}) VALUES ({placeholders})",
                                columns.join(", ")
                            ),
                            rusqlite::params_from_iter(values),
                        )
                        .expect("the row is stored");
                }
            }
        }
        storage.alarm.set(exported["alarm"].as_i64());
        storage
    }

    fn count(&self, change: impl FnOnce(&mut StorageCounts)) {
        let mut counts = self.counts.get();
        change(&mut counts);
        self.counts.set(counts);
    }

    fn check(&self, sql: &str) -> Result<(), StoreError> {
        let mut statements = self.statements.borrow_mut();
        match statements.get_mut(sql) {
            Some(runs) => *runs += 1,
            None => {
                statements.insert(sql.to_owned(), 1);
            }
        }
        match self.failing.borrow().as_deref() {
            Some(text) if sql.contains(text) => Err(StoreError("injected storage failure".into())),
            _ => Ok(()),
        }
    }
}

impl ObjectStorage for SqliteStorage {
    fn execute(&self, sql: &str, params: &[SqlParam<'_>]) -> Result<u64, StoreError> {
        self.check(sql)?;
        let connection = self.connection.borrow();
        let before = connection.total_changes();
        connection
            .execute(sql, rusqlite::params_from_iter(bind(params)))
            .map_err(error)?;
        let written = connection.total_changes() - before;
        self.count(|c| c.rows_written += written);
        Ok(written)
    }

    fn execute_script(&self, sql: &str) -> Result<(), StoreError> {
        self.check(sql)?;
        let connection = self.connection.borrow();
        let before = connection.total_changes();
        connection.execute_batch(sql).map_err(error)?;
        let written = connection.total_changes() - before;
        self.count(|c| c.rows_written += written);
        Ok(())
    }

    fn query<T: DeserializeOwned>(
        &self,
        sql: &str,
        params: &[SqlParam<'_>],
    ) -> Result<Vec<T>, StoreError> {
        self.check(sql)?;
        let connection = self.connection.borrow();
        // A query may write too (`INSERT … RETURNING`).
        let before = connection.total_changes();
        let mut statement = connection.prepare(sql).map_err(error)?;
        let names: Vec<String> = statement.column_names().map(str::to_owned).collect();
        let mut rows = statement
            .query(rusqlite::params_from_iter(bind(params)))
            .map_err(error)?;
        let mut objects = Vec::new();
        while let Some(row) = rows.next().map_err(error)? {
            let mut object = Map::new();
            for (index, name) in names.iter().enumerate() {
                object.insert(name.clone(), json_of(row.get_ref(index).map_err(error)?));
            }
            let read = T::deserialize(Value::Object(object))
                .map_err(|e| StoreError(format!("unreadable row: {e}")))?;
            objects.push(read);
        }
        drop(rows);
        drop(statement);
        let written = connection.total_changes() - before;
        let read = objects.len() as u64;
        *self
            .returned
            .borrow_mut()
            .entry(sql.to_owned())
            .or_default() += read;
        self.count(|c| {
            c.rows_written += written;
            c.rows_read += read;
        });
        Ok(objects)
    }

    async fn get_alarm(&self) -> Result<Option<i64>, StoreError> {
        Ok(self.alarm.get())
    }

    async fn set_alarm(&self, at_millis: i64) -> Result<(), StoreError> {
        self.check("setAlarm")?;
        self.alarm.set(Some(at_millis));
        self.alarm_sets.set(self.alarm_sets.get() + 1);
        self.count(|c| {
            c.alarm_sets += 1;
            c.rows_written += 1;
        });
        Ok(())
    }

    async fn delete_all(&self) -> Result<(), StoreError> {
        self.alarm.set(None);
        let connection = Connection::open_in_memory().map_err(error)?;
        *self.connection.borrow_mut() = connection;
        Ok(())
    }
}
