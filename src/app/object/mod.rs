//! The call's object: one per `call_control_id` (the `CALLS` Durable Object namespace,
//! SQLite-backed). It claims each event id once, keeps the call's events and actions,
//! plans automations one event at a time and sends them from its outbox, driven by its
//! alarm. It is the source of truth for a live call. A few objects of the same class
//! take the events that belong to no call ([`loose`]).
//!
//! The object runs one request at a time, but an `await` lets the next one in: every
//! decision that must happen once is one synchronous step over SQL, before any `await`.

mod alarm;
mod dial;
mod forward_rows;
mod forwarding;
mod leg_rows;
mod links;
mod loose;
mod operator;
mod outbox;
mod planning;
mod protocol;
mod rows;
mod stats;
mod stats_rows;
pub mod store;
mod tables;
mod tally;

pub use protocol::{
    action_request, deliver_request, dial_object, dial_request, live_request, loose_object_name,
    loose_request, random_uuid, repeated_dial_request, replay_request, route, session_object,
    state_request, stats_object, stats_object_of, stats_read_request, supervise_request,
    CALL_HEADER, COMMAND_ID_HEADER, NOT_DIALED, OUTCOME_HEADER, SIGNED_AT_HEADER, STATS_SHARDS,
    UNKNOWN_CALL,
};

use std::cell::{Cell, RefCell};
use std::collections::HashSet;

use percent_encoding::percent_decode_str;

use crate::domain::automations::listens_to;
use crate::domain::call_state::{fold, CallState, Effects};
use crate::domain::config::Config;
use crate::domain::envelope::{parse, Delivery, EventKind};
use crate::domain::legs::LegReport;
use crate::domain::problem::Problem;
use crate::domain::time::Instant;
use crate::ports::http::{Request, Response};
use crate::ports::{Clock, LogLine, Logger, Ports, StoreError};
use protocol::{operator_of, replayed_event};
use rows::Arrival;
use rows::Store;
use store::{NewEvent, Role, StoredEvent};
use tables::Tables;

/// How long planning an event waits for the outcome of an action still open, before it
/// plans against that action's expected effect.
pub const PLANNING_WAIT_MS: i64 = 2_000;
/// While an action is out, how often the events waiting on it are looked at.
const PLANNING_TICK_MS: u64 = 100;
/// When an operator action still pending counts as abandoned (its request ended
/// before Telnyx answered): past the operator's whole retry budget.
const OPERATOR_ORPHAN_MS: i64 = 40_000;
/// How long a hung-up call stays quiet before it is archived in KV, so the events that
/// trail a hangup (SIPREC, refers) are in the archive.
pub const ARCHIVE_DELAY_MS: i64 = 60_000;
/// How long after its last change an object keeps the call, then deletes its storage.
pub const RETENTION_MS: i64 = 7 * 24 * 60 * 60 * 1000;
/// The least time between two writes of a call's index entry: KV takes one write a
/// second to a key.
pub const INDEX_INTERVAL_MS: i64 = 1_000;
/// The most streams of a call's states (`GET /calls/{id}/live`) one object keeps open.
pub const MAX_LIVE_STREAMS: usize = 32;
/// The least time between two reports of an object's part of the dashboard's figures.
pub const TALLY_INTERVAL_MS: i64 = 3_500;
/// How long such a report waits for the alarm when the instance, and its timer, is gone.
pub const TALLY_BACKSTOP_MS: i64 = 60_000;
/// How long a change waits for the report that carries it, and a new call for its
/// first index entry: a call's first events come close together, and go in one of each.
pub const GATHER_MS: i64 = 2_000;
/// How long a failed KV write waits before the next try.
const KV_RETRY_MS: i64 = 10_000;

/// What the runtime's alarm is known to be set for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum AlarmKnown {
    /// Not read yet in this instance.
    #[default]
    Unknown,
    At(Option<i64>),
}

