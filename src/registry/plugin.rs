//! A Helm plugin tarball as the artifact Helm 4 installs from a registry
//! (`helm plugin install oci://...`, `pkg/registry/plugin.go`).
//!
//! Helm 4 finds the tarball and its `.prov` by the layers'
//! `org.opencontainers.image.title` (`NAME-VERSION.tgz`, `.tgz.prov`, NAME
//! being the repository's last component), and fetches only layers typed
//! `application/vnd.oci.image.layer.v1.tar` or `tar+gzip`: a `.prov` layer
//! of any other type is skipped, and then not found. So the `.prov` goes as
//! a `tar` layer, as `oras push` types a file it is not told about.

use std::sync::Arc;

use super::manifest::{descriptor, Artifact, Blob, MANIFEST_MEDIA_TYPE};
use super::push::{check_provenance_of, PrepareError};
use super::reference::{Reference, Target};
use super::RegistryError;
use crate::chart::sha256_digest;
use crate::go::json;
use crate::plugin::{self, Metadata};

pub const PLUGIN_ARTIFACT_TYPE: &str = "application/vnd.helm.plugin.v1+json";
const EMPTY_MEDIA_TYPE: &str = "application/vnd.oci.empty.v1+json";
const TGZ_LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
const TAR_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";

/// A plugin ready to push.
#[derive(Debug, Clone)]
pub struct PreparedPlugin {
    pub metadata: Metadata,
    pub reference: Reference,
    pub artifact: Artifact,
}

/// Builds the push of a plugin tarball to `TARGET/NAME:VERSION`, its `.prov`
/// checked first: it must record `NAME-VERSION.tgz` with the tarball's
/// digest, the name Helm 4 verifies it under after an OCI install.
pub fn prepare_plugin(
    data: Arc<[u8]>,
    prov: Option<Arc<[u8]>>,
    created: &str,
    target: &Target,
) -> Result<PreparedPlugin, RegistryError> {
    let md = plugin::read_metadata(&data).map_err(PrepareError::Plugin)?;
    let reference = target.chart(&md.name, &md.version)?;
    let title = md.tarball_name();
    if let Some(p) = &prov {
        check_provenance_of(p, title.clone(), &data)?;
    }
    let config = Blob::new(EMPTY_MEDIA_TYPE, &b"{}"[..]);
    let mut layers = vec![(Blob::new(TGZ_LAYER, data), title.clone())];
    if let Some(p) = prov {
        layers.push((Blob::new(TAR_LAYER, p), format!("{title}.prov")));
    }
    let manifest = manifest_json(&config, &layers, created);
    Ok(PreparedPlugin {
        metadata: md,
        reference,
        artifact: Artifact {
            manifest_digest: sha256_digest(&manifest),
            config,
            layers: layers.into_iter().map(|(b, _)| b).collect(),
            manifest,
        },
    })
}

fn manifest_json(config: &Blob, layers: &[(Blob, String)], created: &str) -> Vec<u8> {
    let mut w = json::Writer::compact(Vec::new());
    let r: std::io::Result<()> = (|| {
        w.begin_object()?;
        w.key("schemaVersion")?;
        w.value(&crate::go::yaml::Value::Int(2))?;
        w.key("mediaType")?;
        w.string(MANIFEST_MEDIA_TYPE)?;
        w.key("artifactType")?;
        w.string(PLUGIN_ARTIFACT_TYPE)?;
        w.key("config")?;
        descriptor(&mut w, config, None)?;
        w.key("layers")?;
        w.begin_array()?;
        for (b, title) in layers {
            descriptor(&mut w, b, Some(title))?;
        }
        w.end_array()?;
        w.key("annotations")?;
        w.begin_object()?;
        w.key("org.opencontainers.image.created")?;
        w.string(created)?;
        w.end_object()?;
        w.end_object()
    })();
    r.expect("writing to memory cannot fail");
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::super::manifest::TITLE;
    use super::*;

    fn read(fixture: &str) -> Vec<u8> {
        std::fs::read(crate::test_support::fixture(fixture)).unwrap()
    }

    #[test]
    fn layers_are_titled_and_typed_for_helm_4() {
        let tgz = read("prov/helm4.1.4-plugin-rsa/hello-0.2.0.tgz");
        let prov = read("prov/helm4.1.4-plugin-rsa/hello-0.2.0.tgz.prov");
        let target = Target::parse("oci://r.example/plugins").unwrap();
        let p = prepare_plugin(
            tgz.into(),
            Some(prov.into()),
            "2026-12-03T00:00:00Z",
            &target,
        )
        .unwrap();
        assert_eq!(p.reference.repository, "plugins/hello");
        assert_eq!(p.reference.tag, "0.2.0");
        let m: serde_json::Value = serde_json::from_slice(&p.artifact.manifest).unwrap();
        assert_eq!(m["artifactType"], PLUGIN_ARTIFACT_TYPE);
        assert_eq!(m["layers"][0]["annotations"][TITLE], "hello-0.2.0.tgz");
        assert_eq!(m["layers"][0]["mediaType"], TGZ_LAYER);
        assert_eq!(m["layers"][1]["annotations"][TITLE], "hello-0.2.0.tgz.prov");
        assert_eq!(m["layers"][1]["mediaType"], TAR_LAYER);
        assert_eq!(m["config"]["size"], 2);
    }

    #[test]
    fn a_prov_for_another_tarball_is_refused() {
        let tgz = read("prov/helm4.1.4-plugin-rsa/hello-0.2.0.tgz");
        let prov = read("prov/helm4.1.4-rsa/demo-0.1.0.tgz.prov");
        let target = Target::parse("oci://r.example/plugins").unwrap();
        let e = prepare_plugin(tgz.into(), Some(prov.into()), "x", &target).unwrap_err();
        assert!(e.to_string().contains("hello-0.2.0.tgz"), "{e}");
    }
}
