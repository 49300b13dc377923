//! Changing a published index without a local copy of the repository
//! (`helm sync push`, `helm sync delete`, `--merge-remote`): read the index
//! and its version, change it, write it back on the condition that it is
//! still at that version, and on a conflict start again from the read,
//! with backoff. Sixteen publishers at once all land, one after another.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::check::archive_key;
use super::{SyncError, INDEX, MAX_OBJECT_BYTES};
use crate::chart;
use crate::repo::{load_index, write_yaml, ChartVersion, IndexFile, Strictness};
use crate::storage::{Precondition, PutOptions, StorageError, Store};

/// How `index.yaml` is written: with a short cache life, since a cached
/// index hides every new chart (and as YAML, not `application/octet-stream`).
#[derive(Debug, Clone)]
pub struct IndexHeaders {
    pub content_type: String,
    pub cache_control: String,
}

impl Default for IndexHeaders {
    fn default() -> Self {
        IndexHeaders {
            content_type: "text/yaml".into(),
            cache_control: "no-cache".into(),
        }
    }
}

/// The most read-modify-write rounds before giving up, and the longest.
const MAX_ATTEMPTS: usize = 100;
const MAX_UPDATE_TIME: Duration = Duration::from_secs(300);

/// Reads, changes with `mutate` and conditionally writes the index,
/// retrying on conflicts. Returns the index written and the rounds taken.
pub(crate) fn update_index(
    store: &Store,
    create: bool,
    headers: &IndexHeaders,
    mut mutate: impl FnMut(&mut IndexFile) -> Result<(), SyncError>,
) -> Result<(IndexFile, usize), SyncError> {
    let url = store.url_of(INDEX);
    let started = Instant::now();
    let mut wait = Duration::from_millis(50);
    for attempt in 1..=MAX_ATTEMPTS {
        let (mut index, precondition) =
            match store.get(INDEX, crate::repo::MAX_INDEX_FILE_SIZE, "an index")? {
                Some((bytes, version)) => (
                    load_index(&bytes, &url, Strictness::Helm)
                        .map_err(|e| SyncError::BadIndex {
                            url: url.clone(),
                            source: e,
                        })?
                        .index,
                    Precondition::Matches(version),
                ),
                None if create => (IndexFile::new(crate::go::time::now()), Precondition::Absent),
                None => return Err(not_repository(store)),
            };
        mutate(&mut index)?;
        index.sort_entries();
        index.generated = crate::go::time::now();
        let bytes = write_yaml(&index, Vec::new()).map_err(|e| SyncError::Io {
            path: url.clone(),
            source: e,
        })?;
        let o = PutOptions {
            content_type: &headers.content_type,
            cache_control: Some(&headers.cache_control),
            precondition,
        };
        match store.put(INDEX, &bytes, &o) {
            Ok(_) => return Ok((index, attempt)),
            Err(StorageError::Precondition { .. }) if started.elapsed() < MAX_UPDATE_TIME => {
                crate::debug!("{url} changed meanwhile (attempt {attempt}); reading it again");
                std::thread::sleep(crate::storage::jitter(wait));
                wait = (wait * 2).min(Duration::from_secs(2));
            }
            Err(StorageError::Precondition { .. }) => {
                return Err(SyncError::GaveUp {
                    url,
                    attempts: attempt,
                })
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(SyncError::GaveUp {
        url,
        attempts: MAX_ATTEMPTS,
    })
}

/// The refusal for a store without `index.yaml`, unless the bucket itself
/// is missing: a download of a missing object cannot tell the two apart,
/// a listing can (and this is the rare path).
fn not_repository(store: &Store) -> SyncError {
    match store.list() {
        Err(e @ StorageError::NoBucket { .. }) => e.into(),
        _ => SyncError::NotRepository {
            what: store.location().url(),
            hint: ": add --init to start one",
        },
    }
}

#[derive(Debug, Clone, Default)]
pub struct PushOptions {
    pub charts: Vec<PathBuf>,
    /// Replace versions the index has, and archives of other content.
    pub force: bool,
    /// Start a repository where there is no index.yaml.
    pub init: bool,
    /// The URL the entries point at (`--url`); relative file names without.
    pub base_url: Option<String>,
    pub headers: IndexHeaders,
}

#[derive(Debug, Serialize)]
pub struct Pushed {
    pub name: String,
    pub version: String,
    pub url: String,
    pub provenance: bool,
}

#[derive(Debug, Serialize)]
pub struct PushReport {
    pub repository: String,
    pub pushed: Vec<Pushed>,
    /// Read-modify-write rounds the index took (1 without contention).
    pub attempts: usize,
}

struct Loaded {
    key: String,
    data: Vec<u8>,
    prov: Option<Vec<u8>>,
    /// `CHART.tgz.sigstore.json`, the Sigstore bundle beside the archive.
    bundle: Option<Vec<u8>>,
    entry: ChartVersion,
}

/// A file beside a chart archive (`.prov`, `.sigstore.json`), if there is
/// one.
fn read_beside(path: &std::path::Path, suffix: &str) -> Result<Option<Vec<u8>>, SyncError> {
    let beside = PathBuf::from(format!("{}{suffix}", path.display()));
    match crate::fileutil::read_regular(&beside, crate::getter::Body::Provenance.limit()) {
        Ok(p) => Ok(Some(p)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(SyncError::Io {
            path: beside.display().to_string(),
            source: e,
        }),
    }
}

/// The Sigstore bundle beside an archive, as `helm prov sign --sigstore`
/// (and `cosign sign-blob --bundle`) names it: `sigstore::BUNDLE_SUFFIX`,
/// spelled again here because the `sigstore` module is built only with
/// the `prov` feature and `helm sync` is not.
pub(crate) const SIGSTORE_SUFFIX: &str = ".sigstore.json";

/// Uploads charts (and their `.prov` files and Sigstore bundles) and adds
/// them to the index:
/// archives first, then the index.
pub fn push_charts(store: &Store, o: &PushOptions) -> Result<PushReport, SyncError> {
    let created = crate::go::time::now();
    let mut charts: Vec<Loaded> = Vec::new();
    for path in &o.charts {
        let shown = path.display().to_string();
        let data = chart::read_archive(path).map_err(|e| SyncError::Io {
            path: shown.clone(),
            source: e,
        })?;
        let metadata = chart::load_bytes(&data).map_err(|e| SyncError::Chart {
            file: shown.clone(),
            source: e,
        })?;
        let Some(key) = path
            .file_name()
            .and_then(|n| n.to_str())
            .map(str::to_string)
        else {
            return Err(SyncError::Refused {
                what: format!("{shown}: the file name is not UTF-8"),
            });
        };
        let prov = read_beside(path, ".prov")?;
        let bundle = read_beside(path, SIGSTORE_SUFFIX)?;
        let url = match &o.base_url {
            Some(base) => crate::repo::entry_url(base, b"", key.as_bytes()),
            None => key.clone(),
        };
        if charts.iter().any(|c| {
            c.entry.metadata.name == metadata.name && c.entry.metadata.version == metadata.version
        }) {
            return Err(SyncError::Refused {
                what: format!("{} {} is given twice", metadata.name, metadata.version),
            });
        }
        charts.push(Loaded {
            entry: ChartVersion {
                digest: chart::digest(&data),
                metadata,
                urls: Some(vec![url]),
                created: created.clone(),
                ..Default::default()
            },
            key,
            data,
            prov,
            bundle,
        });
    }
    let already = |index: &IndexFile| -> Option<String> {
        charts.iter().find_map(|c| {
            let m = &c.entry.metadata;
            index
                .entries
                .get(&m.name)
                .is_some_and(|v| v.iter().any(|cv| cv.metadata.version == m.version))
                .then(|| format!("{} {}", m.name, m.version))
        })
    };
    let refuse_existing = |what: String| SyncError::Refused {
        what: format!(
            "{what} is already in {}: add --force to replace it",
            store.url_of(INDEX)
        ),
    };
    // Refuse before uploading anything, and again at the write (a
    // concurrent publisher may have added the same version meanwhile).
    if !o.force {
        if let Some((bytes, _)) = store.get(INDEX, crate::repo::MAX_INDEX_FILE_SIZE, "an index")? {
            let url = store.url_of(INDEX);
            let index = load_index(&bytes, &url, Strictness::Helm)
                .map_err(|e| SyncError::BadIndex { url, source: e })?
                .index;
            if let Some(v) = already(&index) {
                return Err(refuse_existing(v));
            }
        } else if !o.init {
            return Err(not_repository(store));
        }
    }
    for c in &charts {
        upload_once(store, &c.key, &c.data, "application/gzip", o.force)?;
        if let Some(p) = &c.prov {
            upload_once(
                store,
                &format!("{}.prov", c.key),
                p,
                "application/pgp-signature",
                o.force,
            )?;
        }
        if let Some(b) = &c.bundle {
            upload_once(
                store,
                &format!("{}{SIGSTORE_SUFFIX}", c.key),
                b,
                "application/json",
                o.force,
            )?;
        }
    }
    let (_, attempts) = update_index(store, o.init, &o.headers, |index| {
        if !o.force {
            if let Some(v) = already(index) {
                return Err(refuse_existing(v));
            }
        }
        for c in &charts {
            let m = &c.entry.metadata;
            if let Some(versions) = index.entries.get_mut(&m.name) {
                versions.retain(|cv| cv.metadata.version != m.version);
            }
            index.push(c.entry.clone());
        }
        Ok(())
    })?;
    Ok(PushReport {
        repository: store.location().url(),
        pushed: charts
            .iter()
            .map(|c| Pushed {
                name: c.entry.metadata.name.clone(),
                version: c.entry.metadata.version.clone(),
                url: store.url_of(&c.key),
                provenance: c.prov.is_some(),
            })
            .collect(),
        attempts,
    })
}

/// Writes `key` unless it exists with other content (then only with
/// `force`): an archive of the same name is never silently replaced.
fn upload_once(
    store: &Store,
    key: &str,
    data: &[u8],
    content_type: &str,
    force: bool,
) -> Result<(), SyncError> {
    let mut o = PutOptions::new(content_type);
    if !force {
        o.precondition = Precondition::Absent;
    }
    match store.put(key, data, &o) {
        Ok(_) => Ok(()),
        Err(StorageError::Precondition { .. }) => {
            match store.get(key, MAX_OBJECT_BYTES, "an archive")? {
                Some((now, _)) if now == data => Ok(()),
                _ => Err(SyncError::Refused {
                    what: format!(
                        "{} already exists with other content: add --force to replace it",
                        store.url_of(key)
                    ),
                }),
            }
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Serialize)]
pub struct DeleteReport {
    pub repository: String,
    pub removed: Vec<String>,
    pub deleted: Vec<String>,
    pub attempts: usize,
}

/// Removes versions of `name` from the index, then their archives,
/// `.prov` files and Sigstore bundles: a failure between the two leaves an unlisted file, never
/// a listed one that is gone.
pub fn delete_versions(
    store: &Store,
    name: &str,
    versions: &[String],
    headers: &IndexHeaders,
) -> Result<DeleteReport, SyncError> {
    let mut removed: Vec<ChartVersion> = Vec::new();
    let (_, attempts) = update_index(store, false, headers, |index| {
        removed.clear();
        let Some(list) = index.entries.get_mut(name) else {
            return Err(SyncError::Refused {
                what: format!("{} has no chart named {name}", store.url_of(INDEX)),
            });
        };
        for v in versions {
            match list.iter().position(|cv| &cv.metadata.version == v) {
                Some(i) => removed.push(list.remove(i)),
                None => {
                    return Err(SyncError::Refused {
                        what: format!("{} has no version {v} of {name}", store.url_of(INDEX)),
                    })
                }
            }
        }
        if list.is_empty() {
            index.entries.remove(name);
        }
        Ok(())
    })?;
    let keys: std::collections::HashSet<String> =
        store.list()?.into_iter().map(|m| m.key).collect();
    let mut deleted = Vec::new();
    for cv in &removed {
        for url in cv.urls.iter().flatten() {
            let Some(k) = archive_key(url, &|k| keys.contains(k)) else {
                continue;
            };
            for key in [
                k.clone(),
                format!("{k}.prov"),
                format!("{k}{SIGSTORE_SUFFIX}"),
            ] {
                if keys.contains(&key) {
                    store.delete(&key)?;
                    deleted.push(store.url_of(&key));
                }
            }
        }
    }
    Ok(DeleteReport {
        repository: store.location().url(),
        removed: removed
            .iter()
            .map(|cv| format!("{} {}", cv.metadata.name, cv.metadata.version))
            .collect(),
        deleted,
        attempts,
    })
}
