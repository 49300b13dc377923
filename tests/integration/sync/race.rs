//! Sixteen publishers pushing to one repository at once: every chart lands
//! in the index, on every store (all three emulators' conditional writes
//! are atomic), and the index Helm reads lists each of them.

use super::*;

#[test]
fn sixteen_publishers_at_once_end_with_sixteen_entries_on_every_store() {
    for emu in each_store() {
        let kind = emu.kind;
        let home = HelmHome::new();
        let work = tempfile::tempdir().unwrap();
        let url = emu.url("charts", "race");
        let children: Vec<_> = (0..16)
            .map(|i| {
                let name = format!("c{i:02}-1.0.0.tgz");
                write_chart(
                    work.path(),
                    &name,
                    &format!("apiVersion: v2\nname: c{i:02}\nversion: 1.0.0\n"),
                );
                sync(&home, &emu)
                    .args(["push", "--init"])
                    .arg(work.path().join(&name))
                    .arg(&url)
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in children {
            let out = c.wait_with_output().unwrap();
            assert!(out.status.success(), "{kind:?}: {}", output_text(&out));
        }
        let index = emu
            .get("charts", "race/index.yaml")
            .unwrap_or_else(|| panic!("{kind:?}: no index"));
        let loaded = wharf::repo::load_index(&index, "index.yaml", wharf::repo::Strictness::Helm)
            .unwrap()
            .index;
        assert_eq!(loaded.len(), 16, "{kind:?}: {}", lossy(&index));
        let names: Vec<String> = objects(&emu, "race").into_iter().map(|(k, _)| k).collect();
        for i in 0..16 {
            assert!(
                names.contains(&format!("c{i:02}-1.0.0.tgz")),
                "{kind:?}: c{i:02} missing from {names:?}"
            );
        }
    }
}

#[test]
fn push_refuses_an_existing_version_unless_forced_and_delete_removes_index_first() {
    let emu = Emulator::start(Kind::Gcs);
    emu.create_bucket("charts");
    let home = HelmHome::new();
    let work = tempfile::tempdir().unwrap();
    let url = emu.url("charts", "p");
    write_chart(
        work.path(),
        "a-1.0.0.tgz",
        "apiVersion: v2\nname: a\nversion: 1.0.0\n",
    );
    let chart = work.path().join("a-1.0.0.tgz");
    // Its Sigstore bundle goes up and away with it.
    std::fs::write(work.path().join("a-1.0.0.tgz.sigstore.json"), b"{}").unwrap();
    // No bucket: said so, with and without --init.
    for init in [false, true] {
        let mut c = sync(&home, &emu);
        c.arg("push");
        if init {
            c.arg("--init");
        }
        let out = c
            .arg(&chart)
            .arg(emu.url("nobucket", "p"))
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(
            output_text(&out).contains("no such bucket"),
            "{}",
            output_text(&out)
        );
    }
    // No repository there yet: refused without --init.
    let out = sync(&home, &emu)
        .arg("push")
        .arg(&chart)
        .arg(&url)
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", output_text(&out));
    assert!(
        output_text(&out).contains("--init"),
        "{}",
        output_text(&out)
    );
    assert!(objects(&emu, "p").is_empty());
    ok(sync(&home, &emu)
        .args(["push", "--init"])
        .arg(&chart)
        .arg(&url));
    assert_eq!(
        emu.get("charts", "p/a-1.0.0.tgz.sigstore.json").as_deref(),
        Some(&b"{}"[..])
    );
    let out = sync(&home, &emu)
        .arg("push")
        .arg(&chart)
        .arg(&url)
        .output()
        .unwrap();
    assert!(!out.status.success(), "{}", output_text(&out));
    assert!(
        output_text(&out).contains("already in"),
        "{}",
        output_text(&out)
    );
    ok(sync(&home, &emu)
        .args(["push", "--force"])
        .arg(&chart)
        .arg(&url));
    write_chart(
        work.path(),
        "a-2.0.0.tgz",
        "apiVersion: v2\nname: a\nversion: 2.0.0\n",
    );
    ok(sync(&home, &emu)
        .arg("push")
        .arg(work.path().join("a-2.0.0.tgz"))
        .arg(&url));
    let index = lossy(&emu.get("charts", "p/index.yaml").unwrap());
    assert!(
        index.contains("version: 2.0.0") && index.contains("version: 1.0.0"),
        "{index}"
    );

    ok(sync(&home, &emu).args(["delete", "a", &url, "--version", "1.0.0"]));
    let index = lossy(&emu.get("charts", "p/index.yaml").unwrap());
    assert!(!index.contains("version: 1.0.0"), "{index}");
    let names: Vec<String> = objects(&emu, "p").into_iter().map(|(k, _)| k).collect();
    assert!(!names.contains(&"a-1.0.0.tgz".to_string()), "{names:?}");
    assert!(
        !names.contains(&"a-1.0.0.tgz.sigstore.json".to_string()),
        "{names:?}"
    );
    assert!(names.contains(&"a-2.0.0.tgz".to_string()), "{names:?}");
    let out = sync(&home, &emu)
        .args(["delete", "a", &url, "--version", "9.9.9"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        output_text(&out).contains("no version 9.9.9"),
        "{}",
        output_text(&out)
    );
}
