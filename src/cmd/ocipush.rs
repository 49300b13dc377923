//! `helm ocipush`: push chart archives with their provenance to an OCI
//! registry, many at once, and migrate classic repositories.
//!
//! Every archive is loaded and its `.prov` checked before the first byte is
//! uploaded; then charts go up in parallel on a bounded number of threads.
//! A chart that fails does not stop the others; the run reports each one.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use thiserror::Error;

use crate::chart;
use crate::cli::{output, render_error, EnvSettings, Progress as ProgressLine};
use crate::getter::{self, Body, GetError, GetterOptions};
use crate::net::{SafeUrl, Secret};
use crate::parallel;
use crate::provenance;
use crate::registry::{
    self, Client, ClientOptions, Prepared, PushOutcome, Reference, RegistryError, Target,
    CONFIG_MEDIA_TYPE, PROV_LAYER_MEDIA_TYPE,
};
use crate::repo::{ChartVersion, Download, RepoSource, SourceError};

#[derive(Debug, Error)]
pub enum OciPushError {
    #[error("{0}")]
    Registry(#[from] RegistryError),
    #[error("{0}: no such file or folder")]
    Missing(PathBuf),
    #[error("{0}: no chart archives (*.tgz) in this folder")]
    EmptyFolder(PathBuf),
    #[error("{0}: cannot read folder: {1}")]
    Folder(PathBuf, std::io::Error),
    #[error("{first} and {second} are both {reference}")]
    Duplicate {
        first: String,
        second: String,
        reference: String,
    },
    #[error("{count} chart(s) cannot be pushed; nothing was uploaded")]
    Invalid { count: usize },
    #[error("cannot read the password from standard input")]
    PasswordStdin(#[source] std::io::Error),
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("{0}: an index file names no repository to download charts from; give the repository's name or URL")]
    NotARepository(String),
    #[error("--tag {0:?}: not a tag (letters, digits, '_', '.' and '-', at most 128, not starting with '.' or '-')")]
    BadTag(String),
    #[error("--tag {tag}: {first} and {second} both go to {repository}, and the tag can point at one of them only")]
    AmbiguousTag {
        tag: String,
        first: String,
        second: String,
        repository: String,
    },
    #[error("--tag is for pushing one version of each chart; migrate pushes every version")]
    TagWithMigrate,
}

/// Options shared by push and migrate.
#[derive(Debug, Clone)]
pub struct PushOptions {
    pub target: String,
    pub client: ClientOptions,
    /// `--username`; with `password`, replaces stored credentials.
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub skip_existing: bool,
    /// Charts in flight at once.
    pub concurrency: usize,
    pub dry_run: bool,
    /// `--sign sigstore`: signs each manifest pushed, in the same
    /// connection to the registry.
    pub signer: Option<ManifestSigner>,
    /// `--tag`: more tags for each manifest pushed (`latest`, `1.2`), set
    /// once the version's own tag holds it.
    pub tags: Vec<String>,
}

/// Signs a manifest just pushed: given the registry client, the host, the
/// repository and the manifest digest, says what it stored, or why not.
/// A function rather than the signer itself, so that pushing needs no
/// crypto when the pack is built without `prov`.
pub type SignFn = dyn Fn(&Client, &str, &str, &str) -> Result<String, String> + Send + Sync;

/// What `--sign` does to each manifest pushed.
#[derive(Clone)]
pub struct ManifestSigner(pub Arc<SignFn>);

impl std::fmt::Debug for ManifestSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ManifestSigner(..)")
    }
}

/// What happened to one chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Pushed,
    /// The tag already held this manifest (`--skip-existing`).
    Unchanged,
    /// The tag holds another manifest (the report's digest) and was left alone.
    Kept,
    /// Migrate: the registry already has this chart version.
    Present,
    /// `--dry-run`: would be pushed.
    WouldPush,
    Failed,
}

