//! Semantic version parsing and ordering, ported from Masterminds/semver v3.3.0
//! (`version.go`: `NewVersion`, `Compare`, `comparePrerelease`, `comparePrePart`,
//! `validatePrerelease`, `validateMetadata`).
//!
//! Original: Copyright (C) 2014-2019, Matt Butcher and Matt Farina; MIT licence.
//!
//! Helm parses every chart version with the lenient `NewVersion` and orders them
//! with `Compare`, so both must behave exactly like the Go code, including which
//! strings are rejected and which error is reported first.

use std::cmp::Ordering;

/// A parsed version, equivalent to Masterminds' `Version` minus the original text.
///
/// Equality is structural (metadata included); version precedence is
/// [`Version::compare`], which ignores metadata like Go's `Compare` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    pre: String,
    metadata: String,
}

/// Parse errors, with the messages Go's semver package produces.
///
/// `ErrInvalidPrerelease` and `ErrInvalidMetadata` have no counterpart: after
/// `NewVersion`'s regular expression matched, `validatePrerelease` can only fail
/// on leading zeros and `validateMetadata` cannot fail at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// `ErrInvalidSemVer`: the string does not match `NewVersion`'s regexp.
    #[error("Invalid Semantic Version")]
    InvalidSemVer,
    /// `ErrSegmentStartsZero`: a numeric prerelease identifier has a leading zero.
    #[error("Version segment starts with 0")]
    SegmentStartsZero,
    /// Major, minor or patch does not fit in a `uint64`; Go wraps the
    /// `strconv.ParseUint` error, which quotes the offending digits.
    #[error(
        "Error parsing version segment: strconv.ParseUint: parsing \"{0}\": value out of range"
    )]
    SegmentOutOfRange(String),
}

impl Version {
    /// Equivalent of `semver.NewVersion`.
    ///
    /// Go matches `^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?$`.
    /// That expression is unambiguous (a digit run always ends at `.`, `-`, `+`
    /// or the end; the prerelease cannot contain `+`), so a single left-to-right
    /// scan accepts exactly the same strings and yields the same groups. Only
    /// ASCII digits count as digits, as in the regexp classes. Errors are
    /// checked in Go's order: syntax, then major/minor/patch overflow, then the
    /// prerelease leading-zero rule.
    pub fn parse(s: &str) -> Result<Version, Error> {
        let b = s.as_bytes();
        let mut i = usize::from(b.first() == Some(&b'v'));

        let major_digits = digit_run(b, &mut i).ok_or(Error::InvalidSemVer)?;
        let mut minor_digits = None;
        let mut patch_digits = None;
        if b.get(i) == Some(&b'.') {
            i += 1;
            minor_digits = Some(digit_run(b, &mut i).ok_or(Error::InvalidSemVer)?);
            if b.get(i) == Some(&b'.') {
                i += 1;
                patch_digits = Some(digit_run(b, &mut i).ok_or(Error::InvalidSemVer)?);
            }
        }

        let mut pre = "";
        if b.get(i) == Some(&b'-') {
            let start = i + 1;
            let end = b
                .iter()
                .skip(start)
                .position(|&c| c == b'+')
                .map_or(b.len(), |p| start + p);
            pre = s.get(start..end).ok_or(Error::InvalidSemVer)?;
            if !valid_identifiers(pre) {
                return Err(Error::InvalidSemVer);
            }
            i = end;
        }

        let mut metadata = "";
        if b.get(i) == Some(&b'+') {
            metadata = s.get(i + 1..).ok_or(Error::InvalidSemVer)?;
            if !valid_identifiers(metadata) {
                return Err(Error::InvalidSemVer);
            }
            i = b.len();
        }

        if i != b.len() {
            return Err(Error::InvalidSemVer);
        }

        let major = parse_segment(major_digits)?;
        let minor = minor_digits.map_or(Ok(0), parse_segment)?;
        let patch = patch_digits.map_or(Ok(0), parse_segment)?;

        // validatePrerelease: numeric identifiers must not have leading zeros.
        // Its "invalid characters" branch is unreachable after the scan above.
        if pre
            .split('.')
            .any(|p| p.len() > 1 && p.starts_with('0') && p.bytes().all(|c| c.is_ascii_digit()))
        {
            return Err(Error::SegmentStartsZero);
        }

        Ok(Version {
            major,
            minor,
            patch,
            pre: pre.to_owned(),
            metadata: metadata.to_owned(),
        })
    }

