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

use crate::cli::output::clip_bytes;
use crate::go::tar;

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
/// chart loads keep their bytes; the rest keep their name. Names are bytes,
/// as in Helm, so that names differing only in invalid UTF-8 stay apart.
#[derive(Debug, Clone)]
pub struct BufferedFile {
    pub name: Vec<u8>,
    pub data: Vec<u8>,
}

/// Archive-controlled names in these messages are cut short
/// ([`clip_bytes`]).
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
    #[error("truncated archive: unexpected EOF inside {0:?}")]
    TruncatedIn(String),
    #[error("{0}")]
    Tar(tar::Error),
    #[error("corrupt archive: {0}")]
    Corrupt(String),
}

fn tar_err(e: tar::Error) -> ArchiveError {
    match e {
        tar::Error::Io(e) => ArchiveError::Corrupt(e.to_string()),
        tar::Error::Header => ArchiveError::Corrupt(e.to_string()),
        e => ArchiveError::Tar(e),
    }
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
fn keeps_data(name: &[u8]) -> bool {
    matches!(
        name,
        b"Chart.yaml"
            | b"Chart.lock"
            | b"values.yaml"
            | b"requirements.yaml"
            | b"requirements.lock"
    ) || name.starts_with(b"charts/")
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
    let mut tr = tar::Reader::new(input);
    let mut files = Vec::new();
    let mut remaining = MAX_CHART_SIZE;
    while let Some(hd) = tr.next().map_err(tar_err)? {
        if hd.is_dir() || matches!(hd.typeflag, tar::TYPE_X_HEADER | tar::TYPE_X_GLOBAL_HEADER) {
            continue;
        }
        let name = normalise_name(&hd.name)?;
        if hd.size > remaining as i64 {
            return Err(ArchiveError::ChartTooLarge);
        }
        if hd.size > MAX_FILE_SIZE as i64 {
            return Err(ArchiveError::FileTooLarge(clip_bytes(&hd.name)));
        }
        let truncated = |e: io::Error| match e.kind() {
            io::ErrorKind::UnexpectedEof => ArchiveError::TruncatedIn(clip_bytes(&hd.name)),
            _ => ArchiveError::Corrupt(e.to_string()),
        };
        let mut data = Vec::new();
        let copied = if keeps_data(&name) {
            data.reserve(hd.size.max(0) as usize);
            (&mut tr)
                .take(remaining)
                .read_to_end(&mut data)
                .map_err(truncated)? as u64
        } else {
            io::copy(&mut (&mut tr).take(remaining), &mut io::sink()).map_err(truncated)?
        };
        remaining -= copied;
        if (copied as i64) < hd.size || remaining == 0 {
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
fn normalise_name(raw: &[u8]) -> Result<Vec<u8>, ArchiveError> {
    let delim = if raw.contains(&b'\\') { b'\\' } else { b'/' };
    let mut parts = raw.split(|c| *c == delim);
    let first = parts.next().unwrap_or_default();
    let rest: Vec<&[u8]> = parts.collect();
    let n = rest.join(&b'/');
    if n.starts_with(b"/") {
        return Err(ArchiveError::AbsolutePath);
    }
    let n = crate::go::url::clean_bytes(&n);
    if n == b"." {
        return Err(ArchiveError::OutsideBase(clip_bytes(raw)));
    }
    if n.starts_with(b"..") {
        return Err(ArchiveError::ParentDirectory(clip_bytes(raw)));
    }
    if n.len() >= 3 && n[0].is_ascii_alphabetic() && n[1] == b':' && n[2] == b'/' {
        return Err(ArchiveError::DrivePath(clip_bytes(raw)));
    }
    if first == b"Chart.yaml" {
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
        assert_eq!(f[0].name, b"Chart.yaml");
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

    #[test]
    fn names_are_bytes_and_messages_cut_them() {
        let f = load(&[("demo/charts/\u{e9}/x", b"")]).unwrap();
        assert_eq!(f[0].name, "charts/\u{e9}/x".as_bytes());
        let long = format!("demo/../{}", "a".repeat(100_000));
        let e = normalise_name(long.as_bytes()).unwrap_err().to_string();
        assert!(e.len() < 400 && e.contains('…'), "{e}");
    }

    #[test]
    fn truncated_data_is_reported_as_truncated() {
        let mut tar = crate::test_support::tar_member("demo/Chart.yaml", &[b'x'; 2000]);
        tar.truncate(1000);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &tar).unwrap();
        let e = load_archive_files(&gz.finish().unwrap()[..], &mut Budget::default()).unwrap_err();
        assert!(matches!(e, ArchiveError::TruncatedIn(_)), "{e}");
    }
}
