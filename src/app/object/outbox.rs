//! Sending what the alarm owes, and recording where actions stand. Automation actions
//! go out from the outbox one at a time, in the order they were planned: the first one
//! still pending holds the others back, so a call's commands reach Telnyx in order.
//! Forwarded events go the same way per URL, beside them ([`Line`]). Each attempt is
//! marked before its request leaves, and [`decide`] turns its outcome into the next
//! step (see `domain::retry` for the table).

use futures_util::future::{select, Either, FutureExt, LocalBoxFuture};
use futures_util::pin_mut;
use futures_util::stream::{FuturesUnordered, StreamExt};

use serde_json::Value;

use super::store::{ActionRow, Outcome, Retry};
use super::CallObject;
use crate::app::telnyx::{Sent, TelnyxClient, TelnyxError};
use crate::domain::actions::{self, ActionSpec};
use crate::domain::call_state::ActionStatus;
use crate::domain::legs::DialOrigin;
use crate::domain::retry::{
    decide, may_have_run, Failure, Progress, Schedule, Verdict, RESEND_WINDOW_MS,
};
use crate::ports::{Clock, LogLine, Logger, Ports, StoreError};

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

/// A queue of requests the alarm sends one at a time, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Line {
    /// The call's automation actions, to Telnyx.
    Actions,
    /// The deliveries to one forwarding URL.
    Forward(String),
    /// Registrations of dialed legs, and the call's report to the calls that show it.
    Links,
}

impl<P: Ports> CallObject<'_, P> {
    /// Runs what is due until nothing is: events are planned as soon as they may be,
    /// and each line of work ([`Line`]) sends its next request whenever it is due. The
    /// lines go side by side, each one request at a time in its own order, so a slow
    /// receiver holds up neither the call's commands nor another receiver. While any
    /// request is out, what requests store meanwhile is looked at every tick.
    pub(super) async fn run_due(&self, calls: bool) -> Result<(), StoreError> {
        self.close_unconfigured_forwards()?;
        let mut running = FuturesUnordered::new();
        let mut busy: Vec<Line> = Vec::new();
        let mut failed = None;
        loop {
            if failed.is_none() {
                match self.due_lines(calls, self.now()) {
                    Ok(lines) => {
                        for line in lines {
                            if busy.contains(&line) {
                                continue;
                            }
                            busy.push(line.clone());
                            running.push(self.run_line(line));
                        }
                    }
                    // The requests out go on whatever planning meets; the next run
                    // plans again.
                    Err(error) if !running.is_empty() => self.log_storage_error("planning", &error),
                    Err(error) => return Err(error),
                }
            }
            if running.is_empty() {
                return failed.map_or(Ok(()), Err);
            }
            let tick = self.clock.sleep(PLANNING_TICK_MS);
            pin_mut!(tick);
            if let Either::Left((Some((line, done)), _)) = select(running.next(), tick).await {
                busy.retain(|other| *other != line);
                if let Err(error) = done {
                    // No new request starts; the ones out finish first.
                    failed.get_or_insert(error);
                }
            }
        }
    }

    /// Plans what may be planned, then names the lines whose next request is due.
    fn due_lines(&self, calls: bool, now: i64) -> Result<Vec<Line>, StoreError> {
        let mut due = Vec::new();
        if calls {
            self.plan_ready(now)?;
            let head = self.store().outbox()?.into_iter().next();
            if head.is_some_and(|head| head.next_attempt_at.is_some_and(|at| at <= now)) {
                due.push(Line::Actions);
            }
            let store = self.store();
            if self.links_ready(now) <= now
                && (self.report_due(store.report_mark()?) || !store.dials(true)?.is_empty())
            {
                due.push(Line::Links);
            }
        }
        due.extend(self.due_forwards(now)?.into_iter().map(Line::Forward));
        Ok(due)
    }

    /// The next request of one line, and which line it was.
    fn run_line(&self, line: Line) -> LocalBoxFuture<'_, (Line, Result<(), StoreError>)> {
        async move {
            let done = match &line {
                Line::Actions => match self.store().outbox().map(|rows| rows.into_iter().next()) {
                    Ok(Some(head)) => self.attempt_automation(head).await,
                    Ok(None) => Ok(()),
                    Err(error) => Err(error),
                },
                Line::Forward(url) => self.forward_next(url).await,
                Line::Links => self.run_links().await,
            };
            (line, done)
        }
        .boxed_local()
    }

    async fn attempt_automation(&self, row: ActionRow) -> Result<(), StoreError> {
        let Some(spec) = actions::recorded(&row.action) else {
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
        let dial_body = match serde_json::from_slice(body.as_bytes()) {
            Ok(Value::Object(body)) if spec.is_dial() => Some(body),
            _ => None,
        };
        // Nothing joins a call that has hung up.
        let supervises_self = dial_body.as_ref().is_some_and(|body| {
            body.get("supervise_call_control_id")
                .and_then(Value::as_str)
                == Some(call.as_str())
        });
        if supervises_self && self.store().summary()?.hung_up {
            let reason = "call_ended: the call to supervise has hung up; not dialed";
            return self.close(&row, None, reason.into());
        }
        let sent = self.attempt(&row.id, spec, &call, api_key, &body).await?;
        let verdict = self.settle(&row.id, spec, &sent, &Schedule::OUTBOX)?;
        // The leg goes to its own object on the line of links, which is due now.
        if let (Verdict::Succeeded, Some(body)) = (verdict, dial_body) {
            let origin = DialOrigin::rule(row.rule.as_deref().unwrap_or_default(), &call);
            self.record_leg(&row.id, &body, &sent, origin)?;
        }
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
            by: row.operator.clone(),
            ..LogLine::default()
        });
    }
}
