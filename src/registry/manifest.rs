//! The OCI artifact `helm push` makes of a chart, byte for byte.
//!
//! A registry names a manifest by the SHA-256 of its bytes, so "the same
//! manifest as Helm" means the same bytes: Go's `json.Marshal` of
//! `ocispec.Manifest` (fields in struct order, no top-level `mediaType`,
//! HTML-safe escaping), layers sorted by digest string as oras-go v1 and
//! Helm 4 sort them, and the annotations Helm derives from `Chart.yaml`
//! (`generateOCIAnnotations` in `pkg/registry`).

use std::sync::Arc;

use crate::chart::Metadata;
use crate::chart::{metadata_json, sha256_digest};
use crate::go::json;

pub const MANIFEST_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
pub const INDEX_MEDIA_TYPE: &str = "application/vnd.oci.image.index.v1+json";
pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.cncf.helm.config.v1+json";
pub const CHART_LAYER_MEDIA_TYPE: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
pub const LEGACY_CHART_LAYER_MEDIA_TYPE: &str = "application/tar+gzip";
pub const PROV_LAYER_MEDIA_TYPE: &str = "application/vnd.cncf.helm.chart.provenance.v1.prov";

/// Annotations `helm push` never lets `Chart.yaml` override.
const IMMUTABLE: [&str; 2] = [
    "org.opencontainers.image.version",
    "org.opencontainers.image.title",
];

/// A descriptor and, while it is held, its content.
#[derive(Debug, Clone)]
pub struct Blob {
    pub media_type: &'static str,
    pub digest: String,
    pub size: u64,
    /// Empty once [`Blob::release`]d, until [`Blob::reload`].
    pub data: Arc<[u8]>,
}

impl Blob {
    pub fn new(media_type: &'static str, data: impl Into<Arc<[u8]>>) -> Blob {
        let data = data.into();
        Blob {
            media_type,
            digest: sha256_digest(&data),
            size: data.len() as u64,
            data,
        }
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Drops the content, keeping the descriptor: a run that checks a
    /// thousand archives before uploading need not hold them all.
    pub fn release(&mut self) {
        self.data = Arc::from(Vec::new());
    }

    /// Puts the content back, if it is still the content described.
    pub fn reload(&mut self, data: Vec<u8>) -> Result<(), ContentChanged> {
        let digest = sha256_digest(&data);
        if digest != self.digest {
            return Err(ContentChanged {
                actual: digest,
                expected: self.digest.clone(),
            });
        }
        self.data = data.into();
        Ok(())
    }
}

/// A file that no longer holds what was checked before the upload began.
#[derive(Debug, thiserror::Error)]
#[error("changed since it was checked ({actual}, was {expected})")]
pub struct ContentChanged {
    pub actual: String,
    pub expected: String,
}

/// Everything pushed for one chart.
#[derive(Debug, Clone)]
pub struct Artifact {
    pub config: Blob,
    /// Chart layer first, then the provenance layer if any.
    pub layers: Vec<Blob>,
    pub manifest: Vec<u8>,
    pub manifest_digest: String,
}

impl Artifact {
    /// Builds Helm's artifact for a chart archive: `md` as loaded from
    /// `chart`, the `.prov` beside it if any, and `created` (RFC 3339, the
    /// archive's modification time in `helm push`).
    pub fn new(
        md: &Metadata,
        chart: Arc<[u8]>,
        prov: Option<Arc<[u8]>>,
        created: &str,
    ) -> Artifact {
        let config = Blob::new(CONFIG_MEDIA_TYPE, metadata_json(md));
        let mut layers = vec![Blob::new(CHART_LAYER_MEDIA_TYPE, chart)];
        if let Some(p) = prov {
            layers.push(Blob::new(PROV_LAYER_MEDIA_TYPE, p));
        }
        let manifest = manifest_json(&config, &layers, &annotations(md, created));
        Artifact {
            manifest_digest: sha256_digest(&manifest),
            config,
            layers,
            manifest,
        }
    }

