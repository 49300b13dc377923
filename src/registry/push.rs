//! Pushing a chart archive as `helm push` does: loaded and validated as Helm
//! loads it, its `.prov` checked, its artifact built, then blobs first, each
//! only when the registry lacks it, and the manifest under the chart's tag.
//!
//! Helm uploads a `.prov` without reading it; when it names another file or
//! another digest, every later `helm pull --verify` fails with "sha256 sum
//! does not match" or "provenance does not contain a SHA for a file named
//! ...". The check here refuses such a pair before anything is uploaded.
//!
//! The upload order is what keeps a registry consistent when a run dies: a
//! tag is written only after every blob its manifest names is stored, so an
//! interrupted run leaves at most unreferenced blobs, which the next run
//! finds with HEAD and does not upload again.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use chrono::{DateTime, Local, SecondsFormat, Utc};
use thiserror::Error;

use super::client::Client;
use super::manifest::Artifact;
use super::reference::{Reference, Target};
use super::RegistryError;
use crate::chart::{self, Metadata};
use crate::provenance::{self, MessageError};

/// Why an archive cannot be pushed.
#[derive(Debug, Error)]
pub enum PrepareError {
    #[error("is a folder; package it first (helm package)")]
    Folder,
    #[error(transparent)]
    Read(std::io::Error),
    #[error("{}", .path.display())]
    ReadProv {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Load(#[from] chart::LoadError),
    #[error("a plugin tarball")]
    Plugin(#[source] crate::plugin::PluginError),
    #[error("provenance: not a provenance file (no PGP signed message found)")]
    NotProvenance,
    #[error("provenance")]
    Message(#[source] MessageError),
    #[error("provenance: records {recorded} for {file}, but the archive is {actual}; helm pull --verify would fail (sign the archive again)")]
    ProvenanceDigest {
        file: String,
        recorded: String,
        actual: String,
    },
    #[error(
        "provenance: has no entry for {file} (it lists {listed}); helm pull --verify would fail"
    )]
    ProvenanceEntry { file: String, listed: String },
}

/// A chart ready to push.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub metadata: Metadata,
    pub reference: Reference,
    pub artifact: Artifact,
}

/// Loads `path` (and `path.prov` when present) as `helm push` does; the
/// `created` annotation is the archive's modification time in the local
/// time zone, whole seconds, as Helm writes it. Errors do not repeat the
/// archive's path: the caller names it.
pub fn prepare_file(path: &Path, target: &Target) -> Result<Prepared, RegistryError> {
    let meta = std::fs::metadata(path).map_err(PrepareError::Read)?;
    if meta.is_dir() {
        return Err(PrepareError::Folder.into());
    }
    let data: Arc<[u8]> = chart::read_archive(path)
        .map_err(PrepareError::Read)?
        .into();
    let prov_path = provenance::prov_path(path);
    let prov = match provenance::read_prov(&prov_path) {
        Ok(p) => Some(Arc::<[u8]>::from(p)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => {
            return Err(PrepareError::ReadProv {
                path: prov_path,
                source,
            }
            .into())
        }
    };
    let created = created_annotation(meta.modified().unwrap_or_else(|_| SystemTime::now()));
    prepare_bytes(data, prov, &created, target)
}

/// Builds the push of an archive held in memory, with an optional `.prov`
/// and the `created` annotation to record.
pub fn prepare_bytes(
    data: Arc<[u8]>,
    prov: Option<Arc<[u8]>>,
    created: &str,
    target: &Target,
) -> Result<Prepared, RegistryError> {
    let md = chart::load_bytes(&data).map_err(PrepareError::from)?;
    let reference = target.chart(&md.name, &md.version)?;
    if let Some(p) = &prov {
        check_provenance(p, &md, &data)?;
    }
    let artifact = Artifact::new(&md, data, prov, created);
    Ok(Prepared {
        metadata: md,
        reference,
        artifact,
    })
}

/// RFC 3339 to whole seconds in the local time zone (`Z` when UTC), as Go's
/// `time.RFC3339` layout prints a local time.
pub fn created_annotation(t: SystemTime) -> String {
    DateTime::<Local>::from(t).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The same layout for an index entry's `created` time, kept in UTC.
pub fn created_from_index(created: &str) -> Option<String> {
    DateTime::parse_from_rfc3339(created.trim()).ok().map(|t| {
        t.with_timezone(&Utc)
            .to_rfc3339_opts(SecondsFormat::Secs, true)
    })
}

/// Checks that `prov` records `<name>-<version>.tgz` with the archive's
/// SHA-256: the file name `helm pull --verify` saves the chart under.
pub fn check_provenance(prov: &[u8], md: &Metadata, archive: &[u8]) -> Result<(), PrepareError> {
    check_provenance_of(prov, format!("{}-{}.tgz", md.name, md.version), archive)
}

/// Checks that `prov` records `expected` with the archive's SHA-256.
pub(super) fn check_provenance_of(
    prov: &[u8],
    expected: String,
    archive: &[u8],
) -> Result<(), PrepareError> {
    let block = provenance::decode_clearsigned(prov).ok_or(PrepareError::NotProvenance)?;
    let files = provenance::parse_files(&block.plaintext).map_err(PrepareError::Message)?;
    let actual = chart::sha256_digest(archive);
    match files.iter().find(|(name, _)| *name == expected) {
        Some((_, sum)) if *sum == actual => Ok(()),
        Some((_, sum)) => Err(PrepareError::ProvenanceDigest {
            file: expected,
            recorded: sum.clone(),
            actual,
        }),
        None => {
            let listed: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
            Err(PrepareError::ProvenanceEntry {
                file: expected,
                listed: if listed.is_empty() {
                    "nothing".to_string()
                } else {
                    listed.join(", ")
                },
            })
        }
    }
}

/// What happened to a chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    /// The manifest was written to the tag.
    Pushed,
    /// `--skip-existing`: the tag already holds this very manifest.
    Unchanged,
    /// `--skip-existing`: the tag holds another manifest, left as it is.
    Kept { existing: String },
}

impl PushOutcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            PushOutcome::Pushed => "pushed",
            PushOutcome::Unchanged => "unchanged",
            PushOutcome::Kept { .. } => "kept",
        }
    }
}

