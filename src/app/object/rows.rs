//! The statements' common ground: [`Store`], the object's storage as the statements
//! see it, the one-column rows most queries read, and how times are written. The other
//! row modules ([`super::store`], [`super::forward_rows`], [`super::leg_rows`]) build on
//! it; it knows none of them but [`super::tables`].

use std::cell::Cell;

use serde::de::IgnoredAny;
use serde::Deserialize;

use super::tables::{Table, Tables};
use crate::domain::time::Instant;
use crate::ports::{ObjectStorage, SqlParam, StoreError};

/// The statements, over one object's storage and the tables it has made.
pub struct Store<'a, S>(pub &'a S, pub &'a Cell<Tables>);

/// A time in Unix milliseconds as the rows and the call state write it.
pub fn rfc3339(millis: i64) -> String {
    Instant::from_unix_millis(millis).to_rfc3339()
}

/// When an event was accepted (Unix ms), and its type: what the dashboard counts of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arrival {
    pub accepted_at: i64,
    pub event_type: String,
}

/// The one column `n` of a query: a count, a time, or `NULL`.
#[derive(Deserialize)]
pub(super) struct Number {
    pub n: Option<i64>,
}

/// The one column `text` of a query.
#[derive(Deserialize)]
pub(super) struct Text {
    pub text: Option<String>,
}

impl<S: ObjectStorage> Store<'_, S> {
    /// Whether a query finds a row.
    pub(super) fn exists(&self, sql: &str) -> Result<bool, StoreError> {
        Ok(!self.0.query::<IgnoredAny>(sql, &[])?.is_empty())
    }

    /// The column `n` of the first row, when a number.
    pub(super) fn number(
        &self,
        sql: &str,
        params: &[SqlParam<'_>],
    ) -> Result<Option<i64>, StoreError> {
        let rows = self.0.query::<Number>(sql, params)?;
        Ok(rows.into_iter().next().and_then(|row| row.n))
    }

    /// The column `text` of the first row, when text.
    pub(super) fn text(
        &self,
        sql: &str,
        params: &[SqlParam<'_>],
    ) -> Result<Option<String>, StoreError> {
        let rows = self.0.query::<Text>(sql, params)?;
        Ok(rows.into_iter().next().and_then(|row| row.text))
    }
}

/// The tables a call makes as it first writes to each.
impl<S: ObjectStorage> Store<'_, S> {
    /// Whether the object has made `table`.
    pub(super) fn has(&self, table: Table) -> bool {
        self.1.get().has(table)
    }

    /// `sql` when the object has `table`, else `empty`: what reading it would give.
    pub(super) fn or_empty<'s>(&self, table: Table, sql: &'s str, empty: &'s str) -> &'s str {
        if self.has(table) {
            sql
        } else {
            empty
        }
    }

    /// Makes `table` before the first write to it.
    pub(super) fn make(&self, table: Table) -> Result<(), StoreError> {
        if !self.has(table) {
            self.0.execute_script(table.schema())?;
            self.1.set(self.1.get().with(table));
        }
        Ok(())
    }
}
