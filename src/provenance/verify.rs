//! Verifying a chart against its provenance file, in Helm's order of checks
//! (`Signatory.Verify`): the signature, then the archive's digest against the
//! `files:` entry named after the archive.
//!
//! Deliberate policy, stated in README: the signing key must have been valid
//! when it signed (a key that expired since still verifies, with a warning
//! naming the expiry date); a revoked key fails; SHA-1 signatures and RSA keys
//! under 2048 bits fail unless weak cryptography is allowed.

use std::time::SystemTime;

use openpgp::cert::amalgamation::ValidAmalgamation;
use openpgp::cert::Cert;
use openpgp::parse::stream::{
    DetachedVerifierBuilder, MessageLayer, MessageStructure, VerificationError, VerificationHelper,
};
use openpgp::parse::Parse;
use openpgp::policy::StandardPolicy;
use openpgp::types::{HashAlgorithm, RevocationStatus};
use openpgp::KeyHandle;
use sequoia_openpgp as openpgp;
use thiserror::Error;

use super::keyring::unsupported_crypto;
use super::{clearsign, message, mpi};
use crate::chart::digest;

/// What verification accepts beyond the standard policy.
#[derive(Debug, Clone, Copy, Default)]
pub struct Policy {
    /// Accept SHA-1 signatures and RSA keys under 2048 bits.
    pub allow_weak: bool,
}

/// A successful verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// The signer's user IDs.
    pub signed_by: Vec<String>,
    /// The signer's primary key fingerprint, upper-case hex (as Helm prints it).
    pub fingerprint: String,
    /// The fingerprint of the (sub)key that made the signature.
    pub signing_key: String,
    /// `sha256:<hex>` of the archive.
    pub file_hash: String,
    pub file_name: String,
    /// Non-fatal findings, such as a key that expired after signing.
    pub warnings: Vec<String>,
}

#[derive(Debug, Error)]
pub enum VerifyError {
    #[error("signature block not found")]
    NoSignature,
    #[error("openpgp: signature made by unknown entity{0}")]
    UnknownKey(String),
    #[error("openpgp: invalid signature: {0}")]
    BadSignature(String),
    #[error("key {0} is revoked")]
    Revoked(String),
    #[error("key {key} cannot be used for this signature: {reason}")]
    BadKey { key: String, reason: String },
    #[error("{0}")]
    Unsupported(String),
    #[error("weak cryptography refused: {0} (use --allow-weak to accept it)")]
    Weak(String),
    #[error(transparent)]
    MessageBlock(#[from] message::MessageError),
    #[error("provenance does not contain a SHA for a file named {0:?}")]
    NoSum(String),
    #[error("sha256 sum does not match for {file}: {want:?} != {got:?}")]
    Mismatch {
        file: String,
        want: String,
        got: String,
    },
}

/// Helm's verification of `archive` (named `file_name`) against `prov`.
pub fn verify(
    archive: &[u8],
    prov: &[u8],
    file_name: &str,
    keyring: &[Cert],
    opts: Policy,
) -> Result<Verification, VerifyError> {
    let block = clearsign::decode(prov).ok_or(VerifyError::NoSignature)?;
    let mut v = check_signature(&block, keyring, opts)?;
    let sum = format!("sha256:{}", digest(archive));
    let sums = message::parse_files(&block.plaintext)?;
    match sums.iter().find(|(k, _)| k == file_name) {
        None => return Err(VerifyError::NoSum(file_name.to_string())),
        Some((_, want)) if *want != sum => {
            return Err(VerifyError::Mismatch {
                file: file_name.to_string(),
                want: want.clone(),
                got: sum,
            })
        }
        Some(_) => {}
    }
    v.file_hash = sum;
    v.file_name = file_name.to_string();
    Ok(v)
}

fn standard_policy(opts: Policy) -> StandardPolicy<'static> {
    let mut p = StandardPolicy::new();
    if opts.allow_weak {
        p.accept_hash(HashAlgorithm::SHA1);
        p.accept_asymmetric_algo(openpgp::policy::AsymmetricAlgorithm::RSA1024);
    }
    p
}

struct Helper<'a> {
    keyring: &'a [Cert],
    outcome: Option<Result<Verification, VerifyError>>,
    now: SystemTime,
}

