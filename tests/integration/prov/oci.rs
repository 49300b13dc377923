//! `helm prov verify oci://...` against a real registry: charts pushed with
//! `helm ocipush`, verified in memory by reference, compared with Helm's
//! `helm pull --verify`.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::support::registry::{Registry, RegistryOptions, PASSWORD, USER};
use crate::support::*;

fn prov_fixtures() -> PathBuf {
    fixtures().join("prov")
}

fn key(name: &str) -> String {
    prov_fixtures()
        .join("keys")
        .join(name)
        .to_str()
        .unwrap()
        .to_string()
}

/// Pushes the demo chart of fixture `dir` (with its `.prov` unless
/// `unsigned`) to `oci://HOST/path`.
fn push(home: &HelmHome, reg: &Registry, dir: &str, path: &str, unsigned: bool) {
    let work = tempfile::tempdir().unwrap();
    let src = prov_fixtures().join(dir);
    fs::copy(
        src.join("demo-0.1.0.tgz"),
        work.path().join("demo-0.1.0.tgz"),
    )
    .unwrap();
    if !unsigned {
        fs::copy(
            src.join("demo-0.1.0.tgz.prov"),
            work.path().join("demo-0.1.0.tgz.prov"),
        )
        .unwrap();
    }
    let mut c = ocipush(home);
    c.arg(work.path().join("demo-0.1.0.tgz"))
        .arg(format!("oci://{}/{path}", reg.host))
        .arg("--plain-http");
    ok(c);
}

fn prov_verify(home: &HelmHome, args: &[&str]) -> Output {
    helm_prov(home).arg("verify").args(args).output().unwrap()
}

fn helm_pull_verify(home: &HelmHome, reference: &str, ring: &str, dest: &Path) -> Output {
    home.helm(
        Helm::V4,
        &[
            "pull",
            reference,
            "--version",
            "0.1.0",
            "--verify",
            "--keyring",
            ring,
            "--plain-http",
            "-d",
            dest.to_str().unwrap(),
        ],
    )
}

#[test]
fn verifies_a_chart_by_oci_reference_in_memory() {
    let reg = Registry::start(RegistryOptions::default());
    let home = HelmHome::new();
    push(&home, &reg, "helm4.1.4-rsa", "charts", false);
    push(
        &home,
        &reg,
        "negative/tampered-prov-metadata",
        "tampered",
        false,
    );
    push(&home, &reg, "helm4.1.4-rsa", "unsigned", true);
    let good = format!("oci://{}/charts/demo", reg.host);
    let rsa = key("rsa.pub.gpg");

    // Helm 4's verdict and hash on the same reference.
    let helm_dest = tempfile::tempdir().unwrap();
    let helm = helm_pull_verify(&home, &good, &rsa, helm_dest.path());
    assert!(helm.status.success(), "{}", output_text(&helm));
    let helm_hash = output_text(&helm)
        .lines()
        .find_map(|l| l.strip_prefix("Chart Hash Verified: ").map(str::to_string))
        .unwrap();

    // Verified by reference, with --version or the tag, writing nothing: the
    // command runs in an empty folder that stays empty.
    let cwd = tempfile::tempdir().unwrap();
    let tagged = format!("{good}:0.1.0");
    for args in [
        vec![good.as_str(), "--version", "0.1.0"],
        vec![tagged.as_str()],
    ] {
        let out = helm_prov(&home)
            .current_dir(cwd.path())
            .arg("verify")
            .args(&args)
            .args(["--plain-http", "--keyring", &rsa])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{args:?}: {}", output_text(&out));
        assert!(
            text.contains("Signed by: Helm RSA Test <rsa@example.com>")
                && text.contains(
                    "Using Key With Fingerprint: 938D25173643C1D935E3D9B5F16D692B5491590B"
                )
                && text.contains(&format!("Chart Hash Verified: {helm_hash}")),
            "{text}"
        );
        assert!(fs::read_dir(cwd.path()).unwrap().next().is_none());
    }

    // The wrong key: refused, nothing written to the destination; the right
    // key: written once verified, as Helm names the files.
    let dest = tempfile::tempdir().unwrap();
    let d = dest.path().to_str().unwrap();
    let out = prov_verify(
        &home,
        &[
            &good,
            "--version",
            "0.1.0",
            "--plain-http",
            "--keyring",
            &key("ecdsa.pub.gpg"),
            "-d",
            d,
        ],
    );
    assert!(!out.status.success());
    assert!(
        output_text(&out).contains("unknown entity"),
        "{}",
        output_text(&out)
    );
    assert!(fs::read_dir(dest.path()).unwrap().next().is_none());
    let out = prov_verify(
        &home,
        &[
            &good,
            "--version",
            "0.1.0",
            "--plain-http",
            "--keyring",
            &rsa,
            "-d",
            d,
        ],
    );
    assert!(out.status.success(), "{}", output_text(&out));
    for f in ["demo-0.1.0.tgz", "demo-0.1.0.tgz.prov"] {
        assert_eq!(
            fs::read(dest.path().join(f)).unwrap(),
            fs::read(prov_fixtures().join("helm4.1.4-rsa").join(f)).unwrap(),
            "{f}"
        );
    }

    // A tampered provenance and an unsigned chart: refused by Helm 4 and
    // by us, one line each.
    for (path, why) in [
        ("tampered", "invalid signature"),
        ("unsigned", "no provenance layer"),
    ] {
        let reference = format!("oci://{}/{path}/demo", reg.host);
        let helm_dest = tempfile::tempdir().unwrap();
        let helm = helm_pull_verify(&home, &reference, &rsa, helm_dest.path());
        assert!(!helm.status.success(), "Helm 4 verified {path}");
        let out = prov_verify(
            &home,
            &[
                &reference,
                "--version",
                "0.1.0",
                "--plain-http",
                "--keyring",
                &rsa,
            ],
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{path} verified");
        assert_eq!(err.lines().count(), 1, "{path}: {err}");
        assert!(
            err.starts_with(&format!("Error: {reference}: ")) && err.contains(why),
            "{path}: {err}"
        );
    }

    // No version, a version not pushed, an HTTPS attempt at a plain registry.
    for (args, why) in [
        (vec![good.as_str(), "--plain-http"], "--version"),
        (
            vec![good.as_str(), "--version", "9.9.9", "--plain-http"],
            "not found",
        ),
        (vec![good.as_str(), "--version", "0.1.0"], ""),
    ] {
        let mut a = args.clone();
        a.extend(["--keyring", &rsa]);
        let out = prov_verify(&home, &a);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(why), "{args:?}: {err}");
    }
}

