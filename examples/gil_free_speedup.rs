//! Seed 000 ("GIL"): CPython's global interpreter lock lets only one thread run Python
//! bytecode at a time, so threads do not speed up CPU-bound work (unless you run the
//! free-threaded 3.13+ build):
//!
//! ```python
//! import sys
//! print(sys._is_gil_enabled())  # False means threads can really run in parallel
//! ```
//!
//! tripod threads are plain OS threads with no such lock. This example counts the primes
//! below a limit by trial division, first on one thread, then split over N threads (N =
//! the machine's available parallelism), and prints the speedup. Both counts must agree.
//! Run with `--release` for realistic numbers; the speedup shows either way.

use std::thread::available_parallelism;
use std::time::{Duration, Instant};

use tripod::threading::Thread;

const LIMIT: u64 = 1_000_000;
/// Numbers are dealt out in blocks of this size, round-robin, so every thread gets a
/// share of the small (cheap) and the large (expensive) numbers.
const BLOCK: u64 = 1_000;

fn is_prime(n: u64) -> bool {
    if n < 2 {
        return false;
    }
    let mut d = 2;
    while d * d <= n {
        if n.is_multiple_of(d) {
            return false;
        }
        d += 1;
    }
    true
}

/// Primes in the blocks `worker, worker + workers, ...` of `0..LIMIT`.
fn count_primes(worker: u64, workers: u64) -> u64 {
    let mut count = 0;
    let mut block = worker;
    while block * BLOCK < LIMIT {
        let start = block * BLOCK;
        let end = (start + BLOCK).min(LIMIT);
        count += (start..end).filter(|&n| is_prime(n)).count() as u64;
        block += workers;
    }
    count
}

fn timed(workers: u64) -> (u64, Duration) {
    let start = Instant::now();
    let handles: Vec<_> = (0..workers)
        .map(|w| {
            Thread::new(move || count_primes(w, workers))
                .name(format!("primes-{w}"))
                .start()
                .expect("start worker")
        })
        .collect();
    let total = handles
        .into_iter()
        .map(|h| h.join().expect("worker panicked"))
        .sum();
    (total, start.elapsed())
}

fn main() {
    let n = available_parallelism().map_or(1, |n| n.get()) as u64;
    println!("counting primes below {LIMIT}");
    let (one, t1) = timed(1);
    println!("1 thread : {one} primes in {t1:?}");
    let (many, tn) = timed(n);
    println!("{n} threads: {many} primes in {tn:?}");
    assert_eq!(one, many);
    println!(
        "speedup: {:.2}x on {n} threads (Python threads with the GIL: about 1x)",
        t1.as_secs_f64() / tn.as_secs_f64()
    );
}
