//! Carrying out a plan. Up: files, then the index under its precondition,
//! then removals, sparing whatever the index then published lists. Down:
//! files, then the index (checked, written last), then removals. Every
//! local file is written atomically, and a key from a store is written only
//! if it names a path inside the folder.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use super::plan::{listed_keys, Direction, Endpoint, Plan, Step};
use super::update::{update_index, IndexHeaders};
use super::{SyncError, INDEX, MAX_OBJECT_BYTES};
use crate::cli::Progress;
use crate::repo::{load_index, Strictness};
use crate::storage::{Precondition, PutOptions, StorageError, Store};

/// Parallel transfers: the stores serve many at once, and a chart is small.
const WORKERS: usize = 16;

/// Parallel downloads. Fewer than uploads: a GET is answered from the
/// store's memory, so past a few in flight the store's own CPU is the limit
/// (Azurite's equals the wall time of a 1000-chart download), and more
/// requests only queue there. Against 16, 8 kept the GCS and S3 downloads
/// within their run-to-run spread and took Azurite's from 0.99x to 1.04x of
/// rclone's time (README, "Benchmark: `helm sync`").
const DOWNLOAD_WORKERS: usize = 8;

#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// On a conflict over the index, merge with the one published meanwhile
    /// and try again, instead of stopping.
    pub merge_remote: bool,
    pub headers: IndexHeaders,
}

#[derive(Debug, Default, Serialize)]
pub struct RunReport {
    pub direction: Option<Direction>,
    pub copied: usize,
    pub bytes: u64,
    pub index_written: bool,
    pub removed: usize,
    /// Removals skipped because the published index lists them.
    pub kept: Vec<String>,
    pub unchanged: usize,
    pub excluded: usize,
    /// Whether the index was merged with one published meanwhile.
    pub merged_remote: bool,
}

/// Carries out `plan` from `from` into `to`.
pub fn run(
    plan: &Plan,
    from: &Endpoint,
    to: &Endpoint,
    o: &RunOptions,
    progress: &Progress,
) -> Result<RunReport, SyncError> {
    let mut report = RunReport {
        direction: Some(plan.direction),
        unchanged: plan.unchanged,
        excluded: plan.excluded,
        ..RunReport::default()
    };
    let done_bytes = AtomicU64::new(0);
    let tick = |bytes: u64| {
        done_bytes.fetch_add(bytes, Ordering::Relaxed);
        progress.advance(1, bytes);
    };
    match (from, to) {
        (Endpoint::Local { dir, shown }, Endpoint::Store(store)) => {
            let results = crate::parallel::map_with(&plan.copies, WORKERS, |s| {
                let Step::Copy { key, size, .. } = s else {
                    return Ok(());
                };
                upload(store, &dir.join(key), key)?;
                tick(*size);
                Ok::<(), SyncError>(())
            });
            results.into_iter().collect::<Result<Vec<()>, _>>()?;
            report.copied = plan.copies.len();
            report.bytes = done_bytes.load(Ordering::Relaxed);
            let (local_index, local_bytes) = plan
                .local_index
                .as_ref()
                .expect("an upward plan has the local index");
            if plan.index.is_some() {
                let precondition = match &plan.remote_index_version {
                    Some(v) => Precondition::Matches(v.clone()),
                    None => Precondition::Absent,
                };
                let put = PutOptions {
                    content_type: &o.headers.content_type,
                    cache_control: Some(&o.headers.cache_control),
                    precondition,
                };
                match store.put(INDEX, local_bytes, &put) {
                    Ok(_) => {}
                    Err(StorageError::Precondition { url }) => {
                        if !o.merge_remote {
                            return Err(SyncError::Conflict { url });
                        }
                        update_index(store, true, &o.headers, |remote| {
                            let theirs = std::mem::take(remote);
                            let mut merged = local_index.clone();
                            merged.merge(theirs);
                            *remote = merged;
                            Ok(())
                        })?;
                        report.merged_remote = true;
                    }
                    Err(e) => return Err(e.into()),
                }
                report.index_written = true;
                tick(local_bytes.len() as u64);
                report.bytes += local_bytes.len() as u64;
            }
            if !plan.removes.is_empty() {
                // What the repository publishes now, whoever wrote it last:
                // none of its archives may go.
                let keys: HashSet<String> = plan
                    .dest_keys
                    .iter()
                    .cloned()
                    .chain(plan.copies.iter().filter_map(|s| match s {
                        Step::Copy { key, .. } => Some(key.clone()),
                        _ => None,
                    }))
                    .collect();
                let protected =
                    match store.get(INDEX, crate::repo::MAX_INDEX_FILE_SIZE, "an index")? {
                        Some((bytes, _)) => {
                            let url = store.url_of(INDEX);
                            let index = load_index(&bytes, &url, Strictness::Lenient)
                                .map_err(|e| SyncError::BadIndex { url, source: e })?
                                .index;
                            listed_keys(&index, &keys)
                        }
                        None => HashSet::new(),
                    };
                remove_all(plan, &protected, &mut report, |key| {
                    store.delete(key).map_err(SyncError::from)
                })?;
            }
            let _ = shown;
        }
        (Endpoint::Store(store), Endpoint::Local { dir, .. }) => {
            std::fs::create_dir_all(dir).map_err(|e| SyncError::Io {
                path: dir.display().to_string(),
                source: e,
            })?;
            let results = crate::parallel::map_with(&plan.copies, DOWNLOAD_WORKERS, |s| {
                let Step::Copy { key, .. } = s else {
                    return Ok(());
                };
                let n = download(store, dir, key)?;
                tick(n);
                Ok::<(), SyncError>(())
            });
            results.into_iter().collect::<Result<Vec<()>, _>>()?;
            // The files are on disk before the index that lists them is.
            if !plan.copies.is_empty() {
                crate::fileutil::sync_filesystem(dir).map_err(|e| SyncError::Io {
                    path: dir.display().to_string(),
                    source: e,
                })?;
            }
            report.copied = plan.copies.len();
            report.bytes = done_bytes.load(Ordering::Relaxed);
            let index_bytes = plan
                .remote_index
                .as_ref()
                .expect("a downward plan has the source's index");
            if plan.index.is_some() {
                write_local(dir, INDEX, index_bytes)?;
                report.index_written = true;
                report.bytes += index_bytes.len() as u64;
                tick(index_bytes.len() as u64);
            }
            if !plan.removes.is_empty() {
                let url = store.url_of(INDEX);
                let index = load_index(index_bytes, &url, Strictness::Lenient)
                    .map_err(|e| SyncError::BadIndex { url, source: e })?
                    .index;
                let keys: HashSet<String> = plan
                    .removes
                    .iter()
                    .filter_map(|s| match s {
                        Step::Remove { key } => Some(key.clone()),
                        _ => None,
                    })
                    .collect();
                let protected = listed_keys(&index, &keys);
                remove_all(plan, &protected, &mut report, |key| {
                    let path = safe_path(dir, key)?;
                    match std::fs::remove_file(&path) {
                        Ok(()) => Ok(()),
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                        Err(e) => Err(SyncError::Io {
                            path: path.display().to_string(),
                            source: e,
                        }),
                    }
                })?;
            }
        }
        _ => unreachable!("plan() accepts only a folder and a store"),
    }
    Ok(report)
}

