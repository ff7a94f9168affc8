//! Reading JSON objects field by field, through `serde_json::Value`: the records this
//! worker stores and the error bodies Telnyx sends.
//!
//! serde's derived deserialisers, and `serde_json::from_value` into them, report a
//! value of the wrong type through serde's `Unexpected`, whose float case keeps core's
//! `f64` formatting in the bundle; derived internally tagged enums also buffer through
//! serde's `Content` machinery. Reading a `Value`, already in the binary, needs
//! neither (bench/README.md has the figures). So the errors here are `custom` or
//! `missing_field` only: `invalid_type` would bring the formatting back.

use serde::de::Error;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

/// What is wrong with a JSON text, or with a value read from one, and where. Not
/// serde_json's own message: its `Display` can also print an I/O error, which alone
/// keeps std's I/O error texts and their code in the bundle (about 1.1 KiB gzipped),
/// and nothing here reads JSON from I/O.
pub fn json_error(error: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match error.classify() {
        Category::Eof => "the JSON ends early",
        Category::Syntax => "a JSON syntax error",
        Category::Data if error.line() == 0 => {
            return "a field is missing or of the wrong type".into()
        }
        Category::Data => "a value of the wrong type",
        Category::Io => "unreadable",
    };
    format!("{what} at line {} column {}", error.line(), error.column())
}

/// An object's fields, taken out one by one.
pub struct Fields(Map<String, Value>);

impl Fields {
    /// A struct's fields, `names` in order, as derived code reads them: an object, or an
    /// array of their values of which trailing ones may be left out.
    pub fn of<E: Error>(value: Value, names: &[&str]) -> Result<Self, E> {
        match value {
            Value::Object(fields) => Ok(Self(fields)),
            Value::Array(values) if values.len() <= names.len() => {
                // One insert at a time: `collect` into the map compiles a bulk build.
                let mut fields = Map::new();
                for (name, value) in names.iter().zip(values) {
                    fields.insert((*name).to_owned(), value);
                }
                Ok(Self(fields))
            }
            _ => Err(E::custom("expected an object")),
        }
    }

    pub fn read<'de, D: Deserializer<'de>>(
        deserializer: D,
        names: &[&str],
    ) -> Result<Self, D::Error> {
        Self::of(Value::deserialize(deserializer)?, names)
    }

    pub fn take(&mut self, name: &str) -> Option<Value> {
        self.0.remove(name)
    }

    /// The fields not taken yet, as one object.
    pub fn into_value(self) -> Value {
        Value::Object(self.0)
    }

    /// A string that must be there.
    pub fn string<E: Error>(&mut self, name: &'static str) -> Result<String, E> {
        match self.take(name) {
            Some(Value::String(text)) => Ok(text),
            None => Err(E::missing_field(name)),
            Some(_) => Err(wrong(name, "a string")),
        }
    }

    /// A string, `null` or nothing (both `None`, as derived code reads an `Option`).
    pub fn optional_string<E: Error>(&mut self, name: &'static str) -> Result<Option<String>, E> {
        match self.take(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(_) => Err(wrong(name, "a string")),
        }
    }

    /// An `i64`, `null` or nothing.
    pub fn optional_i64<E: Error>(&mut self, name: &'static str) -> Result<Option<i64>, E> {
        match self.take(name) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => value
                .as_i64()
                .map(Some)
                .ok_or_else(|| wrong(name, "an i64")),
        }
    }
}

/// A field of the wrong type, said without `invalid_type` (see above).
pub fn wrong<E: Error>(name: &str, expected: &str) -> E {
    E::custom(format_args!("`{name}`: expected {expected}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    type Result<T> = std::result::Result<T, serde_json::Error>;

    #[test]
    fn json_errors_say_what_and_where() {
        let error = |text: &str| json_error(&serde_json::from_str::<Value>(text).unwrap_err());
        assert_eq!(
            error("{\"a\": 1,\n  }"),
            "a JSON syntax error at line 2 column 3"
        );
        assert_eq!(error("[1, 2"), "the JSON ends early at line 1 column 5");
        assert_eq!(error(""), "the JSON ends early at line 1 column 0");
        let wrong_type = serde_json::from_str::<u8>("\"x\"").unwrap_err();
        assert_eq!(
            json_error(&wrong_type),
            "a value of the wrong type at line 1 column 3"
        );
        let read = Fields::of::<serde_json::Error>(json!({}), &["id"])
            .and_then(|mut fields| fields.string::<serde_json::Error>("id"))
            .unwrap_err();
        assert_eq!(json_error(&read), "a field is missing or of the wrong type");
    }

    #[test]
    fn reads_each_field_as_derived_code_does() {
        let mut fields = Fields::of::<serde_json::Error>(
            json!({
                "text": "a", "null": null, "number": 7, "big": u64::MAX, "float": 1.5,
                "text2": "b", "null2": null, "number2": 7,
            }),
            &[],
        )
        .unwrap();
        assert!(fields.string::<serde_json::Error>("number2").is_err());
        assert!(fields.string::<serde_json::Error>("null2").is_err());
        assert!(fields.string::<serde_json::Error>("absent").is_err());
        assert!(fields
            .optional_string::<serde_json::Error>("float")
            .is_err());
        let text: Result<String> = fields.string("text2");
        assert_eq!(text.unwrap(), "b");
        let text: Result<Option<String>> = fields.optional_string("text");
        assert_eq!(text.unwrap().as_deref(), Some("a"));
        let null: Result<Option<String>> = fields.optional_string("null");
        assert_eq!(null.unwrap(), None);
        let number: Result<Option<i64>> = fields.optional_i64("number");
        assert_eq!(number.unwrap(), Some(7));
        assert!(fields.optional_i64::<serde_json::Error>("big").is_err());
        let absent: Result<Option<i64>> = fields.optional_i64("absent");
        assert_eq!(absent.unwrap(), None);
        assert!(Fields::of::<serde_json::Error>(json!(1), &["a"]).is_err());
        assert!(Fields::of::<serde_json::Error>(json!([1, 2]), &["a"]).is_err());
        let mut fields = Fields::of::<serde_json::Error>(json!(["x"]), &["a", "b"]).unwrap();
        assert_eq!(fields.take("a"), Some(json!("x")));
        assert_eq!(fields.take("b"), None);
    }
}