/// What an object keeps in memory between requests. A new instance starts from
/// nothing and learns it again from storage.
#[derive(Debug, Default)]
pub struct ObjectMemory {
    role: Cell<Option<Role>>,
    /// The tables a call made so far ([`tables`]), known with the role.
    tables: Cell<Tables>,
    alarm: Cell<AlarmKnown>,
    /// The alarm handler is running; it schedules what requests leave meanwhile.
    alarm_running: Cell<bool>,
    /// Actions with a request out from this instance.
    in_flight: RefCell<HashSet<String>>,
    /// No KV write is tried before this.
    kv_retry_at: Cell<i64>,
    /// When this instance last wrote the call's index entry.
    indexed_at: Cell<Option<i64>>,
    /// The call's first index entry may be unwritten: the tick writes it.
    index_owed: Cell<bool>,
    /// The report mark this instance last reported the call at.
    reported: Cell<Option<i64>>,
    /// This instance told the call's session of it.
    joined: Cell<bool>,
    /// No report or registration is tried before this, after failures in a row.
    links_retry_at: Cell<i64>,
    links_failures: Cell<u32>,
    /// The tally mark this instance last reported the object's contribution at, and when.
    tallied: Cell<Option<i64>>,
    tallied_at: Cell<Option<i64>>,
    /// No report of the contribution is tried before this, after failures in a row.
    tally_retry_at: Cell<i64>,
    tally_failures: Cell<u32>,
    /// When this instance wants its next tick ([`CallObject::tick`]): a timer the
    /// runtime keeps in memory, lost with the instance, unlike the alarm.
    tick_wanted: Cell<Option<i64>>,
    /// The tick a timer is running for.
    tick_scheduled: Cell<Option<i64>>,
    /// A stats object's reports kept since its last fold and their sum (read from
    /// storage once per instance, then kept as reports come).
    stats_pending: RefCell<Option<stats_rows::Pending>>,
    /// The call's events this instance has read, in the order they were accepted: a
    /// stored event never changes, so each fold reads only those accepted since.
    events: RefCell<KeptEvents>,
}

/// A call's events as read so far: every one through the number `through`.
#[derive(Debug, Default)]
struct KeptEvents {
    through: i64,
    events: Vec<StoredEvent>,
}

impl ObjectMemory {
    /// Whether this instance knows of an alarm set (for any time).
    fn alarm_is_set(&self) -> bool {
        matches!(self.alarm.get(), AlarmKnown::At(Some(_)))
    }

    fn forget_storage(&self) {
        self.role.set(None);
        self.events.take();
        self.tables.set(Tables::default());
        self.alarm.set(AlarmKnown::At(None));
        self.forget_tally();
    }

    /// What this instance reported is no guide any more: the marks start again, or
    /// went down.
    fn forget_tally(&self) {
        self.tallied.set(None);
        self.tallied_at.set(None);
    }

    /// The time of a tick the runtime should start a timer for: one is wanted, and no
    /// timer runs for it or earlier. Marks it scheduled.
    pub fn tick_to_schedule(&self) -> Option<i64> {
        let wanted = self.tick_wanted.get()?;
        if self
            .tick_scheduled
            .get()
            .is_some_and(|scheduled| scheduled <= wanted)
        {
            return None;
        }
        self.tick_scheduled.set(Some(wanted));
        Some(wanted)
    }
}

/// A call's state folded from its rows, and its events' arrivals, as of one read.
pub(super) struct Folded {
    pub state: CallState,
    pub arrivals: Vec<Arrival>,
}

/// Everything an object's request or alarm is handled with.
pub struct CallObject<'a, P: Ports> {
    pub config: &'a Config,
    pub storage: &'a P::Storage,
    pub kv: &'a P::Kv,
    pub log: &'a P::Log,
    pub http: &'a P::Http,
    pub clock: &'a P::Clock,
    /// The other objects: a Dial's new leg, the call it supervises, its session.
    pub objects: &'a P::Objects,
    pub memory: &'a ObjectMemory,
}

