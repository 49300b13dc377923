//! OCI registries (`pkg/registry`): what `helm push` stores for a chart and
//! how it gets there.
//!
//! `manifest` builds Helm's artifact byte for byte, `reference` turns a
//! target and a chart into a repository and tag, `credentials` finds what
//! `helm registry login` stored, `client` speaks the distribution API, and
//! `push` loads an archive as `helm push` does and uploads it; `pull` reads
//! a chart and its provenance back into memory; `signatures` keeps cosign's
//! signatures of a manifest beside it.

mod client;
mod credentials;
mod manifest;
mod plugin;
mod pull;
mod push;
mod reference;
mod signatures;

use std::path::PathBuf;

use thiserror::Error;

pub use client::{Client, ClientOptions, Fetched};
pub use credentials::{
    given_or_stored as credential_for, lookup as lookup_credential, stored_hosts, Credential,
    EntryProblem,
};
pub use manifest::{
    summarize, Artifact, Blob, ContentChanged, Summary, CONFIG_MEDIA_TYPE, PROV_LAYER_MEDIA_TYPE,
};
pub use plugin::{prepare_plugin, PreparedPlugin, PLUGIN_ARTIFACT_TYPE};
pub use pull::{parse_chart_ref, pull, ChartRef, Pulled, MAX_CHART_BYTES, MAX_PROV_BYTES};
pub use push::{
    check_provenance, created_annotation, created_from_index, prepare_bytes, prepare_file, push,
    Prepared, PushOutcome, Pushed,
};
pub use reference::{valid_tag, NameProblem, Reference, ReferenceProblem, Target};
pub use signatures::{
    attach_bundle, attach_legacy, count as count_signatures, fallback_tag, find_bundles,
    find_legacy, legacy_tag, resolve, Attached, Found, FoundBundle, Indexed, LegacySignature,
    Subject, BUNDLE_MEDIA_TYPE,
};

#[derive(Debug, Error)]
pub enum RegistryError {
    #[error("invalid reference {reference:?}: {problem}")]
    Reference {
        reference: String,
        problem: ReferenceProblem,
    },
    #[error("invalid reference chart name {name:?} cannot be an OCI repository name: {reason}")]
    ChartName { name: String, reason: NameProblem },
    #[error("invalid reference chart version {version:?} cannot be an OCI tag: tags are at most 128 characters of a-z, A-Z, 0-9, '.', '_' and '-'")]
    Tag { version: String },
    #[error("registry credentials: cannot read {}", .path.display())]
    CredentialsRead {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("registry credentials: {}: invalid JSON", .path.display())]
    CredentialsJson {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("registry credentials: {}: entry for {key}: {problem}", .path.display())]
    CredentialsEntry {
        path: PathBuf,
        key: String,
        problem: EntryProblem,
    },
    #[error("registry credentials: {program}: cannot run it")]
    HelperRun {
        program: String,
        source: std::io::Error,
    },
    #[error("registry credentials: {program}: {problem}")]
    Helper { program: String, problem: String },
    #[error("registry credentials: --username and a password (--password or --password-stdin) go together")]
    UsernameWithoutPassword,
    #[error("--cert-file and --key-file must be given together")]
    CertWithoutKey,
    #[error(transparent)]
    Net(#[from] crate::net::NetError),
    /// The registry answered something a push cannot go on from.
    #[error("{host}: {message}")]
    Http { host: String, message: String },
    /// The registry refused or asked for credentials.
    #[error("{host}: {message}")]
    Auth { host: String, message: String },
    #[error(transparent)]
    Chart(#[from] push::PrepareError),
    /// An `oci://` chart reference that names no chart version to read.
    #[error("{0}")]
    ChartRef(String),
    /// A chart could not be read back from the registry.
    #[error("{reference}: {problem}")]
    Pull { reference: String, problem: String },
}
