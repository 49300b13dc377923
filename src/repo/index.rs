//! The chart repository index (`pkg/repo/index.go`): model, merge and order.

use std::collections::{BTreeMap, HashSet};
use std::sync::OnceLock;

use crate::chart::Metadata;
use crate::go;
use crate::go::semver::Version;

/// One chart version in an index (`repo.ChartVersion`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChartVersion {
    pub metadata: Metadata,
    /// `None` is Go's nil slice, written as `urls: null`.
    pub urls: Option<Vec<String>>,
    /// Canonical Go form (see [`crate::go::time`]); the zero time if absent.
    pub created: String,
    pub removed: bool,
    pub digest: String,
    pub checksum: String,
    pub engine: String,
    pub tiller_version: String,
    pub url: String,
}

/// A chart repository index (`repo.IndexFile`).
///
/// `entries` is keyed by chart name in byte order (the JSON writer's order;
/// the YAML writer re-orders naturally).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IndexFile {
    pub api_version: String,
    pub generated: String,
    pub entries: BTreeMap<String, Vec<ChartVersion>>,
    pub public_keys: Vec<String>,
    pub annotations: Vec<(String, String)>,
}

impl IndexFile {
    /// `repo.NewIndexFile()`.
    pub fn new(generated: String) -> Self {
        IndexFile {
            api_version: "v1".into(),
            generated,
            ..Default::default()
        }
    }

    /// Appends an entry under its chart name (`IndexFile.MustAdd` after URL
    /// computation).
    pub fn push(&mut self, cv: ChartVersion) {
        self.entries
            .entry(cv.metadata.name.clone())
            .or_default()
            .push(cv);
    }

