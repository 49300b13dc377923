//! Chart repositories (`pkg/repo`): index files, repositories.yaml, cache.

pub mod check;
pub mod directory;
pub mod index;
pub mod load;
pub mod repofile;
mod source;
pub mod write;

pub use index::{ChartVersion, IndexFile};
pub use load::{load_index, LoadIndexError, Loaded, Strictness};
pub use source::{index_url, Download, RepoSource, SourceError};
