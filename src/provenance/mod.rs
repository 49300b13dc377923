//! Provenance (`pkg/provenance`): the text of `.prov` files (Helm's message
//! block inside an OpenPGP cleartext signature), and with the `prov` feature,
//! keyrings, signing and verifying.
//!
//! The text needs no cryptography, so `registry` can check a `.prov` against
//! its archive without the OpenPGP stack; everything that touches keys sits
//! behind the `prov` feature.

#[cfg(feature = "prov")]
mod agent;
mod clearsign;
#[cfg(feature = "prov")]
mod keybox;
#[cfg(feature = "prov")]
mod keyring;
mod message;
#[cfg(feature = "prov")]
mod mpi;
#[cfg(feature = "prov")]
mod sign;
#[cfg(feature = "prov")]
mod verify;

use std::path::{Path, PathBuf};

pub use clearsign::{decode as decode_clearsigned, Block};
#[cfg(feature = "prov")]
pub use keyring::{
    default_keyring, gnupg_home, load as load_keyring, parse as parse_keyring,
    selectors as key_selectors, KeyringError, MAX_KEYRING_FILE_SIZE,
};
pub use message::{message_block, parse_files, plugin_message_block, MessageError};
#[cfg(feature = "prov")]
pub use sign::{
    agent_keypair, clearsign, helm3_cannot_verify, keypair, needs_passphrase, prompt_passphrase,
    select_key, SignError,
};
#[cfg(feature = "prov")]
pub use verify::{verify, Policy, Verification, VerifyError};

/// Why a file could not be read or written, as a user reads it: "no such
/// file or folder" rather than the operating system's "No such file or
/// directory (os error 2)". The error it stands for is kept, not chained, so
/// that the raw text is not printed after the plain one.
#[derive(Debug)]
pub struct FileError(pub std::io::Error);

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::cli::output::io_words(&self.0))
    }
}

impl std::error::Error for FileError {}

impl From<std::io::Error> for FileError {
    fn from(e: std::io::Error) -> Self {
        FileError(e)
    }
}

/// The largest `.prov` file read. Helm's are a few KiB: the message block
/// lists one archive.
pub const MAX_PROV_FILE_SIZE: u64 = 8 * 1024 * 1024;

/// Reads a `.prov` file (a regular file of at most [`MAX_PROV_FILE_SIZE`]).
pub fn read_prov(path: &Path) -> std::io::Result<Vec<u8>> {
    crate::fileutil::read_regular(path, MAX_PROV_FILE_SIZE)
}

/// `CHART.tgz.prov`, the provenance file beside `CHART.tgz`.
pub fn prov_path(archive: &Path) -> PathBuf {
    let mut s = archive.as_os_str().to_owned();
    s.push(".prov");
    PathBuf::from(s)
}

/// The digest of `parts` in turn with one of Sequoia's hash algorithms, for
/// the checksums and key fingerprints of GnuPG's own formats; `None` when the
/// crypto backend lacks the algorithm.
#[cfg(feature = "prov")]
fn hash(algo: sequoia_openpgp::types::HashAlgorithm, parts: &[&[u8]]) -> Option<Vec<u8>> {
    let mut ctx = algo.context().ok()?.for_digest();
    for p in parts {
        ctx.update(p);
    }
    ctx.into_digest().ok()
}
