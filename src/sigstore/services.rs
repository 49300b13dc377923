//! Which Sigstore services a signature is made with: the certificate
//! authority (Fulcio), the transparency log (Rekor v1 or v2) and the
//! timestamp authority, as cosign v3 picks them.
//!
//! A signing configuration (`signing_config.v0.2.json`) names an
//! instance's services; the public-good one is built in, `helm prov trust
//! update` refreshes it over TUF, and `--signing-config FILE` names a
//! private instance's. Service URL flags (`--fulcio-url`, `--rekor-url`,
//! `--tsa-url`) name services one by one instead, and then no
//! configuration is read: a signature meant for a private instance must
//! not reach the public one because a flag was forgotten. cosign refuses
//! both together, and so do we.

use std::path::{Path, PathBuf};

use sigstore_verify::trust_root::{
    ServiceConfiguration, ServiceSelector, SigningConfig, SIGSTORE_PRODUCTION_SIGNING_CONFIG,
};

use super::SigstoreError;
use crate::net::SafeUrl;

/// The public-good instance's certificate authority, cosign's default.
pub const PUBLIC_FULCIO: &str = "https://fulcio.sigstore.dev";
/// The public-good instance's log, cosign's default.
pub const PUBLIC_REKOR: &str = "https://rekor.sigstore.dev";

/// A transparency log and the API it speaks.
#[derive(Debug, Clone)]
pub struct Log {
    pub url: SafeUrl,
    /// Rekor v2 (`/api/v2/log/entries`, `hashedrekord` 0.0.2 entries
    /// without a signed entry timestamp) rather than v1.
    pub v2: bool,
}

/// The services of one signing run, chosen once for all its targets.
#[derive(Debug, Clone)]
pub struct Services {
    pub fulcio: SafeUrl,
    /// The log signatures are entered in: the highest API version the
    /// configuration offers. `None` with `--tlog-upload=false`.
    pub rekor: Option<Log>,
    /// A Rekor v1 log, for cosign's legacy `.sig` form: its annotation
    /// carries a signed entry timestamp, which Rekor v2 does not make.
    pub rekor_v1: Option<SafeUrl>,
    pub tsa: Option<SafeUrl>,
    /// Where the services came from, for messages.
    pub source: String,
}

/// What the command line says about services.
#[derive(Debug, Clone, Default)]
pub struct ServiceFlags {
    pub fulcio_url: Option<SafeUrl>,
    pub rekor_url: Option<SafeUrl>,
    pub tsa_url: Option<SafeUrl>,
    pub signing_config: Option<PathBuf>,
    /// `--tlog-upload` (cosign's default: true).
    pub tlog_upload: bool,
}

impl Services {
    /// The services `flags` name; without any, those of the signing
    /// configuration `--signing-config` gives, else the one `helm prov
    /// trust update` stored at `refreshed`, else the public-good one built
    /// in.
    pub fn resolve(flags: &ServiceFlags, refreshed: &Path) -> Result<Services, SigstoreError> {
        let named =
            flags.fulcio_url.is_some() || flags.rekor_url.is_some() || flags.tsa_url.is_some();
        if named && flags.signing_config.is_some() {
            return Err(SigstoreError::ServicesTwice);
        }
        if named {
            let rekor = flags
                .rekor_url
                .clone()
                .unwrap_or_else(|| SafeUrl::from(PUBLIC_REKOR));
            return Ok(Services {
                fulcio: flags
                    .fulcio_url
                    .clone()
                    .unwrap_or_else(|| SafeUrl::from(PUBLIC_FULCIO)),
                rekor: flags.tlog_upload.then(|| Log {
                    url: rekor.clone(),
                    v2: false,
                }),
                rekor_v1: flags.tlog_upload.then_some(rekor),
                tsa: flags.tsa_url.clone(),
                source: "the service URL flags".into(),
            });
        }
        let (text, source) = match &flags.signing_config {
            Some(p) => (super::read_document(p)?, p.display().to_string()),
            None if refreshed.is_file() => (
                super::read_document(refreshed)?,
                format!(
                    "the signing configuration from `helm prov trust update` ({})",
                    refreshed.display()
                ),
            ),
            None => (
                SIGSTORE_PRODUCTION_SIGNING_CONFIG.to_string(),
                "the public-good signing configuration built in".to_string(),
            ),
        };
        let config = SigningConfig::from_json(&text).map_err(|e| SigstoreError::SigningConfig {
            what: source.clone(),
            detail: e.to_string(),
        })?;
        Self::from_config(&config, flags.tlog_upload, source)
    }

