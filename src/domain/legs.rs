//! Calls that know of each other: a leg a Dial started (its origin, the call it
//! supervises), the supervisor legs on a call, and the other legs of a call session.
//! Each call's object reports its own summary ([`LegReport`]) to the objects that show
//! it; a report carries a version (the reporter's last change), and an older one never
//! replaces a newer, so reports may arrive late or twice.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use super::call_status::CallStatus;
use super::envelope::is_call_control_id;

/// How a call started, when the worker started it: `{"action":"dial","by":"operator"}`
/// or `{"action":"dial","by":"rule","rule":"…","call_control_id":"…"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DialOrigin {
    pub action: OriginAction,
    pub by: DialedBy,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// The call whose event fired the rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_control_id: Option<String>,
}

/// The action that started a call: only a Dial does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OriginAction {
    Dial,
}

/// Who asked for a Dial.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DialedBy {
    Operator,
    Rule,
}

impl DialOrigin {
    pub fn operator() -> Self {
        Self {
            action: OriginAction::Dial,
            by: DialedBy::Operator,
            rule: None,
            call_control_id: None,
        }
    }

    pub fn rule(rule: &str, call_control_id: &str) -> Self {
        Self {
            action: OriginAction::Dial,
            by: DialedBy::Rule,
            rule: Some(rule.to_owned()),
            call_control_id: Some(call_control_id.to_owned()),
        }
    }
}

/// What a Dial's answer makes of its new leg, given to the leg's object: the call
/// exists from here on, before its first webhook.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DialedLeg {
    pub call_control_id: String,
    pub call_leg_id: Option<String>,
    pub call_session_id: Option<String>,
    pub connection_id: Option<String>,
    pub from: Option<String>,
    /// The first destination of the Dial's `to`.
    pub to: Option<String>,
    pub client_state: Option<String>,
    pub origin: DialOrigin,
    /// `supervise_call_control_id`.
    pub supervising: Option<String>,
    /// `supervisor_role` (Telnyx's default, `barge`, when a supervising Dial names none).
    pub role: Option<String>,
}

impl DialedLeg {
    /// The leg of a Dial sent with `body`, from Telnyx's answer `data`; `None` when the
    /// answer names no call Telnyx could have issued.
    pub fn of(body: &Map<String, Value>, answer: &str, origin: DialOrigin) -> Option<DialedLeg> {
        let DialAnswer { data } = serde_json::from_str(answer).ok()?;
        if !is_call_control_id(&data.call_control_id) {
            return None;
        }
        let body = DialBody::deserialize(&Value::Object(body.clone())).ok()?;
        let role = body
            .supervise_call_control_id
            .as_ref()
            .map(|_| body.supervisor_role.unwrap_or_else(|| "barge".to_owned()));
        Some(DialedLeg {
            call_control_id: data.call_control_id,
            call_leg_id: data.call_leg_id,
            call_session_id: data.call_session_id,
            connection_id: body.connection_id,
            from: body.from,
            to: body.to.and_then(|to| match to {
                DialTo::One(to) => Some(to),
                DialTo::Many(list) => list.into_iter().next(),
            }),
            client_state: body.client_state,
            origin,
            supervising: body.supervise_call_control_id,
            role,
        })
    }
}

/// Telnyx's answer to a Dial: the new leg's ids.
#[derive(Deserialize)]
struct DialAnswer {
    data: DialAnswerData,
}

#[derive(Deserialize)]
struct DialAnswerData {
    call_control_id: String,
    call_leg_id: Option<String>,
    call_session_id: Option<String>,
}

/// What a Dial's body, already validated against the spec, says of its leg.
#[derive(Deserialize)]
struct DialBody {
    to: Option<DialTo>,
    from: Option<String>,
    connection_id: Option<String>,
    client_state: Option<String>,
    supervise_call_control_id: Option<String>,
    supervisor_role: Option<String>,
}

/// A Dial's `to`: one destination or several.
#[derive(Deserialize)]
#[serde(untagged)]
enum DialTo {
    One(String),
    Many(Vec<String>),
}

/// One supervisor leg on a call, in its state's `supervisors`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SupervisorEntry {
    pub call_control_id: String,
    pub to: Option<String>,
    pub role: Option<String>,
    /// `dialing` until the leg's first webhook, then `initiated`, `answered`, `hangup`.
    pub status: &'static str,
    /// The operator who dialed the leg; `None` for a rule's Dial.
    pub by: Option<String>,
    pub at: String,
}

