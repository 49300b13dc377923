//! Edges of `helm idx`: option bounds, byte order marks, deep nesting,
//! `build --merge` sources, what `--keep-last` drops, and `check --url`.

use std::fs;
use std::process::Output;

use crate::support::*;

/// `helm idx ARGS -q`: what is left on stderr is what the run has to say
/// beyond its summary line.
fn run(home: &HelmHome, args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    idx(home)
        .args(args.iter().map(|a| a.as_ref()))
        .arg("-q")
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    lossy(&o.stderr)
}

/// A folder with charts a 1.0.0, 1.1.0, 1.2.0 and b 0.1.0.
fn three_versions() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for v in ["1.0.0", "1.1.0", "1.2.0"] {
        write_chart(
            d.path(),
            &format!("a-{v}.tgz"),
            &format!("apiVersion: v2\nname: a\nversion: {v}\n"),
        );
    }
    write_chart(
        d.path(),
        "b-0.1.0.tgz",
        "apiVersion: v2\nname: b\nversion: 0.1.0\n",
    );
    d
}

fn refused_in_one_line(o: &Output, what: &str) {
    assert!(!o.status.success(), "{what}: {}", output_text(o));
    let err = stderr(o);
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(errors.len(), 1, "{what}: {err}");
    assert!(
        errors[0].contains("--keep-last") && errors[0].contains("at least 1"),
        "{what}: {err}"
    );
}

#[test]
fn keep_last_zero_is_refused() {
    let home = HelmHome::new();
    let d = three_versions();
    ok(idx(&home).arg("build").arg(d.path()));
    let index = d.path().join("index.yaml");
    let before = fs::read(&index).unwrap();
    let o = run(&home, &[&"build", &d.path(), &"--keep-last", &"0"]);
    refused_in_one_line(&o, "build");
    assert_eq!(fs::read(&index).unwrap(), before);

    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("index.yaml");
    let o = run(&home, &[&"merge", &target, &index, &"--keep-last", &"0"]);
    refused_in_one_line(&o, "merge");
    assert!(!target.exists());
    // 1 is the least accepted.
    ok(idx(&home)
        .arg("merge")
        .arg(&target)
        .arg(&index)
        .args(["--keep-last", "1"]));
    let merged = fs::read_to_string(&target).unwrap();
    assert!(merged.contains("version: 1.2.0") && !merged.contains("version: 1.1.0"));
}

/// U+FEFF in Chart.yaml and in a merged index, read as Helm reads it (an
/// ordinary character, then dropped by the sanitiser from the fields it
/// cleans), including a byte order mark at the start of each file.
#[test]
fn byte_order_marks_inside_documents_read_as_helm_reads_them() {
    let home = HelmHome::new();
    let b = '\u{feff}';
    let chart = format!(
        "{b}apiVersion: v2\nname: bom\nversion: 1.0.0\ndescription: foo{b}bar\nhome: https://h.example.com/{b}x\nkeywords:\n- k{b}w\n- \"q{b}\"\nannotations:\n  note: x{b}y\n  {b}lead: v\n"
    );
    let old = tempfile::tempdir().unwrap();
    let merge = old.path().join("old.yaml");
    fs::write(
        &merge,
        format!(
            "{b}apiVersion: v1\nentries:\n  old:\n  - name: old\n    version: 0.1.0\n    description: old{b}chart\n    icon: 'https://i.example.com/{b}i.png'\n    annotations:\n      a: \"{b}\"\n      b: c{b}\n    maintainers:\n    - name: M{b}e\n    urls:\n    - https://example.com/old-0.1.0.tgz\n    digest: abc\n    created: \"2020-01-01T00:00:00Z\"\ngenerated: \"2020-01-01T00:00:00Z\"\n"
        ),
    )
    .unwrap();
    let m = merge.to_str().unwrap();
    for helm in [Helm::V3, Helm::V4] {
        let (h, o) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        write_chart(h.path(), "bom-1.0.0.tgz", &chart);
        write_chart(o.path(), "bom-1.0.0.tgz", &chart);
        home.helm_ok(
            helm,
            &["repo", "index", h.path().to_str().unwrap(), "--merge", m],
        );
        let out = run(&home, &[&"build", &o.path(), &"--merge", &m]);
        assert!(out.status.success(), "{}", output_text(&out));
        assert_eq!(stderr(&out), "", "{helm:?}");
        let theirs = fs::read_to_string(h.path().join("index.yaml")).unwrap();
        let ours = fs::read_to_string(o.path().join("index.yaml")).unwrap();
        assert_same_index(&ours, &theirs, &format!("{helm:?}"));
        for want in [
            "description: foobar",
            "description: oldchart",
            "name: old\n",
        ] {
            assert!(ours.contains(want), "{want}: {ours}");
        }
    }
    // `merge` reads such an index too.
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("index.yaml");
    ok(idx(&home).arg("merge").arg(&target).arg(&merge));
    assert!(fs::read_to_string(&target)
        .unwrap()
        .contains("description: oldchart"));
}

