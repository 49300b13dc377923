//! Faults between `helm ocipush` and a real registry: 5xx, 429 and dropped
//! connections are retried; a registry that dies mid-run leaves no tag
//! pointing at missing blobs, and running the same command again completes.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::fault_proxy::{Fault, FaultProxy};
use crate::support::registry::{Registry, RegistryOptions};
use crate::support::*;

fn charts(dir: &Path, n: usize) {
    for i in 0..n {
        write_chart(
            dir,
            &format!("f{}-0.{i}.0.tgz", i % 7),
            &format!(
                "apiVersion: v2\nname: f{}\nversion: 0.{i}.0\ndescription: chart {i}\n",
                i % 7
            ),
        );
    }
}

/// The operation a request belongs to, stable across retries: method and
/// path, with an upload session's id replaced by the blob's digest.
fn operation(method: &str, target: &str) -> String {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if method == "PUT" && path.contains("/blobs/uploads/") {
        let digest = query
            .split('&')
            .find(|kv| kv.starts_with("digest="))
            .unwrap_or("");
        return format!("PUT {digest}");
    }
    format!("{method} {path}")
}

#[test]
fn retries_5xx_429_and_dropped_connections() {
    let reg = Registry::start(RegistryOptions::default());
    // Every operation fails the first time it is tried, in turn with 503, a
    // dropped connection, 429 and 500; a client that retries gets through.
    let seen = std::sync::Mutex::new(std::collections::HashSet::new());
    let proxy = FaultProxy::start(&reg.base_url(), move |_, method, target| {
        let mut seen = seen.lock().unwrap();
        let op = operation(method, target);
        if seen.contains(&op) {
            return Fault::Pass;
        }
        seen.insert(op);
        match seen.len() % 4 {
            0 => Fault::Status(503),
            1 => Fault::Drop,
            2 => Fault::Status(429),
            _ => Fault::Status(500),
        }
    });
    let home = HelmHome::new();
    let work = tempfile::tempdir().unwrap();
    charts(work.path(), 21);
    let mut c = ocipush(&home);
    c.arg(work.path())
        .arg(format!("oci://{}/flaky", proxy.host))
        .args(["--plain-http", "--concurrency", "4"]);
    let o = c.output().unwrap();
    assert!(o.status.success(), "{}", output_text(&o));
    let log = proxy.log.lock().unwrap().clone();
    for status in [503, 0, 429, 500] {
        assert!(
            log.iter().any(|(_, _, s)| *s == status),
            "no {status} injected: {log:?}"
        );
    }
    // Every chart is there and complete, byte-identical to a clean push.
    let clean = Registry::start(RegistryOptions::default());
    let mut c = ocipush(&home);
    c.arg(work.path())
        .arg(format!("oci://{}/flaky", clean.host))
        .arg("--plain-http");
    assert!(c.output().unwrap().status.success());
    for i in 0..21 {
        let repo = format!("flaky/f{}", i % 7);
        let tag = format!("0.{i}.0");
        assert_eq!(
            reg.manifest(&repo, &tag),
            clean.manifest(&repo, &tag),
            "{repo}:{tag}"
        );
    }
    assert!(reg.dangling().is_empty(), "{:?}", reg.dangling());
}

/// Counts tags in the registry's storage without asking the registry.
fn stored_tags(reg: &Registry, prefix: &str) -> usize {
    let repos = reg
        .storage
        .join("docker/registry/v2/repositories")
        .join(prefix);
    let Ok(entries) = std::fs::read_dir(repos) else {
        return 0;
    };
    entries
        .filter_map(|e| e.ok())
        .map(|e| {
            std::fs::read_dir(e.path().join("_manifests/tags"))
                .map(|t| t.count())
                .unwrap_or(0)
        })
        .sum()
}

#[test]
fn a_registry_dying_mid_run_leaves_it_consistent_and_a_rerun_completes() {
    let mut reg = Registry::start(RegistryOptions::default());
    // Slow every request a little so the registry dies well inside the run.
    let proxy = FaultProxy::start(&reg.base_url(), |_, _, _| {
        std::thread::sleep(Duration::from_millis(15));
        Fault::Pass
    });
    let home = HelmHome::new();
    let work = tempfile::tempdir().unwrap();
    let n = 70;
    charts(work.path(), n);
    let command = || {
        let mut c = ocipush(&home);
        c.arg(work.path())
            .arg(format!("oci://{}/die", proxy.host))
            .args([
                "--plain-http",
                "--concurrency",
                "4",
                "--retries",
                "1",
                "-o",
                "json",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    };
    let child = command().spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while stored_tags(&reg, "die") < 5 {
        assert!(Instant::now() < deadline, "no tags appeared");
        std::thread::sleep(Duration::from_millis(5));
    }
    reg.kill();
    let first = child.wait_with_output().unwrap();
    assert!(
        !first.status.success(),
        "the run should fail: {}",
        output_text(&first)
    );
    let stored = stored_tags(&reg, "die");
    assert!(stored < n, "everything was pushed before the registry died");
    reg.restart();
    // No tag names a manifest whose blobs are missing. (A manifest PUT the
    // registry was writing when killed can leave a tag folder with a missing
    // or empty link, which the registry lists but cannot resolve, 404 or
    // 500: a torn write of distribution's own, which the re-run repairs.)
    let broken: Vec<String> = reg
        .dangling()
        .into_iter()
        .filter(|p| {
            // Each problem starts with `REPO:TAG: `.
            let mut parts = p.splitn(3, ':');
            let (repo, tag) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            !reg.tag_link_is_torn(repo, tag)
        })
        .collect();
    assert!(broken.is_empty(), "{broken:?}");
    // The same command again: completes, and what is stored is not sent again.
    let second = command().output().unwrap();
    assert!(second.status.success(), "{}", output_text(&second));
    let reports: Vec<serde_json::Value> = serde_json::from_slice(&second.stdout).unwrap();
    let untouched = reports.iter().filter(|r| r["blobsUploaded"] == 0).count();
    assert!(untouched >= stored, "{untouched} < {stored}");
    assert_eq!(stored_tags(&reg, "die"), n);
    assert!(reg.dangling().is_empty(), "{:?}", reg.dangling());
}
