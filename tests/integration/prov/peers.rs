//! `helm prov` against the real peers: what it signs verifies with Helm
//! 3.17.3, Helm 4.1.4 and gpg; what they sign verifies with it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::*;

fn prov_fixtures() -> PathBuf {
    fixtures().join("prov")
}

fn key(name: &str) -> PathBuf {
    prov_fixtures().join("keys").join(name)
}

/// A copy of the demo chart in a fresh folder.
fn demo(dir: &Path, name: &str) -> PathBuf {
    let p = dir.join(name);
    fs::copy(prov_fixtures().join("helm4.1.4-rsa/demo-0.1.0.tgz"), &p).unwrap();
    p
}

fn gpg_verify(pubkey: &Path, prov: &Path) -> bool {
    let home = tempfile::tempdir().unwrap();
    let gpg = |args: &[&str]| {
        Command::new("gpg")
            .env("GNUPGHOME", home.path())
            .args(["--batch", "--quiet"])
            .args(args)
            .output()
            .expect("gpg is needed for these tests (apt-get install gnupg; scripts/test.sh installs it)")
    };
    assert!(gpg(&["--import", pubkey.to_str().unwrap()])
        .status
        .success());
    gpg(&["--verify", prov.to_str().unwrap()]).status.success()
}

/// (secret ring, public ring, key selector, passphrase, Helm 3 can verify)
type SignCase = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    bool,
);

