//! A release as users get it: `scripts/release.sh` run on this checkout's
//! release binaries, signed with a throwaway key; the pack tarball installed
//! by the real Helm 3.17.3 and 4.1.4 from a loopback URL and (Helm 4) from
//! the real registry; and every path of `install-binary.sh`: downloads with
//! curl or wget, through a proxy, a wrong checksum or signature, a missing
//! asset, no network, no downloader, an unknown platform, offline archives,
//! and `helm plugin update` of a git install.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use crate::support::registry::{free_port, Registry, RegistryOptions};
use crate::support::*;

/// The fixture key the test release is signed with.
const KEY: &str = "rsa@example.com";

struct Release {
    dist: PathBuf,
    version: String,
    platform: String,
}

impl Release {
    fn archive(&self) -> String {
        format!("helm-wharf_{}_{}.tar.gz", self.version, self.platform)
    }
    fn pack(&self) -> PathBuf {
        self.dist.join(format!("helm-wharf-{}.tgz", self.version))
    }
}

fn keys() -> PathBuf {
    fixtures().join("prov/keys")
}

fn platform() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        a => a,
    };
    format!("{}_{arch}", std::env::consts::OS)
}

fn version() -> String {
    fs::read_to_string(root().join("plugin.yaml"))
        .unwrap()
        .lines()
        .find_map(|l| {
            l.strip_prefix("version: ")
                .map(|v| v.trim_matches('"').to_string())
        })
        .unwrap()
}

/// A GnuPG home holding the fixture's secret key, as a release signer's.
fn signer_home() -> PathBuf {
    let home = tempfile::tempdir().unwrap().keep();
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(&home, fs::Permissions::from_mode(0o700)).unwrap();
    let mut c = Command::new("gpg");
    c.args(["--batch", "--quiet", "--import"])
        .arg(keys().join("rsa.sec.gpg"))
        .env("GNUPGHOME", &home);
    ok(c);
    home
}

/// `scripts/release.sh --no-build --key` into a folder of its own, once for
/// the whole test run, with a Sigstore bundle made with a cosign key.
fn release() -> &'static Release {
    static RELEASE: OnceLock<Release> = OnceLock::new();
    RELEASE.get_or_init(|| {
        assert!(
            root().join("target/release/helm-prov").is_file(),
            "build the release binaries first (cargo build --release, as scripts/test.sh does)"
        );
        let dist = tempfile::tempdir().unwrap().keep().join("dist");
        let gnupg = signer_home();
        let cosign = tempfile::tempdir().unwrap().keep().join("cosign");
        let mut c = Command::new(root().join("target/release/helm-prov"));
        c.args(["keygen", "--sigstore", "--output-key-prefix"])
            .arg(&cosign)
            .env("COSIGN_PASSWORD", "pw");
        ok(c);
        let mut c = Command::new("bash");
        c.arg(root().join("scripts/release.sh"))
            .args(["--no-build", "--key", KEY, "--dist"])
            .arg(&dist)
            .arg("--sigstore-key")
            .arg(cosign.with_extension("key"))
            .args(["--sigstore-arg", "--tlog-upload=false"])
            .env("GNUPGHOME", &gnupg)
            .env("COSIGN_PASSWORD", "pw")
            .env_remove("HELM_DEBUG");
        ok(c);
        fs::copy(cosign.with_extension("pub"), dist.join("../cosign.pub")).unwrap();
        Release {
            dist,
            version: version(),
            platform: platform(),
        }
    })
}

