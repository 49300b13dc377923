//! Signatures over an OCI manifest, as cosign makes them for an image, so
//! that a chart in a registry is signed once and checked by every verifier
//! of the field.
//!
//! cosign v3 signs an in-toto statement whose one subject is the manifest
//! digest, in a DSSE envelope, entered in the log as a `dsse` entry; cosign
//! v2 signs a simple-signing payload that pins the digest, entered as a
//! `hashedrekord` entry, and stores the log's promise beside it as an
//! annotation. Both sign the digest, never a registry name: the legacy
//! payload's `docker-reference` is written for old verifiers and ignored
//! when checking, as cosign ignores it by default, so a signature stays
//! valid when the chart is copied to another registry.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::{json, Value};
use sigstore_verify::bundle::BundleV03;
use sigstore_verify::types::bundle::SignatureContent;
use sigstore_verify::types::{
    Bundle, DsseEnvelope, DsseSignature, KeyId, PayloadBytes, Sha256Hash,
};

use super::keys::SigningKey;
use super::sign::{check_own, SignSettings};
use super::verify::{verify_bundle, Input, Labels};
use super::{Policy, SigstoreError, Trust, Verified};

/// The payload type of an in-toto statement in a DSSE envelope.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
/// What cosign v3's `sign` attests: "this digest is signed".
pub const COSIGN_SIGN_PREDICATE: &str = "https://sigstore.dev/cosign/sign/v1";
/// Annotations of a legacy signature layer (cosign `pkg/oci/static`).
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
pub const CERTIFICATE_ANNOTATION: &str = "dev.sigstore.cosign/certificate";
pub const CHAIN_ANNOTATION: &str = "dev.sigstore.cosign/chain";
pub const BUNDLE_ANNOTATION: &str = "dev.sigstore.cosign/bundle";
pub const TIMESTAMP_ANNOTATION: &str = "dev.sigstore.cosign/rfc3161timestamp";
const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
const SIMPLE_SIGNING_TYPE: &str = "cosign container image signature";

/// A manifest digest, `sha256:<hex>`, as its 32 bytes.
pub fn digest_bytes(digest: &str) -> Option<[u8; 32]> {
    let hex = digest.strip_prefix("sha256:")?;
    let bytes = super::rekor::unhex(hex)?;
    bytes.try_into().ok()
}

fn bad_digest(digest: &str) -> SigstoreError {
    SigstoreError::Sign {
        path: digest.into(),
        detail: "not a sha256 manifest digest".into(),
    }
}

/// The statement cosign v3 signs for a manifest: the digest as the one
/// subject, no name, an empty predicate.
fn statement(hex: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "_type": STATEMENT_TYPE,
        "subject": [{"digest": {"sha256": hex}}],
        "predicateType": COSIGN_SIGN_PREDICATE,
        "predicate": {},
    }))
    .expect("JSON values serialise")
}

/// Signs the manifest `digest` as cosign v3 does: the bundle's JSON, its
/// log entry (unless there is no log) and timestamp (where a
/// timestamp authority is configured) checked against the trusted root
/// before it is returned.
pub fn sign_manifest_bundle(
    digest: &str,
    key: &SigningKey,
    settings: SignSettings,
) -> Result<String, SigstoreError> {
    let d = digest_bytes(digest).ok_or_else(|| bad_digest(digest))?;
    let fail = |detail: String| SigstoreError::Sign {
        path: digest.into(),
        detail,
    };
    let payload = statement(digest.trim_start_matches("sha256:"));
    let pae = sigstore_verify::types::dsse::pae(IN_TOTO_PAYLOAD_TYPE, &payload);
    let sig = key.pair.sign(&pae).map_err(|e| fail(e.to_string()))?;
    let envelope = DsseEnvelope::new(
        IN_TOTO_PAYLOAD_TYPE,
        PayloadBytes::new(payload.clone()),
        DsseSignature::new(sig.clone(), KeyId::new("")),
    );
    let mut bundle = BundleV03::new(key.material(), SignatureContent::DsseEnvelope(envelope));
    // The timestamp before the log entry, as for files.
    if let Some(tsa) = &settings.services.tsa {
        bundle = bundle.with_rfc3161_timestamp(super::tsa::timestamp(tsa, sig.as_bytes())?);
    }
    if let Some(log) = &settings.services.rekor {
        let wire = json!({
            "payloadType": IN_TOTO_PAYLOAD_TYPE,
            "payload": B64.encode(&payload),
            "signatures": [{"sig": B64.encode(sig.as_bytes())}],
        });
        let pae_digest = super::sha256(&pae);
        let entry = super::sign::enter(
            log,
            key,
            &pae_digest,
            sig.as_bytes(),
            Some(&wire.to_string()),
        )?;
        bundle = bundle.with_tlog_entry(entry);
    }
    let bundle = bundle.into_bundle();
    if settings.services.countersigned() {
        check_own(
            Input::Digest(d),
            &bundle,
            key,
            settings.trust,
            digest.as_ref(),
        )?;
    }
    bundle.to_json().map_err(|e| fail(e.to_string()))
}

