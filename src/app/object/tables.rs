//! The tables a call's object makes only as it first writes to each: most calls keep
//! their events and little else, and each table costs a new object its creation and
//! a part of every statement that reads it. A table not made yet reads as empty. The
//! object keeps in memory which tables it has made, read from storage with its role.

/// The call's actions.
pub const ACTIONS_SCHEMA: &str = "\
    CREATE TABLE IF NOT EXISTS actions (id TEXT PRIMARY KEY, seq INTEGER NOT NULL, \
     origin TEXT NOT NULL, action TEXT NOT NULL, command_id TEXT, rule TEXT, trigger TEXT, \
     body TEXT, effect TEXT, started_at INTEGER NOT NULL, status TEXT NOT NULL, \
     http_status INTEGER, error TEXT, at TEXT NOT NULL, updated_at INTEGER NOT NULL, \
     attempts INTEGER NOT NULL, first_attempt_at INTEGER, attempt_started_at INTEGER, \
     next_attempt_at INTEGER, ran_maybe INTEGER NOT NULL DEFAULT 0, operator TEXT) \
     WITHOUT ROWID";

/// What the call object did once.
pub const META_SCHEMA: &str =
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID";

/// The call role's tables of legs.
pub const SUPERVISORS_SCHEMA: &str = "CREATE TABLE IF NOT EXISTS supervisors \
     (leg TEXT PRIMARY KEY, seq INTEGER NOT NULL, version INTEGER NOT NULL, \
     report TEXT NOT NULL, updated_at INTEGER NOT NULL) WITHOUT ROWID";
pub const PEERS_SCHEMA: &str = "CREATE TABLE IF NOT EXISTS peers (leg TEXT PRIMARY KEY, \
     seq INTEGER NOT NULL, version INTEGER NOT NULL, report TEXT NOT NULL, \
     updated_at INTEGER NOT NULL) WITHOUT ROWID";
pub const DIALS_SCHEMA: &str = "CREATE TABLE IF NOT EXISTS dials (action_id TEXT PRIMARY KEY, \
     leg TEXT NOT NULL, registered INTEGER NOT NULL, dialed TEXT NOT NULL) WITHOUT ROWID";

/// What a call reported last as its reporter settled, at the archive: what it reports
/// of later changes (a late event, a duplicate) is what changed since, as a reporter
/// of its own ([`super::stats_rows::late_reporter`]), so its stats object need not
/// keep the call's row.
pub const SETTLED_SCHEMA: &str = "CREATE TABLE IF NOT EXISTS settled_tally \
     (id INTEGER PRIMARY KEY, contribution TEXT NOT NULL) WITHOUT ROWID";

/// The duplicate deliveries a call's or loose events' object answered, per minute.
pub const DUPLICATES_SCHEMA: &str = "CREATE TABLE IF NOT EXISTS duplicates \
     (minute INTEGER PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID";

/// Deliveries, keyed by URL and their place in its queue; the body is kept until the
/// delivery is final.
pub const FORWARDS_SCHEMA: &str = "CREATE TABLE IF NOT EXISTS forwards (url TEXT NOT NULL, \
     seq INTEGER NOT NULL, event_id TEXT NOT NULL, status TEXT NOT NULL, \
     attempts INTEGER NOT NULL, http_status INTEGER, error TEXT, at TEXT NOT NULL, \
     updated_at INTEGER NOT NULL, first_attempt_at INTEGER, next_attempt_at INTEGER, \
     body TEXT, PRIMARY KEY (url, seq)) WITHOUT ROWID";

/// A call's table made at its first write; `events` and `meta` are made by the first
/// claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    Actions,
    Meta,
    Supervisors,
    Peers,
    Dials,
    SettledTally,
    Duplicates,
    Forwards,
}

impl Table {
    pub const EVERY: [Table; 8] = [
        Table::Actions,
        Table::Meta,
        Table::Supervisors,
        Table::Peers,
        Table::Dials,
        Table::SettledTally,
        Table::Duplicates,
        Table::Forwards,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Table::Actions => "actions",
            Table::Meta => "meta",
            Table::Supervisors => "supervisors",
            Table::Peers => "peers",
            Table::Dials => "dials",
            Table::SettledTally => "settled_tally",
            Table::Duplicates => "duplicates",
            Table::Forwards => "forwards",
        }
    }

    pub(super) fn schema(self) -> &'static str {
        match self {
            Table::Actions => ACTIONS_SCHEMA,
            Table::Meta => META_SCHEMA,
            Table::Supervisors => SUPERVISORS_SCHEMA,
            Table::Peers => PEERS_SCHEMA,
            Table::Dials => DIALS_SCHEMA,
            Table::SettledTally => SETTLED_SCHEMA,
            Table::Duplicates => DUPLICATES_SCHEMA,
            Table::Forwards => FORWARDS_SCHEMA,
        }
    }

    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// Which [`Table`]s an object has made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tables(u8);

impl Tables {
    /// Every table: what any role but a call's makes at once, and what objects an
    /// earlier version stored have.
    pub const ALL: Tables = Tables(u8::MAX);
    pub const NONE: Tables = Tables(0);
    /// A new call's, made with `events` by its first claim: every call's first tick
    /// writes the mark of its index entry in `meta`.
    pub const FIRST: Tables = Tables::NONE.with(Table::Meta);

    /// The tables among `names`.
    pub fn named(names: &[String]) -> Tables {
        Table::EVERY
            .into_iter()
            .filter(|table| names.iter().any(|name| name == table.name()))
            .fold(Tables::NONE, Tables::with)
    }

    pub fn has(self, table: Table) -> bool {
        self.0 & table.bit() != 0
    }

    pub(super) const fn with(self, table: Table) -> Tables {
        Tables(self.0 | table.bit())
    }
}

impl Default for Tables {
    /// Until the object's role is read: as before tables were made lazily.
    fn default() -> Self {
        Tables::ALL
    }
}
