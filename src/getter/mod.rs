//! Getters (`pkg/getter`): fetching a URL into memory, with the getter
//! chosen by the URL's scheme as Helm's `getter.Providers.ByScheme` does.
//!
//! Chart repositories, `helm ocipush migrate` and `helm prov verify
//! REPO/CHART` all download through [`get`], so a scheme added here (object
//! storage, say) works for every one of them at once.

mod http;
mod plugin;

use std::path::PathBuf;

use thiserror::Error;

use crate::net::{NetError, SafeUrl, Secret};

/// What a getter needs besides the URL: the credentials and TLS files of the
/// repository the URL belongs to (Helm's `getter.Option`s).
#[derive(Debug, Clone, Default)]
pub struct GetterOptions {
    pub username: String,
    pub password: Secret,
    pub ca_file: Option<PathBuf>,
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
    pub insecure_skip_tls_verify: bool,
}

impl GetterOptions {
    /// Whether basic credentials are set.
    pub fn has_credentials(&self) -> bool {
        !self.username.is_empty() || !self.password.is_empty()
    }

    /// The same options without credentials, for a host they do not belong to.
    pub fn without_credentials(&self) -> GetterOptions {
        GetterOptions {
            username: String::new(),
            password: Secret::default(),
            ..self.clone()
        }
    }
}

#[derive(Debug, Error)]
pub enum GetError {
    #[error(transparent)]
    Net(#[from] NetError),
    #[error("could not find protocol handler for: {scheme} ({url})")]
    Scheme { url: SafeUrl, scheme: String },
    /// No answer; `cause` is [`crate::net::describe`]'s wording (connection
    /// refused, timed out, TLS), the one thing a user needs to read.
    #[error("failed to fetch {url}: {cause}")]
    Fetch { url: SafeUrl, cause: String },
    #[error("failed to fetch {url}: larger than {} MiB, the most read into memory for {what}", .limit >> 20)]
    TooLarge {
        url: SafeUrl,
        what: &'static str,
        limit: u64,
    },
    #[error("failed to fetch {url}: {status}")]
    Status {
        url: SafeUrl,
        status: reqwest::StatusCode,
    },
    #[error("failed to read {url}")]
    Read {
        url: SafeUrl,
        #[source]
        source: std::io::Error,
    },
}

impl GetError {
    /// Whether the server said the file does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, GetError::Status { status, .. } if *status == reqwest::StatusCode::NOT_FOUND)
    }
}

/// What is being downloaded, and so the most of it read into memory: a
/// server (or a repository's index) may be hostile, and an endless answer
/// must end as an error, not as an exhausted machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// A repository index: 256 MiB (the largest public ones are ~60 MB).
    Index,
    /// A chart archive: 128 MiB (Helm refuses charts over 100 MiB
    /// decompressed, so no valid archive is larger).
    Archive,
    /// A `.prov` file: 8 MiB (it holds Chart.yaml, at most 5 MiB in Helm).
    Provenance,
}

impl Body {
    pub const fn limit(self) -> u64 {
        match self {
            Body::Index => 256 << 20,
            Body::Archive => 128 << 20,
            Body::Provenance => 8 << 20,
        }
    }

    pub(crate) fn what(self) -> &'static str {
        match self {
            Body::Index => "an index",
            Body::Archive => "a chart archive",
            Body::Provenance => "a provenance file",
        }
    }
}

/// Fetches one URL into memory, at most `kind.limit()` bytes.
pub trait Getter: Sync {
    fn get(&self, url: &SafeUrl, options: &GetterOptions, kind: Body) -> Result<Vec<u8>, GetError>;
}

/// A getter and the schemes it serves (Helm's `getter.Provider`).
struct Provider {
    schemes: &'static [&'static str],
    getter: &'static dyn Getter,
}

static PROVIDERS: &[Provider] = &[Provider {
    schemes: &["http", "https"],
    getter: &http::HttpGetter,
}];

/// The getter for `scheme`, if any (`Providers.ByScheme`).
pub fn by_scheme(scheme: &str) -> Option<&'static dyn Getter> {
    PROVIDERS
        .iter()
        .find(|p| p.schemes.contains(&scheme))
        .map(|p| p.getter)
}

/// Fetches `url` with the getter its scheme names: a built-in one, else
/// the installed getter plugin that declares the scheme (as Helm does).
pub fn get(url: &SafeUrl, options: &GetterOptions, kind: Body) -> Result<Vec<u8>, GetError> {
    match by_scheme(&url.scheme()) {
        Some(getter) => getter.get(url, options, kind),
        None => plugin::PluginGetter.get(url, options, kind),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn getters_are_chosen_by_scheme() {
        assert!(by_scheme("https").is_some());
        assert!(by_scheme("http").is_some());
        let e = get(
            &SafeUrl::from("ftp://u:pw@h/x"),
            &GetterOptions::default(),
            Body::Index,
        )
        .unwrap_err();
        assert!(matches!(e, GetError::Scheme { .. }));
        assert!(!e.to_string().contains("pw"), "{e}");
    }
}
