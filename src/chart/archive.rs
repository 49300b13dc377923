//! Reading chart archives (`pkg/chart/loader/archive.go`) without extracting.
//!
//! Helm refuses archives with absolute or parent paths, a `Chart.yaml` outside
//! the top folder, files over 5 MiB and more than 100 MiB in total. The same
//! checks run here on the stream, before anything is kept, and nothing is ever
//! written to disk. On top of Helm's limits, every archive shares one budget of
//! decompressed bytes with the subchart archives nested in it, so a chart that
//! nests compressed archives cannot make a run take minutes.

use std::io::{self, Read};

use flate2::read::MultiGzDecoder;
use thiserror::Error;

/// Helm's `MaxDecompressedFileSize`.
pub const MAX_FILE_SIZE: u64 = 5 * 1024 * 1024;
/// Helm's `MaxDecompressedChartSize`.
pub const MAX_CHART_SIZE: u64 = 100 * 1024 * 1024;
/// Decompressed bytes (tar framing included) one top-level archive may
/// produce across all nesting levels.
pub const STREAM_BUDGET: u64 = 256 * 1024 * 1024;
/// The largest chart archive file read. Helm caps what an archive expands
/// to at [`MAX_CHART_SIZE`], which a gzip stream cannot fit into a much
/// larger file (except by padding it with empty members), so a file this
/// large is no chart Helm would load.
pub const MAX_ARCHIVE_FILE_SIZE: u64 = 128 * 1024 * 1024;

/// A file from an archive. Only the files that decide whether and how a
/// chart loads keep their bytes; the rest keep their name.
#[derive(Debug, Clone)]
pub struct BufferedFile {
    pub name: String,
    pub data: Vec<u8>,
}

#[derive(Debug, Error)]
pub enum ArchiveError {
    #[error("not a gzipped archive")]
    NotGzip,
    #[error("chart illegally contains absolute paths")]
    AbsolutePath,
    #[error("chart illegally contains content outside the base directory: {0:?}")]
    OutsideBase(String),
    #[error("chart illegally references parent directory ({0:?})")]
    ParentDirectory(String),
    #[error("chart contains illegally named files ({0:?})")]
    DrivePath(String),
    #[error("chart yaml not in base directory")]
    ChartYamlNotInBase,
    #[error("decompressed chart file {0:?} is larger than the maximum file size {MAX_FILE_SIZE}")]
    FileTooLarge(String),
    #[error("decompressed chart is larger than the maximum size {MAX_CHART_SIZE}")]
    ChartTooLarge,
    #[error("archive expands to more than {STREAM_BUDGET} bytes with its nested archives")]
    Budget,
    #[error("no files in chart archive")]
    Empty,
    #[error("corrupt archive: {0}")]
    Corrupt(String),
}

fn corrupt(e: io::Error) -> ArchiveError {
    ArchiveError::Corrupt(e.to_string())
}

/// Decompressed bytes still allowed, shared by nested archives.
#[derive(Debug)]
pub struct Budget {
    remaining: u64,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            remaining: STREAM_BUDGET,
        }
    }
}

struct Counted<'b, R> {
    inner: R,
    budget: &'b mut Budget,
    exceeded: bool,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.budget.remaining {
            self.exceeded = true;
            return Err(io::Error::other("decompression budget exceeded"));
        }
        self.budget.remaining -= n as u64;
        Ok(n)
    }
}

/// Whether an archive file's first bytes are gzip (Helm's `ensureArchive`).
pub fn is_gzip(head: &[u8]) -> bool {
    head.starts_with(b"\x1f\x8b\x08")
}

/// Whether a chart file's content matters for loading it.
fn keeps_data(name: &str) -> bool {
    matches!(
        name,
        "Chart.yaml" | "Chart.lock" | "values.yaml" | "requirements.yaml" | "requirements.lock"
    ) || name.starts_with("charts/")
}

/// Helm's `LoadArchiveFiles`: the archive's files with the top folder
/// stripped from their names.
pub fn load_archive_files(
    input: impl Read,
    budget: &mut Budget,
) -> Result<Vec<BufferedFile>, ArchiveError> {
    let mut counted = Counted {
        inner: MultiGzDecoder::new(input),
        budget,
        exceeded: false,
    };
    let result = read_tar(&mut counted);
    if counted.exceeded {
        return Err(ArchiveError::Budget);
    }
    result
}

