//! Hostile input: refused quickly, in bounded memory, with one clear error
//! line naming the file, and the existing index left as it was.

use std::fs;
use std::io::Write;
use std::process::Output;
use std::time::Duration;

use crate::support::tgz::{
    gzip, gzip_expanding, pax_record, tar_header, tar_header_typed, tar_member,
};
use crate::support::*;

fn existing_index(home: &HelmHome) -> (tempfile::TempDir, Vec<u8>) {
    let d = tempfile::tempdir().unwrap();
    write_chart(
        d.path(),
        "good-1.0.0.tgz",
        "apiVersion: v2\nname: good\nversion: 1.0.0\n",
    );
    ok({
        let mut c = idx(home);
        c.arg("build").arg(d.path());
        c
    });
    let before = fs::read(d.path().join("index.yaml")).unwrap();
    (d, before)
}

fn assert_refused(out: &Output, elapsed: Duration, file: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "accepted hostile {file}");
    assert!(err.contains(file), "error does not name {file}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
}

#[test]
fn hostile_archives_are_skipped_and_refused_in_strict_mode() {
    let home = HelmHome::new();
    let (d, _) = existing_index(&home);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "dotdot.tgz",
            tgz(&[
                ("x/Chart.yaml", b"apiVersion: v2\nname: x\nversion: 1.0.0\n"),
                ("x/../../etc/evil", b"x"),
            ]),
        ),
        (
            "absolute.tgz",
            tgz(&[
                ("x/Chart.yaml", b"apiVersion: v2\nname: x\nversion: 1.0.0\n"),
                ("x//etc/evil", b"x"),
            ]),
        ),
        ("corrupt.tgz", {
            let mut v = chart_tgz("c", "apiVersion: v2\nname: c\nversion: 1.0.0\n");
            let n = v.len();
            for b in &mut v[20..n - 10] {
                *b ^= 0x5a;
            }
            v
        }),
        ("empty.tgz", Vec::new()),
    ];
    for (name, data) in &cases {
        let before = fs::read(d.path().join("index.yaml")).unwrap();
        fs::write(d.path().join(name), data).unwrap();
        let (out, elapsed, _) = run_measured({
            let mut c = idx(&home);
            c.arg("build").arg(d.path()).arg("--strict");
            c
        });
        assert_refused(&out, elapsed, name);
        assert_eq!(fs::read(d.path().join("index.yaml")).unwrap(), before);
        // Without --strict it is skipped with a warning, the rest indexed.
        let o = idx(&home).arg("build").arg(d.path()).output().unwrap();
        assert!(o.status.success());
        assert!(String::from_utf8_lossy(&o.stderr).contains(name));
        fs::remove_file(d.path().join(name)).unwrap();
        ok({
            let mut c = idx(&home);
            c.arg("build").arg(d.path());
            c
        });
    }
    assert!(!std::path::Path::new("/etc/evil").exists());
}

#[test]
fn decompression_bomb_is_refused_fast_in_bounded_memory() {
    let home = HelmHome::new();
    let (d, before) = existing_index(&home);
    // A 300 MB Chart.yaml of spaces compresses to a few hundred KB.
    let size: usize = 300 * 1024 * 1024;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&tar_header("bomb/Chart.yaml", size)).unwrap();
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..300 {
        gz.write_all(&chunk).unwrap();
    }
    fs::write(d.path().join("bomb.tgz"), gz.finish().unwrap()).unwrap();
    let (out, elapsed, rss) = run_measured({
        let mut c = idx(&home);
        c.arg("build").arg(d.path()).arg("--strict");
        c
    });
    assert_refused(&out, elapsed, "bomb.tgz");
    assert!(rss < 200 * 1024, "peak RSS {rss} KiB");
    assert_eq!(fs::read(d.path().join("index.yaml")).unwrap(), before);
}

