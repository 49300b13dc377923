//! An RFC 3161 timestamp over a signature, as cosign asks a timestamp
//! authority for one (`--timestamp-server-url`, or the signing
//! configuration's TSA): the SHA-256 of the signature bytes, POSTed as a
//! `TimeStampReq` with a nonce and `certReq`, and the `TimeStampResp`
//! kept as the bundle's `signedTimestamp`.
//!
//! Nothing in the answer is trusted here. The bundle it goes into is
//! verified against the trusted root before it is written, and that
//! checks the token's CMS signature, the authority's chain and that the
//! token is over this very signature; a token replayed from another
//! signature cannot match, since every ECDSA signature is new.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use sigstore_verify::types::TimestampToken;

use super::SigstoreError;
use crate::net::SafeUrl;

/// An answer is a CMS structure with the authority's certificate chain:
/// a few KiB.
const MAX_ANSWER: u64 = 256 << 10;

/// The timestamp authority at `url` timestamps `signature`.
pub fn timestamp(url: &SafeUrl, signature: &[u8]) -> Result<TimestampToken, SigstoreError> {
    let shown = url.to_string();
    let fail = |detail: String| SigstoreError::Tsa {
        url: shown.clone(),
        detail,
    };
    let mut nonce = [0u8; 8];
    SystemRandom::new()
        .fill(&mut nonce)
        .map_err(|_| fail("no randomness for the nonce".into()))?;
    let imprint = imprint(&super::sha256(signature));
    let request = request(&imprint, &nonce);
    let request = super::service_client()
        .map_err(&fail)?
        .post(url.expose())
        .header("content-type", "application/timestamp-query")
        .header("accept", "application/timestamp-reply")
        .body(request);
    let (status, body) = super::exchange(request, MAX_ANSWER).map_err(&fail)?;
    if status != 200 && status != 201 {
        return Err(fail(format!(
            "answered {status}: {}",
            crate::cli::output::clip_bytes(&body)
        )));
    }
    check_answer(&body, &imprint, &nonce).map_err(fail)?;
    Ok(TimestampToken::new(body))
}

/// `TimeStampResp ::= SEQUENCE { status PKIStatusInfo, timeStampToken
/// ContentInfo OPTIONAL }` (RFC 3161 §2.4.2).
#[derive(der::Sequence)]
struct TimeStampResp {
    status: PkiStatusInfo,
    #[asn1(optional = "true")]
    token: Option<der::Any>,
}

#[derive(der::Sequence)]
struct PkiStatusInfo {
    status: u8,
    #[asn1(optional = "true")]
    text: Option<Vec<String>>,
    #[asn1(optional = "true")]
    fail_info: Option<der::asn1::BitString>,
}

/// What an answer says, before its signature is checked with the rest of
/// the bundle: that the authority granted the request (else its status
/// and words, as the user can act on them), and that the token is for
/// this request (our imprint and nonce, which RFC 3161 §2.4.2 says a
/// client must check): a token for anything else is refused before the
/// log is asked, so it leaves no entry there.
fn check_answer(body: &[u8], imprint: &[u8], nonce: &[u8; 8]) -> Result<(), String> {
    use der::Decode;
    let not_der = |e: der::Error| format!("the answer is not a DER TimeStampResp: {e}");
    let resp = TimeStampResp::from_der(body).map_err(not_der)?;
    const STATUS: [&str; 6] = [
        "granted",
        "grantedWithMods",
        "rejection",
        "waiting",
        "revocationWarning",
        "revocationNotification",
    ];
    let status = resp.status.status;
    if status > 1 {
        let name = STATUS.get(usize::from(status)).unwrap_or(&"unknown");
        let words = resp.status.text.unwrap_or_default().join("; ");
        let words = crate::cli::output::clip(&words);
        return Err(match words.is_empty() {
            true => format!("it did not grant the timestamp (status {status}, {name})"),
            false => format!("it did not grant the timestamp (status {status}, {name}): {words}"),
        });
    }
    let token = resp
        .token
        .ok_or("it granted the timestamp but sent no token")?;
    let info = token
        .decode_as::<cms::content_info::ContentInfo>()
        .map_err(not_der)?;
    let signed = info
        .content
        .decode_as::<cms::signed_data::SignedData>()
        .map_err(not_der)?;
    let tst_info = signed
        .encap_content_info
        .econtent
        .ok_or("its token holds no TSTInfo")?
        .decode_as::<der::asn1::OctetString>()
        .map_err(not_der)?;
    let (theirs, their_nonce) = token_fields(tst_info.as_bytes()).map_err(not_der)?;
    if theirs != imprint {
        return Err(
            "its token is over something else than this signature (the message \
                    imprint differs)"
                .into(),
        );
    }
    match their_nonce {
        Some(n) if n == positive(nonce) => Ok(()),
        Some(_) => Err("its token answers another request (the nonce differs)".into()),
        None => Err("its token carries no nonce, though the request had one".into()),
    }
}

/// The message imprint (its DER) and nonce (its INTEGER's content) of a
/// `TSTInfo ::= SEQUENCE { version, policy, messageImprint, serialNumber,
/// genTime, accuracy OPTIONAL, ordering DEFAULT FALSE, nonce INTEGER
/// OPTIONAL, ... }`: the nonce is the first INTEGER after the time.
type TokenFields = (Vec<u8>, Option<Vec<u8>>);

