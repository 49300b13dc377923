//! Whose signature counts: cosign's policy flags, checked as cosign checks
//! them.
//!
//! A keyless signature proves only that *someone* held a certificate from
//! the CA, so a verification without an identity and an issuer to match
//! proves nothing, and is refused, as cosign refuses it. Regular
//! expressions match anywhere in the value unless anchored, as Go's
//! `regexp.MatchString` does for cosign's `-regexp` flags.

use std::path::{Path, PathBuf};

use regex_lite::Regex;
use sigstore_verify::types::DerPublicKey;

use super::SigstoreError;

/// The policy flags of `helm prov verify --sigstore`, as given.
#[derive(Debug, Default, Clone)]
pub struct PolicyFlags {
    /// `--key`: cosign public keys; a signature by any of them counts.
    pub keys: Vec<PathBuf>,
    pub identity: Option<String>,
    pub identity_regexp: Option<String>,
    pub issuer: Option<String>,
    pub issuer_regexp: Option<String>,
    pub github: GithubClaims,
    /// `--insecure-ignore-tlog`: accept a signature that was never entered
    /// in a transparency log (what `--tlog-upload=false` signs).
    pub insecure_ignore_tlog: bool,
}

impl PolicyFlags {
    /// Whether any flag that only a Sigstore verification reads was given.
    pub fn any(&self) -> bool {
        !self.keys.is_empty()
            || self.identity.is_some()
            || self.identity_regexp.is_some()
            || self.issuer.is_some()
            || self.issuer_regexp.is_some()
            || self.github.any()
            || self.insecure_ignore_tlog
    }
}

/// The GitHub workflow claims cosign's `--certificate-github-workflow-*`
/// flags match, from Fulcio's extensions `1.3.6.1.4.1.57264.1.2`–`.6`
/// (the ones cosign reads): each given claim must equal the certificate's.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct GithubClaims {
    pub trigger: Option<String>,
    pub sha: Option<String>,
    pub name: Option<String>,
    pub repository: Option<String>,
    pub git_ref: Option<String>,
}

impl GithubClaims {
    fn any(&self) -> bool {
        *self != GithubClaims::default()
    }
}

/// An identity or issuer to match: exactly, or by a regular expression.
#[derive(Debug, Clone)]
pub enum Matcher {
    Exact(String),
    Regex(Regex),
}

impl Matcher {
    pub fn matches(&self, value: &str) -> bool {
        match self {
            Matcher::Exact(s) => s == value,
            Matcher::Regex(r) => r.is_match(value),
        }
    }
}

impl std::fmt::Display for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Matcher::Exact(s) => write!(f, "{s:?}"),
            Matcher::Regex(r) => write!(f, "one matching /{}/", r.as_str()),
        }
    }
}

/// A checked policy.
#[derive(Debug, Clone)]
pub struct Policy {
    pub(super) signer: Signer,
    /// Whether the signature must be in a transparency log.
    pub(super) tlog: bool,
}

#[derive(Debug, Clone)]
pub(super) enum Signer {
    /// Keyed signatures: the bundle carries a key hint and no certificate.
    Keys(Vec<(PathBuf, DerPublicKey)>),
    /// Keyless signatures: a Fulcio certificate for this identity.
    Certificate(Box<Keyless>),
}

#[derive(Debug, Clone)]
pub(super) struct Keyless {
    pub(super) identity: Matcher,
    pub(super) issuer: Matcher,
    pub(super) github: GithubClaims,
}

