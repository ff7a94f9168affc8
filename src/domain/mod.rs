//! The pure core: no I/O, no clock, no `worker` types; tested natively.

pub mod access;
pub mod actions;
pub mod auth;
pub mod automations;
pub mod call_state;
pub mod call_status;
pub mod config;
pub mod envelope;
pub mod forward;
pub mod legs;
pub mod lenient;
pub mod problem;
pub mod retry;
pub mod signature;
pub mod stats;
pub mod time;
