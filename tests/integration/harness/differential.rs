//! Random valid charts, indexed by `helm idx build` and by the real
//! `helm repo index` of Helm 3.17.3 and 4.1.4 and compared byte for byte;
//! a sample of each batch signed by `helm prov sign` and verified by both
//! Helms, and pushed by `helm ocipush` and by `helm push` with the manifest
//! digests compared.
//!
//! Budget: `WHARF_DIFFERENTIAL_SECONDS` (default 45) of batches of
//! `WHARF_DIFFERENTIAL_BATCH` charts (default 250), from the base seed
//! `WHARF_DIFFERENTIAL_SEED` (default fixed, so CI is deterministic). A
//! failure prints the chart's seed; `WHARF_DIFFERENTIAL_REPLAY=SEED[,SEED]`
//! runs exactly those charts. Seeds that once failed are in [`REGRESSIONS`]
//! and run first, every time.
//!
//! Charts whose annotation keys yaml.v2 cannot order consistently (long
//! digit runs, leading zeros, punctuation beside digits) go in their own
//! batches, compared as multisets of lines: Helm itself writes them in a
//! different order from run to run, so any order is right.

use std::collections::HashMap;
use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use super::gen::{self, Chart};
use super::rng::{case_seed, Rng};
use crate::support::registry::{Registry, RegistryOptions};
use crate::support::*;

/// Charts the harness found a difference with once, reduced to what
/// mattered (the generator changes; these stay): (file, Chart.yaml).
const REGRESSIONS: &[(&str, &str)] = &[
    // A raw LS inside a single-quoted scalar: a line break in YAML 1.1,
    // so the spaces before it fold away.
    (
        "ls-1.0.0.tgz",
        "apiVersion: v2\nname: ls\nversion: 1.0.0\ndescription: 'plain words \u{2028}ls trail '\n",
    ),
    // A NEL in an annotation: raw in Go's JSON, then folded by yaml.v2.
    (
        "nel-1.0.0.tgz",
        "apiVersion: v2\nname: nel\nversion: 1.0.0\nappVersion: \"\\u0085nel\"\nannotations:\n  k: \"back\\\\slash \\u0085nel\"\n  y: \"a \\u0085\\u0085b\"\n",
    ),
    // NaN and infinities where a string goes become "NaN", "+Inf", "-Inf".
    (
        "inf-1.0.0.tgz",
        "apiVersion: v2\nname: inf\nversion: 1.0.0\nappVersion: .nan\nkeywords:\n- +.inf\n- -.inf\nmaintainers:\n- name: .inf\nannotations:\n  a: .NaN\n",
    ),
];

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Writes the batch's archives into `dir`.
fn write(dir: &Path, charts: &[Chart]) {
    for c in charts {
        let p = dir.join(&c.file);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        let files: Vec<(&str, &[u8])> = c
            .files
            .iter()
            .map(|(n, b)| (n.as_str(), b.as_slice()))
            .collect();
        fs::write(&p, tgz(&files)).unwrap();
    }
}

/// The index `helm` (Helm's own `repo index`, or ours with `HELM_BIN` of
/// that Helm) writes for `dir` with `flags`; the index is moved out of the
/// folder so the next run starts from none.
fn index_with(home: &HelmHome, helm: Helm, ours: bool, dir: &Path, flags: &[&str]) -> String {
    let d = dir.to_str().unwrap();
    let out = if ours {
        let mut c = idx(home);
        c.env("HELM_BIN", helm.bin()).args(["build", d]).args(flags);
        c.output().unwrap()
    } else {
        let mut args = vec!["repo", "index", d];
        args.extend_from_slice(flags);
        home.helm(helm, &args)
    };
    let who = if ours { "helm idx" } else { "helm repo index" };
    assert!(
        out.status.success(),
        "{who} ({}) failed: {}",
        helm.version(),
        output_text(&out)
    );
    let text = fs::read_to_string(dir.join("index.yaml")).unwrap();
    fs::remove_file(dir.join("index.yaml")).unwrap();
    text
}