impl Policy {
    /// The policy the flags describe; refused when they describe none, or
    /// only half of one.
    pub fn from_flags(f: &PolicyFlags) -> Result<Policy, SigstoreError> {
        let tlog = !f.insecure_ignore_tlog;
        let identity = matcher(
            &f.identity,
            &f.identity_regexp,
            "--certificate-identity-regexp",
        )?;
        let issuer = matcher(
            &f.issuer,
            &f.issuer_regexp,
            "--certificate-oidc-issuer-regexp",
        )?;
        if !f.keys.is_empty() {
            if identity.is_some() || issuer.is_some() || f.github.any() {
                return Err(SigstoreError::IncompletePolicy(
                    "--key verifies keyed signatures, which carry no certificate: give either \
                     --key or the --certificate-* flags",
                ));
            }
            let keys = f
                .keys
                .iter()
                .map(|p| Ok((p.clone(), read_public_key(p)?)))
                .collect::<Result<Vec<_>, SigstoreError>>()?;
            return Ok(Policy {
                signer: Signer::Keys(keys),
                tlog,
            });
        }
        match (identity, issuer) {
            (Some(identity), Some(issuer)) => Ok(Policy {
                signer: Signer::Certificate(Box::new(Keyless {
                    identity,
                    issuer,
                    github: f.github.clone(),
                })),
                tlog,
            }),
            (None, None) => Err(SigstoreError::NoPolicy),
            (Some(_), None) => Err(SigstoreError::IncompletePolicy(
                "--certificate-oidc-issuer or --certificate-oidc-issuer-regexp is required with \
                 --certificate-identity[-regexp]: an identity means nothing without the issuer \
                 that vouched for it",
            )),
            (None, Some(_)) => Err(SigstoreError::IncompletePolicy(
                "--certificate-identity or --certificate-identity-regexp is required with \
                 --certificate-oidc-issuer[-regexp]",
            )),
        }
    }
}

fn matcher(
    exact: &Option<String>,
    regexp: &Option<String>,
    flag: &'static str,
) -> Result<Option<Matcher>, SigstoreError> {
    match (exact, regexp) {
        (Some(s), _) => Ok(Some(Matcher::Exact(s.clone()))),
        (None, Some(r)) => {
            // Bounded: an attacker does not write the policy, but a typo
            // should not compile into something huge either.
            if r.len() > 4096 {
                return Err(SigstoreError::Regex {
                    flag,
                    detail: "longer than 4096 characters".into(),
                });
            }
            Regex::new(r)
                .map(|r| Some(Matcher::Regex(r)))
                .map_err(|e| SigstoreError::Regex {
                    flag,
                    detail: e.to_string(),
                })
        }
        (None, None) => Ok(None),
    }
}

/// A cosign public key file (`cosign.pub`: PEM `PUBLIC KEY`, PKIX).
fn read_public_key(path: &Path) -> Result<DerPublicKey, SigstoreError> {
    let text = super::read_document(path)?;
    DerPublicKey::from_pem(&text).map_err(|e| SigstoreError::PublicKey {
        path: path.to_path_buf(),
        detail: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags() -> PolicyFlags {
        PolicyFlags::default()
    }

    #[test]
    fn a_verification_without_a_policy_is_refused() {
        assert!(matches!(
            Policy::from_flags(&flags()),
            Err(SigstoreError::NoPolicy)
        ));
        let only_identity = PolicyFlags {
            identity: Some("me@example.com".into()),
            ..flags()
        };
        assert!(matches!(
            Policy::from_flags(&only_identity),
            Err(SigstoreError::IncompletePolicy(_))
        ));
        let only_issuer = PolicyFlags {
            issuer_regexp: Some(".*".into()),
            ..flags()
        };
        assert!(matches!(
            Policy::from_flags(&only_issuer),
            Err(SigstoreError::IncompletePolicy(_))
        ));
    }

    #[test]
    fn regular_expressions_match_anywhere_as_go_does() {
        let p = Policy::from_flags(&PolicyFlags {
            identity_regexp: Some("@example\\.com".into()),
            issuer: Some("https://issuer".into()),
            ..flags()
        })
        .unwrap();
        let Signer::Certificate(k) = p.signer else {
            panic!("a certificate policy");
        };
        let identity = k.identity;
        assert!(identity.matches("me@example.com"));
        assert!(!identity.matches("me@example.org"));
        let bad = Policy::from_flags(&PolicyFlags {
            identity_regexp: Some("(".into()),
            issuer: Some("x".into()),
            ..flags()
        });
        assert!(matches!(bad, Err(SigstoreError::Regex { .. })));
    }

    #[test]
    fn keys_and_certificate_flags_do_not_mix() {
        let p = Policy::from_flags(&PolicyFlags {
            keys: vec!["cosign.pub".into()],
            identity: Some("me".into()),
            ..flags()
        });
        assert!(matches!(p, Err(SigstoreError::IncompletePolicy(_))));
    }
}
