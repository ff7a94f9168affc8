//! Performing a Call Control action for a call, in three steps that can be split across
//! requests: [`App::prepare`] decides ids and the record, [`App::begin`] writes the work
//! item and the `pending` phase, [`App::complete`] sends with retries and records the
//! outcome. Shared by the operator API, automations and the scheduled sweep.

use serde_json::{Map, Value};

use super::store::{action_work_key, delete_work, put_work, store_action, WorkItem};
use super::telnyx::{Sent, TelnyxClient, TelnyxError};
use super::App;
use crate::domain::actions::ActionSpec;
use crate::domain::call_state::{ActionEffect, ActionRecord, ActionStatus, StoredAction};
use crate::domain::retry::RetryPolicy;
use crate::domain::time::Instant;
use crate::ports::{Clock, HttpClient, KvStore, LogLine, Logger, StoreError};

/// How many times an automation's action is sent at most: the first run and the
/// scheduled sweep's retries together. Each time makes its own HTTP retries.
pub const MAX_SEND_ROUNDS: u32 = 4;

/// Who asked for an action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    Operator,
    Automation {
        rule: String,
        /// The event that set the rule off.
        trigger: String,
        /// Derived from event, rule and position.
        command_id: String,
    },
}

/// A validated action to send for one call.
pub struct ActionCommand<'a> {
    pub action: &'static ActionSpec,
    pub call_control_id: &'a str,
    pub body: Map<String, Value>,
    pub origin: Origin,
}

/// An action with its ids and record decided, ready to begin.
#[derive(Clone, Debug)]
pub struct Prepared {
    pub call_control_id: String,
    pub action: &'static ActionSpec,
    /// The phase [`App::begin`] writes.
    pub stored: StoredAction,
    pub body: Map<String, Value>,
    pub work_key: String,
    /// Times this action will have been sent once this round goes out.
    pub rounds: u32,
}

impl Prepared {
    fn is_automation(&self) -> bool {
        self.stored.trigger.is_some()
    }

    /// Moves on to the action's next phase.
    pub(super) fn advance(
        &mut self,
        status: ActionStatus,
        http_status: Option<u16>,
        error: Option<String>,
        at: Instant,
    ) {
        let stored = &mut self.stored;
        stored.seq += 1;
        stored.record.status = status;
        stored.record.http_status = http_status;
        stored.record.error = error;
        stored.record.at = at.to_rfc3339();
        stored.retryable = false;
    }