/// One chart's line in the report.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The archive path, or `NAME VERSION` for migrate.
    pub source: String,
    /// `HOST/REPO:TAG`, when the chart got that far.
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    pub digest: Option<String>,
    pub status: Status,
    pub blobs_uploaded: usize,
    pub bytes_uploaded: u64,
    /// `--sign`: the signatures stored beside the manifest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signatures: Option<String>,
    /// `--tag`: the other references now pointing at the manifest.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Why it failed, on one line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Report {
    /// A report of a chart nothing was uploaded for.
    fn idle(
        source: String,
        reference: Option<String>,
        digest: Option<String>,
        status: Status,
    ) -> Report {
        Report {
            source,
            reference,
            digest,
            status,
            blobs_uploaded: 0,
            bytes_uploaded: 0,
            signatures: None,
            tags: Vec::new(),
            error: None,
        }
    }

    fn failed(source: String, reference: Option<String>, why: String) -> Report {
        Report {
            error: Some(why),
            ..Report::idle(source, reference, None, Status::Failed)
        }
    }

    fn would_push(source: String, reference: String, digest: Option<String>) -> Report {
        Report::idle(source, Some(reference), digest, Status::WouldPush)
    }

    fn present(source: String, reference: String, digest: String) -> Report {
        Report::idle(source, Some(reference), Some(digest), Status::Present)
    }

    pub fn is_failure(&self) -> bool {
        self.status == Status::Failed
    }
}

/// Called as each chart finishes, from worker threads.
pub type Progress<'a> = &'a (dyn Fn(&Report) + Sync);

/// The archives named by `paths`: files as given, folders' `*.tgz` in name
/// order.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, OciPushError> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(p)
                .map_err(|e| OciPushError::Folder(p.clone(), e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.is_file() && f.extension().is_some_and(|x| x == "tgz"))
                .collect();
            if found.is_empty() {
                return Err(OciPushError::EmptyFolder(p.clone()));
            }
            found.sort();
            out.extend(found);
        } else if p.exists() {
            out.push(p.clone());
        } else {
            return Err(OciPushError::Missing(p.clone()));
        }
    }
    Ok(out)
}

fn client(
    settings: &EnvSettings,
    target: &Target,
    o: &PushOptions,
) -> Result<Client, RegistryError> {
    let credential = registry::credential_for(
        &target.host,
        o.username.as_deref(),
        o.password.as_ref(),
        &settings.registry_config,
    )?;
    Client::new(&target.host, credential, &o.client)
}

/// `helm ocipush CHART.tgz|FOLDER... oci://HOST/PATH`. Refuses the whole
/// run, uploading nothing, when any archive or `.prov` is invalid (the
/// reports say which); otherwise returns one report per archive.
pub fn push(
    settings: &EnvSettings,
    paths: &[PathBuf],
    o: &PushOptions,
    progress: Progress,
) -> Result<Vec<Report>, OciPushError> {
    let target = Target::parse(&o.target)?;
    check_tags(&o.tags)?;
    let archives = expand(paths)?;
    let prepared = parallel::map(&archives, |p| registry::prepare_file(p, &target));
    let mut invalid = 0;
    for (p, r) in archives.iter().zip(&prepared) {
        if let Err(e) = r {
            invalid += 1;
            progress(&Report::failed(
                p.display().to_string(),
                None,
                render_error(e),
            ));
        }
    }
    if invalid > 0 {
        return Err(OciPushError::Invalid { count: invalid });
    }
    let mut prepared: Vec<(PathBuf, Prepared)> = archives
        .into_iter()
        .zip(prepared)
        .filter_map(|(p, r)| r.ok().map(|c| (p, c)))
        .collect();
    check_duplicates(&prepared)?;
    check_tag_targets(&prepared, &o.tags)?;
    for (_, c) in &mut prepared {
        for layer in &mut c.artifact.layers {
            layer.release();
        }
    }
    let client = client(settings, &target, o)?;
    let bar = many(&prepared, if o.dry_run { "checking" } else { "pushing" });
    let reports = parallel::map_with(&prepared, o.concurrency, |(path, c)| {
        let source = path.display().to_string();
        let r = if o.dry_run {
            Report::would_push(
                source,
                c.reference.to_string(),
                Some(c.artifact.manifest_digest.clone()),
            )
        } else {
            match reload(path, c) {
                Ok(c) => push_one(&client, source, &c, o, o.signer.as_ref()),
                Err(e) => Report::failed(source, Some(c.reference.to_string()), render_error(&e)),
            }
        };
        bar.advance(1, r.bytes_uploaded);
        progress(&r);
        r
    });
    bar.finish();
    Ok(reports)
}