#[test]
fn the_release_script_writes_signed_artifacts_that_check() {
    let r = release();
    let mut names: Vec<String> = fs::read_dir(&r.dist)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    let pack = format!("helm-wharf-{}.tgz", r.version);
    assert_eq!(
        names,
        [
            "SHA256SUMS".to_string(),
            "SHA256SUMS.asc".into(),
            "SHA256SUMS.sigstore.json".into(),
            pack.clone(),
            format!("{pack}.prov"),
            r.archive(),
        ]
    );
    // SHA256SUMS lists every artifact, and sha256sum agrees.
    let sums = fs::read_to_string(r.dist.join("SHA256SUMS")).unwrap();
    for n in [&pack, &format!("{pack}.prov"), &r.archive()] {
        assert!(sums.contains(&format!("  {n}\n")), "{n} not in:\n{sums}");
    }
    let mut c = Command::new("sha256sum");
    c.args(["-c", "SHA256SUMS"]).current_dir(&r.dist);
    ok(c);
    // gpg verifies the detached signature with the public key only.
    let home = tempfile::tempdir().unwrap();
    let mut c = Command::new("gpg");
    c.args(["--batch", "--quiet", "--no-default-keyring", "--keyring"])
        .arg(keys().join("rsa.pub.gpg"))
        .arg("--verify")
        .arg(r.dist.join("SHA256SUMS.asc"))
        .arg(r.dist.join("SHA256SUMS"))
        .env("GNUPGHOME", home.path());
    ok(c);
    // The Sigstore bundle verifies against the cosign key.
    let mut c = Command::new(root().join("target/release/helm-prov"));
    c.arg("verify")
        .arg(r.dist.join("SHA256SUMS"))
        .arg("--bundle")
        .arg(r.dist.join("SHA256SUMS.sigstore.json"))
        .arg("--key")
        .arg(r.dist.join("../cosign.pub"))
        .arg("--insecure-ignore-tlog");
    ok(c);
    // The host archive holds the binaries built, flat.
    let listing = ok({
        let mut c = Command::new("tar");
        c.arg("-tzf").arg(r.dist.join(r.archive()));
        c
    });
    for n in ["idx", "ocipush", "prov", "sync"] {
        assert!(listing.contains(&format!("helm-{n}\n")), "{listing}");
    }
    // The pack: plugin.yaml first (Helm 4 takes the first one as the
    // plugin's), every manifest, the platform's binaries, no symlinks.
    let listing = ok({
        let mut c = Command::new("tar");
        c.arg("-tvzf").arg(r.pack());
        c
    });
    let first = listing.lines().next().unwrap();
    assert!(first.ends_with(" plugin.yaml"), "{listing}");
    assert!(!listing.lines().any(|l| l.starts_with('l')), "{listing}");
    for f in [
        "install-binary.sh".to_string(),
        "keys/release.asc".into(),
        "plugins/idx/completion.yaml".into(),
        "plugins/idx/plugin.complete".into(),
        "plugins/sync-getter/plugin.yaml".into(),
        format!("release/{}/helm-prov", r.platform),
    ] {
        assert!(
            listing.contains(&format!(" {f}\n")),
            "{f} not in:\n{listing}"
        );
    }
}

#[test]
fn helm_3_and_4_verify_the_pack_provenance() {
    let r = release();
    let ring = keys().join("rsa.pub.gpg");
    let home = HelmHome::new();
    let out = home.helm_ok(
        Helm::V4,
        &[
            "plugin",
            "verify",
            r.pack().to_str().unwrap(),
            "--keyring",
            ring.to_str().unwrap(),
        ],
    );
    assert!(out.contains("Plugin Hash Verified: sha256:"), "{out}");
    let out = home.helm_ok(
        Helm::V3,
        &[
            "verify",
            r.pack().to_str().unwrap(),
            "--keyring",
            ring.to_str().unwrap(),
        ],
    );
    assert!(
        out.contains("Signed by: Helm RSA Test <rsa@example.com>"),
        "{out}"
    );
}

/// Runs `helm idx --help` through Helm: the pack installed, its binary runs.
fn runs_idx(home: &HelmHome, helm: Helm) {
    let out = home.helm_ok(helm, &["idx", "--help"]);
    assert!(out.contains("build"), "{out}");
}

