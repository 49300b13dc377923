//! A generator of valid but unusual charts: unicode and numeric-looking
//! strings, long and folded descriptions, keys with digit runs, annotations,
//! dependencies, maintainers, build metadata and prerelease versions,
//! subfolders. Every chart is one seed.

// `*r.pick(&[..])` spells out the `&&str` → `&str` step on purpose: where
// the target is `&str`, inference would make `pick`'s element `str`.
#![allow(clippy::explicit_auto_deref)]

use super::rng::Rng;

/// One generated chart.
pub struct Chart {
    pub seed: u64,
    /// Path inside the repository folder (`sub/x-1.0.0.tgz` for subfolders).
    pub file: String,
    pub name: String,
    pub version: String,
    /// The archive's files: (path inside the archive, content).
    pub files: Vec<(String, Vec<u8>)>,
    /// Whether its maps have keys on which yaml.v2's comparison is not a
    /// strict weak order (long digit runs, leading zeros, punctuation next
    /// to digits): Helm's own order for them changes from run to run.
    pub hazard: bool,
}

const NAMES: &[&str] = &[
    "app",
    "my-chart",
    "a9",
    "a10",
    "x.y",
    "under_score",
    "Upper",
    "nginx",
    "z",
    "a-b",
    "ab",
    "app-2",
    "app-02",
    "app-10",
    "0zero",
    "_lead",
    "db.v2",
    "redis-cluster",
];

/// Scalars YAML resolves to something other than a string when plain.
const TRICKY_PLAIN: &[&str] = &[
    "1.10",
    "1.0",
    "007",
    "0x1F",
    "1e3",
    "-1",
    "+1",
    ".5",
    "1_000",
    "yes",
    "no",
    "on",
    "off",
    "true",
    "false",
    "null",
    "~",
    "12:30",
    "2024-01-01",
    "0o17",
    ".inf",
    "-.inf",
    ".nan",
    "12345678901234567890",
    "1.2.3",
    "0.0",
    "3.0",
    "2.10",
];

/// Text fragments that stress quoting, escaping and folding. (Not DEL or
/// the C1 controls but NEL: where Helm does not strip them, they make
/// `helm repo index` fail for the whole folder, a difference tested on its
/// own.)
const FRAGMENTS: &[&str] = &[
    "plain words",
    "Ünïcødé",
    "日本語のチャート",
    "emoji 🚀🔥",
    "RTL עברית",
    "zero\u{200b}width",
    "combining e\u{301}",
    "a: b",
    "x #hash",
    " lead",
    "trail ",
    "it's",
    "quote\"d",
    "back\\slash",
    "tab\there",
    "- dash",
    "*star",
    "&amp",
    "!bang",
    "%pct",
    "{brace}",
    "[bracket]",
    "|pipe",
    ">gt",
    "`tick",
    "?q",
    "@at",
    "\u{a0}nbsp",
    "\u{85}nel",
    "\u{2028}ls",
    "ctrl\u{7}bell",
    "\u{feff}bomless",
];

fn string(r: &mut Rng) -> String {
    match r.below(10) {
        0 => r.pick(TRICKY_PLAIN).to_string(),
        1 => String::new(),
        2 => {
            // Long: folded at 80 columns by the emitter.
            let n = 3 + r.below(25);
            (0..n)
                .map(|_| *r.pick(&["lorem", "ipsum", "dolor", "sit", "amet", "ü", "x"]))
                .collect::<Vec<_>>()
                .join(" ")
        }
        3 => (0..(1 + r.below(4)))
            .map(|_| *r.pick(FRAGMENTS))
            .collect::<Vec<_>>()
            .join(""),
        _ => {
            let n = 1 + r.below(3);
            (0..n)
                .map(|_| *r.pick(FRAGMENTS))
                .collect::<Vec<_>>()
                .join(" ")
        }
    }
}

/// A YAML double-quoted scalar of `s` (every string is representable).
fn dq(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' || c == '\u{85}' || c == '\u{feff}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c if c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `s` as a YAML scalar in one of the styles a chart author might use.
fn scalar(r: &mut Rng, s: &str) -> String {
    let plain_safe = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || " ._-/".contains(c))
        && !s.starts_with([' ', '-', '.'])
        && !s.ends_with(' ');
    match r.below(4) {
        0 if plain_safe => s.to_string(),
        1 if !s
            .chars()
            .any(|c| c.is_control() || c == '\u{feff}' || c == '\u{85}') =>
        {
            format!("'{}'", s.replace('\'', "''"))
        }
        _ => dq(s),
    }
}

