//! In-memory ports for native tests and benchmarks. The store enforces Workers KV's
//! key, TTL, metadata and page limits and counts writes, so tests can assert that a
//! request stored nothing.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

use super::{kv_limits, KvStore, ListPage, ListedKey, LogLine, Logger, PutOptions, StoreError};
use serde_json::Value;

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StoredValue {
    pub value: String,
    pub metadata: Option<Value>,
    pub expires_at: u64,
}

#[derive(Debug, Default)]
pub struct MemoryKv {
    entries: RefCell<BTreeMap<String, StoredValue>>,
    now_secs: Cell<u64>,
    writes: Cell<usize>,
    reads: Cell<usize>,
    /// `(prefix, puts to let through first, puts to fail)`.
    failing_puts: RefCell<Option<(String, usize, usize)>>,
    list_page_size: Cell<Option<usize>>,
    /// `(lists to let through first, lists to fail)`.
    failing_lists: Cell<(usize, usize)>,
}

impl MemoryKv {
    pub fn new() -> Self {
        Self::default()
    }

    /// The store's clock, for expiry.
    pub fn set_now(&self, unix_secs: u64) {
        self.now_secs.set(unix_secs);
    }

    /// Successful writes so far.
    pub fn writes(&self) -> usize {
        self.writes.get()
    }

    /// Keys read so far (`get`).
    pub fn reads(&self) -> usize {
        self.reads.get()
    }

    /// Makes the next `count` puts (and deletes) of keys starting with `prefix` fail, as KV does
    /// under load or in an outage.
    pub fn fail_puts(&self, prefix: &str, count: usize) {
        self.fail_puts_after(prefix, 0, count);
    }

    /// Like [`Self::fail_puts`], after letting `skip` matching puts succeed.
    pub fn fail_puts_after(&self, prefix: &str, skip: usize, count: usize) {
        *self.failing_puts.borrow_mut() = Some((prefix.to_owned(), skip, count));
    }

    fn injected_failure(&self, key: &str) -> bool {
        let mut failing = self.failing_puts.borrow_mut();
        match failing.as_mut() {
            Some((prefix, skip, count)) if key.starts_with(prefix.as_str()) => {
                if *skip > 0 {
                    *skip -= 1;
                    false
                } else if *count > 0 {
                    *count -= 1;
                    true
                } else {
                    false
                }
            }
            _ => false,
        }
    }

    /// Makes `count` lists fail after letting `skip` succeed.
    pub fn fail_lists_after(&self, skip: usize, count: usize) {
        self.failing_lists.set((skip, count));
    }

    /// Smaller list pages, to exercise cursors without a thousand keys.
    pub fn set_list_page_size(&self, size: usize) {
        self.list_page_size.set(Some(size));
    }

    /// Every entry, expired or not.
    pub fn entries(&self) -> BTreeMap<String, StoredValue> {
        self.entries.borrow().clone()
    }

    /// Puts an entry back as it was stored (a fixture), without counting a write.
    pub fn restore(&self, key: &str, value: StoredValue) {
        self.entries.borrow_mut().insert(key.to_owned(), value);
    }

    pub fn keys(&self) -> Vec<String> {
        self.live().into_keys().collect()
    }

    pub fn entry(&self, key: &str) -> Option<StoredValue> {
        let now = self.now_secs.get();
        let entries = self.entries.borrow();
        entries.get(key).filter(|v| v.expires_at > now).cloned()
    }

