//! `helm idx`: chart repository indexes.

mod atomic;
mod compat;
mod edges;
mod features;
mod hostile;
mod untrusted_files;
