//! Provenance (`pkg/provenance`): the text of `.prov` files (Helm's message
//! block inside an OpenPGP cleartext signature), and with the `prov` feature,
//! keyrings, signing and verifying.

pub mod clearsign;
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
