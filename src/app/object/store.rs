//! Every SQL statement a call object runs, over its [`ObjectStorage`]. The tables are
//! `WITHOUT ROWID` with no secondary index, so a row written is one row billed.
//!
//! - `events`: each accepted event of the call, claimed by its id. `needs_plan` is 1
//!   until its automations are planned.
//! - `actions`: each Call Control action, planned by a rule or asked for by an operator,
//!   with its request and where it stands: `pending` until Telnyx's answer (or the
//!   retry table) makes it final. Automation rows are the outbox the alarm sends from.
//! - `meta`: what the object did once: the archive.
//! - `loose_events`: in the objects for events that belong to no call, each claimed id
//!   and, until it is archived in KV, its body.
//! - `forwards` (call and loose roles): each delivery of an event to a forwarding URL,
//!   in order per URL (`forward_rows`).
//! - `dials`, `supervisors`, `peers` (call role) and `members` (session role): how calls
//!   are tied together (`leg_rows`).

use serde::Deserialize;

use super::forward_rows::FORWARD_DUE;
use super::leg_rows::SESSION_SCHEMA;
use super::rows::{rfc3339, Arrival, Store, Text};
use super::stats_rows::STATS_SCHEMA;
use super::tables::{Table, Tables, DUPLICATES_SCHEMA, FORWARDS_SCHEMA, META_SCHEMA};
use crate::domain::call_state::{ActionEffect, ActionRecord, ActionStatus, StoredAction};
use crate::domain::envelope::EventRecord;
use crate::domain::time::Instant;
use crate::ports::{sql_flag, ObjectStorage, SqlParam, StoreError};

/// The call's events: all a new call's first claim needs.
const EVENTS_SCHEMA: &str = "\
    CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, \
     accepted_at INTEGER NOT NULL, signed_at INTEGER NOT NULL, event_type TEXT NOT NULL, \
     needs_plan INTEGER NOT NULL, record TEXT NOT NULL, body TEXT NOT NULL) WITHOUT ROWID";

const LOOSE_SCHEMA: &str = "CREATE TABLE IF NOT EXISTS loose_events (id TEXT PRIMARY KEY, \
     accepted_at INTEGER NOT NULL, body TEXT) WITHOUT ROWID";

/// A `sqlite_master` row's table has `actions.operator`, which objects an earlier
/// version stored lack.
const HAS_OPERATOR: &str = "sql LIKE '%operator TEXT%'";

/// Which of its jobs an object's tables are for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Call,
    Loose,
    /// The legs of one call session (`session/{call_session_id}`).
    Session,
    /// A share of the dashboard's figures (`stats/{n}`).
    Stats,
}

impl Role {
    /// The tables the role's objects have. [`Store::create`] makes them all, but of a
    /// call's only `events` and `meta`: it makes each other at its first write to it
    /// ([`super::tables`]).
    pub fn tables(self) -> &'static [&'static str] {
        match self {
            Role::Call => &[
                "events",
                "actions",
                "meta",
                "supervisors",
                "peers",
                "dials",
                "settled_tally",
                "duplicates",
                "forwards",
            ],
            Role::Loose => &["loose_events", "duplicates", "forwards"],
            Role::Session => &["members"],
            Role::Stats => &["reporters", "minutes", "totals"],
        }
    }
}

/// What an object's tables say of it.
pub struct Stored {
    pub role: Role,
    /// The call's tables it made; all of them for any other role.
    pub tables: Tables,
    /// It has its tables as this version makes them (an object an earlier version
    /// stored may lack newer ones, or `actions.operator`).
    pub current: bool,
}

/// Who asked for an action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Planned by a rule; sent from the outbox by the alarm.
    Automation,
    /// Asked for through the operator API; sent while the operator waits.
    Operator,
}

impl Origin {
    fn as_str(self) -> &'static str {
        match self {
            Origin::Automation => "automation",
            Origin::Operator => "operator",
        }
    }
}

/// The key of `meta` for when the call was archived, in Unix milliseconds.
pub const ARCHIVED: &str = "archived";
/// The key of `meta` for how many status events the index entry written last had seen.
pub const INDEXED_STATUS_EVENTS: &str = "indexed_status_events";

/// The events that can change a call's status (and so its index entry).
const STATUS_EVENTS: &str = "'call.initiated', 'call.answered', 'call.bridged', 'call.hangup'";

