//! YAML 1.1 scalar resolution as gopkg.in/yaml.v2 v2.4.0 performs it.
//!
//! Ported from yaml.v2's resolve.go and the part of decode.go's `scalar()`
//! that applies to an `interface{}` target, with the pieces of Go's strconv
//! (`ParseInt`, `ParseUint`, `ParseFloat`) and time (`Parse`) that
//! resolution depends on (encoding/base64 is in [`crate::go::base64`]).
//! yaml.v2 is Copyright
//! 2011-2016 Canonical Ltd., Apache License 2.0; the Go standard library is
//! Copyright (c) 2009 The Go Authors, BSD-3-Clause licence.

use std::borrow::Cow;

const STR_TAG: &str = "tag:yaml.org,2002:str";
const BOOL_TAG: &str = "tag:yaml.org,2002:bool";
const INT_TAG: &str = "tag:yaml.org,2002:int";
const FLOAT_TAG: &str = "tag:yaml.org,2002:float";
const NULL_TAG: &str = "tag:yaml.org,2002:null";
const TIMESTAMP_TAG: &str = "tag:yaml.org,2002:timestamp";
const BINARY_TAG: &str = "tag:yaml.org,2002:binary";
/// The tag of the `<<` merge key.
pub(crate) const MERGE_TAG: &str = "tag:yaml.org,2002:merge";

/// What a scalar decodes to when the target is `interface{}`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Scalar {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    /// The scalar's own text, unchanged (strings, timestamps, unknown tags).
    Text,
    /// The decoded content of a `!!binary` scalar, which need not be UTF-8.
    Binary(Vec<u8>),
}

/// The tag resolution settled on, as resolve.go's `rtag` result.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Null,
    Bool,
    Int,
    Float,
    Str,
    Timestamp,
}

impl Kind {
    fn short_tag(self) -> &'static str {
        match self {
            Kind::Null => "!!null",
            Kind::Bool => "!!bool",
            Kind::Int => "!!int",
            Kind::Float => "!!float",
            Kind::Str => "!!str",
            Kind::Timestamp => "!!timestamp",
        }
    }
}

/// resolve.go's `resolveTable`: the first byte decides which forms are even
/// worth trying, so ordinary words never reach the number parsers.
fn hint(first: u8) -> u8 {
    match first {
        b'+' | b'-' => b'S',
        b'0'..=b'9' => b'D',
        b'y' | b'Y' | b'n' | b'N' | b't' | b'T' | b'f' | b'F' | b'o' | b'O' | b'~' => b'M',
        b'.' => b'.',
        _ => 0,
    }
}

/// resolve.go's `resolveMap`. The `<<` entry is unreachable there (`<` has no
/// hint), so it is left out: a plain `<<` value resolves to the string "<<".
fn lookup(s: &str) -> Option<(Kind, Scalar)> {
    Some(match s {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            (Kind::Bool, Scalar::Bool(true))
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            (Kind::Bool, Scalar::Bool(false))
        }
        "" | "~" | "null" | "Null" | "NULL" => (Kind::Null, Scalar::Null),
        ".nan" | ".NaN" | ".NAN" => (Kind::Float, Scalar::Float(f64::NAN)),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            (Kind::Float, Scalar::Float(f64::INFINITY))
        }
        "-.inf" | "-.Inf" | "-.INF" => (Kind::Float, Scalar::Float(f64::NEG_INFINITY)),
        _ => return None,
    })
}

/// Resolves an untagged plain scalar (resolve.go `resolve("", in)`).
///
/// Timestamps are not tried: yaml.v2 hands an implicitly resolved timestamp
/// to `interface{}` as its original text (decode.go `scalar()`), and text of
/// the `YYYY-` shape never parses as a number, so the result is the same.
pub(crate) fn resolve_plain(s: &str) -> Scalar {
    resolve_core(s, false).1
}