/// The progress line of a run over `items`: shown for more than one chart,
/// as Helm's own push of one chart shows none.
fn many<T>(items: &[T], verb: &'static str) -> ProgressLine {
    if items.len() > 1 {
        ProgressLine::start(verb, "charts", items.len() as u64)
    } else {
        ProgressLine::hidden()
    }
}

/// `helm ocipush plugin PLUGIN.tgz oci://HOST/PATH`: a Helm plugin tarball
/// (and its `.prov`) as the artifact `helm plugin install oci://HOST/PATH/NAME:VERSION`
/// installs on Helm 4. The `.prov` must name the tarball as `NAME-VERSION.tgz`,
/// which `helm prov sign` records for every plugin tarball it signs.
pub fn push_plugin(
    settings: &EnvSettings,
    path: &Path,
    o: &PushOptions,
    progress: Progress,
) -> Result<Vec<Report>, OciPushError> {
    let target = Target::parse(&o.target)?;
    check_tags(&o.tags)?;
    let source = path.display().to_string();
    let fail = |why: String| {
        let r = Report::failed(source.clone(), None, why);
        progress(&r);
        Ok(vec![r])
    };
    let data = match chart::read_archive(path) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(OciPushError::Missing(path.to_path_buf()))
        }
        Err(e) => return fail(e.to_string()),
    };
    let prov_path = provenance::prov_path(path);
    let prov = match provenance::read_prov(&prov_path) {
        Ok(p) => Some(Arc::<[u8]>::from(p)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return fail(format!("{}: {e}", prov_path.display())),
    };
    let created = registry::created_annotation(
        std::fs::metadata(path)
            .and_then(|m| m.modified())
            .unwrap_or_else(|_| std::time::SystemTime::now()),
    );
    let p = match registry::prepare_plugin(data.into(), prov, &created, &target) {
        Ok(p) => p,
        Err(e) => return fail(render_error(&e)),
    };
    let r = if o.dry_run {
        Report::would_push(
            source,
            p.reference.to_string(),
            Some(p.artifact.manifest_digest.clone()),
        )
    } else {
        let client = client(settings, &target, o)?;
        let c = Prepared {
            metadata: chart::Metadata {
                name: p.metadata.name.clone(),
                version: p.metadata.version.clone(),
                ..chart::Metadata::default()
            },
            reference: p.reference,
            artifact: p.artifact,
        };
        push_one(&client, source, &c, o, None)
    };
    progress(&r);
    Ok(vec![r])
}

/// Refuses a `--tag` that is not a tag, before anything is read.
fn check_tags(tags: &[String]) -> Result<(), OciPushError> {
    match tags.iter().find(|t| !registry::valid_tag(t)) {
        Some(t) => Err(OciPushError::BadTag(t.clone())),
        None => Ok(()),
    }
}

/// Refuses `--tag` when two charts go to one repository: the tag would end
/// up on whichever finished last.
fn check_tag_targets(
    prepared: &[(PathBuf, Prepared)],
    tags: &[String],
) -> Result<(), OciPushError> {
    let Some(tag) = tags.first() else {
        return Ok(());
    };
    let mut seen: std::collections::HashMap<&str, &Path> = std::collections::HashMap::new();
    for (path, c) in prepared {
        if let Some(first) = seen.insert(c.reference.repository.as_str(), path) {
            return Err(OciPushError::AmbiguousTag {
                tag: tag.clone(),
                first: first.display().to_string(),
                second: path.display().to_string(),
                repository: format!("{}/{}", c.reference.host, c.reference.repository),
            });
        }
    }
    Ok(())
}

