//! `make profile`: a CPU profile of both halves of a webhook under `wrangler dev`. The
//! Worker verifies, parses and hands the event to the call's object; the object, in the
//! same isolate (workerd runs a script's Durable Objects in its Worker's isolate), claims
//! it in SQLite, sets its alarm and answers. The profiling build (`target/profile-build/`,
//! `scripts/build-worker.sh profile`) is the release wasm with its name section kept.
//!
//! One `wrangler dev` with the inspector on; `bench/profile-cdp.mjs` (Node 22) records
//! the isolate's CPU profile over the Chrome DevTools Protocol while signed
//! `call.refer.completed` deliveries go in. Each run is profiled from the first webhook
//! until every call's object has had its timer tick and its backstop alarm (a minute
//! after its first event), so what the webhooks leave for later is in it; then the same
//! load again without the profiler, for the runtime's CPU without it. The profile's
//! samples are grouped into named parts of each half, printed as a table with the top
//! functions, and written with the machine to `bench/results/profile-{time}.json`; the
//! raw profile stays in `target/profile/` for Chrome DevTools.
//!
//! Settings: PROFILE_REQUESTS (3000 webhooks, 9 per call), PROFILE_NEW_CALLS (1000
//! webhooks that each start a call; 0 leaves that run out), PROFILE_CONCURRENCY (16),
//! PROFILE_INTERVAL_US (100, the sampling interval asked for), PROFILE_UNPROFILED (1;
//! 0 leaves out the runs without the profiler), PROFILE_BUILD (a directory laid out as
//! `build/`, `target/profile-build/` unless set), BENCH_STATE_DIR (as `make bench`),
//! PROFILE_ALLOCATIONS (1 samples what the JavaScript heap allocates, too: in all, per
//! webhook and by site, with a `.heapprofile` beside the raw profile), PROFILE_CONFIG (a
//! peer's `wrangler.toml`, profiled instead of ours, for its collector's pauses and
//! allocations) and PROFILE_READ (a kept `.cpuprofile`: summarised again, nothing run).

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use support::deliveries::{body, occurred_at, Delivery};
use support::load::{
    choose_state_dir, in_parallel, load_average, machine_facts, record_stamp, setting,
};
use support::wrangler::WranglerDev;
use telnyx_edge::simulator::signing::{unix_now, WebhookSigner, END_TO_END_SEED};

/// How long after its first event a call's backstop alarm fires
/// (`TALLY_BACKSTOP_MS`), and a little more: a run is profiled until then.
const ALARM_WAIT: Duration = Duration::from_secs(66);
/// After the last answer: the objects' timers report the last events within 3.5 s.
const TAIL: Duration = Duration::from_secs(5);
/// Webhooks sent before the first run, to create the isolate and warm its code.
const WARM_UP: usize = 100;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// One run: `webhooks` signed deliveries over `calls` calls.
#[derive(Clone, Copy)]
struct Run {
    name: &'static str,
    webhooks: usize,
    calls: usize,
}

/// Headers and body of one webhook.
type SignedDelivery = (Vec<(String, String)>, Vec<u8>);

/// Sends `run`'s webhooks, `concurrency` at a time, each a new event (ids tagged
/// `tag`); the call of event `n` is `n % calls`, so each call's events are spread over
/// the run as a real call's are.
fn send(dev: &WranglerDev, signer: &WebhookSigner, tag: &str, run: Run, concurrency: usize) {
    let bodies: Vec<Vec<u8>> = (0..run.webhooks)
        .map(|n| {
            body(&Delivery {
                event_type: "call.refer.completed",
                event_id: &format!("profile-{tag}-{n}"),
                call_control_id: &format!("v3:profile-{tag}-{}", n % run.calls),
                occurred_at: &occurred_at(6),
            })
            .to_string()
            .into_bytes()
        })
        .collect();
    let now = unix_now();
    let signed: Vec<SignedDelivery> = bodies
        .into_iter()
        .map(|body| (signer.headers(now, &body), body))
        .collect();
    let url = format!("{}/webhooks/telnyx", dev.base_url);
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(60))
        .build();
    in_parallel(&signed, concurrency, |(headers, body)| {
        let mut request = agent.post(&url);
        for (name, value) in headers {
            request = request.set(name, value);
        }
        let status = match request.send_bytes(body) {
            Ok(response) => response.status(),
            Err(ureq::Error::Status(status, _)) => status,
            Err(e) => panic!("webhook: {e}"),
        };
        assert_eq!(status, 200, "a webhook was answered {status}");
    });
}

/// `bench/profile-cdp.mjs`, connected to the isolate with its profiler running.
struct Profiler {
    child: Child,
    stdin: ChildStdin,
    stdout: std::io::Lines<BufReader<std::process::ChildStdout>>,
    path: PathBuf,
}

impl Profiler {
    fn start(dev: &WranglerDev, path: &Path, interval_us: usize, allocations: bool) -> Self {
        let node = root().join("node_modules/.bin/node");
        let mut child = Command::new(&node)
            .arg(root().join("bench/profile-cdp.mjs"))
            .arg(dev.inspector_port.to_string())
            .arg(path)
            .arg(interval_us.to_string())
            .args(allocations.then_some("allocations"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e} (run `make bootstrap`)", node.display()));
        let stdin = child.stdin.take().expect("piped stdin");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
        match stdout.next() {
            Some(Ok(line)) if line == "started" => {}
            other => panic!("profile-cdp.mjs did not start the profiler: {other:?}"),
        }
        Self {
            child,
            stdin,
            stdout,
            path: path.to_owned(),
        }
    }

    /// Stops the profiler; the profile and its scripts' sources are then on disk.
    fn stop(mut self) -> PathBuf {
        writeln!(self.stdin, "stop").expect("profile-cdp.mjs is gone");
        match self.stdout.next() {
            Some(Ok(line)) if line == "stopped" => {}
            other => panic!("profile-cdp.mjs did not write the profile: {other:?}"),
        }
        let _ = self.child.wait();
        self.path
    }
}

/// CPU time of the local runtime's processes, by what each is, in seconds.
type RuntimeCpu = BTreeMap<String, f64>;

/// What a process of the wrangler group is, from its command line: wrangler's Node,
/// the workerd that runs the Worker (Miniflare gives it the inspector), or the one
/// that runs wrangler's proxy in front of it.
fn process_role(pid: &str) -> String {
    let cmdline = std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    if cmdline.contains("workerd") {
        if cmdline.contains("inspector-addr") {
            "workerd running the Worker".into()
        } else {
            "workerd running wrangler's proxy".into()
        }
    } else if cmdline.contains("esbuild") {
        "esbuild (wrangler's bundler)".into()
    } else {
        "wrangler (Node)".into()
    }
}

/// Per role, and for the Worker's workerd per thread kind (its main thread runs the
/// isolate and Miniflare's own Workers; V8's profiler has a thread of its own).
fn runtime_cpu(group: u32) -> RuntimeCpu {
    let group = group.to_string();
    let mut cpu = RuntimeCpu::new();
    for process in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let pid = process.file_name().to_string_lossy().into_owned();
        let Ok(stat) = std::fs::read_to_string(process.path().join("stat")) else {
            continue;
        };
        let fields: Vec<&str> = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest.split_whitespace().collect())
            .unwrap_or_default();
        if fields.get(2) != Some(&group.as_str()) {
            continue;
        }
        let role = process_role(&pid);
        let tasks = std::fs::read_dir(process.path().join("task"));
        for task in tasks.into_iter().flatten().flatten() {
            let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
                continue;
            };
            let Some((head, rest)) = stat.rsplit_once(')') else {
                continue;
            };
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let ticks = |n: usize| fields.get(n).and_then(|f| f.parse::<u64>().ok());
            let seconds = (ticks(11).unwrap_or(0) + ticks(12).unwrap_or(0)) as f64 / 100.0;
            let thread = head.rsplit_once('(').map_or("", |(_, name)| name);
            let main = task.file_name().to_string_lossy() == pid;
            let key = match (role.as_str(), main, thread) {
                ("workerd running the Worker", true, _) => format!("{role}: main thread"),
                ("workerd running the Worker", false, "v8:ProfEvntProc") => {
                    format!("{role}: V8's profiler thread")
                }
                ("workerd running the Worker", false, _) => format!("{role}: other threads"),
                _ => role.clone(),
            };
            *cpu.entry(key).or_default() += seconds;
        }
    }
    cpu
}

