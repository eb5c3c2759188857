//! Seeds 004 ("使用Lock") and 003 ("线程锁(互斥锁Mutex)"): many increments, one lock.
//!
//! Seed 004, two threads counting to a million each:
//!
//! ```python
//! def run1():
//!     global num
//!     for _ in range(1000000):
//!         with lock:
//!             num += 1
//! t1 = Thread(target=run1); t2 = Thread(target=run1)
//! t1.start(); t2.start(); t1.join(); t2.join()
//! print(num)
//! ```
//!
//! Seed 003, ten thousand threads adding one each (here 1000 threads and a 10 ms nap
//! instead of 10000 threads and a second):
//!
//! ```python
//! def addNum():
//!     global num
//!     print('--get num:', num)
//!     time.sleep(1)
//!     lock.acquire()
//!     num += 1
//!     lock.release()
//! for i in range(10000):
//!     t = threading.Thread(target=addNum); t.start(); thread_list.append(t)
//! for t in thread_list: t.join()
//! print(num)
//! ```
//!
//! `with lock:` becomes a block holding the guard; `Thread(target=run1)` becomes
//! `Thread::new(..).start()`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tripod::threading::{Lock, Thread};

fn main() {
    // Seed 004: two threads, 1,000,000 increments each.
    let num = Arc::new(Lock::new(0u64));
    let start = Instant::now();
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let num = Arc::clone(&num);
            Thread::new(move || {
                for _ in 0..1_000_000 {
                    *num.acquire() += 1; // with lock: num += 1
                }
            })
            .start()
            .expect("start run1")
        })
        .collect();
    for h in handles {
        h.join().expect("thread panicked");
    }
    let total = *num.acquire();
    println!(
        "two threads x 1,000,000: num = {total} ({:?})",
        start.elapsed()
    );
    assert_eq!(total, 2_000_000);

    // Seed 003: many threads, one increment each.
    const THREADS: usize = 1000;
    let num = Arc::new(Lock::new(0usize));
    let handles: Vec<_> = (0..THREADS)
        .map(|i| {
            let num = Arc::clone(&num);
            Thread::new(move || {
                let seen = *num.acquire();
                if i % 250 == 0 {
                    println!("--get num: {seen}");
                }
                std::thread::sleep(Duration::from_millis(10));
                let mut n = num.acquire(); // lock.acquire()
                *n += 1;
                n.release(); // lock.release()
            })
            .start()
            .expect("start addNum")
        })
        .collect();
    for h in handles {
        h.join().expect("thread panicked");
    }
    let total = *num.acquire();
    println!("{THREADS} threads x 1: num = {total}");
    assert_eq!(total, THREADS);
}
