//! `helm prov verify --sigstore`: Sigstore bundles beside the files they
//! sign, as `cosign verify-blob --bundle` checks them.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::ProvError;
use crate::cli::{output, EnvSettings};
use crate::fileutil;
use crate::net::Secret;
use crate::provenance::FileError;
use crate::sigstore::{
    self, Policy, PolicyFlags, ServiceFlags, Services, SignSettings, SigningKey, Trust, TrustStore,
    Verified,
};

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

/// The Sigstore side of `helm prov sign`.
#[derive(Debug, Clone)]
pub struct SigstoreSign {
    /// `--fulcio-url`, `--rekor-url`, `--tsa-url`, `--signing-config`,
    /// `--tlog-upload`.
    pub services: ServiceFlags,
    /// `--oidc-issuer`: the issuer the identity token must come from.
    pub oidc_issuer: Option<String>,
    /// `--trusted-root`: what the log's answer must verify against
    /// (default: the refreshed root, else the public-good root built in).
    pub trusted_root: Option<PathBuf>,
    /// `--bundle`: where the one target's bundle goes.
    pub bundle: Option<PathBuf>,
    /// For `oci://` targets: cosign's storage forms to write.
    pub format: super::SigstoreFormat,
}

/// The policy and trusted root, read once for all targets.
pub(super) struct Prepared {
    pub(super) policy: Policy,
    pub(super) trust: Trust,
    bundle: Option<PathBuf>,
}

pub(super) fn prepare(
    o: &SigstoreOptions,
    targets: usize,
    env: &EnvSettings,
) -> Result<Prepared, ProvError> {
    if o.bundle.is_some() && targets > 1 {
        return Err(ProvError::BundleForMany { targets });
    }
    let policy = Policy::from_flags(&o.policy)?;
    let trust = Trust::select(o.trusted_root.as_deref(), &TrustStore::of(env))?;
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

/// cosign's password: `COSIGN_PASSWORD` when set (even empty), else asked
/// on the terminal, twice for a new key, as `cosign generate-key-pair`
/// asks.
pub fn cosign_password(confirm: bool) -> Result<Secret, ProvError> {
    if let Some(p) = std::env::var_os("COSIGN_PASSWORD") {
        return p
            .into_string()
            .map(Secret::from)
            .map_err(|_| ProvError::CosignPassword("COSIGN_PASSWORD is not UTF-8"));
    }
    let no_terminal = |_| {
        ProvError::CosignPassword(
            "no terminal to ask for the key's password on: set COSIGN_PASSWORD",
        )
    };
    let first =
        rpassword::prompt_password("Enter password for private key: ").map_err(no_terminal)?;
    if confirm {
        let again = rpassword::prompt_password("Enter password for private key again: ")
            .map_err(no_terminal)?;
        if again != first {
            return Err(ProvError::CosignPassword("the passwords do not match"));
        }
    }
    Ok(Secret::from(first))
}

/// Options of `helm prov keygen --sigstore`.
#[derive(Debug)]
pub struct KeygenOptions {
    /// `PREFIX.key` and `PREFIX.pub` are written (cosign's default `cosign`).
    pub prefix: String,
    pub password: Secret,
}

/// The files `keygen` wrote.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Keygen {
    pub private_key: String,
    pub public_key: String,
}

/// Writes a new cosign key pair, refusing to replace either file: a key
/// overwritten is every signature it made orphaned.
pub fn keygen(o: &KeygenOptions) -> Result<Keygen, ProvError> {
    let private = PathBuf::from(format!("{}.key", o.prefix));
    let public = PathBuf::from(format!("{}.pub", o.prefix));
    for p in [&private, &public] {
        if p.symlink_metadata().is_ok() {
            return Err(ProvError::KeyExists { path: p.clone() });
        }
    }
    let keys = sigstore::generate_key_pair(&o.password)?;
    for (path, text, mode) in [
        (&private, &keys.private_pem, 0o600),
        (&public, &keys.public_pem, 0o644),
    ] {
        fileutil::atomic_create_new(path, mode, |w| w.write_all(text.as_bytes())).map_err(|e| {
            match e.kind() {
                std::io::ErrorKind::AlreadyExists => ProvError::KeyExists { path: path.clone() },
                _ => ProvError::Io {
                    path: path.clone(),
                    source: FileError(e),
                },
            }
        })?;
    }
    Ok(Keygen {
        private_key: private.display().to_string(),
        public_key: public.display().to_string(),
    })
}

