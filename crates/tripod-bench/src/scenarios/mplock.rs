//! `mplock.acquire`: a process-shared lock (issue 4), acquire + release in ops/s (higher is better).
//!
//! - `contended`: two child processes share one lock and each does `n` acquire/release
//!   pairs; both are released together by a barrier (with the parent) and meet the parent
//!   at a second barrier when done; the time between the two barriers is measured, and
//!   `2 * n` operations. The children are started (and joined) outside the timing.
//! - `uncontended`: `n` acquire/release pairs on one thread of the parent.
//!
//! tripod: `multiprocessing::Lock` (a robust process-shared pthread mutex), with
//! `multiprocessing::Barrier`; 2M pairs per child, 5M uncontended. Python
//! (`python/mplock.acquire.py`): `multiprocessing.Lock` (a POSIX semaphore) and
//! `multiprocessing.Barrier`, 500k pairs per child, 1M uncontended. Each child returns how
//! many pairs it made, and the run checks the count.

use std::hint::black_box;
use std::time::{Duration, Instant};

use tripod::multiprocessing::{Barrier, Lock, Process};

use crate::scenario::{Ctx, Metric, Scenario};

/// The `mplock` scenario.
pub const SCENARIOS: &[Scenario] = &[Scenario {
    name: "mplock.acquire",
    description: "multiprocessing Lock acquire/release: two processes on one lock, and uncontended (ops/s)",
    run: mplock,
}];

const CONTENDED: Metric = Metric::rate("contended", "ops/s");
const UNCONTENDED: Metric = Metric::rate("uncontended", "ops/s");

/// How long a barrier waits before the run is taken to have failed.
const PATIENCE: Duration = Duration::from_secs(60);

/// A child of `contended`: waits for the start, makes `n` pairs, meets the parent again.
fn pairs(lock: Lock, start: Barrier, done: Barrier, n: u64) -> u64 {
    start.wait_timeout(PATIENCE).expect("the start barrier");
    let mut made = 0;
    for _ in 0..n {
        let guard = lock.acquire().expect("no owner died");
        made += 1;
        drop(black_box(guard));
    }
    done.wait_timeout(PATIENCE).expect("the end barrier");
    made
}
tripod::task!(pairs);

fn contended(n: u64) -> Duration {
    let lock = Lock::new().expect("a lock");
    let start = Barrier::new(3).expect("a barrier");
    let done = Barrier::new(3).expect("a barrier");
    let children: Vec<_> = (0..2)
        .map(|_| {
            Process::new(pairs, (lock.clone(), start.clone(), done.clone(), n))
                .start()
                .expect("start a child")
        })
        .collect();
    start.wait_timeout(PATIENCE).expect("the start barrier");
    let began = Instant::now();
    done.wait_timeout(PATIENCE).expect("the end barrier");
    let elapsed = began.elapsed();
    for child in children {
        assert_eq!(child.join().expect("the child returns"), n);
    }
    elapsed
}

fn uncontended(n: u64) -> Duration {
    let lock = Lock::new().expect("a lock");
    let began = Instant::now();
    for _ in 0..n {
        drop(black_box(lock.acquire().expect("no owner died")));
    }
    let elapsed = began.elapsed();
    assert!(!lock.locked());
    elapsed
}

fn mplock(ctx: &mut Ctx<'_>) {
    let n = ctx.size(2_000_000);
    ctx.rate("tripod", CONTENDED, 2 * n, || contended(n));
    let n = ctx.size(5_000_000);
    ctx.rate("tripod", UNCONTENDED, n, || uncontended(n));
    ctx.python_peers();
    ctx.compare(CONTENDED.name, "tripod", "python", None);
    ctx.compare(UNCONTENDED.name, "tripod", "python", None);
}
