//! An RFC 3161 timestamp authority for the test rig, on 127.0.0.1: a
//! throwaway root CA and a timestamping certificate (extended key usage
//! `timeStamping`, critical, as RFC 3161 §2.3 requires), answering each
//! `TimeStampReq` with a `TimeStampResp` whose token is a CMS SignedData
//! over a TSTInfo (the request's imprint and nonce, the time now), signed
//! attributes content-type, message-digest and ESS signing-certificate-v2.
//! What it hands out is checked by `sigstore-verify` and sigstore-python:
//! a mistake here shows as a refused bundle, not as a passing test.

use std::io::{BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use sha2::{Digest, Sha256};
use x509_cert::der::asn1::{GeneralizedTime, ObjectIdentifier};
use x509_cert::der::{Decode, Encode};
use x509_cert::ext::pkix::{ExtendedKeyUsage, KeyUsage, KeyUsages};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::{TbsCertificate, Version};

use super::fulcio::{
    alg, authority_key_id, ext, rand_bytes, root_ca, sign_tbs, subject_key_id, validity, RigKey,
    ECDSA_WITH_SHA256,
};
use super::http::{read_request, reason, Acceptor, Request, Response};

const TIME_STAMPING: &str = "1.3.6.1.5.5.7.3.8";
const SHA256: &str = "2.16.840.1.101.3.4.2.1";
const SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
const TST_INFO: &str = "1.2.840.113549.1.9.16.1.4";
const CONTENT_TYPE: &str = "1.2.840.113549.1.9.3";
const MESSAGE_DIGEST: &str = "1.2.840.113549.1.9.4";
const SIGNING_CERTIFICATE_V2: &str = "1.2.840.113549.1.9.16.2.47";
const POLICY: &str = "1.3.6.1.4.1.57264.2";

/// How the authority answers, for tests of what a client does with one
/// that lies or breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Honest,
    /// A token over another imprint than the one asked for.
    OtherImprint,
    /// A token for another request: the nonce differs.
    OtherNonce,
    /// A refusal: status `rejection` with the reason in words.
    Rejects,
    /// `200` with an HTML page.
    Garbage,
    /// `500`.
    Fails,
}

/// The authority's keys and certificates.
pub struct Authority {
    root_der: Vec<u8>,
    leaf: RigKey,
    leaf_der: Vec<u8>,
    leaf_issuer_der: Vec<u8>,
    leaf_serial_der: Vec<u8>,
}

