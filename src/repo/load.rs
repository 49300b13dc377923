//! Loading index files as Helm does (`loadIndex`, `jsonOrYamlUnmarshal`).
//!
//! Helm reads a file as JSON when it is valid JSON (lenient: unknown fields
//! are ignored, nothing is coerced) and as strict YAML otherwise (unknown
//! fields and duplicate keys fail the whole file). Entries that fail
//! validation are dropped with a warning, and every list is re-sorted.

use std::path::Path;

use thiserror::Error;

use super::index::{ChartVersion, IndexFile};
use crate::chart::METADATA_FIELDS;
use crate::go;
use crate::go::unmarshal::{match_field, Ctx, DecodeError, Origin};
use crate::go::yaml::{self, LoadOptions, Value};

/// The largest index file read. The largest public repositories' indexes
/// are a few tens of MiB; Helm itself has no cap.
pub const MAX_INDEX_FILE_SIZE: u64 = 256 * 1024 * 1024;

/// Reads an index file (a regular file of at most [`MAX_INDEX_FILE_SIZE`]).
pub fn read_index_file(path: &Path) -> std::io::Result<Vec<u8>> {
    crate::fileutil::read_regular(path, MAX_INDEX_FILE_SIZE)
}

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
/// JSON names of `repo.ChartVersion`'s own fields, in Go struct order.
pub(crate) const ENTRY_FIELDS: &[&str] = &[
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
    let (value, ctx) = match crate::go::json::parse(text) {
        Some(v) => (
            v,
            Ctx {
                origin: Origin::Json,
                strict: false,
            },
        ),
        None => {
            let v = parse_yaml(text)?;
            if let Some(bad) = v.non_finite() {
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

const STRICT: LoadOptions = LoadOptions {
    strict: true,
    no_anchors: false,
    depth_base: 0,
};

/// Index files at least this large are parsed in parallel parts.
const SPLIT_MIN: usize = 2 << 20;

/// Parses an index with yaml.v2's strict rules. Large files are cut into
/// parts at chart boundaries of `entries` and parsed on all cores; whenever
/// the parts might not mean what the whole means (anchors, directives, an
/// unexpected layout, any error or duplicate), the whole file is parsed as
/// one document instead, so the result and any error are always the whole's.
fn parse_yaml(text: &str) -> Result<Value, yaml::Error> {
    if text.len() >= SPLIT_MIN {
        let parts = std::thread::available_parallelism().map_or(1, |n| n.get());
        if parts > 1 {
            if let Some(v) = parse_split(text, parts) {
                return Ok(v);
            }
        }
    }
    yaml::load(text, STRICT)
}

/// Byte offsets of line starts in `text[from..to]`.
fn line_starts(text: &str, from: usize, to: usize) -> impl Iterator<Item = usize> + '_ {
    std::iter::once(from)
        .chain(
            text[from..to]
                .match_indices('\n')
                .map(move |(i, _)| from + i + 1),
        )
        .filter(move |&i| i < to)
}

fn parse_split(text: &str, parts: usize) -> Option<Value> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.contains('\u{feff}') {
        return None; // where yaml.v2 reads one depends on its place in the whole
    }
    if text.starts_with('%') || text.contains("\n%") {
        return None; // directives apply to the whole document
    }
    // The `entries:` line at column 0, and the block below it.
    let head = line_starts(text, 0, text.len()).find(|&i| {
        let line = text[i..].split('\n').next().unwrap_or("");
        line.trim_end_matches('\r') == "entries:"
    })?;
    let body = head + text[head..].find('\n')? + 1;
    let end = line_starts(text, body, text.len())
        .find(|&i| !matches!(text.as_bytes()[i], b' ' | b'\n' | b'\r' | b'#'))
        .unwrap_or(text.len());
    // Chart keys: two spaces, then a plain key character.
    let is_key = |i: usize| {
        let b = text.as_bytes();
        b.get(i..i + 2) == Some(b"  ")
            && b.get(i + 2).is_some_and(|c| {
                !matches!(c, b' ' | b'\t' | b'-' | b'#' | b'?' | b':' | b'\r' | b'\n')
            })
    };
    let first = line_starts(text, body, end).find(|&i| {
        let line = text[i..].split('\n').next().unwrap_or("").trim();
        !(line.is_empty() || line.starts_with('#'))
    })?;
    if !is_key(first) {
        return None;
    }
    let mut cuts = vec![body];
    let step = (end - body) / parts;
    for k in 1..parts {
        let target = body + k * step;
        let cut = line_starts(text, target, end)
            .skip(1)
            .find(|&i| is_key(i))?;
        if cut > *cuts.last()? {
            cuts.push(cut);
        }
    }
    cuts.push(end);
    let skeleton = format!("{}entries: {{}}\n{}", &text[..head], &text[end..]);
    let part_opts = LoadOptions {
        strict: true,
        no_anchors: true,
        depth_base: 1,
    };
    let top_opts = LoadOptions {
        no_anchors: true,
        ..STRICT
    };
    let (top, chunks) = std::thread::scope(|s| {
        let handles: Vec<_> = cuts
            .windows(2)
            .map(|w| {
                let chunk = &text[w[0]..w[1]];
                s.spawn(move || yaml::load(chunk, part_opts).ok())
            })
            .collect();
        let top = yaml::load(&skeleton, top_opts).ok();
        let chunks: Vec<Option<Value>> = handles
            .into_iter()
            .map(|h| h.join().ok().flatten())
            .collect();
        (top, chunks)
    });
    let Value::Map(mut top) = top? else {
        return None;
    };
    let mut entries: Vec<(String, Value)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for chunk in chunks {
        let Value::Map(m) = chunk? else {
            return None;
        };
        for (k, v) in m {
            if !seen.insert(k.clone()) {
                return None; // a duplicate chart key: let the whole report it
            }
            entries.push((k, v));
        }
    }
    let slot = top.iter_mut().find(|(k, _)| k == "entries")?;
    if slot.1 != Value::Map(Vec::new()) {
        return None;
    }
    slot.1 = Value::Map(entries);
    Some(Value::Map(top))
}

/// Decodes into the model; returns the chart names that had null entries.
fn decode_index(value: Value, ctx: Ctx) -> Result<(IndexFile, Vec<String>), DecodeError> {
    let mut index = IndexFile::default();
    let mut nil_entries = Vec::new();
    let Some(top) = ctx.object(value, "IndexFile", "repo.IndexFile")? else {
        return Ok((index, nil_entries));
    };
    for (k, v) in top {
        match match_field(&k, TOP_FIELDS) {
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
                if let Some(t) = time(&v, "generated")? {
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
                                    item => out.push(decode_entry(item, ctx)?),
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
                    index.entries.insert(name, versions);
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
            None => ctx.unknown(&k)?,
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
        Value::String(s) => go::time::canonical(s)
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

pub(super) fn decode_entry(v: Value, ctx: Ctx) -> Result<ChartVersion, DecodeError> {
    let mut cv = ChartVersion {
        created: go::time::ZERO.to_string(),
        ..Default::default()
    };
    let Some(entries) = ctx.object(v, "ChartVersion", "repo.ChartVersion")? else {
        return Ok(cv);
    };
    for (k, val) in entries {
        if let Some(f) = match_field(&k, ENTRY_FIELDS) {
            match f {
                "urls" => cv.urls = ctx.strings(val, f)?,
                "created" => {
                    if let Some(t) = time(&val, f)? {
                        cv.created = t;
                    }
                }
                "removed" => {
                    if let Some(b) = ctx.bool(&val, f)? {
                        cv.removed = b;
                    }
                }
                _ => {
                    let slot = match f {
                        "digest" => &mut cv.digest,
                        "checksum" => &mut cv.checksum,
                        "engine" => &mut cv.engine,
                        "tillerVersion" => &mut cv.tiller_version,
                        _ => &mut cv.url,
                    };
                    if let Some(x) = ctx.string(val, f)? {
                        *slot = x;
                    }
                }
            }
        } else if let Some(f) = match_field(&k, METADATA_FIELDS) {
            // sigs.k8s.io/yaml coerces a number or bool into a string only
            // where the field it meets is a string; for a field promoted
            // from the embedded `*chart.Metadata` it meets the pointer, so
            // `icon: yes` stays a bool and encoding/json refuses it.
            let exact = Ctx {
                origin: match ctx.origin {
                    Origin::Json => Origin::Json,
                    _ => Origin::YamlUncoerced,
                },
                ..ctx
            };
            cv.metadata.decode_field(f, val, exact)?;
        } else {
            ctx.unknown(&k)?;
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
    fn metadata_fields_of_an_entry_are_not_coerced_into_strings() {
        let entry = |field: &str| {
            format!(
                "apiVersion: v1\nentries:\n  a:\n  - apiVersion: v2\n    name: a\n    version: 1.0.0\n    {field}\n    urls:\n    - a-1.0.0.tgz\n"
            )
        };
        for bad in ["appVersion: 1.10", "icon: yes", "condition: 0x10"] {
            assert!(load(&entry(bad)).is_err(), "{bad} accepted");
        }
        // The entry's own string fields are.
        assert!(load(&entry("digest: 12")).is_ok());
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
        assert_eq!(a[0].created, go::time::ZERO);
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

    fn fixture(name: &str) -> String {
        let p = crate::test_support::fixture("index").join(name);
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    #[test]
    fn split_parse_equals_whole_parse() {
        for name in ["grafana-index.yaml", "argo-index.yaml"] {
            let text = fixture(name);
            let whole = yaml::load(&text, STRICT).unwrap();
            for parts in [2, 3, 7] {
                assert_eq!(
                    parse_split(&text, parts).as_ref(),
                    Some(&whole),
                    "{name} / {parts}"
                );
            }
        }
    }

    #[test]
    fn split_parse_declines_what_parts_cannot_decide() {
        let big = |middle: &str| {
            let mut t = String::from("apiVersion: v1\nentries:\n");
            for i in 0..200 {
                t.push_str(&format!("  c{i}:\n  - name: c{i}\n    version: 1.0.0\n"));
                if i == 150 {
                    t.push_str(middle);
                }
            }
            t.push_str("generated: \"2020-01-01T00:00:00Z\"\n");
            t
        };
        // Plain: splits.
        assert!(parse_split(&big(""), 2).is_some());
        // An anchor in one part and its alias in another.
        let anchored = big("  x:\n  - &a {name: x, version: 1.0.0}\n").replace(
            "  c10:\n  - name: c10\n    version: 1.0.0\n",
            "  c10:\n  - *a\n",
        );
        assert!(parse_split(&anchored, 2).is_none());
        // A chart key twice, in different parts: the whole parse reports it.
        let dup = big("  c1:\n  - name: c1\n    version: 2.0.0\n");
        assert!(parse_split(&dup, 2).is_none());
        assert!(parse_yaml(&dup).is_err());
        // Directives.
        assert!(parse_split(&format!("%YAML 1.1\n---\n{}", big("")), 2).is_none());
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
