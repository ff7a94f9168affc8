//! Events that belong to no call (no `call_control_id`): claimed by id in one of a few
//! objects chosen by the id ([`super::loose_object_name`]), archived in KV and
//! forwarded by the alarm, and remembered for the retention period so a repeat is a
//! duplicate.

use super::store::Role;
use super::{read_signed, CallObject, OUTCOME_HEADER, RETENTION_MS};
use crate::app::archive::put_loose_event;
use crate::domain::problem::Problem;
use crate::domain::stats::{minute_of, KEPT_MINUTES};
use crate::ports::http::{Request, Response};
use crate::ports::{Ports, StoreError};

/// Bodies archived per alarm run.
const ARCHIVE_BATCH: i64 = 25;

impl<P: Ports> CallObject<'_, P> {
    pub(super) async fn deliver_loose(&self, request: &Request) -> Response {
        let delivery = match read_signed(request) {
            Ok(delivery) if delivery.record.is_none() => delivery,
            Ok(_) => return Problem::new(400, "misrouted", "the event belongs to a call").into(),
            Err(problem) => return problem.into(),
        };
        let body = std::str::from_utf8(&request.body).unwrap_or_default();
        let claimed = self.ensure_role(Role::Loose).and_then(|_| {
            self.store()
                .claim_loose(&delivery.event_id, body, self.now())
        });
        let claimed = claimed.and_then(|fresh| {
            if fresh {
                self.queue_forwards(&delivery.event_id, &delivery.event_type, body)?;
            } else {
                self.store().count_duplicate(self.now())?;
            }
            Ok(fresh)
        });
        let outcome = match claimed {
            Ok(true) => "accepted",
            Ok(false) => "duplicate",
            Err(error) => {
                self.log_storage_error("claim", &error);
                return super::storage_problem().into();
            }
        };
        if let Err(error) = self.wake().await {
            self.log_storage_error("alarm", &error);
            return super::storage_problem().into();
        }
        // The outcome is all the answer says.
        Response::no_content().with_header(OUTCOME_HEADER, outcome)
    }

    /// Archives the bodies in KV, then forgets the claims past the retention period.
    pub(super) async fn loose_alarm(&self) -> Result<(), StoreError> {
        let store = self.store();
        if self.now() >= self.memory.kv_retry_at.get() {
            for (id, body) in store.unarchived_loose(ARCHIVE_BATCH)? {
                match put_loose_event(self.kv, &id, &body).await {
                    Ok(()) => store.archived_loose(&id)?,
                    Err(error) => {
                        self.kv_failed("event", &error);
                        break;
                    }
                }
            }
        }
        let pruned = store.prune_loose(self.now() - RETENTION_MS)?
            + store.prune_duplicates(minute_of(self.now()) - KEPT_MINUTES)?;
        if pruned > 0 {
            // The mark went down, and may come back to what was reported last.
            self.memory.forget_tally();
        }
        store.prune_loose_forwards()?;
        Ok(())
    }
}
