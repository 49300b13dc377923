//! `helm prov`: sign and verify charts with OpenPGP provenance files.

use std::io::{BufRead, Read};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use wharf::cli::{self, EnvSettings};
use wharf::cmd::prov::{self, SignOptions, VerifyOptions};

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

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Output {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Write CHART.tgz.prov beside each chart archive
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
        #[arg(short, long, value_enum, default_value_t = Output::Text)]
        output: Output,
    },
}

/// The first line of the passphrase file (Helm's rule), or of stdin for `-`.
fn read_passphrase(spec: &str) -> std::io::Result<String> {
    let mut line = String::new();
    if spec == "-" {
        std::io::stdin().lock().read_line(&mut line)?;
    } else {
        let mut s = String::new();
        std::fs::File::open(spec)?.read_to_string(&mut s)?;
        line = s.lines().next().unwrap_or("").to_string();
    }
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

fn json_str(s: &str) -> String {
    let mut w = wharf::go::json::Writer::new(Vec::new());
    let _ = w.string(s);
    String::from_utf8(w.finish()).unwrap_or_default()
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
        } => {
            let passphrase = match passphrase_file.as_deref().map(read_passphrase).transpose() {
                Ok(p) => p,
                Err(e) => {
                    eprintln!("Error: cannot read the passphrase: {e}");
                    return ExitCode::FAILURE;
                }
            };
            match prov::sign(&SignOptions {
                charts,
                key,
                keyring,
                passphrase,
            }) {
                Ok(written) => {
                    for w in written {
                        wharf::debug!("wrote {}", w.display());
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("Error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Verify {
            targets,
            keyring,
            allow_weak,
            version,
            destination,
            output,
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
                Err(e) => {
                    eprintln!("Error: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let many = outcomes.len() > 1;
            let mut failed = false;
            let mut json = Vec::new();
            for o in &outcomes {
                match &o.result {
                    Ok(v) => {
                        for w in &v.warnings {
                            eprintln!("warning: {}: {w}", o.path.display());
                        }
                        if output == Output::Json {
                            json.push(format!(
                                "{{\"chart\": {}, \"verified\": true, \"signedBy\": [{}], \"fingerprint\": {}, \"signingKey\": {}, \"chartHash\": {}}}",
                                json_str(&o.path.display().to_string()),
                                v.signed_by.iter().map(|s| json_str(s)).collect::<Vec<_>>().join(", "),
                                json_str(&v.fingerprint),
                                json_str(&v.signing_key),
                                json_str(&v.file_hash)
                            ));
                            continue;
                        }
                        if many {
                            println!("{}:", o.path.display());
                        }
                        for s in &v.signed_by {
                            println!("Signed by: {s}");
                        }
                        println!("Using Key With Fingerprint: {}", v.fingerprint);
                        println!("Chart Hash Verified: {}", v.file_hash);
                    }
                    Err(e) => {
                        failed = true;
                        if output == Output::Json {
                            json.push(format!(
                                "{{\"chart\": {}, \"verified\": false, \"error\": {}}}",
                                json_str(&o.path.display().to_string()),
                                json_str(&e.to_string())
                            ));
                        }
                        eprintln!("Error: {e}");
                    }
                }
            }
            if output == Output::Json {
                println!("[{}]", json.join(", "));
            }
            if failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
    }
}

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;
