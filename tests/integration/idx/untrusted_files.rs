//! Files every plugin reads from the user: an archive whose tar headers are
//! hostile, and paths that are not regular files (a symlink to /dev/zero, a
//! FIFO) or are larger than any such file can be. Each is refused at once,
//! in bounded memory, with one error line naming it; none blocks or is
//! read to the end.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use crate::support::*;

/// How long a refusal may take; a child still running then is killed.
const LIMIT: Duration = Duration::from_secs(10);

fn keys() -> PathBuf {
    fixtures().join("prov/keys")
}

fn sign_cmd(home: &HelmHome, chart: &Path, keyring: &Path) -> Command {
    let mut c = helm_prov(home);
    c.arg("sign")
        .arg(chart)
        .arg("--keyring")
        .arg(keyring)
        .args(["--key", "rsa@example.com"]);
    c
}

fn verify_cmd(home: &HelmHome, chart: &Path, keyring: &Path) -> Command {
    let mut c = helm_prov(home);
    c.arg("verify").arg(chart).arg("--keyring").arg(keyring);
    c
}

fn push_cmd(home: &HelmHome, chart: &Path) -> Command {
    let mut c = ocipush(home);
    c.arg(chart)
        .args(["oci://127.0.0.1:1/x", "--plain-http", "--dry-run"]);
    c
}

/// Runs `c` under [`LIMIT`] and checks it failed in bounded memory with
/// exactly one error line naming `file`.
fn assert_refused(what: &str, c: Command, file: &str) -> String {
    let (out, elapsed, rss) = run_measured_for(c, LIMIT);
    check_refused(what, &out, elapsed, rss, file)
}

fn check_refused(what: &str, out: &Output, elapsed: Duration, rss: u64, file: &str) -> String {
    let text = output_text(out);
    let shown = &text[..text.len().min(2000)];
    assert!(
        elapsed < LIMIT,
        "{what}: still running after {elapsed:?}: {shown}"
    );
    assert!(!out.status.success(), "{what}: accepted: {shown}");
    assert!(rss < 200 * 1024, "{what}: peak RSS {rss} KiB");
    assert!(!text.contains("panicked"), "{what}: {shown}");
    let naming: Vec<&str> = text.lines().filter(|l| l.contains(file)).collect();
    assert_eq!(
        naming.len(),
        1,
        "{what}: not one line naming {file}: {shown}"
    );
    assert!(
        naming[0].len() < 500,
        "{what}: line of {} bytes",
        naming[0].len()
    );
    assert!(text.lines().count() <= 2, "{what}: {shown}");
    naming[0].to_string()
}

#[test]
fn oversized_tar_special_headers_are_refused_by_ocipush_and_prov() {
    let home = HelmHome::new();
    let d = tempfile::tempdir().unwrap();
    for (file, flag) in [("longname-1.0.0.tgz", b'L'), ("pax-1.0.0.tgz", b'x')] {
        let chart = d.path().join(file);
        fs::write(
            &chart,
            super::hostile::special_header_bomb(flag, 250, "bomb"),
        )
        .unwrap();
        let line = assert_refused("ocipush", push_cmd(&home, &chart), file);
        assert!(line.contains("too long"), "{line}");
        let line = assert_refused(
            "prov sign",
            sign_cmd(&home, &chart, &keys().join("rsa.sec.gpg")),
            file,
        );
        assert!(line.contains("too long"), "{line}");
        assert!(!d.path().join(format!("{file}.prov")).exists());
    }
}

/// What a hostile path is made of.
#[derive(Debug, Clone, Copy)]
enum Special {
    /// A symlink to /dev/zero: endless, never a regular file.
    DevZero,
    /// A FIFO nobody writes to: opening it for reading blocks.
    Fifo,
}

const SPECIALS: [Special; 2] = [Special::DevZero, Special::Fifo];

fn make(kind: Special, path: &Path) {
    let _ = fs::remove_file(path);
    match kind {
        Special::DevZero => std::os::unix::fs::symlink("/dev/zero", path).unwrap(),
        Special::Fifo => {
            ok({
                let mut c = Command::new("mkfifo");
                c.arg(path);
                c
            });
        }
    }
}

