//! Keeping a chart repository in sync with object storage (`helm sync`):
//! a folder published to a bucket in the one order that never shows a
//! client a broken repository, a bucket fetched into a folder, charts
//! pushed to and deleted from a repository that has no local copy.
//!
//! What every operation here keeps true of the published repository:
//! every archive its `index.yaml` lists is there. So archives go up before
//! the index that lists them, the index is written under a precondition on
//! the version that was read (a concurrent publisher makes the write fail
//! instead of vanishing), and deletions come last and never touch an
//! archive the new index lists.

mod check;
mod plan;
mod publish;
mod reindex;
mod update;

use thiserror::Error;

use crate::repo::LoadIndexError;
use crate::storage::StorageError;

pub use check::{archive_key, check_local_repository};
pub use plan::{plan, Direction, Endpoint, Plan, PlanOptions, Step};
pub use publish::{run, RunOptions, RunReport};
pub use reindex::{reindex, ReindexReport, RECORD};
pub use update::{
    delete_versions, push_charts, DeleteReport, IndexHeaders, PushOptions, PushReport, Pushed,
};

/// `index.yaml`, the one object written under a precondition.
pub const INDEX: &str = "index.yaml";

/// The most of any one file read into memory to copy it: twice Helm's
/// largest archive, and far beyond any index or `.prov`.
pub const MAX_OBJECT_BYTES: u64 = 256 << 20;

#[derive(Debug, Error)]
pub enum SyncError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("{path}: {}", crate::cli::output::io_words(.source))]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{what} is not a chart repository: it has no index.yaml{hint}")]
    NotRepository { what: String, hint: &'static str },
    #[error("{url} is not a valid index: {source}; it is left as it is")]
    BadIndex {
        url: String,
        #[source]
        source: LoadIndexError,
    },
    #[error("{index} lists {count} archive(s) missing from {dir}, first {first}: publishing it would break the repository")]
    MissingArchives {
        index: String,
        dir: String,
        count: usize,
        first: String,
    },
    #[error("{file}: its digest is {actual} but {index} lists {expected}: rebuild the index (helm idx build)")]
    DigestMismatch {
        file: String,
        index: String,
        expected: String,
        actual: String,
    },
    #[error("{url} was changed by another publisher after this run read it; nothing was deleted and the index was not written. Run again to see the new plan, or add --merge-remote to merge with it")]
    Conflict { url: String },
    #[error("{url} kept changing: gave up after {attempts} attempts to update it")]
    GaveUp { url: String, attempts: usize },
    #[error("{what}")]
    Refused { what: String },
    #[error("{file}: {source}")]
    Chart {
        file: String,
        #[source]
        source: crate::chart::LoadError,
    },
    #[error("{key}: not a safe file name to write under {dir}")]
    UnsafeKey { key: String, dir: String },
}