/// One other leg of the call's session, in its state's `legs`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LegEntry {
    pub call_control_id: String,
    pub status: &'static str,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// A call's summary as it reports it to the calls that show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegReport {
    /// Refused unless it can be a call control id: it names a storage key and a URL.
    #[serde(deserialize_with = "call_control_id")]
    pub call_control_id: String,
    /// No webhook of the leg has arrived yet.
    pub dialing: bool,
    pub status: CallStatus,
    pub role: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Who dialed the reporter, when an operator did.
    pub by: Option<String>,
    /// When the reporter last changed (Unix ms): a report with a lower version is older.
    pub version: i64,
    /// The reporter's `updated_at`.
    #[serde(default)]
    pub at: String,
}

/// A text that [`is_call_control_id`] accepts.
fn call_control_id<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    let id = String::deserialize(deserializer)?;
    if is_call_control_id(&id) {
        Ok(id)
    } else {
        Err(serde::de::Error::custom("not a call control id"))
    }
}

impl LegReport {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn supervisor(&self) -> SupervisorEntry {
        SupervisorEntry {
            call_control_id: self.call_control_id.clone(),
            to: self.to.clone(),
            role: self.role.clone(),
            status: match (self.dialing, self.status) {
                (true, CallStatus::Initiated) => "dialing",
                (_, CallStatus::Initiated) => "initiated",
                (_, CallStatus::Answered | CallStatus::Bridged) => "answered",
                (_, CallStatus::Hangup) => "hangup",
            },
            by: self.by.clone(),
            at: self.at.clone(),
        }
    }

    pub fn leg(&self) -> LegEntry {
        LegEntry {
            call_control_id: self.call_control_id.clone(),
            status: self.status.as_str(),
            from: self.from.clone(),
            to: self.to.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_dial_answer_gives_the_leg_and_what_the_body_said() {
        let body = json!({"to": ["sip:sup@pbx.example", "+1312"], "from": "+1999",
            "connection_id": "c1", "supervise_call_control_id": "v3:parent",
            "client_state": "c3Vw", "sip_auth_password": "secret"});
        let answer = json!({"data": {"call_control_id": "v3:leg", "call_leg_id": "l1",
            "call_session_id": "s1", "is_alive": false, "record_type": "call"}});
        let leg = DialedLeg::of(
            body.as_object().unwrap(),
            &answer.to_string(),
            DialOrigin::operator(),
        )
        .unwrap();
        assert_eq!(leg.to.as_deref(), Some("sip:sup@pbx.example"));
        assert_eq!(leg.role.as_deref(), Some("barge"), "Telnyx's default role");
        assert_eq!(leg.supervising.as_deref(), Some("v3:parent"));
        let json = serde_json::to_value(&leg).unwrap();
        assert!(!json.to_string().contains("secret"), "{json}");
        assert_eq!(serde_json::from_value::<DialedLeg>(json).ok(), Some(leg));
        for bad in [
            json!({}),
            json!({"data": {"call_control_id": "../x"}}),
            json!({"data": 1}),
        ] {
            assert_eq!(
                DialedLeg::of(
                    body.as_object().unwrap(),
                    &bad.to_string(),
                    DialOrigin::operator()
                ),
                None
            );
        }
    }

    #[test]
    fn reports_round_trip_and_map_to_entries() {
        let report = LegReport {
            call_control_id: "v3:leg".into(),
            dialing: true,
            status: CallStatus::Initiated,
            role: Some("monitor".into()),
            from: Some("+1".into()),
            to: Some("sip:a@b".into()),
            by: Some("ana@example.com".into()),
            version: 42,
            at: "2026-12-03T00:00:00Z".into(),
        };
        let read = serde_json::from_str::<LegReport>(&report.to_json());
        assert_eq!(read.ok(), Some(report.clone()));
        assert_eq!(report.supervisor().status, "dialing");
        let answered = LegReport {
            dialing: false,
            status: CallStatus::Bridged,
            ..report.clone()
        };
        assert_eq!(answered.supervisor().status, "answered");
        assert_eq!(answered.leg().status, "bridged");
        let mut foreign = serde_json::to_value(&report).unwrap();
        foreign["call_control_id"] = json!("a b");
        assert!(serde_json::from_value::<LegReport>(foreign).is_err());
    }
}