/// What a signing run needs besides its key, resolved once for all
/// targets: the services and the trusted root their answers must verify
/// against.
pub(super) struct SigningRun {
    pub(super) services: Services,
    pub(super) trust: Trust,
}

impl SigningRun {
    /// `keyless`: no key file, so the certificate authority is asked;
    /// `legacy`: cosign's legacy form will be written, which needs a v1
    /// log. Both are checked here, before any service is asked or
    /// anything is pushed.
    pub(super) fn new(
        s: &SigstoreSign,
        env: &EnvSettings,
        keyless: bool,
        legacy: bool,
    ) -> Result<SigningRun, ProvError> {
        let store = TrustStore::of(env);
        let services = Services::resolve(&s.services, &store.signing_config())?;
        let trust = Trust::select(s.trusted_root.as_deref(), &store)?;
        services.check_against(&trust, keyless, legacy)?;
        if legacy {
            services.v1_log()?;
        }
        Ok(SigningRun { services, trust })
    }

    pub(super) fn settings(&self) -> SignSettings<'_> {
        SignSettings {
            services: &self.services,
            trust: &self.trust,
        }
    }
}

/// `helm prov sign --sigstore`'s key, made once for all targets: the
/// cosign key file given, or without one (keyless) an ephemeral key with a
/// certificate from Fulcio for the OIDC identity token found.
pub(super) fn signing_identity(
    key: Option<&Path>,
    s: &SigstoreSign,
    services: &Services,
) -> Result<SigningKey, ProvError> {
    match key {
        Some(path) => signing_key(path),
        None if !s.services.tlog_upload => Err(ProvError::KeylessNeedsLog),
        None => {
            let token = sigstore::identity_token(s.oidc_issuer.as_deref())?;
            Ok(sigstore::keyless_key(&services.fulcio, &token)?)
        }
    }
}

/// A cosign key file, its password asked for when it is sealed.
fn signing_key(path: &Path) -> Result<SigningKey, ProvError> {
    let password = if sigstore::key_needs_password(path)? {
        cosign_password(false)?
    } else {
        Secret::from("")
    };
    Ok(sigstore::read_signing_key(path, &password)?)
}

/// Signs one file into its bundle (`FILE.sigstore.json`, or `bundle`),
/// written atomically.
pub(super) fn sign_local(
    path: &Path,
    key: &SigningKey,
    settings: SignSettings,
    bundle: Option<&Path>,
) -> Result<PathBuf, ProvError> {
    let json = sigstore::sign_file(path, key, settings)?;
    let out = bundle
        .map(Path::to_path_buf)
        .unwrap_or_else(|| sigstore::bundle_path(path));
    fileutil::atomic_write(&out, |w| w.write_all(json.as_bytes())).map_err(|e| ProvError::Io {
        path: out.clone(),
        source: FileError(e),
    })?;
    Ok(out)
}

/// `helm prov trust update`: cosign `initialize`'s `--mirror` and
/// `--root`.
#[derive(Debug, Clone, Default)]
pub struct TrustUpdateOptions {
    pub mirror: Option<String>,
    pub root: Option<PathBuf>,
}

/// Fetches the instance's trusted root and signing configuration over TUF
/// into Helm's data folder, where every later sign and verify finds them.
pub fn trust_update(
    o: &TrustUpdateOptions,
    env: &EnvSettings,
) -> Result<sigstore::Updated, ProvError> {
    Ok(sigstore::update_trust(
        &TrustStore::of(env),
        o.mirror.as_deref(),
        o.root.as_deref(),
    )?)
}

/// The lines of a trust update, on stderr as the other status lines.
pub fn print_trust_update(u: &sigstore::Updated, quiet: bool) {
    if quiet {
        return;
    }
    output::line(format_args!(
        "Trusted root (TUF root version {}) from {} written to {}",
        u.root_version,
        u.repository,
        u.trusted_root.display()
    ));
    match &u.signing_config {
        Some(p) => output::line(format_args!(
            "Signing configuration written to {}",
            p.display()
        )),
        None => output::line(format_args!(
            "The repository publishes no signing configuration"
        )),
    }
}
