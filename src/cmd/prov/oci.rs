//! `helm prov sign|verify oci://...`: charts in registries, their `.prov`
//! layer (what `helm pull --verify` reads) and the Sigstore signatures
//! cosign keeps beside their manifests.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde::Serialize;

use super::sigstore::Prepared;
use super::ProvError;
use crate::cli::EnvSettings;
use crate::net::Secret;
use crate::registry::{self, ChartRef, Client, ClientOptions, RegistryError};
use crate::sigstore::{self as sig, Labels, SignSettings, SigningKey, Verified};

/// How a registry is reached, for every `oci://` target of one run.
#[derive(Debug, Default, Clone)]
pub struct RegistryAccess {
    pub options: ClientOptions,
    /// `--username`; with `password`, replaces the credentials `helm
    /// registry login` stored.
    pub username: Option<String>,
    pub password: Option<Secret>,
}

/// `oci://HOST/PATH/CHART`.
pub(super) fn is_oci_ref(p: &Path) -> bool {
    p.as_os_str().to_string_lossy().starts_with("oci://")
}

/// One client per registry host for a run, shared by every target on it:
/// credentials are looked up, and a registry's challenge and tokens
/// learned, once per host rather than once per chart.
pub(super) struct Clients<'a> {
    access: &'a RegistryAccess,
    settings: &'a EnvSettings,
    made: Mutex<HashMap<String, Arc<Client>>>,
}

impl<'a> Clients<'a> {
    pub(super) fn new(access: &'a RegistryAccess, settings: &'a EnvSettings) -> Clients<'a> {
        Clients {
            access,
            settings,
            made: Mutex::default(),
        }
    }

    /// The chart a target names and the client for its registry, with the
    /// credentials given or stored.
    pub(super) fn connect(
        &self,
        target: &Path,
        version: Option<&str>,
    ) -> Result<(ChartRef, Arc<Client>), ProvError> {
        let spec = target.as_os_str().to_string_lossy();
        let oci = |source| ProvError::Registry {
            target: target.to_path_buf(),
            source,
        };
        let r = registry::parse_chart_ref(&spec, version).map_err(oci)?;
        let host = &r.reference.host;
        let mut made = self.made.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = made.get(host) {
            return Ok((r.clone(), c.clone()));
        }
        let credential = registry::credential_for(
            host,
            self.access.username.as_deref(),
            self.access.password.as_ref(),
            &self.settings.registry_config,
        )
        .map_err(oci)?;
        let client = Arc::new(Client::new(host, credential, &self.access.options).map_err(oci)?);
        made.insert(host.clone(), client.clone());
        Ok((r, client))
    }
}

/// Targets in flight at once when some are in registries: their time goes
/// in waiting for answers, not in the CPU (as `helm ocipush`'s default).
pub(super) const REMOTE_WORKERS: usize = 8;

/// Which of cosign's storage forms `sign` writes (`--sigstore-format`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SigstoreFormat {
    /// The v3 bundle as an OCI 1.1 referrer (cosign v3, Artifact Hub
    /// 1.23+, Flux, Kyverno).
    Bundle,
    /// The `sha256-<hex>.sig` simple signing manifest (cosign v2 and older
    /// verifiers).
    Legacy,
    /// Both, so that every verifier in use finds one.
    #[default]
    Both,
}

/// What signing a chart in a registry stored.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OciSigned {
    /// The signed manifest, `HOST/REPO@sha256:...`.
    pub manifest: String,
    /// The referrer manifest holding the bundle, and where it is indexed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bundle: Option<String>,
    /// The legacy signature tag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legacy: Option<String>,
}

/// Signs the manifest a target names, in the forms asked for.
pub(super) fn sign(
    target: &Path,
    key: &SigningKey,
    settings: SignSettings,
    format: SigstoreFormat,
    clients: &Clients,
) -> Result<OciSigned, ProvError> {
    let oci = |source| ProvError::Registry {
        target: target.to_path_buf(),
        source,
    };
    let (r, client) = clients.connect(target, None)?;
    let repo = &r.reference.repository;
    let subject = registry::resolve(&client, repo, &r.reference.tag).map_err(oci)?;
    sign_subject(
        &client,
        &r.reference.host,
        repo,
        &subject,
        key,
        settings,
        format,
    )
    .map_err(|e| match e {
        SubjectError::Registry(source) => oci(source),
        SubjectError::Prov(e) => e,
    })
}

/// Why signing a manifest stopped: the registry (which a target's error
/// names the target of), or the signing.
#[derive(Debug, thiserror::Error)]
pub(super) enum SubjectError {
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Prov(ProvError),
}

impl From<crate::sigstore::SigstoreError> for SubjectError {
    fn from(e: crate::sigstore::SigstoreError) -> Self {
        SubjectError::Prov(e.into())
    }
}

