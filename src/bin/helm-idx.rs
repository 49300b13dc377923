//! `helm idx`: chart repository indexes, byte-compatible with `helm repo index`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use wharf::cli::{self, EnvSettings};
use wharf::cmd::idx::{self, BuildOptions, Conflict, Format, MergeOptions};

#[derive(Parser)]
#[command(
    name = "helm idx",
    version,
    about = "Build, merge and check chart repository indexes",
    long_about = "Build, merge and check chart repository indexes.\n\n\
        'helm idx build' is a drop-in for 'helm repo index' (same flags, same bytes) that keeps \
        'created' for archives it has already indexed and skips unchanged archives."
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
    /// Generate an index file from a folder of chart archives (like 'helm repo index')
    Build {
        /// Folder holding the chart archives; index.yaml is written there
        dir: PathBuf,
        /// URL of the chart repository
        #[arg(long, default_value = "")]
        url: String,
        /// Merge the generated index into the given index
        #[arg(long)]
        merge: Option<PathBuf>,
        /// Write the index in JSON format
        #[arg(long)]
        json: bool,
        /// Fail, writing nothing, when a chart cannot be indexed
        #[arg(long)]
        strict: bool,
        /// Keep only the newest N versions of each chart
        #[arg(long, value_name = "N")]
        keep_last: Option<usize>,
    },
    /// Merge index files, URLs and repositories into OUT
    Merge {
        /// Index file to write
        out: PathBuf,
        /// Index files, http(s) URLs or names of repositories from repositories.yaml
        #[arg(required = true)]
        sources: Vec<String>,
        /// Same chart version with a different digest in two sources
        #[arg(long, value_enum, default_value_t = ConflictArg::Keep)]
        conflict: ConflictArg,
        /// Write the index in JSON format
        #[arg(long)]
        json: bool,
        /// Keep only the newest N versions of each chart
        #[arg(long, value_name = "N")]
        keep_last: Option<usize>,
    },
    /// Check that DIR/index.yaml and the archives in DIR agree
    Check {
        /// Folder holding index.yaml and the chart archives
        dir: PathBuf,
        /// The --url the index was built with
        #[arg(long)]
        url: Option<String>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ConflictArg {
    Keep,
    Replace,
    Fail,
}

fn format(json: bool) -> Format {
    if json {
        Format::Json
    } else {
        Format::Yaml
    }
}

fn warn_all(warnings: &[String]) {
    for w in warnings {
        eprintln!("warning: {w}");
    }
}

/// Errors are reported on one line, whatever the wrapped library wrote.
fn one_line(s: &str) -> String {
    s.split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn main() -> ExitCode {
    let args = Cli::parse();
    let settings = EnvSettings::from_env();
    cli::set_debug(args.debug || settings.debug);
    let result = match args.command {
        Command::Build {
            dir,
            url,
            merge,
            json,
            strict,
            keep_last,
        } => idx::build(&BuildOptions {
            dir,
            url,
            merge,
            format: format(json),
            strict,
            keep_last,
        })
        .map(|r| {
            warn_all(&r.warnings);
            wharf::debug!(
                "wrote {} ({} entries; {} archives reused, {} loaded)",
                r.index_path.display(),
                r.entries,
                r.reused,
                r.loaded
            );
        }),
        Command::Merge {
            out,
            sources,
            conflict,
            json,
            keep_last,
        } => idx::merge(
            &MergeOptions {
                out,
                sources,
                conflict: match conflict {
                    ConflictArg::Keep => Conflict::Keep,
                    ConflictArg::Replace => Conflict::Replace,
                    ConflictArg::Fail => Conflict::Fail,
                },
                format: format(json),
                keep_last,
            },
            &settings,
        )
        .map(|r| warn_all(&r.warnings)),
        Command::Check { dir, url } => idx::check(&dir, url.as_deref()).and_then(|problems| {
            for p in &problems {
                println!("{p}");
            }
            if problems.is_empty() {
                Ok(())
            } else {
                Err(idx::IdxError::Check(problems.len()))
            }
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {}", one_line(&e.to_string()));
            ExitCode::FAILURE
        }
    }
}

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;