    fn work_item(&self) -> WorkItem {
        WorkItem::Action {
            call_control_id: self.call_control_id.clone(),
            action: Box::new(self.stored.clone()),
            body: self.is_automation().then(|| self.body.clone()),
            rounds: self.rounds,
        }
    }
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
        let prepared = self.prepare(command, 0)?;
        self.begin(&prepared).await?;
        Ok(self.complete(prepared).await)
    }

    /// Decides the command id, the record id and the first phase. `ordinal` is the
    /// action's place among those planned together, which orders their work items.
    pub fn prepare(
        &self,
        command: ActionCommand<'_>,
        ordinal: usize,
    ) -> Result<Prepared, StoreError> {
        let ActionCommand {
            action,
            call_control_id,
            mut body,
            origin,
        } = command;
        let accepted = action.accepts_command_id();
        let (record_id, command_id, rule, trigger) = match origin {
            // The derived id names the planned command even where Telnyx takes none
            // (the worker never plans it twice); the record id is the same, so a
            // re-run of the plan lands on the same record.
            Origin::Automation {
                rule,
                trigger,
                command_id,
            } => {
                if accepted {
                    body.insert("command_id".into(), Value::String(command_id.clone()));
                }
                (
                    command_id.clone(),
                    Some(command_id),
                    Some(rule),
                    Some(trigger),
                )
            }
            Origin::Operator => {
                let uuid = random_uuid()?;
                let command_id = accepted.then(|| {
                    let id = body
                        .get("command_id")
                        .and_then(Value::as_str)
                        .map_or_else(|| uuid.clone(), str::to_owned);
                    body.insert("command_id".into(), Value::String(id.clone()));
                    id
                });
                // Random rather than the command id, which a caller may make arbitrarily long.
                let record_id = format!("{:013}-{uuid}", self.now().unix_millis());
                (record_id, command_id, None, None)
            }
        };
        let started_at = self.now();
        let stored = StoredAction {
            id: record_id,
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
            trigger,
            retryable: false,
            ordinal: u32::try_from(ordinal).unwrap_or(u32::MAX),
        };
        Ok(Prepared {
            call_control_id: call_control_id.to_owned(),
            action,
            work_key: action_work_key(started_at, ordinal, &stored.id),
            stored,
            body,
            rounds: 1,
        })
    }

    /// Writes the work item, then the `pending` phase. On `Err` nothing will be sent
    /// and the work item is withdrawn again as far as the store allows.
    pub async fn begin(&self, prepared: &Prepared) -> Result<(), StoreError> {
        put_work(self.kv, &prepared.work_key, &prepared.work_item()).await?;
        if let Err(error) = store_action(self.kv, &prepared.call_control_id, &prepared.stored).await
        {
            self.withdraw_work(&prepared.work_key, Some(&prepared.call_control_id))
                .await;
            return Err(error);
        }
        Ok(())
    }

    /// Sends the action (unless no API key is set) and records the outcome as the next
    /// phase. The work item goes when the outcome is final; an automation's retryable
    /// failure keeps it for the scheduled sweep until [`MAX_SEND_ROUNDS`].
    pub async fn complete(&self, mut prepared: Prepared) -> Performed {
        let Some(api_key) = self.config.api_key.as_deref() else {
            let error = TelnyxError::ApiKeyMissing;
            self.finish(&mut prepared, None, Some(&error)).await;
            return Performed {
                record: prepared.stored.record,
                sent: None,
                error: Some(error),
            };
        };
        let client = TelnyxClient {
            http: self.http,
            clock: self.clock,
            log: self.log,
            api_base: &self.config.api_base,
            api_key,
            policy: RetryPolicy::DEFAULT,
        };
        let body = Value::Object(prepared.body.clone()).to_string();
        let sent = client
            .send(
                prepared.action,
                &prepared.call_control_id,
                body,
                &prepared.stored.id,
            )
            .await;
        let error = sent.result.clone().err();
        let status = sent.response.as_ref().map(|r| r.status);
        self.finish(&mut prepared, status, error.as_ref()).await;
        Performed {
            record: prepared.stored.record,
            sent: Some(sent),
            error,
        }
    }

    /// Records an outcome as the next phase, and drops the work item when it is final.
    /// A failed write is logged, not returned: the request already went out, and the
    /// earlier phase (with the work item) still tells the story.
    async fn finish(
        &self,
        prepared: &mut Prepared,
        http_status: Option<u16>,
        error: Option<&TelnyxError>,
    ) {
        let retry_later = prepared.is_automation()
            && error.is_some_and(TelnyxError::is_retryable)
            && prepared.rounds < MAX_SEND_ROUNDS;
        let error = error.map(|error| {
            let summary = error.summary();
            if prepared.is_automation() && error.is_retryable() && !retry_later {
                format!("{summary} (gave up after {} attempts)", prepared.rounds)
            } else {
                summary
            }
        });
        let status = if error.is_some() {
            ActionStatus::Failed
        } else {
            ActionStatus::Succeeded
        };
        self.record_phase(prepared, status, http_status, error, retry_later)
            .await;
    }

    /// Writes the next phase of an action; unless `retry_later`, the outcome is final
    /// and the action's work item is removed.
    pub(super) async fn record_phase(
        &self,
        prepared: &mut Prepared,
        status: ActionStatus,
        http_status: Option<u16>,
        error: Option<String>,
        retry_later: bool,
    ) {
        prepared.advance(status, http_status, error, self.now());
        prepared.stored.retryable = retry_later;
        let stored = &prepared.stored;
        let call = prepared.call_control_id.as_str();
        self.log.log(LogLine {
            level: if status == ActionStatus::Failed {
                "warn"
            } else {
                "info"
            },
            msg: "action",
            call_control_id: Some(call.to_owned()),
            outcome: Some(match (status, retry_later) {
                (ActionStatus::Failed, true) => "retry_scheduled",
                (ActionStatus::Failed, false) => "failed",
                _ => "succeeded",
            }),
            status: http_status,
            detail: Some(match &stored.record.error {
                Some(error) => format!("{}: {error}", stored.record.action),
                None => stored.record.action.clone(),
            }),
            ..LogLine::default()
        });
        if let Err(store_error) = store_action(self.kv, call, stored).await {
            self.log.log(LogLine {
                level: "error",
                msg: "kv",
                call_control_id: Some(call.to_owned()),
                outcome: Some("storage_error"),
                detail: Some(format!(
                    "outcome of {} not recorded: {store_error}",
                    stored.record.action
                )),
                ..LogLine::default()
            });
            // The work item stays, so the sweep can still record an outcome.
            return;
        }
        if !retry_later {
            self.withdraw_work(&prepared.work_key, Some(call)).await;
        }
    }

    /// Deletes a work item; a failure only means the sweep will find it done later.
    pub(super) async fn withdraw_work(&self, key: &str, call_control_id: Option<&str>) {
        if let Err(error) = delete_work(self.kv, key).await {
            self.log.log(LogLine {
                level: "warn",
                msg: "kv",
                call_control_id: call_control_id.map(str::to_owned),
                outcome: Some("storage_error"),
                detail: Some(format!("finished work item not removed: {error}")),
                ..LogLine::default()
            });
        }
    }
}
