//! `helm sync` against the real storage emulators (fake-gcs-server, moto,
//! Azurite) and the real Helm 3 and 4: the documented publish workflow,
//! concurrent publishers, refusals that write nothing, stores that fail or
//! lie, the terminal's question, every credential source, and the getter.

mod credentials;
mod faults;
mod getter;
mod hostile;
mod race;
mod refusals;
mod reindex;
mod sources;
mod terminal;
mod workflow;

use std::path::Path;
use std::process::Command;

use crate::support::storage::{Emulator, Kind, ALL};
use crate::support::*;

/// Variables of the clouds' own tools that must not leak in from the
/// machine running the tests.
const CLOUD_VARS: &[&str] = &[
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ENDPOINT_URL_STS",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "STORAGE_EMULATOR_HOST",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "GOOGLE_OAUTH_ACCESS_TOKEN",
    "CLOUDSDK_CONFIG",
    "GCE_METADATA_HOST",
    "AZURE_STORAGE_CONNECTION_STRING",
    "AZURE_STORAGE_ACCOUNT",
    "AZURE_STORAGE_KEY",
    "AZURE_STORAGE_SAS_TOKEN",
    "AZURE_STORAGE_BLOB_ENDPOINT",
];

/// The emulator's variables as the library's environment, for tests that
/// call the library directly.
pub struct EnvOf(pub Vec<(String, String)>);

impl wharf::storage::Env for EnvOf {
    fn var(&self, name: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    }
    fn home(&self) -> Option<std::path::PathBuf> {
        None
    }
}

/// A command in `home` that sees only `emu`'s credentials and endpoint.
pub fn with_store(mut c: Command, emu: &Emulator) -> Command {
    for k in CLOUD_VARS {
        c.env_remove(k);
    }
    for (k, v) in emu.env() {
        c.env(k, v);
    }
    c
}

/// `helm-sync` run directly, against `emu`.
pub fn sync(home: &HelmHome, emu: &Emulator) -> Command {
    with_store(home.command(env!("CARGO_BIN_EXE_helm-sync")), emu)
}

/// A folder of charts indexed by the real Helm 3, as the guide builds it.
pub fn helm_repo(home: &HelmHome, dir: &Path, charts: &[(&str, &str)], url: &str) {
    std::fs::create_dir_all(dir).unwrap();
    for (name, version) in charts {
        write_chart(
            dir,
            &format!("{name}-{version}.tgz"),
            &format!("apiVersion: v2\nname: {name}\nversion: {version}\n"),
        );
    }
    home.helm_ok(
        Helm::V3,
        &["repo", "index", dir.to_str().unwrap(), "--url", url],
    );
}

/// Every emulator, started, with a bucket `charts`.
pub fn each_store() -> Vec<Emulator> {
    ALL.iter()
        .map(|k| {
            let e = Emulator::start(*k);
            e.create_bucket("charts");
            e
        })
        .collect()
}

/// Names and contents of the objects under `prefix/` (relative names).
pub fn objects(emu: &Emulator, prefix: &str) -> Vec<(String, Vec<u8>)> {
    let p = if prefix.is_empty() {
        String::new()
    } else {
        format!("{prefix}/")
    };
    let mut out: Vec<(String, Vec<u8>)> = emu
        .list("charts")
        .into_iter()
        .filter_map(|(name, _)| {
            let rel = name.strip_prefix(&p)?.to_string();
            let data = emu.get("charts", &name).expect("listed object readable");
            Some((rel, data))
        })
        .collect();
    out.sort();
    out
}

/// The files under `dir`, relative names and contents, sorted.
pub fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}