/// A sparse regular file of `size` bytes starting with `head`: costs
/// nothing on disk, but more than any cap allows.
fn sparse(path: &Path, head: &[u8], size: u64) {
    let _ = fs::remove_file(path);
    fs::write(path, head).unwrap();
    fs::OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap()
        .set_len(size)
        .unwrap();
}

/// A folder with one good chart, signed, and an index.
fn signed_repo(home: &HelmHome) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    write_chart(
        d.path(),
        "good-1.0.0.tgz",
        "apiVersion: v2\nname: good\nversion: 1.0.0\n",
    );
    sign(home, &d.path().join("good-1.0.0.tgz"));
    ok({
        let mut c = idx(home);
        c.arg("build").arg(d.path());
        c
    });
    d
}

#[test]
fn index_files_that_are_not_regular_are_refused() {
    let home = HelmHome::new();
    for kind in SPECIALS {
        let what = |s: &str| format!("{kind:?}: {s}");
        let d = signed_repo(&home);
        let index = d.path().join("index.yaml");
        make(kind, &index);
        let mut c = idx(&home);
        c.arg("build").arg(d.path());
        assert_refused(&what("build, own index"), c, "index.yaml");
        let mut c = idx(&home);
        c.arg("check").arg(d.path());
        assert_refused(&what("check"), c, "index.yaml");
        let out = d.path().join("out.yaml");
        let mut c = idx(&home);
        c.arg("merge").arg(&out).arg(&index);
        assert_refused(&what("merge source"), c, "index.yaml");
        fs::remove_file(&index).unwrap();
        let m = d.path().join("merge.yaml");
        make(kind, &m);
        let mut c = idx(&home);
        c.arg("build").arg(d.path()).arg("--merge").arg(&m);
        assert_refused(&what("build --merge"), c, "merge.yaml");
    }
    // Larger than the cap (256 MiB), sparse: refused without reading it.
    let d = signed_repo(&home);
    let big = d.path().join("big.yaml");
    sparse(&big, b"apiVersion: v1\nentries: {}\n", 300 << 20);
    let mut c = idx(&home);
    c.arg("merge").arg(d.path().join("out.yaml")).arg(&big);
    let line = assert_refused("oversized index", c, "big.yaml");
    assert!(line.contains("larger than"), "{line}");
}

#[test]
fn archives_that_are_not_regular_are_skipped_or_refused() {
    let home = HelmHome::new();
    for kind in SPECIALS {
        let what = |s: &str| format!("{kind:?}: {s}");
        let d = signed_repo(&home);
        let bad = d.path().join("x-1.0.0.tgz");
        make(kind, &bad);
        // Skipped by build with a warning, refused with --strict.
        let mut c = idx(&home);
        c.arg("build").arg(d.path());
        let (out, elapsed, rss) = run_measured_for(c, LIMIT);
        let err = lossy(&out.stderr);
        assert!(elapsed < LIMIT, "{}: {elapsed:?}", what("build"));
        assert!(out.status.success(), "{}: {err}", what("build"));
        assert!(rss < 200 * 1024);
        assert!(err.contains("x-1.0.0.tgz"), "{err}");
        assert!(fs::read_to_string(d.path().join("index.yaml"))
            .unwrap()
            .contains("good-1.0.0.tgz"));
        let mut c = idx(&home);
        c.arg("build").arg(d.path()).arg("--strict");
        assert_refused(&what("build --strict"), c, "x-1.0.0.tgz");
        let mut c = idx(&home);
        c.arg("check").arg(d.path());
        let (out, elapsed, _) = run_measured_for(c, LIMIT);
        assert!(elapsed < LIMIT, "{}: {elapsed:?}", what("check"));
        assert!(!out.status.success());
        assert!(lossy(&out.stdout).contains("x-1.0.0.tgz"));
        assert_refused(&what("ocipush"), push_cmd(&home, &bad), "x-1.0.0.tgz");
        assert_refused(
            &what("prov sign"),
            sign_cmd(&home, &bad, &keys().join("rsa.sec.gpg")),
            "x-1.0.0.tgz",
        );
        fs::copy(
            d.path().join("good-1.0.0.tgz.prov"),
            d.path().join("x-1.0.0.tgz.prov"),
        )
        .unwrap();
        assert_refused(
            &what("prov verify"),
            verify_cmd(&home, &bad, &keys().join("rsa.pub.gpg")),
            "x-1.0.0.tgz",
        );
    }
    // Larger than the cap (128 MiB), sparse, with a gzip header.
    let d = tempfile::tempdir().unwrap();
    let big = d.path().join("big-1.0.0.tgz");
    sparse(&big, b"\x1f\x8b\x08", 130 << 20);
    let line = assert_refused("oversized archive", push_cmd(&home, &big), "big-1.0.0.tgz");
    assert!(line.contains("larger than"), "{line}");
    let line = assert_refused(
        "oversized archive",
        sign_cmd(&home, &big, &keys().join("rsa.sec.gpg")),
        "big-1.0.0.tgz",
    );
    assert!(line.contains("larger than"), "{line}");
}

