//! `helm prov`: sign charts and verify them against their provenance files
//! and Sigstore bundles.

mod oci;
mod sigstore;

use std::io::BufRead;
use std::path::{Path, PathBuf};

use sequoia_openpgp::crypto::Password;
use sequoia_openpgp::Cert;
use serde::Serialize;
use thiserror::Error;

use crate::chart::{self, digest};
use crate::cli::{output, render_error, EnvSettings, Progress};
use crate::fileutil;
use crate::getter::{self, Body, GetError};
use crate::net::{SafeUrl, Secret};
use crate::parallel;
use crate::plugin;
use crate::provenance::{
    self, FileError, KeyringError, Policy, SignError, Verification, VerifyError,
};
use crate::registry::{self, Client, RegistryError};
use crate::repo::{RepoSource, SourceError};
use crate::sigstore::{SigstoreError, Verified};

pub use oci::{manifest_signer, OciSigned, RegistryAccess, SigstoreFormat};
pub use sigstore::{
    cosign_password, keygen, print_trust_update, trust_update, Keygen, KeygenOptions, Require,
    SigstoreOptions, SigstoreReport, SigstoreSign, TrustUpdateOptions,
};

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
    #[error("{}: a plugin tarball", .path.display())]
    Plugin {
        path: PathBuf,
        #[source]
        source: plugin::PluginError,
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
    #[error("{}: failed to fetch the Sigstore bundle", .target.display())]
    DownloadBundle { target: PathBuf, source: GetError },
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
    #[error(transparent)]
    Sigstore(#[from] SigstoreError),
    #[error("--bundle names the bundle of one file, and {targets} files are to be verified")]
    BundleForMany { targets: usize },
    #[error("{}: no Sigstore bundle {} beside it (or give --bundle FILE)", .path.display(), .bundle.display())]
    NoBundle { path: PathBuf, bundle: PathBuf },
    #[error("{target}: no Sigstore signatures are attached (neither a bundle referrer nor a legacy .sig signature)")]
    NoOciSignatures { target: String },
    #[error(
        "{target}: none of the {tried} Sigstore signatures attached verifies; the last: {last}"
    )]
    NoneVerified {
        target: String,
        tried: usize,
        last: Box<ProvError>,
    },
    #[error("{}: --bundle names a file beside a local file; a chart in a registry keeps its signatures there", .target.display())]
    BundleForRegistry { target: PathBuf },
    #[error("{}: neither a provenance file nor a Sigstore bundle beside it", .path.display())]
    Unsigned { path: PathBuf },
    #[error("cosign key password: {0}")]
    CosignPassword(&'static str),
    #[error("{}: already exists; a new key is not written over it", .path.display())]
    KeyExists { path: PathBuf },
    #[error("{}: charts in registries are signed with Sigstore: add --sigstore --key cosign.key (their .prov is pushed with the chart: helm ocipush)", .target.display())]
    OciNeedsSigstore { target: PathBuf },
    #[error("keyless signatures need the transparency log: their certificate is valid for minutes, and only the log's time shows it was signed in them (drop --tlog-upload=false, or sign with --key)")]
    KeylessNeedsLog,
    #[error(
        "keygen makes cosign key pairs: add --sigstore (OpenPGP keys come from gpg --gen-key)"
    )]
    KeygenNeedsSigstore,
}

/// Options of `helm prov sign`.
#[derive(Debug, Default)]
pub struct SignOptions {
    pub charts: Vec<PathBuf>,
    pub key: Option<String>,
    pub keyring: Option<PathBuf>,
    /// The passphrase, already read (first line of the file or stdin).
    pub passphrase: Option<Secret>,
    /// `--sigstore`: a Sigstore bundle instead of a `.prov`; `key` is then
    /// a cosign key file.
    pub sigstore: Option<SigstoreSign>,
    /// For `oci://` targets: how to reach the registry.
    pub registry: RegistryAccess,
}

/// The outcome of signing one chart: what was written, or why not.
#[derive(Debug)]
pub struct Signed {
    pub path: PathBuf,
    pub result: Result<Written, ProvError>,
}

/// What signing one target wrote.
#[derive(Debug)]
pub enum Written {
    Prov(PathBuf),
    Bundle(PathBuf),
    /// Signatures stored beside a chart's manifest in its registry.
    Registry(OciSigned),
}

