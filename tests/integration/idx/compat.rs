//! `helm idx build` against the real `helm repo index` (Helm 3.17.3 and
//! 4.1.4): the same bytes apart from timestamps.

use std::fs;
use std::path::Path;

use crate::support::*;

/// Charts chosen for the corners of Helm's loader, sanitiser, sort and YAML
/// writer. (file, Chart.yaml)
fn tricky_charts() -> Vec<(String, String)> {
    let mut c: Vec<(String, String)> = vec![
        ("multiline-0.1.0.tgz", "apiVersion: v2\nname: multiline\nversion: 0.1.0\ndescription: |\n  First line of a long description.\n  Second line:   with spaces\tand a tab.\n"),
        ("long-1.0.0.tgz", "apiVersion: v2\nname: long\nversion: 1.0.0\ndescription: A very long description that certainly exceeds the eighty column limit of the yaml emitter, so that it has to be folded onto several lines by the writer, twice over in fact.\nhome: https://example.com/a/very/long/url/that/does/not/contain/any/spaces/and/is/longer/than/eighty/columns/for/sure\n"),
        ("numeric-1.0.0.tgz", "apiVersion: v2\nname: numeric\nversion: 1.0.0\nappVersion: 1.10\nkubeVersion: \">=1.20.0-0\"\nkeywords:\n- \"1.0\"\n- 1.5\n- yes\n- \"null\"\n- \"007\"\n- 0x1F\n- 1e3\n- \"12:30\"\n- \"2024-01-01\"\n"),
        ("numeric-1.0.1.tgz", "apiVersion: v2\nname: numeric\nversion: 1.0.1\nappVersion: \"1.10\"\n"),
        ("numeric-1.0.2.tgz", "apiVersion: v2\nname: numeric\nversion: 1.0.2\nappVersion: on\n"),
        ("numeric-1.0.3.tgz", "apiVersion: v2\nname: numeric\nversion: 1.0.3\nappVersion: 12345678\ndescription: \"true\"\n"),
        ("keywords-0.2.0.tgz", "apiVersion: v2\nname: keywords\nversion: 0.2.0\nkeywords:\n- \"- dash\"\n- \"@at\"\n- \"a: b\"\n- \"x #hash\"\n- \" lead\"\n- \"trail \"\n- \"it's\"\n- \"quote\\\"d\"\n- \"*star\"\n- \"&amp\"\n- \"!bang\"\n- \"%pct\"\n- \"{brace}\"\n- \"[bracket]\"\n- \"|pipe\"\n- \">gt\"\n- \"`tick\"\n- \"?q\"\n- \"~\"\n- \"\"\n"),
        ("unicode-1.2.3.tgz", "apiVersion: v2\nname: unicode\nversion: 1.2.3\ndescription: \"Ünïcødé chärt — 日本語のチャート\"\nmaintainers:\n- name: Jörg Müller\n  email: joerg@example.com\n  url: https://example.com/~jörg\n- name: 山田太郎\n- name: \"Zero\\u200bWidth\"\n"),
        ("deps-2.0.0.tgz", "apiVersion: v2\nname: deps\nversion: 2.0.0\ndependencies:\n- name: postgresql\n  version: \">=12.1.0-0 <13\"\n  repository: https://charts.bitnami.com/bitnami\n  condition: postgresql.enabled\n  tags:\n  - database\n  alias: db\n  import-values:\n  - data\n  - child: default.data\n    parent: myimports\n- name: common\n  repository: \"\"\n  version: 1.x.x\n  enabled: true\n"),
        ("annotated-0.0.1.tgz", "apiVersion: v2\nname: annotated\nversion: 0.0.1\nannotations:\n  artifacthub.io/links: |\n    - name: source\n      url: https://github.com/example/chart\n  artifacthub.io/license: Apache-2.0\n  category: \"1.0\"\n  flag: \"true\"\n  long: This annotation value is long enough to need folding at the eighty column boundary of the emitter.\n  z10: a\n  z9: b\n"),
        ("library-0.1.0.tgz", "apiVersion: v2\nname: library\nversion: 0.1.0\ntype: library\ndeprecated: true\nsources:\n- https://github.com/example/library\nicon: https://example.com/icon.png\n"),
        ("build-1.0.0+build.1.tgz", "apiVersion: v2\nname: build\nversion: 1.0.0+build.1\n"),
        ("build-1.0.0+build.2.tgz", "apiVersion: v2\nname: build\nversion: 1.0.0+build.2\n"),
        ("v1chart-0.3.0.tgz", "apiVersion: v1\nname: v1chart\nversion: 0.3.0\n"),
        ("noapi-0.4.0.tgz", "name: noapi\nversion: 0.4.0\n"),
        ("lenient-3.tgz", "apiVersion: v2\nname: lenient\nversion: \"3\"\n"),
        ("lenient-2.1.tgz", "apiVersion: v2\nname: lenient\nversion: \"2.1\"\n"),
        ("lenient-v2.0.0.tgz", "apiVersion: v2\nname: lenient\nversion: v2.0.0\n"),
        ("lenient-007.1.0.tgz", "apiVersion: v2\nname: lenient\nversion: 007.1.0\n"),
        ("CaseKeys-1.0.0.tgz", "APIVERSION: v2\nNAME: CaseKeys\nVersion: 1.0.0\nunknownField: ignored\n"),
        ("sub/inside-1.0.0.tgz", "apiVersion: v2\nname: inside\nversion: 1.0.0\n"),
        ("sub/deeper/too-deep-1.0.0.tgz", "apiVersion: v2\nname: toodeep\nversion: 1.0.0\n"),
        (".hidden/hidden-1.0.0.tgz", "apiVersion: v2\nname: hidden\nversion: 1.0.0\n"),
        ("a b-1.0.0.tgz", "apiVersion: v2\nname: spaced\nversion: 1.0.0\n"),
        // Skipped by Helm (silently) and by us (with a warning).
        ("bad-version.tgz", "apiVersion: v2\nname: bad\nversion: one\n"),
        ("bad-name.tgz", "apiVersion: v2\nname: a/b\nversion: 1.0.0\n"),
        ("bad-type.tgz", "apiVersion: v2\nname: badtype\nversion: 1.0.0\ntype: plugin\n"),
    ]
    .into_iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    for v in [
        "1.0.0",
        "1.0.0-x-y",
        "1.0.0-rc.10",
        "1.0.0-rc.2",
        "1.0.0-rc.1",
        "1.0.0-beta.11",
        "1.0.0-beta.2",
        "1.0.0-beta",
        "1.0.0-alpha.beta",
        "1.0.0-alpha.1",
        "1.0.0-alpha",
        "1.0.0-X",
        "1.0.0-01a",
        "1.0.0-1",
        "0.10.0",
        "0.9.0",
    ] {
        c.push((
            format!("pre-{v}.tgz"),
            format!("apiVersion: v2\nname: pre\nversion: {v}\n"),
        ));
    }
    for n in [
        "_under", "0zero", "App", "B", "a-b", "a.b", "a_b", "a9", "a10", "ab", "app-2", "app-02",
        "app-10", "z",
    ] {
        c.push((
            format!("names/{n}.tgz"),
            format!("apiVersion: v2\nname: {n}\nversion: 1.0.0\n"),
        ));
    }
    // 13 versions that tie in groups: Go's unstable sort decides their order.
    for i in 0..13 {
        c.push((
            format!("tie-{i:02}.tgz"),
            format!(
                "apiVersion: v2\nname: tie\nversion: 1.0.{}+b{i:02}\n",
                i % 3
            ),
        ));
    }
    // The same chart twice (Helm does not de-duplicate a folder).
    c.push(("dup/multiline-0.1.0.tgz".into(), c[0].1.clone()));
    c
}