    pub(super) fn from_config(
        config: &SigningConfig,
        tlog_upload: bool,
        source: String,
    ) -> Result<Services, SigstoreError> {
        let missing = |what: &str| SigstoreError::SigningConfig {
            what: source.clone(),
            detail: format!("it names no {what} valid now"),
        };
        let url = |s: &str| SafeUrl::from(s.trim_end_matches('/'));
        let fulcio = url(&config
            .fulcio_url()
            .ok_or_else(|| missing("certificate authority"))?
            .url);
        let (rekor, rekor_v1) = if tlog_upload {
            let best = config
                .rekor_url(None)
                .ok_or_else(|| missing("transparency log"))?;
            let same_version = config
                .eligible_rekor_urls(Some(best.major_api_version))
                .len();
            one_service(
                &config.rekor_tlog_config,
                same_version,
                "transparency logs",
                &source,
            )?;
            (
                Some(Log {
                    url: url(&best.url),
                    v2: best.major_api_version == 2,
                }),
                config.rekor_url(Some(1)).map(|e| url(&e.url)),
            )
        } else {
            (None, None)
        };
        // Without the log, the signature is made to be offline: a
        // configured timestamp authority is not asked either (name one
        // with --tsa-url to have both).
        let tsa = tlog_upload
            .then(|| config.tsa_url().map(|e| url(&e.url)))
            .flatten();
        if tsa.is_some() {
            one_service(
                &config.tsa_config,
                config.eligible_tsa_urls().len(),
                "timestamp authorities",
                &source,
            )?;
        }
        if rekor.as_ref().is_some_and(|l| l.v2) && tsa.is_none() {
            return Err(SigstoreError::SigningConfig {
                what: source,
                detail: "it names a Rekor v2 log but no timestamp authority, and Rekor v2 \
                         entries carry no time of their own"
                    .into(),
            });
        }
        Ok(Services {
            fulcio,
            rekor,
            rekor_v1,
            tsa,
            source,
        })
    }

    /// The v1 log for the legacy form; `None` with `--tlog-upload=false`.
    pub fn v1_log(&self) -> Result<Option<&SafeUrl>, SigstoreError> {
        match (&self.rekor, &self.rekor_v1) {
            (None, _) => Ok(None),
            (Some(_), Some(v1)) => Ok(Some(v1)),
            (Some(_), None) => Err(SigstoreError::NoV1Log {
                what: self.source.clone(),
            }),
        }
    }

    /// Refuses, before anything is sent, services of the public-good
    /// instance that `trust` does not name: what they answer could not
    /// verify against it, and a signature meant for a private instance
    /// (a `--trusted-root`, or a refreshed root whose repository
    /// publishes no signing configuration, or a service flag left out)
    /// must not reach the public log or certificate authority. `keyless`
    /// says whether the certificate authority is asked at all, `legacy`
    /// whether the v1 log is (for cosign's legacy form).
    pub fn check_against(
        &self,
        trust: &super::Trust,
        keyless: bool,
        legacy: bool,
    ) -> Result<(), SigstoreError> {
        let used = [
            keyless.then_some(("certificate authority", &self.fulcio)),
            self.rekor.as_ref().map(|l| ("transparency log", &l.url)),
            self.rekor_v1
                .as_ref()
                .filter(|_| legacy && self.rekor.is_some())
                .map(|u| ("transparency log", u)),
            self.tsa.as_ref().map(|u| ("timestamp authority", u)),
        ];
        for (what, url) in used.into_iter().flatten() {
            let Some(host) = host_of(url.expose()) else {
                continue;
            };
            if is_public_good(&host) && !trust.service_hosts.contains(&host) {
                return Err(SigstoreError::ServiceNotTrusted {
                    what,
                    url: url.to_string(),
                    services: self.source.clone(),
                    trust: trust.source.clone(),
                });
            }
        }
        Ok(())
    }

