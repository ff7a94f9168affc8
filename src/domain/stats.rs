//! The dashboard's figures (`GET /stats`): what each object contributes, how
//! contributions add up, and the answer built from their sum.
//!
//! Every object that accepts events or records action outcomes reports its whole
//! contribution: counts per UTC minute (of acceptance, or of the outcome) and what it
//! adds to the live figures. A contribution only ever replaces the one reported before
//! it, and what is added to the totals is the difference between the two, so a report
//! repeated, retried or sent again by a new instance adds nothing twice.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::call_status::CallStatus;
use super::envelope::EventKind;
use super::time::Instant;

/// A UTC minute, as whole minutes since the Unix epoch.
pub type Minute = i64;

pub const MINUTE_MS: i64 = 60_000;

/// The most minutes `GET /stats` answers for, and how long they are kept (at least 48
/// hours, as the interface promises).
pub const MAX_MINUTES: i64 = 1440;
pub const KEPT_MINUTES: i64 = 48 * 60 + 60;

pub fn minute_of(millis: i64) -> Minute {
    millis.div_euclid(MINUTE_MS)
}

/// A refer's outcomes: `started`, `completed`, `failed`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refers {
    pub started: i64,
    pub completed: i64,
    pub failed: i64,
}

/// SIPREC's: `started`, `stopped`, `failed`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Siprec {
    pub started: i64,
    pub stopped: i64,
    pub failed: i64,
}

/// Final outcomes of actions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcomes {
    pub succeeded: i64,
    pub failed: i64,
}

/// What happened in one minute. Signed, as the difference between two contributions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Tally {
    pub calls_started: i64,
    pub calls_ended: i64,
    pub webhooks: i64,
    pub duplicates: i64,
    pub dtmf: i64,
    pub refers: Refers,
    pub siprec: Siprec,
    pub actions: Outcomes,
    /// Reaction times in milliseconds, and how many of each: exact, and summed across
    /// objects without keeping every value.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub reaction_ms: BTreeMap<u64, i64>,
}

impl Tally {
    /// Counts one accepted event of this (canonical) type.
    pub fn event(&mut self, event_type: &str, count: i64) {
        self.webhooks += count;
        let slot = match EventKind::of(event_type) {
            EventKind::CallHangup => &mut self.calls_ended,
            EventKind::DtmfReceived => &mut self.dtmf,
            EventKind::ReferStarted => &mut self.refers.started,
            EventKind::ReferCompleted => &mut self.refers.completed,
            EventKind::ReferFailed => &mut self.refers.failed,
            EventKind::SiprecStarted => &mut self.siprec.started,
            EventKind::SiprecStopped => &mut self.siprec.stopped,
            EventKind::SiprecFailed => &mut self.siprec.failed,
            EventKind::CallInitiated
            | EventKind::CallAnswered
            | EventKind::CallBridged
            | EventKind::Other => return,
        };
        *slot += count;
    }

    fn add(&mut self, other: &Tally, sign: i64) {
        self.calls_started += sign * other.calls_started;
        self.calls_ended += sign * other.calls_ended;
        self.webhooks += sign * other.webhooks;
        self.duplicates += sign * other.duplicates;
        self.dtmf += sign * other.dtmf;
        self.refers.started += sign * other.refers.started;
        self.refers.completed += sign * other.refers.completed;
        self.refers.failed += sign * other.refers.failed;
        self.siprec.started += sign * other.siprec.started;
        self.siprec.stopped += sign * other.siprec.stopped;
        self.siprec.failed += sign * other.siprec.failed;
        self.actions.succeeded += sign * other.actions.succeeded;
        self.actions.failed += sign * other.actions.failed;
        for (ms, count) in &other.reaction_ms {
            let slot = self.reaction_ms.entry(*ms).or_default();
            *slot += sign * count;
            if *slot == 0 {
                self.reaction_ms.remove(ms);
            }
        }
    }

    fn is_zero(&self) -> bool {
        *self == Tally::default()
    }
}

/// Live calls by status.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ByStatus {
    pub initiated: i64,
    pub answered: i64,
    pub bridged: i64,
}

/// Live supervisor legs by role.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roles {
    pub barge: i64,
    pub whisper: i64,
    pub monitor: i64,
}

/// The live figures, or one call's part of them (each count 0 or 1).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Live {
    pub calls: i64,
    pub by_status: ByStatus,
    pub supervisors: Roles,
    pub recording: i64,
    pub noise_suppression: i64,
}