#[test]
fn alias_bombs_and_duplicate_keys_in_an_index_are_refused() {
    let home = HelmHome::new();
    let (d, before) = existing_index(&home);
    let mut bomb = String::from("apiVersion: v1\na0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    for i in 1..10 {
        let prev = format!("*a{}", i - 1);
        bomb.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 9].join(",")));
    }
    bomb.push_str("entries: {}\n");
    let cases = [
        ("bomb.yaml", bomb),
        (
            "dupkey.yaml",
            "apiVersion: v1\napiVersion: v1\nentries: {}\n".to_string(),
        ),
        (
            "dupentrykey.yaml",
            "apiVersion: v1\nentries:\n  a:\n  - name: a\n    version: 1.0.0\n    version: 2.0.0\n"
                .to_string(),
        ),
        ("notyaml.yaml", "apiVersion: v1\nentries: [\n".to_string()),
    ];
    for (name, text) in &cases {
        let m = d.path().join(name);
        fs::write(&m, text).unwrap();
        let (out, elapsed, rss) = run_measured({
            let mut c = idx(&home);
            c.arg("build").arg(d.path()).arg("--merge").arg(&m);
            c
        });
        assert_refused(&out, elapsed, name);
        assert!(rss < 300 * 1024, "{name}: peak RSS {rss} KiB");
        assert_eq!(
            fs::read(d.path().join("index.yaml")).unwrap(),
            before,
            "{name}"
        );
        let out = idx(&home)
            .arg("merge")
            .arg(d.path().join("index.yaml"))
            .arg(&m)
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert_eq!(
            fs::read(d.path().join("index.yaml")).unwrap(),
            before,
            "{name}"
        );
        fs::remove_file(&m).unwrap();
    }
    // The same bomb as the folder's own index.yaml: refused, kept.
    fs::write(d.path().join("index.yaml"), &cases[0].1).unwrap();
    let (out, elapsed, _) = run_measured({
        let mut c = idx(&home);
        c.arg("build").arg(d.path());
        c
    });
    assert_refused(&out, elapsed, "index.yaml");
    assert_eq!(
        fs::read_to_string(d.path().join("index.yaml")).unwrap(),
        cases[0].1
    );
}

/// Annotation keys of long digit runs (some wrapping around int64), on
/// which yaml.v2's key comparison is not a total order: a standard sort may
/// abort on them. Helm indexes such a chart; so must every command here.
fn digit_run_keys(n: usize, mut seed: u64) -> Vec<String> {
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    (0..n)
        .map(|_| {
            let len = 1 + (next() % 25) as usize;
            let mut k: String = (0..len)
                .map(|_| char::from(b'0' + (next() % 10) as u8))
                .collect();
            if next() % 3 == 0 {
                k.insert(0, 'k');
            }
            k
        })
        .collect()
}

#[test]
fn keys_without_a_total_order_are_indexed_signed_and_pushed() {
    let home = HelmHome::new();
    let d = tempfile::tempdir().unwrap();
    for (i, seed) in [11u64, 3, 7].into_iter().enumerate() {
        let mut yaml = format!("apiVersion: v2\nname: keys{i}\nversion: 1.0.0\nannotations:\n");
        for (j, k) in digit_run_keys(21 + 40 * i, seed).iter().enumerate() {
            yaml.push_str(&format!("  \"{k}\": \"v{j}\"\n"));
        }
        write_chart(d.path(), &format!("keys{i}-1.0.0.tgz"), &yaml);
    }
    for _ in 0..2 {
        let out = idx(&home).arg("build").arg(d.path()).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && !err.contains("panicked"), "{err}");
    }
    let first = fs::read_to_string(d.path().join("index.yaml")).unwrap();
    for i in 0..3 {
        assert!(first.contains(&format!("keys{i}:")), "{first}");
    }
    // Deterministic: a fresh build writes the same bytes but for times.
    fs::remove_file(d.path().join("index.yaml")).unwrap();
    ok({
        let mut c = idx(&home);
        c.arg("build").arg(d.path());
        c
    });
    let again = fs::read_to_string(d.path().join("index.yaml")).unwrap();
    assert_eq!(mask_times(&first), mask_times(&again));
    // Helm indexes the same folder (in some order of its own).
    let helm_dir = tempfile::tempdir().unwrap();
    for i in 0..3 {
        let f = format!("keys{i}-1.0.0.tgz");
        fs::copy(d.path().join(&f), helm_dir.path().join(&f)).unwrap();
    }
    home.helm_ok(
        Helm::V4,
        &["repo", "index", helm_dir.path().to_str().unwrap()],
    );
    let helm = fs::read_to_string(helm_dir.path().join("index.yaml")).unwrap();
    assert_eq!(helm.lines().count(), first.lines().count());
    // Signing and pushing sort the same maps.
    let mut c = home.command(env!("CARGO_BIN_EXE_helm-prov"));
    c.arg("sign")
        .arg(d.path().join("keys2-1.0.0.tgz"))
        .arg("--keyring")
        .arg(fixtures().join("prov/keys/rsa.sec.gpg"))
        .args(["--key", "rsa@example.com"]);
    ok(c);
    let mut c = ocipush(&home);
    c.arg(d.path())
        .args(["oci://127.0.0.1:1/x", "--plain-http", "--dry-run"]);
    ok(c);
}

