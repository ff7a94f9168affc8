//! What an object contributes to the dashboard's figures ([`crate::domain::stats`]),
//! reported to its stats object [`GATHER_MS`] after a change a request stored, and at
//! most every [`TALLY_INTERVAL_MS`] while it changes, from a timer of the object's
//! instance ([`CallObject::tick`]), with the alarm as the backstop should the instance
//! go first: a call's events, answers and outcomes go in a few reports, and each is in
//! the figures within five seconds of its acceptance. A
//! report that fails is tried again with backoff; one sent twice, or two sent at once,
//! add nothing twice (the stats object orders a reporter's reports by when they were
//! made and by the mark).
//!
//! A reporter's last report is `gone`, and its stats object forgets it a few minutes
//! later, so a stats object keeps rows for the calls under way, not for every call it
//! was ever told of. A call's reporter settles when the call is archived; what changes
//! after that (a late event, a duplicate) goes under a reporter of its own, as the
//! difference from what the call settled with, which the call keeps
//! ([`super::tables::SETTLED_SCHEMA`]). Any other object's reporter sends its last
//! report as the object deletes its storage; a reporter that never does is forgotten
//! once it has not reported for longer than the retention.

use super::protocol::{
    dial_object, loose_object_name, stats_object_of, stats_report_request, StatsReport,
};
use super::stats_rows::late_reporter;
use super::store::{Role, Summary};
use super::{CallObject, Folded, GATHER_MS, TALLY_BACKSTOP_MS, TALLY_INTERVAL_MS};
use crate::domain::call_state::{CallState, SiprecStatus, SuppressionStatus};
use crate::domain::stats::{minute_of, Contribution, Live, KEPT_MINUTES};
use crate::ports::{CallObjects, LogLine, Logger, Ports, StoreError};

const FIRST_RETRY_MS: i64 = 1_000;
const MAX_RETRY_MS: i64 = 60_000;

/// Which report an object sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Report {
    /// What changed.
    Change,
    /// The call's reporter's last, at its archive: the call keeps what it said.
    Settle,
    /// The object's last, before it deletes its storage.
    Last,
}

/// A report of the contribution, read and not sent yet.
pub(super) struct Tally {
    report: Report,
    mark: i64,
    /// When it was read (Unix ms): its version.
    made_at: i64,
    /// The call settled before: the contribution is what changed since.
    settled: bool,
    /// `None`: there is no one to report for.
    reporter: Option<String>,
    contribution: Contribution,
}

/// A call's part of the live figures: a supervisor leg counts its role.
fn live_of(state: &CallState) -> Live {
    let recording = state
        .siprec
        .as_ref()
        .is_some_and(|siprec| siprec.status == SiprecStatus::Started);
    let suppressing = state
        .noise_suppression
        .as_ref()
        .is_some_and(|noise| noise.status == SuppressionStatus::Active);
    let role = state
        .supervising
        .as_ref()
        .and(state.supervisor_role.as_deref());
    Live::of_call(state.status, role, recording, suppressing)
}

