//! Where an index comes from (`pkg/repo/chartrepo.go`): a file, a URL, or a
//! repository the user added with `helm repo add`.
//!
//! A repository name is served from Helm's cache (`<name>-index.yaml`, the
//! raw bytes `helm repo update` stored) when present, else downloaded with
//! the repository's credentials and TLS files. Entries of a remote index keep
//! working from anywhere: relative chart URLs are made absolute against the
//! repository URL, as Helm resolves them at download time.

use std::path::{Path, PathBuf};

use thiserror::Error;

use super::index::IndexFile;
use super::repofile::{self, Entry};
use crate::cli::EnvSettings;
use crate::getter::{self, GetError, GetterOptions};
use crate::net::SafeUrl;

/// A resolved index source.
#[derive(Debug)]
pub struct Source {
    /// How to name it in messages (no credentials).
    pub label: String,
    pub bytes: Vec<u8>,
    /// Base for relative chart URLs, for remote sources.
    pub base_url: Option<String>,
}

#[derive(Debug, Error)]
pub enum SourceError {
    #[error("{0}")]
    Get(#[from] GetError),
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    RepoFile(#[from] repofile::RepoFileError),
    #[error("{0:?} is not a file, an http(s) URL, or a repository in {1}")]
    Unknown(String, String),
}

/// The URL of a repository's index: Helm appends `index.yaml` to the
/// repository URL, keeping its query (`ResolveReferenceURL`).
pub fn index_url(repo_url: &str) -> String {
    let (base, query) = match repo_url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (repo_url, None),
    };
    let lower = base.to_ascii_lowercase();
    let mut url = if lower.ends_with(".yaml") || lower.ends_with(".yml") || lower.ends_with(".json")
    {
        base.to_string()
    } else {
        format!("{}/index.yaml", base.trim_end_matches('/'))
    };
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}

fn repo_base(url: &str) -> String {
    let idx = index_url(url);
    let no_query = idx.split('?').next().unwrap_or(&idx).to_string();
    match no_query.rfind('/') {
        Some(i) => no_query[..=i].to_string(),
        None => no_query,
    }
}

/// Resolves `spec`: a path, an http(s) URL, or a repository name.
pub fn resolve(spec: &str, settings: &EnvSettings) -> Result<Source, SourceError> {
    if spec.starts_with("http://") || spec.starts_with("https://") {
        let url = index_url(spec);
        let url = SafeUrl::from(url);
        let bytes = getter::get(&url, &GetterOptions::default())?;
        return Ok(Source {
            label: url.to_string(),
            bytes,
            base_url: Some(repo_base(spec)),
        });
    }
    let path = Path::new(spec);
    if path.exists() {
        let bytes = std::fs::read(path).map_err(|source| SourceError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        return Ok(Source {
            label: spec.to_string(),
            bytes,
            base_url: None,
        });
    }
    let repos = repofile::load(&settings.repository_config)?;
    let Some(entry) = repos.iter().find(|e| e.name == spec) else {
        return Err(SourceError::Unknown(
            spec.to_string(),
            settings.repository_config.display().to_string(),
        ));
    };
    let cached = settings.repository_cache.join(format!("{spec}-index.yaml"));
    if cached.is_file() {
        crate::debug!("using cached index {}", cached.display());
        let bytes = std::fs::read(&cached).map_err(|source| SourceError::Read {
            path: cached.clone(),
            source,
        })?;
        return Ok(Source {
            label: cached.display().to_string(),
            bytes,
            base_url: Some(repo_base(entry.url.expose())),
        });
    }
    let bytes = getter::get(
        &SafeUrl::from(index_url(entry.url.expose())),
        &options(entry),
    )?;
    Ok(Source {
        label: format!("repository {spec}"),
        bytes,
        base_url: Some(repo_base(entry.url.expose())),
    })
}

/// HTTP options from a repositories.yaml entry.
pub fn options(e: &Entry) -> GetterOptions {
    let path = |s: &str| (!s.is_empty()).then(|| std::path::PathBuf::from(s));
    GetterOptions {
        username: e.username.clone(),
        password: e.password.clone(),
        ca_file: path(&e.ca_file),
        cert_file: path(&e.cert_file),
        key_file: path(&e.key_file),
        insecure_skip_tls_verify: e.insecure_skip_tls_verify,
    }
}

/// Makes every relative URL in `index` absolute against `base`.
pub fn absolutize_urls(index: &mut IndexFile, base: &str) {
    let Ok(base) = reqwest::Url::parse(base) else {
        return;
    };
    for cv in index.entries.values_mut().flatten() {
        if let Some(urls) = &mut cv.urls {
            for u in urls.iter_mut() {
                if reqwest::Url::parse(u).is_err() {
                    if let Ok(abs) = base.join(u) {
                        *u = abs.to_string();
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_url_appends_like_helm() {
        assert_eq!(index_url("https://h/charts"), "https://h/charts/index.yaml");
        assert_eq!(
            index_url("https://h/charts/"),
            "https://h/charts/index.yaml"
        );
        assert_eq!(
            index_url("https://h/x/index.yaml"),
            "https://h/x/index.yaml"
        );
        assert_eq!(index_url("https://h/c?t=1"), "https://h/c/index.yaml?t=1");
        assert_eq!(repo_base("https://h/c"), "https://h/c/");
    }

    #[test]
    fn relative_urls_become_absolute() {
        let mut i = IndexFile::new(String::new());
        let mut cv = super::super::index::ChartVersion::default();
        cv.metadata.name = "a".into();
        cv.urls = Some(vec!["a-1.tgz".into(), "https://other/a-1.tgz".into()]);
        i.push(cv);
        absolutize_urls(&mut i, "https://h/charts/");
        assert_eq!(
            i.entries["a"][0].urls.as_deref().unwrap(),
            ["https://h/charts/a-1.tgz", "https://other/a-1.tgz"]
        );
    }
}

/// A chart version located in a repository the user added.
#[derive(Debug)]
pub struct Located {
    /// Absolute URL of the archive.
    pub url: SafeUrl,
    /// The archive's file name.
    pub file_name: String,
    pub version: String,
    /// Credentials and TLS settings to fetch it with.
    pub options: GetterOptions,
}

#[derive(Debug, Error)]
pub enum LocateError {
    #[error("{0}")]
    Source(#[from] SourceError),
    #[error("{0}")]
    RepoFile(#[from] repofile::RepoFileError),
    #[error("repository {0:?} is not in {1} (helm repo add it first)")]
    NoRepo(String, String),
    #[error("index of repository {repo}: {reason}")]
    Index { repo: String, reason: String },
    #[error(transparent)]
    ChartUrl(#[from] ChartUrlError),
    #[error("chart {chart:?} {version} not found in repository {repo}")]
    NoChart {
        repo: String,
        chart: String,
        version: String,
    },
}

fn host_of(url: &str) -> Option<String> {
    reqwest::Url::parse(url).ok().and_then(|u| {
        u.host_str()
            .map(|h| format!("{h}:{}", u.port_or_known_default().unwrap_or(0)))
    })
}

/// A chart URL in an index that cannot be resolved.
#[derive(Debug, Error)]
#[error("bad chart URL {url}")]
pub struct ChartUrlError {
    url: SafeUrl,
    source: url::ParseError,
}

/// Where to download an archive the index of `entry` lists at `raw`, and
/// with which options: a relative URL resolves against the repository URL,
/// and credentials go along only to the repository's own host unless
/// `pass_credentials_all` is set, as in Helm.
pub fn chart_download(entry: &Entry, raw: &str) -> Result<(SafeUrl, GetterOptions), ChartUrlError> {
    let url = match reqwest::Url::parse(raw) {
        Ok(u) => u.to_string(),
        Err(_) => reqwest::Url::parse(&repo_base(entry.url.expose()))
            .and_then(|b| b.join(raw))
            .map(|u| u.to_string())
            .map_err(|source| ChartUrlError {
                url: SafeUrl::from(raw),
                source,
            })?,
    };
    let mut options = options(entry);
    if !entry.pass_credentials_all && host_of(&url) != host_of(entry.url.expose()) {
        options = options.without_credentials();
    }
    Ok((SafeUrl::from(url), options))
}

/// Finds `chart` (at `version`, or the newest stable version) in repository
/// `repo`, as `helm pull REPO/CHART --version V` does. Credentials go along
/// only to the repository's own host unless `pass_credentials_all` is set.
pub fn locate(
    settings: &EnvSettings,
    repo: &str,
    chart: &str,
    version: Option<&str>,
) -> Result<Located, LocateError> {
    let repos = repofile::load(&settings.repository_config)?;
    let entry = repos.iter().find(|e| e.name == repo).ok_or_else(|| {
        LocateError::NoRepo(
            repo.to_string(),
            settings.repository_config.display().to_string(),
        )
    })?;
    let src = resolve(repo, settings)?;
    let loaded =
        super::load_index(&src.bytes, &src.label, super::Strictness::Helm).map_err(|e| {
            LocateError::Index {
                repo: repo.to_string(),
                reason: e.to_string(),
            }
        })?;
    let not_found = || LocateError::NoChart {
        repo: repo.to_string(),
        chart: chart.to_string(),
        version: version.unwrap_or("(latest)").to_string(),
    };
    let versions = loaded.index.entries.get(chart).ok_or_else(not_found)?;
    let cv = match version {
        Some(v) => versions.iter().find(|c| c.metadata.version == v),
        None => versions.iter().find(|c| {
            crate::go::semver::Version::parse(&c.metadata.version)
                .is_ok_and(|v| v.prerelease().is_empty())
        }),
    }
    .ok_or_else(not_found)?;
    let raw = cv
        .urls
        .as_ref()
        .and_then(|u| u.first())
        .ok_or_else(not_found)?;
    let (url, options) = chart_download(entry, raw)?;
    let file_name = url
        .expose()
        .split(['?', '#'])
        .next()
        .and_then(|u| u.rsplit('/').next())
        .unwrap_or(chart)
        .to_string();
    Ok(Located {
        url,
        file_name,
        version: cv.metadata.version.clone(),
        options,
    })
}
