//! `helm sync`: publish a chart repository to object storage, fetch it
//! back, push and delete charts there, and serve it to Helm as a getter.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

use serde::Serialize;
use thiserror::Error;

use crate::cli::{output, Progress};
use crate::storage::{Env, Location, StorageError, Store, StoreOptions};
use crate::sync::{
    self, Direction, Endpoint, IndexHeaders, PlanOptions, PushOptions, RunOptions, Step, SyncError,
};

#[derive(Debug, Error)]
pub enum SyncCmdError {
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("-x {pattern:?} is not a valid regular expression: {message}")]
    Exclude { pattern: String, message: String },
    #[error("{0}")]
    Usage(String),
    #[error("Discontinuing sync process.")]
    Declined,
    #[error("this sync would remove {0} object(s) and there is no terminal to ask on: review them with -n, then add --yes")]
    NeedsYes(usize),
    #[error(transparent)]
    Output(#[from] output::OutputError),
}

#[derive(Debug, Clone, Default)]
pub struct SyncOptions {
    pub src: String,
    pub dst: String,
    pub dry_run: bool,
    pub delete: bool,
    pub exclude: Option<String>,
    pub yes: bool,
    pub init: bool,
    pub merge_remote: bool,
    pub headers: IndexHeaders,
    pub store: StoreOptions,
    /// Ask questions (a terminal, no `-q`, no `-o json`). The progress
    /// line shows whenever stderr is a terminal and `-q` is off.
    pub interactive: bool,
}

#[derive(Debug, Serialize)]
pub struct SyncReport {
    pub source: String,
    pub destination: String,
    pub dry_run: bool,
    /// Every step of the plan, in the order a run takes them.
    pub steps: Vec<Step>,
    /// The plan in gsutil's words (`Would copy ...`), for the dry run.
    #[serde(skip)]
    pub lines: Vec<String>,
    #[serde(flatten)]
    pub run: sync::RunReport,
}

fn endpoint(arg: &str, env: &dyn Env, o: &StoreOptions) -> Result<Endpoint, SyncCmdError> {
    if Location::is_store_url(arg) {
        Ok(Endpoint::Store(Box::new(Store::open(arg, env, o)?)))
    } else {
        let shown = arg.trim_end_matches('/');
        let shown = if shown.is_empty() { "/" } else { shown };
        Ok(Endpoint::Local {
            dir: PathBuf::from(arg),
            shown: shown.to_string(),
        })
    }
}

/// Bytes as people read them: `512 B`, `3.2 KiB`, `1.0 MiB`.
pub fn human(b: u64) -> String {
    output::human_bytes(b)
}

