//! The statements over the tables that tie calls together:
//!
//! - `dials` (call role): each leg a Dial of this object started, from Telnyx's answer
//!   on, until the leg's own object has it (`registered`). Never the Dial's body.
//! - `supervisors` and `peers` (call role), `members` (session role): the latest
//!   report of each leg that supervises this call, shares its session, or belongs to
//!   the session. A report older than the one kept is dropped.

use serde::{Deserialize, Serialize};

use super::rows::{rfc3339, Store, Text};
use super::tables::Table;
use crate::domain::legs::{DialedBy, DialedLeg, LegReport};
use crate::ports::{sql_flag, ObjectStorage, StoreError};

pub const SESSION_SCHEMA: &str = "CREATE TABLE IF NOT EXISTS members (leg TEXT PRIMARY KEY, \
     seq INTEGER NOT NULL, version INTEGER NOT NULL, report TEXT NOT NULL, \
     updated_at INTEGER NOT NULL) WITHOUT ROWID";

/// Where a report is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reports {
    /// Legs supervising this call.
    Supervisors,
    /// The other legs of this call's session.
    Peers,
    /// A session object's legs.
    Members,
}

impl Reports {
    fn table(self) -> &'static str {
        match self {
            Reports::Supervisors => "supervisors",
            Reports::Peers => "peers",
            Reports::Members => "members",
        }
    }

    /// A call's table, made at its first report; a session makes `members` at once.
    fn call_table(self) -> Option<Table> {
        match self {
            Reports::Supervisors => Some(Table::Supervisors),
            Reports::Peers => Some(Table::Peers),
            Reports::Members => None,
        }
    }
}

/// What keeping a report did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kept {
    /// A newer report of the leg is kept already.
    Stale,
    Unchanged,
    Changed,
}

/// A leg a Dial of this object started.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DialRow {
    pub action_id: String,
    pub leg: String,
    pub registered: bool,
    pub dialed: DialedLeg,
}

