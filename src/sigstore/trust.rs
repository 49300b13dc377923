//! The trusted root: the Fulcio CAs, transparency logs, CT logs and TSAs
//! whose keys a verification accepts, and where `helm prov trust update`
//! keeps the refreshed one.

use std::path::{Path, PathBuf};

use sigstore_verify::trust_root::{SigstoreInstance, TrustedRoot};
use sigstore_verify::Verifier;

use super::SigstoreError;

/// A trusted root, prepared for verifying (its keys parsed once, however
/// many signatures are checked against it).
pub struct Trust {
    pub(super) verifier: Verifier,
    /// Where the root came from, for messages.
    pub source: String,
    /// The hosts of the services the root names (its logs, certificate
    /// authorities and timestamp authorities), lowercased.
    pub(super) service_hosts: Vec<String>,
}

impl std::fmt::Debug for Trust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Trust")
            .field("source", &self.source)
            .finish()
    }
}

impl Trust {
    /// The public-good instance's root, as the `sigstore-trust-root` crate
    /// embeds it at build time: verifying needs no network.
    pub fn public_good() -> Result<Trust, SigstoreError> {
        let what = "the embedded public-good root".to_string();
        let root = TrustedRoot::from_embedded(SigstoreInstance::PublicGood).map_err(|e| {
            SigstoreError::TrustedRoot {
                what: what.clone(),
                detail: e.to_string(),
            }
        })?;
        Self::prepare(&root, what)
    }

    /// A `trusted_root.json` file (`--trusted-root`), as cosign and
    /// sigstore-python read it.
    pub fn from_file(path: &Path) -> Result<Trust, SigstoreError> {
        let what = path.display().to_string();
        let text = super::read_document(path)?;
        let root = TrustedRoot::from_json(&text).map_err(|e| SigstoreError::TrustedRoot {
            what: what.clone(),
            detail: e.to_string(),
        })?;
        Self::prepare(&root, what)
    }

    /// `--trusted-root FILE` when given, else the root `helm prov trust
    /// update` stored, else the public-good root built in.
    pub fn select(given: Option<&Path>, store: &TrustStore) -> Result<Trust, SigstoreError> {
        let refreshed = store.trusted_root();
        match given {
            Some(p) => Trust::from_file(p),
            None if refreshed.is_file() => {
                let mut t = Trust::from_file(&refreshed)?;
                t.source = format!(
                    "the trusted root from `helm prov trust update` ({})",
                    refreshed.display()
                );
                Ok(t)
            }
            None => Trust::public_good(),
        }
    }

    fn prepare(root: &TrustedRoot, what: String) -> Result<Trust, SigstoreError> {
        let verifier = Verifier::new(root).map_err(|e| SigstoreError::TrustedRoot {
            what: what.clone(),
            detail: e.to_string(),
        })?;
        let urls = root
            .tlogs
            .iter()
            .map(|l| l.base_url.as_str())
            .chain(root.certificate_authorities.iter().map(|c| c.uri.as_str()))
            .chain(
                root.timestamp_authorities
                    .iter()
                    .filter_map(|t| t.uri.as_deref()),
            );
        Ok(Trust {
            verifier,
            source: what,
            service_hosts: urls.filter_map(super::services::host_of).collect(),
        })
    }
}

/// Where `helm prov trust update` keeps what it fetched over TUF: the
/// trusted root and signing configuration in Helm's data folder (used by
/// every later run, so kept with Helm's plugins and starters), and the TUF
/// metadata in Helm's cache (it only spares downloads: every update
/// verifies the chain again from the root built in, or the one given).
#[derive(Debug, Clone)]
pub struct TrustStore {
    pub dir: PathBuf,
    pub tuf_cache: PathBuf,
}

impl TrustStore {
    pub fn of(env: &crate::cli::EnvSettings) -> TrustStore {
        TrustStore {
            dir: env.data_home.join("wharf").join("sigstore"),
            tuf_cache: env.cache_home.join("wharf").join("sigstore-tuf"),
        }
    }

    pub fn trusted_root(&self) -> PathBuf {
        self.dir.join("trusted_root.json")
    }

    pub fn signing_config(&self) -> PathBuf {
        self.dir.join("signing_config.json")
    }
}