fn version(r: &mut Rng) -> String {
    let n = |r: &mut Rng| -> String {
        match r.below(12) {
            0 => "2147483648".into(),
            1 => "10".into(),
            _ => r.below(12).to_string(),
        }
    };
    let mut v = match r.below(12) {
        0 => format!("v{}.{}.{}", n(r), n(r), n(r)),
        1 => format!("{}.{}", n(r), n(r)),
        _ => format!("{}.{}.{}", n(r), n(r), n(r)),
    };
    if r.chance(35, 100) {
        let pre = *r.pick(&[
            "rc.1", "rc.10", "rc.2", "alpha", "alpha.1", "beta.11", "0.3.7", "x-y-z", "X", "1",
            "01a", "SNAPSHOT",
        ]);
        v = format!("{v}-{pre}");
    }
    if r.chance(25, 100) {
        let build = *r.pick(&[
            "build.5",
            "20240101",
            "sha.abc123",
            "exp.sha.5114f85",
            "001",
        ]);
        v = format!("{v}+{build}");
    }
    v
}

/// A map key: safe ones sort the same in every run of Helm; with `hazard`,
/// possibly one yaml.v2 orders inconsistently.
fn key(r: &mut Rng, hazard: bool) -> (String, bool) {
    if hazard && r.chance(40, 100) {
        let k = match r.below(4) {
            0 => format!("k{}", "9".repeat(19 + r.below(6))),
            1 => format!("k0{}", r.below(100)),
            2 => format!("k{}-{}", r.below(10), r.below(10)),
            _ => format!("k.{}x{}", r.below(1000), "0".repeat(1 + r.below(3))),
        };
        return (k, true);
    }
    let mut k = String::new();
    for seg in 0..(1 + r.below(3)) {
        if seg > 0 {
            k.push(*r.pick(&['/', '.', '-']));
        }
        let word: &&str = r.pick(&["app", "z", "a", "io", "example", "b", "category", "ü"]);
        k.push_str(word);
        if r.chance(50, 100) {
            k.push_str(&(1 + r.below(2000)).to_string());
            let suffix: &&str = r.pick(&["x", "", "y"]);
            k.push_str(suffix);
            if k.ends_with(|c: char| c.is_ascii_digit()) {
                k.push('e');
            }
        }
    }
    (k, false)
}

fn url(r: &mut Rng) -> String {
    r.pick(&[
        "https://example.com",
        "https://example.com/~jörg/a b",
        "http://127.0.0.1:8080/x?y=1&z=2",
        "https://example.com/a/very/long/url/that/does/not/contain/any/spaces/and/is/longer/than/eighty/columns",
        "git@github.com:example/repo.git",
        "",
    ])
    .to_string()
}

