//! A local folder as a store (`file:///PATH`): the same operations on
//! files, with the folder lock standing in for a store's preconditions, so
//! two runs publishing to one folder serialise like two publishers to a
//! bucket.

use std::fs;
use std::path::{Path, PathBuf};

use super::{Location, ObjectMeta, Precondition, PutOptions, StorageError, Version, MAX_OBJECTS};
use crate::fileutil;

pub(crate) struct FileStore {
    root: PathBuf,
}

/// Deeper than any chart repository; a bound on a crafted tree.
const MAX_DEPTH: usize = 32;

impl FileStore {
    pub fn new(loc: &Location) -> Result<FileStore, StorageError> {
        let root = PathBuf::from(&loc.bucket);
        match fs::metadata(&root) {
            Ok(m) if m.is_dir() => Ok(FileStore { root }),
            Ok(_) => Err(StorageError::Invalid {
                url: loc.url(),
                what: "not a folder".into(),
            }),
            Err(e) => Err(StorageError::Io {
                path: root.display().to_string(),
                source: e,
            }),
        }
    }

    pub fn path_of(&self, key: &str) -> PathBuf {
        self.root.join(key)
    }

    fn io(&self, path: &Path, e: std::io::Error) -> StorageError {
        StorageError::Io {
            path: path.display().to_string(),
            source: e,
        }
    }

    pub fn list(&self) -> Result<Vec<ObjectMeta>, StorageError> {
        local_files(&self.root)?
            .into_iter()
            .map(|f| {
                Ok(ObjectMeta {
                    version: version_of(&f.meta),
                    key: f.key,
                    size: f.meta.len(),
                    md5: None,
                })
            })
            .collect()
    }

    pub fn get(
        &self,
        key: &str,
        limit: u64,
        what: &'static str,
    ) -> Result<(Vec<u8>, Version), StorageError> {
        let path = self.path_of(key);
        let file = match fileutil::open_regular(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StorageError::NotFound {
                    url: format!("file://{}", path.display()),
                })
            }
            Err(e) => return Err(self.io(&path, e)),
        };
        let meta = file.metadata().map_err(|e| self.io(&path, e))?;
        if meta.len() > limit {
            return Err(StorageError::TooLarge {
                url: format!("file://{}", path.display()),
                what,
                limit,
            });
        }
        let data = fileutil::read_regular(&path, limit).map_err(|e| self.io(&path, e))?;
        Ok((data, version_of(&meta)))
    }

    pub fn put(&self, key: &str, body: &[u8], o: &PutOptions) -> Result<Version, StorageError> {
        let path = self.path_of(key);
        let dir = path.parent().unwrap_or(&self.root).to_path_buf();
        fs::create_dir_all(&dir).map_err(|e| self.io(&dir, e))?;
        let _lock = fileutil::DirLock::acquire(&dir).map_err(|e| self.io(&dir, e))?;
        let now = match fs::symlink_metadata(&path) {
            Ok(m) => Some(version_of(&m)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(self.io(&path, e)),
        };
        let holds = match (&o.precondition, &now) {
            (Precondition::None, _) => true,
            (Precondition::Absent, now) => now.is_none(),
            (Precondition::Matches(v), Some(now)) => v == now,
            (Precondition::Matches(_), None) => false,
        };
        if !holds {
            return Err(StorageError::Precondition {
                url: format!("file://{}", path.display()),
            });
        }
        fileutil::atomic_write(&path, |w| w.write_all(body)).map_err(|e| self.io(&path, e))?;
        let m = fs::metadata(&path).map_err(|e| self.io(&path, e))?;
        Ok(version_of(&m))
    }

    pub fn delete(&self, key: &str) -> Result<(), StorageError> {
        let path = self.path_of(key);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(self.io(&path, e)),
        }
    }
}

/// A file's identity for preconditions: size, modification time to the
/// nanosecond, inode. An atomic replace always changes the inode.
fn version_of(m: &fs::Metadata) -> Version {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Version(format!(
            "{}-{}.{}-{}",
            m.len(),
            m.mtime(),
            m.mtime_nsec(),
            m.ino()
        ))
    }
    #[cfg(not(unix))]
    {
        let t = m
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        Version(format!("{}-{t}", m.len()))
    }
}

