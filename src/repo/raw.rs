//! A large index kept as the bytes it was read as, for `--merge`.
//!
//! Merging a few charts into a 16 MB index is, in Helm, reading 16 MB of
//! YAML into structures and writing it all out again. Most of that text is
//! already exactly what the writer would write: an index Helm or this pack
//! wrote. Here each entry of such a file is read by the fast reader of the
//! emitter's own layout ([`crate::go::yaml::load_emitted_sequence`]),
//! decoded and validated as [`super::load_index`] would, and written again
//! in memory; when that gives back its bytes, only its name, version and
//! place in the file are kept, and the writer copies those bytes out. Any
//! entry that reads or writes back otherwise (another layout, an entry Helm
//! would drop with a warning, anything unknown) makes the whole file go
//! through the general path, so the result is always what that path gives.

use std::collections::{BTreeMap, HashSet};

use super::index::{sort_versions_by, ChartVersion, IndexFile};
use super::load::{decode_entry, load_index, Strictness};
use super::write::yaml_item;
use crate::go::unmarshal::{Ctx, Origin};
use crate::go::yaml::{load_emitted_sequence, Value};

/// Index files at least this large are tried in this form.
pub const RAW_MIN: usize = 1 << 20;

const HEAD: &[u8] = b"apiVersion: v1\nentries:\n";

/// The entries of an index file, each as its name, version and bytes.
#[derive(Debug)]
pub struct RawEntries {
    data: Vec<u8>,
    /// By chart name in byte order (as the loaded index's map); each
    /// chart's versions sorted as [`super::load_index`] sorts them.
    charts: BTreeMap<String, Vec<Item>>,
    /// The entries whose digest was asked for, decoded.
    pub decoded: IndexFile,
}

#[derive(Debug)]
struct Item {
    version: String,
    start: usize,
    end: usize,
}

impl RawEntries {
    /// `(name, version, bytes)` of every entry, in the order
    /// [`super::IndexFile::merge`] visits a loaded index's entries.
    pub fn items(&self) -> impl Iterator<Item = (&str, &str, &[u8])> {
        self.charts.iter().flat_map(move |(name, items)| {
            items.iter().map(move |i| {
                (
                    name.as_str(),
                    i.version.as_str(),
                    &self.data[i.start..i.end],
                )
            })
        })
    }

    /// The file's bytes, to be loaded in full after all.
    pub fn into_data(self) -> Vec<u8> {
        self.data
    }

