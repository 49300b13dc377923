//! A Fulcio stand-in for the test rig: a throwaway root CA that issues
//! short-lived code-signing certificates for an identity, as Fulcio does
//! (empty subject, the identity in the SAN, the OIDC issuer in Fulcio's
//! extension `1.3.6.1.4.1.57264.1.8`, and one SCT from a throwaway
//! certificate-transparency log embedded, RFC 6962 §3.3), with the trusted
//! root entries that trust it. What it issues is checked by
//! `sigstore-verify` (through `helm prov verify --trusted-root`): a mistake
//! here shows as a refused bundle, not as a passing test.

use std::time::{Duration, SystemTime};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use sha2::{Digest, Sha256};
use x509_cert::der::asn1::{BitString, Ia5String, ObjectIdentifier, OctetString, Utf8StringRef};
use x509_cert::der::{Decode, Encode};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectAltName,
};
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::time::Validity;
use x509_cert::{Certificate, TbsCertificate, Version};

pub(crate) const ECDSA_WITH_SHA256: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const CODE_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");
/// Fulcio's OIDC issuer extension (v2: a DER UTF8String).
const FULCIO_ISSUER_V2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.8");
/// Fulcio's OIDC issuer extension (v1: the raw string).
const FULCIO_ISSUER_V1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.1");
const SCT_LIST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.11129.2.4.2");

/// A P-256 key of the rig, with its SubjectPublicKeyInfo DER.
pub struct RigKey {
    pub pair: EcdsaKeyPair,
    pub spki_der: Vec<u8>,
}

impl RigKey {
    pub fn generate() -> RigKey {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let pair =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref()).unwrap();
        let spki_der = spki_of(pair.public_key().as_ref());
        RigKey { pair, spki_der }
    }

    /// ECDSA P-256 SHA-256, DER signature.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.pair
            .sign(&SystemRandom::new(), message)
            .unwrap()
            .as_ref()
            .to_vec()
    }
}

/// The SubjectPublicKeyInfo DER of an uncompressed P-256 point.
fn spki_of(point: &[u8]) -> Vec<u8> {
    // SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING point }
    let mut der = vec![
        0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08,
        0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
    ];
    der.extend_from_slice(point);
    der
}

pub fn pem_block(tag: &str, der: &[u8]) -> String {
    let b64 = B64.encode(der);
    let mut out = format!("-----BEGIN {tag}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap());
        out.push('\n');
    }
    out.push_str(&format!("-----END {tag}-----\n"));
    out
}

/// The CA, its certificate, and the CT log whose SCTs it embeds.
pub struct Fulcio {
    ca: RigKey,
    pub ca_der: Vec<u8>,
    ct: RigKey,
    ca_name: Name,
}

/// How a certificate is to be spoiled, for tests of what a verifier
/// refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spoil {
    None,
    /// The SCT signs another certificate.
    WrongSct,
    /// No SCT at all.
    NoSct,
}

impl Fulcio {
    pub fn new() -> Fulcio {
        let ca = RigKey::generate();
        let ca_name: Name = "CN=helm-wharf test rig Fulcio,O=sigstore.dev"
            .parse()
            .unwrap();
        let ca_der = root_ca(&ca, &ca_name);
        Fulcio {
            ca,
            ca_der,
            ct: RigKey::generate(),
            ca_name,
        }
    }

