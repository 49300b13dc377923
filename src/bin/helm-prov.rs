//! `helm prov`: sign and verify charts with OpenPGP provenance files.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use wharf::cli::{self, output, EnvSettings, OutputFormat};
use wharf::cmd::prov::{self, SignOptions, SignReport, VerifyOptions, VerifyReport};
use wharf::net::Secret;
use wharf::registry::ClientOptions;

#[derive(Parser)]
#[command(
    name = "helm prov",
    bin_name = "helm prov",
    version,
    about = "Sign and verify charts with provenance files"
)]
struct Cli {
    /// Verbose output on stderr (also HELM_DEBUG=true)
    #[arg(long, global = true)]
    debug: bool,
    /// No summary line on success (warnings and errors are still printed)
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write CHART.tgz.prov beside each chart archive (folders: every .tgz in them)
    Sign {
        #[arg(required = true)]
        charts: Vec<PathBuf>,
        /// Key: fingerprint, key ID, e-mail, or part of a user ID
        #[arg(long)]
        key: Option<String>,
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
    /// Verify charts (archives, folders of archives, REPO/CHART or oci://HOST/PATH/CHART) against their .prov files
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
        /// Output format
        #[arg(short, long, value_enum, default_value_t)]
        output: OutputFormat,
    },
}

/// How `verify` reaches a registry for oci:// targets, as `helm ocipush`.
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

fn main() -> ExitCode {
    let args = Cli::parse();
    let quiet = args.quiet;
    let settings = EnvSettings::from_env();
    cli::set_debug(args.debug || settings.debug);
    match args.command {
        Command::Sign {
            charts,
            key,
            keyring,
            passphrase_file,
            output: format,
        } => {
            let signed = passphrase_file
                .as_deref()
                .map(prov::read_passphrase)
                .transpose()
                .and_then(|passphrase| {
                    prov::sign(&SignOptions {
                        charts,
                        key,
                        keyring,
                        passphrase,
                    })
                });
            let signing = match signed {
                Ok(s) => s,
                Err(e) => return output::fail(&e),
            };
            for w in &signing.warnings {
                output::warn(w);
            }
            let reports: Vec<SignReport> = signing.charts.iter().map(SignReport::from).collect();
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
            output: format,
        } => {
            let password = if registry.password_stdin {
                match prov::read_registry_password_stdin() {
                    Ok(p) => Some(p),
                    Err(e) => return output::fail(&e),
                }
            } else {
                registry.password.map(Secret::from)
            };
            let outcomes = match prov::verify(
                &VerifyOptions {
                    targets,
                    keyring,
                    allow_weak,
                    version,
                    destination,
                    registry: ClientOptions {
                        plain_http: registry.plain_http,
                        insecure_skip_tls_verify: registry.insecure_skip_tls_verify,
                        ca_file: registry.ca_file,
                        cert_file: registry.cert_file,
                        key_file: registry.key_file,
                        ..ClientOptions::default()
                    },
                    username: registry.username,
                    password,
                },
                &settings,
            ) {
                Ok(o) => o,
                Err(e) => return output::fail(&e),
            };
            let reports: Vec<VerifyReport> = outcomes.iter().map(VerifyReport::from).collect();
            prov::print_verify_diagnostics(&reports);
            if let Err(e) = output::emit(format, reports.as_slice(), prov::print_verify) {
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