/// An event to claim.
pub struct NewEvent<'a> {
    pub id: &'a str,
    /// Canonical spelling.
    pub event_type: &'a str,
    pub accepted_at: i64,
    pub signed_at: i64,
    pub needs_plan: bool,
    /// The [`EventRecord`] as JSON.
    pub record: &'a str,
    pub body: &'a str,
}

/// An accepted event, as stored.
#[derive(Clone, Debug)]
pub struct StoredEvent {
    pub record: EventRecord,
    /// Unix ms.
    pub accepted_at: i64,
}

impl StoredEvent {
    /// The record, for the call's state, and the arrival, for the dashboard.
    pub fn split(self) -> (EventRecord, Arrival) {
        let arrival = Arrival {
            accepted_at: self.accepted_at,
            event_type: self.record.event_type.clone(),
        };
        (self.record, arrival)
    }
}

/// An accepted event whose automations are not planned yet.
#[derive(Clone, Debug, Deserialize)]
pub struct Unplanned {
    pub id: String,
    pub accepted_at: i64,
    pub signed_at: i64,
    pub body: String,
}

/// An action to record.
pub struct NewAction<'a> {
    pub id: &'a str,
    pub origin: Origin,
    pub action: &'a str,
    pub command_id: Option<&'a str>,
    pub rule: Option<&'a str>,
    pub trigger: Option<&'a str>,
    /// The request body, kept while it may be sent; `None` when nothing will be sent.
    pub body: Option<&'a str>,
    pub effect: Option<&'a ActionEffect>,
    pub status: ActionStatus,
    pub error: Option<&'a str>,
    /// Who asked for it; `None` for a rule's.
    pub operator: Option<&'a str>,
    pub now: i64,
}

/// One row of `actions` (`SELECT *`).
#[derive(Clone, Debug, Deserialize)]
pub struct ActionRow {
    pub id: String,
    pub origin: String,
    pub action: String,
    pub command_id: Option<String>,
    pub rule: Option<String>,
    pub trigger: Option<String>,
    pub body: Option<String>,
    pub effect: Option<String>,
    pub started_at: i64,
    pub status: ActionStatus,
    pub http_status: Option<u16>,
    pub error: Option<String>,
    pub at: String,
    pub attempts: u32,
    pub first_attempt_at: Option<i64>,
    pub attempt_started_at: Option<i64>,
    pub next_attempt_at: Option<i64>,
    /// An attempt may have run it (a `5xx`, a timeout, a lost connection).
    #[serde(deserialize_with = "sql_flag")]
    pub ran_maybe: bool,
    /// Who asked for it; `None` for a rule's.
    pub operator: Option<String>,
}

fn missing(column: &str) -> StoreError {
    StoreError(format!("stored row without {column}"))
}

/// An event's record, from its `record` column.
fn read_record(record: &str) -> Result<EventRecord, StoreError> {
    serde_json::from_str::<EventRecord>(record)
        .map_err(|e| StoreError(format!("stored event unreadable: {e}")))
}

impl ActionRow {
    pub fn is_automation(&self) -> bool {
        self.origin == Origin::Automation.as_str()
    }

    /// The action as the call state folds it. An unreadable effect is no effect.
    pub fn stored(self) -> StoredAction {
        StoredAction {
            effect: self
                .effect
                .as_deref()
                .and_then(|json| serde_json::from_slice(json.as_bytes()).ok()),
            started_at: Instant::from_unix_millis(self.started_at),
            record: ActionRecord {
                action: self.action,
                command_id: self.command_id,
                status: self.status,
                http_status: self.http_status,
                error: self.error,
                rule: self.rule,
                by: self.operator,
                at: self.at,
            },
            trigger: self.trigger,
            id: self.id,
        }
    }
}