impl Live {
    /// A call's part: nothing once it has hung up.
    pub fn of_call(
        status: CallStatus,
        supervisor_role: Option<&str>,
        recording: bool,
        noise_suppression: bool,
    ) -> Self {
        let mut live = Live::default();
        let slot = match status {
            CallStatus::Initiated => &mut live.by_status.initiated,
            CallStatus::Answered => &mut live.by_status.answered,
            CallStatus::Bridged => &mut live.by_status.bridged,
            CallStatus::Hangup => return live,
        };
        *slot = 1;
        live.calls = 1;
        match supervisor_role {
            Some("barge") => live.supervisors.barge = 1,
            Some("whisper") => live.supervisors.whisper = 1,
            Some("monitor") => live.supervisors.monitor = 1,
            _ => {}
        }
        live.recording = i64::from(recording);
        live.noise_suppression = i64::from(noise_suppression);
        live
    }

    /// Adds `other` (`sign` 1) or takes it away (`sign` -1).
    pub fn add(&mut self, other: &Live, sign: i64) {
        self.calls += sign * other.calls;
        self.by_status.initiated += sign * other.by_status.initiated;
        self.by_status.answered += sign * other.by_status.answered;
        self.by_status.bridged += sign * other.by_status.bridged;
        self.supervisors.barge += sign * other.supervisors.barge;
        self.supervisors.whisper += sign * other.supervisors.whisper;
        self.supervisors.monitor += sign * other.supervisors.monitor;
        self.recording += sign * other.recording;
        self.noise_suppression += sign * other.noise_suppression;
    }
}

/// What one object contributes to the figures, or the difference between two such.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Contribution {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub minutes: BTreeMap<Minute, Tally>,
    pub live: Live,
}

impl Contribution {
    /// The tally of `minute`, created empty.
    pub fn minute(&mut self, minute: Minute) -> &mut Tally {
        self.minutes.entry(minute).or_default()
    }

    /// Adds `other` (`sign` 1) or takes it away (`sign` -1).
    pub fn add(&mut self, other: &Contribution, sign: i64) {
        for (minute, tally) in &other.minutes {
            let slot = self.minutes.entry(*minute).or_default();
            slot.add(tally, sign);
            if slot.is_zero() {
                self.minutes.remove(minute);
            }
        }
        self.live.add(&other.live, sign);
    }

    /// What replacing `before` with `self` adds to the totals.
    pub fn since(&self, before: &Contribution) -> Contribution {
        let mut delta = self.clone();
        delta.add(before, -1);
        delta
    }

    pub fn is_zero(&self) -> bool {
        *self == Contribution::default()
    }

    /// Leaves out the minutes before `first`: they are no longer kept.
    pub fn keep_from(&mut self, first: Minute) {
        self.minutes.retain(|minute, _| *minute >= first);
    }

    /// Leaves out the minutes outside `from` to `to`.
    pub fn keep_within(&mut self, from: Minute, to: Minute) {
        self.minutes
            .retain(|minute, _| (from..=to).contains(minute));
    }
}

/// `reaction_ms` of a minute or of the window: how many, and the 50th and 95th
/// percentiles by nearest rank (`null` when there are none).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reaction {
    pub count: i64,
    pub p50: Option<u64>,
    pub p95: Option<u64>,
}

impl Reaction {
    pub fn of(histogram: &BTreeMap<u64, i64>) -> Self {
        let count: i64 = histogram.values().filter(|n| **n > 0).sum();
        let rank = |percent: i64| {
            // Nearest rank: the smallest value with at least ⌈percent × count / 100⌉ values
            // at or below it.
            let wanted = (percent * count + 99) / 100;
            let mut seen = 0;
            histogram
                .iter()
                .filter(|(_, n)| **n > 0)
                .find(|(_, n)| {
                    seen += **n;
                    seen >= wanted.max(1)
                })
                .map(|(ms, _)| *ms)
        };
        if count == 0 {
            return Self {
                count: 0,
                p50: None,
                p95: None,
            };
        }
        Self {
            count,
            p50: rank(50),
            p95: rank(95),
        }
    }
}

/// A minute's figures as `GET /stats` gives them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MinuteFigures {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minute: Option<String>,
    pub calls_started: i64,
    pub calls_ended: i64,
    pub webhooks: i64,
    pub duplicates: i64,
    pub dtmf: i64,
    pub refers: Refers,
    pub siprec: Siprec,
    pub actions: Outcomes,
    pub reaction_ms: Reaction,
}

impl MinuteFigures {
    fn of(minute: Option<Minute>, tally: &Tally) -> Self {
        Self {
            minute: minute.map(minute_text),
            calls_started: tally.calls_started,
            calls_ended: tally.calls_ended,
            webhooks: tally.webhooks,
            duplicates: tally.duplicates,
            dtmf: tally.dtmf,
            refers: tally.refers.clone(),
            siprec: tally.siprec.clone(),
            actions: tally.actions.clone(),
            reaction_ms: Reaction::of(&tally.reaction_ms),
        }
    }
}

/// `2026-12-06T22:41:00Z`.
fn minute_text(minute: Minute) -> String {
    Instant::from_unix_secs(minute.saturating_mul(60)).to_rfc3339_seconds()
}

