//! The test-support modules the fuzz targets need, compiled from `tests/support/`
//! (the webhook signer they use is the crate's own, `telnyx_edge::simulator::signing`).
#![allow(dead_code)] // the targets use only part of what the modules offer

#[path = "../../tests/support/access.rs"]
pub mod access;
#[path = "../../tests/support/deliveries.rs"]
pub mod deliveries;
#[path = "../../tests/support/fake_telnyx.rs"]
pub mod fake_telnyx;
#[path = "../../tests/support/fuzzing.rs"]
pub mod fuzzing;
#[path = "../../tests/support/objects.rs"]
pub mod objects;
#[path = "../../tests/support/sqlite.rs"]
pub mod sqlite;
