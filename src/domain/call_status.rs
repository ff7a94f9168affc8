//! Where a call stands in its lifecycle: what its state, its index entry and the
//! reports of its legs all say.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CallStatus {
    Initiated,
    Answered,
    Bridged,
    Hangup,
}

impl CallStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CallStatus::Initiated => "initiated",
            CallStatus::Answered => "answered",
            CallStatus::Bridged => "bridged",
            CallStatus::Hangup => "hangup",
        }
    }
}