#[test]
fn helm_installs_the_pack_from_a_url_and_helm_4_refuses_a_tampered_one() {
    let r = release();
    let ring = keys().join("rsa.pub.gpg");
    let server = FileServer::start(&r.dist, None);
    let url = format!("{}/helm-wharf-{}.tgz", server.url, r.version);

    // Helm 4 verifies by default: no --verify=false.
    let home = HelmHome::new();
    let out = home.helm_ok(
        Helm::V4,
        &[
            "plugin",
            "install",
            &url,
            "--keyring",
            ring.to_str().unwrap(),
        ],
    );
    assert!(out.contains("Installed plugin: wharf"), "{out}");
    runs_idx(&home, Helm::V4);
    let list = home.helm_ok(Helm::V4, &["plugin", "list"]);
    assert!(
        list.contains("ocipush") && list.contains("sync-getter"),
        "{list}"
    );

    // Helm 3 installs the same tarball (it does not verify plugins).
    let home3 = HelmHome::new();
    let out = home3.helm_ok(Helm::V3, &["plugin", "install", &url]);
    assert!(out.contains("Installed plugin: wharf"), "{out}");
    runs_idx(&home3, Helm::V3);

    // A tarball changed after signing, served with its original .prov.
    let bad = tempfile::tempdir().unwrap();
    let name = format!("helm-wharf-{}.tgz", r.version);
    let mut bytes = fs::read(r.pack()).unwrap();
    bytes.extend_from_slice(b"tampered");
    fs::write(bad.path().join(&name), bytes).unwrap();
    fs::copy(
        r.dist.join(format!("{name}.prov")),
        bad.path().join(format!("{name}.prov")),
    )
    .unwrap();
    let evil = FileServer::start(bad.path(), None);
    let home = HelmHome::new();
    let out = home.helm(
        Helm::V4,
        &[
            "plugin",
            "install",
            &format!("{}/{name}", evil.url),
            "--keyring",
            ring.to_str().unwrap(),
        ],
    );
    assert!(!out.status.success(), "{}", output_text(&out));
    assert!(
        output_text(&out).contains("sha256 sum does not match"),
        "{}",
        output_text(&out)
    );
    let list = home.helm_ok(Helm::V4, &["plugin", "list"]);
    assert!(!list.contains("wharf"), "{list}");
    // Signed by a key the user does not trust: refused too.
    let out = home.helm(
        Helm::V4,
        &[
            "plugin",
            "install",
            &url,
            "--keyring",
            keys().join("ed25519.pub.gpg").to_str().unwrap(),
        ],
    );
    assert!(!out.status.success(), "{}", output_text(&out));
}

#[test]
fn helm_4_installs_the_pack_from_an_oci_registry() {
    let r = release();
    let reg = Registry::start(RegistryOptions::default());
    let home = HelmHome::new();
    let mut c = ocipush(&home);
    c.arg("plugin")
        .arg(r.pack())
        .arg(format!("oci://{}/plugins", reg.host))
        .arg("--plain-http");
    let out = ok(c);
    let _ = out;
    let (manifest, _) = reg
        .manifest("plugins/wharf", &r.version)
        .expect("the plugin's manifest");
    let m: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
    assert_eq!(m["artifactType"], "application/vnd.helm.plugin.v1+json");
    let ring = keys().join("rsa.pub.gpg");
    let out = home.helm_ok(
        Helm::V4,
        &[
            "plugin",
            "install",
            &format!("oci://{}/plugins/wharf:{}", reg.host, r.version),
            "--plain-http",
            "--keyring",
            ring.to_str().unwrap(),
        ],
    );
    assert!(out.contains("Installed plugin: wharf"), "{out}");
    runs_idx(&home, Helm::V4);

    // release.sh --oci pushes the pack it built the same way.
    let dist = tempfile::tempdir().unwrap();
    let mut c = Command::new("bash");
    c.arg(root().join("scripts/release.sh"))
        .args(["--no-build", "--dist"])
        .arg(dist.path().join("dist"))
        .arg("--oci")
        .arg(format!("oci://{}/released", reg.host))
        .args(["--oci-arg", "--plain-http"])
        .env("HELM_CONFIG_HOME", home.path().join("config"))
        .env("DOCKER_CONFIG", home.path().join("docker"));
    ok(c);
    let (manifest, _) = reg
        .manifest("released/wharf", &r.version)
        .expect("release.sh --oci pushed the pack");
    let m: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
    assert_eq!(m["artifactType"], "application/vnd.helm.plugin.v1+json");
}

/// A copy of what a pack installs from (the manifests, the hook, the key),
/// without binaries, as `<tempdir>/plugins/wharf`, so that the plugins it
/// registers beside itself land in the temporary folder.
fn bare_pack() -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let wharf = d.path().join("plugins").join("wharf");
    let files = ok({
        let mut c = Command::new("git");
        c.args([
            "ls-files",
            "plugin.yaml",
            "install-binary.sh",
            "wharf.sh",
            "scripts/lib.sh",
        ])
        .args(["plugins", "keys"])
        .current_dir(root());
        c
    });
    for f in files.lines() {
        let to = wharf.join(f);
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        fs::copy(root().join(f), &to).unwrap();
    }
    (d, wharf)
}