/// The chart whose entry holds line `i` of `index`: the first archive file
/// name named at or after it.
fn chart_at<'a>(index: &str, i: usize, by_file: &HashMap<String, &'a Chart>) -> Option<&'a Chart> {
    index.lines().skip(i).find_map(|l| {
        let l = l
            .trim()
            .trim_matches(|c| c == '"' || c == ',' || c == '-' || c == ' ');
        let base = l.rsplit('/').next()?;
        let base = percent_decode(base);
        by_file.get(&base).copied()
    })
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let hex = s
            .get(i + 1..i + 3)
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b[i], hex) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Compares two indexes; on a difference, returns a report naming the
/// chart's seed and showing its Chart.yaml.
fn differs(ours: &str, helm: &str, charts: &[Chart], as_sets: bool) -> Option<String> {
    let (a, b) = (mask_times(ours), mask_times(helm));
    if a == b {
        return None;
    }
    if as_sets {
        let mut la: Vec<&str> = a.lines().collect();
        let mut lb: Vec<&str> = b.lines().collect();
        la.sort_unstable();
        lb.sort_unstable();
        if la == lb {
            return None;
        }
    }
    let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    let i = la
        .iter()
        .zip(&lb)
        .position(|(x, y)| x != y)
        .unwrap_or(la.len().min(lb.len()));
    let by_file: HashMap<String, &Chart> = charts
        .iter()
        .map(|c| (c.file.rsplit('/').next().unwrap().to_string(), c))
        .collect();
    let culprit = chart_at(&a, i, &by_file).or_else(|| chart_at(&b, i, &by_file));
    let ctx = |v: &[&str]| v[i.saturating_sub(4)..(i + 4).min(v.len())].join("\n");
    let about = match culprit {
        Some(c) => format!(
            "{}\n--- Chart.yaml:\n{}",
            if c.seed == 0 {
                format!("kept case {}", c.file)
            } else {
                format!(
                    "chart seed {} ({}; replay: WHARF_DIFFERENTIAL_REPLAY={})",
                    c.seed, c.file, c.seed
                )
            },
            String::from_utf8_lossy(&c.files[0].1)
        ),
        None => "chart not identified".to_string(),
    };
    Some(format!(
        "index differs at line {}: {about}\n--- ours:\n{}\n--- helm:\n{}",
        i + 1,
        ctx(&la),
        ctx(&lb)
    ))
}

/// Signs a sample of `charts` with `helm prov sign` and has both Helms
/// verify each; returns the problems.
fn sign_and_verify(home: &HelmHome, dir: &Path, charts: &[&Chart]) -> Vec<String> {
    let keyring = fixtures().join("prov/keys/rsa.pub.gpg");
    let mut problems = Vec::new();
    for c in charts {
        let path = dir.join(&c.file);
        let mut signing = helm_prov(home);
        signing
            .arg("sign")
            .arg(&path)
            .arg("--keyring")
            .arg(fixtures().join("prov/keys/rsa.sec.gpg"))
            .args(["--key", "rsa@example.com"]);
        let o = signing.output().unwrap();
        if !o.status.success() {
            // ±.inf or .nan where Chart.yaml wants a string: Helm 4 cannot
            // sign it either (`helm package --sign`: "json: unsupported
            // value"), and it is Helm 4's loader that helm prov follows.
            if !output_text(&o).contains("json: unsupported value") {
                problems.push(format!(
                    "chart seed {} ({}): helm prov sign failed: {}",
                    c.seed,
                    c.file,
                    output_text(&o)
                ));
            }
            continue;
        }
        for helm in BOTH {
            let o = home.helm(
                helm,
                &[
                    "verify",
                    path.to_str().unwrap(),
                    "--keyring",
                    keyring.to_str().unwrap(),
                ],
            );
            if !o.status.success() {
                problems.push(format!(
                    "chart seed {} ({}): Helm {} cannot verify what helm prov signed: {}",
                    c.seed,
                    c.file,
                    helm.version(),
                    output_text(&o)
                ));
            }
        }
        let _ = fs::remove_file(dir.join(format!("{}.prov", c.file)));
    }
    problems
}