fn difference(after: &RuntimeCpu, before: &RuntimeCpu) -> RuntimeCpu {
    after
        .iter()
        .map(|(key, seconds)| {
            let earlier = before.get(key).copied().unwrap_or(0.0);
            (key.clone(), seconds - earlier)
        })
        .collect()
}

/// What one pass of a run measured.
struct Pass {
    /// The runtime's CPU while the webhooks went in and for [`TAIL`] after.
    load_cpu: RuntimeCpu,
    /// The runtime's CPU from then until the calls' backstop alarms are past.
    later_cpu: RuntimeCpu,
    load_seconds: f64,
}

/// Sends the run's webhooks and waits for what they leave for later, measuring the
/// runtime's CPU; with `profile`, the isolate's CPU profile is written there.
fn pass(
    dev: &WranglerDev,
    signer: &WebhookSigner,
    run: Run,
    tag: &str,
    profile: Option<(&Path, usize)>,
) -> (Pass, Option<PathBuf>) {
    let concurrency = setting("PROFILE_CONCURRENCY", 16);
    let allocations = setting("PROFILE_ALLOCATIONS", 0) != 0;
    let profiler =
        profile.map(|(path, interval)| Profiler::start(dev, path, interval, allocations));
    let group = dev.process_group();
    let started = Instant::now();
    let before = runtime_cpu(group);
    send(dev, signer, tag, run, concurrency);
    let load_seconds = started.elapsed().as_secs_f64();
    std::thread::sleep(TAIL);
    let after_load = runtime_cpu(group);
    std::thread::sleep(ALARM_WAIT.saturating_sub(started.elapsed()));
    let after = runtime_cpu(group);
    let written = profiler.map(Profiler::stop);
    let measured = Pass {
        load_cpu: difference(&after_load, &before),
        later_cpu: difference(&after, &after_load),
        load_seconds,
    };
    (measured, written)
}

// ---------------------------------------------------------------------------------
// Reading the profile

/// Which code a frame is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// The script's wasm (both halves').
    Wasm,
    /// JavaScript: wasm-bindgen's glue, worker-build's and Miniflare's wrappers, and
    /// V8's wasm↔JS wrappers.
    Js,
    /// A function of the runtime itself (workerd's APIs, in C++: `sql.exec`,
    /// `console.log`, `fetch`), which the profile shows as its JavaScript name.
    Runtime,
    /// `(program)`, `(garbage collector)`, `(idle)`, `(root)`.
    Vm,
}

struct Frame {
    /// The function's name without its Rust hash; JS glue by the import it serves.
    name: String,
    /// The name as the profile gives it (with the hash that tells two instances of a
    /// generic function apart).
    raw: String,
    kind: Kind,
}

/// One sample: its call stack (root first, as frame indices) and its weight in µs.
struct Profile {
    frames: Vec<Frame>,
    stacks: Vec<Vec<usize>>,
    weights: Vec<f64>,
    /// When each sample was taken, in µs from the profile's start.
    offsets_us: Vec<f64>,
    /// Time between samples longer than the weight limit, in µs: the isolate was not
    /// running (workerd ran something else, or nothing), or the sampler was held up.
    unsampled_us: f64,
    cap_us: f64,
    median_interval_us: f64,
}

/// The name wasm-bindgen's glue function starting at `line` serves: its imports are
/// written `__wbg_{name}_{hash}: function(...)` and its own helpers
/// `__wbindgen_{name}: function(...)`, which wrangler's bundler leaves anonymous.
fn glue_name(line: &str) -> Option<String> {
    // A helper's name is the whole of it (`generic_0000000000000006` tells which).
    if let Some(helper) = line.trim_start().strip_prefix("__wbindgen_") {
        return Some(format!("js {}", helper.split(':').next()?));
    }
    let start = line.find("__wbg_")?;
    let rest = &line[start + "__wbg_".len()..];
    let end = rest.find(':')?;
    let full = &rest[..end];
    let trimmed = match full.rsplit_once('_') {
        Some((name, hash)) if hash.len() == 16 && hash.chars().all(|c| c.is_ascii_hexdigit()) => {
            name
        }
        _ => full,
    };
    Some(format!("js {trimmed}"))
}

