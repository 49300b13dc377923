//! OCI references as `helm push` builds them (`pkg/registry/reference.go`).
//!
//! The user names a target `oci://HOST[:PORT]/PATH`; Helm appends
//! `/<chart name>:<version>` and turns `+` into `_` in the tag. A name the
//! registry would refuse (upper case, say) is caught here, before any upload,
//! with a message that says which part is wrong.

use std::fmt;

use thiserror::Error;

use super::RegistryError;
use crate::go;

/// Where charts go: a registry host and a repository prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `host[:port]` as written by the user.
    pub host: String,
    /// The repository prefix, cleaned, without leading or trailing `/`
    /// (empty when charts go to the registry's root).
    pub path: String,
}

/// One chart's place in a registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub host: String,
    pub repository: String,
    pub tag: String,
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sep = if self.tag.starts_with("sha256:") {
            '@'
        } else {
            ':'
        };
        write!(f, "{}/{}{sep}{}", self.host, self.repository, self.tag)
    }
}

impl Target {
    /// Parses `oci://HOST[:PORT][/PATH]`. The path may not carry a tag or a
    /// digest: Helm adds the chart name and version itself.
    pub fn parse(s: &str) -> Result<Target, RegistryError> {
        let bad = |problem: ReferenceProblem| RegistryError::Reference {
            reference: s.to_string(),
            problem,
        };
        let rest = s
            .strip_prefix("oci://")
            .ok_or_else(|| bad(ReferenceProblem::NoScheme))?;
        let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
        if !valid_host(host) {
            return Err(bad(ReferenceProblem::Host));
        }
        if path.contains(':') || path.contains('@') {
            return Err(bad(ReferenceProblem::TagOrDigest));
        }
        let path = go::url::clean(&format!("/{path}"))
            .trim_matches('/')
            .to_string();
        if !path.is_empty() {
            check_repository(&path).map_err(bad)?;
        }
        Ok(Target {
            host: host.to_string(),
            path,
        })
    }

    /// The reference `helm push` uses for a chart: `PATH/NAME:VERSION` with
    /// `+` replaced by `_`.
    pub fn chart(&self, name: &str, version: &str) -> Result<Reference, RegistryError> {
        check_component(name).map_err(|reason| RegistryError::ChartName {
            name: name.to_string(),
            reason,
        })?;
        let tag = tag_for_version(version);
        if !valid_tag(&tag) {
            return Err(RegistryError::Tag {
                version: version.to_string(),
            });
        }
        let repository = if self.path.is_empty() {
            name.to_string()
        } else {
            format!("{}/{name}", self.path)
        };
        Ok(Reference {
            host: self.host.clone(),
            repository,
            tag,
        })
    }
}

/// The tag Helm stores a chart version under: OCI tags cannot hold `+`.
pub fn tag_for_version(version: &str) -> String {
    version.replace('+', "_")
}

fn valid_host(h: &str) -> bool {
    if h.is_empty() {
        return false;
    }
    let (name, port) = if let Some(v6) = h.strip_prefix('[') {
        match v6.split_once(']') {
            Some((addr, rest)) if !addr.is_empty() => {
                if !addr
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
                {
                    return false;
                }
                ("x", rest.strip_prefix(':'))
            }
            _ => return false,
        }
    } else {
        match h.rsplit_once(':') {
            Some((n, p)) => (n, Some(p)),
            None => (h, None),
        }
    };
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    let name_ok = !name.is_empty()
        && name.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    port_ok && name_ok
}

/// What is wrong with an `oci://` destination.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReferenceProblem {
    #[error("the destination must start with oci://")]
    NoScheme,
    #[error("invalid registry host (want HOST or HOST:PORT)")]
    Host,
    #[error("the destination must not name a tag or digest; the chart's name and version are added to it")]
    TagOrDigest,
    #[error("path component {component:?}: {reason}")]
    Component {
        component: String,
        reason: NameProblem,
    },
}