fn run_with_stdin(mut c: Command, stdin: &str) -> Output {
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// A registry behind htpasswd: the credentials `helm registry login`
/// stored are used, or `--username` with `--password-stdin`; the password
/// shows nowhere.
#[test]
fn verifies_from_a_registry_with_credentials() {
    let reg = Registry::start(RegistryOptions {
        htpasswd: Some((USER.into(), PASSWORD.into())),
        ..RegistryOptions::default()
    });
    let home = HelmHome::new();
    let work = tempfile::tempdir().unwrap();
    let src = prov_fixtures().join("helm4.1.4-rsa");
    for f in ["demo-0.1.0.tgz", "demo-0.1.0.tgz.prov"] {
        fs::copy(src.join(f), work.path().join(f)).unwrap();
    }
    let mut c = ocipush(&home);
    c.arg(work.path().join("demo-0.1.0.tgz"))
        .arg(format!("oci://{}/charts", reg.host))
        .args(["--plain-http", "--username", USER, "--password-stdin"]);
    let o = run_with_stdin(c, PASSWORD);
    assert!(o.status.success(), "{}", output_text(&o));
    let reference = format!("oci://{}/charts/demo:0.1.0", reg.host);
    let rsa = key("rsa.pub.gpg");
    let verify = |extra: &[&str], stdin: &str| {
        let mut c = helm_prov(&home);
        c.env("HELM_DEBUG", "true")
            .args(["verify", &reference, "--plain-http", "--keyring", &rsa])
            .args(extra);
        run_with_stdin(c, stdin)
    };
    let o = verify(&[], "");
    assert!(!o.status.success());
    assert!(
        output_text(&o).contains("helm registry login"),
        "{}",
        output_text(&o)
    );
    let o = verify(&["--username", USER, "--password-stdin"], PASSWORD);
    assert!(o.status.success(), "{}", output_text(&o));
    assert!(!output_text(&o).contains(PASSWORD));
    let mut login = home.command(Helm::V4.bin());
    login.args([
        "registry",
        "login",
        &reg.host,
        "--username",
        USER,
        "--password-stdin",
        "--plain-http",
    ]);
    let o = run_with_stdin(login, PASSWORD);
    assert!(o.status.success(), "{}", output_text(&o));
    let o = verify(&[], "");
    assert!(o.status.success(), "{}", output_text(&o));
    assert!(!output_text(&o).contains(PASSWORD));
}

/// Manifests a registry could hold that are no signed Helm chart: each is
/// one error line, and no layer is read past its limit.
#[test]
fn hostile_manifests_are_one_clear_error() {
    use crate::support::registry::{oci_manifest, OCI_MANIFEST};
    let reg = Registry::start(RegistryOptions::default());
    let home = HelmHome::new();
    let src = prov_fixtures().join("helm4.1.4-rsa");
    let chart = fs::read(src.join("demo-0.1.0.tgz")).unwrap();
    let prov = fs::read(src.join("demo-0.1.0.tgz.prov")).unwrap();
    let config: &[u8] = br#"{"name":"demo","version":"0.1.0"}"#;
    let helm_config = "application/vnd.cncf.helm.config.v1+json";
    let chart_layer = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
    let prov_layer = "application/vnd.cncf.helm.chart.provenance.v1.prov";
    let big_prov = {
        let mut p = prov.clone();
        p.resize((1 << 20) + 1, b'\n');
        p
    };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "image",
            oci_manifest(
                ("application/vnd.oci.image.config.v1+json", config),
                &[("application/vnd.oci.image.layer.v1.tar+gzip", &chart)],
            ),
            "not a Helm chart",
        ),
        (
            "two-charts",
            oci_manifest(
                (helm_config, config),
                &[
                    (chart_layer, &chart),
                    (chart_layer, &chart),
                    (prov_layer, &prov),
                ],
            ),
            "2 chart layers",
        ),
        (
            "big-prov",
            oci_manifest(
                (helm_config, config),
                &[(chart_layer, &chart), (prov_layer, &big_prov)],
            ),
            "larger than 1 MiB",
        ),
    ];
    for (repo, manifest, why) in cases {
        reg.push_blob(repo, config);
        reg.push_blob(repo, &chart);
        reg.push_blob(repo, &prov);
        reg.push_blob(repo, &big_prov);
        reg.push_manifest(repo, "0.1.0", OCI_MANIFEST, &manifest);
        let reference = format!("oci://{}/{repo}:0.1.0", reg.host);
        let out = prov_verify(
            &home,
            &[&reference, "--plain-http", "--keyring", &key("rsa.pub.gpg")],
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{repo} verified");
        assert_eq!(err.lines().count(), 1, "{repo}: {err}");
        assert!(err.contains(why), "{repo}: {err}");
    }
}
