//! Verifying a file against its Sigstore bundle (`cosign verify-blob
//! --bundle`), offline.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Serialize;
use sigstore_verify::types::{Bundle, Sha256Hash};
use sigstore_verify::{PublicKeyVerificationPolicy, VerificationPolicy, VerificationResult};

use super::policy::{Matcher, Signer};
use super::{Policy, SigstoreError, Trust};

/// Files verified whole when the signature scheme cannot stream them
/// (Ed25519 signs the message itself, not a digest): the chart archive
/// limit and more, since any file may be verified.
const MAX_WHOLE_ARTIFACT: u64 = 256 << 20;

/// What a bundle's name adds to the name of the file it signs.
pub const BUNDLE_SUFFIX: &str = ".sigstore.json";

/// `FILE.sigstore.json`, where `cosign sign-blob --bundle` is told to write
/// and `helm prov sign --sigstore` writes.
pub fn bundle_path(artifact: &Path) -> PathBuf {
    let mut s = artifact.as_os_str().to_owned();
    s.push(BUNDLE_SUFFIX);
    PathBuf::from(s)
}

/// A bundle file, read within bounds and parsed.
pub fn read_bundle(path: &Path) -> Result<Bundle, SigstoreError> {
    let text = super::read_document(path)?;
    Bundle::from_json(&text).map_err(|e| SigstoreError::Bundle {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })
}

/// What a verified signature says about its signer.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verified {
    pub bundle: String,
    /// The certificate's identity (keyless).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// The OIDC issuer that vouched for it (keyless).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The key file whose key made the signature (keyed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The transparency log entry, when the signature is in one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_index: Option<u64>,
    /// When the log integrated the entry (Rekor v1), RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integrated_time: Option<String>,
    /// Signed timestamps the verification used (RFC 3161, log), RFC 3339.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub timestamps: Vec<String>,
    pub tlog_verified: bool,
}

