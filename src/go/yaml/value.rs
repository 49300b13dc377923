//! The decoded form of a YAML (or JSON) document, as Go code sees it after
//! sigs.k8s.io/yaml has turned YAML into JSON-able data: scalars keep the kind
//! yaml.v2 resolved them to, and every mapping key is a string.

/// A decoded YAML/JSON node.
///
/// Mappings keep document order; keys are unique only when the loader was
/// asked to be strict (yaml.v2 lets the last duplicate win otherwise).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// A YAML integer that fits in `i64` (yaml.v2 decodes it as `int`).
    Int(i64),
    /// A YAML integer above `i64::MAX` that fits in `u64`.
    Uint(u64),
    Float(f64),
    String(String),
    Seq(Vec<Value>),
    Map(Vec<(String, Value)>),
}

impl Value {
    /// The mapping entries, if this is a mapping.
    pub fn as_map(&self) -> Option<&[(String, Value)]> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The first NaN or infinity inside, as Go's `json.Marshal` names it
    /// ("+Inf"): sigs.k8s.io/yaml fails on such values, so Helm refuses any
    /// document holding one, wherever it is.
    pub fn non_finite(&self) -> Option<&'static str> {
        match self {
            Value::Float(f) if f.is_nan() => Some("NaN"),
            Value::Float(f) if f.is_infinite() => Some(if *f > 0.0 { "+Inf" } else { "-Inf" }),
            Value::Seq(items) => items.iter().find_map(Value::non_finite),
            Value::Map(m) => m.iter().find_map(|(_, v)| v.non_finite()),
            _ => None,
        }
    }

    /// A short name of the kind of node, for error messages ("a sequence").
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::Uint(_) => "an integer",
            Value::Float(_) => "a number",
            Value::String(_) => "a string",
            Value::Seq(_) => "a sequence",
            Value::Map(_) => "a mapping",
        }
    }
}
