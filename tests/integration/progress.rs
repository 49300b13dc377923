//! The progress line of long runs, on a real terminal (a pseudo-terminal
//! from `openpty`): bulk pushes to the real registry and migrations, `helm
//! idx build` and `helm prov verify` of many charts, through Helm 3.17.3
//! and 4.1.4 as plugins too. On a terminal the line is redrawn in place
//! (`\r`, clear to the end of the line) with counts, bytes, a rate and the
//! time left, at most about ten times a second, and erased: what stays on
//! the screen is what a pipe gets, nothing garbled. On a pipe there is no
//! progress; with `-q` only errors and the data asked for (`-o json`).

use std::path::Path;
use std::process::{Command, Output};
use std::time::Instant;

use crate::support::pty::{self, OnTerminal, Stdout};
use crate::support::registry::{Registry, RegistryOptions};
use crate::support::*;

/// Erases the line: back to its start, clear to its end.
const ERASE: &str = "\r\x1b[K";

/// `n` charts `p0`..`p{n-1}`, version 1.0.0, each carrying `pad`
/// incompressible bytes, so that moving them takes measurable time.
fn charts(dir: &Path, n: usize, pad: usize) {
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    for i in 0..n {
        let noise: Vec<u8> = (0..pad)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect();
        let name = format!("p{i}");
        let chart_yaml = format!("apiVersion: v2\nname: {name}\nversion: 1.0.0\n");
        let (cy, nb) = (
            format!("{name}/Chart.yaml"),
            format!("{name}/files/noise.bin"),
        );
        let bytes = tgz(&[(&cy, chart_yaml.as_bytes()), (&nb, &noise)]);
        std::fs::write(dir.join(format!("{name}-1.0.0.tgz")), bytes).unwrap();
    }
}

/// A run on the terminal, timed.
struct Timed {
    run: OnTerminal,
    took: std::time::Duration,
}

fn on_terminal(c: Command, stdout: Stdout) -> Timed {
    let started = Instant::now();
    let run = pty::run(c, stdout);
    Timed {
        run,
        took: started.elapsed(),
    }
}

/// The frames of the progress line of `verb`: what follows each erase,
/// up to the next one.
fn frames(raw: &str, verb: &str) -> Vec<String> {
    let head = format!("{verb}  ");
    raw.split(ERASE)
        .filter(|s| s.starts_with(&head))
        .map(|s| s.to_string())
        .collect()
}

/// The line was drawn in place, ended at `total` of `total` with a rate
/// and the time left, and was drawn no more often than about ten times a
/// second; returns the last frame.
fn assert_progress(t: &Timed, verb: &str, total: usize, unit: &str) -> String {
    let raw = &t.run.raw;
    let f = frames(raw, verb);
    assert!(!f.is_empty(), "no progress line for {verb}: {raw:?}");
    for frame in &f {
        assert!(
            !frame.contains('\n') && !frame.contains('\r'),
            "a frame that is not one line in place: {frame:?} in {raw:?}"
        );
        assert!(frame.contains(&format!("/{total} {unit}")), "{frame:?}");
    }
    let last = f.last().unwrap().clone();
    assert!(
        last.starts_with(&format!("{verb}  {total}/{total} {unit}  ")),
        "{last:?}"
    );
    assert!(last.contains("/s  "), "no rate in {last:?}");
    assert!(last.contains("  ETA 0:00"), "no time left in {last:?}");
    // One frame every 100 ms at most, and the last one at the end.
    let most = (t.took.as_millis() / 100) as usize + 2;
    assert!(
        f.len() <= most,
        "{} frames in {:?}: more than ten a second",
        f.len(),
        t.took
    );
    last
}

/// What a pipe gets has no progress in it.
fn assert_no_progress(err: &str) {
    assert!(
        !err.contains('\r') && !err.contains('\x1b'),
        "progress on a pipe: {err:?}"
    );
}

fn ok_output(mut c: Command) -> Output {
    let o = c.output().unwrap();
    assert!(o.status.success(), "{}", output_text(&o));
    o
}

