//! Crafted provenance files, as a hostile repository could serve them:
//! `helm prov verify` against Helm 3.17.3 and 4.1.4 on the same input.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
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

/// The offsets of a keybox's records.
fn record_starts(kbx: &[u8]) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut at = 0;
    while at < kbx.len() {
        starts.push(at);
        at += u32::from_be_bytes(kbx[at..at + 4].try_into().unwrap()) as usize;
    }
    starts
}

/// A keybox damaged the way an interrupted copy or a hostile file leaves
/// it: one line naming the file, the record's offset and the damage,
/// quickly and in bounded memory, whether named with `--keyring` or found
/// as the only keyring of the GnuPG home, for `verify` and `sign` alike.
#[test]
fn a_damaged_keybox_is_one_clear_error() {
    let home = HelmHome::new();
    let kbx = fs::read(key("pubring.kbx")).unwrap();
    let starts = record_starts(&kbx);
    let (second, third, last) = (starts[1], starts[2], *starts.last().unwrap());
    let with = |edit: &dyn Fn(&mut Vec<u8>)| {
        let mut d = kbx.clone();
        edit(&mut d);
        d
    };
    let set_u32 = |d: &mut Vec<u8>, at: usize, v: u32| {
        d[at..at + 4].copy_from_slice(&v.to_be_bytes());
    };
    // (damage, keybox, offset named, reason)
    let cases: Vec<(&str, Vec<u8>, usize, &str)> = vec![
        (
            "4 KiB of zeros appended",
            with(&|d| d.extend([0u8; 4096])),
            kbx.len(),
            "record length 0 is below the minimum of 5",
        ),
        (
            "three stray bytes appended",
            with(&|d| d.extend([0u8, 0, 1])),
            kbx.len(),
            "3 trailing bytes are too few for a record header",
        ),
        (
            "keyblock length past the record's end",
            with(&|d| set_u32(d, second + 12, 0x7fff_ffff)),
            second,
            "outside the record",
        ),
        (
            "keyblock offset past the record's end",
            with(&|d| set_u32(d, second + 8, u32::MAX)),
            second,
            "outside the record",
        ),
        (
            "record length of 4 GiB",
            with(&|d| set_u32(d, third, u32::MAX)),
            third,
            "exceeds the limit of 5242880 bytes",
        ),
        (
            "record length past the end of the file",
            with(&|d| {
                let past = (d.len() - third + 1) as u32;
                set_u32(d, third, past)
            }),
            third,
            "runs past the end of the file",
        ),
        (
            "last record truncated",
            with(&|d| d.truncate(d.len() - 10)),
            last,
            "runs past the end of the file",
        ),
        (
            "a record's checksum broken",
            with(&|d| d[second + 100] ^= 1),
            second,
            "checksum mismatch",
        ),
    ];
    let chart = prov_fixtures().join("helm4.1.4-rsa/demo-0.1.0.tgz");
    for (what, data, offset, why) in cases {
        let gnupg = tempfile::tempdir().unwrap();
        let ring = gnupg.path().join("pubring.kbx");
        fs::write(&ring, &data).unwrap();
        let head = format!(
            "Error: keyring {}: damaged keybox record at offset {offset}: ",
            ring.display()
        );
        let runs: [(&str, Command); 3] = [
            ("verify --keyring", {
                let mut c = helm_prov(&home);
                c.arg("verify").arg(&chart).arg("--keyring").arg(&ring);
                c
            }),
            ("verify with the GnuPG home", {
                let mut c = helm_prov(&home);
                c.env("GNUPGHOME", gnupg.path()).arg("verify").arg(&chart);
                c
            }),
            ("sign with the GnuPG home", {
                let mut c = helm_prov(&home);
                c.env("GNUPGHOME", gnupg.path())
                    .arg("sign")
                    .arg(&chart)
                    .stdin(std::process::Stdio::null());
                c
            }),
        ];
        for (how, c) in runs {
            let (out, took, peak_kib) = run_measured(c);
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(!out.status.success(), "{what}, {how}: succeeded");
            assert!(
                took < Duration::from_secs(5),
                "{what}, {how}: took {took:?}"
            );
            assert!(peak_kib < 200 * 1024, "{what}, {how}: {peak_kib} KiB");
            assert_eq!(err.lines().count(), 1, "{what}, {how}: {err}");
            assert!(
                err.starts_with(&head) && err.contains(why),
                "{what}, {how}: {err}"
            );
        }
    }
}

#[test]
fn signing_ends_with_one_summary_line_that_quiet_silences() {
    let home = HelmHome::new();
    let d = tempfile::tempdir().unwrap();
    write_chart(
        d.path(),
        "q-1.0.0.tgz",
        "apiVersion: v2\nname: q\nversion: 1.0.0\n",
    );
    let sign = |extra: &[&str]| {
        let mut c = helm_prov(&home);
        c.arg("sign")
            .arg(d.path())
            .arg("--keyring")
            .arg(fixtures().join("prov/keys/rsa.sec.gpg"))
            .args(["--key", "rsa@example.com"])
            .args(extra);
        let o = c.output().unwrap();
        assert!(o.status.success(), "{}", output_text(&o));
        o
    };
    assert_eq!(lossy(&sign(&[]).stderr).trim(), "Signed 1 chart(s)");
    assert_eq!(output_text(&sign(&["-q"])), "");
}
