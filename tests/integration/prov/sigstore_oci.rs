//! `helm prov sign|verify --sigstore oci://...` against the real registry
//! (distribution 2.8, no referrers API, so the `sha256-<hex>` tag index is
//! used) and the rig's proxy that adds the referrers API; what is stored is
//! checked by an independent reader of cosign's storage
//! (`support/cosign_peer.py`), and what that peer stores is verified here.

use std::fs;
use std::path::PathBuf;
use std::process::Output;

use crate::support::fault_proxy::{Fault, FaultProxy};
use crate::support::registry::{sha256_digest, Registry, RegistryOptions};
use crate::support::*;

/// A registry with the demo chart (and its `.prov`) pushed to
/// `charts/demo:0.1.0`, a cosign key pair, and a Rekor log with a trusted
/// root for it.
struct Rig {
    home: HelmHome,
    reg: Registry,
    dir: PathBuf,
    rekor: crate::support::rekor::Server,
    root: PathBuf,
}

const PASSWORD: &str = "pw";

impl Rig {
    fn new() -> Rig {
        let home = HelmHome::new();
        let reg = Registry::start(RegistryOptions::default());
        let dir = home.path().join("oci-sig");
        fs::create_dir_all(&dir).unwrap();
        let rekor = crate::support::rekor::Server::start();
        for i in 0..2 {
            rekor
                .log
                .lock()
                .unwrap()
                .append(format!("{{\"before\":{i}}}").into_bytes(), 1_700_000_000);
        }
        let root = dir.join("trusted_root.json");
        fs::write(&root, rekor.log.lock().unwrap().trusted_root()).unwrap();
        let rig = Rig {
            home,
            reg,
            dir,
            rekor,
            root,
        };
        rig.keygen("k");
        rig
    }

    fn keygen(&self, name: &str) {
        let out = helm_prov(&self.home)
            .args(["keygen", "--sigstore", "--output-key-prefix"])
            .arg(self.dir.join(name))
            .env("COSIGN_PASSWORD", PASSWORD)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", output_text(&out));
    }

    /// Pushes the demo chart with its `.prov` to `oci://HOST/path`.
    fn push(&self, path: &str) {
        self.push_from("helm4.1.4-rsa", path)
    }

    /// Pushes the demo chart of a `prov` fixture folder.
    fn push_from(&self, fixture: &str, path: &str) {
        let src = fixtures().join("prov").join(fixture);
        let work = tempfile::tempdir().unwrap();
        for f in ["demo-0.1.0.tgz", "demo-0.1.0.tgz.prov"] {
            fs::copy(src.join(f), work.path().join(f)).unwrap();
        }
        let mut c = ocipush(&self.home);
        c.arg(work.path().join("demo-0.1.0.tgz"))
            .arg(format!("oci://{}/{path}", self.reg.host))
            .arg("--plain-http");
        ok(c);
    }

    fn reference(&self, host: &str, path: &str) -> String {
        format!("oci://{host}/{path}/demo:0.1.0")
    }

    fn sign(&self, reference: &str, key: &str, extra: &[&str]) -> Output {
        helm_prov(&self.home)
            .arg("sign")
            .arg(reference)
            .args(["--sigstore", "--key"])
            .arg(self.dir.join(format!("{key}.key")))
            .args(["--rekor-url", &self.rekor.url, "--plain-http"])
            .arg("--trusted-root")
            .arg(&self.root)
            .args(extra)
            .env("COSIGN_PASSWORD", PASSWORD)
            .output()
            .unwrap()
    }

    fn verify(&self, reference: &str, key: &str, extra: &[&str]) -> Output {
        helm_prov(&self.home)
            .arg("verify")
            .arg(reference)
            .arg("--key")
            .arg(self.dir.join(format!("{key}.pub")))
            .arg("--trusted-root")
            .arg(&self.root)
            .arg("--plain-http")
            .args(extra)
            .output()
            .unwrap()
    }

