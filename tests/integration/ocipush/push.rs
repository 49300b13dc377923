//! `helm ocipush` against a real registry (distribution 2.8.2) and the real
//! Helm: the same manifest digest as `helm push`, charts Helm 3 and 4 pull
//! and verify, bulk pushes that upload each blob once, and refusals that
//! happen before anything is uploaded.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::registry::{Registry, RegistryOptions};
use crate::support::*;

fn run(mut c: Command) -> Output {
    c.output().expect("run helm-ocipush")
}

fn json(o: &Output) -> Vec<serde_json::Value> {
    assert!(o.status.success(), "{}", output_text(o));
    serde_json::from_slice::<serde_json::Value>(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", output_text(o)))
        .as_array()
        .unwrap()
        .clone()
}

fn keys() -> PathBuf {
    fixtures().join("prov/keys")
}

/// Charts whose config and annotations exercise every rule of Helm's
/// serialisation: escaping, sanitising, omitted fields, maintainers,
/// annotation overrides, v1 charts with requirements.yaml.
fn tricky_charts(dir: &Path) -> Vec<PathBuf> {
    let charts: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "mychart-0.1.0+build.7.tgz",
            vec![(
                "mychart/Chart.yaml",
                "apiVersion: v2\nname: mychart\nversion: 0.1.0+build.7\nappVersion: \"1.16.0\"\ntype: application\n\
                 description: A Helm chart for Kubernetes testing OCI push\nhome: https://example.com/mychart\n\
                 sources:\n  - https://github.com/example/mychart\n  - https://second.example\n\
                 maintainers:\n  - name: Jane Doe\n    email: jane@example.com\n    url: https://jane.example.com\n  - name: Bob\n\
                 annotations:\n  org.opencontainers.image.licenses: Apache-2.0\n  custom.annotation/foo: bar\n",
            )],
        ),
        (
            "esc-1.2.3-rc.1.tgz",
            vec![(
                "esc/Chart.yaml",
                "apiVersion: v2\nname: esc\nversion: 1.2.3-rc.1\nappVersion: \"2.0\"\ndeprecated: true\n\
                 kubeVersion: \">=1.20.0-0\"\nicon: https://example.com/i.png\nkeywords: [a, b]\n\
                 description: |\n  Line one <b>bold</b> & \"quoted\"\n  line two\ttab é ünïcode\n\
                 dependencies:\n  - name: sub\n    version: 1.x\n    repository: oci://example.com/charts\n    condition: sub.enabled\n    alias: s\n\
                   \x20   tags: [t1]\n    import-values:\n      - child: a\n        parent: b\n      - plain\n\
                 annotations:\n  note: \"<tag> & 'amp' \\u2028\"\n  org.opencontainers.image.title: ignored\n  org.opencontainers.image.created: \"2001-01-01T00:00:00Z\"\n  org.opencontainers.image.description: from annotation\n",
            )],
        ),
        (
            "people-3.0.0.tgz",
            vec![(
                "people/Chart.yaml",
                "apiVersion: v2\nname: people\nversion: 3.0.0\ndescription: \"   \"\n\
                 maintainers:\n  - email: only@example.com\n  - name: Only Name\n  - name: Both\n    email: b@example.com\n",
            )],
        ),
        (
            "legacy-0.9.0.tgz",
            vec![
                (
                    "legacy/Chart.yaml",
                    "name: legacy\nversion: 0.9.0\ndescription: a v1 chart without apiVersion\n",
                ),
                (
                    "legacy/requirements.yaml",
                    "dependencies:\n  - name: redis\n    version: ~10.0.0\n    repository: https://charts.example.com\n    enabled: true\n",
                ),
            ],
        ),
        (
            "v1dep-1.0.0.tgz",
            vec![
                (
                    "v1dep/Chart.yaml",
                    "apiVersion: v1\nname: v1dep\nversion: 1.0.0\nengine: gotpl\n",
                ),
                (
                    "v1dep/requirements.yaml",
                    "dependencies:\n  - name: a\n    version: 1.0.0\n    repository: \"@stable\"\n",
                ),
            ],
        ),
    ];
    charts
        .into_iter()
        .map(|(file, mut files)| {
            let top = files[0].0.split('/').next().unwrap().to_string();
            let values = format!("{top}/values.yaml");
            let tpl = format!("{top}/templates/cm.yaml");
            files.push((&values, "replicas: 1\n"));
            files.push((&tpl, "apiVersion: v1\nkind: ConfigMap\n"));
            let pairs: Vec<(&str, &[u8])> = files.iter().map(|(p, c)| (*p, c.as_bytes())).collect();
            let p = dir.join(file);
            std::fs::write(&p, tgz(&pairs)).unwrap();
            p
        })
        .collect()
}

