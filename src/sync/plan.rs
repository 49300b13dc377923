//! What a sync will do, worked out before anything is written: both sides
//! listed, each file compared by size and checksum, the index read and
//! checked. The dry run prints this plan; a real run carries it out.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use serde::Serialize;

use super::check::{archive_key, check_local_repository};
use super::{SyncError, INDEX, MAX_OBJECT_BYTES};
use crate::repo::{load_index, IndexFile, Strictness};
use crate::storage::{self, local_files, md5_of, LocalFile, ObjectMeta, Store, Version};

/// One side of a sync.
pub enum Endpoint {
    /// A local folder, and how the user wrote it (for messages).
    Local {
        dir: PathBuf,
        shown: String,
    },
    Store(Box<Store>),
}

impl Endpoint {
    /// The URL of `key` on this side, as the plan prints it.
    pub fn url_of(&self, key: &str) -> String {
        match self {
            Endpoint::Local { shown, .. } => format!("file://{shown}/{key}"),
            Endpoint::Store(s) => s.url_of(key),
        }
    }

    pub fn url(&self) -> String {
        match self {
            Endpoint::Local { shown, .. } => format!("file://{shown}"),
            Endpoint::Store(s) => s.location().url(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Folder to store: a publish.
    Up,
    /// Store to folder.
    Down,
}

#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// `-d`: remove what the source does not have.
    pub delete: bool,
    /// `-x`: keys matching this (from their start) are neither copied nor
    /// removed.
    pub exclude: Option<regex_lite::Regex>,
    /// Accept a destination that has files but no index.yaml.
    pub init: bool,
}

/// One thing a run does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "lowercase")]
pub enum Step {
    Copy {
        key: String,
        size: u64,
        /// Whether it replaces a different file of that name.
        replaces: bool,
    },
    Remove {
        key: String,
    },
}

/// The plan of one sync.
pub struct Plan {
    pub direction: Direction,
    /// Archives, `.prov` files and everything else, in key order.
    pub copies: Vec<Step>,
    /// The index, when it differs; written after every copy.
    pub index: Option<Step>,
    /// Written last of all, with `-d`.
    pub removes: Vec<Step>,
    pub unchanged: usize,
    pub excluded: usize,
    /// Up: the index to publish, as loaded and as bytes.
    pub(crate) local_index: Option<(IndexFile, Vec<u8>)>,
    /// Up: the version of the destination's index the plan read, or `None`
    /// when it has none (the write then requires that it still has none).
    pub(crate) remote_index_version: Option<Version>,
    /// Down: the source's index bytes, checked, written last.
    pub(crate) remote_index: Option<Vec<u8>>,
    /// The keys the destination has, for resolving index URLs.
    pub(crate) dest_keys: HashSet<String>,
}

impl Plan {
    /// Every step in the order a run takes them.
    pub fn steps(&self) -> impl Iterator<Item = &Step> {
        self.copies.iter().chain(&self.index).chain(&self.removes)
    }

    /// Whether a run would replace or remove something the destination
    /// has: what a terminal asks about.
    pub fn is_destructive(&self) -> bool {
        !self.removes.is_empty()
            || self
                .copies
                .iter()
                .chain(&self.index)
                .any(|s| matches!(s, Step::Copy { replaces: true, key, .. } if key != INDEX))
    }

    /// gsutil's dry-run lines: `Would copy SRC to DST`, `Would remove DST`.
    pub fn lines(&self, from: &Endpoint, to: &Endpoint) -> Vec<String> {
        self.steps()
            .map(|s| match s {
                Step::Copy { key, .. } => {
                    format!("Would copy {} to {}", from.url_of(key), to.url_of(key))
                }
                Step::Remove { key } => format!("Would remove {}", to.url_of(key)),
            })
            .collect()
    }

    pub fn bytes_to_copy(&self) -> u64 {
        self.copies
            .iter()
            .chain(&self.index)
            .map(|s| match s {
                Step::Copy { size, .. } => *size,
                Step::Remove { .. } => 0,
            })
            .sum()
    }
}

/// What one side has: key → size and, where known without reading, MD5.
struct Listing {
    entries: HashMap<String, (u64, Option<[u8; 16]>, Version)>,
    local: HashMap<String, PathBuf>,
}

fn list_side(side: &Endpoint) -> Result<Listing, SyncError> {
    let mut l = list_all(side)?;
    // The digest record of `helm sync index` belongs to the bucket.
    l.entries.remove(super::RECORD);
    l.local.remove(super::RECORD);
    Ok(l)
}

fn list_all(side: &Endpoint) -> Result<Listing, SyncError> {
    match side {
        Endpoint::Local { dir, .. } => {
            let files = if dir.exists() {
                local_files(dir)?
            } else {
                Vec::new()
            };
            Ok(Listing {
                entries: files
                    .iter()
                    .map(|f| (f.key.clone(), (f.meta.len(), None, Version(String::new()))))
                    .collect(),
                local: files.into_iter().map(|f| (f.key, f.path)).collect(),
            })
        }
        Endpoint::Store(s) => {
            let objects: Vec<ObjectMeta> = s.list()?;
            let local = match s.location().kind {
                storage::Kind::File => objects
                    .iter()
                    .filter_map(|o| s.local_path(&o.key).map(|p| (o.key.clone(), p)))
                    .collect(),
                _ => HashMap::new(),
            };
            Ok(Listing {
                entries: objects
                    .into_iter()
                    .map(|o| (o.key, (o.size, o.md5, o.version)))
                    .collect(),
                local,
            })
        }
    }
}

/// A scoped thread's result; its panic goes on in the caller.
fn join<T>(h: std::thread::ScopedJoinHandle<'_, T>) -> T {
    h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
}

/// The MD5 of a local file (read whole, capped).
fn file_md5(path: &std::path::Path) -> Result<[u8; 16], SyncError> {
    let data =
        crate::fileutil::read_regular(path, MAX_OBJECT_BYTES).map_err(|e| SyncError::Io {
            path: path.display().to_string(),
            source: e,
        })?;
    Ok(md5_of(&data))
}

/// Works out the plan of syncing `from` into `to`.
pub fn plan(from: &Endpoint, to: &Endpoint, o: &PlanOptions) -> Result<Plan, SyncError> {
    let direction = match (from, to) {
        (Endpoint::Local { .. }, Endpoint::Store(_)) => Direction::Up,
        (Endpoint::Store(_), Endpoint::Local { .. }) => Direction::Down,
        _ => {
            return Err(SyncError::Refused {
                what: "one side of a sync must be a local folder and the other gs://, s3://, azblob:// or file:// URL".into(),
            })
        }
    };
    let excluded = |k: &str| o.exclude.as_ref().is_some_and(|r| r.is_match(k));
    let store = match (from, to) {
        (Endpoint::Store(s), _) | (_, Endpoint::Store(s)) => s,
        _ => unreachable!(),
    };
    // The store's listing and its index are fetched while the folder is
    // walked and its archives hashed: the two waits overlap.
    let (src, dst, remote_index, checked) = std::thread::scope(|s| {
        let dst = s.spawn(|| list_side(to));
        // The store's index is checked as it arrives: one that does not
        // load is never overwritten, nor fetched into a folder.
        let remote_index = s.spawn(|| -> Result<_, SyncError> {
            let got = store.get(INDEX, crate::repo::MAX_INDEX_FILE_SIZE, "an index")?;
            // The very bytes of the folder's index (which is loaded, strictly,
            // meanwhile) need no second reading.
            let same_as_ours = match (&got, from) {
                (Some((bytes, _)), Endpoint::Local { dir, .. }) => crate::fileutil::read_regular(
                    &dir.join(INDEX),
                    crate::repo::MAX_INDEX_FILE_SIZE,
                )
                .is_ok_and(|ours| &ours == bytes),
                _ => false,
            };
            if let (Some((bytes, _)), false) = (&got, same_as_ours) {
                let url = store.url_of(INDEX);
                load_index(bytes, &url, Strictness::Lenient)
                    .map_err(|e| SyncError::BadIndex { url, source: e })?;
            }
            Ok(got)
        });
        let src = list_side(from);
        let checked = match from {
            Endpoint::Local { dir, shown } if direction == Direction::Up => Some(
                local_files(dir)
                    .map_err(SyncError::from)
                    .and_then(|files: Vec<LocalFile>| check_local_repository(shown, &files)),
            ),
            _ => None,
        };
        (src, join(dst), join(remote_index), checked)
    });
    let checked = checked.transpose()?;
    let src = src?;
    let dst = dst?;
    let remote_index = remote_index?;
    let mut plan = Plan {
        direction,
        copies: Vec::new(),
        index: None,
        removes: Vec::new(),
        unchanged: 0,
        excluded: 0,
        local_index: None,
        remote_index_version: None,
        remote_index: None,
        dest_keys: dst.entries.keys().cloned().collect(),
    };

    // The repository checks, before any comparison; but a destination
    // without index.yaml is refused for its other objects (unless `init`)
    // only after it, see `unindexed` below.
    let mut unindexed: Option<SyncError> = None;
    let mut local_md5s: HashMap<String, [u8; 16]> = HashMap::new();
    match (from, to) {
        (Endpoint::Local { .. }, Endpoint::Store(store)) => {
            let (index, bytes, md5s) = checked.expect("an upward plan checks the folder");
            plan.local_index = Some((index, bytes));
            local_md5s = md5s;
            match remote_index {
                Some((_, version)) => plan.remote_index_version = Some(version),
                None => {
                    unindexed = Some(SyncError::NotRepository {
                        what: store.location().url(),
                        hint: " but other objects: add --init to publish a repository there anyway",
                    });
                }
            }
        }
        (Endpoint::Store(store), Endpoint::Local { shown, .. }) => {
            let Some((bytes, _)) = remote_index else {
                return Err(SyncError::NotRepository {
                    what: store.location().url(),
                    hint: "",
                });
            };
            plan.remote_index = Some(bytes);
            if !dst.entries.contains_key(INDEX) {
                unindexed = Some(SyncError::NotRepository {
                    what: format!("the folder {shown}"),
                    hint: " but other files: add --init to fetch a repository into it anyway",
                });
            }
        }
        _ => unreachable!(),
    }

    // A store names its objects as it likes: refuse, before anything is
    // written, any name that is not a plain path inside the folder.
    if let Endpoint::Local { dir, .. } = to {
        for key in src.entries.keys().filter(|k| !excluded(k)) {
            super::publish::safe_path(dir, key)?;
        }
    }

    // Compare: sizes first, then checksums where one side has them.
    let mut keys: Vec<&String> = src.entries.keys().collect();
    keys.sort();
    let mut need_md5: Vec<(&String, PathBuf, Option<PathBuf>)> = Vec::new();
    let mut decided: Vec<(&String, bool, bool)> = Vec::new(); // key, copy, replaces
    for key in keys {
        if excluded(key) {
            plan.excluded += 1;
            continue;
        }
        let (size, src_md5, _) = &src.entries[key];
        let Some((dsize, dst_md5, _)) = dst.entries.get(key) else {
            decided.push((key, true, false));
            continue;
        };
        if size != dsize {
            decided.push((key, true, true));
            continue;
        }
        // Both sizes agree: a checksum decides. The local side computes
        // its MD5; the store side has one, or is a folder read likewise.
        let (src_path, dst_path) = (src.local.get(key), dst.local.get(key));
        let have_dst = dst_md5.is_some() || dst_path.is_some();
        let have_src = src_md5.is_some() || src_path.is_some();
        if !(have_dst && have_src) {
            decided.push((key, true, true));
            continue;
        }
        match (src_md5, dst_md5) {
            (Some(a), Some(b)) => decided.push((key, a != b, true)),
            (None, Some(d)) => match local_md5s.get(key.as_str()) {
                Some(m) => decided.push((key, m != d, true)),
                None => need_md5.push((key, src_path.unwrap().clone(), None)),
            },
            (Some(_), None) => need_md5.push((key, dst_path.unwrap().clone(), None)),
            (None, None) => need_md5.push((
                key,
                src_path.unwrap().clone(),
                Some(dst_path.unwrap().clone()),
            )),
        }
    }
    let sums = crate::parallel::map(&need_md5, |(_, a, b)| -> Result<_, SyncError> {
        Ok((file_md5(a)?, b.as_deref().map(file_md5).transpose()?))
    });
    for ((key, _, _), sum) in need_md5.iter().zip(sums) {
        let (local, other) = sum?;
        let (_, src_md5, _) = &src.entries[*key];
        let (_, dst_md5, _) = &dst.entries[*key];
        let theirs = other.or(*dst_md5).or(*src_md5);
        let differ = match (src_md5, dst_md5) {
            (None, Some(d)) => local != *d,
            (Some(s), None) => local != *s,
            _ => Some(local) != theirs,
        };
        decided.push((key, differ, true));
    }
    decided.sort();
    // Objects the source has byte for byte are not someone else's: they are
    // what a run that stopped before the index (archives go first) left
    // behind, and the run that finishes its job must not need --init.
    if let Some(refusal) = unindexed {
        let same: HashSet<&String> = decided
            .iter()
            .filter(|(_, copy, _)| !copy)
            .map(|(k, _, _)| *k)
            .collect();
        let others = dst
            .entries
            .keys()
            .any(|k| !excluded(k) && !same.contains(k));
        if others && !o.init {
            return Err(refusal);
        }
    }
    for (key, copy, replaces) in decided {
        if !copy {
            plan.unchanged += 1;
            continue;
        }
        let step = Step::Copy {
            key: key.clone(),
            size: src.entries[key].0,
            replaces,
        };
        if key == INDEX {
            plan.index = Some(step);
        } else {
            plan.copies.push(step);
        }
    }
    if o.delete {
        let mut gone: Vec<&String> = dst
            .entries
            .keys()
            .filter(|k| !src.entries.contains_key(*k) && !excluded(k))
            .collect();
        gone.sort();
        plan.removes = gone
            .into_iter()
            .map(|k| Step::Remove { key: k.clone() })
            .collect();
    }
    Ok(plan)
}

/// The keys of `index`'s archives among `keys`.
pub(crate) fn listed_keys(index: &IndexFile, keys: &HashSet<String>) -> HashSet<String> {
    let mut out = HashSet::new();
    for cv in index.entries.values().flatten() {
        for url in cv.urls.iter().flatten() {
            if let Some(k) = archive_key(url, &|k| keys.contains(k)) {
                out.insert(format!("{k}.prov"));
                out.insert(format!("{k}{}", super::update::SIGSTORE_SUFFIX));
                out.insert(k);
            }
        }
    }
    out
}
