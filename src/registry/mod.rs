//! OCI registries (`pkg/registry`): what `helm push` stores for a chart and
//! how it gets there.
//!
//! [`manifest`] builds Helm's artifact byte for byte, [`reference`] turns a
//! target and a chart into a repository and tag, [`credentials`] finds what
//! `helm registry login` stored, [`client`] speaks the distribution API, and
//! [`chart`] and [`push`] put them together for one archive.

pub mod chart;
pub mod client;
pub mod credentials;
pub mod manifest;
pub mod push;
pub mod reference;

use thiserror::Error;

pub use client::{Client, ClientOptions};
pub use credentials::Credential;
pub use manifest::Artifact;
pub use reference::{Reference, Target};

#[derive(Debug, Error)]
pub enum RegistryError {
    #[error("invalid reference {0}")]
    Reference(String),
    #[error("registry credentials: {0}")]
    Credentials(String),
    #[error("{0}")]
    Tls(String),
    #[error("{host}: {message}")]
    Http { host: String, message: String },
    #[error("{0}")]
    Auth(String),
    #[error("{0}")]
    Chart(String),
}
