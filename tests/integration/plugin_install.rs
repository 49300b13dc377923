//! Installing the pack into the real Helm 3.17.3 and 4.1.4 from this
//! checkout, running `helm idx` through Helm, and uninstalling it.

use std::fs;

use crate::support::*;

fn release_binaries_present() {
    let bin = root().join("target").join("release").join("helm-idx");
    assert!(
        bin.is_file(),
        "{} is missing: build the release binaries first (cargo build --release, as scripts/test.sh does)",
        bin.display()
    );
}

/// Charts whose tie order depends on the Go release Helm was built with.
fn ties(dir: &std::path::Path) {
    for i in 0..40 {
        write_chart(
            dir,
            &format!("tie-{i:02}.tgz"),
            &format!(
                "apiVersion: v2\nname: tie\nversion: 1.0.{}+b{i:02}\n",
                i % 3
            ),
        );
    }
    for i in 0..14 {
        write_chart(
            dir,
            &format!("small-{i:02}.tgz"),
            &format!(
                "apiVersion: v2\nname: small\nversion: 2.0.{}+b{i:02}\n",
                i % 3
            ),
        );
    }
    write_chart(
        dir,
        "sub/other-1.0.0.tgz",
        "apiVersion: v2\nname: other\nversion: 1.0.0\n",
    );
}

#[test]
fn install_run_uninstall_on_helm_3_and_4() {
    release_binaries_present();
    for helm in BOTH {
        let home = HelmHome::new();
        let out = home.helm_ok(helm, &["plugin", "install", root().to_str().unwrap()]);
        assert!(out.contains("Installed plugin: wharf"), "{out}");
        let list = home.helm_ok(helm, &["plugin", "list"]);
        assert!(
            list.contains("wharf")
                && list.contains("idx")
                && list.contains("prov")
                && list.contains("ocipush")
                && list.contains("sync")
                && list.contains("sync-getter"),
            "{list}"
        );
        // One line per plugin: Helm 3 prints the description in a table.
        assert_eq!(list.trim().lines().count(), 7, "{list}");
        let help = home.helm_ok(helm, &["prov", "--help"]);
        assert!(help.contains("verify"), "{help}");
        assert!(help.contains("Usage: helm prov "), "{help}");
        let help = home.helm_ok(helm, &["idx", "build", "--help"]);
        assert!(help.contains("Usage: helm idx build "), "{help}");
        // `helm wharf` lists the pack, runs a command of it, refuses others.
        let out = home.helm_ok(helm, &["wharf"]);
        assert!(out.contains("helm ocipush"), "{out}");
        let out = home.helm_ok(helm, &["wharf", "idx", "--help"]);
        assert!(out.contains("Usage: helm idx "), "{out}");
        let o = home.helm(helm, &["wharf", "foo"]);
        assert!(!o.status.success(), "{}", output_text(&o));
        assert!(
            output_text(&o).contains("unknown command \"foo\""),
            "{}",
            output_text(&o)
        );
        let help = home.helm_ok(helm, &["ocipush", "--help"]);
        assert!(help.contains("migrate"), "{help}");

        // `helm idx build` through Helm matches `helm repo index` of the
        // same Helm, tie order included.
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        ties(a.path());
        ties(b.path());
        home.helm_ok(
            helm,
            &[
                "idx",
                "build",
                a.path().to_str().unwrap(),
                "--url",
                "https://x",
            ],
        );
        home.helm_ok(
            helm,
            &[
                "repo",
                "index",
                b.path().to_str().unwrap(),
                "--url",
                "https://x",
            ],
        );
        assert_same_index(
            &fs::read_to_string(a.path().join("index.yaml")).unwrap(),
            &fs::read_to_string(b.path().join("index.yaml")).unwrap(),
            &format!("helm idx through Helm {}", helm.version()),
        );

        let out = home.helm_ok(helm, &["plugin", "uninstall", "wharf"]);
        assert!(out.contains("Uninstalled plugin: wharf"), "{out}");
        let list = home.helm_ok(helm, &["plugin", "list"]);
        assert_eq!(
            list.lines().count(),
            1,
            "plugins left after uninstall:\n{list}"
        );
        let plugins = home.path().join("data").join("plugins");
        let left: Vec<_> = fs::read_dir(&plugins)
            .map(|r| r.flatten().collect())
            .unwrap_or_default();
        assert!(
            left.is_empty(),
            "files left in {}: {left:?}",
            plugins.display()
        );
        let idx = home.helm(helm, &["idx", "--help"]);
        assert!(!idx.status.success(), "helm idx still runs after uninstall");
    }
}

