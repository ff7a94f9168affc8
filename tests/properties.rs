//! Properties over generated input: the parsers and validators never panic, the fold
//! ignores delivery order and repeats, and derived command ids are stable and distinct.

mod support;

use std::collections::HashSet;

use proptest::prelude::*;
use serde_json::{json, Map, Value};

use support::deliveries::{self, occurred_at, Delivery, TRACKED_EVENT_TYPES};
use telnyx_edge::domain::actions::{validate, ACTIONS};
use telnyx_edge::domain::automations::{command_id, parse_rules};
use telnyx_edge::domain::call_state::{fold, Effects};
use telnyx_edge::domain::envelope::parse;
use telnyx_edge::domain::signature::{verify, PublicKeys, SignatureHeaders};
use telnyx_edge::domain::time::Instant;

/// Any JSON value, a few levels deep, with the names and shapes the code looks for
/// among the arbitrary ones.
fn any_json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("data".to_owned()),
        Just("payload".to_owned()),
        Just("rules".to_owned()),
        Just("digits".to_owned()),
        Just("client_state".to_owned()),
        "[a-z_{}.]{0,12}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        "\\PC{0,16}".prop_map(Value::String),
        Just(json!("{{payload.digit}}")),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

proptest! {
    #[test]
    fn verification_never_panics(
        signature in proptest::option::of("\\PC{0,100}"),
        timestamp in proptest::option::of("[-+ 0-9.a-z]{0,24}"),
        body in prop::collection::vec(any::<u8>(), 0..256),
        now in any::<i64>(),
        tolerance in any::<u64>(),
    ) {
        let keys = PublicKeys::parse("3+h94WAEUXcczcJbNbb0GPFk9flji/HgTo9J7utU0L8=").unwrap();
        let headers = SignatureHeaders { signature: signature.as_deref(), timestamp: timestamp.as_deref() };
        prop_assert!(verify(&keys, headers, &body, now, tolerance).is_err());
    }

    #[test]
    fn envelope_parsing_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..512), value in any_json()) {
        let _ = parse(&bytes, Instant::default());
        let _ = parse(value.to_string().as_bytes(), Instant::default());
        let _ = parse(json!({"data": value}).to_string().as_bytes(), Instant::default());
    }

    #[test]
    fn action_validation_never_panics(value in any_json(), index in 0..ACTIONS.len()) {
        let _ = validate(&ACTIONS[index], &value);
    }

    #[test]
    fn rule_parsing_never_panics(text in "\\PC{0,200}", value in any_json()) {
        let _ = parse_rules(&text, None);
        let _ = parse_rules(&value.to_string(), None);
        let _ = parse_rules(&json!({"rules": [value]}).to_string(), None);
    }

    #[test]
    fn folding_ignores_delivery_order_and_repeats(
        picks in prop::collection::vec((0..TRACKED_EVENT_TYPES.len(), 0u32..40), 1..12),
        order in prop::collection::vec(any::<prop::sample::Index>(), 0..24),
    ) {
        let records: Vec<_> = picks
            .iter()
            .enumerate()
            .map(|(n, (kind, second))| {
                let body = deliveries::body(&Delivery {
                    event_type: TRACKED_EVENT_TYPES[*kind],
                    event_id: &format!("ev-{n}"),
                    call_control_id: "v3:prop",
                    occurred_at: &occurred_at(*second),
                });
                parse(body.to_string().as_bytes(), Instant::default()).unwrap().record.unwrap()
            })
            .collect();
        let expected = fold(records.clone(), Vec::new(), Effects::Succeeded);
        // Shuffled, with some events delivered again.
        let mut delivered = records.clone();
        for index in &order {
            delivered.push(records[index.index(records.len())].clone());
        }
        for index in &order {
            let (a, b) = (index.index(delivered.len()), delivered.len() - 1 - index.index(delivered.len()));
            delivered.swap(a, b);
        }
        prop_assert_eq!(fold(delivered, Vec::new(), Effects::Succeeded), expected);
    }

    #[test]
    fn command_ids_are_stable_and_distinct(
        events in prop::collection::hash_set("[a-z0-9-]{1,12}", 1..6),
        rules in prop::collection::hash_set("[a-z:|-]{1,8}", 1..6),
        positions in 1usize..10,
    ) {
        let mut seen = HashSet::new();
        for event in &events {
            for rule in &rules {
                for position in 0..positions {
                    let id = command_id(event, rule, position);
                    prop_assert_eq!(&id, &command_id(event, rule, position));
                    prop_assert!(seen.insert(id), "collision for {} {} {}", event, rule, position);
                }
            }
        }
    }
}
