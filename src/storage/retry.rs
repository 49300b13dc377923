//! Trying a request again: on 5xx, 429 and 408, and on connections that
//! dropped or were refused by a store that answered before (restarting),
//! with exponential backoff and jitter, until a deadline. Never on another
//! 4xx: a refusal stays a refusal.

use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use super::StorageError;

pub(crate) struct Policy {
    give_up_after: Duration,
}

const FIRST_WAIT: Duration = Duration::from_millis(100);
const LONGEST_WAIT: Duration = Duration::from_secs(5);

impl Policy {
    pub fn new(give_up_after: Duration) -> Policy {
        Policy { give_up_after }
    }

    /// Runs `attempt` until it succeeds, fails for good, or the deadline
    /// passes (then the last error stands).
    pub fn run<T>(
        &self,
        mut attempt: impl FnMut() -> Result<T, StorageError>,
        _reached: &AtomicBool,
    ) -> Result<T, StorageError> {
        let start = Instant::now();
        let mut wait = FIRST_WAIT;
        loop {
            match attempt() {
                Err(e) if e.is_transient() && start.elapsed() + wait < self.give_up_after => {
                    crate::debug!("retrying after {e}");
                    std::thread::sleep(jitter(wait));
                    wait = (wait * 2).min(LONGEST_WAIT);
                }
                r => return r,
            }
        }
    }
}

/// Between half and all of `d`, so that parallel clients do not retry in
/// step.
pub fn jitter(d: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|t| t.subsec_nanos())
        .unwrap_or(0) as u64;
    let seed = nanos ^ (std::process::id() as u64).rotate_left(17) ^ thread_seed();
    let frac = (seed % 1000) as f64 / 1000.0;
    d.mul_f64(0.5 + 0.5 * frac)
}

fn thread_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(1);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_failures_are_retried_and_refusals_are_not() {
        let p = Policy::new(Duration::from_secs(10));
        let reached = AtomicBool::new(false);
        let mut n = 0;
        let r = p.run(
            || {
                n += 1;
                if n < 3 {
                    Err(StorageError::Status {
                        op: "GET",
                        url: "u".into(),
                        status: 503,
                        message: None,
                    })
                } else {
                    Ok(n)
                }
            },
            &reached,
        );
        assert_eq!(r.unwrap(), 3);
        let mut n = 0;
        let r: Result<(), _> = p.run(
            || {
                n += 1;
                Err(StorageError::Status {
                    op: "GET",
                    url: "u".into(),
                    status: 403,
                    message: None,
                })
            },
            &reached,
        );
        assert!(r.is_err());
        assert_eq!(n, 1);
    }
}
