//! Driving a worker from many threads at once, and reading latencies.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// A size from the environment (`LOAD_CALLS=500`), or `default` when unset; anything
/// but a whole number stops the run with a clear message rather than being ignored.
pub fn setting(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(value) => value
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a whole number, got {value:?}")),
        Err(_) => default,
    }
}

/// Runs `work` on every item from `threads` threads at once; results in item order.
pub fn in_parallel<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    work: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::with_capacity(items.len()));
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(index) else { break };
                let result = work(item);
                results.lock().unwrap().push((index, result));
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, result)| result).collect()
}

/// The `percent`th percentile of sorted latencies (nearest rank).
pub fn percentile(sorted: &[Duration], percent: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[(sorted.len() * percent / 100).min(sorted.len() - 1)]
}

/// Puts the local state of every `wrangler dev` this process starts where
/// BENCH_STATE_DIR says: `/dev/shm` when there is one (so that the machine's disk
/// flushes, which production storage has nothing like, do not decide the figures),
/// `disk` for the system's temporary directory, or any directory. Call before any
/// thread starts; `tool` names the caller in what it prints.
pub fn choose_state_dir(tool: &str) {
    let chosen = match std::env::var("BENCH_STATE_DIR") {
        Ok(dir) if dir == "disk" => None,
        Ok(dir) => Some(PathBuf::from(dir)),
        Err(_) => Some(PathBuf::from("/dev/shm")).filter(|shm| shm.is_dir()),
    };
    if let Some(dir) = chosen {
        // Read by WranglerDev through `std::env::temp_dir`.
        std::env::set_var("TMPDIR", dir);
    }
    println!(
        "{tool}: wrangler dev keeps its local state under {}",
        std::env::temp_dir().display()
    );
}

/// The UTC time a benchmark record is named by (`2026-12-07T04-53-23Z`).
pub fn record_stamp() -> String {
    std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%dT%H-%M-%SZ"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|_| "unknown-time".into())
}

/// The load average now, as `/proc/loadavg` says it.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// What a benchmark record says of the machine and the tools it ran with.
pub fn machine_facts() -> serde_json::Value {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split(':').nth(1))
                .map(|name| name.trim().to_owned())
        })
        .unwrap_or_default();
    let bin = project_bin();
    serde_json::json!({
        "cpu": cpu,
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "os": tool_version(std::path::Path::new("uname"), &["-srm"]),
        "rustc": tool_version(std::path::Path::new("rustc"), &["--version"]),
        "node": tool_version(&bin.join("node"), &["--version"]),
        "wrangler": tool_version(&bin.join("wrangler"), &["--version"]),
        "wasm-opt": tool_version(&bin.join("wasm-opt"), &["--version"]),
        "wrangler_state": std::env::temp_dir().display().to_string(),
    })
}

/// The project's pinned npm tools.
fn project_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("node_modules/.bin")
}

/// What `program args` prints, run with the pinned Node first on the path (wrangler
/// needs Node 22, whatever the system has).
fn tool_version(program: &std::path::Path, args: &[&str]) -> String {
    let path = format!(
        "{}:{}",
        project_bin().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    std::process::Command::new(program)
        .args(args)
        .env("PATH", path)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|e| format!("unavailable: {e}"))
}