fn storage_problem() -> Problem {
    Problem::new(
        500,
        "storage_unavailable",
        "the call's storage could not be reached; retry later",
    )
}

impl<P: Ports> CallObject<'_, P> {
    pub async fn handle(&self, request: &Request) -> Response {
        let path = request.path.as_str();
        // An operator's action, Dial or supervise: prepared here, sent below.
        let prepared = match (request.method.as_str(), path) {
            ("POST", route::DELIVER) => return self.deliver(request).await,
            ("POST", route::LOOSE) => return self.deliver_loose(request).await,
            ("GET", route::STATE) => return self.state_response().await,
            ("POST", route::REGISTER) => return self.register(request).await,
            ("POST", route::SUPERVISOR) => {
                return self.receive_report(request, leg_rows::Reports::Supervisors)
            }
            ("POST", route::PEER) => return self.receive_report(request, leg_rows::Reports::Peers),
            ("POST", route::SESSION) => return self.session_report(request).await,
            ("POST", route::STATS_REPORT) => return self.take_stats_report(request),
            ("POST", route::STATS_READ) => return self.read_stats(request),
            ("POST", route::DIAL) => self.prepare_dial(request),
            ("POST", route::SUPERVISE) => self.prepare_supervise(request),
            ("POST", _) if path.starts_with(route::ACTIONS) => {
                self.prepare_action(request, &path[route::ACTIONS.len()..])
            }
            ("POST", _) if replayed_event(path).is_some() => {
                let event_id = replayed_event(path).unwrap_or_default();
                return self
                    .replay_forward(
                        &percent_decode_str(event_id).decode_utf8_lossy(),
                        operator_of(request),
                    )
                    .await;
            }
            _ => return Problem::new(404, "not_found", "no such route").into(),
        };
        self.operate(prepared).await
    }
    fn store(&self) -> Store<'_, P::Storage> {
        Store(self.storage, &self.memory.tables)
    }

    fn now(&self) -> i64 {
        self.clock.now_millis()
    }

    /// Makes sure the object's tables are there for `role` before its first write in
    /// this instance: creates them in a new object (the roles' objects have different
    /// names, so one never takes the other's tables); a new call makes its `events` and
    /// `meta` alone, so the answer to its first webhook waits for no other table. `true`
    /// when the object had stored nothing before.
    fn ensure_role(&self, role: Role) -> Result<bool, StoreError> {
        let stored = self.role()?;
        if stored != Some(role) {
            self.memory.tables.set(self.store().create(role)?);
            self.memory.role.set(Some(role));
        }
        Ok(stored.is_none())
    }

    /// The role its tables are for; `None` when nothing was ever stored. An object an
    /// earlier version stored is brought up to this version's tables when its role is
    /// first read.
    fn role(&self) -> Result<Option<Role>, StoreError> {
        if let Some(role) = self.memory.role.get() {
            return Ok(Some(role));
        }
        let role = match self.store().role()? {
            Some(stored) => {
                if !stored.current {
                    self.store().upgrade(stored.role)?;
                }
                self.memory.tables.set(stored.tables);
                Some(stored.role)
            }
            None => None,
        };
        self.memory.role.set(role);
        Ok(role)
    }

    pub fn log_storage_error(&self, what: &str, error: &StoreError) {
        self.log.log(LogLine {
            level: "error",
            msg: "storage",
            outcome: Some("storage_error"),
            detail: Some(format!("{what}: {error}")),
            ..LogLine::default()
        });
    }

    /// A verified delivery of one of the call's events: claimed and stored in one
    /// synchronous step, then the alarm is set for what it owes. The runtime sends the
    /// answer once the claim is durable.
    async fn deliver(&self, request: &Request) -> Response {
        let delivery = match read_signed(request) {
            Ok(delivery) => delivery,
            Err(problem) => return problem.into(),
        };
        let call = request.header(CALL_HEADER).ok().flatten();
        let Some(record) = delivery
            .record
            .as_ref()
            .filter(|r| Some(r.call_control_id.as_str()) == call)
        else {
            return Problem::new(400, "misrouted", "the event is not this call's").into();
        };
        let needs_plan = match &self.config.automations {
            Ok(rules) => listens_to(rules, &record.event_type),
            // Logged by the Worker with the event; no rule runs.
            Err(_) => false,
        };
        let record_json = match serde_json::to_string(record) {
            Ok(json) => json,
            Err(_) => return Problem::new(500, "internal", "event not serialisable").into(),
        };
        let signed_at = signed_at(request).unwrap_or_default();
        // Parsed as JSON, so it is UTF-8.
        let body = std::str::from_utf8(&request.body).unwrap_or_default();
        let accepted_at = self.now();
        let claimed = self.ensure_role(Role::Call).and_then(|new_object| {
            let seq = self.store().claim(&NewEvent {
                id: &record.id,
                event_type: &record.event_type,
                accepted_at,
                signed_at,
                needs_plan,
                record: &record_json,
                body,
            })?;
            Ok((seq, new_object))
        });
        // Queued in the claim's synchronous step: a duplicate is never forwarded, and
        // counted for the dashboard instead.
        let claimed = claimed.and_then(|(seq, new_object)| {
            let forwarded = match seq {
                Some(_) => self.queue_forwards(&record.id, &record.event_type, body)?,
                None => {
                    self.store().count_duplicate(accepted_at)?;
                    false
                }
            };
            Ok((seq, forwarded, new_object))
        });
        let (seq, forwarded, new_object) = match claimed {
            Ok(claimed) => claimed,
            Err(error) => {
                self.log_storage_error("claim", &error);
                return storage_problem().into();
            }
        };
        // An event a rule listens to and one that changes the call's status (the index
        // entry may be due, and after a hangup the archive) set the alarm for what is due
        // next; so does any event on an instance that does not know it set, as a
        // duplicate in case the first copy's alarm could not be set. The runtime retries
        // alarms, so what they owe cannot be lost. A forwarded event needs the alarm no
        // later than now, which takes no reading of what else is due (and no write when
        // it is set so already, as in a burst). Any other event costs the claim alone.
        let owes = needs_plan
            || matches!(
                record.kind(),
                EventKind::CallInitiated
                    | EventKind::CallAnswered
                    | EventKind::CallBridged
                    | EventKind::CallHangup
            );
        if seq == Some(1) {
            // Written with the call's first report, unless an alarm runs first.
            self.memory.index_owed.set(true);
            if self.memory.alarm.get() == AlarmKnown::Unknown {
                // A new call: the alarm is set for whatever its state says is next, with
                // no read first, so it commits with the claim.
                self.memory.alarm.set(AlarmKnown::At(None));
            }
        }
        // Whatever else is due, the accepted event (or the duplicate) is due in the
        // dashboard's figures within seconds: a tick of this instance reports it, with
        // the alarm only as the backstop. In a new object the event is all there is, so
        // what is due takes no reading: what it owes (and its forwards) now, else the
        // report; the alarm reads the rest when it runs.
        let alarm = if new_object {
            if owes || forwarded {
                self.ensure_alarm(accepted_at).await
            } else {
                self.want_tally_soon().await
            }
        } else if owes || !self.memory.alarm_is_set() {
            self.wake().await
        } else if self.memory.alarm_running.get() {
            Ok(())
        } else if forwarded {
            self.ensure_alarm(accepted_at).await
        } else {
            self.want_tally_soon().await
        };
        if let Err(error) = alarm {
            self.log_storage_error("alarm", &error);
            return storage_problem().into();
        }
        // The outcome is all the answer says.
        let answer = Response::no_content();
        match seq {
            Some(_) => answer.with_header(OUTCOME_HEADER, "accepted"),
            None => answer.with_header(OUTCOME_HEADER, "duplicate"),
        }
    }

    /// The call's state as the operator API shows it, read from this object.
    pub fn state(&self) -> Result<Option<CallState>, StoreError> {
        let Some(mut state) = self.folded()? else {
            return Ok(None);
        };
        let store = self.store();
        state.forwards = store.forwards()?;
        state.supervisors = store
            .reports(leg_rows::Reports::Supervisors)?
            .iter()
            .map(LegReport::supervisor)
            .collect();
        state.legs = store
            .reports(leg_rows::Reports::Peers)?
            .iter()
            .filter(|leg| leg.call_control_id != state.call_control_id)
            .map(LegReport::leg)
            .collect();
        Ok(Some(state))
    }

    /// The call's state from its events and actions alone: without the forwards and the
    /// other legs' reports, which only the operator API shows.
    pub(super) fn folded(&self) -> Result<Option<CallState>, StoreError> {
        Ok(self.folded_call()?.map(|folded| folded.state))
    }

    /// [`Self::folded`], with when each event was accepted, from the same read.
    pub(super) fn folded_call(&self) -> Result<Option<Folded>, StoreError> {
        if self.role()? != Some(Role::Call) {
            return Ok(None);
        }
        let store = self.store();
        let (events, arrivals) = self.events()?.into_iter().map(StoredEvent::split).unzip();
        let actions = store
            .actions()?
            .into_iter()
            .map(|row| row.stored())
            .collect();
        Ok(fold(events, actions, Effects::Succeeded).map(|state| Folded { state, arrivals }))
    }

    /// The call's events in the order they were accepted: those this instance read
    /// before, and those accepted since, read now.
    pub(super) fn events(&self) -> Result<Vec<StoredEvent>, StoreError> {
        let mut kept = self.memory.events.borrow_mut();
        for (seq, event) in self.store().events_after(kept.through)? {
            kept.through = seq;
            kept.events.push(event);
        }
        Ok(kept.events.clone())
    }

    /// The call's state as one Server-Sent Events message (`event: state`), for the
    /// streams of `GET /calls/{id}/live`; `None` before the call's first event.
    pub fn state_frame(&self) -> Result<Option<String>, StoreError> {
        let Some(state) = self.state()? else {
            return Ok(None);
        };
        // Compact JSON holds no line break, so the state is one `data:` line.
        let json = serde_json::to_string(&state).map_err(|_| StoreError::unwritable("state"))?;
        Ok(Some(format!("event: state\ndata: {json}\n\n")))
    }

    async fn state_response(&self) -> Response {
        // A first read in this instance checks the alarm too: `wrangler dev` drops the
        // alarms that fell due while it was stopped.
        if !self.memory.alarm_is_set() {
            if let Err(error) = self.wake().await {
                self.log_storage_error("alarm", &error);
            }
        }
        match self.state() {
            Ok(Some(state)) => match serde_json::to_string(&state) {
                Ok(body) => Response::json(200, body),
                Err(_) => Problem::new(500, "internal", "call state did not serialize").into(),
            },
            Ok(None) => Problem::new(
                404,
                "call_not_found",
                "no event for this call_control_id was ever accepted",
            )
            .into(),
            Err(error) => {
                self.log_storage_error("state", &error);
                storage_problem().into()
            }
        }
    }
}

/// The verified `telnyx-timestamp` the Worker passed on.
fn signed_at(request: &Request) -> Option<i64> {
    request.header(SIGNED_AT_HEADER).ok()??.parse().ok()
}

/// The delivery a request carries, parsed again: the Worker verified it, and only the
/// Worker reaches the object.
fn read_signed(request: &Request) -> Result<Delivery, Problem> {
    let signed_at =
        signed_at(request).ok_or_else(|| Problem::new(400, "misrouted", "no signed time"))?;
    parse(&request.body, Instant::from_unix_secs(signed_at))
        .map_err(|error| Problem::new(400, "invalid_envelope", error.detail).at(error.pointer))
}
