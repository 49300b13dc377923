//! Chart metadata as Helm serialises it: `yaml.Marshal(chart.Metadata)` (the
//! first part of a provenance file) and `json.Marshal(chart.Metadata)` (the
//! config blob of an OCI chart), byte for byte.
//!
//! Both go through Go's `encoding/json` first, so the same rules decide which
//! fields appear (`omitempty`) and how values look; YAML then orders every
//! mapping's keys in yaml.v2's natural order, JSON keeps struct order. Index
//! entries embed the same metadata, so the index writer in `repo` builds on
//! the field access and writers here.

use std::io::{self, Write};
use std::sync::OnceLock;

use super::metadata::{self, DEPENDENCY_FIELDS, MAINTAINER_FIELDS};
use super::{Dependency, Maintainer, Metadata};
use crate::go::json;
use crate::go::strconv;
use crate::go::yaml::{sort_natural, Emitter, Value};

/// Field names in yaml.v2's key order.
pub(crate) fn natural_sorted(keys: &[&'static str]) -> Vec<&'static str> {
    let mut v = keys.to_vec();
    sort_natural(&mut v, |k| k);
    v
}

fn yaml_dependency_keys() -> &'static [&'static str] {
    static K: OnceLock<Vec<&'static str>> = OnceLock::new();
    K.get_or_init(|| natural_sorted(DEPENDENCY_FIELDS))
}

fn yaml_maintainer_keys() -> &'static [&'static str] {
    static K: OnceLock<Vec<&'static str>> = OnceLock::new();
    K.get_or_init(|| natural_sorted(MAINTAINER_FIELDS))
}

/// A field's value as `json.Marshal` would see it, `None` when `omitempty`
/// leaves it out.
pub(crate) enum Field<'a> {
    Str(&'a str),
    Strs(&'a [String]),
    Bool(bool),
    Urls(Option<&'a [String]>),
    Maintainers(&'a [Option<Maintainer>]),
    Dependencies(&'a [Option<Dependency>]),
    Annotations(&'a [(String, String)]),
}

pub(crate) fn non_empty(s: &str) -> Option<Field<'_>> {
    (!s.is_empty()).then_some(Field::Str(s))
}

pub(crate) fn metadata_field<'a>(md: &'a Metadata, key: &str) -> Option<Field<'a>> {
    match key {
        "name" => non_empty(&md.name),
        "home" => non_empty(&md.home),
        "sources" => (!md.sources.is_empty()).then_some(Field::Strs(&md.sources)),
        "version" => non_empty(&md.version),
        "description" => non_empty(&md.description),
        "keywords" => (!md.keywords.is_empty()).then_some(Field::Strs(&md.keywords)),
        "maintainers" => {
            (!md.maintainers.is_empty()).then_some(Field::Maintainers(&md.maintainers))
        }
        "icon" => non_empty(&md.icon),
        "apiVersion" => non_empty(&md.api_version),
        "condition" => non_empty(&md.condition),
        "tags" => non_empty(&md.tags),
        "appVersion" => non_empty(&md.app_version),
        "deprecated" => md.deprecated.then_some(Field::Bool(true)),
        "annotations" => {
            (!md.annotations.is_empty()).then_some(Field::Annotations(&md.annotations))
        }
        "kubeVersion" => non_empty(&md.kube_version),
        "dependencies" => {
            (!md.dependencies.is_empty()).then_some(Field::Dependencies(&md.dependencies))
        }
        "type" => non_empty(&md.chart_type),
        _ => None,
    }
}

fn dependency_field<'a>(d: &'a Dependency, key: &str) -> Option<DepField<'a>> {
    match key {
        "name" => Some(DepField::Str(&d.name)),
        "version" => (!d.version.is_empty()).then_some(DepField::Str(&d.version)),
        "repository" => Some(DepField::Str(&d.repository)),
        "condition" => (!d.condition.is_empty()).then_some(DepField::Str(&d.condition)),
        "tags" => (!d.tags.is_empty()).then_some(DepField::Strs(&d.tags)),
        "enabled" => d.enabled.then_some(DepField::Bool(true)),
        "import-values" => {
            (!d.import_values.is_empty()).then_some(DepField::Values(&d.import_values))
        }
        "alias" => (!d.alias.is_empty()).then_some(DepField::Str(&d.alias)),
        _ => None,
    }
}

