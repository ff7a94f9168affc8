//! telnyx-edge: Telnyx Call Control webhooks verified, stored and acted on in a
//! Cloudflare Worker.
//!
//! - [`domain`]: the pure core (verification, envelopes, the call-state reducer,
//!   automations, the retry table).
//! - [`ports`]: the traits the core needs from outside (KV, the call object's SQL
//!   storage and alarm, the objects namespace, HTTP, clock, logging), with in-memory
//!   versions for tests.
//! - [`app`]: the Worker's pipeline and the call's Durable Object, over those ports.
//! - `edge` (wasm only): the Worker entry point and the object class, which wire the
//!   runtime in.
//! - `simulator` (native only, feature `simulator`): the local Telnyx for development
//!   and the tests.

pub mod app;
pub mod domain;
pub mod ports;
// The local Telnyx (threads, sockets, the system clock): the Worker never contains it.
#[cfg(all(feature = "simulator", not(target_arch = "wasm32")))]
pub mod simulator;

#[cfg(target_arch = "wasm32")]
mod edge;