/// The answer of `GET /stats`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StatsAnswer {
    pub at: String,
    pub live: Live,
    pub minutes: Vec<MinuteFigures>,
    pub totals: MinuteFigures,
}

impl StatsAnswer {
    /// The figures of the `count` minutes up to and including `last`, from the summed
    /// contributions; minutes with nothing are zeros.
    pub fn of(sum: &Contribution, last: Minute, count: i64, now_ms: i64) -> Self {
        let first = last - count + 1;
        let mut totals = Tally::default();
        let minutes = (first..=last)
            .map(|minute| {
                let tally = sum.minutes.get(&minute).cloned().unwrap_or_default();
                totals.add(&tally, 1);
                MinuteFigures::of(Some(minute), &tally)
            })
            .collect();
        Self {
            at: Instant::from_unix_millis(now_ms).to_rfc3339(),
            live: sum.live.clone(),
            minutes,
            totals: MinuteFigures::of(None, &totals),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contribution(minute: Minute, events: &[&str], live: Live) -> Contribution {
        let mut c = Contribution {
            live,
            ..Contribution::default()
        };
        for event in events {
            c.minute(minute).event(event, 1);
        }
        c
    }

    #[test]
    fn a_report_adds_only_what_changed_since_the_one_before() {
        let answered = Live::of_call(CallStatus::Answered, None, true, false);
        let first = contribution(10, &["call.initiated", "call.answered"], answered.clone());
        let mut second = first.clone();
        second.minute(11).event("call.hangup", 1);
        second.live = Live::of_call(CallStatus::Hangup, None, false, false);
        let mut totals = Contribution::default();
        totals.add(&first.since(&Contribution::default()), 1);
        totals.add(&second.since(&first), 1);
        totals.add(&second.since(&second), 1);
        assert_eq!(totals.minutes[&10].webhooks, 2);
        assert_eq!(totals.minutes[&11].calls_ended, 1);
        assert_eq!(
            totals.live,
            Live::default(),
            "a hung-up call leaves the live figures"
        );
        assert!(
            second.since(&second).is_zero(),
            "a repeated report adds nothing"
        );
    }

    #[test]
    fn live_parts_count_a_call_once_with_its_role_recording_and_suppression() {
        let live = Live::of_call(CallStatus::Bridged, Some("whisper"), true, true);
        assert_eq!(
            (live.calls, live.by_status.bridged, live.supervisors.whisper),
            (1, 1, 1)
        );
        assert_eq!((live.recording, live.noise_suppression), (1, 1));
        assert_eq!(
            Live::of_call(CallStatus::Hangup, Some("barge"), true, true),
            Live::default()
        );
    }

    #[test]
    fn reaction_percentiles_are_by_nearest_rank() {
        let histogram: BTreeMap<u64, i64> = [(10, 1), (20, 1), (30, 1), (40, 1), (90, 1)].into();
        assert_eq!(
            Reaction::of(&histogram),
            Reaction {
                count: 5,
                p50: Some(30),
                p95: Some(90)
            }
        );
        let one: BTreeMap<u64, i64> = [(41, 1)].into();
        assert_eq!(Reaction::of(&one).p50, Some(41));
        assert_eq!(Reaction::of(&one).p95, Some(41));
        let none = Reaction::of(&BTreeMap::new());
        assert_eq!((none.count, none.p50, none.p95), (0, None, None));
    }

    #[test]
    fn the_answer_has_every_minute_oldest_first_with_zeros() {
        let mut sum = contribution(100, &["call.initiated"], Live::default());
        sum.minute(100).calls_started = 1;
        let answer = StatsAnswer::of(&sum, 101, 3, 101 * MINUTE_MS + 7_120);
        let minutes: Vec<_> = answer.minutes.iter().map(|m| m.minute.clone()).collect();
        assert_eq!(
            minutes,
            [
                Some(minute_text(99)),
                Some(minute_text(100)),
                Some(minute_text(101))
            ]
        );
        assert_eq!(minute_text(100), "1970-01-01T01:40:00Z");
        assert_eq!(answer.minutes[1].calls_started, 1);
        assert_eq!(answer.minutes[2].webhooks, 0);
        assert_eq!(answer.totals.webhooks, 1);
        assert_eq!(answer.totals.minute, None);
        let json = serde_json::to_value(&answer).unwrap();
        assert!(json["totals"].get("minute").is_none());
        assert_eq!(
            json["minutes"][0]["reaction_ms"]["p50"],
            serde_json::Value::Null
        );
    }

    #[test]
    fn contributions_keep_their_stored_form() {
        let mut c = contribution(5, &["call.dtmf.received"], Live::default());
        c.minute(5).reaction_ms.insert(41, 2);
        let text = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<Contribution>(&text).unwrap(), c);
    }
}
