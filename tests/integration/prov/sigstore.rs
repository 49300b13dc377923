//! `helm prov verify --sigstore` on files and their bundles, offline: the
//! Sigstore conformance suite's `bundle-verify` cases through the binary,
//! cosign's policy flags, and bundles an attacker wrote.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::*;

fn conformance() -> PathBuf {
    fixtures().join("sigstore").join("conformance")
}

/// The suite's defaults (its README): the identity and issuer of the
/// GitHub workflow that signs its cases.
const IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

/// `helm prov verify FILE --bundle BUNDLE` with the policy a case asks for,
/// as the suite's own runner passes it to a client.
fn verify_case(home: &HelmHome, case: &Path, extra: &[&str]) -> Output {
    let artifact = if case.join("artifact").is_file() {
        case.join("artifact")
    } else {
        conformance().join("a.txt")
    };
    let mut c = helm_prov(home);
    c.arg("verify")
        .arg(&artifact)
        .arg("--bundle")
        .arg(case.join("bundle.sigstore.json"));
    if case.join("key.pub").is_file() {
        c.arg("--key").arg(case.join("key.pub"));
    } else {
        let read = |name: &str, default: &str| {
            fs::read_to_string(case.join(name))
                .map(|s| s.trim().to_string())
                .unwrap_or_else(|_| default.to_string())
        };
        c.arg("--certificate-identity")
            .arg(read("identity", IDENTITY))
            .arg("--certificate-oidc-issuer")
            .arg(read("issuer", ISSUER));
    }
    if case.join("trusted_root.json").is_file() {
        c.arg("--trusted-root").arg(case.join("trusted_root.json"));
    }
    c.args(extra);
    c.output().expect("run helm-prov")
}

fn cases() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(conformance())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("bundle.sigstore.json").is_file())
        .collect();
    v.sort();
    v
}

