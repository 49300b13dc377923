//! `helm sync index`: (re)building the index of a repository that lives
//! only in a bucket, with `helm idx build`'s semantics (archives found as
//! `helm repo index` finds them, `created` kept for archives already
//! indexed), without downloading the archives it already knows.
//!
//! A listing gives each object's size and store identity (GCS generation,
//! S3 or Azure ETag) but no SHA-256, and S3 listings carry no user
//! metadata. So the repository keeps a small record beside its index,
//! [`RECORD`], mapping each archive's identity and size to its digest: an
//! archive listed with the same identity is known without a download; any
//! other (new, replaced, or uploaded by another tool) is downloaded once,
//! hashed, loaded, and recorded. The record holds facts (this identity has
//! this digest), never state, so a record left by a run that lost a race is
//! still right.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::update::{update_index, IndexHeaders};
use super::{SyncError, INDEX};
use crate::chart;
use crate::repo::{entry_url, reuse_from, ChartVersion, IndexFile, Reuse};
use crate::storage::{ObjectMeta, Precondition, PutOptions, StorageError, Store};

/// The record's key, beside `index.yaml`. Syncs neither copy nor remove it.
pub const RECORD: &str = ".helm-sync-digests.json";

/// The most the record may hold (~100 bytes an archive: 600,000 archives).
const MAX_RECORD_BYTES: u64 = 64 << 20;