/// A PATH folder with every program of /usr/bin and /bin but `without`
/// (and never cargo), plus `extra` scripts.
fn path_without(without: &[&str], extra: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for dir in ["/usr/bin", "/bin"] {
        let Ok(entries) = fs::read_dir(dir) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().into_string().unwrap_or_default();
            if without.contains(&name.as_str()) || name == "cargo" || name == "rustup" {
                continue;
            }
            let link = d.path().join(&name);
            if !link.exists() {
                let _ = std::os::unix::fs::symlink(e.path(), link);
            }
        }
    }
    use std::os::unix::fs::PermissionsExt;
    for (name, body) in extra {
        let p = d.path().join(name);
        let _ = fs::remove_file(&p);
        fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
    }
    d
}

/// Runs the install hook of `pack` with only `path` and `env`.
fn hook(pack: &Path, path: &Path, env: &[(&str, &str)]) -> Output {
    let mut c = Command::new("/bin/sh");
    c.arg(pack.join("install-binary.sh"))
        .env_clear()
        .env("HELM_PLUGIN_DIR", pack)
        .env("PATH", path)
        .env("HOME", pack)
        .env("HELM_WHARF_RELEASE_KEY", keys().join("rsa.pub.gpg"));
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

/// Runs the hook of a fresh bare pack, which must install the release's
/// binaries and register the plugins.
fn hook_ok(path: &Path, env: &[(&str, &str)]) -> String {
    let (_d, pack) = bare_pack();
    let pack = pack.as_path();
    let out = hook(pack, path, env);
    assert!(out.status.success(), "{env:?}: {}", output_text(&out));
    let bin = pack.join("bin/helm-prov");
    assert_eq!(
        wharf::chart::digest_file(&bin).unwrap(),
        wharf::chart::digest_file(&root().join("target/release/helm-prov")).unwrap(),
        "{env:?}: the installed binary is not the release's"
    );
    assert!(
        fs::read_link(pack.parent().unwrap().join("idx")).is_ok(),
        "{env:?}: helm idx not registered"
    );
    lossy(&out.stderr)
}

/// Runs the hook of a fresh bare pack, which must fail saying `why` and
/// install nothing.
fn hook_refused(path: &Path, env: &[(&str, &str)], why: &str) -> String {
    let (_d, pack) = bare_pack();
    let pack = pack.as_path();
    let out = hook(pack, path, env);
    let err = lossy(&out.stderr);
    assert!(!out.status.success(), "{env:?}: {err}");
    assert!(err.contains(why), "{env:?}: wanted {why:?} in:\n{err}");
    assert!(
        !pack.join("bin/helm-prov").exists(),
        "{env:?}: installed anyway"
    );
    err
}

/// A release site: `v<version>/` holding the given files of the release.
fn site(files: &[&str]) -> tempfile::TempDir {
    let r = release();
    let site = tempfile::tempdir().unwrap();
    let dir = site.path().join(format!("v{}", r.version));
    fs::create_dir_all(&dir).unwrap();
    for f in files {
        fs::copy(r.dist.join(f), dir.join(f)).unwrap();
    }
    site
}

#[test]
fn the_install_hook_downloads_with_curl_or_wget_through_a_proxy() {
    let r = release();
    let archive = r.archive();
    let s = site(&[&archive, "SHA256SUMS", "SHA256SUMS.asc"]);
    let server = FileServer::start(s.path(), None);
    for (tool, other) in [("curl", "wget"), ("wget", "curl")] {
        let path = path_without(&[other], &[]);
        let err = hook_ok(path.path(), &[("HELM_WHARF_RELEASE_URL", &server.url)]);
        assert!(
            err.contains("SHA256SUMS signature verified"),
            "{tool}: {err}"
        );
        assert!(
            err.contains(&format!(
                "downloaded {}/v{}/{archive}",
                server.url, r.version
            )),
            "{tool}: {err}"
        );

        // Through a proxy (the upper-case name, which wget ignores and
        // curl ignores for http: the hook passes it on).
        let before = server.requests.lock().unwrap().len();
        let far = "http://releases.example.invalid";
        hook_ok(
            path.path(),
            &[("HELM_WHARF_RELEASE_URL", far), ("HTTP_PROXY", &server.url)],
        );
        let seen = server.requests.lock().unwrap()[before..].to_vec();
        assert!(
            seen.contains(&format!("{far}/v{}/{archive}", r.version)),
            "{tool}: the proxy saw {seen:?}"
        );
    }
    // Without gpg the checksum is still checked, and the hook says so.
    let path = path_without(&["gpg"], &[]);
    let err = hook_ok(path.path(), &[("HELM_WHARF_RELEASE_URL", &server.url)]);
    assert!(err.contains("gpg is not installed"), "{err}");
}

#[test]
fn the_install_hook_refuses_a_wrong_checksum_or_signature() {
    let r = release();
    let archive = r.archive();
    let path = path_without(&[], &[]);

    let s = site(&[&archive, "SHA256SUMS.asc"]);
    let sums = fs::read_to_string(r.dist.join("SHA256SUMS")).unwrap();
    let wrong = sums.replace(
        sums.lines()
            .find(|l| l.ends_with(&archive))
            .unwrap()
            .split(' ')
            .next()
            .unwrap(),
        &"0".repeat(64),
    );
    let dir = s.path().join(format!("v{}", r.version));
    fs::write(dir.join("SHA256SUMS"), &wrong).unwrap();
    let server = FileServer::start(s.path(), None);
    hook_refused(
        path.path(),
        &[("HELM_WHARF_RELEASE_URL", &server.url)],
        "checksum mismatch",
    );

    // The archive matches a SHA256SUMS the release key did not sign.
    fs::write(dir.join("SHA256SUMS"), format!("{sums}0000  extra\n")).unwrap();
    hook_refused(
        path.path(),
        &[("HELM_WHARF_RELEASE_URL", &server.url)],
        "SHA256SUMS.asc does not verify",
    );
    // Signed by another key than the release key.
    fs::write(dir.join("SHA256SUMS"), &sums).unwrap();
    hook_refused(
        path.path(),
        &[
            ("HELM_WHARF_RELEASE_URL", &server.url),
            (
                "HELM_WHARF_RELEASE_KEY",
                root().join("keys/release.asc").to_str().unwrap(),
            ),
        ],
        "does not verify against the release key",
    );
    // An archive SHA256SUMS does not list.
    let s = site(&[&archive]);
    fs::write(s.path().join(format!("v{}/SHA256SUMS", r.version)), "").unwrap();
    let server = FileServer::start(s.path(), None);
    hook_refused(
        path.path(),
        &[("HELM_WHARF_RELEASE_URL", &server.url)],
        "is not listed in SHA256SUMS",
    );
    // No SHA256SUMS at all.
    let s = site(&[&archive]);
    let server = FileServer::start(s.path(), None);
    hook_refused(
        path.path(),
        &[("HELM_WHARF_RELEASE_URL", &server.url)],
        "no SHA256SUMS to check it with",
    );
}

#[test]
fn the_install_hook_says_what_is_missing() {
    let r = release();
    let path = path_without(&[], &[]);
    let last = "no cargo to build from source";

    // A release without this platform's archive.
    let s = site(&["SHA256SUMS"]);
    let server = FileServer::start(s.path(), None);
    let err = hook_refused(
        path.path(),
        &[("HELM_WHARF_RELEASE_URL", &server.url)],
        &format!("the release v{} has no {}", r.version, r.archive()),
    );
    assert!(
        err.contains(last) && err.contains("HELM_WHARF_ARCHIVE"),
        "{err}"
    );

    // No network: nothing listens.
    let port = free_port();
    let err = hook_refused(
        path.path(),
        &[(
            "HELM_WHARF_RELEASE_URL",
            &format!("http://127.0.0.1:{port}/x"),
        )],
        "(no network, or a proxy is needed",
    );
    assert!(err.contains(last), "{err}");

    // Neither curl nor wget.
    let bare = path_without(&["curl", "wget"], &[]);
    hook_refused(
        bare.path(),
        &[("HELM_WHARF_RELEASE_URL", &server.url)],
        "neither curl nor wget is installed",
    );

    // A platform no release is built for.
    for (os, arch, why) in [
        (
            "Linux",
            "riscv64",
            "no release is built for linux on riscv64",
        ),
        (
            "SunOS",
            "i86pc",
            "no release is built for the operating system SunOS",
        ),
    ] {
        let fake = path_without(
            &[],
            &[(
                "uname",
                &format!("case \"$1\" in -s) echo {os} ;; -m) echo {arch} ;; *) echo {os} ;; esac"),
            )],
        );
        let err = hook_refused(fake.path(), &[("HELM_WHARF_RELEASE_URL", &server.url)], why);
        assert!(err.contains(last), "{err}");
    }
    // aarch64 is arm64: asked for by that name.
    let fake = path_without(
        &[],
        &[(
            "uname",
            "case \"$1\" in -m) echo aarch64 ;; *) echo Linux ;; esac",
        )],
    );
    hook_refused(
        fake.path(),
        &[("HELM_WHARF_RELEASE_URL", &server.url)],
        &format!("has no helm-wharf_{}_linux_arm64.tar.gz", r.version),
    );
}

#[test]
fn the_install_hook_installs_offline_from_an_archive_or_a_folder() {
    let r = release();
    let archive = r.archive();
    // Nothing may go to the network: any request would fail the test.
    let nowhere = "http://127.0.0.1:9/never";
    let path = path_without(&["curl", "wget"], &[]);

    // The archive, with SHA256SUMS and its signature beside it.
    let file = r.dist.join(&archive);
    let err = hook_ok(
        path.path(),
        &[
            ("HELM_WHARF_ARCHIVE", file.to_str().unwrap()),
            ("HELM_WHARF_RELEASE_URL", nowhere),
        ],
    );
    assert!(err.contains("SHA256SUMS signature verified"), "{err}");
    // The folder holding them.
    hook_ok(
        path.path(),
        &[
            ("HELM_WHARF_ARCHIVE", r.dist.to_str().unwrap()),
            ("HELM_WHARF_RELEASE_URL", nowhere),
        ],
    );
    // A folder of binaries.
    let bins = root().join("target/release");
    hook_ok(
        path.path(),
        &[
            ("HELM_WHARF_ARCHIVE", bins.to_str().unwrap()),
            ("HELM_WHARF_RELEASE_URL", nowhere),
        ],
    );
    // A lone archive (no SHA256SUMS beside it) installs too.
    let lone = tempfile::tempdir().unwrap();
    fs::copy(&file, lone.path().join(&archive)).unwrap();
    hook_ok(
        path.path(),
        &[
            (
                "HELM_WHARF_ARCHIVE",
                lone.path().join(&archive).to_str().unwrap(),
            ),
            ("HELM_WHARF_RELEASE_URL", nowhere),
        ],
    );
    // A corrupted archive beside its SHA256SUMS is refused.
    let broken = tempfile::tempdir().unwrap();
    for f in ["SHA256SUMS", "SHA256SUMS.asc"] {
        fs::copy(r.dist.join(f), broken.path().join(f)).unwrap();
    }
    let mut bytes = fs::read(&file).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    fs::write(broken.path().join(&archive), bytes).unwrap();
    hook_refused(
        path.path(),
        &[
            ("HELM_WHARF_ARCHIVE", broken.path().to_str().unwrap()),
            ("HELM_WHARF_RELEASE_URL", nowhere),
        ],
        "checksum mismatch",
    );
    // A path that is not there.
    hook_refused(
        path.path(),
        &[("HELM_WHARF_ARCHIVE", "/nonexistent/archive.tar.gz")],
        "no such file or folder",
    );
}

#[test]
fn helm_plugin_update_updates_a_git_install_on_helm_3_and_4() {
    let bins = root().join("target/release");
    assert!(
        bins.join("helm-idx").is_file(),
        "cargo build --release first"
    );
    for helm in BOTH {
        let (_d, pack) = bare_pack();
        let git = |args: &[&str]| {
            let mut c = Command::new("git");
            c.args(["-c", "user.email=t@example.com", "-c", "user.name=t"])
                .args(args)
                .current_dir(&pack);
            ok(c);
        };
        git(&["init", "-q"]);
        git(&["add", "-A"]);
        git(&["commit", "-qm", "release"]);
        let home = HelmHome::new();
        let url = format!("file://{}", pack.display());
        let mut args = vec!["plugin", "install", url.as_str()];
        if helm == Helm::V4 {
            // Helm 4 verifies only tarballs; a git source has no .prov.
            args.push("--verify=false");
        }
        let install = home
            .command(helm.bin())
            .args(&args)
            .env("HELM_WHARF_ARCHIVE", &bins)
            .output()
            .unwrap();
        assert!(install.status.success(), "{}", output_text(&install));
        runs_idx(&home, helm);

        // A new version upstream: update pulls it and re-runs the hook.
        let yaml = pack.join("plugin.yaml");
        let text = fs::read_to_string(&yaml).unwrap();
        let v = version();
        fs::write(
            &yaml,
            text.replace(&format!("version: \"{v}\""), "version: \"99.0.0\""),
        )
        .unwrap();
        git(&["commit", "-qam", "next"]);
        let update = home
            .command(helm.bin())
            .args(["plugin", "update", "wharf"])
            .env("HELM_WHARF_ARCHIVE", &bins)
            .output()
            .unwrap();
        assert!(update.status.success(), "{}", output_text(&update));
        assert!(
            output_text(&update).contains("installed 99.0.0"),
            "Helm {}: {}",
            helm.version(),
            output_text(&update)
        );
        let list = home.helm_ok(helm, &["plugin", "list"]);
        assert!(list.contains("99.0.0"), "{list}");
        runs_idx(&home, helm);
    }
}

/// The signed part of a `.prov`: everything before the signature.
fn signed_text(prov: &Path) -> String {
    let text = fs::read_to_string(prov).unwrap();
    text.split("-----BEGIN PGP SIGNATURE-----")
        .next()
        .unwrap()
        .to_string()
}

#[test]
fn a_plugin_tarball_is_signed_as_helm_4_packages_it() {
    let work = tempfile::tempdir().unwrap();
    let plugin = work.path().join("demo");
    fs::create_dir_all(&plugin).unwrap();
    fs::write(
        plugin.join("plugin.yaml"),
        "name: demo\nversion: 1.2.3\nusage: \"a demo: with <tags> & quotes\"\ndescription: |-\n  Two lines,\n  the second \"quoted\".\nignoreFlags: true\nplatformCommand:\n  - os: linux\n    arch: amd64\n    command: \"$HELM_PLUGIN_DIR/bin/demo-linux\"\nhooks:\n  install: \"$HELM_PLUGIN_DIR/install.sh\"\n",
    )
    .unwrap();
    fs::write(plugin.join("install.sh"), "#!/bin/sh\n").unwrap();
    let helm_out = work.path().join("helm");
    fs::create_dir(&helm_out).unwrap();
    let ring = keys().join("rsa.sec.gpg");
    let home = HelmHome::new();
    home.helm_ok(
        Helm::V4,
        &[
            "plugin",
            "package",
            plugin.to_str().unwrap(),
            "-d",
            helm_out.to_str().unwrap(),
            "--key",
            KEY,
            "--keyring",
            ring.to_str().unwrap(),
        ],
    );
    let tgz = helm_out.join("demo-1.2.3.tgz");
    assert!(tgz.is_file());
    // The same tarball signed by helm prov: the same signed text.
    let ours = work.path().join("ours");
    fs::create_dir(&ours).unwrap();
    fs::copy(&tgz, ours.join("demo-1.2.3.tgz")).unwrap();
    let mut c = helm_prov(&home);
    c.arg("sign")
        .arg(ours.join("demo-1.2.3.tgz"))
        .args(["--key", KEY, "--keyring"])
        .arg(&ring);
    ok(c);
    assert_eq!(
        signed_text(&ours.join("demo-1.2.3.tgz.prov")),
        signed_text(&helm_out.join("demo-1.2.3.tgz.prov"))
    );
    let out = home.helm_ok(
        Helm::V4,
        &[
            "plugin",
            "verify",
            ours.join("demo-1.2.3.tgz").to_str().unwrap(),
            "--keyring",
            keys().join("rsa.pub.gpg").to_str().unwrap(),
        ],
    );
    assert!(out.contains("Plugin Hash Verified"), "{out}");

    // What Helm 4 refuses to package, helm prov refuses to sign.
    let yaml = fs::read_to_string(plugin.join("plugin.yaml")).unwrap();
    fs::write(
        plugin.join("plugin.yaml"),
        format!("{yaml}command: \"$HELM_PLUGIN_DIR/bin/demo\"\n"),
    )
    .unwrap();
    let bad = work.path().join("both-1.2.3.tgz");
    let mut c = Command::new("tar");
    c.arg("-czf").arg(&bad).arg("-C").arg(&plugin).arg(".");
    ok(c);
    let out = helm_prov(&home)
        .arg("sign")
        .arg(&bad)
        .args(["--key", KEY, "--keyring"])
        .arg(&ring)
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", output_text(&out));
    assert!(
        output_text(&out).contains("platformCommand"),
        "{}",
        output_text(&out)
    );
    assert!(!work.path().join("both-1.2.3.tgz.prov").exists());
}
