//! Signing charts: Helm's provenance format, without Helm's key limits.
//!
//! Helm signs with the primary key of the first matching entity of an
//! exported secret keyring, selected by a user ID substring only. Here the key
//! may be named by fingerprint, key ID, e-mail or user ID (Helm's substring
//! rule last), ambiguity is judged per certificate rather than per user ID,
//! and the signature is made by the certificate's signing-capable key, which
//! is a subkey when the primary can only certify.

use std::io::Write;

use openpgp::cert::Cert;
use openpgp::crypto::{KeyPair, Password};
use openpgp::packet::key::{SecretParts, UnspecifiedRole};
use openpgp::packet::signature::SignatureBuilder;
use openpgp::packet::Key;
use openpgp::policy::StandardPolicy;
use openpgp::serialize::stream::{Message, Signer};
use openpgp::types::{HashAlgorithm, SignatureType};
use sequoia_openpgp as openpgp;
use thiserror::Error;

use super::agent::{AgentError, AgentSigner};
use super::keyring::{unsupported_crypto, user_ids};

#[derive(Debug, Error)]
pub enum SignError {
    #[error("private key not found{}", if .0.is_empty() { String::new() } else { format!(" for {:?}", .0) })]
    NotFound(String),
    #[error("more than one key matches {selector:?}: {}; name one by fingerprint", .candidates.join(", "))]
    Ambiguous {
        selector: String,
        candidates: Vec<String>,
    },
    #[error("the keyring holds several secret keys ({}); choose one with --key", .0.join(", "))]
    NoSelector(Vec<String>),
    #[error("key {0} has no usable signing key (none valid now, or none with secret material)")]
    NoSigningKey(String),
    #[error("{0}")]
    Unsupported(String),
    #[error("key {0} is protected by a passphrase: give it with --passphrase-file FILE (or - for stdin)")]
    NeedPassphrase(String),
    #[error("wrong passphrase for key {0}")]
    WrongPassphrase(String),
    #[error("signing failed: {0}")]
    Sign(String),
    #[error("{0}")]
    Agent(AgentError),
}

impl From<AgentError> for SignError {
    fn from(e: AgentError) -> Self {
        match e {
            AgentError::WrongPassphrase(fpr) => SignError::WrongPassphrase(fpr),
            e => SignError::Agent(e),
        }
    }
}

fn fpr(c: &Cert) -> String {
    c.fingerprint().to_hex()
}

/// Why `cert` cannot sign: its algorithm when the crypto backend lacks it,
/// else that no signing key is usable.
fn no_signing_key(c: &Cert) -> SignError {
    match unsupported_crypto(c) {
        Some(why) => SignError::Unsupported(why),
        None => SignError::NoSigningKey(fpr(c)),
    }
}

fn label(c: &Cert) -> String {
    let uid = user_ids(c).into_iter().next().unwrap_or_default();
    format!("{} {uid}", fpr(c))
}

/// Normalises a fingerprint or key ID as a user may type it.
fn hex_id(s: &str) -> Option<String> {
    let t: String = s
        .trim()
        .trim_start_matches("0x")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    (matches!(t.len(), 16 | 40 | 64) && t.chars().all(|c| c.is_ascii_hexdigit()))
        .then(|| t.to_ascii_uppercase())
}

