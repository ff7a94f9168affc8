//! The `CALLS` namespace in memory: one call object per name, each over its own real
//! SQLite database, created on first use, and an alarm runner that fires each object's
//! alarm at its time on the manual clock, as the runtime does.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::marker::PhantomData;
use std::rc::Rc;

use futures_util::future::LocalBoxFuture;
use pollster::block_on;
use telnyx_edge::app::object::{stats_object, CallObject, ObjectMemory, STATS_SHARDS};
use telnyx_edge::domain::config::Config;
use telnyx_edge::ports::http::{Request, Response};
use telnyx_edge::ports::memory::{ManualClock, MemoryKv, MemoryLog};
use telnyx_edge::ports::{CallObjects, Clock, HttpClient, Ports, Rs256, StoreError};

use super::access::NativeRs256;
use super::sqlite::{SqliteStorage, StorageCounts};

/// The ports of the in-memory runtime: KV in memory, each call object over real SQLite,
/// with the objects namespace, clock, HTTP client and RS256 check of the caller's.
pub struct MemoryPorts<O, C, H, V>(PhantomData<Chosen<O, C, H, V>>);

/// What a [`MemoryPorts`] is made of (a function type, so it owns none of them).
type Chosen<O, C, H, V> = fn() -> (O, C, H, V);

impl<O: CallObjects, C: Clock, H: HttpClient, V: Rs256> Ports for MemoryPorts<O, C, H, V> {
    type Kv = MemoryKv;
    type Objects = O;
    type Storage = SqliteStorage;
    type Log = MemoryLog;
    type Clock = C;
    type Http = H;
    type Rs256 = V;
}

/// One object: its storage, which survives restarts, and its memory, which does not.
pub struct Slot {
    pub storage: SqliteStorage,
    /// The in-memory timer of the object's instance ([`CallObject::tick`]), lost when
    /// the instance is.
    tick: Cell<Option<i64>>,
    memory: RefCell<Rc<ObjectMemory>>,
    /// Requests and alarm runs this object took (each a billed Durable Object request).
    pub invocations: Cell<u64>,
}

impl Slot {
    fn memory(&self) -> Rc<ObjectMemory> {
        Rc::clone(&self.memory.borrow())
    }

    /// Starts the timer the instance asks for after a request, an alarm or a tick.
    fn schedule_tick(&self, memory: &ObjectMemory) {
        if let Some(at) = memory.tick_to_schedule() {
            let earliest = self.tick.get().map_or(at, |set| set.min(at));
            self.tick.set(Some(earliest));
        }
    }
}

/// Every object created so far, by name, and what the namespace was asked.
#[derive(Default)]
pub struct ObjectSlots {
    slots: RefCell<BTreeMap<String, Rc<Slot>>>,
    requests: Cell<u64>,
    alarm_runs: Cell<u64>,
    /// Requests answered with this error instead of reaching the object.
    unreachable: Cell<bool>,
}

impl ObjectSlots {
    pub fn get(&self, name: &str) -> Option<Rc<Slot>> {
        self.slots.borrow().get(name).cloned()
    }

    fn get_or_create(&self, name: &str) -> Rc<Slot> {
        let mut slots = self.slots.borrow_mut();
        let slot = slots.entry(name.to_owned()).or_insert_with(|| {
            Rc::new(Slot {
                storage: SqliteStorage::new(),
                tick: Cell::new(None),
                memory: RefCell::new(Rc::default()),
                invocations: Cell::new(0),
            })
        });
        Rc::clone(slot)
    }

    /// Every object's storage, by name ([`SqliteStorage::export`]).
    pub fn export(&self) -> serde_json::Map<String, serde_json::Value> {
        self.slots
            .borrow()
            .iter()
            .map(|(name, slot)| (name.clone(), slot.storage.export()))
            .collect()
    }

    /// Objects whose storage [`Self::export`] wrote, as a restarted runtime finds them.
    pub fn import(&self, exported: &serde_json::Map<String, serde_json::Value>) {
        let mut slots = self.slots.borrow_mut();
        for (name, storage) in exported {
            slots.insert(
                name.clone(),
                Rc::new(Slot {
                    storage: SqliteStorage::import(storage),
                    tick: Cell::new(None),
                    memory: RefCell::new(Rc::default()),
                    invocations: Cell::new(0),
                }),
            );
        }
    }

