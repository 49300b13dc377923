//! Networking every remote backend shares: the HTTP client builder, TLS
//! files, and the types that keep secrets out of output.
//!
//! Chart repositories (`getter`), registries (`registry`) and object storage
//! all reach servers the user configured with credentials; building their
//! clients in one place keeps one behaviour for timeouts and TLS, and one
//! rule for what may be printed.

mod http;
mod secret;
mod tls;

use std::path::PathBuf;

use thiserror::Error;

pub use http::{
    classify, client, describe, read_body, BodyError, HttpOptions, Unanswered, DOWNLOAD_TIMEOUT,
};
pub use secret::{redact, redact_urls, SafeUrl, Secret};

#[derive(Debug, Error)]
pub enum NetError {
    #[error("cannot read {what} {}", .path.display())]
    File {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid TLS material in {}", .0.display())]
    Tls(PathBuf),
    #[error("{}: no PEM certificate found", .0.display())]
    NoCertificate(PathBuf),
    #[error("cannot set up the HTTP client")]
    Client(#[source] reqwest::Error),
}
