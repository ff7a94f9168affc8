//! The hostile-request corpus (`support::hostile`) through the whole pipeline: every
//! case gets its documented status and code, and leaves no KV key, no KV write and no
//! request at the fake Telnyx behind.

mod support;

use std::collections::BTreeMap;

use support::access::{key_set, TestKey, AUD, TEAM};
use support::harness::*;
use support::hostile::{Corpus, Expect, HostileRequest, HOSTILE_CALL};
use telnyx_edge::ports::http::{Request, Response};

fn send(h: &Harness, request: &HostileRequest) -> Response {
    let (path, query) = request.path_and_query();
    h.send(Request {
        method: request.method.into(),
        path: path.into(),
        query: query.into(),
        headers: request.headers.clone(),
        body: request.body.clone(),
    })
}

/// What is wrong with the answer to one case, if anything.
fn check(h: &Harness, expect: Expect, response: &Response) -> Option<String> {
    let body: serde_json::Value = serde_json::from_str(&response.body).unwrap_or_default();
    let (status, code) = match expect {
        Expect::Refused { status, code } => (status, code),
        Expect::Duplicate => (200, "duplicate"),
    };
    let got_code = match expect {
        Expect::Refused { .. } => &body["errors"][0]["code"],
        Expect::Duplicate => &body["status"],
    };
    if response.status != status || got_code != code {
        return Some(format!(
            "expected {status} {code}, got {} {}",
            response.status, response.body
        ));
    }
    if matches!(expect, Expect::Refused { .. })
        && response.header("content-type") != Some("application/json")
    {
        return Some("the error is not JSON".into());
    }
    if !h.telnyx.requests().is_empty() {
        return Some(format!("reached Telnyx: {:?}", h.telnyx.requests()));
    }
    None
}

/// The corpus against the harness's key, clock, call, token and Access key.
fn corpus<'a>(h: &'a Harness, key: &'a TestKey) -> Corpus<'a> {
    Corpus {
        signer: &h.signer,
        now: NOW,
        call: CALL,
        admin_token: ADMIN_TOKEN,
        access: Some(key),
    }
}

/// A worker with Cloudflare Access in front of its operator API too.
fn with_access() -> Harness {
    let h = Harness::with_vars(&[("ACCESS_TEAM_DOMAIN", TEAM), ("ACCESS_AUD", AUD)]);
    h.telnyx.serve_certs(Some(key_set(&[&TestKey::first()])));
    h
}

#[test]
fn every_hostile_request_gets_its_documented_status_and_leaves_no_trace() {
    let h = with_access();
    let key = TestKey::first();
    let corpus = corpus(&h, &key);
    assert_eq!(send(&h, &corpus.genuine()).status, 200);
    let keys = h.kv.keys();
    let writes = h.kv.writes();
    let records = h.objects.call_records();
    let state = h.state(CALL);

    let cases = corpus.cases();
    assert!(cases.len() >= 60, "only {} cases", cases.len());
    let mut failures = Vec::new();
    let mut by_status = BTreeMap::<u16, usize>::new();
    for case in &cases {
        let (rows, objects) = (h.objects.counts().rows_written, h.objects.with_tables());
        let response = send(&h, &case.request);
        *by_status.entry(response.status).or_default() += 1;
        // A refused request reaches no object; a duplicate adds to the dashboard's
        // count of duplicates, and to nothing a call keeps.
        let reached = match case.expect {
            Expect::Refused { .. } => {
                h.objects.counts().rows_written != rows || h.objects.with_tables() != objects
            }
            Expect::Duplicate => h.objects.call_records() != records,
        };
        let problem = check(&h, case.expect, &response)
            .or_else(|| {
                (h.kv.keys() != keys || h.kv.writes() != writes)
                    .then(|| format!("changed KV: {:?}", h.kv.keys()))
            })
            .or_else(|| {
                reached.then(|| format!("reached an object: {:?}", h.objects.with_tables()))
            });
        if let Some(problem) = problem {
            failures.push(format!("{}: {problem}", case.name));
            h.telnyx.clear();
        }
    }
    println!("{} hostile requests, by status: {by_status:?}", cases.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(h.state(CALL), state);
    assert_eq!(
        h.get(&format!("/calls/{HOSTILE_CALL}"), Some(&bearer()))
            .status,
        404
    );
}

#[test]
fn case_names_are_unique() {
    let h = with_access();
    let key = TestKey::first();
    let cases = corpus(&h, &key).cases();
    let mut names: Vec<&str> = cases.iter().map(|case| case.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), cases.len());
}