/// A signature in cosign's legacy form: the payload and the annotations of
/// its layer.
#[derive(Debug, Clone)]
pub struct LegacySigned {
    pub payload: Vec<u8>,
    pub annotations: BTreeMap<String, String>,
}

/// Signs the manifest `digest` as cosign v2 does: a simple-signing payload
/// naming `docker_reference` and pinning the digest, signed, and (with a
/// log) the log's promise as the `dev.sigstore.cosign/bundle` annotation.
pub fn sign_manifest_legacy(
    docker_reference: &str,
    digest: &str,
    key: &SigningKey,
    settings: SignSettings,
) -> Result<LegacySigned, SigstoreError> {
    digest_bytes(digest).ok_or_else(|| bad_digest(digest))?;
    let fail = |detail: String| SigstoreError::Sign {
        path: digest.into(),
        detail,
    };
    // cosign's `payload.Cosign` marshalled: fields in this order, and
    // `optional` null when there are no annotations.
    let payload = format!(
        "{{\"critical\":{{\"identity\":{{\"docker-reference\":{}}},\"image\":{{\"docker-manifest-digest\":{}}},\"type\":{}}},\"optional\":null}}",
        Value::from(docker_reference),
        Value::from(digest),
        Value::from(SIMPLE_SIGNING_TYPE),
    )
    .into_bytes();
    let hash = Sha256Hash::new(super::sha256(&payload));
    let sig = key
        .pair
        .sign_digest(&hash)
        .map_err(|e| fail(e.to_string()))?;
    let mut annotations = BTreeMap::new();
    annotations.insert(SIGNATURE_ANNOTATION.to_string(), B64.encode(sig.as_bytes()));
    if let Some(c) = &key.certificate {
        annotations.insert(CERTIFICATE_ANNOTATION.to_string(), c.leaf_pem.clone());
        annotations.insert(CHAIN_ANNOTATION.to_string(), c.chain_pem.clone());
    }
    let rekor = settings.services.v1_log()?;
    if let Some(rekor) = rekor {
        let entry = super::rekor::upload_hashedrekord(
            rekor,
            hash.as_bytes(),
            sig.as_bytes(),
            &key.verifier_pem(),
        )?;
        annotations.insert(
            BUNDLE_ANNOTATION.to_string(),
            promise_annotation(&entry).map_err(fail)?,
        );
    }
    let signed = LegacySigned {
        payload,
        annotations,
    };
    if rekor.is_some() {
        let bundle = legacy_bundle(&signed.payload, &signed.annotations).map_err(fail)?;
        check_own(
            Input::Bytes(&signed.payload),
            &bundle,
            key,
            settings.trust,
            digest.as_ref(),
        )?;
    }
    Ok(signed)
}