impl Authority {
    pub fn new() -> Authority {
        let root = RigKey::generate();
        let root_name: Name = "CN=helm-wharf test rig TSA root,O=sigstore.dev"
            .parse()
            .unwrap();
        let root_der = root_ca(&root, &root_name);

        let leaf = RigKey::generate();
        let serial = SerialNumber::new(&[0x12, 0x34]).unwrap();
        let leaf_name: Name = "CN=helm-wharf test rig TSA,O=sigstore.dev".parse().unwrap();
        let mut tbs = TbsCertificate {
            version: Version::V3,
            serial_number: serial.clone(),
            signature: alg(),
            issuer: root_name.clone(),
            validity: validity(3600, 86_400 * 300),
            subject: leaf_name,
            subject_public_key_info: SubjectPublicKeyInfoOwned::from_der(&leaf.spki_der).unwrap(),
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
                true,
                &ExtendedKeyUsage(vec![ObjectIdentifier::new_unwrap(TIME_STAMPING)])
                    .to_der()
                    .unwrap(),
            ),
            subject_key_id(&leaf.spki_der),
            authority_key_id(&root.spki_der),
        ]);
        let leaf_der = sign_tbs(&tbs, &root);
        Authority {
            root_der,
            leaf,
            leaf_der,
            leaf_issuer_der: root_name.to_der().unwrap(),
            leaf_serial_der: serial.to_der().unwrap(),
        }
    }

    /// The `timestampAuthorities` entry of a trusted root that trusts
    /// this authority.
    pub fn trusted_root_entry(&self, url: &str) -> serde_json::Value {
        serde_json::json!({
            "subject": {"organization": "sigstore.dev", "commonName": "helm-wharf test rig TSA"},
            "uri": url,
            "certChain": {"certificates": [
                {"rawBytes": B64.encode(&self.leaf_der)},
                {"rawBytes": B64.encode(&self.root_der)},
            ]},
            "validFor": {"start": "2020-01-01T00:00:00Z"}
        })
    }

    /// The `TimeStampResp` for a `TimeStampReq`, or `None` when the
    /// request does not parse.
    fn respond(&self, request: &[u8], mode: Mode) -> Option<Vec<u8>> {
        let (imprint, nonce) = parse_request(request)?;
        if mode == Mode::Rejects {
            let words = seq(&[tlv(0x0c, b"the rig refuses this request")]);
            return Some(seq(&[seq(&[tlv(0x02, &[2]), words])]));
        }
        let nonce = match (mode, nonce) {
            (Mode::OtherNonce, Some(mut n)) => {
                let last = n.len() - 1;
                n[last] ^= 1;
                Some(n)
            }
            (_, n) => n,
        };
        let imprint = if mode == Mode::OtherImprint {
            let mut other = imprint.clone();
            let last = other.len() - 1;
            other[last] ^= 1;
            other
        } else {
            imprint
        };
        let serial: [u8; 16] = rand_bytes();
        let mut serial = serial.to_vec();
        // Positive, and no leading zero byte DER would refuse.
        serial[0] = (serial[0] & 0x7f) | 0x40;
        let tst_info = seq(&[
            tlv(0x02, &[1]),
            oid(POLICY),
            imprint,
            tlv(0x02, &serial),
            GeneralizedTime::from_system_time(SystemTime::now())
                .unwrap()
                .to_der()
                .unwrap(),
            nonce.unwrap_or_default(),
        ]);
        let attribute = |kind: &str, value: Vec<u8>| seq(&[oid(kind), tlv(0x31, &value)]);
        let mut attrs = [
            attribute(CONTENT_TYPE, oid(TST_INFO)),
            attribute(MESSAGE_DIGEST, tlv(0x04, &Sha256::digest(&tst_info))),
            attribute(
                SIGNING_CERTIFICATE_V2,
                seq(&[seq(&[seq(&[tlv(0x04, &Sha256::digest(&self.leaf_der))])])]),
            ),
        ];
        // DER orders a SET OF by the encodings of its elements.
        attrs.sort();
        let attrs = attrs.concat();
        let signature = self.leaf.sign(&tlv(0x31, &attrs));
        let signer_info = seq(&[
            tlv(0x02, &[1]),
            seq(&[self.leaf_issuer_der.clone(), self.leaf_serial_der.clone()]),
            seq(&[oid(SHA256)]),
            tlv(0xa0, &attrs),
            seq(&[ObjectIdentifier::to_der(&ECDSA_WITH_SHA256).unwrap()]),
            tlv(0x04, &signature),
        ]);
        let signed_data = seq(&[
            tlv(0x02, &[3]),
            tlv(0x31, &seq(&[oid(SHA256)])),
            seq(&[oid(TST_INFO), tlv(0xa0, &tlv(0x04, &tst_info))]),
            tlv(0xa0, &self.leaf_der),
            tlv(0x31, &signer_info),
        ]);
        let token = seq(&[oid(SIGNED_DATA), tlv(0xa0, &signed_data)]);
        Some(seq(&[seq(&[tlv(0x02, &[0])]), token]))
    }
}

/// The whole `MessageImprint` and the whole nonce `INTEGER` of a
/// `TimeStampReq`.
fn parse_request(der: &[u8]) -> Option<(Vec<u8>, Option<Vec<u8>>)> {
    let (tag, body, _, _) = read_tlv(der)?;
    if tag != 0x30 {
        return None;
    }
    let (tag, _, rest, _) = read_tlv(body)?; // version
    if tag != 0x02 {
        return None;
    }
    let (tag, _, mut rest, imprint) = read_tlv(rest)?;
    if tag != 0x30 {
        return None;
    }
    let imprint = imprint.to_vec();
    let mut nonce = None;
    while !rest.is_empty() {
        let (tag, _, next, whole) = read_tlv(rest)?;
        if tag == 0x02 {
            nonce = Some(whole.to_vec());
        }
        rest = next;
    }
    Some((imprint, nonce))
}