/// An archive whose first member is a special header (GNU long name `L` or
/// link `K`, PAX `x` or global `g`) of `mib` MiB, then a valid chart: a few
/// hundred KB on disk.
pub(super) fn special_header_bomb(typeflag: u8, mib: usize, chart: &str) -> Vec<u8> {
    let head = tar_header_typed(b"././@LongLink", mib << 20, typeflag);
    let mut tail = tar_member(
        format!("{chart}/Chart.yaml").as_bytes(),
        format!("apiVersion: v2\nname: {chart}\nversion: 1.0.0\n").as_bytes(),
    );
    tail.resize(tail.len() + 1024, 0);
    gzip_expanding(&head, b'a', mib, &tail)
}

/// Go's archive/tar refuses special headers over 1 MiB, so Helm skips
/// these archives at once; every kind of special header is refused the same
/// way here, the rest of the folder indexed as Helm indexes it.
#[test]
fn oversized_tar_special_headers_are_skipped_fast_in_bounded_memory() {
    let home = HelmHome::new();
    let d = tempfile::tempdir().unwrap();
    write_chart(
        d.path(),
        "good-1.0.0.tgz",
        "apiVersion: v2\nname: good\nversion: 1.0.0\n",
    );
    write_chart(
        d.path(),
        "sub/other-1.0.0.tgz",
        "apiVersion: v2\nname: other\nversion: 1.0.0\n",
    );
    let bombs = [
        ("longname", b'L'),
        ("longlink", b'K'),
        ("pax", b'x'),
        ("paxglobal", b'g'),
        ("sub/longname2", b'L'),
    ];
    for (name, flag) in bombs {
        let chart = name.rsplit('/').next().unwrap();
        fs::write(
            d.path().join(format!("{name}-1.0.0.tgz")),
            special_header_bomb(flag, 250, chart),
        )
        .unwrap();
    }
    let (out, elapsed, rss) = run_measured({
        let mut c = idx(&home);
        c.arg("build").arg(d.path());
        c
    });
    let err = lossy(&out.stderr);
    assert!(out.status.success(), "{}", &err[..err.len().min(2000)]);
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
    assert!(rss < 150 * 1024, "peak RSS {rss} KiB");
    for (name, _) in bombs {
        let line = err
            .lines()
            .find(|l| l.contains(&format!("{name}-1.0.0.tgz")))
            .unwrap_or_else(|| panic!("no warning for {name}: {}", &err[..err.len().min(2000)]));
        assert!(line.len() < 300, "warning of {} bytes", line.len());
        assert!(line.contains("too long"), "{line}");
    }
    let index = fs::read_to_string(d.path().join("index.yaml")).unwrap();
    assert!(index.contains("good-1.0.0.tgz") && index.contains("sub/other-1.0.0.tgz"));
    for helm in BOTH {
        super::compat::compare(&home, helm, d.path(), &[], "special header bombs");
    }
}