    /// A 10-minute code-signing certificate for `public_spki` (DER), naming
    /// `identity` (an e-mail, or a URI when it has `://`) and `issuer`.
    pub fn issue(&self, public_spki: &[u8], identity: &str, issuer: &str, spoil: Spoil) -> Vec<u8> {
        let san = if identity.contains("://") {
            GeneralName::UniformResourceIdentifier(Ia5String::new(identity).unwrap())
        } else {
            GeneralName::Rfc822Name(Ia5String::new(identity).unwrap())
        };
        let serial: [u8; 16] = rand_bytes();
        let mut serial = serial.to_vec();
        serial[0] = (serial[0] & 0x7f) | 0x40;
        let mut tbs = TbsCertificate {
            version: Version::V3,
            serial_number: SerialNumber::new(&serial).unwrap(),
            signature: alg(),
            issuer: self.ca_name.clone(),
            validity: validity(60, 600),
            subject: Name::default(),
            subject_public_key_info: SubjectPublicKeyInfoOwned::from_der(public_spki).unwrap(),
            issuer_unique_id: None,
            subject_unique_id: None,
            extensions: None,
        };
        tbs.extensions = Some(vec![
            ext(
                x509_cert::der::oid::db::rfc5280::ID_CE_KEY_USAGE,
                true,
                &KeyUsage(KeyUsages::DigitalSignature.into())
                    .to_der()
                    .unwrap(),
            ),
            ext(
                x509_cert::der::oid::db::rfc5280::ID_CE_EXT_KEY_USAGE,
                false,
                &ExtendedKeyUsage(vec![CODE_SIGNING]).to_der().unwrap(),
            ),
            ext(
                x509_cert::der::oid::db::rfc5280::ID_CE_SUBJECT_ALT_NAME,
                true,
                &SubjectAltName(vec![san]).to_der().unwrap(),
            ),
            subject_key_id(public_spki),
            authority_key_id(&self.ca.spki_der),
            ext(FULCIO_ISSUER_V1, false, issuer.as_bytes()),
            ext(
                FULCIO_ISSUER_V2,
                false,
                &Utf8StringRef::new(issuer).unwrap().to_der().unwrap(),
            ),
        ]);
        if spoil != Spoil::NoSct {
            // The SCT signs the certificate as it is without the SCT list.
            let precert = tbs.to_der().unwrap();
            let signed_over = if spoil == Spoil::WrongSct {
                let mut other = precert.clone();
                other.push(0);
                other
            } else {
                precert
            };
            let list = self.sct_list(&signed_over);
            let value = OctetString::new(list).unwrap().to_der().unwrap();
            tbs.extensions
                .as_mut()
                .unwrap()
                .push(ext(SCT_LIST, false, &value));
        }
        sign_tbs(&tbs, &self.ca)
    }

    /// A TLS-encoded `SignedCertificateTimestampList` with one v1 SCT over
    /// a precertificate entry.
    fn sct_list(&self, tbs_der: &[u8]) -> Vec<u8> {
        let timestamp = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let issuer_key_hash = Sha256::digest(&self.ca.spki_der);
        let mut signed = vec![0u8, 0u8]; // v1, certificate_timestamp
        signed.extend_from_slice(&timestamp.to_be_bytes());
        signed.extend_from_slice(&1u16.to_be_bytes()); // precert_entry
        signed.extend_from_slice(&issuer_key_hash);
        let len = tbs_der.len() as u32;
        signed.extend_from_slice(&len.to_be_bytes()[1..]);
        signed.extend_from_slice(tbs_der);
        signed.extend_from_slice(&0u16.to_be_bytes()); // no extensions
        let sig = self.ct.sign(&signed);
        let mut sct = vec![0u8]; // v1
        sct.extend_from_slice(&self.ct_log_id());
        sct.extend_from_slice(&timestamp.to_be_bytes());
        sct.extend_from_slice(&0u16.to_be_bytes());
        sct.extend_from_slice(&[4, 3]); // sha256, ecdsa
        sct.extend_from_slice(&(sig.len() as u16).to_be_bytes());
        sct.extend_from_slice(&sig);
        let mut list = ((sct.len() + 2) as u16).to_be_bytes().to_vec();
        list.extend_from_slice(&(sct.len() as u16).to_be_bytes());
        list.extend_from_slice(&sct);
        list
    }

    fn ct_log_id(&self) -> [u8; 32] {
        Sha256::digest(&self.ct.spki_der).into()
    }

