//! Decoding a [`Value`] into Helm's Go structs, with Go's exact leniency.
//!
//! Helm decodes YAML through sigs.k8s.io/yaml: YAML becomes JSON, numbers and
//! booleans headed for a string field become strings (`appVersion: 1.10` is
//! "1.1"), and `encoding/json` then matches keys case-insensitively and either
//! ignores unknown keys (Chart.yaml) or refuses them (`UnmarshalStrict`, index
//! files). A file that is valid JSON skips the YAML step and gets no coercion.
//! These rules decide which charts Helm indexes and which index files it
//! accepts, so every decoder in this crate goes through this module.

use thiserror::Error;

use crate::go::strconv;
use crate::go::yaml::Value;

/// Where the value came from, which decides scalar coercion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Through sigs.k8s.io/yaml: scalars are coerced into string fields.
    Yaml,
    /// Straight `encoding/json`: no coercion.
    Json,
    /// Through sigs.k8s.io/yaml, but into a field its conversion does not
    /// see as a string (one promoted from an embedded pointer): keys in Go
    /// map order, and no coercion.
    YamlUncoerced,
}

/// A decoding failure, worded like Go's `json.UnmarshalTypeError`.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DecodeError {
    #[error("cannot unmarshal {found} into field {field} of type {want}")]
    Type {
        found: &'static str,
        field: String,
        want: &'static str,
    },
    #[error("unknown field {0:?}")]
    UnknownField(String),
    #[error("unsupported {0}")]
    Unsupported(String),
}

/// Decoding context: origin and strictness (unknown fields are errors).
#[derive(Debug, Clone, Copy)]
pub struct Ctx {
    pub origin: Origin,
    pub strict: bool,
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Int(_) | Value::Uint(_) | Value::Float(_) => "number",
        Value::String(_) => "string",
        Value::Seq(_) => "array",
        Value::Map(_) => "object",
    }
}

fn type_err(v: &Value, field: &str, want: &'static str) -> DecodeError {
    DecodeError::Type {
        found: json_kind(v),
        field: field.to_string(),
        want,
    }
}

impl Ctx {
    /// The entries of an object in the order Go's decoder sees them: for YAML
    /// the keys went through a Go map and `json.Marshal`, hence byte order;
    /// JSON keeps document order. Later duplicates win either way. The value
    /// is consumed, so its strings move into the decoded structs.
    pub fn object(
        &self,
        v: Value,
        field: &str,
        want: &'static str,
    ) -> Result<Option<Vec<(String, Value)>>, DecodeError> {
        match v {
            Value::Null => Ok(None),
            Value::Map(mut m) => {
                if self.origin != Origin::Json && !m.is_sorted_by(|a, b| a.0 <= b.0) {
                    m.sort_by(|a, b| a.0.cmp(&b.0));
                }
                Ok(Some(m))
            }
            other => Err(type_err(&other, field, want)),
        }
    }

    /// A string field. `None` means JSON null: the field keeps its value.
    pub fn string(&self, v: Value, field: &str) -> Result<Option<String>, DecodeError> {
        match (v, self.origin) {
            (Value::Null, _) => Ok(None),
            (Value::String(s), _) => Ok(Some(s)),
            (Value::Int(i), Origin::Yaml) => Ok(Some(i.to_string())),
            (Value::Uint(u), Origin::Yaml) => Ok(Some(u.to_string())),
            (Value::Float(f), Origin::Yaml) => Ok(Some(strconv::format_float(f, 32))),
            (Value::Bool(b), Origin::Yaml) => Ok(Some(b.to_string())),
            (other, _) => Err(type_err(&other, field, "string")),
        }
    }

    /// A bool field; strings are never coerced into bools.
    pub fn bool(&self, v: &Value, field: &str) -> Result<Option<bool>, DecodeError> {
        match v {
            Value::Null => Ok(None),
            Value::Bool(b) => Ok(Some(*b)),
            other => Err(type_err(other, field, "bool")),
        }
    }

    /// A `[]string` field. `Ok(None)` is null, which sets the slice to nil.
    pub fn strings(&self, v: Value, field: &str) -> Result<Option<Vec<String>>, DecodeError> {
        match v {
            Value::Null => Ok(None),
            Value::Seq(items) => items
                .into_iter()
                .map(|i| self.string(i, field).map(Option::unwrap_or_default))
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            other => Err(type_err(&other, field, "[]string")),
        }
    }

    /// A `map[string]string` field, merged into `into` as encoding/json does
    /// with an existing map. Null values store "".
    pub fn string_map(
        &self,
        v: Value,
        field: &str,
        into: &mut Option<Vec<(String, String)>>,
    ) -> Result<(), DecodeError> {
        let Some(entries) = self.object(v, field, "map[string]string")? else {
            *into = None;
            return Ok(());
        };
        let map = into.get_or_insert_with(Vec::new);
        for (k, val) in entries {
            let s = self.string(val, field)?.unwrap_or_default();
            match map.iter_mut().find(|(mk, _)| *mk == k) {
                Some(slot) => slot.1 = s,
                None => map.push((k, s)),
            }
        }
        Ok(())
    }

