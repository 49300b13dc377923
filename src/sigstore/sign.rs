//! Signing a file into a Sigstore bundle, as `cosign sign-blob --bundle`
//! does with a key: a v0.3 bundle holding the SHA-256 digest of the file,
//! the ECDSA signature over it, and the key's hint (never the key).

use std::path::Path;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use sha2::{Digest, Sha256};
use sigstore_verify::bundle::BundleV03;
use sigstore_verify::types::bundle::{MessageDigest, MessageSignature, SignatureContent};
use sigstore_verify::types::{Bundle, HashAlgorithm, Sha256Hash};

use sigstore_verify::PublicKeyVerificationPolicy;

use super::keys::SigningKey;
use super::verify::Input;
use super::{SigstoreError, Trust};
use crate::net::SafeUrl;

/// How a signature is made.
#[derive(Debug, Clone, Copy)]
pub struct SignSettings<'a> {
    /// The transparency log to enter the signature in (`--rekor-url`);
    /// `None` for `--tlog-upload=false`.
    pub rekor: Option<&'a SafeUrl>,
    /// What the log's answer is verified against before the bundle is
    /// written.
    pub trust: &'a Trust,
}

/// The hint a keyed bundle carries, as cosign and sigstore-go write it: the
/// base64 SHA-256 of the public key's DER, which names the key without
/// giving it away.
pub fn key_hint(key: &SigningKey) -> String {
    B64.encode(Sha256::digest(key.public.as_bytes()))
}

/// The policy a signature just made is checked under before it is
/// written: its own key, or for a keyless one any identity (the
/// certificate's chain, SCT and the log are still checked against the
/// trusted root).
fn own_policy(key: &SigningKey) -> Box<dyn sigstore_verify::Policy> {
    match &key.certificate {
        Some(_) => Box::new(sigstore_verify::VerificationPolicy::any_identity()),
        None => Box::new(PublicKeyVerificationPolicy::new(key.public.clone())),
    }
}

/// A signature just made, with the log's answer, checked as a verifier
/// will check it: a bundle that would not verify is never written. `what`
/// names the file or manifest in the error.
pub(super) fn check_own(
    input: Input,
    bundle: &Bundle,
    key: &SigningKey,
    trust: &Trust,
    what: &Path,
) -> Result<(), SigstoreError> {
    let policy = own_policy(key);
    let r = match input {
        Input::File(path) => {
            let file = crate::fileutil::open_regular(path).map_err(|e| SigstoreError::Read {
                path: path.to_path_buf(),
                source: e,
            })?;
            trust.verifier.verify_reader(file, bundle, policy.as_ref())
        }
        Input::Bytes(b) => trust.verifier.verify(b, bundle, policy.as_ref()),
        Input::Digest(d) => trust.verifier.verify(
            sigstore_verify::types::Artifact::from_digest(Sha256Hash::new(d)),
            bundle,
            policy.as_ref(),
        ),
    };
    r.map(|_| ()).map_err(|e| SigstoreError::Sign {
        path: what.to_path_buf(),
        detail: format!(
            "the transparency log's answer does not verify against {}: {e}",
            trust.source
        ),
    })
}

/// Signs the file at `path` with `key`; the bundle's JSON.
pub fn sign_file(
    path: &Path,
    key: &SigningKey,
    settings: SignSettings,
) -> Result<String, SigstoreError> {
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
        MessageSignature::new(signature.clone())
            .with_message_digest(MessageDigest::new(HashAlgorithm::Sha2256, digest.into())),
    );
    let mut bundle = BundleV03::new(key.material(), content);
    if let Some(rekor) = settings.rekor {
        let entry = super::rekor::upload_hashedrekord(
            rekor,
            digest.as_bytes(),
            signature.as_bytes(),
            &key.verifier_pem(),
        )?;
        bundle = bundle.with_tlog_entry(entry);
    }
    let bundle = bundle.into_bundle();
    if settings.rekor.is_some() {
        check_own(Input::File(path), &bundle, key, settings.trust, path)?;
    }
    bundle.to_json().map_err(|e| SigstoreError::Sign {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })
}
