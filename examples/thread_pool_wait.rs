//! Seed 000 (线程池): submit ten tasks to a pool of four threads, then wait for all of them.
//!
//! ```python
//! def task(name):
//!     print('Task %s is running...' % name)
//!     time.sleep(random.random() * 3)
//!     print('Task %s is done.' % name)
//!
//! with ThreadPoolExecutor(max_workers=4) as pool:
//!     for i in range(10):
//!         tasks.append(pool.submit(task, i))
//!     wait(tasks)
//!     print('All tasks are done.')
//! ```
//!
//! The random sleeps of up to 3 s become pseudo-random sleeps of up to 150 ms (a tiny LCG,
//! so every run is the same). `wait` registers a waiter on each future instead of polling.

use std::thread;
use std::time::Duration;

use tripod::futures::{ReturnWhen, ThreadPoolExecutor, wait};

/// A pseudo-random delay below 150 ms for task `i` (a linear congruential generator).
fn delay(i: u64) -> Duration {
    let x = i
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    Duration::from_millis((x >> 33) % 150)
}

fn task(name: u64) {
    println!("Task {name} is running...");
    thread::sleep(delay(name));
    println!("Task {name} is done.");
}

fn main() {
    // The block is Python's `with`: dropping the pool waits for its tasks.
    {
        let pool = ThreadPoolExecutor::new(4);
        let tasks: Vec<_> = (0..10).map(|i| pool.submit(move || task(i))).collect();
        let outcome = wait(&tasks, None, ReturnWhen::AllCompleted);
        assert_eq!(outcome.done.len(), 10);
        println!("All tasks are done.");
    }
}