fn values_chart(dir: &std::path::Path, name: &str, values: &str) {
    let cy = format!("apiVersion: v2\nname: {name}\nversion: 1.0.0\n");
    fs::write(
        dir.join(format!("{name}-1.0.0.tgz")),
        tgz(&[
            (&format!("{name}/Chart.yaml"), cy.as_bytes()),
            (&format!("{name}/values.yaml"), values.as_bytes()),
        ]),
    )
    .unwrap();
}

/// values.yaml nests as deep as Helm lets it (10,000 levels, block or flow),
/// a JSON index as deep as encoding/json lets it (10,000), and far deeper
/// input or an alias bomb is refused quickly.
#[test]
fn nesting_limits_are_helms() {
    let home = HelmHome::new();
    let flow = |n: usize| format!("a: {}{}\n", "[".repeat(n), "]".repeat(n));
    let flow_map = |n: usize| format!("a: {}x{}\n", "{a: ".repeat(n), "}".repeat(n));
    let block = |n: usize| format!("a:\n  {}x\n", "- ".repeat(n));
    let src = tempfile::tempdir().unwrap();
    values_chart(src.path(), "flow300", &flow(300));
    values_chart(src.path(), "flowmax", &flow(9_999));
    values_chart(src.path(), "mapmax", &flow_map(9_999));
    values_chart(src.path(), "blockmax", &block(9_999));
    values_chart(src.path(), "flowover", &flow(10_000));
    values_chart(src.path(), "blockover", &block(10_000));
    values_chart(src.path(), "huge", &flow(100_000));
    let mut bomb = String::from("a: &a [x,x,x,x,x,x,x,x,x]\n");
    for (p, n) in ["a", "b", "c", "d", "e", "f", "g", "h"]
        .iter()
        .zip(["b", "c", "d", "e", "f", "g", "h", "i"])
    {
        bomb.push_str(&format!(
            "{n}: &{n} [{}]\n",
            vec![format!("*{p}"); 9].join(",")
        ));
    }
    values_chart(src.path(), "bomb", &bomb);
    // A JSON index whose entry has an unknown field 300 levels deep.
    let deep_json = |n: usize| {
        format!(
            "{{\"apiVersion\":\"v1\",\"entries\":{{\"old\":[{{\"name\":\"old\",\"version\":\"0.1.0\",\"urls\":[\"https://e.example.com/old-0.1.0.tgz\"],\"digest\":\"x\",\"x\":{}{}}}]}}}}",
            "[".repeat(n),
            "]".repeat(n)
        )
    };
    let m = tempfile::tempdir().unwrap();
    let merge = m.path().join("old.json");
    fs::write(&merge, deep_json(300)).unwrap();
    let merge = merge.to_str().unwrap();
    for helm in [Helm::V3, Helm::V4] {
        let (h, o) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        for d in [&h, &o] {
            ok(std::process::Command::new("cp")
                .arg("-a")
                .arg(format!("{}/.", src.path().display()))
                .arg(d.path()));
        }
        home.helm_ok(
            helm,
            &[
                "repo",
                "index",
                h.path().to_str().unwrap(),
                "--merge",
                merge,
            ],
        );
        let started = std::time::Instant::now();
        let out = run(&home, &[&"build", &o.path(), &"--merge", &merge]);
        assert!(out.status.success(), "{}", output_text(&out));
        assert!(started.elapsed() < std::time::Duration::from_secs(60));
        let theirs = fs::read_to_string(h.path().join("index.yaml")).unwrap();
        let ours = fs::read_to_string(o.path().join("index.yaml")).unwrap();
        assert_same_index(&ours, &theirs, &format!("{helm:?}"));
        for kept in ["flow300", "flowmax", "mapmax", "blockmax", "old"] {
            assert!(ours.contains(&format!("name: {kept}\n")), "{kept}: {ours}");
        }
        let err = stderr(&out);
        for skipped in ["flowover", "blockover", "huge"] {
            assert!(!ours.contains(&format!("name: {skipped}\n")), "{skipped}");
            assert!(
                err.lines()
                    .any(|l| l.contains(skipped) && l.contains("exceeded max depth of 10000")),
                "{skipped}: {err}"
            );
        }
        assert!(!ours.contains("name: bomb\n"));
        assert!(err.contains("excessive aliasing"), "{err}");
    }
    // 10,000 levels in all (4 around the field): read as JSON; one more is
    // not JSON for Go either, and strict YAML refuses the unknown field.
    for (n, loads) in [(9_996, true), (9_997, false)] {
        let f = m.path().join(format!("{n}.json"));
        fs::write(&f, deep_json(n)).unwrap();
        let o = tempfile::tempdir().unwrap();
        let out = run(&home, &[&"build", &o.path(), &"--merge", &f]);
        assert_eq!(out.status.success(), loads, "{n}: {}", output_text(&out));
        let h = tempfile::tempdir().unwrap();
        let theirs = home.helm(
            Helm::V3,
            &[
                "repo",
                "index",
                h.path().to_str().unwrap(),
                "--merge",
                f.to_str().unwrap(),
            ],
        );
        assert_eq!(theirs.status.success(), loads, "{n}: Helm");
    }
}