/// What a signature is checked against.
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    /// A file, streamed (or read whole, within bounds, for schemes that
    /// sign the message itself).
    File(&'a Path),
    /// Bytes in memory (a simple-signing payload).
    Bytes(&'a [u8]),
    /// Only a SHA-256 digest (an OCI manifest, signed through an in-toto
    /// statement that names it).
    Digest([u8; 32]),
}

/// Verifies `artifact` against the bundle at `bundle_file` under `policy`.
pub fn verify_file(
    artifact: &Path,
    bundle_file: &Path,
    policy: &Policy,
    trust: &Trust,
) -> Result<Verified, SigstoreError> {
    let bundle = read_bundle(bundle_file)?;
    let labels = Labels {
        artifact: artifact.display().to_string(),
        bundle: bundle_file.display().to_string(),
    };
    verify_bundle(Input::File(artifact), &bundle, &labels, policy, trust)
}

/// Verifies bytes in memory (an archive downloaded from a repository)
/// against a bundle's JSON downloaded beside it.
pub fn verify_downloaded(
    artifact: &[u8],
    bundle_json: &[u8],
    labels: &Labels,
    policy: &Policy,
    trust: &Trust,
) -> Result<Verified, SigstoreError> {
    let bundle = std::str::from_utf8(bundle_json)
        .ok()
        .and_then(|t| Bundle::from_json(t).ok())
        .ok_or_else(|| labels.refused("not a Sigstore bundle"))?;
    verify_bundle(Input::Bytes(artifact), &bundle, labels, policy, trust)
}

/// How a refusal names what was checked and the signature that failed.
#[derive(Debug, Clone)]
pub struct Labels {
    pub artifact: String,
    pub bundle: String,
}

impl Labels {
    /// The signature these labels name does not verify, for `detail`.
    pub fn refused(&self, detail: impl Into<String>) -> SigstoreError {
        SigstoreError::Refused {
            artifact: self.artifact.clone(),
            bundle: self.bundle.clone(),
            detail: detail.into(),
        }
    }
}

/// Verifies `input` against `bundle` under `policy`; the labels name both
/// in errors and in the result.
pub fn verify_bundle(
    input: Input,
    bundle: &Bundle,
    labels: &Labels,
    policy: &Policy,
    trust: &Trust,
) -> Result<Verified, SigstoreError> {
    let bundle_label = labels.bundle.clone();
    let refused = |detail: String| labels.refused(detail);
    if let Signer::Keys(keys) = &policy.signer {
        let m = &bundle.verification_material;
        if !policy.tlog
            && m.tlog_entries.is_empty()
            && m.timestamp_verification_data.rfc3161_timestamps.is_empty()
        {
            let key = verify_untimed(input, bundle, keys).map_err(refused)?;
            return Ok(Verified {
                bundle: bundle_label,
                identity: None,
                issuer: None,
                key: Some(key),
                log_index: None,
                integrated_time: None,
                timestamps: Vec::new(),
                tlog_verified: false,
            });
        }
    }
    let open = |artifact: &Path| {
        crate::fileutil::open_regular(artifact).map_err(|e| SigstoreError::Read {
            path: artifact.to_path_buf(),
            source: e,
        })
    };
    let check = |attempt: &dyn Fn(&dyn sigstore_verify::Policy) -> Attempt| -> Result<
        (VerificationResult, Option<String>),
        SigstoreError,
    > {
        match &policy.signer {
            Signer::Keys(keys) => {
                let mut last = None;
                for (path, key) in keys {
                    let mut p = PublicKeyVerificationPolicy::new(key.clone());
                    if !policy.tlog {
                        p = p.skip_tlog_unsafe();
                    }
                    match attempt(&p)? {
                        Ok(r) => return Ok((r, Some(path.display().to_string()))),
                        Err(e) => last = Some((path, e)),
                    }
                }
                let (path, e) = last.expect("a keyed policy has a key");
                Err(refused(if keys.len() == 1 {
                    e.to_string()
                } else {
                    format!(
                        "no key of the {} given verifies it (with {}: {e})",
                        keys.len(),
                        path.display()
                    )
                }))
            }
            Signer::Certificate(k) => {
                let (identity, issuer, github) = (&k.identity, &k.issuer, &k.github);
                let mut p = VerificationPolicy::any_identity();
                if let Matcher::Exact(s) = identity {
                    p = p.require_identity(s.as_str());
                }
                if let Matcher::Exact(s) = issuer {
                    p = p.require_issuer(s.as_str());
                }
                if !policy.tlog {
                    p = p.skip_tlog_unsafe();
                }
                let r = attempt(&p)?.map_err(|e| refused(e.to_string()))?;
                let id = r.identity().map(|i| i.as_str().to_string());
                let iss = r.issuer().map(str::to_string);
                if !id.as_deref().is_some_and(|v| identity.matches(v)) {
                    return Err(refused(format!(
                        "the certificate's identity is {}, not {identity}",
                        shown(&id)
                    )));
                }
                if !iss.as_deref().is_some_and(|v| issuer.matches(v)) {
                    return Err(refused(format!(
                        "the certificate's OIDC issuer is {}, not {issuer}",
                        shown(&iss)
                    )));
                }
                let claims = r
                    .certificate()
                    .map(|c| c.ci_claims.deprecated_github.clone())
                    .unwrap_or_default();
                for (flag, want, have) in [
                    ("trigger", &github.trigger, &claims.workflow_trigger),
                    ("sha", &github.sha, &claims.workflow_sha),
                    ("name", &github.name, &claims.workflow_name),
                    ("repository", &github.repository, &claims.workflow_repository),
                    ("ref", &github.git_ref, &claims.workflow_ref),
                ] {
                    if let Some(want) = want {
                        if have.as_deref() != Some(want.as_str()) {
                            return Err(refused(format!(
                                "the certificate's GitHub workflow {flag} is {}, not {want:?}",
                                shown(have)
                            )));
                        }
                    }
                }
                Ok((r, None))
            }
        }
    };
    // Streamed in constant memory; a scheme that needs the whole message
    // gets it read whole, within bounds.
    let attempt = |p: &dyn sigstore_verify::Policy| -> Attempt {
        let artifact = match input {
            Input::Bytes(b) => return Ok(trust.verifier.verify(b, bundle, p)),
            Input::Digest(d) => {
                let a = sigstore_verify::types::Artifact::from_digest(Sha256Hash::new(d));
                return Ok(trust.verifier.verify(a, bundle, p));
            }
            Input::File(path) => path,
        };
        let file = open(artifact)?;
        match trust.verifier.verify_reader(file, bundle, p) {
            Err(sigstore_verify::Error::UnsupportedArtifact(_)) => {
                let mut whole = Vec::new();
                open(artifact)?
                    .take(MAX_WHOLE_ARTIFACT + 1)
                    .read_to_end(&mut whole)
                    .map_err(|e| SigstoreError::Read {
                        path: artifact.to_path_buf(),
                        source: e,
                    })?;
                if whole.len() as u64 > MAX_WHOLE_ARTIFACT {
                    return Err(refused(format!(
                        "its signature scheme needs the whole file in memory, and the file is \
                         larger than {} MiB",
                        MAX_WHOLE_ARTIFACT >> 20
                    )));
                }
                Ok(trust.verifier.verify(&whole, bundle, p))
            }
            other => Ok(other),
        }
    };
    let (result, key) = check(&attempt)?;
    let entry = bundle.verification_material.tlog_entries.first();
    Ok(Verified {
        bundle: bundle_label,
        identity: result.identity().map(|i| i.as_str().to_string()),
        issuer: result.issuer().map(str::to_string),
        key,
        log_index: entry
            .filter(|_| result.tlog_verified())
            .map(|e| u64::from(e.log_index)),
        integrated_time: result.integrated_time().map(|t| t.to_string()),
        timestamps: result
            .verified_timestamps()
            .iter()
            .map(|t| t.to_string())
            .collect(),
        tlog_verified: result.tlog_verified(),
    })
}

/// A keyed signature with neither a log entry nor a timestamp, what
/// `--tlog-upload=false` makes and `--insecure-ignore-tlog` accepts, as
/// cosign does. `sigstore-verify` wants a signed time in every bundle, so
/// this one case is checked here: the input's SHA-256 is the bundle's
/// digest (or the in-toto statement's subject), and one of the keys made
/// the signature over it (or over the DSSE envelope).
fn verify_untimed(
    input: Input,
    bundle: &Bundle,
    keys: &[(PathBuf, sigstore_verify::types::DerPublicKey)],
) -> Result<String, String> {
    use sigstore_verify::crypto::VerificationKey;
    use sigstore_verify::types::{HashAlgorithm, SignatureContent, Statement};
    let digest = match input {
        Input::File(path) => {
            super::sha256_file(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?
        }
        Input::Bytes(b) => super::sha256(b),
        Input::Digest(d) => d,
    };
    let check: Box<KeyCheck> = match &bundle.content {
        SignatureContent::MessageSignature(sig) => {
            if let Some(d) = &sig.message_digest {
                if d.algorithm != HashAlgorithm::Sha2256 || d.digest.as_bytes() != digest.as_slice()
                {
                    return Err("artifact mismatch: the bundle signs another digest".into());
                }
            }
            Box::new(move |k: &VerificationKey| {
                if !k.scheme().supports_prehashed() {
                    return Err("only ECDSA and RSA keys here".into());
                }
                k.verify_prehashed(&digest, &sig.signature)
                    .map_err(|e| format!("invalid signature: {e}"))
            })
        }
        SignatureContent::DsseEnvelope(env) => {
            if env.payload_type != super::oci::IN_TOTO_PAYLOAD_TYPE {
                return Err(format!("a DSSE payload of type {:?}", env.payload_type));
            }
            let statement: Statement = serde_json::from_slice(env.payload.as_bytes())
                .map_err(|e| format!("the in-toto statement does not parse: {e}"))?;
            if !statement.matches_sha256(&Sha256Hash::new(digest)) {
                return Err("artifact mismatch: the statement names another digest".into());
            }
            let pae = env.pae();
            Box::new(move |k: &VerificationKey| {
                k.verify(&pae, &env.signature.sig)
                    .map_err(|e| format!("invalid signature: {e}"))
            })
        }
        _ => return Err("an unknown kind of signature".into()),
    };
    let mut last = String::new();
    for (path, key) in keys {
        match VerificationKey::from_spki(key) {
            Ok(k) => match check(&k) {
                Ok(()) => return Ok(path.display().to_string()),
                Err(e) => last = e,
            },
            Err(e) => last = format!("{}: {e}", path.display()),
        }
    }
    Err(last)
}

/// Whether one key made the signature of an untimed bundle.
type KeyCheck<'a> = dyn Fn(&sigstore_verify::crypto::VerificationKey) -> Result<(), String> + 'a;

/// One verification attempt: a file that could not be read is an error of
/// its own, apart from the verifier's verdict.
type Attempt = Result<sigstore_verify::Result<VerificationResult>, SigstoreError>;

fn shown(v: &Option<String>) -> String {
    match v {
        Some(s) => format!("{s:?}"),
        None => "absent".into(),
    }
}
