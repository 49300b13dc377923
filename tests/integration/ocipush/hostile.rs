//! Registries and token services that misbehave or attack, on 127.0.0.1:
//! the real registry behind the fault proxy, which races challenges, sends
//! uploads and redirects to another host, streams endless bodies and states
//! absurd token lifetimes. And the everyday mistakes: HTTPS against a plain
//! HTTP registry, a port nobody listens on.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::fault_proxy::{Fault, FaultProxy};
use crate::support::registry::{Registry, RegistryOptions, PASSWORD, USER};
use crate::support::*;

fn htpasswd() -> RegistryOptions {
    RegistryOptions {
        htpasswd: Some((USER.into(), PASSWORD.into())),
        ..RegistryOptions::default()
    }
}

fn token() -> RegistryOptions {
    RegistryOptions {
        token: true,
        ..RegistryOptions::default()
    }
}

/// `n` distinct chart archives in `dir`, over ten chart names.
fn charts(dir: &Path, n: usize) {
    for i in 0..n {
        let name = format!("c{}", i % 10);
        write_chart(
            dir,
            &format!("{name}-1.{i}.0.tgz"),
            &format!("apiVersion: v2\nname: {name}\nversion: 1.{i}.0\n"),
        );
    }
}

/// `helm ocipush ARGS --plain-http --username USER --password-stdin`, with
/// the password on stdin and HELM_DEBUG on.
fn push_with_password(home: &HelmHome, args: &[&str]) -> Output {
    let mut c = ocipush(home);
    c.args(args)
        .args(["--plain-http", "--username", USER, "--password-stdin"])
        .env("HELM_DEBUG", "true")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(PASSWORD.as_bytes()).unwrap();
    drop(stdin);
    child.wait_with_output().unwrap()
}

/// Stored tags of `repo`, read from the registry.
fn tag_count(reg: &Registry, repos: impl Iterator<Item = String>) -> usize {
    repos.map(|r| reg.tags(&r).len()).sum()
}

#[test]
fn every_chart_is_pushed_in_the_first_run_at_concurrency_16_with_credentials() {
    // Requests sent in parallel before the registry's first challenge is
    // known get 401s; they are sent again with credentials, not taken for a
    // refusal. A fresh process each time, so nothing is learned before.
    let work = tempfile::tempdir().unwrap();
    charts(work.path(), 100);
    for (what, opts) in [("htpasswd", htpasswd()), ("token", token())] {
        let reg = Registry::start(opts);
        let home = HelmHome::new();
        let folder = work.path().to_str().unwrap();
        let target = format!("oci://{}/many", reg.host);
        let o = push_with_password(&home, &[folder, &target, "--concurrency", "16"]);
        assert!(o.status.success(), "{what}: {}", output_text(&o));
        let repos = (0..10).map(|i| format!("many/c{i}"));
        assert_eq!(tag_count(&reg, repos), 100, "{what}: {}", output_text(&o));
        assert!(!output_text(&o).contains(PASSWORD));

        // A dry run of the same against an empty repository reads manifests
        // only, and reports no failure either.
        let target = format!("oci://{}/dry", reg.host);
        let o = push_with_password(
            &home,
            &[folder, &target, "--dry-run", "--concurrency", "16"],
        );
        assert!(o.status.success(), "{what} dry run: {}", output_text(&o));
    }
}