fn populate(dir: &Path, charts: &[(String, String)]) {
    for (file, yaml) in charts {
        write_chart(dir, file, yaml);
    }
    fs::write(dir.join("garbage.tgz"), b"this is not a chart").unwrap();
    let full = chart_tgz("cut", "apiVersion: v2\nname: cut\nversion: 1.0.0\n");
    fs::write(dir.join("truncated.tgz"), &full[..full.len() / 2]).unwrap();
    fs::write(
        dir.join("badvalues.tgz"),
        tgz(&[
            (
                "badvalues/Chart.yaml",
                b"apiVersion: v2\nname: badvalues\nversion: 1.0.0\n",
            ),
            ("badvalues/values.yaml", b"a: [unclosed\n"),
        ]),
    )
    .unwrap();
}

/// Copies `src` into a fresh folder.
pub(super) fn copy_dir(src: &Path) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    ok({
        let mut c = std::process::Command::new("cp");
        c.arg("-a")
            .arg(format!("{}/.", src.display()))
            .arg(d.path());
        c
    });
    d
}

/// Runs Helm and `helm idx` on copies of `src` with the same arguments and
/// compares the written index files.
pub(super) fn compare(home: &HelmHome, helm: Helm, src: &Path, extra: &[&str], what: &str) {
    let (h, o) = (copy_dir(src), copy_dir(src));
    let hd = h.path().to_str().unwrap();
    let od = o.path().to_str().unwrap();
    let mut args = vec!["repo", "index", hd];
    args.extend_from_slice(extra);
    home.helm_ok(helm, &args);
    let mut c = idx(home);
    c.env("HELM_BIN", helm.bin())
        .args(["build", od])
        .args(extra);
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "{what}: helm idx failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ours = fs::read_to_string(o.path().join("index.yaml")).unwrap();
    let theirs = fs::read_to_string(h.path().join("index.yaml")).unwrap();
    assert_same_index(&ours, &theirs, &format!("{what} (Helm {})", helm.version()));
}