fn read_tar<R: Read>(input: &mut R) -> Result<Vec<BufferedFile>, ArchiveError> {
    let mut archive = tar::Archive::new(input);
    let mut files = Vec::new();
    let mut remaining = MAX_CHART_SIZE;
    for entry in archive.entries().map_err(corrupt)? {
        let mut entry = entry.map_err(corrupt)?;
        let header = entry.header();
        let kind = header.entry_type();
        let raw_name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let mode = header.mode().unwrap_or(0);
        let is_dir = kind.is_dir()
            || mode & 0o170000 == 0o040000
            || (kind.as_byte() == 0 && raw_name.ends_with('/'));
        if is_dir || kind.is_pax_global_extensions() || kind.is_pax_local_extensions() {
            continue;
        }
        let name = normalise_name(&raw_name)?;
        let size = entry.size();
        if size > remaining {
            return Err(ArchiveError::ChartTooLarge);
        }
        if size > MAX_FILE_SIZE {
            return Err(ArchiveError::FileTooLarge(raw_name));
        }
        let keep = keeps_data(&name);
        let mut data = Vec::new();
        let copied = if keep {
            data.reserve(size as usize);
            (&mut entry)
                .take(remaining)
                .read_to_end(&mut data)
                .map_err(corrupt)? as u64
        } else {
            io::copy(&mut (&mut entry).take(remaining), &mut io::sink()).map_err(corrupt)?
        };
        remaining -= copied;
        if copied < size || remaining == 0 {
            return Err(ArchiveError::ChartTooLarge);
        }
        if data.starts_with(b"\xef\xbb\xbf") {
            data.drain(..3);
        }
        files.push(BufferedFile { name, data });
    }
    if files.is_empty() {
        return Err(ArchiveError::Empty);
    }
    Ok(files)
}

/// Strips the top folder and applies Helm's path checks.
fn normalise_name(raw: &str) -> Result<String, ArchiveError> {
    let delim = if raw.contains('\\') { '\\' } else { '/' };
    let mut parts = raw.split(delim);
    let first = parts.next().unwrap_or("");
    let rest: Vec<&str> = parts.collect();
    let n = rest.join("/");
    if n.starts_with('/') {
        return Err(ArchiveError::AbsolutePath);
    }
    let n = crate::go::url::clean(&n);
    if n == "." {
        return Err(ArchiveError::OutsideBase(raw.to_string()));
    }
    if n.starts_with("..") {
        return Err(ArchiveError::ParentDirectory(raw.to_string()));
    }
    let b = n.as_bytes();
    if b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'/' {
        return Err(ArchiveError::DrivePath(raw.to_string()));
    }
    if first == "Chart.yaml" {
        return Err(ArchiveError::ChartYamlNotInBase);
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::tgz;

    fn load(files: &[(&str, &[u8])]) -> Result<Vec<BufferedFile>, ArchiveError> {
        load_archive_files(&tgz(files)[..], &mut Budget::default())
    }

    #[test]
    fn strips_top_folder_and_bom() {
        let f = load(&[("demo/Chart.yaml", b"\xef\xbb\xbfname: demo\n")]).unwrap();
        assert_eq!(f[0].name, "Chart.yaml");
        assert_eq!(f[0].data, b"name: demo\n");
    }

    #[test]
    fn refuses_hostile_paths() {
        assert!(matches!(
            load(&[("demo/../../etc/passwd", b"x")]),
            Err(ArchiveError::ParentDirectory(_))
        ));
        assert!(matches!(
            load(&[("demo//etc/passwd", b"x")]),
            Err(ArchiveError::AbsolutePath)
        ));
        assert!(matches!(
            load(&[("Chart.yaml", b"x")]),
            Err(ArchiveError::OutsideBase(_))
        ));
        assert!(matches!(
            load(&[("Chart.yaml/x", b"x")]),
            Err(ArchiveError::ChartYamlNotInBase)
        ));
        assert!(matches!(
            load(&[("demo/c:/x", b"x")]),
            Err(ArchiveError::DrivePath(_))
        ));
    }

    #[test]
    fn refuses_oversized_file_from_header() {
        let big = vec![b'a'; (MAX_FILE_SIZE + 1) as usize];
        assert!(matches!(
            load(&[("demo/Chart.yaml", &big)]),
            Err(ArchiveError::FileTooLarge(_))
        ));
    }

    #[test]
    fn refuses_garbage_and_truncation() {
        assert!(load_archive_files(&b"not gzip at all"[..], &mut Budget::default()).is_err());
        let full = tgz(&[("demo/Chart.yaml", &[b'x'; 5000])]);
        let cut = &full[..full.len() / 2];
        assert!(load_archive_files(cut, &mut Budget::default()).is_err());
    }

    #[test]
    fn budget_stops_expansion() {
        let data = tgz(&[("demo/values.yaml", &[b' '; 4096])]);
        let mut b = Budget { remaining: 1024 };
        assert!(matches!(
            load_archive_files(&data[..], &mut b),
            Err(ArchiveError::Budget)
        ));
    }
}