    /// Equivalent of `(*Version).Compare`: major, minor, patch numerically; a
    /// version without prerelease ranks above one with; then `comparePrerelease`.
    /// Build metadata is ignored, so distinct versions can compare equal.
    pub fn compare(&self, other: &Version) -> Ordering {
        self.major
            .cmp(&other.major)
            .then(self.minor.cmp(&other.minor))
            .then(self.patch.cmp(&other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => compare_prerelease(&self.pre, &other.pre),
            })
    }

    /// The prerelease without its leading `-` (empty if none).
    pub fn prerelease(&self) -> &str {
        &self.pre
    }
}

/// Consumes `[0-9]+` at `*i`, returning the digits (ASCII, hence valid UTF-8).
fn digit_run<'a>(b: &'a [u8], i: &mut usize) -> Option<&'a [u8]> {
    let start = *i;
    let len = b
        .iter()
        .skip(start)
        .take_while(|c| c.is_ascii_digit())
        .count();
    if len == 0 {
        return None;
    }
    *i = start + len;
    b.get(start..start + len)
}

/// `[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*`
fn valid_identifiers(s: &str) -> bool {
    s.split('.')
        .all(|p| !p.is_empty() && p.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'))
}

/// `strconv.ParseUint(digits, 10, 64)` for a non-empty ASCII digit run: the
/// only possible failure is overflow (leading zeros are fine).
fn parse_segment(digits: &[u8]) -> Result<u64, Error> {
    parse_uint(digits)
        .ok_or_else(|| Error::SegmentOutOfRange(digits.iter().map(|&c| char::from(c)).collect()))
}

/// `strconv.ParseUint(s, 10, 64)` success value: non-empty, ASCII digits only
/// (no sign, no underscores), fits in 64 bits.
fn parse_uint(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    s.iter().try_fold(0u64, |acc, &c| {
        if !c.is_ascii_digit() {
            return None;
        }
        acc.checked_mul(10)?.checked_add(u64::from(c - b'0'))
    })
}

/// `comparePrerelease`: identifier by identifier, a missing identifier being
/// the empty string (so the shorter list ranks lower).
fn compare_prerelease(v: &str, o: &str) -> Ordering {
    let mut sparts = v.split('.');
    let mut oparts = o.split('.');
    loop {
        match (sparts.next(), oparts.next()) {
            (None, None) => return Ordering::Equal,
            (s, o) => {
                let d = compare_pre_part(s.unwrap_or(""), o.unwrap_or(""));
                if d != Ordering::Equal {
                    return d;
                }
            }
        }
    }
}

/// `comparePrePart`. An identifier counts as numeric only if `ParseUint`
/// accepts it, so digit strings above `u64::MAX` compare as alphanumerics.
/// Two different numeric identifiers with the same value (impossible after
/// parsing) yield `Less`, as in Go.
fn compare_pre_part(s: &str, o: &str) -> Ordering {
    if s == o {
        return Ordering::Equal;
    }
    if s.is_empty() {
        return Ordering::Less;
    }
    if o.is_empty() {
        return Ordering::Greater;
    }
    match (parse_uint(s.as_bytes()), parse_uint(o.as_bytes())) {
        (None, None) => {
            if s.as_bytes() > o.as_bytes() {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (Some(si), Some(oi)) => {
            if si > oi {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering::{Equal, Greater, Less};

    type Parsed = (u64, u64, u64, &'static str, &'static str);

    /// Expected results recorded from Masterminds/semver v3.3.0 `NewVersion`.
    const PARSE_CASES: &[(&str, Result<Parsed, &str>)] = &[
        ("", Err("Invalid Semantic Version")),
        ("v", Err("Invalid Semantic Version")),
        ("1", Ok((1, 0, 0, "", ""))),
        ("v1", Ok((1, 0, 0, "", ""))),
        ("V1", Err("Invalid Semantic Version")),
        ("vv1", Err("Invalid Semantic Version")),
        ("1.2", Ok((1, 2, 0, "", ""))),
        ("v1.2", Ok((1, 2, 0, "", ""))),
        ("1.2.3", Ok((1, 2, 3, "", ""))),
        ("1.2.3.4", Err("Invalid Semantic Version")),
        ("1.", Err("Invalid Semantic Version")),
        ("1..2", Err("Invalid Semantic Version")),
        (".1", Err("Invalid Semantic Version")),
        ("1.2.", Err("Invalid Semantic Version")),
        ("007.010.0001", Ok((7, 10, 1, "", ""))),
        ("1.2.3-", Err("Invalid Semantic Version")),
        ("1.2.3+", Err("Invalid Semantic Version")),
        ("1.2.3-+", Err("Invalid Semantic Version")),
        ("1.2.3--", Ok((1, 2, 3, "-", ""))),
        ("1.2.3---a", Ok((1, 2, 3, "--a", ""))),
        ("1.2.3-a..b", Err("Invalid Semantic Version")),
        ("1.2.3-.a", Err("Invalid Semantic Version")),
        ("1.2.3-a.", Err("Invalid Semantic Version")),
        ("1.2.3+a..b", Err("Invalid Semantic Version")),
        ("1.2.3-a+b+c", Err("Invalid Semantic Version")),
        ("1.2.3+a-b.c-d", Ok((1, 2, 3, "", "a-b.c-d"))),
        ("1.2.3-a-b.c-d+e.f", Ok((1, 2, 3, "a-b.c-d", "e.f"))),
        ("1-2", Ok((1, 0, 0, "2", ""))),
        ("1+2", Ok((1, 0, 0, "", "2"))),
        ("1.2-3.4", Ok((1, 2, 0, "3.4", ""))),
        ("1.2+3.4", Ok((1, 2, 0, "", "3.4"))),
        ("1.0.0-x-y", Ok((1, 0, 0, "x-y", ""))),
        ("1.0.0-01a", Ok((1, 0, 0, "01a", ""))),
        ("1.0.0-01", Err("Version segment starts with 0")),
        ("1.0.0-1.01", Err("Version segment starts with 0")),
        ("1.0.0-0", Ok((1, 0, 0, "0", ""))),
        ("1.0.0-00", Err("Version segment starts with 0")),
        ("1.0.0-0.0.0", Ok((1, 0, 0, "0.0.0", ""))),
        ("1.0.0+01", Ok((1, 0, 0, "", "01"))),
        ("1.0.0+00.0", Ok((1, 0, 0, "", "00.0"))),
        ("1.0.0-rc.1+build.01", Ok((1, 0, 0, "rc.1", "build.01"))),
        ("18446744073709551615.18446744073709551615.18446744073709551615", Ok((18446744073709551615, 18446744073709551615, 18446744073709551615, "", ""))),
        ("18446744073709551616.0.0", Err("Error parsing version segment: strconv.ParseUint: parsing \"18446744073709551616\": value out of range")),
        ("1.18446744073709551616.0", Err("Error parsing version segment: strconv.ParseUint: parsing \"18446744073709551616\": value out of range")),
        ("1.2.18446744073709551616", Err("Error parsing version segment: strconv.ParseUint: parsing \"18446744073709551616\": value out of range")),
        ("00000000000000000000018446744073709551615", Ok((18446744073709551615, 0, 0, "", ""))),
        ("99999999999999999999.99999999999999999999.x", Err("Invalid Semantic Version")),
        ("99999999999999999999.1.1-01", Err("Error parsing version segment: strconv.ParseUint: parsing \"99999999999999999999\": value out of range")),
        ("1.0.0-18446744073709551616", Ok((1, 0, 0, "18446744073709551616", ""))),
        ("1.0.0-01.99999999999999999999", Err("Version segment starts with 0")),
        (" 1.0.0", Err("Invalid Semantic Version")),
        ("1.0.0 ", Err("Invalid Semantic Version")),
        ("١.٢.٣", Err("Invalid Semantic Version")),
        ("1.0.0-é", Err("Invalid Semantic Version")),
        ("1.0.0+é", Err("Invalid Semantic Version")),
        ("1.0.0-a_b", Err("Invalid Semantic Version")),
        ("1.0.0-a b", Err("Invalid Semantic Version")),
        ("1.0.0-ab!", Err("Invalid Semantic Version")),
        ("1.2.3-v1", Ok((1, 2, 3, "v1", ""))),
        ("v1.2.3-beta.1+sha.abc123", Ok((1, 2, 3, "beta.1", "sha.abc123"))),
        ("1.2.3.-1", Err("Invalid Semantic Version")),
        ("-1.2.3", Err("Invalid Semantic Version")),
        ("+1.2.3", Err("Invalid Semantic Version")),
        ("1.2.3+", Err("Invalid Semantic Version")),
        ("1.0.0+-", Ok((1, 0, 0, "", "-"))),
        ("1.0.0+--.-", Ok((1, 0, 0, "", "--.-"))),
        ("1.2.3-0a.00a.a00", Ok((1, 2, 3, "0a.00a.a00", ""))),
    ];

    #[test]
    fn parse_matches_go() {
        for (input, expected) in PARSE_CASES {
            let got = Version::parse(input)
                .map(|v| {
                    (
                        v.major,
                        v.minor,
                        v.patch,
                        v.prerelease().to_owned(),
                        v.metadata.clone(),
                    )
                })
                .map_err(|e| e.to_string());
            let want = expected
                .map(|(a, b, c, p, m)| (a, b, c, p.to_owned(), m.to_owned()))
                .map_err(str::to_owned);
            assert_eq!(got, want, "input {input:?}");
        }
    }

    #[test]
    fn error_variants() {
        assert_eq!(Version::parse("x"), Err(Error::InvalidSemVer));
        assert_eq!(Version::parse("1.0.0-01"), Err(Error::SegmentStartsZero));
        assert_eq!(
            Version::parse("1.99999999999999999999"),
            Err(Error::SegmentOutOfRange("99999999999999999999".to_owned()))
        );
        // Syntax is checked before overflow, overflow before leading zeros.
        assert_eq!(
            Version::parse("99999999999999999999.x"),
            Err(Error::InvalidSemVer)
        );
    }

    /// Expected results recorded from Go's `(*Version).Compare`.
    const COMPARE_CASES: &[(&str, &str, Ordering)] = &[
        ("1.0.0", "1.0.0", Equal),
        ("1.0.0", "v1", Equal),
        ("1.0", "1.0.0+meta", Equal),
        ("1.0.0+a", "1.0.0+b", Equal),
        ("1.0.0", "1.0.1", Less),
        ("1.10.0", "1.9.0", Greater),
        ("2.0.0", "10.0.0", Less),
        ("007.1.0", "7.1.0", Equal),
        ("1.0.0-alpha", "1.0.0", Less),
        ("1.0.0", "1.0.0-alpha", Greater),
        ("1.0.0-alpha", "1.0.0-alpha.1", Less),
        ("1.0.0-alpha.1", "1.0.0-alpha.beta", Less),
        ("1.0.0-alpha.beta", "1.0.0-beta", Less),
        ("1.0.0-beta", "1.0.0-beta.2", Less),
        ("1.0.0-beta.2", "1.0.0-beta.11", Less),
        ("1.0.0-beta.11", "1.0.0-rc.1", Less),
        ("1.0.0-rc.1", "1.0.0", Less),
        ("1.0.0-rc.2", "1.0.0-rc.10", Less),
        ("1.0.0-1", "1.0.0-01a", Less),
        ("1.0.0-01a", "1.0.0-X", Less),
        ("1.0.0-X", "1.0.0-alpha", Less),
        ("1.0.0-x-y", "1.0.0-rc.10", Greater),
        ("1.0.0-2", "1.0.0-10", Less),
        ("1.0.0-10", "1.0.0-a", Less),
        ("1.0.0-a", "1.0.0-10", Greater),
        (
            "1.0.0-18446744073709551615",
            "1.0.0-18446744073709551616",
            Less,
        ),
        ("1.0.0-18446744073709551616", "1.0.0-a", Less),
        ("1.0.0-18446744073709551616", "1.0.0-9", Greater),
        (
            "1.0.0-99999999999999999999",
            "1.0.0-18446744073709551616",
            Greater,
        ),
        ("1.0.0--", "1.0.0-0", Greater),
        ("1.0.0--", "1.0.0-A", Less),
        ("1.0.0-a.b.c", "1.0.0-a.b", Greater),
        ("1.0.0-a.1", "1.0.0-a.b", Less),
        ("1.0.0-rc.1+x", "1.0.0-rc.1+y", Equal),
        ("1.0.0-0.3", "1.0.0-0.3.0", Less),
        (
            "18446744073709551615.0.0",
            "18446744073709551614.99.99",
            Greater,
        ),
        ("1.2.3-beta", "1.2.3-Beta", Greater),
        ("0.0.0-0", "0.0.0", Less),
    ];

    #[test]
    fn compare_matches_go() {
        for (a, b, want) in COMPARE_CASES {
            let (Ok(va), Ok(vb)) = (Version::parse(a), Version::parse(b)) else {
                panic!("unparsable case {a:?} {b:?}");
            };
            assert_eq!(va.compare(&vb), *want, "{a} vs {b}");
            assert_eq!(vb.compare(&va), want.reverse(), "{b} vs {a}");
        }
    }

    /// Descending order written by `helm repo index` for these versions.
    #[test]
    fn helm_observed_descending_order() {
        let order = [
            "007.1.0",
            "3",
            "2.1",
            "v2.0.0",
            "1.0.0",
            "1.0.0-x-y",
            "1.0.0-rc.10",
            "1.0.0-rc.2",
            "1.0.0-rc.1",
            "1.0.0-beta.11",
            "1.0.0-beta.2",
            "1.0.0-beta",
            "1.0.0-alpha.beta",
            "1.0.0-alpha.1",
            "1.0.0-alpha",
            "1.0.0-X",
            "1.0.0-01a",
            "1.0.0-1",
            "0.10.0",
            "0.9.0",
        ];
        let parsed: Vec<Version> = order
            .iter()
            .filter_map(|s| Version::parse(s).ok())
            .collect();
        assert_eq!(parsed.len(), order.len());
        for pair in parsed.windows(2) {
            if let [a, b] = pair {
                assert_eq!(a.compare(b), Greater, "{a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn metadata_is_kept_but_ignored_by_compare() {
        let (Ok(a), Ok(b)) = (Version::parse("1.0.0+a"), Version::parse("1.0.0+b")) else {
            panic!("unparsable");
        };
        assert_eq!(a.metadata, "a");
        assert_ne!(a, b);
        assert_eq!(a.compare(&b), Equal);
        assert_eq!(compare_pre_part("1", "01"), Less);
    }
}