#[test]
fn provenance_and_keyrings_that_are_not_regular_are_refused() {
    let home = HelmHome::new();
    for kind in SPECIALS {
        let what = |s: &str| format!("{kind:?}: {s}");
        let d = signed_repo(&home);
        let chart = d.path().join("good-1.0.0.tgz");
        let prov = d.path().join("good-1.0.0.tgz.prov");
        let ring = d.path().join("ring.gpg");
        make(kind, &ring);
        assert_refused(
            &what("sign keyring"),
            sign_cmd(&home, &chart, &ring),
            "ring.gpg",
        );
        assert_refused(
            &what("verify keyring"),
            verify_cmd(&home, &chart, &ring),
            "ring.gpg",
        );
        make(kind, &prov);
        assert_refused(
            &what("verify .prov"),
            verify_cmd(&home, &chart, &keys().join("rsa.pub.gpg")),
            "good-1.0.0.tgz.prov",
        );
        assert_refused(
            &what("ocipush .prov"),
            push_cmd(&home, &chart),
            "good-1.0.0.tgz.prov",
        );
    }
    let d = signed_repo(&home);
    let chart = d.path().join("good-1.0.0.tgz");
    let ring = d.path().join("ring.gpg");
    sparse(&ring, b"", 65 << 20);
    let line = assert_refused(
        "oversized keyring",
        verify_cmd(&home, &chart, &ring),
        "ring.gpg",
    );
    assert!(line.contains("larger than"), "{line}");
    let prov = d.path().join("good-1.0.0.tgz.prov");
    sparse(&prov, b"-----BEGIN PGP SIGNED MESSAGE-----\n", 9 << 20);
    let line = assert_refused(
        "oversized .prov",
        verify_cmd(&home, &chart, &keys().join("rsa.pub.gpg")),
        "good-1.0.0.tgz.prov",
    );
    assert!(line.contains("larger than"), "{line}");
}

#[test]
fn config_files_that_are_not_regular_are_refused() {
    let home = HelmHome::new();
    let d = signed_repo(&home);
    let chart = d.path().join("good-1.0.0.tgz");
    for kind in SPECIALS {
        let what = |s: &str| format!("{kind:?}: {s}");
        let cfg = d.path().join("registry.json");
        make(kind, &cfg);
        let mut c = push_cmd(&home, &chart);
        c.env("HELM_REGISTRY_CONFIG", &cfg);
        assert_refused(&what("registry config"), c, "registry.json");
        let repos = d.path().join("repositories.yaml");
        make(kind, &repos);
        let mut c = idx(&home);
        c.env("HELM_REPOSITORY_CONFIG", &repos)
            .arg("merge")
            .arg(d.path().join("out.yaml"))
            .arg("somerepo");
        assert_refused(&what("repositories.yaml"), c, "repositories.yaml");
        let ca = d.path().join("ca.pem");
        make(kind, &ca);
        let mut c = push_cmd(&home, &chart);
        c.arg("--ca-file").arg(&ca);
        assert_refused(&what("--ca-file"), c, "ca.pem");
    }
    let cfg = d.path().join("registry.json");
    sparse(&cfg, b"{", 17 << 20);
    let mut c = push_cmd(&home, &chart);
    c.env("HELM_REGISTRY_CONFIG", &cfg);
    let line = assert_refused("oversized registry config", c, "registry.json");
    assert!(line.contains("larger than"), "{line}");
}
