//! When a Call Control command is sent again, and when it stops, by what the last
//! attempt tells about whether Telnyx ran it:
//!
//! - `2xx`: done.
//! - `429`, or a connection that never reached Telnyx: nothing ran, so the command is
//!   sent again with backoff (`Retry-After` honoured) until the schedule's deadline.
//! - `5xx`, a timeout, or a connection lost mid-request: the command may have run.
//!   Telnyx ignores a repeated `command_id` for 60 s only, so it is sent again, with
//!   the same `command_id`, only while the resend starts within [`RESEND_WINDOW_MS`]
//!   of the first attempt; a command without a `command_id` is never sent again. Then
//!   the outcome is unknown, and it is recorded so.
//! - any other `4xx` (`422` "call has already ended", `404`, …): final at once.

use sha2::{Digest, Sha256};

use super::time::Instant;

/// One attempt is abandoned after this long.
pub const ATTEMPT_TIMEOUT_MS: u64 = 8_000;

/// The latest start of a resend whose predecessor may have run, after the first
/// attempt: Telnyx ignores a repeated `command_id` for 60 s, and the other 10 s cover
/// transit and clock differences.
pub const RESEND_WINDOW_MS: u64 = 50_000;

/// Backoff and the deadline for commands that certainly did not run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Schedule {
    pub base_delay_ms: u64,
    pub max_delay_ms: u64,
    /// No attempt starts later than this after the first.
    pub deadline_ms: u64,
    /// Whether a further attempt must also be able to time out before the deadline (a
    /// caller is waiting for the answer).
    pub caller_waits: bool,
}

impl Schedule {
    /// The call object's outbox, driven by its alarm: 1 s doubling to 30 s, for at
    /// most 5 minutes.
    pub const OUTBOX: Schedule = Schedule {
        base_delay_ms: 1_000,
        max_delay_ms: 30_000,
        deadline_ms: 300_000,
        caller_waits: false,
    };

    /// An operator's request, answered when the command is final: 250 ms doubling to
    /// 4 s, all within 25 s.
    pub const OPERATOR: Schedule = Schedule {
        base_delay_ms: 250,
        max_delay_ms: 4_000,
        deadline_ms: 25_000,
        caller_waits: true,
    };

    /// The backoff before attempt `attempt + 1` (attempts count from 1): doubling,
    /// capped, with equal jitter (half fixed, half spread by `jitter_seed`).
    pub fn backoff(&self, attempt: u32, jitter_seed: &str) -> u64 {
        let full = self
            .base_delay_ms
            .saturating_mul(1u64 << attempt.saturating_sub(1).min(20))
            .min(self.max_delay_ms);
        let half = full / 2;
        half + jitter(jitter_seed, attempt) % (half + 1)
    }
}

/// What one attempt tells about the command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attempted {
    /// Telnyx answered with this status.
    Answered {
        status: u16,
        retry_after_ms: Option<u64>,
    },
    /// No answer within [`ATTEMPT_TIMEOUT_MS`]; it may have run.
    TimedOut,
    /// The connection failed before the request was sent; it did not run.
    Unreached,
    /// The connection failed while the request was out; it may have run.
    Lost,
}

/// Why a command ended without succeeding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// Telnyx refused it (a `4xx` other than `429`); sending it again cannot help.
    Refused,
    /// It did not run, and the deadline for sending it again has passed.
    GaveUp,
    /// It may have run; sending it again could run it twice.
    OutcomeUnknown { has_command_id: bool },
}