#[test]
fn signatures_verify_in_helm_3_helm_4_and_gpg() {
    let home = HelmHome::new();
    let d = tempfile::tempdir().unwrap();
    // (secret ring, public ring, key selector, passphrase, Helm 3 can verify)
    let cases: &[SignCase] = &[
        ("rsa.sec.gpg", "rsa.pub.gpg", None, None, true),
        (
            "ecdsa.sec.gpg",
            "ecdsa.pub.gpg",
            Some("1F882E4F36FEECE3B132D35CCAFD42F230DCC119"),
            None,
            true,
        ),
        (
            "rsapw.sec.gpg",
            "rsapw.pub.gpg",
            Some("rsapw@example.com"),
            Some("s3cret"),
            true,
        ),
        (
            "ed25519.sec.gpg",
            "ed25519.pub.gpg",
            Some("Ed25519"),
            None,
            false,
        ),
        (
            "edsub.sec.gpg",
            "edsub.pub.gpg",
            Some("5E6CB5632CEEA31C"),
            None,
            false,
        ),
        ("default.sec.gpg", "default.pub.gpg", None, None, true),
    ];
    for (sec, public, sel, pass, helm3) in cases {
        let chart = demo(d.path(), &format!("demo-{sec}.tgz"));
        let mut c = helm_prov(&home);
        c.args(["sign", "-q"])
            .arg(&chart)
            .arg("--keyring")
            .arg(key(sec));
        if let Some(s) = sel {
            c.args(["--key", s]);
        }
        let pw = d.path().join("pw");
        if let Some(p) = pass {
            fs::write(&pw, format!("{p}\nsecond line ignored\n")).unwrap();
            c.arg("--passphrase-file").arg(&pw);
        }
        let out = c.output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "sign with {sec}: {err}");
        // A warning exactly when Helm 3 cannot verify, naming Helm 4.
        if *helm3 {
            assert!(err.is_empty(), "sign with {sec}: {err}");
        } else {
            assert_eq!(err.lines().count(), 1, "sign with {sec}: {err}");
            assert!(
                err.starts_with("warning: key ")
                    && err.contains("public key type 22), which Helm 3 cannot read")
                    && err.contains("verifies with Helm 4, not with Helm 3"),
                "sign with {sec}: {err}"
            );
        }
        let prov = PathBuf::from(format!("{}.prov", chart.display()));
        let chart_s = chart.to_str().unwrap();
        let pubring = key(public);
        for helm in BOTH {
            let out = home.helm(
                helm,
                &["verify", chart_s, "--keyring", pubring.to_str().unwrap()],
            );
            let expected = helm == Helm::V4 || *helm3;
            assert_eq!(
                out.status.success(),
                expected,
                "Helm {} verify of {sec}: {}",
                helm.version(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert!(gpg_verify(&pubring, &prov), "gpg verify of {sec}");
        let ours = helm_prov(&home)
            .arg("verify")
            .arg(&chart)
            .arg("--keyring")
            .arg(&pubring)
            .output()
            .unwrap();
        assert!(
            ours.status.success(),
            "{}",
            String::from_utf8_lossy(&ours.stderr)
        );
    }
}

#[test]
fn wrong_passphrase_is_a_clear_error() {
    let home = HelmHome::new();
    let d = tempfile::tempdir().unwrap();
    let chart = demo(d.path(), "demo-0.1.0.tgz");
    let out = helm_prov(&home)
        .arg("sign")
        .arg(&chart)
        .arg("--keyring")
        .arg(key("rsapw.sec.gpg"))
        .args(["--passphrase-file", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(b"hunter2-nope\n")?;
            c.wait_with_output()
        })
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("wrong passphrase"), "{err}");
    assert!(!err.contains("hunter2-nope"), "passphrase leaked: {err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!PathBuf::from(format!("{}.prov", chart.display())).exists());
}

#[test]
fn verifies_what_helm_and_gpg_signed_and_rejects_tampering() {
    let home = HelmHome::new();
    let good = [
        ("helm3.17.3-rsa", "rsa.pub.gpg"),
        ("helm4.1.4-rsa", "rsa.pub.gpg"),
        ("helm4.1.4-ecdsa", "ecdsa.pub.gpg"),
        ("helm4.1.4-ed25519", "ed25519.pub.gpg"),
        ("gpg2.2-clearsign-rsa-sha512", "rsa.pub.gpg"),
        ("gpg2.2-clearsign-ed25519-signing-subkey", "edsub.pub.gpg"),
        ("negative/POSITIVE-crlf-prov", "rsa.pub.gpg"),
        ("negative/POSITIVE-trailing-whitespace-prov", "rsa.pub.gpg"),
    ];
    let verify_fixture = |dir: &str, ring: &str| {
        helm_prov(&home)
            .arg("verify")
            .arg(prov_fixtures().join(dir))
            .arg("--keyring")
            .arg(key(ring))
            .output()
            .unwrap()
    };
    for (dir, ring) in good {
        let out = verify_fixture(dir, ring);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{dir}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            text.contains("Chart Hash Verified: sha256:"),
            "{dir}: {text}"
        );
    }
    for (dir, ring, why) in [
        (
            "negative/tampered-tgz",
            "rsa.pub.gpg",
            "sha256 sum does not match",
        ),
        (
            "negative/renamed-tgz",
            "rsa.pub.gpg",
            "does not contain a SHA for a file named \"other.tgz\"",
        ),
        (
            "negative/tampered-prov-metadata",
            "rsa.pub.gpg",
            "invalid signature",
        ),
        ("helm4.1.4-edsub-UNVERIFIABLE", "edsub.pub.gpg", ""),
        ("helm4.1.4-rsa", "ecdsa.pub.gpg", "unknown entity"),
    ] {
        let out = verify_fixture(dir, ring);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{dir} verified");
        assert!(err.contains(why), "{dir}: {err}");
        assert_eq!(err.lines().count(), 1, "{dir}: {err}");
    }
}

#[test]
fn verifies_a_chart_from_a_repository_before_writing_it() {
    let home = HelmHome::new();
    let repo = tempfile::tempdir().unwrap();
    let chart = demo(repo.path(), "demo-0.1.0.tgz");
    ok({
        let mut c = helm_prov(&home);
        c.arg("sign")
            .arg(&chart)
            .arg("--keyring")
            .arg(key("rsa.sec.gpg"));
        c
    });
    ok({
        let mut c = idx(&home);
        c.arg("build").arg(repo.path());
        c
    });
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
    let run = |ring: &str| {
        helm_prov(&home)
            .env("HELM_DEBUG", "true")
            .args(["verify", "myrepo/demo", "--version", "0.1.0", "--keyring"])
            .arg(key(ring))
            .arg("--destination")
            .arg(dest.path())
            .output()
            .unwrap()
    };
    // The wrong key: nothing is written.
    let bad = run("ecdsa.pub.gpg");
    assert!(!bad.status.success());
    assert!(fs::read_dir(dest.path()).unwrap().next().is_none());
    // The right key: verified, then written.
    let good = run("rsa.pub.gpg");
    let err = String::from_utf8_lossy(&good.stderr);
    assert!(good.status.success(), "{err}");
    assert!(String::from_utf8_lossy(&good.stdout).contains("Chart Hash Verified: sha256:"));
    assert!(
        !err.contains("pa55-w0rd-x")
            && !String::from_utf8_lossy(&bad.stderr).contains("pa55-w0rd-x")
    );
    assert_eq!(
        fs::read(dest.path().join("demo-0.1.0.tgz")).unwrap(),
        fs::read(&chart).unwrap()
    );
    assert!(dest.path().join("demo-0.1.0.tgz.prov").is_file());
}

/// A throwaway GnuPG home whose gpg-agent is stopped on drop.
struct GnupgHome(tempfile::TempDir);

impl GnupgHome {
    fn with_secret_keys(keys: &[(&str, Option<&str>)]) -> GnupgHome {
        let d = tempfile::Builder::new()
            .prefix("gh")
            .tempdir_in("/tmp")
            .unwrap();
        let mut perms = fs::metadata(d.path()).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o700);
        fs::set_permissions(d.path(), perms).unwrap();
        let home = GnupgHome(d);
        for (k, pass) in keys {
            let mut c = Command::new("gpg");
            c.env("GNUPGHOME", home.0.path())
                .args(["--batch", "--quiet"]);
            if let Some(p) = pass {
                c.args(["--pinentry-mode", "loopback", "--passphrase", p]);
            }
            c.arg("--import").arg(key(k));
            ok(c);
        }
        home
    }
}

