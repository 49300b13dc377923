//! A fast reader of the block layout [`super::Emitter`] writes, and of
//! nothing else.
//!
//! Large index files are mostly text this pack or Helm wrote, and a general
//! YAML parser spends most of a merge reading it back. This reader knows
//! only that layout (block mappings and sequences, plain, quoted and
//! literal scalars, `{}` and `[]`) and answers `None` for anything it does
//! not recognise. It is not a YAML parser: on odd input it may answer a
//! value that a real parser would not. Its answer is therefore only ever
//! used after the caller has emitted the value again and found the same
//! bytes: since the emitter's output reads back as the value emitted, equal
//! bytes prove that the value is the one a real parser would have found.

use super::resolve::{resolve_plain, Scalar};
use super::Value;

/// Reads the block sequence whose `- ` indicators are at column `indent`,
/// which must make up all of `text` (every line ends with `\n`).
pub fn load_sequence(text: &str, indent: usize) -> Option<Value> {
    let lines: Vec<&str> = text.strip_suffix('\n')?.split('\n').collect();
    let mut r = Reader {
        lines,
        at: 0,
        depth: 0,
    };
    let v = r.sequence(indent)?;
    (r.at == r.lines.len()).then_some(v)
}

/// Nesting deeper than this is left to the general loader (and its own
/// limits): index entries nest a few levels, and each level here is a
/// frame on the stack.
const MAX_DEPTH: usize = 64;

struct Reader<'a> {
    lines: Vec<&'a str>,
    at: usize,
    /// Collections open around the current line.
    depth: usize,
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<&'a str> {
        self.lines.get(self.at).copied()
    }

    /// Runs `read` one level deeper, or answers `None` past [`MAX_DEPTH`].
    fn nested(&mut self, read: impl FnOnce(&mut Self) -> Option<Value>) -> Option<Value> {
        if self.depth >= MAX_DEPTH {
            return None;
        }
        self.depth += 1;
        let v = read(self);
        self.depth -= 1;
        v
    }

    fn sequence(&mut self, indent: usize) -> Option<Value> {
        self.nested(|r| r.sequence_items(indent))
    }

    fn sequence_items(&mut self, indent: usize) -> Option<Value> {
        let mut items = Vec::new();
        while let Some(line) = self.peek() {
            if line.is_empty() || indent_of(line) != indent || !line[indent..].starts_with("- ") {
                break;
            }
            self.at += 1;
            let rest = &line[indent + 2..];
            items.push(if let Some((key, value)) = split_key(rest) {
                self.mapping_from(indent + 2, key, value)?
            } else {
                self.scalar(rest, indent)?
            });
        }
        (!items.is_empty()).then_some(Value::Seq(items))
    }

    /// A mapping at `indent` whose first key and inline value were already
    /// read (from a `- KEY: VALUE` line).
    fn mapping_from(&mut self, indent: usize, key: &'a str, value: &'a str) -> Option<Value> {
        self.nested(|r| r.mapping_entries(indent, key, value))
    }

    fn mapping_entries(&mut self, indent: usize, key: &'a str, value: &'a str) -> Option<Value> {
        let mut entries = vec![(key.to_string(), self.value(value, indent)?)];
        while let Some(line) = self.peek() {
            if line.is_empty() || indent_of(line) != indent {
                break;
            }
            let (k, v) = split_key(&line[indent..])?;
            self.at += 1;
            entries.push((k.to_string(), self.value(v, indent)?));
        }
        Some(Value::Map(entries))
    }

    fn mapping(&mut self, indent: usize) -> Option<Value> {
        let line = self.peek()?;
        let (k, v) = split_key(&line[indent..])?;
        self.at += 1;
        self.mapping_from(indent, k, v)
    }

    /// The value of a key at column `indent`: inline after `: `, or a
    /// nested block on the lines below.
    fn value(&mut self, inline: &'a str, indent: usize) -> Option<Value> {
        if !inline.is_empty() {
            return self.scalar(inline, indent);
        }
        let next = self.peek()?;
        let n = indent_of(next);
        if n == indent && next[n..].starts_with("- ") {
            self.sequence(indent)
        } else if n > indent && !next[n..].starts_with("- ") {
            self.mapping(n)
        } else {
            None
        }
    }

    /// A scalar starting with `first`, continued on the following lines
    /// deeper than `indent` (and empty lines between them).
    fn scalar(&mut self, first: &'a str, indent: usize) -> Option<Value> {
        let start = self.at;
        while let Some(line) = self.peek() {
            if !line.is_empty() && indent_of(line) <= indent {
                break;
            }
            self.at += 1;
        }
        // Trailing empty lines belong to the next node, or to nothing.
        while self.at > start && self.lines[self.at - 1].is_empty() {
            self.at -= 1;
        }
        let more = &self.lines[start..self.at];
        match first.as_bytes()[0] {
            b'"' => double_quoted(first, more).map(Value::String),
            b'\'' => single_quoted(first, more).map(Value::String),
            b'|' => literal(first, more, indent).map(Value::String),
            b'{' if first == "{}" && more.is_empty() => Some(Value::Map(Vec::new())),
            b'[' if first == "[]" && more.is_empty() => Some(Value::Seq(Vec::new())),
            b'{' | b'[' | b'>' | b'&' | b'*' | b'!' | b'%' | b'@' | b'`' | b'#' | b'?' => None,
            _ => plain(first, more),
        }
    }
}

