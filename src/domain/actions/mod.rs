//! Call Control actions: the request-body tables generated from the Telnyx spec, the
//! rules the spec states only in prose, and one validator for the twelve actions of
//! `/calls/{id}/actions/{name}` and for Dial (`POST /calls`).

pub mod documented;
pub mod schema;
#[rustfmt::skip]
mod spec;
mod validate;

pub use schema::ActionSpec;
pub use spec::{ACTIONS, DIAL};
pub use validate::{push_pointer, validate, validate_template, Violation, MAX_VIOLATIONS};

/// The action named in `/calls/{id}/actions/{name}`.
pub fn find(name: &str) -> Option<&'static ActionSpec> {
    ACTIONS.iter().find(|action| action.name == name)
}

/// Any action a call's record can name: the twelve, or `dial`.
pub fn recorded(name: &str) -> Option<&'static ActionSpec> {
    find(name).or((name == DIAL.name).then_some(&DIAL))
}

/// Actions are named uniquely, so the name is the identity.
impl PartialEq for ActionSpec {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl ActionSpec {
    /// Telnyx deduplicates on `command_id` only where the spec lists it.
    pub fn accepts_command_id(&'static self) -> bool {
        self.body.has_field("command_id")
    }

    /// Dial, which starts a call rather than acting on one.
    pub fn is_dial(&'static self) -> bool {
        self == &DIAL
    }
}
