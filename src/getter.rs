//! Fetching over HTTP(S) as Helm's HTTP getter does (`pkg/getter/httpgetter.go`):
//! basic credentials and TLS files from repositories.yaml.
//!
//! Errors and logs name the URL with credentials and query removed.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use thiserror::Error;

use crate::go::url::redact;

/// How to reach a server.
#[derive(Clone, Default)]
pub struct Options {
    pub username: String,
    pub password: String,
    pub ca_file: String,
    pub cert_file: String,
    pub key_file: String,
    pub insecure_skip_tls_verify: bool,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("username", &self.username)
            .field(
                "password",
                &if self.password.is_empty() { "" } else { "***" },
            )
            .field("ca_file", &self.ca_file)
            .field("cert_file", &self.cert_file)
            .field("key_file", &self.key_file)
            .field("insecure_skip_tls_verify", &self.insecure_skip_tls_verify)
            .finish()
    }
}

#[derive(Debug, Error)]
pub enum GetError {
    #[error("cannot read {what} {path}: {source}")]
    File {
        what: &'static str,
        path: String,
        source: std::io::Error,
    },
    #[error("invalid TLS material in {0}")]
    Tls(String),
    #[error("failed to fetch {url}: {reason}")]
    Fetch { url: String, reason: String },
    #[error("failed to fetch {url}: {status}")]
    Status { url: String, status: String },
}

fn read(what: &'static str, path: &str) -> Result<Vec<u8>, GetError> {
    std::fs::read(path).map_err(|source| GetError::File {
        what,
        path: path.to_string(),
        source,
    })
}

/// TLS material read from PEM files, as Helm's `tlsutil` reads them.
pub struct TlsFiles {
    /// The CA bundle's certificates (empty without a CA file).
    pub roots: Vec<reqwest::Certificate>,
    /// The client certificate with its key.
    pub identity: Option<reqwest::Identity>,
}

/// Reads a CA bundle and a client certificate and key, each optional.
pub fn read_tls_files(
    ca_file: Option<&Path>,
    cert_and_key: Option<(&Path, &Path)>,
) -> Result<TlsFiles, GetError> {
    let mut files = TlsFiles {
        roots: Vec::new(),
        identity: None,
    };
    if let Some(ca) = ca_file {
        let shown = ca.display().to_string();
        files.roots = reqwest::Certificate::from_pem_bundle(&read("CA file", &shown)?)
            .map_err(|_| GetError::Tls(shown))?;
    }
    if let Some((cert, key)) = cert_and_key {
        let shown = cert.display().to_string();
        let mut pem = read("certificate file", &shown)?;
        pem.push(b'\n');
        pem.extend(read("key file", &key.display().to_string())?);
        files.identity = Some(reqwest::Identity::from_pem(&pem).map_err(|_| GetError::Tls(shown))?);
    }
    Ok(files)
}

/// Builds a client for `opts`.
pub fn client(opts: &Options) -> Result<reqwest::blocking::Client, GetError> {
    let mut b = reqwest::blocking::Client::builder()
        .user_agent(concat!("helm-wharf/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(30))
        .timeout(Duration::from_secs(600))
        .danger_accept_invalid_certs(opts.insecure_skip_tls_verify);
    let given = |s: &str| (!s.is_empty()).then(|| Path::new(s).to_owned());
    let (ca, cert, key) = (
        given(&opts.ca_file),
        given(&opts.cert_file),
        given(&opts.key_file),
    );
    let tls = read_tls_files(ca.as_deref(), cert.as_deref().zip(key.as_deref()))?;
    for cert in tls.roots {
        b = b.add_root_certificate(cert);
    }
    if let Some(id) = tls.identity {
        b = b.identity(id);
    }
    b.build().map_err(|e| GetError::Fetch {
        url: String::new(),
        reason: e.without_url().to_string(),
    })
}

/// GETs `url` into memory.
pub fn get(url: &str, opts: &Options) -> Result<Vec<u8>, GetError> {
    let shown = redact(url);
    crate::debug!("GET {shown}");
    let fetch_err = |e: reqwest::Error| GetError::Fetch {
        url: shown.clone(),
        reason: e.without_url().to_string(),
    };
    let mut req = client(opts)?.get(url);
    if !opts.username.is_empty() || !opts.password.is_empty() {
        req = req.basic_auth(&opts.username, Some(&opts.password));
    }
    let mut resp = req.send().map_err(fetch_err)?;
    let status = resp.status();
    crate::debug!("GET {shown}: {status}");
    if !status.is_success() {
        return Err(GetError::Status {
            url: shown,
            status: status.to_string(),
        });
    }
    let mut body = Vec::new();
    resp.read_to_end(&mut body).map_err(|e| GetError::Fetch {
        url: shown.clone(),
        reason: e.to_string(),
    })?;
    Ok(body)
}