/// A signing run: each chart's outcome, and what the user should know
/// about the key (that Helm 3 cannot verify its signatures).
#[derive(Debug)]
pub struct Signing {
    pub charts: Vec<Signed>,
    pub warnings: Vec<String>,
}

impl Signing {
    /// Each chart's report, as `-o json` prints them.
    pub fn reports(&self) -> Vec<SignReport> {
        self.charts.iter().map(SignReport::from).collect()
    }
}

/// Signs each chart (a folder stands for every `.tgz` in it, as for
/// `verify`), writing `CHART.tgz.prov` beside it. The key is chosen once;
/// a chart that cannot be signed does not stop the others.
pub fn sign(o: &SignOptions, settings: &EnvSettings) -> Result<Signing, ProvError> {
    if let Some(s) = &o.sigstore {
        return sign_sigstore(o, s, settings);
    }
    if let Some(t) = o.charts.iter().find(|t| oci::is_oci_ref(t)) {
        return Err(ProvError::OciNeedsSigstore { target: t.clone() });
    }
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
    let sign_one = |path: &Path| -> Result<Written, ProvError> {
        check_local(path, Verb::Sign)?;
        let io = |e| ProvError::Io {
            path: path.to_path_buf(),
            source: FileError(e),
        };
        let archive = chart::read_archive(path).map_err(io)?;
        let name = file_name(path);
        let body = match chart::load_bytes(&archive) {
            Ok(md) => provenance::message_block(&md, &name, &digest(&archive)).map_err(io)?,
            // A Helm plugin tarball (no Chart.yaml, a plugin.yaml): signed
            // as `helm plugin package --sign` does.
            Err(_) if plugin::is_plugin_tarball(&archive) => {
                let md = plugin::read_metadata(&archive).map_err(|source| ProvError::Plugin {
                    path: path.to_path_buf(),
                    source,
                })?;
                provenance::plugin_message_block(&md, &name, &digest(&archive)).map_err(io)?
            }
            Err(source) => {
                return Err(ProvError::Chart {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
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
        Ok(Written::Prov(out))
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

/// `helm prov sign --sigstore --key cosign.key`: a bundle beside each file
/// (any file, as `cosign sign-blob` signs any file), and for `oci://`
/// targets signatures beside the chart's manifest, as `cosign sign` stores
/// them.
fn sign_sigstore(
    o: &SignOptions,
    s: &SigstoreSign,
    env: &EnvSettings,
) -> Result<Signing, ProvError> {
    let list = charts(&o.charts);
    if s.bundle.is_some() && list.len() > 1 {
        return Err(ProvError::BundleForMany {
            targets: list.len(),
        });
    }
    if let Some(t) = list
        .iter()
        .find(|t| oci::is_oci_ref(t))
        .filter(|_| s.bundle.is_some())
    {
        return Err(ProvError::BundleForRegistry { target: t.clone() });
    }
    let legacy = s.format != SigstoreFormat::Bundle && list.iter().any(|t| oci::is_oci_ref(t));
    let run = sigstore::SigningRun::new(s, env, o.key.is_none(), legacy)?;
    let key = sigstore::signing_identity(o.key.as_deref().map(Path::new), s, &run.services)?;
    let settings = run.settings();
    let clients = oci::Clients::new(&o.registry, env);
    let charts = parallel::map_with(&list, workers(&list), |path| Signed {
        result: if oci::is_oci_ref(path) {
            oci::sign(path, &key, settings, s.format, &clients).map(Written::Registry)
        } else {
            check_local(path, Verb::Sign)
                .and_then(|()| sigstore::sign_local(path, &key, settings, s.bundle.as_deref()))
                .map(Written::Bundle)
        },
        path: path.clone(),
    });
    Ok(Signing {
        charts,
        warnings: Vec::new(),
    })
}

/// Targets handled at once: one per core, or more when some are in
/// registries or repositories, whose time goes in waiting for answers.
fn workers(targets: &[PathBuf]) -> usize {
    if targets.iter().any(|t| oci::is_oci_ref(t) || is_repo_ref(t)) {
        oci::REMOTE_WORKERS
    } else {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
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
    pub registry: RegistryAccess,
    /// Which signatures must verify.
    pub require: Require,
    pub sigstore: SigstoreOptions,
}

/// The verdict on one chart: its `.prov` and its Sigstore bundle, each when
/// checked.
#[derive(Debug)]
pub struct Verdict {
    pub path: PathBuf,
    pub pgp: Option<Result<Verification, ProvError>>,
    pub sigstore: Option<Result<Verified, ProvError>>,
    /// What the user should know but did not ask for (a signature of the
    /// other kind that was not checked).
    pub notes: Vec<String>,
    /// Whether the verdict is a pass, by `--require`.
    pub verified: bool,
}

impl Verdict {
    fn new(
        path: PathBuf,
        require: Require,
        pgp: Option<Result<Verification, ProvError>>,
        sigstore: Option<Result<Verified, ProvError>>,
        notes: Vec<String>,
    ) -> Verdict {
        let verified = passes(
            require,
            matches!(pgp, Some(Ok(_))),
            matches!(sigstore, Some(Ok(_))),
        );
        Verdict {
            path,
            pgp,
            sigstore,
            notes,
            verified,
        }
    }
}

/// Whether the checks that passed are what `--require` asks for.
fn passes(require: Require, pgp_ok: bool, sigstore_ok: bool) -> bool {
    match require {
        Require::Pgp => pgp_ok,
        Require::Sigstore => sigstore_ok,
        Require::All => pgp_ok && sigstore_ok,
        Require::Any => pgp_ok || sigstore_ok,
    }
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

/// Verifies every target, in parallel. The keyring, the Sigstore policy and
/// the trusted root are read once, and only when `--require` needs them.
pub fn verify(o: &VerifyOptions, settings: &EnvSettings) -> Result<Vec<Verdict>, ProvError> {
    let list = charts(&o.targets);
    let certs = if o.require.pgp() {
        let ring_path = o
            .keyring
            .clone()
            .unwrap_or_else(provenance::default_keyring);
        provenance::load_keyring(&ring_path)?
    } else {
        Vec::new()
    };
    if o.sigstore.bundle.is_some() {
        if let Some(t) = list.iter().find(|t| oci::is_oci_ref(t)) {
            return Err(ProvError::BundleForRegistry { target: t.clone() });
        }
    }
    let prepared = if o.require.sigstore() {
        Some(sigstore::prepare(&o.sigstore, list.len(), settings)?)
    } else {
        None
    };
    let policy = Policy {
        allow_weak: o.allow_weak,
    };
    let clients = oci::Clients::new(&o.registry, settings);
    let bar = if list.len() > 1 {
        Progress::start("verifying", "charts", list.len() as u64)
    } else {
        Progress::hidden()
    };
    let verdicts = parallel::map_with(&list, workers(&list), |path| {
        let v = if oci::is_oci_ref(path) {
            verify_registry(path, o, &clients, &certs, policy, prepared.as_ref())
        } else if is_repo_ref(path) {
            let (pgp, sig) = verify_remote(path, o, settings, &certs, policy, prepared.as_ref());
            Verdict::new(path.clone(), o.require, pgp, sig, Vec::new())
        } else {
            verify_local(path, o.require, &certs, policy, prepared.as_ref())
        };
        bar.advance(1, 0);
        v
    });
    bar.finish();
    Ok(verdicts)
}

/// A chart in a registry: its `.prov` layer, the Sigstore signatures
/// beside its manifest, or both, as `--require` says; without `--sigstore`
/// the signatures found are only noted.
fn verify_registry(
    path: &Path,
    o: &VerifyOptions,
    clients: &oci::Clients,
    certs: &[Cert],
    policy: Policy,
    prepared: Option<&sigstore::Prepared>,
) -> Verdict {
    let (r, client) = match clients.connect(path, o.version.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            let (pgp, sig) = if o.require.sigstore() && !o.require.pgp() {
                (None, Some(Err(e)))
            } else {
                (Some(Err(e)), None)
            };
            return Verdict::new(path.to_path_buf(), o.require, pgp, sig, Vec::new());
        }
    };
    // The tag is resolved once, and with both checks to make the `.prov` is
    // pulled by that digest too, so a tag moved in between cannot pass one
    // manifest's `.prov` off with another's signatures.
    let both = o.require.pgp() && o.require.sigstore();
    let subject = (o.require.sigstore() || o.require == Require::Pgp).then(|| {
        registry::resolve(&client, &r.reference.repository, &r.reference.tag).map_err(|source| {
            ProvError::Registry {
                target: path.to_path_buf(),
                source,
            }
        })
    });
    let mut r = r;
    match subject {
        Some(Err(e)) if both => {
            return Verdict::new(
                path.to_path_buf(),
                o.require,
                Some(Err(e)),
                None,
                Vec::new(),
            )
        }
        Some(Ok(ref s)) if both => r.reference.tag = s.digest.clone(),
        _ => {}
    }
    let mut notes = Vec::new();
    let pgp = o
        .require
        .pgp()
        .then(|| verify_oci(path, &r, &client, o, certs, policy));
    let sig = match (prepared, subject) {
        (Some(p), Some(subject)) if o.require.sigstore() => Some(subject.and_then(|s| {
            let v = oci::verify(path, &r, &s.digest, &client, p);
            notes.extend(v.notes);
            v.result
        })),
        (_, Some(Ok(s))) if o.require == Require::Pgp => {
            let n = registry::count_signatures(&client, &r.reference.repository, &s.digest);
            if n > 0 {
                notes.push(format!(
                    "{n} Sigstore signature(s) attached, not checked: add --sigstore and a \
                     policy (--key, or --certificate-identity with --certificate-oidc-issuer)"
                ));
            }
            None
        }
        _ => None,
    };
    Verdict::new(path.to_path_buf(), o.require, pgp, sig, notes)
}

/// A local target: its `.prov`, its bundle, or both, as `--require` says.
/// With `any`, only the kinds the target has are checked.
fn verify_local(
    path: &Path,
    require: Require,
    certs: &[Cert],
    policy: Policy,
    prepared: Option<&sigstore::Prepared>,
) -> Verdict {
    let bundle = sigstore::bundle_of(path, prepared);
    let has_prov = provenance::prov_path(path).exists();
    let has_bundle = bundle.exists();
    let mut notes = Vec::new();
    let check_pgp = match require {
        Require::Pgp | Require::All => true,
        Require::Sigstore => false,
        Require::Any => has_prov || !has_bundle,
    };
    let check_sigstore = match require {
        Require::Sigstore | Require::All => true,
        Require::Pgp => false,
        Require::Any => has_bundle,
    };
    if require == Require::Pgp && has_bundle {
        notes.push(format!(
            "{} holds a Sigstore signature, not checked: add --sigstore and a policy (--key, or \
             --certificate-identity with --certificate-oidc-issuer)",
            bundle.display()
        ));
    }
    if require == Require::Any && !has_prov && !has_bundle && path.is_file() {
        let e = ProvError::Unsigned {
            path: path.to_path_buf(),
        };
        return Verdict::new(path.to_path_buf(), require, Some(Err(e)), None, notes);
    }
    let pgp = check_pgp.then(|| verify_one(path, certs, policy));
    let sig = match prepared {
        Some(p) if check_sigstore => {
            Some(check_local(path, Verb::Verify).and_then(|()| sigstore::verify_local(path, p)))
        }
        _ => None,
    };
    Verdict::new(path.to_path_buf(), require, pgp, sig, notes)
}

/// Pulls a chart and its `.prov` from a registry into memory, as `helm pull
/// --verify` does, verifies them, and only then writes them to the
/// destination, named as Helm names them (`NAME-VERSION.tgz` from the
/// chart's metadata).
fn verify_oci(
    target: &Path,
    r: &registry::ChartRef,
    client: &Client,
    o: &VerifyOptions,
    certs: &[Cert],
    policy: Policy,
) -> Result<Verification, ProvError> {
    let pulled =
        registry::pull(client, &r.reference, true).map_err(|source| ProvError::Registry {
            target: target.to_path_buf(),
            source,
        })?;
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
    write_files(
        dest,
        &[
            (file_name.to_string(), archive),
            (format!("{file_name}.prov"), prov),
        ],
    )
}

/// Writes each `(name, data)` into `dest`, atomically.
fn write_files(dest: &Path, files: &[(String, &[u8])]) -> Result<(), ProvError> {
    for (name, data) in files {
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

/// The two checks of one target: its `.prov` and its Sigstore signature.
type Checks = (
    Option<Result<Verification, ProvError>>,
    Option<Result<Verified, ProvError>>,
);

/// Downloads a chart and its `.prov` and Sigstore bundle (`CHART.tgz.prov`,
/// `CHART.tgz.sigstore.json` beside it, as `--require` asks) into memory,
/// verifies them, and only when the verdict passes writes them to the
/// destination (Helm writes first, then verifies).
fn verify_remote(
    target: &Path,
    o: &VerifyOptions,
    settings: &EnvSettings,
    certs: &[Cert],
    policy: Policy,
    prepared: Option<&sigstore::Prepared>,
) -> Checks {
    let spec = target.to_string_lossy();
    let (repo, chart) = spec.split_once('/').unwrap_or((&spec, ""));
    let fetched = RepoSource::named(repo, settings)
        .and_then(|src| src.locate(chart, o.version.as_deref()))
        .map_err(|source| ProvError::Locate {
            target: target.to_path_buf(),
            source,
        })
        .and_then(|(_, loc)| {
            getter::get(&loc.url, &loc.options, Body::Archive)
                .map(|a| (loc, a))
                .map_err(|source| ProvError::Download {
                    target: target.to_path_buf(),
                    source,
                })
        });
    let (loc, archive) = match fetched {
        Ok(f) => f,
        Err(e) => {
            return if o.require.pgp() {
                (Some(Err(e)), None)
            } else {
                (None, Some(Err(e)))
            }
        }
    };
    let beside = |suffix: &str| SafeUrl::from(format!("{}{suffix}", loc.url.expose()));
    let mut prov = None;
    let pgp =
        o.require.pgp().then(|| {
            let p = getter::get(&beside(".prov"), &loc.options, Body::Provenance).map_err(
                |source| ProvError::DownloadProv {
                    target: target.to_path_buf(),
                    source,
                },
            )?;
            let v = provenance::verify(&archive, &p, &loc.file_name, certs, policy).map_err(
                |source| ProvError::Verify {
                    path: target.to_path_buf(),
                    source,
                },
            )?;
            prov = Some(p);
            Ok(v)
        });
    let mut bundle = None;
    let sig = prepared.filter(|_| o.require.sigstore()).map(|p| {
        let url = beside(crate::sigstore::BUNDLE_SUFFIX);
        let b = getter::get(&url, &loc.options, Body::Provenance).map_err(|source| {
            ProvError::DownloadBundle {
                target: target.to_path_buf(),
                source,
            }
        })?;
        let labels = crate::sigstore::Labels {
            artifact: target.display().to_string(),
            bundle: url.to_string(),
        };
        let v = crate::sigstore::verify_downloaded(&archive, &b, &labels, &p.policy, &p.trust)?;
        bundle = Some(b);
        Ok(v)
    });
    let passed = passes(
        o.require,
        matches!(pgp, Some(Ok(_))),
        matches!(sig, Some(Ok(_))),
    );
    if let (Some(dest), true) = (&o.destination, passed) {
        let mut files = vec![(loc.file_name.clone(), archive.as_slice())];
        if let Some(p) = &prov {
            files.push((format!("{}.prov", loc.file_name), p.as_slice()));
        }
        if let Some(b) = &bundle {
            files.push((
                format!("{}{}", loc.file_name, crate::sigstore::BUNDLE_SUFFIX),
                b.as_slice(),
            ));
        }
        if let Err(e) = write_files(dest, &files) {
            return (Some(Err(e)), None);
        }
    }
    (pgp, sig)
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

/// One chart's verdict, as `-o json` prints it: the `.prov`'s fields at the
/// top level (as before Sigstore), the bundle's under `sigstore`.
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sigstore: Option<SigstoreReport>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl From<&Verdict> for VerifyReport {
    fn from(o: &Verdict) -> VerifyReport {
        let mut r = VerifyReport {
            chart: o.path.display().to_string(),
            verified: o.verified,
            signed_by: None,
            fingerprint: None,
            signing_key: None,
            chart_hash: None,
            warnings: Vec::new(),
            error: None,
            sigstore: None,
            notes: o.notes.clone(),
        };
        match &o.pgp {
            Some(Ok(v)) => {
                r.signed_by = Some(v.signed_by.clone());
                r.fingerprint = Some(v.fingerprint.clone());
                r.signing_key = Some(v.signing_key.clone());
                r.chart_hash = Some(v.file_hash.clone());
                r.warnings = v.warnings.clone();
            }
            Some(Err(e)) => r.error = Some(render_error(e)),
            None => {}
        }
        r.sigstore = o.sigstore.as_ref().map(|s| match s {
            Ok(v) => SigstoreReport {
                verified: true,
                signature: Some(v.clone()),
                error: None,
            },
            Err(e) => SigstoreReport {
                verified: false,
                signature: None,
                error: Some(render_error(e)),
            },
        });
        r
    }
}

/// `helm verify`'s lines on stdout for each verified chart (under the
/// chart's name when there are several), then the Sigstore signature's;
/// warnings and errors on stderr.
/// `quiet`: none of them.
pub fn print_verify(reports: &[VerifyReport], quiet: bool) {
    if quiet {
        return;
    }
    let many = reports.len() > 1;
    for r in reports {
        if !r.verified {
            continue;
        }
        if many {
            println!("{}:", r.chart);
        }
        if r.fingerprint.is_some() {
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
        if let Some(v) = r.sigstore.as_ref().and_then(|s| s.signature.as_ref()) {
            sigstore::print_verified(v);
        }
    }
}

/// Warnings and errors of a verification, on stderr in either format. A
/// failed signature that `--require any` did without is a warning. Notes
/// (no fault) are left out when `quiet`.
pub fn print_verify_diagnostics(reports: &[VerifyReport], quiet: bool) {
    for r in reports {
        for w in &r.warnings {
            output::warn(format!("{}: {w}", r.chart));
        }
        for n in r.notes.iter().filter(|_| !quiet) {
            output::note(format!("{}: {n}", r.chart));
        }
        let sig_error = r.sigstore.as_ref().and_then(|s| s.error.as_ref());
        for e in r.error.iter().chain(sig_error) {
            if r.verified {
                output::warn(e);
            } else {
                output::error_line(e);
            }
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
    /// The Sigstore bundle written (`sign --sigstore`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bundle: Option<String>,
    /// The signatures stored in a registry (`sign --sigstore oci://...`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registry: Option<OciSigned>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl From<&Signed> for SignReport {
    fn from(s: &Signed) -> SignReport {
        let mut r = SignReport {
            chart: s.path.display().to_string(),
            signed: s.result.is_ok(),
            prov: None,
            bundle: None,
            registry: None,
            error: None,
        };
        match &s.result {
            Ok(Written::Prov(p)) => r.prov = Some(p.display().to_string()),
            Ok(Written::Bundle(p)) => r.bundle = Some(p.display().to_string()),
            Ok(Written::Registry(o)) => r.registry = Some(o.clone()),
            Err(e) => r.error = Some(render_error(e)),
        }
        r
    }
}

/// The table form of a signing run: one summary line on stderr when every
/// chart was signed, unless `quiet` (the error lines come from
/// [`print_sign_diagnostics`]).
pub fn print_signed(reports: &[SignReport], quiet: bool) {
    for r in reports {
        if let Some(p) = r.prov.as_ref().or(r.bundle.as_ref()) {
            crate::debug!("wrote {p}");
        }
        if let Some(o) = &r.registry {
            if !quiet {
                output::line(format_args!("Signed {}", o.manifest));
                if let Some(b) = &o.bundle {
                    output::line(format_args!("  Sigstore bundle: referrer {b}"));
                }
                if let Some(l) = &o.legacy {
                    output::line(format_args!("  legacy signature: {l}"));
                }
            }
        }
    }
    let signed = reports.iter().filter(|r| r.signed).count();
    // On success only: a failure has its own lines and the exit status.
    if !quiet && signed == reports.len() {
        output::line(format_args!("Signed {signed} chart(s)"));
    }
}

/// `cosign generate-key-pair`'s lines, on stderr, unless `quiet`.
pub fn print_keygen(k: &Keygen, quiet: bool) {
    if !quiet {
        output::line(format_args!("Private key written to {}", k.private_key));
        output::line(format_args!("Public key written to {}", k.public_key));
    }
}

/// The error line of each chart that was not signed, on stderr in either
/// format.
pub fn print_sign_diagnostics(reports: &[SignReport]) {
    for r in reports {
        if let Some(e) = &r.error {
            output::error_line(e);
        }
    }
}
