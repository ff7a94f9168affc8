//! `make bench`: size, cold start, the core microbenchmarks (from `cargo bench --bench
//! core`, run first) and the webhook path end to end under `wrangler dev` against the
//! JavaScript Workers a user would pick instead (plain JavaScript with KV, and the
//! official Telnyx SDK with KV), a JavaScript Worker with a Durable Object per call
//! (that design's floor) and an empty Worker, interleaved in one run, with ours ÷
//! each; then ours with forwarding on against ours with it off, the forwarding going
//! to a loopback receiver. Prints one table and writes it, with the machine and tool
//! versions, to `bench/results/`.
//!
//! Settings: BENCH_REQUESTS (per worker and concurrency, 2000), BENCH_ROUNDS (4),
//! BENCH_COLD_STARTS (25), BENCH_STATE_DIR (where every worker's `wrangler dev` keeps
//! its local KV and Durable Object storage: `/dev/shm` when there is one, so that the
//! machine's disk flushes, which production storage has nothing like, do not decide
//! the figures; `BENCH_STATE_DIR=disk` keeps the system's temporary directory),
//! BENCH_BUILD (a directory laid out as `build/`, such as a copy of an earlier
//! commit's: measured as ours instead of `build/`, with no build step), and
//! BENCH_SECTIONS (`webhooks`: stop after the webhook rows, without the forwarding
//! and Access runs). BENCH_AB (builds laid out as `build/`, comma-separated): only
//! those builds of ours, against each other ([`compare_builds`]). BENCH_SETTLE_MS
//! (4000): how long each worker is given after a round for the work it left for after
//! its answers ([`settle`]).

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use support::access::{claims, header, key_set, TestKey, AUD};
use support::deliveries::{body, occurred_at, remove, Delivery};
use support::fake_telnyx::{FakeTelnyx, FakeTelnyxServer, Reply};
use support::load::{
    choose_state_dir, in_parallel, machine_facts, percentile, record_stamp, setting,
};
use support::wrangler::WranglerDev;
use telnyx_edge::simulator::loopback::{LoopbackServer, Response};
use telnyx_edge::simulator::signing::{unix_now, WebhookSigner, END_TO_END_SEED};

/// The bundle's ceiling (`scripts/size-check.sh`): a guard against runaway growth.
const GZIP_CEILING_BYTES: u64 = 1024 * 1024;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The build measured as ours: `BENCH_BUILD`, or the project's `build/`.
fn build_dir() -> PathBuf {
    std::env::var_os("BENCH_BUILD")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("build"))
}

/// A JavaScript Worker measured beside ours under `wrangler dev` (`bench/{name}/`).
struct Peer {
    name: &'static str,
    /// Its column's heading.
    title: &'static str,
    /// The Workers a user would pick instead of ours: the goal is set against these.
    main: bool,
}

impl Peer {
    fn config(&self) -> String {
        format!("bench/{}/wrangler.toml", self.name)
    }
}

/// The Workers measured beside ours, in the order of a row's peer figures.
const PEERS: [Peer; 6] = [
    Peer {
        name: "plain-js",
        title: "plain JS",
        main: true,
    },
    Peer {
        name: "telnyx-sdk",
        title: "Telnyx SDK",
        main: true,
    },
    Peer {
        name: "js-object",
        title: "JS + object",
        main: false,
    },
    Peer {
        name: "js-object-fetch",
        title: "JS + object (fetch)",
        main: false,
    },
    Peer {
        name: "js-object-alarm",
        title: "JS + object + alarm",
        main: false,
    },
    Peer {
        name: "empty",
        title: "empty Worker",
        main: false,
    },
];

/// The goal for a figure of the main workload: ours divided by each main peer's at
/// least 1.0 (throughput) or at most 1.0 (p99, CPU per webhook).
#[derive(Clone, Copy)]
enum Goal {
    AtLeastOne,
    AtMostOne,
}

impl Goal {
    fn met(self, ratio: f64) -> bool {
        match self {
            Self::AtLeastOne => ratio >= 1.0,
            Self::AtMostOne => ratio <= 1.0,
        }
    }

    fn text(self) -> &'static str {
        match self {
            Self::AtLeastOne => "ours ÷ each ≥ 1.0",
            Self::AtMostOne => "ours ÷ each ≤ 1.0",
        }
    }
}

/// One row of the table: a figure, its unit, a target if the issue sets one, and the
/// peers' figures where there are some.
struct Row {
    name: String,
    value: f64,
    unit: &'static str,
    /// `(limit, lower is better)`
    target: Option<(f64, bool)>,
    /// In the order of [`PEERS`].
    peers: Option<Vec<f64>>,
    goal: Option<Goal>,
}

impl Row {
    fn new(name: impl Into<String>, value: f64, unit: &'static str) -> Self {
        Self {
            name: name.into(),
            value,
            unit,
            target: None,
            peers: None,
            goal: None,
        }
    }

    fn at_most(mut self, limit: f64) -> Self {
        self.target = Some((limit, true));
        self
    }

    /// Ours and the peers' figures, ours first, as the measurements return them.
    fn of_all(name: impl Into<String>, all: &[f64], unit: &'static str) -> Self {
        let mut row = Self::new(name, all[0], unit);
        row.peers = Some(all[1..].to_vec());
        row
    }

    fn with_goal(mut self, goal: Goal) -> Self {
        self.goal = Some(goal);
        self
    }

