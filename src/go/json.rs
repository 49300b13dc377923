//! JSON as Go's `encoding/json` reads and writes it.
//!
//! `helm repo index --json` writes `json.MarshalIndent(index, "", "  ")`:
//! struct fields in declaration order, map keys in byte order, HTML-safe
//! escaping, two-space indentation and no trailing newline. Loading prefers
//! JSON when the whole file is valid JSON, and then, unlike YAML, does not
//! coerce numbers into strings; [`parse`] keeps that distinction by decoding
//! every JSON number as a float, as Go's `interface{}` does.

use std::io::{self, Write};

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::go::strconv;
use crate::go::yaml::Value;

/// Parses `text` if it is valid JSON (Go's `json.Valid`), else `None`.
pub fn parse(text: &str) -> Option<Value> {
    let trimmed = text.trim_start_matches([' ', '\t', '\n', '\r']);
    // Only objects and arrays can be an index; checking the first byte keeps
    // YAML files from paying for a failed JSON parse.
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return None;
    }
    serde_json::from_str::<JsonValue>(text).ok().map(|j| j.0)
}

struct JsonValue(Value);

impl<'de> Deserialize<'de> for JsonValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(JsonVisitor).map(JsonValue)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("JSON")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }
    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Float(n as f64))
    }
    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Float(n as f64))
    }
    fn visit_f64<E>(self, n: f64) -> Result<Value, E> {
        Ok(Value::Float(n))
    }
    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_string()))
    }
    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut v = Vec::new();
        while let Some(JsonValue(x)) = seq.next_element()? {
            v.push(x);
        }
        Ok(Value::Seq(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut m = Vec::new();
        while let Some((k, JsonValue(v))) = map.next_entry::<String, JsonValue>()? {
            m.push((k, v));
        }
        Ok(Value::Map(m))
    }
}

/// A streaming writer with `json.MarshalIndent(v, "", "  ")` layout.
pub struct Writer<W: Write> {
    out: W,
    /// One flag per open container: has it received an element yet?
    stack: Vec<bool>,
    after_key: bool,
    /// `json.Marshal` layout: no newlines, no space after `:`.
    compact: bool,
}

impl<W: Write> Writer<W> {
    pub fn new(out: W) -> Self {
        Writer {
            out,
            stack: Vec::new(),
            after_key: false,
            compact: false,
        }
    }

    /// A writer with `json.Marshal(v)` layout, as OCI manifests and Helm's
    /// chart config blob are written.
    pub fn compact(out: W) -> Self {
        Writer {
            compact: true,
            ..Writer::new(out)
        }
    }

    /// Returns the writer; Go writes no trailing newline.
    pub fn finish(self) -> W {
        self.out
    }

    fn newline_indent(&mut self) -> io::Result<()> {
        if self.compact {
            return Ok(());
        }
        self.out.write_all(b"\n")?;
        for _ in 0..self.stack.len() {
            self.out.write_all(b"  ")?;
        }
        Ok(())
    }

    /// Positions for a new element: after a key nothing, in an array a
    /// separator and a fresh indented line.
    fn element(&mut self) -> io::Result<()> {
        if self.after_key {
            self.after_key = false;
            return Ok(());
        }
        if let Some(first) = self.stack.last_mut() {
            let had = std::mem::replace(first, true);
            if had {
                self.out.write_all(b",")?;
            }
            self.newline_indent()?;
        }
        Ok(())
    }

    pub fn begin_object(&mut self) -> io::Result<()> {
        self.element()?;
        self.out.write_all(b"{")?;
        self.stack.push(false);
        Ok(())
    }

    pub fn begin_array(&mut self) -> io::Result<()> {
        self.element()?;
        self.out.write_all(b"[")?;
        self.stack.push(false);
        Ok(())
    }

    fn end(&mut self, close: &[u8]) -> io::Result<()> {
        let had = self.stack.pop().unwrap_or(false);
        if had {
            self.newline_indent()?;
        }
        self.out.write_all(close)
    }

    pub fn end_object(&mut self) -> io::Result<()> {
        self.end(b"}")
    }

    pub fn end_array(&mut self) -> io::Result<()> {
        self.end(b"]")
    }

    /// An object key; the value must follow.
    pub fn key(&mut self, k: &str) -> io::Result<()> {
        self.element()?;
        write_string(&mut self.out, k)?;
        self.out
            .write_all(if self.compact { b":" } else { b": " })?;
        self.after_key = true;
        Ok(())
    }

    pub fn string(&mut self, s: &str) -> io::Result<()> {
        self.element()?;
        write_string(&mut self.out, s)
    }

    pub fn bool(&mut self, b: bool) -> io::Result<()> {
        self.element()?;
        self.out.write_all(if b { b"true" } else { b"false" })
    }

    pub fn null(&mut self) -> io::Result<()> {
        self.element()?;
        self.out.write_all(b"null")
    }

    /// A generic value, maps with keys in byte order (Go map marshalling).
    pub fn value(&mut self, v: &Value) -> io::Result<()> {
        match v {
            Value::Null => self.null(),
            Value::Bool(b) => self.bool(*b),
            Value::Int(i) => {
                self.element()?;
                write!(self.out, "{i}")
            }
            Value::Uint(u) => {
                self.element()?;
                write!(self.out, "{u}")
            }
            Value::Float(f) => {
                let s = strconv::format_json_float(*f).ok_or_else(|| {
                    io::Error::new(io::ErrorKind::InvalidData, "unsupported value: NaN or Inf")
                })?;
                self.element()?;
                self.out.write_all(s.as_bytes())
            }
            Value::String(s) => self.string(s),
            Value::Seq(items) => {
                self.begin_array()?;
                for i in items {
                    self.value(i)?;
                }
                self.end_array()
            }
            Value::Map(entries) => {
                let mut sorted: Vec<&(String, Value)> = entries.iter().collect();
                sorted.sort_by(|a, b| a.0.cmp(&b.0));
                self.begin_object()?;
                for (k, v) in sorted {
                    self.key(k)?;
                    self.value(v)?;
                }
                self.end_object()
            }
        }
    }
}

