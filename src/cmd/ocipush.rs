//! `helm ocipush`: push chart archives with their provenance to an OCI
//! registry, many at once, and migrate classic repositories.
//!
//! Every archive is loaded and its `.prov` checked before the first byte is
//! uploaded; then charts go up in parallel on a bounded number of threads.
//! A chart that fails does not stop the others; the run reports each one.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use thiserror::Error;

use crate::cli::EnvSettings;
use crate::getter;
use crate::parallel;
use crate::registry::chart::{self as oci_chart, Prepared};
use crate::registry::manifest::{self, CONFIG_MEDIA_TYPE};
use crate::registry::push::{self, Outcome};
use crate::registry::{credentials, Client, ClientOptions, Credential, RegistryError, Target};
use crate::repo::{self, chartrepo, repofile, ChartVersion};

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
    #[error("{0}")]
    Source(String),
}

/// Options shared by push and migrate. `Debug` hides the password.
#[derive(Clone)]
pub struct Options {
    pub target: String,
    pub client: ClientOptions,
    /// `--username`; with `password`, replaces stored credentials.
    pub username: Option<String>,
    pub password: Option<String>,
    pub skip_existing: bool,
    /// Charts in flight at once.
    pub concurrency: usize,
    pub dry_run: bool,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("target", &self.target)
            .field("client", &self.client)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("skip_existing", &self.skip_existing)
            .field("concurrency", &self.concurrency)
            .field("dry_run", &self.dry_run)
            .finish()
    }
}

/// What happened to one chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Pushed,
    /// The tag already held this manifest (`--skip-existing`).
    Unchanged,
    /// The tag holds another manifest and was left alone.
    Kept {
        existing: String,
    },
    /// Migrate: the registry already has this chart version.
    Present,
    /// `--dry-run`: would be pushed.
    WouldPush,
    Failed(String),
}

impl Status {
    pub fn name(&self) -> &'static str {
        match self {
            Status::Pushed => "pushed",
            Status::Unchanged => "unchanged",
            Status::Kept { .. } => "kept",
            Status::Present => "present",
            Status::WouldPush => "would-push",
            Status::Failed(_) => "failed",
        }
    }
}