fn chart_name_version(file: &Path) -> (String, String) {
    let md = wharf::chart::load_file(file).unwrap();
    (md.name, md.version)
}

#[test]
fn same_manifest_digest_as_helm_push() {
    let reg = Registry::start(RegistryOptions::default());
    let home = HelmHome::new();
    let work = tempfile::tempdir().unwrap();
    let mut charts = tricky_charts(work.path());
    // A chart with a .prov signed by Helm 3.17.3 itself, and tricky charts
    // with a .prov from helm prov.
    let demo = work.path().join("demo-0.1.0.tgz");
    let fx = fixtures().join("prov/helm3.17.3-rsa");
    std::fs::copy(fx.join("demo-0.1.0.tgz"), &demo).unwrap();
    std::fs::copy(
        fx.join("demo-0.1.0.tgz.prov"),
        work.path().join("demo-0.1.0.tgz.prov"),
    )
    .unwrap();
    sign(&home, &charts[0]);
    sign(&home, &charts[1]);
    charts.push(demo);
    for tz in ["UTC", "Asia/Tokyo"] {
        for chart in &charts {
            let (name, version) = chart_name_version(chart);
            let tag = version.replace('+', "_");
            let helm = home
                .command(Helm::V3.bin())
                .env("TZ", tz)
                .arg("push")
                .arg(chart)
                .arg(format!("oci://{}/h3/{tz}", reg.host.as_str()).to_lowercase())
                .arg("--plain-http")
                .output()
                .unwrap();
            assert!(
                helm.status.success(),
                "helm push {}: {}",
                chart.display(),
                output_text(&helm)
            );
            let mut c = ocipush(&home);
            c.env("TZ", tz)
                .arg(chart)
                .arg(format!("oci://{}/wharf/{tz}", reg.host).to_lowercase())
                .arg("--plain-http");
            let ours = run(c);
            assert!(ours.status.success(), "{}", output_text(&ours));
            let repo = |p: &str| format!("{p}/{}/{name}", tz.to_lowercase());
            let (hm, hd) = reg.manifest(&repo("h3"), &tag).expect("helm's manifest");
            let (om, od) = reg.manifest(&repo("wharf"), &tag).expect("our manifest");
            assert_eq!(
                String::from_utf8_lossy(&om),
                String::from_utf8_lossy(&hm),
                "{} ({tz})",
                chart.display()
            );
            assert_eq!(od, hd);
            // The output names the reference and digest as helm push does.
            let out = output_text(&ours);
            assert!(
                out.contains(&format!("Pushed: {}/{}:{tag}", reg.host, repo("wharf")))
                    && out.contains(&format!("Digest: {od}")),
                "{out}"
            );
        }
    }
    assert!(reg.dangling().is_empty(), "{:?}", reg.dangling());
}

#[test]
fn helm_3_and_4_pull_and_verify_what_ocipush_pushed() {
    let reg = Registry::start(RegistryOptions::default());
    let home = HelmHome::new();
    let work = tempfile::tempdir().unwrap();
    let charts = tricky_charts(work.path());
    let signed = [charts[0].clone(), charts[2].clone()];
    for c in &signed {
        sign(&home, c);
    }
    let mut c = ocipush(&home);
    c.args(&signed)
        .arg(format!("oci://{}/charts", reg.host))
        .arg("--plain-http");
    let o = run(c);
    assert!(o.status.success(), "{}", output_text(&o));
    for helm in BOTH {
        for chart in &signed {
            let (name, version) = chart_name_version(chart);
            let dest = tempfile::tempdir().unwrap();
            let out = home.helm_ok(
                helm,
                &[
                    "pull",
                    &format!("oci://{}/charts/{name}", reg.host),
                    "--version",
                    &version,
                    "--verify",
                    "--keyring",
                    keys().join("rsa.pub.gpg").to_str().unwrap(),
                    "--plain-http",
                    "--destination",
                    dest.path().to_str().unwrap(),
                ],
            );
            let _ = out;
            let pulled = dest.path().join(format!("{name}-{version}.tgz"));
            assert_eq!(
                std::fs::read(&pulled).unwrap(),
                std::fs::read(chart).unwrap(),
                "Helm {} pulled different bytes for {name}",
                helm.version()
            );
            assert_eq!(
                std::fs::read(format!("{}.prov", pulled.display())).unwrap(),
                std::fs::read(format!("{}.prov", chart.display())).unwrap()
            );
        }
    }
}

