//! Generates `src/domain/actions/spec.rs` from the Telnyx OpenAPI spec, so the action
//! tables are a mechanical transcription of the spec rather than a hand copy.
//! `tests/contract.rs` checks the committed file is current, and rewrites it when asked.

use std::collections::{BTreeSet, VecDeque};
use std::fmt::Write;
use std::io::Write as _;
use std::process::{Command, Stdio};

use serde_json::{Map, Value};

pub const SPEC_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/spec/telnyx/openapi-call-control.json"
);
pub const TABLES_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/domain/actions/spec.rs");

/// Keywords the generator understands; anything else stops it, so a spec change that
/// adds a constraint cannot be dropped silently.
const KNOWN_KEYWORDS: &[&str] = &[
    "type",
    "enum",
    "properties",
    "required",
    "format",
    "items",
    "minimum",
    "maximum",
    "additionalProperties",
    "oneOf",
    "discriminator",
    "maxLength",
    "minLength",
    "maxItems",
    "pattern",
    "description",
    "example",
    "title",
    "default",
    "deprecated",
    "x-sdk-deprecation-message",
];

pub fn load_spec() -> Value {
    let text = std::fs::read_to_string(SPEC_PATH)
        .unwrap_or_else(|error| panic!("cannot read {SPEC_PATH}: {error}"));
    serde_json::from_str(&text).expect("the OpenAPI spec is JSON")
}

/// The Rust source of the tables, formatted with rustfmt.
pub fn generate(spec: &Value) -> String {
    let mut generator = Generator {
        schemas: &spec["components"]["schemas"],
        queued: BTreeSet::new(),
        queue: VecDeque::new(),
    };
    let mut out = String::from(
        "//! @generated from `spec/telnyx/openapi-call-control.json` by\n\
         //! `tests/support/spec_tables.rs`. Do not edit by hand: after the spec changes, run\n\
         //! `REGENERATE_SPEC_TABLES=1 cargo test --test contract`.\n\n\
         use super::schema::{ActionSpec, Bounds, Field, Format, Kind, Object, Str, Tagged};\n\n",
    );
    let paths = spec["paths"].as_object().expect("paths");
    let mut actions = Vec::new();
    let mut dial = None;
    for (path, operations) in paths {
        if path == "/calls" {
            let reference = operations["post"]["requestBody"]["content"]["application/json"]
                ["schema"]["$ref"]
                .as_str()
                .expect("Dial's request body is a $ref");
            // Queued after the twelve actions' schemas, so their tables come first and
            // stay as they were.
            let schema = schema_name(reference);
            dial = Some((
                schema,
                format!(
                    "/// Dial (`POST /calls`), from the spec's `DialCall`.\n\
                 pub static DIAL: ActionSpec = ActionSpec {{ name: \"dial\", method: \"POST\", \
                 body: &{} }};\n\n",
                    static_name(schema)
                ),
            ));
            continue;
        }
        let name = path
            .strip_prefix("/calls/{call_control_id}/actions/")
            .unwrap_or_else(|| panic!("unexpected path {path}"));
        for (method, operation) in operations.as_object().expect("operations") {
            let reference = operation["requestBody"]["content"]["application/json"]["schema"]
                ["$ref"]
                .as_str()
                .unwrap_or_else(|| panic!("{path}: request body is not a $ref"));
            let schema = schema_name(reference);
            generator.enqueue(schema);
            actions.push(format!(
                "ActionSpec {{ name: {name:?}, method: {:?}, body: &{} }},",
                method.to_uppercase(),
                static_name(schema)
            ));
        }
    }
    writeln!(
        out,
        "/// Every action, from the spec's paths.\npub static ACTIONS: [ActionSpec; {}] = [{}];\n",
        actions.len(),
        actions.join("\n")
    )
    .unwrap();
    if let Some((schema, dial)) = dial {
        generator.enqueue(schema);
        out.push_str(&dial);
    }
    while let Some(name) = generator.queue.pop_front() {
        let schema = &generator.schemas[&name];
        let object = generator.object(schema, &name);
        writeln!(out, "static {}: Object = {object};\n", static_name(&name)).unwrap();
    }
    rustfmt(&out)
}

struct Generator<'a> {
    schemas: &'a Value,
    queued: BTreeSet<String>,
    queue: VecDeque<String>,
}