/// Picks the certificate `selector` names among `certs`.
pub fn select_key<'a>(certs: &'a [Cert], selector: Option<&str>) -> Result<&'a Cert, SignError> {
    let secret: Vec<&Cert> = certs.iter().collect();
    let Some(sel) = selector.filter(|s| !s.is_empty()) else {
        return match secret.as_slice() {
            [one] => Ok(one),
            [] => Err(SignError::NotFound(String::new())),
            many => Err(SignError::NoSelector(
                many.iter().map(|c| label(c)).collect(),
            )),
        };
    };
    if let Some(id) = hex_id(sel) {
        let hits: Vec<&Cert> = secret
            .iter()
            .copied()
            .filter(|c| {
                c.keys()
                    .any(|k| k.key().fingerprint().to_hex() == id || k.key().keyid().to_hex() == id)
            })
            .collect();
        if let [one] = hits.as_slice() {
            return Ok(one);
        }
    }
    let uids: Vec<Vec<String>> = secret.iter().map(|c| user_ids(c)).collect();
    // An exact user ID, then an exact e-mail address, then Helm's substring.
    for exact in [
        &(|u: &str, s: &str| u == s) as &dyn Fn(&str, &str) -> bool,
        &|u: &str, s: &str| {
            let mail = u.rsplit_once('<').and_then(|(_, r)| r.strip_suffix('>'));
            mail.is_some_and(|m| m.eq_ignore_ascii_case(s.trim_matches(['<', '>'])))
        },
        &|u: &str, s: &str| u.contains(s),
    ] {
        let hits: Vec<&Cert> = secret
            .iter()
            .zip(&uids)
            .filter(|(_, ids)| ids.iter().any(|u| exact(u, sel)))
            .map(|(c, _)| *c)
            .collect();
        match hits.as_slice() {
            [] => continue,
            [one] => return Ok(one),
            many => {
                return Err(SignError::Ambiguous {
                    selector: sel.to_string(),
                    candidates: many.iter().map(|c| label(c)).collect(),
                })
            }
        }
    }
    Err(SignError::NotFound(sel.to_string()))
}

/// The key pair that signs for `cert`: its signing-capable (sub)key that is
/// valid now and has secret material, decrypted with `passphrase` if needed.
pub fn keypair(cert: &Cert, passphrase: Option<&Password>) -> Result<KeyPair, SignError> {
    let mut key = secret_signing_key(cert).ok_or_else(|| no_signing_key(cert))?;
    if key.secret().is_encrypted() {
        let pw = passphrase.ok_or_else(|| SignError::NeedPassphrase(fpr(cert)))?;
        key = key
            .decrypt_secret(pw)
            .map_err(|_| SignError::WrongPassphrase(fpr(cert)))?;
    }
    key.into_keypair()
        .map_err(|e| SignError::Sign(e.to_string()))
}

/// The signer that signs for `cert` through the user's gpg-agent, which
/// holds the secret: the signing-capable (sub)key valid now. A passphrase,
/// when given, is handed to the agent (loopback pinentry); otherwise the agent
/// asks through its own pinentry if the key needs one.
pub fn agent_keypair(
    cert: &Cert,
    gnupg_home: &std::path::Path,
    passphrase: Option<&Password>,
) -> Result<AgentSigner, SignError> {
    let policy = StandardPolicy::new();
    let valid = cert
        .with_policy(&policy, None)
        .map_err(|_| no_signing_key(cert))?;
    let ka = valid
        .keys()
        .supported()
        .alive()
        .revoked(false)
        .for_signing()
        .next()
        .ok_or_else(|| no_signing_key(cert))?;
    // gpg names the key by its primary user ID in the pinentry.
    let uid = valid
        .primary_userid()
        .map(|u| String::from_utf8_lossy(u.userid().value()).into_owned())
        .ok()
        .or_else(|| user_ids(cert).into_iter().next())
        .unwrap_or_default();
    let primary = (ka.key().fingerprint() != cert.fingerprint()).then(|| cert.keyid());
    Ok(AgentSigner::new(
        ka.key().clone(),
        fpr(cert),
        &uid,
        primary,
        gnupg_home,
        passphrase.cloned(),
    )?)
}

/// Whether signing for `cert` from an exported keyring needs a passphrase.
pub fn needs_passphrase(cert: &Cert) -> bool {
    secret_signing_key(cert).is_some_and(|k| k.secret().is_encrypted())
}

