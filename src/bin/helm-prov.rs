//! `helm prov`: sign and verify charts with OpenPGP provenance files and
//! Sigstore bundles.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgAction, Args, CommandFactory, Parser, Subcommand, ValueEnum};

use wharf::cli::{self, output, EnvSettings, OutputFormat};
use wharf::cmd::complete;
use wharf::cmd::prov::{
    self, KeygenOptions, RegistryAccess, Require, SignOptions, SigstoreFormat, SigstoreOptions,
    SigstoreSign, TrustUpdateOptions, VerifyOptions, VerifyReport,
};
use wharf::net::{SafeUrl, Secret};
use wharf::registry::ClientOptions;
use wharf::sigstore::{GithubClaims, PolicyFlags, ServiceFlags};

#[derive(Parser)]
#[command(
    name = "helm prov",
    bin_name = "helm prov",
    version,
    about = "Sign and verify charts with provenance files and Sigstore bundles"
)]
struct Cli {
    /// Verbose output on stderr (also HELM_DEBUG=true)
    #[arg(long, global = true)]
    debug: bool,
    /// No progress, summary or verified lines: only warnings, errors and -o json
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write CHART.tgz.prov beside each chart archive (folders: every .tgz in them); with --sigstore, FILE.sigstore.json beside any file, or cosign's signatures beside an oci://HOST/PATH/CHART:VERSION (or @sha256:DIGEST) in its registry
    Sign {
        #[arg(required = true)]
        charts: Vec<PathBuf>,
        /// Key: fingerprint, key ID, e-mail, or part of a user ID; with --sigstore, a cosign private key file (without it, --sigstore signs keyless)
        #[arg(long)]
        key: Option<String>,
        /// Write a Sigstore bundle (as cosign sign-blob --bundle) instead of a .prov
        #[arg(long)]
        sigstore: bool,
        /// --sigstore: enter the signature in the transparency log
        #[arg(long, default_value_t = true, action = ArgAction::Set, value_name = "BOOL")]
        tlog_upload: bool,
        /// --sigstore: where the one target's bundle goes (default: FILE.sigstore.json)
        #[arg(long, value_name = "FILE", requires = "sigstore")]
        bundle: Option<PathBuf>,
        /// --sigstore without --key (keyless): the certificate authority that issues a certificate for the OIDC token in SIGSTORE_ID_TOKEN or GitHub Actions' (default: the signing configuration's, https://fulcio.sigstore.dev)
        #[arg(long, value_name = "URL", requires = "sigstore")]
        fulcio_url: Option<String>,
        /// --sigstore: the Rekor v1 transparency log (default: the signing configuration's, https://rekor.sigstore.dev)
        #[arg(long, value_name = "URL", requires = "sigstore")]
        rekor_url: Option<String>,
        /// --sigstore: the RFC 3161 timestamp authority (default: the signing configuration's; none when service URLs are given)
        #[arg(long, value_name = "URL", requires = "sigstore")]
        tsa_url: Option<String>,
        /// --sigstore: a signing_config.v0.2.json naming the services (default: the one `helm prov trust update` stored, else the public-good one built in)
        #[arg(long, value_name = "FILE", requires = "sigstore", conflicts_with_all = ["fulcio_url", "rekor_url", "tsa_url"])]
        signing_config: Option<PathBuf>,
        /// --sigstore, keyless: the OIDC issuer the identity token must be from
        #[arg(
            long,
            value_name = "URL",
            requires = "sigstore",
            conflicts_with = "key"
        )]
        oidc_issuer: Option<String>,
        /// --sigstore: the trusted_root.json the answers must verify against (default: the one `helm prov trust update` stored, else the public-good root built in)
        #[arg(long, value_name = "FILE", requires = "sigstore")]
        trusted_root: Option<PathBuf>,
        /// --sigstore, oci:// targets: cosign's storage forms to write: the v3 bundle as an OCI referrer, the legacy .sig manifest, or both
        #[arg(long, value_enum, default_value_t = FormatArg::Both, requires = "sigstore")]
        sigstore_format: FormatArg,
        #[command(flatten)]
        registry: RegistryArgs,
        /// Secret keyring (binary or armored, as exported by gpg --export-secret-keys)
        #[arg(long)]
        keyring: Option<PathBuf>,
        /// File whose first line is the passphrase; - reads standard input
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<String>,
        /// Output format
        #[arg(short, long, value_enum, default_value_t)]
        output: OutputFormat,
    },
    /// Generate a cosign key pair (PREFIX.key sealed with COSIGN_PASSWORD or a prompted password, PREFIX.pub), as cosign generate-key-pair
    Keygen {
        /// Generate a Sigstore (cosign) key pair: the only kind keygen makes (OpenPGP keys: gpg --gen-key)
        #[arg(long)]
        sigstore: bool,
        /// The files' name without .key and .pub
        #[arg(long, default_value = "cosign", value_name = "PREFIX")]
        output_key_prefix: String,
        /// Output format
        #[arg(short, long, value_enum, default_value_t)]
        output: OutputFormat,
    },
    /// The Sigstore trusted root and signing configuration used when --trusted-root and --signing-config are not given
    Trust {
        #[command(subcommand)]
        command: TrustCommand,
    },
    /// Verify charts (archives, folders of archives, REPO/CHART or oci://HOST/PATH/CHART) against their .prov files, or any file against its Sigstore bundle
    Verify {
        #[arg(required = true)]
        targets: Vec<PathBuf>,
        /// Public keyring: binary, armored or GnuPG keybox (default: the GnuPG home's)
        #[arg(long)]
        keyring: Option<PathBuf>,
        /// Accept SHA-1 signatures and RSA keys under 2048 bits
        #[arg(long)]
        allow_weak: bool,
        /// Chart version, for REPO/CHART targets (default: the newest stable) and oci:// targets (required unless the reference has a :TAG)
        #[arg(long)]
        version: Option<String>,
        /// For REPO/CHART and oci:// targets: write the chart and its .prov here once verified
        #[arg(short, long)]
        destination: Option<PathBuf>,
        #[command(flatten)]
        registry: RegistryArgs,
        #[command(flatten)]
        sigstore: Box<SigstoreArgs>,
        /// Output format
        #[arg(short, long, value_enum, default_value_t)]
        output: OutputFormat,
    },
}

