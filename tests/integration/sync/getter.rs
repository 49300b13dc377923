//! The getter plugin, installed with the pack into the real Helm 3.17.3 and
//! 4.1.4: `helm repo add NAME gs://...` (and s3://, azblob://), `helm repo
//! update`, `helm pull`, `helm template` and `helm dependency update`.

use std::fs;

use super::*;

#[test]
fn helm_3_and_4_read_repositories_in_every_store_through_the_getter() {
    let bin = root().join("target/release/helm-sync");
    assert!(
        bin.is_file(),
        "{} is missing: build the release binaries first (cargo build --release, as scripts/test.sh does)",
        bin.display()
    );
    let stores = each_store();
    let work = tempfile::tempdir().unwrap();
    let repo = work.path().join("repo");
    let seed = HelmHome::new();
    helm_repo(&seed, &repo, &[("alpine", "0.1.0"), ("redis", "2.0.0")], "");
    for emu in &stores {
        ok(sync(&seed, emu).args([repo.to_str().unwrap(), &emu.url("charts", "stable")]));
    }
    for helm in BOTH {
        let home = HelmHome::new();
        let out = home.helm_ok(helm, &["plugin", "install", root().to_str().unwrap()]);
        assert!(out.contains("Installed plugin: wharf"), "{out}");
        let list = home.helm_ok(helm, &["plugin", "list"]);
        assert!(
            list.contains("sync-getter") && list.contains("sync"),
            "{list}"
        );
        // `helm sync` stays a command on Helm 4.
        let help = home.helm_ok(helm, &["sync", "--help"]);
        assert!(help.contains("Usage: helm sync"), "{help}");
        for emu in &stores {
            let kind = emu.kind;
            let url = emu.url("charts", "stable");
            let run = |args: &[&str]| {
                let mut c = with_store(home.command(helm.bin()), emu);
                let out = c.args(args).output().unwrap();
                assert!(
                    out.status.success(),
                    "Helm {} {kind:?} {args:?}: {}",
                    helm.version(),
                    output_text(&out)
                );
                lossy(&out.stdout)
            };
            let name = format!("t{}", kind.scheme());
            run(&["repo", "add", &name, &url]);
            run(&["repo", "update"]);
            let search = run(&["search", "repo", &name]);
            assert!(search.contains(&format!("{name}/redis")), "{search}");
            let dest = work
                .path()
                .join(format!("pulled-{}-{name}", helm.version()));
            fs::create_dir_all(&dest).unwrap();
            run(&[
                "pull",
                &format!("{name}/alpine"),
                "-d",
                dest.to_str().unwrap(),
            ]);
            assert_eq!(
                fs::read(dest.join("alpine-0.1.0.tgz")).unwrap(),
                fs::read(repo.join("alpine-0.1.0.tgz")).unwrap()
            );
            let t = run(&["template", "x", &format!("{name}/redis")]);
            assert!(t.contains("redis"), "{t}");
            // A chart depending on the repository by URL.
            let app = work.path().join(format!("app-{}-{name}", helm.version()));
            fs::create_dir_all(&app).unwrap();
            fs::write(
                app.join("Chart.yaml"),
                format!("apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n- name: redis\n  version: 2.0.0\n  repository: {url}\n"),
            )
            .unwrap();
            run(&["dependency", "update", app.to_str().unwrap()]);
            assert!(app.join("charts/redis-2.0.0.tgz").is_file());
            run(&["repo", "remove", &name]);
        }
        // A missing object is one clear error from the getter.
        let emu = &stores[0];
        let mut c = with_store(home.command(helm.bin()), emu);
        let out = c
            .args(["repo", "add", "nope", &emu.url("charts", "nothing-here")])
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(
            output_text(&out).contains("does not exist"),
            "{}",
            output_text(&out)
        );
        home.helm_ok(helm, &["plugin", "uninstall", "wharf"]);
        let list = home.helm_ok(helm, &["plugin", "list"]);
        assert_eq!(
            list.trim().lines().count(),
            1,
            "left after uninstall: {list}"
        );
    }
}