fn without_hash(name: &str) -> String {
    // Rust's legacy mangling ends a symbol in `::h` and 16 hex digits.
    let is_hash = |rest: &str| {
        rest.len() >= 16
            && rest[..16].chars().all(|c| c.is_ascii_hexdigit())
            && !rest[16..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
    };
    let mut text = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(at) = rest.find("::h") {
        text.push_str(&rest[..at]);
        let after = &rest[at + 3..];
        if is_hash(after) {
            rest = &after[16..];
        } else {
            text.push_str("::h");
            rest = after;
        }
    }
    text.push_str(rest);
    text
}

fn frame_of(call: &Value, sources: &Value) -> Frame {
    let raw = call["functionName"].as_str().unwrap_or_default().to_owned();
    let url = call["url"].as_str().unwrap_or_default();
    let kind = if url.starts_with("wasm://") {
        Kind::Wasm
    } else if raw.starts_with('(') {
        Kind::Vm
    } else if raw == "wasm-to-js" || raw.starts_with("js-to-wasm") || !url.is_empty() {
        Kind::Js
    } else {
        Kind::Runtime
    };
    let name = if !raw.is_empty() {
        without_hash(&raw)
    } else if url.is_empty() {
        "(anonymous runtime function)".into()
    } else {
        let script = call["scriptId"].as_str().unwrap_or_default();
        let line = call["lineNumber"].as_u64().unwrap_or(0) as usize;
        let text = sources[script]["source"]
            .as_str()
            .and_then(|source| source.lines().nth(line))
            .unwrap_or_default();
        let file = url.rsplit('/').next().unwrap_or(url);
        glue_name(text).unwrap_or_else(|| format!("js (anonymous) {file}:{}", line + 1))
    };
    Frame { name, raw, kind }
}

fn read_profile(path: &Path) -> Profile {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let profile: Value = serde_json::from_str(&text).expect("a .cpuprofile is JSON");
    let sources = read_sources(path);
    let nodes = profile["nodes"].as_array().cloned().unwrap_or_default();
    let mut index = HashMap::new();
    let mut frames = Vec::new();
    let mut parent = HashMap::new();
    for node in &nodes {
        let id = node["id"].as_u64().unwrap_or(0);
        index.insert(id, frames.len());
        frames.push(frame_of(&node["callFrame"], &sources));
        for child in node["children"].as_array().into_iter().flatten() {
            parent.insert(child.as_u64().unwrap_or(0), id);
        }
    }
    let mut stack_of: HashMap<u64, Vec<usize>> = HashMap::new();
    let ids: Vec<u64> = profile["samples"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_u64)
        .collect();
    let deltas: Vec<f64> = profile["timeDeltas"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_f64)
        .collect();
    // A sample stands for the time until the next one, up to a limit: a longer gap is
    // time the isolate's thread did not hold the isolate (V8 samples only then).
    let mut intervals: Vec<f64> = deltas.iter().skip(1).copied().collect();
    intervals.sort_by(f64::total_cmp);
    let median_interval_us = intervals.get(intervals.len() / 2).copied().unwrap_or(100.0);
    let cap_us = 3.0 * median_interval_us;
    let (mut weights, mut stacks, mut unsampled_us) = (Vec::new(), Vec::new(), 0.0);
    let mut offsets_us = Vec::with_capacity(ids.len());
    let mut offset_us = 0.0;
    for (n, id) in ids.iter().enumerate() {
        offset_us += deltas.get(n).copied().unwrap_or(0.0);
        offsets_us.push(offset_us);
        let until_next = deltas.get(n + 1).copied().unwrap_or(0.0);
        weights.push(until_next.min(cap_us));
        unsampled_us += (until_next - cap_us).max(0.0);
        let stack = stack_of.entry(*id).or_insert_with(|| {
            let mut stack = Vec::new();
            let mut at = Some(*id);
            while let Some(node) = at {
                stack.push(index[&node]);
                at = parent.get(&node).copied();
            }
            stack.reverse();
            stack
        });
        stacks.push(stack.clone());
    }
    Profile {
        frames,
        stacks,
        weights,
        offsets_us,
        unsampled_us,
        cap_us,
        median_interval_us,
    }
}

/// A run of samples in the garbage collector: the collector stops the whole isolate,
/// the Worker and every object in it, so such a pause falls on every request in flight.
#[derive(Clone, Copy)]
struct Collection {
    /// When it started, in s from the profile's start.
    at_s: f64,
    ms: f64,
}

/// The collections printed one by one: the shorter ones are the young generation's
/// routine, under the sampling's resolution of what a request notices.
const PRINTED_COLLECTION_MS: f64 = 5.0;

/// The profile's collections, in the order they ran.
fn collections(profile: &Profile) -> Vec<Collection> {
    let mut runs: Vec<Collection> = Vec::new();
    let mut in_collector = false;
    for ((stack, weight), offset_us) in profile
        .stacks
        .iter()
        .zip(&profile.weights)
        .zip(&profile.offsets_us)
    {
        let leaf = stack
            .last()
            .map(|&frame| profile.frames[frame].name.as_str());
        let collecting = leaf == Some("(garbage collector)");
        match runs.last_mut() {
            Some(run) if collecting && in_collector => run.ms += weight / 1000.0,
            _ if collecting => runs.push(Collection {
                at_s: offset_us / 1e6,
                ms: weight / 1000.0,
            }),
            _ => {}
        }
        in_collector = collecting;
    }
    runs
}

fn longest_ms(collections: &[Collection]) -> f64 {
    collections.iter().map(|run| run.ms).fold(0.0, f64::max)
}

/// The collections over [`PRINTED_COLLECTION_MS`], for the run's record.
fn long_collections_json(collections: &[Collection]) -> Value {
    collections
        .iter()
        .filter(|run| run.ms > PRINTED_COLLECTION_MS)
        .map(|run| json!({"at_s": run.at_s, "ms": run.ms}))
        .collect()
}

/// What the JavaScript heap allocated in a run (`PROFILE_ALLOCATIONS`), from V8's
/// sampling heap profile: in all, per webhook, and the sites that allocated most, by
/// the function that allocated (wasm-bindgen's glue by the import it serves).
fn read_allocations(profile: &Path, webhooks: usize) -> Option<Value> {
    let text = std::fs::read_to_string(profile.with_extension("heapprofile")).ok()?;
    let sampled: Value = serde_json::from_str(&text).expect("a .heapprofile is JSON");
    let sources = read_sources(profile);
    let mut by_site: HashMap<String, f64> = HashMap::new();
    let mut pending = vec![&sampled["head"]];
    while let Some(node) = pending.pop() {
        let bytes = node["selfSize"].as_f64().unwrap_or(0.0);
        if bytes > 0.0 {
            *by_site
                .entry(frame_of(&node["callFrame"], &sources).name)
                .or_default() += bytes;
        }
        pending.extend(node["children"].as_array().into_iter().flatten());
    }
    let total: f64 = by_site.values().sum();
    let mut sites: Vec<(String, f64)> = by_site.into_iter().collect();
    sites.sort_by(|a, b| b.1.total_cmp(&a.1));
    let kb_per_webhook = |bytes: f64| bytes / 1024.0 / webhooks.max(1) as f64;
    Some(json!({
        "mib": total / 1024.0 / 1024.0,
        "kib_per_webhook": kb_per_webhook(total),
        "top_sites_kib_per_webhook": sites
            .iter()
            .take(12)
            .map(|(site, bytes)| json!({"site": site, "kib": kb_per_webhook(*bytes)}))
            .collect::<Vec<_>>(),
    }))
}

/// The collector's pauses (the longest, and each over [`PRINTED_COLLECTION_MS`] with
/// when it started), and what the heap allocated when it was sampled.
fn print_collector(
    name: &str,
    collections: &[Collection],
    load_seconds: Option<f64>,
    allocations: Option<&Value>,
) {
    println!(
        "\nThe longest pause for the garbage collector: {:.1} ms.",
        longest_ms(collections)
    );
    let long: Vec<String> = collections
        .iter()
        .filter(|run| run.ms > PRINTED_COLLECTION_MS)
        .map(|run| format!("{:.2} s ({:.0} ms)", run.at_s, run.ms))
        .collect();
    let load = load_seconds
        .map(|seconds| format!("; the load ran in about its first {seconds:.1} s"))
        .unwrap_or_default();
    println!(
        "Its runs over {PRINTED_COLLECTION_MS:.0} ms, by when they started from the profile's \
         start{load}: {}.",
        if long.is_empty() {
            "none".to_owned()
        } else {
            long.join(", ")
        }
    );
    if let Some(allocations) = allocations {
        print_allocations(name, allocations);
    }
}

fn print_allocations(name: &str, allocations: &Value) {
    println!(
        "\n{name}: the JavaScript heap allocated {:.1} MiB, {:.1} KiB per webhook; where most:",
        allocations["mib"].as_f64().unwrap_or_default(),
        allocations["kib_per_webhook"].as_f64().unwrap_or_default()
    );
    println!("\n| allocated by | KiB per webhook |\n|---|---|");
    for site in allocations["top_sites_kib_per_webhook"]
        .as_array()
        .into_iter()
        .flatten()
    {
        println!(
            "| {} | {:.2} |",
            site["site"].as_str().unwrap_or_default(),
            site["kib"].as_f64().unwrap_or_default()
        );
    }
}

fn sources_path(profile: &Path) -> PathBuf {
    profile.with_extension("sources.json")
}

/// The profiled scripts' sources kept beside a profile (`Null` when there are none:
/// its glue functions are then named by line).
fn read_sources(profile: &Path) -> Value {
    std::fs::read_to_string(sources_path(profile))
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or(Value::Null)
}

// ---------------------------------------------------------------------------------
// Grouping samples

/// Which half, and which task of it, a sample's code ran for.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
enum Task {
    Worker,
    /// The object's request handler: the delivery, and the stats objects' reports.
    Object,
    /// The object's in-memory timer: the dashboard's tally reports.
    Tick,
    /// The object's alarm handler (the backstop, a minute after a call's first event).
    Alarm,
    /// Neither half's code on the stack: the runtime, the VM, the async executor.
    Shared,
}

impl Task {
    fn half(self) -> &'static str {
        match self {
            Task::Worker => "Worker",
            Task::Object | Task::Tick | Task::Alarm => "Object",
            Task::Shared => "Neither half",
        }
    }
}

