//! Running automations for an accepted event. The webhook writes a work item before it
//! answers ([`App::owe_automations`]); after the response the plan runs
//! ([`App::run_automations`]), and the scheduled sweep re-runs it if that never finished.

use std::cell::RefCell;
use std::collections::HashSet;

use serde_json::{Map, Value};

use super::actions::{ActionCommand, Origin};
use super::store::{automations_work_key, load_call, put_work, WorkItem};
use super::App;
use crate::domain::automations::{listens_to, plan, Planned, Trigger};
use crate::domain::call_state::{fold_before, ActionStatus};
use crate::domain::envelope::{Delivery, EventRecord};
use crate::ports::{Clock, HttpClient, KvStore, LogLine, Logger, StoreError};

/// How long a run waits for another run planning the same call, in steps of
/// [`PLANNING_POLL_MILLIS`]; planning takes a KV read and a few writes.
const PLANNING_WAIT_STEPS: u32 = 500;
const PLANNING_POLL_MILLIS: u64 = 10;

thread_local! {
    /// Calls whose automations are being planned in this isolate.
    static PLANNING: RefCell<HashSet<String>> = RefCell::new(HashSet::new());
}

/// Holds a call's planning turn; dropping it (also when the run is cancelled) frees it.
struct PlanningTurn(String);

impl Drop for PlanningTurn {
    fn drop(&mut self) {
        PLANNING.with(|calls| calls.borrow_mut().remove(&self.0));
    }
}

fn try_take_turn(call_control_id: &str) -> Option<PlanningTurn> {
    PLANNING
        .with(|calls| calls.borrow_mut().insert(call_control_id.to_owned()))
        .then(|| PlanningTurn(call_control_id.to_owned()))
}

/// Automations an accepted event owes, to run once the response is out.
#[derive(Clone, Debug)]
pub struct FollowUp {
    pub delivery: Delivery,
    /// The work item that stands for them until they are planned.
    pub work_key: String,
}

