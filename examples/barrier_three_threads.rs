//! Seeds 004 ("使用Barrier") and 002 (recipe 12-3, "设置障碍"): threads meeting at a barrier.
//!
//! Seed 004: `Barrier(3)` and 9 threads started a second apart; they pass in threes.
//!
//! ```python
//! def fun(num):
//!     bar.wait()
//!     print('--------', num)
//!     time.sleep(2)
//! bar = Barrier(3)
//! for i in range(9):
//!     time.sleep(1)
//!     Thread(target=fun, args=(i,)).start()
//! ```
//!
//! Seed 002: a barrier for five threads that waits at most ten seconds.
//!
//! ```python
//! b = threading.Barrier(5, timeout=10)
//! ```
//!
//! Here threads start 50 ms apart. `wait()` returns the arrival index (0 for the first to
//! arrive); the builder adds Python's `action` and `timeout`; a timeout breaks the barrier
//! for every waiter with `BrokenBarrierError`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tripod::threading::{Barrier, BrokenBarrierError, Thread};

fn main() {
    // Seed 004.
    let start = Instant::now();
    let bar = Arc::new(Barrier::new(3));
    let handles: Vec<_> = (0..9)
        .map(|num| {
            std::thread::sleep(Duration::from_millis(50));
            let bar = Arc::clone(&bar);
            // Thread(target=fun, args=(i,)).start()
            Thread::new(move || {
                let index = bar.wait().expect("barrier broken");
                println!("-------- {num} (arrival {index}) at {:?}", start.elapsed());
            })
            .start()
            .expect("start fun")
        })
        .collect();
    for h in handles {
        h.join().expect("fun panicked");
    }

    // Seed 002: Barrier(5, timeout=10), with an action run once per trip.
    let trips = Arc::new(AtomicUsize::new(0));
    let b = {
        let trips = Arc::clone(&trips);
        Arc::new(
            Barrier::builder(5)
                .timeout(Duration::from_secs(10))
                .action(move || {
                    trips.fetch_add(1, Ordering::SeqCst);
                    println!("all five arrived");
                })
                .build(),
        )
    };
    let handles: Vec<_> = (0..5)
        .map(|i| {
            let b = Arc::clone(&b);
            Thread::new(move || {
                let index = b.wait().expect("barrier broken");
                println!("thread {i} passed as arrival {index}");
                index
            })
            .start()
            .expect("start thread")
        })
        .collect();
    let mut indexes: Vec<usize> = handles
        .into_iter()
        .map(|h| h.join().expect("thread panicked"))
        .collect();
    indexes.sort_unstable();
    assert_eq!(indexes, [0, 1, 2, 3, 4]);
    assert_eq!(trips.load(Ordering::SeqCst), 1);

    // Only four of five come: the timeout (shortened to 200 ms) breaks the barrier.
    let b = Arc::new(
        Barrier::builder(5)
            .timeout(Duration::from_millis(200))
            .build(),
    );
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let b = Arc::clone(&b);
            Thread::new(move || b.wait()).start().expect("start thread")
        })
        .collect();
    for h in handles {
        let result = h.join().expect("thread panicked");
        println!("with a party missing: {result:?}");
        assert_eq!(result, Err(BrokenBarrierError));
    }
    println!("broken: {}", b.is_broken());
    b.reset();
    println!("after reset, broken: {}", b.is_broken());
}