/// `build --merge` takes what `merge` takes: a published index by URL (or
/// its repository's URL, or a repository name) keeps every published chart,
/// with URLs that still point at the published archives; a source that
/// cannot be read fails the build; a missing file is created, with a warning.
#[test]
fn build_merge_reads_urls_and_repositories() {
    let home = HelmHome::new();
    let published = tempfile::tempdir().unwrap();
    for v in ["1.0.0", "1.1.0"] {
        write_chart(
            published.path(),
            &format!("a-{v}.tgz"),
            &format!("apiVersion: v2\nname: a\nversion: {v}\n"),
        );
    }
    ok(idx(&home).arg("build").arg(published.path()));
    let server = FileServer::start(published.path(), None);
    fs::write(
        home.path().join("config").join("repositories.yaml"),
        format!(
            "apiVersion: \"\"\ngenerated: \"0001-01-01T00:00:00Z\"\nrepositories:\n- name: pub\n  url: {}\n",
            server.url
        ),
    )
    .unwrap();
    let index_url = format!("{}/index.yaml", server.url);
    for spec in [index_url.clone(), server.url.clone(), "pub".to_string()] {
        let new = tempfile::tempdir().unwrap();
        write_chart(
            new.path(),
            "a-1.2.0.tgz",
            "apiVersion: v2\nname: a\nversion: 1.2.0\n",
        );
        let out = run(&home, &[&"build", &new.path(), &"--merge", &spec]);
        assert!(out.status.success(), "{spec}: {}", output_text(&out));
        assert_eq!(stderr(&out), "", "{spec}");
        let index = fs::read_to_string(new.path().join("index.yaml")).unwrap();
        for want in [
            "- a-1.2.0.tgz".to_string(),
            format!("- {}/a-1.0.0.tgz", server.url),
            format!("- {}/a-1.1.0.tgz", server.url),
        ] {
            assert!(index.contains(&want), "{spec}: {want}\n{index}");
        }
    }
    // An index that cannot be fetched: nothing is written.
    let new = tempfile::tempdir().unwrap();
    write_chart(
        new.path(),
        "a-1.2.0.tgz",
        "apiVersion: v2\nname: a\nversion: 1.2.0\n",
    );
    let missing = format!("{}/nope/index.yaml", server.url);
    let out = run(&home, &[&"build", &new.path(), &"--merge", &missing]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("404"), "{}", stderr(&out));
    assert!(!new.path().join("index.yaml").exists());
    // A file that does not exist is created empty, as Helm creates it.
    let m = new.path().join("merge-into.yaml");
    let out = run(&home, &[&"build", &new.path(), &"--merge", &m]);
    assert!(out.status.success(), "{}", output_text(&out));
    let err = stderr(&out);
    assert!(
        err.lines().count() == 1 && err.contains("merge-into.yaml") && err.contains("created"),
        "{err}"
    );
    assert!(fs::read_to_string(&m).unwrap().contains("entries: {}"));
    let h = tempfile::tempdir().unwrap();
    let hm = h.path().join("merge-into.yaml");
    home.helm_ok(
        Helm::V3,
        &[
            "repo",
            "index",
            h.path().to_str().unwrap(),
            "--merge",
            hm.to_str().unwrap(),
        ],
    );
    assert_same_index(
        &fs::read_to_string(&m).unwrap(),
        &fs::read_to_string(&hm).unwrap(),
        "created merge file",
    );
}

