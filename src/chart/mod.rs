//! Charts (`pkg/chart`): archives, the loader, metadata, and the two things
//! every layer above needs from a chart: its metadata as Helm serialises it
//! and its digest.

mod archive;
mod digest;
pub(crate) mod encode;
mod loader;
mod metadata;

pub use archive::MAX_ARCHIVE_FILE_SIZE;
pub use digest::{digest, digest_file, digest_reader, sha256_digest};
pub use encode::{metadata_json, write_metadata_yaml};
pub use loader::{load_bytes, load_file, load_open, open_archive, read_archive, LoadError};
/// Helm's `sanitizeString`, which Helm 4 applies to plugin metadata too.
pub(crate) use metadata::sanitize;
pub(crate) use metadata::FIELDS as METADATA_FIELDS;
pub use metadata::{Dependency, Maintainer, Metadata, ValidationError};
