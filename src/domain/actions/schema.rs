//! The table that describes request bodies: one [`Kind`] per value, one [`Object`] per
//! object schema. `spec.rs` holds the tables generated from the Telnyx OpenAPI spec;
//! `validate.rs` checks a JSON body against them.

/// What one JSON value may be.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    String(Str),
    Integer(Bounds),
    Number(Bounds),
    Boolean,
    Array {
        items: &'static Kind,
        max_items: Option<usize>,
    },
    Object(&'static Object),
    /// An object whose members are all of one kind (`additionalProperties: {…}`).
    Map(&'static Kind),
    /// An object with arbitrary members (`additionalProperties: true`).
    AnyObject,
    /// The first alternative that accepts the value (`oneOf` without a discriminator).
    OneOf(&'static [Kind]),
    /// `oneOf` with a discriminator: the member `tag` names the variant.
    Tagged(&'static Tagged),
    /// `null`, or the inner kind.
    Nullable(&'static Kind),
}

#[derive(Clone, Copy, Debug)]
pub struct Str {
    /// Allowed values; empty means any.
    pub values: &'static [&'static str],
    pub min_len: Option<usize>,
    pub max_len: Option<usize>,
    pub format: Format,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Uuid,
    Uri,
    /// `pattern: ^wss?://`
    WebSocketUrl,
}

#[derive(Clone, Copy, Debug)]
pub struct Bounds {
    pub min: Option<f64>,
    pub max: Option<f64>,
}

#[derive(Debug)]
pub struct Object {
    /// The schema name, or `Parent.field` for an inline object; documented rules key on it.
    pub name: &'static str,
    pub fields: &'static [Field],
}

#[derive(Debug)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
}

#[derive(Debug)]
pub struct Tagged {
    pub tag: &'static str,
    pub variants: &'static [(&'static str, Kind)],
}

/// One Call Control action: its URL segment, HTTP method at Telnyx and request body.
#[derive(Debug)]
pub struct ActionSpec {
    pub name: &'static str,
    pub method: &'static str,
    pub body: &'static Object,
}

impl Object {
    pub fn field(&'static self, name: &str) -> Option<&'static Field> {
        self.fields.iter().find(|field| field.name == name)
    }

    pub fn has_field(&'static self, name: &str) -> bool {
        self.field(name).is_some()
    }
}

impl Str {
    pub const TEXT: Str = Str {
        values: &[],
        min_len: None,
        max_len: None,
        format: Format::Text,
    };
}

impl Bounds {
    pub const NONE: Bounds = Bounds {
        min: None,
        max: None,
    };
}