    /// Objects that stored anything.
    pub fn with_tables(&self) -> Vec<String> {
        self.slots
            .borrow()
            .iter()
            .filter(|(_, slot)| !slot.storage.tables().is_empty())
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// What the objects keep of calls and events: the rows of every object's tables but
    /// the dashboard's counts (the duplicates a call answered, the stats objects). A
    /// table with no rows keeps nothing: a new call's object makes most of its tables
    /// after its first claim.
    pub fn call_records(&self) -> BTreeMap<String, serde_json::Value> {
        let stats: Vec<String> = (0..STATS_SHARDS).map(stats_object).collect();
        self.slots
            .borrow()
            .iter()
            .filter(|(name, slot)| !stats.contains(name) && !slot.storage.tables().is_empty())
            .map(|(name, slot)| {
                let mut tables = slot.storage.export()["tables"].take();
                if let Some(tables) = tables.as_array_mut() {
                    tables.retain(|table| {
                        table["name"] != "duplicates"
                            && table["rows"]
                                .as_array()
                                .is_some_and(|rows| !rows.is_empty())
                    });
                }
                (name.clone(), tables)
            })
            .collect()
    }

    /// Requests the Worker made to objects (each a billed Durable Object request).
    pub fn requests(&self) -> u64 {
        self.requests.get()
    }

    /// Alarm invocations (each a billed Durable Object request too).
    pub fn alarm_runs(&self) -> u64 {
        self.alarm_runs.get()
    }

    /// Every object's storage counts, added up.
    pub fn counts(&self) -> StorageCounts {
        self.slots
            .borrow()
            .values()
            .fold(StorageCounts::default(), |mut total, slot| {
                let counts = slot.storage.counts();
                total.rows_written += counts.rows_written;
                total.rows_read += counts.rows_read;
                total.alarm_sets += counts.alarm_sets;
                total
            })
    }

    /// Every object loses its memory, as when its instance is evicted or the runtime
    /// restarts; storage and alarms stay.
    pub fn evict_all(&self) {
        for slot in self.slots.borrow().values() {
            *slot.memory.borrow_mut() = Rc::default();
            slot.tick.set(None);
        }
    }

    /// Makes the namespace fail every request (an overloaded or unreachable object).
    pub fn set_unreachable(&self, unreachable: bool) {
        self.unreachable.set(unreachable);
    }

    /// The earliest alarm or in-memory timer set on any object, with its object's name.
    pub fn next_alarm(&self) -> Option<(i64, String)> {
        self.slots
            .borrow()
            .iter()
            .filter_map(|(name, slot)| {
                let earliest = match (slot.storage.alarm(), slot.tick.get()) {
                    (Some(alarm), Some(tick)) => alarm.min(tick),
                    (alarm, tick) => alarm.or(tick)?,
                };
                Some((earliest, name.clone()))
            })
            .min()
    }
}

/// The namespace as the Worker and the tests see it, over borrowed ports.
pub struct MemoryObjects<'a, H> {
    pub slots: &'a ObjectSlots,
    pub config: &'a Config,
    pub kv: &'a MemoryKv,
    pub log: &'a MemoryLog,
    pub http: &'a H,
    pub clock: &'a ManualClock,
}

impl<'a, H: HttpClient> MemoryObjects<'a, H> {
    pub fn object<'b>(
        &'b self,
        slot: &'b Slot,
        memory: &'b ObjectMemory,
    ) -> CallObject<'b, MemoryPorts<Self, ManualClock, H, NativeRs256>> {
        CallObject {
            config: self.config,
            storage: &slot.storage,
            kv: self.kv,
            log: self.log,
            http: self.http,
            clock: self.clock,
            objects: self,
            memory,
        }
    }

    /// Runs one object's earliest timer or alarm, as the runtime does when its time
    /// comes: a timer runs in the instance and bills no request; an alarm is spent
    /// unless the handler set it again. Whether it was the alarm.
    pub fn fire(&self, name: &str) -> bool {
        let Some(slot) = self.slots.get(name) else {
            return false;
        };
        let memory = slot.memory();
        let tick_first = match (slot.tick.get(), slot.storage.alarm()) {
            (Some(tick), Some(alarm)) => tick <= alarm,
            (tick, _) => tick.is_some(),
        };
        if tick_first {
            slot.tick.set(None);
            block_on(self.object(&slot, &memory).tick());
            slot.schedule_tick(&memory);
            return false;
        }
        let generation = slot.storage.alarm_generation();
        self.slots.alarm_runs.set(self.slots.alarm_runs.get() + 1);
        slot.invocations.set(slot.invocations.get() + 1);
        block_on(self.object(&slot, &memory).alarm());
        if slot.storage.alarm_generation() == generation {
            slot.storage.clear_alarm();
        }
        slot.schedule_tick(&memory);
        true
    }

    /// Fires every alarm and timer due now, and those they set for now, until none is
    /// due; returns how many alarms ran.
    pub fn run_due(&self) -> usize {
        let (mut fired, mut alarms) = (0, 0);
        while let Some((at, name)) = self.slots.next_alarm() {
            if at > self.clock.now_millis() {
                break;
            }
            alarms += usize::from(self.fire(&name));
            fired += 1;
            assert!(fired < 10_000, "alarms keep firing: {name} at {at}");
        }
        alarms
    }

    /// Moves time forward by `millis`, firing each alarm at its time on the way.
    pub fn advance(&self, millis: u64) {
        let target = self.clock.now_millis() + millis as i64;
        self.run_due();
        while let Some((at, _)) = self.slots.next_alarm() {
            if at > target {
                break;
            }
            let now = self.clock.now_millis();
            if at > now {
                self.clock.advance((at - now) as u64);
                self.kv.set_now((at / 1000) as u64);
            }
            self.run_due();
        }
        let now = self.clock.now_millis();
        if target > now {
            self.clock.advance((target - now) as u64);
        }
        self.kv.set_now((self.clock.now_millis() / 1000) as u64);
        self.run_due();
    }
}

impl<H: HttpClient> CallObjects for MemoryObjects<'_, H> {
    async fn request(&self, name: &str, request: Request) -> Result<Response, StoreError> {
        if self.slots.unreachable.get() {
            return Err(StoreError("injected: the object is unreachable".into()));
        }
        // The runtime's `Headers` throws on a value outside Latin-1 or with a line break,
        // and the Worker's stub call fails with it; so does this one.
        for (name, value) in &request.headers {
            if value
                .chars()
                .any(|c| c > '\u{ff}' || matches!(c, '\r' | '\n' | '\0'))
            {
                return Err(StoreError(format!(
                    "Headers.set: {name}'s value is not a valid header value: {value:?}"
                )));
            }
        }
        self.slots.requests.set(self.slots.requests.get() + 1);
        let slot = self.slots.get_or_create(name);
        slot.invocations.set(slot.invocations.get() + 1);
        let memory = slot.memory();
        // Boxed: an object's request may reach another object through this namespace.
        let handled: LocalBoxFuture<'_, Response> = Box::pin(async move {
            let response = self.object(&slot, &memory).handle(&request).await;
            slot.schedule_tick(&memory);
            response
        });
        Ok(handled.await)
    }
}
