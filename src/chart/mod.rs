//! Charts (`pkg/chart`): archives, the loader, metadata, and the two things
//! every layer above needs from a chart: its metadata as Helm serialises it
//! and its digest.

pub mod archive;
pub mod digest;
pub mod encode;
pub mod loader;
pub mod metadata;

pub use digest::{digest, digest_file, sha256_digest};
pub use encode::{metadata_json, write_metadata_yaml};
pub use loader::{load_bytes, load_file, LoadError};
pub use metadata::{Dependency, Maintainer, Metadata, ValidationError};
