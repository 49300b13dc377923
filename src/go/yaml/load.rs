//! Loading YAML the way Helm does: gopkg.in/yaml.v2 v2.4.0 `Unmarshal` (or
//! `UnmarshalStrict`) into an `interface{}`, then sigs.k8s.io/yaml v1.4.0
//! `convertToJSONableObject`, which turns every mapping key into a string.
//!
//! Ported from yaml.v2's decode.go (node decoding, merge keys, aliases and
//! the alias-expansion limits), with checks from its libyaml-derived
//! readerc.go, parserc.go and scannerc.go, and from sigs.k8s.io/yaml's
//! yaml.go (key conversion). yaml.v2 is Copyright 2011-2016 Canonical Ltd.,
//! Apache License 2.0; its libyaml-derived parts are Copyright (c) 2006-2010
//! Kirill Simonov, MIT licence. sigs.k8s.io/yaml is Copyright (c) 2014 Sam
//! Ghods and The Kubernetes Authors, MIT licence and Apache License 2.0.
//! The event stream comes from saphyr-parser.

use std::borrow::Cow;
use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};

use super::resolve::{self, Scalar, MERGE_TAG};
use super::value::Value;

/// How to load.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadOptions {
    /// yaml.v2 `UnmarshalStrict`: a mapping key given twice is an error.
    pub strict: bool,
    /// Refuse anchors and aliases ([`Error::is_anchor`]): for callers that
    /// load parts of one document separately, where they would not resolve.
    pub no_anchors: bool,
    /// Nesting levels already used by an enclosing document (see
    /// `no_anchors`), so that the depth limit applies as to the whole.
    pub depth_base: usize,
}

/// Why a document was refused; the text follows yaml.v2's wording.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    message: String,
    line: Option<usize>,
    anchor: bool,
}

impl Error {
    /// The 1-based line the problem was found on, when known.
    pub fn line(&self) -> Option<usize> {
        self.line
    }

    /// Whether this is the refusal asked for with [`LoadOptions::no_anchors`].
    pub fn is_anchor(&self) -> bool {
        self.anchor
    }

    fn at(line: usize, what: impl std::fmt::Display) -> Error {
        Error {
            message: format!("yaml: line {line}: {what}"),
            line: Some(line),
            anchor: false,
        }
    }

    fn plain(message: String) -> Error {
        Error {
            message,
            line: None,
            anchor: false,
        }
    }

    fn yaml(what: impl std::fmt::Display) -> Error {
        Error::plain(format!("yaml: {what}"))
    }
}

/// scannerc.go's `max_indents` / `max_flow_level`: yaml.v2 refuses nesting
/// deeper than this. It also keeps the recursive drop of a [`Value`] shallow.
const MAX_DEPTH: usize = 10_000;

/// A hard bound (ours, on top of yaml.v2's ratio rule) on the nodes produced
/// by alias expansion, so that memory stays bounded whatever the input.
const MAX_ALIAS_NODES: u64 = 1_000_000;

/// decode.go `alias_ratio_range_low` / `alias_ratio_range_high`.
const ALIAS_RATIO_RANGE_LOW: u64 = 400_000;
const ALIAS_RATIO_RANGE_HIGH: u64 = 4_000_000;

/// decode.go `allowedAliasRatio`.
fn allowed_alias_ratio(decode_count: u64) -> f64 {
    if decode_count <= ALIAS_RATIO_RANGE_LOW {
        0.99
    } else if decode_count >= ALIAS_RATIO_RANGE_HIGH {
        0.10
    } else {
        0.99 - 0.89
            * ((decode_count - ALIAS_RATIO_RANGE_LOW) as f64
                / (ALIAS_RATIO_RANGE_HIGH - ALIAS_RATIO_RANGE_LOW) as f64)
    }
}

/// Parses the first YAML document in `text` into the value Go code gets from
/// sigs.k8s.io/yaml (yaml.v2 decoding into `interface{}` followed by
/// `convertToJSONableObject`). Empty input, or input with only comments,
/// gives [`Value::Null`].
pub fn load(text: &str, opts: LoadOptions) -> Result<Value, Error> {
    let original = text;
    let text = text.strip_prefix(BOM).unwrap_or(text);
    check_characters(text)?;
    let text = &*yaml11_breaks(text);
    check_prologue(text)?;
    // saphyr-parser, a YAML 1.2 parser, refuses a byte order mark inside a
    // document; yaml.v2 reads it as an ordinary character. It is handed over
    // as U+FFFE, which check_characters has just refused in the input, and
    // turned back in every scalar.
    let with_boms;
    let boms = check_boms(original)?;
    let text = if boms {
        with_boms = text.replace(BOM, "\u{fffe}");
        with_boms.as_str()
    } else {
        text
    };
    let mut decoder = Decoder {
        strict: opts.strict,
        depth_base: opts.depth_base,
        stack: Vec::new(),
        anchors: Vec::new(),
        // decode.go counts the document node itself.
        decode_count: 1,
        alias_count: 0,
        dup_errors: Vec::new(),
        dup_line: None,
        root: None,
        seq_pool: Vec::new(),
        map_pool: Vec::new(),
    };
    let mut parser = Parser::new_from_str(text);
    let events = std::iter::from_fn(move || Some(parser.next_event()));
    if boms {
        let events = events.map(|item| match item {
            Some(Ok((Event::Scalar(v, style, anchor, tag), span))) if v.contains(BOM_STAND_IN) => {
                let v = Cow::Owned(v.replace(BOM_STAND_IN, "\u{feff}"));
                Some(Ok((Event::Scalar(v, style, anchor, tag), span)))
            }
            other => other,
        });
        drive(&mut decoder, text, events, opts.no_anchors)?;
    } else {
        drive(&mut decoder, text, events, opts.no_anchors)?;
    }
    if !decoder.dup_errors.is_empty() {
        return Err(Error {
            message: format!(
                "yaml: unmarshal errors:\n  {}",
                decoder.dup_errors.join("\n  ")
            ),
            line: decoder.dup_line,
            anchor: false,
        });
    }
    match decoder.root.take() {
        None => Ok(Value::Null),
        Some((_, true)) => Err(Error::plain(
            "unsupported map key: null and uint64 keys cannot be converted to JSON".into(),
        )),
        Some((node, false)) => Ok(node.into_value()),
    }
}

type Item<'a> = Option<Result<(Event<'a>, Span), saphyr_parser::ScanError>>;

/// Feeds parser events to the decoder until the first document ends.
fn drive<'a>(
    decoder: &mut Decoder,
    text: &'a str,
    events: impl Iterator<Item = Item<'a>>,
    no_anchors: bool,
) -> Result<(), Error> {
    let mut started = false;
    let mut total_chars: Option<usize> = None;
    for item in events {
        let (event, span) = match item {
            None => break,
            Some(Ok(x)) => x,
            Some(Err(e)) => return Err(Error::at(e.marker().line(), e.info())),
        };
        if no_anchors
            && matches!(
                event,
                Event::Alias(_)
                    | Event::Scalar(_, _, 1.., _)
                    | Event::MappingStart(1.., _)
                    | Event::SequenceStart(1.., _)
            )
        {
            return Err(Error {
                message: "yaml: anchors and aliases are not allowed here".into(),
                line: Some(span.start.line()),
                anchor: true,
            });
        }
        match event {
            Event::StreamStart | Event::Nothing => {}
            Event::StreamEnd => break,
            Event::DocumentStart(_) => started = true,
            // yaml.v2 `Unmarshal` decodes the first document only.
            Event::DocumentEnd => break,
            Event::Scalar(text_value, style, anchor, tag)
                if started
                    && matches!(style, ScalarStyle::Literal | ScalarStyle::Folded)
                    && ends_without_break(text) =>
            {
                let total = *total_chars.get_or_insert_with(|| text.chars().count());
                let value = if span.end.index() == total {
                    strip_phantom_break(text_value, text)
                } else {
                    text_value
                };
                decoder.event(Event::Scalar(value, style, anchor, tag), span)?;
            }
            other if started => decoder.event(other, span)?,
            _ => {}
        }
    }
    Ok(())
}

