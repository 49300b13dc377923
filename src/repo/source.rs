//! Where an index comes from, and how its charts are downloaded: a file, a
//! URL, or a repository the user added with `helm repo add`.
//!
//! Every command that takes "a repository" (`helm idx merge`, `helm ocipush
//! migrate`, `helm prov verify REPO/CHART`) resolves it here, with one rule:
//!
//! - an `http(s)://` URL is fetched; the credentials and TLS files are those
//!   of the repositories.yaml entry whose `url` is that URL (a trailing slash
//!   does not count), and none when no entry has it;
//! - an existing path is read as an index file;
//! - otherwise the spec names an entry of repositories.yaml, whose index is
//!   read from Helm's cache (`<name>-index.yaml`, what `helm repo add` and
//!   `helm repo update` stored) when present, else fetched with the entry's
//!   credentials and TLS files ([`RepoSource::fresh`] skips the cache, for a
//!   command that must see what is served now).
//!
//! Chart archives are then downloaded with the same entry's TLS files, and
//! with its credentials only when the archive is on the repository's own
//! host (scheme, host and port), unless the entry sets
//! `pass_credentials_all`, as Helm does for chart downloads. Relative chart
//! URLs resolve against the repository URL, as Helm resolves them.

use std::path::{Path, PathBuf};

use thiserror::Error;

use super::index::{ChartVersion, IndexFile};
use super::load::{load_index, LoadIndexError, Strictness};
use super::repofile::{self, Entry, RepoFileError};
use crate::cli::EnvSettings;
use crate::getter::{self, Body, GetError, GetterOptions};
use crate::go::semver::Version;
use crate::net::SafeUrl;

