//! Writing index files byte for byte as Helm does (`IndexFile.WriteFile`,
//! `WriteJSONFile`).
//!
//! Helm's YAML is `json.Marshal` followed by yaml.v2: every mapping's keys in
//! yaml.v2's natural order, `omitempty` deciding which fields appear, and
//! values that went through JSON (so `import-values` numbers come back as
//! YAML integers or floats). Its JSON is `json.MarshalIndent` in struct order.
//! Both are streamed: nothing close to the size of the output is built in
//! memory besides the writer's buffer.

use std::io::{self, Write};
use std::sync::OnceLock;

use super::index::{ChartVersion, IndexFile};
use super::load::ENTRY_FIELDS;
use crate::chart::encode::{
    json_fields, json_string_map, json_strs, metadata_field, natural_sorted, non_empty, yaml_field,
    yaml_string_map, yaml_strs, Field,
};
use crate::chart::METADATA_FIELDS;
use crate::go::json;
use crate::go::yaml::{sort_natural, Emitter};

/// Entry keys in the order Helm's JSON writer uses: the embedded
/// `chart.Metadata` fields, then `repo.ChartVersion`'s own.
fn entry_keys() -> &'static [&'static str] {
    static K: OnceLock<Vec<&'static str>> = OnceLock::new();
    K.get_or_init(|| {
        METADATA_FIELDS
            .iter()
            .chain(ENTRY_FIELDS)
            .copied()
            .collect()
    })
}

fn yaml_entry_keys() -> &'static [&'static str] {
    static K: OnceLock<Vec<&'static str>> = OnceLock::new();
    K.get_or_init(|| natural_sorted(entry_keys()))
}

fn entry_field<'a>(cv: &'a ChartVersion, key: &str) -> Option<Field<'a>> {
    match key {
        "urls" => Some(Field::Urls(cv.urls.as_deref())),
        "created" => Some(Field::Str(&cv.created)),
        "removed" => cv.removed.then_some(Field::Bool(true)),
        "digest" => non_empty(&cv.digest),
        "checksum" => non_empty(&cv.checksum),
        "engine" => non_empty(&cv.engine),
        "tillerVersion" => non_empty(&cv.tiller_version),
        "url" => non_empty(&cv.url),
        _ => metadata_field(&cv.metadata, key),
    }
}

// ---------------------------------------------------------------- YAML

/// `IndexFile.WriteFile` content.
pub fn write_yaml<W: Write>(index: &IndexFile, out: W) -> io::Result<W> {
    let mut e = Emitter::via_json(out);
    e.begin_mapping()?;
    let mut top: Vec<&str> = vec!["apiVersion", "entries", "generated"];
    if !index.public_keys.is_empty() {
        top.push("publicKeys");
    }
    if !index.annotations.is_empty() {
        top.push("annotations");
    }
    sort_natural(&mut top, |k| k);
    for key in top {
        e.str(key)?;
        match key {
            "apiVersion" => e.str(&index.api_version)?,
            "generated" => e.str(&index.generated)?,
            "publicKeys" => yaml_strs(&mut e, &index.public_keys)?,
            "annotations" => yaml_string_map(&mut e, &index.annotations)?,
            _ => {
                e.begin_mapping()?;
                let mut names: Vec<&String> = index.entries.keys().collect();
                sort_natural(&mut names, |n| n.as_str());
                for name in names {
                    e.str(name)?;
                    e.begin_sequence()?;
                    for cv in &index.entries[name] {
                        yaml_entry(&mut e, cv)?;
                    }
                    e.end_sequence()?;
                }
                e.end_mapping()?;
            }
        }
    }
    e.end_mapping()?;
    e.finish()
}

/// What the emitter writes for `body` inside a top-level mapping, or
/// inside `entries` with `in_entries` (the `entries:` line left out): the
/// same bytes wherever such a node stands, since a block node's layout
/// depends only on its depth.
fn fragment(
    in_entries: bool,
    body: impl FnOnce(&mut Emitter<Vec<u8>>) -> io::Result<()>,
) -> Vec<u8> {
    let emit = || -> io::Result<Vec<u8>> {
        let mut e = Emitter::via_json(Vec::with_capacity(1024));
        e.begin_mapping()?;
        if in_entries {
            e.str("entries")?;
            e.begin_mapping()?;
        }
        body(&mut e)?;
        if in_entries {
            e.end_mapping()?;
        }
        e.end_mapping()?;
        e.finish()
    };
    let mut out = emit().expect("writing to memory");
    if in_entries {
        out.drain(..b"entries:\n".len());
    }
    out
}

/// One entry as [`write_yaml`] writes it inside `entries`, from its `  - `
/// to its last line's newline.
pub(crate) fn yaml_item(cv: &ChartVersion) -> Vec<u8> {
    let mut out = fragment(true, |e| {
        e.str("k")?;
        e.begin_sequence()?;
        yaml_entry(e, cv)?;
        e.end_sequence()
    });
    out.drain(..b"  k:\n".len());
    out
}

/// `KEY: VALUE` (strings) as [`write_yaml`] writes it at the top level.
fn top_line(key: &str, value: &str) -> Vec<u8> {
    fragment(false, |e| {
        e.str(key)?;
        e.str(value)
    })
}

