//! Sigstore signatures, as cosign makes and reads them: bundles verified
//! fully offline against a trusted root, under a policy that says whose
//! signature counts.
//!
//! The cryptography, the certificate chain, the transparency log's inclusion
//! proofs, checkpoints and signed entry timestamps, and RFC 3161 timestamps
//! are checked by `sigstore-verify`, which passes every case of the Sigstore
//! conformance suite offline (the `sigstore` crate checks neither inclusion
//! proofs nor signed entry timestamps). This module adds what a command line
//! needs around it: bounded reading of bundles, roots and keys from files an
//! attacker may have written, cosign's policy flags (exact or regular
//! expression identities and issuers, the GitHub workflow claims), and one
//! error line that says which file failed and why.

mod keyless;
mod keys;
mod oci;
mod policy;
mod rekor;
mod services;
mod sign;
mod trust;
mod tsa;
mod tuf;
mod verify;

use std::path::PathBuf;

use thiserror::Error;

pub use keyless::{identity_token, keyless_key};
pub use keys::{
    generate_key_pair, key_needs_password, public_key_pem, read_signing_key, GeneratedKeys,
    SigningKey,
};
pub use oci::{
    digest_bytes, sign_manifest_bundle, sign_manifest_legacy, verify_manifest_bundle,
    verify_manifest_legacy, LegacySigned, COSIGN_SIGN_PREDICATE,
};
pub use policy::{GithubClaims, Matcher, Policy, PolicyFlags};
pub use services::{Log, ServiceFlags, Services, PUBLIC_FULCIO, PUBLIC_REKOR};
pub use sign::{key_hint, sign_file, SignSettings};
pub use trust::{Trust, TrustStore};
pub use tuf::{update as update_trust, Updated};
pub use verify::{
    bundle_path, read_bundle, verify_bundle, verify_downloaded, verify_file, Input, Labels,
    Verified, BUNDLE_SUFFIX,
};

/// A bundle, a trusted root or a public key file: all are small JSON or PEM
/// documents (a bundle with a large in-toto attestation stays well under
/// this), so anything larger is refused before it is parsed.
const MAX_DOCUMENT: u64 = 16 << 20;

/// A bundle, root or key file as text, within [`MAX_DOCUMENT`].
fn read_document(path: &std::path::Path) -> Result<String, SigstoreError> {
    let bytes =
        crate::fileutil::read_regular(path, MAX_DOCUMENT).map_err(|e| SigstoreError::Read {
            path: path.to_path_buf(),
            source: e,
        })?;
    String::from_utf8(bytes).map_err(|_| SigstoreError::NotText {
        path: path.to_path_buf(),
    })
}

/// How long a Sigstore service (or GitHub's token service) gets to answer.
const SERVICE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// The client for every request to a Sigstore service: no redirects, so a
/// token or signature never goes to a host it was not sent to.
fn service_client() -> Result<reqwest::blocking::Client, String> {
    crate::net::client(&crate::net::HttpOptions {
        timeout: Some(SERVICE_TIMEOUT),
        no_redirects: true,
        ..Default::default()
    })
    .map_err(|e| crate::cli::render_error(&e))
}

/// Sends `request` and reads the answer within `max` bytes: its status
/// and body, or why there is none (the caller names the service).
fn exchange(
    request: reqwest::blocking::RequestBuilder,
    max: u64,
) -> Result<(u16, Vec<u8>), String> {
    let answer = request.send().map_err(|e| crate::net::describe(&e))?;
    let status = answer.status().as_u16();
    let body = crate::net::read_body(answer, max, std::time::Instant::now() + SERVICE_TIMEOUT)
        .map_err(|e| match e {
            crate::net::BodyError::TooLarge => format!("the answer is larger than {max} bytes"),
            crate::net::BodyError::TimedOut => format!(
                "the answer did not arrive whole within {} s",
                SERVICE_TIMEOUT.as_secs()
            ),
            crate::net::BodyError::Io(e) => {
                format!("reading the answer: {}", crate::cli::output::io_words(&e))
            }
        })?;
    Ok((status, body))
}

fn sha256(b: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(b).into()
}

/// The SHA-256 of a file, read in constant memory.
fn sha256_file(path: &std::path::Path) -> std::io::Result<[u8; 32]> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut file = crate::fileutil::open_regular(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            return Ok(hasher.finalize().into());
        }
        hasher.update(&buf[..n]);
    }
}

#[derive(Debug, Error)]
pub enum SigstoreError {
    #[error("cannot read {}", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {}", .path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("TUF repository {url}: {detail}")]
    Tuf { url: String, detail: String },
    #[error("{}: not UTF-8 text", .path.display())]
    NotText { path: PathBuf },
    #[error("{}: not a Sigstore bundle: {detail}", .path.display())]
    Bundle { path: PathBuf, detail: String },
    #[error("{what}: not a usable Sigstore trusted root: {detail}")]
    TrustedRoot { what: String, detail: String },
    #[error("{}: not a public key (PEM `PUBLIC KEY`): {detail}", .path.display())]
    PublicKey { path: PathBuf, detail: String },
    #[error("{}: not a usable cosign private key: {detail}", .path.display())]
    PrivateKey { path: PathBuf, detail: String },
    #[error("cannot generate {0}")]
    KeyGeneration(String),
    #[error("{}: cannot sign: {detail}", .path.display())]
    Sign { path: PathBuf, detail: String },
    #[error("{detail}")]
    Token { detail: String },
    #[error("certificate authority {url}: {detail}")]
    Fulcio { url: String, detail: String },
    #[error("transparency log {url}: {detail}")]
    Rekor { url: String, detail: String },
    #[error("timestamp authority {url}: {detail}")]
    Tsa { url: String, detail: String },
    #[error("{what}: not a usable Sigstore signing configuration: {detail}")]
    SigningConfig { what: String, detail: String },
    #[error(
        "--signing-config names every service; drop --fulcio-url, --rekor-url and --tsa-url, \
         or the configuration"
    )]
    ServicesTwice,
    #[error(
        "{what} names only a Rekor v2 log, and cosign's legacy .sig form carries a signed \
         entry timestamp, which only Rekor v1 makes: sign with --sigstore-format bundle, or \
         name a v1 log with --rekor-url"
    )]
    NoV1Log { what: String },
    #[error(
        "the {what} {url} (from {services}) is the public-good instance's, which {trust} \
         does not name, so its answer could not verify: give the instance's services with \
         --signing-config, or --fulcio-url, --rekor-url and --tsa-url"
    )]
    ServiceNotTrusted {
        what: &'static str,
        url: String,
        services: String,
        trust: String,
    },
    #[error("{flag}: not a valid regular expression: {detail}")]
    Regex { flag: &'static str, detail: String },
    #[error(
        "a Sigstore verification needs a policy: --key FILE, or --certificate-identity (or \
         --certificate-identity-regexp) with --certificate-oidc-issuer (or \
         --certificate-oidc-issuer-regexp)"
    )]
    NoPolicy,
    #[error("{0}")]
    IncompletePolicy(&'static str),
    #[error("{artifact}: the Sigstore signature in {bundle} does not verify: {detail}")]
    Refused {
        artifact: String,
        bundle: String,
        detail: String,
    },
}
