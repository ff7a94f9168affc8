//! `GET /calls` over in-memory ports: newest first, the live and ended filters, limits
//! and cursors that neither skip nor repeat a call, and the refusals of bad queries.
//! The list reads the KV index alone, which each call's object keeps at its status.

mod support;

use std::collections::BTreeSet;

use serde_json::Value;

use support::deliveries::{self, occurred_at, Delivery};
use support::harness::*;
use telnyx_edge::app::object::GATHER_MS;

fn call_id(n: usize) -> String {
    format!("v3:list-{n}")
}

/// Delivers one of call `n`'s events, then runs the alarms it left due.
fn deliver(h: &Harness, n: usize, event_type: &str, second: u32) {
    let call = call_id(n);
    let id = format!("{call}-{event_type}");
    let body = deliveries::body(&Delivery {
        event_type,
        event_id: &id,
        call_control_id: &call,
        occurred_at: &occurred_at(second),
    });
    assert_eq!(h.deliver(&body).status, 200);
}

/// Starts calls 0..count, a second apart (call `count - 1` is the newest), and hangs
/// up those `ended` names; returns once the newest is in the list too.
fn calls(count: usize, ended: impl Fn(usize) -> bool) -> Harness {
    let h = Harness::new();
    for n in 0..count {
        deliver(&h, n, "call.initiated", 1);
        if ended(n) {
            deliver(&h, n, "call.hangup", 2);
        }
        h.advance(1_000);
    }
    h.advance(GATHER_MS as u64);
    h
}

fn list(h: &Harness, query: &str) -> Value {
    let response = h.get(&format!("/calls{query}"), Some(&bearer()));
    assert_eq!(response.status, 200, "{query}: {}", response.body);
    assert_eq!(response.header("content-type"), Some("application/json"));
    json_of(&response)
}

fn ids(page: &Value) -> Vec<String> {
    page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["call_control_id"].as_str().unwrap().to_owned())
        .collect()
}

/// A cursor as a query value.
fn encoded(cursor: &str) -> String {
    form_urlencoded::byte_serialize(cursor.as_bytes()).collect()
}

/// Every call a query lists, page by page, and how many pages it took.
fn every_page(h: &Harness, query: &str) -> (Vec<String>, usize) {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    for pages in 1..100 {
        let page = match &cursor {
            None => list(h, query),
            Some(cursor) => list(h, &format!("{query}&cursor={}", encoded(cursor))),
        };
        all.extend(ids(&page));
        match page["meta"]["cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return (all, pages),
        }
    }
    panic!("{query}: the cursor never ended");
}

#[test]
fn calls_are_listed_newest_first_with_their_parties_and_status() {
    let h = calls(3, |n| n == 0);
    let page = list(&h, "");
    assert_eq!(ids(&page), [call_id(2), call_id(1), call_id(0)]);
    assert_eq!(page["meta"]["cursor"], Value::Null);
    let newest = &page["data"][0];
    let fields: BTreeSet<&str> = newest
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.as_str())
        .collect();
    assert_eq!(
        fields,
        BTreeSet::from([
            "call_control_id",
            "from",
            "to",
            "status",
            "started_at",
            "updated_at"
        ])
    );
    assert_eq!(newest["from"], "+13125550100");
    assert_eq!(newest["to"], "+13125550199");
    assert_eq!(newest["status"], "initiated");
    assert_eq!(page["data"][2]["status"], "hangup");
    // started_at is when the call's first event was accepted, to the millisecond.
    assert_eq!(newest["started_at"], "2025-09-15T14:02:13.000Z");
}

#[test]
fn a_change_of_status_reaches_the_list() {
    let h = calls(1, |_| false);
    assert_eq!(list(&h, "")["data"][0]["status"], "initiated");
    deliver(&h, 0, "call.answered", 3);
    h.advance(1_000);
    assert_eq!(list(&h, "")["data"][0]["status"], "answered");
    deliver(&h, 0, "call.hangup", 4);
    h.advance(1_000);
    assert_eq!(list(&h, "")["data"][0]["status"], "hangup");
    assert_eq!(ids(&list(&h, "?status=ended")), [call_id(0)]);
    assert!(ids(&list(&h, "?status=live")).is_empty());
}

#[test]
fn live_and_ended_filter_on_hangup() {
    let h = calls(6, |n| n % 2 == 0);
    assert_eq!(
        ids(&list(&h, "?status=live")),
        [call_id(5), call_id(3), call_id(1)]
    );
    assert_eq!(
        ids(&list(&h, "?status=ended")),
        [call_id(4), call_id(2), call_id(0)]
    );
    assert_eq!(ids(&list(&h, "")).len(), 6);
}

#[test]
fn limit_and_cursor_page_through_every_call_once() {
    let h = calls(7, |_| false);
    assert_eq!(ids(&list(&h, "")).len(), 7);
    let first = list(&h, "?limit=3");
    assert_eq!(ids(&first), [call_id(6), call_id(5), call_id(4)]);
    assert!(first["meta"]["cursor"].is_string());
    let (all, pages) = every_page(&h, "?limit=3");
    assert_eq!(pages, 3);
    let expected: Vec<String> = (0..7).rev().map(call_id).collect();
    assert_eq!(all, expected, "newest first, none skipped or repeated");
}