impl Failure {
    /// The words the call's `actions[].error` ends with.
    pub fn explain(self, attempts: u32) -> String {
        match self {
            Failure::Refused => String::new(),
            Failure::GaveUp => format!(" (gave up after {attempts} attempts)"),
            Failure::OutcomeUnknown {
                has_command_id: true,
            } => format!(
                " (outcome unknown after {attempts} attempts: Telnyx may have run it; \
                 not sent again, as Telnyx ignores a repeated command_id for 60 s only)"
            ),
            Failure::OutcomeUnknown {
                has_command_id: false,
            } => " (outcome unknown: Telnyx may have run it; not sent again, as this \
                   action takes no command_id)"
                .to_owned(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Succeeded,
    /// Send it again after this many milliseconds.
    RetryIn(u64),
    Failed(Failure),
}

/// Where a command stands after an attempt.
#[derive(Clone, Copy, Debug)]
pub struct Progress<'a> {
    /// Attempts made so far, this one included.
    pub attempts: u32,
    /// Whether an earlier attempt may have run: then Telnyx's `command_id` window
    /// binds every later resend too, whatever the latest answer says.
    pub ran_maybe_before: bool,
    /// Since the first attempt started.
    pub elapsed_ms: u64,
    pub has_command_id: bool,
    /// Spreads the retries of different commands apart.
    pub jitter_seed: &'a str,
}

/// Whether an attempt's outcome says Telnyx may have run the command.
pub fn may_have_run(attempted: Attempted) -> bool {
    match attempted {
        Attempted::Answered { status, .. } => (500..=599).contains(&status),
        Attempted::TimedOut | Attempted::Lost => true,
        Attempted::Unreached => false,
    }
}

/// The verdict on a command after its latest attempt.
pub fn decide(schedule: &Schedule, attempted: Attempted, progress: Progress<'_>) -> Verdict {
    let (ran_maybe, retry_after) = match attempted {
        Attempted::Answered { status, .. } if (200..300).contains(&status) => {
            return Verdict::Succeeded
        }
        Attempted::Answered {
            status: 429,
            retry_after_ms,
        } => (false, retry_after_ms),
        Attempted::Answered {
            status: 500..=599,
            retry_after_ms,
        } => (true, retry_after_ms),
        Attempted::Answered { .. } => return Verdict::Failed(Failure::Refused),
        Attempted::Unreached => (false, None),
        Attempted::TimedOut | Attempted::Lost => (true, None),
    };
    let ran_maybe = ran_maybe || progress.ran_maybe_before;
    let failure = if ran_maybe {
        Failure::OutcomeUnknown {
            has_command_id: progress.has_command_id,
        }
    } else {
        Failure::GaveUp
    };
    if ran_maybe && !progress.has_command_id {
        return Verdict::Failed(failure);
    }
    let backoff = schedule.backoff(progress.attempts, progress.jitter_seed);
    let delay = retry_after.map_or(backoff, |after| after.max(backoff));
    let starts_at = progress.elapsed_ms.saturating_add(delay);
    let finishes_at = if schedule.caller_waits {
        starts_at.saturating_add(ATTEMPT_TIMEOUT_MS)
    } else {
        starts_at
    };
    let within_window = !ran_maybe || starts_at <= RESEND_WINDOW_MS;
    if within_window && finishes_at <= schedule.deadline_ms {
        Verdict::RetryIn(delay)
    } else {
        Verdict::Failed(failure)
    }
}

/// `Retry-After` as delta-seconds or an HTTP date, in milliseconds from `now_ms`.
pub fn parse_retry_after(value: &str, now_ms: i64) -> Option<u64> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return value
            .parse::<u64>()
            .ok()
            .map(|secs| secs.saturating_mul(1000));
    }
    // An HTTP-date (RFC 9110: IMF-fixdate, or the two obsolete forms).
    let millis = Instant::parse_http_date(value)?.unix_millis();
    Some(millis.saturating_sub(now_ms).max(0) as u64)
}

