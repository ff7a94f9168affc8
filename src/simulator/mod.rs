//! The local Telnyx: a Call Control API on loopback that answers the worker's commands
//! as Telnyx does and sends back signed webhooks, for development (`cargo run --example
//! telnyx-sim`, `make dev`) and the tests. Native only, behind the `simulator` feature:
//! it is never part of the Worker.
//!
//! - [`core`]: the simulator without I/O ([`core::Simulator`]).
//! - [`deliveries`]: realistic single deliveries of any event type, for one-off sends.
//! - [`http`]: it served over HTTP, delivering its webhooks ([`http::SimServer`]).
//! - [`scenarios`]: whole calls played through it against a running worker.
//! - [`busy_hour`]: many calls at once played through it, planned from a seed.
//! - [`signing`]: Telnyx's Ed25519 webhook signatures, with the published DEVELOPMENT key.
//! - [`loopback`]: the HTTP server on `127.0.0.1` it (and the tests' fake Telnyx) runs on.
//! - [`cli`]: what the examples' command lines share.

pub mod busy_hour;
pub mod cli;
pub mod core;
pub mod deliveries;
pub mod http;
pub mod loopback;
pub mod scenarios;
pub mod signing;
