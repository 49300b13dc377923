//! The environment Helm hands to a plugin (`pkg/cli/environment.go`).
//!
//! Helm exports its effective settings as `HELM_*` variables before it runs a
//! plugin; a binary started directly falls back to Helm's own defaults, so a
//! plugin works on the same repositories.yaml, cache and registry credentials
//! either way.

use std::env;
use std::ffi::OsString;
use std::path::PathBuf;

use super::helmpath::{self, Home};

/// Helm's settings as seen by a plugin.
#[derive(Debug, Clone)]
pub struct EnvSettings {
    /// `HELM_DEBUG`, parsed like Go's `strconv.ParseBool`.
    pub debug: bool,
    pub repository_config: PathBuf,
    pub repository_cache: PathBuf,
    pub registry_config: PathBuf,
    pub plugins_directory: PathBuf,
    pub cache_home: PathBuf,
    pub config_home: PathBuf,
    pub data_home: PathBuf,
    /// The plugin's own folder when run by Helm.
    pub plugin_dir: Option<PathBuf>,
    /// The `helm` binary that started the plugin, if any.
    pub helm_bin: Option<PathBuf>,
}

impl EnvSettings {
    /// Reads the process environment.
    pub fn from_env() -> Self {
        Self::from_lookup(&|name| env::var_os(name).filter(|v| !v.is_empty()))
    }

    /// Reads settings through `getenv`, for tests and embedding.
    pub fn from_lookup(getenv: &dyn Fn(&str) -> Option<OsString>) -> Self {
        let or = |name: &str, home: Home, elem: &str| {
            getenv(name)
                .map(PathBuf::from)
                .unwrap_or_else(|| helmpath::path_with(home, elem, getenv))
        };
        EnvSettings {
            debug: getenv("HELM_DEBUG")
                .and_then(|v| v.into_string().ok())
                .is_some_and(|v| parse_bool(&v)),
            repository_config: or("HELM_REPOSITORY_CONFIG", Home::Config, "repositories.yaml"),
            repository_cache: or("HELM_REPOSITORY_CACHE", Home::Cache, "repository"),
            registry_config: or("HELM_REGISTRY_CONFIG", Home::Config, "registry/config.json"),
            plugins_directory: or("HELM_PLUGINS", Home::Data, "plugins"),
            cache_home: helmpath::path_with(Home::Cache, "", getenv),
            config_home: helmpath::path_with(Home::Config, "", getenv),
            data_home: helmpath::path_with(Home::Data, "", getenv),
            plugin_dir: getenv("HELM_PLUGIN_DIR").map(PathBuf::from),
            helm_bin: getenv("HELM_BIN").map(PathBuf::from),
        }
    }
}

/// Go's `strconv.ParseBool` truth values; anything else (including parse
/// errors) is false, as Helm ignores the error.
fn parse_bool(s: &str) -> bool {
    matches!(s, "1" | "t" | "T" | "TRUE" | "true" | "True")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn plugin_environment_wins_over_defaults() {
        let vars: HashMap<&str, &str> = [
            ("HELM_REPOSITORY_CONFIG", "/cfg/repos.yaml"),
            ("HELM_REPOSITORY_CACHE", "/cache/repo"),
            ("HELM_DEBUG", "true"),
            ("HOME", "/home/u"),
        ]
        .into_iter()
        .collect();
        let s = EnvSettings::from_lookup(&|k| vars.get(k).map(OsString::from));
        assert_eq!(s.repository_config, PathBuf::from("/cfg/repos.yaml"));
        assert_eq!(s.repository_cache, PathBuf::from("/cache/repo"));
        assert!(s.debug);
    }

    #[cfg(all(unix, not(target_os = "macos")))]
    #[test]
    fn defaults_match_helm_on_linux() {
        let s = EnvSettings::from_lookup(&|k| (k == "HOME").then(|| OsString::from("/home/u")));
        assert_eq!(
            s.repository_config,
            PathBuf::from("/home/u/.config/helm/repositories.yaml")
        );
        assert_eq!(
            s.repository_cache,
            PathBuf::from("/home/u/.cache/helm/repository")
        );
        assert_eq!(
            s.registry_config,
            PathBuf::from("/home/u/.config/helm/registry/config.json")
        );
        assert!(!s.debug);
    }

    #[test]
    fn debug_parses_like_go() {
        for t in ["1", "t", "T", "TRUE", "true", "True"] {
            assert!(parse_bool(t), "{t}");
        }
        for f in ["yes", "on", "0", "false", ""] {
            assert!(!parse_bool(f), "{f}");
        }
    }
}
