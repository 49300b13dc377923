//! Checking that a folder and its index agree: every entry's archive exists
//! with the digest the index states, and every archive is indexed.

use std::fmt;
use std::path::Path;

use super::directory::{find_archives, Archive};
use super::index::IndexFile;
use crate::chart;
use crate::go;
use crate::go::semver::Version;
use crate::parallel;

/// One disagreement between index and folder.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(
    tag = "problem",
    rename_all = "kebab-case",
    rename_all_fields = "camelCase"
)]
pub enum Problem {
    /// An entry whose archive is not in the folder.
    Missing {
        chart: String,
        version: String,
        url: String,
    },
    /// An entry without `urls`.
    NoUrl { chart: String, version: String },
    /// An entry whose URL is not under the `--url` the check was given.
    WrongUrl {
        chart: String,
        version: String,
        url: String,
        expected: String,
    },
    /// The archive's digest differs from the index.
    Digest {
        file: String,
        indexed: String,
        actual: String,
    },
    /// An archive no entry points to.
    NotIndexed { file: String },
    /// An archive that cannot be read.
    Unreadable { file: String, reason: String },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Missing {
                chart,
                version,
                url,
            } => {
                write!(f, "missing: {chart} {version}: no archive for {url}")
            }
            Problem::NoUrl { chart, version } => write!(f, "no url: {chart} {version}"),
            Problem::WrongUrl {
                chart,
                version,
                url,
                expected,
            } => write!(
                f,
                "wrong url: {chart} {version}: {url} is not under {expected}"
            ),
            Problem::Digest {
                file,
                indexed,
                actual,
            } => write!(
                f,
                "digest mismatch: {file}: index has {}, archive is {actual}",
                if indexed.is_empty() { "none" } else { indexed }
            ),
            Problem::NotIndexed { file } => write!(f, "not indexed: {file}"),
            Problem::Unreadable { file, reason } => write!(f, "unreadable: {file}: {reason}"),
        }
    }
}

/// The archive's path relative to the folder, as bytes.
fn rel(a: &Archive) -> Vec<u8> {
    if a.parent.is_empty() {
        a.file_name.clone()
    } else {
        [&a.parent[..], b"/", &a.file_name].concat()
    }
}

/// The decoded path part of an entry URL (no scheme, host, query, fragment).
fn url_path(url: &str, base: Option<&str>) -> Vec<u8> {
    let mut u = url;
    if let Some(b) = base.filter(|b| !b.is_empty()) {
        let b = b.trim_end_matches('/');
        if let Some(rest) = u.strip_prefix(b) {
            u = rest;
        }
    }
    let u = u.split(['?', '#']).next().unwrap_or("");
    let u = match u.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("", |i| &rest[i..]),
        None => u,
    };
    go::url::percent_decode(u.trim_start_matches('/'))
}

/// Whether `url` is one `helm repo index --url base` writes: the base, a
/// slash, and the archive's path.
fn under_base(url: &str, base: &str) -> bool {
    let base = base.trim_end_matches('/');
    url.strip_prefix(base)
        .is_some_and(|rest| rest.starts_with('/') && rest.len() > 1)
}

/// Whether the chart in `path` is a version `--keep-last n` leaves out of
/// `index`: the index holds at least `n` versions of its chart, all newer
/// than it (a tie or a version that does not parse is not assumed dropped).
fn dropped_by_keep_last(path: &Path, index: &IndexFile, n: usize) -> bool {
    let Ok(md) = chart::load_file(path) else {
        return false;
    };
    let Some(versions) = index.entries.get(&md.name) else {
        return false;
    };
    let Some(last) = versions.get(n.saturating_sub(1)) else {
        return false;
    };
    match (
        Version::parse(&md.version),
        Version::parse(&last.metadata.version),
    ) {
        (Ok(mine), Ok(kept)) => mine.compare(&kept) == std::cmp::Ordering::Less,
        _ => false,
    }
}

