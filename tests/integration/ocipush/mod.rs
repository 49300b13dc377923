//! `helm ocipush`: charts into OCI registries.

mod auth;
mod faults;
mod hostile;
mod migrate;
mod push;