/// Where the call stands, in one read: what the alarm decides its work and its next
/// time on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub first_accepted: Option<i64>,
    /// When anything last changed: an event accepted or an action recorded.
    pub last_change: Option<i64>,
    pub archived: Option<i64>,
    /// When the first event whose automations are not planned yet was accepted.
    pub unplanned_since: Option<i64>,
    /// Actions whose outcome is open, operator ones included.
    pub pending: u64,
    /// The first open automation action (the head of the outbox) and when it is due
    /// (`None`: an attempt is out, here or in an instance that died with it out).
    pub head: Option<(String, Option<i64>)>,
    /// When the oldest open operator action was asked for.
    pub operator_since: Option<i64>,
    pub hung_up: bool,
    /// How many events that can change the call's status were accepted.
    pub status_events: i64,
    /// How many status events the index entry written last had seen; `None` before
    /// the first is written.
    pub indexed: Option<i64>,
    /// Deliveries to forwarding URLs still open.
    pub forwards_pending: u64,
    /// When the first head of a forwarding queue is due.
    pub forward_due: Option<i64>,
    /// What the call reports of itself may have changed since this grew.
    pub report_mark: i64,
    /// A leg this object dialed is not known to its own object yet.
    pub unregistered_dials: bool,
    /// What the object contributes to the dashboard may have changed since this grew.
    pub tally_mark: i64,
    /// The call's reporter has sent its last report, at the archive
    /// ([`super::tables::SETTLED_SCHEMA`]).
    pub tally_settled: bool,
}

impl Summary {
    /// Nothing planned, sent or forwarded is still open.
    pub fn is_quiet(&self) -> bool {
        self.unplanned_since.is_none() && self.pending == 0 && self.forwards_pending == 0
    }

    /// The call's KV index entry does not show its latest status.
    pub fn index_is_stale(&self) -> bool {
        self.first_accepted.is_some() && self.indexed != Some(self.status_events)
    }
}

/// The one row of [`Store::summary`]'s statement, by its column names.
#[derive(Deserialize)]
struct SummaryRow {
    first_accepted: Option<i64>,
    last_accepted: Option<i64>,
    last_action: Option<i64>,
    last_forward: Option<i64>,
    last_supervisor: Option<i64>,
    last_peer: Option<i64>,
    report_mark: i64,
    #[serde(deserialize_with = "sql_flag")]
    unregistered_dials: bool,
    tally_mark: i64,
    #[serde(deserialize_with = "sql_flag")]
    tally_settled: bool,
    forwards_pending: u64,
    forward_due: Option<i64>,
    archived: Option<i64>,
    unplanned_since: Option<i64>,
    pending: u64,
    head_id: Option<String>,
    head_next: Option<i64>,
    operator_since: Option<i64>,
    #[serde(deserialize_with = "sql_flag")]
    hung_up: bool,
    status_events: i64,
    indexed_status_events: Option<i64>,
}

/// Where a pending action goes after an attempt that did not end it.
pub struct Retry<'a> {
    pub id: &'a str,
    pub at: i64,
    /// The attempt that ended may have run it.
    pub ran_maybe: bool,
    pub http_status: Option<u16>,
    pub error: &'a str,
    pub now: i64,
}

/// The final outcome of an action.
pub struct Outcome<'a> {
    pub id: &'a str,
    pub status: ActionStatus,
    pub http_status: Option<u16>,
    pub error: Option<&'a str>,
    pub now: i64,
}

