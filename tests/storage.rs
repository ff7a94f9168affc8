//! Where a call lives, and what that costs: its object holds it while it is live and
//! for the retention period after, KV indexes it once and archives it once, and the
//! archive answers after the object has deleted its storage. The cost per million
//! webhooks that docs/storage.md gives is worked out here from the operations counted.

mod support;

use serde_json::{json, Value};

use support::deliveries::{session_of, set_payload};
use support::examples::{automations_json, EXAMPLES};
use support::harness::*;
use telnyx_edge::app::archive::{archive_key, index_key, ARCHIVE_TTL_SECS};
use telnyx_edge::app::object::{
    session_object, stats_object, ARCHIVE_DELAY_MS, GATHER_MS, RETENTION_MS, STATS_SHARDS,
    TALLY_BACKSTOP_MS,
};

const SECOND: u64 = 1_000;
const DAY: u64 = 24 * 3600 * SECOND;

/// A whole inbound call, as Telnyx delivers it, with the shipped example rules acting
/// on it: answered, recorded, two key presses (`0`, with which the caller dials a
/// supervisor in, and `1`, which no rule acts on for a caller), an operator's refer to
/// the primary PBX that fails over to the backup, hung up. Returns the webhooks
/// delivered (the supervisor leg's own are not played).
fn representative_call(h: &Harness, operator_refer: bool) -> usize {
    let inbound = |mut body: Value| {
        set_payload(&mut body, "direction", json!("incoming"));
        set_payload(&mut body, "client_state", json!("aW5ib3VuZA=="));
        body
    };
    // Telnyx carries the client_state the answer stamped on the call's later webhooks.
    let digit = |id: &str, second: u32, digit: &str| {
        let mut body = inbound(event("call.dtmf.received", id, second));
        set_payload(&mut body, "digit", json!(digit));
        body
    };
    let events = [
        inbound(event("call.initiated", "rc-initiated", 1)),
        inbound(event("call.answered", "rc-answered", 2)),
        inbound(event("siprec.started", "rc-siprec-started", 3)),
        digit("rc-zero", 4, "0"),
        digit("rc-one", 5, "1"),
        event("call.refer.started", "rc-refer-started", 6),
        event("call.refer.failed", "rc-refer-failed", 7),
        event("call.refer.started", "rc-refer-started-2", 8),
        event("call.refer.completed", "rc-refer-completed", 9),
        event("call.bridged", "rc-bridged", 10),
        event("siprec.stopped", "rc-siprec-stopped", 11),
        event("call.hangup", "rc-hangup", 12),
    ];
    for (n, body) in events.iter().enumerate() {
        if operator_refer && n == 5 {
            let refer = json!({"sip_address": "sip:agents@pbx-primary.example.com"});
            assert_eq!(h.operator_action("refer", &refer).status, 200);
        }
        let response = h.deliver(body);
        assert_eq!(
            json_of(&response)["status"],
            "accepted",
            "{}",
            response.body
        );
        h.advance(2 * SECOND);
    }
    events.len()
}

fn with_examples() -> Harness {
    Harness::with_vars(&[("AUTOMATIONS", &automations_json(&EXAMPLES))])
}

#[test]
fn a_call_is_indexed_at_each_status_and_archived_once_it_has_hung_up_and_settled() {
    let h = with_examples();
    representative_call(&h, true);
    let live = h.state(CALL);
    assert_eq!(live["status"], "hangup");
    assert!(
        h.kv.entry(&archive_key(CALL)).is_none(),
        "not while it settles"
    );
    h.advance(ARCHIVE_DELAY_MS as u64);
    let archived = h.kv.entry(&archive_key(CALL)).expect("archived");
    let archived_state: Value = serde_json::from_str(&archived.value).unwrap();
    assert_eq!(archived_state, h.state(CALL), "the archive is the state");
    assert_eq!(
        h.kv.keys(),
        [archive_key(CALL), index_key(NOW * 1000, CALL)],
        "two keys per call"
    );
    assert_eq!(
        h.kv.writes(),
        6,
        "the index at initiated, answered, bridged and hangup; then index and archive"
    );
    let indexed = h.kv.entry(&index_key(NOW * 1000, CALL)).unwrap();
    assert_eq!(indexed.metadata.unwrap()["status"], "hangup");
    let written_at = archived.expires_at - ARCHIVE_TTL_SECS;
    assert!(written_at <= h.clock_secs() && written_at + 60 >= h.clock_secs());
}