/// Asks on the terminal; only an exact `y` or `yes` (any case) is yes.
fn confirm() -> bool {
    output::text("Are you sure you would like to continue with these changes? [y/N] ");
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// Whether questions can be asked: both stdin and stderr are terminals.
pub fn on_terminal() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// `helm sync SRC DST`.
pub fn sync(o: &SyncOptions, env: &dyn Env) -> Result<SyncReport, SyncCmdError> {
    let exclude = match &o.exclude {
        Some(p) => Some(regex_lite::Regex::new(&format!("^(?:{p})")).map_err(|e| {
            SyncCmdError::Exclude {
                pattern: p.clone(),
                message: e
                    .to_string()
                    .lines()
                    .last()
                    .unwrap_or("")
                    .trim()
                    .to_string(),
            }
        })?),
        None => None,
    };
    let (src_store, dst_store) = (
        Location::is_store_url(&o.src),
        Location::is_store_url(&o.dst),
    );
    if src_store == dst_store {
        return Err(SyncCmdError::Usage(
            "one of SRC and DST must be a local folder and the other a gs://, s3://, azblob:// or file:// URL".into(),
        ));
    }
    let from = endpoint(&o.src, env, &o.store)?;
    let to = endpoint(&o.dst, env, &o.store)?;
    let plan = sync::plan(
        &from,
        &to,
        &PlanOptions {
            delete: o.delete,
            exclude,
            init: o.init,
        },
    )?;
    let lines = plan.lines(&from, &to);
    let mut report = SyncReport {
        source: from.url(),
        destination: to.url(),
        dry_run: o.dry_run,
        steps: plan.steps().cloned().collect(),
        lines: Vec::new(),
        run: sync::RunReport {
            direction: Some(plan.direction),
            unchanged: plan.unchanged,
            excluded: plan.excluded,
            ..Default::default()
        },
    };
    if o.dry_run {
        report.lines = lines;
        return Ok(report);
    }
    if plan.is_destructive() && !o.yes {
        if o.interactive {
            for l in &lines {
                output::line(format_args!("{l}"));
            }
            if !confirm() {
                return Err(SyncCmdError::Declined);
            }
        } else if !plan.removes.is_empty() {
            return Err(SyncCmdError::NeedsYes(plan.removes.len()));
        }
    }
    let objects = (plan.copies.len() + plan.index.iter().count()) as u64;
    let progress = Progress::start("copying", "objects", objects);
    progress.set_total_bytes(plan.bytes_to_copy());
    let run = sync::run(
        &plan,
        &from,
        &to,
        &RunOptions {
            merge_remote: o.merge_remote,
            headers: o.headers.clone(),
        },
        &progress,
    );
    progress.finish();
    report.run = run?;
    Ok(report)
}

/// The dry run's lines (stderr, gsutil's words) or the summary line.
pub fn print_sync(r: &SyncReport, quiet: bool) {
    if r.dry_run {
        for l in &r.lines {
            output::line(format_args!("{l}"));
        }
        if !quiet {
            output::line(format_args!(
                "Dry run: {} to copy, {} to remove, {} unchanged; nothing was changed",
                r.steps
                    .iter()
                    .filter(|s| matches!(s, Step::Copy { .. }))
                    .count(),
                r.steps
                    .iter()
                    .filter(|s| matches!(s, Step::Remove { .. }))
                    .count(),
                r.run.unchanged
            ));
        }
        return;
    }
    for k in &r.run.kept {
        output::warn(format_args!("kept {k}: the published index still lists it"));
    }
    if quiet {
        return;
    }
    let mut parts = vec![format!(
        "{} copied ({})",
        r.run.copied + usize::from(r.run.index_written),
        human(r.run.bytes)
    )];
    if r.run.index_written {
        parts.push(if r.run.merged_remote {
            "index.yaml merged with the published one".into()
        } else {
            "index.yaml written".into()
        });
    }
    if r.run.removed > 0 {
        parts.push(format!("{} removed", r.run.removed));
    }
    parts.push(format!("{} unchanged", r.run.unchanged));
    if r.run.excluded > 0 {
        parts.push(format!("{} excluded", r.run.excluded));
    }
    let verb = match r.run.direction {
        Some(Direction::Down) => "Fetched",
        _ => "Synced",
    };
    output::line(format_args!(
        "{verb} {} to {}: {}",
        r.source,
        r.destination,
        parts.join(", ")
    ));
}

/// `helm sync push CHART.tgz... DST`.
pub fn push(
    dst: &str,
    o: &PushOptions,
    env: &dyn Env,
    store: &StoreOptions,
) -> Result<sync::PushReport, SyncCmdError> {
    let store = Store::open(dst, env, store)?;
    Ok(sync::push_charts(&store, o)?)
}

pub fn print_push(r: &sync::PushReport, quiet: bool) {
    if quiet {
        return;
    }
    for p in &r.pushed {
        output::line(format_args!(
            "Pushed {} {} to {}{}",
            p.name,
            p.version,
            p.url,
            if p.provenance { " (with .prov)" } else { "" }
        ));
    }
    output::line(format_args!(
        "Added {} chart version(s) to {}/index.yaml",
        r.pushed.len(),
        r.repository
    ));
}

/// `helm sync delete NAME --version V... DST`.
pub fn delete(
    name: &str,
    versions: &[String],
    dst: &str,
    headers: IndexHeaders,
    env: &dyn Env,
    store: &StoreOptions,
) -> Result<sync::DeleteReport, SyncCmdError> {
    let store = Store::open(dst, env, store)?;
    Ok(sync::delete_versions(&store, name, versions, &headers)?)
}

pub fn print_delete(r: &sync::DeleteReport, quiet: bool) {
    if quiet {
        return;
    }
    output::line(format_args!(
        "Removed {} from {}/index.yaml and deleted {} object(s)",
        r.removed.join(", "),
        r.repository,
        r.deleted.len()
    ));
}

/// `helm sync index DST`.
pub fn index(
    dst: &str,
    base_url: &str,
    headers: IndexHeaders,
    env: &dyn Env,
    store: &StoreOptions,
) -> Result<sync::ReindexReport, SyncCmdError> {
    let store = Store::open(dst, env, store)?;
    Ok(sync::reindex(&store, base_url, &headers)?)
}

pub fn print_index(r: &sync::ReindexReport, quiet: bool) {
    for s in &r.skipped {
        output::warn(format_args!("skipping {s}"));
    }
    if quiet {
        return;
    }
    output::line(format_args!(
        "Indexed {} chart version(s) into {}/index.yaml ({} known from the digest record, {} downloaded)",
        r.entries, r.repository, r.known, r.downloaded
    ));
}

/// The getter: what Helm runs as `COMMAND CERT KEY CA URL` for a `gs://`,
/// `s3://` or `azblob://` URL; the object goes to stdout.
pub fn get(url: &str, env: &dyn Env) -> Result<Vec<u8>, SyncCmdError> {
    let Some((parent, key)) = url.trim_end_matches('/').rsplit_once('/') else {
        return Err(StorageError::BadUrl(url.to_string()).into());
    };
    if parent.ends_with(':') || parent.ends_with("//") || key.is_empty() {
        return Err(StorageError::BadUrl(url.to_string()).into());
    }
    let store = Store::open(parent, env, &StoreOptions::default())?;
    let key = String::from_utf8_lossy(&crate::go::url::percent_decode(key)).into_owned();
    let (limit, what) = if key.ends_with(".prov") {
        (crate::getter::Body::Provenance.limit(), "a provenance file")
    } else if key.ends_with(".tgz") {
        (crate::getter::Body::Archive.limit(), "a chart archive")
    } else {
        (crate::getter::Body::Index.limit(), "an index")
    };
    match store.get(&key, limit, what)? {
        Some((data, _)) => Ok(data),
        None => Err(StorageError::NotFound {
            url: store.url_of(&key),
        }
        .into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_read_them() {
        assert_eq!(human(512), "512 B");
        assert_eq!(human(2048), "2.0 KiB");
        assert_eq!(human(5 << 20), "5.0 MiB");
    }
}
