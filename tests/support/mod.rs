//! Shared by the pipeline tests, the end-to-end suite and the `send-webhook` example.
#![allow(dead_code)] // each user takes the parts it needs

pub mod cli;
pub mod deliveries;
pub mod examples;
pub mod fake_telnyx;
pub mod fuzz_seeds;
pub mod fuzzing;
pub mod harness;
pub mod hostile;
pub mod load;
pub mod loopback;
pub mod objects;
pub mod raw_http;
pub mod runner;
pub mod samples;
pub mod scenarios;
pub mod secrets;
pub mod signing;
pub mod simulator;
pub mod simulator_http;
pub mod spec_tables;
pub mod sqlite;
pub mod wrangler;
