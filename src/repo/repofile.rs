//! The user's repositories.yaml (`pkg/repo/repo.go`: `repo.File`, `Entry`).

use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::go::unmarshal::{match_field, Ctx, DecodeError, Origin};
use crate::go::yaml::{self, LoadOptions, Value};
use crate::net::{SafeUrl, Secret};

/// One configured repository. Its password and any credentials in its URL
/// never print.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Entry {
    pub name: String,
    pub url: SafeUrl,
    pub username: String,
    pub password: Secret,
    pub cert_file: String,
    pub key_file: String,
    pub ca_file: String,
    pub insecure_skip_tls_verify: bool,
    pub pass_credentials_all: bool,
}

#[derive(Debug, Error)]
pub enum RepoFileError {
    #[error("cannot read {path}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot parse {path}: {reason}")]
    Parse { path: PathBuf, reason: String },
}

/// The largest repositories.yaml read.
pub const MAX_REPOSITORIES_FILE_SIZE: u64 = 16 * 1024 * 1024;

/// `repo.LoadFile`: the configured repositories; a missing file is empty.
pub fn load(path: &Path) -> Result<Vec<Entry>, RepoFileError> {
    let data = match crate::fileutil::read_regular(path, MAX_REPOSITORIES_FILE_SIZE) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(RepoFileError::Read {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    parse(path, &data)
}

fn parse(path: &Path, data: &[u8]) -> Result<Vec<Entry>, RepoFileError> {
    let parse_err = |reason: String| RepoFileError::Parse {
        path: path.to_path_buf(),
        reason,
    };
    let text = std::str::from_utf8(data).map_err(|_| parse_err("not UTF-8".into()))?;
    let v = yaml::load(text, LoadOptions::default()).map_err(|e| parse_err(e.to_string()))?;
    decode(v).map_err(|e| parse_err(e.to_string()))
}

/// The names of the repositories in `path`, for shell completion: nothing
/// when the file is missing, larger than `max_bytes` or cannot be parsed.
pub fn names(path: &Path, max_bytes: u64) -> Vec<String> {
    crate::fileutil::read_regular(path, max_bytes.min(MAX_REPOSITORIES_FILE_SIZE))
        .ok()
        .and_then(|data| parse(path, &data).ok())
        .map(|r| r.into_iter().map(|e| e.name).collect())
        .unwrap_or_default()
}

const FIELDS: &[&str] = &[
    "name",
    "url",
    "username",
    "password",
    "certFile",
    "keyFile",
    "caFile",
    "insecure_skip_tls_verify",
    "pass_credentials_all",
];

fn decode(v: Value) -> Result<Vec<Entry>, DecodeError> {
    let ctx = Ctx {
        origin: Origin::Yaml,
        strict: false,
    };
    let mut out = Vec::new();
    let Some(top) = ctx.object(v, "File", "repo.File")? else {
        return Ok(out);
    };
    for (k, val) in top {
        if !k.eq_ignore_ascii_case("repositories") {
            continue;
        }
        let Value::Seq(items) = val else {
            continue;
        };
        for item in items {
            let Some(fields) = ctx.object(item, "repositories", "repo.Entry")? else {
                continue;
            };
            let mut e = Entry::default();
            for (fk, fv) in fields {
                let Some(f) = match_field(&fk, FIELDS) else {
                    continue;
                };
                if f.starts_with("insecure") || f.starts_with("pass_") {
                    let b = ctx.bool(&fv, f)?.unwrap_or(false);
                    if f.starts_with("insecure") {
                        e.insecure_skip_tls_verify = b;
                    } else {
                        e.pass_credentials_all = b;
                    }
                    continue;
                }
                let s = ctx.string(fv, f)?.unwrap_or_default();
                match f {
                    "name" => e.name = s,
                    "url" => e.url = SafeUrl::from(s),
                    "username" => e.username = s,
                    "password" => e.password = Secret::from(s),
                    "certFile" => e.cert_file = s,
                    "keyFile" => e.key_file = s,
                    _ => e.ca_file = s,
                }
            }
            out.push(e);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_helm_written_file() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("repositories.yaml");
        std::fs::write(
            &p,
            "apiVersion: \"\"\ngenerated: \"0001-01-01T00:00:00Z\"\nrepositories:\n- caFile: /ca.pem\n  certFile: \"\"\n  insecure_skip_tls_verify: false\n  keyFile: \"\"\n  name: stable\n  pass_credentials_all: false\n  password: hunter2\n  url: https://charts.example.com\n  username: me\n",
        )
        .unwrap();
        let repos = load(&p).unwrap();
        assert_eq!(repos.len(), 1);
        assert_eq!(repos[0].name, "stable");
        assert_eq!(repos[0].ca_file, "/ca.pem");
        assert_eq!(repos[0].password.expose(), "hunter2");
        assert!(!format!("{:?}", repos[0]).contains("hunter2"));
    }

    #[test]
    fn missing_file_is_empty() {
        assert!(load(Path::new("/nonexistent/repositories.yaml"))
            .unwrap()
            .is_empty());
    }
}
