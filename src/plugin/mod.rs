//! Helm plugins as Helm 4 sees them (`internal/plugin`): the metadata of a
//! plugin tarball, for signing it (HIP-0026) and pushing it to a registry.
//!
//! Helm 4 signs a plugin tarball as it signs a chart, but the first part of
//! the `.prov` is `yaml.Marshal` of its own `plugin.Metadata`, converted from
//! the legacy `plugin.yaml` and marshalled without JSON tags, so every key is
//! a Go field name (`APIVersion:`, `RuntimeConfig:`). Verifiers never read
//! that part; it is reproduced byte for byte anyway, so that a tarball signed
//! here and one signed by `helm plugin package` differ only in the signature.

mod metadata;
mod tarball;

pub use metadata::{parse_legacy, Metadata};
pub use tarball::{is_plugin_tarball, read_metadata, MAX_PLUGIN_YAML};

/// Why a plugin tarball or its `plugin.yaml` was refused.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    #[error("not a gzipped tar archive: {0}")]
    Archive(String),
    #[error("no plugin.yaml in the archive")]
    Missing,
    #[error("plugin.yaml is larger than {MAX_PLUGIN_YAML} bytes")]
    TooLarge,
    #[error("the archive expands to more than {} MiB before its plugin.yaml", tarball::SCAN_BUDGET >> 20)]
    Budget,
    #[error("plugin.yaml: {0}")]
    Yaml(#[from] crate::go::yaml::Error),
    #[error("plugin.yaml: {0}")]
    Invalid(String),
    #[error("plugin.yaml: apiVersion {0:?} is not supported: only legacy plugin.yaml files (no apiVersion) are")]
    ApiVersion(String),
}
