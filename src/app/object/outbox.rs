//! Sending actions and recording where they stand. Automation actions go out from the
//! outbox one at a time, in the order they were planned: the first one still pending
//! holds the others back, so a call's commands reach Telnyx in order. Each attempt is
//! marked before its request leaves, and [`decide`] turns its outcome into the next
//! step (see `domain::retry` for the table).

use futures_util::future::{select, Either};
use futures_util::pin_mut;

use super::store::{ActionRow, Outcome, Retry};
use super::CallObject;
use crate::app::telnyx::{Sent, TelnyxClient, TelnyxError};
use crate::domain::actions::{self, ActionSpec};
use crate::domain::call_state::ActionStatus;
use crate::domain::retry::{
    decide, may_have_run, Failure, Progress, Schedule, Verdict, RESEND_WINDOW_MS,
};
use crate::ports::{Clock, HttpClient, KvStore, LogLine, Logger, ObjectStorage, StoreError};

use super::{ObjectMemory, PLANNING_TICK_MS};

/// An attempt out from this instance, until it is dropped (also when the attempt is
/// abandoned half-way), so the alarm never takes it for one a dead instance left.
struct InFlight<'a> {
    memory: &'a ObjectMemory,
    id: String,
}

impl<'a> InFlight<'a> {
    fn mark(memory: &'a ObjectMemory, id: &str) -> Self {
        memory.in_flight.borrow_mut().insert(id.to_owned());
        Self {
            memory,
            id: id.to_owned(),
        }
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.memory.in_flight.borrow_mut().remove(&self.id);
    }
}

