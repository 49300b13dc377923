//! The rig the integration tests share: the real Helm binaries provisioned
//! by `scripts/provision-peers.sh` and throwaway Helm homes ([`helm`]), the
//! chart archive builder ([`tgz`]), the loopback HTTP server and its
//! plumbing ([`http`]), a real OCI registry ([`registry`]) with throwaway
//! CAs ([`pki`]), a token service ([`token`]) and a fault-injecting proxy
//! ([`fault_proxy`]), object-storage emulators for GCS, S3 and Azure Blob
//! ([`storage`]), per-child resource measurement ([`measure`]), and
//! pseudo-terminals to run a binary on ([`pty`]).

pub mod fault_proxy;
pub mod fulcio;
pub mod helm;
pub mod http;
pub mod measure;
pub mod pki;
pub mod pty;
pub mod registry;
mod registry_rig;
pub mod rekor;
pub mod storage;
pub mod tgz;
pub mod token;
pub mod tsa;

use std::borrow::BorrowMut;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub use helm::{helm_prov, idx, ocipush, Helm, HelmHome, BOTH};
pub use http::FileServer;
pub use measure::{run_measured, run_measured_for};
pub use tgz::{chart_tgz, tgz, tgz_bytes, write_chart};

/// The checkout under test.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The repository's test data, `tests/fixtures/` (see its README).
pub fn fixtures() -> PathBuf {
    root().join("tests").join("fixtures")
}

/// Path of a provisioned tool on `PATH`; fails the test (never skips) when
/// it is missing.
pub fn tool(name: &str) -> PathBuf {
    std::env::var_os("PATH")
        .and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(name))
                .find(|p| p.is_file())
        })
        .unwrap_or_else(|| panic!("`{name}` is not installed: run scripts/provision-peers.sh"))
}

/// Runs a command to completion, failing the test with its output unless
/// it succeeds; returns stdout.
pub fn ok(mut c: impl BorrowMut<Command>) -> String {
    let c = c.borrow_mut();
    let out = c.output().unwrap_or_else(|e| panic!("{c:?}: {e}"));
    assert!(
        out.status.success(),
        "{:?} failed ({}): {}",
        c,
        out.status,
        output_text(&out)
    );
    lossy(&out.stdout)
}

/// A finished command's stdout and stderr, for assertions and messages.
pub fn output_text(o: &Output) -> String {
    format!("{}{}", lossy(&o.stdout), lossy(&o.stderr))
}

pub fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A run refused as every plugin refuses: exit 1 and one line on stderr,
/// which is returned; `what` names the case in a failure.
pub fn refused_line(out: &Output, what: &str) -> String {
    assert_eq!(out.status.code(), Some(1), "{what}: {}", output_text(out));
    let err = lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{what}: {err}");
    err
}

/// Signs `chart` with the throwaway RSA fixture key through `helm prov`.
pub fn sign(home: &HelmHome, chart: &Path) {
    let mut c = helm_prov(home);
    c.arg("sign")
        .arg(chart)
        .arg("--keyring")
        .arg(fixtures().join("prov/keys/rsa.sec.gpg"))
        .args(["--key", "rsa@example.com"]);
    ok(c);
}

/// Replaces the values of `created` and `generated` (YAML or JSON) so two
/// indexes can be compared byte for byte otherwise.
pub fn mask_times(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for line in s.split_inclusive('\n') {
        let t = line.trim_start();
        let indent = &line[..line.len() - t.len()];
        let masked = [
            "created: \"",
            "generated: \"",
            "\"created\": \"",
            "\"generated\": \"",
        ]
        .iter()
        .find(|p| t.starts_with(*p))
        .map(|p| {
            let rest = &t[p.len()..];
            let end = rest.find('"').map_or(rest.len(), |i| i + 1);
            format!("{indent}{p}TIME\"{}", &rest[end..])
        });
        match masked {
            Some(m) => out.push_str(&m),
            None => out.push_str(line),
        }
    }
    out
}

/// Asserts two index texts are equal apart from timestamps, showing the
/// first differing line.
pub fn assert_same_index(ours: &str, helm: &str, what: &str) {
    let (a, b) = (mask_times(ours), mask_times(helm));
    if a != b {
        let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
        let i = la
            .iter()
            .zip(&lb)
            .position(|(x, y)| x != y)
            .unwrap_or(la.len().min(lb.len()));
        let ctx = |v: &[&str]| v[i.saturating_sub(3)..(i + 3).min(v.len())].join("\n");
        panic!(
            "{what}: output differs from Helm at line {} ({} vs {} lines)\n--- ours:\n{}\n--- helm:\n{}",
            i + 1,
            la.len(),
            lb.len(),
            ctx(&la),
            ctx(&lb)
        );
    }
}
