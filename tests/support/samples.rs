//! Valid request bodies built from the action tables: the minimal body (required fields
//! only) and full bodies with every optional field, one per union variant, so together
//! they cover every field and every `oneOf` branch the worker can send.

use serde_json::{json, Map, Value};
use telnyx_edge::domain::actions::documented::{field_checks, Check};
use telnyx_edge::domain::actions::schema::{ActionSpec, Format, Kind, Object};

pub const SAMPLE_STATE: &str = "aGF2ZSBhIG5pY2UgZGF5ID1d";

/// Every object reachable from the action, with its name: `(name, field names)`.
pub fn objects(action: &'static ActionSpec) -> Vec<(&'static str, Vec<&'static str>)> {
    let mut found = Vec::new();
    collect(&Kind::Object(action.body), &mut found);
    found
}

fn collect(kind: &Kind, found: &mut Vec<(&'static str, Vec<&'static str>)>) {
    match kind {
        Kind::Object(object) => {
            if found.iter().any(|(name, _)| *name == object.name) {
                return;
            }
            found.push((object.name, object.fields.iter().map(|f| f.name).collect()));
            for field in object.fields {
                collect(&field.kind, found);
            }
        }
        Kind::Array { items, .. } => collect(items, found),
        Kind::Map(members) | Kind::Nullable(members) => collect(members, found),
        Kind::OneOf(alternatives) => alternatives.iter().for_each(|k| collect(k, found)),
        Kind::Tagged(tagged) => tagged.variants.iter().for_each(|(_, k)| collect(k, found)),
        _ => {}
    }
}

/// The largest number of branches of any union in the action: bodies `0..this` pick
/// every branch at least once.
pub fn variant_count(action: &'static ActionSpec) -> usize {
    fn widest(kind: &Kind, seen: &mut Vec<&'static str>) -> usize {
        match kind {
            Kind::Object(object) => {
                if seen.contains(&object.name) {
                    return 1;
                }
                seen.push(object.name);
                object
                    .fields
                    .iter()
                    .map(|f| widest(&f.kind, seen))
                    .max()
                    .unwrap_or(1)
            }
            Kind::Array { items, .. } => widest(items, seen),
            Kind::Map(members) | Kind::Nullable(members) => widest(members, seen),
            Kind::OneOf(alternatives) => alternatives
                .iter()
                .map(|k| widest(k, seen))
                .max()
                .unwrap_or(1)
                .max(alternatives.len()),
            Kind::Tagged(tagged) => tagged
                .variants
                .iter()
                .map(|(_, k)| widest(k, seen))
                .max()
                .unwrap_or(1)
                .max(tagged.variants.len()),
            _ => 1,
        }
    }
    widest(&Kind::Object(action.body), &mut Vec::new())
}

/// A body with required fields only (`full == false`) or every field, choosing branch
/// `choice % n` of each union.
pub fn body(action: &'static ActionSpec, full: bool, choice: usize) -> Value {
    object(action.body, full, choice, None)
}

fn object(object: &'static Object, full: bool, choice: usize, tag: Option<(&str, &str)>) -> Value {
    let mut map = Map::new();
    for field in object.fields.iter().filter(|f| full || f.required) {
        let value = match tag {
            Some((name, value)) if name == field.name => json!(value),
            _ => field_value(object, field.name, &field.kind, full, choice),
        };
        map.insert(field.name.to_owned(), value);
    }
    Value::Object(map)
}

fn field_value(
    object: &'static Object,
    field: &str,
    kind: &Kind,
    full: bool,
    choice: usize,
) -> Value {
    if let Some(check) = field_checks(object.name, field).next() {
        if let Some(value) = checked_sample(check) {
            return value;
        }
    }
    sample(kind, full, choice)
}

fn checked_sample(check: Check) -> Option<Value> {
    Some(match check {
        Check::Base64 => json!(SAMPLE_STATE),
        Check::NonEmpty => return None,
        Check::Dtmf { .. } => json!("12w#*AW"),
        Check::IntRange { min, max } => json!(if max == i64::MAX {
            min
        } else {
            (min + max) / 2
        }),
        Check::ZeroOrAtLeast(min) => json!(min),
        Check::NumRange { min, max } => json!((min + max) / 2.0),
        Check::DisplayName => json!("Support Line"),
        Check::SipUri => json!("sip:agent@pbx.example.com"),
        Check::SumAtMost(limit) => json!([limit / 4, limit / 4]),
        Check::CallControlId => json!("v3:sample-call-control-id"),
        Check::Destinations { .. } => json!(["+13125550100", "sip:agent@pbx.example.com"]),
        Check::HeadersAtMost(_) => return None,
    })
}

fn sample(kind: &Kind, full: bool, choice: usize) -> Value {
    match kind {
        Kind::String(rule) => {
            if let Some(value) = rule.values.get(choice % rule.values.len().max(1)) {
                return json!(value);
            }
            let text = match rule.format {
                Format::Text => "sample",
                Format::Uuid => "891510ac-f3e4-11e8-af5b-de00688a4901",
                Format::Uri => "https://example.com/hook",
                Format::WebSocketUrl => "wss://relay.example.com/ws",
            };
            let text = match rule.max_len {
                Some(max) => text.chars().take(max).collect(),
                None => text.to_owned(),
            };
            json!(text)
        }
        Kind::Integer(bounds) => json!(midpoint(bounds.min, bounds.max).round() as i64),
        Kind::Number(bounds) => json!(midpoint(bounds.min, bounds.max)),
        Kind::Boolean => json!(choice.is_multiple_of(2)),
        Kind::Array { items, .. } => json!([sample(items, full, choice)]),
        Kind::Object(inner) => object(inner, full, choice, None),
        Kind::Map(members) => json!({"call.answered": sample(members, full, choice)}),
        Kind::AnyObject => json!({"any": "value"}),
        Kind::OneOf(alternatives) => {
            sample(&alternatives[choice % alternatives.len()], full, choice)
        }
        Kind::Tagged(tagged) => {
            let (tag_value, variant) = &tagged.variants[choice % tagged.variants.len()];
            match variant {
                Kind::Object(inner) => object(inner, full, choice, Some((tagged.tag, tag_value))),
                // A nested union (Deepgram's models) picks its own branch.
                other => sample(other, full, choice),
            }
        }
        Kind::Nullable(inner) => {
            if choice % 3 == 2 {
                Value::Null
            } else {
                sample(inner, full, choice)
            }
        }
    }
}

fn midpoint(min: Option<f64>, max: Option<f64>) -> f64 {
    match (min, max) {
        (Some(min), Some(max)) if max - min > 1e6 => 1f64.clamp(min, max),
        (Some(min), Some(max)) => (min + max) / 2.0,
        (Some(min), None) => min.max(1.0),
        (None, Some(max)) => max.min(1.0),
        (None, None) => 1.0,
    }
}
