//! `helm ocipush`: push charts and their provenance to OCI registries, in
//! bulk, and migrate classic repositories.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand, ValueEnum};

use wharf::cli::{self, EnvSettings};
use wharf::cmd::ocipush::{self, Options, Report, Status};
use wharf::registry::ClientOptions;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "helm ocipush",
    version,
    about = "Push charts and their .prov files to an OCI registry, as helm push does, in bulk",
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    override_usage = "helm ocipush [OPTIONS] <CHART.tgz|FOLDER>... oci://HOST[/PATH]\n       helm ocipush migrate [OPTIONS] <REPO|URL> oci://HOST[/PATH]"
)]
struct Cli {
    /// Chart archives or folders of archives, then the destination oci://HOST[/PATH]
    #[arg(required = true, num_args = 2.., value_name = "ARGS")]
    args: Vec<String>,
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Copy every chart version of a classic repository (name from repositories.yaml, or URL) into a registry
    Migrate {
        /// Repository name (helm repo add) or index URL
        source: String,
        /// Destination oci://HOST[/PATH]
        destination: String,
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Output {
    Text,
    Json,
}

#[derive(Args, Clone)]
struct Common {
    /// Use plain HTTP to the registry
    #[arg(long)]
    plain_http: bool,
    /// Skip verification of the registry's TLS certificate
    #[arg(long)]
    insecure_skip_tls_verify: bool,
    /// Trust only the CAs in this PEM bundle
    #[arg(long, value_name = "FILE")]
    ca_file: Option<PathBuf>,
    /// Client certificate (PEM)
    #[arg(long, value_name = "FILE")]
    cert_file: Option<PathBuf>,
    /// Client certificate's key (PEM)
    #[arg(long, value_name = "FILE")]
    key_file: Option<PathBuf>,
    /// Registry username (instead of stored credentials)
    #[arg(long)]
    username: Option<String>,
    /// Registry password (prefer --password-stdin)
    #[arg(long)]
    password: Option<String>,
    /// Read the registry password from standard input
    #[arg(long, conflicts_with = "password")]
    password_stdin: bool,
    /// Leave tags that already exist as they are
    #[arg(long)]
    skip_existing: bool,
    /// Show what would be pushed without uploading
    #[arg(long)]
    dry_run: bool,
    /// Charts pushed at once
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    concurrency: u16,
    /// Retries for a failing request (connection errors, 429, 5xx)
    #[arg(long, default_value_t = 5)]
    retries: u32,
    /// Output format
    #[arg(short, long, value_enum, default_value_t = Output::Text)]
    output: Output,
    /// Verbose output on stderr (also HELM_DEBUG=true)
    #[arg(long)]
    debug: bool,
}

const UNDERSCORE_NOTE: &str =
    "OCI artifact references (e.g. tags) do not support the plus sign (+). To support
storing semantic versions, Helm adopts the convention of changing plus (+) to
an underscore (_) in chart version tags when pushing to a registry and back to
a plus (+) when pulling from a registry.";

fn options(c: &Common, target: String) -> Result<Options, String> {
    let mut password = c.password.clone();
    if c.password_stdin {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
        password = Some(s.trim_end_matches(['\r', '\n']).to_string());
    }
    Ok(Options {
        target,
        client: ClientOptions {
            plain_http: c.plain_http,
            insecure_skip_tls_verify: c.insecure_skip_tls_verify,
            ca_file: c.ca_file.clone(),
            cert_file: c.cert_file.clone(),
            key_file: c.key_file.clone(),
            retries: c.retries,
            ..ClientOptions::default()
        },
        username: c.username.clone(),
        password,
        skip_existing: c.skip_existing,
        concurrency: c.concurrency as usize,
        dry_run: c.dry_run,
    })
}

/// Helm's `Pushed:`/`Digest:` lines, and one line for every other outcome.
fn print_text(r: &Report) {
    let reference = r.reference.as_deref().unwrap_or("");
    let digest = r.digest.as_deref().unwrap_or("");
    match &r.status {
        Status::Pushed => eprintln!("Pushed: {reference}\nDigest: {digest}"),
        Status::Unchanged => eprintln!("Unchanged: {reference}\nDigest: {digest}"),
        Status::Present => eprintln!("Present: {reference}\nDigest: {digest}"),
        Status::Kept { existing } => {
            eprintln!("Kept: {reference} holds {existing}, not overwritten (--skip-existing)")
        }
        Status::WouldPush => eprintln!("Would push: {} -> {reference}", r.source),
        Status::Failed(why) if r.source.is_empty() => eprintln!("Error: {why}"),
        Status::Failed(why) => eprintln!("Error: {}: {why}", r.source),
    }
}

fn json_report(reports: &[Report]) -> String {
    let items: Vec<serde_json::Value> = reports
        .iter()
        .map(|r| {
            let mut o = serde_json::json!({
                "source": r.source,
                "ref": r.reference,
                "digest": r.digest,
                "status": r.status.name(),
                "blobsUploaded": r.blobs_uploaded,
                "bytesUploaded": r.bytes_uploaded,
            });
            if let Status::Failed(why) = &r.status {
                o["error"] = why.clone().into();
            }
            o
        })
        .collect();
    serde_json::to_string_pretty(&items).unwrap_or_default()
}

fn summary(reports: &[Report], took: Duration) -> String {
    let count = |n: &str| reports.iter().filter(|r| r.status.name() == n).count();
    let blobs: usize = reports.iter().map(|r| r.blobs_uploaded).sum();
    let bytes: u64 = reports.iter().map(|r| r.bytes_uploaded).sum();
    let mut parts = vec![format!("{} pushed", count("pushed"))];
    for (n, label) in [
        ("unchanged", "unchanged"),
        ("present", "already present"),
        ("kept", "kept"),
        ("would-push", "would be pushed"),
        ("failed", "failed"),
    ] {
        let c = count(n);
        if c > 0 {
            parts.push(format!("{c} {label}"));
        }
    }
    format!(
        "{} chart(s): {}; {blobs} blob(s), {bytes} bytes uploaded in {:.1}s",
        reports.len(),
        parts.join(", "),
        took.as_secs_f64()
    )
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = EnvSettings::from_env();
    let (common, migrate, mut args) = match cli.command {
        Some(Command::Migrate {
            source,
            destination,
            common,
        }) => (common, true, vec![source, destination]),
        None => (cli.common, false, cli.args),
    };
    cli::set_debug(common.debug || settings.debug);
    let destination = args.pop().unwrap_or_default();
    let opts = match options(&common, destination) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("Error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let text = common.output == Output::Text;
    let out = Mutex::new(());
    let progress = |r: &Report| {
        if text || matches!(r.status, Status::Failed(_)) {
            let _guard = out.lock();
            print_text(r);
        }
    };
    let start = Instant::now();
    let result = if migrate {
        ocipush::migrate(&settings, &args[0], &opts, &progress)
    } else {
        let paths: Vec<PathBuf> = args.into_iter().map(PathBuf::from).collect();
        ocipush::push(&settings, &paths, &opts, &progress)
    };
    let reports = match result {
        Ok(r) => r,
        Err(e) => {
            eprintln!("Error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if text {
        if reports.iter().any(|r| {
            r.status == Status::Pushed && r.reference.as_deref().is_some_and(|x| x.contains('_'))
        }) {
            eprintln!("{UNDERSCORE_NOTE}");
        }
        if reports.len() > 1 || migrate {
            eprintln!("{}", summary(&reports, start.elapsed()));
        }
    } else {
        println!("{}", json_report(&reports));
    }
    if reports
        .iter()
        .any(|r| matches!(r.status, Status::Failed(_)))
    {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
