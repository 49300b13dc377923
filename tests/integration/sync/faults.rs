//! A store that fails part-way through a publish: answers 503, drops
//! connections, loses the answer to the index write after it landed,
//! refuses with a 4xx, asks to slow down with 429, or dies and comes back
//! on the same port. Whatever happens, the run succeeds or stops with one
//! error line; the published repository stays consistent (its index.yaml
//! lists no archive the store lacks, checked with the rig's own client); a
//! refusal is sent once and named; a run without faults afterwards, without
//! --init, uploads (or downloads) only what is missing; a retried index
//! write that finds another publisher's index reports the conflict (and
//! --merge-remote merges); and with HELM_DEBUG on, neither the log nor the
//! errors show the credentials.

use std::collections::HashSet;
use std::path::Path;
use std::process::{Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::fault_proxy::{Fault, FaultProxy};

use super::*;

/// The base URL the repositories' indexes name their archives under.
const BASE: &str = "https://charts.example.com/r";

/// `helm-sync` against `emu` reached at `endpoint` (a proxy in front of it).
fn sync_at(home: &HelmHome, emu: &Emulator, endpoint: &str) -> Command {
    let mut c = sync(home, emu);
    for (k, v) in emu.env_at(endpoint) {
        c.env(k, v);
    }
    c
}

/// `helm-sync` against `emu` through its counting proxy.
fn sync_counted(home: &HelmHome, emu: &Emulator) -> Command {
    sync_at(home, emu, &emu.proxied_endpoint())
}

/// Charts `c000`..`c{n-1}` at 1.0.0 in `dir` (those there are written
/// again, the same bytes), indexed by Helm.
fn add_charts(home: &HelmHome, dir: &Path, n: usize) {
    let names: Vec<String> = (0..n).map(|i| format!("c{i:03}")).collect();
    let charts: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "1.0.0")).collect();
    helm_repo(home, dir, &charts, BASE);
}

/// Whether a request writes an object: S3's and Azure's PUT, GCS's POST
/// upload.
fn is_write(method: &str) -> bool {
    method == "PUT" || method == "POST"
}

/// Whether a request is a write of index.yaml: the only conditional GCS
/// upload (`ifGenerationMatch`), the PUT of `.../index.yaml` elsewhere.
fn is_index_write(method: &str, target: &str) -> bool {
    let path = target.split('?').next().unwrap_or("");
    is_write(method) && (target.contains("ifGenerationMatch") || path.ends_with("/index.yaml"))
}

/// How many writes the requests hold.
fn writes(log: &[(String, String, u16)]) -> usize {
    log.iter().filter(|(m, _, _)| is_write(m)).count()
}

/// Fails unless every archive the index.yaml under `prefix` lists is in
/// the store with the bytes of the file of that name in `repo` (or in one
/// of `also`, other publishers' folders). Read with the rig's own client;
/// no index is consistent too. Returns how many archives the index lists.
fn assert_consistent(emu: &Emulator, prefix: &str, repo: &Path, what: &str) -> usize {
    assert_consistent_with(emu, prefix, &[repo], what)
}

fn assert_consistent_with(emu: &Emulator, prefix: &str, repos: &[&Path], what: &str) -> usize {
    let Some(index) = emu.get("charts", &format!("{prefix}/index.yaml")) else {
        return 0;
    };
    let loaded = wharf::repo::load_index(&index, "index.yaml", wharf::repo::Strictness::Helm)
        .unwrap_or_else(|e| panic!("{what}: the published index does not load: {e}"))
        .index;
    let names: HashSet<String> = emu.list("charts").into_iter().map(|(n, _)| n).collect();
    let mut listed = 0;
    for cv in loaded.entries.values().flatten() {
        for url in cv.urls.iter().flatten() {
            let file = url.rsplit('/').next().unwrap();
            let key = format!("{prefix}/{file}");
            assert!(
                names.contains(&key),
                "{what}: the index lists {url} but the store has no {key}"
            );
            let local = repos
                .iter()
                .find_map(|r| std::fs::read(r.join(file)).ok())
                .unwrap_or_else(|| panic!("{what}: the index lists {url}, in no folder"));
            assert!(
                emu.get("charts", &key).as_deref() == Some(&local[..]),
                "{what}: {key} differs from the file the index lists"
            );
            listed += 1;
        }
    }
    listed
}