    /// The chart manifest's digest.
    fn digest(&self, repo: &str) -> String {
        self.reg
            .manifest(repo, "0.1.0")
            .expect("the chart is there")
            .1
    }

    /// The independent reader's count of signatures by `key` that verify,
    /// with their log entries checked against the rig's log.
    fn peer_verify(&self, base: &str, repo: &str, key: &str) -> serde_json::Value {
        let out = std::process::Command::new(storage::peer_bin("storage-python"))
            .arg(peer_script())
            .args(["verify", base, repo, &self.digest(repo)])
            .arg(self.dir.join(format!("{key}.pub")))
            .arg(&self.root)
            .output()
            .unwrap();
        assert!(out.status.success(), "peer: {}", output_text(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

fn peer_script() -> PathBuf {
    root()
        .join("tests")
        .join("integration")
        .join("support")
        .join("cosign_peer.py")
}

fn expect_refused(out: &Output, says: &str) {
    let err = lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{}", output_text(out));
    assert!(err.contains(says), "wanted {says:?}: {}", output_text(out));
}

/// Both of cosign's forms on a registry without the referrers API: the
/// bundle referrer listed in the `sha256-<hex>` tag index and the
/// `sha256-<hex>.sig` manifest; each form alone is found and verifies, the
/// independent reader verifies each (signature, digest, log promise and
/// inclusion proof), and Helm 3 and 4 still `pull --verify` the chart by
/// its `.prov`, the manifest's digest unchanged.
#[test]
fn charts_in_a_registry_are_signed_in_both_forms_and_another_reader_agrees() {
    let rig = Rig::new();
    for path in ["both", "bundle", "legacy"] {
        rig.push(path);
    }
    let before = rig.digest("both/demo");
    let host = rig.reg.host.clone();
    let base = rig.reg.base_url();
    let out = rig.sign(&rig.reference(&host, "both"), "k", &[]);
    assert!(out.status.success(), "{}", output_text(&out));
    let err = lossy(&out.stderr);
    assert!(
        err.contains(&format!("Signed {host}/both/demo@{before}")),
        "{err}"
    );
    assert!(err.contains("tag index"), "{err}");
    let hex = before.trim_start_matches("sha256:");
    let tags = rig.reg.tags("both/demo");
    for t in [format!("sha256-{hex}"), format!("sha256-{hex}.sig")] {
        assert!(tags.contains(&t), "{t} missing from {tags:?}");
    }
    assert_eq!(
        rig.digest("both/demo"),
        before,
        "the chart manifest changed"
    );
    let peer = rig.peer_verify(&base, "both/demo", "k");
    assert_eq!(peer, serde_json::json!({"legacy": 1, "bundles": 1}));

    for (path, format) in [("bundle", "bundle"), ("legacy", "legacy")] {
        let reference = rig.reference(&host, path);
        let out = rig.sign(&reference, "k", &["--sigstore-format", format]);
        assert!(out.status.success(), "{}", output_text(&out));
        let peer = rig.peer_verify(&base, &format!("{path}/demo"), "k");
        let want = if format == "bundle" {
            serde_json::json!({"legacy": 0, "bundles": 1})
        } else {
            serde_json::json!({"legacy": 1, "bundles": 0})
        };
        assert_eq!(peer, want, "{format}");
        let out = rig.verify(&reference, "k", &["-o", "json"]);
        assert!(out.status.success(), "{format}: {}", output_text(&out));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let s = &v[0]["sigstore"];
        assert_eq!(s["verified"], true, "{v}");
        assert!(s["logIndex"].is_u64(), "{v}");
        let label = s["bundle"].as_str().unwrap();
        let want = if format == "bundle" {
            "bundle referrer"
        } else {
            ".sig"
        };
        assert!(label.contains(want), "{format}: {label}");
    }

    let out = rig.verify(&rig.reference(&host, "both"), "k", &[]);
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(
        lossy(&out.stdout).contains("Verified OK"),
        "{}",
        output_text(&out)
    );
    // --require all: the .prov (by the Helm 4 keyring) and the signature.
    let ring = fixtures().join("prov").join("keys").join("rsa.pub.gpg");
    let ring = ring.to_str().unwrap();
    let out = rig.verify(
        &rig.reference(&host, "both"),
        "k",
        &["--require", "all", "--keyring", ring],
    );
    assert!(out.status.success(), "{}", output_text(&out));
    // Without --sigstore, the .prov is checked and the signatures noted.
    let out = helm_prov(&rig.home)
        .arg("verify")
        .arg(rig.reference(&host, "both"))
        .args(["--plain-http", "--keyring", ring])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(
        lossy(&out.stderr).contains("2 Sigstore signature(s) attached, not checked"),
        "{}",
        output_text(&out)
    );
    for helm in BOTH {
        let dest = tempfile::tempdir().unwrap();
        let out = rig.home.helm(
            helm,
            &[
                "pull",
                &format!("oci://{host}/both/demo"),
                "--version",
                "0.1.0",
                "--verify",
                "--keyring",
                ring,
                "--plain-http",
                "-d",
                dest.path().to_str().unwrap(),
            ],
        );
        assert!(out.status.success(), "{helm:?}: {}", output_text(&out));
    }
    // By digest, as cosign names what it signs.
    let out = rig.verify(&format!("oci://{host}/both/demo@{before}"), "k", &[]);
    assert!(out.status.success(), "{}", output_text(&out));
}

/// Through a registry that serves the referrers API (the rig's proxy), the
/// bundle is indexed by the registry and no tag index is written; the
/// independent reader finds it through the API.
#[test]
fn the_referrers_api_is_used_where_the_registry_has_it() {
    let rig = Rig::new();
    rig.push("api");
    let proxy = FaultProxy::serving_referrers(&rig.reg.base_url());
    let reference = rig.reference(&proxy.host, "api");
    let out = rig.sign(&reference, "k", &["--sigstore-format", "bundle"]);
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(
        lossy(&out.stderr).contains("referrers API"),
        "{}",
        output_text(&out)
    );
    let hex = rig
        .digest("api/demo")
        .trim_start_matches("sha256:")
        .to_string();
    assert!(
        !rig.reg.tags("api/demo").contains(&format!("sha256-{hex}")),
        "a tag index was written beside the referrers API"
    );
    let peer = rig.peer_verify(&proxy.url(), "api/demo", "k");
    assert_eq!(peer, serde_json::json!({"legacy": 0, "bundles": 1}));
    let out = rig.verify(&reference, "k", &[]);
    assert!(out.status.success(), "{}", output_text(&out));
    // Straight to the registry there is no API and no tag index: nothing.
    let out = rig.verify(&rig.reference(&rig.reg.host, "api"), "k", &[]);
    expect_refused(&out, "no Sigstore signatures are attached");
}

/// What the independent writer stores (a legacy signature naming another
/// registry in `docker-reference`, a bundle in the tag index, no log
/// entry) verifies here with `--insecure-ignore-tlog`: the digest decides,
/// never the name. Two signers keep each other's entries.
#[test]
fn signatures_written_by_another_implementation_verify() {
    let rig = Rig::new();
    rig.push("peer");
    let key = rig.dir.join("peer.pem");
    let public = rig.dir.join("peer.pub");
    let gen = std::process::Command::new(storage::peer_bin("storage-python"))
        .arg("-c")
        .arg(
            "import sys\n\
             from cryptography.hazmat.primitives import serialization as s\n\
             from cryptography.hazmat.primitives.asymmetric import ec\n\
             k = ec.generate_private_key(ec.SECP256R1())\n\
             open(sys.argv[1], 'wb').write(k.private_bytes(s.Encoding.PEM, s.PrivateFormat.PKCS8, s.NoEncryption()))\n\
             open(sys.argv[2], 'wb').write(k.public_key().public_bytes(s.Encoding.PEM, s.PublicFormat.SubjectPublicKeyInfo))\n",
        )
        .arg(&key)
        .arg(&public)
        .output()
        .unwrap();
    assert!(gen.status.success(), "{}", output_text(&gen));
    // Our signature first, then the peer's: ours must survive its update.
    let reference = rig.reference(&rig.reg.host, "peer");
    let out = rig.sign(&reference, "k", &[]);
    assert!(out.status.success(), "{}", output_text(&out));
    let out = std::process::Command::new(storage::peer_bin("storage-python"))
        .arg(peer_script())
        .args(["sign", &rig.reg.base_url(), "peer/demo", "0.1.0"])
        .arg(&key)
        .arg("registry.elsewhere.example/mirrored/demo")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    // Each of the peer's forms alone: a proxy hides the other one.
    let hex = rig
        .digest("peer/demo")
        .trim_start_matches("sha256:")
        .to_string();
    for hide in [format!("sha256-{hex}.sig"), format!("sha256-{hex}")] {
        let hidden = hide.clone();
        let proxy = FaultProxy::start(&rig.reg.base_url(), move |_, _, target| {
            if target.ends_with(&format!("/manifests/{hidden}")) {
                Fault::Status(404)
            } else {
                Fault::Pass
            }
        });
        let out = helm_prov(&rig.home)
            .arg("verify")
            .arg(rig.reference(&proxy.host, "peer"))
            .arg("--key")
            .arg(&public)
            .args(["--plain-http", "--insecure-ignore-tlog", "-o", "json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "without {hide}: {}",
            output_text(&out)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let label = v[0]["sigstore"]["bundle"].as_str().unwrap().to_string();
        assert_eq!(label.contains(".sig"), !hide.ends_with(".sig"), "{label}");
    }
    // Without --insecure-ignore-tlog, signatures in no log are refused.
    let out = helm_prov(&rig.home)
        .arg("verify")
        .arg(&reference)
        .arg("--key")
        .arg(&public)
        .arg("--plain-http")
        .output()
        .unwrap();
    expect_refused(&out, "Sigstore signatures attached verifies");
    // An attestation of the same digest (provenance, here) by the same key
    // is not a signature.
    rig.push("att");
    let out = std::process::Command::new(storage::peer_bin("storage-python"))
        .arg(peer_script())
        .args(["sign", &rig.reg.base_url(), "att/demo", "0.1.0"])
        .arg(&key)
        .args(["x", "https://slsa.dev/provenance/v1", "bundle"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    let out = helm_prov(&rig.home)
        .arg("verify")
        .arg(rig.reference(&rig.reg.host, "att"))
        .arg("--key")
        .arg(&public)
        .args(["--plain-http", "--insecure-ignore-tlog"])
        .output()
        .unwrap();
    expect_refused(
        &out,
        "an attestation of type https://slsa.dev/provenance/v1",
    );
    // Ours still verifies, with its log entry.
    let out = rig.verify(&reference, "k", &[]);
    assert!(out.status.success(), "{}", output_text(&out));
    let peer = rig.peer_verify(&rig.reg.base_url(), "peer/demo", "k");
    assert_eq!(peer, serde_json::json!({"legacy": 1, "bundles": 1}));
    // A second key of ours: four signatures, each key finds its own.
    rig.keygen("k2");
    let out = rig.sign(&reference, "k2", &[]);
    assert!(out.status.success(), "{}", output_text(&out));
    for k in ["k", "k2"] {
        let out = rig.verify(&reference, k, &[]);
        assert!(out.status.success(), "{k}: {}", output_text(&out));
        assert_eq!(
            rig.peer_verify(&rig.reg.base_url(), "peer/demo", k),
            serde_json::json!({"legacy": 1, "bundles": 1}),
            "{k}"
        );
    }
    // Signing again with the same key stores nothing twice.
    let out = rig.sign(
        &reference,
        "k2",
        &["--sigstore-format", "legacy", "--tlog-upload=false"],
    );
    assert!(out.status.success(), "{}", output_text(&out));
    let (sig, _) = rig
        .reg
        .manifest("peer/demo", &format!("sha256-{hex}.sig"))
        .unwrap();
    let layers = serde_json::from_slice::<serde_json::Value>(&sig).unwrap()["layers"]
        .as_array()
        .unwrap()
        .len();
    // Ours, the peer's, the second key's, and k2's unlogged one (a new
    // signature: ECDSA signatures differ each time).
    assert_eq!(layers, 4);
}

/// Tampering, each one error line: a signature of another chart moved
/// under this chart's tag, a changed bundle, a changed signature, another
/// key; a registry serving an endless signature manifest is bounded.
#[test]
fn tampered_and_hostile_signatures_are_refused() {
    let rig = Rig::new();
    rig.push("a");
    rig.push("b");
    // Another chart: a changed archive makes another manifest.
    let out = rig.sign(&rig.reference(&rig.reg.host, "a"), "k", &[]);
    assert!(out.status.success(), "{}", output_text(&out));
    let digest = rig.digest("a/demo");
    let hex = digest.trim_start_matches("sha256:");
    // No signatures at all.
    let unsigned = rig.reference(&rig.reg.host, "b");
    expect_refused(&rig.verify(&unsigned, "k", &[]), "no Sigstore signatures");
    // Another key.
    rig.keygen("other");
    expect_refused(
        &rig.verify(&rig.reference(&rig.reg.host, "a"), "other", &[]),
        "none of the 2 Sigstore signatures attached verifies",
    );

    // Copy a's signature manifests to the tags of another chart's
    // manifest (c/demo, from another archive): they sign a's digest, not
    // c's, and are refused.
    rig.push_from("helm3.17.3-rsa", "c");
    let other = rig.digest("c/demo");
    assert_ne!(other, digest);
    let other_hex = other.trim_start_matches("sha256:");
    let copy = |from_tag: &str, to_tag: &str, accept: &str| {
        let (bytes, _) = rig
            .reg
            .get_manifest("a/demo", from_tag, accept)
            .unwrap()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let mut digests = vec![v["config"]["digest"].as_str().unwrap_or("").to_string()];
        for l in v["layers"].as_array().into_iter().flatten() {
            digests.push(l["digest"].as_str().unwrap().to_string());
        }
        for m in v["manifests"].as_array().into_iter().flatten() {
            let d = m["digest"].as_str().unwrap();
            let (mb, _) = rig
                .reg
                .get_manifest("a/demo", d, "application/vnd.oci.image.manifest.v1+json")
                .unwrap()
                .unwrap();
            let mv: serde_json::Value = serde_json::from_slice(&mb).unwrap();
            for l in mv["layers"].as_array().into_iter().flatten() {
                copy_blob(&rig.reg, l["digest"].as_str().unwrap());
            }
            copy_blob(&rig.reg, mv["config"]["digest"].as_str().unwrap());
            rig.reg.push_manifest(
                "c/demo",
                d,
                "application/vnd.oci.image.manifest.v1+json",
                &mb,
            );
        }
        for d in digests.iter().filter(|d| !d.is_empty()) {
            copy_blob(&rig.reg, d);
        }
        rig.reg.push_manifest("c/demo", to_tag, accept, &bytes);
    };
    copy(
        &format!("sha256-{hex}.sig"),
        &format!("sha256-{other_hex}.sig"),
        "application/vnd.oci.image.manifest.v1+json",
    );
    copy(
        &format!("sha256-{hex}"),
        &format!("sha256-{other_hex}"),
        "application/vnd.oci.image.index.v1+json",
    );
    let moved = rig.reference(&rig.reg.host, "c");
    let out = rig.verify(&moved, "k", &[]);
    expect_refused(&out, &format!("it signs another manifest, {digest}"));
    let all = output_text(&out);
    assert!(all.contains("its subject is another manifest"), "{all}");

    // An endless .sig manifest and an endless tag index: bounded.
    let tags = format!("/manifests/sha256-{hex}");
    let proxy = FaultProxy::start(&rig.reg.base_url(), move |_, _, target| {
        if target.contains(&tags) {
            Fault::Endless
        } else {
            Fault::Pass
        }
    });
    let out = rig.verify(&rig.reference(&proxy.host, "a"), "k", &[]);
    expect_refused(&out, "larger than 4 MiB");
    assert_eq!(
        lossy(&out.stderr).lines().count(),
        1,
        "{}",
        output_text(&out)
    );
}

fn copy_blob(reg: &Registry, digest: &str) {
    let data = fs::read(reg.blob_path(digest)).unwrap();
    assert_eq!(sha256_digest(&data), digest);
    reg.push_blob("c/demo", &data);
}

/// `--bundle` is for files; `oci://` targets without `--sigstore` keep
/// refusing to be signed with OpenPGP (their `.prov` goes with the push).
#[test]
fn registry_targets_refuse_what_does_not_apply() {
    let rig = Rig::new();
    rig.push("r");
    let reference = rig.reference(&rig.reg.host, "r");
    let out = rig.sign(&reference, "k", &["--bundle", "x.json"]);
    expect_refused(&out, "--bundle names a file beside a local file");
    let out = helm_prov(&rig.home)
        .arg("sign")
        .arg(&reference)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    assert!(
        lossy(&out.stderr).contains("add --sigstore"),
        "{}",
        output_text(&out)
    );
}

/// `helm ocipush --sign sigstore`: each chart pushed is signed in both
/// forms with the push's own credentials (a registry with basic auth
/// here), and verifies; a chart left as it was (`--skip-existing`) is not
/// signed again.
#[test]
fn ocipush_signs_what_it_pushes() {
    use crate::support::registry::{PASSWORD as REG_PASSWORD, USER};
    let rig = Rig::new();
    let reg = Registry::start(RegistryOptions {
        htpasswd: Some((USER.to_string(), REG_PASSWORD.to_string())),
        ..RegistryOptions::default()
    });
    let work = tempfile::tempdir().unwrap();
    for f in ["demo-0.1.0.tgz", "demo-0.1.0.tgz.prov"] {
        fs::copy(
            fixtures().join("prov").join("helm4.1.4-rsa").join(f),
            work.path().join(f),
        )
        .unwrap();
    }
    let push = || {
        let mut c = ocipush(&rig.home);
        c.arg(work.path().join("demo-0.1.0.tgz"))
            .arg(format!("oci://{}/signed", reg.host))
            .args(["--plain-http", "--skip-existing", "--username", USER])
            .args(["--password", REG_PASSWORD, "--sign", "sigstore", "--key"])
            .arg(rig.dir.join("k.key"))
            .args(["--rekor-url", &rig.rekor.url, "--trusted-root"])
            .arg(&rig.root)
            .env("COSIGN_PASSWORD", PASSWORD)
            .output()
            .unwrap()
    };
    let out = push();
    assert!(out.status.success(), "{}", output_text(&out));
    let err = lossy(&out.stderr);
    assert!(err.contains("Signed: bundle referrer"), "{err}");
    let verify = |extra: &[&str]| {
        helm_prov(&rig.home)
            .arg("verify")
            .arg(format!("oci://{}/signed/demo:0.1.0", reg.host))
            .arg("--key")
            .arg(rig.dir.join("k.pub"))
            .arg("--trusted-root")
            .arg(&rig.root)
            .args([
                "--plain-http",
                "--username",
                USER,
                "--password",
                REG_PASSWORD,
            ])
            .args(extra)
            .output()
            .unwrap()
    };
    let out = verify(&[]);
    assert!(out.status.success(), "{}", output_text(&out));
    let index_of = |out: &Output| -> usize {
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v[0]["sigstore"]["logIndex"].as_u64().unwrap() as usize
    };
    let first = index_of(&verify(&["-o", "json"]));
    let entries = rig.rekor.log.lock().unwrap().len();
    let out = push();
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(
        lossy(&out.stderr).contains("Unchanged"),
        "{}",
        output_text(&out)
    );
    assert_eq!(
        rig.rekor.log.lock().unwrap().len(),
        entries,
        "an unchanged chart was signed again"
    );
    assert_eq!(index_of(&verify(&["-o", "json"])), first);
}