/// Compares `index` with the archives in `dir`. `base_url` is the `--url`
/// the index was built with, when known: every entry URL must start with it,
/// and the rest of it names the archive; otherwise an entry matches the
/// archive whose relative path ends its URL path. `keep_last` is the
/// `--keep-last` it was built with: an archive of a version that leaves out
/// is not a problem.
pub fn check(
    dir: &Path,
    index: &IndexFile,
    base_url: Option<&str>,
    keep_last: Option<usize>,
) -> Vec<Problem> {
    let base_url = base_url.filter(|b| !b.is_empty());
    let (archives, _) = find_archives(dir);
    let digests = parallel::map(&archives, |a| chart::digest_file(&a.path));
    let rels: Vec<Vec<u8>> = archives.iter().map(rel).collect();
    let shown = |i: usize| crate::go::json::lossy(&rels[i]);
    let mut indexed = vec![false; archives.len()];
    let mut problems = Vec::new();
    for (name, versions) in &index.entries {
        for cv in versions {
            let Some(url) = cv.urls.as_ref().and_then(|u| u.first()) else {
                problems.push(Problem::NoUrl {
                    chart: name.clone(),
                    version: cv.metadata.version.clone(),
                });
                continue;
            };
            if let Some(base) = base_url {
                if !under_base(url, base) {
                    problems.push(Problem::WrongUrl {
                        chart: name.clone(),
                        version: cv.metadata.version.clone(),
                        url: url.clone(),
                        expected: base.to_string(),
                    });
                }
            }
            let path = url_path(url, base_url);
            let found = rels
                .iter()
                .enumerate()
                .filter(|(_, r)| {
                    path == **r
                        || (path.ends_with(r) && path[..path.len() - r.len()].ends_with(b"/"))
                })
                .max_by_key(|(_, r)| r.len())
                .map(|(i, _)| i);
            let Some(i) = found else {
                problems.push(Problem::Missing {
                    chart: name.clone(),
                    version: cv.metadata.version.clone(),
                    url: url.clone(),
                });
                continue;
            };
            indexed[i] = true;
            match &digests[i] {
                Ok(d) if *d == cv.digest => {}
                Ok(d) => problems.push(Problem::Digest {
                    file: shown(i),
                    indexed: cv.digest.clone(),
                    actual: d.clone(),
                }),
                Err(e) => problems.push(Problem::Unreadable {
                    file: shown(i),
                    reason: e.to_string(),
                }),
            }
        }
    }
    let unindexed: Vec<usize> = (0..archives.len()).filter(|&i| !indexed[i]).collect();
    let dropped = match keep_last {
        Some(n) => parallel::map(&unindexed, |&i| {
            dropped_by_keep_last(&archives[i].path, index, n)
        }),
        None => vec![false; unindexed.len()],
    };
    for (&i, dropped) in unindexed.iter().zip(dropped) {
        if dropped {
            crate::debug!("{}: left out by --keep-last", shown(i));
        } else {
            problems.push(Problem::NotIndexed { file: shown(i) });
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_urls_under_the_base() {
        assert!(under_base("https://h/c/a-1.tgz", "https://h/c"));
        assert!(under_base("https://h/c/a-1.tgz", "https://h/c/"));
        assert!(under_base("https://h/c/sub/a-1.tgz", "https://h/c"));
        assert!(!under_base("https://h/cd/a-1.tgz", "https://h/c"));
        assert!(!under_base("https://other/c/a-1.tgz", "https://h/c"));
        assert!(!under_base("a-1.tgz", "https://h/c"));
        assert!(!under_base("https://h/c/", "https://h/c"));
    }

    #[test]
    fn url_paths() {
        assert_eq!(url_path("sub/a%20b.tgz", None), b"sub/a b.tgz");
        assert_eq!(url_path("https://h/c/sub/x.tgz?t=1", None), b"c/sub/x.tgz");
        assert_eq!(
            url_path("https://h/c/x.tgz", Some("https://h/c/")),
            b"x.tgz"
        );
        assert_eq!(url_path("caf%E9.tgz", None), b"caf\xe9.tgz");
    }
}
