//! `helm idx`: build, merge and check chart repository indexes.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

use serde::Serialize;
use thiserror::Error;

use crate::cli::{output, EnvSettings};
use crate::fileutil::{self, DirLock};
use crate::go;
use crate::repo::{
    self, load_index, IndexFile, LoadIndexError, Problem, RepoSource, Reuse, Skipped, SourceError,
    Strictness,
};

#[derive(Debug, Error)]
pub enum IdxError {
    #[error("{}", .path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("{}: not a folder", .0.display())]
    NotADir(PathBuf),
    #[error("merge failed: error loading {path}")]
    Merge {
        path: String,
        source: LoadIndexError,
    },
    #[error("error loading {path}")]
    Load {
        path: String,
        source: LoadIndexError,
    },
    #[error(
        "cannot reuse {} (move it away to rebuild the index from the archives alone)", .path.display()
    )]
    Cache {
        path: PathBuf,
        source: LoadIndexError,
    },
    #[error("{} chart(s) cannot be indexed (--strict): {}", .0.len(), list_skipped(.0))]
    Strict(Vec<Skipped>),
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("{} conflicting version(s) (--conflict fail): {}", .0.len(), .0.join("; "))]
    Conflicts(Vec<String>),
    #[error("{} problem(s) found", .0)]
    Check(usize),
    #[error(transparent)]
    Output(#[from] output::OutputError),
    #[error("--keep-last must be at least 1 (0 would drop every chart from the index)")]
    KeepLastZero,
}

/// `--keep-last 0` would write an index without a single chart.
fn check_keep_last(n: Option<usize>) -> Result<(), IdxError> {
    match n {
        Some(0) => Err(IdxError::KeepLastZero),
        _ => Ok(()),
    }
}

fn list_skipped(s: &[Skipped]) -> String {
    s.iter()
        .map(|s| format!("{}: {}", s.path.display(), s.reason))
        .collect::<Vec<_>>()
        .join("; ")
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> IdxError + '_ {
    move |source| IdxError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The file format of a written index (`--json`, as in `helm repo index`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IndexFormat {
    #[default]
    Yaml,
    Json,
}

fn write_index(path: &Path, index: &IndexFile, format: IndexFormat) -> Result<(), IdxError> {
    fileutil::atomic_write(path, |w| {
        match format {
            IndexFormat::Yaml => repo::write_yaml(index, w)?,
            IndexFormat::Json => repo::write_json(index, w)?,
        };
        Ok(())
    })
    .map_err(io_err(path))
}

fn absolute(p: &Path) -> Result<PathBuf, IdxError> {
    std::path::absolute(p).map_err(io_err(p))
}

/// Options of `helm idx build`.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    pub dir: PathBuf,
    pub url: String,
    /// What `--merge` names: an index file (created empty when missing, as
    /// Helm does), an http(s) URL, or a repository in repositories.yaml.
    pub merge: Option<String>,
    pub format: IndexFormat,
    pub strict: bool,
    pub keep_last: Option<usize>,
}

/// A chart version `--keep-last` left out of the written index.
#[derive(Debug, Clone, Serialize)]
pub struct Dropped {
    pub chart: String,
    pub version: String,
    /// The entry's first URL ("" if it had none).
    pub url: String,
}

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.chart, self.version)?;
        if !self.url.is_empty() {
            write!(f, " ({})", self.url)?;
        }
        Ok(())
    }
}

fn keep_last(index: &mut IndexFile, n: Option<usize>) -> Vec<Dropped> {
    let Some(n) = n else {
        return Vec::new();
    };
    index
        .keep_last(n)
        .into_iter()
        .map(|cv| Dropped {
            url: cv
                .urls
                .as_ref()
                .and_then(|u| u.first())
                .cloned()
                .unwrap_or_default(),
            chart: cv.metadata.name,
            version: cv.metadata.version,
        })
        .collect()
}

/// What a build did.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BuildReport {
    pub index_path: PathBuf,
    pub entries: usize,
    pub reused: usize,
    pub loaded: usize,
    pub warnings: Vec<String>,
    /// What `--keep-last` left out (its archives stay in the folder).
    pub dropped: Vec<Dropped>,
}

/// A previous index this large is read only for the folder's entries...
const PARTIAL_READ_MIN: usize = 1 << 20;
/// ...when it holds this many bytes per archive in the folder or more: the
/// archives are then hashed once more, which costs less than the parse.
const PARTIAL_BYTES_PER_ARCHIVE: usize = 2000;

