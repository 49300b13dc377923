//! TLS material from PEM files, as Helm's `tlsutil` reads it for
//! `--ca-file`, `--cert-file` and `--key-file` (and repositories.yaml's
//! `caFile`, `certFile`, `keyFile`).

use std::path::{Path, PathBuf};

use super::NetError;

/// A CA bundle's certificates and a client identity, each optional.
pub struct TlsFiles {
    /// The CA bundle's certificates (empty without a CA file).
    pub roots: Vec<reqwest::Certificate>,
    /// The client certificate with its key.
    pub identity: Option<reqwest::Identity>,
}

/// The largest PEM file (CA bundle, certificate, key) read.
pub const MAX_PEM_FILE_SIZE: u64 = 16 * 1024 * 1024;

fn read(what: &'static str, path: &Path) -> Result<Vec<u8>, NetError> {
    crate::fileutil::read_regular(path, MAX_PEM_FILE_SIZE).map_err(|source| NetError::File {
        what,
        path: path.to_path_buf(),
        source,
    })
}

/// Reads a CA bundle and a client certificate and key, each optional.
pub fn read_tls_files(
    ca_file: Option<&Path>,
    cert_and_key: Option<(&Path, &Path)>,
) -> Result<TlsFiles, NetError> {
    let mut files = TlsFiles {
        roots: Vec::new(),
        identity: None,
    };
    let invalid = |p: &Path| NetError::Tls(PathBuf::from(p));
    if let Some(ca) = ca_file {
        files.roots = reqwest::Certificate::from_pem_bundle(&read("CA file", ca)?)
            .map_err(|_| invalid(ca))?;
    }
    if let Some((cert, key)) = cert_and_key {
        let mut pem = read("certificate file", cert)?;
        pem.push(b'\n');
        pem.extend(read("key file", key)?);
        files.identity = Some(reqwest::Identity::from_pem(&pem).map_err(|_| invalid(cert))?);
    }
    Ok(files)
}
