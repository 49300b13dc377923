//! Harnesses that look for the next bugs rather than re-check known ones,
//! comparing the plugins with Helm on generated inputs: [`differential`]
//! indexes, signs and pushes random valid charts; [`mutation`] mutates real
//! archives, indexes, provenance files and keyrings. Each runs for a fixed
//! time budget (an environment variable), prints what it needs to replay a
//! failure, and always runs the cases that failed once. [`rng`] is the
//! seeded generator they draw from.

mod differential;
mod gen;
mod mutation;
pub mod rng;