    /// The `certificateAuthorities` and `ctlogs` entries of a trusted root
    /// that trusts this CA and its CT log.
    pub fn trusted_root_entries(&self) -> (serde_json::Value, serde_json::Value) {
        let cas = serde_json::json!([{
            "subject": {"organization": "sigstore.dev", "commonName": "helm-wharf test rig Fulcio"},
            "uri": "http://127.0.0.1",
            "certChain": {"certificates": [{"rawBytes": B64.encode(&self.ca_der)}]},
            "validFor": {"start": "2020-01-01T00:00:00Z"}
        }]);
        let ctlogs = serde_json::json!([{
            "baseUrl": "http://127.0.0.1",
            "hashAlgorithm": "SHA2_256",
            "publicKey": {
                "rawBytes": B64.encode(&self.ct.spki_der),
                "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                "validFor": {"start": "2020-01-01T00:00:00Z"}
            },
            "logId": {"keyId": B64.encode(self.ct_log_id())}
        }]);
        (cas, ctlogs)
    }
}

/// A self-signed root CA certificate for `key` named `name` (CA, path
/// length 0, certificate and CRL signing), valid for a year.
pub(crate) fn root_ca(key: &RigKey, name: &Name) -> Vec<u8> {
    let mut tbs = TbsCertificate {
        version: Version::V3,
        serial_number: SerialNumber::new(&[1]).unwrap(),
        signature: alg(),
        issuer: name.clone(),
        validity: validity(3600, 86_400 * 365),
        subject: name.clone(),
        subject_public_key_info: SubjectPublicKeyInfoOwned::from_der(&key.spki_der).unwrap(),
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: None,
    };
    tbs.extensions = Some(vec![
        ext(
            x509_cert::der::oid::db::rfc5280::ID_CE_BASIC_CONSTRAINTS,
            true,
            &BasicConstraints {
                ca: true,
                path_len_constraint: Some(0),
            }
            .to_der()
            .unwrap(),
        ),
        ext(
            x509_cert::der::oid::db::rfc5280::ID_CE_KEY_USAGE,
            true,
            &KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign)
                .to_der()
                .unwrap(),
        ),
        subject_key_id(&key.spki_der),
    ]);
    sign_tbs(&tbs, key)
}

pub(crate) fn alg() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: ECDSA_WITH_SHA256,
        parameters: None,
    }
}

pub(crate) fn ext(oid: ObjectIdentifier, critical: bool, value: &[u8]) -> Extension {
    Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(value.to_vec()).unwrap(),
    }
}

/// A key identifier (RFC 5280 allows any): the first 20 bytes of the
/// SHA-256 of the key's SubjectPublicKeyInfo.
pub(crate) fn key_id(spki: &[u8]) -> OctetString {
    OctetString::new(Sha256::digest(spki)[..20].to_vec()).unwrap()
}

pub(crate) fn subject_key_id(spki: &[u8]) -> Extension {
    ext(
        x509_cert::der::oid::db::rfc5280::ID_CE_SUBJECT_KEY_IDENTIFIER,
        false,
        &x509_cert::ext::pkix::SubjectKeyIdentifier(key_id(spki))
            .to_der()
            .unwrap(),
    )
}

/// Required of leaf certificates by the verifiers built on `cryptography`
/// (sigstore-python).
pub(crate) fn authority_key_id(issuer_spki: &[u8]) -> Extension {
    ext(
        x509_cert::der::oid::db::rfc5280::ID_CE_AUTHORITY_KEY_IDENTIFIER,
        false,
        &x509_cert::ext::pkix::AuthorityKeyIdentifier {
            key_identifier: Some(key_id(issuer_spki)),
            authority_cert_issuer: None,
            authority_cert_serial_number: None,
        }
        .to_der()
        .unwrap(),
    )
}