#[derive(Debug, Default, Serialize, Deserialize)]
struct Record {
    /// key → what the store said of it, and its digest.
    archives: BTreeMap<String, Known>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Known {
    id: String,
    size: u64,
    digest: String,
}

#[derive(Debug, Default, Serialize)]
pub struct ReindexReport {
    pub repository: String,
    pub entries: usize,
    /// Archives whose digest came from the record.
    pub known: usize,
    /// Archives downloaded (new, changed, or never recorded).
    pub downloaded: usize,
    pub skipped: Vec<String>,
    pub attempts: usize,
}

/// An archive key as `helm repo index` globs it: `*.tgz` at the top or one
/// folder down; `(parent, file name)`.
fn as_archive(key: &str) -> Option<(&str, &str)> {
    if !key.ends_with(".tgz") {
        return None;
    }
    match key.split_once('/') {
        None => Some(("", key)),
        Some((parent, name)) if !name.contains('/') && !parent.is_empty() => Some((parent, name)),
        _ => None,
    }
}

/// Rebuilds `index.yaml` of the repository in `store` from its archives.
pub fn reindex(
    store: &Store,
    base_url: &str,
    headers: &IndexHeaders,
) -> Result<ReindexReport, SyncError> {
    let listing: Vec<ObjectMeta> = store.list()?;
    let mut archives: Vec<(&ObjectMeta, &str, &str)> = listing
        .iter()
        .filter_map(|m| as_archive(&m.key).map(|(p, n)| (m, p, n)))
        .collect();
    // Helm's order: the top level in byte order, then each folder's.
    archives.sort_by(|a, b| (!a.1.is_empty(), a.1, a.2).cmp(&(!b.1.is_empty(), b.1, b.2)));

    let (record_bytes, record_version) =
        match store.get(RECORD, MAX_RECORD_BYTES, "the digest record")? {
            Some((b, v)) => (Some(b), Precondition::Matches(v)),
            None => (None, Precondition::Absent),
        };
    // A record that does not parse is rebuilt, never trusted.
    let record: Record = record_bytes
        .as_deref()
        .and_then(|b| serde_json::from_slice(b).ok())
        .unwrap_or_default();
    let current: Option<IndexFile> =
        match store.get(INDEX, crate::repo::MAX_INDEX_FILE_SIZE, "an index")? {
            Some((bytes, _)) => {
                let url = store.url_of(INDEX);
                Some(
                    crate::repo::load_index(&bytes, &url, crate::repo::Strictness::Lenient)
                        .map_err(|e| SyncError::BadIndex { url, source: e })?
                        .index,
                )
            }
            None => None,
        };
    let mut reuse = Reuse::new();
    if let Some(i) = &current {
        reuse_from(i, &mut reuse);
    }

    // Which archives need a download: identity or size unknown, or a
    // digest the current index has no entry for.
    enum Got {
        Reused(Box<ChartVersion>),
        Loaded(Box<chart::Metadata>, String),
        Skipped(String),
    }
    let mut report = ReindexReport {
        repository: store.location().url(),
        ..Default::default()
    };
    let now = crate::go::time::now();
    let outcomes = crate::parallel::map_with(
        &archives,
        16,
        |(m, _, _)| -> Result<(Got, Option<Known>, bool), SyncError> {
            if let Some(k) = record.archives.get(&m.key) {
                if k.id == m.version.0 && k.size == m.size && !k.id.is_empty() {
                    if let Some(cv) = reuse.get(k.digest.as_str()) {
                        return Ok((Got::Reused(Box::new((*cv).clone())), Some(k.clone()), false));
                    }
                }
            }
            let Some((data, version)) =
                store.get(&m.key, chart::MAX_ARCHIVE_FILE_SIZE, "a chart archive")?
            else {
                return Ok((Got::Skipped("deleted while indexing".into()), None, true));
            };
            let digest = chart::digest(&data);
            let known = Known {
                id: version.0,
                size: data.len() as u64,
                digest: digest.clone(),
            };
            if let Some(cv) = reuse.get(digest.as_str()) {
                return Ok((Got::Reused(Box::new((*cv).clone())), Some(known), true));
            }
            Ok(match chart::load_bytes(&data) {
                Ok(md) => (Got::Loaded(Box::new(md), digest), Some(known), true),
                Err(e) => (Got::Skipped(e.to_string()), Some(known), true),
            })
        },
    );
    let mut index = IndexFile::new(String::new());
    let mut new_record = Record::default();
    for ((m, parent, name), outcome) in archives.iter().zip(outcomes) {
        let (got, known, downloaded) = outcome?;
        if downloaded {
            report.downloaded += 1;
        } else {
            report.known += 1;
        }
        if let Some(k) = known {
            new_record.archives.insert(m.key.clone(), k);
        }
        let url = entry_url(base_url, parent.as_bytes(), name.as_bytes());
        match got {
            Got::Reused(cv) => {
                let mut cv = *cv;
                cv.urls = Some(vec![url]);
                index.push(cv);
            }
            Got::Loaded(md, digest) => index.push(ChartVersion {
                metadata: *md,
                urls: Some(vec![url]),
                created: now.clone(),
                digest,
                ..Default::default()
            }),
            Got::Skipped(why) => report
                .skipped
                .push(format!("{}: {why}", store.url_of(&m.key))),
        }
    }
    drop(reuse);

    // The record first: a fact sheet, right whatever the index ends as.
    if new_record.archives != record.archives {
        let bytes = serde_json::to_vec(&new_record).expect("a record serialises");
        let o = PutOptions {
            content_type: "application/json",
            cache_control: Some("no-cache"),
            precondition: record_version,
        };
        match store.put(RECORD, &bytes, &o) {
            // Another run recorded meanwhile: its facts are as good.
            Ok(_) | Err(StorageError::Precondition { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    index.sort_entries();
    report.entries = index.len();
    let (_, attempts) = update_index(store, true, headers, |published| {
        let mut fresh = index.clone();
        // Keep what the published index says at the top level.
        fresh.public_keys = std::mem::take(&mut published.public_keys);
        fresh.annotations = std::mem::take(&mut published.annotations);
        *published = fresh;
        Ok(())
    })?;
    report.attempts = attempts;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archives_are_found_where_helm_repo_index_finds_them() {
        assert_eq!(as_archive("a-1.tgz"), Some(("", "a-1.tgz")));
        assert_eq!(as_archive("sub/a-1.tgz"), Some(("sub", "a-1.tgz")));
        assert_eq!(as_archive("x/y/a-1.tgz"), None);
        assert_eq!(as_archive("index.yaml"), None);
        assert_eq!(as_archive("a-1.tgz.prov"), None);
    }
}
