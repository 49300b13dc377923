//! `helm ocipush migrate`: a classic repository served on loopback (with
//! credentials from repositories.yaml) moves into a real registry
//! completely; Helm 3 and 4 pull every version back byte-identical (and
//! verify the signed ones); a second run moves nothing; an interrupted run
//! resumes; `--dry-run` moves nothing; a digest the index contradicts is
//! refused.

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use crate::support::fault_proxy::{Fault, FaultProxy};
use crate::support::registry::{Registry, RegistryOptions};
use crate::support::*;

fn reports(o: &Output) -> Vec<serde_json::Value> {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", output_text(o)))
}

fn migrate(home: &HelmHome, source: &str, target: &str, flags: &[&str]) -> Output {
    let mut c = ocipush(home);
    c.args(["migrate", source, target, "--plain-http", "-o", "json"])
        .args(flags);
    c.output().unwrap()
}

const VERSIONS: [(&str, &str, bool); 4] = [
    ("alpha", "1.0.0", false),
    ("alpha", "1.1.0", true),
    ("beta", "0.1.0+meta.1", true),
    ("gamma", "2.0.0", false),
];

/// A classic repository folder: archives, some `.prov` files, and the
/// index `helm repo index` writes (relative URLs).
fn classic_repo(home: &HelmHome, dir: &Path) {
    for (name, version, signed) in VERSIONS {
        let file = format!("{name}-{version}.tgz");
        write_chart(
            dir,
            &file,
            &format!(
                "apiVersion: v2\nname: {name}\nversion: {version}\ndescription: {name} chart\n"
            ),
        );
        if signed {
            sign(home, &dir.join(&file));
        }
    }
    home.helm_ok(Helm::V3, &["repo", "index", dir.to_str().unwrap()]);
}

/// A registry, a Helm home, and a classic repository folder to serve.
struct Setup {
    reg: Registry,
    home: HelmHome,
    repo: std::path::PathBuf,
    _work: tempfile::TempDir,
}

fn setup() -> Setup {
    let reg = Registry::start(RegistryOptions::default());
    let home = HelmHome::new();
    let work = tempfile::tempdir().unwrap();
    let repo = work.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    classic_repo(&home, &repo);
    Setup {
        reg,
        home,
        repo,
        _work: work,
    }
}

#[test]
fn a_classic_repository_migrates_completely_and_pulls_back_identical() {
    let s = setup();
    let (reg, home, repo) = (&s.reg, &s.home, s.repo.as_path());
    let server = FileServer::start(repo, Some(("bob", "repo-pass")));
    home.helm_ok(
        Helm::V3,
        &[
            "repo",
            "add",
            "classic",
            &server.url,
            "--username",
            "bob",
            "--password",
            "repo-pass",
        ],
    );
    let target = format!("oci://{}/mig", reg.host);

    // The repository's URL is the same source as its name: the entry's
    // credentials reach the password-protected index.
    let by_url = migrate(home, &format!("{}/", server.url), &target, &["--dry-run"]);
    assert!(by_url.status.success(), "{}", output_text(&by_url));
    assert_eq!(reports(&by_url).len(), VERSIONS.len());

    // --dry-run lists everything and moves nothing.
    let dry = migrate(home, "classic", &target, &["--dry-run"]);
    assert!(dry.status.success(), "{}", output_text(&dry));
    let listed = reports(&dry);
    assert_eq!(listed.len(), VERSIONS.len());
    assert!(
        listed.iter().all(|r| r["status"] == "would-push"),
        "{listed:?}"
    );
    assert!(reg.catalog().is_empty());

    let first = migrate(home, "classic", &target, &[]);
    assert!(first.status.success(), "{}", output_text(&first));
    let pushed = reports(&first);
    assert!(pushed.iter().all(|r| r["status"] == "pushed"), "{pushed:?}");
    assert_eq!(pushed.len(), VERSIONS.len());

    for helm in BOTH {
        for (name, version, signed) in VERSIONS {
            let dest = tempfile::tempdir().unwrap();
            let mut args = vec![
                "pull".to_string(),
                format!("{target}/{name}"),
                "--version".into(),
                version.into(),
                "--plain-http".into(),
                "--destination".into(),
                dest.path().display().to_string(),
            ];
            if signed {
                args.push("--verify".into());
                args.push("--keyring".into());
                args.push(
                    fixtures()
                        .join("prov/keys/rsa.pub.gpg")
                        .display()
                        .to_string(),
                );
            }
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            home.helm_ok(helm, &args);
            let file = format!("{name}-{version}.tgz");
            assert_eq!(
                std::fs::read(dest.path().join(&file)).unwrap(),
                std::fs::read(repo.join(&file)).unwrap(),
                "Helm {} pulled different bytes for {file}",
                helm.version()
            );
        }
    }

    // A second run downloads no archive (only looks for the .prov files the
    // registry lacks), uploads nothing, and is quick.
    let before = server.requests.lock().unwrap().len();
    let start = Instant::now();
    let second = migrate(home, "classic", &target, &[]);
    let took = start.elapsed();
    assert!(second.status.success(), "{}", output_text(&second));
    let again = reports(&second);
    assert!(again.iter().all(|r| r["status"] == "present"), "{again:?}");
    let fetched: Vec<String> = server.requests.lock().unwrap()[before..].to_vec();
    assert!(!fetched.iter().any(|f| f.ends_with(".tgz")), "{fetched:?}");
    assert_eq!(fetched[0], "/index.yaml");
    assert!(took < Duration::from_secs(10), "{took:?}");
    assert!(reg.dangling().is_empty(), "{:?}", reg.dangling());
}

