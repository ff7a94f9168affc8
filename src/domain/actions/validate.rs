//! One validator for every action body: walks the JSON value along the generated table,
//! then applies the documented rules. Reports every violation with a JSON pointer.

use serde_json::{Map, Value};

use super::documented::{field_checks, object_rules};
use super::schema::{ActionSpec, Bounds, Format, Kind, Object, Str};

/// Enough to fix a body in one round; more would only repeat the same mistake.
pub const MAX_VIOLATIONS: usize = 20;

/// One problem with a body: where (RFC 6901 pointer) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub pointer: String,
    pub detail: String,
}

/// Checks `body` against the action's request schema and the documented rules.
pub fn validate(action: &'static ActionSpec, body: &Value) -> Result<(), Vec<Violation>> {
    validate_with(action, body, None)
}

/// Like [`validate`], for a body whose strings may still hold placeholders: a string for
/// which `is_placeholder` holds passes any string rule, as its value is known only later.
/// It must still stand where a string may.
pub fn validate_template(
    action: &'static ActionSpec,
    body: &Value,
    is_placeholder: fn(&str) -> bool,
) -> Result<(), Vec<Violation>> {
    validate_with(action, body, Some(is_placeholder))
}

fn validate_with(
    action: &'static ActionSpec,
    body: &Value,
    is_placeholder: Option<fn(&str) -> bool>,
) -> Result<(), Vec<Violation>> {
    let mut walker = Walker {
        is_placeholder,
        ..Walker::default()
    };
    walker.object(action.body, body);
    if walker.violations.is_empty() {
        Ok(())
    } else {
        Err(walker.violations)
    }
}

/// Appends one escaped reference token to a JSON pointer.
pub fn push_pointer(pointer: &mut String, token: &str) {
    pointer.push('/');
    for c in token.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            _ => pointer.push(c),
        }
    }
}

#[derive(Default)]
struct Walker {
    pointer: String,
    violations: Vec<Violation>,
    is_placeholder: Option<fn(&str) -> bool>,
}

impl Walker {
    fn report(&mut self, detail: impl Into<String>) {
        if self.violations.len() < MAX_VIOLATIONS {
            self.violations.push(Violation {
                pointer: self.pointer.clone(),
                detail: detail.into(),
            });
        }
    }

    fn at(&mut self, tokens: &[&str], check: impl FnOnce(&mut Self)) {
        let mark = self.pointer.len();
        for token in tokens {
            push_pointer(&mut self.pointer, token);
        }
        check(self);
        self.pointer.truncate(mark);
    }

    fn is_placeholder(&self, value: &Value) -> bool {
        match (self.is_placeholder, value.as_str()) {
            (Some(is_placeholder), Some(text)) => is_placeholder(text),
            _ => false,
        }
    }

    fn wrong_type(&mut self, expected: &str, value: &Value) {
        self.report(format!("must be {expected}, not {}", type_name(value)));
    }

    fn check(&mut self, kind: &'static Kind, value: &Value) {
        match kind {
            Kind::String(_) if self.is_placeholder(value) => {}
            Kind::String(rule) => match value.as_str() {
                Some(text) => self.string(rule, text),
                None => self.wrong_type("a string", value),
            },
            Kind::Integer(bounds) => {
                if value.is_i64() || value.is_u64() {
                    self.bounds(bounds, value);
                } else {
                    self.wrong_type("an integer", value);
                }
            }
            Kind::Number(bounds) => {
                if value.is_number() {
                    self.bounds(bounds, value);
                } else {
                    self.wrong_type("a number", value);
                }
            }
            Kind::Boolean => {
                if !value.is_boolean() {
                    self.wrong_type("true or false", value);
                }
            }
            Kind::Array { items, max_items } => match value.as_array() {
                Some(elements) => {
                    if let Some(max) = max_items.filter(|max| elements.len() > *max) {
                        self.report(format!("must have at most {max} items"));
                    }
                    for (index, element) in elements.iter().enumerate() {
                        self.at(&[&index.to_string()], |walker| walker.check(items, element));
                    }
                }
                None => self.wrong_type("an array", value),
            },
            Kind::Object(object) => self.object(object, value),
            Kind::Map(members) => match value.as_object() {
                Some(map) => {
                    for (key, member) in map {
                        self.at(&[key], |walker| walker.check(members, member));
                    }
                }
                None => self.wrong_type("an object", value),
            },
            Kind::AnyObject => {
                if !value.is_object() {
                    self.wrong_type("an object", value);
                }
            }
            Kind::OneOf(alternatives) => {
                if !alternatives.iter().any(|kind| self.accepts(kind, value)) {
                    let forms: Vec<&str> = alternatives.iter().map(kind_name).collect();
                    self.report(format!("must be one of: {}", forms.join(", ")));
                }
            }
            Kind::Tagged(tagged) => {
                let Some(map) = value.as_object() else {
                    return self.wrong_type("an object", value);
                };
                let tag = map.get(tagged.tag).and_then(Value::as_str);
                match tagged.variants.iter().find(|(name, _)| Some(*name) == tag) {
                    Some((_, variant)) => self.check(variant, value),
                    None => {
                        let names: Vec<&str> = tagged.variants.iter().map(|(n, _)| *n).collect();
                        self.at(&[tagged.tag], |walker| {
                            walker.report(format!("must be one of: {}", names.join(", ")))
                        });
                    }
                }
            }
            Kind::Nullable(inner) => {
                if !value.is_null() {
                    self.check(inner, value);
                }
            }
        }
    }