/// cosign's `dev.sigstore.cosign/bundle` annotation: the SET and the entry
/// it signs (`{"SignedEntryTimestamp", "Payload": {body, integratedTime,
/// logIndex, logID}}`, the log ID in hex).
fn promise_annotation(
    entry: &sigstore_verify::types::bundle::TransparencyLogEntry,
) -> Result<String, String> {
    let v = serde_json::to_value(entry).map_err(|e| e.to_string())?;
    let s = |p: &str| v.pointer(p).and_then(Value::as_str).map(str::to_string);
    let n = |p: &str| -> Result<i64, String> {
        s(p).and_then(|x| x.parse().ok())
            .ok_or_else(|| format!("the log entry has no {p}"))
    };
    let log_id = s("/logId/keyId")
        .and_then(|k| B64.decode(k).ok())
        .ok_or("the log entry has no log ID")?;
    Ok(json!({
        "SignedEntryTimestamp": s("/inclusionPromise/signedEntryTimestamp")
            .ok_or("the log entry has no signed entry timestamp")?,
        "Payload": {
            "body": s("/canonicalizedBody").ok_or("the log entry has no body")?,
            "integratedTime": n("/integratedTime")?,
            "logIndex": n("/logIndex")?,
            "logID": super::rekor::hex(&log_id),
        },
    })
    .to_string())
}

/// A legacy signature as the bundle that says the same: the payload's
/// digest and signature, the certificate (keyless) or a key hint, and the
/// log's promise as a v0.1 entry (a promise and no proof, which v0.1
/// allows). Without a promise, a v0.3 bundle with no log entry.
fn legacy_bundle(payload: &[u8], annotations: &BTreeMap<String, String>) -> Result<Bundle, String> {
    let signature = annotations
        .get(SIGNATURE_ANNOTATION)
        .ok_or("the layer has no signature annotation")?;
    let digest = B64.encode(super::sha256(payload));
    let mut material = serde_json::Map::new();
    match annotations.get(CERTIFICATE_ANNOTATION) {
        Some(pem_text) => {
            let certs = pem::parse_many(pem_text.as_bytes())
                .map_err(|_| "the certificate annotation is not PEM")?;
            let chain = annotations
                .get(CHAIN_ANNOTATION)
                .map(|c| pem::parse_many(c.as_bytes()))
                .transpose()
                .map_err(|_| "the chain annotation is not PEM")?
                .unwrap_or_default();
            let raw: Vec<Value> = certs
                .iter()
                .chain(chain.iter())
                .take(8)
                .map(|c| json!({"rawBytes": B64.encode(c.contents())}))
                .collect();
            material.insert("x509CertificateChain".into(), json!({"certificates": raw}));
        }
        None => {
            material.insert("publicKey".into(), json!({"hint": ""}));
        }
    }
    let media_type = match annotations.get(BUNDLE_ANNOTATION) {
        Some(promise) => {
            let p: Value =
                serde_json::from_str(promise).map_err(|_| "the bundle annotation is not JSON")?;
            let get = |k: &str| p.pointer(k).cloned().unwrap_or(Value::Null);
            let num = |k: &str| -> Result<String, String> {
                get(k)
                    .as_i64()
                    .map(|n| n.to_string())
                    .ok_or_else(|| format!("the bundle annotation has no number at {k}"))
            };
            let log_id = get("/Payload/logID")
                .as_str()
                .and_then(super::rekor::unhex)
                .ok_or("the bundle annotation's log ID is not hex")?;
            material.insert(
                "tlogEntries".into(),
                json!([{
                    "logIndex": num("/Payload/logIndex")?,
                    "logId": {"keyId": B64.encode(log_id)},
                    "kindVersion": {"kind": "hashedrekord", "version": "0.0.1"},
                    "integratedTime": num("/Payload/integratedTime")?,
                    "inclusionPromise": {"signedEntryTimestamp": get("/SignedEntryTimestamp")},
                    "canonicalizedBody": get("/Payload/body"),
                }]),
            );
            "application/vnd.dev.sigstore.bundle+json;version=0.1"
        }
        None => {
            material.insert("tlogEntries".into(), json!([]));
            "application/vnd.dev.sigstore.bundle.v0.3+json"
        }
    };
    if let Some(ts) = annotations.get(TIMESTAMP_ANNOTATION) {
        // cosign stores `{"SignedRFC3161Timestamp": "<b64 DER>"}`.
        let t: Value =
            serde_json::from_str(ts).map_err(|_| "the timestamp annotation is not JSON")?;
        if let Some(der) = t.get("SignedRFC3161Timestamp").and_then(Value::as_str) {
            material.insert(
                "timestampVerificationData".into(),
                json!({"rfc3161Timestamps": [{"signedTimestamp": der}]}),
            );
        }
    }
    let json = json!({
        "mediaType": media_type,
        "verificationMaterial": material,
        "messageSignature": {
            "messageDigest": {"algorithm": "SHA2_256", "digest": digest},
            "signature": signature,
        },
    });
    Bundle::from_json(&json.to_string()).map_err(|e| e.to_string())
}