#[test]
fn a_bulk_push_shows_progress_on_a_terminal_and_none_on_a_pipe_or_with_quiet() {
    let reg = Registry::start(RegistryOptions::default());
    let home = HelmHome::new();
    let work = tempfile::tempdir().unwrap();
    const N: usize = 40;
    charts(work.path(), N, 96 << 10);
    let push = |repo: &str, extra: &[&str]| {
        let mut c = ocipush(&home);
        c.arg(work.path())
            .arg(format!("oci://{}/{repo}", reg.host))
            .args(["--plain-http", "--concurrency", "2"])
            .args(extra);
        c
    };

    let t = on_terminal(push("tty", &[]), Stdout::Pipe);
    assert!(t.run.status.success(), "{}", t.run.raw);
    let last = assert_progress(&t, "pushing", N, "charts");
    // The bytes uploaded: 40 charts of 96 KiB of noise each.
    assert!(
        last.contains(" MiB  ") && last.contains(" MiB/s  "),
        "{last:?}"
    );
    // What stays on the screen: Helm's lines for each chart and the
    // summary, each whole, the progress line gone.
    let shown = t.run.visible();
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("Pushed: ")).count(),
        N,
        "{shown}"
    );
    assert!(
        lines.iter().all(|l| l.starts_with("Pushed: ")
            || l.starts_with("Digest: sha256:")
            || l.starts_with(&format!("{N} chart(s): {N} pushed"))),
        "{shown}"
    );
    assert!(lines.last().unwrap().starts_with(&format!("{N} chart(s)")));
    assert_eq!(reg.tags("tty/p7"), ["1.0.0"]);

    // A pipe: the same lines, no progress.
    let o = ok_output(push("pipe", &[]));
    let err = lossy(&o.stderr);
    assert_no_progress(&err);
    assert_eq!(err.lines().count(), lines.len(), "{err}");

    // -q, stdout a pipe: nothing at all on the terminal, the JSON on stdout.
    let t = on_terminal(push("quiet", &["-q", "-o", "json"]), Stdout::Pipe);
    assert!(t.run.status.success(), "{}", t.run.raw);
    assert_eq!(t.run.raw, "", "-q showed something");
    let reports: Vec<serde_json::Value> = serde_json::from_str(&t.run.stdout).unwrap();
    assert_eq!(reports.len(), N);

    // -q, stdout on the same terminal: the JSON and nothing else.
    let t = on_terminal(push("quiet-tty", &["-q", "-o", "json"]), Stdout::Terminal);
    assert!(t.run.status.success(), "{}", t.run.raw);
    let reports: Vec<serde_json::Value> = serde_json::from_str(&t.run.raw)
        .unwrap_or_else(|e| panic!("{e}: not only JSON: {:?}", t.run.raw));
    assert_eq!(reports.len(), N);

    // -q with charts that cannot be pushed: the errors, nothing else.
    let bad = tempfile::tempdir().unwrap();
    charts(bad.path(), 3, 16);
    std::fs::write(bad.path().join("broken-1.0.0.tgz"), b"not a gzip stream").unwrap();
    let mut c = ocipush(&home);
    c.arg(bad.path())
        .arg(format!("oci://{}/bad", reg.host))
        .args(["--plain-http", "-q"]);
    let t = on_terminal(c, Stdout::Terminal);
    assert!(!t.run.status.success(), "{}", t.run.raw);
    let shown = t.run.visible();
    assert_eq!(shown.lines().count(), 2, "{shown}");
    assert!(shown.lines().all(|l| l.starts_with("Error: ")), "{shown}");
    assert!(!t.run.raw.contains(ERASE), "{:?}", t.run.raw);
}

