//! What `helm idx` does beyond `helm repo index`: reuse, keep-last, strict
//! mode, merging many sources, and checking a folder against its index.

use std::fs;

use crate::support::*;

fn build(home: &HelmHome, dir: &std::path::Path, extra: &[&str]) -> std::process::Output {
    idx(home)
        .arg("build")
        .arg(dir)
        .args(extra)
        .output()
        .unwrap()
}

fn created_of(index: &str, version: &str) -> String {
    let mut block: Vec<&str> = Vec::new();
    let mut found = None;
    for l in index.lines() {
        if l.starts_with("  - ") {
            block.clear();
        }
        block.push(l);
        if l.trim() == format!("version: {version}") {
            found = block
                .iter()
                .find(|b| b.trim_start().starts_with("created:"))
                .map(|s| s.to_string());
        }
    }
    found.unwrap_or_else(|| panic!("no created for {version} in\n{index}"))
}

#[test]
fn rebuild_keeps_created_and_skips_unchanged_archives() {
    let home = HelmHome::new();
    let d = tempfile::tempdir().unwrap();
    write_chart(
        d.path(),
        "a-1.0.0.tgz",
        "apiVersion: v2\nname: a\nversion: 1.0.0\n",
    );
    write_chart(
        d.path(),
        "a-1.1.0.tgz",
        "apiVersion: v2\nname: a\nversion: 1.1.0\n",
    );
    assert!(build(&home, d.path(), &[]).status.success());
    let first = fs::read_to_string(d.path().join("index.yaml")).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    write_chart(
        d.path(),
        "a-1.2.0.tgz",
        "apiVersion: v2\nname: a\nversion: 1.2.0\n",
    );
    let out = idx(&home)
        .env("HELM_DEBUG", "true")
        .arg("build")
        .arg(d.path())
        .args(["--url", "https://new.example.com/c"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let debug = String::from_utf8_lossy(&out.stderr);
    assert!(debug.contains("2 archives reused, 1 loaded"), "{debug}");
    let second = fs::read_to_string(d.path().join("index.yaml")).unwrap();
    assert_eq!(created_of(&first, "1.0.0"), created_of(&second, "1.0.0"));
    assert_eq!(created_of(&first, "1.1.0"), created_of(&second, "1.1.0"));
    assert_ne!(created_of(&first, "1.0.0"), created_of(&second, "1.2.0"));
    // URLs follow the new --url even for reused entries.
    assert!(
        second.contains("- https://new.example.com/c/a-1.0.0.tgz"),
        "{second}"
    );
    // A changed archive is loaded again and gets a new created.
    std::thread::sleep(std::time::Duration::from_millis(20));
    write_chart(
        d.path(),
        "a-1.0.0.tgz",
        "apiVersion: v2\nname: a\nversion: 1.0.0\ndescription: changed\n",
    );
    assert!(build(&home, d.path(), &[]).status.success());
    let third = fs::read_to_string(d.path().join("index.yaml")).unwrap();
    assert_ne!(created_of(&second, "1.0.0"), created_of(&third, "1.0.0"));
    assert!(third.contains("description: changed"));
}

/// A folder of a few charts whose index holds a large repository (built
/// with `--merge`): the rebuild reads only the folder's entries of it, and
/// writes what a full read gives.
#[test]
fn a_rebuild_over_a_large_merged_index_reads_only_the_folders_entries() {
    let home = HelmHome::new();
    let d = tempfile::tempdir().unwrap();
    for v in ["91.0.0", "91.1.0", "92.0.0"] {
        write_chart(
            d.path(),
            &format!("mine-{v}.tgz"),
            &format!("apiVersion: v2\nname: mine\nversion: {v}\ndescription: |-\n  two\n  lines\n"),
        );
    }
    let big = fixtures().join("index/grafana-index.yaml");
    let merge = ["--merge", big.to_str().unwrap()];
    assert!(build(&home, d.path(), &merge).status.success());
    let first = fs::read_to_string(d.path().join("index.yaml")).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let again = |expect: &str| {
        let out = idx(&home)
            .env("HELM_DEBUG", "true")
            .arg("build")
            .arg(d.path())
            .args(merge)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", output_text(&out));
        let debug = lossy(&out.stderr);
        assert!(debug.contains(expect), "{debug}");
        fs::read_to_string(d.path().join("index.yaml")).unwrap()
    };
    let second = again("reusing 3 entries of");
    let body = |s: &str| {
        s.lines()
            .filter(|l| !l.starts_with("generated:"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(body(&first), body(&second));
    // A changed archive is loaded, the others still reused.
    write_chart(
        d.path(),
        "mine-91.0.0.tgz",
        "apiVersion: v2\nname: mine\nversion: 91.0.0\ndescription: changed\n",
    );
    let third = again("2 archives reused, 1 loaded");
    assert_ne!(created_of(&second, "91.0.0"), created_of(&third, "91.0.0"));
    assert_eq!(created_of(&second, "92.0.0"), created_of(&third, "92.0.0"));
    // An index in another form is read whole, with the same result.
    let json = idx(&home)
        .arg("build")
        .arg(d.path())
        .args(merge)
        .arg("--json")
        .output()
        .unwrap();
    assert!(json.status.success());
    let fourth = again("archives reused");
    assert_eq!(created_of(&third, "92.0.0"), created_of(&fourth, "92.0.0"));
}

#[test]
fn merge_file_entries_keep_created_too() {
    let home = HelmHome::new();
    let d = tempfile::tempdir().unwrap();
    write_chart(
        d.path(),
        "a-1.0.0.tgz",
        "apiVersion: v2\nname: a\nversion: 1.0.0\n",
    );
    assert!(build(&home, d.path(), &[]).status.success());
    let old = d.path().join("old.yaml");
    fs::rename(d.path().join("index.yaml"), &old).unwrap();
    let before = created_of(&fs::read_to_string(&old).unwrap(), "1.0.0");
    assert!(build(&home, d.path(), &["--merge", old.to_str().unwrap()])
        .status
        .success());
    let after = created_of(
        &fs::read_to_string(d.path().join("index.yaml")).unwrap(),
        "1.0.0",
    );
    assert_eq!(before, after);
}

#[test]
fn exact_merge_keeps_build_metadata_versions() {
    let home = HelmHome::new();
    let d = tempfile::tempdir().unwrap();
    write_chart(
        d.path(),
        "b-1.tgz",
        "apiVersion: v2\nname: b\nversion: 1.0.0+build.1\n",
    );
    let old = tempfile::tempdir().unwrap();
    write_chart(
        old.path(),
        "b-2.tgz",
        "apiVersion: v2\nname: b\nversion: 1.0.0+build.2\n",
    );
    write_chart(
        old.path(),
        "c-2.0.tgz",
        "apiVersion: v2\nname: c\nversion: \"2.0\"\n",
    );
    assert!(build(&home, old.path(), &[]).status.success());
    write_chart(
        d.path(),
        "c-2.0.1.tgz",
        "apiVersion: v2\nname: c\nversion: 2.0.1\n",
    );
    let m = old.path().join("index.yaml");
    assert!(build(&home, d.path(), &["--merge", m.to_str().unwrap()])
        .status
        .success());
    let out = fs::read_to_string(d.path().join("index.yaml")).unwrap();
    // Helm drops both (helm#6710, helm#30692).
    assert!(out.contains("version: 1.0.0+build.2"), "{out}");
    assert!(out.contains("version: \"2.0\""), "{out}");
    // Helm itself drops them: the difference is real.
    let h = tempfile::tempdir().unwrap();
    write_chart(
        h.path(),
        "b-1.tgz",
        "apiVersion: v2\nname: b\nversion: 1.0.0+build.1\n",
    );
    write_chart(
        h.path(),
        "c-2.0.1.tgz",
        "apiVersion: v2\nname: c\nversion: 2.0.1\n",
    );
    home.helm_ok(
        Helm::V4,
        &[
            "repo",
            "index",
            h.path().to_str().unwrap(),
            "--merge",
            m.to_str().unwrap(),
        ],
    );
    let theirs = fs::read_to_string(h.path().join("index.yaml")).unwrap();
    assert!(
        !theirs.contains("1.0.0+build.2") && !theirs.contains("\"2.0\""),
        "{theirs}"
    );
}

#[test]
fn keep_last_and_strict() {
    let home = HelmHome::new();
    let d = tempfile::tempdir().unwrap();
    for v in ["1.0.0", "1.1.0", "1.2.0", "2.0.0-rc.1"] {
        write_chart(
            d.path(),
            &format!("a-{v}.tgz"),
            &format!("apiVersion: v2\nname: a\nversion: {v}\n"),
        );
    }
    write_chart(
        d.path(),
        "b-0.1.0.tgz",
        "apiVersion: v2\nname: b\nversion: 0.1.0\n",
    );
    assert!(build(&home, d.path(), &["--keep-last", "2"])
        .status
        .success());
    let out = fs::read_to_string(d.path().join("index.yaml")).unwrap();
    assert!(out.contains("version: 2.0.0-rc.1") && out.contains("version: 1.2.0"));
    assert!(!out.contains("version: 1.1.0") && !out.contains("version: 1.0.0\n"));
    assert!(out.contains("version: 0.1.0"));

    fs::write(d.path().join("broken.tgz"), b"nope").unwrap();
    let before = fs::read(d.path().join("index.yaml")).unwrap();
    let o = build(&home, d.path(), &["--strict"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("broken.tgz") && err.lines().count() == 1,
        "{err}"
    );
    assert_eq!(fs::read(d.path().join("index.yaml")).unwrap(), before);
}

fn index_of(home: &HelmHome, charts: &[(&str, &str)], url: &str) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for (file, yaml) in charts {
        write_chart(d.path(), file, yaml);
    }
    assert!(build(home, d.path(), &["--url", url]).status.success());
    d
}

#[test]
fn merge_command_files_urls_and_repositories() {
    let home = HelmHome::new();
    let a = index_of(
        &home,
        &[("x-1.0.0.tgz", "apiVersion: v2\nname: x\nversion: 1.0.0\n")],
        "https://a.example.com",
    );
    // b is served over HTTP with relative URLs, behind basic auth.
    let b = tempfile::tempdir().unwrap();
    write_chart(
        b.path(),
        "y-2.0.0.tgz",
        "apiVersion: v2\nname: y\nversion: 2.0.0\n",
    );
    assert!(build(&home, b.path(), &[]).status.success());
    let server = FileServer::start(b.path(), Some(("user", "s3cr3t-pass")));
    // c is a repository known to Helm, served from Helm's cache.
    let c = index_of(
        &home,
        &[("z-3.0.0.tgz", "apiVersion: v2\nname: z\nversion: 3.0.0\n")],
        "https://c.example.com",
    );
    let cache = home.path().join("cache").join("repository");
    fs::create_dir_all(&cache).unwrap();
    fs::copy(c.path().join("index.yaml"), cache.join("zrepo-index.yaml")).unwrap();
    let cfg = home.path().join("config");
    fs::write(
        cfg.join("repositories.yaml"),
        format!(
            "apiVersion: \"\"\ngenerated: \"0001-01-01T00:00:00Z\"\nrepositories:\n- name: zrepo\n  url: https://c.example.com\n- name: brepo\n  url: {}\n  username: user\n  password: s3cr3t-pass\n",
            server.url
        ),
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("merged.yaml");
    let o = idx(&home)
        .env("HELM_DEBUG", "true")
        .arg("merge")
        .arg(&target)
        .arg(a.path().join("index.yaml"))
        .arg("brepo")
        .arg("zrepo")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(!err.contains("s3cr3t-pass"), "secret leaked: {err}");
    let merged = fs::read_to_string(&target).unwrap();
    assert!(
        merged.contains("- https://a.example.com/x-1.0.0.tgz"),
        "{merged}"
    );
    assert!(
        merged.contains(&format!("- {}/y-2.0.0.tgz", server.url)),
        "{merged}"
    );
    assert!(
        merged.contains("- https://c.example.com/z-3.0.0.tgz"),
        "{merged}"
    );
    // The result loads in Helm.
    home.helm_ok(
        Helm::V3,
        &[
            "repo",
            "index",
            out.path().to_str().unwrap(),
            "--merge",
            target.to_str().unwrap(),
        ],
    );

    // The repository's URL (with or without a trailing slash) gets the
    // credentials of its repositories.yaml entry, as its name does.
    for url in [server.url.clone(), format!("{}/", server.url)] {
        let o = idx(&home)
            .env("HELM_DEBUG", "true")
            .arg("merge")
            .arg(&target)
            .arg(&url)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{url}: {err}");
        assert!(!err.contains("s3cr3t-pass"), "secret leaked: {err}");
        let merged = fs::read_to_string(&target).unwrap();
        assert!(
            merged.contains(&format!("- {}/y-2.0.0.tgz", server.url)),
            "{merged}"
        );
    }

    // A URL no entry has gets no credentials, and the server refuses it.
    let other = server.url.replace("127.0.0.1", "localhost");
    assert_ne!(other, server.url);
    let o = idx(&home)
        .arg("merge")
        .arg(&target)
        .arg(&other)
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("401"));
}

#[test]
fn merge_conflicts() {
    let home = HelmHome::new();
    let a = index_of(
        &home,
        &[("x-1.0.0.tgz", "apiVersion: v2\nname: x\nversion: 1.0.0\n")],
        "https://a",
    );
    let b = index_of(
        &home,
        &[(
            "x-1.0.0.tgz",
            "apiVersion: v2\nname: x\nversion: 1.0.0\ndescription: other\n",
        )],
        "https://b",
    );
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("index.yaml");
    let run = |policy: &str| {
        idx(&home)
            .arg("merge")
            .arg(&target)
            .arg(a.path().join("index.yaml"))
            .arg(b.path().join("index.yaml"))
            .args(["--conflict", policy])
            .output()
            .unwrap()
    };
    assert!(run("keep").status.success());
    assert!(fs::read_to_string(&target)
        .unwrap()
        .contains("https://a/x-1.0.0.tgz"));
    assert!(run("replace").status.success());
    let replaced = fs::read_to_string(&target).unwrap();
    assert!(replaced.contains("https://b/x-1.0.0.tgz") && replaced.contains("description: other"));
    let before = fs::read(&target).unwrap();
    let o = run("fail");
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("x 1.0.0"));
    assert_eq!(fs::read(&target).unwrap(), before);
}

#[test]
fn check_reports_every_mismatch() {
    let home = HelmHome::new();
    let d = tempfile::tempdir().unwrap();
    write_chart(
        d.path(),
        "a-1.0.0.tgz",
        "apiVersion: v2\nname: a\nversion: 1.0.0\n",
    );
    write_chart(
        d.path(),
        "sub/b-1.0.0.tgz",
        "apiVersion: v2\nname: b\nversion: 1.0.0\n",
    );
    assert!(
        build(&home, d.path(), &["--url", "https://charts.example.com/x"])
            .status
            .success()
    );
    let good = idx(&home).arg("check").arg(d.path()).output().unwrap();
    assert!(
        good.status.success(),
        "{}",
        String::from_utf8_lossy(&good.stdout)
    );

    write_chart(
        d.path(),
        "a-1.0.0.tgz",
        "apiVersion: v2\nname: a\nversion: 1.0.0\ndescription: tampered\n",
    );
    fs::remove_file(d.path().join("sub/b-1.0.0.tgz")).unwrap();
    write_chart(
        d.path(),
        "c-1.0.0.tgz",
        "apiVersion: v2\nname: c\nversion: 1.0.0\n",
    );
    let bad = idx(&home).arg("check").arg(d.path()).output().unwrap();
    assert!(!bad.status.success());
    let report = String::from_utf8_lossy(&bad.stdout);
    assert!(report.contains("digest mismatch: a-1.0.0.tgz"), "{report}");
    assert!(report.contains("missing: b 1.0.0"), "{report}");
    assert!(report.contains("not indexed: c-1.0.0.tgz"), "{report}");
    assert_eq!(report.lines().count(), 3, "{report}");
}

#[test]
fn source_date_epoch_makes_output_reproducible() {
    let home = HelmHome::new();
    let d = tempfile::tempdir().unwrap();
    write_chart(
        d.path(),
        "a-1.0.0.tgz",
        "apiVersion: v2\nname: a\nversion: 1.0.0\n",
    );
    let run = || {
        fs::remove_file(d.path().join("index.yaml")).ok();
        ok({
            let mut c = idx(&home);
            c.env("SOURCE_DATE_EPOCH", "1700000000")
                .arg("build")
                .arg(d.path());
            c
        });
        fs::read(d.path().join("index.yaml")).unwrap()
    };
    let first = run();
    assert_eq!(first, run());
    assert!(String::from_utf8_lossy(&first).contains("generated: \"2023-11-14T22:13:20Z\""));
}
