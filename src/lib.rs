//! telnyx-edge: Telnyx Call Control webhooks verified, stored and acted on in a
//! Cloudflare Worker.
//!
//! - [`domain`]: the pure core (verification, envelopes, the call-state reducer).
//! - [`ports`]: the traits the core needs from outside (KV, logging), with in-memory
//!   versions for tests.
//! - [`app`]: the request pipeline over those ports.
//! - `edge` (wasm only): the Worker entry points that wire KV and the runtime in.

pub mod app;
pub mod domain;
pub mod ports;

#[cfg(target_arch = "wasm32")]
mod edge;
