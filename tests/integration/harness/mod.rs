//! Harnesses that look for the next bugs rather than re-check known ones:
//! random valid charts compared with the real Helm byte for byte
//! ([`differential`]). Each runs for a fixed time budget (an environment
//! variable), prints the seed of anything that fails so it can be replayed,
//! and always runs the seeds that failed once.

mod differential;
mod gen;
pub mod rng;
