//! Charts (`pkg/chart`): archives, the loader and metadata.

pub mod archive;
pub mod loader;
pub mod metadata;

pub use loader::{load_bytes, load_file, LoadError};
pub use metadata::{Dependency, Maintainer, Metadata, ValidationError};
