//! Secrets and URLs that may carry them, as types that cannot print them.
//!
//! Passwords, tokens and passphrases travel through options, credentials and
//! errors; any of those may end up in a `{:?}`, a debug log or an error line.
//! Rather than each caller remembering to mask, a [`Secret`] prints as `***`
//! whatever formats it, and a [`SafeUrl`] prints without its user info and
//! query (where signed URLs and tokens travel). Only [`Secret::expose`] and
//! [`SafeUrl::expose`] give the real text, for the request that needs it.

use std::fmt;

/// A password, token or passphrase. `Debug` and `Display` print `***`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    /// The secret itself, for the header or request that carries it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Secret {
        Secret(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Secret {
        Secret(s.to_string())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "\"\"" } else { "***" })
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A URL as given (possibly `https://user:password@host/...?token=...`) that
/// formats as [`redact`] shows it.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct SafeUrl(String);

impl SafeUrl {
    pub fn new(s: impl Into<String>) -> SafeUrl {
        SafeUrl(s.into())
    }

    /// The whole URL, credentials included, for the request itself.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The scheme before `://`, lower-cased (empty when there is none).
    pub fn scheme(&self) -> String {
        self.0
            .split_once("://")
            .map(|(s, _)| s.to_ascii_lowercase())
            .unwrap_or_default()
    }
}

impl From<String> for SafeUrl {
    fn from(s: String) -> SafeUrl {
        SafeUrl(s)
    }
}

impl From<&str> for SafeUrl {
    fn from(s: &str) -> SafeUrl {
        SafeUrl(s.to_string())
    }
}

impl fmt::Display for SafeUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact(&self.0))
    }
}

impl fmt::Debug for SafeUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", redact(&self.0))
    }
}

/// A URL fit for logs and messages: any user info in it is masked and the
/// query string (where tokens travel) is dropped.
pub fn redact(url: &str) -> String {
    let (no_frag, _) = url.split_once('#').unwrap_or((url, ""));
    let (no_query, had_query) = match no_frag.split_once('?') {
        Some((u, _)) => (u, true),
        None => (no_frag, false),
    };
    let mut out = match no_query.split_once("://") {
        Some((scheme, rest)) => {
            let (auth, path) = match rest.find('/') {
                Some(i) => (&rest[..i], &rest[i..]),
                None => (rest, ""),
            };
            match auth.rfind('@') {
                Some(i) => format!("{scheme}://***@{}{path}", &auth[i + 1..]),
                None => no_query.to_string(),
            }
        }
        None => no_query.to_string(),
    };
    if had_query {
        out.push_str("?***");
    }
    out
}

/// Free text (a library's error message) with every URL in it shown as
/// [`redact`] shows it: messages of other crates name the URL they
/// failed on, credentials and query included.
pub fn redact_urls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = ["http://", "https://"]
        .iter()
        .filter_map(|p| rest.find(p))
        .min()
    {
        out.push_str(&rest[..i]);
        let end = rest[i..]
            .find(|c: char| c.is_whitespace() || matches!(c, ')' | '"' | '\'' | '>' | ','))
            .map_or(rest.len(), |n| i + n);
        out.push_str(&redact(&rest[i..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_in_text_are_redacted() {
        assert_eq!(
            redact_urls(
                "error sending request for url (https://u:pw@m.example/5.root.json?sig=x): refused"
            ),
            "error sending request for url (https://***@m.example/5.root.json?***): refused"
        );
        assert_eq!(redact_urls("no url here"), "no url here");
        assert_eq!(
            redact_urls("a http://h/p and https://k:v@h2/q"),
            "a http://h/p and https://***@h2/q"
        );
    }

    #[test]
    fn redact_hides_secrets() {
        assert_eq!(
            redact("https://u:secret@h/p/index.yaml?token=abc"),
            "https://***@h/p/index.yaml?***"
        );
        assert_eq!(redact("https://h/p"), "https://h/p");
    }

    #[test]
    fn secrets_never_format() {
        let s = Secret::from("hunter2");
        assert_eq!(format!("{s} {s:?}"), "*** ***");
        assert_eq!(s.expose(), "hunter2");
        let u = SafeUrl::from("https://me:hunter2@h/x?sig=hunter2");
        let shown = format!("{u} {u:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert_eq!(u.scheme(), "https");
    }
}
