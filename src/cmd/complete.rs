//! Shell completion of the pack's commands through Helm: the two hidden
//! modes every binary has, and the values only the commands know.
//!
//! - `helm-NAME __completion-yaml` prints the `completion.yaml` committed as
//!   `plugins/NAME/completion.yaml` (subcommands and flags, from clap);
//! - `helm-NAME __complete WORDS...` is what `plugins/NAME/plugin.complete`
//!   runs: the values for the last word, then cobra's `:<directive>` line.
//!
//! The values: repository names from repositories.yaml, registry hosts
//! from the registry config's `auths`, key IDs and e-mail addresses from the
//! keyring for `helm prov sign --key`, chart archives (`*.tgz`) for chart
//! arguments, and clap's possible values for any flag that has them.
//! Completion never prints an error and never waits: every file is read with
//! a cap, a folder is listed up to a number of entries, nothing goes over
//! the network, and anything that fails yields no values.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::cli::complete::{self, directive, Answer, Request, Target};
use crate::cli::EnvSettings;

/// The hidden argument that prints `completion.yaml`.
pub const YAML_MODE: &str = "__completion-yaml";
/// The hidden argument `plugin.complete` passes before the words.
pub const COMPLETE_MODE: &str = "__complete";

/// The largest repositories.yaml or registry config read for completion.
const MAX_CONFIG_BYTES: u64 = 4 * 1024 * 1024;
/// The largest keyring read for completion.
#[cfg(feature = "prov")]
const MAX_KEYRING_BYTES: u64 = 16 * 1024 * 1024;
/// The most folder entries looked at for chart archives.
const MAX_DIR_ENTRIES: usize = 10_000;
/// The most words considered.
const MAX_WORDS: usize = 1_000;

/// Runs a hidden completion mode when the first argument names one, for
/// the plugin `plugin` (`idx`, `ocipush`, `prov`, `sync`) whose command line
/// is `command`; `None` when the arguments are the command's own.
pub fn intercept(plugin: &str, command: impl FnOnce() -> clap::Command) -> Option<ExitCode> {
    let mut args = std::env::args_os().skip(1);
    let first = args.next()?;
    match first.to_str()? {
        YAML_MODE => {
            let yaml = complete::completion_yaml(plugin, &command());
            let _ = std::io::stdout().write_all(yaml.as_bytes());
            Some(ExitCode::SUCCESS)
        }
        COMPLETE_MODE => {
            // Nothing may reach the terminal but the answer.
            std::panic::set_hook(Box::new(|_| {}));
            let words: Vec<String> = args
                .take(MAX_WORDS)
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
            let settings = EnvSettings::from_env();
            let cmd = command();
            let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                answer(plugin, &cmd, &words, &settings)
            }))
            .unwrap_or_else(|_| Answer::new(Vec::new(), directive::ERROR));
            let _ = std::io::stdout().write_all(answer.render().as_bytes());
            Some(ExitCode::SUCCESS)
        }
        _ => None,
    }
}

/// The answer for the words typed after `helm <plugin>`.
pub fn answer(
    plugin: &str,
    cmd: &clap::Command,
    words: &[String],
    settings: &EnvSettings,
) -> Answer {
    // Helm already lists the flag names of completion.yaml; answering them
    // here as well would show each one twice.
    if complete::request(cmd, words).target == Target::FlagName {
        return Answer::new(Vec::new(), directive::NO_FILE_COMP);
    }
    complete::complete(cmd, words, &|r| values(plugin, r, settings))
}

