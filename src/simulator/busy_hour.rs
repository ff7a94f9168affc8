//! `cargo run --example simulate -- busy-hour`: many calls at once through the local
//! Telnyx against a running worker with the shipped example rules, so that everything
//! that counts calls, supervisors, recordings and actions moves while it runs.
//!
//! A run is planned first ([`Plan::new`]), from its [`Options`] and a seed alone: which
//! calls start when, how long each stays up, and what happens on it. The same options
//! and seed give the same plan. Then [`play`] keeps `calls` calls up at once, one thread
//! per place ("slot"): each place starts its next call as its last one hangs up, until
//! `total` calls have run. Each call is checked once it has ended, field by field and
//! action by action, as the single-call scenarios are.
//!
//! The first problem stops the run: no more calls start, the calls that are up hang up
//! at once (they are not checked), and [`play`] reports what went wrong.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::scenarios::{
    action_differences, Run, ANSWERED, BACKUP, INBOUND_ACTIONS, PRIMARY, SUPERVISOR,
};
use crate::domain::time::Instant as Moment;

/// The scenario's name on the command line.
pub const NAME: &str = "busy-hour";
/// What `--list` says of it.
pub const ABOUT: &str = "keeps --calls calls up at once (20) until --total (3 x --calls) have run, each for --seconds (20-90): the rules answer, record and noise-suppress each; half press 0 for a supervisor, who may press 1 (barge) or 2 (whisper); one in five is referred; the far side hangs up";

/// How many calls may be up at once.
pub const CALLS: RangeInclusive<usize> = 1..=200;
/// The most calls one run plays.
pub const TOTAL_MAX: usize = 10_000;
/// How long a call may stay up, in seconds.
pub const SECONDS: RangeInclusive<u64> = 1..=3_600;
pub const DEFAULT_CALLS: usize = 20;
pub const DEFAULT_SECONDS: (u64, u64) = (20, 90);
/// Its options, each with a value; given to another scenario they are an error.
pub const FLAGS: [&str; 4] = ["--calls", "--total", "--seconds", "--seed"];

/// The number every call rings (the caller's numbers differ).
const CALLED: &str = "+13125550199";
/// How often a run says how far it is.
const PROGRESS_EVERY: Duration = Duration::from_secs(5);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    /// How many calls are kept up at once.
    pub calls: usize,
    /// How many calls run in all.
    pub total: usize,
    /// How long each call stays up, in seconds: the least and the most (drawn evenly).
    pub seconds: (u64, u64),
    /// Seeds the plan: the same seed, the same plan.
    pub seed: u64,
}

impl Options {
    /// From `(flag, value)` pairs, each flag one of [`FLAGS`]; `seed` unless `--seed`
    /// names one.
    pub fn parse(flags: &[(String, String)], seed: u64) -> Result<Self, String> {
        let mut calls = None;
        let mut total = None;
        let mut seconds = None;
        let mut seed_given = None;
        for (flag, value) in flags {
            let already = match flag.as_str() {
                "--calls" => calls
                    .replace(whole(flag, value, *CALLS.start(), *CALLS.end())?)
                    .is_some(),
                "--total" => total.replace(whole(flag, value, 1, TOTAL_MAX)?).is_some(),
                "--seconds" => seconds.replace(parse_seconds(value)?).is_some(),
                "--seed" => seed_given
                    .replace(value.parse::<u64>().map_err(|_| {
                        format!(
                            "--seed wants a whole number from 0 to {}, not {value:?}",
                            u64::MAX
                        )
                    })?)
                    .is_some(),
                other => return Err(format!("{other} is not an option of {NAME}")),
            };
            if already {
                return Err(format!("{flag} is given twice"));
            }
        }
        let calls = calls.unwrap_or(DEFAULT_CALLS);
        let total = total.unwrap_or(3 * calls);
        if total < calls {
            return Err(format!(
                "--total {total} is fewer than --calls {calls}: give at least as many calls in all as at once"
            ));
        }
        Ok(Self {
            calls,
            total,
            seconds: seconds.unwrap_or(DEFAULT_SECONDS),
            seed: seed_given.unwrap_or(seed),
        })
    }
}