/// Resolves a scalar carrying the explicit tag `tag` (in long form), as
/// resolve.go `resolve(tag, in)` followed by decode.go `scalar()` into an
/// `interface{}`. Returns yaml.v2's failure text (without the "yaml: "
/// prefix) when the tag and the content disagree.
pub(crate) fn resolve_tagged(tag: &str, s: &str) -> Result<Scalar, String> {
    let want = match tag {
        STR_TAG => return Ok(Scalar::Text),
        BOOL_TAG => Kind::Bool,
        INT_TAG => Kind::Int,
        FLOAT_TAG => Kind::Float,
        NULL_TAG => Kind::Null,
        TIMESTAMP_TAG => Kind::Timestamp,
        BINARY_TAG => {
            return crate::go::base64::decode_std(s.as_bytes())
                .map(Scalar::Binary)
                .ok_or_else(|| "!!binary value contains invalid base64 data".to_string())
        }
        // Not resolvable: the text is kept whatever it looks like.
        _ => return Ok(Scalar::Text),
    };
    let (got, out) = resolve_core(s, want == Kind::Timestamp);
    if got == want {
        return Ok(if got == Kind::Timestamp {
            Scalar::Text
        } else {
            out
        });
    }
    // resolve.go's deferred check: an integer may be read as a !!float, but
    // only one that Go holds as int/int64, not uint64.
    if want == Kind::Float {
        if let Scalar::Int(i) = out {
            return Ok(Scalar::Float(i as f64));
        }
    }
    Err(format!(
        "cannot decode {} `{}` as a {}",
        got.short_tag(),
        s,
        want.short_tag()
    ))
}

/// Whether yaml.v2 `resolve("", s)` tags the plain scalar `s` `!!str`: the
/// question encode.go `stringv` asks before writing a string unquoted.
/// Unlike [`resolve_plain`], timestamps are tried, as resolve.go does for an
/// untagged scalar, so text that parses as one (tag `!!timestamp`) is not a
/// string here.
pub(crate) fn resolves_to_str(s: &str) -> bool {
    resolve_core(s, true).0 == Kind::Str
}

/// resolve.go `resolve` for an untagged scalar or one tagged with a type it
/// resolves (not `!!str` or `!!binary`); `try_timestamp` is its
/// `tag == "" || tag == yaml_TIMESTAMP_TAG` condition.
fn resolve_core(s: &str, try_timestamp: bool) -> (Kind, Scalar) {
    let h = match s.as_bytes().first() {
        None => b'N',
        Some(&c) => hint(c),
    };
    if h == 0 {
        return (Kind::Str, Scalar::Text);
    }
    if let Some(found) = lookup(s) {
        return found;
    }
    match h {
        b'.' => {
            if let Some(f) = parse_float(s) {
                return (Kind::Float, Scalar::Float(f));
            }
        }
        b'D' | b'S' => {
            if try_timestamp && parse_timestamp(s) {
                return (Kind::Timestamp, Scalar::Text);
            }
            let plain: Cow<'_, str> = if s.contains('_') {
                Cow::Owned(s.replace('_', ""))
            } else {
                Cow::Borrowed(s)
            };
            if let Some(r) = resolve_number(&plain) {
                return r;
            }
        }
        _ => {}
    }
    (Kind::Str, Scalar::Text)
}

/// The integer/float part of resolve.go for the 'D' and 'S' hints, applied to
/// the text with its underscores already removed.
fn resolve_number(plain: &str) -> Option<(Kind, Scalar)> {
    if let Some(i) = parse_int(plain, 0) {
        return Some((Kind::Int, Scalar::Int(i)));
    }
    if let Some(u) = parse_uint(plain, 0) {
        return Some((Kind::Int, Scalar::Uint(u)));
    }
    if yaml_style_float(plain) {
        if let Some(f) = parse_float(plain) {
            return Some((Kind::Float, Scalar::Float(f)));
        }
    }
    if let Some(digits) = plain.strip_prefix("0b") {
        if let Some(i) = parse_int(digits, 2) {
            return Some((Kind::Int, Scalar::Int(i)));
        }
        if let Some(u) = parse_uint(digits, 2) {
            return Some((Kind::Int, Scalar::Uint(u)));
        }
    } else if let Some(digits) = plain.strip_prefix("-0b") {
        if let Some(i) = parse_int(&format!("-{digits}"), 2) {
            return Some((Kind::Int, Scalar::Int(i)));
        }
    }
    None
}

