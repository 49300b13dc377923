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
use crate::getter::{self, Body, GetError};
use crate::net::{SafeUrl, Secret};
use crate::parallel;
use crate::provenance::{
    self, FileError, KeyringError, Policy, SignError, Verification, VerifyError,
};
use crate::registry::{self, Client, ClientOptions, Credential, RegistryError};
use crate::repo::{RepoSource, SourceError};

#[derive(Debug, Error)]
pub enum ProvError {
    #[error("cannot read the passphrase from {}", .path.display())]
    Passphrase { path: PathBuf, source: FileError },
    #[error("cannot read the registry password from standard input")]
    RegistryPassword(#[source] FileError),
    #[error(transparent)]
    Output(#[from] output::OutputError),
    #[error("{}", .path.display())]
    Io { path: PathBuf, source: FileError },
    #[error("{}: no such file or folder", .path.display())]
    Missing { path: PathBuf },
    #[error("{}: no chart archives (.tgz) in this folder", .path.display())]
    NoArchives { path: PathBuf },
    #[error("{}: unpacked charts cannot be signed: package the chart first (helm package)", .path.display())]
    UnpackedSign { path: PathBuf },
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
    #[error("{}", .target.display())]
    Registry {
        target: PathBuf,
        source: RegistryError,
    },
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
        source: FileError,
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

/// The outcome of signing one chart: the `.prov` written, or why not.
#[derive(Debug)]
pub struct Signed {
    pub path: PathBuf,
    pub result: Result<PathBuf, ProvError>,
}

/// A signing run: each chart's outcome, and what the user should know
/// about the key (that Helm 3 cannot verify its signatures).
#[derive(Debug)]
pub struct Signing {
    pub charts: Vec<Signed>,
    pub warnings: Vec<String>,
}

/// Signs each chart (a folder stands for every `.tgz` in it, as for
/// `verify`), writing `CHART.tgz.prov` beside it. The key is chosen once;
/// a chart that cannot be signed does not stop the others.
pub fn sign(o: &SignOptions) -> Result<Signing, ProvError> {
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
    let sign_one = |path: &Path| -> Result<PathBuf, ProvError> {
        check_local(path, Verb::Sign)?;
        let io = |e| ProvError::Io {
            path: path.to_path_buf(),
            source: FileError(e),
        };
        let archive = chart::read_archive(path).map_err(io)?;
        let md = chart::load_bytes(&archive).map_err(|source| ProvError::Chart {
            path: path.to_path_buf(),
            source,
        })?;
        let name = file_name(path);
        let body = provenance::message_block(&md, &name, &digest(&archive)).map_err(io)?;
        let sign_err = |source| ProvError::Sign {
            path: path.to_path_buf(),
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
        fileutil::atomic_write(&out, |w| w.write_all(&prov)).map_err(|e| ProvError::Io {
            path: out.clone(),
            source: FileError(e),
        })?;
        Ok(out)
    };
    let signed: Vec<Signed> = charts(&o.charts)
        .into_iter()
        .map(|path| Signed {
            result: sign_one(&path),
            path,
        })
        .collect();
    let warnings = signed
        .iter()
        .any(|s| s.result.is_ok())
        .then(|| provenance::helm3_cannot_verify(cert))
        .flatten()
        .into_iter()
        .collect();
    Ok(Signing {
        charts: signed,
        warnings,
    })
}

/// What is done to a local target, for the error about one that is not an
/// archive.
#[derive(Debug, Clone, Copy)]
enum Verb {
    Sign,
    Verify,
}

/// Why a local target cannot be signed or verified before it is read: it
/// does not exist, or it is a folder without archives (an unpacked chart,
/// or none at all).
fn check_local(path: &Path, verb: Verb) -> Result<(), ProvError> {
    let path_buf = || path.to_path_buf();
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(ProvError::Missing { path: path_buf() })
        }
        Err(e) => Err(ProvError::Io {
            path: path_buf(),
            source: FileError(e),
        }),
        Ok(m) if m.is_dir() => Err(if let Err(e) = std::fs::read_dir(path) {
            ProvError::Io {
                path: path_buf(),
                source: FileError(e),
            }
        } else if path.join("Chart.yaml").is_file() {
            match verb {
                Verb::Sign => ProvError::UnpackedSign { path: path_buf() },
                Verb::Verify => ProvError::Unpacked { path: path_buf() },
            }
        } else {
            ProvError::NoArchives { path: path_buf() }
        }),
        Ok(_) => Ok(()),
    }
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
    /// For `REPO/CHART` targets: the chart version (default: newest stable);
    /// for `oci://` targets, the tag's version (required unless the
    /// reference carries a tag).
    pub version: Option<String>,
    /// For `REPO/CHART` and `oci://` targets: where to write the chart and
    /// its `.prov` once they verified.
    pub destination: Option<PathBuf>,
    /// For `oci://` targets: how to reach the registry.
    pub registry: ClientOptions,
    /// For `oci://` targets: `--username`; with `password`, replaces the
    /// credentials `helm registry login` stored.
    pub username: Option<String>,
    pub password: Option<Secret>,
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
        result: if is_oci_ref(path) {
            verify_oci(path, o, settings, &certs, policy)
        } else if is_repo_ref(path) {
            verify_remote(path, o, settings, &certs, policy)
        } else {
            verify_one(path, &certs, policy)
        },
    }))
}