/// A whole number from `least` to `most`.
fn whole(flag: &str, value: &str, least: usize, most: usize) -> Result<usize, String> {
    value
        .parse::<usize>()
        .ok()
        .filter(|n| (least..=most).contains(n))
        .ok_or_else(|| format!("{flag} wants a whole number from {least} to {most}, not {value:?}"))
}

/// `30` (every call 30 s) or `20-90` (from 20 to 90 s).
fn parse_seconds(value: &str) -> Result<(u64, u64), String> {
    let wrong = || {
        format!(
            "--seconds wants seconds from {} to {}, as 30 or 20-90, not {value:?}",
            SECONDS.start(),
            SECONDS.end()
        )
    };
    let one = |text: &str| {
        text.trim()
            .parse::<u64>()
            .ok()
            .filter(|s| SECONDS.contains(s))
            .ok_or_else(wrong)
    };
    let (least, most) = match value.split_once('-') {
        Some((least, most)) => (one(least)?, one(most)?),
        None => (one(value)?, one(value)?),
    };
    if least > most {
        return Err(format!(
            "--seconds {value}: the shorter comes first, as {most}-{least}"
        ));
    }
    Ok((least, most))
}

/// What happens on a call besides being answered, recorded, noise-suppressed and hung up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Nothing more.
    Plain,
    /// The caller presses 0, so the example rule dials a supervisor in (monitor); the
    /// supervisor then presses these keys on their own leg (`1` barge, `2` whisper).
    Supervised { keys: &'static str },
    /// An operator refers the call to the primary PBX; when that fails, the example rule
    /// refers it to the backup. Either way it is stamped `transferred`.
    Referred { primary_fails: bool },
}

/// Every ten calls get these, in an order drawn from the seed: half supervised (one in
/// five of those supervisors stays listening), one in five referred, the rest plain.
pub const EVERY_TEN: [Kind; 10] = [
    Kind::Supervised { keys: "" },
    Kind::Supervised { keys: "1" },
    Kind::Supervised { keys: "2" },
    Kind::Supervised { keys: "21" },
    Kind::Supervised { keys: "12" },
    Kind::Referred {
        primary_fails: false,
    },
    Kind::Referred {
        primary_fails: true,
    },
    Kind::Plain,
    Kind::Plain,
    Kind::Plain,
];

/// The role a supervisor key switches to under the example rules.
fn role_of(key: char) -> &'static str {
    match key {
        '1' => "barge",
        '2' => "whisper",
        _ => "monitor",
    }
}

fn quoted(text: &str) -> String {
    Value::from(text).to_string()
}