/// Why a name cannot be a repository path component.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum NameProblem {
    #[error("empty")]
    Empty,
    #[error("upper case is not allowed; {RULE}")]
    UpperCase,
    #[error("{RULE}")]
    Grammar,
}

const RULE: &str =
    "use lower-case letters and digits, joined by '.', '_', '__' or '-' (no upper case, no separator at either end)";

/// distribution's repository grammar: `/`-separated components.
fn check_repository(path: &str) -> Result<(), ReferenceProblem> {
    for c in path.split('/') {
        check_component(c).map_err(|reason| ReferenceProblem::Component {
            component: c.to_string(),
            reason,
        })?;
    }
    Ok(())
}

/// One path component: `[a-z0-9]+` groups joined by `.`, `_`, `__` or runs of
/// `-` (distribution/reference `pathComponent`).
fn check_component(c: &str) -> Result<(), NameProblem> {
    if c.is_empty() {
        return Err(NameProblem::Empty);
    }
    if c.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(NameProblem::UpperCase);
    }
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    let mut i = 0;
    loop {
        let start = i;
        while i < b.len() && alnum(b[i]) {
            i += 1;
        }
        if i == start {
            return Err(NameProblem::Grammar);
        }
        if i == b.len() {
            return Ok(());
        }
        let sep = i;
        match b[i] {
            b'.' => i += 1,
            b'_' => {
                i += 1;
                if i < b.len() && b[i] == b'_' {
                    i += 1;
                }
            }
            b'-' => {
                while i < b.len() && b[i] == b'-' {
                    i += 1;
                }
            }
            _ => return Err(NameProblem::Grammar),
        }
        if i == sep || i == b.len() {
            return Err(NameProblem::Grammar);
        }
    }
}

/// distribution-spec tag grammar: `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
pub fn valid_tag(t: &str) -> bool {
    let b = t.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b[1..]
            .iter()
            .all(|&x| x.is_ascii_alphanumeric() || matches!(x, b'.' | b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        let t = Target::parse("oci://127.0.0.1:5000/h3").unwrap();
        assert_eq!((t.host.as_str(), t.path.as_str()), ("127.0.0.1:5000", "h3"));
        let t = Target::parse("oci://reg.example.com/a//b/../c/").unwrap();
        assert_eq!(t.path, "a/c");
        let t = Target::parse("oci://localhost:5000").unwrap();
        assert_eq!(t.path, "");
        assert!(Target::parse("oci://[::1]:5000/x").is_ok());
        for bad in [
            "127.0.0.1:5000/h3",
            "oci://127.0.0.1:5000/p3:1.0",
            "oci:///x",
            "oci://host:port/x",
            "oci://h/Upper",
            "oci://h/a-/b",
            "oci://h/a@sha256:00",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn chart_references() {
        let t = Target::parse("oci://127.0.0.1:5000/h3").unwrap();
        let r = t.chart("mychart", "0.1.0+build.7").unwrap();
        assert_eq!(r.to_string(), "127.0.0.1:5000/h3/mychart:0.1.0_build.7");
        let e = t.chart("MyChart", "1.0.0").unwrap_err().to_string();
        assert!(e.contains("\"MyChart\"") && e.contains("upper case"), "{e}");
        assert!(t.chart("my_chart", "1.0.0").is_ok());
        assert!(t.chart("my__chart", "1.0.0").is_ok());
        assert!(t.chart("my---chart", "1.0.0").is_ok());
        assert!(t.chart("my___chart", "1.0.0").is_err());
        assert!(t.chart("-x", "1.0.0").is_err());
        assert!(t.chart("x", &"1".repeat(129)).is_err());
    }

    #[test]
    fn tags() {
        assert!(valid_tag("0.1.0_build.7"));
        assert!(valid_tag("_x"));
        assert!(!valid_tag(".x"));
        assert!(!valid_tag("1.0+x"));
    }
}