/// Why Helm 3 cannot verify what `cert` signs, if it cannot: the first key
/// of the certificate that Helm 3's OpenPGP library (golang.org/x/crypto)
/// cannot read. It reads version 4 keys of RSA, DSA, ElGamal, and ECDSA and
/// ECDH on the NIST curves only, and gives up on the whole certificate at
/// the first other key ("unsupported feature: public key type: 22" for
/// EdDSA), an encryption subkey included. Helm 4 reads all of these.
pub fn helm3_cannot_verify(cert: &Cert) -> Option<String> {
    use openpgp::crypto::mpi::PublicKey;
    use openpgp::types::Curve;
    cert.keys().find_map(|ka| {
        let key = ka.key();
        let nist = |c: &Curve| matches!(c, Curve::NistP256 | Curve::NistP384 | Curve::NistP521);
        let what = match key.mpis() {
            _ if key.version() != 4 => format!("a version {} key", key.version()),
            PublicKey::RSA { .. } | PublicKey::DSA { .. } | PublicKey::ElGamal { .. } => {
                return None
            }
            PublicKey::ECDSA { curve, .. } | PublicKey::ECDH { curve, .. } if nist(curve) => {
                return None
            }
            PublicKey::ECDSA { curve, .. }
            | PublicKey::EdDSA { curve, .. }
            | PublicKey::ECDH { curve, .. } => format!("{} on {curve}", key.pk_algo()),
            _ => key.pk_algo().to_string(),
        };
        let which = if key.fingerprint() == cert.fingerprint() {
            format!("key {}", fpr(cert))
        } else {
            format!("subkey {} of key {}", key.fingerprint().to_hex(), fpr(cert))
        };
        Some(format!(
            "{which} is {what} (public key type {}), which Helm 3 cannot read: \
             the signature verifies with Helm 4, not with Helm 3",
            u8::from(key.pk_algo())
        ))
    })
}

/// The first signing-capable (sub)key of `cert` that is valid now, under
/// the standard policy, and carries secret material.
fn secret_signing_key(cert: &Cert) -> Option<Key<SecretParts, UnspecifiedRole>> {
    let policy = StandardPolicy::new();
    cert.keys()
        .with_policy(&policy, None)
        .supported()
        .alive()
        .revoked(false)
        .for_signing()
        .secret()
        .next()
        .map(|ka| ka.key().clone().role_into_unspecified())
}

/// Helm's terminal prompt for a key's passphrase (`Password for key "<uid>" >`),
/// read without echo from the controlling terminal.
pub fn prompt_passphrase(cert: &Cert) -> Result<Password, SignError> {
    let uid = user_ids(cert)
        .into_iter()
        .next()
        .unwrap_or_else(|| "Unknown".into());
    rpassword::prompt_password(format!("Password for key \"{uid}\" >  "))
        .map(Password::from)
        .map_err(|_| SignError::NeedPassphrase(fpr(cert)))
}

