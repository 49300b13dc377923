//! The integration tests, as one test binary: each plugin against the real
//! peers (Helm 3.17.3 and 4.1.4, gpg, a real OCI registry, storage
//! emulators for GCS, S3 and Azure Blob), with the rig
//! they share in [`support`].
//!
//! All tests run as threads of one process: a test passes environment and
//! working directories to the processes it starts and never changes its own,
//! and every server binds a port the kernel picks.

mod completion;
mod harness;
mod idx;
mod ocipush;
mod plugin_install;
mod progress;
#[cfg(feature = "prov")]
mod prov;
#[cfg(feature = "prov")]
mod release;
mod storage_rig;
mod support;
mod sync;
