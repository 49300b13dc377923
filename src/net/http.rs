//! The one HTTP client builder: every request the pack makes (chart
//! repositories, registries, token services, and object storage) goes
//! through a client built here, so timeouts, the user agent and TLS handling
//! are the same everywhere.

use std::path::Path;
use std::time::Duration;

use super::tls::read_tls_files;
use super::NetError;

/// How to reach a server.
#[derive(Debug, Clone, Copy, Default)]
pub struct HttpOptions<'a> {
    pub insecure_skip_tls_verify: bool,
    pub ca_file: Option<&'a Path>,
    /// Trust only the CA file's certificates, as `helm push --ca-file` does;
    /// otherwise they are added to the system's roots, as the chart getter
    /// has always done here.
    pub ca_only: bool,
    pub cert_and_key: Option<(&'a Path, &'a Path)>,
    /// Idle connections kept per host, for clients that upload in parallel.
    pub max_idle_per_host: Option<usize>,
}

/// Builds a blocking client for `o`.
pub fn client(o: &HttpOptions) -> Result<reqwest::blocking::Client, NetError> {
    let tls = read_tls_files(o.ca_file, o.cert_and_key)?;
    let mut b = reqwest::blocking::Client::builder()
        .user_agent(concat!("helm-wharf/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(30))
        .timeout(Duration::from_secs(600))
        .danger_accept_invalid_certs(o.insecure_skip_tls_verify);
    if let Some(n) = o.max_idle_per_host {
        b = b.pool_max_idle_per_host(n);
    }
    if let (Some(ca), true) = (o.ca_file, o.ca_only) {
        if tls.roots.is_empty() {
            return Err(NetError::NoCertificate(ca.to_path_buf()));
        }
        b = b.tls_built_in_root_certs(false);
    }
    for cert in tls.roots {
        b = b.add_root_certificate(cert);
    }
    if let Some(id) = tls.identity {
        b = b.identity(id);
    }
    b.build().map_err(|e| NetError::Client(e.without_url()))
}

/// What went wrong with a request, without its URL (which may carry
/// credentials or an upload state): the kind, then the innermost cause.
pub fn describe(e: &reqwest::Error) -> String {
    let mut s = if e.is_timeout() {
        "timed out".to_string()
    } else if e.is_connect() {
        "cannot connect".to_string()
    } else {
        "connection failed".to_string()
    };
    let mut src = std::error::Error::source(e);
    let mut last = None;
    while let Some(inner) = src {
        last = Some(inner.to_string());
        src = inner.source();
    }
    if let Some(l) = last {
        s.push_str(": ");
        s.push_str(&l);
    }
    s
}
