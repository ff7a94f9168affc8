//! `GET /stats?minutes=N`: the dashboard's figures, exact. Every stats object holds the
//! totals of the objects that report to it ([`super::object`]'s `tally`), so a read
//! costs [`STATS_SHARDS`] object requests whatever the traffic, each reading at most
//! `N` minute rows, one row of live figures and the reports not yet folded in.

use futures_util::future::join_all;

use super::App;
use crate::app::object::{stats_object, stats_read_request, STATS_SHARDS};
use crate::domain::problem::Problem;
use crate::domain::stats::{minute_of, Contribution, StatsAnswer, MAX_MINUTES};
use crate::ports::http::{Request, Response};
use crate::ports::{CallObjects, Clock, LogLine, Logger, Ports};

/// The window when the query names none.
pub const DEFAULT_MINUTES: i64 = 60;

/// `minutes` from the query: 1 to [`MAX_MINUTES`]; anything else, or a repeat, is a
/// `422` at `/minutes`.
pub fn parse_minutes(query: &str) -> Result<i64, Problem> {
    let invalid = || {
        Problem::invalid_parameter(
            "/minutes",
            format!("minutes must be a whole number from 1 to {MAX_MINUTES}"),
        )
    };
    let mut given = form_urlencoded::parse(query.as_bytes())
        .filter(|(name, _)| name == "minutes")
        .map(|(_, value)| value.into_owned());
    let minutes = match (given.next(), given.next()) {
        (None, _) => return Ok(DEFAULT_MINUTES),
        (Some(_), Some(_)) => return Err(invalid()),
        (Some(text), None) => text.parse::<i64>().map_err(|_| invalid())?,
    };
    if (1..=MAX_MINUTES).contains(&minutes) {
        Ok(minutes)
    } else {
        Err(invalid())
    }
}

impl<P: Ports> App<'_, P> {
    pub(super) async fn stats(&self, request: &Request) -> Response {
        let minutes = match parse_minutes(&request.query) {
            Ok(minutes) => minutes,
            Err(problem) => return problem.into(),
        };
        let now = self.clock.now_millis();
        let last = minute_of(now);
        let first = last - minutes + 1;
        let reads = (0..STATS_SHARDS).map(|shard| async move {
            let name = stats_object(shard);
            let answer = self
                .objects
                .request(&name, stats_read_request(first, last))
                .await;
            match answer {
                Ok(response) if response.status == 200 => {
                    serde_json::from_str::<Contribution>(&response.body)
                        .map_err(|error| format!("{name}: unreadable share: {error}"))
                }
                Ok(response) => Err(format!("{name} answered {}", response.status)),
                Err(error) => Err(format!("{name}: {error}")),
            }
        });
        let mut sum = Contribution::default();
        for share in join_all(reads).await {
            match share {
                Ok(share) => sum.add(&share, 1),
                Err(detail) => {
                    self.log.log(LogLine {
                        level: "error",
                        msg: "stats",
                        outcome: Some("storage_error"),
                        detail: Some(detail),
                        ..LogLine::default()
                    });
                    return Problem::new(
                        503,
                        "storage_unavailable",
                        "the figures could not be read; retry later",
                    )
                    .into();
                }
            }
        }
        let answer = StatsAnswer::of(&sum, last, minutes, now);
        Response::json(200, serde_json::to_string(&answer).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_are_one_to_a_day() {
        assert_eq!(parse_minutes(""), Ok(DEFAULT_MINUTES));
        assert_eq!(parse_minutes("minutes=1"), Ok(1));
        assert_eq!(parse_minutes("minutes=1440&x=1"), Ok(1440));
        for bad in ["0", "1441", "-1", "ten", "1.5", "", "99999999999999999999"] {
            let problem = parse_minutes(&format!("minutes={bad}")).unwrap_err();
            assert_eq!(
                (problem.status, problem.pointer.as_deref()),
                (422, Some("/minutes")),
                "{bad}"
            );
        }
        assert!(parse_minutes("minutes=5&minutes=6").is_err());
    }
}