#[test]
fn a_migration_shows_progress_on_a_terminal() {
    let reg = Registry::start(RegistryOptions::default());
    let home = HelmHome::new();
    let work = tempfile::tempdir().unwrap();
    const N: usize = 12;
    charts(work.path(), N, 32 << 10);
    ok_output({
        let mut c = idx(&home);
        c.arg("build").arg(work.path());
        c
    });
    let server = FileServer::start(work.path(), None);
    let migrate = |repo: &str, extra: &[&str]| {
        let mut c = ocipush(&home);
        c.args(["migrate", &format!("{}/", server.url)])
            .arg(format!("oci://{}/{repo}", reg.host))
            .arg("--plain-http")
            .args(extra);
        c
    };
    let t = on_terminal(migrate("tty", &[]), Stdout::Pipe);
    assert!(t.run.status.success(), "{}", t.run.raw);
    assert_progress(&t, "migrating", N, "charts");
    let shown = t.run.visible();
    assert!(
        shown
            .trim_end()
            .lines()
            .last()
            .unwrap()
            .starts_with(&format!("{N} chart(s): {N} pushed")),
        "{shown}"
    );
    assert!(!shown.contains("migrating  "), "{shown}");

    let o = ok_output(migrate("pipe", &[]));
    assert_no_progress(&lossy(&o.stderr));

    let t = on_terminal(migrate("quiet", &["-q"]), Stdout::Terminal);
    assert!(t.run.status.success(), "{}", t.run.raw);
    assert_eq!(t.run.raw, "");
}

#[test]
fn indexing_many_charts_shows_progress_and_leaves_the_summary_alone() {
    let home = HelmHome::new();
    let work = tempfile::tempdir().unwrap();
    const N: usize = 400;
    charts(work.path(), N, 24 << 10);
    // An archive that is skipped: its warning shows whole.
    std::fs::write(work.path().join("broken-1.0.0.tgz"), b"not a gzip stream").unwrap();
    let build = || {
        let mut c = idx(&home);
        c.arg("build").arg(work.path());
        c
    };
    let index = work.path().join("index.yaml");

    let t = on_terminal(build(), Stdout::Pipe);
    assert!(t.run.status.success(), "{}", t.run.raw);
    // The total counts every archive found, the broken one too; the bytes
    // are the archives' sizes.
    let last = assert_progress(&t, "indexing", N + 1, "charts");
    assert!(last.contains(" MiB/"), "{last:?}");
    std::fs::remove_file(&index).unwrap();

    // Exactly what a pipe gets stays on the screen.
    let o = ok_output(build());
    let err = lossy(&o.stderr);
    assert_no_progress(&err);
    assert!(err.starts_with("warning: skipping "), "{err}");
    assert!(
        err.contains(&format!("Indexed {N} chart version(s)")),
        "{err}"
    );
    assert_eq!(t.run.visible(), err);
    std::fs::remove_file(&index).unwrap();

    // -q: the warning only; with -o json the report too, on stdout.
    let mut c = build();
    c.arg("-q");
    let t = on_terminal(c, Stdout::Pipe);
    assert!(t.run.status.success(), "{}", t.run.raw);
    assert!(!t.run.raw.contains(ERASE), "{:?}", t.run.raw);
    assert_eq!(t.run.visible().lines().count(), 1, "{:?}", t.run.raw);
    assert!(
        t.run.raw.starts_with("warning: skipping "),
        "{:?}",
        t.run.raw
    );
    let mut c = build();
    c.args(["-q", "-o", "json"]);
    let t = on_terminal(c, Stdout::Pipe);
    assert!(t.run.status.success(), "{}", t.run.raw);
    assert!(!t.run.raw.contains(ERASE), "{:?}", t.run.raw);
    let report: serde_json::Value = serde_json::from_str(&t.run.stdout).unwrap();
    assert_eq!(report["entries"], N);
}