fn remove_all(
    plan: &Plan,
    protected: &HashSet<String>,
    report: &mut RunReport,
    remove: impl Fn(&str) -> Result<(), SyncError> + Sync,
) -> Result<(), SyncError> {
    let keys: Vec<&String> = plan
        .removes
        .iter()
        .filter_map(|s| match s {
            Step::Remove { key } => Some(key),
            _ => None,
        })
        .collect();
    let (kept, gone): (Vec<&String>, Vec<&String>) = keys
        .into_iter()
        .partition(|k| protected.contains(*k) || *k == INDEX);
    report.kept = kept.into_iter().cloned().collect();
    let results = crate::parallel::map_with(&gone, WORKERS, |k| remove(k));
    results.into_iter().collect::<Result<Vec<()>, _>>()?;
    report.removed = gone.len();
    Ok(())
}

/// The content type of a file by its name.
pub(crate) fn content_type(key: &str) -> &'static str {
    let ext = key.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("tgz" | "gz") => "application/gzip",
        Some("prov") => "application/pgp-signature",
        Some("yaml" | "yml") => "text/yaml",
        Some("json") => "application/json",
        Some("txt" | "md") => "text/plain",
        Some("html" | "htm") => "text/html",
        _ => "application/octet-stream",
    }
}

fn upload(store: &Store, path: &Path, key: &str) -> Result<(), SyncError> {
    let data =
        crate::fileutil::read_regular(path, MAX_OBJECT_BYTES).map_err(|e| SyncError::Io {
            path: path.display().to_string(),
            source: e,
        })?;
    store.put(key, &data, &PutOptions::new(content_type(key)))?;
    Ok(())
}

fn download(store: &Store, dir: &Path, key: &str) -> Result<u64, SyncError> {
    let path = safe_path(dir, key)?;
    let Some((data, _)) = store.get(key, MAX_OBJECT_BYTES, "a file")? else {
        return Err(SyncError::Storage(StorageError::NotFound {
            url: store.url_of(key),
        }));
    };
    write_at(&path, &data, false)?;
    Ok(data.len() as u64)
}

fn write_local(dir: &Path, key: &str, data: &[u8]) -> Result<(), SyncError> {
    write_at(&safe_path(dir, key)?, data, true)
}

/// Writes one file atomically; `durable` flushes it to disk at once (the
/// index), else the caller flushes the folder when all are written.
fn write_at(path: &Path, data: &[u8], durable: bool) -> Result<(), SyncError> {
    let io = |e| SyncError::Io {
        path: path.display().to_string(),
        source: e,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    let fill = |w: &mut dyn std::io::Write| w.write_all(data);
    if durable {
        crate::fileutil::atomic_write(path, fill).map_err(io)
    } else {
        crate::fileutil::atomic_write_unsynced(path, fill).map_err(io)
    }
}

/// `dir/key` if `key` is a plain relative path: no empty, `.` or `..`
/// segment, no backslash or control character. A hostile bucket names its
/// objects as it likes; none of them may land outside the folder.
pub(crate) fn safe_path(dir: &Path, key: &str) -> Result<PathBuf, SyncError> {
    let ok = !key.is_empty()
        && key.len() <= 1024
        && !key.starts_with('/')
        && !key.contains('\\')
        && !key.chars().any(|c| c.is_control())
        && key
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != "..");
    if !ok {
        return Err(SyncError::UnsafeKey {
            key: crate::cli::output::clip(key).into_owned(),
            dir: dir.display().to_string(),
        });
    }
    Ok(dir.join(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_relative_keys_become_paths() {
        let d = Path::new("/repo");
        assert_eq!(safe_path(d, "a/b.tgz").unwrap(), Path::new("/repo/a/b.tgz"));
        for bad in [
            "",
            "/etc/x",
            "a/../../x",
            "..",
            "a//b",
            "./a",
            "a\\b",
            "a\nb",
        ] {
            assert!(safe_path(d, bad).is_err(), "{bad:?}");
        }
        assert_eq!(content_type("a-1.0.0.tgz"), "application/gzip");
        assert_eq!(content_type("index.yaml"), "text/yaml");
        assert_eq!(content_type("README"), "application/octet-stream");
    }
}
