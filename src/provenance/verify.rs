//! Verifying a chart against its provenance file, in Helm's order of checks
//! (`Signatory.Verify`): the signature, then the archive's digest against the
//! `files:` entry named after the archive. Of several signature packets the
//! first by a key of the keyring decides, as in go-crypto, and a signature
//! block of more than [`MAX_SIGNATURE_PACKETS`] packets is refused.
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

/// The most packets the signature block of a provenance file may hold.
/// Helm writes one; a file from a repository may hold any number, and each
/// one that names a key in the keyring costs a public-key operation.
pub const MAX_SIGNATURE_PACKETS: usize = 100;

#[derive(Debug, Error)]
pub enum VerifyError {
    #[error("signature block not found")]
    NoSignature,
    #[error(
        "the signature block holds more than {MAX_SIGNATURE_PACKETS} packets, \
         the limit for a provenance file"
    )]
    TooManySignatures,
    #[error("openpgp: invalid data: packet {index} of the signature block is not a signature (packet tag {tag})")]
    NotASignature { index: usize, tag: u8 },
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

/// The one signature packet that decides, as go-crypto chooses it: the
/// first whose issuer is a key of the keyring (or that names no issuer, so
/// that any key may have made it); signatures by other keys before it are
/// passed over. With none by a known key, the first decides, reporting its
/// issuer as unknown. Choosing first and checking once keeps verification
/// one pass over the packets and one public-key operation, whatever the
/// number of packets.
fn decisive<'a>(packets: &[mpi::Packet<'a>], keyring: &[Cert]) -> Result<&'a [u8], VerifyError> {
    let known = |h: &KeyHandle| {
        keyring
            .iter()
            .flat_map(|c| c.keys())
            .any(|k| h.aliases(k.key().key_handle()))
    };
    for (index, p) in packets.iter().enumerate() {
        if p.tag != 2 {
            return Err(VerifyError::NotASignature { index, tag: p.tag });
        }
        // A packet Sequoia cannot parse decides: its verdict is Sequoia's.
        let Ok(sig) = openpgp::packet::Signature::from_bytes(p.body) else {
            return Ok(p.whole);
        };
        let issuers = sig.get_issuers();
        if issuers.is_empty() || issuers.iter().any(known) {
            return Ok(p.whole);
        }
    }
    Ok(packets.first().map_or(&[][..], |p| p.whole))
}

