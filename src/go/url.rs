//! URL joining exactly as Helm does it (`internal/urlutil`, Go `net/url`).
//!
//! Index entries carry `urls` built by `urlutil.URLJoin(--url, subdir, file)`,
//! i.e. Go's `url.Parse`, `path.Join` on the decoded path and `URL.String()`
//! re-escaping it. Byte-identical indexes need the same parse rules (what is a
//! scheme, an opaque URL, an authority), the same path cleaning and the same
//! escaping (`+` kept, space as `%20`, `%2F` decoded away), so this is a small
//! faithful port rather than a general URL library.

/// The parts of a Go `url.URL` that URL joining touches.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct GoUrl {
    scheme: String,
    opaque: String,
    /// `//` authority as written (userinfo and host), when present.
    authority: Option<String>,
    omit_host: bool,
    /// The decoded path: bytes, as a Go string is.
    path: Vec<u8>,
    raw_query: String,
    force_query: bool,
    /// The fragment as written after `#` (already validated).
    raw_fragment: Option<String>,
}

/// Go's `url.Parse` failed; Helm then falls back to `path.Join`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError;

fn parse(raw: &str) -> Result<GoUrl, ParseError> {
    let (rest, frag) = match raw.split_once('#') {
        Some((u, f)) => (u, Some(f)),
        None => (raw, None),
    };
    if rest.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Err(ParseError);
    }
    let mut u = GoUrl::default();
    if rest == "*" {
        u.path = b"*".to_vec();
    } else {
        let (scheme, mut rest) = get_scheme(rest)?;
        u.scheme = scheme.to_ascii_lowercase();
        if rest.ends_with('?') && rest.matches('?').count() == 1 {
            u.force_query = true;
            rest = &rest[..rest.len() - 1];
        } else if let Some((r, q)) = rest.split_once('?') {
            u.raw_query = q.to_string();
            rest = r;
        }
        if !rest.starts_with('/') {
            if !u.scheme.is_empty() {
                u.opaque = rest.to_string();
                return finish_fragment(u, frag);
            }
            let segment = rest.split('/').next().unwrap_or("");
            if segment.contains(':') {
                return Err(ParseError);
            }
        }
        if (!u.scheme.is_empty() || !rest.starts_with("///")) && rest.starts_with("//") {
            let after = &rest[2..];
            let (authority, path) = match after.find('/') {
                Some(i) => (&after[..i], &after[i..]),
                None => (after, ""),
            };
            check_authority(authority)?;
            u.authority = Some(authority.to_string());
            rest = path;
        } else if !u.scheme.is_empty() && rest.starts_with('/') {
            u.omit_host = true;
        }
        u.path = unescape(rest)?;
    }
    finish_fragment(u, frag)
}

fn finish_fragment(mut u: GoUrl, frag: Option<&str>) -> Result<GoUrl, ParseError> {
    if let Some(f) = frag {
        unescape(f)?;
        if !f.is_empty() {
            u.raw_fragment = Some(f.to_string());
        }
    }
    Ok(u)
}

fn get_scheme(raw: &str) -> Result<(&str, &str), ParseError> {
    for (i, c) in raw.bytes().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' => {
                if i == 0 {
                    return Ok(("", raw));
                }
            }
            b':' => {
                if i == 0 {
                    return Err(ParseError);
                }
                return Ok((&raw[..i], &raw[i + 1..]));
            }
            _ => return Ok(("", raw)),
        }
    }
    Ok(("", raw))
}

/// Go's `parseAuthority` checks: valid userinfo characters, a numeric port,
/// well-formed escapes.
fn check_authority(authority: &str) -> Result<(), ParseError> {
    let (userinfo, host) = match authority.rfind('@') {
        Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
        None => (None, authority),
    };
    if let Some(host) = host.strip_prefix('[') {
        let end = host.rfind(']').ok_or(ParseError)?;
        valid_optional_port(&host[end + 1..])?;
    } else if let Some(i) = host.rfind(':') {
        valid_optional_port(&host[i..])?;
    }
    unescape(host)?;
    if let Some(ui) = userinfo {
        let ok = ui
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._:~!$&'()*+,;=%@".contains(c));
        if !ok {
            return Err(ParseError);
        }
        unescape(ui)?;
    }
    Ok(())
}

fn valid_optional_port(port: &str) -> Result<(), ParseError> {
    match port.strip_prefix(':') {
        None if port.is_empty() => Ok(()),
        None => Err(ParseError),
        Some(p) if p.bytes().all(|b| b.is_ascii_digit()) => Ok(()),
        Some(_) => Err(ParseError),
    }
}