/// The values of one flag or positional argument of one plugin.
fn values(plugin: &str, r: &Request, settings: &EnvSettings) -> Answer {
    let path: Vec<&str> = r.path.iter().map(String::as_str).collect();
    let (id, flag) = match &r.target {
        Target::FlagValue { id } => (id.as_str(), true),
        Target::Positional { id, .. } => (id.as_str(), false),
        _ => return Answer::files(),
    };
    match (plugin, path.as_slice(), id, flag) {
        // An index file, a URL or a repository name.
        ("idx", ["build"], "merge", true) | ("idx", ["merge"], "sources", false) => {
            or_files(repositories(settings))
        }
        ("idx", ["build" | "check"], "dir", false) => {
            Answer::new(Vec::new(), directive::FILTER_DIRS)
        }
        ("ocipush", ["migrate"], "source", false) => {
            Answer::new(repositories(settings), directive::NO_FILE_COMP)
        }
        ("ocipush", ["migrate"], "destination", false) => registries(settings),
        ("ocipush", [], "args", false) | ("prov", ["verify"], "targets", false) => {
            charts_or_registries(&r.word, settings)
        }
        ("prov", ["sign"], "charts", false) => charts_or_registries(&r.word, settings),
        // With --sigstore, --key is a cosign key file.
        ("prov", ["sign"], "key", true) if !r.has("sigstore") => keys(r),
        ("sync", ["push"], "args", false) => or_files(charts(&r.word)),
        _ => Answer::files(),
    }
}

/// `values` without file names, or file names when there are none.
fn or_files(values: Vec<String>) -> Answer {
    if values.is_empty() {
        Answer::files()
    } else {
        Answer::new(values, directive::NO_FILE_COMP)
    }
}

fn repositories(settings: &EnvSettings) -> Vec<String> {
    crate::repo::repository_names(&settings.repository_config, MAX_CONFIG_BYTES)
}

fn registry_urls(settings: &EnvSettings) -> Vec<String> {
    crate::registry::stored_hosts(&settings.registry_config, MAX_CONFIG_BYTES)
        .into_iter()
        .map(|h| format!("oci://{h}"))
        .collect()
}

/// `oci://HOST` for each registry with stored credentials; the path follows
/// without a space.
fn registries(settings: &EnvSettings) -> Answer {
    Answer::new(
        registry_urls(settings),
        directive::NO_SPACE | directive::NO_FILE_COMP,
    )
}

/// Chart archives, or registries once the word is on its way to `oci://`.
fn charts_or_registries(word: &str, settings: &EnvSettings) -> Answer {
    if !word.is_empty() && ("oci://".starts_with(word) || word.starts_with("oci://")) {
        return registries(settings);
    }
    or_files(charts(word))
}

/// The `*.tgz` files in the folder the word names (the current folder when
/// it names none), as the word spells them; hidden files only when the word
/// starts one.
fn charts(word: &str) -> Vec<String> {
    let (dir_part, name_part) = match word.rfind('/') {
        Some(i) => (&word[..=i], &word[i + 1..]),
        None => ("", word),
    };
    let dir = if dir_part.is_empty() {
        PathBuf::from(".")
    } else {
        PathBuf::from(dir_part)
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .take(MAX_DIR_ENTRIES)
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let is_file = e.file_type().ok()?.is_file()
                || (e.file_type().ok()?.is_symlink() && e.path().is_file());
            (is_file
                && name.ends_with(".tgz")
                && name.starts_with(name_part)
                && (!name.starts_with('.') || name_part.starts_with('.')))
            .then(|| format!("{dir_part}{name}"))
        })
        .collect();
    out.sort();
    out
}

/// Key IDs and e-mail addresses from the keyring `helm prov sign` would
/// use: `--keyring` when typed, else the GnuPG home's.
#[cfg(feature = "prov")]
fn keys(r: &Request) -> Answer {
    let ring = r
        .value_of("keyring")
        .map(PathBuf::from)
        .unwrap_or_else(crate::provenance::default_keyring);
    Answer::new(key_values(&ring), directive::NO_FILE_COMP)
}

#[cfg(not(feature = "prov"))]
fn keys(_: &Request) -> Answer {
    Answer::none()
}