fn check_signature(
    block: &clearsign::Block,
    keyring: &[Cert],
    opts: Policy,
) -> Result<Verification, VerifyError> {
    if mpi::split(&block.signature)
        .take(MAX_SIGNATURE_PACKETS + 1)
        .count()
        > MAX_SIGNATURE_PACKETS
    {
        return Err(VerifyError::TooManySignatures);
    }
    let normalized = mpi::normalize(&block.signature);
    let packets: Vec<mpi::Packet> = mpi::split(&normalized).collect();
    let sig = decisive(&packets, keyring)?;
    let policy = standard_policy(opts);
    let now = SystemTime::now();
    let helper = Helper {
        keyring,
        outcome: None,
        now,
    };
    let mut verifier = DetachedVerifierBuilder::from_bytes(sig)
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

    /// The signature packets of a fixture's `.prov`.
    fn packets_of(dir: &str) -> Vec<u8> {
        let prov = std::fs::read(prov_dir().join(dir).join("demo-0.1.0.tgz.prov")).unwrap();
        clearsign::decode(&prov).unwrap().signature
    }

    /// The `.prov` of `helm4.1.4-rsa` with `packets` as its signature block.
    fn rsa_prov_with(packets: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let prov = std::fs::read(prov_dir().join("helm4.1.4-rsa/demo-0.1.0.tgz.prov")).unwrap();
        let at = prov
            .windows(5)
            .position(|w| w == b"-----")
            .and_then(|first| {
                prov[first + 5..]
                    .windows(29)
                    .position(|w| w == b"-----BEGIN PGP SIGNATURE-----")
                    .map(|i| first + 5 + i)
            })
            .unwrap();
        let mut out = prov[..at].to_vec();
        let mut w = openpgp::armor::Writer::new(&mut out, openpgp::armor::Kind::Signature).unwrap();
        w.write_all(packets).unwrap();
        w.finalize().unwrap();
        out
    }

    /// Verifies `helm4.1.4-rsa` with `packets` as its signature block; the
    /// verdict and the time `verify` took.
    fn verify_rsa(packets: &[u8]) -> (Result<Verification, VerifyError>, std::time::Duration) {
        let archive = std::fs::read(prov_dir().join("helm4.1.4-rsa/demo-0.1.0.tgz")).unwrap();
        let prov = rsa_prov_with(packets);
        let keyring = ring("rsa.pub.gpg");
        let started = std::time::Instant::now();
        let v = verify(
            &archive,
            &prov,
            "demo-0.1.0.tgz",
            &keyring,
            Policy::default(),
        );
        (v, started.elapsed())
    }

    /// A v4 signature packet of 31 bytes by a key in no keyring, as small
    /// as go-crypto parses: a creation time, an unhashed issuer, a one-byte
    /// MPI.
    const TINY_SIGNATURE: [u8; 31] = [
        0xc2, 29, 4, 0x01, 1, 10, 0, 6, 5, 2, 0x60, 0, 0, 0, 0, 10, 9, 16, 1, 2, 3, 4, 5, 6, 7, 8,
        0xab, 0xcd, 0, 8, 0xff,
    ];

    #[test]
    fn signature_packets_past_the_limit_are_refused_at_once() {
        let good = packets_of("helm4.1.4-rsa");
        assert!(verify_rsa(&good.repeat(100)).0.is_ok());
        let mut tiny = TINY_SIGNATURE.repeat(99);
        tiny.extend_from_slice(&good);
        assert!(verify_rsa(&tiny).0.is_ok());
        // 20,000 small packets (an 840 KB file) and 5,000 copies of the good
        // signature (1.6 MB), which Helm 4 verifies.
        for (n, packets) in [
            (101, good.repeat(101)),
            (20_000, TINY_SIGNATURE.repeat(20_000)),
            (5_000, good.repeat(5_000)),
        ] {
            let (v, took) = verify_rsa(&packets);
            assert_eq!(
                v.unwrap_err().to_string(),
                "the signature block holds more than 100 packets, the limit for a provenance file"
            );
            assert!(
                took < std::time::Duration::from_secs(2),
                "{n} packets took {took:?}"
            );
        }
    }

    #[test]
    fn the_first_signature_by_a_known_key_decides() {
        let good = packets_of("helm4.1.4-rsa");
        let foreign = packets_of("helm4.1.4-ecdsa");
        let mut bad = good.clone();
        let last = bad.len() - 5;
        bad[last] ^= 1;
        let two_seconds = std::time::Duration::from_secs(2);
        // Signatures by keys outside the keyring are passed over, as Helm
        // does; 99 of them cost no public-key operation.
        let mut packets = foreign.repeat(99);
        packets.extend_from_slice(&good);
        let (v, took) = verify_rsa(&packets);
        assert_eq!(
            v.unwrap().fingerprint,
            "938D25173643C1D935E3D9B5F16D692B5491590B"
        );
        assert!(took < two_seconds, "{took:?}");
        // A bad signature by a known key decides, as in Helm 3 and 4, though
        // a good one follows.
        let mut packets = bad.repeat(99);
        packets.extend_from_slice(&good);
        let (v, took) = verify_rsa(&packets);
        assert!(matches!(v, Err(VerifyError::BadSignature(_))), "{v:?}");
        assert!(took < two_seconds, "{took:?}");
        // None by a known key: the first one's issuer is named.
        let err = verify_rsa(&foreign.repeat(3)).0.unwrap_err().to_string();
        assert!(
            err.starts_with("openpgp: signature made by unknown entity (issuer "),
            "{err}"
        );
        // A packet that is no signature, before the decisive one.
        let mut packets = vec![0xca, 0x03, b'P', b'G', b'P'];
        packets.extend_from_slice(&good);
        let err = verify_rsa(&packets).0.unwrap_err().to_string();
        assert!(err.contains("is not a signature"), "{err}");
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
