//! Seeds 003 ("信号量(Semaphore)") and 004 ("使用Semaphore"): at most N threads at a time.
//!
//! Seed 003: a `BoundedSemaphore(5)` and 20 threads.
//!
//! ```python
//! def run(n):
//!     semaphore.acquire()
//!     time.sleep(1)
//!     print("run the thread: %s\n" % n)
//!     semaphore.release()
//! semaphore = threading.BoundedSemaphore(5)  # at most 5 threads at once
//! for i in range(20):
//!     threading.Thread(target=run, args=(i,)).start()
//! ```
//!
//! Seed 004: a `Semaphore(3)` and 9 threads looping forever (here: two rounds each).
//!
//! ```python
//! def fun(num):
//!     while True:
//!         num += 1
//!         with sem:
//!             print('--------', num)
//!             time.sleep(2)
//! sem = Semaphore(3)
//! for i in range(9):
//!     Thread(target=fun, args=(i,)).start()
//! ```
//!
//! Sleeps are 100 ms instead of seconds. The first part uses Python's explicit
//! acquire/release pair (`acquire().forget()` keeps the permit without a guard; a bounded
//! semaphore's `release` reports an over-release as an error); the second uses the guard,
//! the `with sem:` of Rust. Where the seed polls `active_count()` to see the threads
//! done, this example joins their handles.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tripod::threading::{BoundedSemaphore, Semaphore, Thread};

/// Counts threads inside a section and remembers the most at once.
#[derive(Default)]
struct Occupancy {
    inside: AtomicUsize,
    most: AtomicUsize,
}

impl Occupancy {
    fn enter(&self) {
        let now = self.inside.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
    }
    fn leave(&self) {
        self.inside.fetch_sub(1, Ordering::SeqCst);
    }
}

fn main() {
    // Seed 003.
    let semaphore = Arc::new(BoundedSemaphore::new(5));
    let occupancy = Arc::new(Occupancy::default());
    let handles: Vec<_> = (0..20)
        .map(|n| {
            let (semaphore, occupancy) = (Arc::clone(&semaphore), Arc::clone(&occupancy));
            Thread::new(move || {
                semaphore.acquire().forget(); // semaphore.acquire()
                occupancy.enter();
                std::thread::sleep(Duration::from_millis(100));
                println!("run the thread: {n}");
                occupancy.leave();
                semaphore
                    .release(1)
                    .expect("released no more than acquired");
            })
            .start()
            .expect("start run")
        })
        .collect();
    for h in handles {
        h.join().expect("run panicked");
    }
    println!(
        "----all threads done--- (at most {} at once)",
        occupancy.most.load(Ordering::SeqCst)
    );
    assert!(occupancy.most.load(Ordering::SeqCst) <= 5);
    // One release too many is refused.
    println!("extra release: {:?}", semaphore.release(1));

    // Seed 004.
    let sem = Arc::new(Semaphore::new(3));
    let occupancy = Arc::new(Occupancy::default());
    let handles: Vec<_> = (0..9)
        .map(|i| {
            let (sem, occupancy) = (Arc::clone(&sem), Arc::clone(&occupancy));
            Thread::new(move || {
                let mut num = i;
                for _round in 0..2 {
                    num += 1;
                    let _permit = sem.acquire(); // with sem:
                    occupancy.enter();
                    println!("-------- {num}");
                    std::thread::sleep(Duration::from_millis(100));
                    occupancy.leave();
                }
            })
            .start()
            .expect("start fun")
        })
        .collect();
    for h in handles {
        h.join().expect("fun panicked");
    }
    let most = occupancy.most.load(Ordering::SeqCst);
    println!("******* at most {most} threads inside at once");
    assert!(most <= 3);
}