#[test]
fn tricky_charts_yaml_and_json() {
    let home = HelmHome::new();
    let src = tempfile::tempdir().unwrap();
    populate(src.path(), &tricky_charts());
    for helm in BOTH {
        compare(&home, helm, src.path(), &[], "plain");
        compare(&home, helm, src.path(), &["--json"], "json");
        compare(
            &home,
            helm,
            src.path(),
            &["--url", "https://charts.example.com/stable/"],
            "url",
        );
        compare(
            &home,
            helm,
            src.path(),
            &["--url", "https://h/a%20b/c?tok=1#frag", "--json"],
            "url with query",
        );
    }
}

#[test]
fn skipped_charts_are_reported() {
    let home = HelmHome::new();
    let src = tempfile::tempdir().unwrap();
    populate(src.path(), &tricky_charts());
    let out = idx(&home).args(["build"]).arg(src.path()).output().unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    for f in [
        "garbage.tgz",
        "truncated.tgz",
        "badvalues.tgz",
        "bad-version.tgz",
        "bad-name.tgz",
        "bad-type.tgz",
    ] {
        assert!(err.contains(f), "no warning for {f}: {err}");
    }
    assert!(!err.contains("inside-1.0.0.tgz"), "{err}");
}

#[test]
fn merge_with_an_existing_index() {
    let home = HelmHome::new();
    let src = tempfile::tempdir().unwrap();
    populate(src.path(), &tricky_charts()[..8]);
    let old = tempfile::tempdir().unwrap();
    write_chart(
        old.path(),
        "old-0.1.0.tgz",
        "apiVersion: v2\nname: old\nversion: 0.1.0\n",
    );
    write_chart(
        old.path(),
        "multiline-0.0.9.tgz",
        "apiVersion: v2\nname: multiline\nversion: 0.0.9\n",
    );
    home.helm_ok(
        Helm::V3,
        &[
            "repo",
            "index",
            old.path().to_str().unwrap(),
            "--url",
            "https://old",
        ],
    );
    let merge = old.path().join("index.yaml");
    for helm in BOTH {
        compare(
            &home,
            helm,
            src.path(),
            &["--merge", merge.to_str().unwrap()],
            "merge",
        );
    }
    // A JSON index as the merge source (Helm reads it as lenient JSON).
    let json_old = copy_dir(old.path());
    let jd = json_old.path().to_str().unwrap();
    home.helm_ok(
        Helm::V4,
        &["repo", "index", jd, "--url", "https://old", "--json"],
    );
    let merge = json_old.path().join("index.yaml");
    assert!(fs::read_to_string(&merge).unwrap().starts_with('{'));
    for helm in BOTH {
        compare(
            &home,
            helm,
            src.path(),
            &["--merge", merge.to_str().unwrap()],
            "merge json",
        );
    }
}

#[test]
fn real_gh_pages_indexes_round_trip() {
    let home = HelmHome::new();
    let empty = tempfile::tempdir().unwrap();
    for name in ["argo-index.yaml", "grafana-index.yaml"] {
        let fixture = fixtures().join("index").join(name);
        let f = fixture.to_str().unwrap();
        for helm in BOTH {
            compare(&home, helm, empty.path(), &["--merge", f], name);
            compare(&home, helm, empty.path(), &["--merge", f, "--json"], name);
        }
        // Helm's own writer reproduced the published argo file exactly.
        if name == "argo-index.yaml" {
            let o = copy_dir(empty.path());
            ok({
                let mut c = idx(&home);
                c.args(["build", o.path().to_str().unwrap(), "--merge", f]);
                c
            });
            let ours = fs::read_to_string(o.path().join("index.yaml")).unwrap();
            assert_same_index(
                &ours,
                &fs::read_to_string(&fixture).unwrap(),
                "argo fixture",
            );
        }
    }
}

#[test]
fn missing_merge_file_is_created_like_helm() {
    let home = HelmHome::new();
    let d = tempfile::tempdir().unwrap();
    let m = d.path().join("new-merge.yaml");
    ok({
        let mut c = idx(&home);
        c.arg("build").arg(d.path()).arg("--merge").arg(&m);
        c
    });
    let created = fs::read_to_string(&m).unwrap();
    assert!(
        created.starts_with("apiVersion: v1\nentries: {}\ngenerated: \""),
        "{created}"
    );
}
