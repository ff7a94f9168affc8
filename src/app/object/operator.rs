//! An operator's action, validated by the Worker: recorded in the call's order, sent
//! while the operator waits (retried by the operator's schedule), and answered with
//! Telnyx's own status and body.

use serde_json::{Map, Value};

use super::protocol::{random_uuid, COMMAND_ID_HEADER};
use super::store::{NewAction, Origin, Role};
use super::CallObject;
use crate::app::telnyx::{Sent, TelnyxError};
use crate::domain::actions::{self, ActionSpec};
use crate::domain::call_state::{ActionEffect, ActionStatus};
use crate::domain::legs::DialOrigin;
use crate::domain::problem::Problem;
use crate::domain::retry::{Schedule, Verdict};
use crate::ports::http::{Request, Response};
use crate::ports::{Clock, Ports, StoreError};

/// An operator's request to send: the action, the call it acts on (none for a Dial),
/// its body, and for a Dial how it starts its leg.
pub(super) struct Operation {
    pub spec: &'static ActionSpec,
    pub call: String,
    pub body: Map<String, Value>,
    pub dialed: Option<DialOrigin>,
    /// Who asked for it (`by` on the call's action).
    pub operator: Option<String>,
}

/// An operation, or the answer that refuses it.
pub(super) type Prepared = Result<Operation, Response>;

impl<P: Ports> CallObject<'_, P> {
    /// An operator's action on this call, ready to send, or why not.
    pub(super) fn prepare_action(&self, request: &Request, name: &str) -> Prepared {
        let (Some(spec), Ok(Some(call))) =
            (actions::find(name), request.header(super::CALL_HEADER))
        else {
            return Err(Problem::new(404, "not_found", "no such action").into());
        };
        let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&request.body) else {
            return Err(Problem::new(400, "invalid_json", "the body must be a JSON object").into());
        };
        Ok(Operation {
            spec,
            call: call.to_owned(),
            body,
            dialed: None,
            operator: super::operator_of(request),
        })
    }

    /// Sends what an operator's request prepared (the one place that does: each await
    /// of it would be compiled into the object's request handler again).
    pub(super) async fn operate(&self, prepared: Prepared) -> Response {
        let operation = match prepared {
            Ok(operation) => operation,
            Err(refusal) => return refusal,
        };
        match self.perform(operation).await {
            Ok(response) => response,
            Err(error) => {
                self.log_storage_error("operator action", &error);
                super::storage_problem().into()
            }
        }
    }
    /// Records the action, sends it while the operator waits, and answers with
    /// Telnyx's answer. A Dial (`dialed` says how it started its leg) gives the leg it
    /// started to the leg's own object before answering.
    async fn perform(&self, operation: Operation) -> Result<Response, StoreError> {
        let Operation {
            spec,
            call,
            mut body,
            dialed,
            operator,
        } = operation;
        let call = call.as_str();
        let id = random_uuid()?;
        let command_id = spec.accepts_command_id().then(|| {
            let given = body.get("command_id").and_then(Value::as_str);
            let command_id = given.map_or_else(|| id.clone(), str::to_owned);
            body.insert("command_id".into(), Value::String(command_id.clone()));
            command_id
        });
        let api_key = self.config.api_key.as_deref();
        let missing = api_key
            .is_none()
            .then(|| TelnyxError::ApiKeyMissing.summary());
        self.ensure_role(Role::Call)?;
        // Request bodies are not kept: one may carry a SIP password, and an operator's
        // action is never sent again by the object.
        self.store().insert_action(&NewAction {
            id: &id,
            origin: Origin::Operator,
            action: spec.name,
            command_id: command_id.as_deref(),
            rule: None,
            trigger: None,
            body: None,
            effect: ActionEffect::of(spec.name, &body).as_ref(),
            status: if missing.is_some() {
                ActionStatus::Failed
            } else {
                ActionStatus::Pending
            },
            error: missing.as_deref(),
            operator: operator.as_deref(),
            now: self.now(),
        })?;
        let with_id = |response: Response| match &command_id {
            Some(command_id) => response.with_header(COMMAND_ID_HEADER, command_id.clone()),
            None => response,
        };
        // The alarm closes the action should this request end before it is answered,
        // and keeps the call's retention.
        if let Err(error) = self.wake().await {
            self.log_storage_error("alarm", &error);
        }
        let Some(api_key) = api_key else {
            return Ok(with_id(
                Problem::new(
                    503,
                    "api_key_missing",
                    "TELNYX_API_KEY is not set; nothing was sent (recorded as failed on the call)",
                )
                .into(),
            ));
        };
        let text = serde_json::to_string(&body).unwrap_or_default();
        let (sent, succeeded) = loop {
            let sent = self.attempt(&id, spec, call, api_key, &text).await?;
            match self.settle(&id, spec, &sent, &Schedule::OPERATOR) {
                Ok(Verdict::RetryIn(delay)) => self.clock.sleep(delay).await,
                // Recorded with the outcome, in the same step.
                Ok(Verdict::Succeeded) => {
                    if let Some(origin) = dialed {
                        if let Err(error) = self.record_leg(&id, &body, &sent, origin) {
                            self.log_storage_error("the dialed leg is not recorded", &error);
                        }
                    }
                    break (sent, true);
                }
                Ok(Verdict::Failed(_)) => break (sent, false),
                // The request went out: the operator hears how it ended. The action stays
                // pending until the alarm closes it as unrecorded.
                Err(error) => {
                    self.log_storage_error("outcome not recorded", &error);
                    break (sent, false);
                }
            }
        };
        // The new leg is a call from here on; one its object could not take yet is given
        // to it by the alarm. Neither step may turn Telnyx's success into an error: a
        // client would repeat a Dial that rang.
        if succeeded && spec.is_dial() {
            if let Err(error) = self.register_dials().await {
                self.log_storage_error("the dialed leg is not registered yet", &error);
            }
        }
        // What this call reports of itself, a leg still to register, and the outcome
        // for the dashboard.
        if let Err(error) = self.wake().await {
            self.log_storage_error("alarm", &error);
        }
        Ok(with_id(answer(sent)))
    }
}

/// Telnyx's last answer as it was, or why there was none.
fn answer(sent: Sent) -> Response {
    match (sent.response, sent.error) {
        (Some(telnyx), _) => Response::json(telnyx.status, telnyx.body),
        (None, Some(TelnyxError::Timeout)) => Problem::new(
            504,
            "telnyx_timeout",
            "Telnyx did not answer in time; recorded as failed",
        )
        .into(),
        (None, error) => Problem::new(
            502,
            "telnyx_unreachable",
            format!(
                "Telnyx could not be reached ({}); recorded as failed",
                error.map(|e| e.summary()).unwrap_or_default()
            ),
        )
        .into(),
    }
}
