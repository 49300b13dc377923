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

/// One entry as [`write_yaml`] writes it inside `entries` (from its `  - `
/// to its last line's newline): the same bytes wherever it stands, since a
/// block item's layout depends only on its depth.
pub(crate) fn yaml_item(cv: &ChartVersion) -> Vec<u8> {
    const HEAD: &[u8] = b"entries:\n  k:\n";
    let emit = || -> io::Result<Vec<u8>> {
        let mut e = Emitter::via_json(Vec::with_capacity(1024));
        e.begin_mapping()?;
        e.str("entries")?;
        e.begin_mapping()?;
        e.str("k")?;
        e.begin_sequence()?;
        yaml_entry(&mut e, cv)?;
        e.end_sequence()?;
        e.end_mapping()?;
        e.end_mapping()?;
        e.finish()
    };
    let mut out = emit().expect("writing to memory");
    assert!(out.starts_with(HEAD), "the emitter's block layout");
    out.drain(..HEAD.len());
    out
}

/// A top-level or chart key's line as [`write_yaml`] writes it, with
/// `value` (a plain string) after it: `  KEY: VALUE\n` at `depth` 1.
fn yaml_key_line(depth: usize, key: &str, value: &str) -> Vec<u8> {
    let emit = || -> io::Result<Vec<u8>> {
        let mut e = Emitter::via_json(Vec::new());
        e.begin_mapping()?;
        if depth == 1 {
            e.str("entries")?;
            e.begin_mapping()?;
        }
        e.str(key)?;
        e.str(value)?;
        if depth == 1 {
            e.end_mapping()?;
        }
        e.end_mapping()?;
        e.finish()
    };
    let mut out = emit().expect("writing to memory");
    if depth == 1 {
        out.drain(..b"entries:\n".len());
    }
    out
}

/// An index whose entries are partly kept as the bytes they were read as
/// (see [`super::raw`]): `index` (built, with top-level fields of its own
/// only as below) merged with `raw` as [`IndexFile::merge`] and
/// [`IndexFile::sort_entries`] would, then written as [`write_yaml`] would
/// write the result. `None` when `index` has fields this form does not
/// write (public keys, annotations, another API version).
pub fn write_yaml_spliced<W: Write>(
    index: &IndexFile,
    raw: &super::raw::RawEntries,
    mut out: W,
) -> Option<io::Result<(W, usize)>> {
    if index.api_version != "v1" || !index.public_keys.is_empty() || !index.annotations.is_empty() {
        return None;
    }
    enum Piece<'a> {
        Built(&'a ChartVersion),
        Kept(&'a [u8]),
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
    // Every chart key must be a one-line simple key.
    let mut key_lines = Vec::with_capacity(names.len());
    for name in &names {
        let mut line = yaml_key_line(1, name, "x");
        if !line.ends_with(b": x\n") || line.starts_with(b"  ? ") {
            return None;
        }
        line.truncate(line.len() - 3);
        line.push(b'\n');
        key_lines.push(line);
    }
    let mut count = 0;
    let result = (|| -> io::Result<()> {
        out.write_all(&yaml_key_line(0, "apiVersion", "v1"))?;
        out.write_all(b"entries:\n")?;
        for (name, key) in names.into_iter().zip(key_lines) {
            out.write_all(&key)?;
            let list = charts.get_mut(name).expect("listed");
            super::index::sort_versions_by(list, |p| p.0);
            for (_, piece) in list.iter() {
                match piece {
                    Piece::Built(cv) => out.write_all(&yaml_item(cv))?,
                    Piece::Kept(bytes) => out.write_all(bytes)?,
                }
                count += 1;
            }
        }
        out.write_all(&yaml_key_line(0, "generated", &index.generated))
    })();
    Some(result.map(|()| (out, count)))
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
