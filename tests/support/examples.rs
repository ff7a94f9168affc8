//! The shipped automation examples (`examples/automations/*.toml`), which are
//! `wrangler.toml` snippets: read as wrangler reads them, into the JSON the worker sees.

use std::path::PathBuf;

use serde_json::Value;

pub const EXAMPLES: [&str; 6] = [
    "record-inbound.toml",
    "siprec-retry.toml",
    "refer-failover.toml",
    "dtmf-supervisor.toml",
    "noise-suppression.toml",
    "stamp-after-refer.toml",
];

pub fn example_path(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("examples/automations")
        .join(file)
}

/// The snippets joined into one, as a user pastes them into `wrangler.toml`.
pub fn joined_toml(files: &[&str]) -> String {
    files
        .iter()
        .map(|file| {
            std::fs::read_to_string(example_path(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `vars.AUTOMATIONS` of the joined snippets, as the JSON text the worker reads.
pub fn automations_json(files: &[&str]) -> String {
    let table: toml::Table = joined_toml(files)
        .parse()
        .unwrap_or_else(|e| panic!("{files:?} is not valid TOML: {e}"));
    let json = serde_json::to_value(table).expect("TOML converts to JSON");
    let automations = json
        .pointer("/vars/AUTOMATIONS")
        .unwrap_or_else(|| panic!("{files:?} has no [vars.AUTOMATIONS]"));
    assert!(matches!(automations, Value::Object(_)));
    automations.to_string()
}
