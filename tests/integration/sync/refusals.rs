//! Inputs that must be refused with one line and nothing written, and the
//! conflict between two publishers of one folder.

use super::*;
use wharf::cli::Progress;

fn fails_with(c: &mut Command, what: &str) -> String {
    let out = c.output().unwrap();
    let text = output_text(&out);
    assert!(!out.status.success(), "{c:?} succeeded: {text}");
    assert!(text.contains(what), "{c:?}: expected {what:?} in {text}");
    assert_eq!(text.trim().lines().count(), 1, "one line: {text}");
    assert!(!text.contains("panicked"), "{text}");
    text
}

#[test]
fn bad_repositories_are_refused_and_nothing_is_written() {
    let emu = Emulator::start(Kind::S3);
    emu.create_bucket("charts");
    let home = HelmHome::new();
    let work = tempfile::tempdir().unwrap();
    let repo = work.path().join("repo");
    helm_repo(
        &home,
        &repo,
        &[("a", "1.0.0"), ("b", "1.0.0")],
        "https://x/charts",
    );
    let url = emu.url("charts", "r");

    // A destination with objects but no index.yaml: not a repository.
    emu.put("charts", "r/notes.txt", b"someone else's");
    fails_with(
        sync(&home, &emu).args([repo.to_str().unwrap(), &url]),
        "--init",
    );
    assert_eq!(objects(&emu, "r").len(), 1);

    // An index.yaml in the bucket that is not an index: left as it is.
    emu.put("charts", "r/index.yaml", b"{{{ not yaml");
    fails_with(
        sync(&home, &emu).args(["--init", repo.to_str().unwrap(), &url]),
        "not a valid index",
    );
    assert_eq!(emu.get("charts", "r/index.yaml").unwrap(), b"{{{ not yaml");
    emu.delete("charts", "r/index.yaml");
    emu.delete("charts", "r/notes.txt");

    // A local index listing an archive that is missing.
    std::fs::rename(repo.join("b-1.0.0.tgz"), work.path().join("b-1.0.0.tgz")).unwrap();
    fails_with(
        sync(&home, &emu).args([repo.to_str().unwrap(), &url]),
        "missing",
    );
    assert!(objects(&emu, "r").is_empty());

    // An archive whose digest differs from the index.
    write_chart(
        &repo,
        "b-1.0.0.tgz",
        "apiVersion: v2\nname: b\nversion: 1.0.0\ndescription: changed\n",
    );
    fails_with(
        sync(&home, &emu).args([repo.to_str().unwrap(), &url]),
        "digest",
    );
    assert!(objects(&emu, "r").is_empty());

    // No index at all.
    let bare = work.path().join("bare");
    std::fs::create_dir(&bare).unwrap();
    fails_with(
        sync(&home, &emu).args([bare.to_str().unwrap(), &url]),
        "helm idx build",
    );

    // Both sides local, or a bad URL, or a bad pattern.
    fails_with(
        sync(&home, &emu).args([repo.to_str().unwrap(), "/tmp/x"]),
        "one of SRC and DST",
    );
    fails_with(
        sync(&home, &emu).args([repo.to_str().unwrap(), "gs://"]),
        "not a storage URL",
    );
    fails_with(
        sync(&home, &emu).args(["-x", "(", repo.to_str().unwrap(), &url]),
        "regular expression",
    );
}

#[test]
fn a_publisher_who_lost_the_race_stops_and_merge_remote_merges() {
    use wharf::storage::{Store, StoreOptions};
    use wharf::sync::{plan, run, Endpoint, PlanOptions, RunOptions};
    let emu = Emulator::start(Kind::Azure);
    emu.create_bucket("charts");
    let home = HelmHome::new();
    let work = tempfile::tempdir().unwrap();
    let (mine, theirs) = (work.path().join("mine"), work.path().join("theirs"));
    helm_repo(&home, &mine, &[("a", "1.0.0")], "https://x/charts");
    helm_repo(&home, &theirs, &[("b", "1.0.0")], "https://x/charts");
    let url = emu.url("charts", "");
    ok(sync(&home, &emu).args([theirs.to_str().unwrap(), &url]));

    // Plan, then someone else publishes, then run: a conflict, and the
    // removal the plan had is not carried out.
    let env = EnvOf(emu.env());
    let open = || {
        Endpoint::Store(Box::new(
            Store::open(&url, &env, &StoreOptions::default()).unwrap(),
        ))
    };
    let local = Endpoint::Local {
        dir: mine.clone(),
        shown: mine.display().to_string(),
    };
    let remote = open();
    let p = plan(
        &local,
        &remote,
        &PlanOptions {
            delete: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(p.removes.len(), 1);
    write_chart(
        &theirs,
        "c-1.0.0.tgz",
        "apiVersion: v2\nname: c\nversion: 1.0.0\n",
    );
    home.helm_ok(
        Helm::V3,
        &[
            "repo",
            "index",
            theirs.to_str().unwrap(),
            "--url",
            "https://x/charts",
        ],
    );
    ok(sync(&home, &emu).args([theirs.to_str().unwrap(), &url]));
    let e = run(
        &p,
        &local,
        &remote,
        &RunOptions::default(),
        &Progress::hidden(),
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("changed by another publisher"),
        "{e}"
    );
    let names: Vec<String> = objects(&emu, "").into_iter().map(|(k, _)| k).collect();
    assert!(names.contains(&"b-1.0.0.tgz".to_string()), "{names:?}");
    let index = lossy(&emu.get("charts", "index.yaml").unwrap());
    assert!(
        index.contains("name: c") && !index.contains("name: a"),
        "{index}"
    );

    // --merge-remote: both publishers' charts are listed, and the archives
    // the other published are kept although this folder lacks them.
    let p = plan(
        &local,
        &remote,
        &PlanOptions {
            delete: true,
            ..Default::default()
        },
    )
    .unwrap();
    emu.put(
        "charts",
        "index.yaml",
        &std::fs::read(theirs.join("index.yaml")).unwrap(),
    );
    let r = run(
        &p,
        &local,
        &remote,
        &RunOptions {
            merge_remote: true,
            ..Default::default()
        },
        &Progress::hidden(),
    )
    .unwrap();
    assert!(r.merged_remote);
    let index = lossy(&emu.get("charts", "index.yaml").unwrap());
    for n in ["name: a", "name: b", "name: c"] {
        assert!(index.contains(n), "{n} missing: {index}");
    }
    let names: Vec<String> = objects(&emu, "").into_iter().map(|(k, _)| k).collect();
    for n in ["a-1.0.0.tgz", "b-1.0.0.tgz", "c-1.0.0.tgz"] {
        assert!(names.contains(&n.to_string()), "{n} removed: {names:?}");
    }
}
