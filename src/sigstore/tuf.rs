//! `helm prov trust update`: the instance's `trusted_root.json` and
//! `signing_config.v0.2.json` fetched over TUF, as cosign `initialize` and
//! sigstore-python fetch them, and stored for every later run (see
//! [`TrustStore`]).
//!
//! TUF is what makes fetching them over any mirror safe: the metadata is
//! verified from a root we already trust (the public-good instance's,
//! built in, or `--root FILE`) through every root rotation, with version
//! floors against rollback, expiry against freeze, and pinned lengths and
//! hashes for the targets. The client is sigstore-rust's `sigstore-tuf`,
//! which bounds every file it reads and every request it makes. What it
//! hands back is parsed before anything is written, and both files are
//! replaced atomically under a lock.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;
use sigstore_tuf::{FileStore, HttpRepository, Updater, UpdaterConfig};
use sigstore_verify::trust_root::{SigningConfig, SigstoreInstance, TrustedRoot};

use super::{SigstoreError, TrustStore};

const TRUSTED_ROOT: &str = "trusted_root.json";
const SIGNING_CONFIG: &str = "signing_config.v0.2.json";
/// A TUF root file given with `--root`: Sigstore's are a few KiB.
const MAX_ROOT: u64 = 512 << 10;

/// What an update fetched and where it put it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Updated {
    pub repository: String,
    pub root_version: u64,
    pub trusted_root: PathBuf,
    /// `None` when the repository publishes no signing configuration (the
    /// one stored before is then removed, so that signing does not use
    /// services of another state of the instance).
    pub signing_config: Option<PathBuf>,
}

/// Updates `store` from the TUF repository at `mirror` (default: the
/// public-good instance's), trusting `root` (default: the public-good
/// instance's TUF root built in).
pub fn update(
    store: &TrustStore,
    mirror: Option<&str>,
    root: Option<&Path>,
) -> Result<Updated, SigstoreError> {
    let url = mirror
        .unwrap_or(SigstoreInstance::PublicGood.tuf_url())
        .to_string();
    let shown = crate::net::redact(&url);
    let fail = |detail: String| SigstoreError::Tuf {
        url: shown.clone(),
        detail,
    };
    let root_bytes = match root {
        Some(p) => crate::fileutil::read_regular(p, MAX_ROOT).map_err(|e| SigstoreError::Read {
            path: p.to_path_buf(),
            source: e,
        })?,
        None => SigstoreInstance::PublicGood.tuf_root().to_vec(),
    };
    let cache = store.tuf_cache.join(cache_name(&url));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| fail(format!("cannot start the HTTP runtime: {e}")))?;
    let (root_version, trusted, signing) = runtime
        .block_on(fetch(&url, &root_bytes, &cache))
        .map_err(|e| match e {
            Fetch::Tuf(e) => fail(crate::net::redact_urls(&crate::cli::render_error(&e))),
            Fetch::TooLarge { target, length } => fail(format!(
                "its {target} is {length} bytes, more than the {} a Sigstore document may be",
                super::MAX_DOCUMENT
            )),
        })?;

    // Both parse, and the root is usable for verifying, before either is
    // written: a repository that serves nonsense leaves what we had.
    let text = |b: Vec<u8>, what: &str| {
        String::from_utf8(b).map_err(|_| fail(format!("{what} is not UTF-8")))
    };
    let trusted = text(trusted, TRUSTED_ROOT)?;
    let from = format!("{TRUSTED_ROOT} from {shown}");
    let parsed = TrustedRoot::from_json(&trusted).map_err(|e| SigstoreError::TrustedRoot {
        what: from.clone(),
        detail: e.to_string(),
    })?;
    sigstore_verify::Verifier::new(&parsed).map_err(|e| SigstoreError::TrustedRoot {
        what: from,
        detail: e.to_string(),
    })?;
    let signing = match signing {
        Some(b) => {
            let t = text(b, SIGNING_CONFIG)?;
            let what = format!("{SIGNING_CONFIG} from {shown}");
            let config =
                SigningConfig::from_json(&t).map_err(|e| SigstoreError::SigningConfig {
                    what: what.clone(),
                    detail: e.to_string(),
                })?;
            // One that every later signing run would refuse is refused
            // now, while the one stored before still works.
            super::Services::from_config(&config, true, what)?;
            Some(t)
        }
        None => None,
    };

    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |e: std::io::Error| SigstoreError::Write { path, source: e }
    };
    std::fs::create_dir_all(&store.dir).map_err(io(&store.dir))?;
    let _lock = crate::fileutil::DirLock::acquire(&store.dir).map_err(io(&store.dir))?;
    let root_path = store.trusted_root();
    let config_path = store.signing_config();
    crate::fileutil::atomic_write(&root_path, |w| w.write_all(trusted.as_bytes()))
        .map_err(io(&root_path))?;
    match &signing {
        Some(t) => crate::fileutil::atomic_write(&config_path, |w| w.write_all(t.as_bytes()))
            .map_err(io(&config_path))?,
        None => match std::fs::remove_file(&config_path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io(&config_path)(e)),
            _ => {}
        },
    }
    Ok(Updated {
        repository: shown,
        root_version,
        trusted_root: root_path,
        signing_config: signing.map(|_| config_path),
    })
}