impl Kind {
    /// The supervisor's role when the call ends (a supervised call's).
    pub fn final_role(&self) -> Option<&'static str> {
        match self {
            Kind::Supervised { keys } => Some(keys.chars().last().map_or("monitor", role_of)),
            _ => None,
        }
    }

    /// The call's final state: fields (JSON pointers) and their values as JSON text.
    pub fn expected(&self) -> Vec<(&'static str, String)> {
        let mut fields = vec![
            ("/status", quoted("hangup")),
            ("/hangup_cause", quoted("normal_clearing")),
            ("/siprec/status", quoted("stopped")),
            ("/noise_suppression/status", quoted("active")),
            ("/supervisor_role", "null".to_owned()),
        ];
        match self {
            Kind::Plain => {
                fields.push(("/client_state", quoted("aW5ib3VuZA==")));
                fields.push(("/supervisors", "[]".to_owned()));
            }
            Kind::Supervised { .. } => {
                fields.push(("/client_state", quoted("aW5ib3VuZA==")));
                fields.push(("/supervisors/0/to", quoted(SUPERVISOR)));
                fields.push(("/supervisors/0/status", quoted("hangup")));
                let role = self.final_role().unwrap_or("monitor");
                fields.push(("/supervisors/0/role", quoted(role)));
            }
            Kind::Referred { primary_fails } => {
                let to = if *primary_fails { BACKUP } else { PRIMARY };
                fields.push(("/client_state", quoted("dHJhbnNmZXJyZWQ=")));
                fields.push(("/refer/status", quoted("completed")));
                fields.push(("/refer/sip_address", quoted(to)));
                fields.push(("/supervisors", "[]".to_owned()));
            }
        }
        fields
    }

    /// The call's actions at the end, `(action, rule or "operator")`, all succeeded.
    pub fn actions(&self) -> Vec<(&'static str, &'static str)> {
        let mut actions = INBOUND_ACTIONS.to_vec();
        match self {
            Kind::Plain => {}
            Kind::Supervised { .. } => actions.push(("dial", "supervisor-dial")),
            Kind::Referred { primary_fails } => {
                actions.push(("refer", "operator"));
                if *primary_fails {
                    actions.push(("refer", "refer-failover"));
                }
                actions.push(("client_state_update", "stamp-transferred"));
            }
        }
        actions
    }

    /// The supervisor leg's final state (empty unless supervised).
    pub fn supervisor_expected(&self) -> Vec<(&'static str, String)> {
        let Some(role) = self.final_role() else {
            return Vec::new();
        };
        vec![
            ("/status", quoted("hangup")),
            ("/hangup_cause", quoted("normal_clearing")),
            ("/to", quoted(SUPERVISOR)),
            ("/supervisor_role", quoted(role)),
            ("/client_state", quoted("c3VwZXJ2aXNvcg==")),
            ("/origin/rule", quoted("supervisor-dial")),
            ("/siprec", "null".to_owned()),
            ("/noise_suppression", "null".to_owned()),
        ]
    }

    /// The supervisor leg's actions at the end, its Dial first (empty unless supervised).
    pub fn supervisor_actions(&self) -> Vec<(&'static str, &'static str)> {
        let Kind::Supervised { keys } = self else {
            return Vec::new();
        };
        let mut actions = vec![("dial", "supervisor-dial")];
        for key in keys.chars() {
            actions.push((
                "switch_supervisor_role",
                match key {
                    '1' => "supervisor-barge",
                    '2' => "supervisor-whisper",
                    _ => "supervisor-monitor",
                },
            ));
        }
        actions
    }

    /// The commands the worker sends for such a call: its actions and its supervisor
    /// leg's, the leg's Dial (the call's too) once.
    pub fn commands(&self) -> usize {
        self.actions().len() + self.supervisor_actions().len().saturating_sub(1)
    }
}

/// One thing that happens on a call, at its time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Move {
    /// The caller presses 0 (and the supervisor the rule dials in answers).
    CallerPresses0,
    /// The supervisor presses this key on their own leg.
    SupervisorPresses(char),
    /// An operator refers the call to the primary PBX (and the refer completes).
    OperatorRefers,
    /// The far side hangs up: always last, at the call's hold time.
    FarSideHangsUp,
}

/// One call of the plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedCall {
    /// From 1, in the order the calls start.
    pub number: usize,
    /// The place it is played in, from 0: one call at a time each.
    pub slot: usize,
    /// The caller's number.
    pub from: String,
    /// When it starts, after the run starts.
    pub start_ms: u64,
    /// How long it stays up, from its start to the far side's hangup.
    pub hold_ms: u64,
    pub kind: Kind,
    /// What happens, each at a time after the call's start, in order; the far side's
    /// hangup last, at `hold_ms`.
    pub moves: Vec<(u64, Move)>,
}

/// What a run will do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    pub options: Options,
    /// Over how long the first `calls` calls start: 5 s, or 100 ms a call beyond 50
    /// calls, never longer than the shortest hold (so all are up at once).
    pub ramp_ms: u64,
    pub calls: Vec<PlannedCall>,
}

/// SplitMix64: small, and the same numbers from the same seed everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// From `least` to `most`, both included (`least` when `most` is below it).
    fn between(&mut self, least: u64, most: u64) -> u64 {
        let span = most.saturating_sub(least).saturating_add(1);
        least.saturating_add(self.next() % span.max(1))
    }
}

