//! The plugins' commands (Helm's `pkg/cmd`): each takes parsed options and
//! returns what happened, leaving printing and exit codes to the binary.

pub mod complete;
pub mod idx;
pub mod ocipush;
#[cfg(feature = "prov")]
pub mod prov;
pub mod sync;