/// Archive-controlled text (entry names, chart names, subchart folders)
/// reaches messages cut to a readable length, however long it is.
#[test]
fn archive_strings_in_messages_are_cut_short() {
    let home = HelmHome::new();
    let d = tempfile::tempdir().unwrap();
    write_chart(
        d.path(),
        "good-1.0.0.tgz",
        "apiVersion: v2\nname: good\nversion: 1.0.0\n",
    );
    let long = "a".repeat(900 * 1024);
    let chart = |n: &str| format!("apiVersion: v2\nname: {n}\nversion: 1.0.0\n").into_bytes();
    let with_long_name = |name: String, size: usize, data: &[u8]| {
        let mut raw = tar_header_typed(b"././@LongLink", name.len(), b'L').to_vec();
        raw.extend_from_slice(name.as_bytes());
        raw.resize(raw.len().div_ceil(512) * 512, 0);
        raw.extend_from_slice(&tar_header_typed(b"x/placeholder", size, b'0'));
        raw.extend_from_slice(data);
        raw.resize(raw.len().div_ceil(512) * 512 + 1024, 0);
        raw
    };
    let pax_path = |path: String| {
        let rec = pax_record("path", path.as_bytes());
        let mut raw = tar_header_typed(b"x/PaxHeader", rec.len(), b'x').to_vec();
        raw.extend_from_slice(&rec);
        raw.resize(raw.len().div_ceil(512) * 512, 0);
        raw.extend_from_slice(&tar_header_typed(b"x/placeholder", 5, b'0'));
        raw.extend_from_slice(b"a: 1\n");
        raw.resize(raw.len().div_ceil(512) * 512, 0);
        raw
    };
    let mut subchart = tar_member(b"x/Chart.yaml", &chart("x"));
    subchart.extend(pax_path(format!("x/charts/{long}/values.yaml")));
    subchart.resize(subchart.len() + 1024, 0);
    let mut big_file = tar_member(b"x/Chart.yaml", &chart("x"));
    big_file.extend(with_long_name(format!("x/{long}"), 6 << 20, b""));
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "parent.tgz",
            gzip(&with_long_name(format!("x/../{long}"), 1, b"x")),
        ),
        ("outside.tgz", gzip(&with_long_name(long.clone(), 1, b"x"))),
        (
            "name.tgz",
            tgz(&[("x/Chart.yaml", &chart(&format!("a/{long}")))]),
        ),
        ("subchart.tgz", gzip(&subchart)),
        ("bigfile.tgz", gzip(&big_file)),
    ];
    for (file, data) in &cases {
        fs::write(d.path().join(file), data).unwrap();
    }
    let (out, elapsed, _) = run_measured({
        let mut c = idx(&home);
        c.arg("build").arg(d.path());
        c
    });
    let err = lossy(&out.stderr);
    assert!(out.status.success(), "{}", &err[..err.len().min(2000)]);
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
    for (file, _) in &cases {
        let line = err
            .lines()
            .find(|l| l.contains(file))
            .unwrap_or_else(|| panic!("no warning for {file}: {}", &err[..err.len().min(2000)]));
        assert!(line.len() < 1000, "{file}: warning of {} bytes", line.len());
        assert!(line.contains('…'), "{file}: not cut: {line}");
    }
    // --strict: one line naming every archive, still short.
    let out = idx(&home)
        .arg("build")
        .arg(d.path())
        .arg("--strict")
        .output()
        .unwrap();
    let err = lossy(&out.stderr);
    assert!(!out.status.success());
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "{}",
        &err[..err.len().min(2000)]
    );
    assert!(err.len() < 5000, "error of {} bytes", err.len());
    // Helm skips all of them too.
    for helm in BOTH {
        super::compat::compare(&home, helm, d.path(), &[], "long strings");
    }
}