enum DepField<'a> {
    Str(&'a str),
    Strs(&'a [String]),
    Bool(bool),
    Values(&'a [Value]),
}

fn maintainer_field<'a>(m: &'a Maintainer, key: &str) -> Option<&'a str> {
    let s = match key {
        "name" => &m.name,
        "email" => &m.email,
        _ => &m.url,
    };
    (!s.is_empty()).then_some(s.as_str())
}

pub(crate) fn yaml_strs<W: Write>(e: &mut Emitter<W>, items: &[String]) -> io::Result<()> {
    e.begin_sequence()?;
    for s in items {
        e.str(s)?;
    }
    e.end_sequence()
}

pub(crate) fn yaml_string_map<W: Write>(
    e: &mut Emitter<W>,
    map: &[(String, String)],
) -> io::Result<()> {
    let mut pairs: Vec<&(String, String)> = map.iter().collect();
    sort_natural(&mut pairs, |p| p.0.as_str());
    e.begin_mapping()?;
    for (k, v) in pairs {
        e.str(k)?;
        e.str(v)?;
    }
    e.end_mapping()
}

/// `yaml.Marshal(chart.Metadata)` as sigs.k8s.io/yaml writes it: the first
/// part of a provenance file.
pub fn write_metadata_yaml<W: Write>(md: &Metadata, out: W) -> io::Result<W> {
    static K: OnceLock<Vec<&'static str>> = OnceLock::new();
    let keys = K.get_or_init(|| natural_sorted(metadata::FIELDS));
    let mut e = Emitter::via_json(out);
    e.begin_mapping()?;
    for key in keys {
        if let Some(field) = metadata_field(md, key) {
            e.str(key)?;
            yaml_field(&mut e, field)?;
        }
    }
    e.end_mapping()?;
    e.finish()
}

pub(crate) fn yaml_field<W: Write>(e: &mut Emitter<W>, field: Field<'_>) -> io::Result<()> {
    match field {
        Field::Str(s) => e.str(s)?,
        Field::Strs(v) => yaml_strs(e, v)?,
        Field::Bool(b) => e.bool(b)?,
        Field::Urls(None) => e.null()?,
        Field::Urls(Some(v)) => yaml_strs(e, v)?,
        Field::Annotations(m) => yaml_string_map(e, m)?,
        Field::Maintainers(list) => {
            e.begin_sequence()?;
            for m in list {
                match m {
                    None => e.null()?,
                    Some(m) => {
                        e.begin_mapping()?;
                        for k in yaml_maintainer_keys() {
                            if let Some(v) = maintainer_field(m, k) {
                                e.str(k)?;
                                e.str(v)?;
                            }
                        }
                        e.end_mapping()?;
                    }
                }
            }
            e.end_sequence()?;
        }
        Field::Dependencies(list) => {
            e.begin_sequence()?;
            for d in list {
                match d {
                    None => e.null()?,
                    Some(d) => yaml_dependency(e, d)?,
                }
            }
            e.end_sequence()?;
        }
    }
    Ok(())
}

fn yaml_dependency<W: Write>(e: &mut Emitter<W>, d: &Dependency) -> io::Result<()> {
    e.begin_mapping()?;
    for k in yaml_dependency_keys() {
        let Some(f) = dependency_field(d, k) else {
            continue;
        };
        e.str(k)?;
        match f {
            DepField::Str(s) => e.str(s)?,
            DepField::Strs(v) => yaml_strs(e, v)?,
            DepField::Bool(b) => e.bool(b)?,
            DepField::Values(v) => {
                e.begin_sequence()?;
                for x in v {
                    yaml_via_json(e, x)?;
                }
                e.end_sequence()?;
            }
        }
    }
    e.end_mapping()
}