/// `verify --sigstore`: cosign's flags, spelled as cosign spells them.
#[derive(Args)]
struct SigstoreArgs {
    /// Verify the Sigstore signature (implied by --bundle, --key and the --certificate-* flags)
    #[arg(long)]
    sigstore: bool,
    /// Which signatures must verify when a chart may have both kinds (default: pgp; sigstore with --sigstore)
    #[arg(long, value_enum)]
    require: Option<RequireArg>,
    /// The Sigstore bundle of the one target (default: FILE.sigstore.json beside it)
    #[arg(long, value_name = "FILE")]
    bundle: Option<PathBuf>,
    /// A cosign public key (PEM); repeat for several: a signature by any of them counts
    #[arg(long = "key", value_name = "FILE")]
    keys: Vec<PathBuf>,
    /// The signer's identity (e-mail or URI) in the certificate, exactly
    #[arg(long, conflicts_with = "certificate_identity_regexp")]
    certificate_identity: Option<String>,
    /// The signer's identity, by a regular expression (matched anywhere unless anchored)
    #[arg(long, value_name = "REGEX")]
    certificate_identity_regexp: Option<String>,
    /// The OIDC issuer that vouched for the identity, exactly
    #[arg(long, conflicts_with = "certificate_oidc_issuer_regexp")]
    certificate_oidc_issuer: Option<String>,
    /// The OIDC issuer, by a regular expression
    #[arg(long, value_name = "REGEX")]
    certificate_oidc_issuer_regexp: Option<String>,
    /// The GitHub workflow's trigger event in the certificate (e.g. push)
    #[arg(long, value_name = "EVENT")]
    certificate_github_workflow_trigger: Option<String>,
    /// The commit the GitHub workflow ran on
    #[arg(long, value_name = "SHA")]
    certificate_github_workflow_sha: Option<String>,
    /// The GitHub workflow's name
    #[arg(long, value_name = "NAME")]
    certificate_github_workflow_name: Option<String>,
    /// The GitHub repository, OWNER/REPO
    #[arg(long, value_name = "REPO")]
    certificate_github_workflow_repository: Option<String>,
    /// The git ref the GitHub workflow ran on (e.g. refs/heads/main)
    #[arg(long, value_name = "REF")]
    certificate_github_workflow_ref: Option<String>,
    /// A trusted_root.json to verify against (default: the public-good root built in)
    #[arg(long, value_name = "FILE")]
    trusted_root: Option<PathBuf>,
    /// Accept a signature that is not in a transparency log (signed with --tlog-upload=false)
    #[arg(long)]
    insecure_ignore_tlog: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Bundle,
    Legacy,
    Both,
}