/// Pushes a sample with `helm push` (Helm 4) and `helm ocipush`; both must
/// succeed or fail together, and store the same manifest.
fn push_both(
    home: &HelmHome,
    reg: &Registry,
    dir: &Path,
    charts: &[&Chart],
    batch: u64,
) -> Vec<String> {
    let mut problems = Vec::new();
    for c in charts {
        let path = dir.join(&c.file);
        let helm = home
            .command(Helm::V4.bin())
            .arg("push")
            .arg(&path)
            .arg(format!("oci://{}/h{batch}", reg.host))
            .arg("--plain-http")
            .output()
            .unwrap();
        let mut ours = ocipush(home);
        ours.arg(&path)
            .arg(format!("oci://{}/w{batch}", reg.host))
            .arg("--plain-http");
        let ours = ours.output().unwrap();
        let what = format!("chart seed {} ({})", c.seed, c.file);
        match (helm.status.success(), ours.status.success()) {
            (true, true) => {
                let tag = c.version.replace('+', "_");
                let h = reg.manifest(&format!("h{batch}/{}", c.name), &tag);
                let w = reg.manifest(&format!("w{batch}/{}", c.name), &tag);
                let digests = (h.map(|m| m.1), w.map(|m| m.1));
                if digests.0 != digests.1 {
                    problems.push(format!("{what}: manifest digests differ: {digests:?}"));
                }
            }
            (false, false) => {}
            (h, _) => problems.push(format!(
                "{what}: helm push {}, helm ocipush {}: {} / {}",
                if h { "succeeded" } else { "failed" },
                if h { "failed" } else { "succeeded" },
                output_text(&helm),
                output_text(&ours)
            )),
        }
    }
    problems
}

/// One batch: index it with both Helms and both of ours, then the samples.
/// Returns the problems found.
fn run_batch(
    home: &HelmHome,
    reg: &Registry,
    charts: &[Chart],
    batch: u64,
    samples: bool,
) -> Vec<String> {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("repo");
    fs::create_dir_all(&dir).unwrap();
    write(&dir, charts);
    if std::env::var_os("WHARF_DIFFERENTIAL_KEEP").is_some() {
        let kept = std::env::temp_dir().join(format!("wharf-differential-{batch}"));
        let _ = fs::remove_dir_all(&kept);
        ok(std::process::Command::new("cp")
            .arg("-a")
            .arg(&dir)
            .arg(&kept));
        eprintln!("batch {batch} kept in {}", kept.display());
    }
    let mut r = Rng::new(batch);
    let mut flags: Vec<&str> = Vec::new();
    if r.chance(30, 100) {
        flags.push("--json");
    }
    if r.chance(40, 100) {
        flags.push("--url");
        flags.push(*r.pick(&[
            "https://charts.example.com",
            "https://charts.example.com/sub dir/ü/",
            "http://127.0.0.1:8080/a%2Fb",
            "oci://example.com/charts",
        ]));
    }
    let as_sets = charts.iter().any(|c| c.hazard);
    let mut problems = Vec::new();
    let mut indexed = String::new();
    for helm in BOTH {
        let theirs = index_with(home, helm, false, &dir, &flags);
        let ours = index_with(home, helm, true, &dir, &flags);
        if let Some(p) = differs(&ours, &theirs, charts, as_sets) {
            problems.push(format!("Helm {} {flags:?}: {p}", helm.version()));
        }
        indexed = theirs;
    }
    if samples {
        // Only charts Helm indexed: the others are invalid for Helm too.
        let sample: Vec<&Chart> = charts
            .iter()
            .filter(|c| indexed.contains(c.file.rsplit('/').next().unwrap()))
            .take(3)
            .collect();
        problems.extend(sign_and_verify(home, &dir, &sample[..sample.len().min(2)]));
        problems.extend(push_both(home, reg, &dir, &sample, batch));
    }
    problems
}