#[test]
fn after_the_retention_period_the_object_deletes_its_storage_and_the_archive_answers() {
    let h = with_examples();
    representative_call(&h, true);
    h.advance(ARCHIVE_DELAY_MS as u64);
    let live = h.state(CALL);
    h.advance(RETENTION_MS as u64 - DAY);
    assert!(
        !h.slot(CALL).unwrap().storage.tables().is_empty(),
        "kept for 7 days"
    );
    h.advance(DAY);
    let slot = h.slot(CALL).unwrap();
    assert_eq!(
        slot.storage.tables(),
        Vec::<String>::new(),
        "storage deleted"
    );
    assert_eq!(slot.storage.alarm(), None, "and no alarm left");
    assert_eq!(h.state(CALL), live, "answered from the archive");
    assert_eq!(
        h.kv.writes(),
        6 + SUPERVISOR_LEG_ARCHIVE,
        "the archive was current: not written again"
    );
    assert!(h.log.text().contains("\"msg\":\"retention\""));
}

#[test]
fn what_reaches_a_call_after_its_archive_is_in_the_archive_by_the_end() {
    let h = with_examples();
    representative_call(&h, true);
    h.advance(ARCHIVE_DELAY_MS as u64 + SECOND);
    // A late event: the object shows it at once; the archive catches up at retention.
    h.deliver(&event("call.recording.saved", "rc-late", 20));
    assert_eq!(h.state(CALL)["events"].as_array().unwrap().len(), 13);
    h.advance(RETENTION_MS as u64 + DAY);
    assert_eq!(h.slot(CALL).unwrap().storage.tables(), Vec::<String>::new());
    let archived = h.state(CALL);
    assert_eq!(archived["events"].as_array().unwrap().len(), 13);
    assert_eq!(
        h.kv.writes(),
        8 + SUPERVISOR_LEG_ARCHIVE,
        "index and archive again, only because the call changed"
    );
}

/// The supervisor leg the caller's `0` dials in the representative call hears no
/// webhook of its own there: its object archives it once, when its retention ends.
const SUPERVISOR_LEG_ARCHIVE: usize = 1;

#[test]
fn a_dialed_leg_no_webhook_reaches_is_archived_when_its_retention_ends() {
    let h = with_examples();
    representative_call(&h, false);
    let leg = h.state(CALL)["supervisors"][0]["call_control_id"]
        .as_str()
        .expect("the caller's 0 dialed a supervisor")
        .to_owned();
    h.advance(RETENTION_MS as u64 + DAY);
    assert_eq!(h.slot(&leg).unwrap().storage.tables(), Vec::<String>::new());
    let archived = h.state(&leg);
    assert_eq!(archived["supervising"], CALL);
    assert_eq!(archived["actions"][0]["action"], "dial");
    assert!(h.kv.entry(&archive_key(&leg)).is_some());
}

#[test]
fn a_call_that_never_hangs_up_is_archived_when_its_retention_ends() {
    let h = Harness::new();
    h.deliver(&event("call.initiated", "ev-1", 1));
    h.deliver(&event("call.answered", "ev-2", 2));
    let live = h.state(CALL);
    h.advance(RETENTION_MS as u64 / 2);
    assert!(h.kv.entry(&archive_key(CALL)).is_none());
    h.deliver(&event("call.dtmf.received", "ev-3", 3));
    h.advance(RETENTION_MS as u64 / 2 + DAY);
    assert!(
        !h.slot(CALL).unwrap().storage.tables().is_empty(),
        "retention counts from the last change"
    );
    h.advance(RETENTION_MS as u64 / 2);
    assert_eq!(h.slot(CALL).unwrap().storage.tables(), Vec::<String>::new());
    let archived = h.state(CALL);
    assert_eq!(archived["events"].as_array().unwrap().len(), 3);
    assert_eq!(archived["status"], live["status"]);
    assert_eq!(
        h.kv.writes(),
        3,
        "one index entry for initiated and answered, which came together; index and \
         archive at retention"
    );
}

/// An object that deleted its storage at the end of its retention forgets the events it
/// read: an event that comes later starts the call's rows, and its state, afresh.
#[test]
fn an_object_forgets_the_events_it_read_when_it_deletes_its_storage() {
    let h = Harness::new();
    h.deliver(&event("call.initiated", "ev-1", 1));
    h.deliver(&event("call.answered", "ev-2", 2));
    assert_eq!(h.state(CALL)["events"].as_array().unwrap().len(), 2);
    h.advance(RETENTION_MS as u64 + DAY);
    assert_eq!(h.slot(CALL).unwrap().storage.tables(), Vec::<String>::new());
    h.deliver(&event("call.dtmf.received", "ev-3", 3));
    let events = h.state(CALL)["events"].clone();
    let ids: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|event| event["id"].as_str())
        .collect();
    assert_eq!(ids, ["ev-3"]);
}

