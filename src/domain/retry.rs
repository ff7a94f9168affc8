//! When to retry a Call Control request and how long to wait: capped exponential backoff
//! with jitter, `Retry-After` honoured, all inside a total budget that fits the Workers
//! `waitUntil` window (30 s after the response).

use std::time::UNIX_EPOCH;

use sha2::{Digest, Sha256};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base_delay_ms: u64,
    pub max_delay_ms: u64,
    /// One attempt is abandoned after this long.
    pub attempt_timeout_ms: u64,
    /// No attempt starts, and no wait is planned, past this much time from the first.
    pub budget_ms: u64,
}

impl RetryPolicy {
    /// 5 attempts, 250 ms doubling to at most 4 s, 8 s per attempt, 25 s in all.
    pub const DEFAULT: RetryPolicy = RetryPolicy {
        max_attempts: 5,
        base_delay_ms: 250,
        max_delay_ms: 4_000,
        attempt_timeout_ms: 8_000,
        budget_ms: 25_000,
    };

    /// The wait before attempt `attempt + 1` (attempts count from 1), or `None` when no
    /// further attempt fits: attempts used up, or the wait plus a whole attempt would
    /// overrun the budget. `retry_after_ms` (from the response) replaces the backoff
    /// when it is longer. `elapsed_ms` is the time since the first attempt started.
    pub fn next_delay(
        &self,
        attempt: u32,
        elapsed_ms: u64,
        retry_after_ms: Option<u64>,
        jitter_seed: &str,
    ) -> Option<u64> {
        if attempt >= self.max_attempts {
            return None;
        }
        let exponential = self
            .base_delay_ms
            .saturating_mul(1u64 << attempt.saturating_sub(1).min(20))
            .min(self.max_delay_ms);
        // Equal jitter: half fixed, half spread, so retries of many commands do not align.
        let half = exponential / 2;
        let backoff = half + jitter(jitter_seed, attempt) % (half + 1);
        let delay = retry_after_ms.map_or(backoff, |after| after.max(backoff));
        let finishes_at = elapsed_ms
            .saturating_add(delay)
            .saturating_add(self.attempt_timeout_ms);
        (finishes_at <= self.budget_ms).then_some(delay)
    }
}

/// `429`, `5xx` and (handled by the caller) network errors are worth another attempt.
pub fn is_retryable_status(status: u16) -> bool {
    status == 429 || (500..=599).contains(&status)
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
    // An HTTP-date (RFC 9110: IMF-fixdate, or the two obsolete forms). Converting a
    // parsed SystemTime is safe on wasm32; only SystemTime::now() is not.
    let date = httpdate::parse_http_date(value).ok()?;
    let millis = match date.duration_since(UNIX_EPOCH) {
        Ok(since) => i64::try_from(since.as_millis()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_millis()).unwrap_or(i64::MAX),
    };
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

    const POLICY: RetryPolicy = RetryPolicy::DEFAULT;

    #[test]
    fn backoff_doubles_within_jitter_and_is_capped() {
        for attempt in 1..POLICY.max_attempts {
            let full = (250u64 << (attempt - 1)).min(4_000);
            let delay = POLICY.next_delay(attempt, 0, None, "cmd").unwrap();
            assert!(
                (full / 2..=full).contains(&delay),
                "attempt {attempt}: {delay}"
            );
        }
        let capped = RetryPolicy {
            max_attempts: 50,
            budget_ms: u64::MAX,
            ..POLICY
        };
        assert!(capped.next_delay(30, 0, None, "cmd").unwrap() <= 4_000);
    }

    #[test]
    fn jitter_is_deterministic_per_command_and_differs_between_commands() {
        let a = POLICY.next_delay(3, 0, None, "a");
        assert_eq!(a, POLICY.next_delay(3, 0, None, "a"));
        let spread: std::collections::HashSet<_> = (0..20)
            .map(|n| POLICY.next_delay(3, 0, None, &format!("cmd-{n}")))
            .collect();
        assert!(spread.len() > 5);
    }

    #[test]
    fn retry_after_wins_when_longer_than_the_backoff() {
        assert_eq!(POLICY.next_delay(1, 0, Some(3_000), "c"), Some(3_000));
        let short = POLICY.next_delay(1, 0, Some(1), "c").unwrap();
        assert!(short >= 125);
    }

    #[test]
    fn stops_after_the_last_attempt_or_when_the_budget_would_overrun() {
        assert_eq!(POLICY.next_delay(POLICY.max_attempts, 0, None, "c"), None);
        assert_eq!(POLICY.next_delay(1, 0, Some(60_000), "c"), None);
        assert_eq!(POLICY.next_delay(1, 17_000, None, "c"), None);
        assert!(POLICY.next_delay(1, 16_000, None, "c").is_some());
    }

    #[test]
    fn worst_case_total_fits_the_wait_until_window() {
        // Every attempt times out and every wait is as long as allowed.
        let mut elapsed = 0;
        let mut attempt = 1;
        loop {
            elapsed += POLICY.attempt_timeout_ms;
            match POLICY.next_delay(attempt, elapsed, Some(u64::MAX / 4), "c") {
                Some(delay) => elapsed += delay,
                None => break,
            }
            attempt += 1;
        }
        assert!(elapsed <= POLICY.budget_ms && POLICY.budget_ms < 30_000);
    }

    #[test]
    fn retryable_statuses() {
        for status in [429, 500, 502, 503, 599] {
            assert!(is_retryable_status(status));
        }
        for status in [200, 400, 401, 403, 404, 409, 422] {
            assert!(!is_retryable_status(status));
        }
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
