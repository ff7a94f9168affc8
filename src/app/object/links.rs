//! What a call tells the calls that show it, and what it is told. Reports
//! ([`LegReport`]) go from the alarm, after the webhook's answer, whenever what the call
//! reports may have changed ([`super::store::Summary::report_mark`]); a failed one is
//! tried again with backoff. Each receiver keeps a report only if it is not older than
//! the one it has, so reports may arrive late or twice.
//!
//! - A supervisor leg reports to the call it supervises, at every change.
//! - Every call joins its session's object (`session/{id}`) with its first report. Most
//!   calls are the only leg of their session, so one that has no other leg reports no
//!   more: when another joins, the session passes the newcomer's report to it, and it
//!   answers with its own, which the newcomer gets. From then on it has peers, and it
//!   reports each change to the session, which passes it on.

use serde::Deserialize;
use serde_json::Value;

use super::leg_rows::{Kept, Reports};
use super::protocol::{internal, route, session_object, CALL_HEADER};
use super::store::Role;
use super::{storage_problem, CallObject, RETENTION_MS};
use crate::domain::legs::LegReport;
use crate::domain::problem::Problem;
use crate::ports::http::{Request, Response};
use crate::ports::{CallObjects, ObjectStorage, Ports, StoreError};

/// The first retry of a failed report or registration, doubled up to [`MAX_RETRY_MS`].
const FIRST_RETRY_MS: i64 = 1_000;
const MAX_RETRY_MS: i64 = 60_000;
/// The most legs one session keeps: each report goes to every other leg.
pub const MAX_SESSION_LEGS: usize = 32;

fn report_request(path: &str, report: &LegReport) -> Request {
    internal(
        "POST",
        path.into(),
        vec![(CALL_HEADER.into(), report.call_control_id.clone())],
        report.to_json().into_bytes(),
    )
}

fn read_report(request: &Request) -> Option<LegReport> {
    serde_json::from_slice::<LegReport>(&request.body).ok()
}

