//! The YAML writer of gopkg.in/yaml.v2 v2.4.0, reproduced byte for byte.
//!
//! Ported from yaml.v2 (Apache-2.0) `encode.go` (scalar style choice, asking
//! the loader's port of `resolve.go` what a plain scalar would read back as)
//! and `emitterc.go`, itself a Go port of libyaml's emitter (MIT, Kirill
//! Simonov). The event-driven state machine keeps libyaml's structure (event
//! queue with the same look-ahead, same states, same column/indent
//! bookkeeping) so it can be checked line by line against `emitterc.go`.
//! Anchors, aliases, tags, directives and canonical output are never produced
//! by yaml.v2 for the data Helm writes, so they are left out.

use std::io::{self, Write};

use super::resolve;
use super::{sorter, Value};

/// yaml.v2 never calls `yaml_emitter_set_indent`, so libyaml's default of 2
/// applies (`yaml_emitter_emit_stream_start`).
const BEST_INDENT: isize = 2;
/// v2.4.0 restored line wrapping: `best_width` starts at 0 and stream start
/// turns any width <= 2*indent into 80 (only `FutureLineWrap` disables it).
const BEST_WIDTH: isize = 80;
/// Output is handed to the writer in chunks of about this size.
const FLUSH_AT: usize = 1 << 16;
/// libyaml refuses simple (implicit) keys longer than this
/// (`yaml_emitter_check_simple_key`).
const MAX_SIMPLE_KEY_LEN: usize = 128;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ScalarStyle {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EventKind {
    StreamStart,
    StreamEnd,
    /// Always implicit: yaml.v2 `marshalDoc` never writes `---`.
    DocumentStart,
    /// Always implicit: yaml.v2 `marshalDoc` never writes `...`.
    DocumentEnd,
    SequenceStart,
    SequenceEnd,
    MappingStart,
    MappingEnd,
    Scalar,
}

/// An emitter event; a scalar's text travels beside it, borrowed from the
/// caller (scalars are never held back, see `Emitter::emit`).
#[derive(Clone, Copy, Debug)]
struct Event {
    kind: EventKind,
    style: ScalarStyle,
}

impl Event {
    fn new(kind: EventKind) -> Self {
        Event {
            kind,
            style: ScalarStyle::Plain,
        }
    }
}

/// `yaml_emitter_state_t`, minus the states only reachable with features
/// yaml.v2 never uses for our data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    StreamStart,
    FirstDocumentStart,
    DocumentStart,
    DocumentContent,
    DocumentEnd,
    FlowSequenceFirstItem,
    FlowSequenceItem,
    FlowMappingFirstKey,
    FlowMappingKey,
    FlowMappingSimpleValue,
    FlowMappingValue,
    BlockSequenceFirstItem,
    BlockSequenceItem,
    BlockMappingFirstKey,
    BlockMappingKey,
    BlockMappingSimpleValue,
    BlockMappingValue,
    End,
}

/// `emitter.scalar_data`, filled by `yaml_emitter_analyze_scalar`.
#[derive(Clone, Copy, Debug, Default)]
struct ScalarAnalysis {
    len: usize,
    multiline: bool,
    flow_plain_allowed: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
    /// Printable ASCII without spaces, and no indicator past the first byte:
    /// the plain writer can copy it whole (one column per byte).
    simple: bool,
}

/// An emitter error (`emitter.problem` in Go); only reachable through misuse.
type EmitResult = Result<(), &'static str>;

/// The libyaml emitter state (`yaml_emitter_t`) and its output buffer.
struct Machine {
    buf: Vec<u8>,
    state: State,
    states: Vec<State>,
    indent: isize,
    indents: Vec<isize>,
    flow_level: usize,
    root_context: bool,
    mapping_context: bool,
    simple_key_context: bool,
    column: isize,
    whitespace: bool,
    indention: bool,
    open_ended: bool,
    scalar: ScalarAnalysis,
    style: ScalarStyle,
}

/// Streaming YAML writer producing exactly what yaml.v2 v2.4.0 `Marshal`
/// writes for the equivalent Go `interface{}` tree (the form sigs.k8s.io/yaml
/// `JSONToYAML` hands to it).
///
/// Drive it like a serializer: `begin_mapping`, then alternating keys (`str`)
/// and values, `end_mapping`; sequences likewise. Calls that would make the
/// event stream invalid (closing what is not open, a second document, ...)
/// fail with [`io::ErrorKind::InvalidInput`]; after any error the emitter
/// refuses further work.
pub struct Emitter<W: Write> {
    out: W,
    m: Machine,
    /// The one start event waiting for its look-ahead, if any.
    waiting: Option<Event>,
    frames: Vec<Frame>,
    root_done: bool,
    failed: bool,
    /// Strings arrive as sigs.k8s.io/yaml hands them to yaml.v2: after
    /// `json.Marshal` and yaml.v2's reading of that JSON (see [`via_json`]).
    via_json: bool,
}

/// A string after `json.Marshal` and yaml.v2's reading of the JSON, which
/// is what sigs.k8s.io/yaml emits. Go's JSON encoder escapes every line
/// break but NEL (U+0085), which yaml.v2 then reads as a line break inside
/// a double-quoted scalar and folds: spaces before it dropped, spaces after
/// it dropped, one break a space, n breaks n-1 newlines.
fn via_json(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    loop {
        while let Some(&c) = chars.peek() {
            if c == ' ' || c == '\u{85}' {
                break;
            }
            out.push(c);
            chars.next();
        }
        if chars.peek().is_none() {
            return out;
        }
        let (mut spaces, mut folded, mut breaks) = (0usize, false, 0usize);
        while let Some(&c) = chars.peek() {
            match c {
                ' ' if !folded => spaces += 1,
                ' ' => {}
                '\u{85}' if !folded => folded = true,
                '\u{85}' => breaks += 1,
                _ => break,
            }
            chars.next();
        }
        match (folded, breaks) {
            (false, _) => out.extend(std::iter::repeat_n(' ', spaces)),
            (true, 0) => out.push(' '),
            (true, n) => out.extend(std::iter::repeat_n('\n', n)),
        }
    }
}

/// What the caller has open, to reject misuse before it reaches the
/// state machine (which would otherwise write partial output first).
#[derive(Clone, Copy, Debug)]
enum Frame {
    Map { value_next: bool },
    Seq,
}

fn invalid(msg: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg.to_string())
}

impl<W: Write> Emitter<W> {
    /// Starts the stream and the (implicit) document, as yaml.v2
    /// `encoder.init` and `marshalDoc` do.
    pub fn new(out: W) -> Self {
        let mut e = Emitter {
            out,
            m: Machine::new(),
            waiting: None,
            frames: Vec::new(),
            root_done: false,
            failed: false,
            via_json: false,
        };
        let ok = e.emit(Event::new(EventKind::StreamStart), b"").is_ok()
            && e.emit(Event::new(EventKind::DocumentStart), b"").is_ok();
        e.failed = !ok;
        e
    }

    /// An emitter for what sigs.k8s.io/yaml writes (Helm's index files and
    /// provenance metadata): strings as yaml.v2 reads them back from
    /// `json.Marshal`'s output.
    pub fn via_json(out: W) -> Self {
        let mut e = Emitter::new(out);
        e.via_json = true;
        e
    }

    /// Starts a mapping (yaml.v2 `mappingv`, block style; an empty one comes
    /// out as `{}` because libyaml looks ahead for the end event).
    pub fn begin_mapping(&mut self) -> io::Result<()> {
        self.before_node()?;
        self.frames.push(Frame::Map { value_next: false });
        self.emit_checked(Event::new(EventKind::MappingStart), b"")
    }

    pub fn end_mapping(&mut self) -> io::Result<()> {
        self.check_usable()?;
        match self.frames.last() {
            Some(Frame::Map { value_next: false }) => {}
            Some(Frame::Map { value_next: true }) => {
                return Err(invalid("mapping closed after a key without a value"))
            }
            _ => return Err(invalid("end_mapping without an open mapping")),
        }
        self.frames.pop();
        self.emit_checked(Event::new(EventKind::MappingEnd), b"")?;
        self.after_node();
        Ok(())
    }

    /// Starts a sequence (yaml.v2 `slicev`, block style; an empty one comes
    /// out as `[]`).
    pub fn begin_sequence(&mut self) -> io::Result<()> {
        self.before_node()?;
        self.frames.push(Frame::Seq);
        self.emit_checked(Event::new(EventKind::SequenceStart), b"")
    }

    pub fn end_sequence(&mut self) -> io::Result<()> {
        self.check_usable()?;
        if !matches!(self.frames.last(), Some(Frame::Seq)) {
            return Err(invalid("end_sequence without an open sequence"));
        }
        self.frames.pop();
        self.emit_checked(Event::new(EventKind::SequenceEnd), b"")?;
        self.after_node();
        Ok(())
    }

    /// A Go string value (mapping keys too): style chosen as encode.go
    /// `stringv` does. Literal if it contains a line feed; plain if it would
    /// read back as a string; double-quoted otherwise. The emitter may still
    /// downgrade plain to single- or double-quoted after analysing the text.
    pub fn str(&mut self, s: &str) -> io::Result<()> {
        let folded;
        let s = if self.via_json && s.contains('\u{85}') {
            folded = via_json(s);
            &folded
        } else {
            s
        };
        let style = if s.as_bytes().contains(&b'\n') {
            ScalarStyle::Literal
        } else if would_resolve_to_non_string(s) {
            ScalarStyle::DoubleQuoted
        } else {
            ScalarStyle::Plain
        };
        self.scalar(s.as_bytes(), style)
    }

    /// encode.go `boolv`.
    pub fn bool(&mut self, b: bool) -> io::Result<()> {
        let s: &[u8] = if b { b"true" } else { b"false" };
        self.scalar(s, ScalarStyle::Plain)
    }

    /// encode.go `intv` (`strconv.FormatInt(v, 10)`).
    pub fn int(&mut self, i: i64) -> io::Result<()> {
        let mut digits = [0u8; 20];
        let text = format_u64(i.unsigned_abs(), &mut digits);
        if i < 0 {
            let mut buf = [0u8; 21];
            buf[0] = b'-';
            let n = text.len();
            buf[1..=n].copy_from_slice(text);
            self.scalar(&buf[..=n], ScalarStyle::Plain)
        } else {
            let n = text.len();
            let mut buf = [0u8; 20];
            buf[..n].copy_from_slice(text);
            self.scalar(&buf[..n], ScalarStyle::Plain)
        }
    }

    /// encode.go `uintv` (`strconv.FormatUint(v, 10)`).
    pub fn uint(&mut self, u: u64) -> io::Result<()> {
        let mut digits = [0u8; 20];
        let n = format_u64(u, &mut digits).len();
        let mut buf = [0u8; 20];
        buf[..n].copy_from_slice(&digits[20 - n..]);
        self.scalar(&buf[..n], ScalarStyle::Plain)
    }

    /// encode.go `floatv`: `strconv.FormatFloat(f, 'g', -1, 64)` with Go's
    /// infinities and NaN spelled the YAML way.
    pub fn float(&mut self, f: f64) -> io::Result<()> {
        let s = crate::go::strconv::format_float(f, 64);
        let s = match s.as_str() {
            "+Inf" => ".inf",
            "-Inf" => "-.inf",
            "NaN" => ".nan",
            other => other,
        };
        self.scalar(s.as_bytes(), ScalarStyle::Plain)
    }

    /// encode.go `nilv`.
    pub fn null(&mut self) -> io::Result<()> {
        self.scalar(b"null", ScalarStyle::Plain)
    }

    /// A whole generic value; mapping keys are emitted in [`natural_less`]
    /// order (yaml.v2 `mapv` sorts a Go map's keys with `keyList`).
    ///
    /// [`natural_less`]: super::sorter::natural_less
    pub fn value(&mut self, v: &Value) -> io::Result<()> {
        match v {
            Value::Null => self.null(),
            Value::Bool(b) => self.bool(*b),
            Value::Int(i) => self.int(*i),
            Value::Uint(u) => self.uint(*u),
            Value::Float(f) => self.float(*f),
            Value::String(s) => self.str(s),
            Value::Seq(items) => {
                self.begin_sequence()?;
                for item in items {
                    self.value(item)?;
                }
                self.end_sequence()
            }
            Value::Map(entries) => {
                self.begin_mapping()?;
                for (k, item) in sorter::sorted_entries(entries) {
                    self.str(k)?;
                    self.value(item)?;
                }
                self.end_mapping()
            }
        }
    }

    /// Ends the document and the stream, flushes, returns the writer.
    ///
    /// yaml.v2 `encoder.finish` clears `open_ended` before STREAM-END, so no
    /// `...` marker is ever written.
    pub fn finish(mut self) -> io::Result<W> {
        self.check_usable()?;
        if !self.frames.is_empty() {
            return Err(invalid("finish with an unclosed mapping or sequence"));
        }
        if !self.root_done {
            return Err(invalid("finish before any value was written"));
        }
        self.emit_checked(Event::new(EventKind::DocumentEnd), b"")?;
        self.m.open_ended = false;
        self.emit_checked(Event::new(EventKind::StreamEnd), b"")?;
        self.out.write_all(&self.m.buf)?;
        self.m.buf.clear();
        self.out.flush()?;
        Ok(self.out)
    }

    fn check_usable(&self) -> io::Result<()> {
        if self.failed {
            Err(invalid("emitter unusable after an earlier error"))
        } else {
            Ok(())
        }
    }

    fn before_node(&mut self) -> io::Result<()> {
        self.check_usable()?;
        if self.frames.is_empty() && self.root_done {
            return Err(invalid("only one document value may be written"));
        }
        Ok(())
    }

    fn after_node(&mut self) {
        match self.frames.last_mut() {
            Some(Frame::Map { value_next }) => *value_next = !*value_next,
            Some(Frame::Seq) => {}
            None => self.root_done = true,
        }
    }

    /// encode.go `emitScalar` with an implicit tag.
    fn scalar(&mut self, text: &[u8], style: ScalarStyle) -> io::Result<()> {
        self.before_node()?;
        let ev = Event {
            kind: EventKind::Scalar,
            style,
        };
        self.emit_checked(ev, text)?;
        self.after_node();
        Ok(())
    }

    fn emit_checked(&mut self, ev: Event, text: &[u8]) -> io::Result<()> {
        if let Err(problem) = self.emit(ev, text) {
            self.failed = true;
            return Err(invalid(problem));
        }
        if self.m.buf.len() >= FLUSH_AT {
            if let Err(e) = self.out.write_all(&self.m.buf) {
                self.failed = true;
                return Err(e);
            }
            self.m.buf.clear();
        }
        Ok(())
    }

    /// `yaml_emitter_emit` with its event queue reduced to what the state
    /// machine actually reads.
    ///
    /// libyaml holds DOCUMENT-START back for 1 further event, SEQUENCE-START
    /// for 2 and MAPPING-START for 3 (`yaml_emitter_need_more_events`), but
    /// the only decisions that look past the current event are
    /// `yaml_emitter_check_empty_sequence`/`_mapping` and
    /// `yaml_emitter_check_simple_key`, and they read exactly one event
    /// ahead of a start event. Events are processed strictly in order and
    /// the output depends only on the events and the state, so holding a
    /// start event back until the next one arrives writes the same bytes.
    /// It also means a scalar is always processed on arrival, straight from
    /// the caller's text, with no copy.
    fn emit(&mut self, ev: Event, text: &[u8]) -> EmitResult {
        if let Some(prev) = self.waiting.take() {
            self.m.process(prev, b"", &[prev, ev])?;
        }
        match ev.kind {
            EventKind::DocumentStart | EventKind::SequenceStart | EventKind::MappingStart => {
                self.waiting = Some(ev);
                Ok(())
            }
            _ => self.m.process(ev, text, &[ev]),
        }
    }
}

/// Printable ASCII bytes with no meaning to `yaml_emitter_analyze_scalar`
/// past the first position (everything but space, `,?[]{}:#` and controls).
const PLAIN_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0x21;
    while c <= 0x7E {
        t[c] = !matches!(
            c as u8,
            b',' | b'?' | b'[' | b']' | b'{' | b'}' | b':' | b'#'
        );
        c += 1;
    }
    t
};

/// `yaml_emitter_check_empty_sequence`.
fn check_empty_sequence(pending: &[Event]) -> bool {
    matches!(
        pending,
        [a, b, ..] if a.kind == EventKind::SequenceStart && b.kind == EventKind::SequenceEnd
    )
}

/// `yaml_emitter_check_empty_mapping`.
fn check_empty_mapping(pending: &[Event]) -> bool {
    matches!(
        pending,
        [a, b, ..] if a.kind == EventKind::MappingStart && b.kind == EventKind::MappingEnd
    )
}

/// Formats `v` in decimal at the end of `buf`, returning the digits.
fn format_u64(mut v: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 || i == 0 {
            break;
        }
    }
    &buf[i..]
}

// Byte classes of yamlprivateh.go. Go indexes past the end only where libyaml
// relied on a NUL terminator; reading 0 there reproduces libyaml.

#[inline]
fn at(b: &[u8], i: usize) -> u8 {
    b.get(i).copied().unwrap_or(0)
}

#[inline]
fn is_space(b: &[u8], i: usize) -> bool {
    at(b, i) == b' '
}

#[inline]
fn is_blank(b: &[u8], i: usize) -> bool {
    matches!(at(b, i), b' ' | b'\t')
}

#[inline]
fn is_break(b: &[u8], i: usize) -> bool {
    match at(b, i) {
        b'\r' | b'\n' => true,
        0xC2 => at(b, i + 1) == 0x85,
        0xE2 => at(b, i + 1) == 0x80 && matches!(at(b, i + 2), 0xA8 | 0xA9),
        _ => false,
    }
}

#[inline]
fn is_blankz(b: &[u8], i: usize) -> bool {
    is_blank(b, i) || is_break(b, i) || at(b, i) == 0
}

/// yamlprivateh.go `is_printable`.
#[inline]
fn is_printable(b: &[u8], i: usize) -> bool {
    let c = at(b, i);
    c == 0x0A
        || (0x20..=0x7E).contains(&c)
        || (c == 0xC2 && at(b, i + 1) >= 0xA0)
        || (c > 0xC2 && c < 0xED)
        || (c == 0xED && at(b, i + 1) < 0xA0)
        || c == 0xEE
        || (c == 0xEF
            && !(at(b, i + 1) == 0xBB && at(b, i + 2) == 0xBF)
            && !(at(b, i + 1) == 0xBF && matches!(at(b, i + 2), 0xBE | 0xBF)))
}

