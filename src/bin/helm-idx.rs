//! `helm idx`: chart repository indexes, byte-compatible with `helm repo index`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use wharf::cli::{self, output, EnvSettings, OutputFormat};
use wharf::cmd::complete;
use wharf::cmd::idx::{self, BuildOptions, Conflict, IndexFormat, MergeOptions};

#[derive(Parser)]
#[command(
    name = "helm idx",
    bin_name = "helm idx",
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
    /// No progress and no summary line (warnings, errors and -o json are still printed)
    #[arg(short, long, global = true)]
    quiet: bool,
    /// Output format of the report
    #[arg(short, long, global = true, value_enum, default_value_t)]
    output: OutputFormat,
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
        /// Merge the generated index into the given index: a file (created when missing), an http(s) URL or a repository name
        #[arg(long, value_name = "INDEX")]
        merge: Option<String>,
        /// Write the index in JSON format
        #[arg(long)]
        json: bool,
        /// Fail, writing nothing, when a chart cannot be indexed
        #[arg(long)]
        strict: bool,
        /// Keep only the newest N versions of each chart (N >= 1)
        #[arg(long, value_name = "N", value_parser = keep_last_parser)]
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
        #[arg(long, value_enum, default_value_t)]
        conflict: Conflict,
        /// Write the index in JSON format
        #[arg(long)]
        json: bool,
        /// Keep only the newest N versions of each chart (N >= 1)
        #[arg(long, value_name = "N", value_parser = keep_last_parser)]
        keep_last: Option<usize>,
    },
    /// Check that DIR/index.yaml and the archives in DIR agree
    Check {
        /// Folder holding index.yaml and the chart archives
        dir: PathBuf,
        /// The --url the index was built with: every entry URL must start with it
        #[arg(long)]
        url: Option<String>,
        /// The --keep-last the index was built with: archives of the versions it drops are not problems
        #[arg(long, value_name = "N", value_parser = keep_last_parser)]
        keep_last: Option<usize>,
    },
}

/// `--keep-last`: at least 1, since keeping no version of any chart would
/// empty the index.
fn keep_last_parser(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be at least 1 (0 would drop every chart from the index)".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

fn index_format(json: bool) -> IndexFormat {
    if json {
        IndexFormat::Json
    } else {
        IndexFormat::Yaml
    }
}

fn main() -> ExitCode {
    if let Some(code) = complete::intercept("idx", Cli::command) {
        return code;
    }
    let args = Cli::parse();
    let settings = EnvSettings::from_env();
    cli::set_debug(args.debug || settings.debug);
    let format = args.output;
    let quiet = args.quiet;
    cli::set_quiet(quiet);
    let result = match args.command {
        Command::Build {
            dir,
            url,
            merge,
            json,
            strict,
            keep_last,
        } => idx::build(
            &BuildOptions {
                dir,
                url,
                merge,
                format: index_format(json),
                strict,
                keep_last,
            },
            &settings,
        )
        .and_then(|r| Ok(output::emit(format, &r, |r| idx::print_build(r, quiet))?)),
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
                conflict,
                format: index_format(json),
                keep_last,
            },
            &settings,
        )
        .and_then(|r| Ok(output::emit(format, &r, |r| idx::print_merge(r, quiet))?)),
        Command::Check {
            dir,
            url,
            keep_last,
        } => idx::check(&dir, url.as_deref(), keep_last).and_then(|r| {
            output::emit(format, &r, idx::print_check)?;
            r.into_result().map(drop)
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => output::fail(&e),
    }
}
