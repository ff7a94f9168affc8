//! How events live in KV, shaped by KV's limits: every key is written once (never a
//! read-modify-write of a hot per-call key, which KV's one-write-per-second-per-key
//! limit and eventual consistency would break), and everything expires.
//!
//! - `event:{event_id}`: the raw verified body; its presence marks the id as seen.
//! - `call:{call_control_id}:event:{event_id}`: the [`EventRecord`] the call state is
//!   folded from, also as list metadata when it fits, so one `list` reads a call.
//! - `call:{call_control_id}:action:{record_id}:{seq}`: one phase of an action sent for
//!   the call ([`StoredAction`]); a new phase is a new key, never an overwrite.
//! - `work:{millis}:…`: unfinished work ([`WorkItem`]) that the scheduled sweep
//!   completes if the request that started it could not; deleted once done.

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::domain::call_state::StoredAction;
use crate::domain::envelope::{Delivery, EventRecord};
use crate::domain::tagged::Tagged;
use crate::domain::time::Instant;
use crate::ports::{kv_limits, KvStore, PutOptions, StoreError};

/// How long events (and so call state) are kept: a week covers any call and any
/// redelivery Telnyx makes.
pub const EVENT_TTL_SECS: u64 = 7 * 24 * 60 * 60;

/// `:` separates key parts, so it is escaped inside ids (and `%`, the escape itself).
const KEY_PART: &AsciiSet = &CONTROLS.add(b':').add(b'%');

fn event_key(event_id: &str) -> String {
    format!("event:{event_id}")
}

fn call_prefix(call_control_id: &str) -> String {
    format!("call:{}:", utf8_percent_encode(call_control_id, KEY_PART))
}

/// Work items outlive any request that could finish them by far, yet still expire.
pub const WORK_TTL_SECS: u64 = 24 * 60 * 60;
const WORK_PREFIX: &str = "work:";

const EVENT_PART: &str = "event:";
const ACTION_PART: &str = "action:";

/// Writes a record as the value, and as list metadata too when it fits.
async fn put_record(
    kv: &impl KvStore,
    key: &str,
    record: &impl Serialize,
) -> Result<(), StoreError> {
    let value = serde_json::to_string(record).map_err(|e| StoreError(format!("record: {e}")))?;
    let metadata = (value.len() <= kv_limits::MAX_METADATA_BYTES).then(|| value.clone());
    kv.put(
        key,
        &value,
        PutOptions {
            ttl_secs: EVENT_TTL_SECS,
            metadata,
        },
    )
    .await
}

fn record_key(record: &EventRecord) -> String {
    format!(
        "{}{EVENT_PART}{}",
        call_prefix(&record.call_control_id),
        record.id
    )
}

/// The raw body of an accepted event; its presence marks the id as seen.
pub async fn event_body(kv: &impl KvStore, event_id: &str) -> Result<Option<String>, StoreError> {
    kv.get(&event_key(event_id)).await
}

/// Whether the call record of this event is stored.
pub async fn has_record(kv: &impl KvStore, record: &EventRecord) -> Result<bool, StoreError> {
    Ok(kv.get(&record_key(record)).await?.is_some())
}

/// Stores an accepted delivery's record on its call.
pub async fn store_event_record(kv: &impl KvStore, record: &EventRecord) -> Result<(), StoreError> {
    put_record(kv, &record_key(record), record).await
}

/// Marks the event id as accepted, keeping the raw body (automations are planned from
/// it again by the sweep).
pub async fn mark_seen(
    kv: &impl KvStore,
    delivery: &Delivery,
    raw_body: &[u8],
) -> Result<(), StoreError> {
    kv.put(
        &event_key(&delivery.event_id),
        &String::from_utf8_lossy(raw_body),
        PutOptions {
            ttl_secs: EVENT_TTL_SECS,
            metadata: None,
        },
    )
    .await
}

/// Stores one phase of an action under its own key.
pub async fn store_action(
    kv: &impl KvStore,
    call_control_id: &str,
    action: &StoredAction,
) -> Result<(), StoreError> {
    let key = format!(
        "{}{ACTION_PART}{}:{}",
        call_prefix(call_control_id),
        utf8_percent_encode(&action.id, KEY_PART),
        action.seq
    );
    put_record(kv, &key, action).await
}

/// Work that must be finished even if the request that started it dies.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WorkItem {
    /// Automations for an accepted event, not yet planned.
    Automations {
        call_control_id: String,
        event_id: String,
        /// The signed delivery time, which stands in for a missing `occurred_at`.
        signed_at: i64,
        rounds: u32,
    },
    /// An action whose outcome is not final yet.
    Action {
        call_control_id: String,
        /// Its first phase, enough to record or send it again without the call's records.
        action: Box<StoredAction>,
        /// Kept for automations, whose actions may be sent again; the operator API's
        /// caller saw the outcome and decides, so its bodies (and any password) are not.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body: Option<Map<String, Value>>,
        /// Times the action was sent (each with its own HTTP retries).
        rounds: u32,
    },
}