impl Plan {
    pub fn new(options: &Options) -> Self {
        let mut rng = Rng(options.seed);
        let places = options.calls.clamp(*CALLS.start(), *CALLS.end());
        // Options from `parse` are in bounds; others are brought into them.
        let shortest = options.seconds.0.clamp(*SECONDS.start(), *SECONDS.end());
        let longest = options.seconds.1.clamp(shortest, *SECONDS.end());
        let (shortest, longest) = (shortest * 1_000, longest * 1_000);
        let ramp_ms = (5_000_u64.max(100 * places as u64)).min(shortest);
        let mut free_at = vec![0_u64; places];
        let mut deck: Vec<Kind> = Vec::new();
        let mut calls = Vec::with_capacity(options.total);
        for index in 0..options.total {
            let (slot, start_ms) = if index < places {
                (index, ramp_ms * index as u64 / places as u64)
            } else {
                // The place free first (the lowest on a tie): starts never go back.
                let mut slot = 0;
                for (place, at) in free_at.iter().enumerate() {
                    if *at < free_at[slot] {
                        slot = place;
                    }
                }
                (slot, free_at[slot])
            };
            let hold_ms = rng.between(shortest, longest);
            if deck.is_empty() {
                deck = EVERY_TEN.to_vec();
                for at in (1..deck.len()).rev() {
                    let other = rng.between(0, at as u64) as usize;
                    deck.swap(at, other);
                }
            }
            let kind = deck.pop().unwrap_or(Kind::Plain);
            let moves = moves_of(kind, hold_ms, &mut rng);
            // The place's next call starts up to a second after this one hangs up.
            free_at[slot] = start_ms + hold_ms + rng.between(0, 1_000);
            calls.push(PlannedCall {
                number: index + 1,
                slot,
                from: format!("+1312556{:04}", index % 10_000),
                start_ms,
                hold_ms,
                kind,
                moves,
            });
        }
        Self {
            options: options.clone(),
            ramp_ms,
            calls,
        }
    }

    /// The most calls up at once, as planned (a call hanging up as another starts is
    /// not up with it).
    pub fn peak(&self) -> usize {
        let mut edges: Vec<(u64, i64)> = Vec::new();
        for call in &self.calls {
            edges.push((call.start_ms, 1));
            edges.push((call.start_ms + call.hold_ms, -1));
        }
        edges.sort();
        let (mut up, mut peak) = (0_i64, 0_i64);
        for (_, change) in edges {
            up += change;
            peak = peak.max(up);
        }
        peak as usize
    }

    /// When the last call hangs up, as planned.
    pub fn length_ms(&self) -> u64 {
        self.calls
            .iter()
            .map(|c| c.start_ms + c.hold_ms)
            .max()
            .unwrap_or(0)
    }

    /// The commands the worker is to send for the whole plan ([`Kind::commands`]).
    pub fn commands(&self) -> usize {
        self.calls.iter().map(|c| c.kind.commands()).sum()
    }

    /// How many calls of the plan are of a kind the test says.
    pub fn count(&self, test: impl Fn(&Kind) -> bool) -> usize {
        self.calls.iter().filter(|c| test(&c.kind)).count()
    }

    /// The line a run starts with.
    pub fn describe(&self) -> String {
        let options = &self.options;
        let seconds = match options.seconds {
            (least, most) if least == most => format!("{least} s"),
            (least, most) => format!("{least}-{most} s"),
        };
        format!(
            "{NAME}: {}, {} at once, each up {seconds}, seed {}: {} with a supervisor, {} referred, {} answered only; about {}",
            plural_calls(options.total),
            options.calls,
            options.seed,
            self.count(|k| matches!(k, Kind::Supervised { .. })),
            self.count(|k| matches!(k, Kind::Referred { .. })),
            self.count(|k| matches!(k, Kind::Plain)),
            minutes(self.length_ms() / 1_000)
        )
    }
}

/// A call's moves, at times drawn as shares of its hold.
fn moves_of(kind: Kind, hold_ms: u64, rng: &mut Rng) -> Vec<(u64, Move)> {
    let mut at = |least: u64, most: u64| hold_ms * rng.between(least, most) / 100;
    let mut moves = Vec::new();
    match kind {
        Kind::Plain => {}
        Kind::Supervised { keys } => {
            moves.push((at(15, 30), Move::CallerPresses0));
            for (key, (least, most)) in keys.chars().zip([(40, 55), (60, 75)]) {
                moves.push((at(least, most), Move::SupervisorPresses(key)));
            }
        }
        Kind::Referred { .. } => moves.push((at(25, 50), Move::OperatorRefers)),
    }
    moves.push((hold_ms, Move::FarSideHangsUp));
    moves
}

