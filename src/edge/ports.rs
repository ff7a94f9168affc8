//! The ports the Worker's pipeline and the call objects run over in production.

use super::access::WebCryptoRs256;
use super::http::{WorkerClock, WorkerFetch};
use super::kv::WorkerKv;
use super::log::ConsoleLog;
use super::objects::WorkerObjects;
use super::storage::DurableStorage;
use crate::ports::Ports;

/// The Workers runtime's ports: what the Worker's pipeline and the call objects run
/// over in production.
pub struct WorkerPorts;

impl Ports for WorkerPorts {
    type Kv = WorkerKv;
    type Objects = WorkerObjects;
    type Storage = DurableStorage;
    type Log = ConsoleLog;
    type Clock = WorkerClock;
    type Http = WorkerFetch;
    type Rs256 = WebCryptoRs256;
}
