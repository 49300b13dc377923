//! The services a signature is made with, against the rig's stand-ins:
//! RFC 3161 timestamps (`--tsa-url`, or the signing configuration's TSA),
//! Rekor v2 where a signing configuration (`--signing-config`) names one,
//! and `--oidc-issuer`; checked by `helm prov verify` and sigstore-python.

use std::fs;
use std::path::Path;
use std::process::Output;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;

use super::keyless::{Rig, EMAIL, ISSUER};
use crate::support::registry::{Registry, RegistryOptions};
use crate::support::tsa::Mode;
use crate::support::*;

fn bundle_of(path: &Path) -> serde_json::Value {
    let b = fs::read(format!("{}.sigstore.json", path.display())).unwrap();
    serde_json::from_slice(&b).unwrap()
}

/// `helm prov sign FILE --sigstore --signing-config CONFIG`, keyless with
/// `token`, trusting the rig.
fn sign_keyless_with(rig: &Rig, file: &Path, config: &Path, token: &str) -> Output {
    let mut c = helm_prov(&rig.home);
    c.arg("sign")
        .arg(file)
        .args(["--sigstore", "--signing-config"])
        .arg(config);
    rig.token_only(&mut c, Some(token));
    c.output().unwrap()
}

fn timestamps(bundle: &serde_json::Value) -> usize {
    bundle["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"]
        .as_array()
        .map_or(0, Vec::len)
}

/// Keyless with `--tsa-url`: the bundle holds the log entry and the
/// authority's timestamp over the signature; `helm prov verify` and
/// sigstore-python accept it, and a timestamp changed by one bit is
/// refused in one line.
#[test]
fn keyless_signatures_carry_a_timestamp() {
    let rig = Rig::new();
    let chart = rig.chart();
    let token = rig.token();
    let out = rig.sign(
        chart.to_str().unwrap(),
        Some(&token),
        &["--sigstore", "--tsa-url", &rig.tsa.url],
    );
    assert!(out.status.success(), "{}", output_text(&out));
    assert_eq!(*rig.tsa.requests.lock().unwrap(), 1);
    let bundle = bundle_of(&chart);
    assert_eq!(timestamps(&bundle), 1, "{bundle}");
    assert_eq!(
        bundle["verificationMaterial"]["tlogEntries"][0]["kindVersion"]["version"],
        "0.0.1"
    );
    let out = rig.verify(chart.to_str().unwrap(), EMAIL, &[]);
    assert!(out.status.success(), "{}", output_text(&out));
    let bundle_path = rig.dir.join("demo-0.1.0.tgz.sigstore.json");
    let out = rig.peer_verify(&chart, &bundle_path, EMAIL);
    assert!(
        out.status.success(),
        "sigstore-python: {}",
        output_text(&out)
    );

    // One bit of the token's signature flipped.
    let mut spoiled = bundle.clone();
    let ts = &mut spoiled["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"]
        [0]["signedTimestamp"];
    let mut der = B64.decode(ts.as_str().unwrap()).unwrap();
    let last = der.len() - 1;
    der[last] ^= 1;
    *ts = B64.encode(&der).into();
    fs::write(&bundle_path, spoiled.to_string()).unwrap();
    let out = rig.verify(chart.to_str().unwrap(), EMAIL, &[]);
    let err = refused_line(&out, "a spoiled timestamp");
    assert!(err.contains("demo-0.1.0.tgz"), "{err}");
    assert!(err.contains("invalid RFC 3161 timestamp"), "{err}");
}

