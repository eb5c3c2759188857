//! Seed 004 ("编写一个资源抢占的多线程", then "使用Lock"): two threads add to one counter.
//!
//! ```python
//! def func():
//!     global num
//!     for _ in range(1000000):
//!         num += 1
//! t1 = Thread(target=func); t2 = Thread(target=func)
//! t1.start(); t2.start(); t1.join(); t2.join()
//! print(num)   # may print less than 2000000: the two read-add-write steps interleave
//! ```
//!
//! Safe Rust does not compile a plain `num += 1` on a variable two threads share: that is
//! a data race, and the compiler refuses it. The closest legal program splits the
//! increment into a separate read and write on an atomic, which is exactly the interleaving
//! that loses updates in Python, and it loses them here too (there is no GIL to make it
//! rare). The fixes: a `Lock` around the increment, as the seed's next section does, or a
//! single atomic read-modify-write.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tripod::threading::{Lock, Thread};

const N: u64 = 1_000_000;

fn two_threads(work: impl Fn() + Send + Sync + 'static) {
    let work = Arc::new(work);
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let work = Arc::clone(&work);
            Thread::new(move || work()).start().expect("start a thread")
        })
        .collect();
    for t in threads {
        t.join().expect("the thread panicked");
    }
}

fn main() {
    // num += 1 as two steps: read, then write back. Updates get lost.
    let racy = Arc::new(AtomicU64::new(0));
    let r = Arc::clone(&racy);
    two_threads(move || {
        for _ in 0..N {
            let seen = r.load(Ordering::Relaxed);
            r.store(seen + 1, Ordering::Relaxed);
        }
    });
    let racy = racy.load(Ordering::Relaxed);
    println!(
        "without a lock: {racy} (expected {}, lost {})",
        2 * N,
        2 * N - racy
    );

    // with lock: num += 1
    let locked = Arc::new(Lock::new(0u64));
    let l = Arc::clone(&locked);
    two_threads(move || {
        for _ in 0..N {
            *l.acquire() += 1;
        }
    });
    let locked = *locked.acquire();
    println!("with a Lock:    {locked}");
    assert_eq!(locked, 2 * N);

    // Or one atomic read-modify-write, which needs no lock at all.
    let atomic = Arc::new(AtomicU64::new(0));
    let a = Arc::clone(&atomic);
    two_threads(move || {
        for _ in 0..N {
            a.fetch_add(1, Ordering::Relaxed);
        }
    });
    let atomic = atomic.load(Ordering::Relaxed);
    println!("with fetch_add: {atomic}");
    assert_eq!(atomic, 2 * N);
}
