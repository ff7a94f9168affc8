//! Cloudflare Access's signing keys as an isolate keeps them between requests: for at
//! least [`KEYS_FRESH_MS`], and fetched again on a `kid` they do not hold at most once
//! per [`REFETCH_MS`], so a key rotation needs no deploy and made-up `kid`s cannot turn
//! into a flood of fetches. Fetching them is [`super::access`]'s.

use std::cell::{Cell, RefCell};

use crate::domain::access::Jwk;

/// How long fetched keys are used without asking again.
pub const KEYS_FRESH_MS: i64 = 5 * 60 * 1000;
/// The least time between two fetches of the keys.
pub const REFETCH_MS: i64 = 60 * 1000;
/// The team's signing keys, kept by the isolate between requests.
#[derive(Debug, Default)]
pub struct AccessKeys {
    keys: RefCell<Vec<Jwk>>,
    /// When the keys held were fetched.
    fetched_at: Cell<Option<i64>>,
    /// When a fetch was last started, whatever came of it.
    tried_at: Cell<Option<i64>>,
    /// A request is fetching the keys now.
    fetching: Cell<bool>,
}

/// Marks a fetch under way until dropped, so a request dropped mid-fetch does not
/// leave the others waiting on it. (A request the runtime cancels may never be
/// dropped; then each waiter still stops after its own timeout, and the next fetch, at
/// most [`REFETCH_MS`] later, starts afresh.)
pub struct Fetching<'a>(&'a AccessKeys);

impl Drop for Fetching<'_> {
    fn drop(&mut self) {
        self.0.fetching.set(false);
    }
}

impl AccessKeys {
    pub fn key(&self, kid: &str) -> Option<Jwk> {
        self.keys
            .borrow()
            .iter()
            .find(|key| key.kid == kid)
            .cloned()
    }

    /// Whether the keys held are older than [`KEYS_FRESH_MS`] (or there are none).
    pub fn is_stale(&self, now: i64) -> bool {
        self.fetched_at
            .get()
            .is_none_or(|at| now >= at + KEYS_FRESH_MS)
    }

    /// Whether a fetch ever brought keys.
    pub fn ever_fetched(&self) -> bool {
        self.fetched_at.get().is_some()
    }

    /// Whether a fetch may start now: never more often than [`REFETCH_MS`].
    pub fn may_fetch(&self, now: i64) -> bool {
        self.tried_at.get().is_none_or(|at| now >= at + REFETCH_MS)
    }

    /// Whether a request is fetching the keys now.
    pub fn is_fetching(&self) -> bool {
        self.fetching.get()
    }

    /// Marks a fetch started at `now`, until the guard is dropped.
    pub fn start_fetch(&self, now: i64) -> Fetching<'_> {
        self.tried_at.set(Some(now));
        self.fetching.set(true);
        Fetching(self)
    }

    /// Keeps the keys a fetch started at `now` brought.
    pub fn keep(&self, keys: Vec<Jwk>, now: i64) {
        *self.keys.borrow_mut() = keys;
        self.fetched_at.set(Some(now));
    }
}
