//! The object's alarm: the one clock that drives everything after a request's answer.
//! Each run recovers attempts an earlier instance left out, plans and sends what is
//! due, archives a settled call in KV, and deletes the object's storage once the
//! retention period has passed. Then it sets the alarm for the next thing due.
//! The runtime retries a failed run; the state in SQL says what is left, so a run can
//! start over at any point.

use super::store::{Role, Summary, ARCHIVED, INDEXED_STATUS_EVENTS};
use super::tally::Report;
use super::{
    AlarmKnown, CallObject, ARCHIVE_DELAY_MS, GATHER_MS, INDEX_INTERVAL_MS, KV_RETRY_MS,
    OPERATOR_ORPHAN_MS, PLANNING_WAIT_MS, RETENTION_MS, TALLY_BACKSTOP_MS,
};
use crate::app::archive::{put_archive, put_index, IndexEntry};
use crate::app::telnyx::{Sent, TelnyxError};
use crate::domain::actions;
use crate::domain::call_state::CallState;
use crate::domain::retry::{Attempted, Schedule};
use crate::ports::{LogLine, Logger, ObjectStorage, Ports, StoreError};

/// An alarm this late has not fired and will not: `wrangler dev` drops the alarms that
/// fell due while it was stopped (workers-sdk#7781). Due alarms fire within
/// milliseconds otherwise.
const OVERDUE_MS: i64 = 1_000;
/// How much later than the retention a session's object looks at itself again.
const SESSION_SLACK_MS: i64 = 24 * 60 * 60 * 1000;

/// The earliest of several times.
#[derive(Default)]
struct Earliest(Option<i64>);

impl Earliest {
    fn at(&mut self, time: i64) {
        self.0 = Some(self.0.map_or(time, |earliest| earliest.min(time)));
    }
}