/// `oci://HOST/PATH/CHART`.
fn is_oci_ref(p: &Path) -> bool {
    p.as_os_str().to_string_lossy().starts_with("oci://")
}

/// Pulls a chart and its `.prov` from a registry into memory, as `helm pull
/// --verify` does, verifies them, and only then writes them to the
/// destination, named as Helm names them (`NAME-VERSION.tgz` from the
/// chart's metadata).
fn verify_oci(
    target: &Path,
    o: &VerifyOptions,
    settings: &EnvSettings,
    certs: &[Cert],
    policy: Policy,
) -> Result<Verification, ProvError> {
    let spec = target.as_os_str().to_string_lossy();
    let oci = |source| ProvError::Registry {
        target: target.to_path_buf(),
        source,
    };
    let r = registry::parse_chart_ref(&spec, o.version.as_deref()).map_err(oci)?;
    let credential = match (&o.username, &o.password) {
        (Some(u), Some(p)) => Credential::Basic {
            username: u.clone(),
            password: p.clone(),
        },
        (None, None) => registry::lookup_credential(&r.reference.host, &settings.registry_config)
            .map_err(oci)?,
        _ => return Err(oci(RegistryError::UsernameWithoutPassword)),
    };
    let client = Client::new(&r.reference.host, credential, &o.registry).map_err(oci)?;
    let pulled = registry::pull(&client, &r.reference, true).map_err(oci)?;
    let prov = pulled.prov.unwrap_or_default();
    let md = chart::load_bytes(&pulled.chart).map_err(|source| ProvError::Chart {
        path: target.to_path_buf(),
        source,
    })?;
    let file_name = format!("{}-{}.tgz", md.name, md.version);
    crate::debug!(
        "{}: manifest {}, chart {file_name}",
        r.reference,
        pulled.manifest_digest
    );
    let v =
        provenance::verify(&pulled.chart, &prov, &file_name, certs, policy).map_err(|source| {
            ProvError::Verify {
                path: target.to_path_buf(),
                source,
            }
        })?;
    if let Some(dest) = &o.destination {
        write_verified(dest, &file_name, &pulled.chart, &prov)?;
    }
    Ok(v)
}

