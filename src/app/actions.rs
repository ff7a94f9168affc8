//! Performing a Call Control action for a call: record it `pending`, send it with
//! retries, record the outcome. Shared by the operator API and automations.

use serde_json::{Map, Value};

use super::store::store_action;
use super::telnyx::{Sent, TelnyxClient, TelnyxError};
use super::App;
use crate::domain::actions::ActionSpec;
use crate::domain::call_state::{ActionEffect, ActionRecord, ActionStatus, StoredAction};
use crate::domain::retry::RetryPolicy;
use crate::ports::{Clock, HttpClient, KvStore, LogLine, Logger, StoreError};

/// A validated action to send for one call.
pub struct ActionCommand<'a> {
    pub action: &'static ActionSpec,
    pub call_control_id: &'a str,
    pub body: Map<String, Value>,
    /// The automation rule that planned it; `None` from the operator API.
    pub rule: Option<String>,
    /// A command id chosen by the caller (automations derive theirs); otherwise the
    /// body's own, or a fresh UUIDv4.
    pub command_id: Option<String>,
}

/// What happened: the recorded outcome and, when a request went out, how it ended.
#[derive(Debug)]
pub struct Performed {
    pub record: ActionRecord,
    pub sent: Option<Sent>,
    pub error: Option<TelnyxError>,
}

/// A random UUIDv4 from the platform's secure generator.
pub fn random_uuid() -> Result<String, StoreError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| StoreError(format!("no randomness: {e}")))?;
    Ok(uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string())
}

impl<K: KvStore, L: Logger, H: HttpClient, C: Clock> App<'_, K, L, H, C> {
    /// Sends the action and records every phase on the call. `Err` only when the
    /// `pending` record cannot be written, and then nothing was sent.
    pub async fn perform(&self, command: ActionCommand<'_>) -> Result<Performed, StoreError> {
        let ActionCommand {
            action,
            call_control_id,
            mut body,
            rule,
            command_id,
        } = command;
        let record_uuid = random_uuid()?;
        let command_id = if action.accepts_command_id() {
            let id = command_id
                .or_else(|| {
                    body.get("command_id")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
                .unwrap_or_else(|| record_uuid.clone());
            body.insert("command_id".into(), Value::String(id.clone()));
            Some(id)
        } else {
            None
        };
        let started_at = self.now();
        let mut stored = StoredAction {
            // Random rather than the command id, which a caller may make arbitrarily long.
            id: format!("{:013}-{record_uuid}", started_at.unix_millis()),
            seq: 0,
            started_at,
            record: ActionRecord {
                action: action.name.to_owned(),
                command_id,
                status: ActionStatus::Pending,
                http_status: None,
                error: None,
                rule,
                at: started_at.to_rfc3339(),
            },
            effect: ActionEffect::of(action.name, &body),
        };

        let Some(api_key) = self.config.api_key.as_deref() else {
            let error = TelnyxError::ApiKeyMissing;
            self.finish(call_control_id, &mut stored, None, Some(&error))
                .await;
            return Ok(Performed {
                record: stored.record,
                sent: None,
                error: Some(error),
            });
        };
        store_action(self.kv, call_control_id, &stored).await?;

        let client = TelnyxClient {
            http: self.http,
            clock: self.clock,
            log: self.log,
            api_base: &self.config.api_base,
            api_key,
            policy: RetryPolicy::DEFAULT,
        };
        let body = Value::Object(body).to_string();
        let sent = client.send(action, call_control_id, body, &stored.id).await;
        let error = sent.result.clone().err();
        let status = sent.response.as_ref().map(|r| r.status);
        self.finish(call_control_id, &mut stored, status, error.as_ref())
            .await;
        Ok(Performed {
            record: stored.record,
            sent: Some(sent),
            error,
        })
    }

    /// Records the outcome as the next phase. A failed write is logged, not returned:
    /// the request already went out, and the `pending` phase still tells the story.
    async fn finish(
        &self,
        call_control_id: &str,
        stored: &mut StoredAction,
        http_status: Option<u16>,
        error: Option<&TelnyxError>,
    ) {
        stored.seq += 1;
        stored.record.status = if error.is_some() {
            ActionStatus::Failed
        } else {
            ActionStatus::Succeeded
        };
        stored.record.http_status = http_status;
        stored.record.error = error.map(TelnyxError::summary);
        stored.record.at = self.now().to_rfc3339();
        let outcome = if error.is_some() {
            "failed"
        } else {
            "succeeded"
        };
        self.log.log(LogLine {
            level: if error.is_some() { "warn" } else { "info" },
            msg: "action",
            call_control_id: Some(call_control_id.to_owned()),
            outcome: Some(outcome),
            status: http_status,
            detail: Some(match &stored.record.error {
                Some(error) => format!("{}: {error}", stored.record.action),
                None => stored.record.action.clone(),
            }),
            ..LogLine::default()
        });
        if let Err(store_error) = store_action(self.kv, call_control_id, stored).await {
            self.log.log(LogLine {
                level: "error",
                msg: "kv",
                call_control_id: Some(call_control_id.to_owned()),
                outcome: Some("storage_error"),
                detail: Some(format!(
                    "outcome of {} not recorded: {store_error}",
                    stored.record.action
                )),
                ..LogLine::default()
            });
        }
    }
}
