//! Reading JSON from outside (Telnyx's deliveries, Access's tokens) through derived
//! types one field at a time: a field of the wrong type is a finding of its own, or
//! reads as absent, instead of failing the whole object. Both read from a
//! `serde_json::Value` already parsed: from JSON text, a value given up on half-way
//! would leave the reader in its middle.

use serde::{Deserialize, Deserializer};

/// A field that is there: its value, or the finding that it has another type.
#[derive(Clone, Debug, PartialEq)]
pub enum Field<T> {
    Value(T),
    WrongType,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Field<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(detail(deserializer)?.map_or(Field::WrongType, Field::Value))
    }
}

/// A value if it has the type, else `None` (`#[serde(default, deserialize_with =
/// "detail")]`).
pub fn detail<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    Ok(T::deserialize(deserializer).ok())
}
