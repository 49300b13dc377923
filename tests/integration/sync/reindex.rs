//! `helm sync index`: the index of a repository that lives only in a
//! bucket, rebuilt from its archives as `helm repo index` builds it, with
//! archives it has recorded never downloaded again.

use super::*;

fn index_json(home: &HelmHome, emu: &Emulator, url: &str) -> serde_json::Value {
    let mut c = sync(home, emu);
    c.env_remove("STORAGE_EMULATOR_HOST");
    for (k, v) in emu.proxied_env() {
        c.env(k, v);
    }
    let out = ok(c.args([
        "index",
        url,
        "--url",
        "https://charts.example.com",
        "-o",
        "json",
    ]));
    serde_json::from_str(&out).unwrap()
}

#[test]
fn a_bucket_is_indexed_as_helm_indexes_the_folder_downloading_only_what_is_new() {
    for emu in each_store() {
        let kind = emu.kind;
        let home = HelmHome::new();
        let work = tempfile::tempdir().unwrap();
        let dir = work.path().join("charts");
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        for (file, yaml) in [
            ("a-1.0.0.tgz", "apiVersion: v2\nname: a\nversion: 1.0.0\n"),
            ("a-1.1.0.tgz", "apiVersion: v2\nname: a\nversion: 1.1.0\n"),
            (
                "sub/b-2.0.0.tgz",
                "apiVersion: v2\nname: b\nversion: 2.0.0\n",
            ),
        ] {
            write_chart(&dir, file, yaml);
        }
        // Another tool uploaded the archives; there is no index yet.
        for (name, data) in files(&dir) {
            emu.put("charts", &format!("repo/{name}"), &data);
        }
        emu.put("charts", "repo/notes.txt", b"not a chart");
        emu.put(
            "charts",
            "repo/x/y/deep-1.0.0.tgz",
            b"too deep for helm repo index",
        );
        let url = emu.url("charts", "repo");
        let r = index_json(&home, &emu, &url);
        assert_eq!(
            (r["entries"].as_u64(), r["downloaded"].as_u64()),
            (Some(3), Some(3)),
            "{kind:?}: {r}"
        );
        let ours = lossy(&emu.get("charts", "repo/index.yaml").unwrap());
        home.helm_ok(
            Helm::V3,
            &[
                "repo",
                "index",
                dir.to_str().unwrap(),
                "--url",
                "https://charts.example.com",
            ],
        );
        assert_same_index(
            &ours,
            &std::fs::read_to_string(dir.join("index.yaml")).unwrap(),
            &format!("{kind:?}"),
        );

        // Again: every archive is known from the record; nothing is
        // downloaded, and `created` stays.
        emu.clear_requests();
        let r = index_json(&home, &emu, &url);
        assert_eq!(
            (r["known"].as_u64(), r["downloaded"].as_u64()),
            (Some(3), Some(0)),
            "{kind:?}: {r}"
        );
        let again = lossy(&emu.get("charts", "repo/index.yaml").unwrap());
        let created = |s: &str| {
            s.lines()
                .filter(|l| l.contains("created:"))
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(created(&again), created(&ours), "{kind:?}");
        let gets = emu
            .requests()
            .into_iter()
            .filter(|(m, t, _)| m == "GET" && t.contains(".tgz"))
            .count();
        assert_eq!(gets, 0, "{kind:?}: {:?}", emu.requests());

        // One new archive: one download.
        write_chart(
            &dir,
            "c-3.0.0.tgz",
            "apiVersion: v2\nname: c\nversion: 3.0.0\n",
        );
        emu.put(
            "charts",
            "repo/c-3.0.0.tgz",
            &std::fs::read(dir.join("c-3.0.0.tgz")).unwrap(),
        );
        emu.clear_requests();
        let r = index_json(&home, &emu, &url);
        assert_eq!(
            (r["entries"].as_u64(), r["downloaded"].as_u64()),
            (Some(4), Some(1)),
            "{kind:?}: {r}"
        );
        let tgz_gets: Vec<String> = emu
            .requests()
            .into_iter()
            .filter(|(m, t, _)| m == "GET" && t.contains(".tgz"))
            .map(|(_, t, _)| t)
            .collect();
        assert_eq!(tgz_gets.len(), 1, "{kind:?}: {tgz_gets:?}");
        assert!(
            tgz_gets[0].contains("c-3.0.0.tgz"),
            "{kind:?}: {tgz_gets:?}"
        );
        // The record is not synced down with the repository.
        let back = work.path().join("back");
        ok(sync(&home, &emu).args([&url, back.to_str().unwrap()]));
        assert!(!back.join(".helm-sync-digests.json").exists());
        assert!(back.join("c-3.0.0.tgz").is_file());
    }
}
