//! Safe file replacement (`internal/fileutil` in Helm, made stricter), and
//! safe reading of the files a user names.
//!
//! An index is either the old file or the complete new one, whatever happens
//! to the process: the new content goes to a temporary file in the same
//! folder, is flushed to disk, and is renamed over the target. Writers of the
//! same folder serialise on an advisory lock, so two runs never interleave a
//! read-modify-write and lose each other's entries.
//!
//! Every file read into memory is read with [`read_regular`]: a path may
//! name a FIFO (which blocks a plain open), a device such as `/dev/zero`
//! (which never ends) or a sparse file of terabytes, and none of those may
//! hang a run or exhaust memory. Each kind of file has its own cap, a named
//! constant beside the code that reads it.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Prefix of temporary files; [`remove_stale_temps`] relies on it.
const TEMP_MARK: &str = ".tmp-wharf-";

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `path` atomically with the bytes produced by `fill`, mode 0644.
pub fn atomic_write(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    write_then_rename(path, fill, true)
}

/// [`atomic_write`] without flushing to disk: a reader sees the old file or
/// the new one, but after a crash the new one may be empty. For many files
/// written together and made durable at once by [`sync_filesystem`] before
/// anything refers to them (a download: the archives, one flush, then the
/// index that lists them), which saves two flushes a file.
pub fn atomic_write_unsynced(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    write_then_rename(path, fill, false)
}

/// Flushes every file written under `dir` to disk: one `syncfs(2)` on
/// Linux; elsewhere the whole system's `sync(2)`.
pub fn sync_filesystem(dir: &Path) -> io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::io::AsRawFd;
        let d = File::open(dir)?;
        // SAFETY: syncfs takes an open descriptor, which `d` keeps open.
        if unsafe { libc::syncfs(d.as_raw_fd()) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
    #[cfg(all(unix, not(target_os = "linux")))]
    {
        let _ = dir;
        // SAFETY: sync takes no arguments and cannot fail.
        unsafe { libc::sync() };
        Ok(())
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// A new file, complete or not at all, that never replaces one: written
/// to a temporary file with `mode` from its creation on (a private key is
/// never readable by others, not even for a moment), flushed, then linked
/// to `path`, which fails with `AlreadyExists` if `path` appeared meanwhile
/// (two runs racing get one winner, and the loser's key is discarded).
#[cfg_attr(not(feature = "prov"), allow(dead_code))]
pub fn atomic_create_new(
    path: &Path,
    mode: u32,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let dir = parent_dir(path);
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file path"))?;
    let (tmp_path, file) = create_temp_mode(&dir, &name.to_string_lossy(), mode)?;
    let result = (|| {
        let mut w = BufWriter::new(file);
        fill(&mut w)?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        drop(file);
        fs::hard_link(&tmp_path, path)?;
        sync_dir(&dir);
        Ok(())
    })();
    let _ = fs::remove_file(&tmp_path);
    result
}

fn write_then_rename(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    durable: bool,
) -> io::Result<()> {
    let dir = parent_dir(path);
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file path"))?;
    let (tmp_path, file) = create_temp(&dir, &name.to_string_lossy())?;
    let result = (|| {
        let mut w = BufWriter::with_capacity(1 << 20, file);
        fill(&mut w)?;
        let file = w.into_inner().map_err(|e| e.into_error())?;
        if durable {
            file.sync_all()?;
        }
        drop(file);
        fs::rename(&tmp_path, path)?;
        if durable {
            sync_dir(&dir);
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp_path);
    }
    result
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn create_temp(dir: &Path, name: &str) -> io::Result<(PathBuf, File)> {
    create_temp_mode(dir, name, 0o644)
}

fn create_temp_mode(dir: &Path, name: &str, mode: u32) -> io::Result<(PathBuf, File)> {
    #[cfg(not(unix))]
    let _ = mode;
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{name}{TEMP_MARK}{}-{n}", std::process::id()));
        let mut opts = OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(mode);
        }
        match opts.open(&tmp) {
            Ok(f) => {
                #[cfg(unix)]
                {
                    // The umask may have narrowed the mode; Helm's index is 0644.
                    use std::os::unix::fs::PermissionsExt;
                    f.set_permissions(fs::Permissions::from_mode(mode))?;
                }
                return Ok((tmp, f));
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Makes the rename durable; best effort, as some filesystems refuse it.
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// Removes temporary files left for `name` in `dir` by a run that was killed
/// mid-write. Call it only while holding [`DirLock`], so no live writer's
/// temporary file is touched.
pub fn remove_stale_temps(dir: &Path, name: &str) {
    let prefix = format!(".{name}{TEMP_MARK}");
    if let Ok(rd) = fs::read_dir(dir) {
        for e in rd.flatten() {
            if e.file_name().to_string_lossy().starts_with(&prefix) {
                let _ = fs::remove_file(e.path());
            }
        }
    }
}

/// An exclusive advisory lock on a folder, released on drop.
///
/// On Unix the folder itself is locked (flock on its descriptor), which leaves
/// nothing behind in a chart repository that is later published as is.
#[derive(Debug)]
pub struct DirLock {
    _file: File,
    #[cfg(not(unix))]
    path: PathBuf,
}

impl DirLock {
    /// Blocks until the lock on `dir` is held.
    pub fn acquire(dir: &Path) -> io::Result<DirLock> {
        #[cfg(unix)]
        {
            let file = File::open(dir)?;
            file.lock()?;
            Ok(DirLock { _file: file })
        }
        #[cfg(not(unix))]
        {
            let path = dir.join(".wharf.lock");
            let file = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)?;
            file.lock()?;
            Ok(DirLock { _file: file, path })
        }
    }
}

#[cfg(not(unix))]
impl Drop for DirLock {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// Opens `path` for reading if it is a regular file, following symlinks as
/// Helm does. The open does not block on a FIFO (`O_NONBLOCK`, which has no
/// effect on a regular file), and the type is checked on the opened file,
/// so a path swapped after a check cannot slip through.
pub fn open_regular(path: &Path) -> io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NONBLOCK);
    }
    let file = opts.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("not a regular file ({})", file_kind(&meta)),
        ));
    }
    Ok(file)
}