/// Go's `encodeState.string` with HTML escaping on (the json.Marshal default).
fn write_string<W: Write>(out: &mut W, s: &str) -> io::Result<()> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.write_all(b"\"")?;
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let esc: Option<&[u8]> = match c {
            '"' => Some(b"\\\""),
            '\\' => Some(b"\\\\"),
            '\n' => Some(b"\\n"),
            '\r' => Some(b"\\r"),
            '\t' => Some(b"\\t"),
            '\u{8}' => Some(b"\\b"),
            '\u{c}' => Some(b"\\f"),
            _ => None,
        };
        let needs_hex = matches!(
            c,
            '\u{0}'..='\u{1f}' | '<' | '>' | '&' | '\u{2028}' | '\u{2029}'
        );
        if esc.is_none() && !needs_hex {
            continue;
        }
        out.write_all(&bytes[start..i])?;
        match esc {
            Some(e) => out.write_all(e)?,
            None => {
                let n = c as u32;
                let buf = [
                    b'\\',
                    b'u',
                    HEX[(n >> 12 & 0xf) as usize],
                    HEX[(n >> 8 & 0xf) as usize],
                    HEX[(n >> 4 & 0xf) as usize],
                    HEX[(n & 0xf) as usize],
                ];
                out.write_all(&buf)?;
            }
        }
        start = i + c.len_utf8();
    }
    out.write_all(&bytes[start..])?;
    out.write_all(b"\"")
}

/// A Go string (any bytes) as `encoding/json` writes it: each byte that
/// does not start a valid UTF-8 sequence becomes U+FFFD, one per byte as
/// Go's `utf8.DecodeRune` consumes them (Rust's lossy conversion replaces a
/// truncated sequence once).
pub fn lossy(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() + 8);
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                out.push_str(s);
                return out;
            }
            Err(err) => {
                let (good, bad) = rest.split_at(err.valid_up_to());
                out.push_str(std::str::from_utf8(good).unwrap_or_default());
                out.push('\u{fffd}');
                rest = bad.get(1..).unwrap_or_default();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(f: impl FnOnce(&mut Writer<Vec<u8>>) -> io::Result<()>) -> String {
        let mut w = Writer::new(Vec::new());
        f(&mut w).unwrap();
        String::from_utf8(w.finish()).unwrap()
    }

    #[test]
    fn marshal_indent_layout() {
        let s = render(|w| {
            w.begin_object()?;
            w.key("apiVersion")?;
            w.string("v1")?;
            w.key("entries")?;
            w.begin_object()?;
            w.key("a")?;
            w.begin_array()?;
            w.begin_object()?;
            w.key("urls")?;
            w.null()?;
            w.key("keywords")?;
            w.begin_array()?;
            w.end_array()?;
            w.end_object()?;
            w.end_array()?;
            w.end_object()?;
            w.key("empty")?;
            w.begin_object()?;
            w.end_object()?;
            w.end_object()
        });
        assert_eq!(
            s,
            "{\n  \"apiVersion\": \"v1\",\n  \"entries\": {\n    \"a\": [\n      {\n        \"urls\": null,\n        \"keywords\": []\n      }\n    ]\n  },\n  \"empty\": {}\n}"
        );
    }

    #[test]
    fn html_and_control_escaping() {
        let s = render(|w| w.string("a<b>&\"\\\n\t\r\u{8}\u{c}\u{1}\u{2028}é"));
        assert_eq!(
            s,
            "\"a\\u003cb\\u003e\\u0026\\\"\\\\\\n\\t\\r\\b\\f\\u0001\\u2028é\""
        );
    }

    #[test]
    fn generic_maps_sort_by_bytes() {
        let v = Value::Map(vec![
            ("b".into(), Value::Int(1)),
            ("B".into(), Value::Bool(true)),
            ("a".into(), Value::Seq(vec![Value::Float(1.5), Value::Null])),
        ]);
        let s = render(|w| w.value(&v));
        assert_eq!(
            s,
            "{\n  \"B\": true,\n  \"a\": [\n    1.5,\n    null\n  ],\n  \"b\": 1\n}"
        );
    }

    #[test]
    fn parse_detects_json_only() {
        assert!(parse("apiVersion: v1\n").is_none());
        assert!(parse("{\"a\": 1,}").is_none());
        let v = parse(" {\"a\": [1, \"x\", null, true]}").unwrap();
        assert_eq!(
            v,
            Value::Map(vec![(
                "a".into(),
                Value::Seq(vec![
                    Value::Float(1.0),
                    Value::String("x".into()),
                    Value::Null,
                    Value::Bool(true)
                ])
            )])
        );
    }

    #[test]
    fn lossy_replaces_each_invalid_byte() {
        assert_eq!(lossy(b"caf\xe9"), "caf\u{fffd}");
        assert_eq!(lossy(b"x\xe9\x80-"), "x\u{fffd}\u{fffd}-");
        assert_eq!(lossy("é".as_bytes()), "é");
    }
}