/// Frames that say which task an async task's future runs, where LTO inlined the
/// future's own body into wasm-bindgen-futures' closure.
const TASK_MARKERS: &[(&str, Task)] = &[
    ("telnyx_edge::app::webhook", Task::Worker),
    ("telnyx_edge::domain::signature", Task::Worker),
    ("curve25519_dalek", Task::Worker),
    ("ed25519_dalek", Task::Worker),
    ("telnyx_edge::edge::convert::read_request", Task::Worker),
    ("telnyx_edge::edge::_worker_fetch", Task::Worker),
    ("telnyx_edge::app::archive::put_index", Task::Worker),
    ("CallObject<P>>::deliver", Task::Object),
    ("telnyx_edge::app::object::read_signed", Task::Object),
    (
        "telnyx_edge::edge::convert::read_object_request",
        Task::Object,
    ),
    ("CallObject<P>>::take_stats_report", Task::Object),
    ("CallObject<P>>::alarm", Task::Alarm),
    ("CallObject<P>>::run_alarm", Task::Alarm),
    ("CallObject<P>>::run_due", Task::Alarm),
];

/// Object code that any of its tasks runs: says "the object" when nothing more does.
const OBJECT_CODE: &[&str] = &[
    "CallObject<P>",
    "telnyx_edge::edge::storage::DurableStorage",
    "telnyx_edge::app::object::rows::Store",
    "telnyx_edge::edge::call_object",
];

/// The frame that starts an async task: wasm-bindgen-futures' closure around the
/// future (one instance per future type).
fn task_root(profile: &Profile, stack: &[usize]) -> Option<usize> {
    stack.iter().copied().find(|&frame| {
        let name = &profile.frames[frame].name;
        name.starts_with("js_sys::futures::future_to_promise::{{closure}}")
            || name.starts_with("wasm_bindgen_futures::future_to_promise::{{closure}}")
    })
}

/// The task of each async task root, by the markers its samples show.
fn tasks_of_roots(profile: &Profile) -> HashMap<String, Task> {
    let mut votes: HashMap<String, HashMap<Task, f64>> = HashMap::new();
    for (stack, weight) in profile.stacks.iter().zip(&profile.weights) {
        let Some(root) = task_root(profile, stack) else {
            continue;
        };
        let key = profile.frames[root].raw.clone();
        let names: Vec<&str> = stack
            .iter()
            .map(|&f| profile.frames[f].name.as_str())
            .collect();
        let marked = TASK_MARKERS
            .iter()
            .find(|(marker, _)| names.iter().any(|name| name.contains(marker)))
            .map(|(_, task)| *task)
            .map(|task| (task, 1.0))
            .or_else(|| {
                let object = OBJECT_CODE
                    .iter()
                    .any(|code| names.iter().any(|name| name.contains(code)));
                // Weak evidence, counted far below a marker: says "the object" only
                // for a task that shows no marker at all.
                object.then_some((Task::Object, 0.001))
            });
        if let Some((task, strength)) = marked {
            *votes.entry(key).or_default().entry(task).or_default() += weight * strength;
        }
    }
    votes
        .into_iter()
        .filter_map(|(key, tally)| {
            let best = tally
                .into_iter()
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(task, _)| task)?;
            Some((key, best))
        })
        .collect()
}

fn task_of(profile: &Profile, stack: &[usize], roots: &HashMap<String, Task>) -> Task {
    let names = || stack.iter().map(|&f| profile.frames[f].name.as_str());
    if names().any(|name| name.contains("call_object::schedule_tick::{{closure}}")) {
        return Task::Tick;
    }
    if let Some(task) = task_root(profile, stack).and_then(|r| roots.get(&profile.frames[r].raw)) {
        return *task;
    }
    // A synchronous call from JavaScript into the wasm (an export).
    for (marker, task) in TASK_MARKERS {
        if names().any(|name| name.contains(marker)) {
            return *task;
        }
    }
    if names().any(|name| OBJECT_CODE.iter().any(|code| name.contains(code))) {
        return Task::Object;
    }
    Task::Shared
}

/// A named part of a task's time: the first rule of the sample's task that matches
/// names it. `frames`: some frame's name contains one of these (`|` between them);
/// `leaf`: the innermost frame's name does. A rule with neither takes the rest.
struct Rule {
    tasks: &'static [Task],
    frames: &'static str,
    leaf: &'static str,
    part: &'static str,
}

const WORKER: &[Task] = &[Task::Worker];
const OBJECT: &[Task] = &[Task::Object, Task::Alarm];
const OBJECT_ANY: &[Task] = &[Task::Object, Task::Alarm, Task::Tick];
const TICK: &[Task] = &[Task::Tick];
const ALARM: &[Task] = &[Task::Alarm];
const SHARED: &[Task] = &[Task::Shared];
const ANY: &[Task] = &[
    Task::Worker,
    Task::Object,
    Task::Tick,
    Task::Alarm,
    Task::Shared,
];

/// The async executor's own frames (wasm-bindgen-futures, closures, promise glue).
macro_rules! executor {
    () => {
        "js_sys::futures|wasm_bindgen::convert::closures|wasm_bindgen_futures|JsClosure|\
         queueMicrotask|js then|js resolve|_wbg_cb_unref|js __wbindgen|js (anonymous)|js generic_|\
         wasm_bindgen__convert__closures|__externref_table|js-to-wasm|__wbindgen_destroy_closure"
    };
}