/// `helm idx build`: `helm repo index` with digest reuse.
pub fn build(o: &BuildOptions, settings: &EnvSettings) -> Result<BuildReport, IdxError> {
    check_keep_last(o.keep_last)?;
    let dir = absolute(&o.dir)?;
    if !dir.is_dir() {
        return Err(IdxError::NotADir(o.dir.clone()));
    }
    let started = std::time::Instant::now();
    let _lock = DirLock::acquire(&dir).map_err(io_err(&dir))?;
    fileutil::remove_stale_temps(&dir, "index.yaml");
    let now = go::time::now();
    let out = dir.join("index.yaml");
    let mut report = BuildReport {
        index_path: out.clone(),
        ..Default::default()
    };

    // The folder's archives hashed once, for the readers that need them
    // before the build (which hashes them again, with the rest of its work).
    let folder = std::cell::OnceCell::new();
    let folder_digests = || folder.get_or_init(|| repo::archive_digests(&dir));
    let mut cache: Option<IndexFile> = None;
    if let Some(bytes) = read_if_exists(&out)? {
        // A large index over a small folder: only the folder's entries.
        let partial = if bytes.len() >= PARTIAL_READ_MIN {
            let (count, digests) = folder_digests();
            if count.saturating_mul(PARTIAL_BYTES_PER_ARCHIVE) < bytes.len() {
                repo::entries_with_digests(&bytes, digests)
            } else {
                None
            }
        } else {
            None
        };
        let index = match partial {
            Some(index) => index,
            None => {
                load_index(&bytes, &out.display().to_string(), Strictness::Lenient)
                    .map_err(|source| IdxError::Cache {
                        path: out.clone(),
                        source,
                    })?
                    .index
            }
        };
        crate::debug!(
            "{:?}: reusing {} entries of {}",
            started.elapsed(),
            index.len(),
            out.display()
        );
        cache = Some(index);
    }

    let mut merged: Option<IndexFile> = None;
    // The merge file as its bytes (see `repo::read_raw`), and its source.
    let mut kept: Option<(repo::RawEntries, RepoSource)> = None;
    if let Some(spec) = &o.merge {
        match merge_source(spec, settings)? {
            None => {
                // `helm repo index --merge` creates a missing merge file as an
                // empty index and ignores any error doing so.
                let _ = write_index(Path::new(spec), &IndexFile::new(now.clone()), o.format);
                report.warnings.push(format!(
                    "--merge {spec}: no such file, repository or URL; created it as an empty index (as helm repo index does), so nothing was merged"
                ));
            }
            Some(src) => {
                let bytes = src.read_index()?;
                // A large index in the writer's own layout stays as its
                // bytes; entries of a repository are rewritten (their URLs
                // made absolute), so they never do.
                let raw = if bytes.len() >= repo::RAW_MIN
                    && src.base_url().is_none()
                    && o.format == IndexFormat::Yaml
                    && o.keep_last.is_none()
                {
                    let wanted = folder_digests().1.iter().cloned().collect();
                    repo::read_raw(bytes, &wanted)
                } else {
                    Err(bytes)
                };
                match raw {
                    Ok(mut raw) => {
                        crate::debug!(
                            "{:?}: read {} as it is ({} entries)",
                            started.elapsed(),
                            src.label,
                            raw.len()
                        );
                        // Only the folder's entries are decoded, for reuse.
                        merged = Some(std::mem::take(&mut raw.decoded));
                        kept = Some((raw, src));
                    }
                    Err(bytes) => merged = Some(load_merge(&bytes, &src, &mut report)?),
                }
            }
        }
    }

    let mut reuse = Reuse::new();
    for index in cache.iter().chain(merged.iter()) {
        repo::reuse_from(index, &mut reuse);
    }
    let d = repo::index_directory(&dir, &o.url, &reuse, &now);
    drop(reuse);
    drop(cache);
    crate::debug!("{:?}: indexed {}", started.elapsed(), dir.display());
    if o.strict && !d.skipped.is_empty() {
        return Err(IdxError::Strict(d.skipped));
    }
    for s in &d.skipped {
        report
            .warnings
            .push(format!("skipping {}: {}", s.path.display(), s.reason));
    }
    report.reused = d.reused;
    report.loaded = d.loaded;
    let mut index = d.index;
    if let Some((raw, src)) = kept {
        index.generated = now.clone();
        if let Some(spliced) = repo::splice(&index, &raw) {
            fileutil::atomic_write(&out, |w| spliced.write(w)).map_err(io_err(&out))?;
            report.entries = spliced.len();
            crate::debug!("{:?}: wrote {}", started.elapsed(), out.display());
            return Ok(report);
        }
        // Not writable in that form: the general path after all.
        merged = Some(load_merge(&raw.into_data(), &src, &mut report)?);
    }
    if let Some(m) = merged {
        index.merge(m);
    }
    index.sort_entries();
    report.dropped = keep_last(&mut index, o.keep_last);
    index.generated = now;
    report.entries = index.len();
    crate::debug!("{:?}: merged and sorted", started.elapsed());
    write_index(&out, &index, o.format)?;
    crate::debug!("{:?}: wrote {}", started.elapsed(), out.display());
    Ok(report)
}