impl Generator<'_> {
    fn enqueue(&mut self, name: &str) {
        if self.queued.insert(name.to_owned()) {
            self.queue.push_back(name.to_owned());
        }
    }

    /// `Object { … }` for a schema with `properties`.
    fn object(&mut self, schema: &Value, context: &str) -> String {
        let required: Vec<&str> = schema["required"]
            .as_array()
            .map(|names| names.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let properties = schema["properties"].as_object().expect("properties");
        if schema.get("additionalProperties") == Some(&Value::Bool(true)) {
            panic!("{context}: open objects with properties are not supported");
        }
        let mut fields = String::new();
        for (field, field_schema) in properties {
            let kind = self.kind(field_schema, &format!("{context}.{field}"));
            writeln!(
                fields,
                "Field {{ name: {field:?}, kind: {kind}, required: {} }},",
                required.contains(&field.as_str())
            )
            .unwrap();
        }
        for name in &required {
            assert!(
                properties.contains_key(*name),
                "{context}: required {name} undeclared"
            );
        }
        format!("Object {{ name: {context:?}, fields: &[{fields}] }}")
    }

    fn kind(&mut self, schema: &Value, context: &str) -> String {
        let map = schema
            .as_object()
            .unwrap_or_else(|| panic!("{context}: schema is not an object"));
        if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
            let name = schema_name(reference);
            let target = &self.schemas[name];
            assert!(!target.is_null(), "{context}: dangling $ref {reference}");
            if target.get("properties").is_some() {
                self.enqueue(name);
                return format!("Kind::Object(&{})", static_name(name));
            }
            return self.kind(target, name);
        }
        for keyword in map.keys() {
            assert!(
                KNOWN_KEYWORDS.contains(&keyword.as_str()),
                "{context}: keyword {keyword} is not understood by the generator"
            );
        }
        if let Some(alternatives) = map.get("oneOf").and_then(Value::as_array) {
            return self.one_of(map, alternatives, context);
        }
        let (kind, nullable) = match map.get("type") {
            Some(Value::String(kind)) => (kind.as_str(), false),
            Some(Value::Array(kinds)) => {
                let kinds: Vec<&str> = kinds.iter().filter_map(Value::as_str).collect();
                match kinds.as_slice() {
                    [kind, "null"] | ["null", kind] => (*kind, true),
                    _ => panic!("{context}: unsupported type list {kinds:?}"),
                }
            }
            None if map.contains_key("properties") => ("object", false),
            other => panic!("{context}: unsupported type {other:?}"),
        };
        let enum_has_null = map
            .get("enum")
            .and_then(Value::as_array)
            .is_some_and(|values| values.contains(&Value::Null));
        let inner = match kind {
            "string" => string_kind(map, context),
            "integer" => format!("Kind::Integer({})", bounds(map, true)),
            "number" => format!("Kind::Number({})", bounds(map, false)),
            "boolean" => "Kind::Boolean".to_owned(),
            "array" => {
                let items = self.kind(&map["items"], &format!("{context}[]"));
                let max_items = optional(map.get("maxItems").and_then(Value::as_u64));
                format!("Kind::Array {{ items: &{items}, max_items: {max_items} }}")
            }
            "object" => self.object_kind(schema, map, context),
            other => panic!("{context}: unsupported type {other}"),
        };
        if nullable || enum_has_null {
            format!("Kind::Nullable(&{inner})")
        } else {
            inner
        }
    }

    fn object_kind(&mut self, schema: &Value, map: &Map<String, Value>, context: &str) -> String {
        if map.contains_key("properties") {
            return format!("Kind::Object(&{})", self.object(schema, context));
        }
        match map.get("additionalProperties") {
            Some(Value::Object(_)) => {
                let values = self.kind(&map["additionalProperties"], &format!("{context}.*"));
                format!("Kind::Map(&{values})")
            }
            Some(Value::Bool(true)) | None => "Kind::AnyObject".to_owned(),
            Some(other) => panic!("{context}: unsupported additionalProperties {other}"),
        }
    }

    fn one_of(
        &mut self,
        map: &Map<String, Value>,
        alternatives: &[Value],
        context: &str,
    ) -> String {
        let Some(discriminator) = map.get("discriminator") else {
            let kinds: Vec<String> = alternatives
                .iter()
                .enumerate()
                .map(|(index, alternative)| self.kind(alternative, &format!("{context}|{index}")))
                .collect();
            return format!("Kind::OneOf(&[{}])", kinds.join(", "));
        };
        let tag = discriminator["propertyName"]
            .as_str()
            .expect("propertyName");
        let mapping = discriminator["mapping"].as_object().expect("mapping");
        let mut variants = String::new();
        for (value, reference) in mapping {
            let reference = reference.as_str().expect("mapping $ref");
            let kind = self.kind(&serde_json::json!({ "$ref": reference }), context);
            writeln!(variants, "({value:?}, {kind}),").unwrap();
        }
        format!("Kind::Tagged(&Tagged {{ tag: {tag:?}, variants: &[{variants}] }})")
    }
}

