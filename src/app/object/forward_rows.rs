//! The statements over `forwards`: each delivery of an event to one forwarding URL.
//! A URL's deliveries go in `seq` order, one at a time: the head of its queue is its
//! pending delivery with the lowest `seq`. An attempt is recorded with its outcome, in
//! one write: one cut short by a restart is simply made again (the receiver drops a
//! repeated `webhook-id`), and only the alarm sends, so never two at once.

use serde::Deserialize;

use super::rows::{rfc3339, Store};
use super::tables::Table;
use crate::domain::forward::{ForwardRecord, ForwardStatus};
use crate::ports::{ObjectStorage, StoreError};

/// The head of each URL's queue.
const HEADS: &str = "forwards f JOIN (SELECT url, MIN(seq) AS seq FROM forwards \
     WHERE status = 'pending' GROUP BY url) h USING (url, seq)";

/// The SQL expression for when the first head of any URL's queue is due.
pub const FORWARD_DUE: &str = "(SELECT MIN(f.next_attempt_at) FROM forwards f JOIN \
     (SELECT url, MIN(seq) AS seq FROM forwards WHERE status = 'pending' GROUP BY url) h \
     USING (url, seq))";

/// The head of a URL's queue.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ForwardHead {
    pub url: String,
    pub seq: i64,
    pub event_id: String,
    pub attempts: u32,
    pub first_attempt_at: Option<i64>,
    /// When it is due.
    pub next_attempt_at: i64,
}

/// How an attempt ended, to record.
pub struct ForwardOutcome<'a> {
    pub url: &'a str,
    pub seq: i64,
    /// When the attempt started.
    pub started: i64,
    pub status: ForwardStatus,
    pub http_status: Option<u16>,
    pub error: Option<&'a str>,
    /// When a pending delivery is tried again.
    pub retry_at: Option<i64>,
    pub now: i64,
}

fn status_text(status: ForwardStatus) -> &'static str {
    match status {
        ForwardStatus::Pending => "pending",
        ForwardStatus::Delivered => "delivered",
        ForwardStatus::Failed => "failed",
    }
}

impl<S: ObjectStorage> Store<'_, S> {
    /// Puts a delivery of `event_id` at the end of `url`'s queue, due at once.
    pub fn queue_forward(
        &self,
        url: &str,
        event_id: &str,
        body: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        self.make(Table::Forwards)?;
        self.0.execute(
            "INSERT INTO forwards (url, seq, event_id, status, attempts, at, updated_at, \
             next_attempt_at, body) VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM forwards \
             WHERE url = ?), ?, 'pending', 0, ?, ?, ?, ?)",
            &[
                url.into(),
                url.into(),
                event_id.into(),
                rfc3339(now).as_str().into(),
                now.into(),
                now.into(),
                body.into(),
            ],
        )?;
        Ok(())
    }

    /// The head of each URL's queue.
    pub fn forward_heads(&self) -> Result<Vec<ForwardHead>, StoreError> {
        if !self.has(Table::Forwards) {
            return Ok(Vec::new());
        }
        self.0.query(
            &format!(
                "SELECT f.url, f.seq, f.event_id, f.attempts, f.first_attempt_at, \
                 f.next_attempt_at FROM {HEADS}"
            ),
            &[],
        )
    }

    /// The head of `url`'s queue: a range of the primary key, not every queue's head.
    pub fn forward_head(&self, url: &str) -> Result<Option<ForwardHead>, StoreError> {
        if !self.has(Table::Forwards) {
            return Ok(None);
        }
        let rows = self.0.query(
            "SELECT url, seq, event_id, attempts, first_attempt_at, next_attempt_at \
             FROM forwards WHERE url = ? AND status = 'pending' ORDER BY seq LIMIT 1",
            &[url.into()],
        )?;
        Ok(rows.into_iter().next())
    }

    /// When the first head of any queue is due.
    pub fn forward_due(&self) -> Result<Option<i64>, StoreError> {
        if !self.has(Table::Forwards) {
            return Ok(None);
        }
        self.number(&format!("SELECT {FORWARD_DUE} AS n"), &[])
    }

    /// The body of a pending delivery.
    pub fn forward_body(&self, url: &str, seq: i64) -> Result<Option<String>, StoreError> {
        if !self.has(Table::Forwards) {
            return Ok(None);
        }
        self.text(
            "SELECT body AS text FROM forwards WHERE url = ? AND seq = ?",
            &[url.into(), seq.into()],
        )
    }

    /// Records an attempt and its outcome; a final one lets the body go.
    pub fn settle_forward(&self, outcome: &ForwardOutcome<'_>) -> Result<(), StoreError> {
        self.0.execute(
            "UPDATE forwards SET attempts = attempts + 1, \
             first_attempt_at = COALESCE(first_attempt_at, ?), status = ?, \
             http_status = COALESCE(?, http_status), error = ?, at = ?, updated_at = ?, \
             next_attempt_at = ?, body = CASE WHEN ? = 'pending' THEN body END \
             WHERE url = ? AND seq = ?",
            &[
                outcome.started.into(),
                status_text(outcome.status).into(),
                outcome.http_status.map(i64::from).into(),
                outcome.error.into(),
                rfc3339(outcome.now).as_str().into(),
                outcome.now.into(),
                outcome.retry_at.into(),
                status_text(outcome.status).into(),
                outcome.url.into(),
                outcome.seq.into(),
            ],
        )?;
        Ok(())
    }

    /// Ends, as failed with `reason`, the pending deliveries to URLs not in `urls`.
    pub fn close_forwards_except(
        &self,
        urls: &[String],
        reason: &str,
        now: i64,
    ) -> Result<u64, StoreError> {
        if !self.has(Table::Forwards) {
            return Ok(0);
        }
        let urls = serde_json::to_string(urls).map_err(|_| StoreError::unwritable("urls"))?;
        self.0.execute(
            "UPDATE forwards SET status = 'failed', error = ?, at = ?, updated_at = ?, \
             next_attempt_at = NULL, body = NULL \
             WHERE status = 'pending' AND url NOT IN (SELECT value FROM json_each(?))",
            &[
                reason.into(),
                rfc3339(now).as_str().into(),
                now.into(),
                urls.as_str().into(),
            ],
        )
    }

    /// Every delivery, by its place in its URL's queue (each event is queued for every
    /// URL at once, so the places line up across URLs).
    pub fn forwards(&self) -> Result<Vec<ForwardRecord>, StoreError> {
        if !self.has(Table::Forwards) {
            return Ok(Vec::new());
        }
        self.0.query(
            "SELECT event_id, url, status, attempts, http_status, error, at FROM forwards \
             ORDER BY seq, url",
            &[],
        )
    }

    /// The body of one of the call's accepted events.
    pub fn event_body(&self, event_id: &str) -> Result<Option<String>, StoreError> {
        self.text(
            "SELECT body AS text FROM events WHERE id = ?",
            &[event_id.into()],
        )
    }

    /// Forgets the final deliveries of loose events whose claims were forgotten.
    pub fn prune_loose_forwards(&self) -> Result<u64, StoreError> {
        self.0.execute(
            "DELETE FROM forwards WHERE status != 'pending' \
             AND event_id NOT IN (SELECT id FROM loose_events)",
            &[],
        )
    }
}
