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
