//! Planning automations, one event at a time in the order the events were accepted.
//! Each event is planned against the call as it was before it, counting the effects of
//! the actions already planned; while an earlier action is still open, planning waits
//! for its outcome, up to [`PLANNING_WAIT_MS`]. Planning an event is one synchronous
//! step: the state read, the rules matched and the actions recorded commit together.

use serde_json::{Map, Value};

use super::store::{NewAction, Origin, Unplanned};
use super::{CallObject, PLANNING_WAIT_MS};
use crate::domain::automations::{plan, Planned, Trigger};
use crate::domain::call_state::{fold_before, ActionEffect, ActionStatus};
use crate::domain::envelope::parse;
use crate::domain::time::Instant;
use crate::ports::{LogLine, Logger, Ports, StoreError};

impl<P: Ports> CallObject<'_, P> {
    /// Plans every event that may be planned at `now`, in order; stops at the first one
    /// that must still wait for an open action.
    pub(super) fn plan_ready(&self, now: i64) -> Result<(), StoreError> {
        let store = self.store();
        while let Some(event) = store.first_unplanned()? {
            if now < event.accepted_at + PLANNING_WAIT_MS && store.has_pending()? {
                return Ok(());
            }
            self.plan_event(&event, now)?;
        }
        Ok(())
    }

    fn plan_event(&self, event: &Unplanned, now: i64) -> Result<(), StoreError> {
        let store = self.store();
        let delivery = parse(
            event.body.as_bytes(),
            Instant::from_unix_secs(event.signed_at),
        );
        let (Ok(rules), Ok(delivery)) = (&self.config.automations, delivery) else {
            // The rules became invalid since the event was accepted (or the stored body
            // cannot be read, which the claim rules out): nothing is planned.
            self.log_planning(
                &event.id,
                "disabled",
                "no valid rules; nothing planned".into(),
            );
            return store.mark_planned(&event.id);
        };
        let Some(record) = &delivery.record else {
            return store.mark_planned(&event.id);
        };
        let recorded: Vec<_> = store
            .actions()?
            .into_iter()
            .map(|row| row.stored())
            .collect();
        let events = self.events()?.into_iter().map(|event| event.record);
        let state = fold_before(events.collect(), recorded.clone(), record)
            .map(|state| state.to_json_value())
            .unwrap_or(Value::Null);
        let trigger = Trigger {
            event_id: &delivery.event_id,
            event_type: &record.event_type,
            data: &delivery.data,
        };
        let planned = plan(rules, &trigger, &state, &recorded);
        let count = planned.len();
        for planned in planned {
            self.record_planned(planned, &delivery.event_id, now)?;
        }
        store.mark_planned(&event.id)?;
        self.log_planning(&event.id, "planned", format!("{count} actions"));
        Ok(())
    }

    /// Records a planned action in the outbox, or as failed when its body could not be
    /// built from the event (it is never sent).
    fn record_planned(&self, planned: Planned, trigger: &str, now: i64) -> Result<(), StoreError> {
        let Planned {
            rule,
            action,
            command_id,
            body,
            ..
        } = planned;
        let accepts_command_id = action.accepts_command_id();
        let (body, status, error) = match body {
            Ok(mut body) => {
                if accepts_command_id {
                    body.insert("command_id".into(), Value::String(command_id.clone()));
                }
                (body, ActionStatus::Pending, None)
            }
            Err(reason) => (Map::new(), ActionStatus::Failed, Some(reason)),
        };
        let effect = ActionEffect::of(action.name, &body);
        let text = (status == ActionStatus::Pending)
            .then(|| serde_json::to_string(&body).unwrap_or_default());
        self.store().insert_action(&NewAction {
            // The derived id names the planned command even where Telnyx takes none.
            id: &command_id,
            origin: Origin::Automation,
            action: action.name,
            command_id: accepts_command_id.then_some(command_id.as_str()),
            rule: Some(&rule),
            trigger: Some(trigger),
            body: text.as_deref(),
            effect: effect.as_ref(),
            status,
            error: error.as_deref(),
            operator: None,
            now,
        })
    }

    fn log_planning(&self, event_id: &str, outcome: &'static str, detail: String) {
        self.log.log(LogLine {
            level: "info",
            msg: "automations",
            event_id: Some(event_id.to_owned()),
            outcome: Some(outcome),
            detail: Some(detail),
            ..LogLine::default()
        });
    }
}