/// Signs a manifest of `repo` on `host` and stores the signatures beside
/// it, in the forms asked for.
fn sign_subject(
    client: &Client,
    host: &str,
    repo: &str,
    subject: &registry::Subject,
    key: &SigningKey,
    settings: SignSettings,
    format: SigstoreFormat,
) -> Result<OciSigned, SubjectError> {
    let mut out = OciSigned {
        manifest: format!("{host}/{repo}@{}", subject.digest),
        bundle: None,
        legacy: None,
    };
    if format != SigstoreFormat::Legacy {
        let bundle = sig::sign_manifest_bundle(&subject.digest, key, settings)?;
        let created = crate::registry::created_annotation(std::time::SystemTime::now());
        let attached = registry::attach_bundle(
            client,
            repo,
            subject,
            bundle.as_bytes(),
            sig::COSIGN_SIGN_PREDICATE,
            &created,
        )?;
        out.bundle = Some(match attached.indexed {
            registry::Indexed::ReferrersApi => {
                format!("{} (referrers API)", attached.manifest)
            }
            registry::Indexed::TagIndex => format!(
                "{} (tag index {})",
                attached.manifest,
                registry::fallback_tag(&subject.digest)
            ),
        });
    }
    if format != SigstoreFormat::Bundle {
        let docker_reference = format!("{host}/{repo}");
        let signed = sig::sign_manifest_legacy(&docker_reference, &subject.digest, key, settings)?;
        registry::attach_legacy(
            client,
            repo,
            subject,
            &registry::LegacySignature {
                payload: signed.payload,
                annotations: signed.annotations,
            },
        )?;
        out.legacy = Some(registry::legacy_tag(&subject.digest));
    }
    Ok(out)
}

/// `helm ocipush --sign sigstore`: what signs each manifest pushed, with
/// the push's own client (its credentials and TLS). The key (or, keyless,
/// the certificate) and trusted root are made once, before anything is
/// pushed.
pub fn manifest_signer(
    key_file: Option<&Path>,
    s: &super::SigstoreSign,
    env: &crate::cli::EnvSettings,
) -> Result<crate::cmd::ocipush::ManifestSigner, ProvError> {
    let run = super::sigstore::SigningRun::new(
        s,
        env,
        key_file.is_none(),
        s.format != SigstoreFormat::Bundle,
    )?;
    let key = super::sigstore::signing_identity(key_file, s, &run.services)?;
    let format = s.format;
    Ok(crate::cmd::ocipush::ManifestSigner(std::sync::Arc::new(
        move |client: &Client, host: &str, repo: &str, digest: &str| {
            let settings = run.settings();
            let subject = registry::resolve(client, repo, digest)
                .map_err(|e| crate::cli::render_error(&e))?;
            let signed = sign_subject(client, host, repo, &subject, &key, settings, format)
                .map_err(|e| crate::cli::render_error(&e))?;
            Ok(match (&signed.bundle, &signed.legacy) {
                (Some(b), Some(l)) => format!("bundle referrer {b}, legacy {l}"),
                (Some(b), None) => format!("bundle referrer {b}"),
                (None, Some(l)) => format!("legacy {l}"),
                (None, None) => String::new(),
            })
        },
    )))
}

/// What was found beside a manifest, and whether one signature verified.
pub(super) struct OciVerdict {
    pub result: Result<Verified, ProvError>,
    pub notes: Vec<String>,
}

/// Verifies the Sigstore signatures attached to the manifest `digest` of
/// the chart `r` names: every bundle referrer and legacy layer is tried,
/// and one that verifies under the policy passes, as in cosign. What was
/// left aside is noted.
pub(super) fn verify(
    target: &Path,
    r: &ChartRef,
    digest: &str,
    client: &Client,
    p: &Prepared,
) -> OciVerdict {
    let oci = |source| ProvError::Registry {
        target: target.to_path_buf(),
        source,
    };
    let repo = &r.reference.repository;
    let artifact = format!("{}/{repo}@{digest}", r.reference.host);
    let mut notes = Vec::new();
    let result = (|| {
        let mut failures = Vec::new();
        // Bundles first; the legacy form is read only when no bundle
        // verifies, which saves two requests per chart signed both ways.
        let mut bundles = registry::find_bundles(client, repo, digest).map_err(oci)?;
        notes.append(&mut bundles.skipped);
        for b in &bundles.signatures {
            let labels = Labels {
                artifact: artifact.clone(),
                bundle: format!("bundle referrer {}", b.manifest),
            };
            match sig::verify_manifest_bundle(&b.bytes, digest, &labels, &p.policy, &p.trust) {
                Ok(v) => return Ok(v),
                Err(e) => failures.push(e),
            }
        }
        let mut legacy = registry::find_legacy(client, repo, digest).map_err(oci)?;
        notes.append(&mut legacy.skipped);
        let count = legacy.signatures.len();
        for (i, l) in legacy.signatures.iter().enumerate() {
            let labels = Labels {
                artifact: artifact.clone(),
                bundle: format!(
                    "{} (signature {} of {count})",
                    registry::legacy_tag(digest),
                    i + 1
                ),
            };
            let r = sig::verify_manifest_legacy(
                &l.payload,
                &l.annotations,
                digest,
                &labels,
                &p.policy,
                &p.trust,
            );
            match r {
                Ok(v) => return Ok(v),
                Err(e) => failures.push(e),
            }
        }
        match failures.len() {
            0 => Err(ProvError::NoOciSignatures {
                target: artifact.clone(),
            }),
            1 => Err(failures.remove(0).into()),
            tried => {
                // Each is noted; the error names how many were tried.
                let last = failures.pop().expect("two or more");
                for e in failures {
                    notes.push(crate::cli::render_error(&e));
                }
                Err(ProvError::NoneVerified {
                    target: artifact.clone(),
                    tried,
                    last: Box::new(last.into()),
                })
            }
        }
    })();
    OciVerdict { result, notes }
}