/// Deterministic per command and attempt: reproducible in tests, spread across commands.
fn jitter(seed: &str, attempt: u32) -> u64 {
    let digest = Sha256::new()
        .chain_update(seed.as_bytes())
        .chain_update(attempt.to_be_bytes())
        .finalize();
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTBOX: Schedule = Schedule::OUTBOX;

    fn answered(status: u16) -> Attempted {
        Attempted::Answered {
            status,
            retry_after_ms: None,
        }
    }

    fn progress(attempts: u32, elapsed_ms: u64) -> Progress<'static> {
        Progress {
            attempts,
            ran_maybe_before: false,
            elapsed_ms,
            has_command_id: true,
            jitter_seed: "cmd",
        }
    }

    #[test]
    fn backoff_doubles_within_jitter_and_is_capped() {
        for attempt in 1..8 {
            let full = (1_000u64 << (attempt - 1)).min(30_000);
            let delay = OUTBOX.backoff(attempt, "cmd");
            assert!(
                (full / 2..=full).contains(&delay),
                "attempt {attempt}: {delay}"
            );
        }
        assert!(OUTBOX.backoff(60, "cmd") <= 30_000);
    }

    #[test]
    fn jitter_is_deterministic_per_command_and_differs_between_commands() {
        assert_eq!(OUTBOX.backoff(3, "a"), OUTBOX.backoff(3, "a"));
        let spread: std::collections::HashSet<_> = (0..20)
            .map(|n| OUTBOX.backoff(3, &format!("cmd-{n}")))
            .collect();
        assert!(spread.len() > 5);
    }

    #[test]
    fn success_and_refusals_are_final_at_once() {
        assert_eq!(
            decide(&OUTBOX, answered(200), progress(1, 0)),
            Verdict::Succeeded
        );
        assert_eq!(
            decide(&OUTBOX, answered(204), progress(3, 40_000)),
            Verdict::Succeeded
        );
        for status in [400, 401, 403, 404, 408, 409, 422] {
            assert_eq!(
                decide(&OUTBOX, answered(status), progress(1, 0)),
                Verdict::Failed(Failure::Refused),
                "{status}"
            );
        }
    }

    #[test]
    fn what_did_not_run_is_retried_until_the_deadline_honouring_retry_after() {
        let limited = Attempted::Answered {
            status: 429,
            retry_after_ms: Some(20_000),
        };
        assert_eq!(
            decide(&OUTBOX, limited, progress(1, 0)),
            Verdict::RetryIn(20_000)
        );
        // Past the resend window, a command that never ran is still safe to send.
        assert!(matches!(
            decide(&OUTBOX, Attempted::Unreached, progress(9, 200_000)),
            Verdict::RetryIn(_)
        ));
        let no_id = Progress {
            has_command_id: false,
            ..progress(2, 100_000)
        };
        assert!(matches!(
            decide(&OUTBOX, answered(429), no_id),
            Verdict::RetryIn(_)
        ));
        assert_eq!(
            decide(&OUTBOX, limited, progress(4, 290_000)),
            Verdict::Failed(Failure::GaveUp)
        );
    }

    #[test]
    fn what_may_have_run_is_resent_only_inside_the_command_id_window() {
        for maybe in [
            answered(500),
            answered(503),
            Attempted::TimedOut,
            Attempted::Lost,
        ] {
            assert!(
                matches!(
                    decide(&OUTBOX, maybe, progress(1, 0)),
                    Verdict::RetryIn(d) if d <= 1_000
                ),
                "{maybe:?}"
            );
            assert_eq!(
                decide(&OUTBOX, maybe, progress(6, 49_900)),
                Verdict::Failed(Failure::OutcomeUnknown {
                    has_command_id: true
                }),
                "{maybe:?}: the resend would start after 50 s"
            );
            let no_id = Progress {
                has_command_id: false,
                ..progress(1, 0)
            };
            assert_eq!(
                decide(&OUTBOX, maybe, no_id),
                Verdict::Failed(Failure::OutcomeUnknown {
                    has_command_id: false
                }),
                "{maybe:?}: never resent without a command_id"
            );
        }
        // A Retry-After that reaches past the window ends it too.
        let late = Attempted::Answered {
            status: 503,
            retry_after_ms: Some(60_000),
        };
        assert_eq!(
            decide(&OUTBOX, late, progress(1, 0)),
            Verdict::Failed(Failure::OutcomeUnknown {
                has_command_id: true
            })
        );
    }

    #[test]
    fn once_an_attempt_may_have_run_the_window_binds_every_later_resend() {
        let limited = Attempted::Answered {
            status: 429,
            retry_after_ms: Some(70_000),
        };
        let after_a_500 = Progress {
            ran_maybe_before: true,
            ..progress(2, 1_000)
        };
        assert_eq!(
            decide(&OUTBOX, limited, after_a_500),
            Verdict::Failed(Failure::OutcomeUnknown {
                has_command_id: true
            })
        );
        assert!(matches!(
            decide(&OUTBOX, answered(429), after_a_500),
            Verdict::RetryIn(_)
        ));
        assert!(matches!(
            decide(&OUTBOX, limited, progress(2, 1_000)),
            Verdict::RetryIn(70_000)
        ));
        assert!(may_have_run(answered(502)) && may_have_run(Attempted::Lost));
        assert!(!may_have_run(answered(429)) && !may_have_run(Attempted::Unreached));
    }

    #[test]
    fn every_resend_of_a_command_that_may_have_run_starts_within_the_window() {
        // Each attempt times out; the last resend still starts inside 50 s.
        let mut elapsed = 0;
        let mut attempts = 0;
        loop {
            attempts += 1;
            elapsed += ATTEMPT_TIMEOUT_MS;
            match decide(&OUTBOX, Attempted::TimedOut, progress(attempts, elapsed)) {
                Verdict::RetryIn(delay) => {
                    elapsed += delay;
                    assert!(elapsed <= RESEND_WINDOW_MS, "resend at {elapsed} ms");
                }
                verdict => {
                    assert!(matches!(verdict, Verdict::Failed(_)));
                    break;
                }
            }
        }
        assert!(attempts >= 3, "only {attempts} attempts");
    }

    #[test]
    fn an_operator_waits_at_most_the_operator_budget() {
        let schedule = Schedule::OPERATOR;
        let mut elapsed = 0;
        let mut attempts = 0;
        loop {
            attempts += 1;
            elapsed += ATTEMPT_TIMEOUT_MS;
            match decide(&schedule, answered(429), progress(attempts, elapsed)) {
                Verdict::RetryIn(delay) => elapsed += delay,
                _ => break,
            }
        }
        assert!(elapsed <= schedule.deadline_ms, "{elapsed}");
        assert!(attempts >= 2);
    }

    #[test]
    fn failures_explain_themselves() {
        assert_eq!(Failure::Refused.explain(1), "");
        assert!(Failure::GaveUp.explain(7).contains("7 attempts"));
        let unknown = Failure::OutcomeUnknown {
            has_command_id: true,
        }
        .explain(4);
        assert!(unknown.contains("outcome unknown") && unknown.contains("60 s"));
        assert!(Failure::OutcomeUnknown {
            has_command_id: false
        }
        .explain(1)
        .contains("no command_id"));
    }

    #[test]
    fn retry_after_accepts_seconds_and_http_dates() {
        assert_eq!(parse_retry_after("2", 0), Some(2_000));
        assert_eq!(parse_retry_after(" 0 ", 0), Some(0));
        let now = 784_111_777_000; // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now),
            Some(10_000)
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:27 GMT", now),
            Some(0)
        );
        for bad in ["", "-1", "1.5", "soon", "99999999999999999999999"] {
            assert_eq!(parse_retry_after(bad, now), None, "{bad:?}");
        }
    }
}