#[cfg(feature = "prov")]
#[test]
fn verifying_many_charts_shows_progress_and_quiet_leaves_errors_and_data() {
    let home = HelmHome::new();
    let work = tempfile::tempdir().unwrap();
    const N: usize = 60;
    charts(work.path(), N, 8 << 10);
    ok_output({
        let mut c = helm_prov(&home);
        c.arg("sign")
            .arg(work.path())
            .arg("--keyring")
            .arg(fixtures().join("prov/keys/rsa.sec.gpg"))
            .args(["--key", "rsa@example.com", "-q"]);
        c
    });
    let ring = fixtures().join("prov/keys/rsa.pub.gpg");
    let verify = |extra: &[&str]| {
        let mut c = helm_prov(&home);
        c.arg("verify")
            .arg(work.path())
            .arg("--keyring")
            .arg(&ring)
            .args(extra);
        c
    };

    // stderr on the terminal, stdout (helm verify's lines) a pipe: the
    // progress, then a clean screen.
    let t = on_terminal(verify(&[]), Stdout::Pipe);
    assert!(t.run.status.success(), "{}", t.run.raw);
    let last = assert_progress(&t, "verifying", N, "charts");
    assert!(last.contains(" charts/s  "), "{last:?}");
    assert_eq!(t.run.visible(), "", "{:?}", t.run.raw);
    assert_eq!(
        t.run
            .stdout
            .lines()
            .filter(|l| l.starts_with("Chart Hash Verified: "))
            .count(),
        N
    );

    let o = ok_output(verify(&[]));
    assert_no_progress(&lossy(&o.stderr));
    assert_eq!(lossy(&o.stdout), t.run.stdout);

    // -q: nothing; -q -o json: the reports only.
    let t = on_terminal(verify(&["-q"]), Stdout::Terminal);
    assert!(t.run.status.success(), "{}", t.run.raw);
    assert_eq!(t.run.raw, "");
    let t = on_terminal(verify(&["-q", "-o", "json"]), Stdout::Terminal);
    assert!(t.run.status.success(), "{}", t.run.raw);
    let reports: Vec<serde_json::Value> = serde_json::from_str(&t.run.raw)
        .unwrap_or_else(|e| panic!("{e}: not only JSON: {:?}", t.run.raw));
    assert_eq!(reports.len(), N);

    // A tampered chart: on the terminal its error shows whole after the
    // progress; with -q the error line and nothing else.
    let other = tempfile::tempdir().unwrap();
    charts(other.path(), 4, 9);
    std::fs::copy(
        other.path().join("p3-1.0.0.tgz"),
        work.path().join("p3-1.0.0.tgz"),
    )
    .unwrap();
    let t = on_terminal(verify(&[]), Stdout::Pipe);
    assert!(!t.run.status.success(), "{}", t.run.raw);
    assert_progress(&t, "verifying", N, "charts");
    let shown = t.run.visible();
    assert_eq!(shown.lines().count(), 1, "{shown}");
    assert!(shown.starts_with("Error: "), "{shown}");
    let t = on_terminal(verify(&["-q"]), Stdout::Terminal);
    assert!(!t.run.status.success(), "{}", t.run.raw);
    assert!(!t.run.raw.contains(ERASE), "{:?}", t.run.raw);
    assert_eq!(t.run.visible(), shown);
}

#[test]
fn progress_reaches_the_terminal_through_helm_3_and_4() {
    let bin = root().join("target").join("release").join("helm-ocipush");
    assert!(
        bin.is_file(),
        "{} is missing: build the release binaries first (cargo build --release)",
        bin.display()
    );
    let reg = Registry::start(RegistryOptions::default());
    let work = tempfile::tempdir().unwrap();
    const N: usize = 10;
    charts(work.path(), N, 32 << 10);
    for helm in BOTH {
        let home = HelmHome::new();
        home.helm_ok(helm, &["plugin", "install", root().to_str().unwrap()]);
        let repo = format!("oci://{}/helm{}", reg.host, helm.version().replace('.', ""));
        let mut c = home.command(helm.bin());
        c.arg("ocipush")
            .arg(work.path())
            .arg(&repo)
            .args(["--plain-http", "--concurrency", "2"])
            .env_remove("DOCKER_CONFIG");
        let t = on_terminal(c, Stdout::Pipe);
        assert!(
            t.run.status.success(),
            "Helm {}: {}",
            helm.version(),
            t.run.raw
        );
        assert_progress(&t, "pushing", N, "charts");
        let shown = t.run.visible();
        assert!(!shown.contains("pushing  "), "{shown}");
        assert!(
            shown
                .trim_end()
                .lines()
                .last()
                .unwrap()
                .starts_with(&format!("{N} chart(s): {N} pushed")),
            "Helm {}: {shown}",
            helm.version()
        );

        // Through Helm with -q: nothing.
        let mut c = home.command(helm.bin());
        c.arg("ocipush")
            .arg(work.path())
            .arg(format!("{repo}-quiet"))
            .args(["--plain-http", "-q"])
            .env_remove("DOCKER_CONFIG");
        let t = on_terminal(c, Stdout::Terminal);
        assert!(t.run.status.success(), "{}", t.run.raw);
        assert_eq!(t.run.raw, "", "Helm {}", helm.version());
    }
}