/// `75 s`, `3 min 12 s`.
fn minutes(seconds: u64) -> String {
    match (seconds / 60, seconds % 60) {
        (0, s) => format!("{s} s"),
        (m, 0) => format!("{m} min"),
        (m, s) => format!("{m} min {s} s"),
    }
}

/// What a run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// From the first start to the last check.
    pub seconds: u64,
    /// Calls the simulator started.
    pub started: usize,
    /// Calls the far side hung up (the simulator took the hangup).
    pub ended: usize,
    /// Calls that ended as their plan says, checked against the worker's state.
    pub checked: usize,
    /// Calls hung up early, unchecked, once another went wrong.
    pub cut_short: usize,
    /// The most calls up at once.
    pub peak: usize,
    /// Supervisor legs dialed in (by the caller's 0) and answered.
    pub supervisors: usize,
    /// Checked supervised calls by the supervisor's role at the end.
    pub roles: BTreeMap<String, usize>,
    /// Checked referred calls, and those of them referred to the backup.
    pub referred: usize,
    pub failed_over: usize,
    /// Commands the worker sent for the checked calls ([`Kind::commands`]).
    pub actions: usize,
    /// Per checked call: from its `call.initiated` to its answer's success, ms, sorted.
    pub reactions_ms: Vec<i64>,
    /// Each started call: its number, id and supervisor leg.
    pub calls: Vec<(usize, String, Option<String>)>,
    /// What went wrong; empty when the run is fine.
    pub problems: Vec<String>,
}

impl Report {
    /// The lines a run ends with.
    pub fn summary(&self) -> Vec<String> {
        let stopped = if self.problems.is_empty() {
            ""
        } else {
            ", stopped at the first problem"
        };
        let mut lines = vec![
            format!(
                "{NAME}: {} in {}, at most {} up at once{stopped}",
                plural_calls(self.started),
                minutes(self.seconds),
                self.peak
            ),
            format!(
                "  started {}, ended {} (the far side hung up), checked {}",
                self.started, self.ended, self.checked
            ),
        ];
        if self.cut_short > 0 {
            lines.push(format!(
                "  cut short {} (hung up early once a call went wrong; not checked)",
                self.cut_short
            ));
        }
        let roles: Vec<String> = self
            .roles
            .iter()
            .map(|(role, n)| format!("{n} {role}"))
            .collect();
        lines.push(format!(
            "  supervisors: {} dialed in by the caller's 0; roles at the end: {}",
            self.supervisors,
            if roles.is_empty() {
                "none".to_owned()
            } else {
                roles.join(", ")
            }
        ));
        lines.push(format!(
            "  referred: {}, {} of them to the backup after the primary failed",
            self.referred, self.failed_over
        ));
        lines.push(format!(
            "  actions of the checked calls: {}, all succeeded",
            self.actions
        ));
        lines.push(match (self.reactions_ms.first(), self.reactions_ms.last()) {
            (Some(fastest), Some(slowest)) => format!(
                "  answer reaction (call.initiated to answer succeeded): fastest {fastest} ms, median {} ms, slowest {slowest} ms",
                self.reactions_ms[self.reactions_ms.len() / 2]
            ),
            _ => "  answer reaction: none measured".to_owned(),
        });
        lines
    }
}

/// `1 call`, `12 calls`.
fn plural_calls(n: usize) -> String {
    if n == 1 {
        "1 call".to_owned()
    } else {
        format!("{n} calls")
    }
}

/// A progress line: `busy-hour   25 s: 20 live (9 with a supervisor), 20 started, 0
/// ended, 0 checked`.
fn progress(elapsed: Duration, counts: &Report, supervisors_up: usize) -> String {
    format!(
        "{NAME} {:>4} s: {} live ({supervisors_up} with a supervisor), {} started, {} ended, {} checked",
        elapsed.as_secs(),
        counts.started - counts.ended,
        counts.started,
        counts.ended,
        counts.checked
    )
}