#[test]
fn a_filtered_list_pages_exactly_when_kv_returns_small_pages() {
    let h = calls(9, |n| n % 3 == 0);
    // KV may return fewer keys than asked for; the list reads on until it has enough.
    h.kv.set_list_page_size(2);
    let (ended, _) = every_page(&h, "?status=ended&limit=2");
    assert_eq!(ended, [call_id(6), call_id(3), call_id(0)]);
    let (live, _) = every_page(&h, "?status=live&limit=4");
    assert_eq!(live, [8, 7, 5, 4, 2, 1].map(call_id));
}

#[test]
fn the_default_limit_is_50_and_the_most_is_100() {
    let h = calls(120, |_| false);
    let page = list(&h, "");
    assert_eq!(ids(&page).len(), 50);
    assert!(page["meta"]["cursor"].is_string());
    assert_eq!(ids(&list(&h, "?limit=100")).len(), 100);
    let (all, _) = every_page(&h, "?limit=100");
    assert_eq!(all.iter().collect::<BTreeSet<_>>().len(), 120);
}

#[test]
fn an_empty_index_is_an_empty_page() {
    let h = Harness::new();
    let page = list(&h, "?status=live");
    assert_eq!(
        page,
        serde_json::json!({"data": [], "meta": {"cursor": null}})
    );
}

#[test]
fn bad_query_values_are_422_with_a_pointer_and_change_nothing() {
    let h = calls(2, |_| false);
    let writes = h.kv.writes();
    for (query, pointer) in [
        ("status=open", "/status"),
        ("status=LIVE", "/status"),
        ("status=live&status=ended", "/status"),
        ("limit=0", "/limit"),
        ("limit=101", "/limit"),
        ("limit=ten", "/limit"),
        ("limit=-5", "/limit"),
        ("cursor=", "/cursor"),
        ("cursor=a%0Ab", "/cursor"),
    ] {
        let response = h.get(&format!("/calls?{query}"), Some(&bearer()));
        assert_error(&response, 422, "invalid_parameter");
        assert_eq!(
            json_of(&response)["errors"][0]["source"]["pointer"],
            pointer,
            "{query}"
        );
    }
    assert_eq!(h.kv.writes(), writes);
}

#[test]
fn a_kv_failure_is_503_and_a_cursor_kv_refuses_is_422() {
    let h = calls(6, |n| n % 3 == 0);
    h.kv.fail_lists_after(0, 1);
    assert_error(
        &h.get("/calls", Some(&bearer())),
        503,
        "storage_unavailable",
    );
    h.kv.fail_lists_after(0, 1);
    let refused = h.get("/calls?cursor=abc", Some(&bearer()));
    assert_error(&refused, 422, "invalid_parameter");
    assert_eq!(
        json_of(&refused)["errors"][0]["source"]["pointer"],
        "/cursor"
    );
    // A failure after the first page of a request is KV's, even with a cursor given.
    h.kv.set_list_page_size(1);
    let cursor = list(&h, "?limit=1")["meta"]["cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    h.kv.fail_lists_after(1, 1);
    let later = h.get(
        &format!("/calls?status=ended&limit=2&cursor={}", encoded(&cursor)),
        Some(&bearer()),
    );
    assert_error(&later, 503, "storage_unavailable");
    assert!(h.log.text().contains("call index not listed"));
}

#[test]
fn unknown_parameters_are_ignored() {
    let h = calls(2, |n| n == 0);
    assert_eq!(ids(&list(&h, "?_=1700000000&state=ended")).len(), 2);
}

#[test]
fn the_list_needs_the_admin_token() {
    let h = calls(1, |_| false);
    assert_error(&h.get("/calls", None), 401, "unauthorized");
    assert_error(&h.get("/calls", Some("Bearer wrong")), 401, "unauthorized");
    let response = h.send(telnyx_edge::ports::http::Request {
        method: "DELETE".into(),
        path: "/calls".into(),
        headers: vec![("authorization".into(), bearer())],
        ..Default::default()
    });
    assert_eq!(response.status, 405);
    assert_eq!(response.header("allow"), Some("GET, POST"));
    let unconfigured = Harness::with_vars(&[("ADMIN_TOKEN", "")]);
    assert_error(
        &unconfigured.get("/calls", Some("Bearer anything")),
        503,
        "admin_token_missing",
    );
}

#[test]
fn the_live_stream_is_authorised_like_the_rest_of_the_api() {
    let h = calls(1, |_| false);
    let live = format!("/calls/{}/live", call_id(0));
    assert_error(&h.get(&live, None), 401, "unauthorized");
    // Natively there is no runtime stream to hand over; the edge streams it.
    assert_error(&h.get(&live, Some(&bearer())), 501, "not_streaming");
    assert_error(
        &h.get("/calls/bad%20id/live", Some(&bearer())),
        404,
        "invalid_call_control_id",
    );
}
