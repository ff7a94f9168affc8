//! The statements behind the dashboard's figures ([`crate::domain::stats`]):
//!
//! - in a call's or loose events' object: its contribution, read from the rows it keeps
//!   anyway (`events`, `actions`, `loose_events`), and `duplicates`, a count per minute
//!   of the deliveries it answered `duplicate` (a row written per repeat, never per
//!   webhook);
//! - in a stats object (`stats/{n}`, role [`super::store::Role::Stats`]): `reporters`,
//!   the contribution each object reported last and what of it is not yet in the
//!   totals (`pending`, of the fold `epoch` it arrived in); `minutes`, the totals per
//!   minute; and `totals`, the live figures and the current epoch, in one row. A
//!   reporter's row goes at the fold after its last report, or once it has not
//!   reported for longer than an object keeps a call.
//!
//! A report writes its reporter's row alone. A fold adds every pending difference of
//! its epoch to the totals at once, so the totals are written per fold, not per report.

use serde::Deserialize;

use super::rows::{Arrival, Store, Text};
use super::tables::Table;
use crate::domain::stats::{minute_of, Contribution, Live, Minute, MINUTE_MS};
use crate::ports::{ObjectStorage, StoreError};

/// The reporter of what changed in a call after its reporter settled.
pub fn late_reporter(reporter: &str) -> String {
    format!("{reporter}#late")
}

/// A stats object's tables.
pub const STATS_SCHEMA: &str = "\
    CREATE TABLE IF NOT EXISTS reporters (name TEXT PRIMARY KEY, version_ms INTEGER NOT NULL, \
     version_mark INTEGER NOT NULL, contribution TEXT NOT NULL, epoch INTEGER NOT NULL, \
     pending TEXT NOT NULL, gone INTEGER NOT NULL) WITHOUT ROWID; \
    CREATE TABLE IF NOT EXISTS minutes (minute INTEGER PRIMARY KEY, tally TEXT NOT NULL) \
     WITHOUT ROWID; \
    CREATE TABLE IF NOT EXISTS totals (id INTEGER PRIMARY KEY, epoch INTEGER NOT NULL, \
     live TEXT NOT NULL) WITHOUT ROWID";

/// The same for an object of events that belong to no call.
const LOOSE_MARK: &str =
    "(SELECT COUNT(*) FROM loose_events) + (SELECT COALESCE(SUM(n), 0) FROM duplicates)";

/// Which reporters a fold forgets (Unix ms): those whose last report came before
/// `gone_before` (kept a while, so that a copy of it still finds what it would change
/// and adds nothing), and any that has not reported since `silent_before`.
#[derive(Clone, Copy, Debug)]
pub struct Forget {
    pub gone_before: i64,
    pub silent_before: i64,
}

/// A report's place in its reporter's order: when it was made, then its mark.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    pub ms: i64,
    pub mark: i64,
}

/// What keeping a report did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Taken {
    /// A report as new or newer is kept already.
    Stale,
    Unchanged,
    /// Kept, adding this to the totals at the next fold.
    Kept(Contribution),
}

/// The reports kept since the last fold, and what they add up to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pending {
    pub reports: i64,
    pub sum: Contribution,
}

#[derive(Deserialize)]
struct Counted {
    minute: Minute,
    n: i64,
}

/// A row of a call's contribution: which part of it, its minute, and a count (or a
/// reaction's milliseconds).
#[derive(Deserialize)]
struct Part {
    part: String,
    minute: Minute,
    text: Option<String>,
    n: i64,
}

#[derive(Deserialize)]
struct Reporter {
    version_ms: i64,
    version_mark: i64,
    contribution: String,
    epoch: i64,
    pending: String,
}

#[derive(Deserialize)]
struct Totals {
    epoch: i64,
    live: String,
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|_| StoreError::unwritable("contribution"))
}

fn read<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError(format!("stored {what} unreadable: {e}")))
}

