//! Keyless `helm prov sign --sigstore` (and `helm ocipush --sign
//! sigstore`) end to end against the rig's stand-ins on 127.0.0.1: an OIDC
//! issuer, Fulcio (`support/fulcio.rs`: a CA that embeds SCTs from a CT
//! log) and Rekor (`support/rekor.rs`), with a trusted root for all three;
//! tokens from `SIGSTORE_ID_TOKEN` and from GitHub Actions' token service.

use std::fs;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::Arc;

use crate::support::fulcio::{Fulcio, Oidc, Server};
use crate::support::registry::{Registry, RegistryOptions};
use crate::support::*;

pub(super) const ISSUER: &str = "https://oidc.rig.example";
pub(super) const EMAIL: &str = "release@example.com";

/// The stand-ins of one test and a trusted root for all of them: the OIDC
/// issuer and Fulcio, a Rekor v1 and a Rekor v2 log, and a timestamp
/// authority.
pub(super) struct Rig {
    pub(super) home: HelmHome,
    pub(super) dir: PathBuf,
    pub(super) oidc: Arc<Oidc>,
    pub(super) fulcio: Server,
    pub(super) rekor: crate::support::rekor::Server,
    pub(super) rekor_v2: crate::support::rekor::Server,
    pub(super) tsa: crate::support::tsa::Server,
    pub(super) root: PathBuf,
}

impl Rig {
    pub(super) fn new() -> Rig {
        let home = HelmHome::new();
        let dir = home.path().join("keyless");
        fs::create_dir_all(&dir).unwrap();
        let ca = Arc::new(Fulcio::new());
        let oidc = Arc::new(Oidc::new(ISSUER));
        let fulcio = Server::start(ca.clone(), oidc.clone());
        let rekor = crate::support::rekor::Server::start();
        let rekor_v2 = crate::support::rekor::Server::start_v2();
        let tsa = crate::support::tsa::Server::start();
        let mut root: serde_json::Value =
            serde_json::from_str(&rekor.log.lock().unwrap().trusted_root()).unwrap();
        let v2: serde_json::Value =
            serde_json::from_str(&rekor_v2.log.lock().unwrap().trusted_root()).unwrap();
        root["tlogs"]
            .as_array_mut()
            .unwrap()
            .push(v2["tlogs"][0].clone());
        let (cas, ctlogs) = ca.trusted_root_entries();
        root["certificateAuthorities"] = cas;
        root["ctlogs"] = ctlogs;
        root["timestampAuthorities"] = serde_json::json!([tsa.trusted_root_entry()]);
        let root_file = dir.join("trusted_root.json");
        fs::write(&root_file, root.to_string()).unwrap();
        Rig {
            home,
            dir,
            oidc,
            fulcio,
            rekor,
            rekor_v2,
            tsa,
            root: root_file,
        }
    }

    /// A `signing_config.v0.2.json` naming the rig's services: Fulcio, the
    /// v1 log and (with `v2`) the v2 log beside it, and (with `tsa`) the
    /// timestamp authority.
    pub(super) fn signing_config(&self, v2: bool, tsa: bool) -> serde_json::Value {
        let service = |url: &str, version: u32| {
            serde_json::json!({
                "url": url,
                "majorApiVersion": version,
                "validFor": {"start": "2020-01-01T00:00:00Z"},
                "operator": "helm-wharf test rig",
            })
        };
        let mut logs = vec![service(&self.rekor.url, 1)];
        if v2 {
            logs.push(service(&self.rekor_v2.url, 2));
        }
        serde_json::json!({
            "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
            "caUrls": [service(&self.fulcio.url, 1)],
            "oidcUrls": [service(ISSUER, 1)],
            "rekorTlogUrls": logs,
            "tsaUrls": if tsa { vec![service(&self.tsa.url, 1)] } else { vec![] },
            "rekorTlogConfig": {"selector": "ANY"},
            "tsaConfig": {"selector": "ANY"},
        })
    }