/// A call up: its id and its supervisor leg, once it has one.
struct Up {
    call: String,
    leg: Option<String>,
}

enum Outcome {
    /// Played to its end as planned: to be checked.
    Played(Up),
    /// Hung up early because the run is stopping.
    CutShort,
    /// Went wrong: the call, if the simulator started one, and what went wrong.
    Failed(Option<String>, String),
}

/// What the threads of a run share.
struct Live<'a> {
    run: &'a Run,
    say: &'a (dyn Fn(&str) + Sync),
    started_at: Instant,
    stop: AtomicBool,
    /// Places still playing and checks still running.
    busy: AtomicUsize,
    report: Mutex<Report>,
    supervisors_up: AtomicUsize,
}

impl Live<'_> {
    fn report(&self) -> MutexGuard<'_, Report> {
        self.report
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Records a problem; the first stops the run.
    fn fail(&self, planned: &PlannedCall, call: Option<&str>, problem: String) {
        let call = call.map(|c| format!(" {c}")).unwrap_or_default();
        self.report()
            .problems
            .push(format!("call {}{call}: {problem}", planned.number));
        if !self.stop.swap(true, Ordering::SeqCst) {
            (self.say)(&format!(
                "{NAME}: call {}{call} went wrong; starting no more calls and hanging up those up",
                planned.number
            ));
        }
    }

    /// Sleeps until `at`; false when the run is stopping.
    fn pause_until(&self, at: Instant) -> bool {
        loop {
            if self.stop.load(Ordering::SeqCst) {
                return false;
            }
            let now = Instant::now();
            if now >= at {
                return true;
            }
            thread::sleep((at - now).min(Duration::from_millis(200)));
        }
    }

    /// Waits for the call to get there, saying what for when it does not.
    fn wait(&self, call: &str, what: &str, fields: &[(&str, String)]) -> Result<Value, String> {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(p, v)| (*p, v.as_str())).collect();
        self.run
            .wait_for(call, &fields)
            .map_err(|problem| format!("{what}: {problem}"))
    }

    /// Plays one call from its start to the far side's hangup.
    fn play_call(&self, planned: &PlannedCall) -> Outcome {
        let failing: &[&str] = match planned.kind {
            Kind::Referred {
                primary_fails: true,
            } => &[PRIMARY],
            _ => &[],
        };
        let started = self.run.simulator(
            "/simulator/calls",
            json!({"from": planned.from, "to": CALLED, "fail_refers_to": failing}),
        );
        let call = match started.map(|answer| answer["call_control_id"].as_str().map(str::to_owned))
        {
            Ok(Some(call)) => call,
            Ok(None) => return Outcome::Failed(None, "the simulator started no call".into()),
            Err(problem) => return Outcome::Failed(None, problem),
        };
        let began = Instant::now();
        {
            let mut report = self.report();
            report.started += 1;
            report.peak = report.peak.max(report.started - report.ended);
            report.calls.push((planned.number, call.clone(), None));
        }
        let mut up = Up { call, leg: None };
        let mut cut_short = false;
        let mut result = self
            .wait(
                &up.call,
                "waiting for the rules to answer it",
                &owned(ANSWERED),
            )
            .map(|_| ());
        if result.is_ok() {
            for (at, step) in &planned.moves {
                if !self.pause_until(began + Duration::from_millis(*at)) {
                    cut_short = true;
                    break;
                }
                if *step == Move::FarSideHangsUp {
                    break;
                }
                result = self.make(*step, planned, &mut up);
                if result.is_err() {
                    break;
                }
            }
        }
        // The far side hangs up whatever happened, so no call is left up.
        let hangup = self
            .run
            .simulator(&format!("/simulator/calls/{}/hangup", up.call), json!({}));
        if hangup.is_ok() {
            self.report().ended += 1;
            if up.leg.is_some() {
                self.supervisors_up.fetch_sub(1, Ordering::SeqCst);
            }
        }
        match (result, hangup) {
            (Err(problem), _) | (Ok(()), Err(problem)) => Outcome::Failed(Some(up.call), problem),
            (Ok(()), Ok(_)) if cut_short => Outcome::CutShort,
            (Ok(()), Ok(_)) => Outcome::Played(up),
        }
    }

    fn make(&self, step: Move, planned: &PlannedCall, up: &mut Up) -> Result<(), String> {
        match step {
            Move::CallerPresses0 => {
                self.run.simulator(
                    &format!("/simulator/calls/{}/dtmf", up.call),
                    json!({"digits": "0"}),
                )?;
                let state = self.wait(
                    &up.call,
                    "waiting for the supervisor the caller's 0 dials in to answer",
                    &[
                        ("/supervisors/0/status", quoted("answered")),
                        ("/supervisors/0/role", quoted("monitor")),
                    ],
                )?;
                let leg = state
                    .pointer("/supervisors/0/call_control_id")
                    .and_then(Value::as_str)
                    .ok_or_else(|| format!("the supervisor has no call control id: {state}"))?;
                up.leg = Some(leg.to_owned());
                self.supervisors_up.fetch_add(1, Ordering::SeqCst);
                let mut report = self.report();
                report.supervisors += 1;
                if let Some(entry) = report.calls.iter_mut().find(|c| c.0 == planned.number) {
                    entry.2 = Some(leg.to_owned());
                }
                Ok(())
            }
            Move::SupervisorPresses(key) => {
                let leg = up
                    .leg
                    .clone()
                    .ok_or("the plan has the supervisor press a key before the caller's 0")?;
                self.run.simulator(
                    &format!("/simulator/calls/{leg}/dtmf"),
                    json!({"digits": key.to_string()}),
                )?;
                let role = role_of(key);
                self.wait(
                    &up.call,
                    &format!("waiting for the supervisor's {key} to switch them to {role}"),
                    &[("/supervisors/0/role", quoted(role))],
                )
                .map(|_| ())
            }
            Move::OperatorRefers => {
                let url = format!("{}/calls/{}/actions/refer", self.run.url, up.call);
                let (status, answer) =
                    self.run
                        .request("POST", &url, Some(json!({"sip_address": PRIMARY})), true)?;
                if status != 200 {
                    return Err(format!(
                        "the operator's refer was answered {status}: {answer}"
                    ));
                }
                self.wait(
                    &up.call,
                    "waiting for the refer to complete",
                    &[
                        ("/refer/status", quoted("completed")),
                        ("/client_state", quoted("dHJhbnNmZXJyZWQ=")),
                    ],
                )
                .map(|_| ())
            }
            Move::FarSideHangsUp => Ok(()),
        }
    }

    /// Checks a call that ended against its plan.
    fn check(&self, planned: &PlannedCall, up: &Up) -> Result<(), String> {
        let state = self.wait(&up.call, "its final state", &planned.kind.expected())?;
        let mut problems = action_differences(&state, &planned.kind.actions());
        let mut actions = state["actions"].as_array().map_or(0, Vec::len);
        match (&up.leg, planned.kind.final_role()) {
            (Some(leg), Some(role)) => {
                let leg_state = self.wait(
                    leg,
                    &format!("its supervisor leg {leg}'s final state"),
                    &planned.kind.supervisor_expected(),
                )?;
                if leg_state["supervising"] != up.call.as_str() {
                    problems.push(format!(
                        "the supervisor leg's /supervising: expected {:?}, got {}",
                        up.call, leg_state["supervising"]
                    ));
                }
                problems.extend(
                    action_differences(&leg_state, &planned.kind.supervisor_actions())
                        .into_iter()
                        .map(|problem| format!("supervisor leg: {problem}")),
                );
                // Its Dial is the call's too.
                actions += leg_state["actions"]
                    .as_array()
                    .map_or(0, Vec::len)
                    .saturating_sub(1);
                if problems.is_empty() {
                    *self.report().roles.entry(role.to_owned()).or_default() += 1;
                }
            }
            (None, Some(_)) => problems.push("it has no supervisor leg".into()),
            _ => {}
        }
        let supervisors = state["supervisors"].as_array().map_or(0, Vec::len);
        if supervisors > 1 {
            problems.push(format!("{supervisors} supervisors, expected one at most"));
        }
        if !problems.is_empty() {
            return Err(format!(
                "the actions differ:\n    {}",
                problems.join("\n    ")
            ));
        }
        let mut report = self.report();
        report.checked += 1;
        report.actions += actions;
        if let Kind::Referred { primary_fails } = planned.kind {
            report.referred += 1;
            report.failed_over += usize::from(primary_fails);
        }
        if let Some(reaction) = answer_reaction(&state) {
            report.reactions_ms.push(reaction);
        }
        Ok(())
    }

    /// Plays a place's calls one after another; each call is checked on a thread of
    /// its own once it has ended, while the place's next call starts.
    fn play_place<'scope>(
        &'scope self,
        scope: &'scope thread::Scope<'scope, '_>,
        plan: &'scope Plan,
        slot: usize,
    ) {
        for planned in plan.calls.iter().filter(|c| c.slot == slot) {
            let start = self.started_at + Duration::from_millis(planned.start_ms);
            if !self.pause_until(start) {
                break;
            }
            match self.play_call(planned) {
                Outcome::Played(up) => {
                    self.busy.fetch_add(1, Ordering::SeqCst);
                    scope.spawn(move || {
                        if let Err(problem) = self.check(planned, &up) {
                            self.fail(planned, Some(&up.call), problem);
                        }
                        self.busy.fetch_sub(1, Ordering::SeqCst);
                    });
                }
                Outcome::CutShort => self.report().cut_short += 1,
                Outcome::Failed(call, problem) => self.fail(planned, call.as_deref(), problem),
            }
        }
        self.busy.fetch_sub(1, Ordering::SeqCst);
    }
}

