//! `gs://`, `s3://` and `azblob://` as sources of `helm idx merge` and
//! `helm ocipush migrate`: fetched through the getter plugin the user has
//! installed, run as Helm runs getter plugins (the pack's `sync-getter`
//! here), so neither binary needs a store client of its own.

use super::*;
use crate::support::registry::{Registry, RegistryOptions};

/// A plugins folder holding the pack's getter plugin, its command a link
/// to the `helm-sync` under test, as the install hook lays it out.
fn plugins_with_getter() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let g = d.path().join("sync-getter");
    std::fs::create_dir_all(g.join("bin")).unwrap();
    std::fs::copy(
        root().join("plugins/sync-getter/plugin.yaml"),
        g.join("plugin.yaml"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        env!("CARGO_BIN_EXE_helm-sync"),
        g.join("bin/helm-sync-getter"),
    )
    .unwrap();
    d
}

#[test]
fn idx_merge_and_ocipush_migrate_read_repositories_in_buckets() {
    let plugins = plugins_with_getter();
    let reg = Registry::start(RegistryOptions::default());
    for emu in each_store() {
        let kind = emu.kind;
        let home = HelmHome::new();
        let work = tempfile::tempdir().unwrap();
        let repo = work.path().join("repo");
        helm_repo(&home, &repo, &[("a", "1.0.0"), ("b", "2.0.0")], "");
        let url = emu.url("charts", "stable");
        ok(sync(&home, &emu).args([repo.to_str().unwrap(), &url]));

        // idx merge: the bucket's index, entries pointing into the bucket.
        let out = work.path().join("merged.yaml");
        let mut c = with_store(idx(&home), &emu);
        c.env("HELM_PLUGINS", plugins.path())
            .arg("merge")
            .arg(&out)
            .arg(&url);
        ok(c);
        let merged = std::fs::read_to_string(&out).unwrap();
        assert!(
            merged.contains(&format!("- {url}/a-1.0.0.tgz")),
            "{kind:?}: {merged}"
        );

        // ocipush migrate: every version lands in the registry.
        let target = format!("oci://{}/{}", reg.host, kind.name());
        let mut c = with_store(ocipush(&home), &emu);
        c.env("HELM_PLUGINS", plugins.path()).args([
            "migrate",
            &url,
            &target,
            "--plain-http",
            "-o",
            "json",
        ]);
        let text = ok(c);
        let reports: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
        assert_eq!(reports.len(), 2, "{kind:?}: {text}");
        assert!(
            reports.iter().all(|r| r["status"] == "pushed"),
            "{kind:?}: {text}"
        );

        // Without the plugin: Helm's words for an unknown scheme.
        let empty = tempfile::tempdir().unwrap();
        let mut c = with_store(idx(&home), &emu);
        c.env("HELM_PLUGINS", empty.path())
            .arg("merge")
            .arg(&out)
            .arg(&url);
        let o = c.output().unwrap();
        assert!(!o.status.success());
        assert!(
            output_text(&o).contains("could not find protocol handler"),
            "{}",
            output_text(&o)
        );
    }
}
