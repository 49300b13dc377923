//! Loading a chart as Helm's loader does (`pkg/chart/loader/load.go`).
//!
//! `helm repo index` skips any archive the loader refuses, so the same
//! refusals must happen here: unparsable `values.yaml`, `Chart.lock` or
//! `requirements.*`, a broken subchart anywhere below `charts/`, or metadata
//! that fails validation. Only the metadata is kept; templates are never
//! parsed (Helm does not parse them when loading either).

use std::fs::File;
use std::io::{self, BufReader, Read, Seek};
use std::path::Path;

use thiserror::Error;

use super::archive::{self, ArchiveError, Budget, BufferedFile};
use super::metadata::{Metadata, ValidationError, METADATA_SHAPE, REQUIREMENTS_SHAPE};
use crate::cli::output::{clip, clip_bytes};
use crate::fileutil;
use crate::go;
use crate::go::unmarshal::{match_field, non_finite_for, Ctx, DecodeError, Origin, Shape};
use crate::go::yaml::{self, LoadOptions, Value};

/// Subcharts nested deeper than this are refused (Helm has no limit).
const MAX_DEPTH: usize = 16;

#[derive(Debug, Error)]
pub enum LoadError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("does not appear to be a gzipped archive")]
    NotGzip,
    #[error("{0}")]
    Archive(#[from] ArchiveError),
    #[error("cannot load {file}: {reason}")]
    File { file: &'static str, reason: String },
    #[error("Chart.yaml file is missing")]
    MissingChartYaml,
    #[error("{0}")]
    Invalid(#[from] ValidationError),
    #[error("error unpacking subchart {name}: {source}")]
    Subchart {
        name: String,
        #[source]
        source: Box<LoadError>,
    },
    #[error("subcharts nested more than {MAX_DEPTH} levels deep")]
    TooDeep,
}

const SIGS: Ctx = Ctx {
    origin: Origin::Yaml,
    strict: false,
};

/// Opens the chart archive at `path` for reading from its start: a regular
/// file of at most [`archive::MAX_ARCHIVE_FILE_SIZE`] that starts as gzip
/// does (checked before anything else reads it, hashing included).
pub fn open_archive(path: &Path) -> Result<File, LoadError> {
    let mut f = fileutil::open_regular(path)?;
    if f.metadata()?.len() > archive::MAX_ARCHIVE_FILE_SIZE {
        return Err(fileutil::too_large(archive::MAX_ARCHIVE_FILE_SIZE).into());
    }
    let mut head = [0u8; 3];
    let n = read_up_to(&mut f, &mut head)?;
    if !archive::is_gzip(&head[..n]) {
        return Err(LoadError::NotGzip);
    }
    f.rewind()?;
    Ok(f)
}

/// Reads a whole chart archive into memory, as `helm push` and `helm
/// package --sign` do, capped at [`archive::MAX_ARCHIVE_FILE_SIZE`].
pub fn read_archive(path: &Path) -> io::Result<Vec<u8>> {
    fileutil::read_regular(path, archive::MAX_ARCHIVE_FILE_SIZE)
}

/// Loads the archive at `path` (Helm's `loader.Load` for a file) and returns
/// its validated, sanitised metadata.
pub fn load_file(path: &Path) -> Result<Metadata, LoadError> {
    load_open(open_archive(path)?)
}

/// Loads an archive opened by [`open_archive`], from its current position.
pub fn load_open(f: File) -> Result<Metadata, LoadError> {
    let input = BufReader::with_capacity(64 * 1024, f);
    let mut budget = Budget::default();
    let files = archive::load_archive_files(input, &mut budget)?;
    load_files(files, &mut budget, 0)
}

/// Loads an archive held in memory (a subchart, or a download).
pub fn load_bytes(data: &[u8]) -> Result<Metadata, LoadError> {
    if !archive::is_gzip(data) {
        return Err(LoadError::NotGzip);
    }
    let mut budget = Budget::default();
    let files = archive::load_archive_files(data, &mut budget)?;
    load_files(files, &mut budget, 0)
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// A reason may quote the file's content, so it is cut short.
fn file_err(file: &'static str, reason: impl ToString) -> LoadError {
    LoadError::File {
        file,
        reason: clip(&reason.to_string()).into_owned(),
    }
}

/// Parses a file as sigs.k8s.io/yaml would before decoding it into `shape`:
/// YAML with yaml.v2's rules, and no NaN or infinity JSON cannot represent
/// (but where a string goes, where it becomes one).
fn parse_sigs(file: &'static str, data: &[u8], shape: &Shape) -> Result<Value, LoadError> {
    let text = std::str::from_utf8(data).map_err(|_| file_err(file, "invalid UTF-8"))?;
    let v = yaml::load(text, LoadOptions::default()).map_err(|e| file_err(file, e))?;
    if let Some(bad) = non_finite_for(&v, shape) {
        return Err(file_err(file, format!("json: unsupported value: {bad}")));
    }
    Ok(v)
}

fn decode_md(md: &mut Metadata, file: &'static str, v: Value) -> Result<(), LoadError> {
    md.decode_into(v, SIGS).map_err(|e| file_err(file, e))
}

/// Helm's `LoadFiles`.
fn load_files(
    files: Vec<BufferedFile>,
    budget: &mut Budget,
    depth: usize,
) -> Result<Metadata, LoadError> {
    if depth > MAX_DEPTH {
        return Err(LoadError::TooDeep);
    }
    let mut md: Option<Metadata> = None;
    for f in files.iter().filter(|f| f.name == b"Chart.yaml") {
        let v = parse_sigs("Chart.yaml", &f.data, &METADATA_SHAPE)?;
        let m = md.get_or_insert_with(Metadata::default);
        decode_md(m, "Chart.yaml", v)?;
        if m.api_version.is_empty() {
            m.api_version = "v1".into();
        }
    }
    // Subcharts by folder name, in first-seen order.
    let mut subcharts: Vec<(Vec<u8>, Vec<BufferedFile>)> = Vec::new();
    for f in files {
        match f.name.as_slice() {
            b"Chart.yaml" => {}
            b"Chart.lock" => check_lock("Chart.lock", &f.data)?,
            b"requirements.lock" => {
                check_lock("requirements.lock", &f.data)?;
                md.get_or_insert_with(Metadata::default);
            }
            b"values.yaml" => check_values(&f.data)?,
            b"requirements.yaml" => {
                let v = parse_sigs("requirements.yaml", &f.data, &REQUIREMENTS_SHAPE)?;
                decode_md(
                    md.get_or_insert_with(Metadata::default),
                    "requirements.yaml",
                    v,
                )?;
            }
            name if name.starts_with(b"charts/") => {
                if name.ends_with(b".prov") {
                    continue;
                }
                let rel = &name[b"charts/".len()..];
                let cname = rel
                    .split(|c| *c == b'/')
                    .next()
                    .unwrap_or_default()
                    .to_vec();
                let sub = BufferedFile {
                    name: rel.to_vec(),
                    data: f.data,
                };
                match subcharts.iter_mut().find(|(n, _)| *n == cname) {
                    Some((_, list)) => list.push(sub),
                    None => subcharts.push((cname, vec![sub])),
                }
            }
            _ => {}
        }
    }
    let mut md = md.ok_or(LoadError::MissingChartYaml)?;
    md.validate()?;
    for (name, files) in subcharts {
        if name.starts_with(b"_") || name.starts_with(b".") {
            continue;
        }
        load_subchart(&name, files, budget, depth).map_err(|e| LoadError::Subchart {
            name: clip_bytes(&name),
            source: Box::new(e),
        })?;
    }
    Ok(md)
}

fn load_subchart(
    name: &[u8],
    files: Vec<BufferedFile>,
    budget: &mut Budget,
    depth: usize,
) -> Result<Metadata, LoadError> {
    if name.ends_with(b".tgz") && name.len() > b".tgz".len() {
        let first = files
            .into_iter()
            .next()
            .ok_or(LoadError::MissingChartYaml)?;
        if first.name != name {
            return Err(file_err(
                "subchart archive",
                format!(
                    "expected {}, got {}",
                    clip_bytes(name),
                    clip_bytes(&first.name)
                ),
            ));
        }
        let inner = archive::load_archive_files(&first.data[..], budget)?;
        return load_files(inner, budget, depth + 1);
    }
    let stripped = files
        .into_iter()
        .filter_map(|f| {
            let slash = f.name.iter().position(|c| *c == b'/')?;
            Some(BufferedFile {
                name: f.name[slash + 1..].to_vec(),
                data: f.data,
            })
        })
        .collect();
    load_files(stripped, budget, depth + 1)
}

/// `values.yaml` must decode into `map[string]interface{}`.
fn check_values(data: &[u8]) -> Result<(), LoadError> {
    match parse_sigs("values.yaml", data, &Shape::Other)? {
        Value::Null | Value::Map(_) => Ok(()),
        other => Err(file_err(
            "values.yaml",
            format!(
                "cannot unmarshal {} into map[string]interface {{}}",
                other.kind_name()
            ),
        )),
    }
}

/// A lock file must decode into `chart.Lock`: `generated` an RFC 3339 time,
/// `digest` a string, `dependencies` a list of dependencies.
fn check_lock(file: &'static str, data: &[u8]) -> Result<(), LoadError> {
    let v = parse_sigs(file, data, &Shape::Other)?;
    let Some(entries) = SIGS
        .object(v, "Lock", "chart.Lock")
        .map_err(|e| file_err(file, e))?
    else {
        return Ok(());
    };
    for (k, val) in entries {
        match match_field(&k, &["generated", "digest", "dependencies"]) {
            Some("generated") => match val {
                Value::Null => {}
                Value::String(s) if go::time::canonical(&s).is_some() => {}
                other => {
                    return Err(file_err(
                        file,
                        format!("generated: {} is not an RFC 3339 time", other.kind_name()),
                    ))
                }
            },
            Some("digest") => {
                SIGS.string(val, "digest").map_err(|e| file_err(file, e))?;
            }
            Some(_) => {
                let wrapped = Value::Map(vec![("dependencies".into(), val)]);
                let mut scratch = Metadata::default();
                scratch
                    .decode_into(wrapped, SIGS)
                    .map_err(|e: DecodeError| file_err(file, e))?;
            }
            None => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::tgz;

    const CHART: &[u8] = b"apiVersion: v2\nname: demo\nversion: 0.1.0\n";

    fn load(files: &[(&str, &[u8])]) -> Result<Metadata, LoadError> {
        load_bytes(&tgz(files))
    }

    #[test]
    fn loads_plain_chart() {
        let md = load(&[("demo/Chart.yaml", CHART), ("demo/values.yaml", b"a: 1\n")]).unwrap();
        assert_eq!(md.name, "demo");
        assert_eq!(md.version, "0.1.0");
    }

    #[test]
    fn bad_values_or_lock_fail_the_chart() {
        assert!(load(&[("demo/Chart.yaml", CHART), ("demo/values.yaml", b"- a\n")]).is_err());
        assert!(load(&[("demo/Chart.yaml", CHART), ("demo/values.yaml", b"a: [\n")]).is_err());
        assert!(load(&[
            ("demo/Chart.yaml", CHART),
            ("demo/values.yaml", b"a: .inf\n")
        ])
        .is_err());
        assert!(load(&[
            ("demo/Chart.yaml", CHART),
            ("demo/Chart.lock", b"generated: yesterday\n")
        ])
        .is_err());
    }

    #[test]
    fn missing_chart_yaml() {
        assert!(matches!(
            load(&[("demo/values.yaml", b"a: 1\n")]),
            Err(LoadError::MissingChartYaml)
        ));
    }

    #[test]
    fn v1_requirements_merge_into_metadata() {
        let md = load(&[
            ("demo/Chart.yaml", b"name: demo\nversion: 1.0.0\n"),
            (
                "demo/requirements.yaml",
                b"dependencies:\n- name: db\n  version: 1.x\n  repository: https://r\n",
            ),
        ])
        .unwrap();
        assert_eq!(md.api_version, "v1");
        let dep = md.dependencies[0].as_ref().unwrap();
        assert_eq!((dep.name.as_str(), dep.version.as_str()), ("db", "1.x"));
    }

    #[test]
    fn subcharts_are_loaded_and_checked() {
        let sub = tgz(&[(
            "db/Chart.yaml",
            b"apiVersion: v2\nname: db\nversion: 1.0.0\n",
        )]);
        assert!(load(&[
            ("demo/Chart.yaml", CHART),
            ("demo/charts/db-1.0.0.tgz", &sub)
        ])
        .is_ok());
        let bad = tgz(&[(
            "db/Chart.yaml",
            b"apiVersion: v2\nname: db\nversion: nope\n",
        )]);
        assert!(load(&[
            ("demo/Chart.yaml", CHART),
            ("demo/charts/db-1.0.0.tgz", &bad)
        ])
        .is_err());
        // A stray file under charts/ is loaded as a chart folder and fails.
        assert!(load(&[("demo/Chart.yaml", CHART), ("demo/charts/README.md", b"x")]).is_err());
        // Names starting with _ or . are ignored.
        assert!(load(&[
            ("demo/Chart.yaml", CHART),
            ("demo/charts/_helpers.md", b"x")
        ])
        .is_ok());
    }

    #[test]
    fn nested_archive_bomb_hits_the_budget() {
        // Each level holds the previous one several times over.
        let mut level = tgz(&[
            ("x/Chart.yaml", b"apiVersion: v2\nname: x\nversion: 1.0.0\n"),
            ("x/values.yaml", &vec![b' '; 4 * 1024 * 1024]),
        ]);
        for i in 0..3 {
            let names: Vec<String> = (0..8).map(|k| format!("x/charts/s{i}{k}.tgz")).collect();
            let mut files: Vec<(&str, &[u8])> =
                vec![("x/Chart.yaml", b"apiVersion: v2\nname: x\nversion: 1.0.0\n")];
            for n in &names {
                files.push((n.as_str(), &level));
            }
            level = tgz(&files);
        }
        let start = std::time::Instant::now();
        let err = load_bytes(&level).unwrap_err();
        assert!(err.to_string().contains("expands to more than"), "{err}");
        assert!(start.elapsed().as_secs() < 10);
    }

    #[test]
    fn subchart_folders_differing_in_invalid_bytes_stay_apart() {
        let tar = |second: &str| {
            let mut raw = crate::test_support::tar_member("demo/Chart.yaml", CHART);
            let mut one = crate::test_support::tar_member("demo/charts/A/Chart.yaml", CHART);
            one[12] = 0xff; // "demo/charts/\xff/Chart.yaml", checksum below
            let mut two = crate::test_support::tar_member(second, b"a: 1\n");
            two[12] = 0xfe;
            for m in [&mut one, &mut two] {
                m[148..156].copy_from_slice(b"        ");
                let sum: u32 = m[..512].iter().map(|b| *b as u32).sum();
                m[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
            }
            raw.extend(one);
            raw.extend(two);
            raw.resize(raw.len() + 1024, 0);
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            std::io::Write::write_all(&mut gz, &raw).unwrap();
            gz.finish().unwrap()
        };
        // The second folder has no Chart.yaml: Helm refuses the chart.
        let err = load_bytes(&tar("demo/charts/B/values.yaml")).unwrap_err();
        assert!(
            err.to_string().contains("Chart.yaml file is missing"),
            "{err}"
        );
    }
}