#[derive(Clone, Copy, ValueEnum)]
enum RequireArg {
    Pgp,
    Sigstore,
    Any,
    All,
}

impl SigstoreArgs {
    /// The library's options, and what must verify.
    fn options(self) -> (Require, SigstoreOptions) {
        let policy = PolicyFlags {
            keys: self.keys,
            identity: self.certificate_identity,
            identity_regexp: self.certificate_identity_regexp,
            issuer: self.certificate_oidc_issuer,
            issuer_regexp: self.certificate_oidc_issuer_regexp,
            github: GithubClaims {
                trigger: self.certificate_github_workflow_trigger,
                sha: self.certificate_github_workflow_sha,
                name: self.certificate_github_workflow_name,
                repository: self.certificate_github_workflow_repository,
                git_ref: self.certificate_github_workflow_ref,
            },
            insecure_ignore_tlog: self.insecure_ignore_tlog,
        };
        let implied = self.sigstore || self.bundle.is_some() || policy.any();
        let require = match self.require {
            Some(RequireArg::Pgp) => Require::Pgp,
            Some(RequireArg::Sigstore) => Require::Sigstore,
            Some(RequireArg::Any) => Require::Any,
            Some(RequireArg::All) => Require::All,
            None if implied => Require::Sigstore,
            None => Require::Pgp,
        };
        let options = SigstoreOptions {
            policy,
            bundle: self.bundle,
            trusted_root: self.trusted_root,
        };
        (require, options)
    }
}

/// How `sign` and `verify` reach a registry for oci:// targets, as `helm ocipush`.
#[derive(Args)]
struct RegistryArgs {
    /// oci:// targets: use plain HTTP to the registry
    #[arg(long)]
    plain_http: bool,
    /// oci:// targets: skip verification of the registry's TLS certificate
    #[arg(long)]
    insecure_skip_tls_verify: bool,
    /// oci:// targets: trust only the CAs in this PEM bundle
    #[arg(long, value_name = "FILE")]
    ca_file: Option<PathBuf>,
    /// oci:// targets: client certificate (PEM)
    #[arg(long, value_name = "FILE")]
    cert_file: Option<PathBuf>,
    /// oci:// targets: client certificate's key (PEM)
    #[arg(long, value_name = "FILE")]
    key_file: Option<PathBuf>,
    /// oci:// targets: registry username (instead of stored credentials)
    #[arg(long)]
    username: Option<String>,
    /// oci:// targets: registry password (prefer --password-stdin)
    #[arg(long)]
    password: Option<String>,
    /// oci:// targets: read the registry password from standard input
    #[arg(long, conflicts_with = "password")]
    password_stdin: bool,
}

impl RegistryArgs {
    /// The library's registry access, the password read from stdin when
    /// asked for.
    fn access(self) -> Result<RegistryAccess, prov::ProvError> {
        let password = if self.password_stdin {
            Some(prov::read_registry_password_stdin()?)
        } else {
            self.password.map(Secret::from)
        };
        Ok(RegistryAccess {
            options: ClientOptions {
                plain_http: self.plain_http,
                insecure_skip_tls_verify: self.insecure_skip_tls_verify,
                ca_file: self.ca_file,
                cert_file: self.cert_file,
                key_file: self.key_file,
                ..ClientOptions::default()
            },
            username: self.username,
            password,
        })
    }
}

#[derive(Subcommand)]
enum TrustCommand {
    /// Fetch the instance's trusted_root.json and signing configuration over TUF into Helm's data folder, as cosign initialize (default: the public-good instance)
    Update {
        /// The TUF repository (default: https://tuf-repo-cdn.sigstore.dev)
        #[arg(long, value_name = "URL")]
        mirror: Option<String>,
        /// The TUF root.json to trust (default: the public-good instance's, built in)
        #[arg(long, value_name = "FILE")]
        root: Option<PathBuf>,
        /// Output format
        #[arg(short, long, value_enum, default_value_t)]
        output: OutputFormat,
    },
}