/// The files of `repo` the store lacks (or holds other bytes for) under
/// `prefix`, index.yaml included.
fn missing(emu: &Emulator, prefix: &str, repo: &Path) -> Vec<String> {
    let there: std::collections::HashMap<String, Vec<u8>> =
        objects(emu, prefix).into_iter().collect();
    files(repo)
        .into_iter()
        .filter(|(k, v)| there.get(k) != Some(v))
        .map(|(k, _)| k)
        .collect()
}

/// A failed run's output: one line on stderr, `Error: ...`, nothing on
/// stdout; returns the line.
fn one_error_line(out: &Output, what: &str) -> String {
    let (stdout, stderr) = (lossy(&out.stdout), lossy(&out.stderr));
    assert!(!out.status.success(), "{what}: succeeded: {stderr}");
    assert!(stdout.is_empty(), "{what}: stdout {stdout:?}");
    assert_eq!(
        stderr.trim().lines().count(),
        1,
        "{what}: one line: {stderr}"
    );
    assert!(stderr.starts_with("Error: "), "{what}: {stderr}");
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    stderr.trim().to_string()
}

/// After a run that may have stopped part-way: a run without faults (through
/// the counting proxy) of `repo` to `url` (prefix `r`) completes, writes exactly what was missing, and the
/// store then holds the folder.
fn rerun_uploads_only_what_is_missing(home: &HelmHome, emu: &Emulator, repo: &Path, url: &str) {
    let kind = emu.kind;
    let prefix = "r";
    let lacking = missing(emu, prefix, repo);
    emu.clear_requests();
    let out = sync_counted(home, emu).arg(repo).arg(url).output().unwrap();
    let text = output_text(&out);
    assert!(out.status.success(), "{kind}: the re-run failed: {text}");
    let log = emu.requests();
    assert_eq!(
        writes(&log),
        lacking.len(),
        "{kind}: the re-run should upload only {lacking:?}: {log:?}"
    );
    assert_eq!(
        objects(emu, prefix),
        files(repo),
        "{kind}: after the re-run"
    );
}

/// A proxy that fails a stretch of requests part-way through a run (every
/// 7th answers 503, every 7th dropped without forwarding), and loses the
/// answer to the first write of index.yaml after it landed. The flag says
/// whether that happened.
fn failing_midway(emu: &Emulator) -> (FaultProxy, Arc<AtomicBool>) {
    let lost = Arc::new(AtomicBool::new(false));
    let flag = lost.clone();
    let proxy = FaultProxy::start(&emu.endpoint(), move |n, method, target| {
        if is_index_write(method, target) && !flag.swap(true, Ordering::SeqCst) {
            return Fault::PassThenDrop;
        }
        match n {
            3..=70 if n % 7 == 1 => Fault::Status(503),
            3..=70 if n % 7 == 4 => Fault::Drop,
            _ => Fault::Pass,
        }
    });
    (proxy, lost)
}

#[test]
fn a_store_failing_part_way_leaves_a_consistent_repository() {
    for emu in each_store() {
        let kind = emu.kind;
        let home = HelmHome::new();
        let work = tempfile::tempdir().unwrap();
        let repo = work.path().join("repo");
        let url = emu.url("charts", "r");
        // A first publish of 12 charts (index.yaml written only if absent),
        // then 8 more (written only if unchanged since read).
        for (stage, n) in [("first", 12), ("second", 20)] {
            add_charts(&home, &repo, n);
            let (proxy, lost) = failing_midway(&emu);
            let started = Instant::now();
            let out = sync_at(&home, &emu, &proxy.url())
                .arg(&repo)
                .arg(&url)
                .output()
                .unwrap();
            let what = format!("{kind}, {stage} publish ({:?})", started.elapsed());
            let log = proxy.log.lock().unwrap().clone();
            let count = |s: u16| log.iter().filter(|(_, _, st)| *st == s).count();
            assert!(
                count(503) > 0 && count(0) > 1 && lost.load(Ordering::SeqCst),
                "{what}: the plan did not fail anything: {log:?}"
            );
            if out.status.success() {
                assert_eq!(objects(&emu, "r"), files(&repo), "{what}");
            } else {
                one_error_line(&out, &what);
            }
            assert_consistent(&emu, "r", &repo, &what);
            rerun_uploads_only_what_is_missing(&home, &emu, &repo, &url);
        }
    }
}