/// Clearsigns `body` with SHA-512 as a text signature, which Helm 3, Helm 4
/// and gpg all verify.
pub fn clearsign<S>(body: &[u8], signer: S) -> Result<Vec<u8>, SignError>
where
    S: openpgp::crypto::Signer + Send + Sync,
{
    // What the agent refused (a wrong passphrase above all) keeps its kind.
    let err = |e: openpgp::anyhow::Error| match e.downcast::<AgentError>() {
        Ok(e) => SignError::from(e),
        Err(e) => SignError::Sign(
            e.chain()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(": "),
        ),
    };
    let mut out = Vec::new();
    {
        let message = Message::new(&mut out);
        let mut w =
            Signer::with_template(message, signer, SignatureBuilder::new(SignatureType::Text))
                .map_err(err)?
                .hash_algo(HashAlgorithm::SHA512)
                .map_err(err)?
                .cleartext()
                .build()
                .map_err(err)?;
        w.write_all(body)
            .map_err(|e| SignError::Sign(e.to_string()))?;
        w.finalize().map_err(err)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ring(name: &str) -> Vec<Cert> {
        let p = crate::test_support::fixture("prov/keys").join(name);
        super::super::keyring::load(&p).unwrap()
    }

    #[test]
    fn a_curve_the_backend_lacks_is_named_not_called_unusable() {
        let certs = ring("brainpool.sec.gpg");
        let r = keypair(&certs[0], None);
        if cfg!(feature = "crypto-openssl") {
            assert!(r.is_ok(), "{:?}", r.err());
        } else {
            let Err(e) = r else {
                panic!("a brainpool key signed with a backend that lacks it")
            };
            assert!(
                matches!(&e, SignError::Unsupported(m) if m.contains("brainpoolP256r1")),
                "{e}"
            );
        }
    }

    #[test]
    fn selects_by_fingerprint_key_id_email_and_substring() {
        let mut certs = ring("rsa.sec.gpg");
        certs.extend(ring("ecdsa.sec.gpg"));
        let rsa = "938D25173643C1D935E3D9B5F16D692B5491590B";
        for sel in [
            rsa,
            "F16D692B5491590B",
            "0xf16d692b5491590b",
            "rsa@example.com",
            "Helm RSA",
        ] {
            assert_eq!(fpr(select_key(&certs, Some(sel)).unwrap()), rsa, "{sel}");
        }
        assert!(matches!(
            select_key(&certs, Some("example.com")),
            Err(SignError::Ambiguous { .. })
        ));
        assert!(matches!(
            select_key(&certs, Some("nobody")),
            Err(SignError::NotFound(_))
        ));
        assert!(matches!(
            select_key(&certs, None),
            Err(SignError::NoSelector(_))
        ));
    }

    #[test]
    fn keys_helm_3_cannot_read_are_named() {
        for name in [
            "rsa.pub.gpg",
            "ecdsa.pub.gpg",
            "rsapw.pub.gpg",
            "default.pub.gpg",
        ] {
            assert_eq!(helm3_cannot_verify(&ring(name)[0]), None, "{name}");
        }
        for (name, what) in [
            (
                "ed25519.pub.gpg",
                "key 628781AF57955C3B85BADABED8A67297ED082F83 is EdDSA",
            ),
            (
                "edsub.pub.gpg",
                "key 1970DFE7CDDC7DA3B5096F6AB4A501331924D819 is EdDSA",
            ),
            (
                "brainpool.pub.gpg",
                "is ECDSA on brainpoolP256r1 (public key type 19)",
            ),
        ] {
            let why = helm3_cannot_verify(&ring(name)[0]).unwrap();
            assert!(
                why.contains(what) && why.ends_with("verifies with Helm 4, not with Helm 3"),
                "{name}: {why}"
            );
        }
    }

    #[test]
    fn two_user_ids_on_one_key_are_not_ambiguous() {
        let certs = ring("rsa-2uids.sec.gpg");
        assert!(select_key(&certs, Some("example.com")).is_ok());
    }

    #[test]
    fn signing_subkey_is_used_when_primary_only_certifies() {
        let certs = ring("edsub.sec.gpg");
        let kp = keypair(&certs[0], None).unwrap();
        assert_eq!(
            kp.public().fingerprint().to_hex(),
            "C8E81C5812D9C01D39B2AE485E6CB5632CEEA31C"
        );
    }

    #[test]
    fn passphrases() {
        let certs = ring("rsapw.sec.gpg");
        assert!(matches!(
            keypair(&certs[0], None),
            Err(SignError::NeedPassphrase(_))
        ));
        assert!(matches!(
            keypair(&certs[0], Some(&Password::from("wrong"))),
            Err(SignError::WrongPassphrase(_))
        ));
        assert!(keypair(&certs[0], Some(&Password::from("s3cret"))).is_ok());
    }

    #[test]
    fn signed_body_verifies() {
        let certs = ring("ed25519.sec.gpg");
        let body = b"name: demo\n\n...\nfiles:\n  demo-0.1.0.tgz: sha256:abc\n";
        let prov = clearsign(body, keypair(&certs[0], None).unwrap()).unwrap();
        let block = super::super::clearsign::decode(&prov).unwrap();
        assert_eq!(block.plaintext, &body[..body.len()]);
        let files = super::super::message::parse_files(&block.plaintext).unwrap();
        assert_eq!(files[0].0, "demo-0.1.0.tgz");
    }
}