/// `KEY: VALUE` or `KEY:` with a plain key that reads as a string.
fn split_key(s: &str) -> Option<(&str, &str)> {
    let (key, value) = match s.find(": ") {
        Some(i) => (&s[..i], &s[i + 2..]),
        None => (s.strip_suffix(':')?, ""),
    };
    let plain_key = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'));
    (plain_key && resolve_plain(key) == Scalar::Text).then_some((key, value))
}

fn plain(first: &str, more: &[&str]) -> Option<Value> {
    let mut text = first.to_string();
    let mut breaks = 0;
    for line in more {
        let t = line.trim_start_matches(' ');
        if t.is_empty() {
            breaks += 1;
            continue;
        }
        if breaks == 0 {
            text.push(' ');
        }
        (0..breaks).for_each(|_| text.push('\n'));
        breaks = 0;
        text.push_str(t);
    }
    if text.contains(" #") || text.contains(": ") || text.ends_with(':') || text.contains('\t') {
        return None;
    }
    Some(match resolve_plain(&text) {
        Scalar::Null => Value::Null,
        Scalar::Bool(b) => Value::Bool(b),
        Scalar::Int(i) => Value::Int(i),
        Scalar::Uint(u) => Value::Uint(u),
        Scalar::Float(f) => Value::Float(f),
        Scalar::Text => Value::String(text),
        Scalar::Binary(_) => return None,
    })
}

/// Folds the line break before `line` into `out` (YAML flow folding): one
/// break is a space, each further empty line a newline.
fn fold(out: &mut String, pending_empty: &mut usize) {
    if *pending_empty == 0 {
        out.push(' ');
    }
    (0..*pending_empty).for_each(|_| out.push('\n'));
    *pending_empty = 0;
}

fn single_quoted(first: &str, more: &[&str]) -> Option<String> {
    let mut out = String::new();
    let mut empty = 0;
    let lines = std::iter::once(&first[1..]).chain(more.iter().map(|l| l.trim_start_matches(' ')));
    for (k, line) in lines.enumerate() {
        if k > 0 {
            if line.is_empty() {
                empty += 1;
                continue;
            }
            fold(&mut out, &mut empty);
        }
        let mut chars = line.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == '\'' {
                if chars.peek().map(|p| p.1) == Some('\'') {
                    chars.next();
                    out.push('\'');
                } else {
                    // The closing quote ends the last line.
                    return (i + 1 == line.len() && k == more.len()).then_some(out);
                }
            } else {
                out.push(c);
            }
        }
    }
    None
}

fn double_quoted(first: &str, more: &[&str]) -> Option<String> {
    let mut out = String::new();
    let mut empty = 0;
    let mut escaped_break = false;
    let lines = std::iter::once(&first[1..]).chain(more.iter().map(|l| l.trim_start_matches(' ')));
    for (k, line) in lines.enumerate() {
        if k > 0 {
            if escaped_break {
                escaped_break = false;
            } else {
                if line.is_empty() {
                    empty += 1;
                    continue;
                }
                fold(&mut out, &mut empty);
            }
        }
        let mut chars = line.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => return (i + 1 == line.len() && k == more.len()).then_some(out),
                '\\' => {
                    let Some((_, e)) = chars.next() else {
                        escaped_break = true;
                        break;
                    };
                    let hex = |n: usize, chars: &mut std::str::CharIndices| {
                        let s: String = chars.by_ref().take(n).map(|c| c.1).collect();
                        if s.len() != n {
                            return None;
                        }
                        char::from_u32(u32::from_str_radix(&s, 16).ok()?)
                    };
                    out.push(match e {
                        '0' => '\0',
                        'a' => '\x07',
                        'b' => '\x08',
                        't' | '\t' => '\t',
                        'n' => '\n',
                        'v' => '\x0b',
                        'f' => '\x0c',
                        'r' => '\r',
                        'e' => '\x1b',
                        ' ' => ' ',
                        '"' => '"',
                        '/' => '/',
                        '\\' => '\\',
                        'N' => '\u{85}',
                        '_' => '\u{a0}',
                        'L' => '\u{2028}',
                        'P' => '\u{2029}',
                        'x' => hex(2, &mut chars)?,
                        'u' => hex(4, &mut chars)?,
                        'U' => hex(8, &mut chars)?,
                        _ => return None,
                    });
                }
                // Unescaped trailing spaces before a break are dropped by
                // YAML; the emitter never writes them.
                ' ' if line[i..].trim_end_matches(' ').is_empty() => return None,
                c => out.push(c),
            }
        }
    }
    None
}