#[test]
fn a_refusal_is_asked_once_and_named_and_a_rerun_uploads_only_what_is_missing() {
    for emu in each_store() {
        let kind = emu.kind;
        let home = HelmHome::new();
        let work = tempfile::tempdir().unwrap();
        let repo = work.path().join("repo");
        let url = emu.url("charts", "r");
        add_charts(&home, &repo, 20);

        // The listing refused with 400: one request, the status named.
        let proxy = FaultProxy::start(&emu.endpoint(), |_, _, _| Fault::Status(400));
        let out = sync_at(&home, &emu, &proxy.url())
            .arg(&repo)
            .arg(&url)
            .output()
            .unwrap();
        let line = one_error_line(&out, &format!("{kind}: 400"));
        assert!(line.contains(": 400"), "{kind}: {line}");
        // The listing and the index are asked for at once; neither again.
        let log = proxy.log.lock().unwrap().clone();
        let mut targets: Vec<&(String, String, u16)> = log.iter().collect();
        targets.sort();
        targets.dedup();
        assert_eq!(
            targets.len(),
            log.len(),
            "{kind}: a 400 was asked again: {log:?}"
        );
        assert!(log.len() <= 2, "{kind}: {log:?}");
        assert!(objects(&emu, "r").is_empty(), "{kind}");

        // The sixth upload forbidden: every archive is sent once, the
        // forbidden one is not sent again, the index is not written.
        let seen = Arc::new(AtomicUsize::new(0));
        let counter = seen.clone();
        let proxy = FaultProxy::start(&emu.endpoint(), move |_, method, _| {
            if is_write(method) && counter.fetch_add(1, Ordering::SeqCst) == 5 {
                Fault::Status(403)
            } else {
                Fault::Pass
            }
        });
        let out = sync_at(&home, &emu, &proxy.url())
            .arg(&repo)
            .arg(&url)
            .output()
            .unwrap();
        let line = one_error_line(&out, &format!("{kind}: 403"));
        assert!(line.contains(": 403"), "{kind}: {line}");
        let log = proxy.log.lock().unwrap().clone();
        let refused: Vec<_> = log.iter().filter(|(_, _, s)| *s == 403).collect();
        assert_eq!(refused.len(), 1, "{kind}: {log:?}");
        assert_eq!(writes(&log), 20, "{kind}: one write per archive: {log:?}");
        if kind != Kind::Gcs {
            // GCS uploads all go to one target; elsewhere the object is in it.
            let target = &refused[0].1;
            let asked = log.iter().filter(|(_, t, _)| t == target).count();
            assert_eq!(asked, 1, "{kind}: {target} asked again: {log:?}");
            let file = target
                .split('?')
                .next()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap();
            assert!(line.contains(file), "{kind}: {line} does not name {file}");
        }
        assert!(
            emu.get("charts", "r/index.yaml").is_none(),
            "{kind}: the index was written although an archive is missing"
        );
        assert_eq!(missing(&emu, "r", &repo).len(), 2, "{kind}");
        rerun_uploads_only_what_is_missing(&home, &emu, &repo, &url);
        assert_eq!(assert_consistent(&emu, "r", &repo, kind.name()), 20);

        // What a stopped run leaves needs no --init, but an object of the
        // same name with other bytes is someone else's: refused.
        emu.put("charts", "q/c000-1.0.0.tgz", b"someone else's");
        let out = sync(&home, &emu)
            .arg(&repo)
            .arg(emu.url("charts", "q"))
            .output()
            .unwrap();
        let line = one_error_line(&out, &format!("{kind}: someone else's"));
        assert!(line.contains("--init"), "{kind}: {line}");
        assert_eq!(objects(&emu, "q").len(), 1, "{kind}");

        // A download whose fifth archive is forbidden: the folder gets no
        // index.yaml; a re-run fetches only the one missing.
        let back = work.path().join("back");
        let seen = Arc::new(AtomicUsize::new(0));
        let counter = seen.clone();
        let proxy = FaultProxy::start(&emu.endpoint(), move |_, method, target| {
            let archive = method == "GET" && target.contains(".tgz");
            if archive && counter.fetch_add(1, Ordering::SeqCst) == 4 {
                Fault::Status(403)
            } else {
                Fault::Pass
            }
        });
        let out = sync_at(&home, &emu, &proxy.url())
            .arg(&url)
            .arg(&back)
            .output()
            .unwrap();
        let line = one_error_line(&out, &format!("{kind}: download"));
        assert!(line.contains(": 403"), "{kind}: {line}");
        assert!(!back.join("index.yaml").exists(), "{kind}: index first");
        assert_eq!(files(&back).len(), 19, "{kind}");
        emu.clear_requests();
        ok(sync_counted(&home, &emu).arg(&url).arg(&back));
        let log = emu.requests();
        let fetched = log
            .iter()
            .filter(|(m, t, _)| m == "GET" && t.contains(".tgz"))
            .count();
        assert_eq!(fetched, 1, "{kind}: {log:?}");
        assert_eq!(files(&back), files(&repo), "{kind}");
    }
}

