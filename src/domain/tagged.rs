//! Reading the internally tagged enum this worker stores (an action's effect,
//! `{"kind": "…", …fields}`).
//!
//! serde's derived `#[serde(tag = "kind")]` deserialisation buffers through its
//! `Content` machinery, kilobytes of the gzipped wasm. Reading through
//! `serde_json::Value`, already in the binary, keeps the stored format and drops that.
//! Serialisation stays derived: the tag costs nothing there.

use serde::de::{DeserializeOwned, Error};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

/// A stored object split into its `kind` and its other fields.
pub struct Tagged {
    pub kind: String,
    fields: Map<String, Value>,
}

impl Tagged {
    pub fn read<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let Value::Object(mut fields) = Value::deserialize(deserializer)? else {
            return Err(D::Error::custom("expected an object with a `kind`"));
        };
        match fields.remove("kind") {
            Some(Value::String(kind)) => Ok(Self { kind, fields }),
            _ => Err(D::Error::missing_field("kind")),
        }
    }

    /// One field; a missing one reads as `null` (so an `Option` is `None`, as derived
    /// code has it).
    pub fn field<T: DeserializeOwned, E: Error>(&mut self, name: &'static str) -> Result<T, E> {
        let value = self.fields.remove(name).unwrap_or(Value::Null);
        serde_json::from_value(value).map_err(|e| E::custom(format_args!("`{name}`: {e}")))
    }

    pub fn unknown<E: Error>(&self, known: &'static [&'static str]) -> E {
        E::unknown_variant(&self.kind, known)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn splits_the_kind_and_reads_fields() {
        let mut tagged = Tagged::read(json!({"kind": "refer", "sip_address": "sip:a@b"})).unwrap();
        assert_eq!(tagged.kind, "refer");
        let address: String = tagged.field::<_, serde_json::Error>("sip_address").unwrap();
        assert_eq!(address, "sip:a@b");
        let absent: Option<String> = tagged.field::<_, serde_json::Error>("engine").unwrap();
        assert_eq!(absent, None);
        assert!(tagged.field::<String, serde_json::Error>("role").is_err());
        assert!(Tagged::read(json!({"role": "barge"})).is_err());
        assert!(Tagged::read(json!(["refer"])).is_err());
    }
}
