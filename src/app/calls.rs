//! `GET /calls`: the calls newest first, read from the KV call index alone (see
//! [`super::archive`] for who writes each entry when). The list may lag the calls by a
//! second or two locally and by KV's propagation (up to a minute) across locations; a
//! call's own `GET /calls/{id}` never lags.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::archive::INDEX_PREFIX;
use super::App;
use crate::domain::call_status::CallStatus;
use crate::domain::problem::Problem;
use crate::ports::http::{Request, Response};
use crate::ports::{KvStore, LogLine, Logger, Ports};

pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 100;
/// A cursor is KV's, passed through; anything longer or with other characters is not.
const MAX_CURSOR_BYTES: usize = 1024;
/// How many KV list pages one request reads while a filter skips calls; then it
/// answers with what it found and a cursor to go on from.
const MAX_LIST_ROUNDS: usize = 10;

/// A hung-up call's status, as the state JSON writes it.
const HUNG_UP: &str = "hangup";

/// Which calls a list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusFilter {
    All,
    /// Not hung up.
    Live,
    Ended,
}

impl StatusFilter {
    /// Whether a call whose index entry says `status` is shown (`None`: no status).
    fn admits(self, status: Option<&str>) -> bool {
        let hung_up = Some(HUNG_UP);
        match self {
            Self::All => true,
            Self::Live => status.is_some() && status != hung_up,
            Self::Ended => status == hung_up,
        }
    }
}

/// A valid `GET /calls` query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListQuery {
    pub status: StatusFilter,
    pub limit: usize,
    pub cursor: Option<String>,
}

/// Reads the query; a value out of range or repeated is a `422` at its pointer. Other
/// parameters are ignored, as HTTP APIs do (a cache buster breaks nothing).
pub fn parse_query(query: &str) -> Result<ListQuery, Problem> {
    let invalid =
        |name: &str, detail: String| Problem::invalid_parameter(format!("/{name}"), detail);
    let mut status = None;
    let mut limit = None;
    let mut cursor = None;
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        let slot = match &*name {
            "status" => &mut status,
            "limit" => &mut limit,
            "cursor" => &mut cursor,
            _ => continue,
        };
        if slot.replace(value.into_owned()).is_some() {
            return Err(invalid(&name, format!("{name} is given more than once")));
        }
    }
    let status = match status.as_deref() {
        None => StatusFilter::All,
        Some("live") => StatusFilter::Live,
        Some("ended") => StatusFilter::Ended,
        Some(_) => return Err(invalid("status", "status must be live or ended".into())),
    };
    let limit = match limit {
        None => DEFAULT_LIMIT,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                invalid(
                    "limit",
                    format!("limit must be a whole number from 1 to {MAX_LIMIT}"),
                )
            })?,
    };
    let cursor = match cursor {
        None => None,
        Some(cursor) if is_cursor(&cursor) => Some(cursor),
        Some(_) => {
            return Err(invalid(
                "cursor",
                "not a cursor: pass meta.cursor of the previous page as it is".into(),
            ))
        }
    };
    Ok(ListQuery {
        status,
        limit,
        cursor,
    })
}

fn is_cursor(text: &str) -> bool {
    !text.is_empty() && text.len() <= MAX_CURSOR_BYTES && text.bytes().all(|b| b.is_ascii_graphic())
}

/// A row of the list: an index entry as it was written ([`IndexEntry`]). Entries
/// written before the index kept statuses have none, and show only in the unfiltered
/// list until they expire.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct ListedCall {
    call_control_id: String,
    from: Option<String>,
    to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<CallStatus>,
    started_at: String,
    #[serde(default)]
    updated_at: Option<String>,
}

/// An index entry's metadata as a row of the list, if the filter shows it; metadata
/// that is not an entry (none, or of another shape) shows nothing.
fn row(metadata: Option<&Value>, filter: StatusFilter) -> Option<ListedCall> {
    let entry = ListedCall::deserialize(metadata?).ok()?;
    filter
        .admits(entry.status.map(CallStatus::as_str))
        .then_some(entry)
}

/// The answer of `GET /calls`.
#[derive(Serialize)]
struct CallList {
    data: Vec<ListedCall>,
    meta: ListMeta,
}

#[derive(Serialize)]
struct ListMeta {
    cursor: Option<String>,
}