/// Publishes `mine` to `url` (prefix `r`) with `args`, while `theirs` is
/// published there by another tool at the worst moment: when the first
/// write of our index.yaml is on its way, which then fails with a 503 (so
/// the retry finds the index changed and a precondition failing).
fn publish_while_another_publishes(
    home: &HelmHome,
    emu: &Emulator,
    mine: &Path,
    theirs: &Path,
    url: &str,
    args: &[&str],
) -> Output {
    let (seen_tx, seen_rx) = mpsc::channel::<()>();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let go_rx = Mutex::new(go_rx);
    let first = AtomicBool::new(false);
    let proxy = FaultProxy::start(&emu.endpoint(), move |_, method, target| {
        if is_index_write(method, target) && !first.swap(true, Ordering::SeqCst) {
            let _ = seen_tx.send(());
            let _ = go_rx.lock().unwrap().recv_timeout(Duration::from_secs(60));
            return Fault::Status(503);
        }
        Fault::Pass
    });
    let child = sync_at(home, emu, &proxy.url())
        .args(args)
        .arg(mine)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    seen_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the run never wrote its index");
    // The other publisher, in the safe order: archives, then the index.
    let (index, archives): (Vec<_>, Vec<_>) = files(theirs)
        .into_iter()
        .partition(|(k, _)| k == "index.yaml");
    for (k, v) in archives {
        emu.put("charts", &format!("r/{k}"), &v);
    }
    emu.put("charts", "r/index.yaml", &index[0].1);
    go_tx.send(()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn a_retried_index_write_that_finds_another_publishers_index_is_a_conflict() {
    for emu in each_store() {
        let kind = emu.kind;
        let home = HelmHome::new();
        let work = tempfile::tempdir().unwrap();
        let (mine, theirs) = (work.path().join("mine"), work.path().join("theirs"));
        let url = emu.url("charts", "r");
        add_charts(&home, &mine, 2);
        // Their index is larger than ours.
        let names: Vec<String> = (0..10).map(|i| format!("o{i:03}")).collect();
        let charts: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "1.0.0")).collect();
        helm_repo(&home, &theirs, &charts, BASE);

        let out = publish_while_another_publishes(&home, &emu, &mine, &theirs, &url, &[]);
        let line = one_error_line(&out, kind.name());
        assert!(
            line.contains("changed by another publisher"),
            "{kind}: {line}"
        );
        assert_eq!(
            emu.get("charts", "r/index.yaml").unwrap(),
            std::fs::read(theirs.join("index.yaml")).unwrap(),
            "{kind}: their index was overwritten"
        );
        assert_consistent_with(&emu, "r", &[&mine, &theirs], kind.name());

        // Again with --merge-remote, and they publish one more meanwhile:
        // both publishers' charts end up listed.
        helm_repo(&home, &theirs, &[("o010", "1.0.0")], BASE);
        let out =
            publish_while_another_publishes(&home, &emu, &mine, &theirs, &url, &["--merge-remote"]);
        assert!(out.status.success(), "{kind}: {}", output_text(&out));
        let listed = assert_consistent_with(&emu, "r", &[&mine, &theirs], kind.name());
        assert_eq!(listed, 2 + 11, "{kind}");
    }
}

