//! What a plugin shares with the Helm that runs it (`pkg/cli`): the settings
//! Helm exports as `HELM_*` variables, Helm's paths (`pkg/helmpath`), the
//! `HELM_DEBUG` log, the one output module every plugin prints through,
//! the progress line of long runs, and shell completion through Helm.

pub mod complete;
mod debug;
mod duration;
mod environment;
mod helmpath;
pub mod output;
pub mod progress;
mod suggest;

pub use debug::{debug_enabled, set_debug};
pub use duration::parse_duration;
pub use environment::EnvSettings;
pub use output::{render_error, OutputFormat};
pub use progress::{quiet, set_quiet, Progress};
pub use suggest::did_you_mean;
