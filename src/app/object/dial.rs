//! Dialing. A Dial belongs to one object, which records it before it is sent, sends it
//! under one `command_id`, and gives its new leg to the leg's own object once Telnyx
//! answers:
//!
//! - a supervisor leg (`POST /calls/{id}/supervise`, or `POST /calls` naming a call the
//!   worker knows in `supervise_call_control_id`) to the supervised call's object;
//! - a rule's `dial` to the object of the call whose event fired it (its outbox);
//! - any other `POST /calls` to an object named by its `command_id` ([`dial_object`]),
//!   so a repeated request with the same `command_id` reaches the one that sent it.
//!
//! The leg's object records the Dial as the call's first action: the call exists from
//! Telnyx's answer on, with its `origin` and the call it supervises.

use futures_util::future::LocalBoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::leg_rows::{DialRow, Registration};
use super::operator::{Operation, Prepared};
use super::protocol::{
    internal, operator_of, random_uuid, route, CALL_HEADER, NOT_DIALED, OUTCOME_HEADER,
    REPEAT_ONLY_HEADER, UNKNOWN_CALL,
};
use super::store::Role;
use super::{storage_problem, CallObject};
use crate::app::telnyx::Sent;
use crate::domain::actions::{validate, DIAL};
use crate::domain::call_state::{ActionStatus, CallState};
use crate::domain::call_status::CallStatus;
use crate::domain::legs::{DialOrigin, DialedLeg};
use crate::domain::problem::Problem;
use crate::ports::http::{Request, Response};
use crate::ports::{CallObjects, LogLine, Logger, Ports, StoreError};

fn register_request(leg: &str, registration: &Registration) -> Request {
    internal(
        "POST",
        route::REGISTER.into(),
        vec![(CALL_HEADER.into(), leg.into())],
        serde_json::to_string(registration)
            .unwrap_or_default()
            .into_bytes(),
    )
}

/// Telnyx's answer to a Dial, as given again for a repeated `command_id`.
#[derive(Serialize)]
struct DialAnswer<'a> {
    data: DialData<'a>,
}

#[derive(Serialize)]
struct DialData<'a> {
    call_control_id: &'a str,
    call_leg_id: Option<&'a str>,
    call_session_id: Option<&'a str>,
    is_alive: bool,
    record_type: &'static str,
}

/// `POST /calls/{id}/supervise`'s body, checked field by field by the Worker.
#[derive(Deserialize)]
struct SuperviseBody {
    to: String,
    role: String,
    from: Option<String>,
}

/// The Dial that puts a supervisor leg onto a call.
#[derive(Serialize)]
struct SupervisorDial {
    to: String,
    from: String,
    connection_id: String,
    supervise_call_control_id: String,
    supervisor_role: String,
    command_id: String,
}

/// The call's own number: the one Telnyx called for an incoming call, the caller id of
/// an outgoing one.
fn own_number(state: &CallState) -> Option<String> {
    match state.direction.as_deref() {
        Some("outgoing") => state.from.clone(),
        _ => state.to.clone(),
    }
}

fn object_body(request: &Request) -> Result<Map<String, Value>, Problem> {
    match serde_json::from_slice(&request.body) {
        Ok(Value::Object(body)) => Ok(body),
        _ => Err(Problem::new(
            400,
            "invalid_json",
            "the body must be a JSON object",
        )),
    }
}