fn token_fields(tst_info: &[u8]) -> der::Result<TokenFields> {
    use der::{Decode, Encode, Reader, Tag, Tagged};
    let mut r = der::SliceReader::new(tst_info)?;
    let fields = r.sequence(|r| {
        let _version = der::asn1::Int::decode(r)?;
        let _policy = der::asn1::ObjectIdentifier::decode(r)?;
        let imprint = der::Any::decode(r)?.to_der()?;
        let _serial = der::asn1::Int::decode(r)?;
        let _time = der::asn1::GeneralizedTime::decode(r)?;
        let mut nonce = None;
        while !r.is_finished() {
            let any = der::Any::decode(r)?;
            match any.tag() {
                Tag::Sequence | Tag::Boolean => continue,
                Tag::Integer => nonce = Some(any.value().to_vec()),
                _ => {}
            }
            break;
        }
        // The TSA name and extensions, unread.
        while !r.is_finished() {
            der::Any::decode(r)?;
        }
        Ok((imprint, nonce))
    })?;
    r.finish(fields)
}

/// `MessageImprint ::= SEQUENCE { sha256, digest }`, in DER.
fn imprint(digest: &[u8; 32]) -> Vec<u8> {
    // id-sha256, 2.16.840.1.101.3.4.2.1
    const SHA256: [u8; 9] = [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
    let algorithm = tlv(0x30, &[tlv(0x06, &SHA256), vec![0x05, 0x00]].concat());
    tlv(0x30, &[algorithm, tlv(0x04, digest)].concat())
}

/// `TimeStampReq ::= SEQUENCE { version 1, messageImprint, nonce, certReq
/// TRUE }` (RFC 3161 §2.4.1), in DER.
fn request(imprint: &[u8], nonce: &[u8; 8]) -> Vec<u8> {
    tlv(
        0x30,
        &[
            tlv(0x02, &[1]),
            imprint.to_vec(),
            tlv(0x02, &positive(nonce)),
            tlv(0x01, &[0xff]),
        ]
        .concat(),
    )
}

/// A DER INTEGER's content for an unsigned big-endian number: no leading
/// zero bytes, and one zero byte when the top bit would make it negative.
fn positive(n: &[u8]) -> Vec<u8> {
    let first = n.iter().position(|&b| b != 0).unwrap_or(n.len() - 1);
    let n = &n[first..];
    if n[0] & 0x80 != 0 {
        [&[0u8][..], n].concat()
    } else {
        n.to_vec()
    }
}

/// One DER tag-length-value (contents here are always under 64 KiB).
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_is_the_der_rfc_3161_gives() {
        let req = request(&imprint(&[0xab; 32]), &[0, 0, 0, 0, 0, 0, 0x80, 1]);
        // SEQUENCE, version 1, the imprint (sha256 with NULL parameters and
        // 32 bytes), the nonce with a zero byte kept for its sign, certReq.
        let mut want = vec![0x30, 0x3e, 0x02, 0x01, 0x01];
        want.extend([0x30, 0x31, 0x30, 0x0d, 0x06, 0x09]);
        want.extend([
            0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
        ]);
        want.extend([0x04, 0x20]);
        want.extend([0xab; 32]);
        want.extend([0x02, 0x03, 0x00, 0x80, 0x01, 0x01, 0x01, 0xff]);
        assert_eq!(req, want);
    }

    #[test]
    fn a_refusal_is_told_with_its_status_and_words() {
        let words = tlv(0x30, &tlv(0x0c, b"unsupported algorithm"));
        let refusal = tlv(0x30, &tlv(0x30, &[tlv(0x02, &[2]), words].concat()));
        let e = check_answer(&refusal, &imprint(&[0; 32]), &[1; 8]).unwrap_err();
        assert_eq!(
            e,
            "it did not grant the timestamp (status 2, rejection): unsupported algorithm"
        );
        let granted_empty = tlv(0x30, &tlv(0x30, &tlv(0x02, &[0])));
        let e = check_answer(&granted_empty, &imprint(&[0; 32]), &[1; 8]).unwrap_err();
        assert!(e.contains("no token"), "{e}");
        let e = check_answer(b"<html>", &imprint(&[0; 32]), &[1; 8]).unwrap_err();
        assert!(
            e.starts_with("the answer is not a DER TimeStampResp"),
            "{e}"
        );
    }

    #[test]
    fn the_nonce_follows_accuracy_and_ordering() {
        let time = tlv(0x18, b"20261202120000Z");
        let policy = tlv(0x06, &[0x2b, 0x06, 0x01, 0x04, 0x01]);
        let im = imprint(&[7; 32]);
        let body = |extra: &[Vec<u8>]| {
            let mut parts = vec![tlv(0x02, &[1]), policy.clone(), im.clone()];
            parts.extend([tlv(0x02, &[9]), time.clone()]);
            parts.extend(extra.iter().cloned());
            tlv(0x30, &parts.concat())
        };
        let accuracy = tlv(0x30, &tlv(0x02, &[1]));
        let ordering = tlv(0x01, &[0]);
        let nonce = tlv(0x02, &[0, 0x80]);
        let name = tlv(0xa0, &[0u8; 0]);
        let got = token_fields(&body(&[accuracy, ordering, nonce.clone(), name])).unwrap();
        assert_eq!(got, (im.clone(), Some(vec![0, 0x80])));
        assert_eq!(
            token_fields(&body(&[nonce])).unwrap().1,
            Some(vec![0, 0x80])
        );
        assert_eq!(token_fields(&body(&[])).unwrap().1, None);
    }

    #[test]
    fn integers_are_minimal_and_positive() {
        assert_eq!(positive(&[0, 0, 5]), vec![5]);
        assert_eq!(positive(&[0, 0xff]), vec![0, 0xff]);
        assert_eq!(positive(&[0, 0]), vec![0]);
        assert_eq!(tlv(0x04, &[0; 200])[..3], [0x04, 0x81, 200]);
        assert_eq!(tlv(0x04, &[0; 300])[..4], [0x04, 0x82, 1, 44]);
    }
}