/// The `--merge` file loaded in full, as Helm loads it.
fn load_merge(
    bytes: &[u8],
    src: &RepoSource,
    report: &mut BuildReport,
) -> Result<IndexFile, IdxError> {
    let label = &src.label;
    let loaded = load_index(bytes, label, Strictness::Helm).map_err(|source| IdxError::Merge {
        path: label.clone(),
        source,
    })?;
    report.warnings.extend(loaded.warnings);
    crate::debug!("loaded {label} ({} entries)", loaded.index.len());
    let mut index = loaded.index;
    // Entries of a repository keep pointing at its archives.
    src.absolutize(&mut index);
    Ok(index)
}

/// The source `--merge` names, as `helm idx merge` resolves it; `None` for
/// a file that does not exist (and is no repository name either).
fn merge_source(spec: &str, settings: &EnvSettings) -> Result<Option<RepoSource>, IdxError> {
    match RepoSource::resolve(spec, settings) {
        Ok(src) => Ok(Some(src)),
        Err(SourceError::Unknown { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

fn read_if_exists(p: &Path) -> Result<Option<Vec<u8>>, IdxError> {
    match repo::read_index_file(p) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err(p)(e)),
    }
}

/// What to do when sources disagree on a chart version's digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Conflict {
    /// The first source's entry stays.
    #[default]
    Keep,
    /// The later source's entry replaces it.
    Replace,
    /// Nothing is written.
    Fail,
}

/// Options of `helm idx merge`.
#[derive(Debug, Clone, Default)]
pub struct MergeOptions {
    pub out: PathBuf,
    pub sources: Vec<String>,
    pub conflict: Conflict,
    pub format: IndexFormat,
    pub keep_last: Option<usize>,
}

/// What a merge did.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MergeReport {
    pub index_path: PathBuf,
    pub entries: usize,
    pub warnings: Vec<String>,
    /// What `--keep-last` left out.
    pub dropped: Vec<Dropped>,
}

/// `helm idx merge OUT SOURCE...`.
pub fn merge(o: &MergeOptions, settings: &EnvSettings) -> Result<MergeReport, IdxError> {
    check_keep_last(o.keep_last)?;
    let out = absolute(&o.out)?;
    let out_dir = out.parent().map(Path::to_path_buf).unwrap_or_default();
    if !out_dir.is_dir() {
        return Err(IdxError::NotADir(out_dir));
    }
    let _lock = DirLock::acquire(&out_dir).map_err(io_err(&out_dir))?;
    if let Some(name) = out.file_name() {
        fileutil::remove_stale_temps(&out_dir, &name.to_string_lossy());
    }
    let mut report = MergeReport {
        index_path: out.clone(),
        ..MergeReport::default()
    };
    let mut acc = IndexFile::new(String::new());
    let mut at: HashMap<(String, String), (String, usize)> = HashMap::new();
    let mut conflicts = Vec::new();
    for spec in &o.sources {
        let src = RepoSource::resolve(spec, settings)?;
        let bytes = src.read_index()?;
        let loaded =
            load_index(&bytes, &src.label, Strictness::Helm).map_err(|source| IdxError::Load {
                path: src.label.clone(),
                source,
            })?;
        report.warnings.extend(loaded.warnings);
        let mut idx = loaded.index;
        src.absolutize(&mut idx);
        let mut own: std::collections::HashSet<(String, String)> = Default::default();
        for versions in idx.entries.into_values() {
            for cv in versions {
                let id = (cv.metadata.name.clone(), cv.metadata.version.clone());
                if !own.insert(id.clone()) {
                    continue; // a duplicate inside one source: first wins, as in Helm
                }
                match at.get(&id) {
                    None => {
                        let list = acc.entries.entry(cv.metadata.name.clone()).or_default();
                        at.insert(id, (cv.metadata.name.clone(), list.len()));
                        list.push(cv);
                    }
                    Some((name, pos)) => {
                        let Some(existing) =
                            acc.entries.get_mut(name).and_then(|l| l.get_mut(*pos))
                        else {
                            continue;
                        };
                        if existing.digest == cv.digest {
                            continue;
                        }
                        let what = format!(
                            "{} {} differs in {} (digest {} vs {})",
                            id.0,
                            id.1,
                            src.label,
                            short(&existing.digest),
                            short(&cv.digest)
                        );
                        match o.conflict {
                            Conflict::Keep => {
                                report.warnings.push(format!("{what}: keeping the first"))
                            }
                            Conflict::Replace => {
                                report.warnings.push(format!("{what}: replacing"));
                                *existing = cv;
                            }
                            Conflict::Fail => conflicts.push(what),
                        }
                    }
                }
            }
        }
    }
    if !conflicts.is_empty() {
        return Err(IdxError::Conflicts(conflicts));
    }
    acc.sort_entries();
    report.dropped = keep_last(&mut acc, o.keep_last);
    acc.generated = go::time::now();
    report.entries = acc.len();
    write_index(&out, &acc, o.format)?;
    Ok(report)
}

