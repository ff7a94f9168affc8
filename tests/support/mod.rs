//! Shared by the tests and the benchmarks (each example that needs a piece takes that
//! file alone). The local Telnyx they run against is `telnyx_edge::simulator`.
#![allow(dead_code)] // each user takes the parts it needs

pub mod access;
pub mod deliveries;
pub mod examples;
pub mod fake_telnyx;
pub mod fuzz_seeds;
pub mod fuzzing;
pub mod harness;
pub mod hostile;
pub mod json_http;
pub mod load;
pub mod objects;
pub mod raw_http;
pub mod runner;
pub mod samples;
pub mod secrets;
pub mod spec_tables;
pub mod sqlite;
pub mod wrangler;