impl<P: Ports> CallObject<'_, P> {
    /// The runtime's alarm.
    pub async fn alarm(&self) {
        // The alarm that fired is spent; requests meanwhile leave their work to this run.
        self.memory.alarm.set(AlarmKnown::At(None));
        self.memory.alarm_running.set(true);
        let ran = self.run_alarm().await;
        // From here on a request sets the alarm itself: whatever it stored before this
        // point is in what `wake` reads next.
        self.memory.alarm_running.set(false);
        let next = match ran {
            Ok(()) => self.wake().await,
            // Storage failed: try again a little later rather than at once, and again.
            Err(error) => {
                self.log_storage_error("alarm", &error);
                self.ensure_alarm(self.now() + KV_RETRY_MS).await
            }
        };
        if let Err(error) = next {
            self.log_storage_error("alarm", &error);
        }
    }

    async fn run_alarm(&self) -> Result<(), StoreError> {
        match self.role()? {
            None => Ok(()),
            Some(Role::Loose) => {
                self.loose_alarm().await?;
                self.run_due(false).await?;
                let mark = self.store().loose_tally_mark()?;
                self.tally_when_due(Role::Loose, mark).await
            }
            Some(Role::Session) => self.session_alarm().await,
            // A stats object folds as it is read or fills up: it owes nothing to time.
            Some(Role::Stats) => Ok(()),
            Some(Role::Call) => {
                self.recover_orphans()?;
                self.run_due(true).await?;
                // One read decides the four steps; each step that acts reads again
                // what the awaits before it may have changed.
                let summary = self.store().summary()?;
                self.index_when_stale(&summary).await?;
                let archived_now = self.archive_when_settled(&summary).await?;
                // Settling reads the summary again, which only an archived call needs.
                if summary.archived.is_some() || archived_now {
                    self.settle_when_archived().await?;
                }
                self.tally_when_due(Role::Call, summary.tally_mark).await?;
                self.retire_when_due(&summary).await
            }
        }
    }

    /// Sets the alarm for the next thing due, unless the alarm handler is running (it
    /// sets it when it ends).
    pub(super) async fn wake(&self) -> Result<(), StoreError> {
        if self.memory.alarm_running.get() {
            return Ok(());
        }
        match self.next_wake()? {
            Some(at) => self.ensure_alarm(at).await,
            None => Ok(()),
        }
    }

    /// Sets the alarm for `at` unless it is already set no later. An alarm that should
    /// have fired by now and has not (`wrangler dev` dropped it on a restart, or the
    /// runtime is late) is set again for now at the latest: what it was for is due, and
    /// putting it off to `at` would hold a resend back past Telnyx's window.
    pub(super) async fn ensure_alarm(&self, at: i64) -> Result<(), StoreError> {
        let current = self.known_alarm().await?;
        let now = self.now();
        match current {
            Some(set) if set + OVERDUE_MS < now => self.set_alarm(at.min(now)).await,
            Some(set) if set <= at => Ok(()),
            _ => self.set_alarm(at).await,
        }
    }

    /// Sets the alarm for `at`, known before the await, so a request that comes in
    /// meanwhile decides on it (and sets its own, earlier time after this one).
    async fn set_alarm(&self, at: i64) -> Result<(), StoreError> {
        self.memory.alarm.set(AlarmKnown::At(Some(at)));
        let set = self.storage.set_alarm(at).await;
        if set.is_err() {
            self.memory.alarm.set(AlarmKnown::Unknown);
        }
        set
    }

    /// When the alarm is set for, read from storage once per instance. What became
    /// known while the read was out (an alarm fired or was set) wins over the read.
    async fn known_alarm(&self) -> Result<Option<i64>, StoreError> {
        if let AlarmKnown::At(current) = self.memory.alarm.get() {
            return Ok(current);
        }
        let read = self.storage.get_alarm().await?;
        match self.memory.alarm.get() {
            AlarmKnown::At(current) => Ok(current),
            AlarmKnown::Unknown => {
                self.memory.alarm.set(AlarmKnown::At(read));
                Ok(read)
            }
        }
    }

    /// When the object next has something to do, if ever.
    fn next_wake(&self) -> Result<Option<i64>, StoreError> {
        let role = self.role()?;
        let store = self.store();
        let now = self.now();
        let kv_ready = now.max(self.memory.kv_retry_at.get());
        let mut next = Earliest::default();
        match role {
            None => return Ok(None),
            Some(Role::Loose) => {
                if store.has_unarchived_loose()? {
                    next.at(kv_ready);
                }
                if let Some(oldest) = store.oldest_loose()? {
                    next.at(oldest + RETENTION_MS);
                }
                if let Some(due) = store.forward_due()? {
                    next.at(due.max(now));
                }
                if let Some(due) = self.tally_due(store.loose_tally_mark()?) {
                    self.want_tick(due.max(now));
                    next.at(due.max(now) + TALLY_BACKSTOP_MS);
                }
                return Ok(next.0);
            }
            Some(Role::Stats) => return Ok(None),
            Some(Role::Session) => {
                // A day's slack: a session's legs end within it, so the alarm set when
                // the first reports is the one that deletes it.
                let last = store.members_changed()?.unwrap_or(now);
                return Ok(Some(last + RETENTION_MS + SESSION_SLACK_MS));
            }
            Some(Role::Call) => {}
        }
        let summary = store.summary()?;
        if let Some(since) = summary.unplanned_since {
            next.at(if summary.pending == 0 {
                now
            } else {
                since + PLANNING_WAIT_MS
            });
        }
        // Automation actions go out in order: only the first one open can be due.
        if let Some((head, due)) = &summary.head {
            if !self.memory.in_flight.borrow().contains(head) {
                next.at(due.unwrap_or(now));
            }
        }
        // Each forwarding queue goes in order: only its head can be due.
        if let Some(due) = summary.forward_due {
            next.at(due.max(now));
        }
        if let Some(since) = summary.operator_since {
            next.at(since + OPERATOR_ORPHAN_MS);
        }
        // What the call reports of itself changed, or a leg it dialed is still to be
        // given to its own object.
        if self.report_due(summary.report_mark) || summary.unregistered_dials {
            next.at(self.links_ready(now));
        }
        if summary.index_is_stale() {
            let due = self.index_due(&summary).max(now);
            if summary.indexed.is_none() {
                // A new call's first entry is the tick's, the alarm its backstop.
                self.memory.index_owed.set(true);
                self.want_tick(due);
                next.at(due + TALLY_BACKSTOP_MS);
            } else {
                next.at(due);
            }
        }
        // A report waiting is the tick's, the alarm its backstop; settling is the
        // alarm's, right after the archive.
        if self.settle_due(&summary) {
            next.at(self.memory.tally_retry_at.get().max(now));
        }
        if let Some(due) = self.tally_due(summary.tally_mark) {
            let due = self.gathered(due);
            self.want_tick(due);
            next.at(due + TALLY_BACKSTOP_MS);
        }
        // The archive and the retention wait for everything open to end; whatever is
        // open has a time of its own above.
        if let (Some(last), true) = (summary.last_change, summary.is_quiet()) {
            if summary.first_accepted.is_some() && summary.hung_up && summary.archived.is_none() {
                next.at((last + ARCHIVE_DELAY_MS).max(kv_ready));
            }
            next.at((last + RETENTION_MS).max(kv_ready));
        }
        Ok(next.0)
    }

    /// Ends what an earlier instance left open: an automation attempt that was out when
    /// it died counts as lost (Telnyx may have run it), and an operator action whose
    /// request ended before Telnyx answered is closed as failed, never sent again.
    fn recover_orphans(&self) -> Result<(), StoreError> {
        let now = self.now();
        for row in self.store().pending()? {
            if self.memory.in_flight.borrow().contains(&row.id) {
                continue;
            }
            if !row.is_automation() {
                if now >= row.started_at + OPERATOR_ORPHAN_MS {
                    // A request that was out may have run: a Dial's repeat must not
                    // take it for a refusal and send it again.
                    if row.attempt_started_at.is_some() {
                        self.store().mark_ran_maybe(&row.id)?;
                    }
                    self.close(
                        &row,
                        row.http_status,
                        "no outcome was recorded: the request ended before Telnyx answered; \
                         not sent again"
                            .into(),
                    )?;
                }
                continue;
            }
            if row.attempt_started_at.is_none() {
                continue;
            }
            let Some(spec) = actions::recorded(&row.action) else {
                self.close(&row, None, "unknown action; not sent".into())?;
                continue;
            };
            let lost = Sent {
                response: None,
                attempted: Attempted::Lost,
                error: Some(TelnyxError::Network(
                    "no outcome recorded: the object restarted with the request out".into(),
                )),
            };
            self.settle(&row.id, spec, &lost, &Schedule::OUTBOX)?;
        }
        Ok(())
    }

    /// Archives a hung-up call in KV once nothing is open and it has been quiet for
    /// [`ARCHIVE_DELAY_MS`]; `Ok(true)` when this run archived it.
    async fn archive_when_settled(&self, summary: &Summary) -> Result<bool, StoreError> {
        let now = self.now();
        let settled = |summary: &Summary| {
            let quiet_since = summary.last_change.unwrap_or(i64::MAX);
            summary.archived.is_none()
                && summary.hung_up
                && summary.is_quiet()
                && now >= quiet_since.saturating_add(ARCHIVE_DELAY_MS)
        };
        if settled(summary)
            && now >= self.memory.kv_retry_at.get()
            && settled(&self.store().summary()?)
        {
            return self.archive(now).await;
        }
        Ok(false)
    }

    /// Writes the index entry, then the archive; `Ok(false)` when KV failed (a later
    /// run tries again). The index entry is written whatever it showed before: the
    /// events since its last change of status moved its `updated_at`. A minute after
    /// the call's last change, this write is the last.
    async fn archive(&self, now: i64) -> Result<bool, StoreError> {
        let Some(state) = self.state()? else {
            return Ok(true);
        };
        let summary = self.store().summary()?;
        if !self.index(&summary, &state).await? {
            return Ok(false);
        }
        match put_archive(self.kv, &state).await {
            Ok(()) => {
                self.store().set_meta(ARCHIVED, now)?;
                Ok(true)
            }
            Err(error) => {
                self.kv_failed("archive", &error);
                Ok(false)
            }
        }
    }

    /// Writes the call's index entry once it is stale and due; `Ok(true)` when the
    /// entry is current.
    async fn index_when_stale(&self, summary: &Summary) -> Result<bool, StoreError> {
        if !summary.index_is_stale() {
            return Ok(true);
        }
        if self.now() < self.index_due(summary) {
            return Ok(false);
        }
        // The entry's fields are the folded state's: no forwards or legs needed.
        match self.folded()? {
            Some(state) => self.index(summary, &state).await,
            None => Ok(true),
        }
    }

    /// A new call's first tick: its first index entry and its report of a change, both
    /// as of one read of the call (folded once), then sent. Asks for another tick while
    /// the entry waits, or after KV failed; should the instance go first, the alarm
    /// writes it. `Ok(true)` when this wrote it.
    pub(super) async fn first_tick(&self) -> Result<bool, StoreError> {
        let summary = self.store().summary()?;
        // The entry is due when stale: `None` when written already, or with no event.
        let entry_due = match summary.indexed {
            None if summary.index_is_stale() => Some(self.index_due(&summary)),
            _ => None,
        };
        let entry_now = entry_due.is_some_and(|due| self.now() >= due);
        let tally_now = self.tally_due_now(summary.tally_mark);
        let folded = if entry_now || tally_now {
            self.folded_call()?
        } else {
            None
        };
        let tally = if tally_now {
            let mark = summary.tally_mark;
            Some(self.read_tally(Role::Call, folded.as_ref(), mark, Report::Change)?)
        } else {
            None
        };
        let state = folded.map(|folded| folded.state);
        // `None` while the entry is still owed: not due yet, or KV failed.
        let written = match (entry_due, &state) {
            // Written already, or nothing to write: nothing is owed.
            (None, _) => Some(summary.indexed.is_none()),
            (Some(_), _) if !entry_now => None,
            (Some(_), None) => Some(true),
            (Some(_), Some(state)) => self.index(&summary, state).await?.then_some(true),
        };
        if let Some(tally) = tally {
            self.report_change(self.send_tally(tally).await?);
        }
        match written {
            Some(written) => {
                self.memory.index_owed.set(false);
                Ok(written)
            }
            None => {
                self.want_tick(self.index_due(&summary));
                Ok(false)
            }
        }
    }

    /// Once a new call's first tick has done all it was asked, moves the alarm, set as
    /// its backstop, on to what is due next: fired, it would only read the call again,
    /// a minute later, in an instance that has usually gone by then. One alarm set
    /// instead of an alarm run, for a call whose events all came at its start.
    pub(super) async fn alarm_past_backstop(&self) -> Result<(), StoreError> {
        let AlarmKnown::At(Some(current)) = self.memory.alarm.get() else {
            return Ok(());
        };
        if self.memory.tick_wanted.get().is_some() || self.memory.alarm_running.get() {
            return Ok(());
        }
        let Some(next) = self.next_wake()? else {
            return Ok(());
        };
        // A tick wanted again means a change came meanwhile: the alarm stays its backstop.
        if next <= current || self.memory.tick_wanted.get().is_some() {
            return Ok(());
        }
        self.set_alarm(next).await
    }

    /// When the index entry may next be written: KV takes one write a second to a key,
    /// and a call's first entry waits [`GATHER_MS`] for the events close behind its
    /// first (an answer, a bridge), so one entry shows them. When this instance last
    /// wrote it is kept in memory only: a new instance may write once more within the
    /// second, and KV's refusal of that is retried like any failed write.
    fn index_due(&self, summary: &Summary) -> i64 {
        let written = match (summary.indexed, self.memory.indexed_at.get()) {
            (None, _) => summary.first_accepted.map_or(0, |at| at + GATHER_MS),
            (Some(_), at) => at.map_or(0, |at| at + INDEX_INTERVAL_MS),
        };
        written.max(self.memory.kv_retry_at.get())
    }

    /// Writes the index entry as of `summary`; `Ok(false)` when KV failed. Status events
    /// accepted while the write is out leave it stale, so it is written again.
    async fn index(&self, summary: &Summary, state: &CallState) -> Result<bool, StoreError> {
        let Some(started_ms) = summary.first_accepted else {
            return Ok(true);
        };
        match put_index(self.kv, started_ms, &IndexEntry::of(state, started_ms)).await {
            Ok(()) => {
                self.memory.indexed_at.set(Some(self.now()));
                self.store()
                    .set_meta(INDEXED_STATUS_EVENTS, summary.status_events)?;
                Ok(true)
            }
            Err(error) => {
                self.kv_failed("index entry", &error);
                Ok(false)
            }
        }
    }

    /// Once nothing changed for the retention period, the call goes to the archive
    /// (again, if it changed after it was archived) and the object deletes its storage.
    async fn retire_when_due(&self, summary: &Summary) -> Result<(), StoreError> {
        let retiring = |summary: &Summary| {
            summary.is_quiet()
                && summary
                    .last_change
                    .is_some_and(|last| self.now() >= last + RETENTION_MS)
        };
        if !retiring(summary) || self.now() < self.memory.kv_retry_at.get() {
            return Ok(());
        }
        let summary = self.store().summary()?;
        if !retiring(&summary) {
            return Ok(());
        }
        // Archived in the same millisecond as the last change counts as stale too.
        let stale = match (summary.archived, summary.last_change) {
            (Some(archived), Some(last)) => archived <= last,
            _ => true,
        };
        if stale && !self.archive(self.now()).await? {
            return Ok(());
        }
        // The reporter's last report before the storage goes (a call still live
        // leaves the live figures with it); one that fails is tried again by a later run.
        if !self
            .report_tally(Role::Call, summary.tally_mark, Report::Last)
            .await?
        {
            return Ok(());
        }
        // Checked again with nothing awaited before the deletion is issued: an event
        // that arrived during the archive's write or the report keeps the call. The memory forgets
        // the tables first, so a request that comes in while the deletion completes
        // creates them afresh, after it.
        if !retiring(&self.store().summary()?) {
            return Ok(());
        }
        self.memory.forget_storage();
        self.storage.delete_all().await?;
        self.log.log(LogLine {
            level: "info",
            msg: "retention",
            outcome: Some("deleted"),
            detail: Some("the call's object deleted its storage; the archive answers now".into()),
            ..LogLine::default()
        });
        Ok(())
    }

    pub(super) fn kv_failed(&self, what: &str, error: &StoreError) {
        self.memory.kv_retry_at.set(self.now() + KV_RETRY_MS);
        self.log.log(LogLine {
            level: "warn",
            msg: "kv",
            outcome: Some("storage_error"),
            detail: Some(format!("{what} not written, tried again later: {error}")),
            ..LogLine::default()
        });
    }
}