/// Why an archive checked before the upload cannot be uploaded.
#[derive(Debug, Error)]
enum ReloadError {
    #[error("{}", .0.display())]
    Read(PathBuf, #[source] std::io::Error),
    #[error("{}", .0.display())]
    Changed(PathBuf, #[source] registry::ContentChanged),
}

/// Reads an archive (and its `.prov`) again for upload, refusing content
/// that changed since it was checked.
fn reload(path: &Path, c: &Prepared) -> Result<Prepared, ReloadError> {
    let mut c = c.clone();
    for layer in &mut c.artifact.layers {
        let file = if layer.media_type == PROV_LAYER_MEDIA_TYPE {
            provenance::prov_path(path)
        } else {
            path.to_path_buf()
        };
        let data = if layer.media_type == PROV_LAYER_MEDIA_TYPE {
            provenance::read_prov(&file)
        } else {
            chart::read_archive(&file)
        }
        .map_err(|e| ReloadError::Read(file.clone(), e))?;
        layer
            .reload(data)
            .map_err(|e| ReloadError::Changed(file.clone(), e))?;
    }
    Ok(c)
}

fn check_duplicates(prepared: &[(PathBuf, Prepared)]) -> Result<(), OciPushError> {
    let mut seen: std::collections::HashMap<String, &Path> = Default::default();
    for (source, c) in prepared {
        let r = c.reference.to_string();
        if let Some(first) = seen.insert(r.clone(), source) {
            return Err(OciPushError::Duplicate {
                first: first.display().to_string(),
                second: source.display().to_string(),
                reference: r,
            });
        }
    }
    Ok(())
}

fn push_one(
    client: &Client,
    source: String,
    c: &Prepared,
    o: &PushOptions,
    signer: Option<&ManifestSigner>,
) -> Report {
    let reference = c.reference.to_string();
    let mut report = match registry::push(client, &c.reference, &c.artifact, o.skip_existing) {
        Ok(p) => Report {
            source,
            reference: Some(reference),
            digest: Some(match &p.outcome {
                PushOutcome::Kept { existing } => existing.clone(),
                _ => c.artifact.manifest_digest.clone(),
            }),
            status: match p.outcome {
                PushOutcome::Pushed => Status::Pushed,
                PushOutcome::Unchanged => Status::Unchanged,
                PushOutcome::Kept { .. } => Status::Kept,
            },
            blobs_uploaded: p.blobs_uploaded,
            bytes_uploaded: p.bytes_uploaded,
            signatures: None,
            tags: Vec::new(),
            error: None,
        },
        Err(e) => return Report::failed(source, Some(reference), render_error(&e)),
    };
    // Only what this run pushed is signed: a tag left as it was keeps the
    // signatures it has.
    if let (Some(sign), Status::Pushed) = (signer, report.status) {
        let digest = c.artifact.manifest_digest.as_str();
        match (sign.0)(client, &c.reference.host, &c.reference.repository, digest) {
            Ok(what) => report.signatures = Some(what),
            Err(why) => {
                report.status = Status::Failed;
                report.error = Some(format!(
                    "{}: pushed as {digest}, but not signed: {why}",
                    c.reference
                ));
            }
        }
    }
    // The other tags follow the version's own: set when it holds this
    // manifest (pushed now, or unchanged), never when it was kept.
    if matches!(report.status, Status::Pushed | Status::Unchanged) {
        for tag in &o.tags {
            let r = &c.reference;
            let also = Reference {
                tag: tag.clone(),
                ..r.clone()
            };
            match client.put_manifest(&r.repository, tag, &c.artifact.manifest) {
                Ok(()) => report.tags.push(also.to_string()),
                Err(e) => {
                    report.status = Status::Failed;
                    report.error = Some(format!(
                        "{r}: pushed as {}, but not tagged {tag}: {}",
                        c.artifact.manifest_digest,
                        render_error(&e)
                    ));
                    break;
                }
            }
        }
    }
    report
}

/// `helm ocipush migrate SOURCE oci://HOST/PATH`: every version in the
/// source's index.yaml, downloaded (digest checked) with its `.prov`, and
/// pushed. Versions the registry already holds are not downloaded again.
pub fn migrate(
    settings: &EnvSettings,
    spec: &str,
    o: &PushOptions,
    progress: Progress,
) -> Result<Vec<Report>, OciPushError> {
    let target = Target::parse(&o.target)?;
    if !o.tags.is_empty() {
        return Err(OciPushError::TagWithMigrate);
    }
    // A migration copies what the repository serves now, not Helm's cache.
    let src = RepoSource::resolve(spec, settings)?.fresh();
    if !src.is_repository() {
        return Err(OciPushError::NotARepository(spec.to_string()));
    }
    let (index, _) = src.load_index()?;
    let versions: Vec<&ChartVersion> = index.entries.values().flatten().collect();
    let client = client(settings, &target, o)?;
    let bar = many(&versions, if o.dry_run { "checking" } else { "migrating" });
    let reports = parallel::map_with(&versions, o.concurrency, |cv| {
        let r = migrate_one(&client, &target, &src, cv, o);
        bar.advance(1, r.bytes_uploaded);
        progress(&r);
        r
    });
    bar.finish();
    Ok(reports)
}

fn migrate_one(
    client: &Client,
    target: &Target,
    src: &RepoSource,
    cv: &ChartVersion,
    o: &PushOptions,
) -> Report {
    let md = &cv.metadata;
    let label = format!("{} {}", md.name, md.version);
    let reference = match target.chart(&md.name, &md.version) {
        Ok(r) => r,
        Err(e) => return Report::failed(label, None, render_error(&e)),
    };
    let shown = reference.to_string();
    let fail = |why: String| Report::failed(label.clone(), Some(shown.clone()), why);
    let want = (!cv.digest.is_empty()).then(|| format!("sha256:{}", cv.digest));
    // What the registry holds decides whether anything needs to move.
    let existing = match client.get_manifest(&reference.repository, &reference.tag) {
        Ok(m) => m,
        Err(e) => return fail(render_error(&e)),
    };
    let existing = existing.map(|(bytes, digest)| (registry::summarize(&bytes), digest));
    if cv.urls.as_ref().is_none_or(|u| u.is_empty()) {
        return fail("the index lists no download URL".into());
    }
    let Download {
        url, options: opts, ..
    } = match src.download(cv) {
        Ok(d) => d,
        Err(e) => return fail(render_error(&e)),
    };
    // The same archive is there: done, unless the repository has a .prov
    // the registry lacks. Only the .prov is fetched to find out.
    let mut prov = None;
    if let Some((Some(s), digest)) = &existing {
        let same_chart = s.config_media_type == CONFIG_MEDIA_TYPE
            && want.as_ref().is_some_and(|w| s.chart_digests.contains(w));
        if same_chart {
            if s.prov_digest.is_some() {
                return Report::present(label, shown, digest.clone());
            }
            match fetch_prov(&url, &opts) {
                Ok(None) => return Report::present(label, shown, digest.clone()),
                Ok(p) => prov = Some(p),
                Err(e) => return fail(render_error(&e)),
            }
        }
    }
    if o.dry_run {
        return Report::would_push(label, shown, None);
    }
    let data = match getter::get(&url, &opts, Body::Archive) {
        Ok(d) => d,
        Err(e) => return fail(render_error(&e)),
    };
    let actual = crate::chart::sha256_digest(&data);
    if let Some(w) = &want {
        if *w != actual {
            return fail(format!(
                "downloaded archive is {actual}, but the index says {w}; not pushed"
            ));
        }
    }
    let prov = match prov {
        Some(p) => p,
        None => match fetch_prov(&url, &opts) {
            Ok(p) => p,
            Err(e) => return fail(render_error(&e)),
        },
    };
    if let Some((Some(s), digest)) = &existing {
        if !s.chart_digests.contains(&actual) {
            return fail(format!(
                "{shown} already holds a different chart ({digest}); left as it is"
            ));
        }
        if prov.is_none() || s.prov_digest.is_some() {
            return Report::present(label, shown, digest.clone());
        }
    }
    let created = registry::created_from_index(&cv.created)
        .unwrap_or_else(|| registry::created_annotation(std::time::SystemTime::now()));
    let c = match registry::prepare_bytes(Arc::from(data), prov.map(Arc::from), &created, target) {
        Ok(c) => c,
        Err(e) => return fail(render_error(&e)),
    };
    if c.metadata.name != md.name || c.metadata.version != md.version {
        return fail(format!(
            "the archive holds {} {}, not what the index says",
            c.metadata.name, c.metadata.version
        ));
    }
    let once = PushOptions {
        skip_existing: false,
        ..o.clone()
    };
    push_one(client, label, &c, &once, o.signer.as_ref())
}

/// The `.prov` beside an archive; a 404 means the repository has none.
fn fetch_prov(archive_url: &SafeUrl, opts: &GetterOptions) -> Result<Option<Vec<u8>>, GetError> {
    let url = SafeUrl::from(format!("{}.prov", archive_url.expose()));
    match getter::get(&url, opts, Body::Provenance) {
        Ok(p) => Ok(Some(p)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Reads the registry password from standard input (`--password-stdin`),
/// without its line ending.
pub fn read_password_stdin() -> Result<Secret, OciPushError> {
    let mut s = String::new();
    std::io::stdin()
        .read_to_string(&mut s)
        .map_err(OciPushError::PasswordStdin)?;
    Ok(Secret::from(s.trim_end_matches(['\r', '\n'])))
}

const UNDERSCORE_NOTE: &str =
    "OCI artifact references (e.g. tags) do not support the plus sign (+). To support
storing semantic versions, Helm adopts the convention of changing plus (+) to
an underscore (_) in chart version tags when pushing to a registry and back to
a plus (+) when pulling from a registry.";

/// Helm's `Pushed:`/`Digest:` lines on stderr, and one line for every other
/// outcome; printed as each chart finishes.
pub fn print_progress(r: &Report) {
    let reference = r.reference.as_deref().unwrap_or("");
    let digest = r.digest.as_deref().unwrap_or("");
    let why = r.error.as_deref().unwrap_or("");
    // One write for the chart's lines, so that charts finishing at once
    // never interleave theirs.
    let mut text = match r.status {
        Status::Pushed => match &r.signatures {
            Some(s) => format!("Pushed: {reference}\nDigest: {digest}\nSigned: {s}"),
            None => format!("Pushed: {reference}\nDigest: {digest}"),
        },
        Status::Unchanged => format!("Unchanged: {reference}\nDigest: {digest}"),
        Status::Present => format!("Present: {reference}\nDigest: {digest}"),
        Status::Kept => {
            format!("Kept: {reference} holds {digest}, not overwritten (--skip-existing)")
        }
        Status::WouldPush => format!("Would push: {} -> {reference}", r.source),
        Status::Failed if r.source.is_empty() => format!("Error: {why}"),
        Status::Failed => format!("Error: {}: {why}", r.source),
    };
    for t in &r.tags {
        text.push_str("\nTagged: ");
        text.push_str(t);
    }
    output::line(text);
}

/// After the per-chart lines: Helm's note on `+` in tags when one was
/// pushed, and a summary line for runs of more than one chart.
pub fn print_summary(reports: &[Report], migrate: bool, took: std::time::Duration) {
    if reports.iter().any(|r| {
        r.status == Status::Pushed && r.reference.as_deref().is_some_and(|x| x.contains('_'))
    }) {
        output::line(format_args!("{UNDERSCORE_NOTE}"));
    }
    if reports.len() <= 1 && !migrate {
        return;
    }
    let count = |s: Status| reports.iter().filter(|r| r.status == s).count();
    let blobs: usize = reports.iter().map(|r| r.blobs_uploaded).sum();
    let bytes: u64 = reports.iter().map(|r| r.bytes_uploaded).sum();
    let mut parts = vec![format!("{} pushed", count(Status::Pushed))];
    for (s, label) in [
        (Status::Unchanged, "unchanged"),
        (Status::Present, "already present"),
        (Status::Kept, "kept"),
        (Status::WouldPush, "would be pushed"),
        (Status::Failed, "failed"),
    ] {
        let c = count(s);
        if c > 0 {
            parts.push(format!("{c} {label}"));
        }
    }
    output::line(format_args!(
        "{} chart(s): {}; {blobs} blob(s), {bytes} bytes uploaded in {:.1}s",
        reports.len(),
        parts.join(", "),
        took.as_secs_f64()
    ));
}