impl<S: ObjectStorage> Store<'_, S> {
    /// Counts a delivery answered `duplicate` at `now`.
    pub fn count_duplicate(&self, now: i64) -> Result<(), StoreError> {
        self.make(Table::Duplicates)?;
        self.0.execute(
            "INSERT INTO duplicates (minute, n) VALUES (?, 1) \
             ON CONFLICT (minute) DO UPDATE SET n = n + 1",
            &[minute_of(now).into()],
        )?;
        Ok(())
    }

    /// Forgets the duplicates counted before `first`, the oldest minute kept (objects
    /// of events that belong to no call live on).
    pub fn prune_duplicates(&self, first: Minute) -> Result<u64, StoreError> {
        self.0
            .execute("DELETE FROM duplicates WHERE minute < ?", &[first.into()])
    }

    /// What the call reported as its reporter settled, if it did.
    pub fn settled_tally(&self) -> Result<Option<Contribution>, StoreError> {
        if !self.has(Table::SettledTally) {
            return Ok(None);
        }
        self.text(
            "SELECT contribution AS text FROM settled_tally WHERE id = 0",
            &[],
        )?
        .map(|text| read(&text, "settled contribution"))
        .transpose()
    }

    /// Records that the call's reporter settled with `contribution`.
    pub fn set_settled_tally(&self, contribution: &Contribution) -> Result<(), StoreError> {
        self.make(Table::SettledTally)?;
        self.0.execute(
            "INSERT INTO settled_tally (id, contribution) VALUES (0, ?) \
             ON CONFLICT (id) DO UPDATE SET contribution = excluded.contribution",
            &[json(contribution)?.as_str().into()],
        )?;
        Ok(())
    }

    /// What grows whenever a call's contribution may have changed: its events, its
    /// final outcomes and its duplicates.
    pub(super) fn call_mark_sql(&self) -> String {
        let mut terms = vec!["(SELECT COUNT(*) FROM events)"];
        if self.has(Table::Actions) {
            terms.push("(SELECT COUNT(*) FROM actions WHERE status != 'pending')");
        }
        if self.has(Table::Duplicates) {
            terms.push("(SELECT COALESCE(SUM(n), 0) FROM duplicates)");
        }
        format!("({})", terms.join(" + "))
    }

    /// A call's mark ([`Self::call_mark_sql`]), which its summary also reads.
    pub fn call_tally_mark(&self) -> Result<i64, StoreError> {
        Ok(self
            .number(&format!("SELECT {} AS n", self.call_mark_sql()), &[])?
            .unwrap_or(0))
    }

    /// The loose events' mark ([`LOOSE_MARK`]).
    pub fn loose_tally_mark(&self) -> Result<i64, StoreError> {
        Ok(self
            .number(&format!("SELECT {LOOSE_MARK} AS n"), &[])?
            .unwrap_or(0))
    }

    /// One of the loose events' ids, which names their object's reporter.
    pub fn a_loose_event(&self) -> Result<Option<String>, StoreError> {
        self.text("SELECT id AS text FROM loose_events LIMIT 1", &[])
    }

    /// What a call's object contributes from `first` on: its events by the minute they
    /// were accepted (the first one starts the call), from their `arrivals`, which the
    /// call's fold read; the duplicates it answered, its actions' final outcomes by the
    /// minute they were recorded (not a Dial's record on the leg it started, which its
    /// sender counts), and how long each rule's action took from its event's acceptance
    /// to Telnyx's answer. `live` is its part of the live figures.
    pub fn call_contribution(
        &self,
        first: Minute,
        live: Live,
        arrivals: &[Arrival],
    ) -> Result<Contribution, StoreError> {
        let since = first * MINUTE_MS;
        let mut contribution = Contribution {
            live,
            ..Contribution::default()
        };
        for arrival in arrivals
            .iter()
            .filter(|arrival| arrival.accepted_at >= since)
        {
            contribution
                .minute(minute_of(arrival.accepted_at))
                .event(&arrival.event_type, 1);
        }
        let started = arrivals.iter().map(|arrival| arrival.accepted_at).min();
        if let Some(started) = started.filter(|started| *started >= since) {
            contribution.minute(minute_of(started)).calls_started += 1;
        }
        // One statement, of the terms whose tables are made: each call into the
        // runtime's SQL costs more than the rows.
        let mut terms = Vec::new();
        if self.has(Table::Duplicates) {
            terms.push(
                "SELECT 'duplicates' AS part, minute, NULL AS text, n FROM duplicates \
                 WHERE minute >= ?1 / 60000",
            );
        }
        if self.has(Table::Actions) {
            terms.push(
                "SELECT 'outcome' AS part, updated_at / 60000 AS minute, status AS text, \
                 COUNT(*) AS n FROM actions WHERE status IN ('succeeded', 'failed') \
                 AND id NOT LIKE 'dial/%' AND updated_at >= ?1 GROUP BY 2, 3",
            );
            terms.push(
                "SELECT 'reaction', a.updated_at / 60000, NULL, \
                 a.updated_at - e.accepted_at FROM actions a JOIN events e ON e.id = a.trigger \
                 WHERE a.origin = 'automation' AND a.status = 'succeeded' AND a.updated_at >= ?1",
            );
        }
        if terms.is_empty() {
            return Ok(contribution);
        }
        let rows = self
            .0
            .query::<Part>(&terms.join(" UNION ALL "), &[since.into()])?;
        for row in rows {
            let minute = contribution.minute(row.minute);
            match (row.part.as_str(), row.text.as_deref()) {
                ("duplicates", _) => minute.duplicates += row.n,
                ("outcome", Some("succeeded")) => minute.actions.succeeded += row.n,
                ("outcome", _) => minute.actions.failed += row.n,
                // `n` is the reaction's milliseconds.
                _ => {
                    let ms = u64::try_from(row.n).unwrap_or(0);
                    *minute.reaction_ms.entry(ms).or_default() += 1;
                }
            }
        }
        Ok(contribution)
    }

    /// What an object of events that belong to no call contributes from `first` on.
    pub fn loose_contribution(&self, first: Minute) -> Result<Contribution, StoreError> {
        let mut contribution = Contribution::default();
        let events = self.0.query::<Counted>(
            "SELECT accepted_at / 60000 AS minute, COUNT(*) AS n \
             FROM loose_events WHERE accepted_at >= ? GROUP BY minute",
            &[(first * MINUTE_MS).into()],
        )?;
        for row in events {
            contribution.minute(row.minute).webhooks += row.n;
        }
        self.add_duplicates(&mut contribution, first)?;
        Ok(contribution)
    }

    fn add_duplicates(
        &self,
        contribution: &mut Contribution,
        first: Minute,
    ) -> Result<(), StoreError> {
        let duplicates = self.0.query::<Counted>(
            "SELECT minute, n FROM duplicates WHERE minute >= ?",
            &[first.into()],
        )?;
        for row in duplicates {
            contribution.minute(row.minute).duplicates += row.n;
        }
        Ok(())
    }

    /// The fold epoch reports now belong to, and the live totals.
    fn totals(&self) -> Result<(i64, Live), StoreError> {
        let rows = self
            .0
            .query::<Totals>("SELECT epoch, live FROM totals WHERE id = 0", &[])?;
        match rows.into_iter().next() {
            Some(row) => Ok((row.epoch, read(&row.live, "live totals")?)),
            None => Ok((0, Live::default())),
        }
    }

    /// Keeps `contribution` as `name`'s unless a report as new or newer is kept; what it
    /// adds to the totals waits in the reporter's row for the next fold. A reporter that
    /// is `gone` has contributed all it will, and its row goes at that fold.
    pub fn take_report(
        &self,
        name: &str,
        version: Version,
        contribution: &Contribution,
        gone: bool,
        first: Minute,
    ) -> Result<Taken, StoreError> {
        let (epoch, _) = self.totals()?;
        let kept = self.0.query::<Reporter>(
            "SELECT version_ms, version_mark, contribution, epoch, pending FROM reporters \
             WHERE name = ?",
            &[name.into()],
        )?;
        let (before, pending) = match kept.into_iter().next() {
            Some(row) => {
                let kept_version = Version {
                    ms: row.version_ms,
                    mark: row.version_mark,
                };
                if kept_version >= version {
                    return Ok(Taken::Stale);
                }
                let pending = if row.epoch == epoch {
                    read(&row.pending, "pending contribution")?
                } else {
                    Contribution::default()
                };
                (
                    read::<Contribution>(&row.contribution, "contribution")?,
                    pending,
                )
            }
            None => (Contribution::default(), Contribution::default()),
        };
        let mut contribution = contribution.clone();
        contribution.keep_from(first);
        let mut before = before;
        before.keep_from(first);
        let delta = contribution.since(&before);
        if delta.is_zero() && !gone {
            return Ok(Taken::Unchanged);
        }
        let mut pending = pending;
        pending.add(&delta, 1);
        self.0.execute(
            "INSERT INTO reporters (name, version_ms, version_mark, contribution, epoch, \
             pending, gone) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET \
             version_ms = excluded.version_ms, version_mark = excluded.version_mark, \
             contribution = excluded.contribution, epoch = excluded.epoch, \
             pending = excluded.pending, gone = excluded.gone",
            &[
                name.into(),
                version.ms.into(),
                version.mark.into(),
                json(&contribution)?.as_str().into(),
                epoch.into(),
                json(&pending)?.as_str().into(),
                i64::from(gone).into(),
            ],
        )?;
        Ok(Taken::Kept(delta))
    }

    /// The reports of the current epoch, read from every reporter's row: what an
    /// instance keeps in memory from then on.
    pub fn pending_reports(&self) -> Result<Pending, StoreError> {
        let (epoch, _) = self.totals()?;
        let rows = self.0.query::<Text>(
            "SELECT pending AS text FROM reporters WHERE epoch = ?",
            &[epoch.into()],
        )?;
        let mut pending = Pending::default();
        for row in rows {
            let delta: Contribution = read(row.text.as_deref().unwrap_or("{}"), "pending")?;
            pending.reports += 1;
            pending.sum.add(&delta, 1);
        }
        Ok(pending)
    }

    /// Adds what is `pending` (every difference kept in the current epoch) to the
    /// totals, opens the next epoch, and forgets the minutes before `first` and the
    /// reporters that [`Forget`] names.
    pub fn fold(&self, first: Minute, forget: Forget, pending: &Pending) -> Result<(), StoreError> {
        let (epoch, mut live) = self.totals()?;
        let mut sum = pending.sum.clone();
        sum.keep_from(first);
        let mut minutes = self.minutes(
            sum.minutes.keys().next().copied().unwrap_or(first),
            sum.minutes.keys().next_back().copied().unwrap_or(first),
        )?;
        for (minute, tally) in &sum.minutes {
            let mut one = Contribution::default();
            *one.minute(*minute) = tally.clone();
            minutes.add(&one, 1);
        }
        for minute in sum.minutes.keys() {
            match minutes.minutes.get(minute) {
                Some(tally) => self.0.execute(
                    "INSERT INTO minutes (minute, tally) VALUES (?, ?) \
                     ON CONFLICT (minute) DO UPDATE SET tally = excluded.tally",
                    &[(*minute).into(), json(tally)?.as_str().into()],
                )?,
                None => self
                    .0
                    .execute("DELETE FROM minutes WHERE minute = ?", &[(*minute).into()])?,
            };
        }
        live.add(&sum.live, 1);
        self.0.execute(
            "INSERT INTO totals (id, epoch, live) VALUES (0, ?, ?) \
             ON CONFLICT (id) DO UPDATE SET epoch = excluded.epoch, live = excluded.live",
            &[(epoch + 1).into(), json(&live)?.as_str().into()],
        )?;
        self.0.execute(
            "DELETE FROM reporters WHERE epoch <= ? \
             AND ((gone = 1 AND version_ms < ?) OR version_ms < ?)",
            &[
                epoch.into(),
                forget.gone_before.into(),
                forget.silent_before.into(),
            ],
        )?;
        self.0
            .execute("DELETE FROM minutes WHERE minute < ?", &[first.into()])?;
        Ok(())
    }

    /// The totals of the minutes `from` to `to` and the live figures, as folded.
    pub fn folded(&self, from: Minute, to: Minute) -> Result<Contribution, StoreError> {
        let mut folded = self.minutes(from, to)?;
        folded.live = self.totals()?.1;
        Ok(folded)
    }

    fn minutes(&self, from: Minute, to: Minute) -> Result<Contribution, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            minute: Minute,
            tally: String,
        }
        let rows = self.0.query::<Row>(
            "SELECT minute, tally FROM minutes WHERE minute BETWEEN ? AND ?",
            &[from.into(), to.into()],
        )?;
        let mut minutes = Contribution::default();
        for row in rows {
            minutes
                .minutes
                .insert(row.minute, read(&row.tally, "minute")?);
        }
        Ok(minutes)
    }
}
