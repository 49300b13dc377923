//! Harnesses that feed the plugins generated inputs and compare them with
//! Helm: [`mutation`] mutates real archives, indexes, provenance files and
//! keyrings; [`rng`] is the seeded generator they draw from.

mod mutation;
pub mod rng;
