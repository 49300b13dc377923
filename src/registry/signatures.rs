//! Where cosign keeps the signatures of an artifact, in the artifact's own
//! repository, so that charts signed here are found by cosign, Flux,
//! Kyverno and Artifact Hub, and theirs are found here.
//!
//! Two forms live side by side. cosign v3 stores a Sigstore bundle as an
//! OCI 1.1 referrer: a manifest whose `subject` is the signed manifest,
//! found through the registry's referrers API, or, where the registry has
//! none (distribution 2.8, GHCR), through the `sha256-<hex>` tag index that
//! cosign and go-containerregistry maintain. cosign v2 and older verifiers
//! read the `sha256-<hex>.sig` manifest, one simple-signing layer per
//! signature with the signature in an annotation. Both tag forms are
//! shared between signers and have no lock: a writer reads, adds its entry
//! and writes back, then reads again to see that its entry survived
//! another writer doing the same, and tries again if not. That narrows the
//! race without closing it (a writer that read before ours and writes
//! after our check still drops our entry, and a rerun adds it back):
//! closing it takes conditional writes, which distribution 2.8 does not
//! offer for manifests.
//!
//! Only storage is here; what a signature is and how it is checked is the
//! `sigstore` module's business, so a chart push needs no crypto.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use super::client::{Client, Fetched};
use super::manifest::{INDEX_MEDIA_TYPE, MANIFEST_MEDIA_TYPE};
use super::RegistryError;

/// A Sigstore bundle, as a layer and as a referrer's `artifactType`.
pub const BUNDLE_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// cosign's simple-signing payload, the layer of a legacy signature.
pub const SIMPLE_SIGNING_MEDIA_TYPE: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// The `{}` config of an artifact that needs none.
pub const EMPTY_MEDIA_TYPE: &str = "application/vnd.oci.empty.v1+json";
const IMAGE_CONFIG_MEDIA_TYPE: &str = "application/vnd.oci.image.config.v1+json";

/// The most signatures of one form read for one artifact, readable or not:
/// a registry offering thousands has the rest left unread.
pub const MAX_SIGNATURES: usize = 32;
/// The largest bundle or simple-signing payload read (cosign's are a few
/// KiB; a bundle with a certificate chain and proofs stays under 64 KiB).
pub const MAX_SIGNATURE_BYTES: u64 = 256 << 10;
/// The most entries of an index or manifest looked at (attestations and
/// SBOMs share the list with signatures).
const MAX_LISTED: usize = 1024;
/// Read-modify-write rounds on a shared tag before giving up.
const ATTEMPTS: u32 = 6;

/// The manifest being signed, as a descriptor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    pub media_type: String,
    pub digest: String,
    pub size: u64,
}

/// Looks up the manifest a tag or digest names, as a descriptor: what a
/// signature is made over and what a referrer points at.
pub fn resolve(client: &Client, repo: &str, reference: &str) -> Result<Subject, RegistryError> {
    let m = client
        .get_manifest_as(repo, reference, MANIFEST_MEDIA_TYPE)?
        .ok_or_else(|| RegistryError::Pull {
            reference: format!("{repo}:{reference}"),
            problem: "not found".into(),
        })?;
    if reference.starts_with("sha256:") && m.digest != reference {
        return Err(RegistryError::Pull {
            reference: format!("{repo}@{reference}"),
            problem: format!("the registry served a manifest with digest {}", m.digest),
        });
    }
    let media_type = if m.media_type.is_empty() {
        MANIFEST_MEDIA_TYPE.to_string()
    } else {
        m.media_type
    };
    Ok(Subject {
        media_type,
        size: m.bytes.len() as u64,
        digest: m.digest,
    })
}

/// `sha256-<hex>`: the tag of the referrers index kept for registries
/// without the referrers API (distribution-spec's fallback tag).
pub fn fallback_tag(digest: &str) -> String {
    digest.replacen(':', "-", 1)
}

/// `sha256-<hex>.sig`: cosign's legacy signature tag.
pub fn legacy_tag(digest: &str) -> String {
    format!("{}.sig", fallback_tag(digest))
}

