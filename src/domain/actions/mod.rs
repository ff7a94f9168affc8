//! Call Control actions: the request-body tables generated from the Telnyx spec, the
//! rules the spec states only in prose, and one validator for all twelve actions.

pub mod documented;
pub mod schema;
#[rustfmt::skip]
mod spec;
mod validate;

pub use schema::ActionSpec;
pub use spec::ACTIONS;
pub use validate::{push_pointer, validate, validate_template, Violation, MAX_VIOLATIONS};

/// The action named in `/calls/{id}/actions/{name}`.
pub fn find(name: &str) -> Option<&'static ActionSpec> {
    ACTIONS.iter().find(|action| action.name == name)
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
}