/// resolve.go's `yamlStyleFloat`:
/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    if matches!(b.first(), Some(b'-' | b'+')) {
        i += 1;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Go `strconv.ParseUint(s, base, 64)` for base 0 (prefix-detected, where
/// a lone leading `0` means octal) or an explicit base of 2..=36.
fn parse_uint(s: &str, base: u32) -> Option<u64> {
    let b = s.as_bytes();
    if b.is_empty() {
        return None;
    }
    let base0 = base == 0;
    let (base, digits) = if base0 {
        if b[0] == b'0' {
            match b.get(1).map(u8::to_ascii_lowercase) {
                Some(b'b') if b.len() >= 3 => (2, &b[2..]),
                Some(b'o') if b.len() >= 3 => (8, &b[2..]),
                Some(b'x') if b.len() >= 3 => (16, &b[2..]),
                _ => (8, &b[1..]),
            }
        } else {
            (10, b)
        }
    } else {
        (base, b)
    };
    let mut underscores = false;
    let mut n: u64 = 0;
    for &c in digits {
        let d = match c {
            b'_' if base0 => {
                underscores = true;
                continue;
            }
            b'0'..=b'9' => u32::from(c - b'0'),
            _ if c.is_ascii_alphabetic() => u32::from(c.to_ascii_lowercase() - b'a') + 10,
            _ => return None,
        };
        if d >= base {
            return None;
        }
        n = n.checked_mul(u64::from(base))?.checked_add(u64::from(d))?;
    }
    if underscores && !underscore_ok(s) {
        return None;
    }
    Some(n)
}

/// Go `strconv.ParseInt(s, base, 64)`: an optional sign, then `parse_uint`.
fn parse_int(s: &str, base: u32) -> Option<i64> {
    let (neg, rest) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let un = parse_uint(rest, base)?;
    if neg {
        if un > 1 << 63 {
            return None;
        }
        Some((un as i64).wrapping_neg())
    } else {
        i64::try_from(un).ok()
    }
}

/// Go strconv's `underscoreOK`: underscores only between digits (a base
/// prefix counting as a digit).
fn underscore_ok(s: &str) -> bool {
    let mut b = s.as_bytes();
    if let Some((b'-' | b'+', rest)) = b.split_first() {
        b = rest;
    }
    let mut saw = b'^';
    let mut i = 0;
    let mut hex = false;
    if b.len() >= 2 && b[0] == b'0' && matches!(b[1].to_ascii_lowercase(), b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = b[1].eq_ignore_ascii_case(&b'x');
    }
    for &c in &b[i..] {
        if c.is_ascii_digit() || hex && c.is_ascii_hexdigit() {
            saw = b'0';
            continue;
        }
        if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
            continue;
        }
        if saw == b'_' {
            return false;
        }
        saw = b'!';
    }
    saw != b'_'
}

/// Go `strconv.ParseFloat(s, 64)` for the decimal forms resolve.go can hand
/// it (text starting with '.', or text matching `yamlStyleFloat`). Go reports
/// an overflow to infinity as an error, which resolve.go treats as "not a
/// float".
fn parse_float(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut underscores = false;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    // Hexadecimal mantissas and inf/nan words cannot reach here.
    if b.get(i) == Some(&b'0') && b.get(i + 1).map(u8::to_ascii_lowercase) == Some(b'x') {
        return None;
    }
    let mut saw_dot = false;
    let mut saw_digits = false;
    while let Some(&c) = b.get(i) {
        match c {
            b'_' => underscores = true,
            b'.' if !saw_dot => saw_dot = true,
            b'0'..=b'9' => saw_digits = true,
            _ => break,
        }
        i += 1;
    }
    if !saw_digits {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if !b.get(i).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        while let Some(&c) = b.get(i) {
            match c {
                b'_' => underscores = true,
                b'0'..=b'9' => {}
                _ => break,
            }
            i += 1;
        }
    }
    if i != b.len() {
        return None;
    }
    let f = if underscores {
        if !underscore_ok(s) {
            return None;
        }
        s.replace('_', "").parse::<f64>().ok()?
    } else {
        s.parse::<f64>().ok()?
    };
    f.is_finite().then_some(f)
}

/// resolve.go `parseTimestamp`: the quick `YYYY-` check, then Go's
/// `time.Parse` with each of yaml.v2's `allowedTimestampFormats`.
fn parse_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let i = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if i != 4 || b.get(i) != Some(&b'-') {
        return false;
    }
    [LAYOUT_T, LAYOUT_LOWER_T, LAYOUT_SPACE, LAYOUT_DATE]
        .iter()
        .any(|layout| go_time_parse_ok(layout, b))
}