/// In order. Inlining (the release build is LTO'd) folds most async functions into
/// their callers, so a part is told by the frames that stay: helpers, crates, and the
/// runtime API that the glue calls (`js exec` is wasm-bindgen's glue, `exec` the
/// runtime's `sql.exec`).
#[rustfmt::skip]
const RULES: &[Rule] = &[
    Rule { tasks: ANY, frames: "", leaf: "(garbage collector)", part: "garbage collector" },
    Rule { tasks: ANY, frames: "", leaf: "(program)",
        part: "(program): workerd's own code holding the isolate" },
    Rule { tasks: ANY, frames: "", leaf: "(idle)", part: "(idle)" },

    Rule { tasks: WORKER, frames: "ConsoleLog|rejection_log", leaf: "",
        part: "log line (JSON, console.log)" },
    Rule { tasks: WORKER,
        frames: "WorkerObjects|protocol::deliver_request|ObjectNamespace|durable::Stub",
        leaf: "idFromName",
        part: "call to the object (request built, stub fetch, answer headers)" },
    Rule { tasks: WORKER,
        frames: "domain::signature|curve25519_dalek|ed25519_dalek|sha2::|base64::|subtle::",
        leaf: "", part: "signature verification (ed25519, sha512, curve25519)" },
    Rule { tasks: WORKER, frames: "domain::envelope|serde_json::de|domain::lenient", leaf: "",
        part: "envelope parsing (serde_json)" },
    Rule { tasks: WORKER,
        frames: "into_worker_response|worker::response|App<P>>::answer|serde_json::ser",
        leaf: "js new_with_opt|Response", part: "answer (JSON, the runtime's Response)" },
    Rule { tasks: WORKER,
        frames: "read_request|plain_request|worker::request::Request|ByteStream|\
                 worker::headers|url::|idna::|icu_",
        leaf: "read|releaseLock|getReader|js body|entries|js next|js cf|js url|js method|\
               js headers",
        part: "request conversion (worker::Request → the app's: headers, URL, body)" },
    Rule { tasks: WORKER,
        frames: "edge::bindings|domain::config|telnyx_edge::app::route|App<P>>::handle|\
                 live_request|panic_probe|access_keys",
        leaf: "", part: "routing, config, bindings" },
    Rule { tasks: WORKER, frames: "", leaf: executor!(),
        part: "async executor and promise glue" },
    Rule { tasks: WORKER, frames: "", leaf: "", part: "other" },

    // The object's timer and alarm: their own parts before the request's.
    Rule { tasks: OBJECT_ANY, frames: "ConsoleLog", leaf: "",
        part: "log lines (JSON, console.log)" },
    Rule { tasks: OBJECT, frames: "Store<S>>::create|Store<S>>::make|ensure_role", leaf: "",
        part: "tables, on a request (CREATE … IF NOT EXISTS: a new call's events and meta)" },
    Rule { tasks: TICK, frames: "Store<S>>::create|Store<S>>::make|ensure_role", leaf: "",
        part: "tables, at the tick (a table's first write)" },
    Rule { tasks: TICK, frames: "WorkerObjects", leaf: "",
        part: "tally tick: report sent to a stats object (request, answer read)" },
    Rule { tasks: TICK, frames: "put_index|telnyx_edge::edge::kv", leaf: "",
        part: "tally tick: a new call's first index entry (KV put)" },
    Rule { tasks: TICK, frames: "alarm_past_backstop|set_alarm|get_alarm",
        leaf: "setAlarm|getAlarm",
        part: "tally tick: a new call's alarm moved past its backstop (summary, setAlarm)" },
    Rule { tasks: TICK, frames: "", leaf: "",
        part: "tally tick: the call's summary, state and contribution (SQL, fold, JSON)" },
    Rule { tasks: ALARM, frames: "WorkerObjects", leaf: "",
        part: "alarm (the backstop, a minute later): report sent to a stats object" },
    Rule { tasks: ALARM, frames: "tally_when_due|report_tally", leaf: "",
        part: "alarm (the backstop, a minute later): the call's state and contribution" },
    Rule { tasks: ALARM, frames: "", leaf: "",
        part: "alarm (the backstop, a minute later): what is due, the next alarm" },
    Rule { tasks: OBJECT, frames: "take_stats_report|read_stats|stats_rows|domain::stats",
        leaf: "", part: "stats objects: taking the tally reports" },
    Rule { tasks: OBJECT, frames: "alarm::<impl|get_alarm|set_alarm", leaf: "setAlarm|getAlarm",
        part: "alarm: get, set, what is due next" },
    Rule { tasks: OBJECT, frames: "tally::<impl|count_duplicate", leaf: "",
        part: "tally bookkeeping (when the next report is due)" },
    Rule { tasks: OBJECT,
        frames: "DurableStorage|rows::Store|sql_storage|worker::sql|serde_wasm_bindgen",
        leaf: "exec|js raw|toArray|rowsWritten",
        part: "the claim (SQL statements, cursors, serde_wasm_bindgen)" },
    Rule { tasks: OBJECT, frames: "read_signed|domain::envelope|serde_json::de|domain::lenient",
        leaf: "", part: "parsing the body again" },
    Rule { tasks: OBJECT, frames: "into_worker_response|worker::response",
        leaf: "js new_with_opt|Response", part: "answer (the runtime's Response)" },
    Rule { tasks: OBJECT,
        frames: "read_object_request|plain_request|worker::request::Request|worker::headers|\
                 url::|idna::|icu_",
        leaf: "arrayBuffer|entries|js next|js url|js method|js headers",
        part: "request conversion (worker::Request → the app's)" },
    Rule { tasks: OBJECT, frames: "Instance::bindings|edge::bindings|domain::config", leaf: "",
        part: "bindings and config" },
    Rule { tasks: OBJECT, frames: "CallObject<P>|serde_json::ser", leaf: "",
        part: "the delivery's own code (checks, the record's JSON)" },
    Rule { tasks: OBJECT, frames: "", leaf: executor!(),
        part: "async executor and promise glue" },
    Rule { tasks: OBJECT, frames: "", leaf: "", part: "other" },

    Rule { tasks: SHARED, frames: "", leaf: executor!(),
        part: "async executor and promise glue, outside either half's task" },
    Rule { tasks: SHARED, frames: "", leaf: "(anonymous runtime function)",
        part: "runtime callbacks with no JavaScript frame" },
    Rule { tasks: SHARED, frames: "__mf_do_wrapper|Wrapper", leaf: "apply|construct|get",
        part: "entry wrappers (worker-build's, Miniflare's Durable Object wrapper)" },
    Rule { tasks: SHARED, frames: "", leaf: "", part: "other" },
];

fn any_contains(name: &str, patterns: &str) -> bool {
    patterns
        .split('|')
        .map(str::trim)
        .any(|pattern| !pattern.is_empty() && name.contains(pattern))
}

fn part_of(profile: &Profile, stack: &[usize], task: Task) -> &'static str {
    let name = |&frame: &usize| profile.frames[frame].name.as_str();
    let leaf = stack.last().map(name).unwrap_or_default();
    RULES
        .iter()
        .filter(|rule| rule.tasks.contains(&task))
        .find(|rule| {
            (rule.frames.is_empty() && rule.leaf.is_empty())
                || stack.iter().any(|f| any_contains(name(f), rule.frames))
                || any_contains(leaf, rule.leaf)
        })
        .map_or("other", |rule| rule.part)
}

/// Time in µs, split by the kind of the innermost frame.
#[derive(Default, Clone, Copy)]
struct Split {
    wasm: f64,
    js: f64,
    runtime: f64,
    vm: f64,
}

impl Split {
    fn add(&mut self, kind: Kind, us: f64) {
        match kind {
            Kind::Wasm => self.wasm += us,
            Kind::Js => self.js += us,
            Kind::Runtime => self.runtime += us,
            Kind::Vm => self.vm += us,
        }
    }