/// Why a TUF session stopped.
enum Fetch {
    Tuf(sigstore_tuf::Error),
    /// A target whose signed length is beyond what we read.
    TooLarge {
        target: &'static str,
        length: u64,
    },
}

impl From<sigstore_tuf::Error> for Fetch {
    fn from(e: sigstore_tuf::Error) -> Fetch {
        Fetch::Tuf(e)
    }
}

/// One TUF session: refresh from `root`, then both targets (the signing
/// configuration only when the repository has one), each within
/// [`super::MAX_DOCUMENT`]: the length the targets metadata pins is what
/// the client reads, so it is checked first.
async fn fetch(
    url: &str,
    root: &[u8],
    cache: &Path,
) -> Result<(u64, Vec<u8>, Option<Vec<u8>>), Fetch> {
    // Timeouts against a mirror that stalls (TUF's slow-retrieval attack);
    // proxies from the environment, as for every other request.
    let client = sigstore_tuf::reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(30))
        .read_timeout(Duration::from_secs(60))
        .timeout(Duration::from_secs(120))
        .build()
        .map_err(|e| sigstore_tuf::Error::transport(format!("no HTTP client: {e}")))?;
    let repo = HttpRepository::new(url)?.with_http_client(client);
    let mut config = UpdaterConfig::default();
    config.target_max_length = super::MAX_DOCUMENT;
    let mut updater = Updater::new(repo, root)?
        .with_config(config)
        .with_store(FileStore::new(cache));
    let now = jiff::Timestamp::now();
    updater.refresh(now).await?;
    let version = updater.trusted().root().version;
    let mut targets = Vec::with_capacity(2);
    for target in [TRUSTED_ROOT, SIGNING_CONFIG] {
        let Some(info) = updater.get_target_info(target, now).await? else {
            targets.push(None);
            continue;
        };
        if info.length > super::MAX_DOCUMENT {
            return Err(Fetch::TooLarge {
                target,
                length: info.length,
            });
        }
        targets.push(Some(match updater.find_cached_target(&info, target) {
            Some(b) => b,
            None => updater.download_target(&info, target).await?,
        }));
    }
    let signing = targets.pop().flatten();
    let trusted = targets.pop().flatten().ok_or_else(|| {
        sigstore_tuf::Error::transport(format!("the repository has no {TRUSTED_ROOT}"))
    })?;
    Ok((version, trusted, signing))
}

/// A folder name for one repository's cache: repositories never share
/// metadata, and a URL needs no escaping this way.
fn cache_name(url: &str) -> String {
    super::rekor::hex(&super::sha256(url.trim_end_matches('/').as_bytes())[..12])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_get_their_own_cache() {
        assert_eq!(
            cache_name("https://a.example/"),
            cache_name("https://a.example")
        );
        assert_ne!(
            cache_name("https://a.example"),
            cache_name("https://b.example")
        );
        assert_eq!(cache_name("x").len(), 24);
    }
}