#[cfg(feature = "prov")]
fn key_values(ring: &std::path::Path) -> Vec<String> {
    let Ok(data) = crate::fileutil::read_regular(ring, MAX_KEYRING_BYTES) else {
        return Vec::new();
    };
    let Ok((certs, _)) = crate::provenance::parse_keyring(&data) else {
        return Vec::new();
    };
    crate::provenance::key_selectors(&certs)
        .into_iter()
        .map(|(value, uid)| {
            let uid: String = uid.chars().filter(|c| !c.is_control()).collect();
            if uid.is_empty() {
                value
            } else {
                format!("{value}\t{uid}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;
    use std::path::Path;

    fn settings(dir: &Path) -> EnvSettings {
        let d = dir.to_path_buf();
        EnvSettings::from_lookup(&move |k| match k {
            "HELM_REPOSITORY_CONFIG" => Some(OsString::from(d.join("repositories.yaml"))),
            "HELM_REGISTRY_CONFIG" => Some(OsString::from(d.join("config.json"))),
            _ => None,
        })
    }

    fn req(path: &[&str], target: Target, word: &str) -> Request {
        Request {
            path: path.iter().map(|s| s.to_string()).collect(),
            target,
            word: word.into(),
            prefix: String::new(),
            given: Vec::new(),
        }
    }

    fn pos(id: &str) -> Target {
        Target::Positional {
            id: id.into(),
            index: 0,
        }
    }

    #[test]
    fn repositories_and_registries_come_from_helm_settings() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join("repositories.yaml"),
            "apiVersion: v1\nrepositories:\n- name: stable\n  url: https://u:p@example.com\n",
        )
        .unwrap();
        std::fs::write(
            d.path().join("config.json"),
            r#"{"auths":{"localhost:5000":{"auth":"eDp5"},"https://index.docker.io/v1/":{}}}"#,
        )
        .unwrap();
        let s = settings(d.path());
        let a = values("ocipush", &req(&["migrate"], pos("source"), ""), &s);
        assert_eq!(a.values, ["stable"]);
        let a = values("ocipush", &req(&["migrate"], pos("destination"), ""), &s);
        assert_eq!(a.values, ["oci://index.docker.io", "oci://localhost:5000"]);
        assert_eq!(a.directive, directive::NO_SPACE | directive::NO_FILE_COMP);
        let a = values("idx", &req(&["merge"], pos("sources"), ""), &s);
        assert_eq!(a.values, ["stable"]);
    }

    #[test]
    fn broken_or_missing_files_give_no_values() {
        let d = tempfile::tempdir().unwrap();
        let s = settings(d.path());
        assert!(repositories(&s).is_empty());
        assert!(registry_urls(&s).is_empty());
        std::fs::write(d.path().join("repositories.yaml"), "repositories: [").unwrap();
        std::fs::write(d.path().join("config.json"), "{").unwrap();
        assert!(repositories(&s).is_empty());
        assert!(registry_urls(&s).is_empty());
        let a = values("idx", &req(&["merge"], pos("sources"), ""), &s);
        assert_eq!(a, Answer::files());
    }

    #[test]
    fn charts_are_listed_from_the_folder_the_word_names() {
        let d = tempfile::tempdir().unwrap();
        for f in ["a-1.0.0.tgz", "b-2.0.0.tgz", "notes.txt", ".hidden.tgz"] {
            std::fs::write(d.path().join(f), "x").unwrap();
        }
        std::fs::create_dir(d.path().join("sub.tgz")).unwrap();
        let word = format!("{}/", d.path().display());
        assert_eq!(
            charts(&word),
            [format!("{word}a-1.0.0.tgz"), format!("{word}b-2.0.0.tgz")]
        );
        assert_eq!(charts(&format!("{word}b")), [format!("{word}b-2.0.0.tgz")]);
        assert_eq!(charts(&format!("{word}.")), [format!("{word}.hidden.tgz")]);
        assert!(charts("/nonexistent/folder/").is_empty());
    }

    #[cfg(feature = "prov")]
    #[test]
    fn keys_come_from_the_keyring_typed() {
        let ring = crate::test_support::fixture("prov/keys/rsa.pub.gpg");
        let mut r = req(&["sign"], Target::FlagValue { id: "key".into() }, "");
        r.given
            .push(("keyring".into(), Some(ring.display().to_string())));
        let a = keys(&r);
        assert_eq!(
            a.values,
            [
                "F16D692B5491590B\tHelm RSA Test <rsa@example.com>",
                "rsa@example.com\tHelm RSA Test <rsa@example.com>"
            ]
        );
        r.given[0].1 = Some("/nonexistent/ring.gpg".into());
        assert!(keys(&r).values.is_empty());
        r.given.push(("sigstore".into(), None));
        let s = settings(Path::new("/nonexistent"));
        assert_eq!(values("prov", &r, &s), Answer::files());
    }
}