    /// A cosign key pair made by `helm prov keygen --sigstore` (password
    /// `pw`, as `COSIGN_PASSWORD`): its prefix, `cosign.key` and
    /// `cosign.pub` in the rig's folder.
    pub(super) fn cosign_keys(&self) -> PathBuf {
        let prefix = self.dir.join("cosign");
        let mut c = helm_prov(&self.home);
        c.args(["keygen", "--sigstore", "--output-key-prefix"])
            .arg(&prefix)
            .env("COSIGN_PASSWORD", "pw");
        ok(c);
        prefix
    }

    /// An identity token of the rig's issuer for [`EMAIL`].
    pub(super) fn token(&self) -> String {
        self.oidc
            .token(serde_json::json!({"sub": "8231", "email": EMAIL}))
    }

    /// `helm prov sign TARGET --sigstore` without a key, against the rig.
    pub(super) fn sign(&self, target: &str, token: Option<&str>, extra: &[&str]) -> Output {
        let mut c = helm_prov(&self.home);
        c.arg("sign").arg(target);
        self.keyless(&mut c, token);
        c.args(extra).output().unwrap()
    }

    pub(super) fn keyless(&self, c: &mut Command, token: Option<&str>) {
        c.args([
            "--fulcio-url",
            &self.fulcio.url,
            "--rekor-url",
            &self.rekor.url,
        ]);
        self.token_only(c, token);
    }

    /// The rig's trusted root and `token` in `SIGSTORE_ID_TOKEN` (the
    /// ambient GitHub token removed), without service flags.
    pub(super) fn token_only(&self, c: &mut Command, token: Option<&str>) {
        c.arg("--trusted-root")
            .arg(&self.root)
            .env_remove("SIGSTORE_ID_TOKEN")
            .env_remove("ACTIONS_ID_TOKEN_REQUEST_URL")
            .env_remove("ACTIONS_ID_TOKEN_REQUEST_TOKEN");
        if let Some(t) = token {
            c.env("SIGSTORE_ID_TOKEN", t);
        }
    }

    pub(super) fn verify(&self, target: &str, identity: &str, extra: &[&str]) -> Output {
        helm_prov(&self.home)
            .arg("verify")
            .arg(target)
            .args(["--certificate-identity", identity])
            .args(["--certificate-oidc-issuer", ISSUER])
            .arg("--trusted-root")
            .arg(&self.root)
            .args(extra)
            .output()
            .unwrap()
    }

    /// sigstore-python's client trust configuration for the rig: the
    /// trusted root, and a signing configuration naming the stand-ins.
    pub(super) fn trust_config(&self) -> PathBuf {
        let root: serde_json::Value =
            serde_json::from_slice(&fs::read(&self.root).unwrap()).unwrap();
        let config = serde_json::json!({
            "mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
            "trustedRoot": root,
            "signingConfig": self.signing_config(false, false),
        });
        let path = self.dir.join("trust_config.json");
        fs::write(&path, config.to_string()).unwrap();
        path
    }

    /// sigstore-python's verdict on `bundle` for `file` under the identity
    /// policy, offline, trusting the rig.
    pub(super) fn peer_verify(
        &self,
        file: &std::path::Path,
        bundle: &std::path::Path,
        identity: &str,
    ) -> Output {
        Command::new(crate::support::storage::peer_bin("sigstore"))
            .arg("--trust-config")
            .arg(self.trust_config())
            .args(["verify", "identity", "--offline", "--bundle"])
            .arg(bundle)
            .args(["--cert-identity", identity, "--cert-oidc-issuer", ISSUER])
            .arg(file)
            .output()
            .unwrap()
    }

    pub(super) fn chart(&self) -> PathBuf {
        let chart = self.dir.join("demo-0.1.0.tgz");
        fs::copy(
            fixtures()
                .join("prov")
                .join("helm4.1.4-rsa")
                .join("demo-0.1.0.tgz"),
            &chart,
        )
        .unwrap();
        chart
    }
}

