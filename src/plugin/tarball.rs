//! The `plugin.yaml` of a plugin tarball, found as Helm 4 finds it
//! (`ExtractTgzPluginMetadata`): the first regular member whose base name is
//! `plugin.yaml`, at any depth. A pack that carries plugins of its own
//! (`plugins/<name>/plugin.yaml`) must therefore put its top `plugin.yaml`
//! first, which `scripts/release.sh` does.

use std::io::{self, Read};

use flate2::read::MultiGzDecoder;

use super::{parse_legacy, Metadata, PluginError};
use crate::go::tar;

/// The largest `plugin.yaml` read (Helm has no limit; real ones are a few
/// hundred bytes).
pub const MAX_PLUGIN_YAML: u64 = 1 << 20;

/// Decompressed bytes scanned for the `plugin.yaml` before giving up, so
/// that a small hostile archive cannot keep a run busy for minutes.
pub(super) const SCAN_BUDGET: u64 = 1 << 30;

/// The metadata of the plugin tarball `archive` (gzip bytes).
pub fn read_metadata(archive: &[u8]) -> Result<Metadata, PluginError> {
    let text = plugin_yaml(archive, |_| true)?;
    let text = String::from_utf8(text).map_err(|_| PluginError::Invalid("not UTF-8".into()))?;
    parse_legacy(&text)
}

/// Whether `archive` is laid out as Helm installs a plugin: a `plugin.yaml`
/// at its root or in one top folder (`detectPluginRoot`).
pub fn is_plugin_tarball(archive: &[u8]) -> bool {
    plugin_yaml(archive, |name| {
        name.iter().filter(|b| **b == b'/').count() <= 1
    })
    .is_ok()
}

fn plugin_yaml(archive: &[u8], wanted: impl Fn(&[u8]) -> bool) -> Result<Vec<u8>, PluginError> {
    if !archive.starts_with(b"\x1f\x8b") {
        return Err(PluginError::Archive(
            "it does not start as gzip does".into(),
        ));
    }
    let mut limited = MultiGzDecoder::new(archive).take(SCAN_BUDGET);
    let mut tr = tar::Reader::new(&mut limited);
    let err = |e: tar::Error| PluginError::Archive(e.to_string());
    loop {
        let hd = match tr.next() {
            Ok(Some(hd)) => hd,
            Ok(None) => break,
            Err(e) => {
                if limited.limit() == 0 {
                    return Err(PluginError::Budget);
                }
                return Err(err(e));
            }
        };
        let name = hd.name.strip_prefix(b"./").unwrap_or(&hd.name);
        let base = name.rsplit(|b| *b == b'/').next().unwrap_or_default();
        if base != b"plugin.yaml" || hd.typeflag != tar::TYPE_REG || !wanted(name) {
            continue;
        }
        if hd.size < 0 || hd.size as u64 > MAX_PLUGIN_YAML {
            return Err(PluginError::TooLarge);
        }
        let mut data = Vec::with_capacity(hd.size as usize);
        (&mut tr)
            .take(MAX_PLUGIN_YAML)
            .read_to_end(&mut data)
            .map_err(|e: io::Error| PluginError::Archive(e.to_string()))?;
        return Ok(data);
    }
    if limited.limit() == 0 {
        return Err(PluginError::Budget);
    }
    Err(PluginError::Missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> Vec<u8> {
        std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/prov/helm4.1.4-plugin-rsa/hello-0.2.0.tgz"),
        )
        .unwrap()
    }

    #[test]
    fn reads_the_plugin_yaml_of_a_helm_4_tarball() {
        let md = read_metadata(&fixture()).unwrap();
        assert_eq!(md.tarball_name(), "hello-0.2.0.tgz");
    }

    #[test]
    fn refuses_what_is_no_plugin_tarball() {
        assert!(matches!(
            read_metadata(b"plain text"),
            Err(PluginError::Archive(_))
        ));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        io::Write::write_all(&mut gz, &[0u8; 1024]).unwrap();
        let empty = gz.finish().unwrap();
        assert!(matches!(read_metadata(&empty), Err(PluginError::Missing)));
    }
}
