//! Contract tests against `../shared/telnyx/openapi-call-control.json`: the action tables
//! are generated from it, and every body the worker can send validates against it.

mod support;

use support::spec_tables::{generate, load_spec, TABLES_PATH};

#[test]
fn action_tables_are_generated_from_the_current_spec() {
    let generated = generate(&load_spec());
    if std::env::var_os("REGENERATE_SPEC_TABLES").is_some() {
        std::fs::write(TABLES_PATH, &generated).expect("write the tables");
    }
    let committed = std::fs::read_to_string(TABLES_PATH).unwrap_or_default();
    assert!(
        committed == generated,
        "src/domain/actions/spec.rs is not what the spec generates; run \
         `REGENERATE_SPEC_TABLES=1 cargo test --test contract` and review the diff"
    );
}