/// yamlprivateh.go `is_bom`: note it always looks at the start of the
/// value, not at `i`, so a value starting with U+FEFF gets every character
/// escaped in double quotes.
#[inline]
fn starts_with_bom(b: &[u8]) -> bool {
    b.starts_with(&[0xEF, 0xBB, 0xBF])
}

/// yamlprivateh.go `width`, never 0 so scanning always advances.
#[inline]
fn width(c: u8) -> usize {
    if c & 0x80 == 0 {
        1
    } else if c & 0xE0 == 0xC0 {
        2
    } else if c & 0xF0 == 0xE0 {
        3
    } else if c & 0xF8 == 0xF0 {
        4
    } else {
        1
    }
}

impl Machine {
    fn new() -> Self {
        Machine {
            buf: Vec::with_capacity(FLUSH_AT + 4096),
            state: State::StreamStart,
            states: Vec::with_capacity(16),
            indent: -1,
            indents: Vec::with_capacity(16),
            flow_level: 0,
            root_context: false,
            mapping_context: false,
            simple_key_context: false,
            column: 0,
            whitespace: true,
            indention: true,
            open_ended: false,
            scalar: ScalarAnalysis::default(),
            style: ScalarStyle::Plain,
        }
    }

    /// One turn of the `yaml_emitter_emit` loop: analyze, then dispatch.
    fn process(&mut self, ev: Event, text: &[u8], pending: &[Event]) -> EmitResult {
        // yaml_emitter_analyze_event: only scalars carry anything to analyse
        // here (no anchors or tags).
        self.scalar = ScalarAnalysis::default();
        if ev.kind == EventKind::Scalar {
            self.analyze_scalar(text);
        }
        self.state_machine(ev, text, pending)
    }

    fn pop_state(&mut self) -> EmitResult {
        self.state = self.states.pop().ok_or("emitter state stack underflow")?;
        Ok(())
    }

    fn pop_indent(&mut self) -> EmitResult {
        self.indent = self.indents.pop().ok_or("emitter indent stack underflow")?;
        Ok(())
    }

    // --- writer primitives (emitterc.go put, put_break, write, write_break)

    #[inline]
    fn put(&mut self, c: u8) {
        self.buf.push(c);
        self.column += 1;
    }

    #[inline]
    fn put_break(&mut self) {
        self.buf.push(b'\n');
        self.column = 0;
    }

    /// Copies one UTF-8 character; the column counts characters.
    #[inline]
    fn write(&mut self, s: &[u8], i: &mut usize) {
        let w = width(at(s, *i));
        let end = (*i + w).min(s.len());
        self.buf.extend_from_slice(s.get(*i..end).unwrap_or(&[]));
        self.column += 1;
        *i += w;
    }

    #[inline]
    fn write_break(&mut self, s: &[u8], i: &mut usize) {
        if at(s, *i) == b'\n' {
            self.put_break();
            *i += 1;
        } else {
            self.write(s, i);
            self.column = 0;
        }
    }