/// One TLV: its tag, contents, what follows, and the whole encoding.
type Tlv<'a> = (u8, &'a [u8], &'a [u8], &'a [u8]);

fn read_tlv(b: &[u8]) -> Option<Tlv<'_>> {
    let tag = *b.first()?;
    let first = *b.get(1)? as usize;
    let (len, head) = match first {
        0..=127 => (first, 2usize),
        0x81 => (*b.get(2)? as usize, 3),
        0x82 => (((*b.get(2)? as usize) << 8) | *b.get(3)? as usize, 4),
        _ => return None,
    };
    let end = head.checked_add(len)?;
    let whole = b.get(..end)?;
    Some((tag, &whole[head..], &b[end..], whole))
}

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match content.len() {
        n @ 0..=127 => out.push(n as u8),
        n @ 128..=255 => out.extend([0x81, n as u8]),
        n => out.extend([0x82, (n >> 8) as u8, n as u8]),
    }
    out.extend_from_slice(content);
    out
}

fn seq(items: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x30, &items.concat())
}

fn oid(dotted: &str) -> Vec<u8> {
    ObjectIdentifier::new_unwrap(dotted).to_der().unwrap()
}

/// The authority behind HTTP: `POST` of a `TimeStampReq` to any path.
pub struct Server {
    pub url: String,
    pub authority: Arc<Authority>,
    pub mode: Arc<Mutex<Mode>>,
    /// How many requests were answered.
    pub requests: Arc<Mutex<usize>>,
    _acceptor: Acceptor,
}

impl Server {
    pub fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/api/v1/timestamp", listener.local_addr().unwrap());
        let authority = Arc::new(Authority::new());
        let mode = Arc::new(Mutex::new(Mode::Honest));
        let requests = Arc::new(Mutex::new(0));
        let (a, m, n) = (authority.clone(), mode.clone(), requests.clone());
        let acceptor = Acceptor::start(listener, move |stream| {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut writer = stream;
            if let Ok(Some(req)) = read_request(&mut reader, &mut writer) {
                *n.lock().unwrap() += 1;
                let resp = answer(&req, &a, *m.lock().unwrap());
                let _ = writer.write_all(&resp.serialize(&req.method, true));
            }
        });
        Server {
            url,
            authority,
            mode,
            requests,
            _acceptor: acceptor,
        }
    }

    pub fn set_mode(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    pub fn trusted_root_entry(&self) -> serde_json::Value {
        self.authority.trusted_root_entry(&self.url)
    }
}

fn answer(req: &Request, authority: &Authority, mode: Mode) -> Response {
    let reply = |status: u16, kind: &str, body: Vec<u8>| Response {
        status,
        reason: reason(status).to_string(),
        headers: vec![("Content-Type".into(), kind.into())],
        body,
    };
    if req.method != "POST" {
        return Response::status_only(405);
    }
    match mode {
        Mode::Fails => return reply(500, "text/plain", b"TSA unavailable".to_vec()),
        Mode::Garbage => {
            return reply(200, "text/html", b"<html>maintenance</html>".to_vec());
        }
        _ => {}
    }
    match authority.respond(&req.body, mode) {
        Some(der) => reply(200, "application/timestamp-reply", der),
        None => reply(400, "text/plain", b"not a TimeStampReq".to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_parse_and_tlvs_nest() {
        let imprint = seq(&[seq(&[oid(SHA256)]), tlv(0x04, &[7; 32])]);
        let nonce = tlv(0x02, &[0, 0x80]);
        let req = seq(&[
            tlv(0x02, &[1]),
            imprint.clone(),
            nonce.clone(),
            tlv(0x01, &[0xff]),
        ]);
        assert_eq!(parse_request(&req), Some((imprint, Some(nonce))));
        assert_eq!(parse_request(&[0x30, 0x05, 0x02]), None);
        let big = tlv(0x04, &[1; 300]);
        let (tag, body, rest, whole) = read_tlv(&big).unwrap();
        assert_eq!(
            (tag, body.len(), rest.len(), whole.len()),
            (0x04, 300, 0, 304)
        );
    }
}