    /// Number of chart versions.
    pub fn len(&self) -> usize {
        self.entries.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `IndexFile.Merge` with an exact `Has`: entries of `other` are appended
    /// unless the same name and version string is already present.
    ///
    /// Helm falls back to semver constraint matching in `Has`, which drops
    /// versions that differ only in build metadata or are partial
    /// (helm#6710, helm#30692); exact matching keeps them. Duplicates inside
    /// `other` are dropped after their first occurrence, as in Helm, and only
    /// entries merge: top-level annotations and keys of `other` are not kept.
    pub fn merge(&mut self, other: IndexFile) {
        // Helm files each merged entry under its own `name`, not the key it
        // was listed under, and checks `Has` against the growing index.
        let mut seen: HashSet<(String, String)> = self
            .entries
            .values()
            .flatten()
            .map(|c| (c.metadata.name.clone(), c.metadata.version.clone()))
            .collect();
        for cv in other.entries.into_values().flatten() {
            let key = (cv.metadata.name.clone(), cv.metadata.version.clone());
            if seen.insert(key) {
                self.push(cv);
            }
        }
        self.entries.retain(|_, v| !v.is_empty());
    }

    /// `IndexFile.SortEntries`: each chart's versions newest first, with Go's
    /// unstable sort so that equal versions land exactly where Helm puts them.
    pub fn sort_entries(&mut self) {
        for versions in self.entries.values_mut() {
            sort_versions(versions);
        }
    }

    /// Keeps only the newest `n` versions of each chart (after sorting);
    /// returns the versions it dropped, in index order.
    pub fn keep_last(&mut self, n: usize) -> Vec<ChartVersion> {
        let mut dropped = Vec::new();
        for versions in self.entries.values_mut() {
            if versions.len() > n {
                dropped.extend(versions.drain(n..));
            }
        }
        self.entries.retain(|_, v| !v.is_empty());
        dropped
    }
}

/// `sort.Sort(sort.Reverse(ChartVersions))`: a version that fails to parse
/// sorts as lowest ("failed parse pushes to the back").
pub fn sort_versions(versions: &mut Vec<ChartVersion>) {
    sort_versions_by(versions, |c| &c.metadata.version)
}

/// [`sort_versions`] of anything that has a version string.
pub(crate) fn sort_versions_by<T>(versions: &mut Vec<T>, version: impl Fn(&T) -> &str) {
    if versions.len() < 2 {
        return;
    }
    let parsed: Vec<Option<Version>> = versions
        .iter()
        .map(|c| Version::parse(version(c)).ok())
        .collect();
    let mut order: Vec<usize> = (0..versions.len()).collect();
    // ChartVersions.Less(a, b); Reverse swaps the arguments.
    let less = |a: &Option<Version>, b: &Option<Version>| match (a, b) {
        (None, _) => true,
        (_, None) => false,
        (Some(x), Some(y)) => x.compare(y) == std::cmp::Ordering::Less,
    };
    let reverse = |i: &usize, j: &usize| less(&parsed[*j], &parsed[*i]);
    if order.len() > 12 {
        // Go 1.24 changed the generator pdqsort uses to break patterns, so
        // Helm builds from older toolchains (Helm 3.17 and earlier) order some
        // ties differently. Only when the two disagree does it matter which
        // Helm is in use.
        let mut old = order.clone();
        go::sort::sort_go1_23(&mut old, reverse);
        go::sort::sort(&mut order, reverse);
        if old != order && helm_uses_old_go_sort() {
            order = old;
        }
    } else {
        go::sort::sort(&mut order, reverse);
    }
    let mut slots: Vec<Option<T>> = std::mem::take(versions).into_iter().map(Some).collect();
    versions.extend(order.into_iter().filter_map(|i| slots[i].take()));
}

/// Whether the Helm that runs this plugin was built with Go 1.23 or older:
/// `$HELM_BIN version --template {{.GoVersion}}`, asked once and only when a
/// tie order depends on it. Without `HELM_BIN` (run outside Helm), the
/// current toolchain's order is used.
fn helm_uses_old_go_sort() -> bool {
    static OLD: OnceLock<bool> = OnceLock::new();
    *OLD.get_or_init(|| {
        let Some(helm) = std::env::var_os("HELM_BIN").filter(|v| !v.is_empty()) else {
            return false;
        };
        let out = std::process::Command::new(helm)
            .args(["version", "--template", "{{.GoVersion}}"])
            .stderr(std::process::Stdio::null())
            .output();
        let go = out
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default();
        crate::debug!("Helm was built with {go:?}");
        go_minor(&go).is_some_and(|m| m < 24)
    })
}

/// `go1.23.7` → 23.
fn go_minor(v: &str) -> Option<u32> {
    let rest = v.strip_prefix("go1.")?;
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn go_version_parsing() {
        assert_eq!(super::go_minor("go1.23.7"), Some(23));
        assert_eq!(super::go_minor("go1.25.9"), Some(25));
        assert_eq!(super::go_minor("devel"), None);
    }

    use super::*;

    fn cv(name: &str, version: &str) -> ChartVersion {
        ChartVersion {
            metadata: Metadata {
                name: name.into(),
                version: version.into(),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    fn versions(i: &IndexFile, name: &str) -> Vec<String> {
        i.entries[name]
            .iter()
            .map(|c| c.metadata.version.clone())
            .collect()
    }

    #[test]
    fn sorts_newest_first_with_semver_rules() {
        let mut i = IndexFile::new(String::new());
        for v in [
            "0.9.0",
            "1.0.0-rc.2",
            "1.0.0",
            "1.0.0-rc.10",
            "0.10.0",
            "v2.0.0",
            "2.1",
        ] {
            i.push(cv("a", v));
        }
        i.sort_entries();
        assert_eq!(
            versions(&i, "a"),
            [
                "2.1",
                "v2.0.0",
                "1.0.0",
                "1.0.0-rc.10",
                "1.0.0-rc.2",
                "0.10.0",
                "0.9.0"
            ]
        );
    }

    #[test]
    fn merge_is_exact_and_dedups() {
        let mut dir = IndexFile::new(String::new());
        dir.push(cv("a", "1.0.0+build.1"));
        let mut old = IndexFile::new(String::new());
        old.push(cv("a", "1.0.0+build.2"));
        old.push(cv("a", "1.0.0+build.1"));
        old.push(cv("b", "2.0"));
        old.push(cv("b", "2.0"));
        dir.merge(old);
        assert_eq!(versions(&dir, "a"), ["1.0.0+build.1", "1.0.0+build.2"]);
        assert_eq!(versions(&dir, "b"), ["2.0"]);
    }

    #[test]
    fn keep_last_trims_each_chart() {
        let mut i = IndexFile::new(String::new());
        for v in ["1.0.0", "3.0.0", "2.0.0"] {
            i.push(cv("a", v));
        }
        i.push(cv("b", "1.0.0"));
        i.sort_entries();
        let dropped = i.keep_last(2);
        assert_eq!(versions(&i, "a"), ["3.0.0", "2.0.0"]);
        assert_eq!(dropped.len(), 1);
        assert_eq!(dropped[0].metadata.version, "1.0.0");
        assert_eq!(versions(&i, "b"), ["1.0.0"]);
    }
}