/// Go's archive/tar ends an archive at EOF in the padding after the last
/// member's data, or where the end-of-archive blocks would start, as at a
/// full or single zero block; EOF inside a header, inside data or inside
/// the second zero block is an error. Helm indexes exactly the first kind.
#[test]
fn tar_ends_are_read_as_go_reads_them() {
    let home = HelmHome::new();
    let d = tempfile::tempdir().unwrap();
    let cy = |n: &str| format!("apiVersion: v2\nname: {n}\nversion: 1.0.0\n").into_bytes();
    let member =
        |n: &str, file: &str, data: &[u8]| tar_member(format!("{n}/{file}").as_bytes(), data);
    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();
    let one = |n: &str| member(n, "Chart.yaml", &cy(n));
    let two = |n: &str| {
        let mut m = one(n);
        m.extend(member(n, "values.yaml", &b"a: 1\n".repeat(100)));
        m
    };
    let data_len = |n: &str| 512 + cy(n).len();
    // Accepted by Go: EOF in the padding, at a block boundary, after one
    // zero block.
    cases.push(("padcut", one("padcut")[..data_len("padcut") + 10].to_vec()));
    cases.push(("padnone", one("padnone")[..data_len("padnone")].to_vec()));
    cases.push(("notrailer", one("notrailer")));
    cases.push(("onezero", [one("onezero"), vec![0; 512]].concat()));
    let t = two("padtwo");
    cases.push(("padtwo", t[..t.len() - 10].to_vec()));
    // Refused by Go: EOF inside data, a header or the second zero block.
    let t = two("datacut");
    cases.push(("datacut", t[..t.len() - 300].to_vec()));
    let t = two("hdrcut");
    cases.push(("hdrcut", t[..1024 + 100].to_vec()));
    cases.push(("halfzero", [one("halfzero"), vec![0; 700]].concat()));
    for (name, raw) in &cases {
        fs::write(d.path().join(format!("{name}-1.0.0.tgz")), gzip(raw)).unwrap();
    }
    let out = idx(&home).arg("build").arg(d.path()).output().unwrap();
    let err = lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    for name in ["padcut", "padnone", "notrailer", "onezero", "padtwo"] {
        assert!(!err.contains(&format!("{name}-")), "{name} skipped: {err}");
    }
    for name in ["datacut", "hdrcut", "halfzero"] {
        let line = err
            .lines()
            .find(|l| l.contains(&format!("{name}-")))
            .unwrap_or_else(|| panic!("{name} not skipped: {err}"));
        assert!(line.contains("truncated"), "{line}");
    }
    for helm in BOTH {
        super::compat::compare(&home, helm, d.path(), &[], "tar ends");
    }
}

/// Go strings are bytes: Helm keeps non-UTF-8 file names as they are, in
/// archive entries (two subchart folders differing only in invalid bytes
/// are two subcharts) and in the folder (the URL escapes the raw bytes).
#[test]
fn non_utf8_names_are_bytes_as_in_helm() {
    use std::os::unix::ffi::OsStrExt;
    let home = HelmHome::new();
    let d = tempfile::tempdir().unwrap();
    let p = |b: &[u8]| d.path().join(std::ffi::OsStr::from_bytes(b));
    let cy = |n: &str| format!("apiVersion: v2\nname: {n}\nversion: 1.0.0\n").into_bytes();
    fs::write(
        p(b"caf\xe9-0.1.0.tgz"),
        chart_tgz("cafe", &lossy(&cy("cafe"))),
    )
    .unwrap();
    fs::write(p(b"x\xe9\x80-1.0.0.tgz"), chart_tgz("x", &lossy(&cy("x")))).unwrap();
    fs::create_dir(p(b"sub\xff")).unwrap();
    fs::create_dir(p(b"sub\xfe")).unwrap();
    fs::write(
        p(b"sub\xff/caf\xe9-0.2.0.tgz"),
        chart_tgz("cafe", "apiVersion: v2\nname: cafe\nversion: 0.2.0\n"),
    )
    .unwrap();
    fs::write(p(b"sub\xfe/y-1.0.0.tgz"), chart_tgz("y", &lossy(&cy("y")))).unwrap();
    // One subchart folder without Chart.yaml: Helm refuses the chart.
    fs::write(
        p(b"collapse-1.0.0.tgz"),
        tgz_bytes(&[
            (b"collapse/Chart.yaml", &cy("collapse")),
            (b"collapse/charts/\xff/Chart.yaml", &cy("one")),
            (b"collapse/charts/\xfe/values.yaml", b"a: 1\n"),
        ]),
    )
    .unwrap();
    // Two complete ones: Helm indexes it.
    fs::write(
        p(b"two-1.0.0.tgz"),
        tgz_bytes(&[
            (b"two/Chart.yaml", &cy("two")),
            (b"two/charts/\xff/Chart.yaml", &cy("one")),
            (b"two/charts/\xfe/Chart.yaml", &cy("other")),
        ]),
    )
    .unwrap();
    let out = idx(&home).arg("build").arg(d.path()).output().unwrap();
    let err = lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("collapse-1.0.0.tgz"), "{err}");
    for helm in BOTH {
        super::compat::compare(&home, helm, d.path(), &[], "non-UTF-8 names");
        super::compat::compare(
            &home,
            helm,
            d.path(),
            &["--url", "https://h/c"],
            "non-UTF-8 names with --url",
        );
    }
}
