//! `as_completed` (seed 000's futures, and seed 004's asyncio `as_completed` in thread
//! form): handle each result as soon as its task finishes, not in submission order.
//!
//! ```python
//! with ThreadPoolExecutor(max_workers=4) as pool:
//!     futures = [pool.submit(task, i) for i in range(6)]
//!     for f in as_completed(futures):
//!         print('Got', f.result())
//! ```
//!
//! The tasks sleep for pseudo-random short times, so they finish out of order; the second
//! part shows the timeout: after it passes, the iterator yields a timeout error and stops.

use std::thread;
use std::time::Duration;

use tripod::futures::{ThreadPoolExecutor, as_completed};

/// A pseudo-random delay in 10..210 ms for task `i` (a linear congruential generator).
fn delay(i: u64) -> Duration {
    let x = i
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    Duration::from_millis(10 + (x >> 33) % 200)
}

fn main() {
    let pool = ThreadPoolExecutor::new(4);
    let futures: Vec<_> = (0..6u64)
        .map(|i| {
            pool.submit(move || {
                thread::sleep(delay(i));
                format!("task {i} ({} ms)", delay(i).as_millis())
            })
        })
        .collect();
    let mut count = 0;
    for f in as_completed(&futures, None) {
        println!("Got {}", f.unwrap().result().unwrap());
        count += 1;
    }
    assert_eq!(count, 6);

    // With a timeout: a slow task does not hold up the loop forever.
    let quick = pool.submit(|| "quick".to_owned());
    let slow = pool.submit(|| {
        thread::sleep(Duration::from_millis(300));
        "slow".to_owned()
    });
    let pair = [slow, quick];
    for item in as_completed(&pair, Some(Duration::from_millis(100))) {
        match item {
            Ok(f) => println!("Got {}", f.result().unwrap()),
            Err(e) => println!("Stopped: {e}"),
        }
    }
    // Dropping the pool waits for the slow task.
}