/// YAML 1.1's line breaks that YAML 1.2 (saphyr-parser) reads as content:
/// NEL, LS and PS. yaml.v2 breaks lines on them everywhere and reads NEL as
/// a line feed (scannerc.go `read_line`), so each becomes a line feed here,
/// followed by as many spaces as its column: a continuation line of a
/// quoted or plain scalar, which libyaml takes at any indentation and
/// saphyr only indented, and whose leading spaces folding drops. (yaml.v2
/// keeps LS and PS themselves where it keeps a break; Helm turns them into
/// spaces in every field it sanitises.)
fn yaml11_breaks(text: &str) -> Cow<'_, str> {
    if !text.contains(['\u{85}', '\u{2028}', '\u{2029}']) {
        return Cow::Borrowed(text);
    }
    // The spaces added are bounded (1 MiB in all): a document of nothing
    // but these characters must not grow quadratically.
    let mut budget = 1usize << 20;
    let mut out = String::with_capacity(text.len() + 64);
    let mut column = 0usize;
    for c in text.chars() {
        match c {
            '\u{85}' | '\u{2028}' | '\u{2029}' => {
                out.push('\n');
                let n = column.max(1).min(budget);
                budget -= n;
                out.extend(std::iter::repeat_n(' ', n));
            }
            '\n' => {
                out.push(c);
                column = 0;
            }
            c => {
                out.push(c);
                column += 1;
            }
        }
    }
    Cow::Owned(out)
}

/// yaml.v2's reader (readerc.go) refuses characters outside YAML's printable
/// set anywhere in the input: C0 controls other than tab and line breaks,
/// DEL, C1 controls other than NEL, and U+FFFE/U+FFFF.
fn check_characters(text: &str) -> Result<(), Error> {
    let b = text.as_bytes();
    // Cheap, vectorisable screening of 64-byte blocks; only a block with a
    // control character or a possible C1/U+FFFx lead byte is looked at closely.
    let suspect = |c: u8| {
        (c < 0x20 && !matches!(c, b'\t' | b'\n' | b'\r')) | (c == 0x7f) | (c == 0xc2) | (c == 0xef)
    };
    for (n, block) in b.chunks(64).enumerate() {
        if !block.iter().fold(false, |acc, &c| acc | suspect(c)) {
            continue;
        }
        for i in n * 64..n * 64 + block.len() {
            let bad = match b.get(i) {
                Some(b'\t' | b'\n' | b'\r') => false,
                Some(0..=0x1f | 0x7f) => true,
                Some(0xc2) => b
                    .get(i + 1)
                    .is_some_and(|&c| (0x80..=0x9f).contains(&c) && c != 0x85),
                Some(0xef) => {
                    b.get(i + 1) == Some(&0xbf) && matches!(b.get(i + 2), Some(0xbe | 0xbf))
                }
                _ => false,
            };
            if bad {
                let line = 1 + b
                    .get(..i)
                    .map_or(0, |p| p.iter().filter(|&&c| c == b'\n').count());
                return Err(Error {
                    message: "yaml: control characters are not allowed".into(),
                    line: Some(line),
                    anchor: false,
                });
            }
        }
    }
    Ok(())
}

const BOM: char = '\u{feff}';
const BOM_STAND_IN: char = '\u{fffe}';

/// yaml.v2's reader (readerc.go) decodes its input 512 bytes at a time.
const READ_CHUNK: usize = 512;

/// Characters before a read boundary where a byte order mark can end up at
/// the start of yaml.v2's buffer: the scanner asks for at most 8 characters
/// at once (a `\U` escape), and what is left unread moves to the front.
const BOUNDARY_WINDOW: usize = 8;

/// Whether `text` (as the caller got it, leading byte order mark included)
/// has a U+FEFF that yaml.v2 reads as a character, and an error where its
/// reading of one cannot be reproduced.
///
/// yaml.v2 drops one leading byte order mark (the encoding check) and keeps
/// every other U+FEFF as an ordinary character of the scalar it is in. But
/// its scanner also skips "a BOM at the start of a line" with a check
/// (yamlprivateh.go `is_bom`) that looks at the start of its read buffer
/// instead of at the current character: when a U+FEFF sits there (right
/// after the leading one, or where a 512-byte read boundary lands on it),
/// each following line start loses a character, whatever it is, until the
/// buffer moves on. Those two placements are refused here rather than read
/// differently from Helm.
fn check_boms(text: &str) -> Result<bool, Error> {
    let rest = text.strip_prefix(BOM).unwrap_or(text);
    let skipped = text.len() - rest.len();
    if rest.starts_with(BOM) {
        return Err(Error::at(
            1,
            "more than one byte order mark at the start is not supported \
             (Helm's YAML reader then drops the first character of later lines)",
        ));
    }
    let mut boms = rest.match_indices(BOM).map(|(i, _)| i + skipped).peekable();
    if boms.peek().is_none() {
        return Ok(false);
    }
    // The reader fills 512 bytes, decodes the whole characters in them and
    // carries an incomplete one over to the next fill.
    let floor = |mut i: usize| {
        while !text.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let mut boundaries = std::iter::successors(Some(READ_CHUNK), |&r| Some(floor(r) + READ_CHUNK))
        .take_while(|&r| r < text.len())
        .map(floor)
        .peekable();
    for b in boms {
        while boundaries.next_if(|&p| p < b).is_some() {}
        let Some(&p) = boundaries.peek() else {
            break;
        };
        let from = text[..p]
            .char_indices()
            .rev()
            .nth(BOUNDARY_WINDOW - 1)
            .map_or(0, |(i, _)| i);
        if from <= b {
            let line = 1 + text[..b].bytes().filter(|&c| c == b'\n').count();
            return Err(Error::at(
                line,
                format_args!(
                    "a byte order mark (U+FEFF) at byte {b} is not supported: it falls on a \
                     512-byte read boundary of Helm's YAML reader, which then misreads the \
                     lines after it"
                ),
            ));
        }
    }
    let escaped = |t: &str| {
        let lower = t.to_ascii_lowercase();
        lower.contains("\\ufffe") || lower.contains("\\u0000fffe")
    };
    if escaped(rest) {
        return Err(Error::yaml(
            "a byte order mark (U+FEFF) together with an escaped U+FFFE is not supported",
        ));
    }
    Ok(true)
}

/// What yaml.v2's parser (parserc.go `yaml_parser_parse_document_start` and
/// `yaml_parser_process_directives`) refuses before the first document and
/// saphyr-parser, a YAML 1.2 parser, accepts: a `%YAML` version other than
/// 1.1, an unknown directive, and a `...` marker before any document.
fn check_prologue(text: &str) -> Result<(), Error> {
    for (n, line) in text.split('\n').enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let trimmed = line.trim_start_matches([' ', '\t']);
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if let Some(directive) = line.strip_prefix('%') {
            let mut words = directive.split([' ', '\t']).filter(|w| !w.is_empty());
            match words.next() {
                Some("YAML") => {
                    let version = words.next().unwrap_or_default();
                    let parse = |s: &str| s.parse::<u32>().ok();
                    if let Some((Some(major), Some(minor))) =
                        version.split_once('.').map(|(a, b)| (parse(a), parse(b)))
                    {
                        if major != 1 || minor != 1 {
                            return Err(Error::at(n + 1, "found incompatible YAML document"));
                        }
                    }
                }
                Some("TAG") => {}
                _ => return Err(Error::at(n + 1, "found unknown directive name")),
            }
            continue;
        }
        let rest = line.strip_prefix("...");
        if rest.is_some_and(|r| r.is_empty() || r.starts_with([' ', '\t'])) {
            return Err(Error::at(n + 1, "did not find expected node content"));
        }
        return Ok(());
    }
    Ok(())
}

fn ends_without_break(text: &str) -> bool {
    !text.is_empty() && !text.ends_with(['\n', '\r'])
}

/// saphyr-parser ends a block scalar that runs to the end of an input
/// lacking a final line break as if the break were there; libyaml (and so
/// yaml.v2) does not. When the last line has content, that phantom break is
/// the value's last character (with clip or keep chomping), and is removed.
fn strip_phantom_break<'a>(value: Cow<'a, str>, text: &str) -> Cow<'a, str> {
    let last_line = text.rsplit(['\n', '\r']).next().unwrap_or_default();
    if last_line.trim_start_matches(' ').is_empty() || !value.ends_with('\n') {
        return value;
    }
    match value {
        Cow::Borrowed(s) => Cow::Borrowed(s.strip_suffix('\n').unwrap_or(s)),
        Cow::Owned(mut s) => {
            s.pop();
            Cow::Owned(s)
        }
    }
}

/// A key as yaml.v2 holds it in `map[interface{}]interface{}`: equality is
/// Go's `==` on the dynamic type and value, so `1`, `"1"` and `1.0` are three
/// keys (which sigs.k8s.io/yaml later turns into the same string).
#[derive(Debug, Clone, Copy, PartialEq)]
enum KeyKind {
    Str,
    Int(i64),
    Float(f64),
    Bool(bool),
    /// Null and uint64 keys are valid for yaml.v2 but refused by
    /// sigs.k8s.io/yaml, if they are still there once decoding is done.
    Null,
    Uint(u64),
}

impl KeyKind {
    fn is_bad(self) -> bool {
        matches!(self, KeyKind::Null | KeyKind::Uint(_))
    }
}