impl Drop for GnupgHome {
    fn drop(&mut self) {
        self.stop_agent();
    }
}

#[test]
fn signs_through_gpg_agent_without_an_exported_keyring() {
    let home = HelmHome::new();
    let gnupg = GnupgHome::with_secret_keys(&[
        ("rsa.sec.gpg", None),
        ("edsub.sec.gpg", None),
        ("rsapw.sec.gpg", Some("s3cret")),
    ]);
    let d = tempfile::tempdir().unwrap();
    let pw = d.path().join("pw");
    fs::write(&pw, "s3cret\n").unwrap();
    for (selector, public, pass, helms) in [
        ("rsa@example.com", "rsa.pub.gpg", false, &BOTH[..]),
        (
            "1970DFE7CDDC7DA3B5096F6AB4A501331924D819",
            "edsub.pub.gpg",
            false,
            &[Helm::V4][..],
        ),
        ("rsapw", "rsapw.pub.gpg", true, &BOTH[..]),
    ] {
        let chart = demo(d.path(), &format!("demo-{public}.tgz"));
        let mut c = helm_prov(&home);
        c.env("GNUPGHOME", gnupg.0.path())
            .arg("sign")
            .arg(&chart)
            .args(["--key", selector])
            .stdin(std::process::Stdio::null());
        if pass {
            c.arg("--passphrase-file").arg(&pw);
        }
        ok(c);
        for helm in helms {
            home.helm_ok(
                *helm,
                &[
                    "verify",
                    chart.to_str().unwrap(),
                    "--keyring",
                    key(public).to_str().unwrap(),
                ],
            );
        }
    }
}

impl GnupgHome {
    fn path(&self) -> &Path {
        self.0.path()
    }

    fn stop_agent(&self) {
        let _ = Command::new("gpgconf")
            .env("GNUPGHOME", self.path())
            .args(["--kill", "gpg-agent"])
            .output();
    }

