//! Indexing a folder of chart archives (`repo.IndexDirectory`).
//!
//! Helm globs `DIR/*.tgz` then `DIR/**/*.tgz` (Go's `**` is a plain `*`, so
//! exactly one sub-folder level), each level in byte order, decompresses every
//! archive one after another and stamps each with a fresh `created`. Here the
//! same archives are found in the same order, but each is first hashed: an
//! archive whose digest is already in a previous index keeps that entry and
//! its `created`, and is never decompressed. The rest load in parallel.

use std::collections::HashMap;
use std::fs;
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

use super::index::{ChartVersion, IndexFile};
use crate::chart;
use crate::cli::Progress;
use crate::go;
use crate::parallel;

/// An archive found in the folder. Names are bytes, as Helm's are (Go
/// strings): a Latin-1 name keeps its byte in the entry's URL.
#[derive(Debug, Clone)]
pub struct Archive {
    pub path: PathBuf,
    /// Sub-folder relative to the indexed folder ("" at the top level).
    pub parent: Vec<u8>,
    pub file_name: Vec<u8>,
}

/// An archive Helm would skip silently, and why.
#[derive(Debug, Clone)]
pub struct Skipped {
    pub path: PathBuf,
    pub reason: String,
}

/// Previous entries by digest: the reuse cache, borrowing from the indexes
/// it was built from.
pub type Reuse<'a> = HashMap<&'a str, &'a ChartVersion>;

/// Adds an index's entries to a digest cache; the first entry per digest wins.
pub fn reuse_from<'a>(index: &'a IndexFile, into: &mut Reuse<'a>) {
    for cv in index.entries.values().flatten() {
        if !cv.digest.is_empty() {
            into.entry(cv.digest.as_str()).or_insert(cv);
        }
    }
}

/// A file name's bytes (on Unix exactly; elsewhere its UTF-8 form).
fn name_bytes(name: &std::ffi::OsStr) -> Vec<u8> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        name.as_bytes().to_vec()
    }
    #[cfg(not(unix))]
    {
        name.to_string_lossy().into_owned().into_bytes()
    }
}

fn sorted_names(dir: &Path) -> Vec<(Vec<u8>, PathBuf)> {
    let Ok(rd) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<(Vec<u8>, PathBuf)> = rd
        .flatten()
        .map(|e| (name_bytes(&e.file_name()), e.path()))
        .collect();
    names.sort_by(|a, b| a.0.cmp(&b.0));
    names
}

/// Go's `filepath.Match("*.tgz", name)`.
fn matches_tgz(name: &[u8]) -> bool {
    name.ends_with(b".tgz")
}

/// The archives Helm's two globs find, in Helm's order. Folders whose names
/// end in `.tgz` are reported as skipped (Helm would index them as unpacked
/// charts without a digest).
pub fn find_archives(dir: &Path) -> (Vec<Archive>, Vec<Skipped>) {
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    let mut take = |path: PathBuf, parent: &[u8], name: &[u8]| {
        if path.is_dir() {
            skipped.push(Skipped {
                path,
                reason: "is a folder, not a chart archive".into(),
            });
        } else {
            found.push(Archive {
                path,
                parent: parent.to_vec(),
                file_name: name.to_vec(),
            });
        }
    };
    let top = sorted_names(dir);
    for (name, path) in &top {
        if matches_tgz(name) {
            take(path.clone(), b"", name);
        }
    }
    for (sub, sub_path) in &top {
        if !sub_path.is_dir() {
            continue;
        }
        for (name, path) in sorted_names(sub_path) {
            if matches_tgz(&name) {
                take(path, sub, &name);
            }
        }
    }
    (found, skipped)
}

/// The entry URL `IndexDirectory` and `MustAdd` compute. Joined URLs are
/// escaped; a bare file name (no `--url`, top folder) is written as Helm's
/// JSON step writes a Go string, invalid UTF-8 as U+FFFD.
pub fn entry_url(base_url: &str, parent: &[u8], file_name: &[u8]) -> String {
    let parent_url = go::url::url_join_or_path(base_url.as_bytes(), parent);
    let url = if parent_url.is_empty() {
        file_name.to_vec()
    } else {
        go::url::url_join_or_path(&parent_url, file_name)
    };
    go::json::lossy(&url)
}

/// What indexing a folder produced.
#[derive(Debug, Default)]
pub struct DirIndex {
    pub index: IndexFile,
    pub skipped: Vec<Skipped>,
    /// Archives whose entry came from the reuse cache.
    pub reused: usize,
    /// Archives that were decompressed and loaded.
    pub loaded: usize,
}

enum Outcome {
    Reused(Box<ChartVersion>),
    Loaded(Box<chart::Metadata>, String),
    Skipped(String),
}