/// Every `bundle-verify` case gives the suite's verdict, offline (the
/// public-good root built in, or the case's own): a pass prints cosign's
/// "Verified OK", a failure exactly one error line and exit status 1.
#[test]
fn the_conformance_cases_give_their_verdicts() {
    let home = HelmHome::new();
    let all = cases();
    assert_eq!(all.len(), 70, "the suite's 70 bundle-verify cases");
    let mut wrong = Vec::new();
    let mut passed = 0;
    for case in &all {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let out = verify_case(&home, case, &[]);
        let text = output_text(&out);
        let want_pass = !name.ends_with("_fail");
        if out.status.success() != want_pass {
            wrong.push(format!("{name}: exit {:?}: {text}", out.status.code()));
            continue;
        }
        if want_pass {
            passed += 1;
            if !lossy(&out.stdout).starts_with("Verified OK: Sigstore bundle ") {
                wrong.push(format!("{name}: no summary: {text}"));
            }
        } else {
            let stderr = lossy(&out.stderr);
            if out.status.code() != Some(1)
                || stderr.lines().count() != 1
                || !stderr.starts_with("Error: ")
                || stderr.contains("panicked")
            {
                wrong.push(format!("{name}: not one error line with status 1: {text}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(passed, 21, "the suite's 21 passing cases");
}

/// `-o json` carries the identity, issuer, log index and integrated time.
#[test]
fn json_output_names_the_signer_and_the_log_entry() {
    let home = HelmHome::new();
    let out = verify_case(
        &home,
        &conformance().join("happy-path-v0.3"),
        &["-o", "json"],
    );
    assert!(out.status.success(), "{}", output_text(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let s = &v[0]["sigstore"];
    assert_eq!(v[0]["verified"], true);
    assert_eq!(s["verified"], true);
    assert_eq!(s["identity"], IDENTITY);
    assert_eq!(s["issuer"], ISSUER);
    assert_eq!(s["logIndex"], 79571823);
    assert_eq!(s["integratedTime"], "2024-03-19T17:26:26Z");
    // No OpenPGP fields: no .prov was asked for.
    assert!(v[0].get("fingerprint").is_none(), "{v}");
}

/// A keyless verification needs both an identity and an issuer; without a
/// policy it is refused before anything is read, as cosign refuses it.
#[test]
fn a_verification_without_a_policy_is_refused() {
    let home = HelmHome::new();
    let case = conformance().join("happy-path-v0.3");
    let a = conformance().join("a.txt");
    let bundle = case.join("bundle.sigstore.json");
    for args in [
        vec!["--sigstore"],
        vec!["--certificate-identity", IDENTITY],
        vec!["--certificate-oidc-issuer", ISSUER],
    ] {
        let out = helm_prov(&home)
            .arg("verify")
            .arg(&a)
            .arg("--bundle")
            .arg(&bundle)
            .args(&args)
            .output()
            .unwrap();
        let err = lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.contains("--certificate-identity") && err.contains("--certificate-oidc-issuer"),
            "{args:?}: {err}"
        );
    }
}

/// cosign's `-regexp` flags match anywhere unless anchored, and the GitHub
/// workflow flags compare the certificate's claims; a mismatch names both
/// the value found and the one wanted.
#[test]
fn identity_patterns_and_github_claims_decide() {
    let home = HelmHome::new();
    let a = conformance().join("a.txt");
    let bundle = conformance()
        .join("happy-path-v0.3")
        .join("bundle.sigstore.json");
    let run = |args: &[&str]| {
        helm_prov(&home)
            .arg("verify")
            .arg(&a)
            .arg("--bundle")
            .arg(&bundle)
            .args(args)
            .output()
            .unwrap()
    };
    let beacon =
        "^https://github\\.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/";
    let ok = run(&[
        "--certificate-identity-regexp",
        beacon,
        "--certificate-oidc-issuer-regexp",
        "githubusercontent\\.com$",
        "--certificate-github-workflow-repository",
        "sigstore-conformance/extremely-dangerous-public-oidc-beacon",
        "--certificate-github-workflow-ref",
        "refs/heads/main",
        "--certificate-github-workflow-trigger",
        "workflow_dispatch",
    ]);
    assert!(ok.status.success(), "{}", output_text(&ok));

    for (args, says) in [
        (
            vec![
                "--certificate-identity-regexp",
                "^https://github\\.com/someone-else/",
                "--certificate-oidc-issuer",
                ISSUER,
            ],
            "identity",
        ),
        (
            vec![
                "--certificate-identity",
                IDENTITY,
                "--certificate-oidc-issuer-regexp",
                "^https://accounts\\.google\\.com$",
            ],
            "issuer",
        ),
        (
            vec![
                "--certificate-identity",
                IDENTITY,
                "--certificate-oidc-issuer",
                ISSUER,
                "--certificate-github-workflow-repository",
                "attacker/fork",
            ],
            "GitHub workflow repository",
        ),
    ] {
        let out = run(&args);
        let err = lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

/// Keyed bundles verify with their cosign public key and with no other;
/// of several keys, any one that made the signature suffices.
#[test]
fn keyed_bundles_need_their_key() {
    let home = HelmHome::new();
    let case = conformance().join("managed-key-happy-path");
    let a = conformance().join("a.txt");
    let bundle = case.join("bundle.sigstore.json");
    let other = fixtures().join("sigstore").join("keys").join("other.pub");
    let run = |keys: &[&Path]| {
        let mut c = helm_prov(&home);
        c.arg("verify").arg(&a).arg("--bundle").arg(&bundle);
        for k in keys {
            c.arg("--key").arg(k);
        }
        c.output().unwrap()
    };
    let out = run(&[&other]);
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    let out = run(&[&other, &case.join("key.pub")]);
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(
        lossy(&out.stdout).contains("Signed with key: "),
        "{}",
        output_text(&out)
    );
}

/// Bundles, roots and keys an attacker wrote: too large, not JSON, nested
/// without end, not UTF-8, a FIFO. Each is one error line naming the file.
#[test]
fn hostile_bundles_are_one_error_line() {
    let home = HelmHome::new();
    let dir = home.path().join("hostile");
    fs::create_dir_all(&dir).unwrap();
    let a = conformance().join("a.txt");
    let huge = dir.join("huge.sigstore.json");
    let f = fs::File::create(&huge).unwrap();
    f.set_len(17 << 20).unwrap();
    let deep = dir.join("deep.sigstore.json");
    fs::write(&deep, "[".repeat(100_000)).unwrap();
    let binary = dir.join("binary.sigstore.json");
    fs::write(&binary, [0xff, 0xfe, 0, 1]).unwrap();
    let fifo = dir.join("fifo.sigstore.json");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    for bundle in [&huge, &deep, &binary, &fifo] {
        let out = helm_prov(&home)
            .arg("verify")
            .arg(&a)
            .arg("--bundle")
            .arg(bundle)
            .args(["--certificate-identity", IDENTITY])
            .args(["--certificate-oidc-issuer", ISSUER])
            .output()
            .unwrap();
        let err = lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{}: {err}", bundle.display());
        assert_eq!(err.lines().count(), 1, "{}: {err}", bundle.display());
        assert!(
            err.contains(&bundle.display().to_string()),
            "{}: {err}",
            bundle.display()
        );
    }
    // A missing bundle beside the file says where it was looked for.
    let lone = dir.join("lone.txt");
    fs::write(&lone, "x").unwrap();
    let out = helm_prov(&home)
        .arg("verify")
        .arg(&lone)
        .args(["--certificate-identity", IDENTITY])
        .args(["--certificate-oidc-issuer", ISSUER])
        .output()
        .unwrap();
    let err = lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("lone.txt.sigstore.json"), "{err}");
}

/// Without `--sigstore`, a chart is verified by its `.prov` as before, and
/// a bundle beside it is only noted.
#[test]
fn without_sigstore_a_bundle_is_only_noted() {
    let home = HelmHome::new();
    let src = fixtures().join("prov").join("helm4.1.4-rsa");
    let dir = home.path().join("chart");
    fs::create_dir_all(&dir).unwrap();
    for f in ["demo-0.1.0.tgz", "demo-0.1.0.tgz.prov"] {
        fs::copy(src.join(f), dir.join(f)).unwrap();
    }
    fs::copy(
        conformance()
            .join("happy-path-v0.3")
            .join("bundle.sigstore.json"),
        dir.join("demo-0.1.0.tgz.sigstore.json"),
    )
    .unwrap();
    let out = helm_prov(&home)
        .arg("verify")
        .arg(dir.join("demo-0.1.0.tgz"))
        .arg("--keyring")
        .arg(fixtures().join("prov").join("keys").join("rsa.pub.gpg"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(lossy(&out.stdout).contains("Chart Hash Verified: "));
    let err = lossy(&out.stderr);
    assert!(
        err.starts_with("note: ") && err.contains("demo-0.1.0.tgz.sigstore.json"),
        "{err}"
    );
    // With --require all, the bundle (signed over another file) fails the chart.
    let out = helm_prov(&home)
        .arg("verify")
        .arg(dir.join("demo-0.1.0.tgz"))
        .arg("--keyring")
        .arg(fixtures().join("prov").join("keys").join("rsa.pub.gpg"))
        .args(["--require", "all"])
        .args(["--certificate-identity", IDENTITY])
        .args(["--certificate-oidc-issuer", ISSUER])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    // With --require any, the .prov alone carries it; the failed bundle
    // is a warning.
    let out = helm_prov(&home)
        .arg("verify")
        .arg(dir.join("demo-0.1.0.tgz"))
        .arg("--keyring")
        .arg(fixtures().join("prov").join("keys").join("rsa.pub.gpg"))
        .args(["--require", "any"])
        .args(["--certificate-identity", IDENTITY])
        .args(["--certificate-oidc-issuer", ISSUER])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(
        lossy(&out.stderr).starts_with("warning: "),
        "{}",
        output_text(&out)
    );
}

/// Python's `cryptography` (in the storage emulators' venv): the signature
/// in a keyed bundle is ECDSA P-256 over the file's SHA-256, by the key in
/// `cosign.pub`, as cosign makes it; checked by another implementation.
const PY_CHECK: &str = r#"
import base64, hashlib, json, sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
artifact, bundle, pub = sys.argv[1:4]
b = json.load(open(bundle))
data = open(artifact, "rb").read()
key = serialization.load_pem_public_key(open(pub, "rb").read())
der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
assert b["mediaType"] == "application/vnd.dev.sigstore.bundle.v0.3+json", b["mediaType"]
assert b["verificationMaterial"]["publicKey"]["hint"] == base64.b64encode(hashlib.sha256(der).digest()).decode()
md = b["messageSignature"]["messageDigest"]
assert md["algorithm"] == "SHA2_256" and base64.b64decode(md["digest"]) == hashlib.sha256(data).digest()
key.verify(base64.b64decode(b["messageSignature"]["signature"]), data, ec.ECDSA(hashes.SHA256()))
print("ok")
"#;

/// `keygen --sigstore` then `sign --sigstore --key --tlog-upload=false`:
/// the bundle verifies with `verify --key --insecure-ignore-tlog` and, by
/// another implementation, as an ECDSA signature over the chart; a changed
/// chart, another key or a wrong password are refused; an existing key is
/// never overwritten.
#[test]
fn keyed_signing_round_trips_and_another_implementation_agrees() {
    let home = HelmHome::new();
    let dir = home.path().join("keyed");
    fs::create_dir_all(&dir).unwrap();
    let chart = dir.join("demo-0.1.0.tgz");
    fs::copy(
        fixtures()
            .join("prov")
            .join("helm4.1.4-rsa")
            .join("demo-0.1.0.tgz"),
        &chart,
    )
    .unwrap();
    let prefix = dir.join("release");
    let keygen = |c: &mut std::process::Command| {
        c.arg("keygen")
            .arg("--sigstore")
            .arg("--output-key-prefix")
            .arg(&prefix)
            .env("COSIGN_PASSWORD", "correct horse")
            .output()
            .unwrap()
    };
    let out = keygen(&mut helm_prov(&home));
    assert!(out.status.success(), "{}", output_text(&out));
    let key = dir.join("release.key");
    let public = dir.join("release.pub");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let key_text = fs::read_to_string(&key).unwrap();
    assert!(key_text.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
    assert!(!key_text.contains("correct horse"));
    // A second keygen leaves the first key as it was.
    let again = keygen(&mut helm_prov(&home));
    assert_eq!(again.status.code(), Some(1), "{}", output_text(&again));
    assert_eq!(fs::read_to_string(&key).unwrap(), key_text);

    let sign = |password: &str, extra: &[&str]| {
        helm_prov(&home)
            .arg("sign")
            .arg(&chart)
            .arg("--sigstore")
            .arg("--key")
            .arg(&key)
            .args(extra)
            .env("COSIGN_PASSWORD", password)
            .output()
            .unwrap()
    };
    let wrong = sign("wrong", &["--tlog-upload=false"]);
    assert_eq!(wrong.status.code(), Some(1), "{}", output_text(&wrong));
    assert!(
        lossy(&wrong.stderr).contains("wrong password"),
        "{}",
        output_text(&wrong)
    );
    let out = sign("correct horse", &["--tlog-upload=false"]);
    assert!(out.status.success(), "{}", output_text(&out));
    let bundle = dir.join("demo-0.1.0.tgz.sigstore.json");
    let check = std::process::Command::new(crate::support::storage::peer_bin("storage-python"))
        .args(["-c", PY_CHECK])
        .arg(&chart)
        .arg(&bundle)
        .arg(&public)
        .output()
        .unwrap();
    assert!(check.status.success(), "{}", output_text(&check));

    let verify = |keyfile: &Path, extra: &[&str]| {
        helm_prov(&home)
            .arg("verify")
            .arg(&chart)
            .arg("--key")
            .arg(keyfile)
            .args(extra)
            .output()
            .unwrap()
    };
    let out = verify(&public, &["--insecure-ignore-tlog"]);
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(lossy(&out.stdout).contains("Transparency log: not checked"));
    // Without --insecure-ignore-tlog, a signature in no log is refused.
    let out = verify(&public, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    let other = fixtures().join("sigstore").join("keys").join("other.pub");
    let out = verify(&other, &["--insecure-ignore-tlog"]);
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    let mut bytes = fs::read(&chart).unwrap();
    bytes.push(0);
    fs::write(&chart, bytes).unwrap();
    let out = verify(&public, &["--insecure-ignore-tlog"]);
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    assert!(
        lossy(&out.stderr).contains("another digest"),
        "{}",
        output_text(&out)
    );
}

/// Private key files an attacker or an accident wrote: huge, not PEM, a
/// PEM of another kind, sealed JSON asking for 2^30 scrypt rounds, a FIFO.
/// Each is one error line naming the file, before any password is asked.
#[test]
fn hostile_key_files_are_one_error_line() {
    let home = HelmHome::new();
    let dir = home.path().join("keys");
    fs::create_dir_all(&dir).unwrap();
    let a = conformance().join("a.txt");
    let huge = dir.join("huge.key");
    fs::File::create(&huge).unwrap().set_len(17 << 20).unwrap();
    let garbage = dir.join("garbage.key");
    fs::write(
        &garbage,
        "-----BEGIN PRIVATE KEY-----\nSECRETxy!!\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    let cert = dir.join("cert.key");
    fs::write(
        &cert,
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let greedy = dir.join("greedy.key");
    let body = serde_json::json!({
        "kdf": {"name": "scrypt", "params": {"N": 1u64 << 30, "r": 8, "p": 1}, "salt": "AAAA"},
        "cipher": {"name": "nacl/secretbox", "nonce": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
        "ciphertext": "AAAA"
    })
    .to_string();
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(body);
    fs::write(
        &greedy,
        format!("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n{b64}\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n"),
    )
    .unwrap();
    let fifo = dir.join("fifo.key");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    for key in [&huge, &garbage, &cert, &greedy, &fifo] {
        let started = std::time::Instant::now();
        let out = helm_prov(&home)
            .arg("sign")
            .arg(&a)
            .args(["--sigstore", "--tlog-upload=false", "--key"])
            .arg(key)
            .arg("--bundle")
            .arg(dir.join("out.sigstore.json"))
            .env("COSIGN_PASSWORD", "x")
            .output()
            .unwrap();
        let err = lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{}: {err}", key.display());
        assert_eq!(err.lines().count(), 1, "{}: {err}", key.display());
        assert!(
            err.contains(&key.display().to_string()),
            "{}: {err}",
            key.display()
        );
        // Nothing of a key file's content is shown.
        assert!(!err.contains("SECRET") && !err.contains('!'), "{err}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{}: took {:?}",
            key.display(),
            started.elapsed()
        );
    }
    assert!(!dir.join("out.sigstore.json").exists());
}

/// The rig's Rekor log (`support::rekor`) is honest: a keyed bundle with
/// an entry it issued (fifth of seven: inclusion proof, checkpoint, SET)
/// verifies through `sigstore-verify` against its trusted root, without
/// `--insecure-ignore-tlog`; a changed proof hash, checkpoint, SET, body
/// or log ID is refused.
#[test]
fn the_rigs_transparency_log_is_verifiable() {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let home = HelmHome::new();
    let dir = home.path().join("tlog");
    fs::create_dir_all(&dir).unwrap();
    let a = dir.join("a.txt");
    fs::write(&a, "signed and logged\n").unwrap();
    let prefix = dir.join("k");
    let out = helm_prov(&home)
        .args(["keygen", "--sigstore", "--output-key-prefix"])
        .arg(&prefix)
        .env("COSIGN_PASSWORD", "")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    let out = helm_prov(&home)
        .arg("sign")
        .arg(&a)
        .args(["--sigstore", "--tlog-upload=false", "--key"])
        .arg(dir.join("k.key"))
        .env("COSIGN_PASSWORD", "")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    let bundle_path = dir.join("a.txt.sigstore.json");
    let bundle: serde_json::Value =
        serde_json::from_slice(&fs::read(&bundle_path).unwrap()).unwrap();
    let sig = b64
        .decode(bundle["messageSignature"]["signature"].as_str().unwrap())
        .unwrap();
    let digest = b64
        .decode(
            bundle["messageSignature"]["messageDigest"]["digest"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
    let digest_hex: String = digest.iter().map(|x| format!("{x:02x}")).collect();
    let public = fs::read_to_string(dir.join("k.pub")).unwrap();

    let mut log = crate::support::rekor::Log::new();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    for i in 0..4 {
        log.append(format!("{{\"other\":{i}}}").into_bytes(), now - 100);
    }
    let body = crate::support::rekor::hashedrekord_body(&digest_hex, &sig, &public);
    let entry = log.append(body, now - 10);
    for i in 4..6 {
        log.append(format!("{{\"later\":{i}}}").into_bytes(), now);
    }
    assert_eq!(entry.index, 4);
    let root = dir.join("trusted_root.json");
    fs::write(&root, log.trusted_root()).unwrap();

    let verify_with = |entry: serde_json::Value| {
        let mut b = bundle.clone();
        b["verificationMaterial"]["tlogEntries"] = serde_json::json!([entry]);
        let p = dir.join("logged.sigstore.json");
        fs::write(&p, b.to_string()).unwrap();
        helm_prov(&home)
            .arg("verify")
            .arg(&a)
            .arg("--bundle")
            .arg(&p)
            .arg("--key")
            .arg(dir.join("k.pub"))
            .arg("--trusted-root")
            .arg(&root)
            .output()
            .unwrap()
    };
    let out = verify_with(entry.json.clone());
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(
        lossy(&out.stdout).contains("Transparency log entry: 4"),
        "{}",
        output_text(&out)
    );

    let flip = |s: &str| {
        let mut bytes = b64.decode(s).unwrap();
        bytes[0] ^= 1;
        b64.encode(bytes)
    };
    let mut cases: Vec<(&str, serde_json::Value)> = Vec::new();
    let mut e = entry.json.clone();
    let h = e["inclusionProof"]["hashes"][0]
        .as_str()
        .unwrap()
        .to_string();
    e["inclusionProof"]["hashes"][0] = flip(&h).into();
    cases.push(("a proof hash", e));
    let mut e = entry.json.clone();
    let size = e["inclusionProof"]["treeSize"]
        .as_str()
        .unwrap()
        .to_string();
    let c = e["inclusionProof"]["checkpoint"]["envelope"]
        .as_str()
        .unwrap()
        .replacen(&format!("\n{size}\n"), "\n99\n", 1);
    assert_ne!(
        c,
        e["inclusionProof"]["checkpoint"]["envelope"]
            .as_str()
            .unwrap()
    );
    e["inclusionProof"]["checkpoint"]["envelope"] = c.into();
    cases.push(("the checkpoint", e));
    let mut e = entry.json.clone();
    let s = e["inclusionPromise"]["signedEntryTimestamp"]
        .as_str()
        .unwrap()
        .to_string();
    e["inclusionPromise"]["signedEntryTimestamp"] = flip(&s).into();
    cases.push(("the SET", e));
    let mut e = entry.json.clone();
    e["integratedTime"] = (now - 20).to_string().into();
    cases.push(("the integrated time", e));
    let mut e = entry.json.clone();
    let other = crate::support::rekor::hashedrekord_body(&"00".repeat(32), &sig, &public);
    e["canonicalizedBody"] = b64.encode(other).into();
    cases.push(("the body", e));
    let mut e = entry.json.clone();
    e["logId"]["keyId"] = b64.encode([7u8; 32]).into();
    cases.push(("the log ID", e));
    for (what, e) in cases {
        let out = verify_with(e);
        let err = lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{what}: {}", output_text(&out));
        assert_eq!(err.lines().count(), 1, "{what}: {err}");
    }
}

/// `sign --sigstore --key` enters the signature in the log (the rig's Rekor
/// on 127.0.0.1, `--rekor-url`), and the bundle verifies with the log
/// required; a log that lies (a wrong SET), fails or floods is one error
/// line, and no bundle is written.
#[test]
fn keyed_signatures_are_entered_in_the_log() {
    let home = HelmHome::new();
    let dir = home.path().join("logged");
    fs::create_dir_all(&dir).unwrap();
    let a = dir.join("chart.tgz");
    fs::copy(
        fixtures()
            .join("prov")
            .join("helm4.1.4-rsa")
            .join("demo-0.1.0.tgz"),
        &a,
    )
    .unwrap();
    let out = helm_prov(&home)
        .args(["keygen", "--sigstore", "--output-key-prefix"])
        .arg(dir.join("k"))
        .env("COSIGN_PASSWORD", "pw")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    let rekor = crate::support::rekor::Server::start();
    // Entries before ours, so the proof is not a tree of one.
    for i in 0..3 {
        rekor
            .log
            .lock()
            .unwrap()
            .append(format!("{{\"before\":{i}}}").into_bytes(), 1_700_000_000);
    }
    let root = dir.join("trusted_root.json");
    fs::write(&root, rekor.log.lock().unwrap().trusted_root()).unwrap();
    let bundle = dir.join("chart.tgz.sigstore.json");
    let sign = || {
        helm_prov(&home)
            .arg("sign")
            .arg(&a)
            .args(["--sigstore", "--key"])
            .arg(dir.join("k.key"))
            .args(["--rekor-url", &rekor.url])
            .arg("--trusted-root")
            .arg(&root)
            .env("COSIGN_PASSWORD", "pw")
            .output()
            .unwrap()
    };
    use crate::support::rekor::Mode;
    for (mode, says) in [
        (Mode::WrongSet, "does not verify"),
        (Mode::Fails, "500"),
        (Mode::Huge, "transparency log"),
    ] {
        rekor.set_mode(mode);
        let out = sign();
        let err = lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{mode:?}: {}",
            output_text(&out)
        );
        assert_eq!(err.lines().count(), 1, "{mode:?}: {err}");
        assert!(err.contains(says), "{mode:?}: {err}");
        assert!(!bundle.exists(), "{mode:?}: a bundle was written");
    }
    rekor.set_mode(Mode::Honest);
    let out = sign();
    assert!(out.status.success(), "{}", output_text(&out));
    let b: serde_json::Value = serde_json::from_slice(&fs::read(&bundle).unwrap()).unwrap();
    let entries = &b["verificationMaterial"]["tlogEntries"];
    assert_eq!(entries.as_array().unwrap().len(), 1, "{b}");
    // Three entries before ours, and the WrongSet attempt's: index 4.
    assert_eq!(entries[0]["logIndex"], "4", "{b}");
    let out = helm_prov(&home)
        .arg("verify")
        .arg(&a)
        .arg("--key")
        .arg(dir.join("k.pub"))
        .arg("--trusted-root")
        .arg(&root)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(
        lossy(&out.stdout).contains("Transparency log entry: 4"),
        "{}",
        output_text(&out)
    );
    // Against the public-good root, the rig's log is nobody.
    let out = helm_prov(&home)
        .arg("verify")
        .arg(&a)
        .arg("--key")
        .arg(dir.join("k.pub"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
}

/// `helm prov verify REPO/CHART --sigstore`: the archive and the bundle
/// beside it (`CHART.tgz.sigstore.json`, as a classic repository or `helm
/// sync` serves it) are downloaded with the repository's credentials,
/// verified in memory, and only then written to `--destination`, bundle
/// included; with `--require all` the `.prov` too. A bundle of another
/// chart, or none, is refused and nothing is written.
#[test]
fn charts_of_a_repository_verify_with_their_bundle() {
    let home = HelmHome::new();
    let repo = tempfile::tempdir().unwrap();
    let chart = repo.path().join("demo-0.1.0.tgz");
    let src = fixtures().join("prov").join("helm4.1.4-rsa");
    fs::copy(src.join("demo-0.1.0.tgz"), &chart).unwrap();
    fs::copy(
        src.join("demo-0.1.0.tgz.prov"),
        repo.path().join("demo-0.1.0.tgz.prov"),
    )
    .unwrap();
    let keys = home.path().join("keys");
    fs::create_dir_all(&keys).unwrap();
    let out = helm_prov(&home)
        .args(["keygen", "--sigstore", "--output-key-prefix"])
        .arg(keys.join("k"))
        .env("COSIGN_PASSWORD", "pw")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    let out = helm_prov(&home)
        .arg("sign")
        .arg(&chart)
        .args(["--sigstore", "--tlog-upload=false", "--key"])
        .arg(keys.join("k.key"))
        .env("COSIGN_PASSWORD", "pw")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    let out = crate::support::idx(&home)
        .arg("build")
        .arg(repo.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    let server = FileServer::start(repo.path(), Some(("chartuser", "pa55-w0rd-x")));
    fs::write(
        home.path().join("config").join("repositories.yaml"),
        format!(
            "apiVersion: \"\"\nrepositories:\n- name: myrepo\n  url: {}\n  username: chartuser\n  password: pa55-w0rd-x\n",
            server.url
        ),
    )
    .unwrap();
    let dest = tempfile::tempdir().unwrap();
    let ring = fixtures().join("prov").join("keys").join("rsa.pub.gpg");
    let run = |extra: &[&str]| {
        helm_prov(&home)
            .args(["verify", "myrepo/demo", "--version", "0.1.0", "--key"])
            .arg(keys.join("k.pub"))
            .arg("--insecure-ignore-tlog")
            .arg("--keyring")
            .arg(&ring)
            .arg("--destination")
            .arg(dest.path())
            .args(extra)
            .output()
            .unwrap()
    };
    let out = run(&["--require", "all"]);
    assert!(out.status.success(), "{}", output_text(&out));
    let stdout = lossy(&out.stdout);
    assert!(
        stdout.contains("Chart Hash Verified") && stdout.contains("Verified OK"),
        "{stdout}"
    );
    for f in [
        "demo-0.1.0.tgz",
        "demo-0.1.0.tgz.prov",
        "demo-0.1.0.tgz.sigstore.json",
    ] {
        assert_eq!(
            fs::read(dest.path().join(f)).unwrap(),
            fs::read(repo.path().join(f)).unwrap(),
            "{f}"
        );
        fs::remove_file(dest.path().join(f)).unwrap();
    }
    // Another chart's bundle: refused, nothing written.
    let other = repo.path().join("other.tgz");
    fs::write(&other, b"another file").unwrap();
    let out = helm_prov(&home)
        .arg("sign")
        .arg(&other)
        .args(["--sigstore", "--tlog-upload=false", "--key"])
        .arg(keys.join("k.key"))
        .env("COSIGN_PASSWORD", "pw")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));
    fs::rename(
        repo.path().join("other.tgz.sigstore.json"),
        repo.path().join("demo-0.1.0.tgz.sigstore.json"),
    )
    .unwrap();
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    assert!(
        lossy(&out.stderr).contains("another digest"),
        "{}",
        output_text(&out)
    );
    assert!(fs::read_dir(dest.path()).unwrap().next().is_none());
    fs::remove_file(repo.path().join("demo-0.1.0.tgz.sigstore.json")).unwrap();
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    assert!(
        lossy(&out.stderr).contains("failed to fetch the Sigstore bundle"),
        "{}",
        output_text(&out)
    );
    assert!(!output_text(&out).contains("pa55-w0rd-x"));
    assert!(fs::read_dir(dest.path()).unwrap().next().is_none());
}

/// The rig's Fulcio stand-in: a keyless bundle made by hand from one of
/// its certificates (SAN identity, issuer extension, embedded SCT) and an
/// entry of the rig's log verifies with `helm prov verify` under the
/// identity and issuer policy against a trusted root for both; a
/// certificate whose SCT signs something else, one without an SCT, and
/// another identity are refused.
#[test]
fn the_rigs_fulcio_certificates_verify() {
    use crate::support::fulcio::{pem_block, Fulcio, RigKey, Spoil};
    use base64::engine::general_purpose::STANDARD as B64;
    use base64::Engine;
    use sha2::{Digest, Sha256};
    let home = HelmHome::new();
    let dir = home.path().join("keyless");
    fs::create_dir_all(&dir).unwrap();
    let fulcio = Fulcio::new();
    let mut log = crate::support::rekor::Log::new();
    let mut root: serde_json::Value = serde_json::from_str(&log.trusted_root()).unwrap();
    let (cas, ctlogs) = fulcio.trusted_root_entries();
    root["certificateAuthorities"] = cas;
    root["ctlogs"] = ctlogs;
    let root_file = dir.join("trusted_root.json");
    fs::write(&root_file, root.to_string()).unwrap();
    let artifact = dir.join("a.txt");
    fs::write(&artifact, b"signed without a key to keep\n").unwrap();
    let data = fs::read(&artifact).unwrap();
    let digest = Sha256::digest(&data);
    let identity = "release@example.com";
    let issuer = "https://oidc.rig.example";
    let bundle_for = |spoil: Spoil, log: &mut crate::support::rekor::Log| {
        let ephemeral = RigKey::generate();
        let cert = fulcio.issue(&ephemeral.spki_der, identity, issuer, spoil);
        let sig = ephemeral.sign(&data);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        let body =
            crate::support::rekor::hashedrekord_body(&hex, &sig, &pem_block("CERTIFICATE", &cert));
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let entry = log.append(body, now);
        serde_json::json!({
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": {
                "certificate": {"rawBytes": B64.encode(&cert)},
                "tlogEntries": [entry.json],
            },
            "messageSignature": {
                "messageDigest": {"algorithm": "SHA2_256", "digest": B64.encode(digest)},
                "signature": B64.encode(&sig),
            },
        })
    };
    let verify = |bundle: &serde_json::Value, who: &str| {
        let file = dir.join("a.txt.sigstore.json");
        fs::write(&file, bundle.to_string()).unwrap();
        helm_prov(&home)
            .arg("verify")
            .arg(&artifact)
            .args([
                "--certificate-identity",
                who,
                "--certificate-oidc-issuer",
                issuer,
            ])
            .arg("--trusted-root")
            .arg(&root_file)
            .output()
            .unwrap()
    };
    let good = bundle_for(Spoil::None, &mut log);
    let out = verify(&good, identity);
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(
        lossy(&out.stdout).contains(&format!(
            "Certificate identity: {identity} (issuer {issuer})"
        )),
        "{}",
        output_text(&out)
    );
    let out = verify(&good, "someone@example.com");
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    for spoil in [Spoil::WrongSct, Spoil::NoSct] {
        let out = verify(&bundle_for(spoil, &mut log), identity);
        assert_eq!(
            out.status.code(),
            Some(1),
            "{spoil:?}: {}",
            output_text(&out)
        );
        assert!(
            lossy(&out.stderr).to_lowercase().contains("sct"),
            "{spoil:?}: {}",
            output_text(&out)
        );
    }
}