pub(crate) fn sign_tbs(tbs: &TbsCertificate, key: &RigKey) -> Vec<u8> {
    let sig = key.sign(&tbs.to_der().unwrap());
    Certificate {
        tbs_certificate: tbs.clone(),
        signature_algorithm: alg(),
        signature: BitString::from_bytes(&sig).unwrap(),
    }
    .to_der()
    .unwrap()
}

/// From `before` seconds ago to `after` seconds from now, as UTCTime:
/// RFC 5280 wants it for dates before 2050, and sigstore-python refuses a
/// GeneralizedTime there.
pub(crate) fn validity(before: u64, after: u64) -> Validity {
    let utc = |t: SystemTime| {
        x509_cert::time::Time::UtcTime(x509_cert::der::asn1::UtcTime::from_system_time(t).unwrap())
    };
    let now = SystemTime::now();
    Validity {
        not_before: utc(now - Duration::from_secs(before)),
        not_after: utc(now + Duration::from_secs(after)),
    }
}

pub(crate) fn rand_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    aws_lc_rs::rand::fill(&mut b).unwrap();
    b
}

/// A throwaway OIDC issuer: ES256 identity tokens for any claims.
pub struct Oidc {
    key: EcdsaKeyPair,
    pub issuer: String,
}

impl Oidc {
    pub fn new(issuer: &str) -> Oidc {
        let alg = &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING;
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, &SystemRandom::new()).unwrap();
        Oidc {
            key: EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref()).unwrap(),
            issuer: issuer.to_string(),
        }
    }

    /// A token with `claims` plus `iss`, `aud: sigstore`, `iat` and a
    /// 10-minute `exp`.
    pub fn token(&self, claims: serde_json::Value) -> String {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let mut c = claims;
        c["iss"] = self.issuer.clone().into();
        c["aud"] = "sigstore".into();
        c["iat"] = now.into();
        c["exp"] = (now + 600).into();
        use base64::engine::general_purpose::URL_SAFE_NO_PAD as URL;
        let signed = format!(
            "{}.{}",
            URL.encode(br#"{"alg":"ES256","typ":"JWT"}"#),
            URL.encode(c.to_string())
        );
        let sig = self
            .key
            .sign(&SystemRandom::new(), signed.as_bytes())
            .unwrap();
        format!("{signed}.{}", URL.encode(sig.as_ref()))
    }

    /// The claims of a token this issuer signed, or why not.
    fn check(&self, token: &str) -> Result<serde_json::Value, String> {
        use aws_lc_rs::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_FIXED};
        use base64::engine::general_purpose::URL_SAFE_NO_PAD as URL;
        let parts: Vec<&str> = token.split('.').collect();
        let [h, p, s] = parts.as_slice() else {
            return Err("not a JWT".into());
        };
        let sig = URL.decode(s).map_err(|_| "bad signature encoding")?;
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, self.key.public_key().as_ref())
            .verify(format!("{h}.{p}").as_bytes(), &sig)
            .map_err(|_| "the token's signature does not verify")?;
        let claims: serde_json::Value =
            serde_json::from_slice(&URL.decode(p).map_err(|_| "bad claims")?)
                .map_err(|_| "bad claims")?;
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        if claims["aud"] != "sigstore" || claims["exp"].as_u64().unwrap_or(0) <= now {
            return Err("wrong audience or expired".into());
        }
        Ok(claims)
    }
}

/// Fulcio's `POST /api/v2/signingCert` and GitHub Actions' token service
/// (`GET /actions-token?...&audience=sigstore` with the request bearer) on
/// 127.0.0.1, for keyless signing end to end.
pub struct Server {
    pub url: String,
    /// What the Actions token service hands out, and the bearer it wants.
    pub actions: std::sync::Arc<std::sync::Mutex<Option<(String, String)>>>,
    /// Tokens Fulcio was sent, to check where credentials went.
    pub seen_tokens: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    _acceptor: super::http::Acceptor,
}

