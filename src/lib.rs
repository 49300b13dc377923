//! helm-wharf: Helm CLI plugins for publishing charts.
//!
//! All domain logic lives in this library; the binaries in `src/bin/` only
//! parse arguments (clap) and call one function of [`cmd`]. Modules are
//! named as Helm's `pkg/` names the same things, so that a Helm engineer
//! finds `repo`, `chart`, `getter`, `registry` and `provenance` where Helm
//! keeps them; the Go libraries whose exact behaviour shows in Helm's files
//! are ported once, under `go`.
//!
//! # Module map
//!
//! Layers, lowest first. A module may use any module of a lower layer, and
//! modules of its own layer where no cycle results; nothing imports upward.
//! The test `layering` at the end of this file reads this table and checks
//! every `crate::` path under `src/` against it
//! (`cargo test --lib layering`).
//!
//! | layer | modules | what they own |
//! |---|---|---|
//! | 0 | `go` | byte-exact ports of Go libraries: yaml (yaml.v2 via sigs.k8s.io/yaml), json, unmarshal (encoding/json's leniency), semver (Masterminds), sort (pdqsort), strconv, time, url, base64, tar (archive/tar's reader) |
//! | 1 | `cli`, `fileutil`, `parallel` | settings Helm passes to plugins, Helm's paths, the debug log, the output module, shell completion from the clap command tree; atomic writes and folder locks; ordered parallel map |
//! | 2 | `chart`, `plugin` | archives read without extracting, the loader, metadata and its validation, metadata encoding (YAML and JSON), the chart digest; a plugin tarball's `plugin.yaml` and the metadata Helm 4 signs |
//! | 3 | `net` | the one HTTP client builder, TLS files, `Secret` and `SafeUrl` |
//! | 4 | `getter`, `storage` | fetching a URL, the getter chosen by scheme; object storage (GCS, S3, Azure, a folder) with preconditions, checksums and the stores' own credential sources |
//! | 5 | `repo`, `registry`, `provenance`, `sigstore`, `sync` | index files and repositories; OCI artifacts, credentials and the distribution client; `.prov` text, keyrings, signing, verifying; Sigstore bundles, trusted roots and cosign's policies; publishing a repository to object storage and back |
//! | 6 | `cmd` | one module per plugin: `idx`, `ocipush`, `prov`, composing the layers below; `complete`, the values their shell completion offers |
//!
//! The binaries (`src/bin/helm-*.rs`) sit above `cmd`. Within layer 5,
//! `registry` uses `provenance` (to check a `.prov` before pushing it) and
//! `repo` uses `getter`; `repo` and `provenance` use neither each other nor
//! `registry`.

pub mod chart;
pub mod cli;
pub mod cmd;
mod fileutil;
mod getter;
mod go;
pub mod net;
mod parallel;
pub mod plugin;
pub mod provenance;
pub mod registry;
pub mod repo;
#[cfg(feature = "prov")]
pub mod sigstore;
pub mod storage;
pub mod sync;
/// Fixtures and builders shared by unit tests of several layers; compiled
/// only for tests, and outside the layer table.
#[cfg(test)]
mod test_support;

/// mimalloc for every binary of the pack, declared once here. Indexing a
/// large repository allocates millions of small strings from several threads
/// at once; where page faults are expensive, the system allocator's habit of
/// returning memory and faulting it in again cost more than the parsing, and
/// the large-index case of `scripts/bench-idx.py` reached its goal only with
/// mimalloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The layer table above, checked against every `crate::` path in `src/`.
#[cfg(test)]
mod layering {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::{Path, PathBuf};

    /// Module name → layer, read from the table in this file's docs.
    fn layers() -> BTreeMap<String, usize> {
        let lib = include_str!("lib.rs");
        let mut out = BTreeMap::new();
        for line in lib.lines() {
            let Some(row) = line.strip_prefix("//! | ") else {
                continue;
            };
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            let Ok(layer) = cells[0].parse::<usize>() else {
                continue;
            };
            for m in cells[1].split(',') {
                out.insert(m.trim().trim_matches('`').to_string(), layer);
            }
        }
        out
    }

    fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                rust_files(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }

    /// The top-level modules a file names through `crate::` (grouped
    /// imports included); `crate::debug!` is the `cli` module's macro.
    fn uses(text: &str, known: &BTreeMap<String, usize>) -> BTreeSet<String> {
        let ident = |s: &str| -> String {
            s.chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect()
        };
        let mut found = BTreeSet::new();
        for (i, _) in text.match_indices("crate::") {
            let rest = &text[i + "crate::".len()..];
            let names: Vec<String> = match rest.strip_prefix('{') {
                Some(group) => {
                    let end = group.find('}').unwrap_or(group.len());
                    let mut depth = 0;
                    let mut starts = vec![0];
                    for (j, c) in group[..end].char_indices() {
                        match c {
                            '{' => depth += 1,
                            '}' => depth -= 1,
                            ',' if depth == 0 => starts.push(j + 1),
                            _ => {}
                        }
                    }
                    starts
                        .into_iter()
                        .map(|s| ident(group[s..].trim_start()))
                        .collect()
                }
                None => vec![ident(rest)],
            };
            for n in names {
                let n = if n == "debug" { "cli".to_string() } else { n };
                if known.contains_key(&n) {
                    found.insert(n);
                }
            }
        }
        found
    }

    /// A `super::` chain that climbs out of the file's top module: as long
    /// as the file is deep (one more inside an inline `mod tests`), or one
    /// less when it then names another top module.
    fn super_to_root(rel: &Path, text: &str, known: &BTreeMap<String, usize>) -> Option<String> {
        let mut depth = rel.components().count();
        if rel.ends_with("mod.rs") {
            depth -= 1;
        }
        for (i, _) in text.match_indices("super::") {
            if text[..i].ends_with("super::") {
                continue;
            }
            let mut rest = &text[i..];
            let mut k = 0;
            while let Some(r) = rest.strip_prefix("super::") {
                rest = r;
                k += 1;
            }
            let next: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if k > depth || (k == depth && known.contains_key(&next)) {
                return Some(format!(
                    "reaches the crate root through {k} super:: ({next})"
                ));
            }
        }
        None
    }

    #[test]
    fn no_module_imports_one_above_it_or_closes_a_cycle() {
        let layers = layers();
        assert!(layers.len() >= 8, "layer table not found: {layers:?}");
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut wrong = Vec::new();
        for f in &files {
            let rel = f.strip_prefix(&src).unwrap();
            let first = rel
                .components()
                .next()
                .unwrap()
                .as_os_str()
                .to_string_lossy();
            let top = first.trim_end_matches(".rs").to_string();
            if top == "lib" || top == "bin" || top == "test_support" {
                continue;
            }
            let Some(&own) = layers.get(&top) else {
                wrong.push(format!(
                    "{}: module {top} is not in the layer table",
                    rel.display()
                ));
                continue;
            };
            let text = std::fs::read_to_string(f).unwrap();
            if let Some(why) = super_to_root(rel, &text, &layers) {
                wrong.push(format!("{}: {why}", rel.display()));
            }
            for used in uses(&text, &layers) {
                if used == top {
                    continue;
                }
                if layers[&used] > own {
                    wrong.push(format!(
                        "{}: {top} (layer {own}) imports {used} (layer {})",
                        rel.display(),
                        layers[&used]
                    ));
                }
                edges.entry(top.clone()).or_default().insert(used);
            }
        }
        // Within a layer, imports must not form a cycle.
        fn reaches(
            edges: &BTreeMap<String, BTreeSet<String>>,
            from: &str,
            to: &str,
            seen: &mut BTreeSet<String>,
        ) -> bool {
            edges
                .get(from)
                .into_iter()
                .flatten()
                .any(|n| n == to || (seen.insert(n.clone()) && reaches(edges, n, to, seen)))
        }
        for (m, targets) in &edges {
            for t in targets {
                if reaches(&edges, t, m, &mut BTreeSet::new()) {
                    wrong.push(format!("{m} and {t} import each other"));
                }
            }
        }
        assert!(wrong.is_empty(), "layering broken:\n{}", wrong.join("\n"));
    }

    #[test]
    fn grouped_imports_are_seen() {
        let known: BTreeMap<String, usize> = [("chart", 2), ("repo", 5), ("go", 0)]
            .map(|(k, v)| (k.to_string(), v))
            .into();
        let u = uses(
            "use crate::{chart::Metadata, go::{json, yaml}};\nx(crate::repo::y)",
            &known,
        );
        assert_eq!(u.into_iter().collect::<Vec<_>>(), ["chart", "go", "repo"]);
    }
}