/// Writes a verified chart and its `.prov` into `dest`.
fn write_verified(
    dest: &Path,
    file_name: &str,
    archive: &[u8],
    prov: &[u8],
) -> Result<(), ProvError> {
    for (name, data) in [
        (file_name.to_string(), archive),
        (format!("{file_name}.prov"), prov),
    ] {
        let out = dest.join(name);
        fileutil::atomic_write(&out, |w| w.write_all(data)).map_err(|e| ProvError::Io {
            path: out.clone(),
            source: FileError(e),
        })?;
    }
    Ok(())
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
    let archive = getter::get(&loc.url, &loc.options, Body::Archive).map_err(|source| {
        ProvError::Download {
            target: target.to_path_buf(),
            source,
        }
    })?;
    let prov_url = SafeUrl::from(format!("{}.prov", loc.url.expose()));
    let prov = getter::get(&prov_url, &loc.options, Body::Provenance).map_err(|source| {
        ProvError::DownloadProv {
            target: target.to_path_buf(),
            source,
        }
    })?;
    let v =
        provenance::verify(&archive, &prov, &loc.file_name, certs, policy).map_err(|source| {
            ProvError::Verify {
                path: target.to_path_buf(),
                source,
            }
        })?;
    if let Some(dest) = &o.destination {
        write_verified(dest, &loc.file_name, &archive, &prov)?;
    }
    Ok(v)
}

fn verify_one(path: &Path, certs: &[Cert], policy: Policy) -> Result<Verification, ProvError> {
    check_local(path, Verb::Verify)?;
    if !is_tgz(path) {
        return Err(ProvError::NotTgz {
            path: path.to_path_buf(),
        });
    }
    let archive = chart::read_archive(path).map_err(|e| ProvError::Io {
        path: path.to_path_buf(),
        source: FileError(e),
    })?;
    let prov_file = provenance::prov_path(path);
    let prov = provenance::read_prov(&prov_file).map_err(|e| ProvError::NoProv {
        path: path.to_path_buf(),
        prov: prov_file.clone(),
        source: FileError(e),
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

/// The registry password from standard input (`--password-stdin`), without
/// its line ending.
pub fn read_registry_password_stdin() -> Result<Secret, ProvError> {
    let mut s = String::new();
    std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
        .map_err(|e| ProvError::RegistryPassword(FileError(e)))?;
    Ok(Secret::from(s.trim_end_matches(['\r', '\n'])))
}

/// The largest `--passphrase-file` read; only its first line is used.
const MAX_PASSPHRASE_FILE_SIZE: u64 = 1024 * 1024;

/// The first line of the passphrase file (Helm's rule), or of stdin for `-`.
pub fn read_passphrase(spec: &str) -> Result<Secret, ProvError> {
    let fail = |e| ProvError::Passphrase {
        path: PathBuf::from(spec),
        source: FileError(e),
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

/// One chart's outcome of `helm prov sign`, as `-o json` prints it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignReport {
    pub chart: String,
    pub signed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prov: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl From<&Signed> for SignReport {
    fn from(s: &Signed) -> SignReport {
        let chart = s.path.display().to_string();
        match &s.result {
            Ok(prov) => SignReport {
                chart,
                signed: true,
                prov: Some(prov.display().to_string()),
                error: None,
            },
            Err(e) => SignReport {
                chart,
                signed: false,
                prov: None,
                error: Some(render_error(e)),
            },
        }
    }
}

/// The table form of a signing run: one summary line on stderr when every
/// chart was signed, unless `quiet` (the error lines come from
/// [`print_sign_diagnostics`]).
pub fn print_signed(reports: &[SignReport], quiet: bool) {
    for r in reports {
        if let Some(p) = &r.prov {
            crate::debug!("wrote {p}");
        }
    }
    let signed = reports.iter().filter(|r| r.prov.is_some()).count();
    // On success only: a failure has its own lines and the exit status.
    if !quiet && signed == reports.len() {
        eprintln!("Signed {signed} chart(s)");
    }
}

/// The error line of each chart that was not signed, on stderr in either
/// format.
pub fn print_sign_diagnostics(reports: &[SignReport]) {
    for r in reports {
        if let Some(e) = &r.error {
            eprintln!("Error: {e}");
        }
    }
}
