//! Seed 002, recipe 12-2 ("使用锁"): a lock guarding a global sum, and trying to acquire
//! without blocking.
//!
//! ```python
//! sum = 0
//! my_lock = threading.Lock()
//! def adder():
//!     global sum, my_lock
//!     my_lock.acquire()
//!     sum = sum + 1
//!     my_lock.release()
//! my_thread = threading.Thread(target=adder)
//! my_thread.start()
//! ```
//!
//! "If you want to do something else while waiting for the lock, pass `blocking=False`:
//! `acquire()` returns at once with a boolean telling whether it succeeded." In tripod that
//! is `try_acquire()`, returning `Option<LockGuard>`; `acquire_timeout(d)` is
//! `acquire(timeout=d)`.

use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use tripod::threading::{Lock, Thread};

fn adder(sum: &Lock<i32>) {
    let mut s = sum.acquire();
    *s += 1;
}

fn main() {
    let sum = Arc::new(Lock::new(0));

    // Listing 12-2 as it is.
    let t = {
        let sum = Arc::clone(&sum);
        Thread::new(move || adder(&sum))
            .start()
            .expect("start adder") // my_thread.start()
    };
    t.join().expect("adder panicked");
    println!("after adder: sum = {}", *sum.acquire());

    // blocking=False: the main thread holds the lock for a while; a worker keeps doing
    // other work between attempts instead of blocking.
    let (ready_tx, ready_rx) = mpsc::channel();
    let held = sum.acquire();
    let worker = {
        let sum = Arc::clone(&sum);
        Thread::new(move || {
            let mut other_work = 0;
            // acquire(timeout=...) gives up after the timeout.
            let timed = sum.acquire_timeout(Duration::from_millis(20));
            println!("worker: acquire(timeout=0.02) -> {}", timed.is_some());
            ready_tx.send(()).unwrap();
            loop {
                match sum.try_acquire() {
                    // acquire(blocking=False) returned True
                    Some(mut s) => {
                        *s += 1;
                        println!("worker: got the lock after {other_work} rounds of other work");
                        break;
                    }
                    // returned False: do something else, then try again
                    None => {
                        other_work += 1;
                        std::thread::sleep(Duration::from_millis(5));
                    }
                }
            }
        })
        .start()
        .expect("start worker")
    };
    ready_rx.recv().unwrap();
    std::thread::sleep(Duration::from_millis(50));
    println!("main: locked() = {}, releasing", sum.locked());
    drop(held);
    worker.join().expect("worker panicked");
    let total = *sum.acquire();
    println!("sum = {total}");
    assert_eq!(total, 2);
}