#[test]
fn too_many_requests_with_retry_after_0_is_retried() {
    for emu in each_store() {
        let kind = emu.kind;
        let home = HelmHome::new();
        let work = tempfile::tempdir().unwrap();
        let repo = work.path().join("repo");
        let url = emu.url("charts", "r");
        add_charts(&home, &repo, 6);
        // The listing, the first three uploads and the first write of the
        // index: 429 with Retry-After: 0.
        let writes_seen = Arc::new(AtomicUsize::new(0));
        let index_seen = Arc::new(AtomicBool::new(false));
        let (w, i) = (writes_seen.clone(), index_seen.clone());
        let proxy = FaultProxy::start(&emu.endpoint(), move |n, method, target| {
            let slow_down = n == 0
                || (is_index_write(method, target) && !i.swap(true, Ordering::SeqCst))
                || (is_write(method) && w.fetch_add(1, Ordering::SeqCst) < 3);
            if slow_down {
                Fault::Status(429)
            } else {
                Fault::Pass
            }
        });
        let started = Instant::now();
        let out = sync_at(&home, &emu, &proxy.url())
            .arg(&repo)
            .arg(&url)
            .output()
            .unwrap();
        let took = started.elapsed();
        assert!(out.status.success(), "{kind}: {}", output_text(&out));
        let log = proxy.log.lock().unwrap().clone();
        let slowed = log.iter().filter(|(_, _, s)| *s == 429).count();
        assert_eq!(slowed, 5, "{kind}: {log:?}");
        assert_eq!(objects(&emu, "r"), files(&repo), "{kind}");
        assert!(took < Duration::from_secs(30), "{kind}: took {took:?}");
    }
}