/// A generic value after `json.Marshal` and yaml.v2's `Unmarshal`: floats
/// come back as integers when JSON wrote them without a fraction.
fn yaml_via_json<W: Write>(e: &mut Emitter<W>, v: &Value) -> io::Result<()> {
    match v {
        Value::Null => e.null(),
        Value::Bool(b) => e.bool(*b),
        Value::Int(i) => e.int(*i),
        Value::Uint(u) => e.uint(*u),
        Value::Float(f) => {
            let text = strconv::format_json_float(*f).ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    "json: unsupported value: NaN or Inf",
                )
            })?;
            if text.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
                if let Ok(i) = text.parse::<i64>() {
                    return e.int(i);
                }
                if let Ok(u) = text.parse::<u64>() {
                    return e.uint(u);
                }
            }
            e.float(text.parse::<f64>().unwrap_or(*f))
        }
        Value::String(s) => e.str(s),
        Value::Seq(items) => {
            e.begin_sequence()?;
            for i in items {
                yaml_via_json(e, i)?;
            }
            e.end_sequence()
        }
        Value::Map(m) => {
            let mut pairs: Vec<&(String, Value)> = m.iter().collect();
            sort_natural(&mut pairs, |p| p.0.as_str());
            e.begin_mapping()?;
            for (k, v) in pairs {
                e.str(k)?;
                yaml_via_json(e, v)?;
            }
            e.end_mapping()
        }
    }
}

pub(crate) fn json_strs<W: Write>(w: &mut json::Writer<W>, items: &[String]) -> io::Result<()> {
    w.begin_array()?;
    for s in items {
        w.string(s)?;
    }
    w.end_array()
}

pub(crate) fn json_string_map<W: Write>(
    w: &mut json::Writer<W>,
    map: &[(String, String)],
) -> io::Result<()> {
    let mut pairs: Vec<&(String, String)> = map.iter().collect();
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    w.begin_object()?;
    for (k, v) in pairs {
        w.key(k)?;
        w.string(v)?;
    }
    w.end_object()
}

/// `json.Marshal(chart.Metadata)`: the config blob `helm push` stores in an
/// OCI registry, so its digest matches Helm's byte for byte.
pub fn metadata_json(md: &Metadata) -> Vec<u8> {
    let mut w = json::Writer::compact(Vec::new());
    json_fields(&mut w, metadata::FIELDS, |k| metadata_field(md, k))
        .expect("writing to memory cannot fail");
    w.finish()
}

pub(crate) fn json_fields<'a, W: Write>(
    w: &mut json::Writer<W>,
    keys: &[&str],
    field_of: impl Fn(&str) -> Option<Field<'a>>,
) -> io::Result<()> {
    w.begin_object()?;
    for key in keys {
        let Some(field) = field_of(key) else {
            continue;
        };
        w.key(key)?;
        match field {
            Field::Str(s) => w.string(s)?,
            Field::Strs(v) => json_strs(w, v)?,
            Field::Bool(b) => w.bool(b)?,
            Field::Urls(None) => w.null()?,
            Field::Urls(Some(v)) => json_strs(w, v)?,
            Field::Annotations(m) => json_string_map(w, m)?,
            Field::Maintainers(list) => {
                w.begin_array()?;
                for m in list {
                    match m {
                        None => w.null()?,
                        Some(m) => {
                            w.begin_object()?;
                            for k in MAINTAINER_FIELDS {
                                if let Some(v) = maintainer_field(m, k) {
                                    w.key(k)?;
                                    w.string(v)?;
                                }
                            }
                            w.end_object()?;
                        }
                    }
                }
                w.end_array()?;
            }
            Field::Dependencies(list) => {
                w.begin_array()?;
                for d in list {
                    match d {
                        None => w.null()?,
                        Some(d) => {
                            w.begin_object()?;
                            for k in DEPENDENCY_FIELDS {
                                let Some(f) = dependency_field(d, k) else {
                                    continue;
                                };
                                w.key(k)?;
                                match f {
                                    DepField::Str(s) => w.string(s)?,
                                    DepField::Strs(v) => json_strs(w, v)?,
                                    DepField::Bool(b) => w.bool(b)?,
                                    DepField::Values(v) => {
                                        w.begin_array()?;
                                        for x in v {
                                            w.value(x)?;
                                        }
                                        w.end_array()?;
                                    }
                                }
                            }
                            w.end_object()?;
                        }
                    }
                }
                w.end_array()?;
            }
        }
    }
    w.end_object()
}
