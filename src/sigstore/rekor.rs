//! Entering a signature in a Rekor transparency log. Rekor v1: one `hashedrekord`
//! entry (a signature over a digest) or `dsse` entry (a DSSE envelope, what
//! cosign v3 signs images with), POSTed to `/api/v1/log/entries`, and the
//! log's answer turned into
//! a bundle's log entry (Rekor's API speaks hex and numbers where bundles
//! speak base64 and strings). Rekor v2: a `hashedrekord` 0.0.2 request to
//! `/api/v2/log/entries`, answered with the bundle's own log entry (an
//! inclusion proof and a checkpoint, no signed entry timestamp and no
//! time: the timestamp authority gives that). Nothing in either answer is
//! trusted here: the bundle is verified against the trusted root before
//! it is written.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::Deserialize;
use sigstore_verify::types::bundle::TransparencyLogEntry;
use sigstore_verify::types::KindVersion;

use super::SigstoreError;
use crate::net::SafeUrl;

/// A log's answer is a few KiB (the entry, a proof of ~30 hashes, a
/// checkpoint); anything much larger is not an answer.
const MAX_ANSWER: u64 = 1 << 20;
const MAX_PROOF_HASHES: usize = 64;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogEntry {
    body: String,
    integrated_time: i64,
    #[serde(rename = "logID")]
    log_id: String,
    log_index: i64,
    verification: Verification,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Verification {
    inclusion_proof: Option<Proof>,
    signed_entry_timestamp: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Proof {
    checkpoint: String,
    hashes: Vec<String>,
    log_index: i64,
    root_hash: String,
    tree_size: i64,
}

/// Enters a keyed signature over a SHA-256 digest in the log at `base`,
/// and returns the entry as a bundle holds it.
pub fn upload_hashedrekord(
    base: &SafeUrl,
    digest: &[u8; 32],
    signature: &[u8],
    public_pem: &str,
) -> Result<TransparencyLogEntry, SigstoreError> {
    let proposed = serde_json::json!({
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": hex(digest)}},
            "signature": {
                "content": B64.encode(signature),
                "publicKey": {"content": B64.encode(public_pem)},
            },
        },
    });
    upload(base, &proposed, "hashedrekord")
}

/// Enters a DSSE envelope (its JSON) signed by the key of `public_pem`.
pub fn upload_dsse(
    base: &SafeUrl,
    envelope: &str,
    public_pem: &str,
) -> Result<TransparencyLogEntry, SigstoreError> {
    let proposed = serde_json::json!({
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {
            "proposedContent": {
                "envelope": envelope,
                "verifiers": [B64.encode(public_pem)],
            },
        },
    });
    upload(base, &proposed, "dsse")
}

/// Enters a signature over a SHA-256 digest in the Rekor v2 log at
/// `base`: `verifier` is the DER of the public key (keyed) or of the
/// certificate (keyless).
pub fn upload_hashedrekord_v2(
    base: &SafeUrl,
    digest: &[u8; 32],
    signature: &[u8],
    verifier: Verifier,
) -> Result<TransparencyLogEntry, SigstoreError> {
    let verifier = match verifier {
        Verifier::PublicKey(der) => serde_json::json!({
            "keyDetails": "PKIX_ECDSA_P256_SHA_256",
            "publicKey": {"rawBytes": B64.encode(der)},
        }),
        Verifier::Certificate(der) => serde_json::json!({
            "keyDetails": "PKIX_ECDSA_P256_SHA_256",
            "x509Certificate": {"rawBytes": B64.encode(der)},
        }),
    };
    let proposed = serde_json::json!({
        "hashedRekordRequestV002": {
            "digest": B64.encode(digest),
            "signature": {"content": B64.encode(signature), "verifier": verifier},
        },
    });
    let (body, fail) = post(base, "/api/v2/log/entries", &proposed)?;
    let entry: TransparencyLogEntry =
        serde_json::from_slice(&body).map_err(|e| fail(format!("not a log entry: {e}")))?;
    if entry.kind_version != KindVersion::HashedRekordV002 {
        return Err(fail(format!(
            "the entry is of kind {} {}, not hashedrekord 0.0.2",
            entry.kind_version.kind(),
            entry.kind_version.version()
        )));
    }
    match &entry.inclusion_proof {
        None => return Err(fail("the entry has no inclusion proof".into())),
        Some(p) if p.hashes.len() > MAX_PROOF_HASHES => {
            return Err(fail(format!(
                "an inclusion proof of {} hashes (a tree of 2^64 entries needs 64)",
                p.hashes.len()
            )))
        }
        Some(_) => {}
    }
    Ok(entry)
}

/// What verifies a Rekor v2 entry's signature, as DER.
pub enum Verifier<'a> {
    PublicKey(&'a [u8]),
    Certificate(&'a [u8]),
}

type Fail = Box<dyn Fn(String) -> SigstoreError>;

/// POSTs `proposed` to `path` of the log at `base`; the answer's body (a
/// success, bounded), and the error maker naming the URL.
fn post(
    base: &SafeUrl,
    path: &str,
    proposed: &serde_json::Value,
) -> Result<(Vec<u8>, Fail), SigstoreError> {
    let url = format!("{}{path}", base.expose().trim_end_matches('/'));
    let shown = SafeUrl::from(url.clone()).to_string();
    let fail: Fail = Box::new(move |detail: String| SigstoreError::Rekor {
        url: shown.clone(),
        detail,
    });
    let request = super::service_client()
        .map_err(&fail)?
        .post(&url)
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .body(proposed.to_string());
    let (status, body) = super::exchange(request, MAX_ANSWER).map_err(&fail)?;
    if status != 201 && status != 200 {
        return Err(fail(format!(
            "answered {status}: {}",
            crate::cli::output::clip_bytes(&body)
        )));
    }
    Ok((body, fail))
}

fn upload(
    base: &SafeUrl,
    proposed: &serde_json::Value,
    kind: &str,
) -> Result<TransparencyLogEntry, SigstoreError> {
    let (body, fail) = post(base, "/api/v1/log/entries", proposed)?;
    let entries: std::collections::BTreeMap<String, LogEntry> =
        serde_json::from_slice(&body).map_err(|e| fail(format!("not a log entry: {e}")))?;
    let mut it = entries.into_values();
    let (Some(e), None) = (it.next(), it.next()) else {
        return Err(fail("the answer does not hold exactly one entry".into()));
    };
    to_bundle_entry(e, kind).map_err(fail)
}

/// Rekor's entry in a bundle's form (`dev.sigstore.rekor.v1` JSON).
fn to_bundle_entry(e: LogEntry, kind: &str) -> Result<TransparencyLogEntry, String> {
    let proof = e
        .verification
        .inclusion_proof
        .ok_or("the entry has no inclusion proof")?;
    let set = e
        .verification
        .signed_entry_timestamp
        .ok_or("the entry has no signed entry timestamp")?;
    if proof.hashes.len() > MAX_PROOF_HASHES {
        return Err(format!(
            "an inclusion proof of {} hashes (a tree of 2^64 entries needs 64)",
            proof.hashes.len()
        ));
    }
    let b64_of_hex = |what: &str, h: &str| -> Result<String, String> {
        unhex(h)
            .map(|b| B64.encode(b))
            .ok_or_else(|| format!("{what} is not hex"))
    };
    let hashes = proof
        .hashes
        .iter()
        .map(|h| b64_of_hex("a proof hash", h))
        .collect::<Result<Vec<_>, _>>()?;
    let json = serde_json::json!({
        "logIndex": e.log_index.to_string(),
        "logId": {"keyId": b64_of_hex("the log ID", &e.log_id)?},
        "kindVersion": {"kind": kind, "version": "0.0.1"},
        "integratedTime": e.integrated_time.to_string(),
        "inclusionPromise": {"signedEntryTimestamp": set},
        "inclusionProof": {
            "logIndex": proof.log_index.to_string(),
            "rootHash": b64_of_hex("the root hash", &proof.root_hash)?,
            "treeSize": proof.tree_size.to_string(),
            "hashes": hashes,
            "checkpoint": {"envelope": proof.checkpoint},
        },
        "canonicalizedBody": e.body,
    });
    serde_json::from_value(json).map_err(|e| format!("not a usable log entry: {e}"))
}

pub(super) fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub(super) fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || s.len() > 256 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_without_proof_or_set_is_refused() {
        let e = |proof: bool, set: bool| LogEntry {
            body: "e30=".into(),
            integrated_time: 1,
            log_id: "00".repeat(32),
            log_index: 0,
            verification: Verification {
                inclusion_proof: proof.then(|| Proof {
                    checkpoint: "x".into(),
                    hashes: vec!["zz".into()],
                    log_index: 0,
                    root_hash: "00".repeat(32),
                    tree_size: 1,
                }),
                signed_entry_timestamp: set.then(|| "AA==".into()),
            },
        };
        assert!(to_bundle_entry(e(false, true), "hashedrekord")
            .err()
            .unwrap()
            .contains("inclusion proof"));
        assert!(to_bundle_entry(e(true, false), "hashedrekord")
            .err()
            .unwrap()
            .contains("signed entry timestamp"));
        assert!(to_bundle_entry(e(true, true), "hashedrekord")
            .err()
            .unwrap()
            .contains("hex"));
    }
}