/// The chart of `seed`; `i` makes its file name unique in a batch.
pub fn chart(seed: u64, i: usize, hazards: bool) -> Chart {
    let mut r = Rng::new(seed);
    let name = r.pick(NAMES).to_string();
    let version = version(&mut r);
    let mut hazard = false;
    let v1 = r.chance(10, 100);
    let mut y = String::new();
    y += if v1 {
        "apiVersion: v1\n"
    } else {
        "apiVersion: v2\n"
    };
    y += &format!("name: {}\n", scalar(&mut r, &name));
    y += &format!("version: {}\n", dq(&version));
    if r.chance(70, 100) {
        if r.chance(20, 100) {
            // A literal block: Helm turns it into one line.
            y += "description: |\n";
            for _ in 0..(1 + r.below(3)) {
                let line = *r.pick(&["First line.", "  indented  twice", "with\ttab", "ü: ok"]);
                y += &format!("  {line}\n");
            }
        } else {
            let s = string(&mut r);
            y += &format!("description: {}\n", scalar(&mut r, &s));
        }
    }
    if r.chance(50, 100) {
        let a = if r.chance(50, 100) {
            r.pick(TRICKY_PLAIN).to_string()
        } else {
            dq(&string(&mut r))
        };
        y += &format!("appVersion: {a}\n");
    }
    if r.chance(30, 100) {
        let kv = *r.pick(&[">=1.20.0-0", "^1.19", "~1.2.3", ">= 1.16 < 1.30", "1.x"]);
        y += &format!("kubeVersion: {}\n", dq(kv));
    }
    if !v1 && r.chance(20, 100) {
        y += &format!(
            "type: {}\n",
            *r.pick(&["application", "library", "Application"])
        );
    }
    if r.chance(10, 100) {
        y += "deprecated: true\n";
    }
    if r.chance(40, 100) {
        y += &format!("home: {}\n", dq(&url(&mut r)));
    }
    if r.chance(20, 100) {
        y += &format!("icon: {}\n", dq(&url(&mut r)));
    }
    if r.chance(30, 100) {
        y += "sources:\n";
        for _ in 0..(1 + r.below(2)) {
            y += &format!("- {}\n", dq(&url(&mut r)));
        }
    }
    if r.chance(40, 100) {
        y += "keywords:\n";
        for _ in 0..(1 + r.below(4)) {
            let k = if r.chance(30, 100) {
                r.pick(TRICKY_PLAIN).to_string()
            } else {
                dq(&string(&mut r))
            };
            y += &format!("- {k}\n");
        }
    }
    if r.chance(40, 100) {
        y += "maintainers:\n";
        for _ in 0..(1 + r.below(3)) {
            let n = string(&mut r);
            y += &format!("- name: {}\n", dq(&n));
            if r.chance(50, 100) {
                y += "  email: someone@example.com\n";
            }
            if r.chance(30, 100) {
                y += &format!("  url: {}\n", dq(&url(&mut r)));
            }
        }
    }
    if r.chance(45, 100) {
        y += "annotations:\n";
        let h = hazards && r.chance(30, 100);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..(1 + r.below(6)) {
            let (k, risky) = key(&mut r, h);
            if !seen.insert(k.clone()) {
                continue;
            }
            hazard |= risky;
            let v = string(&mut r);
            y += &format!("  {}: {}\n", dq(&k), dq(&v));
        }
    }
    if !v1 && r.chance(30, 100) {
        y += "dependencies:\n";
        for d in 0..(1 + r.below(2)) {
            y += &format!("- name: dep{d}\n");
            y += &format!(
                "  version: {}\n",
                dq(*r.pick(&[">=12.1.0-0 <13", "1.x.x", "~2.0", "*"]))
            );
            y += &format!(
                "  repository: {}\n",
                dq(*r.pick(&[
                    "https://charts.example.com",
                    "oci://r.example/c",
                    "file://../dep",
                    "@stable",
                    ""
                ]))
            );
            if r.chance(50, 100) {
                y += "  condition: dep.enabled\n";
            }
            if r.chance(30, 100) {
                y += "  tags:\n  - database\n  - \"1.0\"\n";
            }
            if r.chance(30, 100) {
                y += &format!("  alias: {}\n", dq(*r.pick(&["db", "d-1", "x_y"])));
            }
            if r.chance(30, 100) {
                y += "  import-values:\n  - data\n  - child: default.data\n    parent: myimports\n";
            }
        }
    }
    let top = format!("{name}-{version}-{i}");
    let file = match r.below(10) {
        0 => format!("sub/{top}.tgz"),
        1 => format!(".dot/{top}.tgz"),
        _ => format!("{top}.tgz"),
    };
    let values = match r.below(4) {
        0 => "replicas: 1\n".to_string(),
        1 => "a:\n  b:\n    c: [1, 2, {d: e}]\n".to_string(),
        2 => format!("s: {}\n", dq(&string(&mut r))),
        _ => String::new(),
    };
    let files = vec![
        (format!("{name}/Chart.yaml"), y.into_bytes()),
        (format!("{name}/values.yaml"), values.into_bytes()),
        (
            format!("{name}/templates/cm.yaml"),
            b"apiVersion: v1\nkind: ConfigMap\n".to_vec(),
        ),
    ];
    Chart {
        seed,
        file,
        name,
        version,
        files,
        hazard,
    }
}

/// A chart of the given Chart.yaml (for cases kept as they were found).
pub fn fixed(file: &str, chart_yaml: &str) -> Chart {
    let name = file.rsplit_once('-').map_or(file, |(n, _)| n).to_string();
    let version = file
        .trim_end_matches(".tgz")
        .rsplit_once('-')
        .map_or("", |(_, v)| v)
        .to_string();
    Chart {
        seed: 0,
        file: file.to_string(),
        files: vec![
            (format!("{name}/Chart.yaml"), chart_yaml.as_bytes().to_vec()),
            (format!("{name}/values.yaml"), Vec::new()),
        ],
        name,
        version,
        hazard: false,
    }
}
