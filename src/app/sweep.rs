//! The scheduled sweep (cron): finishes the work that requests started and could not
//! finish. Automations never planned are planned again; an automation's action left
//! `pending` or failed with a retryable error is sent again with its same `command_id`,
//! up to [`MAX_SEND_ROUNDS`]; whatever cannot go on gets a final recorded outcome.

use serde::Serialize;
use serde_json::{Map, Value};

use super::actions::{Prepared, MAX_SEND_ROUNDS};
use super::automations::FollowUp;
use super::store::{event_body, list_work, load_call, put_work, work_created_millis, WorkItem};
use super::App;
use crate::domain::actions;
use crate::domain::call_state::{ActionStatus, StoredAction};
use crate::domain::envelope::parse;
use crate::domain::time::Instant;
use crate::ports::{Clock, HttpClient, KvStore, LogLine, Logger};

/// Work items looked at per run; the rest wait for the next run.
pub const SWEEP_BATCH: usize = 25;
/// Work younger than this may still be running in the request that started it (which
/// the runtime allows 30 s after its response, and each send at most 25 s).
pub const STALE_AFTER_MILLIS: i64 = 120_000;

/// What one run did, printed as its log line.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    pub examined: usize,
    /// Still possibly in progress elsewhere; left for a later run.
    pub waiting: usize,
    pub replanned: usize,
    pub resent: usize,
    /// Found finished, or finished now with a final recorded outcome.
    pub closed: usize,
    pub errors: usize,
}

enum Verdict {
    Wait,
    Close,
    Resend,
    /// Record this final failure, then close.
    GiveUp(String),
}