impl<P: Ports> CallObject<'_, P> {
    /// Whether the call's report may have changed since this instance last sent it. A
    /// call with no status event yet has nothing to report.
    pub(super) fn report_due(&self, mark: i64) -> bool {
        self.memory.reported.get().unwrap_or(0) != mark
    }

    /// When links (reports, registrations) may be tried next.
    pub(super) fn links_ready(&self, now: i64) -> i64 {
        now.max(self.memory.links_retry_at.get())
    }

    /// Backs off after a failed report or registration, or resets once all went.
    pub(super) fn links_went(&self, all: bool) {
        if all {
            self.memory.links_failures.set(0);
            self.memory.links_retry_at.set(0);
        } else {
            let failures = self.memory.links_failures.get().saturating_add(1);
            self.memory.links_failures.set(failures);
            let delay = FIRST_RETRY_MS
                .saturating_mul(1 << failures.min(16).saturating_sub(1))
                .min(MAX_RETRY_MS);
            self.memory.links_retry_at.set(self.now() + delay);
        }
    }

    /// The alarm's line of links: the legs dialed here to their objects, then the
    /// call's report.
    pub(super) async fn run_links(&self) -> Result<(), StoreError> {
        let registered = self.register_dials().await?;
        self.report().await?;
        if !registered {
            self.links_went(false);
        }
        Ok(())
    }

    /// Sends the call's report to its session and to the call it supervises, and keeps
    /// the session's other legs from the answer.
    pub(super) async fn report(&self) -> Result<(), StoreError> {
        let mark = self.store().report_mark()?;
        let Some(state) = self.state()? else {
            self.memory.reported.set(Some(mark));
            return Ok(());
        };
        let version = self.store().summary()?.last_change.unwrap_or_default();
        let report = state.report(version);
        let mut all = true;
        if let Some(parent) = state.supervising.as_deref() {
            let answer = self
                .objects
                .request(parent, report_request(route::SUPERVISOR, &report))
                .await;
            if !matches!(&answer, Ok(response) if response.status == 200) {
                all = false;
                self.log_link_failure("report", parent, answer);
            }
        }
        let session = state
            .call_session_id
            .as_deref()
            .and_then(session_object)
            .filter(|_| !self.memory.joined.get() || !state.legs.is_empty());
        if let Some(session) = session {
            let answer = self
                .objects
                .request(&session, report_request(route::SESSION, &report))
                .await;
            match answer {
                Ok(response) if response.status == 200 => {
                    self.memory.joined.set(true);
                    self.keep_peers(&state.call_control_id, &response.body)?
                }
                // A session of MAX_SESSION_LEGS legs takes no more: not tried again.
                Ok(response) if response.status == 409 => {
                    self.log_link_failure("report", &session, Ok(response))
                }
                other => {
                    all = false;
                    self.log_link_failure("report", &session, other);
                }
            }
        }
        if all {
            self.memory.reported.set(Some(mark));
        }
        self.links_went(all);
        Ok(())
    }

    /// Keeps the other legs a session's object answered with.
    fn keep_peers(&self, own: &str, body: &str) -> Result<(), StoreError> {
        let members = serde_json::from_slice::<Value>(body.as_bytes()).unwrap_or_default();
        let now = self.now();
        for member in members["members"].as_array().into_iter().flatten() {
            match LegReport::deserialize(member).ok() {
                Some(leg) if leg.call_control_id != own => {
                    self.store().keep_report(Reports::Peers, &leg, now)?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// `POST /links/supervisor` and `/links/peer`: a report to keep, if this object
    /// holds a call (a deleted one is not brought back by a late report). A peer's is
    /// answered with this call's own report, for the session to pass to the newcomer.
    pub(super) fn receive_report(&self, request: &Request, reports: Reports) -> Response {
        let Some(report) = read_report(request) else {
            return Problem::new(400, "invalid_report", "not a report").into();
        };
        let kept = self.role().and_then(|role| {
            if role != Some(Role::Call) {
                return Ok(None);
            }
            let store = self.store();
            if store.call_control_id()?.as_deref() != Some(report.call_control_id.as_str()) {
                store.keep_report(reports, &report, self.now())?;
            }
            let own = match reports {
                Reports::Peers => self.own_report()?,
                _ => None,
            };
            Ok(own)
        });
        match kept {
            Ok(Some(own)) => Response::json(200, format!("{{\"report\":{}}}", own.to_json())),
            Ok(None) => Response::json(200, "{}".into()),
            Err(error) => {
                self.log_storage_error("report", &error);
                storage_problem().into()
            }
        }
    }

    /// What this call reports of itself now.
    fn own_report(&self) -> Result<Option<LegReport>, StoreError> {
        let version = self.store().summary()?.last_change.unwrap_or_default();
        Ok(self.state()?.map(|state| state.report(version)))
    }

    /// `POST /links/session` on a session's object: keeps the leg's report, passes it on
    /// to the other legs, and answers with every leg. `503` when a leg could not be
    /// told: the reporter sends it again, and the legs keep it once.
    pub(super) async fn session_report(&self, request: &Request) -> Response {
        let Some(report) = read_report(request) else {
            return Problem::new(400, "invalid_report", "not a report").into();
        };
        let kept = self.ensure_session().and_then(|()| {
            let members = self.store().reports(Reports::Members)?;
            let known = members
                .iter()
                .any(|member| member.call_control_id == report.call_control_id);
            if !known && members.len() >= MAX_SESSION_LEGS {
                return Ok(None);
            }
            let kept = self
                .store()
                .keep_report(Reports::Members, &report, self.now())?;
            Ok(Some((kept, self.store().reports(Reports::Members)?)))
        });
        let (kept, members) = match kept {
            Ok(Some(kept)) => kept,
            Ok(None) => {
                return Problem::new(
                    409,
                    "session_full",
                    format!("a session keeps at most {MAX_SESSION_LEGS} legs"),
                )
                .into()
            }
            Err(error) => {
                self.log_storage_error("session", &error);
                return storage_problem().into();
            }
        };
        // The session's retention: set once, when its first leg reports.
        if let Err(error) = self.wake().await {
            self.log_storage_error("alarm", &error);
        }
        if kept != Kept::Stale {
            let others = members
                .iter()
                .filter(|member| member.call_control_id != report.call_control_id);
            // One leg after the other: a session has a few.
            let mut all = true;
            for member in others {
                let answer = self
                    .objects
                    .request(
                        &member.call_control_id,
                        report_request(route::PEER, &report),
                    )
                    .await;
                match answer {
                    // Each leg answers with its own report: the newcomer gets it current.
                    Ok(response) if response.status == 200 => {
                        let body = serde_json::from_slice::<Value>(response.body.as_bytes());
                        let own = body
                            .ok()
                            .as_ref()
                            .and_then(|b| LegReport::deserialize(&b["report"]).ok());
                        if let Some(own) = own {
                            let kept = self.store().keep_report(Reports::Members, &own, self.now());
                            if let Err(error) = kept {
                                self.log_storage_error("session", &error);
                                all = false;
                            }
                        }
                    }
                    _ => all = false,
                }
            }
            if !all {
                return Problem::new(
                    503,
                    "session_unavailable",
                    "a leg of the session could not be told; send the report again",
                )
                .into();
            }
        }
        let members = match self.store().reports(Reports::Members) {
            Ok(members) => members,
            Err(error) => {
                self.log_storage_error("session", &error);
                return storage_problem().into();
            }
        };
        let members: Vec<String> = members.iter().map(LegReport::to_json).collect();
        Response::json(200, format!("{{\"members\":[{}]}}", members.join(",")))
    }

    /// Creates the session's table, and its alarm for the retention period.
    fn ensure_session(&self) -> Result<(), StoreError> {
        if self.role()?.is_none() {
            self.ensure_role(Role::Session)?;
        }
        Ok(())
    }

    /// A session's alarm: deleted once no leg reported for the retention period.
    pub(super) async fn session_alarm(&self) -> Result<(), StoreError> {
        let last = self.store().members_changed()?.unwrap_or_default();
        if self.now() >= last + RETENTION_MS {
            self.memory.forget_storage();
            self.storage.delete_all().await?;
        }
        Ok(())
    }
}
