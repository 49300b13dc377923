//! Crafted provenance files, as a hostile repository could serve them:
//! `helm prov verify` against Helm 3.17.3 and 4.1.4 on the same input.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;

use crate::support::*;

fn prov_fixtures() -> PathBuf {
    fixtures().join("prov")
}

fn key(name: &str) -> PathBuf {
    prov_fixtures().join("keys").join(name)
}

/// The signature packets of a fixture's `.prov`, de-armored.
fn packets_of(dir: &str) -> Vec<u8> {
    let prov = fs::read(prov_fixtures().join(dir).join("demo-0.1.0.tgz.prov")).unwrap();
    wharf::provenance::decode_clearsigned(&prov)
        .unwrap()
        .signature
}

/// `helm4.1.4-rsa`'s chart in `dir/name/`, its `.prov` carrying `packets`
/// as the signature block; the chart's path.
fn rsa_chart_with(dir: &Path, name: &str, packets: &[u8]) -> PathBuf {
    let src = prov_fixtures().join("helm4.1.4-rsa");
    let prov = fs::read_to_string(src.join("demo-0.1.0.tgz.prov")).unwrap();
    let text = &prov[..prov.find("-----BEGIN PGP SIGNATURE-----").unwrap()];
    let b64 = base64::engine::general_purpose::STANDARD.encode(packets);
    let mut out = format!("{text}-----BEGIN PGP SIGNATURE-----\n\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap());
        out.push('\n');
    }
    out.push_str("-----END PGP SIGNATURE-----\n");
    let case = dir.join(name);
    fs::create_dir_all(&case).unwrap();
    let chart = case.join("demo-0.1.0.tgz");
    fs::copy(src.join("demo-0.1.0.tgz"), &chart).unwrap();
    fs::write(case.join("demo-0.1.0.tgz.prov"), out).unwrap();
    chart
}

/// A v4 signature packet of 31 bytes by a key in no keyring, as small as
/// go-crypto parses: a creation time, an unhashed issuer, a one-byte MPI.
const FOREIGN: [u8; 31] = [
    0xc2, 29, 4, 0x01, 1, 10, 0, 6, 5, 2, 0x60, 0, 0, 0, 0, 10, 9, 16, 1, 2, 3, 4, 5, 6, 7, 8,
    0xab, 0xcd, 0, 8, 0xff,
];

/// Many signature packets: the first by a known key decides, as in Helm, in
/// one pass; past 100 packets the file is refused at once with one line.
#[test]
fn many_signature_packets_are_linear_and_capped() {
    let home = HelmHome::new();
    let d = tempfile::tempdir().unwrap();
    let good = packets_of("helm4.1.4-rsa");
    let mut bad = good.clone();
    let last = bad.len() - 5;
    bad[last] ^= 1;
    let then_good = |filler: Vec<u8>| {
        let mut p = filler;
        p.extend_from_slice(&good);
        p
    };
    let ring = key("rsa.pub.gpg");
    // (case, packets, Helm 3 and 4 verify it, we verify it, our error)
    let cases: Vec<(&str, Vec<u8>, bool, bool, &str)> = vec![
        ("foreign-99", then_good(FOREIGN.repeat(99)), true, true, ""),
        ("good-100", good.repeat(100), true, true, ""),
        (
            "bad-99",
            then_good(bad.repeat(99)),
            false,
            false,
            "invalid signature",
        ),
        (
            "foreign-20000",
            then_good(FOREIGN.repeat(20_000)),
            true,
            false,
            "more than 100 packets",
        ),
        (
            "good-5000",
            good.repeat(5_000),
            true,
            false,
            "more than 100 packets",
        ),
        (
            "foreign-only-20000",
            FOREIGN.repeat(20_000),
            false,
            false,
            "more than 100 packets",
        ),
    ];
    for (name, packets, helm_verifies, we_verify, why) in cases {
        let chart = rsa_chart_with(d.path(), name, &packets);
        let args = [
            "verify",
            chart.to_str().unwrap(),
            "--keyring",
            ring.to_str().unwrap(),
        ];
        for helm in BOTH {
            assert_eq!(
                home.helm(helm, &args).status.success(),
                helm_verifies,
                "{name}: Helm {}",
                helm.version()
            );
        }
        let mut c = helm_prov(&home);
        c.args(args);
        let (out, took, _) = run_measured(c);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.success(), we_verify, "{name}: {err}");
        assert!(took < Duration::from_secs(2), "{name}: took {took:?}");
        if !we_verify {
            assert_eq!(err.lines().count(), 1, "{name}: {err}");
            assert!(
                err.contains(chart.to_str().unwrap()) && err.contains(why),
                "{name}: {err}"
            );
        }
    }
}