fn string_kind(map: &Map<String, Value>, context: &str) -> String {
    let values: Vec<String> = map
        .get("enum")
        .and_then(Value::as_array)
        .map(|values| {
            values
                .iter()
                .filter(|value| !value.is_null())
                .map(|value| format!("{:?}", value.as_str().expect("string enum")))
                .collect()
        })
        .unwrap_or_default();
    let format = match (
        map.get("format").and_then(Value::as_str),
        map.get("pattern").and_then(Value::as_str),
    ) {
        (_, Some("^wss?://")) => "Format::WebSocketUrl",
        (_, Some(pattern)) => panic!("{context}: pattern {pattern} is not understood"),
        (Some("uuid"), None) => "Format::Uuid",
        (Some("uri"), None) => "Format::Uri",
        (None, None) => "Format::Text",
        (Some(other), None) => panic!("{context}: string format {other} is not understood"),
    };
    format!(
        "Kind::String(Str {{ values: &[{}], min_len: {}, max_len: {}, format: {format} }})",
        values.join(", "),
        optional(map.get("minLength").and_then(Value::as_u64)),
        optional(map.get("maxLength").and_then(Value::as_u64)),
    )
}

/// Integer bounds fold `format: int32` into the range Telnyx can store.
fn bounds(map: &Map<String, Value>, integer: bool) -> String {
    let int32 = integer && map.get("format").and_then(Value::as_str) == Some("int32");
    let limit = |keyword: &str, int32_limit: f64| {
        let value = map.get(keyword).and_then(Value::as_f64);
        let value = value.or(int32.then_some(int32_limit));
        match value {
            Some(value) => format!("Some({value:?})"),
            None => "None".to_owned(),
        }
    };
    format!(
        "Bounds {{ min: {}, max: {} }}",
        limit("minimum", i32::MIN as f64),
        limit("maximum", i32::MAX as f64)
    )
}

fn optional(value: Option<u64>) -> String {
    value.map_or_else(|| "None".to_owned(), |value| format!("Some({value})"))
}

fn schema_name(reference: &str) -> &str {
    reference
        .strip_prefix("#/components/schemas/")
        .unwrap_or_else(|| panic!("unsupported $ref {reference}"))
}

/// `NoiseSuppressionStart` → `NOISE_SUPPRESSION_START`, `call-control_Error` → `CALL_CONTROL_ERROR`.
fn static_name(schema: &str) -> String {
    let characters: Vec<char> = schema.chars().collect();
    let mut name = String::new();
    for (index, &character) in characters.iter().enumerate() {
        if !character.is_ascii_alphanumeric() {
            if !name.ends_with('_') {
                name.push('_');
            }
            continue;
        }
        let previous = index.checked_sub(1).map(|i| characters[i]);
        let next = characters.get(index + 1);
        let word_starts = character.is_ascii_uppercase()
            && previous.is_some_and(|p| {
                p.is_ascii_lowercase()
                    || p.is_ascii_digit()
                    || (p.is_ascii_uppercase() && next.is_some_and(char::is_ascii_lowercase))
            });
        if word_starts && !name.ends_with('_') {
            name.push('_');
        }
        name.push(character.to_ascii_uppercase());
    }
    name
}

fn rustfmt(source: &str) -> String {
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2021"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("rustfmt runs (rustup component add rustfmt)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(source.as_bytes())
        .expect("rustfmt reads the tables");
    let output = child.wait_with_output().expect("rustfmt finishes");
    assert!(
        output.status.success(),
        "rustfmt rejected the generated tables"
    );
    String::from_utf8(output.stdout).expect("rustfmt writes UTF-8")
}