fn owned(fields: &[(&'static str, &'static str)]) -> Vec<(&'static str, String)> {
    fields.iter().map(|(p, v)| (*p, (*v).to_owned())).collect()
}

/// From the call's `call.initiated` to its answer's success, in ms.
fn answer_reaction(state: &Value) -> Option<i64> {
    let at = |text: Option<&str>| {
        text.and_then(Moment::parse_rfc3339)
            .map(Moment::unix_millis)
    };
    let initiated = state["events"]
        .as_array()?
        .iter()
        .find(|e| e["event_type"] == "call.initiated")?;
    let answer = state["actions"]
        .as_array()?
        .iter()
        .find(|a| a["action"] == "answer" && a["status"] == "succeeded")?;
    Some(at(answer["at"].as_str())? - at(initiated["occurred_at"].as_str())?)
}

/// Plays the plan against the worker and the simulator `run` names, saying through
/// `say` how far it is every few seconds and, at the end, the summary. Whatever went
/// wrong is in the report's `problems`.
pub fn play(run: &Run, plan: &Plan, say: &(dyn Fn(&str) + Sync)) -> Report {
    let places = plan.calls.iter().map(|c| c.slot + 1).max().unwrap_or(0);
    let live = Live {
        run,
        say,
        started_at: Instant::now(),
        stop: AtomicBool::new(false),
        busy: AtomicUsize::new(places),
        report: Mutex::new(Report::default()),
        supervisors_up: AtomicUsize::new(0),
    };
    thread::scope(|scope| {
        let live = &live;
        for slot in 0..places {
            scope.spawn(move || live.play_place(scope, plan, slot));
        }
        let mut next = live.started_at + PROGRESS_EVERY;
        while live.busy.load(Ordering::SeqCst) > 0 {
            thread::sleep(Duration::from_millis(100));
            if Instant::now() >= next {
                next += PROGRESS_EVERY;
                let line = progress(
                    live.started_at.elapsed(),
                    &live.report(),
                    live.supervisors_up.load(Ordering::SeqCst),
                );
                say(&line);
            }
        }
    });
    let mut report = live.report.into_inner().unwrap_or_else(|p| p.into_inner());
    report.seconds = live.started_at.elapsed().as_secs();
    if report.problems.is_empty() && report.checked != plan.calls.len() {
        report.problems.push(format!(
            "only {} of the {} planned calls were checked",
            report.checked,
            plan.calls.len()
        ));
    }
    report.reactions_ms.sort_unstable();
    report.calls.sort();
    for line in report.summary() {
        say(&line);
    }
    report
}
