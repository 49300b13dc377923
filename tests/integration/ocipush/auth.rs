//! Registry credentials and TLS as Helm finds and uses them, against the
//! real registry: htpasswd, bearer tokens from a token service the registry
//! trusts, TLS from a throwaway CA, client certificates. Secrets never show
//! in any output, HELM_DEBUG=true included.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::support::registry::{Registry, RegistryOptions, PASSWORD, REFRESH_TOKEN, USER};
use crate::support::*;
use base64::Engine;

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

/// A chart archive in a fresh folder.
fn chart(dir: &Path, name: &str) -> std::path::PathBuf {
    write_chart(
        dir,
        &format!("{name}-1.0.0.tgz"),
        &format!("apiVersion: v2\nname: {name}\nversion: 1.0.0\n"),
    );
    dir.join(format!("{name}-1.0.0.tgz"))
}

fn push(home: &HelmHome, chart: &Path, target: &str, flags: &[&str]) -> Output {
    let mut c = ocipush(home);
    c.arg(chart)
        .arg(target)
        .args(flags)
        .env("HELM_DEBUG", "true");
    run_with_stdin(c, "")
}

/// Fails if any secret, or its base64 form, appears in the output.
fn assert_no_secrets(o: &Output, secrets: &[&str]) {
    let all = output_text(o);
    for s in secrets {
        let b64 = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{s}"));
        assert!(
            !all.contains(s) && !all.contains(&b64),
            "secret in output: {all}"
        );
    }
}

fn registry_config(home: &HelmHome, json: &str) {
    let d = home.path().join("config/registry");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("config.json"), json).unwrap();
}

#[test]
fn htpasswd_registry_with_what_helm_registry_login_stored() {
    let reg = Registry::start(RegistryOptions {
        htpasswd: Some((USER.into(), PASSWORD.into())),
        ..RegistryOptions::default()
    });
    let work = tempfile::tempdir().unwrap();
    let c = chart(work.path(), "basic");
    let target = format!("oci://{}/basic", reg.host);

    // No credentials: one clear line naming the fix.
    let home = HelmHome::new();
    let o = push(&home, &c, &target, &["--plain-http"]);
    assert!(!o.status.success());
    assert!(
        output_text(&o).contains("helm registry login"),
        "{}",
        output_text(&o)
    );

    // A wrong password: refused, and no password in the output.
    let mut cmd = ocipush(&home);
    cmd.arg(&c)
        .arg(&target)
        .args(["--plain-http", "--username", USER, "--password-stdin"])
        .env("HELM_DEBUG", "true");
    let o = run_with_stdin(cmd, "wrong-Secret-9\n");
    assert!(!o.status.success());
    assert!(
        output_text(&o).contains("refused the credentials"),
        "{}",
        output_text(&o)
    );
    assert_no_secrets(&o, &["wrong-Secret-9"]);

    // --username and --password-stdin.
    let mut cmd = ocipush(&home);
    cmd.arg(&c)
        .arg(&target)
        .args(["--plain-http", "--username", USER, "--password-stdin"])
        .env("HELM_DEBUG", "true");
    let o = run_with_stdin(cmd, &format!("{PASSWORD}\n"));
    assert!(o.status.success(), "{}", output_text(&o));
    assert_no_secrets(&o, &[PASSWORD]);

    // `helm registry login` of either Helm is enough.
    for helm in BOTH {
        let home = HelmHome::new();
        let insecure = match helm {
            Helm::V3 => "--insecure",
            Helm::V4 => "--plain-http",
        };
        let mut login = home.command(helm.bin());
        login.args([
            "registry",
            "login",
            &reg.host,
            "--username",
            USER,
            "--password-stdin",
            insecure,
        ]);
        let o = run_with_stdin(login, PASSWORD);
        assert!(
            o.status.success(),
            "helm {} login: {}",
            helm.version(),
            output_text(&o)
        );
        let o = push(
            &home,
            &c,
            &format!("{target}/{}", helm.version().replace('.', "-")),
            &["--plain-http"],
        );
        assert!(
            o.status.success(),
            "after helm {} login: {}",
            helm.version(),
            output_text(&o)
        );
        assert_no_secrets(&o, &[PASSWORD]);
    }

    // Docker's config, when Helm's has nothing for the host.
    let home = HelmHome::new();
    let docker = work.path().join("docker");
    std::fs::create_dir_all(&docker).unwrap();
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    std::fs::write(
        docker.join("config.json"),
        format!(
            r#"{{"auths":{{"http://{}/v2/":{{"auth":"{auth}"}}}}}}"#,
            reg.host
        ),
    )
    .unwrap();
    let mut cmd = ocipush(&home);
    cmd.arg(&c)
        .arg(format!("{target}/docker"))
        .arg("--plain-http")
        .env("DOCKER_CONFIG", &docker);
    let o = run_with_stdin(cmd, "");
    assert!(o.status.success(), "{}", output_text(&o));

    // Credential programs: credsStore and credHelpers.
    let bin = work.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let helper = bin.join("docker-credential-wharftest");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\n[ \"$1\" = get ] || exit 1\nread -r host\nif [ \"$host\" = \"{}\" ]; then\n  printf '{{\"ServerURL\":\"%s\",\"Username\":\"{USER}\",\"Secret\":\"{PASSWORD}\"}}' \"$host\"\nelse\n  echo 'credentials not found in native keychain'; exit 1\nfi\n",
            reg.host
        ),
    )
    .unwrap();
    std::fs::set_permissions(&helper, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for (i, cfg) in [
        r#"{"credsStore":"wharftest"}"#.to_string(),
        format!(
            r#"{{"credHelpers":{{"{}":"wharftest"}},"auths":{{}}}}"#,
            reg.host
        ),
    ]
    .iter()
    .enumerate()
    {
        let home = HelmHome::new();
        registry_config(&home, cfg);
        let mut cmd = ocipush(&home);
        cmd.arg(&c)
            .arg(format!("{target}/helper{i}"))
            .args(["--plain-http"])
            .env("PATH", &path)
            .env("HELM_DEBUG", "true");
        let o = run_with_stdin(cmd, "");
        assert!(o.status.success(), "{cfg}: {}", output_text(&o));
        assert_no_secrets(&o, &[PASSWORD]);
    }
    assert!(reg.dangling().is_empty(), "{:?}", reg.dangling());
}