/// One element of a Go time layout, as `nextStdChunk` splits the layouts of
/// resolve.go `allowedTimestampFormats`.
#[derive(Clone, Copy)]
enum Tok {
    Lit(&'static [u8]),
    LongYear,
    NumMonth,
    Day,
    Hour,
    Minute,
    Second,
    FracSecond9,
    Iso8601ColonTz,
}

/// "2006-1-2T15:4:5.999999999Z07:00"
const LAYOUT_T: &[Tok] = &[
    Tok::LongYear,
    Tok::Lit(b"-"),
    Tok::NumMonth,
    Tok::Lit(b"-"),
    Tok::Day,
    Tok::Lit(b"T"),
    Tok::Hour,
    Tok::Lit(b":"),
    Tok::Minute,
    Tok::Lit(b":"),
    Tok::Second,
    Tok::FracSecond9,
    Tok::Iso8601ColonTz,
];
/// "2006-1-2t15:4:5.999999999Z07:00"
const LAYOUT_LOWER_T: &[Tok] = &[
    Tok::LongYear,
    Tok::Lit(b"-"),
    Tok::NumMonth,
    Tok::Lit(b"-"),
    Tok::Day,
    Tok::Lit(b"t"),
    Tok::Hour,
    Tok::Lit(b":"),
    Tok::Minute,
    Tok::Lit(b":"),
    Tok::Second,
    Tok::FracSecond9,
    Tok::Iso8601ColonTz,
];
/// "2006-1-2 15:4:5.999999999"
const LAYOUT_SPACE: &[Tok] = &[
    Tok::LongYear,
    Tok::Lit(b"-"),
    Tok::NumMonth,
    Tok::Lit(b"-"),
    Tok::Day,
    Tok::Lit(b" "),
    Tok::Hour,
    Tok::Lit(b":"),
    Tok::Minute,
    Tok::Lit(b":"),
    Tok::Second,
    Tok::FracSecond9,
];
/// "2006-1-2"
const LAYOUT_DATE: &[Tok] = &[
    Tok::LongYear,
    Tok::Lit(b"-"),
    Tok::NumMonth,
    Tok::Lit(b"-"),
    Tok::Day,
];

/// Go `time.Parse(layout, value)` succeeding, for the layout elements above.
///
/// This follows current Go (Helm releases are built with Go 1.23 and later),
/// whose rules differ from Go 1.19's in two places: a fraction of any number
/// of digits is accepted (only the first nine count), where Go 1.19 stopped
/// after nine and then failed on the leftover digits; and each zone offset
/// field must be exactly two digits with hours <= 24 and minutes <= 60, where
/// Go 1.19 ran `atoi` on the two characters (so `+-1:00` passed) with no
/// range check.
fn go_time_parse_ok(layout: &[Tok], mut v: &[u8]) -> bool {
    let mut year: i64 = 0;
    let mut month: i64 = -1;
    let mut day: i64 = -1;
    for tok in layout {
        match *tok {
            Tok::Lit(prefix) => match go_time_skip(v, prefix) {
                Some(rest) => v = rest,
                None => return false,
            },
            Tok::LongYear => {
                if v.len() < 4 || !v.iter().take(4).all(u8::is_ascii_digit) {
                    return false;
                }
                year = v
                    .iter()
                    .take(4)
                    .fold(0, |acc, &c| acc * 10 + i64::from(c - b'0'));
                v = &v[4..];
            }
            Tok::NumMonth => match go_getnum(v) {
                Some((n, rest)) if (1..=12).contains(&n) => {
                    month = n;
                    v = rest;
                }
                _ => return false,
            },
            Tok::Day => match go_getnum(v) {
                // Any one or two digits here; the range is checked once
                // month and year are known.
                Some((n, rest)) => {
                    day = n;
                    v = rest;
                }
                None => return false,
            },
            Tok::Hour | Tok::Minute | Tok::Second => {
                let limit = if matches!(tok, Tok::Hour) { 24 } else { 60 };
                match go_getnum(v) {
                    Some((n, rest)) if n < limit => v = rest,
                    _ => return false,
                }
            }
            Tok::FracSecond9 => {
                // Optional: '.' or ',' and at least one digit, then every
                // digit that follows.
                if v.len() >= 2 && matches!(v[0], b'.' | b',') && v[1].is_ascii_digit() {
                    let n = 1 + v[1..].iter().take_while(|c| c.is_ascii_digit()).count();
                    v = &v[n..];
                }
            }
            Tok::Iso8601ColonTz => {
                if v.first() == Some(&b'Z') {
                    v = &v[1..];
                    continue;
                }
                if v.len() < 6 || v[3] != b':' {
                    return false;
                }
                let two = |a: u8, b: u8| {
                    (a.is_ascii_digit() && b.is_ascii_digit())
                        .then(|| i64::from(a - b'0') * 10 + i64::from(b - b'0'))
                };
                let (Some(hr), Some(mm)) = (two(v[1], v[2]), two(v[4], v[5])) else {
                    return false;
                };
                if hr > 24 || mm > 60 || !matches!(v[0], b'+' | b'-') {
                    return false;
                }
                v = &v[6..];
            }
        }
    }
    if !v.is_empty() {
        return false;
    }
    let month = if month < 0 { 1 } else { month };
    let day = if day < 0 { 1 } else { day };
    day >= 1 && day <= days_in(month, year)
}

/// Go time `getnum(s, false)`: one or two leading digits.
fn go_getnum(s: &[u8]) -> Option<(i64, &[u8])> {
    let d0 = *s.first().filter(|c| c.is_ascii_digit())?;
    match s.get(1).filter(|c| c.is_ascii_digit()) {
        Some(&d1) => Some((i64::from(d0 - b'0') * 10 + i64::from(d1 - b'0'), &s[2..])),
        None => Some((i64::from(d0 - b'0'), &s[1..])),
    }
}

/// Go time `skip`: layout text must match, except that a space in the
/// layout matches any run of spaces (including none at the end of input).
fn go_time_skip<'a>(mut value: &'a [u8], mut prefix: &[u8]) -> Option<&'a [u8]> {
    while let Some(&p) = prefix.first() {
        if p == b' ' {
            if value.first().is_some_and(|&c| c != b' ') {
                return None;
            }
            prefix = trim_spaces(prefix);
            value = trim_spaces(value);
            continue;
        }
        if value.first() != Some(&p) {
            return None;
        }
        prefix = &prefix[1..];
        value = &value[1..];
    }
    Some(value)
}