    /// Whether a signature made with these services gets anything a
    /// verifier checks beyond the signature itself (and so whether it is
    /// verified before it is written).
    pub fn countersigned(&self) -> bool {
        self.rekor.is_some() || self.tsa.is_some()
    }
}

/// A configuration's selector must pick one service, as we ask one: ANY,
/// or ALL or EXACT where that comes to one. Several logs or timestamps on
/// one signature are refused rather than silently reduced to one, and an
/// undefined selector is refused as the specification says.
fn one_service(
    c: &ServiceConfiguration,
    eligible: usize,
    what: &str,
    source: &str,
) -> Result<(), SigstoreError> {
    let wanted = match c.selector {
        ServiceSelector::Any => return Ok(()),
        ServiceSelector::All => eligible,
        ServiceSelector::Exact => c.count.unwrap_or(0) as usize,
        _ => 0,
    };
    if wanted == 1 {
        return Ok(());
    }
    Err(SigstoreError::SigningConfig {
        what: source.to_string(),
        detail: match c.selector {
            ServiceSelector::All | ServiceSelector::Exact => {
                format!("it asks for {wanted} {what} on every signature, and helm prov asks one")
            }
            _ => format!("its selector of {what} is undefined"),
        },
    })
}

/// The lowercased host of a service URL.
pub(super) fn host_of(url: &str) -> Option<String> {
    reqwest::Url::parse(url)
        .ok()?
        .host_str()
        .map(|h| h.to_ascii_lowercase())
}