/// Where a referrer was made findable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Indexed {
    /// The registry indexed it for its referrers API.
    ReferrersApi,
    /// Added to the `sha256-<hex>` tag index.
    TagIndex,
}

/// What attaching a bundle stored.
#[derive(Debug, Clone)]
pub struct Attached {
    /// The referrer manifest's digest.
    pub manifest: String,
    pub indexed: Indexed,
}

/// Stores a Sigstore bundle as a referrer of `subject`, as cosign v3's
/// `WriteAttestationNewBundleFormat` does: empty config, the bundle as the
/// one layer, `artifactType` the bundle's media type, stored by digest.
pub fn attach_bundle(
    client: &Client,
    repo: &str,
    subject: &Subject,
    bundle: &[u8],
    predicate_type: &str,
    created: &str,
) -> Result<Attached, RegistryError> {
    let empty = blob(EMPTY_MEDIA_TYPE, b"{}");
    let layer = blob(BUNDLE_MEDIA_TYPE, bundle);
    for b in [&empty, &layer] {
        ensure_blob(client, repo, b)?;
    }
    let annotations = json!({
        "dev.sigstore.bundle.content": "dsse-envelope",
        "dev.sigstore.bundle.predicateType": predicate_type,
        "org.opencontainers.image.created": created,
    });
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": MANIFEST_MEDIA_TYPE,
        "artifactType": BUNDLE_MEDIA_TYPE,
        "config": descriptor(&empty),
        "layers": [descriptor(&layer)],
        "subject": {
            "mediaType": subject.media_type,
            "digest": subject.digest,
            "size": subject.size,
        },
        "annotations": annotations,
    });
    let bytes = serde_json::to_vec(&manifest).expect("JSON values serialise");
    let digest = crate::chart::sha256_digest(&bytes);
    let indexed = client.put_manifest_as(repo, &digest, &bytes, MANIFEST_MEDIA_TYPE)?;
    if indexed {
        return Ok(Attached {
            manifest: digest,
            indexed: Indexed::ReferrersApi,
        });
    }
    let entry = json!({
        "mediaType": MANIFEST_MEDIA_TYPE,
        "digest": digest,
        "size": bytes.len(),
        "artifactType": BUNDLE_MEDIA_TYPE,
        "annotations": annotations,
    });
    let tag = fallback_tag(&subject.digest);
    shared_update(
        client,
        repo,
        &tag,
        INDEX_MEDIA_TYPE,
        |index| listed_in(index, "manifests").any(|e| e.get("digest") == entry.get("digest")),
        |current| {
            let mut index = current.unwrap_or_else(
                || json!({"schemaVersion": 2, "mediaType": INDEX_MEDIA_TYPE, "manifests": []}),
            );
            entries(&mut index, "manifests", &tag)?.push(entry.clone());
            Ok(index)
        },
    )?;
    Ok(Attached {
        manifest: digest,
        indexed: Indexed::TagIndex,
    })
}

/// One legacy signature: the simple-signing payload and the layer's
/// annotations (the signature itself among them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacySignature {
    pub payload: Vec<u8>,
    pub annotations: BTreeMap<String, String>,
}

/// Adds a signature to the `sha256-<hex>.sig` manifest of `subject`,
/// keeping the layers other signers put there (the same signature twice is
/// stored once).
pub fn attach_legacy(
    client: &Client,
    repo: &str,
    subject: &Subject,
    sig: &LegacySignature,
) -> Result<(), RegistryError> {
    let layer = blob(SIMPLE_SIGNING_MEDIA_TYPE, &sig.payload);
    ensure_blob(client, repo, &layer)?;
    let mut desc = descriptor(&layer);
    desc["annotations"] = json!(sig.annotations);
    let tag = legacy_tag(&subject.digest);
    shared_update(
        client,
        repo,
        &tag,
        MANIFEST_MEDIA_TYPE,
        |m| listed_in(m, "layers").any(|l| *l == desc),
        |current| {
            let mut m = current.unwrap_or_else(
                || json!({"schemaVersion": 2, "mediaType": MANIFEST_MEDIA_TYPE, "layers": []}),
            );
            let layers = entries(&mut m, "layers", &tag)?;
            layers.push(desc.clone());
            // The image config go-containerregistry writes for cosign's
            // signature images: one diff ID per layer.
            let diff_ids: Vec<Value> = layers.iter().map(|l| l["digest"].clone()).collect();
            let config = json!({
                "architecture": "",
                "created": "0001-01-01T00:00:00Z",
                "history": [{"created": "0001-01-01T00:00:00Z"}],
                "os": "",
                "rootfs": {"type": "layers", "diff_ids": diff_ids},
                "config": {},
            });
            let config = blob(
                IMAGE_CONFIG_MEDIA_TYPE,
                &serde_json::to_vec(&config).expect("JSON values serialise"),
            );
            ensure_blob(client, repo, &config)?;
            m["config"] = descriptor(&config);
            Ok(m)
        },
    )
}