    pub fn len(&self) -> usize {
        self.charts.values().map(Vec::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// `data` (an index file) in this form, with the entries whose digest is in
/// `wanted` decoded too; `Err(data)` when it is not all in the emitter's
/// layout or would load with warnings, and must be loaded in full.
pub fn read_raw(data: Vec<u8>, wanted: &HashSet<String>) -> Result<RawEntries, Vec<u8>> {
    match split(&data, wanted) {
        Some((charts, decoded)) => Ok(RawEntries {
            data,
            charts,
            decoded,
        }),
        None => Err(data),
    }
}

type Charts = BTreeMap<String, Vec<Item>>;
/// An entry's version, and the entry itself when its digest was wanted
/// (boxed: one is kept per entry until all are checked, and most are none).
type Checked = (String, Option<Box<ChartVersion>>);

fn split(data: &[u8], wanted: &HashSet<String>) -> Option<(Charts, IndexFile)> {
    if !data.starts_with(HEAD) || data.contains(&b'\r') {
        return None;
    }
    let text = std::str::from_utf8(data).ok()?;
    // The entries block: every line indented, up to the first that is not.
    let body = HEAD.len();
    let end = text[body..]
        .match_indices('\n')
        .map(|(i, _)| body + i + 1)
        .find(|&i| i < text.len() && !text[i..].starts_with(' '))
        .unwrap_or(text.len());
    // The rest must load alone, strictly and without a warning.
    let rest = format!("apiVersion: v1\nentries: {{}}\n{}", &text[end..]);
    let top = load_index(rest.as_bytes(), "", Strictness::Helm).ok()?;
    if !top.warnings.is_empty() {
        return None;
    }
    // Chart keys at two spaces, each followed by its items at `  - `.
    let mut keys: Vec<(String, Vec<(usize, usize)>)> = Vec::new();
    let mut at = body;
    while at < end {
        let line_end = at + text[at..end].find('\n')? + 1;
        let line = &text[at..line_end - 1];
        if line.starts_with("  - ") {
            let (_, items) = keys.last_mut()?;
            items.push((at, line_end));
        } else if line.starts_with("    ") || line.is_empty() {
            // A field, something deeper, or an empty line of a literal block.
            let (_, items) = keys.last_mut()?;
            items.last_mut()?.1 = line_end;
        } else {
            let key = line.strip_prefix("  ")?.strip_suffix(':')?;
            if key.is_empty() || !key.bytes().all(|b| b.is_ascii_graphic()) {
                return None;
            }
            keys.push((key.to_string(), Vec::new()));
        }
        at = line_end;
    }
    // Each chart's items decoded and checked, on all cores.
    let jobs: Vec<(usize, usize, usize)> = keys
        .iter()
        .enumerate()
        .flat_map(|(k, (_, items))| items.iter().map(move |&(s, e)| (k, s, e)))
        .collect();
    let checked = crate::parallel::map(&jobs, |&(k, start, end)| {
        check_item(&text[start..end], &keys[k].0, wanted)
    });
    let mut checked = checked.into_iter();
    let mut charts: Charts = BTreeMap::new();
    let mut decoded = IndexFile::default();
    for (key, ranges) in keys {
        let mut items = Vec::with_capacity(ranges.len());
        for (start, end) in ranges {
            let (version, cv) = checked.next()??;
            if let Some(cv) = cv {
                decoded.push(*cv);
            }
            items.push(Item {
                version,
                start,
                end,
            });
        }
        if items.is_empty() {
            return None;
        }
        sort_versions_by(&mut items, |i| &i.version);
        if charts.insert(key, items).is_some() {
            return None; // a duplicate chart key: the full load reports it
        }
    }
    Some((charts, decoded))
}

/// Reads one entry (`  - ` to its last line) listed under `key`: its
/// version, and the entry itself when its digest is wanted.
fn check_item(text: &str, key: &str, wanted: &HashSet<String>) -> Option<Checked> {
    let Value::Seq(mut items) = load_emitted_sequence(text, 2)? else {
        return None;
    };
    let value = items.pop().filter(|_| items.is_empty())?;
    if value.non_finite().is_some() || value == Value::Null {
        return None;
    }
    let ctx = Ctx {
        origin: Origin::Yaml,
        strict: true,
    };
    let mut cv = decode_entry(value, ctx).ok()?;
    if cv.metadata.name != key || cv.metadata.api_version.is_empty() {
        return None;
    }
    if let Err(e) = cv.metadata.validate() {
        if !e.is_duplicate_dependency() {
            return None;
        }
    }
    if yaml_item(&cv) != text.as_bytes() {
        return None;
    }
    let version = cv.metadata.version.clone();
    Some((version, wanted.contains(&cv.digest).then(|| Box::new(cv))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repo::{splice, write_yaml};

    fn fixture(name: &str) -> Vec<u8> {
        let p = crate::test_support::fixture("index").join(name);
        std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    fn built() -> IndexFile {
        let mut i = IndexFile::new("2026-01-01T00:00:00Z".into());
        let mut cv = ChartVersion {
            created: "2026-01-01T00:00:00Z".into(),
            digest: "d".into(),
            urls: Some(vec!["https://x/new-1.0.0.tgz".into()]),
            ..Default::default()
        };
        cv.metadata.api_version = "v2".into();
        cv.metadata.name = "argo-cd".into();
        cv.metadata.version = "0.0.1-new".into();
        i.push(cv);
        i
    }

    #[test]
    fn spliced_output_equals_the_general_path() {
        for name in ["argo-index.yaml", "grafana-index.yaml"] {
            let data = fixture(name);
            let full = load_index(&data, "", Strictness::Helm).unwrap().index;
            let mut want_index = built();
            want_index.merge(full);
            want_index.sort_entries();
            let want = write_yaml(&want_index, Vec::new()).unwrap();
            let raw = read_raw(data, &HashSet::new()).unwrap_or_else(|_| panic!("{name}"));
            let built = built();
            let spliced = splice(&built, &raw).unwrap();
            let mut got = Vec::new();
            spliced.write(&mut got).unwrap();
            assert_eq!(spliced.len(), want_index.len(), "{name}");
            assert!(got == want, "{name}: spliced output differs");
        }
    }

    #[test]
    fn wanted_digests_are_decoded_and_other_forms_refused() {
        let data = fixture("argo-index.yaml");
        let full = load_index(&data, "", Strictness::Helm).unwrap().index;
        let some = full.entries.values().flatten().nth(5).unwrap().clone();
        let wanted: HashSet<String> = [some.digest.clone()].into();
        let raw = read_raw(data.clone(), &wanted).unwrap();
        let decoded: Vec<&ChartVersion> = raw.decoded.entries.values().flatten().collect();
        assert_eq!(decoded, [&some]);
        // Not what the writer writes: a time in another form, a comment,
        // an unknown field, a duplicate chart key.
        let text = String::from_utf8(data).unwrap();
        let created = text.find("    created: \"").unwrap();
        let line_end = created + text[created..].find('\n').unwrap();
        let odd_time = format!(
            "{}    created: \"2024-01-01T10:00:00.0000Z\"{}",
            &text[..created],
            &text[line_end..]
        );
        let first_item = text.find("\n  - ").unwrap() + 1;
        let comment = format!("{}  # c\n{}", &text[..first_item], &text[first_item..]);
        let unknown = text.replacen("    digest: ", "    bogus: x\n    digest: ", 1);
        let first_key = text.find("entries:\n").unwrap() + 9;
        let second_key = first_key + 1 + text[first_key + 1..].find("\n  a").unwrap() + 1;
        let dup = format!(
            "{}{}{}",
            &text[..second_key],
            &text[first_key..second_key],
            &text[second_key..]
        );
        for (what, bad) in [
            ("time", odd_time),
            ("comment", comment),
            ("unknown", unknown),
            ("dup", dup),
        ] {
            assert!(
                read_raw(bad.into_bytes(), &HashSet::new()).is_err(),
                "{what}"
            );
        }
    }
}