    /// Makes the agent's pinentry a script that logs what the agent tells
    /// it and answers GETPIN with `pin`, or cancels when `pin` is None.
    fn fake_pinentry(&self, pin: Option<&str>) -> PathBuf {
        let log = self.path().join("pinentry.log");
        let script = self.path().join("pinentry.sh");
        let getpin = match pin {
            Some(p) => format!("echo 'D {p}'; echo OK"),
            None => "echo 'ERR 83886179 Operation cancelled <Pinentry>'".to_string(),
        };
        fs::write(
            &script,
            format!(
                "#!/bin/sh\n\
                 echo 'OK fake pinentry'\n\
                 while IFS= read -r line; do\n\
                 \x20 printf '%s\\n' \"$line\" >> '{}'\n\
                 \x20 case \"$line\" in\n\
                 \x20   GETPIN*) {getpin};;\n\
                 \x20   BYE*) echo OK; exit 0;;\n\
                 \x20   *) echo OK;;\n\
                 \x20 esac\n\
                 done\n",
                log.display()
            ),
        )
        .unwrap();
        let mut perms = fs::metadata(&script).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        fs::set_permissions(&script, perms).unwrap();
        fs::write(
            self.path().join("gpg-agent.conf"),
            format!("pinentry-program {}\n", script.display()),
        )
        .unwrap();
        self.stop_agent();
        log
    }
}

/// `helm prov sign` with the secret in the agent of `gnupg`; its output.
fn agent_sign(
    home: &HelmHome,
    gnupg: &GnupgHome,
    chart: &Path,
    selector: &str,
    passphrase: Option<&str>,
) -> std::process::Output {
    let mut c = helm_prov(home);
    c.env("GNUPGHOME", gnupg.path())
        .env("HELM_DEBUG", "true")
        .env("GPG_TTY", "/dev/pts/77")
        .env_remove("DISPLAY")
        .arg("sign")
        .arg(chart)
        .args(["--key", selector])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    if passphrase.is_some() {
        c.args(["--passphrase-file", "-"]);
    }
    c.spawn()
        .and_then(|mut child| {
            use std::io::Write;
            let mut stdin = child.stdin.take().unwrap();
            if let Some(p) = passphrase {
                stdin.write_all(format!("{p}\n").as_bytes())?;
            }
            drop(stdin);
            child.wait_with_output()
        })
        .unwrap()
}

/// The error line of a failed run whose stderr also carries HELM_DEBUG's
/// protocol log.
fn error_line(out: &std::process::Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = err.lines().filter(|l| !l.starts_with("[debug]")).collect();
    assert_eq!(errors.len(), 1, "{err}");
    errors[0].to_string()
}