/// A bundle found attached to an artifact.
#[derive(Debug, Clone)]
pub struct FoundBundle {
    /// The referrer manifest that holds it.
    pub manifest: String,
    pub bytes: Vec<u8>,
}

/// The signatures of one form attached to an artifact.
#[derive(Debug)]
pub struct Found<T> {
    pub signatures: Vec<T>,
    /// Entries left aside, each with why (an unreadable referrer, one for
    /// another subject, one past [`MAX_SIGNATURES`]).
    pub skipped: Vec<String>,
}

/// The bundle referrers of the manifest `digest`, through the referrers
/// API or else the tag index. What is malformed is left aside with a
/// reason; only the registry failing is an error.
pub fn find_bundles(
    client: &Client,
    repo: &str,
    digest: &str,
) -> Result<Found<FoundBundle>, RegistryError> {
    let index = referrers_index(client, repo, digest)?;
    Ok(read_listed(
        index.as_ref(),
        "manifests",
        is_bundle_entry,
        format!("more than {MAX_SIGNATURES} Sigstore bundles are attached; the rest are not read"),
        |entry| read_referrer(client, repo, digest, entry),
    ))
}

/// The layers of the legacy `.sig` manifest of `digest` (see
/// [`find_bundles`]).
pub fn find_legacy(
    client: &Client,
    repo: &str,
    digest: &str,
) -> Result<Found<LegacySignature>, RegistryError> {
    let sig = client.get_manifest_as(repo, &legacy_tag(digest), MANIFEST_MEDIA_TYPE)?;
    Ok(read_listed(
        sig.as_ref(),
        "layers",
        is_signature_layer,
        format!(
            "{} holds more than {MAX_SIGNATURES} signatures; the rest are not read",
            legacy_tag(digest)
        ),
        |layer| read_legacy(client, repo, layer),
    ))
}

/// How many signatures of either form are attached to `digest`, from the
/// lists alone (nothing else is read): for a note, so failures count 0.
pub fn count(client: &Client, repo: &str, digest: &str) -> usize {
    let mut skipped = Vec::new();
    let mut n = 0;
    if let Ok(Some(i)) = referrers_index(client, repo, digest) {
        n += listed(&i, "manifests", &mut skipped)
            .iter()
            .filter(|e| is_bundle_entry(e))
            .count();
    }
    if let Ok(Some(sig)) = client.get_manifest_as(repo, &legacy_tag(digest), MANIFEST_MEDIA_TYPE) {
        n += listed(&sig, "layers", &mut skipped)
            .iter()
            .filter(|l| is_signature_layer(l))
            .count();
    }
    n
}

/// The index of the manifests whose subject is `digest`: the referrers
/// API's, or where the registry has none the `sha256-<hex>` tag index.
fn referrers_index(
    client: &Client,
    repo: &str,
    digest: &str,
) -> Result<Option<Fetched>, RegistryError> {
    match client.referrers(repo, digest)? {
        Some(i) => Ok(Some(i)),
        None => client.get_manifest_as(repo, &fallback_tag(digest), INDEX_MEDIA_TYPE),
    }
}

fn is_bundle_entry(entry: &Value) -> bool {
    entry.get("artifactType").and_then(Value::as_str) == Some(BUNDLE_MEDIA_TYPE)
}

fn is_signature_layer(layer: &Value) -> bool {
    layer.get("mediaType").and_then(Value::as_str) == Some(SIMPLE_SIGNING_MEDIA_TYPE)
}

