//! cosign's key files: `cosign.pub` (PEM `PUBLIC KEY`) and `cosign.key`,
//! an `ENCRYPTED SIGSTORE PRIVATE KEY` (or older `ENCRYPTED COSIGN PRIVATE
//! KEY`) PEM block whose body is go-securesystemslib's `encrypted` JSON: a
//! PKCS#8 private key sealed with nacl/secretbox under a key scrypt derives
//! from the password. Plain PKCS#8 PEM (`PRIVATE KEY`) keys are read too.

use std::path::Path;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use crypto_secretbox::aead::{Aead, KeyInit};
use crypto_secretbox::XSalsa20Poly1305;
use serde::{Deserialize, Serialize};
use sigstore_verify::crypto::KeyPair;
use sigstore_verify::types::DerPublicKey;

use super::SigstoreError;
use crate::net::Secret;

const SIGSTORE_TYPE: &str = "ENCRYPTED SIGSTORE PRIVATE KEY";
const COSIGN_TYPE: &str = "ENCRYPTED COSIGN PRIVATE KEY";

/// The scrypt parameters go-securesystemslib writes (`Standard`, what
/// cosign's `generate-key-pair` uses) and the only ones it reads back:
/// anything else would let a key file ask for unbounded memory and time.
const STANDARD: ScryptParams = ScryptParams {
    n: 1 << 16,
    r: 8,
    p: 1,
};
const ACCEPTED: [ScryptParams; 3] = [
    ScryptParams {
        n: 1 << 15,
        r: 8,
        p: 1,
    },
    STANDARD,
    ScryptParams {
        n: 1 << 17,
        r: 8,
        p: 1,
    },
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct ScryptParams {
    #[serde(rename = "N")]
    n: u64,
    r: u32,
    p: u32,
}

/// The sealed key, field for field (and in Go's order) as
/// go-securesystemslib marshals it; byte strings are base64.
#[derive(Serialize, Deserialize)]
struct Sealed {
    kdf: Kdf,
    cipher: Cipher,
    ciphertext: String,
}

#[derive(Serialize, Deserialize)]
struct Kdf {
    name: String,
    params: ScryptParams,
    salt: String,
}

#[derive(Serialize, Deserialize)]
struct Cipher {
    name: String,
    nonce: String,
}

/// A private key ready to sign, and its public half; for keyless signing
/// an ephemeral key with the short-lived certificate Fulcio issued for it.
pub struct SigningKey {
    pub(super) pair: KeyPair,
    pub public: DerPublicKey,
    pub(super) certificate: Option<IssuedCertificate>,
}

/// A certificate Fulcio issued for an ephemeral key.
#[derive(Debug, Clone)]
pub(super) struct IssuedCertificate {
    pub(super) leaf: sigstore_verify::types::DerCertificate,
    /// The leaf as PEM (what Rekor and cosign's annotation take).
    pub(super) leaf_pem: String,
    /// The issuing chain, as PEM, leaf excluded.
    pub(super) chain_pem: String,
}

impl SigningKey {
    /// What a transparency log is told verifies the signature: the
    /// certificate for keyless signatures, else the public key.
    pub(super) fn verifier_pem(&self) -> String {
        match &self.certificate {
            Some(c) => c.leaf_pem.clone(),
            None => public_key_pem(&self.public),
        }
    }

    /// The bundle's verification material: the certificate, or the key's
    /// hint.
    pub(super) fn material(&self) -> sigstore_verify::bundle::VerificationMaterialV03 {
        use sigstore_verify::bundle::VerificationMaterialV03;
        match &self.certificate {
            Some(c) => VerificationMaterialV03::Certificate(c.leaf.clone()),
            None => VerificationMaterialV03::PublicKey {
                hint: super::sign::key_hint(self),
            },
        }
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

/// Whether a private key file is sealed (and so needs a password): decided
/// before asking for one.
pub fn key_needs_password(path: &Path) -> Result<bool, SigstoreError> {
    let block = read_pem(path)?;
    Ok(block.tag() != "PRIVATE KEY")
}

/// Reads a cosign private key file (`cosign.key`, or plain PKCS#8 PEM).
pub fn read_signing_key(path: &Path, password: &Secret) -> Result<SigningKey, SigstoreError> {
    let bad = |detail: String| SigstoreError::PrivateKey {
        path: path.to_path_buf(),
        detail,
    };
    let block = read_pem(path)?;
    let pkcs8 = match block.tag() {
        SIGSTORE_TYPE | COSIGN_TYPE => open_sealed(block.contents(), password).map_err(bad)?,
        "PRIVATE KEY" => block.contents().to_vec(),
        other => {
            return Err(bad(format!(
                "a PEM `{other}` block; cosign keys are `{SIGSTORE_TYPE}` (cosign \
                 generate-key-pair) or PKCS#8 `PRIVATE KEY`"
            )))
        }
    };
    let pair = KeyPair::from_pkcs8_der(&pkcs8).map_err(|e| {
        bad(format!(
            "{e} (helm prov signs with ECDSA P-256 keys, what cosign generate-key-pair makes)"
        ))
    })?;
    let public = pair.public_key_der().map_err(|e| bad(e.to_string()))?;
    Ok(SigningKey {
        pair,
        public,
        certificate: None,
    })
}

fn read_pem(path: &Path) -> Result<pem::Pem, SigstoreError> {
    let text = super::read_document(path)?;
    // The PEM parser's message quotes the offending characters, which
    // would be key material: say only that it is not PEM.
    pem::parse(text).map_err(|_| SigstoreError::PrivateKey {
        path: path.to_path_buf(),
        detail: "not a PEM block".into(),
    })
}

/// The PKCS#8 key inside a sealed block; a wrong password is the
/// authentication failure of the box.
fn open_sealed(body: &[u8], password: &Secret) -> Result<Vec<u8>, String> {
    let sealed: Sealed =
        serde_json::from_slice(body).map_err(|e| format!("not a sealed cosign key: {e}"))?;
    if sealed.kdf.name != "scrypt" {
        return Err(format!("unknown key derivation {:?}", sealed.kdf.name));
    }
    if sealed.cipher.name != "nacl/secretbox" {
        return Err(format!("unknown cipher {:?}", sealed.cipher.name));
    }
    if !ACCEPTED.contains(&sealed.kdf.params) {
        return Err("unsupported scrypt parameters".into());
    }
    let b64 = |what: &str, s: &str| B64.decode(s).map_err(|e| format!("{what}: {e}"));
    let salt = b64("salt", &sealed.kdf.salt)?;
    let nonce = b64("nonce", &sealed.cipher.nonce)?;
    let ciphertext = b64("ciphertext", &sealed.ciphertext)?;
    if nonce.len() != 24 {
        return Err("the nonce is not 24 bytes".into());
    }
    let key = derive(password, &salt, sealed.kdf.params)?;
    XSalsa20Poly1305::new(&key.into())
        .decrypt(nonce.as_slice().into(), ciphertext.as_slice())
        .map_err(|_| "wrong password (or a damaged key file)".to_string())
}

fn derive(password: &Secret, salt: &[u8], p: ScryptParams) -> Result<[u8; 32], String> {
    let log_n = p.n.trailing_zeros() as u8;
    let params = scrypt::Params::new(log_n, p.r, p.p, 32).map_err(|e| e.to_string())?;
    let mut key = [0u8; 32];
    scrypt::scrypt(password.expose().as_bytes(), salt, &params, &mut key)
        .map_err(|e| e.to_string())?;
    Ok(key)
}

/// A new key pair as `cosign generate-key-pair` writes it: the PEM texts of
/// `cosign.key` (sealed with `password`) and `cosign.pub`.
pub struct GeneratedKeys {
    pub private_pem: String,
    pub public_pem: String,
}

/// Generates an ECDSA P-256 key and seals it as cosign does.
pub fn generate_key_pair(password: &Secret) -> Result<GeneratedKeys, SigstoreError> {
    use aws_lc_rs::rand::{SecureRandom, SystemRandom};
    use aws_lc_rs::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
    let failed = |what: &str| SigstoreError::KeyGeneration(what.to_string());
    let pair =
        EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).map_err(|_| failed("the key"))?;
    let pkcs8 = pair.to_pkcs8v1().map_err(|_| failed("its PKCS#8 form"))?;
    let rng = SystemRandom::new();
    let mut salt = [0u8; 32];
    let mut nonce = [0u8; 24];
    rng.fill(&mut salt).map_err(|_| failed("a salt"))?;
    rng.fill(&mut nonce).map_err(|_| failed("a nonce"))?;
    let key = derive(password, &salt, STANDARD).map_err(SigstoreError::KeyGeneration)?;
    let ciphertext = XSalsa20Poly1305::new(&key.into())
        .encrypt(nonce.as_slice().into(), pkcs8.as_ref())
        .map_err(|_| failed("the sealed key"))?;
    let sealed = Sealed {
        kdf: Kdf {
            name: "scrypt".into(),
            params: STANDARD,
            salt: B64.encode(salt),
        },
        cipher: Cipher {
            name: "nacl/secretbox".into(),
            nonce: B64.encode(nonce),
        },
        ciphertext: B64.encode(ciphertext),
    };
    let body = serde_json::to_vec(&sealed).map_err(|_| failed("the key file"))?;
    let private_pem = pem_text(SIGSTORE_TYPE, &body);
    let signing = KeyPair::from_pkcs8_der(pkcs8.as_ref())
        .map_err(|e| SigstoreError::KeyGeneration(e.to_string()))?;
    let public = signing
        .public_key_der()
        .map_err(|e| SigstoreError::KeyGeneration(e.to_string()))?;
    Ok(GeneratedKeys {
        private_pem,
        public_pem: public_key_pem(&public),
    })
}

/// A public key as `cosign.pub` holds it.
pub fn public_key_pem(key: &DerPublicKey) -> String {
    pem_text("PUBLIC KEY", key.as_bytes())
}

/// PEM as Go's `pem.EncodeToMemory` writes it: 64 columns, `\n` endings.
fn pem_text(tag: &str, body: &[u8]) -> String {
    let config = pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF);
    pem::encode_config(&pem::Pem::new(tag, body), config)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An Ed25519 key that cosign itself sealed, with an empty password
    /// (sigstore/cosign, `pkg/signature/keys_test.go`, `ed25519PrivateKey`):
    /// opening it proves the scrypt parameters, the box and the JSON shape
    /// are cosign's.
    const COSIGN_SEALED: &str = "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----
eyJrZGYiOnsibmFtZSI6InNjcnlwdCIsInBhcmFtcyI6eyJOIjo2NTUzNiwiciI6
OCwicCI6MX0sInNhbHQiOiJxYVVSY1ppbTN3RE9ZMVlselFGaFdVWHBnMU5tZlAv
YndiM2ZpWE54ck5BPSJ9LCJjaXBoZXIiOnsibmFtZSI6Im5hY2wvc2VjcmV0Ym94
Iiwibm9uY2UiOiJMRjNVN3crNXgzWmRvMlNGUkFicE1nY1N5Y2sxN3R1LyJ9LCJj
aXBoZXJ0ZXh0IjoiY2lUQTYrODVWRDdsTlpwRTVLdmpMdjJrTXNZdmtvOHNHV0tq
QTRYZDY2WFRaTUw3UG5xczQ2NloycDRyWGJUdXBlcStwSXlnSXhvS29UVmFHbG9N
RXc9PSJ9
-----END ENCRYPTED SIGSTORE PRIVATE KEY-----
";

    #[test]
    fn a_key_cosign_sealed_opens() {
        let block = pem::parse(COSIGN_SEALED).unwrap();
        let pkcs8 = open_sealed(block.contents(), &Secret::from("")).unwrap();
        // PKCS#8 of an Ed25519 key: the OID 1.3.101.112 inside.
        assert!(pkcs8
            .windows(5)
            .any(|w| w == [0x06, 0x03, 0x2b, 0x65, 0x70]));
        assert!(open_sealed(block.contents(), &Secret::from("wrong"))
            .unwrap_err()
            .contains("wrong password"));
    }

    #[test]
    fn generated_keys_open_with_their_password_only() {
        let dir = tempfile::tempdir().unwrap();
        let keys = generate_key_pair(&Secret::from("s3cret")).unwrap();
        assert!(keys
            .private_pem
            .starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
        assert!(keys.public_pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        let path = dir.path().join("cosign.key");
        std::fs::write(&path, &keys.private_pem).unwrap();
        assert!(key_needs_password(&path).unwrap());
        let k = read_signing_key(&path, &Secret::from("s3cret")).unwrap();
        assert_eq!(public_key_pem(&k.public), keys.public_pem);
        let e = read_signing_key(&path, &Secret::from("nope")).unwrap_err();
        assert!(e.to_string().contains("wrong password"), "{e}");
    }

    #[test]
    fn a_key_file_cannot_ask_for_unbounded_work() {
        let sealed = serde_json::json!({
            "kdf": {"name": "scrypt", "params": {"N": 1u64 << 30, "r": 8, "p": 1}, "salt": ""},
            "cipher": {"name": "nacl/secretbox", "nonce": B64.encode([0u8; 24])},
            "ciphertext": ""
        });
        let e = open_sealed(sealed.to_string().as_bytes(), &Secret::from("")).unwrap_err();
        assert!(e.contains("unsupported scrypt parameters"), "{e}");
    }
}