/// The result of a push, for output.
#[derive(Debug, Clone)]
pub struct Pushed {
    pub outcome: PushOutcome,
    pub blobs_uploaded: usize,
    pub bytes_uploaded: u64,
}

/// Pushes `artifact` to `reference`. With `skip_existing`, a tag that
/// exists is never rewritten.
pub fn push(
    client: &Client,
    reference: &Reference,
    artifact: &Artifact,
    skip_existing: bool,
) -> Result<Pushed, RegistryError> {
    let repo = &reference.repository;
    if skip_existing {
        if let Some(existing) = client.manifest_digest(repo, &reference.tag)? {
            let outcome = if existing == artifact.manifest_digest {
                PushOutcome::Unchanged
            } else {
                PushOutcome::Kept { existing }
            };
            return Ok(Pushed {
                outcome,
                blobs_uploaded: 0,
                bytes_uploaded: 0,
            });
        }
    }
    let mut blobs_uploaded = 0;
    let mut bytes_uploaded = 0;
    for blob in artifact.blobs() {
        if client.blob_exists(repo, &blob.digest)? {
            continue;
        }
        client.upload_blob(repo, blob)?;
        blobs_uploaded += 1;
        bytes_uploaded += blob.size();
    }
    client.put_manifest(repo, &reference.tag, &artifact.manifest)?;
    Ok(Pushed {
        outcome: PushOutcome::Pushed,
        blobs_uploaded,
        bytes_uploaded,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_formats() {
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_795_000_000);
        let s = created_annotation(t);
        assert!(s.starts_with("2026-"), "{s}");
        assert_eq!(
            created_from_index("2026-11-21T18:31:13.123456789+09:00").as_deref(),
            Some("2026-11-21T09:31:13Z")
        );
        assert_eq!(created_from_index("not a time"), None);
    }

    fn prov_for(files: &str) -> Vec<u8> {
        format!(
            "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nname: a\nversion: 1.0.0\n\n...\n{files}\n-----BEGIN PGP SIGNATURE-----\n\nwsBcBAEBCgAQBQJj\n=AAAA\n-----END PGP SIGNATURE-----"
        )
        .into_bytes()
    }

    #[test]
    fn provenance_must_name_the_archive_and_its_digest() {
        let md = Metadata {
            name: "a".into(),
            version: "1.0.0".into(),
            ..Metadata::default()
        };
        let archive = b"archive bytes";
        let sum = chart::digest(archive);
        let good = prov_for(&format!("files:\n  a-1.0.0.tgz: sha256:{sum}"));
        check_provenance(&good, &md, archive).unwrap();
        let other = prov_for(&format!("files:\n  b-1.0.0.tgz: sha256:{sum}"));
        let e = check_provenance(&other, &md, archive)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("no entry for a-1.0.0.tgz") && e.contains("b-1.0.0.tgz"),
            "{e}"
        );
        let wrong = prov_for("files:\n  a-1.0.0.tgz: sha256:00");
        let e = check_provenance(&wrong, &md, archive)
            .unwrap_err()
            .to_string();
        assert!(e.contains("records sha256:00"), "{e}");
        let e = check_provenance(b"garbage", &md, archive)
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a provenance file"), "{e}");
    }
}