#[test]
fn agent_failures_are_one_clear_line() {
    let home = HelmHome::new();
    let gnupg = GnupgHome::with_secret_keys(&[("rsapw.sec.gpg", Some("s3cret"))]);
    // A public key the agent has no secret for.
    ok({
        let mut c = Command::new("gpg");
        c.env("GNUPGHOME", gnupg.path())
            .args(["--batch", "--quiet", "--import"])
            .arg(key("ed25519.pub.gpg"));
        c
    });
    let d = tempfile::tempdir().unwrap();
    let chart = demo(d.path(), "demo-0.1.0.tgz");
    let prov = PathBuf::from(format!("{}.prov", chart.display()));

    // A wrong passphrase, with the agent stopped first: it is started, asked,
    // and the passphrase shows up nowhere, the debug log included.
    gnupg.stop_agent();
    let out = agent_sign(&home, &gnupg, &chart, "rsapw", Some("hunter2-nope"));
    assert!(!out.status.success());
    let line = error_line(&out);
    assert!(
        line.contains("wrong passphrase for key 45585922C07372B30CD480067CCF44FD445A794D"),
        "{line}"
    );
    let all = String::from_utf8_lossy(&out.stderr);
    assert!(!all.contains("hunter2-nope"), "passphrase leaked: {all}");
    assert!(all.contains("D [passphrase withheld]"), "{all}");
    assert!(!prov.exists());

    let out = agent_sign(&home, &gnupg, &chart, "ed25519", None);
    let line = error_line(&out);
    assert!(
        line.contains("no secret key for 628781AF57955C3B85BADABED8A67297ED082F83"),
        "{line}"
    );

    // The agent's pinentry, cancelled.
    gnupg.fake_pinentry(None);
    let out = agent_sign(&home, &gnupg, &chart, "rsapw", None);
    let line = error_line(&out);
    assert!(line.contains("was cancelled"), "{line}");
    assert!(!prov.exists());

    // No agent to be had: gpgconf cannot be run, and nothing listens.
    gnupg.stop_agent();
    let mut c = helm_prov(&home);
    let out = c
        .env("GNUPGHOME", gnupg.path())
        .env("PATH", "/nonexistent")
        .arg("sign")
        .arg(&chart)
        .args(["--key", "rsapw"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let line = error_line(&out);
    assert!(
        line.contains(&format!(
            "cannot reach gpg-agent at {}",
            gnupg.path().join("S.gpg-agent").display()
        )) && line.contains("gpgconf --launch gpg-agent failed"),
        "{line}"
    );
}

/// Without a passphrase file the agent asks through its own pinentry, which
/// is told the user's terminal and gpg's text naming the key.
#[test]
fn the_agents_pinentry_asks_for_the_passphrase() {
    let home = HelmHome::new();
    let gnupg = GnupgHome::with_secret_keys(&[("rsapw.sec.gpg", Some("s3cret"))]);
    let log = gnupg.fake_pinentry(Some("s3cret"));
    let d = tempfile::tempdir().unwrap();
    let chart = demo(d.path(), "demo-0.1.0.tgz");
    let out = agent_sign(&home, &gnupg, &chart, "rsapw", None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = fs::read_to_string(&log).unwrap();
    assert!(said.contains("OPTION ttyname=/dev/pts/77"), "{said}");
    assert!(
        said.contains(
            "SETDESC Please enter the passphrase to unlock the OpenPGP secret key:%0A\
             %22Helm RSA PW Test <rsapw@example.com>%22%0A2048-bit RSA key, ID 7CCF44FD445A794D,%0A"
        ),
        "{said}"
    );
    home.helm_ok(
        Helm::V3,
        &[
            "verify",
            chart.to_str().unwrap(),
            "--keyring",
            key("rsapw.pub.gpg").to_str().unwrap(),
        ],
    );
}

/// The text Helm signs for the demo chart (from a Helm 4 provenance file).
fn demo_body() -> Vec<u8> {
    let prov = fs::read(prov_fixtures().join("helm4.1.4-rsa/demo-0.1.0.tgz.prov")).unwrap();
    let text = String::from_utf8(prov).unwrap();
    let start = text.find("\n\n").unwrap() + 2;
    let end = text.find("-----BEGIN PGP SIGNATURE-----").unwrap();
    text[start..end]
        .trim_end_matches('\n')
        .to_string()
        .into_bytes()
}

#[test]
fn policy_expired_revoked_and_weak_keys() {
    let home = HelmHome::new();
    let gnupg = GnupgHome::with_secret_keys(&[("rsa.sec.gpg", None)]);
    let gpg = |args: &[&str]| {
        let mut c = Command::new("gpg");
        c.env("GNUPGHOME", gnupg.0.path())
            .args([
                "--batch",
                "--quiet",
                "--passphrase",
                "",
                "--pinentry-mode",
                "loopback",
            ])
            .args(args);
        ok(c)
    };
    gpg(&[
        "--faked-system-time",
        "20200101T000000",
        "--quick-gen-key",
        "Expired <exp@example.com>",
        "rsa3072",
        "sign",
        "30d",
    ]);
    gpg(&[
        "--quick-gen-key",
        "Weak <weak@example.com>",
        "rsa1024",
        "sign",
        "never",
    ]);
    gpg(&[
        "--quick-gen-key",
        "Revoked <rev@example.com>",
        "ed25519",
        "sign",
        "never",
    ]);
    let d = tempfile::tempdir().unwrap();
    fs::write(d.path().join("body"), {
        let mut b = demo_body();
        b.push(b'\n');
        b
    })
    .unwrap();
    let body = d.path().join("body");
    // (case, signer, extra gpg options)
    let sign = |case: &str, who: &str, extra: &[&str]| -> PathBuf {
        let chart = demo(d.path(), "demo-0.1.0.tgz");
        let case_dir = d.path().join(case);
        fs::create_dir_all(&case_dir).unwrap();
        let target = case_dir.join("demo-0.1.0.tgz");
        fs::rename(&chart, &target).unwrap();
        let prov = case_dir.join("demo-0.1.0.tgz.prov");
        let mut args: Vec<&str> = extra.to_vec();
        let prov_s = prov.to_str().unwrap().to_string();
        args.extend([
            "--clearsign",
            "-u",
            who,
            "-o",
            &prov_s,
            body.to_str().unwrap(),
        ]);
        gpg(&args);
        let pubring = case_dir.join("pub.gpg");
        let pub_s = pubring.to_str().unwrap().to_string();
        gpg(&["--export", "-o", &pub_s, who]);
        case_dir
    };
    let verify = |dir: &Path, extra: &[&str]| {
        helm_prov(&home)
            .arg("verify")
            .arg(dir.join("demo-0.1.0.tgz"))
            .arg("--keyring")
            .arg(dir.join("pub.gpg"))
            .args(extra)
            .output()
            .unwrap()
    };

    // Signed while valid, expired since: verifies, with a warning.
    let dir = sign(
        "expired",
        "exp@example.com",
        &[
            "--faked-system-time",
            "20200105T000000",
            "--digest-algo",
            "SHA512",
        ],
    );
    let out = verify(&dir, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("expired on 2020-01-31"), "{err}");

    // RSA under 2048 bits, and SHA-1: refused unless --allow-weak.
    let weak = sign("weak", "weak@example.com", &["--digest-algo", "SHA512"]);
    let sha1 = sign("sha1", "rsa@example.com", &["--digest-algo", "SHA1"]);
    for dir in [&weak, &sha1] {
        let out = verify(dir, &[]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{} verified", dir.display());
        assert!(err.contains("--allow-weak"), "{err}");
        let out = verify(dir, &["--allow-weak"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // Revoked: refused.
    let dir = sign("revoked", "rev@example.com", &["--digest-algo", "SHA512"]);
    let revs = gnupg.0.path().join("openpgp-revocs.d");
    let rev = fs::read_dir(&revs)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            let fpr = p.file_stem().unwrap().to_string_lossy().to_string();
            String::from_utf8(
                Command::new("gpg")
                    .env("GNUPGHOME", gnupg.0.path())
                    .args(["--with-colons", "-k", "rev@example.com"])
                    .output()
                    .unwrap()
                    .stdout,
            )
            .unwrap()
            .contains(&fpr)
        })
        .unwrap();
    let cert = fs::read_to_string(&rev)
        .unwrap()
        .replace(":-----BEGIN", "-----BEGIN");
    let rev_clean = d.path().join("rev.asc");
    fs::write(&rev_clean, cert).unwrap();
    gpg(&["--import", rev_clean.to_str().unwrap()]);
    let pub_s = dir.join("pub.gpg").to_str().unwrap().to_string();
    fs::remove_file(&pub_s).unwrap();
    gpg(&["--export", "-o", &pub_s, "rev@example.com"]);
    let out = verify(&dir, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "revoked key verified");
    assert!(err.contains("revoked"), "{err}");
}

#[test]
fn asks_for_the_passphrase_on_the_terminal() {
    let home = HelmHome::new();
    let d = tempfile::tempdir().unwrap();
    let chart = demo(d.path(), "demo-0.1.0.tgz");
    // A pseudo-terminal from Python's pty module: wait for Helm's prompt,
    // type the passphrase, pass on the exit status.
    let script = r#"
import os, pty, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = b""
while b"Password for key" not in out:
    out += os.read(fd, 1024)
# Type as a person would, after the prompt: echo is switched off just after
# the prompt is written, and the terminal echoes what arrives before that.
time.sleep(0.5)
os.write(fd, b"s3cret\n")
while True:
    try:
        chunk = os.read(fd, 1024)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
"#;
    let out = home
        .command("python3")
        .args(["-c", script, env!("CARGO_BIN_EXE_helm-prov"), "sign"])
        .arg(&chart)
        .arg("--keyring")
        .arg(key("rsapw.sec.gpg"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("Password for key \"Helm RSA PW Test <rsapw@example.com>\""),
        "{text}"
    );
    assert!(
        !text.contains("s3cret"),
        "the passphrase was echoed: {text}"
    );
    home.helm_ok(
        Helm::V3,
        &[
            "verify",
            chart.to_str().unwrap(),
            "--keyring",
            key("rsapw.pub.gpg").to_str().unwrap(),
        ],
    );
}

/// `sign DIR` signs every archive of the folder, as `verify DIR` verifies
/// them: what it writes verifies with Helm 3 and 4; a broken archive is one
/// error line and does not stop the others; a folder without archives is
/// named as such.
#[test]
fn signs_every_archive_of_a_folder() {
    let home = HelmHome::new();
    let d = tempfile::tempdir().unwrap();
    let dist = d.path().join("dist");
    fs::create_dir_all(dist.join("unpacked")).unwrap();
    fs::write(
        dist.join("unpacked/Chart.yaml"),
        "name: x\nversion: 1.0.0\n",
    )
    .unwrap();
    let charts = [demo(&dist, "a-0.1.0.tgz"), demo(&dist, "b-0.1.0.TGZ")];
    fs::write(dist.join("broken.tgz"), "not gzip").unwrap();
    fs::write(dist.join("notes.txt"), "not a chart").unwrap();
    let sign = |targets: &[&Path], json: bool| {
        let mut c = helm_prov(&home);
        c.arg("sign")
            .args(targets)
            .arg("--keyring")
            .arg(key("rsa.sec.gpg"));
        if json {
            c.args(["-o", "json"]);
        }
        c.output().unwrap()
    };
    let out = sign(&[&dist], false);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert_eq!(
        err.trim_end(),
        format!(
            "Error: {}: does not appear to be a gzipped archive",
            dist.join("broken.tgz").display()
        )
    );
    assert!(out.stdout.is_empty());
    for chart in &charts {
        for helm in BOTH {
            home.helm_ok(
                helm,
                &[
                    "verify",
                    chart.to_str().unwrap(),
                    "--keyring",
                    key("rsa.pub.gpg").to_str().unwrap(),
                ],
            );
        }
    }
    assert!(!dist.join("notes.txt.prov").exists());
    // The same folder, verified: the two signed archives verify.
    let out = helm_prov(&home)
        .arg("verify")
        .arg(&dist)
        .arg("--keyring")
        .arg(key("rsa.pub.gpg"))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout)
            .matches("Chart Hash Verified")
            .count(),
        2
    );
    // JSON: one entry per archive.
    fs::remove_file(dist.join("broken.tgz")).unwrap();
    let out = sign(&[&dist], true);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let signed: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert_eq!(r["signed"], true, "{r}");
            r["prov"].as_str().unwrap()
        })
        .collect();
    assert_eq!(
        signed,
        charts
            .iter()
            .map(|c| format!("{}.prov", c.display()))
            .collect::<Vec<_>>()
    );
    // Folders without archives, and paths that do not exist.
    let empty = d.path().join("empty");
    fs::create_dir_all(&empty).unwrap();
    let unpacked = dist.join("unpacked");
    let missing = d.path().join("missing.tgz");
    for (target, why) in [
        (&unpacked, "unpacked charts cannot be signed"),
        (&empty, "no chart archives (.tgz) in this folder"),
        (&missing, "no such file or folder"),
    ] {
        let out = sign(&[target], false);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with(&format!("Error: {}: {why}", target.display())),
            "{err}"
        );
    }
}

/// A path that does not exist is said not to exist, in plain words, for
/// archives, names without `.tgz`, deeper paths and a missing `.prov`;
/// Helm fails on each of them too.
#[test]
fn missing_paths_are_named_as_missing() {
    let home = HelmHome::new();
    let d = tempfile::tempdir().unwrap();
    let lone = demo(d.path(), "demo-0.1.0.tgz");
    let ring = key("rsa.pub.gpg");
    let cases = [
        (
            d.path().join("missing.tgz"),
            "no such file or folder".to_string(),
        ),
        (
            d.path().join("missing"),
            "no such file or folder".to_string(),
        ),
        (d.path().join("x/y/z"), "no such file or folder".to_string()),
        (
            lone.clone(),
            format!(
                "could not load provenance file {}.prov: no such file or folder",
                lone.display()
            ),
        ),
    ];
    for (target, why) in cases {
        let t = target.to_str().unwrap();
        for helm in BOTH {
            let out = home.helm(helm, &["verify", t, "--keyring", ring.to_str().unwrap()]);
            assert!(
                !out.status.success(),
                "Helm {} verified {t}",
                helm.version()
            );
        }
        let out = helm_prov(&home)
            .args(["verify", t, "--keyring", ring.to_str().unwrap()])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert_eq!(err.trim_end(), format!("Error: {t}: {why}"));
    }
    let out = helm_prov(&home)
        .args(["verify", lone.to_str().unwrap(), "--keyring"])
        .arg(d.path().join("nokeyring"))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim_end(),
        format!(
            "Error: cannot read keyring {}: no such file or folder",
            d.path().join("nokeyring").display()
        )
    );
}