#[test]
fn an_interrupted_migration_resumes() {
    let s = setup();
    let (reg, home, repo) = (&s.reg, &s.home, s.repo.as_path());
    let server = FileServer::start(repo, None);
    // The registry goes away after a few requests.
    let proxy = FaultProxy::start(&reg.base_url(), |n, _, _| {
        if n < 12 {
            Fault::Pass
        } else {
            Fault::Status(503)
        }
    });
    let broken = migrate(
        home,
        &server.url,
        &format!("oci://{}/resume", proxy.host),
        &["--retries", "0", "--concurrency", "1"],
    );
    assert!(!broken.status.success(), "{}", output_text(&broken));
    let done_first = reports(&broken)
        .iter()
        .filter(|r| r["status"] == "pushed")
        .count();
    assert!(done_first < VERSIONS.len());
    let resumed = migrate(
        home,
        &server.url,
        &format!("oci://{}/resume", reg.host),
        &[],
    );
    assert!(resumed.status.success(), "{}", output_text(&resumed));
    let r = reports(&resumed);
    let present = r.iter().filter(|x| x["status"] == "present").count();
    assert_eq!(present, done_first, "{r:?}");
    assert_eq!(
        r.iter().filter(|x| x["status"] == "pushed").count(),
        VERSIONS.len() - done_first
    );
    assert!(reg.dangling().is_empty(), "{:?}", reg.dangling());
}

#[test]
fn an_archive_the_index_contradicts_is_not_pushed() {
    let s = setup();
    let (reg, home, repo) = (&s.reg, &s.home, s.repo.as_path());
    let index = std::fs::read_to_string(repo.join("index.yaml")).unwrap();
    let gamma = wharf::chart::digest_file(&repo.join("gamma-2.0.0.tgz")).unwrap();
    std::fs::write(
        repo.join("index.yaml"),
        index.replace(&gamma, &"0".repeat(64)),
    )
    .unwrap();
    let server = FileServer::start(repo, None);
    let o = migrate(home, &server.url, &format!("oci://{}/bad", reg.host), &[]);
    assert!(!o.status.success());
    let r = reports(&o);
    let gamma_report = r.iter().find(|x| x["source"] == "gamma 2.0.0").unwrap();
    assert_eq!(gamma_report["status"], "failed");
    assert!(
        gamma_report["error"]
            .as_str()
            .unwrap()
            .contains("index says"),
        "{gamma_report}"
    );
    assert_eq!(r.iter().filter(|x| x["status"] == "pushed").count(), 3);
    assert!(reg.tags("bad/gamma").is_empty());
}
