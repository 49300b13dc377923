//! The guide's workflow ("Syncing your chart repository"), on each store:
//! index with `--url`, dry run, sync, change and sync with `-d`, get the
//! repository back with a download sync.

use super::*;

#[test]
fn the_guides_workflow_works_on_every_store() {
    for emu in each_store() {
        let kind = emu.kind;
        let home = HelmHome::new();
        let work = tempfile::tempdir().unwrap();
        let repo = work.path().join("fantastic-charts");
        helm_repo(
            &home,
            &repo,
            &[("alpine", "0.1.0"), ("zookeeper", "1.0.0")],
            "https://fantastic-charts.storage.googleapis.com",
        );
        let url = emu.url("charts", "stable");
        let shown = repo.to_str().unwrap();

        // The dry run prints gsutil's lines, index.yaml after the archives
        // that it lists, and changes nothing.
        let out = sync(&home, &emu)
            .args(["-n", "-d", &format!("{shown}/"), &url])
            .output()
            .unwrap();
        let text = output_text(&out);
        assert!(out.status.success(), "{kind:?}: {text}");
        let would: Vec<&str> = text.lines().filter(|l| l.starts_with("Would ")).collect();
        assert_eq!(
            would,
            [
                format!("Would copy file://{shown}/alpine-0.1.0.tgz to {url}/alpine-0.1.0.tgz"),
                format!(
                    "Would copy file://{shown}/zookeeper-1.0.0.tgz to {url}/zookeeper-1.0.0.tgz"
                ),
                format!("Would copy file://{shown}/index.yaml to {url}/index.yaml"),
            ],
            "{kind:?}: {text}"
        );
        assert!(
            objects(&emu, "stable").is_empty(),
            "{kind:?}: the dry run wrote"
        );

        // The sync itself; no question without a terminal when nothing is
        // removed.
        let text = ok(sync(&home, &emu).args(["-d", shown, &url]));
        assert!(text.is_empty(), "{kind:?}: stdout {text:?}");
        assert_eq!(objects(&emu, "stable"), files(&repo), "{kind:?}");
        let headers = emu.headers("charts", "stable/index.yaml");
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        assert_eq!(header("content-type"), "text/yaml", "{kind:?}: {headers:?}");
        assert_eq!(header("cache-control"), "no-cache", "{kind:?}: {headers:?}");

        // Nothing changed: nothing copied.
        let out = sync(&home, &emu)
            .args(["-d", shown, &url])
            .output()
            .unwrap();
        let text = output_text(&out);
        assert!(text.contains(": 0 copied"), "{kind:?}: {text}");
        assert!(text.contains("3 unchanged"), "{kind:?}: {text}");

        // A new chart, one removed: -d needs --yes without a terminal.
        std::fs::remove_file(repo.join("alpine-0.1.0.tgz")).unwrap();
        helm_repo(
            &home,
            &repo,
            &[("redis", "2.0.0")],
            "https://fantastic-charts.storage.googleapis.com",
        );
        let out = sync(&home, &emu)
            .args(["-d", shown, &url])
            .output()
            .unwrap();
        let text = output_text(&out);
        assert!(!out.status.success(), "{kind:?}: {text}");
        assert!(text.contains("--yes"), "{kind:?}: {text}");
        assert!(
            objects(&emu, "stable")
                .iter()
                .any(|(k, _)| k == "alpine-0.1.0.tgz"),
            "{kind:?}: removed without --yes"
        );
        // On a terminal: the plan, the question, and `y` goes on.
        let t = super::terminal::on_terminal(&home, &emu, &["-d", shown, &url], Some("y"), None);
        assert!(t.asked(), "{kind:?}: {}", t.text);
        assert!(t.status.success(), "{kind:?}: {}", t.text);
        assert!(
            t.text
                .contains(&format!("Would remove {url}/alpine-0.1.0.tgz")),
            "{kind:?}: {}",
            t.text
        );
        assert!(t.text.contains("1 removed"), "{kind:?}: {}", t.text);
        assert_eq!(objects(&emu, "stable"), files(&repo), "{kind:?}");

        // Back down into an empty folder: the same files, byte for byte.
        let back = work.path().join("back");
        let text = output_text(
            &sync(&home, &emu)
                .args(["-d", &url, back.to_str().unwrap()])
                .output()
                .unwrap(),
        );
        assert_eq!(files(&back), files(&repo), "{kind:?}: {text}");
        // And Helm reads what came back.
        home.helm_ok(
            Helm::V3,
            &[
                "show",
                "chart",
                back.join("redis-2.0.0.tgz").to_str().unwrap(),
            ],
        );
    }
}

#[test]
fn json_output_lists_the_plan_and_what_was_done() {
    let emu = Emulator::start(Kind::S3);
    emu.create_bucket("charts");
    let home = HelmHome::new();
    let work = tempfile::tempdir().unwrap();
    let repo = work.path().join("repo");
    helm_repo(
        &home,
        &repo,
        &[("a", "1.0.0")],
        "https://example.com/charts",
    );
    let url = emu.url("charts", "");
    let out = ok(sync(&home, &emu).args(["-o", "json", "-n", repo.to_str().unwrap(), &url]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["dry_run"], true, "{out}");
    assert_eq!(v["steps"].as_array().unwrap().len(), 2, "{out}");
    assert_eq!(v["steps"][1]["key"], "index.yaml", "{out}");
    let out = ok(sync(&home, &emu).args(["-o", "json", repo.to_str().unwrap(), &url]));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["copied"], 1, "{out}");
    assert_eq!(v["index_written"], true, "{out}");
}

#[test]
fn a_folder_url_is_a_store_too() {
    let home = HelmHome::new();
    let work = tempfile::tempdir().unwrap();
    let repo = work.path().join("repo");
    helm_repo(&home, &repo, &[("a", "1.0.0"), ("b", "1.0.0")], "");
    std::fs::write(repo.join("NOTES.txt"), "version one").unwrap();
    let served = work.path().join("served");
    std::fs::create_dir(&served).unwrap();
    let url = format!("file://{}", served.display());
    let mut c = home.command(env!("CARGO_BIN_EXE_helm-sync"));
    ok(c.args([repo.to_str().unwrap(), &url]));
    assert_eq!(files(&served), files(&repo));
    // Unchanged files are compared by content and not copied again.
    let mut c = home.command(env!("CARGO_BIN_EXE_helm-sync"));
    let out = c.args([repo.to_str().unwrap(), &url]).output().unwrap();
    assert!(
        output_text(&out).contains(": 0 copied"),
        "{}",
        output_text(&out)
    );
    // A file changed in place with the same size is copied.
    std::fs::write(served.join("NOTES.txt"), "version two").unwrap();
    let mut c = home.command(env!("CARGO_BIN_EXE_helm-sync"));
    let out = c.args([repo.to_str().unwrap(), &url]).output().unwrap();
    assert!(
        output_text(&out).contains(": 1 copied"),
        "{}",
        output_text(&out)
    );
    assert_eq!(files(&served), files(&repo));
}