impl VerificationHelper for Helper<'_> {
    fn get_certs(&mut self, _ids: &[KeyHandle]) -> openpgp::Result<Vec<Cert>> {
        Ok(self.keyring.to_vec())
    }

    fn check(&mut self, structure: MessageStructure) -> openpgp::Result<()> {
        let mut first_error = None;
        for layer in structure {
            let MessageLayer::SignatureGroup { results } = layer else {
                continue;
            };
            for r in results {
                match r {
                    Ok(good) => {
                        let cert = good.ka.cert();
                        if let RevocationStatus::Revoked(_) =
                            cert.revocation_status(good.ka.policy(), None)
                        {
                            first_error
                                .get_or_insert(VerifyError::Revoked(cert.fingerprint().to_hex()));
                            continue;
                        }
                        if let RevocationStatus::Revoked(_) = good.ka.revocation_status() {
                            first_error.get_or_insert(VerifyError::Revoked(
                                good.ka.key().fingerprint().to_hex(),
                            ));
                            continue;
                        }
                        let mut warnings = Vec::new();
                        if let Some(exp) = good.ka.key_expiration_time() {
                            if exp <= self.now {
                                let when = chrono::DateTime::<chrono::Utc>::from(exp);
                                warnings.push(format!(
                                    "key {} expired on {} (after it made this signature)",
                                    good.ka.key().fingerprint().to_hex(),
                                    when.format("%Y-%m-%d")
                                ));
                            }
                        }
                        let signed_by = super::keyring::user_ids(cert);
                        self.outcome = Some(Ok(Verification {
                            signed_by,
                            fingerprint: cert.fingerprint().to_hex(),
                            signing_key: good.ka.key().fingerprint().to_hex(),
                            file_hash: String::new(),
                            file_name: String::new(),
                            warnings,
                        }));
                        return Ok(());
                    }
                    Err(e) => {
                        first_error.get_or_insert(classify(&e));
                    }
                }
            }
        }
        self.outcome = Some(Err(
            first_error.unwrap_or(VerifyError::UnknownKey(String::new()))
        ));
        Ok(())
    }
}

fn classify(e: &VerificationError<'_>) -> VerifyError {
    // Sequoia's StandardPolicy refusals of algorithms ("Policy rejected
    // asymmetric algorithm", "... hash algorithm", "SHA1 is not considered
    // secure").
    let weak = |s: &str| {
        s.contains("asymmetric algorithm")
            || s.contains("hash algorithm")
            || s.contains("SHA1")
            || s.contains("not considered secure")
    };
    // A key Sequoia would not use: first because the backend lacks its
    // algorithm, then because the policy finds it weak, else the reason.
    let key_refused = |cert: &Cert, key: String, reason: String| {
        if let Some(why) = unsupported_crypto(cert) {
            VerifyError::Unsupported(why)
        } else if weak(&reason) {
            VerifyError::Weak(reason)
        } else {
            VerifyError::BadKey { key, reason }
        }
    };
    match e {
        VerificationError::MissingKey { sig } => {
            let issuers: Vec<String> = sig.get_issuers().iter().map(|i| i.to_hex()).collect();
            VerifyError::UnknownKey(if issuers.is_empty() {
                String::new()
            } else {
                format!(" (issuer {})", issuers.join(", "))
            })
        }
        VerificationError::UnboundKey { cert, error, .. } => {
            key_refused(cert, cert.fingerprint().to_hex(), error.to_string())
        }
        VerificationError::BadKey { ka, error, .. } => {
            key_refused(ka.cert(), ka.key().fingerprint().to_hex(), chain(error))
        }
        VerificationError::BadSignature { error, .. } => {
            let reason = chain(error);
            if weak(&reason) {
                VerifyError::Weak(reason)
            } else {
                VerifyError::BadSignature(reason)
            }
        }
        VerificationError::MalformedSignature { error, .. } => {
            VerifyError::BadSignature(chain(error))
        }
        VerificationError::UnknownSignature { sig } => {
            VerifyError::BadSignature(sig.error().to_string())
        }
        other => VerifyError::BadSignature(other.to_string()),
    }
}

fn chain(e: &openpgp::anyhow::Error) -> String {
    e.chain()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(": ")
}