impl<K: KvStore, L: Logger, H: HttpClient, C: Clock> App<'_, K, L, H, C> {
    /// Whether a rule listens to this event (when `AUTOMATIONS` is invalid, none does,
    /// and that is logged).
    pub(super) fn owes_automations(&self, delivery: &Delivery) -> bool {
        let Some(record) = &delivery.record else {
            return false;
        };
        match &self.config.automations {
            Ok(rules) => listens_to(rules, &record.event_type),
            Err(errors) => {
                self.log.log(LogLine {
                    level: "warn",
                    msg: "automations",
                    event_id: Some(delivery.event_id.clone()),
                    outcome: Some("disabled"),
                    detail: Some(format!(
                        "AUTOMATIONS is invalid, no rule runs ({} problems; see /health)",
                        errors.len()
                    )),
                    ..LogLine::default()
                });
                false
            }
        }
    }

    /// On the webhook path, before the id is marked seen: writes the work item that
    /// makes the automations run even if this request dies right after its response,
    /// and returns its key.
    pub(super) async fn owe_automations(
        &self,
        record: &EventRecord,
        signed_at: i64,
    ) -> Result<String, StoreError> {
        let work_key = automations_work_key(self.now(), &record.id);
        let item = WorkItem::Automations {
            call_control_id: record.call_control_id.clone(),
            event_id: record.id.clone(),
            signed_at,
            rounds: 1,
        };
        put_work(self.kv, &work_key, &item).await?;
        Ok(work_key)
    }

    /// Plans the event's automations against the call state before it, records every
    /// planned action as begun, then sends them in rule and action order.
    pub async fn run_automations(&self, follow_up: FollowUp) {
        let FollowUp { delivery, work_key } = follow_up;
        let (Ok(rules), Some(record)) = (&self.config.automations, &delivery.record) else {
            // Only when the rules became invalid after the event was accepted.
            self.log.log(LogLine {
                level: "warn",
                msg: "automations",
                event_id: Some(delivery.event_id.clone()),
                outcome: Some("disabled"),
                detail: Some("AUTOMATIONS is invalid now; the event's rules are not run".into()),
                ..LogLine::default()
            });
            let call = delivery.record.as_ref().map(|r| r.call_control_id.as_str());
            return self.withdraw_work(&work_key, call).await;
        };
        let call = record.call_control_id.as_str();
        let log = |level, outcome, detail: String| {
            self.log.log(LogLine {
                level,
                msg: "automations",
                event_id: Some(delivery.event_id.clone()),
                event_type: Some(record.event_type.clone()),
                call_control_id: Some(call.to_owned()),
                outcome: Some(outcome),
                detail: Some(detail),
                ..LogLine::default()
            })
        };
        // Events of one call delivered back to back are planned one at a time in this
        // isolate, so each plan sees the actions the previous one recorded (its limits
        // and state). Sending is not serialized.
        let turn = self.planning_turn(call).await;
        let records = match load_call(self.kv, call).await {
            Ok(records) => records,
            Err(error) => {
                // The work item stays: the scheduled sweep plans the event again.
                return log("error", "deferred", format!("call not readable: {error}"));
            }
        };
        let state = fold_before(records.events, records.actions.clone(), record)
            .map(|state| state.to_json_value())
            .unwrap_or(Value::Null);
        let trigger = Trigger {
            event_id: &delivery.event_id,
            event_type: &record.event_type,
            data: &delivery.data,
        };
        let planned = plan(rules, &trigger, &state, &records.actions);
        log("info", "planned", format!("{} actions", planned.len()));

        // Every action gets its work item and `pending` record before any is sent, so
        // none is lost if this run ends early.
        let mut ready = Vec::with_capacity(planned.len());
        for (ordinal, planned) in planned.into_iter().enumerate() {
            let Planned {
                rule,
                action,
                command_id,
                body,
                ..
            } = planned;
            let (body, unsendable) = match body {
                Ok(body) => (body, None),
                Err(reason) => (Map::new(), Some(reason)),
            };
            let command = ActionCommand {
                action,
                call_control_id: call,
                body,
                origin: Origin::Automation {
                    rule,
                    trigger: delivery.event_id.clone(),
                    command_id,
                },
            };
            let mut prepared = match self.prepare(command, ordinal) {
                Ok(prepared) => prepared,
                Err(error) => return log("error", "deferred", error.to_string()),
            };
            match unsendable {
                // Recorded as failed, never sent.
                Some(reason) => {
                    self.record_phase(
                        &mut prepared,
                        ActionStatus::Failed,
                        None,
                        Some(reason),
                        false,
                    )
                    .await
                }
                None => match self.begin(&prepared).await {
                    Ok(()) => ready.push(prepared),
                    Err(error) => {
                        return log("error", "deferred", format!("not recorded: {error}"))
                    }
                },
            }
        }
        self.withdraw_work(&work_key, Some(call)).await;
        drop(turn);
        for prepared in ready {
            self.complete(prepared).await;
        }
    }

    /// Waits for this call's planning turn. After a bounded wait it goes ahead: a slow
    /// run must not stall the others, and KV is the record either way.
    async fn planning_turn(&self, call_control_id: &str) -> Option<PlanningTurn> {
        for _ in 0..PLANNING_WAIT_STEPS {
            if let Some(turn) = try_take_turn(call_control_id) {
                return Some(turn);
            }
            self.clock.sleep(PLANNING_POLL_MILLIS).await;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_planning_turn_per_call_at_a_time() {
        let turn = try_take_turn("v3:a").expect("free");
        assert!(try_take_turn("v3:a").is_none(), "taken");
        assert!(
            try_take_turn("v3:b").is_some(),
            "another call is independent"
        );
        drop(turn);
        assert!(try_take_turn("v3:a").is_some(), "freed on drop");
    }
}