    /// Rejects an unknown key in strict mode; ignores it otherwise.
    pub fn unknown(&self, key: &str) -> Result<(), DecodeError> {
        if self.strict {
            Err(DecodeError::UnknownField(key.to_string()))
        } else {
            Ok(())
        }
    }
}

/// The Go type a YAML value is headed for, as far as sigs.k8s.io/yaml's
/// conversion to JSON cares: a number headed for a `string` becomes a
/// string (`strconv.FormatFloat(f, 'g', -1, 32)`: `+Inf`, `-Inf`, `NaN`),
/// anything else stays a number, and `json.Marshal` then fails on a NaN or
/// an infinity.
#[derive(Debug)]
pub enum Shape {
    Str,
    /// `[]T`.
    List(&'static Shape),
    /// `map[string]T`.
    MapOf(&'static Shape),
    /// A struct: (JSON name, field type), matched as encoding/json matches.
    Struct(&'static [(&'static str, Shape)]),
    /// Anything else: `bool`, `interface{}`, types with their own decoder.
    Other,
}

/// The NaN or infinity (named as `json.Marshal` names it) that would make
/// sigs.k8s.io/yaml refuse `v` decoded into `shape`, if any.
pub fn non_finite_for(v: &Value, shape: &Shape) -> Option<&'static str> {
    match (v, shape) {
        (Value::Seq(items), Shape::List(elem)) => {
            items.iter().find_map(|i| non_finite_for(i, elem))
        }
        (Value::Map(m), Shape::MapOf(elem)) => m.iter().find_map(|(_, i)| non_finite_for(i, elem)),
        (Value::Map(m), Shape::Struct(fields)) => {
            let names: Vec<&str> = fields.iter().map(|(n, _)| *n).collect();
            m.iter().find_map(|(k, i)| match match_field(k, &names) {
                Some(n) => {
                    let (_, f) = fields.iter().find(|(name, _)| *name == n)?;
                    non_finite_for(i, f)
                }
                None => i.non_finite(),
            })
        }
        (Value::Seq(_) | Value::Map(_), _) => v.non_finite(),
        (_, Shape::Str) => None,
        _ => v.non_finite(),
    }
}

/// encoding/json's field lookup: an exact name first, else the first field
/// whose name is equal ignoring case.
pub fn match_field<'f>(key: &str, fields: &[&'f str]) -> Option<&'f str> {
    fields
        .iter()
        .find(|f| **f == key)
        .or_else(|| fields.iter().find(|f| f.eq_ignore_ascii_case(key)))
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    const YAML: Ctx = Ctx {
        origin: Origin::Yaml,
        strict: false,
    };
    const JSON: Ctx = Ctx {
        origin: Origin::Json,
        strict: true,
    };

    #[test]
    fn non_finite_numbers_are_strings_only_where_a_string_goes() {
        static S: Shape = Shape::Struct(&[
            ("name", Shape::Str),
            ("keywords", Shape::List(&Shape::Str)),
            ("any", Shape::Other),
        ]);
        let doc = |k: &str, v: Value| Value::Map(vec![(k.to_string(), v)]);
        let inf = Value::Float(f64::INFINITY);
        assert_eq!(non_finite_for(&doc("name", inf.clone()), &S), None);
        assert_eq!(non_finite_for(&doc("NAME", inf.clone()), &S), None);
        let kw = doc("keywords", Value::Seq(vec![Value::Float(f64::NAN)]));
        assert_eq!(non_finite_for(&kw, &S), None);
        assert_eq!(non_finite_for(&doc("any", inf.clone()), &S), Some("+Inf"));
        assert_eq!(
            non_finite_for(&doc("unknown", inf.clone()), &S),
            Some("+Inf")
        );
        let nested = doc("name", Value::Seq(vec![Value::Float(f64::NEG_INFINITY)]));
        assert_eq!(non_finite_for(&nested, &S), Some("-Inf"));
        assert_eq!(strconv::format_float(f64::NAN, 32), "NaN");
        assert_eq!(strconv::format_float(f64::INFINITY, 32), "+Inf");
    }

    #[test]
    fn yaml_scalars_coerce_into_strings() {
        assert_eq!(YAML.string(Value::Float(1.1), "f").unwrap().unwrap(), "1.1");
        assert_eq!(YAML.string(Value::Int(7), "f").unwrap().unwrap(), "7");
        assert_eq!(
            YAML.string(Value::Bool(true), "f").unwrap().unwrap(),
            "true"
        );
        assert_eq!(YAML.string(Value::Null, "f").unwrap(), None);
    }

    #[test]
    fn json_numbers_do_not_coerce() {
        assert!(JSON.string(Value::Float(1.0), "version").is_err());
        assert!(YAML
            .bool(&Value::String("true".into()), "deprecated")
            .is_err());
    }

    #[test]
    fn fields_match_case_insensitively() {
        let fields = ["name", "apiVersion"];
        assert_eq!(match_field("APIVERSION", &fields), Some("apiVersion"));
        assert_eq!(match_field("name", &fields), Some("name"));
        assert_eq!(match_field("nam", &fields), None);
    }

    #[test]
    fn unknown_fields_fail_only_when_strict() {
        assert!(YAML.unknown("x").is_ok());
        assert!(JSON.unknown("x").is_err());
    }
}