#[test]
fn credentials_go_only_to_the_registry_host_not_to_upload_locations_or_redirects() {
    for (what, opts) in [("htpasswd", htpasswd()), ("token", token())] {
        let reg = Registry::start(opts);
        // Another host:port in front of the same registry, which records
        // whatever Authorization it is sent.
        let elsewhere = FaultProxy::start(&reg.base_url(), |_, _, _| Fault::Pass);
        let other = elsewhere.host.clone();
        // The registry's own address, but upload sessions start elsewhere.
        let front = FaultProxy::start(&reg.base_url(), move |_, method, target| {
            if method == "POST" && target.contains("/blobs/uploads/") {
                Fault::PassLocationTo(other.clone())
            } else {
                Fault::Pass
            }
        });
        let work = tempfile::tempdir().unwrap();
        charts(work.path(), 1);
        let home = HelmHome::new();
        let folder = work.path().to_str().unwrap();
        let o = push_with_password(
            &home,
            &[
                folder,
                &format!("oci://{}/loc", front.host),
                "--retries",
                "0",
            ],
        );
        let puts = elsewhere.log.lock().unwrap().len();
        assert!(puts > 0, "{what}: the upload never went elsewhere");
        let sent = elsewhere.authorized.lock().unwrap().clone();
        assert!(sent.is_empty(), "{what}: credentials sent to {sent:?}");
        // The registry behind wants credentials there: one clear line.
        assert!(!o.status.success(), "{what}: {}", output_text(&o));
        assert!(
            output_text(&o).contains("sent only to"),
            "{what}: {}",
            output_text(&o)
        );

        // Redirects: reading a manifest (--skip-existing) is sent elsewhere.
        let other = elsewhere.host.clone();
        let redirecting = FaultProxy::start(&reg.base_url(), move |_, method, target| {
            if method == "GET" && target.contains("/manifests/") {
                Fault::RedirectTo(other.clone())
            } else {
                Fault::Pass
            }
        });
        let before = elsewhere.log.lock().unwrap().len();
        let o = push_with_password(
            &home,
            &[
                folder,
                &format!("oci://{}/redirect", redirecting.host),
                "--skip-existing",
                "--retries",
                "0",
            ],
        );
        assert!(
            elsewhere.log.lock().unwrap().len() > before,
            "{what}: no redirect followed: {}",
            output_text(&o)
        );
        let sent = elsewhere.authorized.lock().unwrap().clone();
        assert!(sent.is_empty(), "{what}: credentials sent to {sent:?}");
        assert!(!o.status.success(), "{what}: {}", output_text(&o));
        assert!(
            output_text(&o).contains("sent only to"),
            "{what}: {}",
            output_text(&o)
        );
    }
}

#[test]
fn an_endless_manifest_is_refused_at_4_mib_once_without_retries() {
    let reg = Registry::start(RegistryOptions::default());
    let proxy = FaultProxy::start(&reg.base_url(), |_, method, target| {
        if method == "GET" && target.contains("/manifests/") {
            Fault::Endless
        } else {
            Fault::Pass
        }
    });
    let work = tempfile::tempdir().unwrap();
    charts(work.path(), 1);
    let home = HelmHome::new();
    let mut c = ocipush(&home);
    c.arg(work.path())
        .arg(format!("oci://{}/endless", proxy.host))
        .args(["--plain-http", "--skip-existing"]);
    let (o, took, peak_kib) = run_measured(c);
    assert!(!o.status.success(), "{}", output_text(&o));
    assert!(
        output_text(&o).contains("larger than 4 MiB"),
        "{}",
        output_text(&o)
    );
    let gets = proxy.log.lock().unwrap().len();
    assert_eq!(
        gets,
        1,
        "the cap was retried: {:?}",
        proxy.log.lock().unwrap()
    );
    assert!(took < Duration::from_secs(20), "{took:?}");
    assert!(peak_kib < 200 * 1024, "peak {peak_kib} KiB");
}

#[test]
fn a_token_lifetime_of_2_pow_64_minus_1_seconds_is_clamped() {
    let reg = Registry::start(token());
    reg.token.as_ref().unwrap().set_expires_in(u64::MAX);
    let work = tempfile::tempdir().unwrap();
    charts(work.path(), 3);
    let home = HelmHome::new();
    let folder = work.path().to_str().unwrap();
    let o = push_with_password(&home, &[folder, &format!("oci://{}/forever", reg.host)]);
    assert!(o.status.success(), "{}", output_text(&o));
    assert!(!output_text(&o).contains("panicked"), "{}", output_text(&o));
}

/// `helm ocipush CHART oci://HOST/x ARGS` with the default retries, timed.
fn push_timed(host: &str, args: &[&str]) -> (Output, Duration) {
    let work = tempfile::tempdir().unwrap();
    charts(work.path(), 1);
    let home = HelmHome::new();
    let mut c: Command = ocipush(&home);
    c.arg(work.path()).arg(format!("oci://{host}/x")).args(args);
    let start = Instant::now();
    let o = c.output().unwrap();
    (o, start.elapsed())
}

