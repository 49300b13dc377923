//! What must hold of a repository before it is published: an index that
//! loads, every archive it lists present, and each with the digest the
//! index records.

use std::collections::HashMap;

use super::{SyncError, INDEX};
use crate::repo::{load_index, IndexFile, Strictness};
use crate::storage::LocalFile;

/// The key of the file an index entry's URL names, among `keys`: a
/// relative URL is the key itself (percent-decoded); an absolute one
/// (`--url https://bucket.example/charts`) names the key its path ends
/// with, the longest such suffix winning.
pub fn archive_key(url: &str, keys: &dyn Fn(&str) -> bool) -> Option<String> {
    let path = match url.split_once("://") {
        Some((_, rest)) => rest.split_once('/').map(|(_, p)| p).unwrap_or(""),
        None => url,
    };
    let path = path.split(['?', '#']).next().unwrap_or("");
    let decoded = String::from_utf8(crate::go::url::percent_decode(path)).ok()?;
    let decoded = decoded.trim_start_matches('/');
    if !url.contains("://") {
        return Some(decoded.to_string());
    }
    let mut rest = decoded;
    loop {
        if !rest.is_empty() && keys(rest) {
            return Some(rest.to_string());
        }
        match rest.split_once('/') {
            Some((_, r)) => rest = r,
            None => return None,
        }
    }
}

/// The folder's index, as loaded and as bytes, and the MD5 of each archive
/// it lists (hashed in the same read as the digest, so that comparing with
/// a store reads no archive twice).
pub type Checked = (IndexFile, Vec<u8>, HashMap<String, [u8; 16]>);

/// Loads the folder's `index.yaml` and checks it against the folder: every
/// archive listed is present, with the digest listed.
pub fn check_local_repository(shown: &str, files: &[LocalFile]) -> Result<Checked, SyncError> {
    let by_key: HashMap<&str, &LocalFile> = files.iter().map(|f| (f.key.as_str(), f)).collect();
    let Some(index_file) = by_key.get(INDEX) else {
        return Err(SyncError::NotRepository {
            what: shown.to_string(),
            hint: ": build one first with helm idx build (or helm repo index)",
        });
    };
    let bytes = crate::repo::read_index_file(&index_file.path).map_err(|e| SyncError::Io {
        path: index_file.path.display().to_string(),
        source: e,
    })?;
    let index_url = format!("{shown}/{INDEX}");
    let index = load_index(&bytes, &index_url, Strictness::Helm)
        .map_err(|e| SyncError::BadIndex {
            url: index_url.clone(),
            source: e,
        })?
        .index;
    let mut missing = Vec::new();
    let mut to_check = Vec::new();
    for cv in index.entries.values().flatten() {
        let Some(url) = cv.urls.as_ref().and_then(|u| u.first()) else {
            continue;
        };
        match archive_key(url, &|k| by_key.contains_key(k)) {
            Some(k) if by_key.contains_key(k.as_str()) => to_check.push((by_key[k.as_str()], cv)),
            _ => missing.push(url.clone()),
        }
    }
    if let Some(first) = missing.first() {
        return Err(SyncError::MissingArchives {
            index: index_url,
            dir: shown.to_string(),
            count: missing.len(),
            first: first.clone(),
        });
    }
    let sums = crate::parallel::map(&to_check, |(f, _)| {
        crate::fileutil::read_regular(&f.path, crate::chart::MAX_ARCHIVE_FILE_SIZE)
            .map(|data| (crate::chart::digest(&data), crate::storage::md5_of(&data)))
    });
    let mut md5s = HashMap::new();
    for ((f, cv), sum) in to_check.iter().zip(sums) {
        let (d, md5) = sum.map_err(|e| SyncError::Io {
            path: f.path.display().to_string(),
            source: e,
        })?;
        md5s.insert(f.key.clone(), md5);
        if !cv.digest.is_empty() && d != cv.digest {
            return Err(SyncError::DigestMismatch {
                file: format!("{shown}/{}", f.key),
                index: index_url,
                expected: cv.digest.clone(),
                actual: d,
            });
        }
    }
    Ok((index, bytes, md5s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_url_names_its_archive_relative_or_absolute() {
        let keys = |k: &str| matches!(k, "a-1.0.0.tgz" | "sub/b-1.0.0.tgz");
        assert_eq!(
            archive_key("a-1.0.0.tgz", &keys).as_deref(),
            Some("a-1.0.0.tgz")
        );
        assert_eq!(
            archive_key("sub/b%2D1.0.0.tgz", &keys).as_deref(),
            Some("sub/b-1.0.0.tgz")
        );
        assert_eq!(
            archive_key("https://x.storage.googleapis.com/a-1.0.0.tgz", &keys).as_deref(),
            Some("a-1.0.0.tgz")
        );
        assert_eq!(
            archive_key("https://h/charts/sub/b-1.0.0.tgz", &keys).as_deref(),
            Some("sub/b-1.0.0.tgz")
        );
        assert_eq!(archive_key("https://h/charts/c-1.tgz", &keys), None);
    }
}
