//! Fetching over HTTP(S) as Helm's HTTP getter does (`pkg/getter/httpgetter.go`):
//! basic credentials and TLS files from repositories.yaml.
//!
//! Errors and logs name the URL with credentials and query removed.

use std::io::Read;
use std::time::Duration;

use thiserror::Error;

use crate::urlutil::redact;

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

/// Builds a client for `opts`.
pub fn client(opts: &Options) -> Result<reqwest::blocking::Client, GetError> {
    let mut b = reqwest::blocking::Client::builder()
        .user_agent(concat!("helm-wharf/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(30))
        .timeout(Duration::from_secs(600))
        .danger_accept_invalid_certs(opts.insecure_skip_tls_verify);
    if !opts.ca_file.is_empty() {
        let pem = read("CA file", &opts.ca_file)?;
        for cert in reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|_| GetError::Tls(opts.ca_file.clone()))?
        {
            b = b.add_root_certificate(cert);
        }
    }
    if !opts.cert_file.is_empty() && !opts.key_file.is_empty() {
        let mut pem = read("certificate file", &opts.cert_file)?;
        pem.push(b'\n');
        pem.extend(read("key file", &opts.key_file)?);
        let id =
            reqwest::Identity::from_pem(&pem).map_err(|_| GetError::Tls(opts.cert_file.clone()))?;
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