fn file_kind(meta: &fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if meta.is_dir() {
        "a folder"
    } else {
        "not a file"
    }
}

/// The error of a file over its cap of `max` bytes.
pub fn too_large(max: u64) -> io::Error {
    const MIB: u64 = 1024 * 1024;
    let limit = if max.is_multiple_of(MIB) {
        format!("{} MiB", max / MIB)
    } else {
        format!("{max} bytes")
    };
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("larger than {limit}, the limit for this kind of file"),
    )
}

/// Reads a regular file ([`open_regular`]) of at most `max_bytes`; a larger
/// one is refused from its size before anything is read, and reading stops
/// past the cap should it grow meanwhile.
pub fn read_regular(path: &Path, max_bytes: u64) -> io::Result<Vec<u8>> {
    let file = open_regular(path)?;
    let len = file.metadata()?.len();
    if len > max_bytes {
        return Err(too_large(max_bytes));
    }
    let mut data = Vec::with_capacity(len as usize);
    file.take(max_bytes + 1).read_to_end(&mut data)?;
    if data.len() as u64 > max_bytes {
        return Err(too_large(max_bytes));
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_content_and_leaves_no_temp() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("index.yaml");
        fs::write(&p, "old").unwrap();
        atomic_write(&p, |w| w.write_all(b"new")).unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "new");
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 1);
    }

    #[test]
    fn failed_fill_keeps_old_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("index.yaml");
        fs::write(&p, "old").unwrap();
        let err = atomic_write(&p, |w| {
            w.write_all(b"partial")?;
            Err(io::Error::other("boom"))
        });
        assert!(err.is_err());
        assert_eq!(fs::read_to_string(&p).unwrap(), "old");
        assert_eq!(fs::read_dir(d.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn written_file_is_0644() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("index.yaml");
        atomic_write(&p, |w| w.write_all(b"x")).unwrap();
        let mode = fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644);
    }

    #[test]
    fn stale_temps_are_removed() {
        let d = tempfile::tempdir().unwrap();
        let stale = d.path().join(format!(".index.yaml{TEMP_MARK}1-0"));
        fs::write(&stale, "x").unwrap();
        fs::write(d.path().join("keep.tgz"), "x").unwrap();
        remove_stale_temps(d.path(), "index.yaml");
        assert!(!stale.exists());
        assert!(d.path().join("keep.tgz").exists());
    }

    #[test]
    fn lock_is_exclusive_between_handles() {
        let d = tempfile::tempdir().unwrap();
        let held = DirLock::acquire(d.path()).unwrap();
        let f = File::open(d.path()).unwrap();
        assert!(matches!(f.try_lock(), Err(fs::TryLockError::WouldBlock)));
        drop(held);
        assert!(f.try_lock().is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn only_regular_files_within_the_cap_are_read() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f");
        fs::write(&p, "abc").unwrap();
        assert_eq!(read_regular(&p, 3).unwrap(), b"abc");
        let e = read_regular(&p, 2).unwrap_err();
        assert!(e.to_string().starts_with("larger than 2 bytes"), "{e}");
        let link = d.path().join("link");
        std::os::unix::fs::symlink(&p, &link).unwrap();
        assert_eq!(read_regular(&link, 3).unwrap(), b"abc");
        let zero = d.path().join("zero");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        let e = read_regular(&zero, 1 << 20).unwrap_err();
        assert!(e.to_string().contains("character device"), "{e}");
        let fifo = d.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = read_regular(&fifo, 1 << 20).unwrap_err();
        assert!(e.to_string().contains("FIFO"), "{e}");
        let e = read_regular(d.path(), 1 << 20).unwrap_err();
        assert!(e.to_string().contains("folder"), "{e}");
        assert_eq!(
            read_regular(&d.path().join("missing"), 1)
                .unwrap_err()
                .kind(),
            io::ErrorKind::NotFound
        );
    }
}