    /// `yaml_emitter_increase_indent`.
    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        if self.indent < 0 {
            self.indent = if flow { BEST_INDENT } else { 0 };
        } else if !indentless {
            self.indent += BEST_INDENT;
        }
    }

    // --- state machine (emitterc.go yaml_emitter_state_machine and below)

    fn state_machine(&mut self, ev: Event, text: &[u8], pending: &[Event]) -> EmitResult {
        match self.state {
            State::StreamStart => self.emit_stream_start(ev),
            State::FirstDocumentStart => self.emit_document_start(ev, true),
            State::DocumentStart => self.emit_document_start(ev, false),
            State::DocumentContent => self.emit_document_content(ev, text, pending),
            State::DocumentEnd => self.emit_document_end(ev),
            State::FlowSequenceFirstItem => self.emit_flow_sequence_item(ev, text, pending, true),
            State::FlowSequenceItem => self.emit_flow_sequence_item(ev, text, pending, false),
            State::FlowMappingFirstKey => self.emit_flow_mapping_key(ev, text, pending, true),
            State::FlowMappingKey => self.emit_flow_mapping_key(ev, text, pending, false),
            State::FlowMappingSimpleValue => self.emit_flow_mapping_value(ev, text, pending, true),
            State::FlowMappingValue => self.emit_flow_mapping_value(ev, text, pending, false),
            State::BlockSequenceFirstItem => self.emit_block_sequence_item(ev, text, pending, true),
            State::BlockSequenceItem => self.emit_block_sequence_item(ev, text, pending, false),
            State::BlockMappingFirstKey => self.emit_block_mapping_key(ev, text, pending, true),
            State::BlockMappingKey => self.emit_block_mapping_key(ev, text, pending, false),
            State::BlockMappingSimpleValue => {
                self.emit_block_mapping_value(ev, text, pending, true)
            }
            State::BlockMappingValue => self.emit_block_mapping_value(ev, text, pending, false),
            State::End => Err("expected nothing after STREAM-END"),
        }
    }

    /// `yaml_emitter_emit_stream_start` (UTF-8, no BOM, LF breaks).
    fn emit_stream_start(&mut self, ev: Event) -> EmitResult {
        if ev.kind != EventKind::StreamStart {
            return Err("expected STREAM-START");
        }
        self.indent = -1;
        self.column = 0;
        self.whitespace = true;
        self.indention = true;
        self.state = State::FirstDocumentStart;
        Ok(())
    }

    /// `yaml_emitter_emit_document_start`, without directives. Only the
    /// first document may stay implicit, as in libyaml.
    fn emit_document_start(&mut self, ev: Event, first: bool) -> EmitResult {
        match ev.kind {
            EventKind::DocumentStart => {
                let implicit = first;
                if !implicit {
                    self.write_indent();
                    self.write_indicator(b"---", true, false, false);
                }
                self.state = State::DocumentContent;
                Ok(())
            }
            EventKind::StreamEnd => {
                if self.open_ended {
                    self.write_indicator(b"...", true, false, false);
                    self.write_indent();
                }
                self.state = State::End;
                Ok(())
            }
            _ => Err("expected DOCUMENT-START or STREAM-END"),
        }
    }

    fn emit_document_content(&mut self, ev: Event, text: &[u8], pending: &[Event]) -> EmitResult {
        self.states.push(State::DocumentEnd);
        self.emit_node(ev, text, pending, true, false, false)
    }

    /// `yaml_emitter_emit_document_end` for an implicit end.
    fn emit_document_end(&mut self, ev: Event) -> EmitResult {
        if ev.kind != EventKind::DocumentEnd {
            return Err("expected DOCUMENT-END");
        }
        self.write_indent();
        self.state = State::DocumentStart;
        Ok(())
    }

    fn emit_flow_sequence_item(
        &mut self,
        ev: Event,
        text: &[u8],
        pending: &[Event],
        first: bool,
    ) -> EmitResult {
        if first {
            self.write_indicator(b"[", true, true, false);
            self.increase_indent(true, false);
            self.flow_level += 1;
        }
        if ev.kind == EventKind::SequenceEnd {
            self.flow_level = self.flow_level.saturating_sub(1);
            self.pop_indent()?;
            self.write_indicator(b"]", false, false, false);
            return self.pop_state();
        }
        if !first {
            self.write_indicator(b",", false, false, false);
        }
        if self.column > BEST_WIDTH {
            self.write_indent();
        }
        self.states.push(State::FlowSequenceItem);
        self.emit_node(ev, text, pending, false, false, false)
    }

    fn emit_flow_mapping_key(
        &mut self,
        ev: Event,
        text: &[u8],
        pending: &[Event],
        first: bool,
    ) -> EmitResult {
        if first {
            self.write_indicator(b"{", true, true, false);
            self.increase_indent(true, false);
            self.flow_level += 1;
        }
        if ev.kind == EventKind::MappingEnd {
            self.flow_level = self.flow_level.saturating_sub(1);
            self.pop_indent()?;
            self.write_indicator(b"}", false, false, false);
            return self.pop_state();
        }
        if !first {
            self.write_indicator(b",", false, false, false);
        }
        if self.column > BEST_WIDTH {
            self.write_indent();
        }
        if self.check_simple_key(pending) {
            self.states.push(State::FlowMappingSimpleValue);
            return self.emit_node(ev, text, pending, false, true, true);
        }
        self.write_indicator(b"?", true, false, false);
        self.states.push(State::FlowMappingValue);
        self.emit_node(ev, text, pending, false, true, false)
    }

    fn emit_flow_mapping_value(
        &mut self,
        ev: Event,
        text: &[u8],
        pending: &[Event],
        simple: bool,
    ) -> EmitResult {
        if simple {
            self.write_indicator(b":", false, false, false);
        } else {
            if self.column > BEST_WIDTH {
                self.write_indent();
            }
            self.write_indicator(b":", true, false, false);
        }
        self.states.push(State::FlowMappingKey);
        self.emit_node(ev, text, pending, false, true, false)
    }

    /// `yaml_emitter_emit_block_sequence_item`: a sequence that is a mapping
    /// value is not indented (`- ` at the key's column), because the
    /// indentation increase is skipped when in mapping context and not at
    /// the start of a line.
    fn emit_block_sequence_item(
        &mut self,
        ev: Event,
        text: &[u8],
        pending: &[Event],
        first: bool,
    ) -> EmitResult {
        if first {
            self.increase_indent(false, self.mapping_context && !self.indention);
        }
        if ev.kind == EventKind::SequenceEnd {
            self.pop_indent()?;
            return self.pop_state();
        }
        self.write_indent();
        self.write_indicator(b"-", true, false, true);
        self.states.push(State::BlockSequenceItem);
        self.emit_node(ev, text, pending, false, false, false)
    }

    fn emit_block_mapping_key(
        &mut self,
        ev: Event,
        text: &[u8],
        pending: &[Event],
        first: bool,
    ) -> EmitResult {
        if first {
            self.increase_indent(false, false);
        }
        if ev.kind == EventKind::MappingEnd {
            self.pop_indent()?;
            return self.pop_state();
        }
        self.write_indent();
        if self.check_simple_key(pending) {
            self.states.push(State::BlockMappingSimpleValue);
            return self.emit_node(ev, text, pending, false, true, true);
        }
        self.write_indicator(b"?", true, false, true);
        self.states.push(State::BlockMappingValue);
        self.emit_node(ev, text, pending, false, true, false)
    }

    fn emit_block_mapping_value(
        &mut self,
        ev: Event,
        text: &[u8],
        pending: &[Event],
        simple: bool,
    ) -> EmitResult {
        if simple {
            self.write_indicator(b":", false, false, false);
        } else {
            self.write_indent();
            self.write_indicator(b":", true, false, true);
        }
        self.states.push(State::BlockMappingKey);
        self.emit_node(ev, text, pending, false, true, false)
    }

    #[allow(clippy::too_many_arguments)]
    fn emit_node(
        &mut self,
        ev: Event,
        text: &[u8],
        pending: &[Event],
        root: bool,
        mapping: bool,
        simple_key: bool,
    ) -> EmitResult {
        self.root_context = root;
        self.mapping_context = mapping;
        self.simple_key_context = simple_key;
        match ev.kind {
            EventKind::Scalar => self.emit_scalar(ev, text),
            EventKind::SequenceStart => {
                self.state = if self.flow_level > 0 || check_empty_sequence(pending) {
                    State::FlowSequenceFirstItem
                } else {
                    State::BlockSequenceFirstItem
                };
                Ok(())
            }
            EventKind::MappingStart => {
                self.state = if self.flow_level > 0 || check_empty_mapping(pending) {
                    State::FlowMappingFirstKey
                } else {
                    State::BlockMappingFirstKey
                };
                Ok(())
            }
            _ => Err("expected SCALAR, SEQUENCE-START, MAPPING-START, or ALIAS"),
        }
    }

    /// `yaml_emitter_emit_scalar`.
    fn emit_scalar(&mut self, ev: Event, text: &[u8]) -> EmitResult {
        self.select_scalar_style(ev);
        self.increase_indent(true, false);
        match self.style {
            ScalarStyle::Plain => self.write_plain_scalar(text, !self.simple_key_context),
            ScalarStyle::SingleQuoted => {
                self.write_single_quoted_scalar(text, !self.simple_key_context)
            }
            ScalarStyle::DoubleQuoted => {
                self.write_double_quoted_scalar(text, !self.simple_key_context)
            }
            ScalarStyle::Literal => self.write_literal_scalar(text),
        }
        self.pop_indent()?;
        self.pop_state()
    }

    /// `yaml_emitter_check_simple_key` (no anchors or tags to count).
    fn check_simple_key(&self, pending: &[Event]) -> bool {
        let Some(first) = pending.first() else {
            return false;
        };
        let length = match first.kind {
            EventKind::Scalar => {
                if self.scalar.multiline {
                    return false;
                }
                self.scalar.len
            }
            EventKind::SequenceStart => {
                if !check_empty_sequence(pending) {
                    return false;
                }
                0
            }
            EventKind::MappingStart => {
                if !check_empty_mapping(pending) {
                    return false;
                }
                0
            }
            _ => return false,
        };
        length <= MAX_SIMPLE_KEY_LEN
    }

    /// `yaml_emitter_select_scalar_style` for untagged, implicit scalars.
    fn select_scalar_style(&mut self, ev: Event) {
        let mut style = ev.style;
        if self.simple_key_context && self.scalar.multiline {
            style = ScalarStyle::DoubleQuoted;
        }
        if style == ScalarStyle::Plain {
            if (self.flow_level > 0 && !self.scalar.flow_plain_allowed)
                || (self.flow_level == 0 && !self.scalar.block_plain_allowed)
            {
                style = ScalarStyle::SingleQuoted;
            }
            if self.scalar.len == 0 && (self.flow_level > 0 || self.simple_key_context) {
                style = ScalarStyle::SingleQuoted;
            }
        }
        if style == ScalarStyle::SingleQuoted && !self.scalar.single_quoted_allowed {
            style = ScalarStyle::DoubleQuoted;
        }
        if style == ScalarStyle::Literal
            && (!self.scalar.block_allowed || self.flow_level > 0 || self.simple_key_context)
        {
            style = ScalarStyle::DoubleQuoted;
        }
        self.style = style;
    }

    /// `yaml_emitter_analyze_scalar` (yaml.v2 always enables unicode output,
    /// so only unprintable characters count as special).
    fn analyze_scalar(&mut self, value: &[u8]) {
        let mut block_indicators = false;
        let mut flow_indicators = false;
        let mut line_breaks = false;
        let mut special_characters = false;
        let mut leading_space = false;
        let mut leading_break = false;
        let mut trailing_space = false;
        let mut trailing_break = false;
        let mut break_space = false;
        let mut space_break = false;
        let mut previous_space = false;
        let mut previous_break = false;

        self.scalar.len = value.len();
        if value.is_empty() {
            self.scalar.multiline = false;
            self.scalar.flow_plain_allowed = false;
            self.scalar.block_plain_allowed = true;
            self.scalar.single_quoted_allowed = true;
            self.scalar.block_allowed = false;
            return;
        }
        if value.starts_with(b"---") || value.starts_with(b"...") {
            block_indicators = true;
            flow_indicators = true;
        }

        let mut preceded_by_whitespace = true;
        let mut simple = (0x21..=0x7E).contains(&value[0]);
        let mut i = 0;
        while i < value.len() {
            let c = value[i];
            if i > 0 {
                simple &= PLAIN_BYTE[usize::from(c)];
            }
            if i > 0 && c == b' ' {
                // The space branch below, for a space past the first byte.
                if i + 1 == value.len() {
                    trailing_space = true;
                }
                if previous_break {
                    break_space = true;
                }
                previous_space = true;
                previous_break = false;
                preceded_by_whitespace = true;
                i += 1;
                continue;
            }
            if i > 0 && PLAIN_BYTE[usize::from(c)] {
                // A run of printable ASCII that is neither blank, break nor
                // an indicator after the first position changes nothing but
                // the "previous character" flags.
                while i < value.len() && PLAIN_BYTE[usize::from(value[i])] {
                    i += 1;
                }
                previous_space = false;
                previous_break = false;
                preceded_by_whitespace = false;
                continue;
            }
            let w = width(c);
            let followed_by_whitespace = i + w >= value.len() || is_blank(value, i + w);
            if i == 0 {
                match c {
                    b'#' | b',' | b'[' | b']' | b'{' | b'}' | b'&' | b'*' | b'!' | b'|' | b'>'
                    | b'\'' | b'"' | b'%' | b'@' | b'`' => {
                        flow_indicators = true;
                        block_indicators = true;
                    }
                    b'?' | b':' => {
                        flow_indicators = true;
                        if followed_by_whitespace {
                            block_indicators = true;
                        }
                    }
                    b'-' if followed_by_whitespace => {
                        flow_indicators = true;
                        block_indicators = true;
                    }
                    _ => {}
                }
            } else {
                match c {
                    b',' | b'?' | b'[' | b']' | b'{' | b'}' => flow_indicators = true,
                    b':' => {
                        flow_indicators = true;
                        if followed_by_whitespace {
                            block_indicators = true;
                        }
                    }
                    b'#' if preceded_by_whitespace => {
                        flow_indicators = true;
                        block_indicators = true;
                    }
                    _ => {}
                }
            }

            if !is_printable(value, i) {
                special_characters = true;
            }
            if c == b' ' {
                if i == 0 {
                    leading_space = true;
                }
                if i + w == value.len() {
                    trailing_space = true;
                }
                if previous_break {
                    break_space = true;
                }
                previous_space = true;
                previous_break = false;
            } else if is_break(value, i) {
                line_breaks = true;
                if i == 0 {
                    leading_break = true;
                }
                if i + w == value.len() {
                    trailing_break = true;
                }
                if previous_space {
                    space_break = true;
                }
                previous_space = false;
                previous_break = true;
            } else {
                previous_space = false;
                previous_break = false;
            }
            preceded_by_whitespace = is_blankz(value, i);
            i += w;
        }

        let s = &mut self.scalar;
        s.simple = simple;
        s.multiline = line_breaks;
        s.flow_plain_allowed = true;
        s.block_plain_allowed = true;
        s.single_quoted_allowed = true;
        s.block_allowed = true;
        if leading_space || leading_break || trailing_space || trailing_break {
            s.flow_plain_allowed = false;
            s.block_plain_allowed = false;
        }
        if trailing_space {
            s.block_allowed = false;
        }
        if break_space {
            s.flow_plain_allowed = false;
            s.block_plain_allowed = false;
            s.single_quoted_allowed = false;
        }
        if space_break || special_characters {
            s.flow_plain_allowed = false;
            s.block_plain_allowed = false;
            s.single_quoted_allowed = false;
            s.block_allowed = false;
        }
        if line_breaks {
            s.flow_plain_allowed = false;
            s.block_plain_allowed = false;
        }
        if flow_indicators {
            s.flow_plain_allowed = false;
        }
        if block_indicators {
            s.block_plain_allowed = false;
        }
    }

    /// `yaml_emitter_write_indent`.
    fn write_indent(&mut self) {
        let indent = self.indent.max(0);
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        if self.column < indent {
            let n = indent - self.column;
            self.buf.resize(self.buf.len() + n as usize, b' ');
            self.column = indent;
        }
        self.whitespace = true;
        self.indention = true;
    }

    /// `yaml_emitter_write_indicator`.
    fn write_indicator(
        &mut self,
        indicator: &[u8],
        need_whitespace: bool,
        is_whitespace: bool,
        is_indention: bool,
    ) {
        if need_whitespace && !self.whitespace {
            self.put(b' ');
        }
        // Every indicator is ASCII: one column per byte.
        self.buf.extend_from_slice(indicator);
        self.column += indicator.len() as isize;
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
        self.open_ended = false;
    }

    /// `yaml_emitter_write_plain_scalar`.
    fn write_plain_scalar(&mut self, value: &[u8], allow_breaks: bool) {
        if !self.whitespace {
            self.put(b' ');
        }
        if self.scalar.simple {
            // No spaces or breaks: the loop below would only copy.
            self.buf.extend_from_slice(value);
            self.column += value.len() as isize;
            self.whitespace = false;
            self.indention = false;
            if self.root_context {
                self.open_ended = true;
            }
            return;
        }
        let mut spaces = false;
        let mut breaks = false;
        let mut i = 0;
        while i < value.len() {
            let c = value[i];
            if c == b' ' {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && !is_space(value, i + 1) {
                    self.write_indent();
                    i += 1;
                } else {
                    self.write(value, &mut i);
                }
                spaces = true;
            } else if is_break(value, i) {
                if !breaks && c == b'\n' {
                    self.put_break();
                }
                self.write_break(value, &mut i);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.write_run(value, &mut i);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.whitespace = false;
        self.indention = false;
        if self.root_context {
            self.open_ended = true;
        }
    }

    /// Copies characters up to the next space or line break, which is what
    /// repeated `write` calls in the plain and literal writers do for them.
    #[inline]
    fn write_run(&mut self, value: &[u8], i: &mut usize) {
        let start = *i;
        let mut j = start;
        let mut chars: isize = 0;
        while j < value.len() {
            let c = value[j];
            if c < 0x80 {
                if c == b' ' || c == b'\r' || c == b'\n' {
                    break;
                }
                j += 1;
            } else {
                if is_break(value, j) {
                    break;
                }
                j += width(c);
            }
            chars += 1;
        }
        if j == start {
            self.write(value, i);
            return;
        }
        let end = j.min(value.len());
        self.buf
            .extend_from_slice(value.get(start..end).unwrap_or(&[]));
        self.column += chars;
        *i = j;
    }

    /// `yaml_emitter_write_single_quoted_scalar`.
    fn write_single_quoted_scalar(&mut self, value: &[u8], allow_breaks: bool) {
        self.write_indicator(b"'", true, false, false);
        let mut spaces = false;
        let mut breaks = false;
        let mut i = 0;
        while i < value.len() {
            let c = value[i];
            if c == b' ' {
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i > 0
                    && i < value.len() - 1
                    && !is_space(value, i + 1)
                {
                    self.write_indent();
                    i += 1;
                } else {
                    self.write(value, &mut i);
                }
                spaces = true;
            } else if is_break(value, i) {
                if !breaks && c == b'\n' {
                    self.put_break();
                }
                self.write_break(value, &mut i);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if c == b'\'' {
                    self.put(b'\'');
                }
                self.write(value, &mut i);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.write_indicator(b"'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    /// `yaml_emitter_write_double_quoted_scalar`.
    fn write_double_quoted_scalar(&mut self, value: &[u8], allow_breaks: bool) {
        let mut spaces = false;
        self.write_indicator(b"\"", true, false, false);
        let bom = starts_with_bom(value);
        let mut i = 0;
        while i < value.len() {
            let octet = value[i];
            if !bom && (0x21..=0x7E).contains(&octet) && octet != b'"' && octet != b'\\' {
                // Printable ASCII other than space, quote and backslash: the
                // last branch below.
                self.put(octet);
                spaces = false;
                i += 1;
                continue;
            }
            if !is_printable(value, i)
                || bom
                || is_break(value, i)
                || octet == b'"'
                || octet == b'\\'
            {
                let (w, mut v) = match octet {
                    o if o & 0x80 == 0x00 => (1, u32::from(o & 0x7F)),
                    o if o & 0xE0 == 0xC0 => (2, u32::from(o & 0x1F)),
                    o if o & 0xF0 == 0xE0 => (3, u32::from(o & 0x0F)),
                    o if o & 0xF8 == 0xF0 => (4, u32::from(o & 0x07)),
                    _ => (1, 0),
                };
                for k in 1..w {
                    v = (v << 6) + (u32::from(at(value, i + k)) & 0x3F);
                }
                i += w;
                self.put(b'\\');
                match v {
                    0x00 => self.put(b'0'),
                    0x07 => self.put(b'a'),
                    0x08 => self.put(b'b'),
                    0x09 => self.put(b't'),
                    0x0A => self.put(b'n'),
                    0x0B => self.put(b'v'),
                    0x0C => self.put(b'f'),
                    0x0D => self.put(b'r'),
                    0x1B => self.put(b'e'),
                    0x22 => self.put(b'"'),
                    0x5C => self.put(b'\\'),
                    0x85 => self.put(b'N'),
                    0xA0 => self.put(b'_'),
                    0x2028 => self.put(b'L'),
                    0x2029 => self.put(b'P'),
                    _ => {
                        let digits: u32 = if v <= 0xFF {
                            self.put(b'x');
                            2
                        } else if v <= 0xFFFF {
                            self.put(b'u');
                            4
                        } else {
                            self.put(b'U');
                            8
                        };
                        for k in (0..digits).rev() {
                            let digit = ((v >> (k * 4)) & 0x0F) as u8;
                            self.put(if digit < 10 {
                                digit + b'0'
                            } else {
                                digit + b'A' - 10
                            });
                        }
                    }
                }
                spaces = false;
            } else if octet == b' ' {
                if allow_breaks
                    && !spaces
                    && self.column > BEST_WIDTH
                    && i > 0
                    && i < value.len() - 1
                {
                    self.write_indent();
                    if is_space(value, i + 1) {
                        self.put(b'\\');
                    }
                    i += 1;
                } else {
                    self.write(value, &mut i);
                }
                spaces = true;
            } else {
                self.write(value, &mut i);
                spaces = false;
            }
        }
        self.write_indicator(b"\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    /// `yaml_emitter_write_block_scalar_hints`: an indentation indicator when
    /// the text starts with a space or break, and `-`/`+` chomping unless the
    /// text ends with exactly one line break.
    fn write_block_scalar_hints(&mut self, value: &[u8]) {
        if is_space(value, 0) || is_break(value, 0) {
            let hint = [b'0' + BEST_INDENT as u8];
            self.write_indicator(&hint, false, false, false);
        }
        self.open_ended = false;

        let mut chomp: Option<u8> = None;
        if value.is_empty() {
            chomp = Some(b'-');
        } else {
            let mut i = value.len() - 1;
            while i > 0 && value[i] & 0xC0 == 0x80 {
                i -= 1;
            }
            if !is_break(value, i) {
                chomp = Some(b'-');
            } else if i == 0 {
                chomp = Some(b'+');
                self.open_ended = true;
            } else {
                i -= 1;
                while i > 0 && value[i] & 0xC0 == 0x80 {
                    i -= 1;
                }
                if is_break(value, i) {
                    chomp = Some(b'+');
                    self.open_ended = true;
                }
            }
        }
        if let Some(c) = chomp {
            self.write_indicator(&[c], false, false, false);
        }
    }

    /// `yaml_emitter_write_literal_scalar`. (yaml.v2's encoder never asks for
    /// folded style, so `write_folded_scalar` has no counterpart here.)
    fn write_literal_scalar(&mut self, value: &[u8]) {
        self.write_indicator(b"|", true, false, false);
        self.write_block_scalar_hints(value);
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        let mut i = 0;
        while i < value.len() {
            if is_break(value, i) {
                self.write_break(value, &mut i);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if value[i] == b' ' {
                    self.write(value, &mut i);
                } else {
                    self.write_run(value, &mut i);
                }
                self.indention = false;
                breaks = false;
            }
        }
    }
}

// ---------------------------------------------------------------------------
// encode.go `stringv`: would this text, written plain, read back as
// something other than a string?

/// encode.go `stringv`: a string may be written plain only if
/// `resolve("", s)` tags it `!!str` (the loader's resolution, shared so the
/// two directions cannot drift apart) and it is not a YAML 1.1 base-60 float
/// (which yaml.v2 no longer decodes but still quotes for other parsers).
fn would_resolve_to_non_string(s: &str) -> bool {
    !resolve::resolves_to_str(s) || is_base60_float(s.as_bytes())
}

/// encode.go `isBase60Float`: the regular expression
/// `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`, matched by hand.
fn is_base60_float(s: &[u8]) -> bool {
    let Some(&c) = s.first() else {
        return false;
    };
    if !(c == b'+' || c == b'-' || c.is_ascii_digit()) || !s.contains(&b':') {
        return false;
    }
    let mut i = usize::from(c == b'+' || c == b'-');
    if !at(s, i).is_ascii_digit() {
        return false;
    }
    i += 1;
    while at(s, i).is_ascii_digit() || at(s, i) == b'_' {
        i += 1;
    }
    let mut groups = 0;
    while at(s, i) == b':' {
        i += 1;
        let (d1, d2) = (at(s, i), at(s, i + 1));
        if d1.is_ascii_digit() && d2.is_ascii_digit() {
            // `[0-5]?[0-9]` followed by ':', '.' or the end: two digits
            // must both be taken, and then the first must be 0-5.
            if d1 > b'5' {
                return false;
            }
            i += 2;
        } else if d1.is_ascii_digit() {
            i += 1;
        } else {
            return false;
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if at(s, i) == b'.' {
        i += 1;
        while at(s, i).is_ascii_digit() || at(s, i) == b'_' {
            i += 1;
        }
    }
    i == s.len()
}

#[cfg(test)]
mod tests {
    #[test]
    fn nel_is_folded_as_yaml_v2_reads_json() {
        assert_eq!(super::via_json("back\\slash \u{85}nel"), "back\\slash nel");
        assert_eq!(super::via_json("\u{85}nel"), " nel");
        assert_eq!(super::via_json("a  \u{85}  \u{85}\u{85}b"), "a\n\nb");
        assert_eq!(super::via_json("a  b "), "a  b ");
        let mut e = Emitter::via_json(Vec::new());
        e.str("x\u{85}y").unwrap();
        assert_eq!(String::from_utf8(e.finish().unwrap()).unwrap(), "x y\n");
    }

    use super::*;

    fn from_json(v: &serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
                (Some(i), _, _) => Value::Int(i),
                (None, Some(u), _) => Value::Uint(u),
                (None, None, Some(f)) => Value::Float(f),
                _ => Value::Null,
            },
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Array(a) => Value::Seq(a.iter().map(from_json).collect()),
            serde_json::Value::Object(o) => {
                Value::Map(o.iter().map(|(k, v)| (k.clone(), from_json(v))).collect())
            }
        }
    }

    fn emit_value(v: &Value) -> String {
        let mut e = Emitter::new(Vec::new());
        e.value(v).expect("value");
        String::from_utf8(e.finish().expect("finish")).expect("utf-8")
    }

    fn emit_with(f: impl FnOnce(&mut Emitter<Vec<u8>>) -> io::Result<()>) -> String {
        let mut e = Emitter::new(Vec::new());
        f(&mut e).expect("events");
        String::from_utf8(e.finish().expect("finish")).expect("utf-8")
    }

    #[test]
    fn string_scalars_match_yaml_v2() {
        for &(s, as_value, as_key, in_seq) in STRING_CASES {
            let got = emit_with(|e| {
                e.begin_mapping()?;
                e.str("k")?;
                e.str(s)?;
                e.end_mapping()
            });
            assert_eq!(got, as_value, "value {s:?}");
            let got = emit_with(|e| {
                e.begin_mapping()?;
                e.str(s)?;
                e.int(1)?;
                e.end_mapping()
            });
            assert_eq!(got, as_key, "key {s:?}");
            let got = emit_with(|e| {
                e.begin_sequence()?;
                e.str(s)?;
                e.end_sequence()
            });
            assert_eq!(got, in_seq, "sequence item {s:?}");
        }
    }

    #[test]
    fn documents_match_yaml_v2() {
        for &(json, want) in DOC_CASES {
            let v: serde_json::Value = serde_json::from_str(json).expect("json");
            assert_eq!(emit_value(&from_json(&v)), want, "document {json}");
        }
    }

    #[test]
    fn plain_scalar_resolution_matches_yaml_v2() {
        for &(s, want) in QUOTE_CASES {
            assert_eq!(would_resolve_to_non_string(s), want, "{s:?}");
        }
    }

    /// Go 1.21+ `time.Parse` (what current Helm is built with) differs from
    /// older Go here: fractions of any length are accepted, and zone offset
    /// fields must be two digits with hours <= 24 and minutes <= 60.
    #[test]
    fn timestamps_follow_current_go_time_parse() {
        for (s, want) in [
            ("2024-01-01T10:20:30.1234567890Z", true),
            ("2024-01-01 10:20:30.123456789012", true),
            ("2024-01-01T10:20:30+-1:00", false),
            ("2024-01-01T10:20:30+25:00", false),
            ("2024-01-01T10:20:30+24:00", true),
            ("2024-01-01T10:20:30+01:61", false),
            ("2024-01-01T10:20:30+01:60", true),
            ("2024-02-29", true),
            ("2023-02-29", false),
            ("1900-02-29", false),
            ("2000-02-29", true),
        ] {
            assert_eq!(would_resolve_to_non_string(s), want, "{s:?}");
        }
    }

    #[test]
    fn scalar_kinds() {
        let got = emit_with(|e| {
            e.begin_sequence()?;
            e.int(i64::MIN)?;
            e.int(0)?;
            e.uint(u64::MAX)?;
            e.bool(true)?;
            e.bool(false)?;
            e.null()?;
            e.float(f64::INFINITY)?;
            e.float(f64::NEG_INFINITY)?;
            e.float(f64::NAN)?;
            e.float(1.5)?;
            e.end_sequence()
        });
        assert_eq!(
            got,
            "- -9223372036854775808\n- 0\n- 18446744073709551615\n- true\n- false\n- null\n\
             - .inf\n- -.inf\n- .nan\n- 1.5\n"
        );
    }

    #[test]
    fn streaming_matches_value() {
        let v: serde_json::Value =
            serde_json::from_str(DOC_CASES[DOC_CASES.len() - 1].0).expect("json");
        let value = from_json(&v);
        fn stream(e: &mut Emitter<Vec<u8>>, v: &Value) -> io::Result<()> {
            match v {
                Value::Map(m) => {
                    e.begin_mapping()?;
                    let mut keys: Vec<&(String, Value)> = m.iter().collect();
                    sorter::sort_natural(&mut keys, |k| k.0.as_str());
                    for (k, x) in keys {
                        e.str(k)?;
                        stream(e, x)?;
                    }
                    e.end_mapping()
                }
                Value::Seq(s) => {
                    e.begin_sequence()?;
                    for x in s {
                        stream(e, x)?;
                    }
                    e.end_sequence()
                }
                other => e.value(other),
            }
        }
        let streamed = emit_with(|e| stream(e, &value));
        assert_eq!(streamed, emit_value(&value));
        assert_eq!(streamed, DOC_CASES[DOC_CASES.len() - 1].1);
    }

    #[test]
    fn duplicate_keys_keep_the_last_value() {
        let v = Value::Map(vec![
            ("b".into(), Value::Int(1)),
            ("a".into(), Value::Int(2)),
            ("b".into(), Value::Int(3)),
        ]);
        assert_eq!(emit_value(&v), "a: 2\nb: 3\n");
    }

    /// Counts the chunks handed to the writer.
    struct Chunks {
        data: Vec<u8>,
        writes: usize,
    }

    impl Write for Chunks {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.writes += 1;
            self.data.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn large_output_is_written_in_chunks() {
        let items: Vec<Value> = (0..20_000)
            .map(|i| Value::String(format!("item number {i} with some text")))
            .collect();
        let v = Value::Map(vec![("list".into(), Value::Seq(items))]);
        let mut e = Emitter::new(Chunks {
            data: Vec::new(),
            writes: 0,
        });
        e.value(&v).expect("value");
        let out = e.finish().expect("finish");
        assert!(out.writes > 3 && out.writes < 100, "{} writes", out.writes);
        assert_eq!(out.data, emit_value(&v).into_bytes());
        assert!(out
            .data
            .starts_with(b"list:\n- item number 0 with some text\n"));
    }

    struct Failing;

    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::other("disk full"))
        }
        fn flush(&mut self) -> io::Result<()> {
            Err(io::Error::other("disk full"))
        }
    }

    #[test]
    fn writer_errors_are_returned() {
        let mut e = Emitter::new(Failing);
        e.str("x").expect("buffered");
        let err = e.finish().err().expect("error");
        assert_eq!(err.to_string(), "disk full");
    }

    #[test]
    fn misuse_is_rejected_without_panicking() {
        let kind = |r: io::Result<()>| r.err().map(|e| e.kind());
        let inv = Some(io::ErrorKind::InvalidInput);

        let mut e = Emitter::new(Vec::new());
        assert_eq!(kind(e.end_mapping()), inv);
        let mut e = Emitter::new(Vec::new());
        assert_eq!(kind(e.end_sequence()), inv);
        let mut e = Emitter::new(Vec::new());
        e.begin_mapping().expect("begin");
        assert_eq!(kind(e.end_sequence()), inv);
        let mut e = Emitter::new(Vec::new());
        e.begin_mapping().expect("begin");
        e.str("key").expect("key");
        assert_eq!(kind(e.end_mapping()), inv);
        let mut e = Emitter::new(Vec::new());
        e.begin_sequence().expect("begin");
        assert_eq!(kind(e.end_mapping()), inv);
        let mut e = Emitter::new(Vec::new());
        e.str("one").expect("root");
        assert_eq!(kind(e.str("two")), inv);
        assert_eq!(kind(e.begin_mapping()), inv);
        assert!(e.finish().is_ok());

        let e = Emitter::new(Vec::new());
        assert_eq!(e.finish().err().map(|e| e.kind()), inv);
        let mut e = Emitter::new(Vec::new());
        e.begin_sequence().expect("begin");
        assert_eq!(e.finish().err().map(|e| e.kind()), inv);
    }

    #[test]
    fn non_string_keys_are_allowed() {
        let got = emit_with(|e| {
            e.begin_mapping()?;
            e.int(1)?;
            e.bool(true)?;
            e.begin_sequence()?;
            e.end_sequence()?;
            e.null()?;
            e.begin_sequence()?;
            e.str("a")?;
            e.end_sequence()?;
            e.str("v")?;
            e.end_mapping()
        });
        assert_eq!(got, "1: true\n[]: null\n? - a\n: v\n");
    }

    /// yaml.v2 v2.4.0 output for `{"k": s}`, `{s: 1}` and `[s]`.
    const STRING_CASES: &[(&str, &str, &str, &str)] = &[
        ("y", "k: \"y\"\n", "\"y\": 1\n", "- \"y\"\n"),
        ("Y", "k: \"Y\"\n", "\"Y\": 1\n", "- \"Y\"\n"),
        ("yes", "k: \"yes\"\n", "\"yes\": 1\n", "- \"yes\"\n"),
        ("Yes", "k: \"Yes\"\n", "\"Yes\": 1\n", "- \"Yes\"\n"),
        ("YES", "k: \"YES\"\n", "\"YES\": 1\n", "- \"YES\"\n"),
        ("yEs", "k: yEs\n", "yEs: 1\n", "- yEs\n"),
        ("true", "k: \"true\"\n", "\"true\": 1\n", "- \"true\"\n"),
        ("True", "k: \"True\"\n", "\"True\": 1\n", "- \"True\"\n"),
        ("TRUE", "k: \"TRUE\"\n", "\"TRUE\": 1\n", "- \"TRUE\"\n"),
        ("tRue", "k: tRue\n", "tRue: 1\n", "- tRue\n"),
        ("on", "k: \"on\"\n", "\"on\": 1\n", "- \"on\"\n"),
        ("On", "k: \"On\"\n", "\"On\": 1\n", "- \"On\"\n"),
        ("ON", "k: \"ON\"\n", "\"ON\": 1\n", "- \"ON\"\n"),
        ("oN", "k: oN\n", "oN: 1\n", "- oN\n"),
        ("n", "k: \"n\"\n", "\"n\": 1\n", "- \"n\"\n"),
        ("N", "k: \"N\"\n", "\"N\": 1\n", "- \"N\"\n"),
        ("no", "k: \"no\"\n", "\"no\": 1\n", "- \"no\"\n"),
        ("No", "k: \"No\"\n", "\"No\": 1\n", "- \"No\"\n"),
        ("NO", "k: \"NO\"\n", "\"NO\": 1\n", "- \"NO\"\n"),
        ("false", "k: \"false\"\n", "\"false\": 1\n", "- \"false\"\n"),
        ("False", "k: \"False\"\n", "\"False\": 1\n", "- \"False\"\n"),
        ("FALSE", "k: \"FALSE\"\n", "\"FALSE\": 1\n", "- \"FALSE\"\n"),
        ("off", "k: \"off\"\n", "\"off\": 1\n", "- \"off\"\n"),
        ("Off", "k: \"Off\"\n", "\"Off\": 1\n", "- \"Off\"\n"),
        ("OFF", "k: \"OFF\"\n", "\"OFF\": 1\n", "- \"OFF\"\n"),
        ("", "k: \"\"\n", "\"\": 1\n", "- \"\"\n"),
        ("~", "k: \"~\"\n", "\"~\": 1\n", "- \"~\"\n"),
        ("null", "k: \"null\"\n", "\"null\": 1\n", "- \"null\"\n"),
        ("Null", "k: \"Null\"\n", "\"Null\": 1\n", "- \"Null\"\n"),
        ("NULL", "k: \"NULL\"\n", "\"NULL\": 1\n", "- \"NULL\"\n"),
        ("nULL", "k: nULL\n", "nULL: 1\n", "- nULL\n"),
        (".nan", "k: \".nan\"\n", "\".nan\": 1\n", "- \".nan\"\n"),
        (".NaN", "k: \".NaN\"\n", "\".NaN\": 1\n", "- \".NaN\"\n"),
        (".NAN", "k: \".NAN\"\n", "\".NAN\": 1\n", "- \".NAN\"\n"),
        (".nAn", "k: .nAn\n", ".nAn: 1\n", "- .nAn\n"),
        (".inf", "k: \".inf\"\n", "\".inf\": 1\n", "- \".inf\"\n"),
        (".Inf", "k: \".Inf\"\n", "\".Inf\": 1\n", "- \".Inf\"\n"),
        (".INF", "k: \".INF\"\n", "\".INF\": 1\n", "- \".INF\"\n"),
        ("+.inf", "k: \"+.inf\"\n", "\"+.inf\": 1\n", "- \"+.inf\"\n"),
        ("+.Inf", "k: \"+.Inf\"\n", "\"+.Inf\": 1\n", "- \"+.Inf\"\n"),
        ("+.INF", "k: \"+.INF\"\n", "\"+.INF\": 1\n", "- \"+.INF\"\n"),
        ("-.inf", "k: \"-.inf\"\n", "\"-.inf\": 1\n", "- \"-.inf\"\n"),
        ("-.Inf", "k: \"-.Inf\"\n", "\"-.Inf\": 1\n", "- \"-.Inf\"\n"),
        ("-.INF", "k: \"-.INF\"\n", "\"-.INF\": 1\n", "- \"-.INF\"\n"),
        ("<<", "k: <<\n", "<<: 1\n", "- <<\n"),
        ("=", "k: =\n", "=: 1\n", "- =\n"),
        ("-", "k: '-'\n", "'-': 1\n", "- '-'\n"),
        ("+", "k: +\n", "+: 1\n", "- +\n"),
        (".", "k: .\n", ".: 1\n", "- .\n"),
        ("..", "k: ..\n", "..: 1\n", "- ..\n"),
        ("...", "k: '...'\n", "'...': 1\n", "- '...'\n"),
        ("---", "k: '---'\n", "'---': 1\n", "- '---'\n"),
        ("--", "k: --\n", "--: 1\n", "- --\n"),
        ("-- ", "k: '-- '\n", "'-- ': 1\n", "- '-- '\n"),
        ("? ", "k: '? '\n", "'? ': 1\n", "- '? '\n"),
        ("?", "k: '?'\n", "'?': 1\n", "- '?'\n"),
        ("? x", "k: '? x'\n", "'? x': 1\n", "- '? x'\n"),
        (":", "k: ':'\n", "':': 1\n", "- ':'\n"),
        (": ", "k: ': '\n", "': ': 1\n", "- ': '\n"),
        ("a:", "k: 'a:'\n", "'a:': 1\n", "- 'a:'\n"),
        ("a: b", "k: 'a: b'\n", "'a: b': 1\n", "- 'a: b'\n"),
        ("a :b", "k: a :b\n", "a :b: 1\n", "- a :b\n"),
        ("#", "k: '#'\n", "'#': 1\n", "- '#'\n"),
        ("a #b", "k: 'a #b'\n", "'a #b': 1\n", "- 'a #b'\n"),
        ("a#b", "k: a#b\n", "a#b: 1\n", "- a#b\n"),
        ("- ", "k: '- '\n", "'- ': 1\n", "- '- '\n"),
        ("-a", "k: -a\n", "-a: 1\n", "- -a\n"),
        ("- a", "k: '- a'\n", "'- a': 1\n", "- '- a'\n"),
        ("@a", "k: '@a'\n", "'@a': 1\n", "- '@a'\n"),
        ("`a", "k: '`a'\n", "'`a': 1\n", "- '`a'\n"),
        ("a@", "k: a@\n", "a@: 1\n", "- a@\n"),
        ("a`", "k: a`\n", "a`: 1\n", "- a`\n"),
        ("inf", "k: inf\n", "inf: 1\n", "- inf\n"),
        ("nan", "k: nan\n", "nan: 1\n", "- nan\n"),
        ("Infinity", "k: Infinity\n", "Infinity: 1\n", "- Infinity\n"),
        (
            "-Infinity",
            "k: -Infinity\n",
            "-Infinity: 1\n",
            "- -Infinity\n",
        ),
        ("infinity", "k: infinity\n", "infinity: 1\n", "- infinity\n"),
        ("NaN", "k: NaN\n", "NaN: 1\n", "- NaN\n"),
        ("1", "k: \"1\"\n", "\"1\": 1\n", "- \"1\"\n"),
        ("-1", "k: \"-1\"\n", "\"-1\": 1\n", "- \"-1\"\n"),
        ("+1", "k: \"+1\"\n", "\"+1\": 1\n", "- \"+1\"\n"),
        ("0", "k: \"0\"\n", "\"0\": 1\n", "- \"0\"\n"),
        ("-0", "k: \"-0\"\n", "\"-0\": 1\n", "- \"-0\"\n"),
        ("+0", "k: \"+0\"\n", "\"+0\": 1\n", "- \"+0\"\n"),
        ("00", "k: \"00\"\n", "\"00\": 1\n", "- \"00\"\n"),
        ("01", "k: \"01\"\n", "\"01\": 1\n", "- \"01\"\n"),
        ("08", "k: \"08\"\n", "\"08\": 1\n", "- \"08\"\n"),
        ("09", "k: \"09\"\n", "\"09\": 1\n", "- \"09\"\n"),
        ("0o17", "k: \"0o17\"\n", "\"0o17\": 1\n", "- \"0o17\"\n"),
        ("0O17", "k: \"0O17\"\n", "\"0O17\": 1\n", "- \"0O17\"\n"),
        ("0x1F", "k: \"0x1F\"\n", "\"0x1F\": 1\n", "- \"0x1F\"\n"),
        ("0X1f", "k: \"0X1f\"\n", "\"0X1f\": 1\n", "- \"0X1f\"\n"),
        ("0x", "k: 0x\n", "0x: 1\n", "- 0x\n"),
        ("0b", "k: 0b\n", "0b: 1\n", "- 0b\n"),
        ("0o", "k: 0o\n", "0o: 1\n", "- 0o\n"),
        ("0b101", "k: \"0b101\"\n", "\"0b101\": 1\n", "- \"0b101\"\n"),
        ("0B101", "k: \"0B101\"\n", "\"0B101\": 1\n", "- \"0B101\"\n"),
        (
            "-0b101",
            "k: \"-0b101\"\n",
            "\"-0b101\": 1\n",
            "- \"-0b101\"\n",
        ),
        (
            "+0b101",
            "k: \"+0b101\"\n",
            "\"+0b101\": 1\n",
            "- \"+0b101\"\n",
        ),
        ("0b-1", "k: \"0b-1\"\n", "\"0b-1\": 1\n", "- \"0b-1\"\n"),
        ("0b+1", "k: \"0b+1\"\n", "\"0b+1\": 1\n", "- \"0b+1\"\n"),
        ("-0b-1", "k: -0b-1\n", "-0b-1: 1\n", "- -0b-1\n"),
        ("-0b+1", "k: -0b+1\n", "-0b+1: 1\n", "- -0b+1\n"),
        ("0b_1", "k: \"0b_1\"\n", "\"0b_1\": 1\n", "- \"0b_1\"\n"),
        ("1_000", "k: \"1_000\"\n", "\"1_000\": 1\n", "- \"1_000\"\n"),
        ("1__0", "k: \"1__0\"\n", "\"1__0\": 1\n", "- \"1__0\"\n"),
        ("_1", "k: _1\n", "_1: 1\n", "- _1\n"),
        ("1_", "k: \"1_\"\n", "\"1_\": 1\n", "- \"1_\"\n"),
        ("+_1", "k: \"+_1\"\n", "\"+_1\": 1\n", "- \"+_1\"\n"),
        ("-_", "k: -_\n", "-_: 1\n", "- -_\n"),
        ("+_", "k: +_\n", "+_: 1\n", "- +_\n"),
        ("1_0.5", "k: \"1_0.5\"\n", "\"1_0.5\": 1\n", "- \"1_0.5\"\n"),
        ("0x_1F", "k: \"0x_1F\"\n", "\"0x_1F\": 1\n", "- \"0x_1F\"\n"),
        ("0x1_F", "k: \"0x1_F\"\n", "\"0x1_F\": 1\n", "- \"0x1_F\"\n"),
        ("1e5", "k: \"1e5\"\n", "\"1e5\": 1\n", "- \"1e5\"\n"),
        ("1E5", "k: \"1E5\"\n", "\"1E5\": 1\n", "- \"1E5\"\n"),
        ("1e+5", "k: \"1e+5\"\n", "\"1e+5\": 1\n", "- \"1e+5\"\n"),
        ("1e-5", "k: \"1e-5\"\n", "\"1e-5\": 1\n", "- \"1e-5\"\n"),
        ("1.e5", "k: \"1.e5\"\n", "\"1.e5\": 1\n", "- \"1.e5\"\n"),
        (".e5", "k: .e5\n", ".e5: 1\n", "- .e5\n"),
        (".5", "k: \".5\"\n", "\".5\": 1\n", "- \".5\"\n"),
        (".5e3", "k: \".5e3\"\n", "\".5e3\": 1\n", "- \".5e3\"\n"),
        ("._5", "k: ._5\n", "._5: 1\n", "- ._5\n"),
        (".5_0", "k: \".5_0\"\n", "\".5_0\": 1\n", "- \".5_0\"\n"),
        (".5__0", "k: .5__0\n", ".5__0: 1\n", "- .5__0\n"),
        (".5e_5", "k: .5e_5\n", ".5e_5: 1\n", "- .5e_5\n"),
        (
            ".5e5_0",
            "k: \".5e5_0\"\n",
            "\".5e5_0\": 1\n",
            "- \".5e5_0\"\n",
        ),
        ("1.5", "k: \"1.5\"\n", "\"1.5\": 1\n", "- \"1.5\"\n"),
        ("-1.5", "k: \"-1.5\"\n", "\"-1.5\": 1\n", "- \"-1.5\"\n"),
        ("+1.5", "k: \"+1.5\"\n", "\"+1.5\": 1\n", "- \"+1.5\"\n"),
        ("1.", "k: \"1.\"\n", "\"1.\": 1\n", "- \"1.\"\n"),
        ("-.5", "k: \"-.5\"\n", "\"-.5\": 1\n", "- \"-.5\"\n"),
        ("+.5", "k: \"+.5\"\n", "\"+.5\": 1\n", "- \"+.5\"\n"),
        ("1e", "k: 1e\n", "1e: 1\n", "- 1e\n"),
        ("1e+", "k: 1e+\n", "1e+: 1\n", "- 1e+\n"),
        ("e5", "k: e5\n", "e5: 1\n", "- e5\n"),
        ("1e400", "k: 1e400\n", "1e400: 1\n", "- 1e400\n"),
        ("-1e400", "k: -1e400\n", "-1e400: 1\n", "- -1e400\n"),
        (
            "1e-400",
            "k: \"1e-400\"\n",
            "\"1e-400\": 1\n",
            "- \"1e-400\"\n",
        ),
        (".1e400", "k: .1e400\n", ".1e400: 1\n", "- .1e400\n"),
        ("1e308", "k: \"1e308\"\n", "\"1e308\": 1\n", "- \"1e308\"\n"),
        (
            "1.7976931348623157e308",
            "k: \"1.7976931348623157e308\"\n",
            "\"1.7976931348623157e308\": 1\n",
            "- \"1.7976931348623157e308\"\n",
        ),
        (
            "1.7976931348623159e308",
            "k: 1.7976931348623159e308\n",
            "1.7976931348623159e308: 1\n",
            "- 1.7976931348623159e308\n",
        ),
        ("2e308", "k: 2e308\n", "2e308: 1\n", "- 2e308\n"),
        (
            "9223372036854775807",
            "k: \"9223372036854775807\"\n",
            "\"9223372036854775807\": 1\n",
            "- \"9223372036854775807\"\n",
        ),
        (
            "9223372036854775808",
            "k: \"9223372036854775808\"\n",
            "\"9223372036854775808\": 1\n",
            "- \"9223372036854775808\"\n",
        ),
        (
            "-9223372036854775808",
            "k: \"-9223372036854775808\"\n",
            "\"-9223372036854775808\": 1\n",
            "- \"-9223372036854775808\"\n",
        ),
        (
            "-9223372036854775809",
            "k: \"-9223372036854775809\"\n",
            "\"-9223372036854775809\": 1\n",
            "- \"-9223372036854775809\"\n",
        ),
        (
            "18446744073709551615",
            "k: \"18446744073709551615\"\n",
            "\"18446744073709551615\": 1\n",
            "- \"18446744073709551615\"\n",
        ),
        (
            "18446744073709551616",
            "k: \"18446744073709551616\"\n",
            "\"18446744073709551616\": 1\n",
            "- \"18446744073709551616\"\n",
        ),
        (
            "99999999999999999999x",
            "k: 99999999999999999999x\n",
            "99999999999999999999x: 1\n",
            "- 99999999999999999999x\n",
        ),
        (
            "0x8000000000000000",
            "k: \"0x8000000000000000\"\n",
            "\"0x8000000000000000\": 1\n",
            "- \"0x8000000000000000\"\n",
        ),
        (
            "0xFFFFFFFFFFFFFFFF",
            "k: \"0xFFFFFFFFFFFFFFFF\"\n",
            "\"0xFFFFFFFFFFFFFFFF\": 1\n",
            "- \"0xFFFFFFFFFFFFFFFF\"\n",
        ),
        (
            "0x10000000000000000",
            "k: 0x10000000000000000\n",
            "0x10000000000000000: 1\n",
            "- 0x10000000000000000\n",
        ),
        (
            "-0x8000000000000000",
            "k: \"-0x8000000000000000\"\n",
            "\"-0x8000000000000000\": 1\n",
            "- \"-0x8000000000000000\"\n",
        ),
        (
            "-0x8000000000000001",
            "k: -0x8000000000000001\n",
            "-0x8000000000000001: 1\n",
            "- -0x8000000000000001\n",
        ),
        (
            "0b111111111111111111111111111111111111111111111111111111111111111",
            "k: \"0b111111111111111111111111111111111111111111111111111111111111111\"\n",
            "\"0b111111111111111111111111111111111111111111111111111111111111111\": 1\n",
            "- \"0b111111111111111111111111111111111111111111111111111111111111111\"\n",
        ),
        (
            "0b1111111111111111111111111111111111111111111111111111111111111111",
            "k: \"0b1111111111111111111111111111111111111111111111111111111111111111\"\n",
            "\"0b1111111111111111111111111111111111111111111111111111111111111111\": 1\n",
            "- \"0b1111111111111111111111111111111111111111111111111111111111111111\"\n",
        ),
        (
            "0b11111111111111111111111111111111111111111111111111111111111111111",
            "k: 0b11111111111111111111111111111111111111111111111111111111111111111\n",
            "0b11111111111111111111111111111111111111111111111111111111111111111: 1\n",
            "- 0b11111111111111111111111111111111111111111111111111111111111111111\n",
        ),
        (
            "-0b1111111111111111111111111111111111111111111111111111111111111111",
            "k: -0b1111111111111111111111111111111111111111111111111111111111111111\n",
            "-0b1111111111111111111111111111111111111111111111111111111111111111: 1\n",
            "- -0b1111111111111111111111111111111111111111111111111111111111111111\n",
        ),
        (
            "0b-1111111111111111111111111111111111111111111111111111111111111111",
            "k: 0b-1111111111111111111111111111111111111111111111111111111111111111\n",
            "0b-1111111111111111111111111111111111111111111111111111111111111111: 1\n",
            "- 0b-1111111111111111111111111111111111111111111111111111111111111111\n",
        ),
        ("1:2", "k: \"1:2\"\n", "\"1:2\": 1\n", "- \"1:2\"\n"),
        ("1:20", "k: \"1:20\"\n", "\"1:20\": 1\n", "- \"1:20\"\n"),
        ("12:30", "k: \"12:30\"\n", "\"12:30\": 1\n", "- \"12:30\"\n"),
        (
            "12:30:45",
            "k: \"12:30:45\"\n",
            "\"12:30:45\": 1\n",
            "- \"12:30:45\"\n",
        ),
        ("1:60", "k: 1:60\n", "1:60: 1\n", "- 1:60\n"),
        ("1:59", "k: \"1:59\"\n", "\"1:59\": 1\n", "- \"1:59\"\n"),
        ("-1:30", "k: \"-1:30\"\n", "\"-1:30\": 1\n", "- \"-1:30\"\n"),
        ("+1:30", "k: \"+1:30\"\n", "\"+1:30\": 1\n", "- \"+1:30\"\n"),
        (
            "1_0:30",
            "k: \"1_0:30\"\n",
            "\"1_0:30\": 1\n",
            "- \"1_0:30\"\n",
        ),
        (
            "1:30.5",
            "k: \"1:30.5\"\n",
            "\"1:30.5\": 1\n",
            "- \"1:30.5\"\n",
        ),
        ("1:30.", "k: \"1:30.\"\n", "\"1:30.\": 1\n", "- \"1:30.\"\n"),
        (
            "1:30._5",
            "k: \"1:30._5\"\n",
            "\"1:30._5\": 1\n",
            "- \"1:30._5\"\n",
        ),
        ("1:3:4", "k: \"1:3:4\"\n", "\"1:3:4\": 1\n", "- \"1:3:4\"\n"),
        ("1::2", "k: 1::2\n", "1::2: 1\n", "- 1::2\n"),
        ("1:2:", "k: '1:2:'\n", "'1:2:': 1\n", "- '1:2:'\n"),
        ("a:1", "k: a:1\n", "a:1: 1\n", "- a:1\n"),
        ("1:123", "k: 1:123\n", "1:123: 1\n", "- 1:123\n"),
        ("1:0", "k: \"1:0\"\n", "\"1:0\": 1\n", "- \"1:0\"\n"),
        (
            "190:20:30",
            "k: \"190:20:30\"\n",
            "\"190:20:30\": 1\n",
            "- \"190:20:30\"\n",
        ),
        (
            "12:30.1.2",
            "k: 12:30.1.2\n",
            "12:30.1.2: 1\n",
            "- 12:30.1.2\n",
        ),
        (
            "2024-01-01",
            "k: \"2024-01-01\"\n",
            "\"2024-01-01\": 1\n",
            "- \"2024-01-01\"\n",
        ),
        (
            "2024-1-1",
            "k: \"2024-1-1\"\n",
            "\"2024-1-1\": 1\n",
            "- \"2024-1-1\"\n",
        ),
        (
            "2024-02-29",
            "k: \"2024-02-29\"\n",
            "\"2024-02-29\": 1\n",
            "- \"2024-02-29\"\n",
        ),
        (
            "2023-02-29",
            "k: 2023-02-29\n",
            "2023-02-29: 1\n",
            "- 2023-02-29\n",
        ),
        (
            "2024-02-30",
            "k: 2024-02-30\n",
            "2024-02-30: 1\n",
            "- 2024-02-30\n",
        ),
        (
            "2024-13-01",
            "k: 2024-13-01\n",
            "2024-13-01: 1\n",
            "- 2024-13-01\n",
        ),
        (
            "2024-00-10",
            "k: 2024-00-10\n",
            "2024-00-10: 1\n",
            "- 2024-00-10\n",
        ),
        (
            "2024-01-00",
            "k: 2024-01-00\n",
            "2024-01-00: 1\n",
            "- 2024-01-00\n",
        ),
        (
            "2024-01-32",
            "k: 2024-01-32\n",
            "2024-01-32: 1\n",
            "- 2024-01-32\n",
        ),
        (
            "2024-1-1x",
            "k: 2024-1-1x\n",
            "2024-1-1x: 1\n",
            "- 2024-1-1x\n",
        ),
        (
            "2024-01-01 ",
            "k: '2024-01-01 '\n",
            "'2024-01-01 ': 1\n",
            "- '2024-01-01 '\n",
        ),
        (
            "2024-01-01T",
            "k: 2024-01-01T\n",
            "2024-01-01T: 1\n",
            "- 2024-01-01T\n",
        ),
        (
            "20240-01-01",
            "k: 20240-01-01\n",
            "20240-01-01: 1\n",
            "- 20240-01-01\n",
        ),
        (
            "202-01-01",
            "k: 202-01-01\n",
            "202-01-01: 1\n",
            "- 202-01-01\n",
        ),
        (
            "2024-01-01T10:20:30Z",
            "k: \"2024-01-01T10:20:30Z\"\n",
            "\"2024-01-01T10:20:30Z\": 1\n",
            "- \"2024-01-01T10:20:30Z\"\n",
        ),
        (
            "2024-01-01T10:20:30.123456789Z",
            "k: \"2024-01-01T10:20:30.123456789Z\"\n",
            "\"2024-01-01T10:20:30.123456789Z\": 1\n",
            "- \"2024-01-01T10:20:30.123456789Z\"\n",
        ),
        (
            "2024-01-01T10:20:30.5+01:00",
            "k: \"2024-01-01T10:20:30.5+01:00\"\n",
            "\"2024-01-01T10:20:30.5+01:00\": 1\n",
            "- \"2024-01-01T10:20:30.5+01:00\"\n",
        ),
        (
            "2024-01-01T10:20:30-06:00",
            "k: \"2024-01-01T10:20:30-06:00\"\n",
            "\"2024-01-01T10:20:30-06:00\": 1\n",
            "- \"2024-01-01T10:20:30-06:00\"\n",
        ),
        (
            "2024-01-01t10:20:30Z",
            "k: \"2024-01-01t10:20:30Z\"\n",
            "\"2024-01-01t10:20:30Z\": 1\n",
            "- \"2024-01-01t10:20:30Z\"\n",
        ),
        (
            "2024-01-01T10:20:30z",
            "k: 2024-01-01T10:20:30z\n",
            "2024-01-01T10:20:30z: 1\n",
            "- 2024-01-01T10:20:30z\n",
        ),
        (
            "2024-01-01 10:20:30",
            "k: \"2024-01-01 10:20:30\"\n",
            "\"2024-01-01 10:20:30\": 1\n",
            "- \"2024-01-01 10:20:30\"\n",
        ),
        (
            "2024-01-01   10:20:30",
            "k: \"2024-01-01   10:20:30\"\n",
            "\"2024-01-01   10:20:30\": 1\n",
            "- \"2024-01-01   10:20:30\"\n",
        ),
        (
            "2024-01-0110:20:30",
            "k: 2024-01-0110:20:30\n",
            "2024-01-0110:20:30: 1\n",
            "- 2024-01-0110:20:30\n",
        ),
        (
            "2024-01-01 10:20:30.5",
            "k: \"2024-01-01 10:20:30.5\"\n",
            "\"2024-01-01 10:20:30.5\": 1\n",
            "- \"2024-01-01 10:20:30.5\"\n",
        ),
        (
            "2024-01-01 10:20:30Z",
            "k: 2024-01-01 10:20:30Z\n",
            "2024-01-01 10:20:30Z: 1\n",
            "- 2024-01-01 10:20:30Z\n",
        ),
        (
            "2024-01-01 10:20:30 ",
            "k: '2024-01-01 10:20:30 '\n",
            "'2024-01-01 10:20:30 ': 1\n",
            "- '2024-01-01 10:20:30 '\n",
        ),
        (
            "2001-12-14 21:59:43.10 -5",
            "k: 2001-12-14 21:59:43.10 -5\n",
            "2001-12-14 21:59:43.10 -5: 1\n",
            "- 2001-12-14 21:59:43.10 -5\n",
        ),
        (
            "2024-01-01T24:00:00Z",
            "k: 2024-01-01T24:00:00Z\n",
            "2024-01-01T24:00:00Z: 1\n",
            "- 2024-01-01T24:00:00Z\n",
        ),
        (
            "2024-01-01T23:60:00Z",
            "k: 2024-01-01T23:60:00Z\n",
            "2024-01-01T23:60:00Z: 1\n",
            "- 2024-01-01T23:60:00Z\n",
        ),
        (
            "2024-01-01T23:59:60Z",
            "k: 2024-01-01T23:59:60Z\n",
            "2024-01-01T23:59:60Z: 1\n",
            "- 2024-01-01T23:59:60Z\n",
        ),
        (
            "2024-01-01T1:2:3Z",
            "k: \"2024-01-01T1:2:3Z\"\n",
            "\"2024-01-01T1:2:3Z\": 1\n",
            "- \"2024-01-01T1:2:3Z\"\n",
        ),
        (
            "2024-1-1T1:2:3Z",
            "k: \"2024-1-1T1:2:3Z\"\n",
            "\"2024-1-1T1:2:3Z\": 1\n",
            "- \"2024-1-1T1:2:3Z\"\n",
        ),
        (
            "2024-01-01T10:20:30,5Z",
            "k: \"2024-01-01T10:20:30,5Z\"\n",
            "\"2024-01-01T10:20:30,5Z\": 1\n",
            "- \"2024-01-01T10:20:30,5Z\"\n",
        ),
        (
            "2024-01-01T10:20:30.Z",
            "k: 2024-01-01T10:20:30.Z\n",
            "2024-01-01T10:20:30.Z: 1\n",
            "- 2024-01-01T10:20:30.Z\n",
        ),
        (
            "2024-01-01T10:20:30+0100",
            "k: 2024-01-01T10:20:30+0100\n",
            "2024-01-01T10:20:30+0100: 1\n",
            "- 2024-01-01T10:20:30+0100\n",
        ),
        (
            "2024-01-01T10:20:30+01",
            "k: 2024-01-01T10:20:30+01\n",
            "2024-01-01T10:20:30+01: 1\n",
            "- 2024-01-01T10:20:30+01\n",
        ),
        (
            "2024-01-01T10:20:30+24:00",
            "k: \"2024-01-01T10:20:30+24:00\"\n",
            "\"2024-01-01T10:20:30+24:00\": 1\n",
            "- \"2024-01-01T10:20:30+24:00\"\n",
        ),
        (
            "2024-01-01T10:20:30+23:60",
            "k: \"2024-01-01T10:20:30+23:60\"\n",
            "\"2024-01-01T10:20:30+23:60\": 1\n",
            "- \"2024-01-01T10:20:30+23:60\"\n",
        ),
        (
            "2024-01-01T10:20:30*01:00",
            "k: 2024-01-01T10:20:30*01:00\n",
            "2024-01-01T10:20:30*01:00: 1\n",
            "- 2024-01-01T10:20:30*01:00\n",
        ),
        (
            "2024-01-01T10:20",
            "k: 2024-01-01T10:20\n",
            "2024-01-01T10:20: 1\n",
            "- 2024-01-01T10:20\n",
        ),
        (
            "2024-01-01T10:20:30.123456789+05:30",
            "k: \"2024-01-01T10:20:30.123456789+05:30\"\n",
            "\"2024-01-01T10:20:30.123456789+05:30\": 1\n",
            "- \"2024-01-01T10:20:30.123456789+05:30\"\n",
        ),
        ("1.0.0", "k: 1.0.0\n", "1.0.0: 1\n", "- 1.0.0\n"),
        ("v1.0.0", "k: v1.0.0\n", "v1.0.0: 1\n", "- v1.0.0\n"),
        (
            "1.0.0-rc1",
            "k: 1.0.0-rc1\n",
            "1.0.0-rc1: 1\n",
            "- 1.0.0-rc1\n",
        ),
        ("1.2", "k: \"1.2\"\n", "\"1.2\": 1\n", "- \"1.2\"\n"),
        ("1.2.3.4", "k: 1.2.3.4\n", "1.2.3.4: 1\n", "- 1.2.3.4\n"),
        ("0.1.0", "k: 0.1.0\n", "0.1.0: 1\n", "- 0.1.0\n"),
        ("10.0", "k: \"10.0\"\n", "\"10.0\": 1\n", "- \"10.0\"\n"),
        ("1,000", "k: 1,000\n", "1,000: 1\n", "- 1,000\n"),
        ("1 000", "k: 1 000\n", "1 000: 1\n", "- 1 000\n"),
        ("0755", "k: \"0755\"\n", "\"0755\": 1\n", "- \"0755\"\n"),
        ("0o755", "k: \"0o755\"\n", "\"0o755\": 1\n", "- \"0o755\"\n"),
        ("012", "k: \"012\"\n", "\"012\": 1\n", "- \"012\"\n"),
        ("0.0.0.0", "k: 0.0.0.0\n", "0.0.0.0: 1\n", "- 0.0.0.0\n"),
        (
            "127.0.0.1",
            "k: 127.0.0.1\n",
            "127.0.0.1: 1\n",
            "- 127.0.0.1\n",
        ),
        ("::1", "k: ::1\n", "::1: 1\n", "- ::1\n"),
        ("1-2", "k: 1-2\n", "1-2: 1\n", "- 1-2\n"),
        ("1+2", "k: 1+2\n", "1+2: 1\n", "- 1+2\n"),
        ("a", "k: a\n", "a: 1\n", "- a\n"),
        ("abc", "k: abc\n", "abc: 1\n", "- abc\n"),
        (
            "hello world",
            "k: hello world\n",
            "hello world: 1\n",
            "- hello world\n",
        ),
        ("Hello", "k: Hello\n", "Hello: 1\n", "- Hello\n"),
        ("0abc", "k: 0abc\n", "0abc: 1\n", "- 0abc\n"),
        ("1abc", "k: 1abc\n", "1abc: 1\n", "- 1abc\n"),
        ("yes!", "k: yes!\n", "yes!: 1\n", "- yes!\n"),
        ("no way", "k: no way\n", "no way: 1\n", "- no way\n"),
        ("true_", "k: true_\n", "true_: 1\n", "- true_\n"),
        ("_true", "k: _true\n", "_true: 1\n", "- _true\n"),
        ("tru", "k: tru\n", "tru: 1\n", "- tru\n"),
        ("nul", "k: nul\n", "nul: 1\n", "- nul\n"),
        ("nu", "k: nu\n", "nu: 1\n", "- nu\n"),
        ("o", "k: o\n", "o: 1\n", "- o\n"),
        ("~~", "k: ~~\n", "~~: 1\n", "- ~~\n"),
        ("y~", "k: y~\n", "y~: 1\n", "- y~\n"),
        (" ", "k: ' '\n", "' ': 1\n", "- ' '\n"),
        ("  ", "k: '  '\n", "'  ': 1\n", "- '  '\n"),
        (" a", "k: ' a'\n", "' a': 1\n", "- ' a'\n"),
        ("a ", "k: 'a '\n", "'a ': 1\n", "- 'a '\n"),
        ("a  b", "k: a  b\n", "a  b: 1\n", "- a  b\n"),
        ("\t", "k: \"\\t\"\n", "\"\\t\": 1\n", "- \"\\t\"\n"),
        ("a\tb", "k: \"a\\tb\"\n", "\"a\\tb\": 1\n", "- \"a\\tb\"\n"),
        ("\ta", "k: \"\\ta\"\n", "\"\\ta\": 1\n", "- \"\\ta\"\n"),
        ("a\t", "k: \"a\\t\"\n", "\"a\\t\": 1\n", "- \"a\\t\"\n"),
        (" #", "k: ' #'\n", "' #': 1\n", "- ' #'\n"),
        ("#a", "k: '#a'\n", "'#a': 1\n", "- '#a'\n"),
        ("a#", "k: a#\n", "a#: 1\n", "- a#\n"),
        ("? a", "k: '? a'\n", "'? a': 1\n", "- '? a'\n"),
        ("?a", "k: ?a\n", "?a: 1\n", "- ?a\n"),
        (":a", "k: :a\n", ":a: 1\n", "- :a\n"),
        ("'", "k: ''''\n", "'''': 1\n", "- ''''\n"),
        ("'a'", "k: '''a'''\n", "'''a''': 1\n", "- '''a'''\n"),
        ("a'b", "k: a'b\n", "a'b: 1\n", "- a'b\n"),
        ("\"", "k: '\"'\n", "'\"': 1\n", "- '\"'\n"),
        ("a\"b", "k: a\"b\n", "a\"b: 1\n", "- a\"b\n"),
        ("\\", "k: \\\n", "\\: 1\n", "- \\\n"),
        ("a\\b", "k: a\\b\n", "a\\b: 1\n", "- a\\b\n"),
        ("@", "k: '@'\n", "'@': 1\n", "- '@'\n"),
        ("`", "k: '`'\n", "'`': 1\n", "- '`'\n"),
        ("*a", "k: '*a'\n", "'*a': 1\n", "- '*a'\n"),
        ("&a", "k: '&a'\n", "'&a': 1\n", "- '&a'\n"),
        ("!a", "k: '!a'\n", "'!a': 1\n", "- '!a'\n"),
        ("%a", "k: '%a'\n", "'%a': 1\n", "- '%a'\n"),
        ("{a", "k: '{a'\n", "'{a': 1\n", "- '{a'\n"),
        ("}a", "k: '}a'\n", "'}a': 1\n", "- '}a'\n"),
        ("[a", "k: '[a'\n", "'[a': 1\n", "- '[a'\n"),
        ("]a", "k: ']a'\n", "']a': 1\n", "- ']a'\n"),
        ("|a", "k: '|a'\n", "'|a': 1\n", "- '|a'\n"),
        (">a", "k: '>a'\n", "'>a': 1\n", "- '>a'\n"),
        (",a", "k: ',a'\n", "',a': 1\n", "- ',a'\n"),
        ("a,b", "k: a,b\n", "a,b: 1\n", "- a,b\n"),
        ("a[b", "k: a[b\n", "a[b: 1\n", "- a[b\n"),
        ("a{b", "k: a{b\n", "a{b: 1\n", "- a{b\n"),
        ("a}b", "k: a}b\n", "a}b: 1\n", "- a}b\n"),
        ("a]b", "k: a]b\n", "a]b: 1\n", "- a]b\n"),
        ("a?b", "k: a?b\n", "a?b: 1\n", "- a?b\n"),
        ("a|b", "k: a|b\n", "a|b: 1\n", "- a|b\n"),
        ("a>b", "k: a>b\n", "a>b: 1\n", "- a>b\n"),
        ("a*b", "k: a*b\n", "a*b: 1\n", "- a*b\n"),
        ("a&b", "k: a&b\n", "a&b: 1\n", "- a&b\n"),
        ("a!b", "k: a!b\n", "a!b: 1\n", "- a!b\n"),
        ("a%b", "k: a%b\n", "a%b: 1\n", "- a%b\n"),
        ("\u{e9}", "k: \u{e9}\n", "\u{e9}: 1\n", "- \u{e9}\n"),
        (
            "caf\u{e9}",
            "k: caf\u{e9}\n",
            "caf\u{e9}: 1\n",
            "- caf\u{e9}\n",
        ),
        (
            "\u{4e2d}\u{6587}",
            "k: \u{4e2d}\u{6587}\n",
            "\u{4e2d}\u{6587}: 1\n",
            "- \u{4e2d}\u{6587}\n",
        ),
        (
            "\u{1f600}",
            "k: \"\\U0001F600\"\n",
            "\"\\U0001F600\": 1\n",
            "- \"\\U0001F600\"\n",
        ),
        (
            "a\u{85}b",
            "k: \"a\\Nb\"\n",
            "? \"a\\Nb\"\n: 1\n",
            "- \"a\\Nb\"\n",
        ),
        (
            "a\u{2028}b",
            "k: 'a\u{2028}  b'\n",
            "? 'a\u{2028}  b'\n: 1\n",
            "- 'a\u{2028}  b'\n",
        ),
        (
            "a\u{2029}b",
            "k: 'a\u{2029}  b'\n",
            "? 'a\u{2029}  b'\n: 1\n",
            "- 'a\u{2029}  b'\n",
        ),
        (
            "\u{feff}abc",
            "k: \"\\uFEFF\\x61\\x62\\x63\"\n",
            "\"\\uFEFF\\x61\\x62\\x63\": 1\n",
            "- \"\\uFEFF\\x61\\x62\\x63\"\n",
        ),
        (
            "a\u{feff}b",
            "k: \"a\\uFEFFb\"\n",
            "\"a\\uFEFFb\": 1\n",
            "- \"a\\uFEFFb\"\n",
        ),
        (
            "a\u{1}b",
            "k: \"a\\x01b\"\n",
            "\"a\\x01b\": 1\n",
            "- \"a\\x01b\"\n",
        ),
        (
            "a\u{7f}b",
            "k: \"a\\x7Fb\"\n",
            "\"a\\x7Fb\": 1\n",
            "- \"a\\x7Fb\"\n",
        ),
        ("\u{0}", "k: \"\\0\"\n", "\"\\0\": 1\n", "- \"\\0\"\n"),
        ("a\u{a0}b", "k: a\u{a0}b\n", "a\u{a0}b: 1\n", "- a\u{a0}b\n"),
        ("\u{a0}", "k: \u{a0}\n", "\u{a0}: 1\n", "- \u{a0}\n"),
        (
            "a\u{1b}b",
            "k: \"a\\eb\"\n",
            "\"a\\eb\": 1\n",
            "- \"a\\eb\"\n",
        ),
        (
            "a\u{7}b",
            "k: \"a\\ab\"\n",
            "\"a\\ab\": 1\n",
            "- \"a\\ab\"\n",
        ),
        (
            "\u{8}\u{b}\u{c}",
            "k: \"\\b\\v\\f\"\n",
            "\"\\b\\v\\f\": 1\n",
            "- \"\\b\\v\\f\"\n",
        ),
        (
            "a\u{d7ff}b",
            "k: a\u{d7ff}b\n",
            "a\u{d7ff}b: 1\n",
            "- a\u{d7ff}b\n",
        ),
        (
            "a\u{e000}b",
            "k: a\u{e000}b\n",
            "a\u{e000}b: 1\n",
            "- a\u{e000}b\n",
        ),
        (
            "a\u{fffd}b",
            "k: a\u{fffd}b\n",
            "a\u{fffd}b: 1\n",
            "- a\u{fffd}b\n",
        ),
        ("x", "k: x\n", "x: 1\n", "- x\n"),
        (
            "a\rb",
            "k: \"a\\rb\"\n",
            "? \"a\\rb\"\n: 1\n",
            "- \"a\\rb\"\n",
        ),
        ("\r", "k: \"\\r\"\n", "? \"\\r\"\n: 1\n", "- \"\\r\"\n"),
        ("a\r", "k: \"a\\r\"\n", "? \"a\\r\"\n: 1\n", "- \"a\\r\"\n"),
        ("\ra", "k: \"\\ra\"\n", "? \"\\ra\"\n: 1\n", "- \"\\ra\"\n"),
        (
            "a\r\nb",
            "k: \"a\\r\\nb\"\n",
            "? \"a\\r\\nb\"\n: 1\n",
            "- \"a\\r\\nb\"\n",
        ),
        ("\n", "k: |2+\n\n", "? |2+\n\n: 1\n", "- |2+\n\n"),
        ("\n\n", "k: |2+\n\n\n", "? |2+\n\n\n: 1\n", "- |2+\n\n\n"),
        ("a\n", "k: |\n  a\n", "? |\n  a\n: 1\n", "- |\n  a\n"),
        (
            "a\n\n",
            "k: |+\n  a\n\n",
            "? |+\n  a\n\n: 1\n",
            "- |+\n  a\n\n",
        ),
        (
            "a\n\n\n",
            "k: |+\n  a\n\n\n",
            "? |+\n  a\n\n\n: 1\n",
            "- |+\n  a\n\n\n",
        ),
        (
            "\na",
            "k: |2-\n\n  a\n",
            "? |2-\n\n  a\n: 1\n",
            "- |2-\n\n  a\n",
        ),
        (
            "\n\na",
            "k: |2-\n\n\n  a\n",
            "? |2-\n\n\n  a\n: 1\n",
            "- |2-\n\n\n  a\n",
        ),
        (
            " a\nb",
            "k: |2-\n   a\n  b\n",
            "? |2-\n   a\n  b\n: 1\n",
            "- |2-\n   a\n  b\n",
        ),
        (
            "a\nb",
            "k: |-\n  a\n  b\n",
            "? |-\n  a\n  b\n: 1\n",
            "- |-\n  a\n  b\n",
        ),
        (
            "a\n b",
            "k: |-\n  a\n   b\n",
            "? |-\n  a\n   b\n: 1\n",
            "- |-\n  a\n   b\n",
        ),
        (
            "a \nb",
            "k: \"a \\nb\"\n",
            "? \"a \\nb\"\n: 1\n",
            "- \"a \\nb\"\n",
        ),
        (
            "a\n\nb",
            "k: |-\n  a\n\n  b\n",
            "? |-\n  a\n\n  b\n: 1\n",
            "- |-\n  a\n\n  b\n",
        ),
        (
            "a\nb\n",
            "k: |\n  a\n  b\n",
            "? |\n  a\n  b\n: 1\n",
            "- |\n  a\n  b\n",
        ),
        (
            "a\nb\n\n",
            "k: |+\n  a\n  b\n\n",
            "? |+\n  a\n  b\n\n: 1\n",
            "- |+\n  a\n  b\n\n",
        ),
        (
            "  lead\nx",
            "k: |2-\n    lead\n  x\n",
            "? |2-\n    lead\n  x\n: 1\n",
            "- |2-\n    lead\n  x\n",
        ),
        (
            "\tx\ny",
            "k: \"\\tx\\ny\"\n",
            "? \"\\tx\\ny\"\n: 1\n",
            "- \"\\tx\\ny\"\n",
        ),
        (
            "x\n\ty",
            "k: \"x\\n\\ty\"\n",
            "? \"x\\n\\ty\"\n: 1\n",
            "- \"x\\n\\ty\"\n",
        ),
        (
            "a\n#b",
            "k: |-\n  a\n  #b\n",
            "? |-\n  a\n  #b\n: 1\n",
            "- |-\n  a\n  #b\n",
        ),
        (
            "a\n- b",
            "k: |-\n  a\n  - b\n",
            "? |-\n  a\n  - b\n: 1\n",
            "- |-\n  a\n  - b\n",
        ),
        (
            "---\na",
            "k: |-\n  ---\n  a\n",
            "? |-\n  ---\n  a\n: 1\n",
            "- |-\n  ---\n  a\n",
        ),
        (
            "a\n...",
            "k: |-\n  a\n  ...\n",
            "? |-\n  a\n  ...\n: 1\n",
            "- |-\n  a\n  ...\n",
        ),
        (
            "a\u{85}",
            "k: \"a\\N\"\n",
            "? \"a\\N\"\n: 1\n",
            "- \"a\\N\"\n",
        ),
        (
            "\u{85}a",
            "k: \"\\Na\"\n",
            "? \"\\Na\"\n: 1\n",
            "- \"\\Na\"\n",
        ),
        (
            "a\u{2028}\n",
            "k: |+\n  a\u{2028}\n",
            "? |+\n  a\u{2028}\n: 1\n",
            "- |+\n  a\u{2028}\n",
        ),
        (
            "\u{e9}\n",
            "k: |\n  \u{e9}\n",
            "? |\n  \u{e9}\n: 1\n",
            "- |\n  \u{e9}\n",
        ),
        (
            "\u{1f600}\n\u{1f600}",
            "k: \"\\U0001F600\\n\\U0001F600\"\n",
            "? \"\\U0001F600\\n\\U0001F600\"\n: 1\n",
            "- \"\\U0001F600\\n\\U0001F600\"\n",
        ),
        ("\n ", "k: \"\\n \"\n", "? \"\\n \"\n: 1\n", "- \"\\n \"\n"),
        (" \n", "k: \" \\n\"\n", "? \" \\n\"\n: 1\n", "- \" \\n\"\n"),
        (
            "a\n \nb",
            "k: \"a\\n \\nb\"\n",
            "? \"a\\n \\nb\"\n: 1\n",
            "- \"a\\n \\nb\"\n",
        ),
        (
            "a\r\n",
            "k: \"a\\r\\n\"\n",
            "? \"a\\r\\n\"\n: 1\n",
            "- \"a\\r\\n\"\n",
        ),
        (
            "a\u{1}\nb",
            "k: \"a\\x01\\nb\"\n",
            "? \"a\\x01\\nb\"\n: 1\n",
            "- \"a\\x01\\nb\"\n",
        ),
        (
            "\u{feff}\na",
            "k: \"\\uFEFF\\n\\x61\"\n",
            "? \"\\uFEFF\\n\\x61\"\n: 1\n",
            "- \"\\uFEFF\\n\\x61\"\n",
        ),
        (
            "'\n'",
            "k: |-\n  '\n  '\n",
            "? |-\n  '\n  '\n: 1\n",
            "- |-\n  '\n  '\n",
        ),
        (
            "\"\n\"",
            "k: |-\n  \"\n  \"\n",
            "? |-\n  \"\n  \"\n: 1\n",
            "- |-\n  \"\n  \"\n",
        ),
        ("--- a", "k: '--- a'\n", "'--- a': 1\n", "- '--- a'\n"),
        ("... a", "k: '... a'\n", "'... a': 1\n", "- '... a'\n"),
        ("----", "k: '----'\n", "'----': 1\n", "- '----'\n"),
        ("a---", "k: a---\n", "a---: 1\n", "- a---\n"),
        ("- - a", "k: '- - a'\n", "'- - a': 1\n", "- '- - a'\n"),
        ("-\ta", "k: \"-\\ta\"\n", "\"-\\ta\": 1\n", "- \"-\\ta\"\n"),
        ("?\ta", "k: \"?\\ta\"\n", "\"?\\ta\": 1\n", "- \"?\\ta\"\n"),
        (":\ta", "k: \":\\ta\"\n", "\":\\ta\": 1\n", "- \":\\ta\"\n"),
        (
            "a:\tb",
            "k: \"a:\\tb\"\n",
            "\"a:\\tb\": 1\n",
            "- \"a:\\tb\"\n",
        ),
        (
            "a\t#b",
            "k: \"a\\t#b\"\n",
            "\"a\\t#b\": 1\n",
            "- \"a\\t#b\"\n",
        ),
    ];

    /// yaml.v2 v2.4.0 output for whole documents (given as JSON).
    const DOC_CASES: &[(&str, &str)] = &[
        ("{\"description\": \"adipiscing adipiscing sit do dolor sit sit dolor x ipsum amet tempor a\"}", "description: adipiscing adipiscing sit do dolor sit sit dolor x ipsum amet tempor\n  a\n"),
        ("{\"description\": \"sed eiusmod tempor sed ipsum do elit sit adipiscing tempor do do sit x a-very-l\"}", "description: sed eiusmod tempor sed ipsum do elit sit adipiscing tempor do do sit\n  x a-very-l\n"),
        ("{\"description\": \"x consectetur yy adipiscing yy eiusmod sit dolor elit eiusmod dolor yy do consec\"}", "description: x consectetur yy adipiscing yy eiusmod sit dolor elit eiusmod dolor yy\n  do consec\n"),
        ("{\"key0\": {\"description\": \"ipsum tempor sed eiusmod x ipsum elit consectetur adipiscing lorem amet sed lorem\"}}", "key0:\n  description: ipsum tempor sed eiusmod x ipsum elit consectetur adipiscing lorem\n    amet sed lorem\n"),
        ("[[{\"description\": \"adipiscing sit consectetur a-very-long-word-without-spaces-at-all-here sed ipsum elit sed \"}]]", "- - description: 'adipiscing sit consectetur a-very-long-word-without-spaces-at-all-here\n      sed ipsum elit sed '\n"),
        ("[{\"key1\": [{\"description\": \"a-very-long-word-without-spaces-at-all-here sit do elit lorem consectetur dolor sit a-very-long-word-without-spaces-at-a\"}]}]", "- key1:\n  - description: a-very-long-word-without-spaces-at-all-here sit do elit lorem consectetur\n      dolor sit a-very-long-word-without-spaces-at-a\n"),
        ("{\"key3\": {\"key2\": {\"key1\": {\"key0\": {\"description\": \"tempor dolor tempor x elit do a-very-long-word-without-spaces-at-all-here dolor sed eiusmod dolor lorem ipsum lorem dolor elit eiusmod yy adipiscing i\"}}}}}", "key3:\n  key2:\n    key1:\n      key0:\n        description: tempor dolor tempor x elit do a-very-long-word-without-spaces-at-all-here\n          dolor sed eiusmod dolor lorem ipsum lorem dolor elit eiusmod yy adipiscing\n          i\n"),
        ("[{\"key0\": {\"description\": \"a-very-long-word-without-spaces-at-all-here adipiscing eiusmod ipsum dolor amet do lorem adipiscing consectetur dolor sed adipiscing sit a-very-long-word-without-spaces-at-all-here x lorem eiusmod sit\"}}]", "- key0:\n    description: a-very-long-word-without-spaces-at-all-here adipiscing eiusmod ipsum\n      dolor amet do lorem adipiscing consectetur dolor sed adipiscing sit a-very-long-word-without-spaces-at-all-here\n      x lorem eiusmod sit\n"),
        ("[[[[{\"description\": \"elit amet sed adipiscing yy x dolor consectetur tempor elit a-very-long-word-without-spaces-at-all-here lorem dolor tempor yy tempor do x tempor dolor do adipiscing ipsum ipsum ipsum dolor amet dolor dolor adipiscing dolor a-very-long-word-without-spaces-at-all-here sit a-very-long-word-without-spac\"}]]]]", "- - - - description: elit amet sed adipiscing yy x dolor consectetur tempor elit a-very-long-word-without-spaces-at-all-here\n          lorem dolor tempor yy tempor do x tempor dolor do adipiscing ipsum ipsum\n          ipsum dolor amet dolor dolor adipiscing dolor a-very-long-word-without-spaces-at-all-here\n          sit a-very-long-word-without-spac\n"),
        ("{\"description\": \"@sed consectetur x elit x sit yy amet ipsum yy yy consectetur dolor eiusmod ipsum sed amet lorem do y\"}", "description: '@sed consectetur x elit x sit yy amet ipsum yy yy consectetur dolor\n  eiusmod ipsum sed amet lorem do y'\n"),
        ("[[{\"description\": \"@lorem consectetur sit adipiscing adipiscing consectetur yy x adipiscing adipiscing adipiscing yy consectetur sed ipsum dolor a-very-long-word-without-\"}]]", "- - description: '@lorem consectetur sit adipiscing adipiscing consectetur yy x adipiscing\n      adipiscing adipiscing yy consectetur sed ipsum dolor a-very-long-word-without-'\n"),
        ("{\"key0\": {\"description\": \"lorem #a-very-long-word-without-spaces-at-all-here consectetur tempor yy adipiscing x elit sit amet y\"}}", "key0:\n  description: 'lorem #a-very-long-word-without-spaces-at-all-here consectetur tempor\n    yy adipiscing x elit sit amet y'\n"),
        ("[{\"key1\": [{\"description\": \"eiusmod #sit eiusmod tempor amet ipsum yy tempor tempor consectetur sit x x tempor eiusmod tempor sit adipiscing amet elit x ipsum a-very-long-word-without-space\"}]}]", "- key1:\n  - description: 'eiusmod #sit eiusmod tempor amet ipsum yy tempor tempor consectetur\n      sit x x tempor eiusmod tempor sit adipiscing amet elit x ipsum a-very-long-word-without-space'\n"),
        ("{\"description\": \"elit adipiscing a-very-long-word-without-spaces-at-all-here amet ipsum sed amet a-very-long-word-wit\\u0001\"}", "description: \"elit adipiscing a-very-long-word-without-spaces-at-all-here amet ipsum\n  sed amet a-very-long-word-wit\\x01\"\n"),
        ("[[{\"description\": \"eiusmod yy consectetur x elit sed dolor a-very-long-word-without-spaces-at-all-here a-very-long-word-without-spaces-at-all-here amet adipiscing a-very-long-word-without-spaces-at-all-here amet adipisc\\u0001\"}]]", "- - description: \"eiusmod yy consectetur x elit sed dolor a-very-long-word-without-spaces-at-all-here\n      a-very-long-word-without-spaces-at-all-here amet adipiscing a-very-long-word-without-spaces-at-all-here\n      amet adipisc\\x01\"\n"),
        ("{\"key0\": {\"description\": \"  eiusmod yy do dolor amet adipiscing eiusmod eiusmod do yy do eiusmod tempor elit sit adipiscing consectetur a-very-long-word-witho\"}}", "key0:\n  description: '  eiusmod yy do dolor amet adipiscing eiusmod eiusmod do yy do eiusmod\n    tempor elit sit adipiscing consectetur a-very-long-word-witho'\n"),
        ("{\"key1\": [{\"description\": \"sit consectetur lorem eiusmod consectetur tempor amet yy sit a-very-long-word-without-spaces-at-all-here eiusmod eiusmod dolor x e \"}]}", "key1:\n- description: 'sit consectetur lorem eiusmod consectetur tempor amet yy sit a-very-long-word-without-spaces-at-all-here\n    eiusmod eiusmod dolor x e '\n"),
        ("{\"description\": \"amet  eiusmod  adipiscing  tempor  x  yy  tempor  sit  adipiscing  yy  yy  consectetur  eiusmod  adipiscing  lorem  ipsum  sed\"}", "description: amet  eiusmod  adipiscing  tempor  x  yy  tempor  sit  adipiscing  yy  yy  consectetur  eiusmod  adipiscing  lorem  ipsum  sed\n"),
        ("[[[{\"description\": \"sed  sit  lorem  sed  amet  eiusmod  tempor  dolor  sed  x  x  elit  a-very-long-word-without-spaces-at-all-here  sit  amet  \"}]]]", "- - - description: 'sed  sit  lorem  sed  amet  eiusmod  tempor  dolor  sed  x  x  elit  a-very-long-word-without-spaces-at-all-here  sit  amet  '\n"),
        ("{\"key0\": {\"description\": \"'tempor yy tempor adipiscing elit sed sed eiusmod do x eiusmod yy x do x amet sit tempor lorem ipsum x amet ipsum do lorem lorem adipiscing amet consectetur sed eiusmod tempor do do amet sit x ipsum yy x adipiscing adipiscing x dolor amet elit consect'\"}}", "key0:\n  description: '''tempor yy tempor adipiscing elit sed sed eiusmod do x eiusmod yy\n    x do x amet sit tempor lorem ipsum x amet ipsum do lorem lorem adipiscing amet\n    consectetur sed eiusmod tempor do do amet sit x ipsum yy x adipiscing adipiscing\n    x dolor amet elit consect'''\n"),
        ("{\"key1\": {\"key0\": {\"description\": \"\\ufeffdolor a-very-long-word-without-spaces-at-all-here dolor a-ve\"}}}", "key1:\n  key0:\n    description: \"\\uFEFF\\x64\\x6F\\x6C\\x6F\\x72\\x20\\x61\\x2D\\x76\\x65\\x72\\x79\\x2D\\x6C\\x6F\\x6E\\x67\\x2D\\x77\\x6F\\x72\\x64\\x2D\\x77\\x69\\x74\\x68\\x6F\\x75\\x74\\x2D\\x73\\x70\\x61\\x63\\x65\\x73\\x2D\\x61\\x74\\x2D\\x61\\x6C\\x6C\\x2D\\x68\\x65\\x72\\x65\\x20\\x64\\x6F\\x6C\\x6F\\x72\\x20\\x61\\x2D\\x76\\x65\"\n"),
        ("{\"description\": \"111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111 2222222222\"}", "description: 111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111\n  2222222222\n"),
        ("{\"key3\": [{\"key1\": [{\"description\": \"111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111 2222222222\"}]}]}", "key3:\n- key1:\n  - description: 111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111\n      2222222222\n"),
        ("{\"key0\": {\"description\": \"a-very-long-word-without-spaces-at-all-here\\nelit\\neiusmod\\ndolor ipsum sed sit elit sed lorem ipsum consectetur x elit ips\"}}", "key0:\n  description: |-\n    a-very-long-word-without-spaces-at-all-here\n    elit\n    eiusmod\n    dolor ipsum sed sit elit sed lorem ipsum consectetur x elit ips\n"),
        ("{\"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\": \"v\"}", "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk: v\n"),
        ("{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\\nb\": \"v\"}", "? |-\n  aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n  b\n: v\n"),
        ("{\"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\": \"v\"}", "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk: v\n"),
        ("{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\\nb\": \"v\"}", "? |-\n  aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n  b\n: v\n"),
        ("{\"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\": \"v\"}", "? kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\n: v\n"),
        ("{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\\nb\": \"v\"}", "? |-\n  aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n  b\n: v\n"),
        ("{\"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\": \"v\"}", "? kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\n: v\n"),
        ("{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\\nb\": \"v\"}", "? |-\n  aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n  b\n: v\n"),
        ("{\"a\\nb\": {\"x\": [1, 2]}}", "? |-\n  a\n  b\n: x:\n  - 1\n  - 2\n"),
        ("{\"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\": []}", "? kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\n: []\n"),
        ("{\"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\": {}}", "? kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\n: {}\n"),
        ("{\"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\": {\"a\": [1]}}", "? kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\n: a:\n  - 1\n"),
        ("{\"a\": {}, \"b\": [], \"c\": [[]], \"d\": [{}], \"e\": {\"f\": {}}, \"g\": [[], {}, [[]]]}", "a: {}\nb: []\nc:\n- []\nd:\n- {}\ne:\n  f: {}\ng:\n- []\n- {}\n- - []\n"),
        ("[[1, 2], [3, [4, 5]], [], [{}]]", "- - 1\n  - 2\n- - 3\n  - - 4\n    - 5\n- []\n- - {}\n"),
        ("[{\"a\": 1, \"b\": [1, 2]}, {\"c\": {\"d\": [{\"e\": \"f\"}]}}]", "- a: 1\n  b:\n  - 1\n  - 2\n- c:\n    d:\n    - e: f\n"),
        ("{\"x\": [{\"y\": [{\"z\": [1]}]}]}", "x:\n- \"y\":\n  - z:\n    - 1\n"),
        ("{\"true\": 1, \"1\": 2, \"@x\": 3, \"yes\": [1], \"null\": {}, \"\": \"empty\", \" \": \"sp\", \"a b\": \"c\"}", "\"\": empty\n' ': sp\n'@x': 3\n\"1\": 2\na b: c\n\"null\": {}\n\"true\": 1\n\"yes\":\n- 1\n"),
        ("{\"10\": 1, \"9\": 2, \"a10\": 3, \"a9\": 4, \"a09\": 5, \"a010\": 6, \"A\": 7, \"a\": 8, \"_\": 9, \"-\": 10, \"\\u00e9\": 11, \"z\": 12, \"Z\": 13, \"0\": 14, \"00\": 15}", "'-': 10\n_: 9\n\"0\": 14\n\"00\": 15\n\"9\": 2\n\"10\": 1\nA: 7\nZ: 13\na: 8\na9: 4\na09: 5\na10: 3\na010: 6\nz: 12\n\u{e9}: 11\n"),
        ("[null, true, false, 0, -1, 1.5, 18446744073709551615, 9223372036854775807, -9223372036854775808, 0.1, 1e+21, 100.0]", "- null\n- true\n- false\n- 0\n- -1\n- 1.5\n- 18446744073709551615\n- 9223372036854775807\n- -9223372036854775808\n- 0.1\n- 1e+21\n- 100\n"),
        ("{\"a\": [[[[]]]], \"b\": {\"c\": {\"d\": {\"e\": {}}}}}", "a:\n- - - []\nb:\n  c:\n    d:\n      e: {}\n"),
        ("[[[[\"deep\"]]]]", "- - - - deep\n"),
        ("\"root\"", "root\n"),
        ("\"\"", "\"\"\n"),
        ("\"a\\nb\"", "|-\n  a\n  b\n"),
        ("\" a\\n\"", "|2\n   a\n"),
        ("\"a\\n\\n\"", "|+\n  a\n\n"),
        ("1", "1\n"),
        ("null", "null\n"),
        ("true", "true\n"),
        ("[]", "[]\n"),
        ("{}", "{}\n"),
        ("{\"list\": [\"a\", \"b\", {\"c\": [\"d\", {\"e\": []}]}]}", "list:\n- a\n- b\n- c:\n  - d\n  - e: []\n"),
        ("{\"a\\n\": \"v\", \"\\nb\": [1], \" a\\nb \": {}, \"a\\n\\n\": \"x\"}", "? |2-\n\n  b\n: - 1\n? \" a\\nb \"\n: {}\n? |\n  a\n: v\n? |+\n  a\n\n: x\n"),
        ("{\"apiVersion\": \"v1\", \"entries\": {\"_under\": [{\"annotations\": {\"category\": \"Infrastructure\", \"licenses\": \"Apache-2.0\", \"artifacthub.io/changes\": \"- kind: added\\n  description: something new\\n- kind: fixed\\n  description: \\\"a bug\\\"\\n\", \"images\": \"- name: x\\n  image: docker.io/x:1.0\\n\"}, \"apiVersion\": \"v2\", \"appVersion\": \"1.0.0\", \"created\": \"2024-01-10T10:20:30.123456789Z\", \"dependencies\": [{\"name\": \"common\", \"repository\": \"\", \"version\": \"2.x.x\", \"condition\": \"common.enabled\", \"tags\": [\"bitnami-common\"], \"import-values\": [\"a\", {\"child\": \"x\", \"parent\": \"y\"}]}, {\"name\": \"redis\", \"repository\": \"oci://registry-1.docker.io/bitnamicharts\", \"version\": \">=1.0.0 <2.0.0\", \"alias\": \"cache\"}], \"description\": \"A Helm chart for Kubernetes that deploys something rather complicated with a description long enough to wrap across lines in the output file: 0\", \"digest\": \"0000000000000000000000000000000000000000000000000000000000000000\", \"home\": \"https://example.com/charts/_under\", \"icon\": \"https://example.com/icon.png\", \"keywords\": [\"web\", \"http\", \"1.0\", \"yes\", \"@special\"], \"maintainers\": [{\"name\": \"John Doe\", \"email\": \"john@example.com\", \"url\": \"https://john.example.com\"}, {\"name\": \"Bitnami\"}], \"name\": \"_under\", \"sources\": [\"https://github.com/example/_under\"], \"type\": \"application\", \"urls\": [\"https://example.com/charts/_under-1.0.0.tgz\"], \"version\": \"1.0.0\", \"kubeVersion\": \">=1.19.0-0\", \"deprecated\": false}, {\"annotations\": {\"category\": \"Infrastructure\", \"licenses\": \"Apache-2.0\", \"artifacthub.io/changes\": \"- kind: added\\n  description: something new\\n- kind: fixed\\n  description: \\\"a bug\\\"\\n\", \"images\": \"- name: x\\n  image: docker.io/x:1.0\\n\"}, \"apiVersion\": \"v2\", \"appVersion\": \"1.1.0\", \"created\": \"2024-02-11T10:20:30.123456788Z\", \"dependencies\": [{\"name\": \"common\", \"repository\": \"\", \"version\": \"2.x.x\", \"condition\": \"common.enabled\", \"tags\": [\"bitnami-common\"], \"import-values\": [\"a\", {\"child\": \"x\", \"parent\": \"y\"}]}, {\"name\": \"redis\", \"repository\": \"oci://registry-1.docker.io/bitnamicharts\", \"version\": \">=1.0.0 <2.0.0\", \"alias\": \"cache\"}], \"description\": \"A Helm chart for Kubernetes that deploys something rather complicated with a description long enough to wrap across lines in the output file: 1\", \"digest\": \"0000000000000000000000000000000000000000000000000000000000001eef\", \"home\": \"https://example.com/charts/_under\", \"icon\": \"https://example.com/icon.png\", \"keywords\": [\"web\", \"http\", \"1.0\", \"yes\", \"@special\"], \"maintainers\": [{\"name\": \"John Doe\", \"email\": \"john@example.com\", \"url\": \"https://john.example.com\"}, {\"name\": \"Bitnami\"}], \"name\": \"_under\", \"sources\": [\"https://github.com/example/_under\"], \"type\": \"application\", \"urls\": [\"https://example.com/charts/_under-1.1.0.tgz\"], \"version\": \"1.1.0\", \"kubeVersion\": \">=1.19.0-0\", \"deprecated\": false}], \"0zero\": [{\"annotations\": {\"category\": \"Infrastructure\", \"licenses\": \"Apache-2.0\", \"artifacthub.io/changes\": \"- kind: added\\n  description: something new\\n- kind: fixed\\n  description: \\\"a bug\\\"\\n\", \"images\": \"- name: x\\n  image: docker.io/x:1.0\\n\"}, \"apiVersion\": \"v2\", \"appVersion\": \"1.0.1\", \"created\": \"2024-01-10T10:20:30.123456789Z\", \"dependencies\": [{\"name\": \"common\", \"repository\": \"\", \"version\": \"2.x.x\", \"condition\": \"common.enabled\", \"tags\": [\"bitnami-common\"], \"import-values\": [\"a\", {\"child\": \"x\", \"parent\": \"y\"}]}, {\"name\": \"redis\", \"repository\": \"oci://registry-1.docker.io/bitnamicharts\", \"version\": \">=1.0.0 <2.0.0\", \"alias\": \"cache\"}], \"description\": \"A Helm chart for Kubernetes that deploys something rather complicated with a description long enough to wrap across lines in the output file: 0\", \"digest\": \"0000000000000000000000000000000000000000000000000000000000000001\", \"home\": \"https://example.com/charts/0zero\", \"icon\": \"https://example.com/icon.png\", \"keywords\": [\"web\", \"http\", \"1.0\", \"yes\", \"@special\"], \"maintainers\": [{\"name\": \"John Doe\", \"email\": \"john@example.com\", \"url\": \"https://john.example.com\"}, {\"name\": \"Bitnami\"}], \"name\": \"0zero\", \"sources\": [\"https://github.com/example/0zero\"], \"type\": \"application\", \"urls\": [\"https://example.com/charts/0zero-1.0.0.tgz\"], \"version\": \"1.0.0\", \"kubeVersion\": \">=1.19.0-0\", \"deprecated\": false}, {\"annotations\": {\"category\": \"Infrastructure\", \"licenses\": \"Apache-2.0\", \"artifacthub.io/changes\": \"- kind: added\\n  description: something new\\n- kind: fixed\\n  description: \\\"a bug\\\"\\n\", \"images\": \"- name: x\\n  image: docker.io/x:1.0\\n\"}, \"apiVersion\": \"v2\", \"appVersion\": \"1.1.1\", \"created\": \"2024-02-11T10:20:30.123456788Z\", \"dependencies\": [{\"name\": \"common\", \"repository\": \"\", \"version\": \"2.x.x\", \"condition\": \"common.enabled\", \"tags\": [\"bitnami-common\"], \"import-values\": [\"a\", {\"child\": \"x\", \"parent\": \"y\"}]}, {\"name\": \"redis\", \"repository\": \"oci://registry-1.docker.io/bitnamicharts\", \"version\": \">=1.0.0 <2.0.0\", \"alias\": \"cache\"}], \"description\": \"A Helm chart for Kubernetes that deploys something rather complicated with a description long enough to wrap across lines in the output file: 1\", \"digest\": \"0000000000000000000000000000000000000000000000000000000000001ef0\", \"home\": \"https://example.com/charts/0zero\", \"icon\": \"https://example.com/icon.png\", \"keywords\": [\"web\", \"http\", \"1.0\", \"yes\", \"@special\"], \"maintainers\": [{\"name\": \"John Doe\", \"email\": \"john@example.com\", \"url\": \"https://john.example.com\"}, {\"name\": \"Bitnami\"}], \"name\": \"0zero\", \"sources\": [\"https://github.com/example/0zero\"], \"type\": \"application\", \"urls\": [\"https://example.com/charts/0zero-1.1.0.tgz\"], \"version\": \"1.1.0\", \"kubeVersion\": \">=1.19.0-0\", \"deprecated\": false}], \"App\": [{\"annotations\": {\"category\": \"Infrastructure\", \"licenses\": \"Apache-2.0\", \"artifacthub.io/changes\": \"- kind: added\\n  description: something new\\n- kind: fixed\\n  description: \\\"a bug\\\"\\n\", \"images\": \"- name: x\\n  image: docker.io/x:1.0\\n\"}, \"apiVersion\": \"v2\", \"appVersion\": \"1.0.2\", \"created\": \"2024-01-10T10:20:30.123456789Z\", \"dependencies\": [{\"name\": \"common\", \"repository\": \"\", \"version\": \"2.x.x\", \"condition\": \"common.enabled\", \"tags\": [\"bitnami-common\"], \"import-values\": [\"a\", {\"child\": \"x\", \"parent\": \"y\"}]}, {\"name\": \"redis\", \"repository\": \"oci://registry-1.docker.io/bitnamicharts\", \"version\": \">=1.0.0 <2.0.0\", \"alias\": \"cache\"}], \"description\": \"A Helm chart for Kubernetes that deploys something rather complicated with a description long enough to wrap across lines in the output file: 0\", \"digest\": \"0000000000000000000000000000000000000000000000000000000000000002\", \"home\": \"https://example.com/charts/App\", \"icon\": \"https://example.com/icon.png\", \"keywords\": [\"web\", \"http\", \"1.0\", \"yes\", \"@special\"], \"maintainers\": [{\"name\": \"John Doe\", \"email\": \"john@example.com\", \"url\": \"https://john.example.com\"}, {\"name\": \"Bitnami\"}], \"name\": \"App\", \"sources\": [\"https://github.com/example/App\"], \"type\": \"application\", \"urls\": [\"https://example.com/charts/App-1.0.0.tgz\"], \"version\": \"1.0.0\", \"kubeVersion\": \">=1.19.0-0\", \"deprecated\": false}, {\"annotations\": {\"category\": \"Infrastructure\", \"licenses\": \"Apache-2.0\", \"artifacthub.io/changes\": \"- kind: added\\n  description: something new\\n- kind: fixed\\n  description: \\\"a bug\\\"\\n\", \"images\": \"- name: x\\n  image: docker.io/x:1.0\\n\"}, \"apiVersion\": \"v2\", \"appVersion\": \"1.1.2\", \"created\": \"2024-02-11T10:20:30.123456788Z\", \"dependencies\": [{\"name\": \"common\", \"repository\": \"\", \"version\": \"2.x.x\", \"condition\": \"common.enabled\", \"tags\": [\"bitnami-common\"], \"import-values\": [\"a\", {\"child\": \"x\", \"parent\": \"y\"}]}, {\"name\": \"redis\", \"repository\": \"oci://registry-1.docker.io/bitnamicharts\", \"version\": \">=1.0.0 <2.0.0\", \"alias\": \"cache\"}], \"description\": \"A Helm chart for Kubernetes that deploys something rather complicated with a description long enough to wrap across lines in the output file: 1\", \"digest\": \"0000000000000000000000000000000000000000000000000000000000001ef1\", \"home\": \"https://example.com/charts/App\", \"icon\": \"https://example.com/icon.png\", \"keywords\": [\"web\", \"http\", \"1.0\", \"yes\", \"@special\"], \"maintainers\": [{\"name\": \"John Doe\", \"email\": \"john@example.com\", \"url\": \"https://john.example.com\"}, {\"name\": \"Bitnami\"}], \"name\": \"App\", \"sources\": [\"https://github.com/example/App\"], \"type\": \"application\", \"urls\": [\"https://example.com/charts/App-1.1.0.tgz\"], \"version\": \"1.1.0\", \"kubeVersion\": \">=1.19.0-0\", \"deprecated\": false}]}, \"generated\": \"2024-05-09T07:35:25.123456789+02:00\", \"serverInfo\": {}}", "apiVersion: v1\nentries:\n  _under:\n  - annotations:\n      artifacthub.io/changes: |\n        - kind: added\n          description: something new\n        - kind: fixed\n          description: \"a bug\"\n      category: Infrastructure\n      images: |\n        - name: x\n          image: docker.io/x:1.0\n      licenses: Apache-2.0\n    apiVersion: v2\n    appVersion: 1.0.0\n    created: \"2024-01-10T10:20:30.123456789Z\"\n    dependencies:\n    - condition: common.enabled\n      import-values:\n      - a\n      - child: x\n        parent: \"y\"\n      name: common\n      repository: \"\"\n      tags:\n      - bitnami-common\n      version: 2.x.x\n    - alias: cache\n      name: redis\n      repository: oci://registry-1.docker.io/bitnamicharts\n      version: '>=1.0.0 <2.0.0'\n    deprecated: false\n    description: 'A Helm chart for Kubernetes that deploys something rather complicated\n      with a description long enough to wrap across lines in the output file: 0'\n    digest: \"0000000000000000000000000000000000000000000000000000000000000000\"\n    home: https://example.com/charts/_under\n    icon: https://example.com/icon.png\n    keywords:\n    - web\n    - http\n    - \"1.0\"\n    - \"yes\"\n    - '@special'\n    kubeVersion: '>=1.19.0-0'\n    maintainers:\n    - email: john@example.com\n      name: John Doe\n      url: https://john.example.com\n    - name: Bitnami\n    name: _under\n    sources:\n    - https://github.com/example/_under\n    type: application\n    urls:\n    - https://example.com/charts/_under-1.0.0.tgz\n    version: 1.0.0\n  - annotations:\n      artifacthub.io/changes: |\n        - kind: added\n          description: something new\n        - kind: fixed\n          description: \"a bug\"\n      category: Infrastructure\n      images: |\n        - name: x\n          image: docker.io/x:1.0\n      licenses: Apache-2.0\n    apiVersion: v2\n    appVersion: 1.1.0\n    created: \"2024-02-11T10:20:30.123456788Z\"\n    dependencies:\n    - condition: common.enabled\n      import-values:\n      - a\n      - child: x\n        parent: \"y\"\n      name: common\n      repository: \"\"\n      tags:\n      - bitnami-common\n      version: 2.x.x\n    - alias: cache\n      name: redis\n      repository: oci://registry-1.docker.io/bitnamicharts\n      version: '>=1.0.0 <2.0.0'\n    deprecated: false\n    description: 'A Helm chart for Kubernetes that deploys something rather complicated\n      with a description long enough to wrap across lines in the output file: 1'\n    digest: 0000000000000000000000000000000000000000000000000000000000001eef\n    home: https://example.com/charts/_under\n    icon: https://example.com/icon.png\n    keywords:\n    - web\n    - http\n    - \"1.0\"\n    - \"yes\"\n    - '@special'\n    kubeVersion: '>=1.19.0-0'\n    maintainers:\n    - email: john@example.com\n      name: John Doe\n      url: https://john.example.com\n    - name: Bitnami\n    name: _under\n    sources:\n    - https://github.com/example/_under\n    type: application\n    urls:\n    - https://example.com/charts/_under-1.1.0.tgz\n    version: 1.1.0\n  0zero:\n  - annotations:\n      artifacthub.io/changes: |\n        - kind: added\n          description: something new\n        - kind: fixed\n          description: \"a bug\"\n      category: Infrastructure\n      images: |\n        - name: x\n          image: docker.io/x:1.0\n      licenses: Apache-2.0\n    apiVersion: v2\n    appVersion: 1.0.1\n    created: \"2024-01-10T10:20:30.123456789Z\"\n    dependencies:\n    - condition: common.enabled\n      import-values:\n      - a\n      - child: x\n        parent: \"y\"\n      name: common\n      repository: \"\"\n      tags:\n      - bitnami-common\n      version: 2.x.x\n    - alias: cache\n      name: redis\n      repository: oci://registry-1.docker.io/bitnamicharts\n      version: '>=1.0.0 <2.0.0'\n    deprecated: false\n    description: 'A Helm chart for Kubernetes that deploys something rather complicated\n      with a description long enough to wrap across lines in the output file: 0'\n    digest: \"0000000000000000000000000000000000000000000000000000000000000001\"\n    home: https://example.com/charts/0zero\n    icon: https://example.com/icon.png\n    keywords:\n    - web\n    - http\n    - \"1.0\"\n    - \"yes\"\n    - '@special'\n    kubeVersion: '>=1.19.0-0'\n    maintainers:\n    - email: john@example.com\n      name: John Doe\n      url: https://john.example.com\n    - name: Bitnami\n    name: 0zero\n    sources:\n    - https://github.com/example/0zero\n    type: application\n    urls:\n    - https://example.com/charts/0zero-1.0.0.tgz\n    version: 1.0.0\n  - annotations:\n      artifacthub.io/changes: |\n        - kind: added\n          description: something new\n        - kind: fixed\n          description: \"a bug\"\n      category: Infrastructure\n      images: |\n        - name: x\n          image: docker.io/x:1.0\n      licenses: Apache-2.0\n    apiVersion: v2\n    appVersion: 1.1.1\n    created: \"2024-02-11T10:20:30.123456788Z\"\n    dependencies:\n    - condition: common.enabled\n      import-values:\n      - a\n      - child: x\n        parent: \"y\"\n      name: common\n      repository: \"\"\n      tags:\n      - bitnami-common\n      version: 2.x.x\n    - alias: cache\n      name: redis\n      repository: oci://registry-1.docker.io/bitnamicharts\n      version: '>=1.0.0 <2.0.0'\n    deprecated: false\n    description: 'A Helm chart for Kubernetes that deploys something rather complicated\n      with a description long enough to wrap across lines in the output file: 1'\n    digest: 0000000000000000000000000000000000000000000000000000000000001ef0\n    home: https://example.com/charts/0zero\n    icon: https://example.com/icon.png\n    keywords:\n    - web\n    - http\n    - \"1.0\"\n    - \"yes\"\n    - '@special'\n    kubeVersion: '>=1.19.0-0'\n    maintainers:\n    - email: john@example.com\n      name: John Doe\n      url: https://john.example.com\n    - name: Bitnami\n    name: 0zero\n    sources:\n    - https://github.com/example/0zero\n    type: application\n    urls:\n    - https://example.com/charts/0zero-1.1.0.tgz\n    version: 1.1.0\n  App:\n  - annotations:\n      artifacthub.io/changes: |\n        - kind: added\n          description: something new\n        - kind: fixed\n          description: \"a bug\"\n      category: Infrastructure\n      images: |\n        - name: x\n          image: docker.io/x:1.0\n      licenses: Apache-2.0\n    apiVersion: v2\n    appVersion: 1.0.2\n    created: \"2024-01-10T10:20:30.123456789Z\"\n    dependencies:\n    - condition: common.enabled\n      import-values:\n      - a\n      - child: x\n        parent: \"y\"\n      name: common\n      repository: \"\"\n      tags:\n      - bitnami-common\n      version: 2.x.x\n    - alias: cache\n      name: redis\n      repository: oci://registry-1.docker.io/bitnamicharts\n      version: '>=1.0.0 <2.0.0'\n    deprecated: false\n    description: 'A Helm chart for Kubernetes that deploys something rather complicated\n      with a description long enough to wrap across lines in the output file: 0'\n    digest: \"0000000000000000000000000000000000000000000000000000000000000002\"\n    home: https://example.com/charts/App\n    icon: https://example.com/icon.png\n    keywords:\n    - web\n    - http\n    - \"1.0\"\n    - \"yes\"\n    - '@special'\n    kubeVersion: '>=1.19.0-0'\n    maintainers:\n    - email: john@example.com\n      name: John Doe\n      url: https://john.example.com\n    - name: Bitnami\n    name: App\n    sources:\n    - https://github.com/example/App\n    type: application\n    urls:\n    - https://example.com/charts/App-1.0.0.tgz\n    version: 1.0.0\n  - annotations:\n      artifacthub.io/changes: |\n        - kind: added\n          description: something new\n        - kind: fixed\n          description: \"a bug\"\n      category: Infrastructure\n      images: |\n        - name: x\n          image: docker.io/x:1.0\n      licenses: Apache-2.0\n    apiVersion: v2\n    appVersion: 1.1.2\n    created: \"2024-02-11T10:20:30.123456788Z\"\n    dependencies:\n    - condition: common.enabled\n      import-values:\n      - a\n      - child: x\n        parent: \"y\"\n      name: common\n      repository: \"\"\n      tags:\n      - bitnami-common\n      version: 2.x.x\n    - alias: cache\n      name: redis\n      repository: oci://registry-1.docker.io/bitnamicharts\n      version: '>=1.0.0 <2.0.0'\n    deprecated: false\n    description: 'A Helm chart for Kubernetes that deploys something rather complicated\n      with a description long enough to wrap across lines in the output file: 1'\n    digest: 0000000000000000000000000000000000000000000000000000000000001ef1\n    home: https://example.com/charts/App\n    icon: https://example.com/icon.png\n    keywords:\n    - web\n    - http\n    - \"1.0\"\n    - \"yes\"\n    - '@special'\n    kubeVersion: '>=1.19.0-0'\n    maintainers:\n    - email: john@example.com\n      name: John Doe\n      url: https://john.example.com\n    - name: Bitnami\n    name: App\n    sources:\n    - https://github.com/example/App\n    type: application\n    urls:\n    - https://example.com/charts/App-1.1.0.tgz\n    version: 1.1.0\ngenerated: \"2024-05-09T07:35:25.123456789+02:00\"\nserverInfo: {}\n"),
    ];

    /// `resolve("", s) != !!str || isBase60Float(s)` from yaml.v2 v2.4.0.
    const QUOTE_CASES: &[(&str, bool)] = &[
        ("y", true),
        ("Y", true),
        ("yes", true),
        ("Yes", true),
        ("YES", true),
        ("yEs", false),
        ("true", true),
        ("True", true),
        ("TRUE", true),
        ("tRue", false),
        ("on", true),
        ("On", true),
        ("ON", true),
        ("oN", false),
        ("n", true),
        ("N", true),
        ("no", true),
        ("No", true),
        ("NO", true),
        ("false", true),
        ("False", true),
        ("FALSE", true),
        ("off", true),
        ("Off", true),
        ("OFF", true),
        ("", true),
        ("~", true),
        ("null", true),
        ("Null", true),
        ("NULL", true),
        ("nULL", false),
        (".nan", true),
        (".NaN", true),
        (".NAN", true),
        (".nAn", false),
        (".inf", true),
        (".Inf", true),
        (".INF", true),
        ("+.inf", true),
        ("+.Inf", true),
        ("+.INF", true),
        ("-.inf", true),
        ("-.Inf", true),
        ("-.INF", true),
        ("<<", false),
        ("=", false),
        ("-", false),
        ("+", false),
        (".", false),
        ("..", false),
        ("...", false),
        ("---", false),
        ("--", false),
        ("-- ", false),
        ("? ", false),
        ("?", false),
        ("? x", false),
        (":", false),
        (": ", false),
        ("a:", false),
        ("a: b", false),
        ("a :b", false),
        ("#", false),
        ("a #b", false),
        ("a#b", false),
        ("- ", false),
        ("-a", false),
        ("- a", false),
        ("@a", false),
        ("`a", false),
        ("a@", false),
        ("a`", false),
        ("inf", false),
        ("nan", false),
        ("Infinity", false),
        ("-Infinity", false),
        ("infinity", false),
        ("NaN", false),
        ("1", true),
        ("-1", true),
        ("+1", true),
        ("0", true),
        ("-0", true),
        ("+0", true),
        ("00", true),
        ("01", true),
        ("08", true),
        ("09", true),
        ("0o17", true),
        ("0O17", true),
        ("0x1F", true),
        ("0X1f", true),
        ("0x", false),
        ("0b", false),
        ("0o", false),
        ("0b101", true),
        ("0B101", true),
        ("-0b101", true),
        ("+0b101", true),
        ("0b-1", true),
        ("0b+1", true),
        ("-0b-1", false),
        ("-0b+1", false),
        ("0b_1", true),
        ("1_000", true),
        ("1__0", true),
        ("_1", false),
        ("1_", true),
        ("+_1", true),
        ("-_", false),
        ("+_", false),
        ("1_0.5", true),
        ("0x_1F", true),
        ("0x1_F", true),
        ("1e5", true),
        ("1E5", true),
        ("1e+5", true),
        ("1e-5", true),
        ("1.e5", true),
        (".e5", false),
        (".5", true),
        (".5e3", true),
        ("._5", false),
        (".5_0", true),
        (".5__0", false),
        (".5e_5", false),
        (".5e5_0", true),
        ("1.5", true),
        ("-1.5", true),
        ("+1.5", true),
        ("1.", true),
        ("-.5", true),
        ("+.5", true),
        ("1e", false),
        ("1e+", false),
        ("e5", false),
        ("1e400", false),
        ("-1e400", false),
        ("1e-400", true),
        (".1e400", false),
        ("1e308", true),
        ("1.7976931348623157e308", true),
        ("1.7976931348623159e308", false),
        ("2e308", false),
        ("9223372036854775807", true),
        ("9223372036854775808", true),
        ("-9223372036854775808", true),
        ("-9223372036854775809", true),
        ("18446744073709551615", true),
        ("18446744073709551616", true),
        ("99999999999999999999x", false),
        ("0x8000000000000000", true),
        ("0xFFFFFFFFFFFFFFFF", true),
        ("0x10000000000000000", false),
        ("-0x8000000000000000", true),
        ("-0x8000000000000001", false),
        (
            "0b111111111111111111111111111111111111111111111111111111111111111",
            true,
        ),
        (
            "0b1111111111111111111111111111111111111111111111111111111111111111",
            true,
        ),
        (
            "0b11111111111111111111111111111111111111111111111111111111111111111",
            false,
        ),
        (
            "-0b1111111111111111111111111111111111111111111111111111111111111111",
            false,
        ),
        (
            "0b-1111111111111111111111111111111111111111111111111111111111111111",
            false,
        ),
        ("1:2", true),
        ("1:20", true),
        ("12:30", true),
        ("12:30:45", true),
        ("1:60", false),
        ("1:59", true),
        ("-1:30", true),
        ("+1:30", true),
        ("1_0:30", true),
        ("1:30.5", true),
        ("1:30.", true),
        ("1:30._5", true),
        ("1:3:4", true),
        ("1::2", false),
        ("1:2:", false),
        ("a:1", false),
        ("1:123", false),
        ("1:0", true),
        ("190:20:30", true),
        ("12:30.1.2", false),
        ("2024-01-01", true),
        ("2024-1-1", true),
        ("2024-02-29", true),
        ("2023-02-29", false),
        ("2024-02-30", false),
        ("2024-13-01", false),
        ("2024-00-10", false),
        ("2024-01-00", false),
        ("2024-01-32", false),
        ("2024-1-1x", false),
        ("2024-01-01 ", false),
        ("2024-01-01T", false),
        ("20240-01-01", false),
        ("202-01-01", false),
        ("2024-01-01T10:20:30Z", true),
        ("2024-01-01T10:20:30.123456789Z", true),
        ("2024-01-01T10:20:30.5+01:00", true),
        ("2024-01-01T10:20:30-06:00", true),
        ("2024-01-01t10:20:30Z", true),
        ("2024-01-01T10:20:30z", false),
        ("2024-01-01 10:20:30", true),
        ("2024-01-01   10:20:30", true),
        ("2024-01-0110:20:30", false),
        ("2024-01-01 10:20:30.5", true),
        ("2024-01-01 10:20:30Z", false),
        ("2024-01-01 10:20:30 ", false),
        ("2001-12-14 21:59:43.10 -5", false),
        ("2024-01-01T24:00:00Z", false),
        ("2024-01-01T23:60:00Z", false),
        ("2024-01-01T23:59:60Z", false),
        ("2024-01-01T1:2:3Z", true),
        ("2024-1-1T1:2:3Z", true),
        ("2024-01-01T10:20:30,5Z", true),
        ("2024-01-01T10:20:30.Z", false),
        ("2024-01-01T10:20:30+0100", false),
        ("2024-01-01T10:20:30+01", false),
        ("2024-01-01T10:20:30+24:00", true),
        ("2024-01-01T10:20:30+23:60", true),
        ("2024-01-01T10:20:30*01:00", false),
        ("2024-01-01T10:20", false),
        ("2024-01-01T10:20:30.123456789+05:30", true),
        ("1.0.0", false),
        ("v1.0.0", false),
        ("1.0.0-rc1", false),
        ("1.2", true),
        ("1.2.3.4", false),
        ("0.1.0", false),
        ("10.0", true),
        ("1,000", false),
        ("1 000", false),
        ("0755", true),
        ("0o755", true),
        ("012", true),
        ("0.0.0.0", false),
        ("127.0.0.1", false),
        ("::1", false),
        ("1-2", false),
        ("1+2", false),
        ("a", false),
        ("abc", false),
        ("hello world", false),
        ("Hello", false),
        ("0abc", false),
        ("1abc", false),
        ("yes!", false),
        ("no way", false),
        ("true_", false),
        ("_true", false),
        ("tru", false),
        ("nul", false),
        ("nu", false),
        ("o", false),
        ("~~", false),
        ("y~", false),
        ("x", false),
    ];
}