impl Server {
    pub fn start(fulcio: std::sync::Arc<Fulcio>, oidc: std::sync::Arc<Oidc>) -> Server {
        use std::io::{BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let actions = std::sync::Arc::new(std::sync::Mutex::new(None));
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (a, s) = (actions.clone(), seen.clone());
        let acceptor = super::http::Acceptor::start(listener, move |stream| {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut writer = stream;
            if let Ok(Some(req)) = super::http::read_request(&mut reader, &mut writer) {
                let resp = answer(&req, &fulcio, &oidc, &a, &s);
                let _ = writer.write_all(&resp.serialize(&req.method, true));
            }
        });
        Server {
            url,
            actions,
            seen_tokens: seen,
            _acceptor: acceptor,
        }
    }
}

fn answer(
    req: &super::http::Request,
    fulcio: &Fulcio,
    oidc: &Oidc,
    actions: &std::sync::Mutex<Option<(String, String)>>,
    seen: &std::sync::Mutex<Vec<String>>,
) -> super::http::Response {
    use super::http::{reason, Response};
    let json = |status: u16, body: serde_json::Value| Response {
        status,
        reason: reason(status).to_string(),
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: body.to_string().into_bytes(),
    };
    if req.method == "GET" && req.target.starts_with("/actions-token?") {
        let Some((token, bearer)) = actions.lock().unwrap().clone() else {
            return Response::status_only(404);
        };
        if !req.target.ends_with("&audience=sigstore")
            || req.header("authorization") != Some(&format!("bearer {bearer}"))
        {
            return Response::status_only(401);
        }
        return json(200, serde_json::json!({ "value": token }));
    }
    if req.method != "POST" || req.target != "/api/v2/signingCert" {
        return Response::status_only(404);
    }
    let refuse = |why: &str| json(400, serde_json::json!({ "message": why }));
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&req.body) else {
        return refuse("not JSON");
    };
    let Some(token) = v
        .pointer("/credentials/oidcIdentityToken")
        .and_then(|t| t.as_str())
    else {
        return refuse("no token");
    };
    seen.lock().unwrap().push(token.to_string());
    let claims = match oidc.check(token) {
        Ok(c) => c,
        Err(why) => return refuse(&why),
    };
    let subject = claims["email"]
        .as_str()
        .or(claims["sub"].as_str())
        .unwrap_or("")
        .to_string();
    // As Fulcio does for GitHub Actions: the workflow as a URI.
    let identity = match claims["job_workflow_ref"].as_str() {
        Some(w) => format!("https://github.com/{w}"),
        None => subject.clone(),
    };
    let Some(pem_text) = v
        .pointer("/publicKeyRequest/publicKey/content")
        .and_then(|c| c.as_str())
    else {
        return refuse("no public key");
    };
    let Ok(block) = pem::parse(pem_text.as_bytes()) else {
        return refuse("the public key is not PEM");
    };
    let spki = block.contents().to_vec();
    let proof = v
        .pointer("/publicKeyRequest/proofOfPossession")
        .and_then(|p| p.as_str())
        .and_then(|p| B64.decode(p).ok())
        .unwrap_or_default();
    use aws_lc_rs::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_ASN1};
    if spki.len() < 65
        || UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, &spki[spki.len() - 65..])
            .verify(subject.as_bytes(), &proof)
            .is_err()
    {
        return refuse("the proof of possession does not verify");
    }
    let leaf = fulcio.issue(
        &spki,
        &identity,
        claims["iss"].as_str().unwrap_or(""),
        Spoil::None,
    );
    json(
        201,
        serde_json::json!({
            "signedCertificateEmbeddedSct": {"chain": {"certificates": [
                pem_block("CERTIFICATE", &leaf),
                pem_block("CERTIFICATE", &fulcio.ca_der),
            ]}}
        }),
    )
}