    /// Ours divided by each peer's figure, in the order of [`PEERS`].
    fn ratios(&self) -> Option<Vec<f64>> {
        self.peers
            .as_ref()
            .map(|peers| peers.iter().map(|peer| self.value / peer).collect())
    }

    /// Whether the goal is met against each main peer, with the peer's title.
    fn goal_met(&self) -> Vec<(&'static Peer, bool)> {
        let (Some(goal), Some(ratios)) = (self.goal, self.ratios()) else {
            return Vec::new();
        };
        PEERS
            .iter()
            .zip(ratios)
            .filter(|(peer, _)| peer.main)
            .map(|(peer, ratio)| (peer, goal.met(ratio)))
            .collect()
    }

    fn verdict(&self) -> String {
        if let Some(goal) = self.goal {
            let each: Vec<String> = self
                .goal_met()
                .into_iter()
                .map(|(peer, met)| format!("{} {}", peer.title, if met { "met" } else { "missed" }))
                .collect();
            return format!("{}: {}", goal.text(), each.join(", "));
        }
        match self.target {
            Some((limit, true)) if self.value <= limit => format!("≤ {limit:.1}: met"),
            Some((limit, true)) => format!("≤ {limit:.1}: missed by {:.1}", self.value - limit),
            Some((limit, false)) if self.value >= limit => format!("≥ {limit:.1}: met"),
            Some((limit, false)) => format!("≥ {limit:.1}: missed by {:.1}", limit - self.value),
            None => String::new(),
        }
    }

    fn json(&self) -> Value {
        let by_peer = |values: &[f64]| -> serde_json::Map<String, Value> {
            PEERS
                .iter()
                .zip(values)
                .map(|(peer, value)| (peer.name.to_owned(), json!(value)))
                .collect()
        };
        let goal = self.goal.map(|goal| {
            let met: serde_json::Map<String, Value> = self
                .goal_met()
                .into_iter()
                .map(|(peer, met)| (peer.name.to_owned(), json!(met)))
                .collect();
            let bound = match goal {
                Goal::AtLeastOne => "at_least",
                Goal::AtMostOne => "at_most",
            };
            json!({"ours_divided_by_each_main_peer": {bound: 1.0}, "met": met})
        });
        json!({"name": self.name, "value": self.value, "unit": self.unit,
            "target": self.target.map(|(limit, lower)| json!({"limit": limit, "lower_is_better": lower})),
            "peers": self.peers.as_deref().map(by_peer),
            "ours_divided_by": self.ratios().as_deref().map(by_peer),
            "goal": goal})
    }
}

fn gzipped_len(path: &Path) -> u64 {
    let output = Command::new("gzip")
        .args(["-9", "-c"])
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("gzip {}: {e}", path.display()));
    output.stdout.len() as u64
}

fn size_rows() -> Vec<Row> {
    let wasm = build_dir().join("index_bg.wasm");
    let js = build_dir().join("index.js");
    let raw = |path: &Path| {
        std::fs::metadata(path)
            .unwrap_or_else(|e| panic!("{}: {e} (run `make build`)", path.display()))
            .len()
    };
    let kib = |bytes: u64| bytes as f64 / 1024.0;
    vec![
        Row::new("bundle: wasm, raw", kib(raw(&wasm)), "KiB"),
        Row::new("bundle: JS glue, raw", kib(raw(&js)), "KiB"),
        Row::new(
            "bundle: wasm + JS, gzipped",
            kib(gzipped_len(&wasm) + gzipped_len(&js)),
            "KiB",
        )
        .at_most(kib(GZIP_CEILING_BYTES)),
    ]
}