/// Hashable identity of a typed key, for large mappings.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum KeyId {
    Str(String),
    Int(i64),
    Float(u64),
    Bool(bool),
    Null,
    Uint(u64),
}

/// Mappings with more entries than this get a hash index for duplicate checks.
const INDEX_THRESHOLD: usize = 32;

/// A mapping under construction, with yaml.v2's typed keys.
#[derive(Debug, Clone, Default)]
struct TypedMap {
    entries: Vec<(String, Value)>,
    /// Key kinds, parallel to `entries`; absent while every key is a string.
    kinds: Option<Vec<KeyKind>>,
    /// Entries whose value holds a key sigs.k8s.io/yaml refuses.
    bad_values: Vec<usize>,
    index: Option<HashMap<KeyId, usize>>,
}

impl TypedMap {
    fn kind(&self, i: usize) -> KeyKind {
        self.kinds
            .as_ref()
            .and_then(|k| k.get(i).copied())
            .unwrap_or(KeyKind::Str)
    }

    /// Whether a key refused by sigs.k8s.io/yaml is in this mapping or below.
    fn is_bad(&self) -> bool {
        !self.bad_values.is_empty()
            || self
                .kinds
                .as_ref()
                .is_some_and(|k| k.iter().any(|k| k.is_bad()))
    }

    fn key_id(kind: KeyKind, s: &str) -> Option<KeyId> {
        Some(match kind {
            KeyKind::Str => KeyId::Str(s.to_owned()),
            KeyKind::Int(i) => KeyId::Int(i),
            // Go map keys: NaN never equals itself; -0 equals +0.
            KeyKind::Float(f) if f.is_nan() => return None,
            KeyKind::Float(f) => KeyId::Float(if f == 0.0 { 0 } else { f.to_bits() }),
            KeyKind::Bool(b) => KeyId::Bool(b),
            KeyKind::Null => KeyId::Null,
            KeyKind::Uint(u) => KeyId::Uint(u),
        })
    }

    fn find(&self, kind: KeyKind, s: &str) -> Option<usize> {
        if let Some(index) = &self.index {
            return Self::key_id(kind, s).and_then(|id| index.get(&id).copied());
        }
        if kind == KeyKind::Str && self.kinds.is_none() {
            return self.entries.iter().position(|(k, _)| k == s);
        }
        (0..self.entries.len()).find(|&i| match (self.kind(i), kind) {
            (KeyKind::Str, KeyKind::Str) => self.entries.get(i).is_some_and(|(k, _)| k == s),
            (KeyKind::Int(a), KeyKind::Int(b)) => a == b,
            (KeyKind::Float(a), KeyKind::Float(b)) => a == b,
            (KeyKind::Bool(a), KeyKind::Bool(b)) => a == b,
            (KeyKind::Null, KeyKind::Null) => true,
            (KeyKind::Uint(a), KeyKind::Uint(b)) => a == b,
            _ => false,
        })
    }

    /// decode.go `setMapIndex`: in strict mode a key already present is
    /// reported (and the first value kept); otherwise the last value wins,
    /// and, as with a Go map assignment, the stored key is replaced too.
    /// Gives the key back when it was already present in strict mode.
    fn insert(
        &mut self,
        kind: KeyKind,
        key: String,
        value: Value,
        bad: bool,
        strict: bool,
    ) -> Option<String> {
        if let Some(i) = self.find(kind, &key) {
            if strict {
                return Some(key);
            }
            if let Some(slot) = self.entries.get_mut(i) {
                *slot = (key, value);
            }
            if let Some(k) = self.kinds.as_mut().and_then(|k| k.get_mut(i)) {
                *k = kind;
            }
            self.bad_values.retain(|&j| j != i);
            if bad {
                self.bad_values.push(i);
            }
            return None;
        }
        let pos = self.entries.len();
        if kind != KeyKind::Str && self.kinds.is_none() {
            self.kinds = Some(vec![KeyKind::Str; pos]);
        }
        if let Some(kinds) = &mut self.kinds {
            kinds.push(kind);
        }
        if bad {
            self.bad_values.push(pos);
        }
        if let Some(index) = &mut self.index {
            if let Some(id) = Self::key_id(kind, &key) {
                index.insert(id, pos);
            }
        } else if pos >= INDEX_THRESHOLD {
            let mut index = HashMap::with_capacity(pos * 2);
            for (i, (k, _)) in self.entries.iter().enumerate() {
                if let Some(id) = Self::key_id(self.kind(i), k) {
                    index.insert(id, i);
                }
            }
            if let Some(id) = Self::key_id(kind, &key) {
                index.insert(id, pos);
            }
            self.index = Some(index);
        }
        self.entries.push((key, value));
        None
    }

    /// sigs.k8s.io/yaml `convertToJSONableObject`: keys become strings. Two
    /// distinct yaml.v2 keys with the same string form (`1` and `"1"`) make
    /// Go's result depend on map iteration order; here the later one wins.
    fn into_value(self) -> Value {
        if self.kinds.is_none() {
            return Value::Map(self.entries);
        }
        let mut out: Vec<(String, Value)> = Vec::with_capacity(self.entries.len());
        let mut seen: HashMap<String, usize> = HashMap::new();
        for (k, v) in self.entries {
            match seen.get(&k) {
                Some(&i) => {
                    if let Some(slot) = out.get_mut(i) {
                        slot.1 = v;
                    }
                }
                None => {
                    seen.insert(k.clone(), out.len());
                    out.push((k, v));
                }
            }
        }
        Value::Map(out)
    }
}

/// A decoded node on its way to its parent.
#[derive(Debug, Clone)]
enum Node {
    Value(Value),
    /// A mapping keeps its typed keys until it is placed, for merges.
    Map(TypedMap),
}

impl Node {
    fn into_value(self) -> Value {
        match self {
            Node::Value(v) => v,
            Node::Map(m) => m.into_value(),
        }
    }
}

/// A finished anchored node, whether it holds a key sigs.k8s.io/yaml
/// refuses, and the number of decode steps (decode.go `unmarshal` calls)
/// that re-decoding it for an alias costs.
#[derive(Debug)]
enum Anchor {
    Open,
    Done { node: Node, bad: bool, size: u64 },
}

#[derive(Debug)]
enum Frame {
    Seq {
        items: Vec<Value>,
        bad: bool,
        anchor: usize,
        size: u64,
    },
    /// The sequence value of a `<<` key: a list of mappings to merge.
    MergeSeq {
        maps: Vec<TypedMap>,
        anchor: usize,
        size: u64,
    },
    Map {
        map: TypedMap,
        anchor: usize,
        size: u64,
        key: Key,
    },
}

#[derive(Debug)]
enum Key {
    /// The next node is a key.
    None,
    /// The next node is the value for this key (kind, string form).
    Ready(KeyKind, String),
    /// The key was `<<`: the next node is merged in.
    Merge,
}

/// Where the node being started will go.
#[derive(Clone, Copy, PartialEq)]
enum Role {
    Root,
    Item,
    MergeItem,
    Key,
    Value,
    MergeValue,
}

struct Decoder {
    depth_base: usize,
    strict: bool,
    stack: Vec<Frame>,
    anchors: Vec<Anchor>,
    decode_count: u64,
    alias_count: u64,
    dup_errors: Vec<String>,
    dup_line: Option<usize>,
    root: Option<(Node, bool)>,
    /// Collections are built in reused buffers and then moved to a vector of
    /// exactly their size: no spare capacity stays in a loaded index, and the
    /// allocator sees one allocation per collection instead of a series of
    /// growths and a shrink.
    seq_pool: Vec<Vec<Value>>,
    map_pool: Vec<Vec<(String, Value)>>,
}

/// The parser builds scalars in roomy buffers; trimming them keeps a loaded
/// index within a small multiple of its text size.
fn exact(text: Cow<'_, str>) -> String {
    match text {
        Cow::Owned(s) if s.capacity() > s.len() => String::from(s.as_str()),
        other => other.into_owned(),
    }
}

fn merge_error() -> Error {
    Error::yaml("map merge requires map or sequence of maps as the value")
}

fn full_tag(tag: Option<Cow<'_, Tag>>) -> Option<String> {
    tag.map(|t| format!("{}{}", t.handle, t.suffix))
}

impl Decoder {
    fn role(&self) -> Role {
        match self.stack.last() {
            None => Role::Root,
            Some(Frame::Seq { .. }) => Role::Item,
            Some(Frame::MergeSeq { .. }) => Role::MergeItem,
            Some(Frame::Map { key, .. }) => match key {
                Key::None => Role::Key,
                Key::Ready(..) => Role::Value,
                Key::Merge => Role::MergeValue,
            },
        }
    }

