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
    let request = request(&super::sha256(signature), &nonce);
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
    // DER starts with a SEQUENCE; anything else (an HTML error page with a
    // 200) is said here rather than as a CMS parse error later.
    if body.first() != Some(&0x30) {
        return Err(fail("the answer is not a DER TimeStampResp".into()));
    }
    Ok(TimestampToken::new(body))
}

/// `TimeStampReq ::= SEQUENCE { version 1, messageImprint { sha256,
/// digest }, nonce, certReq TRUE }` (RFC 3161 §2.4.1), in DER.
fn request(digest: &[u8; 32], nonce: &[u8; 8]) -> Vec<u8> {
    // id-sha256, 2.16.840.1.101.3.4.2.1
    const SHA256: [u8; 9] = [0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
    let algorithm = tlv(0x30, &[tlv(0x06, &SHA256), vec![0x05, 0x00]].concat());
    let imprint = tlv(0x30, &[algorithm, tlv(0x04, digest)].concat());
    tlv(
        0x30,
        &[
            tlv(0x02, &[1]),
            imprint,
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
        let req = request(&[0xab; 32], &[0, 0, 0, 0, 0, 0, 0x80, 1]);
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
    fn integers_are_minimal_and_positive() {
        assert_eq!(positive(&[0, 0, 5]), vec![5]);
        assert_eq!(positive(&[0, 0xff]), vec![0, 0xff]);
        assert_eq!(positive(&[0, 0]), vec![0]);
        assert_eq!(tlv(0x04, &[0; 200])[..3], [0x04, 0x81, 200]);
        assert_eq!(tlv(0x04, &[0; 300])[..4], [0x04, 0x82, 1, 44]);
    }
}