/// A regular file under a folder being synced.
#[derive(Debug)]
pub struct LocalFile {
    /// Its path relative to the folder, `/`-separated.
    pub key: String,
    pub path: PathBuf,
    pub meta: fs::Metadata,
}

/// Every regular file under `root`, recursively, sorted by key. Symlinks
/// are followed to files only (never into folders, so a link cannot make
/// a loop or reach outside), and temporary files of an interrupted write
/// are left out. Names that are not UTF-8 cannot be object keys: they are
/// an error rather than silently skipped.
pub fn local_files(root: &Path) -> Result<Vec<LocalFile>, StorageError> {
    let mut out = Vec::new();
    let mut stack = vec![(root.to_path_buf(), String::new(), 0usize)];
    let io = |p: &Path, e: std::io::Error| StorageError::Io {
        path: p.display().to_string(),
        source: e,
    };
    while let Some((dir, prefix, depth)) = stack.pop() {
        let rd = fs::read_dir(&dir).map_err(|e| io(&dir, e))?;
        for entry in rd {
            let entry = entry.map_err(|e| io(&dir, e))?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                return Err(StorageError::Invalid {
                    url: entry.path().display().to_string(),
                    what: "the file name is not UTF-8, so it cannot be an object name".into(),
                });
            };
            if name.contains(".tmp-wharf-") {
                continue;
            }
            let key = format!("{prefix}{name}");
            let path = entry.path();
            let ft = entry.file_type().map_err(|e| io(&path, e))?;
            if ft.is_dir() {
                if depth + 1 >= MAX_DEPTH {
                    return Err(StorageError::Invalid {
                        url: path.display().to_string(),
                        what: format!("folders nested deeper than {MAX_DEPTH}"),
                    });
                }
                stack.push((path, format!("{key}/"), depth + 1));
                continue;
            }
            let meta = if ft.is_symlink() {
                match fs::metadata(&path) {
                    Ok(m) if m.is_file() => m,
                    _ => continue,
                }
            } else if ft.is_file() {
                entry.metadata().map_err(|e| io(&path, e))?
            } else {
                continue;
            };
            out.push(LocalFile { key, path, meta });
            if out.len() > MAX_OBJECTS {
                return Err(StorageError::Invalid {
                    url: root.display().to_string(),
                    what: format!("more than {MAX_OBJECTS} files"),
                });
            }
        }
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preconditions_hold_on_a_folder_as_on_a_bucket() {
        let d = tempfile::tempdir().unwrap();
        let loc = Location::parse(&format!("file://{}", d.path().display())).unwrap();
        let s = FileStore::new(&loc).unwrap();
        let mut o = PutOptions::new("text/yaml");
        o.precondition = Precondition::Absent;
        let v1 = s.put("index.yaml", b"a", &o).unwrap();
        assert!(matches!(
            s.put("index.yaml", b"b", &o),
            Err(StorageError::Precondition { .. })
        ));
        o.precondition = Precondition::Matches(v1.clone());
        let v2 = s.put("index.yaml", b"bb", &o).unwrap();
        assert_ne!(v1, v2);
        assert!(matches!(
            s.put("index.yaml", b"c", &o),
            Err(StorageError::Precondition { .. })
        ));
        s.put("sub/x.tgz", b"x", &PutOptions::new("application/gzip"))
            .unwrap();
        let keys: Vec<String> = s.list().unwrap().into_iter().map(|m| m.key).collect();
        assert_eq!(keys, ["index.yaml", "sub/x.tgz"]);
        assert_eq!(s.get("index.yaml", 10, "x").unwrap().0, b"bb");
        assert!(matches!(
            s.get("index.yaml", 1, "x"),
            Err(StorageError::TooLarge { .. })
        ));
        s.delete("sub/x.tgz").unwrap();
        s.delete("sub/x.tgz").unwrap();
        assert!(matches!(
            s.get("sub/x.tgz", 10, "x"),
            Err(StorageError::NotFound { .. })
        ));
    }
}
