//! A stats object (`stats/{n}`, [`super::protocol::stats_object`]): it keeps the
//! contribution each of its reporters sent last, and their totals, which `GET /stats`
//! reads from every stats object and adds up.

use super::protocol::{StatsRead, StatsReport};
use super::stats_rows::{Forget, Pending, Taken, Version};
use super::store::Role;
use super::{storage_problem, CallObject, RETENTION_MS};
use crate::domain::problem::Problem;
use crate::domain::stats::{minute_of, Contribution, KEPT_MINUTES};
use crate::ports::http::{Request, Response};
use crate::ports::{Ports, StoreError};

/// Reports waiting for a fold, at most: a read adds them up, so this bounds its work.
const MAX_PENDING: i64 = 256;
/// How long a reporter's row stays after its last report: a copy of that report, sent
/// again because its answer was lost, comes within a minute or two.
const GONE_KEPT_MS: i64 = 10 * 60 * 1000;
/// How much longer than an object keeps a call a silent reporter's row is kept.
const FORGET_SLACK_MS: i64 = 24 * 60 * 60 * 1000;

impl<P: Ports> CallObject<'_, P> {
    fn first_kept_minute(&self) -> i64 {
        minute_of(self.now()) - KEPT_MINUTES
    }

    /// The reporters a fold forgets now: a reporter that has not reported for longer
    /// than an object keeps a call is gone with its storage.
    fn forget(&self) -> Forget {
        Forget {
            gone_before: self.now() - GONE_KEPT_MS,
            silent_before: self.now() - RETENTION_MS - FORGET_SLACK_MS,
        }
    }

    /// The reports kept since the last fold and their sum, as this instance keeps
    /// them (read from storage once per instance).
    fn pending(&self) -> Result<Pending, StoreError> {
        if let Some(pending) = self.memory.stats_pending.borrow().as_ref() {
            return Ok(pending.clone());
        }
        self.store().pending_reports()
    }

    /// `POST /stats/report`: keeps a reporter's contribution, unless a newer one is kept.
    pub(super) fn take_stats_report(&self, request: &Request) -> Response {
        let report = match serde_json::from_slice::<StatsReport>(&request.body) {
            Ok(report) => report,
            Err(error) => {
                return Problem::new(400, "invalid_report", format!("not a report: {error}")).into()
            }
        };
        let first = self.first_kept_minute();
        let kept = self.ensure_role(Role::Stats).and_then(|_| {
            let store = self.store();
            let version = Version {
                ms: report.version_ms,
                mark: report.version_mark,
            };
            let mut pending = self.pending()?;
            let taken = store.take_report(
                &report.reporter,
                version,
                &report.contribution,
                report.gone,
                first,
            )?;
            if let Taken::Kept(delta) = taken {
                pending.reports += 1;
                pending.sum.add(&delta, 1);
                if pending.reports >= MAX_PENDING {
                    store.fold(first, self.forget(), &pending)?;
                    pending = Pending::default();
                }
            }
            *self.memory.stats_pending.borrow_mut() = Some(pending);
            Ok(())
        });
        match kept {
            // No body: the reporter has no answer to read.
            Ok(()) => Response::no_content(),
            Err(error) => {
                // What storage holds now is read again rather than guessed.
                *self.memory.stats_pending.borrow_mut() = None;
                self.log_storage_error("stats report", &error);
                storage_problem().into()
            }
        }
    }

    /// `POST /stats/read`: this object's share of the figures, the reports not folded
    /// yet included.
    pub(super) fn read_stats(&self, request: &Request) -> Response {
        let Ok(read) = serde_json::from_slice::<StatsRead>(&request.body) else {
            return Problem::new(400, "invalid_read", "not a read of minutes").into();
        };
        // Folded and pending added up, with nothing written: reads cost no rows.
        let share = (|| -> Result<Contribution, StoreError> {
            if self.role()? != Some(Role::Stats) {
                return Ok(Contribution::default());
            }
            let pending = self.pending()?;
            let mut share = self.store().folded(read.from, read.to)?;
            let mut recent = pending.sum.clone();
            recent.keep_within(read.from, read.to);
            share.add(&recent, 1);
            *self.memory.stats_pending.borrow_mut() = Some(pending);
            Ok(share)
        })();
        match share.and_then(|share| {
            serde_json::to_string(&share).map_err(|_| StoreError::unwritable("figures"))
        }) {
            Ok(body) => Response::json(200, body),
            Err(error) => {
                self.log_storage_error("stats read", &error);
                storage_problem().into()
            }
        }
    }
}
