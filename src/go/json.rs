//! JSON as Go's `encoding/json` reads and writes it.
//!
//! `helm repo index --json` writes `json.MarshalIndent(index, "", "  ")`:
//! struct fields in declaration order, map keys in byte order, HTML-safe
//! escaping, two-space indentation and no trailing newline. Loading prefers
//! JSON when the whole file is valid JSON, and then, unlike YAML, does not
//! coerce numbers into strings; [`parse`] keeps that distinction by decoding
//! every JSON number as a float, as Go's `interface{}` does.

use std::io::{self, Write};

use crate::go::strconv;
use crate::go::yaml::Value;

/// `encoding/json`'s `maxNestingDepth`: `json.Valid` refuses arrays and
/// objects nested deeper than this.
const MAX_DEPTH: usize = 10_000;

/// Parses `text` if it is valid JSON (Go's `json.Valid`), else `None`, into
/// what `json.Unmarshal` gives an `interface{}`: every number a float (one
/// beyond `f64`'s range becomes an infinity), a lone UTF-16 surrogate in a
/// `\u` escape U+FFFD, and each object's members in document order.
///
/// The parser keeps its own stack of open containers, so nesting up to Go's
/// limit of 10,000 levels costs heap, not call stack, and anything deeper is
/// refused as Go refuses it.
pub fn parse(text: &str) -> Option<Value> {
    let trimmed = text.trim_start_matches(WS);
    // Only objects and arrays can be an index; checking the first byte keeps
    // YAML files from paying for a failed JSON parse.
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return None;
    }
    Parser {
        b: text.as_bytes(),
        text,
        pos: 0,
    }
    .document()
}

const WS: [char; 4] = [' ', '\t', '\n', '\r'];

/// An open array, or an open object and the key of its next member.
enum Open {
    Array(Vec<Value>),
    Object(Vec<(String, Value)>, String),
}

