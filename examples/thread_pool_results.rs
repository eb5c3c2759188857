//! Seed 000 (线程池): tasks that return a value, read with `Future::result`.
//!
//! ```python
//! def task(name):
//!     print('Task %s is running...' % name)
//!     time.sleep(random.random() * 3)
//!     print('Task %s is done.' % name)
//!     return name * 2
//!
//! with ThreadPoolExecutor(max_workers=4) as pool:
//!     for i in range(10):
//!         tasks.append(pool.submit(task, i))
//!     wait(tasks)
//!     print('Results:', [t.result() for t in tasks])
//!     print('All tasks are done.')
//! ```
//!
//! `result()` gives `Ok(value)`, or the task's panic as a typed error, as Python's
//! `result()` re-raises the task's exception. The last part shows that: one extra task
//! panics, its error is printed, and the pool goes on working.

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

fn task(name: u64) -> u64 {
    println!("Task {name} is running...");
    thread::sleep(delay(name));
    println!("Task {name} is done.");
    name * 2
}

fn main() {
    let pool = ThreadPoolExecutor::new(4);
    let tasks: Vec<_> = (0..10).map(|i| pool.submit(move || task(i))).collect();
    wait(&tasks, None, ReturnWhen::AllCompleted);
    let results: Vec<u64> = tasks.iter().map(|t| t.result().unwrap()).collect();
    println!("Results: {results:?}");
    assert_eq!(results, (0..10).map(|i| i * 2).collect::<Vec<_>>());
    println!("All tasks are done.");

    // A task that fails: `result()` hands back its panic instead of a value.
    std::panic::set_hook(Box::new(|_| {})); // keep the output tidy
    let failing = pool.submit(|| -> u64 { panic!("task 10 has no input") });
    match failing.result() {
        Ok(v) => println!("unexpected value {v}"),
        Err(err) => println!("Task 10 failed: {err}"),
    }
    println!(
        "The pool still works: {:?}",
        pool.submit(|| task(11)).result()
    );
}