fn check_signature(
    block: &clearsign::Block,
    keyring: &[Cert],
    opts: Policy,
) -> Result<Verification, VerifyError> {
    let sig = mpi::normalize(&block.signature);
    let policy = standard_policy(opts);
    let now = SystemTime::now();
    let helper = Helper {
        keyring,
        outcome: None,
        now,
    };
    let mut verifier = DetachedVerifierBuilder::from_bytes(&sig)
        .and_then(|b| b.with_policy(&policy, None, helper))
        .map_err(|e| VerifyError::BadSignature(e.to_string()))?;
    let run = verifier.verify_bytes(&block.signed);
    let outcome = verifier.into_helper().outcome;
    match (run, outcome) {
        (_, Some(o)) => o,
        (Err(e), None) => Err(VerifyError::BadSignature(e.to_string())),
        (Ok(()), None) => Err(VerifyError::UnknownKey(String::new())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn prov_dir() -> PathBuf {
        crate::test_support::fixture("prov")
    }

    fn ring(name: &str) -> Vec<Cert> {
        super::super::keyring::load(&prov_dir().join("keys").join(name)).unwrap()
    }

    fn run(dir: &str, ring_name: &str) -> Result<Verification, VerifyError> {
        let d = prov_dir().join(dir);
        let tgz = std::fs::read_dir(&d)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "tgz"))
            .unwrap();
        let archive = std::fs::read(&tgz).unwrap();
        let mut prov_path = tgz.clone().into_os_string();
        prov_path.push(".prov");
        let prov = std::fs::read(prov_path).unwrap();
        let name = tgz.file_name().unwrap().to_str().unwrap();
        verify(&archive, &prov, name, &ring(ring_name), Policy::default())
    }

    #[test]
    fn a_curve_the_backend_lacks_is_named() {
        // Helm 4 verifies this brainpoolP256r1 signature; Helm 3 refuses the
        // keyring. Only the OpenSSL backend has the curve.
        let r = run("gpg2.2-clearsign-brainpool", "brainpool.pub.gpg");
        if cfg!(feature = "crypto-openssl") {
            assert!(r.is_ok(), "{:?}", r.err());
        } else {
            let Err(e) = r else {
                panic!("verified with a backend that lacks brainpool")
            };
            assert!(matches!(e, VerifyError::Unsupported(_)), "{e:?}");
            let msg = e.to_string();
            assert!(
                msg.contains("brainpoolP256r1")
                    && msg.contains("5FBF2CDB5F8E21B73FEEE03F35B08BF2A379D8BD")
                    && msg.contains("does not support"),
                "{msg}"
            );
        }
    }

    #[test]
    fn accepts_every_signed_fixture() {
        for (dir, key) in [
            ("helm3.17.3-rsa", "rsa.pub.gpg"),
            ("helm4.1.4-rsa", "rsa.pub.asc"),
            ("helm4.1.4-ecdsa", "ecdsa.pub.gpg"),
            ("helm4.1.4-ed25519", "ed25519.pub.gpg"),
            ("gpg2.2-clearsign-rsa-sha512", "rsa.pub.gpg"),
            ("gpg2.2-clearsign-ed25519-signing-subkey", "edsub.pub.gpg"),
            ("helm4.1.4-plugin-rsa", "rsa.pub.gpg"),
            ("negative/POSITIVE-crlf-prov", "rsa.pub.gpg"),
            ("negative/POSITIVE-trailing-whitespace-prov", "rsa.pub.gpg"),
        ] {
            for ring_name in [key, "all.pub.gpg", "pubring.kbx"] {
                let v =
                    run(dir, ring_name).unwrap_or_else(|e| panic!("{dir} with {ring_name}: {e}"));
                assert!(v.file_hash.starts_with("sha256:"), "{dir}");
            }
        }
        let v = run("helm4.1.4-rsa", "rsa.pub.gpg").unwrap();
        assert_eq!(v.fingerprint, "938D25173643C1D935E3D9B5F16D692B5491590B");
        assert_eq!(v.signed_by, ["Helm RSA Test <rsa@example.com>"]);
        let v = run("gpg2.2-clearsign-ed25519-signing-subkey", "edsub.pub.gpg").unwrap();
        assert_eq!(v.fingerprint, "1970DFE7CDDC7DA3B5096F6AB4A501331924D819");
        assert_eq!(v.signing_key, "C8E81C5812D9C01D39B2AE485E6CB5632CEEA31C");
    }

    #[test]
    fn rejects_every_tampered_fixture() {
        assert!(matches!(
            run("negative/tampered-tgz", "rsa.pub.gpg"),
            Err(VerifyError::Mismatch { .. })
        ));
        assert!(matches!(
            run("negative/renamed-tgz", "rsa.pub.gpg"),
            Err(VerifyError::NoSum(_))
        ));
        assert!(matches!(
            run("negative/tampered-prov-metadata", "rsa.pub.gpg"),
            Err(VerifyError::BadSignature(_))
        ));
        assert!(run("helm4.1.4-edsub-UNVERIFIABLE", "edsub.pub.gpg").is_err());
        assert!(matches!(
            run("helm4.1.4-rsa", "ecdsa.pub.gpg"),
            Err(VerifyError::UnknownKey(_))
        ));
    }
}
