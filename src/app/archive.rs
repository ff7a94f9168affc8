//! What KV keeps, written a few times per call and never on a webhook's way to its
//! answer:
//!
//! - `index:{inverted start}:{call_control_id}`: one entry per call, so a `list` gives
//!   calls newest first with no read of the calls; the entry's metadata is its
//!   [`IndexEntry`]. The Worker writes it after its answer to the call's first event;
//!   the call's object rewrites it after each later change of status (at most once a
//!   second, KV's limit for one key) and once more when it archives the call.
//! - `call:{call_control_id}`: the archived call state, written once the call has hung
//!   up and settled (or when its object's retention ends), and read when the object no
//!   longer has the call.
//! - `event:{event_id}`: the body of an event that belongs to no call.
//!
//! Ids are restricted to letters, digits and `- . _ ~ :` before they get here, and the
//! inverted start holds no `:`, so no key can be read as another.

use serde::{Deserialize, Serialize};

use crate::domain::call_state::CallState;
use crate::domain::call_status::CallStatus;
use crate::domain::time::Instant;
use crate::ports::{kv_limits, KvStore, PutOptions, StoreError};

/// How long the index entry and the archive of a call are kept.
pub const ARCHIVE_TTL_SECS: u64 = 30 * 24 * 60 * 60;
/// How long the body of an event that belongs to no call is kept.
pub const LOOSE_EVENT_TTL_SECS: u64 = 7 * 24 * 60 * 60;

pub const INDEX_PREFIX: &str = "index:";
const ARCHIVE_PREFIX: &str = "call:";
const LOOSE_PREFIX: &str = "event:";

/// Start times are subtracted from this, so keys sort newest first (until the year 2286).
const INVERSION_BASE: i64 = 9_999_999_999_999;

/// What the index says about a call without reading it: a row of `GET /calls`, as of
/// the call's last change of status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexEntry {
    pub call_control_id: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub status: CallStatus,
    pub started_at: String,
    pub updated_at: Option<String>,
}

impl IndexEntry {
    /// The entry of a call whose first event was accepted at `started_ms`.
    pub fn of(state: &CallState, started_ms: i64) -> Self {
        Self {
            call_control_id: state.call_control_id.clone(),
            from: state.from.clone(),
            to: state.to.clone(),
            status: state.status,
            started_at: Instant::from_unix_millis(started_ms).to_rfc3339(),
            updated_at: state.updated_at.clone(),
        }
    }
}

pub fn index_key(started_ms: i64, call_control_id: &str) -> String {
    format!(
        "{INDEX_PREFIX}{:013}:{call_control_id}",
        INVERSION_BASE.saturating_sub(started_ms).max(0)
    )
}

pub fn archive_key(call_control_id: &str) -> String {
    format!("{ARCHIVE_PREFIX}{call_control_id}")
}

pub fn loose_event_key(event_id: &str) -> String {
    format!("{LOOSE_PREFIX}{event_id}")
}

fn json<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|_| StoreError::unwritable("record"))
}

fn metadata(entry: &IndexEntry) -> Result<serde_json::Value, StoreError> {
    serde_json::to_value(entry).map_err(|_| StoreError::unwritable("index entry"))
}

/// Writes the call's index entry. Numbers too long for KV's metadata limit are left
/// out of it rather than failing the entry.
pub async fn put_index(
    kv: &impl KvStore,
    started_ms: i64,
    entry: &IndexEntry,
) -> Result<(), StoreError> {
    let fits = json(entry)?.len() <= kv_limits::MAX_METADATA_BYTES;
    let metadata = if fits {
        metadata(entry)?
    } else {
        metadata(&IndexEntry {
            from: None,
            to: None,
            ..entry.clone()
        })?
    };
    kv.put(
        &index_key(started_ms, &entry.call_control_id),
        "",
        PutOptions {
            ttl_secs: ARCHIVE_TTL_SECS,
            metadata: Some(metadata),
        },
    )
    .await
}

/// Archives the call's state as the operator API shows it.
pub async fn put_archive(kv: &impl KvStore, state: &CallState) -> Result<(), StoreError> {
    kv.put(
        &archive_key(&state.call_control_id),
        &json(state)?,
        PutOptions {
            ttl_secs: ARCHIVE_TTL_SECS,
            metadata: None,
        },
    )
    .await
}

/// The archived state JSON of a call, if it was archived.
pub async fn get_archive(
    kv: &impl KvStore,
    call_control_id: &str,
) -> Result<Option<String>, StoreError> {
    kv.get(&archive_key(call_control_id)).await
}

pub async fn put_loose_event(
    kv: &impl KvStore,
    event_id: &str,
    body: &str,
) -> Result<(), StoreError> {
    kv.put(
        &loose_event_key(event_id),
        body,
        PutOptions {
            ttl_secs: LOOSE_EVENT_TTL_SECS,
            metadata: None,
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::envelope::{MAX_CALL_CONTROL_ID_BYTES, MAX_EVENT_ID_BYTES};
    use crate::ports::memory::MemoryKv;
    use pollster::block_on;

    #[test]
    fn index_keys_sort_newest_first() {
        let older = index_key(1_757_944_931_000, "v3:b");
        let newer = index_key(1_757_944_932_000, "v3:a");
        assert!(newer < older, "{newer} sorts before {older}");
        assert!(older.starts_with(INDEX_PREFIX));
        assert!(older.ends_with(":v3:b"));
    }

    #[test]
    fn the_longest_ids_make_valid_keys_and_long_numbers_still_index() {
        let kv = MemoryKv::new();
        let call = ":".repeat(MAX_CALL_CONTROL_ID_BYTES);
        let entry = IndexEntry {
            call_control_id: call.clone(),
            from: Some("sip:".to_owned() + &"a".repeat(1000)),
            to: Some("+13125550100".into()),
            status: CallStatus::Answered,
            started_at: "2025-09-15T14:02:11.104Z".into(),
            updated_at: Some("2025-09-15T14:02:12.104Z".into()),
        };
        block_on(put_index(&kv, 1, &entry)).unwrap();
        let stored = kv.entry(&index_key(1, &call)).unwrap();
        assert_eq!(stored.metadata.unwrap()["from"], serde_json::Value::Null);
        let id = "i".repeat(MAX_EVENT_ID_BYTES);
        block_on(put_loose_event(&kv, &id, "{}")).unwrap();
        assert!(kv.entry(&loose_event_key(&id)).is_some());
    }
}