impl<S: ObjectStorage> Store<'_, S> {
    /// Keeps `report` unless a newer one of the same leg is kept.
    pub fn keep_report(
        &self,
        reports: Reports,
        report: &LegReport,
        now: i64,
    ) -> Result<Kept, StoreError> {
        if let Some(table) = reports.call_table() {
            self.make(table)?;
        }
        let table = reports.table();
        let kept = self.number(
            &format!("SELECT version AS n FROM {table} WHERE leg = ?"),
            &[report.call_control_id.as_str().into()],
        )?;
        if kept.is_some_and(|version| version > report.version) {
            return Ok(Kept::Stale);
        }
        let written = self.0.execute(
            &format!(
                "INSERT INTO {table} (leg, seq, version, report, updated_at) VALUES \
                 (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM {table}), ?, ?, ?) \
                 ON CONFLICT (leg) DO UPDATE SET version = excluded.version, \
                 report = excluded.report, updated_at = excluded.updated_at \
                 WHERE excluded.report != {table}.report"
            ),
            &[
                report.call_control_id.as_str().into(),
                report.version.into(),
                report.to_json().as_str().into(),
                now.into(),
            ],
        )?;
        Ok(if written > 0 {
            Kept::Changed
        } else {
            Kept::Unchanged
        })
    }

    /// The reports kept, in the order their legs first reported.
    pub fn reports(&self, reports: Reports) -> Result<Vec<LegReport>, StoreError> {
        if reports.call_table().is_some_and(|table| !self.has(table)) {
            return Ok(Vec::new());
        }
        let rows = self.0.query::<Text>(
            &format!(
                "SELECT report AS text FROM {} ORDER BY seq",
                reports.table()
            ),
            &[],
        )?;
        rows.into_iter()
            .map(|row| {
                let text = row.text.unwrap_or_default();
                serde_json::from_str::<LegReport>(&text)
                    .map_err(|e| StoreError(format!("stored report unreadable: {e}")))
            })
            .collect()
    }

    /// When the session last changed (Unix ms).
    pub fn members_changed(&self) -> Result<Option<i64>, StoreError> {
        self.number("SELECT MAX(updated_at) AS n FROM members", &[])
    }

    /// Records the leg a Dial started, in the same step as the Dial's outcome.
    pub fn insert_dial(&self, action_id: &str, dialed: &DialedLeg) -> Result<(), StoreError> {
        let json =
            serde_json::to_string(dialed).map_err(|_| StoreError::unwritable("dialed leg"))?;
        self.make(Table::Dials)?;
        self.0.execute(
            "INSERT INTO dials (action_id, leg, registered, dialed) VALUES (?, ?, 0, ?) \
             ON CONFLICT (action_id) DO NOTHING",
            &[
                action_id.into(),
                dialed.call_control_id.as_str().into(),
                json.as_str().into(),
            ],
        )?;
        Ok(())
    }

    /// The legs dialed from this object, `unregistered` ones only if asked.
    pub fn dials(&self, unregistered: bool) -> Result<Vec<DialRow>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            action_id: String,
            leg: String,
            #[serde(deserialize_with = "sql_flag")]
            registered: bool,
            dialed: String,
        }
        if !self.has(Table::Dials) {
            return Ok(Vec::new());
        }
        let rows = self.0.query::<Row>(
            "SELECT action_id, leg, registered, dialed FROM dials \
             WHERE registered = 0 OR ? = 0",
            &[i64::from(unregistered).into()],
        )?;
        rows.into_iter()
            .map(|row| {
                Ok(DialRow {
                    action_id: row.action_id,
                    leg: row.leg,
                    registered: row.registered,
                    dialed: serde_json::from_str::<DialedLeg>(&row.dialed)
                        .map_err(|e| StoreError(format!("stored dialed leg unreadable: {e}")))?,
                })
            })
            .collect()
    }

    pub fn mark_registered(&self, action_id: &str) -> Result<(), StoreError> {
        self.0.execute(
            "UPDATE dials SET registered = 1 WHERE action_id = ?",
            &[action_id.into()],
        )?;
        Ok(())
    }

    /// Records, on a leg's own object, the Dial that started it: an action of the call
    /// (`dial`), whose effect gives the call its origin before its first webhook. Once.
    pub fn insert_dialed(&self, registration: &Registration) -> Result<bool, StoreError> {
        let effect = serde_json::to_string(&crate::domain::call_state::ActionEffect::Dialed(
            Box::new(registration.leg.clone()),
        ))
        .map_err(|_| StoreError::unwritable("effect"))?;
        self.make(Table::Actions)?;
        let written = self.0.execute(
            "INSERT INTO actions (id, seq, origin, action, command_id, rule, trigger, body, \
             effect, started_at, status, http_status, error, at, updated_at, attempts, \
             operator) VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM actions), ?, 'dial', \
             ?, ?, NULL, NULL, ?, ?, 'succeeded', ?, NULL, ?, ?, 0, ?) \
             ON CONFLICT (id) DO NOTHING",
            &[
                format!("dial/{}", registration.command_id).as_str().into(),
                if registration.leg.origin.by == DialedBy::Rule {
                    "automation"
                } else {
                    "operator"
                }
                .into(),
                registration.command_id.as_str().into(),
                registration.leg.origin.rule.as_deref().into(),
                effect.as_str().into(),
                registration.started_at.into(),
                registration.http_status.map(i64::from).into(),
                rfc3339(registration.answered_at).as_str().into(),
                registration.answered_at.into(),
                registration.by.as_deref().into(),
            ],
        )?;
        Ok(written > 0)
    }
}

/// What a leg's object is told of the Dial that started it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registration {
    pub leg: DialedLeg,
    pub command_id: String,
    /// The operator who dialed it; `None` for a rule's Dial.
    pub by: Option<String>,
    pub http_status: Option<u16>,
    /// When the Dial was asked for, and when Telnyx answered it (Unix ms).
    pub started_at: i64,
    pub answered_at: i64,
}