#[test]
fn an_unknown_call_is_404_and_leaves_no_storage_behind() {
    let h = Harness::new();
    assert_error(
        &h.get("/calls/v3:never-seen", Some(&bearer())),
        404,
        "call_not_found",
    );
    assert!(!h.stored_anything());
}

#[test]
fn a_first_index_entry_kv_refuses_is_written_10_s_later() {
    let h = Harness::new();
    h.kv.fail_puts("index:", 1);
    h.deliver(&event("call.initiated", "ev-1", 1));
    h.deliver(&event("call.dtmf.received", "ev-2", 2));
    h.advance(GATHER_MS as u64);
    assert!(h.kv.keys().is_empty(), "refused");
    assert!(h.log.text().contains("index entry not written"));
    h.advance(10 * SECOND);
    assert_eq!(h.kv.keys(), [index_key(NOW * 1000, CALL)]);
    let metadata = h.kv.entry(&index_key(NOW * 1000, CALL)).unwrap().metadata;
    assert_eq!(metadata.unwrap()["status"], "initiated");
}

#[test]
fn a_first_index_entry_is_written_by_the_alarm_when_the_instance_is_gone() {
    let h = Harness::new();
    h.deliver(&event("call.refer.completed", "ev-1", 1));
    // The instance, and the timer that would have written it, go.
    h.objects.evict_all();
    h.advance(GATHER_MS as u64 + TALLY_BACKSTOP_MS as u64 - 1);
    assert!(h.kv.keys().is_empty());
    h.advance(1);
    assert_eq!(h.kv.keys(), [index_key(NOW * 1000, CALL)]);
}

#[test]
fn a_failed_kv_write_is_repaired_and_nothing_is_lost() {
    let h = Harness::new();
    // The first index entry fails: written again 10 s later, with the hangup.
    h.kv.fail_puts("index:", 1);
    h.deliver(&event("call.initiated", "ev-1", 1));
    h.advance(GATHER_MS as u64);
    assert!(h.kv.keys().is_empty());
    assert!(h.log.text().contains("index entry not written"));
    h.deliver(&event("call.hangup", "ev-2", 2));
    // The archive fails once too: tried again 10 s later.
    h.kv.fail_puts("call:", 1);
    h.advance(ARCHIVE_DELAY_MS as u64 + SECOND);
    assert_eq!(h.kv.keys(), [index_key(NOW * 1000, CALL)]);
    h.advance(15 * SECOND);
    assert_eq!(
        h.kv.keys(),
        [archive_key(CALL), index_key(NOW * 1000, CALL)]
    );
    assert_eq!(h.state(CALL)["events"].as_array().unwrap().len(), 2);
}

#[test]
fn a_kv_outage_at_retention_is_waited_out_without_spinning() {
    let h = Harness::new();
    h.deliver(&event("call.initiated", "ev-1", 1));
    // The archive cannot be written for a while when the retention ends.
    h.kv.fail_puts("call:", 30);
    h.advance(RETENTION_MS as u64 + 60 * SECOND);
    assert!(
        !h.slot(CALL).unwrap().storage.tables().is_empty(),
        "kept until archived"
    );
    h.advance(10 * 60 * SECOND);
    assert_eq!(h.slot(CALL).unwrap().storage.tables(), Vec::<String>::new());
    assert!(h.kv.entry(&archive_key(CALL)).is_some());
    assert!(
        h.objects.alarm_runs() < 80,
        "{} alarm runs: tried again every 10 s, not at once",
        h.objects.alarm_runs()
    );
}

#[test]
fn an_archive_due_while_an_action_is_open_waits_without_spinning() {
    let h = Harness::with_vars(&[(
        "AUTOMATIONS",
        r#"{"rules":[{"name":"a","on":["call.answered"],"do":[{"action":"answer"}]}]}"#,
    )]);
    h.telnyx.then(
        support::fake_telnyx::Reply::error(429, "10011", "Too many requests").retry_after("120"),
    );
    h.deliver(&event("call.answered", "ev-1", 1));
    h.deliver(&event("call.hangup", "ev-2", 2));
    h.advance(100 * SECOND);
    assert!(
        h.kv.entry(&archive_key(CALL)).is_none(),
        "the answer is still open"
    );
    assert!(h.objects.alarm_runs() < 10, "{}", h.objects.alarm_runs());
    h.advance(100 * SECOND);
    assert!(h.kv.entry(&archive_key(CALL)).is_some());
    assert_eq!(h.state(CALL)["actions"][0]["status"], "succeeded");
}