    /// decode.go `unmarshal`'s accounting and its excessive-aliasing check.
    fn count(&mut self, decoded: u64, aliased: u64) -> Result<(), Error> {
        self.decode_count = self.decode_count.saturating_add(decoded);
        self.alias_count = self.alias_count.saturating_add(aliased);
        if self.alias_count > MAX_ALIAS_NODES
            || self.alias_count > 100
                && self.decode_count > 1000
                && self.alias_count as f64 / self.decode_count as f64
                    > allowed_alias_ratio(self.decode_count)
        {
            return Err(Error::yaml("document contains excessive aliasing"));
        }
        Ok(())
    }

    /// Marks an anchor as being decoded, so that an alias to it from inside
    /// is recognised.
    fn open_anchor(&mut self, id: usize) {
        if id == 0 {
            return;
        }
        if self.anchors.len() <= id {
            self.anchors.resize_with(id + 1, || Anchor::Open);
        }
        if let Some(slot) = self.anchors.get_mut(id) {
            *slot = Anchor::Open;
        }
    }

    fn store_anchor(&mut self, id: usize, node: Node, bad: bool, size: u64) {
        if let Some(slot) = self.anchors.get_mut(id) {
            *slot = Anchor::Done { node, bad, size };
        }
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), Error> {
        let line = span.start.line();
        let role = self.role();
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                let tag = full_tag(tag);
                let implicit = match &tag {
                    None => style == ScalarStyle::Plain,
                    Some(t) => t == "!",
                };
                // decode.go `isMerge`: the key is not decoded, its value is
                // merged into the mapping.
                if role == Role::Key
                    && text == "<<"
                    && (implicit || tag.as_deref() == Some(MERGE_TAG))
                {
                    if let Some(Frame::Map { key, .. }) = self.stack.last_mut() {
                        *key = Key::Merge;
                    }
                    if anchor > 0 {
                        self.open_anchor(anchor);
                        let node = Node::Value(Value::String("<<".into()));
                        self.store_anchor(anchor, node, false, 1);
                    }
                    return Ok(());
                }
                if matches!(role, Role::MergeItem | Role::MergeValue) {
                    return Err(merge_error());
                }
                self.count(1, 0)?;
                let value = scalar_value(text, style, tag.as_deref())?;
                if anchor > 0 {
                    self.open_anchor(anchor);
                    self.store_anchor(anchor, Node::Value(value.clone()), false, 1);
                }
                self.deliver(Node::Value(value), false, 1, line)
            }
            Event::SequenceStart(anchor, _) => {
                self.check_depth(line)?;
                if role == Role::MergeItem {
                    return Err(merge_error());
                }
                self.open_anchor(anchor);
                if role == Role::MergeValue {
                    // decode.go `merge` walks the sequence's items directly,
                    // without an `unmarshal` of the sequence itself.
                    self.stack.push(Frame::MergeSeq {
                        maps: Vec::new(),
                        anchor,
                        size: 1,
                    });
                } else {
                    self.count(1, 0)?;
                    self.stack.push(Frame::Seq {
                        items: self.seq_pool.pop().unwrap_or_default(),
                        bad: false,
                        anchor,
                        size: 1,
                    });
                }
                Ok(())
            }
            Event::MappingStart(anchor, _) => {
                self.check_depth(line)?;
                self.count(1, 0)?;
                self.open_anchor(anchor);
                let map = TypedMap {
                    entries: self.map_pool.pop().unwrap_or_default(),
                    ..TypedMap::default()
                };
                self.stack.push(Frame::Map {
                    map,
                    anchor,
                    size: 1,
                    key: Key::None,
                });
                Ok(())
            }
            Event::SequenceEnd | Event::MappingEnd => self.end(line),
            Event::Alias(id) => {
                let (is_map, size) = match self.anchors.get(id) {
                    Some(Anchor::Done { node, size, .. }) => (matches!(node, Node::Map(_)), *size),
                    // decode.go `alias`: the anchor is still being decoded.
                    _ => return Err(Error::yaml("anchor value contains itself")),
                };
                if matches!(role, Role::MergeItem | Role::MergeValue) && !is_map {
                    return Err(merge_error());
                }
                // The alias node itself, then every node of the anchored
                // value again, each counted as an alias expansion. The ratio
                // only grows during one expansion, so checking once at its
                // end finds exactly the failures a step-by-step check would,
                // before any memory is spent on the copy.
                self.count(1, 0)?;
                self.count(size, size)?;
                let (node, bad) = match self.anchors.get(id) {
                    Some(Anchor::Done { node, bad, .. }) => (node.clone(), *bad),
                    _ => return Err(Error::yaml("anchor value contains itself")),
                };
                self.deliver(node, bad, size.saturating_add(1), line)
            }
            _ => Ok(()),
        }
    }

    fn check_depth(&self, line: usize) -> Result<(), Error> {
        if self.depth_base + self.stack.len() >= MAX_DEPTH {
            return Err(Error::at(
                line,
                format_args!("exceeded max depth of {MAX_DEPTH}"),
            ));
        }
        Ok(())
    }

    /// A collection is complete.
    fn end(&mut self, line: usize) -> Result<(), Error> {
        let Some(frame) = self.stack.pop() else {
            return Ok(());
        };
        let (node, bad, anchor, size) = match frame {
            Frame::Seq {
                mut items,
                bad,
                anchor,
                size,
            } => {
                let mut exact = Vec::with_capacity(items.len());
                exact.append(&mut items);
                self.seq_pool.push(items);
                (Node::Value(Value::Seq(exact)), bad, anchor, size)
            }
            Frame::MergeSeq { maps, anchor, size } => {
                if anchor > 0 {
                    let bad = maps.iter().any(TypedMap::is_bad);
                    let seq = maps.iter().cloned().map(TypedMap::into_value).collect();
                    self.store_anchor(anchor, Node::Value(Value::Seq(seq)), bad, size);
                }
                return self.merge_seq(maps, size, line);
            }
            Frame::Map {
                mut map,
                anchor,
                size,
                ..
            } => {
                let mut exact = Vec::with_capacity(map.entries.len());
                exact.append(&mut map.entries);
                self.map_pool
                    .push(std::mem::replace(&mut map.entries, exact));
                map.index = None;
                let bad = map.is_bad();
                (Node::Map(map), bad, anchor, size)
            }
        };
        if anchor > 0 {
            self.store_anchor(anchor, node.clone(), bad, size);
        }
        self.deliver(node, bad, size, line)
    }

    /// Places a finished node into its parent. `size` is the node's cost in
    /// decode steps, added to the parent's size for later alias expansions.
    fn deliver(&mut self, node: Node, bad: bool, size: u64, line: usize) -> Result<(), Error> {
        let strict = self.strict;
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some((node, bad));
            return Ok(());
        };
        match frame {
            Frame::Seq {
                items,
                bad: seq_bad,
                size: s,
                ..
            } => {
                *s = s.saturating_add(size);
                *seq_bad |= bad;
                items.push(node.into_value());
            }
            Frame::MergeSeq { maps, size: s, .. } => {
                *s = s.saturating_add(size);
                match node {
                    Node::Map(m) => maps.push(m),
                    Node::Value(_) => return Err(merge_error()),
                }
            }
            Frame::Map {
                map, size: s, key, ..
            } => {
                *s = s.saturating_add(size);
                match std::mem::replace(key, Key::None) {
                    Key::None => *key = map_key(node)?,
                    Key::Ready(kind, k) => {
                        if let Some(k) = map.insert(kind, k, node.into_value(), bad, strict) {
                            self.duplicate(line, kind, &k);
                        }
                    }
                    Key::Merge => match node {
                        Node::Map(m) => self.merge_into_top(m, line),
                        Node::Value(_) => return Err(merge_error()),
                    },
                }
            }
        }
        Ok(())
    }

    /// decode.go `merge` for a sequence: later mappings are merged first so
    /// that earlier ones take precedence. The sequence node itself is not a
    /// decode step.
    fn merge_seq(&mut self, maps: Vec<TypedMap>, size: u64, line: usize) -> Result<(), Error> {
        if let Some(Frame::Map { size: s, key, .. }) = self.stack.last_mut() {
            *s = s.saturating_add(size.saturating_sub(1));
            *key = Key::None;
        }
        for m in maps.into_iter().rev() {
            self.merge_into_top(m, line);
        }
        Ok(())
    }

    /// Each entry of a merged mapping goes through `setMapIndex`, as decoding
    /// the merged node straight into the target map does in decode.go.
    fn merge_into_top(&mut self, m: TypedMap, line: usize) {
        let strict = self.strict;
        let mut dups = Vec::new();
        if let Some(Frame::Map { map, .. }) = self.stack.last_mut() {
            let kinds = m.kinds;
            let bad_values = m.bad_values;
            for (i, (k, v)) in m.entries.into_iter().enumerate() {
                let kind = kinds
                    .as_ref()
                    .and_then(|k| k.get(i).copied())
                    .unwrap_or(KeyKind::Str);
                if let Some(k) = map.insert(kind, k, v, bad_values.contains(&i), strict) {
                    dups.push((kind, k));
                }
            }
        }
        for (kind, k) in dups {
            self.duplicate(line, kind, &k);
        }
    }

    /// decode.go `setMapIndex` in strict mode: "line N: key %#v already set
    /// in map", N being the line of the value.
    fn duplicate(&mut self, line: usize, kind: KeyKind, key: &str) {
        let shown = match kind {
            KeyKind::Str => go_quote(key),
            KeyKind::Int(i) => i.to_string(),
            KeyKind::Float(f) => go_sharp_v_float(f),
            KeyKind::Bool(b) => b.to_string(),
            KeyKind::Null => "<nil>".to_string(),
            KeyKind::Uint(u) => format!("{u:#x}"),
        };
        self.dup_line.get_or_insert(line);
        self.dup_errors
            .push(format!("line {line}: key {shown} already set in map"));
    }
}

