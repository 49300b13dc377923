//! Loading index files as Helm does (`loadIndex`, `jsonOrYamlUnmarshal`).
//!
//! Helm reads a file as JSON when it is valid JSON (lenient: unknown fields
//! are ignored, nothing is coerced) and as strict YAML otherwise (unknown
//! fields and duplicate keys fail the whole file). Entries that fail
//! validation are dropped with a warning, and every list is re-sorted.

use thiserror::Error;

use super::index::{ChartVersion, IndexFile};
use crate::chart::metadata;
use crate::decode::{match_field, Ctx, DecodeError, Origin};
use crate::gotime;
use crate::yaml::{self, LoadOptions, Value};

#[derive(Debug, Error)]
pub enum LoadIndexError {
    #[error("empty index.yaml file")]
    Empty,
    #[error("no API version specified")]
    NoApiVersion,
    #[error("not UTF-8 text")]
    NotUtf8,
    #[error("{0}")]
    Yaml(#[from] yaml::Error),
    #[error("{0}")]
    Decode(#[from] DecodeError),
    #[error("json: unsupported value: {0}")]
    NonFinite(&'static str),
}

/// How strictly to read: Helm's rules, or the tolerant reading used when an
/// existing index only serves as a cache of digests and dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strictness {
    /// `repo.LoadIndexFile`.
    Helm,
    /// Unknown fields are ignored in YAML too.
    Lenient,
}

/// A loaded index and the warnings Helm would have logged.
#[derive(Debug)]
pub struct Loaded {
    pub index: IndexFile,
    pub warnings: Vec<String>,
}

const TOP_FIELDS: &[&str] = &[
    "serverInfo",
    "apiVersion",
    "generated",
    "entries",
    "publicKeys",
    "annotations",
];
const ENTRY_FIELDS: &[&str] = &[
    "urls",
    "created",
    "removed",
    "digest",
    "checksum",
    "engine",
    "tillerVersion",
    "url",
];

/// `repo.loadIndex(data, source)`.
pub fn load_index(
    data: &[u8],
    source: &str,
    strictness: Strictness,
) -> Result<Loaded, LoadIndexError> {
    if data.is_empty() {
        return Err(LoadIndexError::Empty);
    }
    let text = std::str::from_utf8(data).map_err(|_| LoadIndexError::NotUtf8)?;
    let (value, ctx) = match crate::json::parse(text) {
        Some(v) => (
            v,
            Ctx {
                origin: Origin::Json,
                strict: false,
            },
        ),
        None => {
            let v = yaml::load(text, LoadOptions { strict: true })?;
            if let Some(bad) = non_finite(&v) {
                return Err(LoadIndexError::NonFinite(bad));
            }
            (
                v,
                Ctx {
                    origin: Origin::Yaml,
                    strict: strictness == Strictness::Helm,
                },
            )
        }
    };
    let (mut index, nil_entries) = decode_index(value, ctx)?;
    let mut warnings = Vec::new();
    for name in nil_entries {
        warnings.push(format!(
            "skipping loading invalid entry for chart {name:?} from {source}: empty entry"
        ));
    }
    for (name, versions) in index.entries.iter_mut() {
        // Helm walks each list backwards; keep its warning order.
        let mut keep = vec![true; versions.len()];
        for (k, cv) in versions.iter_mut().enumerate().rev() {
            if cv.metadata.api_version.is_empty() {
                cv.metadata.api_version = "v1".into();
            }
            if let Err(e) = cv.metadata.validate() {
                if !e.is_duplicate_dependency() {
                    warnings.push(format!(
                        "skipping loading invalid entry for chart {name:?} {:?} from {source}: {e}",
                        cv.metadata.version
                    ));
                    keep[k] = false;
                }
            }
        }
        let mut k = 0;
        versions.retain(|_| {
            k += 1;
            keep[k - 1]
        });
    }
    index.sort_entries();
    if index.api_version.is_empty() {
        return Err(LoadIndexError::NoApiVersion);
    }
    Ok(Loaded { index, warnings })
}

fn non_finite(v: &Value) -> Option<&'static str> {
    match v {
        Value::Float(f) if f.is_nan() => Some("NaN"),
        Value::Float(f) if f.is_infinite() => Some(if *f > 0.0 { "+Inf" } else { "-Inf" }),
        Value::Seq(items) => items.iter().find_map(non_finite),
        Value::Map(m) => m.iter().find_map(|(_, v)| non_finite(v)),
        _ => None,
    }
}

/// Decodes into the model; returns the chart names that had null entries.
fn decode_index(value: Value, ctx: Ctx) -> Result<(IndexFile, Vec<String>), DecodeError> {
    let mut index = IndexFile::default();
    let mut nil_entries = Vec::new();
    let Some(top) = ctx.object(&value, "IndexFile", "repo.IndexFile")? else {
        return Ok((index, nil_entries));
    };
    for (k, v) in top {
        match match_field(k, TOP_FIELDS) {
            Some("serverInfo") => {
                if !matches!(v, Value::Null | Value::Map(_)) {
                    return Err(DecodeError::Type {
                        found: "non-object",
                        field: "serverInfo".into(),
                        want: "map[string]interface {}",
                    });
                }
            }
            Some("apiVersion") => {
                if let Some(s) = ctx.string(v, "apiVersion")? {
                    index.api_version = s;
                }
            }
            Some("generated") => {
                if let Some(t) = time(v, "generated")? {
                    index.generated = t;
                }
            }
            Some("entries") => {
                let Some(charts) = ctx.object(v, "entries", "map[string]repo.ChartVersions")?
                else {
                    index.entries.clear();
                    continue;
                };
                for (name, list) in charts {
                    let versions = match list {
                        Value::Null => Vec::new(),
                        Value::Seq(items) => {
                            let mut out = Vec::with_capacity(items.len());
                            for item in items {
                                match item {
                                    Value::Null => nil_entries.push(name.clone()),
                                    _ => out.push(decode_entry(item, ctx)?),
                                }
                            }
                            out
                        }
                        other => {
                            return Err(DecodeError::Type {
                                found: other.kind_name(),
                                field: format!("entries.{name}"),
                                want: "repo.ChartVersions",
                            })
                        }
                    };
                    index.entries.insert(name.clone(), versions);
                }
            }
            Some("publicKeys") => {
                index.public_keys = ctx.strings(v, "publicKeys")?.unwrap_or_default()
            }
            Some(_) => {
                let mut m = Some(std::mem::take(&mut index.annotations));
                ctx.string_map(v, "annotations", &mut m)?;
                index.annotations = m.unwrap_or_default();
            }
            None => ctx.unknown(k)?,
        }
    }
    Ok((index, nil_entries))
}

/// A `time.Time` field: JSON null leaves it unset; anything but an RFC 3339
/// string is an error (time.Time is a JSON unmarshaler, so sigs.k8s.io/yaml
/// does not coerce into it).
fn time(v: &Value, field: &str) -> Result<Option<String>, DecodeError> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => gotime::canonical(s)
            .map(Some)
            .ok_or_else(|| DecodeError::Type {
                found: "string",
                field: format!("{field} ({s:?} is not an RFC 3339 time)"),
                want: "time.Time",
            }),
        other => Err(DecodeError::Type {
            found: other.kind_name(),
            field: field.to_string(),
            want: "time.Time",
        }),
    }
}