#[test]
fn an_operator_action_alone_still_ends_in_retention() {
    let h = Harness::with_vars(&[("TELNYX_API_KEY", "")]);
    let response = h.operator_action("hangup", &json!({}));
    assert_eq!(response.status, 503);
    assert!(
        h.slot(CALL).unwrap().storage.alarm().is_some(),
        "an alarm is set"
    );
    h.advance(RETENTION_MS as u64 + DAY);
    assert_eq!(h.slot(CALL).unwrap().storage.tables(), Vec::<String>::new());
}

/// Cloudflare's published prices (Workers paid plan), dollars per million.
const WORKER_REQUEST: f64 = 0.30;
const OBJECT_REQUEST: f64 = 0.15;
const ROW_WRITTEN: f64 = 1.00;
const ROW_READ: f64 = 0.001;
const KV_WRITE: f64 = 5.00;
const KV_READ: f64 = 0.50;

/// What one representative call cost, from the operations counted, kept for its whole
/// retention period.
struct Cost {
    webhooks: u64,
    actions: usize,
    object_requests: u64,
    alarm_runs: u64,
    rows_written: u64,
    alarm_sets: u64,
    rows_read: u64,
    kv_writes: u64,
    kv_reads: u64,
    /// Dollars per million webhooks.
    per_million: f64,
    /// Of which the call's session object (`legs`): its requests, rows written and
    /// alarm sets, and their dollars per million webhooks.
    session: (u64, u64, u64, f64),
    /// Of which the dashboard's stats objects, the same way.
    stats: (u64, u64, u64, f64),
}

fn cost_of(h: &Harness, operator_refer: bool) -> Cost {
    let webhooks = representative_call(h, operator_refer) as u64;
    h.advance(RETENTION_MS as u64 + DAY);
    assert_eq!(h.slot(CALL).unwrap().storage.tables(), Vec::<String>::new());
    let counts = h.objects.counts();
    let object_requests = h.objects.requests() + h.objects.alarm_runs();
    let worker_requests = webhooks + u64::from(operator_refer);
    let kv_writes = h.kv.writes() as u64;
    let kv_reads = h.kv.reads() as u64;
    let per_webhook = |n: u64| n as f64 / webhooks as f64;
    let per_million = per_webhook(worker_requests) * WORKER_REQUEST
        + per_webhook(object_requests) * OBJECT_REQUEST
        + per_webhook(counts.rows_written) * ROW_WRITTEN
        + per_webhook(counts.rows_read) * ROW_READ
        + per_webhook(kv_writes) * KV_WRITE
        + per_webhook(kv_reads) * KV_READ;
    // What some of the objects cost: their requests, rows written and alarm sets, and
    // their dollars per million webhooks.
    let part = |names: &[String]| {
        let (mut requests, mut rows, mut alarms, mut read) = (0, 0, 0, 0);
        for slot in names.iter().filter_map(|name| h.slot(name)) {
            let counts = slot.storage.counts();
            requests += slot.invocations.get();
            rows += counts.rows_written;
            alarms += counts.alarm_sets;
            read += counts.rows_read;
        }
        let dollars = per_webhook(requests) * OBJECT_REQUEST
            + per_webhook(rows) * ROW_WRITTEN
            + per_webhook(read) * ROW_READ;
        (requests, rows, alarms, dollars)
    };
    let session_name = session_object(&session_of(CALL)).unwrap();
    assert!(
        h.slot(&session_name).is_some(),
        "the call reported to its session"
    );
    let stats_names: Vec<String> = (0..STATS_SHARDS).map(stats_object).collect();
    let cost = Cost {
        session: part(&[session_name]),
        stats: part(&stats_names),
        webhooks,
        actions: h.state(CALL)["actions"].as_array().unwrap().len(),
        object_requests,
        alarm_runs: h.objects.alarm_runs(),
        rows_written: counts.rows_written,
        alarm_sets: counts.alarm_sets,
        rows_read: counts.rows_read,
        kv_writes,
        kv_reads,
        per_million,
    };
    println!(
        "cost: {} webhooks{}, {} actions: {} object requests ({} alarm runs), {} rows written \
         ({} alarm sets), {} rows read, {} KV writes, {} KV reads; per webhook {:.2} object \
         requests, {:.2} rows written, {:.2} KV writes: ${:.2} per million webhooks",
        cost.webhooks,
        if operator_refer {
            " and 1 operator action"
        } else {
            ""
        },
        cost.actions,
        cost.object_requests,
        cost.alarm_runs,
        cost.rows_written,
        cost.alarm_sets,
        cost.rows_read,
        cost.kv_writes,
        cost.kv_reads,
        per_webhook(cost.object_requests),
        per_webhook(cost.rows_written),
        per_webhook(cost.kv_writes),
        cost.per_million
    );
    println!(
        "cost: of which its session (legs): {} object requests, {} rows written ({} alarm \
         sets): ${:.2} per million webhooks",
        cost.session.0, cost.session.1, cost.session.2, cost.session.3
    );
    println!(
        "cost: of which the dashboard's stats objects: {} object requests, {} rows written \
         ({} alarm sets): ${:.2} per million webhooks",
        cost.stats.0, cost.stats.1, cost.stats.2, cost.stats.3
    );
    cost
}

