//! AWS Signature Version 4 for S3 requests: the canonical request, the
//! string to sign and the derived key, as the AWS docs define them.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::credentials::AwsKeys;

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut m = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    m.update(data);
    m.finalize().into_bytes().into()
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub fn sha256_hex(b: &[u8]) -> String {
    hex(&Sha256::digest(b))
}

/// A request to sign: the path already percent-encoded as it is sent, the
/// query as (name, value) pairs not yet encoded.
pub struct Request<'a> {
    pub method: &'a str,
    pub host: &'a str,
    pub path: &'a str,
    pub query: &'a [(String, String)],
    pub payload_sha256: &'a str,
    /// `YYYYMMDDTHHMMSSZ`.
    pub amz_date: &'a str,
}

/// The headers to add: `x-amz-date`, `x-amz-content-sha256`, the session
/// token if any, and `authorization`.
pub fn sign(
    r: &Request,
    keys: &AwsKeys,
    region: &str,
    service: &str,
) -> Vec<(&'static str, String)> {
    let date = &r.amz_date[..8];
    let mut headers: Vec<(&'static str, String)> = vec![
        ("host", r.host.to_string()),
        ("x-amz-content-sha256", r.payload_sha256.to_string()),
        ("x-amz-date", r.amz_date.to_string()),
    ];
    if let Some(t) = &keys.session_token {
        headers.push(("x-amz-security-token", t.expose().to_string()));
    }
    headers.sort_by(|a, b| a.0.cmp(b.0));
    let mut q: Vec<(String, String)> = r
        .query
        .iter()
        .map(|(k, v)| (super::encode(k, false), super::encode(v, false)))
        .collect();
    q.sort();
    let canonical_query = q
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    let canonical_headers: String = headers
        .iter()
        .map(|(k, v)| format!("{k}:{}\n", v.trim()))
        .collect();
    let signed: String = headers
        .iter()
        .map(|(k, _)| *k)
        .collect::<Vec<_>>()
        .join(";");
    let canonical = format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        r.method, r.path, canonical_query, canonical_headers, signed, r.payload_sha256
    );
    let scope = format!("{date}/{region}/{service}/aws4_request");
    let to_sign = format!(
        "AWS4-HMAC-SHA256\n{}\n{scope}\n{}",
        r.amz_date,
        sha256_hex(canonical.as_bytes())
    );
    let k_date = hmac(
        format!("AWS4{}", keys.secret_access_key.expose()).as_bytes(),
        date.as_bytes(),
    );
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    let k_signing = hmac(&k_service, b"aws4_request");
    let signature = hex(&hmac(&k_signing, to_sign.as_bytes()));
    let mut out: Vec<(&'static str, String)> =
        headers.into_iter().filter(|(k, _)| *k != "host").collect();
    out.push((
        "authorization",
        format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed}, Signature={signature}",
            keys.access_key_id
        ),
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::Secret;

    /// The "GET Object" example of the S3 SigV4 documentation
    /// (examplebucket, AKIAIOSFODNN7EXAMPLE), without its Range header.
    #[test]
    fn the_documented_example_key_derivation_and_hash_hold() {
        let keys = AwsKeys {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: Secret::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
            session_token: None,
        };
        let empty = sha256_hex(b"");
        assert_eq!(
            empty,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        // The documented list-objects example: GET /?max-keys=2&prefix=J.
        let q = vec![
            ("max-keys".to_string(), "2".to_string()),
            ("prefix".to_string(), "J".to_string()),
        ];
        let h = sign(
            &Request {
                method: "GET",
                host: "examplebucket.s3.amazonaws.com",
                path: "/",
                query: &q,
                payload_sha256: &empty,
                amz_date: "20130524T000000Z",
            },
            &keys,
            "us-east-1",
            "s3",
        );
        let auth = &h.iter().find(|(k, _)| *k == "authorization").unwrap().1;
        assert_eq!(
            auth,
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"
        );
    }
}
