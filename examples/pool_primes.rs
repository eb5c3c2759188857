//! The issue's CPU-heavy job: counting the primes below a bound in chunks, on one worker
//! and then on a pool of `cpu_count()` workers with a progress bar (issue 5, the tour's
//! main act), printing the speedup.
//!
//! ```python
//! with Pool() as pool:
//!     total = sum(pool.imap_unordered(count_primes, chunks))
//! ```
//!
//! The bar is drawn on stderr when it is a terminal (`cargo run --release --example
//! pool_primes`); the speedup is near the number of cores for a job this size.

use std::time::Instant;

use tripod::multiprocessing::{AsyncOptions, Pool, cpu_count};

const BOUND: u64 = 5_000_000;
const CHUNK: u64 = 50_000;

#[path = "support/primes.rs"]
mod primes;
use primes::count_primes;

fn chunks() -> Vec<(u64, u64)> {
    (0..BOUND)
        .step_by(CHUNK as usize)
        .map(|lo| (lo, (lo + CHUNK).min(BOUND)))
        .collect()
}

fn main() {
    let one = Pool::new(1).unwrap();
    let start = Instant::now();
    let serial: u64 = one.starmap(count_primes, chunks(), 1).unwrap().iter().sum();
    let serial_time = start.elapsed();
    println!("1 process: {serial} primes below {BOUND} in {serial_time:.2?}");

    let workers = cpu_count();
    let pool = Pool::new(workers).unwrap();
    let start = Instant::now();
    let counts = pool
        .starmap_async_with(
            count_primes,
            chunks(),
            1,
            AsyncOptions::new().progress_bar(),
        )
        .unwrap()
        .into_result()
        .unwrap();
    let parallel: u64 = counts.iter().sum();
    let parallel_time = start.elapsed();
    assert_eq!(parallel, serial);
    println!("{workers} processes: {parallel} primes below {BOUND} in {parallel_time:.2?}");
    println!(
        "speedup: {:.2}x on {workers} cores",
        serial_time.as_secs_f64() / parallel_time.as_secs_f64()
    );
}