impl<'de> Deserialize<'de> for WorkItem {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut tagged = Tagged::read(deserializer)?;
        Ok(match tagged.kind.as_str() {
            "automations" => Self::Automations {
                call_control_id: tagged.field("call_control_id")?,
                event_id: tagged.field("event_id")?,
                signed_at: tagged.field("signed_at")?,
                rounds: tagged.field("rounds")?,
            },
            "action" => Self::Action {
                call_control_id: tagged.field("call_control_id")?,
                action: tagged.field("action")?,
                body: tagged.field("body")?,
                rounds: tagged.field("rounds")?,
            },
            _ => return Err(tagged.unknown(&["automations", "action"])),
        })
    }
}

/// Keys start with the time, so the sweep meets work in the order it was created, and
/// with the action's place in its plan for actions created in the same millisecond.
pub fn automations_work_key(now: Instant, event_id: &str) -> String {
    format!(
        "{WORK_PREFIX}{:013}:e:{}",
        now.unix_millis(),
        utf8_percent_encode(event_id, KEY_PART)
    )
}

pub fn action_work_key(started_at: Instant, ordinal: usize, record_id: &str) -> String {
    format!(
        "{WORK_PREFIX}{:013}:a:{ordinal:03}:{}",
        started_at.unix_millis(),
        utf8_percent_encode(record_id, KEY_PART)
    )
}

/// When the work behind a key was created, in Unix milliseconds.
pub fn work_created_millis(key: &str) -> Option<i64> {
    key.strip_prefix(WORK_PREFIX)?.get(..13)?.parse().ok()
}

pub async fn put_work(kv: &impl KvStore, key: &str, item: &WorkItem) -> Result<(), StoreError> {
    let value = serde_json::to_string(item).map_err(|e| StoreError(format!("work item: {e}")))?;
    kv.put(
        key,
        &value,
        PutOptions {
            ttl_secs: WORK_TTL_SECS,
            metadata: None,
        },
    )
    .await
}

pub async fn delete_work(kv: &impl KvStore, key: &str) -> Result<(), StoreError> {
    kv.delete(key).await
}

/// The oldest `limit` work items. An unreadable item comes back as `None`, so one bad
/// value cannot block the queue.
pub async fn list_work(
    kv: &impl KvStore,
    limit: usize,
) -> Result<Vec<(String, Option<WorkItem>)>, StoreError> {
    let page = kv.list(WORK_PREFIX, None).await?;
    let keys: Vec<String> = page.keys.into_iter().take(limit).map(|k| k.name).collect();
    let mut items = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(kv_limits::MAX_GET_MANY) {
        for (key, value) in chunk.iter().zip(kv.get_many(chunk).await?) {
            // Listed but gone since: finished by someone else in between.
            let Some(value) = value else { continue };
            items.push((key.clone(), serde_json::from_slice(value.as_bytes()).ok()));
        }
    }
    Ok(items)
}

/// Everything stored for a call, in no particular order.
#[derive(Debug, Default)]
pub struct CallRecords {
    pub events: Vec<EventRecord>,
    pub actions: Vec<StoredAction>,
}

impl CallRecords {
    fn add(&mut self, key: &str, prefix: &str, json: Value) -> Result<(), StoreError> {
        let unreadable = |e: serde_json::Error| StoreError(format!("stored record {key}: {e}"));
        match key.strip_prefix(prefix) {
            Some(rest) if rest.starts_with(EVENT_PART) => self
                .events
                .push(serde_json::from_value(json).map_err(unreadable)?),
            Some(rest) if rest.starts_with(ACTION_PART) => self
                .actions
                .push(serde_json::from_value(json).map_err(unreadable)?),
            // Written by a later version: not ours to interpret.
            _ => {}
        }
        Ok(())
    }
}