/// Go's `unescape` in path mode: `%XX` decoded, a malformed escape is an error.
fn unescape(s: &str) -> Result<Vec<u8>, ParseError> {
    decode(s, true).ok_or(ParseError)
}

/// Decodes `%XX` escapes, keeping a malformed escape as it is written: for
/// matching URL paths to files, where nothing is to be refused. The result
/// is bytes: `%E9` is the byte a Latin-1 file name holds.
pub fn percent_decode(s: &str) -> Vec<u8> {
    decode(s, false).unwrap_or_else(|| s.as_bytes().to_vec())
}

/// `%XX` decoding; a malformed escape is `None` when `strict`, kept as text
/// otherwise.
fn decode(s: &str, strict: bool) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    if !s.contains('%') {
        return Some(b.to_vec());
    }
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: Option<&u8>| c.and_then(|c| (*c as char).to_digit(16));
        match (b[i], hex(b.get(i + 1)), hex(b.get(i + 2))) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b'%', _, _) if strict => return None,
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    Some(out)
}

/// Go's `escape(s, encodePath)`, byte by byte (a byte of invalid UTF-8 is
/// escaped like any other).
fn escape_path(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    for &c in s {
        let keep = c.is_ascii_alphanumeric() || b"-_.~$&+,/:;=@".contains(&c);
        if keep {
            out.push(c as char);
        } else {
            out.push_str(&format!("%{c:02X}"));
        }
    }
    out
}

impl GoUrl {
    /// Go's `URL.String()`.
    fn to_go_string(&self) -> String {
        let mut buf = String::new();
        if !self.scheme.is_empty() {
            buf.push_str(&self.scheme);
            buf.push(':');
        }
        if !self.opaque.is_empty() {
            buf.push_str(&self.opaque);
        } else {
            let host = self.authority.as_deref().unwrap_or("");
            if !self.scheme.is_empty() || self.authority.is_some() {
                let omit = self.omit_host && host.is_empty();
                if !omit && (!host.is_empty() || !self.path.is_empty()) {
                    buf.push_str("//");
                }
                buf.push_str(host);
            }
            let path = if self.path == b"*" {
                "*".to_string()
            } else {
                escape_path(&self.path)
            };
            if !path.is_empty() && !path.starts_with('/') && !host.is_empty() {
                buf.push('/');
            }
            if buf.is_empty() && path.split('/').next().unwrap_or("").contains(':') {
                buf.push_str("./");
            }
            buf.push_str(&path);
        }
        if self.force_query || !self.raw_query.is_empty() {
            buf.push('?');
            buf.push_str(&self.raw_query);
        }
        if let Some(f) = &self.raw_fragment {
            buf.push('#');
            buf.push_str(f);
        }
        buf
    }
}

/// Go's `path.Clean`.
pub fn clean(p: &str) -> String {
    // Only ASCII '/' and '.' are removed, so UTF-8 stays UTF-8.
    String::from_utf8(clean_bytes(p.as_bytes())).unwrap_or_default()
}