    fn object(&mut self, object: &'static Object, value: &Value) {
        let Some(map) = value.as_object() else {
            return self.wrong_type("a JSON object", value);
        };
        for (key, member) in map {
            self.at(&[key], |walker| walker.member(object, key, member));
        }
        for field in object.fields.iter().filter(|field| field.required) {
            if !map.contains_key(field.name) {
                self.at(&[field.name], |walker| walker.report("is required"));
            }
        }
        self.object_rules(object, map);
    }

    fn member(&mut self, object: &'static Object, key: &str, member: &Value) {
        let Some(field) = object.field(key) else {
            let known: Vec<&str> = object.fields.iter().map(|field| field.name).collect();
            return self.report(format!(
                "is not a field here; accepted: {}",
                known.join(", ")
            ));
        };
        let before = self.violations.len();
        self.check(&field.kind, member);
        if self.violations.len() == before && !self.is_placeholder(member) {
            for check in field_checks(object.name, key) {
                if let Err(detail) = check.apply(member) {
                    self.report(detail);
                }
            }
        }
    }

    fn object_rules(&mut self, object: &'static Object, map: &Map<String, Value>) {
        for rule in object_rules(object.name) {
            if let Err((path, detail)) = rule(map) {
                self.at(&path, |walker| walker.report(detail));
            }
        }
    }

    fn string(&mut self, rule: &Str, text: &str) {
        if !rule.values.is_empty() && !rule.values.contains(&text) {
            return self.report(format!("must be one of: {}", rule.values.join(", ")));
        }
        let length = text.chars().count();
        if let Some(min) = rule.min_len.filter(|min| length < *min) {
            self.report(format!("must be at least {min} characters"));
        }
        if let Some(max) = rule.max_len.filter(|max| length > *max) {
            self.report(format!("must be at most {max} characters"));
        }
        let problem = match rule.format {
            Format::Text => None,
            Format::Uuid => uuid::Uuid::try_parse(text)
                .is_err()
                .then_some("must be a UUID"),
            Format::Uri => (!is_uri(text)).then_some("must be an absolute URI"),
            Format::WebSocketUrl => (!(text.starts_with("ws://") || text.starts_with("wss://")))
                .then_some("must start with ws:// or wss://"),
        };
        if let Some(problem) = problem {
            self.report(problem);
        }
    }

    fn accepts(&self, kind: &'static Kind, value: &Value) -> bool {
        let mut walker = Walker {
            is_placeholder: self.is_placeholder,
            ..Walker::default()
        };
        walker.check(kind, value);
        walker.violations.is_empty()
    }

    fn bounds(&mut self, bounds: &Bounds, value: &Value) {
        // JSON numbers are finite, so the comparisons are total.
        let number = value.as_f64().unwrap_or_default();
        let too_low = bounds.min.is_some_and(|min| number < min);
        let too_high = bounds.max.is_some_and(|max| number > max);
        if too_low || too_high {
            self.report(match (bounds.min, bounds.max) {
                (Some(min), Some(max)) => format!("must be between {min} and {max}"),
                (Some(min), None) => format!("must be at least {min}"),
                (None, Some(max)) => format!("must be at most {max}"),
                (None, None) => "is out of range".to_owned(),
            });
        }
    }
}

/// `scheme:rest` with an RFC 3986 scheme and no whitespace.
fn is_uri(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
        && !text.chars().any(char::is_whitespace)
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a fractional number",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn kind_name(kind: &Kind) -> &'static str {
    match kind {
        Kind::String(_) => "a string",
        Kind::Integer(_) => "an integer",
        Kind::Number(_) => "a number",
        Kind::Boolean => "a boolean",
        Kind::Array { .. } => "an array",
        Kind::Object(_) | Kind::Map(_) | Kind::AnyObject | Kind::Tagged(_) => "an object",
        Kind::OneOf(_) => "one of several forms",
        Kind::Nullable(_) => "null or a value",
    }
}