#[test]
fn install_hook_fails_clearly_without_any_source() {
    // A copy of the checkout without binaries, on a PATH without cargo, and
    // a release URL that cannot answer: the hook must say what to do.
    assert!(
        !std::path::Path::new("/usr/bin/cargo").exists()
            && !std::path::Path::new("/bin/cargo").exists(),
        "this test needs a PATH (/usr/bin:/bin) without cargo"
    );
    let (_d, checkout) = bare_checkout();
    let out = std::process::Command::new("sh")
        .arg(checkout.join("install-binary.sh"))
        .env("HELM_PLUGIN_DIR", &checkout)
        .env("PATH", "/usr/bin:/bin")
        .env("HELM_WHARF_RELEASE_URL", "http://127.0.0.1:9/none")
        .env_remove("CARGO_HOME")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("no cargo to build from source") && err.contains("rustup"),
        "{err}"
    );
}

/// A checkout without binaries, holding only what the install hook reads,
/// as `<tempdir>/plugins/wharf` so that the plugins it registers beside
/// itself land in the temporary folder too.
fn bare_checkout() -> (tempfile::TempDir, std::path::PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let wharf = d.path().join("plugins").join("wharf");
    for f in [
        "plugin.yaml",
        "install-binary.sh",
        "wharf.sh",
        "scripts/lib.sh",
        "plugins/idx/plugin.yaml",
    ] {
        let to = wharf.join(f);
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        fs::copy(root().join(f), to).unwrap();
    }
    (d, wharf)
}

#[test]
fn release_binaries_need_nothing_beyond_libc() {
    release_binaries_present();
    for p in fs::read_dir(root().join("plugins")).unwrap().flatten() {
        // A getter plugin runs a mode of another plugin's binary.
        if !fs::read_to_string(p.path().join("plugin.yaml"))
            .unwrap()
            .contains("\ncommand:")
        {
            continue;
        }
        let bin = root()
            .join("target/release")
            .join(format!("helm-{}", p.file_name().to_string_lossy()));
        let out = ok({
            let mut c = std::process::Command::new("ldd");
            c.arg(&bin);
            c
        });
        for line in out.lines() {
            let lib = line.split_whitespace().next().unwrap_or("");
            let allowed = [
                "linux-vdso.so",
                "libc.so",
                "libm.so",
                "libgcc_s.so",
                "ld-linux",
            ]
            .iter()
            .any(|a| lib.contains(a));
            assert!(allowed, "{} needs {lib}", bin.display());
        }
    }
}

/// Every plugin.yaml of the pack.
fn plugin_yamls(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = vec![dir.join("plugin.yaml")];
    let mut plugins: Vec<_> = fs::read_dir(dir.join("plugins"))
        .unwrap()
        .flatten()
        .map(|e| e.path().join("plugin.yaml"))
        .collect();
    plugins.sort();
    files.extend(plugins);
    files
}

fn yaml_version(file: &std::path::Path) -> String {
    fs::read_to_string(file)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("version: "))
        .unwrap_or_else(|| panic!("{}: no version line", file.display()))
        .trim_matches('"')
        .to_string()
}

#[test]
fn the_version_has_one_source_of_truth() {
    // Cargo.toml's version is the truth; every plugin.yaml carries it.
    let want = env!("CARGO_PKG_VERSION");
    let files = plugin_yamls(&root());
    assert!(files.len() >= 4, "{files:?}");
    for f in &files {
        assert_eq!(yaml_version(f), want, "{}", f.display());
    }
    let printed = ok({
        let mut c = std::process::Command::new("sh");
        c.arg(root().join("scripts/version.sh"));
        c
    });
    assert_eq!(printed.trim(), want);

    // `scripts/version.sh set` stamps Cargo.toml and every plugin.yaml.
    let d = tempfile::tempdir().unwrap();
    for f in files
        .iter()
        .map(|f| f.strip_prefix(root()).unwrap().to_path_buf())
        .chain(["Cargo.toml", "scripts/version.sh"].map(std::path::PathBuf::from))
    {
        let to = d.path().join(&f);
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        fs::copy(root().join(&f), to).unwrap();
    }
    ok({
        let mut c = std::process::Command::new("sh");
        c.arg(d.path().join("scripts/version.sh"))
            .args(["set", "9.8.7"]);
        c
    });
    for f in plugin_yamls(d.path()) {
        assert_eq!(yaml_version(&f), "9.8.7", "{}", f.display());
    }
    let printed = ok({
        let mut c = std::process::Command::new("sh");
        c.arg(d.path().join("scripts/version.sh"));
        c
    });
    assert_eq!(printed.trim(), "9.8.7");
    let cargo = fs::read_to_string(d.path().join("Cargo.toml")).unwrap();
    assert_eq!(cargo.matches("version = \"9.8.7\"").count(), 1, "{cargo}");
}