/// Verifies a bundle stored as a referrer of the manifest `digest`.
pub fn verify_manifest_bundle(
    bundle_json: &[u8],
    digest: &str,
    labels: &Labels,
    policy: &Policy,
    trust: &Trust,
) -> Result<Verified, SigstoreError> {
    let refused = |detail: String| labels.refused(detail);
    let d = digest_bytes(digest).ok_or_else(|| refused("not a sha256 digest".into()))?;
    let text = std::str::from_utf8(bundle_json).map_err(|_| refused("not UTF-8".into()))?;
    let bundle = Bundle::from_json(text).map_err(|e| refused(format!("not a bundle: {e}")))?;
    // An attestation (provenance, an SBOM, a scan) names the digest too, and
    // says something else about it: only cosign's "signed" statement counts.
    if let SignatureContent::DsseEnvelope(env) = &bundle.content {
        let predicate = serde_json::from_slice::<Value>(env.payload.as_bytes())
            .ok()
            .and_then(|s| s.get("predicateType")?.as_str().map(str::to_string));
        if predicate.as_deref() != Some(COSIGN_SIGN_PREDICATE) {
            return Err(refused(format!(
                "an attestation of type {}, not a signature ({COSIGN_SIGN_PREDICATE})",
                crate::cli::output::clip(predicate.as_deref().unwrap_or("none"))
            )));
        }
    }
    verify_bundle(Input::Digest(d), &bundle, labels, policy, trust)
}

/// Verifies a legacy signature of the manifest `digest`: the payload must
/// pin that digest (its `docker-reference` is not looked at), and the
/// signature, certificate and log promise verify as a bundle would.
pub fn verify_manifest_legacy(
    payload: &[u8],
    annotations: &BTreeMap<String, String>,
    digest: &str,
    labels: &Labels,
    policy: &Policy,
    trust: &Trust,
) -> Result<Verified, SigstoreError> {
    let refused = |detail: String| labels.refused(detail);
    let p: Value = serde_json::from_slice(payload)
        .map_err(|_| refused("the simple-signing payload is not JSON".into()))?;
    if p.pointer("/critical/type").and_then(Value::as_str) != Some(SIMPLE_SIGNING_TYPE) {
        return Err(refused(
            "the payload is not a cosign container image signature".into(),
        ));
    }
    match p
        .pointer("/critical/image/docker-manifest-digest")
        .and_then(Value::as_str)
    {
        Some(d) if d == digest => {}
        Some(d) => {
            return Err(refused(format!(
                "it signs another manifest, {}",
                crate::cli::output::clip(d)
            )))
        }
        None => return Err(refused("the payload names no manifest digest".into())),
    }
    let bundle = legacy_bundle(payload, annotations).map_err(refused)?;
    verify_bundle(Input::Bytes(payload), &bundle, labels, policy, trust)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_statement_names_only_the_digest() {
        let s: Value = serde_json::from_slice(&statement("ab")).unwrap();
        assert_eq!(
            s,
            json!({
                "_type": "https://in-toto.io/Statement/v1",
                "subject": [{"digest": {"sha256": "ab"}}],
                "predicateType": "https://sigstore.dev/cosign/sign/v1",
                "predicate": {},
            })
        );
    }

    #[test]
    fn digests_are_sha256_only() {
        assert!(digest_bytes(&format!("sha256:{}", "0".repeat(64))).is_some());
        assert!(digest_bytes(&format!("sha512:{}", "0".repeat(128))).is_none());
        assert!(digest_bytes("sha256:00").is_none());
        assert!(digest_bytes(&format!("sha256:{}", "g".repeat(64))).is_none());
    }

    #[test]
    fn a_legacy_layer_without_signature_is_refused() {
        let e = legacy_bundle(b"{}", &BTreeMap::new()).unwrap_err();
        assert!(e.contains("signature annotation"), "{e}");
    }
}