struct Parser<'a> {
    b: &'a [u8],
    text: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.pos) {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        self.ws();
        (self.peek()? == c).then(|| self.pos += 1)
    }

    fn document(mut self) -> Option<Value> {
        let mut stack: Vec<Open> = Vec::new();
        'value: loop {
            self.ws();
            let mut done = match self.peek()? {
                c @ (b'[' | b'{') => {
                    if stack.len() >= MAX_DEPTH {
                        return None;
                    }
                    self.pos += 1;
                    self.ws();
                    if c == b'[' {
                        if self.peek()? == b']' {
                            self.pos += 1;
                            Value::Seq(Vec::new())
                        } else {
                            stack.push(Open::Array(Vec::new()));
                            continue 'value;
                        }
                    } else if self.peek()? == b'}' {
                        self.pos += 1;
                        Value::Map(Vec::new())
                    } else {
                        let key = self.key()?;
                        stack.push(Open::Object(Vec::new(), key));
                        continue 'value;
                    }
                }
                b'"' => Value::String(self.string()?),
                b't' => self.literal("true", Value::Bool(true))?,
                b'f' => self.literal("false", Value::Bool(false))?,
                b'n' => self.literal("null", Value::Null)?,
                b'-' | b'0'..=b'9' => self.number()?,
                _ => return None,
            };
            // Hand the finished value to its container, closing every
            // container it completes.
            loop {
                self.ws();
                match stack.last_mut() {
                    None => return (self.pos == self.b.len()).then_some(done),
                    Some(Open::Array(items)) => {
                        items.push(done);
                        match self.peek()? {
                            b',' => {
                                self.pos += 1;
                                continue 'value;
                            }
                            b']' => {
                                self.pos += 1;
                                let Some(Open::Array(items)) = stack.pop() else {
                                    return None;
                                };
                                done = Value::Seq(items);
                            }
                            _ => return None,
                        }
                    }
                    Some(Open::Object(members, key)) => {
                        members.push((std::mem::take(key), done));
                        match self.peek()? {
                            b',' => {
                                self.pos += 1;
                                self.ws();
                                *key = self.key()?;
                                continue 'value;
                            }
                            b'}' => {
                                self.pos += 1;
                                let Some(Open::Object(members, _)) = stack.pop() else {
                                    return None;
                                };
                                done = Value::Map(members);
                            }
                            _ => return None,
                        }
                    }
                }
            }
        }
    }

    /// A member's key and its colon.
    fn key(&mut self) -> Option<String> {
        if self.peek()? != b'"' {
            return None;
        }
        let k = self.string()?;
        self.eat(b':')?;
        Some(k)
    }

    fn literal(&mut self, word: &str, v: Value) -> Option<Value> {
        self.b[self.pos..].starts_with(word.as_bytes()).then(|| {
            self.pos += word.len();
            v
        })
    }

    /// `-? (0 | [1-9][0-9]*) (\.[0-9]+)? ([eE][+-]?[0-9]+)?`
    fn number(&mut self) -> Option<Value> {
        let start = self.pos;
        let digits = |p: &mut Self| {
            let from = p.pos;
            while let Some(b'0'..=b'9') = p.peek() {
                p.pos += 1;
            }
            p.pos > from
        };
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek()? {
            b'0' => self.pos += 1,
            b'1'..=b'9' => {
                digits(self);
            }
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !digits(self) {
                return None;
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if !digits(self) {
                return None;
            }
        }
        self.text[start..self.pos]
            .parse::<f64>()
            .ok()
            .map(Value::Float)
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        let h = self.b.get(at..at + 4)?;
        if !h.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok()
    }

    /// A string literal, unquoted as Go's `unquote` does it.
    fn string(&mut self) -> Option<String> {
        self.pos += 1; // the opening quote
        let mut out = String::new();
        loop {
            let from = self.pos;
            while let Some(&c) = self.b.get(self.pos) {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(&self.text[from..self.pos]);
            match self.peek()? {
                b'"' => {
                    self.pos += 1;
                    return Some(out);
                }
                b'\\' => {
                    let c = *self.b.get(self.pos + 1)?;
                    self.pos += 2;
                    match c {
                        b'"' | b'\\' | b'/' => out.push(c as char),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let r = self.hex4(self.pos)?;
                            self.pos += 4;
                            let ch = if (0xD800..0xE000).contains(&r) {
                                // A valid pair is consumed whole; anything
                                // else is one replacement character.
                                let low = (r < 0xDC00 && self.b[self.pos..].starts_with(b"\\u"))
                                    .then(|| self.hex4(self.pos + 2))
                                    .flatten()
                                    .filter(|l| (0xDC00..0xE000).contains(l));
                                match low {
                                    Some(l) => {
                                        self.pos += 6;
                                        char::from_u32(
                                            0x10000 + ((r - 0xD800) << 10) + (l - 0xDC00),
                                        )
                                    }
                                    None => Some('\u{fffd}'),
                                }
                            } else {
                                char::from_u32(r)
                            };
                            out.push(ch?);
                        }
                        _ => return None,
                    }
                }
                _ => return None, // a control character
            }
        }
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
    fn parse_follows_go_validity() {
        for bad in [
            "[01]",
            "[1.]",
            "[-]",
            "[.5]",
            "[1e]",
            "[+1]",
            "[\"a\u{1}\"]",
            "[\"\\x\"]",
            "[\"\\u12\"]",
            "[1] x",
            "[1,]",
            "{\"a\" 1}",
            "{1: 2}",
            "[tru]",
            "[nul]",
            "[\"a]",
            "\u{feff}[]",
        ] {
            assert!(parse(bad).is_none(), "{bad:?}");
        }
        let v = parse("\n[-0.5e+2, 1E3, 0, \"\\\"\\\\\\/\\b\\f\\n\\r\\t\", {}, [], false]\r\n")
            .unwrap();
        assert_eq!(
            v,
            Value::Seq(vec![
                Value::Float(-50.0),
                Value::Float(1000.0),
                Value::Float(0.0),
                Value::String("\"\\/\u{8}\u{c}\n\r\t".into()),
                Value::Map(vec![]),
                Value::Seq(vec![]),
                Value::Bool(false),
            ])
        );
        // Out of f64's range: an infinity, as Go's scanner accepts it.
        assert_eq!(
            parse("[1e999]"),
            Some(Value::Seq(vec![Value::Float(f64::INFINITY)]))
        );
        // Surrogates: a pair is one character, a lone half U+FFFD.
        let s = |t: &str| match parse(t) {
            Some(Value::Seq(v)) => match &v[..] {
                [Value::String(s)] => s.clone(),
                _ => panic!(),
            },
            _ => panic!("{t}"),
        };
        assert_eq!(s("[\"\\ud83d\\ude00\"]"), "\u{1f600}");
        assert_eq!(s("[\"\\ud83dx\"]"), "\u{fffd}x");
        assert_eq!(s("[\"\\ude00\\ud83d\"]"), "\u{fffd}\u{fffd}");
        assert_eq!(s("[\"\\ud83d\\u0041\"]"), "\u{fffd}A");
        assert_eq!(s("[\"\\u00e9\u{e9}\"]"), "\u{e9}\u{e9}");
        // Members stay in document order, duplicates included.
        assert_eq!(
            parse("{\"b\": 1, \"a\": 2, \"b\": 3}"),
            Some(Value::Map(vec![
                ("b".into(), Value::Float(1.0)),
                ("a".into(), Value::Float(2.0)),
                ("b".into(), Value::Float(3.0)),
            ]))
        );
    }

    /// encoding/json's `maxNestingDepth`: 10,000 levels parse, one more does
    /// not, and far deeper input is refused without using the call stack.
    /// (Dropping a 10,000-level value recurses: the stack of a worker.)
    #[test]
    fn nesting_is_bounded_as_in_go() {
        let run = || {
            let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
            assert!(parse(&nested(MAX_DEPTH)).is_some());
            assert!(parse(&nested(MAX_DEPTH + 1)).is_none());
            let objects = |n: usize| format!("{}1{}", "{\"a\":".repeat(n), "}".repeat(n));
            assert!(parse(&objects(MAX_DEPTH)).is_some());
            assert!(parse(&objects(MAX_DEPTH + 1)).is_none());
            let start = std::time::Instant::now();
            assert!(parse(&nested(100_000)).is_none());
            assert!(parse(&"[".repeat(1_000_000)).is_none());
            assert!(start.elapsed() < std::time::Duration::from_secs(2));
        };
        std::thread::Builder::new()
            .stack_size(8 << 20)
            .spawn(run)
            .unwrap()
            .join()
            .unwrap();
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