impl<K: KvStore, L: Logger, H: HttpClient, C: Clock> App<'_, K, L, H, C> {
    pub async fn sweep(&self) -> SweepReport {
        let mut report = SweepReport::default();
        match list_work(self.kv, SWEEP_BATCH).await {
            Ok(items) => {
                for (key, item) in items {
                    report.examined += 1;
                    match item {
                        Some(item) => self.sweep_item(&key, item, &mut report).await,
                        None => {
                            self.log_sweep("error", "unreadable work item removed", &key);
                            self.withdraw_work(&key, None).await;
                            report.errors += 1;
                        }
                    }
                }
            }
            Err(error) => {
                self.log_sweep("error", "work not listable", &error.to_string());
                report.errors += 1;
            }
        }
        self.log.log(LogLine {
            level: "info",
            msg: "sweep",
            outcome: Some("done"),
            detail: serde_json::to_string(&report).ok(),
            ..LogLine::default()
        });
        report
    }

    fn log_sweep(&self, level: &'static str, what: &str, detail: &str) {
        self.log.log(LogLine {
            level,
            msg: "sweep",
            outcome: Some("problem"),
            detail: Some(format!("{what}: {detail}")),
            ..LogLine::default()
        });
    }

    fn is_stale(&self, since_millis: Option<i64>) -> bool {
        since_millis.is_none_or(|since| self.clock.now_millis() - since > STALE_AFTER_MILLIS)
    }

    async fn sweep_item(&self, key: &str, item: WorkItem, report: &mut SweepReport) {
        match item {
            WorkItem::Automations {
                call_control_id,
                event_id,
                signed_at,
                rounds,
            } => {
                self.sweep_automations(key, call_control_id, event_id, signed_at, rounds, report)
                    .await
            }
            WorkItem::Action {
                call_control_id,
                action,
                body,
                rounds,
            } => {
                self.sweep_action(key, call_control_id, *action, body, rounds, report)
                    .await
            }
        }
    }

    async fn sweep_automations(
        &self,
        key: &str,
        call_control_id: String,
        event_id: String,
        signed_at: i64,
        rounds: u32,
        report: &mut SweepReport,
    ) {
        if !self.is_stale(work_created_millis(key)) {
            report.waiting += 1;
        } else if rounds >= MAX_SEND_ROUNDS {
            self.log_sweep("error", "automations abandoned after attempts", &event_id);
            self.withdraw_work(key, Some(&call_control_id)).await;
            report.closed += 1;
        } else {
            let next = WorkItem::Automations {
                call_control_id: call_control_id.clone(),
                event_id: event_id.clone(),
                signed_at,
                rounds: rounds + 1,
            };
            if put_work(self.kv, key, &next).await.is_err() {
                report.errors += 1;
                return;
            }
            self.replan(key, &event_id, signed_at, report).await;
        }
    }

    async fn sweep_action(
        &self,
        key: &str,
        call_control_id: String,
        action: StoredAction,
        body: Option<Map<String, Value>>,
        rounds: u32,
        report: &mut SweepReport,
    ) {
        let newest = match load_call(self.kv, &call_control_id).await {
            Ok(records) => records
                .actions
                .into_iter()
                .filter(|phase| phase.id == action.id)
                .max_by_key(|phase| phase.seq),
            Err(error) => {
                self.log_sweep("error", "call not readable", &error.to_string());
                report.errors += 1;
                return;
            }
        };
        let verdict = self.judge(key, newest.as_ref(), body.is_some(), rounds);
        let call = Some(call_control_id.as_str());
        // `None`: send again; `Some`: record this final failure.
        let give_up = match verdict {
            Verdict::Wait => {
                report.waiting += 1;
                return;
            }
            Verdict::Close => {
                self.withdraw_work(key, call).await;
                report.closed += 1;
                return;
            }
            Verdict::GiveUp(reason) => Some(reason),
            Verdict::Resend => None,
        };
        let phase = newest.unwrap_or(action);
        let Some(mut prepared) = self.resume(key, &call_control_id, phase, body, rounds) else {
            report.errors += 1;
            return self.withdraw_work(key, call).await;
        };
        match give_up {
            None => {
                prepared.rounds += 1;
                prepared.advance(ActionStatus::Pending, None, None, self.now());
                if self.begin(&prepared).await.is_err() {
                    report.errors += 1;
                    return;
                }
                self.complete(prepared).await;
                report.resent += 1;
            }
            Some(reason) => {
                let http_status = prepared.stored.record.http_status;
                self.record_phase(
                    &mut prepared,
                    ActionStatus::Failed,
                    http_status,
                    Some(reason),
                    false,
                )
                .await;
                report.closed += 1;
            }
        }
    }

    /// What to do with an action's work item, given its newest recorded phase.
    fn judge(
        &self,
        key: &str,
        newest: Option<&StoredAction>,
        resendable: bool,
        rounds: u32,
    ) -> Verdict {
        let may_resend = resendable && rounds < MAX_SEND_ROUNDS;
        let Some(phase) = newest else {
            // `begin` failed, or its record is not visible here yet.
            return match (self.is_stale(work_created_millis(key)), may_resend) {
                (false, _) => Verdict::Wait,
                (true, true) => Verdict::Resend,
                (true, false) => Verdict::Close,
            };
        };
        match phase.record.status {
            ActionStatus::Succeeded => Verdict::Close,
            ActionStatus::Failed if phase.retryable && may_resend => Verdict::Resend,
            ActionStatus::Failed => Verdict::Close,
            ActionStatus::Pending => {
                let since = Instant::parse_rfc3339(&phase.record.at).map(|at| at.unix_millis());
                if !self.is_stale(since) {
                    Verdict::Wait
                } else if may_resend {
                    Verdict::Resend
                } else if resendable {
                    Verdict::GiveUp(format!(
                        "no outcome was recorded (gave up after {rounds} attempts)"
                    ))
                } else {
                    Verdict::GiveUp(
                        "no outcome was recorded: the request ended before Telnyx answered; \
                         not sent again"
                            .to_owned(),
                    )
                }
            }
        }
    }

    /// The action as it stands, ready to record or send again.
    fn resume(
        &self,
        key: &str,
        call_control_id: &str,
        stored: StoredAction,
        body: Option<Map<String, Value>>,
        rounds: u32,
    ) -> Option<Prepared> {
        let Some(action) = actions::find(&stored.record.action) else {
            self.log_sweep("error", "work item names no known action", key);
            return None;
        };
        Some(Prepared {
            call_control_id: call_control_id.to_owned(),
            action,
            stored,
            body: body.unwrap_or_default(),
            work_key: key.to_owned(),
            rounds,
        })
    }

    /// Plans an event's automations again from its stored body; actions already
    /// recorded are not planned twice.
    async fn replan(&self, key: &str, event_id: &str, signed_at: i64, report: &mut SweepReport) {
        let raw = match event_body(self.kv, event_id).await {
            Ok(Some(raw)) => raw,
            // Never marked seen: the webhook answered an error, and Telnyx redelivers.
            Ok(None) => {
                self.withdraw_work(key, None).await;
                report.closed += 1;
                return;
            }
            Err(error) => {
                self.log_sweep("error", "event not readable", &error.to_string());
                report.errors += 1;
                return;
            }
        };
        match parse(raw.as_bytes(), Instant::from_unix_secs(signed_at)) {
            Ok(delivery) => {
                self.run_automations(FollowUp {
                    delivery,
                    work_key: key.to_owned(),
                })
                .await;
                report.replanned += 1;
            }
            Err(error) => {
                self.log_sweep("error", "stored event not parsable", &error.detail);
                self.withdraw_work(key, None).await;
                report.errors += 1;
            }
        }
    }
}
