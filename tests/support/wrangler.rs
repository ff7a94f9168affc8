//! Runs the real release build under `wrangler dev` on a free loopback port, and stops
//! it, with every process it started, however the test run ends.
//!
//! wrangler runs in its own process group behind a tiny shell watchdog that reads a pipe
//! from this process: when the pipe closes (drop, panic, or this process being killed)
//! the watchdog ends the whole group, workerd included.

use std::fs::File;
use std::io::Read;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

const STARTUP_LIMIT: Duration = Duration::from_secs(240);

pub struct WranglerDev {
    child: Child,
    watchdog_pipe: Option<ChildStdin>,
    pub base_url: String,
    /// Where the Worker's isolate is open to the Chrome DevTools Protocol (wrangler's
    /// inspector proxy): `make profile` records its CPU profile there.
    pub inspector_port: u16,
    pub log_path: PathBuf,
    state_dir: PathBuf,
    /// A generated `wrangler.toml`, removed on drop.
    config: Option<PathBuf>,
    /// How it was started, to start it again on the same state.
    args: Vec<String>,
    restarts: usize,
}

/// The worker a suite that acts on calls runs against: an operator's `admin_token`,
/// Telnyx's API at `api_base` (the fake one) with `api_key`, and `rules`. `None`, with
/// the reason on stderr, when `wrangler dev` did not start.
pub fn start_acting_worker(
    suite: &str,
    public_key: String,
    admin_token: &str,
    api_key: &str,
    api_base: &str,
    rules: &serde_json::Value,
) -> Option<WranglerDev> {
    let vars = [
        ("TELNYX_PUBLIC_KEY", public_key),
        ("ADMIN_TOKEN", admin_token.to_owned()),
        ("TELNYX_API_KEY", api_key.to_owned()),
        ("TELNYX_API_BASE", api_base.to_owned()),
        ("TELNYX_CONNECTION_ID", "conn-e2e".to_owned()),
        ("AUTOMATIONS", rules.to_string()),
    ];
    match WranglerDev::start(&vars) {
        Ok(worker) => {
            println!("{suite}: worker at {}", worker.base_url);
            Some(worker)
        }
        Err(error) => {
            eprintln!("{suite}: wrangler dev did not start: {error}");
            None
        }
    }
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn project_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

impl WranglerDev {
    /// Starts `wrangler dev` with exactly these vars and a fresh local KV and Durable
    /// Object storage, and waits until `/health` answers.
    pub fn start(vars: &[(&str, String)]) -> Result<Self, String> {
        Self::start_with(vars, None)
    }

    /// Like [`Self::start`], with `extra_toml` appended to the project's `wrangler.toml`
    /// (vars given as TOML tables, as a user writes them).
    pub fn start_with(vars: &[(&str, String)], extra_toml: Option<&str>) -> Result<Self, String> {
        Self::launch(vars, extra_toml, None)
    }

    /// Like [`Self::start`], running the release build in `bundle` (a directory laid
    /// out as `build/` is) as it is, with no build step: the benchmark measures an
    /// earlier build this way beside the current one.
    pub fn start_bundle(bundle: &Path, vars: &[(&str, String)]) -> Result<Self, String> {
        let main = bundle.join("worker/shim.mjs");
        if !main.exists() {
            return Err(format!("no build at {}", bundle.display()));
        }
        Self::launch_with(vars, |base| match base.parse::<toml::Table>() {
            Ok(mut config) => {
                config.remove("build");
                config.insert("main".into(), main.display().to_string().into());
                config.to_string()
            }
            Err(_) => base.to_owned(),
        })
    }

    /// Runs another Worker, configured by `config` (a `wrangler.toml` path relative to
    /// the project), the same way: the benchmark's baselines.
    pub fn start_config(config: &str, vars: &[(&str, String)]) -> Result<Self, String> {
        Self::launch(vars, None, Some(project_root().join(config)))
    }

    fn launch(
        vars: &[(&str, String)],
        extra_toml: Option<&str>,
        other_config: Option<PathBuf>,
    ) -> Result<Self, String> {
        match extra_toml {
            Some(extra) => Self::launch_with(vars, |base| format!("{base}\n{extra}\n")),
            None => Self::launch_text(vars, None, other_config),
        }
    }

    /// Runs the project's `wrangler.toml` as `edit` rewrites it.
    fn launch_with(
        vars: &[(&str, String)],
        edit: impl FnOnce(&str) -> String,
    ) -> Result<Self, String> {
        let base = std::fs::read_to_string(project_root().join("wrangler.toml"))
            .map_err(|e| format!("wrangler.toml: {e}"))?;
        Self::launch_text(vars, Some(edit(&base)), None)
    }

    fn launch_text(
        vars: &[(&str, String)],
        config_text: Option<String>,
        other_config: Option<PathBuf>,
    ) -> Result<Self, String> {
        let root = project_root();
        let wrangler = root.join("node_modules/.bin/wrangler");
        let bundle = root.join("build/worker/shim.mjs");
        if !wrangler.exists() || !bundle.exists() {
            return Err(format!(
                "the end-to-end suite needs the pinned tools and the release build \
                 ({} and {}); run `make test`, which installs and builds them",
                wrangler.display(),
                bundle.display()
            ));
        }
        let port = free_port().map_err(|e| format!("no free port: {e}"))?;
        let inspector_port = free_port().map_err(|e| format!("no free port: {e}"))?;
        let state_dir = std::env::temp_dir().join(format!("telnyx-edge-e2e-{port}"));
        let _ = std::fs::remove_dir_all(&state_dir);
        std::fs::create_dir_all(&state_dir).map_err(|e| e.to_string())?;
        let log_path = state_dir.join("wrangler.log");

        let config = match config_text {
            Some(text) => {
                // Beside the original, so its relative paths mean the same.
                let path = root.join(format!(".e2e-wrangler-{port}.toml"));
                std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
                Some(path)
            }
            None => None,
        };
        let mut args = vec![
            "dev".to_string(),
            "--ip=127.0.0.1".into(),
            format!("--port={port}"),
            format!("--inspector-port={inspector_port}"),
            format!("--persist-to={}", state_dir.join("state").display()),
            "--show-interactive-dev-session=false".into(),
        ];
        if let Some(config) = config.as_ref().or(other_config.as_ref()) {
            args.push(format!("--config={}", config.display()));
        }
        for (name, value) in vars {
            args.push("--var".into());
            args.push(format!("{name}:{value}"));
        }
        let (child, watchdog_pipe) = spawn(&args, &log_path)?;
        let mut dev = Self {
            child,
            watchdog_pipe,
            base_url: format!("http://127.0.0.1:{port}"),
            inspector_port,
            log_path,
            state_dir,
            config,
            args,
            restarts: 0,
        };
        dev.wait_until_ready()?;
        Ok(dev)
    }

    /// Stops wrangler and starts it again on the same port and persisted state, as a
    /// developer's Ctrl-C and `make dev` would. The earlier log is kept beside the new.
    pub fn restart(&mut self) -> Result<(), String> {
        self.stop();
        self.restarts += 1;
        let kept = self
            .state_dir
            .join(format!("wrangler-before-restart-{}.log", self.restarts));
        std::fs::rename(&self.log_path, kept).map_err(|e| e.to_string())?;
        let (child, watchdog_pipe) = spawn(&self.args, &self.log_path)?;
        self.child = child;
        self.watchdog_pipe = watchdog_pipe;
        self.wait_until_ready()
    }

    /// Ends wrangler and every process it started.
    fn stop(&mut self) {
        // Closing the pipe makes the watchdog end the group; TERM the group as well in
        // case the watchdog itself is gone, then reap it.
        self.watchdog_pipe.take();
        let group = format!("-{}", self.child.id());
        let signal_group = |signal: &str| {
            Command::new("kill")
                .args([signal, "--", &group])
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|status| status.success())
        };
        signal_group("-TERM");
        let deadline = Instant::now() + Duration::from_secs(10);
        // `kill -0` succeeds while any process of the group is alive.
        while signal_group("-0") && Instant::now() < deadline {
            let _ = self.child.try_wait();
            std::thread::sleep(Duration::from_millis(100));
        }
        signal_group("-KILL");
        let _ = self.child.wait();
    }

    fn wait_until_ready(&mut self) -> Result<(), String> {
        let started = Instant::now();
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(2))
            .build();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!(
                    "wrangler dev exited ({status}) before it served:\n{}",
                    self.log_tail()
                ));
            }
            if let Ok(response) = agent.get(&format!("{}/health", self.base_url)).call() {
                if response.status() == 200 {
                    return Ok(());
                }
            }
            if started.elapsed() > STARTUP_LIMIT {
                return Err(format!(
                    "wrangler dev did not answer /health within {STARTUP_LIMIT:?}:\n{}",
                    self.log_tail()
                ));
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// The process group of wrangler and every process it started.
    pub fn process_group(&self) -> u32 {
        self.child.id()
    }

    /// CPU time (user and system) that wrangler and every process it started have
    /// used so far, in seconds: the whole local runtime (workerd and wrangler's Node),
    /// read from `/proc` by process group.
    pub fn cpu_seconds(&self) -> f64 {
        let group = self.child.id().to_string();
        let ticks_per_second = 100.0; // USER_HZ on Linux
        let ticks: u64 = std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .filter_map(|entry| std::fs::read_to_string(entry.ok()?.path().join("stat")).ok())
            .filter_map(|stat| {
                // After the command's closing parenthesis: state, ppid, pgrp, ... with
                // utime and stime the 12th and 13th fields.
                let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
                (fields.get(2) == Some(&group.as_str())).then(|| {
                    let field = |n: usize| fields.get(n).and_then(|f| f.parse::<u64>().ok());
                    field(11).unwrap_or(0) + field(12).unwrap_or(0)
                })
            })
            .sum();
        ticks as f64 / ticks_per_second
    }

    /// Everything wrangler and the worker printed so far, across restarts.
    pub fn log(&self) -> String {
        let mut text = String::new();
        let earlier = (1..=self.restarts).map(|n| {
            self.state_dir
                .join(format!("wrangler-before-restart-{n}.log"))
        });
        for path in earlier.chain([self.log_path.clone()]) {
            if let Ok(mut file) = File::open(&path) {
                let _ = file.read_to_string(&mut text);
            }
        }
        text
    }

    /// The log's last lines, for a failure: the whole log is kept under
    /// `target/wrangler-logs/`, named in the last line, since the state directory goes.
    pub fn log_tail(&self) -> String {
        let log = self.log();
        let lines: Vec<&str> = log.lines().collect();
        let tail = lines[lines.len().saturating_sub(40)..].join("\n");
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/wrangler-logs");
        let name = self.state_dir.file_name().map_or_else(
            || "wrangler".into(),
            |name| name.to_string_lossy().into_owned(),
        );
        let kept = dir.join(format!("{name}.log"));
        match std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&kept, &log)) {
            Ok(()) => format!("{tail}\n(the whole log: {})", kept.display()),
            Err(error) => format!("{tail}\n(the whole log could not be kept: {error})"),
        }
    }
}

impl Drop for WranglerDev {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.state_dir);
        if let Some(config) = &self.config {
            let _ = std::fs::remove_file(config);
        }
    }
}

/// Starts wrangler with `args` in its own process group, behind the watchdog.
fn spawn(args: &[String], log_path: &Path) -> Result<(Child, Option<ChildStdin>), String> {
    let root = project_root();
    let log = File::create(log_path).map_err(|e| e.to_string())?;
    let log_err = log.try_clone().map_err(|e| e.to_string())?;
    let path = format!(
        "{}:{}",
        root.join("node_modules/.bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // `"$0" "$@" &` starts wrangler; `read` waits for this process's pipe to close.
    let watchdog = r#""$0" "$@" </dev/null & read -r _; kill -TERM 0"#;
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(watchdog)
        .arg(root.join("node_modules/.bin/wrangler"))
        .args(args)
        .current_dir(root)
        .env("PATH", path)
        .env("WRANGLER_SEND_METRICS", "false")
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(log)
        .stderr(log_err)
        .process_group(0)
        .spawn()
        .map_err(|e| format!("could not start wrangler: {e}"))?;
    let pipe = child.stdin.take();
    Ok((child, pipe))
}