/// Reads the entries of `doc`'s list `key` that `wanted` picks, at most
/// [`MAX_SIGNATURES`] of them whether or not they can be read
/// (`too_many` says so past that).
fn read_listed<T>(
    doc: Option<&Fetched>,
    key: &str,
    wanted: fn(&Value) -> bool,
    too_many: String,
    read: impl Fn(&Value) -> Result<T, String>,
) -> Found<T> {
    let mut found = Found {
        signatures: Vec::new(),
        skipped: Vec::new(),
    };
    let Some(doc) = doc else {
        return found;
    };
    let mut tried = 0;
    for entry in &listed(doc, key, &mut found.skipped) {
        if !wanted(entry) {
            continue;
        }
        tried += 1;
        if tried > MAX_SIGNATURES {
            found.skipped.push(too_many);
            break;
        }
        match read(entry) {
            Ok(s) => found.signatures.push(s),
            Err(why) => found.skipped.push(why),
        }
    }
    found
}

fn read_referrer(
    client: &Client,
    repo: &str,
    subject: &str,
    entry: &Value,
) -> Result<FoundBundle, String> {
    let manifest = entry
        .get("digest")
        .and_then(Value::as_str)
        .filter(|d| is_sha256(d))
        .ok_or("a referrer entry without a sha256 digest")?;
    let m = client
        .get_manifest_as(repo, manifest, MANIFEST_MEDIA_TYPE)
        .map_err(|e| format!("referrer {manifest}: {e}"))?
        .ok_or_else(|| format!("referrer {manifest}: listed but not in the registry"))?;
    if m.digest != manifest {
        return Err(format!(
            "referrer {manifest}: the registry served a manifest with digest {}",
            m.digest
        ));
    }
    let v: Value =
        serde_json::from_slice(&m.bytes).map_err(|_| format!("referrer {manifest}: not JSON"))?;
    if v.pointer("/subject/digest").and_then(Value::as_str) != Some(subject) {
        return Err(format!(
            "referrer {manifest}: its subject is another manifest"
        ));
    }
    let layer = v
        .get("layers")
        .and_then(Value::as_array)
        .and_then(|l| {
            l.iter().find(|l| {
                l.get("mediaType")
                    .and_then(Value::as_str)
                    .is_some_and(|t| t.starts_with("application/vnd.dev.sigstore.bundle"))
            })
        })
        .ok_or_else(|| format!("referrer {manifest}: no bundle layer"))?;
    let blob_digest = layer
        .get("digest")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("referrer {manifest}: a layer without a digest"))?;
    let bytes = client
        .get_blob(repo, blob_digest, MAX_SIGNATURE_BYTES)
        .map_err(|e| format!("referrer {manifest}: {e}"))?;
    Ok(FoundBundle {
        manifest: manifest.to_string(),
        bytes,
    })
}

fn read_legacy(client: &Client, repo: &str, layer: &Value) -> Result<LegacySignature, String> {
    let digest = layer
        .get("digest")
        .and_then(Value::as_str)
        .ok_or("a signature layer without a digest")?;
    let annotations: BTreeMap<String, String> = layer
        .get("annotations")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    let payload = client
        .get_blob(repo, digest, MAX_SIGNATURE_BYTES)
        .map_err(|e| format!("signature layer {digest}: {e}"))?;
    Ok(LegacySignature {
        payload,
        annotations,
    })
}

/// The array `key` of a manifest or index the registry served, at most
/// [`MAX_LISTED`] entries of it (other artifact types share the list); a
/// document that is not one is noted and yields nothing.
fn listed(doc: &Fetched, key: &str, skipped: &mut Vec<String>) -> Vec<Value> {
    let v: Option<Value> = serde_json::from_slice(&doc.bytes).ok();
    let Some(Value::Array(list)) = v.and_then(|mut v| v.get_mut(key).map(Value::take)) else {
        skipped.push(format!(
            "{}: not a manifest with a {key:?} list",
            doc.digest
        ));
        return Vec::new();
    };
    if list.len() > MAX_LISTED {
        skipped.push(format!(
            "{}: lists {} entries; only the first {MAX_LISTED} are read",
            doc.digest,
            list.len()
        ));
    }
    list.into_iter().take(MAX_LISTED).collect()
}

