//! The call-state reducer: a call's events, folded in `occurred_at` order, give its state.
//! Actions sent through this worker add what no webhook reports (noise suppression, the
//! supervisor role, a refer's address), at the instant they were sent.
//!
//! Folding sorts first and drops repeated event ids, so neither delivery order nor
//! duplicate delivery can change the result.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::call_status::CallStatus;
use super::envelope::{EventKind, EventRecord};
use super::forward::ForwardRecord;
use super::legs::{DialOrigin, DialedLeg, LegEntry, LegReport, SupervisorEntry};
use super::time::Instant;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReferStatus {
    Started,
    Completed,
    Failed,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferState {
    pub status: ReferStatus,
    pub sip_notify_response: Option<i64>,
    /// Known only from a `refer` action sent through this worker.
    pub sip_address: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SiprecStatus {
    Started,
    Stopped,
    Failed,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiprecState {
    pub status: SiprecStatus,
    pub failure_cause: Option<String>,
    pub hangup_cause: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SuppressionStatus {
    Active,
    Stopped,
}

/// Telnyx sends no webhook for noise suppression; it follows successful actions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoiseSuppression {
    pub status: SuppressionStatus,
    pub direction: Option<String>,
    pub engine: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ActionStatus {
    Succeeded,
    Failed,
    Pending,
}

/// One Call Control action sent for the call, and how it ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionRecord {
    pub action: String,
    pub command_id: Option<String>,
    pub status: ActionStatus,
    pub http_status: Option<u16>,
    pub error: Option<String>,
    pub rule: Option<String>,
    /// The operator who asked for it (an Access identity or `admin-token`); `None` for
    /// a rule's.
    #[serde(default)]
    pub by: Option<String>,
    pub at: String,
}

/// What a successful action tells about the call that no webhook will.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ActionEffect {
    NoiseSuppression {
        status: SuppressionStatus,
        direction: Option<String>,
        engine: Option<String>,
    },
    SupervisorRole {
        role: String,
    },
    ClientState {
        client_state: String,
    },
    Refer {
        sip_address: String,
    },
    /// A Dial started the call: what its answer and body tell, before any webhook.
    Dialed(Box<DialedLeg>),
}

impl ActionEffect {
    /// The effect of `action` sent with `body`, once Telnyx accepts it.
    pub fn of(action: &str, body: &serde_json::Map<String, serde_json::Value>) -> Option<Self> {
        let text = |name: &str| body.get(name).and_then(|v| v.as_str()).map(str::to_owned);
        match action {
            "suppression_start" => Some(ActionEffect::NoiseSuppression {
                status: SuppressionStatus::Active,
                // The spec's defaults, as Telnyx applies them.
                direction: text("direction").or(Some("inbound".into())),
                engine: text("noise_suppression_engine").or(Some("Denoiser".into())),
            }),
            "suppression_stop" => Some(ActionEffect::NoiseSuppression {
                status: SuppressionStatus::Stopped,
                direction: None,
                engine: None,
            }),
            "switch_supervisor_role" => Some(ActionEffect::SupervisorRole {
                role: text("role")?,
            }),
            "client_state_update" => Some(ActionEffect::ClientState {
                client_state: text("client_state")?,
            }),
            "refer" => Some(ActionEffect::Refer {
                sip_address: text("sip_address")?,
            }),
            _ => None,
        }
    }
}

/// An action the call's object recorded: its current status, and what it does to the
/// call once Telnyx accepts it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredAction {
    pub id: String,
    /// When it was planned or requested; its effect takes its place in the timeline
    /// here, before any webhook the action causes.
    pub started_at: Instant,
    pub record: ActionRecord,
    pub effect: Option<ActionEffect>,
    /// The event that set off the automation which planned it.
    pub trigger: Option<String>,
}

/// Which actions' effects a fold counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effects {
    /// Only what Telnyx accepted: the state the operator API shows.
    Succeeded,
    /// Also what is planned and not yet answered: the state rules are planned against,
    /// so an event sees what the actions before it will do.
    Planned,
}