#[derive(Debug, Error)]
pub enum SourceError {
    #[error(transparent)]
    Get(#[from] GetError),
    #[error("cannot read {}", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    RepoFile(#[from] RepoFileError),
    #[error("{spec:?} is not a file, an http(s) URL, or a repository in {} (helm repo add it first)", .repositories.display())]
    Unknown { spec: String, repositories: PathBuf },
    #[error("repository {name:?} is not in {} (helm repo add it first)", .repositories.display())]
    NoRepository { name: String, repositories: PathBuf },
    #[error("index of {label}")]
    Index {
        label: String,
        source: LoadIndexError,
    },
    #[error("bad chart URL {url}")]
    ChartUrl {
        url: SafeUrl,
        source: url::ParseError,
    },
    #[error("{label}: chart {chart:?} {version} not found")]
    NoChart {
        label: String,
        chart: String,
        version: String,
    },
}

/// Where an index is read from.
#[derive(Debug, Clone)]
enum Location {
    File(PathBuf),
    /// Helm's cached copy of a repository's index.
    Cache(PathBuf),
    Remote(SafeUrl),
}

/// A repository spec resolved by the one rule above.
#[derive(Debug, Clone)]
pub struct RepoSource {
    /// How to name it in messages (never with credentials).
    pub label: String,
    location: Location,
    /// The repository: a repositories.yaml entry, or a bare URL without
    /// credentials; `None` for an index file.
    entry: Option<Entry>,
}

/// A chart version located in a repository, and how to download it.
#[derive(Debug, Clone)]
pub struct Download {
    pub url: SafeUrl,
    /// The archive's file name.
    pub file_name: String,
    pub options: GetterOptions,
}

/// An http(s) URL, or any other `scheme://` a getter plugin may serve
/// (`gs://`, `s3://`, `azblob://`); `file://` names a file here.
fn is_url(spec: &str) -> bool {
    match spec.split_once("://") {
        Some((scheme, _)) => {
            !scheme.is_empty()
                && !scheme.eq_ignore_ascii_case("file")
                && scheme
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        }
        None => false,
    }
}

fn same_url(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

impl RepoSource {
    /// Resolves `spec`: an http(s) URL, an index file, or a repository name.
    pub fn resolve(spec: &str, settings: &EnvSettings) -> Result<RepoSource, SourceError> {
        if is_url(spec) {
            let repos = repofile::load(&settings.repository_config)?;
            let entry = repos
                .into_iter()
                .find(|e| same_url(e.url.expose(), spec))
                .unwrap_or_else(|| Entry {
                    url: SafeUrl::from(spec),
                    ..Entry::default()
                });
            let url = SafeUrl::from(index_url(spec));
            return Ok(RepoSource {
                label: url.to_string(),
                location: Location::Remote(url),
                entry: Some(entry),
            });
        }
        let path = Path::new(spec);
        if path.exists() {
            return Ok(RepoSource {
                label: spec.to_string(),
                location: Location::File(path.to_path_buf()),
                entry: None,
            });
        }
        let repos = repofile::load(&settings.repository_config)?;
        match repos.into_iter().find(|e| e.name == spec) {
            Some(entry) => Ok(Self::repository(entry, settings)),
            None => Err(SourceError::Unknown {
                spec: spec.to_string(),
                repositories: settings.repository_config.clone(),
            }),
        }
    }

    /// The repository named `name` in repositories.yaml, and nothing else
    /// (the `REPO` of `REPO/CHART`).
    pub fn named(name: &str, settings: &EnvSettings) -> Result<RepoSource, SourceError> {
        let repos = repofile::load(&settings.repository_config)?;
        match repos.into_iter().find(|e| e.name == name) {
            Some(entry) => Ok(Self::repository(entry, settings)),
            None => Err(SourceError::NoRepository {
                name: name.to_string(),
                repositories: settings.repository_config.clone(),
            }),
        }
    }

    fn repository(entry: Entry, settings: &EnvSettings) -> RepoSource {
        let cached = settings
            .repository_cache
            .join(format!("{}-index.yaml", entry.name));
        let (label, location) = if cached.is_file() {
            (cached.display().to_string(), Location::Cache(cached))
        } else {
            (
                format!("repository {}", entry.name),
                Location::Remote(SafeUrl::from(index_url(entry.url.expose()))),
            )
        };
        RepoSource {
            label,
            location,
            entry: Some(entry),
        }
    }

    /// The same source, but a repository's index fetched from the
    /// repository rather than read from Helm's cache: for a command that must
    /// see what is served now (a migration), not what `helm repo update`
    /// last stored.
    pub fn fresh(mut self) -> RepoSource {
        if let (Location::Cache(_), Some(entry)) = (&self.location, &self.entry) {
            self.label = format!("repository {}", entry.name);
            self.location = Location::Remote(SafeUrl::from(index_url(entry.url.expose())));
        }
        self
    }

    /// Whether charts can be downloaded from it (a repository or URL, not a
    /// bare index file).
    pub fn is_repository(&self) -> bool {
        self.entry.is_some()
    }

    /// The index bytes, as stored or served.
    pub fn read_index(&self) -> Result<Vec<u8>, SourceError> {
        match &self.location {
            Location::File(path) | Location::Cache(path) => {
                crate::debug!("reading index {}", path.display());
                super::read_index_file(path).map_err(|source| SourceError::Read {
                    path: path.clone(),
                    source,
                })
            }
            Location::Remote(url) => Ok(getter::get(url, &self.index_options(), Body::Index)?),
        }
    }

    /// The index, loaded as Helm loads a repository's index.
    pub fn load_index(&self) -> Result<(IndexFile, Vec<String>), SourceError> {
        let bytes = self.read_index()?;
        let loaded = load_index(&bytes, &self.label, Strictness::Helm).map_err(|source| {
            SourceError::Index {
                label: self.label.clone(),
                source,
            }
        })?;
        Ok((loaded.index, loaded.warnings))
    }

    fn index_options(&self) -> GetterOptions {
        self.entry.as_ref().map(options).unwrap_or_default()
    }

    /// The base relative chart URLs resolve against, for a repository.
    pub fn base_url(&self) -> Option<String> {
        self.entry.as_ref().map(|e| repo_base(e.url.expose()))
    }

    /// Makes every relative chart URL of `index` absolute, so that entries
    /// copied out of a repository keep working from anywhere.
    pub fn absolutize(&self, index: &mut IndexFile) {
        if let Some(base) = self.base_url() {
            absolutize_urls(index, &base);
        }
    }

    /// Where to download the archive `cv` lists first, and with which
    /// options (see the module documentation for the credential rule).
    pub fn download(&self, cv: &ChartVersion) -> Result<Download, SourceError> {
        let not_found = || SourceError::NoChart {
            label: self.label.clone(),
            chart: cv.metadata.name.clone(),
            version: cv.metadata.version.clone(),
        };
        let raw = cv
            .urls
            .as_ref()
            .and_then(|u| u.first())
            .ok_or_else(not_found)?;
        let Some(entry) = &self.entry else {
            return Err(not_found());
        };
        let bad = |source| SourceError::ChartUrl {
            url: SafeUrl::from(raw.as_str()),
            source,
        };
        let url = match url::Url::parse(raw) {
            Ok(u) => u,
            Err(_) => url::Url::parse(&repo_base(entry.url.expose()))
                .and_then(|b| b.join(raw))
                .map_err(bad)?,
        };
        let mut opts = options(entry);
        if !entry.pass_credentials_all && origin(url.as_str()) != origin(entry.url.expose()) {
            opts = opts.without_credentials();
        }
        let file_name = url
            .path_segments()
            .and_then(|mut s| s.next_back())
            .filter(|n| !n.is_empty())
            .unwrap_or(&cv.metadata.name)
            .to_string();
        Ok(Download {
            url: SafeUrl::from(String::from(url)),
            file_name,
            options: opts,
        })
    }

    /// Finds `chart` at `version`, or its newest stable version, as `helm
    /// pull REPO/CHART --version V` does, and where to download it.
    pub fn locate(
        &self,
        chart: &str,
        version: Option<&str>,
    ) -> Result<(ChartVersion, Download), SourceError> {
        let (index, _) = self.load_index()?;
        let not_found = || SourceError::NoChart {
            label: self.label.clone(),
            chart: chart.to_string(),
            version: version.unwrap_or("(latest)").to_string(),
        };
        let versions = index.entries.get(chart).ok_or_else(not_found)?;
        let cv = match version {
            Some(v) => versions.iter().find(|c| c.metadata.version == v),
            None => versions.iter().find(|c| {
                Version::parse(&c.metadata.version).is_ok_and(|v| v.prerelease().is_empty())
            }),
        }
        .ok_or_else(not_found)?;
        let download = self.download(cv)?;
        Ok((cv.clone(), download))
    }
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

/// Scheme, host and port of a URL: where credentials may go.
fn origin(url: &str) -> Option<(String, String, u16)> {
    let u = url::Url::parse(url).ok()?;
    Some((
        u.scheme().to_string(),
        u.host_str()?.to_ascii_lowercase(),
        u.port_or_known_default()?,
    ))
}

/// Getter options from a repositories.yaml entry.
fn options(e: &Entry) -> GetterOptions {
    let path = |s: &str| (!s.is_empty()).then(|| PathBuf::from(s));
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
fn absolutize_urls(index: &mut IndexFile, base: &str) {
    let Ok(base) = url::Url::parse(base) else {
        return;
    };
    for cv in index.entries.values_mut().flatten() {
        if let Some(urls) = &mut cv.urls {
            for u in urls.iter_mut() {
                if url::Url::parse(u).is_err() {
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
    use crate::net::Secret;
    use std::ffi::OsString;

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
        let mut cv = ChartVersion::default();
        cv.metadata.name = "a".into();
        cv.urls = Some(vec!["a-1.tgz".into(), "https://other/a-1.tgz".into()]);
        i.push(cv);
        absolutize_urls(&mut i, "https://h/charts/");
        assert_eq!(
            i.entries["a"][0].urls.as_deref().unwrap(),
            ["https://h/charts/a-1.tgz", "https://other/a-1.tgz"]
        );
    }

    /// Settings whose repositories.yaml has one entry with credentials.
    fn settings_with_repo(dir: &Path, url: &str, pass_all: bool) -> EnvSettings {
        let repos = dir.join("repositories.yaml");
        std::fs::write(
            &repos,
            format!(
                "repositories:\n- name: withpw\n  url: {url}\n  username: me\n  password: hunter2\n  caFile: /ca.pem\n  pass_credentials_all: {pass_all}\n"
            ),
        )
        .unwrap();
        let home = dir.to_path_buf();
        let mut s = EnvSettings::from_lookup(&|k| (k == "HOME").then(|| OsString::from(&home)));
        s.repository_config = repos;
        s.repository_cache = dir.join("cache");
        s
    }

    fn version(urls: &[&str]) -> ChartVersion {
        let mut cv = ChartVersion::default();
        cv.metadata.name = "a".into();
        cv.metadata.version = "1.0.0".into();
        cv.urls = Some(urls.iter().map(|u| u.to_string()).collect());
        cv
    }

    #[test]
    fn every_source_kind_follows_one_credential_rule() {
        let d = tempfile::tempdir().unwrap();
        let s = settings_with_repo(d.path(), "https://charts.example.com/stable", false);
        let with_pw = |src: &RepoSource| src.index_options().password == Secret::from("hunter2");

        // The configured repository by name: its credentials and TLS files.
        let named = RepoSource::resolve("withpw", &s).unwrap();
        assert!(with_pw(&named));
        assert_eq!(
            named.index_options().ca_file.as_deref(),
            Some(Path::new("/ca.pem"))
        );
        // Its URL, with or without a trailing slash: the same entry.
        for spec in [
            "https://charts.example.com/stable",
            "https://charts.example.com/stable/",
        ] {
            let by_url = RepoSource::resolve(spec, &s).unwrap();
            assert!(with_pw(&by_url), "{spec}");
            assert!(!by_url.label.contains("hunter2"));
        }
        // Another URL: nothing configured, nothing sent.
        let other = RepoSource::resolve("https://charts.example.com/other", &s).unwrap();
        assert!(!other.index_options().has_credentials());
        assert_eq!(other.index_options().ca_file, None);
        // A file: no repository at all, so no download.
        let file = d.path().join("index.yaml");
        std::fs::write(&file, "apiVersion: v1\nentries: {}\n").unwrap();
        let local = RepoSource::resolve(file.to_str().unwrap(), &s).unwrap();
        assert!(!local.is_repository());
        assert!(local
            .download(&version(&["https://x/a-1.0.0.tgz"]))
            .is_err());
        // An unknown name is an error naming repositories.yaml.
        let e = RepoSource::resolve("nope", &s).unwrap_err().to_string();
        assert!(e.contains("repositories.yaml"), "{e}");
        let e = RepoSource::named("nope", &s).unwrap_err().to_string();
        assert!(e.contains("helm repo add"), "{e}");

        // Chart downloads: credentials only to the repository's own origin.
        for src in [
            &named,
            &RepoSource::resolve("https://charts.example.com/stable/", &s).unwrap(),
        ] {
            let same = src.download(&version(&["a-1.0.0.tgz"])).unwrap();
            assert_eq!(
                same.url.expose(),
                "https://charts.example.com/stable/a-1.0.0.tgz"
            );
            assert_eq!(same.file_name, "a-1.0.0.tgz");
            assert!(same.options.has_credentials());
            for elsewhere in [
                "https://cdn.example.com/a-1.0.0.tgz",
                "http://charts.example.com/stable/a-1.0.0.tgz",
                "https://charts.example.com:8443/stable/a-1.0.0.tgz",
            ] {
                let o = src.download(&version(&[elsewhere])).unwrap();
                assert!(!o.options.has_credentials(), "{elsewhere}");
                assert_eq!(o.options.ca_file.as_deref(), Some(Path::new("/ca.pem")));
            }
        }
        let s = settings_with_repo(d.path(), "https://charts.example.com/stable", true);
        let all = RepoSource::resolve("withpw", &s).unwrap();
        let o = all
            .download(&version(&["https://cdn.example.com/a-1.0.0.tgz"]))
            .unwrap();
        assert!(o.options.has_credentials());
    }
}
