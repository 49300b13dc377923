//! `helm ocipush`: push charts and their provenance to OCI registries, in
//! bulk, and migrate classic repositories.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, CommandFactory, Parser, Subcommand};

use wharf::cli::{self, output, EnvSettings, OutputFormat};
use wharf::cmd::complete;
use wharf::cmd::ocipush::{self, OciPushError, PushOptions, Report};
use wharf::net::Secret;
use wharf::registry::ClientOptions;

#[derive(Parser)]
#[command(
    name = "helm ocipush",
    bin_name = "helm ocipush",
    version,
    about = "Push charts and their .prov files to an OCI registry, as helm push does, in bulk",
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    override_usage = "helm ocipush [OPTIONS] <CHART.tgz|FOLDER>... oci://HOST[/PATH]\n       helm ocipush migrate [OPTIONS] <REPO|URL> oci://HOST[/PATH]\n       helm ocipush plugin [OPTIONS] <PLUGIN.tgz> oci://HOST[/PATH]"
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
    /// Push a Helm plugin tarball (and its .prov) as Helm 4 installs it: helm plugin install oci://HOST/PATH/NAME:VERSION
    Plugin {
        /// The plugin tarball (NAME-VERSION.tgz, or any name; NAME and VERSION come from its plugin.yaml)
        tarball: PathBuf,
        /// Destination oci://HOST[/PATH]; the plugin goes to PATH/NAME:VERSION
        destination: String,
        #[command(flatten)]
        common: Common,
    },
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
    /// Also tag each chart pushed as TAG, pointing at the same manifest (repeatable: --tag latest --tag 1.2)
    #[arg(long, value_name = "TAG", action = clap::ArgAction::Append)]
    tag: Vec<String>,
    /// Show what would be pushed without uploading
    #[arg(long)]
    dry_run: bool,
    /// Charts pushed at once
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    concurrency: u16,
    /// Retries for a failing request (connection errors, 429, 5xx)
    #[arg(long, default_value_t = 5)]
    retries: u32,
    /// The longest one request may take, answer included (30s, 5m, 1h)
    #[arg(long, default_value = "5m", value_parser = cli::parse_duration)]
    timeout: std::time::Duration,
    /// Output format
    #[arg(short, long, value_enum, default_value_t)]
    output: OutputFormat,
    /// Verbose output on stderr (also HELM_DEBUG=true)
    #[arg(long)]
    debug: bool,
    /// No progress and nothing on success (failures and -o json are still printed)
    #[arg(short, long)]
    quiet: bool,
    /// Sign each chart pushed, as cosign sign does, beside its manifest (the .prov goes in the manifest as before)
    #[arg(long, value_enum)]
    sign: Option<SignArg>,
    /// --sign sigstore: the cosign private key (password from COSIGN_PASSWORD or a prompt); without it, keyless: a Fulcio certificate for the OIDC token in SIGSTORE_ID_TOKEN or GitHub Actions'
    #[arg(long, value_name = "FILE", requires = "sign")]
    key: Option<PathBuf>,
    /// --sign sigstore, keyless: the certificate authority (default: the signing configuration's, https://fulcio.sigstore.dev)
    #[arg(long, value_name = "URL", requires = "sign")]
    fulcio_url: Option<String>,
    /// --sign sigstore: enter the signatures in the transparency log
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, value_name = "BOOL")]
    tlog_upload: bool,
    /// --sign sigstore: the Rekor v1 transparency log (default: the signing configuration's, https://rekor.sigstore.dev)
    #[arg(long, value_name = "URL", requires = "sign")]
    rekor_url: Option<String>,
    /// --sign sigstore: the RFC 3161 timestamp authority (default: the signing configuration's; none when service URLs are given)
    #[arg(long, value_name = "URL", requires = "sign")]
    tsa_url: Option<String>,
    /// --sign sigstore: a signing_config.v0.2.json naming the services (default: the one `helm prov trust update` stored, else the public-good one built in)
    #[arg(long, value_name = "FILE", requires = "sign", conflicts_with_all = ["fulcio_url", "rekor_url", "tsa_url"])]
    signing_config: Option<PathBuf>,
    /// --sign sigstore, keyless: the OIDC issuer the identity token must be from
    #[arg(long, value_name = "URL", requires = "sign", conflicts_with = "key")]
    oidc_issuer: Option<String>,
    /// --sign sigstore: the trusted_root.json the answers must verify against (default: the one `helm prov trust update` stored, else the public-good root built in)
    #[arg(long, value_name = "FILE", requires = "sign")]
    trusted_root: Option<PathBuf>,
    /// --sign sigstore: cosign's storage forms: the v3 bundle as an OCI referrer, the legacy .sig manifest, or both
    #[arg(long, value_enum, default_value = "both", requires = "sign")]
    sigstore_format: FormatArg,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum SignArg {
    Sigstore,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum FormatArg {
    Bundle,
    Legacy,
    Both,
}

/// `--sign sigstore`: the signer, its key read (and its password asked for)
/// before anything is pushed.
#[cfg(feature = "prov")]
fn signer(c: &Common) -> Result<Option<ocipush::ManifestSigner>, Box<dyn std::error::Error>> {
    use wharf::cmd::prov::{self, SigstoreFormat, SigstoreSign};
    let Some(SignArg::Sigstore) = c.sign else {
        return Ok(None);
    };
    use wharf::net::SafeUrl;
    let s = SigstoreSign {
        services: wharf::sigstore::ServiceFlags {
            fulcio_url: c.fulcio_url.clone().map(SafeUrl::from),
            rekor_url: c.rekor_url.clone().map(SafeUrl::from),
            tsa_url: c.tsa_url.clone().map(SafeUrl::from),
            signing_config: c.signing_config.clone(),
            tlog_upload: c.tlog_upload,
        },
        oidc_issuer: c.oidc_issuer.clone(),
        trusted_root: c.trusted_root.clone(),
        bundle: None,
        format: match c.sigstore_format {
            FormatArg::Bundle => SigstoreFormat::Bundle,
            FormatArg::Legacy => SigstoreFormat::Legacy,
            FormatArg::Both => SigstoreFormat::Both,
        },
    };
    Ok(Some(prov::manifest_signer(
        c.key.as_deref(),
        &s,
        &wharf::cli::EnvSettings::from_env(),
    )?))
}

#[cfg(not(feature = "prov"))]
fn signer(c: &Common) -> Result<Option<ocipush::ManifestSigner>, Box<dyn std::error::Error>> {
    match c.sign {
        None => Ok(None),
        Some(_) => Err("--sign needs helm-wharf built with the `prov` feature".into()),
    }
}

fn options(c: &Common, target: String) -> Result<PushOptions, OciPushError> {
    let password = if c.password_stdin {
        Some(ocipush::read_password_stdin()?)
    } else {
        c.password.clone().map(Secret::from)
    };
    Ok(PushOptions {
        target,
        client: ClientOptions {
            plain_http: c.plain_http,
            insecure_skip_tls_verify: c.insecure_skip_tls_verify,
            ca_file: c.ca_file.clone(),
            cert_file: c.cert_file.clone(),
            key_file: c.key_file.clone(),
            retries: c.retries,
            timeout: c.timeout,
            ..ClientOptions::default()
        },
        username: c.username.clone(),
        password,
        skip_existing: c.skip_existing,
        concurrency: c.concurrency as usize,
        dry_run: c.dry_run,
        signer: None,
        tags: c.tag.clone(),
    })
}

fn main() -> ExitCode {
    if let Some(code) = complete::intercept("ocipush", Cli::command) {
        return code;
    }
    let cli = Cli::parse();
    let settings = EnvSettings::from_env();
    let (common, migrate, mut args, plugin) = match cli.command {
        Some(Command::Migrate {
            source,
            destination,
            common,
        }) => (common, true, vec![source, destination], None),
        Some(Command::Plugin {
            tarball,
            destination,
            common,
        }) => (common, false, vec![destination], Some(tarball)),
        None => (cli.common, false, cli.args, None),
    };
    cli::set_debug(common.debug || settings.debug);
    cli::set_quiet(common.quiet);
    if !migrate && plugin.is_none() && !std::path::Path::new(&args[0]).exists() {
        if let Some(command) = cli::did_you_mean(&args[0], &["migrate", "plugin"]) {
            eprintln!(
                "Error: unknown command {:?} for \"helm ocipush\"; did you mean \"helm ocipush {command}\"?",
                args[0]
            );
            return ExitCode::FAILURE;
        }
    }
    let destination = args.pop().unwrap_or_default();
    let mut opts = match options(&common, destination) {
        Ok(o) => o,
        Err(e) => return output::fail(&e),
    };
    if !common.dry_run {
        match signer(&common) {
            Ok(s) => opts.signer = s,
            Err(e) => return output::fail(e.as_ref()),
        }
    }
    let table = common.output == OutputFormat::Table && !common.quiet;
    let progress = |r: &Report| {
        if table || r.is_failure() {
            ocipush::print_progress(r);
        }
    };
    let start = Instant::now();
    let result = if let Some(tarball) = &plugin {
        ocipush::push_plugin(&settings, tarball, &opts, &progress)
    } else if migrate {
        ocipush::migrate(&settings, &args[0], &opts, &progress)
    } else {
        let paths: Vec<PathBuf> = args.into_iter().map(PathBuf::from).collect();
        ocipush::push(&settings, &paths, &opts, &progress)
    };
    let reports = match result {
        Ok(r) => r,
        Err(e) => return output::fail(&e),
    };
    let shown = output::emit(common.output, &reports, |r| {
        if !common.quiet {
            ocipush::print_summary(r, migrate, start.elapsed())
        }
    });
    if let Err(e) = shown {
        return output::fail(&e);
    }
    if reports.iter().any(Report::is_failure) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