/// A decoded key as yaml.v2 and then sigs.k8s.io/yaml treat it: mappings and
/// sequences are refused by yaml.v2 ("invalid map key"), null and uint64 keys
/// by sigs.k8s.io/yaml ("unsupported map key"); the rest become strings.
fn map_key(node: Node) -> Result<Key, Error> {
    let value = match node {
        Node::Map(_) => return Err(Error::yaml("invalid map key: a mapping")),
        Node::Value(v) => v,
    };
    Ok(match value {
        Value::String(s) => Key::Ready(KeyKind::Str, s),
        Value::Int(i) => Key::Ready(KeyKind::Int(i), i.to_string()),
        Value::Float(f) => Key::Ready(KeyKind::Float(f), float_key(f)),
        Value::Bool(b) => Key::Ready(KeyKind::Bool(b), b.to_string()),
        Value::Seq(_) | Value::Map(_) => return Err(Error::yaml("invalid map key: a sequence")),
        Value::Null => Key::Ready(KeyKind::Null, String::new()),
        Value::Uint(u) => Key::Ready(KeyKind::Uint(u), u.to_string()),
    })
}

/// sigs.k8s.io/yaml: float keys are written with `FormatFloat(k, 'g', -1,
/// 32)`, infinities and NaN in YAML spelling.
fn float_key(f: f64) -> String {
    let s = crate::go::strconv::format_float(f, 32);
    match s.as_str() {
        "+Inf" => ".inf".into(),
        "-Inf" => "-.inf".into(),
        "NaN" => ".nan".into(),
        _ => s,
    }
}

/// Go's `%#v` of a float64 in yaml.v2's duplicate-key message.
fn go_sharp_v_float(f: f64) -> String {
    let s = crate::go::strconv::format_float(f, 64);
    if s.contains(['.', 'e', 'I', 'N']) {
        s
    } else {
        format!("{s}.0")
    }
}