/// What makes up the Worker's code: the release wasm as the compiler left it (before
/// wasm-bindgen and the final wasm-opt pass, with its function names), its code bytes
/// grouped by the crate each function's name starts with, largest first.
fn composition_rows() -> Vec<Row> {
    let path = root().join("target/wasm32-unknown-unknown/release/telnyx_edge.wasm");
    let Ok(wasm) = std::fs::read(&path) else {
        println!(
            "bench: no {} (run `make build`): composition left out",
            path.display()
        );
        return Vec::new();
    };
    let mut sizes: Vec<usize> = Vec::new();
    let mut names: std::collections::HashMap<u32, String> = std::collections::HashMap::new();
    let mut imported = 0u32;
    for payload in wasmparser::Parser::new(0).parse_all(&wasm) {
        match payload {
            Ok(wasmparser::Payload::ImportSection(imports)) => {
                imported += imports
                    .into_imports()
                    .flatten()
                    .filter(|import| matches!(import.ty, wasmparser::TypeRef::Func(_)))
                    .count() as u32;
            }
            Ok(wasmparser::Payload::CodeSectionEntry(body)) => sizes.push(body.range().len()),
            Ok(wasmparser::Payload::CustomSection(section)) if section.name() == "name" => {
                let reader = wasmparser::NameSectionReader::new(wasmparser::BinaryReader::new(
                    section.data(),
                    section.data_offset(),
                ));
                for subsection in reader.flatten() {
                    if let wasmparser::Name::Function(map) = subsection {
                        for naming in map.into_iter().flatten() {
                            names.insert(naming.index, naming.name.to_owned());
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let mut total = 0;
    let mut by_crate: std::collections::BTreeMap<String, usize> = Default::default();
    for (offset, size) in sizes.iter().enumerate() {
        let name = names
            .get(&(imported + offset as u32))
            .map(|name| rustc_demangle::demangle(name).to_string())
            .unwrap_or_default();
        // wasm-bindgen reads its descriptors at build time and leaves them out.
        if name.starts_with("__wbindgen_describe") {
            continue;
        }
        total += size;
        *by_crate.entry(crate_of(&name)).or_default() += size;
    }
    let mut by_crate: Vec<(String, usize)> = by_crate.into_iter().collect();
    by_crate.sort_by_key(|(_, bytes)| std::cmp::Reverse(*bytes));
    let kib = |bytes: usize| bytes as f64 / 1024.0;
    let mut rows = vec![Row::new(
        "code: all functions, raw, before wasm-bindgen and the last wasm-opt pass",
        kib(total),
        "KiB",
    )];
    rows.extend(by_crate.into_iter().take(16).map(|(name, bytes)| {
        Row::new(
            format!("code: {name} ({:.0}%)", 100.0 * bytes as f64 / total as f64),
            kib(bytes),
            "KiB",
        )
    }));
    rows
}

/// The crate a demangled function name belongs to: the first path segment (without
/// the `[hash]` of a crate linked twice), looking inside `<T as Trait>` for `T`.
fn crate_of(name: &str) -> String {
    if name.starts_with("__wbg") || name.starts_with("__wbindgen") {
        return "(wasm-bindgen's exports and imports)".to_owned();
    }
    let name = name.trim_start_matches(['<', '&', '*', ' ']);
    let name = name.strip_prefix("mut ").unwrap_or(name);
    let name = name.strip_prefix("dyn ").unwrap_or(name);
    match name.split_once("::") {
        Some((first, _)) if !first.is_empty() => first
            .split_once('[')
            .map_or(first, |(name, _)| name)
            .to_owned(),
        _ => "(exported functions and the runtime's own)".to_owned(),
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn cold_start_rows() -> Vec<Row> {
    let runs = setting("BENCH_COLD_STARTS", 25);
    let node = root().join("node_modules/.bin/node");
    let (mut compile, mut total) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let output = Command::new(&node)
            .arg(root().join("bench/coldstart.mjs"))
            .arg(build_dir().join("index_bg.wasm"))
            .stderr(Stdio::inherit())
            .output()
            .unwrap_or_else(|e| panic!("{}: {e} (run `make bootstrap`)", node.display()));
        let figures: Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("coldstart.mjs printed no figures ({e})"));
        let compile_ms = figures["compile_ms"].as_f64().unwrap_or(f64::NAN);
        compile.push(compile_ms);
        total.push(compile_ms + figures["instantiate_ms"].as_f64().unwrap_or(f64::NAN));
    }
    vec![
        Row::new(
            format!("cold start: compile, median of {runs}"),
            median(compile),
            "ms",
        ),
        Row::new(
            format!("cold start: compile + instantiate, median of {runs}"),
            median(total),
            "ms",
        )
        .at_most(15.0),
    ]
}

/// Criterion's median for one benchmark id, in microseconds.
fn criterion_median_us(id: &str) -> Option<f64> {
    let path = root()
        .join("target/criterion")
        .join(id)
        .join("new/estimates.json");
    let estimates: Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    estimates["median"]["point_estimate"]
        .as_f64()
        .map(|ns| ns / 1000.0)
}

fn core_rows() -> Vec<Row> {
    let benches: [(&str, &str, Option<f64>); 8] = [
        (
            "signature verification",
            "signature verification",
            Some(55.0),
        ),
        ("envelope parsing", "envelope parsing", None),
        ("state folding/5", "state folding, 5 events", None),
        ("state folding/50", "state folding, 50 events", None),
        (
            "state folding/500",
            "state folding, 500 events",
            Some(1000.0),
        ),
        (
            "action validation (refer)",
            "action validation (refer)",
            None,
        ),
        ("rule matching/10", "rule matching, 10 rules", None),
        ("rule matching/100", "rule matching, 100 rules", None),
    ];
    benches
        .into_iter()
        .map(|(id, name, target)| {
            let value = criterion_median_us(id).unwrap_or_else(|| {
                panic!("no criterion result for {id:?}: run `cargo bench --bench core` first")
            });
            let row = Row::new(format!("core: {name}"), value, "µs");
            match target {
                Some(limit) => row.at_most(limit),
                None => row,
            }
        })
        .collect()
}

/// A worker under `wrangler dev` with the same key and a fresh local KV.
struct Target {
    name: &'static str,
    dev: WranglerDev,
    agent: ureq::Agent,
}

/// Headers and body of one webhook.
type SignedDelivery = (Vec<(String, String)>, Vec<u8>);

/// Webhooks per call in the main workload, as in the independent run the goal comes
/// from: 9 `call.refer.completed` deliveries per call.
const EVENTS_PER_CALL: usize = 9;

/// What one measurement sends: `requests` webhooks, `concurrency` at a time, each a
/// new event, `events_per_call` to each call (a call's events go out round robin with
/// the other calls', spaced as a real call's are, not at once). With `storable` false
/// the events lack `data.id`: verified, then refused (`400`) before any storage, which
/// shows what the runtime and the verification cost alone.
#[derive(Clone, Copy)]
struct Workload {
    requests: usize,
    concurrency: usize,
    events_per_call: usize,
    storable: bool,
}

/// What one workload took: its wall time, each request's latency, and the CPU time
/// the Worker's whole local runtime used meanwhile.
struct Measured {
    elapsed: Duration,
    latencies: Vec<Duration>,
    /// The latencies of each call's first webhook, which creates its object, and of the
    /// later ones (both empty when every webhook is a new call).
    first: Vec<Duration>,
    later: Vec<Duration>,
    cpu_seconds: f64,
}

/// Runs the workload against the target.
fn load(target: &Target, signer: &WebhookSigner, tag: &str, workload: Workload) -> Measured {
    let Workload {
        requests,
        concurrency,
        events_per_call,
        storable,
    } = workload;
    let calls = requests.div_ceil(events_per_call.max(1)).max(1);
    let bodies: Vec<Vec<u8>> = (0..requests)
        .map(|n| {
            let mut delivery = body(&Delivery {
                event_type: "call.refer.completed",
                event_id: &format!("bench-{tag}-{n}"),
                call_control_id: &format!("v3:bench-{tag}-{}", n % calls),
                occurred_at: &occurred_at(6),
            });
            if !storable {
                remove(&mut delivery, "/data/id");
            }
            delivery.to_string().into_bytes()
        })
        .collect();
    let now = unix_now();
    let signed: Vec<SignedDelivery> = bodies
        .into_iter()
        .map(|b| (signer.headers(now, &b), b))
        .collect();
    let url = format!("{}/webhooks/telnyx", target.dev.base_url);
    let cpu_before = target.dev.cpu_seconds();
    let started = Instant::now();
    let timed = in_parallel(&signed, concurrency, |(headers, body)| {
        let sent = Instant::now();
        let status = post(target, &url, headers, body);
        let expected = if storable || target.name == "empty" {
            200
        } else {
            400
        };
        assert_eq!(status, expected, "{} answered {status}", target.name);
        (sent - started, sent.elapsed())
    });
    let elapsed = started.elapsed();
    if let Ok(dir) = std::env::var("BENCH_TRACE") {
        write_trace(Path::new(&dir), target, tag, &timed);
    }
    let mut latencies: Vec<Duration> = timed.into_iter().map(|(_, took)| took).collect();
    settle(target);
    // In send order: the first `calls` are each call's first webhook.
    let (first, later) = if events_per_call > 1 {
        let (first, later) = latencies.split_at(calls.min(latencies.len()));
        (first.to_vec(), later.to_vec())
    } else {
        (Vec::new(), Vec::new())
    };
    latencies.sort_unstable();
    Measured {
        elapsed,
        latencies,
        first,
        later,
        cpu_seconds: target.dev.cpu_seconds() - cpu_before,
    }
}

/// `BENCH_TRACE=dir`: one line per webhook of a load, in send order (its index, when it
/// was sent and how long its answer took, in ms from the load's start), to a file named
/// by the target, its port and the load's tag. The slow answers of a load come in
/// groups sent together: a pause of the whole runtime, not of one request.
fn write_trace(dir: &Path, target: &Target, tag: &str, timed: &[(Duration, Duration)]) {
    let lines: String = timed
        .iter()
        .enumerate()
        .map(|(n, (sent, took))| {
            format!(
                "{n}\t{:.3}\t{:.3}\n",
                sent.as_secs_f64() * 1000.0,
                took.as_secs_f64() * 1000.0
            )
        })
        .collect();
    let port = target.dev.base_url.rsplit(':').next().unwrap_or_default();
    let path = dir.join(format!("{}-{port}-{tag}.tsv", target.name));
    if let Err(error) = std::fs::write(&path, lines) {
        panic!("BENCH_TRACE: {} not written: {error}", path.display());
    }
}

/// Waits for the work a worker left for after its answers (ours gathers a call's
/// first dashboard report and index entry for two seconds), at least `BENCH_SETTLE_MS`
/// and then until its runtime is idle, at most 15 s: that work's CPU counts as the
/// worker's, and never lands in the next worker's round.
fn settle(target: &Target) {
    const WINDOW: Duration = Duration::from_millis(500);
    // Under 5% of a core: wrangler's own timers and watchers.
    const IDLE_CPU_SECONDS: f64 = 0.025;
    let least = Duration::from_millis(setting("BENCH_SETTLE_MS", 4000) as u64);
    let started = Instant::now();
    std::thread::sleep(least);
    loop {
        let before = target.dev.cpu_seconds();
        std::thread::sleep(WINDOW);
        let used = target.dev.cpu_seconds() - before;
        if used < IDLE_CPU_SECONDS || started.elapsed() > Duration::from_secs(15) {
            return;
        }
    }
}

/// Sends one webhook; its status.
fn post(target: &Target, url: &str, headers: &[(String, String)], body: &[u8]) -> u16 {
    let mut request = target.agent.post(url);
    for (name, value) in headers {
        request = request.set(name, value);
    }
    match request.send_bytes(body) {
        Ok(response) => response.status(),
        Err(ureq::Error::Status(status, _)) => status,
        Err(e) => panic!("{}: {e}", target.name),
    }
}

/// Every Worker but the empty one must refuse a delivery whose signature is another
/// body's: one that did not verify would be measured doing less than the others.
fn check_forgery_refused(targets: &[Target], signer: &WebhookSigner) {
    let delivery = |id: &str| {
        body(&Delivery {
            event_type: "call.refer.completed",
            event_id: id,
            call_control_id: "v3:bench-forged",
            occurred_at: &occurred_at(6),
        })
        .to_string()
        .into_bytes()
    };
    let (signed, sent) = (delivery("bench-forged-a"), delivery("bench-forged-b"));
    let headers = signer.headers(unix_now(), &signed);
    for target in targets.iter().filter(|target| target.name != "empty") {
        let url = format!("{}/webhooks/telnyx", target.dev.base_url);
        let status = post(target, &url, &headers, &sent);
        assert!(
            (400..500).contains(&status),
            "{} answered {status} to a forged signature",
            target.name
        );
    }
}

struct Figures {
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    /// p50 and p99 of a call's first webhook, and p99 of the later ones (0 when every
    /// webhook is a new call).
    first_p50_ms: f64,
    first_p99_ms: f64,
    later_p99_ms: f64,
    /// CPU time of the whole local runtime per webhook.
    cpu_ms: f64,
}

/// Sends `workload` to every target in `rounds` interleaved rounds (each round a slice
/// to each target, in rotating order, so that machine noise falls on all alike); the
/// figures of each target, in the order of `targets`.
fn interleaved(
    targets: &[Target],
    signer: &WebhookSigner,
    tag: &str,
    rounds: usize,
    workload: Workload,
) -> Vec<Figures> {
    let slice = Workload {
        requests: workload.requests / rounds,
        ..workload
    };
    let mut totals = vec![(Duration::ZERO, Vec::new(), Vec::new(), Vec::new(), 0.0); targets.len()];
    for round in 0..rounds {
        for offset in 0..targets.len() {
            let index = (round + offset) % targets.len();
            let measured = load(&targets[index], signer, &format!("{tag}-r{round}"), slice);
            totals[index].0 += measured.elapsed;
            totals[index].1.extend(measured.latencies);
            totals[index].2.extend(measured.first);
            totals[index].3.extend(measured.later);
            totals[index].4 += measured.cpu_seconds;
        }
    }
    let ms = |latency: Duration| latency.as_secs_f64() * 1000.0;
    totals
        .into_iter()
        .map(
            |(elapsed, mut latencies, mut first, mut later, cpu_seconds)| {
                latencies.sort_unstable();
                first.sort_unstable();
                later.sort_unstable();
                Figures {
                    per_second: latencies.len() as f64 / elapsed.as_secs_f64(),
                    p50_ms: ms(percentile(&latencies, 50)),
                    p99_ms: ms(percentile(&latencies, 99)),
                    first_p50_ms: ms(percentile(&first, 50)),
                    first_p99_ms: ms(percentile(&first, 99)),
                    later_p99_ms: ms(percentile(&later, 99)),
                    cpu_ms: cpu_seconds * 1000.0 / latencies.len() as f64,
                }
            },
        )
        .collect()
}

/// One figure of every target, ours first.
fn each(figures: &[Figures], of: fn(&Figures) -> f64) -> Vec<f64> {
    figures.iter().map(of).collect()
}

/// Throughput, p50, p99 and CPU per webhook of every target, with the goal on all but
/// p50 when `goals`.
fn figure_rows(label: impl Fn(&str) -> String, figures: &[Figures], goals: bool) -> Vec<Row> {
    let goal = |row: Row, goal: Goal| if goals { row.with_goal(goal) } else { row };
    vec![
        goal(
            Row::of_all(
                label("throughput"),
                &each(figures, |f| f.per_second),
                "req/s",
            ),
            Goal::AtLeastOne,
        ),
        Row::of_all(label("latency p50"), &each(figures, |f| f.p50_ms), "ms"),
        goal(
            Row::of_all(label("latency p99"), &each(figures, |f| f.p99_ms), "ms"),
            Goal::AtMostOne,
        ),
        goal(
            Row::of_all(
                label("CPU per webhook, whole local runtime"),
                &each(figures, |f| f.cpu_ms),
                "ms",
            ),
            Goal::AtMostOne,
        ),
    ]
}

fn end_to_end_rows(targets: &[Target], signer: &WebhookSigner) -> Vec<Row> {
    let requests = setting("BENCH_REQUESTS", 2000);
    let rounds = setting("BENCH_ROUNDS", 4).max(1);
    let main = |concurrency| Workload {
        requests,
        concurrency,
        events_per_call: EVENTS_PER_CALL,
        storable: true,
    };
    let mut rows = Vec::new();

    // Verified deliveries refused before storage: the runtime and verification alone.
    let refused = requests / 4;
    let figures = interleaved(
        targets,
        signer,
        "refused",
        2,
        Workload {
            requests: refused,
            concurrency: 1,
            events_per_call: EVENTS_PER_CALL,
            storable: false,
        },
    );
    rows.push(Row::of_all(
        format!("end to end, verified, refused before storage (400), concurrency 1: latency p50 ({refused} requests)"),
        &each(&figures, |f| f.p50_ms),
        "ms",
    ));

    let figures = interleaved(targets, signer, "c1", rounds, main(1));
    rows.push(Row::of_all(
        format!("end to end, {EVENTS_PER_CALL} webhooks per call, concurrency 1: latency p50 ({requests} requests)"),
        &each(&figures, |f| f.p50_ms),
        "ms",
    ));

    // The main workload, where the goal is set (bench/README.md).
    let figures = interleaved(targets, signer, "c16", rounds, main(16));
    let label = |what: &str| {
        format!("end to end, {EVENTS_PER_CALL} webhooks per call, concurrency 16: {what} ({requests} requests)")
    };
    rows.extend(figure_rows(label, &figures, true));
    // Where the slowest come from: a call's first webhook creates its object.
    let calls = (requests / rounds).div_ceil(EVENTS_PER_CALL);
    rows.push(Row::of_all(
        label(&format!(
            "latency p50 of a call's first webhook ({calls} a round)"
        )),
        &each(&figures, |f| f.first_p50_ms),
        "ms",
    ));
    rows.push(Row::of_all(
        label("latency p99 of a call's first webhook"),
        &each(&figures, |f| f.first_p99_ms),
        "ms",
    ));
    rows.push(Row::of_all(
        label("latency p99 of a call's later webhooks"),
        &each(&figures, |f| f.later_p99_ms),
        "ms",
    ));

    // What creating a call's object costs (the KV Workers do the same work for any
    // webhook).
    let new_calls = requests / 4;
    let figures = interleaved(
        targets,
        signer,
        "new-calls",
        2,
        Workload {
            requests: new_calls,
            concurrency: 16,
            events_per_call: 1,
            storable: true,
        },
    );
    let label = |what: &str| {
        format!(
            "end to end, every webhook a new call, concurrency 16: {what} ({new_calls} requests)"
        )
    };
    rows.extend(figure_rows(label, &figures, false));
    rows
}

/// The webhook path with forwarding on and off, interleaved: forwarding happens after
/// the answer, so the answer should not wait for it. Then how long the receiver took to
/// get every event after the load ended.
fn forwarding_rows(
    off: &Target,
    on: &Target,
    receiver: &FakeTelnyx,
    signer: &WebhookSigner,
) -> Vec<Row> {
    let requests = setting("BENCH_REQUESTS", 2000) / 2;
    let rounds = setting("BENCH_ROUNDS", 4).max(1);
    let targets = [off, on];
    let mut rows = Vec::new();
    let mut sent_on = 0;
    let mut load_ended = Instant::now();
    for concurrency in [1, 16] {
        let mut totals = [(Duration::ZERO, Vec::new()), (Duration::ZERO, Vec::new())];
        for round in 0..rounds {
            for offset in 0..2 {
                let index = (round + offset) % 2;
                let workload = Workload {
                    requests: requests / rounds,
                    concurrency,
                    events_per_call: EVENTS_PER_CALL,
                    storable: true,
                };
                let tag = format!("fwd-c{concurrency}-r{round}");
                let measured = load(targets[index], signer, &tag, workload);
                if index == 1 {
                    sent_on += measured.latencies.len();
                    load_ended = Instant::now();
                }
                totals[index].0 += measured.elapsed;
                totals[index].1.extend(measured.latencies);
            }
        }
        for ((elapsed, mut latencies), state) in totals.into_iter().zip(["off", "on"]) {
            latencies.sort_unstable();
            let label = |what: &str| {
                format!(
                    "forwarding {state}, concurrency {concurrency}: {what} ({requests} requests)"
                )
            };
            rows.extend(load_rows(label, elapsed, &latencies));
        }
    }
    let deadline = Instant::now() + Duration::from_secs(300);
    while receiver.requests().len() < sent_on && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let forwarded = receiver.requests().len();
    assert_eq!(forwarded, sent_on, "every accepted event is forwarded once");
    rows.push(Row::new(
        format!(
            "forwarding on: all {sent_on} events at the receiver within, after its last request (an upper bound)"
        ),
        load_ended.elapsed().as_secs_f64(),
        "s",
    ));
    // A receiver that takes half a second to answer: were the webhook's answer waiting
    // for its forward, every latency would grow by that much.
    receiver.always(Reply::ok().delayed(500));
    let workload = Workload {
        requests: requests / 2,
        concurrency: 16,
        events_per_call: EVENTS_PER_CALL,
        storable: true,
    };
    let Measured {
        elapsed, latencies, ..
    } = load(on, signer, "fwd-slow", workload);
    let label = |what: &str| {
        format!(
            "forwarding on, receiver answering in 500 ms, concurrency 16: {what} ({} requests)",
            requests / 2
        )
    };
    rows.extend(load_rows(label, elapsed, &latencies));
    rows
}

/// What an operator request pays for Cloudflare Access: `GET /operator` one at a time,
/// with the admin token and with an Access JWT whose key the isolate keeps, in
/// alternating rounds. The difference of the medians is the verification's cost (the
/// parse, WebCrypto's RS256 check and the claims; no fetch once the keys are kept).
fn access_rows(target: &Target, jwt: &str, admin_token: &str) -> Vec<Row> {
    let requests = setting("BENCH_REQUESTS", 2000) / 4;
    let rounds = setting("BENCH_ROUNDS", 4).max(1);
    let url = format!("{}/operator", target.dev.base_url);
    let time = |header: (&str, &str)| {
        let started = Instant::now();
        let answer = target.agent.get(&url).set(header.0, header.1).call();
        assert!(
            answer.is_ok_and(|a| a.status() == 200),
            "GET /operator refused"
        );
        started.elapsed()
    };
    let bearer = format!("Bearer {admin_token}");
    // The first Access request fetches the keys; it is not measured.
    time(("cf-access-jwt-assertion", jwt));
    let (mut with_token, mut with_jwt) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        for _ in 0..requests / rounds {
            with_token.push(time(("authorization", &bearer)));
            with_jwt.push(time(("cf-access-jwt-assertion", jwt)));
        }
    }
    with_token.sort_unstable();
    with_jwt.sort_unstable();
    let ms = |sorted: &[Duration]| percentile(sorted, 50).as_secs_f64() * 1000.0;
    let (token_ms, jwt_ms) = (ms(&with_token), ms(&with_jwt));
    vec![
        Row::new(
            format!("operator request, admin token, concurrency 1: latency p50 ({requests} requests)"),
            token_ms,
            "ms",
        ),
        Row::new(
            format!("operator request, Access JWT with a kept key, concurrency 1: latency p50 ({requests} requests)"),
            jwt_ms,
            "ms",
        ),
        Row::new("Access JWT verification: added per operator request (p50 difference)", jwt_ms - token_ms, "ms")
            .at_most(1.0),
    ]
}

/// Throughput, p50 and p99 of one load, for rows without other Workers beside them.
fn load_rows(label: impl Fn(&str) -> String, elapsed: Duration, sorted: &[Duration]) -> [Row; 3] {
    let ms = |percent| percentile(sorted, percent).as_secs_f64() * 1000.0;
    [
        Row::new(
            label("throughput"),
            sorted.len() as f64 / elapsed.as_secs_f64(),
            "req/s",
        ),
        Row::new(label("latency p50"), ms(50), "ms"),
        Row::new(label("latency p99"), ms(99), "ms"),
    ]
}

fn print_table(rows: &[Row]) {
    // Every peer's figure; a ratio column beside each main peer's.
    let mut heading = vec!["figure".to_owned(), "ours".to_owned()];
    for peer in &PEERS {
        heading.push(peer.title.to_owned());
        if peer.main {
            heading.push(format!("ours ÷ {}", peer.title));
        }
    }
    heading.push("target or goal".to_owned());
    println!("| {} |", heading.join(" | "));
    println!("|{}", "---|".repeat(heading.len()));
    for row in rows {
        let with_unit = |value: f64| format!("{value:.1} {}", row.unit);
        let mut cells = vec![row.name.clone(), with_unit(row.value)];
        let ratios = row.ratios();
        for (index, peer) in PEERS.iter().enumerate() {
            let value = row.peers.as_ref().map(|peers| peers[index]);
            cells.push(value.map(with_unit).unwrap_or_default());
            if peer.main {
                let ratio = ratios.as_ref().map(|ratios| ratios[index]);
                cells.push(ratio.map(|r| format!("{r:.2}")).unwrap_or_default());
            }
        }
        cells.push(row.verdict());
        println!("| {} |", cells.join(" | "));
    }
    let goals: Vec<bool> = rows
        .iter()
        .flat_map(|row| row.goal_met().into_iter().map(|(_, met)| met))
        .collect();
    if !goals.is_empty() {
        let main: Vec<&str> = PEERS.iter().filter(|p| p.main).map(|p| p.title).collect();
        println!(
            "\ngoal at {EVENTS_PER_CALL} webhooks per call, concurrency 16, ours ÷ {}: throughput ≥ 1.0, \
             p99 ≤ 1.0, CPU per webhook ≤ 1.0: {} of {} met",
            main.join(" and ÷ "),
            goals.iter().filter(|met| **met).count(),
            goals.len()
        );
    }
}

fn start(name: &'static str, config: Option<&str>, signer: &WebhookSigner) -> Target {
    start_with(name, config, signer, Vec::new())
}

fn start_with(
    name: &'static str,
    config: Option<&str>,
    signer: &WebhookSigner,
    extra: Vec<(&'static str, String)>,
) -> Target {
    let bundle = std::env::var_os("BENCH_BUILD").map(PathBuf::from);
    launch(name, config, bundle.as_deref(), signer, extra)
}

/// A peer by its `config`, or ours: the build in `bundle`, or the project's own.
fn launch(
    name: &'static str,
    config: Option<&str>,
    bundle: Option<&Path>,
    signer: &WebhookSigner,
    extra: Vec<(&'static str, String)>,
) -> Target {
    let mut vars = vec![("TELNYX_PUBLIC_KEY", signer.public_key_base64())];
    vars.extend(extra);
    let dev = match config {
        Some(config) => WranglerDev::start_config(config, &vars),
        None => {
            // Ours as users run it, console included: no operator token or rules
            // needed for webhooks.
            vars.push(("AUTOMATIONS", String::new()));
            match bundle {
                Some(bundle) => WranglerDev::start_bundle(bundle, &vars),
                None => WranglerDev::start(&vars),
            }
        }
    }
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    Target {
        name,
        dev,
        agent: ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(60))
            .build(),
    }
}

/// `BENCH_AB=dir,dir,…`: those builds of ours (and any peer named `peer:NAME`), on the
/// main workload and the one where every webhook starts a call, interleaved, twice
/// over; one line per build and run, no table, no record. For trying a change against
/// the build before it.
fn compare_builds(builds: &str) -> ExitCode {
    let signer = WebhookSigner::from_seed(END_TO_END_SEED);
    let dirs: Vec<&str> = builds.split(',').filter(|dir| !dir.is_empty()).collect();
    let targets: Vec<Target> = dirs
        .iter()
        .map(|dir| match dir.strip_prefix("peer:") {
            Some(name) => {
                let Some(peer) = PEERS.iter().find(|peer| peer.name == name) else {
                    let names: Vec<&str> = PEERS.iter().map(|peer| peer.name).collect();
                    panic!(
                        "BENCH_AB: no peer {name}; the peers are {}",
                        names.join(", ")
                    );
                };
                launch(peer.name, Some(&peer.config()), None, &signer, Vec::new())
            }
            None => launch("ours", None, Some(Path::new(dir)), &signer, Vec::new()),
        })
        .collect();
    let requests = setting("BENCH_REQUESTS", 2000);
    let rounds = setting("BENCH_ROUNDS", 4).max(1);
    for run in 1..=2 {
        for (what, events_per_call, requests) in [
            ("9 per call", EVENTS_PER_CALL, requests),
            ("each a new call", 1, requests / 4),
        ] {
            let workload = Workload {
                requests,
                concurrency: 16,
                events_per_call,
                storable: true,
            };
            let tag = format!("ab{run}-{events_per_call}-{}", unix_now());
            let figures = interleaved(&targets, &signer, &tag, rounds, workload);
            for (dir, f) in dirs.iter().zip(&figures) {
                print!(
                    "run {run}, {what}, concurrency 16, {dir}: {:.0} webhooks/s, p50 {:.1} ms, \
                     p99 {:.1} ms, CPU {:.2} ms per webhook",
                    f.per_second, f.p50_ms, f.p99_ms, f.cpu_ms
                );
                if events_per_call > 1 {
                    print!(
                        "; a call's first webhook p50 {:.1} ms, p99 {:.1} ms; later ones p99 \
                         {:.1} ms",
                        f.first_p50_ms, f.first_p99_ms, f.later_p99_ms
                    );
                }
                println!();
            }
        }
    }
    ExitCode::SUCCESS
}

fn main() -> ExitCode {
    // `cargo test --all-targets` runs benches without `--bench`: nothing to measure then.
    if !std::env::args().any(|arg| arg == "--bench") {
        println!("report: run through `make bench` (cargo bench --bench report)");
        return ExitCode::SUCCESS;
    }
    choose_state_dir("bench");
    if let Ok(builds) = std::env::var("BENCH_AB") {
        return compare_builds(&builds);
    }
    let mut rows = size_rows();
    if std::env::var_os("BENCH_BUILD").is_none() {
        rows.extend(composition_rows());
    }
    rows.extend(cold_start_rows());
    rows.extend(core_rows());
    let signer = WebhookSigner::from_seed(END_TO_END_SEED);
    let names: Vec<&str> = PEERS.iter().map(|peer| peer.name).collect();
    println!(
        "bench: starting {} workers under wrangler dev: ours, {}",
        PEERS.len() + 1,
        names.join(", ")
    );
    let mut targets = vec![start("ours", None, &signer)];
    targets.extend(
        PEERS
            .iter()
            .map(|peer| start(peer.name, Some(&peer.config()), &signer)),
    );
    check_forgery_refused(&targets, &signer);
    rows.extend(end_to_end_rows(&targets, &signer));
    // Stopped before the next two start: the machine has two cores.
    let ours = targets.swap_remove(0);
    drop(targets);
    if std::env::var("BENCH_SECTIONS").is_ok_and(|sections| sections == "webhooks") {
        drop(ours);
        print_table(&rows);
        return write_record(&rows);
    }
    let receiver = FakeTelnyxServer::start(FakeTelnyx::new());
    println!("bench: ours with forwarding to a loopback receiver, against ours without");
    let forwarding = start_with(
        "ours, forwarding",
        None,
        &signer,
        vec![
            ("FORWARD_URL", format!("{}/forwarded", receiver.api_base)),
            (
                "FORWARD_SECRET",
                "whsec_YmVuY2gtZm9yd2FyZGluZy1zZWNyZXQtMzJieXRlcw==".into(),
            ),
        ],
    );
    rows.extend(forwarding_rows(&ours, &forwarding, &receiver.fake, &signer));
    drop((ours, forwarding));
    println!("bench: ours with Cloudflare Access, its keys served on loopback");
    let key = TestKey::first();
    let certs = LoopbackServer::start(0, move |_| {
        Response::json(200, key_set(&[&TestKey::first()]))
    })
    .expect("bind loopback");
    let admin_token = "bench-admin-token";
    let access = start_with(
        "ours, Access",
        None,
        &signer,
        vec![
            ("ADMIN_TOKEN", admin_token.into()),
            ("ACCESS_TEAM_DOMAIN", certs.base.clone()),
            ("ACCESS_AUD", AUD.into()),
        ],
    );
    let mut claims = claims("bench@example.com", unix_now());
    claims["iss"] = json!(certs.base);
    claims["exp"] = json!(unix_now() + 6 * 3600);
    let jwt = key.token(&header(key.kid), &claims);
    rows.extend(access_rows(&access, &jwt, admin_token));
    print_table(&rows);
    write_record(&rows)
}

/// Writes the table, with the machine and what was measured, to `bench/results/`.
fn write_record(rows: &[Row]) -> ExitCode {
    let stamp = record_stamp();
    let dir = root().join("bench/results");
    let path: PathBuf = dir.join(format!("{stamp}.json"));
    let report = json!({"taken_at": stamp, "machine": machine_facts(),
        "build": build_dir().display().to_string(),
        "figures": rows.iter().map(Row::json).collect::<Vec<_>>()});
    let written = std::fs::create_dir_all(&dir).and_then(|()| {
        std::fs::write(
            &path,
            serde_json::to_string_pretty(&report).unwrap_or_default(),
        )
    });
    match written {
        Ok(()) => {
            println!("bench: written to {}", path.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench: {}: {e}", path.display());
            ExitCode::FAILURE
        }
    }
}