/// Go's `path.Clean` on a Go string, which is bytes.
pub fn clean_bytes(p: &[u8]) -> Vec<u8> {
    if p.is_empty() {
        return b".".to_vec();
    }
    let rooted = p.starts_with(b"/");
    let mut parts: Vec<&[u8]> = Vec::new();
    for seg in p.split(|c| *c == b'/') {
        match seg {
            b"" | b"." => {}
            b".." => {
                if parts.last().is_some_and(|l| *l != b"..") {
                    parts.pop();
                } else if !rooted {
                    parts.push(b"..");
                }
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join(&b'/');
    match (rooted, joined.is_empty()) {
        (true, _) => [&b"/"[..], &joined].concat(),
        (false, true) => b".".to_vec(),
        (false, false) => joined,
    }
}

/// Go's `path.Join`: empty elements are ignored; all empty gives "".
pub fn path_join(elems: &[&[u8]]) -> Vec<u8> {
    let non_empty: Vec<&[u8]> = elems.iter().copied().filter(|e| !e.is_empty()).collect();
    if non_empty.is_empty() {
        return Vec::new();
    }
    clean_bytes(&non_empty.join(&b'/'))
}

/// Helm's `urlutil.URLJoin(base, paths...)`. The paths are bytes (file
/// names need not be UTF-8); the result is escaped, so ASCII.
pub fn url_join(base: &str, paths: &[&[u8]]) -> Result<String, ParseError> {
    let mut u = parse(base)?;
    let mut all = vec![u.path.as_slice()];
    all.extend_from_slice(paths);
    u.path = path_join(&all);
    Ok(u.to_go_string())
}

/// `URLJoin`, falling back to `path.Join` when the base does not parse, as
/// `repo.IndexDirectory` and `IndexFile.MustAdd` do. A base that is not
/// UTF-8 (only a fallback's own result can be) is taken as unparsable.
pub fn url_join_or_path(base: &[u8], p: &[u8]) -> Vec<u8> {
    std::str::from_utf8(base)
        .ok()
        .and_then(|b| url_join(b, &[p]).ok())
        .map(String::into_bytes)
        .unwrap_or_else(|| path_join(&[base, p]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_like_helm() {
        let cases = [
            ("", "x.tgz", "x.tgz"),
            ("sub", "x.tgz", "sub/x.tgz"),
            ("https://h/charts", "x.tgz", "https://h/charts/x.tgz"),
            ("https://h/charts/", "x.tgz", "https://h/charts/x.tgz"),
            ("charts/", "x.tgz", "charts/x.tgz"),
            ("/abs/", "x.tgz", "/abs/x.tgz"),
            ("oci://reg/x", "x.tgz", "oci://reg/x/x.tgz"),
            (
                "https://h/a%20b/c?tok=1#frag",
                "sub",
                "https://h/a%20b/c/sub?tok=1#frag",
            ),
            ("https://h", "x.tgz", "https://h/x.tgz"),
            ("https://h/a/../b", "x.tgz", "https://h/b/x.tgz"),
            (
                "https://h/c",
                "alpha-1.0.0+build.1.tgz",
                "https://h/c/alpha-1.0.0+build.1.tgz",
            ),
            ("https://h/c", "a b.tgz", "https://h/c/a%20b.tgz"),
            ("https://h/c", "a!(x).tgz", "https://h/c/a%21%28x%29.tgz"),
            ("https://h/a%2Fb", "x.tgz", "https://h/a/b/x.tgz"),
            (
                "https://user:pw@h:8080/c",
                "x.tgz",
                "https://user:pw@h:8080/c/x.tgz",
            ),
            ("file:/srv/c", "x.tgz", "file:/srv/c/x.tgz"),
            ("mailto:x", "x.tgz", "mailto:x"),
            ("https://h/c?", "x.tgz", "https://h/c/x.tgz?"),
            ("https://h/ü", "x.tgz", "https://h/%C3%BC/x.tgz"),
        ];
        for (base, p, want) in cases {
            assert_eq!(
                url_join(base, &[p.as_bytes()]).unwrap(),
                want,
                "{base} + {p}"
            );
        }
    }

    #[test]
    fn unparsable_base_falls_back_to_path_join() {
        assert!(url_join("https://h/%zz", &[b"x.tgz"]).is_err());
        assert_eq!(
            url_join_or_path(b"https://h/%zz", b"x.tgz"),
            b"https:/h/%zz/x.tgz"
        );
        assert!(url_join("https://h:port/", &[b"x"]).is_err());
        assert!(url_join("a:b/c", &[b"x"]).is_ok());
        assert!(url_join(":x", &[b"x"]).is_err());
    }

    #[test]
    fn clean_matches_go() {
        for (i, o) in [
            ("", "."),
            ("a/../..", ".."),
            ("/../a", "/a"),
            ("a//b/./c/", "a/b/c"),
            ("/", "/"),
        ] {
            assert_eq!(clean(i), o, "{i}");
        }
        assert_eq!(path_join(&[b"", b""]), b"");
        assert_eq!(path_join(&[b"", b"x"]), b"x");
    }

    #[test]
    fn lenient_decoding_keeps_malformed_escapes() {
        assert_eq!(percent_decode("a%20b%zz%4"), b"a b%zz%4");
        assert_eq!(percent_decode("plain"), b"plain");
        assert_eq!(percent_decode("caf%E9"), b"caf\xe9");
    }

    #[test]
    fn raw_bytes_are_escaped_byte_by_byte() {
        assert_eq!(
            url_join("https://h/c", &[b"caf\xe9-0.1.0.tgz"]).unwrap(),
            "https://h/c/caf%E9-0.1.0.tgz"
        );
        assert_eq!(
            url_join("https://h/caf%E9", &[b"x"]).unwrap(),
            "https://h/caf%E9/x"
        );
        assert_eq!(url_join("", &[b"sub\xff"]).unwrap(), "sub%FF");
    }
}