/// Reads the shared document at `tag`, and unless `has` finds our entry
/// there lets `add` add it, writes it back and reads it again until `has`
/// finds it in what is there.
fn shared_update(
    client: &Client,
    repo: &str,
    tag: &str,
    media_type: &'static str,
    has: impl Fn(&Value) -> bool,
    add: impl Fn(Option<Value>) -> Result<Value, RegistryError>,
) -> Result<(), RegistryError> {
    for attempt in 0..ATTEMPTS {
        let current = read_json(client, repo, tag, media_type)?;
        if current.as_ref().is_some_and(&has) {
            // Our entry is there: written by an earlier round or run.
            return Ok(());
        }
        let bytes = serde_json::to_vec(&add(current)?).expect("JSON values serialise");
        client.put_manifest_as(repo, tag, &bytes, media_type)?;
        // Another writer may have put its own version between our read and
        // our write, or just after it; ours must be in what is there now.
        let now = read_json(client, repo, tag, media_type)?;
        if now.as_ref().is_some_and(&has) {
            return Ok(());
        }
        crate::debug!("{repo}:{tag}: another writer replaced it; adding again (round {attempt})");
        std::thread::sleep(std::time::Duration::from_millis(50 << attempt));
    }
    Err(RegistryError::Pull {
        reference: format!("{repo}:{tag}"),
        problem: format!("other writers kept replacing it; gave up after {ATTEMPTS} rounds"),
    })
}

/// The entries of a document's list `key` (none when it has no such list).
fn listed_in<'a>(doc: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    doc.get(key).and_then(Value::as_array).into_iter().flatten()
}

/// Uploads a blob unless the repository has it.
fn ensure_blob(client: &Client, repo: &str, b: &super::Blob) -> Result<(), RegistryError> {
    if !client.blob_exists(repo, &b.digest)? {
        client.upload_blob(repo, b)?;
    }
    Ok(())
}

fn read_json(
    client: &Client,
    repo: &str,
    tag: &str,
    media_type: &str,
) -> Result<Option<Value>, RegistryError> {
    let Some(m) = client.get_manifest_as(repo, tag, media_type)? else {
        return Ok(None);
    };
    let v: Value = serde_json::from_slice(&m.bytes).map_err(|_| RegistryError::Pull {
        reference: format!("{repo}:{tag}"),
        problem: "not a JSON manifest; it is not changed".into(),
    })?;
    // An index where a manifest belongs, or the other way round, is
    // someone else's document: it is not extended into a mixture.
    let declared = v.get("mediaType").and_then(Value::as_str);
    if declared.is_some_and(|t| t != media_type) {
        return Err(RegistryError::Pull {
            reference: format!("{repo}:{tag}"),
            problem: format!(
                "holds a {}, not a {media_type}; it is not changed",
                crate::cli::output::clip(declared.unwrap_or(""))
            ),
        });
    }
    Ok(Some(v))
}

/// The array `key` of a document that is to be extended, refusing a
/// document of another shape rather than replacing it.
fn entries<'a>(
    doc: &'a mut Value,
    key: &str,
    tag: &str,
) -> Result<&'a mut Vec<Value>, RegistryError> {
    let bad = || RegistryError::Pull {
        reference: tag.to_string(),
        problem: format!("has no {key:?} list; it is not changed"),
    };
    let obj: &mut Map<String, Value> = doc.as_object_mut().ok_or_else(bad)?;
    obj.entry(key).or_insert_with(|| json!([]));
    obj.get_mut(key)
        .and_then(Value::as_array_mut)
        .ok_or_else(bad)
}

fn blob(media_type: &'static str, data: &[u8]) -> super::Blob {
    super::Blob::new(media_type, data.to_vec())
}

fn descriptor(b: &super::Blob) -> Value {
    json!({"mediaType": b.media_type, "digest": b.digest, "size": b.size()})
}

fn is_sha256(d: &str) -> bool {
    d.strip_prefix("sha256:")
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
}