#[test]
fn random_charts_index_sign_and_push_as_helm_does() {
    let budget = Duration::from_secs(env_u64("WHARF_DIFFERENTIAL_SECONDS", 45));
    let size = env_u64("WHARF_DIFFERENTIAL_BATCH", 250) as usize;
    let base = env_u64("WHARF_DIFFERENTIAL_SEED", 0x5eed_0001);
    let home = HelmHome::new();
    let reg = Registry::start(RegistryOptions::default());
    let start = Instant::now();
    let mut problems = Vec::new();

    // Replays, then the seeds that failed before, then fresh batches.
    if let Ok(list) = std::env::var("WHARF_DIFFERENTIAL_REPLAY") {
        let charts: Vec<Chart> = list
            .split(',')
            .filter_map(|s| s.trim().parse().ok())
            .enumerate()
            .map(|(i, seed)| gen::chart(seed, i, true))
            .collect();
        problems.extend(run_batch(&home, &reg, &charts, 0, true));
        assert!(problems.is_empty(), "{}", problems.join("\n\n"));
        return;
    }
    let kept: Vec<Chart> = REGRESSIONS
        .iter()
        .map(|(file, yaml)| gen::fixed(file, yaml))
        .collect();
    problems.extend(run_batch(&home, &reg, &kept, 0, true));
    let (mut batches, mut total, mut hazard_charts) = (0u64, 0usize, 0usize);
    while start.elapsed() < budget || batches < 2 {
        batches += 1;
        // Every fourth batch may hold charts with hazardous keys.
        let hazards = batches % 4 == 0;
        let charts: Vec<Chart> = (0..size)
            .map(|i| {
                let seed = case_seed(base.wrapping_add(batches), i as u64);
                gen::chart(seed, i, hazards)
            })
            .collect();
        total += charts.len();
        hazard_charts += charts.iter().filter(|c| c.hazard).count();
        problems.extend(run_batch(&home, &reg, &charts, batches, true));
        if problems.len() > 5 {
            break;
        }
    }
    eprintln!(
        "differential: {total} charts in {batches} batches ({hazard_charts} with hazardous keys), {:.1}s",
        start.elapsed().as_secs_f64()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// Go's JSON encoder leaves DEL and the C1 controls (but NEL) raw, and
/// yaml.v2 refuses them raw, so one annotation holding one makes Helm's
/// `repo index` fail for the whole folder ("yaml: control characters are
/// not allowed"). `helm idx` writes it escaped instead, as yaml.v2 escapes
/// them, and Helm reads that index.
#[test]
fn a_control_character_helm_cannot_write_is_escaped_and_helm_reads_it() {
    let home = HelmHome::new();
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("repo");
    write_chart(
        &dir,
        "del-1.0.0.tgz",
        "apiVersion: v2\nname: del\nversion: 1.0.0\nannotations:\n  k: \"a\\u007fb\\u0080c\"\n",
    );
    for helm in BOTH {
        let o = home.helm(helm, &["repo", "index", dir.to_str().unwrap()]);
        assert!(!o.status.success(), "Helm {} indexed it", helm.version());
        assert!(output_text(&o).contains("control characters are not allowed"));
    }
    ok(idx(&home).arg("build").arg(&dir));
    let index = fs::read_to_string(dir.join("index.yaml")).unwrap();
    assert!(index.contains(r#"k: "a\x7Fb\x80c""#), "{index}");
    // Helm loads it (and then, writing the merged index, fails as above).
    let served = FileServer::start(&dir, None);
    home.helm_ok(Helm::V4, &["repo", "add", "del", &served.url]);
    let found = home.helm_ok(Helm::V4, &["search", "repo", "del/del"]);
    assert!(found.contains("del/del"), "{found}");
}