/// `--keep-last` says what it left out (stderr, and `dropped` in `-o json`),
/// and `check --keep-last` does not count those archives as problems.
#[test]
fn keep_last_lists_what_it_drops_and_check_accepts_it() {
    let home = HelmHome::new();
    let d = three_versions();
    let out = run(&home, &[&"build", &d.path(), &"--keep-last", &"2"]);
    assert!(out.status.success(), "{}", output_text(&out));
    assert_eq!(
        stderr(&out),
        "dropped by --keep-last: a 1.0.0 (a-1.0.0.tgz)\n"
    );
    let out = run(
        &home,
        &[&"build", &d.path(), &"--keep-last", &"1", &"-o", &"json"],
    );
    assert!(out.status.success(), "{}", output_text(&out));
    let report = lossy(&out.stdout);
    assert!(
        report.contains("\"dropped\": [")
            && report.contains("\"chart\": \"a\"")
            && report.contains("\"version\": \"1.1.0\"")
            && report.contains("\"url\": \"a-1.0.0.tgz\""),
        "{report}"
    );
    assert_eq!(stderr(&out), "");

    // The dropped archives are still in the folder: a plain check reports
    // them, a check told the --keep-last does not.
    let plain = run(&home, &[&"check", &d.path()]);
    assert!(!plain.status.success());
    let problems = lossy(&plain.stdout);
    assert_eq!(problems.lines().count(), 2, "{problems}");
    assert!(problems.contains("not indexed: a-1.0.0.tgz"), "{problems}");
    let told = run(&home, &[&"check", &d.path(), &"--keep-last", &"1"]);
    assert!(told.status.success(), "{}", output_text(&told));
    // An archive that is newer, or of another chart, is still a problem.
    write_chart(
        d.path(),
        "a-9.0.0.tgz",
        "apiVersion: v2\nname: a\nversion: 9.0.0\n",
    );
    write_chart(
        d.path(),
        "c-1.0.0.tgz",
        "apiVersion: v2\nname: c\nversion: 1.0.0\n",
    );
    let told = run(&home, &[&"check", &d.path(), &"--keep-last", &"1"]);
    assert!(!told.status.success());
    let problems = lossy(&told.stdout);
    assert_eq!(
        problems, "not indexed: a-9.0.0.tgz\nnot indexed: c-1.0.0.tgz\n",
        "{problems}"
    );

    // merge lists them too.
    let out_dir = tempfile::tempdir().unwrap();
    let src = three_versions();
    ok(idx(&home).arg("build").arg(src.path()));
    let target = out_dir.path().join("index.yaml");
    let out = run(
        &home,
        &[
            &"merge",
            &target,
            &src.path().join("index.yaml"),
            &"--keep-last",
            &"2",
        ],
    );
    assert!(out.status.success(), "{}", output_text(&out));
    assert_eq!(
        stderr(&out),
        "dropped by --keep-last: a 1.0.0 (a-1.0.0.tgz)\n"
    );
}