#[test]
fn bulk_push_uploads_each_blob_once_and_skips_existing_tags() {
    let reg = Registry::start(RegistryOptions::default());
    let home = HelmHome::new();
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("charts");
    std::fs::create_dir(&dir).unwrap();
    for i in 0..40 {
        write_chart(
            &dir,
            &format!("c{}-1.{i}.0.tgz", i % 5),
            &format!("apiVersion: v2\nname: c{}\nversion: 1.{i}.0\n", i % 5),
        );
    }
    let target = format!("oci://{}/bulk", reg.host);
    let push = |extra: &[&str]| {
        let mut c = ocipush(&home);
        c.arg(&dir)
            .arg(&target)
            .args(["--plain-http", "-o", "json"])
            .args(extra);
        json(&run(c))
    };
    let first = push(&["--concurrency", "6"]);
    assert_eq!(first.len(), 40);
    for r in &first {
        assert_eq!(r["status"], "pushed", "{r}");
        assert_eq!(r["blobsUploaded"], 3 - 1, "config and chart: {r}");
    }
    for i in 0..5 {
        assert_eq!(reg.tags(&format!("bulk/c{i}")).len(), 8);
    }
    // Everything is there: HEAD finds every blob, nothing is uploaded.
    let again = push(&[]);
    assert!(again
        .iter()
        .all(|r| r["status"] == "pushed" && r["blobsUploaded"] == 0));
    // --skip-existing: same manifest → unchanged; a rebuilt archive (new
    // mtime, so a new `created`) is kept out, the tag left as it was.
    let before = reg.manifest("bulk/c0", "1.0.0").unwrap();
    let rebuilt = dir.join("c0-1.0.0.tgz");
    let t = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&rebuilt)
        .unwrap()
        .set_modified(t)
        .unwrap();
    let skipped = push(&["--skip-existing"]);
    let status = |src: &str| {
        skipped
            .iter()
            .find(|r| r["source"].as_str().unwrap().ends_with(src))
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status("c0-1.0.0.tgz"), "kept");
    assert_eq!(status("c1-1.1.0.tgz"), "unchanged");
    assert_eq!(reg.manifest("bulk/c0", "1.0.0").unwrap(), before);
    // Without it, Helm's behaviour: the tag is rewritten.
    let mut c = ocipush(&home);
    c.arg(&rebuilt).arg(&target).arg("--plain-http");
    assert!(run(c).status.success());
    assert_ne!(reg.manifest("bulk/c0", "1.0.0").unwrap(), before);
    assert!(reg.dangling().is_empty(), "{:?}", reg.dangling());
}

