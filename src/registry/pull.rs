//! Reading a chart back from a registry into memory, as `helm pull` does:
//! the manifest a tag names, then its chart layer and, when asked for, its
//! provenance layer, each checked against its digest.

use super::client::Client;
use super::manifest::{summarize, CONFIG_MEDIA_TYPE, PROV_LAYER_MEDIA_TYPE};
use super::reference::{Reference, Target};
use super::RegistryError;

/// The largest chart layer read into memory: Helm's limit on a chart's
/// decompressed size (100 MiB), which no archive of an accepted chart
/// exceeds.
pub const MAX_CHART_BYTES: u64 = 100 << 20;
/// The largest provenance layer read into memory. Helm writes a few KiB.
pub const MAX_PROV_BYTES: u64 = 1 << 20;

/// A chart's reference in a registry, `oci://HOST[:PORT]/PATH/NAME`, with
/// the version given apart or as the reference's tag, or a manifest digest
/// (`NAME@sha256:...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartRef {
    pub reference: Reference,
    /// The chart name: the last path segment.
    pub name: String,
}

/// Parses `oci://HOST[:PORT]/PATH/NAME[:TAG]` with `version` (Helm's
/// `--version`), or `oci://HOST[:PORT]/PATH/NAME@sha256:HEX`; a tag and a
/// version that differ are an error, as is a reference with neither (the
/// newest version is not looked up).
pub fn parse_chart_ref(s: &str, version: Option<&str>) -> Result<ChartRef, RegistryError> {
    let bad = |problem: &str| RegistryError::ChartRef(problem.to_string());
    let rest = s
        .strip_prefix("oci://")
        .ok_or_else(|| bad("the reference must start with oci://"))?;
    let (prefix, last) = rest
        .rsplit_once('/')
        .ok_or_else(|| bad("the reference names no chart: oci://HOST/PATH/CHART"))?;
    if let Some((name, digest)) = last.split_once('@') {
        // A manifest digest names the chart exactly (signing and verifying
        // by digest, as cosign does); a version beside it is not checked
        // against the chart and is refused.
        if version.is_some() {
            return Err(bad(
                "a digest reference names the chart already: drop --version",
            ));
        }
        let hex = digest.strip_prefix("sha256:").unwrap_or("");
        if hex.len() != 64 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(bad(
                "a digest reference is @sha256: and 64 lower-case hex digits",
            ));
        }
        let name = name.split_once(':').map_or(name, |(n, _)| n);
        let target = Target::parse(&format!("oci://{prefix}"))?;
        let mut reference = target.chart(name, "0")?;
        reference.tag = digest.to_string();
        return Ok(ChartRef {
            reference,
            name: name.to_string(),
        });
    }
    let (name, tag) = match last.split_once(':') {
        Some((n, t)) => (n, Some(t)),
        None => (last, None),
    };
    if name.is_empty() {
        return Err(bad("the reference names no chart: oci://HOST/PATH/CHART"));
    }
    let version = match (tag, version) {
        (Some(t), Some(v)) if super::reference::tag_for_version(v) != t => {
            return Err(bad(&format!(
                "the reference's tag {t:?} and --version {v:?} differ"
            )))
        }
        (_, Some(v)) => v,
        (Some(t), None) => t,
        (None, None) => {
            return Err(bad(
                "give the chart version with --version (or as the reference's :TAG)",
            ))
        }
    };
    let target = Target::parse(&format!("oci://{prefix}"))?;
    Ok(ChartRef {
        reference: target.chart(name, version)?,
        name: name.to_string(),
    })
}

/// A chart read from a registry.
#[derive(Debug)]
pub struct Pulled {
    pub manifest_digest: String,
    pub chart: Vec<u8>,
    pub prov: Option<Vec<u8>>,
}

/// Reads the chart `r` names, and its provenance when `with_prov` (a
/// manifest without a provenance layer is then an error, as in `helm pull
/// --verify`).
pub fn pull(client: &Client, r: &Reference, with_prov: bool) -> Result<Pulled, RegistryError> {
    let bad = |problem: String| RegistryError::Pull {
        reference: r.to_string(),
        problem,
    };
    let (manifest, manifest_digest) = client
        .get_manifest(&r.repository, &r.tag)?
        .ok_or_else(|| bad("not found".into()))?;
    let summary = summarize(&manifest)
        .ok_or_else(|| bad("the manifest is not an OCI image manifest".into()))?;
    if summary.config_media_type != CONFIG_MEDIA_TYPE {
        return Err(bad(format!(
            "not a Helm chart: the manifest's config media type is {:?}, not {CONFIG_MEDIA_TYPE:?}",
            summary.config_media_type
        )));
    }
    let chart_digest = match summary.chart_digests.as_slice() {
        [one] => one,
        [] => return Err(bad("the manifest has no chart layer".into())),
        many => {
            return Err(bad(format!(
                "the manifest has {} chart layers, not one",
                many.len()
            )))
        }
    };
    let prov = match (&summary.prov_digest, with_prov) {
        (_, false) => None,
        (Some(d), true) => Some(client.get_blob(&r.repository, d, MAX_PROV_BYTES)?),
        (None, true) => {
            return Err(bad(format!(
                "the manifest has no provenance layer ({PROV_LAYER_MEDIA_TYPE}): the chart was pushed unsigned"
            )))
        }
    };
    let chart = client.get_blob(&r.repository, chart_digest, MAX_CHART_BYTES)?;
    Ok(Pulled {
        manifest_digest,
        chart,
        prov,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(s: &str, v: Option<&str>) -> Result<(String, String, String), String> {
        parse_chart_ref(s, v)
            .map(|c| (c.reference.host, c.reference.repository, c.reference.tag))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn references() {
        let want = |h: &str, r: &str, t: &str| Ok((h.into(), r.into(), t.into()));
        assert_eq!(
            parsed("oci://localhost:5000/charts/demo", Some("0.1.0+b1")),
            want("localhost:5000", "charts/demo", "0.1.0_b1")
        );
        assert_eq!(
            parsed("oci://ghcr.io/demo:1.2.3", None),
            want("ghcr.io", "demo", "1.2.3")
        );
        assert_eq!(
            parsed("oci://ghcr.io/a/demo:1.2.3_x", Some("1.2.3+x")),
            want("ghcr.io", "a/demo", "1.2.3_x")
        );
        let hex = "a".repeat(64);
        assert_eq!(
            parsed(&format!("oci://ghcr.io/a/demo@sha256:{hex}"), None),
            want("ghcr.io", "a/demo", &format!("sha256:{hex}"))
        );
        assert_eq!(
            parsed(&format!("oci://ghcr.io/a/demo:1.0@sha256:{hex}"), None),
            want("ghcr.io", "a/demo", &format!("sha256:{hex}"))
        );
        for (bad, why) in [
            ("oci://ghcr.io/demo", "--version"),
            ("oci://ghcr.io/demo:1.0.0", "differ"),
            ("oci://ghcr.io/demo@sha256:00", "digest"),
            ("oci://ghcr.io", "names no chart"),
            ("oci://ghcr.io/", "names no chart"),
            ("oci://ghcr.io/Demo", "chart name"),
        ] {
            let v = if bad.ends_with(":1.0.0") {
                Some("2.0.0")
            } else if bad.ends_with("/Demo") {
                Some("1.0.0")
            } else {
                None
            };
            let e = parsed(bad, v).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }
}
