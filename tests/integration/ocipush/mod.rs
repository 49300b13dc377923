//! `helm ocipush`: charts into OCI registries.

mod auth;
mod faults;
mod migrate;
mod push;
