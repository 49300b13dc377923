//! `helm prov`: sign charts and verify them against their provenance files.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use sequoia_openpgp::crypto::Password;
use sequoia_openpgp::Cert;
use serde::Serialize;
use thiserror::Error;

use crate::chart::{self, digest};
use crate::cli::{output, render_error, EnvSettings};
use crate::fileutil;
use crate::getter::{self, GetError};
use crate::net::{SafeUrl, Secret};
use crate::parallel;
use crate::provenance::{self, KeyringError, Policy, SignError, Verification, VerifyError};
use crate::repo::{RepoSource, SourceError};

#[derive(Debug, Error)]
pub enum ProvError {
    #[error("cannot read the passphrase from {}", .path.display())]
    Passphrase {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Output(#[from] output::OutputError),
    #[error("{}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Keyring(#[from] KeyringError),
    #[error("{}", .path.display())]
    Sign { path: PathBuf, source: SignError },
    #[error(transparent)]
    Key(SignError),
    #[error("{}", .path.display())]
    Chart {
        path: PathBuf,
        source: chart::LoadError,
    },
    #[error("{}", .target.display())]
    Locate {
        target: PathBuf,
        source: SourceError,
    },
    #[error("{}", .target.display())]
    Download { target: PathBuf, source: GetError },
    #[error("{}: failed to fetch provenance", .target.display())]
    DownloadProv { target: PathBuf, source: GetError },
    #[error("{}: unpacked charts cannot be verified", .path.display())]
    Unpacked { path: PathBuf },
    #[error("{}: chart must be a tgz file", .path.display())]
    NotTgz { path: PathBuf },
    #[error("{}: could not load provenance file {}", .path.display(), .prov.display())]
    NoProv {
        path: PathBuf,
        prov: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", .path.display())]
    Verify { path: PathBuf, source: VerifyError },
}

/// Options of `helm prov sign`.
#[derive(Debug, Default)]
pub struct SignOptions {
    pub charts: Vec<PathBuf>,
    pub key: Option<String>,
    pub keyring: Option<PathBuf>,
    /// The passphrase, already read (first line of the file or stdin).
    pub passphrase: Option<Secret>,
}

/// Signs each chart, writing `CHART.tgz.prov` beside it; returns the files
/// written.
pub fn sign(o: &SignOptions) -> Result<Vec<PathBuf>, ProvError> {
    // With --keyring, an exported secret keyring; without, the certificate
    // from the GnuPG home and the secret held by gpg-agent.
    let (ring_path, agent) = match &o.keyring {
        Some(p) => (p.clone(), false),
        None => (provenance::default_keyring(), true),
    };
    let certs = provenance::load_keyring(&ring_path)?;
    let cert = provenance::select_key(&certs, o.key.as_deref()).map_err(ProvError::Key)?;
    let mut password = o.passphrase.as_ref().map(|p| Password::from(p.expose()));
    if !agent && password.is_none() && provenance::needs_passphrase(cert) {
        // No passphrase file: ask on the terminal, as Helm does.
        password = Some(provenance::prompt_passphrase(cert).map_err(ProvError::Key)?);
    }
    // The agent's key is chosen once; each chart is one request to it.
    let signer = if agent {
        Some(
            provenance::agent_keypair(cert, &provenance::gnupg_home(), password.as_ref())
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
        let archive = chart::read_archive(path).map_err(io)?;
        let md = chart::load_bytes(&archive).map_err(|source| ProvError::Chart {
            path: path.clone(),
            source,
        })?;
        let name = file_name(path);
        let body = provenance::message_block(&md, &name, &digest(&archive)).map_err(io)?;
        let sign_err = |source| ProvError::Sign {
            path: path.clone(),
            source,
        };
        let prov = match &signer {
            Some(signer) => provenance::clearsign(&body, signer.clone()).map_err(sign_err)?,
            None => {
                let kp = provenance::keypair(cert, password.as_ref()).map_err(sign_err)?;
                provenance::clearsign(&body, kp).map_err(sign_err)?
            }
        };
        let out = provenance::prov_path(path);
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

/// The verdict on one chart.
#[derive(Debug)]
pub struct Verdict {
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
pub fn verify(o: &VerifyOptions, settings: &EnvSettings) -> Result<Vec<Verdict>, ProvError> {
    let ring_path = o
        .keyring
        .clone()
        .unwrap_or_else(provenance::default_keyring);
    let certs = provenance::load_keyring(&ring_path)?;
    let policy = Policy {
        allow_weak: o.allow_weak,
    };
    let list = charts(&o.targets);
    Ok(parallel::map(&list, |path| Verdict {
        path: path.clone(),
        result: if is_repo_ref(path) {
            verify_remote(path, o, settings, &certs, policy)
        } else {
            verify_one(path, &certs, policy)
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
    certs: &[Cert],
    policy: Policy,
) -> Result<Verification, ProvError> {
    let spec = target.to_string_lossy();
    let (repo, chart) = spec.split_once('/').unwrap_or((&spec, ""));
    let (_, loc) = RepoSource::named(repo, settings)
        .and_then(|src| src.locate(chart, o.version.as_deref()))
        .map_err(|source| ProvError::Locate {
            target: target.to_path_buf(),
            source,
        })?;
    let archive = getter::get(&loc.url, &loc.options).map_err(|source| ProvError::Download {
        target: target.to_path_buf(),
        source,
    })?;
    let prov_url = SafeUrl::from(format!("{}.prov", loc.url.expose()));
    let prov = getter::get(&prov_url, &loc.options).map_err(|source| ProvError::DownloadProv {
        target: target.to_path_buf(),
        source,
    })?;
    let v =
        provenance::verify(&archive, &prov, &loc.file_name, certs, policy).map_err(|source| {
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

fn verify_one(path: &Path, certs: &[Cert], policy: Policy) -> Result<Verification, ProvError> {
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
    let archive = chart::read_archive(path).map_err(|source| ProvError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let prov_file = provenance::prov_path(path);
    let prov = provenance::read_prov(&prov_file).map_err(|source| ProvError::NoProv {
        path: path.to_path_buf(),
        prov: prov_file.clone(),
        source,
    })?;
    provenance::verify(&archive, &prov, &file_name(path), certs, policy).map_err(|source| {
        ProvError::Verify {
            path: path.to_path_buf(),
            source,
        }
    })
}

/// One chart's verdict, as `-o json` prints it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifyReport {
    pub chart: String,
    pub verified: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed_by: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chart_hash: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl From<&Verdict> for VerifyReport {
    fn from(o: &Verdict) -> VerifyReport {
        let chart = o.path.display().to_string();
        match &o.result {
            Ok(v) => VerifyReport {
                chart,
                verified: true,
                signed_by: Some(v.signed_by.clone()),
                fingerprint: Some(v.fingerprint.clone()),
                signing_key: Some(v.signing_key.clone()),
                chart_hash: Some(v.file_hash.clone()),
                warnings: v.warnings.clone(),
                error: None,
            },
            Err(e) => VerifyReport {
                chart,
                verified: false,
                signed_by: None,
                fingerprint: None,
                signing_key: None,
                chart_hash: None,
                warnings: Vec::new(),
                error: Some(render_error(e)),
            },
        }
    }
}

/// `helm verify`'s lines on stdout for each verified chart (under the
/// chart's name when there are several), warnings and errors on stderr.
pub fn print_verify(reports: &[VerifyReport]) {
    let many = reports.len() > 1;
    for r in reports {
        if !r.verified {
            continue;
        }
        if many {
            println!("{}:", r.chart);
        }
        for s in r.signed_by.iter().flatten() {
            println!("Signed by: {s}");
        }
        println!(
            "Using Key With Fingerprint: {}",
            r.fingerprint.as_deref().unwrap_or("")
        );
        println!(
            "Chart Hash Verified: {}",
            r.chart_hash.as_deref().unwrap_or("")
        );
    }
}

/// Warnings and errors of a verification, on stderr in either format.
pub fn print_verify_diagnostics(reports: &[VerifyReport]) {
    for r in reports {
        for w in &r.warnings {
            output::warn(format!("{}: {w}", r.chart));
        }
        if let Some(e) = &r.error {
            eprintln!("Error: {e}");
        }
    }
}

/// The largest `--passphrase-file` read; only its first line is used.
const MAX_PASSPHRASE_FILE_SIZE: u64 = 1024 * 1024;

/// The first line of the passphrase file (Helm's rule), or of stdin for `-`.
pub fn read_passphrase(spec: &str) -> Result<Secret, ProvError> {
    let fail = |source| ProvError::Passphrase {
        path: PathBuf::from(spec),
        source,
    };
    let mut line = String::new();
    if spec == "-" {
        std::io::stdin().lock().read_line(&mut line).map_err(fail)?;
    } else {
        let data =
            fileutil::read_regular(Path::new(spec), MAX_PASSPHRASE_FILE_SIZE).map_err(fail)?;
        let s = String::from_utf8(data).map_err(|_| {
            fail(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "stream did not contain valid UTF-8",
            ))
        })?;
        line = s.lines().next().unwrap_or("").to_string();
    }
    Ok(Secret::from(line.trim_end_matches(['\r', '\n'])))
}

/// The table form of a signing run: nothing but the debug log, as `helm
/// package --sign` prints nothing about the signature.
pub fn print_signed(written: &[PathBuf]) {
    for w in written {
        crate::debug!("wrote {}", w.display());
    }
}