    fn live(&self) -> BTreeMap<String, StoredValue> {
        let now = self.now_secs.get();
        self.entries
            .borrow()
            .iter()
            .filter(|(_, v)| v.expires_at > now)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

fn check_key(key: &str) -> Result<(), StoreError> {
    if key.is_empty() || key == "." || key == ".." || key.len() > kv_limits::MAX_KEY_BYTES {
        return Err(StoreError(format!("invalid KV key of {} bytes", key.len())));
    }
    Ok(())
}

impl KvStore for MemoryKv {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        check_key(key)?;
        self.reads.set(self.reads.get() + 1);
        Ok(self.entry(key).map(|v| v.value))
    }

    async fn put(&self, key: &str, value: &str, options: PutOptions) -> Result<(), StoreError> {
        check_key(key)?;
        if options.ttl_secs < kv_limits::MIN_TTL_SECS {
            return Err(StoreError(format!(
                "TTL {} below KV's minimum",
                options.ttl_secs
            )));
        }
        if let Some(metadata) = &options.metadata {
            let bytes = metadata.to_string().len();
            if bytes > kv_limits::MAX_METADATA_BYTES {
                return Err(StoreError(format!("metadata of {bytes} bytes")));
            }
        }
        let metadata = options.metadata;
        if self.injected_failure(key) {
            return Err(StoreError("injected KV write failure".into()));
        }
        self.entries.borrow_mut().insert(
            key.to_owned(),
            StoredValue {
                value: value.to_owned(),
                metadata,
                expires_at: self.now_secs.get() + options.ttl_secs,
            },
        );
        self.writes.set(self.writes.get() + 1);
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        check_key(key)?;
        if self.injected_failure(key) {
            return Err(StoreError("injected KV write failure".into()));
        }
        if self.entries.borrow_mut().remove(key).is_some() {
            self.writes.set(self.writes.get() + 1);
        }
        Ok(())
    }

    async fn list(
        &self,
        prefix: &str,
        limit: usize,
        cursor: Option<String>,
    ) -> Result<ListPage, StoreError> {
        if limit == 0 || limit > kv_limits::MAX_LIST_PAGE {
            return Err(StoreError(format!("list of {limit} keys")));
        }
        match self.failing_lists.get() {
            (0, 0) => {}
            (0, count) => {
                self.failing_lists.set((0, count - 1));
                return Err(StoreError("injected list failure".into()));
            }
            (skip, count) => self.failing_lists.set((skip - 1, count)),
        }
        let page_size = self.list_page_size.get().unwrap_or(limit).min(limit);
        let mut matching = self
            .live()
            .into_iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .filter(|(k, _)| cursor.as_ref().is_none_or(|after| k > after))
            .map(|(name, v)| ListedKey {
                name,
                metadata: v.metadata,
            })
            .collect::<Vec<_>>();
        let more = matching.len() > page_size;
        matching.truncate(page_size);
        let cursor = more
            .then(|| matching.last().map(|k| k.name.clone()))
            .flatten();
        Ok(ListPage {
            keys: matching,
            cursor,
        })
    }
}

/// Collects log lines for assertions.
#[derive(Debug, Default)]
pub struct MemoryLog {
    lines: RefCell<Vec<LogLine>>,
}

impl MemoryLog {
    pub fn lines(&self) -> Vec<LogLine> {
        self.lines.borrow().clone()
    }

    /// Every line as the JSON the edge would print.
    pub fn text(&self) -> String {
        self.lines
            .borrow()
            .iter()
            .filter_map(|line| serde_json::to_string(line).ok())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Logger for MemoryLog {
    fn log(&self, line: LogLine) {
        self.lines.borrow_mut().push(line);
    }
}

/// A clock that only moves when told to or when slept on, so retry waits take no real
/// time in tests and can be asserted exactly.
#[derive(Debug, Default)]
pub struct ManualClock {
    now_millis: Cell<i64>,
    sleeps: RefCell<Vec<u64>>,
}

impl ManualClock {
    pub fn at(unix_millis: i64) -> Self {
        let clock = Self::default();
        clock.now_millis.set(unix_millis);
        clock
    }

    pub fn advance(&self, millis: u64) {
        self.now_millis
            .set(self.now_millis.get().saturating_add(millis as i64));
    }

    /// Every wait so far, in order.
    pub fn sleeps(&self) -> Vec<u64> {
        self.sleeps.borrow().clone()
    }
}

impl super::Clock for ManualClock {
    fn now_millis(&self) -> i64 {
        self.now_millis.get()
    }

    async fn sleep(&self, millis: u64) {
        self.sleeps.borrow_mut().push(millis);
        self.advance(millis);
    }
}
