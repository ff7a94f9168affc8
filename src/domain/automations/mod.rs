//! Automations: rules from the `AUTOMATIONS` setting, matched against each accepted
//! event, expanded into Call Control actions with deterministic command ids.

mod path;
mod plan;
mod rules;
mod template;

pub use path::STATE_PATHS;
pub use plan::{command_id, listens_to, plan, Planned, Trigger};
pub use rules::{parse_rules, Rule, RuleError, MAX_ACTIONS_PER_RULE, MAX_RULES};