#[test]
fn bearer_tokens_from_basic_credentials_identity_and_registry_tokens() {
    let reg = Registry::start(RegistryOptions {
        token: true,
        ..RegistryOptions::default()
    });
    let tokens = reg.token.as_ref().unwrap();
    let work = tempfile::tempdir().unwrap();
    let c = chart(work.path(), "tok");
    let requests = || tokens.requests.lock().unwrap().clone();

    // Username and password from `helm registry login`'s file: GET with
    // Basic, asking for pull and push up front.
    let home = HelmHome::new();
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    registry_config(
        &home,
        &format!(r#"{{"auths":{{"{}":{{"auth":"{auth}"}}}}}}"#, reg.host),
    );
    let o = push(
        &home,
        &c,
        &format!("oci://{}/basic", reg.host),
        &["--plain-http"],
    );
    assert!(o.status.success(), "{}", output_text(&o));
    assert_no_secrets(&o, &[PASSWORD]);
    let seen = requests();
    assert!(!seen.is_empty());
    for r in &seen {
        assert_eq!(r.method, "GET", "{r:?}");
        assert_eq!(r.basic_user.as_deref(), Some(USER), "{r:?}");
        assert_eq!(
            r.scopes,
            vec!["repository:basic/tok:pull,push".to_string()],
            "{r:?}"
        );
    }
    // Tokens are cached: one per repository, not one per request.
    assert_eq!(seen.len(), 1, "{seen:?}");

    // An identity (refresh) token: the OAuth2 refresh_token grant.
    let home = HelmHome::new();
    registry_config(
        &home,
        &format!(
            r#"{{"auths":{{"{}":{{"identitytoken":"{REFRESH_TOKEN}"}}}}}}"#,
            reg.host
        ),
    );
    let n = requests().len();
    let o = push(
        &home,
        &c,
        &format!("oci://{}/refresh", reg.host),
        &["--plain-http"],
    );
    assert!(o.status.success(), "{}", output_text(&o));
    assert_no_secrets(&o, &[REFRESH_TOKEN]);
    let post: Vec<_> = requests().into_iter().skip(n).collect();
    assert!(!post.is_empty());
    assert!(
        post.iter()
            .all(|r| r.method == "POST" && r.grant_type.as_deref() == Some("refresh_token")),
        "{post:?}"
    );

    // A registry token is used as the bearer token itself.
    let home = HelmHome::new();
    let token = tokens.issue(&["repository:direct/tok:pull,push"]);
    registry_config(
        &home,
        &format!(
            r#"{{"auths":{{"{}":{{"registrytoken":"{token}"}}}}}}"#,
            reg.host
        ),
    );
    let n = requests().len();
    let o = push(
        &home,
        &c,
        &format!("oci://{}/direct", reg.host),
        &["--plain-http"],
    );
    assert!(o.status.success(), "{}", output_text(&o));
    assert_eq!(requests().len(), n, "no token request expected");
    assert!(!output_text(&o).contains(&token));

    // Wrong credentials: the token service refuses, one clear line.
    let home = HelmHome::new();
    let mut cmd = ocipush(&home);
    cmd.arg(&c)
        .arg(format!("oci://{}/denied", reg.host))
        .args(["--plain-http", "--username", USER, "--password-stdin"])
        .env("HELM_DEBUG", "true");
    let o = run_with_stdin(cmd, "not-the-Password-7");
    assert!(!o.status.success());
    assert!(
        output_text(&o).contains("refused the credentials"),
        "{}",
        output_text(&o)
    );
    assert_no_secrets(&o, &["not-the-Password-7"]);

    for repo in ["basic/tok", "refresh/tok", "direct/tok"] {
        assert!(reg.manifest(repo, "1.0.0").is_some(), "{repo}");
    }
}

#[test]
fn tls_with_a_private_ca_and_client_certificates() {
    let work = tempfile::tempdir().unwrap();
    let c = chart(work.path(), "tls");
    let home = HelmHome::new();

    let reg = Registry::start(RegistryOptions {
        tls: true,
        ..RegistryOptions::default()
    });
    let pki = reg.pki.as_ref().unwrap();
    let target = format!("oci://{}/tls", reg.host);
    let o = push(&home, &c, &target, &["--retries", "0"]);
    assert!(!o.status.success());
    assert!(
        output_text(&o).to_lowercase().contains("certificate"),
        "{}",
        output_text(&o)
    );
    let ca = pki.ca_cert.to_str().unwrap();
    let o = push(&home, &c, &format!("{target}/ca"), &["--ca-file", ca]);
    assert!(o.status.success(), "{}", output_text(&o));
    let o = push(
        &home,
        &c,
        &format!("{target}/insecure"),
        &["--insecure-skip-tls-verify"],
    );
    assert!(o.status.success(), "{}", output_text(&o));
    // Helm 4 pulls it over TLS with the same CA.
    let dest = tempfile::tempdir().unwrap();
    home.helm_ok(
        Helm::V4,
        &[
            "pull",
            &format!("{target}/ca/tls"),
            "--version",
            "1.0.0",
            "--ca-file",
            ca,
            "--destination",
            dest.path().to_str().unwrap(),
        ],
    );
    assert_eq!(
        std::fs::read(dest.path().join("tls-1.0.0.tgz")).unwrap(),
        std::fs::read(&c).unwrap()
    );

    // Client certificates.
    let mtls = Registry::start(RegistryOptions {
        client_certs: true,
        ..RegistryOptions::default()
    });
    let pki = mtls.pki.as_ref().unwrap();
    let ca = pki.ca_cert.to_str().unwrap();
    let target = format!("oci://{}/mtls", mtls.host);
    let o = push(&home, &c, &target, &["--ca-file", ca, "--retries", "0"]);
    assert!(!o.status.success(), "pushed without a client certificate");
    let o = push(
        &home,
        &c,
        &target,
        &[
            "--ca-file",
            ca,
            "--cert-file",
            pki.client_cert.to_str().unwrap(),
            "--key-file",
            pki.client_key.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", output_text(&o));
    assert!(mtls.manifest("mtls/tls", "1.0.0").is_some());
    let o = push(
        &home,
        &c,
        &target,
        &["--cert-file", pki.client_cert.to_str().unwrap()],
    );
    assert!(output_text(&o).contains("together"), "{}", output_text(&o));

    // TLS flags do not turn --plain-http off (Helm's bug).
    let plain = Registry::start(RegistryOptions::default());
    let o = push(
        &home,
        &c,
        &format!("oci://{}/plain", plain.host),
        &[
            "--plain-http",
            "--ca-file",
            ca,
            "--insecure-skip-tls-verify",
        ],
    );
    assert!(o.status.success(), "{}", output_text(&o));
}

/// A registry on HTTPS whose token service is plain HTTP: the credentials
/// are not sent to it (they would cross the network in clear), and the
/// push says why in one line.
#[test]
fn credentials_never_go_to_a_plain_http_token_service_of_an_https_registry() {
    let reg = Registry::start(RegistryOptions {
        tls: true,
        token: true,
        ..RegistryOptions::default()
    });
    let tokens = reg.token.as_ref().unwrap();
    let ca = reg
        .pki
        .as_ref()
        .unwrap()
        .ca_cert
        .to_str()
        .unwrap()
        .to_string();
    let work = tempfile::tempdir().unwrap();
    let c = chart(work.path(), "clear");
    let home = HelmHome::new();
    let o = push(
        &home,
        &c,
        &format!("oci://{}/clear", reg.host),
        &["--ca-file", &ca, "--username", USER, "--password", PASSWORD],
    );
    assert!(!o.status.success(), "{}", output_text(&o));
    let err = lossy(&o.stderr);
    assert!(
        err.contains("plain HTTP; credentials are not sent"),
        "{err}"
    );
    assert!(
        tokens.requests.lock().unwrap().is_empty(),
        "the token service was asked"
    );
    assert_no_secrets(&o, &[PASSWORD]);
}
