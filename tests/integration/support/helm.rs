//! The real Helm releases and throwaway Helm homes, and the plugin binaries
//! under test run inside such a home.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::root;

/// The Helm releases the tests run against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Helm {
    V3,
    V4,
}

pub const BOTH: [Helm; 2] = [Helm::V3, Helm::V4];

impl Helm {
    pub fn version(self) -> &'static str {
        match self {
            Helm::V3 => "3.17.3",
            Helm::V4 => "4.1.4",
        }
    }

    /// Path of the provisioned binary; fails the test with instructions when
    /// it is missing.
    pub fn bin(self) -> PathBuf {
        let p = root()
            .join(".peers")
            .join(format!("helm-{}", self.version()))
            .join("helm");
        assert!(
            p.is_file(),
            "Helm {} is not provisioned at {}: run scripts/provision-peers.sh (or scripts/test.sh)",
            self.version(),
            p.display()
        );
        p
    }
}

/// A throwaway set of Helm homes (config, cache, data) for one test.
pub struct HelmHome {
    dir: tempfile::TempDir,
}

impl HelmHome {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        for d in ["config", "cache", "data"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        HelmHome { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// A command that sees only these homes: the Helm variables point into
    /// them and the ones that could lead elsewhere are removed.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new(program);
        c.env("HELM_CONFIG_HOME", self.path().join("config"))
            .env("HELM_CACHE_HOME", self.path().join("cache"))
            .env("HELM_DATA_HOME", self.path().join("data"))
            .env("HOME", self.path());
        for k in [
            "HELM_DEBUG",
            "HELM_PLUGINS",
            "HELM_REPOSITORY_CONFIG",
            "HELM_REPOSITORY_CACHE",
            "HELM_REGISTRY_CONFIG",
            "HELM_BIN",
            "HELM_PLUGIN_DIR",
            "XDG_CONFIG_HOME",
            "XDG_CACHE_HOME",
            "XDG_DATA_HOME",
            "SOURCE_DATE_EPOCH",
        ] {
            c.env_remove(k);
        }
        c
    }

    pub fn helm(&self, helm: Helm, args: &[&str]) -> Output {
        self.command(helm.bin())
            .args(args)
            .output()
            .expect("run helm")
    }

    /// Runs Helm and fails the test on a non-zero exit.
    pub fn helm_ok(&self, helm: Helm, args: &[&str]) -> String {
        let out = self.helm(helm, args);
        assert!(
            out.status.success(),
            "helm {} {:?} failed: {}",
            helm.version(),
            args,
            super::output_text(&out)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

/// The `helm-idx` binary under test, run directly (not through Helm).
pub fn idx(home: &HelmHome) -> Command {
    home.command(env!("CARGO_BIN_EXE_helm-idx"))
}

/// The `helm-ocipush` binary under test, run directly, seeing neither the
/// user's Docker config nor their Helm settings.
pub fn ocipush(home: &HelmHome) -> Command {
    let mut c = home.command(env!("CARGO_BIN_EXE_helm-ocipush"));
    c.env_remove("DOCKER_CONFIG");
    c
}

/// The `helm-prov` binary under test, run directly.
pub fn helm_prov(home: &HelmHome) -> Command {
    home.command(env!("CARGO_BIN_EXE_helm-prov"))
}