    fn total(&self) -> f64 {
        self.wasm + self.js + self.runtime + self.vm
    }
}

/// A function's name, and the half it ran for.
type FunctionKey = (String, &'static str);

/// What a profile says about a run, per webhook.
struct Summary {
    webhooks: usize,
    /// (half, part) → time.
    parts: BTreeMap<(&'static str, &'static str), Split>,
    /// Innermost function and half → time, and the function's kind.
    functions: HashMap<FunctionKey, (f64, Kind)>,
    /// Functions whose whole time (with what they call) matters.
    inclusive: Vec<(&'static str, f64)>,
    idle_us: f64,
    isolate_us: f64,
    profile_us: f64,
    unsampled_us: f64,
    cap_us: f64,
    median_interval_us: f64,
    samples: usize,
}

/// Inclusive time of these (a sample counts once however deep the function recurses).
const INCLUSIVE: &[(&str, &str)] = &[
    (
        "Worker: signature verification (curve25519, sha2, ed25519 frames)",
        "curve25519_dalek|sha2::|ed25519_dalek",
    ),
    (
        "Worker: envelope::parse",
        "telnyx_edge::domain::envelope::parse",
    ),
    (
        "both: WorkerObjects::request (a call to an object, without its wait)",
        "WorkerObjects as telnyx_edge::ports::CallObjects>::request",
    ),
    (
        "Worker: App::answer (log line and answer JSON)",
        "App<P>>::answer",
    ),
    (
        "both: ConsoleLog::log",
        "ConsoleLog as telnyx_edge::ports::Logger>::log",
    ),
    ("both: console.log and its glue", "=js log"),
    (
        "Object: DurableStorage::exec (every SQL statement: glue, sql.exec, SQLite)",
        "telnyx_edge::edge::storage::DurableStorage::exec",
    ),
    (
        "Object: sql.exec itself (the runtime's, with SQLite)",
        "=exec",
    ),
    (
        "Object: read_signed (the body parsed again)",
        "telnyx_edge::app::object::read_signed",
    ),
    (
        "Object: the timer's tick (tally reports)",
        "call_object::schedule_tick::{{closure}}",
    ),
    (
        "Object: CallObject::state (the call's state, folded from its rows)",
        "CallObject<P>::state",
    ),
    (
        "Object: Response::text in tally reports (reading the stats object's answer)",
        "worker::response::Response::text",
    ),
    (
        "both: ReadableStream releaseLock (end of each body read)",
        "=js releaseLock",
    ),
    (
        "both: bodies read as streams (worker's ByteStream: getReader, read, releaseLock)",
        "<worker::streams::ByteStream as futures_core",
    ),
    (
        "both: worker::Request from the runtime's (reads cf, headers, method)",
        "<worker::request::Request as core::convert::From",
    ),
    (
        "Object: Store::summary (the row of marks and times, in one query of subqueries)",
        "rows::Store<S>>::summary",
    ),
    (
        "Object: a tally report read and sent (timer and alarm: state, contribution, request)",
        "CallObject<P>>::report_tally|CallObject<P>>::read_tally|CallObject<P>>::send_tally",
    ),
];

fn summarise(profile: &Profile, webhooks: usize) -> Summary {
    let roots = tasks_of_roots(profile);
    let mut parts: BTreeMap<(&'static str, &'static str), Split> = BTreeMap::new();
    let mut functions: HashMap<FunctionKey, (f64, Kind)> = HashMap::new();
    let mut inclusive = vec![0.0; INCLUSIVE.len()];
    let (mut idle_us, mut isolate_us) = (0.0, 0.0);
    for (stack, &weight) in profile.stacks.iter().zip(&profile.weights) {
        let Some(&leaf) = stack.last() else { continue };
        let leaf_frame = &profile.frames[leaf];
        if leaf_frame.name == "(idle)" {
            idle_us += weight;
            continue;
        }
        if leaf_frame.name == "(root)" {
            continue;
        }
        isolate_us += weight;
        let task = task_of(profile, stack, &roots);
        let half = task.half();
        let part = part_of(profile, stack, task);
        parts
            .entry((half, part))
            .or_default()
            .add(leaf_frame.kind, weight);
        functions
            .entry((leaf_frame.name.clone(), half))
            .or_insert((0.0, leaf_frame.kind))
            .0 += weight;
        for (sum, (_, patterns)) in inclusive.iter_mut().zip(INCLUSIVE) {
            let hit = patterns.split('|').any(|pattern| {
                stack.iter().any(|&f| match pattern.strip_prefix('=') {
                    Some(exact) => profile.frames[f].name == exact,
                    None => profile.frames[f].name.contains(pattern),
                })
            });
            if hit {
                *sum += weight;
            }
        }
    }
    let profile_us = profile.weights.iter().sum::<f64>() + profile.unsampled_us;
    Summary {
        webhooks,
        parts,
        functions,
        inclusive: INCLUSIVE
            .iter()
            .zip(inclusive)
            .map(|((label, _), us)| (*label, us))
            .collect(),
        idle_us,
        isolate_us,
        profile_us,
        unsampled_us: profile.unsampled_us,
        cap_us: profile.cap_us,
        median_interval_us: profile.median_interval_us,
        samples: profile.stacks.len(),
    }
}

// ---------------------------------------------------------------------------------
// Tables

const HALVES: [&str; 3] = ["Worker", "Object", "Neither half"];

impl Summary {
    fn per_webhook_ms(&self, us: f64) -> f64 {
        us / 1000.0 / self.webhooks as f64
    }

    fn share(&self, us: f64) -> f64 {
        100.0 * us / self.isolate_us
    }

    fn half_total(&self, half: &str) -> Split {
        let mut total = Split::default();
        for ((h, _), split) in &self.parts {
            if *h == half {
                total.wasm += split.wasm;
                total.js += split.js;
                total.runtime += split.runtime;
                total.vm += split.vm;
            }
        }
        total
    }

    fn print(&self, title: &str) {
        println!("\n### {title}\n");
        println!(
            "Sampled isolate time: {:.2} ms per webhook ({} webhooks; {} samples, median \
             interval {:.0} µs, a sample counts for at most {:.0} µs; {:.1} s of the {:.1} s \
             profiled was between samples, {:.1} s idle)\n",
            self.per_webhook_ms(self.isolate_us),
            self.webhooks,
            self.samples,
            self.median_interval_us,
            self.cap_us,
            self.unsampled_us / 1e6,
            self.profile_us / 1e6,
            self.idle_us / 1e6,
        );
        println!(
            "| half | part | ms per webhook | share of isolate time | in wasm | in JS glue | in runtime APIs |"
        );
        println!("|---|---|---:|---:|---:|---:|---:|");
        for half in HALVES {
            let mut rows: Vec<(&str, Split)> = self
                .parts
                .iter()
                .filter(|((h, _), _)| *h == half)
                .map(|((_, part), split)| (*part, *split))
                .collect();
            if rows.is_empty() {
                continue;
            }
            rows.sort_by(|a, b| b.1.total().total_cmp(&a.1.total()));
            let total = self.half_total(half);
            println!("{}", self.row(&format!("**{half}**"), "**all**", &total));
            // Parts under half a microsecond per webhook are a stray sample or two.
            for (part, split) in rows
                .into_iter()
                .filter(|(_, split)| self.per_webhook_ms(split.total()) >= 0.0005)
            {
                println!("{}", self.row("", part, &split));
            }
        }
        println!("\nTop 30 functions by self time (the innermost frame):\n");
        println!("| function | half | kind | ms per webhook | share |");
        println!("|---|---|---|---:|---:|");
        for ((name, half), (us, kind)) in self.top_functions(30) {
            println!(
                "| `{}` | {half} | {kind:?} | {:.3} | {:.1}% |",
                shorten(&name),
                self.per_webhook_ms(us),
                self.share(us)
            );
        }
        println!("\nInclusive time (with everything they call):\n");
        println!("| function | ms per webhook | share |");
        println!("|---|---:|---:|");
        for (label, us) in &self.inclusive {
            println!(
                "| {label} | {:.3} | {:.1}% |",
                self.per_webhook_ms(*us),
                self.share(*us)
            );
        }
    }

    fn row(&self, half: &str, part: &str, split: &Split) -> String {
        let ms = |us: f64| format!("{:.3}", self.per_webhook_ms(us));
        format!(
            "| {half} | {part} | {} | {:.1}% | {} | {} | {} |",
            ms(split.total()),
            self.share(split.total()),
            ms(split.wasm),
            ms(split.js),
            ms(split.runtime),
        )
    }

    fn top_functions(&self, count: usize) -> Vec<(FunctionKey, (f64, Kind))> {
        let mut all: Vec<_> = self
            .functions
            .iter()
            .map(|(key, value)| (key.clone(), *value))
            .collect();
        all.sort_by(|a, b| b.1 .0.total_cmp(&a.1 .0));
        all.truncate(count);
        all
    }

    fn json(&self) -> Value {
        let parts: Vec<Value> = self
            .parts
            .iter()
            .map(|((half, part), split)| {
                json!({"half": half, "part": part,
                    "ms_per_webhook": self.per_webhook_ms(split.total()),
                    "share_of_isolate": self.share(split.total()) / 100.0,
                    "wasm_ms": self.per_webhook_ms(split.wasm),
                    "js_glue_ms": self.per_webhook_ms(split.js),
                    "runtime_api_ms": self.per_webhook_ms(split.runtime),
                    "vm_ms": self.per_webhook_ms(split.vm)})
            })
            .collect();
        let top: Vec<Value> = self
            .top_functions(30)
            .into_iter()
            .map(|((name, half), (us, kind))| {
                json!({"function": name, "half": half, "kind": format!("{kind:?}"),
                    "ms_per_webhook": self.per_webhook_ms(us), "share_of_isolate": self.share(us) / 100.0})
            })
            .collect();
        let inclusive: Vec<Value> = self
            .inclusive
            .iter()
            .map(|(label, us)| json!({"function": label, "ms_per_webhook": self.per_webhook_ms(*us)}))
            .collect();
        json!({
            "webhooks": self.webhooks,
            "isolate_ms_per_webhook": self.per_webhook_ms(self.isolate_us),
            "halves": HALVES.iter().map(|half| json!({"half": half,
                "ms_per_webhook": self.per_webhook_ms(self.half_total(half).total())})).collect::<Vec<_>>(),
            "parts": parts, "top_functions": top, "inclusive": inclusive,
            "samples": self.samples, "median_interval_us": self.median_interval_us,
            "sample_weight_cap_us": self.cap_us, "profiled_s": self.profile_us / 1e6,
            "between_samples_s": self.unsampled_us / 1e6, "idle_s": self.idle_us / 1e6,
        })
    }
}

/// Long generic names cut to what tells them apart.
fn shorten(name: &str) -> String {
    let name = name.replace("telnyx_edge::", "").replace('|', "\\|");
    if name.chars().count() > 110 {
        let cut: String = name.chars().take(107).collect();
        format!("{cut}…")
    } else {
        name
    }
}

fn print_runtime(name: &str, webhooks: usize, measured: &Pass, isolate_ms: Option<f64>) {
    let per = |seconds: f64| seconds * 1000.0 / webhooks as f64;
    let load: f64 = measured.load_cpu.values().sum();
    let later: f64 = measured.later_cpu.values().sum();
    println!(
        "\n{name}: {webhooks} webhooks in {:.1} s ({:.0}/s). The local runtime's CPU per \
         webhook: {:.2} ms while they went in and {TAIL:?} after, {:.2} ms more until the \
         backstop alarms were past{}",
        measured.load_seconds,
        webhooks as f64 / measured.load_seconds,
        per(load),
        per(later),
        isolate_ms.map_or(String::new(), |ms| format!(
            "; the isolate's sampled time is {:.0}% of the whole",
            100.0 * ms / per(load + later)
        ))
    );
    println!("\n| process | ms per webhook, load | ms per webhook, later |");
    println!("|---|---:|---:|");
    for (process, seconds) in &measured.load_cpu {
        let later = measured.later_cpu.get(process).copied().unwrap_or(0.0);
        println!("| {process} | {:.2} | {:.2} |", per(*seconds), per(later));
    }
}

/// The profiler slows the isolate's thread too: the isolate's share of that thread's
/// CPU in the profiled pass, and that share of the thread's CPU without the profiler
/// in ms per webhook (an estimate of the isolate's time unprofiled).
fn unprofiled_estimate(
    isolate_ms: f64,
    webhooks: usize,
    profiled: &Pass,
    without: &Pass,
) -> (f64, f64) {
    let thread = |pass: &Pass| {
        let key = "workerd running the Worker: main thread";
        pass.load_cpu.get(key).copied().unwrap_or(0.0)
            + pass.later_cpu.get(key).copied().unwrap_or(0.0)
    };
    let share = isolate_ms * webhooks as f64 / 1000.0 / thread(profiled);
    (share, share * thread(without) * 1000.0 / webhooks as f64)
}

fn runtime_json(webhooks: usize, measured: &Pass) -> Value {
    let per = |cpu: &RuntimeCpu| -> Value {
        cpu.iter()
            .map(|(process, seconds)| (process.clone(), json!(seconds * 1000.0 / webhooks as f64)))
            .collect::<serde_json::Map<String, Value>>()
            .into()
    };
    json!({
        "load_seconds": measured.load_seconds,
        "cpu_ms_per_webhook_load": measured.load_cpu.values().sum::<f64>() * 1000.0 / webhooks as f64,
        "cpu_ms_per_webhook_later": measured.later_cpu.values().sum::<f64>() * 1000.0 / webhooks as f64,
        "by_process_load": per(&measured.load_cpu),
        "by_process_later": per(&measured.later_cpu),
    })
}

/// The machine, with the load average at the start and the end of the run.
fn machine_at(load_at_start: &str) -> Value {
    let mut machine = machine_facts();
    machine["load_average_at_start"] = load_at_start.into();
    machine["load_average_at_end"] = load_average().into();
    machine
}

/// `PROFILE_READ`: a kept profile summarised again, for the webhooks its run record
/// (written beside it) says it had.
fn read_again(path: &Path) -> ExitCode {
    let record: Value = std::fs::read_to_string(path.with_extension("run.json"))
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or(Value::Null);
    let webhooks = record["webhooks"].as_u64().unwrap_or(1) as usize;
    let read = read_profile(path);
    let name = path.display().to_string();
    summarise(&read, webhooks).print(&name);
    let allocations = read_allocations(path, webhooks);
    print_collector(&name, &collections(&read), None, allocations.as_ref());
    ExitCode::SUCCESS
}

fn main() -> ExitCode {
    // `cargo test --all-targets` runs benches without `--bench`: nothing to measure then.
    if !std::env::args().any(|arg| arg == "--bench") {
        println!("profile: run through `make profile` (cargo bench --bench profile)");
        return ExitCode::SUCCESS;
    }
    if let Some(path) = std::env::var_os("PROFILE_READ") {
        return read_again(Path::new(&path));
    }
    let load_at_start = load_average();
    choose_state_dir("profile");
    let build = std::env::var_os("PROFILE_BUILD")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/profile-build"));
    let requests = setting("PROFILE_REQUESTS", 3000);
    let new_calls = setting("PROFILE_NEW_CALLS", 1000);
    let interval_us = setting("PROFILE_INTERVAL_US", 100);
    let unprofiled = setting("PROFILE_UNPROFILED", 1) != 0;
    let signer = WebhookSigner::from_seed(END_TO_END_SEED);
    // Ours as `make bench` runs it: no rules, no console assets (Miniflare's router
    // would run in front of every request).
    let vars = vec![
        ("TELNYX_PUBLIC_KEY", signer.public_key_base64()),
        ("AUTOMATIONS", String::new()),
    ];
    // A peer's `wrangler.toml` instead, to set its collector's pauses and allocations
    // beside ours (its parts are not named).
    let peer_config = std::env::var("PROFILE_CONFIG").ok();
    let worker = peer_config
        .clone()
        .unwrap_or_else(|| build.display().to_string());
    println!("profile: starting {worker} under wrangler dev");
    let dev = match &peer_config {
        Some(config) => WranglerDev::start_config(config, &vars),
        None => WranglerDev::start_bundle(&build, &vars),
    }
    .unwrap_or_else(|e| panic!("{e}"));
    let warm_up = Run {
        name: "warm-up",
        webhooks: WARM_UP,
        calls: WARM_UP / 10,
    };
    send(&dev, &signer, "warm-up", warm_up, 16);

    let taken_at = record_stamp();
    let dir = root().join("target/profile");
    std::fs::create_dir_all(&dir).expect("target/profile");
    let mut runs = vec![Run {
        name: "9 events per call",
        webhooks: requests,
        calls: (requests / 9).max(1),
    }];
    if new_calls > 0 {
        runs.push(Run {
            name: "every webhook a new call",
            webhooks: new_calls,
            calls: new_calls,
        });
    }
    let mut records = Vec::new();
    let mut printed = Vec::new();
    for (n, run) in runs.iter().enumerate() {
        let path = dir.join(format!("profile-{taken_at}-{n}.cpuprofile"));
        println!(
            "profile: {}: {} webhooks over {} calls, profiled until the calls' alarms are past (about {} s)",
            run.name,
            run.webhooks,
            run.calls,
            ALARM_WAIT.as_secs()
        );
        let (profiled, written) = pass(
            &dev,
            &signer,
            *run,
            &format!("p{n}"),
            Some((&path, interval_us)),
        );
        let path = written.expect("profiled");
        let _ = std::fs::write(
            path.with_extension("run.json"),
            json!({"run": run.name, "webhooks": run.webhooks, "calls": run.calls}).to_string(),
        );
        let read = read_profile(&path);
        let summary = summarise(&read, run.webhooks);
        let collections = collections(&read);
        let allocations = read_allocations(&path, run.webhooks);
        let without = unprofiled.then(|| {
            println!("profile: {}: the same load without the profiler", run.name);
            pass(&dev, &signer, *run, &format!("u{n}"), None).0
        });
        records.push(json!({
            "run": run.name, "webhooks": run.webhooks, "calls": run.calls,
            "concurrency": setting("PROFILE_CONCURRENCY", 16),
            "profile": path.display().to_string(),
            "summary": summary.json(),
            "longest_gc_pause_ms": longest_ms(&collections),
            "gc_pauses": long_collections_json(&collections),
            "allocations": allocations,
            "runtime_profiled": runtime_json(run.webhooks, &profiled),
            "runtime_unprofiled": without.as_ref().map(|w| runtime_json(run.webhooks, w)),
            "isolate_ms_per_webhook_unprofiled_estimate": without.as_ref().map(|w| {
                let isolate_ms = summary.per_webhook_ms(summary.isolate_us);
                unprofiled_estimate(isolate_ms, run.webhooks, &profiled, w).1
            }),
        }));
        printed.push((
            *run,
            summary,
            profiled,
            without,
            path,
            collections,
            allocations,
        ));
    }
    let log = dev.log();
    let level = |name: &str| log.matches(&format!("\"level\":\"{name}\"")).count();
    let (lines, warnings, errors) = (level("info"), level("warn"), level("error"));
    drop(dev);

    println!(
        "\n## Where a webhook's time goes ({taken_at}, sampling every {interval_us} µs asked, \
         concurrency {})",
        setting("PROFILE_CONCURRENCY", 16)
    );
    for (run, summary, profiled, without, path, collections, allocations) in &printed {
        let isolate_ms = summary.per_webhook_ms(summary.isolate_us);
        print_runtime(
            &format!("{} (profiled)", run.name),
            run.webhooks,
            profiled,
            Some(isolate_ms),
        );
        if let Some(without) = without {
            print_runtime(
                &format!("{} (no profiler)", run.name),
                run.webhooks,
                without,
                None,
            );
        }
        if let Some(without) = without {
            let (share, estimate) =
                unprofiled_estimate(isolate_ms, run.webhooks, profiled, without);
            println!(
                "\nThe isolate's sampled time is {:.0}% of the CPU of the thread it runs on \
                 (workerd's main thread, which also runs Miniflare's own Workers and \
                 workerd's I/O); at that share of the thread without the profiler, the \
                 isolate took about {estimate:.2} ms per webhook.",
                100.0 * share,
            );
        }
        summary.print(&format!("{}: the isolate's profile", run.name));
        print_collector(
            run.name,
            collections,
            Some(profiled.load_seconds),
            allocations.as_ref(),
        );
        println!(
            "\nRaw profile (open in Chrome DevTools, Performance or JavaScript Profiler): {}",
            path.display()
        );
    }

    println!("\nThe Worker's log: {lines} info lines, {warnings} warnings, {errors} errors.");
    let results = root().join("bench/results");
    let record = json!({"taken_at": taken_at, "machine": machine_at(&load_at_start),
        "build": worker,
        "sampling_interval_us": interval_us,
        "log": {"info": lines, "warnings": warnings, "errors": errors},
        "runs": records});
    let out = results.join(format!("profile-{taken_at}.json"));
    let written = std::fs::create_dir_all(&results).and_then(|()| {
        std::fs::write(
            &out,
            serde_json::to_string_pretty(&record).unwrap_or_default(),
        )
    });
    match written {
        Ok(()) => {
            println!("\nprofile: written to {}", out.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("profile: {}: {e}", out.display());
            ExitCode::FAILURE
        }
    }
}
