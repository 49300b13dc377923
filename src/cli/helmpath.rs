//! Where Helm keeps its configuration, cache and data (`pkg/helmpath`).
//!
//! A plugin started by Helm receives `HELM_CONFIG_HOME` and friends, but the
//! binaries also run on their own (in CI, from a shell), and then must find the
//! very files Helm would: `$HELM_*_HOME`, else `$XDG_*_HOME/helm`, else the
//! operating system's default, exactly in that order.

use std::path::PathBuf;

/// The three roots Helm distinguishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Home {
    Config,
    Cache,
    Data,
}

impl Home {
    fn helm_var(self) -> &'static str {
        match self {
            Home::Config => "HELM_CONFIG_HOME",
            Home::Cache => "HELM_CACHE_HOME",
            Home::Data => "HELM_DATA_HOME",
        }
    }

    fn xdg_var(self) -> &'static str {
        match self {
            Home::Config => "XDG_CONFIG_HOME",
            Home::Cache => "XDG_CACHE_HOME",
            Home::Data => "XDG_DATA_HOME",
        }
    }
}

/// `helmpath.ConfigPath` / `CachePath` / `DataPath` with `elem` joined
/// below, reading the environment through `getenv` so that tests need not
/// touch the process environment (which is shared between test threads).
pub fn path_with(
    home: Home,
    elem: &str,
    getenv: &dyn Fn(&str) -> Option<std::ffi::OsString>,
) -> PathBuf {
    if let Some(base) = getenv(home.helm_var()) {
        return join(PathBuf::from(base), elem);
    }
    let base = getenv(home.xdg_var())
        .map(PathBuf::from)
        .unwrap_or_else(|| default_base(home, getenv));
    join(base.join("helm"), elem)
}

fn join(base: PathBuf, elem: &str) -> PathBuf {
    if elem.is_empty() {
        base
    } else {
        base.join(elem)
    }
}

#[cfg(all(unix, not(target_os = "macos")))]
fn default_base(home: Home, getenv: &dyn Fn(&str) -> Option<std::ffi::OsString>) -> PathBuf {
    let h = home_dir(getenv);
    match home {
        Home::Config => h.join(".config"),
        Home::Cache => h.join(".cache"),
        Home::Data => h.join(".local").join("share"),
    }
}

#[cfg(target_os = "macos")]
fn default_base(home: Home, getenv: &dyn Fn(&str) -> Option<std::ffi::OsString>) -> PathBuf {
    let h = home_dir(getenv);
    match home {
        Home::Config => h.join("Library").join("Preferences"),
        Home::Cache => h.join("Library").join("Caches"),
        Home::Data => h.join("Library"),
    }
}

#[cfg(windows)]
fn default_base(home: Home, getenv: &dyn Fn(&str) -> Option<std::ffi::OsString>) -> PathBuf {
    let var = match home {
        Home::Config | Home::Data => "APPDATA",
        Home::Cache => "TEMP",
    };
    getenv(var).map(PathBuf::from).unwrap_or_default()
}

/// k8s.io/client-go `homedir.HomeDir`: `$HOME`, falling back to the account's
/// home directory.
#[cfg(unix)]
fn home_dir(getenv: &dyn Fn(&str) -> Option<std::ffi::OsString>) -> PathBuf {
    getenv("HOME")
        .map(PathBuf::from)
        .or_else(dirs::home_dir)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::ffi::OsString;

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let map: HashMap<String, OsString> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn helm_variable_is_used_as_is() {
        let e = env_of(&[("HELM_CONFIG_HOME", "/h"), ("XDG_CONFIG_HOME", "/x")]);
        assert_eq!(
            path_with(Home::Config, "repositories.yaml", &e),
            PathBuf::from("/h/repositories.yaml")
        );
    }

    #[test]
    fn xdg_variable_gets_helm_appended() {
        let e = env_of(&[("XDG_CACHE_HOME", "/x"), ("HOME", "/home/u")]);
        assert_eq!(
            path_with(Home::Cache, "repository", &e),
            PathBuf::from("/x/helm/repository")
        );
    }

    #[cfg(all(unix, not(target_os = "macos")))]
    #[test]
    fn linux_defaults_follow_xdg_layout() {
        let e = env_of(&[("HOME", "/home/u")]);
        assert_eq!(
            path_with(Home::Data, "plugins", &e),
            PathBuf::from("/home/u/.local/share/helm/plugins")
        );
        assert_eq!(
            path_with(Home::Config, "", &e),
            PathBuf::from("/home/u/.config/helm")
        );
    }
}
