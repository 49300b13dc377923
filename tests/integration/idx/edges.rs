//! Edges of `helm idx`: option bounds, byte order marks, deep nesting,
//! `build --merge` sources, what `--keep-last` drops, and `check --url`.

use std::fs;
use std::process::Output;

use crate::support::*;

fn run(home: &HelmHome, args: &[&dyn AsRef<std::ffi::OsStr>]) -> Output {
    idx(home)
        .args(args.iter().map(|a| a.as_ref()))
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
