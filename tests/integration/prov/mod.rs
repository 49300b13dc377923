//! `helm prov`: signing and verifying provenance files.

mod crafted;
mod differential;
mod keyless;
mod oci;
mod peers;
mod services;
mod sigstore;
mod sigstore_oci;
mod trust;