#[test]
fn invalid_input_is_refused_before_any_upload() {
    let reg = Registry::start(RegistryOptions::default());
    let home = HelmHome::new();
    let work = tempfile::tempdir().unwrap();
    let d = work.path();
    write_chart(
        d,
        "good-1.0.0.tgz",
        "apiVersion: v2\nname: good\nversion: 1.0.0\n",
    );
    write_chart(
        d,
        "other-1.0.0.tgz",
        "apiVersion: v2\nname: other\nversion: 1.0.0\n",
    );
    sign(&home, &d.join("other-1.0.0.tgz"));
    let target = format!("oci://{}/x", reg.host);
    let attempt = |files: &[&str], target: &str| {
        let mut c = ocipush(&home);
        for f in files {
            c.arg(d.join(f));
        }
        c.arg(target).arg("--plain-http");
        run(c)
    };
    // A .prov for another archive (Helm uploads it, and every pull --verify
    // then fails).
    std::fs::copy(
        d.join("other-1.0.0.tgz.prov"),
        d.join("good-1.0.0.tgz.prov"),
    )
    .unwrap();
    let o = attempt(&["good-1.0.0.tgz", "other-1.0.0.tgz"], &target);
    let out = output_text(&o);
    assert!(!o.status.success());
    assert!(
        out.contains("good-1.0.0.tgz") && out.contains("no entry for good-1.0.0.tgz"),
        "{out}"
    );
    assert!(
        reg.catalog().is_empty(),
        "something was uploaded: {:?}",
        reg.catalog()
    );
    // A .prov for the same name but different bytes.
    write_chart(
        d,
        "other-1.0.0.tgz",
        "apiVersion: v2\nname: other\nversion: 1.0.0\ndescription: changed\n",
    );
    let o = attempt(&["other-1.0.0.tgz"], &target);
    assert!(
        output_text(&o).contains("but the archive is sha256:"),
        "{}",
        output_text(&o)
    );
    std::fs::remove_file(d.join("good-1.0.0.tgz.prov")).unwrap();
    // An upper-case chart name cannot be a repository name.
    write_chart(
        d,
        "Upper-1.0.0.tgz",
        "apiVersion: v2\nname: Upper\nversion: 1.0.0\n",
    );
    let o = attempt(&["good-1.0.0.tgz", "Upper-1.0.0.tgz"], &target);
    let out = output_text(&o);
    assert!(!o.status.success());
    assert!(
        out.contains("\"Upper\"") && out.contains("upper case"),
        "{out}"
    );
    // Bad destinations, a corrupt archive, a missing file: one line each.
    for (files, target, want) in [
        (
            vec!["good-1.0.0.tgz"],
            format!("oci://{}/x:1.0", reg.host),
            "tag or digest",
        ),
        (vec!["good-1.0.0.tgz"], format!("{}/x", reg.host), "oci://"),
        (vec!["missing.tgz"], target.clone(), "no such file"),
    ] {
        let o = attempt(&files, &target);
        let err = String::from_utf8_lossy(&o.stderr).to_string();
        assert!(!o.status.success() && err.contains(want), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    std::fs::write(d.join("corrupt-1.0.0.tgz"), b"\x1f\x8bnot really").unwrap();
    let o = attempt(&["corrupt-1.0.0.tgz"], &target);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(
        !o.status.success() && err.contains("corrupt-1.0.0.tgz"),
        "{err}"
    );
    assert!(!err.contains("panick"), "{err}");
    assert!(reg.catalog().is_empty(), "{:?}", reg.catalog());
}

#[test]
fn extra_tags_point_at_the_same_manifest() {
    let reg = Registry::start(RegistryOptions::default());
    let home = HelmHome::new();
    let work = tempfile::tempdir().unwrap();
    write_chart(
        work.path(),
        "web-1.2.3.tgz",
        "apiVersion: v2\nname: web\nversion: 1.2.3\n",
    );
    let one = work.path().join("web-1.2.3.tgz");
    let target = format!("oci://{}/tags", reg.host);
    let mut c = ocipush(&home);
    c.arg(&one)
        .arg(&target)
        .args(["--plain-http", "--tag", "latest", "--tag", "1.2"]);
    let out = run(c);
    assert!(out.status.success(), "{}", output_text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("Tagged: {}/tags/web:latest", reg.host))
            && err.contains(&format!("Tagged: {}/tags/web:1.2", reg.host)),
        "{err}"
    );
    let (_, version) = reg.manifest("tags/web", "1.2.3").unwrap();
    for t in ["latest", "1.2"] {
        assert_eq!(reg.manifest("tags/web", t).unwrap().1, version, "{t}");
    }
    // --skip-existing with the version kept: the extra tags stay put.
    let newer = work.path().join("again");
    std::fs::create_dir(&newer).unwrap();
    write_chart(
        &newer,
        "web-1.2.3.tgz",
        "apiVersion: v2\nname: web\nversion: 1.2.3\ndescription: other\n",
    );
    let other = newer.join("web-1.2.3.tgz");
    let mut c = ocipush(&home);
    c.arg(&other).arg(&target).args([
        "--plain-http",
        "--skip-existing",
        "--tag",
        "latest",
        "-o",
        "json",
    ]);
    let r = json(&run(c));
    assert_eq!(r[0]["status"], "kept", "{r:?}");
    assert_eq!(reg.manifest("tags/web", "latest").unwrap().1, version);

    // Refusals before anything is read or uploaded: a bad tag, a tag two
    // charts of one repository would race for, --tag with migrate.
    let two = work.path().join("two");
    std::fs::create_dir(&two).unwrap();
    write_chart(
        &two,
        "web-1.0.0.tgz",
        "apiVersion: v2\nname: web\nversion: 1.0.0\n",
    );
    write_chart(
        &two,
        "web-2.0.0.tgz",
        "apiVersion: v2\nname: web\nversion: 2.0.0\n",
    );
    for (args, why) in [
        (
            vec![one.to_str().unwrap(), &target, "--tag=.bad"],
            "not a tag",
        ),
        (
            vec![one.to_str().unwrap(), &target, "--tag", "a+b"],
            "not a tag",
        ),
        (
            vec![two.to_str().unwrap(), &target, "--tag", "latest"],
            "both go to",
        ),
        (
            vec![
                "migrate",
                "https://charts.example.invalid",
                &target,
                "--tag",
                "latest",
            ],
            "migrate pushes every version",
        ),
    ] {
        let mut c = ocipush(&home);
        c.args(&args).arg("--plain-http");
        let out = run(c);
        assert!(!out.status.success(), "{args:?}");
        let line = refused_line(&out, &format!("{args:?}"));
        assert!(line.contains(why), "{args:?}: {line}");
    }
    assert_eq!(reg.tags("tags/web"), ["1.2", "1.2.3", "latest"]);
}