    /// Config and layers, the blobs that must exist before the manifest.
    pub fn blobs(&self) -> impl Iterator<Item = &Blob> {
        std::iter::once(&self.config).chain(&self.layers)
    }
}

/// `generateOCIAnnotations`: fields of `Chart.yaml` under their OCI names
/// (each only when not blank), then the chart's own annotations on top,
/// except title and version. Sorted by key, as Go marshals a map.
pub fn annotations(md: &Metadata, created: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut add = |k: &str, v: &str| {
        if !v.trim().is_empty() {
            out.push((format!("org.opencontainers.image.{k}"), v.to_string()));
        }
    };
    add("description", &md.description);
    add("title", &md.name);
    add("version", &md.version);
    add("url", &md.home);
    add("created", created);
    if let Some(s) = md.sources.first() {
        add("source", s);
    }
    if !md.maintainers.is_empty() {
        let authors: Vec<String> = md
            .maintainers
            .iter()
            .map(|m| {
                let m = m.clone().unwrap_or_default();
                let mut s = m.name;
                if !m.email.is_empty() {
                    s.push_str(&format!(" ({})", m.email));
                }
                s
            })
            .collect();
        add("authors", &authors.join(", "));
    }
    for (k, v) in &md.annotations {
        if IMMUTABLE.contains(&k.as_str()) {
            continue;
        }
        out.retain(|(ok, _)| ok != k);
        out.push((k.clone(), v.clone()));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// `json.Marshal(ocispec.Manifest{...})` with layers sorted by digest.
pub fn manifest_json(config: &Blob, layers: &[Blob], annotations: &[(String, String)]) -> Vec<u8> {
    let mut sorted: Vec<&Blob> = layers.iter().collect();
    sorted.sort_by(|a, b| a.digest.cmp(&b.digest));
    let mut w = json::Writer::compact(Vec::new());
    let r: std::io::Result<()> = (|| {
        w.begin_object()?;
        w.key("schemaVersion")?;
        w.value(&crate::go::yaml::Value::Int(2))?;
        w.key("config")?;
        descriptor(&mut w, config, None)?;
        w.key("layers")?;
        w.begin_array()?;
        for l in sorted {
            descriptor(&mut w, l, None)?;
        }
        w.end_array()?;
        if !annotations.is_empty() {
            w.key("annotations")?;
            w.begin_object()?;
            for (k, v) in annotations {
                w.key(k)?;
                w.string(v)?;
            }
            w.end_object()?;
        }
        w.end_object()
    })();
    r.expect("writing to memory cannot fail");
    w.finish()
}

/// The annotation naming a layer's file.
pub(super) const TITLE: &str = "org.opencontainers.image.title";

/// A blob's descriptor; with `title`, a [`TITLE`]
/// annotation (a chart's layers have none, a plugin's are titled).
pub(super) fn descriptor(
    w: &mut json::Writer<Vec<u8>>,
    b: &Blob,
    title: Option<&str>,
) -> std::io::Result<()> {
    w.begin_object()?;
    w.key("mediaType")?;
    w.string(b.media_type)?;
    w.key("digest")?;
    w.string(&b.digest)?;
    w.key("size")?;
    w.value(&crate::go::yaml::Value::Uint(b.size()))?;
    if let Some(t) = title {
        w.key("annotations")?;
        w.begin_object()?;
        w.key(TITLE)?;
        w.string(t)?;
        w.end_object()?;
    }
    w.end_object()
}

/// What a manifest in the registry says about a chart, enough to tell
/// whether it already holds a given archive and provenance.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub config_media_type: String,
    /// Digests of chart layers (current or legacy media type).
    pub chart_digests: Vec<String>,
    pub prov_digest: Option<String>,
    /// All descriptors' digests, to check they exist.
    pub blob_digests: Vec<String>,
}

/// Reads the parts of a manifest `helm pull` looks at.
pub fn summarize(bytes: &[u8]) -> Option<Summary> {
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    let digest_of = |d: &serde_json::Value| d.get("digest")?.as_str().map(str::to_string);
    let mut s = Summary {
        config_media_type: v.pointer("/config/mediaType")?.as_str()?.to_string(),
        ..Summary::default()
    };
    s.blob_digests.push(digest_of(v.get("config")?)?);
    for l in v.get("layers")?.as_array()? {
        let d = digest_of(l)?;
        match l.get("mediaType").and_then(|m| m.as_str()) {
            Some(CHART_LAYER_MEDIA_TYPE | LEGACY_CHART_LAYER_MEDIA_TYPE) => {
                s.chart_digests.push(d.clone())
            }
            Some(PROV_LAYER_MEDIA_TYPE) => s.prov_digest = Some(d.clone()),
            _ => {}
        }
        s.blob_digests.push(d);
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::Maintainer;

    /// The manifest and config the reference records from `helm push`
    /// (Helm 3.17.3), rebuilt from the same metadata and layer descriptors.
    #[test]
    fn same_bytes_as_helm_push() {
        let md = Metadata {
            name: "mychart".into(),
            home: "https://example.com/mychart".into(),
            sources: vec!["https://github.com/example/mychart".into()],
            version: "0.1.0+build.7".into(),
            description: "A Helm chart for Kubernetes testing OCI push".into(),
            maintainers: vec![
                Some(Maintainer {
                    name: "Jane Doe".into(),
                    email: "jane@example.com".into(),
                    url: "https://jane.example.com".into(),
                }),
                Some(Maintainer {
                    name: "Bob".into(),
                    ..Maintainer::default()
                }),
            ],
            api_version: "v2".into(),
            app_version: "1.16.0".into(),
            annotations: vec![
                (
                    "org.opencontainers.image.licenses".into(),
                    "Apache-2.0".into(),
                ),
                ("custom.annotation/foo".into(), "bar".into()),
            ],
            chart_type: "application".into(),
            ..Metadata::default()
        };
        let config = metadata_json(&md);
        assert_eq!(
            std::str::from_utf8(&config).unwrap(),
            r#"{"name":"mychart","home":"https://example.com/mychart","sources":["https://github.com/example/mychart"],"version":"0.1.0+build.7","description":"A Helm chart for Kubernetes testing OCI push","maintainers":[{"name":"Jane Doe","email":"jane@example.com","url":"https://jane.example.com"},{"name":"Bob"}],"apiVersion":"v2","appVersion":"1.16.0","annotations":{"custom.annotation/foo":"bar","org.opencontainers.image.licenses":"Apache-2.0"},"type":"application"}"#
        );
        assert_eq!(
            sha256_digest(&config),
            "sha256:6613d368d86f20ae3fe2a341a781177a7bea0ff691cd08cfeac52fce4eb84aa8"
        );
        let fake = |media_type, digest: &str, size: usize| Blob {
            media_type,
            digest: digest.into(),
            size: size as u64,
            data: vec![0u8; size].into(),
        };
        let layers = [
            fake(
                CHART_LAYER_MEDIA_TYPE,
                "sha256:06ebc2a4638f4fbff9d228dda80030912f42d44f4149b929920232b8122c88d5",
                4301,
            ),
            fake(
                PROV_LAYER_MEDIA_TYPE,
                "sha256:9765fd6a58a7e20df052fb270dea828c3b4b866a63c73f02950137c3578e9d0c",
                1039,
            ),
        ];
        let m = manifest_json(
            &Blob::new(CONFIG_MEDIA_TYPE, config),
            &layers,
            &annotations(&md, "2026-11-21T18:31:13Z"),
        );
        assert_eq!(
            sha256_digest(&m),
            "sha256:ac7488333c2fe2fb06fbb592f917a99884d88534246fae2a541f493c62f3afa3"
        );
        let s = summarize(&m).unwrap();
        assert_eq!(s.config_media_type, CONFIG_MEDIA_TYPE);
        assert_eq!(s.chart_digests, vec![layers[0].digest.clone()]);
        assert_eq!(s.prov_digest.as_deref(), Some(layers[1].digest.as_str()));
    }

    #[test]
    fn released_content_comes_back_only_unchanged() {
        let mut b = Blob::new(CHART_LAYER_MEDIA_TYPE, b"chart".to_vec());
        b.release();
        assert!(b.data.is_empty());
        assert_eq!(b.size(), 5);
        assert!(b
            .reload(b"other".to_vec())
            .unwrap_err()
            .to_string()
            .contains("changed"));
        b.reload(b"chart".to_vec()).unwrap();
        assert_eq!(&*b.data, b"chart");
    }

    #[test]
    fn chart_annotations_override_all_but_title_and_version() {
        let md = Metadata {
            name: "a".into(),
            version: "1.0.0".into(),
            description: "  ".into(),
            maintainers: vec![Some(Maintainer {
                email: "x@y".into(),
                ..Maintainer::default()
            })],
            annotations: vec![
                ("org.opencontainers.image.title".into(), "other".into()),
                (
                    "org.opencontainers.image.created".into(),
                    "yesterday".into(),
                ),
            ],
            ..Metadata::default()
        };
        let a = annotations(&md, "now");
        let get = |k: &str| {
            a.iter()
                .find(|(x, _)| x == &format!("org.opencontainers.image.{k}"))
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("title"), Some("a"));
        assert_eq!(get("created"), Some("yesterday"));
        assert_eq!(get("description"), None);
        assert_eq!(get("authors"), Some(" (x@y)"));
    }
}
