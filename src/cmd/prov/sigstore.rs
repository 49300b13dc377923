//! `helm prov verify --sigstore`: Sigstore bundles beside the files they
//! sign, as `cosign verify-blob --bundle` checks them.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::ProvError;
use crate::sigstore::{self, Policy, PolicyFlags, Trust, Verified};

/// Which signatures must verify, when a chart may have a `.prov`, a
/// Sigstore bundle, or both (`--require`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Require {
    /// The `.prov` (what Helm checks); the default without `--sigstore`.
    #[default]
    Pgp,
    /// The Sigstore bundle; the default with `--sigstore`.
    Sigstore,
    /// Whichever the chart has, and at least one of them.
    Any,
    /// Both.
    All,
}

impl Require {
    pub(super) fn pgp(self) -> bool {
        self != Require::Sigstore
    }

    pub(super) fn sigstore(self) -> bool {
        self != Require::Pgp
    }
}

/// The Sigstore side of `helm prov verify`.
#[derive(Debug, Default, Clone)]
pub struct SigstoreOptions {
    pub policy: PolicyFlags,
    /// `--bundle`: the bundle of the one target (default: beside it,
    /// `FILE.sigstore.json`).
    pub bundle: Option<PathBuf>,
    /// `--trusted-root` (default: the public-good root built in).
    pub trusted_root: Option<PathBuf>,
}

/// The policy and trusted root, read once for all targets.
pub(super) struct Prepared {
    policy: Policy,
    trust: Trust,
    bundle: Option<PathBuf>,
}

pub(super) fn prepare(o: &SigstoreOptions, targets: usize) -> Result<Prepared, ProvError> {
    if o.bundle.is_some() && targets > 1 {
        return Err(ProvError::BundleForMany { targets });
    }
    let policy = Policy::from_flags(&o.policy)?;
    let trust = match &o.trusted_root {
        Some(p) => Trust::from_file(p)?,
        None => Trust::public_good()?,
    };
    Ok(Prepared {
        policy,
        trust,
        bundle: o.bundle.clone(),
    })
}

/// The bundle that belongs to a local target.
pub(super) fn bundle_of(path: &Path, p: Option<&Prepared>) -> PathBuf {
    p.and_then(|p| p.bundle.clone())
        .unwrap_or_else(|| sigstore::bundle_path(path))
}

/// Verifies a local file (any file, not only a chart archive) against its
/// bundle.
pub(super) fn verify_local(path: &Path, p: &Prepared) -> Result<Verified, ProvError> {
    let bundle = bundle_of(path, Some(p));
    if !bundle.exists() && path.exists() {
        return Err(ProvError::NoBundle {
            path: path.to_path_buf(),
            bundle,
        });
    }
    Ok(sigstore::verify_file(path, &bundle, &p.policy, &p.trust)?)
}

/// The Sigstore part of one target's report.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SigstoreReport {
    pub verified: bool,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub signature: Option<Verified>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The lines of a verified Sigstore signature, on stdout as cosign's
/// summary puts it.
pub(super) fn print_verified(v: &Verified) {
    println!("Verified OK: Sigstore bundle {}", v.bundle);
    match (&v.identity, &v.issuer, &v.key) {
        (Some(id), Some(iss), _) => println!("Certificate identity: {id} (issuer {iss})"),
        (_, _, Some(key)) => println!("Signed with key: {key}"),
        _ => {}
    }
    if let Some(i) = v.log_index {
        match &v.integrated_time {
            Some(t) => println!("Transparency log entry: {i}, integrated {t}"),
            None => println!("Transparency log entry: {i}"),
        }
    } else if !v.tlog_verified {
        println!("Transparency log: not checked (--insecure-ignore-tlog)");
    }
    for t in &v.timestamps {
        println!("Signed timestamp: {t}");
    }
}
