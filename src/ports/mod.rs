//! What the core needs from the outside world, as small traits. The edge implements
//! them over Workers KV, the call object's SQLite storage and alarm, the `CALLS`
//! namespace, `fetch` and `console.log`; tests use in-memory versions ([`memory`]) and
//! real SQLite.

pub mod http;
pub mod memory;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use http::{Request, Response};

/// The ports one runtime wires together, named once: the Worker's (`edge`) or the
/// tests' (in-memory KV, real SQLite, a fake Telnyx). The Worker's pipeline
/// ([`crate::app::App`]) and the call's object ([`crate::app::object::CallObject`]) are
/// generic over one of these rather than over each port.
pub trait Ports {
    type Kv: KvStore;
    type Objects: CallObjects;
    type Storage: ObjectStorage;
    type Log: Logger;
    type Clock: Clock;
    type Http: HttpClient;
    type Rs256: Rs256;
}

/// Workers KV limits that every implementation enforces, so tests catch violations.
pub mod kv_limits {
    pub const MAX_KEY_BYTES: usize = 512;
    pub const MAX_METADATA_BYTES: usize = 1024;
    pub const MIN_TTL_SECS: u64 = 60;
    pub const MAX_LIST_PAGE: usize = 1000;
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreError(pub String);

impl StoreError {
    /// A value that could not be written as JSON. None of this worker's can fail: their
    /// map keys are strings.
    pub fn unwritable(what: &str) -> Self {
        Self(format!("{what}: not serialisable"))
    }
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct PutOptions {
    pub ttl_secs: u64,
    /// Returned by `list` with the key, so small records can be read without a `get`
    /// each; at most `kv_limits::MAX_METADATA_BYTES` as JSON.
    pub metadata: Option<Value>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ListedKey {
    pub name: String,
    pub metadata: Option<Value>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ListPage {
    pub keys: Vec<ListedKey>,
    /// Present when more keys follow.
    pub cursor: Option<String>,
}

/// An eventually consistent key-value store with Workers KV's semantics.
#[allow(async_fn_in_trait)] // single-threaded runtime: no Send bound wanted
pub trait KvStore {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError>;
    async fn put(&self, key: &str, value: &str, options: PutOptions) -> Result<(), StoreError>;
    /// Removes a key; removing a missing key is not an error.
    async fn delete(&self, key: &str) -> Result<(), StoreError>;
    /// One page of at most `limit` (≤ `kv_limits::MAX_LIST_PAGE`) keys starting with
    /// `prefix`, in key order, from where `cursor` left off.
    async fn list(
        &self,
        prefix: &str,
        limit: usize,
        cursor: Option<String>,
    ) -> Result<ListPage, StoreError>;
}

/// A value bound to a `?` placeholder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SqlParam<'a> {
    Null,
    Int(i64),
    Text(&'a str),
}

impl<'a> From<&'a str> for SqlParam<'a> {
    fn from(text: &'a str) -> Self {
        SqlParam::Text(text)
    }
}

impl From<i64> for SqlParam<'_> {
    fn from(n: i64) -> Self {
        SqlParam::Int(n)
    }
}

impl<'a, T: Into<SqlParam<'a>>> From<Option<T>> for SqlParam<'a> {
    fn from(value: Option<T>) -> Self {
        value.map_or(SqlParam::Null, Into::into)
    }
}

/// Reads an SQLite integer column that holds a flag (SQLite has no boolean): non-zero
/// is `true`.
pub fn sql_flag<'de, D: serde::Deserializer<'de>>(column: D) -> Result<bool, D::Error> {
    Ok(i64::deserialize(column)? != 0)
}

/// A call object's own storage: a SQLite database and one alarm. Statements run
/// synchronously, and the writes made with no `await` between them commit together;
/// the runtime holds the object's answer until they are durable.
#[allow(async_fn_in_trait)]
pub trait ObjectStorage {
    /// Runs one statement and returns the rows it wrote.
    fn execute(&self, sql: &str, params: &[SqlParam<'_>]) -> Result<u64, StoreError>;
    /// Runs several statements separated by `;`, with no parameters (the schema).
    fn execute_script(&self, sql: &str) -> Result<(), StoreError>;
    /// Runs one query; each row is read into a `T` by its column names (integers are
    /// numbers, text strings, `NULL` is `None`).
    fn query<T: DeserializeOwned>(
        &self,
        sql: &str,
        params: &[SqlParam<'_>],
    ) -> Result<Vec<T>, StoreError>;
    /// When the alarm is set for, in Unix milliseconds.
    async fn get_alarm(&self) -> Result<Option<i64>, StoreError>;
    /// Sets (or moves) the one alarm; the runtime calls the object's `alarm` then.
    async fn set_alarm(&self, at_millis: i64) -> Result<(), StoreError>;
    /// Removes every table. Called from the alarm handler, whose alarm is spent when it
    /// returns without setting another.
    async fn delete_all(&self) -> Result<(), StoreError>;
}

/// The Worker's way to the call objects (the `CALLS` namespace): one object per name,
/// created on first use, which handles its requests one at a time.
#[allow(async_fn_in_trait)]
pub trait CallObjects {
    async fn request(&self, name: &str, request: Request) -> Result<Response, StoreError>;
}

/// One structured log line. Never carries a secret, a signature or a whole body.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LogLine {
    pub level: &'static str,
    pub msg: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_control_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The operator who asked for what the line is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

pub trait Logger {
    fn log(&self, line: LogLine);
}

/// An outgoing HTTP request (to the Call Control API).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpRequest {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

/// The first value of a header, its name matched case-insensitively.
pub fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

/// Why no response arrived.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HttpError {
    /// No response within the attempt's timeout; the request was abandoned.
    Timeout,
    /// The connection failed before the request was sent (refused, DNS), so the other
    /// side never saw it.
    Unreached(String),
    /// The connection failed with the request possibly out (reset, lost).
    Network(String),
}

/// Sends one request and waits at most `timeout_ms` for the whole response.
#[allow(async_fn_in_trait)]
pub trait HttpClient {
    async fn send(&self, request: &HttpRequest, timeout_ms: u64)
        -> Result<HttpResponse, HttpError>;
}

/// RS256 (RSASSA-PKCS1-v1_5 with SHA-256) signature checks against a JSON Web Key:
/// the runtime's WebCrypto at the edge, a crate in native tests.
#[allow(async_fn_in_trait)]
pub trait Rs256 {
    /// Whether `signature` is the key's over `message`; `Err` when the key is unusable.
    async fn verify(
        &self,
        key: &crate::domain::access::Jwk,
        message: &[u8],
        signature: &[u8],
    ) -> Result<bool, String>;
}

/// Wall-clock time and waiting, from the runtime (`Date.now`, `setTimeout`).
#[allow(async_fn_in_trait)]
pub trait Clock {
    fn now_millis(&self) -> i64;
    async fn sleep(&self, millis: u64);
}