#[test]
fn the_cost_per_million_webhooks_from_the_operations_counted() {
    let before = WORKER_REQUEST + 2.0 * KV_WRITE + KV_READ;
    println!(
        "cost: the KV-only design: 2 KV writes and 1 KV read per webhook: ${before:.2} per million"
    );
    let plain = cost_of(&Harness::new(), false);
    let automated = cost_of(&with_examples(), true);
    let forwarded = cost_of(
        &Harness::with_vars(&[
            ("FORWARD_URL", "https://receiver.test/hooks"),
            ("FORWARD_SECRET", "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"),
        ]),
        false,
    );
    assert_eq!(
        plain.kv_writes, 6,
        "KV: the index entry at each of 4 statuses, then index and archive per call"
    );
    assert_eq!(automated.kv_writes, 6 + SUPERVISOR_LEG_ARCHIVE as u64);
    assert_eq!(
        automated.actions, 8,
        "the operator's refer and seven of the rules', the caller's 0 dialing a supervisor \
         (its 1 is no rule's key for a caller)"
    );
    // docs/storage.md quotes these figures; this keeps them honest.
    let figures = |cost: &Cost| {
        (
            cost.object_requests,
            cost.rows_written,
            cost.alarm_sets,
            format!("{:.2}", cost.per_million),
        )
    };
    let expected = EXPECTED
        .map(|(requests, rows, alarms, dollars)| (requests, rows, alarms, dollars.to_owned()));
    assert_eq!(
        [figures(&plain), figures(&automated), figures(&forwarded)],
        expected,
        "update the cost figures of docs/storage.md (and these) when storage changes"
    );
    assert!(
        plain.per_million < before,
        "cheaper than keeping it all in KV"
    );
    // The dashboard's reports: a few per call, not one per webhook, each an object
    // request and a row at its stats object (the last as the call settles, which the
    // call keeps in a row of its own); within its budget of $1.00 per million webhooks.
    assert_eq!((plain.stats.0, plain.stats.1, plain.stats.2), (9, 9, 0));
    assert!(plain.stats.0 < plain.webhooks);
    let settled_row = ROW_WRITTEN / plain.webhooks as f64;
    assert!(plain.stats.3 + settled_row <= 1.00);
    assert_eq!(format!("{:.2}", plain.stats.3), STATS_PER_MILLION);
    // `legs`: a call joins its session's object with its first status (an object
    // request and a row); alone in it, it reports no more. The session sets its alarm
    // once and runs it once, when the retention has passed, to delete itself.
    assert_eq!(
        (plain.session.0, plain.session.1, plain.session.2),
        (2, 2, 1)
    );
    assert_eq!(format!("{:.2}", plain.session.3), SESSION_PER_MILLION);
}

/// What the call's session object costs per million webhooks (docs/storage.md, "What it
/// costs").
const SESSION_PER_MILLION: &str = "0.19";

/// The same for the dashboard's stats objects.
const STATS_PER_MILLION: &str = "0.86";

/// The figures docs/storage.md gives ("What it costs"): object requests, rows
/// written, alarm sets and dollars per million webhooks, for the call without rules,
/// with the example rules, and without rules but forwarding every event to one URL.
const EXPECTED: [(u64, u64, u64, &str); 3] = [
    (30, 41, 12, "6.60"),
    (43, 92, 24, "11.48"),
    (38, 81, 28, "10.04"),
];
