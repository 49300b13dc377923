//! `HELM_DEBUG` logging: one switch for the whole process, set once by the
//! binary from `--debug` or the environment Helm passes.
//!
//! The log goes to stderr like Helm's `--debug` output. Anything that could
//! carry a secret reaches it only as a type that cannot print one
//! (`net::Secret`, `net::SafeUrl`).

use std::sync::atomic::{AtomicBool, Ordering};

static DEBUG: AtomicBool = AtomicBool::new(false);

/// Turns verbose logging on or off for the whole process.
pub fn set_debug(on: bool) {
    DEBUG.store(on, Ordering::Relaxed);
}

/// Whether `HELM_DEBUG` logging is on.
pub fn debug_enabled() -> bool {
    DEBUG.load(Ordering::Relaxed)
}

/// Logs to stderr when HELM_DEBUG is on.
#[macro_export]
macro_rules! debug {
    ($($arg:tt)*) => {
        if $crate::cli::debug_enabled() {
            $crate::cli::output::line(format_args!("[debug] {}", format_args!($($arg)*)));
        }
    };
}
