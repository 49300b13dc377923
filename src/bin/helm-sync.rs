//! `helm sync`: a chart repository kept in sync with GCS, S3 or Azure Blob
//! Storage, and (run as `helm-sync-getter`) the getter Helm uses for
//! `gs://`, `s3://` and `azblob://` repositories.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, CommandFactory, Parser, Subcommand};

use wharf::cli::{self, output, EnvSettings, OutputFormat};
use wharf::cmd::complete;
use wharf::cmd::sync::{self as cmd, SyncOptions};
use wharf::storage::{ProcessEnv, StoreOptions};
use wharf::sync::{IndexHeaders, PushOptions};

#[derive(Parser)]
#[command(
    name = "helm sync",
    bin_name = "helm sync",
    version,
    about = "Keep a chart repository in sync with GCS, S3 or Azure Blob Storage",
    long_about = "Keep a chart repository in sync with GCS, S3 or Azure Blob Storage.\n\n\
        'helm sync DIR gs://BUCKET' takes gsutil rsync's flags (-n, -d, -c, -x) and publishes \
        in the one safe order: archives and .prov files first, then index.yaml under a \
        precondition (a concurrent publisher is detected, not overwritten), then deletions. \
        'helm sync gs://BUCKET DIR' fetches a repository back.",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    /// Verbose output on stderr (also HELM_DEBUG=true)
    #[arg(long, global = true)]
    debug: bool,
    /// No progress and no summary line (warnings and errors are still printed)
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Output format of the report
    #[arg(short, long, global = true, value_enum, default_value_t)]
    output: OutputFormat,
    /// The longest one request to the store may take (e.g. 30s, 5m)
    #[arg(long, global = true, value_parser = cli::parse_duration, default_value = "10m")]
    timeout: std::time::Duration,
    #[command(flatten)]
    sync: SyncArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Args)]
struct IndexArgs {
    /// Content-Type of index.yaml
    #[arg(long, global = true, default_value = "text/yaml", value_name = "TYPE")]
    index_content_type: String,
    /// Cache-Control of index.yaml (a cached index hides new charts)
    #[arg(long, global = true, default_value = "no-cache", value_name = "VALUE")]
    index_cache_control: String,
}

#[derive(Args)]
struct SyncArgs {
    /// Where to copy from: a folder, or gs://BUCKET[/PREFIX], s3://..., azblob://..., file:///PATH
    src: Option<String>,
    /// Where to copy to
    dst: Option<String>,
    /// Dry run: print what would be copied and removed, change nothing
    #[arg(short = 'n', long)]
    dry_run: bool,
    /// Delete what DST has and SRC does not (never an archive the published index lists)
    #[arg(short = 'd', long)]
    delete: bool,
    /// Accepted for gsutil's sake: checksums are always compared
    #[arg(short = 'c', long)]
    checksum: bool,
    /// Skip paths matching this regular expression (matched from the start, as gsutil does)
    #[arg(short = 'x', long, value_name = "REGEX")]
    exclude: Option<String>,
    /// Do not ask before replacing or removing files
    #[arg(short = 'y', long)]
    yes: bool,
    /// Publish to a destination that has other files but no index.yaml
    #[arg(long)]
    init: bool,
    /// If someone else published meanwhile, merge with their index instead of stopping
    #[arg(long)]
    merge_remote: bool,
    #[command(flatten)]
    index: IndexArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Upload charts (and their .prov files) to a repository in a bucket and add them to its index
    Push {
        /// Chart archives, then the repository: gs://BUCKET[/PREFIX], s3://..., azblob://...
        #[arg(required = true, num_args = 2.., value_name = "CHART.tgz... DST")]
        args: Vec<String>,
        /// Replace versions the index already has
        #[arg(long)]
        force: bool,
        /// Start a repository where there is no index.yaml
        #[arg(long)]
        init: bool,
        /// Base URL of the entries (default: file names relative to the repository)
        #[arg(long)]
        url: Option<String>,
    },
    /// Build or refresh index.yaml of a repository in a bucket from its archives (as helm idx build)
    Index {
        /// The repository: gs://BUCKET[/PREFIX], s3://..., azblob://...
        dst: String,
        /// URL of the chart repository (entries are relative file names without)
        #[arg(long, default_value = "")]
        url: String,
    },
    /// Remove chart versions from a repository's index, then their archives
    Delete {
        /// Chart name
        name: String,
        /// The repository
        dst: String,
        /// Versions to remove (repeat, or separate with commas)
        #[arg(long = "version", required = true, value_delimiter = ',')]
        versions: Vec<String>,
    },
}

