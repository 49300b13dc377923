//! A chart archive made ready to push: loaded and validated as `helm push`
//! loads it, its `.prov` checked, and its artifact and reference built.
//!
//! Helm uploads a `.prov` without reading it; when it names another file or
//! another digest, every later `helm pull --verify` fails with "sha256 sum
//! does not match" or "provenance does not contain a SHA for a file named
//! ...". The check here refuses such a pair before anything is uploaded.

use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

use chrono::{DateTime, Local, SecondsFormat, Utc};

use super::manifest::Artifact;
use super::reference::{Reference, Target};
use super::RegistryError;
use crate::chart::Metadata;
use crate::provenance::{clearsign, message};

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
pub fn from_file(path: &Path, target: &Target) -> Result<Prepared, RegistryError> {
    let fail = |why: String| RegistryError::Chart(why);
    let meta = std::fs::metadata(path).map_err(|e| fail(e.to_string()))?;
    if meta.is_dir() {
        return Err(fail("is a folder; package it first (helm package)".into()));
    }
    let data: Arc<[u8]> = std::fs::read(path).map_err(|e| fail(e.to_string()))?.into();
    let prov_path = format!("{}.prov", path.display());
    let prov = match std::fs::read(&prov_path) {
        Ok(p) => Some(Arc::<[u8]>::from(p)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(RegistryError::Chart(format!("{prov_path}: {e}"))),
    };
    let created = created_annotation(meta.modified().unwrap_or_else(|_| SystemTime::now()));
    from_bytes(data, prov, &created, target)
}

/// Builds the push of an archive held in memory, with an optional `.prov`
/// and the `created` annotation to record.
pub fn from_bytes(
    data: Arc<[u8]>,
    prov: Option<Arc<[u8]>>,
    created: &str,
    target: &Target,
) -> Result<Prepared, RegistryError> {
    let md = crate::chart::load_bytes(&data).map_err(|e| RegistryError::Chart(e.to_string()))?;
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
pub fn check_provenance(prov: &[u8], md: &Metadata, archive: &[u8]) -> Result<(), RegistryError> {
    let fail = |why: String| RegistryError::Chart(format!("provenance: {why}"));
    let block = clearsign::decode(prov)
        .ok_or_else(|| fail("not a provenance file (no PGP signed message found)".into()))?;
    let files = message::parse_files(&block.plaintext).map_err(fail)?;
    let expected = format!("{}-{}.tgz", md.name, md.version);
    let actual = crate::chart::sha256_digest(archive);
    match files.iter().find(|(name, _)| *name == expected) {
        Some((_, sum)) if *sum == actual => Ok(()),
        Some((_, sum)) => Err(fail(format!(
            "records {sum} for {expected}, but the archive is {actual}; helm pull --verify would fail (sign the archive again)"
        ))),
        None => {
            let listed: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
            Err(fail(format!(
                "has no entry for {expected} (it lists {}); helm pull --verify would fail",
                if listed.is_empty() {
                    "nothing".to_string()
                } else {
                    listed.join(", ")
                }
            )))
        }
    }
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
        let sum = crate::chart::digest(archive);
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