/// A token in `SIGSTORE_ID_TOKEN`: the chart's bundle holds Fulcio's
/// certificate for the token's e-mail and the log entry, verifies under
/// the identity and issuer policy (not under another identity), and the
/// token appears in no output, `HELM_DEBUG=true` included.
#[test]
fn keyless_signing_with_an_identity_token() {
    let rig = Rig::new();
    let chart = rig.chart();
    let token = rig
        .oidc
        .token(serde_json::json!({"sub": "8231", "email": EMAIL, "email_verified": true}));
    let out = rig.sign(
        chart.to_str().unwrap(),
        Some(&token),
        &["--sigstore", "--debug"],
    );
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(!output_text(&out).contains(&token), "the token was printed");
    assert_eq!(*rig.fulcio.seen_tokens.lock().unwrap(), vec![token.clone()]);
    let bundle: serde_json::Value =
        serde_json::from_slice(&fs::read(rig.dir.join("demo-0.1.0.tgz.sigstore.json")).unwrap())
            .unwrap();
    let m = &bundle["verificationMaterial"];
    assert!(m["certificate"]["rawBytes"].is_string(), "{bundle}");
    assert!(m.get("publicKey").is_none(), "{bundle}");
    assert_eq!(m["tlogEntries"].as_array().unwrap().len(), 1, "{bundle}");
    let out = rig.verify(chart.to_str().unwrap(), EMAIL, &[]);
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(
        lossy(&out.stdout).contains(&format!("Certificate identity: {EMAIL} (issuer {ISSUER})")),
        "{}",
        output_text(&out)
    );
    let out = rig.verify(chart.to_str().unwrap(), "someone@example.com", &[]);
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    // sigstore-python agrees, offline, trusting the rig's stand-ins; and
    // refuses another identity.
    let peer = |identity: &str| {
        rig.peer_verify(
            &chart,
            &rig.dir.join("demo-0.1.0.tgz.sigstore.json"),
            identity,
        )
    };
    let out = peer(EMAIL);
    assert!(
        out.status.success(),
        "sigstore-python: {}",
        output_text(&out)
    );
    assert!(lossy(&out.stderr).contains("OK"), "{}", output_text(&out));
    let out = peer("someone@example.com");
    assert!(
        !out.status.success(),
        "sigstore-python: {}",
        output_text(&out)
    );
}

/// In GitHub Actions: the ambient token (asked for with the request
/// bearer and `audience=sigstore`) names the workflow, which becomes the
/// certificate's URI identity; a chart in a registry signed so verifies in
/// both of cosign's forms (the legacy one carrying the certificate and
/// chain in its annotations).
#[test]
fn keyless_signing_in_github_actions_covers_registry_charts() {
    let rig = Rig::new();
    let workflow = "octo/charts/.github/workflows/release.yml@refs/heads/main";
    let identity = format!("https://github.com/{workflow}");
    let token = rig.oidc.token(serde_json::json!({
        "sub": "repo:octo/charts:ref:refs/heads/main",
        "job_workflow_ref": workflow,
        "repository": "octo/charts",
    }));
    *rig.fulcio.actions.lock().unwrap() = Some((token.clone(), "request-bearer-7".into()));
    let reg = Registry::start(RegistryOptions::default());
    let chart = rig.chart();
    for path in ["both", "legacy"] {
        let mut c = ocipush(&rig.home);
        c.arg(&chart)
            .arg(format!("oci://{}/{path}", reg.host))
            .arg("--plain-http");
        ok(c);
    }
    let actions = |c: &mut Command| {
        rig.keyless(c, None);
        c.env(
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            format!("{}/actions-token?api-version=2.0", rig.fulcio.url),
        )
        .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "request-bearer-7");
    };
    for (path, format) in [("both", "both"), ("legacy", "legacy")] {
        let mut c = helm_prov(&rig.home);
        c.arg("sign")
            .arg(format!("oci://{}/{path}/demo:0.1.0", reg.host))
            .args(["--sigstore", "--plain-http", "--sigstore-format", format]);
        actions(&mut c);
        let out = c.output().unwrap();
        assert!(out.status.success(), "{format}: {}", output_text(&out));
        assert!(!output_text(&out).contains(&token));
        let out = rig.verify(
            &format!("oci://{}/{path}/demo:0.1.0", reg.host),
            &identity,
            &["--plain-http", "-o", "json"],
        );
        assert!(out.status.success(), "{format}: {}", output_text(&out));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v[0]["sigstore"]["identity"], identity.as_str(), "{v}");
        assert_eq!(v[0]["sigstore"]["issuer"], ISSUER, "{v}");
    }
    // (sigstore-python 4.5.1 cannot check the cosign v3 form: it refuses
    // in-toto statements whose subject has no `name`, as cosign writes
    // them for images; README says so.)
    // A wrong request bearer: the token service refuses, one line.
    let mut c = helm_prov(&rig.home);
    c.arg("sign").arg(&chart).arg("--sigstore");
    actions(&mut c);
    c.env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "wrong");
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    assert_eq!(
        lossy(&out.stderr).lines().count(),
        1,
        "{}",
        output_text(&out)
    );
    assert!(lossy(&out.stderr).contains("401"), "{}", output_text(&out));
}