fn short(d: &str) -> &str {
    d.get(..12).unwrap_or(d)
}

/// What a check found (no problems when index and folder agree).
#[derive(Debug, Default, Serialize)]
pub struct CheckReport {
    pub problems: Vec<Problem>,
}

impl CheckReport {
    /// The report as the command's result: an error when anything disagrees.
    pub fn into_result(self) -> Result<CheckReport, IdxError> {
        match self.problems.len() {
            0 => Ok(self),
            n => Err(IdxError::Check(n)),
        }
    }
}

/// `helm idx check DIR`: the problems found (empty when all agree).
///
/// `keep_last` is the `--keep-last` the index was built with: archives of
/// versions it leaves out are then not problems.
pub fn check(
    dir: &Path,
    url: Option<&str>,
    keep_last: Option<usize>,
) -> Result<CheckReport, IdxError> {
    check_keep_last(keep_last)?;
    let path = dir.join("index.yaml");
    let bytes = repo::read_index_file(&path).map_err(io_err(&path))?;
    let label = path.display().to_string();
    let loaded = load_index(&bytes, &label, Strictness::Helm).map_err(|source| IdxError::Load {
        path: label,
        source,
    })?;
    Ok(CheckReport {
        problems: repo::check(dir, &loaded.index, url, keep_last),
    })
}

/// The table form of a build: its warnings, what `--keep-last` dropped,
/// and one summary line on stderr (`quiet`: none; `helm repo index` prints
/// nothing, which left a run that indexed nothing looking like success).
pub fn print_build(r: &BuildReport, quiet: bool) {
    print_warnings(&r.warnings);
    print_dropped(&r.dropped);
    crate::debug!(
        "wrote {} ({} entries; {} archives reused, {} loaded)",
        r.index_path.display(),
        r.entries,
        r.reused,
        r.loaded
    );
    if !quiet {
        output::line(format_args!(
            "Indexed {} chart version(s) into {} ({} unchanged, {} loaded{}{})",
            r.entries,
            r.index_path.display(),
            r.reused,
            r.loaded,
            counted(r.warnings.len(), "warning"),
            counted(r.dropped.len(), "dropped by --keep-last"),
        ));
    }
}

/// The table form of a merge: its warnings, what `--keep-last` dropped, and
/// one summary line on stderr unless `quiet`.
pub fn print_merge(r: &MergeReport, quiet: bool) {
    print_warnings(&r.warnings);
    print_dropped(&r.dropped);
    if !quiet {
        output::line(format_args!(
            "Merged {} chart version(s) into {}{}",
            r.entries,
            r.index_path.display(),
            match (r.warnings.len(), r.dropped.len()) {
                (0, 0) => String::new(),
                (w, d) => format!(
                    " ({})",
                    [(w, "warning(s)"), (d, "dropped by --keep-last")]
                        .iter()
                        .filter(|(n, _)| *n > 0)
                        .map(|(n, what)| format!("{n} {what}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
        ));
    }
}

/// `, N what` when N is not zero (`warning` gets its plural).
fn counted(n: usize, what: &str) -> String {
    match (n, what) {
        (0, _) => String::new(),
        (1, w) => format!(", 1 {w}"),
        (n, "warning") => format!(", {n} warnings"),
        (n, w) => format!(", {n} {w}"),
    }
}

/// One stderr line per version `--keep-last` left out.
fn print_dropped(dropped: &[Dropped]) {
    for d in dropped {
        output::line(format_args!("dropped by --keep-last: {d}"));
    }
}

fn print_warnings(warnings: &[String]) {
    for w in warnings {
        output::warn(w);
    }
}

/// The table form of a check: one problem a line on stdout.
pub fn print_check(report: &CheckReport) {
    for p in &report.problems {
        println!("{p}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keep_last_zero_is_an_error() {
        let d = tempfile::tempdir().unwrap();
        let o = BuildOptions {
            dir: d.path().to_path_buf(),
            keep_last: Some(0),
            ..Default::default()
        };
        let s = EnvSettings::from_lookup(&|_| None);
        assert!(matches!(build(&o, &s), Err(IdxError::KeepLastZero)));
        assert!(!d.path().join("index.yaml").exists());
        let m = MergeOptions {
            out: d.path().join("out.yaml"),
            sources: vec![],
            keep_last: Some(0),
            ..Default::default()
        };
        assert!(matches!(merge(&m, &s), Err(IdxError::KeepLastZero)));
    }
}
