//! Running independent work on all cores, results in input order.
//!
//! Chart archives, digests and signatures are checked one by one by Helm;
//! here they are spread over plain scoped threads that pull the next item from
//! a shared counter, which keeps the order of results without a dependency.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Stack of each worker: that of a main thread on Linux. YAML and JSON
/// documents may nest 10,000 levels deep (yaml.v2's and encoding/json's
/// limits, which the loaders keep), and dropping such a value recurses once
/// per level: more than the 2 MiB a spawned thread gets by default.
pub const STACK_SIZE: usize = 8 << 20;

/// Maps `f` over `items` on all cores, keeping order.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    map_with(items, cores, f)
}

/// Maps `f` over `items` on at most `workers` threads, keeping order. Work
/// that waits on the network wants more threads than there are cores.
pub fn map_with<T: Sync, R: Send>(
    items: &[T],
    workers: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let workers = workers.max(1).min(items.len().max(1));
    if workers <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let mut slots: Vec<Option<R>> = Vec::with_capacity(items.len());
    slots.resize_with(items.len(), || None);
    let results: Vec<Vec<(usize, R)>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                std::thread::Builder::new()
                    .stack_size(STACK_SIZE)
                    .spawn_scoped(s, || {
                        let mut mine = Vec::new();
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            let Some(item) = items.get(i) else { break };
                            mine.push((i, f(item)));
                        }
                        mine
                    })
                    .expect("cannot start a worker thread")
            })
            .collect();
        handles.into_iter().filter_map(|h| h.join().ok()).collect()
    });
    for (i, r) in results.into_iter().flatten() {
        slots[i] = Some(r);
    }
    slots.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_order() {
        let v: Vec<usize> = (0..1000).collect();
        assert_eq!(
            super::map(&v, |x| x * 2),
            v.iter().map(|x| x * 2).collect::<Vec<_>>()
        );
    }
}