#[test]
fn mistakes_that_no_retry_can_fix_fail_at_once_with_the_cause() {
    // HTTPS against a plain HTTP registry. Five retries with backoff would
    // take over 7 s.
    let reg = Registry::start(RegistryOptions::default());
    let (o, took) = push_timed(&reg.host, &[]);
    let text = output_text(&o);
    assert!(!o.status.success(), "{text}");
    assert!(
        text.contains("plain HTTP") && text.contains("--plain-http"),
        "{text}"
    );
    assert!(!text.contains("gave up after"), "{text}");
    assert!(took < Duration::from_secs(3), "{took:?}: {text}");
    assert_eq!(text.trim().lines().count(), 1, "{text}");

    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (o, took) = push_timed(&format!("127.0.0.1:{port}"), &["--plain-http"]);
    let text = output_text(&o);
    assert!(!o.status.success(), "{text}");
    assert!(text.contains("connection refused"), "{text}");
    assert!(!text.contains("os error"), "{text}");
    assert!(took < Duration::from_secs(3), "{took:?}: {text}");

    // A host name that does not resolve.
    let (o, took) = push_timed("no-such-registry.invalid", &[]);
    let text = output_text(&o);
    assert!(!o.status.success(), "{text}");
    assert!(text.contains("cannot resolve"), "{text}");
    assert!(took < Duration::from_secs(5), "{took:?}: {text}");

    // A 4xx other than 408 and 429 is an answer, not a fault.
    let proxy = FaultProxy::start(&reg.base_url(), |_, method, _| {
        if method == "POST" {
            Fault::Status(400)
        } else {
            Fault::Pass
        }
    });
    let (o, _) = push_timed(&proxy.host, &["--plain-http"]);
    assert!(!o.status.success());
    let posts = proxy
        .log
        .lock()
        .unwrap()
        .iter()
        .filter(|(m, _, _)| m == "POST")
        .count();
    assert_eq!(posts, 1, "a 400 was retried: {}", output_text(&o));

    // A fault that outlasts the retries: one line naming the chart, what
    // failed and the cause, each once.
    let proxy = FaultProxy::start(&reg.base_url(), |_, method, _| {
        if method == "HEAD" {
            Fault::Status(500)
        } else {
            Fault::Pass
        }
    });
    let (o, _) = push_timed(&proxy.host, &["--plain-http", "--retries", "1"]);
    let text = output_text(&o);
    assert!(!o.status.success(), "{text}");
    assert_eq!(text.trim().lines().count(), 1, "{text}");
    assert!(
        text.contains("c0-1.0.0.tgz") && text.contains("500"),
        "{text}"
    );
    assert_eq!(text.matches("sha256:").count(), 1, "{text}");
    assert!(text.contains("gave up after 2 attempts"), "{text}");
}

#[test]
fn a_classic_repository_that_is_down_or_endless_gets_one_line_naming_the_cause() {
    let reg = Registry::start(RegistryOptions::default());
    let home = HelmHome::new();
    let target = format!("oci://{}/m", reg.host);

    // Nothing listens on the source's port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut c = ocipush(&home);
    c.args(["migrate", &format!("http://127.0.0.1:{port}/charts")])
        .args([&target, "--plain-http"]);
    let o = c.output().unwrap();
    let text = output_text(&o);
    assert!(!o.status.success(), "{text}");
    assert!(text.contains("connection refused"), "{text}");
    assert!(!text.contains("error sending request"), "{text}");
    assert!(!text.contains("os error"), "{text}");

    // An index that never ends: refused at the index cap, in bounded memory.
    let endless = FaultProxy::start("http://127.0.0.1:1", |_, _, _| Fault::Endless);
    let mut c = ocipush(&home);
    c.args(["migrate", &format!("{}/charts", endless.url())])
        .args([&target, "--plain-http"]);
    let (o, took, peak_kib) = run_measured(c);
    let text = output_text(&o);
    assert!(!o.status.success(), "{text}");
    assert!(text.contains("larger than 256 MiB"), "{text}");
    assert!(took < Duration::from_secs(60), "{took:?}");
    assert!(peak_kib < 1024 * 1024, "peak {peak_kib} KiB");
}

#[test]
fn a_mistyped_subcommand_is_named_not_taken_for_a_missing_file() {
    let home = HelmHome::new();
    let mut c = ocipush(&home);
    c.args(["migrat", "oci://127.0.0.1:1/x"]);
    let o = c.output().unwrap();
    let text = output_text(&o);
    assert!(!o.status.success());
    assert!(
        text.contains("did you mean \"helm ocipush migrate\""),
        "{text}"
    );
    assert_eq!(text.trim().lines().count(), 1, "{text}");
}

