//! `helm prov`: sign and verify charts with OpenPGP provenance files.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use wharf::cli::{self, output, EnvSettings, OutputFormat};
use wharf::cmd::prov::{self, SignOptions, SignReport, VerifyOptions, VerifyReport};

#[derive(Parser)]
#[command(
    name = "helm prov",
    version,
    about = "Sign and verify charts with provenance files"
)]
struct Cli {
    /// Verbose output on stderr (also HELM_DEBUG=true)
    #[arg(long, global = true)]
    debug: bool,
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
    /// Verify charts (archives, folders of archives, or REPO/CHART) against their .prov files
    Verify {
        #[arg(required = true)]
        targets: Vec<PathBuf>,
        /// Public keyring: binary, armored or GnuPG keybox (default: the GnuPG home's)
        #[arg(long)]
        keyring: Option<PathBuf>,
        /// Accept SHA-1 signatures and RSA keys under 2048 bits
        #[arg(long)]
        allow_weak: bool,
        /// Chart version, for REPO/CHART targets (default: the newest stable)
        #[arg(long)]
        version: Option<String>,
        /// For REPO/CHART targets: write the chart and its .prov here once verified
        #[arg(short, long)]
        destination: Option<PathBuf>,
        /// Output format
        #[arg(short, long, value_enum, default_value_t)]
        output: OutputFormat,
    },
}

fn main() -> ExitCode {
    let args = Cli::parse();
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
            if let Err(e) = output::emit(format, reports.as_slice(), prov::print_signed) {
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
            output: format,
        } => {
            let outcomes = match prov::verify(
                &VerifyOptions {
                    targets,
                    keyring,
                    allow_weak,
                    version,
                    destination,
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