/// Helm runs a getter as `COMMAND CERT KEY CA URL` and reads the file from
/// its stdout.
fn getter(args: &[String]) -> ExitCode {
    let Some(url) = args.last().filter(|_| args.len() >= 2) else {
        eprintln!("Error: helm-sync-getter is run by Helm as: helm-sync-getter CERT KEY CA URL");
        return ExitCode::FAILURE;
    };
    let settings = EnvSettings::from_env();
    cli::set_debug(settings.debug);
    match cmd::get(url, &ProcessEnv) {
        Ok(data) => {
            let mut out = std::io::stdout().lock();
            match out.write_all(&data).and_then(|()| out.flush()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!(
                        "Error: cannot write to standard output: {}",
                        output::io_words(&e)
                    );
                    ExitCode::FAILURE
                }
            }
        }
        Err(e) => output::fail(&e),
    }
}

fn main() -> ExitCode {
    if let Some(code) = complete::intercept("sync", Cli::command) {
        return code;
    }
    let argv: Vec<String> = std::env::args().collect();
    let invoked_as = argv
        .first()
        .and_then(|a| std::path::Path::new(a).file_name())
        .and_then(|n| n.to_str())
        .unwrap_or("");
    if invoked_as.starts_with("helm-sync-getter") {
        return getter(&argv[1..]);
    }
    let args = Cli::parse();
    let settings = EnvSettings::from_env();
    cli::set_debug(args.debug || settings.debug);
    let format = args.output;
    let quiet = args.quiet;
    cli::set_quiet(quiet);
    let store = StoreOptions {
        timeout: Some(args.timeout),
        ..StoreOptions::default()
    };
    let headers = IndexHeaders {
        content_type: args.sync.index.index_content_type.clone(),
        cache_control: args.sync.index.index_cache_control.clone(),
    };
    let result = match args.command {
        Some(Command::Push {
            mut args,
            force,
            init,
            url,
        }) => {
            let dst = args.pop().unwrap_or_default();
            cmd::push(
                &dst,
                &PushOptions {
                    charts: args.into_iter().map(PathBuf::from).collect(),
                    force,
                    init,
                    base_url: url,
                    headers,
                },
                &ProcessEnv,
                &store,
            )
            .and_then(|r| Ok(output::emit(format, &r, |r| cmd::print_push(r, quiet))?))
        }
        Some(Command::Index { dst, url }) => cmd::index(&dst, &url, headers, &ProcessEnv, &store)
            .and_then(|r| Ok(output::emit(format, &r, |r| cmd::print_index(r, quiet))?)),
        Some(Command::Delete {
            name,
            dst,
            versions,
        }) => cmd::delete(&name, &versions, &dst, headers, &ProcessEnv, &store)
            .and_then(|r| Ok(output::emit(format, &r, |r| cmd::print_delete(r, quiet))?)),
        None => {
            let (Some(src), Some(dst)) = (args.sync.src, args.sync.dst) else {
                eprintln!("Error: helm sync takes SRC and DST (a folder and a bucket URL, in either order); see helm sync --help");
                return ExitCode::FAILURE;
            };
            let _ = args.sync.checksum;
            cmd::sync(
                &SyncOptions {
                    src,
                    dst,
                    dry_run: args.sync.dry_run,
                    delete: args.sync.delete,
                    exclude: args.sync.exclude,
                    yes: args.sync.yes,
                    init: args.sync.init,
                    merge_remote: args.sync.merge_remote,
                    headers,
                    store,
                    interactive: !quiet && format == OutputFormat::Table && cmd::on_terminal(),
                },
                &ProcessEnv,
            )
            .and_then(|r| Ok(output::emit(format, &r, |r| cmd::print_sync(r, quiet))?))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => output::fail(&e),
    }
}