/// Go `strconv.Quote`, enough for messages.
fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// decode.go `scalar()` into an `interface{}`: untagged quoted and block
/// scalars are strings; everything else goes through resolve.go.
fn scalar_value(text: Cow<'_, str>, style: ScalarStyle, tag: Option<&str>) -> Result<Value, Error> {
    let resolved = match tag {
        None if style != ScalarStyle::Plain => Scalar::Text,
        None => resolve::resolve_plain(&text),
        Some(t) => resolve::resolve_tagged(t, &text).map_err(Error::yaml)?,
    };
    Ok(match resolved {
        Scalar::Null => Value::Null,
        Scalar::Bool(b) => Value::Bool(b),
        Scalar::Int(i) => Value::Int(i),
        Scalar::Uint(u) => Value::Uint(u),
        Scalar::Float(f) => Value::Float(f),
        Scalar::Text => Value::String(exact(text)),
        Scalar::Binary(bytes) => Value::String(resolve::binary_to_string(bytes)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A compact rendering with yaml.v2's types and sorted keys (Go maps have
    /// no order), to compare with what the Go code produced.
    fn render(v: &Value) -> String {
        match v {
            Value::Null => "~".into(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => format!("i{i}"),
            Value::Uint(u) => format!("u{u}"),
            Value::Float(f) if f.is_nan() => "fNaN".into(),
            Value::Float(f) => format!("f{f:e}"),
            Value::String(s) => format!("\"{s}\""),
            Value::Seq(items) => {
                let items: Vec<String> = items.iter().map(render).collect();
                format!("[{}]", items.join(","))
            }
            Value::Map(m) => {
                let mut entries: Vec<&(String, Value)> = m.iter().collect();
                entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
                let items: Vec<String> = entries
                    .iter()
                    .map(|(k, v)| format!("{k}:{}", render(v)))
                    .collect();
                format!("{{{}}}", items.join(","))
            }
        }
    }

    /// Results of sigs.k8s.io/yaml v1.4.0 (`yaml.Unmarshal` or
    /// `UnmarshalStrict` into `interface{}`, then `convertToJSONableObject`)
    /// on these documents; "ERR" where Go returned an error.
    const GO_RESULTS: &[(&str, bool, &str)] = &[
        ("v: ~\n", false, "{v:~}"),
        ("v: null\n", false, "{v:~}"),
        ("v: NULL\n", false, "{v:~}"),
        ("v: nULL\n", false, "{v:\"nULL\"}"),
        ("v: y\n", false, "{v:true}"),
        ("v: Yes\n", false, "{v:true}"),
        ("v: NO\n", false, "{v:false}"),
        ("v: True\n", false, "{v:true}"),
        ("v: tRUE\n", false, "{v:\"tRUE\"}"),
        ("v: on\n", false, "{v:true}"),
        ("v: OFF\n", false, "{v:false}"),
        ("v: oN\n", false, "{v:\"oN\"}"),
        ("v: 0\n", false, "{v:i0}"),
        ("v: 00\n", false, "{v:i0}"),
        ("v: 017\n", false, "{v:i15}"),
        ("v: 08\n", false, "{v:f8e0}"),
        ("v: 0o17\n", false, "{v:i15}"),
        ("v: 0x1F\n", false, "{v:i31}"),
        ("v: 0X1f\n", false, "{v:i31}"),
        ("v: 0xg\n", false, "{v:\"0xg\"}"),
        ("v: 0b101\n", false, "{v:i5}"),
        ("v: -0b101\n", false, "{v:i-5}"),
        ("v: 0b2\n", false, "{v:\"0b2\"}"),
        ("v: +017\n", false, "{v:i15}"),
        ("v: 1_000\n", false, "{v:i1000}"),
        ("v: 1__0\n", false, "{v:i10}"),
        ("v: _1\n", false, "{v:\"_1\"}"),
        ("v: 1_\n", false, "{v:i1}"),
        ("v: 0x_1F\n", false, "{v:i31}"),
        ("v: -\n", false, "ERR"),
        ("v: +\n", false, "{v:\"+\"}"),
        (
            "v: 9223372036854775807\n",
            false,
            "{v:i9223372036854775807}",
        ),
        (
            "v: 9223372036854775808\n",
            false,
            "{v:u9223372036854775808}",
        ),
        (
            "v: -9223372036854775808\n",
            false,
            "{v:i-9223372036854775808}",
        ),
        (
            "v: -9223372036854775809\n",
            false,
            "{v:f-9.223372036854776e18}",
        ),
        (
            "v: 18446744073709551615\n",
            false,
            "{v:u18446744073709551615}",
        ),
        (
            "v: 18446744073709551616\n",
            false,
            "{v:f1.8446744073709552e19}",
        ),
        (
            "v: 0xFFFFFFFFFFFFFFFF\n",
            false,
            "{v:u18446744073709551615}",
        ),
        (
            "v: 0x10000000000000000\n",
            false,
            "{v:\"0x10000000000000000\"}",
        ),
        (
            "v: -0x8000000000000000\n",
            false,
            "{v:i-9223372036854775808}",
        ),
        ("v: 1.0\n", false, "{v:f1e0}"),
        ("v: 1.\n", false, "{v:f1e0}"),
        ("v: .5\n", false, "{v:f5e-1}"),
        ("v: -.5\n", false, "{v:f-5e-1}"),
        ("v: 1e3\n", false, "{v:f1e3}"),
        ("v: 1E+3\n", false, "{v:f1e3}"),
        ("v: 1e-3\n", false, "{v:f1e-3}"),
        ("v: .e3\n", false, "{v:\".e3\"}"),
        ("v: 1e\n", false, "{v:\"1e\"}"),
        ("v: 1_0.5\n", false, "{v:f1.05e1}"),
        ("v: .5_5\n", false, "{v:f5.5e-1}"),
        ("v: ._5\n", false, "{v:\"._5\"}"),
        ("v: 1e400\n", false, "{v:\"1e400\"}"),
        ("v: -1e400\n", false, "{v:\"-1e400\"}"),
        ("v: 1e-400\n", false, "{v:f0e0}"),
        ("v: .inf\n", false, "{v:finf}"),
        ("v: -.Inf\n", false, "{v:f-inf}"),
        ("v: +.INF\n", false, "{v:finf}"),
        ("v: .iNf\n", false, "{v:\".iNf\"}"),
        ("v: .nan\n", false, "{v:fNaN}"),
        ("v: .NaN\n", false, "{v:fNaN}"),
        ("v: nan\n", false, "{v:\"nan\"}"),
        ("v: inf\n", false, "{v:\"inf\"}"),
        ("v: -0\n", false, "{v:i0}"),
        ("v: -0.0\n", false, "{v:f-0e0}"),
        ("v: 4.9e-324\n", false, "{v:f5e-324}"),
        (
            "v: 1.7976931348623159e308\n",
            false,
            "{v:\"1.7976931348623159e308\"}",
        ),
        ("v: 1:30\n", false, "{v:\"1:30\"}"),
        ("v: 190:20:30\n", false, "{v:\"190:20:30\"}"),
        ("v: 1.2.3\n", false, "{v:\"1.2.3\"}"),
        ("v: 0.1.0-rc1\n", false, "{v:\"0.1.0-rc1\"}"),
        ("v: 2001-12-14\n", false, "{v:\"2001-12-14\"}"),
        (
            "v: 2001-12-14t21:59:43.10-05:00\n",
            false,
            "{v:\"2001-12-14t21:59:43.10-05:00\"}",
        ),
        ("v: 2001-13-01\n", false, "{v:\"2001-13-01\"}"),
        ("v: <<\n", false, "{v:\"<<\"}"),
        ("v: hello\n", false, "{v:\"hello\"}"),
        ("v: =\n", false, "{v:\"=\"}"),
        (
            "v: 0.30000000000000004\n",
            false,
            "{v:f3.0000000000000004e-1}",
        ),
        (
            "v: 123456789012345678901234567890\n",
            false,
            "{v:f1.2345678901234568e29}",
        ),
        ("1: v\n", false, "{1:\"v\"}"),
        ("1.5: v\n", false, "{1.5:\"v\"}"),
        ("true: v\n", false, "{true:\"v\"}"),
        ("~: v\n", false, "ERR"),
        ("0x10: v\n", false, "{16:\"v\"}"),
        ("2001-01-01: v\n", false, "{2001-01-01:\"v\"}"),
        ("-0.0: v\n", false, "{-0:\"v\"}"),
        (".inf: v\n", false, "{.inf:\"v\"}"),
        (".nan: v\n", false, "{.nan:\"v\"}"),
        ("1e10: v\n", false, "{1e+10:\"v\"}"),
        ("123456789.0: v\n", false, "{1.2345679e+08:\"v\"}"),
        ("0.0001: v\n", false, "{0.0001:\"v\"}"),
        ("0.00001: v\n", false, "{1e-05:\"v\"}"),
        ("3.5e38: v\n", false, "{.inf:\"v\"}"),
        ("18446744073709551615: v\n", false, "ERR"),
        ("[a]: v\n", false, "ERR"),
        ("{a: b}: v\n", false, "ERR"),
        ("v: !!str 123\n", false, "{v:\"123\"}"),
        ("v: !!str true\n", false, "{v:\"true\"}"),
        ("v: !!int '12'\n", false, "{v:i12}"),
        ("v: !!int 1.5\n", false, "ERR"),
        ("v: !!int 0b11\n", false, "{v:i3}"),
        ("v: !!int abc\n", false, "ERR"),
        ("v: !!int \n", false, "ERR"),
        ("v: !!float 1\n", false, "{v:f1e0}"),
        ("v: !!float \"2\"\n", false, "{v:f2e0}"),
        ("v: !!float 18446744073709551615\n", false, "ERR"),
        ("v: !!float abc\n", false, "ERR"),
        ("v: !!bool yes\n", false, "{v:true}"),
        ("v: !!bool 1\n", false, "ERR"),
        ("v: !!null ~\n", false, "{v:~}"),
        ("v: !!null 0\n", false, "ERR"),
        ("v: !!null ''\n", false, "{v:~}"),
        ("v: !!timestamp 2001-12-14\n", false, "{v:\"2001-12-14\"}"),
        (
            "v: !!timestamp 2001-12-14T21:59:43.10Z\n",
            false,
            "{v:\"2001-12-14T21:59:43.10Z\"}",
        ),
        (
            "v: !!timestamp 2001-12-14 21:59:43.10\n",
            false,
            "{v:\"2001-12-14 21:59:43.10\"}",
        ),
        ("v: !!timestamp 2001-02-29\n", false, "ERR"),
        ("v: !!timestamp 123\n", false, "ERR"),
        ("v: !!timestamp abc\n", false, "ERR"),
        ("v: !!binary aGVsbG8=\n", false, "{v:\"hello\"}"),
        ("v: !!binary aGVsbG8\n", false, "ERR"),
        ("v: !!binary //79/A==\n", false, "{v:\"����\"}"),
        ("v: !!binary 'a GVs'\n", false, "ERR"),
        ("v: !!merge x\n", false, "{v:\"x\"}"),
        ("v: !!map x\n", false, "{v:\"x\"}"),
        ("v: !foo 12\n", false, "{v:\"12\"}"),
        ("v: ! 12\n", false, "{v:\"12\"}"),
        ("v: ! true\n", false, "{v:\"true\"}"),
        ("v: !<tag:yaml.org,2002:int> 12\n", false, "{v:i12}"),
        ("v: !!str \n", false, "{v:\"\"}"),
        ("v: !!bool \n", false, "ERR"),
        (
            "- 'true'\n- \"1\"\n- |\n  12\n- >\n  yes\n",
            false,
            "[\"true\",\"1\",\"12\n\",\"yes\n\"]",
        ),
        ("a: |\n  x", false, "{a:\"x\"}"),
        ("a: >+\n  x\n\n", false, "{a:\"x\n\n\"}"),
        ("a: |-\n  x\n", false, "{a:\"x\"}"),
        ("", false, "~"),
        ("# only a comment\n", false, "~"),
        ("---\n", false, "~"),
        ("--- a\n--- b\n", false, "\"a\""),
        ("a: 1\n---\nb: [\n", false, "{a:i1}"),
        ("﻿a: 1\n", false, "{a:i1}"),
        ("...\n", false, "ERR"),
        ("%YAML 1.1\n---\na: 1\n", false, "{a:i1}"),
        ("%YAML 1.2\n---\na: 1\n", false, "ERR"),
        ("%FOO x\n---\na: 1\n", false, "ERR"),
        ("a: \u{0001}\n", false, "ERR"),
        ("a: b: c\n", false, "ERR"),
        ("a: [b\n", false, "ERR"),
        ("a: 'b\n", false, "ERR"),
        ("key: value # comment\n", false, "{key:\"value\"}"),
        ("a:\n- 1\n- 2\n", false, "{a:[i1,i2]}"),
        ("a: &x 1\nb: *x\n", false, "{a:i1,b:i1}"),
        ("a: &x 1\nb: *x\n", true, "{a:i1,b:i1}"),
        ("a: &x {k: 1}\nb: *x\n", false, "{a:{k:i1},b:{k:i1}}"),
        ("a: &x {k: 1}\nb: *x\n", true, "{a:{k:i1},b:{k:i1}}"),
        (
            "base: &b {a: 1, b: 2}\nd:\n  <<: *b\n  c: 3\n",
            false,
            "{base:{a:i1,b:i2},d:{a:i1,b:i2,c:i3}}",
        ),
        (
            "base: &b {a: 1, b: 2}\nd:\n  <<: *b\n  c: 3\n",
            true,
            "{base:{a:i1,b:i2},d:{a:i1,b:i2,c:i3}}",
        ),
        (
            "base: &b {a: 1, b: 2}\nd:\n  a: 9\n  <<: *b\n",
            false,
            "{base:{a:i1,b:i2},d:{a:i1,b:i2}}",
        ),
        ("base: &b {a: 1, b: 2}\nd:\n  a: 9\n  <<: *b\n", true, "ERR"),
        (
            "base: &b {a: 1, b: 2}\nd:\n  <<: *b\n  a: 9\n",
            false,
            "{base:{a:i1,b:i2},d:{a:i9,b:i2}}",
        ),
        ("base: &b {a: 1, b: 2}\nd:\n  <<: *b\n  a: 9\n", true, "ERR"),
        (
            "x: &x {a: 1}\ny: &y {a: 2, b: 2}\nd:\n  <<: [*x, *y]\n",
            false,
            "{d:{a:i1,b:i2},true:{a:i2,b:i2},x:{a:i1}}",
        ),
        (
            "x: &x {a: 1}\ny: &y {a: 2, b: 2}\nd:\n  <<: [*x, *y]\n",
            true,
            "ERR",
        ),
        (
            "x: &x {a: 1}\ny: &y {a: 2, b: 2}\nd:\n  <<: [*y, *x]\n",
            false,
            "{d:{a:i2,b:i2},true:{a:i2,b:i2},x:{a:i1}}",
        ),
        (
            "x: &x {a: 1}\ny: &y {a: 2, b: 2}\nd:\n  <<: [*y, *x]\n",
            true,
            "ERR",
        ),
        ("d:\n  <<: {a: 1}\n  <<: {a: 2}\n", false, "{d:{a:i2}}"),
        ("d:\n  <<: {a: 1}\n  <<: {a: 2}\n", true, "ERR"),
        (
            "d:\n  <<: [{a: 1}, {a: 2, b: 3}]\n",
            false,
            "{d:{a:i1,b:i3}}",
        ),
        ("d:\n  <<: [{a: 1}, {a: 2, b: 3}]\n", true, "ERR"),
        ("d:\n  <<: 1\n", false, "ERR"),
        ("d:\n  <<: 1\n", true, "ERR"),
        ("d:\n  <<: [1]\n", false, "ERR"),
        ("d:\n  <<: [1]\n", true, "ERR"),
        ("d:\n  <<: ~\n", false, "ERR"),
        ("d:\n  <<: ~\n", true, "ERR"),
        ("x: &x [1]\nd:\n  <<: *x\n", false, "ERR"),
        ("x: &x [1]\nd:\n  <<: *x\n", true, "ERR"),
        ("d:\n  '<<': {a: 1}\n", false, "{d:{<<:{a:i1}}}"),
        ("d:\n  '<<': {a: 1}\n", true, "{d:{<<:{a:i1}}}"),
        ("d:\n  !!merge <<: {a: 1}\n", false, "{d:{a:i1}}"),
        ("d:\n  !!merge <<: {a: 1}\n", true, "{d:{a:i1}}"),
        ("d:\n  !!str <<: {a: 1}\n", false, "{d:{<<:{a:i1}}}"),
        ("d:\n  !!str <<: {a: 1}\n", true, "{d:{<<:{a:i1}}}"),
        ("v: <<\n", false, "{v:\"<<\"}"),
        ("v: <<\n", true, "{v:\"<<\"}"),
        ("a: &a [*a]\n", false, "ERR"),
        ("a: &a [*a]\n", true, "ERR"),
        ("a: &a {<<: *a}\n", false, "ERR"),
        ("a: &a {<<: *a}\n", true, "ERR"),
        ("a: *b\n", false, "ERR"),
        ("a: *b\n", true, "ERR"),
        ("a: &a 1\nb: &a 2\nc: *a\n", false, "{a:i1,b:i2,c:i2}"),
        ("a: &a 1\nb: &a 2\nc: *a\n", true, "{a:i1,b:i2,c:i2}"),
        ("a: 1\na: 2\n", false, "{a:i2}"),
        ("a: 1\na: 2\n", true, "ERR"),
        ("1: a\n01: b\n", false, "{1:\"b\"}"),
        ("1: a\n01: b\n", true, "ERR"),
        ("0x10: a\n16: b\n", false, "{16:\"b\"}"),
        ("0x10: a\n16: b\n", true, "ERR"),
        ("true: a\nyes: b\n", false, "{true:\"b\"}"),
        ("true: a\nyes: b\n", true, "ERR"),
        ("0.0: a\n-0.0: b\n", false, "{-0:\"b\"}"),
        ("0.0: a\n-0.0: b\n", true, "ERR"),
        ("~: a\n", false, "ERR"),
        ("~: a\n", true, "ERR"),
        ("~: a\n~: b\n", false, "ERR"),
        ("~: a\n~: b\n", true, "ERR"),
        ("a: {~: 1}\na: 2\n", false, "{a:i2}"),
        ("a: {~: 1}\na: 2\n", true, "ERR"),
        ("18446744073709551615: a\n", false, "ERR"),
        ("18446744073709551615: a\n", true, "ERR"),
        ("? [a, b]\n: c\n", false, "ERR"),
        ("? [a, b]\n: c\n", true, "ERR"),
        ("&k 1: 1\n*k : 2\n", false, "{1:i2}"),
        ("&k 1: 1\n*k : 2\n", true, "ERR"),
        ("a: !!null {b: 1}\n", false, "{a:{b:i1}}"),
        ("a: !!null {b: 1}\n", true, "{a:{b:i1}}"),
        (
            "x: &x {a: 1}\nd:\n  a: 2\n  <<: *x\n",
            false,
            "{d:{a:i1},x:{a:i1}}",
        ),
        ("x: &x {a: 1}\nd:\n  a: 2\n  <<: *x\n", true, "ERR"),
    ];

    #[test]
    fn yaml_1_1_line_breaks_fold_as_in_yaml_v2() {
        let v = load(
            "d: 'words \u{2028}ls'\ne: \"a \u{85}  b\"\n",
            LoadOptions::default(),
        )
        .unwrap();
        assert_eq!(
            v,
            Value::Map(vec![
                ("d".into(), Value::String("words ls".into())),
                ("e".into(), Value::String("a b".into())),
            ])
        );
        // Escaped, they are content.
        let v = load("e: \"a \\u2028b\"\n", LoadOptions::default()).unwrap();
        assert_eq!(
            v,
            Value::Map(vec![("e".into(), Value::String("a \u{2028}b".into()))])
        );
    }

    #[test]
    fn matches_go() {
        let mut failures = Vec::new();
        for &(doc, strict, want) in GO_RESULTS {
            let got = match load(
                doc,
                LoadOptions {
                    strict,
                    ..Default::default()
                },
            ) {
                Ok(v) => render(&v),
                Err(_) => "ERR".into(),
            };
            if got != want {
                failures.push(format!("{doc:?} strict={strict}: got {got}, want {want}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn keeps_document_order_and_last_duplicate_wins() {
        let v = load("b: 1\na: 2\nb: 3\n", LoadOptions::default()).unwrap();
        assert_eq!(
            v,
            Value::Map(vec![
                ("b".into(), Value::Int(3)),
                ("a".into(), Value::Int(2))
            ])
        );
    }

    #[test]
    fn strict_duplicate_message_and_line() {
        let err = load(
            "a: 1\nb: 2\na: 3\n",
            LoadOptions {
                strict: true,
                ..Default::default()
            },
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "yaml: unmarshal errors:\n  line 3: key \"a\" already set in map"
        );
        assert_eq!(err.line(), Some(3));
        let err = load(
            "1: a\n0x1: b\n",
            LoadOptions {
                strict: true,
                ..Default::default()
            },
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("line 2: key 1 already set"),
            "{err}"
        );
    }

    #[test]
    fn syntax_errors_carry_their_line() {
        let err = load("a: 1\nb: c: d\n", LoadOptions::default()).unwrap_err();
        assert_eq!(err.line(), Some(2));
        assert!(err.to_string().starts_with("yaml: line 2: "), "{err}");
        let err = load("a: 1\nb: \u{1}\n", LoadOptions::default()).unwrap_err();
        assert_eq!(err.to_string(), "yaml: control characters are not allowed");
        assert_eq!(err.line(), Some(2));
    }

    #[test]
    fn unsupported_key_only_matters_if_it_survives() {
        assert!(load("a: {~: 1}\n", LoadOptions::default()).is_err());
        assert!(load("18446744073709551615: 1\n", LoadOptions::default()).is_err());
        let v = load("a: {~: 1}\na: 2\n", LoadOptions::default()).unwrap();
        assert_eq!(v, Value::Map(vec![("a".into(), Value::Int(2))]));
    }

    #[test]
    fn billion_laughs_is_refused_quickly() {
        let mut doc = String::from("a: &a [lol,lol,lol,lol,lol,lol,lol,lol,lol]\n");
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];
        for w in names.windows(2) {
            let refs = vec![format!("*{}", w[0]); 9].join(",");
            doc.push_str(&format!("{}: &{} [{refs}]\n", w[1], w[1]));
        }
        assert!(doc.len() < 1024);
        let start = std::time::Instant::now();
        let err = load(&doc, LoadOptions::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "yaml: document contains excessive aliasing"
        );
        assert!(start.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn alias_ratio_follows_yaml_v2() {
        // 1,000 nodes anchored and 10 aliases to them: ~91% from aliases, allowed.
        let items = vec!["x"; 1000].join(",");
        let doc = format!("a: &a [{items}]\nb: [{}]\n", ["*a"; 10].join(","));
        assert!(load(&doc, LoadOptions::default()).is_ok());
        // 200 aliases: over 99%, refused (as Go refuses it).
        let doc = format!("a: &a [{items}]\nb: [{}]\n", vec!["*a"; 200].join(","));
        assert!(load(&doc, LoadOptions::default()).is_err());
    }

    #[test]
    fn alias_expansion_has_a_hard_cap() {
        let mut d = Decoder {
            depth_base: 0,
            strict: false,
            stack: Vec::new(),
            anchors: Vec::new(),
            decode_count: 100_000_000,
            alias_count: 0,
            dup_errors: Vec::new(),
            dup_line: None,
            root: None,
            seq_pool: Vec::new(),
            map_pool: Vec::new(),
        };
        assert!(d.count(MAX_ALIAS_NODES, MAX_ALIAS_NODES).is_ok());
        assert!(d.count(1, 1).is_err());
    }

    #[test]
    fn self_referencing_anchor_is_refused() {
        for doc in ["a: &a [*a]\n", "a: &a {b: *a}\n", "a: &a {<<: *a}\n"] {
            let err = load(doc, LoadOptions::default()).unwrap_err();
            assert!(err.to_string().contains("contains itself"), "{doc}: {err}");
        }
    }

    /// yaml.v2's limit, block and flow alike (Helm 3.17.3 and 4.1.4 load a
    /// values.yaml of 10,000 levels and refuse 10,001, in either style or a
    /// mix); far deeper input is refused as quickly, and an alias of a deep
    /// anchor still counts every node it stands for.
    #[test]
    fn nesting_depth_is_bounded() {
        let run = || {
            let refused = |doc: &str| {
                let err = load(doc, LoadOptions::default()).unwrap_err();
                assert!(
                    err.to_string().contains("exceeded max depth of 10000"),
                    "{err}"
                );
            };
            let block = |n: usize| format!("{}x\n", "- ".repeat(n));
            let flow = |n: usize| format!("{}{}\n", "[".repeat(n), "]".repeat(n));
            let flow_map = |n: usize| format!("{}x{}\n", "{a: ".repeat(n), "}".repeat(n));
            let mixed = |n: usize| {
                format!(
                    "{}{}{}\n",
                    "- ".repeat(n / 2),
                    "[".repeat(n - n / 2),
                    "]".repeat(n - n / 2)
                )
            };
            let docs: [&dyn Fn(usize) -> String; 4] = [&block, &flow, &flow_map, &mixed];
            for doc in docs {
                assert!(load(&doc(MAX_DEPTH), LoadOptions::default()).is_ok());
                refused(&doc(MAX_DEPTH + 1));
            }
            let start = std::time::Instant::now();
            refused(&flow(100_000));
            refused(&block(100_000));
            refused(&"[".repeat(1_000_000));
            assert!(start.elapsed() < std::time::Duration::from_secs(5));
            let bomb = format!(
                "a: &a {}{}\nb: [{}]\n",
                "[".repeat(9_000),
                "]".repeat(9_000),
                ["*a"; 200].join(",")
            );
            let err = load(&bomb, LoadOptions::default()).unwrap_err();
            assert!(err.to_string().contains("excessive aliasing"), "{err}");
        };
        std::thread::Builder::new()
            .stack_size(8 << 20)
            .spawn(run)
            .unwrap()
            .join()
            .unwrap();
    }

    /// How Helm 3.17.3 and 4.1.4 read U+FEFF in values.yaml (`helm template`
    /// printing `toJson .Values`): an ordinary character everywhere but at the
    /// very start.
    #[test]
    fn byte_order_marks_are_characters_as_in_yaml_v2() {
        let b = "\u{feff}";
        let cases: Vec<(String, &str)> = vec![
            (format!("{b}a: 1\n"), r#"{"a":1}"#),
            (format!("a: foo{b}bar\n"), "{\"a\":\"foo\u{feff}bar\"}"),
            (format!("a: \"foo{b}bar\"\n"), "{\"a\":\"foo\u{feff}bar\"}"),
            (format!("a: 'foo{b}bar'\n"), "{\"a\":\"foo\u{feff}bar\"}"),
            (format!("a: {b}foo\n"), "{\"a\":\"\u{feff}foo\"}"),
            (format!("a: b{b}\n"), "{\"a\":\"b\u{feff}\"}"),
            (format!("a: {b}\n"), "{\"a\":\"\u{feff}\"}"),
            (format!("a: b {b}c\n"), "{\"a\":\"b \u{feff}c\"}"),
            (format!("a: 1\n{b}b: 2\n"), "{\"a\":1,\"\u{feff}b\":2}"),
            (format!("a:\n  {b}b: 1\n"), "{\"a\":{\"\u{feff}b\":1}}"),
            (format!("a: 1\n{b}  b: 2\n"), "{\"a\":1,\"\u{feff}  b\":2}"),
            (format!("---\n{b}a: 1\n"), "{\"\u{feff}a\":1}"),
            (format!("{{a: {b}b}}\n"), "{\"a\":\"\u{feff}b\"}"),
            (format!("a: [{b}, b]\n"), "{\"a\":[\"\u{feff}\",\"b\"]}"),
            (format!("# {b}\na: 1\n"), r#"{"a":1}"#),
            (format!("a: |\n  x{b}\n"), "{\"a\":\"x\u{feff}\\n\"}"),
            (format!("a: x\n  {b}y\n"), "{\"a\":\"x \u{feff}y\"}"),
            (format!("a: 1\n{b}\nb: 2\n"), "ERR"),
            (format!("a: 1\n{b}# c\nb: 2\n"), "ERR"),
            (format!("a: 1\n{b}---\nb: 2\n"), "ERR"),
            // Not Helm's reading but refused: see check_boms.
            (format!("{b}{b}a: 1\n"), "ERR"),
        ];
        let mut failures = Vec::new();
        for (doc, want) in &cases {
            let got = match load(doc, LoadOptions::default()) {
                Ok(v) => {
                    let mut w = crate::go::json::Writer::compact(Vec::new());
                    w.value(&v).unwrap();
                    String::from_utf8(w.finish()).unwrap()
                }
                Err(_) => "ERR".into(),
            };
            if got != *want {
                failures.push(format!("{doc:?}: got {got}, want {want}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
        // An escaped U+FFFE stays what it is.
        let v = load("a: \"\\uFFFE\"\n", LoadOptions::default()).unwrap();
        assert_eq!(
            v,
            Value::Map(vec![("a".into(), Value::String("\u{fffe}".into()))])
        );
    }

    /// Where a 512-byte read of yaml.v2 ends right after a U+FEFF, Helm
    /// misreads the lines after it (measured: only a mark at byte 509 of this
    /// layout fails in Helm; the window refused here is a little wider).
    #[test]
    fn byte_order_mark_on_a_read_boundary_is_refused() {
        let doc = |n: usize| format!("a: {}\u{feff}z\nbb: 2\ncc: 3\n", "x".repeat(n));
        for n in [400, 495, 510, 600, 1100] {
            let v = load(&doc(n), LoadOptions::default()).unwrap();
            let Value::Map(m) = v else { panic!() };
            assert_eq!(m.len(), 3, "{n}");
        }
        for n in [503, 506, 509] {
            let e = load(&doc(n), LoadOptions::default()).unwrap_err();
            assert!(e.to_string().contains("read boundary"), "{n}: {e}");
            assert_eq!(e.line(), Some(1));
        }
        // The second read starts after the first one's whole characters.
        let e = load(&doc(1018), LoadOptions::default()).unwrap_err();
        assert!(e.to_string().contains("read boundary"), "{e}");
    }

    #[test]
    fn block_scalar_at_end_without_line_break() {
        let v = load("a: |\n  x\n  y", LoadOptions::default()).unwrap();
        assert_eq!(
            v,
            Value::Map(vec![("a".into(), Value::String("x\ny".into()))])
        );
        let v = load("a: |\n  x\n# c", LoadOptions::default()).unwrap();
        assert_eq!(
            v,
            Value::Map(vec![("a".into(), Value::String("x\n".into()))])
        );
    }

    #[test]
    fn only_the_first_document_counts() {
        let v = load("a: 1\n---\nb: [\n", LoadOptions::default()).unwrap();
        assert_eq!(v, Value::Map(vec![("a".into(), Value::Int(1))]));
        assert_eq!(load("", LoadOptions::default()).unwrap(), Value::Null);
        assert_eq!(load("# c\n", LoadOptions::default()).unwrap(), Value::Null);
    }
}
