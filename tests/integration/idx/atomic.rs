//! Index writes are atomic and serialised: a kill -9 at any moment leaves
//! either the old or the new complete index, and concurrent runs on one
//! folder lose no entries.

use std::fs;
use std::process::Stdio;
use std::time::Duration;

use crate::support::*;
use wharf::repo::{load_index, Strictness};

fn entries(path: &std::path::Path) -> usize {
    let bytes = fs::read(path).unwrap();
    load_index(&bytes, "test", Strictness::Helm)
        .unwrap_or_else(|e| panic!("torn or invalid index {}: {e}", path.display()))
        .index
        .len()
}

#[test]
fn kill_9_never_leaves_a_torn_index() {
    let home = HelmHome::new();
    let d = tempfile::tempdir().unwrap();
    for i in 0..40 {
        write_chart(
            d.path(),
            &format!("c{i}-1.0.0.tgz"),
            &format!("apiVersion: v2\nname: c{i}\nversion: 1.0.0\n"),
        );
    }
    let grafana = fixtures().join("index").join("grafana-index.yaml");
    let index = d.path().join("index.yaml");
    ok({
        let mut c = idx(&home);
        c.arg("build").arg(d.path()).arg("--merge").arg(&grafana);
        c
    });
    let full = entries(&index);
    assert!(full > 3000);
    // Kill at spread-out moments of a ~100 ms run, many times.
    for i in 0..40u64 {
        let mut child = idx(&home)
            .arg("build")
            .arg(d.path())
            .arg("--merge")
            .arg(&grafana)
            .args(if i % 2 == 0 { &["--json"][..] } else { &[][..] })
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(i * 4000 % 150_000));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        assert_eq!(entries(&index), full, "after kill #{i}");
    }
    // A later run cleans up temporary files left by killed runs.
    ok({
        let mut c = idx(&home);
        c.arg("build").arg(d.path());
        c
    });
    let leftovers: Vec<_> = fs::read_dir(d.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(".index.yaml"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn concurrent_builds_lose_no_entries() {
    let home = HelmHome::new();
    let d = tempfile::tempdir().unwrap();
    for round in 0..3 {
        let children: Vec<_> = (0..8)
            .map(|i| {
                write_chart(
                    d.path(),
                    &format!("r{round}-c{i}-1.0.0.tgz"),
                    &format!("apiVersion: v2\nname: r{round}c{i}\nversion: 1.0.0\n"),
                );
                idx(&home)
                    .arg("build")
                    .arg(d.path())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut c in children {
            assert!(c.wait().unwrap().success());
        }
        assert_eq!(entries(&d.path().join("index.yaml")), 8 * (round + 1));
    }
}

#[test]
fn concurrent_merges_into_one_file_lose_no_entries() {
    let home = HelmHome::new();
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("index.yaml");
    fs::write(
        &out,
        "apiVersion: v1\nentries: {}\ngenerated: \"2020-01-01T00:00:00Z\"\n",
    )
    .unwrap();
    let sources: Vec<_> = (0..8)
        .map(|i| {
            let s = tempfile::tempdir().unwrap();
            write_chart(
                s.path(),
                &format!("m{i}-1.0.0.tgz"),
                &format!("apiVersion: v2\nname: m{i}\nversion: 1.0.0\n"),
            );
            ok({
                let mut c = idx(&home);
                c.arg("build").arg(s.path());
                c
            });
            s
        })
        .collect();
    let children: Vec<_> = sources
        .iter()
        .map(|s| {
            idx(&home)
                .arg("merge")
                .arg(&out)
                .arg(&out)
                .arg(s.path().join("index.yaml"))
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    assert_eq!(entries(&out), 8);
}