impl<S, K, L, H, C> CallObject<'_, S, K, L, H, C>
where
    S: ObjectStorage,
    K: KvStore,
    L: Logger,
    H: HttpClient,
    C: Clock,
{
    /// Plans and sends until nothing is due: events are planned as soon as they may be,
    /// and the head of the outbox is sent whenever it is due.
    pub(super) async fn run_outbox(&self) -> Result<(), StoreError> {
        loop {
            let now = self.now();
            self.plan_ready(now)?;
            let Some(head) = self.store().outbox()?.into_iter().next() else {
                return Ok(());
            };
            if head.next_attempt_at.is_none_or(|at| at > now) {
                return Ok(());
            }
            self.send_in_turn(head).await?;
        }
    }

    /// One attempt at the head of the outbox. Meanwhile events that were waiting on it
    /// for longer than the planning wait are planned.
    async fn send_in_turn(&self, row: ActionRow) -> Result<(), StoreError> {
        let attempt = self.attempt_automation(row);
        pin_mut!(attempt);
        loop {
            let tick = self.clock.sleep(PLANNING_TICK_MS);
            pin_mut!(tick);
            match select(attempt.as_mut(), tick).await {
                Either::Left((done, _)) => return done,
                // The attempt goes on whatever planning meets; the next run plans again.
                Either::Right(_) => {
                    if let Err(error) = self.plan_ready(self.now()) {
                        self.log_storage_error("planning", &error);
                    }
                }
            }
        }
    }

    async fn attempt_automation(&self, row: ActionRow) -> Result<(), StoreError> {
        let Some(spec) = actions::find(&row.action) else {
            return self.close(&row, None, "unknown action; not sent".into());
        };
        let Some(api_key) = self.config.api_key.as_deref() else {
            return self.close(&row, None, TelnyxError::ApiKeyMissing.summary());
        };
        let Some(call) = self.store().call_control_id()? else {
            return self.close(&row, None, "no call to send it for".into());
        };
        // Checked again at the send: an alarm can run later than the retry was due.
        let late = row
            .first_attempt_at
            .is_some_and(|first| self.now() - first > RESEND_WINDOW_MS as i64);
        if row.ran_maybe && late {
            let unknown = Failure::OutcomeUnknown {
                has_command_id: true,
            };
            let last = row.error.as_deref().unwrap_or_default();
            let last = last.split(" (attempt ").next().unwrap_or_default();
            let reason = format!("{last}{}", unknown.explain(row.attempts));
            return self.close(&row, row.http_status, reason);
        }
        let body = row.body.clone().unwrap_or_else(|| "{}".into());
        let sent = self.attempt(&row.id, spec, &call, api_key, &body).await?;
        self.settle(&row.id, spec, &sent, &Schedule::OUTBOX)?;
        Ok(())
    }

    /// Sends one attempt, marked as out in storage and in memory until it ends.
    pub(super) async fn attempt(
        &self,
        id: &str,
        spec: &'static ActionSpec,
        call: &str,
        api_key: &str,
        body: &str,
    ) -> Result<Sent, StoreError> {
        self.store().start_attempt(id, self.now())?;
        let _out = InFlight::mark(self.memory, id);
        let client = TelnyxClient {
            http: self.http,
            api_base: &self.config.api_base,
            api_key,
        };
        Ok(client
            .attempt(spec, call, body, || self.clock.now_millis())
            .await)
    }

    /// Records what the latest attempt of action `id` tells, by the retry table, and
    /// returns the verdict.
    pub(super) fn settle(
        &self,
        id: &str,
        spec: &'static ActionSpec,
        sent: &Sent,
        schedule: &Schedule,
    ) -> Result<Verdict, StoreError> {
        let store = self.store();
        let row = store
            .action(id)?
            .ok_or_else(|| StoreError(format!("action {id} vanished")))?;
        let now = self.now();
        let attempts = row.attempts;
        let verdict = decide(
            schedule,
            sent.attempted,
            Progress {
                attempts,
                ran_maybe_before: row.ran_maybe,
                elapsed_ms: now
                    .saturating_sub(row.first_attempt_at.unwrap_or(now))
                    .max(0) as u64,
                has_command_id: spec.accepts_command_id(),
                jitter_seed: id,
            },
        );
        let error = sent
            .error
            .as_ref()
            .map(TelnyxError::summary)
            .unwrap_or_default();
        let http_status = sent.response.as_ref().map(|r| r.status);
        match verdict {
            Verdict::Succeeded => store.finish(&Outcome {
                id,
                status: ActionStatus::Succeeded,
                http_status,
                error: None,
                now,
            })?,
            Verdict::RetryIn(delay) => store.schedule_retry(&Retry {
                id,
                at: now + delay as i64,
                ran_maybe: may_have_run(sent.attempted),
                http_status,
                error: &format!("{error} (attempt {attempts}; sending again)"),
                now,
            })?,
            Verdict::Failed(failure) => store.finish(&Outcome {
                id,
                status: ActionStatus::Failed,
                http_status,
                error: Some(&format!("{error}{}", failure.explain(attempts))),
                now,
            })?,
        }
        self.log_action(&row, verdict, http_status, &error);
        Ok(verdict)
    }

    /// Ends an action that cannot be sent, as failed with `reason`.
    pub(super) fn close(
        &self,
        row: &ActionRow,
        http_status: Option<u16>,
        reason: String,
    ) -> Result<(), StoreError> {
        self.store().finish(&Outcome {
            id: &row.id,
            status: ActionStatus::Failed,
            http_status,
            error: Some(&reason),
            now: self.now(),
        })?;
        self.log_action(row, Verdict::Failed(Failure::Refused), http_status, &reason);
        Ok(())
    }

    fn log_action(&self, row: &ActionRow, verdict: Verdict, status: Option<u16>, error: &str) {
        let (level, outcome) = match verdict {
            Verdict::Succeeded => ("info", "succeeded"),
            Verdict::RetryIn(_) => ("warn", "retry_scheduled"),
            Verdict::Failed(_) => ("warn", "failed"),
        };
        self.log.log(LogLine {
            level,
            msg: "action",
            event_id: row.trigger.clone(),
            outcome: Some(outcome),
            status,
            detail: Some(if error.is_empty() {
                row.action.clone()
            } else {
                format!("{}: {error}", row.action)
            }),
            ..LogLine::default()
        });
    }
}
