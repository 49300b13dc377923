//! `helm prov trust update` against a local TUF repository built with
//! python-tuf (`support/tuf_repo.py`, the reference TUF implementation)
//! and served on 127.0.0.1: the refreshed trusted root and signing
//! configuration are what later signing and verifying use; root rotation
//! is followed; a tampered target, expired metadata or a rolled-back
//! timestamp are refused in one line, leaving what was stored.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::keyless::{Rig, EMAIL};
use crate::support::http::FileServer;
use crate::support::*;

/// `tuf_repo.py ARGS` with sigstore-python's interpreter (python-tuf is
/// one of its dependencies); its JSON line.
fn tuf_repo(args: &[&str]) -> serde_json::Value {
    let python = crate::support::storage::peer_bin("sigstore")
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("sigstore-venv")
        .join("bin")
        .join("python");
    assert!(
        python.exists(),
        "{} is not provisioned: run scripts/provision-peers.sh",
        python.display()
    );
    let out = Command::new(python)
        .arg(root().join("tests/integration/support/tuf_repo.py"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "tuf_repo.py {args:?}: {}",
        output_text(&out)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn update(rig: &Rig, server: &FileServer, root: &Path) -> Output {
    helm_prov(&rig.home)
        .args(["trust", "update", "--mirror", &server.url, "--root"])
        .arg(root)
        .args(["-o", "json"])
        .output()
        .unwrap()
}

fn stored(rig: &Rig) -> (PathBuf, PathBuf) {
    let dir = rig.home.path().join("data").join("wharf").join("sigstore");
    (
        dir.join("trusted_root.json"),
        dir.join("signing_config.json"),
    )
}

/// The rig's root and services published over TUF: after `trust update`,
/// keyless signing with no service flag and no `--trusted-root` uses the
/// rig's services, and verifying uses the refreshed root; a root rotation
/// is followed; tampering, expiry and rollback are each refused with one
/// line and leave the stored files as they were.
#[test]
fn trust_update_over_tuf_feeds_signing_and_verifying() {
    let rig = Rig::new();
    let dir = rig.dir.join("tuf");
    let config = rig.dir.join("signing_config.v0.2.json");
    fs::write(&config, rig.signing_config(true, true).to_string()).unwrap();
    let root_target = format!("trusted_root.json={}", rig.root.display());
    let config_target = format!("signing_config.v0.2.json={}", config.display());
    let d = dir.to_str().unwrap();
    tuf_repo(&[
        "init",
        d,
        "--target",
        &root_target,
        "--target",
        &config_target,
    ]);
    let server = FileServer::start(&dir.join("repo"), None);
    let tuf_root = dir.join("root.json");

    let out = update(&rig, &server, &tuf_root);
    assert!(out.status.success(), "{}", output_text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["rootVersion"], 1, "{v}");
    let (trusted, signing) = stored(&rig);
    assert_eq!(fs::read(&trusted).unwrap(), fs::read(&rig.root).unwrap());
    assert_eq!(fs::read(&signing).unwrap(), fs::read(&config).unwrap());

    // Signing takes every service from the refreshed configuration (Rekor
    // v2 and the TSA included), and checks against the refreshed root.
    let chart = rig.chart();
    let out = helm_prov(&rig.home)
        .arg("sign")
        .arg(&chart)
        .arg("--sigstore")
        .env("SIGSTORE_ID_TOKEN", rig.token())
        .env_remove("ACTIONS_ID_TOKEN_REQUEST_URL")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    assert_eq!(rig.rekor_v2.log.lock().unwrap().len(), 1);
    assert_eq!(*rig.tsa.requests.lock().unwrap(), 1);
    let verify = || {
        helm_prov(&rig.home)
            .arg("verify")
            .arg(&chart)
            .args(["--certificate-identity", EMAIL])
            .args(["--certificate-oidc-issuer", super::keyless::ISSUER])
            .output()
            .unwrap()
    };
    let out = verify();
    assert!(out.status.success(), "{}", output_text(&out));

    // A new root key, signed by the old one: a client that trusts
    // version 1 follows it.
    tuf_repo(&["rotate-root", d, "--timestamp-key"]);
    let out = update(&rig, &server, &tuf_root);
    assert!(out.status.success(), "{}", output_text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["rootVersion"], 2, "{v}");

    let before = (fs::read(&trusted).unwrap(), fs::read(&signing).unwrap());
    let refused = |what: &str, says: &str| {
        let err = refused_line(&update(&rig, &server, &tuf_root), what);
        assert!(err.contains("TUF repository"), "{what}: {err}");
        assert!(err.to_lowercase().contains(says), "{what}: {err}");
        assert_eq!(
            (fs::read(&trusted).unwrap(), fs::read(&signing).unwrap()),
            before,
            "{what}: the stored files changed"
        );
    };
    // A changed trusted root under the old hash: a new publication (so
    // the target is not the cached one), then its bytes changed.
    let other = rig.dir.join("other_root.json");
    let mut root: serde_json::Value =
        serde_json::from_slice(&fs::read(&rig.root).unwrap()).unwrap();
    root["timestampAuthorities"] = serde_json::json!([]);
    fs::write(&other, root.to_string()).unwrap();
    tuf_repo(&[
        "publish",
        d,
        "--target",
        &format!("trusted_root.json={}", other.display()),
    ]);
    tuf_repo(&["tamper", d, "--target", "trusted_root.json"]);
    refused("a tampered target", "mismatch");
    tuf_repo(&["expire", d, "--role", "timestamp"]);
    refused("an expired timestamp", "expired");
    tuf_repo(&["publish", d, "--target", &root_target]);
    let out = update(&rig, &server, &tuf_root);
    assert!(out.status.success(), "{}", output_text(&out));
    tuf_repo(&["rollback", d]);
    refused("a rolled-back timestamp", "version");

    // A root nobody signed with: the chain does not start.
    let stranger = rig.dir.join("stranger");
    tuf_repo(&["init", stranger.to_str().unwrap(), "--target", &root_target]);
    let err = refused_line(
        &update(&rig, &server, &stranger.join("root.json")),
        "a stranger root",
    );
    assert!(
        err.contains("signature threshold not met for role root"),
        "{err}"
    );
    // Verifying still uses what was stored.
    let out = verify();
    assert!(out.status.success(), "{}", output_text(&out));
}

/// A repository that publishes a trusted root but no signing
/// configuration: the update says so, and signing with no service named
/// does not fall back to the public-good services (which the refreshed
/// root does not name), but stops before any service is asked.
#[test]
fn a_root_without_a_signing_configuration_lends_no_public_services() {
    let rig = Rig::new();
    let dir = rig.dir.join("tuf");
    let root_target = format!("trusted_root.json={}", rig.root.display());
    tuf_repo(&["init", dir.to_str().unwrap(), "--target", &root_target]);
    let server = FileServer::start(&dir.join("repo"), None);
    let out = update(&rig, &server, &dir.join("root.json"));
    assert!(out.status.success(), "{}", output_text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["signingConfig"].is_null(), "{v}");
    let (trusted, signing) = stored(&rig);
    assert!(trusted.is_file() && !signing.exists());

    // Credentials in a mirror's URL are never shown, in the error of a
    // mirror that is not there either.
    let out = helm_prov(&rig.home)
        .args(["trust", "update", "--mirror"])
        .arg("http://wharf:s3cret@127.0.0.1:1/tuf/?token=t0ken")
        .arg("--root")
        .arg(dir.join("root.json"))
        .output()
        .unwrap();
    let err = refused_line(&out, "a mirror with credentials");
    assert!(err.contains("TUF repository http://***@127.0.0.1"), "{err}");
    assert!(!err.contains("s3cret") && !err.contains("t0ken"), "{err}");

    let out = helm_prov(&rig.home)
        .arg("sign")
        .arg(rig.chart())
        .arg("--sigstore")
        .env("SIGSTORE_ID_TOKEN", rig.token())
        .env_remove("ACTIONS_ID_TOKEN_REQUEST_URL")
        .output()
        .unwrap();
    let err = refused_line(&out, "no signing configuration");
    assert!(err.contains("public-good"), "{err}");
    assert!(err.contains("helm prov trust update"), "{err}");
    assert!(rig.fulcio.seen_tokens.lock().unwrap().is_empty());
}