impl<P: Ports> CallObject<'_, P> {
    /// When the contribution is due to be reported, if it may have changed since this
    /// instance last reported it (`mark` grows with every change).
    pub(super) fn tally_due(&self, mark: i64) -> Option<i64> {
        let memory = self.memory;
        if memory.tallied.get() == Some(mark) {
            return None;
        }
        let interval = memory
            .tallied_at
            .get()
            .map_or(0, |at| at + TALLY_INTERVAL_MS);
        Some(interval.max(memory.tally_retry_at.get()))
    }

    /// Asks for a tick when a report is due, and for the alarm no later than the
    /// backstop: a change a request just stored, which waits a little for more.
    pub(super) async fn want_tally_soon(&self) -> Result<(), StoreError> {
        let due = self.gathered(self.tally_due(i64::MIN).unwrap_or_default());
        self.want_tick(due);
        self.ensure_alarm(due + TALLY_BACKSTOP_MS).await
    }

    /// When something due at `due` that a change just asked for goes: no sooner than
    /// [`GATHER_MS`] from now, so the changes that follow close behind go with it.
    pub(super) fn gathered(&self, due: i64) -> i64 {
        due.max(self.now() + GATHER_MS)
    }

    /// Asks the runtime for a tick at `at` (or earlier, if one is wanted already).
    pub(super) fn want_tick(&self, at: i64) {
        let wanted = self
            .memory
            .tick_wanted
            .get()
            .map_or(at, |earlier| earlier.min(at));
        self.memory.tick_wanted.set(Some(wanted));
    }

    /// A tick of the instance's in-memory timer: reports the contribution if it is due,
    /// and asks for the next tick while a report waits. A new call's first tick also
    /// writes its first index entry, from the same read of the call.
    pub async fn tick(&self) {
        self.memory.tick_wanted.set(None);
        self.memory.tick_scheduled.set(None);
        let ran = async {
            match self.role()? {
                Some(Role::Call) if self.memory.index_owed.get() => {
                    if self.first_tick().await? {
                        self.alarm_past_backstop().await?;
                    }
                    Ok(())
                }
                Some(Role::Call) => {
                    let mark = self.store().call_tally_mark()?;
                    self.tally_when_due(Role::Call, mark).await
                }
                Some(Role::Loose) => {
                    let mark = self.store().loose_tally_mark()?;
                    self.tally_when_due(Role::Loose, mark).await
                }
                _ => Ok(()),
            }
        };
        if let Err(error) = ran.await {
            self.log_storage_error("stats", &error);
        }
    }

    /// Whether the report of `mark` is due now; asks for a tick when it is due later.
    pub(super) fn tally_due_now(&self, mark: i64) -> bool {
        match self.tally_due(mark) {
            Some(due) if self.now() >= due => true,
            Some(due) => {
                self.want_tick(due);
                false
            }
            None => false,
        }
    }

    /// Reports the contribution if it is due; asks for a tick when it waits.
    pub(super) async fn tally_when_due(&self, role: Role, mark: i64) -> Result<(), StoreError> {
        if self.tally_due_now(mark) {
            self.report_change(self.report_tally(role, mark, Report::Change).await?);
        }
        Ok(())
    }

    /// After a report of a change: asks for a tick to try again when it failed.
    pub(super) fn report_change(&self, taken: bool) {
        if !taken {
            self.want_tick(self.memory.tally_retry_at.get());
        }
    }

    /// Settles the call's reporter once the call is archived.
    pub(super) async fn settle_when_archived(&self) -> Result<(), StoreError> {
        let summary = self.store().summary()?;
        if self.settle_due(&summary) && self.now() >= self.memory.tally_retry_at.get() {
            self.report_tally(Role::Call, summary.tally_mark, Report::Settle)
                .await?;
        }
        Ok(())
    }

    /// The call is archived and its reporter has not settled yet.
    pub(super) fn settle_due(&self, summary: &Summary) -> bool {
        summary.archived.is_some() && !summary.tally_settled
    }

    /// Sends the contribution to the object's stats object; `Ok(true)` once it is
    /// taken, or when there is nothing to send.
    pub(super) async fn report_tally(
        &self,
        role: Role,
        mark: i64,
        report: Report,
    ) -> Result<bool, StoreError> {
        let folded = match role {
            Role::Call => self.folded_call()?,
            _ => None,
        };
        let tally = self.read_tally(role, folded.as_ref(), mark, report)?;
        self.send_tally(tally).await
    }

    /// The report of the contribution as of `mark`, read in one step; a call's from its
    /// `folded` state and events.
    pub(super) fn read_tally(
        &self,
        role: Role,
        folded: Option<&Folded>,
        mark: i64,
        report: Report,
    ) -> Result<Tally, StoreError> {
        let now = self.now();
        let first = minute_of(now) - KEPT_MINUTES;
        let store = self.store();
        let mut settled = false;
        let (reporter, contribution) = match role {
            Role::Loose => (
                store.a_loose_event()?.map(|id| loose_object_name(&id)),
                store.loose_contribution(first)?,
            ),
            Role::Call => {
                let state = folded.map(|folded| &folded.state);
                let arrivals = folded.map_or(&[][..], |folded| &folded.arrivals);
                let live = match (state, report) {
                    (Some(state), Report::Change) => live_of(state),
                    _ => Live::default(),
                };
                let reporter = match state {
                    Some(state) => Some(state.call_control_id.clone()),
                    None => store
                        .a_dial_command()?
                        .map(|command_id| dial_object(&command_id)),
                };
                let contribution = store.call_contribution(first, live, arrivals)?;
                match store.settled_tally()? {
                    Some(mut before) => {
                        settled = true;
                        before.keep_from(first);
                        (
                            reporter.map(|name| late_reporter(&name)),
                            contribution.since(&before),
                        )
                    }
                    None => (reporter, contribution),
                }
            }
            Role::Session | Role::Stats => (None, Contribution::default()),
        };
        Ok(Tally {
            report,
            mark,
            made_at: now,
            settled,
            reporter,
            contribution,
        })
    }

    /// Sends a report [`Self::read_tally`] read; `Ok(true)` once it is taken, or when
    /// there is nothing to send.
    pub(super) async fn send_tally(&self, tally: Tally) -> Result<bool, StoreError> {
        let Tally {
            report,
            mark,
            made_at,
            settled,
            reporter,
            contribution,
        } = tally;
        let store = self.store();
        // Nothing changed after the call settled: no reporter of late changes exists.
        let nothing_late = settled && contribution.is_zero();
        let (Some(reporter), false) = (reporter, nothing_late) else {
            if report == Report::Settle && !settled {
                store.set_settled_tally(&contribution)?;
            }
            self.tallied(mark);
            return Ok(true);
        };
        let gone = report != Report::Change;
        let request = StatsReport {
            version_ms: made_at,
            version_mark: if gone { i64::MAX } else { mark },
            reporter,
            contribution,
            gone,
        };
        let shard = stats_object_of(&request.reporter);
        let answer = self
            .objects
            .request(&shard, stats_report_request(&request)?)
            .await;
        match answer {
            Ok(response) if response.status == 204 => {
                if report == Report::Settle && !settled {
                    store.set_settled_tally(&request.contribution)?;
                }
                self.tallied(mark);
                Ok(true)
            }
            other => {
                let detail = match other {
                    Ok(response) => format!("answered {}: {}", response.status, response.body),
                    Err(error) => error.to_string(),
                };
                self.tally_failed(&shard, detail);
                Ok(false)
            }
        }
    }

    fn tallied(&self, mark: i64) {
        self.memory.tallied.set(Some(mark));
        self.memory.tallied_at.set(Some(self.now()));
        self.memory.tally_failures.set(0);
        self.memory.tally_retry_at.set(0);
    }

    fn tally_failed(&self, shard: &str, detail: String) {
        let failures = self.memory.tally_failures.get().saturating_add(1);
        self.memory.tally_failures.set(failures);
        let delay = FIRST_RETRY_MS
            .saturating_mul(1 << failures.min(16).saturating_sub(1))
            .min(MAX_RETRY_MS);
        self.memory.tally_retry_at.set(self.now() + delay);
        self.log.log(LogLine {
            level: "warn",
            msg: "stats",
            outcome: Some("not_reported"),
            detail: Some(format!("report to {shard} failed, tried again: {detail}")),
            ..LogLine::default()
        });
    }
}