#[test]
fn repository_credentials_do_not_follow_a_redirect_to_another_host() {
    // A classic repository (no auth needed behind) whose index.yaml is
    // redirected to another host: the entry's credentials go to the
    // repository's own host only.
    let work = tempfile::tempdir().unwrap();
    let repo = work.path().join("repo");
    write_chart(
        &repo,
        "r-1.0.0.tgz",
        "apiVersion: v2\nname: r\nversion: 1.0.0\n",
    );
    let home = HelmHome::new();
    ok(idx(&home).arg("build").arg(&repo));
    let files = FileServer::start(&repo, None);
    let elsewhere = FaultProxy::start(&files.url, |_, _, _| Fault::Pass);
    let other = elsewhere.host.clone();
    let front = FaultProxy::start(&files.url, move |_, _, target| {
        if target.ends_with("/index.yaml") {
            Fault::RedirectTo(other.clone())
        } else {
            Fault::Pass
        }
    });
    home.helm_ok(
        Helm::V4,
        &[
            "repo",
            "add",
            "moved",
            &front.url(),
            "--username",
            "bob",
            "--password",
            "repo-Secret-3",
        ],
    );
    // (Helm itself sends them on: Go copies Authorization to the same host
    // name on another port.) What we send starts here.
    front.authorized.lock().unwrap().clear();
    elsewhere.authorized.lock().unwrap().clear();
    elsewhere.log.lock().unwrap().clear();
    let reg = Registry::start(RegistryOptions::default());
    let mut c = ocipush(&home);
    c.args(["migrate", &front.url(), &format!("oci://{}/m", reg.host)])
        .args(["--plain-http", "--dry-run"])
        .env("HELM_DEBUG", "true");
    let o = c.output().unwrap();
    assert!(o.status.success(), "{}", output_text(&o));
    assert!(!output_text(&o).contains("repo-Secret-3"));
    assert!(
        !front.authorized.lock().unwrap().is_empty(),
        "the repository's own host got no credentials"
    );
    let sent = elsewhere.authorized.lock().unwrap().clone();
    assert!(
        sent.is_empty(),
        "credentials sent to another host: {sent:?}"
    );
    assert!(
        !elsewhere.log.lock().unwrap().is_empty(),
        "no redirect followed"
    );
}

#[test]
fn success_ends_with_one_summary_line_that_quiet_silences() {
    let reg = Registry::start(RegistryOptions::default());
    let work = tempfile::tempdir().unwrap();
    charts(work.path(), 3);
    let home = HelmHome::new();
    let run = |repo: &str, extra: &[&str]| {
        let mut c = ocipush(&home);
        c.arg(work.path())
            .arg(format!("oci://{}/{repo}", reg.host))
            .arg("--plain-http")
            .args(extra);
        c.output().unwrap()
    };
    let o = run("loud", &[]);
    assert!(o.status.success(), "{}", output_text(&o));
    let last = lossy(&o.stderr)
        .trim()
        .lines()
        .last()
        .unwrap_or("")
        .to_string();
    assert!(
        last.starts_with("3 chart(s): 3 pushed"),
        "{}",
        output_text(&o)
    );
    let o = run("quiet", &["-q"]);
    assert!(o.status.success(), "{}", output_text(&o));
    assert_eq!(output_text(&o), "", "-q printed something");
}

#[test]
fn a_registry_that_answers_one_byte_at_a_time_is_given_up_on_in_bounded_time() {
    let reg = Registry::start(RegistryOptions::default());
    let proxy = FaultProxy::start(&reg.base_url(), |_, method, target| {
        if method == "GET" && target.contains("/manifests/") {
            Fault::Drip
        } else {
            Fault::Pass
        }
    });
    let work = tempfile::tempdir().unwrap();
    charts(work.path(), 1);
    let home = HelmHome::new();
    let mut c = ocipush(&home);
    c.arg(work.path())
        .arg(format!("oci://{}/drip", proxy.host))
        .args([
            "--plain-http",
            "--skip-existing",
            "--timeout",
            "2s",
            "--retries",
            "1",
        ]);
    let start = Instant::now();
    let o = c.output().unwrap();
    let took = start.elapsed();
    assert!(!o.status.success(), "{}", output_text(&o));
    assert!(output_text(&o).contains("timed out"), "{}", output_text(&o));
    // Two attempts of 2 s and a backoff.
    assert!(took < Duration::from_secs(10), "{took:?}");
}