/// A chart's key line inside `entries` (`  NAME:`), or `None` when it is
/// not written on one line of its own.
fn chart_key_line(name: &str) -> Option<Vec<u8>> {
    let mut line = fragment(true, |e| {
        e.str(name)?;
        e.str("x")
    });
    if !line.ends_with(b": x\n") || line.starts_with(b"  ? ") {
        return None;
    }
    line.truncate(line.len() - b" x\n".len());
    line.push(b'\n');
    Some(line)
}

/// A built index merged with [`super::raw::RawEntries`] as
/// [`IndexFile::merge`] and [`IndexFile::sort_entries`] would, ready to be
/// written as [`write_yaml`] would write the result; see [`splice`].
pub struct Spliced<'a> {
    generated: &'a str,
    /// Natural order, each with its key line and its versions sorted.
    charts: Vec<(Vec<u8>, Vec<Piece<'a>>)>,
}

enum Piece<'a> {
    Built(&'a ChartVersion),
    Kept(&'a [u8]),
}

/// `index` (built from a folder) merged with `raw`; `None` when the result
/// is not one this form writes (public keys, annotations, another API
/// version, no entries, a chart name that is no one-line key).
pub fn splice<'a>(index: &'a IndexFile, raw: &'a super::raw::RawEntries) -> Option<Spliced<'a>> {
    if index.api_version != "v1" || !index.public_keys.is_empty() || !index.annotations.is_empty() {
        return None;
    }
    let mut charts: std::collections::BTreeMap<&str, Vec<(&str, Piece)>> = Default::default();
    let mut seen: std::collections::HashSet<(&str, &str)> = Default::default();
    for cv in index.entries.values().flatten() {
        seen.insert((&cv.metadata.name, &cv.metadata.version));
        charts
            .entry(&cv.metadata.name)
            .or_default()
            .push((&cv.metadata.version, Piece::Built(cv)));
    }
    for (name, version, bytes) in raw.items() {
        if seen.insert((name, version)) {
            charts
                .entry(name)
                .or_default()
                .push((version, Piece::Kept(bytes)));
        }
    }
    if charts.is_empty() {
        return None;
    }
    let mut names: Vec<&str> = charts.keys().copied().collect();
    sort_natural(&mut names, |n| n);
    let mut sorted = Vec::with_capacity(names.len());
    for name in names {
        let key = chart_key_line(name)?;
        let mut list = charts.remove(name).expect("listed");
        super::index::sort_versions_by(&mut list, |p| p.0);
        sorted.push((key, list.into_iter().map(|(_, p)| p).collect()));
    }
    Some(Spliced {
        generated: &index.generated,
        charts: sorted,
    })
}

impl Spliced<'_> {
    /// Number of chart versions written.
    pub fn len(&self) -> usize {
        self.charts.iter().map(|(_, l)| l.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes the index file's content.
    pub fn write<W: Write + ?Sized>(&self, out: &mut W) -> io::Result<()> {
        out.write_all(&top_line("apiVersion", "v1"))?;
        out.write_all(b"entries:\n")?;
        for (key, list) in &self.charts {
            out.write_all(key)?;
            for piece in list {
                match piece {
                    Piece::Built(cv) => out.write_all(&yaml_item(cv))?,
                    Piece::Kept(bytes) => out.write_all(bytes)?,
                }
            }
        }
        out.write_all(&top_line("generated", self.generated))
    }
}

fn yaml_entry<W: Write>(e: &mut Emitter<W>, cv: &ChartVersion) -> io::Result<()> {
    e.begin_mapping()?;
    for key in yaml_entry_keys() {
        if let Some(field) = entry_field(cv, key) {
            e.str(key)?;
            yaml_field(e, field)?;
        }
    }
    e.end_mapping()
}

// ---------------------------------------------------------------- JSON

/// `IndexFile.WriteJSONFile` content (`json.MarshalIndent(i, "", "  ")`).
pub fn write_json<W: Write>(index: &IndexFile, out: W) -> io::Result<W> {
    let mut w = json::Writer::new(out);
    w.begin_object()?;
    w.key("apiVersion")?;
    w.string(&index.api_version)?;
    w.key("generated")?;
    w.string(&index.generated)?;
    w.key("entries")?;
    w.begin_object()?;
    for (name, versions) in &index.entries {
        w.key(name)?;
        w.begin_array()?;
        for cv in versions {
            json_entry(&mut w, cv)?;
        }
        w.end_array()?;
    }
    w.end_object()?;
    if !index.public_keys.is_empty() {
        w.key("publicKeys")?;
        json_strs(&mut w, &index.public_keys)?;
    }
    if !index.annotations.is_empty() {
        w.key("annotations")?;
        json_string_map(&mut w, &index.annotations)?;
    }
    w.end_object()?;
    Ok(w.finish())
}

fn json_entry<W: Write>(w: &mut json::Writer<W>, cv: &ChartVersion) -> io::Result<()> {
    json_fields(w, entry_keys(), |k| entry_field(cv, k))
}