/// `check --url` holds every entry to the URL the index was built with.
#[test]
fn check_url_must_match_every_entry() {
    let home = HelmHome::new();
    let d = three_versions();
    ok(idx(&home)
        .arg("build")
        .arg(d.path())
        .args(["--url", "https://charts.example.com/x"]));
    for good in [
        "https://charts.example.com/x",
        "https://charts.example.com/x/",
    ] {
        let o = run(&home, &[&"check", &d.path(), &"--url", &good]);
        assert!(o.status.success(), "{good}: {}", output_text(&o));
    }
    for wrong in [
        "https://wrong.example.com/x",
        "https://charts.example.com/xy",
        "https://charts.example.com/x/sub",
    ] {
        let o = run(&home, &[&"check", &d.path(), &"--url", &wrong]);
        assert!(!o.status.success(), "{wrong}");
        let problems = lossy(&o.stdout);
        assert_eq!(
            problems
                .lines()
                .filter(|l| l.starts_with("wrong url: "))
                .count(),
            4,
            "{wrong}: {problems}"
        );
        assert!(
            problems.contains(&format!(
                "wrong url: a 1.0.0: https://charts.example.com/x/a-1.0.0.tgz is not under {wrong}"
            )),
            "{problems}"
        );
    }
    // Without --url, only the archives count.
    ok(idx(&home).arg("check").arg(d.path()));
}

#[test]
fn build_and_merge_end_with_one_summary_line_that_quiet_silences() {
    let home = HelmHome::new();
    let d = tempfile::tempdir().unwrap();
    write_chart(
        d.path(),
        "s-1.0.0.tgz",
        "apiVersion: v2\nname: s\nversion: 1.0.0\n",
    );
    let o = ok_output(idx(&home).arg("build").arg(d.path()));
    assert_eq!(
        lossy(&o.stderr).trim(),
        format!(
            "Indexed 1 chart version(s) into {} (0 unchanged, 1 loaded)",
            d.path().join("index.yaml").display()
        )
    );
    let o = ok_output(idx(&home).arg("build").arg(d.path()).arg("-q"));
    assert_eq!(output_text(&o), "");
    let out = d.path().join("merged.yaml");
    let o = ok_output(
        idx(&home)
            .arg("merge")
            .arg(&out)
            .arg(d.path().join("index.yaml")),
    );
    assert!(
        lossy(&o.stderr).starts_with("Merged 1 chart version(s) into "),
        "{}",
        output_text(&o)
    );
    let o = ok_output(
        idx(&home)
            .args(["merge", "-q"])
            .arg(&out)
            .arg(d.path().join("index.yaml")),
    );
    assert_eq!(output_text(&o), "");
}

fn ok_output(c: &mut std::process::Command) -> Output {
    let o = c.output().unwrap();
    assert!(o.status.success(), "{}", output_text(&o));
    o
}
