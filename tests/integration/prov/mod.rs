//! `helm prov`: signing and verifying provenance files.

mod differential;
mod peers;
