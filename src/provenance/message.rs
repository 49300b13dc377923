//! The signed text of a provenance file (`messageBlock`, `ParseMessageBlock`):
//! the chart's metadata as YAML, the YAML document end marker `...`, and a
//! `files:` map from the archive's file name to `sha256:<hex>`.

use crate::chart::write_metadata_yaml;
use crate::chart::Metadata;
use crate::go::unmarshal::{Ctx, DecodeError, Origin};
use crate::go::yaml::{self, Emitter, LoadOptions};

/// Helm's `messageBlock`: the text to clearsign for an archive.
pub fn message_block(md: &Metadata, file_name: &str, sha256_hex: &str) -> std::io::Result<Vec<u8>> {
    let mut out = write_metadata_yaml(md, Vec::new())?;
    out.extend_from_slice(b"\n...\n");
    let mut e = Emitter::via_json(out);
    e.begin_mapping()?;
    e.str("files")?;
    e.begin_mapping()?;
    e.str(file_name)?;
    e.str(&format!("sha256:{sha256_hex}"))?;
    e.end_mapping()?;
    e.end_mapping()?;
    e.finish()
}

/// Helm 4's `SignPlugin`: the text to clearsign for a plugin tarball, its
/// metadata as Helm 4 marshals it, and one `files:` entry per name the
/// tarball goes by. Helm 4 checks a plugin installed from a URL or a file
/// under that file's name, and one installed from a registry (and the copy
/// `helm plugin list` checks) under `NAME-VERSION.tgz`; listing both when
/// they differ lets one `.prov` serve every way in.
pub fn plugin_message_block(
    md: &crate::plugin::Metadata,
    file_name: &str,
    sha256_hex: &str,
) -> std::io::Result<Vec<u8>> {
    let mut out = md.to_yaml();
    out.extend_from_slice(b"\n...\n");
    let sum = yaml::Value::String(format!("sha256:{sha256_hex}"));
    let mut files = vec![(file_name.to_owned(), sum.clone())];
    let own = md.tarball_name();
    if own != file_name {
        files.push((own, sum));
    }
    let mut e = Emitter::via_json(out);
    e.value(&yaml::Value::Map(vec![(
        "files".into(),
        yaml::Value::Map(files),
    )]))?;
    e.finish()
}

/// Why the signed text is not a message block Helm can read.
#[derive(Debug, thiserror::Error)]
pub enum MessageError {
    #[error("message block must have at least two parts")]
    Parts,
    #[error("files: not UTF-8")]
    NotUtf8,
    #[error(transparent)]
    Yaml(#[from] yaml::Error),
    #[error("json: unsupported value: {0}")]
    NonFinite(String),
    #[error(transparent)]
    Decode(#[from] DecodeError),
}

/// Helm 4's `parseMessageBlock`: the `files:` map of the second part. The
/// first part (metadata) is not interpreted, as in Helm 4.
pub fn parse_files(plaintext: &[u8]) -> Result<Vec<(String, String)>, MessageError> {
    let sep = b"\n...\n";
    let parts: Vec<&[u8]> = split(plaintext, sep);
    if parts.len() < 2 {
        return Err(MessageError::Parts);
    }
    let text = std::str::from_utf8(parts[1]).map_err(|_| MessageError::NotUtf8)?;
    let v = yaml::load(text, LoadOptions::default())?;
    if let Some(bad) = v.non_finite() {
        return Err(MessageError::NonFinite(bad.to_string()));
    }
    let ctx = Ctx {
        origin: Origin::Yaml,
        strict: false,
    };
    let mut files = None;
    if let Some(entries) = ctx.object(v, "SumCollection", "provenance.SumCollection")? {
        for (k, val) in entries {
            match crate::go::unmarshal::match_field(&k, &["files", "images"]) {
                Some("files") => ctx.string_map(val, "files", &mut files)?,
                Some(_) => {
                    let mut images = None;
                    ctx.string_map(val, "images", &mut images)?;
                }
                None => {}
            }
        }
    }
    Ok(files.unwrap_or_default())
}

/// Go's `bytes.Split`.
fn split<'a>(s: &'a [u8], sep: &[u8]) -> Vec<&'a [u8]> {
    let mut parts = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.windows(sep.len()).position(|w| w == sep) {
        parts.push(&rest[..i]);
        rest = &rest[i + sep.len()..];
    }
    parts.push(rest);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_matches_helm_layout() {
        let md = Metadata {
            api_version: "v2".into(),
            app_version: "1.16.0".into(),
            description: "A Helm chart for Kubernetes".into(),
            name: "demo".into(),
            chart_type: "application".into(),
            version: "0.1.0".into(),
            ..Default::default()
        };
        let b = message_block(&md, "demo-0.1.0.tgz", "abc").unwrap();
        assert_eq!(
            String::from_utf8(b).unwrap(),
            "apiVersion: v2\nappVersion: 1.16.0\ndescription: A Helm chart for Kubernetes\nname: demo\ntype: application\nversion: 0.1.0\n\n...\nfiles:\n  demo-0.1.0.tgz: sha256:abc\n"
        );
    }

    #[test]
    fn files_are_read_from_the_second_part() {
        let files = parse_files(b"name: x\n\n...\nfiles:\n  a.tgz: sha256:1\n").unwrap();
        assert_eq!(files, [("a.tgz".to_string(), "sha256:1".to_string())]);
        assert!(parse_files(b"no separator").is_err());
    }
}
