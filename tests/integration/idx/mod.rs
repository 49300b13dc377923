//! `helm idx`: chart repository indexes.

mod atomic;
mod compat;
mod features;
mod hostile;
mod untrusted_files;
