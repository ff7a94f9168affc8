//! An operator's action, validated by the Worker: recorded in the call's order, sent
//! while the operator waits (retried by the operator's schedule), and answered with
//! Telnyx's own status and body.

use serde_json::{Map, Value};

use super::store::{NewAction, Origin, Role};
use super::CallObject;
use crate::app::http::{Request, Response};
use crate::app::telnyx::{Sent, TelnyxError};
use crate::domain::actions::{self, ActionSpec};
use crate::domain::call_state::{ActionEffect, ActionStatus};
use crate::domain::problem::Problem;
use crate::domain::retry::{Schedule, Verdict};
use crate::ports::{Clock, HttpClient, KvStore, Logger, ObjectStorage, StoreError};

/// Echoes the command id used, so an operator can match the call's `actions` entry.
pub const COMMAND_ID_HEADER: &str = "telnyx-edge-command-id";

/// A random UUIDv4 from the platform's secure generator.
fn random_uuid() -> Result<String, StoreError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| StoreError(format!("no randomness: {e}")))?;
    Ok(uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string())
}

impl<S, K, L, H, C> CallObject<'_, S, K, L, H, C>
where
    S: ObjectStorage,
    K: KvStore,
    L: Logger,
    H: HttpClient,
    C: Clock,
{
    pub(super) async fn operator_action(&self, request: &Request, name: &str) -> Response {
        let (Some(spec), Ok(Some(call))) =
            (actions::find(name), request.header(super::CALL_HEADER))
        else {
            return Problem::new(404, "not_found", "no such action").into();
        };
        let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&request.body) else {
            return Problem::new(400, "invalid_json", "the body must be a JSON object").into();
        };
        match self.perform(spec, call, body).await {
            Ok(response) => response,
            Err(error) => {
                self.log_storage_error("operator action", &error);
                super::storage_problem().into()
            }
        }
    }

    async fn perform(
        &self,
        spec: &'static ActionSpec,
        call: &str,
        mut body: Map<String, Value>,
    ) -> Result<Response, StoreError> {
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
        let text = Value::Object(body).to_string();
        let sent = loop {
            let sent = self.attempt(&id, spec, call, api_key, &text).await?;
            match self.settle(&id, spec, &sent, &Schedule::OPERATOR) {
                Ok(Verdict::RetryIn(delay)) => self.clock.sleep(delay).await,
                Ok(_) => break sent,
                // The request went out: the operator hears how it ended. The action stays
                // pending until the alarm closes it as unrecorded.
                Err(error) => {
                    self.log_storage_error("outcome not recorded", &error);
                    break sent;
                }
            }
        };
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
