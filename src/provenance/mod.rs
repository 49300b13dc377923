//! Provenance (`pkg/provenance`): the text of `.prov` files (Helm's message
//! block inside an OpenPGP cleartext signature), and with the `prov` feature,
//! keyrings, signing and verifying.

#[cfg(feature = "prov")]
pub mod agent;
pub mod clearsign;
#[cfg(feature = "prov")]
pub mod keybox;
#[cfg(feature = "prov")]
pub mod keyring;
pub mod message;
#[cfg(feature = "prov")]
pub mod mpi;
#[cfg(feature = "prov")]
pub mod sign;
#[cfg(feature = "prov")]
pub mod verify;

pub use message::MessageError;

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