fn main() -> ExitCode {
    if let Some(code) = complete::intercept("prov", Cli::command) {
        return code;
    }
    let args = Cli::parse();
    let quiet = args.quiet;
    let settings = EnvSettings::from_env();
    cli::set_debug(args.debug || settings.debug);
    cli::set_quiet(quiet);
    match args.command {
        Command::Trust {
            command:
                TrustCommand::Update {
                    mirror,
                    root,
                    output: format,
                },
        } => {
            let updated = match prov::trust_update(&TrustUpdateOptions { mirror, root }, &settings)
            {
                Ok(u) => u,
                Err(e) => return output::fail(&e),
            };
            if let Err(e) = output::emit(format, &updated, |u| prov::print_trust_update(u, quiet)) {
                return output::fail(&e);
            }
            ExitCode::SUCCESS
        }
        Command::Keygen {
            sigstore,
            output_key_prefix,
            output: format,
        } => {
            if !sigstore {
                return output::fail(&prov::ProvError::KeygenNeedsSigstore);
            }
            let made = prov::cosign_password(true).and_then(|password| {
                prov::keygen(&KeygenOptions {
                    prefix: output_key_prefix,
                    password,
                })
            });
            let made = match made {
                Ok(m) => m,
                Err(e) => return output::fail(&e),
            };
            if let Err(e) = output::emit(format, &made, |k| prov::print_keygen(k, quiet)) {
                return output::fail(&e);
            }
            ExitCode::SUCCESS
        }
        Command::Sign {
            charts,
            key,
            sigstore,
            tlog_upload,
            bundle,
            rekor_url,
            fulcio_url,
            tsa_url,
            signing_config,
            oidc_issuer,
            trusted_root,
            sigstore_format,
            registry,
            keyring,
            passphrase_file,
            output: format,
        } => {
            let format_choice = match sigstore_format {
                FormatArg::Bundle => SigstoreFormat::Bundle,
                FormatArg::Legacy => SigstoreFormat::Legacy,
                FormatArg::Both => SigstoreFormat::Both,
            };
            let signed = passphrase_file
                .as_deref()
                .map(prov::read_passphrase)
                .transpose()
                .and_then(|passphrase| Ok((passphrase, registry.access()?)))
                .and_then(|(passphrase, access)| {
                    prov::sign(
                        &SignOptions {
                            charts,
                            key,
                            keyring,
                            passphrase,
                            sigstore: sigstore.then(|| SigstoreSign {
                                services: ServiceFlags {
                                    fulcio_url: fulcio_url.clone().map(SafeUrl::from),
                                    rekor_url: rekor_url.clone().map(SafeUrl::from),
                                    tsa_url: tsa_url.clone().map(SafeUrl::from),
                                    signing_config: signing_config.clone(),
                                    tlog_upload,
                                },
                                oidc_issuer: oidc_issuer.clone(),
                                bundle: bundle.clone(),
                                trusted_root: trusted_root.clone(),
                                format: format_choice,
                            }),
                            registry: access,
                        },
                        &settings,
                    )
                });
            let signing = match signed {
                Ok(s) => s,
                Err(e) => return output::fail(&e),
            };
            for w in &signing.warnings {
                output::warn(w);
            }
            let reports = signing.reports();
            prov::print_sign_diagnostics(&reports);
            if let Err(e) =
                output::emit(format, reports.as_slice(), |r| prov::print_signed(r, quiet))
            {
                return output::fail(&e);
            }
            if reports.iter().all(|r| r.signed) {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Command::Verify {
            targets,
            keyring,
            allow_weak,
            version,
            destination,
            registry,
            sigstore,
            output: format,
        } => {
            let (require, sigstore) = sigstore.options();
            let access = match registry.access() {
                Ok(a) => a,
                Err(e) => return output::fail(&e),
            };
            let outcomes = match prov::verify(
                &VerifyOptions {
                    targets,
                    keyring,
                    allow_weak,
                    version,
                    destination,
                    registry: access,
                    require,
                    sigstore,
                },
                &settings,
            ) {
                Ok(o) => o,
                Err(e) => return output::fail(&e),
            };
            let reports: Vec<VerifyReport> = outcomes.iter().map(VerifyReport::from).collect();
            prov::print_verify_diagnostics(&reports, quiet);
            if let Err(e) =
                output::emit(format, reports.as_slice(), |r| prov::print_verify(r, quiet))
            {
                return output::fail(&e);
            }
            if reports.iter().all(|r| r.verified) {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
