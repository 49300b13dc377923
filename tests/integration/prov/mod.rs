//! `helm prov`: signing and verifying provenance files.

mod crafted;
mod differential;
mod keyless;
mod oci;
mod peers;
mod sigstore;
mod sigstore_oci;
