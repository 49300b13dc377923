//! Pushing one prepared chart: blobs first, each only when the registry
//! lacks it, then the manifest under the chart's tag.
//!
//! The order is what keeps a registry consistent when a run dies: a tag is
//! written only after every blob its manifest names is stored, so an
//! interrupted run leaves at most unreferenced blobs, which the next run
//! finds with HEAD and does not upload again.

use super::client::Client;
use super::manifest::Artifact;
use super::reference::Reference;
use super::RegistryError;

/// What happened to a chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The manifest was written to the tag.
    Pushed,
    /// `--skip-existing`: the tag already holds this very manifest.
    Unchanged,
    /// `--skip-existing`: the tag holds another manifest, left as it is.
    Kept { existing: String },
}

impl Outcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            Outcome::Pushed => "pushed",
            Outcome::Unchanged => "unchanged",
            Outcome::Kept { .. } => "kept",
        }
    }
}

/// The result of a push, for output.
#[derive(Debug, Clone)]
pub struct Pushed {
    pub outcome: Outcome,
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
                Outcome::Unchanged
            } else {
                Outcome::Kept { existing }
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
        outcome: Outcome::Pushed,
        blobs_uploaded,
        bytes_uploaded,
    })
}