/// `repo.IndexDirectory(dir, baseURL)` with digest reuse; `created` is the
/// timestamp for entries that are new. On a terminal, a progress line
/// counts the archives and their bytes.
pub fn index_directory(dir: &Path, base_url: &str, reuse: &Reuse, created: &str) -> DirIndex {
    let (archives, mut skipped) = find_archives(dir);
    let bar = Progress::start("indexing", "charts", archives.len() as u64);
    // Sizes only for the line: a stat per archive costs nothing beside
    // hashing it, but is not paid when nothing is shown.
    let sizes: Vec<u64> = if bar.is_shown() {
        archives
            .iter()
            .map(|a| fs::metadata(&a.path).map(|m| m.len()).unwrap_or(0))
            .collect()
    } else {
        vec![0; archives.len()]
    };
    bar.set_total_bytes(sizes.iter().sum());
    let work: Vec<(&Archive, u64)> = archives.iter().zip(sizes).collect();
    let outcomes = parallel::map(&work, |(a, size)| {
        let outcome = examine(a, reuse);
        bar.advance(1, *size);
        outcome
    });
    bar.finish();
    let mut out = DirIndex {
        index: IndexFile::new(String::new()),
        ..Default::default()
    };
    for (a, outcome) in archives.iter().zip(outcomes) {
        let url = entry_url(base_url, &a.parent, &a.file_name);
        match outcome {
            Outcome::Reused(cv) => {
                let mut cv = *cv;
                cv.urls = Some(vec![url]);
                out.reused += 1;
                out.index.push(cv);
            }
            Outcome::Loaded(md, digest) => {
                out.loaded += 1;
                out.index.push(ChartVersion {
                    metadata: *md,
                    urls: Some(vec![url]),
                    created: created.to_string(),
                    digest,
                    ..Default::default()
                });
            }
            Outcome::Skipped(reason) => skipped.push(Skipped {
                path: a.path.clone(),
                reason,
            }),
        }
    }
    out.skipped = skipped;
    out
}

/// The folder's archives and the digests of those that can be read, for
/// looking entries up before indexing: each is hashed again there, which
/// costs less than parsing a large previous index whole (see `partial`).
pub fn archive_digests(dir: &Path) -> (usize, Vec<String>) {
    let (archives, _) = find_archives(dir);
    let digests = parallel::map(&archives, |a| {
        let f = chart::open_archive(&a.path).ok()?;
        chart::digest_reader(f.take(chart::MAX_ARCHIVE_FILE_SIZE)).ok()
    });
    (archives.len(), digests.into_iter().flatten().collect())
}

/// Opens the archive once: the file type, size cap and gzip header are
/// checked before it is hashed, and it is loaded from the same open file.
fn examine(a: &Archive, reuse: &Reuse) -> Outcome {
    let mut f = match chart::open_archive(&a.path) {
        Ok(f) => f,
        Err(chart::LoadError::Io(e)) => return Outcome::Skipped(format!("cannot read: {e}")),
        Err(e) => return Outcome::Skipped(e.to_string()),
    };
    let digest = match chart::digest_reader((&mut f).take(chart::MAX_ARCHIVE_FILE_SIZE))
        .and_then(|d| f.rewind().map(|()| d))
    {
        Ok(d) => d,
        Err(e) => return Outcome::Skipped(format!("cannot read: {e}")),
    };
    if let Some(cv) = reuse.get(digest.as_str()) {
        return Outcome::Reused(Box::new((*cv).clone()));
    }
    match chart::load_open(f) {
        Ok(md) => Outcome::Loaded(Box::new(md), digest),
        Err(e) => Outcome::Skipped(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_follow_helm() {
        assert_eq!(entry_url("", b"", b"a-1.tgz"), "a-1.tgz");
        assert_eq!(entry_url("", b"sub", b"a-1.tgz"), "sub/a-1.tgz");
        assert_eq!(
            entry_url("https://h/c/", b"", b"a-1.tgz"),
            "https://h/c/a-1.tgz"
        );
        assert_eq!(
            entry_url("https://h/c", b"sub", b"a-1.tgz"),
            "https://h/c/sub/a-1.tgz"
        );
        assert_eq!(
            entry_url("https://h/c", b"", b"caf\xe9.tgz"),
            "https://h/c/caf%E9.tgz"
        );
        assert_eq!(entry_url("", b"s\xff", b"a.tgz"), "s%FF/a.tgz");
        assert_eq!(
            entry_url("", b"", b"x\xe9\x80.tgz"),
            "x\u{fffd}\u{fffd}.tgz"
        );
    }

    fn lossy(b: &[u8]) -> String {
        String::from_utf8_lossy(b).into_owned()
    }

    #[test]
    fn finds_top_level_then_one_level_down_in_byte_order() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        for f in ["b.tgz", "a.tgz", "B.tgz", "x.txt", ".h.tgz"] {
            fs::write(p.join(f), "").unwrap();
        }
        fs::create_dir_all(p.join("sub/deeper")).unwrap();
        fs::write(p.join("sub/c.tgz"), "").unwrap();
        fs::write(p.join("sub/deeper/d.tgz"), "").unwrap();
        fs::create_dir(p.join("dir.tgz")).unwrap();
        let (found, skipped) = find_archives(p);
        let names: Vec<String> = found
            .iter()
            .map(|a| format!("{}/{}", lossy(&a.parent), lossy(&a.file_name)))
            .collect();
        assert_eq!(
            names,
            ["/.h.tgz", "/B.tgz", "/a.tgz", "/b.tgz", "sub/c.tgz"]
        );
        assert_eq!(skipped.len(), 1);
    }
}