/// The public-good instance's domain (its production and staging
/// services alike).
fn is_public_good(host: &str) -> bool {
    ["sigstore.dev", "sigstage.dev"]
        .iter()
        .any(|d| host == *d || host.strip_suffix(d).is_some_and(|h| h.ends_with('.')))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(rekor: &[(&str, u32)], tsa: Option<&str>) -> SigningConfig {
        let service = |url: &str, v: u32| {
            serde_json::json!({"url": url, "majorApiVersion": v,
                "validFor": {"start": "2020-01-01T00:00:00Z"}})
        };
        let json = serde_json::json!({
            "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
            "caUrls": [service("https://ca.example/", 1)],
            "rekorTlogUrls": rekor.iter().map(|(u, v)| service(u, *v)).collect::<Vec<_>>(),
            "tsaUrls": tsa.map(|t| vec![service(t, 1)]).unwrap_or_default(),
            "rekorTlogConfig": {"selector": "ANY"},
            "tsaConfig": {"selector": "ANY"},
        });
        SigningConfig::from_json(&json.to_string()).unwrap()
    }

    #[test]
    fn the_highest_log_version_signs_files_and_v1_the_rest() {
        let c = config(
            &[("https://v1.example", 1), ("https://v2.example", 2)],
            Some("https://tsa.example/api/v1/timestamp"),
        );
        let s = Services::from_config(&c, true, "c".into()).unwrap();
        let rekor = s.rekor.as_ref().unwrap();
        assert!(rekor.v2);
        assert_eq!(rekor.url.expose(), "https://v2.example");
        assert_eq!(s.v1_log().unwrap().unwrap().expose(), "https://v1.example");
        assert_eq!(s.fulcio.expose(), "https://ca.example");
        assert!(s.tsa.is_some());
    }

    #[test]
    fn a_selector_must_come_to_one_service() {
        let two = [("https://a.example", 1), ("https://b.example", 1)];
        let with = |selector: serde_json::Value| {
            let mut c = config(&two, Some("https://tsa.example"));
            c.rekor_tlog_config = serde_json::from_value(selector).unwrap();
            Services::from_config(&c, true, "c".into())
        };
        let e = with(serde_json::json!({"selector": "ALL"})).unwrap_err();
        assert!(
            e.to_string().contains("asks for 2 transparency logs"),
            "{e}"
        );
        let e = with(serde_json::json!({"selector": "EXACT", "count": 2})).unwrap_err();
        assert!(e.to_string().contains("asks for 2"), "{e}");
        with(serde_json::json!({"selector": "EXACT", "count": 1})).unwrap();
        let e = with(serde_json::json!({"selector": "SERVICE_SELECTOR_UNDEFINED"})).unwrap_err();
        assert!(e.to_string().contains("undefined"), "{e}");
        // ALL of one is that one.
        let mut c = config(&two[..1], Some("https://tsa.example"));
        c.tsa_config = serde_json::from_value(serde_json::json!({"selector": "ALL"})).unwrap();
        Services::from_config(&c, true, "c".into()).unwrap();
    }

    #[test]
    fn public_good_hosts_are_told_apart() {
        assert!(is_public_good("rekor.sigstore.dev"));
        assert!(is_public_good("log2025-1.rekor.sigstore.dev"));
        assert!(is_public_good("fulcio.sigstage.dev"));
        assert!(!is_public_good("notsigstore.dev"));
        assert!(!is_public_good("sigstore.dev.example"));
        assert_eq!(
            host_of("https://Rekor.Sigstore.dev/api").as_deref(),
            Some("rekor.sigstore.dev")
        );
    }

    #[test]
    fn rekor_v2_without_a_timestamp_authority_is_refused() {
        let c = config(&[("https://v2.example", 2)], None);
        let e = Services::from_config(&c, true, "c".into()).unwrap_err();
        assert!(e.to_string().contains("no timestamp authority"), "{e}");
        // Only a v2 log: the legacy form has nowhere to go.
        let c = config(&[("https://v2.example", 2)], Some("https://tsa.example"));
        let s = Services::from_config(&c, true, "c".into()).unwrap();
        assert!(s.v1_log().is_err());
    }

    #[test]
    fn without_the_log_nothing_is_contacted_but_the_ca() {
        let c = config(&[("https://v1.example", 1)], Some("https://tsa.example"));
        let s = Services::from_config(&c, false, "c".into()).unwrap();
        assert!(s.rekor.is_none() && s.tsa.is_none() && !s.countersigned());
        assert!(s.v1_log().unwrap().is_none());
    }

    #[test]
    fn flags_and_a_configuration_together_are_refused() {
        let flags = ServiceFlags {
            rekor_url: Some(SafeUrl::from("http://127.0.0.1:1")),
            signing_config: Some("sc.json".into()),
            tlog_upload: true,
            ..Default::default()
        };
        assert!(matches!(
            Services::resolve(&flags, Path::new("/nonexistent")),
            Err(SigstoreError::ServicesTwice)
        ));
        let flags = ServiceFlags {
            tsa_url: Some(SafeUrl::from("http://127.0.0.1:2")),
            tlog_upload: true,
            ..Default::default()
        };
        let s = Services::resolve(&flags, Path::new("/nonexistent")).unwrap();
        assert_eq!(s.rekor.unwrap().url.expose(), PUBLIC_REKOR);
        assert_eq!(s.tsa.unwrap().expose(), "http://127.0.0.1:2");
    }

    #[test]
    fn the_built_in_configuration_is_the_public_good_instance() {
        let flags = ServiceFlags {
            tlog_upload: true,
            ..Default::default()
        };
        let s = Services::resolve(&flags, Path::new("/nonexistent")).unwrap();
        assert_eq!(s.fulcio.expose(), PUBLIC_FULCIO);
        assert_eq!(s.v1_log().unwrap().unwrap().expose(), PUBLIC_REKOR);
        assert!(s
            .tsa
            .unwrap()
            .expose()
            .starts_with("https://timestamp.sigstore.dev"));
    }
}
