//! Signing a file into a Sigstore bundle, as `cosign sign-blob --bundle`
//! does with a key: a v0.3 bundle holding the SHA-256 digest of the file,
//! the ECDSA signature over it, and the key's hint (never the key).

use std::path::Path;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use sha2::{Digest, Sha256};
use sigstore_verify::bundle::BundleV03;
use sigstore_verify::types::bundle::{
    MessageDigest, MessageSignature, SignatureContent, TransparencyLogEntry,
};
use sigstore_verify::types::{Bundle, HashAlgorithm, Sha256Hash};

use sigstore_verify::PublicKeyVerificationPolicy;

use super::keys::SigningKey;
use super::rekor::Verifier;
use super::verify::Input;
use super::{Log, Services, SigstoreError, Trust};

/// How a signature is made.
#[derive(Debug, Clone, Copy)]
pub struct SignSettings<'a> {
    /// The log and timestamp authority to countersign with.
    pub services: &'a Services,
    /// What their answers are verified against before the bundle is
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
            "what the transparency log or timestamp authority answered does not verify \
             against {}: {e}",
            trust.source
        ),
    })
}

/// Enters a signature made with `key` in `log`. Rekor v2 takes every
/// signature as a `hashedrekord` 0.0.2 entry over `digest` (a file's, or a
/// DSSE envelope's PAE's, rekor-v2-spec §6.1.4); Rekor v1 takes a
/// `hashedrekord` over `digest`, or the `dsse_envelope` itself.
pub(super) fn enter(
    log: &Log,
    key: &SigningKey,
    digest: &[u8; 32],
    signature: &[u8],
    dsse_envelope: Option<&str>,
) -> Result<TransparencyLogEntry, SigstoreError> {
    if log.v2 {
        let verifier = match &key.certificate {
            Some(c) => Verifier::Certificate(c.leaf.as_bytes()),
            None => Verifier::PublicKey(key.public.as_bytes()),
        };
        return super::rekor::upload_hashedrekord_v2(&log.url, digest, signature, verifier);
    }
    match dsse_envelope {
        Some(envelope) => super::rekor::upload_dsse(&log.url, envelope, &key.verifier_pem()),
        None => super::rekor::upload_hashedrekord(&log.url, digest, signature, &key.verifier_pem()),
    }
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
    let services = settings.services;
    // The timestamp first, as cosign does: a timestamp authority that
    // fails leaves no entry in the log for a bundle never written.
    if let Some(tsa) = &services.tsa {
        bundle = bundle.with_rfc3161_timestamp(super::tsa::timestamp(tsa, signature.as_bytes())?);
    }
    if let Some(log) = &services.rekor {
        let entry = enter(log, key, digest.as_bytes(), signature.as_bytes(), None)?;
        bundle = bundle.with_tlog_entry(entry);
    }
    let bundle = bundle.into_bundle();
    if services.countersigned() {
        check_own(Input::File(path), &bundle, key, settings.trust, path)?;
    }
    bundle.to_json().map_err(|e| SigstoreError::Sign {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })
}