/// An RSA key with a Curve25519 encryption subkey (gpg 2.4's default
/// layout for new subkeys): Helm 3 refuses the whole certificate, so signing
/// with it warns, naming the subkey, though the signature is RSA.
#[test]
fn warns_when_a_subkey_keeps_helm_3_from_verifying() {
    let home = HelmHome::new();
    let gnupg = GnupgHome::with_secret_keys(&[]);
    let gpg = |args: &[&str]| {
        let mut c = Command::new("gpg");
        c.env("GNUPGHOME", gnupg.path())
            .args([
                "--batch",
                "--quiet",
                "--passphrase",
                "",
                "--pinentry-mode",
                "loopback",
            ])
            .args(args);
        ok(c)
    };
    gpg(&[
        "--quick-gen-key",
        "Mixed <mixed@example.com>",
        "rsa3072",
        "sign",
        "never",
    ]);
    let colons = gpg(&["--with-colons", "-k", "mixed@example.com"]);
    let fpr = colons
        .lines()
        .find_map(|l| l.strip_prefix("fpr:::::::::"))
        .unwrap()
        .trim_end_matches(':')
        .to_string();
    gpg(&["--quick-add-key", &fpr, "cv25519", "encr", "never"]);
    let d = tempfile::tempdir().unwrap();
    let ring = d.path().join("mixed.pub.gpg");
    gpg(&[
        "--export",
        "-o",
        ring.to_str().unwrap(),
        "mixed@example.com",
    ]);
    let chart = demo(d.path(), "demo-0.1.0.tgz");
    let out = helm_prov(&home)
        .env("GNUPGHOME", gnupg.path())
        .args(["sign", "-q"])
        .arg(&chart)
        .args(["--key", "mixed@example.com"])
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("warning: subkey ")
            && err.contains(&format!(
                "of key {fpr} is ECDH on Curve25519 (public key type 18)"
            ))
            && err.contains("verifies with Helm 4, not with Helm 3"),
        "{err}"
    );
    let verify = |helm| {
        home.helm(
            helm,
            &[
                "verify",
                chart.to_str().unwrap(),
                "--keyring",
                ring.to_str().unwrap(),
            ],
        )
    };
    let h3 = verify(Helm::V3);
    assert!(!h3.status.success());
    assert!(
        String::from_utf8_lossy(&h3.stderr).contains("unsupported feature"),
        "{}",
        output_text(&h3)
    );
    assert!(verify(Helm::V4).status.success());
}
