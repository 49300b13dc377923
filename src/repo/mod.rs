//! Chart repositories (`pkg/repo`): the index model and its order, loading
//! and writing index files byte for byte as Helm does, indexing a folder of
//! archives, checking a folder against its index, the user's
//! repositories.yaml, and resolving "a repository" to an index and its
//! downloads.

mod check;
mod directory;
mod index;
mod load;
mod partial;
mod raw;
mod repofile;
mod source;
mod write;

pub use check::{check, Problem};
pub use directory::{
    archive_digests, entry_url, index_directory, reuse_from, DirIndex, Reuse, Skipped,
};
pub use index::{ChartVersion, IndexFile};
pub use load::{
    load_index, read_index_file, LoadIndexError, Loaded, Strictness, MAX_INDEX_FILE_SIZE,
};
pub use partial::entries_with_digests;
pub use raw::{read_raw, RawEntries, RAW_MIN};
pub use repofile::{names as repository_names, RepoFileError};
pub use source::{Download, RepoSource, SourceError};
pub use write::{splice, write_json, write_yaml, Spliced};