impl<P: Ports> App<'_, P> {
    pub(super) async fn list_calls(&self, request: &Request) -> Response {
        let query = match parse_query(&request.query) {
            Ok(query) => query,
            Err(problem) => return problem.into(),
        };
        let mut data: Vec<ListedCall> = Vec::new();
        let mut cursor = query.cursor.clone();
        // Each page asks for no more keys than are still wanted, so KV's cursor after
        // it is exactly where the next request goes on.
        for round in 0..MAX_LIST_ROUNDS {
            let page = match self
                .kv
                .list(INDEX_PREFIX, query.limit - data.len(), cursor.take())
                .await
            {
                Ok(page) => page,
                Err(error) => {
                    let callers_cursor = round == 0 && query.cursor.is_some();
                    return self.list_failed(callers_cursor, &error.0);
                }
            };
            data.extend(
                page.keys
                    .iter()
                    .filter_map(|key| row(key.metadata.as_ref(), query.status)),
            );
            cursor = page.cursor;
            if cursor.is_none() || data.len() >= query.limit {
                break;
            }
        }
        let list = CallList {
            data,
            meta: ListMeta { cursor },
        };
        Response::json(200, serde_json::to_string(&list).unwrap_or_default())
    }

    /// A list KV refused. When the first list of a request carried the caller's cursor,
    /// the cursor is taken to be what KV refused (KV says no more than that it failed);
    /// otherwise KV failed.
    fn list_failed(&self, callers_cursor: bool, error: &str) -> Response {
        if callers_cursor {
            return Problem::invalid_parameter(
                "/cursor",
                format!("the call index did not take this cursor: {error}"),
            )
            .into();
        }
        self.log.log(LogLine {
            level: "error",
            msg: "kv",
            outcome: Some("storage_error"),
            detail: Some(format!("call index not listed: {error}")),
            ..LogLine::default()
        });
        Problem::new(
            503,
            "storage_unavailable",
            "the call index could not be read; retry later",
        )
        .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pointer(query: &str) -> String {
        let problem = parse_query(query).unwrap_err();
        assert_eq!(problem.status, 422, "{query}");
        problem.pointer.unwrap_or_default()
    }

    #[test]
    fn defaults_and_valid_values() {
        assert_eq!(
            parse_query("").unwrap(),
            ListQuery {
                status: StatusFilter::All,
                limit: DEFAULT_LIMIT,
                cursor: None
            }
        );
        let query = parse_query("status=ended&limit=100&cursor=abc%3D%3D").unwrap();
        assert_eq!(query.status, StatusFilter::Ended);
        assert_eq!(query.limit, 100);
        assert_eq!(query.cursor.as_deref(), Some("abc=="));
        assert_eq!(parse_query("limit=1").unwrap().limit, 1);
        assert_eq!(
            parse_query("status=live").unwrap().status,
            StatusFilter::Live
        );
    }

    #[test]
    fn bad_values_point_at_their_parameter() {
        assert_eq!(pointer("status=hangup"), "/status");
        assert_eq!(pointer("status="), "/status");
        assert_eq!(pointer("status=live&status=ended"), "/status");
        for limit in [
            "0",
            "101",
            "-1",
            "ten",
            "1.5",
            "",
            "99999999999999999999999",
        ] {
            assert_eq!(pointer(&format!("limit={limit}")), "/limit", "{limit}");
        }
        assert_eq!(pointer("cursor="), "/cursor");
        assert_eq!(pointer("cursor=a%20b"), "/cursor");
        assert_eq!(pointer(&format!("cursor={}", "a".repeat(1025))), "/cursor");
        assert_eq!(
            parse_query("state=ended&_=1").unwrap().status,
            StatusFilter::All
        );
    }

    #[test]
    fn filters_say_which_statuses_they_admit() {
        for status in ["initiated", "answered", "bridged"] {
            assert!(StatusFilter::Live.admits(Some(status)));
            assert!(!StatusFilter::Ended.admits(Some(status)));
        }
        assert!(StatusFilter::Ended.admits(Some("hangup")));
        assert!(!StatusFilter::Live.admits(Some("hangup")));
        assert!(StatusFilter::All.admits(None));
        assert!(!StatusFilter::Live.admits(None) && !StatusFilter::Ended.admits(None));
    }

    #[test]
    fn rows_are_index_entries_the_filter_admits() {
        let entry = serde_json::json!({"call_control_id": "v3:a", "from": null, "to": null,
            "status": "hangup", "started_at": "2025-09-15T14:02:11.104Z", "updated_at": null});
        let read = row(Some(&entry), StatusFilter::Ended).unwrap();
        assert_eq!(serde_json::to_value(&read).unwrap(), entry);
        assert_eq!(row(Some(&entry), StatusFilter::Live), None);
        // Written before the index kept statuses: listed unfiltered only.
        let older = serde_json::json!({"call_control_id": "v3:b", "from": "+1", "to": "+2",
            "started_at": "2025-09-15T14:02:11.104Z"});
        let listed = serde_json::to_value(row(Some(&older), StatusFilter::All).unwrap());
        assert_eq!(listed.unwrap()["status"], serde_json::Value::Null);
        assert_eq!(row(Some(&older), StatusFilter::Live), None);
        assert_eq!(row(Some(&older), StatusFilter::Ended), None);
        assert_eq!(row(Some(&serde_json::json!([1])), StatusFilter::All), None);
        assert_eq!(
            row(
                Some(&serde_json::json!({"status": "hangup"})),
                StatusFilter::All
            ),
            None
        );
        assert_eq!(row(None, StatusFilter::All), None);
    }
}