/// A signing configuration that names a Rekor v2 log (beside a v1 one)
/// and a timestamp authority: files and cosign v3 bundles go to the v2
/// log as `hashedrekord` 0.0.2 entries without a time of their own, the
/// legacy `.sig` form to the v1 log (its annotation needs a SET); keyed
/// and keyless, each verified by `helm prov verify`, the keyless file
/// bundle also by sigstore-python.
#[test]
fn rekor_v2_where_the_signing_configuration_names_one() {
    let rig = Rig::new();
    let config = rig.dir.join("signing_config.json");
    fs::write(&config, rig.signing_config(true, true).to_string()).unwrap();
    let chart = rig.chart();
    let token = rig.token();
    let out = sign_keyless_with(&rig, &chart, &config, &token);
    assert!(out.status.success(), "{}", output_text(&out));
    let bundle = bundle_of(&chart);
    let entry = &bundle["verificationMaterial"]["tlogEntries"][0];
    assert_eq!(entry["kindVersion"]["version"], "0.0.2", "{bundle}");
    assert!(entry.get("inclusionPromise").is_none(), "{bundle}");
    assert!(entry.get("integratedTime").is_none(), "{bundle}");
    assert_eq!(timestamps(&bundle), 1, "{bundle}");
    assert_eq!(rig.rekor_v2.log.lock().unwrap().len(), 1);
    assert_eq!(rig.rekor.log.lock().unwrap().len(), 0);
    let out = rig.verify(chart.to_str().unwrap(), EMAIL, &["-o", "json"]);
    assert!(out.status.success(), "{}", output_text(&out));
    let out = rig.peer_verify(&chart, &rig.dir.join("demo-0.1.0.tgz.sigstore.json"), EMAIL);
    assert!(
        out.status.success(),
        "sigstore-python: {}",
        output_text(&out)
    );

    // A registry chart in both forms, with a cosign key this time.
    let reg = Registry::start(RegistryOptions::default());
    let mut c = ocipush(&rig.home);
    c.arg(&chart)
        .arg(format!("oci://{}/v2", reg.host))
        .arg("--plain-http");
    ok(c);
    let prefix = rig.cosign_keys();
    let target = format!("oci://{}/v2/demo:0.1.0", reg.host);
    let mut c = helm_prov(&rig.home);
    c.arg("sign")
        .arg(&target)
        .args(["--sigstore", "--plain-http", "--key"])
        .arg(prefix.with_extension("key"))
        .arg("--signing-config")
        .arg(&config)
        .arg("--trusted-root")
        .arg(&rig.root)
        .env("COSIGN_PASSWORD", "pw");
    ok(c);
    assert_eq!(rig.rekor_v2.log.lock().unwrap().len(), 2, "the DSSE bundle");
    assert_eq!(rig.rekor.log.lock().unwrap().len(), 1, "the legacy form");
    let out = helm_prov(&rig.home)
        .arg("verify")
        .arg(&target)
        .args(["--sigstore", "--plain-http", "--key"])
        .arg(prefix.with_extension("pub"))
        .arg("--trusted-root")
        .arg(&rig.root)
        .args(["-o", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", output_text(&out));

    // Only a v2 log: the legacy form has nowhere to go, said before
    // anything is signed; the bundle form alone works.
    let mut only_v2 = rig.signing_config(true, true);
    only_v2["rekorTlogUrls"].as_array_mut().unwrap().remove(0);
    fs::write(&config, only_v2.to_string()).unwrap();
    let sign = |format: &str| {
        helm_prov(&rig.home)
            .arg("sign")
            .arg(&target)
            .args([
                "--sigstore",
                "--plain-http",
                "--sigstore-format",
                format,
                "--key",
            ])
            .arg(prefix.with_extension("key"))
            .arg("--signing-config")
            .arg(&config)
            .arg("--trusted-root")
            .arg(&rig.root)
            .env("COSIGN_PASSWORD", "pw")
            .output()
            .unwrap()
    };
    for format in ["legacy", "both"] {
        let err = refused_line(&sign(format), format);
        assert!(err.contains("only Rekor v1"), "{format}: {err}");
        assert_eq!(rig.rekor_v2.log.lock().unwrap().len(), 2, "{format}");
    }
    let out = sign("bundle");
    assert!(out.status.success(), "{}", output_text(&out));
}

/// A timestamp authority that fails, answers garbage or timestamps
/// something else; a configuration naming Rekor v2 without one; service
/// URLs given with a configuration; a token of another issuer than
/// `--oidc-issuer`: each one error line, and no bundle written.
#[test]
fn service_failures_are_one_line_and_write_nothing() {
    let rig = Rig::new();
    let chart = rig.chart();
    let bundle = rig.dir.join("demo-0.1.0.tgz.sigstore.json");
    let token = rig.token();
    for (mode, says) in [
        (Mode::Fails, "500"),
        (Mode::Garbage, "not a DER TimeStampResp"),
        (Mode::OtherImprint, "message imprint differs"),
        (Mode::OtherNonce, "nonce differs"),
        (
            Mode::Rejects,
            "(status 2, rejection): the rig refuses this request",
        ),
    ] {
        rig.tsa.set_mode(mode);
        let out = rig.sign(
            chart.to_str().unwrap(),
            Some(&token),
            &["--sigstore", "--tsa-url", &rig.tsa.url],
        );
        let err = refused_line(&out, &format!("{mode:?}"));
        assert!(err.contains(says), "{mode:?}: {err}");
        assert!(!err.contains(&token));
        assert!(!bundle.exists(), "{mode:?}");
        // The timestamp is asked first: the log has no entry for a
        // signature never written.
        assert_eq!(rig.rekor.log.lock().unwrap().len(), 0, "{mode:?}");
    }
    rig.tsa.set_mode(Mode::Honest);

    // Nothing below reaches Fulcio.
    let seen = rig.fulcio.seen_tokens.lock().unwrap().len();
    let config = rig.dir.join("signing_config.json");
    fs::write(&config, rig.signing_config(true, false).to_string()).unwrap();
    let out = sign_keyless_with(&rig, &chart, &config, &token);
    assert_eq!(out.status.code(), Some(1), "{}", output_text(&out));
    assert!(
        lossy(&out.stderr).contains("no timestamp authority"),
        "{}",
        output_text(&out)
    );
    assert_eq!(rig.fulcio.seen_tokens.lock().unwrap().len(), seen);

    let out = rig.sign(
        chart.to_str().unwrap(),
        Some(&token),
        &["--sigstore", "--signing-config", config.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    assert!(
        lossy(&out.stderr).contains("cannot be used with"),
        "{}",
        output_text(&out)
    );

    let out = rig.sign(
        chart.to_str().unwrap(),
        Some(&token),
        &[
            "--sigstore",
            "--oidc-issuer",
            "https://token.actions.githubusercontent.com",
        ],
    );
    let err = refused_line(&out, "a token of another issuer");
    assert!(
        err.contains(ISSUER) && err.contains("--oidc-issuer"),
        "{err}"
    );
    assert_eq!(rig.fulcio.seen_tokens.lock().unwrap().len(), seen);
    assert!(!bundle.exists());
    // The right issuer signs.
    let out = rig.sign(
        chart.to_str().unwrap(),
        Some(&token),
        &["--sigstore", "--oidc-issuer", ISSUER],
    );
    assert!(out.status.success(), "{}", output_text(&out));
}

/// Services of the public-good instance are never asked when the trusted
/// root is another instance's: with no service named, with only some
/// named, keyed and keyless, the run stops before any service hears of
/// it, in one line naming the service and what to give instead.
#[test]
fn public_services_are_not_used_with_a_private_root() {
    let rig = Rig::new();
    let chart = rig.chart();
    let token = rig.token();
    let seen = || rig.fulcio.seen_tokens.lock().unwrap().len();
    let cases: [(&[&str], &str); 3] = [
        (&[], "certificate authority https://fulcio.sigstore.dev"),
        (
            &["--rekor-url", &rig.rekor.url],
            "certificate authority https://fulcio.sigstore.dev",
        ),
        (
            &["--fulcio-url", &rig.fulcio.url],
            "transparency log https://rekor.sigstore.dev",
        ),
    ];
    for (flags, says) in cases {
        let mut c = helm_prov(&rig.home);
        c.arg("sign").arg(&chart).arg("--sigstore").args(flags);
        rig.token_only(&mut c, Some(&token));
        let err = refused_line(&c.output().unwrap(), &format!("{flags:?}"));
        assert!(err.contains(says), "{flags:?}: {err}");
        assert!(err.contains("--signing-config"), "{flags:?}: {err}");
        assert!(
            err.contains(&rig.root.display().to_string()),
            "{flags:?}: {err}"
        );
        assert_eq!(seen(), 0, "{flags:?}");
    }
    assert_eq!(rig.rekor.log.lock().unwrap().len(), 0);

    // Keyed: only the log is asked, and it is the public one.
    let prefix = rig.cosign_keys();
    let out = helm_prov(&rig.home)
        .arg("sign")
        .arg(&chart)
        .args(["--sigstore", "--key"])
        .arg(prefix.with_extension("key"))
        .args(["--tsa-url", &rig.tsa.url, "--trusted-root"])
        .arg(&rig.root)
        .env("COSIGN_PASSWORD", "pw")
        .output()
        .unwrap();
    let err = refused_line(&out, "keyed, the public log");
    assert!(
        err.contains("transparency log https://rekor.sigstore.dev"),
        "{err}"
    );
    assert_eq!(*rig.tsa.requests.lock().unwrap(), 0);

    // --oidc-issuer is about the token, which a key file has none of.
    let out = helm_prov(&rig.home)
        .arg("sign")
        .arg(&chart)
        .args(["--sigstore", "--key", "k.key", "--oidc-issuer", ISSUER])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    assert!(
        lossy(&out.stderr).contains("cannot be used with"),
        "{}",
        output_text(&out)
    );
}
