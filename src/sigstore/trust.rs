//! The trusted root: the Fulcio CAs, transparency logs, CT logs and TSAs
//! whose keys a verification accepts.

use std::path::Path;

use sigstore_verify::trust_root::{SigstoreInstance, TrustedRoot};
use sigstore_verify::Verifier;

use super::SigstoreError;

/// A trusted root, prepared for verifying (its keys parsed once, however
/// many signatures are checked against it).
pub struct Trust {
    pub(super) verifier: Verifier,
    /// Where the root came from, for messages.
    pub source: String,
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

    /// `--trusted-root FILE` when given, else the public-good root.
    pub fn given_or_public_good(path: Option<&Path>) -> Result<Trust, SigstoreError> {
        match path {
            Some(p) => Trust::from_file(p),
            None => Trust::public_good(),
        }
    }

    fn prepare(root: &TrustedRoot, what: String) -> Result<Trust, SigstoreError> {
        let verifier = Verifier::new(root).map_err(|e| SigstoreError::TrustedRoot {
            what: what.clone(),
            detail: e.to_string(),
        })?;
        Ok(Trust {
            verifier,
            source: what,
        })
    }
}