impl<P: Ports> CallObject<'_, P> {
    /// The call this object holds, as the operator API shows it; `Ok(None)` when it has
    /// never seen one (and then nothing is stored).
    fn known_call(&self) -> Result<Option<CallState>, StoreError> {
        if self.role()? != Some(Role::Call) {
            return Ok(None);
        }
        self.state()
    }

    /// Refuses a Dial from a call that is unknown here (`404`) or has hung up (`409`).
    fn dialing_call(&self) -> Result<Result<CallState, Problem>, StoreError> {
        Ok(match self.known_call()? {
            None => Err(Problem::new(
                404,
                "call_not_found",
                "no event for this call_control_id was ever accepted",
            )),
            Some(state) if state.status == CallStatus::Hangup => Err(Problem::new(
                409,
                "call_ended",
                "the call has hung up: nothing can join it",
            )),
            Some(state) => Ok(state),
        })
    }

    /// `POST /dial`: an operator's Dial, validated by the Worker, `command_id` set.
    pub(super) fn prepare_dial(&self, request: &Request) -> Prepared {
        let body = object_body(request).map_err(Response::from)?;
        self.dial_of(request, body).unwrap_or_else(|error| {
            self.log_storage_error("dial", &error);
            Err(storage_problem().into())
        })
    }

    fn dial_of(&self, request: &Request, body: Map<String, Value>) -> Result<Prepared, StoreError> {
        if request.header(CALL_HEADER).ok().flatten().is_some() {
            if let Err(problem) = self.dialing_call()? {
                let refusal = Response::from(problem.clone());
                return Ok(Err(match problem.status {
                    404 => refusal.with_header(OUTCOME_HEADER, UNKNOWN_CALL),
                    _ => refusal,
                }));
            }
        }
        let command_id = body.get("command_id").and_then(Value::as_str);
        if let Some(answer) = self.repeated_dial(command_id.unwrap_or_default())? {
            return Ok(Err(answer));
        }
        if request.header(REPEAT_ONLY_HEADER).ok().flatten().is_some() {
            let answer = Response::json(200, String::new());
            return Ok(Err(answer.with_header(OUTCOME_HEADER, NOT_DIALED)));
        }
        Ok(Ok(Operation {
            spec: &DIAL,
            call: String::new(),
            body,
            dialed: Some(DialOrigin::operator()),
            operator: operator_of(request),
        }))
    }

    /// `POST /supervise`: a Dial onto this call, `supervise_call_control_id` set to it,
    /// from its own connection and, unless given, its own number.
    pub(super) fn prepare_supervise(&self, request: &Request) -> Prepared {
        let given = serde_json::from_slice::<SuperviseBody>(&request.body).map_err(|e| {
            Response::from(Problem::new(
                400,
                "invalid_json",
                format!("not a supervise body: {e}"),
            ))
        })?;
        self.supervise_of(given, operator_of(request))
            .unwrap_or_else(|error| {
                self.log_storage_error("supervise", &error);
                Err(storage_problem().into())
            })
    }

    fn supervise_of(
        &self,
        given: SuperviseBody,
        operator: Option<String>,
    ) -> Result<Prepared, StoreError> {
        let state = match self.dialing_call()? {
            Ok(state) => state,
            Err(problem) => return Ok(Err(problem.into())),
        };
        let refuse = |pointer: &str, detail: &str| {
            Ok(Err(Problem::invalid_parameter(pointer, detail).into()))
        };
        let Some(connection_id) = state
            .connection_id
            .clone()
            .or_else(|| self.config.connection_id.clone())
        else {
            return refuse(
                "/connection_id",
                "the call has no connection_id and TELNYX_CONNECTION_ID is not set",
            );
        };
        let Some(from) = given.from.or_else(|| own_number(&state)) else {
            return refuse(
                "/from",
                "from is required: the call's own number is not known yet",
            );
        };
        let dial = SupervisorDial {
            to: given.to,
            from,
            connection_id,
            supervise_call_control_id: state.call_control_id,
            supervisor_role: given.role,
            command_id: random_uuid()?,
        };
        let Ok(Value::Object(body)) = serde_json::to_value(&dial) else {
            return Err(StoreError::unwritable("supervisor dial"));
        };
        if let Err(violations) = validate(&DIAL, &Value::Object(body.clone())) {
            return Ok(Err(
                crate::app::operator::invalid_parameter(violations).into()
            ));
        }
        Ok(Ok(Operation {
            spec: &DIAL,
            call: String::new(),
            body,
            dialed: Some(DialOrigin::operator()),
            operator,
        }))
    }

    /// The answer to a Dial whose `command_id` this object has sent already: Telnyx's
    /// `data` for the leg it started, or why it is not sent again. `None` when it has
    /// not, or when it was refused (it never ran: it may go again).
    fn repeated_dial(&self, command_id: &str) -> Result<Option<Response>, StoreError> {
        if self.role()? != Some(Role::Call) {
            return Ok(None);
        }
        let Some(row) = self.store().dial_action(command_id)? else {
            return Ok(None);
        };
        let refused = row.status == ActionStatus::Failed && !row.ran_maybe;
        if refused {
            return Ok(None);
        }
        let leg = self
            .store()
            .dials(false)?
            .into_iter()
            .find(|dial| dial.action_id == row.id);
        Ok(Some(match (row.status, leg) {
            (ActionStatus::Succeeded, Some(DialRow { dialed, .. })) => {
                let answer = DialAnswer {
                    data: DialData {
                        call_control_id: &dialed.call_control_id,
                        call_leg_id: dialed.call_leg_id.as_deref(),
                        call_session_id: dialed.call_session_id.as_deref(),
                        is_alive: false,
                        record_type: "call",
                    },
                };
                Response::json(200, serde_json::to_string(&answer).unwrap_or_default())
            }
            (ActionStatus::Pending, _) => Problem::new(
                409,
                "dial_in_progress",
                "a Dial with this command_id is being sent; it is not sent twice",
            )
            .into(),
            _ => Problem::new(
                409,
                "dial_outcome_unknown",
                format!(
                    "a Dial with this command_id was sent and may have run ({}); it is not \
                     sent again",
                    row.error.as_deref().unwrap_or("no outcome recorded")
                ),
            )
            .into(),
        }))
    }

    /// Records the leg a successful Dial started, in the same step as its outcome.
    pub(super) fn record_leg(
        &self,
        action_id: &str,
        body: &Map<String, Value>,
        sent: &Sent,
        origin: DialOrigin,
    ) -> Result<(), StoreError> {
        let leg = sent
            .response
            .as_ref()
            .and_then(|response| DialedLeg::of(body, &response.body, origin));
        match leg {
            Some(leg) => self.store().insert_dial(action_id, &leg),
            None => {
                self.log.log(LogLine {
                    level: "warn",
                    msg: "dial",
                    outcome: Some("no_leg"),
                    detail: Some("Telnyx's answer to the Dial names no call".into()),
                    ..LogLine::default()
                });
                Ok(())
            }
        }
    }

    /// Gives every leg dialed here that its own object does not know yet to that object.
    /// `Ok(false)` when one could not be reached (the alarm tries again). Boxed: it is
    /// awaited from an operator's request and from the alarm, compiled once for both.
    pub(super) fn register_dials(&self) -> LocalBoxFuture<'_, Result<bool, StoreError>> {
        Box::pin(self.register_all())
    }

    async fn register_all(&self) -> Result<bool, StoreError> {
        let mut all = true;
        for dial in self.store().dials(true)? {
            let Some(action) = self.store().action(&dial.action_id)? else {
                continue;
            };
            let registration = Registration {
                leg: dial.dialed,
                by: action.operator,
                command_id: action.command_id.unwrap_or(action.id),
                http_status: action.http_status,
                started_at: action.started_at,
                answered_at: self.now(),
            };
            let answer = self
                .objects
                .request(&dial.leg, register_request(&dial.leg, &registration))
                .await;
            match answer {
                Ok(response) if response.status == 200 => {
                    self.store().mark_registered(&dial.action_id)?
                }
                other => {
                    all = false;
                    self.log_link_failure("register", &dial.leg, other);
                }
            }
        }
        Ok(all)
    }

    /// `POST /register`: this object's call was started by a Dial.
    pub(super) async fn register(&self, request: &Request) -> Response {
        let registration = serde_json::from_slice::<Registration>(&request.body).ok();
        let call = request.header(CALL_HEADER).ok().flatten();
        let Some(registration) =
            registration.filter(|r| Some(r.leg.call_control_id.as_str()) == call)
        else {
            return Problem::new(400, "misrouted", "not a registration of this call").into();
        };
        let stored = self
            .ensure_role(Role::Call)
            .and_then(|_| self.store().insert_dialed(&registration));
        let stored = match stored {
            // What the leg reports of itself has changed: the alarm tells the others.
            Ok(true) => self.wake().await,
            other => other.map(drop),
        };
        match stored {
            Ok(()) => Response::json(200, "{}".into()),
            Err(error) => {
                self.log_storage_error("register", &error);
                storage_problem().into()
            }
        }
    }

    /// A request to another object that failed: logged, tried again by the alarm.
    pub(super) fn log_link_failure(
        &self,
        what: &'static str,
        object: &str,
        answer: Result<Response, StoreError>,
    ) {
        let detail = match answer {
            Ok(response) => format!("{what}: {object} answered {}", response.status),
            Err(error) => format!("{what}: {object}: {error}"),
        };
        self.log.log(LogLine {
            level: "warn",
            msg: "link",
            outcome: Some("retry_scheduled"),
            detail: Some(detail),
            ..LogLine::default()
        });
    }
}