/// A literal block scalar (`|`, `|-`, `|+`, with an optional indentation
/// indicator) whose header is `first`, for a key at column `indent`.
fn literal(first: &str, more: &[&str], indent: usize) -> Option<String> {
    let header = &first[1..];
    let (chomp, digits) = match header.strip_suffix('-') {
        Some(d) => ('-', d),
        None => match header.strip_suffix('+') {
            Some(d) => ('+', d),
            None => (' ', header),
        },
    };
    let body_indent = match digits {
        "" => more.iter().find(|l| !l.is_empty()).map(|l| indent_of(l))?,
        d if d.len() == 1 => indent + d.parse::<usize>().ok().filter(|n| *n > 0)?,
        _ => return None,
    };
    if body_indent <= indent {
        return None;
    }
    let mut out = String::new();
    for (k, line) in more.iter().enumerate() {
        if k > 0 {
            out.push('\n');
        }
        if line.len() < body_indent {
            if !line.trim_start_matches(' ').is_empty() {
                return None;
            }
        } else {
            if indent_of(&line[..body_indent]) != body_indent {
                return None;
            }
            out.push_str(&line[body_indent..]);
        }
    }
    // Trailing empty lines were left to the next node by the caller, so
    // `|+` (which keeps them) is not read here.
    match chomp {
        '-' => Some(out),
        ' ' if !more.is_empty() => Some(out + "\n"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::String(v.into())
    }

    #[test]
    fn reads_the_emitters_forms() {
        let text = "  - a: plain text\n    b: \"1.0\"\n    c: |-\n      one\n\n      two\n    d:\n    - x\n    - 'it''s'\n    e:\n      k: v\n    f: {}\n    g: 3\n    h: long words\n      folded here\n    i: \"esc\\t\\u00e9 \\\n      more\"\n  - b: true\n";
        let v = load_sequence(text, 2).unwrap();
        let Value::Seq(items) = v else { panic!() };
        assert_eq!(items.len(), 2);
        let Value::Map(m) = &items[0] else { panic!() };
        let get = |k: &str| m.iter().find(|e| e.0 == k).unwrap().1.clone();
        assert_eq!(get("a"), s("plain text"));
        assert_eq!(get("b"), s("1.0"));
        assert_eq!(get("c"), s("one\n\ntwo"));
        assert_eq!(get("d"), Value::Seq(vec![s("x"), s("it's")]));
        assert_eq!(get("e"), Value::Map(vec![("k".into(), s("v"))]));
        assert_eq!(get("f"), Value::Map(vec![]));
        assert_eq!(get("g"), Value::Int(3));
        assert_eq!(get("h"), s("long words folded here"));
        assert_eq!(get("i"), s("esc\t\u{e9} more"));
        assert_eq!(items[1], Value::Map(vec![("b".into(), Value::Bool(true))]));
    }

    #[test]
    fn deep_nesting_is_declined_not_followed() {
        let mut text = String::from("  - a:\n");
        for level in 0..10_000 {
            text.push_str(&" ".repeat(6 + 2 * level));
            text.push_str("a:\n");
        }
        text.push_str(&" ".repeat(6 + 2 * 10_000));
        text.push_str("a: 1\n");
        assert!(load_sequence(&text, 2).is_none());
    }

    #[test]
    fn declines_what_it_does_not_know() {
        for bad in [
            "  - a: &x 1\n",
            "  - a: [1, 2]\n",
            "  - \"q\": 1\n",
            "  - a: b # c\n",
            "  - a: >-\n      x\n",
            "  -   a: 1\n",
            "  - a: 1\n   b: 2\n",
        ] {
            assert!(load_sequence(bad, 2).is_none(), "{bad:?}");
        }
    }
}