/// A call's events and action phases, with one `list` (plus `get`s only for records too
/// big for metadata).
pub async fn load_call(
    kv: &impl KvStore,
    call_control_id: &str,
) -> Result<CallRecords, StoreError> {
    let prefix = call_prefix(call_control_id);
    let mut records = CallRecords::default();
    let mut without_metadata = Vec::new();
    let mut cursor = None;
    loop {
        let page = kv.list(&prefix, cursor).await?;
        for key in page.keys {
            match key.metadata {
                Some(metadata) => records.add(&key.name, &prefix, metadata)?,
                None => without_metadata.push(key.name),
            }
        }
        cursor = page.cursor;
        if cursor.is_none() {
            break;
        }
    }
    for chunk in without_metadata.chunks(kv_limits::MAX_GET_MANY) {
        for (key, value) in chunk.iter().zip(kv.get_many(chunk).await?) {
            // A key listed but gone since has expired in between: nothing to fold.
            let Some(value) = value else { continue };
            let json = serde_json::from_slice(value.as_bytes())
                .map_err(|e| StoreError(format!("stored record {key} is unreadable: {e}")))?;
            records.add(key, &prefix, json)?;
        }
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::envelope::parse;
    use crate::domain::time::Instant;
    use crate::ports::memory::MemoryKv;
    use pollster::block_on;
    use serde_json::json;

    fn store_event(kv: &MemoryKv, delivery: &Delivery, body: &[u8]) -> Result<(), StoreError> {
        block_on(store_event_record(kv, delivery.record.as_ref().unwrap()))?;
        block_on(mark_seen(kv, delivery, body))
    }

    fn delivery(id: &str, call: &str, client_state: &str) -> (Delivery, Vec<u8>) {
        let body = json!({"data": {"id": id, "event_type": "call.answered",
            "occurred_at": "2025-09-15T14:02:12.530120Z",
            "payload": {"call_control_id": call, "client_state": client_state}}})
        .to_string()
        .into_bytes();
        (parse(&body, Instant::default()).unwrap(), body)
    }

    #[test]
    fn work_items_keep_their_stored_format() {
        let stored = json!({"kind": "automations", "call_control_id": "v3:a",
            "event_id": "e1", "signed_at": 1_757_944_931, "rounds": 1});
        let item: WorkItem = serde_json::from_value(stored.clone()).unwrap();
        assert_eq!(serde_json::to_value(&item).unwrap(), stored);
        let missing = json!({"kind": "automations", "call_control_id": "v3:a"});
        assert!(serde_json::from_value::<WorkItem>(missing).is_err());
    }

    #[test]
    fn a_call_reads_back_through_metadata_and_values_alike() {
        let kv = MemoryKv::new();
        let (small, body) = delivery("e1", "v3:a", "c21hbGw=");
        store_event(&kv, &small, &body).unwrap();
        let (large, body) = delivery("e2", "v3:a", &"QUJD".repeat(400));
        store_event(&kv, &large, &body).unwrap();
        let key = format!("{}{EVENT_PART}e2", call_prefix("v3:a"));
        assert_eq!(
            kv.entry(&key).unwrap().metadata,
            None,
            "too big for metadata"
        );

        let mut loaded = block_on(load_call(&kv, "v3:a")).unwrap().events;
        loaded.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(
            loaded,
            vec![small.record.clone().unwrap(), large.record.unwrap()]
        );
        let seen = |delivery: &Delivery| {
            let marked = block_on(event_body(&kv, &delivery.event_id)).unwrap();
            let recorded = block_on(has_record(&kv, delivery.record.as_ref().unwrap())).unwrap();
            (marked.is_some(), recorded)
        };
        assert_eq!(seen(&small), (true, true));
        let (unseen, _) = delivery("e3", "v3:a", "");
        assert_eq!(seen(&unseen), (false, false));
    }

    #[test]
    fn ids_cannot_reach_into_another_calls_keys() {
        let kv = MemoryKv::new();
        let (other, body) = delivery("e1", "x:event:y", "");
        store_event(&kv, &other, &body).unwrap();
        assert!(block_on(load_call(&kv, "x")).unwrap().events.is_empty());
    }

    #[test]
    fn long_calls_are_read_across_list_pages_and_get_batches() {
        let kv = MemoryKv::new();
        kv.set_list_page_size(7);
        for n in 0..150 {
            let (d, body) = delivery(&format!("e{n:03}"), "v3:long", &"QUJD".repeat(300));
            store_event(&kv, &d, &body).unwrap();
        }
        assert_eq!(
            block_on(load_call(&kv, "v3:long")).unwrap().events.len(),
            150
        );
    }

    #[test]
    fn the_longest_ids_still_make_valid_keys() {
        let kv = MemoryKv::new();
        let call = ":".repeat(crate::domain::envelope::MAX_CALL_CONTROL_ID_BYTES);
        let id = "i".repeat(crate::domain::envelope::MAX_EVENT_ID_BYTES);
        let (d, body) = delivery(&id, &call, "");
        store_event(&kv, &d, &body).unwrap();
        assert_eq!(block_on(load_call(&kv, &call)).unwrap().events.len(), 1);
    }

    #[test]
    fn everything_stored_expires() {
        let kv = MemoryKv::new();
        let (d, body) = delivery("e1", "v3:a", "");
        store_event(&kv, &d, &body).unwrap();
        kv.set_now(EVENT_TTL_SECS);
        assert!(kv.keys().is_empty());
    }
}
