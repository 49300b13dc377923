//! `helm prov`: sign charts and verify them against their provenance files.

use std::path::{Path, PathBuf};

use sequoia_openpgp::crypto::Password;
use thiserror::Error;

use crate::chart;
use crate::cli::EnvSettings;
use crate::fileutil;
use crate::getter;
use crate::parallel;
use crate::provenance::keyring::{self, KeyringError};
use crate::provenance::sign::{self, SignError};
use crate::provenance::verify::{self, Verification, VerifyError};
use crate::provenance::{digest, message};
use crate::repo::chartrepo;

#[derive(Debug, Error)]
pub enum ProvError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Keyring(#[from] KeyringError),
    #[error("{path}: {source}")]
    Sign { path: PathBuf, source: SignError },
    #[error("{0}")]
    Key(SignError),
    #[error("{path}: {reason}")]
    Chart { path: PathBuf, reason: String },
    #[error("{path}: unpacked charts cannot be verified")]
    Unpacked { path: PathBuf },
    #[error("{path}: chart must be a tgz file")]
    NotTgz { path: PathBuf },
    #[error("{path}: could not load provenance file {prov}: {source}")]
    NoProv {
        path: PathBuf,
        prov: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Verify { path: PathBuf, source: VerifyError },
}

/// Options of `helm prov sign`.
#[derive(Debug, Default)]
pub struct SignOptions {
    pub charts: Vec<PathBuf>,
    pub key: Option<String>,
    pub keyring: Option<PathBuf>,
    /// The passphrase, already read (first line of the file or stdin).
    pub passphrase: Option<String>,
}

/// Signs each chart, writing `CHART.tgz.prov` beside it; returns the files
/// written.
pub fn sign(o: &SignOptions) -> Result<Vec<PathBuf>, ProvError> {
    // With --keyring, an exported secret keyring; without, the certificate
    // from the GnuPG home and the secret held by gpg-agent.
    let (ring_path, agent) = match &o.keyring {
        Some(p) => (p.clone(), false),
        None => (keyring::default_keyring(), true),
    };
    let certs = keyring::load(&ring_path)?;
    let cert = sign::select(&certs, o.key.as_deref()).map_err(ProvError::Key)?;
    let mut password = o.passphrase.as_deref().map(Password::from);
    if !agent && password.is_none() && sign::needs_passphrase(cert) {
        // No passphrase file: ask on the terminal, as Helm does.
        password = Some(sign::prompt_passphrase(cert).map_err(ProvError::Key)?);
    }
    // The agent's key is chosen once; each chart is one request to it.
    let signer = if agent {
        Some(
            sign::agent_keypair(cert, &keyring::gnupg_home(), password.as_ref())
                .map_err(ProvError::Key)?,
        )
    } else {
        None
    };
    let mut written = Vec::new();
    for path in &o.charts {
        let io = |source| ProvError::Io {
            path: path.clone(),
            source,
        };
        let archive = std::fs::read(path).map_err(io)?;
        let md = chart::load_bytes(&archive).map_err(|e| ProvError::Chart {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        let name = file_name(path);
        let body = message::message_block(&md, &name, &digest(&archive)).map_err(io)?;
        let sign_err = |source| ProvError::Sign {
            path: path.clone(),
            source,
        };
        let prov = match &signer {
            Some(signer) => sign::clearsign(&body, signer.clone()).map_err(sign_err)?,
            None => {
                let kp = sign::keypair(cert, password.as_ref()).map_err(sign_err)?;
                sign::clearsign(&body, kp).map_err(sign_err)?
            }
        };
        let out = prov_path(path);
        fileutil::atomic_write(&out, |w| w.write_all(&prov)).map_err(|source| ProvError::Io {
            path: out.clone(),
            source,
        })?;
        written.push(out);
    }
    Ok(written)
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn prov_path(p: &Path) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(".prov");
    PathBuf::from(s)
}

/// Options of `helm prov verify`.
#[derive(Debug, Default)]
pub struct VerifyOptions {
    pub targets: Vec<PathBuf>,
    pub keyring: Option<PathBuf>,
    pub allow_weak: bool,
    /// For `REPO/CHART` targets: the chart version (default: newest stable).
    pub version: Option<String>,
    /// For `REPO/CHART` targets: where to write the chart and its `.prov`
    /// once they verified.
    pub destination: Option<PathBuf>,
}

/// The outcome for one chart.
#[derive(Debug)]
pub struct Outcome {
    pub path: PathBuf,
    pub result: Result<Verification, ProvError>,
}

/// Expands targets: a folder stands for every `.tgz` in it.
fn charts(targets: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for t in targets {
        if t.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(t)
                .map(|rd| {
                    rd.flatten()
                        .map(|e| e.path())
                        .filter(|p| p.is_file() && is_tgz(p))
                        .collect()
                })
                .unwrap_or_default();
            if found.is_empty() {
                out.push(t.clone());
            }
            found.sort();
            out.extend(found);
        } else {
            out.push(t.clone());
        }
    }
    out
}

/// Helm's `isTar`: the `.tgz` extension, in any case.
fn is_tgz(p: &Path) -> bool {
    p.extension().is_some_and(|e| e.eq_ignore_ascii_case("tgz"))
}

/// Verifies every target, in parallel.
pub fn verify(o: &VerifyOptions, settings: &EnvSettings) -> Result<Vec<Outcome>, ProvError> {
    let ring_path = o.keyring.clone().unwrap_or_else(keyring::default_keyring);
    let certs = keyring::load(&ring_path)?;
    let opts = verify::Options {
        allow_weak: o.allow_weak,
    };
    let list = charts(&o.targets);
    Ok(parallel::map(&list, |path| Outcome {
        path: path.clone(),
        result: if is_repo_ref(path) {
            verify_remote(path, o, settings, &certs, opts)
        } else {
            verify_one(path, &certs, opts)
        },
    }))
}

/// `REPO/CHART`: not a path that exists, one slash, no `.tgz`.
fn is_repo_ref(p: &Path) -> bool {
    let s = p.to_string_lossy();
    !p.exists() && s.matches('/').count() == 1 && !s.starts_with('/') && !is_tgz(p)
}

/// Downloads a chart and its `.prov` into memory, verifies them, and only
/// then writes them to the destination (Helm writes first, then verifies).
fn verify_remote(
    target: &Path,
    o: &VerifyOptions,
    settings: &EnvSettings,
    certs: &[sequoia_openpgp::Cert],
    opts: verify::Options,
) -> Result<Verification, ProvError> {
    let fail = |reason: String| ProvError::Chart {
        path: target.to_path_buf(),
        reason,
    };
    let spec = target.to_string_lossy();
    let (repo, chart) = spec.split_once('/').unwrap_or((&spec, ""));
    let loc = chartrepo::locate(settings, repo, chart, o.version.as_deref())
        .map_err(|e| fail(e.to_string()))?;
    let archive = getter::get(&loc.url, &loc.options).map_err(|e| fail(e.to_string()))?;
    let prov = getter::get(&format!("{}.prov", loc.url), &loc.options)
        .map_err(|e| fail(format!("failed to fetch provenance: {e}")))?;
    let v = verify::verify(&archive, &prov, &loc.file_name, certs, opts).map_err(|source| {
        ProvError::Verify {
            path: target.to_path_buf(),
            source,
        }
    })?;
    if let Some(dest) = &o.destination {
        for (name, data) in [
            (loc.file_name.clone(), &archive),
            (format!("{}.prov", loc.file_name), &prov),
        ] {
            let out = dest.join(name);
            fileutil::atomic_write(&out, |w| w.write_all(data)).map_err(|source| {
                ProvError::Io {
                    path: out.clone(),
                    source,
                }
            })?;
        }
    }
    Ok(v)
}

fn verify_one(
    path: &Path,
    certs: &[sequoia_openpgp::Cert],
    opts: verify::Options,
) -> Result<Verification, ProvError> {
    if path.is_dir() {
        return Err(ProvError::Unpacked {
            path: path.to_path_buf(),
        });
    }
    if !is_tgz(path) {
        return Err(ProvError::NotTgz {
            path: path.to_path_buf(),
        });
    }
    let archive = std::fs::read(path).map_err(|source| ProvError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let prov_file = prov_path(path);
    let prov = std::fs::read(&prov_file).map_err(|source| ProvError::NoProv {
        path: path.to_path_buf(),
        prov: prov_file.clone(),
        source,
    })?;
    verify::verify(&archive, &prov, &file_name(path), certs, opts).map_err(|source| {
        ProvError::Verify {
            path: path.to_path_buf(),
            source,
        }
    })
}
