//! Signing a file into a Sigstore bundle, as `cosign sign-blob --bundle`
//! does with a key: a v0.3 bundle holding the SHA-256 digest of the file,
//! the ECDSA signature over it, and the key's hint (never the key).

use std::path::Path;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use sha2::{Digest, Sha256};
use sigstore_verify::bundle::{BundleV03, VerificationMaterialV03};
use sigstore_verify::types::bundle::{MessageDigest, MessageSignature, SignatureContent};
use sigstore_verify::types::{HashAlgorithm, Sha256Hash};

use super::keys::SigningKey;
use super::SigstoreError;

/// How a signature is made.
#[derive(Debug, Clone, Copy)]
pub struct SignSettings {
    /// Enter the signature in a transparency log (`--tlog-upload`).
    pub tlog_upload: bool,
}

/// The hint a keyed bundle carries, as cosign and sigstore-go write it: the
/// base64 SHA-256 of the public key's DER, which names the key without
/// giving it away.
pub fn key_hint(key: &SigningKey) -> String {
    B64.encode(Sha256::digest(key.public.as_bytes()))
}

/// Signs the file at `path` with `key`; the bundle's JSON.
pub fn sign_file(
    path: &Path,
    key: &SigningKey,
    settings: SignSettings,
) -> Result<String, SigstoreError> {
    if settings.tlog_upload {
        return Err(SigstoreError::TlogUnavailable);
    }
    let digest = Sha256Hash::new(super::sha256_file(path).map_err(|e| SigstoreError::Read {
        path: path.to_path_buf(),
        source: e,
    })?);
    let signature = key
        .pair
        .sign_digest(&digest)
        .map_err(|e| SigstoreError::Sign {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?;
    let content = SignatureContent::MessageSignature(
        MessageSignature::new(signature)
            .with_message_digest(MessageDigest::new(HashAlgorithm::Sha2256, digest.into())),
    );
    let bundle = BundleV03::new(
        VerificationMaterialV03::PublicKey {
            hint: key_hint(key),
        },
        content,
    )
    .into_bundle();
    bundle.to_json().map_err(|e| SigstoreError::Sign {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })
}