/// One chart's line in the report.
#[derive(Debug, Clone)]
pub struct Report {
    /// The archive path, or `NAME VERSION` for migrate.
    pub source: String,
    /// `HOST/REPO:TAG`, when the chart got that far.
    pub reference: Option<String>,
    pub digest: Option<String>,
    pub status: Status,
    pub blobs_uploaded: usize,
    pub bytes_uploaded: u64,
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
        }
    }

    fn failed(source: String, reference: Option<String>, why: String) -> Report {
        Report::idle(source, reference, None, Status::Failed(why))
    }

    fn would_push(source: String, reference: String, digest: Option<String>) -> Report {
        Report::idle(source, Some(reference), digest, Status::WouldPush)
    }

    fn present(source: String, reference: String, digest: String) -> Report {
        Report::idle(source, Some(reference), Some(digest), Status::Present)
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

fn client(settings: &EnvSettings, target: &Target, o: &Options) -> Result<Client, RegistryError> {
    let credential = match (&o.username, &o.password) {
        (Some(u), Some(p)) => Credential::Basic {
            username: u.clone(),
            password: p.clone(),
        },
        (None, None) => credentials::lookup(&target.host, &settings.registry_config)?,
        _ => {
            return Err(RegistryError::Credentials(
                "--username and a password (--password or --password-stdin) go together".into(),
            ))
        }
    };
    Client::new(&target.host, credential, &o.client)
}

/// `helm ocipush CHART.tgz|FOLDER... oci://HOST/PATH`. Refuses the whole
/// run, uploading nothing, when any archive or `.prov` is invalid (the
/// reports say which); otherwise returns one report per archive.
pub fn push(
    settings: &EnvSettings,
    paths: &[PathBuf],
    o: &Options,
    progress: Progress,
) -> Result<Vec<Report>, OciPushError> {
    let target = Target::parse(&o.target)?;
    let archives = expand(paths)?;
    let prepared = parallel::map(&archives, |p| oci_chart::from_file(p, &target));
    let mut invalid = 0;
    for (p, r) in archives.iter().zip(&prepared) {
        if let Err(e) = r {
            invalid += 1;
            progress(&Report::failed(
                p.display().to_string(),
                None,
                e.to_string(),
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
    for (_, c) in &mut prepared {
        for layer in &mut c.artifact.layers {
            layer.release();
        }
    }
    let client = client(settings, &target, o)?;
    Ok(parallel::map_with(&prepared, o.concurrency, |(path, c)| {
        let source = path.display().to_string();
        let r = if o.dry_run {
            Report::would_push(
                source,
                c.reference.to_string(),
                Some(c.artifact.manifest_digest.clone()),
            )
        } else {
            match reload(path, c) {
                Ok(c) => push_one(&client, source, &c, o.skip_existing),
                Err(why) => Report::failed(source, Some(c.reference.to_string()), why),
            }
        };
        progress(&r);
        r
    }))
}

/// Reads an archive (and its `.prov`) again for upload, refusing content
/// that changed since it was checked.
fn reload(path: &Path, c: &Prepared) -> Result<Prepared, String> {
    let mut c = c.clone();
    for layer in &mut c.artifact.layers {
        let file = if layer.media_type == manifest::PROV_LAYER_MEDIA_TYPE {
            PathBuf::from(format!("{}.prov", path.display()))
        } else {
            path.to_path_buf()
        };
        let data = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        layer
            .reload(data)
            .map_err(|why| format!("{}: {why}", file.display()))?;
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

fn push_one(client: &Client, source: String, c: &Prepared, skip_existing: bool) -> Report {
    let reference = c.reference.to_string();
    match push::push(client, &c.reference, &c.artifact, skip_existing) {
        Ok(p) => Report {
            source,
            reference: Some(reference),
            digest: Some(match &p.outcome {
                Outcome::Kept { existing } => existing.clone(),
                _ => c.artifact.manifest_digest.clone(),
            }),
            status: match p.outcome {
                Outcome::Pushed => Status::Pushed,
                Outcome::Unchanged => Status::Unchanged,
                Outcome::Kept { existing } => Status::Kept { existing },
            },
            blobs_uploaded: p.blobs_uploaded,
            bytes_uploaded: p.bytes_uploaded,
        },
        Err(e) => Report::failed(source, Some(reference), e.to_string()),
    }
}

/// A classic repository to migrate: its index and how to fetch from it.
struct Source {
    label: String,
    entry: repofile::Entry,
}

/// Finds `spec` as a repository name in repositories.yaml, or takes it as a
/// URL (using the credentials of a configured repository with that URL).
fn source(settings: &EnvSettings, spec: &str) -> Result<Source, OciPushError> {
    let repos = repofile::load(&settings.repository_config)
        .map_err(|e| OciPushError::Source(e.to_string()))?;
    let is_url = spec.starts_with("http://") || spec.starts_with("https://");
    let trimmed = |u: &str| u.trim_end_matches('/').to_string();
    let found = repos.iter().find(|e| {
        if is_url {
            trimmed(&e.url) == trimmed(spec)
        } else {
            e.name == spec
        }
    });
    let entry = match (found, is_url) {
        (Some(e), _) => e.clone(),
        (None, true) => repofile::Entry {
            url: spec.to_string(),
            ..repofile::Entry::default()
        },
        (None, false) => {
            return Err(OciPushError::Source(format!(
            "{spec:?} is neither an http(s) URL nor a repository in {} (helm repo add it first)",
            settings.repository_config.display()
        )))
        }
    };
    Ok(Source {
        label: if is_url {
            crate::go::url::redact(spec)
        } else {
            format!("repository {spec}")
        },
        entry,
    })
}

/// `helm ocipush migrate SOURCE oci://HOST/PATH`: every version in the
/// source's index.yaml, downloaded (digest checked) with its `.prov`, and
/// pushed. Versions the registry already holds are not downloaded again.
pub fn migrate(
    settings: &EnvSettings,
    spec: &str,
    o: &Options,
    progress: Progress,
) -> Result<Vec<Report>, OciPushError> {
    let target = Target::parse(&o.target)?;
    let src = source(settings, spec)?;
    let index_url = chartrepo::index_url(&src.entry.url);
    let bytes = getter::get(&index_url, &chartrepo::options(&src.entry))
        .map_err(|e| OciPushError::Source(e.to_string()))?;
    let loaded = repo::load_index(&bytes, &src.label, repo::Strictness::Helm)
        .map_err(|e| OciPushError::Source(format!("index of {}: {e}", src.label)))?;
    let versions: Vec<&ChartVersion> = loaded.index.entries.values().flatten().collect();
    let client = client(settings, &target, o)?;
    Ok(parallel::map_with(&versions, o.concurrency, |cv| {
        let r = migrate_one(&client, &target, &src, cv, o);
        progress(&r);
        r
    }))
}

fn migrate_one(
    client: &Client,
    target: &Target,
    src: &Source,
    cv: &ChartVersion,
    o: &Options,
) -> Report {
    let md = &cv.metadata;
    let label = format!("{} {}", md.name, md.version);
    let reference = match target.chart(&md.name, &md.version) {
        Ok(r) => r,
        Err(e) => return Report::failed(label, None, e.to_string()),
    };
    let shown = reference.to_string();
    let fail = |why: String| Report::failed(label.clone(), Some(shown.clone()), why);
    let want = (!cv.digest.is_empty()).then(|| format!("sha256:{}", cv.digest));
    // What the registry holds decides whether anything needs to move.
    let existing = match client.get_manifest(&reference.repository, &reference.tag) {
        Ok(m) => m,
        Err(e) => return fail(e.to_string()),
    };
    let existing = existing.map(|(bytes, digest)| (manifest::summarize(&bytes), digest));
    let Some(raw) = cv.urls.as_ref().and_then(|u| u.first()) else {
        return fail("the index lists no download URL".into());
    };
    let (url, opts) = match chartrepo::chart_download(&src.entry, raw) {
        Ok(d) => d,
        Err(why) => return fail(why),
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
            match fetch_prov(&format!("{url}.prov"), &opts) {
                Ok(None) => return Report::present(label, shown, digest.clone()),
                Ok(p) => prov = Some(p),
                Err(e) => return fail(e),
            }
        }
    }
    if o.dry_run {
        return Report::would_push(label, shown, None);
    }
    let data = match getter::get(&url, &opts) {
        Ok(d) => d,
        Err(e) => return fail(e.to_string()),
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
        None => match fetch_prov(&format!("{url}.prov"), &opts) {
            Ok(p) => p,
            Err(e) => return fail(e),
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
    let created = oci_chart::created_from_index(&cv.created)
        .unwrap_or_else(|| oci_chart::created_annotation(std::time::SystemTime::now()));
    let c = match oci_chart::from_bytes(Arc::from(data), prov.map(Arc::from), &created, target) {
        Ok(c) => c,
        Err(e) => return fail(e.to_string()),
    };
    if c.metadata.name != md.name || c.metadata.version != md.version {
        return fail(format!(
            "the archive holds {} {}, not what the index says",
            c.metadata.name, c.metadata.version
        ));
    }
    push_one(client, label, &c, false)
}

/// The `.prov` beside an archive; a 404 means the repository has none.
fn fetch_prov(url: &str, opts: &getter::Options) -> Result<Option<Vec<u8>>, String> {
    match getter::get(url, opts) {
        Ok(p) => Ok(Some(p)),
        Err(getter::GetError::Status { status, .. }) if status.starts_with("404") => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}
