//! Shell completion through the real Helm 3.17.3 and 4.1.4: the pack
//! installed from this checkout, asked with `helm __complete`, as the
//! completion scripts of `helm completion bash|zsh|fish` ask it.

use std::fs;

use crate::support::*;

/// The values of one `helm __complete` answer (without the `:<directive>`
/// line), and the directive.
fn complete(
    home: &HelmHome,
    helm: Helm,
    cwd: &std::path::Path,
    words: &[&str],
) -> (Vec<String>, String) {
    let mut args = vec!["__complete"];
    args.extend_from_slice(words);
    let out = home
        .command(helm.bin())
        .args(&args)
        .current_dir(cwd)
        .output()
        .expect("run helm __complete");
    assert!(
        out.status.success(),
        "helm {} {args:?}: {}",
        helm.version(),
        output_text(&out)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let directive = lines.pop().unwrap_or_default();
    assert!(
        directive.starts_with(':'),
        "helm {} {args:?} ends without a directive:\n{text}",
        helm.version()
    );
    (lines, directive)
}

fn names(values: &[String]) -> Vec<&str> {
    values
        .iter()
        .map(|v| v.split('\t').next().unwrap())
        .collect()
}

#[test]
fn helm_completes_subcommands_flags_and_values_on_helm_3_and_4() {
    assert!(
        root().join("target/release/helm-idx").is_file(),
        "build the release binaries first (cargo build --release, as scripts/test.sh does)"
    );
    let ring = fixtures().join("prov/keys/rsa.pub.gpg");
    for helm in BOTH {
        let home = HelmHome::new();
        home.helm_ok(helm, &["plugin", "install", root().to_str().unwrap()]);
        fs::write(
            home.path().join("config/repositories.yaml"),
            "apiVersion: v1\nrepositories:\n- name: stable\n  url: https://user:secret@charts.example.com\n- name: internal\n  url: https://charts.internal.example\n",
        )
        .unwrap();
        fs::create_dir_all(home.path().join("config/registry")).unwrap();
        fs::write(
            home.path().join("config/registry/config.json"),
            r#"{"auths":{"registry.example.com":{"auth":"dXNlcjpzZWNyZXQ="}}}"#,
        )
        .unwrap();
        let cwd = tempfile::tempdir().unwrap();
        for f in ["web-1.0.0.tgz", "api-2.1.0.tgz", "notes.txt"] {
            fs::write(cwd.path().join(f), "x").unwrap();
        }
        let v = helm.version();

        let (vals, dir) = complete(&home, helm, cwd.path(), &["idx", ""]);
        for sub in ["build", "merge", "check"] {
            assert!(
                names(&vals).contains(&sub),
                "Helm {v}: idx subcommands {vals:?}"
            );
        }
        assert_eq!(dir, ":4", "Helm {v}");

        // Flag names once each, from completion.yaml.
        let (vals, _) = complete(&home, helm, cwd.path(), &["ocipush", "migrate", "--pl"]);
        assert_eq!(names(&vals), ["--plain-http"], "Helm {v}: {vals:?}");

        let (vals, _) = complete(&home, helm, cwd.path(), &["ocipush", "migrate", ""]);
        assert_eq!(
            names(&vals),
            ["stable", "internal"],
            "Helm {v}: repository names {vals:?}"
        );
        let (vals, dir) = complete(
            &home,
            helm,
            cwd.path(),
            &["ocipush", "migrate", "stable", ""],
        );
        assert_eq!(
            names(&vals),
            ["oci://registry.example.com"],
            "Helm {v}: registries {vals:?}"
        );
        assert_eq!(dir, ":6", "Helm {v}: no space after oci://HOST");

        let (vals, _) = complete(
            &home,
            helm,
            cwd.path(),
            &[
                "prov",
                "sign",
                "--keyring",
                ring.to_str().unwrap(),
                "--key",
                "",
            ],
        );
        assert_eq!(
            names(&vals),
            ["F16D692B5491590B", "rsa@example.com"],
            "Helm {v}: keys {vals:?}"
        );
        let (vals, _) = complete(&home, helm, cwd.path(), &["prov", "sign", "--output", ""]);
        assert!(
            names(&vals).contains(&"json"),
            "Helm {v}: output formats {vals:?}"
        );

        let (vals, _) = complete(&home, helm, cwd.path(), &["prov", "verify", ""]);
        assert_eq!(
            names(&vals),
            ["api-2.1.0.tgz", "web-1.0.0.tgz"],
            "Helm {v}: charts {vals:?}"
        );
        let (vals, _) = complete(&home, helm, cwd.path(), &["prov", "verify", "w"]);
        assert_eq!(names(&vals), ["web-1.0.0.tgz"], "Helm {v}: charts {vals:?}");

        // Nothing a completion shows carries a secret.
        for words in [
            &["ocipush", "migrate", ""][..],
            &["ocipush", "migrate", "stable", ""],
        ] {
            let (vals, _) = complete(&home, helm, cwd.path(), words);
            assert!(
                vals.iter().all(|l| !l.contains("secret")),
                "Helm {v}: {vals:?}"
            );
        }
    }
}

#[test]
fn committed_completion_files_match_the_binaries() {
    for name in ["idx", "ocipush", "prov", "sync"] {
        let bin = root().join("target/release").join(format!("helm-{name}"));
        assert!(
            bin.is_file(),
            "{} is missing: cargo build --release",
            bin.display()
        );
        let out = std::process::Command::new(&bin)
            .arg("__completion-yaml")
            .output()
            .unwrap();
        assert!(out.status.success());
        let committed =
            fs::read(root().join("plugins").join(name).join("completion.yaml")).unwrap();
        assert!(
            out.stdout == committed,
            "plugins/{name}/completion.yaml is stale: regenerate it with target/release/helm-{name} __completion-yaml > plugins/{name}/completion.yaml"
        );
        let complete = root().join("plugins").join(name).join("plugin.complete");
        use std::os::unix::fs::PermissionsExt;
        assert!(
            fs::metadata(&complete).unwrap().permissions().mode() & 0o111 != 0,
            "{} is not executable",
            complete.display()
        );
    }
}