/// `helm ocipush --sign sigstore` without a key signs keyless too.
#[test]
fn ocipush_signs_keyless() {
    let rig = Rig::new();
    let reg = Registry::start(RegistryOptions::default());
    let token = rig
        .oidc
        .token(serde_json::json!({"sub": "1", "email": EMAIL}));
    let mut c = ocipush(&rig.home);
    c.arg(rig.chart())
        .arg(format!("oci://{}/pushed", reg.host))
        .args(["--plain-http", "--sign", "sigstore"]);
    rig.keyless(&mut c, Some(&token));
    let out = c.output().unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    let out = rig.verify(
        &format!("oci://{}/pushed/demo:0.1.0", reg.host),
        EMAIL,
        &["--plain-http"],
    );
    assert!(out.status.success(), "{}", output_text(&out));
}

/// No token, a token of another issuer's key, a Fulcio that answers with a
/// certificate for another key: each one error line, the token in none,
/// and nothing written.
#[test]
fn keyless_failures_are_one_line_and_keep_the_token_secret() {
    let rig = Rig::new();
    let chart = rig.chart();
    let bundle = rig.dir.join("demo-0.1.0.tgz.sigstore.json");
    let out = rig.sign(chart.to_str().unwrap(), None, &["--sigstore"]);
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    assert!(
        lossy(&out.stderr).contains("SIGSTORE_ID_TOKEN"),
        "{}",
        output_text(&out)
    );
    let forged = Oidc::new(ISSUER).token(serde_json::json!({"sub": "1", "email": EMAIL}));
    let out = rig.sign(chart.to_str().unwrap(), Some(&forged), &["--sigstore"]);
    let err = lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("does not verify"), "{err}");
    assert!(!output_text(&out).contains(&forged));
    assert!(!bundle.exists());
    // Against the public-good root, the rig's CA is nobody: the bundle is
    // checked before it is written, and is not.
    let token = rig
        .oidc
        .token(serde_json::json!({"sub": "1", "email": EMAIL}));
    let out = helm_prov(&rig.home)
        .arg("sign")
        .arg(&chart)
        .arg("--sigstore")
        .args([
            "--fulcio-url",
            &rig.fulcio.url,
            "--rekor-url",
            &rig.rekor.url,
        ])
        .env("SIGSTORE_ID_TOKEN", &token)
        .env_remove("ACTIONS_ID_TOKEN_REQUEST_URL")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    assert!(!bundle.exists());
    assert!(!output_text(&out).contains(&token));
}