impl Effects {
    fn counts(self, status: ActionStatus) -> bool {
        match status {
            ActionStatus::Succeeded => true,
            ActionStatus::Pending => self == Effects::Planned,
            ActionStatus::Failed => false,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventSummary {
    pub id: String,
    pub event_type: String,
    pub occurred_at: String,
}

/// The state JSON of `GET /calls/{call_control_id}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallState {
    pub call_control_id: String,
    pub call_leg_id: Option<String>,
    pub call_session_id: Option<String>,
    pub connection_id: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub status: CallStatus,
    pub hangup_cause: Option<String>,
    pub client_state: Option<String>,
    pub refer: Option<ReferState>,
    pub siprec: Option<SiprecState>,
    pub noise_suppression: Option<NoiseSuppression>,
    pub supervisor_role: Option<String>,
    pub events: Vec<EventSummary>,
    pub actions: Vec<ActionRecord>,
    /// Deliveries to the forwarding URLs; kept by the call's object beside the fold.
    #[serde(default)]
    pub forwards: Vec<ForwardRecord>,
    /// How the worker started the call (`null`: Telnyx did, as for an inbound call).
    #[serde(default, skip_deserializing)]
    pub origin: Option<DialOrigin>,
    /// On a supervisor leg, the call it supervises.
    #[serde(default)]
    pub supervising: Option<String>,
    /// The supervisor legs on this call, as they report themselves; kept by the call's
    /// object beside the fold.
    #[serde(default, skip_deserializing)]
    pub supervisors: Vec<SupervisorEntry>,
    /// The other calls of its session, likewise.
    #[serde(default, skip_deserializing)]
    pub legs: Vec<LegEntry>,
    pub updated_at: Option<String>,
    /// `incoming` or `outgoing`, from the events (or `outgoing` for a dialed leg).
    #[serde(skip)]
    pub direction: Option<String>,
    /// The operator whose Dial started this call; not the caller of a Dial it sent.
    #[serde(skip)]
    pub dialed_by: Option<String>,
}

impl CallState {
    /// The state as rule conditions read it (`state.refer.status`): the operator API's
    /// JSON.
    pub fn to_json_value(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }

    /// What this call tells the calls that show it, as of its change `version`.
    pub fn report(&self, version: i64) -> LegReport {
        LegReport {
            call_control_id: self.call_control_id.clone(),
            dialing: self.events.is_empty(),
            status: self.status,
            role: self.supervisor_role.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            by: self.dialed_by.clone(),
            version,
            at: self.updated_at.clone().unwrap_or_default(),
        }
    }

    fn new(call_control_id: String) -> Self {
        Self {
            call_control_id,
            call_leg_id: None,
            call_session_id: None,
            connection_id: None,
            from: None,
            to: None,
            // Any event of a call means the call was at least initiated.
            status: CallStatus::Initiated,
            hangup_cause: None,
            client_state: None,
            refer: None,
            siprec: None,
            noise_suppression: None,
            supervisor_role: None,
            events: Vec::new(),
            actions: Vec::new(),
            forwards: Vec::new(),
            origin: None,
            supervising: None,
            supervisors: Vec::new(),
            legs: Vec::new(),
            updated_at: None,
            direction: None,
            dialed_by: None,
        }
    }

    fn apply(&mut self, event: EventRecord) {
        overwrite(&mut self.call_leg_id, event.call_leg_id);
        overwrite(&mut self.call_session_id, event.call_session_id);
        overwrite(&mut self.connection_id, event.connection_id);
        overwrite(&mut self.from, event.from);
        overwrite(&mut self.to, event.to);
        overwrite(&mut self.direction, event.direction);
        if let Some(client_state) = event.client_state {
            self.client_state = client_state;
        }
        let kind = EventKind::of(&event.event_type);
        match kind {
            EventKind::CallInitiated => self.set_status(CallStatus::Initiated),
            EventKind::CallAnswered => self.set_status(CallStatus::Answered),
            EventKind::CallBridged => self.set_status(CallStatus::Bridged),
            EventKind::CallHangup => {
                self.set_status(CallStatus::Hangup);
                self.hangup_cause = event.hangup_cause;
            }
            EventKind::ReferStarted | EventKind::ReferCompleted | EventKind::ReferFailed => {
                let status = match kind {
                    EventKind::ReferStarted => ReferStatus::Started,
                    EventKind::ReferCompleted => ReferStatus::Completed,
                    _ => ReferStatus::Failed,
                };
                let sip_address = self.refer.take().and_then(|r| r.sip_address);
                self.refer = Some(ReferState {
                    status,
                    sip_notify_response: event.sip_notify_response,
                    sip_address,
                });
            }
            EventKind::SiprecStarted => {
                self.siprec = Some(siprec(SiprecStatus::Started, None, None))
            }
            EventKind::SiprecStopped => {
                self.siprec = Some(siprec(SiprecStatus::Stopped, None, event.hangup_cause));
            }
            EventKind::SiprecFailed => {
                self.siprec = Some(siprec(SiprecStatus::Failed, event.failure_cause, None));
            }
            EventKind::DtmfReceived | EventKind::Other => {}
        }
        self.events.push(EventSummary {
            id: event.id,
            event_type: event.event_type,
            occurred_at: event.occurred_at,
        });
    }

    fn apply_effect(&mut self, effect: ActionEffect) {
        match effect {
            ActionEffect::NoiseSuppression {
                status,
                direction,
                engine,
            } => {
                // A stop names no direction or engine: the stopped one keeps them.
                let previous = self.noise_suppression.take();
                let keep = |new: Option<String>, old: Option<String>| new.or(old);
                let (old_direction, old_engine) =
                    previous.map_or((None, None), |p| (p.direction, p.engine));
                self.noise_suppression = Some(NoiseSuppression {
                    status,
                    direction: keep(direction, old_direction),
                    engine: keep(engine, old_engine),
                });
            }
            ActionEffect::SupervisorRole { role } => self.supervisor_role = Some(role),
            ActionEffect::ClientState { client_state } => self.client_state = Some(client_state),
            // Accepted by Telnyx: the refer has started; its webhooks follow.
            ActionEffect::Refer { sip_address } => {
                self.refer = Some(ReferState {
                    status: ReferStatus::Started,
                    sip_notify_response: None,
                    sip_address: Some(sip_address),
                });
            }
            // Before the leg's own webhooks, which tell the same or newer.
            ActionEffect::Dialed(leg) => {
                let keep = |slot: &mut Option<String>, value: Option<String>| {
                    if slot.is_none() {
                        *slot = value;
                    }
                };
                keep(&mut self.call_leg_id, leg.call_leg_id);
                keep(&mut self.call_session_id, leg.call_session_id);
                keep(&mut self.connection_id, leg.connection_id);
                keep(&mut self.from, leg.from);
                keep(&mut self.to, leg.to);
                keep(&mut self.client_state, leg.client_state);
                keep(&mut self.direction, Some("outgoing".to_owned()));
                keep(&mut self.supervisor_role, leg.role);
                self.origin = Some(leg.origin);
                self.supervising = leg.supervising;
            }
        }
    }

    /// A hung-up call stays hung up, whatever a skewed clock says came after.
    fn set_status(&mut self, status: CallStatus) {
        if self.status != CallStatus::Hangup {
            self.status = status;
        }
    }
}

fn siprec(
    status: SiprecStatus,
    failure_cause: Option<String>,
    hangup_cause: Option<String>,
) -> SiprecState {
    SiprecState {
        status,
        failure_cause,
        hangup_cause,
    }
}

/// Identifiers and numbers only ever gain a value; an event lacking one keeps the last.
fn overwrite(slot: &mut Option<String>, value: Option<String>) {
    if value.is_some() {
        *slot = value;
    }
}

/// Breaks ties between events stamped with the same instant in the order calls progress.
fn progress_rank(kind: EventKind) -> u8 {
    match kind {
        EventKind::CallInitiated => 0,
        EventKind::CallAnswered => 1,
        EventKind::CallBridged => 2,
        EventKind::ReferStarted | EventKind::SiprecStarted => 3,
        EventKind::DtmfReceived | EventKind::Other => 4,
        EventKind::ReferCompleted
        | EventKind::ReferFailed
        | EventKind::SiprecStopped
        | EventKind::SiprecFailed => 5,
        EventKind::CallHangup => 6,
    }
}

/// Folds one call's events and its actions (in the order they were recorded) into its
/// state; `None` when there are no events (a call is known from its webhooks).
pub fn fold(
    mut events: Vec<EventRecord>,
    actions: Vec<StoredAction>,
    effects: Effects,
) -> Option<CallState> {
    // The order is total (it ends with the id), so an unstable sort is deterministic.
    events.sort_unstable_by(timeline_order);
    // A repeated id is kept once, the first in timeline order.
    let first_of_id: Vec<bool> = {
        let mut seen = HashSet::with_capacity(events.len());
        events
            .iter()
            .map(|event| seen.insert(event.id.as_str()))
            .collect()
    };
    let mut first_of_id = first_of_id.into_iter();
    events.retain(|_| first_of_id.next().unwrap_or(false));
    // A call is known from its webhooks, or from the Dial that started it.
    let (call_control_id, mut newest) = match events.first() {
        Some(first) => (first.call_control_id.clone(), first.at),
        None => actions.iter().find_map(|action| match &action.effect {
            Some(ActionEffect::Dialed(leg)) if effects.counts(action.record.status) => {
                Some((leg.call_control_id.clone(), action.started_at))
            }
            _ => None,
        })?,
    };
    let mut state = CallState::new(call_control_id);

    let mut timed = Vec::new();
    let mut records = Vec::with_capacity(actions.len());
    for action in actions {
        if let Some(effect) = action
            .effect
            .filter(|_| effects.counts(action.record.status))
        {
            if matches!(effect, ActionEffect::Dialed(_)) {
                state.dialed_by.clone_from(&action.record.by);
            }
            timed.push((action.started_at, effect));
        }
        records.push(action.record);
    }
    // Stable: effects of one instant apply in the order their actions were recorded.
    timed.sort_by_key(|(at, _)| *at);
    let mut timed = timed.into_iter().peekable();
    for event in events {
        // An effect applies before events of the same instant: the command came first.
        while let Some((_, effect)) = timed.next_if(|(at, _)| *at <= event.at) {
            state.apply_effect(effect);
        }
        newest = newest.max(event.at);
        state.apply(event);
    }
    timed.for_each(|(_, effect)| state.apply_effect(effect));
    // The newest event's time, unless an action was recorded later.
    state.updated_at = state.events.last().map(|event| event.occurred_at.clone());
    for record in &records {
        if let Some(at) = Instant::parse_rfc3339(&record.at) {
            if at > newest {
                newest = at;
                state.updated_at = Some(record.at.clone());
            }
        }
    }
    state.actions = records;
    Some(state)
}

/// The order events took place in: `occurred_at`, then how calls progress, then id.
fn timeline_order(a: &EventRecord, b: &EventRecord) -> std::cmp::Ordering {
    a.at.cmp(&b.at)
        .then_with(|| progress_rank(a.kind()).cmp(&progress_rank(b.kind())))
        .then_with(|| a.id.cmp(&b.id))
}

/// The call state just before `event`, as rules see it: the events that came earlier
/// in the timeline, whatever order they were delivered in, and every action recorded
/// so far with its planned effect.
pub fn fold_before(
    mut events: Vec<EventRecord>,
    actions: Vec<StoredAction>,
    event: &EventRecord,
) -> Option<CallState> {
    events.retain(|earlier| timeline_order(earlier, event).is_lt());
    fold(events, actions, Effects::Planned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::Instant;
    use serde_json::json;

    #[test]
    fn effects_keep_their_stored_format() {
        let stored = [
            json!({"kind": "noise_suppression", "status": "active", "direction": "inbound",
                "engine": null}),
            json!({"kind": "supervisor_role", "role": "barge"}),
            json!({"kind": "client_state", "client_state": "c3RhbXBlZA=="}),
            json!({"kind": "refer", "sip_address": "sip:a@b.example"}),
            json!({"kind": "dialed", "call_control_id": "v3:leg", "call_leg_id": "leg-1",
                "call_session_id": null, "connection_id": "c1", "from": "+1312",
                "to": "sip:sup@pbx.example", "client_state": null,
                "origin": {"action": "dial", "by": "rule", "rule": "supervise",
                    "call_control_id": "v3:call"},
                "supervising": "v3:call", "role": "monitor"}),
        ];
        for value in stored {
            let effect: ActionEffect = serde_json::from_value(value.clone()).unwrap();
            assert_eq!(serde_json::to_value(&effect).unwrap(), value);
        }
        let dialed = dialed(1).effect.unwrap();
        let stored = serde_json::to_string(&dialed).unwrap();
        assert_eq!(
            serde_json::from_str::<ActionEffect>(&stored).unwrap(),
            dialed
        );
        let unknown = serde_json::from_value::<ActionEffect>(json!({"kind": "barge"}));
        assert!(unknown.unwrap_err().to_string().contains("unknown variant"));
    }

    fn event(id: &str, event_type: &str, secs: i64) -> EventRecord {
        EventRecord {
            id: id.into(),
            event_type: event_type.into(),
            occurred_at: Instant::from_unix_secs(secs).to_rfc3339(),
            at: Instant::from_unix_secs(secs),
            call_control_id: "v3:call".into(),
            call_leg_id: None,
            call_session_id: None,
            connection_id: None,
            from: None,
            to: None,
            client_state: None,
            hangup_cause: None,
            sip_notify_response: None,
            failure_cause: None,
            direction: None,
        }
    }

    fn fold_events(events: Vec<EventRecord>) -> Option<CallState> {
        fold(events, Vec::new(), Effects::Succeeded)
    }

    /// An action planned at `secs`, its status recorded a second later (unless pending).
    fn action(
        id: &str,
        secs: i64,
        status: ActionStatus,
        effect: Option<ActionEffect>,
    ) -> StoredAction {
        let answered = status != ActionStatus::Pending;
        StoredAction {
            id: id.into(),
            started_at: Instant::from_unix_secs(secs),
            record: ActionRecord {
                action: "test".into(),
                command_id: Some(format!("cmd-{id}")),
                status,
                http_status: answered.then_some(200),
                error: None,
                rule: None,
                by: None,
                at: Instant::from_unix_secs(secs + i64::from(answered)).to_rfc3339(),
            },
            effect,
            trigger: None,
        }
    }

    fn suppression(status: SuppressionStatus, direction: Option<&str>) -> Option<ActionEffect> {
        Some(ActionEffect::NoiseSuppression {
            status,
            direction: direction.map(str::to_owned),
            engine: direction.map(|_| "Denoiser".to_owned()),
        })
    }

    #[test]
    fn actions_are_listed_in_the_order_they_were_recorded() {
        let actions = vec![
            action("a", 3, ActionStatus::Failed, None),
            action("b", 5, ActionStatus::Succeeded, None),
            action("c", 7, ActionStatus::Pending, None),
        ];
        let state = fold(
            vec![event("1", "call.answered", 1)],
            actions,
            Effects::Succeeded,
        )
        .unwrap();
        let statuses: Vec<_> = state
            .actions
            .iter()
            .map(|a| (a.command_id.clone().unwrap(), a.status))
            .collect();
        assert_eq!(
            statuses,
            [
                ("cmd-a".to_owned(), ActionStatus::Failed),
                ("cmd-b".to_owned(), ActionStatus::Succeeded),
                ("cmd-c".to_owned(), ActionStatus::Pending),
            ]
        );
        assert_eq!(
            state.updated_at,
            Some(Instant::from_unix_secs(7).to_rfc3339())
        );
    }

    #[test]
    fn only_successful_actions_change_derived_state() {
        let role = |r: &str| Some(ActionEffect::SupervisorRole { role: r.into() });
        let actions = vec![
            action("a", 2, ActionStatus::Succeeded, role("barge")),
            action("b", 3, ActionStatus::Failed, role("monitor")),
            action("c", 4, ActionStatus::Pending, role("whisper")),
            action(
                "d",
                5,
                ActionStatus::Succeeded,
                suppression(SuppressionStatus::Active, Some("both")),
            ),
            action(
                "e",
                6,
                ActionStatus::Succeeded,
                suppression(SuppressionStatus::Stopped, None),
            ),
        ];
        let events = vec![event("1", "call.answered", 1)];
        let state = fold(events.clone(), actions.clone(), Effects::Succeeded).unwrap();
        assert_eq!(state.supervisor_role.as_deref(), Some("barge"));
        let planned = fold(events, actions, Effects::Planned).unwrap();
        assert_eq!(
            planned.supervisor_role.as_deref(),
            Some("whisper"),
            "rules see what is planned"
        );
        assert_eq!(
            state.noise_suppression,
            Some(NoiseSuppression {
                status: SuppressionStatus::Stopped,
                direction: Some("both".into()),
                engine: Some("Denoiser".into()),
            })
        );
    }

    #[test]
    fn a_refer_action_gives_the_address_and_its_webhooks_the_status() {
        let refer = Some(ActionEffect::Refer {
            sip_address: "sip:a@b".into(),
        });
        let completed = EventRecord {
            sip_notify_response: Some(200),
            ..event("3", "call.refer.completed", 30)
        };
        let state = fold(
            vec![event("1", "call.answered", 10), completed],
            vec![action("r", 20, ActionStatus::Succeeded, refer.clone())],
            Effects::Succeeded,
        )
        .unwrap();
        let expected = ReferState {
            status: ReferStatus::Completed,
            sip_notify_response: Some(200),
            sip_address: Some("sip:a@b".into()),
        };
        assert_eq!(state.refer, Some(expected));

        let before_webhooks = fold(
            vec![event("1", "call.answered", 10)],
            vec![action("r", 20, ActionStatus::Succeeded, refer)],
            Effects::Succeeded,
        )
        .unwrap();
        assert_eq!(before_webhooks.refer.unwrap().status, ReferStatus::Started);
    }

    #[test]
    fn client_state_follows_whichever_came_last_of_event_and_update() {
        let update = Some(ActionEffect::ClientState {
            client_state: "bmV3".into(),
        });
        let carrying = |id: &str, secs, cs: &str| EventRecord {
            client_state: Some(Some(cs.into())),
            ..event(id, "call.dtmf.received", secs)
        };
        let events = vec![carrying("1", 10, "b2xk"), carrying("2", 30, "bGF0ZXI=")];
        let update_between = vec![action("u", 20, ActionStatus::Succeeded, update.clone())];
        let state = fold(events.clone(), update_between, Effects::Succeeded).unwrap();
        assert_eq!(state.client_state.as_deref(), Some("bGF0ZXI="));
        let update_after = vec![action("u", 40, ActionStatus::Succeeded, update)];
        assert_eq!(
            fold(events, update_after, Effects::Succeeded)
                .unwrap()
                .client_state
                .as_deref(),
            Some("bmV3")
        );
    }

    #[test]
    fn actions_without_events_make_no_call() {
        assert_eq!(
            fold(
                Vec::new(),
                vec![action("a", 1, ActionStatus::Pending, None)],
                Effects::Succeeded
            ),
            None
        );
    }

    fn ids(state: &CallState) -> Vec<&str> {
        state.events.iter().map(|e| e.id.as_str()).collect()
    }

    #[test]
    fn no_events_no_state() {
        assert_eq!(fold(Vec::new(), Vec::new(), Effects::Succeeded), None);
    }

    #[test]
    fn lifecycle_follows_occurred_at_not_arrival() {
        let hangup = EventRecord {
            hangup_cause: Some("normal_clearing".into()),
            ..event("4", "call.hangup", 40)
        };
        let arrivals = vec![
            hangup,
            event("2", "call.answered", 20),
            event("1", "call.initiated", 10),
            event("3", "call.bridged", 30),
        ];
        let state = fold_events(arrivals).unwrap();
        assert_eq!(state.status, CallStatus::Hangup);
        assert_eq!(state.hangup_cause.as_deref(), Some("normal_clearing"));
        assert_eq!(ids(&state), ["1", "2", "3", "4"]);
        assert_eq!(
            state.updated_at,
            Some(Instant::from_unix_secs(40).to_rfc3339())
        );
    }

    #[test]
    fn a_late_refer_started_does_not_undo_completed() {
        let completed = EventRecord {
            sip_notify_response: Some(200),
            ..event("b", "call.refer.completed", 20)
        };
        let started = EventRecord {
            sip_notify_response: Some(100),
            ..event("a", "call.refer.started", 10)
        };
        let refer = fold_events(vec![completed, started])
            .unwrap()
            .refer
            .unwrap();
        assert_eq!(refer.status, ReferStatus::Completed);
        assert_eq!(refer.sip_notify_response, Some(200));
        assert_eq!(refer.sip_address, None);
    }

    #[test]
    fn a_new_refer_after_a_failure_starts_again() {
        let state = fold_events(vec![
            event("1", "call.refer.started", 1),
            event("2", "call.refer.failed", 2),
            event("3", "call.refer.started", 3),
        ])
        .unwrap();
        assert_eq!(state.refer.unwrap().status, ReferStatus::Started);
    }

    #[test]
    fn siprec_keeps_the_cause_of_its_last_outcome() {
        let failed = EventRecord {
            failure_cause: Some("no_answer".into()),
            ..event("1", "siprec.failed", 1)
        };
        let state = fold_events(vec![failed.clone()]).unwrap();
        assert_eq!(
            state.siprec,
            Some(siprec(SiprecStatus::Failed, Some("no_answer".into()), None))
        );
        let stopped = EventRecord {
            hangup_cause: Some("normal_clearing".into()),
            ..event("3", "siprec.stopped", 3)
        };
        let state = fold_events(vec![stopped, failed, event("2", "siprec.started", 2)]).unwrap();
        assert_eq!(
            state.siprec,
            Some(siprec(
                SiprecStatus::Stopped,
                None,
                Some("normal_clearing".into())
            ))
        );
        assert_eq!(
            state.hangup_cause, None,
            "a SIPREC stop is not a call hangup"
        );
    }

    #[test]
    fn client_state_follows_the_newest_event_that_carries_it() {
        let with = |id: &str, secs, cs: Option<Option<&str>>| EventRecord {
            client_state: cs.map(|c| c.map(str::to_owned)),
            ..event(id, "call.dtmf.received", secs)
        };
        let state = fold_events(vec![
            with("3", 3, None),
            with("2", 2, Some(Some("b2xk"))),
            with("1", 1, Some(None)),
        ])
        .unwrap();
        assert_eq!(state.client_state.as_deref(), Some("b2xk"));
        let state = fold_events(vec![
            with("1", 1, Some(Some("b2xk"))),
            with("2", 2, Some(None)),
        ])
        .unwrap();
        assert_eq!(state.client_state, None);
    }

    #[test]
    fn hangup_is_final_even_against_a_skewed_clock() {
        let state = fold_events(vec![
            event("1", "call.hangup", 1),
            event("2", "call.answered", 2),
        ])
        .unwrap();
        assert_eq!(state.status, CallStatus::Hangup);
    }

    #[test]
    fn unknown_events_are_listed_but_change_nothing() {
        let known = fold_events(vec![event("1", "call.answered", 1)]).unwrap();
        let with_unknown = fold_events(vec![
            event("1", "call.answered", 1),
            event("2", "call.playback.started", 2),
        ])
        .unwrap();
        assert_eq!(with_unknown.status, known.status);
        assert_eq!(with_unknown.events.len(), 2);
    }

    #[test]
    fn duplicates_and_permutations_fold_to_the_same_state() {
        let events = vec![
            event("1", "call.initiated", 1),
            event("2", "call.answered", 2),
            event("3", "call.refer.started", 3),
            event("4", "call.refer.completed", 4),
            event("5", "call.hangup", 5),
        ];
        let expected = fold_events(events.clone()).unwrap();
        let mut shuffled = events.clone();
        shuffled.reverse();
        shuffled.extend(events[1..3].iter().cloned());
        shuffled.rotate_left(2);
        assert_eq!(fold_events(shuffled).unwrap(), expected);
    }

    #[test]
    fn simultaneous_events_order_by_progress() {
        let state = fold_events(vec![
            event("z", "call.hangup", 5),
            event("y", "call.answered", 5),
            event("x", "call.initiated", 5),
        ])
        .unwrap();
        assert_eq!(ids(&state), ["x", "y", "z"]);
    }

    #[test]
    fn conditions_see_the_same_json_as_the_operator_api() {
        let state = fold_events(vec![
            event("1", "call.initiated", 1),
            event("2", "call.answered", 2),
            event("3", "call.refer.completed", 3),
            event("4", "siprec.failed", 4),
        ])
        .unwrap();
        assert_eq!(state.to_json_value(), serde_json::to_value(&state).unwrap());
        assert_eq!(state.to_json_value()["refer"]["status"], "completed");
    }

    #[test]
    fn serializes_to_the_documented_shape() {
        let state = fold_events(vec![event("1", "call.initiated", 1)]).unwrap();
        let json = serde_json::to_value(&state).unwrap();
        let keys: Vec<&str> = json
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut expected = vec![
            "call_control_id",
            "call_leg_id",
            "call_session_id",
            "connection_id",
            "from",
            "to",
            "status",
            "hangup_cause",
            "client_state",
            "refer",
            "siprec",
            "noise_suppression",
            "supervisor_role",
            "events",
            "actions",
            "forwards",
            "origin",
            "supervising",
            "supervisors",
            "legs",
            "updated_at",
        ];
        expected.sort_unstable();
        assert_eq!(keys, expected);
        assert_eq!(json["status"], "initiated");
        assert_eq!(json["refer"], serde_json::Value::Null);
    }

    fn dialed(secs: i64) -> StoredAction {
        let body = json!({"to": "sip:sup@pbx.example", "from": "+13125550199",
            "connection_id": "c1", "supervise_call_control_id": "v3:parent",
            "supervisor_role": "monitor", "client_state": "c3Vw"});
        let answer = json!({"data": {"call_control_id": "v3:call", "call_leg_id": "leg-1",
            "call_session_id": "session-1"}});
        let leg = DialedLeg::of(
            body.as_object().unwrap(),
            &answer.to_string(),
            DialOrigin::operator(),
        );
        StoredAction {
            effect: Some(ActionEffect::Dialed(Box::new(leg.unwrap()))),
            ..action("dial", secs, ActionStatus::Succeeded, None)
        }
    }

    #[test]
    fn a_dialed_leg_is_a_call_before_its_first_webhook() {
        let state = fold(Vec::new(), vec![dialed(1)], Effects::Succeeded).unwrap();
        assert_eq!(state.call_control_id, "v3:call");
        assert_eq!(state.status, CallStatus::Initiated);
        assert_eq!(state.to.as_deref(), Some("sip:sup@pbx.example"));
        assert_eq!(state.call_session_id.as_deref(), Some("session-1"));
        assert_eq!(state.supervising.as_deref(), Some("v3:parent"));
        assert_eq!(state.supervisor_role.as_deref(), Some("monitor"));
        assert_eq!(state.direction.as_deref(), Some("outgoing"));
        let json = serde_json::to_value(&state).unwrap();
        assert_eq!(json["origin"], json!({"action": "dial", "by": "operator"}));
        assert_eq!(json["actions"].as_array().unwrap().len(), 1);
        // The leg's webhooks then tell the rest, and what they carry wins.
        let mut answered = event("e1", "call.answered", 5);
        answered.to = Some("sip:sup@10.0.0.1".into());
        let state = fold(vec![answered], vec![dialed(1)], Effects::Succeeded).unwrap();
        assert_eq!(state.status, CallStatus::Answered);
        assert_eq!(state.to.as_deref(), Some("sip:sup@10.0.0.1"));
        assert_eq!(state.supervising.as_deref(), Some("v3:parent"));
        // Who dialed it is the registration's operator, not that of a Dial the leg
        // itself sent before its registration landed.
        let own_dial = StoredAction {
            record: ActionRecord {
                action: "dial".into(),
                by: Some("admin-token".into()),
                ..action("own", 1, ActionStatus::Succeeded, None).record
            },
            ..action("own", 1, ActionStatus::Succeeded, None)
        };
        let mut registration = dialed(2);
        registration.record.by = Some("ana@example.com".into());
        let state = fold(Vec::new(), vec![own_dial, registration], Effects::Succeeded).unwrap();
        assert_eq!(state.dialed_by.as_deref(), Some("ana@example.com"));
        // A failed registration record makes no call.
        let failed = StoredAction {
            record: ActionRecord {
                status: ActionStatus::Failed,
                ..dialed(1).record
            },
            ..dialed(1)
        };
        assert_eq!(fold(Vec::new(), vec![failed], Effects::Succeeded), None);
    }

    #[test]
    fn the_state_before_an_event_ignores_it_and_what_came_later_but_keeps_actions() {
        let answered = event("e2", "call.answered", 20);
        let events = vec![
            event("e3", "call.hangup", 30),
            answered.clone(),
            event("e1", "call.initiated", 10),
        ];
        let refer = StoredAction {
            effect: Some(ActionEffect::Refer {
                sip_address: "sip:a@b.example".into(),
            }),
            ..action("a1", 40, ActionStatus::Succeeded, None)
        };
        let before = fold_before(events.clone(), vec![refer], &answered).unwrap();
        assert_eq!(
            before.status,
            CallStatus::Initiated,
            "the later hangup is not counted"
        );
        assert_eq!(before.events.len(), 1);
        assert_eq!(
            before.refer.and_then(|r| r.sip_address).as_deref(),
            Some("sip:a@b.example")
        );
        let first = event("e1", "call.initiated", 10);
        assert_eq!(fold_before(events, vec![], &first), None);
    }
}