fn trim_spaces(s: &[u8]) -> &[u8] {
    let n = s.iter().take_while(|&&c| c == b' ').count();
    &s[n..]
}

/// Go time `daysIn`.
fn days_in(month: i64, year: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Turns `!!binary` bytes into text the way encoding/json does when
/// sigs.k8s.io/yaml marshals them: each byte that does not start a valid
/// UTF-8 sequence becomes U+FFFD.
pub(crate) fn binary_to_string(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => crate::go::json::lossy(e.as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_scalars_resolve_like_yaml_v2() {
        let cases: &[(&str, Scalar)] = &[
            ("", Scalar::Null),
            ("~", Scalar::Null),
            ("Yes", Scalar::Bool(true)),
            ("off", Scalar::Bool(false)),
            ("oN", Scalar::Text),
            ("0777", Scalar::Int(511)),
            ("0o17", Scalar::Int(15)),
            ("08", Scalar::Float(8.0)),
            ("0x_1F", Scalar::Int(31)),
            ("-0b101", Scalar::Int(-5)),
            ("1__0", Scalar::Int(10)),
            ("_1", Scalar::Text),
            (
                "9223372036854775808",
                Scalar::Uint(9_223_372_036_854_775_808),
            ),
            (
                "-9223372036854775809",
                Scalar::Float(-9_223_372_036_854_775_809.0),
            ),
            (
                "18446744073709551616",
                Scalar::Float(18_446_744_073_709_551_616.0),
            ),
            ("0x10000000000000000", Scalar::Text),
            (".5_5", Scalar::Float(0.55)),
            ("._5", Scalar::Text),
            ("1e400", Scalar::Text),
            ("1e-400", Scalar::Float(0.0)),
            ("-.Inf", Scalar::Float(f64::NEG_INFINITY)),
            (".iNf", Scalar::Text),
            ("1:30", Scalar::Text),
            ("2001-12-14", Scalar::Text),
            ("<<", Scalar::Text),
        ];
        for (text, want) in cases {
            assert_eq!(&resolve_plain(text), want, "{text}");
        }
        assert!(matches!(resolve_plain(".nan"), Scalar::Float(f) if f.is_nan()));
    }

    #[test]
    fn explicit_tags_check_the_content() {
        assert_eq!(resolve_tagged(INT_TAG, "12"), Ok(Scalar::Int(12)));
        assert_eq!(resolve_tagged(FLOAT_TAG, "1"), Ok(Scalar::Float(1.0)));
        assert_eq!(
            resolve_tagged(FLOAT_TAG, "18446744073709551615"),
            Err("cannot decode !!int `18446744073709551615` as a !!float".into())
        );
        assert_eq!(
            resolve_tagged(INT_TAG, "abc"),
            Err("cannot decode !!str `abc` as a !!int".into())
        );
        assert_eq!(
            resolve_tagged(INT_TAG, ""),
            Err("cannot decode !!null `` as a !!int".into())
        );
        assert_eq!(resolve_tagged(STR_TAG, "true"), Ok(Scalar::Text));
        assert_eq!(resolve_tagged("!foo", "12"), Ok(Scalar::Text));
        assert_eq!(
            resolve_tagged(TIMESTAMP_TAG, "2001-12-14"),
            Ok(Scalar::Text)
        );
        assert!(resolve_tagged(TIMESTAMP_TAG, "123").is_err());
        // Helm 3.17 and 4.1 (current Go time.Parse) on values.yaml.
        assert_eq!(
            resolve_tagged(TIMESTAMP_TAG, "2001-12-14T21:59:43.1234567890Z"),
            Ok(Scalar::Text)
        );
        assert_eq!(
            resolve_tagged(TIMESTAMP_TAG, "2001-12-14T21:59:43+25:00"),
            Err("cannot decode !!str `2001-12-14T21:59:43+25:00` as a !!timestamp".into())
        );
        assert_eq!(
            resolve_tagged(BINARY_TAG, "aGVs\nbG8="),
            Ok(Scalar::Binary(b"hello".to_vec()))
        );
        assert!(resolve_tagged(BINARY_TAG, "aGVsbG8").is_err());
    }

    #[test]
    fn timestamps_follow_go_time_parse() {
        for ok in [
            "2001-12-14",
            "2001-1-2",
            "2000-02-29",
            "2001-12-14t21:59:43.10-05:00",
            "2001-12-14T21:59:43.123456789Z",
            "2001-12-14 21:59:43.10",
            "2001-12-14  21:59:43",
            // Current Go: more than nine fraction digits, and offsets up to
            // 24 hours / 60 minutes.
            "2001-12-14T21:59:43.1234567890Z",
            "2001-12-14 21:59:43,123456789012",
            "2001-12-14T21:59:43+24:00",
            "2001-12-14T21:59:43-01:60",
        ] {
            assert!(parse_timestamp(ok), "{ok}");
        }
        for bad in [
            "2001-02-29",
            "1900-02-29",
            "2001-13-01",
            "2001-12-00",
            "2001-12-14T24:00:00Z",
            "2001-12-14T21:60:00Z",
            "2001-12-14T21:59:43+0100",
            "2001-12-14T21:59:43+25:00",
            "2001-12-14T21:59:43+01:61",
            "2001-12-14T21:59:43+-1:00",
            "2001-12-14T21:59:43.Z",
            "2001-12-14 21:59:43.10 -5",
            "2001-12-14 ",
            "20011-01-01",
        ] {
            assert!(!parse_timestamp(bad), "{bad}");
        }
    }

    #[test]
    fn str_tag_means_no_other_resolution() {
        for text in [
            "abc",
            "oN",
            "<<",
            "_1",
            "._5",
            "1e400",
            "0x10000000000000000",
            "1:30",
            "1.2.3",
            "2001-12-14 ",
            "20011-01-01",
            "-",
            "+",
            ".",
            "0b",
            "é",
        ] {
            assert!(resolves_to_str(text), "{text}");
        }
        for text in [
            "",
            "~",
            "Null",
            "Yes",
            "off",
            ".NaN",
            "-.inf",
            "0",
            "0777",
            "0o17",
            "08",
            "0x_1F",
            "0b-1",
            "-0b101",
            "1__0",
            "1_0.5",
            ".5",
            "1e-400",
            "18446744073709551616",
            "2001-12-14",
            "2001-12-14t21:59:43.10-05:00",
        ] {
            assert!(!resolves_to_str(text), "{text}");
        }
    }

    #[test]
    fn binary_text_replaces_each_invalid_byte() {
        assert_eq!(
            binary_to_string(vec![0xff, 0xfe, b'a']),
            "\u{fffd}\u{fffd}a"
        );
        assert_eq!(
            binary_to_string(vec![0xe2, 0x82, b'A']),
            "\u{fffd}\u{fffd}A"
        );
        assert_eq!(binary_to_string("é".as_bytes().to_vec()), "é");
    }
}