fn decode_entry(v: &Value, ctx: Ctx) -> Result<ChartVersion, DecodeError> {
    let mut cv = ChartVersion {
        created: gotime::ZERO.to_string(),
        ..Default::default()
    };
    let Some(entries) = ctx.object(v, "ChartVersion", "repo.ChartVersion")? else {
        return Ok(cv);
    };
    for (k, val) in entries {
        if let Some(f) = match_field(k, ENTRY_FIELDS) {
            let s = |cv: &mut String| -> Result<(), DecodeError> {
                if let Some(x) = ctx.string(val, f)? {
                    *cv = x;
                }
                Ok(())
            };
            match f {
                "urls" => cv.urls = ctx.strings(val, f)?,
                "created" => {
                    if let Some(t) = time(val, f)? {
                        cv.created = t;
                    }
                }
                "removed" => {
                    if let Some(b) = ctx.bool(val, f)? {
                        cv.removed = b;
                    }
                }
                "digest" => s(&mut cv.digest)?,
                "checksum" => s(&mut cv.checksum)?,
                "engine" => s(&mut cv.engine)?,
                "tillerVersion" => s(&mut cv.tiller_version)?,
                _ => s(&mut cv.url)?,
            }
        } else if let Some(f) = match_field(k, metadata::FIELDS) {
            cv.metadata.decode_field(f, val, ctx)?;
        } else {
            ctx.unknown(k)?;
        }
    }
    Ok(cv)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(s: &str) -> Result<Loaded, LoadIndexError> {
        load_index(s.as_bytes(), "test", Strictness::Helm)
    }

    #[test]
    fn loads_and_sorts() {
        let l = load(
            "apiVersion: v1\nentries:\n  a:\n  - name: a\n    version: 1.0.0\n    urls: [a-1.tgz]\n  - name: a\n    version: 2.0.0\ngenerated: \"2020-01-01T00:00:00+00:00\"\n",
        )
        .unwrap();
        let a = &l.index.entries["a"];
        assert_eq!(a[0].metadata.version, "2.0.0");
        assert_eq!(a[0].metadata.api_version, "v1");
        assert_eq!(a[0].created, gotime::ZERO);
        assert_eq!(a[0].urls, None);
        assert_eq!(a[1].urls.as_deref(), Some(&["a-1.tgz".to_string()][..]));
        assert_eq!(l.index.generated, "2020-01-01T00:00:00Z");
    }

    #[test]
    fn strict_yaml_refuses_unknown_fields_and_duplicates() {
        assert!(load("apiVersion: v1\ncustom: 1\n").is_err());
        assert!(load("apiVersion: v1\napiVersion: v1\n").is_err());
        assert!(load(
            "apiVersion: v1\nentries:\n  a:\n  - name: a\n    version: 1.0.0\n    bogus: x\n"
        )
        .is_err());
    }

    #[test]
    fn json_is_lenient_about_fields_but_not_types() {
        assert!(load("{\"apiVersion\": \"v1\", \"custom\": 1}").is_ok());
        assert!(load(
            "{\"apiVersion\": \"v1\", \"entries\": {\"a\": [{\"name\": \"a\", \"version\": 1}]}}"
        )
        .is_err());
    }

    #[test]
    fn invalid_entries_are_dropped_with_warnings() {
        let l = load(
            "apiVersion: v1\nentries:\n  a:\n  - name: a\n    version: nightly\n  - name: a\n    version: 1.0.0\n  - null\n",
        )
        .unwrap();
        assert_eq!(l.index.entries["a"].len(), 1);
        assert_eq!(l.warnings.len(), 2);
        assert!(l.warnings.iter().any(|w| w.contains("nightly")));
    }

    #[test]
    fn fatal_errors() {
        assert!(matches!(load(""), Err(LoadIndexError::Empty)));
        assert!(matches!(
            load("entries: {}\n"),
            Err(LoadIndexError::NoApiVersion)
        ));
        assert!(load("apiVersion: v1\ngenerated: yesterday\n").is_err());
    }
}