#[test]
fn fake_gcs_killed_mid_publish_and_restarted_leaves_a_consistent_repository() {
    let data = tempfile::tempdir().unwrap();
    let mut emu = Emulator::start_persistent(Kind::Gcs, data.path());
    emu.create_bucket("charts");
    let home = HelmHome::new();
    let work = tempfile::tempdir().unwrap();
    let repo = work.path().join("repo");
    let url = emu.url("charts", "r");
    add_charts(&home, &repo, 300);

    let started = Instant::now();
    let mut child = sync(&home, &emu)
        .arg(&repo)
        .arg(&url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Kill once some archives landed, none of the index.
    let landed = loop {
        let names: Vec<String> = emu.list("charts").into_iter().map(|(n, _)| n).collect();
        assert!(
            !names.iter().any(|n| n == "r/index.yaml"),
            "the publish finished before the kill: make it larger"
        );
        if names.len() >= 20 {
            break names.len();
        }
        assert!(child.try_wait().unwrap().is_none(), "the publish ended");
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "nothing landed"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    emu.kill();
    let killed_at = started.elapsed();
    // Down long enough for the run to meet refused connections.
    std::thread::sleep(Duration::from_secs(1));
    emu.restart();
    let out = child.wait_with_output().unwrap();
    let what = format!(
        "killed at {killed_at:?} with {landed} objects, run ended at {:?} ({}): {}",
        started.elapsed(),
        out.status,
        output_text(&out).trim()
    );
    if out.status.success() {
        assert_eq!(objects(&emu, "r"), files(&repo), "{what}");
    } else {
        one_error_line(&out, &what);
    }
    let listed = assert_consistent(&emu, "r", &repo, &what);
    assert!(listed == 0 || listed == 300, "{what}: {listed} listed");
    rerun_uploads_only_what_is_missing(&home, &emu, &repo, &url);
    eprintln!("{what}");
}

/// Environment variables to set.
type Vars = Vec<(String, String)>;

#[test]
fn debug_output_and_errors_never_show_credentials() {
    use crate::support::storage::{AZURE_ACCOUNT, AZURE_KEY};
    const GCS_TOKEN: &str = "ya29.wharf-gcs-token-7f3a9c";
    const S3_SECRET: &str = "wharf/s3+secret=9d2e4b";
    const S3_SESSION: &str = "wharf-s3-session-5c8a1f";
    const SAS_SIG: &str = "wharfAzureSasSig4242";
    for emu in each_store() {
        let kind = emu.kind;
        let home = HelmHome::new();
        let work = tempfile::tempdir().unwrap();
        let repo = work.path().join("repo");
        add_charts(&home, &repo, 3);
        write_chart(
            work.path(),
            "p-1.0.0.tgz",
            "apiVersion: v2\nname: p\nversion: 1.0.0\n",
        );
        let chart = work.path().join("p-1.0.0.tgz");
        // Every fifth request answers 503, so that retries are logged.
        let proxy = FaultProxy::start(&emu.endpoint(), |n, _, _| {
            if n % 5 == 0 {
                Fault::Status(503)
            } else {
                Fault::Pass
            }
        });
        let endpoint = proxy.url();
        // Each way of giving credentials, and the strings that must not show.
        let mut ways: Vec<(Vars, Vec<&str>)> = Vec::new();
        let env = |pairs: &[(&str, &str)]| -> Vars {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        match kind {
            Kind::Gcs => ways.push((
                env(&[("GOOGLE_OAUTH_ACCESS_TOKEN", GCS_TOKEN)]),
                vec![GCS_TOKEN, "wharf-gcs-token"],
            )),
            Kind::S3 => ways.push((
                env(&[
                    ("AWS_SECRET_ACCESS_KEY", S3_SECRET),
                    ("AWS_SESSION_TOKEN", S3_SESSION),
                ]),
                vec![S3_SECRET, "9d2e4b", S3_SESSION],
            )),
            Kind::Azure => {
                ways.push((Vec::new(), vec![AZURE_KEY, &AZURE_KEY[..16]]));
                let sas = format!(
                    "sv=2021-08-06&ss=b&srt=sco&sp=rwdlc&se=2099-01-01T00:00:00Z&sig={SAS_SIG}"
                );
                ways.push((
                    vec![
                        ("AZURE_STORAGE_CONNECTION_STRING".into(), String::new()),
                        ("AZURE_STORAGE_ACCOUNT".into(), AZURE_ACCOUNT.into()),
                        ("AZURE_STORAGE_SAS_TOKEN".into(), sas),
                        (
                            "AZURE_STORAGE_BLOB_ENDPOINT".into(),
                            format!("{endpoint}/{AZURE_ACCOUNT}"),
                        ),
                    ],
                    vec![SAS_SIG, AZURE_KEY],
                ));
            }
        }
        for (extra, secrets) in &ways {
            let run = |args: &[&std::ffi::OsStr]| {
                let mut c = sync_at(&home, &emu, &endpoint);
                for (k, v) in extra {
                    c.env(k, v);
                }
                c.env("HELM_DEBUG", "true").args(args).output().unwrap()
            };
            let good = emu.url("charts", "d");
            let missing = emu.url("no-such-bucket", "d");
            let back = work.path().join("back");
            let mut debug_lines = 0;
            let mut failures = 0;
            let runs: Vec<Vec<&std::ffi::OsStr>> = vec![
                vec![repo.as_os_str(), good.as_ref()],
                vec!["push".as_ref(), chart.as_os_str(), good.as_ref()],
                vec![repo.as_os_str(), missing.as_ref()],
                vec!["push".as_ref(), chart.as_os_str(), missing.as_ref()],
                vec![missing.as_ref(), back.as_os_str()],
            ];
            for (i, args) in runs.iter().enumerate() {
                let out = run(args);
                let text = output_text(&out);
                for s in secrets {
                    assert!(!text.contains(s), "{kind}: {args:?} shows {s:?}: {text}");
                }
                debug_lines += text.lines().filter(|l| l.starts_with("[debug]")).count();
                // The missing bucket fails every time.
                if i >= 2 {
                    assert!(!out.status.success(), "{kind}: {args:?}: {text}");
                }
                if !out.status.success() {
                    failures += 1;
                    let last = text.trim_end().lines().last().unwrap_or("");
                    assert!(last.starts_with("Error: "), "{kind}: {args:?}: {text}");
                }
            }
            assert!(debug_lines > 0, "{kind}: no debug output at all");
            assert!(failures >= 3, "{kind}");
        }
        // The credentials did go out: in the Authorization header of GCS
        // (bearer), S3 (SigV4) and Azure (Shared Key) requests.
        assert!(
            !proxy.authorized.lock().unwrap().is_empty(),
            "{kind}: no request carried credentials"
        );
    }
}