impl<S: ObjectStorage> Store<'_, S> {
    /// Reads actions: none before the table is made.
    fn action_rows(
        &self,
        sql: &str,
        params: &[SqlParam<'_>],
    ) -> Result<Vec<ActionRow>, StoreError> {
        if !self.has(Table::Actions) {
            return Ok(Vec::new());
        }
        self.0.query(sql, params)
    }

    /// Changes actions recorded before: with no table made, there is none to change.
    fn update_actions(&self, sql: &str, params: &[SqlParam<'_>]) -> Result<(), StoreError> {
        if self.has(Table::Actions) {
            self.0.execute(sql, params)?;
        }
        Ok(())
    }

    /// Where the call stands, in one statement. A table not made yet reads as empty, so
    /// the statement a new call prepares is a small one.
    pub fn summary(&self) -> Result<Summary, StoreError> {
        // Firsts by `MIN(seq)`, not `ORDER BY seq LIMIT 1`: each such subquery opens a
        // sorter, and a few of them made this statement several times slower.
        const OUTBOX_HEAD: &str = "FROM actions WHERE seq = (SELECT MIN(seq) FROM actions \
             WHERE status = 'pending' AND origin = 'automation')";
        let actions = |sql, empty| self.or_empty(Table::Actions, sql, empty);
        let forwards = |sql, empty| self.or_empty(Table::Forwards, sql, empty);
        let meta = |key| {
            if self.has(Table::Meta) {
                format!("(SELECT value FROM meta WHERE key = '{key}')")
            } else {
                "NULL".to_owned()
            }
        };
        let rows = self.0.query(
            &format!(
                "SELECT (SELECT MIN(accepted_at) FROM events) AS first_accepted, \
                 (SELECT MAX(accepted_at) FROM events) AS last_accepted, \
                 {} AS last_action, {} AS last_forward, {} AS last_supervisor, \
                 {} AS last_peer, {} AS report_mark, {} AS tally_mark, \
                 {} AS tally_settled, {} AS unregistered_dials, \
                 {} AS forwards_pending, {} AS forward_due, {} AS archived, \
                 (SELECT accepted_at FROM events WHERE seq = \
                 (SELECT MIN(seq) FROM events WHERE needs_plan = 1)) AS unplanned_since, \
                 {} AS pending, {} AS head_id, {} AS head_next, {} AS operator_since, \
                 EXISTS (SELECT 1 FROM events WHERE event_type = 'call.hangup') AS hung_up, \
                 (SELECT COUNT(*) FROM events WHERE event_type IN ({STATUS_EVENTS})) \
                 AS status_events, {} AS indexed_status_events",
                actions("(SELECT MAX(updated_at) FROM actions)", "NULL"),
                forwards("(SELECT MAX(updated_at) FROM forwards)", "NULL"),
                self.or_empty(
                    Table::Supervisors,
                    "(SELECT MAX(updated_at) FROM supervisors)",
                    "NULL"
                ),
                self.or_empty(Table::Peers, "(SELECT MAX(updated_at) FROM peers)", "NULL"),
                self.report_mark_sql(),
                self.call_mark_sql(),
                self.or_empty(
                    Table::SettledTally,
                    "EXISTS (SELECT 1 FROM settled_tally)",
                    "0"
                ),
                self.or_empty(
                    Table::Dials,
                    "EXISTS (SELECT 1 FROM dials WHERE registered = 0)",
                    "0"
                ),
                forwards(
                    "(SELECT COUNT(*) FROM forwards WHERE status = 'pending')",
                    "0"
                ),
                forwards(FORWARD_DUE, "NULL"),
                meta(ARCHIVED),
                actions(
                    "(SELECT COUNT(*) FROM actions WHERE status = 'pending')",
                    "0"
                ),
                actions(&format!("(SELECT id {OUTBOX_HEAD})"), "NULL"),
                actions(&format!("(SELECT next_attempt_at {OUTBOX_HEAD})"), "NULL"),
                actions(
                    "(SELECT MIN(started_at) FROM actions WHERE status = 'pending' \
                     AND origin = 'operator')",
                    "NULL"
                ),
                meta(INDEXED_STATUS_EVENTS),
            ),
            &[],
        )?;
        let row: SummaryRow = rows.into_iter().next().ok_or_else(|| missing("summary"))?;
        Ok(Summary {
            first_accepted: row.first_accepted,
            last_change: row
                .last_accepted
                .max(row.last_action)
                .max(row.last_forward)
                .max(row.last_supervisor)
                .max(row.last_peer),
            archived: row.archived,
            unplanned_since: row.unplanned_since,
            pending: row.pending,
            head: row.head_id.map(|id| (id, row.head_next)),
            operator_since: row.operator_since,
            hung_up: row.hung_up,
            status_events: row.status_events,
            indexed: row.indexed_status_events,
            forwards_pending: row.forwards_pending,
            forward_due: row.forward_due,
            report_mark: row.report_mark,
            tally_mark: row.tally_mark,
            tally_settled: row.tally_settled,
            unregistered_dials: row.unregistered_dials,
        })
    }

    /// A count that grows whenever what the call reports of itself may have changed:
    /// its status events, its successful role switches and the Dial that started it.
    fn report_mark_sql(&self) -> String {
        let status = format!("(SELECT COUNT(*) FROM events WHERE event_type IN ({STATUS_EVENTS}))");
        if self.has(Table::Actions) {
            format!(
                "({status} + (SELECT COUNT(*) FROM actions WHERE status = 'succeeded' \
                 AND (action = 'switch_supervisor_role' OR id LIKE 'dial/%')))"
            )
        } else {
            status
        }
    }

    /// [`Summary::report_mark`] alone.
    pub fn report_mark(&self) -> Result<i64, StoreError> {
        Ok(self
            .number(&format!("SELECT {} AS n", self.report_mark_sql()), &[])?
            .unwrap_or(0))
    }

    /// What the object's tables say of it, if it has any.
    pub fn role(&self) -> Result<Option<Stored>, StoreError> {
        const OLD_ACTIONS: &str = "actions without operator";
        let tables: Vec<String> = self
            .0
            .query::<Text>(
                &format!(
                    "SELECT name AS text FROM sqlite_master WHERE type = 'table' \
                     UNION ALL SELECT '{OLD_ACTIONS}' FROM sqlite_master \
                     WHERE name = 'actions' AND NOT ({HAS_OPERATOR})"
                ),
                &[],
            )?
            .into_iter()
            .filter_map(|table| table.text)
            .collect();
        let has = |name: &str| tables.iter().any(|table| table == name);
        let role = if has("loose_events") {
            Role::Loose
        } else if has("members") {
            Role::Session
        } else if has("reporters") {
            Role::Stats
        } else if has("events") {
            Role::Call
        } else {
            return Ok(None);
        };
        Ok(Some(match role {
            // A call makes its tables as it needs them; `actions` may need a column.
            Role::Call => Stored {
                role,
                tables: Tables::named(&tables),
                current: !has(OLD_ACTIONS),
            },
            _ => Stored {
                role,
                tables: Tables::ALL,
                current: role.tables().iter().all(|name| has(name)),
            },
        }))
    }

    /// Creates the role's tables that are missing: all of them in a new object, but a
    /// call's `events` and `meta` alone. The tables the object has now.
    pub fn create(&self, role: Role) -> Result<Tables, StoreError> {
        // One script per role: each call to the runtime's SQL crosses into it.
        match role {
            Role::Call => {
                self.0
                    .execute_script(&[EVENTS_SCHEMA, META_SCHEMA].join("; "))?;
                return Ok(Tables::FIRST);
            }
            Role::Loose => self
                .0
                .execute_script(&[LOOSE_SCHEMA, DUPLICATES_SCHEMA, FORWARDS_SCHEMA].join("; "))?,
            // A session forwards nothing, and counts nothing.
            Role::Session => self.0.execute_script(SESSION_SCHEMA)?,
            Role::Stats => self.0.execute_script(STATS_SCHEMA)?,
        }
        Ok(Tables::ALL)
    }

    /// Brings an object an earlier version stored up to this version's tables: a call's
    /// actions say who asked for each; any other role gets the tables it lacks.
    pub fn upgrade(&self, role: Role) -> Result<(), StoreError> {
        match role {
            Role::Call => self
                .0
                .execute_script("ALTER TABLE actions ADD COLUMN operator TEXT"),
            _ => self.create(role).map(drop),
        }
    }

    /// Claims the event's id and stores it, in one statement: its place among the
    /// call's events (from 1) the first time the id is seen, `None` after.
    pub fn claim(&self, event: &NewEvent<'_>) -> Result<Option<i64>, StoreError> {
        self.number(
            "INSERT INTO events (id, seq, accepted_at, signed_at, event_type, needs_plan, \
             record, body) VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM events), ?, ?, ?, \
             ?, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING seq AS n",
            &[
                event.id.into(),
                event.accepted_at.into(),
                event.signed_at.into(),
                event.event_type.into(),
                i64::from(event.needs_plan).into(),
                event.record.into(),
                event.body.into(),
            ],
        )
    }

    /// The call's events accepted after the one numbered `seq` (0 for all), in the
    /// order they were accepted, each with its number. A record this version cannot
    /// read is an error, never silently left out of the state.
    pub fn events_after(&self, seq: i64) -> Result<Vec<(i64, StoredEvent)>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            seq: i64,
            record: String,
            accepted_at: i64,
        }
        let rows = self.0.query::<Row>(
            "SELECT seq, record, accepted_at FROM events WHERE seq > ? ORDER BY seq",
            &[seq.into()],
        )?;
        rows.into_iter()
            .map(|row| {
                let event = StoredEvent {
                    record: read_record(&row.record)?,
                    accepted_at: row.accepted_at,
                };
                Ok((row.seq, event))
            })
            .collect()
    }

    /// The call the object holds, from its first event.
    pub fn call_control_id(&self) -> Result<Option<String>, StoreError> {
        self.text(
            "SELECT json_extract(record, '$.call_control_id') AS text FROM events LIMIT 1",
            &[],
        )
    }

    /// The first accepted event whose automations are not planned yet.
    pub fn first_unplanned(&self) -> Result<Option<Unplanned>, StoreError> {
        let rows = self.0.query(
            "SELECT id, accepted_at, signed_at, body FROM events WHERE needs_plan = 1 \
             ORDER BY seq LIMIT 1",
            &[],
        )?;
        Ok(rows.into_iter().next())
    }

    pub fn mark_planned(&self, event_id: &str) -> Result<(), StoreError> {
        self.0.execute(
            "UPDATE events SET needs_plan = 0 WHERE id = ?",
            &[event_id.into()],
        )?;
        Ok(())
    }

    /// Records an action (with `status` pending when it is still to be sent), after
    /// every action recorded before it.
    pub fn insert_action(&self, action: &NewAction<'_>) -> Result<(), StoreError> {
        let effect = action
            .effect
            .map(serde_json::to_string)
            .transpose()
            .map_err(|_| StoreError::unwritable("effect"))?;
        let status = match action.status {
            ActionStatus::Pending => "pending",
            ActionStatus::Succeeded => "succeeded",
            ActionStatus::Failed => "failed",
        };
        let next_attempt = (action.status == ActionStatus::Pending
            && action.origin == Origin::Automation)
            .then_some(action.now);
        self.make(Table::Actions)?;
        self.0.execute(
            "INSERT INTO actions (id, seq, origin, action, command_id, rule, trigger, body, \
             effect, started_at, status, error, at, updated_at, attempts, next_attempt_at, \
             operator) VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM actions), ?, ?, ?, \
             ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
            &[
                action.id.into(),
                action.origin.as_str().into(),
                action.action.into(),
                action.command_id.into(),
                action.rule.into(),
                action.trigger.into(),
                action.body.into(),
                effect.as_deref().into(),
                action.now.into(),
                status.into(),
                action.error.into(),
                rfc3339(action.now).as_str().into(),
                action.now.into(),
                next_attempt.into(),
                action.operator.into(),
            ],
        )?;
        Ok(())
    }

    /// Every action, in the order it was recorded.
    pub fn actions(&self) -> Result<Vec<ActionRow>, StoreError> {
        self.action_rows("SELECT * FROM actions ORDER BY seq", &[])
    }

    pub fn action(&self, id: &str) -> Result<Option<ActionRow>, StoreError> {
        let rows = self.action_rows("SELECT * FROM actions WHERE id = ?", &[id.into()])?;
        Ok(rows.into_iter().next())
    }

    /// The latest Dial sent with `command_id`.
    pub fn dial_action(&self, command_id: &str) -> Result<Option<ActionRow>, StoreError> {
        let rows = self.action_rows(
            "SELECT * FROM actions WHERE action = 'dial' AND command_id = ? \
             AND id NOT LIKE 'dial/%' ORDER BY seq DESC LIMIT 1",
            &[command_id.into()],
        )?;
        Ok(rows.into_iter().next())
    }

    /// The `command_id` of a Dial this object sent, if any: a Dial's own object, which
    /// holds no call, reports under it.
    pub fn a_dial_command(&self) -> Result<Option<String>, StoreError> {
        if !self.has(Table::Actions) {
            return Ok(None);
        }
        self.text(
            "SELECT command_id AS text FROM actions WHERE action = 'dial' \
             AND command_id IS NOT NULL AND id NOT LIKE 'dial/%' LIMIT 1",
            &[],
        )
    }

    /// The automation actions still pending, in the order they go out.
    pub fn outbox(&self) -> Result<Vec<ActionRow>, StoreError> {
        self.action_rows(
            "SELECT * FROM actions WHERE status = 'pending' AND origin = 'automation' \
             ORDER BY seq",
            &[],
        )
    }

    /// Whether any action's outcome is still open.
    pub fn has_pending(&self) -> Result<bool, StoreError> {
        Ok(self.has(Table::Actions)
            && self.exists("SELECT id FROM actions WHERE status = 'pending' LIMIT 1")?)
    }

    /// The pending actions, operator ones included.
    pub fn pending(&self) -> Result<Vec<ActionRow>, StoreError> {
        self.action_rows(
            "SELECT * FROM actions WHERE status = 'pending' ORDER BY seq",
            &[],
        )
    }

    /// Marks an attempt as out, before the request is sent: if the object dies with it
    /// out, the next run knows Telnyx may have run it.
    pub fn start_attempt(&self, id: &str, now: i64) -> Result<(), StoreError> {
        self.update_actions(
            "UPDATE actions SET attempts = attempts + 1, attempt_started_at = ?, \
             first_attempt_at = COALESCE(first_attempt_at, ?), next_attempt_at = NULL \
             WHERE id = ?",
            &[now.into(), now.into(), id.into()],
        )
    }

    /// Records that Telnyx may have run the action: its request was out with no answer.
    pub fn mark_ran_maybe(&self, id: &str) -> Result<(), StoreError> {
        self.update_actions(
            "UPDATE actions SET ran_maybe = 1 WHERE id = ?",
            &[id.into()],
        )
    }

    /// Keeps the action pending, to be sent again at `retry.at`; the last attempt's
    /// status and error show meanwhile.
    pub fn schedule_retry(&self, retry: &Retry<'_>) -> Result<(), StoreError> {
        self.update_actions(
            "UPDATE actions SET next_attempt_at = ?, attempt_started_at = NULL, \
             ran_maybe = MAX(ran_maybe, ?), http_status = ?, error = ?, at = ?, \
             updated_at = ? WHERE id = ?",
            &[
                retry.at.into(),
                i64::from(retry.ran_maybe).into(),
                retry.http_status.map(i64::from).into(),
                retry.error.into(),
                rfc3339(retry.now).as_str().into(),
                retry.now.into(),
                retry.id.into(),
            ],
        )
    }

    /// Records the final outcome; the body, no longer needed, goes.
    pub fn finish(&self, outcome: &Outcome<'_>) -> Result<(), StoreError> {
        let status = match outcome.status {
            ActionStatus::Succeeded => "succeeded",
            _ => "failed",
        };
        self.update_actions(
            "UPDATE actions SET status = ?, http_status = ?, error = ?, at = ?, updated_at = ?, \
             attempt_started_at = NULL, next_attempt_at = NULL, body = NULL WHERE id = ?",
            &[
                status.into(),
                outcome.http_status.map(i64::from).into(),
                outcome.error.into(),
                rfc3339(outcome.now).as_str().into(),
                outcome.now.into(),
                outcome.id.into(),
            ],
        )
    }

    pub fn set_meta(&self, key: &str, value: i64) -> Result<(), StoreError> {
        self.make(Table::Meta)?;
        self.0.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[key.into(), value.into()],
        )?;
        Ok(())
    }

    /// Claims an event that belongs to no call: `true` the first time the id is seen.
    pub fn claim_loose(&self, id: &str, body: &str, now: i64) -> Result<bool, StoreError> {
        let written = self.0.execute(
            "INSERT INTO loose_events (id, accepted_at, body) VALUES (?, ?, ?) \
             ON CONFLICT (id) DO NOTHING",
            &[id.into(), now.into(), body.into()],
        )?;
        Ok(written > 0)
    }

    /// Loose events not yet archived in KV, oldest first.
    pub fn unarchived_loose(&self, limit: i64) -> Result<Vec<(String, String)>, StoreError> {
        #[derive(Deserialize)]
        struct Loose {
            id: String,
            body: String,
        }
        let rows = self.0.query::<Loose>(
            "SELECT id, body FROM loose_events WHERE body IS NOT NULL \
             ORDER BY accepted_at LIMIT ?",
            &[limit.into()],
        )?;
        Ok(rows.into_iter().map(|row| (row.id, row.body)).collect())
    }

    /// Archived in KV: the body goes, the claim stays for the retention period.
    pub fn archived_loose(&self, id: &str) -> Result<(), StoreError> {
        self.0.execute(
            "UPDATE loose_events SET body = NULL WHERE id = ?",
            &[id.into()],
        )?;
        Ok(())
    }

    /// When the oldest loose claim was made.
    pub fn oldest_loose(&self) -> Result<Option<i64>, StoreError> {
        self.number("SELECT MIN(accepted_at) AS n FROM loose_events", &[])
    }

    pub fn has_unarchived_loose(&self) -> Result<bool, StoreError> {
        self.exists("SELECT id FROM loose_events WHERE body IS NOT NULL LIMIT 1")
    }

    /// Forgets the archived loose claims accepted at `until` or before.
    pub fn prune_loose(&self, until: i64) -> Result<u64, StoreError> {
        self.0.execute(
            "DELETE FROM loose_events WHERE accepted_at <= ? AND body IS NULL",
            &[until.into()],
        )
    }
}
